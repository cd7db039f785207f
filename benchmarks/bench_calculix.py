"""Benchmark beside a peer: the same linear thermoelastic problem on the same mesh, fcpkg-fem and CalculiX.

    python benchmarks/bench_calculix.py                        # the default points below, smallest first
    python benchmarks/bench_calculix.py --point hex20-250k --point hex8i-65k
    python benchmarks/bench_calculix.py --install              # as root: apt-get install calculix-ccx if missing

For each point (an element and a set of case overrides on cases/reference.yaml, at one temperature) a fresh
child process meshes the case, builds and solves our problem (``MechanicalProblem`` + ``solve``: the assembly
and solve phases of ``api.run``), records its own peak resident memory, then writes the same problem as a
CalculiX deck (fcpkg_fem/io/calculix.py: same nodes and elements, per-region materials at the load
temperature, our constrained dofs, effective CTE). The parent then runs ``ccx`` on the deck as a separate
process (its wall time and, from ``wait4``, its own peak resident memory), reads its displacements and compares
them with ours dof by dof. Both run with 2 threads (OMP_NUM_THREADS=2, plus the BLAS variables for us).

Columns: dofs (ours) and CalculiX's number of equations (C3D8I adds 9 incompatible-mode unknowns per element
as global unknowns; we condense them per element), ``fc s`` = our assemble + solve + element stresses,
``ccx s`` = wall time of the ccx process (reading the deck, assembly, SPOOLES factorization and solve,
stresses, writing the .dat), their ratio fc/ccx, max |u_fc - u_ccx| / max |u_fc|, peak memory of each process
and ``K MB`` = nnz of our full stiffness matrix x 12 bytes (8-byte value + 4-byte column index), with each
peak as a multiple of it. Also printed: export time and the solver each side used.

ccx is found as $CCX or on PATH; when it is missing the script says how to install it and stops (with
``--install`` and root rights it runs ``apt-get install -y calculix-ccx`` itself). Results go to
benchmarks/results/ (git-ignored) as text and JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bench_reference import machine, revision  # noqa: E402

CASE = ROOT / "cases" / "reference.yaml"
RESULTS = HERE / "results"
T_LOAD = -40.0  # degC: cold end of the reference case's temperatures (the solder's 217 degC stress-free state)

# the reference package with its interconnect reduced (as tests/verification/test_reference_convergence.py):
# no vias, no top balls, one bump row per die at 1 mm pitch. The full case has ~230 disk outlines that keep the
# mesh above ~185k hex8 dofs at any size, so the smallest points use this one.
REDUCED = [
    "package.interconnect={kind: none}",
    "package.top_balls=null",
    "mesh.layer_elements={}",  # the shipped mesh refines the top balls, gone here
    *[f"package.carriers.{c}.chips.0.bumps.{k}" for c in ("bottom", "top") for k in ("rows=1", "pitch=1 mm")],
]


def sizes(size_mm: float, feature_um: float, layer_um: float) -> list[str]:
    return [f"mesh.size={size_mm:g} mm", f"mesh.feature_size={feature_um:g} um",
            f"mesh.max_layer_thickness={layer_um:g} um"]


# name -> (element, overrides); dofs measured on the current mesher (stated in the table the script prints)
POINTS = {
    "hex20-65k": ("hex20", REDUCED[:3] + [f"package.carriers.{c}.chips.0.bumps.{k}" for c in ("bottom", "top")
                                          for k in ("rows=1", "pitch=2 mm")] + sizes(2, 250, 2000)),  # 62k
    "hex20-250k": ("hex20", REDUCED + sizes(0.6, 100, 200)),  # 234k
    "hex20-1M": ("hex20", sizes(0.8, 90, 400)),  # full reference, ~1.1M (estimated from its hex8 mesh)
    "hex8i-65k": ("hex8i", REDUCED + sizes(0.6, 100, 200)),  # 60k
    "hex8i-250k": ("hex8i", sizes(0.8, 90, 400)),  # full reference, 283k
    "hex8i-1M": ("hex8i", sizes(0.3, 30, 120)),  # full reference, 1.05M
    # the same mesh with plain trilinear hexahedra: CalculiX's C3D8I adds 9 global unknowns per element (3.9M
    # equations at hex8i-1M), C3D8 does not, so this is the 1M point both solvers can hold in memory
    "hex8-1M": ("hex8", sizes(0.3, 30, 120)),
}
# hex20-1M is left out of the default list: on this 24 GB machine neither side fits it (our hex20 needed 10.6 GB
# at 713k dofs; CalculiX's SPOOLES 6.1 GB at 232k)
DEFAULT = ["hex20-65k", "hex8i-65k", "hex20-250k", "hex8i-250k", "hex8i-1M", "hex8-1M"]

THREADS = {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}


# ---------------------------------------------------------------------------------------------------------------
# child: our side
# ---------------------------------------------------------------------------------------------------------------


def child(name: str, workdir: Path, max_memory_gb: float, linear: str | None = None) -> None:
    """Mesh, assemble and solve one point, write the CalculiX deck, print our numbers as one JSON line."""
    limit = int(max_memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import numpy as np

    from fcpkg_fem import api
    from fcpkg_fem.io import calculix as cx
    from fcpkg_fem.solve.mechanical import MechanicalProblem

    element, overrides = POINTS[name]
    extra = [f"solver.linear={linear}"] if linear else []
    case = api.load_case(CASE, overrides=overrides + [f"mesh.element={element}", f"load.temperatures=[{T_LOAD} degC]"]
                         + extra)
    t0 = time.perf_counter()
    pm = api.mesh_case(case)
    t_mesh = time.perf_counter() - t0
    rss_mesh = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    problem = MechanicalProblem(pm, case.materials_resolved, api.stress_free_temperatures(case, pm),
                                element=element, linear=case.solver.linear, rtol=case.solver.rtol)
    t_geom = time.perf_counter() - t0
    st = problem.solve(T_LOAD)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    nnz = int(problem.pattern.nnz)  # the full (both triangles) stiffness pattern the assembly fills
    t0 = time.perf_counter()
    model = cx.export_inp(problem, T_LOAD, workdir / f"{name}.inp", title=f"bench_calculix {name}")
    t_export = time.perf_counter() - t0
    np.savez(workdir / f"{name}.npz", u=st.u, dof_of_node=model.dof_of_node)
    print(json.dumps({
        "point": name, "element": element, "ccx_element": model.element_type, "overrides": overrides,
        "dofs": int(problem.ndofs), "elements": int(pm.n_elements), "nodes": int(len(model.nodes)),
        "mesh_s": round(t_mesh, 2), "assemble_s": round(t_geom + st.timing["assemble"], 2),
        "solve_s": round(st.timing["solve"], 2), "stress_s": round(st.timing["stress"], 2),
        "export_s": round(t_export, 2), "solver": st.stats.method, "iterations": st.stats.iterations,
        "residual": st.stats.residual, "peak_MB": round(peak, 1), "peak_after_mesh_MB": round(rss_mesh, 1),
        "K_nnz": nnz, "max_u_m": float(np.abs(st.u).max()),
    }), flush=True)


# ---------------------------------------------------------------------------------------------------------------
# parent: CalculiX side and the comparison
# ---------------------------------------------------------------------------------------------------------------


def ensure_ccx(install: bool) -> str | None:
    from fcpkg_fem.io import calculix as cx

    ccx = cx.find_ccx()
    if ccx is None and install:
        if os.geteuid() != 0:
            print("--install needs root rights (apt-get); run: sudo apt-get install calculix-ccx", flush=True)
            return None
        print("installing calculix-ccx with apt-get ...", flush=True)
        subprocess.run(["apt-get", "update"], check=False)
        subprocess.run(["apt-get", "install", "-y", "calculix-ccx"], check=False)
        ccx = cx.find_ccx()
    if ccx is None:
        print(cx.CCX_MISSING + " (or rerun this script as root with --install)", flush=True)
    return ccx


def ccx_info(ccx: str) -> str:
    """Version line and linked equation solvers of the ccx binary (from ldd)."""
    try:
        libs = subprocess.run(["ldd", ccx], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        libs = ""
    solvers = [s for s, lib in (("SPOOLES", "libspooles"), ("PaStiX", "libpastix"), ("PARDISO", "libmkl"))
               if lib in libs]
    ver = ""
    try:
        out = subprocess.run([ccx, "-v"], capture_output=True, text=True, timeout=20).stdout
        ver = next((ln.strip() for ln in out.splitlines() if "Version" in ln), "")
    except (OSError, subprocess.SubprocessError):
        pass
    return f"{ccx} ({ver or 'version unknown'}; linked equation solvers: {', '.join(solvers) or 'none found'})"


def run_ccx(ccx: str, workdir: Path, job: str, timeout: float, max_memory_gb: float) -> dict:
    """Run ccx on ``job``.inp; wall time and the process' own peak RSS (wait4)."""
    limit = int(max_memory_gb * 2**30)

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {**os.environ, **THREADS}
    log = open(workdir / f"{job}.ccx.log", "w")
    t0 = time.perf_counter()
    p = subprocess.Popen([ccx, job], cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=cap)
    deadline = t0 + timeout
    status, ru = 0, None
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            p.kill()
            _, status, ru = os.wait4(p.pid, 0)
            log.close()
            return {"error": f"ccx stopped after {timeout:.0f} s"}
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    log.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    text = (workdir / f"{job}.ccx.log").read_text(errors="replace")
    if p.returncode != 0 or "Job finished" not in text:
        peak = ru.ru_maxrss / 1024
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        err = [ln for ln in lines if "ERROR" in ln][:1] or lines[-1:] or ["no output"]
        near_cap = " (at the address-space cap: out of memory)" if peak > 0.95 * max_memory_gb * 1024 else ""
        return {"error": f"ccx exit {p.returncode} after {time.perf_counter() - t0:.0f} s, peak {peak:,.0f} MB"
                         f"{near_cap}; last output: {err[0][:100]}", "ccx_peak_MB": round(peak, 1)}
    neq = re.search(r"number of equations\s+(\d+)", text)
    nnz_low = re.search(r"number of nonzero lower triangular matrix elements\s+(\d+)", text)
    total = re.search(r"Total CalculiX Time:\s*([0-9.Ee+-]+)", text)
    solver = "SPOOLES" if "spooles" in text.lower() else ("PaStiX" if "pastix" in text.lower() else "?")
    return {"ccx_s": round(wall, 2), "ccx_reported_s": float(total.group(1)) if total else None,
            "ccx_peak_MB": round(ru.ru_maxrss / 1024, 1), "ccx_equations": int(neq.group(1)) if neq else None,
            "ccx_nnz_lower": int(nnz_low.group(1)) if nnz_low else None, "ccx_solver": solver}


