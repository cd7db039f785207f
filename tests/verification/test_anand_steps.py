"""Time-integration error of the Anand solder model at the solver's default increments (issue "Numbers an engineer
can sign", item 2): a material point against a time-step-converged reference.

The point: SAC305 sheared in proportion to temperature, gamma = 1 % per 165 K from 25 degC (the thermal mismatch of
a joint between a die and a board; the same drive as the unit tests' cycles), through the temperature history
stepped as the process plan steps a case at its defaults (case.schema.Solver): ramps in increments of at most
max_temperature_increment (10 K), holds in increments growing by hold_growth (2) from the last ramp increment
(loads.increments). The reference steps every one of those increments in 100 equal parts, one backward-Euler step
each (max_substeps = 1): its own error is about 1/100 of that of plain backward Euler at the default increments
(11 % at the end of a 125 degC soak, 1.9 % in the work of a cycle), so 0.11 % at most.

Tolerance 1 %: the issue's goal for the reported quantities, the stress at the end of a step and the inelastic work
(accumulated, and per cycle); room for the reference's 0.11 %. Measured 2026-12-06 (sub-stepped default model vs
this reference): end-of-soak stress +0.02 %, work to the end of the soak -0.09 % (of it, dissipated during the soak
-0.51 %); condition G: stresses at the ends of soaks and ramps within 0.29 %, work per cycle -0.09 % and -0.02 %.
One backward-Euler step per increment: +11.0 %, -3.8 % (-6.3 %); stresses up to 11.0 %, work per cycle -1.8 %.
"""

from __future__ import annotations

import numpy as np
import pytest

from fcpkg_fem import loads
from fcpkg_fem.case.schema import Solver
from fcpkg_fem.constitutive import make_model
from fcpkg_fem.constitutive.anand import _path_start, _sub_steps
from fcpkg_fem.materials import get

SHEAR_PER_K = 0.01 / 165.0
PARTS = 100


def _default_times(profile):
    """Time points and temperatures of the default stepping of ``profile``."""
    s = Solver()
    t = loads.increments(profile, max_dT_C=s.max_temperature_increment, max_dt_s=s.max_time_increment,
                         hold_growth=s.hold_growth)
    return t, np.interp(t, profile.time_s, profile.temperature_C)


def _model(max_substeps=None):
    model = make_model("anand", get("sac305"))
    if max_substeps is not None:
        model.max_substeps = max_substeps
    return model


def _drive(model, t, T, parts=1):
    """Shear stress (Pa) and inelastic work (J/m^3) at t[1:], each increment stepped in ``parts`` equal parts."""
    st = model.init_state(1)
    tau, w = [], []
    for k in range(len(t) - 1):
        for j in range(parts):
            T0 = T[k] + (T[k + 1] - T[k]) * j / parts
            T1 = T[k] + (T[k + 1] - T[k]) * (j + 1) / parts
            eps = np.zeros((1, 6))
            eps[0, 5] = SHEAR_PER_K * (T1 - 25.0)
            sig, _, st = model.update(eps, T0, T1, (t[k + 1] - t[k]) / parts, st)
        tau.append(sig[0, 5])
        w.append(st["w"][0])
    return np.array(tau), np.array(w)


def test_soak_after_a_ramp_within_one_percent(capsys):
    """Ramp 25 -> 125 degC at 15 K/min, soak 10 min: end-of-soak stress and the work, to the end and during the
    soak, within 1 % of the reference; plain backward Euler misses the stress by more than 5 % (the test bites)."""
    profile = loads.ramp(25.0, 125.0, 0.25).then(loads.hold(125.0, 600.0))
    t, T = _default_times(profile)
    soak = int(np.searchsorted(t, 400.0)) - 1  # index (in t[1:]) of the soak's start
    tau, w = _drive(_model(), t, T)
    tau_be, w_be = _drive(_model(1), t, T)
    tau_ref, w_ref = _drive(_model(1), t, T, PARTS)
    err = {"stress": tau[-1] / tau_ref[-1] - 1, "work": w[-1] / w_ref[-1] - 1,
           "soak work": (w[-1] - w[soak]) / (w_ref[-1] - w_ref[soak]) - 1}
    be = tau_be[-1] / tau_ref[-1] - 1
    with capsys.disabled():
        print(f"\nsoak: {len(t) - 1} increments, end stress {tau_ref[-1] / 1e6:.3f} MPa; errors "
              + ", ".join(f"{k} {100 * v:+.2f} %" for k, v in err.items()) + f"; backward Euler stress {100 * be:+.1f} %")
    for k, v in err.items():
        assert abs(v) < 0.01, k
    assert be > 0.05


