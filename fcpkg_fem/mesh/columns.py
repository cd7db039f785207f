"""The footprint of the fast global model (``mesh.interconnect: column``): coarse quads around square joint columns.

In the column geometry (fcpkg_fem.geometry.build) every bump, via and ball is an axis-aligned square of its disk's
area. Here each square side is one straight segment, so a column is one quad (a via under a ball: a quad inside
a ring of four), and the space between the columns is meshed by gmsh's Delaunay mesher with blossom recombination
into quads (no smoothing: with it gmsh 4.15 inverted two triangles at the half columns on the reference's
symmetry planes) at ``feature_size`` next to the columns, graded to ``size`` away from them. The resolved mesher
(:mod:`fcpkg_fem.mesh.footprint`) instead splits every cell of a twice-coarser triangulation into quads, which
makes ~4 points per gmsh point; this mesher keeps gmsh's points (measured on cases/reference.yaml at 1 mm /
150 um: 2,016 footprint points against 6,099; docs/benchmarks.md).

Blossom recombination leaves some triangles (20 of ~1,950 cells on the reference). They are paired here
(:func:`pair_through_quads`): a triangle is joined to the nearest other triangle, or to the domain's boundary,
through a strip of quads whose crossed edges get their midpoints (each quad of the strip splits in two, three or
four, each triangle becomes a quad), so the mesh stays conforming and all-quad with a few extra points. If that
fails or leaves a non-convex cell, every cell is split as the resolved mesher does (valid, only larger). Region
membership is gmsh's fragment bookkeeping, exactly as for the resolved mesh.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ..case import names as N
from ..errors import MeshError
from ..geometry.model import Geometry, Shape
from .footprint import (
    Footprint,
    _checked,
    _corner_quality,
    _fragment,
    _gmsh_error_parts,
    _pair_triangles,
    _split_to_quads,
    _tidy,
    footprint_shapes,
    gmsh_model,
    read_cells,
    size_field,
)

_MM = 1e3  # m -> mm for gmsh
COLUMN_MESHER_VERSION = "1"  # part of the mesh cache key of column footprints (fcpkg_fem.run.meshing)


def column_shapes(geom: Geometry) -> list[Shape]:
    """The joint columns of ``geom``: the outlines of its bump, via, via-fill and ball prisms (not the traces,
    which are strips in either mode)."""
    seen: dict[tuple, Shape] = {}
    for p in geom.prisms:
        if p.item >= 0 and p.shape.kind == "rect" and p.region != N.TRACES:
            seen.setdefault((p.shape.cx, p.shape.cy, p.shape.a, p.shape.b), p.shape)
    return list(seen.values())


def mesh_column_footprint(geom: Geometry, size: float, feature_size: float, progress=None,
                          circle_segments: int = 4) -> Footprint:
    """Mesh the footprint of a column geometry with quadrilaterals (see the module docstring).

    Args:
        geom: a geometry built with ``interconnect == "column"``.
        size: target element size far from the columns, m.
        feature_size: target element size next to the columns, m.
        progress: optional callable(str) for progress messages.
        circle_segments: unused (no disks); accepted for the resolved mesher's signature.

    Returns:
        The footprint mesh (deterministic: single-threaded gmsh, fixed options).
    """
    import gmsh

    shapes = footprint_shapes(geom)
    if progress:
        progress(f"footprint (columns): {len(shapes)} outlines")
    with gmsh_model("footprint_columns"):
        membership = _fragment(geom, shapes, feature_size, circle_segments)
        _column_sizes(geom, size, feature_size)
        for name, value in (("Algorithm", 5), ("RecombineAll", 1), ("RecombinationAlgorithm", 1),
                            ("RecombineMinimumQuality", 0.01), ("Smoothing", 0), ("RandomSeed", 1)):
            gmsh.option.setNumber(f"Mesh.{name}", value)
        try:
            gmsh.model.mesh.generate(2)
        except Exception as exc:
            where = _gmsh_error_parts(geom, shapes, exc, feature_size, circle_segments)
            raise MeshError(f"footprint (columns): 2D meshing failed at {where}; try another mesh.feature_size "
                            f"or move these parts apart\n  detail: gmsh: {exc}") from exc
        pts, quads, tris, ent_q, ent_t = read_cells()
        quads, tris, ent_q, ent_t = _unfold(pts, quads, tris, ent_q, ent_t)
    fp = None
    for shift in _SHIFTS:
        out = pair_through_quads(pts, quads, tris, ent_q, ent_t, shift)
        if out is None:
            break
        cand = _footprint(geom, shapes, membership, *out)
        if cand is not None and _corner_quality(cand.points[cand.quads]).min() > _MIN_QUALITY:
            fp = cand
            break
    if fp is None:  # pairing failed: split every cell into quads as the resolved mesher does (valid, larger)
        if progress:
            progress("footprint (columns): splitting every cell into quads")
        merged, tris, ent_m, ent_t = _pair_triangles(pts, tris, ent_t)
        quads, ent_q = np.vstack([quads, merged]), np.concatenate([ent_q, ent_m])
        sp, sq = _split_to_quads(pts, tris, quads)
        fp = _footprint(geom, shapes, membership, sp, sq, np.concatenate([np.tile(ent_q, 4), np.tile(ent_t, 3)]))
        if fp is None:
            raise MeshError("footprint (columns): the 2D mesh folds over itself; try another mesh.feature_size")
    return fp


# how far the midpoint next to a paired triangle moves off its edge, tried in turn (pair_through_quads)
_SHIFTS = (0.25, 0.15, 0.08)
# least corner sine of a quad joined from two triangles side by side (else they are paired through strips)
_JOIN_QUALITY = 0.05
# least corner sine accepted after pairing (else the next shift, then the split): valid (convex) cells
_MIN_QUALITY = 0.0


def _unfold(pts: np.ndarray, quads: np.ndarray, tris: np.ndarray, ent_q: np.ndarray,
            ent_t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split any quad of gmsh's recombination with a reflex or straight corner back into two triangles along the
    diagonal from that corner (none on the reference meshes measured: a safety net), then pair adjacent triangles
    into convex quads (:func:`_pair_triangles`)."""
    q = quads.copy()
    p = pts[q]
    area2 = np.sum(p[:, :, 0] * np.roll(p[:, :, 1], -1, axis=1) - np.roll(p[:, :, 0], -1, axis=1) * p[:, :, 1], axis=1)
    q[area2 < 0] = q[area2 < 0][:, ::-1]
    qual = _corner_quality(pts[q])
    bad = qual.min(axis=1) <= 0.0
    if bad.any():
        k = np.argmin(qual[bad], axis=1)  # split from the worst corner: a reflex corner's diagonal lies inside
        qb = q[bad]
        rows = np.arange(len(qb))
        c0, c1, c2, c3 = (qb[rows, (k + i) % 4] for i in range(4))
        tris = np.vstack([tris, np.stack([c0, c1, c2], axis=1), np.stack([c0, c2, c3], axis=1)])
        ent_t = np.concatenate([ent_t, ent_q[bad], ent_q[bad]])
        q, ent_q = q[~bad], ent_q[~bad]
    merged, tris, ent_m, ent_t = _pair_triangles(pts, tris, ent_t, 0.01)
    return np.vstack([q, merged]), tris, np.concatenate([ent_q, ent_m]).astype(np.int64), ent_t


