"""Linear viscoelasticity: generalized Maxwell (Prony) series in shear and bulk with a time-temperature shift.

Hereditary integrals in reduced time xi (d xi = dt / a_T(T)), deviatoric and volumetric parts separate:

    s(t) = 2 G_inf e(t) + sum_i h_i(t),   h_i = integral 2 G_i exp(-(xi(t) - xi')/tau_i) de/dxi' dxi'
    p(t) = K_inf theta(t) + sum_j k_j(t), k_j = integral K_j exp(-(xi(t) - xi')/tau_j) dtheta/dxi' dxi'

(e = deviatoric strain, theta = volumetric strain, s, p = deviatoric stress and pressure-like mean stress).
Recursive update (Taylor, Pister & Goudreau 1970; Simo & Hughes 1998 sec. 10.3), exact when the strain varies
linearly in reduced time over a step of reduced time d_xi:

    x_i = d_xi / tau_i,   g_i = (1 - exp(-x_i)) / x_i  (g -> 1 as x -> 0)
    h_i,n+1 = exp(-x_i) h_i,n + 2 G_i g_i (e_n+1 - e_n)           (same for k_j with K_j and theta)

An isothermal increment is one such step, d_xi = dt / a_T(T). Over an increment whose temperature changes (T linear
in time from T0 to T1) the strain is taken linear in TIME, like the temperature: the increment is split into
m = ceil(|ln a_T(T1) - ln a_T(T0)| / SUBSTEP_LN) equal time substeps (:func:`substeps`), each with its exact reduced
time d_xi_k = integral dt' / a_T(T(t')) (:func:`mean_inverse_shift`) and the strain change (e_n+1 - e_n) / m, and
the step above is composed over them in closed form (:func:`_branch_coefficients`); the error of the strain path
within a substep is second order in SUBSTEP_LN.

    h_i,n+1 = decay_i h_i,n + 2 G_i psi_i (e_n+1 - e_n),   decay_i = exp(-sum_k x_ik),
    psi_i = (1/m) sum_k g_ik exp(-sum_{l>k} x_il)

Near Tg a_T changes by decades within a 10 K increment: 1/a_T at the mid temperature misses most of the relaxation
while heating, and a strain linear in reduced time puts the strain change where the material is hottest (both
measured in docs/models.md).

Algorithmic tangent (exact, the update is linear in eps): D = 2 G_alg DEV + K_alg 1 1^T with
G_alg = G_inf + sum G_i psi_i, K_alg = K_inf + sum K_j psi_j. dt = 0 gives the glassy moduli G0, K0.

Thermal (glassy/rubbery CTE) and chemical strains stay outside: the caller passes the mechanical strain.

Also here: user data loaders (:func:`load_prony_csv`, :func:`fit_relaxation_csv`) and :func:`cure_strain`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from fcpkg_fem.constitutive.base import DEV, ONE, Model, equivalent_strain, model_params, register
from fcpkg_fem.errors import InputError
from fcpkg_fem.materials.model import CureShrinkage, Material, PronyParams

__all__ = ["Viscoelastic", "cure_strain", "mean_inverse_shift"]

# Composite Gauss-Legendre rule for mean_inverse_shift: GL_POINTS nodes per panel; a panel spans at most PANEL_LN in
# ln(1/a_T) and at most its distance from the pole of the Jacobian 1/v^2 at v = 0 (8 nodes: within 1e-14 of a
# 30-digit quadrature on ramps up to 300 K across Tg; PANEL_LN = 4 gave 1e-11); the part of the ramp where 1/a_T is
# below exp(-TAIL_LN) times its largest value is left out (relative contribution < 1e-17).
GL_POINTS = 8
PANEL_LN = 2.0
TAIL_LN = 40.0
# An increment whose temperature changes is split into equal time substeps over which ln a_T changes by SUBSTEP_LN
# on average: the strain, linear in time over the increment, is then taken linear in reduced time only within a
# substep (module docstring; 0.25 puts one increment's branch stress within 0.9 % of the exact hereditary integral
# on ramps through Tg, tests/unit/test_constitutive.py).
SUBSTEP_LN = 0.25
MAX_SUBSTEPS = 400  # bounds the work of a ramp out of the WLF frozen range (ln a_T infinite there)
_GL_Y, _GL_W = np.polynomial.legendre.leggauss(GL_POINTS)
_GL_Y, _GL_W = 0.5 * (_GL_Y + 1.0), 0.5 * _GL_W


def _phi(x: np.ndarray) -> np.ndarray:
    """(1 - exp(-x)) / x, = 1 at x = 0 (x >= 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x > 0, -np.expm1(-x) / np.where(x > 0, x, 1.0), 1.0)


