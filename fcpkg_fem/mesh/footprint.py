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
    size, feature_size = 2.0 * size, 2.0 * feature_size  # see the subdivision note below
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
                tools.append((2, occ.addDisk(s.cx * _MM, s.cy * _MM, 0, s.a * _MM, s.a * _MM)))
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
        gmsh.option.setNumber("Mesh.MeshSizeMax", size * _MM)
        gmsh.option.setNumber("Mesh.MeshSizeMin", 0.5 * feature_size * _MM)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
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
        # blossom recombination, then one uniform split of every element into quads: all-quad for any
        # boundary (full-quad recombination needs an even number of segments round every face). The split
        # halves edge lengths, so the size field asks for twice the target size.
        gmsh.option.setNumber("Mesh.RecombinationAlgorithm", 1)
        gmsh.option.setNumber("Mesh.SubdivisionAlgorithm", 1)
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
        quads = []
        for etype, conn in zip(types, conns):
            if etype == 3:  # 4-node quadrangle
                quads.append(index[conn.astype(np.int64)].reshape(-1, 4))
            elif etype == 2:
                raise MeshError("footprint: gmsh left triangles in the quad mesh; try another mesh.size")
        quads = np.concatenate(quads)
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


def _max_disk_radius(shapes: list[Shape]) -> float:
    r = [s.a for s in shapes if s.kind == "disk"]
    return max(r) if r else 0.0


def _is_curved(tag: int) -> bool:
    import gmsh

    return gmsh.model.getType(1, tag) in ("Circle", "Ellipse", "BSpline", "Bezier", "TrimmedCurve")
