"""Guards that run before anything expensive or anything is written.

* :func:`confine`: a path named in a case (``output.dir``, later material data files) must resolve inside an
  allowed base folder: no absolute paths, no ``..`` that climbs out, no symlink that leads out.
* :func:`estimate`: elements, nodes, unknowns and peak memory of a case, from its geometry layout alone
  (no gmsh, no meshing), so that a case too large for the machine is refused in a second, not after minutes.
* :func:`available_memory`: what the machine can give (``/proc/meminfo``, cgroup limit, ``os.sysconf``).
* :func:`preflight`: both checks at the start of :func:`fcpkg_fem.api.run`.

Every refusal is an :class:`~fcpkg_fem.errors.InputError` (exit code 2) naming the field to change.
The estimate's accuracy, measured against real meshes, is stated in docs/robustness.md.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable

import numpy as np

from .errors import InputError, Problem

MEMORY_LIMIT_ENV = "FCPKG_MEMORY_LIMIT"
"""Environment variable that overrides the detected available memory (bytes, or a number with kB/MB/GB/
KiB/MiB/GiB); for tests and for users who want a tighter bound than the machine's."""


# ------------------------------------------------------------------------------------------------ paths


def path_problem(path: Any) -> str | None:
    """What is wrong with ``path`` as a relative path inside a folder, judged from its text alone (no I/O).

    Returns None when the text is acceptable: a non-empty relative path whose ``..`` never climbs above
    its starting folder. Symlinks are :func:`confine`'s business (they need the file system).
    """
    if not isinstance(path, str):
        return f"expected a folder path (text), got {path!r}"
    if not path.strip():
        return "is empty; give a folder relative to the current directory, or leave it out"
    if "\x00" in path:
        return "contains a NUL character"
    if len(path) > 1024:
        return f"is {len(path)} characters long; at most 1024 are allowed"
    if path.startswith("~"):
        return (f"'{path}' starts with '~' (a home folder is not expanded here, and writing there is outside "
                "the run's folder); give a path relative to the current directory")
    if os.path.isabs(path) or path.startswith("\\") or (len(path) > 1 and path[1] == ":"):
        return (f"'{path}' is an absolute path; a case may only write inside the folder the run is launched "
                "from: give a relative path (or choose any folder with --out on the command line)")
    depth = 0
    for part in PurePosixPath(path.replace("\\", "/")).parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return (f"'{path}' climbs out of the folder the run is launched from with '..'; give a path "
                        "inside it (or choose any folder with --out on the command line)")
        elif part not in (".", ""):
            depth += 1
    return None


def confine(path: str | os.PathLike, base: str | os.PathLike, field: str) -> Path:
    """Resolve ``path`` relative to ``base`` and make sure it stays inside ``base``.

    Refused: absolute paths, ``..`` climbing above ``base``, and paths that leave ``base`` through a symlink
    (any existing component is resolved, so a symlinked folder pointing elsewhere is caught before anything
    is created in it). Nothing is created or modified here.

    Args:
        path: the path as given in the case (text).
        base: the folder it must stay in (e.g. the current directory, or a case file's folder).
        field: dotted case field named in the error, e.g. ``output.dir``.

    Returns:
        The resolved absolute path (inside ``base``).

    Raises:
        InputError: naming ``field``, what was given and what is allowed.
    """
    text = os.fspath(path)
    msg = path_problem(text)
    if msg is not None:
        raise InputError.single(field, msg)
    base_real = Path(base).resolve()
    target = (base_real / text).resolve()  # follows every symlink among the existing components
    if target != base_real and base_real not in target.parents:
        raise InputError.single(
            field, f"'{text}' leads outside {base_real} through a symbolic link (it resolves to {target}); "
                   "give a folder inside it (or choose any folder with --out on the command line)")
    return target


# ------------------------------------------------------------------------------------------------ memory


def _parse_bytes(text: str) -> int:
    units = {"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
             "k": 1024, "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
             "m": 1024**2, "g": 1024**3}
    t = text.strip().lower().replace(" ", "")
    num = t.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = t[len(num):]
    if unit not in units or not num:
        raise ValueError(text)
    value = float(num) * units[unit]
    if not value > 0 or not math.isfinite(value):
        raise ValueError(text)
    return int(value)


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024  # the file says kB and means KiB
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_available() -> int | None:
    """Room left under a cgroup v2 memory limit (containers, batch schedulers), if there is one."""
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit == "max":
            return None
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        return max(int(limit) - used, 0)
    except (OSError, ValueError):
        return None


