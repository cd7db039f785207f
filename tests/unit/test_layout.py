"""Exact layouts of bump, via, trace and ball arrays (fcpkg_fem/geometry/layout.py).

Worked example used below (see the module docstring of layout.py): an 8 x 8 mm die, peripheral, 2 rows,
pitch 200 um, edge offset 150 um.
    ring 0: lines at +-3.85 mm; grid along a line: floor(7.7 / 0.2) + 1 = 39 points, -3.8 ... 3.8 mm;
            side lines keep |y| <= 3.85 - 0.2 = 3.65 mm -> 37 points; 2 * 39 + 2 * 37 = 152
    ring 1: lines at +-3.65 mm; floor(7.3 / 0.2) + 1 = 37 points, -3.6 ... 3.6; sides |y| <= 3.45 -> 35;
            2 * 37 + 2 * 35 = 144
    total 296.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from fcpkg_fem.case import layout

MM = 1e-3
UM = 1e-6


def test_centred_grid_counts_and_symmetry():
    g = layout.centred_grid(7.7 * MM, 0.2 * MM)
    assert len(g) == 39
    assert g[0] == pytest.approx(-3.8 * MM, abs=1e-15)
    assert np.array_equal(g, -g[::-1])  # exactly antisymmetric, so symmetry checks hold to the bit
    assert len(layout.centred_grid(0.0, 1.0)) == 1
    assert len(layout.centred_grid(-1.0, 1.0)) == 0
    # a whole number of pitches keeps both ends
    assert len(layout.centred_grid(8 * MM, 0.2 * MM)) == 41


def test_peripheral_two_rows_on_8mm_die_exact():
    c, ring, onx = layout.peripheral((8 * MM, 8 * MM), 150 * UM, 200 * UM, 2, with_info=True)
    assert len(c) == 296
    assert (ring == 0).sum() == 152 and (ring == 1).sum() == 144
    # no duplicates; nearest neighbours exactly one pitch apart
    assert len(np.unique(np.round(c / UM, 6), axis=0)) == 296
    d, _ = cKDTree(c).query(c, k=2)
    assert d[:, 1].min() == pytest.approx(200 * UM, rel=1e-12)
    # first points: bottom line of ring 0, left to right at y = -3.85 mm
    np.testing.assert_allclose(c[0], [-3.8 * MM, -3.85 * MM], atol=1e-15)
    np.testing.assert_allclose(c[1], [-3.6 * MM, -3.85 * MM], atol=1e-15)
    np.testing.assert_allclose(c[38], [3.8 * MM, -3.85 * MM], atol=1e-15)
    # then the right side, upwards from y = -3.6 mm at x = +3.85 mm
    np.testing.assert_allclose(c[39], [3.85 * MM, -3.6 * MM], atol=1e-15)
    assert onx[38] and not onx[39]
    # ring 1 starts at index 152: bottom line at y = -3.65 mm
    np.testing.assert_allclose(c[152], [-3.6 * MM, -3.65 * MM], atol=1e-15)
    # outer row sits exactly edge_offset from the die edge
    assert np.max(np.abs(c[:, 1])) == pytest.approx(3.85 * MM, abs=1e-15)
    assert np.max(np.abs(c[:, 0])) == pytest.approx(3.85 * MM, abs=1e-15)


def test_peripheral_whole_pitch_includes_corners_once():
    # 2 mm side, edge offset 0.2 mm -> lines at +-0.8 mm, 1.6 / 0.4 = 4 pitches -> 5 points with corners
    c = layout.peripheral((2 * MM, 2 * MM), 0.2 * MM, 0.4 * MM, 1)
    assert len(c) == 16  # 5 + 5 + 3 + 3
    corners = {(round(x / UM), round(y / UM)) for x, y in c if abs(abs(x) - 0.8 * MM) < 1e-12 and abs(abs(y) - 0.8 * MM) < 1e-12}
    assert corners == {(-800, -800), (800, -800), (800, 800), (-800, 800)}


def test_peripheral_is_offset_by_center_and_drops_rings_that_do_not_fit():
    c = layout.peripheral((1 * MM, 1 * MM), 0.1 * MM, 0.2 * MM, 5, center=(1 * MM, -2 * MM))
    # rings at half-widths 0.4, 0.2, 0.0 (a single point); the 4th (-0.2) does not fit
    # ring 0: grid over 0.8 -> 5 points; sides keep |y| <= 0.2 -> 3: 16; ring 1: 3 + 3 + 1 + 1 = 8; ring 2: 1
    assert len(c) == 16 + 8 + 1
    np.testing.assert_allclose(c[-1], [1 * MM, -2 * MM], atol=1e-15)


def test_full_array_exact():
    c = layout.full_array((2 * MM, 1 * MM), 0.1 * MM, 0.2 * MM, center=(0.5 * MM, 0))
    # x: span 1.8 -> 10 points; y: span 0.8 -> 5 points
    assert c.shape == (50, 2)
    np.testing.assert_allclose(c[0], [0.5 * MM - 0.9 * MM, -0.4 * MM], atol=1e-15)
    np.testing.assert_allclose(c[-1], [0.5 * MM + 0.9 * MM, 0.4 * MM], atol=1e-15)


def test_explicit_relative_to_center():
    c = layout.explicit([(0.1 * MM, 0.2 * MM), (-0.1 * MM, 0)], center=(1 * MM, 1 * MM))
    np.testing.assert_allclose(c, [[1.1 * MM, 1.2 * MM], [0.9 * MM, 1 * MM]])


def test_distances():
    # disk of radius 1 centred 3 from a 2x2 square centred at origin along x: gap 3 - 1 - 1 = 1
    assert layout.disk_rect_gap(np.array([[3.0, 0.0]]), 1.0, (0, 0), (2, 2))[0] == pytest.approx(1.0)
    # diagonal: corner at (1, 1), centre (4, 5): distance 5, gap 4
    assert layout.disk_rect_gap(np.array([[4.0, 5.0]]), 1.0, (0, 0), (2, 2))[0] == pytest.approx(4.0)
    # centre inside: penetration = radius + depth
    assert layout.disk_rect_gap(np.array([[0.5, 0.0]]), 1.0, (0, 0), (2, 2))[0] == pytest.approx(-1.5)
    assert layout.disk_in_rect_margin(np.array([[0.5, 0.0]]), 0.25, (0, 0), (2, 2))[0] == pytest.approx(0.25)
    assert layout.rect_rect_gap(np.array([[3.0, 0.0]]), np.array([[0.5, 0.5]]), (0, 0), (2, 2))[0] == pytest.approx(1.5)
    assert layout.rect_in_rect_margin(np.array([[0.0, 0.0]]), np.array([[0.5, 0.25]]), (0, 0), (2, 2))[0] == pytest.approx(0.5)
    assert layout.overlap_rect((0, 0), (2, 2), (1, 1), (2, 2)) == ((0.5, 0.5), (1.0, 1.0))
    assert layout.overlap_rect((0, 0), (2, 2), (2, 0), (2, 2)) is None  # touching edges have no area


def test_reference_case_arrays():
    from fcpkg_fem.case import load_case

    case = load_case("cases/reference.yaml")
    p = case.package
    # die1 8 mm: 296 (above); die2 6 mm: ring 0 lines +-2.85 -> 29 / 27 -> 112; ring 1 +-2.65 -> 27 / 25 -> 104
    assert len(layout.bump_centres(p.carriers.bottom.chips[0])) == 296
    assert len(layout.bump_centres(p.carriers.top.chips[0])) == 216
    # vias on 12 mm: ring 0 +-5.4 mm, 10.8/0.4 = 27 -> 28 points, sides |y| <= 5.0 -> 26: 108;
    # ring 1 +-5.0: 26 / 24 -> 100
    v = layout.via_centres(p)
    assert len(v) == 208
    np.testing.assert_allclose(v[0], [-5.4 * MM, -5.4 * MM], atol=1e-15)
    # top balls sit on the via pads (same edge offset 600 um, pitch 400 um, 2 rows): the same 208 centres
    np.testing.assert_allclose(layout.ball_centres(p.top_balls, p.carriers.top), v, atol=1e-15)
    assert layout.die_pairs(p) == [(0, 0)]
    (i, j, center, size), = layout.adhesive_rects(p)
    assert center == (0.0, 0.0) and size == pytest.approx((6 * MM, 6 * MM))
    assert p.gap == pytest.approx(60e-6 + 100e-6 + 25e-6 + 100e-6 + 60e-6, abs=1e-15)


def test_trace_orientation():
    from fcpkg_fem.case import load_case

    case = load_case("cases/tab_traces.yaml")
    c, along_x = layout.trace_strips(case.package)
    # one ring on the lines +-5.4 mm of the 12 mm carriers: 28 + 28 + 26 + 26
    assert len(c) == 108
    np.testing.assert_allclose(c[0], [-5.4 * MM, -5.4 * MM], atol=1e-15)
    assert along_x[0]  # bottom line: the strip's width runs along x
    np.testing.assert_allclose(c[28], [5.4 * MM, -5.0 * MM], atol=1e-15)
    assert not along_x[28]  # right side: width along y
    half = layout.trace_half_sizes(100e-6, 30e-6, along_x[[0, 28]])
    np.testing.assert_allclose(half, [[50e-6, 15e-6], [15e-6, 50e-6]])
    # explicit positions take the nearest edge
    from types import SimpleNamespace as NS

    ic = NS(kind="traces", pattern="explicit", positions=[(0.0, 5e-3), (5e-3, 0.0)])
    pkg = NS(interconnect=ic, carriers=NS(bottom=NS(size=(12e-3, 12e-3)), top=NS(size=(12e-3, 12e-3))))
    _, ax = layout.trace_strips(pkg)
    assert ax.tolist() == [True, False]