def _tdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tensor contraction a:b of stress-like Voigt vectors along the last axis."""
    return np.sum(a[..., :3] * b[..., :3], axis=-1) + 2.0 * np.sum(a[..., 3:] * b[..., 3:], axis=-1)


def _dissipation_weights(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights of |a|^2, a.d and |d|^2 in (1/tau) integral_0^dxi |h(xi)|^2 dxi.

    h(xi) = exp(-xi/tau) a + d (1 - exp(-xi/tau)) / x is the branch stress within the increment (a its start
    value, d the instantaneous jump 2 G_i de or K_i dtheta). Exact:
        (1 - e^{-2x})/2 |a|^2 + (1 - e^{-x})^2 / x (a.d) + (2x - 3 + 4 e^{-x} - e^{-2x}) / (2 x^2) |d|^2,
    the last weight by its series x/3 - x^2/4 + 7 x^3/60 below x = 1e-3 (cancellation).
    """
    E1 = -np.expm1(-x)
    E2 = -np.expm1(-2.0 * x)
    xs = np.where(x > 0, x, 1.0)
    w_aa = 0.5 * E2
    w_ad = np.where(x > 0, E1**2 / xs, 0.0)
    direct = (2.0 * xs - 3.0 + 4.0 * np.exp(-xs) - np.exp(-2.0 * xs)) / (2.0 * xs**2)
    series = x / 3.0 - x**2 / 4.0 + 7.0 * x**3 / 60.0
    w_dd = np.where(x < 1e-3, series, direct)
    return w_aa, w_ad, w_dd


def _piece_integral(a: float, b: float, ua: np.ndarray, ub: np.ndarray, length: np.ndarray) -> np.ndarray:
    """integral of exp(a + b/u) du from ua to ub (arrays, 0 <= ua < ub; ``length`` = ub - ua taken from the
    temperatures, free of the round-off of adding the offset s).

    In v = 1/u the exponent is linear: the integral is that of exp(a + b v) / v^2 over [1/ub, 1/ua], done by a
    composite Gauss-Legendre rule from the end where 1/a_T is largest, over at most TAIL_LN / |b| of v.
    """
    if b == 0.0:
        return math.exp(a) * length
    with np.errstate(divide="ignore"):
        dv = length / (ua * ub)  # = 1/ua - 1/ub without cancellation; inf where ua = 0 (frozen end)
        start = 1.0 / ub if b < 0 else 1.0 / ua
    L = np.minimum(dv, TAIL_LN / abs(b))
    step = L if b < 0 else -L
    v_min = start if b < 0 else start - L
    panels = np.ceil(np.maximum(np.maximum(abs(b) * L / PANEL_LN, L / v_min), 1.0)).astype(np.int64)
    out = np.empty(L.shape)
    for P in np.unique(panels):  # rows grouped by panel count: each row's result depends on that row alone
        r = np.nonzero(panels == P)[0]
        y = ((np.arange(P)[:, None] + _GL_Y[None, :]) / P).ravel()  # nodes on [0, 1]
        v = start[r, None] + step[r, None] * y[None, :]
        out[r] = L[r] * np.sum(np.exp(a + b * v) / v**2 * np.tile(_GL_W / P, P), axis=1)
    return out


def mean_inverse_shift(params: PronyParams, T0: Any, T1: Any) -> np.ndarray:
    """Mean of 1/a_T over a temperature ramp linear in time from T0 to T1 (degC, broadcast): d xi = dt times this.

    1/(T1 - T0) integral_T0^T1 dT / a_T(T) by a composite Gauss-Legendre rule in 1/(T + s), in which ln(1/a_T)
    is linear on each piece of :meth:`PronyParams.shift_pieces` (split at Tg); within 1e-13 relative of a 30-digit
    quadrature (tests/unit/test_constitutive.py). 1/a_T(T0) where T1 = T0 (0 where frozen).
    """
    T0, T1 = np.broadcast_arrays(np.asarray(T0, float), np.asarray(T1, float))
    lo, hi = np.minimum(T0, T1).ravel(), np.maximum(T0, T1).ravel()
    span = hi - lo
    with np.errstate(over="ignore"):
        aT = params.shift_factor(lo)
    out = np.where(np.isfinite(aT), 1.0 / aT, 0.0)
    ramp = np.nonzero(span > 0)[0]
    if ramp.size:
        lo, hi = lo[ramp], hi[ramp]
        total = np.zeros(ramp.size)
        for p_lo, p_hi, a, b, s in params.shift_pieces():
            Ta = np.maximum(np.maximum(lo, p_lo), -s)  # u = T + s > 0: the WLF piece is frozen below
            Tb = np.minimum(hi, p_hi)
            m = np.nonzero(Tb > Ta)[0]
            if m.size:
                total[m] += _piece_integral(a, b, Ta[m] + s, Tb[m] + s, Tb[m] - Ta[m])
        out[ramp] = total / span[ramp]
    return out.reshape(T0.shape)


