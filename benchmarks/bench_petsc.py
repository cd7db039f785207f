"""Benchmark: the linear thermoelastic system solved by PETSc on several MPI processes, beside our own solve.

    mpirun -n 1 python benchmarks/bench_petsc.py                      # cases/reference.yaml at -40 degC
    mpirun -n 2 python benchmarks/bench_petsc.py --solver gamg        # CG + GAMG, rigid-body near null space
    mpirun -n 2 python benchmarks/bench_petsc.py --solver mumps --set "mesh.size=0.6 mm"

Issue 16's path for models beyond one machine's memory, tried on this machine (docs/benchmarks.md, "A distributed
solve: PETSc"). It needs petsc4py and mpi4py, which are not dependencies of fcpkg-fem and have no wheels on PyPI;
the Debian packages (``python3-petsc4py``, ``python3-mpi4py``: PETSc 3.18 with MUMPS, SuperLU_dist and hypre) are
built for the system Python and numpy 1.x, hence a virtual environment of its own::

    apt-get install python3-petsc4py python3-mpi4py
    /usr/bin/python3 -m venv --system-site-packages .venv-petsc && . .venv-petsc/bin/activate
    pip install "numpy>=1.26,<2" -e .
    export PETSC_DIR=/usr/lib/petscdir/petsc3.18/x86_64-linux-gnu-real   # read by Debian's petsc4py.pth

What runs: rank 0 meshes the case, assembles the stiffness matrix and thermal load with fcpkg-fem, removes the
constrained dofs and solves them itself (the case's ``solver.linear``: the reference answer). It then sends each
rank its block of contiguous rows (CSR), and PETSc solves the same system on all ranks: ``gamg`` (CG with PETSc's
smoothed-aggregation AMG, the six rigid-body modes as near null space, relative residual 1e-10) or ``mumps``
(MUMPS's distributed LDL^T factorization). The solution is gathered on rank 0 and compared with the reference:
max |u_petsc - u| / max |u|. Printed as one JSON line: dofs, ranks, seconds per phase (assemble, our solve,
distribute, PETSc setup, PETSc solve), iterations, the largest peak memory of any rank and the sum over ranks
(ru_maxrss), the difference.

Not distributed here: the mesh and the assembly (rank 0 holds the whole matrix), so the path shows the distributed
solve and its agreement, not yet the memory of a model that fits on no single machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reference_system(case_path: str, overrides: list[str], T: float) -> dict:
    """On one process: the condensed system (CSR arrays, load), our own solution of it, the dof locations' rigid
    body modes and the seconds of each phase."""
    from skfem import condense

    from fcpkg_fem import api
    from fcpkg_fem.physics import elasticity as el
    from fcpkg_fem.solve.linear import rigid_body_modes
    from fcpkg_fem.solve.mechanical import MechanicalProblem

    t0 = time.perf_counter()
    case = api.load_case(case_path, overrides=overrides)
    pm = api.mesh_case(case)
    prob = MechanicalProblem(pm, case.materials_resolved,
                             case.stress_free_temperatures(pm.region_names, pm.region_material),
                             element=case.mesh.element, linear=case.solver.linear, rtol=case.solver.rtol)
    t1 = time.perf_counter()
    C_el, eth_el = prob.element_fields(T)
    K, f = el.assemble(prob.basis, C_el, eth_el, prob.chunks, pattern=prob.pattern)
    Kc = condense(K, f, D=prob.D)[0].tocsr()
    fI = f[prob.I]
    del K
    t2 = time.perf_counter()
    uI, stats = prob.solver.solve(Kc, fI)
    t3 = time.perf_counter()
    rbm = rigid_body_modes(prob.basis.doflocs.T[0::3])[prob.I]
    q, _ = np.linalg.qr(rbm)  # PETSc's near null space: orthonormal vectors
    return {"K": Kc, "f": fI, "u": uI, "rbm": q, "method": stats.method,
            "seconds": {"mesh_and_problem": t1 - t0, "assemble": t2 - t1, "our_solve": t3 - t2}}


def row_blocks(n: int, size: int) -> np.ndarray:
    """(size + 1,) the first row of each rank's contiguous block (balanced, multiples of 3 where possible)."""
    cuts = [3 * round(n * k / size / 3) for k in range(size + 1)]
    cuts[-1] = n
    return np.array(cuts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", default=str(ROOT / "cases" / "reference.yaml"))
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="a case override")
    ap.add_argument("--temperature", type=float, default=-40.0, help="degC (default -40, the reference's cold end)")
    ap.add_argument("--solver", choices=("gamg", "mumps"), default="gamg")
    ap.add_argument("--rtol", type=float, default=1e-10)
    args = ap.parse_args()

    import petsc4py

    petsc4py.init(sys.argv[:1])
    from mpi4py import MPI
    from petsc4py import PETSc

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    ref = reference_system(args.case, args.set, args.temperature) if rank == 0 else None

    t0 = time.perf_counter()
    if rank == 0:
        K, n = ref["K"], ref["K"].shape[0]
        cuts = row_blocks(n, size)
        parts = []
        for k in range(size):
            a, b = cuts[k], cuts[k + 1]
            lo, hi = K.indptr[a], K.indptr[b]
            parts.append((a, b, n, K.indptr[a:b + 1] - lo, K.indices[lo:hi], K.data[lo:hi], ref["f"][a:b],
                          ref["rbm"][a:b]))
    else:
        parts = None
    a, b, n, indptr, indices, data, f_loc, rbm_loc = comm.scatter(parts, root=0)
    del parts
    A = PETSc.Mat().createAIJ(size=((b - a, n), (b - a, n)), csr=(indptr.astype(PETSc.IntType),
                                                                   indices.astype(PETSc.IntType), data), comm=comm)
    A.assemble()
    rhs = A.createVecLeft()
    rhs.setArray(f_loc)
    x = A.createVecRight()
    comm.Barrier()
    t1 = time.perf_counter()

    ksp = PETSc.KSP().create(comm)
    ksp.setOperators(A)
    if args.solver == "gamg":
        vecs = []
        for j in range(rbm_loc.shape[1]):
            v = A.createVecRight()
            v.setArray(np.ascontiguousarray(rbm_loc[:, j]))
            vecs.append(v)
        A.setNearNullSpace(PETSc.NullSpace().create(vectors=vecs, comm=comm))
        ksp.setType("cg")
        ksp.getPC().setType("gamg")
        ksp.setTolerances(rtol=args.rtol, atol=0.0, max_it=2000)
    else:
        A.setOption(PETSc.Mat.Option.SPD, True)  # the condensed stiffness is: MUMPS's symmetric (LDL^T) path
        ksp.setType("preonly")
        pc = ksp.getPC()
        pc.setType("cholesky")
        pc.setFactorSolverType("mumps")
    ksp.setFromOptions()
    ksp.setUp()
    comm.Barrier()
    t2 = time.perf_counter()
    ksp.solve(rhs, x)
    comm.Barrier()
    t3 = time.perf_counter()
    reason, its = ksp.getConvergedReason(), ksp.getIterationNumber()

    u_parts = comm.gather(x.getArray().copy(), root=0)
    peaks = comm.gather(_peak_mb(), root=0)
    if rank == 0:
        u = np.concatenate(u_parts)
        diff = float(np.abs(u - ref["u"]).max() / np.abs(ref["u"]).max())
        print(json.dumps({
            "case": Path(args.case).name, "set": args.set, "dofs": int(n), "nnz": int(ref["K"].nnz), "ranks": size,
            "solver": args.solver, "our_method": ref["method"],
            "seconds": {**{k: round(v, 2) for k, v in ref["seconds"].items()}, "distribute": round(t1 - t0, 2),
                        "petsc_setup": round(t2 - t1, 2), "petsc_solve": round(t3 - t2, 2)},
            "iterations": int(its), "converged_reason": int(reason), "peak_MB_max": round(max(peaks)),
            "peak_MB_sum": round(sum(peaks)), "rel_diff": diff}), flush=True)
        if reason <= 0:
            raise SystemExit(f"PETSc did not converge (reason {reason})")


if __name__ == "__main__":
    main()
