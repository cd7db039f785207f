"""Where the bumps, vias, traces and balls of a package go: plain numpy, no gmsh, no case parsing.

Coordinates: metres, global, package centred at the origin (carriers are centred at (0, 0); a die's
``center`` is global). Arrays of centres have shape ``(N, 2)`` (x, y).

Patterns (the same rules for bumps under a die and for vias, traces and balls on a carrier; the *region*
is the die or the carrier rectangle):

``peripheral``
    ``rows`` concentric rectangular rings. Ring ``k`` (0 = outermost) runs on the lines at
    ``edge_offset + k * pitch`` inward from the region edge, so the outer row's centres sit exactly
    ``edge_offset`` from the edge and rows are ``pitch`` apart. Along each line the centres are on a pitch grid
    centred on the region centre (:func:`centred_grid`), so a region whose side is not a whole number of pitches
    stays mirror-symmetric. The two lines parallel to x (bottom and top) carry their full grid, corners
    included; the two lines parallel to y carry only the grid points at least one pitch inside the bottom and
    top lines, so a corner is never placed twice and no two centres are closer than ``pitch``.
    Order: ring by ring, counter-clockwise from the bottom-left, bottom line first.
``full_array``
    every point of the centred pitch grid that lies at least ``edge_offset`` inside the region edge.
    Order: row by row (ascending y), ascending x within a row.
``explicit``
    the given ``positions`` relative to the region centre, in the order given.
``file``, ``ball_map``
    positions read from the engineer's design data when the case is validated (a CSV of x, y, or a JEDEC-style
    ball map centred on the region: :mod:`fcpkg_fem.case.layout_files`), then placed exactly as ``explicit``
    ones, in the file's row order (ball map: row A first, then by column). :func:`array_labels` gives their ids.

Worked example (tests/unit/test_layout.py): an 8 x 8 mm die, 2 peripheral rows, pitch 200 um, edge offset
150 um. Ring 0 lines at +-3.85 mm; the grid along them is 39 points, -3.8 ... 3.8 mm; the side lines keep
the 37 points with ``|y| <= 3.65 mm``: 2 * 39 + 2 * 37 = 152. Ring 1 lines at +-3.65 mm: 37 and 35 points,
144. Total 296.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

TOL = 1e-9
"""Geometric tolerance in m (positions are compared, and symmetry is checked, to this)."""

__all__ = [
    "TOL",
    "centred_grid",
    "peripheral",
    "full_array",
    "explicit",
    "array_centres",
    "array_rings",
    "array_labels",
    "bump_centres",
    "interconnect_size",
    "via_centres",
    "trace_strips",
    "trace_half_sizes",
    "ball_centres",
    "overlap_rect",
    "die_pairs",
    "adhesive_rects",
    "disk_in_rect_margin",
    "rect_in_rect_margin",
    "disk_rect_gap",
    "rect_rect_gap",
    "mirror",
]


def centred_grid(span: float, pitch: float) -> np.ndarray:
    """Points at ``pitch`` spacing centred on 0 that fit in ``[-span/2, span/2]`` (m); empty if span < 0."""
    if span < -TOL or pitch <= 0:
        return np.zeros(0)
    n = int(math.floor(max(span, 0.0) / pitch + 1e-9)) + 1
    return (np.arange(n) - (n - 1) / 2.0) * pitch


def _ring(hx: float, hy: float, pitch: float) -> tuple[np.ndarray, np.ndarray]:
    """One peripheral ring on the lines x = +-hx, y = +-hy: (centres (N, 2), on_x_line (N,) bool)."""
    xs = centred_grid(2 * hx, pitch)
    ys = centred_grid(2 * hy, pitch)
    side = ys[np.abs(ys) <= hy - pitch + TOL]
    one_x = hx <= TOL  # degenerate ring: a single line
    one_y = hy <= TOL
    parts: list[np.ndarray] = []
    flags: list[np.ndarray] = []

    def add(x: np.ndarray, y: np.ndarray, on_x: bool) -> None:
        parts.append(np.column_stack([x, y]))
        flags.append(np.full(len(x), on_x))

    add(xs, np.full(len(xs), -hy), True)  # bottom, left to right
    if not one_x:
        add(np.full(len(side), hx), side, False)  # right, upwards
    if not one_y:
        add(xs[::-1], np.full(len(xs), hy), True)  # top, right to left
    if not one_x:
        add(np.full(len(side), -hx), side[::-1], False)  # left, downwards
    return np.concatenate(parts), np.concatenate(flags)


def peripheral(
    size: Sequence[float],
    edge_offset: float,
    pitch: float,
    rows: int,
    center: Sequence[float] = (0.0, 0.0),
    *,
    with_info: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres of a peripheral array (see the module docstring for the rule).

    Args:
        size: region (die or carrier) full widths (x, y) in m.
        edge_offset: region edge to the centre line of the outermost ring, m.
        pitch: spacing along a row and between rows, m.
        rows: number of rings; rings that would not fit (negative half-width) are left out.
        center: region centre (global), m.
        with_info: also return each centre's ring index (0 = outermost) and whether it lies on a line
            parallel to x (the bottom or top line of its ring).

    Returns:
        ``(N, 2)`` centres in m, or ``(centres, ring (N,) int, on_x_line (N,) bool)`` with ``with_info``.
    """
    pts: list[np.ndarray] = []
    ring: list[np.ndarray] = []
    onx: list[np.ndarray] = []
    for k in range(int(rows)):
        hx = size[0] / 2 - edge_offset - k * pitch
        hy = size[1] / 2 - edge_offset - k * pitch
        if hx < -TOL or hy < -TOL:
            break
        p, f = _ring(max(hx, 0.0), max(hy, 0.0), pitch)
        pts.append(p)
        ring.append(np.full(len(p), k))
        onx.append(f)
    centres = np.concatenate(pts) if pts else np.zeros((0, 2))
    centres = centres + np.asarray(center, dtype=float)
    if not with_info:
        return centres
    return (
        centres,
        np.concatenate(ring) if ring else np.zeros(0, dtype=int),
        np.concatenate(onx) if onx else np.zeros(0, dtype=bool),
    )


