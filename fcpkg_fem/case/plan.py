"""The process plan: a case's ``load.steps`` as temperature profiles, part births and mechanical increments.

Data flow: case -> :func:`plan` -> list of :class:`PlannedStep` (absolute times, increments, report times) ->
the history run in :mod:`fcpkg_fem.run.history`. Profiles come from :mod:`fcpkg_fem.loads.profiles` (J-STD-020 reflow,
JESD22-A104 cycles, holds, ramps, tables); each step starts at the temperature the previous one ended at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fcpkg_fem import loads as lp
from fcpkg_fem.case import layout
from fcpkg_fem.case import names as rn
from fcpkg_fem.errors import InputError, Problem, closest


@dataclass
class PlannedStep:
    """One step of the process history.

    Attributes:
        index, name, kind: position in ``load.steps``, name (given or ``<kind><index>``), kind.
        t_start: absolute start time in s; profile: its temperature profile in step time (s from the start).
        births: regions born at the start of the step.
        cures: regions whose cure shrinkage develops through the step (linearly in time, all of it by the end).
        increments: (n,) absolute end times of the mechanical increments, s (every report time included).
        report_times: (m,) absolute times whose full results are reported, s.
        violations: limits of the standard the profile breaks (accepted with ``allow_nonstandard``).
    """

    index: int
    name: str
    kind: str
    t_start: float
    profile: object
    births: tuple[str, ...]
    increments: np.ndarray
    report_times: np.ndarray
    violations: list = field(default_factory=list)
    cures: tuple[str, ...] = ()

    @property
    def t_end(self) -> float:
        return self.t_start + float(self.profile.duration)

    def temperature(self, t_abs) -> np.ndarray:
        """Oven temperature (degC) at absolute times ``t_abs`` (s)."""
        return np.asarray(self.profile.temperature(np.asarray(t_abs, float) - self.t_start), float)

    def branch(self, t_abs: float) -> str:
        """'heating', 'cooling' or 'hold' for the increment ending at ``t_abs`` (s)."""
        tt = float(t_abs) - self.t_start
        times = np.asarray(self.profile.time_s)
        k = int(np.clip(np.searchsorted(times, tt, side="left") - 1, 0, len(times) - 2))
        dT = self.profile.temperature_C[k + 1] - self.profile.temperature_C[k]
        return "heating" if dT > 0 else "cooling" if dT < 0 else "hold"

    def segment(self, t_abs: float) -> str:
        """The profile's own label of the segment containing the increment ending at ``t_abs``."""
        tt = float(t_abs) - self.t_start
        times = np.asarray(self.profile.time_s)
        k = int(np.clip(np.searchsorted(times, tt, side="left") - 1, 0, len(times) - 2))
        return str(self.profile.segments[k])


def resolve_births(given: tuple[str, ...], regions: list[str], field_path: str) -> tuple[list[str], list[Problem]]:
    """Regions named by ``given`` (region names or kinds such as ``bumps``), and the problems found."""
    out, probs = [], []
    kinds = sorted({rn.kind(r) for r in regions})
    for k, name in enumerate(given):
        hit = [r for r in regions if r == name] or [r for r in regions if rn.kind(r) == name]
        if not hit:
            hint = closest(name, sorted(set(regions) | set(kinds)))
            probs.append(Problem(f"{field_path}.{k}", f"'{name}' is neither a region nor a region kind of this case"
                                 + (f"; did you mean '{hint}'?" if hint else "")
                                 + f" (kinds: {', '.join(kinds)}; regions: {', '.join(regions)})"))
        out += [r for r in hit if r not in out]
    return out, probs


def package_size(case) -> tuple[float, float]:
    """(thickness in m, body volume in m^3) of the whole (uncut) package, for the J-STD-020 classification."""
    thickness = layout.package_thickness(case)
    if case.structure == "laminate":
        sx, sy = case.laminate.size
    else:
        c = case.package.carriers
        sx = max(c.bottom.size[0], c.top.size[0])
        sy = max(c.bottom.size[1], c.top.size[1])
    return thickness, float(thickness * sx * sy)


