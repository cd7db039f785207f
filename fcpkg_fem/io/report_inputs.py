"""The inputs part of ``report.html``: geometry and stack-up, regions, materials with their sources, the load.

Everything here is read from the resolved case (:meth:`fcpkg_fem.case.Case.resolved_dict`: SI units, derived
counts filled) and the materials the case resolves to (library plus the case's ``materials:`` block), so that the
page shows the values the run used. The writer finds the resolved case in the run folder (``case.resolved.json``,
written by the run before the writers) and accepts it only when its hash is the summary's ``case.hash``: a stale
file from another run in the same folder is never shown as this run's input.

API: :func:`load_inputs` -> :class:`Inputs` or a reason why there are none; :func:`inputs_html`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fcpkg_fem.case import names as rn
from fcpkg_fem.case.assumed import assumed_values, used_properties
from fcpkg_fem.errors import InputError
from fcpkg_fem.io.report_format import DASH, e, integer, kv, length_mm, length_um, section, sig, table
from fcpkg_fem.io.report_materials import materials_html
from fcpkg_fem.materials.spec import resolve_materials

__all__ = ["Inputs", "load_inputs", "inputs_html", "region_materials", "region_models"]


@dataclass
class Inputs:
    """What the report shows as the run's inputs.

    Attributes:
        resolved: the resolved case (plain JSON data, quantities in SI: m, Pa, 1/K, s, degC).
        materials: material name -> :class:`~fcpkg_fem.materials.model.Material` as the run resolved them.
    """

    resolved: dict[str, Any]
    materials: dict[str, Any]

    def view(self) -> SimpleNamespace:
        """The parts of a Case that :mod:`fcpkg_fem.case.assumed` reads, built from the resolved case (so that
        the report lists exactly what ``fcpkg check`` lists as used and assumed)."""
        d = self.resolved
        ld = d.get("load") or {}
        mode = "steps" if ld.get("steps") else "history" if ld.get("history") else "temperatures"
        regions = region_materials(d)
        steps = [SimpleNamespace(kind=s.get("kind"), humidity=s.get("humidity")) for s in ld.get("steps") or []]
        return SimpleNamespace(load=SimpleNamespace(mode=mode, steps=steps),
                               thermal=SimpleNamespace(mode=(d.get("thermal") or {}).get("mode", "uniform")),
                               models=dict(d.get("models") or {}), materials_resolved=self.materials,
                               region_materials=lambda: dict(regions))


def _hash(resolved: dict[str, Any]) -> str:
    # the recipe of Case.hash(): canonical JSON of the resolved case
    text = json.dumps(resolved, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_inputs(summary: dict[str, Any], out_dir: Path | None, case: Any = None) -> Inputs | str:
    """The inputs of the run, or a sentence saying why they cannot be shown.

    Args:
        summary: the run's summary (its ``case.hash`` identifies the case that ran).
        out_dir: the run folder holding ``case.resolved.json``, or None.
        case: a validated :class:`~fcpkg_fem.case.Case` to take instead of the folder's file (API use).
    """
    if case is not None:
        return Inputs(case.resolved_dict(), dict(case.materials_resolved))
    path = Path(out_dir) / "case.resolved.json" if out_dir is not None else None
    if path is None or not path.is_file():
        return "the run folder has no case.resolved.json (the run wrote none, or the report was made elsewhere)"
    try:
        resolved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return f"case.resolved.json could not be read: {err}"
    want = (summary.get("case") or {}).get("hash")
    if not isinstance(resolved, dict) or _hash(resolved) != want:
        return "case.resolved.json in the run folder is not the case of this run (its hash differs from summary.json)"
    try:
        materials = resolve_materials(resolved.get("materials"), field="materials")
    except InputError as err:
        return f"the case's materials could not be resolved again: {err}"
    return Inputs(resolved, materials)


# ------------------------------------------------------------------------------------------------- regions


def region_materials(d: dict[str, Any]) -> dict[str, str]:
    """Region name -> material name of a resolved case, in the order of :meth:`fcpkg_fem.case.Case.region_materials`
    (region names from :mod:`fcpkg_fem.case.names`)."""
    if d.get("structure") == "laminate":
        return {rn.laminate_layer(lay["name"]): lay["material"] for lay in (d.get("laminate") or {}).get("layers", [])}
    p = d.get("package") or {}
    carriers = p.get("carriers") or {}
    out: dict[str, str] = {}
    for num, side in ((1, "bottom"), (2, "top")):
        for lay in (carriers.get(side) or {}).get("layers", []):
            out[rn.carrier_layer(num, lay["name"])] = lay["material"]
    for side in ("bottom", "top"):
        for chip in (carriers.get(side) or {}).get("chips", []):
            out[rn.chip(chip["name"])] = chip["material"]
            out[rn.bumps(chip["name"])] = chip["bumps"]["material"]
    out[rn.ADHESIVE] = p["adhesive"]["material"]
    out[rn.ENCAPSULANT] = p["encapsulant"]["material"]
    ic = p.get("interconnect") or {}
    if ic.get("kind") == "vias":
        out[rn.VIAS] = ic["material"]
        if ic.get("fill") == "plated":
            out[rn.VIA_FILL] = ic["fill_material"]
    elif ic.get("kind") == "traces":
        out[rn.TRACES] = ic["material"]
    if p.get("top_balls"):
        out[rn.TOP_BALLS] = p["top_balls"]["material"]
    if p.get("bottom_balls"):
        out[rn.BOTTOM_BALLS] = p["bottom_balls"]["material"]
    return out


def region_models(d: dict[str, Any]) -> dict[str, str]:
    """Region -> constitutive model of a resolved case: by region, else by region kind, else by material, else
    ``elastic`` (the rule of :func:`fcpkg_fem.case.region_models`)."""
    m = d.get("models") or {}
    return {r: m.get(r) or m.get(rn.kind(r)) or m.get(mat) or "elastic" for r, mat in region_materials(d).items()}


def _births(summary: dict[str, Any]) -> dict[str, str]:
    """Region -> the process step it is born in (process histories only)."""
    return {r: st.get("name", "?") for st in (summary.get("process") or {}).get("steps") or []
            for r in st.get("births") or []}


_SET_BY = {"region": "load.stress_free_by_region", "material": "load.stress_free_by_material",
           "default": "load.stress_free_temperature"}


def _stress_free(ld: dict[str, Any], region: str, material: str) -> tuple[str, str]:
    """(temperature, what set it) of a region by the case's rule: by region, else by material, else the default."""
    for key, table_ in (("region", ld.get("stress_free_by_region") or {}),
                        ("material", ld.get("stress_free_by_material") or {})):
        name = region if key == "region" else material
        if name in table_:
            return sig(table_[name]), _SET_BY[key]
    T = ld.get("stress_free_temperature")
    return (sig(T), _SET_BY["default"]) if T is not None else (DASH, DASH)


