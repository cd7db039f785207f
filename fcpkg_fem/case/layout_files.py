"""Bump, ball and via maps from an engineer's design data: a CSV of positions or a JEDEC-style ball map.

Readers only (plain numpy, no case parsing): each returns a :class:`LayoutData` in m, or raises
:class:`~fcpkg_fem.errors.InputError` naming the case field that gave the data. Messages never quote a file's
content, only its path, line numbers and column names (a path that names another kind of file must not leak it).
The case fields that use them are ``pattern: file`` and ``pattern: ball_map`` (:mod:`fcpkg_fem.case.schema_package`,
docs/case_format.md, "Layout files").

Positions CSV (:func:`read_positions_csv`)
    ``#`` lines are comments; the first other line is the header, comma-separated. Columns: ``x`` and ``y``
    (required), ``diameter`` (optional), ``id`` and ``net`` (optional text, kept as labels); any other column is
    refused. A length column carries its unit in the header, ``x [mm]``, ``x (um)`` or ``x_mm``, or the array's
    ``units`` field gives the unit of every length column that has none (giving both for one column is refused).
    Positions are relative to the region centre (die or carrier), like ``pattern: explicit`` ``positions``.

Ball map (:func:`parse_ball_map`)
    A grid of rows lettered A, B, C, ... and columns numbered 1, 2, 3, ...; each cell is populated (``o``, ``O``,
    ``x``, ``X``, ``*``, ``#``) or depopulated (``.``, ``-``, ``+``). Row letters follow the JEDEC/IPC convention of
    omitting I, O, Q, S, X and Z (IPC-7351, section 14.2.5, "Defining Contact Assignment", as quoted by S. Decker
    on the IPC TechNet list, 5 Nov 2020: A1 at an outside corner, letters down the rows, numbers along the columns,
    "I, O, Q, S, X and Z are omitted"; the same sequence ... W, Y, AA, AB, ... AF is printed on SPIL's 484-ball
    drawing B484-SW2, JEDEC MS-034): after Y come AA, AB, ..., AY, then BA, ... Each data line starts with its row
    name; an optional first line of column numbers must read 1, 2, ..., n. Cells are separated by blanks, or written
    together as one word (``A  oo..oo``). The grid is centred on the region (the matrix centre is the package
    centre, as JEDEC outlines dimension it: the outer row's middle ball sits on the centre line when the row has an
    odd number of balls, half a pitch off it when even; Spansion S29CD016J data sheet, package LAA080, note 7, ball
    positions per JESD95-1 SPP-010), ``pitch`` apart in x and y. ``view: top`` reads the drawing as seen from above
    (+z towards the reader: column 1 at -x, row A at +y); ``view: bottom`` as seen from below, the usual bottom view
    of a BGA outline (column 1 at +x, row A at +y).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fcpkg_fem.case.paths import outside
from fcpkg_fem.errors import InputError, Problem
from fcpkg_fem.materials.prony import _read_text
from fcpkg_fem.units import parse_quantity, to_si

__all__ = ["LayoutData", "ROW_LETTERS", "MAX_ITEMS", "row_names", "read_positions_csv", "parse_ball_map",
           "read_ball_map", "layout_of", "anchor_layout_files", "ARRAY_PATHS"]

ROW_LETTERS = "ABCDEFGHJKLMNPRTUVWY"
"""The 20 row letters of a JEDEC/IPC ball map (I, O, Q, S, X and Z omitted; module docstring)."""

MAX_ITEMS = 200_000
"""Most positions one file or map may give (the arrays' limit, :data:`fcpkg_fem.case.checks.MAX_ARRAY_ITEMS`)."""

_POPULATED = set("oOxX*#")
_EMPTY = set(".-+")
_COLUMNS = ("x", "y", "diameter", "id", "net")
_LENGTH_COLUMNS = ("x", "y", "diameter")
_HEAD = re.compile(r"^\s*([A-Za-z]+)\s*(?:\[\s*([^\]]*?)\s*\]|\(\s*([^)]*?)\s*\)|_([A-Za-z\u00b5]+))?\s*$")
_LABEL = re.compile(r"^[\w.+\-/#:\[\]()<>]{1,64}$")


@dataclass(frozen=True)
class LayoutData:
    """Positions read from a file or map.

    Attributes:
        positions: (N, 2) centres relative to the region centre, m.
        diameters: (N,) per-row diameters in m, or None when the data give none.
        labels: N labels (the CSV's ``id`` column, or a ball map's ``A1``, ``B12`` ...), or None.
        nets: N net names (the CSV's ``net`` column), or None.
        lines: the line number (from 1) in the file or map of each position, for messages.
    """

    positions: np.ndarray
    diameters: np.ndarray | None
    labels: tuple[str, ...] | None
    nets: tuple[str, ...] | None
    lines: tuple[int, ...]

    def where(self, k: int) -> str:
        """Item ``k`` for a message: its line and its label."""
        lab = f" ({self.labels[k]})" if self.labels is not None else ""
        return f"line {self.lines[k]}{lab}"


def row_names(n: int) -> list[str]:
    """The first ``n`` JEDEC row names: A ... Y (20 letters), then AA ... AY, BA ... BY, ..., YY (420 in all)."""
    singles = list(ROW_LETTERS)
    names = singles + [a + b for a in singles for b in singles]
    if n > len(names):
        raise ValueError(f"a ball map has at most {len(names)} rows")
    return names[:n]


def _length_unit(unit: str, field: str, what: str) -> str:
    """``unit`` when it is a length unit of :mod:`fcpkg_fem.units` (cells are then converted exactly as a case's
    ``"<number> <unit>"`` is, so a file and the same numbers in YAML give bit-identical positions)."""
    try:
        parse_quantity(f"1 {unit}", "length", field)
    except InputError:
        raise InputError.single(field, f"{what}: '{unit}' is not a length unit (m, mm, um, nm, mil)") from None
    return unit


def read_positions_csv(path: Any, *, units: str | None = None, field: str = "file",
                       units_field: str = "units") -> LayoutData:
    """Positions (and optional diameters, ids, nets) from a CSV file (module docstring).

    Args:
        path: the file (absolute, or relative to the current directory).
        units: length unit of the length columns whose header carries none (the array's ``units`` field).
        field: case field named by errors about the file; ``units_field``: the one naming ``units``.

    Raises:
        InputError: unreadable or not a small text file, a missing/unknown/repeated column, a unit missing or given
            twice, a cell that is not a number, a row with the wrong number of cells, no data rows, too many rows.
    """
    p = Path(path)
    text = _read_text(p, field)
    numbered = [(i, line) for i, line in enumerate(text.splitlines(), start=1)
                if line.strip() and not line.lstrip().startswith("#")]
    if len(numbered) < 2:
        raise InputError.single(field, f"'{p}' needs a header row (x, y, ...) and at least one data row")
    if len(numbered) - 1 > MAX_ITEMS:
        raise InputError.single(field, f"'{p}' has {len(numbered) - 1} data rows; at most {MAX_ITEMS}")
    head_line, head_text = numbered[0]
    cells = next(csv.reader([head_text]))
    cols: dict[str, tuple[int, str | None]] = {}
    default_unit = _length_unit(units, units_field, "units") if units is not None else None
    for j, cell in enumerate(cells):
        m = _HEAD.match(cell)
        name = m.group(1).lower() if m else None
        if name not in _COLUMNS:
            raise InputError.single(field, f"'{p}' line {head_line}: header cell {j + 1} is not one of the columns "
                                           f"{', '.join(_COLUMNS)} (a length column may carry its unit: 'x [mm]', "
                                           "'x (um)' or 'x_mm')")
        if name in cols:
            raise InputError.single(field, f"'{p}' line {head_line}: column '{name}' is given twice")
        unit = (m.group(2) or m.group(3) or m.group(4)) if m else None
        col_unit: str | None = None
        if name in _LENGTH_COLUMNS:
            if unit and units is not None:
                raise InputError.single(units_field, f"'{p}' gives the unit of column '{name}' in its header and "
                                                     "the case gives units too; give the unit once (remove units, "
                                                     "or the unit from the header)")
            if unit:
                col_unit = _length_unit(unit, field, f"'{p}' line {head_line}, column '{name}'")
            elif default_unit is not None:
                col_unit = default_unit
            else:
                raise InputError.single(units_field, f"'{p}': column '{name}' has no unit; write it in the header "
                                                     f"('{name} [mm]', '{name} (um)', '{name}_mm') or give the "
                                                     "array's units (e.g. units: um)")
        elif unit:
            raise InputError.single(field, f"'{p}' line {head_line}: column '{name}' is text and takes no unit")
        cols[name] = (j, col_unit)
    for need in ("x", "y"):
        if need not in cols:
            raise InputError.single(field, f"'{p}': no '{need}' column (header: {', '.join(cols) or 'none'}); "
                                           "the columns are x, y and optionally diameter, id, net")
    n_cols = len(cells)
    xy, dia, ids, nets, lines = [], [], [], [], []
    for line, row_text in numbered[1:]:
        row = next(csv.reader([row_text]))
        if len(row) != n_cols:
            raise InputError.single(field, f"'{p}' line {line} has {len(row)} cells under {n_cols} header names")
        nums = {}
        for name in _LENGTH_COLUMNS:
            if name not in cols:
                continue
            j, col_unit = cols[name]
            try:
                v = float(row[j])
            except ValueError:
                raise InputError.single(field, f"'{p}' line {line}: the '{name}' cell is not a number") from None
            if not math.isfinite(v):
                raise InputError.single(field, f"'{p}' line {line}: the '{name}' cell is not a finite number")
            nums[name] = to_si(v, "length", col_unit)
        if "diameter" in nums and not nums["diameter"] > 0:
            raise InputError.single(field, f"'{p}' line {line}: the diameter must be greater than zero")
        for name, out in (("id", ids), ("net", nets)):
            if name in cols:
                label = row[cols[name][0]].strip()
                if not _LABEL.match(label):
                    raise InputError.single(field, f"'{p}' line {line}: the '{name}' cell must be 1-64 letters, "
                                                   "digits or . _ + - / # : [ ] ( ) < > (no blanks)")
                out.append(label)
        xy.append((nums["x"], nums["y"]))
        if "diameter" in nums:
            dia.append(nums["diameter"])
        lines.append(line)
    if "id" in cols and len(set(ids)) != len(ids):
        seen: dict[str, int] = {}
        for k, label in enumerate(ids):
            if label in seen:
                raise InputError.single(field, f"'{p}' line {lines[k]}: id '{label}' is used twice (also line "
                                               f"{lines[seen[label]]}); ids name one item each")
            seen[label] = k
    return LayoutData(np.array(xy, dtype=float).reshape(-1, 2), np.array(dia) if "diameter" in cols else None,
                      tuple(ids) if "id" in cols else None, tuple(nets) if "net" in cols else None, tuple(lines))


def parse_ball_map(text: str, *, pitch: float, view: str, field: str = "map", source: str = "the map") -> LayoutData:
    """Positions of the populated cells of a JEDEC-style ball map (module docstring), relative to the grid centre.

    Args:
        text: the map.
        pitch: ball pitch in x and y, m.
        view: ``top`` (drawn as seen from above) or ``bottom`` (as seen from below: x mirrored).
        field: the case field named by errors; ``source``: how messages name the map (``'balls.txt'``).

    Returns:
        Positions in row order (A first), column order within a row; labels ``A1``, ``B12``, ...

    Raises:
        InputError: an empty map, row names out of the JEDEC sequence, a header that is not 1..n, rows of unequal
            length, a cell that is neither populated nor depopulated, no populated cell, a grid over 420 rows.
    """
    if view not in ("top", "bottom"):
        raise ValueError(f"view must be 'top' or 'bottom', got {view!r}")
    lines = [(i, line.split()) for i, line in enumerate(str(text).splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise InputError.single(field, f"{source} has no rows; write one line per row: its letter, then a cell per "
                                       "column (o populated, . depopulated)")
    header: list[str] | None = None
    if all(tok.isdigit() for tok in lines[0][1]):
        header = lines[0][1]
        head_line = lines[0][0]
        lines = lines[1:]
        if header != [str(k) for k in range(1, len(header) + 1)]:
            raise InputError.single(field, f"{source}, line {head_line}: the column numbers must read 1, 2, ..., "
                                           f"{len(header)} in order")
    if not lines:
        raise InputError.single(field, f"{source} has column numbers but no rows")
    try:
        names = row_names(len(lines))
    except ValueError as exc:
        raise InputError.single(field, f"{source} has {len(lines)} rows; {exc}") from None
    grid: list[list[bool]] = []
    for (line, toks), want in zip(lines, names):
        if toks[0] != want:
            hint = (" (JEDEC row letters omit I, O, Q, S, X and Z)" if toks[0].upper() in set("IOQSXZ")
                    or (len(toks[0]) == 2 and any(c in "IOQSXZ" for c in toks[0].upper())) else "")
            raise InputError.single(field, f"{source}, line {line}: row {len(grid) + 1} must be named '{want}'"
                                           f"{hint}; rows run A, B, C, ... from the top line of the drawing")
        cells = toks[1:]
        if len(cells) == 1 and len(cells[0]) > 1:
            cells = list(cells[0])
        bad = [c for c in cells if c not in _POPULATED and c not in _EMPTY]
        if bad:
            raise InputError.single(field, f"{source}, line {line} (row {want}): a cell is neither populated "
                                           "(o O x X * #) nor depopulated (. - +)")
        if not cells:
            raise InputError.single(field, f"{source}, line {line} (row {want}) has no cells")
        grid.append([c in _POPULATED for c in cells])
    n_cols = len(header) if header is not None else len(grid[0])
    for (line, _), want, row in zip(lines, names, grid):
        if len(row) != n_cols:
            raise InputError.single(field, f"{source}, line {line} (row {want}) has {len(row)} cells; every row "
                                           f"needs {n_cols} (one per column{' number' if header else ''})")
    n_rows = len(grid)
    if n_rows * n_cols > MAX_ITEMS:
        raise InputError.single(field, f"{source} is a {n_rows} x {n_cols} grid; at most {MAX_ITEMS} cells")
    sign = 1.0 if view == "top" else -1.0
    xy, labels, where = [], [], []
    for i, ((line, _), name, row) in enumerate(zip(lines, names, grid)):
        y = ((n_rows - 1) / 2.0 - i) * pitch
        for j, filled in enumerate(row):
            if filled:
                xy.append((sign * (j - (n_cols - 1) / 2.0) * pitch, y))
                labels.append(f"{name}{j + 1}")
                where.append(line)
    if not xy:
        raise InputError.single(field, f"{source} has no populated cell (o O x X * #)")
    return LayoutData(np.array(xy, dtype=float), None, tuple(labels), None, tuple(where))


def read_ball_map(path: Any, *, pitch: float, view: str, field: str = "file") -> LayoutData:
    """:func:`parse_ball_map` of a text file (a regular UTF-8 file of at most 1 MB)."""
    p = Path(path)
    return parse_ball_map(_read_text(p, field), pitch=pitch, view=view, field=field, source=f"'{p}'")


def layout_of(spec: Any, field: str) -> LayoutData:
    """The data of an array spec with ``pattern: file`` (a CSV) or ``pattern: ball_map`` (``file`` or ``map``).

    ``field`` is the array's dotted path; errors name ``<field>.file``, ``<field>.map`` or ``<field>.units``.
    """
    if spec.pattern == "file":
        return read_positions_csv(spec.file, units=spec.units, field=f"{field}.file", units_field=f"{field}.units")
    if spec.pattern == "ball_map":
        if spec.map is not None:
            return parse_ball_map(spec.map, pitch=spec.pitch, view=spec.view, field=f"{field}.map")
        return read_ball_map(spec.file, pitch=spec.pitch, view=spec.view, field=f"{field}.file")
    raise ValueError(f"pattern {spec.pattern!r} reads no layout file")


# --- the case's data files: anchored at the case file's folder and confined to it ---------------------------------


def _array_nodes(raw: dict) -> list[tuple[str, dict]]:
    """(dotted path, raw mapping) of every array of a raw stacked-package case that may name a layout file."""
    out: list[tuple[str, dict]] = []
    pkg = raw.get("package")
    if not isinstance(pkg, dict):
        return out
    carriers = pkg.get("carriers")
    if isinstance(carriers, dict):
        for side in ("bottom", "top"):
            car = carriers.get(side)
            chips = car.get("chips") if isinstance(car, dict) else None
            if isinstance(chips, list):
                for k, chip in enumerate(chips):
                    if isinstance(chip, dict) and isinstance(chip.get("bumps"), dict):
                        out.append((f"package.carriers.{side}.chips.{k}.bumps", chip["bumps"]))
    for key in ("interconnect", "top_balls", "bottom_balls"):
        if isinstance(pkg.get(key), dict):
            out.append((f"package.{key}", pkg[key]))
    return out


ARRAY_PATHS = "package.carriers.<side>.chips.<k>.bumps, package.interconnect, package.top_balls, package.bottom_balls"
"""The arrays whose ``file`` a case may give (for messages and docs)."""


def anchor_layout_files(raw: dict, base_dir: Path, allowed: list[Path]) -> list[Problem]:
    """Make every array's ``file`` absolute from the case file's folder ``base_dir``, in place, and return a problem
    for every one that leads outside the ``allowed`` folders (symbolic links resolved) or is not text.

    For :func:`fcpkg_fem.case.load_case` reading a case from a file, next to the materials' data files (the raw case
    then travels on, to batch workers and ``input_dict``, without the folder it came from); YAML text and dicts come
    from a script, which names its files itself (a relative path is then read from the current directory).
    """
    problems = []
    for path, node in _array_nodes(raw):
        text = node.get("file")
        if not isinstance(text, str) or not text.strip():
            continue
        if not Path(text).is_absolute():
            node["file"] = str(base_dir / text)
        msg = outside(Path(node["file"]), allowed)
        if msg:
            problems.append(Problem(f"{path}.file", f"'{text}' {msg}"))
    return problems
