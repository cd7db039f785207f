"""Process history: the incremental engine against the total-form solver, element birth against its exact
equivalent, stress-free birth, and resume = uninterrupted run.

Exact expectations:
- Linear thermo-elasticity is path independent, so the incremental Newton engine (one linear solve per
  increment, incompatible modes carried as condensed internal unknowns) must reproduce the total-form solve at the
  same temperature to solver round-off, for every element type.
- Birth: layer a (stress-free at 25 degC) heated alone to 150 degC expands freely (a uniform strain, no stress);
  layer b is then born there stress-free with that strain, and the pair cooled to 25 degC. The in-plane eigenstrain
  mismatch is then (alpha_b - alpha_a) (25 - 150), the same as for both layers stress-free at 150 degC, and the
  extra uniform eigenstrain alpha_a*125 shared by both layers (plus the through-thickness strain of b at birth,
  compatible and stress-free in a free plate) causes no stress. So the stresses equal the simple-mode solve with
  both stress-free temperatures at 150 degC.
"""

from __future__ import annotations

import numpy as np
import pytest
from support.compare import same_results
from support.verification import iso, laminate_case, problem_of

from fcpkg_fem import api
from fcpkg_fem.solve.history import HistorySolver

MATS = {"mA": iso(100, 0.3, 3), "mB": iso(20, 0.3, 20)}


def _laminate(element="hex8i", **kw):
    return laminate_case([("a", "mA", 300), ("b", "mB", 200)], materials=MATS, element=element, mesh_size_mm=1.0,
                         min_elements_per_layer=2, **kw)


@pytest.mark.parametrize("element", ["hex8", "hex8i", "hex20"])
def test_incremental_engine_equals_total_form(element):
    case = api.load_case(laminate_case([("a", "silicon", 200), ("b", "emc", 300), ("c", "bt_laminate", 150)],
                                       element=element, mesh_size_mm=1.5, min_elements_per_layer=2))
    # rtol 1e-12: the history's CG steps (preconditioned by an older factorization) then converge to round-off too
    pm, prob = problem_of(case, rtol=1e-12)
    ref = prob.solve(-40.0)
    hs = HistorySolver(prob, born_at_start=api.stress_free_temperatures(case, pm))
    hs.set_temperature(25.0)
    for T in (25.0, 100.0, -40.0):  # the path must not matter for linear elasticity
        st = hs.advance(T, 10.0, "test")
        assert st.iterations == (0 if T == 25.0 else 1)  # nothing to do at the stress-free temperature
    s = hs.snapshot()
    # tolerance: direct solves, round-off of ~1e-16 amplified by the condition number (~1e5)
    assert np.abs(s.u - ref.u).max() <= 1e-9 * np.abs(ref.u).max()
    assert np.abs(s.stress - ref.stress).max() <= 1e-8 * np.abs(ref.stress).max()


def _birth_case():
    c = _laminate()
    c["load"] = {"stress_free_temperature": "25 degC", "steps": [
        {"kind": "ramp", "to": "150 degC", "rate": "1 K/s", "output": "end"},
        {"name": "cool", "kind": "ramp", "to": "25 degC", "rate": "1 K/s", "births": ["layer.b"]}]}
    return c


def test_birth_equals_stress_free_at_birth_temperature():
    rb = api.run(api.load_case(_birth_case()), write=False)
    simple = _laminate(T_sf=150.0, T=25.0)
    rs = api.run(api.load_case(simple), write=False)
    sb = rb.fields[-1].cell_data["stress_MPa"]
    ss = rs.fields[0].cell_data["stress_MPa"]
    # tolerance: the unborn layer is out of the system, so the two runs differ only by the history's CG steps
    # (preconditioned by an older factorization, converged to rtol 1e-8); measured 2.8e-10
    assert np.abs(sb - ss).max() <= 2e-9 * np.abs(ss).max()
    wb = rb.outputs[-1]["warpage"]["bottom"]["signed_um"]
    ws = rs.outputs[0]["warpage"]["bottom"]["signed_um"]
    assert wb == pytest.approx(ws, rel=2e-9)
    # before the birth the free layer a expands without stress and stays flat (nothing else acts on it)
    before = rb.outputs[1]
    assert before["step"] == "ramp0" and before["temperature_C"] == 150.0
    assert abs(before["warpage"]["bottom"]["signed_um"]) <= 1e-12 * abs(wb)


