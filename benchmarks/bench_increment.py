"""Benchmark: what one process-history increment costs on a case's mesh, phase by phase.

    python benchmarks/bench_increment.py                                  # reference_cycling, default mesh
    python benchmarks/bench_increment.py --case reference_reflow --coarse --cool 3

Drives :class:`fcpkg_fem.solve.history.HistorySolver` directly (no post-processing, no output): the first step's
heating with only the parts present from the start (free expansion), then the birth of the second step's parts and
``--cool`` increments of that step's cooling. Prints, per increment, its seconds, Newton iterations, linear
iterations per Newton step (0 = a fresh factorization), the residual history and the seconds of assembly, solve
and material work; then every linear solve's kind and seconds (factorization or CG on a kept factorization).
A complement to ``bench_history.py``, whose whole runs take hours at the default mesh.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", default="reference_cycling")
    ap.add_argument("--set", action="append", default=[], help="case override (repeatable)")
    ap.add_argument("--cool", type=int, default=5, help="increments of the second step to time")
    ap.add_argument("--coarse", action="store_true", help="the regression tests' coarse mesh and arrays")
    a = ap.parse_args(argv)
    if a.coarse:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from bench_history import coarse_overrides

        a.set = coarse_overrides(ROOT / "cases" / f"{a.case}.yaml") + a.set

    from fcpkg_fem import api
    from fcpkg_fem.case.plan import plan
    from fcpkg_fem.solve import linear
    from fcpkg_fem.solve.history import HistorySolver, NewtonSettings
    from fcpkg_fem.solve.mechanical import MechanicalProblem
    from fcpkg_fem.run.history import make_models

    events = []  # (kind, seconds, CG iterations): every factorization and every CG on a kept one
    pcg, factor = linear.LinearSolver._pcg_lu, linear._Factor.__init__

    def timed_pcg(self, K, f, maxiter=30):
        t = time.perf_counter()
        out = pcg(self, K, f, maxiter)
        events.append(("CG on kept factorization" + ("" if out[3] else " (failed)"), time.perf_counter() - t,
                       out[1]))
        return out

    def timed_factor(self, K, method, previous=None):
        t = time.perf_counter()
        factor(self, K, method, previous)
        events.append((f"{method} factorization", time.perf_counter() - t, 0))

    linear.LinearSolver._pcg_lu, linear._Factor.__init__ = timed_pcg, timed_factor

    case = api.load_case(ROOT / "cases" / f"{a.case}.yaml", overrides=a.set)
    t0 = time.perf_counter()
    pm = api.mesh_case(case, ROOT / "meshes")
    prob = MechanicalProblem(pm, case.materials_resolved, api.stress_free_temperatures(case, pm),
                             element=case.mesh.element, linear=case.solver.linear, rtol=case.solver.rtol)
    steps = plan(case)
    later = {r for s in steps for r in s.births}
    sf = api.stress_free_temperatures(case, pm)
    hs = HistorySolver(prob, make_models(case, pm), {r: sf[r] for r in pm.region_names if r not in later},
                       NewtonSettings(**case.solver.newton.model_dump()))
    print(f"{a.case}: {prob.ndofs:,} dofs, {len(hs.free):,} free, {len(hs.held)} held; setup "
          f"{time.perf_counter() - t0:.1f} s", flush=True)

    def run(step, times, label):
        for k, t in enumerate(times):
            before, n_ev = dict(hs.timing), len(events)
            t1 = time.perf_counter()
            st = hs.advance(float(step.temperature(t)), float(t - hs.time), label)
            dt = {key: round(v - before[key], 2) for key, v in hs.timing.items()}
            print(f"{label} {k}: T {float(step.temperature(t)):6.1f} degC {time.perf_counter() - t1:6.1f} s, "
                  f"{st.iterations} Newton, linear {st.linear_iterations}, residuals "
                  f"{' '.join(f'{x:.1e}' for x in st.residuals)}, {dt}", flush=True)
            for kind, sec, its in events[n_ev:]:
                print(f"    {kind}: {sec:.2f} s" + (f", {its} iterations" if its else ""))

    first, second = steps[0], steps[1]
    hs.set_temperature(float(first.temperature(first.t_start)))
    t1 = time.perf_counter()
    run(first, first.increments, first.name)
    print(f"{first.name}: {len(first.increments)} increments in {time.perf_counter() - t1:.1f} s", flush=True)
    t1 = time.perf_counter()
    hs.birth(second.births)
    print(f"birth of {', '.join(second.births)}: {time.perf_counter() - t1:.1f} s, {len(hs.free):,} free, "
          f"{len(hs.held)} held", flush=True)
    t1, n0, its0 = time.perf_counter(), len(events), len(hs.stats)
    timed = second.increments[:a.cool]
    run(second, timed, second.name)
    kinds = {}
    for kind, sec, _ in events[n0:]:
        n, tot = kinds.get(kind, (0, 0.0))
        kinds[kind] = (n + 1, tot + sec)
    print(f"{second.name}: {len(timed)} increments in {time.perf_counter() - t1:.1f} s, "
          f"{sum(st.iterations for st in hs.stats[its0:])} Newton iterations; "
          + "; ".join(f"{k}: {n} in {tot:.1f} s" for k, (n, tot) in sorted(kinds.items())), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
