"""A unit cell of a trace layer on its carrier: the layer's in-plane response across parallel traces.

One pitch of a layer of parallel traces along x (copper stripes through the layer's thickness, resin between) is
cut across the traces: the (y, z) cross-section, 0 <= y <= pitch, -depth <= z <= thickness, solved in generalised
plane strain (the fields do not vary along the traces; eps_xx is a given constant). Below the layer (z < 0) a block
of the material the layer is bonded to, ``depth`` deep; its bottom face (or the layer's bottom face when depth is 0,
a rigid substrate) is held to the macroscopic in-plane strain (eps_xx, eps_yy) and flat (u_z = 0); the fields are
periodic across y (displacement = macroscopic strain times position + a periodic fluctuation); the top is free.
Quadratic quadrilaterals (scikit-fem, 9-node Lagrange), nodes on the stripe edges.

The layer's resultant force per unit width N = (N_xx, N_yy) (N/m) is the cell's mean stress times its height minus
the force of the substrate block alone under the same strain (a uniform plane-stress state), and so includes the
block's local deformation under the traces' edge forces (which decays with depth over a fraction of a pitch:
a block one pitch deep is deep enough). Linear in (eps_xx, eps_yy, dT):

    N = t (Q eps - b dT)

with ``t`` the layer thickness, Q (2, 2) the layer's effective plane-stress stiffness (Pa) and b (2,) its thermal
stress per kelvin (Pa/K); :func:`layer_response` returns (Q, b) from three solves (unit eps_xx, unit eps_yy, unit
dT). This is the standard periodic unit-cell homogenisation (e.g. P. Suquet, "Elements of homogenization for
inelastic solid mechanics", in Homogenization Techniques for Composite Media, Lecture Notes in Physics 272,
Springer 1987, the average-strain formulation), specialised to a thin layer held by a thick core, as in the
asymptotic models of periodic plates (D. Caillerie, "Thin elastic and periodic plates", Math. Methods Appl. Sci.
6(1), 159-191 (1984)): the core's membrane strain is the macroscopic strain of the cell. Both are cited for the
method, not for any number or line of code here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.linalg import splu
from skfem import Basis, BilinearForm, ElementQuad2, ElementVector, LinearForm, MeshQuad

from fcpkg_fem.materials.model import Material

__all__ = ["TraceCell", "cell_mesh", "layer_response", "plane_stress"]


@dataclass(frozen=True)
class TraceCell:
    """What decides a trace layer's across-trace response besides the fraction.

    Attributes:
        pitch: trace pitch (centre to centre), m.
        thickness: the layer's thickness (the traces run through it), m.
        substrate: the material the layer is bonded to (the carrier's core or the neighbouring dielectric), taken
            as a block one pitch deep whose bottom follows the plate's in-plane strain.
    """

    pitch: float
    thickness: float
    substrate: Material

# Voigt rows of the cross-section's own strains: yy, zz, yz (engineering)
_R = [1, 2, 3]


def plane_stress(C: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reduced in-plane (xx, yy) stiffness (2, 2) in Pa and thermal stress (2,) in Pa/K for sigma_zz = 0, from the
    Voigt stiffness C (6, 6) and thermal stress beta (6,) of a material whose zz does not couple to the shears."""
    p = [0, 1]
    Q = C[np.ix_(p, p)] - np.outer(C[p, 2], C[2, p]) / C[2, 2]
    b = beta[p] - C[p, 2] * beta[2] / C[2, 2]
    return Q, b


def _axis(edges: list[float], n: list[int]) -> np.ndarray:
    """Points through consecutive intervals [edges[i], edges[i+1]] with n[i] elements each."""
    pts = [np.linspace(edges[i], edges[i + 1], n[i] + 1)[:-1] for i in range(len(n))]
    return np.concatenate(pts + [np.array([edges[-1]])])


def cell_mesh(pitch: float, fraction: float, thickness: float, depth: float,
              n_across: int = 16, n_through: int = 6) -> tuple[MeshQuad, np.ndarray]:
    """The cell's mesh (coordinates (y, z), m) and each element's phase (0 substrate, 1 resin, 2 copper).

    The copper stripe is centred at y = pitch / 2, ``fraction * pitch`` wide. ``n_across`` elements across the pitch
    (split between the phases by width, at least 2 each), ``n_through`` through the layer, the block graded from
    the layer's element size (growing 1.5 times per element) to an eighth of the pitch."""
    w = fraction * pitch
    n_cu = 0 if fraction == 0 else max(2, int(round(n_across * fraction)))
    n_re = 0 if fraction == 1 else max(2, n_across - n_cu)
    if 0 < fraction < 1:
        half = max(1, n_re // 2)
        ys = _axis([0.0, (pitch - w) / 2, (pitch + w) / 2, pitch], [half, n_cu, max(1, n_re - half)])
    else:
        ys = np.linspace(0.0, pitch, max(n_cu, n_re) + 1)
    zs = np.linspace(0.0, thickness, n_through + 1)
    if depth > 0:
        h0 = thickness / n_through
        below = [0.0]
        h = h0
        while below[-1] > -depth:
            below.append(below[-1] - h)
            h = min(1.5 * h, pitch / 8)
        if len(below) > 2 and below[-2] - -depth < 0.3 * (below[-2] - below[-1]):
            below.pop(-2)  # no sliver at the bottom
        below[-1] = -depth
        zs = np.concatenate([np.array(below[::-1]), zs[1:]])
    m = MeshQuad.init_tensor(ys, zs)
    c = m.p[:, m.t].mean(axis=1)
    in_cu = np.abs(c[0] - pitch / 2) < w / 2
    phase = np.where(c[1] < 0, 0, np.where(in_cu, 2, 1))
    return m, phase


def _eps(u) -> list:
    """The cross-section's strains (yy, zz, yz engineering) of a 2-D field over (y, z)."""
    g = u.grad
    return [g[0][0], g[1][1], g[0][1] + g[1][0]]


@BilinearForm
def _unit_pair(u, v, w):
    """Strain component j of u times component i of v (i, j = w.i, w.j in yy, zz, yz)."""
    return _eps(u)[int(w.j)] * _eps(v)[int(w.i)]


@LinearForm
def _unit_strain(v, w):
    """Strain component i (yy, zz, yz) of v: its integral against a field is that field's integrated strain."""
    return _eps(v)[int(w.i)]


def _periodic(basis: Basis, pitch: float, zmin: float) -> tuple[csr_matrix, np.ndarray]:
    """(P, free): u_full = P u_red; the DOFs on y = pitch follow their partners on y = 0, the bottom ones are 0."""
    locs = basis.doflocs
    ndof = locs.shape[1]
    comp = np.zeros(ndof, dtype=int)
    for k, idx in enumerate(basis.split_indices()):
        comp[idx] = k
    tol = 1e-9 * pitch
    bottom = np.abs(locs[1] - zmin) < tol
    right = (np.abs(locs[0] - pitch) < tol) & ~bottom
    left = (np.abs(locs[0]) < tol) & ~bottom
    key = {(int(comp[i]), round(float(locs[1, i]) / tol)): i for i in np.flatnonzero(left)}
    target = np.arange(ndof)
    for i in np.flatnonzero(right):
        target[i] = key[(int(comp[i]), round(float(locs[1, i]) / tol))]
    keep = np.flatnonzero(~bottom & ~right)
    col = np.full(ndof, -1)
    col[keep] = np.arange(keep.size)
    rows = np.flatnonzero(~bottom)
    P = csr_matrix((np.ones(rows.size), (rows, col[target[rows]])), shape=(ndof, keep.size))
    return P, keep


@dataclass(frozen=True, eq=False)
class _Setup:
    """What does not change with temperature: per phase (area m^2, K_ij (i, j over yy, zz, yz) with
    v^T K_ij u = int eps_i(v) eps_j(u), F_i with F_i . u = int eps_i(u)), and the reduction P (n_full, n_free)."""

    phases: dict[int, tuple[float, list[list[csr_matrix]], list[np.ndarray]]]
    P: csr_matrix


@lru_cache(maxsize=8)
def _setup(pitch: float, fraction: float, thickness: float, depth: float, n_across: int, n_through: int) -> _Setup:
    """The cell's operators per phase, reduced to the free DOFs (the stiffness is linear in C: assembled once)."""
    m, phase = cell_mesh(pitch, fraction, thickness, depth, n_across, n_through)
    e = ElementVector(ElementQuad2())
    P, _ = _periodic(Basis(m, e, intorder=4), pitch, float(m.p[1].min()))
    out = {}
    for k in range(3):
        idx = np.flatnonzero(phase == k)
        if idx.size == 0:
            continue
        b = Basis(m, e, elements=idx, intorder=4)
        xy = m.p[:, m.t[:, idx]]  # (2, 4, n): rectangles
        area = float(np.sum(np.ptp(xy[0], axis=0) * np.ptp(xy[1], axis=0)))
        Kij = [[(P.T @ _unit_pair.assemble(b, i=float(i), j=float(j)) @ P).tocsr() for j in range(3)]
               for i in range(3)]
        F = [P.T @ _unit_strain.assemble(b, i=float(i)) for i in range(3)]
        out[k] = (area, Kij, F)
    return _Setup(out, P)


@lru_cache(maxsize=4)
def _factor(st: _Setup, blocks: tuple[bytes, ...]):
    """LU of the reduced stiffness for the phases' (3, 3) stiffness blocks (as bytes: a cache key, as a
    temperature table often changes a CTE but not a stiffness)."""
    Cr = [np.frombuffer(b).reshape(3, 3) for b in blocks]
    K = sum(c[i, j] * Kij[i][j] for c, (_, Kij, _) in zip(Cr, st.phases.values()) for i in range(3) for j in range(3))
    return splu(K.tocsc())


def layer_response(pitch: float, fraction: float, thickness: float, C: list[np.ndarray], beta: list[np.ndarray],
                   depth: float | None = None, n_across: int = 64,
                   n_through: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """The layer's effective plane-stress stiffness Q (2, 2) in Pa and thermal stress b (2,) in Pa/K, axes
    (x along the traces, y across), from the unit cell (module docstring).

    Args:
        pitch: trace pitch, m. fraction: copper width over pitch, 0..1. thickness: the layer's, m.
        C: Voigt stiffnesses (6, 6), Pa, of [substrate, resin, copper] (axes x along the traces, y across).
        beta: thermal stresses C alpha (6,), Pa/K, of the same.
        depth: the substrate block's depth, m; 0 holds the layer's bottom face (a rigid substrate); None: one pitch.
        n_across, n_through: elements across the pitch and through the layer.
    """
    depth = pitch if depth is None else depth
    st = _setup(pitch, fraction, thickness, depth, n_across, n_through)
    lu = _factor(st, tuple(np.ascontiguousarray(C[k][np.ix_(_R, _R)]).tobytes() for k in st.phases))
    loads = [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)]  # (eps_xx, eps_yy, dT)
    N = np.zeros((3, 2))
    for n, (exx, eyy, dT) in enumerate(loads):
        E6 = np.array([exx, eyy, 0.0, 0.0, 0.0, 0.0])
        r = {k: C[k][_R] @ E6 - beta[k][_R] * dT for k in st.phases}
        u = lu.solve(-sum(r[k][i] * F[i] for k, (_, _, F) in st.phases.items() for i in range(3)))
        total = np.zeros(2)
        for k, (area, _, F) in st.phases.items():
            eps = np.array([F[i] @ u for i in range(3)])  # integrated fluctuation strains yy, zz, yz
            total += (C[k][:2] @ E6 - beta[k][:2] * dT) * area + C[k][:2][:, _R] @ eps
        if depth > 0:
            Qs, bs = plane_stress(C[0], beta[0])
            total -= pitch * depth * (Qs @ E6[:2] - bs * dT)
        N[n] = total / pitch
    Q = N[:2].T / thickness
    return 0.5 * (Q + Q.T), -N[2] / thickness