def test_born_part_is_stress_free_at_birth():
    case = api.load_case(_birth_case())
    pm, prob = problem_of(case)
    hs = HistorySolver(prob, born_at_start={"layer.a": 25.0})
    hs.set_temperature(25.0)
    hs.advance(150.0, 125.0)
    assert hs.birth(["layer.b"]) == ["layer.b"]
    s = hs.snapshot()
    b = pm.cell_region == pm.region_names.index("layer.b")
    assert np.abs(s.stress[b]).max() == 0.0  # mechanical strain is exactly zero at birth, by construction
    assert hs.birth(["layer.b"]) == []  # born once


def test_resume_repeats_the_uninterrupted_run(tmp_path, monkeypatch):
    case = api.load_case(_birth_case())
    full = api.run(case, out_dir=tmp_path / "full", write=True)
    # interrupt the second run at the start of the second step, as a kill would
    from fcpkg_fem.run import checkpoint
    from fcpkg_fem.solve import history

    real_birth = history.HistorySolver.birth

    def boom(self, regions, T_el=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(history.HistorySolver, "birth", boom)
    with pytest.raises(KeyboardInterrupt):
        api.run(case, out_dir=tmp_path / "cut", write=True)
    assert [k for k, _ in checkpoint.step_folders(tmp_path / "cut")] == [0]  # the first step is checkpointed
    assert not (tmp_path / "cut" / "summary.json").exists()
    monkeypatch.setattr(history.HistorySolver, "birth", real_birth)
    again = checkpoint.resume_case(tmp_path / "cut")  # the folder alone says which case to resume
    assert again.hash() == case.hash()
    resumed = api.run(again, out_dir=tmp_path / "cut", write=True, resume=True)
    assert len(resumed.outputs) == len(full.outputs)
    # Same arithmetic after the step boundary (the linear solver restarts there in both runs), so the numbers agree
    # to round-off. Not asserted bitwise: numpy's SIMD reductions depend on memory alignment, and two fresh runs
    # of one case differ by up to 3e-15 relative (measured with `fcpkg run` twice); 1e-12 leaves room for that
    # and nothing else. Locations (*_at_mm) of exactly tied maxima may swap between mirror-image elements.
    same_results(full.outputs, resumed.outputs)
    same_results(full.history, resumed.history)
    for fa, fb in zip(full.fields, resumed.fields):
        for k in fa.cell_data:
            np.testing.assert_allclose(fb.cell_data[k], fa.cell_data[k], rtol=1e-12,
                                       atol=1e-12 * np.abs(fa.cell_data[k]).max())
    assert checkpoint.CHECKPOINT_VERSION == 3


def test_linear_reflow_end_equals_a_direct_solve():
    """All parts present from the start, linear elastic: after a 2-pass J-STD-020 reflow and a cool to -40 degC the
    state equals the direct solve at -40 degC (elasticity is path independent); so does the peak output."""
    c = laminate_case([("a", "silicon", 200), ("b", "emc", 300), ("c", "bt_laminate", 150)], element="hex8i",
                      mesh_size_mm=1.5, min_elements_per_layer=2)
    c["load"] = {"stress_free_temperature": "25 degC", "steps": [
        {"kind": "reflow", "alloy": "pb_free", "passes": 2, "output": "breakpoints"},
        {"kind": "ramp", "to": "-40 degC", "rate": "1 K/s", "output": "end"}]}
    case = api.load_case(c)
    r = api.run(case, write=False)
    pm, prob = problem_of(case)
    for T in (-40.0, 260.0):
        o = next(i for i, out in enumerate(r.outputs) if out["temperature_C"] == T)
        ref = prob.solve(T)
        s = r.fields[o].cell_data["stress_MPa"] * 1e6
        # tolerance: direct solves (round-off) and the history's CG steps preconditioned by an older factorization,
        # converged to rtol 1e-8 per increment
        assert np.abs(s - ref.stress).max() <= 1e-6 * np.abs(ref.stress).max(), T
        u = r.fields[o].point_data["displacement"]
        uref = prob.vertex_displacement(ref.u)
        assert np.abs(u - uref).max() <= 1e-6 * np.abs(uref).max(), T


def test_back_at_the_birth_state_the_package_is_stress_free():
    """Layer b born at 150 degC, cooled to 25 degC and heated back to 150 degC: the rest of the package is back in
    its birth state (linear elasticity), so b and everything else is stress-free again."""
    c = _laminate()
    c["load"] = {"stress_free_temperature": "25 degC", "steps": [
        {"kind": "ramp", "to": "150 degC", "rate": "1 K/s", "output": "end"},
        {"kind": "ramp", "to": "25 degC", "rate": "1 K/s", "births": ["layer.b"], "output": "end"},
        {"kind": "ramp", "to": "150 degC", "rate": "1 K/s", "output": "end"}]}
    r = api.run(api.load_case(c), write=False)
    cold = np.abs(r.fields[-2].cell_data["stress_MPa"]).max()
    back = np.abs(r.fields[-1].cell_data["stress_MPa"]).max()
    assert cold > 10.0  # MPa: the mismatch stress at 25 degC is real
    # tolerance: CG steps converged to rtol 1e-8 per increment; measured 2.4e-11
    assert back <= 1e-9 * cold


def test_transient_heat_lags_the_oven_and_tends_to_uniform_with_strong_convection():
    """Transient thermal in a history: with a finite film coefficient the package mean temperature lags a heating
    oven and a temperature difference across the package is reported; with a very large h the package follows the
    oven and the warpage tends to the uniform-temperature run's."""
    def run(thermal):
        c = laminate_case([("a", "silicon", 300), ("b", "emc", 600)], element="hex8i", mesh_size_mm=2.0,
                          min_elements_per_layer=2, size_mm=(8.0, 8.0))
        c["load"] = {"stress_free_temperature": "25 degC", "steps": [
            {"kind": "ramp", "to": "125 degC", "rate": "1 K/s", "output": "end"}]}
        if thermal:
            c["thermal"] = thermal
        return api.run(api.load_case(c), write=False)

    uni = run(None).outputs[-1]
    slow = run({"mode": "transient", "h": {"bottom": 20, "top": 20, "sides": 20}}).outputs[-1]
    fast = run({"mode": "transient", "h": {"bottom": 1e6, "top": 1e6, "sides": 1e6}}).outputs[-1]
    assert uni["max_temperature_difference_C"] == 0.0
    # h = 20 W/m2K on a 0.9 mm plate: time constant rho c L / h ~ 1.6e6 * 0.45e-3 / 20 ~ 36 s, so after a 100 s
    # ramp at 1 K/s the package trails the oven by roughly 30 K
    assert 10.0 < slow["temperature_C"] - slow["package_mean_temperature_C"] < 60.0
    assert slow["max_temperature_difference_C"] > 0.0
    assert abs(fast["temperature_C"] - fast["package_mean_temperature_C"]) < 0.5
    w_uni = uni["warpage"]["bottom"]["signed_um"]
    assert fast["warpage"]["bottom"]["signed_um"] == pytest.approx(w_uni, rel=2e-2)
    assert abs(slow["warpage"]["bottom"]["signed_um"]) < abs(w_uni)


def test_a_failing_linear_solve_cuts_the_increment_back(monkeypatch):
    """A linear solver failure inside Newton (seen: PARDISO error -4 on a tangent that was not positive definite)
    halves the increment like any other Newton failure, instead of ending the run; the result is the same."""
    case = api.load_case(_birth_case())
    pm, prob = problem_of(case)
    ref = HistorySolver(prob, born_at_start={"layer.a": 25.0, "layer.b": 25.0})
    ref.set_temperature(25.0)
    ref.advance(100.0, 75.0)
    _, prob2 = problem_of(case)
    hs = HistorySolver(prob2, born_at_start={"layer.a": 25.0, "layer.b": 25.0})
    hs.set_temperature(25.0)
    real, calls = prob2.solver.solve, []

    def flaky(*args, **kw):
        calls.append(1)
        if len(calls) == 1:
            from fcpkg_fem.errors import SolverError

            raise SolverError("simulated factorization failure")
        return real(*args, **kw)

    monkeypatch.setattr(prob2.solver, "solve", flaky)
    st = hs.advance(100.0, 75.0)
    assert st.cutbacks == 1 and len(hs.stats) == 2  # two halves
    # tolerance: CG steps converged to rtol 1e-8 per increment (linear elasticity: the path does not matter)
    assert np.abs(hs.u - ref.u).max() <= 1e-7 * np.abs(ref.u).max()


@pytest.mark.parametrize("symmetry, held", [("quarter", 1), ("full", 6)])
def test_a_floating_body_is_held_without_stress(symmetry, held):
    """The bottom layer a (which carries the supports) is unborn, so layer b floats: the symmetry planes leave it
    the z translation (quarter) or all six rigid motions (full), and exactly that many of its dofs are held. Heated
    alone it expands freely, without stress; a is then born at 150 degC and the pair cooled to 25 degC, which is
    exactly the simple mode with both layers stress-free at 150 degC (see the module docstring, roles swapped)."""
    c = _laminate(symmetry=symmetry)
    c["load"] = {"stress_free_temperature": "25 degC", "steps": [
        {"kind": "ramp", "to": "150 degC", "rate": "1 K/s", "output": "end"},
        {"name": "cool", "kind": "ramp", "to": "25 degC", "rate": "1 K/s", "births": ["layer.a"]}]}
    case = api.load_case(c)
    pm, prob = problem_of(case)
    hs = HistorySolver(prob, born_at_start={"layer.b": 25.0})
    assert len(hs.held) == held
    hs.set_temperature(25.0)
    hs.advance(150.0, 125.0)
    # free expansion: no stress, against the mismatch scale E_b alpha_b dT = 20 GPa * 20e-6 * 125 = 50 MPa;
    # tolerance: round-off of the direct solve
    assert np.abs(hs.snapshot().stress).max() <= 1e-9 * 50e6
    rb = api.run(case, write=False)
    rs = api.run(api.load_case(_laminate(symmetry=symmetry, T_sf=150.0, T=25.0)), write=False)
    sb, ss = rb.fields[-1].cell_data["stress_MPa"], rs.fields[0].cell_data["stress_MPa"]
    assert np.abs(ss).max() > 10.0  # MPa: the mismatch stress is real
    # tolerance: as in test_birth_equals_stress_free_at_birth_temperature (CG steps to rtol 1e-8)
    assert np.abs(sb - ss).max() <= 2e-9 * np.abs(ss).max()


def test_a_viscoelastic_history_is_solved_in_one_newton_iteration_per_increment(monkeypatch):
    """The viscoelastic update is linear in the strain (its tangent depends on T and dt only), so one Newton step
    solves an increment exactly: a bilayer with a viscoelastic EMC layer, heated to 150 degC and held 10 min
    (the stress relaxes from 18.9 to 14.5 MPa), equals the same run under full Newton iterations (the model
    declared strain-dependent), which takes a second iteration per increment to confirm convergence."""
    from fcpkg_fem.constitutive.viscoelastic import Viscoelastic

    def run():
        c = laminate_case([("a", "silicon", 200), ("b", "emc", 300)], element="hex8i", mesh_size_mm=1.5,
                          min_elements_per_layer=2)
        c["load"] = {"stress_free_temperature": "25 degC", "steps": [
            {"kind": "ramp", "to": "150 degC", "rate": "1 K/s", "output": "end"},
            {"kind": "hold", "duration": "10 min", "output": "end"}]}
        c["models"] = {"layer.b": "viscoelastic"}
        c["solver"]["rtol"] = 1e-12  # CG on a kept factorization to round-off: only the Newton steps differ
        return api.run(api.load_case(c), write=False)

    one = run()
    monkeypatch.setattr(Viscoelastic, "fixed_tangent", False)
    full = run()
    assert one.summary["process"]["newton"]["iterations_max"] == 1
    assert full.summary["process"]["newton"]["iterations_max"] == 2
    for i in (1, 2):
        a, b = one.fields[i].cell_data["stress_MPa"], full.fields[i].cell_data["stress_MPa"]
        # tolerance: solves to rtol 1e-12 amplified by the conditioning; measured 1.1e-11 to 1.6e-10 over repeated
        # runs (the kept-factorization CG path depends on timings), where a tangent that depended on the strain would
        # leave the first Newton iterate off by the increment's nonlinearity
        assert np.abs(a - b).max() <= 1e-9 * np.abs(b).max()
    relaxed = np.abs(one.fields[2].cell_data["stress_MPa"]).max() / np.abs(one.fields[1].cell_data["stress_MPa"]).max()
    assert 0.6 < relaxed < 0.85  # measured 0.768 (0.728 before the reduced time was integrated over increments): the hold relaxes the EMC (a check that the model is active)
