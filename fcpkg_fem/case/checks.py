"""The cross-field checks of a case: what no single model can check on its own.

Run by :func:`fcpkg_fem.case.load_case` on a case whose structure, types and units are valid (:func:`cross_checks`):
unique layer and die names; the package fits (dies inside both carriers and apart, every array's rows fit and its
items lie inside their region without overlapping, interconnect clear of dies and bumps, the adhesive inside both
dies, the heights of every back-to-back pair adding up to the same gap); region names given as keys exist; the
layout is mirror-symmetric for a half or quarter model; the ``models`` keys name regions, kinds or materials
whose material has the model's parameters; and ``load.steps`` plan (:func:`fcpkg_fem.case.plan.plan`, which keeps
the plan). Layout rules: :mod:`fcpkg_fem.case.layout`.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from fcpkg_fem.case import layout
from fcpkg_fem.case import names as rn
from fcpkg_fem.case.fields import mm, set_default
from fcpkg_fem.case.plan import plan
from fcpkg_fem.case.schema import Case, region_models
from fcpkg_fem.case.schema_package import Chip, Interconnect, Package
from fcpkg_fem.case.schema_submodel import submodel_problems
from fcpkg_fem.errors import InputError, Problem, closest
from fcpkg_fem.materials.homogenise import TraceCell, derived_name, homogenise_layer

__all__ = ["MAX_ARRAY_ITEMS", "cross_checks"]


def _xy(p: Sequence[float]) -> str:
    return f"({mm(p[0])}, {mm(p[1])})"


def cross_checks(case: Case) -> list[Problem]:
    """Every problem the checks find (see the module docstring); the materials must be resolved already
    (``case.materials_resolved``: the models' parameters and the plan's cure shrinkages are read there)."""
    out: list[Problem] = []
    out += _check_names(case)
    if case.package is not None:
        out += _check_package(case.package)
    regions = set(case.region_materials()) if not _has_duplicate_names(case) else set()
    if regions:
        for key in case.load.stress_free_by_region:
            if key not in regions:
                out.append(_unknown_region(f"load.stress_free_by_region.{key}", key, regions))
        for key in case.mesh.layer_elements:
            if key not in regions:
                out.append(_unknown_region(f"mesh.layer_elements.{key}", key, regions))
    if case.package is not None and not out:
        out += _check_symmetry(case.package, case.mesh.symmetry)
    if regions:
        out += _check_models(case, regions)
    out = _name_layout_files(case, out)  # issue 17 item 6: file and ball_map arrays, copper layers
    if not _has_duplicate_names(case):
        out += _homogenise_copper_layers(case)
    if case.load.steps is not None and not out:
        try:
            plan(case)
        except InputError as err:
            out += err.problems
    out += [] if out else submodel_problems(case, region_models(case))  # issue 19: submodels
    return out


def _check_models(case: Case, regions: set[str]) -> list[Problem]:
    """Every key of ``models`` names a region, a region kind or a material used by the case."""
    kinds = {rn.kind(r) for r in regions}
    mats = set(case.region_materials().values())
    out = []
    inelastic = sorted(k for k, v in case.models.items() if v != "elastic")
    if inelastic and case.load.mode != "steps":
        out.append(Problem(f"models.{inelastic[0]}", f"inelastic models ({', '.join(inelastic)}) are integrated along "
                                                     "a process history: give load.steps instead of "
                                                     f"load.{case.load.mode}, or use 'elastic'"))
    # an inelastic model needs its parameters in the region's material (library data or materials.<m>.<block>)
    resolved = case.materials_resolved
    blocks = {"anand": "anand", "j2": "j2", "viscoelastic": "prony"}
    reported = set()
    for region, mat in case.region_materials().items():
        m = case.models
        key = next((k for k in (region, rn.kind(region), mat) if k in m), None)
        block = blocks.get(m[key]) if key is not None else None
        if block and mat in resolved and resolved[mat].extra.get(block) is None and (key, mat) not in reported:
            reported.add((key, mat))
            out.append(Problem(f"models.{key}", f"model '{m[key]}' for region {region} needs the material's "
                                                f"'{block}' parameters, but material '{mat}' has none; give "
                                                f"materials.{mat}.{block} (docs/materials.md) or use a material "
                                                "that has them"))
    for key in case.models:
        if key not in regions and key not in kinds and key not in mats:
            choices = sorted(regions | kinds | mats)
            hint = closest(key, choices)
            out.append(Problem(f"models.{key}", f"'{key}' is neither a region, a region kind nor a material of this "
                                               "case" + (f"; did you mean '{hint}'?" if hint else "")
                                               + f" (choices: {', '.join(choices)})"))
    return out


OPTIONAL_REGIONS = (rn.ADHESIVE, rn.ENCAPSULANT, rn.VIAS, rn.VIA_FILL, rn.TRACES, rn.TOP_BALLS, rn.BOTTOM_BALLS)
"""Region names a stacked package has only when its input has the part (a case without top balls has no
``top_balls``): a setting naming one of them, left over from the case the part was removed from, gets a message
that says so."""


def _unknown_region(field: str, key: str, regions: set[str]) -> Problem:
    if key in OPTIONAL_REGIONS and not any(r.startswith("layer.") for r in regions):
        return Problem(field, f"this case has no '{key}' region (the package is given without that part); remove "
                              f"the setting, e.g. --set '{field.rsplit('.', 1)[0]}={{}}' when it is the only one")
    hint = closest(key, sorted(regions))
    return Problem(
        field,
        f"'{key}' is not a region of this case" + (f"; did you mean '{hint}'?" if hint else "")
        + f" (regions: {', '.join(sorted(regions))})",
    )


def _name_lists(case: Case) -> list[tuple[str, list[str]]]:
    if case.laminate is not None:
        return [("laminate.layers", [l.name for l in case.laminate.layers])]
    p = case.package
    assert p is not None
    lists = [(f"package.carriers.{s}.layers", [l.name for l in getattr(p.carriers, s).layers])
             for s in ("bottom", "top")]
    return lists


def _has_duplicate_names(case: Case) -> bool:
    return bool(_check_names(case))


def _check_names(case: Case) -> list[Problem]:
    out = []
    for base, names in _name_lists(case):
        seen: dict[str, int] = {}
        for k, n in enumerate(names):
            if n in seen:
                out.append(Problem(f"{base}.{k}.name", f"layer name '{n}' is used twice (also item {seen[n]})"))
            seen.setdefault(n, k)
    if case.package is not None:
        seen_chip: dict[str, str] = {}
        for side in ("bottom", "top"):
            for k, chip in enumerate(getattr(case.package.carriers, side).chips):
                where = f"package.carriers.{side}.chips.{k}"
                if chip.name in seen_chip:
                    out.append(Problem(f"{where}.name", f"die name '{chip.name}' is used twice (also "
                                                        f"{seen_chip[chip.name]}); die names are unique "
                                                        "in the package"))
                seen_chip.setdefault(chip.name, where)
    return out


def _array_field(spec: Any, base: str, bad: np.ndarray, rings: np.ndarray | None = None) -> str:
    """The field a user should change when items ``bad`` (indices) of an array are misplaced."""
    k = int(bad[0])
    if spec.pattern == "explicit":
        return f"{base}.positions.{k}"
    if spec.pattern == "peripheral" and rings is not None and int(rings[k]) > 0:
        return f"{base}.rows"
    return f"{base}.edge_offset"


MAX_ARRAY_ITEMS = 200_000
"""Most items (bumps, vias, balls) in one array: far above any real package (the reference has ~400 per die), low
enough that a mistyped pitch is refused before the array is built."""


def _array_count_bound(spec: Any, size: Sequence[float]) -> float:
    """An upper bound of the number of items of a full or peripheral array, computed without building it."""
    pitch = getattr(spec, "pitch", None)
    if spec.pattern not in ("full_array", "peripheral") or not pitch or pitch <= 0:
        return 0.0
    per_line = [max(float(s), 0.0) / pitch + 1.0 for s in size]
    if spec.pattern == "full_array":
        return per_line[0] * per_line[1]
    return float(spec.rows) * 2.0 * (per_line[0] + per_line[1])


def _check_array_fit(spec: Any, base: str, what: str, region: str, size: Sequence[float],
                     center: Sequence[float]) -> list[Problem]:
    """At most MAX_ARRAY_ITEMS items, rows fit, items do not overlap each other (arrays), and do not repeat
    (explicit)."""
    out = []
    n = _array_count_bound(spec, size)
    if n > MAX_ARRAY_ITEMS:
        field = f"{base}.rows" if spec.pattern == "peripheral" and spec.rows > MAX_ARRAY_ITEMS else f"{base}.pitch"
        return [Problem(field, f"this {spec.pattern} {what} array in {region} ({mm(size[0])} x {mm(size[1])}) "
                               f"would hold about {n:.3g} {what}s; at most {MAX_ARRAY_ITEMS} per array "
                               f"(a larger pitch or fewer rows)")]
    if spec.pattern == "peripheral":
        for k in range(spec.rows):
            h = min(size) / 2 - spec.edge_offset - k * spec.pitch
            if h < -layout.TOL:
                fit = int(math.floor((min(size) / 2 - spec.edge_offset) / spec.pitch + 1e-9)) + 1
                field = f"{base}.rows" if fit >= 1 else f"{base}.edge_offset"
                out.append(Problem(field, f"{spec.rows} rows at pitch {mm(spec.pitch)} starting "
                                          f"{mm(spec.edge_offset)} from the edge do not fit in {region} "
                                          f"({mm(size[0])} x {mm(size[1])}); at most {max(fit, 0)} fit"))
                break
    elif spec.pattern == "full_array":
        if min(size) - 2 * spec.edge_offset < -layout.TOL:
            out.append(Problem(f"{base}.edge_offset", f"edge_offset {mm(spec.edge_offset)} leaves no room for "
                                                      f"the array in {region} ({mm(size[0])} x {mm(size[1])})"))
    return out


def _check_self_overlap(centres: np.ndarray, reach: float, spec: Any, base: str, what: str,
                        extent: str) -> list[Problem]:
    """No two items closer than ``reach`` (their size along the line joining them, m)."""
    if len(centres) < 2:
        return []
    from scipy.spatial import cKDTree

    pairs = cKDTree(centres).query_pairs(reach - layout.TOL, output_type="ndarray")
    if len(pairs) == 0:
        return []
    i, j = sorted(int(v) for v in pairs[0])
    d = float(np.linalg.norm(centres[i] - centres[j]))
    if spec.pattern == "explicit":
        field = f"{base}.positions.{j}"
        msg = (f"{what} {j} at {_xy(spec.positions[j])} overlaps {what} {i} at {_xy(spec.positions[i])}: "
               f"centres {mm(d)} apart, {extent} {mm(reach)}")
    else:
        field = f"{base}.pitch"
        msg = (f"{what}s overlap: pitch {mm(spec.pitch)} leaves centres {mm(d)} apart, less than the "
               f"{extent} {mm(reach)}; increase pitch or reduce the {extent}")
    return [Problem(field, msg)]


def _thicknesses(p: Package) -> list[tuple[str, float]]:
    """(field, m) of every through-thickness dimension of the package's parts."""
    out: list[tuple[str, float]] = []
    for side in ("bottom", "top"):
        carrier = getattr(p.carriers, side)
        base = f"package.carriers.{side}"
        out += [(f"{base}.layers.{k}.thickness", layer.thickness) for k, layer in enumerate(carrier.layers)]
        for k, chip in enumerate(carrier.chips):
            out += [(f"{base}.chips.{k}.thickness", chip.thickness),
                    (f"{base}.chips.{k}.bumps.standoff", chip.bumps.standoff)]
    out.append(("package.adhesive.thickness", p.adhesive.thickness))
    if p.top_balls is not None:
        out.append(("package.top_balls.height", p.top_balls.height))
    return out


