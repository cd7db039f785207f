"""Moisture in the process history (issue 18 items 3, 4, 6): soak, bake and floor-life steps, the wetness on the
increments, hygroscopic swelling in the mechanics, outputs, checkpoints and input checks.

Units: m, s, degC, kg/m^3, mg; relative humidity in percent in the case, as fractions in the solver. The plates
are laminates (``support.verification.laminate_case``) of an impermeable layer ``a`` (made-up material mA, no
moisture record) under a permeable layer ``b`` (mB: round made-up moisture constants, temperature independent
diffusivity Q_D = 0 and solubility Ea_S = 0, so that C_sat(T) = S0 p_sat(T) follows the saturation pressure of water
alone). Every elastic constant is temperature independent, so the mechanics is linear and path independent, which
the exact comparisons below rely on.

(a) swelling alone equals the thermal solution with the analogous CTE: eigenstrain cme C in b = alpha_eq dT.
(b) a J-STD-020 soak's uptake equals the standalone MoistureProblem's on the same mesh and time steps, and a 1-D
    soak (only the top face exposed) follows Crank's plane-sheet series.
(c) the swelling switch: u(with) - u(without) = u(swelling only) (superposition of eigenstrains).
(d) a reflow after a soak desorbs: the water falls at every increment under the dry oven.
(e) a run resumed after the soak ends as the uninterrupted one.
(f) input checks name the field; births start dry and are born stress-free.
"""

from __future__ import annotations

import numpy as np
import pytest
from support.verification import iso, laminate_case

from fcpkg_fem import api
from fcpkg_fem.case.plan import plan
from fcpkg_fem.errors import InputError
from fcpkg_fem.materials.moisture import saturation_pressure
from fcpkg_fem.solve.moisture import MoistureProblem, substep_times

CME = 2.0e-4  # m^3/kg
S0 = 1.0e-3  # kg/(m^3 Pa): C_sat = S0 p_sat(T), 3.17 kg/m^3 at 25 degC
WET = {"D0": 1.0e-9, "Q_D": 0, "Ea_S": 0, "cme": CME, "S0": S0}  # fast: l^2/D = 40 s through 0.2 mm


def _mats(cte_a=3.0, cte_b=20.0, moisture=WET):
    b = iso(20, 0.3, cte_b)
    if moisture is not None:
        b["moisture"] = dict(moisture)
    return {"mA": iso(100, 0.3, cte_a), "mB": b}


def _plate(steps, mats=None, T0=25.0, nz=2, tb=200, moisture=None, size=6.0, mesh=2.0):
    c = laminate_case([("a", "mA", 300), ("b", "mB", tb)], materials=mats or _mats(), element="hex8i",
                      mesh_size_mm=mesh, min_elements_per_layer=nz, size_mm=(size, size))
    c["load"] = {"stress_free_temperature": f"{T0} degC", "steps": steps}
    if moisture is not None:
        c["moisture"] = moisture
    return api.load_case(c)


def _crank_uptake(tau: float, n: int = 400) -> float:
    """M_t / M_inf of Crank (1975) eq. 4.18 at tau = D t / l^2 (plane sheet, both faces; here the half sheet)."""
    k = 2 * np.arange(n) + 1
    return 1.0 - float(np.sum(8.0 / (k**2 * np.pi**2) * np.exp(-k**2 * np.pi**2 * tau / 4)))


# ------------------------------------------------------------------------------------------------------------- (a)

