"""Step kinds of ``load.steps``: the registry that maps a step's case keys to a temperature profile.

One registration per kind (:func:`register`) carries everything about it: its name (the ``kind:`` value), its own
case keys with their types, the ones it requires, the consistency checks of the given keys, and how its profile
is built: which builder of :data:`fcpkg_fem.loads.PROFILES` it calls and with which arguments, given the
temperature the step starts at. The schema reads the registry to validate a step
(:class:`fcpkg_fem.case.schema.Step` gets its fields from :func:`field_definitions`), the process plan
(:func:`fcpkg_fem.case.plan.plan`) to build each step's profile (:meth:`StepKind.build`). Adding a kind is one
registration here; a key it shares with another kind must have the same type.

Built-in kinds: ``hold``, ``ramp``, ``table``, ``reflow`` (IPC/JEDEC J-STD-020) and ``thermal_cycle``
(JESD22-A104), and the moisture kinds ``moisture_soak`` (J-STD-020 Table 5-1 level, or a custom chamber), ``bake``
and ``floor_life`` (docs/moisture.md). Each kind also says the ambient relative humidity of its step
(:attr:`StepKind.ambient`): every kind takes a ``humidity`` key (percent, 0-100); without it, a hold, ramp or table
keeps the humidity of the step before, a reflow oven and a cycling chamber are dry (0 %), and the moisture kinds
set their own. The humidity acts only in a case that models moisture (:data:`MOISTURE_KINDS`, or some ``humidity``
given: :func:`models_moisture`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, Literal, Mapping

from pydantic import BeforeValidator, Field, StrictBool

from fcpkg_fem import loads
from fcpkg_fem.case import layout
from fcpkg_fem.case.fields import (NonNegTime, PosInt, PosLength, PosNumber, PosRate, PosTime, Temperature,
                                   Temperatures, Times, fail, fmt, table_problems)
from fcpkg_fem.errors import InputError, Problem
from fcpkg_fem.loads import msl

__all__ = ["COMMON_KEYS", "KINDS", "MOISTURE_KINDS", "StepKind", "field_definitions", "get", "models_moisture",
           "names", "register"]

#: keys every step has (declared by the schema's Step model); a kind cannot declare them
COMMON_KEYS = ("name", "kind", "births", "cure", "output")

# (step, start temperature in degC, case, the step's field path) -> the profile builder's keyword arguments
Arguments = Callable[[Any, float, Any, str], dict]
# step -> [(key, message)]
Check = Callable[[Any], list]
# (step, ambient relative humidity of the step before, fraction) -> the step's ambient relative humidity, fraction
Ambient = Callable[[Any, float], float]


def _no_check(step: Any) -> list[tuple[str, str]]:
    return []


def _given_or_kept(step: Any, before: float) -> float:
    """The ``humidity`` given (percent -> fraction), else the humidity of the step before."""
    return before if step.humidity is None else step.humidity / 100.0


def _given_or_dry(step: Any, before: float) -> float:
    """The ``humidity`` given (percent -> fraction), else 0: a reflow oven or a cycling chamber is dry."""
    return 0.0 if step.humidity is None else step.humidity / 100.0


@dataclass(frozen=True)
class StepKind:
    """A kind of process step.

    Attributes:
        name: the ``kind:`` value in the case.
        keys: case key -> ``(type, default)`` as pydantic takes a field definition; the step's own keys (besides
            :data:`COMMON_KEYS`); any other key given is an error.
        required: keys that must be given.
        profile: the name of the loads profile builder (:data:`fcpkg_fem.loads.PROFILES`) the kind builds, or
            ``step -> that name`` for a kind that builds one of several.
        arguments: ``(step, start temperature degC, case, field path) -> keyword arguments of the builder``;
            raises InputError (under the step's field path) for a step that cannot follow the previous one.
        argument_keys: builder keyword -> the case key it comes from, so that the builder's problems name the
            step's keys; None for the start temperature, which is no key of the step.
        check: ``step -> [(key, message)]``: the consistency of the given keys, checked when the case is
            validated (before any profile is built).
        ambient: ``(step, relative humidity before) -> the step's ambient relative humidity`` (fractions 0-1).
        entry_rate: for a kind whose profile is held at a chamber temperature of its own (the moisture kinds):
            ``step -> K/s`` at which a package that starts elsewhere is first brought to it (a ramp before the
            profile); None: the profile starts where the step starts.
    """

    name: str
    keys: Mapping[str, tuple[Any, Any]]
    required: tuple[str, ...]
    profile: str | Callable[[Any], str]
    arguments: Arguments
    argument_keys: Mapping[str, str | None]
    check: Check = field(default=_no_check)
    ambient: Ambient = field(default=_given_or_kept)
    entry_rate: Callable[[Any], float] | None = None

    def build(self, step: Any, T0: float, case: Any, field_path: str) -> loads.Profile:
        """The step's temperature profile starting at ``T0`` (degC), in step time (s from the step's start).

        Raises:
            InputError: every problem, under the step's case keys (``load.steps.<i>.<key>``).
        """
        try:
            name = self.profile(step) if callable(self.profile) else self.profile
            prof = loads.build(name, **self.arguments(step, T0, case, field_path))
            T1 = float(prof.temperature_C[0])
            if self.entry_rate is not None and abs(T1 - T0) > 1e-9:
                prof = loads.build("ramp", T0_C=T0, T1_C=T1, rate_K_per_s=self.entry_rate(step)).then(prof)
            return prof
        except InputError as err:
            raise InputError(self._prefixed(err, field_path)) from None

    def _prefixed(self, err: InputError, field_path: str) -> list[Problem]:
        """Problems of the profile builder (which names its own keyword arguments) under the step's case keys."""
        out = []
        for p in err.problems:
            if str(p.field or "").startswith(field_path):
                out.append(p)
                continue
            parts = [x for x in str(p.field or "").replace("[", ".").replace("]", "").split(".") if x]
            key = next((x for x in reversed(parts) if x in self.argument_keys), None)
            msg = p.message
            if key is None:
                f = field_path
            elif self.argument_keys[key] is None:
                f = field_path
                msg += " (the step starts at the temperature the previous step ended at)"
            else:
                tail = parts[parts.index(key) + 1:]
                f = ".".join([field_path, str(self.argument_keys[key]), *tail])
            out.append(Problem(f, msg))
        return out


