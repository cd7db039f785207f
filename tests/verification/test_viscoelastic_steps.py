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


def _bilayer_history(max_dT: float):
    """Stress of the emc layer (MPa, per output time and cell) of a silicon 200 um / emc 300 um bilayer, stress-free
    at 25 degC, heated to 205 degC and cooled back at 1 K/s, every increment reported; and the output times."""
    c = laminate_case([("si", "silicon", 200), ("mold", "emc", 300)], element="hex8i", mesh_size_mm=1.0,
                      min_elements_per_layer=1, size_mm=(4.0, 4.0))
    c["load"] = {"stress_free_temperature": "25 degC", "steps": [
        {"kind": "ramp", "to": "205 degC", "rate": "1 K/s", "output": "increments"},
        {"kind": "ramp", "to": "25 degC", "rate": "1 K/s", "output": "increments"}]}
    c["models"] = {"layer.mold": "viscoelastic"}
    c["solver"]["max_temperature_increment"] = f"{max_dT} K"
    r = api.run(api.load_case(c), write=False)
    cells = r.cell_region == r.region_names.index("layer.mold")
    return (np.array([o["time_s"] for o in r.outputs]),
            np.array([f.cell_data["stress_MPa"][cells] for f in r.fields]))


def test_bilayer_history_through_tg_at_the_default_increment():
    """Through the API (process history of a free bilayer): the emc layer's stress at every default increment
    against 0.5 K increments (themselves within 0.10 % of the peak stress of 0.25 K ones, measured).

    Measured: heating 0.29 %, cooling 1.53 % of the peak stress (6.3 MPa). Unlike the bar's, the structure's
    strain is not linear in time within an increment where the emc relaxes fast (its share of the stiffness falls
    by decades): that global step error is what remains, and it depends on where Tg falls in an increment
    (measured at 10, 5 and 2.5 K increments: heating 0.29 %, 1.9 %, 0.56 %; cooling 1.53 %, 0.49 %, 0.19 %).
    Increments refined where a_T changes fast are the way to 1 % at the structure level.
    """
    t, S = _bilayer_history(DEFAULT_DT)
    t_ref, S_ref = _bilayer_history(0.5)
    idx = np.searchsorted(t_ref, t - 1e-9)
    np.testing.assert_allclose(t_ref[idx], t, rtol=0, atol=1e-9)  # s: every coarse time is a reference time
    S_ref = S_ref[idx]
    peak = np.abs(S_ref).max()
    assert peak > 5.0  # MPa: measured 6.3
    top = len(t) // 2  # the output at 205 degC: heating before, cooling after
    assert np.abs(S[: top + 1] - S_ref[: top + 1]).max() <= 0.01 * peak  # heating: measured 0.29 %
    assert np.abs(S[top:] - S_ref[top:]).max() <= 0.025 * peak  # cooling: measured 1.53 %, the step error above
