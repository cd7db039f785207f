"""Quasi-static thermo-elastic problem on a package mesh.

Linear thermo-elasticity in total form: at temperature T every element carries
    sigma = C(T) : (eps(u) - eps_th(T, T_sf))
with C(T) and eps_th from its region's material and T_sf its region's stress-free temperature. The state at a
temperature therefore does not depend on the path taken to it.

Rigid-body motion is removed without adding stress: symmetry planes (u_n = 0) where the model is cut, and a
statically determinate 3-2-1 set of point constraints on the bottom face for what remains.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import numpy as np
from skfem import ElementHex1, ElementHexS2, ElementVector, condense
from skfem.quadrature import get_quadrature

from ..errors import MeshError, SolverError
from ..mesh.swept import PackageMesh
from ..physics import elasticity as el
from ..physics.dofmap import DofMap
from .linear import LinearSolver, LinearStats, rigid_body_modes

# element name -> (scalar scikit-fem element, quadrature order (2: 2x2x2 Gauss, 4: 3x3x3), incompatible modes)
ELEMENTS = {"hex8": (ElementHex1, 2, False), "hex8i": (ElementHex1, 2, True), "hex20": (ElementHexS2, 4, False)}


@dataclass
class MechanicalState:
    """Solution at one temperature.

    Attributes:
        T_C: temperature in degC (uniform) or (n_elements,) element temperatures.
        u: (n_dofs,) displacement in m.
        stress: (n_el, 6) element-averaged stress in Pa; stress_qp (n_el, n_qp, 6).
        strain: (n_el, 6) element-averaged total strain; strain_qp (n_el, n_qp, 6).
        eth: (n_el, 6) thermal strain.
        stats: linear solver statistics; timing: seconds per phase.
    """

    T_C: float | np.ndarray
    u: np.ndarray
    stress: np.ndarray
    strain: np.ndarray
    stress_qp: np.ndarray
    strain_qp: np.ndarray
    eth: np.ndarray
    stats: LinearStats
    timing: dict = field(default_factory=dict)


class MechanicalProblem:
    """The discrete thermo-elastic problem of a :class:`PackageMesh`.

    Args:
        pmesh: the mesh.
        materials: material name -> Material (``stiffness(T)``, ``thermal_strain(T, T_ref)``).
        stress_free_C: region -> stress-free temperature in degC.
        element: ``hex20`` (20-node serendipity), ``hex8i`` (8-node with incompatible modes) or ``hex8``
            (plain trilinear: locks in bending, for studies only).
        linear: ``auto`` | ``amg`` | ``direct``; rtol: CG tolerance.
    """

    def __init__(self, pmesh: PackageMesh, materials: dict, stress_free_C: dict[str, float], element: str = "hex20",
                 linear: str = "auto", rtol: float = 1e-8):
        self.pmesh = pmesh
        self.materials = materials
        self.stress_free_C = stress_free_C
        elem, intorder, incompatible = ELEMENTS[element]
        self.element_name = element
        m = pmesh.mesh
        # a dof map only: the element geometry comes from the chunks
        self.basis = DofMap(m, ElementVector(elem()))
        self.quadrature = get_quadrature(elem().refdom, intorder)
        t0 = time.perf_counter()
        try:
            self.chunks = list(el.element_chunks(self.basis, incompatible=incompatible, quadrature=self.quadrature))
        except el.InvertedElements as exc:
            regions = sorted({pmesh.region_names[r] for r in pmesh.cell_region[exc.elements]})
            c = pmesh.mesh.p[:, pmesh.mesh.t[:, exc.elements[0]]].mean(axis=1) * 1e3
            raise MeshError(
                f"{len(exc.elements)} elements are inverted (non-positive Jacobian) in {', '.join(regions)}; "
                f"the first near ({c[0]:.3f}, {c[1]:.3f}, {c[2]:.3f}) mm. Try another mesh.size or feature_size."
            ) from exc
        self.pattern = el.sparse_pattern(self.chunks, self.basis.N)
        self.t_geometry = time.perf_counter() - t0
        self.D = self._constrained_dofs()
        self.I = np.setdiff1d(np.arange(self.basis.N), self.D)
        locs = self.basis.doflocs.T  # (N, 3), one row per dof
        rbm = rigid_body_modes(locs[0::3]) if self._interleaved() else None
        self.solver = LinearSolver(linear, rtol, near_null=None if rbm is None else rbm[self.I])
        self._last_C = None  # element stiffness of the matrix in self._K
        self._K = None

    @property
    def ndofs(self) -> int:
        return self.basis.N

    @functools.cached_property
    def volumes(self) -> np.ndarray:
        """(n_elements,) element volumes in m^3 (sum of the quadrature weights)."""
        vol = np.empty(self.pmesh.n_elements)
        for ch in self.chunks:
            vol[ch.elements] = ch.dx.sum(axis=1)
        return vol

    def _interleaved(self) -> bool:
        nd = self.basis.nodal_dofs
        return bool(np.all(nd[1] == nd[0] + 1) and np.all(nd[2] == nd[0] + 2))

    def _constrained_dofs(self) -> np.ndarray:
        m = self.pmesh.mesh
        g = self.pmesh.geometry
        ib = self.basis
        D = []
        if "sym_x0" in m.boundaries:
            D.append(ib.get_dofs(m.boundaries["sym_x0"]).all("u^1"))
        if "sym_y0" in m.boundaries:
            D.append(ib.get_dofs(m.boundaries["sym_y0"]).all("u^2"))
        # 3-2-1 points on the lowest face, chosen among vertices
        zmin = m.p[2].min()
        bot = np.nonzero(np.abs(m.p[2] - zmin) < 1e-12)[0]
        x, y = m.p[0, bot], m.p[1, bot]
        A = bot[np.argmin(x**2 + y**2)]
        nd = ib.nodal_dofs
        if g.symmetry == "quarter":
            D.append([nd[2, A]])
        elif g.symmetry == "half":
            on = bot[np.abs(m.p[0, bot] - m.p[0, A]) < 1e-12]
            Bv = on[np.argmax(np.abs(m.p[1, on] - m.p[1, A]))]
            D.append([nd[1, A], nd[2, A], nd[2, Bv]])
        else:
            Bv = bot[np.argmax(x - np.abs(y))]  # far along +x near the x axis
            Cv = bot[np.argmax(y - np.abs(x))]  # far along +y near the y axis
            D.append([nd[0, A], nd[1, A], nd[2, A], nd[1, Bv], nd[2, Bv], nd[2, Cv]])
        return np.unique(np.concatenate([np.asarray(d, dtype=np.int64) for d in D]))

    def element_fields(self, T_C: float) -> tuple[np.ndarray, np.ndarray]:
        """(C_el (n_el, 6, 6) in Pa, eth_el (n_el, 6)) at the uniform temperature ``T_C``."""
        pm = self.pmesh
        nel = pm.n_elements
        C_el = np.empty((nel, 6, 6))
        eth_el = np.zeros((nel, 6))
        T = np.array([float(T_C)])
        for ri, region in enumerate(pm.region_names):
            idx = np.nonzero(pm.cell_region == ri)[0]
            mat = self.materials[pm.region_material[region]]
            C_el[idx] = mat.stiffness(T)[0]
            eth_el[idx, :3] = mat.thermal_strain(T, np.array([self.stress_free_C[region]]))[0]
        return C_el, eth_el

    def solve(self, T_C: float, say=None) -> MechanicalState:
        """Solve at the uniform temperature ``T_C`` (degC). ``say``: optional callable given a progress sentence
        after the assembly and after the linear solve (each phase can take many seconds on a large mesh)."""
        timing = {}
        t0 = time.perf_counter()
        C_el, eth_el = self.element_fields(T_C)
        # reuse the matrix (and a direct factorization) when no modulus changed, e.g. T-independent materials
        reuse = self._last_C is not None and np.array_equal(C_el, self._last_C)
        if reuse:
            K = self._K
            f = el.assemble_load(self.basis.N, self.chunks, C_el, eth_el)
        else:
            K, f = el.assemble(self.basis, C_el, eth_el, self.chunks, pattern=self.pattern)
            self._K, self._last_C = K, C_el
        timing["assemble"] = time.perf_counter() - t0
        if say is not None:
            say(f"assembled in {timing['assemble']:.1f} s; solving {self.I.size:,} unknowns")
        t0 = time.perf_counter()
        Kc, fc, _, I = condense(K, f, D=self.D)
        uI, stats = self.solver.solve(Kc.tocsr(), fc, reuse=reuse)
        u = np.zeros(self.basis.N)
        u[I] = uI
        if not np.all(np.isfinite(u)):
            raise SolverError(f"the solution at {T_C:g} degC is not finite")
        timing["solve"] = time.perf_counter() - t0
        if say is not None:
            say(f"solved in {timing['solve']:.1f} s; recovering element stresses")
        t0 = time.perf_counter()
        r = el.element_stress(self.chunks, u, C_el, eth_el)
        timing["stress"] = time.perf_counter() - t0
        return MechanicalState(T_C, u, r["stress"], r["strain"], r["stress_qp"], r["strain_qp"], eth_el, stats, timing)

    def vertex_displacement(self, u: np.ndarray) -> np.ndarray:
        """(n_vertices, 3) displacement at mesh vertices in m."""
        return u[self.basis.nodal_dofs].T

