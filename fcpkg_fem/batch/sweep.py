"""Sweep files: a base case, fixed overrides and axes over any case field, expanded into validated variants.

A sweep file is YAML (read with :func:`fcpkg_fem.yamlio.read_yaml`, so no tags, no alias bombs, no duplicate keys)
whose top level carries ``sweep: 1``::

    sweep: 1                          # marks a sweep file; format version 1
    name: adhesive_x_emc              # optional, shown in the results table
    base: reference.yaml              # the base case, relative to this file
    set:                              # optional fixed overrides, the same paths as `fcpkg run --set`
      mesh.size: 1.2 mm
      load.temperatures: [-40, 125]
    design: full_factorial            # full_factorial (default) | zip | latin_hypercube
    axes:                             # field path -> values
      materials.die_attach_lowmod.E: [500 MPa, 2 GPa]                   # a list of values
      materials.emc.cte.glassy: {start: 8 ppm/K, stop: 15 ppm/K, num: 3} # a range, both ends included
      package.carriers.bottom.layers.1.thickness:
        {start: 200 um, stop: 300 um, step: 50 um, label: core}         # step; `label` names the axis
    # latin_hypercube only: samples: 20, seed: 1

Each variant is the base case with, in this order, the fixed ``set`` overrides, the caller's overrides (``fcpkg batch
--set``) and the variant's axis values applied through :func:`fcpkg_fem.case.apply_overrides`, so an axis reaches
exactly what ``fcpkg run --set`` reaches. Every variant is validated here, before anything runs; an invalid variant
is kept with its problems (it is reported, not run). Problems of the sweep file itself (unknown key or design, an
empty axis, an axis path the base case rejects, ...) raise :class:`~fcpkg_fem.errors.InputError`, each naming
``<sweep file>: <field>``.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import math
import numbers
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import yaml

from fcpkg_fem.case import apply_overrides, load_case
from fcpkg_fem.case.yamlio import parse_yaml_value, read_yaml
from fcpkg_fem.errors import InputError, Problem, closest
from fcpkg_fem.units import KINDS, from_si, parse_quantity, to_si

__all__ = ["DESIGNS", "Axis", "Sweep", "Variant", "flow_text", "is_sweep", "load_sweep", "variants_of"]

SWEEP_VERSION = 1
DESIGNS = ("full_factorial", "zip", "latin_hypercube")
TOP_KEYS = ("sweep", "name", "description", "base", "set", "design", "axes", "samples", "seed")
RANGE_KEYS = ("start", "stop", "num", "step")
AXIS_KEYS = ("values", *RANGE_KEYS, "label")
MAX_VARIANTS = 100_000
"""Most variants one sweep may expand to (a guard against a typo such as ``num: 1000`` on three axes)."""
LHS_DIGITS = 6
"""Significant digits of Latin hypercube samples (the value written into the case, its folder name and table)."""
HASH_CHARS = 8
"""Hex digits of the resolved-case hash in a folder name (32 bits: a clash needs ~65 000 distinct cases)."""
SLUG_MAX = 150
"""Longest readable part of a folder name, in characters (file systems allow 255 per name)."""


# ----------------------------------------------------------------------------------------------- values


def flow_text(value: Any) -> str:
    """One YAML value as the text of a ``path=value`` override that reads back as the same value.

    Raises:
        ValueError: ``value`` does not survive the round trip (not plain data).
    """
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9, allow_unicode=True).strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")].strip()
    if parse_yaml_value(text, "<value>") != value:
        raise ValueError(f"{value!r} does not read back from YAML text {text!r}")
    return text


def _num_text(x: float, digits: int = 12) -> str:
    """A float as short text: ``12`` significant digits remove linspace round-off (0.30000000000000004 -> 0.3)."""
    return f"{x:.{digits}g}"


_QUANTITY = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*$")


def _split_quantity(value: Any, field: str) -> tuple[float, str]:
    """(number, unit text) of a range end: a number (unit '') or a string ``"<number> <unit>"``."""
    if isinstance(value, bool) or value is None:
        raise InputError.single(field, f"expected a number or '<number> <unit>', got {value!r}")
    if isinstance(value, numbers.Real):
        if not math.isfinite(float(value)):
            raise InputError.single(field, f"expected a finite number, got {value!r}")
        return float(value), ""
    if isinstance(value, str):
        m = _QUANTITY.match(value)
        if m:
            return float(m.group(1)), m.group(2)
    raise InputError.single(field, f"expected a number or '<number> <unit>' (e.g. '15 ppm/K'), got {value!r}")


def _kinds_of(unit: str) -> list[str]:
    """Quantity kinds (fcpkg_fem.units.KINDS) that accept ``unit``."""
    out = []
    for kind in KINDS:
        if kind == "dimensionless":
            continue
        try:
            parse_quantity(f"1 {unit}", kind, "")
        except InputError:
            continue
        out.append(kind)
    return out


# ------------------------------------------------------------------------------------------------ axes


@dataclass(frozen=True)
class Axis:
    """One axis of a sweep.

    Attributes:
        path: dotted case field path (``fcpkg run --set`` syntax).
        label: short name used in folder names (default: the end of the path).
        values: the values of a list axis or of a materialised range (plain YAML data; numbers with units are
            strings ``"<number> <unit>"``); empty for a continuous range of a Latin hypercube.
        start, stop: range ends as numbers in ``unit`` (None for a list axis).
        unit: unit text of the range ('' for bare numbers, which the case reads in the field's default unit).
        integer: the range was given in whole numbers (values stay ``int``).
    """

    path: str
    label: str
    values: tuple[Any, ...] = ()
    start: float | None = None
    stop: float | None = None
    unit: str = ""
    integer: bool = False

    @property
    def is_range(self) -> bool:
        return self.start is not None

    def value_at(self, x: float) -> Any:
        """The value of a continuous range at ``x`` in [0, 1], rounded to :data:`LHS_DIGITS` digits."""
        v = self.start + (self.stop - self.start) * x
        if self.integer:
            return int(round(v))
        text = _num_text(v, LHS_DIGITS)
        return f"{text} {self.unit}" if self.unit else float(text)


def _default_label(path: str) -> str:
    """The path's end: segments from the end until two of them are names (not list indices)."""
    segs = path.split(".")
    out, names = [], 0
    for s in reversed(segs):
        out.insert(0, s)
        names += not s.lstrip("-").isdigit()
        if names == 2:
            break
    return "-".join(out)


def _range_values(spec: dict, where: str, continuous: bool) -> tuple[list[Any], float, float, str, bool]:
    """Parse a range mapping; returns (values, start, stop, unit, integer). ``values`` is empty if ``continuous``."""
    problems = []
    for k in ("start", "stop"):
        if k not in spec:
            problems.append(Problem(f"{where}.{k}", "is required in a range (start, stop and num or step)"))
    if problems:
        raise InputError(problems)
    ends = {k: _split_quantity(spec[k], f"{where}.{k}") for k in RANGE_KEYS if k in spec and k != "num"}
    units = {u for _, u in ends.values()}
    if "" in units and len(units) > 1:
        raise InputError.single(where, "give every end of a range with a unit, or none of them (bare numbers are "
                                       "read in the field's default unit, which the sweep cannot convert)")
    unit = ends["start"][1]
    conv: dict[str, float] = {}
    if unit:
        kinds = _kinds_of(unit)
        if not kinds:
            raise InputError.single(f"{where}.start", f"unknown unit {unit!r}")
        for k, (x, u) in ends.items():
            shared = [kd for kd in kinds if kd in _kinds_of(u)]
            if not shared:
                raise InputError.single(f"{where}.{k}", f"unit {u!r} does not match the start's unit {unit!r}")
            kd = shared[0]
            if k == "step":  # a difference: scale only (no offset of a temperature scale)
                conv[k] = x * (to_si(1.0, kd, u) - to_si(0.0, kd, u)) / (to_si(1.0, kd, unit) - to_si(0.0, kd, unit))
            else:
                conv[k] = float(from_si(to_si(x, kd, u), kd, unit))
    else:
        conv = {k: x for k, (x, _) in ends.items()}
    start, stop = conv["start"], conv["stop"]
    integer = not unit and all(isinstance(spec[k], int) and not isinstance(spec[k], bool)
                               for k in ("start", "stop", "step") if k in spec)
    if continuous:
        extra = [k for k in ("num", "step") if k in spec]
        if extra:
            raise InputError.single(f"{where}.{extra[0]}", "a latin_hypercube samples a range continuously between "
                                                           "start and stop; remove num and step")
        if start == stop:
            raise InputError.single(where, f"start and stop are equal ({spec['start']!r}): the range is empty")
        return [], start, stop, unit, integer
    if ("num" in spec) == ("step" in spec):
        raise InputError.single(where, "a range needs exactly one of num (number of values) or step")
    if "num" in spec:
        num = spec["num"]
        if isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise InputError.single(f"{where}.num", f"expected a whole number >= 1, got {num!r}")
        if num > MAX_VARIANTS:
            raise InputError.single(f"{where}.num", f"{num} values; at most {MAX_VARIANTS} are allowed")
        xs = [start] if num == 1 else [start + (stop - start) * i / (num - 1) for i in range(num)]
        integer = integer and (num == 1 or (stop - start) % (num - 1) == 0)
    else:
        step = conv["step"]
        if step == 0 or (stop - start) * step < 0:
            raise InputError.single(f"{where}.step", f"{spec['step']!r} does not lead from start to stop")
        n = int(math.floor((stop - start) / step * (1 + 1e-12) + 1e-9)) + 1
        if n > MAX_VARIANTS:
            raise InputError.single(f"{where}.step", f"gives {n} values; at most {MAX_VARIANTS} are allowed")
        xs = [start + i * step for i in range(n)]
    if integer:
        values: list[Any] = [int(round(x)) for x in xs]
    elif unit:
        values = [f"{_num_text(x)} {unit}" for x in xs]
    else:
        values = [float(_num_text(x)) for x in xs]
    return values, start, stop, unit, integer


def _parse_axis(path: Any, spec: Any, where_file: str, continuous: bool) -> Axis:
    where = f"{where_file}axes.{path}"
    if not isinstance(path, str) or not path.strip() or any(not s for s in str(path).split(".")):
        raise InputError.single(f"{where_file}axes", f"{path!r} is not a dotted field path (e.g. mesh.size)")
    label = None
    if isinstance(spec, list):
        values = list(spec)
        if not values:
            raise InputError.single(where, "the axis is empty; give at least one value")
        return Axis(path, _default_label(path), tuple(values))
    if not isinstance(spec, dict):
        raise InputError.single(where, f"expected a list of values or a range mapping ({', '.join(AXIS_KEYS)}), "
                                       f"got {spec!r}")
    unknown = [k for k in spec if k not in AXIS_KEYS]
    if unknown:
        hint = closest(str(unknown[0]), AXIS_KEYS)
        raise InputError.single(f"{where}.{unknown[0]}", "unknown key" + (f"; did you mean '{hint}'?" if hint else "")
                                + f" (allowed: {', '.join(AXIS_KEYS)})")
    if "label" in spec:
        label = spec["label"]
        if not isinstance(label, str) or not re.fullmatch(r"[A-Za-z0-9_.+-]+", label):
            raise InputError.single(f"{where}.label", f"{label!r}: use letters, digits and _ . + - only")
    if "values" in spec:
        if any(k in spec for k in RANGE_KEYS):
            raise InputError.single(where, "give either values or a range (start, stop, num/step), not both")
        values = spec["values"]
        if not isinstance(values, list) or not values:
            raise InputError.single(f"{where}.values", "expected a non-empty list of values")
        return Axis(path, label or _default_label(path), tuple(values))
    if not any(k in spec for k in RANGE_KEYS):
        raise InputError.single(where, "the axis is empty: give values: [...] or a range (start, stop, num/step)")
    values, start, stop, unit, integer = _range_values(spec, where, continuous)
    return Axis(path, label or _default_label(path), tuple(values),
                start=start if continuous else None, stop=stop if continuous else None, unit=unit, integer=integer)


# ---------------------------------------------------------------------------------------------- variants


@dataclass
class Variant:
    """One case of a batch, validated.

    Attributes:
        source: the case or sweep file it comes from (as given).
        sweep: the sweep's name ('' for a plain case file).
        index: position in its sweep (0 for a plain case).
        params: ``(label, path, value)`` of every axis, in axis order (empty for a plain case).
        raw: the base case as read (plain data; the worker re-validates it with ``overrides``).
        overrides: every ``path=value`` override, in the order applied.
        case: the validated case, or None when invalid.
        problems: why the variant is invalid (empty when valid).
    """

    source: str
    sweep: str
    index: int
    params: tuple[tuple[str, str, Any], ...]
    raw: dict
    overrides: tuple[str, ...]
    case: Any = None
    problems: list[Problem] = field(default_factory=list)
    _hash: str | None = field(default=None, repr=False)

    @property
    def valid(self) -> bool:
        return self.case is not None

    @property
    def hash(self) -> str | None:
        """SHA-256 of the resolved case (``Case.hash()``), None when invalid."""
        return None if self.case is None else self._hash

    def validate(self) -> "Variant":
        try:
            self.case = load_case(self.raw, overrides=self.overrides)
            self._hash = self.case.hash()
        except InputError as err:
            self.case, self.problems = None, list(err.problems)
        return self

    @property
    def slug(self) -> str:
        """Readable part of the folder name: ``label=value`` pairs, or the case name for a plain case."""
        if self.params:
            parts = [f"{_clean(label)}={_clean(_value_text(v))}" for label, _, v in self.params]
            s = "__".join(parts)
        else:
            s = _clean(str(self.raw.get("name", "case")))
        # no leading '-' or '.': a folder name must not read as a command-line option or a hidden file
        return s[:SLUG_MAX].lstrip("-.").rstrip("_-.") or "case"

    @property
    def folder(self) -> str:
        """Folder name, stable for the same parameters and resolved case: ``<slug>__<hash[:8]>``.

        An invalid variant has no resolved case: its name carries a hash of its overrides instead (``x`` first).
        """
        if self.case is not None:
            return f"{self.slug}__{self._hash[:HASH_CHARS]}"
        h = hashlib.sha256("\n".join([self.source, *self.overrides]).encode()).hexdigest()
        return f"{self.slug}__x{h[:HASH_CHARS - 1]}"


def _value_text(v: Any) -> str:
    return v if isinstance(v, str) else flow_text(v)


def _clean(text: str) -> str:
    """Folder-name-safe text: blanks removed, '/' -> '-', anything else outside [A-Za-z0-9._,+=-] -> '-'."""
    t = text.replace("µ", "u").replace("μ", "u").replace(" ", "").replace("/", "-")
    t = re.sub(r"[^A-Za-z0-9._,+=-]+", "-", t)
    return re.sub(r"-{2,}", "-", t) or "_"


# -------------------------------------------------------------------------------------------------- sweep


@dataclass
class Sweep:
    """A parsed sweep file (see the module docstring).

    Attributes:
        path: the sweep file.
        name: its ``name`` (default: the file's stem).
        base_path: the base case file (resolved against the sweep file's folder).
        base_raw: the base case as read.
        fixed: the fixed overrides, ``path=value`` strings.
        design: one of :data:`DESIGNS`.
        axes: the axes in file order.
        samples, seed: Latin hypercube settings (None otherwise).
    """

    path: Path
    name: str
    base_path: Path
    base_raw: dict
    fixed: tuple[str, ...]
    design: str
    axes: tuple[Axis, ...]
    samples: int | None = None
    seed: int | None = None

    def points(self) -> list[tuple[Any, ...]]:
        """The axis values of every variant, in order (one tuple per variant, one value per axis)."""
        if self.design == "full_factorial":
            return list(itertools.product(*(a.values for a in self.axes)))
        if self.design == "zip":
            return list(zip(*(a.values for a in self.axes)))
        return _latin_hypercube(self.axes, self.samples, self.seed)


def _latin_hypercube(axes: Sequence[Axis], samples: int, seed: int) -> list[tuple[Any, ...]]:
    """``samples`` points, one per stratum of every axis (McKay, Beckman and Conover 1979).

    Each axis's [0, 1) is cut into ``samples`` equal strata; a random permutation assigns strata to samples and a
    uniform draw places the point inside its stratum. A range axis maps [0, 1) onto [start, stop]; a list axis
    picks the value whose share of [0, 1) holds the point (equal shares), so each value appears as evenly as the
    sample count allows. numpy's PCG64 generator seeded with ``seed`` makes the design reproducible.
    """
    import numpy as np

    rng = np.random.Generator(np.random.PCG64(seed))
    cols = []
    for ax in axes:
        u = (rng.permutation(samples) + rng.random(samples)) / samples
        if ax.is_range:
            cols.append([ax.value_at(float(x)) for x in u])
        else:
            cols.append([ax.values[min(int(x * len(ax.values)), len(ax.values) - 1)] for x in u])
    return list(zip(*cols))


def is_sweep(raw: dict) -> bool:
    """True when a YAML document is a sweep file (its top level has ``sweep``)."""
    return isinstance(raw, dict) and "sweep" in raw


def load_sweep(path: str | os.PathLike, raw: dict | None = None, extra_overrides: Sequence[str] = ()) -> Sweep:
    """Read and check a sweep file (not its variants: see :func:`variants_of`).

    Args:
        path: the sweep file.
        raw: its content if already read.
        extra_overrides: the caller's ``path=value`` overrides, applied after ``set`` (checked here against the
            axes: an override of an axis path would make every variant the same).

    Raises:
        InputError: every problem of the sweep file, each field named ``<file>: <key>``.
    """
    path = Path(path)
    raw = read_yaml(path) if raw is None else raw
    w = f"{path}: "
    problems: list[Problem] = []
    for k in raw:
        if k not in TOP_KEYS:
            hint = closest(str(k), TOP_KEYS)
            problems.append(Problem(f"{w}{k}", "unknown key" + (f"; did you mean '{hint}'?" if hint else "")
                                    + f" (allowed: {', '.join(TOP_KEYS)})"))
    if raw.get("sweep") != SWEEP_VERSION or isinstance(raw.get("sweep"), bool):
        problems.append(Problem(f"{w}sweep", f"sweep format {raw.get('sweep')!r} is not supported; this version of "
                                             f"fcpkg-fem reads sweep: {SWEEP_VERSION}"))
    design = raw.get("design", "full_factorial")
    if design not in DESIGNS:
        hint = closest(str(design), DESIGNS)
        msg = f"unknown design {design!r}" + (f"; did you mean '{hint}'?" if hint else "")
        problems.append(Problem(f"{w}design", f"{msg} (known: {', '.join(DESIGNS)})"))
    name = raw.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(f"{w}name", f"expected text, got {name!r}"))
    samples = seed = None
    if design == "latin_hypercube":
        samples, seed = raw.get("samples"), raw.get("seed")
        for key, val, lo in (("samples", samples, 1), ("seed", seed, 0)):
            if val is None:
                problems.append(Problem(f"{w}{key}", "is required for design latin_hypercube"))
            elif isinstance(val, bool) or not isinstance(val, int) or val < lo:
                problems.append(Problem(f"{w}{key}", f"expected a whole number >= {lo}, got {val!r}"))
    else:
        for key in ("samples", "seed"):
            if key in raw:
                problems.append(Problem(f"{w}{key}", f"applies to design latin_hypercube only (design is {design})"))
    base_raw: dict = {}
    base = raw.get("base")
    base_path = path.parent / str(base)
    if not isinstance(base, str) or not base.strip():
        problems.append(Problem(f"{w}base", "is required: the base case file, relative to the sweep file"))
    elif not base_path.is_file():
        problems.append(Problem(f"{w}base", f"case file {str(base_path)!r} not found"))
    else:
        try:
            base_raw = read_yaml(base_path)
        except InputError as err:
            problems.extend(err.problems)
        if is_sweep(base_raw):
            problems.append(Problem(f"{w}base", f"{str(base_path)!r} is a sweep file; the base must be a case"))
            base_raw = {}
    fixed: list[str] = []
    set_ = raw.get("set") or {}
    if not isinstance(set_, dict):
        problems.append(Problem(f"{w}set", "expected a mapping of field path -> value"))
        set_ = {}
    for p, v in set_.items():
        try:
            fixed.append(f"{p}={flow_text(v)}")
        except ValueError as exc:
            problems.append(Problem(f"{w}set.{p}", str(exc)))
    axes: list[Axis] = []
    axes_raw = raw.get("axes")
    if not isinstance(axes_raw, dict) or not axes_raw:
        problems.append(Problem(f"{w}axes", "is required: a mapping of field path -> values or range (at least one)"))
        axes_raw = {}
    for p, spec in axes_raw.items():
        try:
            axes.append(_parse_axis(p, spec, w, continuous=design == "latin_hypercube"))
        except InputError as err:
            problems.extend(err.problems)
    if problems:
        raise InputError(problems)
    _check_axes(axes, design, w)
    _check_paths(base_raw, fixed, list(extra_overrides), axes, w)
    sweep = Sweep(path, name, base_path, base_raw, tuple(fixed), design, tuple(axes), samples, seed)
    counts = [len(a.values) for a in axes]
    n = {"full_factorial": math.prod(counts), "zip": counts[0]}.get(design, samples)  # before building them
    if n > MAX_VARIANTS:
        raise InputError.single(f"{w}axes", f"the sweep expands to {n} variants; at most {MAX_VARIANTS} are allowed")
    return sweep