def _check_thicknesses(p: Package) -> list[Problem]:
    """A layer thicker than the package is wide is not a package's layer: most often a bare number meant in um
    and read in mm (the default unit of a length), which would otherwise surface as a mesh too large to run."""
    width = min(min(p.carriers.bottom.size), min(p.carriers.top.size))
    return [Problem(field, f"{mm(t)} thick, more than the package is wide ({mm(width)}); a bare number is read in "
                           f"mm: for micrometres write '{t * 1e3:g} um'")
            for field, t in _thicknesses(p) if t > width]


def _check_package(p: Package) -> list[Problem]:
    out: list[Problem] = _check_thicknesses(p)
    if out:
        return out
    carriers = {"bottom": p.carriers.bottom, "top": p.carriers.top}
    all_dies: list[tuple[str, Chip]] = []
    all_bumps: list[tuple[str, Chip, np.ndarray]] = []
    for side, carrier in carriers.items():
        base = f"package.carriers.{side}"
        other = carriers["top" if side == "bottom" else "bottom"]
        for k, chip in enumerate(carrier.chips):
            cb = f"{base}.chips.{k}"
            all_dies.append((cb, chip))
            # die inside both carriers (it sits in the gap between them)
            for cname, car in ((side, carrier), ("top" if side == "bottom" else "bottom", other)):
                m = layout.rect_in_rect_margin(np.array([chip.center]), np.array([chip.size]) / 2, (0, 0), car.size)
                if m[0] < -layout.TOL:
                    field = f"{cb}.size" if (chip.size[0] > car.size[0] or chip.size[1] > car.size[1]) \
                        else f"{cb}.center"
                    out.append(Problem(field, f"die '{chip.name}' ({mm(chip.size[0])} x {mm(chip.size[1])} at "
                                              f"{_xy(chip.center)}) sticks out of the {cname} carrier "
                                              f"({mm(car.size[0])} x {mm(car.size[1])}) by {mm(-m[0])}"))
                    break
            # dies on one carrier do not overlap
            for k2 in range(k):
                c2 = carrier.chips[k2]
                if layout.overlap_rect(chip.center, chip.size, c2.center, c2.size) is not None:
                    out.append(Problem(f"{cb}.center", f"die '{chip.name}' overlaps die '{c2.name}' on the "
                                                       f"same carrier"))
            # bumps
            bb = f"{cb}.bumps"
            region = f"die '{chip.name}'"
            fit = _check_array_fit(chip.bumps, bb, "bump", region, chip.size, chip.center)
            out += fit
            if fit:
                continue
            centres = layout.bump_centres(chip)
            rings = layout.array_rings(chip.bumps, chip.size)
            r = chip.bumps.diameter / 2
            margin = layout.disk_in_rect_margin(centres, r, chip.center, chip.size)
            bad = np.flatnonzero(margin < -layout.TOL)
            if len(bad):
                out.append(Problem(_array_field(chip.bumps, bb, bad, rings),
                                   f"{len(bad)} bump(s) of diameter {mm(chip.bumps.diameter)} reach outside "
                                   f"{region} (first at {_xy(centres[bad[0]])}, by {mm(-margin[bad[0]])})"))
            if len(centres) == 0:
                out.append(Problem(bb, f"the bump layout of {region} has no bumps"))
            out += _check_self_overlap(centres, chip.bumps.diameter, chip.bumps, bb, "bump", "diameter")
            all_bumps.append((bb, chip, centres))
    # heights: every back-to-back pair gives the same gap
    out += _check_heights(p)
    # adhesive
    rects = layout.adhesive_rects(p) if layout.die_pairs(p) else []
    if p.adhesive.size is not None:
        for i, j, center, size in rects:
            b, t = p.carriers.bottom.chips[i], p.carriers.top.chips[j]
            ov = layout.overlap_rect(b.center, b.size, t.center, t.size)
            assert ov is not None
            if size[0] > ov[1][0] + layout.TOL or size[1] > ov[1][1] + layout.TOL:
                out.append(Problem("package.adhesive.size",
                                   f"the adhesive ({mm(size[0])} x {mm(size[1])}) does not lie within both dies "
                                   f"'{b.name}' and '{t.name}' (their overlap is {mm(ov[1][0])} x "
                                   f"{mm(ov[1][1])}); omit size to use the overlap"))
    # interconnect and balls
    out += _check_interconnect(p, all_dies, all_bumps)
    for name, carrier in (("top_balls", p.carriers.top), ("bottom_balls", p.carriers.bottom)):
        balls = getattr(p, name)
        if balls is None:
            continue
        base = f"package.{name}"
        which = "top" if name == "top_balls" else "bottom"
        fit = _check_array_fit(balls, base, "ball", f"the {which} carrier", carrier.size, (0, 0))
        out += fit
        if fit:
            continue
        c = layout.ball_centres(balls, carrier)
        rings = layout.array_rings(balls, carrier.size)
        m = layout.disk_in_rect_margin(c, balls.diameter / 2, (0, 0), carrier.size)
        bad = np.flatnonzero(m < -layout.TOL)
        if len(bad):
            out.append(Problem(_array_field(balls, base, bad, rings),
                               f"{len(bad)} ball(s) reach outside the {which} carrier (first at {_xy(c[bad[0]])})"))
        if len(c) == 0:
            out.append(Problem(base, "the ball layout has no balls"))
        out += _check_self_overlap(c, balls.diameter, balls, base, "ball", "diameter")
    return out


