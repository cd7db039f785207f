"""Benchmark: the size and memory estimate printed before a run against the run itself, and the phase times' sum.

    python benchmarks/bench_estimate.py                             # reference, tab_traces, laminate_bimetal
    python benchmarks/bench_estimate.py --case reference_reflow --set "solver.max_temperature_increment=20 K"
    python benchmarks/bench_estimate.py --case reference --coarse   # the regression tests' coarse mesh and arrays
    python benchmarks/bench_estimate.py --case reference_reflow --coarse --sample 1   # RSS over time, by step
    python benchmarks/bench_estimate.py --case reference_msl --sample 2 --max-seconds 900   # stop after 15 min

Each case runs in its own subprocess (``api.run(case, out_dir=<a temporary folder>)``, as ``fcpkg run`` does), so
the peak resident memory measured (``ru_maxrss`` of that process at its end, writing included, as ``/usr/bin/time``
reports it) is the run's alone. Printed per case: the estimate's elements, dofs and memory
(``fcpkg_fem.api.estimate``, what ``fcpkg run`` prints first) beside the real mesh's and the measured peak, the
relative error of each, and ``timing_s``'s phases summed beside its ``total``. With ``--sample S`` the parent
also reads the child's ``/proc/<pid>/status`` (VmRSS, VmHWM) every S seconds together with the run's last status
(phase, step, increment), prints where the peak (VmHWM) was reached and writes the samples to the results file;
``--max-seconds`` ends the child (SIGTERM) after that long and reports the peak reached so far, for process
histories that take hours (the peak is then that of the part run, said so in the row). The table is written to ``benchmarks/results/`` (git-ignored). Runs only with the base install.
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


class _Status:
    """Progress sink of a sampled child: every status (phase, step, increment) as one JSON line on stderr."""

    def __call__(self, message: str) -> None:
        pass

    def status(self, st) -> None:
        print("STATUS " + json.dumps({"phase": st.phase, "step": st.step, "increment": st.increment,
                                      "increments": st.increments, "done": st.done, "total": st.total,
                                      "newton": st.newton, "activity": st.activity}), file=sys.stderr, flush=True)


def child(case: str, overrides: list[str]) -> None:
    from fcpkg_fem import api

    c = api.load_case(ROOT / "cases" / f"{case}.yaml", overrides=overrides)
    est = api.estimate(c)
    sampled = os.environ.get("FCPKG_BENCH_SAMPLE") == "1"
    if sampled:
        print("ESTIMATE " + json.dumps({"est_elements": est.elements, "est_dofs": est.dofs,
                                        "est_memory_MB": est.memory / 1e6}), file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as out:  # as `fcpkg run` does: the writers (plots, report) count too
        s = api.run(c, out_dir=out, progress=_Status() if sampled else None).summary
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


def _proc_kb(pid: int) -> dict[str, int]:
    out = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1])  # kB (KiB)
    except (OSError, ValueError):
        pass
    return out


def sampled(case: str, ov: list[str], every: float, max_seconds: float | None) -> dict | None:
    """Run the child, polling its RSS every ``every`` s beside its last status; see the module docstring."""
    import signal
    import threading
    import time

    p = subprocess.Popen([sys.executable, __file__, "--child", case, json.dumps(ov)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONUNBUFFERED": "1", "FCPKG_BENCH_SAMPLE": "1"})
    last: dict = {"status": None, "estimate": None, "err": []}

    def read_err():
        for line in p.stderr:
            if line.startswith("STATUS "):
                last["status"] = json.loads(line[7:])
            elif line.startswith("ESTIMATE "):
                last["estimate"] = json.loads(line[9:])
            else:
                last["err"].append(line)

    threading.Thread(target=read_err, daemon=True).start()
    t0, samples, hwm, killed = time.monotonic(), [], 0, False
    while p.poll() is None:
        kb = _proc_kb(p.pid)
        t = time.monotonic() - t0
        if kb:
            st = last["status"] or {}
            where = (f"{st.get('phase')} {st.get('step') or ''} {st.get('increment') or ''}/"
                     f"{st.get('increments') or ''} ({st.get('done')}/{st.get('total')}) {st.get('activity')}")
            if kb.get("VmHWM", 0) > hwm:
                hwm = kb["VmHWM"]
                print(f"  {t:8.1f} s  new peak {hwm * 1024 / 1e6:8.0f} MB (RSS {kb.get('VmRSS', 0) * 1024 / 1e6:.0f})"
                      f"  at {where}", flush=True)
            samples.append({"t": round(t, 2), "rss_MB": kb.get("VmRSS", 0) * 1024 / 1e6,
                            "hwm_MB": kb.get("VmHWM", 0) * 1024 / 1e6, "status": st})
        if max_seconds is not None and t > max_seconds and not killed:
            st = last["status"] or {}
            print(f"  stopped after {t:.0f} s at {st}", flush=True)
            p.send_signal(signal.SIGTERM)
            killed = True
        time.sleep(every)
    out = p.stdout.read()
    est = last["estimate"] or {}
    if killed or p.returncode != 0:
        if not killed:
            print(f"{case}: failed\n{''.join(last['err'])[-2000:]}")
        return {"case": case, "overrides": ov, **est, "peak_memory_MB": hwm * 1024 / 1e6, "stopped": killed,
                "last_status": last["status"], "samples": samples}
    row = json.loads(out.strip().splitlines()[-1])
    return {**row, "stopped": False, "sampled_peak_MB": hwm * 1024 / 1e6, "samples": samples}


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
    ap.add_argument("--sample", type=float, metavar="S", help="poll the run's RSS every S seconds (see above)")
    ap.add_argument("--max-seconds", type=float, help="with --sample: stop the run after this long")
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
        if a.sample:
            r = sampled(case, ov, a.sample, a.max_seconds)
            if r is None:
                continue
            rows.append(r)
            if r["stopped"]:
                print(f"| {case} {' '.join(ov)} | {r.get('est_elements', 0):,} / ? | {r.get('est_dofs', 0):,} / ? | "
                      f"{r.get('est_memory_MB', 0):,.0f} / {r['peak_memory_MB']:,.0f} (stopped at "
                      f"{r['last_status']}) | - |", flush=True)
            else:
                print(_row(r), flush=True)
            continue
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
