"""The size of a case's mesh, predicted from its geometry alone (no gmsh, no meshing).

:func:`mesh_size` gives footprint cells, element layers, elements, nodes and unknowns in milliseconds, so that a
case too large for the machine is refused before anything is built. The element layers are those the sweep
makes (:func:`fcpkg_fem.mesh.swept.layer_counts`, one rule for both); the footprint cells are predicted from the
mesher's own size field and outline division (:mod:`fcpkg_fem.mesh.footprint`). Measured error:
docs/robustness.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from fcpkg_fem.geometry.model import Geometry, Shape
from fcpkg_fem.mesh.columns import mesh_column_footprint
from fcpkg_fem.mesh.footprint import (
    circle_segments_of,
    equal_area_factor,
    footprint_shapes,
    mesh_footprint,
    outline_distance,
    threshold_size,
)
from fcpkg_fem.mesh.swept import layer_counts

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
    return threshold_size(d_out, size, feat).reshape(np.shape(x))


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
    dom = geom.domain
    shapes = footprint_shapes(geom)
    disks = [s for s in shapes if s.kind == "disk"]
    rects = [s for s in shapes if s.kind == "rect"]
    nseg = np.array([circle_segments_of(d.a, feat, circle_segments) for d in disks], dtype=float)
    r_mesh = np.array([d.a * equal_area_factor(int(n)) for d, n in zip(disks, nseg)])
    cen = np.array([[d.cx, d.cy] for d in disks]).reshape(-1, 2)
    tree = None
    if disks:
        tree = cKDTree(cen)
    g, xs, ys = _sampling_grid(dom, size, feat, r_mesh, rects)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    X, Y = X.ravel(), Y.ravel()
    h = _size_field(X, Y, tree, cen, r_mesh, size, feat)
    points_per_cell = NODES_PER_CELL
    dens = np.zeros((len(X), 4))
    x0, y0, x1, y1 = dom
    if not disks and all(_clipped(r.bbox, dom) == (x0, y0, x1, y1) for r in rects):
        # one plain rectangle (a laminate): the mesher makes it a structured grid at 2 size, split in four
        mx, my = (math.ceil(w / (2 * size) - 1e-9) for w in (x1 - x0, y1 - y0))
        dens[:, 3] = 4.0 * mx * my / len(X)
        points_per_cell = (2 * mx + 1) * (2 * my + 1) / (4.0 * mx * my)
        rects = []
    else:
        dens[:, 0] = (x1 - x0) * (y1 - y0) / (len(xs) * len(ys)) / h**2
    if disks:
        _add_disk_segments(dens, X, Y, disks, tree, r_mesh, nseg, feat, dom)
    # rectangles (and the domain itself): segments of each side at the local size, band along the sides
    outline = Shape.rect(0.5 * (x0 + x1), 0.5 * (y0 + y1), x1 - x0, y1 - y0)
    for r, is_domain in ([(outline, True)] if dens[:, 3].sum() == 0 else []) + [(r, False) for r in rects]:
        _add_rect_segments(dens, X, Y, xs, ys, r, is_domain, dom, (tree, cen, r_mesh, size, feat))
    return FootprintTerms(slabs=_slab_terms(geom, X, Y, dens), full=dens.sum(axis=0), grid_spacing=g,
                          n_outlines=len(shapes) + 1, points_per_cell=points_per_cell)


def _sampling_grid(dom: tuple, size: float, feat: float, r_mesh: np.ndarray,
                   rects: list) -> tuple[float, np.ndarray, np.ndarray]:
    """(spacing, x, y of the cell centres) of a grid finer than the smallest outline and the feature size."""
    x0, y0, x1, y1 = dom
    small = [0.25 * feat, 0.25 * size]
    small += [0.5 * float(r_mesh.min())] if r_mesh.size else []
    small += [0.5 * min(max(r.a, 1e-9), max(r.b, 1e-9)) for r in rects]
    area = (x1 - x0) * (y1 - y0)
    g = max(min(small), math.sqrt(area / 1e6))  # at most ~1 million samples (~0.2 GB of work arrays)
    # and at most 1000 along a side (a strip-like domain); coarser sampling only blurs the size field
    nx, ny = (max(1, min(1000, int(math.ceil(w / g)))) for w in (x1 - x0, y1 - y0))
    gx, gy = (x1 - x0) / nx, (y1 - y0) / ny
    return g, x0 + (np.arange(nx) + 0.5) * gx, y0 + (np.arange(ny) + 0.5) * gy


def _add_disk_segments(dens: np.ndarray, X: np.ndarray, Y: np.ndarray, disks: list, tree, r_mesh: np.ndarray,
                       nseg: np.ndarray, feat: float, dom: tuple) -> None:
    """Disks: n transfinite segments of length s; spread over the disk and a feature_size ring around it."""
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


def _add_rect_segments(dens: np.ndarray, X: np.ndarray, Y: np.ndarray, xs: np.ndarray, ys: np.ndarray, r: Any,
                       is_domain: bool, dom: tuple, field: tuple) -> None:
    """A rectangle's sides: their segments at the local size (``field``: the arguments of ``_size_field`` after
    the points), spread over a feature_size-wide band along the sides."""
    tree, cen, r_mesh, size, feat = field
    sides = _rect_sides(r, dom, is_domain)
    if not sides:
        return
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
    flat = (ii * len(ys) + jj).ravel()
    # distance to the rectangle's boundary (inside or outside)
    d = outline_distance(r, X[flat], Y[flat])
    band = flat[d <= 0.5 * feat]
    if len(band):
        dens[band, 1:] += wr / len(band)


def _slab_terms(geom: Any, X: np.ndarray, Y: np.ndarray, dens: np.ndarray) -> np.ndarray:
    """(n_slabs, 4): the terms summed over the grid points some part covers in each z-slab."""
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
    return slabs


@dataclass
class MeshSize:
    """Predicted size of a case's 3D mesh.

    Attributes:
        footprint_cells: quads of the 2D footprint mesh (over the modelled domain).
        element_layers: element layers through the thickness.
        elements, nodes, dofs: of the 3D mesh (dofs: displacement unknowns, 3 per node, plus 3 per edge for hex20).
        details: grid spacing (m), outline count and the footprint terms, for diagnosis.
    """

    footprint_cells: int
    element_layers: int
    elements: int
    nodes: int
    dofs: int
    details: dict = field(default_factory=dict)


def mesh_size(geom: Geometry, mesh_spec: Any) -> MeshSize:
    """Elements, nodes and dofs of ``geom`` meshed with ``mesh_spec`` (a case's ``mesh`` section), without meshing.

    Footprint quads of a region = ``CELLS_PER_AREA * integral(1 / h^2 dA)`` over it, with ``h`` the mesher's own
    size field (``mesh.feature_size`` at bump/via/ball outlines, growing to ``mesh.size`` away from them),
    + for every outline (disk, rectangle, the domain) of n segments as gmsh divides it, the shortest of length s,
    ``n * (CELLS_PER_SEGMENT + CELLS_PER_GRADING * ln(2 h / s))``: the outline's own cells and the rings that
    grade from short segments up to gmsh's element size (see :class:`FootprintTerms`). Each element layer holds
    the cells of the footprint covered by some part in its slab.
    """
    mc = mesh_spec
    terms = footprint_terms(geom, float(mc.size), float(mc.feature_size), int(mc.circle_segments))
    slab_cells = terms.cells(terms.slabs)
    per_slab = layer_counts(geom, mc.max_layer_thickness, mc.min_elements_per_layer)
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
    big = 2**62  # an absurd case may ask for more than an integer array could count
    if geom.interconnect == "column" and terms.cells(terms.full) <= COLUMN_EXACT_CELLS:
        return _column_size(geom, mc, per_slab)
    return MeshSize(footprint_cells=int(round(float(terms.cells(terms.full)))),
                    element_layers=int(min(n_layers, big)), elements=int(min(round(elements), big)),
                    nodes=int(min(round(nodes), big)), dofs=int(min(round(dofs), big)),
                    details={"grid_spacing_m": terms.grid_spacing, "outlines": terms.n_outlines,
                             "terms": terms.full.tolist(), "slabs": _slab_shares(geom, per_slab, slab_cells)})


COLUMN_EXACT_CELLS = 5e6
"""A ``column`` model whose resolved footprint would have at most this many cells is counted exactly (its footprint
meshed: seconds); above, the resolved prediction stands as an upper bound (the columns replace each disk's rings
of cells by one quad: 3.0x fewer unknowns on the reference layout, docs/benchmarks.md)."""

_COLUMN_CACHE: dict = {}


def _column_size(geom: Geometry, mc: Any, per_slab: np.ndarray) -> MeshSize:
    """The exact size of a ``mesh.interconnect: column`` model: its footprint meshed by the column mesher (kept for
    the next call with the same outlines and sizes) and counted as the sweep builds it, without the 3D mesh:
    elements, nodes and, for hex20, edges (a vertical one per point and layer, the cells' sides on each level). The
    resolved prediction's constants are fitted to the resolved mesher, whose disks carry rings of cells the
    columns do not have (measured: 313,888 unknowns predicted for 89,664 of the default-mesh reference_reflow)."""
    key = (geom.domain, float(mc.size), float(mc.feature_size), tuple(footprint_shapes(geom)))
    fp = _COLUMN_CACHE.get(key)
    if fp is None:
        _COLUMN_CACHE.clear()  # one footprint kept: a batch of variants must not accumulate them
        fp = _COLUMN_CACHE[key] = mesh_column_footprint(geom, float(mc.size), float(mc.feature_size))
    return swept_size(geom, mc, per_slab, fp, {"column_footprint": "meshed"})


def exact_mesh_size(geom: Geometry, mesh_spec: Any) -> MeshSize:
    """The exact size of ``geom`` meshed with ``mesh_spec``: its footprint meshed (by the mesher the run uses,
    seconds where the 3D mesh and its solve take minutes) and counted as the sweep builds it. For a refusal that
    must not rest on :func:`mesh_size`'s prediction, which overshoots very fine meshes (docs/robustness.md)."""
    mc = mesh_spec
    per_slab = layer_counts(geom, mc.max_layer_thickness, mc.min_elements_per_layer)
    if geom.interconnect == "column":
        return _column_size(geom, mc, per_slab)
    fp = mesh_footprint(geom, float(mc.size), float(mc.feature_size), circle_segments=int(mc.circle_segments))
    return swept_size(geom, mc, per_slab, fp, {"footprint": "meshed"})


def swept_size(geom: Geometry, mc: Any, per_slab: np.ndarray, fp: Any, details: dict) -> MeshSize:
    """Elements, nodes and dofs of footprint ``fp`` (quads, ``quads_inside``) swept through ``geom``'s slabs with
    ``per_slab`` element layers each, as :mod:`fcpkg_fem.mesh.swept` builds it, without building it."""
    zp = geom.z_planes
    mid = 0.5 * (zp[:-1] + zp[1:])
    owned = np.zeros((len(mid), len(fp.quads)), dtype=bool)
    for p in geom.prisms:
        slabs = np.nonzero((mid > p.z0) & (mid < p.z1))[0]
        if len(slabs):
            owned[np.ix_(slabs, fp.quads_inside(p.shape))] = True
    cells = owned.sum(axis=1).astype(float)
    elements = float(np.dot(per_slab, cells))
    q = fp.quads
    sides = np.sort(np.stack([q, np.roll(q, -1, axis=1)], axis=2).reshape(-1, 2), axis=1)  # (4 n_quads, 2)
    pts = [np.unique(q[o]) for o in owned]  # the points each slab's cells use
    eds = [np.unique(sides.reshape(-1, 4, 2)[o].reshape(-1, 2), axis=0) for o in owned]  # and their sides
    nodes = edges = 0.0
    for s in range(len(pts)):
        nodes += (per_slab[s] - 1.0) * len(pts[s])  # levels inside a slab: its points, its in-plane edges,
        edges += (per_slab[s] - 1.0) * len(eds[s]) + per_slab[s] * len(pts[s])  # a vertical edge per point and layer
    for s in range(len(pts) + 1):  # a level between slabs carries the points and edges of both
        below, above = s - 1 >= 0, s < len(pts)
        nodes += len(np.union1d(pts[s - 1] if below else [], pts[s] if above else []))
        edges += len(np.unique(np.concatenate([eds[s - 1] if below else np.zeros((0, 2), int),
                                               eds[s] if above else np.zeros((0, 2), int)]), axis=0))
    dofs = 3.0 * (nodes + edges) if mc.element == "hex20" else 3.0 * nodes
    return MeshSize(footprint_cells=int(len(fp.quads)), element_layers=int(per_slab.sum()),
                    elements=int(round(elements)), nodes=int(round(nodes)), dofs=int(round(dofs)),
                    details={**details, "slabs": _slab_shares(geom, per_slab, cells)})


def _slab_shares(geom: Geometry, per_slab: np.ndarray, slab_cells: np.ndarray) -> list[dict]:
    """Per z-slab: bounds (m), element layers, predicted elements and the regions in it, for telling a user which
    part makes a model large."""
    zp = geom.z_planes
    out = []
    for s in range(len(zp) - 1):
        zm = 0.5 * (zp[s] + zp[s + 1])
        regions = sorted({p.region for p in geom.prisms if p.z0 <= zm <= p.z1})
        out.append({"z0": float(zp[s]), "z1": float(zp[s + 1]), "layers": float(per_slab[s]),
                    "elements": float(per_slab[s] * slab_cells[s]), "regions": regions})
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