def _sysconf_available() -> int | None:
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


@dataclass(frozen=True)
class Memory:
    """Memory the run may use: ``available`` bytes, and where the figure came from (``source``)."""

    available: int
    source: str


def available_memory() -> Memory | None:
    """Bytes the machine can give a new run now; None when it cannot be told.

    ``FCPKG_MEMORY_LIMIT`` (e.g. ``2 GB``) wins; otherwise ``MemAvailable`` of ``/proc/meminfo``, lowered to the
    room left under a cgroup v2 limit when there is one; otherwise ``os.sysconf`` free physical pages.
    """
    env = os.environ.get(MEMORY_LIMIT_ENV)
    if env:
        try:
            return Memory(_parse_bytes(env), f"{MEMORY_LIMIT_ENV}={env}")
        except ValueError:
            raise InputError.single(MEMORY_LIMIT_ENV, f"'{env}' is not a memory size; give e.g. 2000000000, "
                                                      "'2 GB' or '512 MiB'") from None
    avail = _meminfo_available()
    source = "/proc/meminfo MemAvailable"
    if avail is None:
        avail, source = _sysconf_available(), "os.sysconf free pages"
    cg = _cgroup_available()
    if cg is not None and (avail is None or cg < avail):
        avail, source = cg, "cgroup memory.max"
    return None if avail is None else Memory(int(avail), source)


# ------------------------------------------------------------------------------------------------ estimate


# Calibration constants, fitted by tests/robustness/calibrate_estimate.py on real meshes (docs/robustness.md).
CELLS_PER_AREA = 1.578
"""Footprint quads per unit of integral(1 / h^2 dA), h the mesher's size field."""
CELLS_PER_SEGMENT = 2.326
"""Footprint quads per segment of an outline (disk, rectangle side, domain side), as gmsh divides it."""
CELLS_PER_GRADING = 1.702
"""Footprint quads per outline segment and per unit of ln(2 h / segment length): the rings of small cells that
grade from an outline's short segments up to the mesher's element size 2 h around it."""
NODES_PER_CELL = 1.015
"""Footprint points per footprint quad (median over the calibration meshes of a package)."""
MEMORY_BASE = 330e6
"""Bytes of a run before its mesh (interpreter, numpy/scipy/skfem/gmsh/matplotlib): a 9k-dof run peaked at 354 MB."""
MEMORY_ITERATIVE = (840e6, 1.25)
"""Peak bytes above the base with AMG-CG, for hex8/hex8i: ``a * (dofs / 1e5) ** b``. Measured 457, 840 and 1834 MB
above the base at 62.6k, 100k and 191k dofs (laminate, TAB, reference cases)."""
MEMORY_DIRECT = (2450e6, 1.6)
"""The same for a direct SuperLU solve (fill-in grows faster): 178 and 1158 MB above the base at 19.5k and 62.6k."""
MEMORY_HEX20 = {"amg": 2.5, "direct": 2.0}
"""hex20 over hex8i at equal dofs (denser rows: 3 x 81 couplings instead of 3 x 27): measured 1450 MB at 75k dofs
with AMG, 1550 MB at 49.6k direct."""
MEMORY_PARDISO = 1.3
"""MKL PARDISO over AMG-CG at equal dofs, from the README's measurement of the reference case (3.1 GB at 209k)."""


def memory_model(dofs: float, element: str, solver: str) -> float:
    """Predicted peak bytes of ``api.run`` for a mesh of ``dofs`` unknowns (see the constants above)."""
    a, b = MEMORY_DIRECT if solver == "direct" else MEMORY_ITERATIVE
    excess = a * (max(dofs, 0.0) / 1e5) ** b
    if element == "hex20":
        excess *= MEMORY_HEX20["direct" if solver == "direct" else "amg"]
    if solver == "pardiso":
        excess *= MEMORY_PARDISO
    return MEMORY_BASE + excess