#: kind name -> :class:`StepKind`, in registration order (the order the schema lists them in messages)
KINDS: dict[str, StepKind] = {}
_closed = False  # True once the schema has taken the keys (field_definitions)


def register(name: str, *, profile: str | Callable[[Any], str], keys: Mapping[str, tuple[Any, Any]],
             required: tuple[str, ...] = (), argument_keys: Mapping[str, str | None], check: Check = _no_check,
             ambient: Ambient = _given_or_kept,
             entry_rate: Callable[[Any], float] | None = None) -> Callable[[Arguments], Arguments]:
    """Decorator: register the step kind ``name`` whose decorated function gives its profile builder's arguments
    (see :class:`StepKind` for the parameters).

    Raises:
        ValueError: a kind registered twice, a common key redeclared, a required key the kind does not have, a
            key another kind declares with a different type or default, or a registration after the schema was
            built (the kinds are registered in this module, which the schema imports).
    """

    def deco(arguments: Arguments) -> Arguments:
        faults = [f"step kind '{name}' is registered twice"] if name in KINDS else []
        faults += ["the schema's Step model is already built; register step kinds in fcpkg_fem.case.steps"] \
            if _closed else []
        faults += [f"'{k}' is a key of every step" for k in keys if k in COMMON_KEYS]
        faults += [f"required '{k}' is not one of its keys" for k in required if k not in keys]
        faults += [f"'{k}' is declared otherwise by kind '{kind.name}'" for kind in KINDS.values() for k in keys
                   if k in kind.keys and kind.keys[k] != keys[k]]
        if faults:
            raise ValueError(f"step kind '{name}': {'; '.join(faults)}")
        KINDS[name] = StepKind(name, dict(keys), tuple(required), profile, arguments, dict(argument_keys), check,
                               ambient, entry_rate)
        return arguments

    return deco


