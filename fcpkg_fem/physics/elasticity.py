"""Small-strain thermo-elasticity with per-element (anisotropic) stiffness.

Weak form: find u with  a(u, v) = l(v)  for all v, where
    a(u, v) = integral of  eps(v) : C : eps(u)  dV,     l(v) = integral of  eps(v) : C : eps_th  dV.
Strains in Voigt order [xx, yy, zz, yz, xz, xy] with engineering shear (gamma = 2 eps).

Two implementations of the same form:
- :func:`elasticity_form` / :func:`thermal_load_form` are plain scikit-fem forms (the reference, used in tests);
- :func:`assemble` evaluates the same integrals with batched B^T C B products over element chunks, far faster
  than the forms for 20-node hexahedra, with peak memory near the matrix size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from skfem import BilinearForm, CellBasis, ElementHex1, LinearForm

from fcpkg_fem.constitutive.base import equivalent_strain
from fcpkg_fem.materials.model import VOIGT

__all__ = [
    "VOIGT",
    "InvertedElements",
    "voigt_strain",
    "elasticity_form",
    "thermal_load_form",
    "strain_displacement",
    "ElementChunk",
    "element_chunks",
    "bt_d_b",
    "element_matrices",
    "element_operators",
    "SparsePattern",
    "sparse_pattern",
    "assemble",
    "assemble_load",
    "element_stress",
    "von_mises",
    "voigt_to_tensor",
    "principal",
    "equivalent_strain",
]


class InvertedElements(ValueError):
    """Elements whose Jacobian is not positive at some quadrature point (``elements``: their indices)."""

    def __init__(self, elements: np.ndarray):
        self.elements = np.asarray(elements)
        super().__init__(f"{len(self.elements)} elements have a non-positive Jacobian")


# (component of u, derivative direction) pairs that build each Voigt strain
_VOIGT_TERMS = (
    ((0, 0),),
    ((1, 1),),
    ((2, 2),),
    ((1, 2), (2, 1)),
    ((0, 2), (2, 0)),
    ((0, 1), (1, 0)),
)


def voigt_strain(grad: np.ndarray) -> np.ndarray:
    """Voigt strain (6, ...) from a displacement gradient ``grad[i, j] = du_i/dx_j`` of shape (3, 3, ...)."""
    return np.stack([sum(grad[i, j] for i, j in terms) for terms in _VOIGT_TERMS])


def elasticity_form() -> BilinearForm:
    """Reference scikit-fem form of a(u, v); expects the parameter ``C`` with shape (6, 6, n_elements, n_qp)."""

    @BilinearForm
    def a(u, v, w):
        eu = voigt_strain(u.grad)
        ev = voigt_strain(v.grad)
        return np.einsum("i...,ij...,j...->...", ev, w["C"], eu)

    return a


def thermal_load_form() -> LinearForm:
    """Reference scikit-fem form of l(v); expects ``C`` (6, 6, n_el, n_qp) and ``eth`` (6, n_el, n_qp)."""

    @LinearForm
    def l(v, w):
        ev = voigt_strain(v.grad)
        return np.einsum("i...,ij...,j...->...", ev, w["C"], w["eth"])

    return l


def strain_displacement(grads: np.ndarray) -> np.ndarray:
    """B matrices from scalar shape-function gradients.

    Args:
        grads: (n_el, n_qp, n_shape, 3) gradients of the scalar shape functions.

    Returns:
        (n_el, n_qp, 6, 3 * n_shape) with local dof ``3 * a + i`` = component i of shape a, matching
        scikit-fem's ``ElementVector`` ordering.
    """
    ne, nq, ns, _ = grads.shape
    B = np.zeros((ne, nq, 6, ns, 3))
    for r, terms in enumerate(_VOIGT_TERMS):
        for i, j in terms:
            B[:, :, r, :, i] = grads[:, :, :, j]
    return B.reshape(ne, nq, 6, 3 * ns)


@dataclass
class ElementChunk:
    """Geometry of a block of elements, reusable across assemblies at different temperatures.

    Only the scalar shape-function gradients are kept (6x smaller than the B matrices, which are rebuilt
    on demand), so a chunk list of a 100k-element hex20 mesh stays near 1 GB.

    Attributes:
        elements: (n,) element indices.
        dofs: (n, n_local) global dofs of each element.
        grads: (n, n_qp, n_shape, 3) scalar shape-function gradients (1/m).
        dx: (n, n_qp) quadrature weights times |det J| (m^3).
        grads_inc: (n, n_qp, 3, 3) gradients of the three incompatible bubble modes (hex8i), or None.
    """

    elements: np.ndarray
    dofs: np.ndarray
    grads: np.ndarray
    dx: np.ndarray
    grads_inc: np.ndarray | None = None

    def subset(self, sel: np.ndarray) -> "ElementChunk":
        """The chunk of the elements at positions ``sel`` (n_sel,) of this one."""
        return ElementChunk(elements=self.elements[sel], dofs=self.dofs[sel], grads=self.grads[sel], dx=self.dx[sel],
                            grads_inc=None if self.grads_inc is None else self.grads_inc[sel])

    @property
    def B(self) -> np.ndarray:
        """(n, n_qp, 6, n_local) strain-displacement matrices."""
        return strain_displacement(self.grads)

    @property
    def B_inc(self) -> np.ndarray:
        """(n, n_qp, 6, 9) strain matrices of the incompatible modes (hex8i)."""
        return strain_displacement(self.grads_inc)


# scikit-fem's vertex order of the unit reference hexahedron (MeshHex), for the direct hex8 kernel below
_HEX_VERTS = np.array([[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0], [1, 1, 1]], float)
_G2 = np.array([0.5 - 0.5 / np.sqrt(3.0), 0.5 + 0.5 / np.sqrt(3.0)])
_HEX_QP = np.array([[a, b, c] for a in _G2 for b in _G2 for c in _G2])  # (8, 3) 2x2x2 Gauss on [0, 1]^3


def _hex8_ref_grads(X: np.ndarray) -> np.ndarray:
    """(n_points, 8, 3) reference gradients of the trilinear shape functions at points X (n_points, 3)."""
    f = np.where(_HEX_VERTS[None, :, :] == 1, X[:, None, :], 1.0 - X[:, None, :])  # factors (nq, 8, 3)
    s = 2.0 * _HEX_VERTS - 1.0  # d factor / d xi
    g = np.empty((len(X), 8, 3))
    g[:, :, 0] = s[:, 0] * f[:, :, 1] * f[:, :, 2]
    g[:, :, 1] = f[:, :, 0] * s[:, 1] * f[:, :, 2]
    g[:, :, 2] = f[:, :, 0] * f[:, :, 1] * s[:, 2]
    return g


def _hex8_chunk(mesh, dofs_all: np.ndarray, idx: np.ndarray, incompatible: bool) -> ElementChunk:
    """Hex8 geometry straight from the vertex coordinates (2x2x2 Gauss), much faster than a per-chunk Basis."""
    xe = mesh.p[:, mesh.t[:, idx]].transpose(1, 2, 0)  # (3, 8, n) -> (8, n, 3)
    xe = np.ascontiguousarray(xe.transpose(1, 0, 2))  # (n, 8, 3)
    dN = _hex8_ref_grads(_HEX_QP)  # (nq, 8, 3)
    J = np.einsum("nai,qaj->nqij", xe, dN)  # dx_i / dxi_j
    detJ = np.linalg.det(J)
    if np.any(detJ <= 0):
        raise InvertedElements(idx[np.nonzero((detJ <= 0).any(axis=1))[0]])
    invJ = np.linalg.inv(J)  # dxi_i / dx_j
    grads = np.einsum("qai,nqij->nqaj", dN, invJ)
    dx = detJ * (1.0 / 8.0)
    ginc = None
    if incompatible:
        dN0 = _hex8_ref_grads(np.full((1, 3), 0.5))[0]
        J0 = np.einsum("nai,aj->nij", xe, dN0)
        invJ0 = np.linalg.inv(J0)
        detJ0 = np.linalg.det(J0)
        dphi = 1.0 - 2.0 * _HEX_QP.T  # (3, nq)
        ginc = np.einsum("kq,nkj->nqkj", dphi, invJ0) * (detJ0[:, None] / detJ)[:, :, None, None]
    return ElementChunk(elements=idx, dofs=dofs_all[:, idx].T.copy(), grads=grads, dx=dx, grads_inc=ginc)


def element_chunks(vbasis, chunk_size: int = 4000, incompatible: bool = False, quadrature=None):
    """Yield :class:`ElementChunk` for the vector basis ``vbasis`` (scikit-fem ``ElementVector`` basis).

    Args:
        incompatible: add the nine incompatible bubble modes of Wilson and Taylor (hex8 only): each
            displacement component gets xi_k (1 - xi_k), k = 1..3, on the unit reference cube. Their gradients
            use the Jacobian at the element centre scaled by det J0 / det J (Taylor, Beresford and Wilson 1976),
            so that they integrate to zero over any element and the patch test passes. The modes are condensed
            out element by element; they remove the shear locking of 8-node hexahedra in bending.
        quadrature: (X, W) reference points and weights; default ``vbasis.quadrature`` (so a cheap basis with
            a low quadrature order can serve as the dof map).
    """
    nel = vbasis.mesh.nelements
    quadrature = vbasis.quadrature if quadrature is None else quadrature
    direct = isinstance(vbasis.elem.elem, ElementHex1) and quadrature[0].shape[1] == 8
    dofs_all = vbasis.element_dofs
    for start in range(0, nel, chunk_size):
        idx = np.arange(start, min(start + chunk_size, nel))
        if direct:
            yield _hex8_chunk(vbasis.mesh, dofs_all, idx, incompatible)
        else:
            yield _chunk(vbasis, idx, incompatible, quadrature)


def _chunk(vbasis, idx: np.ndarray, incompatible: bool = False, quadrature=None) -> ElementChunk:
    quadrature = vbasis.quadrature if quadrature is None else quadrature
    sb = CellBasis(vbasis.mesh, vbasis.elem.elem, quadrature=quadrature, elements=idx)
    grads = np.stack([sb.basis[a][0].grad for a in range(sb.Nbfun)], axis=-1)  # (3, n, nq, ns)
    grads = np.ascontiguousarray(np.moveaxis(grads, 0, -1))  # (n, nq, ns, 3)
    dofs = vbasis.element_dofs[:, idx].T.copy()
    ginc = None
    if incompatible:
        X = sb.X  # (3, nq) reference points on [0, 1]^3
        centre = np.full((3, 1), 0.5)
        invDF0 = sb.mapping.invDF(centre, tind=idx)[:, :, :, 0]  # (3, 3, n): d xi_i / d x_j at the centre
        detJ0 = np.abs(sb.mapping.detDF(centre, tind=idx)[:, 0])  # (n,)
        detJ = np.abs(sb.mapping.detDF(X, tind=idx))  # (n, nq)
        dphi = 1.0 - 2.0 * X  # (3, nq): d/dxi_k of xi_k (1 - xi_k)
        # grad_j of mode k at q = (detJ0/detJ) * dphi_k(q) * invDF0[k, j]
        ginc = np.einsum("kq,kjn->nqkj", dphi, invDF0) * (detJ0[:, None] / detJ)[:, :, None, None]
    return ElementChunk(elements=idx, dofs=dofs, grads=grads, dx=sb.dx, grads_inc=ginc)


def bt_d_b(Ba: np.ndarray, D: np.ndarray, Bb: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Integral of Ba^T D Bb over each element: (n, la, lb).

    Args:
        Ba, Bb: (n, q, 6, la), (n, q, 6, lb) strain-displacement matrices; dx: (n, q) quadrature weights.
        D: the material matrix, constant in each element (n, 6, 6) or per quadrature point (n, q, 6, 6).
    """
    return _bt_db(Ba, np.matmul(_weighted_d(D, dx), Bb))


