"""Writers: each turns a :class:`~fcpkg_fem.result.RunResult` into files of a run folder, registered by name.

A writer is a function ``writer(result, out_dir) -> list[Path]`` that writes its files atomically into the existing
folder ``out_dir`` and returns their paths. ``@register_writer(name, order=...)`` adds it to :data:`WRITERS`;
:func:`fcpkg_fem.io.output.write_all` runs the selected writers in ascending ``order``, ``summary`` last, so the
presence of ``summary.json`` marks a complete run. The files are described in docs/outputs.md.

Built-in writers: ``csv`` (history.csv, bumps.csv, vias.csv), ``vtu`` (fields_<index>.vtu, fields.pvd,
regions.json), ``plots`` (PNG, :mod:`fcpkg_fem.io.plots`), ``report`` (report.html, :mod:`fcpkg_fem.io.report`),
``summary`` (summary.json).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any, Iterable
from xml.sax.saxutils import quoteattr

import numpy as np

from fcpkg_fem.io.atomic import atomic_write_text
from fcpkg_fem.io.registry import Writer, WRITERS, output_index, register_writer
from fcpkg_fem.io.vtu import VtuGeometry, write_vtu_file
from fcpkg_fem.post.result import RunResult

__all__ = [
    "WRITERS",
    "Writer",
    "register_writer",
    "summary_json",
    "write_summary",
    "write_csv",
    "write_vtu",
    "ITEM_TABLES",
]

# --------------------------------------------------------------------------------------------------- summary.json


def _json_default(obj: Any) -> Any:
    # The summary contract is plain JSON types; numpy scalars/arrays slipping through are converted, not refused.
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return obj.as_posix()
    raise TypeError(f"summary: value of type {type(obj).__name__} is not JSON serialisable: {obj!r}")


def _find_non_finite(obj: Any, where: str = "summary") -> str | None:
    """Return the key path of the first NaN/inf in ``obj``, or None."""
    if isinstance(obj, (float, np.floating)):
        return None if math.isfinite(obj) else where
    if isinstance(obj, dict):
        for k, v in obj.items():
            hit = _find_non_finite(v, f"{where}[{k!r}]")
            if hit:
                return hit
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            hit = _find_non_finite(v, f"{where}[{i}]")
            if hit:
                return hit
    elif isinstance(obj, np.ndarray) and obj.dtype.kind == "f" and not np.all(np.isfinite(obj)):
        return where
    return None


def summary_json(summary: dict[str, Any]) -> str:
    """Serialise the summary: indent 2, keys in the order they were built, NaN and infinity refused.

    Raises:
        ValueError: a number is NaN or infinite (JSON has no such value); the message names its key path.
    """
    bad = _find_non_finite(summary)
    if bad:
        raise ValueError(f"{bad}: non-finite number; summary.json accepts finite numbers only")
    return json.dumps(summary, indent=2, allow_nan=False, ensure_ascii=False, default=_json_default) + "\n"


@register_writer("summary", order=1000)
def write_summary(result: RunResult, out_dir: Path) -> list[Path]:
    """Write ``summary.json`` (exactly ``result.summary``)."""
    return [atomic_write_text(Path(out_dir) / "summary.json", summary_json(result.summary))]


# ------------------------------------------------------------------------------------------------------------ CSV

#: summary output sections with per-item tables -> CSV file name.
ITEM_TABLES = {"bumps": "bumps.csv", "vias": "vias.csv"}


def _csv_cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))  # shortest repr that round-trips exactly
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return str(v)


def _csv_text(header: list[str], rows: Iterable[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([_csv_cell(row.get(k)) for k in header])
    return buf.getvalue()


def history_rows(result: RunResult) -> tuple[list[str], list[dict[str, Any]]]:
    """Header and rows of history.csv: ``index`` first, then the sorted union of every row's keys.

    A row without ``index`` gets its position. A key missing from a row gives an empty cell.
    """
    rows = []
    for i, r in enumerate(result.history):
        row = dict(r)
        row.setdefault("index", i)
        rows.append(row)
    keys = sorted({k for r in rows for k in r} - {"index"})
    return ["index", *keys], rows


def item_rows(result: RunResult, section: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Header and rows of the per-item table of ``section`` (``bumps`` or ``vias``) over every output.

    One row per item per output: ``index, time_s, temperature_C, region, critical`` then ``id``, ``label`` and
    ``net`` (when the layout file gave them), ``x_mm, y_mm`` and the sorted remaining item keys. ``critical`` is 1
    for the region's critical item at that output. No items: no rows.
    """
    fixed = ["index", "time_s", "temperature_C", "region", "critical"]
    first_item_keys = ["id", "label", "net", "x_mm", "y_mm"]
    rows: list[dict[str, Any]] = []
    item_keys: set[str] = set()
    for pos, out in enumerate(result.outputs):
        for region, table in (out.get(section) or {}).items():
            crit = (table.get("critical") or {}).get("id")
            for item in table.get("items") or []:
                item_keys.update(item)
                rows.append({
                    "index": out.get("index", pos),
                    "time_s": out.get("time_s"),
                    "temperature_C": out.get("temperature_C"),
                    "region": region,
                    "critical": int(crit is not None and item.get("id") == crit),
                    **item,
                })
    rest = sorted(item_keys - set(first_item_keys) - set(fixed))
    return fixed + [k for k in first_item_keys if k in item_keys] + rest, rows