def test_condition_g_cycles_within_one_percent(capsys):
    """JESD22-A104 condition G (-40/125 degC, 10 min soaks, 15 K/min), two cycles from 25 degC: the stress at the
    end of every ramp and soak and the inelastic work of each cycle within 1 % of the reference."""
    profile = loads.thermal_cycle("G", cycles=2)
    t, T = _default_times(profile)
    ends = np.searchsorted(t, profile.time_s[1:]) - 1  # index in t[1:] of each segment's end
    last = np.r_[np.flatnonzero(np.diff(profile.cycle)), len(profile.cycle) - 1]  # each cycle's last segment
    tau, w = _drive(_model(), t, T)
    tau_be, _ = _drive(_model(1), t, T)
    tau_ref, w_ref = _drive(_model(1), t, T, PARTS)
    d_stress = tau[ends] / tau_ref[ends] - 1
    dW, dW_ref = np.diff(np.r_[0.0, w[ends[last]]]), np.diff(np.r_[0.0, w_ref[ends[last]]])
    d_work = dW / dW_ref - 1
    with capsys.disabled():
        print(f"\ncondition G: {len(t) - 1} increments; stress at segment ends {np.round(100 * d_stress, 2)} %, "
              f"work per cycle {np.round(100 * d_work, 2)} % (dW {np.round(dW_ref / 1e6, 4)} MJ/m^3); backward Euler "
              f"stress up to {100 * np.max(np.abs(tau_be[ends] / tau_ref[ends] - 1)):.1f} %")
    assert np.all(np.abs(d_stress) < 0.01)
    assert np.all(np.abs(d_work) < 0.01)
    assert np.max(np.abs(tau_be[ends] / tau_ref[ends] - 1)) > 0.05


@pytest.mark.parametrize("case", ["soak start", "reversal", "knee"])
def test_sub_stepped_tangent_is_exact(case):
    """Where the update sub-steps (and extrapolates), its tangent is the derivative of that update, and symmetric:
    central differences (h = 1e-9: truncation ~1e-12, round-off ~1e-10 of D) agree to 1e-8 of D (measured 2e-11 ..
    9e-11), at a hold's first increment after a ramp, at the reversal into cooling after a soak, and at the first
    increment of a ramp from rest (the knee)."""
    model = _model()
    st = model.init_state(1)
    eps = np.zeros((1, 6))
    if case == "knee":
        steps = [(125.0, 125.0, 0.0, 40.0)]
    else:
        steps = [(25.0 + 10.0 * k, 35.0 + 10.0 * k, 10.0 * (k + 1), 40.0) for k in range(10)]  # ramp to 125
        steps += [(125.0, 125.0, 100.0, 40.0)] if case == "soak start" else [(125.0, 125.0, 100.0, 600.0),
                                                                            (125.0, 115.0, 90.0, 40.0)]
    for T0, T1, dT, dt in steps[:-1]:
        eps[0, 5] = SHEAR_PER_K * dT
        _, _, st = model.update(eps, T0, T1, dt, st)
    T0, T1, dT, dt = steps[-1]
    eps[0, 5] = SHEAR_PER_K * (dT if case != "knee" else 10.0)
    eps[0, 0], eps[0, 1] = 2e-4, -1e-4  # a normal component too: the tangent is checked in all directions
    sig, D, new = model.update(eps, T0, T1, dt, st)
    one = _model(1).update(eps, T0, T1, dt, st)[0]
    assert np.abs(sig - one).max() > 1e-3 * np.abs(sig).max()  # it did sub-step
    cols = []
    for j in range(6):
        ep, em = eps.copy(), eps.copy()
        ep[0, j] += 1e-9
        em[0, j] -= 1e-9
        cols.append((model.update(ep, T0, T1, dt, st)[0] - model.update(em, T0, T1, dt, st)[0]) / 2e-9)
    Dfd = np.stack(cols, axis=-1)
    assert np.abs(D - Dfd).max() < 1e-8 * np.abs(D).max()
    np.testing.assert_allclose(D[0], D[0].T, rtol=0, atol=1e-12 * np.abs(D).max())  # symmetric


