"""Step kinds of ``load.steps``: the registry that maps a step's case keys to a temperature profile.

One registration per kind (:func:`register`) carries everything about it: its name (the ``kind:`` value), its own
case keys with their types, the ones it requires, the consistency checks of the given keys, and how its profile
is built: which builder of :data:`fcpkg_fem.loads.PROFILES` it calls and with which arguments, given the
temperature the step starts at. The schema reads the registry to validate a step
(:class:`fcpkg_fem.case.schema.Step` gets its fields from :func:`field_definitions`), the process plan
(:func:`fcpkg_fem.case.plan.plan`) to build each step's profile (:meth:`StepKind.build`). Adding a kind is one
registration here; a key it shares with another kind must have the same type.

Built-in kinds: ``hold``, ``ramp``, ``table``, ``reflow`` (IPC/JEDEC J-STD-020) and ``thermal_cycle``
(JESD22-A104).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, Literal, Mapping

from pydantic import Field, StrictBool

from fcpkg_fem import loads
from fcpkg_fem.case import layout
from fcpkg_fem.case.fields import (NonNegTime, PosInt, PosLength, PosNumber, PosRate, PosTime, Temperature,
                                   Temperatures, Times, table_problems)
from fcpkg_fem.errors import InputError, Problem

__all__ = ["COMMON_KEYS", "KINDS", "StepKind", "field_definitions", "get", "names", "register"]

#: keys every step has (declared by the schema's Step model); a kind cannot declare them
COMMON_KEYS = ("name", "kind", "births", "cure", "output")

# (step, start temperature in degC, case, the step's field path) -> the profile builder's keyword arguments
Arguments = Callable[[Any, float, Any, str], dict]
# step -> [(key, message)]
Check = Callable[[Any], list]


def _no_check(step: Any) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True)
class StepKind:
    """A kind of process step.

    Attributes:
        name: the ``kind:`` value in the case.
        keys: case key -> ``(type, default)`` as pydantic takes a field definition; the step's own keys (besides
            :data:`COMMON_KEYS`); any other key given is an error.
        required: keys that must be given.
        profile: the name of the loads profile builder (:data:`fcpkg_fem.loads.PROFILES`) the kind builds.
        arguments: ``(step, start temperature degC, case, field path) -> keyword arguments of the builder``;
            raises InputError (under the step's field path) for a step that cannot follow the previous one.
        argument_keys: builder keyword -> the case key it comes from, so that the builder's problems name the
            step's keys; None for the start temperature, which is no key of the step.
        check: ``step -> [(key, message)]``: the consistency of the given keys, checked when the case is
            validated (before any profile is built).
    """

    name: str
    keys: Mapping[str, tuple[Any, Any]]
    required: tuple[str, ...]
    profile: str
    arguments: Arguments
    argument_keys: Mapping[str, str | None]
    check: Check = field(default=_no_check)

    def build(self, step: Any, T0: float, case: Any, field_path: str) -> loads.Profile:
        """The step's temperature profile starting at ``T0`` (degC), in step time (s from the step's start).

        Raises:
            InputError: every problem, under the step's case keys (``load.steps.<i>.<key>``).
        """
        try:
            return loads.build(self.profile, **self.arguments(step, T0, case, field_path))
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


def register(name: str, *, profile: str, keys: Mapping[str, tuple[Any, Any]], required: tuple[str, ...] = (),
             argument_keys: Mapping[str, str | None], check: Check = _no_check) -> Callable[[Arguments], Arguments]:
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
        KINDS[name] = StepKind(name, dict(keys), tuple(required), profile, arguments, dict(argument_keys), check)
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


# ------------------------------------------------------------------------------------------------ hold, ramp


@register("hold", profile="hold", keys={"temperature": _given(Temperature), "duration": _given(PosTime)},
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
          keys={"to": _given(Temperature), "rate": _given(PosRate), "duration": _given(PosTime)}, required=("to",),
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


@register("table", profile="table", keys={"time": _given(Times), "temperatures": _given(Temperatures)},
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
                "allow_nonstandard": (StrictBool, False)},
          argument_keys={"alloy": "alloy", "peak_C": "peak", "passes": "passes",
                         "package_thickness_m": "package_thickness", "ramp_up_K_per_s": "ramp_up",
                         "ramp_down_K_per_s": "ramp_down", "preheat_time_s": "preheat_time",
                         "time_above_liquidus_s": "time_above_liquidus", "time_near_peak_s": "time_near_peak",
                         "pass_dwell_s": "dwell", "end_C": "end", "start_C": None})
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
                "rate": _given(PosRate), "cycles_per_hour": _given(PosNumber), "end": _given(Temperature)},
          argument_keys={"condition": "condition", "T_min_C": "T_min", "T_max_C": "T_max", "cycles": "cycles",
                         "soak_s": "soak", "ramp_K_per_s": "rate", "cycles_per_hour": "cycles_per_hour",
                         "end_C": "end", "start_C": None},
          check=_cycle_check)
def _thermal_cycle(step: Any, T0: float, case: Any, field_path: str) -> dict:
    kw = dict(condition=step.condition, T_min_C=step.T_min, T_max_C=step.T_max, cycles=step.cycles or 1,
              start_C=T0)
    opt = {"soak_s": step.soak, "ramp_K_per_s": step.rate, "cycles_per_hour": step.cycles_per_hour,
           "end_C": step.end}
    kw.update({k: v for k, v in opt.items() if v is not None})
    return kw
