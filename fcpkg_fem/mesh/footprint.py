"""The 2D footprint: one conformal all-quadrilateral mesh of every outline of the package (gmsh).

Every rectangle and disk of every prism is fragmented into one planar partition, so that each footprint
cell lies wholly inside or wholly outside each outline; the mesher then sweeps it through the z-slabs.
gmsh works in mm here (its geometric tolerances are absolute); coordinates come back in m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MeshError
from ..geometry.model import Geometry, Shape

_MM = 1e3  # m -> mm for gmsh


@dataclass(frozen=True)
class Footprint:
    """An all-quad 2D mesh.

    Attributes:
        points: (n_points, 2) in m.
        quads: (n_quads, 4) counter-clockwise point indices.
    """

    points: np.ndarray
    quads: np.ndarray

    @property
    def centroids(self) -> np.ndarray:
        """(n_quads, 2) quad centroids in m."""
        return self.points[self.quads].mean(axis=1)


def _distinct_shapes(geom: Geometry) -> list[Shape]:
    seen: dict[tuple, Shape] = {}
    for p in geom.prisms:
        s = p.shape
        key = (s.kind, round(s.cx, 10), round(s.cy, 10), round(s.a, 10), round(s.b, 10))
        seen.setdefault(key, s)
    return list(seen.values())


def _clip_to_domain(s: Shape, dom: tuple[float, float, float, float]) -> bool:
    """True if the shape reaches into the modelled domain (after a symmetry cut)."""
    x0, y0, x1, y1 = s.bbox
    return x1 > dom[0] + 1e-12 and y1 > dom[1] + 1e-12 and x0 < dom[2] - 1e-12 and y0 < dom[3] - 1e-12


def mesh_footprint(geom: Geometry, size: float, feature_size: float, progress=None) -> Footprint:
    """Mesh the footprint of ``geom`` with quadrilaterals.

    Args:
        geom: the structure; its symmetry decides the modelled domain.
        size: target element size far from features, m.
        feature_size: target element size at disk outlines (bumps, vias, balls), m.
        progress: optional callable(str) for progress messages.

    Returns:
        The footprint mesh. Deterministic for the same input (single-threaded gmsh, fixed options).
    """
    import gmsh

    dom = geom.domain
    size, feature_size = 2.0 * size, 2.0 * feature_size  # gmsh sizes before the split into quads (below)
    shapes = [s for s in _distinct_shapes(geom) if _clip_to_domain(s, dom)]
    if progress:
        progress(f"footprint: {len(shapes)} outlines")
    own = not gmsh.isInitialized()
    if own:
        gmsh.initialize(readConfigFiles=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.option.setNumber("Mesh.MaxNumThreads2D", 1)
        gmsh.model.add("footprint")
        occ = gmsh.model.occ
        x0, y0, x1, y1 = dom
        box = occ.addRectangle(x0 * _MM, y0 * _MM, 0, (x1 - x0) * _MM, (y1 - y0) * _MM)
        tools = []
        for s in shapes:
            if s.kind == "rect":
                bx0, by0, bx1, by1 = s.bbox
                tools.append((2, occ.addRectangle(bx0 * _MM, by0 * _MM, 0, s.a * _MM, s.b * _MM)))
            else:
                r = s.a * _equal_area_factor(_circle_segments(s.a, feature_size))
                tools.append((2, occ.addDisk(s.cx * _MM, s.cy * _MM, 0, r * _MM, r * _MM)))
        try:
            occ.fragment([(2, box)], tools)
        except Exception as exc:  # gmsh raises a bare Exception with its own text
            raise MeshError(f"footprint: gmsh could not intersect the {len(shapes)} part outlines ({exc})") from exc
        occ.synchronize()
        # drop what lies outside the modelled domain (parts cut by a symmetry plane)
        outside = []
        for dim, tag in gmsh.model.getEntities(2):
            cx, cy, _ = occ.getCenterOfMass(dim, tag)
            if not (x0 * _MM - 1e-9 <= cx <= x1 * _MM + 1e-9 and y0 * _MM - 1e-9 <= cy <= y1 * _MM + 1e-9):
                outside.append((dim, tag))
        if outside:
            occ.remove(outside, recursive=True)
            occ.synchronize()

        # mesh size: fine at the disk outlines, graded to `size` away from them
        disk_curves = []
        for dim, tag in gmsh.model.getEntities(1):
            xmin, ymin, _, xmax, ymax, _ = gmsh.model.getBoundingBox(dim, tag)
            if max(xmax - xmin, ymax - ymin) <= 2.05 * _max_disk_radius(shapes) * _MM and _is_curved(tag):
                disk_curves.append(tag)
        _fix_circle_segments(shapes, feature_size)
        gmsh.option.setNumber("Mesh.MeshSizeMax", size * _MM)
        gmsh.option.setNumber("Mesh.MeshSizeMin", 0.5 * feature_size * _MM)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
        # a disk gets at least MIN_CIRCLE_SEGMENTS segments; finer only where feature_size asks for it
        gmsh.option.setNumber("Mesh.MinimumCirclePoints", MIN_CIRCLE_SEGMENTS)
        gmsh.option.setNumber("Mesh.MinimumCurvePoints", 2)
        if disk_curves:
            f_dist = gmsh.model.mesh.field.add("Distance")
            gmsh.model.mesh.field.setNumbers(f_dist, "CurvesList", disk_curves)
            gmsh.model.mesh.field.setNumber(f_dist, "Sampling", 40)
            f_thr = gmsh.model.mesh.field.add("Threshold")
            gmsh.model.mesh.field.setNumber(f_thr, "InField", f_dist)
            gmsh.model.mesh.field.setNumber(f_thr, "SizeMin", feature_size * _MM)
            gmsh.model.mesh.field.setNumber(f_thr, "SizeMax", size * _MM)
            gmsh.model.mesh.field.setNumber(f_thr, "DistMin", 0.5 * feature_size * _MM)
            gmsh.model.mesh.field.setNumber(f_thr, "DistMax", 0.5 * feature_size * _MM + 2.0 * (size - feature_size) * _MM)
            gmsh.model.mesh.field.setAsBackgroundMesh(f_thr)
        else:
            f_const = gmsh.model.mesh.field.add("MathEval")
            gmsh.model.mesh.field.setString(f_const, "F", f"{size * _MM}")
            gmsh.model.mesh.field.setAsBackgroundMesh(f_const)
        gmsh.option.setNumber("Mesh.Algorithm", 8)  # frontal-Delaunay for quads
        gmsh.option.setNumber("Mesh.RecombineAll", 1)
        # blossom recombination leaves a few triangles; _split_to_quads then splits every element into quads
        # (all-quad for any boundary, where full-quad recombination needs an even number of segments round
        # every face). The split halves edge lengths, so the size field asks for twice the target size.
        # gmsh's own subdivision is not used: it snaps new boundary nodes onto the circles, which inverts
        # quads when a circle has few segments; our split keeps them on the chords.
        gmsh.option.setNumber("Mesh.RecombinationAlgorithm", 1)
        gmsh.option.setNumber("Mesh.Smoothing", 5)
        gmsh.option.setNumber("Mesh.RandomSeed", 1)
        if progress:
            progress("footprint: meshing")
        try:
            gmsh.model.mesh.generate(2)
        except Exception as exc:
            raise MeshError(f"footprint: 2D meshing failed ({exc}); try a larger mesh.feature_size") from exc

        tags, coords, _ = gmsh.model.mesh.getNodes()
        types, _, conns = gmsh.model.mesh.getElements(2)
        pts = coords.reshape(-1, 3)[:, :2] / _MM
        index = np.full(int(tags.max()) + 1, -1, dtype=np.int64)
        index[tags.astype(np.int64)] = np.arange(len(tags))
        quads = np.zeros((0, 4), dtype=np.int64)
        tris = np.zeros((0, 3), dtype=np.int64)
        for etype, conn in zip(types, conns):
            if etype == 3:  # 4-node quadrangle
                quads = np.vstack([quads, index[conn.astype(np.int64)].reshape(-1, 4)])
            elif etype == 2:  # 3-node triangle
                tris = np.vstack([tris, index[conn.astype(np.int64)].reshape(-1, 3)])
        pts, quads = _split_to_quads(pts, tris, quads)
    finally:
        gmsh.model.remove()
        if own:
            gmsh.finalize()

    # keep only used points, orient every quad counter-clockwise
    used = np.unique(quads)
    remap = np.full(len(pts), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    pts = pts[used]
    quads = remap[quads]
    p = pts[quads]
    area2 = np.sum(p[:, :, 0] * np.roll(p[:, :, 1], -1, axis=1) - np.roll(p[:, :, 0], -1, axis=1) * p[:, :, 1], axis=1)
    quads[area2 < 0] = quads[area2 < 0][:, ::-1]
    # snap the symmetry planes exactly (gmsh returns them to round-off)
    for k, v in ((0, dom[0]), (1, dom[1]), (0, dom[2]), (1, dom[3])):
        near = np.abs(pts[:, k] - v) < 1e-9
        pts[near, k] = v
    return Footprint(points=pts, quads=quads)


MIN_CIRCLE_SEGMENTS = 6


def _circle_segments(r: float, seg_length: float) -> int:
    """Segments on a full circle of radius r (m) for a gmsh segment length ``seg_length`` (m); at least
    MIN_CIRCLE_SEGMENTS."""
    return max(MIN_CIRCLE_SEGMENTS, int(np.ceil(2 * np.pi * r / seg_length)))


def _equal_area_factor(n: int) -> float:
    """Radius factor that gives an inscribed regular n-gon the area of the circle: a circle meshed with n
    straight segments loses (1 - sin(2 pi/n) n / 2 pi) of its area (17 % for n = 6), and bump and via
    stiffness scale with the cross-section. Region membership still uses the true radius, which lies
    between the polygon's chords and its vertices."""
    t = 2 * np.pi / n
    return float(np.sqrt(t / np.sin(t)))


