"""Benchmark: the submodels of one global run one after another (``jobs`` 1) and at once (``jobs`` 2).

    python benchmarks/bench_submodel_jobs.py                 # jobs 1, then 2 (one global run)
    python benchmarks/bench_submodel_jobs.py --jobs 1 2 1    # any order, e.g. alternating on a shared machine

The global model is the submodel study's (benchmarks/bench_submodel_study.py: the coarse ``reference_reflow``,
Anand bumps, JESD22-A104 G cycling, ``--cycles`` 2 by default) with a ``submodel:`` section asking for the
critical bump of each die cut out and refined (one pitch, ``refine`` 2/1/4, 25.4 um pad layers: the case defaults
until the box meshed afresh became the default, kept so that the measurements in docs/submodel.md compare). The global
history runs once (``fcpkg_fem.run.submodel.case_boxes`` and ``run_steps``, as ``api.run`` does); then
``run_case_submodels`` runs both submodels for each ``--jobs`` value in turn, in the same process, so the ratio
compares like with like. Printed and saved (benchmarks/results/bench_submodel_jobs-<UTC>.json): wall seconds
per value, the ratio to the first, the peak resident memory of this process (the workers are separate
processes: their own peaks are not in it), the machine's load average, and whether every number of the
submodels' entries is equal to the first value's (it must be: docs/submodel.md, "Several at once").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from support.coarse import COARSE_MESH, coarse_pattern  # noqa: E402
from support.submodel import cycling_steps  # noqa: E402

from fcpkg_fem import api  # noqa: E402
from fcpkg_fem.run.history import run_steps  # noqa: E402
from fcpkg_fem.run.meshing import mesh_case  # noqa: E402
from fcpkg_fem.run.submodel import case_boxes, global_problem  # noqa: E402
from fcpkg_fem.run.submodel_pool import run_case_submodels  # noqa: E402

SUBMODEL = ("submodel={joints: [{region: bumps.die1, critical: true}, {region: bumps.die2, critical: true}], "
            "refine: {n_xy: 2, n_z: 1, joint_elements: 4}}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--cycles", type=int, default=2)
    args = ap.parse_args(argv)
    path = ROOT / "cases" / "reference_reflow.yaml"
    case = api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path)) + [
        cycling_steps(args.cycles), "solver.max_temperature_increment=100 K", "models={bumps: anand}",
        "output.plots=false", "output.vtu=false", SUBMODEL])
    t0 = time.perf_counter()
    pmesh, problem = global_problem(case, mesh_case(case))
    boxes = case_boxes(case, pmesh, problem)
    rec = run_steps(case, pmesh, problem, observers=[boxes.recorder])
    t_global = time.perf_counter() - t0
    print(f"global history: {problem.ndofs:,} dofs, {t_global:.1f} s", flush=True)
    rows, first = [], None
    for jobs in args.jobs:
        lines = []
        t0 = time.perf_counter()
        entries = run_case_submodels(case, pmesh, rec, boxes, progress=lines.append, jobs=jobs)
        wall = time.perf_counter() - t0
        text = json.dumps([{k: v for k, v in m.items() if k != "timing_s"} for m in entries], sort_keys=True)
        first = first or (wall, text)
        rows.append({"jobs": jobs, "wall_s": round(wall, 1), "ratio": round(wall / first[0], 3),
                     "equal_to_first": text == first[1], "load_avg_1min": os.getloadavg()[0],
                     "submodels": [{"joint": f"{m['region']} id {m['id']}", "dofs": m["dofs"],
                                    "solve_s": m["timing_s"].get("solve")} for m in entries]})
        print(f"jobs {jobs}: {wall:.1f} s (x{wall / first[0]:.2f} of the first), equal to the first: "
              f"{text == first[1]}, load {os.getloadavg()[0]:.1f}; "
              + "; ".join(f"{s['joint']} {s['dofs']:,} dofs solve {s['solve_s']:.1f} s" for s in rows[-1]["submodels"]),
              flush=True)
    out = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "global_s": round(t_global, 1),
           "global_dofs": int(problem.ndofs), "rows": rows,
           "peak_rss_MB_this_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    res = ROOT / "benchmarks" / "results"
    res.mkdir(parents=True, exist_ok=True)
    name = res / f"bench_submodel_jobs-{datetime.now(timezone.utc).strftime('%Y-%m-%dT%H%M%SZ')}.json"
    name.write_text(json.dumps(out, indent=1))
    print(f"saved {name.relative_to(ROOT)}")
    return 0 if all(r["equal_to_first"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