def test_one_step_where_the_estimate_allows_and_the_path_start():
    """Where the step-doubling estimate is within the tolerance the update is the one backward-Euler step, bit for
    bit (here: the steady state, where one and two sub-steps agree exactly). The path starts at the committed
    stress, counted against the trial direction when the increment reverses it; along a hold (start = trial) the
    sub-steps are the one-step updates of their lengths in a row (to the local solver's 1e-13)."""
    mat = get("sac305")
    a = mat.extra["anand"]
    model = _model()
    T = np.array([25.0])
    rate, dt = 1e-4, 10.0
    sig_sat = a.steady_state_stress(rate, T)
    E, nu = mat.elastic.E(T), mat.elastic.nu(T)
    st = model.init_state(1)
    st["eps_p"][:, :3] = [0.05, -0.025, -0.025]
    st["eps"][:, :3] = st["eps_p"][:, :3] + np.stack([sig_sat / E, -nu * sig_sat / E, -nu * sig_sat / E], 1)
    st["sigma"][:, 0] = sig_sat
    st["s"] = np.full(1, a.s_hat * (rate / a.A * np.exp(a.Q_R / 298.15)) ** a.n)
    eps = st["eps"].copy()
    eps[:, :3] += np.array([1.0, -0.5, -0.5]) * rate * dt  # along the flow: the elastic strain stays
    sub, one = model.update(eps, T, T, dt, st), _model(1).update(eps, T, T, dt, st)
    for x, y in zip(sub[:2], one[:2]):
        np.testing.assert_array_equal(x, y)
    for k in sub[2]:
        np.testing.assert_array_equal(sub[2][k], one[2][k])
    G = model.elastic.lame(T)[1]
    n_hat = np.array([[1.0, -0.5, -0.5, 0, 0, 0]]) / np.sqrt(1.5)
    q_n = _path_start(G, st["eps"], st["eps_p"], n_hat)
    np.testing.assert_allclose(q_n, sig_sat, rtol=1e-9)
    np.testing.assert_allclose(_path_start(G, st["eps"], st["eps_p"], -n_hat), -sig_sat, rtol=1e-9)
    # a hold at 1.5 times the steady stress: 4 sub-steps = 4 one-step updates of dt / 4
    st["eps"][:, :3] = st["eps_p"][:, :3] + 1.5 * (st["eps"][:, :3] - st["eps_p"][:, :3])
    q0 = _path_start(G, st["eps"], st["eps_p"], n_hat)
    path = _sub_steps(a, q0, q0, st["s"], G, T, T, 1000.0, q0, np.zeros(1), np.array([4.0]))
    s = st
    for _ in range(4):
        _, _, s = _model(1).update(st["eps"], T, T, 250.0, s)
    np.testing.assert_allclose(path.P, s["p"] - st["p"], rtol=1e-10)
    np.testing.assert_allclose(path.s, s["s"], rtol=1e-12)
    assert path.p_abs[0] == path.P[0] and 0.01 < 3.0 * G[0] * path.P[0] / q0[0] < 0.99  # it relaxed, not fully
