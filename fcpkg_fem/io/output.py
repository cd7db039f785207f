"""Writing a run folder: every selected writer in its order, ``summary.json`` last.

Importing this module registers every built-in writer: ``csv`` and ``vtu`` and ``summary``
(:mod:`~fcpkg_fem.io.writers`), ``plots`` (:mod:`~fcpkg_fem.io.plots`), ``report`` (:mod:`~fcpkg_fem.io.report`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Iterable

from fcpkg_fem.io import plots, report, writers  # noqa: F401  (registration)
from fcpkg_fem.io.atomic import clean_stale_temps
from fcpkg_fem.io.registry import WRITERS
from fcpkg_fem.post.result import RunResult


def _rel(path: Path, out_dir: Path) -> str:
    return Path(path).resolve().relative_to(out_dir.resolve()).as_posix()


def _old_files(out_dir: Path) -> dict[str, list[str]]:
    """``files`` of a summary.json already in ``out_dir`` (a previous run), {} if none or unreadable."""
    try:
        files = json.loads((out_dir / "summary.json").read_text(encoding="utf-8")).get("files") or {}
    except (OSError, ValueError, AttributeError):
        return {}
    return {k: [str(p) for p in v] for k, v in files.items() if isinstance(v, list)} if isinstance(files, dict) else {}


def _record_write_time(summary: dict[str, Any], elapsed: float) -> None:
    """Set ``timing_s.write`` to ``elapsed`` and move ``timing_s.total`` by the same change, if the section exists."""
    timing = summary.get("timing_s")
    if not isinstance(timing, dict):
        return
    prev = timing.get("write") or 0.0
    timing["write"] = elapsed
    if timing.get("total") is not None:
        timing["total"] = timing["total"] - prev + elapsed


def write_all(result: RunResult, out_dir: str | os.PathLike, names: Iterable[str] | None = None) -> dict[str, list[Path]]:
    """Write the selected writers' files into ``out_dir`` (created if needed); return name -> written paths.

    Order: ascending writer order (csv, vtu, plots, report, summary), so ``summary.json`` comes last and its presence
    marks a complete run. When ``summary`` is among the writers, an existing ``summary.json`` is removed first
    (a folder being rewritten is not complete), and files a previous run listed for a rewritten writer but this run
    did not write (e.g. ``fields_9.vtu`` when there are now fewer outputs) are removed at the end (only when
    ``summary`` is among the writers).

    Side effects on ``result``: ``summary["files"]`` gets the relative paths written (entries of writers not run
    now are kept); ``summary["timing_s"]["write"]`` (and ``total``, adjusted) get the time spent writing, when the
    summary has a ``timing_s`` section; ``result.out_dir`` is set.

    Raises:
        KeyError: an unknown writer name (the message lists the known ones).
    """
    start = time.perf_counter()
    out_dir = Path(out_dir)
    selected = list(WRITERS) if names is None else list(dict.fromkeys(names))
    unknown = [n for n in selected if n not in WRITERS]
    if unknown:
        raise KeyError(f"unknown writer(s) {unknown}; known: {sorted(WRITERS)}")
    chosen = sorted((WRITERS[n] for n in selected), key=lambda w: (w.order, w.name))

    out_dir.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(out_dir)
    old = _old_files(out_dir)
    if "summary" in selected:
        (out_dir / "summary.json").unlink(missing_ok=True)

    files: dict[str, list[str]] = dict(result.summary.get("files") or {})
    written: dict[str, list[Path]] = {}
    for w in chosen:
        _record_write_time(result.summary, time.perf_counter() - start)  # so far; the report shows it too
        if w.name == "summary":
            # Record everything, summary.json included, before it is serialised.
            files["summary"] = ["summary.json"]
            result.summary["files"] = files
        else:
            # Give the report the list of what exists so far (and what will): it prints the file list.
            result.summary["files"] = {**files, **({"summary": ["summary.json"]} if "summary" in selected else {})}
        paths = w.fn(result, out_dir)
        written[w.name] = list(paths)
        files[w.name] = [_rel(p, out_dir) for p in paths]
    result.summary["files"] = files
    result.out_dir = out_dir

    # Only when summary.json is rewritten: a summary left standing keeps listing (and needing) its files.
    for name in written if "summary" in written else ():
        stale = set(old.get(name, [])) - set(files.get(name, []))
        for rel in stale:
            p = out_dir / rel
            # Only plain files inside out_dir; a hand-edited summary must not make us delete elsewhere.
            if ".." not in Path(rel).parts and not Path(rel).is_absolute() and p.is_file():
                p.unlink()
    return written
