"""Benchmark: the reference case at several mesh sizes, one fresh process per size.

    python benchmarks/bench_reference.py                       # the default size ladder below
    python benchmarks/bench_reference.py --set "load.temperatures=[-40 degC]" --timeout 300
    python benchmarks/bench_reference.py --size "mesh.element=hex8,mesh.size=2mm,mesh.feature_size=300um"

Each size runs ``fcpkg_fem.api.run(case, write=False)`` in its own subprocess, so the peak resident memory
(``summary["peak_memory_MB"]``, ru_maxrss of that process) belongs to that run alone. Sizes run in the order
given (smallest first); when one exceeds ``--timeout`` seconds it is killed and the larger ones are skipped; each
run's address space is capped (``--max-memory-gb``) so that a size that does not fit fails with a MemoryError
instead of starting the machine's OOM killer.
The table (dofs, elements, seconds per phase from ``summary["timing_s"]``, wall time of the whole process,
peak memory, AMG iterations per solve) is printed and written to ``benchmarks/results/`` (git-ignored).
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
CASE = ROOT / "cases" / "reference.yaml"
RESULTS = ROOT / "benchmarks" / "results"

# smallest first; each entry is a list of case overrides
DEFAULT_SIZES = [
    ["mesh.element=hex8", "mesh.size=2 mm", "mesh.feature_size=300 um", "mesh.max_layer_thickness=2 mm"],
    ["mesh.element=hex8", "mesh.size=1 mm", "mesh.feature_size=100 um", "mesh.max_layer_thickness=1 mm"],
    ["mesh.element=hex8", "mesh.size=0.4 mm", "mesh.feature_size=45 um", "mesh.max_layer_thickness=200 um"],
    ["mesh.element=hex8i", "mesh.size=0.4 mm", "mesh.feature_size=45 um", "mesh.max_layer_thickness=200 um"],
    ["mesh.element=hex20", "mesh.size=2 mm", "mesh.feature_size=300 um", "mesh.max_layer_thickness=2 mm"],
    [],  # the case as written
]


def child(overrides: list[str], max_memory_gb: float) -> None:
    """Run one size in this process and print its summary numbers as one JSON line."""
    import resource

    # an address-space cap turns a run that would not fit into a MemoryError instead of an OOM kill of the machine
    limit = int(max_memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from fcpkg_fem import api

    t0 = time.perf_counter()
    case = api.load_case(CASE, overrides=overrides)
    # force: the address-space cap above is what stops a size that does not fit, not the preflight's estimate
    # (which overshoots fine meshes: 1.5M unknowns estimated for a mesh of 1.05M)
    res = api.run(case, write=False, force=True)
    s = res.summary
    print(json.dumps({
        "overrides": overrides,
        "dofs": s["mesh"]["dofs"],
        "elements": s["mesh"]["elements"],
        "element": s["mesh"]["element"],
        "timing_s": s["timing_s"],
        "wall_s": round(time.perf_counter() - t0, 2),
        "peak_memory_MB": s["peak_memory_MB"],
        "solver": s["solver"]["method"],
        "iterations": s["solver"]["iterations"],
        "temperatures_C": [o["temperature_C"] for o in s["outputs"]],
        "warpage_bottom_um": [o["warpage"]["bottom"]["signed_um"] for o in s["outputs"]],
    }), flush=True)


def run_size(overrides: list[str], timeout: float, max_memory_gb: float) -> dict:
    """One size in a fresh interpreter; returns its numbers or ``{"error": ..., "timeout": bool}``."""
    cmd = [sys.executable, __file__, "--child", json.dumps(overrides), "--max-memory-gb", str(max_memory_gb)]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"overrides": overrides, "error": f"stopped after {timeout:.0f} s", "timeout": True}
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["?"]
        if "MemoryError" in tail[0]:
            tail = [f"MemoryError (over the {max_memory_gb:g} GB cap)"]
        return {"overrides": overrides, "error": f"exit {p.returncode}: {tail[0][:120]}", "timeout": False}
    row = json.loads(p.stdout.strip().splitlines()[-1])
    row["process_wall_s"] = round(wall, 2)
    return row


def label(overrides: list[str]) -> str:
    short = [o.replace("mesh.", "").replace(" ", "") for o in overrides if o.startswith("mesh.")]
    return ",".join(short) or "case as written"


def table(rows: list[dict]) -> str:
    head = ["size (overrides)", "element", "dofs", "elements", "mesh s", "assemble s", "solve s", "post s",
            "run s", "process s", "peak MB", "AMG its"]
    lines = []
    for r in rows:
        if "error" in r:
            lines.append([label(r["overrides"]), "", "", "", "", "", "", "", "", r["error"], "", ""])
            continue
        t = r["timing_s"]
        its = "/".join(str(i) for i in r["iterations"])
        lines.append([label(r["overrides"]), r["element"], f"{r['dofs']:,}", f"{r['elements']:,}",
                      f"{t['mesh']:.1f}", f"{t['assemble']:.1f}", f"{t['solve']:.1f}", f"{t['post']:.1f}",
                      f"{t['total']:.1f}", f"{r['process_wall_s']:.1f}", f"{r['peak_memory_MB']:,.0f}", its])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    fmt = "| " + " | ".join("{:<%d}" % w for w in widths) + " |"
    out = [fmt.format(*head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [fmt.format(*row) for row in lines]
    return "\n".join(out)


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = float("nan")
    return f"{os.cpu_count()} CPUs ({cpu}), {mem:.0f} GB RAM, Python {platform.python_version()}"


def revision() -> str:
    """git commit of the code measured, with '+dirty' when the work tree has uncommitted changes."""
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "fcpkg_fem"],
                               capture_output=True, text=True, cwd=ROOT, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "git revision unknown"
    return f"git {rev}{'+dirty (fcpkg_fem has uncommitted changes)' if dirty else ''}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--size", action="append", default=[],
                    help="comma-separated overrides of one size (repeatable); default: the built-in ladder")
    ap.add_argument("--set", action="append", default=[], help="override applied to every size (repeatable)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per size before it is stopped")
    ap.add_argument("--max-memory-gb", type=float, default=14.0, help="address-space cap of each run (GB)")
    args = ap.parse_args(argv)
    if args.child is not None:
        child(json.loads(args.child), args.max_memory_gb)
        return 0
    sizes = [[o for o in s.split(",") if o.strip()] for s in args.size] if args.size else DEFAULT_SIZES
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    print(f"reference case benchmark, {stamp}, {machine()}, {revision()}", flush=True)
    if args.set:
        print("every size with: " + "; ".join(args.set), flush=True)
    rows = []
    for overrides in sizes:
        row = run_size(list(overrides) + list(args.set), args.timeout, args.max_memory_gb)
        rows.append(row)
        print(table([row]).splitlines()[-1], flush=True)
        if row.get("timeout"):
            print("stopping: the larger sizes are skipped", flush=True)
            break
    text = (f"reference case benchmark, {stamp}\nmachine: {machine()}\ncode: {revision()}\n"
            + (f"every size with: {'; '.join(args.set)}\n" if args.set else "")
            + table(rows) + "\n")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"bench_reference-{stamp}.txt").write_text(text)
    (RESULTS / f"bench_reference-{stamp}.json").write_text(json.dumps(rows, indent=1) + "\n")
    print("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
