"""Field types of the case schema: each quantity is parsed through :mod:`fcpkg_fem.units` into the internal units.

A field type is an ``Annotated`` type whose validator parses the raw value and raises a ``PydanticCustomError``
of type ``fcpkg`` whose context carries our own message and, for several problems at once, their sub-paths
(:func:`fail`); :func:`fcpkg_fem.case.messages.translate` turns those into Problems, so pydantic's own text never
reaches users. Also here: the base of every case model (:class:`CaseModel`), the small validators shared by
several models, and the message helpers (:func:`fmt`, :func:`describe`, :func:`mm`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Callable, Sequence

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from fcpkg_fem.errors import InputError, closest
from fcpkg_fem.units import parse_list, parse_pair, parse_quantity


def fail(msg: str, problems: list[tuple[str, str]] | None = None) -> PydanticCustomError:
    """A validation error with our message; ``problems`` = [(sub-path, message)] for several at once."""
    return PydanticCustomError("fcpkg", "{msg}", {"msg": msg, "problems": problems or [(".", msg)]})


def _sub(field: str) -> str:
    """units.py names list elements ``[i]``; turn that into our dotted ``i``."""
    return ".".join(s for s in re.split(r"[\[\].]+", field) if s) or "."


def _from_input_error(err: InputError) -> PydanticCustomError:
    probs = [(_sub(p.field), p.message) for p in err.problems]
    return fail("; ".join(m for _, m in probs), probs)


def fmt(value: Any) -> str:
    """A given value as shown in messages: text quoted, anything else as is."""
    return repr(value) if isinstance(value, str) else str(value)


def describe(value: Any) -> str:
    """A given value as the subject of a message: 'a mapping', 'a list' or the value (:func:`fmt`)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return fmt(value)


def mm(x: float) -> str:
    """A length in m shown in mm (or um when small) for messages."""
    return f"{x * 1e3:.4g} mm" if abs(x) >= 1e-3 or x == 0 else f"{x * 1e6:.4g} um"


def _quantity(kind: str, *, positive: bool = False, nonneg: bool = False) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        try:
            x = parse_quantity(value, kind, "")
        except InputError as err:
            raise _from_input_error(err) from None
        if positive and not x > 0:
            raise fail(f"must be greater than zero, got {fmt(value)}")
        if nonneg and x < 0:
            raise fail(f"must not be negative, got {fmt(value)}")
        return x

    return parse


def _pair(kind: str, *, positive: bool = False) -> Callable[[Any], tuple[float, float]]:
    def parse(value: Any) -> tuple[float, float]:
        try:
            xy = parse_pair(value, kind, "")
        except InputError as err:
            raise _from_input_error(err) from None
        if positive:
            bad = [(str(i), f"must be greater than zero, got {fmt(value[i])}") for i in range(2) if not xy[i] > 0]
            if bad:
                raise fail(bad[0][1], bad)
        return xy

    return parse


def _pairs(value: Any) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, (list, tuple)) or not value:
        raise fail(f"expected a non-empty list of [x, y] positions (lengths), got {fmt(value)}")
    out, bad = [], []
    for i, v in enumerate(value):
        try:
            out.append(parse_pair(v, "length", ""))
        except InputError as err:
            bad.extend((f"{i}.{_sub(p.field)}".rstrip("."), p.message) for p in err.problems)
    if bad:
        raise fail(bad[0][1], bad)
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
        raise fail(
            f"{fmt(value)} is not a valid name; use a letter followed by letters, digits or '_' "
            "(at most 64 characters; it becomes part of region names such as chip.<name>)"
        )
    return value


def _case_name(value: Any) -> str:
    if not isinstance(value, str) or not _CASE_NAME.match(value):
        raise fail(
            f"{fmt(value)} is not a valid case name; use letters, digits, '_', '-' or '.', starting with a "
            "letter or digit, at most 64 characters (it names the output folder)"
        )
    return value


def _material_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail(f"{fmt(value)} is not a material name; give the name of a library or case material")
    return value


def _rtol(value: Any) -> float:
    x = _quantity("dimensionless")(value)
    if not 0 < x < 1:
        raise fail(f"must be between 0 and 1 (exclusive), got {fmt(value)}")
    return x


def one_of(names: Callable[[], Sequence[str]]) -> BeforeValidator:
    """A validator accepting exactly one of ``names()``: a registry's names, read when a case is validated (so a
    later registration counts). Its message is the one a ``Literal`` field gets: what was given, what is allowed
    and the nearest allowed name."""

    def check(value: Any) -> str:
        allowed = list(names())
        if isinstance(value, str) and value in allowed:
            return value
        msg = f"{describe(value)} is not allowed; allowed: {', '.join(fmt(a) for a in allowed)}"
        hint = closest(value, allowed) if isinstance(value, str) else None
        if hint:
            msg += f"; did you mean '{hint}'?"
        raise fail(msg)

    return BeforeValidator(check)


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


class CaseModel(BaseModel):
    """Base of every case model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def set_default(model: BaseModel, name: str, value: Any) -> None:
    """Fill a derived default after validation (models are frozen)."""
    object.__setattr__(model, name, value)


def table_problems(time: Sequence[float], temps: Sequence[float], temp_key: str) -> list[tuple[str, str]]:
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
