"""Linear solvers for the (condensed) elasticity system.

``amg``: conjugate gradients preconditioned by pyamg smoothed aggregation with the six rigid-body modes as
near-null space, for large systems; ``direct``: SuperLU, for small systems and as a fall-back check;
``pardiso``: MKL PARDISO's symmetric positive-definite factorization through ``pypardiso`` (a dependency on
x86-64; elsewhere absent). ``auto`` picks by the matrix's size and density (:func:`auto_method`): where PARDISO is
installed, SuperLU for the small dense-rowed systems where it is the faster (up to ~1.2k unknowns with 8-node
elements, ~2.6k with hex20) and PARDISO for every larger one; without it, SuperLU up to
``DIRECT_LIMIT_SPARSE`` / ``DIRECT_LIMIT`` unknowns and AMG-CG above. The factorization (SuperLU or PARDISO) is
kept: a process history's next increment or Newton iteration first tries CG preconditioned by it (``nearby``).
Timings of the three from a few hundred to 104k unknowns: docs/benchmarks.md, "Linear solver crossover (auto)".
"""

from __future__ import annotations

import copy
import ctypes
import importlib.metadata
import importlib.util
import os
import threading
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl

from ..errors import SolverError

AMG_NAME = "amg-cg (pyamg smoothed aggregation, rigid-body near-null space)"

# ``auto``: constants from benchmarks/bench_solvers.py (docs/benchmarks.md, "Linear solver crossover (auto)"): the
# condensed elasticity matrices of laminates and of the shipped packages, 259 to 103,758 unknowns, hex8i and hex20,
# each method timed on the same matrix. Sizes and counts decide, never a time measured during the run.
#: With PARDISO: SuperLU while the matrix's density (stored entries / n^2) is above this, PARDISO below. SuperLU's
#: factorization + solve over PARDISO's crossed 1 between 930 and 1,574 unknowns with hex8i (58-61 entries per row,
#: density 6.2 % and 3.9 %) and between 1,890 and 3,408 with hex20 (124-133 per row, 6.5 % and 3.9 %): a crossover
#: in unknowns that grows with the row length, at about 5 % density for both. Above, PARDISO was 1-7x faster at
#: 1.6k-6k, 3.3-10x at 8k-40k and 8-48x at 49k-104k, with solutions equal to 1e-9 of max |u|.
PARDISO_MAX_DENSITY = 0.05
#: Without PARDISO: SuperLU up to this many unknowns, AMG-CG above, for hex20-like rows (over ``SPARSE_ROW`` stored
#: entries): on hex20, AMG needed 480-780 CG iterations on the laminates and SuperLU stayed faster up to 79k (AMG
#: 1.0x at 60k and 3.3x faster at 90k on the packages). Also the thermal solver's SuperLU limit (solve/thermal.py).
DIRECT_LIMIT = 80_000
#: The same for 8-node elements (rows of at most ``SPARSE_ROW`` entries; 72-75 on the packages): on the reference
#: package SuperLU was faster at 23k unknowns (4.4 s against 6.8 s) and AMG-CG 3.3-19x faster from 36k to 68k; on
#: the laminates AMG was 0.92x at 39k and 1.6x at 68k.
DIRECT_LIMIT_SPARSE = 35_000
SPARSE_ROW = 100


def pardiso_available() -> bool:
    """True when the optional pypardiso package (MKL PARDISO) can be imported."""
    return importlib.util.find_spec("pypardiso") is not None


def auto_method(n: int, nnz_per_row: float, pardiso: bool | None = None) -> str:
    """The method ``solver.linear: auto`` uses for an n x n matrix with ``nnz_per_row`` stored entries per row on
    average (both triangles): ``direct``, ``pardiso`` or ``amg`` (see the constants above).

    Args:
        pardiso: whether PARDISO is installed; None: look (:func:`pardiso_available`).
    """
    if pardiso is None:
        pardiso = pardiso_available()
    if pardiso:
        return "pardiso" if nnz_per_row <= PARDISO_MAX_DENSITY * n else "direct"
    return "direct" if n <= (DIRECT_LIMIT_SPARSE if nnz_per_row <= SPARSE_ROW else DIRECT_LIMIT) else "amg"


