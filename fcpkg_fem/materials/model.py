"""Material models: immutable data with vectorised evaluation in internal units.

Units: SI (Pa, W/(m K), kg/m^3, J/(kg K)), temperatures in degC, CTE in 1/K.

Shapes: every method that takes a temperature ``T`` accepts a scalar or an array. A scalar is treated as a
one-element array, so ``stiffness(25.0)`` has shape ``(1, 6, 6)``; an array of shape ``s`` gives ``s + (6, 6)``
(``s + (3,)`` for :meth:`Material.thermal_strain` and :meth:`Material.conductivity`, where ``T`` and ``T_ref``
broadcast against each other).

Voigt order is ``[xx, yy, zz, yz, xz, xy]`` with engineering shear strains (gamma = 2 eps).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Mapping, Union

import numpy as np

from fcpkg_fem.errors import InputError

__all__ = [
    "Table",
    "Isotropic",
    "Orthotropic",
    "Elastic",
    "CTE",
    "AnandParams",
    "PronyParams",
    "J2Params",
    "CureShrinkage",
    "Material",
    "VOIGT",
]

VOIGT = ("xx", "yy", "zz", "yz", "xz", "xy")
"""Voigt component order used by every 6-vector and 6x6 matrix."""


def _T_array(T: Any) -> np.ndarray:
    return np.atleast_1d(np.asarray(T, dtype=float))


def _frozen_array(a: Any) -> np.ndarray:
    arr = np.array(a, dtype=float).reshape(-1)
    arr.setflags(write=False)
    return arr


# --------------------------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Table:
    """A property as a piecewise-linear function of temperature, constant beyond the end points.

    A constant is a one-point table. A temperature may appear twice in a row to mark a *jump*
    (the left value applies below it, the right value at and above it): the glassy/rubbery CTE step
    is ``Table((Tg, Tg), (alpha1, alpha2))``. Otherwise temperatures must increase strictly.

    Attributes:
        T_C: breakpoint temperatures (degC), shape (m,).
        values: property values at the breakpoints (internal units), shape (m,).
    """

    T_C: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        T = _frozen_array(self.T_C)
        v = _frozen_array(self.values)
        if T.size < 1 or T.size != v.size:
            raise ValueError(f"Table needs >= 1 point and as many values as temperatures, got {T.size} and {v.size}")
        if not (np.all(np.isfinite(T)) and np.all(np.isfinite(v))):
            raise ValueError("Table temperatures and values must be finite")
        d = np.diff(T)
        if np.any(d < 0) or np.any((d[1:] == 0) & (d[:-1] == 0)):
            raise ValueError(f"Table temperatures must increase (a value may repeat once to mark a jump): {T}")
        object.__setattr__(self, "T_C", T)
        object.__setattr__(self, "values", v)
        # Antiderivative at the breakpoints, F(T_C[0]) = 0 (exact: trapezoids of a piecewise-linear function).
        F = np.concatenate([[0.0], np.cumsum(0.5 * (v[1:] + v[:-1]) * d)])
        F.setflags(write=False)
        object.__setattr__(self, "_F", F)

    @classmethod
    def constant(cls, value: float) -> "Table":
        """A one-point table: ``value`` at every temperature."""
        return cls((0.0,), (float(value),))

    @classmethod
    def step(cls, T_jump: float, below: float, above: float) -> "Table":
        """``below`` for T < T_jump, ``above`` for T >= T_jump (e.g. glassy/rubbery CTE at Tg)."""
        return cls((T_jump, T_jump), (below, above))

    @property
    def is_constant(self) -> bool:
        return bool(np.all(self.values == self.values[0]))

    def _segments(self, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Segment index, offset into it, and in-range / below / above masks for each T."""
        Tc = self.T_C
        n = Tc.size
        idx = np.clip(np.searchsorted(Tc, T, side="right") - 1, 0, max(n - 2, 0))
        below = T < Tc[0]
        above = T >= Tc[-1]
        return idx, T - Tc[idx], below, above

    def __call__(self, T: Any) -> np.ndarray:
        """Value at temperature(s) ``T`` (degC); same shape as ``np.asarray(T)``, float64."""
        T = np.asarray(T, dtype=float)
        Tc, v = self.T_C, self.values
        if Tc.size == 1:
            return np.full(T.shape, v[0])
        idx, dx, below, above = self._segments(T)
        width = Tc[idx + 1] - Tc[idx]
        safe = np.where(width > 0, width, 1.0)
        slope = np.where(width > 0, (v[idx + 1] - v[idx]) / safe, 0.0)
        out = v[idx] + slope * dx
        out = np.where(below, v[0], out)
        out = np.where(above, v[-1], out)
        return out

    def antiderivative(self, T: Any) -> np.ndarray:
        """``F(T) = integral of the table from T_C[0] to T`` (exact; linear beyond the ends)."""
        T = np.asarray(T, dtype=float)
        Tc, v, F = self.T_C, self.values, self._F  # type: ignore[attr-defined]
        if Tc.size == 1:
            return v[0] * (T - Tc[0])
        idx, dx, below, above = self._segments(T)
        width = Tc[idx + 1] - Tc[idx]
        safe = np.where(width > 0, width, 1.0)
        slope = np.where(width > 0, (v[idx + 1] - v[idx]) / safe, 0.0)
        out = F[idx] + v[idx] * dx + 0.5 * slope * dx * dx
        out = np.where(below, v[0] * (T - Tc[0]), out)
        out = np.where(above, F[-1] + v[-1] * (T - Tc[-1]), out)
        return out

    def integrate(self, T0: Any, T: Any) -> np.ndarray:
        """``integral of the table from T0 to T`` (exact for piecewise-linear data); T0 and T broadcast."""
        return self.antiderivative(T) - self.antiderivative(T0)

    def scaled(self, factor: float) -> "Table":
        """A copy with every value multiplied by ``factor``."""
        return Table(self.T_C, self.values * factor)

    def breakpoints(self) -> np.ndarray:
        """Distinct breakpoint temperatures (degC)."""
        return np.unique(self.T_C)

    def to_dict(self) -> dict[str, list[float]]:
        return {"temperature": self.T_C.tolist(), "value": self.values.tolist()}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        return np.array_equal(self.T_C, other.T_C) and np.array_equal(self.values, other.values)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self.T_C.size == 1:
            return f"Table.constant({self.values[0]!r})"
        return f"Table(T_C={self.T_C.tolist()}, values={self.values.tolist()})"


