"""Load profiles (fcpkg_fem.loads): J-STD-020 reflow, JESD22-A104 cycling, increments, tables, the registry.

The reflow and cycling checks measure exactly on the piecewise-linear curve; these tests re-measure the same
quantities independently by sampling the curve densely (midpoint rule on a grid of step DT), and compare with the
closed-form values the profile construction implies.
"""

from __future__ import annotations


import numpy as np
import pytest

from fcpkg_fem.errors import InputError
from fcpkg_fem.loads import (CYCLE_CONDITIONS, IPC9701_MAX_RAMP_K_PER_S, PROFILES, REFLOW_LIMITS, SOAK_MODES_S,
                             Profile, build, check_reflow, check_thermal_cycle, classification_temperature, hold,
                             increments, measure_reflow, measure_thermal_cycle, ramp, reflow_profile, register,
                             table, thermal_cycle)

DT = 1e-3  # s, sampling step of the independent re-measurement


def fields(err: InputError) -> list[str]:
    return [p.field for p in err.value.problems]


def dense(p: Profile, t0: float = 0.0, t1: float | None = None, dt: float = DT):
    """Midpoints of a grid of step about dt over [t0, t1] and the profile's temperature there (and the step)."""
    t1 = p.duration if t1 is None else t1
    n = int(round((t1 - t0) / dt))
    t = t0 + (np.arange(n) + 0.5) * (t1 - t0) / n
    return t, np.asarray(p.temperature(t)), (t1 - t0) / n


def pass_windows(p: Profile) -> list[tuple[float, float]]:
    """(start, end) time of each pass, from the cycle index of the segments."""
    out = []
    for c in np.unique(p.cycle):
        idx = np.flatnonzero(p.cycle == c)
        out.append((float(p.time_s[idx[0]]), float(p.time_s[idx[-1] + 1])))
    return out


def resample_reflow(p: Profile, alloy: str) -> list[dict]:
    """Independent per-pass measurement of the Table 5-2 quantities from a dense sampling of the curve."""
    lim = REFLOW_LIMITS[alloy]
    out = []
    for a, b in pass_windows(p):
        t, T, h = dense(p, a, b)
        Tp = float(p.temperature_C[(p.time_s >= a) & (p.time_s <= b)].max())
        t_pk = float(p.time_s[(p.time_s >= a) & (p.time_s <= b)][np.argmax(
            p.temperature_C[(p.time_s >= a) & (p.time_s <= b)])])
        before = t < t_pk
        dTdt = np.diff(T) / np.diff(t)
        hot = np.maximum(T[:-1], T[1:]) > lim.preheat_max_C
        # last sample at or below 25 degC before the peak (the pass start when there is none)
        low = np.flatnonzero(before & (T <= 25.0))
        t25 = t[low[-1]] if low.size else a
        out.append({
            "peak_C": Tp,
            "ramp_up_K_per_s": dTdt[hot & (dTdt > 0)].max(),
            "ramp_down_K_per_s": -dTdt.min(),
            "preheat_time_s": h * np.count_nonzero(before & (T >= lim.preheat_min_C) & (T <= lim.preheat_max_C)),
            "time_above_liquidus_s": h * np.count_nonzero(T > lim.liquidus_C),
            "time_near_peak_s": h * np.count_nonzero(T >= Tp - 5.0),
            "time_25C_to_peak_s": t_pk - t25,
        })
    return out


# ------------------------------------------------------------------------------------------------- reflow

REFLOW_CASES = [
    # alloy, thickness m, volume m^3, passes, expected Tc (J-STD-020 Table 4-2 / 4-1)
    ("pb_free", 1.0e-3, 100e-9, 1, 260.0),
    ("pb_free", 1.0e-3, 3000e-9, 3, 260.0),
    ("pb_free", 2.0e-3, 100e-9, 2, 260.0),
    ("pb_free", 2.0e-3, 1000e-9, 3, 250.0),
    ("pb_free", 2.0e-3, 3000e-9, 1, 245.0),
    ("pb_free", 3.0e-3, 100e-9, 2, 250.0),
    ("pb_free", 3.0e-3, 1000e-9, 3, 245.0),
    ("snpb", 1.0e-3, 100e-9, 1, 235.0),
    ("snpb", 1.0e-3, 1000e-9, 3, 220.0),
    ("snpb", 3.0e-3, 100e-9, 2, 220.0),
]