def run_point(name: str, ccx: str, workdir: Path, timeout: float, max_memory_gb: float,
              linear: str | None = None) -> dict:
    import numpy as np

    from fcpkg_fem.io import calculix as cx

    cmd = [sys.executable, __file__, "--child", name, "--workdir", str(workdir), "--max-memory-gb", str(max_memory_gb)]
    if linear:
        cmd += ["--linear", linear]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                           env={**os.environ, **THREADS})
    except subprocess.TimeoutExpired:
        return {"point": name, "error": f"fcpkg-fem stopped after {timeout:.0f} s"}
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["?"]
        if "MemoryError" in tail[0]:
            tail = [f"MemoryError (over the {max_memory_gb:g} GB cap)"]
        return {"point": name, "error": f"fcpkg-fem exit {p.returncode}: {tail[0][:160]}"}
    row = json.loads(p.stdout.strip().splitlines()[-1])
    row["fc_process_s"] = round(time.perf_counter() - t0, 2)
    row.update(run_ccx(ccx, workdir, name, timeout, max_memory_gb))
    if "error" in row:
        return row
    with np.load(workdir / f"{name}.npz") as d:
        u_fc, dof_of_node = d["u"], d["dof_of_node"]
    model = cx.CalculixModel(nodes=np.zeros((len(dof_of_node), 3)), dof_of_node=dof_of_node,
                             elements=np.zeros((0, 8), dtype=np.int64), element_type=row["ccx_element"])
    u_ccx = model.to_dofs(cx.read_dat(workdir / f"{name}.dat", len(dof_of_node)), len(u_fc))
    row["max_rel_diff"] = float(np.abs(u_fc - u_ccx).max() / np.abs(u_fc).max())
    row["fc_s"] = round(row["assemble_s"] + row["solve_s"] + row["stress_s"], 2)
    for suffix in (".inp", ".dat", ".frd", ".npz", ".sta", ".cvg", ".12d"):  # decks of a 1M-dof point are ~100 MB
        (workdir / f"{name}{suffix}").unlink(missing_ok=True)
    return row