def _footprint(geom: Geometry, shapes: list, membership: np.ndarray, pts: np.ndarray, quads: np.ndarray,
               ent: np.ndarray) -> Footprint | None:
    """The footprint of these cells (oriented counter-clockwise), or None if it does not tile the domain once."""
    pts, quads = _tidy(pts, quads, geom.domain)
    fp = Footprint(points=pts, quads=quads, shapes=tuple(shapes), quad_entity=np.asarray(ent, dtype=np.int64),
                   membership=membership)
    try:
        return _checked(geom, fp)
    except MeshError:
        return None


def _column_sizes(geom: Geometry, size: float, feature_size: float) -> None:
    """One segment on every column side; a size field of feature_size at the column outlines growing to size."""
    import gmsh

    box = np.array([s.bbox for s in column_shapes(geom)]).reshape(-1, 4)  # (n, 4) x0 y0 x1 y1, m
    col_curves = []
    for _, tag in gmsh.model.getEntities(1):
        lo, hi = gmsh.model.getParametrizationBounds(1, tag)
        ends = np.asarray(gmsh.model.getValue(1, tag, [lo[0], hi[0]])).reshape(2, 3)[:, :2] / _MM
        if len(box) and _on_outline(box, ends):
            col_curves.append(tag)
            gmsh.model.mesh.setTransfiniteCurve(tag, 2)
    gmsh.option.setNumber("Mesh.MeshSizeMax", size * _MM)
    gmsh.option.setNumber("Mesh.MeshSizeMin", 0.25 * feature_size * _MM)
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
    size_field(col_curves, 10, size, feature_size)