@pytest.mark.parametrize("alloy,th,vol,passes,Tc", REFLOW_CASES)
def test_named_reflow_profile_obeys_the_standard_and_remeasures(alloy, th, vol, passes, Tc):
    p = reflow_profile(alloy=alloy, package_thickness_m=th, package_volume_m3=vol, passes=passes)
    lim = REFLOW_LIMITS[alloy]
    assert p.parameters["classification_C"] == Tc and p.violations == ()
    assert check_reflow(p, alloy, Tc) == []
    meas = measure_reflow(p, alloy)
    assert len(meas) == passes == p.n_cycles
    for m, r in zip(meas, resample_reflow(p, alloy)):
        # inside every Table 5-2 limit
        assert m["peak_C"] == Tc
        assert m["ramp_up_K_per_s"] <= lim.ramp_up_max_K_per_s
        assert m["ramp_down_K_per_s"] <= lim.ramp_down_max_K_per_s
        assert lim.preheat_time_min_s <= m["preheat_time_s"] <= lim.preheat_time_max_s
        assert lim.time_above_liquidus_min_s <= m["time_above_liquidus_s"] <= lim.time_above_liquidus_max_s
        assert m["time_near_peak_s"] <= lim.time_near_peak_max_s
        assert m["time_25C_to_peak_s"] <= lim.time_25C_to_peak_max_s
        # the construction's closed form: the requested/default times are met exactly (1e-9 s: round-off)
        assert m["time_above_liquidus_s"] == pytest.approx(p.parameters["time_above_liquidus_s"], abs=1e-9)
        assert m["time_near_peak_s"] == pytest.approx(p.parameters["time_near_peak_s"], abs=1e-9)
        assert m["preheat_time_s"] == pytest.approx(p.parameters["preheat_time_s"], abs=1e-9)
        assert m["ramp_up_K_per_s"] == pytest.approx(p.parameters["ramp_up_K_per_s"], rel=1e-12)
        assert m["ramp_down_K_per_s"] == pytest.approx(p.parameters["ramp_down_K_per_s"], rel=1e-12)
        # independent dense re-measurement: each band is entered and left once per pass, and the midpoint count
        # is off by at most one step at each crossing -> 2 DT; the 25 degC crossing is located to within DT.
        for key in ("preheat_time_s", "time_above_liquidus_s", "time_near_peak_s"):
            assert r[key] == pytest.approx(m[key], abs=2 * DT), key
        assert r["time_25C_to_peak_s"] == pytest.approx(m["time_25C_to_peak_s"], abs=DT)
        # finite differences on the grid are the segment rates (round-off of T/DT ~ 1e-13 * 260 / 1e-3)
        assert r["ramp_up_K_per_s"] == pytest.approx(m["ramp_up_K_per_s"], rel=1e-6)
        assert r["ramp_down_K_per_s"] == pytest.approx(m["ramp_down_K_per_s"], rel=1e-6)
        assert r["peak_C"] == m["peak_C"]


def test_reflow_passes_are_separated_by_a_cool_and_dwell():
    p = reflow_profile(peak_C=250.0, passes=3, end_C=40.0, pass_dwell_s=120.0)
    holds = [i for i, s in enumerate(p.segments) if s == "hold"]
    assert len(holds) == 2  # between passes only
    for i in holds:
        assert p.temperature_C[i] == p.temperature_C[i + 1] == 40.0
        assert p.time_s[i + 1] - p.time_s[i] == pytest.approx(120.0, abs=1e-9)
    assert p.temperature_C[0] == 25.0 and p.temperature_C[-1] == 40.0
    # pass 2 starts at 40 degC, above 25 degC: 25-to-peak is measured from the pass start (documented). Closed
    # form: 40 -> 150 at 2 K/s, 90 s preheat, 200 -> 217 at 2 K/s, the rise 217 -> 245 over
    # 90 - 20 - (245 - 217) / 3 s, 245 -> 250 at 2 K/s.
    m = measure_reflow(p)
    t_rise = 90.0 - 20.0 - (245.0 - 217.0) / 3.0
    assert m[1]["time_25C_to_peak_s"] == pytest.approx(110 / 2 + 90 + 17 / 2 + t_rise + 5 / 2, abs=1e-9)
    # pass 1 starts at 25 degC
    assert m[0]["time_25C_to_peak_s"] == pytest.approx(125 / 2 + 90 + 17 / 2 + t_rise + 5 / 2, abs=1e-9)
    assert set(p.segments) == {"ramp", "preheat", "ramp_up", "above_liquidus", "peak", "ramp_down", "cool", "hold"}