#: PARDISO factorizes in single precision (MKL ``iparm[27]`` = 1) from this many unknowns on; CG preconditioned by
#: that factorization then refines the solution to :data:`MIXED_RTOL`. On the reference case (270,273 unknowns,
#: hex8i) the single factorization needed 0.59x the memory of the double one and CG 3-4 iterations to a relative
#: residual of 1e-11: the run's peak 0.8x, its solves 0.91x (docs/benchmarks.md, "Phases of the linear solve").
#: A size, never a timing, decides. Should the refinement not converge in :data:`MIXED_MAXITER` iterations (a system too badly
#: conditioned for single precision), the matrix is factorized again in double.
PARDISO_SINGLE_MIN = 100_000
MIXED_RTOL = 1e-11
MIXED_MAXITER = 30

NEARBY_MAXITER = 200  # marks a failed CG on an older factorization (refactorize at the next solve)
#: CG iterations preconditioned by an older factorization that together cost about one new factorization: the
#: factorization over the solve time measured on 1k-36k unknown laminates (docs/benchmarks.md, "CG on a kept
#: factorization") over 1.3 (a CG step is a solve plus a product). Counts, never timings, decide, so that two
#: runs of one case do the same arithmetic whatever the machine's load.
NEARBY_BUDGET = {"direct": 80, "pardiso": 10}


@dataclass
class LinearStats:
    method: str
    iterations: int
    residual: float


def rigid_body_modes(xyz: np.ndarray, comp: np.ndarray | None = None) -> np.ndarray:
    """(n_dofs, 6) rigid-body modes: three translations, then rotations about z, x and y.

    Args:
        xyz: dof locations in m: (n, 3) with dofs interleaved as [u_x, u_y, u_z] per location (``comp`` None),
            or (n_dofs, 3), one row per dof, with ``comp`` (n_dofs,) its component 0, 1 or 2. Locations are
            shifted to their centroid and scaled to unit size here to keep the modes well conditioned.
    """
    if comp is None:
        comp = np.tile(np.arange(3), len(xyz))
        xyz = np.repeat(xyz, 3, axis=0)
    c = xyz - xyz.mean(axis=0)
    c = c / max(np.abs(c).max(), 1e-30)
    x, y, z = c.T
    n = len(comp)
    B = np.zeros((n, 6))
    B[np.arange(n), comp] = 1.0
    on = [comp == i for i in range(3)]
    B[on[0], 3], B[on[1], 3] = -y[on[0]], x[on[1]]  # rotation about z
    B[on[1], 4], B[on[2], 4] = -z[on[1]], y[on[2]]  # rotation about x
    B[on[0], 5], B[on[2], 5] = z[on[0]], -x[on[2]]  # rotation about y
    return B


#: PARDISO runs in conditional numerical reproducibility mode (``iparm[33]`` > 0): it splits its parallel work as for
#: this many threads whatever the number running, so a matrix factorizes to the same bits in every run and for any
#: MKL_NUM_THREADS. In its default mode two factorizations of one matrix in one process differed in the last bits on
#: the shared 2-core machine (docs/benchmarks.md, "Linear solver crossover"). A constant, not the machine's core
#: count, so that results do not depend on the machine either; 1, 2, 4 and 8 took the same time there.
PARDISO_CNR_THREADS = 8
_PARDISO_FIRST: list = []  # the process's first PyPardisoSolver, never factorizes: its MKL handle serves the others


def _import_pypardiso():
    """pypardiso, imported with MKL's library named for it (``PYPARDISO_MKL_RT``, unless the user set it) when the
    installed ``mkl`` distribution lists the file. pypardiso otherwise searches for it at its import (it makes a
    solver there) and again for our first solver: ``find_library`` and then a recursive glob of the environment's
    ``lib`` folders, 0.3 s each here (0.6 s of the 29 s reference run); the distribution's file list takes 0.03 s.
    """
    if "PYPARDISO_MKL_RT" not in os.environ:
        try:
            files = importlib.metadata.distribution("mkl").files or []
        except importlib.metadata.PackageNotFoundError:
            files = []
        found = sorted((str(f.locate()) for f in files if f.name.startswith(("libmkl_rt.so", "libmkl_rt.dylib",
                                                                              "mkl_rt"))), key=len)
        found = [f for f in found if os.path.isfile(f)]
        if found:
            os.environ["PYPARDISO_MKL_RT"] = os.path.realpath(found[0])
    import pypardiso

    return pypardiso