def _on_outline(box: np.ndarray, ends: np.ndarray) -> bool:
    """True if both end points (m) of a straight curve lie on one side of one of the rectangles ``box``
    ((n, 4): x0, y0, x1, y1 in m)."""
    tol = 1e-9 + 1e-9 * float(np.max(box[:, 2:] - box[:, :2]))
    x, y = ends[:, 0], ends[:, 1]
    in_x = ((x[:, None] >= box[:, 0] - tol) & (x[:, None] <= box[:, 2] + tol)).all(axis=0)
    in_y = ((y[:, None] >= box[:, 1] - tol) & (y[:, None] <= box[:, 3] + tol)).all(axis=0)
    on_v = ((np.abs(x[:, None] - box[:, 0]) < tol).all(axis=0) | (np.abs(x[:, None] - box[:, 2]) < tol).all(axis=0))
    on_h = ((np.abs(y[:, None] - box[:, 1]) < tol).all(axis=0) | (np.abs(y[:, None] - box[:, 3]) < tol).all(axis=0))
    return bool(np.any((on_v & in_y) | (on_h & in_x)))


def pair_through_quads(pts: np.ndarray, quads: np.ndarray, tris: np.ndarray, ent_q: np.ndarray,
                       ent_t: np.ndarray, shift: float = 0.25) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Turn a conforming quad-dominant mesh into an all-quad one by pairing its triangles through quad strips.

    Each triangle not yet paired (the most constrained first) is joined by the shortest strip (:func:`_strip`) to
    another unpaired triangle, or to the domain's boundary; a triangle right beside it is instead joined with it
    into one quad when that is convex enough (``_JOIN_QUALITY``). Every edge a strip crosses gets its midpoint;
    each quad of a strip is split in two (entered and left by opposite edges), three about its centroid
    (adjacent edges) or four when a second strip crosses it, and each triangle becomes a quad with its new
    midpoint, which is moved off the edge away from the triangle by ``shift`` times its distance from the
    triangle's opposite corner (else that quad had a straight angle). Edges off the strips are untouched, so the
    mesh stays conforming; the moved midpoints lie inside the triangle's fragment, so no region outline moves.
    Children keep their parent's surface.

    Returns:
        (points, quads, surface of each quad), or None when some triangle finds no partner.
    """
    if len(tris) == 0:
        return pts, quads, ent_q
    cells = [list(map(int, c)) for c in quads] + [list(map(int, c)) for c in tris]
    ent = list(map(int, ent_q)) + list(map(int, ent_t))
    nq = len(quads)
    edge_cells: dict[tuple[int, int], list[int]] = {}
    for ci, c in enumerate(cells):
        for k in range(len(c)):
            edge_cells.setdefault(_edge(c[k], c[(k + 1) % len(c)]), []).append(ci)
    used = np.zeros(len(cells), dtype=bool)
    cut: dict[int, list[tuple[int, int]]] = {}  # cell -> the edges of it the strips cross
    joined: dict[int, list[int] | None] = {}  # triangle -> the quad it forms with its neighbour (None: the other)
    # the most constrained triangles first: those with the fewest quads of their fragment beside them
    def free(t):
        c = cells[t]
        return sum(1 for k in range(3) for nb in edge_cells[_edge(c[k], c[(k + 1) % 3])]
                   if nb != t and nb < nq and ent[nb] == ent[t])

    for t0 in sorted(range(nq, len(cells)), key=lambda t: (free(t), t)):
        if used[t0]:
            continue
        found = _strip(t0, cells, edge_cells, used, nq, ent, cut, pts)
        if found is None:
            return None
        path, out_edge = found
        used[path[0]] = used[path[-1]] = True
        if out_edge is not None:
            cut.setdefault(path[-1], []).append(out_edge)
        elif len(path) == 2 and path[1] >= nq:  # two triangles side by side: one quad
            joined[path[0]] = _union(cells[path[0]], cells[path[1]], path_edges(path, cells)[0])
            joined[path[1]] = None
            continue
        for (a, b), e in zip(zip(path[:-1], path[1:]), path_edges(path, cells)):
            cut.setdefault(a, []).append(e)
            cut.setdefault(b, []).append(e)
    mids: dict[tuple[int, int], int] = {}
    new_pts = [p for p in pts]
    push: dict[tuple[int, int], np.ndarray] = {}  # a triangle's cut edge -> where its midpoint goes
    for ci in range(nq, len(cells)):
        if ci in cut:
            (e,) = cut[ci]
            opp = next(v for v in cells[ci] if v not in e)
            mid = 0.5 * (pts[e[0]] + pts[e[1]])
            push[e] = mid + shift * (mid - pts[opp])
    out, out_ent = [], []
    for ci, c in enumerate(cells):
        if ci in joined:
            if joined[ci] is not None:
                out.append(joined[ci])
                out_ent.append(ent[ci])
            continue
        if ci not in cut:
            out.append(c)
            out_ent.append(ent[ci])
            continue
        m = []
        for e in cut[ci]:
            if e not in mids:
                mids[e] = len(new_pts)
                new_pts.append(push.get(e, 0.5 * (pts[e[0]] + pts[e[1]])))
            m.append(mids[e])
        for child in _split_cell(c, cut[ci], m, new_pts):
            out.append(child)
            out_ent.append(ent[ci])
    return np.asarray(new_pts), np.asarray(out, dtype=np.int64), np.asarray(out_ent, dtype=np.int64)


def _edge(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _union(t: list[int], other: list[int], e: tuple[int, int]) -> list[int]:
    """The quad of triangle ``t`` and triangle ``other`` that share edge ``e``, in ``t``'s vertex order."""
    w = next(v for v in other if v not in e)
    k = next(k for k in range(3) if _edge(t[k], t[(k + 1) % 3]) == e)
    return [t[k], w, t[(k + 1) % 3], t[(k + 2) % 3]]