def names() -> tuple[str, ...]:
    """The registered kind names, in registration order."""
    return tuple(KINDS)


def get(name: str) -> StepKind:
    return KINDS[name]


def field_definitions() -> dict[str, tuple[Any, Any]]:
    """Every kind's keys as pydantic field definitions, in registration order (a shared key once), for the schema's
    Step model; no kind can be registered afterwards."""
    global _closed
    _closed = True
    out: dict[str, tuple[Any, Any]] = {}
    for kind in KINDS.values():
        for k, definition in kind.keys.items():
            out.setdefault(k, definition)
    return out


def _given(tp: Any) -> tuple[Any, Any]:
    """A key that may be given: ``tp`` or None (not given)."""
    return (tp | None, None)


def _humidity(value: Any) -> float:
    """A relative humidity in percent, 0-100: a number (60) or a string with a percent sign ("60 %")."""
    v = value
    if isinstance(v, str) and v.strip().endswith("%"):
        v = v.strip()[:-1].strip()
        try:
            v = float(v)
        except ValueError:
            raise fail(f"{fmt(value)} is not a relative humidity; give a percentage such as 60 or '60 %'") from None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise fail(f"{fmt(value)} is not a relative humidity; give a percentage such as 60 or '60 %'")
    if not 0.0 <= v <= 100.0:
        raise fail(f"relative humidity {fmt(value)} is outside 0-100 %")
    return float(v)


def _level(value: Any) -> str:
    """A J-STD-020 moisture sensitivity level: 1, 2, 2a, 3, 4, 5, 5a or 6 (number or text) -> its name."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise fail(f"{fmt(value)} is not a J-STD-020 moisture sensitivity level; known: {', '.join(msl.MSL_LEVELS)}")
    try:
        return msl.get_level(value).name
    except InputError as err:
        raise fail(err.problems[0].message) from None


def _accelerated(value: Any) -> str | None:
    """``true`` (the 0.40-0.48 eV column of Table 5-1), ``false`` (the standard soak) or a band's name."""
    if value is True:
        return msl.ACTIVATION_BANDS[0]
    if value is False:
        return None
    if isinstance(value, str) and value in msl.ACTIVATION_BANDS:
        return value
    raise fail(f"{fmt(value)}: give true (the {msl.ACTIVATION_BANDS[0]} column of J-STD-020 Table 5-1), false, or "
               f"one of {', '.join(repr(b) for b in msl.ACTIVATION_BANDS)}")


# Shared by every kind (one definition object, so that the registrations agree). Not written into the resolved case
# when not given, so that a case without moisture keeps the hash it had before the moisture kinds existed.
HUMIDITY_KEY = (Annotated[float, BeforeValidator(_humidity)] | None,
                Field(default=None, exclude_if=lambda v: v is None))
_LEVEL_KEY = (Annotated[str, BeforeValidator(_level)] | None, Field(default=None, exclude_if=lambda v: v is None))
_ACCELERATED_KEY = (Annotated[str | None, BeforeValidator(_accelerated)],
                    Field(default=None, exclude_if=lambda v: v is None))


# ------------------------------------------------------------------------------------------------ hold, ramp


@register("hold", profile="hold", keys={"temperature": _given(Temperature), "duration": _given(PosTime),
                                       "humidity": HUMIDITY_KEY},
          required=("duration",), argument_keys={"T_C": "temperature", "duration_s": "duration"})
def _hold(step: Any, T0: float, case: Any, field_path: str) -> dict:
    T = T0 if step.temperature is None else step.temperature
    if abs(T - T0) > 1e-9:
        raise InputError([Problem(f"{field_path}.temperature",
                                  f"a hold stays at the current temperature ({T0:g} degC), got {T:g} degC; "
                                  "put a ramp before it")])
    return {"T_C": T0, "duration_s": step.duration}