def _new_pardiso(pypardiso):
    """A fresh PyPardisoSolver for a real symmetric positive definite matrix (its upper triangle), reproducible.

    pypardiso's constructor looks MKL up with ``ctypes.util.find_library``, which runs a subprocess: 0.1-0.2 s per
    factorization, more than PARDISO needs to factorize a few thousand unknowns. The process's first solver is kept
    and copied, with the arrays PARDISO keeps its state in (handle, parameters, permutation) made afresh, so that
    each copy is a new, independent solver. Parameters: MKL's defaults for the matrix type (``pardisoinit``) with
    :data:`PARDISO_CNR_THREADS`.
    """
    if not _PARDISO_FIRST:
        first = pypardiso.PyPardisoSolver(mtype=2)
        first.libmkl.pardisoinit.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int32), ctypes.c_void_p]
        first.libmkl.pardisoinit.restype = None
        _PARDISO_FIRST.append(first)
    ps = copy.copy(_PARDISO_FIRST[0])
    ps.pt, ps.iparm, ps.perm = np.zeros_like(ps.pt), np.zeros_like(ps.iparm), np.zeros_like(ps.perm)
    ps.libmkl.pardisoinit(ps.pt.ctypes.data, ctypes.byref(ctypes.c_int32(ps.mtype)), ps.iparm.ctypes.data)
    ps.pt[:] = 0
    ps.iparm[33] = PARDISO_CNR_THREADS
    ps.iparm[34] = 1  # zero-based indices: the CSR arrays go to MKL as they are (see _pardiso_call)
    # no iterative refinement inside each solve (MKL's default is two steps, each a product and another solve):
    # the solves here are CG's preconditioner or a Cholesky solve whose residual is checked, so those steps tripled
    # a solve's cost for nothing (0.53-0.70 s -> 0.21-0.28 s on the reference matrix; 8.8 -> 3.2 ms at 9.6k
    # unknowns; docs/benchmarks.md)
    ps.iparm[7] = 0
    ps.factorized_A = sp.csr_matrix((0, 0))
    ps.set_phase(13)
    return ps


def _pardiso_call(ps, phase: int, A: sp.csr_matrix, b: np.ndarray) -> np.ndarray:
    """One call of MKL PARDISO on ``ps``'s handle: ``phase`` (12 analysis and factorization, 22 factorization, 33
    solve) for the upper triangle ``A`` (zero-based CSR, int32 indices) and right-hand side ``b`` (n,) in A's
    precision; returns x (n,).

    pypardiso's own call copies both index arrays and adds 1 to them on every call (1-based), and its ``solve``
    compares the matrix with the factorized one first: for the reference matrix's 10M upper entries that is
    tens of milliseconds a call, many calls per factorization (CG's preconditioner). Here MKL reads the CSR arrays
    in place (``iparm[34]`` = 1, zero-based).
    """
    indptr = np.ascontiguousarray(A.indptr, dtype=np.int32)
    indices = np.ascontiguousarray(A.indices, dtype=np.int32)
    b = np.ascontiguousarray(b)
    x = np.zeros_like(b)
    err = ctypes.c_int32(0)
    i32 = ctypes.POINTER(ctypes.c_int32)
    f64 = ctypes.POINTER(ctypes.c_double)  # MKL reads float32 arrays through it too (iparm[27] = 1)
    one = ctypes.byref(ctypes.c_int32(1))
    ps._mkl_pardiso(ps.pt.ctypes.data_as(ctypes.POINTER(ps._pt_type[0])), one, one,
                    ctypes.byref(ctypes.c_int32(ps.mtype)), ctypes.byref(ctypes.c_int32(phase)),
                    ctypes.byref(ctypes.c_int32(A.shape[0])), A.data.ctypes.data_as(f64),
                    indptr.ctypes.data_as(i32), indices.ctypes.data_as(i32), ps.perm.ctypes.data_as(i32), one,
                    ps.iparm.ctypes.data_as(i32), ctypes.byref(ctypes.c_int32(0)), b.ctypes.data_as(f64),
                    x.ctypes.data_as(f64), ctypes.byref(err))
    if err.value != 0:
        raise SolverError(f"PARDISO phase {phase} failed with MKL error {err.value}")
    return x


