"""An independent check of a process history with elastic materials: one linear solve per birth.

With every born part linear elastic, sigma = C(T) (eps(u) - eps_birth - eps_th(T, T_birth)) holds at every born
point, so the state at any time follows from the temperature then, the set of parts born then, and each part's
birth data alone: it is one linear (total-form) solve on the born parts, whatever the increments. The strain at a
birth is the strain of the solve at that moment (the parts born before it, at its temperature). So a process
history with elastic materials is a sequence of linear solves, one per birth (and one per reported state); with
temperature-independent moduli it is exactly the superposition of the linear responses of the stages between
births. This module computes that sequence without :class:`~fcpkg_fem.solve.history.HistorySolver`: its own
assembly (incompatible modes condensed element by element), its own choice of the dofs that hold a floating
body (the z dof of the vertex nearest the body's centroid, where the history solver picks far-apart dofs by
pivoted QR), a direct solve instead of the run's CG, no Newton, no increments, no extension of the unborn part: the
unborn part is simply absent (its nodes stay at zero), which by construction cannot change the stresses or the
displacement of any node a born element holds at the time of a birth.

Solder (a material with a ``solidus``) leaves the born set while the temperature is above its solidus and comes
back, born at the solidus with the strain then, when an increment stays at or below it, as in the history.

Limits, raised as NotImplementedError: uniform temperature only, no cure shrinkage, quarter models whose floating
bodies touch both symmetry planes (only their z translation is free then).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import spsolve

from fcpkg_fem import api
from fcpkg_fem.physics.elasticity import bt_d_b

SOLIDUS_TOL = 1e-6  # K, as fcpkg_fem.solve.birth.SOLIDUS_TOL: the same definition of "above the solidus"


def _direct(K, f):
    """A direct sparse solve: MKL PARDISO through pypardiso when installed (the reference mesh's 24k unknowns take
    seconds instead of SuperLU's minutes), else SuperLU."""
    try:
        import pypardiso
    except ImportError:
        return spsolve(K.tocsc(), f)
    return pypardiso.spsolve(K.tocsr(), f)


class TotalForm:
    """Linear total-form solves of a MechanicalProblem's mesh with a chosen born set and birth data."""

    def __init__(self, problem):
        self.p = problem
        pm = problem.pmesh
        self.pm = pm
        self.nel = pm.n_elements
        self.nq = problem.chunks[0].dx.shape[1]
        self.mat = [problem.materials[pm.region_material[r]] for r in pm.region_names]
        self.solidus = np.array([getattr(self.mat[i], "solidus", None) or np.inf for i in pm.cell_region])
        self.chunks = [(ch.elements, ch.dofs, ch.B, ch.B_inc if ch.grads_inc is not None else None, ch.dx)
                       for ch in problem.chunks]
        self.dirichlet = np.zeros(problem.ndofs, dtype=bool)
        self.dirichlet[problem.D] = True
        if pm.geometry.symmetry != "quarter":
            raise NotImplementedError("the superposition check fixes floating bodies of quarter models only")

    def _element_C_and_eth(self, T: float, born: np.ndarray, T_birth: np.ndarray):
        C = np.zeros((self.nel, 6, 6))
        eth = np.zeros((self.nel, 6))
        for i, mat in enumerate(self.mat):
            e = np.nonzero((self.pm.cell_region == i) & born)[0]
            if len(e):
                C[e] = mat.stiffness(np.array([T]))[0]
                eth[e, :3] = mat.thermal_strain(np.full(len(e), T), T_birth[e])
        return C, eth

    def _pins(self, born: np.ndarray) -> np.ndarray:
        """The z dof of the vertex nearest the centroid of every born body that no Dirichlet z dof holds."""
        m = self.pm.mesh
        t = m.t[:, born]
        rows = np.broadcast_to(t[0], t[1:].shape).ravel()
        g = sp.coo_matrix((np.ones(rows.size), (rows, t[1:].ravel())), shape=(m.nvertices, m.nvertices))
        _, label = connected_components(g, directed=False)
        used = np.unique(t)
        zdof = self.p.basis.nodal_dofs[2]
        pins = []
        for body in np.unique(label[used]):
            v = used[label[used] == body]
            if self.dirichlet[zdof[v]].any():
                continue
            if m.p[0, v].min() > 1e-12 or m.p[1, v].min() > 1e-12:
                raise NotImplementedError("a floating body that does not touch both symmetry planes")
            c = m.p[:, v].mean(axis=1)
            pins.append(zdof[v[np.argmin(np.sum((m.p[:, v] - c[:, None]) ** 2, axis=0))]])
        return np.array(pins, dtype=np.int64)

    def solve(self, T: float, born: np.ndarray, T_birth: np.ndarray, eps_birth: np.ndarray):
        """(u (n_dofs,), strain (n_el, nq, 6), stress (n_el, nq, 6)) at the uniform temperature ``T`` with the
        elements ``born`` (bool) carrying their birth strain ``eps_birth`` (n_el, nq, 6) and temperature
        ``T_birth`` (n_el,); unborn elements get zero stress and the strain of ``u``, in which the nodes only they
        hold are at zero and their incompatible modes too."""
        C, eth = self._element_C_and_eth(T, born, T_birth)
        N = self.p.ndofs
        rows, cols, vals, f = [], [], [], np.zeros(N)
        cond = []
        for e, dofs, B, Ba, dx in self.chunks:
            s = born[e]
            if not s.any():
                continue
            e, dofs, B, dx = e[s], dofs[s], B[s], dx[s]
            Ba = None if Ba is None else Ba[s]
            eps0 = eps_birth[e] + eth[e][:, None, :]  # eigenstrain at each quadrature point
            sig0 = np.einsum("eij,eqj->eqi", C[e], eps0) * dx[:, :, None]
            Ke = bt_d_b(B, C[e], B, dx)
            fe = np.einsum("eqil,eqi->el", B, sig0)
            if Ba is not None:
                Kua = bt_d_b(B, C[e], Ba, dx)
                Kaa = bt_d_b(Ba, C[e], Ba, dx)
                fa = np.einsum("eqia,eqi->ea", Ba, sig0)
                X = np.linalg.solve(Kaa, np.concatenate([Kua.transpose(0, 2, 1), fa[:, :, None]], axis=2))
                Ke = Ke - Kua @ X[:, :, :-1]
                fe = fe - np.einsum("eli,ei->el", Kua, X[:, :, -1])
                cond.append((e, dofs, X))
            rows.append(np.repeat(dofs, dofs.shape[1], axis=1).ravel())
            cols.append(np.tile(dofs, (1, dofs.shape[1])).ravel())
            vals.append(Ke.ravel())
            np.add.at(f, dofs.ravel(), fe.ravel())
        K = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(N, N)).tocsr()
        active = np.zeros(N, dtype=bool)
        for e, dofs, *_ in self.chunks:
            active[dofs[born[e]].ravel()] = True
        active &= ~self.dirichlet
        active[self._pins(born)] = False
        I = np.nonzero(active)[0]
        u = np.zeros(N)
        u[I] = _direct(K[I][:, I], f[I])
        alpha = {}
        for e, dofs, X in cond:
            alpha_e = X[:, :, -1] - np.einsum("eal,el->ea", X[:, :, :-1], u[dofs])
            alpha.update(zip(e, alpha_e))
        # the strain of every element, born or not (an unborn one's is its strain at birth if born now)
        eps = np.zeros((self.nel, self.nq, 6))
        for e, dofs, B, Ba, dx in self.chunks:
            eps[e] = np.einsum("eqil,el->eqi", B, u[dofs])
            s = born[e]
            if Ba is not None and s.any():
                eps[e[s]] += np.einsum("eqia,ea->eqi", Ba[s], np.array([alpha[k] for k in e[s]]))
        sig = np.zeros_like(eps)
        b = np.nonzero(born)[0]
        sig[b] = np.einsum("eij,eqj->eqi", C[b], eps[b] - eps_birth[b] - eth[b][:, None, :])
        return u, eps, sig

    def element_average(self, a: np.ndarray) -> np.ndarray:
        w = np.empty((self.nel, self.nq))
        for e, _, _, _, dx in self.chunks:
            w[e] = dx
        return np.einsum("eqi,eq->ei", a, w) / w.sum(axis=1)[:, None]


