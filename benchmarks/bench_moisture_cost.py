"""Benchmark: what the moisture field costs on the reference MSL case (soak + 3 reflow passes) beside a dry run.

    python benchmarks/bench_moisture_cost.py                  # coarse variant, wet and dry alternating, once each
    python benchmarks/bench_moisture_cost.py --repeat 2       # wet, dry, wet, dry
    python benchmarks/bench_moisture_cost.py --no-coarse      # the shipped mesh (hours on 2 cores)

``wet`` is cases/reference_msl.yaml: the assembly process, the J-STD-020 level 3 soak (``moisture_soak``: a ramp to
30 degC at 1 K/min, then 192 h at 60 % RH) and three Pb-free reflow passes, with the moisture field on every
increment from the soak on. ``dry`` is the same case with the soak step replaced by a 192 h ``hold`` (at the
25 degC the package is at, no humidity): no step asks for moisture, so no moisture field exists and the run is
the dry process of before issue 18. The two plans differ in the soak step's increments (a moisture step's grow
from 1/1000 of the step, a hold's by ``solver.hold_growth`` from the increment rules); the table gives both.

By default the regression tests' coarse variant (``--coarse``, on): ``COARSE_MESH`` and ``coarse_pattern`` of
tests/support/coarse.py plus ``solver.max_temperature_increment=20 K`` (tests/regression/test_process_cases.py):
the shipped mesh takes hours per run here. Each run is ``fcpkg_fem.api.run(case, write=False)`` in a fresh
subprocess (so ``peak_memory_MB``, ru_maxrss, is that run's), the variants alternating so that a change of the
shared machine's load hits both. Reported per run: increments, seconds per phase (``summary["timing_s"]``: mesh,
thermal, moisture, assemble = element and material work, solve, post), seconds per step group (``process``: the
assembly steps before the soak; ``soak``; ``reflow``; from the run's own "step ... done in" lines), wall time,
peak memory, water in the package after the soak and at the end. Written (JSON) to ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CASE = ROOT / "cases" / "reference_msl.yaml"
FAST = ["solver.max_temperature_increment=20 K"]
SOAK_INDEX = 11  # load.steps index of the msl_soak step in cases/reference_msl.yaml
DRY = [f"load.steps.{SOAK_INDEX}={{name: msl_soak, kind: hold, duration: 192 h, output: end}}"]
DONE = re.compile(r"step '([^']+)' done in ([0-9.]+) s")


def coarse_overrides() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from fcpkg_fem import api
    from tests.support.coarse import COARSE_MESH, coarse_pattern

    return COARSE_MESH + coarse_pattern(api.load_case(CASE)) + FAST


def child(overrides: list[str]) -> None:
    """Run the case in this process; print the step lines to stderr and one JSON line to stdout."""
    sys.path.insert(0, str(ROOT))
    from fcpkg_fem import api

    t0 = time.perf_counter()
    case = api.load_case(CASE, overrides=overrides)
    names = [s.name for s in case.load.steps]
    steps: dict[str, float] = {}

    def progress(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:8.1f}s] {msg}", file=sys.stderr, flush=True)
        m = DONE.search(msg)
        if m:
            steps[m.group(1)] = steps.get(m.group(1), 0.0) + float(m.group(2))

    r = api.run(case, write=False, progress=progress)
    s = r.summary
    k = names.index("msl_soak")
    groups = {"process": sum(v for n, v in steps.items() if n in names[:k]), "soak": steps.get("msl_soak", 0.0),
              "reflow": sum(v for n, v in steps.items() if n in names[k + 1:])}
    water = {}
    if s.get("moisture"):  # wet: the water after the soak (summary 'moisture.soaks') and in the last output
        water["msl_soak"] = s["moisture"]["soaks"][0]["mass_end_mg"]
        water["reflow"] = s["outputs"][-1]["moisture"]["mass_mg"]
    print(json.dumps({"dofs": s["mesh"]["dofs"], "elements": s["mesh"]["elements"],
                      "increments": s["process"]["newton"]["increments"],
                      "increments_per_step": {st["name"]: st.get("increments") for st in s["process"]["steps"]},
                      "timing_s": s["timing_s"], "steps_s": groups, "wall_s": time.perf_counter() - t0,
                      "peak_memory_MB": s["peak_memory_MB"], "water_mg": water}))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="wet/dry pairs (alternating)")
    ap.add_argument("--no-coarse", dest="coarse", action="store_false", help="the shipped mesh and arrays")
    ap.add_argument("--set", action="append", default=[], help="extra override for both variants")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    ap.add_argument("--elastic", action="store_true", help="every region linear elastic (models={}): the "
                    "mechanics without its Newton iterations, so that a pair fits a short budget")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(json.loads(a.child))
        return 0
    base = (coarse_overrides() if a.coarse else []) + (["models={}"] if a.elastic else []) + a.set
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = []
    print(f"{'run':>4} {'incr':>5} {'mesh':>6} {'therm':>6} {'moist':>6} {'assem':>7} {'solve':>7} {'post':>6} "
          f"{'process':>8} {'soak':>7} {'reflow':>7} {'wall s':>7} {'peak MB':>8} {'mg soak':>8} {'mg end':>7}",
          flush=True)
    for i in range(a.repeat):
        for variant, extra in (("wet", []), ("dry", DRY)):
            log = RESULTS / f"moisture_cost-{variant}{i}-{stamp}.log"
            try:
                with open(log, "w") as err:
                    p = subprocess.run([sys.executable, __file__, "--child", json.dumps(base + extra)],
                                       stdout=subprocess.PIPE, stderr=err, text=True, timeout=a.timeout,
                                       env={**os.environ, "PYTHONUNBUFFERED": "1"})
            except subprocess.TimeoutExpired:
                print(f"{variant}: killed after --timeout {a.timeout:g} s (log: {log.relative_to(ROOT)})", flush=True)
                continue
            if p.returncode != 0:
                print(f"{variant}: failed\n{log.read_text()[-2000:]}", flush=True)
                continue
            row = json.loads(p.stdout.strip().splitlines()[-1])
            row.update(variant=variant, repeat=i, load_average=os.getloadavg())
            rows.append(row)
            t, g, w = row["timing_s"], row["steps_s"], row["water_mg"]
            print(f"{variant:>4} {row['increments']:>5} {t.get('mesh', 0):6.1f} {t.get('thermal', 0):6.1f} "
                  f"{t.get('moisture', 0):6.1f} {t.get('assemble', 0):7.1f} {t.get('solve', 0):7.1f} "
                  f"{t.get('post', 0):6.1f} {g['process']:8.1f} {g['soak']:7.1f} {g['reflow']:7.1f} "
                  f"{row['wall_s']:7.1f} {row['peak_memory_MB']:8.0f} {w.get('msl_soak', 0):8.3f} "
                  f"{w.get('reflow', 0):7.3f}", flush=True)
            meta = {"date": stamp, "revision": rev.strip(), "cpus": os.cpu_count(), "overrides": base, "dry": DRY,
                    "rows": rows}  # after every run: an interrupted benchmark keeps what it measured
            (RESULTS / f"moisture_cost-{stamp}.json").write_text(json.dumps(meta, indent=1))
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
