"""Anand viscoplasticity (9 constants): backward Euler, sub-stepped under a local error estimate, and the exact
tangent of that update.

Model (the common 9-constant form used for solders, e.g. by ANSYS and Motalab et al. 2012), von Mises
equivalent stress q = sqrt(3/2) |dev sigma| and equivalent plastic strain rate dp/dt = sqrt(2/3) |d eps_p/dt|:

    dp/dt = A exp(-Q/(R T)) sinh(xi q / s)^(1/m),    d eps_p/dt = (3/2) dp/dt dev(sigma) / q
    ds/dt = h0 |B|^a sign(B) dp/dt,   B = 1 - s/s*,   s* = s_hat ((dp/dt) exp(Q/(R T)) / A)^n

In uniaxial tension q = |sigma| and dp/dt = |d eps_p,axial/dt|, so the constants act on uniaxial quantities
directly (factor 1 between equivalent and uniaxial values). Elasticity: sigma = C(T1) (eps - eps_p), isotropic,
E(T1), nu(T1) of the material.

One backward-Euler step over the increment (T = T1, rate dp/dt = dp/dt_n+1 = Delta p / dt) keeps the
radial-return structure: with the elastic trial q_tr, the stress is q = q_tr - 3 G Delta p along the trial
direction, and one scalar unknown remains. We solve for u = ln(Delta p):

    psi(u) = m (u - ln c) - ln sinh(xi (q_tr - 3 G e^u) / s(u)) = 0,    c = dt A exp(-Q/(R T1)),

where s(u) solves the backward-Euler hardening equation
    g(s) = s - s_n - h0 e^u |B|^a sign(B) = 0,   B = 1 - s / s*(u),   s*(u) = s_hat exp(n (u - ln c)),
which is monotone in s with its root between s_n and s* (bracketed inner Newton). The outer Newton on psi is
safeguarded by the bracket u < ln(q_tr / 3G) (psi -> +inf there) and bisection, so any dt (from 0, elastic, to
a step far past saturation) converges. Its linearisation gives h = d Delta p / d q_tr = -Delta p (d psi/d q_tr) /
(d psi/d u), with d s/d u from g.

Sub-stepping. One step is first order in the increment: with the solver's default increments (10 K, holds in
increments growing by 2) it leaves the end of a 125 degC soak 11 % too high. So every increment is checked and,
where needed, integrated in sub-steps inside the update (the global increments stay as they are):

- the path: along the trial direction the trial stress moves linearly from the committed stress (signed,
  :func:`_path_start`) to q_tr, and T from T0 to T1; a sub-step is the backward-Euler problem above for its own
  piece of it (:func:`_sub_steps`);
- the estimate: one step against two (step doubling) gives the one step's error and the count nu of one-step
  accuracies it takes to bring it within SUBSTEP_TOL of the stress and HARDENING_TOL of s (:func:`_count`);
- nu <= 1: the one step, unchanged. Above, the Richardson extrapolation of N and 2N sub-steps (second order),
  N set by nu and LEVEL_ERROR, at most MAX_SUBSTEPS / 2 (:func:`_level`, :func:`_extrapolate`), reached smoothly
  between nu = 1 and 2; the sub-step partition is smooth in N (:func:`_partition`).

Nothing of it depends on the time or on a previous call: the same state and increment always give the same
sub-steps. The strain enters only through q_tr (and the sign of the path start), so the update keeps the
radial-return form: the tangent is :func:`fcpkg_fem.constitutive.j2.radial_return_tangent` with h the exact
derivative of the sub-stepped, extrapolated Delta p, carried through the sub-steps by forward sensitivities
(:meth:`_Local.partials`), counts and blends included. It is symmetric, as the linear solvers need.

State: eps, sigma (Pa), eps_p (engineering shear), s (Pa), p (-), w (J/m^3, the trapezoidal inelastic work
sum of (sigma_n + sigma_n+1)/2 : d eps_p, over the sub-steps where there are).
"""

from __future__ import annotations

import math

import numpy as np

from fcpkg_fem.constitutive.base import (
    DEV,
    ENG,
    LocalSolveError,
    PlasticModel,
    register,
    tensor_norm,
)
from fcpkg_fem.constitutive.j2 import _iso_apply, radial_return_tangent
from fcpkg_fem.materials.params import AnandParams

