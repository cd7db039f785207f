"""The fast chunked assembler equals scikit-fem's own assembly of the reference weak forms.

``fcpkg_fem.physics.elasticity.assemble`` evaluates a(u, v) = int eps(v):C:eps(u) dV and l(v) = int
eps(v):C:eps_th dV with batched B^T C B products; ``elasticity_form`` / ``thermal_load_form`` state the same
integrals as plain scikit-fem forms assembled by ``skfem.asm``. On the same basis and quadrature both are the
same sums in another order, so they must agree to round-off: asserted to 1e-10 relative (max entry difference
over max entry), on a two-material mesh (orthotropic BT laminate with orthotropic CTE under isotropic copper)
and with a small chunk size so that the chunk seams are exercised.
"""

from __future__ import annotations

import numpy as np
import pytest
from skfem import Basis, asm, condense

from fcpkg_fem import api
from fcpkg_fem.physics import elasticity as el

from fcpkg_fem.solve.mechanical import ELEMENTS as ELEMENT_TABLE

from support.verification import ELEMENTS, laminate_case, problem_of


@pytest.mark.parametrize("element", ELEMENTS)
def test_fast_assembler_equals_reference_forms(element):
    """Both assembly paths (COO per chunk with chunk size 7, and the problem's own chunks with the precomputed
    CSR pattern) against ``skfem.asm``; incompatible-mode elements have no scikit-fem form to compare with."""
    if ELEMENT_TABLE[element][2]:
        pytest.skip(f"{element}: incompatible modes are condensed per element; no scikit-fem reference form "
                    "(verified by the exact patch solutions and the Timoshenko plate instead)")
    case = api.load_case(laminate_case([("core", "bt_laminate", 260), ("metal", "copper", 40)], size_mm=(3.0, 2.0),
                                       symmetry="full", element=element, mesh_size_mm=0.6))
    _, problem = problem_of(case)
    # problem.basis is only the dof map (one quadrature point); the reference uses the problem's own quadrature
    basis = Basis(problem.pmesh.mesh, problem.basis.elem, quadrature=problem.quadrature)
    C_el, eth_el = problem.element_fields(125.0)
    assert not np.allclose(C_el[:, 0, 0], C_el[0, 0, 0])  # two materials
    assert abs(eth_el[:, 0] - eth_el[:, 2]).max() > 0  # orthotropic thermal strain in the BT core

    K, f = el.assemble(basis, C_el, eth_el, chunk_size=7)
    K2, f2 = el.assemble(basis, C_el, eth_el, problem.chunks, pattern=problem.pattern)

    nq = basis.X.shape[1]
    C_q = np.broadcast_to(C_el.transpose(1, 2, 0)[..., None], (6, 6, basis.nelems, nq))
    eth_q = np.broadcast_to(eth_el.T[..., None], (6, basis.nelems, nq))
    K_ref = asm(el.elasticity_form(), basis, C=C_q)
    f_ref = asm(el.thermal_load_form(), basis, C=C_q, eth=eth_q)

    dK = abs(K - K_ref).max()
    assert dK <= 1e-10 * abs(K_ref).max()
    assert np.abs(f - f_ref).max() <= 1e-10 * np.abs(f_ref).max()
    assert abs(K2 - K_ref).max() <= 1e-10 * abs(K_ref).max()
    assert np.abs(f2 - f_ref).max() <= 1e-10 * np.abs(f_ref).max()
    # the load alone (matrix reused across temperatures) is the same vector
    f3 = el.assemble_load(basis.N, problem.chunks, C_el, eth_el)
    assert np.abs(f3 - f_ref).max() <= 1e-10 * np.abs(f_ref).max()


class _PoissonVaries:
    """A material whose stiffness is not a multiple of its 25 degC one at other temperatures: the normal
    couplings (the Lame lambda block) grow by 0.1 % per kelvin while the shear moduli stay."""

    def __init__(self, mat):
        self.mat = mat

    def stiffness(self, T):
        C = np.array(self.mat.stiffness(T), dtype=float)
        T = np.atleast_1d(np.asarray(T, dtype=float))
        lam = C[..., 0, 1].copy()
        C[..., :3, :3] += (1e-3 * (T - 25.0) * lam)[..., None, None]
        return C

    def thermal_strain(self, T, T_ref):
        return self.mat.thermal_strain(T, T_ref)


@pytest.mark.parametrize("element", ["hex8i", "hex20"])
def test_region_sums_equal_the_element_by_element_assembly(element):
    """List mode builds K(T) = sum_r s_r K_r and f(T) = sum_r F_r sigma_r once and sums them at later temperatures
    (solve/mechanical.py RegionOperators), made condensed. At every temperature they equal the element-by-element
    assembly, condensed by scikit-fem, to 1e-13 relative (same integrals, other summation order: round-off), with
    one region (copper) whose stiffness changes shape with temperature and is integrated again; the solutions equal
    those of a problem that assembles element by element to 1e-10 relative (two factorizations' round-off)."""
    case = api.load_case(laminate_case([("core", "bt_laminate", 260), ("metal", "copper", 40)], size_mm=(3.0, 2.0),
                                       symmetry="full", element=element, mesh_size_mm=0.6))
    sums = problem_of(case)[1]
    plain = problem_of(case)[1]
    for p in (sums, plain):
        p.materials = dict(p.materials, copper=_PoissonVaries(p.materials["copper"]))
    sums.solves_expected = 3
    for T in (25.0, 125.0, -40.0):
        a, b = sums.solve(T), plain.solve(T)
        C_el, eth_el = sums.element_fields(T)
        K, f = el.assemble(sums.basis, C_el, eth_el, sums.chunks, pattern=sums.pattern)
        K = condense(K, f, D=sums.D)[0].tocsr()  # the region sums are made condensed (free dofs only)
        K2, f2 = sums._regions.assemble(*sums.region_fields(T))
        assert K2.shape == K.shape and K2.nnz == K.nnz
        assert abs(K2 - K).max() <= 1e-13 * abs(K).max()
        assert np.abs(f2 - f).max() <= 1e-13 * np.abs(f).max()
        assert np.abs(a.u - b.u).max() <= 1e-10 * np.abs(b.u).max()
        assert np.abs(a.stress - b.stress).max() <= 1e-9 * np.abs(b.stress).max()
    assert plain._regions is None and sums._regions is not None
    C0 = sums._regions.C0
    copper = [r for r, name in enumerate(sums.pmesh.region_names) if sums.pmesh.region_material[name] == "copper"]
    C125 = sums.region_fields(125.0)[0]
    s = (C125[copper[0]] * C0[copper[0]]).sum() / (C0[copper[0]] ** 2).sum()
    assert np.abs(C125[copper[0]] - s * C0[copper[0]]).max() > 1e-6 * np.abs(C125[copper[0]]).max()  # not a multiple