def full_array(
    size: Sequence[float], edge_offset: float, pitch: float, center: Sequence[float] = (0.0, 0.0)
) -> np.ndarray:
    """Centres of a full grid array: the centred pitch grid at least ``edge_offset`` inside the region (m)."""
    xs = centred_grid(size[0] - 2 * edge_offset, pitch)
    ys = centred_grid(size[1] - 2 * edge_offset, pitch)
    if len(xs) == 0 or len(ys) == 0:
        return np.zeros((0, 2))
    gx, gy = np.meshgrid(xs, ys)  # rows of constant y
    return np.column_stack([gx.ravel(), gy.ravel()]) + np.asarray(center, dtype=float)


def explicit(positions: Sequence[Sequence[float]], center: Sequence[float] = (0.0, 0.0)) -> np.ndarray:
    """Given positions (relative to the region centre, m) as global ``(N, 2)`` centres."""
    if not len(positions):
        return np.zeros((0, 2))
    return np.asarray(positions, dtype=float).reshape(-1, 2) + np.asarray(center, dtype=float)


def array_centres(spec: Any, size: Sequence[float], center: Sequence[float] = (0.0, 0.0)) -> np.ndarray:
    """Centres for an array spec (bumps, vias, traces or balls of a validated case).

    Args:
        spec: object with ``pattern`` and the fields it needs: ``pitch``, ``rows``, ``edge_offset``,
            ``positions`` (SI; for ``file`` and ``ball_map`` filled from the data at validation).
        size, center: the region (die or carrier) the array belongs to, m.
    """
    if spec.pattern == "peripheral":
        return peripheral(size, spec.edge_offset, spec.pitch, spec.rows, center)
    if spec.pattern == "full_array":
        return full_array(size, spec.edge_offset, spec.pitch, center)
    if spec.pattern in ("explicit", "file", "ball_map"):
        return explicit(spec.positions, center)
    raise ValueError(f"unknown array pattern {spec.pattern!r}")


def array_labels(spec: Any) -> tuple[str, ...] | None:
    """The labels of the centres of :func:`array_centres`, in the same order: a layout file's ``id`` column or a
    ball map's cell names (``A1``, ``B12``); None for other patterns and files without ids."""
    return getattr(spec, "labels", None)


def array_rings(spec: Any, size: Sequence[float]) -> np.ndarray:
    """Ring index of every centre of :func:`array_centres` (0 = outermost); -1 for full and explicit arrays."""
    if spec.pattern == "peripheral":
        return peripheral(size, spec.edge_offset, spec.pitch, spec.rows, with_info=True)[1]
    return np.full(len(array_centres(spec, size)), -1)


def bump_centres(chip: Any) -> np.ndarray:
    """Global bump centres ``(N, 2)`` in m of a die (``chip.size``, ``chip.center``, ``chip.bumps``)."""
    return array_centres(chip.bumps, chip.size, chip.center)


def interconnect_size(package: Any) -> tuple[float, float]:
    """The rectangle (centred at the origin) vias and traces are laid out in: the overlap of both carriers, m."""
    b, t = package.carriers.bottom.size, package.carriers.top.size
    return (min(b[0], t[0]), min(b[1], t[1]))


