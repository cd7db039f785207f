"""The process plan (case/plan.py): increments refined where a viscoelastic resin relaxes fast
(solver.max_relaxation_change), and each increment's reflow pass."""

from __future__ import annotations

import numpy as np
import pytest
from support.verification import laminate_case

from fcpkg_fem import api, loads
from fcpkg_fem.case.plan import plan, relaxation_knots, unrelaxed_fraction
from fcpkg_fem.errors import InputError
from fcpkg_fem.materials import get

EMC = get("emc").extra["prony"]  # Tg 128 degC


def _case(change, models=True, births=()):
    c = laminate_case([("si", "silicon", 200), ("mold", "emc", 300)], element="hex8i", mesh_size_mm=1.0,
                      min_elements_per_layer=1, size_mm=(4.0, 4.0))
    c["load"] = {"stress_free_temperature": "25 degC", "steps": [
        {"kind": "ramp", "to": "205 degC", "rate": "1 K/s"},
        {"kind": "ramp", "to": "25 degC", "rate": "1 K/s", "births": list(births)}]}
    if models:
        c["models"] = {"layer.mold": "viscoelastic"}
    c["solver"]["max_relaxation_change"] = change
    return api.load_case(c)


def test_unrelaxed_fraction_runs_from_glassy_to_rubbery():
    """1 - (relaxed share) over 10 s: about 1 far below Tg, 0 far above, monotone in between."""
    T = np.arange(-40.0, 200.0, 1.0)
    f = unrelaxed_fraction(EMC, T, 10.0)
    assert f[0] > 0.99 and f[-1] < 1e-3
    assert np.all(np.diff(f) <= 1e-12)


def test_knots_gather_where_the_resin_relaxes_and_bound_its_change():
    """Along 25 -> 205 degC at 1 K/s (nominal increment 10 s) the knots, with the profile's ends, cut the
    accumulated change of the unrelaxed fraction into equal parts of at most 0.05; all of them lie in the
    transition (the fraction moves by less than 1e-3 below 40 degC and above 165 degC, computed here; measured
    19 knots at 56-137 degC, 11 of them at 102-122 degC)."""
    prof = loads.build("ramp", T0_C=25.0, T1_C=205.0, rate_K_per_s=1.0)
    knots = np.array(relaxation_knots(prof, [EMC], 0.05, 10.0, None))
    T = np.interp(knots, prof.time_s, prof.temperature_C)
    ends = np.r_[25.0, T, 205.0]
    f = unrelaxed_fraction(EMC, ends, 10.0)
    assert knots.size >= 10
    assert np.abs(np.diff(f)).max() <= 0.05 * (1 + 1e-3)  # the knots are placed on the fraction sampled every 0.05 K
    flat = unrelaxed_fraction(EMC, np.array([25.0, 40.0, 165.0, 205.0]), 10.0)
    assert abs(flat[0] - flat[1]) < 1e-3 and abs(flat[2] - flat[3]) < 1e-3
    assert T.min() > 40.0 and T.max() < 165.0
    assert np.count_nonzero((T > 100.0) & (T < 140.0)) >= knots.size - 2  # gathered at Tg (128 degC)
    np.testing.assert_array_equal(knots, relaxation_knots(prof, [EMC], 0.05, 10.0, None))  # same input, same knots


def test_plan_adds_increments_only_for_viscoelastic_regions_and_when_enabled():
    n = {k: sum(len(s.increments) for s in plan(_case(*k))) for k in [(0.05, True), (None, True), (0.05, False)]}
    assert n[(None, True)] == n[(0.05, False)] == 36  # 2 x 180 K in 10 K increments
    assert n[(0.05, True)] > 50  # measured 66


def test_a_resin_born_later_adds_no_increments_before_its_birth():
    """The resin born at the start of the second ramp: the first ramp is stepped as if it were elastic (18
    increments of 10 K), the second as when the resin exists from the start."""
    born_later = [len(s.increments) for s in plan(_case(0.05, births=["layer.mold"]))]
    always = [len(s.increments) for s in plan(_case(0.05))]
    assert born_later[0] == 18 and always[0] > 18
    assert born_later[1] == always[1] > 18


@pytest.mark.parametrize("bad", [0, -0.1, 1.5, "x"])
def test_bad_max_relaxation_change_names_the_field(bad):
    with pytest.raises(InputError) as e:
        _case(bad)
    assert "solver.max_relaxation_change" in str(e.value)


def test_each_increment_knows_its_reflow_pass():
    """PlannedStep.cycle: the 0-based pass of the reflow segment an increment ends in (history rows carry it for
    the per-pass plots): the three passes of the shipped reflow in order, each pass's increments contiguous."""
    from pathlib import Path

    case = api.load_case(Path(__file__).resolve().parents[2] / "cases" / "reference_reflow.yaml")
    step = next(s for s in plan(case) if s.kind == "reflow")
    cycles = [step.cycle(t) for t in step.increments]
    assert sorted(set(cycles)) == [0, 1, 2] and cycles == sorted(cycles)
    assert step.cycle(step.t_start + 1e-6) == 0 and step.cycle(step.t_end) == 2