def test_swelling_alone_equals_the_thermal_solution_with_the_analogous_cte():
    """A custom soak at the stress-free temperature (25 degC, no thermal strain) at 85 % RH for 10 h saturates b
    (l^2/D = 40 s: 900 diffusion times; measured mean wetness 0.85 to 1e-15): C = 0.85 S0 p_sat(25 degC), and the
    eigenstrain of b is cme C = 5.4e-4. The thermal run heats the same plate, mA with CTE 0 and mB with
    cme C / 100 K, from 25 to 125 degC. Linear elasticity: the stresses, displacements and warpage agree to the
    linear solver's accuracy (1e-9 relative asked; measured 9e-13 in stress, 6e-13 in displacement)."""
    moist = _plate([{"name": "soak", "kind": "moisture_soak", "temperature": "25 degC", "humidity": 85,
                     "duration": "10 h", "output": "end"}])
    r = api.run(moist, write=False)
    C = 0.85 * S0 * float(saturation_pressure(25.0))
    out = r.outputs[-1]["moisture"]
    assert out["regions"]["layer.b"]["mean_wetness"] == pytest.approx(0.85, abs=1e-12)
    assert out["regions"]["layer.b"]["mean_concentration_kg_per_m3"] == pytest.approx(C, rel=1e-12)
    cte_eq = CME * C / 100.0 * 1e6  # ppm/K
    th = api.load_case(laminate_case([("a", "mA", 300), ("b", "mB", 200)],
                                     materials=_mats(0.0, cte_eq, None), element="hex8i", mesh_size_mm=2.0,
                                     min_elements_per_layer=2, size_mm=(6.0, 6.0), T_sf=25.0, T=125.0))
    ref = api.run(th, write=False)
    s, sr = r.fields[-1].cell_data["stress_MPa"], ref.fields[0].cell_data["stress_MPa"]
    assert np.abs(sr).max() > 5.0  # MPa: the swelling mismatch is real
    assert np.abs(s - sr).max() <= 1e-9 * np.abs(sr).max()
    u, ur = r.fields[-1].point_data["displacement"], ref.fields[0].point_data["displacement"]
    assert np.abs(u - ur).max() <= 1e-9 * np.abs(ur).max()
    w, wr = r.outputs[-1]["warpage"]["bottom"]["signed_um"], ref.outputs[0]["warpage"]["bottom"]["signed_um"]
    assert w == pytest.approx(wr, rel=1e-9)
    hs = r.fields[-1].cell_data["hygroscopic_strain"]
    pm = api.mesh_case(moist)
    b = pm.cell_region == pm.region_names.index("layer.b")
    np.testing.assert_allclose(hs[b], CME * C, rtol=1e-12)
    assert np.all(hs[~b] == 0.0) and np.all(np.isnan(r.fields[-1].cell_data["wetness"][~b]))


# ------------------------------------------------------------------------------------------------------------- (b)

def _emc_plate(extra_steps=()):
    """Silicon under 300 um of the library emc (D = 5.7e-13 m^2/s at 30 degC: l^2/D = 44 h), MSL 3 soak."""
    c = laminate_case([("a", "silicon", 200), ("b", "emc", 300)], element="hex8i", mesh_size_mm=2.0,
                      min_elements_per_layer=3, size_mm=(6.0, 6.0))
    c["load"] = {"stress_free_temperature": "25 degC", "steps": [
        {"name": "soak", "kind": "moisture_soak", "level": 3, "output": "end"}, *extra_steps]}
    return api.load_case(c)


def test_msl_soak_uptake_equals_the_standalone_moisture_problem():
    """Level 3: 5 K entry ramp at 1 K/min, then 192 h at 30 degC/60 % RH. The standalone MoistureProblem on the same
    mesh, every outer face but the symmetry planes exposed (its default), stepped through the same increments and
    time steps (:func:`substep_times`, temperature linear within each increment) holds the same water at every
    increment: 1e-12 relative (the same arithmetic; measured 0). The whole package's water is 4 times the quarter's."""
    case = _emc_plate()
    r = api.run(case, write=False)
    steps = plan(case)
    pm = api.mesh_case(case)
    P = MoistureProblem(pm, case.materials_resolved)
    w, T_prev, t_prev = P.initial(), 25.0, 0.0
    st = steps[0]
    opts = case.moisture
    assert opts is None
    masses = []
    for t in st.increments:
        T1 = float(st.temperature(t))
        ts = substep_times(t_prev, t, st.t_start, 0.05, 10.0)
        a = t_prev
        for b in ts:
            Ta = T_prev + (T1 - T_prev) * (a - t_prev) / (t - t_prev)
            Tb = T1 if b == ts[-1] else T_prev + (T1 - T_prev) * (b - t_prev) / (t - t_prev)
            w = P.step(w, b - a, Tb, 0.6, T_old=Ta)
            a = b
        masses.append(4 * P.mass_kg(w, T1) * 1e6)
        t_prev, T_prev = t, T1
    got = [row["moisture_mass_mg"] for row in r.history if row["step"] == "soak"]
    np.testing.assert_allclose(got, masses, rtol=1e-12)
    assert st.t_end == pytest.approx(300.0 + 192 * 3600.0) and st.humidity == 0.6
    assert r.outputs[-1]["moisture"]["mass_mg"] == pytest.approx(masses[-1], rel=1e-12)
    assert 0.2 < r.outputs[-1]["moisture"]["regions"]["layer.b"]["mean_wetness"] < 0.6  # part way to 0.6