@pytest.mark.parametrize("thickness_mm,volume_mm3,alloy,Tc", [
    (1.0, 100, "pb_free", 260), (1.0, 1000, "pb_free", 260), (1.0, 5000, "pb_free", 260),
    (1.6, 349, "pb_free", 260), (1.6, 350, "pb_free", 250), (2.0, 2000, "pb_free", 250),
    (2.0, 2001, "pb_free", 245), (2.5, 100, "pb_free", 250), (2.5, 350, "pb_free", 245),
    (4.0, 5000, "pb_free", 245), (1.59, 5000, "pb_free", 260),
    (1.0, 349, "snpb", 235), (1.0, 350, "snpb", 220), (2.49, 100, "snpb", 235), (2.5, 100, "snpb", 220),
])
def test_classification_temperature_table(thickness_mm, volume_mm3, alloy, Tc):
    # boundaries: "1.6 mm - 2.5 mm" includes 1.6, ">= 2.5 mm" includes 2.5, "350 - 2000 mm^3" includes both ends,
    # SnPb ">= 350 mm^3" includes 350
    assert classification_temperature(alloy, thickness_mm * 1e-3, volume_mm3 * 1e-9) == Tc


BROKEN = [
    # parameters breaking one limit -> the violated limit and the parameter the error names
    (dict(ramp_up_K_per_s=4.0), "ramp_up_rate", "ramp_up_K_per_s", False),
    (dict(ramp_down_K_per_s=7.0), "ramp_down_rate", "ramp_down_K_per_s", False),
    (dict(preheat_time_s=150.0), "preheat_time", "preheat_time_s", False),
    (dict(preheat_time_s=40.0), "preheat_time", "preheat_time_s", True),
    (dict(time_above_liquidus_s=170.0), "time_above_liquidus", "time_above_liquidus_s", False),
    (dict(time_near_peak_s=35.0), "time_near_peak", "time_near_peak_s", False),
    (dict(passes=4), "passes", "passes", False),
    (dict(peak_C=265.0), "peak_above_classification", "peak_C", False),
    (dict(peak_C=255.0), "peak_below_classification", "peak_C", True),
    # 250 + 120 + 34 + 117.3 + 10 = 531 s from 25 degC to the peak (> 480 s); each part within its own limit
    (dict(ramp_up_K_per_s=0.5, preheat_time_s=120.0, time_above_liquidus_s=150.0), "time_25C_to_peak", "reflow",
     False),
]


@pytest.mark.parametrize("kw,limit,param,below", BROKEN, ids=[b[1] + "-" + "-".join(b[0]) for b in BROKEN])
def test_broken_reflow_parameters_are_refused_naming_the_limit(kw, limit, param, below):
    base = dict(package_thickness_m=1e-3, package_volume_m3=100e-9)  # Tc = 260 degC
    with pytest.raises(InputError) as err:
        reflow_profile(**base, **kw, field="reflow")
    expected = "reflow" if param == "reflow" else f"reflow.{param}"
    assert set(fields(err)) == {expected}
    assert "allow_nonstandard" in str(err.value)
    p = reflow_profile(**base, **kw, allow_nonstandard=True)
    assert {v.name for v in p.violations} == {limit}
    for v in p.violations:  # the measured value is on the wrong side of the limit it names
        assert (v.measured < v.limit) if below else (v.measured > v.limit)
    # the same violations come back from checking the profile afterwards
    assert check_reflow(p, "pb_free", 260.0) == list(p.violations)


