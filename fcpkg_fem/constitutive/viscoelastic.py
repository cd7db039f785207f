"""Linear viscoelasticity: generalized Maxwell (Prony) series in shear and bulk with a time-temperature shift.

Hereditary integrals in reduced time xi (d xi = dt / a_T(T)), deviatoric and volumetric parts separate:

    s(t) = 2 G_inf e(t) + sum_i h_i(t),   h_i = integral 2 G_i exp(-(xi(t) - xi')/tau_i) de/dxi' dxi'
    p(t) = K_inf theta(t) + sum_j k_j(t), k_j = integral K_j exp(-(xi(t) - xi')/tau_j) dtheta/dxi' dxi'

(e = deviatoric strain, theta = volumetric strain, s, p = deviatoric stress and pressure-like mean stress).
Recursive update (Taylor, Pister & Goudreau 1970; Simo & Hughes 1998 sec. 10.3), exact when the strain varies
linearly in reduced time over the increment:

    x_i = d_xi / tau_i,   g_i = (1 - exp(-x_i)) / x_i  (g -> 1 as x -> 0)
    h_i,n+1 = exp(-x_i) h_i,n + 2 G_i g_i (e_n+1 - e_n)           (same for k_j with K_j and theta)
    d_xi = dt / a_T(T_mid),   T_mid = (T0 + T1) / 2

Algorithmic tangent (exact, the update is linear in eps): D = 2 G_alg DEV + K_alg 1 1^T with
G_alg = G_inf + sum G_i g_i, K_alg = K_inf + sum K_j g_j. dt = 0 gives the glassy moduli G0, K0.

Thermal (glassy/rubbery CTE) and chemical strains stay outside: the caller passes the mechanical strain.

Also here: user data loaders (:func:`load_prony_csv`, :func:`fit_relaxation_csv`) and :func:`cure_strain`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fcpkg_fem.constitutive.base import DEV, ONE, Model, equivalent_strain, model_params, register
from fcpkg_fem.errors import InputError
from fcpkg_fem.materials.model import CureShrinkage, Material, PronyParams

__all__ = ["Viscoelastic", "cure_strain"]


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


@register("viscoelastic")
class Viscoelastic(Model):
    """Prony-series viscoelasticity; parameters in ``material.extra['prony']`` (:class:`PronyParams`).

    State: ``eps`` (n, 6) strain at the end of the last increment, ``hG`` (n, N_G, 6) branch deviatoric stresses
    (stress-like Voigt, Pa), ``hK`` (n, N_K) branch mean stresses (Pa), ``w`` (n,) dissipated work density
    (J/m^3), exact for the piecewise-linear-in-reduced-time strain history: sum over branches of
    integral |h_i|^2 / (2 G_i tau_i) dxi (shear) and integral k_j^2 / (K_j tau_j) dxi (bulk).
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

    @classmethod
    def from_material(cls, material: Material) -> "Viscoelastic":
        return cls(model_params(material, "prony", "a Prony series (PronyParams: G(t), K(t), shift constants)"),
                   material)

    def init_state(self, n):
        return {"eps": np.zeros((n, 6)), "hG": np.zeros((n, self._G.size, 6)), "hK": np.zeros((n, self._K.size)),
                "w": np.zeros(n)}

    def reduced_time_increment(self, T0: Any, T1: Any, dt: float) -> np.ndarray:
        """d xi = dt / a_T((T0 + T1)/2) (s); 0 where the material is frozen (a_T = inf)."""
        aT = self.params.shift_factor(0.5 * (np.asarray(T0, float) + np.asarray(T1, float)))
        return np.where(np.isfinite(aT), dt / aT, 0.0)

    def update(self, eps, T0, T1, dt, state):
        eps, T0, T1, dt = self._prepare(eps, T0, T1, dt)
        prm = self.params
        dxi = self.reduced_time_increment(T0, T1, dt)  # (n,)
        xG = dxi[:, None] / self._tG[None, :]
        xK = dxi[:, None] / self._tK[None, :]
        gG, gK = _phi(xG), _phi(xK)
        de = eps - state["eps"]
        dev_de = de @ DEV.T  # deviatoric strain increment as a stress-like vector over 2G
        dth = de[:, :3].sum(axis=1)
        dG = 2.0 * self._G[None, :, None] * dev_de[:, None, :]  # instantaneous branch jumps (n, N_G, 6)
        dK = self._K[None, :] * dth[:, None]
        hG_old, hK_old = state["hG"], state["hK"]
        hG = np.exp(-xG)[:, :, None] * hG_old + gG[:, :, None] * dG
        hK = np.exp(-xK) * hK_old + gK * dK
        sigma = (2.0 * prm.G_inf) * (eps @ DEV.T) + (prm.K_inf * eps[:, :3].sum(axis=1))[:, None] * ONE
        sigma = sigma + hG.sum(axis=1) + hK.sum(axis=1)[:, None] * ONE
        G_alg = prm.G_inf + gG @ self._G
        K_alg = prm.K_inf + gK @ self._K
        D = 2.0 * G_alg[:, None, None] * DEV + K_alg[:, None, None] * np.outer(ONE, ONE)
        # Dissipation in the dashpots over the increment (exact for the assumed strain path).
        waa, wad, wdd = _dissipation_weights(xG)
        with np.errstate(divide="ignore", invalid="ignore"):
            cG = np.where(self._G > 0, 1.0 / (2.0 * np.where(self._G > 0, self._G, 1.0)), 0.0)
            cK = np.where(self._K > 0, 1.0 / np.where(self._K > 0, self._K, 1.0), 0.0)
        dw = ((waa * _tdot(hG_old, hG_old) + wad * _tdot(hG_old, dG) + wdd * _tdot(dG, dG)) * cG).sum(axis=1)
        waa, wad, wdd = _dissipation_weights(xK)
        dw += ((waa * hK_old**2 + wad * hK_old * dK + wdd * dK**2) * cK).sum(axis=1)
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