def test_one_dimensional_soak_follows_crank():
    """Only the top face exposed (``moisture.exposed: [top]``): b is a half sheet sealed at the silicon, Crank's
    eq. 4.18 with l = 0.5 mm. D = 1e-12 m^2/s, C_sat constant (30 degC, no entry ramp: the history starts there).
    20 elements through b; time steps of 5 % of the elapsed time: the water at every increment end from
    D t / l^2 = 0.02 on (the front then spans 3 elements; before, the mesh cannot resolve it, as in
    test_moisture_diffusion) within 1 % of the series (measured 0.07-0.57 %, growing with time as in
    docs/moisture.md)."""
    slow = dict(WET, D0=1.0e-12)
    case = _plate([{"name": "soak", "kind": "moisture_soak", "temperature": "30 degC", "humidity": 60,
                    "duration": "40 h", "output": "end"}], mats=_mats(moisture=slow), T0=30.0, nz=20, tb=500,
                  moisture={"exposed": ["top"]})
    r = api.run(case, write=False)
    pm = api.mesh_case(case)
    V = float(np.sum([np.prod(np.ptp(pm.mesh.p[:, pm.mesh.t[:, e]], axis=1))
                      for e in np.nonzero(pm.cell_region == pm.region_names.index("layer.b"))[0]]))
    m_inf = 0.6 * S0 * float(saturation_pressure(30.0)) * V * 4 * 1e6  # mg, whole plate
    rows = [row for row in r.history if row["step"] == "soak" and 1.0e-12 * row["time_s"] / 0.5e-3**2 >= 0.02]
    assert len(rows) >= 5
    errs = []
    for row in rows:
        exact = _crank_uptake(1.0e-12 * row["time_s"] / 0.5e-3**2)
        errs.append(abs(row["moisture_mass_mg"] / m_inf - exact) / exact)
    assert max(errs) < 0.01, errs


# ------------------------------------------------------------------------------------------------------------- (c)

def test_swelling_share_is_the_difference_with_and_without_swelling():
    """A soak at 85 degC/85 % RH after a 60 K entry ramp: heat and moisture together. Eigenstrains superpose in
    linear elasticity, so the displacement with swelling minus the one without (``moisture.swelling: false``) is
    the displacement of the same history with every CTE zero (swelling alone); likewise the (linear) corner-minus-
    centre warpage. Tolerance 1e-8 of the swelling-only field (three runs at rtol 1e-8; measured 3e-16); here
    the swelling is 91 % of the displacement and the thermal part 9 %."""
    steps = [{"name": "soak", "kind": "moisture_soak", "temperature": "85 degC", "humidity": 85, "duration": "2 h",
              "rate": "2 K/s", "output": "end"}]
    runs = {}
    for key, mats, opts in (("with", _mats(), None), ("without", _mats(), {"swelling": False}),
                            ("only", _mats(0.0, 0.0), None)):
        runs[key] = api.run(_plate(steps, mats=mats, moisture=opts), write=False)
    u = {k: r.fields[-1].point_data["displacement"] for k, r in runs.items()}
    share = u["with"] - u["without"]
    assert np.abs(u["only"]).max() > 0.05 * np.abs(u["with"]).max()  # the swelling is a visible share
    assert np.abs(share - u["only"]).max() <= 1e-8 * np.abs(u["only"]).max()
    cmc = {k: r.outputs[-1]["warpage"]["bottom"]["corner_minus_center_um"] for k, r in runs.items()}
    assert cmc["with"] - cmc["without"] == pytest.approx(cmc["only"], abs=2e-6)  # outputs are rounded to 1e-6 um
    # without swelling the water is there all the same, and the mechanics has none of it
    mw, mo = runs["with"].outputs[-1]["moisture"], runs["without"].outputs[-1]["moisture"]
    assert mo["mass_mg"] == mw["mass_mg"] > 0 and mo["swelling"] is False
    assert np.all(runs["without"].fields[-1].cell_data["hygroscopic_strain"] == 0.0)