def _strip(t0: int, cells: list, edge_cells: dict, used: np.ndarray, nq: int, ent: list,
           cut: dict, pts: np.ndarray) -> tuple[list[int], tuple[int, int] | None] | None:
    """The nearest way (breadth-first) from triangle ``t0`` through quads to another unpaired triangle, or out
    through an edge on the domain's boundary (which takes a midpoint freely). Returns (cells, that boundary edge
    or None), or None. The first and last steps stay in the triangle's fragment (their midpoints move); quads
    that no strip crossed yet or that one crossed by their two other edges may be crossed (the latter end up
    with all four edges cut); a quad is left by an edge other than the one it was entered by, and no edge is cut
    twice. A triangle beside ``t0`` is joined with it into one quad when that is convex."""
    prev = {t0: (-1, None)}
    queue = deque([(t0, None)])

    def back(last):
        path = [last]
        while prev[path[-1]][0] >= 0:
            path.append(prev[path[-1]][0])
        return path[::-1]

    while queue:
        ci, entered = queue.popleft()
        c = cells[ci]
        for k in range(len(c)):
            e = _edge(c[k], c[(k + 1) % len(c)])
            if e == entered or e in cut.get(ci, ()):
                continue
            if len(edge_cells[e]) == 1 and ci < nq:
                return back(ci), e  # out through the domain's boundary
            for nb in edge_cells[e]:
                if nb == ci or nb in prev:
                    continue
                if nb >= nq:
                    if used[nb] or ent[nb] != ent[ci]:
                        continue
                    if ci == t0:  # side by side: joined into one quad if that is convex
                        if _corner_quality(pts[np.array([_union(cells[t0], cells[nb], e)])]).min() > _JOIN_QUALITY:
                            return [t0, nb], None
                        continue
                    prev[nb] = (ci, e)
                    return back(nb), None
                if len(cut.get(nb, ())) > 2 or (ci == t0 and ent[nb] != ent[ci]):
                    continue
                prev[nb] = (ci, e)
                queue.append((nb, e))
    return None