def test_check_reflow_measures_a_triangle_exactly():
    """25 -> 275 -> 25 degC in 100 s each way (2.5 K/s): every quantity has a closed form."""
    p = table([0.0, 100.0, 200.0], [25.0, 275.0, 25.0])
    (m,) = measure_reflow(p, "pb_free")
    assert m["time_above_liquidus_s"] == pytest.approx(2 * (275 - 217) / 2.5, abs=1e-12)
    assert m["time_near_peak_s"] == pytest.approx(2 * 5 / 2.5, abs=1e-12)
    assert m["preheat_time_s"] == pytest.approx(50 / 2.5, abs=1e-12)
    assert m["time_25C_to_peak_s"] == pytest.approx(100.0, abs=1e-12)
    v = {x.name: x for x in check_reflow(p, "pb_free", 260.0)}
    assert set(v) == {"time_above_liquidus", "preheat_time", "peak_above_classification"}
    assert v["time_above_liquidus"].measured == pytest.approx(46.4) and v["time_above_liquidus"].limit == 60
    assert v["preheat_time"].limit == 60 and v["peak_above_classification"].limit == 260
    # a curve starting below 25 degC is timed from its 25 degC crossing: 0 -> 250 degC in 100 s crosses at 10 s
    (m0,) = measure_reflow(table([0.0, 100.0, 200.0], [0.0, 250.0, 0.0]))
    assert m0["time_25C_to_peak_s"] == pytest.approx(90.0, abs=1e-12)
    # with a tolerance of 15 K above Tc the peak is accepted
    assert "peak_above_classification" not in {x.name for x in check_reflow(p, "pb_free", 260.0,
                                                                            peak_tolerance_C=15.0)}


@pytest.mark.parametrize("kw,field", [
    (dict(), "reflow.peak_C"),  # no peak, no package size
    (dict(package_thickness_m=1e-3), "reflow.package_volume_m3"),
    (dict(alloy="sac305", peak_C=250.0), "reflow.alloy"),
    (dict(peak_C=250.0, time_above_liquidus_s=40.0), "reflow.time_above_liquidus_s"),  # cannot be built
    (dict(peak_C=250.0, time_near_peak_s=2.0), "reflow.time_near_peak_s"),
    (dict(peak_C=250.0, ramp_up_K_per_s=-1.0), "reflow.ramp_up_K_per_s"),
    (dict(peak_C=250.0, passes=2, end_C=160.0), "reflow.end_C"),
    (dict(peak_C=220.0), "reflow.peak_C"),  # 220 - 5 K is below the Pb-free liquidus
    (dict(peak_C=250.0, liquidus_C=246.0), "reflow.liquidus_C"),
    (dict(peak_C=250.0, preheat_min_C=190.0, preheat_max_C=180.0), "reflow.preheat_min_C"),
    (dict(peak_C=250.0, start_C=160.0), "reflow.start_C"),
])
def test_inconsistent_reflow_parameters_are_input_errors(kw, field):
    with pytest.raises(InputError) as err:
        reflow_profile(**kw, field="reflow")
    assert field in fields(err)


# ------------------------------------------------------------------------------------------- thermal cycling


@pytest.mark.parametrize("cond", sorted(CYCLE_CONDITIONS))
@pytest.mark.parametrize("soak", SOAK_MODES_S)
def test_every_cycle_condition_extremes_soaks_period(cond, soak):
    lo, hi = CYCLE_CONDITIONS[cond]
    p = thermal_cycle(cond, cycles=3, soak_s=soak)
    rate = p.parameters["ramp_K_per_s"]
    period = 2 * soak + 2 * (hi - lo) / rate  # analytic
    m = measure_thermal_cycle(p, cond)
    assert (m["max_C"], m["min_C"]) == (hi, lo)
    # 1e-9 K band slack at the extreme widens each soak by 2e-9 K / rate
    assert m["hot_soaks_s"] == pytest.approx([soak] * 3, abs=1e-6)
    assert m["cold_soaks_s"] == pytest.approx([soak] * 3, abs=1e-6)
    assert m["period_s"] == pytest.approx(period, rel=1e-12)
    assert 1.0 <= m["cycles_per_hour"] <= 3.0 * (1 + 1e-12)
    assert m["max_ramp_K_per_s"] <= IPC9701_MAX_RAMP_K_PER_S
    assert check_thermal_cycle(p, cond, soak_s=soak, board_level=True) == []
    # dense re-measurement of the soaks: samples within 1e-9 K of the extreme; each of the 3 soaks is entered and
    # left once, the midpoint count is off by at most one step at each -> 6 steps
    t, T, h = dense(p, dt=0.01)
    assert h * np.count_nonzero(T >= hi - 1e-9) == pytest.approx(3 * soak, abs=6 * h)
    assert h * np.count_nonzero(T <= lo + 1e-9) == pytest.approx(3 * soak, abs=6 * h)
    # the first ramp goes to the hot extreme; the profile starts and ends at 25 degC
    assert p.segments[:2] == ("ramp", "hot_soak") and p.temperature_C[1] == hi
    assert p.temperature_C[0] == p.temperature_C[-1] == 25.0