def table(rows: list[dict]) -> str:
    head = ["point", "element", "dofs", "ccx eqs", "fc s (asm+solve)", "ccx s", "fc/ccx", "max rel diff u",
            "fc peak MB", "ccx peak MB", "K MB", "fc peak / K", "ccx peak / K", "fc solver"]
    lines = []
    for r in rows:
        if "error" in r or "max_rel_diff" not in r:
            lines.append([r["point"], r.get("element", ""), f"{r['dofs']:,}" if "dofs" in r else "",
                          "", f"{r['fc_s']:.1f}" if "fc_s" in r else "", r.get("error", "?"), "", "", "", "", "",
                          "", "", ""])
            continue
        kmb = r["K_nnz"] * 12 / 2**20
        its = f" ({r['iterations']} its)" if r["iterations"] else ""
        lines.append([r["point"], f"{r['element']} / {r['ccx_element']}", f"{r['dofs']:,}",
                      f"{r['ccx_equations']:,}" if r["ccx_equations"] else "?",
                      f"{r['fc_s']:.1f} ({r['assemble_s']:.1f}+{r['solve_s']:.1f}+{r['stress_s']:.1f})",
                      f"{r['ccx_s']:.1f}", f"{r['fc_s'] / r['ccx_s']:.2f}", f"{r['max_rel_diff']:.1e}",
                      f"{r['peak_MB']:,.0f}", f"{r['ccx_peak_MB']:,.0f}", f"{kmb:,.0f}",
                      f"{r['peak_MB'] / kmb:.1f}", f"{r['ccx_peak_MB'] / kmb:.1f}",
                      r["solver"].split(" (")[0] + its])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    fmt = "| " + " | ".join("{:<%d}" % w for w in widths) + " |"
    out = [fmt.format(*head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [fmt.format(*row) for row in lines]
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", default=None,
                    help="folder for the decks and ccx output (default: a results subfolder)")
    ap.add_argument("--point", action="append", default=[], choices=list(POINTS),
                    help="point to run (repeatable); default: " + ", ".join(DEFAULT))
    ap.add_argument("--timeout", type=float, default=1200.0, help="seconds per solver per point")
    ap.add_argument("--max-memory-gb", type=float, default=16.0, help="address-space cap of each solver process")
    ap.add_argument("--linear", choices=["auto", "amg", "direct", "pardiso"], default=None,
                    help="our linear solver (default: the case's, auto: SuperLU below 80k dofs, else PARDISO "
                         "when installed, else AMG-CG)")
    ap.add_argument("--install", action="store_true", help="apt-get install calculix-ccx when missing (root only)")
    args = ap.parse_args(argv)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    workdir = Path(args.workdir) if args.workdir else RESULTS / f"calculix-{stamp}"
    if args.child is not None:
        child(args.child, workdir, args.max_memory_gb, args.linear)
        return 0
    ccx = ensure_ccx(args.install)
    if ccx is None:
        return 1
    workdir.mkdir(parents=True, exist_ok=True)
    head = (f"fcpkg-fem vs CalculiX, {stamp}\nmachine: {machine()}\ncode: {revision()}\nccx: {ccx_info(ccx)}\n"
            f"load: cases/reference.yaml at {T_LOAD:g} degC (one temperature), threads: OMP_NUM_THREADS=2\n"
            + (f"our linear solver forced: {args.linear}\n" if args.linear else ""))
    print(head, flush=True)
    rows = []
    for name in args.point or DEFAULT:
        row = run_point(name, ccx, workdir, args.timeout, args.max_memory_gb, args.linear)
        rows.append(row)
        print(table([row]).splitlines()[-1], flush=True)
    text = head + table(rows) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"bench_calculix-{stamp}.txt").write_text(text)
    (RESULTS / f"bench_calculix-{stamp}.json").write_text(json.dumps(rows, indent=1) + "\n")
    print("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