class _UpperSlice:
    """Slices the upper triangle (diagonal included, rows sorted), what PARDISO's symmetric modes read, from CSR
    matrices of one sparsity layout: the mask is found once and each matrix costs a gather of its data.

    ``sp.triu`` goes through COO (10x slower on the reference matrix's 20M entries), and even the mask costs
    0.3-0.8 s there; the region sums and a history's restricted tangent hand every matrix the same index arrays
    (the same memory), which :meth:`fits` recognises.
    """

    def __init__(self, K: sp.csr_matrix):
        if not K.has_sorted_indices:
            K = K.sorted_indices()
        n = K.shape[0]
        counts = np.diff(K.indptr)
        rows = np.repeat(np.arange(n, dtype=K.indices.dtype), counts)
        self.keep = K.indices >= rows
        self.indptr = np.zeros(n + 1, dtype=K.indptr.dtype)
        np.cumsum(np.bincount(rows[self.keep], minlength=n), out=self.indptr[1:])
        self.indices = K.indices[self.keep]
        self.shape = K.shape
        self._src = (K.indices, K.indptr)

    def fits(self, K: sp.csr_matrix) -> bool:
        """True when ``K``'s index arrays are the very memory this slice was made from (and so its layout).

        scipy wraps the arrays it is given in new views, so the memory is compared, not the objects; the slice
        keeps that memory alive, so no other array can have come to lie there."""
        def same(a, b):
            return a.ctypes.data == b.ctypes.data and a.shape == b.shape and a.dtype == b.dtype \
                and a.strides == b.strides
        return K.shape == self.shape and same(K.indices, self._src[0]) and same(K.indptr, self._src[1])

    def __call__(self, K: sp.csr_matrix) -> sp.csr_matrix:
        """The upper triangle of ``K`` (which :meth:`fits`)."""
        return sp.csr_matrix((K.data[self.keep], self.indices, self.indptr), shape=K.shape)


def _upper_triangle(K: sp.csr_matrix) -> sp.csr_matrix:
    """The upper triangle (diagonal included) of square CSR ``K``, indices sorted within rows."""
    K = K.tocsr()
    return _UpperSlice(K)(K if K.has_sorted_indices else K.sorted_indices())


class _Analysis:
    """PARDISO's analysis (ordering, symbolic factorization: phase 11) of a symmetric structure, run in a thread.

    The analysis reads the structure only (for a positive definite matrix without scaling or matching the values are
    not used), so it can run while the matrix is still being assembled; :class:`_Factor` then only factorizes
    (phase 22). A thread, not a process: MKL's call releases the GIL, and the handle lives in this process.
    """

    method = "pardiso"

    def __init__(self, upper: sp.csr_matrix, single: bool):
        pypardiso = _import_pypardiso()
        self.single = single
        self._upper = upper  # the structure; its data are zeros, never read
        self._ps = _new_pardiso(pypardiso)
        if single:
            self._ps.iparm[27] = 1
        self._error: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name="pardiso-analysis", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            _pardiso_call(self._ps, 11, self._upper, np.zeros(self._upper.shape[0], self._upper.data.dtype))
        except BaseException as exc:  # raised in the solving thread, at join()
            self._error.append(exc)

    def join(self) -> None:
        self._thread.join()
        if self._error:
            raise self._error[0]

    def fits(self, upper: sp.csr_matrix, single: bool) -> bool:
        """True when ``upper`` has the analysed structure and precision."""
        return (single == self.single and upper.shape == self._upper.shape
                and np.array_equal(upper.indptr, self._upper.indptr)
                and np.array_equal(upper.indices, self._upper.indices))

    def free(self) -> None:
        self._thread.join()
        if self._ps is not None:
            self._ps.free_memory(everything=True)
            self._ps = None