def path_edges(path: list[int], cells: list) -> list[tuple[int, int]]:
    """The edge shared by each consecutive pair of cells of ``path``."""
    out = []
    for a, b in zip(path[:-1], path[1:]):
        ea = {_edge(cells[a][k], cells[a][(k + 1) % len(cells[a])]) for k in range(len(cells[a]))}
        eb = {_edge(cells[b][k], cells[b][(k + 1) % len(cells[b])]) for k in range(len(cells[b]))}
        (e,) = ea & eb
        out.append(e)
    return out


def _split_cell(c: list[int], edges: list[tuple[int, int]], mids: list[int], pts: list) -> list[list[int]]:
    """Children of a cell whose ``edges`` get the midpoints ``mids``: a triangle with one is one quad (the
    midpoint is moved off the edge, away from the triangle, by :func:`pair_through_quads`), a quad with two
    opposite (two quads) or adjacent (three quads about its centroid)."""
    n = len(c)
    pos = {}
    for e, m in zip(edges, mids):
        k = next(k for k in range(n) if _edge(c[k], c[(k + 1) % n]) == e)
        pos[k] = m
    centre = len(pts)
    if n == 3 and len(pos) == 1:
        (k, m), = pos.items()
        return [[c[k], m, c[(k + 1) % 3], c[(k + 2) % 3]]]
    if n == 4 and len(pos) == 2:
        k1, k2 = sorted(pos)
        if k2 - k1 == 2:  # opposite edges (k1, k1+1) and (k1+2, k1+3)
            a, b, d, e = (c[(k1 + i) % 4] for i in range(4))
            return [[a, pos[k1], pos[k2], e], [pos[k1], b, d, pos[k2]]]
        k = k1 if (k1 + 1) % 4 == k2 else k2  # the first of two adjacent edges (k, k+1) and (k+1, k+2)
        m1, m2 = pos[k], pos[(k + 1) % 4]
        a, b, d, e = (c[(k + i) % 4] for i in range(4))
        pts.append(np.mean([pts[v] for v in c], axis=0))
        return [[a, m1, centre, e], [m1, b, m2, centre], [centre, m2, d, e]]
    if n == 4 and len(pos) == 4:  # crossed by two strips: four quads about the centroid
        pts.append(np.mean([pts[v] for v in c], axis=0))
        return [[c[k], pos[k], centre, pos[(k - 1) % 4]] for k in range(4)]
    raise MeshError("footprint (columns): a strip crossed one cell twice")
