"""Run many cases: a local process pool by default, a Dask distributed cluster when one is named.

Every case runs through :func:`run_case` (the same function on either executor): it rebuilds the case from its raw
data and overrides, checks that it resolves to the hash the batch computed, and calls :func:`fcpkg_fem.run.pipeline.run`
with ``write=True`` into the case's own folder, with a mesh cache shared by the whole batch. A failure is caught,
written to ``failure.json`` in the folder and returned; it never stops the other cases.

A case is *finished* when its folder's ``summary.json`` exists, parses and its ``case.hash`` equals the resolved
case's hash. ``summary.json`` is written last and atomically by the writers, so a case killed at any moment never
looks finished, and :func:`run_batch` run again on the same inputs runs exactly the cases that are not finished.
The results table is rebuilt from the folders at the end (and on Ctrl-C), never accumulated in memory only.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Sequence

from fcpkg_fem.batch.sweep import Sweep, Variant, case_variant, flow_text, is_sweep, load_sweep, variants_of
from fcpkg_fem.batch.table import headline, write_table
from fcpkg_fem.case import load_case
from fcpkg_fem.case.yamlio import read_yaml
from fcpkg_fem.errors import FcpkgError, FolderBusy, InputError, Problem
from fcpkg_fem.io.atomic import atomic_write_text
from fcpkg_fem.io.lock import folder_lock
from fcpkg_fem.run import pipeline
from fcpkg_fem.run.workers import die_with_parent

__all__ = ["BatchResult", "expand", "finished", "run_batch", "run_case"]

SUMMARY = "summary.json"
FAILURE = "failure.json"
VARIANT = "variant.json"
RUN_LOG = "run.log"
MESH_CACHE = "mesh_cache"

Progress = Callable[[str], None] | None

class BatchUsageError(InputError):
    """A bad batch argument (workers, scheduler): exit code 2 like any input error, without the "invalid case"
    heading (the case files are fine)."""

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


# gmsh keeps one global model per process and is not thread-safe: a Dask worker started with several threads runs
# its cases one at a time (start workers with --nthreads 1 to use every core; docs/batch.md).
_RUN_LOCK = threading.Lock()


def default_workers() -> int:
    """min(2, number of CPUs): each case already uses the memory bandwidth of about one core."""
    return max(1, min(2, os.cpu_count() or 1))


# ------------------------------------------------------------------------------------------------ expand


def expand(items: Any, overrides: Sequence[str] = ()) -> list[Variant]:
    """Every variant of the given case files, sweep files (paths), :class:`Sweep` objects or raw case dicts.

    Each is validated here; invalid variants are returned with their problems. Problems of the files themselves
    (missing file, bad YAML, bad sweep file) are collected over every item and raised together.

    Raises:
        InputError: every file-level problem.
    """
    if isinstance(items, (str, os.PathLike, Sweep, dict)):
        items = [items]
    out: list[Variant] = []
    problems: list[Problem] = []
    for item in items:
        try:
            if isinstance(item, Sweep):
                out += variants_of(item, overrides)
            elif isinstance(item, dict):
                out.append(Variant("<dict>", "", 0, (), item, tuple(overrides)).validate())
            else:
                path = Path(item)
                if not path.is_file():
                    raise InputError.single(str(item), "case or sweep file not found" if not path.exists()
                                            else "not a regular file")
                raw = read_yaml(path)
                if is_sweep(raw):
                    out += variants_of(load_sweep(path, raw, overrides), overrides)
                else:
                    out.append(case_variant(path, raw, overrides))
        except InputError as err:
            problems += err.problems
    if problems:
        raise InputError(problems)
    return out


# ------------------------------------------------------------------------------------------------ worker


def finished(folder: str | os.PathLike, case_hash: str) -> bool:
    """True when ``folder/summary.json`` exists, parses and belongs to the case with this hash."""
    try:
        with open(Path(folder) / SUMMARY, encoding="utf-8") as fh:
            s = json.load(fh)
        return s["case"]["hash"] == case_hash
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _failure_record(err: BaseException, t0: float) -> dict:
    rec = {"status": "failed", "error_type": type(err).__name__, "error": str(err).strip(),
           "exit_code": int(getattr(err, "exit_code", 1)), "wall_time_s": round(time.perf_counter() - t0, 3)}
    if not isinstance(err, FcpkgError):  # an internal error: keep the traceback for the bug report
        rec["traceback"] = "".join(traceback.format_exception(err))
    return rec


def _write_failure(folder: Path, case_hash: str, rec: dict) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / FAILURE, json.dumps({"case_hash": case_hash, **rec}, indent=2) + "\n")
    except OSError:
        pass  # the record still reaches the caller; the table then shows the case as pending


def run_case(task: dict) -> dict:
    """Run one case of a batch into its folder; never raises for a failing case.

    Args:
        task: ``folder`` (absolute path), ``raw`` (the base case as plain data), ``overrides`` (list of
            ``path=value``), ``hash`` (the resolved case's SHA-256 the batch expects), ``mesh_cache`` (folder),
            ``source`` (the file it came from).

    Returns:
        ``status`` (ok | failed), ``wall_time_s``, ``worker`` (host:pid) and for a failure ``error_type``,
        ``error``, ``exit_code`` (the class of the error, docs/exit_codes.md) and ``traceback`` (internal errors).
    """
    t0 = time.perf_counter()
    folder = Path(task["folder"])
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        with _RUN_LOCK:
            case = load_case(task["raw"], overrides=task["overrides"])
            if case.hash() != task["hash"]:
                raise InputError.single(task["source"], "this worker resolves the case to another hash than the "
                                        "batch did: run the same fcpkg-fem version everywhere")
            folder.mkdir(parents=True, exist_ok=True)
            with folder_lock(folder, field=task["source"]), open(folder / RUN_LOG, "w", encoding="utf-8") as log:
                (folder / FAILURE).unlink(missing_ok=True)

                def progress(msg: str) -> None:
                    log.write(f"[{time.perf_counter() - t0:7.1f}s] {msg}\n")
                    log.flush()

                # pipeline.run takes this folder's lock again: the process owns it already (POSIX locks are
                # per process), and releases it when pipeline.run closes its descriptor at the end of the run
                pipeline.run(case, out_dir=folder, progress=progress, mesh_cache=task["mesh_cache"], write=True,
                             source=task["source"], jobs=task.get("jobs"))
        return {"status": "ok", "wall_time_s": round(time.perf_counter() - t0, 3), "worker": worker}
    except FolderBusy as err:  # another process (an earlier batch's worker) writes this folder: leave it alone
        return {"status": "busy", "error_type": type(err).__name__, "error": str(err), "exit_code": err.exit_code,
                "wall_time_s": round(time.perf_counter() - t0, 3), "worker": worker}
    except Exception as err:  # noqa: BLE001 - a failing case is recorded, the batch goes on
        rec = {**_failure_record(err, t0), "worker": worker}
        _write_failure(folder, task["hash"], rec)
        return rec


# ------------------------------------------------------------------------------------------------- batch


@dataclass
class BatchResult:
    """What :func:`run_batch` did.

    Attributes:
        out_dir: the batch folder.
        rows: the results table, one dict per variant (columns of :mod:`fcpkg_fem.batch.table`).
        ran: folder names of the cases run by this call (finished or failed).
        skipped: folder names found finished and not run again.
        records: folder name -> what :func:`run_case` returned, for the cases run by this call.
        tables: the table files written.
    """

    out_dir: Path
    rows: list[dict]
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    records: dict[str, dict] = field(default_factory=dict)
    tables: list[Path] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r["status"] == status)

    @property
    def ok(self) -> bool:
        """True when every case of the batch finished."""
        return all(r["status"] == "ok" for r in self.rows)


def _row(v: Variant, out_dir: Path) -> dict:
    """The table row of a variant, from its folder (never from memory)."""
    row: dict[str, Any] = {"folder": v.folder, "source": v.source, "sweep": v.sweep,
                           "case": (v.case.name if v.case is not None else v.raw.get("name"))}
    row.update({path: (val if isinstance(val, str) else _param_text(val)) for _, path, val in v.params})
    if not v.valid:
        row.update(status="invalid", exit_code=2, error_type="InputError",
                   error="; ".join(str(p) for p in v.problems))
        return row
    row["case_hash"] = v.hash
    folder = out_dir / v.folder
    if finished(folder, v.hash):
        with open(folder / SUMMARY, encoding="utf-8") as fh:
            s = json.load(fh)
        row.update(status="ok", exit_code=0, wall_time_s=(s.get("timing_s") or {}).get("total"))
        row.update(headline(s))
        return row
    try:
        with open(folder / FAILURE, encoding="utf-8") as fh:
            f = json.load(fh)
        if f.get("case_hash") == v.hash:
            row.update(status="failed", exit_code=f.get("exit_code"), error_type=f.get("error_type"),
                       error=f.get("error"), wall_time_s=f.get("wall_time_s"))
            return row
    except (OSError, ValueError):
        pass
    row["status"] = "pending"
    return row


def _param_text(v: Any) -> Any:
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else flow_text(v)


def _task(v: Variant, out_dir: Path, mesh_cache: Path) -> dict:
    return {"folder": str(out_dir / v.folder), "raw": v.raw, "overrides": list(v.overrides), "hash": v.hash,
            "mesh_cache": str(mesh_cache), "source": v.source}


def _describe(v: Variant) -> dict:
    return {"source": v.source, "sweep": v.sweep, "index": v.index, "case_hash": v.hash,
            "params": [{"label": lab, "path": p, "value": val} for lab, p, val in v.params],
            "overrides": list(v.overrides)}


def _fmt_s(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min"


def run_batch(items: Any, out_dir: str | os.PathLike, *, workers: int | None = None, scheduler: str | None = None,
              client: Any = None, overrides: Sequence[str] = (), progress: Progress = None,
              mesh_cache: str | os.PathLike | None = None) -> BatchResult:
    """Run case files, sweep files (or :class:`Sweep` objects, raw case dicts) as one batch into ``out_dir``.

    Args:
        items: one item or a list (see :func:`expand`).
        out_dir: the batch folder: one sub-folder per case, ``results.csv`` (+ ``results.parquet``), the mesh cache.
        workers: processes of the local pool (default :func:`default_workers`); ignored on a Dask cluster.
        scheduler: address of a Dask scheduler (``tcp://host:port``): run there through ``distributed.Client``.
        client: an existing ``distributed.Client`` (e.g. on a ``LocalCluster``); it is not closed here.
        overrides: ``path=value`` overrides applied to every case (after a sweep's ``set``, before its axes).
        progress: receives one line per finished case (count/total, elapsed, ETA) and a few status lines.
        mesh_cache: folder of cached footprint meshes (default ``out_dir/mesh_cache``).

    Returns:
        The :class:`BatchResult`; ``rows`` is the table also written to ``out_dir/results.csv``.

    Raises:
        InputError: a file-level problem (nothing is run), a bad ``workers`` value, no ``distributed`` package or
            no scheduler at ``scheduler``.
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise BatchUsageError.single("workers", f"expected a whole number >= 1, got {workers!r}")
    if scheduler is not None and client is not None:
        raise BatchUsageError.single("scheduler", "give a scheduler address or a client, not both")
    t_start = time.perf_counter()
    say = progress or (lambda _msg: None)
    variants = expand(items, overrides)
    own_client = client is None and scheduler is not None
    if own_client:  # connect before anything is written: a wrong address is a usage error, not a batch state
        client = _connect(scheduler)
    try:
        return _run(variants, out_dir, workers, client, mesh_cache, say, t_start)
    finally:
        if own_client:
            client.close()


def _connect(scheduler: str) -> Any:
    try:
        import distributed
    except ImportError:
        raise BatchUsageError.single("scheduler", "running on a Dask cluster needs the 'distributed' package: "
                                     "pip install 'fcpkg-fem[cluster]'") from None
    try:
        return distributed.Client(scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as err:
        raise BatchUsageError.single("scheduler", f"cannot connect to a Dask scheduler at {scheduler!r}: "
                                                  f"{err}") from None


def _run(variants: list[Variant], out_dir, workers: int | None, client: Any, mesh_cache, say: Callable[[str], None],
         t_start: float) -> BatchResult:
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    cache = Path(mesh_cache).resolve() if mesh_cache is not None else out_dir / MESH_CACHE
    # the same resolved case twice (e.g. repeated values) lands in one folder: run it once, list it once
    unique: dict[str, Variant] = {}
    for v in variants:
        unique.setdefault(v.folder, v)
    variants = list(unique.values())
    invalid = [v for v in variants if not v.valid]
    for v in invalid:
        say(f"invalid, not run: {v.folder} ({v.source} #{v.index}): " + "; ".join(str(p) for p in v.problems))
    valid = [v for v in variants if v.valid]
    skipped = [v.folder for v in valid if finished(out_dir / v.folder, v.hash)]
    todo = [v for v in valid if v.folder not in set(skipped)]
    result = BatchResult(out_dir, rows=[], skipped=skipped)
    try:
        if todo:
            for v in todo:
                (out_dir / v.folder).mkdir(exist_ok=True)
                atomic_write_text(out_dir / v.folder / VARIANT, json.dumps(_describe(v), indent=2) + "\n")
            where = _run_tasks(todo, out_dir, cache, workers, client, say, result, t_start, len(skipped),
                               len(invalid))
        else:
            where = "nothing to run"
        say(f"batch done: {len(result.ran)} run, {len(skipped)} already finished, {len(invalid)} invalid "
            f"({where}) in {_fmt_s(time.perf_counter() - t_start)}")
    finally:
        # rebuilt from the folders, also after Ctrl-C: unfinished cases show as pending
        result.rows = [_row(v, out_dir) for v in variants]
        params = [p for v in variants for _, p, _ in v.params]
        result.tables = write_table(result.rows, params, out_dir)
    return result


def _run_tasks(todo: list[Variant], out_dir: Path, cache: Path, workers: int | None, client: Any,
               say: Callable[[str], None], result: BatchResult, t_start: float, n_skipped: int,
               n_invalid: int) -> str:
    tasks = {v.folder: _task(v, out_dir, cache) for v in todo}
    total = len(tasks)
    done = 0

    def finish(name: str, rec: dict) -> None:
        nonlocal done
        done += 1
        result.ran.append(name)
        result.records[name] = rec
        if rec.get("status") not in ("ok", "busy") and not (out_dir / name / FAILURE).exists():
            _write_failure(out_dir / name, tasks[name]["hash"], rec)
        el = time.perf_counter() - t_start
        eta = el / done * (total - done)
        first_line = (rec.get("error") or "").splitlines()[:1] or [""]
        tail = "" if rec["status"] == "ok" else f": {rec['error_type']}: {first_line[0][:200]}"
        say(f"[{done}/{total}] {rec['status']:<6} {name} ({rec['wall_time_s']:.1f} s){tail} | elapsed "
            f"{_fmt_s(el)}, ETA {_fmt_s(eta)}")

    head = f"batch: {total} to run, {n_skipped} already finished, {n_invalid} invalid; "
    if client is None:
        n = min(workers or default_workers(), total)
        where = f"local pool of {n} process{'es' if n > 1 else ''}"
        say(head + where)
        if n > 1:  # the pool uses the cores already: each case runs its submodels one after another
            tasks = {name: {**t, "jobs": 1} for name, t in tasks.items()}
        # spawn, not fork: a forked child would inherit gmsh's and the BLAS libraries' thread state
        with ProcessPoolExecutor(max_workers=n, mp_context=get_context("spawn"), initializer=die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            futs = {pool.submit(run_case, t): name for name, t in tasks.items()}
            try:
                for fut in as_completed(futs):
                    try:
                        rec = fut.result()
                    except Exception as err:  # noqa: BLE001 - e.g. a worker process killed (BrokenProcessPool)
                        rec = _failure_record(err, time.perf_counter())
                    finish(futs[fut], rec)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        return where
    import distributed  # a client was given or connected: the package is there

    n_workers = len(client.scheduler_info().get("workers", {}))
    where = f"Dask cluster {client.scheduler.address} ({n_workers} workers)"
    say(head + where)
    names = list(tasks)  # a Dask worker's cores are the cluster's to share: submodels one after another
    futs = client.map(run_case, [{**tasks[n], "jobs": 1} for n in names], pure=False, retries=0)
    by_key = {f.key: n for f, n in zip(futs, names)}
    try:
        for fut in distributed.as_completed(futs):
            try:
                rec = fut.result()
            except Exception as err:  # noqa: BLE001 - e.g. KilledWorker: the worker died running it
                rec = _failure_record(err, time.perf_counter())
            finish(by_key[fut.key], rec)
    except BaseException:
        client.cancel(futs)
        raise
    return where
