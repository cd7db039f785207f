"""Transient moisture diffusion on the permeable parts of a package mesh (trilinear hexahedra, wetness form).

Equations and forms: :mod:`fcpkg_fem.physics.moisture`; material laws: :mod:`fcpkg_fem.materials.moisture`;
docs/moisture.md. Unknowns: the nodal wetness w (-) of every node of a permeable element (a material with a moisture
record; silicon, copper and solder have none and are left out: their faces are sealed). Semi-discrete system

    d/dt [M(c) w] + K(k) w = 0,        c = C_sat(T) (kg/m^3),  k = D(T) C_sat(T) (kg/(m s)),  per element

with w = RH prescribed at the nodes of exposed faces. Time stepping is backward Euler applied to the conserved
quantity M(c) w (the water mass at the nodes):

    (M(c^{n+1}) / dt + K(k^{n+1})) w^{n+1} = M(c^n) w^n / dt

c^n and c^{n+1} are the saturated concentrations at the element temperatures at the start and end of the increment.
When the temperature changes, C_sat changes, and this form keeps the water where it is (the nodal mass
M(c) w is what carries over), so the wetness jumps by c^n / c^{n+1} in each material while the concentration stays
continuous in time; written with C_sat dw/dt alone instead, a heating step would create or destroy water (the
'internal source' term w dC_sat/dt would be missing). The scheme conserves water exactly: the change of the total
mass over a step is the water that entered through the exposed faces (:attr:`StepInfo.uptake_kg`). Capacity is
lumped (row sums) by default, so that a sudden change of the ambient cannot give wetness outside [0, RH] (backward
Euler with a lumped M-matrix is monotone); ``mass="consistent"`` is offered for convergence studies.

Temperatures: a scalar (degC, the whole body), or (n_elements,) element temperatures of the whole mesh (e.g.
:meth:`fcpkg_fem.solve.thermal.ThermalProblem.element_temperature`); D and C_sat are evaluated per element there.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from skfem import CellBasis, ElementHex1

from ..errors import InputError, SolverError
from ..materials.moisture import MoistureParams, moisture_of
from ..physics import moisture as phys
from .linear import LinearSolver, LinearStats
from .thermal import surface_groups

__all__ = ["MoistureProblem", "StepInfo", "MASS_KINDS", "check_relative_humidity", "exposed_facets",
           "permeable_regions", "substep_times"]

MASS_KINDS = ("lumped", "consistent")
Temperature = float | np.ndarray


def check_relative_humidity(RH: Any, field: str = "RH") -> float:
    """``RH`` as a fraction in [0, 1]; InputError naming ``field`` otherwise (a number outside 0-100 %)."""
    ok = isinstance(RH, numbers.Real) and not isinstance(RH, bool) and np.isfinite(RH) and 0.0 <= RH <= 1.0
    if not ok:
        raise InputError.single(field, f"relative humidity {RH!r} is outside 0-100 %; give a fraction between 0 "
                                       "and 1 (0.6 for 60 % RH)")
    return float(RH)


def permeable_regions(pmesh: Any, materials: Mapping[str, Any]) -> list[str]:
    """Names of the regions of ``pmesh`` whose material has a moisture record (in mesh region order)."""
    return [r for r in pmesh.region_names if moisture_of(materials[pmesh.region_material[r]]) is not None]


def exposed_facets(pmesh: Any, alive: np.ndarray, groups: Sequence[str] = ("bottom", "top", "sides")) -> np.ndarray:
    """Facets of the body made of the ``alive`` elements ((n_elements,) bool) that meet the ambient: its facets in
    the outer surface groups ``groups`` (:func:`fcpkg_fem.solve.thermal.surface_groups`: the mesh's outer facets
    less the symmetry planes) and every facet between an alive element and one not alive (a part not yet born is
    not there: the face it will cover is open). Returns (n,) facet indices of ``pmesh.mesh``, sorted."""
    m = pmesh.mesh
    alive = np.asarray(alive, dtype=bool)
    sg = surface_groups(pmesh)
    outer = np.concatenate([sg[g] for g in groups] + [np.zeros(0, np.int64)]).astype(np.int64)
    outer = outer[alive[m.f2t[0, outer]]]
    inner = np.nonzero(m.f2t[1] >= 0)[0]
    a0, a1 = alive[m.f2t[0, inner]], alive[m.f2t[1, inner]]
    return np.unique(np.concatenate([outer, inner[a0 != a1]]))


def substep_times(t0: float, t1: float, t_change: float, ratio: float, min_step: float) -> np.ndarray:
    """End times (s, strictly increasing, the last exactly ``t1``) of the moisture time steps over (t0, t1]: each
    step at most ``ratio`` times the time since ``t_change`` (when the ambient last changed) and at least
    ``min_step`` s, the last cut to end on ``t1``. Diffusion after a change of the surface wetness goes as sqrt(t):
    steps in proportion to the elapsed time keep backward Euler's relative error about even along the whole
    absorption (docs/moisture.md: ratio 0.05 leaves the uptake of Crank's sheet within 0.6 %)."""
    out, t = [], float(t0)
    while t1 - t > 1e-9 * max(1.0, abs(t1)):
        h = max(min_step, ratio * (t - t_change))
        t = t1 if t + h >= t1 - 1e-9 * max(1.0, abs(t1)) else t + h
        out.append(t)
    return np.asarray(out, dtype=float)


@dataclass
class StepInfo:
    """What one :meth:`MoistureProblem.step` did.

    Attributes:
        dt_s: time increment, s.
        uptake_kg: water that entered through the exposed faces during the step (negative: desorption), kg; equals
            the change of :meth:`MoistureProblem.mass_kg` (for the modelled part, e.g. a quarter of the package).
        factorized: True if the step matrix was new (not reused from the previous step).
        linear: statistics of the linear solve.
        timing: seconds per phase (``assemble``, ``solve``).
    """

    dt_s: float
    uptake_kg: float
    factorized: bool
    linear: LinearStats | None
    timing: dict = field(default_factory=dict)


class MoistureProblem:
    """Moisture diffusion on the permeable regions of a :class:`~fcpkg_fem.mesh.swept.PackageMesh`.

    Args:
        pmesh: the mesh (coordinates in m); uses ``mesh``, ``region_names``, ``region_material``, ``cell_region``
            (and ``mesh.boundaries`` and ``geometry.faces`` when ``exposed`` names surface groups).
        materials: material name -> Material; a material is permeable when it has a moisture record
            (:func:`fcpkg_fem.materials.moisture.moisture_of`).
        exposed: the faces in contact with the ambient: names of the surface groups of
            :func:`fcpkg_fem.solve.thermal.surface_groups` (``bottom``, ``top``, ``sides``), or an array of facet
            indices of ``pmesh.mesh``. Only facets of permeable elements count; every other face is sealed.
        mass: ``lumped`` (default) or ``consistent`` capacity.
        alive: (n_elements,) bool, the elements that exist (default: all): a permeable element that is not alive
            (a part not yet born) is left out like an impermeable one.
        linear: ``auto`` | ``direct`` | ``amg`` | ``pardiso`` (see :class:`~fcpkg_fem.solve.linear.LinearSolver`).
        rtol: CG tolerance for ``amg``.

    Attributes:
        n_nodes: unknowns (nodes of permeable elements). elements: (n_pe,) permeable element indices of the mesh.
        nodes: (n_nodes,) mesh vertex index of each unknown. exposed_nodes: (n_d,) unknowns held at w = RH.
        regions: permeable region names. params: region -> MoistureParams.
    """

    def __init__(self, pmesh: Any, materials: Mapping[str, Any], exposed: Sequence[str] | np.ndarray =
                 ("bottom", "top", "sides"), mass: str = "lumped", linear: str = "auto", rtol: float = 1e-10,
                 alive: np.ndarray | None = None):
        if mass not in MASS_KINDS:
            raise InputError.single("mass", f"{mass!r} is not one of {', '.join(MASS_KINDS)}")
        self.pmesh, self.mass = pmesh, mass
        self._find_permeable(materials, alive)
        m = pmesh.mesh
        self.basis = CellBasis(m, ElementHex1(), intorder=2, elements=self.elements)
        one = np.ones((len(self.elements), 1))
        Ke = phys.permeance_form().elemental(self.basis, k=one)
        Me = phys.capacity_form().elemental(self.basis, c=one)
        nel = len(self.elements)
        self._Ke, self._Me = Ke.data.reshape(8, 8, nel), Me.data.reshape(8, 8, nel)
        self._phi_int = self._Me.sum(axis=0)  # (8, n_pe) integral of each shape function, m^3
        self.volumes = self._phi_int.sum(axis=0)  # (n_pe,) m^3
        gdofs = self.basis.element_dofs  # (8, n_pe) mesh vertex indices
        self.nodes = np.unique(gdofs)
        self.n_nodes = len(self.nodes)
        loc = np.full(m.p.shape[1], -1, dtype=np.int64)
        loc[self.nodes] = np.arange(self.n_nodes)
        self.edofs = loc[gdofs]  # (8, n_pe) local unknown numbers
        rows, cols = loc[Ke.indices[0]], loc[Ke.indices[1]]
        n = self.n_nodes
        ukeys, self._slot = np.unique(rows * n + cols, return_inverse=True)
        self._indices = (ukeys % n).astype(np.int32)
        self._indptr = np.searchsorted(ukeys // n, np.arange(n + 1)).astype(np.int32)
        self._nnz = len(ukeys)
        self._diag = np.searchsorted(ukeys, np.arange(n, dtype=np.int64) * (n + 1))
        self.exposed_nodes = self._exposed_nodes(exposed, loc)
        self.free = np.setdiff1d(np.arange(n), self.exposed_nodes)
        self._solver = LinearSolver(linear, rtol)
        self._key = None
        self.last: StepInfo | None = None

    # ---------------------------------------------------------------------------------------------------------
    # set-up
    # ---------------------------------------------------------------------------------------------------------

    def _find_permeable(self, materials: Mapping[str, Any], alive: np.ndarray | None) -> None:
        pm = self.pmesh
        self.regions, self.params, probs = [], {}, []
        el_parts, reg_parts = [], []
        for ri, r in enumerate(pm.region_names):
            name = pm.region_material[r]
            prm = moisture_of(materials[name])
            if prm is None:
                continue
            probs += prm.problems(f"materials.{name}.moisture")
            idx = np.nonzero(np.asarray(pm.cell_region) == ri)[0]
            if alive is not None:
                idx = idx[np.asarray(alive, dtype=bool)[idx]]
            if len(idx) == 0:
                continue
            self.regions.append(r)
            self.params[r] = prm
            el_parts.append(idx)
            reg_parts.append(np.full(len(idx), len(self.regions) - 1))
        if probs:
            raise InputError(probs)
        if not self.regions:
            raise InputError.single("materials", "no region of the mesh is permeable: none of its materials has "
                                                 "moisture properties ('moisture:'), so there is nothing to diffuse in")
        self.elements = np.concatenate(el_parts)
        self.element_region = np.concatenate(reg_parts)  # (n_pe,) index into self.regions

    def _exposed_nodes(self, exposed: Sequence[str] | np.ndarray, loc: np.ndarray) -> np.ndarray:
        m = self.pmesh.mesh
        if isinstance(exposed, np.ndarray):
            facets = exposed.astype(np.int64)
        else:
            groups = surface_groups(self.pmesh)
            bad = [g for g in exposed if g not in groups]
            if bad:
                raise InputError.single("exposed", f"{bad} are not surface groups; use {', '.join(groups)}")
            facets = np.concatenate([groups[g] for g in exposed] + [np.zeros(0, np.int64)]).astype(np.int64)
        permeable = np.zeros(m.t.shape[1] + 1, bool)  # the last entry: 'no element' (f2t = -1 outside)
        permeable[self.elements] = True
        facets = facets[permeable[m.f2t[0, facets]] | permeable[m.f2t[1, facets]]]
        return np.unique(loc[m.facets[:, facets].ravel()]).astype(np.int64)

    # ---------------------------------------------------------------------------------------------------------
    # properties and fields
    # ---------------------------------------------------------------------------------------------------------

    def _element_T(self, T: Temperature, name: str) -> np.ndarray:
        T = np.asarray(T, dtype=float)
        if T.ndim == 0:
            return np.full(len(self.elements), float(T))
        if T.shape != (self.pmesh.mesh.t.shape[1],):
            raise InputError.single(name, f"temperatures of shape {T.shape}; give one number (degC) or one per "
                                          f"element of the mesh ({self.pmesh.mesh.t.shape[1]})")
        return T[self.elements]

    def element_properties(self, T: Temperature, name: str = "T_C") -> tuple[np.ndarray, np.ndarray]:
        """(C_sat (n_pe,) kg/m^3, D C_sat (n_pe,) kg/(m s)) of the permeable elements at temperature ``T`` (degC)."""
        Te = self._element_T(T, name)
        c, k = np.empty(len(Te)), np.empty(len(Te))
        for ri, r in enumerate(self.regions):
            sel = self.element_region == ri
            prm: MoistureParams = self.params[r]
            c[sel] = prm.saturated_concentration(Te[sel])
            k[sel] = prm.diffusivity(Te[sel]) * c[sel]
        return c, k

    def initial(self, wetness: float = 0.0) -> np.ndarray:
        """(n_nodes,) uniform wetness (0: dry, as moulded)."""
        return np.full(self.n_nodes, float(wetness))

    def equilibrium(self, RH: float) -> np.ndarray:
        """(n_nodes,) wetness of a body saturated at relative humidity RH (fraction): w = RH everywhere."""
        return self.initial(check_relative_humidity(RH))

    def to_mesh(self, w: np.ndarray) -> np.ndarray:
        """(n_vertices,) nodal wetness on the whole mesh, NaN at vertices of impermeable elements only."""
        out = np.full(self.pmesh.mesh.p.shape[1], np.nan)
        out[self.nodes] = w
        return out

    def element_wetness(self, w: np.ndarray) -> np.ndarray:
        """(n_pe,) volume mean wetness of each permeable element."""
        return np.einsum("ie,ie->e", self._phi_int, w[self.edofs]) / self.volumes

    def element_concentration(self, w: np.ndarray, T: Temperature) -> np.ndarray:
        """(n_pe,) volume mean concentration C = C_sat w of each permeable element, kg/m^3 (C_sat at ``T``)."""
        c, _ = self.element_properties(T)
        return c * self.element_wetness(w)

    def mass_kg(self, w: np.ndarray, T: Temperature) -> float:
        """Water in the modelled part, integral of C_sat w dV, kg (exact for the trilinear w)."""
        c, _ = self.element_properties(T)
        return float(np.sum(c * self.element_wetness(w) * self.volumes))

    def region_summary(self, w: np.ndarray, T: Temperature) -> dict[str, dict[str, float]]:
        """Per permeable region: ``mass_mg`` (water, mg, in the modelled part), ``mean_wetness`` (volume mean, -),
        ``mean_concentration_kg_per_m3`` and ``volume_m3``."""
        c, _ = self.element_properties(T)
        we = self.element_wetness(w)
        out = {}
        for ri, r in enumerate(self.regions):
            sel = self.element_region == ri
            V = float(self.volumes[sel].sum())
            mass = float(np.sum(c[sel] * we[sel] * self.volumes[sel]))
            out[r] = {"mass_mg": mass * 1e6, "mean_wetness": float(np.sum(we[sel] * self.volumes[sel]) / V),
                      "mean_concentration_kg_per_m3": mass / V, "volume_m3": V}
        return out

    # ---------------------------------------------------------------------------------------------------------
    # matrices and solves
    # ---------------------------------------------------------------------------------------------------------

    def _csr(self, data: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((data, self._indices, self._indptr), shape=(self.n_nodes, self.n_nodes))

    def _capacity(self, c: np.ndarray) -> np.ndarray:
        if self.mass == "consistent":
            return np.bincount(self._slot, weights=(self._Me * c).ravel(), minlength=self._nnz)
        data = np.zeros(self._nnz)
        data[self._diag] = np.bincount(self.edofs.ravel(), weights=(self._phi_int * c).ravel(),
                                       minlength=self.n_nodes)
        return data

    def _permeance(self, k: np.ndarray) -> np.ndarray:
        return np.bincount(self._slot, weights=(self._Ke * k).ravel(), minlength=self._nnz)

    def step(self, w: np.ndarray, dt_s: float, T_new: Temperature, RH: float, T_old: Temperature | None = None
             ) -> np.ndarray:
        """Advance the wetness over one increment (backward Euler on the water mass, see the module docstring).

        Args:
            w: (n_nodes,) wetness at the start of the increment.
            dt_s: increment, s (> 0).
            T_new: temperature at the end of the increment (degC; scalar or per element of the mesh).
            RH: ambient relative humidity over the increment, a fraction in [0, 1], held at the exposed nodes (or an
                (n_exposed,) array of fractions, one per exposed node in the order of :attr:`exposed_nodes`).
            T_old: temperature at the start (default: ``T_new``, an isothermal step).

        Returns:
            (n_nodes,) wetness at the end of the increment; ``self.last`` (:class:`StepInfo`) describes the step.
        """
        if not (isinstance(dt_s, numbers.Real) and np.isfinite(dt_s) and dt_s > 0):
            raise InputError.single("dt_s", f"time increment must be a finite number > 0 s, got {dt_s!r}")
        RH = self._surface_wetness(RH)
        t0 = time.perf_counter()
        c1, k1 = self.element_properties(T_new, "T_new")
        c0 = c1 if T_old is None else self.element_properties(T_old, "T_old")[0]
        M1 = self._capacity(c1)
        M0 = M1 if T_old is None else self._capacity(c0)
        key = (float(dt_s), c1.tobytes(), k1.tobytes())
        fresh = key != self._key
        if fresh:
            A = self._csr(M1 / dt_s + self._permeance(k1))
            self._A_ff = A[self.free][:, self.free].tocsr()
            self._A_fd = A[self.free][:, self.exposed_nodes].tocsr()
            self._key = key
        w = np.asarray(w, dtype=float)
        rhs = self._csr(M0) @ w / dt_s
        w_new = np.empty_like(w)
        w_new[self.exposed_nodes] = RH
        b = rhs[self.free] - self._A_fd @ w_new[self.exposed_nodes]
        t1 = time.perf_counter()
        stats = None
        if len(self.free):
            w_new[self.free], stats = self._solver.solve(self._A_ff, b, x0=w[self.free], reuse=not fresh)
        if not np.all(np.isfinite(w_new)):
            raise SolverError(f"the wetness after a step of {dt_s:g} s is not finite")
        uptake = float(np.sum(self._csr(M1) @ w_new) - np.sum(self._csr(M0) @ w))
        self.last = StepInfo(float(dt_s), uptake, fresh, stats,
                             {"assemble": t1 - t0, "solve": time.perf_counter() - t1})
        return w_new

    def reset(self) -> None:
        """Forget the kept step matrix and its factorization: the next step starts fresh (as after a restart)."""
        self._key = None
        self._solver.reset()

    def _surface_wetness(self, RH: Any) -> float | np.ndarray:
        if np.ndim(RH) == 0:
            return check_relative_humidity(RH)
        RH = np.asarray(RH, dtype=float)
        if RH.shape != self.exposed_nodes.shape:
            raise InputError.single("RH", f"{RH.shape[0] if RH.ndim else 0} values for {len(self.exposed_nodes)} "
                                          "exposed nodes; give one fraction, or one per exposed node")
        bad = np.nonzero(~((RH >= 0) & (RH <= 1)))[0]
        if len(bad):
            check_relative_humidity(float(RH[bad[0]]), f"RH[{bad[0]}]")
        return RH

    def steady(self, T: Temperature, RH: Any) -> np.ndarray:
        """Steady wetness at temperature ``T`` with the exposed nodes held at ``RH`` (a fraction, or an
        (n_exposed,) array in the order of :attr:`exposed_nodes`): K(k) w = 0 on the free nodes."""
        _, k = self.element_properties(T)
        A = self._csr(self._permeance(k))
        w = np.zeros(self.n_nodes)
        w[self.exposed_nodes] = self._surface_wetness(RH)
        if len(self.free):
            b = -(A[self.free][:, self.exposed_nodes] @ w[self.exposed_nodes])
            w[self.free], _ = LinearSolver("direct").solve(A[self.free][:, self.free].tocsr(), b)
        return w