def test_cycles_per_hour_derives_the_ramp():
    p = thermal_cycle("G", cycles=2, soak_s=600.0, cycles_per_hour=2.0)
    assert p.parameters["ramp_K_per_s"] == pytest.approx(165.0 / ((1800.0 - 1200.0) / 2), rel=1e-12)
    assert measure_thermal_cycle(p, "G")["period_s"] == pytest.approx(1800.0, rel=1e-12)


def test_single_cycle_period_and_cold_first():
    p = thermal_cycle(T_min_C=-20.0, T_max_C=80.0, cycles=1, soak_s=300.0, ramp_K_per_s=0.2, first="cold")
    assert p.segments == ("ramp", "cold_soak", "heating", "hot_soak", "ramp")
    assert p.temperature_C[1] == -20.0
    assert measure_thermal_cycle(p, T_min_C=-20.0, T_max_C=80.0)["period_s"] == pytest.approx(600 + 1000, rel=1e-9)


def test_thermal_cycle_refusals_and_notes():
    with pytest.raises(InputError) as err:  # 4/h is a 900 s period: two 15-min soaks leave nothing to ramp
        thermal_cycle("B", soak_s=900.0, cycles_per_hour=4.0, field="tc")
    assert fields(err) == ["tc.cycles_per_hour"] and "no time is left" in str(err.value)
    with pytest.raises(InputError) as err:
        thermal_cycle("B", ramp_K_per_s=0.2, cycles_per_hour=2.0, field="tc")
    assert fields(err) == ["tc.cycles_per_hour"]
    with pytest.raises(InputError) as err:  # 0.05 K/s on condition C: 0.36 cycles/h
        thermal_cycle("C", ramp_K_per_s=0.05, field="tc")
    assert fields(err) == ["tc.ramp_K_per_s"] and "1-3 cycles/h" in str(err.value)
    with pytest.raises(InputError) as err:  # 0.5 cycles/h asked directly
        thermal_cycle("C", cycles_per_hour=0.5, field="tc")
    assert fields(err) == ["tc.cycles_per_hour"] and "0.5 cycles/h" in str(err.value)
    with pytest.raises(InputError) as err:  # 30 K/min breaks IPC-9701 at board level only
        thermal_cycle("G", ramp_K_per_s=0.5, soak_s=900.0, board_level=True, field="tc")
    assert fields(err) == ["tc.ramp_K_per_s"] and "IPC-9701" in str(err.value)
    assert thermal_cycle("G", ramp_K_per_s=0.5, soak_s=900.0).violations == ()
    with pytest.raises(InputError) as err:
        thermal_cycle("Z", field="tc")
    assert fields(err) == ["tc.condition"]
    with pytest.raises(InputError) as err:
        thermal_cycle("G", T_min_C=-40.0, field="tc")
    assert fields(err) == ["tc.condition"]
    p = thermal_cycle("G", soak_s=120.0, allow_nonstandard=True)
    assert "not one of the standard's soak modes" in p.parameters["notes"][0]
    # short soaks on condition J: the default 15 K/min would cycle faster than 3/h and is slowed to 3/h
    q = thermal_cycle("J", soak_s=60.0, cycles=2)
    assert measure_thermal_cycle(q, "J")["cycles_per_hour"] == pytest.approx(3.0, rel=1e-12)
    # the check measures the soak asked for
    assert {v.name for v in check_thermal_cycle(thermal_cycle("G", soak_s=300.0), "G", soak_s=600.0)} == {
        "hot_soak", "cold_soak"}