def reduced_time(params: PronyParams, T0: Any, T1: Any, dt: Any) -> np.ndarray:
    """d xi (s) over increments of length dt (s) with T linear in time from T0 to T1 (degC; all broadcast):
    dt / a_T(T0) where T1 = T0 (0 where frozen), dt times :func:`mean_inverse_shift` otherwise."""
    T0, T1, dt = np.broadcast_arrays(np.asarray(T0, float), np.asarray(T1, float), np.asarray(dt, float))
    shape = T0.shape
    T0, T1, dt = T0.ravel(), T1.ravel(), dt.ravel()
    with np.errstate(over="ignore"):
        aT = params.shift_factor(T0)
    out = np.where(np.isfinite(aT), dt / aT, 0.0)
    ramp = np.nonzero(T1 != T0)[0]
    if ramp.size:
        out[ramp] = dt[ramp] * mean_inverse_shift(params, T0[ramp], T1[ramp])
    return out.reshape(shape)


def substeps(params: PronyParams, T0: np.ndarray, T1: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Split increments (T0 -> T1 (p,) linear in time over dt) into m = ceil(|ln a_T(T1) - ln a_T(T0)| / SUBSTEP_LN)
    equal time substeps (1 <= m <= MAX_SUBSTEPS; 1 when isothermal, instantaneous or frozen at both ends).

    Returns the reduced-time increments (p, M) of the substeps and the fraction of the increment's strain change
    each carries (1/m; the rows are padded to M = max m with zeros in both).
    """
    T0, T1 = np.atleast_1d(np.asarray(T0, float)), np.atleast_1d(np.asarray(T1, float))
    with np.errstate(over="ignore", invalid="ignore"):
        d = np.abs(params.log10_shift(T1) - params.log10_shift(T0)) * math.log(10.0)
    d = np.where(np.isnan(d) | (T1 == T0) | (dt == 0), 0.0, d)  # nan: frozen at both ends; dt = 0: no relaxation
    m = np.clip(np.ceil(d / SUBSTEP_LN), 1, MAX_SUBSTEPS).astype(np.int64)
    M = int(m.max()) if m.size else 1
    k = np.arange(M)[None, :]
    live = k < m[:, None]
    frac = np.where(live, 1.0 / m[:, None], 0.0)
    dT = (T1 - T0)[:, None]
    Ta = T0[:, None] + dT * (k / m[:, None])
    Tb = np.where(k + 1 == m[:, None], T1[:, None], T0[:, None] + dT * ((k + 1) / m[:, None]))
    dxi = np.zeros(live.shape)
    dxi[live] = reduced_time(params, Ta[live], Tb[live], (dt / m[:, None] * live)[live])
    return dxi, frac


def _branch_coefficients(dxi: np.ndarray, frac: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, ...]:
    """Update coefficients (p, N) of branches with relaxation times tau (N,) over increments split into substeps
    (reduced times dxi (p, M), strain fractions frac (p, M); see :func:`substeps`), the strain linear in reduced
    time within each substep.

    Returns (decay, psi, A, B, C): the branch stress at the end is decay h_n + psi d and the work dissipated in it
    A |h_n|^2 + B h_n.d + C |d|^2 (times 1/(2 G) or 1/K), h_n its start value, d the instantaneous jump (2 G de or
    K dtheta). One substep: decay = exp(-x), psi = (1 - exp(-x))/x and the weights of :func:`_dissipation_weights`.
    """
    x = dxi[:, None, :] / tau[None, :, None]  # (p, N, M)
    shape = x.shape[:2]
    E, psi = np.ones(shape), np.zeros(shape)  # decay since the increment's start, branch stress per unit d
    A, B, C = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for k in range(x.shape[2]):
        xk, fk = x[:, :, k], frac[:, k, None]
        waa, wad, wdd = _dissipation_weights(xk)
        A = A + waa * E**2
        B = B + 2.0 * waa * E * psi + wad * E * fk
        C = C + waa * psi**2 + wad * psi * fk + wdd * fk**2
        ek = np.exp(-xk)
        psi = ek * psi + _phi(xk) * fk
        E = E * ek
    return E, psi, A, B, C


@register("viscoelastic")
class Viscoelastic(Model):
    """Prony-series viscoelasticity; parameters in ``material.extra['prony']`` (:class:`PronyParams`).

    State: ``eps`` (n, 6) strain at the end of the last increment, ``hG`` (n, N_G, 6) branch deviatoric stresses
    (stress-like Voigt, Pa), ``hK`` (n, N_K) branch mean stresses (Pa), ``w`` (n,) dissipated work density
    (J/m^3), exact for the assumed strain history (linear in reduced time within each substep): sum over branches
    of integral |h_i|^2 / (2 G_i tau_i) dxi (shear) and integral k_j^2 / (K_j tau_j) dxi (bulk).
    """

    inelastic = True
    fixed_tangent = True  # D depends on T0, T1, dt and the committed state only: linear in the strain

    def __init__(self, params: PronyParams, material: Material | None = None):
        self.params = params
        self.material = material
        self._G = np.array(params.G, float)
        self._tG = np.array(params.tau_G, float)
        self._K = np.array(params.K, float)
        self._tK = np.array(params.tau_K, float)
        self._taus, where = np.unique(np.r_[self._tG, self._tK], return_inverse=True)
        self._iG, self._iK = where[:self._tG.size], where[self._tG.size:]
        self._last = None  # (key, inv, coefficients) of the last distinct (dt, T0, T1): see _coefficients

    @classmethod
    def from_material(cls, material: Material) -> "Viscoelastic":
        return cls(model_params(material, "prony", "a Prony series (PronyParams: G(t), K(t), shift constants)"),
                   material)

    def init_state(self, n):
        return {"eps": np.zeros((n, 6)), "hG": np.zeros((n, self._G.size, 6)), "hK": np.zeros((n, self._K.size)),
                "w": np.zeros(n)}

    def reduced_time_increment(self, T0: Any, T1: Any, dt: float) -> np.ndarray:
        """d xi = integral_0^dt dt' / a_T(T(t')) (s), T linear in time from T0 to T1 (:func:`mean_inverse_shift`);
        dt / a_T(T0) when T1 = T0, 0 where the material is frozen (a_T = inf)."""
        T0, T1 = np.broadcast_arrays(np.asarray(T0, float), np.asarray(T1, float))
        shape = T0.shape
        if T0.size > 1 and np.all(T0 == T0.flat[0]) and np.all(T1 == T1.flat[0]):  # uniform: evaluate once
            return np.full(shape, float(reduced_time(self.params, T0.flat[0], T1.flat[0], dt)))
        return reduced_time(self.params, T0, T1, dt)

    def _coefficients(self, T0: np.ndarray, T1: np.ndarray, dt: float) -> list[tuple[np.ndarray, ...]]:
        """(decay, psi, A, B, C) of :func:`_branch_coefficients` per point (n, N_G) for the shear branches and
        (n, N_K) for the bulk ones; computed once per distinct (T0, T1) pair (n,)."""
        uniform = T0.size > 0 and np.all(T0 == T0[0]) and np.all(T1 == T1[0])
        key = (dt, T0[0], T1[0]) if uniform else (dt, T0.tobytes(), T1.tobytes())
        if self._last is not None and self._last[0] == key:  # the solver's iterations repeat T0, T1 and dt
            inv, coef = self._last[1:]
        else:
            if uniform:
                P0, P1, inv = T0[:1], T1[:1], None
            else:
                pairs, inv = np.unique(np.stack([T0, T1], axis=1), axis=0, return_inverse=True)
                P0, P1, inv = pairs[:, 0], pairs[:, 1], inv.reshape(-1)
            dxi, frac = substeps(self.params, P0, P1, dt)
            coef = _branch_coefficients(dxi, frac, self._taus)  # per distinct relaxation time (G, K often share)
            self._last = (key, inv, coef)
        if uniform:  # broadcast views, but psi (used in a matrix product: same summation as unshared rows) copied
            return [tuple(np.repeat(c[:, cols], T0.size, axis=0) if j == 1 else
                          np.broadcast_to(c[0, cols], (T0.size, cols.size)) for j, c in enumerate(coef))
                    for cols in (self._iG, self._iK)]
        return [tuple(c[inv[:, None], cols[None, :]] for c in coef) for cols in (self._iG, self._iK)]

    def update(self, eps, T0, T1, dt, state):
        eps, T0, T1, dt = self._prepare(eps, T0, T1, dt)
        prm = self.params
        (eG, gG, aG, bG, cG), (eK, gK, aK, bK, cK) = self._coefficients(T0, T1, dt)  # each (n, N)
        de = eps - state["eps"]
        dev_de = de @ DEV.T  # deviatoric strain increment as a stress-like vector over 2G
        dth = de[:, :3].sum(axis=1)
        dG = 2.0 * self._G[None, :, None] * dev_de[:, None, :]  # instantaneous branch jumps (n, N_G, 6)
        dK = self._K[None, :] * dth[:, None]
        hG_old, hK_old = state["hG"], state["hK"]
        hG = eG[:, :, None] * hG_old + gG[:, :, None] * dG
        hK = eK * hK_old + gK * dK
        sigma = (2.0 * prm.G_inf) * (eps @ DEV.T) + (prm.K_inf * eps[:, :3].sum(axis=1))[:, None] * ONE
        sigma = sigma + hG.sum(axis=1) + hK.sum(axis=1)[:, None] * ONE
        G_alg = prm.G_inf + gG @ self._G
        K_alg = prm.K_inf + gK @ self._K
        D = 2.0 * G_alg[:, None, None] * DEV + K_alg[:, None, None] * np.outer(ONE, ONE)
        # Dissipation in the dashpots over the increment (exact for the assumed strain path).
        with np.errstate(divide="ignore", invalid="ignore"):
            sG = np.where(self._G > 0, 1.0 / (2.0 * np.where(self._G > 0, self._G, 1.0)), 0.0)
            sK = np.where(self._K > 0, 1.0 / np.where(self._K > 0, self._K, 1.0), 0.0)
        dw = ((aG * _tdot(hG_old, hG_old) + bG * _tdot(hG_old, dG) + cG * _tdot(dG, dG)) * sG).sum(axis=1)
        dw += ((aK * hK_old**2 + bK * hK_old * dK + cK * dK**2) * sK).sum(axis=1)
        new = {"eps": eps.copy(), "hG": hG, "hK": hK, "w": state["w"] + dw}
        return sigma, D, new

    def stress(self, state) -> np.ndarray:
        """Stress (n, 6) Pa held by a state."""
        prm = self.params
        eps = state["eps"]
        s = (2.0 * prm.G_inf) * (eps @ DEV.T) + (prm.K_inf * eps[:, :3].sum(axis=1))[:, None] * ONE
        return s + state["hG"].sum(axis=1) + state["hK"].sum(axis=1)[:, None] * ONE

    def inelastic_strain(self, state):
        """Delayed strain eps - S0 sigma (n, 6), engineering shear; S0 = glassy compliance (from G0, K0).

        Zero right after an instantaneous load, it grows as the material relaxes or creeps.
        """
        prm = self.params
        sig = self.stress(state)
        pm = sig[:, :3].mean(axis=1)
        el = np.empty_like(sig)
        el[:, :3] = (sig[:, :3] - pm[:, None]) / (2.0 * prm.G0) + (pm / (3.0 * prm.K0))[:, None]
        el[:, 3:] = sig[:, 3:] / prm.G0
        return state["eps"] - el

    def equivalent_inelastic_strain(self, state):
        """Current von Mises equivalent of the delayed strain (n,) (not a running sum: it recovers on unloading)."""
        return equivalent_strain(self.inelastic_strain(state))

    def inelastic_work(self, state):
        return state["w"]


# ----------------------------------------------------------------------------------------------------------------
# User data
# ----------------------------------------------------------------------------------------------------------------

def cure_strain(material: Material, degree_of_cure: Any) -> np.ndarray:
    """Chemical (cure shrinkage) strain [xx, yy, zz] to add to the thermal strain during a cure step.

    Uses ``material.extra['cure_shrinkage']`` (:class:`CureShrinkage`); zeros if the material has none.
    Shape ``atleast_1d(degree_of_cure).shape + (3,)``; ``degree_of_cure`` in [0, 1] (1 = a step to full cure).
    """
    cs = material.extra.get("cure_shrinkage")
    deg = np.atleast_1d(np.asarray(degree_of_cure, dtype=float))
    if cs is None:
        return np.zeros(deg.shape + (3,))
    if not isinstance(cs, CureShrinkage):
        raise InputError.single(f"materials.{material.name}.cure_shrinkage",
                                f"expected CureShrinkage parameters, got {type(cs).__name__}")
    return cs.strain(deg)