def via_centres(package: Any) -> np.ndarray:
    """Via centres ``(N, 2)`` in m (empty unless ``package.interconnect.kind == 'vias'``)."""
    ic = package.interconnect
    if ic.kind != "vias":
        return np.zeros((0, 2))
    return array_centres(ic, interconnect_size(package))


def _nearest_edge_along_x(centres: np.ndarray, size: Sequence[float]) -> np.ndarray:
    """True where the nearest carrier edge is a bottom/top edge (parallel to x); ties go to x."""
    dx = size[0] / 2 - np.abs(centres[:, 0])
    dy = size[1] / 2 - np.abs(centres[:, 1])
    return dy <= dx + TOL


def trace_strips(package: Any) -> tuple[np.ndarray, np.ndarray]:
    """Trace strip centres and orientations.

    A trace is a vertical strip through the encapsulant, cross-section ``width`` (along the nearest carrier
    edge) x ``thickness`` (normal to it).

    Returns:
        ``(centres (N, 2) in m, along_x (N,) bool)``; ``along_x[i]`` is True when strip i's width runs
        along x (it sits by the bottom or top carrier edge), False when it runs along y. Empty unless
        ``package.interconnect.kind == 'traces'``.
    """
    ic = package.interconnect
    if ic.kind != "traces":
        return np.zeros((0, 2)), np.zeros(0, dtype=bool)
    size = interconnect_size(package)
    if ic.pattern == "peripheral":
        c, _, onx = peripheral(size, ic.edge_offset, ic.pitch, ic.rows, with_info=True)
        return c, onx
    c = array_centres(ic, size)
    return c, _nearest_edge_along_x(c, size)


def trace_half_sizes(width: float, thickness: float, along_x: np.ndarray) -> np.ndarray:
    """Half-widths ``(N, 2)`` (x, y) of the trace strips' rectangles, m."""
    hw, ht = width / 2, thickness / 2
    return np.where(np.asarray(along_x)[:, None], [hw, ht], [ht, hw]).astype(float)


def ball_centres(balls: Any, carrier: Any) -> np.ndarray:
    """Ball centres ``(N, 2)`` in m of a ball array on a carrier (``carrier.size``, centred at the origin)."""
    if balls is None:
        return np.zeros((0, 2))
    return array_centres(balls, carrier.size)


