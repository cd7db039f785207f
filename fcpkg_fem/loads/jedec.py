"""JEDEC profiles: IPC/JEDEC J-STD-020 reflow and JESD22-A104 temperature cycling, with checks measured on the curve.

The numbers, their sources and what each check measures are in docs/loads.md. Units: s, degC, K/s; package
thickness in m and volume in m^3 (the standard's tables are in mm and mm^3).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..errors import InputError, Problem, closest
from .profiles import Profile, Violation, _number, _path, band_intervals, register, time_in_band

__all__ = [
    "REFLOW_STANDARD",
    "REFLOW_LIMITS",
    "ReflowLimits",
    "classification_temperature",
    "reflow_profile",
    "check_reflow",
    "measure_reflow",
    "CYCLING_STANDARD",
    "CYCLE_CONDITIONS",
    "SOAK_MODES_S",
    "CYCLES_PER_HOUR_RANGE",
    "IPC9701_MAX_RAMP_K_PER_S",
    "thermal_cycle",
    "check_thermal_cycle",
    "measure_thermal_cycle",
]

# ------------------------------------------------------------------------------------------------- J-STD-020

REFLOW_STANDARD = "IPC/JEDEC J-STD-020E"


@dataclass(frozen=True)
class ReflowLimits:
    """Classification reflow profile limits of J-STD-020 Table 5-2 for one alloy family (s, degC, K/s)."""

    alloy: str
    preheat_min_C: float  # Ts min
    preheat_max_C: float  # Ts max
    preheat_time_min_s: float  # ts, time from Ts min to Ts max
    preheat_time_max_s: float
    liquidus_C: float  # TL
    time_above_liquidus_min_s: float  # tL
    time_above_liquidus_max_s: float
    ramp_up_max_K_per_s: float  # TL to Tp (D onward); C: Ts max to Tp
    near_peak_band_C: float  # tp is the time within this many K of the peak
    time_near_peak_max_s: float  # tp (user maximum)
    ramp_down_max_K_per_s: float  # Tp to TL
    time_25C_to_peak_max_s: float
    max_passes: int  # reflow passes a component is classified for


REFLOW_LIMITS: dict[str, ReflowLimits] = {
    "pb_free": ReflowLimits("pb_free", 150.0, 200.0, 60.0, 120.0, 217.0, 60.0, 150.0, 3.0, 5.0, 30.0, 6.0,
                            8 * 60.0, 3),
    "snpb": ReflowLimits("snpb", 100.0, 150.0, 60.0, 120.0, 183.0, 60.0, 150.0, 3.0, 5.0, 20.0, 6.0, 6 * 60.0, 3),
}

# Curve-shape defaults of reflow_profile (inside every limit above, with margin): see docs/loads.md.
_REFLOW_DEFAULTS = {"ramp_up_K_per_s": 2.0, "ramp_down_K_per_s": 3.0, "preheat_time_s": 90.0,
                    "time_above_liquidus_s": 90.0}
_TIME_NEAR_PEAK_DEFAULT_S = {"pb_free": 20.0, "snpb": 15.0}

# Which reflow_profile parameter to name when a measured limit is broken.
_VIOLATION_FIELD = {
    "ramp_up_rate": "ramp_up_K_per_s",
    "ramp_down_rate": "ramp_down_K_per_s",
    "preheat_time": "preheat_time_s",
    "time_above_liquidus": "time_above_liquidus_s",
    "time_near_peak": "time_near_peak_s",
    "time_25C_to_peak": "",
    "peak_below_classification": "peak_C",
    "peak_above_classification": "peak_C",
    "passes": "passes",
}

# Boundaries of the classification tables compared in mm / mm^3 with this slack, so that 1.6e-3 m lands in the
# "1.6 mm - 2.5 mm" row despite binary round-off of 1.6e-3 * 1e3.
_EPS = 1e-9
MAX_PASSES = 30  # reflow passes one step may simulate (the standard classifies for 3; rework takes a few more)
MAX_CYCLES = 1000  # cycles one thermal_cycle step may simulate, checked before the profile is built


def _alloy(alloy: Any, prefix: str) -> ReflowLimits:
    if alloy not in REFLOW_LIMITS:
        hint = closest(str(alloy), REFLOW_LIMITS)
        raise InputError.single(_path(prefix, "alloy"), f"{alloy!r} is not a J-STD-020 alloy family; known: "
                                f"{', '.join(REFLOW_LIMITS)}" + (f" (did you mean {hint!r}?)" if hint else ""))
    return REFLOW_LIMITS[alloy]


def classification_temperature(alloy: str, thickness_m: float, volume_m3: float, *, field: str = "") -> float:
    """Package classification temperature Tc in degC from J-STD-020 Tables 4-1 (SnPb) and 4-2 (Pb-free).

    Args:
        alloy: ``'pb_free'`` or ``'snpb'``.
        thickness_m: package body thickness in m (the table is in mm).
        volume_m3: package body volume in m^3, terminals (balls, bumps, leads) excluded (the table is in mm^3).

    Returns:
        Tc in degC: Pb-free 260/260/260 (< 1.6 mm), 260/250/245 (1.6-2.5 mm), 250/245/245 (>= 2.5 mm) for volumes
        < 350, 350-2000, > 2000 mm^3; SnPb 235/220 (< 2.5 mm, volume < 350 / >= 350 mm^3), 220 (>= 2.5 mm).
    """
    _alloy(alloy, field)
    problems: list[Problem] = []
    t = _number(thickness_m, "package_thickness_m", field, problems, positive=True)
    v = _number(volume_m3, "package_volume_m3", field, problems, positive=True)
    if problems:
        raise InputError(problems)
    t_mm, v_mm3 = t * 1e3, v * 1e9
    if alloy == "pb_free":
        col = 0 if v_mm3 < 350 - _EPS else 1 if v_mm3 <= 2000 + _EPS else 2
        if t_mm < 1.6 - _EPS:
            return 260.0
        if t_mm < 2.5 - _EPS:
            return (260.0, 250.0, 245.0)[col]
        return (250.0, 245.0, 245.0)[col]
    if t_mm < 2.5 - _EPS:
        return 235.0 if v_mm3 < 350 - _EPS else 220.0
    return 220.0


def _pass_slices(profile: Profile) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(cycle index, times, temperatures) of each run of consecutive segments with the same cycle index."""
    out = []
    c = np.asarray(profile.cycle)
    start = 0
    for i in range(1, c.size + 1):
        if i == c.size or c[i] != c[start]:
            out.append((int(c[start]), profile.time_s[start:i + 1], profile.temperature_C[start:i + 1]))
            start = i
    return out


