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
import scipy.sparse as sp
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


#: A region's stiffness at a temperature is taken as its first stiffness times a number when the two differ by at most
#: this, relative to the largest entry (tabulated moduli interpolated with a fixed Poisson ratio differ by ~1e-16).
PROPORTIONAL_RTOL = 1e-12


class RegionOperators:
    """The stiffness matrix and thermal load at a uniform temperature as sums over regions.

    With every element of region r at one stiffness C_r(T) and one restrained thermal stress sigma_r(T) = C_r eps_th,
        K(T) = sum_r s_r(T) K_r,        f(T) = sum_r F_r sigma_r(T),
    where K_r is the region's matrix at the stiffness C0_r it had when these were built and C_r(T) = s_r(T) C0_r: the
    element matrices scale with s_r, and F_r (the element load operators G of
    :func:`~fcpkg_fem.physics.elasticity.element_operators`) does not change. So the elements are integrated once
    and a temperature's system costs a scaled sum of arrays (docs/benchmarks.md, "Phases of the linear solve").
    A region whose stiffness is not a multiple of C0_r at some temperature (a Poisson ratio or an anisotropy that
    changes with it) is integrated again at that temperature, element by element.

    Args:
        problem: the :class:`MechanicalProblem` (its chunks, sparse pattern and regions).
        C0: region index -> (6, 6) stiffness in Pa at which K_r and F_r are built.
        layout: the pattern's :class:`~fcpkg_fem.physics.elasticity.CondensedLayout` on ``problem.I``, if the
            caller has it already (the matrices made here then hold its very index arrays).
    """

    def __init__(self, problem: "MechanicalProblem", C0: dict[int, np.ndarray], layout=None):
        self.p = problem
        self.C0 = C0
        pat = problem.pattern
        region = problem.pmesh.cell_region
        n_reg = len(problem.pmesh.region_names)
        # the region owning each matrix entry; entries that several regions add to (at their interfaces) are kept
        # per region apart, the others once, in the full data array
        owner = np.full(pat.nnz, -1, dtype=np.int16)
        for k, ch in enumerate(problem.chunks):
            owner[pat.pos[k]] = np.repeat(region[ch.elements], pat.pos[k].size // len(ch.elements))
        for k, ch in enumerate(problem.chunks):
            re = np.repeat(region[ch.elements], pat.pos[k].size // len(ch.elements))
            owner[pat.pos[k][owner[pat.pos[k]] != re]] = n_reg  # shared
        # np.add.at per chunk (its fast path, numpy >= 1.25) adds in place: no copies of the positions and values
        # and no array of the data's size per call, as the bincounts of buffered chunks had (the build 11.0 s ->
        # 9.5 s on the reference mesh)
        self.base = np.zeros(pat.nnz)
        C_of = np.zeros((n_reg, 6, 6))
        for r, C in C0.items():
            C_of[r] = C
        loads = {r: [] for r in C0}  # region -> [(element dofs, G rows)]
        shared = {r: [] for r in C0}  # region -> [(positions, values)] of its elements' shared entries
        for k, ch in enumerate(problem.chunks):
            re = region[ch.elements]
            Ke, G = el.element_operators(ch, C_of[re])
            pos = pat.pos[k].reshape(len(re), -1)
            np.add.at(self.base, pos.ravel(), Ke.ravel())
            for r in np.unique(re):
                m = re == r
                loads[int(r)].append((ch.dofs[m].ravel(), G[m].reshape(-1, 6)))
                p = pos[m].ravel()
                at = owner[p] == n_reg
                if at.any():
                    shared[int(r)].append((p[at], Ke[m].ravel()[at]))
        # F_r per region as a dense (region dofs, 6) block: f = sum_r F_r sigma_r adds into those dofs
        self.f_dofs, self.f_ops = {}, {}
        for r, parts in loads.items():
            dofs, inv = np.unique(np.concatenate([d for d, _ in parts]), return_inverse=True)
            g = np.concatenate([x for _, x in parts])
            self.f_dofs[r] = dofs
            self.f_ops[r] = np.stack([np.bincount(inv.ravel(), g[:, i], minlength=dofs.size) for i in range(6)],
                                     axis=1)
        del loads
        self.owner = owner.astype(np.int16)  # n_reg: shared
        # shared entries per region: summed over a compact numbering of the shared positions, without sorting
        at = np.flatnonzero(owner == n_reg)
        compact = np.full(pat.nnz, -1, dtype=np.int32 if at.size < 2**31 else np.int64)
        compact[at] = np.arange(at.size)
        parts = [[], [], []]
        for r in sorted(shared):  # ascending: RegionOperators.assemble adds them in this order
            if not shared[r]:
                continue
            pos, val = (np.concatenate(a) for a in zip(*shared[r]))
            acc = np.bincount(compact[pos], val, minlength=at.size)
            nz = np.flatnonzero(acc)
            parts[0].append(at[nz])
            parts[1].append(np.full(nz.size, r, dtype=np.int16))
            parts[2].append(acc[nz])
            shared[r] = None
        itype = np.int32 if pat.nnz < 2**31 else np.int64
        self.shared_pos = np.concatenate(parts[0]).astype(itype) if parts[0] else np.zeros(0, itype)
        self.shared_reg = np.concatenate(parts[1]) if parts[1] else np.zeros(0, np.int16)
        self.shared_val = np.concatenate(parts[2]) if parts[2] else np.zeros(0)
        self._condense(problem.I, layout)

    def _condense(self, free_dofs: np.ndarray, layout=None) -> None:
        """Keep only the entries of the free dofs (rows and columns), in the CSR layout of the condensed matrix, so
        that a temperature's matrix is made condensed: no full matrix, no copy (issue 16)."""
        pat = self.p.pattern
        lay = pat.condensed(free_dofs) if layout is None else layout
        keep = lay.keep
        self.c_indices, self.c_indptr = lay.indices, lay.indptr
        self.n_free = int(free_dofs.size)
        self.base, self.owner = self.base[keep], self.owner[keep]
        # a kept entry's condensed position: the kept entries before it (a cumsum, not an (nnz,) int64 map)
        m = keep[self.shared_pos]
        cpos = np.cumsum(keep, dtype=np.int64 if pat.nnz >= 2**31 else np.int32)
        self.shared_pos = (cpos[self.shared_pos[m]] - 1).astype(self.shared_pos.dtype)
        del cpos
        self.shared_reg, self.shared_val = self.shared_reg[m], self.shared_val[m]
        # (region, start, stop) of each region's run of shared entries (stored region by region, ascending)
        cut = np.flatnonzero(np.diff(self.shared_reg)) + 1
        starts, stops = np.r_[0, cut], np.r_[cut, self.shared_reg.size]
        self.shared_runs = [(int(self.shared_reg[a]), int(a), int(b)) for a, b in zip(starts, stops) if b > a]
        self.keep = keep  # entries of the full pattern that the condensed matrix holds (re-integrated regions)

    def _members(self, r: int):
        """(chunk index, chunk, positions in the chunk) of the elements of region r."""
        region = self.p.pmesh.cell_region
        for k, ch in enumerate(self.p.chunks):
            sel = np.nonzero(region[ch.elements] == r)[0]
            if sel.size:
                yield k, ch, sel

    def assemble(self, C: dict[int, np.ndarray], eth: dict[int, np.ndarray]):
        """(K CSR (n_free, n_free) in N/m of the free dofs ``problem.I``, f (n_dofs,) in N of all dofs) for region
        stiffnesses ``C`` (6, 6) in Pa and thermal strains ``eth`` (6,) (Voigt, engineering shear)."""
        pat = self.p.pattern
        n_reg = len(self.p.pmesh.region_names)
        scale = np.zeros(n_reg + 1)  # the last: shared entries, added below region by region
        f = np.zeros(self.p.ndofs)
        again = []
        for r, Cr in C.items():
            C0 = self.C0[r]
            s = float((Cr * C0).sum() / (C0 * C0).sum())
            if np.abs(Cr - s * C0).max() <= PROPORTIONAL_RTOL * np.abs(Cr).max():
                scale[r] = s
                f[self.f_dofs[r]] += self.f_ops[r] @ (Cr @ eth[r])  # dofs unique within a region
            else:
                again.append(r)  # scale 0: integrated below at its stiffness
        data = self.base * scale[self.owner]
        # region by region, ascending, as the shared entries are stored: positions are unique within a region, so
        # indexed adds give the sums a bincount of the data's size gave, in the same order
        for r, a, b in self.shared_runs:
            data[self.shared_pos[a:b]] += scale[r] * self.shared_val[a:b]
        if again:
            full = np.zeros(pat.nnz)
            for r in again:
                for k, ch, sel in self._members(r):
                    n = len(sel)
                    Ke, fe = el.element_matrices(ch.subset(sel), np.broadcast_to(C[r], (n, 6, 6)),
                                                 np.broadcast_to(eth[r], (n, 6)))
                    np.add.at(full, pat.pos[k].reshape(len(ch.elements), -1)[sel].ravel(), Ke.ravel())
                    np.add.at(f, ch.dofs[sel].ravel(), fe.ravel())
            data += full[self.keep]
        n = self.n_free
        return sp.csr_matrix((data, self.c_indices, self.c_indptr), shape=(n, n)), f


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
        self._last_C = None  # region stiffnesses of the last solve's matrix
        self._regions = None  # RegionOperators, built at the first solve when more are expected
        #: how many uniform-temperature solves the caller will make (:meth:`solve`): with more than one, the first
        #: builds the :class:`RegionOperators` that make the later assemblies a scaled sum
        self.solves_expected = 1

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

    def region_fields(self, T_C: float) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
        """Per region index with elements: (stiffness (6, 6) in Pa, thermal strain (6,)) at the uniform ``T_C``."""
        pm = self.pmesh
        T = np.array([float(T_C)])
        C, eth = {}, {}
        for ri in np.unique(pm.cell_region):
            region = pm.region_names[ri]
            mat = self.materials[pm.region_material[region]]
            C[int(ri)] = mat.stiffness(T)[0]
            eth[int(ri)] = np.zeros(6)
            eth[int(ri)][:3] = mat.thermal_strain(T, np.array([self.stress_free_C[region]]))[0]
        return C, eth

    def element_fields(self, T_C: float) -> tuple[np.ndarray, np.ndarray]:
        """(C_el (n_el, 6, 6) in Pa, eth_el (n_el, 6)) at the uniform temperature ``T_C``."""
        return self._expand(*self.region_fields(T_C))

    def _expand(self, C: dict, eth: dict) -> tuple[np.ndarray, np.ndarray]:
        region = self.pmesh.cell_region
        C_reg = np.zeros((len(self.pmesh.region_names), 6, 6))
        eth_reg = np.zeros((len(self.pmesh.region_names), 6))
        for r in C:
            C_reg[r], eth_reg[r] = C[r], eth[r]
        return C_reg[region], eth_reg[region]

    def solve(self, T_C: float, say=None, phase=None) -> MechanicalState:
        """Solve at the uniform temperature ``T_C`` (degC). ``say``: optional callable given a progress sentence
        after the assembly and after the linear solve (each phase can take many seconds on a large mesh);
        ``phase``: optional callable given the name of each phase as it begins after the assembly
        (``"linear solve"``, ``"element stresses"``)."""
        timing = {}
        t0 = time.perf_counter()
        C_reg, eth_reg = self.region_fields(T_C)
        C_el, eth_el = self._expand(C_reg, eth_reg)
        # keep a direct factorization when no modulus changed (temperature-independent materials)
        reuse = self._last_C is not None and all(np.array_equal(C_reg[r], self._last_C[r]) for r in C_reg)
        if self._regions is None and self.solves_expected > 1:
            # the condensed layout first, so that PARDISO's analysis of it runs in a thread beside the region
            # operators' integration (docs/benchmarks.md)
            layout = self.pattern.condensed(self.I)
            self.solver.prepare(layout.indptr, layout.indices)
            self._regions = RegionOperators(self, C_reg, layout)
        if self._regions is not None:  # made condensed (free dofs only)
            Kc, f = self._regions.assemble(C_reg, eth_reg)
        else:  # one solve: integrating once is all it needs, and the region sums would cost 2x that
            K, f = el.assemble(self.basis, C_el, eth_el, self.chunks, pattern=self.pattern)
        self._last_C = C_reg
        timing["assemble"] = time.perf_counter() - t0
        if say is not None:
            say(f"assembled in {timing['assemble']:.1f} s; solving {self.I.size:,} unknowns")
        if phase is not None:
            phase("linear solve")
        t0 = time.perf_counter()
        I = self.I
        if self._regions is None:
            Kc = condense(K, f, D=self.D)[0].tocsr()
            del K
        uI, stats = self.solver.solve(Kc, f[I], reuse=reuse)
        u = np.zeros(self.basis.N)
        u[I] = uI
        if not np.all(np.isfinite(u)):
            raise SolverError(f"the solution at {T_C:g} degC is not finite")
        timing["solve"] = time.perf_counter() - t0
        if say is not None:
            say(f"solved in {timing['solve']:.1f} s; recovering element stresses")
        if phase is not None:
            phase("element stresses")
        t0 = time.perf_counter()
        r = el.element_stress(self.chunks, u, C_el, eth_el)
        timing["stress"] = time.perf_counter() - t0
        return MechanicalState(T_C, u, r["stress"], r["strain"], r["stress_qp"], r["strain_qp"], eth_el, stats, timing)

    def vertex_displacement(self, u: np.ndarray) -> np.ndarray:
        """(n_vertices, 3) displacement at mesh vertices in m."""
        return u[self.basis.nodal_dofs].T

