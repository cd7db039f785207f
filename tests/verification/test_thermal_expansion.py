"""Uniform heating of blocks and films whose exact solutions lie in every element's space (free expansion and
constrained films, docs/verification.md).

Each exact displacement below is linear in x, y, z, which hex8 and hex20 both represent exactly, so the
discrete solution must equal it up to round-off of the direct solve; the tolerances are set well above
round-off (1e-12 relative, measured) and far below any discretisation effect.
"""

from __future__ import annotations

import numpy as np
import pytest

from fcpkg_fem import api

from support.verification import ELEMENTS, iso, laminate_case, problem_of, with_rollers

T_SF, T = 25.0, 125.0
DT = T - T_SF
ALPHA = 12e-6  # 1/K, shared by every layer of the free block
BLOCK = {"soft": iso(3.0, 0.40, 12.0), "mid": iso(70.0, 0.33, 12.0), "stiff": iso(200.0, 0.25, 12.0)}
E_MAX = 200e9


def block_case(element: str) -> dict:
    return laminate_case([("a", "soft", 300), ("b", "mid", 200), ("c", "stiff", 500)], BLOCK,
                         size_mm=(4.0, 3.0), element=element, mesh_size_mm=0.8, min_elements_per_layer=2)


@pytest.mark.parametrize("element", ELEMENTS)
def test_multimaterial_block_with_equal_cte_is_stress_free(element):
    """Three bonded layers (E 3/70/200 GPa, nu 0.40/0.33/0.25), equal CTE 12 ppm/K, heated 25 -> 125 degC.

    Exact: u = alpha dT x (plus a rigid motion), stress = 0 everywhere, strain = alpha dT in x, y, z, because
    equal CTEs leave nothing to mismatch whatever the moduli, and the 3-2-1 supports and symmetry planes are
    statically determinate (they add no stress). Asserted: max |stress| < 1e-6 E_max alpha dT (E_max = 200
    GPa, so 2.4 kPa against 240 MPa of a fully restrained block) and |strain - alpha dT| < 1e-9 alpha dT.
    """
    case = api.load_case(block_case(element))
    _, problem = problem_of(case)
    st = problem.solve(T)
    scale = E_MAX * ALPHA * DT
    assert np.abs(st.stress_qp).max() < 1e-6 * scale
    eps = st.strain_qp
    assert np.abs(eps[..., :3] - ALPHA * DT).max() < 1e-9 * ALPHA * DT
    assert np.abs(eps[..., 3:]).max() < 1e-9 * ALPHA * DT


def test_multimaterial_block_through_run_reports_zero_stress_and_flat_faces():
    """The same block through :func:`fcpkg_fem.api.run` (hex20): von Mises max per region < 1e-6 E alpha dT
    (reported in MPa) and both faces flat (coplanarity below 1 nm: free expansion does not warp)."""
    res = api.run(api.load_case(block_case("hex20")), write=False)
    out = res.summary["outputs"][0]
    for region, r in out["regions"].items():
        assert r["von_mises_max_MPa"] * 1e6 < 1e-6 * E_MAX * ALPHA * DT, region
    for face in ("bottom", "top"):
        assert out["warpage"][face]["coplanarity_um"] < 1e-3


FILM = {"film": iso(70.0, 0.3, 20.0)}
E_F, NU_F, A_F = 70e9, 0.3, 20e-6


def film_problem(element: str, planes):
    case = api.load_case(laminate_case([("film", "film", 50)], FILM, size_mm=(2.0, 2.0), element=element,
                                       mesh_size_mm=0.5))
    _, problem = problem_of(case, cls=with_rollers(planes))
    return problem


@pytest.mark.parametrize("element", ELEMENTS)
def test_biaxially_constrained_film(element):
    """A 50 um film (E 70 GPa, nu 0.3, alpha 20 ppm/K) with u_x = 0 on both x faces and u_y = 0 on both y
    faces (rollers), top and bottom free, heated by 100 K.

    Exact: eps_xx = eps_yy = 0, sigma_zz = 0, so sigma_xx = sigma_yy = -E alpha dT / (1 - nu) = -200 MPa,
    eps_zz = alpha dT (1 + nu)/(1 - nu), shears 0. Asserted within 0.5 % of the biaxial stress at every
    quadrature point (the project's acceptance tolerance; measured error is round-off, < 1e-10).
    """
    problem = film_problem(element, [(0, "min"), (0, "max"), (1, "min"), (1, "max")])
    st = problem.solve(T)
    s = st.stress_qp
    sig = -E_F * A_F * DT / (1 - NU_F)
    assert np.abs(s[..., 0] - sig).max() < 5e-3 * abs(sig)
    assert np.abs(s[..., 1] - sig).max() < 5e-3 * abs(sig)
    assert np.abs(s[..., 2:]).max() < 5e-3 * abs(sig)
    ezz = A_F * DT * (1 + NU_F) / (1 - NU_F)
    assert np.abs(st.strain_qp[..., 2] - ezz).max() < 5e-3 * ezz


@pytest.mark.parametrize("element", ELEMENTS)
def test_fully_constrained_block(element):
    """The same film with u_n = 0 on all six faces, heated by 100 K.

    Exact: u = 0, sigma_xx = sigma_yy = sigma_zz = -E alpha dT / (1 - 2 nu) = -350 MPa (hydrostatic), shears 0.
    Asserted within 0.5 % (measured: round-off).
    """
    problem = film_problem(element, [(a, s) for a in range(3) for s in ("min", "max")])
    st = problem.solve(T)
    sig = -E_F * A_F * DT / (1 - 2 * NU_F)
    s = st.stress_qp
    assert np.abs(s[..., :3] - sig).max() < 5e-3 * abs(sig)
    assert np.abs(s[..., 3:]).max() < 5e-3 * abs(sig)
    assert np.abs(st.u).max() < 1e-9 * A_F * DT * 2e-3