_LN2 = math.log(2.0)

SUBSTEP_TOL = 2e-3
"""Estimated error of one increment's stress, relative to the stress (at least _FLOOR s / xi), accepted without
sub-stepping; above it the increment is sub-stepped (and its error is then well below)."""
HARDENING_TOL = 1e-3
"""The same for the deformation resistance s, relative to s (tighter: an error of s persists, the stress of a
steady flow being proportional to s)."""
LEVEL_ERROR = 0.035
"""Estimated first-order error of the coarser of the two sub-stepped solutions that are extrapolated: sets N."""
MAX_SUBSTEPS = 64
"""Most sub-steps of one increment, the finer of the pair (bounds the cost of very long increments, whose error
is then not controlled)."""
_FLOOR = 0.1  # stress scale of the tolerance at least _FLOOR s / xi (near zero stress a relative error is moot)
_RELAXING = 2.0  # the error of relaxing increments (two sub-steps flow more than one) is about twice the estimate
_SLIVER = 1e-9  # sub-steps shorter than this fraction of the increment are left out (sub-steps being born)


def _lnsinh(x: np.ndarray) -> np.ndarray:
    """ln sinh(x) for x > 0, accurate for tiny and huge x."""
    x = np.asarray(x, dtype=float)
    small = x < 1.0
    xs = np.where(small, x, 1.0)
    xl = np.where(small, 1.0, x)
    return np.where(small, np.log(np.sinh(xs)), xl - _LN2 + np.log1p(-np.exp(-2.0 * xl)))


def _coth(x: np.ndarray) -> np.ndarray:
    return 1.0 / np.tanh(x)


class _Local:
    """The local equations of one increment for a set of points (all arrays (k,))."""

    def __init__(self, prm: AnandParams, q_tr, s_n, G, lnc, u0=None):
        self.prm, self.q_tr, self.s_n, self.G, self.lnc = prm, q_tr, s_n, G, lnc
        self.u0 = u0  # starting guess for u (NaN or None: the explicit estimate)

    def take(self, idx: np.ndarray) -> "_Local":
        return _Local(self.prm, self.q_tr[idx], self.s_n[idx], self.G[idx], self.lnc[idx])

    def _g(self, s, s_star, dp):
        """g(s), dg/ds, and the factors of dg/du, at the given s (arrays (k,))."""
        prm = self.prm
        B = 1.0 - s / s_star
        aB = np.abs(B)
        powa1 = aB ** (prm.a - 1.0)
        hB = prm.h0 * dp * np.sign(B) * aB * powa1  # h0 dp sign(B) |B|^a
        dg_ds = 1.0 + prm.h0 * dp * prm.a * powa1 / s_star
        dg_du = -(hB + prm.h0 * dp * prm.a * powa1 * prm.n * s / s_star)
        return s - self.s_n - hB, dg_ds, dg_du

    def hardening(self, u: np.ndarray, s_guess: np.ndarray, tol: float = 1e-14, maxit: int = 100):
        """Solve g(s) = 0 at u by Newton inside the bracket [min(s_n, s*), max(s_n, s*)]; returns s, ds/du."""
        prm = self.prm
        dp = np.exp(u)
        s_star = prm.s_hat * np.exp(prm.n * (u - self.lnc))
        lo = np.minimum(self.s_n, s_star)
        hi = np.maximum(self.s_n, s_star)
        s = np.clip(s_guess, lo, hi)
        todo = np.arange(s.size)
        sub = self
        for _ in range(maxit):
            st, ss, dps = s_star[todo], s[todo], dp[todo]
            g, dg, _ = sub._g(ss, st, dps)
            lo_t = np.where(g < 0, ss, lo[todo])
            hi_t = np.where(g > 0, ss, hi[todo])
            step = -g / dg
            done = np.abs(step) <= tol * ss  # Newton step below round-off: converged, keep s + step
            s_new = ss + step
            out = ~done & ((s_new <= lo_t) | (s_new >= hi_t))
            s[todo] = np.where(out, 0.5 * (lo_t + hi_t), s_new)
            lo[todo], hi[todo] = lo_t, hi_t
            todo = todo[~done]
            if todo.size == 0:
                break
            sub = self.take(todo)
        _, dg_ds, dg_du = self._g(s, s_star, dp)
        return s, -dg_du / dg_ds

    def partials(self, u: np.ndarray, s: np.ndarray):
        """Sensitivities of the converged solution (Delta p = e^u, s) to q_tr, s_n and ln c, from the local
        equations by implicit differentiation: (dp/dq_tr, dp/ds_n, dp/dlnc, ds/dq_tr, ds/ds_n, ds/dlnc)."""
        prm = self.prm
        e = np.exp(u)
        s_star = prm.s_hat * np.exp(prm.n * (u - self.lnc))
        _, g_s, g_u = self._g(s, s_star, e)
        # g depends on ln c through s* alone: dg/dlnc = -(the s* part of dg/du)
        g_c = prm.h0 * e * prm.a * np.abs(1.0 - s / s_star) ** (prm.a - 1.0) * prm.n * s / s_star
        ds_du, ds_dsn, ds_dc = -g_u / g_s, 1.0 / g_s, -g_c / g_s
        q = self.q_tr - 3.0 * self.G * e
        x = prm.xi * q / s
        ct = _coth(x)
        psi_u = prm.m - ct * prm.xi * (-3.0 * self.G * e / s - q / s**2 * ds_du)
        du_q = ct * prm.xi / s / psi_u
        du_sn = -ct * x / s * ds_dsn / psi_u
        du_c = (prm.m - ct * x / s * ds_dc) / psi_u
        return (e * du_q, e * du_sn, e * du_c, ds_du * du_q, ds_du * du_sn + ds_dsn, ds_du * du_c + ds_dc)

    def residual(self, u: np.ndarray, s_guess: np.ndarray):
        """psi(u), d psi/du (total), d psi/d q_tr and s(u)."""
        prm = self.prm
        s, ds_du = self.hardening(u, s_guess)
        e = np.exp(u)
        q = self.q_tr - 3.0 * self.G * e
        x = prm.xi * q / s
        psi = prm.m * (u - self.lnc) - _lnsinh(x)
        ct = _coth(x)
        dx_du = prm.xi * (-3.0 * self.G * e / s - q / s**2 * ds_du)
        dpsi_du = prm.m - ct * dx_du
        dpsi_dq = -ct * prm.xi / s
        return psi, dpsi_du, dpsi_dq, s


