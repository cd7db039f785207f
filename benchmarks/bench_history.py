"""Benchmark: the process-history cases (reflow, cycling) with their nonlinear models, one fresh process per run.

    python benchmarks/bench_history.py                          # reference_reflow (uniform, transient), cycling
    python benchmarks/bench_history.py --case reference_cycling --set "mesh.size=2 mm"
    python benchmarks/bench_history.py --coarse                 # the regression tests' coarse mesh and arrays
    python benchmarks/bench_history.py --coarse --compare-integration   # each run with the time integration
                                                                        # before and after issue 20 item 2

Each run calls ``fcpkg_fem.api.run(case, write=False)`` (with ``--out``: written, checkpointed, resumable) in its own
subprocess (so ``peak_memory_MB`` is that
run's) and reports: unknowns, elements, increments, Newton iterations (total, largest per increment, cut-backs),
linear iterations, seconds per phase (mesh, thermal, assemble = element and material work, solve, post) and the
wall time, plus the headline numbers (final warpage of both faces, and for cycling the critical joint's dW per
cycle and its Darveaux life). The table is printed and written to ``benchmarks/results/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

OLD = "<old integration>"  # marks a run of --compare-integration

RUNS = [
    ("reference_reflow", []),
    ("reference_reflow", ["thermal.mode=transient"]),
    ("reference_cycling", []),
]


def coarse_overrides(case_path: Path) -> list[str]:
    """The regression tests' coarse mesh and thinned arrays (tests/support/coarse.py; importing it needs no pytest)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from support.coarse import COARSE_MESH, coarse_pattern  # noqa: E402

    from fcpkg_fem import api

    return COARSE_MESH + coarse_pattern(api.load_case(case_path))


OLD_INTEGRATION_ENV = "FCPKG_BENCH_OLD_INTEGRATION"
"""Set to 1 in a child: the time integration before 2026-12-06, one backward-Euler step per Anand increment (no
sub-stepping) and no increments added through Tg (with the override ``solver.max_relaxation_change=null``)."""


