"""Benchmark: time and memory of each phase of the linear (temperature-list) solve, configurations side by side.

    python benchmarks/bench_phases.py                                  # cases/reference.yaml, all configurations
    python benchmarks/bench_phases.py --set "mesh.size=1 mm" --repeat 2 --config new --config plain

Every configuration runs in a fresh interpreter (so that its peak memory is its own), in turn, ``--repeat`` times
(alternating, so that a change of the shared machine's load hits all of them alike): compare the ratios within one
run, not seconds across runs. A thread samples the resident memory (/proc/self/statm) every 5 ms; each phase reports
its seconds, the resident memory at its end and the peak during it. The phases: ``mesh``; ``problem`` (dof map,
element geometry, sparsity pattern); per temperature ``assemble`` (stiffness and thermal load), ``solve``
(condensation, factorization or refinement, triangular solves) and ``stress`` (element stress recovery). The
stiffness matrix's CSR size (data + column indices + row pointers) is printed beside the peaks, since issue 16
measures memory against it.

Configurations (``--config``, default all):
    new     the shipped code: region sums after the first assembly, single-precision PARDISO from
            ``PARDISO_SINGLE_MIN`` unknowns on;
    double  as ``new`` with PARDISO in double precision at every size;
    plain   as ``double`` with every temperature integrated element by element (the assembly before the region sums).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ("new", "double", "plain")


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def child(case_path: str, overrides: list[str], config: str) -> None:
    """Run the phases in this process and print one JSON line: phases [(name, s, rss MB, peak MB)], matrix MB."""
    sys.path.insert(0, str(ROOT))
    from fcpkg_fem import api
    from fcpkg_fem.run.meshing import mesh_case
    from fcpkg_fem.solve import linear
    from fcpkg_fem.solve.mechanical import MechanicalProblem

    peak = [_rss_mb()]
    done = [False]

    def sample():
        while not done[0]:
            peak[0] = max(peak[0], _rss_mb())
            time.sleep(0.005)

    threading.Thread(target=sample, daemon=True).start()
    phases = []
    t = [time.perf_counter()]

    def mark(name):
        now = _rss_mb()
        phases.append((name, round(time.perf_counter() - t[0], 3), round(now), round(max(peak[0], now))))
        peak[0] = now
        t[0] = time.perf_counter()

    if config in ("double", "plain"):
        linear.PARDISO_SINGLE_MIN = 2**62
    case = api.load_case(case_path, overrides=overrides)
    pm = mesh_case(case)
    mark("mesh")
    prob = MechanicalProblem(pm, case.materials_resolved,
                             case.stress_free_temperatures(pm.region_names, pm.region_material),
                             element=case.mesh.element, linear=case.solver.linear, rtol=case.solver.rtol)
    temps = [float(T) for T in case.load.temperatures]
    prob.solves_expected = 1 if config == "plain" else len(set(temps))
    mark("problem")
    for T in temps:
        st = prob.solve(T, say=lambda msg, T=T: mark(f"assemble {T:g}" if msg.startswith("assembled") else
                                                     f"solve {T:g}"))
        mark(f"stress {T:g}")
    done[0] = True
    nnz, n = prob.pattern.nnz, prob.ndofs
    csr_mb = (nnz * (8 + prob.pattern.indices.itemsize) + (n + 1) * prob.pattern.indptr.itemsize) / 2**20
    print(json.dumps({"config": config, "dofs": n, "nnz": nnz, "csr_MB": round(csr_mb), "phases": phases,
                      "method": st.stats.method}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", default=str(ROOT / "cases" / "reference.yaml"))
    ap.add_argument("--set", action="append", default=[], dest="overrides", metavar="FIELD=VALUE")
    ap.add_argument("--config", action="append", choices=CONFIGS)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.case, a.overrides, a.child)
        return
    rows = []
    for _ in range(a.repeat):
        for cfg in a.config or CONFIGS:
            cmd = [sys.executable, __file__, "--child", cfg, "--case", a.case]
            for o in a.overrides:
                cmd += ["--set", o]
            p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            if p.returncode:
                print(f"{cfg}: exit {p.returncode}: {(p.stderr or p.stdout).strip().splitlines()[-1:]}")
                continue
            rows.append(json.loads(p.stdout.strip().splitlines()[-1]))
    for r in rows:
        ph = r["phases"]
        total = sum(x[1] for x in ph)
        print(f"\n{r['config']}: {r['dofs']:,} dofs, stiffness CSR {r['csr_MB']:,} MB, {r['method']}; "
              f"{total:.1f} s, peak {max(x[3] for x in ph):,} MB ({max(x[3] for x in ph) / r['csr_MB']:.1f}x CSR)")
        print("| phase | s | MB at end | peak MB |\n|---|---|---|---|")
        for name, s, mb, pk in ph:
            print(f"| {name} | {s:.2f} | {mb:,} | {pk:,} |")
    names = list(dict.fromkeys(r["config"] for r in rows))
    if len(names) > 1:
        print("\nper configuration, mean over repeats: total s, assemble s, solve s, stress s, peak MB")
        for cfg in names:
            rs = [r for r in rows if r["config"] == cfg]

            def mean(key):
                return sum(sum(x[1] for x in r["phases"] if x[0].startswith(key)) for r in rs) / len(rs)

            peak = sum(max(x[3] for x in r["phases"]) for r in rs) / len(rs)
            print(f"  {cfg:7s} {mean(''):7.1f} {mean('assemble'):7.1f} {mean('solve'):7.1f} {mean('stress'):7.1f} "
                  f"{peak:9,.0f}")


if __name__ == "__main__":
    main()
