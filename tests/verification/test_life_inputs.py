"""Life-model inputs as their authors defined them, on joints with a known cyclic history.

1. A point of elastic-perfectly-plastic J2 solder (E = 30 GPa, nu = 0.25: G = 12 GPa; tau_y = sigma_y / sqrt(3) =
   12 MPa, so the yield shear strain g_y = tau_y / G = 1e-3) sheared in gamma_xz between +3 g_y and -3 g_y in steps
   of g_y. Every yield onset falls on an increment end, so the return mapping and its trapezoidal work are exact,
   and from the first reversal on each cycle is the same closed loop:
   - total shear strain range 6 g_y = 6e-3; inelastic range 6 g_y - 2 g_y = 4e-3 (the elastic 2 tau_y / G of each
     reversal subtracted);
   - work per cycle: two plastic legs of 4 g_y at tau_y, W = 2 tau_y 4 g_y = 8 tau_y^2 / G = 96,000 J/m^3;
   - the accumulated equivalent plastic strain rises by 2 x 4e-3 / sqrt(3) per cycle: sqrt(3) times that (the old
     Engelmaier input) is 8e-3, twice the inelastic range.
   Its samples, as the joint tracker keeps them, go through :func:`joints.life_estimates`:
   Engelmaier gets d_gamma = 6e-3 at T_sj = 25 C and f = 120/day (720 s cycles): c = -0.442 - 6e-4 * 25 +
   0.0174 ln 121 = -0.373553, N_f = 0.5 (0.006 / 0.65)^(1 / c) = 0.5 exp(4.685213 * 2.677000) = 139,964 cycles;
   Syed (SAC305) gets W = 0.096 MPa: N_f = 1 / (0.0019 * 0.096) = 5482.5 cycles; Darveaux none (no SnAgCu
   constants). Tolerance: rel 1e-9, the round-off of the return mapping at the yield points (f_tr ~ 1e-16 sigma_y).
2. :class:`joints.JointTracker` on a small real package: prescribed element fields (uniform in each joint, scaled
   per joint) over three cycle starts; the last complete cycle's samples, ranges, temperatures and work increments
   are exactly the prescribed ones, and a SAC305 joint never gets the SnPb Darveaux constants.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from support.items import setup as _setup

from fcpkg_fem.constitutive import make_model
from fcpkg_fem.materials.model import CTE, Isotropic, J2Params, Material, Table
from fcpkg_fem.post import joints
from fcpkg_fem.solve.history import HistorySolver

G, TAU_Y = 12e9, 12e6  # Pa
G_Y = TAU_Y / G  # 1e-3


def _j2_point():
    mat = Material(name="epp", elastic=Isotropic(Table.constant(30e9), Table.constant(0.25)),
                   cte=CTE.isotropic(20e-6), extra={"j2": J2Params(sigma_y=math.sqrt(3.0) * TAU_Y)})
    return make_model("j2", mat)


def _loop_history(cycles: int = 2, dt: float = 60.0):
    """Per increment (t, gamma_xz, model state) of the loop: up to +3 g_y, then full reversals; the cycle starts
    are the +3 g_y peaks (every 12 increments of 60 s)."""
    model = _j2_point()
    state = model.init_state(1)
    gam = list(np.arange(1, 4) * G_Y)  # 0 -> +3 g_y
    for _ in range(cycles):
        gam += list((2 - np.arange(6)) * G_Y) + list((-2 + np.arange(6)) * G_Y)  # -> -3 g_y -> +3 g_y
    out = []
    for k, g in enumerate(gam):
        eps = np.zeros((1, 6))
        eps[0, 4] = g
        _, _, state = model.update(eps, 25.0, 25.0, dt, state)
        out.append(((k + 1) * dt, g, state))
    return model, out


def test_closed_shear_loop_gives_each_model_its_own_input():
    model, hist = _loop_history()
    region = "bumps.j"
    peaks = [i for i, (_, g, _) in enumerate(hist) if abs(g - 3 * G_Y) < 1e-15]
    assert len(peaks) == 3  # 2 complete cycles

    def work(state, thickness=25e-6):
        w, p = model.inelastic_work(state), model.equivalent_inelastic_strain(state)
        return {region: {"volume": w, "lower": w, "upper": w, "eq": p, "t_lower": np.array([thickness]),
                         "t_upper": np.array([thickness])}}

    marks = [(hist[i][0], work(hist[i][2])) for i in peaks]
    cycle = [{"t": t, region: {"T": np.array([25.0]), "mech": np.array([[0, 0, 0, 0, g, 0.0]]),
                               "inelastic": model.inelastic_strain(st)}}
             for t, g, st in hist[peaks[-2]: peaks[-1] + 1]]
    pm = SimpleNamespace(items={region: [(0.0, 0.0)]}, region_material={region: "sac305"})
    e = joints.life_estimates(pm, np.ones(1), None, marks, cycle)[region]
    c = e["critical"]
    assert c["d_gamma"] == pytest.approx(6 * G_Y, rel=1e-9)
    assert c["d_gamma_transverse"] == pytest.approx(6 * G_Y, rel=1e-9)
    assert c["d_gamma_inelastic"] == pytest.approx(4 * G_Y, rel=1e-9)
    assert math.sqrt(3.0) * c["d_eq_inelastic_strain"] == pytest.approx(8 * G_Y, rel=1e-9)  # the old input
    assert c["dW_layer_MJ_m3"] == pytest.approx(8 * TAU_Y**2 / G * 1e-6, rel=1e-9)
    assert c["dW_layer_per_cycle_MJ_m3"] == pytest.approx([0.096, 0.096], rel=1e-9)
    assert e["cycles_per_hour"] == pytest.approx(5.0, rel=1e-12) and e["mean_temperature_C"] == 25.0
    est = e["estimates"]
    assert est["engelmaier"]["inputs"]["delta_gamma"] == pytest.approx(6e-3, rel=1e-9)
    assert est["engelmaier"]["constants"]["c"] == pytest.approx(-0.373553, abs=1e-6)
    assert est["engelmaier"]["cycles"] == pytest.approx(139964, rel=1e-5)  # 6 digits of the hand value
    assert "WARNING" in est["engelmaier"]["assumptions"][0]  # SnPb constants on a SnAgCu joint, said
    assert est["syed"]["cycles"] == pytest.approx(5482.5, rel=1e-5)
    assert est["syed"]["inputs"]["layer_thickness_m"] == 25e-6
    assert "darveaux" not in est and "SnAgCu" in e["not_estimated"]["darveaux"]


def _cycling_step(cycles: int = 3, leg: float = 25.0):
    """A thermal_cycle step stub: per cycle hot_soak, cooling, cold_soak, heating of ``leg`` s each, after a
    first ramp of ``leg`` s; the cycle starts (hot soaks) at leg, 5 leg, 9 leg."""
    labels, cyc, times = ["ramp"], [0], [0.0]
    for c in range(cycles):
        for lab in ("hot_soak", "cooling", "cold_soak", "heating"):
            labels.append(lab)
            cyc.append(c)
            times.append(times[-1] + leg)
    prof = SimpleNamespace(segments=labels, cycle=np.array(cyc), time_s=np.array(times),
                           temperature_C=np.array([25.0, 125.0, -40.0]))
    return SimpleNamespace(t_start=0.0, profile=prof, kind="thermal_cycle")


@pytest.mark.parametrize("reverse", [False, True])
def test_tracker_keeps_the_last_complete_cycle_and_its_ranges(reverse):
    """Joint k of each bump region gets gamma_xz = s_k a(t), s_k = 1 + k/10, with a(t) a loop of amplitude 1e-3 in
    the first cycle and 2e-3 after it, an inelastic gamma_xz of half that, an axial eps_zz of 0.3 a(t) (so the
    equivalent range is sqrt(3) eps_eq of the (0, 0, 0.3, 0, 1, 0) direction: sqrt(0.3^2 * 4/3 + 1) = 1.05830 per
    unit of gamma), the temperature 125 / -40 C at the soaks and a work density W = n_cycles_done s_k W0.
    Last complete cycle (t = 100..200 s): d_gamma = 4e-3 s_k 1.05830, inelastic 2e-3 s_k, transverse 4e-3 s_k,
    T_sj = 42.5 C, dW = s_k W0; increments before the first cycle start are not sampled (rel 1e-12: round-off).
    ``reverse``: the strains take the scale of joint n - 1 - k, so the joint with the largest work (Darveaux's and
    Syed's) has the smallest strain range and Engelmaier's estimate is that of joint 0 (largest range), at joint 0's
    own mean temperature (each joint runs 100 (g - 1) K above the others' temperatures, g its strain scale)."""
    case, pm, prob = _setup("full", "hex8i")
    bumps = [r for r in pm.region_names if r.startswith("bumps.")]
    models = {r: make_model("anand", case.materials_resolved[pm.region_material[r]]) for r in bumps}
    hs = HistorySolver(prob, models, born_at_start={r: 25.0 for r in pm.region_names})
    step = _cycling_step()
    scale = np.zeros(pm.n_elements)
    for r in bumps:
        sel = np.nonzero(pm.cell_region == pm.region_names.index(r))[0]
        scale[sel] = 1.0 + pm.cell_item[sel] / 10.0
    gscale = scale.copy()
    if reverse:
        for r in bumps:
            sel = np.nonzero(pm.cell_region == pm.region_names.index(r))[0]
            gscale[sel] = 1.0 + (len(pm.items[r]) - 1 - pm.cell_item[sel]) / 10.0
    # reversed, a joint runs 10 K hotter per 0.1 of its strain scale: Engelmaier's T_sj is its own joint's
    dT = np.where(gscale > 0, 100.0 * (gscale - 1.0), 0.0) if reverse else np.zeros(pm.n_elements)
    W0 = 5e4  # J/m^3
    state = {}
    hs.snapshot = lambda: SimpleNamespace(strain=state["mech"], eth=np.zeros_like(state["mech"]))
    hs.inelastic_fields = lambda: state["fields"]
    tracker = joints.JointTracker(pm, hs, step)
    shape = [0.0, 1.0, 0.0, -1.0]  # a(t) / amplitude at the start of each leg: the loop closes at each hot soak
    for t in np.arange(0.0, 13 * 25.0 + 1e-9, 12.5):
        leg = int(t // 25.0) - 1  # legs of 25 s from t = 25 s on
        done = max(0, (int(t) - 25) // 100)  # complete cycles by t
        amp = 1e-3 if t <= 125.0 else 2e-3
        frac = (t % 25.0) / 25.0
        a = amp * ((1 - frac) * shape[leg % 4] + frac * shape[(leg + 1) % 4]) if leg >= 0 else 0.0
        mech = np.zeros((pm.n_elements, 6))
        mech[:, 4], mech[:, 2] = gscale * a, 0.3 * gscale * a
        inel = np.zeros((pm.n_elements, 6))
        inel[:, 4] = 0.5 * gscale * a
        W = done * scale * W0
        state.update(mech=mech, fields={"inelastic_strain": inel, "inelastic_work_J_m3": W,
                                        "eq_inelastic_strain": W * 1e-10})
        hs.T = np.full(pm.n_elements, 125.0 if leg % 4 == 0 else (-40.0 if leg % 4 == 2 else 42.5)) + dT
        tracker.add(float(t), hs)
    assert [m[0] for m in tracker.starts] == [25.0, 125.0, 225.0]
    assert [s["t"] for s in tracker.last_cycle] == list(np.arange(125.0, 225.0 + 1e-9, 12.5))
    out = tracker.life_estimates(step)
    per_gamma = math.sqrt(0.3**2 * 4.0 / 3.0 + 1.0)
    for r in bumps:
        e = out[r]
        k = len(pm.items[r]) - 1  # largest scale: the critical joint
        s_k = 1.0 + k / 10.0
        g_k, g_max, kg = (1.0, s_k, 0) if reverse else (s_k, s_k, k)  # strain scale of k, the largest and its joint
        c = e["critical"]
        assert c["id"] == k
        assert c["d_gamma"] == pytest.approx(4e-3 * g_k * per_gamma, rel=1e-12)
        assert c["d_gamma_inelastic"] == pytest.approx(2e-3 * g_k, rel=1e-12)
        assert c["d_gamma_transverse"] == pytest.approx(4e-3 * g_k, rel=1e-12)
        assert c["temperature_range_C"] == pytest.approx([-40.0, 125.0], rel=1e-12)
        assert e["mean_temperature_C"] == pytest.approx(42.5, rel=1e-12)
        assert c["dW_layer_MJ_m3"] == pytest.approx(s_k * W0 * 1e-6, rel=1e-12)
        assert e["cycles_per_hour"] == pytest.approx(36.0, rel=1e-12)
        eng = e["estimates"]["engelmaier"]
        assert eng["inputs"]["delta_gamma"] == pytest.approx(4e-3 * g_max * per_gamma, rel=1e-12)
        assert eng["joint"]["id"] == kg
        assert eng["inputs"]["T_sj_C"] == pytest.approx(42.5 + (100.0 * (g_max - 1.0) if reverse else 0.0), rel=1e-12)
        assert e["estimates"]["engelmaier"]["inputs"]["cycles_per_day"] == pytest.approx(864.0, rel=1e-12)
        # the bumps are SAC305: Syed, never the SnPb Darveaux constants
        assert "syed" in e["estimates"] and "darveaux" not in e["estimates"]
        assert "Darveaux 2000" in e["not_estimated"]["darveaux"]
        per = {j["id"]: j for j in e["per_joint"]}
        assert per[0]["d_gamma"] == pytest.approx(4e-3 * (g_max if reverse else 1.0) * per_gamma, rel=1e-12)
