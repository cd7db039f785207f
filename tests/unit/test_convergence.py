"""Grid convergence of three values (fcpkg_fem/post/convergence.py: Roache 1994, observed order, Richardson, GCI).

Synthetic ladders f(h) = f0 + C h^p on h = 4, 2, 1 (ratio 2), for which the formulas are exact: the observed order
is p, the extrapolation f0, and GCI_fine = 1.25 |f1 - f0| / f1 (Roache's error band of the fine value with his
safety factor), all to round-off (1e-12 relative).
"""

from __future__ import annotations

import pytest

from fcpkg_fem.post.convergence import SAFETY_FACTOR, grid_convergence


@pytest.mark.parametrize("p, C", [(2.0, 0.1), (1.0, -0.3), (0.7, 0.05)])
def test_an_exact_power_law_gives_its_order_and_limit(p, C):
    f0 = 1.7
    f = [f0 + C * h**p for h in (4.0, 2.0, 1.0)]
    g = grid_convergence(*f, r=2.0)
    assert g["monotone"] and g["p"] == pytest.approx(p, rel=1e-12)
    assert g["extrapolated"] == pytest.approx(f0, rel=1e-12)
    assert g["gci_fine"] == pytest.approx(SAFETY_FACTOR * abs(f[2] - f0) / f[2], rel=1e-12)
    assert g["medium_to_extrapolated"] == pytest.approx(f[1] / f0 - 1.0, rel=1e-12)
    assert g["e21"] == pytest.approx((f[1] - f[2]) / f[2], rel=1e-12)


def test_oscillation_and_growing_differences_claim_no_limit():
    osc = grid_convergence(1.0, 1.2, 1.1)  # the differences change sign
    assert not osc["monotone"] and osc["p"] is None and osc["extrapolated"] is None and osc["gci_fine"] is None
    grow = grid_convergence(1.0, 1.1, 1.3)  # same sign, growing: p < 0
    assert grow["monotone"] and grow["p"] < 0 and grow["extrapolated"] is None and grow["gci_fine"] is None


def test_coarse_index_and_asymptotic_ratio_of_an_exact_power_law():
    """On f = f0 + C h^p the coarse and fine indices differ by r^p up to the ratio of f2 to f1 (e32 and e21 are
    relative to f2 and f1), so GCI_coarse / (r^p GCI_fine) = f1 / f2 exactly, and f1 / f_ext - 1 is exact."""
    f0, C, p = 1.3, 0.2, 2.0
    f = [f0 + C * h**p for h in (4.0, 2.0, 1.0)]
    g = grid_convergence(*f)
    assert g["gci_coarse"] == pytest.approx(SAFETY_FACTOR * abs((f[0] - f[1]) / f[1]) / (2.0**p - 1.0), rel=1e-12)
    assert g["asymptotic"] == pytest.approx(f[2] / f[1], rel=1e-12)
    assert g["fine_to_extrapolated"] == pytest.approx(f[2] / f0 - 1.0, rel=1e-12)