def test_compare_dry_reports_the_share_of_two_separate_runs(tmp_path):
    """``moisture.compare_dry: true`` runs the history again without swelling on the same mesh after the run: its
    outputs equal a separate run with ``moisture.swelling: false`` exactly (the twin restarts the linear solver,
    so it repeats that run's arithmetic; measured bit-equal), and ``moisture.swelling_share`` is the difference of
    the two signed warpages at every output. The written run draws both curves and lists the share in
    report.html. ``compare_dry`` with ``swelling: false`` is refused naming the field."""
    steps = [{"name": "soak", "kind": "moisture_soak", "temperature": "85 degC", "humidity": 85, "duration": "2 h",
              "rate": "2 K/s", "output": "breakpoints"}]
    c = _plate(steps, moisture={"compare_dry": True})
    c = c.model_copy(update={"output": c.output.model_copy(update={"report": True, "plots": True})})
    twin = api.run(c, out_dir=tmp_path / "run")
    wet = api.run(_plate(steps), write=False)
    dry = api.run(_plate(steps, moisture={"swelling": False}), write=False)
    share = twin.summary["moisture"]["swelling_share"]
    assert len(share["outputs"]) == len(dry.outputs) >= 2
    for o, w, d in zip(share["outputs"], wet.outputs, dry.outputs):
        for face in ("bottom", "top"):
            assert o[face]["with_um"] == w["warpage"][face]["signed_um"]
            assert o[face]["without_um"] == d["warpage"][face]["signed_um"]
            assert o[face]["share_um"] == pytest.approx(o[face]["with_um"] - o[face]["without_um"], abs=1e-12)
    assert abs(share["largest"]["bottom"]["share_um"]) > 0.1  # um: the swelling bends this plate visibly
    assert [r["warpage_bottom_signed_um"] for r in twin.dry_history] == \
        [r["warpage_bottom_signed_um"] for r in dry.history]
    assert twin.summary["timing_s"]["dry_twin"] > 0
    html = (tmp_path / "run" / "report.html").read_text()
    assert "bottom share" in html and "compare_dry: true" in html
    assert (tmp_path / "run" / "warpage_and_water.png").stat().st_size > 0
    with pytest.raises(InputError) as exc:
        _plate(steps, moisture={"compare_dry": True, "swelling": False})
    assert exc.value.problems[0].field == "moisture.compare_dry"


# ------------------------------------------------------------------------------------------------------------- (d)

def test_reflow_after_a_soak_desorbs():
    """MSL 3 soak, then one J-STD-020 reflow pass: the oven is dry (0 % RH) unless told otherwise, so the water
    falls at every increment of the reflow (strictly: the exposed faces are held at w = 0 and C_sat falls with
    the temperature too) and ends below the soak's."""
    case = _emc_plate([{"name": "reflow", "kind": "reflow", "output": "end"}])
    assert [s.humidity for s in plan(case)] == [0.6, 0.0]
    r = api.run(case, write=False)
    soak = [row["moisture_mass_mg"] for row in r.history if row["step"] == "soak"]
    flow = [row["moisture_mass_mg"] for row in r.history if row["step"] == "reflow"]
    assert np.all(np.diff(soak) > 0)
    assert flow[0] < soak[-1] and np.all(np.diff(flow) < 0), flow
    assert all(row["moisture_RH_percent"] == 0.0 for row in r.history if row["step"] == "reflow")
    assert flow[-1] < 0.9 * soak[-1]


# ------------------------------------------------------------------------------------------------------------- (e)