def _check_heights(p: Package) -> list[Problem]:
    out: list[Problem] = []
    pairs = layout.die_pairs(p)
    bottom, top = p.carriers.bottom.chips, p.carriers.top.chips
    if not pairs:
        return [Problem("package.carriers.top.chips",
                        "no die on the top carrier overlaps a die on the bottom carrier; the dies are joined back "
                        "to back by the adhesive, so at least one pair must overlap")]

    def stack(i: int, j: int) -> float:
        b, t = bottom[i], top[j]
        return b.bumps.standoff + b.thickness + p.adhesive.thickness + t.thickness + t.bumps.standoff

    def parts(i: int, j: int) -> str:
        b, t = bottom[i], top[j]
        return (f"{mm(b.bumps.standoff)} + {mm(b.thickness)} + {mm(p.adhesive.thickness)} + "
                f"{mm(t.thickness)} + {mm(t.bumps.standoff)} = {mm(stack(i, j))}")

    i0, j0 = pairs[0]
    gap = stack(i0, j0)
    for i, j in pairs[1:]:
        if abs(stack(i, j) - gap) > layout.TOL:
            # blame the side whose die + bumps differ from the first pair's (the bottom one if both do)
            same_bottom = abs(bottom[i].bumps.standoff + bottom[i].thickness
                              - bottom[i0].bumps.standoff - bottom[i0].thickness) <= layout.TOL
            side, k = ("top", j) if same_bottom else ("bottom", i)
            out.append(Problem(
                f"package.carriers.{side}.chips.{k}.thickness",
                f"heights do not add up: pair '{bottom[i].name}'/'{top[j].name}' stacks standoff + die + adhesive "
                f"+ die + standoff = {parts(i, j)}, but pair '{bottom[i0].name}'/'{top[j0].name}' gives "
                f"{parts(i0, j0)}; every back-to-back pair must fill the same carrier gap"))
    paired_b = {i for i, _ in pairs}
    paired_t = {j for _, j in pairs}
    for side, chips, paired in (("bottom", bottom, paired_b), ("top", top, paired_t)):
        for k, chip in enumerate(chips):
            if k in paired:
                continue
            h = chip.bumps.standoff + chip.thickness
            if h >= gap - layout.TOL:
                out.append(Problem(f"package.carriers.{side}.chips.{k}.thickness",
                                   f"die '{chip.name}' with its bumps is {mm(h)} tall, which does not fit in the "
                                   f"carrier gap of {mm(gap)}"))
    return out