@dataclass
class Estimate:
    """Size of a case's mesh and run, predicted from the layout alone.

    Attributes:
        footprint_cells: quads of the 2D footprint mesh (over the modelled domain).
        element_layers: element layers through the thickness.
        elements, nodes, dofs: of the 3D mesh (dofs: displacement unknowns, 3 per node, plus 3 per edge for hex20).
        memory: predicted peak memory of ``run``, bytes.
        element: element type; solver: the linear solver ``auto`` will pick for this size (or the case's).
    """

    footprint_cells: int
    element_layers: int
    elements: int
    nodes: int
    dofs: int
    memory: int
    element: str
    solver: str
    details: dict = field(default_factory=dict)

    def line(self) -> str:
        return (f"estimate: ~{self.elements:,} {self.element} elements, ~{self.nodes:,} nodes, ~{self.dofs:,} "
                f"dofs, ~{format_bytes(self.memory)} peak memory ({self.footprint_cells:,} footprint cells x "
                f"{self.element_layers} element layers; {self.solver} solver)")


def format_bytes(n: float) -> str:
    """Bytes as a short MB / GB string (10^6, 10^9)."""
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


@dataclass
class FootprintTerms:
    """What the footprint cell count is predicted from, per z-slab of the geometry.

    Each term is a density on a sampling grid, summed over the grid points covered by some part in a slab:
    ``area`` = integral of 1 / h^2 (h: the mesher's size field); ``segments``: the segments gmsh puts on every
    outline, each outline's count spread evenly over a band around it (a disk and a ring of ``feature_size``
    around it; a feature_size-wide band along a rectangle's sides); ``grading``: the same, weighted by
    ln(2 h / segment length).

    Attributes:
        slabs: (n_slabs, 4) the terms per slab; full: (4,) over the whole modelled domain. The fourth term is
            an exact count, used instead of the others when the footprint is one plain rectangle (a laminate),
            which the mesher makes a structured grid.
        grid_spacing: sampling grid spacing, m. n_outlines: outlines in the modelled domain (with the domain).
        points_per_cell: footprint points per quad (exact for a structured rectangle).
    """

    slabs: np.ndarray
    full: np.ndarray
    grid_spacing: float
    n_outlines: int
    points_per_cell: float = NODES_PER_CELL

    @staticmethod
    def cells(terms: np.ndarray) -> np.ndarray:
        """Predicted footprint quads from (..., 4) terms (the fourth is an exact count, see footprint_terms)."""
        return terms @ np.array([CELLS_PER_AREA, CELLS_PER_SEGMENT, CELLS_PER_GRADING, 1.0])


def _size_field(x: np.ndarray, y: np.ndarray, tree, cen: np.ndarray, r_mesh: np.ndarray, size: float,
                feat: float) -> np.ndarray:
    """The mesher's Threshold size field (mesh/footprint.py) at points (m): feature_size within feature_size/2
    of a disk outline, growing linearly to size over 2 (size - feature_size)."""
    if tree is None:
        return np.full(np.shape(x), size)
    k = min(8, len(cen))
    dist, idx = tree.query(np.column_stack([np.ravel(x), np.ravel(y)]), k=k)
    dist, idx = dist.reshape(-1, k), idx.reshape(-1, k)
    d_out = np.min(np.abs(dist - r_mesh[idx]), axis=1)
    d0, d1 = 0.5 * feat, 0.5 * feat + 2.0 * (size - feat)
    t = np.clip((d_out - d0) / max(d1 - d0, 1e-30), 0.0, 1.0)
    return (feat + t * (size - feat)).reshape(np.shape(x))


def _clipped(box: tuple, dom: tuple) -> tuple:
    return (max(box[0], dom[0]), max(box[1], dom[1]), min(box[2], dom[2]), min(box[3], dom[3]))


def _rect_sides(r: Any, dom: tuple[float, float, float, float], is_domain: bool) -> list[tuple[float, float, float]]:
    """(length, x_mid, y_mid) of the sides of rectangle ``r`` that are curves of the footprint, clipped to the
    domain; a side on the domain boundary belongs to the domain's own outline (``is_domain`` keeps them)."""
    bx0, by0, bx1, by1 = r.bbox
    cx0, cy0, cx1, cy1 = max(bx0, dom[0]), max(by0, dom[1]), min(bx1, dom[2]), min(by1, dom[3])
    if cx1 <= cx0 or cy1 <= cy0:
        return []
    eps = 1e-12
    out = []
    for x, lo, hi, edge in ((bx0, cy0, cy1, dom[0]), (bx1, cy0, cy1, dom[2])):
        if cx0 - eps <= x <= cx1 + eps and (is_domain or abs(x - edge) > eps):
            out.append((hi - lo, x, 0.5 * (lo + hi)))
    for y, lo, hi, edge in ((by0, cx0, cx1, dom[1]), (by1, cx0, cx1, dom[3])):
        if cy0 - eps <= y <= cy1 + eps and (is_domain or abs(y - edge) > eps):
            out.append((hi - lo, 0.5 * (lo + hi), y))
    return out