def test_resume_after_the_soak_repeats_the_uninterrupted_run(tmp_path, monkeypatch):
    """The checkpoint after the soak carries the wetness (``moisture:*`` arrays); a run cut there and resumed ends
    with the uninterrupted run's numbers, moisture columns included (1e-12 relative: the same arithmetic, see
    test_process_history.test_resume_repeats_the_uninterrupted_run for why not bitwise)."""
    from fcpkg_fem.run import checkpoint, history

    case = _emc_plate([{"name": "reflow", "kind": "reflow", "output": "end"}])
    full = api.run(case, out_dir=tmp_path / "full", write=True)
    real = history._run_step

    def cut(run, step):
        if step.index == 1:
            raise KeyboardInterrupt
        return real(run, step)

    monkeypatch.setattr(history, "_run_step", cut)
    with pytest.raises(KeyboardInterrupt):
        api.run(case, out_dir=tmp_path / "cut", write=True)
    assert [k for k, _ in checkpoint.step_folders(tmp_path / "cut")] == [0]
    monkeypatch.setattr(history, "_run_step", real)
    resumed = api.run(checkpoint.resume_case(tmp_path / "cut"), out_dir=tmp_path / "cut", write=True, resume=True)
    assert len(resumed.history) == len(full.history)
    for a, b in zip(full.history, resumed.history):
        for k, v in a.items():
            if isinstance(v, float):
                assert b[k] == pytest.approx(v, rel=1e-12, abs=1e-12), k
    for fa, fb in zip(full.fields, resumed.fields):
        for k in ("wetness", "moisture_kg_m3", "hygroscopic_strain", "stress_MPa"):
            np.testing.assert_allclose(fb.cell_data[k], fa.cell_data[k], rtol=1e-12,
                                       atol=1e-12 * np.nanmax(np.abs(fa.cell_data[k])))


# ------------------------------------------------------------------------------------------------------------- (f)

def test_step_conditions_and_ambient_humidity():
    """The plan: J-STD-020 Table 5-1 soaks (standard and accelerated), floor life (the level's floor life at
    30 degC/60 % RH), a dry bake, and the humidity each later step carries (kept by a ramp, 0 in the oven, given)."""
    case = _plate([
        {"name": "s3", "kind": "moisture_soak", "level": "3"},
        {"name": "s3a", "kind": "moisture_soak", "level": 3, "accelerated": True},
        {"name": "cool", "kind": "ramp", "to": "25 degC", "rate": "1 K/s"},
        {"name": "floor", "kind": "floor_life", "level": "5a"},
        {"name": "bake", "kind": "bake", "temperature": "125 degC", "duration": "24 h"},
        {"name": "down", "kind": "ramp", "to": "25 degC", "rate": "1 K/s", "humidity": "40 %"},
        {"name": "oven", "kind": "reflow"}])
    s = {p.name: p for p in plan(case)}
    assert [s[k].humidity for k in s] == [0.6, 0.6, 0.6, 0.6, 0.0, 0.4, 0.0]
    assert s["s3"].profile.temperature_C[-1] == 30.0 and s["s3"].t_end - s["s3"].t_start == 300 + 192 * 3600
    assert s["s3a"].profile.temperature_C[-1] == 60.0
    assert s["s3a"].t_end - s["s3a"].t_start == pytest.approx(30 / (1 / 60) + 40 * 3600)
    assert s["floor"].t_end - s["floor"].t_start == pytest.approx(5 * 60 + 24 * 3600)
    assert s["bake"].profile.temperature_C[-1] == 125.0
    assert len(s["s3"].increments) >= 10  # a weight-gain curve, also for elastic models


@pytest.mark.parametrize("step, field, words", [
    ({"kind": "moisture_soak", "level": "7"}, "load.steps.0.level", "not a J-STD-020"),
    ({"kind": "moisture_soak", "level": "2a", "humidity": 50}, "load.steps.0.humidity", "set by level"),
    ({"kind": "moisture_soak", "level": 1, "accelerated": True}, "load.steps.0.accelerated", "no accelerated"),
    ({"kind": "moisture_soak", "temperature": 30, "humidity": 60}, "load.steps.0.duration", "required"),
    ({"kind": "moisture_soak", "temperature": 30, "humidity": 101, "duration": 60}, "load.steps.0.humidity",
     "outside 0-100 %"),
    ({"kind": "ramp", "to": 30, "rate": 1, "humidity": -5}, "load.steps.0.humidity", "outside 0-100 %"),
    ({"kind": "floor_life", "level": 1}, "load.steps.0.duration", "unlimited"),
    ({"kind": "bake", "temperature": 125}, "load.steps.0.duration", "required"),
])
def test_bad_moisture_steps_are_refused_naming_the_field(step, field, words):
    with pytest.raises(InputError) as err:
        _plate([step])
    assert field in [p.field for p in err.value.problems], err.value
    assert words in str(err.value)