def _check_interconnect(p: Package, dies: list[tuple[str, Chip]],
                        bumps: list[tuple[str, Chip, np.ndarray]]) -> list[Problem]:
    ic = p.interconnect
    if ic.kind == "none":
        return []
    base = "package.interconnect"
    size = layout.interconnect_size(p)
    fit = _check_array_fit(ic, base, ic.kind[:-1], "the carrier overlap", size, (0, 0))
    if fit:
        return fit
    out: list[Problem] = []
    rings = layout.array_rings(ic, size)
    what = "via" if ic.kind == "vias" else "trace"
    if ic.kind == "vias":
        c = layout.via_centres(p)
        r = ic.diameter / 2  # type: ignore[operator]
        margin = layout.disk_in_rect_margin(c, r, (0, 0), size)

        def gap_to_rect(center: Sequence[float], rsize: Sequence[float]) -> np.ndarray:
            return layout.disk_rect_gap(c, r, center, rsize)

        def gap_to_disks(other: np.ndarray, r2: float) -> np.ndarray:
            from scipy.spatial import cKDTree

            d, _ = cKDTree(other).query(c)
            return d - r - r2
        self_reach, extent = ic.diameter, "diameter"
    else:
        c, along_x = layout.trace_strips(p)
        half = layout.trace_half_sizes(ic.width, ic.thickness, along_x)  # type: ignore[arg-type]
        margin = layout.rect_in_rect_margin(c, half, (0, 0), size)

        def gap_to_rect(center: Sequence[float], rsize: Sequence[float]) -> np.ndarray:
            return layout.rect_rect_gap(c, half, center, rsize)

        def gap_to_disks(other: np.ndarray, r2: float) -> np.ndarray:
            g = np.full(len(c), np.inf)
            for o in other:  # bumps near traces are few; the die check already caught most cases
                g = np.minimum(g, layout.rect_rect_gap(c, half, o, (0.0, 0.0)) - r2)
            return g
        self_reach, extent = min(ic.width, ic.thickness), "strip cross-section"  # type: ignore[type-var]
    if len(c) == 0:
        return [Problem(base, f"the {ic.kind} layout has no {ic.kind}")]
    bad = np.flatnonzero(margin < -layout.TOL)
    if len(bad):
        out.append(Problem(_array_field(ic, base, bad, rings),
                           f"{len(bad)} {what}(s) reach outside the carrier (first at {_xy(c[bad[0]])}, by "
                           f"{mm(-margin[bad[0]])})"))
    for dbase, chip in dies:
        g = gap_to_rect(chip.center, chip.size)
        bad = np.flatnonzero(g <= layout.TOL)
        if len(bad):
            k = bad[np.argmin(g[bad])]
            out.append(Problem(_array_field(ic, base, bad, rings),
                               f"{len(bad)} {what}(s) run through die '{chip.name}' (the {ic.kind} cross the whole "
                               f"gap): the {what} at {_xy(c[k])} overlaps the die footprint by {mm(-g[k])}; "
                               f"they must be clear of every die"))
    for bb, chip, bc in bumps:
        if len(bc) == 0:
            continue
        g = gap_to_disks(bc, chip.bumps.diameter / 2)
        bad = np.flatnonzero(g <= layout.TOL)
        if len(bad):
            k = bad[np.argmin(g[bad])]
            out.append(Problem(_array_field(ic, base, bad, rings),
                               f"{len(bad)} {what}(s) touch the bumps of die '{chip.name}' (the {what} at "
                               f"{_xy(c[k])}: clearance {mm(g[k])}, needs > 0)"))
    if ic.kind == "vias":
        out += _check_self_overlap(c, self_reach, ic, base, what, extent)
    else:
        out += _check_trace_overlap(c, half, ic, base)
    return out


