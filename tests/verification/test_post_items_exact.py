"""Per-item averages, the critical item, the PoP gap and the warpage shape on prescribed fields (fcpkg_fem/post).

A small stacked package (4 x 4 mm carriers, 2.4 mm and 1.6 mm dies) is meshed for real, with its bumps, vias and
top balls at **explicit** positions, so that item k of each array is the k-th listed position. Instead of solving,
a displacement field is set at every dof (``u(doflocs)``), the element strains and stresses are recovered from it
with the solver's own ``element_stress`` (no thermal strain), and the post-processors see it through
``PostContext.of`` as they would a solution.

Items. With s(x, y, z) = e0 + b (x sx + y sy) + g z,

    u = (-b sx z^2/2, -b sy z^2/2, (e0 + b (x sx + y sy)) z + g z^2/2)   =>   eps = diag(0, 0, s) everywhere
    (no shear: the z^2 terms of u_x, u_y cancel d u_z/dx = b sx z and d u_z/dy = b sy z).

hex20 holds this field exactly; in hex8 and hex8i the element-averaged strain is exact, s at the element's volume
centroid, because every element is a prism swept along z (a z^2 interpolant is linear through each element
layer, and the incompatible modes of hex8i have zero element mean). The von Mises equivalent of diag(0, 0, s) is
(2/3) s, and the von Mises stress of an isotropic material under it is 2 mu s. s is linear, so its volume average
over an item is its value at the item's volume centroid: the disk centre, since every disk is meshed as a regular
polygon centred on it (none is cut in a full model), at the item's mid-height Z. Hence, for item k at (X, Y):

    eq_strain = (2/3) s(X, Y, Z),   von_mises_MPa = 2 mu s(X, Y, Z),   axial_strain (vias) = s(X, Y, Z).

The g z term makes the volume weighting matter: a via crosses slabs of 20 um to 260 um with two element layers
each, in a stack that is not symmetric about its mid-height (carrier cores 260 and 200 um), so a plain mean over
its elements would put it off mid-height.

and the critical item is the one farthest along (sx, sy): the corner item of that quadrant. The only error is
round-off in the element strains (sums of ~1e-6 m terms over ~1e-4 m elements): asserted to 1e-9 relative;
von Mises to 1e-6 MPa, the summary's rounding.

Warpage (quarter model of the same package, mirrored to the full face, so the face sample is symmetric and the
least-squares plane of an even field is a constant): u_z = c (x^2 + y^2) is a bowl with both curvatures 2c (of w
along +z), coplanarity c L^2/2 (corner (L/2, L/2) minus centre) on both faces; with c > 0 the bottom face, seen from
below, bulges towards the viewer (convex, +) and the top face, seen from above, dishes away (concave, -).
u_z = c (x^2 - y^2) is a saddle with curvatures 2c and -2c and coplanarity c L^2/2 ((L/2, 0) minus (0, L/2)); its
mean curvature is zero, and the documented rule (post/warpage.py) then gives the sign +. u_z = c (x^2 - y^2/2) is
a saddle whose mean curvature is that of the bowl with c > 0: + seen from below, - seen from above; coplanarity
3 c L^2/8. A rigid rotation (full model) has zero coplanarity and leaves a bowl's numbers unchanged. The fits are
exact for these quadratic fields: asserted to 1e-9 relative (curvatures) and 1e-6 um (summary rounding).

PoP gap (full model): u_z = rigid rotation + c (x^2 + y^2). Each top ball rises by the mean w of its pad outline
on the top face: w at its centre + c rho, rho the same for every ball (equal regular polygons); the tilt and the
constant are removed by the plane through the ball heights, and the ball layout is symmetric, so that plane has no
slope from the bowl. The gap ball k sees under a flat package seated on the highest balls is therefore

    gap_k = height + max_j (c |c_j|^2) - c |c_k|^2      (c > 0: seated on the outer balls; c < 0: on the inner),

asserted to 1e-9 um (round-off of sums of ~1 um terms). In a quarter model the pads on the symmetry planes are
mirrored whole and the balls outside the quarter take their mirror image's height: the same exact gaps.
"""

