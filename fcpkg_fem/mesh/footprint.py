"""The 2D footprint: one conformal all-quadrilateral mesh of every outline of the package (gmsh).

Every rectangle and disk of every prism is fragmented into one planar partition, so that each footprint
cell lies wholly inside or wholly outside each outline; the mesher then sweeps it through the z-slabs.
gmsh works in mm here (its geometric tolerances are absolute); coordinates come back in m.
"""

from __future__ import annotations

import contextlib
import re
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
        shapes: the distinct outlines that were fragmented.
        quad_entity: (n_quads,) the fragment (gmsh surface) each quad lies in.
        membership: (n_pairs, 2) rows (fragment, index into ``shapes``): fragment lies inside that outline.
            Exact, from gmsh's fragment bookkeeping: no point-in-shape test on polygons that approximate circles.
    """

    points: np.ndarray
    quads: np.ndarray
    shapes: tuple = ()
    quad_entity: np.ndarray | None = None
    membership: np.ndarray | None = None

    def quads_inside(self, shape: Shape) -> np.ndarray:
        """Indices of the quads inside ``shape`` (empty if the outline is not part of this footprint)."""
        if self.membership is None:  # a footprint made by hand: fall back to centroid tests
            c = self.centroids
            return np.nonzero(shape.contains(c[:, 0], c[:, 1]))[0]
        k = shape_key(shape)
        idx = next((i for i, s in enumerate(self.shapes) if shape_key(s) == k), None)
        if idx is None:
            return np.zeros(0, dtype=np.int64)
        ents = self.membership[self.membership[:, 1] == idx, 0]
        return np.nonzero(np.isin(self.quad_entity, ents))[0]

    @property
    def centroids(self) -> np.ndarray:
        """(n_quads, 2) quad centroids in m."""
        return self.points[self.quads].mean(axis=1)


def shape_key(s: Shape) -> tuple:
    """Identity of an outline (rounded to 0.1 nm)."""
    return (s.kind, round(s.cx, 10), round(s.cy, 10), round(s.a, 10), round(s.b, 10))


def _distinct_shapes(geom: Geometry) -> list[Shape]:
    seen: dict[tuple, Shape] = {}
    for p in geom.prisms:
        seen.setdefault(shape_key(p.shape), p.shape)
    return list(seen.values())


def footprint_shapes(geom: Geometry) -> list[Shape]:
    """The distinct outlines of ``geom`` that reach into its modelled domain, in a deterministic order."""
    return [s for s in _distinct_shapes(geom) if _clip_to_domain(s, geom.domain)]


def _clip_to_domain(s: Shape, dom: tuple[float, float, float, float]) -> bool:
    """True if the shape reaches into the modelled domain (after a symmetry cut)."""
    x0, y0, x1, y1 = s.bbox
    return x1 > dom[0] + 1e-12 and y1 > dom[1] + 1e-12 and x0 < dom[2] - 1e-12 and y0 < dom[3] - 1e-12


def mesh_footprint(geom: Geometry, size: float, feature_size: float, progress=None, full_quad: bool = False,
                   circle_segments: int = 4) -> Footprint:
    """Mesh the footprint of ``geom`` with quadrilaterals.

    Args:
        geom: the structure; its symmetry decides the modelled domain.
        size: target element size far from features, m.
        feature_size: target element size at disk outlines (bumps, vias, balls), m.
        progress: optional callable(str) for progress messages.
        circle_segments: least number of straight segments on a disk outline (more where feature_size asks).
        full_quad: blossom full-quad recombination with every curve given an even number of segments (about
            3x fewer quads at features); if gmsh fails that way, or with False, gmsh's triangles are paired
            into convex quads here and everything is split into quads instead (see :func:`_pair_triangles`).

    Returns:
        The footprint mesh. Single-threaded gmsh with fixed options: the shipped cases mesh to the same points
        in every call and process, but not every case does: gmsh's frontal-quad cross field breaks ties between
        equally near boundary nodes by memory address (docs/robustness.md, "Counted before refusing").
    """
    if full_quad:
        try:
            return _checked(geom, _mesh_footprint(geom, size, feature_size, progress, True, circle_segments))
        except MeshError:
            if progress:
                progress("footprint: full-quad meshing failed; splitting a mixed mesh instead")
    # a folded footprint is detected by its area and meshed again with other settings (a safety net: this path
    # folds only where gmsh's own triangulation does, see _pair_triangles)
    for k, (algorithm, smoothing) in enumerate(_RETRIES):
        fp = _mesh_footprint(geom, 2.0 * size, 2.0 * feature_size, progress, False, circle_segments,
                             algorithm, smoothing)
        try:
            return _checked(geom, fp)
        except MeshError as exc:
            if k == len(_RETRIES) - 1:
                raise MeshError(f"{exc}; every meshing variant failed: try a smaller mesh.size") from exc
            if progress:
                progress(f"{exc}; meshing again with other settings")
    raise AssertionError("unreachable")


# (gmsh 2D algorithm, smoothing passes) tried in turn
_RETRIES = ((8, 5), (8, 0), (8, 1), (5, 5), (6, 5))


def _checked(geom: Geometry, fp: Footprint) -> Footprint:
    """Refuse a footprint that does not tile the domain exactly once (folded or overlapping elements).

    Every quad is convex and counter-clockwise and the mesh is conforming, so its total area equals the
    domain's unless some elements overlap; 1e-9 relative is round-off for these coordinates.
    """
    p = fp.points[fp.quads]
    area = 0.5 * np.sum(p[:, :, 0] * np.roll(p[:, :, 1], -1, axis=1) - np.roll(p[:, :, 0], -1, axis=1) * p[:, :, 1])
    x0, y0, x1, y1 = geom.domain
    dom = (x1 - x0) * (y1 - y0)
    if abs(area - dom) > 1e-9 * dom:
        raise MeshError(f"footprint: the 2D mesh folds over itself{_fold_parts(geom, fp)} (it covers "
                        f"{area * 1e6:.6f} mm2 of a {dom * 1e6:.6f} mm2 domain)")
    return fp


@contextlib.contextmanager
def gmsh_model(name: str):
    """A gmsh model ``name`` for one 2D meshing, silent and single-threaded (same input, same mesh); gmsh is
    initialised here unless the caller has done it (then left running), and the model removed at the end."""
    import gmsh

    own = not gmsh.isInitialized()
    if own:
        gmsh.initialize(readConfigFiles=False, interruptible=False)  # keep Python's Ctrl-C handler
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.option.setNumber("Mesh.MaxNumThreads2D", 1)
        gmsh.model.add(name)
        yield
    finally:
        gmsh.model.remove()
        if own:
            gmsh.finalize()


def _mesh_footprint(geom: Geometry, size: float, feature_size: float, progress, full_quad: bool,
                    circle_segments: int, algorithm: int = 8, smoothing: int = 5) -> Footprint:
    """One meshing attempt; sizes are gmsh's (for the split path, twice the target: the split halves them)."""
    import gmsh

    shapes = footprint_shapes(geom)
    if progress:
        progress(f"footprint: {len(shapes)} outlines")
    with gmsh_model("footprint"):
        membership = _fragment(geom, shapes, feature_size, circle_segments)
        _set_mesh_sizes(shapes, size, feature_size, circle_segments, full_quad)
        gmsh.option.setNumber("Mesh.Algorithm", algorithm)  # 8: frontal-Delaunay for quads
        # Split path: gmsh only triangulates; _pair_triangles merges neighbours into convex quads and
        # _split_to_quads splits every element into quads (all-quad for any boundary, where full-quad
        # recombination needs an even number of segments round every face). The split halves edge lengths,
        # so the size field asks for twice the target size. gmsh's own recombination is not used here: next
        # to a disk whose segments are much shorter than the local size it can join three consecutive outline
        # nodes of the disk into an inverted triangle that covers part of the hole (the triangulation before
        # recombination is valid), and the mesh folds. Nor is its subdivision: it snaps new boundary nodes onto
        # the circles, which inverts quads when a circle has few segments; our split keeps them on the chords.
        gmsh.option.setNumber("Mesh.RecombineAll", 1 if full_quad else 0)
        gmsh.option.setNumber("Mesh.RecombinationAlgorithm", 3)  # blossom full-quad (full_quad only)
        gmsh.option.setNumber("Mesh.Smoothing", smoothing)
        gmsh.option.setNumber("Mesh.RandomSeed", 1)
        if progress:
            progress("footprint: meshing")
        try:
            gmsh.model.mesh.generate(2)
        except Exception as exc:
            where = _gmsh_error_parts(geom, shapes, exc, feature_size, circle_segments)
            raise MeshError(f"footprint: 2D meshing failed at {where}; "
                            "these parts may be too close together or too small for mesh.feature_size: try "
                            f"another mesh.feature_size or move them apart\n  detail: gmsh: {exc}") from exc
        pts, quads, quad_entity = _read_quads(full_quad)
    pts, quads = _tidy(pts, quads, geom.domain)
    return Footprint(points=pts, quads=quads, shapes=tuple(shapes), quad_entity=quad_entity.astype(np.int64),
                     membership=membership)


