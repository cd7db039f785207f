"""Quantities with units at the case boundary, converted to the one internal unit system.

Internal units (see docs/architecture.md): SI (m, kg, s, Pa, W, J); temperatures in degC; CTE in 1/K.

A case value is either a bare number, read in its kind's *default unit* (the unit engineers write most:
mm for lengths, MPa for stresses and moduli, ppm/K for CTE, degC for temperatures, ...), or a string
``"<number> <unit>"`` such as ``"80 um"``, ``"26 GPa"``, ``"15 ppm/K"``, ``"490 K"``, ``"3 degC/s"``.
No unit library: a small explicit table (:data:`KINDS`) that the docs and every error message list.

Every parse error is an :class:`~fcpkg_fem.errors.InputError` naming the field, what was given and what
is allowed, e.g.::

    package.adhesive.thickness: '25 GPa' is not a length; use a number in mm or a string with one of:
    m, mm, um, µm, nm, mil
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Any

import numpy as np

from fcpkg_fem.errors import InputError, Problem

__all__ = [
    "KINDS",
    "parse_quantity",
    "parse_pair",
    "parse_list",
    "to_si",
    "from_si",
    "describe",
]

ABSOLUTE_ZERO_C = -273.15

# kind -> (noun phrase, default unit, {unit as displayed: (shift, mul, div)}), with
# internal = (number + shift) * mul / div. Dividing by an exact integer (1000, 60, 9) rather than multiplying by
# a rounded reciprocal keeps conversions such as "80 um" -> 8e-05 and "15 ppm/K" -> 1.5e-05 exact to the last bit.
# Every unit listed here is accepted; aliases that only differ in spelling (°C, µm, W/mK ...) are added below.
_TABLE: dict[str, tuple[str, str, dict[str, tuple[float, float, float]]]] = {
    "length": ("a length", "mm", {
        "m": (0, 1, 1), "mm": (0, 1, 1000), "um": (0, 1, 10**6), "µm": (0, 1, 10**6),
        "nm": (0, 1, 10**9), "mil": (0, 254, 10**7),
    }),
    "stress": ("a stress or modulus", "MPa", {
        "Pa": (0, 1, 1), "kPa": (0, 10**3, 1), "MPa": (0, 10**6, 1), "GPa": (0, 10**9, 1),
        # 1 psi = 1 lbf/in^2 = 4.4482216152605 N / 0.00064516 m^2 (exact definitions)
        "psi": (0, 4.4482216152605, 0.00064516), "ksi": (0, 4448.2216152605, 0.00064516),
    }),
    "cte": ("a CTE", "ppm/K", {
        "1/K": (0, 1, 1), "1/degC": (0, 1, 1), "ppm/K": (0, 1, 10**6), "ppm/degC": (0, 1, 10**6),
    }),
    "temperature": ("a temperature", "degC", {
        "degC": (0, 1, 1), "C": (0, 1, 1), "°C": (0, 1, 1), "K": (-273.15, 1, 1), "degF": (-32, 5, 9),
    }),
    "temperature_difference": ("a temperature difference", "K", {
        "K": (0, 1, 1), "degC": (0, 1, 1), "°C": (0, 1, 1), "degF": (0, 5, 9),
    }),
    "time": ("a time", "s", {
        "s": (0, 1, 1), "min": (0, 60, 1), "h": (0, 3600, 1),
    }),
    "temperature_rate": ("a temperature rate", "K/s", {
        "K/s": (0, 1, 1), "degC/s": (0, 1, 1), "K/min": (0, 1, 60), "degC/min": (0, 1, 60),
    }),
    "conductivity": ("a thermal conductivity", "W/(m K)", {
        "W/(m K)": (0, 1, 1), "W/mK": (0, 1, 1), "W/m/K": (0, 1, 1), "W/(m*K)": (0, 1, 1),
    }),
    "density": ("a density", "kg/m^3", {
        "kg/m^3": (0, 1, 1), "g/cm^3": (0, 1000, 1),
    }),
    "specific_heat": ("a specific heat", "J/(kg K)", {
        "J/(kg K)": (0, 1, 1), "J/(g K)": (0, 1000, 1),
    }),
    "htc": ("a heat transfer coefficient", "W/(m^2 K)", {
        "W/(m^2 K)": (0, 1, 1),
    }),
    "dimensionless": ("a dimensionless number", "", {}),
    "strain_rate": ("a strain rate", "1/s", {
        "1/s": (0, 1, 1),
    }),
    "energy_density": ("an energy density", "MPa", {
        "J/m^3": (0, 1, 1), "kJ/m^3": (0, 10**3, 1), "MJ/m^3": (0, 10**6, 1), "MPa": (0, 10**6, 1),
    }),
}

# Extra spellings accepted silently (they normalise to a listed unit).
_ALIASES: dict[str, dict[str, str]] = {
    "cte": {"1/C": "1/degC", "1/°C": "1/degC", "ppm/C": "ppm/degC", "ppm/°C": "ppm/degC", "ppm": "ppm/K"},
    "temperature": {"°F": "degF", "F": "degF"},
    "temperature_difference": {"C": "degC", "°F": "degF"},
    "temperature_rate": {"C/s": "degC/s", "°C/s": "degC/s", "C/min": "degC/min", "°C/min": "degC/min"},
    "time": {"sec": "s", "hr": "h"},
    "density": {"kg/m3": "kg/m^3", "g/cm3": "g/cm^3", "g/cc": "g/cm^3"},
    "specific_heat": {"J/kgK": "J/(kg K)", "J/kg/K": "J/(kg K)", "J/gK": "J/(g K)", "J/g/K": "J/(g K)"},
    "htc": {"W/m^2K": "W/(m^2 K)", "W/m2K": "W/(m^2 K)", "W/m^2/K": "W/(m^2 K)", "W/(m2 K)": "W/(m^2 K)"},
    "energy_density": {"J/m3": "J/m^3", "MJ/m3": "MJ/m^3", "kJ/m3": "kJ/m^3"},
    "stress": {"N/mm^2": "MPa", "N/mm2": "MPa"},
    "length": {"μm": "µm", "micron": "um"},
}

KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    kind: (default, tuple(units)) for kind, (_, default, units) in _TABLE.items()
}
"""kind -> (default unit of a bare number, accepted units as listed to users)."""


def _norm(unit: str) -> str:
    """Spelling-insensitive key: drop blanks, '*', '·', '(', ')'; unify micro sign and degree sign."""
    u = unit.strip().replace("μ", "µ").replace("µ", "u").replace("°", "deg")
    for ch in " *·()":
        u = u.replace(ch, "")
    return u


def _build_lookup() -> dict[str, dict[str, tuple[float, float, float]]]:
    lookup: dict[str, dict[str, tuple[float, float, float]]] = {}
    for kind, (_, _, units) in _TABLE.items():
        table = {_norm(u): f for u, f in units.items()}
        for alias, target in _ALIASES.get(kind, {}).items():
            table[_norm(alias)] = units[target]
        lookup[kind] = table
    return lookup


_LOOKUP = _build_lookup()

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*(.*?)\s*$")


def describe(kind: str) -> str:
    """What a field of this kind accepts, in words (for errors and docs)."""
    noun, default, units = _TABLE[kind]
    if kind == "dimensionless":
        return "use a plain number (no unit)"
    return f"use a number in {default} or a string with one of: {', '.join(units)}"


def _kind_of_unit(unit: str) -> str | None:
    key = _norm(unit)
    for kind, table in _LOOKUP.items():
        if key in table:
            return kind
    return None


def _fail(field: str, value: Any, kind: str, why: str | None = None) -> InputError:
    noun = _TABLE[kind][0]
    head = f"{value!r} is not {noun}" + ("" if why is None else f" ({why})")
    return InputError.single(field, f"{head}; {describe(kind)}")


def _check_finite(x: float, value: Any, kind: str, field: str) -> float:
    if not math.isfinite(x):
        raise _fail(field, value, kind, "not a finite number")
    if kind == "temperature" and x <= ABSOLUTE_ZERO_C + 1e-9:
        # at or below 0 K in whatever unit it was given ("-0 K" included): no process runs there
        raise _fail(field, value, kind, f"at or below absolute zero ({x:g} degC); a temperature must be above "
                                        f"{ABSOLUTE_ZERO_C:g} degC (0 K)")
    return x


def to_si(number: float, kind: str, unit: str | None = None) -> float:
    """Convert ``number`` given in ``unit`` (default: the kind's default unit) to the internal unit.

    Raises:
        KeyError: unknown kind or unit (programming error; case input goes through :func:`parse_quantity`).
    """
    if kind not in _TABLE:
        raise KeyError(f"unknown quantity kind {kind!r}; known: {', '.join(_TABLE)}")
    if kind == "dimensionless":
        if unit:
            raise KeyError(f"a dimensionless number takes no unit, got {unit!r}")
        return float(number)
    return _apply(_LOOKUP[kind][_norm(unit if unit is not None else _TABLE[kind][1])], float(number))


def _apply(conv: tuple[float, float, float], number: float) -> float:
    shift, mul, div = conv
    return (number + shift) * mul / div


def from_si(value: float | np.ndarray, kind: str, unit: str) -> float | np.ndarray:
    """Convert an internal value (SI, degC) to ``unit`` of ``kind`` (for writers): inverse of :func:`to_si`."""
    if kind == "dimensionless":
        return value
    shift, mul, div = _LOOKUP[kind][_norm(unit)]
    v = np.asarray(value, dtype=float) if isinstance(value, np.ndarray) else float(value)
    return v * div / mul - shift


def parse_quantity(value: Any, kind: str, field: str) -> float:
    """Parse one case value into the internal unit system.

    Args:
        value: a number (read in the kind's default unit, see :data:`KINDS`) or a string
            ``"<number> <unit>"`` / ``"<number>"``.
        kind: one of :data:`KINDS` (``length``, ``stress``, ``cte``, ``temperature``, ...).
        field: dotted path of the field, used in error messages.

    Returns:
        The value in SI (temperature in degC, CTE in 1/K).

    Raises:
        InputError: bool, NaN/inf, empty string, unknown unit or a unit of another kind; a temperature below
            or at absolute zero; an integer too large for a float. The message names what was given and what the kind accepts.
    """
    if kind not in _TABLE:
        raise KeyError(f"unknown quantity kind {kind!r}; known: {', '.join(_TABLE)}")
    if isinstance(value, (bool, np.bool_)) or value is None:
        raise _fail(field, value, kind)
    if isinstance(value, numbers.Real):
        try:
            number = float(value)
        except OverflowError:  # an integer of hundreds of digits
            raise _fail(field, f"{str(value)[:12]}... ({len(str(value))} digits)", kind, "too large") from None
        return _check_finite(to_si(number, kind), value, kind, field)
    if not isinstance(value, str):
        raise _fail(field, value, kind, f"expected a number or a string, got {type(value).__name__}")
    if not value.strip():
        raise _fail(field, value, kind, "empty")
    m = _QUANTITY.match(value)
    if m is None:
        raise _fail(field, value, kind, "not '<number> <unit>'")
    number, unit = float(m.group(1)), m.group(2)
    if not unit:
        return _check_finite(to_si(number, kind), value, kind, field)
    if kind == "dimensionless":
        raise _fail(field, value, kind, "a dimensionless number takes no unit")
    key = _norm(unit)
    if key not in _LOOKUP[kind]:
        other = _kind_of_unit(unit)
        if other is not None:
            raise _fail(field, value, kind, f"{unit} is a unit of {_TABLE[other][0]}")
        raise _fail(field, value, kind, f"unknown unit {unit!r} for {_TABLE[kind][0]}")
    return _check_finite(_apply(_LOOKUP[kind][key], number), value, kind, field)


def parse_list(value: Any, kind: str, field: str, *, length: int | None = None,
               min_length: int = 1) -> tuple[float, ...]:
    """Parse a list of quantities (each as :func:`parse_quantity`); collects every bad element.

    Args:
        length: exact number of elements required, or None.
        min_length: least number of elements when ``length`` is None.

    Raises:
        InputError: not a list, wrong length, or any bad element (field ``<field>[i]``).
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, np.ndarray)):
        want = f"a list of {length}" if length is not None else "a list"
        raise InputError.single(field, f"{value!r} is not {want}; each element: {describe(kind)}")
    items = list(value)
    if length is not None and len(items) != length:
        raise InputError.single(field, f"{value!r} has {len(items)} elements; expected {length}")
    if length is None and len(items) < min_length:
        raise InputError.single(field, f"{value!r} has {len(items)} elements; expected at least {min_length}")
    out: list[float] = []
    problems: list[Problem] = []
    for i, item in enumerate(items):
        try:
            out.append(parse_quantity(item, kind, f"{field}[{i}]"))
        except InputError as err:
            problems.extend(err.problems)
    if problems:
        raise InputError(problems)
    return tuple(out)


def parse_pair(value: Any, kind: str, field: str) -> tuple[float, float]:
    """Parse a 2-vector such as ``[12 mm, 12 mm]`` (a YAML list of two quantities)."""
    a, b = parse_list(value, kind, field, length=2)
    return a, b