def footprint_terms(geom: Any, size: float, feat: float, circle_segments: int) -> FootprintTerms:
    """Sample the footprint of ``geom`` on a grid finer than its smallest outline (no gmsh); see the class."""
    from .geometry.model import Shape
    from .mesh.footprint import _circle_segments, _equal_area_factor, footprint_shapes

    dom = geom.domain
    x0, y0, x1, y1 = dom
    shapes = footprint_shapes(geom)
    disks = [s for s in shapes if s.kind == "disk"]
    rects = [s for s in shapes if s.kind == "rect"]
    nseg = np.array([_circle_segments(d.a, feat, circle_segments) for d in disks], dtype=float)
    r_mesh = np.array([d.a * _equal_area_factor(int(n)) for d, n in zip(disks, nseg)])
    cen = np.array([[d.cx, d.cy] for d in disks]).reshape(-1, 2)
    tree = None
    if disks:
        from scipy.spatial import cKDTree

        tree = cKDTree(cen)

    # sampling grid: cell centres, spacing below the smallest outline and the feature size
    small = [0.25 * feat, 0.25 * size]
    small += [0.5 * float(r_mesh.min())] if disks else []
    small += [0.5 * min(max(r.a, 1e-9), max(r.b, 1e-9)) for r in rects]
    area = (x1 - x0) * (y1 - y0)
    g = max(min(small), math.sqrt(area / 1e6))  # at most ~1 million samples (~0.2 GB of work arrays)
    # and at most 1000 along a side (a strip-like domain); coarser sampling only blurs the size field
    nx, ny = (max(1, min(1000, int(math.ceil(w / g)))) for w in (x1 - x0, y1 - y0))
    gx, gy = (x1 - x0) / nx, (y1 - y0) / ny
    xs = x0 + (np.arange(nx) + 0.5) * gx
    ys = y0 + (np.arange(ny) + 0.5) * gy
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    X, Y = X.ravel(), Y.ravel()
    h = _size_field(X, Y, tree, cen, r_mesh, size, feat)
    points_per_cell = NODES_PER_CELL
    dens = np.zeros((len(X), 4))
    dom_box = (x0, y0, x1, y1)
    if not disks and all(_clipped(r.bbox, dom) == dom_box for r in rects):
        # one plain rectangle (a laminate): the mesher makes it a structured grid at 2 size, split in four
        mx, my = (math.ceil(w / (2 * size) - 1e-9) for w in (x1 - x0, y1 - y0))
        dens[:, 3] = 4.0 * mx * my / len(X)
        points_per_cell = (2 * mx + 1) * (2 * my + 1) / (4.0 * mx * my)
        rects = []
    else:
        dens[:, 0] = area / (nx * ny) / h**2

    # disks: n transfinite segments of length s; spread over the disk and a feature_size ring around it
    if disks:
        seg_len = 2.0 * np.pi * r_mesh / nseg
        w = np.column_stack([nseg, nseg * np.log(np.maximum(2.0 * feat / seg_len, 1.0)), np.zeros(len(nseg))])
        w *= _domain_fraction(disks, dom)[:, None]
        k = min(8, len(disks))
        dist, idx = tree.query(np.column_stack([X, Y]), k=k)
        dist, idx = dist.reshape(-1, k), idx.reshape(-1, k)
        inside = dist <= (r_mesh + feat)[idx]
        pts, which = np.nonzero(inside)
        owner = idx[pts, which]
        count = np.bincount(owner, minlength=len(disks)).astype(float)
        share = w / np.maximum(count, 1.0)[:, None]
        np.add.at(dens[:, 1:], pts, share[owner])

    # rectangles (and the domain itself): segments of each side at the local size, band along the sides
    outline = Shape.rect(0.5 * (x0 + x1), 0.5 * (y0 + y1), x1 - x0, y1 - y0)
    for r, is_domain in ([(outline, True)] if dens[:, 3].sum() == 0 else []) + [(r, False) for r in rects]:
        sides = _rect_sides(r, dom, is_domain)
        if not sides:
            continue
        L = np.array([s[0] for s in sides])
        hs = _size_field(np.array([s[1] for s in sides]), np.array([s[2] for s in sides]), tree, cen, r_mesh,
                         size, feat)
        segs = np.maximum(1.0, np.ceil(L / (2.0 * hs)))
        shortest = min(max(min(r.a, r.b), 1e-12), float((L / segs).min()))
        wr = np.array([segs.sum(), float((segs * np.log(np.maximum(2.0 * hs / shortest, 1.0))).sum()), 0.0])
        bx0, by0, bx1, by1 = r.bbox
        i0, i1 = np.searchsorted(xs, [bx0 - feat, bx1 + feat])
        j0, j1 = np.searchsorted(ys, [by0 - feat, by1 + feat])
        ii, jj = np.meshgrid(np.arange(i0, i1), np.arange(j0, j1), indexing="ij")
        flat = (ii * ny + jj).ravel()
        px, py = X[flat], Y[flat]
        # distance to the rectangle's boundary (inside or outside)
        dx = np.abs(px - r.cx) - 0.5 * r.a
        dy = np.abs(py - r.cy) - 0.5 * r.b
        outside = np.hypot(np.maximum(dx, 0.0), np.maximum(dy, 0.0))
        d = np.where((dx <= 0) & (dy <= 0), -np.maximum(dx, dy), outside)
        band = flat[d <= 0.5 * feat]
        if len(band):
            dens[band, 1:] += wr / len(band)

    zp = geom.z_planes
    mids = 0.5 * (zp[:-1] + zp[1:])
    masks: dict = {}
    slabs = np.zeros((len(mids), 4))
    for s, zm in enumerate(mids):
        mask = np.zeros(X.shape, dtype=bool)
        for p in geom.prisms:
            if p.z0 < zm < p.z1:
                if p.shape not in masks:
                    masks[p.shape] = p.shape.contains(X, Y)
                mask |= masks[p.shape]
        slabs[s] = dens[mask].sum(axis=0)
    return FootprintTerms(slabs=slabs, full=dens.sum(axis=0), grid_spacing=g, n_outlines=len(shapes) + 1,
                          points_per_cell=points_per_cell)


