"""J2 (von Mises) plasticity: temperature-dependent yield, linear (+ optional tabulated) isotropic and linear
kinematic hardening.

Total form: sigma = C(T1) (eps - eps_p), isotropic C from the material's E(T), nu(T) at the end temperature.
Return mapping (radial return, backward Euler; Simo & Taylor 1985, Simo & Hughes 1998 ch. 3):

    xi_tr = dev(C(T1)(eps - eps_p_n)) - beta_n,   q_tr = sqrt(3/2) |xi_tr|,   n = xi_tr / |xi_tr|
    f_tr  = q_tr - sigma_y(T1) - H_iso(T1) p_n - R(p_n)
    f_tr <= 0: elastic step;   else  dp = f_tr / (3G + H_iso + H_kin)   (R = 0), or, with a tabulated
    piecewise-linear R(p), the exact root of f_tr - (3G + H_iso + H_kin) dp - (R(p_n + dp) - R(p_n)) = 0
    d eps_p = sqrt(3/2) dp n (tensor),   beta += sqrt(2/3) H_kin dp n,   p += dp

Consistent (algorithmic) tangent, engineering-shear Voigt (DEV = deviatoric projector):

    D = C - (6 G^2 dp / q_tr) (I_dev - n n) - (6 G^2 / (3G + H)) n n,   H = H_iso + H_kin + R'(p_n+1)
    (:func:`radial_return_tangent`; elastic points get D = C).

State: eps, sigma (Pa), eps_p (engineering shear), beta (stress-like Voigt, Pa), p (-),
w (J/m^3: sum of (sigma_n + sigma_n+1)/2 : d eps_p, the trapezoidal plastic work).
"""

from __future__ import annotations

import numpy as np

from fcpkg_fem.constitutive.base import DEV, ENG, PlasticModel, register, tensor_norm

_TINY = 1e-300


def _iso_into(D: np.ndarray, K: np.ndarray, twoG: np.ndarray) -> np.ndarray:
    """D += K 1x1 + twoG DEV in place (small temporaries only: this runs on every quadrature point)."""
    D[:, :3, :3] += (K - twoG / 3.0)[:, None, None]
    i3 = np.arange(3)
    D[:, i3, i3] += twoG[:, None]
    D[:, i3 + 3, i3 + 3] += 0.5 * twoG[:, None]
    return D


#: Smallest deviatoric tangent modulus kept, as a fraction of the elastic 2G (see radial_return_tangent).
TANGENT_FLOOR = 1e-6


def radial_return_tangent(lam: np.ndarray, G: np.ndarray, n_hat: np.ndarray, theta: np.ndarray,
                          h: np.ndarray) -> np.ndarray:
    """Algorithmic tangent of a radial-return update with a deviatoric, coaxial flow.

        D = K 1x1 + 2G DEV - 4G^2 theta (DEV - n n) - 6 G^2 h n n,   K = lam + 2G/3 (bulk modulus),

    where theta = (3/2) dp / q_tr, n the unit flow direction (stress-like Voigt) and h = d dp / d q_tr.
    n . de (Voigt dot product with an engineering-shear strain) equals the tensor contraction n : de.

    Its two deviatoric moduli, 2G (1 - 2G theta) across the flow direction and 2G (1 - 3G h) along it, vanish when
    the flow absorbs the whole deviatoric trial stress within the increment (an Anand point flowing without bound,
    as the free-standing balls of reference_reflow did at 250-260 degC before solder melting was modelled). A part
    with no other stiffness then has zero-stiffness shear modes and the global tangent is singular (PARDISO's
    Cholesky stops with MKL error -4). Both moduli are therefore kept at least ``TANGENT_FLOOR`` * 2G: the tangent
    stays positive definite, and it changes only where it has fallen a million times below the elastic one, so
    the stress, the residual and the converged answer are untouched. (The floor alone did not save that reflow:
    the balls kept flowing and the tangent became too ill-conditioned for an accurate solve; melting did.)

    Args:
        lam, G: (n,) Lame constants (Pa). n_hat: (n, 6) unit deviatoric direction (tensor norm 1).
        theta: (n,) (3/2) dp / q_tr (1/Pa). h: (n,) d dp / d q_tr (1/Pa).

    Returns:
        (n, 6, 6) Pa, for engineering-shear strain increments.
    """
    floor = TANGENT_FLOOR * 2.0 * G
    across = np.maximum(2.0 * G - 4.0 * G**2 * theta, floor)
    along = np.maximum(2.0 * G - 6.0 * G**2 * h, floor)
    D = ((along - across)[:, None] * n_hat)[:, :, None] * n_hat[:, None, :]
    return _iso_into(D, lam + 2.0 * G / 3.0, across)


def isotropic_stiffness_matrix(lam: np.ndarray, G: np.ndarray) -> np.ndarray:
    """(n, 6, 6) isotropic Voigt stiffness K 1x1 + 2G DEV (= lam 1x1 + 2G I_sym), engineering shear."""
    return _iso_into(np.zeros(lam.shape + (6, 6)), lam + 2.0 * G / 3.0, 2.0 * G)