def _ramp_check(step: Any) -> list[tuple[str, str]]:
    if (step.rate is None) == (step.duration is None):
        return [("rate", "give exactly one of rate and duration for a ramp")]
    return []


@register("ramp", profile="ramp",
          keys={"to": _given(Temperature), "rate": _given(PosRate), "duration": _given(PosTime),
                "humidity": HUMIDITY_KEY}, required=("to",),
          argument_keys={"T0_C": None, "T1_C": "to", "rate_K_per_s": "rate", "duration_s": "duration"},
          check=_ramp_check)
def _ramp(step: Any, T0: float, case: Any, field_path: str) -> dict:
    return {"T0_C": T0, "T1_C": step.to, "rate_K_per_s": step.rate, "duration_s": step.duration}


# ------------------------------------------------------------------------------------------------------ table


def _table_check(step: Any) -> list[tuple[str, str]]:
    if step.time is None or step.temperatures is None:
        return []
    probs = table_problems(step.time, step.temperatures, "temperatures")
    if step.time[0] != 0.0:
        probs.append(("time.0", f"a step's table starts at 0 s (time from the step's start), got "
                                f"{step.time[0]:g} s"))
    return probs


@register("table", profile="table", keys={"time": _given(Times), "temperatures": _given(Temperatures),
                                         "humidity": HUMIDITY_KEY},
          required=("time", "temperatures"), argument_keys={"time_s": "time", "temperature_C": "temperatures"},
          check=_table_check)
def _table(step: Any, T0: float, case: Any, field_path: str) -> dict:
    if abs(step.temperatures[0] - T0) > 1e-9:
        raise InputError([Problem(f"{field_path}.temperatures.0",
                                  f"the table must start at the current temperature {T0:g} degC, "
                                  f"got {step.temperatures[0]:g} degC")])
    return {"time_s": step.time, "temperature_C": step.temperatures}


# ----------------------------------------------------------------------------------------------------- reflow


@register("reflow", profile="reflow",
          keys={"alloy": _given(Literal["pb_free", "snpb"]), "peak": _given(Temperature),
                "passes": _given(Annotated[int, Field(strict=True, ge=1, le=3)]),
                "package_thickness": _given(PosLength), "ramp_up": _given(PosRate), "ramp_down": _given(PosRate),
                "preheat_time": _given(PosTime), "time_above_liquidus": _given(PosTime),
                "time_near_peak": _given(PosTime), "dwell": _given(NonNegTime), "end": _given(Temperature),
                "allow_nonstandard": (StrictBool, False), "humidity": HUMIDITY_KEY},
          argument_keys={"alloy": "alloy", "peak_C": "peak", "passes": "passes",
                         "package_thickness_m": "package_thickness", "ramp_up_K_per_s": "ramp_up",
                         "ramp_down_K_per_s": "ramp_down", "preheat_time_s": "preheat_time",
                         "time_above_liquidus_s": "time_above_liquidus", "time_near_peak_s": "time_near_peak",
                         "pass_dwell_s": "dwell", "end_C": "end", "start_C": None}, ambient=_given_or_dry)
def _reflow(step: Any, T0: float, case: Any, field_path: str) -> dict:
    thickness, volume = layout.package_size(case)
    kw = dict(alloy=step.alloy or "pb_free", peak_C=step.peak, passes=step.passes or 1, start_C=T0,
              package_thickness_m=step.package_thickness or thickness, package_volume_m3=volume,
              allow_nonstandard=step.allow_nonstandard)
    opt = {"end_C": step.end, "ramp_up_K_per_s": step.ramp_up, "ramp_down_K_per_s": step.ramp_down,
           "preheat_time_s": step.preheat_time, "time_above_liquidus_s": step.time_above_liquidus,
           "time_near_peak_s": step.time_near_peak, "pass_dwell_s": step.dwell}
    kw.update({k: v for k, v in opt.items() if v is not None})
    return kw


