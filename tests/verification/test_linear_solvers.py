"""AMG-preconditioned CG against the sparse direct solver on the same discrete system.

Case: an 8 mm x 8 mm quarter laminate of BT core 260 um / low-modulus die attach 25 um / silicon 100 um (the
package's hardest material pair), at 125 degC (stiffness contrast ~440 between
silicon and the adhesive) and 260 degC (adhesive rubbery at 3 MPa, contrast ~4e4); mesh
size 0.5 mm, two element layers per layer for hex20 (6183 dofs) and three for 8-node elements (2430 dofs,
so that pyamg builds more than its direct coarsest level).

Exact: both solve the same K u = f; SuperLU to round-off, CG to the relative residual rtol = 1e-8 (the case
default). Asserted: max |u_amg - u_direct| <= 1e-6 max |u_direct|. The displacement error is bounded by
cond(K) times the residual; measured 2e-8 (125 degC) and 3e-7 (260 degC) for hex20, so 1e-6 holds with a
margin while the contrast stays below ~1e5. Stresses (derivatives, dominated by the soft layer's small
share) are asserted to 5e-5 of the peak stress (measured up to 9e-6 at 260 degC).
AMG iteration counts are recorded (``record_property``; printed with ``pytest -s``) and reported in
docs/verification.md.
"""

from __future__ import annotations

import numpy as np
import pytest

from fcpkg_fem import api

from support.verification import ELEMENTS, laminate_case, problem_of


# AMG-CG is the fallback where PARDISO is missing; its hex20 system (12 s) is a slow check, hex8 and hex8i run by
# default
@pytest.mark.parametrize("element", [pytest.param(e, marks=pytest.mark.slow) if e == "hex20" else e for e in ELEMENTS])
def test_amg_cg_agrees_with_direct(element, record_property):
    case = api.load_case(laminate_case(
        [("core", "bt_laminate", 260), ("adh", "die_attach_lowmod", 25), ("die", "silicon", 100)],
        size_mm=(8.0, 8.0), element=element, mesh_size_mm=0.5,
        min_elements_per_layer=2 if element == "hex20" else 3))  # 8-node: above max_coarse dofs
    pmesh, direct = problem_of(case, linear="direct")
    _, amg = problem_of(case, pmesh=pmesh, linear="amg")
    assert amg.ndofs > 2000  # above pyamg's coarsest level (max_coarse), so the hierarchy has >= 2 levels
    for T in (125.0, 260.0):
        sd, sa = direct.solve(T), amg.solve(T)
        assert sa.stats.method.startswith("amg")
        assert sd.stats.method.startswith("direct")
        record_property(f"amg_iterations_{T:g}C", sa.stats.iterations)
        print(f"{element}: {amg.ndofs} dofs, {T:g} degC: {sa.stats.iterations} AMG-CG iterations")
        du = np.abs(sa.u - sd.u).max() / np.abs(sd.u).max()
        ds = np.abs(sa.stress_qp - sd.stress_qp).max() / np.abs(sd.stress_qp).max()
        assert du <= 1e-6, (T, du)
        assert ds <= 5e-5, (T, ds)


def test_pardiso_upper_triangle_is_scipys_triu():
    """PARDISO's symmetric modes read the upper triangle with sorted rows; ``_upper_triangle`` slices it from the
    CSR arrays. Equal, array for array, to ``scipy.sparse.triu`` + ``sort_indices`` on matrices with empty rows
    (first, inner, last), unsorted indices, explicit zeros and no entries at all."""
    import scipy.sparse as sp

    from fcpkg_fem.solve.linear import _upper_triangle

    rng = np.random.default_rng(3)
    for n, per_row in ((1, 1), (7, 3), (300, 9)):
        r = np.repeat(np.arange(n), per_row)
        c = rng.integers(0, n, r.size)
        A = sp.csr_matrix((rng.standard_normal(r.size), (r, c)), shape=(n, n))
        A = (A + A.T).tocsr()
        if n > 2:
            empty = np.isin(np.arange(n), [0, n // 2, n - 1])
            A = sp.csr_matrix(sp.diags((~empty).astype(float)) @ A)
            A.data[::5] = 0.0  # stored zeros stay stored, as in the assembled pattern
            A.indices[A.indptr[1]:A.indptr[2]] = A.indices[A.indptr[1]:A.indptr[2]][::-1]  # a row unsorted
            A.has_sorted_indices = False
        U = _upper_triangle(A)
        R = sp.triu(A, format="csr")
        R.sort_indices()
        assert np.array_equal(U.indptr, R.indptr) and np.array_equal(U.indices, R.indices)
        assert np.array_equal(U.data, R.data) and U.has_sorted_indices
    assert _upper_triangle(sp.csr_matrix((4, 4))).nnz == 0


def test_the_upper_slice_serves_matrices_of_its_layout_only():
    """``_UpperSlice`` finds the mask once and gathers each matrix's data: a second matrix on the very same index
    arrays (as the region sums hand over) gets its own triangle; equal arrays that are other objects do not fit,
    so a changed layout is never sliced with an old mask."""
    import scipy.sparse as sp

    from fcpkg_fem.solve.linear import _UpperSlice

    rng = np.random.default_rng(5)
    n = 200
    r = np.repeat(np.arange(n), 6)
    A = sp.csr_matrix((rng.standard_normal(r.size), (r, rng.integers(0, n, r.size))), shape=(n, n))
    A = (A + A.T).tocsr()
    A.sort_indices()
    cut = _UpperSlice(A)
    B = sp.csr_matrix((rng.standard_normal(A.nnz), A.indices, A.indptr), shape=A.shape)
    assert cut.fits(B)
    for M in (A, B):
        U, R = cut(M), sp.triu(M, format="csr")
        R.sort_indices()
        assert np.array_equal(U.indptr, R.indptr) and np.array_equal(U.indices, R.indices)
        assert np.array_equal(U.data, R.data)
    assert not cut.fits(sp.csr_matrix((B.data, B.indices.copy(), B.indptr.copy()), shape=B.shape))