def test_the_condensed_layout_is_the_restricted_matrix_bit_for_bit():
    """A history's tangent is made restricted to the free dofs (``SparsePattern.condensed``) instead of slicing
    ``K[I][:, I]``: the same entries in the same order, so the linear solves and every result are unchanged
    (exact equality of indptr, indices and data), here with a free set that leaves out whole nodes and single
    components, as births and prescribed cut faces do."""
    case = api.load_case(laminate_case([("core", "bt_laminate", 260), ("metal", "copper", 40)], size_mm=(3.0, 2.0),
                                       symmetry="full", element="hex8i", mesh_size_mm=0.6))
    p = problem_of(case)[1]
    pat = p.pattern
    rng = np.random.default_rng(7)
    data = rng.standard_normal(pat.nnz)
    K = el.sp.csr_matrix((data, pat.indices, pat.indptr), shape=(pat.n, pat.n))
    free = np.sort(rng.choice(pat.n, size=pat.n * 2 // 3, replace=False))
    ref = K[free][:, free]
    got = pat.condensed(free).matrix(data)
    assert np.array_equal(got.indptr, ref.indptr) and np.array_equal(got.indices, ref.indices)
    assert np.array_equal(got.data, ref.data)


def test_the_condensed_layout_with_empty_rows():
    """``SparsePattern.condensed`` counts each row's kept entries with ``reduceat``, which takes an empty row's next
    entry: patterns with empty rows (first, inner, trailing) still give ``K[I][:, I]`` bit for bit."""
    rng = np.random.default_rng(3)
    for trial in range(12):
        dense = (rng.random((40, 40)) < 0.08) * 1.0
        dense[rng.integers(0, 40, 8)] = 0.0
        dense[-3:] = 0.0
        if trial % 2:
            dense[0] = 0.0
        K = el.sp.csr_matrix(dense)
        K.data[:] = np.arange(K.nnz) + 1.0
        pat = el.SparsePattern(indptr=K.indptr, indices=K.indices, pos=[], n=40)
        free = np.sort(rng.choice(40, size=30, replace=False))
        ref, got = K[free][:, free], pat.condensed(free).matrix(K.data)
        assert np.array_equal(got.indptr, ref.indptr) and np.array_equal(got.indices, ref.indices)
        assert np.array_equal(got.data, ref.data)


def test_solve_names_its_phases_in_order():
    """``MechanicalProblem.solve(phase=...)`` names each phase as it begins after the assembly (what the live
    progress line shows), once each and in order, however many progress sentences ``say`` gets."""
    case = api.load_case(laminate_case([("core", "bt_laminate", 260), ("metal", "copper", 40)], size_mm=(3.0, 2.0),
                                       symmetry="full", element="hex8i", mesh_size_mm=1.0))
    p = problem_of(case)[1]
    phases, said = [], []
    p.solve(125.0, say=said.append, phase=phases.append)
    assert phases == ["linear solve", "element stresses"] and len(said) == 2


@pytest.mark.parametrize("ns, nq, incompatible", [(20, 27, False), (8, 8, True)], ids=["hex20", "hex8i"])
def test_element_matrices_do_not_depend_on_the_block_they_are_integrated_in(ns, nq, incompatible):
    """element_matrices integrates OPERATOR_BLOCK elements at a time: a chunk of 2.5 blocks gives, bit for bit,
    what each element gives alone (stiffness and thermal load), so the blocking is bookkeeping, not arithmetic."""
    rng = np.random.default_rng(7)
    n = 5 * el.OPERATOR_BLOCK // 2
    ch = el.ElementChunk(elements=np.arange(n), dofs=np.zeros((n, 3 * ns), dtype=np.int64),
                         grads=rng.normal(size=(n, nq, ns, 3)), dx=rng.random((n, nq)),
                         grads_inc=rng.normal(size=(n, nq, 3, 3)) if incompatible else None)
    C = rng.normal(size=(n, 6, 6))
    C = C @ C.transpose(0, 2, 1) + 6 * np.eye(6)
    eth = rng.normal(size=(n, 6))
    Ke, fe = el.element_matrices(ch, C, eth)
    for k in (0, el.OPERATOR_BLOCK - 1, el.OPERATOR_BLOCK, n - 1):
        Ke1, fe1 = el.element_matrices(ch.subset(np.array([k])), C[k:k + 1], eth[k:k + 1])
        assert np.array_equal(Ke[k], Ke1[0]) and np.array_equal(fe[k], fe1[0]), k
