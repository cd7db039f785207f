"""Temperature histories: the piecewise-linear :class:`Profile`, elementary builders and the registry by name.

A profile is a list of breakpoints ``(time_s[i], temperature_C[i])`` joined by straight lines; each of the
``n - 1`` segments carries a label (``'preheat'``, ``'hot_soak'``, ...) and a cycle index (reflow pass or
temperature cycle, 0-based). Everything is plain numpy: the case's step kinds build profiles by name
(:func:`build`; :mod:`fcpkg_fem.case.steps`), the process plan steps through them with :func:`increments`.

Units: time in s, temperature in degC, rates in K/s.

Builders registered here: ``hold``, ``ramp``, ``table``; the JEDEC builders (``reflow``, ``thermal_cycle``) live in
:mod:`fcpkg_fem.loads.jedec` and register themselves the same way (:func:`register`).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ..errors import InputError, Problem, closest

__all__ = [
    "Profile",
    "Violation",
    "PROFILES",
    "register",
    "build",
    "hold",
    "ramp",
    "table",
    "increments",
    "band_intervals",
    "time_in_band",
]

# Temperatures closer than this (degC) count as equal: continuity in then(), 'hold' in branch(). Far below any
# meaningful thermocouple resolution, far above the round-off of sums of a few hundred s and K/s products.
_T_TOL = 1e-9


def _branch_labels(temperature_C: np.ndarray) -> tuple[str, ...]:
    """Per segment 'heating', 'cooling' or 'hold' from the sign of the temperature change (degC)."""
    dT = np.diff(temperature_C)
    return tuple("heating" if d > _T_TOL else "cooling" if d < -_T_TOL else "hold" for d in dT)


def _path(prefix: str, name: str) -> str:
    """Dotted field path of parameter ``name`` under the caller's ``prefix`` (e.g. ``steps[2].reflow``)."""
    if not prefix:
        return name
    return f"{prefix}.{name}" if name else prefix


@dataclass(frozen=True)
class Violation:
    """A limit of a standard that a profile breaks, as measured on the curve.

    Attributes:
        name: which limit (e.g. ``'time_above_liquidus'``, ``'ramp_up_rate'``).
        measured: the value measured on the piecewise-linear curve (unit in ``message``).
        limit: the bound it breaks (same unit).
        message: a sentence naming the pass/cycle, the measured value, the limit and the standard.
    """

    name: str
    measured: float
    limit: float
    message: str

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


def _curve_problems(time_s: Any, temperature_C: Any, prefix: str = "") -> tuple[list[Problem], Any, Any]:
    """Validate a (time, temperature) table; return (problems, t, T) with t, T as float arrays when well formed."""
    problems: list[Problem] = []
    try:
        t = np.array(time_s, dtype=float)
        T = np.array(temperature_C, dtype=float)
    except (TypeError, ValueError):
        return [Problem(_path(prefix, "time_s"), "time_s and temperature_C must be lists of numbers")], None, None
    ft, fT = _path(prefix, "time_s"), _path(prefix, "temperature_C")
    if t.ndim != 1:
        problems.append(Problem(ft, f"must be a flat list of times in s; got an array of shape {t.shape}"))
    if T.ndim != 1:
        problems.append(Problem(fT, f"must be a flat list of temperatures in degC; got an array of shape {T.shape}"))
    if problems:
        return problems, None, None
    if t.size != T.size:
        problems.append(Problem(fT, f"has {T.size} values but time_s has {t.size}; they must have the same length"))
    if t.size < 2:
        problems.append(Problem(ft, f"needs at least 2 points (a start and an end); got {t.size}"))
    if not np.all(np.isfinite(t)):
        problems.append(Problem(ft, "contains NaN or infinite values"))
    if not np.all(np.isfinite(T)):
        problems.append(Problem(fT, "contains NaN or infinite values"))
    if problems:
        return problems, None, None
    if t[0] != 0.0:
        problems.append(Problem(ft, f"must start at 0 s; got {t[0]:g} s (shift the table so that it starts at 0)"))
    steps = np.diff(t)
    bad = np.flatnonzero(steps <= 0)
    if bad.size:
        i = int(bad[0])
        problems.append(Problem(ft, f"must be strictly increasing; time_s[{i + 1}] = {t[i + 1]:g} s follows "
                                    f"time_s[{i}] = {t[i]:g} s ({bad.size} such place(s))"))
    return problems, t, T