def test_check_thermal_cycle_extremes_tolerance():
    # Ts max may overshoot by up to 10 K, Ts min undershoot by up to 10 K
    ok = thermal_cycle(T_min_C=-45.0, T_max_C=130.0, cycles=2, soak_s=600.0)
    assert {v.name for v in check_thermal_cycle(ok, "G")} == set()
    bad = thermal_cycle(T_min_C=-35.0, T_max_C=140.0, cycles=2, soak_s=600.0)
    v = {x.name: x for x in check_thermal_cycle(bad, "G")}
    assert {"max_temperature", "min_temperature"} <= set(v)
    assert v["max_temperature"].measured == 140.0 and v["max_temperature"].limit == 135.0
    assert v["min_temperature"].measured == -35.0 and v["min_temperature"].limit == -40.0


# ------------------------------------------------------------------------------------------------ increments


@pytest.mark.parametrize("prof", [
    lambda: reflow_profile(peak_C=260.0, passes=2),
    lambda: thermal_cycle("C", cycles=2),
    lambda: table([0, 10, 25, 40, 41], [25, 80, 80, -3.3, 7]),
], ids=["reflow", "cycle", "table"])
@pytest.mark.parametrize("max_dT,max_dt", [(5.0, None), (1.3, None), (5.0, 7.0), (None, 30.0)])
def test_increments_bound_hit_breakpoints_and_reproduce(prof, max_dT, max_dt):
    p = prof()
    extra = [0.37 * p.duration, p.time_s[3] + 1e-13, 1.234]  # one within round-off of a breakpoint
    t = increments(p, max_dT, max_dt, extra)
    T = np.asarray(p.temperature(t))
    assert t[0] == 0.0 and t[-1] == p.duration and np.all(np.diff(t) > 0)
    assert np.all(np.isin(p.time_s, t))  # every breakpoint, exactly
    assert np.all(np.isin([0.37 * p.duration, 1.234], t))
    assert not np.any((t > p.time_s[3]) & (t <= p.time_s[3] + 1e-12))  # snapped, no sliver increment
    if max_dT is not None:
        assert np.abs(np.diff(T)).max() <= max_dT * (1 + 1e-12)  # round-off of the even subdivision
    if max_dt is not None:
        assert np.diff(t).max() <= max_dt * (1 + 1e-12)
    # the piecewise-linear curve through the increments is the profile
    s = np.linspace(0.0, p.duration, 20001)
    assert np.abs(np.interp(s, t, T) - p.temperature(s)).max() <= 1e-9


def test_increments_count_is_minimal_and_even():
    p = ramp(0.0, 100.0, rate_K_per_s=2.0)  # 50 s
    t = increments(p, 5.0)
    assert t.size == 21 and np.allclose(np.diff(t), 2.5, rtol=0, atol=1e-12)
    t = increments(p, 5.0, max_dt_s=1.0)
    assert t.size == 51
    t = increments(hold(25.0, 100.0), 5.0, extra_times=[30.0])
    assert t.tolist() == [0.0, 30.0, 100.0]
    with pytest.raises(InputError) as err:
        increments(p, 5.0, extra_times=[60.0], field="step")
    assert fields(err) == ["step.extra_times"]
    with pytest.raises(InputError) as err:
        increments(p, 0.0, field="step")
    assert fields(err) == ["step.max_dT_C"]