# ---------------------------------------------------------------------------------------------- thermal cycle


def _cycle_check(step: Any) -> list[tuple[str, str]]:
    probs = []
    if step.condition is None and (step.T_min is None or step.T_max is None):
        probs.append(("condition", "give a JESD22-A104 condition letter or both T_min and T_max"))
    if step.condition is not None and (step.T_min is not None or step.T_max is not None):
        probs.append(("condition", "give either a condition letter or T_min/T_max, not both"))
    if step.T_min is not None and step.T_max is not None and not step.T_max > step.T_min:
        probs.append(("T_max", f"must be above T_min ({step.T_min:g} degC), got {step.T_max:g} degC"))
    if step.rate is not None and step.cycles_per_hour is not None:
        probs.append(("rate", "give at most one of rate and cycles_per_hour"))
    return probs


@register("thermal_cycle", profile="thermal_cycle",
          keys={"condition": _given(Literal["A", "B", "C", "G", "H", "K", "J", "N"]), "T_min": _given(Temperature),
                "T_max": _given(Temperature), "cycles": _given(PosInt), "soak": _given(NonNegTime),
                "rate": _given(PosRate), "cycles_per_hour": _given(PosNumber), "end": _given(Temperature),
                "humidity": HUMIDITY_KEY},
          argument_keys={"condition": "condition", "T_min_C": "T_min", "T_max_C": "T_max", "cycles": "cycles",
                         "soak_s": "soak", "ramp_K_per_s": "rate", "cycles_per_hour": "cycles_per_hour",
                         "end_C": "end", "start_C": None},
          check=_cycle_check, ambient=_given_or_dry)
def _thermal_cycle(step: Any, T0: float, case: Any, field_path: str) -> dict:
    kw = dict(condition=step.condition, T_min_C=step.T_min, T_max_C=step.T_max, cycles=step.cycles or 1,
              start_C=T0)
    opt = {"soak_s": step.soak, "ramp_K_per_s": step.rate, "cycles_per_hour": step.cycles_per_hour,
           "end_C": step.end}
    kw.update({k: v for k, v in opt.items() if v is not None})
    return kw


# ------------------------------------------------------------------------------------------------------ moisture

#: the kinds that expose the package to a chamber of their own (docs/moisture.md): a case with one models moisture
MOISTURE_KINDS = ("moisture_soak", "bake", "floor_life")

ENTRY_RATE_K_PER_S = 1.0 / 60.0
"""K/s (1 K/min) at which a moisture step brings a package that starts at another temperature to its chamber's
(assumed: slow enough that the package stays uniform; the chamber time counts from when it is reached)."""


def models_moisture(steps: Any) -> bool:
    """True when a case's ``load.steps`` model moisture: a step of a moisture kind, or some ``humidity`` given."""
    return any(s.kind in MOISTURE_KINDS or getattr(s, "humidity", None) is not None for s in steps or ())


def _entry_rate(step: Any) -> float:
    return ENTRY_RATE_K_PER_S if step.rate is None else step.rate


def _soak_conditions(step: Any) -> tuple[float, float, float]:
    """(duration s, temperature degC, relative humidity percent) of a ``moisture_soak`` step (checked keys)."""
    if step.level is None:
        return step.duration, step.temperature, step.humidity
    hours = None if step.duration is None else step.duration / 3600.0
    h, T, RH = msl.soak_conditions(msl.get_level(step.level), step.accelerated, hours)
    return h * 3600.0, T, RH


