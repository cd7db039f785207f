"""``fcpkg batch CASE_OR_SWEEP...``: run case files and sweeps as one batch, locally or on a Dask cluster."""

from __future__ import annotations

import argparse
import sys
import time

from fcpkg_fem.batch import run_batch

from .common import table

EXIT_CASES_FAILED = 5
"""Exit code when the batch completed but some cases failed or were invalid (docs/exit_codes.md)."""


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("batch", help="run many cases and sweeps (local process pool or Dask cluster); resumable",
                       description="Run case files and sweep files (docs/batch.md) as one batch: each case in its "
                                   "own folder under --out, a results table results.csv (and results.parquet when "
                                   "pyarrow is installed). Running the same batch again runs only the cases that "
                                   "are not finished. Exit 0 when every case finished, 5 when some failed or were "
                                   "invalid (the table lists why).")
    p.add_argument("items", nargs="+", metavar="CASE_OR_SWEEP", help="case files and/or sweep files (YAML)")
    p.add_argument("--out", default="runs/batch", metavar="DIR", help="batch folder (default: runs/batch)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes of the local pool (default: min(2, number of CPUs)); ignored with --scheduler")
    p.add_argument("--scheduler", metavar="ADDR", default=None,
                   help="run on the Dask distributed cluster of this scheduler, e.g. tcp://10.0.0.5:8786 "
                        "(needs: pip install 'fcpkg-fem[cluster]'; workers must see --out)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override one field of every case (after a sweep's own `set`, before its axes); repeatable")
    p.add_argument("--mesh-cache", default=None, metavar="DIR",
                   help="folder of cached footprint meshes shared by the cases (default: DIR/mesh_cache)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=cmd)
    return p


def _num(v, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def results_table(rows: list[dict]) -> str:
    """One line per case: folder, status, extreme warpage of both faces, peak adhesive/encapsulant stress."""
    body = [[r["folder"], r["status"], _num(r.get("warpage_bottom_extreme_um"), "+.2f"),
             _num(r.get("warpage_top_extreme_um"), "+.2f"), _num(r.get("adhesive_von_mises_max_MPa"), ".2f"),
             _num(r.get("encapsulant_von_mises_max_MPa"), ".2f")] for r in rows]
    return table(["folder", "status", "bottom um", "top um", "adhesive vM MPa", "encapsulant vM MPa"], body)


def cmd(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    quiet = args.quiet

    def progress(msg: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - t0:7.1f}s] {msg}", file=sys.stderr, flush=True)

    res = run_batch(args.items, args.out, workers=args.workers, scheduler=args.scheduler, overrides=args.overrides,
                    progress=progress, mesh_cache=args.mesh_cache)
    print(results_table(res.rows))
    print("warpage: extreme signed value over the outputs, + convex / - concave, each face viewed from outside "
          "(docs/batch.md)")
    counts = {s: res.count(s) for s in ("ok", "failed", "invalid", "pending")}
    print(f"{len(res.rows)} cases: {counts['ok']} ok, {counts['failed']} failed, {counts['invalid']} invalid; "
          f"{len(res.ran)} run now, {len(res.skipped)} already finished")
    print("results in " + ", ".join(str(p) for p in res.tables))
    bad = [r for r in res.rows if r["status"] != "ok"]
    for r in bad:
        print(f"error: {r['status']}: {r['folder']}: {r.get('error') or ''}".rstrip(), file=sys.stderr)
    return EXIT_CASES_FAILED if bad else 0