def regions_html(inputs: Inputs, summary: dict[str, Any]) -> str:
    """One row per region: material, model, stress-free temperature and what set it (or the step it is born in)."""
    d = inputs.resolved
    sf = summary.get("stress_free") or {}
    temps, given = sf.get("temperatures_C") or {}, sf.get("given_by") or {}
    born = _births(summary)
    models = region_models(d)
    rows = []
    for region, mat in region_materials(d).items():
        if region in temps:
            T, how = sig(temps[region]), e(_SET_BY.get(given.get(region), DASH))
        elif region in born:
            T, how = "at birth", e(f"born stress-free at the start of step '{born[region]}'")
        else:  # a summary without the stress_free block: the case's own rule (Load.stress_free)
            T, how = _stress_free(d.get("load") or {}, region, mat)
        rows.append([e(region), e(mat), e(models.get(region, "elastic")), T, how])
    parts = [table(["region", "material", "model", "stress-free T (\u00b0C)", "set by"], rows, numeric_from=3)]
    notes = sf.get("notes") or []
    if notes:
        parts.append("<p>Assumed about the stress-free state:</p><ul>"
                     + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------------ geometry


def _size_mm(xy: Any) -> str:
    return DASH if not xy else f"{length_mm(xy[0])} \u00d7 {length_mm(xy[1])}"


def _pattern(spec: dict[str, Any]) -> str:
    """How an array is laid out, in words (lengths in um)."""
    pat = spec.get("pattern") or "explicit"
    if spec.get("positions"):
        return f"explicit, {integer(len(spec['positions']))} positions"
    if pat == "peripheral":
        rows = spec.get("rows")
        off = spec.get("edge_offset")
        return (f"peripheral, {integer(rows)} row{'s' if rows != 1 else ''}"
                + (f", outer row {length_um(off)} \u00b5m from the edge" if off is not None else ""))
    return e(pat.replace("_", " "))


def _carriers(p: dict[str, Any]) -> str:
    rows = []
    for num, side, face in ((1, "bottom", "terminal side down"), (2, "top", "stacking side up")):
        c = (p.get("carriers") or {}).get(side) or {}
        layers = c.get("layers") or []
        for k, lay in enumerate(layers):
            first = k == 0
            rows.append([e(f"carrier {num} ({face})") if first else "", e(c.get("kind", "")) if first else "",
                         _size_mm(c.get("size")) if first else "", e(lay["name"]), e(lay["material"]),
                         length_um(lay["thickness"])])
        rows.append(["", "", "", "<i>total</i>", "", f"<i>{length_um(sum(lay['thickness'] for lay in layers))}</i>"])
    return table(["carrier", "kind", "size (mm)", "layer (listed bottom to top)", "material", "thickness (\u00b5m)"],
                 rows, numeric_from=5)


def _chips(p: dict[str, Any]) -> str:
    rows = []
    for num, side in ((1, "bottom"), (2, "top")):
        for chip in ((p.get("carriers") or {}).get(side) or {}).get("chips", []):
            cx, cy = chip.get("center") or (0.0, 0.0)
            rows.append([e(chip["name"]), f"carrier {num}", _size_mm(chip.get("size")), length_um(chip["thickness"]),
                         f"({length_mm(cx)}, {length_mm(cy)})", e(chip["material"])])
    return table(["die", "bonded to", "size (mm)", "thickness (\u00b5m)", "centre x, y (mm)", "material"], rows,
                 numeric_from=2)


def _joints(d: dict[str, Any], heights: dict[str, float]) -> str:
    """Bumps, vias or traces, balls: one row each (lengths in um, counts in the full package)."""
    p, der = d["package"], d.get("derived") or {}
    rows = []
    for num, side in ((1, "bottom"), (2, "top")):
        for chip in ((p.get("carriers") or {}).get(side) or {}).get("chips", []):
            b = chip["bumps"]
            rows.append([e(rn.bumps(chip["name"])), e(b["material"]), length_um(b["diameter"]),
                         f"{length_um(b['standoff'])} (standoff)", length_um(b.get("pitch")), _pattern(b),
                         integer((der.get("bumps") or {}).get(chip["name"]))])
    ic = p.get("interconnect") or {}
    if ic.get("kind") == "vias":
        fill = "filled" if ic.get("fill") != "plated" else \
            f"plated, wall {length_um(ic.get('wall'))} \u00b5m, core {e(ic.get('fill_material'))}"
        rows.append([e(f"{rn.VIAS} ({fill})"), e(ic["material"]), length_um(ic["diameter"]),
                     f"{length_um(heights['carrier2_top'])} (carrier 1 + gap + carrier 2)", length_um(ic.get("pitch")),
                     _pattern(ic), integer(der.get("vias"))])
    elif ic.get("kind") == "traces":
        rows.append([e(f"{rn.TRACES} ({length_um(ic['width'])} \u00d7 {length_um(ic['thickness'])} \u00b5m strips)"),
                     e(ic["material"]), DASH, f"{length_um(heights['gap'])} (gap)", length_um(ic.get("pitch")),
                     _pattern(ic), integer(der.get("traces"))])
    for key, where in ((rn.TOP_BALLS, "on carrier 2"), (rn.BOTTOM_BALLS, "under carrier 1")):
        b = p.get(key)
        if b:
            rows.append([e(f"{key} ({where})"), e(b["material"]), length_um(b["diameter"]),
                         f"{length_um(b['height'])} (height)", length_um(b.get("pitch")), _pattern(b),
                         integer(der.get(key))])
    out = table(["joints", "material", "diameter (\u00b5m)", "height (\u00b5m)", "pitch (\u00b5m)", "pattern", "count"],
                rows, numeric_from=2)
    if ic.get("kind") in (None, "none"):
        out += '\n<p class="muted">No interconnect between the carriers (interconnect.kind: none).</p>'
    return out


def stack_heights(d: dict[str, Any]) -> dict[str, float]:
    """z levels of a resolved stacked case in m (z = 0: bottom face of carrier 1), as the geometry stacks them."""
    p = d["package"]
    c = p["carriers"]
    z1 = float(sum(lay["thickness"] for lay in c["bottom"]["layers"]))
    gap = float((d.get("derived") or {}).get("gap", 0.0))
    z2 = z1 + gap
    return {"carrier1_top": z1, "gap": gap, "carrier2_bottom": z2,
            "carrier2_top": z2 + float(sum(lay["thickness"] for lay in c["top"]["layers"]))}


def _heights(d: dict[str, Any], h: dict[str, float]) -> str:
    p = d["package"]
    rows = [["carrier 1 top face (z = 0 at its bottom face)", length_um(h["carrier1_top"])],
            ["carrier 2 bottom face", length_um(h["carrier2_bottom"])],
            ["carrier 2 top face", length_um(h["carrier2_top"])]]
    for num, side in ((1, "bottom"), (2, "top")):
        for chip in p["carriers"][side].get("chips", []):
            rows.append([e(f"die {chip['name']}: bump standoff + die", ),
                         length_um(chip["bumps"]["standoff"] + chip["thickness"])])
    ad = p.get("adhesive") or {}
    rows.append(["gap between the carriers (filled with the encapsulant)", length_um(h["gap"])])
    total_lo = -(p.get("bottom_balls") or {}).get("height", 0.0)
    total_hi = h["carrier2_top"] + (p.get("top_balls") or {}).get("height", 0.0)
    rows.append(["whole body, balls included", length_um(total_hi - total_lo)])
    return (table(["level", "z or height (\u00b5m)"], rows) + "\n" + kv(
        {"adhesive": f"{ad.get('material')}, {length_um(ad.get('thickness'))} \u00b5m thick, "
                     + (f"{_size_mm(ad['size'])} mm" if ad.get("size") else "over the dies' overlap"),
         "encapsulant": f"{(p.get('encapsulant') or {}).get('material')}, fills the "
                        f"{length_um(h['gap'])} \u00b5m gap around dies, bumps and interconnect"}))


def geometry_html(d: dict[str, Any]) -> str:
    """Stack-up tables of a resolved case: carriers and their layers, dies, joints, heights (or laminate layers)."""
    if d.get("structure") == "laminate":
        lam = d.get("laminate") or {}
        layers = lam.get("layers") or []
        rows = [[e(lay["name"]), e(lay["material"]), length_um(lay["thickness"])] for lay in layers]
        rows.append(["<i>total</i>", "", f"<i>{length_um(sum(lay['thickness'] for lay in layers))}</i>"])
        return (f"<p>Laminate plate {_size_mm(lam.get('size'))} mm, layers listed bottom to top.</p>"
                + table(["layer", "material", "thickness (\u00b5m)"], rows, numeric_from=2))
    p = d["package"]
    h = stack_heights(d)
    return "\n".join(["<h3>Carriers</h3>", _carriers(p), "<h3>Dies</h3>", _chips(p),
                      "<h3>Bumps, interconnect and balls</h3>", _joints(d, h),
                      "<h3>Heights, adhesive and encapsulant</h3>", _heights(d, h)])


def mesh_controls_html(d: dict[str, Any]) -> str:
    """The case's mesh controls (what the mesher was asked for; the Mesh section says what it made)."""
    m = d.get("mesh") or {}
    le = m.get("layer_elements") or {}
    return kv({"symmetry": f"{m.get('symmetry')} model", "element": m.get("element"),
               "in-plane size far from features (mm)": length_mm(m.get("size")),
               "in-plane size at feature outlines (\u00b5m)": length_um(m.get("feature_size")),
               "thickest element layer (\u00b5m)": length_um(m.get("max_layer_thickness")),
               "element layers per slab, at least": m.get("min_elements_per_layer"),
               "element layers by region": ", ".join(f"{k}: {v}" for k, v in le.items()) or DASH})


def inputs_html(inputs: Inputs, summary: dict[str, Any], load_html: str) -> str:
    """The whole inputs part: geometry, regions, materials, load (``load_html`` made by the report), mesh controls."""
    d = inputs.resolved
    view = inputs.view()
    return "\n".join([section("geometry", "Geometry and stack-up", geometry_html(d)),
                      section("regions", "Regions: material, model, stress-free temperature",
                              regions_html(inputs, summary)),
                      section("materials", "Materials",
                              materials_html(inputs.materials, view.region_materials(), region_models(d),
                                             used_properties(view), assumed_values(view))),
                      section("load", "Load", load_html),
                      section("mesh-controls", "Mesh controls", mesh_controls_html(d))])


# ---------------------------------------------------------------------------------------------------- load


def _step_temps(p: dict[str, Any]) -> tuple[Any, Any, str]:
    """(from, to, range in words) of a step from its profile's parameters (degC)."""
    first = next((p[k] for k in ("T0_C", "start_C", "T_C") if p.get(k) is not None), None)
    last = next((p[k] for k in ("T1_C", "end_C", "T_C") if p.get(k) is not None), None)
    temps = p.get("temperature_C")
    if first is None and isinstance(temps, list) and temps:
        first, last = temps[0], temps[-1]
    extra = []
    if p.get("peak_C") is not None:
        extra.append(f"peak {sig(p['peak_C'])} \u00b0C")
    if p.get("T_min_C") is not None:
        extra.append(f"{sig(p['T_min_C'])} to {sig(p['T_max_C'])} \u00b0C")
    return first, last, ", ".join(extra)


def _step_rate(p: dict[str, Any]) -> str:
    if p.get("rate_K_per_s") is not None:
        return sig(p["rate_K_per_s"])
    if p.get("ramp_up_K_per_s") is not None:
        return f"up {sig(p['ramp_up_K_per_s'])}, down {sig(p['ramp_down_K_per_s'])}"
    if p.get("ramp_K_per_s") is not None:
        return sig(p["ramp_K_per_s"])
    return DASH


def _step_detail(p: dict[str, Any], standard: Any) -> str:
    words = {"passes": "passes", "cycles": "cycles", "soak_s": "soak (s)", "cycles_per_hour": "cycles per hour"}
    bits = [f"{w} {sig(p[k])}" for k, w in words.items() if p.get(k) is not None]
    if p.get("condition"):
        bits.insert(0, f"condition {p['condition']}")
    if standard:
        bits.insert(0, str(standard))
    return e(", ".join(bits)) if bits else DASH


def steps_table(process: dict[str, Any]) -> str:
    """The process steps as run: kind, profile, births, temperatures, rate, duration, increments (one row each)."""
    rows = []
    for st in process.get("steps") or []:
        p = st.get("parameters") or {}
        first, last, extra = _step_temps(p)
        t0, t1 = st.get("t_start_s"), st.get("t_end_s")
        rows.append([e(st.get("name")), e(st.get("kind")), _step_detail(p, st.get("standard")),
                     e(", ".join(st.get("births") or [])) or DASH, sig(first),
                     sig(last) + (f" ({e(extra)})" if extra else ""), _step_rate(p),
                     sig(t1 - t0) if t0 is not None and t1 is not None else DASH, sig(t0),
                     integer(st.get("increments"))])
    return table(["step", "kind", "profile", "born", "from (\u00b0C)", "to (\u00b0C)", "rate (K/s)", "duration (s)",
                  "starts at (s)", "increments"], rows, numeric_from=4)


def profile_points(d: dict[str, Any] | None, history: list[dict[str, Any]]) -> tuple[list[float], list[float]]:
    """(times in s, temperatures in degC) of the load profile: the case's T(t) table, or the increments a process
    history ran (with its initial state at t = 0); empty for a list of temperatures (no time axis)."""
    ld = (d or {}).get("load") or {}
    if ld.get("history"):
        return list(ld["history"]["time"]), list(ld["history"]["temperature"])
    rows = [r for r in history if r.get("time_s") is not None and r.get("temperature_C") is not None]
    if not rows or not ("step" in rows[0] or ld.get("steps")):
        return [], []
    t = [float(r["time_s"]) for r in rows]
    T = [float(r["temperature_C"]) for r in rows]
    if t[0] > 0.0:
        T0 = ld.get("initial_temperature")
        T0 = ld.get("stress_free_temperature") if T0 is None else T0
        if T0 is not None:
            t, T = [0.0] + t, [float(T0)] + T
    return t, T


def load_tables_html(d: dict[str, Any] | None, summary: dict[str, Any]) -> str:
    """The load in words and tables: the temperatures solved, the T(t) table, or the process steps."""
    ld = (d or {}).get("load") or {}
    process = summary.get("process")
    if process:
        T0 = ld.get("initial_temperature")
        T0 = ld.get("stress_free_temperature") if T0 is None else T0
        head = (f"<p>Process history ({integer(len(process.get('steps') or []))} steps"
                + (f", starting at {sig(T0)} \u00b0C" if T0 is not None else "")
                + "): each part is born stress-free at the start of the step that lists it.</p>")
        return head + steps_table(process)
    if ld.get("history"):
        h = ld["history"]
        rows = [[integer(i), sig(t), sig(T)] for i, (t, T) in enumerate(zip(h["time"], h["temperature"]))]
        return ("<p>A uniform temperature history T(t), one linear solve at each point (path independent).</p>"
                + table(["point", "time (s)", "T (\u00b0C)"], rows))
    temps = ld.get("temperatures")
    if temps is None:  # no resolved case: the outputs say what was solved
        outs = summary.get("outputs") or []
        rows = [[integer(o.get("index", i)), sig(o.get("time_s")), sig(o.get("temperature_C"))]
                for i, o in enumerate(outs)]
        return "<p>The uniform temperature of each output.</p>" + table(["output", "time (s)", "T (\u00b0C)"], rows)
    rows = [[integer(i), sig(T)] for i, T in enumerate(temps)]
    return ("<p>A list of uniform temperatures, one independent linear solve each (no time axis: every region is "
            "stress-free at its own temperature, see the regions table).</p>"
            + table(["output", "T (\u00b0C)"], rows))
