"""Scaling of the reference case with hex8i: time per phase and peak memory from ~50k to ~1M dofs, with a fitted
exponent p of time ~ dofs^p per phase.

    python benchmarks/bench_scaling.py                     # both ladders below, smallest first
    python benchmarks/bench_scaling.py --ladder full --timeout 900

Two ladders, because the full reference case cannot go below ~185k dofs (its ~230 bump, via and ball outlines
each keep a minimum number of footprint cells, whatever mesh.size says):

* ``reduced``: cases/reference.yaml with its interconnect reduced (no vias, no top balls, one bump row per die
  at 1 mm pitch; as tests/verification/test_reference_convergence.py), ~47k to ~1M dofs;
* ``full``: the case as shipped (every feature), ~200k to ~1M dofs.

Each size runs ``api.run(case, write=False)`` at one temperature (-40 degC) in a fresh process through
bench_reference.py's child (so ``peak MB`` is that run's own ru_maxrss) with 2 threads. Phases are the API's
(``mesh`` = geometry + footprint + sweep, ``assemble`` = element geometry + stiffness and load, ``solve`` =
condensation + linear solve, ``post`` = stresses and post-processors). The exponent of each phase is the
least-squares slope of log(time) against log(dofs) over the sizes that ran; it is printed with the table and
written to benchmarks/results/ (git-ignored) as text and JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_reference import machine, revision, run_size  # noqa: E402

RESULTS = HERE / "results"
REDUCED = [
    "package.interconnect={kind: none}",
    "package.top_balls=null",
    *[f"package.carriers.{c}.chips.0.bumps.{k}" for c in ("bottom", "top") for k in ("rows=1", "pitch=1 mm")],
]
COMMON = ["mesh.element=hex8i", "load.temperatures=[-40 degC]"]


def sizes(size_mm: float, feature_um: float, layer_um: float) -> list[str]:
    return [f"mesh.size={size_mm:g} mm", f"mesh.feature_size={feature_um:g} um",
            f"mesh.max_layer_thickness={layer_um:g} um"]


# (size, feature_size, max_layer_thickness); hex8i dofs on the current mesher in the comments
LADDERS = {
    "reduced": [REDUCED + sizes(*s) for s in [
        (1.2, 135, 600),   # 47k
        (0.4, 50, 200),    # 87k
        (0.2, 22.5, 100),  # 179k
        (0.12, 15, 60),    # 403k
        (0.08, 10, 40),    # ~1M
    ]],
    "full": [sizes(*s) for s in [
        (1.6, 180, 800),   # 201k
        (0.4, 45, 200),    # 537k
        (0.3, 30, 120),    # 963k
    ]],
}
PHASES = ("mesh", "assemble", "solve", "post", "total")


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
    ap.add_argument("--ladder", action="append", choices=list(LADDERS), default=[],
                    help="ladder to run (repeatable); default: both")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per size; a size over it stops its ladder")
    ap.add_argument("--max-memory-gb", type=float, default=14.0, help="address-space cap of each run (GB)")
    args = ap.parse_args(argv)
    os.environ.update({"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"})
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    head = (f"reference case scaling (hex8i, -40 degC), {stamp}\nmachine: {machine()}\ncode: {revision()}\n")
    print(head, flush=True)
    results, texts = {}, []
    for ladder in args.ladder or list(LADDERS):
        rows = []
        for overrides in LADDERS[ladder]:
            row = run_size(list(overrides) + COMMON, args.timeout, args.max_memory_gb)
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