@dataclass(frozen=True, eq=False)
class Profile:
    """A piecewise-linear temperature history.

    Attributes:
        time_s: (n,) breakpoint times in s, strictly increasing from 0.
        temperature_C: (n,) temperatures at the breakpoints in degC.
        segments: (n-1) labels, one per segment between consecutive breakpoints.
        cycle: (n-1,) int, reflow pass or thermal cycle index of each segment, 0-based.
        standard: the standard the profile follows (e.g. ``'IPC/JEDEC J-STD-020E'``), or None.
        parameters: the values used to build it (defaults included), for the output.
        violations: limits of ``standard`` the profile breaks (only non-empty when built with
            ``allow_nonstandard=True``).

    The arrays are stored read-only; build a new profile instead of editing one.
    """

    time_s: np.ndarray
    temperature_C: np.ndarray
    segments: tuple[str, ...]
    cycle: np.ndarray
    standard: str | None = None
    parameters: dict = field(default_factory=dict)
    violations: tuple[Violation, ...] = ()

    def __post_init__(self) -> None:
        problems, t, T = _curve_problems(self.time_s, self.temperature_C, "profile")
        if problems:
            raise InputError(problems)
        n = t.size
        segments = tuple(str(s) for s in self.segments)
        cycle = np.array(self.cycle, dtype=int).reshape(-1) if self.cycle is not None else np.zeros(n - 1, int)
        if len(segments) != n - 1:
            problems.append(Problem("profile.segments", f"needs {n - 1} labels (one per segment); got {len(segments)}"))
        if any(not s for s in segments):
            problems.append(Problem("profile.segments", "labels must be non-empty strings"))
        if cycle.size != n - 1:
            problems.append(Problem("profile.cycle", f"needs {n - 1} indices (one per segment); got {cycle.size}"))
        elif np.any(cycle < 0):
            problems.append(Problem("profile.cycle", "indices are 0-based and cannot be negative"))
        if problems:
            raise InputError(problems)
        for a in (t, T, cycle):
            a.flags.writeable = False
        object.__setattr__(self, "time_s", t)
        object.__setattr__(self, "temperature_C", T)
        object.__setattr__(self, "segments", segments)
        object.__setattr__(self, "cycle", cycle)
        object.__setattr__(self, "parameters", dict(self.parameters))
        object.__setattr__(self, "violations", tuple(self.violations))

    # ------------------------------------------------------------------------------------------------ queries

    @property
    def duration(self) -> float:
        """Total duration in s."""
        return float(self.time_s[-1])

    @property
    def rate_K_per_s(self) -> np.ndarray:
        """(n-1,) heating rate of each segment in K/s (negative when cooling)."""
        return np.diff(self.temperature_C) / np.diff(self.time_s)

    @property
    def n_cycles(self) -> int:
        """Number of distinct cycle (pass) indices."""
        return int(np.unique(self.cycle).size)

    def temperature(self, t: Any) -> np.ndarray | float:
        """Temperature in degC at time(s) ``t`` in s (piecewise-linear interpolation).

        Raises:
            ValueError: a time outside [0, duration] (beyond round-off of 1e-9 of the duration).
        """
        ta = np.asarray(t, dtype=float)
        tol = 1e-9 * max(1.0, self.duration)
        if np.any(ta < -tol) or np.any(ta > self.duration + tol) or not np.all(np.isfinite(ta)):
            raise ValueError(f"time outside the profile [0, {self.duration:g}] s")
        out = np.interp(np.clip(ta, 0.0, self.duration), self.time_s, self.temperature_C)
        return float(out) if out.ndim == 0 else out

    def branch(self) -> tuple[str, ...]:
        """Per segment ``'heating'``, ``'cooling'`` or ``'hold'`` from the sign of its temperature change."""
        return _branch_labels(self.temperature_C)

    # ------------------------------------------------------------------------------------------------ building

    def then(self, other: "Profile") -> "Profile":
        """This profile followed by ``other``, shifted in time to start where this one ends.

        The temperature must be continuous at the junction (within 1e-9 degC). The other profile's cycle indices are
        shifted past this one's, so that indices keep counting along the combined history.

        Raises:
            InputError: the other profile starts at a different temperature than this one ends.
        """
        T_end, T_start = float(self.temperature_C[-1]), float(other.temperature_C[0])
        if abs(T_end - T_start) > _T_TOL:
            raise InputError.single(
                "profile", f"cannot join profiles: the first ends at {T_end:g} degC, the next starts at "
                           f"{T_start:g} degC; insert a ramp between them")
        t = np.concatenate([self.time_s, other.time_s[1:] + self.duration])
        T = np.concatenate([self.temperature_C, other.temperature_C[1:]])
        cycle = np.concatenate([self.cycle, other.cycle + int(self.cycle.max()) + 1])
        standard = self.standard if self.standard == other.standard else None
        return Profile(t, T, self.segments + other.segments, cycle, standard,
                       {"then": [self.parameters, other.parameters]}, self.violations + other.violations)