def _check_trace_overlap(c: np.ndarray, half: np.ndarray, ic: Interconnect, base: str) -> list[Problem]:
    if len(c) < 2:
        return []
    from scipy.spatial import cKDTree

    reach = 2 * float(np.max(half))
    for i, j in cKDTree(c).query_pairs(reach, output_type="ndarray"):
        d = np.abs(c[i] - c[j]) - half[i] - half[j]
        if np.all(d < -layout.TOL):
            i, j = sorted((int(i), int(j)))
            field = f"{base}.positions.{j}" if ic.pattern == "explicit" else f"{base}.pitch"
            return [Problem(field, f"traces {i} at {_xy(c[i])} and {j} at {_xy(c[j])} overlap; increase the pitch "
                                   f"or reduce width/thickness")]
    return []


# --- symmetry -----------------------------------------------------------------------------------------


def _symmetric(points: np.ndarray, attrs: np.ndarray, axis: int) -> int | None:
    """Index of the first item whose mirror image (about x=0 for axis 0, y=0 for axis 1) has no twin with the
    same attributes within layout.TOL; None if the set is mirror-symmetric."""
    if len(points) == 0:
        return None
    from scipy.spatial import cKDTree

    tree = cKDTree(points)
    m = layout.mirror(points, axis)
    for k, q in enumerate(m):
        hits = tree.query_ball_point(q, r=1e-9 + 1e-12)
        if not any(np.allclose(attrs[h], attrs[k], rtol=0, atol=1e-9) for h in hits):
            return k
    return None


