"""The plateau check of the history solver's Newton iteration (fcpkg_fem/solve/newton.py ``hopeless``): an
increment is cut back before ``max_iterations`` only when its residual, after RATE_CHECK_AFTER iterations, has
stopped falling. Pure arithmetic on residual histories (measured ones where stated), so the tests are exact."""

from __future__ import annotations

import numpy as np

from fcpkg_fem.solve.newton import NewtonSettings, hopeless

NS = NewtonSettings()  # rtol_residual 1e-6, max_iterations 25


def _first_cut(res: list, ns: NewtonSettings = NS) -> int | None:
    """The first iteration at which the check cuts the history ``res`` (start residual first), or None."""
    for it in range(1, len(res)):
        if hopeless(res[: it + 1], it, ns):
            return it
    return None


def test_falling_residuals_go_on_however_slowly():
    # Newton near the solution: below the tolerance long before the check starts
    assert _first_cut([0.4, 3e-3, 4e-5, 6e-7, 1e-10]) is None
    # linear at 0.6 per iteration: slow, but falling (it fails at max_iterations if it must, as before)
    assert _first_cut(list(0.5 * 0.6 ** np.arange(26))) is None
    # measured (an unrefined submodel at rtol_residual 1e-10): a damped phase creeping at 6e-5, then quadratic;
    # projecting the creep's rate would have cut it at the 8th iteration
    tight = NewtonSettings(rtol_residual=1e-10)
    creep = [6.7e-01, 3.9e-03, 1.6e-04, 8.5e-05, 6.4e-05, 6.1e-05, 6.1e-05, 2.8e-05, 3.8e-06, 1.6e-07, 2.6e-10,
             1.7e-15]
    assert _first_cut(creep, tight) is None


def test_a_plateau_is_cut_once_it_has_not_fallen_over_three_iterations():
    # measured (coarse global model, 100 K increments, heating 25 -> 125 degC): the residual wanders about the
    # tolerance from the 7th iteration on; it converged only at the 25th. Cut at the 10th: 3e-6 is not below the
    # 1.05e-6 of the 7th
    wander = [0.4, 2e-4, 6e-5, 1e-5, 7e-6, 5e-6, 2e-6, 1.05e-6, 1.2e-6, 1.1e-6, 3e-6, 2e-6, 1.4e-6]
    assert _first_cut(wander) == 10
    # the same plateau before the 8th iteration is left alone: the check starts there
    early = [0.4, 1e-3, 5e-5, 5e-5, 5e-5, 5e-5, 5e-5, 5e-5, 5e-5]
    assert _first_cut(early[:8]) is None and _first_cut(early) == 8


def test_the_correction_test_alone_is_never_cut():
    """A residual already within its tolerance waits for the correction test, however it moves."""
    res = [0.3, 1e-3, 1e-5, 9e-7, 8e-7, 9e-7, 9.5e-7, 9e-7, 9.9e-7, 9e-7, 9.8e-7]
    assert _first_cut(res) is None