def _fragment(geom: Geometry, shapes: list[Shape], feature_size: float, circle_segments: int) -> np.ndarray:
    """Fragment the domain box by every outline (disks at their equal-area polygon's radius) in the current gmsh
    model and drop what lies outside the domain. Returns the membership rows (fragment, index into ``shapes``)."""
    import gmsh

    occ = gmsh.model.occ
    x0, y0, x1, y1 = geom.domain
    box = occ.addRectangle(x0 * _MM, y0 * _MM, 0, (x1 - x0) * _MM, (y1 - y0) * _MM)
    tools = []
    for s in shapes:
        if s.kind == "rect":
            bx0, by0, bx1, by1 = s.bbox
            tools.append((2, occ.addRectangle(bx0 * _MM, by0 * _MM, 0, s.a * _MM, s.b * _MM)))
        else:
            r = s.a * equal_area_factor(circle_segments_of(s.a, feature_size, circle_segments))
            tools.append((2, occ.addDisk(s.cx * _MM, s.cy * _MM, 0, r * _MM, r * _MM)))
    try:
        _, out_map = occ.fragment([(2, box)], tools)
    except Exception as exc:  # gmsh raises a bare Exception with its own text
        raise MeshError(f"footprint: the part outlines could not be intersected ({_all_parts(geom, shapes)}); "
                        f"look for parts whose outlines nearly touch or coincide\n  detail: gmsh: {exc}") from exc
    occ.synchronize()
    # which outline each fragment lies in, straight from the fragment map (input 0 is the domain box)
    in_box = {t for _, t in out_map[0]}
    membership = np.array(sorted({(t, i) for i, pieces in enumerate(out_map[1:]) for _, t in pieces
                                  if t in in_box}), dtype=np.int64).reshape(-1, 2)
    # drop what lies outside the modelled domain (parts cut by a symmetry plane)
    outside = [(2, t) for _, t in gmsh.model.getEntities(2) if t not in in_box]
    if outside:
        occ.remove(outside, recursive=True)
        occ.synchronize()
    return membership