def measure_reflow(profile: Profile, alloy: str = "pb_free") -> list[dict[str, float]]:
    """Measure, per reflow pass, the quantities J-STD-020 Table 5-2 limits (exactly, on the piecewise-linear curve).

    A pass is a run of segments with the same ``profile.cycle`` index. The thresholds are always the standard's
    (Ts min/max and TL of the alloy family), whatever temperatures shaped the curve.

    Returns:
        One dict per pass: ``peak_C``; ``ramp_up_K_per_s``, the largest heating rate of any segment reaching above
        Ts max (covers D's "TL to Tp" and C's "Ts max to Tp"); ``ramp_down_K_per_s``, the largest cooling rate of
        any segment; ``preheat_time_s``, time in [Ts min, Ts max] before the peak; ``time_above_liquidus_s``, time
        strictly above TL; ``time_near_peak_s``, time within 5 K of the pass's own peak; ``time_25C_to_peak_s``,
        from the last moment at or below 25 degC before the peak (the pass start if it starts above 25 degC) to
        the first moment at the peak.
    """
    lim = _alloy(alloy, "alloy")
    out = []
    for _, t, T in _pass_slices(profile):
        i_pk = int(np.argmax(T))
        Tp, t_pk = float(T[i_pk]), float(t[i_pk])
        rate = np.diff(T) / np.diff(t)
        hot = np.maximum(T[:-1], T[1:]) > lim.preheat_max_C
        up = rate[(rate > 0) & hot]
        down = -rate[rate < 0]
        tb, Tb = t[: i_pk + 1], T[: i_pk + 1]
        low = np.flatnonzero(Tb <= 25.0)
        if low.size == 0:
            t25 = float(tb[0])
        elif low[-1] == i_pk:
            t25 = t_pk
        else:
            j = int(low[-1])  # last breakpoint at or below 25 degC; the curve leaves 25 degC on segment j
            t25 = float(tb[j] + (tb[j + 1] - tb[j]) * (25.0 - Tb[j]) / (Tb[j + 1] - Tb[j]))
        out.append({
            "peak_C": Tp,
            "ramp_up_K_per_s": float(up.max()) if up.size else 0.0,
            "ramp_down_K_per_s": float(down.max()) if down.size else 0.0,
            "preheat_time_s": time_in_band(tb, Tb, lim.preheat_min_C, lim.preheat_max_C),
            # Strictly above TL: the band starts one ulp above TL, so a plateau at TL does not count.
            "time_above_liquidus_s": time_in_band(t, T, float(np.nextafter(lim.liquidus_C, math.inf))),
            "time_near_peak_s": time_in_band(t, T, Tp - lim.near_peak_band_C),
            "time_25C_to_peak_s": t_pk - t25,
        })
    return out


