"""Viscoelastic stress histories through Tg at the default temperature increment against step-converged references.

The library emc (Tg = 128 degC; WLF above, Arrhenius below, docs/models.md) changes its shift factor a_T by 2-3
decades within one default 10 K increment near Tg. The model integrates the reduced time over each increment and
takes the strain linear in time within it (fcpkg_fem/constitutive/viscoelastic.py). Each test runs one history at
the default increment and again in increments 20-50 times smaller (the reference, whose own error is stated), and
compares the stress at every coarse increment, relative to the history's peak stress. Before (1/a_T at the mid
temperature of an increment, strain linear in reduced time) the same comparisons gave 12.5 % (bar, heating), 2.1 %
(bar, cooling), 7.7 % and 4.3 % (bilayer); all figures measured 2026-12-06.
"""

from __future__ import annotations

import numpy as np
import pytest
from support.verification import laminate_case

from fcpkg_fem import api
from fcpkg_fem.case.schema import Solver
from fcpkg_fem.constitutive import make_model
from fcpkg_fem.materials import get

DEFAULT_DT = Solver().max_temperature_increment  # K, the case default (10 K)


def _bar(T_start: float, T_end: float, dT: float, rate: float = 1.0) -> np.ndarray:
    """sigma_xx (Pa) at the end of every increment of an emc bar whose length is held (total eps_xx = 0) and whose
    sides are free (sigma_yy = sigma_zz = 0), stress-free at T_start and taken to T_end at ``rate`` K/s in
    increments of dT, driven by its own thermal strain (CTE 11 ppm/K below Tg, 36 above)."""
    mat = get("emc")
    model = make_model("viscoelastic", mat)
    T = np.linspace(T_start, T_end, int(round(abs(T_end - T_start) / dT)) + 1)
    state, eps, out = model.init_state(1), np.zeros((1, 6)), [0.0]
    for T0, T1 in zip(T[:-1], T[1:]):
        dt = abs(T1 - T0) / rate
        eps = eps.copy()
        eps[0, 0] = -mat.thermal_strain(T1, T_start)[0, 0]  # mechanical strain = total (0) - thermal
        sig, D, _ = model.update(eps, T0, T1, dt, state)  # linear in eps: one Newton step frees the sides exactly
        eps[:, 1:3] -= np.linalg.solve(D[:, 1:3, 1:3], sig[:, 1:3, None])[..., 0]
        sig, _, state = model.update(eps, T0, T1, dt, state)
        out.append(sig[0, 0])
    return np.array(out)


@pytest.mark.parametrize("T_start,T_end", [(25.0, 205.0), (205.0, 25.0)], ids=["heating", "cooling"])
def test_bar_through_tg_at_the_default_increment(T_start, T_end):
    """Constitutive level, strain prescribed: within 1 % of the peak stress over the whole history.

    Measured: 0.12 % (heating, largest at 135 degC) and 0.53 % (cooling, at 125 degC); the final stress after
    cooling within 0.15 %. What remains is mostly the thermal strain's kink at Tg inside the 125-135 degC
    increment (taken linear in time there): with the increments' ends on Tg (28 -> 208 degC and back) the errors
    are 0.008 % and 0.016 %. Reference: 0.2 K increments, within 2.5e-5 of the peak of 0.05 K ones (measured).
    """
    coarse = _bar(T_start, T_end, DEFAULT_DT)
    fine = _bar(T_start, T_end, 0.2)[:: int(round(DEFAULT_DT / 0.2))]
    assert coarse.shape == fine.shape == (19,)
    peak = np.abs(fine).max()
    assert peak > 15e6  # Pa: measured 18.5 MPa (heating), 29.3 MPa (cooling): the test has a stress to check
    assert np.abs(coarse - fine).max() <= 0.01 * peak
    if T_end < T_start:
        assert abs(coarse[-1] - fine[-1]) <= 0.005 * abs(fine[-1])  # residual stress at 25 degC (measured 0.15 %)


