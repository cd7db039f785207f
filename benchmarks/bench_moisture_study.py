"""Benchmark: mesh and time-step convergence of the water an MSL 3 soak puts into the reference package (issue 18).

    python benchmarks/bench_moisture_study.py                     # both studies, as in docs/moisture.md
    python benchmarks/bench_moisture_study.py --study time --steps 48 96 192
    python benchmarks/bench_moisture_study.py --study mesh --levels M0 M1 M2 --mesh-steps 192
    python benchmarks/bench_moisture_study.py --study ratio --ratio-level M1

The diffusion alone (``MoistureProblem`` on the case's mesh; no heat, no mechanics: the soak is isothermal), from
dry, through the J-STD-020 level 3 standard soak (192 h at 30 degC/60 % RH) of cases/reference_msl.yaml, in uniform
backward-Euler steps. Reported: the whole package's water (mg) at 48 h and at the end (192 h).

* ``time``: the case's own mesh (as shipped, ``--time-set`` to change it), 48, 96, 192, 384 steps (4, 2, 1, 0.5 h).
* ``mesh``: the reference package with its arrays thinned to one row at a 2-3 mm pitch (the regression tests'
  ``coarse_pattern``: on the shipped arrays the bump, via and ball outlines fix most of the footprint mesh, so
  halving mesh.size and feature_size from the default to 2 mm/300 um removes only 26 % of the elements, and a
  shipped-array mesh finer than the default does not fit the study's budget), levels M0-M3 of
  tests/support/moisture_study.py (every mesh length halved per level, through-thickness included:
  min_elements_per_layer 1, 2, 4, 8), all at ``--mesh-steps`` steps.
* ``ratio``: the time steps a process run takes through the soak (``moisture.time_step_ratio``: each step a fixed
  fraction of the time since the soak began, at least 10 s; ratios 0.1, 0.05 (the default of a case), 0.025) on
  the thinned arrays' level ``--ratio-level`` (M0): what the soak of a process run leaves in time error.

For each three consecutive levels: the observed order p = ln((f3 - f2)/(f2 - f1))/ln 2, the Richardson value and
Roache's grid convergence index (Fs = 1.25) of the finest, and GCI_coarse/(2^p GCI_fine) (1 in the asymptotic
range). The tables are printed and written (JSON) to ``benchmarks/results/`` (git-ignored) with the date, the git
revision and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))

from fcpkg_fem.post.convergence import grid_convergence  # noqa: E402
from tests.support.moisture_study import (mesh_overrides, soak_uptake, soak_uptake_graded,  # noqa: E402
                                          thinned_overrides)


def _revision() -> str:
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    dirty = subprocess.run(["git", "status", "--porcelain", "fcpkg_fem"], capture_output=True, text=True, cwd=ROOT)
    return rev.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _row(label: str, r: dict) -> str:
    s = r["seconds"]
    dt = f"{r['dt_h']:6.3g}" if r["dt_h"] is not None else f"{r['steps']:>6}"
    return (f"{label:>6} {dt} {r['elements']:>8} {r['unknowns']:>8} "
            + " ".join(f"{u:12.6f}" for u in r["uptake_mg"])
            + f" {s['mesh']:7.1f} {s['setup']:7.1f} {s['soak']:7.1f}")


def _analyse(label: str, rows: list[dict], times_h: list[float]) -> list[dict]:
    out = []
    for i in range(len(rows) - 2):
        for j, t in enumerate(times_h):
            g = grid_convergence(*(rows[i + k]["uptake_mg"][j] for k in range(3)))
            g.update(levels=[rows[i + k]["label"] for k in range(3)], time_h=t)
            out.append(g)
            p = "-" if g["p"] is None else f"{g['p']:.3f}"
            ext = "-" if g["extrapolated"] is None else f"{g['extrapolated']:.6f}"
            gf = "-" if g["gci_fine"] is None else f"{100 * g['gci_fine']:.4f} %"
            a = "-" if g["asymptotic"] is None else f"{g['asymptotic']:.4f}"
            print(f"{label} {'/'.join(g['levels'])} at {t:g} h: p {p}, Richardson {ext} mg, GCI_fine {gf}, "
                  f"GCI_coarse/(r^p GCI_fine) {a}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--study", choices=("time", "mesh", "ratio", "both", "all"), default="all",
                    help="both: time and mesh; all: time, mesh and ratio")
    ap.add_argument("--steps", type=int, nargs="+", default=[48, 96, 192, 384], help="time study: steps per soak")
    ap.add_argument("--time-set", action="append", default=[], help="time study: extra --set override")
    ap.add_argument("--levels", nargs="+", default=["M0", "M1", "M2", "M3"], help="mesh study: levels")
    ap.add_argument("--mesh-steps", type=int, default=192, help="mesh study: steps per soak (192: 1 h)")
    ap.add_argument("--ratios", type=float, nargs="+", default=[0.1, 0.05, 0.025], help="ratio study: ratios")
    ap.add_argument("--ratio-level", default="M0", help="ratio study: mesh level of the thinned arrays")
    ap.add_argument("--linear", default="auto")
    a = ap.parse_args()
    times = [48.0, 192.0]
    report = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "revision": _revision(),
              "load_average": os.getloadavg(), "case": "cases/reference_msl.yaml", "soak": "J-STD-020 level 3",
              "times_h": times}
    head = (f"{'level':>6} {'dt h':>6} {'elements':>8} {'unknowns':>8} "
            + " ".join(f"{'mg @' + format(t, 'g') + ' h':>12}" for t in times)
            + f" {'mesh s':>7} {'setup s':>7} {'soak s':>7}")
    if a.study in ("time", "both", "all"):
        print("time study: the case's mesh" + (f" with {a.time_set}" if a.time_set else " as shipped"), flush=True)
        print(head, flush=True)
        rows = []
        for n in sorted(a.steps):
            r = soak_uptake(a.time_set, n, times, linear=a.linear)
            r["label"] = str(n)
            rows.append(r)
            print(_row(str(n), r), flush=True)
        report["time"] = {"overrides": a.time_set, "rows": rows, "analysis": _analyse("time", rows, times)}
    if a.study in ("mesh", "both", "all"):
        thin = thinned_overrides()
        print(f"mesh study: arrays thinned, {a.mesh_steps} steps", flush=True)
        print(head, flush=True)
        rows = []
        for lv in a.levels:
            r = soak_uptake(thin + mesh_overrides(lv), a.mesh_steps, times, linear=a.linear)
            r["label"] = lv
            r["overrides"] = mesh_overrides(lv)
            rows.append(r)
            print(_row(lv, r), flush=True)
        report["mesh"] = {"thinned": thin, "steps": a.mesh_steps, "rows": rows,
                          "analysis": _analyse("mesh", rows, times)}
    if a.study in ("ratio", "all"):
        thin = thinned_overrides()
        print(f"ratio study: arrays thinned, level {a.ratio_level} (dt h column: steps)", flush=True)
        print(head, flush=True)
        rows = []
        for q in sorted(a.ratios, reverse=True):
            r = soak_uptake_graded(thin + mesh_overrides(a.ratio_level), q, times_h=times, linear=a.linear)
            r["label"] = f"{q:g}"
            rows.append(r)
            print(_row(r["label"], r), flush=True)
        report["ratio"] = {"thinned": thin, "level": a.ratio_level, "rows": rows,
                           "analysis": _analyse("ratio", rows, times)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"moisture_study_{datetime.now():%Y%m%d_%H%M%S}.json"
    path.write_text(json.dumps(report, indent=1))
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