# ------------------------------------------------------------------------------------------- measuring on the curve


def band_intervals(time_s: np.ndarray, temperature_C: np.ndarray, lo: float = -math.inf,
                   hi: float = math.inf) -> list[tuple[float, float]]:
    """Maximal time intervals during which a piecewise-linear curve lies in ``[lo, hi]`` (exact, no sampling).

    Args:
        time_s, temperature_C: (n,) breakpoints of the curve (s, degC).
        lo, hi: the temperature band in degC (inclusive).

    Returns:
        Sorted, merged ``(start_s, end_s)`` intervals; touching a band edge for an instant gives a zero-length
        interval, which callers may drop.
    """
    t = np.asarray(time_s, float)
    T = np.asarray(temperature_C, float)
    out: list[list[float]] = []
    for i in range(t.size - 1):
        ta, tb, Ta, Tb = t[i], t[i + 1], T[i], T[i + 1]
        if Ta == Tb:
            if not lo <= Ta <= hi:
                continue
            s, e = ta, tb
        else:
            # The line crosses level L at ta + (tb - ta) (L - Ta) / (Tb - Ta). IEEE arithmetic keeps infinite
            # lo/hi right: (-inf - Ta) / (Tb - Ta) is -inf when heating and +inf when cooling.
            s_lo = ta + (tb - ta) * ((lo - Ta) / (Tb - Ta))
            s_hi = ta + (tb - ta) * ((hi - Ta) / (Tb - Ta))
            if Tb < Ta:
                s_lo, s_hi = s_hi, s_lo
            s, e = max(ta, s_lo), min(tb, s_hi)
            if s > e:
                continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(a, b) for a, b in out]


def time_in_band(time_s: np.ndarray, temperature_C: np.ndarray, lo: float = -math.inf,
                 hi: float = math.inf) -> float:
    """Total time in s a piecewise-linear curve spends with ``lo <= T <= hi`` (exact)."""
    return float(sum(b - a for a, b in band_intervals(time_s, temperature_C, lo, hi)))


# --------------------------------------------------------------------------------------------------- increments