def check_reflow(profile: Profile, alloy: str = "pb_free", classification_C: float | None = None, *,
                 peak_tolerance_C: float = 0.0) -> list[Violation]:
    """The J-STD-020 Table 5-2 limits a reflow profile breaks, from :func:`measure_reflow`.

    Per pass: largest ramp-up (<= 3 K/s) and ramp-down (<= 6 K/s) rates, preheat time (60-120 s), time above TL
    (60-150 s), time within 5 K of the peak (<= 30 s Pb-free, <= 20 s SnPb), 25 degC to peak (<= 8 / 6 min); when
    ``classification_C`` is given, the peak must reach Tc and exceed it by at most ``peak_tolerance_C``. Over the
    profile: at most 3 passes.

    Returns:
        The limits broken, empty when the profile complies.
    """
    lim = _alloy(alloy, "alloy")
    v: list[Violation] = []
    std = f"{REFLOW_STANDARD} Table 5-2 ({alloy})"
    passes = measure_reflow(profile, alloy)

    def window(name: str, x: float, lo: float, hi: float, tag: str, what: str) -> None:
        # 1e-9 s: round-off of sums of segment durations; the defaults sit well inside the windows.
        if not lo - 1e-9 <= x <= hi + 1e-9:
            v.append(Violation(name, x, lo if x < lo else hi, f"{tag}: {x:.4g} s {what}; {std} asks {lo:g}-{hi:g} s"))

    def at_most(name: str, x: float, hi: float, slack: float, unit: str, what: str) -> None:
        if x > hi + slack:
            v.append(Violation(name, x, hi, f"{what}; {std} allows at most {hi:g} {unit}"))

    for k, m in enumerate(passes):
        tag = f"pass {k + 1}" if len(passes) > 1 else "the profile"
        Tp = m["peak_C"]
        at_most("ramp_up_rate", m["ramp_up_K_per_s"], lim.ramp_up_max_K_per_s, 1e-12, "K/s",
                f"{tag}: heats at {m['ramp_up_K_per_s']:.3g} K/s above Ts max {lim.preheat_max_C:g} degC")
        at_most("ramp_down_rate", m["ramp_down_K_per_s"], lim.ramp_down_max_K_per_s, 1e-12, "K/s",
                f"{tag}: cools at {m['ramp_down_K_per_s']:.3g} K/s")
        window("preheat_time", m["preheat_time_s"], lim.preheat_time_min_s, lim.preheat_time_max_s, tag,
               f"between Ts min {lim.preheat_min_C:g} and Ts max {lim.preheat_max_C:g} degC before the peak")
        window("time_above_liquidus", m["time_above_liquidus_s"], lim.time_above_liquidus_min_s,
               lim.time_above_liquidus_max_s, tag, f"above TL {lim.liquidus_C:g} degC")
        at_most("time_near_peak", m["time_near_peak_s"], lim.time_near_peak_max_s, 1e-9, "s",
                f"{tag}: {m['time_near_peak_s']:.4g} s within {lim.near_peak_band_C:g} K of its peak {Tp:g} degC")
        at_most("time_25C_to_peak", m["time_25C_to_peak_s"], lim.time_25C_to_peak_max_s, 1e-9, "s",
                f"{tag}: {m['time_25C_to_peak_s']:.4g} s from 25 degC to the peak")
        if classification_C is not None:
            if Tp < classification_C - 1e-9:
                v.append(Violation("peak_below_classification", Tp, classification_C,
                                   f"{tag}: peak {Tp:g} degC does not reach the classification temperature "
                                   f"Tc = {classification_C:g} degC ({REFLOW_STANDARD} Tables 4-1/4-2)"))
            if Tp > classification_C + peak_tolerance_C + 1e-9:
                v.append(Violation("peak_above_classification", Tp, classification_C + peak_tolerance_C,
                                   f"{tag}: peak {Tp:g} degC exceeds the classification temperature Tc = "
                                   f"{classification_C:g} degC by more than {peak_tolerance_C:g} K"))
    if len(passes) > lim.max_passes:
        v.append(Violation("passes", float(len(passes)), float(lim.max_passes),
                           f"{len(passes)} reflow passes; a component is classified for at most "
                           f"{lim.max_passes} ({REFLOW_STANDARD})"))
    return v


def _raise_or_attach(profile: Profile, violations: list[Violation], allow_nonstandard: bool, prefix: str,
                     field_of: dict[str, str], what: str) -> Profile:
    if not violations:
        return profile
    if not allow_nonstandard:
        raise InputError([Problem(_path(prefix, field_of.get(x.name, "")),
                                  f"{x.message} (set allow_nonstandard: true to run {what} anyway)")
                          for x in violations])
    return Profile(profile.time_s, profile.temperature_C, profile.segments, profile.cycle, profile.standard,
                   profile.parameters, tuple(violations))


class _Curve:
    """A piecewise-linear temperature curve built segment by segment from ``T0`` at t = 0; a segment no longer than
    ``min_dt`` (s) is left out."""

    def __init__(self, T0: float, min_dt: float):
        self.t: list[float] = [0.0]
        self.T: list[float] = [T0]
        self.labels: list[str] = []
        self.cycle: list[int] = []
        self.min_dt = min_dt

    def seg(self, label: str, T_to: float, dt: float, k: int) -> None:
        """Append a segment of ``dt`` s to ``T_to`` degC, labelled ``label``, in pass or cycle ``k``."""
        if dt <= self.min_dt:
            return
        self.t.append(self.t[-1] + dt)
        self.T.append(T_to)
        self.labels.append(label)
        self.cycle.append(k)

    def profile(self, standard: str, params: dict[str, Any]) -> Profile:
        return Profile(np.array(self.t), np.array(self.T), tuple(self.labels), np.array(self.cycle), standard, params)


def _reflow_peak(alloy: str, peak_C: Any, classification_C: Any, package_thickness_m: Any, package_volume_m3: Any,
                 field: str, P: list[Problem]) -> tuple[float | None, float | None]:
    """(Tc, Tp): the classification temperature (given, from the package size, or None) and the peak (given, or
    Tc); problems are appended to ``P``."""
    Tc = None
    if classification_C is not None:
        Tc = _number(classification_C, "classification_C", field, P)
    elif package_thickness_m is not None or package_volume_m3 is not None:
        if package_thickness_m is None or package_volume_m3 is None:
            P.append(Problem(_path(field, "package_volume_m3" if package_volume_m3 is None else
                                   "package_thickness_m"),
                             "give both package_thickness_m and package_volume_m3 for the classification "
                             "temperature (J-STD-020 Tables 4-1/4-2)"))
        else:
            try:
                Tc = classification_temperature(alloy, package_thickness_m, package_volume_m3, field=field)
            except InputError as e:
                P.extend(e.problems)
    if peak_C is None and Tc is None and not any(p.field.endswith("package_volume_m3") or
                                                 p.field.endswith("package_thickness_m") for p in P):
        P.append(Problem(_path(field, "peak_C"),
                         "no peak temperature: give peak_C, or the package size (package_thickness_m and "
                         "package_volume_m3) for the classification temperature, or classification_C"))
    Tp = _number(peak_C, "peak_C", field, P) if peak_C is not None else Tc
    return Tc, Tp