def estimate(case: Any) -> Estimate:
    """Elements, nodes, dofs and peak memory of ``case`` (validated), without meshing.

    Footprint quads of a region = ``CELLS_PER_AREA * integral(1 / h^2 dA)`` over it, with ``h`` the mesher's own
    size field (``mesh.feature_size`` at bump/via/ball outlines, growing to ``mesh.size`` away from them),
    + for every outline (disk, rectangle, the domain) of n segments as gmsh divides it, the shortest of length s,
    ``n * (CELLS_PER_SEGMENT + CELLS_PER_GRADING * ln(2 h / s))``: the outline's own cells and the rings that
    grade from short segments up to gmsh's element size (see :class:`FootprintTerms`). The element layers are
    exactly those the sweep makes (:func:`fcpkg_fem.mesh.swept.slab_layers`), and each layer holds the cells of
    the footprint covered by some part in its slab. Measured error: docs/robustness.md.
    """
    from .geometry.build import build_geometry
    from .solve.linear import DIRECT_LIMIT, pardiso_available

    mc = case.mesh
    geom = build_geometry(case)
    terms = footprint_terms(geom, float(mc.size), float(mc.feature_size), int(mc.circle_segments))
    slab_cells = terms.cells(terms.slabs)
    per_slab = layers_per_slab(geom, mc.max_layer_thickness, mc.min_elements_per_layer)
    n_layers = float(per_slab.sum())
    elements = float(np.dot(per_slab, slab_cells))
    # node levels: each level carries the points of the larger of the element layers below and above it;
    # inside a slab both are the slab's own cells, between slabs the larger of the two
    padded = np.concatenate([[0.0], slab_cells, [0.0]])
    levels = float(np.dot(per_slab - 1.0, slab_cells) + np.maximum(padded[:-1], padded[1:]).sum())
    nodes = terms.points_per_cell * levels
    if mc.element == "hex20":
        # edges: ~2 in-plane edges per footprint point on each level, 1 vertical per point per layer
        edges = 2.0 * nodes + terms.points_per_cell * elements
        dofs = 3.0 * (nodes + edges)
    else:
        dofs = 3.0 * nodes
    solver = case.solver.linear
    if solver == "auto":
        solver = "direct" if dofs <= DIRECT_LIMIT else ("pardiso" if pardiso_available() else "amg")
    memory = memory_model(dofs, mc.element, solver)
    return Estimate(footprint_cells=int(round(float(terms.cells(terms.full)))),
                    element_layers=int(min(n_layers, 2**62)), elements=int(min(round(elements), 2**62)),
                    nodes=int(min(round(nodes), 2**62)),
                    dofs=int(min(round(dofs), 2**62)), memory=int(min(memory, 2**62)), element=mc.element,
                    solver=solver,
                    details={"grid_spacing_m": terms.grid_spacing, "outlines": terms.n_outlines,
                             "terms": terms.full.tolist()})