def increments(profile: Profile, max_dT_C: float | None = 5.0, max_dt_s: float | None = None,
               extra_times: Iterable[float] = (), *, hold_growth: float | None = None, lead_s: float | None = None,
               field: str = "") -> np.ndarray:
    """Time points for stepping through ``profile``.

    Every breakpoint and every extra time is included; each interval between consecutive such points is divided
    evenly into the fewest increments that change temperature by at most ``max_dT_C`` and last at most
    ``max_dt_s``. With ``hold_growth`` g, an interval at constant temperature (a hold, a soak) is instead stepped
    with growing increments: the first as long as the increment before it (``lead_s`` for a hold that opens the
    profile), each next one g times the last, the sizes scaled to end on the interval's end; an increment is
    split where it would exceed ``max_dt_s``. Creep and relaxation are fastest when a hold starts and slow down as
    the stress relaxes: one backward-Euler increment over a whole soak misses part of it.

    Args:
        profile: the temperature history.
        max_dT_C: largest temperature change per increment in K (None: no limit).
        max_dt_s: longest increment in s (None: no limit).
        extra_times: further times in s (output times, birth times) that must be hit exactly.
        hold_growth: growth factor (> 1) of the increments through a hold; None: a hold is one increment (or
            evenly cut by ``max_dt_s``).
        lead_s: the increment (s) before the profile starts, the first increment of a hold at its start; None:
            such a hold is one increment.
        field: dotted path of the caller's field, for error messages.

    Returns:
        (m,) strictly increasing times in s from 0 to ``profile.duration``.

    Raises:
        InputError: a limit is not positive, or an extra time lies outside the profile.
    """
    problems = []
    if hold_growth is not None and not (isinstance(hold_growth, (int, float)) and not isinstance(hold_growth, bool)
                                        and math.isfinite(hold_growth) and hold_growth > 1):
        problems.append(Problem(_path(field, "hold_growth"), f"must be a number > 1 or null; got {hold_growth!r}"))
    for name, v in (("max_dT_C", max_dT_C), ("max_dt_s", max_dt_s), ("lead_s", lead_s)):
        if v is not None and not (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                                  and v > 0):
            problems.append(Problem(_path(field, name), f"must be a positive number or null; got {v!r}"))
    extra = np.asarray(list(extra_times), dtype=float).reshape(-1)
    dur = profile.duration
    tol = 1e-9 * max(1.0, dur)
    outside = extra[~np.isfinite(extra) | (extra < -tol) | (extra > dur + tol)]
    if outside.size:
        problems.append(Problem(_path(field, "extra_times"),
                                f"{outside.tolist()} lie outside the profile [0, {dur:g}] s"))
    if problems:
        raise InputError(problems)
    knots = np.asarray(profile.time_s)
    # Extra times within round-off of a breakpoint are that breakpoint (no sliver increments).
    extra = np.clip(extra, 0.0, dur)
    near = _distance_to_sorted(extra, knots) <= tol  # O(n log n): a cycling step has thousands of both
    pts = np.unique(np.concatenate([knots, extra[~near]]))
    keep = np.concatenate([[True], np.diff(pts) > tol])
    pts = pts[keep]
    Tp = np.interp(pts, profile.time_s, profile.temperature_C)
    _check_count(pts, Tp, max_dT_C, max_dt_s, field)
    out = [pts[:1]]
    last = lead_s  # length of the increment just taken
    for a, b, Ta, Tb in zip(pts[:-1], pts[1:], Tp[:-1], Tp[1:]):
        if hold_growth is not None and last is not None and Ta == Tb and b - a > last * (1 + 1e-9):
            sizes = _growing(b - a, last, hold_growth)
            if max_dt_s is not None:  # an increment longer than the cap is cut evenly
                parts = [math.ceil(h / max_dt_s - 1e-12) for h in sizes]
                sizes = np.repeat(sizes / parts, parts)
            sub = a + np.cumsum(sizes)
        else:
            n = 1
            # The 1e-12 keeps an interval of exactly k * max_dT at k increments despite round-off in the ratio.
            if max_dT_C is not None:
                n = max(n, math.ceil(abs(Tb - Ta) / max_dT_C - 1e-12))
            if max_dt_s is not None:
                n = max(n, math.ceil((b - a) / max_dt_s - 1e-12))
            sub = a + (b - a) * np.arange(1, n + 1) / n
        sub[-1] = b
        out.append(sub)
        last = float(sub[-1] - (sub[-2] if len(sub) > 1 else a))
    return np.concatenate(out)