def _profile(step, T0: float, case, field_path: str):
    kind = step.kind
    if kind == "hold":
        T = T0 if step.temperature is None else step.temperature
        if abs(T - T0) > 1e-9:
            raise InputError([Problem(f"{field_path}.temperature",
                                      f"a hold stays at the current temperature ({T0:g} degC), got {T:g} degC; "
                                      "put a ramp before it")])
        return lp.hold(T0, step.duration)
    if kind == "ramp":
        return lp.ramp(T0, step.to, rate_K_per_s=step.rate, duration_s=step.duration)
    if kind == "table":
        if abs(step.temperatures[0] - T0) > 1e-9:
            raise InputError([Problem(f"{field_path}.temperatures.0",
                                      f"the table must start at the current temperature {T0:g} degC, "
                                      f"got {step.temperatures[0]:g} degC")])
        return lp.table(step.time, step.temperatures)
    if kind == "reflow":
        thickness, volume = package_size(case)
        kw = dict(alloy=step.alloy or "pb_free", peak_C=step.peak, passes=step.passes or 1, start_C=T0,
                  package_thickness_m=step.package_thickness or thickness, package_volume_m3=volume,
                  allow_nonstandard=step.allow_nonstandard)
        opt = {"end_C": step.end, "ramp_up_K_per_s": step.ramp_up, "ramp_down_K_per_s": step.ramp_down,
               "preheat_time_s": step.preheat_time, "time_above_liquidus_s": step.time_above_liquidus,
               "time_near_peak_s": step.time_near_peak, "pass_dwell_s": step.dwell}
        kw.update({k: v for k, v in opt.items() if v is not None})
        return lp.reflow_profile(**kw)
    if kind == "thermal_cycle":
        kw = dict(condition=step.condition, T_min_C=step.T_min, T_max_C=step.T_max, cycles=step.cycles or 1,
                  start_C=T0)
        opt = {"soak_s": step.soak, "ramp_K_per_s": step.rate, "cycles_per_hour": step.cycles_per_hour,
               "end_C": step.end}
        kw.update({k: v for k, v in opt.items() if v is not None})
        return lp.thermal_cycle(**kw)
    raise AssertionError(kind)


# profile builder keyword -> the step's case key (None: the step as a whole)
_KEYS = {"peak_C": "peak", "package_thickness_m": "package_thickness", "ramp_up_K_per_s": "ramp_up",
         "ramp_down_K_per_s": "ramp_down", "preheat_time_s": "preheat_time",
         "time_above_liquidus_s": "time_above_liquidus", "time_near_peak_s": "time_near_peak", "pass_dwell_s": "dwell",
         "end_C": "end", "T_min_C": "T_min", "T_max_C": "T_max", "soak_s": "soak", "ramp_K_per_s": "rate",
         "cycles_per_hour": "cycles_per_hour", "cycles": "cycles", "passes": "passes", "alloy": "alloy",
         "condition": "condition", "rate_K_per_s": "rate", "duration_s": "duration", "T1_C": "to",
         "T_C": "temperature", "time_s": "time", "temperature_C": "temperatures", "start_C": None, "T0_C": None}


def _prefixed(err: InputError, field_path: str) -> list[Problem]:
    """Problems of a profile builder (which names its own keyword arguments) under the step's case keys."""
    out = []
    for p in err.problems:
        if str(p.field or "").startswith(field_path):
            out.append(p)
            continue
        parts = [x for x in str(p.field or "").replace("[", ".").replace("]", "").split(".") if x]
        key = next((x for x in reversed(parts) if x in _KEYS), None)
        msg = p.message
        if key is None or _KEYS[key] is None:
            f = field_path
            if key in ("start_C", "T0_C"):
                msg += " (the step starts at the temperature the previous step ended at)"
        else:
            tail = parts[parts.index(key) + 1:]
            f = ".".join([field_path, _KEYS[key], *tail])
        out.append(Problem(f, msg))
    return out


