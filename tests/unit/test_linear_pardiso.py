"""The optional PARDISO backend against SuperLU on the same system (skipped where pypardiso is not installed)."""

import numpy as np
import pytest
import scipy.sparse as sp

from fcpkg_fem.errors import SolverError
from fcpkg_fem.solve import linear
from fcpkg_fem.solve.linear import LinearSolver, pardiso_available


def _spd(n: int = 3000, seed: int = 0):
    """A 3D 7-point Laplacian plus identity: symmetric positive definite, condition ~1e2."""
    m = round(n ** (1 / 3))
    T = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    I = sp.identity(m)
    A = (sp.kron(sp.kron(T, I), I) + sp.kron(sp.kron(I, T), I) + sp.kron(sp.kron(I, I), T) + sp.identity(m**3))
    b = np.random.default_rng(seed).standard_normal(m**3)
    return A.tocsr(), b


@pytest.mark.skipif(not pardiso_available(), reason="pypardiso (optional extra 'pardiso') not installed")
def test_pardiso_equals_superlu():
    """Both are direct: the solutions agree to 1e-10 relative (round-off of two factorizations, cond ~1e2)."""
    A, b = _spd()
    u1, s1 = LinearSolver("pardiso").solve(A, b)
    u2, _ = LinearSolver("direct").solve(A, b)
    assert s1.method.startswith("pardiso")
    assert np.abs(u1 - u2).max() <= 1e-10 * np.abs(u2).max()


@pytest.mark.skipif(pardiso_available(), reason="pypardiso is installed")
def test_pardiso_missing_is_a_clear_error():
    """Asking for pardiso without the package is a SolverError naming the extra to install."""
    A, b = _spd(1000)
    with pytest.raises(SolverError, match="pypardiso"):
        LinearSolver("pardiso").solve(A, b)


def test_auto_without_pardiso_uses_superlu_for_small_systems(monkeypatch):
    monkeypatch.setattr(linear, "pardiso_available", lambda: False)  # where it is installed, auto would pick it
    A, b = _spd(1000)
    u, st = LinearSolver("auto").solve(A, b)
    assert st.method.startswith("direct")
    assert np.linalg.norm(A @ u - b) <= 1e-12 * np.linalg.norm(b)


@pytest.mark.skipif(not pardiso_available(), reason="pypardiso (optional extra 'pardiso') not installed")
def test_pardiso_refactorization_keeps_the_analysis_only_for_the_same_pattern():
    """A kept solver refactorizes a matrix of the same pattern with the old ordering (PARDISO phase 22) and one of
    another pattern from scratch; both solutions equal SuperLU's to 1e-10 (round-off, cond ~1e2)."""
    A, b = _spd()
    ls = LinearSolver("pardiso")
    ls.solve(A, b)
    same = (1.5 * A + 0.3 * sp.identity(A.shape[0])).tocsr()  # new values on the same entries
    n = A.shape[0]
    other = (A + 0.01 * (sp.eye(n, k=2) + sp.eye(n, k=-2))).tocsr()  # two new diagonals: a new pattern
    for M in (same, other):
        first = ls._lu._ps if M is same else None
        u, s = ls.solve(M, b)
        if M is same:
            assert ls._lu._ps is first  # the solver (and its analysis) was kept
        ref, _ = LinearSolver("direct").solve(M, b)
        assert s.method.startswith("pardiso")
        assert np.abs(u - ref).max() <= 1e-10 * np.abs(ref).max()


def _graded(n: int = 4000, contrast: float = 1e5, seed: int = 1):
    """A 3D Laplacian with conductivities graded over ``contrast`` (a soft adhesive beside silicon), plus a small
    shift: SPD with condition 9.1e5 (numpy), where a single-precision factorization alone leaves a relative
    residual of 2e-7."""
    m = round(n ** (1 / 3))
    T = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    I = sp.identity(m)
    L = sp.kron(sp.kron(T, I), I) + sp.kron(sp.kron(I, T), I) + sp.kron(sp.kron(I, I), T)
    d = np.sqrt(np.logspace(0, np.log10(contrast), m**3))
    A = (sp.diags(d) @ L @ sp.diags(d) + 1e-3 * sp.identity(m**3)).tocsr()
    b = np.random.default_rng(seed).standard_normal(m**3)
    return A, b