def _soak_check(step: Any) -> list[tuple[str, str]]:
    if step.level is None:
        probs = [(k, "is required for a custom soak (without 'level'): give temperature, humidity and duration")
                 for k in ("temperature", "humidity", "duration") if getattr(step, k) is None]
        if step.accelerated is not None:
            probs.append(("accelerated", "applies to a J-STD-020 level's soak; give 'level' or leave it out"))
        return probs
    probs = [(k, f"is set by level {step.level} (J-STD-020 Table 5-1); give either 'level' or a custom soak "
                 "(temperature, humidity, duration)") for k in ("temperature", "humidity") if getattr(step, k)
             is not None]
    lvl = msl.get_level(step.level)
    if lvl.soak_h is None and step.duration is None:
        probs.append(("duration", "level 6 soaks for the time on the label: give it as the duration"))
    elif lvl.soak_h is not None and step.duration is not None:
        probs.append(("duration", f"is set by level {step.level} ({lvl.soak_h:g} h, or the accelerated time); "
                                  "give a custom soak to choose it"))
    if not probs:
        try:
            _soak_conditions(step)
        except InputError as err:
            probs += [(p.field.rsplit(".", 1)[-1] or "level", p.message) for p in err.problems]
    return probs


@register("moisture_soak", profile=lambda step: "hold" if step.level is None else "msl_soak",
          keys={"level": _LEVEL_KEY, "accelerated": _ACCELERATED_KEY, "temperature": _given(Temperature),
                "humidity": HUMIDITY_KEY, "duration": _given(PosTime), "rate": _given(PosRate)},
          argument_keys={"level": "level", "accelerated": "accelerated", "time_on_label_h": "duration",
                         "T_C": "temperature", "duration_s": "duration"},
          check=_soak_check, ambient=lambda step, before: _soak_conditions(step)[2] / 100.0, entry_rate=_entry_rate)
def _moisture_soak(step: Any, T0: float, case: Any, field_path: str) -> dict:
    if step.level is None:
        return {"T_C": step.temperature, "duration_s": step.duration}
    kw = {"level": step.level, "accelerated": step.accelerated}
    if step.duration is not None:
        kw["time_on_label_h"] = step.duration / 3600.0
    return kw


@register("bake", profile="hold",
          keys={"temperature": _given(Temperature), "duration": _given(PosTime), "rate": _given(PosRate)},
          required=("temperature", "duration"), argument_keys={"T_C": "temperature", "duration_s": "duration"},
          ambient=lambda step, before: 0.0, entry_rate=_entry_rate)
def _bake(step: Any, T0: float, case: Any, field_path: str) -> dict:
    return {"T_C": step.temperature, "duration_s": step.duration}


def _floor(step: Any) -> tuple[float | None, float, float]:
    """(duration s or None, temperature degC, relative humidity percent) of a ``floor_life`` step: the level's floor
    conditions (at their upper bounds; 30 degC/60 % RH without a level) and finite floor life unless given."""
    lvl = None if step.level is None else msl.get_level(step.level)
    life = None if lvl is None or lvl.floor_life_h is None or not math.isfinite(lvl.floor_life_h) \
        else lvl.floor_life_h * 3600.0
    T = step.temperature if step.temperature is not None else (30.0 if lvl is None else lvl.floor_T_C)
    RH = step.humidity if step.humidity is not None else (60.0 if lvl is None else lvl.floor_RH_percent)
    return (step.duration if step.duration is not None else life), T, RH


def _floor_check(step: Any) -> list[tuple[str, str]]:
    if _floor(step)[0] is not None:
        return []
    why = "" if step.level is None else f" (level {step.level}'s floor life is " + \
        ("unlimited)" if step.level == "1" else "the time on the label)")
    return [("duration", f"give the time out of the dry bag{why}")]


@register("floor_life", profile="hold",
          keys={"level": _LEVEL_KEY, "temperature": _given(Temperature), "humidity": HUMIDITY_KEY,
                "duration": _given(PosTime), "rate": _given(PosRate)},
          argument_keys={"T_C": "temperature", "duration_s": "duration"}, check=_floor_check,
          ambient=lambda step, before: _floor(step)[2] / 100.0, entry_rate=_entry_rate)
def _floor_life(step: Any, T0: float, case: Any, field_path: str) -> dict:
    duration, T, _ = _floor(step)
    return {"T_C": T, "duration_s": duration}
