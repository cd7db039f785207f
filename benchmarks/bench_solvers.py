"""Benchmark: SuperLU, MKL PARDISO and AMG-CG on the same assembled systems, a few hundred to ~100k unknowns.

    python benchmarks/bench_solvers.py                          # the whole ladder (about an hour on 2 cores)
    python benchmarks/bench_solvers.py --max-unknowns 40000     # the smaller points only
    python benchmarks/bench_solvers.py --point lam-hex8i-3k --point ref-hex8i-23k --repeats 3

What ``solver.linear: auto`` chooses from (fcpkg_fem/solve/linear.py, ``auto_method``). Each point is a condensed
elasticity system K u = f assembled once, the way :class:`fcpkg_fem.solve.mechanical.MechanicalProblem` does:
three-layer laminates (BT core 260 um / low-modulus die attach 25 um / silicon 100 um, 10 x 10 mm quarter model,
``tests/support/verification.py`` ``laminate_case``, at 125 degC) in hex8i and hex20, and the shipped cases with
the regression tests' thinned arrays (``tests/support/coarse.py``) at -40 degC, coarse and refined.

Every measurement runs in its own fresh process, which loads the matrix from disk and solves it with the project's
own classes: ``direct`` (SuperLU, ``linear._Factor``: factorization + one solve), ``pardiso`` (the same through
pypardiso; the first factorization of the process, which loads MKL and starts its threads, is reported apart, and
the refactorization of the same pattern, PARDISO phase 22, which a history's Newton iterations use) and ``amg``
(``LinearSolver("amg")``: pyamg hierarchy + CG to rtol 1e-8). The methods of one point run one after another, in
reversed order on every other repeat, so that a change of the machine's load hits all of them; a method's time is
its fastest repeat (each process repeats a fast solve while it takes under ``--budget`` seconds). Peak memory is
the growth of the process's peak resident set (VmHWM, reset before the solve) during the solve: C allocations
included, unlike tracemalloc. Solutions are
compared with SuperLU's. MKL runs with its default threads (all cores), SuperLU and pyamg on one.

The table is printed and written with a JSON copy to ``benchmarks/results/`` (git-ignored). Needs the base install
plus pypardiso (without it the PARDISO columns stay empty); no pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_reference import machine, revision  # noqa: E402
from skfem import condense  # noqa: E402
from support.coarse import COARSE_MESH, coarse_pattern  # noqa: E402
from support.verification import laminate_case  # noqa: E402

from fcpkg_fem import api  # noqa: E402
from fcpkg_fem.errors import SolverError  # noqa: E402
from fcpkg_fem.physics import elasticity as el  # noqa: E402
from fcpkg_fem.solve.linear import LinearSolver, _Factor, pardiso_available  # noqa: E402
from fcpkg_fem.solve.mechanical import MechanicalProblem  # noqa: E402

METHODS = ("direct", "pardiso", "amg")
LAYERS = [("core", "bt_laminate", 260), ("adh", "die_attach_lowmod", 25), ("die", "silicon", 100)]
REFINED = ["mesh.size=1 mm", "mesh.feature_size=150 um", "mesh.max_layer_thickness=300 um"]

# name -> (element, source): ("laminate", mesh size mm, min elements per layer) | ("case", case, extra overrides).
# Smallest first within each family; unknowns as measured on the mesher of 2026-12 (the name says roughly).
POINTS = {
    "lam-hex8i-0.3k": ("hex8i", ("laminate", 2.0, 1)),
    "lam-hex8i-0.9k": ("hex8i", ("laminate", 1.0, 2)),
    "lam-hex8i-1.6k": ("hex8i", ("laminate", 0.7, 2)),
    "lam-hex8i-2.4k": ("hex8i", ("laminate", 0.6, 2)),
    "lam-hex8i-3k": ("hex8i", ("laminate", 0.5, 3)),
    "lam-hex8i-8k": ("hex8i", ("laminate", 0.35, 3)),
    "lam-hex8i-13k": ("hex8i", ("laminate", 0.25, 3)),
    "lam-hex8i-20k": ("hex8i", ("laminate", 0.25, 5)),
    "lam-hex8i-39k": ("hex8i", ("laminate", 0.18, 5)),
    "lam-hex8i-68k": ("hex8i", ("laminate", 0.15, 6)),
    "lam-hex8i-104k": ("hex8i", ("laminate", 0.12, 6)),
    "lam-hex20-0.3k": ("hex20", ("laminate", 3.0, 1)),
    "lam-hex20-0.9k": ("hex20", ("laminate", 2.0, 1)),
    "lam-hex20-1.9k": ("hex20", ("laminate", 1.0, 1)),
    "lam-hex20-3k": ("hex20", ("laminate", 1.0, 2)),
    "lam-hex20-6k": ("hex20", ("laminate", 0.7, 2)),
    "lam-hex20-13k": ("hex20", ("laminate", 0.5, 3)),
    "lam-hex20-32k": ("hex20", ("laminate", 0.35, 3)),
    "lam-hex20-49k": ("hex20", ("laminate", 0.25, 3)),
    "lam-hex20-79k": ("hex20", ("laminate", 0.25, 5)),
    "tab-hex8i-16k": ("hex8i", ("case", "tab_traces", [])),
    "ref-hex8i-23k": ("hex8i", ("case", "reference", [])),
    "ref-hex8i-36k": ("hex8i", ("case", "reference", REFINED)),
    "ref-hex8i-53k": ("hex8i", ("case", "reference", ["mesh.size=0.6 mm", "mesh.feature_size=100 um",
                                                      "mesh.max_layer_thickness=150 um"])),
    "ref-hex8i-68k": ("hex8i", ("case", "reference", ["mesh.size=0.5 mm", "mesh.feature_size=80 um",
                                                      "mesh.max_layer_thickness=100 um"])),
    "tab-hex20-60k": ("hex20", ("case", "tab_traces", [])),
    "ref-hex20-90k": ("hex20", ("case", "reference", [])),
}


# ------------------------------------------------------------------------------------------------ the systems


def build(element: str, source: tuple):
    """(K, f, near-null space) of one point: the condensed system MechanicalProblem.solve hands to its solver."""
    if source[0] == "laminate":
        _, size_mm, layers = source
        case = api.load_case(laminate_case(LAYERS, size_mm=(10.0, 10.0), element=element, mesh_size_mm=size_mm,
                                           min_elements_per_layer=layers))
        T = 125.0
    else:
        _, name, extra = source
        path = ROOT / "cases" / f"{name}.yaml"
        case = api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path)) + list(extra)
                             + [f"mesh.element={element}"])
        T = -40.0
    pm = api.mesh_case(case)
    prob = MechanicalProblem(pm, case.materials_resolved, api.stress_free_temperatures(case, pm), element=element)
    C, eth = prob.element_fields(T)
    K, f = el.assemble(prob.basis, C, eth, prob.chunks, pattern=prob.pattern)
    Kc, fc, _, I = condense(K, f, D=prob.D)
    return Kc.tocsr(), fc, prob.solver.near_null


def peak_mb(reset: bool = False) -> float:
    """Peak resident memory of this process in MB (VmHWM); ``reset``: first lower the peak to the current size."""
    if reset:
        with open("/proc/self/clear_refs", "w") as fh:  # Linux >= 4.0: "5" resets the peak RSS
            fh.write("5")
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ------------------------------------------------------------------------------------------------ one measurement


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def _direct(K, f, method: str, budget: float) -> dict:
    t_fac, F = _timed(lambda: _Factor(K, method))
    t_sol, u = _timed(lambda: F.solve(f))
    rec = {"first_factor_s": t_fac, "first_solve_s": t_sol, "factor_s": [t_fac], "solve_s": [t_sol]}
    spent = t_fac + t_sol
    while spent < budget and len(rec["factor_s"]) < 4:  # fast: repeat (new analysis and factorization)
        F.free()
        t_fac, F = _timed(lambda: _Factor(K, method))
        t_sol, u = _timed(lambda: F.solve(f))
        rec["factor_s"].append(t_fac)
        rec["solve_s"].append(t_sol)
        spent += t_fac + t_sol
    if method == "pardiso":  # the same pattern again: PARDISO keeps the ordering and redoes the numbers (phase 22)
        rec["refactor_s"] = []
        for _ in range(3 if spent < budget else 1):
            t, F = _timed(lambda: _Factor(K, method, previous=F))
            rec["refactor_s"].append(t)
    F.free()
    if len(rec["factor_s"]) > 1:  # the first of the process is reported apart (MKL's loading and thread start)
        rec["factor_s"], rec["solve_s"] = rec["factor_s"][1:], rec["solve_s"][1:]
    rec["seconds"] = min(a + b for a, b in zip(rec["factor_s"], rec["solve_s"]))
    return rec, u


def _amg(K, f, B, budget: float) -> dict:
    times, u, its = [], None, None
    while not times or (sum(times) < budget and len(times) < 4):
        ls = LinearSolver("amg", 1e-8, near_null=B)
        try:
            t, (u, st) = _timed(lambda: ls.solve(K, f))
        except SolverError as exc:
            return {"error": str(exc)[:80]}, None
        times.append(t)
        its = st.iterations
    return {"seconds": min(times), "all_s": times, "iterations": its}, u


def child(method: str, data: str, out: str, budget: float) -> None:
    """Solve one stored system with one method in this process; print a JSON line, save the solution."""
    d = np.load(data)
    K = sp.csr_matrix((d["data"], d["indices"], d["indptr"]), shape=tuple(d["shape"]))
    f, B = d["f"], d["B"]
    base = peak_mb(reset=True)
    rec, u = _amg(K, f, B, budget) if method == "amg" else _direct(K, f, method, budget)
    rec["peak_MB"] = peak_mb() - base
    if u is not None:
        rec["residual"] = float(np.linalg.norm(K @ u - f) / np.linalg.norm(f))
        np.save(out, u)
    print(json.dumps(rec), flush=True)


def measure(method: str, data: Path, out: Path, budget: float, timeout: float) -> dict:
    cmd = [sys.executable, __file__, "--child", method, str(data), str(out), "--budget", str(budget)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {timeout:.0f} s", "timeout": True}
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["?"]
        return {"error": f"exit {p.returncode}: {tail[0][:100]}"}
    return json.loads(p.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------------ the table


def _s(r: dict | None, key: str = "seconds") -> float | None:
    return None if not r or key not in r else (min(r[key]) if isinstance(r[key], list) else r[key])


def _fmt(x: float | None, spec: str = ".3g") -> str:
    return "" if x is None else format(x, spec)


def _ratio(a: float | None, b: float | None) -> str:
    return "" if a is None or b is None or b <= 0 else f"{a / b:.2g}"


HEAD = ["point", "element", "unknowns", "nnz", "nnz/row", "SuperLU s", "PARDISO s", "PARDISO 1st s",
        "PARDISO refac s", "AMG s (its)", "SuperLU/PARDISO", "AMG/PARDISO", "SuperLU/AMG", "SuperLU solve s",
        "PARDISO solve s", "peak MB (SLU/PAR/AMG)", "max du (PAR, AMG)", "load"]


def row_cells(r: dict) -> list[str]:
    m = r["methods"]
    d, p, a = m.get("direct"), m.get("pardiso"), m.get("amg")
    sd, sp_, sa = _s(d), _s(p), _s(a)
    cells = [r["point"], r["element"], f"{r['n']:,}", f"{r['nnz']:,}", f"{r['nnz'] / r['n']:.0f}"]
    cells.append(_fmt(sd) if sd is not None else (d or {}).get("error", "skipped"))
    cells.append(_fmt(sp_) if sp_ is not None else (p or {}).get("error", ""))
    cells.append(_fmt(_s(p, "first_factor_s") + _s(p, "first_solve_s")) if sp_ is not None else "")
    cells.append(_fmt(_s(p, "refactor_s")))
    cells.append(f"{_fmt(sa)} ({a['iterations']})" if sa is not None else (a or {}).get("error", ""))
    cells += [_ratio(sd, sp_), _ratio(sa, sp_), _ratio(sd, sa), _fmt(_s(d, "solve_s")), _fmt(_s(p, "solve_s"))]
    cells.append("/".join(_fmt(x.get("peak_MB") if x else None, ".0f") or "-" for x in (d, p, a)))
    cells.append(", ".join(_fmt(r.get("du", {}).get(k), ".0e") or "-" for k in ("pardiso", "amg")))
    cells.append(r["load"])
    return cells


def table(rows: list[dict]) -> str:
    lines = [row_cells(r) for r in rows]
    out = ["| " + " | ".join(HEAD) + " |", "|" + "|".join("---" for _ in HEAD) + "|"]
    return "\n".join(out + ["| " + " | ".join(c) + " |" for c in lines])


# ------------------------------------------------------------------------------------------------ main


def run_point(name: str, tmp: Path, a, skip: set) -> dict | None:
    element, source = POINTS[name]
    K, f, B = build(element, source)
    n = K.shape[0]
    if n > a.max_unknowns:
        return None
    data = tmp / f"{name}.npz"
    np.savez(data, data=K.data, indices=K.indices, indptr=K.indptr, shape=np.array(K.shape), f=f,
             B=B if B is not None else np.zeros((n, 0)))
    row = {"point": name, "element": element, "n": n, "nnz": int(K.nnz), "methods": {}, "runs": {}}
    del K
    methods = [m for m in METHODS if m != "pardiso" or pardiso_available()]
    loads = [os.getloadavg()[0]]
    for rep in range(a.repeats):
        for m in methods if rep % 2 == 0 else methods[::-1]:
            if (element, m) in skip:
                row["methods"].setdefault(m, {"error": "skipped (slow below)"})
                continue
            prev = row["methods"].get(m)
            if rep and (prev is None or "error" in prev or prev["seconds"] > a.long):
                continue  # slow enough that one run says it, or failed
            r = measure(m, data, tmp / f"{name}-{m}.npy", a.budget, a.timeout)
            row["runs"].setdefault(m, []).append(r)
            if "error" in r:
                row["methods"][m] = r
                if r.get("timeout"):
                    skip.add((element, m))
            elif prev is None or r["seconds"] < prev["seconds"]:
                row["methods"][m] = r
            loads.append(os.getloadavg()[0])
    row["load"] = f"{min(loads):.1f}-{max(loads):.1f}"
    ref = tmp / f"{name}-direct.npy"
    if ref.exists():
        u0 = np.load(ref)
        row["du"] = {m: float(np.abs(np.load(tmp / f"{name}-{m}.npy") - u0).max() / np.abs(u0).max())
                     for m in ("pardiso", "amg") if (tmp / f"{name}-{m}.npy").exists()}
    data.unlink()
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--point", action="append", choices=list(POINTS), help="one point (repeatable); default: all")
    ap.add_argument("--max-unknowns", type=int, default=120_000, help="skip points with more unknowns")
    ap.add_argument("--repeats", type=int, default=2, help="runs of each method per point, alternating order")
    ap.add_argument("--budget", type=float, default=2.0, help="seconds a process may spend repeating a fast solve")
    ap.add_argument("--long", type=float, default=60.0, help="a method slower than this runs once per point")
    ap.add_argument("--timeout", type=float, default=1200.0, help="seconds per measurement before it is stopped "
                    "(the method is then skipped for the larger points of that element)")
    a = ap.parse_args(argv)
    if a.child:
        child(*a.child, budget=a.budget)
        return 0
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    head = f"linear solver benchmark, {stamp}, {machine()}, {revision()}"
    print(head, flush=True)
    rows, skip = [], set()
    with tempfile.TemporaryDirectory(prefix="bench_solvers-") as tmp:
        for name in a.point or list(POINTS):
            row = run_point(name, Path(tmp), a, skip)
            if row is None:
                continue
            rows.append(row)
            print("| " + " | ".join(row_cells(row)) + " |", flush=True)
    text = f"{head}\n{table(rows)}\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"bench_solvers-{stamp}.txt").write_text(text)
    (RESULTS / f"bench_solvers-{stamp}.json").write_text(json.dumps(rows, indent=1) + "\n")
    print("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