def process_by_births(case, pmesh, problem) -> list[dict]:
    """The states of ``case``'s process history at its report times, all materials linear elastic, by one
    total-form solve per birth and per report (see the module docstring).

    Returns:
        per report time, in the order of the run's outputs: ``time_s``, ``temperature_C``, ``u`` (n_dofs,),
        ``stress`` (n_el, 6) element averages in Pa, ``born`` (n_el,) bool.
    """
    if case.thermal.mode != "uniform":
        raise NotImplementedError("uniform temperature only")
    tf = TotalForm(problem)
    pm = pmesh
    steps = api.plan(case)
    if any(s.cures for s in steps):
        raise NotImplementedError("cure shrinkage")
    region_of = {r: pm.cell_region == i for i, r in enumerate(pm.region_names)}
    later = {r for s in steps for r in s.births}
    sf = api.stress_free_temperatures(case, pm)
    born = np.zeros(tf.nel, dtype=bool)
    molten = np.zeros(tf.nel, dtype=bool)
    T_birth = np.zeros(tf.nel)
    eps_birth = np.zeros((tf.nel, tf.nq, 6))
    for r in pm.region_names:
        if r not in later:
            born |= region_of[r]
            T_birth[region_of[r]] = sf[r]

    def give_birth(els, T):
        _, eps, _ = tf.solve(T, born, T_birth, eps_birth)
        eps_birth[els] = eps[els]
        T_birth[els] = T
        born[els] = True

    out = []
    T0 = float(steps[0].temperature(steps[0].t_start))
    for step in steps:
        T_prev = float(step.temperature(step.t_start))
        if step.births:
            els = np.zeros(tf.nel, dtype=bool)
            for r in step.births:
                els |= region_of[r]
            give_birth(els, T_prev)
        report = set(np.round(step.report_times, 9))
        last = len(step.increments) - 1
        if not out:  # the initial state is the run's first output
            out.append(_state(0.0, T0, tf, born, *tf.solve(T0, born, T_birth, eps_birth)))
        for k, t in enumerate(step.increments):
            T = float(step.temperature(t))
            hot = max(T, T_prev) > tf.solidus + SOLIDUS_TOL  # a profile's breakpoint at the solidus is at it
            freeze = molten & ~hot
            if freeze.any():  # solidifies at its solidus, born with the strain then
                for ts in np.unique(tf.solidus[freeze]):
                    sel = freeze & (tf.solidus == ts)
                    molten[sel] = False
                    give_birth(sel, float(ts))
            melt = born & hot
            born[melt], molten[melt] = False, True
            eps_birth[melt], T_birth[melt] = 0.0, 0.0
            if round(float(t), 9) in report or (k == last and step.report_times.size == 0):
                out.append(_state(float(t), T, tf, born, *tf.solve(T, born, T_birth, eps_birth)))
            T_prev = T
    return out