def _reflow_rise(field: str, passes: int, order: list[tuple[str, float, str, bool]], Tend: float, Ts1: float,
                 band: float, tp: float, tL: float, Tp: float, TL: float, r_up: float,
                 r_dn: float) -> tuple[float, float]:
    """(peak plateau, time of the rise from TL to Tp - band), s. InputError unless the temperatures of ``order``
    (name, value, field to blame, given by the caller) increase, a pass ends below TL (and below Ts min when another
    follows), and the times near the peak and above TL can be met at the given rates."""
    P: list[Problem] = []
    for (n1, a, f1, g1), (n2, b, f2, g2) in zip(order[:-1], order[1:]):
        if not a < b:
            P.append(Problem(_path(field, f1 if g1 or not g2 else f2),
                             f"{n1} = {a:g} degC must be below {n2} = {b:g} degC"))
    if not Tend < TL:
        P.append(Problem(_path(field, "end_C"), f"{Tend:g} degC must be below the liquidus {TL:g} degC"))
    if passes > 1 and not Tend < Ts1:
        P.append(Problem(_path(field, "end_C"), f"{Tend:g} degC must be below preheat_min_C {Ts1:g} degC so "
                                                f"that the next pass starts with a ramp to it"))
    if P:
        raise InputError(P)
    # The time within `band` of Tp is band/r_up (rise) + plateau + band/r_dn (fall); the plateau cannot be negative.
    plateau = tp - band / r_up - band / r_dn
    if plateau < -1e-12:
        P.append(Problem(_path(field, "time_near_peak_s"),
                         f"{tp:g} s is shorter than the {band:g} K rise and fall around the peak take at "
                         f"{r_up:g} and {r_dn:g} K/s ({band / r_up + band / r_dn:.4g} s)"))
    # Time above TL = rise TL -> Tp - band + tp + fall Tp - band -> TL.
    t_rise = tL - tp - (Tp - band - TL) / r_dn
    if not P and (t_rise <= 0 or (Tp - band - TL) / t_rise > r_up + 1e-12):
        t_min = tp + (Tp - band - TL) / r_dn + (Tp - band - TL) / r_up
        P.append(Problem(_path(field, "time_above_liquidus_s"),
                         f"{tL:g} s cannot be met: heating from TL {TL:g} to {Tp - band:g} degC at "
                         f"{r_up:g} K/s at most, {tp:g} s near the peak and cooling back to TL at {r_dn:g} K/s "
                         f"take at least {t_min:.4g} s"))
    if P:
        raise InputError(P)
    return max(plateau, 0.0), t_rise


def _reflow_curve(passes: int, T0: float, Ts1: float, Ts2: float, TL: float, Tp: float, Tend: float, band: float,
                  ts: float, r_up: float, r_dn: float, t_rise: float, plateau: float, dwell: float) -> _Curve:
    """The segments of every pass (see :func:`reflow_profile`)."""
    curve = _Curve(T0, 0.0)
    for k in range(passes):
        Ta = curve.T[-1]
        curve.seg("ramp", Ts1, (Ts1 - Ta) / r_up, k)
        curve.seg("preheat", Ts2, ts, k)
        curve.seg("ramp_up", TL, (TL - Ts2) / r_up, k)
        curve.seg("above_liquidus", Tp - band, t_rise, k)
        curve.seg("ramp_up", Tp, band / r_up, k)
        if plateau > 1e-12:
            curve.seg("peak", Tp, plateau, k)
        curve.seg("ramp_down", TL, (Tp - TL) / r_dn, k)
        curve.seg("cool", Tend, (TL - Tend) / r_dn, k)
        if k < passes - 1 and dwell > 0:
            curve.seg("hold", Tend, dwell, k)
    return curve