def _iso_apply(lam: np.ndarray, G: np.ndarray, e: np.ndarray) -> np.ndarray:
    """C e = lam tr(e) 1 + 2G e_normal, G gamma (isotropic), for engineering-shear strains e (n, 6)."""
    out = np.empty_like(e)
    tr = e[:, :3].sum(axis=1)
    out[:, :3] = (lam * tr)[:, None] + 2.0 * G[:, None] * e[:, :3]
    out[:, 3:] = G[:, None] * e[:, 3:]
    return out


def _piecewise_return(f_tr: np.ndarray, p_n: np.ndarray, a: np.ndarray, R) -> tuple[np.ndarray, np.ndarray]:
    """Exact return for a piecewise-linear hardening curve R(p).

    f(dp) = f_tr - a dp - (R(p_n + dp) - R(p_n)) is piecewise linear and decreasing; walk the breakpoints above
    p_n until f changes sign, then solve on that segment. Returns dp and the slope R' of the segment (for the
    tangent; 0 beyond the last point). Points with f_tr <= 0 get dp <= 0 (the caller masks them).
    """
    lo = np.zeros_like(p_n)
    f_lo = f_tr.copy()
    R_lo = R(p_n)
    dp = np.full_like(p_n, np.nan)
    slope = np.zeros_like(p_n)
    for Pk, Rk in zip(R.T_C, R.values):
        ahead = np.isnan(dp) & (Pk > p_n + lo)
        if not np.any(ahead):
            continue
        d = Pk - p_n
        r = (Rk - R_lo) / np.where(ahead, d - lo, 1.0)
        f_k = f_lo - (a + r) * (d - lo)
        hit = ahead & (f_k <= 0)
        dp = np.where(hit, lo + f_lo / (a + r), dp)
        slope = np.where(hit, r, slope)
        move = ahead & ~hit
        lo, f_lo, R_lo = np.where(move, d, lo), np.where(move, f_k, f_lo), np.where(move, Rk, R_lo)
    rest = np.isnan(dp)
    dp = np.where(rest, lo + f_lo / a, dp)  # beyond the last point: no further isotropic hardening from R
    return dp, slope


@register("j2")
class J2(PlasticModel):
    """J2 plasticity; parameters in ``material.extra['j2']`` (:class:`~fcpkg_fem.materials.params.J2Params`)."""

    params_what = "J2 plasticity parameters (yield stress table and hardening)"

    def init_state(self, n):
        z6 = np.zeros((n, 6))
        return {"eps": z6, "sigma": z6.copy(), "eps_p": z6.copy(), "beta": z6.copy(), "p": np.zeros(n),
                "w": np.zeros(n)}

    def update(self, eps, T0, T1, dt, state):
        eps, T0, T1, dt = self._prepare(eps, T0, T1, dt)
        lam, G = self.elastic.lame(T1)
        prm = self.params
        sy, Hi, Hk = prm.sigma_y(T1), prm.H_iso(T1), prm.H_kin(T1)
        eps_p, beta, p = state["eps_p"], state["beta"], state["p"]
        ee = eps - eps_p
        s_tr = 2.0 * G[:, None] * (ee @ DEV.T)
        xi_tr = s_tr - beta
        nrm = tensor_norm(xi_tr)
        q_tr = np.sqrt(1.5) * nrm
        R = prm.hardening_curve
        f_tr = q_tr - (sy + Hi * p + (R(p) if R is not None else 0.0))
        # Relative tolerance keeps points exactly on the yield surface (after a converged step) elastic.
        plastic = f_tr > 1e-12 * sy
        if R is None:
            slope = np.zeros_like(p)
            dp = np.where(plastic, f_tr / (3.0 * G + Hi + Hk), 0.0)
        else:
            dp, slope = _piecewise_return(f_tr, p, 3.0 * G + Hi + Hk, R)
            dp = np.where(plastic, dp, 0.0)
        n_hat = xi_tr / np.maximum(nrm, _TINY)[:, None]
        deps_p = (np.sqrt(1.5) * dp)[:, None] * n_hat * ENG
        eps_p_new = eps_p + deps_p
        beta_new = beta + (np.sqrt(2.0 / 3.0) * Hk * dp)[:, None] * n_hat
        sigma = _iso_apply(lam, G, eps - eps_p_new)
        theta = np.where(plastic, 1.5 * dp / np.maximum(q_tr, _TINY), 0.0)
        h = np.where(plastic, 1.0 / (3.0 * G + Hi + Hk + slope), 0.0)
        D = radial_return_tangent(lam, G, n_hat, theta, h)
        # Trapezoidal plastic work (exact along a linear-hardening step that starts on the yield surface).
        w = state["w"] + 0.5 * np.einsum("ni,ni->n", state["sigma"] + sigma, deps_p)
        new = {"eps": eps.copy(), "sigma": sigma, "eps_p": eps_p_new, "beta": beta_new, "p": p + dp, "w": w}
        return sigma, D, new
