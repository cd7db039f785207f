"""The case file: typed, validated models with every quantity in the internal unit system.

Read a case with :func:`load_case`. Every quantity is converted at this boundary by
:func:`fcpkg_fem.units.parse_quantity` (bare numbers in the kind's default unit: mm, MPa, ppm/K, degC, s),
so a validated :class:`Case` holds floats in SI (m, Pa, s, 1/K) with temperatures in degC.
Deeper code trusts these models.

Validation collects every problem it can find and raises one :class:`~fcpkg_fem.errors.InputError`;
each :class:`~fcpkg_fem.errors.Problem` names the dotted field path
(``package.carriers.top.chips.0.bumps.pitch``) and says what was given and what is allowed.
Three passes: (1) structure, types and units (pydantic, errors translated), (2) materials (every name used
must be in the library or the case's ``materials:`` section), (3) cross-field checks (fit, clearances,
heights, symmetry) using :mod:`fcpkg_fem.geometry.layout`.

The field reference is docs/case_format.md.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
from pathlib import Path
import re
import types
import typing
from typing import Annotated, Any, Callable, Iterable, Literal, Sequence, Union

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from fcpkg_fem.case import layout
from fcpkg_fem.case import names as rn
from fcpkg_fem.case.paths import path_problem
from fcpkg_fem.case.plan import plan
from fcpkg_fem.case.yamlio import parse_yaml_value, read_yaml
from fcpkg_fem.errors import InputError, Problem, closest
from fcpkg_fem.materials.spec import MODEL_FILE_KEYS, resolve_materials
from fcpkg_fem.units import parse_list, parse_pair, parse_quantity

__all__ = [
    "SCHEMA_VERSION",
    "Case",
    "Package",
    "Carriers",
    "Carrier",
    "Layer",
    "Chip",
    "Bumps",
    "Adhesive",
    "Encapsulant",
    "Interconnect",
    "Balls",
    "Laminate",
    "Load",
    "History",
    "MeshSpec",
    "Output",
    "Solver",
    "load_case",
    "apply_overrides",
]

SCHEMA_VERSION = 1

UNIT_CONVENTION = {
    "length": "m",
    "stress": "Pa",
    "temperature": "degC",
    "time": "s",
    "cte": "1/K",
    "note": "every quantity of the resolved case is in these units; bare numbers in the case file are read in "
    "mm, MPa, degC, s (see docs/case_format.md)",
}

# --------------------------------------------------------------------------------------------------------
# Field types: each parses its raw value through units.py and raises a PydanticCustomError whose context
# carries our own message; _translate() turns those into Problems (pydantic's own text never reaches users).
# --------------------------------------------------------------------------------------------------------


def _fail(msg: str, problems: list[tuple[str, str]] | None = None) -> PydanticCustomError:
    """A validation error with our message; ``problems`` = [(sub-path, message)] for several at once."""
    return PydanticCustomError("fcpkg", "{msg}", {"msg": msg, "problems": problems or [(".", msg)]})


def _sub(field: str) -> str:
    """units.py names list elements ``[i]``; turn that into our dotted ``i``."""
    return ".".join(s for s in re.split(r"[\[\].]+", field) if s) or "."


def _from_input_error(err: InputError) -> PydanticCustomError:
    probs = [(_sub(p.field), p.message) for p in err.problems]
    return _fail("; ".join(m for _, m in probs), probs)


def _fmt(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _quantity(kind: str, *, positive: bool = False, nonneg: bool = False) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        try:
            x = parse_quantity(value, kind, "")
        except InputError as err:
            raise _from_input_error(err) from None
        if positive and not x > 0:
            raise _fail(f"must be greater than zero, got {_fmt(value)}")
        if nonneg and x < 0:
            raise _fail(f"must not be negative, got {_fmt(value)}")
        return x

    return parse


def _pair(kind: str, *, positive: bool = False) -> Callable[[Any], tuple[float, float]]:
    def parse(value: Any) -> tuple[float, float]:
        try:
            xy = parse_pair(value, kind, "")
        except InputError as err:
            raise _from_input_error(err) from None
        if positive:
            bad = [(str(i), f"must be greater than zero, got {_fmt(value[i])}") for i in range(2) if not xy[i] > 0]
            if bad:
                raise _fail(bad[0][1], bad)
        return xy

    return parse


def _pairs(value: Any) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, (list, tuple)) or not value:
        raise _fail(f"expected a non-empty list of [x, y] positions (lengths), got {_fmt(value)}")
    out, bad = [], []
    for i, v in enumerate(value):
        try:
            out.append(parse_pair(v, "length", ""))
        except InputError as err:
            bad.extend((f"{i}.{_sub(p.field)}".rstrip("."), p.message) for p in err.problems)
    if bad:
        raise _fail(bad[0][1], bad)
    return tuple(out)


def _temperature_list(value: Any) -> tuple[float, ...]:
    try:
        return parse_list(value, "temperature", "", min_length=1)
    except InputError as err:
        raise _from_input_error(err) from None


def _time_list(value: Any) -> tuple[float, ...]:
    try:
        return parse_list(value, "time", "", min_length=1)
    except InputError as err:
        raise _from_input_error(err) from None


_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_CASE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _ident(value: Any) -> str:
    if not isinstance(value, str) or not _IDENT.match(value):
        raise _fail(
            f"{_fmt(value)} is not a valid name; use a letter followed by letters, digits or '_' "
            "(at most 64 characters; it becomes part of region names such as chip.<name>)"
        )
    return value


def _case_name(value: Any) -> str:
    if not isinstance(value, str) or not _CASE_NAME.match(value):
        raise _fail(
            f"{_fmt(value)} is not a valid case name; use letters, digits, '_', '-' or '.', starting with a "
            "letter or digit, at most 64 characters (it names the output folder)"
        )
    return value


def _material_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{_fmt(value)} is not a material name; give the name of a library or case material")
    return value


def _rtol(value: Any) -> float:
    x = _quantity("dimensionless")(value)
    if not 0 < x < 1:
        raise _fail(f"must be between 0 and 1 (exclusive), got {_fmt(value)}")
    return x


Length = Annotated[float, BeforeValidator(_quantity("length"))]
PosLength = Annotated[float, BeforeValidator(_quantity("length", positive=True))]
NonNegLength = Annotated[float, BeforeValidator(_quantity("length", nonneg=True))]
Temperature = Annotated[float, BeforeValidator(_quantity("temperature"))]
Size = Annotated[tuple[float, float], BeforeValidator(_pair("length", positive=True))]
Point = Annotated[tuple[float, float], BeforeValidator(_pair("length"))]
Positions = Annotated[tuple[tuple[float, float], ...], BeforeValidator(_pairs)]
Temperatures = Annotated[tuple[float, ...], BeforeValidator(_temperature_list)]
Times = Annotated[tuple[float, ...], BeforeValidator(_time_list)]
PosTime = Annotated[float, BeforeValidator(_quantity("time", positive=True))]
NonNegTime = Annotated[float, BeforeValidator(_quantity("time", nonneg=True))]
PosRate = Annotated[float, BeforeValidator(_quantity("temperature_rate", positive=True))]
PosTempDiff = Annotated[float, BeforeValidator(_quantity("temperature_difference", positive=True))]
Htc = Annotated[float, BeforeValidator(_quantity("htc", nonneg=True))]
PosNumber = Annotated[float, BeforeValidator(_quantity("dimensionless", positive=True))]
Ident = Annotated[str, BeforeValidator(_ident)]
CaseName = Annotated[str, BeforeValidator(_case_name)]
MaterialName = Annotated[str, BeforeValidator(_material_name)]
PosInt = Annotated[int, Field(strict=True, ge=1)]
Rtol = Annotated[float, BeforeValidator(_rtol)]


class _Model(BaseModel):
    """Base of every case model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _set_default(model: BaseModel, name: str, value: Any) -> None:
    """Fill a derived default after validation (models are frozen)."""
    object.__setattr__(model, name, value)


# ----------------------------------------------------------------------------------------------- arrays


# pattern / kind -> (fields required, fields refused)
_ARRAY_NEEDS = {
    "peripheral": (("pitch", "rows", "edge_offset"), ("positions",)),
    "full_array": (("pitch", "edge_offset"), ("rows", "positions")),
    "explicit": (("positions",), ("pitch", "rows", "edge_offset")),
}
_INTERCONNECT_NEEDS = {
    "vias": (("material", "diameter"), ("width", "thickness")),
    "traces": (("material", "width", "thickness"), ("diameter", "fill", "wall", "fill_material")),
    "none": ((), ("material", "diameter", "fill", "wall", "fill_material", "width", "thickness",
                  "pitch", "rows", "edge_offset", "positions", "pattern")),
}