def _check_symmetry(p: Package, symmetry: str) -> list[Problem]:
    axes = {"full": (), "half": (0,), "quarter": (0, 1)}[symmetry]
    if not axes:
        return []
    items: list[tuple[str, np.ndarray, np.ndarray, Callable[[int], str]]] = []
    for side in ("bottom", "top"):
        chips = getattr(p.carriers, side).chips
        pts = np.array([c.center for c in chips], dtype=float)
        attrs = np.array([[c.size[0], c.size[1], c.thickness, c.bumps.diameter, c.bumps.standoff] for c in chips])
        items.append((f"the dies on the {side} carrier", pts, attrs,
                      lambda k, chips=chips: f"die '{chips[k].name}' at {_xy(chips[k].center)}"))
        bp = [layout.bump_centres(c) for c in chips]
        ba = [np.tile([c.bumps.diameter, c.bumps.standoff], (len(b), 1)) for c, b in zip(chips, bp)]
        allb = np.concatenate(bp) if bp else np.zeros((0, 2))
        items.append((f"the bumps on the {side} carrier", allb, np.concatenate(ba) if ba else np.zeros((0, 2)),
                      lambda k, allb=allb: f"the bump at {_xy(allb[k])}"))
    if p.interconnect.kind == "vias":
        c = layout.via_centres(p)
        items.append(("the vias", c, np.zeros((len(c), 1)), lambda k, c=c: f"the via at {_xy(c[k])}"))
    elif p.interconnect.kind == "traces":
        c, ax = layout.trace_strips(p)
        items.append(("the traces", c, ax[:, None].astype(float), lambda k, c=c: f"the trace at {_xy(c[k])}"))
    for name, carrier in (("top_balls", p.carriers.top), ("bottom_balls", p.carriers.bottom)):
        c = layout.ball_centres(getattr(p, name), carrier)
        items.append((f"the {name.replace('_', ' ')}", c, np.zeros((len(c), 1)),
                      lambda k, c=c: f"the ball at {_xy(c[k])}"))
    out = []
    for axis in axes:
        plane = "x = 0" if axis == 0 else "y = 0"
        for what, pts, attrs, describe in items:
            k = _symmetric(pts, attrs, axis)
            if k is not None:
                out.append(Problem("mesh.symmetry",
                                   f"a {symmetry} model needs the layout mirror-symmetric about {plane}, but "
                                   f"{what} are not: {describe(k)} has no mirror image; use mesh.symmetry: full"
                                   + ("" if symmetry == "half" or axis == 0 else " (or half, if symmetric about x = 0)")))
                break
    return out