def test_a_soak_without_a_permeable_material_is_refused():
    mats = _mats(moisture=None)
    with pytest.raises(InputError) as err:
        _plate([{"kind": "ramp", "to": 30, "rate": 1}, {"kind": "moisture_soak", "level": 3}], mats=mats)
    assert err.value.problems[0].field == "load.steps.1" and "materials.<name>.moisture" in str(err.value)


def test_a_part_born_after_the_soak_starts_dry_and_is_born_stress_free():
    """The bilayer a (impermeable) + b (mB) soaks at 80 % RH for 1 h (b saturates); then layer c (mB too) is moulded
    on b. c's nodes not shared with b start dry (w = 0), the shared ones keep b's wetness 0.8; c is born stress-free:
    its swelling is measured from its birth (zero at the start of its step), and it takes up water afterwards."""
    c = laminate_case([("a", "mA", 300), ("b", "mB", 200), ("c", "mB", 200)], materials=_mats(), element="hex8i",
                      mesh_size_mm=2.0, min_elements_per_layer=2, size_mm=(6.0, 6.0))
    c["load"] = {"stress_free_temperature": "25 degC", "steps": [
        {"name": "soak", "kind": "moisture_soak", "temperature": "25 degC", "humidity": 80, "duration": "1 h",
         "output": "end"},
        {"name": "mould", "kind": "hold", "duration": "60 s", "births": ["layer.c"], "output": "increments"}]}
    case = api.load_case(c)
    from fcpkg_fem.run import history as rh
    seen = {}
    real = rh._increment

    def spy(run, step, t, dt, *a):
        if step.name == "mould" and "w" not in seen:
            m, pm = run.moisture, run.pmesh
            new = np.asarray(pm.cell_region) == pm.region_names.index("layer.c")
            seen["w"] = m.problem.to_mesh(m.w)[pm.mesh.t[:, new]]
            seen["hyg"] = run.hs.eps_hyg[new] - run.hs.hyg_birth[new]
            seen["c0"] = run.hs.eps_hyg[new].copy()
        return real(run, step, t, dt, *a)

    rh._increment = spy
    try:
        r = api.run(case, write=False)
    finally:
        rh._increment = real
    w = seen["w"]
    assert np.all((w == 0.0) | np.isclose(w, 0.8, atol=1e-12)) and (w == 0.0).any() and (w > 0).any()
    assert np.all(seen["hyg"] == 0.0) and np.any(seen["c0"] > 0)  # wet at birth (shared nodes), yet stress-free
    moist = [o["moisture"]["regions"] for o in r.outputs]
    assert "layer.c" not in moist[1] and moist[-1]["layer.c"]["mass_mg"] > 0


@pytest.mark.parametrize("name, field", [("moisture_level_unknown", "load.steps.0.level"),
                                         ("moisture_soak_no_permeable", "load.steps.1")])
def test_the_command_line_refuses_bad_moisture_input_with_exit_2(name, field):
    """The malformed cases of tests/malformed/moisture_*.yaml: ``fcpkg check`` exits 2 naming the field."""
    import subprocess
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "malformed" / f"{name}.yaml"
    r = subprocess.run([sys.executable, "-m", "fcpkg_fem", "check", str(path)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2 and field in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_a_level_1_soak_writes_a_finite_summary(tmp_path):
    """Level 1's floor life is unlimited: the step's parameters in summary.json say so in words (summary.json takes
    finite numbers only), and the entry ramp to 85 degC is listed before the soak."""
    import json

    c = laminate_case([("a", "silicon", 300), ("b", "emc", 300)], element="hex8i", mesh_size_mm=3.0,
                      size_mm=(6.0, 6.0))
    c["load"] = {"stress_free_temperature": "25 degC", "steps": [
        {"kind": "moisture_soak", "level": 1, "output": "end"}]}
    c["output"] = {"vtu": False, "plots": False, "report": False, "csv": True}
    api.run(api.load_case(c), out_dir=tmp_path / "l1")
    steps = json.loads((tmp_path / "l1" / "summary.json").read_text())["process"]["steps"]
    ramp, soak = steps[0]["parameters"]["then"]
    assert ramp["T1_C"] == 85.0 and soak["floor_life_h"] == "unlimited" and soak["RH_percent"] == 85.0
