"""Quasi-static thermo-mechanical history: increments, element birth, inelastic models, global Newton.

The state lives at quadrature points. At the end of an increment every born point carries

    eps_mech = eps(u, alpha) - eps_birth - eps_th(T, T_birth) - eps_chem - (eps_hyg - hyg_birth)
    sigma, D, state = model.update(eps_mech, T_start, T_end, dt, committed_state)

where ``eps_birth`` is the total strain the point had when its part was born and ``T_birth`` the temperature then
(for parts present from the start: zero strain and the part's stress-free temperature, which is the simple mode).
So a part is born stress-free with the deformation the rest of the package has at that moment, and its thermal
strain is referenced to its birth temperature with the material's own CTE semantics (secant or instantaneous,
see :meth:`Material.thermal_strain`). ``eps_chem`` (cure shrinkage) and ``eps_hyg`` (hygroscopic swelling cme C,
docs/moisture.md) are isotropic normal strains per element, given by the caller for the end of each increment and
linear in time within it; the swelling is measured from the element's own at its birth (``hyg_birth``), so
that a part born against a wet one is born stress-free too. Without swelling (``eps_hyg`` None, the default) the
arithmetic is that of a dry history.

Element birth (a part is not in the system until it is born), floating bodies and solder melting (a born
solder element dies above its solidus and is born again, stress-free, when it cools back through it) are the
base class's business: :mod:`fcpkg_fem.solve.birth`.

Equilibrium: the internal force r(u) = sum over elements of B^T sigma dV must vanish at the free dofs (there is no
external load: temperature is the only driver). Full Newton with the models' consistent tangents D; for hex8i the
nine incompatible modes alpha of each element are internal unknowns condensed at every iteration and updated from
the global increment, alpha += -Kaa^-1 (r_a + Kau du_e). Convergence needs both the residual (relative to the
increment's internal-force scale) and the displacement correction (relative to the increment's displacement) to
be small; the material state is committed only then. An increment that fails is cut in half, up to
``max_cutbacks`` times; when it fails for good a SolverError names the step, the time, the region and the worst
points, and the last converged state stays in the solver (the caller checkpoints it).
"""

from __future__ import annotations

import time

import numpy as np

from fcpkg_fem.constitutive import make_model
from fcpkg_fem.errors import SolverError
from fcpkg_fem.physics.elasticity import bt_d_b
from fcpkg_fem.solve.birth import ElementBirth
from fcpkg_fem.solve.linear import LinearStats
from fcpkg_fem.solve.mechanical import MechanicalState
from fcpkg_fem.solve.newton import RATE_WINDOW, IncrementStats, NewtonSettings, hopeless

# Voigt order xx, yy, zz, yz, xz, xy with engineering shear, as physics.elasticity.

__all__ = ["HistorySolver", "NewtonSettings", "IncrementStats"]

B_CACHE_BYTES = 1.5e9
STILL_RESIDUAL = 1e-6
"""A residual below this times ``rtol_residual`` (of the force scale) lets the correction test take the whole
displacement as its scale when the increment's own is smaller (see ``_converged``)."""
ROUNDOFF_RESIDUAL = 1e-12
"""A residual below this fraction of the force scale is at the round-off of the assembled forces (about 1e-14 on
the reference models): it counts as still whatever ``rtol_residual`` asks, since no iteration reduces it further."""