def _set_mesh_sizes(shapes: list[Shape], size: float, feature_size: float, circle_segments: int,
                    full_quad: bool) -> None:
    """Segment counts of the curves and the size field: fine at the disk outlines, graded to ``size`` away."""
    import gmsh

    disk_curves = []
    for dim, tag in gmsh.model.getEntities(1):
        xmin, ymin, _, xmax, ymax, _ = gmsh.model.getBoundingBox(dim, tag)
        # disks are meshed at up to 1.26x their radius (equal-area polygons of >= 4 sides)
        if max(xmax - xmin, ymax - ymin) <= 2.6 * _max_disk_radius(shapes) * _MM and _is_curved(tag):
            disk_curves.append(tag)
    _fix_circle_segments(shapes, feature_size, circle_segments, even=full_quad)
    if full_quad:
        _fix_straight_segments(shapes, size, feature_size)
    else:
        _structured_rectangles(size)
    gmsh.option.setNumber("Mesh.MeshSizeMax", size * _MM)
    gmsh.option.setNumber("Mesh.MeshSizeMin", 0.5 * feature_size * _MM)
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
    # a disk gets at least circle_segments segments; finer only where feature_size asks for it
    gmsh.option.setNumber("Mesh.MinimumCirclePoints", circle_segments)
    gmsh.option.setNumber("Mesh.MinimumCurvePoints", 2)
    size_field(disk_curves, 40, size, feature_size)


