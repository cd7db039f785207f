"""Benchmark: the size and memory estimate printed before a run against the run itself, and the phase times' sum.

    python benchmarks/bench_estimate.py                             # reference, tab_traces, laminate_bimetal
    python benchmarks/bench_estimate.py --case reference_reflow --set "solver.max_temperature_increment=20 K"
    python benchmarks/bench_estimate.py --case reference --coarse   # the regression tests' coarse mesh and arrays

Each case runs in its own subprocess (``api.run(case, out_dir=<a temporary folder>)``, as ``fcpkg run`` does), so
the peak resident memory measured (``ru_maxrss`` of that process at its end, writing included, as ``/usr/bin/time``
reports it) is the run's alone. Printed per case: the estimate's elements, dofs and memory
(``fcpkg_fem.api.estimate``, what ``fcpkg run`` prints first) beside the real mesh's and the measured peak, the
relative error of each, and ``timing_s``'s phases summed beside its ``total``. The table is written to ``benchmarks/results/`` (git-ignored). Runs only with the base install.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CASES = ["reference", "tab_traces", "laminate_bimetal"]


def child(case: str, overrides: list[str]) -> None:
    from fcpkg_fem import api

    c = api.load_case(ROOT / "cases" / f"{case}.yaml", overrides=overrides)
    est = api.estimate(c)
    with tempfile.TemporaryDirectory() as out:  # as `fcpkg run` does: the writers (plots, report) count too
        s = api.run(c, out_dir=out).summary
    t = s["timing_s"]
    phases = sum(v for k, v in t.items() if k != "total")
    print(json.dumps({
        "case": case, "overrides": overrides,
        "est_elements": est.elements, "elements": s["mesh"]["elements"],
        "est_dofs": est.dofs, "dofs": s["mesh"]["dofs"],
        # the whole process's peak, writing included (as /usr/bin/time reports it); summary.json's is the solve's
        "est_memory_MB": est.memory / 1e6,
        "peak_memory_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,  # ru_maxrss is in KiB
        "summary_peak_memory_MB": s["peak_memory_MB"],
        "phases_s": phases, "total_s": t["total"],
    }))


def _coarse(case: str) -> list[str]:
    sys.path.insert(0, str(ROOT / "tests"))
    from support.coarse import COARSE_MESH, coarse_pattern  # noqa: E402

    from fcpkg_fem import api

    c = api.load_case(ROOT / "cases" / f"{case}.yaml")
    return COARSE_MESH + (coarse_pattern(c) if c.package is not None else [])


def _row(r: dict) -> str:
    def err(a, b):
        return f"{(a - b) / b:+.0%}"

    return (f"| {r['case']} {' '.join(r['overrides'])} | {r['est_elements']:,} / {r['elements']:,} "
            f"({err(r['est_elements'], r['elements'])}) | {r['est_dofs']:,} / {r['dofs']:,} "
            f"({err(r['est_dofs'], r['dofs'])}) | {r['est_memory_MB']:,.0f} / {r['peak_memory_MB']:,.0f} "
            f"({err(r['est_memory_MB'], r['peak_memory_MB'])}) | {r['phases_s']:.2f} / {r['total_s']:.2f} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", action="append", help="case name in cases/ (repeatable); default: " + ", ".join(CASES))
    ap.add_argument("--set", action="append", default=[], help="override for every run")
    ap.add_argument("--coarse", action="store_true", help="the regression tests' coarse mesh and arrays")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(a.child[0], json.loads(a.child[1]))
        return 0
    rows = []
    print("| case | elements: estimate / real | dofs: estimate / real | memory MB: estimate / peak | "
          "phases / total, s |\n|---|---|---|---|---|")
    for case in a.case or CASES:
        ov = (_coarse(case) if a.coarse else []) + a.set
        p = subprocess.run([sys.executable, __file__, "--child", case, json.dumps(ov)], capture_output=True,
                           text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        if p.returncode != 0:
            print(f"{case}: failed\n{p.stderr[-2000:]}")
            continue
        rows.append(json.loads(p.stdout.strip().splitlines()[-1]))
        print(_row(rows[-1]), flush=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"estimate-{stamp}.json").write_text(json.dumps(
        {"date": stamp, "machine": platform.platform(), "cpus": os.cpu_count(), "load_average": os.getloadavg(),
         "rows": rows}, indent=1))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