def as_table(x: Union[Table, float, int]) -> Table:
    """A Table as is, or a number as a constant table."""
    return x if isinstance(x, Table) else Table.constant(float(x))


def _check_temperatures(*tables: Table) -> np.ndarray:
    """Temperatures at which to check a combination of tables: every breakpoint and the midpoints between."""
    pts = np.unique(np.concatenate([t.T_C for t in tables]))
    if pts.size > 1:
        pts = np.unique(np.concatenate([pts, 0.5 * (pts[1:] + pts[:-1])]))
    return pts


# --------------------------------------------------------------------------------------------------------------
# Elasticity
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Isotropic:
    """Isotropic linear elasticity with temperature-dependent E (Pa) and nu (-)."""

    E: Table
    nu: Table
    kind = "isotropic"

    def __post_init__(self) -> None:
        object.__setattr__(self, "E", as_table(self.E))
        object.__setattr__(self, "nu", as_table(self.nu))

    def check(self, name: str) -> None:
        """Raise InputError unless E > 0 and -1 < nu < 0.5 at every breakpoint (hence everywhere between)."""
        probs = []
        if np.any(self.E.values <= 0):
            probs.append(f"E must be > 0 at every temperature, got {self.E.values.tolist()} Pa")
        if np.any(self.nu.values <= -1) or np.any(self.nu.values >= 0.5):
            probs.append(f"nu must lie in (-1, 0.5), got {self.nu.values.tolist()}")
        if probs:
            raise InputError.single(f"materials.{name}", "; ".join(probs) + " (stiffness not positive definite)")

    def lame(self, T: Any) -> tuple[np.ndarray, np.ndarray]:
        """Lame constants (lambda, mu) in Pa at T, each of shape ``atleast_1d(T).shape``."""
        T = _T_array(T)
        E, nu = self.E(T), self.nu(T)
        return E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))

    def stiffness(self, T: Any) -> np.ndarray:
        """Voigt stiffness (Pa), shape ``atleast_1d(T).shape + (6, 6)``."""
        lam, mu = self.lame(T)
        C = np.zeros(lam.shape + (6, 6))
        C[..., :3, :3] = lam[..., None, None]
        for i in range(3):
            C[..., i, i] += 2 * mu
            C[..., i + 3, i + 3] = mu
        return C

    def compliance(self, T: Any) -> np.ndarray:
        """Voigt compliance (1/Pa), engineering shear strain; shape ``atleast_1d(T).shape + (6, 6)``."""
        T = _T_array(T)
        E, nu = self.E(T), self.nu(T)
        S = np.zeros(T.shape + (6, 6))
        S[..., :3, :3] = (-nu / E)[..., None, None]
        for i in range(3):
            S[..., i, i] = 1 / E
            S[..., i + 3, i + 3] = 2 * (1 + nu) / E
        return S

    def tables(self) -> dict[str, Table]:
        return {"E": self.E, "nu": self.nu}