# --- layouts from files and carrier layers with copper (issue 17 item 6) ------------------------------------------


def _array_specs(p: Package) -> list[tuple[str, Any]]:
    """(dotted path, spec) of every array of a package."""
    out = [(f"package.carriers.{side}.chips.{k}.bumps", chip.bumps)
           for side in ("bottom", "top") for k, chip in enumerate(getattr(p.carriers, side).chips)]
    if p.interconnect.kind != "none":
        out.append(("package.interconnect", p.interconnect))
    out += [(f"package.{key}", getattr(p, key)) for key in ("top_balls", "bottom_balls") if getattr(p, key) is not None]
    return out


def _name_layout_files(case: Case, problems: list[Problem]) -> list[Problem]:
    """The checks above blame a misplaced item of an array on the field a user edits for a generated pattern
    (``edge_offset``, ``rows``, ``pitch``); for an array read from a file or a ball map the item's place is in that
    data: name ``file`` (or ``map``) instead, and say so."""
    if case.package is None:
        return problems
    sources = {}
    for base, spec in _array_specs(case.package):
        if spec.pattern in ("file", "ball_map"):
            key = "map" if spec.map is not None else "file"
            where = "the ball map" if key == "map" else f"'{spec.file}'"
            sources[base] = (f"{base}.{key}", where)
    if not sources:
        return problems
    out = []
    for prob in problems:
        base, _, rest = prob.field.rpartition(".")
        if base.endswith(".positions"):  # an explicit item's index
            base, rest = base.rpartition(".")[0], "positions"
        if base in sources and rest in ("edge_offset", "rows", "pitch", "positions"):
            field, where = sources[base]
            prob = Problem(field, f"{prob.message} (the positions are read from {where}: correct them there)")
        out.append(prob)
    return out