def _check_axes(axes: list[Axis], design: str, w: str) -> None:
    problems = []
    labels = [a.label for a in axes]
    for lab in sorted({x for x in labels if labels.count(x) > 1}):
        paths = [a.path for a in axes if a.label == lab]
        problems.append(Problem(f"{w}axes", f"axes {', '.join(paths)} share the folder label {lab!r}; give each a "
                                            "distinct `label`"))
    if design == "zip":
        lengths = {a.path: len(a.values) for a in axes}
        if len(set(lengths.values())) > 1:
            problems.append(Problem(f"{w}axes", "design zip pairs the i-th values of every axis, so every axis needs "
                                                "the same number of values; got "
                                    + ", ".join(f"{p}: {n}" for p, n in lengths.items())))
    if problems:
        raise InputError(problems)


def _check_paths(base_raw: dict, fixed: list[str], extra: list[str], axes: list[Axis], w: str) -> None:
    """Every fixed and axis path must be a field the base case accepts (its own message is passed on)."""
    problems: list[Problem] = []
    for ov in fixed:
        try:
            apply_overrides(base_raw, [ov])
        except InputError as err:
            problems += [Problem(f"{w}set.{ov.split('=', 1)[0]}", p.message) for p in err.problems]
    try:
        data = apply_overrides(base_raw, fixed + extra)
    except InputError as err:
        problems += [Problem(f"--set {p.field}", p.message) for p in err.problems]
        data = base_raw
    axis_paths = {a.path for a in axes}
    for ov in extra:
        p = ov.split("=", 1)[0].strip()
        if p in axis_paths:
            problems.append(Problem(f"--set {p}", f"is an axis of the sweep {w.rstrip(': ')}; an override would make "
                                                  "every variant the same"))
    for ax in axes:
        probe = ax.values[0] if ax.values else ax.value_at(0.0)
        try:
            apply_overrides(data, [f"{ax.path}={flow_text(probe)}"])
        except (InputError, ValueError) as err:
            msgs = [p.message for p in err.problems] if isinstance(err, InputError) else [str(err)]
            problems += [Problem(f"{w}axes.{ax.path}", f"the base case rejects this path: {m}") for m in msgs]
    if problems:
        raise InputError(problems)


def variants_of(sweep: Sweep, extra_overrides: Sequence[str] = ()) -> list[Variant]:
    """Every variant of ``sweep``, validated (invalid ones carry their problems)."""
    out = []
    for i, point in enumerate(sweep.points()):
        params = tuple((a.label, a.path, v) for a, v in zip(sweep.axes, point))
        overrides = (*sweep.fixed, *extra_overrides, *(f"{a.path}={flow_text(v)}" for a, v in zip(sweep.axes, point)))
        raw = copy.deepcopy(sweep.base_raw)
        out.append(Variant(str(sweep.path), sweep.name, i, params, raw, overrides).validate())
    return out


def case_variant(path: str | os.PathLike, raw: dict | None = None, extra_overrides: Sequence[str] = ()) -> Variant:
    """A plain case file as a one-variant batch item (validated)."""
    raw = read_yaml(path) if raw is None else raw
    return Variant(str(path), "", 0, (), raw, tuple(extra_overrides)).validate()
