"""Field parsers shared by the ``materials:`` block's modules (:mod:`fcpkg_fem.materials.spec`,
:mod:`fcpkg_fem.materials.spec_models`): problems are collected with their dotted paths, never raised one by one."""

from __future__ import annotations

from typing import Any, Mapping

from fcpkg_fem.errors import InputError, Problem, closest
from fcpkg_fem.materials.model import Table
from fcpkg_fem.units import describe, parse_list, parse_quantity

_TABLE_KEYS = ("temperature", "value")
_POSITIVE = {"stress", "conductivity", "density", "specific_heat"}


class _Collector:
    """Accumulates problems; ``run`` calls a parser and records its InputError instead of raising."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(field, message))

    def run(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as err:
            self.problems.extend(err.problems)
            return None


def _unknown_keys(raw: Mapping, allowed: tuple[str, ...], field: str, out: _Collector) -> None:
    for key in raw:
        if key not in allowed:
            hint = closest(str(key), allowed)
            did = f" (did you mean '{hint}'?)" if hint else ""
            out.add(f"{field}.{key}", f"unknown key{did}; allowed: {', '.join(allowed)}")


def _parse_table(raw: Any, kind: str, field: str, out: _Collector, positive: bool | None = None) -> Table | None:
    """Scalar with units -> constant Table; ``{temperature, value}`` -> Table. None (problem recorded) if bad.

    ``positive``: values must be > 0 (default: for the kinds in ``_POSITIVE``); False: >= 0 suffices."""
    if isinstance(raw, Mapping):
        n_before = len(out.problems)
        _unknown_keys(raw, _TABLE_KEYS, field, out)
        for key in _TABLE_KEYS:
            if key not in raw:
                out.add(f"{field}.{key}", "missing; a table needs 'temperature' and 'value' lists of equal length")
        if len(out.problems) > n_before:
            return None
        T = out.run(parse_list, raw["temperature"], "temperature", f"{field}.temperature")
        v = out.run(parse_list, raw["value"], kind, f"{field}.value")
        if T is None or v is None:
            return None
        if len(T) != len(v):
            out.add(field, f"'temperature' has {len(T)} entries but 'value' has {len(v)}; they must match")
            return None
        bad = [i for i in range(1, len(T)) if not T[i] > T[i - 1]]
        if bad:
            i = bad[0]
            out.add(f"{field}.temperature[{i}]",
                    f"{raw['temperature'][i]!r} does not exceed the previous temperature "
                    f"{raw['temperature'][i - 1]!r}; temperatures must increase strictly")
            return None
        values = v
    elif isinstance(raw, (list, tuple)):
        out.add(field, f"{raw!r} is a list; give a scalar ({describe(kind)}) or a table "
                       "{temperature: [...], value: [...]}")
        return None
    else:
        x = out.run(parse_quantity, raw, kind, field)
        if x is None:
            return None
        T, values = (0.0,), (x,)
    strict = kind in _POSITIVE if positive is None else positive
    if strict or kind in _POSITIVE:
        for i, x in enumerate(values):
            if not (x > 0 if strict else x >= 0):
                where = f"{field}.value[{i}]" if isinstance(raw, Mapping) else field
                given = raw["value"][i] if isinstance(raw, Mapping) else raw
                out.add(where, f"{given!r} must be {'> 0' if strict else '>= 0'}")
                return None
    return Table(T, values)


def _text(raw: Mapping, key: str, field: str, out: _Collector, required: bool = False) -> str | None:
    if key not in raw:
        if required:
            out.add(f"{field}.{key}", "missing; a new material needs a 'source' (where its numbers come from)")
        return None
    val = raw[key]
    if not isinstance(val, str) or not val.strip():
        out.add(f"{field}.{key}", f"{val!r} is not text; give a non-empty string")
        return None
    return val.strip()


def _positive_number(raw: Mapping, key: str, kind: str, field: str, out: _Collector,
                     minimum: float = 0.0, inclusive: bool = False) -> float | None:
    v = out.run(parse_quantity, raw[key], kind, f"{field}.{key}")
    if v is not None and not (v >= minimum if inclusive else v > minimum):
        out.add(f"{field}.{key}", f"{raw[key]!r} must be {'>=' if inclusive else '>'} {minimum:g}")
        return None
    return v


def _open_block(raw: Any, allowed: tuple[str, ...], field: str, out: _Collector, give: str) -> int | None:
    """Start parsing a model block: None (problem recorded) unless ``raw`` is a mapping; else its unknown keys are
    reported and the problem count before them returned, so the caller can tell whether the block had errors."""
    if not isinstance(raw, Mapping):
        out.add(field, f"{raw!r} is not a mapping; give {give}")
        return None
    n_before = len(out.problems)
    _unknown_keys(raw, allowed, field, out)
    return n_before


def _source_over(given: list[str], src: str, base_source: str | None) -> str:
    """Source of a parameter set: the entry's own for a new set, else the keys it changed with the entry's source
    followed by the base's source for the rest."""
    if base_source is None:
        return src
    return f"{', '.join(given)}: {src}; other constants: {base_source}" if given else base_source