def layers_per_slab(geom: Any, max_layer_thickness: float, min_elements: int) -> np.ndarray:
    """(n_slabs,) element layers of each z-slab, as :func:`fcpkg_fem.mesh.swept.slab_layers` makes them, counted
    without building the levels (floats: an absurd case may ask for more layers than an array could hold)."""
    zp = geom.z_planes
    out = np.zeros(max(len(zp) - 1, 0))
    for s in range(len(zp) - 1):
        za, zb = zp[s], zp[s + 1]
        zm = 0.5 * (za + zb)
        n = max(float(min_elements), float(np.ceil((zb - za) / max_layer_thickness - 1e-9)))
        for p in geom.prisms:
            if p.z0 <= zm <= p.z1 and p.region in geom.layer_elements:
                n = max(n, float(geom.layer_elements[p.region]))
        out[s] = n
    return out


def _domain_fraction(disks: list, dom: tuple[float, float, float, float]) -> np.ndarray:
    """(n_disks,) fraction of each disk inside the modelled domain (1, 1/2 or 1/4 for a disk on a symmetry cut)."""
    if not disks:
        return np.zeros(0)
    f = np.ones(len(disks))
    for i, d in enumerate(disks):
        for lo, hi, c in ((dom[0], dom[2], d.cx), (dom[1], dom[3], d.cy)):
            if abs(c - lo) < 1e-12 or abs(c - hi) < 1e-12:
                f[i] *= 0.5
    return f


# ------------------------------------------------------------------------------------------------ preflight


def coarsening_advice(case: Any) -> str:
    """Which fields make the mesh smaller, with their current values."""
    mc = case.mesh
    tips = [f"raise mesh.size (now {mc.size * 1e3:g} mm)",
            f"mesh.feature_size (now {mc.feature_size * 1e6:g} um)",
            f"mesh.max_layer_thickness (now {mc.max_layer_thickness * 1e6:g} um)"]
    if mc.symmetry != "quarter":
        tips.append(f"use mesh.symmetry: quarter (now {mc.symmetry}) if the layout is symmetric")
    if mc.element == "hex20":
        tips.append("use mesh.element: hex8i (about 4x fewer unknowns than hex20 on the same mesh)")
    if mc.min_elements_per_layer > 1 or mc.layer_elements:
        tips.append("lower mesh.min_elements_per_layer / mesh.layer_elements")
    return "; ".join(tips)


def check_memory(case: Any, est: Estimate, force: bool = False, memory: Memory | None = None) -> None:
    """Refuse (InputError on ``mesh.size``) a case whose estimated peak memory exceeds what is available."""
    mem = memory if memory is not None else available_memory()
    if mem is None or force or est.memory <= mem.available:
        return
    raise InputError([Problem(
        "mesh.size",
        f"the case is too large for this machine: {est.line()[len('estimate: '):]}, but only "
        f"{format_bytes(mem.available)} is available ({mem.source}). To coarsen it: {coarsening_advice(case)}. "
        "To run it anyway: --force (command line) or force=True (api.run).")])


def preflight(case: Any, out_dir: str | os.PathLike | None, *, write: bool = True, force: bool = False,
              progress: Callable[[str], None] | None = None) -> Path | None:
    """The checks at the start of a run; nothing is created here.

    1. When the run writes and no ``out_dir`` was chosen by the caller, the case's ``output.dir`` must stay
       inside the current directory (:func:`confine`); ``out_dir`` given by the caller is trusted.
    2. The size estimate is reported through ``progress`` and the run refused when its memory would exceed
       the machine's (:func:`check_memory`), unless ``force``.

    Returns:
        The run folder to use: ``out_dir`` as given, or the confined ``output.dir`` (absolute), or None
        (the caller's default).
    """
    if write and out_dir is None and getattr(case.output, "dir", None):
        out_dir = confine(case.output.dir, Path.cwd(), "output.dir")
    est = estimate(case)
    if progress is not None:
        progress(est.line())
    check_memory(case, est, force=force)
    return None if out_dir is None else Path(out_dir)