def size_field(curves: list, sampling: int, size: float, feature_size: float) -> None:
    """Set the background size of the footprint being meshed by gmsh (sizes in m): ``feature_size`` within half of
    it of ``curves`` (gmsh curve tags: the outlines of disks or columns, sampled ``sampling`` times each), growing to
    ``size`` over twice their difference; ``size`` everywhere without curves."""
    import gmsh

    if curves:
        f_dist = gmsh.model.mesh.field.add("Distance")
        gmsh.model.mesh.field.setNumbers(f_dist, "CurvesList", curves)
        gmsh.model.mesh.field.setNumber(f_dist, "Sampling", sampling)
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


def read_cells() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(points in m, quads, triangles, gmsh surface of each quad, of each triangle) of the meshed gmsh model."""
    import gmsh

    tags, coords, _ = gmsh.model.mesh.getNodes()
    pts = coords.reshape(-1, 3)[:, :2] / _MM
    index = np.full(int(tags.max()) + 1, -1, dtype=np.int64)
    index[tags.astype(np.int64)] = np.arange(len(tags))
    quads, tris, ent_q, ent_t = [np.zeros((0, 4), np.int64)], [np.zeros((0, 3), np.int64)], [], []
    for _, surf in gmsh.model.getEntities(2):
        types, _, conns = gmsh.model.mesh.getElements(2, surf)
        for etype, conn in zip(types, conns):
            if etype == 3:  # 4-node quadrangle
                quads.append(index[conn.astype(np.int64)].reshape(-1, 4))
                ent_q.append(np.full(len(quads[-1]), surf))
            elif etype == 2:  # 3-node triangle
                tris.append(index[conn.astype(np.int64)].reshape(-1, 3))
                ent_t.append(np.full(len(tris[-1]), surf))
    cat = (lambda a: np.concatenate(a).astype(np.int64) if a else np.zeros(0, np.int64))
    return pts, np.vstack(quads), np.vstack(tris), cat(ent_q), cat(ent_t)


def _read_quads(full_quad: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(points (m), quads, the gmsh surface of each quad) of the meshed gmsh model; on the split path the
    triangles are paired and everything split into quads."""
    pts, quads, tris, ent_q, ent_t = read_cells()
    if len(tris) and full_quad:
        raise MeshError("footprint: full-quad recombination left triangles")
    if full_quad:
        return pts, quads, ent_q
    merged, tris, ent_m, ent_t = _pair_triangles(pts, tris, ent_t)
    quads, ent_q = np.vstack([quads, merged]), np.concatenate([ent_q, ent_m]).astype(np.int64)
    pts, quads = _split_to_quads(pts, tris, quads)
    return pts, quads, np.concatenate([np.tile(ent_q, 4), np.tile(ent_t, 3)])  # order of _split_to_quads