def test_hold_increments_grow_from_the_increment_before():
    """A soak after a ramp: the first hold increment is about the ramp's last one, each next one hold_growth times
    the last, ending exactly on the hold's end; max_dt_s still caps; a hold without a known lead stays one
    increment; a ramp is cut evenly as before."""
    p = thermal_cycle("G", cycles=1, soak_s=900.0, cycles_per_hour=1.0)
    t = increments(p, 10.0, hold_growth=2.0)
    d = np.diff(t)
    T = np.asarray(p.temperature(t))
    holds = np.flatnonzero(np.abs(np.diff(T)) < 1e-12)
    runs = np.split(holds, np.flatnonzero(np.diff(holds) > 1) + 1)
    assert len(runs) >= 2  # the cold and the hot soak
    for r in runs:
        h = d[r]
        assert len(h) >= 3 and np.allclose(h[1:] / h[:-1], 2.0, rtol=1e-12)
        assert h[0] <= d[r[0] - 1] * (1 + 1e-12)  # starts no longer than the ramp increment before it
        assert h.sum() == pytest.approx(15 * 60.0, rel=1e-12)
    assert np.all(np.isin(p.time_s, t))
    capped = np.diff(increments(p, 10.0, max_dt_s=100.0, hold_growth=2.0))
    assert capped.max() <= 100.0 * (1 + 1e-12) and capped.size > d.size
    assert increments(hold(25.0, 900.0), 10.0, hold_growth=2.0).tolist() == [0.0, 900.0]  # no lead: as before
    led = np.diff(increments(hold(25.0, 900.0), 10.0, hold_growth=2.0, lead_s=36.0))
    assert led[0] <= 36.0 and np.allclose(led[1:] / led[:-1], 2.0) and led.sum() == pytest.approx(900.0)
    r = ramp(0.0, 100.0, rate_K_per_s=2.0)
    assert np.array_equal(increments(r, 5.0, hold_growth=2.0, lead_s=1.0), increments(r, 5.0))
    for bad in (1.0, 0.5, True, float("nan")):
        with pytest.raises(InputError) as err:
            increments(r, 5.0, hold_growth=bad, field="step")
        assert fields(err) == ["step.hold_growth"]


# -------------------------------------------------------------------------------------- tables and the Profile


@pytest.mark.parametrize("t,T,field,words", [
    ([0, 1, 2], [20, 30], "tbl.temperature_C", "same length"),
    ([0], [20], "tbl.time_s", "at least 2"),
    ([0, 2, 2], [20, 30, 40], "tbl.time_s", "strictly increasing"),
    ([0, 3, 1], [20, 30, 40], "tbl.time_s", "strictly increasing"),
    ([5, 10], [20, 30], "tbl.time_s", "start at 0"),
    ([0, 1], [20, float("nan")], "tbl.temperature_C", "NaN"),
    ([[0, 1]], [[20, 30]], "tbl.time_s", "flat list"),
    (["a", 1], [20, 30], "tbl.time_s", "numbers"),
])
def test_table_validation(t, T, field, words):
    with pytest.raises(InputError) as err:
        table(t, T, field="tbl")
    assert field in fields(err) and words in str(err.value)


def test_profile_interpolation_branch_and_then():
    p = table([0, 10, 20, 30], [20, 120, 120, 60])
    assert p.temperature(5.0) == 70.0 and p.temperature([25.0]).tolist() == [90.0]
    assert p.branch() == ("heating", "hold", "cooling") == p.segments
    assert p.rate_K_per_s.tolist() == [10.0, 0.0, -6.0]
    with pytest.raises(ValueError):
        p.temperature(31.0)
    with pytest.raises(ValueError):
        p.time_s[0] = 1.0  # read-only
    q = p.then(ramp(60.0, 25.0, rate_K_per_s=5.0)).then(hold(25.0, 3.0))
    assert q.duration == 30 + 7 + 3 and q.temperature(33.5) == pytest.approx(42.5)
    assert q.cycle.tolist() == [0, 0, 0, 1, 2] and q.segments[-2:] == ("ramp", "hold")
    with pytest.raises(InputError) as err:
        p.then(hold(25.0, 1.0))
    assert "60 degC" in str(err.value) and "25 degC" in str(err.value)
    with pytest.raises(InputError):
        Profile(np.array([0.0, 1.0]), np.array([1.0, 2.0]), ("a", "b"), np.zeros(1, int))


def test_hold_and_ramp_arguments():
    assert ramp(25, 125, duration_s=50).parameters["rate_K_per_s"] == 2.0
    assert ramp(125, 25, rate_K_per_s=4.0).duration == 25.0
    with pytest.raises(InputError) as err:
        ramp(25, 125, field="r")
    assert fields(err) == ["r.rate_K_per_s"]
    with pytest.raises(InputError) as err:
        ramp(25, 125, rate_K_per_s=1.0, duration_s=3.0, field="r")
    assert fields(err) == ["r.rate_K_per_s"]
    with pytest.raises(InputError) as err:
        ramp(25, 25, rate_K_per_s=1.0, field="r")
    assert fields(err) == ["r.T1_C"]
    with pytest.raises(InputError) as err:
        hold(25, 0.0, field="h")
    assert fields(err) == ["h.duration_s"]