from __future__ import annotations

import numpy as np
import pytest

from fcpkg_fem.post import PostContext, run_post
from fcpkg_fem.post.warpage import ball_gaps

from support.items import BALL_HEIGHT, BUMPS1, BUMPS2, L, VIAS, prescribed, setup as _setup
from support.verification import ELEMENTS

# ---------------------------------------------------------------------------------------------------- items

E0, B, G = 2e-3, 4e-4, 1e-3  # s = e0 + b (x sx + y sy) + g z, x, y, z in mm: 0.7e-3 .. 4.5e-3 over the items
SX, SY = -1.0, 1.0  # the field grows towards the (-x, +y) corner


def s_of(x_m, y_m, z_m):
    return E0 + B * 1e3 * (SX * x_m + SY * y_m) + G * 1e3 * z_m


def items_field(x, y, z):
    b = B * 1e3  # per m
    return -b * SX * z**2 / 2, -b * SY * z**2 / 2, s_of(x, y, 0.0) * z + G * 1e3 * z**2 / 2


@pytest.mark.parametrize("element", ELEMENTS)
def test_item_averages_and_critical_item(element):
    case, pmesh, problem = _setup("full", element)
    out = run_post(PostContext.of(pmesh, problem, prescribed(problem, items_field), case), ["items"])
    mats = case.materials_resolved
    mu = {m: float(mats[m].stiffness(np.array([25.0]))[0][3, 3]) for m in ("sac305", "copper")}
    expected = {  # section, region, listed positions (m), material
        ("bumps", "bumps.die1"): (np.array(BUMPS1) * 1e-3, "sac305"),
        ("bumps", "bumps.die2"): (np.array(BUMPS2) * 1e-3, "sac305"),
        ("vias", "vias"): (np.array(VIAS) * 1e-3, "copper"),
        ("balls", "top_balls"): (np.array(VIAS) * 1e-3, "sac305"),
    }
    for (section, region), (pos, mat) in expected.items():
        zs = {(p.z0, p.z1) for p in pmesh.geometry.prisms if p.region == region}
        assert len(zs) == 1, region  # every item of an array spans the same heights
        z_mid = 0.5 * sum(zs.pop())
        table = out[section][region]
        rows = table["items"]
        assert table["count"] == len(pos) == len(rows), region
        # item k is the k-th listed position (dies and carriers are centred at the origin)
        assert [r["id"] for r in rows] == list(range(len(pos))), region
        np.testing.assert_allclose([[r["x_mm"], r["y_mm"]] for r in rows], pos * 1e3, atol=1e-6, err_msg=region)
        s = s_of(pos[:, 0], pos[:, 1], z_mid)
        np.testing.assert_allclose([r["eq_strain"] for r in rows], 2.0 / 3.0 * s, rtol=1e-9, err_msg=region)
        np.testing.assert_allclose([r["von_mises_MPa"] for r in rows], 2.0 * mu[mat] * s * 1e-6, rtol=0,
                                   atol=1.5e-6, err_msg=region)  # rounded to 1e-6 MPa in the summary
        if section == "vias":
            np.testing.assert_allclose([r["axial_strain"] for r in rows], s, rtol=1e-9, err_msg=region)
        # the critical item: the corner item farthest along (sx, sy), with its id and position
        k = int(np.argmax(SX * pos[:, 0] + SY * pos[:, 1]))
        assert 0 < k < len(pos) - 1  # the layouts are listed so that it is neither first nor last
        crit = table["critical"]
        assert crit["id"] == k, region
        assert [crit["x_mm"], crit["y_mm"]] == pytest.approx(list(pos[k] * 1e3), abs=1e-6), region
        assert crit["eq_strain"] == pytest.approx(2.0 / 3.0 * s[k], rel=1e-9), region