_ORTHO_KEYS = ("E1", "E2", "E3", "nu12", "nu13", "nu23", "G12", "G13", "G23")


@dataclass(frozen=True, eq=False)
class Orthotropic:
    """Orthotropic linear elasticity; material axes are the global axes (1 = x, 2 = y, 3 = z = through thickness).

    ``nu_ij`` is the (major) Poisson ratio: strain in j = -nu_ij * strain in i under uniaxial stress along i,
    so ``nu_ij / E_i = nu_ji / E_j``. Moduli in Pa. The compliance is

        S = [[1/E1, -nu12/E1, -nu13/E1], [., 1/E2, -nu23/E2], [., ., 1/E3]] (symmetric) (+) diag(1/G23, 1/G13, 1/G12)

    in Voigt order [xx, yy, zz, yz, xz, xy].
    """

    E1: Table
    E2: Table
    E3: Table
    nu12: Table
    nu13: Table
    nu23: Table
    G12: Table
    G13: Table
    G23: Table
    kind = "orthotropic"

    def __post_init__(self) -> None:
        for k in _ORTHO_KEYS:
            object.__setattr__(self, k, as_table(getattr(self, k)))

    def compliance(self, T: Any) -> np.ndarray:
        """Voigt compliance (1/Pa), shape ``atleast_1d(T).shape + (6, 6)``; symmetric by construction."""
        T = _T_array(T)
        E1, E2, E3 = self.E1(T), self.E2(T), self.E3(T)
        n12, n13, n23 = self.nu12(T), self.nu13(T), self.nu23(T)
        S = np.zeros(T.shape + (6, 6))
        S[..., 0, 0], S[..., 1, 1], S[..., 2, 2] = 1 / E1, 1 / E2, 1 / E3
        S[..., 0, 1] = S[..., 1, 0] = -n12 / E1
        S[..., 0, 2] = S[..., 2, 0] = -n13 / E1
        S[..., 1, 2] = S[..., 2, 1] = -n23 / E2
        S[..., 3, 3], S[..., 4, 4], S[..., 5, 5] = 1 / self.G23(T), 1 / self.G13(T), 1 / self.G12(T)
        return S

    def stiffness(self, T: Any) -> np.ndarray:
        """Voigt stiffness (Pa) = inverse compliance, shape ``atleast_1d(T).shape + (6, 6)``."""
        C = np.linalg.inv(self.compliance(T))
        return 0.5 * (C + np.swapaxes(C, -1, -2))

    def check(self, name: str) -> None:
        """Raise InputError unless the compliance is positive definite at every breakpoint and midpoint."""
        tabs = [getattr(self, k) for k in _ORTHO_KEYS]
        probs = []
        for k in ("E1", "E2", "E3", "G12", "G13", "G23"):
            if np.any(getattr(self, k).values <= 0):
                probs.append(f"{k} must be > 0, got {getattr(self, k).values.tolist()} Pa")
        if not probs:
            Ts = _check_temperatures(*tabs)
            eig = np.linalg.eigvalsh(self.compliance(Ts))
            bad = Ts[np.min(eig, axis=-1) <= 0]
            if bad.size:
                probs.append(
                    "orthotropic constants give a compliance that is not positive definite at "
                    f"T = {bad.tolist()} degC (need e.g. nu12^2 < E1/E2 and 1 - nu12 nu21 - nu23 nu32 - nu13 nu31 "
                    "- 2 nu21 nu32 nu13 > 0)"
                )
        if probs:
            raise InputError.single(f"materials.{name}", "; ".join(probs))

    def tables(self) -> dict[str, Table]:
        return {k: getattr(self, k) for k in _ORTHO_KEYS}