@pytest.mark.skipif(not pardiso_available(), reason="pypardiso (optional extra 'pardiso') not installed")
def test_mixed_precision_pardiso_refines_to_the_double_solution(monkeypatch):
    """From PARDISO_SINGLE_MIN unknowns on PARDISO factorizes in single precision and CG refines: the residual
    reaches MIXED_RTOL and the solution equals the double factorization's to 1e-8 relative (condition 9e5 times
    the 1e-11 residual bounds the error by ~1e-5 in the worst case; measured 1e-14 after 2 iterations)."""
    A, b = _graded()
    u_double, s_double = LinearSolver("pardiso").solve(A, b)
    assert "single" not in s_double.method  # below the threshold
    monkeypatch.setattr(linear, "PARDISO_SINGLE_MIN", 1000)
    ls = LinearSolver("pardiso")
    u, s = ls.solve(A, b)
    assert "single" in s.method and ls._lu.single
    assert 1 <= s.iterations <= linear.MIXED_MAXITER
    assert np.linalg.norm(A @ u - b) <= 10 * linear.MIXED_RTOL * np.linalg.norm(b)
    assert np.abs(u - u_double).max() <= 1e-8 * np.abs(u_double).max()


@pytest.mark.skipif(not pardiso_available(), reason="pypardiso (optional extra 'pardiso') not installed")
def test_mixed_precision_falls_back_to_double_when_refinement_stalls(monkeypatch):
    """A refinement that cannot converge in its budget (forced here: no iterations allowed) is replaced by a double
    factorization, whose solution is exact to round-off."""
    A, b = _graded()
    monkeypatch.setattr(linear, "PARDISO_SINGLE_MIN", 1000)
    monkeypatch.setattr(linear, "MIXED_MAXITER", 0)
    ls = LinearSolver("pardiso")
    u, s = ls.solve(A, b)
    assert not ls._lu.single and "single" not in s.method
    assert np.linalg.norm(A @ u - b) <= 1e-12 * np.linalg.norm(b)


@pytest.mark.skipif(not pardiso_available(), reason="pypardiso (optional extra 'pardiso') not installed")
@pytest.mark.parametrize("single", [False, True])
def test_an_analysis_run_ahead_gives_the_same_solution(single, monkeypatch):
    """``LinearSolver.prepare`` runs PARDISO's analysis of the structure in a thread while the caller assembles;
    the first solve then only factorizes (phase 22), to the same bits as analysis and factorization together, in
    double and in single precision (forced at this size). A matrix of another structure is not given the prepared
    analysis, and a structure the method would not send to PARDISO is not analysed."""
    if single:
        monkeypatch.setattr(linear, "PARDISO_SINGLE_MIN", 1000)
    K, f = _spd()
    u0, _ = LinearSolver("pardiso", rtol=1e-10).solve(K, f)
    ahead = LinearSolver("pardiso", rtol=1e-10)
    ahead.prepare(K.indptr, K.indices)
    assert ahead._analysis is not None
    calls = []
    real = linear._pardiso_call

    def spy(ps, phase, A, b):
        calls.append(phase)
        return real(ps, phase, A, b)

    monkeypatch.setattr(linear, "_pardiso_call", spy)
    u1, _ = ahead.solve(sp.csr_matrix((K.data, K.indices, K.indptr), shape=K.shape), f)
    assert np.array_equal(u0, u1)
    assert calls[0] == 22 and 12 not in calls  # factorized on the analysis made ahead (phase 11 ran in prepare)
    assert ahead._lu.single == single
    other = LinearSolver("pardiso", rtol=1e-10)
    other.prepare(K.indptr, K.indices)
    K2 = (K + 1e-3 * (sp.eye(K.shape[0], k=5) + sp.eye(K.shape[0], k=-5))).tocsr()  # more entries per row
    calls.clear()
    u2, _ = other.solve(K2, f)
    assert 12 in calls and np.abs(K2 @ u2 - f).max() <= 1e-8 * np.abs(f).max()
    direct = LinearSolver("direct")
    direct.prepare(K.indptr, K.indices)
    assert direct._analysis is None


@pytest.mark.skipif(not pardiso_available(), reason="pypardiso (optional extra 'pardiso') not installed")
def test_mkl_is_named_to_pypardiso_from_the_installed_distribution(monkeypatch):
    """pypardiso is told where MKL is (PYPARDISO_MKL_RT) from the mkl distribution's file list, instead of its own
    recursive search of the environment; a path the user set is left alone."""
    import importlib.metadata
    import os

    monkeypatch.delenv("PYPARDISO_MKL_RT", raising=False)
    try:
        files = importlib.metadata.distribution("mkl").files or []
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("MKL comes from elsewhere than the mkl distribution")
    linear._import_pypardiso()
    path = os.environ.get("PYPARDISO_MKL_RT")
    assert path and os.path.isfile(path) and "mkl_rt" in os.path.basename(path)
    assert any(os.path.realpath(f.locate()) == path for f in files)
    monkeypatch.setenv("PYPARDISO_MKL_RT", "/somewhere/the/user/chose/libmkl_rt.so")
    linear._import_pypardiso()
    assert os.environ["PYPARDISO_MKL_RT"] == "/somewhere/the/user/chose/libmkl_rt.so"
