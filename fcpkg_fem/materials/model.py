"""Material models: immutable data with vectorised evaluation in internal units.

Units: SI (Pa, W/(m K), kg/m^3, J/(kg K)), temperatures in degC, CTE in 1/K.

Shapes: every method that takes a temperature ``T`` accepts a scalar or an array. A scalar is treated as a
one-element array, so ``stiffness(25.0)`` has shape ``(1, 6, 6)``; an array of shape ``s`` gives ``s + (6, 6)``
(``s + (3,)`` for :meth:`Material.thermal_strain` and :meth:`Material.conductivity`, where ``T`` and ``T_ref``
broadcast against each other).

Voigt order is ``[xx, yy, zz, yz, xz, xy]`` with engineering shear strains (gamma = 2 eps).

Temperature tables live in :mod:`fcpkg_fem.materials.table` and the nonlinear models' parameter records in
:mod:`fcpkg_fem.materials.params`; both are importable from here as well.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Mapping, Union

import numpy as np

from fcpkg_fem.errors import InputError
from fcpkg_fem.materials.params import AnandParams, CureShrinkage, J2Params, PronyParams
from fcpkg_fem.materials.table import Table, _check_temperatures, _T_array, as_table

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

    def __getstate__(self) -> dict:
        """Pickled (a case sent to a worker process) with its read-only maps as plain dicts."""
        return {k: dict(v) if isinstance(v, MappingProxyType) else v for k, v in self.__dict__.items()}

    def __setstate__(self, state: dict) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, _freeze_map(v) if k in ("sources", "extra") else v)

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