def _solve_local(loc: _Local, maxit: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Safeguarded Newton for psi(u) = 0; returns u, s and h = d Delta p / d q_tr.

    Only points not yet converged are iterated (the set shrinks each pass)."""
    prm = loc.prm
    hi = np.log(loc.q_tr / (3.0 * loc.G))  # Delta p = q_tr / 3G makes q = 0: psi = +inf there
    lo = np.full_like(hi, -np.inf)
    # Explicit estimate (q = q_tr, s = s_n) as start, or the caller's guess, kept inside the bracket.
    u = loc.lnc + _lnsinh(prm.xi * loc.q_tr / loc.s_n) / prm.m
    if loc.u0 is not None:
        u = np.where(np.isfinite(loc.u0), loc.u0, u)
    u = np.minimum(u, hi - _LN2)
    s = loc.s_n.copy()
    todo = np.arange(u.size)
    sub = loc
    for _ in range(maxit):
        ut = u[todo]
        psi, dpsi, _, s[todo] = sub.residual(ut, s[todo])
        lo_t = np.where(psi < 0, ut, lo[todo])
        hi_t = np.where(psi > 0, ut, hi[todo])
        step = -psi / dpsi
        conv = (dpsi > 0) & (np.abs(step) <= 1e-13 * np.maximum(1.0, np.abs(ut)))
        u_new = ut + step
        bad = ~conv & (~np.isfinite(u_new) | (u_new <= lo_t) | (u_new >= hi_t) | (dpsi <= 0))
        mid = np.where(np.isfinite(lo_t), 0.5 * (lo_t + hi_t), hi_t - 2.0)
        u[todo] = np.where(bad, mid, u_new)
        lo[todo], hi[todo] = lo_t, hi_t
        todo = todo[~conv]
        if todo.size == 0:
            break
        sub = loc.take(todo)
    else:
        raise LocalSolveError(f"Anand local Newton did not converge at {todo.size} quadrature points "
                              f"(|psi| up to {float(np.max(np.abs(psi))):.3g})", todo)
    # Final evaluation at the converged u: s(u) and the exact local linearisation for the tangent.
    psi, dpsi, dpsi_dq, s = loc.residual(u, s)
    h = -np.exp(u) * dpsi_dq / dpsi
    return u, s, h


class _Path:
    """The sub-stepped solution of one increment (arrays (k,)): the inelastic strain along the trial direction
    ``P`` (signed: a reversing path flows backwards first) and the sum of its sub-steps' magnitudes ``p_abs``, the
    final stress ``q`` along the trial direction and ``s``, the work ``w`` of the sub-steps, and the derivatives
    of P, q and s with respect to q_tr (``P_q``, ``q_q``, ``s_q``) and to the sub-step count (``P_nu``,
    ``q_nu``, ``s_nu``)."""

    def __init__(self, n: int):
        z = np.zeros(n)
        self.P, self.q, self.s, self.w, self.p_abs = z, z.copy(), z.copy(), z.copy(), z.copy()
        self.P_q, self.P_nu, self.s_q, self.s_nu, self.q_q, self.q_nu = (z.copy() for _ in range(6))

    _FIELDS = ("P", "q", "s", "w", "p_abs", "P_q", "P_nu", "q_q", "q_nu", "s_q")

    def take(self, idx) -> "_Path":
        out = _Path(len(idx))
        for f in self._FIELDS:
            setattr(out, f, getattr(self, f)[idx])
        return out

    def put(self, idx, other: "_Path") -> None:
        for f in self._FIELDS:
            getattr(self, f)[idx] = getattr(other, f)


def _partition(nu, m: int):
    """Sub-step m of the partition for the real count nu (>= 1): (theta0, theta1, their d/d nu, in-use mask).

    Level j = floor(log2 nu) cuts the increment into 2^j equal cells; each cell is split at 1 - lam of its length,
    lam = S(t) / 2 with t = log2 nu - j and S the smoothstep 3t^2 - 2t^3. Sub-step m is part m % 2 of cell m // 2.
    At nu = 2^j the second parts have zero length (2^j equal sub-steps), towards 2^(j+1) they reach half a cell
    (2^(j+1) equal sub-steps): the partition, and the update, are continuously differentiable in nu (the new
    sub-steps are born with zero length and zero growth rate), and the count changes by one level per doubling of
    nu, so that nu varying with the strain never puts a sharp turn within a finite difference of it."""
    lv = np.log2(nu)
    j = np.floor(lv)
    t = lv - j
    cell = 2.0**-j
    lam = 0.5 * t * t * (3.0 - 2.0 * t)
    lam_nu = 3.0 * t * (1.0 - t) / (nu * math.log(2.0))
    i, part = m // 2, m % 2
    start = cell * i + part * cell * (1.0 - lam)
    end = cell * i + cell * np.where(part, 1.0, 1.0 - lam)
    start_nu = -part * cell * lam_nu
    end_nu = -(1 - part) * cell * lam_nu
    use = (i < 2.0**j) & (end - start > _SLIVER)
    return start, end, start_nu, end_nu, use


def _sub_steps(prm: AnandParams, q0, q_tr, s_n, G, T0, T1, dt: float, q0w, u1, nu) -> _Path:
    """Backward Euler in sub-steps along the increment's scalar path, with forward sensitivities.

    The trial stress along the trial direction moves linearly from ``q0`` (:func:`_path_start`, signed) to
    ``q_tr`` and the temperature from T0 to T1, through the sub-steps of :func:`_partition` for the real count
    ``nu``. Each sub-step is the backward-Euler local problem of the whole increment at its own trial,
    temperature and length (a negative trial flows backwards, its magnitude solved as usual). ``q0w`` is the
    stress the work of the first sub-step starts from (the committed stress along the trial direction, as in the
    one-step trapezoid). ``u1``: ln Delta p of the one-step solution, which (scaled to the sub-step) starts the
    first sub-step's Newton iteration; each next one starts from the last (same roots, fewer iterations)."""
    n = q_tr.size
    out = _Path(n)
    q, s, qw = q0.copy(), s_n.copy(), q0w.copy()
    guess, last_dth = u1.copy(), np.ones(n)
    lnA = math.log(prm.A)
    for m in range(2 * int(2.0 ** np.floor(np.log2(nu.max())))):
        th0, th1, th0_nu, th1_nu, use = _partition(nu, m)
        idx = np.flatnonzero(use)
        if idx.size == 0:
            continue
        th0, th1, th0_nu, th1_nu = th0[idx], th1[idx], th0_nu[idx], th1_nu[idx]
        dth, dth_nu = th1 - th0, th1_nu - th0_nu
        span = q_tr[idx] - q0[idx]
        qt = q[idx] + dth * span
        qt_q, qt_nu = out.q_q[idx] + dth, out.q_nu[idx] + dth_nu * span
        TK = T0[idx] + th1 * (T1[idx] - T0[idx]) + 273.15
        lnc = np.log(dt * dth) + lnA - prm.Q_R / TK
        lnc_nu = dth_nu / dth + prm.Q_R / TK**2 * (T1[idx] - T0[idx]) * th1_nu
        sg, aq, sk, Gk = np.sign(qt), np.abs(qt), s[idx], G[idx]
        dp, s1 = np.zeros(idx.size), sk.copy()
        d = [np.zeros(idx.size) for _ in range(6)]
        d[4][:] = 1.0  # ds/ds_n of a sub-step without flow
        fl = np.flatnonzero(aq > 1e-12 * sk)
        if fl.size:
            u0 = (guess[idx] + np.log(dth / last_dth[idx]))[fl]
            loc = _Local(prm, aq[fl], sk[fl], Gk[fl], lnc[fl], u0)
            try:
                u, s_f, _ = _solve_local(loc)
            except LocalSolveError as exc:
                raise LocalSolveError(str(exc), idx[fl][exc.points]) from None
            dp[fl], s1[fl] = np.exp(u), s_f
            guess[idx[fl]] = u
            for a, b in zip(d, loc.partials(u, s_f)):
                a[fl] = b
        p_q, p_s, p_c, s_qq, s_s, s_c = d
        dp_q = p_q * sg * qt_q + p_s * out.s_q[idx]
        dp_nu = p_q * sg * qt_nu + p_s * out.s_nu[idx] + p_c * lnc_nu
        out.s_q[idx] = s_qq * sg * qt_q + s_s * out.s_q[idx]
        out.s_nu[idx] = s_qq * sg * qt_nu + s_s * out.s_nu[idx] + s_c * lnc_nu
        qn = sg * (aq - 3.0 * Gk * dp)
        out.q_q[idx] = qt_q - 3.0 * Gk * sg * dp_q
        out.q_nu[idx] = qt_nu - 3.0 * Gk * sg * dp_nu
        out.w[idx] += 0.5 * (qw[idx] + qn) * sg * dp
        q[idx], qw[idx], s[idx], last_dth[idx] = qn, qn, s1, dth
        out.P[idx] += sg * dp
        out.P_q[idx] += sg * dp_q
        out.P_nu[idx] += sg * dp_nu
        out.p_abs[idx] += dp
    out.q, out.s = q, s
    return out


def _path_start(G, eps_n, eps_p, n_hat) -> np.ndarray:
    """Start q0 of the increment's scalar path: the committed deviatoric stress at G(T1), of equivalent stress
    q_n, counted along the trial direction n_hat: +q_n where it points along n_hat (loading, unloading, holding),
    -q_n against it (a reversal: the path runs through zero). Exact where the increment is coaxial. q0 does not
    depend on the strain, except for its sign, which flips where the trial deviator turns perpendicular to the
    committed one: there the update jumps (by the flow of the increment's first part), the price of keeping the
    radial-return form with its exact, symmetric tangent everywhere else. (A start going continuously through
    zero, e.g. the projection of the committed stress, turns with the trial direction: its tangent is not
    symmetric, and left out of the tangent it slowed the global Newton iteration of a joint's reversal.)"""
    s_n = 2.0 * G[:, None] * ((eps_n - eps_p) @ DEV.T)
    nrm = tensor_norm(s_n)
    return np.sqrt(1.5) * nrm * np.sign(np.einsum("ni,ni->n", n_hat * ENG, s_n))


def _scale(prm: AnandParams, one: _Path, q_tr, s_n, G):
    """Stress scale of the error tolerance and its d / d q_tr: the end stress of the one step, combined (4-norm)
    with _FLOOR s_n / xi, so that a point passing through zero stress is not held to a relative error."""
    qe = q_tr - 3.0 * G * one.P
    scale = (qe**4 + (_FLOOR * s_n / prm.xi) ** 4) ** 0.25
    return scale, qe**3 * (1.0 - 3.0 * G * one.P_q) / scale**3


def _count(prm: AnandParams, one: _Path, two: _Path, q_tr, s_n, G, tol: float, tol_s: float):
    """Count nu (real, >= 1) of one-step accuracies the increment needs, from the step doubling, and d nu / d q_tr.

    Backward Euler is first order: the error of one step is about twice the difference between one and two
    sub-steps. nu is that error of the stress, 3G |P1 - P2| x 2, over ``tol`` times the stress scale
    (:func:`_scale`), and that of s over ``tol_s`` s_n; for a relaxing increment (two sub-steps flow more than one)
    twice that: along a stiff relaxation the error constant grows as the sub-steps shrink (measured: N e(N) of a
    125 degC soak's first increment goes from 13 % at N = 1 to 21 % at N = 32). The two are combined by a 4-norm
    rather than max, so that nu is continuously differentiable in the strain."""
    g3 = 3.0 * G
    scale, scale_q = _scale(prm, one, q_tr, s_n, G)
    dP = one.P - two.P
    c = 2.0 * np.where(dP < 0.0, _RELAXING, 1.0) * g3 / (tol * scale)
    nu_p = c * dP  # signed; only its 4th power enters (smooth where the factor changes, at dP = 0)
    nu_p_q = c * (one.P_q - two.P_q) - nu_p * scale_q / scale
    nu_s = 2.0 * (one.s - two.s) / (tol_s * s_n)
    nu_s_q = 2.0 * (one.s_q - two.s_q) / (tol_s * s_n)
    nu = (nu_p**4 + nu_s**4) ** 0.25
    nu_q = (nu_p**3 * nu_p_q + nu_s**3 * nu_s_q) / np.maximum(nu, 1e-90) ** 3
    return np.maximum(nu, 1.0), np.where(nu > 1.0, nu_q, 0.0)


def _level(y, cap: float):
    """N = a smooth max(1, y), at most ``cap``, and dN/dy: 1 up to y = 1/2, y from 3/2, a parabola between (C1),
    so that moderate estimates keep N = 1, whose pair the estimate has computed already."""
    N = np.where(y <= 0.5, 1.0, np.where(y >= 1.5, y, 1.0 + 0.5 * (y - 0.5) ** 2))
    N_y = np.where(y <= 0.5, 0.0, np.where(y >= 1.5, 1.0, y - 0.5))
    return np.minimum(N, cap), np.where(N < cap, N_y, 0.0)


def _extrapolate(a: _Path, b: _Path, a_q, b_q, q_tr, G) -> tuple:
    """Richardson extrapolation of the sub-stepped solutions ``a`` (N sub-steps) and ``b`` (2N) to zero step.

    Backward Euler's error is first order, e(N) ~ C / N, so 2 b - a cancels it. Extrapolated is the final stress
    q along the trial direction, with the correction r = (q_b - q_a) / q_b passed through tanh: q = q_b (1 +
    tanh r), which is 2 q_b - q_a for small corrections and keeps the sign of q_b and |q| < 2 |q_b| when a coarse
    pair would ask for more (over-relaxing through zero). Delta p follows, P = (q_tr - q) / 3G; s is extrapolated
    in ln s (keeps s > 0), the work and the accumulated |Delta p| linearly. ``a_q``, ``b_q``: total d q / d q_tr
    of the two. Returns P, d P / d q_tr, s, w, p_abs."""
    qb = np.where(np.abs(b.q) > 1e-12 * q_tr, b.q, 1e-12 * q_tr)
    r = (qb - a.q) / qb
    r_q = (b_q - a_q) / qb - r * b_q / qb
    th = np.tanh(r)
    q = qb * (1.0 + th)
    q_q = b_q * (1.0 + th) + qb * (1.0 - th * th) * r_q
    g3 = 3.0 * G
    return ((q_tr - q) / g3, (1.0 - q_q) / g3, b.s * b.s / a.s, 2.0 * b.w - a.w,
            np.maximum(2.0 * b.p_abs - a.p_abs, 0.0))


@register("anand")
class Anand(PlasticModel):
    """Anand viscoplasticity; parameters in ``material.extra['anand']`` (:class:`AnandParams`)."""

    params_what = "the 9 Anand constants (s0, Q/R, A, xi, m, h0, s_hat, n, a)"
    substep_tol = SUBSTEP_TOL
    hardening_tol = HARDENING_TOL
    max_substeps = MAX_SUBSTEPS
    """1: one backward-Euler step per increment, no error estimate (the integration before sub-stepping)."""

    def init_state(self, n):
        z6 = np.zeros((n, 6))
        return {"eps": z6, "sigma": z6.copy(), "eps_p": z6.copy(), "s": np.full(n, self.params.s0),
                "p": np.zeros(n), "w": np.zeros(n)}

    def update(self, eps, T0, T1, dt, state):
        eps, T0, T1, dt = self._prepare(eps, T0, T1, dt)
        prm = self.params
        lam, G = self.elastic.lame(T1)
        eps_p, s_n = state["eps_p"], state["s"]
        s_tr = 2.0 * G[:, None] * ((eps - eps_p) @ DEV.T)
        nrm = tensor_norm(s_tr)
        q_tr = np.sqrt(1.5) * nrm
        n_hat = s_tr / np.maximum(nrm, 1e-300)[:, None]
        dp = np.zeros_like(q_tr)  # along n_hat (negative: net backward flow of a reversing sub-stepped path)
        s_new = s_n.copy()
        h = np.zeros_like(q_tr)
        sub = np.full((2,) + q_tr.shape, np.nan)  # sub-stepped points: their |dp| sum and work; NaN: one step
        # Viscoplastic flow needs time and a deviatoric stress; q_tr below 1e-12 s is elastic to round-off.
        act = (q_tr > 1e-12 * s_n) if dt > 0 else np.zeros(q_tr.shape, bool)
        if np.any(act):
            ia = np.flatnonzero(act)
            lnc = math.log(dt) + math.log(prm.A) - prm.Q_R / (T1[act] + 273.15)
            loc = _Local(prm, q_tr[act], s_n[act], G[act], lnc)
            try:
                u, s_a, h_a = _solve_local(loc)
                dp[act], s_new[act], h[act] = np.exp(u), s_a, h_a
                if self.max_substeps > 1:
                    self._refine(ia, loc, u, s_a, (state, eps_p, n_hat, T0, T1, dt), (dp, s_new, h, sub))
            except LocalSolveError as exc:  # report indices among all n points, not among the flowing ones
                raise LocalSolveError(str(exc), ia[exc.points]) from None
        deps_p = (np.sqrt(1.5) * dp)[:, None] * n_hat * ENG
        eps_p_new = eps_p + deps_p
        sigma = _iso_apply(lam, G, eps - eps_p_new)
        theta = np.where(act, 1.5 * dp / np.maximum(q_tr, 1e-300), 0.0)
        D = radial_return_tangent(lam, G, n_hat, theta, h)
        # Trapezoidal inelastic work (sigma_n+1 : d eps_p alone would be q_n+1 dp); sub-stepped points sum their
        # sub-steps' trapezoids.
        one = np.isnan(sub[0])
        w = state["w"] + np.where(one, 0.5 * np.einsum("ni,ni->n", state["sigma"] + sigma, deps_p), sub[1])
        new = {"eps": eps.copy(), "sigma": sigma, "eps_p": eps_p_new, "s": s_new,
               "p": state["p"] + np.where(one, dp, sub[0]), "w": w}
        return sigma, D, new

    def _refine(self, ia, loc: _Local, u, s_a, given, out) -> None:
        """Sub-step the flowing points ``ia`` whose one-step error exceeds the tolerance.

        ``given``: (state, eps_p, n_hat, T0, T1, dt) of the update; ``out``: its arrays (dp, s_new, h, sub: the
        accumulated |dp| and the work), overwritten at the sub-stepped points. The step-doubling estimate
        (:func:`_count`) asks for nu one-step increments' worth of accuracy; nu <= 1 leaves the backward-Euler
        step as it is. Above, the result moves, as nu goes from 1 to 2, smoothly from the one step to the
        extrapolation (:func:`_extrapolate`) of N and 2N sub-steps (:func:`_partition`), N = nu * substep_tol /
        LEVEL_ERROR (at least 1): the level whose first-order error is about LEVEL_ERROR, whose extrapolation is
        second order. All of it is continuously differentiable in q_tr, the only way the strain enters (but for
        the sign of :func:`_path_start`), and h = d Delta p / d q_tr is its exact derivative."""
        state, eps_p, n_hat, T0, T1, dt = given
        dp, s_new, h, sub = out
        prm, G, q_tr, s_n = self.params, loc.G, loc.q_tr, loc.s_n
        one = _Path(ia.size)
        one.P, one.P_q, one.s, one.s_q = dp[ia], h[ia], s_a, loc.partials(u, s_a)[3]
        one.q, one.q_q, one.p_abs = q_tr - 3.0 * G * one.P, 1.0 - 3.0 * G * one.P_q, one.P
        q0w = np.sqrt(1.5) * np.einsum("ni,ni->n", state["sigma"][ia], n_hat[ia] * ENG)
        one.w = 0.5 * (q0w + one.q) * one.P  # the one-step trapezoid
        q0 = _path_start(G, state["eps"][ia], eps_p[ia], n_hat[ia])
        args = (prm, q0, q_tr, s_n, G, T0[ia], T1[ia], dt, q0w, u)
        res = self._sub_stepped(args, one)
        if res is not None:
            r, P, P_q, s, w, p_abs = res
            j = ia[r]
            dp[j], h[j], s_new[j], sub[0, j], sub[1, j] = P, P_q, s, p_abs, w

    def _sub_stepped(self, args, one: _Path):
        """The estimate and, where it asks for more than one step, the sub-stepped solution (see _refine) of the
        points of ``args`` (:func:`_sub_steps`' arguments without nu): (rows, dp, d dp / d q_tr, s, w, p_abs) or
        None."""
        G, q_tr = args[4], args[2]
        two = _sub_steps(*args, np.full(q_tr.size, 2.0))
        nu, nu_q = _count(args[0], one, two, q_tr, args[3], G, self.substep_tol, self.hardening_tol)
        r = np.flatnonzero(nu > 1.0)
        if r.size == 0:
            return None
        nu, nu_q = nu[r], nu_q[r]
        x = self.substep_tol / LEVEL_ERROR
        N, N_q = _level(nu * x, 0.5 * self.max_substeps)
        N_q = N_q * x * nu_q
        # the pair (N, 2N); at N = 1 it is the one step and the two sub-steps of the estimate
        pa, pb = one.take(r), two.take(r)
        k = np.flatnonzero(N > 1.0)
        if k.size:
            sub = [v[r[k]] if isinstance(v, np.ndarray) else v for v in args]
            try:
                fa = _sub_steps(*sub, N[k])
                fb = _sub_steps(*sub, 2.0 * N[k])
            except LocalSolveError as exc:
                raise LocalSolveError(str(exc), r[k[exc.points]]) from None
            fa.q_q += fa.q_nu * N_q[k]
            fb.q_q += fb.q_nu * 2.0 * N_q[k]
            pa.put(k, fa)
            pb.put(k, fb)
        P, P_q, s, w, p_abs = _extrapolate(pa, pb, pa.q_q, pb.q_q, q_tr[r], G[r])
        # from the one step (nu = 1) to the extrapolation (nu >= 2): smoothstep in log2 nu
        t = np.minimum(np.log2(nu), 1.0)
        beta = t * t * (3.0 - 2.0 * t)
        beta_q = 6.0 * t * (1.0 - t) / (nu * math.log(2.0)) * nu_q
        P1, h1, s1, w1 = one.P[r], one.P_q[r], one.s[r], one.w[r]
        return (r, P1 + beta * (P - P1), h1 + beta * (P_q - h1) + beta_q * (P - P1), s1 + beta * (s - s1),
                w1 + beta * (w - w1), P1 + beta * (p_abs - P1))