def _state(t, T, tf, born, u, eps, sig) -> dict:
    return {"time_s": t, "temperature_C": T, "u": u, "stress": tf.element_average(sig), "born": born.copy()}


def carrier_gap(pmesh, problem, u: np.ndarray):
    """(x, y, change of the gap between the carriers, the gap) in m at every vertex column of a stacked package's
    mesh: the +z displacement of carrier 2's lowest plane minus that of carrier 1's highest plane (the swept mesh
    has the same vertex columns on both), and the undeformed distance of the two planes."""
    m = pmesh.mesh
    z = {}
    for k in (1, 2):
        els = np.isin(pmesh.cell_region, [i for i, r in enumerate(pmesh.region_names) if r.startswith(f"carrier{k}.")])
        zz = m.p[2, np.unique(m.t[:, els])]
        z[k] = zz.max() if k == 1 else zz.min()
    lo = np.nonzero(np.abs(m.p[2] - z[1]) < 1e-9)[0]
    hi = np.nonzero(np.abs(m.p[2] - z[2]) < 1e-9)[0]
    key = {(round(m.p[0, v] * 1e9), round(m.p[1, v] * 1e9)): v for v in hi}
    pairs = [(v, key[(round(m.p[0, v] * 1e9), round(m.p[1, v] * 1e9))]) for v in lo
             if (round(m.p[0, v] * 1e9), round(m.p[1, v] * 1e9)) in key]
    a, b = np.array(pairs).T
    zd = problem.basis.nodal_dofs[2]
    return m.p[0, a], m.p[1, a], u[zd[b]] - u[zd[a]], float(z[2] - z[1])
