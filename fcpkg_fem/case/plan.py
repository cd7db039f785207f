"""The process plan: a case's ``load.steps`` as temperature profiles, part births and mechanical increments.

Data flow: case -> :func:`plan` -> list of :class:`PlannedStep` (absolute times, increments, report times) ->
the history run in :mod:`fcpkg_fem.run.history`. Each step's temperature profile is built by its kind
(:mod:`fcpkg_fem.case.steps`: holds, ramps, tables, J-STD-020 reflow, JESD22-A104 cycles) from the profiles of
:mod:`fcpkg_fem.loads`; each step starts at the temperature the previous one ended at. A case's plan is made once,
when the case is validated (:func:`plan`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fcpkg_fem import loads as lp
from fcpkg_fem.case import names as rn
from fcpkg_fem.case import steps as step_kinds
from fcpkg_fem.case.schema import region_models
from fcpkg_fem.errors import InputError, Problem, closest
from fcpkg_fem.materials.moisture import moisture_of


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
        cures: regions whose cure shrinkage develops through the step.
        humidity: ambient relative humidity over the step, a fraction (0-1), held at the exposed faces of the
            permeable parts (:attr:`fcpkg_fem.case.steps.StepKind.ambient`); None when the case does not model
            moisture (no moisture step and no ``humidity`` given: docs/moisture.md).
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
    humidity: float | None = None

    @property
    def t_end(self) -> float:
        return self.t_start + float(self.profile.duration)

    def temperature(self, t_abs) -> np.ndarray:
        """Oven temperature (degC) at absolute times ``t_abs`` (s)."""
        return np.asarray(self.profile.temperature(np.asarray(t_abs, float) - self.t_start), float)

    def _segment_index(self, t_abs: float) -> int:
        """Index of the profile segment containing the increment that ends at ``t_abs`` (s)."""
        tt = float(t_abs) - self.t_start
        times = np.asarray(self.profile.time_s)
        return int(np.clip(np.searchsorted(times, tt, side="left") - 1, 0, len(times) - 2))

    def branch(self, t_abs: float) -> str:
        """'heating', 'cooling' or 'hold' for the increment ending at ``t_abs`` (s)."""
        k = self._segment_index(t_abs)
        dT = self.profile.temperature_C[k + 1] - self.profile.temperature_C[k]
        return "heating" if dT > 0 else "cooling" if dT < 0 else "hold"

    def segment(self, t_abs: float) -> str:
        """The profile's own label of the segment containing the increment ending at ``t_abs``."""
        return str(self.profile.segments[self._segment_index(t_abs)])

    def cycle(self, t_abs: float) -> int:
        """Reflow pass or thermal cycle (0-based) of the increment ending at ``t_abs``; 0 for other profiles."""
        return int(self.profile.cycle[self._segment_index(t_abs)])


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

    With the case's own increment limits (``max_dT`` and ``max_dt`` not given) the plan is made once, when the case
    is validated (:func:`fcpkg_fem.case.load_case` checks it), and every later call returns that plan (a new list
    of the same steps, their arrays read-only); it is made again only if the case's inputs to it are no longer the ones it was
    made from (a copy of the case with another load, solver, structure, materials or models). Given limits
    always plan afresh.

    Raises:
        InputError: unknown regions in ``births``, a region born twice, a profile that breaks its standard (unless
            allowed), a table that does not start at the current temperature.
    """
    if max_dT is not None or max_dt is not None:
        return _make_plan(case, max_dT, max_dt)
    inputs = _plan_inputs(case)
    memo = getattr(case, "_plan", None)
    if memo is not None and _same_inputs(memo[0], inputs):
        return list(memo[1])
    out = _make_plan(case, None, None)
    for s in out:  # shared by every caller from now on
        s.increments.flags.writeable = False
        s.report_times.flags.writeable = False
    case._plan = (inputs, tuple(out))
    return list(out)


def _plan_inputs(case) -> tuple:
    """What the plan is made from: the case's parts (compared by identity: validated models are immutable, so a
    changed case is a new object, e.g. from ``model_copy(update=...)``) and the models map by value (a dict)."""
    parts = (case.load, case.solver, case.structure, case.package, case.laminate, case.materials_resolved)
    return parts, tuple(case.models.items())


def _same_inputs(a: tuple, b: tuple) -> bool:
    return len(a[0]) == len(b[0]) and all(x is y for x, y in zip(a[0], b[0])) and a[1] == b[1]


def _make_plan(case, max_dT: float | None, max_dt: float | None) -> list[PlannedStep]:
    steps = case.load.steps or ()
    max_dT = case.solver.max_temperature_increment if max_dT is None else max_dT
    max_dt = case.solver.max_time_increment if max_dt is None else max_dt
    # holds are stepped with growing increments only where something creeps or relaxes (docs/process.md)
    growth = case.solver.hold_growth if any(m != "elastic" for m in case.models.values()) else None
    shifts = _prony_of(case) if case.solver.max_relaxation_change is not None else {}
    lead = None  # the last increment of the step before
    regions = case.region_names()
    T0 = initial_temperature(case)
    t0 = 0.0
    out: list[PlannedStep] = []
    problems: list[Problem] = []
    born_by: dict[str, str] = {}
    born_later = {r for st in steps for r in resolve_births(st.births, regions, "")[0]}
    cured_by: dict[str, str] = {}
    moist = step_kinds.models_moisture(steps)
    RH = 0.0  # the history starts dry: before any step sets a humidity the ambient is dry
    if moist:
        problems += _permeable_problems(case, steps)
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
            prof = step_kinds.get(step.kind).build(step, T0, case, path)
        except InputError as err:
            problems += err.problems
            continue
        times = np.asarray(prof.time_s, float)
        if step.output == "end":
            rep = times[-1:]
        elif step.output == "breakpoints":
            rep = times[1:]
        else:
            rep = None
        extra = () if rep is None else tuple(rep)
        # only what exists in this step relaxes: a resin moulded later adds no increments before its birth
        alive = _alive_prony(shifts, born_later, born_by)
        if alive:
            extra += tuple(relaxation_knots(prof, alive, case.solver.max_relaxation_change, max_dT, max_dt))
        grow, first = growth, lead
        if step.kind in step_kinds.MOISTURE_KINDS:  # a weight-gain curve: increments grow from 1/1000 of the step
            grow, first = growth or DEFAULT_MOISTURE_GROWTH, float(times[-1]) / 1000.0
        inc = np.asarray(lp.increments(prof, max_dT_C=max_dT, max_dt_s=max_dt, hold_growth=grow, lead_s=first,
                                       extra_times=extra, field=path), float)
        lead = float(inc[-1] - inc[-2]) if len(inc) > 1 else lead
        inc = inc[inc > 0]
        if rep is None:
            rep = inc
        out.append(PlannedStep(index=k, name=name, kind=step.kind, t_start=t0, profile=prof, births=tuple(births),
                               increments=t0 + inc, report_times=t0 + np.asarray(rep, float),
                               violations=list(getattr(prof, "violations", []) or []), cures=tuple(cures),
                               humidity=None if not moist else step_kinds.get(step.kind).ambient(step, RH)))
        RH = out[-1].humidity if moist else RH
        t0 += float(times[-1])
        T0 = float(prof.temperature_C[-1])
    names = [s.name for s in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        problems.append(Problem("load.steps", f"step names must be unique; repeated: {', '.join(dup)}"))
    if problems:
        raise InputError(problems)
    return out


DEFAULT_MOISTURE_GROWTH = 2.0
"""Growth factor of the increments through a moisture step when ``solver.hold_growth`` is null."""


def _permeable_problems(case, steps) -> list[Problem]:
    """A case that models moisture needs a permeable region (a material with moisture properties); the problem
    names the first step that asks for moisture."""
    mats = case.materials_resolved
    used = sorted(set(case.region_materials().values()))
    if any(m in mats and moisture_of(mats[m]) is not None for m in used) or any(m not in mats for m in used):
        return []  # (an unknown material is reported elsewhere)
    k = next(i for i, s in enumerate(steps) if s.kind in step_kinds.MOISTURE_KINDS or s.humidity is not None)
    what = f"a '{steps[k].kind}' step" if steps[k].kind in step_kinds.MOISTURE_KINDS else "a humidity"
    return [Problem(f"load.steps.{k}", f"{what} needs a permeable part, but none of this case's materials "
                                       f"({', '.join(used)}) has moisture properties; give one a 'moisture:' block "
                                       "(materials.<name>.moisture, docs/moisture.md) or remove the moisture steps")]


def _prony_of(case) -> dict:
    """Region -> (material name, Prony series (PronyParams)) of the regions the case runs as ``viscoelastic``."""
    mats, out = case.materials_resolved, {}
    region_mat = case.region_materials()
    for region, model in region_models(case).items():
        m = mats.get(region_mat[region])
        if model == "viscoelastic" and m is not None and m.extra.get("prony") is not None:
            out[region] = (region_mat[region], m.extra["prony"])
    return out


def _alive_prony(shifts: dict, born_later: set, born_by: dict) -> list:
    """The Prony series of the viscoelastic regions that exist in a step (never born, or born by now), one per
    material, in material-name order."""
    by_material = {mat: prony for region, (mat, prony) in shifts.items()
                   if region not in born_later or region in born_by}
    return [by_material[k] for k in sorted(by_material)]


RELAXATION_GRID_K = 0.05
"""Temperature step (K) on which :func:`relaxation_knots` samples the unrelaxed fraction along a ramp."""


def unrelaxed_fraction(prony, T_C, dt: float) -> np.ndarray:
    """Fraction (-) of a Prony series' relaxing shear modulus left after ``dt`` seconds at T_C (degC, array):
    (G(dt / a_T) - G_inf) / (G0 - G_inf); 1 where the material is frozen (a_T infinite), 0 without branches."""
    span = prony.G0 - prony.G_inf
    if span <= 0:
        return np.zeros(np.shape(T_C))
    with np.errstate(over="ignore"):
        xi = dt / prony.shift_factor(T_C)
    return (prony.relaxation_G(xi) - prony.G_inf) / span


def relaxation_knots(profile, shifts: list, max_change: float, max_dT: float | None,
                     max_dt: float | None) -> list[float]:
    """Times (s, within the profile) where increments must end so that, along each ramp, the unrelaxed fraction
    (:func:`unrelaxed_fraction`) of every material in ``shifts`` changes by at most ``max_change`` between the
    ends of an increment.

    Why: through its glass transition a resin's stiffness over one increment falls by decades within a few K, and
    the structure's strain is then far from linear in time within an increment (the model's assumption): 10 K
    increments left 1.5 % of the peak stress in a bilayer cooled through Tg (docs/models.md). The fraction is
    evaluated for the ramp's nominal increment (``max_dT`` / rate, at most ``max_dt``), and knots are spread
    evenly in its accumulated change (the largest over the materials), so they gather where it changes fastest.
    Holds are left alone (isothermal relaxation is integrated exactly). The same inputs give the same knots.
    """
    t, T = np.asarray(profile.time_s, float), np.asarray(profile.temperature_C, float)
    out: list[float] = []
    for a, b, Ta, Tb in zip(t[:-1], t[1:], T[:-1], T[1:]):
        if Ta == Tb or b <= a:
            continue
        dt = b - a
        if max_dT is not None:
            dt = min(dt, max_dT * (b - a) / abs(Tb - Ta))
        if max_dt is not None:
            dt = min(dt, max_dt)
        n = int(min(200_000, np.ceil(abs(Tb - Ta) / RELAXATION_GRID_K))) + 1
        Ts = np.linspace(Ta, Tb, n)
        change = np.zeros(n - 1)
        for prony in shifts:
            change = np.maximum(change, np.abs(np.diff(unrelaxed_fraction(prony, Ts, dt))))
        arc = np.concatenate([[0.0], np.cumsum(change)])
        parts = int(np.ceil(arc[-1] / max_change - 1e-9))
        if parts <= 1:
            continue
        levels = arc[-1] * np.arange(1, parts) / parts
        s = np.interp(levels, arc, np.linspace(0.0, 1.0, n))  # arc is non-decreasing: its inverse by interpolation
        out += list(a + s * (b - a))
    return out