class _Array(_Model):
    """Pattern fields shared by bumps, vias, traces and balls (see geometry/layout.py for the rules).

    Attributes:
        pattern: ``peripheral`` | ``full_array`` | ``explicit``; default ``explicit`` when ``positions`` is
            given, else ``peripheral``.
        pitch: centre-to-centre spacing along a row and between rows, m (peripheral, full_array).
        rows: number of peripheral rings (peripheral).
        edge_offset: region edge to the centre of the outermost row, m (peripheral, full_array).
        positions: centres relative to the region centre, m (explicit).
    """

    pattern: Literal["peripheral", "full_array", "explicit"] | None = None
    pitch: PosLength | None = None
    rows: PosInt | None = None
    edge_offset: NonNegLength | None = None
    positions: Positions | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_pattern(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("pattern") is None and cls._has_array(data):
            data = {**data, "pattern": "explicit" if data.get("positions") is not None else "peripheral"}
        return data

    @classmethod
    def _has_array(cls, data: dict) -> bool:
        return True

    def _pattern_problems(self) -> list[tuple[str, str]]:
        if self.pattern is None:
            return []
        need, refuse = _ARRAY_NEEDS[self.pattern]
        probs = [(f, f"is required for pattern '{self.pattern}'") for f in need if getattr(self, f) is None]
        probs += [
            (f, f"does not apply to pattern '{self.pattern}'; remove it (needs: {', '.join(need)})")
            for f in refuse
            if getattr(self, f) is not None
        ]
        return probs


class Bumps(_Array):
    """Solder bumps joining a die's active face to its carrier.

    Attributes:
        material: bump material name.
        diameter: bump diameter, m.
        standoff: bump height = die-to-carrier gap, m.
    """

    material: MaterialName
    diameter: PosLength
    standoff: PosLength

    @model_validator(mode="after")
    def _check(self) -> "Bumps":
        probs = self._pattern_problems()
        if probs:
            raise _fail(probs[0][1], probs)
        return self


class Balls(_Array):
    """Solder balls on a carrier's outer face (``top_balls`` on carrier 2, ``bottom_balls`` under carrier 1).

    Attributes:
        material: ball material name.
        diameter: ball diameter, m.
        height: ball height, m.
    """

    material: MaterialName
    diameter: PosLength
    height: PosLength

    @model_validator(mode="after")
    def _check(self) -> "Balls":
        probs = self._pattern_problems()
        if probs:
            raise _fail(probs[0][1], probs)
        return self


class Interconnect(_Array):
    """Carrier-to-carrier interconnect, laid out in the overlap of both carriers (centred at the origin).

    Attributes:
        kind: ``vias`` (Cu through vias through carrier 1, the encapsulant and carrier 2), ``traces``
            (vertical Cu strips through the encapsulant joining a carrier-2 pad to the carrier-1 pad under it)
            or ``none``.
        material: conductor material (vias, traces).
        diameter: via diameter, m (vias).
        fill: ``filled`` (solid) or ``plated`` (a ``wall``-thick tube around a ``fill_material`` core); vias.
        wall: plated wall thickness, m (plated vias).
        fill_material: core of plated vias; default the encapsulant material.
        width: trace cross-section along the nearest carrier edge, m (traces).
        thickness: trace cross-section normal to that edge, m (traces).
    """

    kind: Literal["vias", "traces", "none"]
    material: MaterialName | None = None
    diameter: PosLength | None = None
    fill: Literal["filled", "plated"] | None = None
    wall: PosLength | None = None
    fill_material: MaterialName | None = None
    width: PosLength | None = None
    thickness: PosLength | None = None

    @classmethod
    def _has_array(cls, data: dict) -> bool:
        return data.get("kind") != "none"

    @model_validator(mode="after")
    def _check(self) -> "Interconnect":
        need, refuse = _INTERCONNECT_NEEDS[self.kind]
        probs = [(f, f"is required for interconnect kind '{self.kind}'") for f in need if getattr(self, f) is None]
        probs += [
            (f, f"does not apply to interconnect kind '{self.kind}'; remove it")
            for f in refuse
            if getattr(self, f) is not None
        ]
        if self.kind != "none":
            probs += self._pattern_problems()
        if self.kind == "vias":
            if self.fill is None:
                _set_default(self, "fill", "filled")
            if self.fill == "plated":
                if self.wall is None:
                    probs.append(("wall", "is required for plated vias (the Cu wall thickness)"))
                elif self.diameter is not None and not self.wall < self.diameter / 2:
                    probs.append(("wall", f"{_mm(self.wall)} must be less than half the via diameter "
                                          f"({_mm(self.diameter / 2)})"))
            else:
                probs += [(f, "applies only to plated vias (fill: plated)") for f in ("wall", "fill_material")
                          if getattr(self, f) is not None]
        if probs:
            raise _fail(probs[0][1], probs)
        return self


# ----------------------------------------------------------------------------------------------- package


class Layer(_Model):
    """One layer of a carrier or a laminate. Attributes: name, material, thickness (m)."""

    name: Ident
    material: MaterialName
    thickness: PosLength


class Chip(_Model):
    """A die.

    Attributes:
        name: die name (region ``chip.<name>``, bumps ``bumps.<name>``); unique in the package.
        size: (x, y) full widths, m.
        thickness: m.
        center: (x, y) of the die centre, global (package centred at the origin), m.
        material: die material.
        bumps: the die's bump array.
    """

    name: Ident
    size: Size
    thickness: PosLength
    center: Point = (0.0, 0.0)
    material: MaterialName
    bumps: Bumps


class Carrier(_Model):
    """A chip carrier, centred at the origin.

    Attributes:
        kind: ``substrate`` (organic laminate) or ``tab`` (TAB tape).
        size: (x, y) full widths, m.
        layers: bottom to top (for the top carrier: gap side first, stacking side last).
        chips: the dies flip-chip bonded to this carrier (bottom carrier: active face down; top carrier:
            active face up, bumps up into the top carrier).
    """

    kind: Literal["substrate", "tab"]
    size: Size
    layers: Annotated[list[Layer], Field(min_length=1)]
    chips: Annotated[list[Chip], Field(min_length=1)]

    @property
    def thickness(self) -> float:
        """Sum of the layer thicknesses, m."""
        return float(sum(layer.thickness for layer in self.layers))


class Carriers(_Model):
    """``bottom`` = carrier 1 (terminal side down), ``top`` = carrier 2 (stacking side up)."""

    bottom: Carrier
    top: Carrier


class Adhesive(_Model):
    """Back-to-back die adhesive: one block per overlapping (bottom die, top die) pair.

    Attributes:
        material: adhesive material.
        thickness: m.
        size: (x, y) of each block, centred on the pair's overlap, m; None = the overlap of the two dies
            (see :func:`fcpkg_fem.geometry.layout.adhesive_rects`).
    """

    material: MaterialName
    thickness: PosLength
    size: Size | None = None


class Encapsulant(_Model):
    """Resin filling the gap between the carriers around dies, bumps and interconnect."""

    material: MaterialName


class Package(_Model):
    """A stacked flip-chip package (DESIGN.md section 1). Derived heights: :attr:`gap`."""

    carriers: Carriers
    adhesive: Adhesive
    encapsulant: Encapsulant
    interconnect: Interconnect
    top_balls: Balls | None = None
    bottom_balls: Balls | None = None

    @model_validator(mode="after")
    def _fill_default(self) -> "Package":
        ic = self.interconnect
        if ic.kind == "vias" and ic.fill == "plated" and ic.fill_material is None:
            _set_default(ic, "fill_material", self.encapsulant.material)
        return self

    @property
    def gap(self) -> float:
        """Carrier-to-carrier distance (encapsulant height), m: standoff + die + adhesive + die + standoff of
        the first back-to-back pair (validation checks every pair gives the same)."""
        pairs = layout.die_pairs(self)
        i, j = pairs[0]
        b, t = self.carriers.bottom.chips[i], self.carriers.top.chips[j]
        return b.bumps.standoff + b.thickness + self.adhesive.thickness + t.thickness + t.bumps.standoff

    @property
    def chips(self) -> list[tuple[int, Chip]]:
        """Every die with its carrier number (1 = bottom, 2 = top)."""
        return [(1, c) for c in self.carriers.bottom.chips] + [(2, c) for c in self.carriers.top.chips]


class Laminate(_Model):
    """A generic stack of full-size layers (``structure: laminate``), centred at the origin.

    Attributes:
        size: (x, y) full widths, m.
        layers: bottom to top.
    """

    size: Size
    layers: Annotated[list[Layer], Field(min_length=1)]


# ----------------------------------------------------------------------------------------------- load


def _table_problems(time: Sequence[float], temps: Sequence[float], temp_key: str) -> list[tuple[str, str]]:
    """(sub-path, message) problems of a time-temperature table: equal lengths, >= 2 points, increasing time."""
    probs = []
    if len(time) != len(temps):
        probs.append((temp_key, f"has {len(temps)} values but time has {len(time)}; give one temperature per time"))
    if len(time) < 2:
        probs.append(("time", "needs at least two points"))
    for k in range(1, len(time)):
        if not time[k] > time[k - 1]:
            probs.append((f"time.{k}", f"times must increase strictly; {time[k]:g} s follows {time[k - 1]:g} s"))
            break
    return probs


class History(_Model):
    """A uniform temperature-time table (linear between points). time in s (strictly increasing), T in degC."""

    time: Times
    temperature: Temperatures

    @model_validator(mode="after")
    def _check(self) -> "History":
        probs = _table_problems(self.time, self.temperature, "temperature")
        if probs:
            raise _fail(probs[0][1], probs)
        return self


LOAD_MODES = ("temperatures", "history", "steps")
"""The alternative load descriptions; exactly one is given."""

STEP_KINDS = ("hold", "ramp", "table", "reflow", "thermal_cycle")
_STEP_COMMON = {"name", "kind", "births", "cure", "output"}
STEP_FIELDS = {
    "hold": {"temperature", "duration"},
    "ramp": {"to", "rate", "duration"},
    "table": {"time", "temperatures"},
    "reflow": {"alloy", "peak", "passes", "package_thickness", "ramp_up", "ramp_down", "preheat_time",
               "time_above_liquidus", "time_near_peak", "dwell", "end", "allow_nonstandard"},
    "thermal_cycle": {"condition", "T_min", "T_max", "cycles", "soak", "rate", "cycles_per_hour", "end"},
}
"""Fields each step kind reads (besides name, kind, births, output); any other given field is an error."""
_STEP_REQUIRED = {"hold": ("duration",), "ramp": ("to",), "table": ("time", "temperatures"), "reflow": (),
                  "thermal_cycle": ()}


class Step(_Model):
    """One process step: a temperature history starting from the current temperature, and the parts born at its
    start (stress-free at that temperature, with the deformation the package has then).

    Attributes:
        name: step name (default ``<kind><index>``).
        kind: ``hold`` | ``ramp`` | ``table`` | ``reflow`` (IPC/JEDEC J-STD-020) | ``thermal_cycle`` (JESD22-A104).
        births: regions born at the start of the step: region names (``bumps.die1``) or kinds (``bumps``,
            ``adhesive``, ``encapsulant``, ``vias``, ``traces``, ``balls``, ``chip``, ``carrier``).
        cure: regions (names or kinds) whose cure shrinkage develops during this step: the material's
            ``cure_shrinkage`` (dV/V) grows linearly in time from none at the step's start to all of it at its end,
            as an isotropic chemical strain -(dV/V)/3 added to the thermal strain. Each region cures in one step,
            born at or before it.
        output: which times are reported: ``end`` of the step, every ``breakpoints`` of its profile (default), or
            every mechanical ``increments``.
        temperature: hold temperature, degC (default: the current temperature); duration: s.
        to: ramp target, degC; rate: K/s (ramp, thermal_cycle) or duration.
        time, temperatures: table of times (s, from the step's start, first 0) and temperatures (degC).
        alloy: ``pb_free`` | ``snpb``; peak: peak temperature, degC (default: the classification temperature for
            the package thickness and volume); passes: 1-3; package_thickness: m (default: the model's);
            ramp_up, ramp_down: K/s; preheat_time, time_above_liquidus, time_near_peak, dwell: s;
            end: temperature after each pass, degC (25); allow_nonstandard: accept parameters that break the
            standard (they are listed in the output).
        condition: JESD22-A104 letter (A, B, C, G, H, K, J, N) or T_min/T_max, degC; cycles; soak: s at each
            extreme; rate (K/s) or cycles_per_hour.
    """

    name: Ident | None = None
    kind: Literal["hold", "ramp", "table", "reflow", "thermal_cycle"]
    births: tuple[str, ...] = ()
    cure: tuple[str, ...] = ()
    output: Literal["end", "breakpoints", "increments"] = "breakpoints"
    temperature: Temperature | None = None
    duration: PosTime | None = None
    to: Temperature | None = None
    rate: PosRate | None = None
    time: Times | None = None
    temperatures: Temperatures | None = None
    alloy: Literal["pb_free", "snpb"] | None = None
    peak: Temperature | None = None
    passes: Annotated[int, Field(strict=True, ge=1, le=3)] | None = None
    package_thickness: PosLength | None = None
    ramp_up: PosRate | None = None
    ramp_down: PosRate | None = None
    preheat_time: PosTime | None = None
    time_above_liquidus: PosTime | None = None
    time_near_peak: PosTime | None = None
    dwell: NonNegTime | None = None
    end: Temperature | None = None
    allow_nonstandard: StrictBool = False
    condition: Literal["A", "B", "C", "G", "H", "K", "J", "N"] | None = None
    T_min: Temperature | None = None
    T_max: Temperature | None = None
    cycles: PosInt | None = None
    soak: NonNegTime | None = None
    cycles_per_hour: PosNumber | None = None

    @model_validator(mode="after")
    def _fields_of_kind(self) -> "Step":
        allowed = STEP_FIELDS[self.kind]
        probs = []
        for f in sorted(self.model_fields_set - _STEP_COMMON - allowed):
            probs.append((f, f"does not apply to a '{self.kind}' step (its fields: "
                             f"{', '.join(sorted(allowed))})"))
        for f in _STEP_REQUIRED[self.kind]:
            if getattr(self, f) is None:
                probs.append((f, f"is required for a '{self.kind}' step"))
        if self.kind == "ramp" and (self.rate is None) == (self.duration is None):
            probs.append(("rate", "give exactly one of rate and duration for a ramp"))
        if self.kind == "thermal_cycle":
            if self.condition is None and (self.T_min is None or self.T_max is None):
                probs.append(("condition", "give a JESD22-A104 condition letter or both T_min and T_max"))
            if self.condition is not None and (self.T_min is not None or self.T_max is not None):
                probs.append(("condition", "give either a condition letter or T_min/T_max, not both"))
            if self.T_min is not None and self.T_max is not None and not self.T_max > self.T_min:
                probs.append(("T_max", f"must be above T_min ({self.T_min:g} degC), got {self.T_max:g} degC"))
            if self.rate is not None and self.cycles_per_hour is not None:
                probs.append(("rate", "give at most one of rate and cycles_per_hour"))
        if self.kind == "table" and self.time is not None and self.temperatures is not None:
            probs += _table_problems(self.time, self.temperatures, "temperatures")
            if self.time[0] != 0.0:
                probs.append(("time.0", f"a step's table starts at 0 s (time from the step's start), got "
                                        f"{self.time[0]:g} s"))
        if probs:
            raise _fail(probs[0][1], probs)
        return self


class Load(_Model):
    """Thermal load.

    Attributes:
        stress_free_temperature: default stress-free temperature of every region, degC.
        stress_free_by_material: material name -> its stress-free temperature, degC (simple process mode).
        stress_free_by_region: region name -> its stress-free temperature, degC (wins over by-material).
        temperatures: uniform temperatures to solve and report, degC (one static solve each).
        history: uniform T(t) table.
        steps: process history (list of :class:`Step`); parts not born by a step exist from the start, born at
            their stress-free temperature.
        initial_temperature: temperature at the start of the steps, degC (default: stress_free_temperature).
    """

    stress_free_temperature: Temperature = 25.0
    stress_free_by_material: dict[str, Temperature] = Field(default_factory=dict)
    stress_free_by_region: dict[str, Temperature] = Field(default_factory=dict)
    temperatures: Temperatures | None = None
    history: History | None = None
    steps: tuple[Step, ...] | None = None
    initial_temperature: Temperature | None = None

    @model_validator(mode="after")
    def _one_mode(self) -> "Load":
        if self.steps is not None and not self.steps:
            raise _fail("give at least one step", [("steps", "give at least one step")])
        given = [m for m in LOAD_MODES if getattr(self, m) is not None]
        if len(given) != 1:
            what = "none" if not given else " and ".join(given)
            msg = f"give exactly one of {', '.join(LOAD_MODES)}; got {what}"
            raise _fail(msg, [(given[-1] if given else ".", msg)])
        return self

    @property
    def mode(self) -> str:
        """Which load description is given: ``temperatures``, ``history`` or ``steps``."""
        return next(m for m in LOAD_MODES if getattr(self, m) is not None)

    def stress_free(self, region: str, material: str) -> float:
        """Stress-free temperature (degC) of ``region`` made of ``material``: by region, else by material,
        else the default."""
        if region in self.stress_free_by_region:
            return self.stress_free_by_region[region]
        return self.stress_free_by_material.get(material, self.stress_free_temperature)


# ----------------------------------------------------------------------------------------------- mesh etc.


class MeshSpec(_Model):
    """Mesh controls.

    Attributes:
        symmetry: ``full`` | ``half`` (keep x >= 0) | ``quarter`` (keep x >= 0, y >= 0); default quarter.
        element: ``hex20`` (20-node serendipity hexahedra, default), ``hex8i`` (8-node hexahedra with incompatible
            bending modes) or ``hex8`` (plain trilinear; locks in bending: for studies only).
        size: in-plane element size away from features, m.
        feature_size: in-plane size at bump/via/ball outlines, m; default = size.
        max_layer_thickness: a slab thicker than this is split through its thickness, m; default = size.
        min_elements_per_layer: least elements through any slab; default 1.
        circle_segments: least straight segments on every disk outline (bump, via, ball); default 4. Disks are
            meshed as polygons of the disk's true area; raise this (with the sizes) to refine the disks too.
        layer_elements: region name -> least elements through that region's slabs.
    """

    symmetry: Literal["full", "half", "quarter"] = "quarter"
    element: Literal["hex20", "hex8i", "hex8"] = "hex20"
    size: PosLength
    feature_size: PosLength | None = None
    max_layer_thickness: PosLength | None = None
    min_elements_per_layer: PosInt = 1
    circle_segments: Annotated[int, Field(strict=True, ge=4, le=64)] = 4
    layer_elements: dict[str, PosInt] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _defaults(self) -> "MeshSpec":
        if self.feature_size is None:
            _set_default(self, "feature_size", self.size)
        if self.max_layer_thickness is None:
            _set_default(self, "max_layer_thickness", self.size)
        if self.feature_size > self.size * (1 + 1e-12):
            msg = f"feature_size ({_mm(self.feature_size)}) must not exceed size ({_mm(self.size)})"
            raise _fail(msg, [("feature_size", msg)])
        return self


class Output(_Model):
    """What to write. ``dir``: output folder, relative to the folder the run is launched from and inside it
    (no absolute path, no ``..`` climbing out, no symlink leading out: :func:`fcpkg_fem.case.paths.confine`);
    default: chosen by the caller (``runs/<name>``)."""

    dir: str | None = None
    vtu: StrictBool = True
    plots: StrictBool = True
    report: StrictBool = True
    csv: StrictBool = True

    @model_validator(mode="before")
    @classmethod
    def _dir_inside(cls, data: Any) -> Any:
        # text checks only (absolute, '..' climbing out); symlinks are resolved at run time by case.paths.confine
        if isinstance(data, dict) and data.get("dir") is not None:
            msg = path_problem(data["dir"])
            if msg is not None:
                raise _fail(msg, [("dir", msg)])
        return data


class Newton(_Model):
    """Global Newton controls (process history and inelastic models): iterations per increment, relative
    residual and correction tolerances (the correction estimated from the residuals' reduction, or computed: one
    more iteration), halvings of a failing increment, line search."""

    max_iterations: Annotated[int, Field(strict=True, ge=1, le=200)] = 25
    rtol_residual: Rtol = 1e-6
    rtol_increment: Rtol = 1e-5
    correction: Literal["estimated", "computed"] = "estimated"
    max_cutbacks: Annotated[int, Field(strict=True, ge=0, le=20)] = 6
    line_search: StrictBool = True


class Solver(_Model):
    """Linear solver: ``auto`` | ``amg`` (pyamg + CG) | ``direct`` (SuperLU) | ``pardiso`` (optional MKL PARDISO);
    ``rtol`` relative residual tolerance of CG."""

    linear: Literal["auto", "amg", "direct", "pardiso"] = "auto"
    rtol: Rtol = 1e-8
    max_temperature_increment: PosTempDiff = 10.0
    max_time_increment: PosTime | None = None
    hold_growth: Annotated[float, Field(strict=False, gt=1.0, le=10.0)] | None = 2.0
    newton: Newton = Field(default_factory=Newton)


THERMAL_GROUPS = ("bottom", "top", "sides")


class Thermal(_Model):
    """Temperature inside the package. ``uniform`` (default): the oven temperature everywhere. ``transient``:
    heat conduction with convection h (W/(m^2 K)) to the oven temperature on the outer surface groups
    ``bottom`` (carrier 1 bottom), ``top`` (carrier 2 top) and ``sides``; symmetry planes are adiabatic.
    ``theta``: 1 backward Euler, 0.5 Crank-Nicolson."""

    mode: Literal["uniform", "transient"] = "uniform"
    h: dict[Literal["bottom", "top", "sides"], Htc] = Field(
        default_factory=lambda: {"bottom": 25.0, "top": 25.0, "sides": 25.0})
    theta: Annotated[float, Field(ge=0.5, le=1.0)] = 1.0


MODEL_NAMES = ("elastic", "viscoelastic", "j2", "anand")


# ----------------------------------------------------------------------------------------------- case


class Case(_Model):
    """A validated case. Build it with :func:`load_case` (which also runs the material and cross-field checks).

    Attributes:
        schema_version: 1.
        name: case name (output folder name).
        structure: ``stacked_flipchip`` (reads :attr:`package`) or ``laminate`` (reads :attr:`laminate`).
        package, laminate: the structure (the other one is None).
        materials: the case's own ``materials:`` section as given (raw; see :attr:`materials_resolved`).
        load, mesh, output, solver, thermal: see their classes.
        models: constitutive model by region name, region kind (``bumps``, ``vias``, ``adhesive``,
            ``encapsulant``, ``balls``, ...) or material name; default ``elastic``. Region beats kind beats material.
    """

    schema_version: Literal[1]
    name: CaseName
    structure: Literal["stacked_flipchip", "laminate"]
    package: Package | None = None
    laminate: Laminate | None = None
    materials: dict[str, Any] | None = None
    load: Load
    mesh: MeshSpec
    output: Output = Field(default_factory=Output)
    solver: Solver = Field(default_factory=Solver)
    thermal: Thermal = Field(default_factory=Thermal)
    models: dict[str, Literal["elastic", "viscoelastic", "j2", "anand"]] = Field(default_factory=dict)

    _materials: dict = PrivateAttr(default_factory=dict)
    _raw: dict = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _structure(self) -> "Case":
        want = "package" if self.structure == "stacked_flipchip" else "laminate"
        other = "laminate" if want == "package" else "package"
        probs = []
        if getattr(self, want) is None:
            probs.append((want, f"is required for structure '{self.structure}'"))
        if getattr(self, other) is not None:
            probs.append((other, f"does not apply to structure '{self.structure}' (it uses '{want}'); remove it"))
        if probs:
            raise _fail(probs[0][1], probs)
        return self

    @property
    def materials_resolved(self) -> dict:
        """Material name -> Material (library plus the case's ``materials:`` section)."""
        return self._materials

    def region_materials(self) -> dict[str, str]:
        """Every region name of the case -> its material name (names from geometry/names.py)."""
        return _region_materials(self)

    def input_dict(self) -> dict:
        """The case as read (after overrides, before validation): ``load_case(case.input_dict())`` rebuilds it."""
        return copy.deepcopy(self._raw)

    def region_names(self) -> list[str]:
        return list(self.region_materials())

    def stress_free_temperatures(self, regions: Iterable[str], region_material: dict[str, str]) -> dict[str, float]:
        """Region -> stress-free temperature in degC (:meth:`Load.stress_free`) for the regions of a mesh."""
        return {r: float(self.load.stress_free(r, region_material[r])) for r in regions}

    def resolved_dict(self) -> dict:
        """JSON-safe dict of the validated case, quantities in SI (see ``units``), derived defaults filled."""
        d = self.model_dump(mode="json")
        d["units"] = dict(UNIT_CONVENTION)
        if self.package is not None:
            p = self.package
            d["derived"] = {
                "gap": p.gap,
                "bumps": {c.name: int(len(layout.bump_centres(c))) for _, c in p.chips},
                "vias": int(len(layout.via_centres(p))),
                "traces": int(len(layout.trace_strips(p)[0])),
                "top_balls": int(len(layout.ball_centres(p.top_balls, p.carriers.top))),
                "bottom_balls": int(len(layout.ball_centres(p.bottom_balls, p.carriers.bottom))),
            }
        return d

    def hash(self) -> str:
        """SHA-256 (hex) of :meth:`resolved_dict` in canonical JSON: equal cases give equal hashes."""
        text = json.dumps(self.resolved_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------------------
# pydantic error translation
# --------------------------------------------------------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else Any
    return tp


_UNKNOWN = object()


def _type_at(path: Sequence[Any]) -> Any:
    """The (unwrapped) type of the case field at ``path``; ``Any`` below free-form data; _UNKNOWN if no such field."""
    tp: Any = Case
    for seg in path:
        tp = _unwrap(tp)
        if tp is Any:
            return Any
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if seg not in tp.model_fields:
                return _UNKNOWN
            tp = tp.model_fields[seg].annotation
        elif typing.get_origin(tp) in (list, tuple):
            try:
                int(seg)
            except (TypeError, ValueError):
                return _UNKNOWN
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            return _UNKNOWN
    return _unwrap(tp)


def _join(path: Iterable[Any]) -> str:
    return ".".join(str(p) for p in path)


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _describe_input(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return _fmt(value)


def _translate(err: dict) -> list[Problem]:
    loc = tuple(err["loc"])
    path = _join(loc)
    typ = err["type"]
    given = err.get("input")
    ctx = err.get("ctx") or {}
    if typ == "fcpkg":
        out = []
        for sub, msg in ctx.get("problems", [(".", ctx.get("msg", ""))]):
            field = path if sub == "." else _join([*loc, sub])
            out.append(Problem(field, msg))
        return out
    if typ == "extra_forbidden":
        parent = _type_at(loc[:-1])
        key = loc[-1]
        if isinstance(parent, type) and issubclass(parent, BaseModel):
            allowed = _allowed_keys(parent)
            hint = closest(str(key), allowed)
            msg = f"unknown key '{key}'" + (f"; did you mean '{hint}'?" if hint else "")
            return [Problem(path, f"{msg} (allowed: {', '.join(allowed)})")]
        return [Problem(path, f"unknown key '{key}'")]
    if typ == "missing":
        parent = _type_at(loc[:-1])
        return [Problem(path, "is required but missing")]
    if typ == "literal_error":
        tp = _type_at(loc)
        allowed = [a for a in typing.get_args(tp)] if typing.get_origin(tp) is Literal else []
        shown = ", ".join(_fmt(a) for a in allowed)
        hint = closest(str(given), [str(a) for a in allowed]) if isinstance(given, str) else None
        msg = f"{_describe_input(given)} is not allowed; allowed: {shown}"
        if hint:
            msg += f"; did you mean '{hint}'?"
        if loc == ("schema_version",):
            msg = f"schema version {_describe_input(given)} is not supported; this version of fcpkg-fem reads 1"
        return [Problem(path, msg)]
    if typ in ("model_type", "dict_type", "model_attributes_type"):
        return [Problem(path, f"expected a mapping (key: value), got {_describe_input(given)}")]
    if typ in ("list_type", "tuple_type"):
        return [Problem(path, f"expected a list, got {_describe_input(given)}")]
    if typ == "too_short":
        return [Problem(path, f"needs at least {ctx.get('min_length', 1)} item(s), got {len(given or [])}")]
    if typ in ("int_type", "int_parsing", "int_from_float"):
        return [Problem(path, f"expected a whole number, got {_describe_input(given)}")]
    if typ == "greater_than_equal":
        return [Problem(path, f"must be at least {ctx.get('ge')}, got {_describe_input(given)}")]
    if typ == "greater_than":
        return [Problem(path, f"must be greater than {ctx.get('gt')}, got {_describe_input(given)}")]
    if typ in ("bool_type", "bool_parsing"):
        return [Problem(path, f"expected true or false, got {_describe_input(given)}")]
    if typ in ("string_type",):
        return [Problem(path, f"expected text, got {_describe_input(given)}")]
    return [Problem(path, f"invalid value {_describe_input(given)}")]


# --------------------------------------------------------------------------------------------------------
# overrides
# --------------------------------------------------------------------------------------------------------


def apply_overrides(raw: dict, overrides: Iterable[str]) -> dict:
    """Apply ``dotted.path=value`` overrides to a raw case dict (a copy is returned).

    The value is read as a YAML scalar or flow collection (``mesh.size=0.3 mm``, ``package.carriers.bottom.size=[10, 10]``,
    ``output.vtu=false``). List items are addressed by index (``...layers.1.thickness=200 um``). A path must name
    a field of the case schema (keys under ``materials`` and the ``stress_free_by_*`` / ``layer_elements``
    mappings are free). Keys containing dots (region names) are matched against existing keys first.

    Raises:
        InputError: every bad override, field = the override's path.
    """
    data = copy.deepcopy(raw)
    problems: list[Problem] = []
    for text in overrides:
        if "=" not in str(text):
            problems.append(Problem(str(text), "an override must look like dotted.path=value"))
            continue
        path_text, value_text = str(text).split("=", 1)
        path_text = path_text.strip()
        try:
            value = parse_yaml_value(value_text.strip(), path_text)
            _set_path(data, path_text, value)
        except InputError as err:
            problems.extend(err.problems)
    if problems:
        raise InputError(problems)
    return data


def _set_path(data: dict, path_text: str, value: Any) -> None:
    segs = [s for s in path_text.split(".")]
    if not path_text or any(not s for s in segs):
        raise InputError.single(path_text, "is not a dotted path (e.g. mesh.size)")
    node: Any = data
    done: list[Any] = []
    i = 0
    while i < len(segs):
        tp = _type_at(done)
        free = tp is Any or typing.get_origin(tp) is dict
        seg: Any = segs[i]
        if free and isinstance(node, dict):
            # free keys may contain dots (region names): prefer the longest existing key
            for j in range(len(segs), i, -1):
                cand = ".".join(segs[i:j])
                if cand in node:
                    seg, i = cand, j - 1
                    break
            else:
                if typing.get_origin(tp) is dict and not _is_container(typing.get_args(tp)[1]):
                    seg, i = ".".join(segs[i:]), len(segs) - 1
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            if seg not in tp.model_fields:
                hint = closest(seg, tp.model_fields)
                m = re.fullmatch(r"(\w+)\[(\d+)\]", seg)  # chips[0]: list items are addressed as chips.0
                if m and m.group(1) in tp.model_fields:
                    hint = ".".join([m.group(1), m.group(2)] + segs[i + 1:])
                where = _join(done) or "the top level"
                raise InputError.single(
                    path_text,
                    f"unknown override path: '{seg}' is not a field of {where}"
                    + (f"; did you mean '{hint}'?" if hint else "")
                    + f" (fields: {', '.join(tp.model_fields)})",
                )
        elif typing.get_origin(tp) in (list, tuple):
            if not isinstance(node, list):
                raise InputError.single(path_text, f"'{_join(done)}' is not a list in this case")
            try:
                seg = int(seg)
            except ValueError:
                raise InputError.single(path_text, f"'{segs[i]}' is not a list index of '{_join(done)}'") from None
            if not -len(node) <= seg < len(node):
                raise InputError.single(
                    path_text, f"index {seg} is out of range: '{_join(done)}' has {len(node)} item(s)"
                )
        else:
            raise InputError.single(path_text, f"unknown override path: '{_join(done)}' has no field '{seg}'")
        last = i == len(segs) - 1
        if last:
            if isinstance(node, dict) or isinstance(node, list):
                node[seg] = value
            else:
                raise InputError.single(path_text, f"'{_join(done)}' is not a mapping in this case")
            return
        if isinstance(node, dict):
            if node.get(seg) is None:
                node[seg] = {}
            node = node[seg]
        elif isinstance(node, list):
            node = node[seg]
        else:
            raise InputError.single(path_text, f"'{_join(done)}' is not a mapping in this case")
        done.append(seg)
        i += 1


def _is_container(tp: Any) -> bool:
    tp = _unwrap(tp)
    return tp is Any or (isinstance(tp, type) and issubclass(tp, BaseModel)) or typing.get_origin(tp) in (
        list, tuple, dict)


# --------------------------------------------------------------------------------------------------------
# load_case
# --------------------------------------------------------------------------------------------------------


def load_case(source: str | os.PathLike | dict, overrides: Sequence[str] = ()) -> Case:
    """Read, override and validate a case.

    Args:
        source: a path to a YAML file, YAML text, or an already-parsed dict (not modified).
        overrides: ``dotted.path=value`` strings applied to the raw data before validation.

    Returns:
        The validated :class:`Case`; ``case.materials_resolved`` holds the resolved materials.

    Raises:
        InputError: every problem found (see the module docstring).
    """
    base_dir = None
    if isinstance(source, dict):
        raw = copy.deepcopy(source)
    else:
        raw = read_yaml(source)
        if isinstance(source, os.PathLike) or ("\n" not in str(source) and Path(str(source)).is_file()):
            base_dir = Path(source).resolve().parent
            _anchor_material_files(raw, base_dir)
    if overrides:
        raw = apply_overrides(raw, overrides)
    problems: list[Problem] = []
    case: Case | None = None
    try:
        case = Case.model_validate(raw)
    except ValidationError as exc:
        for e in exc.errors(include_url=False):
            problems.extend(_translate(e))
    materials: dict | None = None
    raw_materials = raw.get("materials")
    if raw_materials is not None and not isinstance(raw_materials, dict):
        pass  # already reported by the model as "expected a mapping"
    else:
        try:
            materials = resolve_materials(raw_materials, field="materials", base_dir=base_dir)
        except InputError as err:
            problems.extend(err.problems)
    if case is not None:
        case._materials = dict(materials or {})  # the cross checks (the process plan) read them
        if materials is not None:
            problems.extend(_check_material_names(_material_uses(case), materials))
        problems.extend(_cross_checks(case))
    elif materials is not None:
        # the structure is broken somewhere else; still report every unknown material name
        problems.extend(_check_material_names(_raw_material_uses(raw), materials))
    if problems:
        raise InputError(_dedupe(problems))
    assert case is not None
    case._materials = dict(materials or {})
    case._raw = copy.deepcopy(raw)
    return case


def _anchor_material_files(raw: dict, base_dir: Path) -> None:
    """Make the data-file paths of the ``materials:`` block absolute, from the case file's folder, in place: the
    raw case travels on (batch workers, ``input_dict``) without the file it came from."""
    block = raw.get("materials")
    if not isinstance(block, dict):
        return
    for entry in block.values():
        if not isinstance(entry, dict):
            continue
        for model, keys in MODEL_FILE_KEYS.items():
            sub = entry.get(model)
            if not isinstance(sub, dict):
                continue
            for key in keys:
                if isinstance(sub.get(key), str) and sub[key].strip() and not Path(sub[key]).expanduser().is_absolute():
                    sub[key] = str(base_dir / sub[key])


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if (p.field, p.message) not in seen:
            seen.add((p.field, p.message))
            out.append(p)
    return out


# --------------------------------------------------------------------------------------------------------
# materials and regions
# --------------------------------------------------------------------------------------------------------


def _material_uses(case: Case) -> list[tuple[str, str]]:
    """(field path, material name) for every material named in the case."""
    uses: list[tuple[str, str]] = []
    if case.laminate is not None:
        uses += [(f"laminate.layers.{k}.material", l.material) for k, l in enumerate(case.laminate.layers)]
    p = case.package
    if p is not None:
        for side in ("bottom", "top"):
            c = getattr(p.carriers, side)
            base = f"package.carriers.{side}"
            uses += [(f"{base}.layers.{k}.material", l.material) for k, l in enumerate(c.layers)]
            for k, chip in enumerate(c.chips):
                uses.append((f"{base}.chips.{k}.material", chip.material))
                uses.append((f"{base}.chips.{k}.bumps.material", chip.bumps.material))
        uses.append(("package.adhesive.material", p.adhesive.material))
        uses.append(("package.encapsulant.material", p.encapsulant.material))
        if p.interconnect.material is not None:
            uses.append(("package.interconnect.material", p.interconnect.material))
        if p.interconnect.fill_material is not None and p.interconnect.fill == "plated":
            uses.append(("package.interconnect.fill_material", p.interconnect.fill_material))
        for balls in ("top_balls", "bottom_balls"):
            if getattr(p, balls) is not None:
                uses.append((f"package.{balls}.material", getattr(p, balls).material))
    uses += [(f"load.stress_free_by_material.{m}", m) for m in case.load.stress_free_by_material]
    return uses


def _raw_material_uses(raw: dict) -> list[tuple[str, str]]:
    """(field path, material name) for every ``material``/``fill_material`` string in unvalidated data."""
    uses: list[tuple[str, str]] = []

    def walk(node: Any, path: list[Any]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("material", "fill_material") and isinstance(v, str):
                    uses.append((_join([*path, k]), v))
                else:
                    walk(v, [*path, k])
        elif isinstance(node, list):
            for k, v in enumerate(node):
                walk(v, [*path, k])

    for key in ("package", "laminate"):
        walk(raw.get(key), [key])
    load = raw.get("load")
    if isinstance(load, dict) and isinstance(load.get("stress_free_by_material"), dict):
        uses += [(f"load.stress_free_by_material.{m}", m) for m in load["stress_free_by_material"]
                 if isinstance(m, str)]
    return uses


def _check_material_names(uses: list[tuple[str, str]], materials: dict) -> list[Problem]:
    known = sorted(materials)
    out = []
    for field, name in uses:
        if name not in materials:
            hint = closest(name, known)
            msg = f"material '{name}' is not in the library or the case's materials section"
            msg += f"; did you mean '{hint}'?" if hint else ""
            msg += f" (known: {', '.join(known)})"
            out.append(Problem(field, msg))
    return out


def _region_materials(case: Case) -> dict[str, str]:
    out: dict[str, str] = {}
    if case.laminate is not None:
        for layer in case.laminate.layers:
            out[rn.laminate_layer(layer.name)] = layer.material
        return out
    p = case.package
    assert p is not None
    for num, side in ((1, "bottom"), (2, "top")):
        for layer in getattr(p.carriers, side).layers:
            out[rn.carrier_layer(num, layer.name)] = layer.material
    for _, chip in p.chips:
        out[rn.chip(chip.name)] = chip.material
        out[rn.bumps(chip.name)] = chip.bumps.material
    out[rn.ADHESIVE] = p.adhesive.material
    out[rn.ENCAPSULANT] = p.encapsulant.material
    ic = p.interconnect
    if ic.kind == "vias":
        out[rn.VIAS] = ic.material  # type: ignore[assignment]
        if ic.fill == "plated":
            out[rn.VIA_FILL] = ic.fill_material  # type: ignore[assignment]
    elif ic.kind == "traces":
        out[rn.TRACES] = ic.material  # type: ignore[assignment]
    if p.top_balls is not None:
        out[rn.TOP_BALLS] = p.top_balls.material
    if p.bottom_balls is not None:
        out[rn.BOTTOM_BALLS] = p.bottom_balls.material
    return out


# --------------------------------------------------------------------------------------------------------
# cross-field checks
# --------------------------------------------------------------------------------------------------------


def _mm(x: float) -> str:
    """A length in m shown in mm (or um when small) for messages."""
    return f"{x * 1e3:.4g} mm" if abs(x) >= 1e-3 or x == 0 else f"{x * 1e6:.4g} um"


def _xy(p: Sequence[float]) -> str:
    return f"({_mm(p[0])}, {_mm(p[1])})"


def _cross_checks(case: Case) -> list[Problem]:
    out: list[Problem] = []
    out += _check_names(case)
    if case.package is not None:
        out += _check_package(case.package)
    regions = set(_region_materials(case)) if not _has_duplicate_names(case) else set()
    if regions:
        for key in case.load.stress_free_by_region:
            if key not in regions:
                out.append(_unknown_region(f"load.stress_free_by_region.{key}", key, regions))
        for key in case.mesh.layer_elements:
            if key not in regions:
                out.append(_unknown_region(f"mesh.layer_elements.{key}", key, regions))
    if case.package is not None and not out:
        out += _check_symmetry(case.package, case.mesh.symmetry)
    if regions:
        out += _check_models(case, regions)
    if case.load.steps is not None and not out:
        try:
            plan(case)
        except InputError as err:
            out += err.problems
    return out


def _check_models(case: Case, regions: set[str]) -> list[Problem]:
    """Every key of ``models`` names a region, a region kind or a material used by the case."""
    kinds = {rn.kind(r) for r in regions}
    mats = set(_region_materials(case).values())
    out = []
    inelastic = sorted(k for k, v in case.models.items() if v != "elastic")
    if inelastic and case.load.mode != "steps":
        out.append(Problem(f"models.{inelastic[0]}", f"inelastic models ({', '.join(inelastic)}) are integrated along "
                                                     "a process history: give load.steps instead of "
                                                     f"load.{case.load.mode}, or use 'elastic'"))
    # an inelastic model needs its parameters in the region's material (library data or materials.<m>.<block>)
    resolved = getattr(case, "_materials", None) or {}
    blocks = {"anand": "anand", "j2": "j2", "viscoelastic": "prony"}
    reported = set()
    for region, mat in _region_materials(case).items():
        m = case.models
        key = next((k for k in (region, rn.kind(region), mat) if k in m), None)
        block = blocks.get(m[key]) if key is not None else None
        if block and mat in resolved and resolved[mat].extra.get(block) is None and (key, mat) not in reported:
            reported.add((key, mat))
            out.append(Problem(f"models.{key}", f"model '{m[key]}' for region {region} needs the material's "
                                                f"'{block}' parameters, but material '{mat}' has none; give "
                                                f"materials.{mat}.{block} (docs/materials.md) or use a material "
                                                "that has them"))
    for key in case.models:
        if key not in regions and key not in kinds and key not in mats:
            choices = sorted(regions | kinds | mats)
            hint = closest(key, choices)
            out.append(Problem(f"models.{key}", f"'{key}' is neither a region, a region kind nor a material of this "
                                               "case" + (f"; did you mean '{hint}'?" if hint else "")
                                               + f" (choices: {', '.join(choices)})"))
    return out


def region_models(case: Case) -> dict[str, str]:
    """Region -> constitutive model name from ``case.models`` (region beats kind beats material; default
    ``elastic``)."""
    out = {}
    for region, mat in _region_materials(case).items():
        m = case.models
        out[region] = m.get(region) or m.get(rn.kind(region)) or m.get(mat) or "elastic"
    return out


def _unknown_region(field: str, key: str, regions: set[str]) -> Problem:
    hint = closest(key, sorted(regions))
    return Problem(
        field,
        f"'{key}' is not a region of this case" + (f"; did you mean '{hint}'?" if hint else "")
        + f" (regions: {', '.join(sorted(regions))})",
    )


def _name_lists(case: Case) -> list[tuple[str, list[str]]]:
    if case.laminate is not None:
        return [("laminate.layers", [l.name for l in case.laminate.layers])]
    p = case.package
    assert p is not None
    lists = [(f"package.carriers.{s}.layers", [l.name for l in getattr(p.carriers, s).layers])
             for s in ("bottom", "top")]
    return lists


def _has_duplicate_names(case: Case) -> bool:
    return bool(_check_names(case))


def _check_names(case: Case) -> list[Problem]:
    out = []
    for base, names in _name_lists(case):
        seen: dict[str, int] = {}
        for k, n in enumerate(names):
            if n in seen:
                out.append(Problem(f"{base}.{k}.name", f"layer name '{n}' is used twice (also item {seen[n]})"))
            seen.setdefault(n, k)
    if case.package is not None:
        seen_chip: dict[str, str] = {}
        for side in ("bottom", "top"):
            for k, chip in enumerate(getattr(case.package.carriers, side).chips):
                where = f"package.carriers.{side}.chips.{k}"
                if chip.name in seen_chip:
                    out.append(Problem(f"{where}.name", f"die name '{chip.name}' is used twice (also "
                                                        f"{seen_chip[chip.name]}); die names are unique "
                                                        "in the package"))
                seen_chip.setdefault(chip.name, where)
    return out


def _array_field(spec: Any, base: str, bad: np.ndarray, rings: np.ndarray | None = None) -> str:
    """The field a user should change when items ``bad`` (indices) of an array are misplaced."""
    k = int(bad[0])
    if spec.pattern == "explicit":
        return f"{base}.positions.{k}"
    if spec.pattern == "peripheral" and rings is not None and int(rings[k]) > 0:
        return f"{base}.rows"
    return f"{base}.edge_offset"


MAX_ARRAY_ITEMS = 200_000
"""Most items (bumps, vias, balls) in one array: far above any real package (the reference has ~400 per die), low
enough that a mistyped pitch is refused before the array is built."""


def _array_count_bound(spec: Any, size: Sequence[float]) -> float:
    """An upper bound of the number of items of a full or peripheral array, computed without building it."""
    pitch = getattr(spec, "pitch", None)
    if spec.pattern not in ("full_array", "peripheral") or not pitch or pitch <= 0:
        return 0.0
    per_line = [max(float(s), 0.0) / pitch + 1.0 for s in size]
    if spec.pattern == "full_array":
        return per_line[0] * per_line[1]
    return float(spec.rows) * 2.0 * (per_line[0] + per_line[1])


def _check_array_fit(spec: Any, base: str, what: str, region: str, size: Sequence[float],
                     center: Sequence[float]) -> list[Problem]:
    """At most MAX_ARRAY_ITEMS items, rows fit, items do not overlap each other (arrays), and do not repeat
    (explicit)."""
    out = []
    n = _array_count_bound(spec, size)
    if n > MAX_ARRAY_ITEMS:
        field = f"{base}.rows" if spec.pattern == "peripheral" and spec.rows > MAX_ARRAY_ITEMS else f"{base}.pitch"
        return [Problem(field, f"this {spec.pattern} {what} array in {region} ({_mm(size[0])} x {_mm(size[1])}) "
                               f"would hold about {n:.3g} {what}s; at most {MAX_ARRAY_ITEMS} per array "
                               f"(a larger pitch or fewer rows)")]
    if spec.pattern == "peripheral":
        for k in range(spec.rows):
            h = min(size) / 2 - spec.edge_offset - k * spec.pitch
            if h < -layout.TOL:
                fit = int(math.floor((min(size) / 2 - spec.edge_offset) / spec.pitch + 1e-9)) + 1
                field = f"{base}.rows" if fit >= 1 else f"{base}.edge_offset"
                out.append(Problem(field, f"{spec.rows} rows at pitch {_mm(spec.pitch)} starting "
                                          f"{_mm(spec.edge_offset)} from the edge do not fit in {region} "
                                          f"({_mm(size[0])} x {_mm(size[1])}); at most {max(fit, 0)} fit"))
                break
    elif spec.pattern == "full_array":
        if min(size) - 2 * spec.edge_offset < -layout.TOL:
            out.append(Problem(f"{base}.edge_offset", f"edge_offset {_mm(spec.edge_offset)} leaves no room for "
                                                      f"the array in {region} ({_mm(size[0])} x {_mm(size[1])})"))
    return out


def _check_self_overlap(centres: np.ndarray, reach: float, spec: Any, base: str, what: str,
                        extent: str) -> list[Problem]:
    """No two items closer than ``reach`` (their size along the line joining them, m)."""
    if len(centres) < 2:
        return []
    from scipy.spatial import cKDTree

    pairs = cKDTree(centres).query_pairs(reach - layout.TOL, output_type="ndarray")
    if len(pairs) == 0:
        return []
    i, j = sorted(int(v) for v in pairs[0])
    d = float(np.linalg.norm(centres[i] - centres[j]))
    if spec.pattern == "explicit":
        field = f"{base}.positions.{j}"
        msg = (f"{what} {j} at {_xy(spec.positions[j])} overlaps {what} {i} at {_xy(spec.positions[i])}: "
               f"centres {_mm(d)} apart, {extent} {_mm(reach)}")
    else:
        field = f"{base}.pitch"
        msg = (f"{what}s overlap: pitch {_mm(spec.pitch)} leaves centres {_mm(d)} apart, less than the "
               f"{extent} {_mm(reach)}; increase pitch or reduce the {extent}")
    return [Problem(field, msg)]


def _check_package(p: Package) -> list[Problem]:
    out: list[Problem] = []
    carriers = {"bottom": p.carriers.bottom, "top": p.carriers.top}
    all_dies: list[tuple[str, Chip]] = []
    all_bumps: list[tuple[str, Chip, np.ndarray]] = []
    for side, carrier in carriers.items():
        base = f"package.carriers.{side}"
        other = carriers["top" if side == "bottom" else "bottom"]
        for k, chip in enumerate(carrier.chips):
            cb = f"{base}.chips.{k}"
            all_dies.append((cb, chip))
            # die inside both carriers (it sits in the gap between them)
            for cname, car in ((side, carrier), ("top" if side == "bottom" else "bottom", other)):
                m = layout.rect_in_rect_margin(np.array([chip.center]), np.array([chip.size]) / 2, (0, 0), car.size)
                if m[0] < -layout.TOL:
                    field = f"{cb}.size" if (chip.size[0] > car.size[0] or chip.size[1] > car.size[1]) \
                        else f"{cb}.center"
                    out.append(Problem(field, f"die '{chip.name}' ({_mm(chip.size[0])} x {_mm(chip.size[1])} at "
                                              f"{_xy(chip.center)}) sticks out of the {cname} carrier "
                                              f"({_mm(car.size[0])} x {_mm(car.size[1])}) by {_mm(-m[0])}"))
                    break
            # dies on one carrier do not overlap
            for k2 in range(k):
                c2 = carrier.chips[k2]
                if layout.overlap_rect(chip.center, chip.size, c2.center, c2.size) is not None:
                    out.append(Problem(f"{cb}.center", f"die '{chip.name}' overlaps die '{c2.name}' on the "
                                                       f"same carrier"))
            # bumps
            bb = f"{cb}.bumps"
            region = f"die '{chip.name}'"
            fit = _check_array_fit(chip.bumps, bb, "bump", region, chip.size, chip.center)
            out += fit
            if fit:
                continue
            centres = layout.bump_centres(chip)
            rings = layout.array_rings(chip.bumps, chip.size)
            r = chip.bumps.diameter / 2
            margin = layout.disk_in_rect_margin(centres, r, chip.center, chip.size)
            bad = np.flatnonzero(margin < -layout.TOL)
            if len(bad):
                out.append(Problem(_array_field(chip.bumps, bb, bad, rings),
                                   f"{len(bad)} bump(s) of diameter {_mm(chip.bumps.diameter)} reach outside "
                                   f"{region} (first at {_xy(centres[bad[0]])}, by {_mm(-margin[bad[0]])})"))
            if len(centres) == 0:
                out.append(Problem(bb, f"the bump layout of {region} has no bumps"))
            out += _check_self_overlap(centres, chip.bumps.diameter, chip.bumps, bb, "bump", "diameter")
            all_bumps.append((bb, chip, centres))
    # heights: every back-to-back pair gives the same gap
    out += _check_heights(p)
    # adhesive
    rects = layout.adhesive_rects(p) if layout.die_pairs(p) else []
    if p.adhesive.size is not None:
        for i, j, center, size in rects:
            b, t = p.carriers.bottom.chips[i], p.carriers.top.chips[j]
            ov = layout.overlap_rect(b.center, b.size, t.center, t.size)
            assert ov is not None
            if size[0] > ov[1][0] + layout.TOL or size[1] > ov[1][1] + layout.TOL:
                out.append(Problem("package.adhesive.size",
                                   f"the adhesive ({_mm(size[0])} x {_mm(size[1])}) does not lie within both dies "
                                   f"'{b.name}' and '{t.name}' (their overlap is {_mm(ov[1][0])} x "
                                   f"{_mm(ov[1][1])}); omit size to use the overlap"))
    # interconnect and balls
    out += _check_interconnect(p, all_dies, all_bumps)
    for name, carrier in (("top_balls", p.carriers.top), ("bottom_balls", p.carriers.bottom)):
        balls = getattr(p, name)
        if balls is None:
            continue
        base = f"package.{name}"
        which = "top" if name == "top_balls" else "bottom"
        fit = _check_array_fit(balls, base, "ball", f"the {which} carrier", carrier.size, (0, 0))
        out += fit
        if fit:
            continue
        c = layout.ball_centres(balls, carrier)
        rings = layout.array_rings(balls, carrier.size)
        m = layout.disk_in_rect_margin(c, balls.diameter / 2, (0, 0), carrier.size)
        bad = np.flatnonzero(m < -layout.TOL)
        if len(bad):
            out.append(Problem(_array_field(balls, base, bad, rings),
                               f"{len(bad)} ball(s) reach outside the {which} carrier (first at {_xy(c[bad[0]])})"))
        if len(c) == 0:
            out.append(Problem(base, "the ball layout has no balls"))
        out += _check_self_overlap(c, balls.diameter, balls, base, "ball", "diameter")
    return out


def _check_heights(p: Package) -> list[Problem]:
    out: list[Problem] = []
    pairs = layout.die_pairs(p)
    bottom, top = p.carriers.bottom.chips, p.carriers.top.chips
    if not pairs:
        return [Problem("package.carriers.top.chips",
                        "no die on the top carrier overlaps a die on the bottom carrier; the dies are joined back "
                        "to back by the adhesive, so at least one pair must overlap")]

    def stack(i: int, j: int) -> float:
        b, t = bottom[i], top[j]
        return b.bumps.standoff + b.thickness + p.adhesive.thickness + t.thickness + t.bumps.standoff

    def parts(i: int, j: int) -> str:
        b, t = bottom[i], top[j]
        return (f"{_mm(b.bumps.standoff)} + {_mm(b.thickness)} + {_mm(p.adhesive.thickness)} + "
                f"{_mm(t.thickness)} + {_mm(t.bumps.standoff)} = {_mm(stack(i, j))}")

    i0, j0 = pairs[0]
    gap = stack(i0, j0)
    for i, j in pairs[1:]:
        if abs(stack(i, j) - gap) > layout.TOL:
            # blame the side whose die + bumps differ from the first pair's (the bottom one if both do)
            same_bottom = abs(bottom[i].bumps.standoff + bottom[i].thickness
                              - bottom[i0].bumps.standoff - bottom[i0].thickness) <= layout.TOL
            side, k = ("top", j) if same_bottom else ("bottom", i)
            out.append(Problem(
                f"package.carriers.{side}.chips.{k}.thickness",
                f"heights do not add up: pair '{bottom[i].name}'/'{top[j].name}' stacks standoff + die + adhesive "
                f"+ die + standoff = {parts(i, j)}, but pair '{bottom[i0].name}'/'{top[j0].name}' gives "
                f"{parts(i0, j0)}; every back-to-back pair must fill the same carrier gap"))
    paired_b = {i for i, _ in pairs}
    paired_t = {j for _, j in pairs}
    for side, chips, paired in (("bottom", bottom, paired_b), ("top", top, paired_t)):
        for k, chip in enumerate(chips):
            if k in paired:
                continue
            h = chip.bumps.standoff + chip.thickness
            if h >= gap - layout.TOL:
                out.append(Problem(f"package.carriers.{side}.chips.{k}.thickness",
                                   f"die '{chip.name}' with its bumps is {_mm(h)} tall, which does not fit in the "
                                   f"carrier gap of {_mm(gap)}"))
    return out


def _check_interconnect(p: Package, dies: list[tuple[str, Chip]],
                        bumps: list[tuple[str, Chip, np.ndarray]]) -> list[Problem]:
    ic = p.interconnect
    if ic.kind == "none":
        return []
    base = "package.interconnect"
    size = layout.interconnect_size(p)
    fit = _check_array_fit(ic, base, ic.kind[:-1], "the carrier overlap", size, (0, 0))
    if fit:
        return fit
    out: list[Problem] = []
    rings = layout.array_rings(ic, size)
    what = "via" if ic.kind == "vias" else "trace"
    if ic.kind == "vias":
        c = layout.via_centres(p)
        r = ic.diameter / 2  # type: ignore[operator]
        margin = layout.disk_in_rect_margin(c, r, (0, 0), size)

        def gap_to_rect(center: Sequence[float], rsize: Sequence[float]) -> np.ndarray:
            return layout.disk_rect_gap(c, r, center, rsize)

        def gap_to_disks(other: np.ndarray, r2: float) -> np.ndarray:
            from scipy.spatial import cKDTree

            d, _ = cKDTree(other).query(c)
            return d - r - r2
        self_reach, extent = ic.diameter, "diameter"
    else:
        c, along_x = layout.trace_strips(p)
        half = layout.trace_half_sizes(ic.width, ic.thickness, along_x)  # type: ignore[arg-type]
        margin = layout.rect_in_rect_margin(c, half, (0, 0), size)

        def gap_to_rect(center: Sequence[float], rsize: Sequence[float]) -> np.ndarray:
            return layout.rect_rect_gap(c, half, center, rsize)

        def gap_to_disks(other: np.ndarray, r2: float) -> np.ndarray:
            g = np.full(len(c), np.inf)
            for o in other:  # bumps near traces are few; the die check already caught most cases
                g = np.minimum(g, layout.rect_rect_gap(c, half, o, (0.0, 0.0)) - r2)
            return g
        self_reach, extent = min(ic.width, ic.thickness), "strip cross-section"  # type: ignore[type-var]
    if len(c) == 0:
        return [Problem(base, f"the {ic.kind} layout has no {ic.kind}")]
    bad = np.flatnonzero(margin < -layout.TOL)
    if len(bad):
        out.append(Problem(_array_field(ic, base, bad, rings),
                           f"{len(bad)} {what}(s) reach outside the carrier (first at {_xy(c[bad[0]])}, by "
                           f"{_mm(-margin[bad[0]])})"))
    for dbase, chip in dies:
        g = gap_to_rect(chip.center, chip.size)
        bad = np.flatnonzero(g <= layout.TOL)
        if len(bad):
            k = bad[np.argmin(g[bad])]
            out.append(Problem(_array_field(ic, base, bad, rings),
                               f"{len(bad)} {what}(s) run through die '{chip.name}' (the {ic.kind} cross the whole "
                               f"gap): the {what} at {_xy(c[k])} overlaps the die footprint by {_mm(-g[k])}; "
                               f"they must be clear of every die"))
    for bb, chip, bc in bumps:
        if len(bc) == 0:
            continue
        g = gap_to_disks(bc, chip.bumps.diameter / 2)
        bad = np.flatnonzero(g <= layout.TOL)
        if len(bad):
            k = bad[np.argmin(g[bad])]
            out.append(Problem(_array_field(ic, base, bad, rings),
                               f"{len(bad)} {what}(s) touch the bumps of die '{chip.name}' (the {what} at "
                               f"{_xy(c[k])}: clearance {_mm(g[k])}, needs > 0)"))
    if ic.kind == "vias":
        out += _check_self_overlap(c, self_reach, ic, base, what, extent)
    else:
        out += _check_trace_overlap(c, half, ic, base)
    return out


def _check_trace_overlap(c: np.ndarray, half: np.ndarray, ic: Interconnect, base: str) -> list[Problem]:
    if len(c) < 2:
        return []
    from scipy.spatial import cKDTree

    reach = 2 * float(np.max(half))
    for i, j in cKDTree(c).query_pairs(reach, output_type="ndarray"):
        d = np.abs(c[i] - c[j]) - half[i] - half[j]
        if np.all(d < -layout.TOL):
            i, j = sorted((int(i), int(j)))
            field = f"{base}.positions.{j}" if ic.pattern == "explicit" else f"{base}.pitch"
            return [Problem(field, f"traces {i} at {_xy(c[i])} and {j} at {_xy(c[j])} overlap; increase the pitch "
                                   f"or reduce width/thickness")]
    return []


# --- symmetry -----------------------------------------------------------------------------------------


def _symmetric(points: np.ndarray, attrs: np.ndarray, axis: int) -> int | None:
    """Index of the first item whose mirror image (about x=0 for axis 0, y=0 for axis 1) has no twin with the
    same attributes within layout.TOL; None if the set is mirror-symmetric."""
    if len(points) == 0:
        return None
    from scipy.spatial import cKDTree

    tree = cKDTree(points)
    m = layout.mirror(points, axis)
    for k, q in enumerate(m):
        hits = tree.query_ball_point(q, r=1e-9 + 1e-12)
        if not any(np.allclose(attrs[h], attrs[k], rtol=0, atol=1e-9) for h in hits):
            return k
    return None


def _check_symmetry(p: Package, symmetry: str) -> list[Problem]:
    axes = {"full": (), "half": (0,), "quarter": (0, 1)}[symmetry]
    if not axes:
        return []
    items: list[tuple[str, np.ndarray, np.ndarray, Callable[[int], str]]] = []
    for side in ("bottom", "top"):
        chips = getattr(p.carriers, side).chips
        pts = np.array([c.center for c in chips], dtype=float)
        attrs = np.array([[c.size[0], c.size[1], c.thickness, c.bumps.diameter, c.bumps.standoff] for c in chips])
        items.append((f"the dies on the {side} carrier", pts, attrs,
                      lambda k, chips=chips: f"die '{chips[k].name}' at {_xy(chips[k].center)}"))
        bp = [layout.bump_centres(c) for c in chips]
        ba = [np.tile([c.bumps.diameter, c.bumps.standoff], (len(b), 1)) for c, b in zip(chips, bp)]
        allb = np.concatenate(bp) if bp else np.zeros((0, 2))
        items.append((f"the bumps on the {side} carrier", allb, np.concatenate(ba) if ba else np.zeros((0, 2)),
                      lambda k, allb=allb: f"the bump at {_xy(allb[k])}"))
    if p.interconnect.kind == "vias":
        c = layout.via_centres(p)
        items.append(("the vias", c, np.zeros((len(c), 1)), lambda k, c=c: f"the via at {_xy(c[k])}"))
    elif p.interconnect.kind == "traces":
        c, ax = layout.trace_strips(p)
        items.append(("the traces", c, ax[:, None].astype(float), lambda k, c=c: f"the trace at {_xy(c[k])}"))
    for name, carrier in (("top_balls", p.carriers.top), ("bottom_balls", p.carriers.bottom)):
        c = layout.ball_centres(getattr(p, name), carrier)
        items.append((f"the {name.replace('_', ' ')}", c, np.zeros((len(c), 1)),
                      lambda k, c=c: f"the ball at {_xy(c[k])}"))
    out = []
    for axis in axes:
        plane = "x = 0" if axis == 0 else "y = 0"
        for what, pts, attrs, describe in items:
            k = _symmetric(pts, attrs, axis)
            if k is not None:
                out.append(Problem("mesh.symmetry",
                                   f"a {symmetry} model needs the layout mirror-symmetric about {plane}, but "
                                   f"{what} are not: {describe(k)} has no mirror image; use mesh.symmetry: full"
                                   + ("" if symmetry == "half" or axis == 0 else " (or half, if symmetric about x = 0)")))
                break
    return out