def test_quarter_model_reports_the_items_it_models():
    """Quarter model: the items that reach into x, y >= 0 (those on a symmetry plane included), each with its id
    in the full layout and its full-package position."""
    case, pmesh, problem = _setup("quarter", "hex8i")
    out = run_post(PostContext.of(pmesh, problem, prescribed(problem, items_field), case), ["items"])
    for section, region, pos in (("bumps", "bumps.die1", BUMPS1), ("bumps", "bumps.die2", BUMPS2),
                                 ("vias", "vias", VIAS), ("balls", "top_balls", VIAS)):
        pos = np.array(pos)
        want = [k for k, (x, y) in enumerate(pos) if x >= 0 and y >= 0]
        rows = out[section][region]["items"]
        assert [r["id"] for r in rows] == want, region
        np.testing.assert_allclose([[r["x_mm"], r["y_mm"]] for r in rows], pos[want], atol=1e-6, err_msg=region)


# -------------------------------------------------------------------------------------------------- warpage

C = 0.5  # 1/m: u_z = c (...) gives w = 2 um at the corner of the 4 mm package for the bowl


def _warpage(symmetry, field, element="hex8i"):
    case, pmesh, problem = _setup(symmetry, element)
    return run_post(PostContext.of(pmesh, problem, prescribed(problem, field), case), ["warpage"])["warpage"]


def _z(x):
    return np.zeros_like(x)


@pytest.mark.parametrize("c", [C, -C])
def test_bowl_sign_by_view(c):
    w = _warpage("quarter", lambda x, y, z: (_z(x), _z(x), c * (x**2 + y**2)))
    pv = abs(c) * L**2 / 2 * 1e6  # um
    for face, view_sign in (("bottom", +1), ("top", -1)):  # c > 0: seen from below convex, from above concave
        f = w[face]
        assert f["shape"] == ("convex" if c * view_sign > 0 else "concave"), face
        assert f["coplanarity_um"] == pytest.approx(pv, abs=1e-6), face
        assert f["signed_um"] == pytest.approx(np.sign(c) * view_sign * pv, abs=1e-6), face
        assert f["corner_minus_center_um"] == pytest.approx(c * L**2 / 2 * 1e6, abs=1e-6), face  # raw, along +z
        assert f["curvature_x_1_per_m"] == pytest.approx(2 * c, rel=1e-9), face
        assert f["curvature_y_1_per_m"] == pytest.approx(2 * c, rel=1e-9), face


def test_balanced_saddle_sign_rule():
    """Mean curvature zero: shape saddle, sign + by the documented rule (not the sign of round-off)."""
    w = _warpage("quarter", lambda x, y, z: (_z(x), _z(x), C * (x**2 - y**2)))
    for face in ("bottom", "top"):
        f = w[face]
        assert f["shape"] == "saddle", face
        assert f["coplanarity_um"] == pytest.approx(C * L**2 / 2 * 1e6, abs=1e-6), face
        assert f["signed_um"] == pytest.approx(+C * L**2 / 2 * 1e6, abs=1e-6), face
        assert f["curvature_x_1_per_m"] == pytest.approx(2 * C, rel=1e-9), face
        assert f["curvature_y_1_per_m"] == pytest.approx(-2 * C, rel=1e-9), face


def test_unbalanced_saddle_takes_the_sign_of_its_mean_curvature():
    w = _warpage("quarter", lambda x, y, z: (_z(x), _z(x), C * (x**2 - 0.5 * y**2)))
    pv = 3 * C * L**2 / 8 * 1e6
    for face, sign in (("bottom", +1), ("top", -1)):  # mean curvature of a bowl with c > 0
        f = w[face]
        assert f["shape"] == "saddle", face
        assert f["coplanarity_um"] == pytest.approx(pv, abs=1e-6), face
        assert f["signed_um"] == pytest.approx(sign * pv, abs=1e-6), face
        assert f["curvature_x_1_per_m"] == pytest.approx(2 * C, rel=1e-9), face
        assert f["curvature_y_1_per_m"] == pytest.approx(-C, rel=1e-9), face


TX, TY = 3e-3, -2e-3  # rad: rotation about x and about y