def _weighted_d(D: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """(n, q, 6, 6) material matrices D (n, 6, 6) or (n, q, 6, 6) times the quadrature weights dx (n, q) in m^3:
    the weights go on the 6x6 matrices, 4x (hex8) to 5.5x (hex8i, B and B_a) fewer products than on B."""
    return (D[:, None] if D.ndim == 3 else D) * dx[:, :, None, None]


def _bt_db(Ba: np.ndarray, DBb: np.ndarray) -> np.ndarray:
    """Sum over the quadrature points of Ba^T DBb: (n, la, lb) from Ba (n, q, 6, la) and DBb (n, q, 6, lb), one
    batched product (BLAS; einsum over these axes does not use it)."""
    n, nq, _, la = Ba.shape
    return np.matmul(Ba.reshape(n, nq * 6, la).transpose(0, 2, 1), DBb.reshape(n, nq * 6, DBb.shape[-1]))


def _bt_s(B: np.ndarray, sig: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Integral of B^T sig over each element for an element-constant stress sig (n, 6): (n, l)."""
    return np.einsum("eqil,ei,eq->el", B, sig, dx)


def element_matrices(ch: ElementChunk, C: np.ndarray, eth: np.ndarray | None = None):
    """Element stiffness (n, l, l) and thermal load (n, l) (None without ``eth``), incompatible modes condensed.
    Integrated ``OPERATOR_BLOCK`` elements at a time (as :func:`element_operators`): a 4000-element hex20 chunk's
    B matrices alone are 311 MB, mapped afresh by every call.

    Args:
        C: (n, 6, 6) element stiffness in Pa; eth: (n, 6) element thermal strain.
    """
    n, _, ns, _ = ch.grads.shape
    Ke = np.empty((n, 3 * ns, 3 * ns))
    fe = None if eth is None else np.empty((n, 3 * ns))
    for a in range(0, n, OPERATOR_BLOCK):
        s = slice(a, a + OPERATOR_BLOCK)
        Ke[s], f = _matrices(ch.grads[s], None if ch.grads_inc is None else ch.grads_inc[s], ch.dx[s], C[s],
                             None if eth is None else eth[s])
        if fe is not None:
            fe[s] = f
    return Ke, fe


def _matrices(grads: np.ndarray, grads_inc: np.ndarray | None, dx: np.ndarray, C: np.ndarray,
              eth: np.ndarray | None):
    """:func:`element_matrices` of one block: gradients (n, q, n_shape, 3) and (n, q, 3, 3) or None in 1/m, weights
    dx (n, q) in m^3, C (n, 6, 6) in Pa, eth (n, 6) or None; returns Ke (n, l, l) in N/m and fe (n, l) in N or None."""
    B = strain_displacement(grads)
    Dw = _weighted_d(C, dx)  # the weights once for Ke, Kua and Kaa
    Ke = _bt_db(B, np.matmul(Dw, B))
    fe = None
    sig = None if eth is None else np.einsum("eij,ej->ei", C, eth)  # restrained thermal stress (n, 6)
    if sig is not None:
        fe = _bt_s(B, sig, dx)
    if grads_inc is not None:
        Ba = strain_displacement(grads_inc)
        DBa = np.matmul(Dw, Ba)  # (n, q, 6, 9): shared by Kua and Kaa
        Kua = _bt_db(B, DBa)  # (n, l, 9)
        Kaa = _bt_db(Ba, DBa)  # (n, 9, 9)
        Kaa_inv_Kau = np.linalg.solve(Kaa, Kua.transpose(0, 2, 1))
        Ke = Ke - np.matmul(Kua, Kaa_inv_Kau)
        if sig is not None:
            fa = _bt_s(Ba, sig, dx)
            fe = fe - np.einsum("eli,ei->el", Kua, np.linalg.solve(Kaa, fa[:, :, None])[:, :, 0])
    return Ke, fe


#: elements integrated together by :func:`element_operators`: its (n, q, 6, l) temporaries stay a few MB, reused
#: from the heap, instead of the chunk's 37 MB (hex8i, 4000 elements) that glibc maps afresh (page faults) each time:
#: 2.8-3.2x faster per chunk on the reference mesh (256-500 elements per block)
OPERATOR_BLOCK = 256


def element_operators(ch: ElementChunk, C: np.ndarray):
    """Element stiffness (n, l, l) and thermal load operator G (n, l, 6), incompatible modes condensed.

    The load of an element-constant restrained thermal stress sigma = C eps_th (n, 6), in Pa, is
    ``fe = G @ sigma`` in N: G = integral of B^T minus, for hex8i, Kua Kaa^-1 times the integral of B_a^T. When C is
    scaled by a number, Ke scales with it and G does not (Kua and Kaa scale alike), which lets a region whose
    stiffness only scales with temperature keep its assembled matrix and load operator
    (:class:`~fcpkg_fem.solve.mechanical.MechanicalProblem`). Integrated ``OPERATOR_BLOCK`` elements at a time.

    Args:
        C: (n, 6, 6) element stiffness in Pa.
    """
    n, _, ns, _ = ch.grads.shape
    Ke = np.empty((n, 3 * ns, 3 * ns))
    G = np.empty((n, 3 * ns, 6))
    for a in range(0, n, OPERATOR_BLOCK):
        s = slice(a, a + OPERATOR_BLOCK)
        Ke[s], G[s] = _operators(ch.grads[s], None if ch.grads_inc is None else ch.grads_inc[s], ch.dx[s], C[s])
    return Ke, G


def _operators(grads: np.ndarray, grads_inc: np.ndarray | None, dx: np.ndarray, C: np.ndarray):
    """:func:`element_operators` of one block: gradients (n, q, n_shape, 3) and (n, q, 3, 3) or None in 1/m,
    weights dx (n, q) in m^3, C (n, 6, 6) in Pa; returns Ke (n, l, l) in N/m and G (n, l, 6) in m^2."""
    B = strain_displacement(grads)
    Dw = _weighted_d(C, dx)  # the weights once for Ke, Kua and Kaa
    Ke = _bt_db(B, np.matmul(Dw, B))
    G = _weighted_sum(B, dx)
    if grads_inc is not None:
        Ba = strain_displacement(grads_inc)
        DBa = np.matmul(Dw, Ba)  # (n, q, 6, 9): shared by Kua and Kaa
        Kua = _bt_db(B, DBa)  # (n, l, 9)
        Kaa = _bt_db(Ba, DBa)  # (n, 9, 9)
        X = np.linalg.solve(Kaa, np.concatenate([Kua.transpose(0, 2, 1), _weighted_sum(Ba, dx)], axis=2))
        l = Kua.shape[1]
        Ke = Ke - np.matmul(Kua, X[:, :, :l])
        G = G - np.matmul(Kua, X[:, :, l:])
    return Ke, G


def _weighted_sum(B: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Integral of B^T over each element: (n, l, 6) from B (n, q, 6, l) and weights dx (n, q)."""
    n, nq, _, l = B.shape
    return np.matmul(dx[:, None, :], B.reshape(n, nq, 6 * l)).reshape(n, 6, l).transpose(0, 2, 1)


@dataclass
class SparsePattern:
    """CSR pattern of the global matrix and, per chunk, where each element-matrix entry lands in it.

    Built once per mesh; every later assembly is one ``np.bincount`` into the CSR data array, with no sorting.

    Attributes:
        indptr, indices: CSR structure (n_dofs + 1,), (nnz,).
        pos: per chunk, (n * n_local**2,) positions in the CSR data array (row-major element matrices); int32
            while the matrix has fewer than 2**31 stored entries (half the memory of int64: 190 MB on the
            reference mesh).
        n: matrix size.
    """

    indptr: np.ndarray
    indices: np.ndarray
    pos: list
    n: int

    @property
    def nnz(self) -> int:
        return len(self.indices)

    def condensed(self, free_dofs: np.ndarray) -> "CondensedLayout":
        """The layout of the matrix restricted to the rows and columns ``free_dofs`` (ascending): what
        ``K[free][:, free]`` holds, without making K or that copy."""
        N = self.n
        free = np.zeros(N, dtype=bool)
        free[free_dofs] = True
        # booleans repeated and counted per row, not a row number per entry (8x less memory traffic)
        row_len = np.diff(self.indptr)
        keep = free[self.indices]
        per_row = np.zeros(N, dtype=np.int64)
        full = row_len > 0  # reduceat over the rows with entries only: it takes an empty row's next entry
        if full.any():
            per_row[full] = np.add.reduceat(keep, self.indptr[:-1][full], dtype=np.int64)
        per_row = per_row[free]
        keep &= np.repeat(free, row_len)
        number = np.cumsum(free) - 1  # condensed number of each free dof
        itype = self.indices.dtype
        indices = number[self.indices[keep]].astype(itype)  # sorted within rows: the numbering is monotone
        indptr = np.zeros(free_dofs.size + 1, dtype=np.int64 if keep.sum() >= 2**31 else itype)
        np.cumsum(per_row, out=indptr[1:])
        return CondensedLayout(keep=keep, indptr=indptr, indices=indices, n=int(free_dofs.size))


@dataclass
class CondensedLayout:
    """CSR layout of a matrix restricted to its free dofs: ``keep`` (nnz,) bool, the entries of the full pattern
    it holds (in CSR order, so the restricted data is ``data[keep]``); ``indptr`` (n + 1,), ``indices``; ``n``."""

    keep: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    n: int

    def matrix(self, data: np.ndarray):
        """The restricted CSR matrix (n, n) from the full pattern's data array (nnz,)."""
        return sp.csr_matrix((data[self.keep], self.indices, self.indptr), shape=(self.n, self.n))


def sparse_pattern(chunks, n_dofs: int) -> SparsePattern:
    """The :class:`SparsePattern` of the element chunks ``chunks`` for ``n_dofs`` global dofs.

    When every element's dofs are interleaved 3 s + i (scalar dof s, component i), as scikit-fem numbers
    ``ElementVector`` dofs, the pattern is built on scalar dofs (9x fewer keys to sort) and expanded to 3x3 blocks.
    """
    if n_dofs % 3 == 0 and all(_interleaved(ch.dofs) for ch in chunks):
        return _block_pattern(chunks, n_dofs)
    keys = []
    for ch in chunks:
        nl = ch.dofs.shape[1]
        r = np.repeat(ch.dofs, nl, axis=1).astype(np.int64)
        c = np.tile(ch.dofs, (1, nl)).astype(np.int64)
        keys.append((r * n_dofs + c).ravel())
    sizes = [len(k) for k in keys]
    ukeys, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    rows = ukeys // n_dofs
    indices = (ukeys - rows * n_dofs).astype(np.int32 if n_dofs < 2**31 else np.int64)
    indptr = np.zeros(n_dofs + 1, dtype=indices.dtype)
    np.cumsum(np.bincount(rows, minlength=n_dofs), out=indptr[1:])
    pos = np.split(inverse.astype(np.int32 if len(ukeys) < 2**31 else np.int64), np.cumsum(sizes)[:-1])
    return SparsePattern(indptr=indptr, indices=indices, pos=pos, n=n_dofs)


def _interleaved(dofs: np.ndarray) -> bool:
    s = dofs[:, 0::3]
    return bool(np.all(s % 3 == 0) and np.all(dofs[:, 1::3] == s + 1) and np.all(dofs[:, 2::3] == s + 2))


def _block_pattern(chunks, n_dofs: int) -> SparsePattern:
    ns = n_dofs // 3
    keys = []
    for ch in chunks:
        sd = (ch.dofs[:, 0::3] // 3).astype(np.int64)
        m = sd.shape[1]
        keys.append((np.repeat(sd, m, axis=1) * ns + np.tile(sd, (1, m))).ravel())
    sizes = [len(k) for k in keys]
    ukeys, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    srow = ukeys // ns
    scol = ukeys - srow * ns
    row_len = np.bincount(srow, minlength=ns)  # scalar entries per scalar row
    sptr = np.zeros(ns + 1, dtype=np.int64)
    np.cumsum(row_len, out=sptr[1:])
    rank = np.arange(len(ukeys)) - sptr[srow]  # position of each scalar entry within its row
    # dof row 3 r + i holds 3 * row_len[r] entries: scalar column c expands to 3 c, 3 c + 1, 3 c + 2
    indptr = np.zeros(n_dofs + 1, dtype=np.int64)
    np.cumsum(np.repeat(3 * row_len, 3), out=indptr[1:])
    itype = np.int32 if n_dofs < 2**31 else np.int64
    indices = np.empty(indptr[-1], dtype=itype)
    for i in range(3):
        start = indptr[3 * srow + i] + 3 * rank
        for j in range(3):
            indices[start + j] = 3 * scol + j
    pos = []
    offset = 0
    for ch, size in zip(chunks, sizes):
        inv = inverse[offset:offset + size].reshape(len(ch.elements), -1)
        offset += size
        m = ch.dofs.shape[1] // 3
        # entry (3a + i, 3b + j) of an element matrix, row-major, lands at
        # indptr[3 r_a + i] + 3 rank(a, b) + j
        inv = inv.reshape(-1, m, m)  # (n, a, b)
        r = srow[inv]
        base = 3 * rank[inv]
        p = np.empty((inv.shape[0], m, 3, m, 3), dtype=np.int32 if indptr[-1] < 2**31 else np.int64)
        for i in range(3):
            for j in range(3):
                p[:, :, i, :, j] = indptr[3 * r + i] + base + j
        pos.append(p.reshape(-1))
    return SparsePattern(indptr=indptr.astype(itype), indices=indices, pos=pos, n=n_dofs)


def assemble(vbasis, C_el: np.ndarray, eth_el: np.ndarray | None = None, chunks=None, chunk_size: int = 4000,
             pattern: SparsePattern | None = None):
    """Assemble the stiffness matrix and thermal load vector.

    Args:
        vbasis: scikit-fem vector basis (``ElementVector`` of a scalar Lagrange element).
        C_el: (n_elements, 6, 6) stiffness of each element in Pa (constant within an element).
        eth_el: (n_elements, 6) thermal strain of each element (Voigt, engineering shear), or None.
        chunks: precomputed list of :class:`ElementChunk` (from :func:`element_chunks`), or None.
        pattern: the chunks' :class:`SparsePattern` (fast path), or None (COO -> CSR per chunk).

    Returns:
        (K, f): K as scipy CSR (n_dofs, n_dofs) in N/m, f (n_dofs,) in N (zeros if ``eth_el`` is None).
    """
    N = vbasis.N
    f = np.zeros(N)
    K = None
    data = np.zeros(pattern.nnz) if pattern is not None else None
    buf_pos, buf_val, buffered = [], [], 0
    chunk_iter = chunks if chunks is not None else element_chunks(vbasis, chunk_size)
    for k, ch in enumerate(chunk_iter):
        Ke, fe = element_matrices(ch, C_el[ch.elements], None if eth_el is None else eth_el[ch.elements])
        if fe is not None:
            np.add.at(f, ch.dofs.ravel(), fe.ravel())
        if pattern is not None:
            # gather a few chunks per bincount: each call touches the whole data array once
            buf_pos.append(pattern.pos[k])
            buf_val.append(Ke.ravel())
            buffered += Ke.size
            if buffered >= 30_000_000:
                data += np.bincount(np.concatenate(buf_pos), np.concatenate(buf_val), minlength=pattern.nnz)
                buf_pos, buf_val, buffered = [], [], 0
            continue
        nl = Ke.shape[1]
        rows = np.repeat(ch.dofs, nl, axis=1).ravel()
        cols = np.tile(ch.dofs, (1, nl)).ravel()
        Kc = sp.coo_matrix((Ke.ravel(), (rows, cols)), shape=(N, N)).tocsr()
        K = Kc if K is None else K + Kc
    if pattern is not None:
        if buf_pos:
            data += np.bincount(np.concatenate(buf_pos), np.concatenate(buf_val), minlength=pattern.nnz)
        K = sp.csr_matrix((data, pattern.indices, pattern.indptr), shape=(N, N))
    return K, f


def assemble_load(n_dofs: int, chunks, C_el: np.ndarray, eth_el: np.ndarray) -> np.ndarray:
    """Thermal load vector (n_dofs,) in N alone, for a stiffness matrix that is already assembled."""
    f = np.zeros(n_dofs)
    for ch in chunks:
        C, eth = C_el[ch.elements], eth_el[ch.elements]
        if ch.grads_inc is None:
            fe = _bt_s(ch.B, np.einsum("eij,ej->ei", C, eth), ch.dx)
        else:
            fe = element_matrices(ch, C, eth)[1]
        np.add.at(f, ch.dofs.ravel(), fe.ravel())
    return f


def element_stress(chunks, u: np.ndarray, C_el: np.ndarray, eth_el: np.ndarray):
    """Stress and strain at quadrature points and their element volume averages.

    For hex8i the incompatible-mode amplitudes are recovered element by element,
    alpha = Kaa^-1 (f_a - Kau u_e), and their strains added.

    Returns:
        dict with ``strain_qp`` (n_el, n_qp, 6), ``stress_qp`` (n_el, n_qp, 6) in Pa, ``strain``/``stress``
        (n_el, 6) volume averages, ``volume`` (n_el,) in m^3, ``w_qp`` (n_el, n_qp) quadrature weights (m^3).
    """
    nel = C_el.shape[0]
    nq = chunks[0].dx.shape[1]
    eps_q = np.empty((nel, nq, 6))
    sig_q = np.empty((nel, nq, 6))
    w = np.empty((nel, nq))
    for ch in chunks:
        C, eth = C_el[ch.elements], eth_el[ch.elements]
        n, _, ns, _ = ch.grads.shape
        # strains from the displacement gradient (local dof 3 a + i: component i of shape a), not from the B
        # matrices: 6x fewer products, and no (n, q, 6, 3 ns) array to build
        H = np.matmul(u[ch.dofs].reshape(n, 1, ns, 3).transpose(0, 1, 3, 2), ch.grads)  # (n, q, 3, 3)
        e = _voigt(H)
        Ct = C.transpose(0, 2, 1)
        if ch.grads_inc is not None:
            e = e + _voigt(_incompatible_gradient(ch, C, np.matmul(e - eth[:, None, :], Ct)))
        eps_q[ch.elements] = e
        sig_q[ch.elements] = np.matmul(e - eth[:, None, :], Ct)
        w[ch.elements] = ch.dx
    vol = w.sum(axis=1)
    strain = np.einsum("eqi,eq->ei", eps_q, w) / vol[:, None]
    stress = np.einsum("eqi,eq->ei", sig_q, w) / vol[:, None]
    return {"strain_qp": eps_q, "stress_qp": sig_q, "strain": strain, "stress": stress, "volume": vol, "w_qp": w}


# Voigt index of each tensor component (i, j): [[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]], flattened
_TENSOR_VOIGT = np.array([0, 5, 4, 5, 1, 3, 4, 3, 2])


def _incompatible_gradient(ch: ElementChunk, C: np.ndarray, sig: np.ndarray) -> np.ndarray:
    """Displacement gradient (n, q, 3, 3) of the hex8i modes, alpha = Kaa^-1 (f_a - Kau u_e), of a chunk.

    f_a - Kau u_e is the integral of -B_a^T sig for the stress sig = C (eps(u_e) - eps_th) (n, q, 6) in Pa. Kaa and
    that integral come from the modes' gradients g (n, q, 3 modes, 3) without building B_a: mode k in component i
    has the gradient g_k in row i, so (B_a^T s)_(k, i) = sum_j g_kj S_ij with S the stress tensor, and
    Kaa_(k i),(l m) = sum_jn C_ijmn integral of g_kj g_ln (C (n, 6, 6) in Pa, its Voigt form).
    """
    g = ch.grads_inc
    n, nq = g.shape[:2]
    gw = g * ch.dx[:, :, None, None]
    # M[k j, l m] = integral of g_kj g_lm; C4[i j, m n] = C_ijmn; both (n, 9, 9)
    M = np.matmul(gw.reshape(n, nq, 9).transpose(0, 2, 1), g.reshape(n, nq, 9))
    C4 = C[:, _TENSOR_VOIGT][:, :, _TENSOR_VOIGT]
    M = M.reshape(n, 3, 3, 3, 3).transpose(0, 1, 3, 2, 4).reshape(n, 9, 9)  # [k l, j n]
    C4 = C4.reshape(n, 3, 3, 3, 3).transpose(0, 2, 4, 1, 3).reshape(n, 9, 9)  # [j n, i m]
    Kaa = np.matmul(M, C4).reshape(n, 3, 3, 3, 3).transpose(0, 1, 3, 2, 4).reshape(n, 9, 9)  # [k i, l m]
    S = sig[:, :, _TENSOR_VOIGT].reshape(n, nq, 3, 3)  # [q, i, j]
    # rhs[k, i] = -sum_q sum_j gw_qkj S_qij
    rhs = -np.matmul(gw.transpose(0, 2, 1, 3).reshape(n, 3, 3 * nq), S.transpose(0, 1, 3, 2).reshape(n, 3 * nq, 3))
    alpha = np.linalg.solve(Kaa, rhs.reshape(n, 9, 1)).reshape(n, 3, 3)  # [k, i]
    return np.matmul(alpha.transpose(0, 2, 1)[:, None], g)  # [q, i, j] = sum_k alpha_ki g_qkj


def _voigt(H: np.ndarray) -> np.ndarray:
    """Voigt strains (..., 6) of displacement gradients ``H[..., i, j] = du_i/dx_j`` (..., 3, 3)."""
    return np.stack([H[..., 0, 0], H[..., 1, 1], H[..., 2, 2], H[..., 1, 2] + H[..., 2, 1],
                     H[..., 0, 2] + H[..., 2, 0], H[..., 0, 1] + H[..., 1, 0]], axis=-1)


def von_mises(s: np.ndarray) -> np.ndarray:
    """von Mises stress of Voigt stresses ``s`` (..., 6)."""
    xx, yy, zz, yz, xz, xy = (s[..., i] for i in range(6))
    return np.sqrt(0.5 * ((xx - yy) ** 2 + (yy - zz) ** 2 + (zz - xx) ** 2) + 3.0 * (yz**2 + xz**2 + xy**2))


def voigt_to_tensor(s: np.ndarray) -> np.ndarray:
    """Symmetric (..., 3, 3) tensors of Voigt stresses ``s`` (..., 6) [xx, yy, zz, yz, xz, xy]."""
    T = np.empty(s.shape[:-1] + (3, 3))
    T[..., 0, 0], T[..., 1, 1], T[..., 2, 2] = s[..., 0], s[..., 1], s[..., 2]
    T[..., 1, 2] = T[..., 2, 1] = s[..., 3]
    T[..., 0, 2] = T[..., 2, 0] = s[..., 4]
    T[..., 0, 1] = T[..., 1, 0] = s[..., 5]
    return T


def principal(s: np.ndarray) -> np.ndarray:
    """Principal stresses (..., 3), ascending, of Voigt stresses ``s`` (..., 6)."""
    return np.linalg.eigvalsh(voigt_to_tensor(s))
