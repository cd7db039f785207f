"""Element birth and solder melting: which elements of a :class:`~fcpkg_fem.solve.history.HistorySolver` are in the
system, and which dofs are its unknowns.

A part that is not born yet is not in the system at all: its elements are neither assembled nor solved for, and
only the dofs that some born element touches are unknowns (the usual element-birth technique, as ANSYS EKILL/EALIVE
or Abaqus *MODEL CHANGE with strain-free reactivation, but without their small placeholder stiffness, whose
contrast of ~1e6 stalls iterative solvers). A born body that is not yet joined to the supports (a die before its
bumps solidify) keeps the rigid-body motions its constraints leave free; those are fixed by holding a statically
determinate set of its dofs (chosen by pivoted QR of the free rigid modes, a 3-2-1 set in general) at their current
values, which adds no stress. The dofs that only unborn elements touch follow the born part as the elastic
extension of its displacement (the limit of a vanishing placeholder stiffness, computed at birth and for field
output), so a part is born with the deformation the package has around it; its interior values do not change the
later solution, because its strain at birth is its reference.

Solder melts. A born element whose material has a ``solidus`` (SAC305 217 degC) dies for every increment whose
temperature exceeds the solidus anywhere in it (its stress is released, its state forgotten) and is born again,
stress-free with the deformation and at the temperature the package has then, for the first increment that stays
at or below it: a reflow re-melts the bumps and balls and they solidify again on the way down, as they do in the
oven. An increment whose mean solder temperature crosses a solidus is split there, so with a uniform temperature
the solder dies and revives exactly at its solidus. A temperature within ``SOLIDUS_TOL`` of the solidus counts as
at it: a profile breakpoint at the solidus evaluates to it only to round-off (217.00000000000009 degC in the
reflow cool-down), and without the tolerance the solder stayed molten for the whole next increment. (Viscoplastic
models are not fit for a liquid: Anand's rate at 250 degC lets a free-standing ball flow without bound, and its
tangent loses all shear stiffness.)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg import qr
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fcpkg_fem.physics.elasticity import bt_d_b
from fcpkg_fem.solve.linear import LinearSolver, rigid_body_modes

SOLIDUS_TOL = 1e-6
"""K: a temperature this close to a solidus is at it (profile round-off is ~1e-13 K; nothing physical is this fine)."""


class ElementBirth:
    """The birth and melting bookkeeping of :class:`~fcpkg_fem.solve.history.HistorySolver` (its base class).

    Works on the solver's state: ``p`` (the MechanicalProblem), ``born``, ``molten``, ``solidus``, ``T_birth``,
    ``eps_birth``, ``u``, ``alpha``, the models and their states by region, the element dof map, and the solver's
    element-level ``_strains`` and ``_B``. Sets ``free`` (the unknowns), ``held`` (the pinned dofs of floating
    bodies) and the born parts of each element chunk, and drops the solver's caches that a birth invalidates.
    """

    def birth(self, regions, T_el=None) -> list[str]:
        """Activate ``regions`` now: stress-free at the current temperature with the current strain.

        Returns the regions newly born (a region already born is left alone)."""
        done = [r for r in regions if not self.born[self.region_elements[r]].all()]
        if not done:
            return []
        els = np.zeros(self.nel, dtype=bool)
        for r in done:
            els[self.region_elements[r]] = True
        T = self.T if T_el is None else np.broadcast_to(np.asarray(T_el, float), (self.nel,))
        self._activate(els, T)
        self._topology()
        return done

    def _activate(self, els: np.ndarray, T_ref: np.ndarray) -> None:
        """Make the elements ``els`` (bool mask, n_el) born now, stress-free with the strain they have at this
        moment (the unborn part first follows the package by elastic extension), thermal strain referenced to
        ``T_ref`` (n_el, degC), fresh model state. The caller rebuilds the topology."""
        self.extend_unborn()
        eps = self._strains(self.u, self.alpha)
        self.eps_birth[els] = eps[els]
        self.T_birth[els] = T_ref[els]
        self.born[els], self.molten[els] = True, False
        self._reset_state(els)

    def _reset_state(self, els: np.ndarray) -> None:
        """Fresh model state (``init_state``) at the quadrature points of the elements ``els`` (bool mask)."""
        for r, idx in self.region_elements.items():
            m = els[idx]
            if not m.any():
                continue
            if m.all():
                self.mstate[r] = self.models[r].init_state(len(idx) * self.nq)
                continue
            q = np.repeat(m, self.nq)
            fresh = self.models[r].init_state(int(q.sum()))
            st = {k: v.copy() for k, v in self.mstate[r].items()}
            for k in st:
                st[k][q] = fresh[k]
            self.mstate[r] = st
        self._sig = None

    # ------------------------------------------------------------------ what is in the system
    def _topology(self) -> None:
        """Born elements per chunk, the free dofs and the held dofs of floating bodies, after a birth or restore."""
        p = self.p
        # per chunk: [(fixed, positions in the chunk or None for all)] of its born elements, split by whether their
        # model's tangent is fixed within an increment (elastic, viscoelastic: cached) or depends on the strain
        self._parts = []
        for ch in p.chunks:
            b = self.born[ch.elements]
            fx = self._el_fixed[ch.elements]
            parts = []
            for flag in (True, False):
                m = b & (fx if flag else ~fx)
                if m.all():
                    parts.append((flag, None))
                elif m.any():
                    parts.append((flag, np.nonzero(m)[0]))
            self._parts.append(parts)
        self._fixed = None
        self._last = None  # a birth changes the unknowns: no predictor across it
        active = np.zeros(p.ndofs, dtype=bool)
        active[self._el_dofs[self.born].ravel()] = True
        self.held = self._floating_pins(np.nonzero(self.born)[0], self._dirichlet)
        free = active & ~self._dirichlet
        free[self.held] = False
        self.free = np.nonzero(free)[0]
        # the AMG near-null space: rigid-body modes of the free dofs (rebuilt with the set, so the hierarchy too)
        p.solver.near_null = self._modes(self.free)
        p.solver.reset()
        self._ext = None

    def _modes(self, dofs: np.ndarray) -> np.ndarray:
        return rigid_body_modes(self.p.basis.doflocs[:, dofs].T, self._comp[dofs])

    def _floating_pins(self, elements: np.ndarray, held: np.ndarray) -> np.ndarray:
        """Dofs to hold so that no connected body of ``elements`` keeps a rigid-body motion.

        Args:
            elements: element indices forming the bodies (connected through shared vertices).
            held: (n_dofs,) bool, dofs already prescribed.
        Returns:
            the dofs to hold in addition: per body, as many as the rigid modes ``held`` leaves free, chosen by QR
            with column pivoting on those modes (far apart and independent: a 3-2-1 set when all six are free).
        """
        if len(elements) == 0:
            return np.zeros(0, dtype=np.int64)
        t = self.p.pmesh.mesh.t[:, elements]
        nv = self.p.pmesh.mesh.nvertices
        rows = np.broadcast_to(t[0], t[1:].shape).ravel()
        g = coo_matrix((np.ones(rows.size), (rows, t[1:].ravel())), shape=(nv, nv))
        _, label = connected_components(g, directed=False)
        body = label[t[0]]
        order = np.argsort(body, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(body[order]) != 0])
        pins = []
        for els in np.split(elements[order], starts[1:]):
            dofs = np.unique(self._el_dofs[els])
            R = self._modes(dofs)
            h = held[dofs]
            if h.any():
                A = R[h]
                if len(A) < 6:  # a square (6, 6) system, so vt spans all six modes
                    A = np.vstack([A, np.zeros((6 - len(A), 6))])
                _, sv, vt = np.linalg.svd(A, full_matrices=False)
                rank = int(np.sum(sv > 1e-8 * max(sv.max(), 1.0)))
                N = vt[rank:].T  # (6, k): the rigid modes the held dofs allow
            else:
                N = np.eye(6)
            k = N.shape[1]
            if k == 0:
                continue
            cand = dofs[~h]
            _, _, piv = qr((R[~h] @ N).T, mode="economic", pivoting=True)
            pins.append(cand[piv[:k]])
        return np.sort(np.concatenate(pins)) if pins else np.zeros(0, dtype=np.int64)

    def extend_unborn(self) -> None:
        """Give the dofs only unborn elements touch the displacement of the elastic extension of the born part.

        Minimises the elastic energy (stiffness of each unborn region at 25 degC, no thermal strain) of the unborn
        elements with the born dofs held: the state a vanishing placeholder stiffness would give. Incompatible
        modes of unborn elements are condensed likewise. Costs one linear solve on the unborn part (its matrix and
        preconditioner are kept until the next birth); done at birth and for field output, not every increment.
        """
        unborn = np.nonzero(~self.born)[0]
        if len(unborn) == 0:
            return
        N = self.p.ndofs
        if self._ext is None:
            fixed = self._dirichlet.copy()
            fixed[self._el_dofs[self.born].ravel()] = True
            pins = self._floating_pins(unborn, fixed)
            touched = np.zeros(N, dtype=bool)
            touched[self._el_dofs[unborn].ravel()] = True
            touched &= ~fixed
            touched[pins] = False
            U = np.nonzero(touched)[0]
            data = np.zeros(self.p.pattern.nnz)
            recov = []
            for k, ch in enumerate(self.p.chunks):
                sel = np.nonzero(~self.born[ch.elements])[0]
                if len(sel) == 0:
                    continue
                e = ch.elements[sel]
                C = np.empty((len(sel), 6, 6))
                for r in np.unique(self.p.pmesh.cell_region[e]):
                    mat = self.region_material[self.p.pmesh.region_names[r]]
                    C[self.p.pmesh.cell_region[e] == r] = mat.stiffness(np.array([25.0]))[0]
                D = np.broadcast_to(C[:, None], (len(sel), self.nq, 6, 6))
                B, Ba = self._B(k, ch)
                B, Ba, dx = B[sel], None if Ba is None else Ba[sel], ch.dx[sel]
                Ke = bt_d_b(B, D, B, dx)
                if Ba is not None:
                    Kua = bt_d_b(B, D, Ba, dx)
                    X = np.linalg.solve(bt_d_b(Ba, D, Ba, dx), Kua.transpose(0, 2, 1))
                    Ke = Ke - np.matmul(Kua, X)
                    recov.append((e, ch.dofs[sel], X))
                pos = self.p.pattern.pos[k].reshape(len(ch.elements), -1)[sel].ravel()
                data += np.bincount(pos, Ke.ravel(), minlength=self.p.pattern.nnz)
            pat = self.p.pattern
            K = sp.csr_matrix((data, pat.indices, pat.indptr), shape=(N, N))
            # no dofs of their own when every node of the unborn elements is shared with born ones (molten bumps
            # between carriers and dies): only their incompatible modes follow then
            solver = LinearSolver("auto", self.p.solver.rtol, near_null=self._modes(U)) if len(U) else None
            self._ext = (U, K, K[U][:, U], solver, recov)
        U, K, KUU, solver, recov = self._ext
        if len(U):
            u0 = self.u.copy()
            u0[U] = 0.0
            f = -(K @ u0)[U]
            x, _ = solver.solve(KUU, f, reuse=True)  # the same matrix until the next birth
            self.u[U] = x
        if self.alpha is not None:
            for e, dofs, X in recov:
                self.alpha[e] = -np.einsum("eal,el->ea", X, self.u[dofs])
        self._sig = None

    # ------------------------------------------------------------------ melting and solidification
    def _solidus_crossing(self, T0: np.ndarray, T1: np.ndarray) -> float | None:
        """Fraction in (0, 1) of the increment at which the mean temperature of some solder crosses its solidus
        (the first such), or None."""
        sol = (self.born | self.molten) & np.isfinite(self.solidus)
        best = None
        for ts in np.unique(self.solidus[sol]):
            sel = sol & (self.solidus == ts)
            a, b = float(np.mean(T0[sel])), float(np.mean(T1[sel]))
            if (a - ts) * (b - ts) < 0.0 and min(abs(a - ts), abs(b - ts)) > SOLIDUS_TOL:
                f = (ts - a) / (b - a)
                if 1e-9 < f < 1.0 - 1e-9 and (best is None or f < best):
                    best = f
        return best

    def _phase_change(self, T0: np.ndarray, T1: np.ndarray) -> None:
        """Melt born solder elements that exceed their solidus during the increment T0 -> T1; solidify molten ones
        that stay at or below it (within ``SOLIDUS_TOL``): born stress-free with the current deformation at the current
        temperature, which is the solidus when the increment before was split there. (Referencing its thermal strain
        to the solidus while taking the strain of a colder state would give it a stress at birth.)"""
        hot = np.maximum(T0, T1) > self.solidus + SOLIDUS_TOL
        melt = self.born & hot
        freeze = self.molten & ~hot
        if not (melt.any() or freeze.any()):
            return
        for r, idx in self.region_elements.items():
            for what, n in (("melted", int(melt[idx].sum())), ("solidified", int(freeze[idx].sum()))):
                if n:
                    self.events.append({"time_s": self.time, "region": r, "change": what, "elements": n,
                                        "solidus_C": float(np.min(self.solidus[idx]))})
        if freeze.any():  # born again, stress-free now (at the solidus when the increment was split there)
            self._activate(freeze, np.asarray(T0, float))
        self.born[melt], self.molten[melt] = False, True
        self._reset_state(melt)
        self._topology()