def _tidy(pts: np.ndarray, quads: np.ndarray, dom: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Keep only the points the quads use, orient every quad counter-clockwise and snap the symmetry planes."""
    pts, quads = drop_unused_points(pts, quads)
    p = pts[quads]
    area2 = np.sum(p[:, :, 0] * np.roll(p[:, :, 1], -1, axis=1) - np.roll(p[:, :, 0], -1, axis=1) * p[:, :, 1], axis=1)
    quads[area2 < 0] = quads[area2 < 0][:, ::-1]
    # snap the symmetry planes exactly (gmsh returns them to round-off)
    for k, v in ((0, dom[0]), (1, dom[1]), (0, dom[2]), (1, dom[3])):
        near = np.abs(pts[:, k] - v) < 1e-9
        pts[near, k] = v
    return pts, quads


def drop_unused_points(pts: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points ``cells`` use (in their order) and ``cells`` renumbered to them."""
    used = np.unique(cells)
    remap = np.full(len(pts), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return pts[used], remap[cells]


def circle_segments_of(r: float, seg_length: float, least: int) -> int:
    """Segments on a full circle of radius r (m) for a gmsh segment length ``seg_length`` (m); at least ``least``."""
    return max(least, int(np.ceil(2 * np.pi * r / seg_length)))


def equal_area_factor(n: int) -> float:
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


# least corner sine (scaled Jacobian) of a quad made of two triangles: 0.3 keeps every corner of the merged
# quad between 17 and 163 degrees, and pairs more triangles (fewer cells) than a stricter bound would
_PAIR_MIN_QUALITY = 0.3


def _corner_quality(p: np.ndarray) -> np.ndarray:
    """Scaled Jacobian (sine of the corner angle; <= 0 at a reflex or degenerate corner) at every corner.

    Args:
        p: (n, k, 2) counter-clockwise polygons.

    Returns:
        (n, k).
    """
    e1 = np.roll(p, -1, axis=1) - p
    e0 = np.roll(p, 1, axis=1) - p
    cross = e1[..., 0] * e0[..., 1] - e1[..., 1] * e0[..., 0]
    return cross / np.maximum(np.linalg.norm(e1, axis=2) * np.linalg.norm(e0, axis=2), 1e-300)


def _pair_triangles(pts: np.ndarray, tris: np.ndarray, ent: np.ndarray,
                    min_quality: float = _PAIR_MIN_QUALITY) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge pairs of triangles that share an edge (and a gmsh surface) into convex quads, best pair first.

    A merged quad is kept only if each of its corners has a sine of at least ``min_quality``, so it is convex
    and, being the union of two valid triangles, never inverted: the result folds only if the triangulation
    does. Greedy matching (deterministic: candidates sorted by quality, ties by edge order).

    Args:
        pts: (n_points, 2); tris: (n_tris, 3) point indices; ent: (n_tris,) gmsh surface of each triangle.

    Returns:
        (quads (n_q, 4) counter-clockwise, unpaired triangles (n_t, 3) counter-clockwise, surface of each quad,
        surface of each unpaired triangle).
    """
    ent = np.asarray(ent, dtype=np.int64)
    if len(tris) == 0:
        return np.zeros((0, 4), np.int64), tris, np.zeros(0, np.int64), ent
    p = pts[tris]
    area2 = (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1]) - (p[:, 1, 1] - p[:, 0, 1]) * (p[:, 2, 0] - p[:, 0, 0])
    tris = np.where((area2 < 0)[:, None], tris[:, [0, 2, 1]], tris)
    nt = len(tris)
    # half-edge 3 t + k runs u -> v in triangle t, opposite its vertex w
    u, v, w = tris.ravel(), np.roll(tris, -1, axis=1).ravel(), np.roll(tris, -2, axis=1).ravel()
    tri_of = np.repeat(np.arange(nt), 3)
    key = np.minimum(u, v) * (len(pts) + 1) + np.maximum(u, v)
    order = np.argsort(key, kind="stable")
    twin = np.nonzero(key[order][1:] == key[order][:-1])[0]
    h1, h2 = order[twin], order[twin + 1]
    same = ent[tri_of[h1]] == ent[tri_of[h2]]  # a quad must lie in one fragment (region membership)
    h1, h2 = h1[same], h2[same]
    # h1 runs u -> v, h2 runs v -> u: the union is u, w(h2), v, w(h1), counter-clockwise
    cand = np.stack([u[h1], w[h2], v[h1], w[h1]], axis=1)
    q = _corner_quality(pts[cand]).min(axis=1)
    good = np.nonzero(q >= min_quality)[0]
    good = good[np.argsort(-q[good], kind="stable")]
    paired = np.zeros(nt, dtype=bool)
    take = []
    for i in good:
        a, b = tri_of[h1[i]], tri_of[h2[i]]
        if not (paired[a] or paired[b]):
            paired[a] = paired[b] = True
            take.append(i)
    take = np.asarray(take, dtype=np.int64)
    return cand[take], tris[~paired], ent[tri_of[h1[take]]], ent[~paired]


def _structured_rectangles(size: float) -> None:
    """Mesh every fragment that is a plain rectangle (four straight sides, no hole) as a structured grid of
    quads (transfinite), e.g. a laminate plate or a trace's footprint: the triangulation and pairing would
    give it distorted cells. A side of length L gets ceil(L / size) segments, a function of L alone, so that
    opposite sides agree and a side shared by two rectangles is asked for one count."""
    import gmsh

    for _, tag in gmsh.model.getEntities(2):
        sides = [abs(t) for _, t in gmsh.model.getBoundary([(2, tag)], oriented=False)]
        if len(sides) != 4 or any(_is_curved(c) for c in sides):
            continue
        ends = []
        for c in sides:
            lo, hi = gmsh.model.getParametrizationBounds(1, c)
            ends.append(np.asarray(gmsh.model.getValue(1, c, [lo[0], hi[0]])).reshape(2, 3)[:, :2])
        corners = np.vstack(ends)
        box = np.ptp(corners[:, 0]) * np.ptp(corners[:, 1])
        if abs(gmsh.model.occ.getMass(2, tag) - box) > 1e-9 * box:  # a quadrilateral, but not a rectangle
            continue
        for c, e in zip(sides, ends):
            n = max(1, int(np.ceil(np.linalg.norm(e[1] - e[0]) / (size * _MM) - 1e-9)))
            gmsh.model.mesh.setTransfiniteCurve(c, n + 1)
        gmsh.model.mesh.setTransfiniteSurface(tag)
        gmsh.model.mesh.setRecombine(2, tag)


def _local_size(x: np.ndarray, y: np.ndarray, disks: list[Shape], size: float, feature_size: float) -> np.ndarray:
    """The background size field (m) at points (m): feature_size within feature_size/2 of a disk outline,
    growing linearly to size over 2 (size - feature_size), as the gmsh Threshold field below."""
    if not disks:
        return np.full(np.shape(x), size)
    return threshold_size(np.min([np.abs(np.hypot(x - s.cx, y - s.cy) - s.a) for s in disks], axis=0), size,
                          feature_size)


def threshold_size(d: np.ndarray, size: float, feature_size: float) -> np.ndarray:
    """The size (m) the Threshold field gives at distance ``d`` (m) from the nearest disk outline: feature_size
    within feature_size/2, growing linearly to size over 2 (size - feature_size)."""
    d0, d1 = 0.5 * feature_size, 0.5 * feature_size + 2.0 * (size - feature_size)
    t = np.clip((d - d0) / max(d1 - d0, 1e-30), 0.0, 1.0)
    return feature_size + t * (size - feature_size)


def _fix_straight_segments(shapes: list[Shape], size: float, feature_size: float) -> None:
    """Even segment counts on every straight curve (full-quad meshing needs an even count round each face)."""
    import gmsh

    disks = [s for s in shapes if s.kind == "disk"]
    for _, tag in gmsh.model.getEntities(1):
        if _is_curved(tag):
            continue
        lo, hi = gmsh.model.getParametrizationBounds(1, tag)
        ends = np.asarray(gmsh.model.getValue(1, tag, [lo[0], hi[0]])).reshape(2, 3)[:, :2] / _MM
        L = float(np.linalg.norm(ends[1] - ends[0]))
        ts = np.linspace(0.0, 1.0, 9)
        xs = ends[0, 0] + ts * (ends[1, 0] - ends[0, 0])
        ys = ends[0, 1] + ts * (ends[1, 1] - ends[0, 1])
        h = float(np.mean(_local_size(xs, ys, disks, size, feature_size)))
        n = max(2, 2 * int(np.ceil(L / (2.0 * h))))
        gmsh.model.mesh.setTransfiniteCurve(tag, n + 1)


def _fix_circle_segments(shapes: list[Shape], seg_length: float, least: int, even: bool = False) -> None:
    """Give every circle arc of the fragmented footprint its share of the disk's n segments (transfinite);
    ``even``: round each arc's count to an even number."""
    import gmsh

    disks = [s for s in shapes if s.kind == "disk"]
    if not disks:
        return
    cen = np.array([[d.cx, d.cy] for d in disks]) * _MM
    r_mesh = np.array([dk.a * equal_area_factor(circle_segments_of(dk.a, seg_length, least)) for dk in disks]) * _MM
    for _, tag in gmsh.model.getEntities(1):
        if not _is_curved(tag):
            continue
        lo, hi = gmsh.model.getParametrizationBounds(1, tag)
        ts = np.linspace(lo[0], hi[0], 5)
        xyz = np.asarray(gmsh.model.getValue(1, tag, ts)).reshape(-1, 3)[:, :2]
        d = np.linalg.norm(xyz[:, None, :] - cen[None, :, :], axis=2)  # (5, n_disks)
        # the arc's own disk: its centre is equidistant from all the arc's points, at the disk's meshed radius
        # (concentric disks, a ball over a via, share the centre and differ in radius)
        k = int(np.argmin(d.std(axis=0) + np.abs(d.mean(axis=0) - r_mesh)))
        n_full = circle_segments_of(disks[k].a, seg_length, least)
        # arc angle: five samples are at most 90 degrees apart, so unwrapping follows the arc
        ang = np.unwrap(np.arctan2(xyz[:, 1] - cen[k, 1], xyz[:, 0] - cen[k, 0]))
        span = abs(ang[-1] - ang[0])
        share = n_full * span / (2 * np.pi)
        nseg = max(2, 2 * int(round(share / 2))) if even else max(1, int(round(share)))
        gmsh.model.mesh.setTransfiniteCurve(tag, nseg + 1)


def _max_disk_radius(shapes: list[Shape]) -> float:
    r = [s.a for s in shapes if s.kind == "disk"]
    return max(r) if r else 0.0


def _is_curved(tag: int) -> bool:
    import gmsh

    return gmsh.model.getType(1, tag) in ("Circle", "Ellipse", "BSpline", "Bezier", "TrimmedCurve")


# ---- error translation: name the parts behind a gmsh failure, not gmsh's entity numbers ----------------------

_MAX_NAMED = 6  # parts named in one message; the rest are counted


def outline_distance(s: Shape, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Distance (m) from points (m) to the outline (boundary) of ``s``."""
    if s.kind == "disk":
        return np.abs(np.hypot(x - s.cx, y - s.cy) - s.a)
    dx = np.abs(x - s.cx) - 0.5 * s.a
    dy = np.abs(y - s.cy) - 0.5 * s.b
    outside = np.hypot(np.maximum(dx, 0.0), np.maximum(dy, 0.0))
    return np.where((dx <= 0) & (dy <= 0), -np.maximum(dx, dy), outside)


def _name_parts(geom: Geometry, shapes: list[Shape]) -> str:
    """'bumps.die1 (items 56, 57), chip.die1' for the prisms whose outline is one of ``shapes`` (smallest first)."""
    keys = {shape_key(s) for s in shapes}
    by_region: dict[str, list[int]] = {}
    area: dict[str, float] = {}
    for p in geom.prisms:
        if shape_key(p.shape) in keys:
            by_region.setdefault(p.region, [])
            if p.item >= 0 and p.item not in by_region[p.region]:
                by_region[p.region].append(p.item)
            area[p.region] = min(area.get(p.region, np.inf), p.shape.area)
    names = []
    for region in sorted(by_region, key=lambda r: area[r]):
        items = sorted(by_region[region])
        if items:
            shown = ", ".join(str(i) for i in items[:_MAX_NAMED])
            more = f" and {len(items) - _MAX_NAMED} more" if len(items) > _MAX_NAMED else ""
            names.append(f"{region} (item{'s' if len(items) > 1 else ''} {shown}{more})")
        else:
            names.append(region)
    if len(names) > _MAX_NAMED:
        names = names[:_MAX_NAMED] + [f"{len(names) - _MAX_NAMED} more parts"]
    return ", ".join(names) if names else "no part outline (the space between parts)"


def _parts_near(geom: Geometry, shapes: list[Shape], x: np.ndarray, y: np.ndarray, reach: float) -> list[Shape]:
    """The outlines passing within ``reach`` (m) of any of the points (m)."""
    x, y = np.atleast_1d(x), np.atleast_1d(y)
    return [s for s in shapes if outline_distance(s, x, y).min() <= reach]


def _where(x: np.ndarray, y: np.ndarray) -> str:
    return f"({np.mean(x) * 1e3:.3f}, {np.mean(y) * 1e3:.3f}) mm"


def _fold_parts(geom: Geometry, fp: Footprint) -> str:
    """' near (x, y) mm, at the outlines of <parts>' for the quads of a folded footprint, or ''.

    Every quad is counter-clockwise, so in a mesh that tiles the domain once each inner edge is walked once in
    each direction; an edge walked twice the same way lies where the mesh folds over itself.
    """
    try:
        q = fp.quads
        e = np.stack([q, np.roll(q, -1, axis=1)], axis=-1).reshape(-1, 2)
        _, inv, cnt = np.unique(e, axis=0, return_inverse=True, return_counts=True)
        bad = np.unique(np.nonzero(np.isin(inv.ravel(), np.nonzero(cnt > 1)[0]))[0] // 4)
        if not len(bad):
            return ""
        corners = fp.points[q[bad]]  # (n_bad, 4, 2)
        centres = corners.mean(axis=1)
        reach = float(np.linalg.norm(corners[:, 2] - corners[:, 0], axis=1).max())  # a folded quad's diagonal
        # name the parts at the first fold (the quads within a few diagonals of the first folded quad)
        first = np.linalg.norm(centres - centres[0], axis=1) <= 3.0 * reach
        pts = corners[first].reshape(-1, 2)
        shapes = list(fp.shapes) or footprint_shapes(geom)
        near = _parts_near(geom, shapes, pts[:, 0], pts[:, 1], max(reach, 1e-9))
        others = int((~first).sum())
        where = f" near {_where(pts[:, 0], pts[:, 1])}" + (f" (and {others} more folded cells elsewhere)"
                                                           if others else "")
        return f"{where}, at the outlines of {_name_parts(geom, near)}"
    except Exception:  # noqa: BLE001 - naming is a courtesy; never hide the real error behind a failure here
        return ""


def _all_parts(geom: Geometry, shapes: list[Shape]) -> str:
    """'<n> outlines: <parts>' for a failure that cannot be placed."""
    return f"{len(shapes)} outlines: {_name_parts(geom, shapes)}"


def _gmsh_error_parts(geom: Geometry, shapes: list[Shape], exc: Exception, feature_size: float,
                      circle_segments: int) -> str:
    """The parts whose outlines bound the gmsh entities named in gmsh's message (``curve 12``, ``surface 3``),
    with where they are; all parts when the message names no entity. Call while the gmsh model still exists;
    ``feature_size`` and ``circle_segments`` as the disks were meshed with (their polygon radius)."""
    import gmsh

    try:
        found = []
        for kind, tag in re.findall(r"\b(curve|surface|line|face)\s+(\d+)", str(exc), flags=re.I):
            dim = 1 if kind.lower() in ("curve", "line") else 2
            tags = [int(tag)]
            if dim == 2:  # a surface: its boundary curves locate it better than its bounding box
                tags = [abs(t) for _, t in gmsh.model.getBoundary([(2, int(tag))], oriented=False)] or tags
                dim = 1
            for t in tags:
                lo, hi = gmsh.model.getParametrizationBounds(dim, t)
                xyz = np.asarray(gmsh.model.getValue(dim, t, list(np.linspace(lo[0], hi[0], 9)))).reshape(-1, 3)
                found.append(xyz[:, :2] / _MM)
        if found:
            pts = np.vstack(found)
            tiny = 1e-9 * max(geom.domain[2] - geom.domain[0], geom.domain[3] - geom.domain[1])
            # disks were given to gmsh at their equal-area polygon's radius (as in _mesh_footprint)
            meshed = [Shape.disk(sh.cx, sh.cy, sh.a * equal_area_factor(
                circle_segments_of(sh.a, feature_size, circle_segments))) if sh.kind == "disk" else sh for sh in shapes]
            near = [sh for sh, m in zip(shapes, meshed) if outline_distance(m, pts[:, 0], pts[:, 1]).min() <= tiny]
            if near:
                return f"the outlines of {_name_parts(geom, near)} near {_where(pts[:, 0], pts[:, 1])}"
    except Exception:  # noqa: BLE001 - the entity may not exist any more; fall back to naming every part
        pass
    return f"one of the part outlines ({_all_parts(geom, shapes)})"