class _Factor:
    """A kept factorization of K: SuperLU (``direct``) or MKL PARDISO (``pardiso``), with ``solve(f)``."""

    def __init__(self, K: sp.csr_matrix, method: str, previous: "_Factor | None" = None, single: bool = False,
                 upper: sp.csr_matrix | None = None, analysed: "_Analysis | None" = None):
        self.shape = K.shape
        self.method = method
        self.single = single and method == "pardiso"
        if method == "direct":
            self.name, self.label = "SuperLU", "direct (SuperLU)"
            try:
                # symmetric mode with minimum-degree ordering on A^T + A: faster, and less fill, than the default
                # COLAMD on these symmetric positive definite matrices
                self._lu = spl.splu(K.tocsc(), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                                    options={"SymmetricMode": True})
            except RuntimeError as exc:
                raise SolverError(f"direct solver: the stiffness matrix is singular ({exc}); "
                                  "a part may be unconnected or unsupported") from exc
            return
        try:
            pypardiso = _import_pypardiso()
        except ImportError as exc:
            raise SolverError("solver.linear: pardiso needs the optional package pypardiso "
                              "(pip install 'fcpkg-fem[pardiso]'); use auto, amg or direct") from exc
        self.name, self.label = "PARDISO", "pardiso (MKL, symmetric positive definite)"
        if self.single:
            self.name = "PARDISO (single precision)"
            self.label = "pardiso (MKL, symmetric positive definite, single-precision factorization refined by CG)"
        self._upper = _upper_triangle(K) if upper is None else upper
        if self.single:
            self._upper.data = self._upper.data.astype(np.float32)
        if analysed is not None and not analysed.fits(self._upper, self.single):
            analysed.free()
            analysed = None
        if analysed is not None:  # analysed beforehand (LinearSolver.prepare): its handle serves as the previous one
            if previous is not None:
                previous.free()
            previous = analysed
        same = (previous is not None and previous.method == "pardiso" and previous._ps is not None
                and previous.single == self.single
                and previous._upper.shape == self._upper.shape
                and np.array_equal(previous._upper.indptr, self._upper.indptr)
                and np.array_equal(previous._upper.indices, self._upper.indices))
        try:
            if same:
                # same sparsity: keep the ordering and symbolic factorization, redo the numbers only (PARDISO
                # phase 22), cheaper than analysis + factorization
                self._ps, previous._ps = previous._ps, None
                _pardiso_call(self._ps, 22, self._upper, np.zeros(self.shape[0], self._upper.data.dtype))
            else:
                if previous is not None:
                    previous.free()
                self._ps = _new_pardiso(pypardiso)
                if self.single:
                    self._ps.iparm[27] = 1  # single-precision arrays and factorization
                _pardiso_call(self._ps, 12, self._upper, np.zeros(self.shape[0], self._upper.data.dtype))
        except Exception as exc:  # MKL's error code (SolverError) or pypardiso's own errors (the handle's set-up)
            self.free()
            raise SolverError(f"PARDISO failed ({exc}); the stiffness matrix may be singular or not "
                              "positive definite (an unsupported part, or a negative modulus)") from exc

    def solve(self, f: np.ndarray) -> np.ndarray:
        if self.method == "direct":
            return self._lu.solve(f)
        x = _pardiso_call(self._ps, 33, self._upper, f.astype(self._upper.data.dtype))
        return np.asarray(x, dtype=np.float64).ravel()

    def free(self) -> None:
        if self.method == "pardiso" and getattr(self, "_ps", None) is not None:
            self._ps.free_memory(everything=True)
            self._ps = None