def test_time_in_band_matches_dense_sampling_on_random_tables():
    """The exact band measure behind every check, against counting midpoint samples (error <= one step per
    crossing of a band edge; a random 12-point table crosses each edge at most 11 times)."""
    from fcpkg_fem.loads import band_intervals, time_in_band

    rng = np.random.default_rng(7)
    for _ in range(20):
        t = np.concatenate([[0.0], np.cumsum(rng.uniform(0.5, 20.0, 11))])
        T = rng.uniform(-60.0, 260.0, 12)
        T[4] = T[5]  # a plateau
        p = table(t, T)
        _, Ts, h = dense(p, dt=1e-3)
        for lo, hi in ((-np.inf, 100.0), (0.0, 150.0), (T[4], np.inf), (T[4], T[4] + 30.0)):
            exact = time_in_band(p.time_s, p.temperature_C, lo, hi)
            count = h * np.count_nonzero((Ts >= lo) & (Ts <= hi))
            assert count == pytest.approx(exact, abs=2 * 11 * h)
            iv = band_intervals(p.time_s, p.temperature_C, lo, hi)
            assert all(a <= b for a, b in iv) and all(b1 < a2 for (_, b1), (a2, _) in zip(iv, iv[1:]))


# --------------------------------------------------------------------------------------------------- registry


def test_registry_by_name(monkeypatch):
    assert {"hold", "ramp", "table", "reflow", "thermal_cycle"} <= set(PROFILES)
    a = build("reflow", peak_C=245.0, passes=2)
    b = reflow_profile(peak_C=245.0, passes=2)
    assert np.array_equal(a.time_s, b.time_s) and np.array_equal(a.temperature_C, b.temperature_C)
    with pytest.raises(InputError) as err:
        build("reflw", field="steps[1]")
    assert fields(err) == ["steps[1]"] and "did you mean 'reflow'" in str(err.value)
    with pytest.raises(InputError) as err:
        build("hold", field="steps[0]", T_C=25.0, duration_s=1.0, duration=3)
    assert fields(err) == ["steps[0].duration"] and "allowed: T_C, duration_s" in str(err.value)
    monkeypatch.setitem(PROFILES, "mould_cure", None)  # restored (removed) after the test

    @register("mould_cure")
    def mould_cure(T_C: float = 175.0, *, field: str = "") -> Profile:
        return hold(T_C, 4 * 3600.0, field=field)

    assert build("mould_cure").duration == 4 * 3600.0


def test_process_plan_grows_hold_increments_only_with_inelastic_models():
    """reference_cycling (viscoelastic resin, Anand solder): each hold step starts with an increment no longer than
    the previous step's last one and grows by solver.hold_growth; with every model elastic, or hold_growth null,
    a hold is one increment, as before."""
    from pathlib import Path

    from fcpkg_fem.case import load_case
    from fcpkg_fem.case.plan import plan

    path = Path(__file__).resolve().parents[2] / "cases" / "reference_cycling.yaml"
    steps = {s.name: s for s in plan(load_case(path))}
    prev_last = np.diff(steps["mould_heat"].increments)[-1]
    d = np.diff(np.r_[steps["mould"].t_start, steps["mould"].increments])
    assert len(d) == 4 and d[0] <= prev_last * (1 + 1e-12) and np.allclose(d[1:] / d[:-1], 2.0)
    assert len(steps["post_mould_cure"].increments) == 8 and len(steps["adhesive_cure"].increments) == 5
    raw = load_case(path).input_dict()
    for change in ({"models": {}}, {"solver": {**raw["solver"], "hold_growth": None}}):
        flat = {s.name: s for s in plan(load_case({**raw, **change}))}
        assert [len(flat[n].increments) for n in ("adhesive_cure", "mould", "post_mould_cure")] == [1, 1, 1]