def overlap_rect(
    c1: Sequence[float], s1: Sequence[float], c2: Sequence[float], s2: Sequence[float]
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Intersection of two axis-aligned rectangles (centre, full size), or None if it has no area."""
    lo = [max(c1[i] - s1[i] / 2, c2[i] - s2[i] / 2) for i in range(2)]
    hi = [min(c1[i] + s1[i] / 2, c2[i] + s2[i] / 2) for i in range(2)]
    if hi[0] - lo[0] <= TOL or hi[1] - lo[1] <= TOL:
        return None
    return ((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2), (hi[0] - lo[0], hi[1] - lo[1])


def die_pairs(package: Any) -> list[tuple[int, int]]:
    """Back-to-back die pairs: (index of the bottom-carrier die, index of the top-carrier die) whose
    footprints overlap, in order of the bottom dies then the top dies."""
    out = []
    for i, b in enumerate(package.carriers.bottom.chips):
        for j, t in enumerate(package.carriers.top.chips):
            if overlap_rect(b.center, b.size, t.center, t.size) is not None:
                out.append((i, j))
    return out


def adhesive_rects(package: Any) -> list[tuple[int, int, tuple[float, float], tuple[float, float]]]:
    """The adhesive blocks: one per back-to-back die pair.

    Returns:
        ``[(i, j, center, size)]``: bottom die i, top die j, and the block's centre and full size in m.
        The block is the overlap of the two dies, or ``package.adhesive.size`` centred on that overlap.
    """
    out = []
    for i, j in die_pairs(package):
        b, t = package.carriers.bottom.chips[i], package.carriers.top.chips[j]
        center, size = overlap_rect(b.center, b.size, t.center, t.size)  # type: ignore[misc]
        if package.adhesive.size is not None:
            size = tuple(package.adhesive.size)
        out.append((i, j, center, size))
    return out


# --- distances (m); positive = clear by that much, negative = overlap/protrusion --------------------------


def disk_in_rect_margin(
    centres: np.ndarray, radius: float, rect_center: Sequence[float], rect_size: Sequence[float]
) -> np.ndarray:
    """For each disk, how far it stays inside the rectangle (negative = it pokes out by that much)."""
    c = np.asarray(centres, dtype=float).reshape(-1, 2) - np.asarray(rect_center, dtype=float)
    h = np.asarray(rect_size, dtype=float) / 2
    return np.min(h - np.abs(c), axis=1) - radius


def rect_in_rect_margin(
    centres: np.ndarray, half: np.ndarray, rect_center: Sequence[float], rect_size: Sequence[float]
) -> np.ndarray:
    """For each small rectangle (centre, half-widths (N, 2)), how far it stays inside the big one."""
    c = np.asarray(centres, dtype=float).reshape(-1, 2) - np.asarray(rect_center, dtype=float)
    h = np.asarray(rect_size, dtype=float) / 2
    return np.min(h - np.abs(c) - np.asarray(half, dtype=float).reshape(-1, 2), axis=1)


def disk_rect_gap(
    centres: np.ndarray, radius: float, rect_center: Sequence[float], rect_size: Sequence[float]
) -> np.ndarray:
    """Clear distance from each disk to a rectangle (negative = they overlap)."""
    c = np.abs(np.asarray(centres, dtype=float).reshape(-1, 2) - np.asarray(rect_center, dtype=float))
    h = np.asarray(rect_size, dtype=float) / 2
    d = c - h
    outside = np.linalg.norm(np.maximum(d, 0.0), axis=1)
    inside = np.max(d, axis=1)  # <= 0 when the centre is inside the rectangle
    return np.where(outside > 0, outside, inside) - radius


def rect_rect_gap(
    centres: np.ndarray, half: np.ndarray, rect_center: Sequence[float], rect_size: Sequence[float]
) -> np.ndarray:
    """Clear distance from each small rectangle (centre, half-widths (N, 2)) to a big one (negative = overlap)."""
    c = np.abs(np.asarray(centres, dtype=float).reshape(-1, 2) - np.asarray(rect_center, dtype=float))
    d = c - np.asarray(half, dtype=float).reshape(-1, 2) - np.asarray(rect_size, dtype=float) / 2
    outside = np.linalg.norm(np.maximum(d, 0.0), axis=1)
    return np.where(outside > 0, outside, np.max(d, axis=1))


def mirror(points: np.ndarray, axis: int) -> np.ndarray:
    """Mirror image of ``(N, 2)`` points in the plane ``x = 0`` (axis 0) or ``y = 0`` (axis 1)."""
    out = np.array(points, dtype=float).reshape(-1, 2)
    out[:, axis] *= -1
    return out


def stack_heights(pkg: Any) -> dict[str, float]:
    """z of every horizontal level of a stacked package, in m (z = 0: bottom face of carrier 1)."""
    bottom, top = pkg.carriers.bottom, pkg.carriers.top
    zc1 = float(sum(layer.thickness for layer in bottom.layers))
    pairs = die_pairs(pkg)
    if pairs:
        i, j = pairs[0]
        b, t = bottom.chips[i], top.chips[j]
        gap = b.bumps.standoff + b.thickness + pkg.adhesive.thickness + t.thickness + t.bumps.standoff
    else:  # no back-to-back pair: the gap is set by the tallest die column on either carrier
        gap = max([c.bumps.standoff + c.thickness for c in bottom.chips + top.chips] or [0.0])
    zc2 = zc1 + gap
    ztop = zc2 + float(sum(layer.thickness for layer in top.layers))
    return {"carrier1_top": zc1, "carrier2_bottom": zc2, "carrier2_top": ztop, "gap": gap}


def package_thickness(case: Any) -> float:
    """Thickness of the whole modelled body in m, bottom of the lowest part to top of the highest (balls included):
    the z extent of the geometry :func:`fcpkg_fem.geometry.build.build_geometry` makes, without building it."""
    if case.structure == "laminate":
        z = [0.0, float(sum(layer.thickness for layer in case.laminate.layers))]
    else:
        pkg = case.package
        h = stack_heights(pkg)
        z_top = h["carrier2_top"]
        z = [0.0, z_top, h["carrier2_bottom"] + sum(layer.thickness for layer in pkg.carriers.top.layers)]
        if getattr(pkg, "top_balls", None) is not None:
            z.append(z_top + pkg.top_balls.height)
        if getattr(pkg, "bottom_balls", None) is not None:
            z.append(0.0 - pkg.bottom_balls.height)
    z = np.round(z, 12)  # as Geometry.z_planes rounds
    return float(z.max() - z.min())


def package_size(case: Any) -> tuple[float, float]:
    """(thickness in m, body volume in m^3) of the whole (uncut) package, for the J-STD-020 classification."""
    thickness = package_thickness(case)
    if case.structure == "laminate":
        sx, sy = case.laminate.size
    else:
        c = case.package.carriers
        sx = max(c.bottom.size[0], c.top.size[0])
        sy = max(c.bottom.size[1], c.top.size[1])
    return thickness, float(thickness * sx * sy)