Elastic = Union[Isotropic, Orthotropic]


# --------------------------------------------------------------------------------------------------------------
# Thermal expansion
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CTE:
    """Coefficient of thermal expansion per direction (x, y, z), 1/K, and how to read it.

    kind ``"instantaneous"``: the tables give alpha(T) = d eps/dT, and
        eps_th(T; T_ref) = integral_{T_ref}^{T} alpha(s) ds,
    evaluated exactly (piecewise-linear alpha -> piecewise-quadratic eps; a glassy/rubbery step -> a kink at Tg).

    kind ``"secant"``: the tables give the secant (mean) CTE alpha_s(T) measured from the data's own reference
    temperature ``T0`` (degC), eps(T) - eps(T0) = alpha_s(T) (T - T0). Then
        eps_th(T; T_ref) = alpha_s(T) (T - T0) - alpha_s(T_ref) (T_ref - T0).
    A constant alpha gives alpha (T - T_ref) either way.
    """

    x: Table
    y: Table
    z: Table
    kind: Literal["instantaneous", "secant"] = "instantaneous"
    T0: float | None = None

    def __post_init__(self) -> None:
        for k in ("x", "y", "z"):
            object.__setattr__(self, k, as_table(getattr(self, k)))
        if self.kind not in ("instantaneous", "secant"):
            raise ValueError(f"CTE kind must be 'instantaneous' or 'secant', got {self.kind!r}")
        if self.kind == "secant":
            if self.T0 is None or not math.isfinite(self.T0):
                raise ValueError("a secant CTE needs its reference temperature T0 (degC)")
            object.__setattr__(self, "T0", float(self.T0))

    @classmethod
    def isotropic(cls, alpha: Table | float, kind: str = "instantaneous", T0: float | None = None) -> "CTE":
        a = as_table(alpha)
        return cls(a, a, a, kind, T0)  # type: ignore[arg-type]

    @classmethod
    def transverse(cls, alpha_xy: Table | float, alpha_z: Table | float, kind: str = "instantaneous",
                   T0: float | None = None) -> "CTE":
        """Same CTE in x and y (in-plane), another in z (through thickness)."""
        a = as_table(alpha_xy)
        return cls(a, a, as_table(alpha_z), kind, T0)  # type: ignore[arg-type]

    @classmethod
    def glassy_rubbery(cls, alpha1: float, alpha2: float, Tg: float) -> "CTE":
        """Isotropic instantaneous CTE alpha1 below Tg and alpha2 at and above (1/K, degC)."""
        return cls.isotropic(Table.step(Tg, alpha1, alpha2))

    def tables(self) -> tuple[Table, Table, Table]:
        return self.x, self.y, self.z

    def strain(self, T: Any, T_ref: Any) -> np.ndarray:
        """Free thermal strain (normal components xx, yy, zz) from T_ref to T; shape ``broadcast.shape + (3,)``."""
        T, T_ref = np.broadcast_arrays(_T_array(T), _T_array(T_ref))
        if self.kind == "instantaneous":
            cols = [t.integrate(T_ref, T) for t in self.tables()]
        else:
            T0 = self.T0
            cols = [t(T) * (T - T0) - t(T_ref) * (T_ref - T0) for t in self.tables()]
        return np.stack(cols, axis=-1)

    def tangent(self, T: Any) -> np.ndarray:
        """Instantaneous CTE d eps_th / dT (1/K), shape ``atleast_1d(T).shape + (3,)``.

        For secant data this is alpha_s(T) + alpha_s'(T) (T - T0), with the one-sided slope of the table.
        """
        T = _T_array(T)
        if self.kind == "instantaneous":
            return np.stack([t(T) for t in self.tables()], axis=-1)
        h = 1e-6
        cols = []
        for t in self.tables():
            slope = (t(T + h) - t(T)) / h
            cols.append(t(T) + slope * (T - self.T0))
        return np.stack(cols, axis=-1)


