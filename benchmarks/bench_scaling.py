"""Scaling of the reference case with hex8i: time per phase and peak memory from ~50k to ~1M dofs, with a fitted
exponent p of time ~ dofs^p per phase.

    python benchmarks/bench_scaling.py                     # both ladders below, smallest first
    python benchmarks/bench_scaling.py --ladder full --timeout 900

Two ladders, because the full reference case cannot go below ~185k dofs (its ~230 bump, via and ball outlines
each keep a minimum number of footprint cells, whatever mesh.size says):

* ``reduced``: cases/reference.yaml with its interconnect reduced (no vias, no top balls, one bump row per die
  at 1 mm pitch; as tests/verification/test_reference_convergence.py), ~41k to ~0.93M dofs;
* ``full``: the case as shipped (every feature), ~217k to ~1.05M dofs.

Each size runs ``api.run(case, write=False, force=True)`` at one temperature (-40 degC) in a fresh process (so
``peak MB`` is that run's own ru_maxrss, under an address-space cap) with 2 threads and one linear
solver for every size (``--linear``, default AMG-CG; the case's ``auto`` would switch algorithm at 80k dofs).
Phases are the API's (``mesh`` = geometry + footprint + sweep, ``assemble`` = element geometry + stiffness
and load, ``solve`` = condensation + linear solve, ``post`` = stresses and post-processors). The exponent of
each phase is the least-squares slope of log(time) against log(dofs) over the sizes that ran; it is printed
with the table and written to benchmarks/results/ (git-ignored) as text and JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bench_reference import machine, revision  # noqa: E402

RESULTS = HERE / "results"
REDUCED = [
    "package.interconnect={kind: none}",
    "package.top_balls=null",
    "mesh.layer_elements={}",  # the shipped mesh refines the top balls, gone here
    *[f"package.carriers.{c}.chips.0.bumps.{k}" for c in ("bottom", "top") for k in ("rows=1", "pitch=1 mm")],
]
COMMON = ["mesh.element=hex8i", "load.temperatures=[-40 degC]"]
# One solver over the whole ladder, so that the fitted exponent describes one algorithm: the case's ``auto``
# switches from SuperLU to AMG-CG at 80k dofs (measured: 17.6 s SuperLU at 41k against 12.7 s AMG at 91k).
DEFAULT_LINEAR = "amg"


def sizes(size_mm: float, feature_um: float, layer_um: float) -> list[str]:
    return [f"mesh.size={size_mm:g} mm", f"mesh.feature_size={feature_um:g} um",
            f"mesh.max_layer_thickness={layer_um:g} um"]


# (size, feature_size, max_layer_thickness); hex8i dofs on the current mesher in the comments
LADDERS = {
    "reduced": [REDUCED + sizes(*s) for s in [
        (1.2, 135, 600),   # 41k
        (0.4, 50, 200),    # 91k
        (0.2, 22.5, 100),  # 186k
        (0.12, 15, 60),    # 402k
        (0.08, 10, 40),    # 927k
    ]],
    "full": [sizes(*s) for s in [
        (1.6, 180, 800),   # 217k
        (0.4, 45, 200),    # 562k
        (0.3, 30, 120),    # 1.05M
    ]],
}
PHASES = ("mesh", "assemble", "solve", "post", "total")


def child(overrides: list[str], max_memory_gb: float) -> None:
    """One size in this process (``api.run(write=False, force=True)``); prints its numbers as one JSON line.

    ``force``: the pre-run memory guard's estimate is deliberately conservative (it refused the full ladder's
    largest mesh, 1.05M dofs, at an estimated 23.8 GB; the reduced ladder's 0.93M dofs ran in 8.7 GB), so the
    address-space cap below is the safety net here instead.
    """
    import resource

    limit = int(max_memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from fcpkg_fem import api

    case = api.load_case(ROOT / "cases" / "reference.yaml", overrides=overrides)
    s = api.run(case, write=False, force=True).summary
    print(json.dumps({
        "overrides": overrides, "dofs": s["mesh"]["dofs"], "elements": s["mesh"]["elements"],
        "element": s["mesh"]["element"], "timing_s": s["timing_s"], "peak_memory_MB": s["peak_memory_MB"],
        "solver": s["solver"]["method"], "iterations": s["solver"]["iterations"],
    }), flush=True)


def run_size(overrides: list[str], timeout: float, max_memory_gb: float) -> dict:
    """One size in a fresh interpreter; its numbers or ``{"overrides", "error"}``."""
    cmd = [sys.executable, __file__, "--child", json.dumps(overrides), "--max-memory-gb", str(max_memory_gb)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"overrides": overrides, "error": f"stopped after {timeout:.0f} s"}
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["?"]
        if "MemoryError" in tail[0]:
            tail = [f"MemoryError (over the {max_memory_gb:g} GB cap)"]
        return {"overrides": overrides, "error": f"exit {p.returncode}: {tail[0][:120]}"}
    return json.loads(p.stdout.strip().splitlines()[-1])


def fit_exponent(dofs: list[float], times: list[float]) -> float | None:
    """Least-squares slope of log(time) on log(dofs); None with fewer than two usable points."""
    pts = [(math.log(n), math.log(t)) for n, t in zip(dofs, times) if n > 0 and t > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx > 0 else None


def label(overrides: list[str]) -> str:
    return ", ".join(o.split("=", 1)[1].replace(" ", "") for o in overrides if o.startswith("mesh.") and
                     "element" not in o)


def table(ladder: str, rows: list[dict]) -> str:
    head = ["ladder", "mesh (size, feature, layer)", "dofs", "elements", "mesh s", "assemble s", "solve s", "post s",
            "run s", "peak MB", "solver (its)"]
    lines = []
    ok = [r for r in rows if "error" not in r]
    for r in rows:
        if "error" in r:
            lines.append([ladder, label(r["overrides"]), "", "", "", "", "", "", "", r["error"], ""])
            continue
        t = r["timing_s"]
        its = "/".join(str(i) for i in r["iterations"])
        lines.append([ladder, label(r["overrides"]), f"{r['dofs']:,}", f"{r['elements']:,}", f"{t['mesh']:.1f}",
                      f"{t['assemble']:.1f}", f"{t['solve']:.1f}", f"{t['post']:.1f}", f"{t['total']:.1f}",
                      f"{r['peak_memory_MB']:,.0f}", f"{r['solver'].split(' (')[0]} ({its})"])
    if len(ok) >= 2:
        dofs = [r["dofs"] for r in ok]
        exps = {ph: fit_exponent(dofs, [r["timing_s"][ph] for r in ok]) for ph in PHASES}
        mem = fit_exponent(dofs, [r["peak_memory_MB"] for r in ok])
        f = lambda v: "" if v is None else f"p = {v:.2f}"  # noqa: E731
        lines.append([ladder, "fitted exponent (time ~ dofs^p)", f"{min(dofs):,}-{max(dofs):,}", "",
                      f(exps["mesh"]), f(exps["assemble"]), f(exps["solve"]), f(exps["post"]), f(exps["total"]),
                      f(mem), ""])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    fmt = "| " + " | ".join("{:<%d}" % w for w in widths) + " |"
    out = [fmt.format(*head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [fmt.format(*row) for row in lines]
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--skip", type=int, default=0, help="skip the first N sizes of each ladder")
    ap.add_argument("--ladder", action="append", choices=list(LADDERS), default=[],
                    help="ladder to run (repeatable); default: both")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per size; a size over it stops its ladder")
    ap.add_argument("--linear", choices=["auto", "amg", "direct", "pardiso"], default=DEFAULT_LINEAR,
                    help=f"linear solver for every size (default {DEFAULT_LINEAR}: one algorithm over the ladder)")
    ap.add_argument("--max-memory-gb", type=float, default=14.0, help="address-space cap of each run (GB)")
    args = ap.parse_args(argv)
    if args.child is not None:
        child(json.loads(args.child), args.max_memory_gb)
        return 0
    os.environ.update({"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"})
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    head = (f"reference case scaling (hex8i, -40 degC, solver.linear={args.linear}), {stamp}\n"
            f"machine: {machine()}\ncode: {revision()}\n")
    print(head, flush=True)
    results, texts = {}, []
    for ladder in args.ladder or list(LADDERS):
        rows = []
        for overrides in LADDERS[ladder][args.skip:]:
            row = run_size(list(overrides) + COMMON + [f"solver.linear={args.linear}"], args.timeout,
                           args.max_memory_gb)
            rows.append(row)
            print(table(ladder, [row]).splitlines()[2], flush=True)
            if "error" in row:
                print(f"stopping the {ladder} ladder: the larger sizes are skipped", flush=True)
                break
        results[ladder] = rows
        texts.append(table(ladder, rows))
    text = head + "\n\n".join(texts) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"bench_scaling-{stamp}.txt").write_text(text)
    (RESULTS / f"bench_scaling-{stamp}.json").write_text(json.dumps(results, indent=1) + "\n")
    print("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
