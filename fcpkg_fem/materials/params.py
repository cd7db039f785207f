"""Parameters of the nonlinear material models (used by :mod:`fcpkg_fem.constitutive`), in internal units.

:class:`AnandParams` (viscoplastic solder), :class:`PronyParams` (linear viscoelasticity with a time shift),
:class:`J2Params` (plasticity) and :class:`CureShrinkage` (chemical strain); a material carries them in
``Material.extra`` by model name.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from fcpkg_fem.materials.table import Table, _T_array, as_table

__all__ = ["AnandParams", "PronyParams", "J2Params", "CureShrinkage"]


@dataclass(frozen=True)
class AnandParams:
    """Anand viscoplastic constants (internal units), as used in the common 9-constant form.

    Flow: d eps_p/dt = A exp(-Q/(R T)) [sinh(xi sigma/s)]^(1/m); evolution
    ds/dt = h0 |1 - s/s*|^a sign(1 - s/s*) d eps_p/dt, s* = s_hat (d eps_p/dt / A exp(Q/(R T)))^n.

    Attributes:
        s0: initial deformation resistance (Pa). Q_R: activation energy over gas constant (K). A: (1/s).
        xi: stress multiplier (-). m: strain-rate sensitivity (-). h0: hardening constant (Pa).
        s_hat: saturation coefficient (Pa). n: saturation exponent (-). a: hardening exponent (-).
        source: where the constants come from.
    """

    s0: float
    Q_R: float
    A: float
    xi: float
    m: float
    h0: float
    s_hat: float
    n: float
    a: float
    source: str = ""

    def steady_state_stress(self, strain_rate: Any, T_C: Any) -> np.ndarray:
        """Saturation stress (Pa) at constant inelastic strain rate (1/s) and temperature (degC).

        z = (rate/A) exp(Q/(R T)), s* = s_hat z^n, sigma_sat = (s*/xi) asinh(z^m).
        """
        rate = np.asarray(strain_rate, dtype=float)
        T_K = np.asarray(T_C, dtype=float) + 273.15
        z = rate / self.A * np.exp(self.Q_R / T_K)
        return self.s_hat * z**self.n / self.xi * np.arcsinh(z**self.m)

    STEADY_STATE_KEYS = ("A", "Q_R", "xi", "m", "s_hat", "n")
    """The constants the steady state depends on; s0, h0 and a act only on the transient."""

    def refit_steady_state(self, T_C: Any, strain_rate: Any, stress: Any, free: tuple[str, ...] = ("s_hat",),
                           source: str = "") -> "AnandParams":
        """These constants with ``free`` ones refit so that the steady state matches measured saturation stresses.

        Least squares on the relative misfit ln(sigma_sat / stress) over the data points, each free constant
        varied through its logarithm (all are positive); the others are kept. With ``free = ("s_hat",)``, the
        default, sigma_sat is proportional to s_hat, so the fit scales the whole steady-state surface by one
        factor (the geometric mean of measured/model) and leaves the rate and temperature sensitivities and the
        transient (s0, h0, a) as they were.

        Args:
            T_C, strain_rate, stress: the measured points, broadcast together: temperature (degC), constant
                inelastic strain rate (1/s) and saturation stress (Pa), shape (k,).
            free: names among :attr:`STEADY_STATE_KEYS`, at most k of them.
            source: appended to this set's source to say where the measured points come from.

        Returns:
            A new :class:`AnandParams`; its ``source`` names the refit constants, the data and the largest misfit.
        """
        from scipy.optimize import least_squares

        T, rate, sig = (np.asarray(v, dtype=float) for v in np.broadcast_arrays(T_C, strain_rate, stress))
        T, rate, sig = T.reshape(-1), rate.reshape(-1), sig.reshape(-1)
        free = tuple(free)
        bad = [k for k in free if k not in self.STEADY_STATE_KEYS]
        if bad or not free or len(set(free)) != len(free):
            raise ValueError(f"free constants {free!r}: choose distinct names among {self.STEADY_STATE_KEYS}")
        if len(free) > T.size:
            raise ValueError(f"{len(free)} free constants need at least as many data points; got {T.size}")
        if np.any(sig <= 0) or np.any(rate <= 0) or np.any(T <= -273.15):
            raise ValueError("measured stresses and strain rates must be positive, temperatures above 0 K")

        def trial(x: np.ndarray) -> "AnandParams":
            return dataclasses.replace(self, **dict(zip(free, np.exp(x).tolist())))

        def misfit(x: np.ndarray) -> np.ndarray:
            return np.log(trial(x).steady_state_stress(rate, T) / sig)

        x0 = np.log([getattr(self, k) for k in free])
        sol = least_squares(misfit, x0, method="lm", xtol=1e-14, ftol=1e-14)
        fit = trial(sol.x)
        dev = fit.steady_state_stress(rate, T) / sig - 1.0
        was = ", ".join(f"{k} {getattr(self, k):.6g} -> {getattr(fit, k):.6g}" for k in free)
        note = (f"; steady state refit ({was}; SI units) by least squares of ln(sigma_sat/measured) over {T.size} "
                f"measured saturation stresses{' (' + source + ')' if source else ''}, largest misfit "
                f"{100 * float(np.max(np.abs(dev))):.1f} %; the other constants as published")
        return dataclasses.replace(fit, source=self.source + note)


def _float_tuple(x: Any) -> tuple[float, ...]:
    return tuple(float(v) for v in np.atleast_1d(np.asarray(x, dtype=float)).reshape(-1))


@dataclass(frozen=True)
class PronyParams:
    """Linear viscoelastic constants: generalized Maxwell (Prony) series in shear and bulk, and the time shift.

    At the reference temperature ``Tref_C`` (degC), in Pa and s::

        G(t) = G_inf + sum_i G[i] exp(-t / tau_G[i]),    K(t) = K_inf + sum_j K[j] exp(-t / tau_K[j]).

    Thermorheologically simple: at temperature T the relaxation runs in reduced time xi = integral dt / a_T(T).
    Shift factor a_T (``log10_shift``):

    - WLF at and above Tg: ``log10 a_T = -C1 (T - Tref) / (C2 + T - Tref)``;
    - Arrhenius below Tg: ``ln a_T = ln a_T^WLF(Tg) + Ea_R (1/T_K - 1/Tg_K)`` (T_K = T + 273.15), continuous at Tg.

    With ``Tg_C`` None the shift is WLF alone (C1, C2 given; a_T = inf, i.e. frozen, where C2 + T - Tref <= 0),
    Arrhenius alone about Tref (only Ea_R given), or none (a_T = 1). a_T(Tref) = 1 unless Tref < Tg, where the
    Arrhenius branch applies (then a_T(Tref) is whatever the matched curve gives).

    Attributes:
        G_inf, K_inf: long-time (rubbery) shear and bulk moduli (Pa), >= 0.
        G, K: Prony moduli (Pa), >= 0; tau_G, tau_K: their relaxation times (s) at Tref, > 0.
        Tref_C: reference temperature (degC). Tg_C: glass transition (degC) or None.
        C1 (-), C2 (K): WLF constants or None. Ea_R: activation energy over the gas constant (K) or None.
        source: where the numbers come from.
    """

    G_inf: float
    G: tuple[float, ...]
    tau_G: tuple[float, ...]
    K_inf: float
    K: tuple[float, ...]
    tau_K: tuple[float, ...]
    Tref_C: float
    Tg_C: float | None = None
    C1: float | None = None
    C2: float | None = None
    Ea_R: float | None = None
    source: str = ""

    def __post_init__(self) -> None:
        for k in ("G", "tau_G", "K", "tau_K"):
            object.__setattr__(self, k, _float_tuple(getattr(self, k)))
        for k in ("G_inf", "K_inf", "Tref_C"):
            object.__setattr__(self, k, float(getattr(self, k)))
        probs = []
        if len(self.G) != len(self.tau_G):
            probs.append(f"G has {len(self.G)} terms but tau_G has {len(self.tau_G)}")
        if len(self.K) != len(self.tau_K):
            probs.append(f"K has {len(self.K)} terms but tau_K has {len(self.tau_K)}")
        if min((self.G_inf, self.K_inf) + self.G + self.K) < 0:
            probs.append("moduli G_inf, K_inf, G[i], K[j] must be >= 0")
        if any(not (t > 0 and math.isfinite(t)) for t in self.tau_G + self.tau_K):
            probs.append("relaxation times must be finite and > 0 s")
        if not (self.G0 > 0 and self.K0 > 0):
            probs.append(f"instantaneous moduli must be > 0, got G0 = {self.G0} Pa, K0 = {self.K0} Pa")
        wlf = self.C1 is not None or self.C2 is not None
        if wlf and (self.C1 is None or self.C2 is None):
            probs.append("WLF needs both C1 and C2")
        if wlf and self.C2 is not None and self.C2 <= 0:
            probs.append(f"WLF C2 must be > 0 K, got {self.C2}")
        if self.Tg_C is not None:
            if not wlf or self.Ea_R is None:
                probs.append("with Tg the shift is WLF above and Arrhenius below: give C1, C2 and Ea_R")
            elif self.C2 + self.Tg_C - self.Tref_C <= 0:
                probs.append(f"WLF is singular at Tg: need C2 + Tg - Tref > 0, got {self.C2 + self.Tg_C - self.Tref_C}")
        if self.Ea_R is not None and self.Ea_R < 0:
            probs.append(f"Ea_R must be >= 0 K, got {self.Ea_R}")
        if probs:
            raise ValueError("; ".join(probs))

    @property
    def G0(self) -> float:
        """Instantaneous (glassy) shear modulus G_inf + sum G_i (Pa)."""
        return self.G_inf + sum(self.G)

    @property
    def K0(self) -> float:
        """Instantaneous (glassy) bulk modulus K_inf + sum K_j (Pa)."""
        return self.K_inf + sum(self.K)

    def relaxation_G(self, t: Any) -> np.ndarray:
        """G(t) at Tref (Pa) for times t (s); same shape as ``np.asarray(t)``."""
        t = np.asarray(t, dtype=float)
        return self.G_inf + sum(g * np.exp(-t / tau) for g, tau in zip(self.G, self.tau_G))

    def relaxation_K(self, t: Any) -> np.ndarray:
        """K(t) at Tref (Pa) for times t (s); same shape as ``np.asarray(t)``."""
        t = np.asarray(t, dtype=float)
        return self.K_inf + sum(k * np.exp(-t / tau) for k, tau in zip(self.K, self.tau_K))

    def _wlf(self, T: np.ndarray) -> np.ndarray:
        d = T - self.Tref_C
        den = self.C2 + d
        with np.errstate(divide="ignore", invalid="ignore"):
            out = -self.C1 * d / den
        return np.where(den > 0, out, np.inf)

    def log10_shift(self, T_C: Any) -> np.ndarray:
        """log10 a_T at temperature(s) T_C (degC); same shape as ``np.asarray(T_C)``."""
        T = np.asarray(T_C, dtype=float)
        wlf = self.C1 is not None
        if self.Tg_C is not None:
            arr = (np.log10(np.exp(1.0)) * self.Ea_R * (1.0 / (T + 273.15) - 1.0 / (self.Tg_C + 273.15))
                   + self._wlf(np.asarray(self.Tg_C)))
            return np.where(T >= self.Tg_C, self._wlf(T), arr)
        if wlf:
            return self._wlf(T)
        if self.Ea_R is not None:
            return np.log10(np.exp(1.0)) * self.Ea_R * (1.0 / (T + 273.15) - 1.0 / (self.Tref_C + 273.15))
        return np.zeros(T.shape)

    def shift_factor(self, T_C: Any) -> np.ndarray:
        """a_T at T_C (degC): the relaxation at T over reduced time t/a_T equals that at Tref over t."""
        return 10.0 ** self.log10_shift(T_C)

    def shift_pieces(self) -> list[tuple[float, float, float, float, float]]:
        """The shift as pieces ``(T_lo, T_hi, a, b, s)``: ln(1/a_T) = a + b / (T + s) for T_lo <= T < T_hi (degC).

        Both forms are of this shape, linear in 1/(T + s): WLF is a = C1 ln10, b = -C1 C2 ln10, s = C2 - Tref
        (frozen, 1/a_T = 0, where T + s <= 0); Arrhenius is b = -Ea_R, s = 273.15, a matched at Tg (or a_T(Tref) = 1
        without Tg). With Tg: Arrhenius below, WLF from Tg up; no shift: one piece a = b = 0. The values equal
        :meth:`log10_shift` to round-off; the viscoelastic model integrates 1/a_T over a temperature ramp with them.
        """
        ln10, inf = math.log(10.0), math.inf
        wlf = None if self.C1 is None else (self.C1 * ln10, -self.C1 * self.C2 * ln10, self.C2 - self.Tref_C)
        if self.Tg_C is not None:
            ln_aTg = ln10 * float(self._wlf(np.asarray(self.Tg_C)))
            arr = (self.Ea_R / (self.Tg_C + 273.15) - ln_aTg, -self.Ea_R, 273.15)
            return [(-inf, self.Tg_C) + arr, (self.Tg_C, inf) + wlf]
        if wlf is not None:
            return [(-inf, inf) + wlf]
        if self.Ea_R is not None:
            return [(-inf, inf, self.Ea_R / (self.Tref_C + 273.15), -self.Ea_R, 273.15)]
        return [(-inf, inf, 0.0, 0.0, 273.15)]

    @classmethod
    def from_relaxation_modulus(cls, E_inf: float, E: Any, tau: Any, nu: float, Tref_C: float, *,
                                Tg_C: float | None = None, C1: float | None = None, C2: float | None = None,
                                Ea_R: float | None = None, source: str = "") -> "PronyParams":
        """Shear and bulk series from a tensile relaxation modulus E(t) = E_inf + sum E_i exp(-t/tau_i) (Pa, s).

        Assumes a constant Poisson ratio ``nu``, so every term splits as G = E/(2(1+nu)), K = E/(3(1-2nu)) with
        the same relaxation times. Real polymers relax far less in bulk than in shear (nu(t) rises towards 0.5);
        this shortcut is what a single E(t) curve allows, and a warning says so.
        """
        nu = float(nu)
        if not -1.0 < nu < 0.5:
            raise ValueError(f"nu must lie in (-1, 0.5), got {nu}")
        warnings.warn(f"Prony series from E(t) alone: constant Poisson ratio nu = {nu} assumed (bulk relaxes "
                      "with shear); give G(t) and K(t) where they are known", UserWarning, stacklevel=2)
        E = np.asarray(E, dtype=float).reshape(-1)
        g, k = 1.0 / (2 * (1 + nu)), 1.0 / (3 * (1 - 2 * nu))
        return cls(G_inf=E_inf * g, G=tuple(E * g), tau_G=tuple(tau), K_inf=E_inf * k, K=tuple(E * k),
                   tau_K=tuple(tau), Tref_C=Tref_C, Tg_C=Tg_C, C1=C1, C2=C2, Ea_R=Ea_R, source=source)


@dataclass(frozen=True, eq=False)
class J2Params:
    """J2 (von Mises) plasticity constants, temperature-dependent tables in Pa.

    Yield: sqrt(3/2) |s - beta| <= sigma_y(T) + H_iso(T) p + R(p), with p the accumulated equivalent plastic
    strain and beta the back stress, d beta = (2/3) H_kin(T) d eps_p (linear Prager kinematic hardening; for von
    Mises this coincides with linear Ziegler). Under monotonic uniaxial stress:
    sigma = sigma_y + (H_iso + H_kin) eps_p + R(eps_p), bilinear with tangent E H/(E + H) when R = 0.

    Attributes:
        sigma_y: initial yield stress (Pa) vs T (degC), > 0.
        H_iso: linear isotropic hardening modulus (Pa) vs T, >= 0.
        H_kin: linear kinematic hardening modulus (Pa) vs T, >= 0.
        hardening_curve: optional tabulated isotropic hardening R(p) (Pa), a Table whose abscissa is the
            equivalent plastic strain p (-), starting at p = 0 with R = 0, non-decreasing, constant (no further
            hardening) beyond its last point; independent of temperature.
        source: where the numbers come from.
    """

    sigma_y: Table
    H_iso: Table = 0.0  # type: ignore[assignment]
    H_kin: Table = 0.0  # type: ignore[assignment]
    hardening_curve: Table | None = None
    source: str = ""

    def __post_init__(self) -> None:
        for k in ("sigma_y", "H_iso", "H_kin"):
            object.__setattr__(self, k, as_table(getattr(self, k)))
        if np.any(self.sigma_y.values <= 0):
            raise ValueError(f"sigma_y must be > 0 Pa, got {self.sigma_y.values.tolist()}")
        if np.any(self.H_iso.values < 0) or np.any(self.H_kin.values < 0):
            raise ValueError("hardening moduli H_iso, H_kin must be >= 0 Pa")
        R = self.hardening_curve
        if R is not None:
            if R.T_C[0] != 0.0 or R.values[0] != 0.0:
                raise ValueError(f"hardening_curve must start at p = 0 with R = 0, got ({R.T_C[0]}, {R.values[0]})")
            if np.any(np.diff(R.T_C) <= 0) or np.any(np.diff(R.values) < 0):
                raise ValueError("hardening_curve: plastic strains must increase strictly and R must not decrease")


@dataclass(frozen=True)
class CureShrinkage:
    """Chemical (cure) shrinkage: isotropic strain linear in the degree of cure.

    eps_ch = -(volumetric / 3) * alpha for each normal component, alpha in [0, 1] the degree of cure gained
    since the material was born (small-strain linearisation of (1 - dV/V)^(1/3) - 1). A step cure is alpha = 1.

    Attributes:
        volumetric: total volumetric shrinkage dV/V (-) over a full cure, >= 0 (e.g. 0.003 for 0.3 %).
        source: where the number comes from.
    """

    volumetric: float
    source: str = ""

    def __post_init__(self) -> None:
        if not (0.0 <= float(self.volumetric) < 1.0):
            raise ValueError(f"volumetric shrinkage must lie in [0, 1), got {self.volumetric}")

    def strain(self, degree_of_cure: Any) -> np.ndarray:
        """Chemical strain [xx, yy, zz] (-) at degree(s) of cure in [0, 1]; shape ``atleast_1d.shape + (3,)``."""
        a = np.clip(_T_array(degree_of_cure), 0.0, 1.0)
        return np.repeat((-float(self.volumetric) / 3.0 * a)[..., None], 3, axis=-1)
