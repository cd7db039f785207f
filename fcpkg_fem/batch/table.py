"""The headline numbers of a run and the batch results table (``results.csv``, ``results.parquet``).

Headline numbers (:func:`headline`), one value per case whatever its number of outputs, taken from ``summary.json``:

* warpage of each face (``bottom``, ``top``): the signed value (um, + convex / - concave, docs/outputs.md) at the
  **first** and the **last** output, and the **extreme** one (largest magnitude over all outputs) with the
  temperature where it occurs. First and last are the process's start and end (e.g. the mold temperature and room
  temperature after cool-down); the extreme is what a coplanarity limit is checked against.
* peak von Mises stress of the adhesive and of the encapsulant (MPa): the largest over all outputs, and where
  (temperature).
* critical bump and critical via (or trace): the largest volume-averaged equivalent strain over every bump
  (via) region and output, with ``<region>#<id>`` and the temperature.
* fatigue life of a thermal-cycling history (its last ``thermal_cycle`` step with a complete cycle): the critical
  joint (``<region>#<id>``, the largest per-cycle inelastic work density in a pad layer over every joint region),
  that work density (MJ/m^3 per cycle) and, per life model, the shortest estimate over the joint regions, each
  taken at the model's own critical joint (Engelmaier's: the largest strain range; cycles to failure; docs/models.md).

A case without some part (a laminate has no adhesive, no bumps) leaves those cells empty.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any, Iterable

from fcpkg_fem.io.atomic import atomic_path, atomic_write_text

__all__ = ["HEADLINE_COLUMNS", "RUN_COLUMNS", "headline", "read_table", "write_table"]

FACES = ("bottom", "top")
STRESS_REGIONS = ("adhesive", "encapsulant")
ITEM_SECTIONS = (("bump", "bumps"), ("via", "vias"))
LIFE_MODELS = ("darveaux", "syed", "engelmaier")

HEADLINE_COLUMNS: tuple[str, ...] = (
    "dofs", "T_first_C", "T_last_C",
    *(f"warpage_{f}_{k}" for f in FACES for k in ("first_um", "last_um", "extreme_um", "extreme_at_C")),
    *(f"{r}_von_mises_max_{k}" for r in STRESS_REGIONS for k in ("MPa", "at_C")),
    *(f"{n}_{k}" for n, _ in ITEM_SECTIONS for k in ("eq_strain_max", "critical", "critical_at_C")),
    "life_critical", "life_dW_layer_MJ_m3", *(f"life_{m}_cycles" for m in LIFE_MODELS),
)
"""Columns of :func:`headline`, in table order (units in the names; ``*_at_C``: temperature of the extreme)."""

RUN_COLUMNS: tuple[str, ...] = ("folder", "status", "source", "sweep", "case", "case_hash", "exit_code",
                                "error_type", "error", "wall_time_s")
"""Bookkeeping columns that lead the table. ``status``: ok | failed | invalid | pending (not run yet)."""


def headline(summary: dict) -> dict[str, Any]:
    """The headline numbers of one run (see the module docstring) from its ``summary.json`` content."""
    outs = summary.get("outputs") or []
    row: dict[str, Any] = {"dofs": (summary.get("mesh") or {}).get("dofs")}
    if not outs:
        return row
    row["T_first_C"], row["T_last_C"] = outs[0]["temperature_C"], outs[-1]["temperature_C"]
    for face in FACES:
        ws = [((o.get("warpage") or {}).get(face), o["temperature_C"]) for o in outs]
        ws = [(w["signed_um"], T) for w, T in ws if w]
        if not ws:
            continue
        row[f"warpage_{face}_first_um"], row[f"warpage_{face}_last_um"] = ws[0][0], ws[-1][0]
        ext = max(ws, key=lambda wt: abs(wt[0]))  # first of equal magnitudes: max() keeps the earliest
        row[f"warpage_{face}_extreme_um"], row[f"warpage_{face}_extreme_at_C"] = ext
    for region in STRESS_REGIONS:
        vs = [((o.get("regions") or {}).get(region), o["temperature_C"]) for o in outs]
        vs = [(r["von_mises_max_MPa"], T) for r, T in vs if r]
        if vs:
            row[f"{region}_von_mises_max_MPa"], row[f"{region}_von_mises_max_at_C"] = max(vs, key=lambda v: v[0])
    for name, section in ITEM_SECTIONS:
        best = None
        for o in outs:
            for region, tab in sorted((o.get(section) or {}).items()):
                c = (tab or {}).get("critical")
                if c and (best is None or c["eq_strain"] > best[0]):
                    best = (c["eq_strain"], f"{region}#{c['id']}", o["temperature_C"])
        if best is not None:
            row[f"{name}_eq_strain_max"], row[f"{name}_critical"], row[f"{name}_critical_at_C"] = best
    row.update(_life(summary))
    return row


def _life(summary: dict) -> dict[str, Any]:
    """The life columns of the last cycling step that has estimates (empty without one)."""
    steps = [s for s in ((summary.get("life") or {}).get("steps") or {}).values() if s]
    if not steps:
        return {}
    regions = sorted(steps[-1].items())
    region, entry = max(regions, key=lambda re: re[1]["critical"]["dW_layer_MJ_m3"])  # first of equals kept
    row: dict[str, Any] = {"life_critical": f"{region}#{entry['critical']['id']}",
                           "life_dW_layer_MJ_m3": entry["critical"]["dW_layer_MJ_m3"]}
    for m in LIFE_MODELS:
        lives = [e["estimates"][m]["cycles"] for _, e in regions if m in (e.get("estimates") or {})]
        lives = [float(n) for n in lives if n is not None and math.isfinite(n)]
        if lives:
            row[f"life_{m}_cycles"] = min(lives)
    return row


def _cell(v: Any) -> str:
    """CSV text of a value: floats in Python's shortest exact form (they read back bit for bit), None empty."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ""
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def columns_of(rows: Iterable[dict], param_columns: Iterable[str]) -> list[str]:
    """Table columns: bookkeeping, then parameters (in first-seen order), then headline numbers."""
    params = list(dict.fromkeys(param_columns))
    return [*RUN_COLUMNS, *params, *HEADLINE_COLUMNS]


def write_table(rows: list[dict], param_columns: list[str], out_dir: str | Path) -> list[Path]:
    """Write ``results.csv`` (and ``results.parquet`` when pyarrow imports) atomically into ``out_dir``.

    Returns the paths written.
    """
    out_dir = Path(out_dir)
    cols = columns_of(rows, param_columns)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in cols])
    written = [atomic_write_text(out_dir / "results.csv", buf.getvalue())]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return written
    data = {}
    for c in cols:
        vals = [r.get(c) for r in rows]
        numeric = [v for v in vals if v is not None]
        if numeric and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numeric) \
                and c not in param_columns:
            data[c] = pa.array([None if v is None else float(v) for v in vals], type=pa.float64())
        else:
            data[c] = pa.array([None if v is None else _cell(v) for v in vals], type=pa.string())
    path = out_dir / "results.parquet"
    with atomic_path(path) as tmp:
        pq.write_table(pa.table(data), tmp)
    return [*written, path]


def read_table(path: str | Path) -> list[dict[str, str]]:
    """``results.csv`` as a list of rows (column -> text; empty cells are '')."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