def initial_temperature(case) -> float:
    ld = case.load
    return ld.stress_free_temperature if ld.initial_temperature is None else ld.initial_temperature


def _cure_problems(case, cures, born_by, born_later, cured_by, name, field_path) -> list[Problem]:
    """Each cured region is born by now, cures once, and its material has a cure shrinkage."""
    out = []
    mats = case.materials_resolved
    region_mat = case.region_materials()
    for r in cures:
        if r in born_later and r not in born_by:
            out.append(Problem(field_path, f"region '{r}' cannot cure before it is born; add it to the 'births' "
                                            f"of this step or an earlier one"))
        if r in cured_by:
            out.append(Problem(field_path, f"region '{r}' already cures in step '{cured_by[r]}'; a region cures in "
                                            f"one step"))
        cured_by.setdefault(r, name)
        m = region_mat[r]
        if m in mats and mats[m].extra.get("cure_shrinkage") is None:  # (an unknown name is reported elsewhere)
            out.append(Problem(field_path, f"region '{r}': its material '{m}' has no cure shrinkage; give "
                                            f"materials.{m}.cure_shrinkage (dV/V over a full cure, e.g. 0.003)"))
    return out


def plan(case, max_dT: float | None = None, max_dt: float | None = None) -> list[PlannedStep]:
    """The process plan of a case with ``load.steps``.

    Raises:
        InputError: unknown regions in ``births``, a region born twice, a profile that breaks its standard (unless
            allowed), a table that does not start at the current temperature.
    """
    steps = case.load.steps or ()
    max_dT = case.solver.max_temperature_increment if max_dT is None else max_dT
    max_dt = case.solver.max_time_increment if max_dt is None else max_dt
    # holds are stepped with growing increments only where something creeps or relaxes (docs/process.md)
    growth = case.solver.hold_growth if any(m != "elastic" for m in case.models.values()) else None
    lead = None  # the last increment of the step before
    regions = case.region_names()
    T0 = initial_temperature(case)
    t0 = 0.0
    out: list[PlannedStep] = []
    problems: list[Problem] = []
    born_by: dict[str, str] = {}
    born_later = {r for st in steps for r in resolve_births(st.births, regions, "")[0]}
    cured_by: dict[str, str] = {}
    for k, step in enumerate(steps):
        path = f"load.steps.{k}"
        name = step.name or f"{step.kind}{k}"
        births, probs = resolve_births(step.births, regions, f"{path}.births")
        problems += probs
        for r in births:
            if r in born_by:
                problems.append(Problem(f"{path}.births", f"region '{r}' is already born in step '{born_by[r]}'"))
            born_by.setdefault(r, name)
        cures, probs = resolve_births(step.cure, regions, f"{path}.cure")
        problems += probs + _cure_problems(case, cures, born_by, born_later, cured_by, name, f"{path}.cure")
        try:
            prof = _profile(step, T0, case, path)
        except InputError as err:
            problems += _prefixed(err, path)
            continue
        times = np.asarray(prof.time_s, float)
        if step.output == "end":
            rep = times[-1:]
        elif step.output == "breakpoints":
            rep = times[1:]
        else:
            rep = None
        inc = np.asarray(lp.increments(prof, max_dT_C=max_dT, max_dt_s=max_dt, hold_growth=growth, lead_s=lead,
                                       extra_times=() if rep is None else tuple(rep)), float)
        lead = float(inc[-1] - inc[-2]) if len(inc) > 1 else lead
        inc = inc[inc > 0]
        if rep is None:
            rep = inc
        out.append(PlannedStep(index=k, name=name, kind=step.kind, t_start=t0, profile=prof, births=tuple(births),
                               increments=t0 + inc, report_times=t0 + np.asarray(rep, float),
                               violations=list(getattr(prof, "violations", []) or []), cures=tuple(cures)))
        t0 += float(times[-1])
        T0 = float(prof.temperature_C[-1])
    names = [s.name for s in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        problems.append(Problem("load.steps", f"step names must be unique; repeated: {', '.join(dup)}"))
    if problems:
        raise InputError(problems)
    return out