def rotation(x, y, z):
    """Small rigid rotation u = theta x r, theta = (tx, ty, 0): no strain."""
    return TY * z, -TX * z, TX * y - TY * x


def tilted_bowl(c, x, y, z):
    """The rotation plus u_z = c (x^2 + y^2)."""
    ux, uy, uz = rotation(x, y, z)
    return ux, uy, uz + c * (x**2 + y**2)


def test_rigid_tilt_is_not_warpage():
    w = _warpage("full", rotation)
    for face in ("bottom", "top"):
        f = w[face]
        assert f["coplanarity_um"] == pytest.approx(0.0, abs=1e-6), face  # tilt of 12 um over the package
        assert f["shape"] == "flat" and f["signed_um"] == 0.0, face
    bowl = _warpage("full", lambda x, y, z: (_z(x), _z(x), C * (x**2 + y**2)))
    tilted = _warpage("full", lambda x, y, z: tilted_bowl(C, x, y, z))
    for face in ("bottom", "top"):
        for key in ("coplanarity_um", "signed_um", "corner_minus_center_um"):
            assert tilted[face][key] == pytest.approx(bowl[face][key], abs=1e-6), (face, key)
        for key in ("curvature_x_1_per_m", "curvature_y_1_per_m"):
            assert tilted[face][key] == pytest.approx(2 * C, rel=1e-9), (face, key)
        assert tilted[face]["shape"] == bowl[face]["shape"], face


# --------------------------------------------------------------------------------------------------- PoP gap


@pytest.mark.parametrize("c", [C, -C])
def test_pop_gap_of_each_ball(c):
    case, pmesh, problem = _setup("full", "hex8i")
    ctx = PostContext.of(pmesh, problem, prescribed(problem, lambda x, y, z: tilted_bowl(c, x, y, z)), case)
    centres, gaps = ball_gaps(ctx)
    pos = np.array(VIAS) * 1e-3
    np.testing.assert_allclose(centres, pos, atol=1e-12)
    r2 = (pos**2).sum(axis=1)
    exact = BALL_HEIGHT + (c * r2).max() - c * r2
    np.testing.assert_allclose(gaps, exact, rtol=0, atol=1e-15)  # m: 1e-9 um
    gap = run_post(ctx, ["warpage"])["warpage"]["pop_gap"]
    assert gap["nominal_um"] == gap["min_gap_um"] == pytest.approx(BALL_HEIGHT * 1e6, abs=1e-6)
    assert gap["max_gap_um"] == pytest.approx(exact.max() * 1e6, abs=1e-6)
    worst = np.nonzero(np.isclose(exact, exact.max(), rtol=0, atol=1e-15))[0]  # ties: equally far from the centre
    assert any(gap["max_gap_at_mm"] == pytest.approx(list(pos[k] * 1e3), abs=1e-6) for k in worst)


def test_pop_gap_in_a_quarter_model():
    """Quarter model, u_z = c (x^2 + y^2): the balls on the symmetry planes have half pads (mirrored whole), the
    balls outside the quarter take their mirror image's height; every gap is the exact one, and the ball named
    for the largest gap lies in the modelled quarter."""
    case, pmesh, problem = _setup("quarter", "hex8i")
    ctx = PostContext.of(pmesh, problem, prescribed(problem, lambda x, y, z: (_z(x), _z(x), C * (x**2 + y**2))), case)
    centres, gaps = ball_gaps(ctx)
    pos = np.array(VIAS) * 1e-3
    np.testing.assert_allclose(centres, pos, atol=1e-12)
    r2 = (pos**2).sum(axis=1)
    np.testing.assert_allclose(gaps, BALL_HEIGHT + (C * r2).max() - C * r2, rtol=0, atol=1e-15)
    gap = run_post(ctx, ["warpage"])["warpage"]["pop_gap"]
    x, y = gap["max_gap_at_mm"]
    assert x >= 0 and y >= 0 and x * y == 0  # a mid-edge ball (nearest the centre) of the modelled quarter