@register("reflow")
def reflow_profile(alloy: str = "pb_free", peak_C: float | None = None, package_thickness_m: float | None = None,
                   package_volume_m3: float | None = None, passes: int = 1, start_C: float = 25.0,
                   end_C: float = 25.0, preheat_min_C: float | None = None, preheat_max_C: float | None = None,
                   preheat_time_s: float = _REFLOW_DEFAULTS["preheat_time_s"],
                   ramp_up_K_per_s: float = _REFLOW_DEFAULTS["ramp_up_K_per_s"],
                   ramp_down_K_per_s: float = _REFLOW_DEFAULTS["ramp_down_K_per_s"],
                   liquidus_C: float | None = None,
                   time_above_liquidus_s: float = _REFLOW_DEFAULTS["time_above_liquidus_s"],
                   time_near_peak_s: float | None = None, pass_dwell_s: float = 0.0,
                   classification_C: float | None = None, peak_tolerance_C: float = 0.0,
                   allow_nonstandard: bool = False, *, field: str = "") -> Profile:
    """An IPC/JEDEC J-STD-020 reflow profile (1 or more passes), by default inside every limit of Table 5-2.

    One pass (segment labels in quotes): ``'ramp'`` from the start temperature to Ts min at ``ramp_up_K_per_s``;
    ``'preheat'`` Ts min -> Ts max over ``preheat_time_s``; ``'ramp_up'`` Ts max -> TL at ``ramp_up_K_per_s``;
    ``'above_liquidus'`` TL -> Tp - 5 at the rate that makes the time above TL ``time_above_liquidus_s``;
    ``'ramp_up'`` Tp - 5 -> Tp at ``ramp_up_K_per_s``; ``'peak'`` plateau at Tp sized so that the time within 5 K
    of Tp is ``time_near_peak_s``; ``'ramp_down'`` Tp -> TL and ``'cool'`` TL -> ``end_C`` at
    ``ramp_down_K_per_s``; between passes an optional ``'hold'`` of ``pass_dwell_s`` at ``end_C``. Later passes
    start from ``end_C``.

    Args:
        alloy: ``'pb_free'`` (SAC, TL 217 degC) or ``'snpb'`` (eutectic, TL 183 degC).
        peak_C: peak temperature Tp in degC; default the classification temperature Tc.
        package_thickness_m, package_volume_m3: package body size (m, m^3) for Tc from Tables 4-1/4-2.
        passes: number of reflow passes (the standard classifies for up to 3).
        start_C, end_C: temperature before the first pass and after each pass, degC (below Ts min).
        preheat_min_C, preheat_max_C: preheat (soak) temperatures, degC; default the standard's Ts min/max.
        preheat_time_s: time from Ts min to Ts max, s (standard 60-120 s; default 90 s).
        ramp_up_K_per_s: heating rate outside the preheat and the above-liquidus rise, K/s (<= 3; default 2).
        ramp_down_K_per_s: cooling rate from the peak, K/s (<= 6; default 3).
        liquidus_C: liquidus TL used to shape the curve, degC; default the standard's (217 / 183 degC).
        time_above_liquidus_s: time above TL per pass, s (standard 60-150 s; default 90 s).
        time_near_peak_s: time within 5 K of the peak per pass, s (<= 30 Pb-free / 20 SnPb; default 20 / 15 s).
        pass_dwell_s: hold at ``end_C`` between passes, s (default 0).
        classification_C: Tc in degC, overriding the table look-up.
        peak_tolerance_C: how far the peak may exceed Tc, K (the standard's tolerance is +0; default 0).
        allow_nonstandard: build the profile even when it breaks a limit; the violations are attached to it.
        field: dotted path of the case field, for error messages.

    Returns:
        The profile; ``standard`` is ``'IPC/JEDEC J-STD-020E'``, ``parameters`` holds every value used.

    Raises:
        InputError: inconsistent parameters (curve cannot be built), no peak and no package size, or (unless
        ``allow_nonstandard``) every limit of the standard the generated curve breaks, as measured by
        :func:`check_reflow`.
    """
    lim = _alloy(alloy, field)
    P: list[Problem] = []
    num = lambda v, n, **kw: _number(v, n, field, P, **kw)  # noqa: E731
    if not (isinstance(passes, (int, np.integer)) and not isinstance(passes, bool) and 1 <= passes <= MAX_PASSES):
        P.append(Problem(_path(field, "passes"), f"must be a whole number from 1 to {MAX_PASSES}; got {passes!r}"))
    T0, Tend = num(start_C, "start_C"), num(end_C, "end_C")
    Ts1 = num(lim.preheat_min_C if preheat_min_C is None else preheat_min_C, "preheat_min_C")
    Ts2 = num(lim.preheat_max_C if preheat_max_C is None else preheat_max_C, "preheat_max_C")
    TL = num(lim.liquidus_C if liquidus_C is None else liquidus_C, "liquidus_C")
    ts = num(preheat_time_s, "preheat_time_s", positive=True)
    r_up = num(ramp_up_K_per_s, "ramp_up_K_per_s", positive=True)
    r_dn = num(ramp_down_K_per_s, "ramp_down_K_per_s", positive=True)
    tL = num(time_above_liquidus_s, "time_above_liquidus_s", positive=True)
    tp = num(_TIME_NEAR_PEAK_DEFAULT_S[alloy] if time_near_peak_s is None else time_near_peak_s,
             "time_near_peak_s", positive=True)
    dwell = num(pass_dwell_s, "pass_dwell_s", nonnegative=True)
    tol = num(peak_tolerance_C, "peak_tolerance_C", nonnegative=True)
    Tc, Tp = _reflow_peak(alloy, peak_C, classification_C, package_thickness_m, package_volume_m3, field, P)
    if P:
        raise InputError(P)
    band = lim.near_peak_band_C
    # (name in the message, value, field to blame, whether the caller gave it): blame a value the caller gave.
    order = [("start_C", T0, "start_C", True), ("preheat_min_C", Ts1, "preheat_min_C", preheat_min_C is not None),
             ("preheat_max_C", Ts2, "preheat_max_C", preheat_max_C is not None),
             ("liquidus_C", TL, "liquidus_C", liquidus_C is not None),
             (f"the peak {Tp:g} degC - {band:g} K", Tp - band, "peak_C", True)]
    plateau, t_rise = _reflow_rise(field, passes, order, Tend, Ts1, band, tp, tL, Tp, TL, r_up, r_dn)
    curve = _reflow_curve(passes, T0, Ts1, Ts2, TL, Tp, Tend, band, ts, r_up, r_dn, t_rise, plateau, dwell)
    params = {"profile": "reflow", "alloy": alloy, "standard_revision": REFLOW_STANDARD, "passes": int(passes),
              "peak_C": Tp, "classification_C": Tc, "package_thickness_m": package_thickness_m,
              "package_volume_m3": package_volume_m3, "start_C": T0, "end_C": Tend, "preheat_min_C": Ts1,
              "preheat_max_C": Ts2, "preheat_time_s": ts, "ramp_up_K_per_s": r_up, "ramp_down_K_per_s": r_dn,
              "liquidus_C": TL, "time_above_liquidus_s": tL, "time_near_peak_s": tp, "pass_dwell_s": dwell,
              "peak_tolerance_C": tol, "peak_plateau_s": plateau,
              "above_liquidus_rate_K_per_s": (Tp - band - TL) / t_rise, "limits": asdict(lim)}
    prof = curve.profile(REFLOW_STANDARD, params)
    viol = check_reflow(prof, alloy, Tc, peak_tolerance_C=tol)
    return _raise_or_attach(prof, viol, allow_nonstandard, field, _VIOLATION_FIELD, "this reflow profile")