class LinearSolver:
    """Solves K u = f for the free dofs; reuses the AMG hierarchy while K keeps its sparsity pattern and values.

    Args:
        method: ``auto`` (:func:`auto_method`) | ``amg`` | ``direct`` | ``pardiso``.
        rtol: relative residual tolerance of CG.
        near_null: (n_free, 6) near-null space for AMG (rigid-body modes restricted to the free dofs).
    """

    def __init__(self, method: str = "auto", rtol: float = 1e-8, near_null: np.ndarray | None = None):
        self.method = method
        self.rtol = rtol
        self.near_null = near_null
        self._ml = None
        self._ml_shape = None
        self._fresh_its = 0
        self._lu = None
        self._nearby_its = 0
        self._upper_slice = None
        self._analysis = None

    def reset(self) -> None:
        """Forget the cached factorization and AMG hierarchy (a later solve starts fresh, as after a restart)."""
        self._free_factor()
        self._ml = self._ml_shape = None
        self._fresh_its = self._nearby_its = 0
        self._upper_slice = None
        if self._analysis is not None:
            self._analysis.free()
            self._analysis = None

    def prepare(self, indptr: np.ndarray, indices: np.ndarray) -> None:
        """Start PARDISO's analysis of the n x n symmetric structure in CSR ``indptr`` (n + 1,) / ``indices``
        (both triangles, sorted rows) in a thread, when PARDISO is what a matrix of that structure would get: the
        caller assembles meanwhile, and the first :meth:`solve` of a matrix holding these very arrays only
        factorizes. The analysis is the same arithmetic, so the results are too (docs/benchmarks.md)."""
        n = len(indptr) - 1
        S = sp.csr_matrix((np.zeros(len(indices), np.float32), indices, indptr), shape=(n, n))
        if self._choose(S) != "pardiso" or self._lu is not None or self._analysis is not None \
                or not pardiso_available():
            return
        single = n >= PARDISO_SINGLE_MIN
        self._upper_slice = _UpperSlice(S)
        upper = self._upper_slice(S)
        if not single:
            upper.data = upper.data.astype(np.float64)
        self._analysis = _Analysis(upper, single)

    def _choose(self, K: sp.csr_matrix) -> str:
        if self.method == "auto":
            n = K.shape[0]
            return auto_method(n, K.nnz / max(n, 1))
        return self.method

    def solve(self, K: sp.csr_matrix, f: np.ndarray, x0: np.ndarray | None = None, reuse: bool = False,
              nearby: bool = False):
        """Solve and return (u, LinearStats). ``reuse``: K is unchanged since the last call (direct: keep the LU).
        ``nearby``: K is close to the last factorized matrix (the next increment or Newton iteration of a
        history): first try CG preconditioned by that factorization, and factorize K only if it needs more than
        half the iterations that cost as much as a new factorization (:data:`NEARBY_BUDGET`)."""
        method = self._choose(K)
        if not np.any(f):  # nothing loads the structure (e.g. at its stress-free temperature): u = 0 exactly
            return np.zeros_like(f), LinearStats("none (zero load)", 0, 0.0)
        if method in ("direct", "pardiso"):
            # an older factorization preconditions CG for a nearby matrix, until the matrix has drifted so far
            # that CG needed more than half the allowed iterations: then factorize afresh (cheaper than failing)
            if nearby and not reuse and self._lu is not None and self._lu.shape == K.shape and \
                    self._nearby_its <= NEARBY_BUDGET[self._lu.method] // 2:
                u, its, res, ok = self._pcg_lu(K, f, NEARBY_BUDGET[self._lu.method])
                self._nearby_its = its if ok else NEARBY_MAXITER
                if ok:
                    return u, LinearStats(f"CG preconditioned by an earlier {self._lu.name} factorization", its, res)
            self._nearby_its = 0
            if not (reuse and self._lu is not None and self._lu.shape == K.shape):
                old, self._lu = self._lu, None
                if old is not None and not (old.method == "pardiso" and method == "pardiso"):
                    old.free()
                    old = None
                single = method == "pardiso" and K.shape[0] >= PARDISO_SINGLE_MIN
                analysed, self._analysis = self._analysis, None
                if analysed is not None:
                    try:
                        analysed.join()
                    except Exception as exc:
                        analysed.free()
                        raise SolverError(f"PARDISO's analysis failed ({exc})") from exc
                self._lu = _Factor(K, method, previous=old, single=single,  # PARDISO reuses its old analysis
                                   upper=self._upper_of(K) if method == "pardiso" else None,
                                   analysed=analysed if method == "pardiso" else None)
                if analysed is not None and method != "pardiso":
                    analysed.free()
            if self._lu.single:
                u, its, res, ok = self._pcg_lu(K, f, MIXED_MAXITER, rtol=MIXED_RTOL)
                if ok:
                    return u, LinearStats(self._lu.label, its, res)
                self._free_factor()  # too badly conditioned for single precision: factorize in double
                self._lu = _Factor(K, method)
            u = self._lu.solve(f)
            res = float(np.linalg.norm(K @ u - f) / max(np.linalg.norm(f), 1e-300))
            if not np.isfinite(res) or res > 1e-6:
                raise SolverError(f"{self._lu.name} returned a solution with relative residual {res:.1e}; the "
                                  "stiffness matrix may be singular (an unsupported part) or not positive definite")
            return u, LinearStats(self._lu.label, 0, res)
        fnorm = np.linalg.norm(f)
        # The hierarchy built for one temperature preconditions the matrix of the next one too (same mesh,
        # moduli changed): reuse it while CG converges within 1.5x the iterations of a fresh build (one built where
        # the adhesive is rubbery serves a cold temperature badly).
        if self._ml is not None and self._ml_shape == K.shape:
            u, its, res, ok = self._cg(K, f, x0, fnorm, maxiter=max(int(1.5 * self._fresh_its), 20))
            if ok:
                return u, LinearStats(AMG_NAME, its, res)
        self._ml = self._build_amg(K)
        self._ml_shape = K.shape
        u, its, res, ok = self._cg(K, f, x0, fnorm, maxiter=2000)
        self._fresh_its = its
        if not ok:
            raise SolverError(
                f"AMG-preconditioned CG did not converge in {its} iterations (relative residual {res:.2e}, "
                f"target {self.rtol:.0e}); try solver.linear: direct for this size, or check for unsupported parts"
            )
        return u, LinearStats(AMG_NAME, its, res)

    def _upper_of(self, K: sp.csr_matrix) -> sp.csr_matrix:
        """K's upper triangle, by the slice of the last layout while K keeps it."""
        if self._upper_slice is None or not self._upper_slice.fits(K):
            self._upper_slice = _UpperSlice(K.tocsr())
        return self._upper_slice(K if self._upper_slice.fits(K) else K.tocsr().sorted_indices())

    def _pcg_lu(self, K, f, maxiter: int = 30, rtol: float | None = None):
        """CG preconditioned by the kept factorization: (u, iterations, relative residual, converged to ``rtol``,
        default the solver's)."""
        rtol = self.rtol if rtol is None else rtol
        lu = self._lu
        M = spl.LinearOperator(K.shape, matvec=lu.solve, dtype=float)
        it = [0]

        def count(_):
            it[0] += 1

        fnorm = max(np.linalg.norm(f), 1e-300)
        # an exact preconditioner converges in one step and CG's next ratio is 0/0: not an error
        with np.errstate(invalid="ignore", divide="ignore"):
            u, info = spl.cg(K, f, rtol=rtol, atol=0.0, maxiter=maxiter, M=M, callback=count)
        if not np.all(np.isfinite(u)):
            u = lu.solve(f)
        res = float(np.linalg.norm(K @ u - f) / fnorm)
        return u, it[0], res, (info == 0 or res <= rtol) and res <= 10 * rtol

    def _free_factor(self) -> None:
        if self._lu is not None:
            self._lu.free()
        self._lu = None

    def _build_amg(self, K):
        import pyamg

        return pyamg.smoothed_aggregation_solver(
            K, B=self.near_null, symmetry="hermitian", strength=("symmetric", {"theta": 0.0}),
            smooth=("jacobi", {"omega": 4.0 / 3.0}), max_coarse=2000, coarse_solver="splu", keep=False,
        )

    def _cg(self, K, f, x0, fnorm, maxiter):
        it = [0]

        def count(_):
            it[0] += 1

        M = self._ml.aspreconditioner(cycle="V")
        u, info = spl.cg(K, f, x0=x0, rtol=self.rtol, maxiter=maxiter, M=M, callback=count)
        res = float(np.linalg.norm(K @ u - f) / fnorm)
        ok = info == 0 and np.isfinite(res) and res <= 10 * self.rtol
        return u, it[0], res, ok