MAX_INCREMENTS = 200_000
"""Increments one step may take: beyond this a run would take days even on a coarse mesh (a coarse increment
costs about a second), and the arrays of time points alone would grow without bound."""


def _distance_to_sorted(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """(len(x),) distance of each ``x`` to the nearest of the sorted ``knots``."""
    if not x.size or not knots.size:
        return np.full(x.shape, np.inf)
    i = np.clip(np.searchsorted(knots, x), 1, len(knots) - 1)
    return np.minimum(np.abs(x - knots[i - 1]), np.abs(x - knots[i]))


def _check_count(pts: np.ndarray, Tp: np.ndarray, max_dT_C: float | None, max_dt_s: float | None,
                 field: str) -> None:
    """Refuse, before anything is built, a step whose increments would exceed :data:`MAX_INCREMENTS` (counted
    per interval as the loop of :func:`increments` divides it, growing holds as one)."""
    n = np.ones(max(len(pts) - 1, 0))
    with np.errstate(over="ignore", invalid="ignore"):
        if max_dT_C is not None:
            n = np.maximum(n, np.ceil(np.abs(np.diff(Tp)) / max_dT_C - 1e-12))
        if max_dt_s is not None:
            n = np.maximum(n, np.ceil(np.diff(pts) / max_dt_s - 1e-12))
    total = float(n.sum())
    if total > MAX_INCREMENTS:
        raise InputError([Problem(field or "increments",
                                  f"this step would take {total:,.0f} increments (at most {MAX_INCREMENTS:,}): "
                                  "raise solver.max_temperature_increment or solver.max_time_increment, or run "
                                  "fewer cycles or a shorter profile")])


def _growing(length: float, first: float, g: float) -> np.ndarray:
    """Increment sizes h, g h, g^2 h, ... (h about ``first``) that add up to ``length`` exactly: the fewest terms
    whose sum with h = ``first`` reaches ``length``, then all scaled down to end on it."""
    n = max(1, math.ceil(math.log1p(length * (g - 1) / first) / math.log(g) - 1e-12))
    sizes = first * g ** np.arange(n)
    return sizes * (length / sizes.sum())


# ------------------------------------------------------------------------------------------------------ registry

ProfileBuilder = Callable[..., Profile]

#: name -> builder function returning a :class:`Profile`; filled by :func:`register`.
PROFILES: dict[str, ProfileBuilder] = {}


def register(name: str) -> Callable[[ProfileBuilder], ProfileBuilder]:
    """Decorator: register a profile builder under ``name`` (a later registration replaces an earlier one).

    A builder takes keyword arguments in s, degC and K/s plus a keyword-only ``field`` (dotted path of the case
    field, for error messages) and returns a :class:`Profile`.
    """

    def deco(fn: ProfileBuilder) -> ProfileBuilder:
        PROFILES[name] = fn
        return fn

    return deco


def build(name: str, field: str = "", **kwargs: Any) -> Profile:
    """Build the profile registered as ``name`` from keyword arguments.

    Raises:
        InputError: unknown profile name, or argument names the builder does not take (with the allowed ones).
    """
    if name not in PROFILES:
        hint = closest(name, PROFILES)
        msg = f"unknown profile {name!r}; known: {', '.join(sorted(PROFILES))}"
        raise InputError.single(field, msg + (f" (did you mean {hint!r}?)" if hint else ""))
    fn = PROFILES[name]
    params = inspect.signature(fn).parameters
    allowed = [p for p in params if p != "field" and params[p].kind in
               (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
    unknown = [k for k in kwargs if k not in allowed]
    if unknown:
        raise InputError([Problem(_path(field, k), f"is not a parameter of profile {name!r}; allowed: "
                                                   f"{', '.join(allowed)}") for k in unknown])
    return fn(field=field, **kwargs)


# ----------------------------------------------------------------------------------------- elementary builders


def _number(value: Any, name: str, prefix: str, problems: list[Problem], *, positive: bool = False,
            nonnegative: bool = False) -> float:
    """``value`` as a finite float; records a Problem (and returns NaN) when it is not one."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    v = float(value) if ok else math.nan
    if not ok or not math.isfinite(v):
        problems.append(Problem(_path(prefix, name), f"must be a finite number; got {value!r}"))
        return math.nan
    if positive and not v > 0:
        problems.append(Problem(_path(prefix, name), f"must be > 0; got {v:g}"))
    if nonnegative and not v >= 0:
        problems.append(Problem(_path(prefix, name), f"must be >= 0; got {v:g}"))
    return v


@register("hold")
def hold(T_C: float, duration_s: float, *, field: str = "") -> Profile:
    """Constant temperature ``T_C`` (degC) for ``duration_s`` (s > 0). One segment labelled ``'hold'``."""
    problems: list[Problem] = []
    T = _number(T_C, "T_C", field, problems)
    d = _number(duration_s, "duration_s", field, problems, positive=True)
    if problems:
        raise InputError(problems)
    return Profile(np.array([0.0, d]), np.array([T, T]), ("hold",), np.zeros(1, int), None,
                   {"profile": "hold", "T_C": T, "duration_s": d})


@register("ramp")
def ramp(T0_C: float, T1_C: float, rate_K_per_s: float | None = None, duration_s: float | None = None, *,
         field: str = "") -> Profile:
    """Linear change from ``T0_C`` to ``T1_C`` (degC) at ``rate_K_per_s`` (> 0, magnitude) or over ``duration_s``.

    Exactly one of the rate and the duration must be given. One segment labelled ``'ramp'``.
    """
    problems: list[Problem] = []
    T0 = _number(T0_C, "T0_C", field, problems)
    T1 = _number(T1_C, "T1_C", field, problems)
    if (rate_K_per_s is None) == (duration_s is None):
        problems.append(Problem(_path(field, "rate_K_per_s"), "give exactly one of rate_K_per_s and duration_s"))
        raise InputError(problems)
    if rate_K_per_s is not None:
        r = _number(rate_K_per_s, "rate_K_per_s", field, problems, positive=True)
        if not problems and T0 == T1:
            problems.append(Problem(_path(field, "T1_C"), f"equals T0_C ({T0:g} degC): a ramp at a rate takes no "
                                                          f"time; use a 'hold' profile"))
        d = abs(T1 - T0) / r if not problems else math.nan
    else:
        d = _number(duration_s, "duration_s", field, problems, positive=True)
        r = abs(T1 - T0) / d if not problems else math.nan
    if problems:
        raise InputError(problems)
    return Profile(np.array([0.0, d]), np.array([T0, T1]), ("ramp",), np.zeros(1, int), None,
                   {"profile": "ramp", "T0_C": T0, "T1_C": T1, "rate_K_per_s": r, "duration_s": d})


@register("table")
def table(time_s: Sequence[float], temperature_C: Sequence[float], *, field: str = "") -> Profile:
    """A custom time-temperature table: ``time_s`` (s, strictly increasing from 0) and ``temperature_C`` (degC).

    Both lists have the same length >= 2. Segments are labelled ``'heating'``, ``'cooling'`` or ``'hold'``.
    """
    problems, t, T = _curve_problems(time_s, temperature_C, field)
    if problems:
        raise InputError(problems)
    return Profile(t, T, _branch_labels(T), np.zeros(t.size - 1, int), None,
                   {"profile": "table", "time_s": t.tolist(), "temperature_C": T.tolist()})


def concatenate(parts: Sequence[Profile]) -> Profile:
    """``parts[0].then(parts[1]).then(...)``."""
    if not parts:
        raise InputError.single("profile", "nothing to concatenate")
    out = parts[0]
    for p in parts[1:]:
        out = out.then(p)
    return out