# ------------------------------------------------------------------------------------------------ JESD22-A104

CYCLING_STANDARD = "JESD22-A104"

#: Test condition letter -> (Ts min, Ts max) nominal sample temperatures in degC. See docs/loads.md for sources.
CYCLE_CONDITIONS: dict[str, tuple[float, float]] = {
    "A": (-55.0, 85.0),
    "B": (-55.0, 125.0),
    "C": (-65.0, 150.0),
    "G": (-40.0, 125.0),
    "H": (-55.0, 150.0),
    "K": (0.0, 125.0),
    "J": (0.0, 100.0),
    "N": (-40.0, 85.0),
}
#: Soak modes of the standard: 1, 5, 10, 15 min (s).
SOAK_MODES_S = (60.0, 300.0, 600.0, 900.0)
#: Cycle rate the standard calls typical, cycles per hour (checked as a limit).
CYCLES_PER_HOUR_RANGE = (1.0, 3.0)
#: Tolerance of the measured extremes: Ts max may overshoot by up to +10 K, Ts min undershoot by up to -10 K.
EXTREME_TOLERANCE_C = 10.0
#: IPC-9701 board-level limit on the temperature ramp: 20 K/min.
IPC9701_MAX_RAMP_K_PER_S = 20.0 / 60.0
# Default ramp when neither rate nor cycle rate is given: 15 K/min, inside IPC-9701 and fast enough for
# condition C (the widest range) with 15 min soaks to stay above 1 cycle/h.
_DEFAULT_CYCLE_RAMP_K_PER_S = 0.25

_CYCLE_FIELD = {"max_temperature": "T_max_C", "min_temperature": "T_min_C", "hot_soak": "soak_s",
                "cold_soak": "soak_s", "cycles_per_hour": "cycles_per_hour", "ramp_rate_ipc9701": "ramp_K_per_s"}


def _extremes(condition: Any, T_min_C: Any, T_max_C: Any, prefix: str) -> tuple[float, float, str | None]:
    """(Tmin, Tmax, condition letter or None) from a condition letter or explicit extremes."""
    if condition is not None:
        if T_min_C is not None or T_max_C is not None:
            raise InputError.single(_path(prefix, "condition"),
                                    "give either a test condition letter or T_min_C/T_max_C, not both")
        key = str(condition).upper()
        if key not in CYCLE_CONDITIONS:
            hint = closest(key, CYCLE_CONDITIONS)
            raise InputError.single(_path(prefix, "condition"),
                                    f"{condition!r} is not a {CYCLING_STANDARD} condition here; known: "
                                    f"{', '.join(CYCLE_CONDITIONS)}" + (f" (did you mean {hint!r}?)" if hint else ""))
        return (*CYCLE_CONDITIONS[key], key)
    P: list[Problem] = []
    if T_min_C is None or T_max_C is None:
        raise InputError.single(_path(prefix, "condition"),
                                "give a test condition letter (" + ", ".join(CYCLE_CONDITIONS) +
                                ") or both T_min_C and T_max_C")
    lo, hi = _number(T_min_C, "T_min_C", prefix, P), _number(T_max_C, "T_max_C", prefix, P)
    if not P and not lo < hi:
        P.append(Problem(_path(prefix, "T_max_C"), f"{hi:g} degC must be above T_min_C {lo:g} degC"))
    if P:
        raise InputError(P)
    return lo, hi, None


def measure_thermal_cycle(profile: Profile, condition: str | None = None, *, T_min_C: float | None = None,
                          T_max_C: float | None = None) -> dict[str, Any]:
    """Measure a temperature-cycling profile against a JESD22-A104 condition (exactly, on its curve).

    Returns:
        ``max_C``, ``min_C``: extremes of the profile; ``hot_soaks_s``, ``cold_soaks_s``: lengths of the maximal
        intervals spent inside each extreme's tolerance band (Ts max +10/-0 K, Ts min +0/-10 K), one per soak;
        ``period_s``: mean time between the starts of successive hot soaks, or with a single hot soak both soaks
        plus the full swing down and up at the profile's fastest cooling and heating rates (NaN without soaks);
        ``cycles_per_hour``: 3600 / period; ``max_ramp_K_per_s``: steepest segment, either direction.
    """
    lo, hi, _ = _extremes(condition, T_min_C, T_max_C, "")
    t, T = profile.time_s, profile.temperature_C
    Tmax, Tmin = float(T.max()), float(T.min())
    # 1e-9 K slack on the band edge at the nominal extreme: soak plateaus sit exactly on it.
    hot = [(a, b) for a, b in band_intervals(t, T, hi - 1e-9, hi + EXTREME_TOLERANCE_C) if b - a > 1e-9]
    cold = [(a, b) for a, b in band_intervals(t, T, lo - EXTREME_TOLERANCE_C, lo + 1e-9) if b - a > 1e-9]
    period = math.nan
    rate = profile.rate_K_per_s
    if len(hot) >= 2:
        period = float(np.mean(np.diff([a for a, _ in hot])))
    elif hot and cold and np.any(rate > 0) and np.any(rate < 0):
        dT = Tmax - Tmin
        period = (hot[0][1] - hot[0][0]) + (cold[0][1] - cold[0][0]) + dT / rate.max() + dT / -rate.min()
    return {"max_C": Tmax, "min_C": Tmin, "hot_soaks_s": [float(b - a) for a, b in hot],
            "cold_soaks_s": [float(b - a) for a, b in cold], "period_s": float(period),
            "cycles_per_hour": 3600.0 / float(period),
            "max_ramp_K_per_s": float(np.abs(rate).max())}


