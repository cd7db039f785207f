"""Post-processors on fields whose stresses are known exactly (fcpkg_fem/post).

One material in two layers (regions ``layer.a`` and ``layer.b``, so an interface exists), E 70 GPa, nu 0.3,
alpha 20 ppm/K, heated by 100 K (same film as test_thermal_expansion.py):

* rollers on the four side faces: sigma_xx = sigma_yy = -E alpha dT/(1 - nu) = -200 MPa, sigma_zz = 0. So von Mises
  = 200 MPa, the largest principal stress = 0, interface peel = sigma_zz = 0, interface shear = 0.
* rollers on all six faces: hydrostatic -E alpha dT/(1 - 2 nu) = -350 MPa. So von Mises = 0, the largest principal
  stress = -350 MPa, and the interface peel = -350 MPa (compression across the interface, negative by the
  convention that peel > 0 pulls the layers apart).

The fields are exact in every element (their errors are round-off), so the reported values are asserted to
1e-6 of the 200 MPa scale (summaries round to 1e-6 MPa).
"""

import numpy as np
import pytest

from fcpkg_fem import api
from fcpkg_fem.post import PostContext, run_post
from fcpkg_fem.physics.elasticity import equivalent_strain

from support.verification import iso, laminate_case, problem_of, with_rollers

FILM = {"film": iso(70.0, 0.3, 20.0)}
E, NU, A, DT = 70e9, 0.3, 20e-6, 100.0
SCALE = 200.0  # MPa
SIDES = [(0, "min"), (0, "max"), (1, "min"), (1, "max")]
ALL = SIDES + [(2, "min"), (2, "max")]


def _post(planes):
    case = api.load_case(laminate_case([("a", "film", 30), ("b", "film", 20)], FILM, size_mm=(2.0, 2.0),
                                       element="hex8i", mesh_size_mm=0.5))
    pmesh, problem = problem_of(case, cls=with_rollers(planes))
    st = problem.solve(125.0)
    return run_post(PostContext.of(pmesh, problem, st, case), ["region_stress", "interfaces"]), st


def test_biaxial_film_post():
    out, st = _post(SIDES)
    sig = -E * A * DT / (1 - NU) * 1e-6
    for region in ("layer.a", "layer.b"):
        r = out["regions"][region]
        assert r["von_mises_max_MPa"] == pytest.approx(abs(sig), abs=1e-6 * SCALE)
        assert r["max_principal_max_MPa"] == pytest.approx(0.0, abs=1e-6 * SCALE)
    itf = out["interfaces"]["layer.a|layer.b"]
    assert itf["peel_max_MPa"] == pytest.approx(0.0, abs=1e-6 * SCALE)
    assert itf["shear_max_MPa"] == pytest.approx(0.0, abs=1e-6 * SCALE)
    # mechanical strain: -alpha dT in-plane, alpha dT 2 nu/(1 - nu) through the thickness; its von Mises
    # equivalent sqrt(2/3 e':e') is (2/3) |e_zz - e_xx| for this axisymmetric state
    exx, ezz = -A * DT, A * DT * 2 * NU / (1 - NU)
    eq = equivalent_strain(st.strain - st.eth)
    assert np.allclose(eq, 2.0 / 3.0 * abs(ezz - exx), rtol=1e-9)


def test_fully_constrained_post():
    out, _ = _post(ALL)
    sig = -E * A * DT / (1 - 2 * NU) * 1e-6
    for region in ("layer.a", "layer.b"):
        r = out["regions"][region]
        assert r["von_mises_max_MPa"] == pytest.approx(0.0, abs=1e-6 * SCALE)
        assert r["max_principal_max_MPa"] == pytest.approx(sig, abs=1e-6 * SCALE)
    itf = out["interfaces"]["layer.a|layer.b"]
    assert itf["peel_max_MPa"] == pytest.approx(sig, abs=1e-6 * SCALE)
    assert itf["peel_min_MPa"] == pytest.approx(sig, abs=1e-6 * SCALE)
    assert itf["shear_max_MPa"] == pytest.approx(0.0, abs=1e-6 * SCALE)