def child(case: str, overrides: list[str], out: str | None = None, resume: bool = False) -> None:
    from fcpkg_fem import api

    if os.environ.get(OLD_INTEGRATION_ENV) == "1":
        from fcpkg_fem.constitutive.anand import Anand

        Anand.max_substeps = 1

    t0 = time.perf_counter()
    c = api.load_case(ROOT / "cases" / f"{case}.yaml", overrides=overrides)
    # progress (one line per step, with its seconds) to stderr: the parent keeps it as the run's log
    r = api.run(c, out_dir=out, write=out is not None, resume=resume,
                progress=lambda m: print(f"[{time.perf_counter() - t0:8.1f}s] {m}", file=sys.stderr, flush=True))
    s = r.summary
    nw = s["process"]["newton"]
    life = s.get("life", {}).get("steps", {})
    crit = {}
    for step, regions in life.items():
        for region, e in regions.items():
            if region.startswith("bumps"):
                d = e["estimates"].get("darveaux", {})
                crit[region] = {"dW_MJ_m3": e["critical"]["dW_layer_MJ_m3"], "id": e["critical"]["id"],
                                "darveaux_cycles": d.get("cycles")}
    last = s["outputs"][-1]["warpage"]
    print(json.dumps({
        "case": case, "overrides": overrides, "dofs": s["mesh"]["dofs"], "elements": s["mesh"]["elements"],
        "increments": nw["increments"], "newton_total": nw["iterations_total"], "newton_max": nw["iterations_max"],
        "cutbacks": nw["cutbacks"], "linear_iterations": int(sum(s["solver"]["iterations"])),
        "timing_s": s["timing_s"], "wall_s": time.perf_counter() - t0, "peak_memory_MB": s["peak_memory_MB"],
        "warpage_bottom_um": last["bottom"]["signed_um"], "warpage_top_um": last["top"]["signed_um"],
        "critical_bumps": crit,
    }))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", action="append", help="case name in cases/ (repeatable); default: the RUNS list")
    ap.add_argument("--set", action="append", default=[], help="extra override for every run")
    ap.add_argument("--coarse", action="store_true", help="the regression tests' coarse mesh and arrays")
    ap.add_argument("--timeout", type=float, default=43200.0, help="seconds per run (default 12 h: a cycling run "
                    "at the default mesh takes over 2 h on 2 cores)")
    ap.add_argument("--out", help="write each run's outputs and checkpoints under OUT/<run tag> (default: no "
                    "output files; a failed run then cannot be resumed or inspected)")
    ap.add_argument("--resume", action="store_true", help="with --out: continue each run from its last completed "
                    "step (the wall time then covers the remaining steps only)")
    ap.add_argument("--compare-integration", action="store_true", help="run each case twice: with the time "
                    "integration before 2026-12-06 (Anand one step per increment, no increments added through Tg), "
                    "then with the current defaults")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(a.child[0], json.loads(a.child[1]), a.child[2] or None, a.child[3] == "1")
        return 0
    runs = [(c, []) for c in a.case] if a.case else RUNS
    if a.compare_integration:
        runs = [r for case, extra in runs for r in ((case, extra + [OLD]), (case, extra))]
    rows = []
    for case, extra in runs:
        old = OLD in extra
        extra = [e for e in extra if e != OLD] + (["solver.max_relaxation_change=null"] if old else [])
        ov = (coarse_overrides(ROOT / "cases" / f"{case}.yaml") if a.coarse else []) + extra + a.set
        t0 = time.time()
        RESULTS.mkdir(parents=True, exist_ok=True)
        tag = "-".join([case] + [o.split("=")[-1].replace(" ", "") for o in extra + a.set] + (["old"] if old else []))
        log = RESULTS / f"history-{tag}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.log"
        with open(log, "w") as err:  # the child's progress lines, as they come (a long run can be watched)
            out = str(Path(a.out).resolve() / tag) if a.out else ""
            cmd = [sys.executable, __file__, "--child", case, json.dumps(ov), out, "1" if a.resume else "0"]
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, timeout=a.timeout,
                               env={**os.environ, "PYTHONUNBUFFERED": "1", OLD_INTEGRATION_ENV: "1" if old else "0"})
        p.stderr = log.read_text()
        if p.returncode != 0:
            print(f"{case} {extra}: failed after {time.time() - t0:.0f} s\n{p.stderr[-2000:]}")
            continue
        row = json.loads(p.stdout.strip().splitlines()[-1])
        row["integration"] = "before 2026-12-06" if old else "current"
        rows.append(row)
        print(_table([row], header=len(rows) == 1))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {"date": stamp, "machine": platform.platform(), "cpus": os.cpu_count(),
            "load_average": os.getloadavg(), "rows": rows}
    (RESULTS / f"history-{stamp}.json").write_text(json.dumps(meta, indent=1))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


def _table(rows, header=True) -> str:
    cols = ["case", "thermal", "dofs", "incr", "newton", "max", "cut", "mesh", "thermal_s", "assemble", "solve",
            "post", "wall", "MB"]
    out = []
    if header:
        out.append(" | ".join(cols))
    for r in rows:
        t = r["timing_s"]
        thermal = "transient" if any("transient" in o for o in r["overrides"]) else "uniform"
        out.append(" | ".join(str(x) for x in (
            r["case"], thermal, r["dofs"], r["increments"], r["newton_total"], r["newton_max"], r["cutbacks"],
            t.get("mesh"), t.get("thermal", 0.0), t.get("assemble"), t.get("solve"), t.get("post"),
            round(r["wall_s"], 1), r["peak_memory_MB"])))
        out.append(f"    integration: {r.get('integration', 'current')}")
        out.append(f"    final warpage bottom {r['warpage_bottom_um']:+.3f} um, top {r['warpage_top_um']:+.3f} um;"
                   f" critical bumps {r['critical_bumps']}")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
