"""Anand viscoplasticity (9 constants) with implicit (backward Euler) integration and its consistent tangent.

Model (the common 9-constant form used for solders, e.g. by ANSYS and Motalab et al. 2012), von Mises
equivalent stress q = sqrt(3/2) |dev sigma| and equivalent plastic strain rate dp/dt = sqrt(2/3) |d eps_p/dt|:

    dp/dt = A exp(-Q/(R T)) sinh(xi q / s)^(1/m),    d eps_p/dt = (3/2) dp/dt dev(sigma) / q
    ds/dt = h0 |B|^a sign(B) dp/dt,   B = 1 - s/s*,   s* = s_hat ((dp/dt) exp(Q/(R T)) / A)^n

In uniaxial tension q = |sigma| and dp/dt = |d eps_p,axial/dt|, so the constants act on uniaxial quantities
directly (factor 1 between equivalent and uniaxial values). Elasticity: sigma = C(T1) (eps - eps_p), isotropic,
E(T1), nu(T1) of the material.

Backward Euler over the increment (T = T1, rate dp/dt = dp/dt_n+1 = Delta p / dt) keeps the radial-return
structure: with the elastic trial q_tr, the stress is q = q_tr - 3 G Delta p along the trial direction, and one
scalar unknown remains. We solve for u = ln(Delta p):

    psi(u) = m (u - ln c) - ln sinh(xi (q_tr - 3 G e^u) / s(u)) = 0,    c = dt A exp(-Q/(R T1)),

where s(u) solves the backward-Euler hardening equation
    g(s) = s - s_n - h0 e^u |B|^a sign(B) = 0,   B = 1 - s / s*(u),   s*(u) = s_hat exp(n (u - ln c)),
which is monotone in s with its root between s_n and s* (bracketed inner Newton). The outer Newton on psi is
safeguarded by the bracket u < ln(q_tr / 3G) (psi -> +inf there) and bisection, so any dt (from 0, elastic, to
a step far past saturation) converges. The consistent tangent follows from the converged local equations:
h = d Delta p / d q_tr = -Delta p (d psi/d q_tr) / (d psi/d u) with d s/d u from g, then the radial-return form
:func:`fcpkg_fem.constitutive.j2.radial_return_tangent`.

State: eps, sigma (Pa), eps_p (engineering shear), s (Pa), p (-), w (J/m^3, the trapezoidal inelastic work
sum of (sigma_n + sigma_n+1)/2 : d eps_p).
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

    def __init__(self, prm: AnandParams, q_tr, s_n, G, lnc):
        self.prm, self.q_tr, self.s_n, self.G, self.lnc = prm, q_tr, s_n, G, lnc

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
    # Explicit estimate (q = q_tr, s = s_n) as start, kept inside the bracket.
    u = np.minimum(loc.lnc + _lnsinh(prm.xi * loc.q_tr / loc.s_n) / prm.m, hi - _LN2)
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


@register("anand")
class Anand(PlasticModel):
    """Anand viscoplasticity; parameters in ``material.extra['anand']`` (:class:`AnandParams`)."""

    params_what = "the 9 Anand constants (s0, Q/R, A, xi, m, h0, s_hat, n, a)"

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
        dp = np.zeros_like(q_tr)
        s_new = s_n.copy()
        h = np.zeros_like(q_tr)
        # Viscoplastic flow needs time and a deviatoric stress; q_tr below 1e-12 s is elastic to round-off.
        act = (q_tr > 1e-12 * s_n) if dt > 0 else np.zeros(q_tr.shape, bool)
        if np.any(act):
            lnc = math.log(dt) + math.log(prm.A) - prm.Q_R / (T1[act] + 273.15)
            loc = _Local(prm, q_tr[act], s_n[act], G[act], lnc)
            try:
                u, s_a, h_a = _solve_local(loc)
            except LocalSolveError as exc:  # report indices among all n points, not among the flowing ones
                raise LocalSolveError(str(exc), np.flatnonzero(act)[exc.points]) from None
            dp[act], s_new[act], h[act] = np.exp(u), s_a, h_a
        deps_p = (np.sqrt(1.5) * dp)[:, None] * n_hat * ENG
        eps_p_new = eps_p + deps_p
        sigma = _iso_apply(lam, G, eps - eps_p_new)
        theta = np.where(act, 1.5 * dp / np.maximum(q_tr, 1e-300), 0.0)
        D = radial_return_tangent(lam, G, n_hat, theta, h)
        # Trapezoidal inelastic work (sigma_n+1 : d eps_p alone would be q_n+1 dp).
        w = state["w"] + 0.5 * np.einsum("ni,ni->n", state["sigma"] + sigma, deps_p)
        new = {"eps": eps.copy(), "sigma": sigma, "eps_p": eps_p_new, "s": s_new, "p": state["p"] + dp, "w": w}
        return sigma, D, new
