"""Bilayer plate heated uniformly: curvature against Timoshenko (1925) with biaxial moduli.

Reference: S. Timoshenko, 'Analysis of bi-metal thermostats', J. Opt. Soc. Am. 11(3):233-255 (1925).

Plate: 10 mm x 10 mm, bottom layer 300 um (E 130 GPa, nu 0.28, alpha 2.6 ppm/K), top layer 200 um (E 120 GPa,
nu 0.34, alpha 17 ppm/K), stress-free at 25 degC, solved at 125 degC, quarter model, mesh size 0.5 mm, one
element through each layer.

Exact (plate theory): away from the free edges the plate is in equibiaxial plane stress with strains linear
through the thickness, so Timoshenko's bimetal formula holds with E replaced by the biaxial modulus E/(1-nu):

    kappa = 6 (a2 - a1) dT (1+m)^2 / (h [3 (1+m)^2 + (1 + m n)(m^2 + 1/(m n))]),
    m = t1/t2, n = E1'/E2', h = t1 + t2, E' = E/(1-nu)      -> kappa = 4.1502 1/m here

and the +z displacement is the bowl w = -kappa (x^2 + y^2)/2 + rigid motion. Where it holds: span/thickness
>= ~20 (here 20), and outside a free-edge zone of a few thicknesses where the in-plane stresses fall to zero
and the interface carries peel and shear (Suhir); there the plate is not spherical. The curvature is measured
as the quadratic least-squares fit of the bottom-face vertex displacement over the central region
|x|, |y| <= L/2 - 5 h (the central 5 mm x 5 mm).
"""

from __future__ import annotations

import numpy as np
import pytest

from fcpkg_fem import api

from support.verification import ELEMENTS, iso, laminate_case, problem_of, quadratic_fit, timoshenko_curvature

L = 10e-3
T1, T2 = 300e-6, 200e-6
H = T1 + T2
MATS = {"lower": iso(130.0, 0.28, 2.6), "upper": iso(120.0, 0.34, 17.0)}
KAPPA = timoshenko_curvature(130e9, 0.28, 2.6e-6, T1, 120e9, 0.34, 17e-6, T2, 100.0)
EDGE_ZONE = 5 * H


def bilayer_case(element: str) -> dict:
    return laminate_case([("lower", "lower", 300), ("upper", "upper", 200)], MATS, size_mm=(10.0, 10.0),
                         element=element, mesh_size_mm=0.5, min_elements_per_layer=1)


def central_curvature(element: str) -> tuple[float, float]:
    """(kappa_x, kappa_y) in 1/m, sign as Timoshenko's (dome positive), from the central bottom face."""
    case = api.load_case(bilayer_case(element))
    pmesh, problem = problem_of(case)
    st = problem.solve(125.0)
    u = problem.vertex_displacement(st.u)
    m = pmesh.mesh
    v = np.unique(m.facets[:, m.boundaries["bottom"]])
    x, y, w = m.p[0, v], m.p[1, v], u[v, 2]
    keep = (x <= L / 2 - EDGE_ZONE + 1e-9) & (y <= L / 2 - EDGE_ZONE + 1e-9)
    assert keep.sum() >= 25  # enough points for a six-coefficient fit
    kx, ky = quadratic_fit(x[keep], y[keep], w[keep])
    return -kx, -ky


def test_timoshenko_value():
    """The formula itself, for equal layers (m = n = 1): kappa = 3 (a2 - a1) dT / (2 h), exactly."""
    k = timoshenko_curvature(100e9, 0.3, 1e-6, 1e-3, 100e9, 0.3, 11e-6, 1e-3, 50.0)
    assert k == pytest.approx(3 * 10e-6 * 50.0 / (2 * 2e-3), rel=1e-14)


BENDING_ELEMENTS = [e for e in ELEMENTS if e != "hex8"]  # hex8 locks (below)


@pytest.mark.parametrize("element", BENDING_ELEMENTS)
def test_bilayer_curvature_matches_timoshenko(element):
    """One element per layer: kappa_x and kappa_y within 2 % of Timoshenko (measured -0.011 % for hex20,
    -0.006 % for hex8i; the 2 % is the project's acceptance bound for a layered plate at span/thickness 20)."""
    kx, ky = central_curvature(element)
    assert kx == pytest.approx(KAPPA, rel=0.02)
    assert ky == pytest.approx(KAPPA, rel=0.02)


def test_hex8_locks_in_bending():
    """Plain trilinear hex8 on the same mesh (elements 0.5 mm wide, 0.2-0.3 mm thick) is too stiff in bending
    (parasitic shear, 'locking'): the curvature comes out more than 10 % low (measured -22 %). This is why it
    is not the default element; hex20 (or hex8i) is."""
    kx, ky = central_curvature("hex8")
    assert kx < 0.9 * KAPPA
    assert ky < 0.9 * KAPPA
    assert kx > 0  # still bends the right way


@pytest.mark.parametrize("element", BENDING_ELEMENTS)
def test_summary_warpage_of_the_bowl(element):
    """The reported warpage through :func:`fcpkg_fem.api.run`.

    Exact for the bowl w = -kappa (x^2 + y^2)/2 over the square [-L/2, L/2]^2: its least-squares plane is a
    constant (the function is even in x and y), so the plane-removed peak-to-valley is the corner-to-centre
    difference kappa (L^2/2)/2 = kappa L^2/4 here. The plate domes (w largest at the centre): the top face,
    seen from above, bulges towards its viewer and is called convex (signed = +coplanarity); the bottom face,
    seen from below, is concave (signed = -coplanarity); corner-minus-centre (along +z) is -kappa L^2/4.

    Tolerance 0.5 %: within the free-edge zone (a few thicknesses of the 5 mm half span) the plate departs from
    the sphere; measured for hex20 -0.13 % for the coplanarity and -0.07 % for the fitted curvature over the
    full face (hex8i: -0.03 % and +0.01 % for the bottom and top coplanarity),
    so 0.5 % leaves room for mesh variation while still catching a wrong mirroring (factor 2 or 4) or plane
    removal.
    """
    res = api.run(api.load_case(bilayer_case(element)), write=False)
    w = res.summary["outputs"][0]["warpage"]
    pv = KAPPA * L**2 / 4 * 1e6
    b, t = w["bottom"], w["top"]
    assert b["coplanarity_um"] == pytest.approx(pv, rel=5e-3)
    assert t["coplanarity_um"] == pytest.approx(pv, rel=5e-3)
    assert b["signed_um"] == pytest.approx(-b["coplanarity_um"]) and b["shape"] == "concave"
    assert t["signed_um"] == pytest.approx(t["coplanarity_um"]) and t["shape"] == "convex"
    assert b["corner_minus_center_um"] == pytest.approx(-pv, rel=5e-3)
    assert b["curvature_x_1_per_m"] == pytest.approx(-KAPPA, rel=5e-3)
    assert b["curvature_y_1_per_m"] == pytest.approx(-KAPPA, rel=5e-3)