def _bilayer_history(steps: list, max_dT: float, change: float | None):
    """Output times (s), temperatures (degC) and the stress of the emc layer (MPa, per output and cell) of a silicon
    200 um / emc 300 um bilayer, stress-free at 25 degC, through ``steps``, every increment reported."""
    c = laminate_case([("si", "silicon", 200), ("mold", "emc", 300)], element="hex8i", mesh_size_mm=1.0,
                      min_elements_per_layer=1, size_mm=(4.0, 4.0))
    c["load"] = {"stress_free_temperature": "25 degC", "steps": steps}
    c["models"] = {"layer.mold": "viscoelastic"}
    c["solver"]["max_temperature_increment"] = f"{max_dT} K"
    c["solver"]["max_relaxation_change"] = change
    r = api.run(api.load_case(c), write=False)
    cells = r.cell_region == r.region_names.index("layer.mold")
    return (np.array([o["time_s"] for o in r.outputs]), np.array([o["temperature_C"] for o in r.outputs]),
            np.array([f.cell_data["stress_MPa"][cells] for f in r.fields]))


def _table_steps(t: np.ndarray, T: np.ndarray) -> list:
    """The history through the points (t, T) as two table steps (up to the peak, and back), each point a
    breakpoint: a finer run then ends increments on every one of them."""
    top = int(np.argmax(T))
    def table(a, b):
        return {"kind": "table", "time": [f"{x - t[a]} s" for x in t[a:b + 1]],
                "temperatures": [f"{x} degC" for x in T[a:b + 1]], "output": "breakpoints"}
    return [table(0, top), table(top, len(t) - 1)]


@pytest.mark.parametrize("rate", [1.0, 0.1], ids=["1K/s", "0.1K/s"])
def test_bilayer_history_through_tg_at_the_default_increments(rate):
    """Through the API (process history of a free bilayer heated to 205 degC and cooled back at ``rate``): the emc
    layer's stress at every increment of the default plan (10 K, with the increments the plan adds where the emc
    relaxes fast: solver.max_relaxation_change, case/plan.py) against the same times each stepped in 0.5 K
    increments (a table through them).

    Unlike the bar's, the structure's strain is not linear in time within an increment where the emc relaxes fast
    (its share of the stiffness falls by decades within a few K). With 10 K increments alone that step error was
    0.29 % heating / 1.53 % cooling at 1 K/s and 4.5 % / 1.34 % at 0.1 K/s (the slower ramp relaxes within the
    glassy side of Tg); measured 2026-12-06 at the default max_relaxation_change 0.05: 0.19 % / 0.86 % (1 K/s),
    0.17 % / 0.81 % (0.1 K/s). Tolerance 1 %: the issue's goal for reported stresses. The reference: 0.5 K
    increments, within 0.02 % of the peak stress of 0.25 K ones (measured: 0.006 %, 0.017 %).
    """
    up_down = [{"kind": "ramp", "to": "205 degC", "rate": f"{rate} K/s", "output": "increments"},
               {"kind": "ramp", "to": "25 degC", "rate": f"{rate} K/s", "output": "increments"}]
    t, T, S = _bilayer_history(up_down, DEFAULT_DT, Solver().max_relaxation_change)
    t_ref, _, S_ref = _bilayer_history(_table_steps(t, T), 0.5, None)
    np.testing.assert_allclose(t_ref, t, rtol=0, atol=1e-6)  # s: the reference reports the same times
    peak = np.abs(S_ref).max()
    assert peak > 5.0  # MPa: measured 6.3 (1 K/s), 5.7 (0.1 K/s)
    top = int(np.argmax(T))
    err = np.abs(S - S_ref).reshape(len(t), -1).max(axis=1) / peak
    assert err[: top + 1].max() <= 0.01  # heating
    assert err[top:].max() <= 0.01  # cooling