def _split_to_quads(pts: np.ndarray, tris: np.ndarray, quads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split each quad into 4 and each triangle into 3 quads (edge midpoints on the straight edges + centroid)."""
    edges = np.vstack([np.sort(np.stack([q, np.roll(q, -1, axis=1)], -1).reshape(-1, 2), axis=1)
                       for q in (quads, tris) if len(q)])
    uniq, inv = np.unique(edges, axis=0, return_inverse=True)
    inv = inv.ravel()
    n0 = len(pts)
    mids = 0.5 * (pts[uniq[:, 0]] + pts[uniq[:, 1]])
    nq, nt = len(quads), len(tris)
    eq = inv[: 4 * nq].reshape(nq, 4) + n0  # midpoint of edge (i, i+1) of each quad
    et = inv[4 * nq:].reshape(nt, 3) + n0
    cq = n0 + len(uniq) + np.arange(nq)
    ct = n0 + len(uniq) + nq + np.arange(nt)
    new_pts = np.vstack([pts, mids, pts[quads].mean(axis=1), pts[tris].mean(axis=1)])
    out = []
    for k in range(4):  # corner k with the midpoints of its two edges and the centre
        out.append(np.stack([quads[:, k], eq[:, k], cq, eq[:, k - 1]], axis=1))
    for k in range(3):
        out.append(np.stack([tris[:, k], et[:, k], ct, et[:, k - 1]], axis=1))
    return new_pts, np.vstack(out)


def _fix_circle_segments(shapes: list[Shape], seg_length: float) -> None:
    """Give every circle arc of the fragmented footprint its share of the disk's n segments (transfinite)."""
    import gmsh

    disks = [s for s in shapes if s.kind == "disk"]
    if not disks:
        return
    cen = np.array([[d.cx, d.cy] for d in disks]) * _MM
    for _, tag in gmsh.model.getEntities(1):
        if not _is_curved(tag):
            continue
        lo, hi = gmsh.model.getParametrizationBounds(1, tag)
        ts = np.linspace(lo[0], hi[0], 5)
        xyz = np.asarray(gmsh.model.getValue(1, tag, ts)).reshape(-1, 3)[:, :2]
        d = np.linalg.norm(xyz[:, None, :] - cen[None, :, :], axis=2)  # (5, n_disks)
        k = int(np.argmin(d.std(axis=0)))  # the arc's own centre is equidistant from all its points
        n_full = _circle_segments(disks[k].a, seg_length)
        # arc angle from the chord between the ends and the mid point (arcs of at most a full circle)
        a0 = np.arctan2(xyz[0, 1] - cen[k, 1], xyz[0, 0] - cen[k, 0])
        am = np.arctan2(xyz[2, 1] - cen[k, 1], xyz[2, 0] - cen[k, 0])
        a1 = np.arctan2(xyz[-1, 1] - cen[k, 1], xyz[-1, 0] - cen[k, 0])
        span = (np.unwrap([a0, am, a1])[2] - np.unwrap([a0, am, a1])[0])
        span = abs(span) if abs(span) > 1e-9 else 2 * np.pi
        nseg = max(1, int(round(n_full * span / (2 * np.pi))))
        gmsh.model.mesh.setTransfiniteCurve(tag, nseg + 1)


def _max_disk_radius(shapes: list[Shape]) -> float:
    r = [s.a for s in shapes if s.kind == "disk"]
    return max(r) if r else 0.0


def _is_curved(tag: int) -> bool:
    import gmsh

    return gmsh.model.getType(1, tag) in ("Circle", "Ellipse", "BSpline", "Bezier", "TrimmedCurve")