def _copper_layers(case: Case) -> list[tuple[str, str, Any, Any]]:
    """(dotted path, region, layer, substrate) of every layer with a copper fraction; ``substrate`` is the thicker
    of its neighbouring layers in its stack (the first on a tie), the layer a trace layer is bonded to, or None."""
    if case.laminate is not None:
        groups = [("laminate.layers", lambda n: rn.laminate_layer(n), case.laminate.layers)]
    else:
        p = case.package
        assert p is not None
        groups = [(f"package.carriers.{side}.layers", lambda n, num=num: rn.carrier_layer(num, n),
                   getattr(p.carriers, side).layers) for num, side in ((1, "bottom"), (2, "top"))]
    def substrate(layers: list[Any], k: int) -> Any:
        near = [layers[j] for j in (k - 1, k + 1) if 0 <= j < len(layers)]
        return max(near, key=lambda n: n.thickness) if near else None
    return [(f"{base}.{k}", region(layer.name), layer, substrate(layers, k)) for base, region, layers in groups
            for k, layer in enumerate(layers) if layer.copper_fraction is not None]


def _homogenise_copper_layers(case: Case) -> list[Problem]:
    """Give every layer with a ``copper_fraction`` its homogenised material (:mod:`fcpkg_fem.materials.homogenise`):
    the material is made, added to ``case.materials_resolved`` and named by the layer's ``material`` (the input's
    name moves to ``matrix_material``), so regions, the mesh, the report and the stress-free temperatures all see it.

    Refused first: an unknown ``copper_material``; a derived name taken by another material; a constituent the
    homogenisation cannot use (a secant CTE); a ``models`` entry giving a layer an inelastic model (a homogenised layer
    is elastic); and a ``load.stress_free_by_material`` entry naming the matrix of a layer that no other key reaches
    (it would silently stop applying to that layer once its material is the homogenised one)."""
    layers = [row for row in _copper_layers(case) if row[2].matrix_material is None]
    if not layers:
        return []
    mats = case.materials_resolved
    out: list[Problem] = []
    made: dict[str, Any] = {}
    pending = []
    models = region_models(case)
    for base, region, layer, below in layers:
        copper = mats.get(layer.copper_material)
        if copper is None:
            hint = closest(layer.copper_material, sorted(mats))
            out.append(Problem(f"{base}.copper_material",
                               f"material '{layer.copper_material}' is not in the library or the case's materials "
                               "section" + (f"; did you mean '{hint}'?" if hint else "")))
            continue
        matrix = mats.get(layer.material)
        if matrix is None:
            continue  # reported by the material-name check
        cell = None
        if layer.trace_pitch is not None:
            if below is None:
                out.append(Problem(f"{base}.trace_pitch",
                                   "needs a neighbouring layer the traces are bonded to (the unit cell sits on it); "
                                   "this layer is its stack's only one: remove trace_pitch"))
                continue
            sub = mats.get(below.matrix_material or below.material)
            if sub is None:
                continue  # reported by the material-name check
            cell = TraceCell(layer.trace_pitch, layer.thickness, sub)
        name = derived_name(layer.material, layer.copper_fraction, layer.traces, layer.copper_material,
                            layer.trace_pitch)
        if cell is not None:
            name += f"@{region}"  # the cell's material depends on this layer's thickness and neighbour too
        if name in mats:
            out.append(Problem(f"{base}.copper_fraction",
                               f"the homogenised layer's material would be named '{name}', which the case's "
                               "materials section already uses; rename that material"))
            continue
        if models.get(region, "elastic") != "elastic":
            key = next(k for k in (region, rn.kind(region), layer.material) if k in case.models)
            out.append(Problem(f"models.{key}",
                               f"gives layer {region} the model '{models[region]}', but a layer with a "
                               "copper_fraction is one homogenised elastic material (the constituents' model "
                               f"parameters do not carry over); name the other regions, or set {region}: elastic"))
            continue
        sf = case.load
        if layer.material in sf.stress_free_by_material and region not in sf.stress_free_by_region:
            out.append(Problem(f"load.stress_free_by_material.{layer.material}",
                               f"would not reach layer {region}: with copper_fraction its material is the "
                               f"homogenised '{name}'; give the layer's stress-free temperature by region "
                               f"(load.stress_free_by_region: {{{region}: ...}})"))
            continue
        if name not in made:
            try:
                made[name] = homogenise_layer(matrix, copper, layer.copper_fraction, layer.traces, name=name,
                                              field=f"{base}.copper_fraction", cell=cell)
            except InputError as err:
                out += err.problems
                continue
        pending.append((layer, name))
    if out:
        return out
    mats.update(made)
    for layer, name in pending:
        set_default(layer, "matrix_material", layer.material)
        set_default(layer, "material", name)
    return []