# --------------------------------------------------------------------------------------------------------------
# Nonlinear-model parameters (used by fcpkg_fem.constitutive)
# --------------------------------------------------------------------------------------------------------------


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

    @classmethod
    def from_relaxation_modulus(cls, E_inf: float, E: Any, tau: Any, nu: float, Tref_C: float, *,
                                Tg_C: float | None = None, C1: float | None = None, C2: float | None = None,
                                Ea_R: float | None = None, source: str = "") -> "PronyParams":
        """Shear and bulk series from a tensile relaxation modulus E(t) = E_inf + sum E_i exp(-t/tau_i) (Pa, s).

        Assumes a constant Poisson ratio ``nu``, so every term splits as G = E/(2(1+nu)), K = E/(3(1-2nu)) with
        the same relaxation times. Real polymers relax far less in bulk than in shear (nu(t) rises towards 0.5);
        this shortcut is what a single E(t) curve allows, and a warning says so.
        """
        import warnings

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


# --------------------------------------------------------------------------------------------------------------
# Material
# --------------------------------------------------------------------------------------------------------------

_KEEP = object()


def _freeze_map(m: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(m or {}))


@dataclass(frozen=True, eq=False)
class Material:
    """One material: every property the thermal and mechanical problems need, in internal units.

    Attributes:
        name: library or case name.
        description: one line for reports.
        elastic: :class:`Isotropic` or :class:`Orthotropic` (axes = global x, y, z).
        cte: :class:`CTE` (1/K) with its kind (instantaneous or secant).
        k: thermal conductivity tables (x, y, z), W/(m K); None if not given (mechanics-only material).
        rho: density table, kg/m^3; None if not given.
        cp: specific heat table, J/(kg K); None if not given.
        Tg: glass transition temperature (degC), or None.
        solidus: melting (solidus) temperature of a solder (degC), or None. In a process history a born part of
            this material melts above it (it carries nothing) and solidifies again, stress-free, when it cools
            back through it (docs/process.md).
        sources: property name (``E``, ``nu``, ``cte``, ``k``, ``rho``, ``cp``, ``Tg``, ``anand``, ...) -> source text.
        notes: free text (caveats, what the numbers represent).
        extra: parameters of nonlinear models, by model name (e.g. ``"anand"`` -> :class:`AnandParams`,
            later ``"prony"``, ``"j2"``); read-only mapping.
    """

    name: str
    elastic: Elastic
    cte: CTE
    k: tuple[Table, Table, Table] | None = None
    rho: Table | None = None
    cp: Table | None = None
    description: str = ""
    Tg: float | None = None
    solidus: float | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        k = self.k
        if k is not None:
            if isinstance(k, (Table, int, float)):
                k = (k, k, k)
            if len(k) != 3:
                raise ValueError("k must be one table or three (x, y, z)")
            object.__setattr__(self, "k", tuple(as_table(t) for t in k))
        if self.rho is not None:
            object.__setattr__(self, "rho", as_table(self.rho))
        if self.cp is not None:
            object.__setattr__(self, "cp", as_table(self.cp))
        object.__setattr__(self, "sources", _freeze_map(self.sources))
        object.__setattr__(self, "extra", _freeze_map(self.extra))
        self.elastic.check(self.name)
        probs = []
        for label, tabs in (("k", self.k or ()), ("rho", (self.rho,)), ("cp", (self.cp,))):
            if any(t is not None and np.any(t.values <= 0) for t in tabs):
                probs.append(f"{label} must be > 0 at every temperature")
        if probs:
            raise InputError.single(f"materials.{self.name}", "; ".join(probs))

    @property
    def is_orthotropic(self) -> bool:
        return isinstance(self.elastic, Orthotropic)

    def stiffness(self, T: Any) -> np.ndarray:
        """Voigt stiffness (Pa) at T (degC), shape ``atleast_1d(T).shape + (6, 6)``."""
        return self.elastic.stiffness(T)

    def compliance(self, T: Any) -> np.ndarray:
        """Voigt compliance (1/Pa) at T (degC), shape ``atleast_1d(T).shape + (6, 6)``."""
        return self.elastic.compliance(T)

    def thermal_strain(self, T: Any, T_ref: Any) -> np.ndarray:
        """Free thermal strain [xx, yy, zz] from the stress-free T_ref to T (degC); shape ``broadcast + (3,)``."""
        return self.cte.strain(T, T_ref)

    def _missing(self, key: str, what: str) -> InputError:
        return InputError.single(
            f"materials.{self.name}.{key}",
            f"not given, but the thermal problem needs the {what}; add '{key}:' to the material",
        )

    @property
    def has_thermal(self) -> bool:
        """True when conductivity, density and specific heat are all given."""
        return self.k is not None and self.rho is not None and self.cp is not None

    def conductivity(self, T: Any) -> np.ndarray:
        """Thermal conductivity (W/(m K)) [kx, ky, kz], shape ``atleast_1d(T).shape + (3,)``.

        Raises:
            InputError: the material has no conductivity.
        """
        if self.k is None:
            raise self._missing("conductivity", "thermal conductivity")
        T = _T_array(T)
        return np.stack([t(T) for t in self.k], axis=-1)

    def density(self, T: Any) -> np.ndarray:
        """Density (kg/m^3), shape ``atleast_1d(T).shape``. Raises InputError if not given."""
        if self.rho is None:
            raise self._missing("density", "density")
        return self.rho(_T_array(T))

    def specific_heat(self, T: Any) -> np.ndarray:
        """Specific heat (J/(kg K)), shape ``atleast_1d(T).shape``. Raises InputError if not given."""
        if self.cp is None:
            raise self._missing("specific_heat", "specific heat")
        return self.cp(_T_array(T))

    def with_overrides(self, *, sources: Mapping[str, str] | None = None, extra: Mapping[str, Any] | None = None,
                       Tg: Any = _KEEP, **changes: Any) -> "Material":
        """A new Material with some fields replaced.

        ``sources`` and ``extra`` are merged into the existing mappings (a key given here wins); any other
        keyword replaces the field of that name (``name``, ``elastic``, ``cte``, ``k``, ``rho``, ``cp``,
        ``description``, ``notes``). ``Tg=None`` clears Tg.
        """
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise TypeError(f"Material has no field(s) {sorted(unknown)}")
        if sources is not None:
            changes["sources"] = {**self.sources, **sources}
        if extra is not None:
            changes["extra"] = {**self.extra, **extra}
        if Tg is not _KEEP:
            changes["Tg"] = Tg
        return dataclasses.replace(self, **changes)

    def summary(self, T: float = 25.0) -> dict[str, Any]:
        """Values at one temperature, in report units (GPa, ppm/K, W/(m K), kg/m^3, J/(kg K)), for docs/reports."""
        T1 = np.array([T])
        out: dict[str, Any] = {"name": self.name, "elastic": self.elastic.kind}
        if isinstance(self.elastic, Isotropic):
            out["E_GPa"] = float(self.elastic.E(T1)[0] / 1e9)
            out["nu"] = float(self.elastic.nu(T1)[0])
        else:
            for k, t in self.elastic.tables().items():
                out[k + ("_GPa" if k[0] in "EG" else "")] = float(t(T1)[0] / (1e9 if k[0] in "EG" else 1))
        out["cte_ppm_per_K"] = (self.cte.tangent(T1)[0] * 1e6).tolist()
        out["cte_kind"] = self.cte.kind
        out["k_W_per_mK"] = self.conductivity(T1)[0].tolist() if self.k is not None else None
        out["rho_kg_per_m3"] = float(self.density(T1)[0]) if self.rho is not None else None
        out["cp_J_per_kgK"] = float(self.specific_heat(T1)[0]) if self.cp is not None else None
        out["Tg_C"] = self.Tg
        return out