def check_thermal_cycle(profile: Profile, condition: str | None = None, *, T_min_C: float | None = None,
                        T_max_C: float | None = None, soak_s: float | None = None,
                        board_level: bool = False) -> list[Violation]:
    """The JESD22-A104 requirements a temperature-cycling profile breaks, from :func:`measure_thermal_cycle`.

    Checks: maximum within Ts max +10/-0 K and minimum within Ts min +0/-10 K of the condition; every soak at
    least ``soak_s`` (default the shortest soak mode, 1 min) and at least one at each extreme; 1-3 cycles per hour;
    with ``board_level``, no ramp steeper than IPC-9701's 20 K/min.

    Returns:
        The requirements broken, empty when the profile complies.
    """
    lo, hi, key = _extremes(condition, T_min_C, T_max_C, "")
    name = f"{CYCLING_STANDARD} condition {key}" if key else f"{CYCLING_STANDARD} ({lo:g}/{hi:g} degC)"
    m = measure_thermal_cycle(profile, key, T_min_C=None if key else lo, T_max_C=None if key else hi)
    v: list[Violation] = []
    Tmax, Tmin = m["max_C"], m["min_C"]
    if not hi - 1e-9 <= Tmax <= hi + EXTREME_TOLERANCE_C + 1e-9:
        v.append(Violation("max_temperature", Tmax, hi if Tmax < hi else hi + EXTREME_TOLERANCE_C,
                           f"maximum {Tmax:g} degC; {name} needs {hi:g} (+{EXTREME_TOLERANCE_C:g}/-0) degC"))
    if not lo - EXTREME_TOLERANCE_C - 1e-9 <= Tmin <= lo + 1e-9:
        v.append(Violation("min_temperature", Tmin, lo if Tmin > lo else lo - EXTREME_TOLERANCE_C,
                           f"minimum {Tmin:g} degC; {name} needs {lo:g} (+0/-{EXTREME_TOLERANCE_C:g}) degC"))
    need = SOAK_MODES_S[0] if soak_s is None else float(soak_s)
    for label, soaks, ext in (("hot_soak", m["hot_soaks_s"], hi), ("cold_soak", m["cold_soaks_s"], lo)):
        if not soaks:
            v.append(Violation(label, 0.0, need, f"no soak at {ext:g} degC; {name} needs at least {need:g} s"))
        for i, d in enumerate(soaks):
            # 1e-6 s: round-off of the sums of segment durations that place the soak.
            if d < need - 1e-6:
                v.append(Violation(label, d, need, f"soak {i + 1} at {ext:g} degC lasts {d:.4g} s; at least "
                                                    f"{need:g} s asked"))
    cph = m["cycles_per_hour"]
    if math.isfinite(cph):
        lo_c, hi_c = CYCLES_PER_HOUR_RANGE
        if not lo_c * (1 - 1e-9) <= cph <= hi_c * (1 + 1e-9):
            v.append(Violation("cycles_per_hour", cph, lo_c if cph < lo_c else hi_c,
                               f"{cph:.4g} cycles/h (period {m['period_s']:.5g} s); {name} asks {lo_c:g}-{hi_c:g} "
                               f"cycles/h"))
    if board_level and m["max_ramp_K_per_s"] > IPC9701_MAX_RAMP_K_PER_S * (1 + 1e-9):
        r = m["max_ramp_K_per_s"]
        v.append(Violation("ramp_rate_ipc9701", r, IPC9701_MAX_RAMP_K_PER_S,
                           f"ramps at {r * 60:.4g} K/min; IPC-9701 (board level) allows at most 20 K/min"))
    return v


def _cycle_rate(field: str, dT: float, soak: float, ramp_K_per_s: Any, cycles_per_hour: Any,
                notes: list[str]) -> float:
    """The ramp rate (K/s): given, from the cycle rate, or the default (slowed to keep 3 cycles/h, noted)."""
    P: list[Problem] = []
    if ramp_K_per_s is not None:
        rate = _number(ramp_K_per_s, "ramp_K_per_s", field, P, positive=True)
    elif cycles_per_hour is not None:
        cph = _number(cycles_per_hour, "cycles_per_hour", field, P, positive=True)
        if not P:
            t_ramp = (3600.0 / cph - 2 * soak) / 2
            if t_ramp <= 0:
                P.append(Problem(_path(field, "cycles_per_hour"),
                                 f"{cph:g} cycles/h is a period of {3600 / cph:g} s, no longer than the two soaks "
                                 f"of {soak:g} s: no time is left to ramp"))
            else:
                rate = dT / t_ramp
    else:
        rate = _DEFAULT_CYCLE_RAMP_K_PER_S
        period = 2 * soak + 2 * dT / rate
        if 3600.0 / period > CYCLES_PER_HOUR_RANGE[1]:
            # Short soaks on a narrow range would cycle faster than 3/h: slow the ramp to exactly 3/h.
            rate = dT / ((3600.0 / CYCLES_PER_HOUR_RANGE[1] - 2 * soak) / 2)
            notes.append(f"default ramp slowed to {rate * 60:.4g} K/min to keep {CYCLES_PER_HOUR_RANGE[1]:g} "
                         f"cycles/h")
    if P:
        raise InputError(P)
    return rate


