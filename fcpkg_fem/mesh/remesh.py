"""Local models meshed afresh in their box: fine where the joint is, without refining the whole box.

:func:`fcpkg_fem.mesh.submesh.extract` subdivides every element cut out of the global mesh, so the joint's
in-plane resolution costs the whole box the same factor. Here the box is meshed on its own instead: the global
:class:`~fcpkg_fem.geometry.model.Geometry` restricted to the box's window (``Geometry.window``), its footprint
meshed by the global mesher at a local ``feature_size`` next to every disk outline in the window and ``size``
away from them, and swept with the joint's slab split at the planes of the graded pad layers (the same planes as
:class:`~fcpkg_fem.mesh.submesh.Refinement`'s). Region names, item ids and materials are the global ones.
Interconnect is always resolved here: a global ``column`` model gets resolved local joints (the columns have the
disks' areas and centres).

The local mesh does not conform to the global one, so each local node is located in the global mesh: the global
element that contains it (its layer by z, then the footprint quad by inverting the element's bilinear map in
plane; a swept element's z depends on its third reference coordinate alone) and its reference coordinates there.
The global field is then interpolated with that element's trilinear shape functions
(:meth:`~fcpkg_fem.mesh.submesh.Submesh.interpolation`), exact for any field the global element represents. A
local node that lies in no global element (where the finer polygon of a disk reaches past the global one into a
void, e.g. between balls) takes the nearest element at its clamped reference point; the largest such distance is
:attr:`Submesh.stats` ``outside_m``. The recorded global elements are every element whose bounding box meets the
box (:func:`window_elements`), which holds every point of the window.

Units: m.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from ..errors import InputError
from ..geometry.model import Geometry, Shape
from .footprint import mesh_footprint
from .submesh import REF, Box, JointShape, Submesh, _joint_planes, _local_pmesh, shape_joint
from .swept import PackageMesh, sweep

#: the bottom vertices of a MeshHex1 element (REF[:, 2] == 0) in the order (0, 0), (0, 1), (1, 0), (1, 1)
BOTTOM = np.nonzero(REF[:, 2] == 0)[0]


@dataclass(frozen=True)
class LocalMesh:
    """A local model meshed afresh: element size ``feature_size`` (m) at the disk outlines in its box (the joint,
    its neighbours, vias) and ``size`` (m) away from them; ``joint_elements`` element layers through the joint,
    with a node plane ``pad_layer`` (m) from each pad as :class:`~fcpkg_fem.mesh.submesh.Refinement` places it;
    ``shape``: the joint's :class:`~fcpkg_fem.mesh.submesh.JointShape` (None: the disk)."""

    feature_size: float
    size: float
    joint_elements: int = 4
    pad_layer: float = 25.4e-6
    shape: JointShape | None = None

    def __post_init__(self) -> None:
        for name in ("feature_size", "size"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise InputError.single(f"submodel.local_mesh.{name}", f"must be a length > 0, got {v!r}")
        if self.size < self.feature_size:
            raise InputError.single("submodel.local_mesh.size", f"{self.size!r} m is finer than feature_size "
                                    f"{self.feature_size!r} m: size is the element size away from the outlines")
        if int(self.joint_elements) != self.joint_elements or self.joint_elements < 1:
            raise InputError.single("submodel.local_mesh.joint_elements",
                                    f"must be a whole number >= 1, got {self.joint_elements!r}")


def snapped(pmesh: PackageMesh, box: Box) -> Box:
    """``box`` with its z extent widened to the global mesh's node levels at or beyond it (a local model's layers
    outside the joint's slab are the global ones, so its top and bottom are global levels)."""
    lev = pmesh.z_levels
    tol = 1e-9 * float(np.ptp(lev))
    lo, hi = box.lo.copy(), box.hi.copy()
    lo[2] = float(lev[lev <= lo[2] + tol].max(initial=lev[0]))
    hi[2] = float(lev[lev >= hi[2] - tol].min(initial=lev[-1]))
    return dataclasses.replace(box, lo=lo, hi=hi)


def window_elements(pmesh: PackageMesh, box: Box) -> np.ndarray:
    """(n,) ascending global elements whose bounding box meets the :func:`snapped` ``box`` (closed): they hold
    every point of it."""
    box = snapped(pmesh, box)
    m = pmesh.mesh
    tol = 1e-9 * float(np.ptp(m.p, axis=1).max())
    X = m.p[:, m.t]  # (3, 8, n_el)
    lo, hi = X.min(axis=1), X.max(axis=1)
    return np.nonzero(np.all((hi >= box.lo[:, None] - tol) & (lo <= box.hi[:, None] + tol), axis=0))[0]


def window_cut_vertices(pmesh: PackageMesh, box: Box, els: np.ndarray | None = None) -> np.ndarray:
    """(n,) ascending: the vertices of the :func:`window_elements` ``els`` that meet a side of the :func:`snapped`
    ``box`` lying inside the model (a side on the model's own boundary is not cut). A local model meshed afresh in
    the box is driven on those sides, and each of its nodes there lies in one of these elements."""
    box = snapped(pmesh, box)
    m = pmesh.mesh
    els = window_elements(pmesh, box) if els is None else els
    tol = 1e-9 * float(np.ptp(m.p, axis=1).max())
    X = m.p[:, m.t[:, els]]  # (3, 8, n)
    lo, hi = X.min(axis=1), X.max(axis=1)
    mlo, mhi = m.p.min(axis=1), m.p.max(axis=1)
    meets = np.zeros(len(els), dtype=bool)
    for d in range(3):
        if box.lo[d] > mlo[d] + tol:
            meets |= lo[d] <= box.lo[d] + tol
        if box.hi[d] < mhi[d] - tol:
            meets |= hi[d] >= box.hi[d] - tol
    return np.unique(m.t[:, els[meets]])


def remesh(pmesh: PackageMesh, box: Box, local: LocalMesh, max_layer_thickness: float, min_elements: int = 1,
           circle_segments: int = 4, progress=None) -> Submesh:
    """The local model of ``box`` (around joint ``box.region``, ``box.item``) meshed afresh (module docstring).

    Args:
        pmesh: the global mesh (its ``geometry`` is restricted to the box).
        max_layer_thickness, min_elements, circle_segments: the global case's ``mesh`` settings, as they apply
            outside the joint's slab.

    Raises:
        InputError: the box does not hold the whole joint (``submodel.box_pitches``), or the shape does not fit.
    """
    geom = resolved(pmesh.geometry)
    m = pmesh.mesh
    box = snapped(pmesh, box)
    ri = pmesh.region_names.index(box.region)
    jel = np.nonzero((pmesh.cell_region == ri) & (pmesh.cell_item == box.item))[0]
    jz = m.p[2, m.t[:, jel]]
    zb, zt = float(jz.min()), float(jz.max())
    prism = next(p for p in geom.prisms if p.region == box.region and p.item == box.item)
    x0, y0, x1, y1 = prism.shape.bbox
    tol = 1e-9 * (zt - zb)
    dom = geom.domain
    if (max(x0, dom[0]) < box.lo[0] - tol or max(y0, dom[1]) < box.lo[1] - tol or x1 > box.hi[0] + tol
            or y1 > box.hi[1] + tol):
        raise InputError.single("submodel.box_pitches", f"the box around {box.region} id {box.item} does not "
                                "hold the whole joint: give a larger box_pitches")
    if zb < box.lo[2] - tol or zt > box.hi[2] + tol:
        raise InputError.single("submodel.z_margin", f"the box around {box.region} id {box.item} does not hold the "
                                f"joint's height ({zb * 1e3:.4g}-{zt * 1e3:.4g} mm)")
    n = int(local.joint_elements)
    if local.pad_layer > 0.0 and n > 1:
        planes = _joint_planes(np.array([zb, zt]), n, float(local.pad_layer))
    else:
        planes = zb + (zt - zb) * np.arange(n + 1) / n
    # the joint's slab takes these planes (and more only where max_layer_thickness is thinner than an interval,
    # as in the global model): no region in it asks for more layers
    in_slab = {p.region for p in geom.prisms if p.z0 < zt - tol and p.z1 > zb + tol}
    gw = dataclasses.replace(geom, window=(float(box.lo[0]), float(box.lo[1]), float(box.hi[0]), float(box.hi[1])),
                             extra_planes=tuple(float(z) for z in planes[1:-1]),
                             layer_elements={k: v for k, v in geom.layer_elements.items() if k not in in_slab})
    fp = mesh_footprint(gw, float(local.size), float(local.feature_size), progress, circle_segments=circle_segments)
    full = sweep(gw, fp, max_layer_thickness, min_elements, partial=True)
    # the box's height: the elements between its (global) levels
    zc = full.mesh.p[2, full.mesh.t].mean(axis=0)
    keep = np.nonzero((zc > box.lo[2]) & (zc < box.hi[2]))[0]
    used, t_local = np.unique(full.mesh.t[:, keep].T, return_inverse=True)
    lp = _local_pmesh(dataclasses.replace(full, geometry=geom), full.mesh.p[:, used].T,
                      t_local.reshape(-1, 8), keep, box)
    lm = lp.mesh
    els = window_elements(pmesh, box)
    node_parent, node_xi, outside = locate(pmesh, els, lm.p.T)
    parent, _, _ = locate(pmesh, els, lm.p[:, lm.t].mean(axis=1).T)
    cut = _cut_nodes(lm.p, box, geom.domain, (float(pmesh.z_levels[0]), float(pmesh.z_levels[-1])))
    lp.stats.update(remeshed=True, outside_m=float(outside[cut].max(initial=0.0)), footprint_cells=int(len(fp.quads)))
    sub = Submesh(lp, box, els, parent, node_parent, node_xi, np.full(lm.nvertices, -1, dtype=np.int64), cut,
                  np.unique(m.t[:, els]), _layers_between(lp.z_levels, zb, zt), m.t)
    if local.shape is not None and local.shape.kind != "disk":
        shape_joint(sub, local.shape)
    return sub


def _layers_between(levels: np.ndarray, zb: float, zt: float) -> int:
    """Element layers between the node levels ``zb`` and ``zt`` (m) of ``levels``."""
    tol = 1e-9 * (zt - zb)
    return int(np.count_nonzero((levels > zb + tol) & (levels < zt - tol))) + 1


def resolved(geom: Geometry) -> Geometry:
    """``geom`` with its joints as disks: a ``column`` geometry's square joints (bumps, vias and their fill, balls:
    the items, side sqrt(pi) r) turned back into the disks of their area; a resolved geometry unchanged."""
    if geom.interconnect != "column":
        return geom
    prisms = []
    for p in geom.prisms:
        sh = p.shape
        if p.item >= 0 and sh.kind == "rect" and abs(sh.a - sh.b) <= 1e-12 * sh.a:
            p = dataclasses.replace(p, shape=Shape.disk(sh.cx, sh.cy, sh.a / np.sqrt(np.pi)))
        prisms.append(p)
    return dataclasses.replace(geom, prisms=tuple(prisms), interconnect="resolved")


def _cut_nodes(p: np.ndarray, box: Box, domain, z_extent: tuple[float, float]) -> np.ndarray:
    """Local nodes on the box's faces that lie inside the global model (not on its free faces or symmetry
    planes): the faces the global displacement drives. ``domain``: the global (xmin, ymin, xmax, ymax);
    ``z_extent``: the global bottom and top, m."""
    span = 1e-9 * float(np.ptp(p, axis=1).max())
    lo_g = (domain[0], domain[1], z_extent[0])
    hi_g = (domain[2], domain[3], z_extent[1])
    on = np.zeros(p.shape[1], dtype=bool)
    for ax in range(3):
        if box.lo[ax] > lo_g[ax] + span:
            on |= np.abs(p[ax] - box.lo[ax]) < span
        if box.hi[ax] < hi_g[ax] - span:
            on |= np.abs(p[ax] - box.hi[ax]) < span
    return np.nonzero(on)[0]


def locate(pmesh: PackageMesh, els: np.ndarray, pts: np.ndarray, k: int = 8) \
        -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the points ``pts`` (n, 3) m lie in the global elements ``els`` (ascending).

    Returns:
        (index into ``els`` (n,), reference coordinates (n, 3) in [0, 1]^3 (:data:`REF` axes), distance (n,) m from
        the point to the element's clamped reference point: 0 inside, round-off on a face).
    """
    m = pmesh.mesh
    t = m.t[:, els]
    zlo, zhi = m.p[2, t[0]], m.p[2, t[1]]
    levels = np.unique(zlo)
    lay_el = np.searchsorted(levels, zlo)
    lay_pt = np.clip(np.searchsorted(levels, pts[:, 2], side="right") - 1, 0, len(levels) - 1)
    # a point above the top level of its column, or exactly on a level: the layer below may be the one that holds
    # it (the last layer; a void above). Try the layer found, then the one below.
    idx = np.full(len(pts), -1, dtype=np.int64)
    xi = np.zeros((len(pts), 3))
    dist = np.full(len(pts), np.inf)
    XY = m.p[:2, t[BOTTOM]]  # (2, 4, n_els)
    cxy = XY.mean(axis=1).T
    for shift in (0, -1):
        todo = np.nonzero(dist > 0)[0]
        lp = np.clip(lay_pt[todo] + shift, 0, len(levels) - 1)
        for L in np.unique(lp):
            cand_all = np.nonzero(lay_el == L)[0]
            if len(cand_all) == 0:
                continue
            pi = todo[lp == L]
            kk = min(k, len(cand_all))
            _, nn = cKDTree(cxy[cand_all]).query(pts[pi, :2], k=kk)
            cand = cand_all[np.asarray(nn).reshape(len(pi), kk)]
            ab, d = _inverse_bilinear(XY[:, :, cand], pts[pi, :2])
            miss = d.min(axis=1) > 0
            if miss.any():  # a large element beside small ones: its centre is not among the nearest; try all
                wide = np.broadcast_to(cand_all, (int(miss.sum()), len(cand_all)))
                ab_w, d_w = _inverse_bilinear(XY[:, :, wide], pts[pi[miss], :2])
                take = d_w.min(axis=1) < d[miss].min(axis=1)
                rows = np.nonzero(miss)[0][take]
                j = np.argmin(d_w[take], axis=1)
                cand[rows, 0], ab[rows, 0], d[rows, 0] = wide[take, j], ab_w[take, j], d_w[take, j]
            best = np.argmin(d, axis=1)
            r = np.arange(len(pi))
            e = cand[r, best]
            zeta = np.clip((pts[pi, 2] - zlo[e]) / (zhi[e] - zlo[e]), 0.0, 1.0)
            dz = np.abs(zlo[e] + zeta * (zhi[e] - zlo[e]) - pts[pi, 2])
            dd = np.hypot(d[r, best], dz)
            better = dd < dist[pi]
            sel = pi[better]
            idx[sel] = e[better]
            xi[sel, :2] = ab[r, best][better]
            xi[sel, 2] = zeta[better]
            dist[sel] = dd[better]
    scale = float(np.ptp(m.p, axis=1).max())
    dist[dist < 1e-12 * scale] = 0.0
    return idx, xi, dist


def _inverse_bilinear(XY: np.ndarray, p: np.ndarray, iterations: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Reference coordinates of points ``p`` (n, 2) in candidate quads ``XY`` (2, 4, n, k) (vertices in
    :data:`BOTTOM` order), clamped to [0, 1]^2, and the distance (n, k) m from each point to its clamped image.
    Newton's method from the centre; a swept element's quads are convex, where it converges."""
    X = XY[0], XY[1]  # (4, n, k) each
    # x(a, b) = c0 + c1 a + c2 b + c3 a b with the vertices (0,0), (0,1), (1,0), (1,1)
    c = [np.stack([v[0], v[2] - v[0], v[1] - v[0], v[0] - v[1] - v[2] + v[3]]) for v in X]  # 2 x (4, n, k)
    px, py = p[:, 0][:, None], p[:, 1][:, None]
    a = np.full(px.shape[:1] + XY.shape[3:], 0.5)
    b = a.copy()
    for _ in range(iterations):
        fx = c[0][0] + c[0][1] * a + c[0][2] * b + c[0][3] * a * b - px
        fy = c[1][0] + c[1][1] * a + c[1][2] * b + c[1][3] * a * b - py
        j11, j12 = c[0][1] + c[0][3] * b, c[0][2] + c[0][3] * a
        j21, j22 = c[1][1] + c[1][3] * b, c[1][2] + c[1][3] * a
        det = j11 * j22 - j12 * j21
        det = np.where(np.abs(det) > 0, det, 1.0)
        a, b = a - (j22 * fx - j12 * fy) / det, b - (j11 * fy - j21 * fx) / det
        a, b = np.clip(a, -0.5, 1.5), np.clip(b, -0.5, 1.5)
    a, b = np.clip(a, 0.0, 1.0), np.clip(b, 0.0, 1.0)
    x = c[0][0] + c[0][1] * a + c[0][2] * b + c[0][3] * a * b
    y = c[1][0] + c[1][1] * a + c[1][2] * b + c[1][3] * a * b
    return np.stack([a, b], axis=-1), np.hypot(x - px, y - py)