VAPOUR_COLUMNS = ["increment", "step", "time_s", "temperature_C", "interface", "max_MPa", "x_mm", "y_mm", "z_mm",
                  "temperature_at_max_C", "concentration_kg_per_m3", "saturated", "saturation_pressure_MPa",
                  "mean_MPa", "saturated_area_fraction"]
"""Columns of vapour_pressure.csv (one row per increment and interface; docs/moisture.md)."""


@register_writer("csv", order=10)
def write_csv(result: RunResult, out_dir: Path) -> list[Path]:
    """Write ``history.csv``, when the summary has per-item tables ``bumps.csv`` / ``vias.csv``, and when the run
    models moisture ``vapour_pressure.csv`` (:data:`VAPOUR_COLUMNS`)."""
    out_dir = Path(out_dir)
    header, rows = history_rows(result)
    written = [atomic_write_text(out_dir / "history.csv", _csv_text(header, rows))]
    for section, fname in ITEM_TABLES.items():
        header, rows = item_rows(result, section)
        if rows:
            written.append(atomic_write_text(out_dir / fname, _csv_text(header, rows)))
    if result.vapour:
        written.append(atomic_write_text(out_dir / "vapour_pressure.csv", _csv_text(VAPOUR_COLUMNS, result.vapour)))
    return written


# ------------------------------------------------------------------------------------------------------------ VTU


def pvd_timesteps(result: RunResult) -> list[float]:
    """``timestep`` of each output in fields.pvd: ``time_s`` if every output has one, else the output index.

    All-or-nothing, because a mix of seconds and indices on one time axis would mislead.
    """
    outs = result.summary.get("outputs") or []
    n = len(result.fields)
    times = [outs[i].get("time_s") if i < len(outs) else None for i in range(n)]
    if n and all(t is not None for t in times):
        return [float(t) for t in times]
    return [float(output_index(result, i)) for i in range(n)]


def regions_map(result: RunResult) -> dict[str, str]:
    """Region index (as a string, JSON keys being strings) -> region name."""
    return {str(i): name for i, name in enumerate(result.region_names)}


def vtu_geometry(result: RunResult) -> VtuGeometry:
    """The run's mesh, encoded once for all its VTU files: points in m, hexahedra and the ``region`` cell array
    (region names go to the companion ``regions.json``)."""
    return VtuGeometry.of(np.asarray(result.points, dtype=float), result.cells,
                          {"region": np.asarray(result.cell_region, dtype=np.int32)})


def pvd_text(files: list[str], timesteps: list[float]) -> str:
    """ParaView collection file listing ``files`` (relative paths) at ``timesteps``."""
    lines = ['<?xml version="1.0"?>',
             '<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">',
             "  <Collection>"]
    for f, t in zip(files, timesteps):
        lines.append(f'    <DataSet timestep="{t!r}" group="" part="0" file={quoteattr(f)}/>')
    lines += ["  </Collection>", "</VTKFile>", ""]
    return "\n".join(lines)


@register_writer("vtu", order=20)
def write_vtu(result: RunResult, out_dir: Path) -> list[Path]:
    """Write ``fields_<index>.vtu`` per output, ``fields.pvd`` (time collection) and ``regions.json``."""
    out_dir = Path(out_dir)
    written: list[Path] = []
    names: list[str] = []
    geometry = vtu_geometry(result)
    for pos, fs in enumerate(result.fields):
        fname = f"fields_{output_index(result, pos)}.vtu"
        written.append(write_vtu_file(out_dir / fname, geometry, fs.point_data, fs.cell_data))
        names.append(fname)
    written.append(atomic_write_text(out_dir / "fields.pvd", pvd_text(names, pvd_timesteps(result))))
    written.append(atomic_write_text(out_dir / "regions.json", json.dumps(regions_map(result), indent=2) + "\n"))
    return written