def _cycle_curve(cycles: int, first: str, lo: float, hi: float, T0: float, T1: float, soak: float,
                 rate: float) -> _Curve:
    """The segments of the cycling (see :func:`thermal_cycle`)."""
    dT = hi - lo
    E1, E2 = (hi, lo) if first == "hot" else (lo, hi)
    soak_label = {hi: "hot_soak", lo: "cold_soak"}
    curve = _Curve(T0, 1e-12)
    curve.seg("ramp", E1, abs(E1 - T0) / rate, 0)
    for k in range(cycles):
        curve.seg(soak_label[E1], E1, soak, k)
        curve.seg("cooling" if E2 < E1 else "heating", E2, dT / rate, k)
        curve.seg(soak_label[E2], E2, soak, k)
        if k < cycles - 1:
            curve.seg("heating" if E1 > E2 else "cooling", E1, dT / rate, k)
    curve.seg("ramp", T1, abs(T1 - E2) / rate, cycles - 1)
    return curve


@register("thermal_cycle")
def thermal_cycle(condition: str | None = None, T_min_C: float | None = None, T_max_C: float | None = None,
                  cycles: int = 1, soak_s: float = 600.0, ramp_K_per_s: float | None = None,
                  cycles_per_hour: float | None = None, start_C: float = 25.0, end_C: float = 25.0,
                  first: str = "hot", board_level: bool = False, allow_nonstandard: bool = False, *,
                  field: str = "") -> Profile:
    """JESD22-A104 temperature cycling between the extremes of a test condition (or given ones).

    Shape: ``'ramp'`` from ``start_C`` to the first extreme (hot by default); then per cycle ``'hot_soak'``,
    ``'cooling'``, ``'cold_soak'`` and, except after the last cycle, ``'heating'`` back (mirrored with
    ``first='cold'``); finally ``'ramp'`` to ``end_C``. All ramps at one rate. The period is
    ``2 soak_s + 2 (T_max - T_min) / ramp_K_per_s``.

    Args:
        condition: test condition letter (A, B, C, G, H, K, J, N), or None with ``T_min_C`` and ``T_max_C``.
        T_min_C, T_max_C: custom extremes in degC (only without ``condition``).
        cycles: number of cycles (>= 1).
        soak_s: soak at each extreme, s; the standard's soak modes are 1, 5, 10 and 15 min (others are built and
            noted in ``parameters['notes']``).
        ramp_K_per_s: ramp rate, K/s; or give ``cycles_per_hour`` instead and the rate is derived. With neither,
            15 K/min, slowed where that would exceed 3 cycles/h.
        cycles_per_hour: cycle rate, 1/h (exclusive with ``ramp_K_per_s``).
        start_C, end_C: temperature before and after cycling, degC.
        first: ``'hot'`` (default) or ``'cold'``: which extreme the first ramp goes to.
        board_level: also apply IPC-9701's 20 K/min ramp limit.
        allow_nonstandard: build even when a requirement is broken; the violations are attached.
        field: dotted path of the case field, for error messages.

    Raises:
        InputError: inconsistent parameters (a cycle rate that leaves no time to ramp, both rate and cycle rate),
        or (unless ``allow_nonstandard``) every requirement :func:`check_thermal_cycle` finds broken.
    """
    lo, hi, key = _extremes(condition, T_min_C, T_max_C, field)
    P: list[Problem] = []
    if not (isinstance(cycles, (int, np.integer)) and not isinstance(cycles, bool) and 1 <= cycles <= MAX_CYCLES):
        P.append(Problem(_path(field, "cycles"), f"must be a whole number from 1 to {MAX_CYCLES:,}; got {cycles!r} "
                                                 "(the work per cycle of a joint settles within a few cycles; a "
                                                 "life is extrapolated from it, not simulated)"))
    soak = _number(soak_s, "soak_s", field, P, positive=True)
    T0 = _number(start_C, "start_C", field, P)
    T1 = _number(end_C, "end_C", field, P)
    if first not in ("hot", "cold"):
        P.append(Problem(_path(field, "first"), f"must be 'hot' or 'cold'; got {first!r}"))
    if ramp_K_per_s is not None and cycles_per_hour is not None:
        P.append(Problem(_path(field, "cycles_per_hour"), "give ramp_K_per_s or cycles_per_hour, not both (one "
                                                          "follows from the other and the soak)"))
    if P:
        raise InputError(P)
    dT = hi - lo
    notes: list[str] = []
    if not any(abs(soak - m) < 1e-9 for m in SOAK_MODES_S):
        notes.append(f"soak {soak:g} s is not one of the standard's soak modes (1, 5, 10, 15 min)")
    rate = _cycle_rate(field, dT, soak, ramp_K_per_s, cycles_per_hour, notes)
    curve = _cycle_curve(cycles, first, lo, hi, T0, T1, soak, rate)
    period = 2 * soak + 2 * dT / rate
    params = {"profile": "thermal_cycle", "standard_revision": CYCLING_STANDARD, "condition": key,
              "T_min_C": lo, "T_max_C": hi, "cycles": int(cycles), "soak_s": soak, "ramp_K_per_s": rate,
              "cycles_per_hour": 3600.0 / period, "period_s": period, "start_C": T0, "end_C": T1, "first": first,
              "board_level": bool(board_level), "notes": notes}
    prof = curve.profile(CYCLING_STANDARD, params)
    viol = check_thermal_cycle(prof, key, T_min_C=None if key else lo, T_max_C=None if key else hi, soak_s=soak,
                               board_level=board_level)
    # A cycle rate out of range is blamed on what the caller gave to set it.
    blame = dict(_CYCLE_FIELD, cycles_per_hour="ramp_K_per_s" if ramp_K_per_s is not None else
                 "cycles_per_hour" if cycles_per_hour is not None else "soak_s")
    return _raise_or_attach(prof, viol, allow_nonstandard, field, blame, "this cycling profile")