class HistorySolver(ElementBirth):
    """Incremental thermo-mechanical solver on a :class:`~fcpkg_fem.solve.mechanical.MechanicalProblem`.

    Args:
        problem: the MechanicalProblem (mesh, chunks, sparsity pattern, constraints, linear solver).
        models: region name -> constitutive model (default: the registered ``elastic`` model of the region's
            material, sigma = C(T) eps, the linear solver's total form).
        born_at_start: region name -> birth temperature (degC) of the regions present from the start; every other
            region is unborn until :meth:`birth`.
        newton: :class:`NewtonSettings`.
    """

    _layout = None  # (free dofs it was made for, CondensedLayout): remade when a birth changes the free dofs

    def __init__(self, problem, models: dict | None = None, born_at_start: dict[str, float] | None = None,
                 newton: NewtonSettings | None = None):
        self.p = problem
        pm = problem.pmesh
        self.newton = newton or NewtonSettings()
        self.nel = pm.n_elements
        self.nq = problem.chunks[0].dx.shape[1]
        self.incompatible = problem.chunks[0].grads_inc is not None
        self.region_elements = {r: np.nonzero(pm.cell_region == i)[0] for i, r in enumerate(pm.region_names)}
        self.region_material = {r: problem.materials[pm.region_material[r]] for r in pm.region_names}
        models = dict(models or {})
        self.models = {r: models.get(r) or make_model("elastic", self.region_material[r]) for r in pm.region_names}
        self._inelastic_regions = [r for r, m in self.models.items() if getattr(m, "inelastic", False)]
        self._nonlinear_regions = [r for r, m in self.models.items() if not getattr(m, "fixed_tangent", False)]
        # the committed state
        self.u = np.zeros(problem.ndofs)
        self.alpha = np.zeros((self.nel, 9)) if self.incompatible else None
        self.born = np.zeros(self.nel, dtype=bool)
        self.eps_birth = np.zeros((self.nel, self.nq, 6))
        self.T_birth = np.zeros(self.nel)
        self.T = np.zeros(self.nel)  # element temperatures, degC
        self.eps_chem = np.zeros(self.nel)  # chemical (cure shrinkage) normal strain of each element, committed
        self.eps_hyg = None  # hygroscopic normal strain of each element (n_el,), committed; None: no swelling
        self.hyg_birth = None  # (n_el,) the hygroscopic strain each element had when it was born
        self.time = 0.0
        self.mstate = {r: self.models[r].init_state(len(e) * self.nq) for r, e in self.region_elements.items()}
        self.stats: list[IncrementStats] = []
        self.timing = {"assemble": 0.0, "solve": 0.0, "material": 0.0}
        for region, T_b in (born_at_start or {}).items():
            idx = self.region_elements[region]
            self.born[idx] = True
            self.T_birth[idx] = T_b
        # solder: elements melt above their material's solidus and solidify again below it
        self.solidus = np.full(self.nel, np.inf)
        for r, idx in self.region_elements.items():
            ts = getattr(self.region_material[r], "solidus", None)
            if ts is not None:
                self.solidus[idx] = ts
        self.molten = np.zeros(self.nel, dtype=bool)
        # melting and solidification since the caller last drained the list: dicts with time_s, region, change
        # ("melted" | "solidified"), elements, solidus_C
        self.events: list[dict] = []
        self._sig = None  # stresses and strains of the committed state (for output)
        self._eps = None
        # strain-displacement matrices are rebuilt from the shape gradients on every use unless they fit in
        # B_CACHE_BYTES: kept, they halve the element work of each Newton iteration
        nbytes = sum(ch.grads.shape[0] * ch.grads.shape[1] * 6 * (3 * ch.grads.shape[2] + 9 * (ch.grads_inc is not None))
                     for ch in problem.chunks) * 8
        self._Bcache = None
        if nbytes <= B_CACHE_BYTES:
            self._Bcache = [(ch.B, ch.B_inc if ch.grads_inc is not None else None) for ch in problem.chunks]
        # dof map: element -> global dofs, dof -> component (local dofs are interleaved x, y, z per node)
        nl = problem.chunks[0].dofs.shape[1]
        self._el_dofs = np.empty((self.nel, nl), dtype=np.int64)
        for ch in problem.chunks:
            self._el_dofs[ch.elements] = ch.dofs
        self._comp = np.zeros(problem.ndofs, dtype=np.int64)
        self._comp[self._el_dofs.ravel()] = np.tile(np.arange(nl) % 3, self.nel)
        self._el_fixed = np.zeros(self.nel, dtype=bool)  # element's tangent does not depend on the trial strain
        for r, idx in self.region_elements.items():
            self._el_fixed[idx] = getattr(self.models[r], "fixed_tangent", False)
        self._dirichlet = np.zeros(problem.ndofs, dtype=bool)
        self._dirichlet[problem.D] = True
        self._ext = None  # cached extension operator into the unborn part (see extend_unborn)
        # callables obs(event, solver, **info), told "start" when an advance() piece starts (after its melting and
        # solidification), "iteration" (it=) before each Newton iteration's tangent and solve, and "commit" (dt=) when a
        # (sub)increment is committed: a submodel's boundary recorder, the run's progress
        self.observers: list = []
        self._topology()

    @property
    def linear(self) -> bool:
        """True while every born region's model is linear in the strain within an increment (elastic or
        viscoelastic: one Newton iteration solves an increment exactly)."""
        return not any(self.born[self.region_elements[r]].any() for r in self._nonlinear_regions)

    @property
    def has_inelastic(self) -> bool:
        """True when some region has an inelastic model (born or not)."""
        return bool(self._inelastic_regions)

    # ------------------------------------------------------------------ state
    def set_temperature(self, T_el) -> None:
        """Set the element temperatures (degC; scalar or (n_el,)) of the committed state without solving."""
        self.T = np.broadcast_to(np.asarray(T_el, float), (self.nel,)).copy()

    # ------------------------------------------------------------------ element level
    def _B(self, k: int, ch):
        """(B, B_inc or None) of chunk ``k``."""
        if self._Bcache is not None:
            return self._Bcache[k]
        return ch.B, (ch.B_inc if ch.grads_inc is not None else None)

    def _strains(self, u: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
        eps = np.empty((self.nel, self.nq, 6))
        for k, ch in enumerate(self.p.chunks):
            B, Ba = self._B(k, ch)
            e = np.einsum("eqil,el->eqi", B, u[ch.dofs])
            if alpha is not None:
                e += np.einsum("eqia,ea->eqi", Ba, alpha[ch.elements])
            eps[ch.elements] = e
        return eps

    def _chem_total(self, chem: np.ndarray, hyg: np.ndarray | None) -> np.ndarray:
        """(n_el,) isotropic eigenstrain besides the thermal one: cure ``chem`` plus the swelling ``hyg`` since
        birth (``chem`` itself when there is no swelling)."""
        return chem if hyg is None else chem + (hyg - self.hyg_birth)

    def thermal_strain(self, T_el: np.ndarray, chem: np.ndarray | None = None) -> np.ndarray:
        """(n_el, 6) eigenstrain of each element at ``T_el``: thermal strain from its birth temperature plus the
        isotropic strain ``chem`` (n_el,) (default: the committed cure and swelling, :meth:`_chem_total`) on the
        normal components; zero if unborn."""
        chem = self._chem_total(self.eps_chem, self.eps_hyg) if chem is None else chem
        eth = np.zeros((self.nel, 6))
        for r, idx in self.region_elements.items():
            b = idx[self.born[idx]]
            if len(b):
                eth[b, :3] = self.region_material[r].thermal_strain(T_el[b], self.T_birth[b]) + chem[b, None]
        return eth

    def _response(self, eps, T0, T1, dt, chem1=None):
        """Stress (n_el, q, 6), tangent (n_el, q, 6, 6) and trial model states at the end of the increment
        (element temperatures T1 and chemical strain chem1 then)."""
        t0 = time.perf_counter()
        nq = self.nq
        sig = np.empty((self.nel, nq, 6))
        D = np.empty((self.nel, nq, 6, 6))
        eth = self.thermal_strain(T1, chem1)
        trial = {}
        for r, idx in self.region_elements.items():
            n = len(idx)
            model = self.models[r]
            b = self.born[idx]
            if not b.any():  # wholly unborn: not in the system; the model state stays as it is
                sig[idx] = 0.0
                D[idx] = 0.0
                trial[r] = self.mstate[r]
                continue
            # partly born (some of a solder's elements molten): only the born points are updated, since the strain
            # of an unborn point means nothing to its model
            q = None if b.all() else np.repeat(b, nq)
            bi = idx if q is None else idx[b]
            em = eps[bi] - self.eps_birth[bi] - eth[bi][:, None, :]
            state = self.mstate[r] if q is None else {k: v[q] for k, v in self.mstate[r].items()}
            try:
                s, Dm, st = model.update(em.reshape(-1, 6), np.repeat(T0[bi], nq), np.repeat(T1[bi], nq), dt,
                                         state)
            except (FloatingPointError, SolverError) as exc:  # e.g. constitutive.LocalSolveError: cut back
                pts = getattr(exc, "points", None)
                els = None if pts is None else bi[np.unique(np.asarray(pts) // nq)]
                raise _LocalFailure(r, str(exc), els) from exc
            s = s.reshape(len(bi), nq, 6)
            Dm = Dm.reshape(len(bi), nq, 6, 6)
            if q is not None:
                s_all, D_all = np.zeros((n, nq, 6)), np.zeros((n, nq, 6, 6))
                s_all[b], D_all[b] = s, Dm
                s, Dm = s_all, D_all
                full = {k: v.copy() for k, v in self.mstate[r].items()}
                for k in full:
                    full[k][q] = st[k]
                st = full
            if not (np.all(np.isfinite(s)) and np.all(np.isfinite(Dm))):
                bad = np.nonzero(~np.isfinite(s).all(axis=(1, 2)))[0]
                raise _LocalFailure(r, f"the {model.name} update gave non-finite stress at {len(bad)} elements",
                                    idx[bad] if len(bad) else None)
            sig[idx] = s
            D[idx] = Dm
            trial[r] = st
        self.timing["material"] += time.perf_counter() - t0
        return sig, D, trial

    def _assemble(self, sig, D, with_matrix: bool = True):
        """Condensed global residual (N,), tangent of the free dofs (CSR (n_free, n_free) or None), force scale and
        the per-chunk alpha recovery."""
        t0 = time.perf_counter()
        p = self.p
        N = p.ndofs
        r = np.zeros(N)
        r_unc = np.zeros(N)  # uncondensed: with r_a it measures equilibrium
        ra_sq = 0.0
        rabs = np.zeros(N)
        pat = p.pattern
        data = np.zeros(pat.nnz) if with_matrix else None
        recover = []
        # Elements whose tangent is fixed within the increment keep their condensed matrices from the increment's
        # first assembly (self._fixed, cleared when an increment starts): later iterations and line-search residuals
        # redo the element work only where the tangent depends on the strain (solder, plastic copper).
        build = with_matrix and self._fixed is None
        if build:
            self._fixed = {"data": np.zeros(pat.nnz), "chunks": {}}
        cache = self._fixed
        for k, ch in enumerate(p.chunks):
            B_all, Ba_all = self._B(k, ch)
            for fixed, sel in self._parts[k]:
                e, dofs, dx, B, Ba, pos = ch.elements, ch.dofs, ch.dx, B_all, Ba_all, pat.pos[k]
                if sel is not None:
                    e, dofs, dx, B = e[sel], dofs[sel], dx[sel], B[sel]
                    Ba = None if Ba is None else Ba[sel]
                    pos = pos.reshape(len(ch.elements), -1)[sel].ravel()
                s = sig[e]
                sw = s * dx[:, :, None]
                fe = np.einsum("eqil,eqi->el", B, sw)  # (n, l)
                fabs = np.einsum("eqil,eqi->el", np.abs(B), np.abs(sw))
                np.add.at(r_unc, dofs.ravel(), fe.ravel())
                cached = fixed and cache is not None and k in cache["chunks"]
                need_K = with_matrix and not cached
                Ke = bt_d_b(B, D[e], B, dx) if need_K else None
                if self.incompatible:
                    ra = np.einsum("eqia,eqi,eq->ea", Ba, s, dx)
                    ra_sq += float(np.sum(ra * ra))
                    if cached:
                        Kua, Kaa_inv, Kinv_Kau = cache["chunks"][k]
                        Kinv_ra = np.einsum("eab,eb->ea", Kaa_inv, ra)
                    else:
                        Kua = bt_d_b(B, D[e], Ba, dx)
                        Kaa = bt_d_b(Ba, D[e], Ba, dx)
                        if need_K:
                            Kaa_inv = np.linalg.inv(Kaa)
                            Kinv_Kau = np.matmul(Kaa_inv, Kua.transpose(0, 2, 1))
                            Kinv_ra = np.einsum("eab,eb->ea", Kaa_inv, ra)
                            Ke = Ke - np.matmul(Kua, Kinv_Kau)
                        else:
                            Kinv_ra = np.linalg.solve(Kaa, ra[:, :, None])[:, :, 0]
                            Kinv_Kau = None
                    if with_matrix:
                        recover.append((e, dofs, Kinv_Kau, Kinv_ra))
                    fe = fe - np.einsum("eli,ei->el", Kua, Kinv_ra)
                np.add.at(r, dofs.ravel(), fe.ravel())
                np.add.at(rabs, dofs.ravel(), fabs.ravel())
                if need_K:
                    contrib = np.bincount(pos, Ke.ravel(), minlength=pat.nnz)
                    if fixed and build:
                        cache["data"] += contrib
                        cache["chunks"][k] = (Kua, Kaa_inv, Kinv_Kau) if self.incompatible else None
                    else:
                        data += contrib
        if with_matrix:
            data += cache["data"]
        K = None
        if with_matrix:  # made restricted to the free dofs: no full matrix, no K[I][:, I] copies (issue 16)
            if self._layout is None or self._layout[0] is not self.free:
                self._layout = (self.free, pat.condensed(self.free))
            K = self._layout[1].matrix(data)
        self.timing["assemble"] += time.perf_counter() - t0
        self._rnorm = float(np.sqrt(np.sum(r_unc[self.free] ** 2) + ra_sq))
        return r, K, float(np.linalg.norm(rabs[self.free])), recover

    def _alpha_step(self, du: np.ndarray, recover) -> np.ndarray | None:
        if not self.incompatible:
            return None
        da = np.zeros((self.nel, 9))  # unborn elements: not in the system, their modes stay
        for e, dofs, Kinv_Kau, Kinv_ra in recover:
            da[e] = -(Kinv_ra + np.einsum("eal,el->ea", Kinv_Kau, du[dofs]))
        return da

    # ------------------------------------------------------------------ increments
    def advance(self, T_end, dt: float, label: str = "", chem_end=None, u_end=None, hyg_end=None) -> IncrementStats:
        """Advance the committed state by ``dt`` seconds to element temperatures ``T_end`` (scalar or (n_el,)).

        ``chem_end``: chemical (cure shrinkage) normal strain of each element at the end, (n_el,) (default:
        unchanged). ``u_end``: displacement (m) of the prescribed dofs ``problem.D`` at the end, (len(D),)
        (default: unchanged; a submodel's cut faces). ``hyg_end``: hygroscopic normal strain cme C of each element
        at the end, (n_el,) (default: unchanged; none until first given). Temperature, chemical and hygroscopic
        strain and prescribed displacement vary linearly in time within the increment. Cuts the increment in halves
        on failure.

        Raises:
            SolverError: the increment failed after ``max_cutbacks`` halvings (the committed state is the last
                converged one).
        """
        T_end = np.broadcast_to(np.asarray(T_end, float), (self.nel,)).copy()
        c1 = self.eps_chem.copy() if chem_end is None else np.broadcast_to(np.asarray(chem_end, float),
                                                                             (self.nel,)).copy()
        if hyg_end is not None and self.eps_hyg is None:  # swelling from now on, measured from the dry state
            self.eps_hyg, self.hyg_birth = np.zeros(self.nel), np.zeros(self.nel)
        h0 = None if self.eps_hyg is None else self.eps_hyg.copy()
        h1 = h0 if hyg_end is None else np.broadcast_to(np.asarray(hyg_end, float), (self.nel,)).copy()
        T0, c0 = self.T.copy(), self.eps_chem.copy()
        d0 = None if u_end is None else self.u[self.p.D].copy()
        f = self._solidus_crossing(T0, T_end) if dt > 0 else None
        if f is not None:  # end the first part exactly at the solidus, then go on in the other phase
            first = self.advance(T0 + f * (T_end - T0), f * dt, label, c0 + f * (c1 - c0),
                                 None if d0 is None else d0 + f * (u_end - d0),
                                 None if h0 is None else h0 + f * (h1 - h0))
            second = self.advance(T_end, (1.0 - f) * dt, label, c1, u_end, h1)
            return IncrementStats(second.t_end, first.iterations + second.iterations,
                                  max(first.cutbacks, second.cutbacks), first.residuals + second.residuals,
                                  first.linear_iterations + second.linear_iterations, second.method or first.method)
        self._phase_change(T0, T_end)
        self.notify("start")
        return self._advance(T0, T_end, (c0, h0), (c1, h1), float(dt), label, 0, d0, u_end)

    def notify(self, event: str, **info) -> None:
        """Tell every observer ``event`` (with keyword ``info``)."""
        for obs in self.observers:
            obs(event, self, **info)

    def _advance(self, T0, T1, c0, c1, dt, label, depth, d0=None, d1=None) -> IncrementStats:
        """``c0``, ``c1``: (cure strain, hygroscopic strain or None) at the start and end of the increment."""
        try:
            st = self._newton(T0, T1, c1, dt, d1)
            st.cutbacks = depth
            self.stats.append(st)
            return st
        except _NewtonFailure as fail:
            if depth >= self.newton.max_cutbacks:
                raise SolverError(
                    f"{label}: Newton did not converge at t = {self.time + dt:.6g} s "
                    f"(T {T1.min():.4g}..{T1.max():.4g} degC) after {depth} halvings of the increment: {fail}. "
                    "The last converged state is kept."
                ) from None
            Tm = 0.5 * (T0 + T1)
            cm = tuple(None if a is None else 0.5 * (a + b) for a, b in zip(c0, c1))
            dm = None if d1 is None else 0.5 * (d0 + d1)
            self._advance(T0, Tm, c0, cm, 0.5 * dt, label, depth + 1, d0, dm)
            return self._advance(Tm, T1, cm, c1, 0.5 * dt, label, depth + 1, dm, d1)

    def _newton(self, T0, T1, c1, dt, d1=None) -> IncrementStats:
        ns = self.newton
        c1, h1 = c1  # cure and hygroscopic strain at the end (h1 None: no swelling)
        chem1 = self._chem_total(c1, h1)
        self._fixed = None  # the fixed tangents belong to this increment's temperatures and time step
        I = self.free
        st = IncrementStats(t_end=self.time + dt, iterations=0, cutbacks=0)
        u_start, a_start = self.u, self.alpha
        dT = float(np.mean(T1 - T0))
        # start from the previous increment's change scaled to this one's temperature step, if there is one and
        # the material update accepts it; else from the committed state
        starts = [(self.u, self.alpha)]
        pred = self._predictor(dT)
        if pred is not None:
            starts.insert(0, (u_start + pred[0], None if a_start is None else a_start + pred[1]))
        if d1 is not None:  # prescribed dofs at their end values from the start (Newton corrects the free ones)
            starts = [(_prescribed(u0, self.p.D, d1), a0) for u0, a0 in starts]
        for k, (u, alpha) in enumerate(starts):
            try:
                eps = self._strains(u, alpha)
                sig, D, trial = self._response(eps, T0, T1, dt, chem1)
                break
            except _LocalFailure as lf:
                if k == len(starts) - 1:
                    raise _NewtonFailure(str(lf)) from None
        u, alpha = u.copy(), None if alpha is None else alpha.copy()
        r, K, fscale, recover = self._assemble(sig, D)
        rn = self._rnorm
        # the force scale is at least the out-of-balance the increment starts with (its load): a state that ends
        # stress-free (free expansion of a floating body) has no internal forces to measure the residual against
        f0 = rn
        fscale = max(fscale, f0)
        st.residuals.append(rn / max(fscale, 1e-300))
        du_norm = np.inf
        for it in range(1, ns.max_iterations + 1):
            if self._converged(rn, fscale, du_norm, u, u_start, it):
                break
            self.notify("iteration", it=it)  # a tangent and a linear solve follow (progress observers show it)
            if K is None:  # the residual was evaluated alone: the tangent at this point is needed now
                r, K, fscale, recover = self._assemble(sig, D)
                fscale = max(fscale, f0)
            du = np.zeros_like(u)
            du[I] = self._correction(K, r, st)
            da = self._alpha_step(du, recover)
            eta, ok = 1.0, False
            for _ls in range(5 if ns.line_search else 1):
                u_try = u + eta * du
                a_try = None if alpha is None else alpha + eta * da
                try:
                    eps = self._strains(u_try, a_try)
                    s_try, D_try, tr_try = self._response(eps, T0, T1, dt, chem1)
                    ok = True
                except _LocalFailure:
                    ok = False
                if ok:
                    # residual alone (cheap); the tangent is assembled only if another iteration is needed
                    r_try, _, fs_try, _ = self._assemble(s_try, D_try, with_matrix=False)
                    rn_try = self._rnorm
                    if rn_try <= rn or not ns.line_search or self.linear:
                        break
                eta *= 0.5
            if not ok:
                raise _NewtonFailure("the material update failed along the whole line search")
            u, alpha, sig, D, trial = u_try, a_try, s_try, D_try, tr_try
            du_norm = eta * float(np.linalg.norm(du))
            if ns.correction == "estimated" and it >= 2 and eta == 1.0 and rn_try < rn:
                # after a full Newton step the next correction is about this one times the residual's reduction
                # (K du_(k+1) = -r_k, K du_k = -r_(k-1)): the iteration that would only confirm it is skipped.
                # Not after the first step: the increment's load (spread over the package) and the residual it
                # leaves (mostly in the nonlinear solder) need not be scaled alike by the tangent's inverse
                du_norm *= rn_try / rn
            r, K, fscale, rn = r_try, None, max(fs_try, f0), rn_try
            st.iterations = it
            st.residuals.append(rn / max(fscale, 1e-300))
            if hopeless(st.residuals, it, ns):
                raise _NewtonFailure(f"residual {st.residuals[-1]:.2e} of the force scale after {it} iterations, "
                                     f"no lower than {RATE_WINDOW} iterations before; largest "
                                     f"out-of-balance {self._worst(r)}")
        else:
            if not self._converged(rn, fscale, du_norm, u, u_start, ns.max_iterations + 1):
                worst = self._worst(r)
                raise _NewtonFailure(f"residual {rn / max(fscale, 1e-300):.2e} of the force scale after "
                                     f"{ns.max_iterations} iterations; largest out-of-balance {worst}")
        # commit
        self._last = (u - u_start, None if alpha is None else alpha - a_start, dT)
        self.u, self.alpha = u, alpha
        self.mstate.update(trial)
        self.T = T1.copy()
        self.eps_chem = c1.copy()
        self.eps_hyg = None if h1 is None else h1.copy()
        self.time += dt
        self._sig, self._eps = sig, eps
        self.notify("commit", dt=dt)
        return st

    def _correction(self, K, r: np.ndarray, st: IncrementStats) -> np.ndarray:
        """The Newton correction of the free dofs, K du = -r[free] (m; K of the free dofs, :meth:`_assemble`); its
        linear iterations and method go to ``st``."""
        I = self.free
        t0 = time.perf_counter()
        # every Newton step is solved to solver.rtol: an inexact (looser) linear solve costs Newton iterations
        # and hides Newton's quadratic rate behind the linear tolerance (docs/benchmarks.md)
        try:
            duI, lst = self.p.solver.solve(K, -r[I], nearby=True)
        except SolverError as exc:  # e.g. a tangent that is not positive definite: a smaller increment may do
            self.p.solver.reset()
            raise _NewtonFailure(f"linear solve failed: {exc}") from None
        self.timing["solve"] += time.perf_counter() - t0
        st.linear_iterations.append(lst.iterations)
        st.method = lst.method
        return duI

    def _activate(self, els: np.ndarray, T_ref: np.ndarray) -> None:
        """Born now (see :meth:`ElementBirth._activate`), with the swelling measured from now on as well."""
        super()._activate(els, T_ref)
        if self.eps_hyg is not None:
            self.hyg_birth[els] = self.eps_hyg[els]

    def rebase_hygroscopic(self, hyg: np.ndarray, els: np.ndarray) -> None:
        """Set the committed hygroscopic strain of the elements ``els`` (index array) to ``hyg[els]`` (``hyg``:
        (n_el,)) and make it their reference: for parts just born, whose moisture field exists from now on (a
        born part may start with the wetness of the wet part it is born against, and is born stress-free)."""
        if self.eps_hyg is None:
            self.eps_hyg, self.hyg_birth = np.zeros(self.nel), np.zeros(self.nel)
        self.eps_hyg[els] = hyg[els]
        self.hyg_birth[els] = hyg[els]
        self._sig = None

    def new_step(self) -> None:
        """Forget the last increment's change (no predictor across a step boundary, so a resumed run repeats the
        uninterrupted one's arithmetic)."""
        self._last = None

    def _predictor(self, dT: float):
        """(du, dalpha) to start an increment of mean temperature step ``dT`` from: the last increment's change
        times dT / dT_last, in the same direction only, and only while some born model is nonlinear (a linear
        increment is solved in one step from anywhere)."""
        last = self._last
        if last is None or self.linear or abs(last[2]) < 1e-12 or dT * last[2] <= 0.0:
            return None
        f = dT / last[2]
        return f * last[0], None if last[1] is None else f * last[1]

    def _converged(self, rn, fscale, du_norm, u, u_start, it) -> bool:
        ns = self.newton
        if rn <= 1e-14 * max(fscale, 1e-300) or fscale == 0.0:
            return True
        if it == 1 or rn > ns.rtol_residual * fscale:
            return False
        if self.linear:
            return True  # one exact linear solve: the residual test alone decides
        span = float(np.linalg.norm(u - u_start))
        if rn <= max(STILL_RESIDUAL * ns.rtol_residual, ROUNDOFF_RESIDUAL) * fscale:
            # Equilibrium a million times tighter than asked, in an increment that hardly moves the package (a hold
            # where little relaxes): its span is round-off and no correction can be small against it, so the
            # correction is measured against the whole displacement instead. A tight rtol_residual (1e-9) would
            # put that bound below round-off, where a hold could never converge: round-off is the floor
            span = max(span, float(np.linalg.norm(u)))
        return du_norm <= ns.rtol_increment * max(span, 1e-300)

    def _worst(self, r: np.ndarray) -> str:
        """Region and position of the node with the largest out-of-balance force."""
        p = self.p
        rr = np.zeros_like(r)
        rr[self.free] = r[self.free]
        nodal = np.linalg.norm(rr[p.basis.nodal_dofs], axis=0)
        v = int(np.argmax(nodal))
        m = p.pmesh.mesh
        els = np.nonzero((m.t == v).any(axis=0))[0]
        regions = sorted({p.pmesh.region_names[i] for i in p.pmesh.cell_region[els]})
        x = m.p[:, v] * 1e3
        return f"at ({x[0]:.3f}, {x[1]:.3f}, {x[2]:.3f}) mm in {', '.join(regions)}"

    # ------------------------------------------------------------------ output
    def snapshot(self, extend: bool = False):
        """The committed state as a :class:`~fcpkg_fem.solve.mechanical.MechanicalState` for post-processing.

        ``eth`` holds the reference strain of each element (thermal strain from birth plus the strain at birth),
        so ``strain - eth`` is the mechanical strain, as post-processors expect; an unborn element has zero stress
        and zero mechanical strain. ``extend``: first move the unborn part with the package
        (:meth:`extend_unborn`, one linear solve: for field output)."""
        if extend:
            self.extend_unborn()

        if self._sig is None:
            eps = self._strains(self.u, self.alpha)
            sig, _, _ = self._response(eps, self.T, self.T, 0.0)
            self._sig, self._eps = sig, eps
        w = np.empty((self.nel, self.nq))
        for ch in self.p.chunks:
            w[ch.elements] = ch.dx
        vol = w.sum(axis=1)

        def avg(a):
            return np.einsum("eqi,eq->ei", a, w) / vol[:, None]

        ref = self.thermal_strain(self.T) + avg(self.eps_birth)
        eps_avg = avg(self._eps)
        ref[~self.born] = eps_avg[~self.born]
        last = self.stats[-1] if self.stats else None
        stats = LinearStats(last.method if last else "none", int(sum(last.linear_iterations)) if last else 0, 0.0)
        T_out = float(self.T[0]) if np.all(self.T == self.T[0]) else self.T.copy()
        return MechanicalState(T_out, self.u.copy(), avg(self._sig), eps_avg, self._sig, self._eps, ref,
                               stats)

    def inelastic_fields(self) -> dict[str, np.ndarray]:
        """Element averages of the inelastic results: ``eq_inelastic_strain`` (n_el,), ``inelastic_work_J_m3``
        (n_el,), ``inelastic_strain`` (n_el, 6); zeros where the model is elastic."""
        out = {"eq_inelastic_strain": np.zeros(self.nel), "inelastic_work_J_m3": np.zeros(self.nel),
               "inelastic_strain": np.zeros((self.nel, 6))}
        for r, idx in self.region_elements.items():
            m = self.models[r]
            if not getattr(m, "inelastic", False):
                continue
            st = self.mstate[r]
            n = len(idx)
            out["eq_inelastic_strain"][idx] = m.equivalent_inelastic_strain(st).reshape(n, self.nq).mean(axis=1)
            out["inelastic_work_J_m3"][idx] = m.inelastic_work(st).reshape(n, self.nq).mean(axis=1)
            out["inelastic_strain"][idx] = m.inelastic_strain(st).reshape(n, self.nq, 6).mean(axis=1)
        return out

    # ------------------------------------------------------------------ checkpoints
    def state_arrays(self) -> dict[str, np.ndarray]:
        """Everything needed to continue from the committed state, as named arrays (for np.savez)."""
        out = {"u": self.u, "born": self.born, "eps_birth": self.eps_birth, "T_birth": self.T_birth, "T": self.T,
               "eps_chem": self.eps_chem, "time": np.array(self.time), "molten": self.molten}
        if self.alpha is not None:
            out["alpha"] = self.alpha
        if self.eps_hyg is not None:
            out["eps_hyg"], out["hyg_birth"] = self.eps_hyg, self.hyg_birth
        for r, st in self.mstate.items():
            for k, v in st.items():
                out[f"m:{r}:{k}"] = v
        return out

    def restore(self, arrays) -> None:
        """Load a state written by :meth:`state_arrays` (same mesh and models)."""
        self.u = np.array(arrays["u"])
        self.born = np.array(arrays["born"])
        self.eps_birth = np.array(arrays["eps_birth"])
        self.T_birth = np.array(arrays["T_birth"])
        self.T = np.array(arrays["T"])
        self.eps_chem = np.array(arrays["eps_chem"]) if "eps_chem" in arrays else np.zeros(self.nel)
        self.molten = np.array(arrays["molten"]) if "molten" in arrays else np.zeros(self.nel, dtype=bool)
        self.time = float(arrays["time"])
        self.eps_hyg = np.array(arrays["eps_hyg"]) if "eps_hyg" in arrays else None
        self.hyg_birth = np.array(arrays["hyg_birth"]) if "hyg_birth" in arrays else None
        if self.alpha is not None:
            self.alpha = np.array(arrays["alpha"])
        for r in self.mstate:
            self.mstate[r] = {k: np.array(arrays[f"m:{r}:{k}"]) for k in self.mstate[r]}
        self._sig = None
        self._topology()


def _prescribed(u: np.ndarray, dofs: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A copy of ``u`` with ``u[dofs] = values``."""
    out = u.copy()
    out[dofs] = values
    return out


class _LocalFailure(Exception):
    def __init__(self, region: str, msg: str, elements=None):
        super().__init__(f"{region}: {msg}")
        self.region = region
        self.elements = elements


class _NewtonFailure(Exception):
    pass
