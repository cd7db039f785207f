"""Model protocol, registry and Voigt helpers shared by the quadrature-point material models.

Conventions (the contract with the global Newton solver):

- Voigt order ``[xx, yy, zz, yz, xz, xy]``; strain vectors carry ENGINEERING shear (gamma = 2 eps); stresses in Pa.
- ``update(eps, T0, T1, dt, state)`` takes the mechanical strain at the END of the increment (n, 6), the
  temperatures at its start and end (n,) in degC and its length dt (s, may be 0), and the COMMITTED state at its
  start (never mutated). It returns ``sigma`` (n, 6) Pa, the algorithmic tangent ``D = d sigma / d eps`` (n, 6, 6) Pa
  (engineering shear, so ``D @ deps`` is the stress change) and a new (trial) state dict.
- Every state holds ``eps`` (n, 6), the strain of the last update, so its size is known from the state alone.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from fcpkg_fem.errors import InputError, SolverError, closest
from fcpkg_fem.materials.model import Isotropic, Material

__all__ = ["Model", "PlasticModel", "MODELS", "register", "make_model", "model_names", "LocalSolveError"]


class LocalSolveError(SolverError):
    """A model's local (quadrature-point) iteration failed; ``points`` holds the indices (into the update's n
    points) that did not converge, so the caller can cut the increment back and report where."""

    def __init__(self, message: str, points: np.ndarray):
        super().__init__(message)
        self.points = np.asarray(points)

MODELS: dict[str, type] = {}
"""Registry: model name -> class (each class has ``from_material(material)``)."""

# Deviatoric projector in the mixed Voigt convention: s (stress-like) = 2G * DEV @ e (engineering strain).
DEV = np.zeros((6, 6))
DEV[:3, :3] = np.eye(3) - 1.0 / 3.0
DEV[3:, 3:] = 0.5 * np.eye(3)
ONE = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
# Factor turning a tensor-shear (stress-like) Voigt vector into an engineering-shear strain vector.
ENG = np.array([1.0, 1.0, 1.0, 2.0, 2.0, 2.0])


def register(name: str) -> Callable[[type], type]:
    """Class decorator: register a model class under ``name`` (its registry key and ``cls.name``)."""

    def deco(cls: type) -> type:
        if name in MODELS:
            raise ValueError(f"material model '{name}' registered twice")
        cls.name = name
        MODELS[name] = cls
        return cls

    return deco


def model_names() -> list[str]:
    return sorted(MODELS)


def make_model(name: str, material: Material) -> "Model":
    """The model ``name`` built from ``material`` (its elasticity and ``material.extra[name]``).

    Raises:
        InputError: unknown model name, or the material lacks the model's parameters (the message names the
            material and the missing key).
    """
    key = str(name).strip().lower()
    if key not in MODELS:
        hint = closest(key, MODELS)
        did = f" (did you mean '{hint}'?)" if hint else ""
        raise InputError.single(f"materials.{material.name}.model",
                                f"'{name}' is not a material model{did}; known: {', '.join(model_names())}")
    return MODELS[key].from_material(material)


def _broadcast_T(T: Any, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(T, dtype=float), (n,)).astype(float)


def tensor_norm(s: np.ndarray) -> np.ndarray:
    """Tensor norm sqrt(s:s) of stress-like Voigt vectors (..., 6)."""
    return np.sqrt(np.sum(s[..., :3] ** 2, axis=-1) + 2.0 * np.sum(s[..., 3:] ** 2, axis=-1))


def equivalent_strain(e: np.ndarray) -> np.ndarray:
    """Von Mises equivalent strain sqrt(2/3 e_dev:e_dev) of engineering-shear strain vectors (..., 6)."""
    tr = e[..., :3].sum(axis=-1, keepdims=True)
    d = e[..., :3] - tr / 3.0
    return np.sqrt(2.0 / 3.0 * (np.sum(d**2, axis=-1) + 0.5 * np.sum(e[..., 3:] ** 2, axis=-1)))


def isotropic_of(material: Material, model: str):
    """The material's Isotropic elasticity, or InputError naming the material (J2 and Anand need isotropy)."""
    if not isinstance(material.elastic, Isotropic):
        raise InputError.single(f"materials.{material.name}.model",
                                f"model '{model}' needs isotropic elasticity, but '{material.name}' is "
                                f"{material.elastic.kind}")
    return material.elastic


def model_params(material: Material, key: str, what: str) -> Any:
    """``material.extra[key]``, the parameters of model ``key``; InputError naming the material if it has none
    (``what``: what the parameters are)."""
    params = material.extra.get(key)
    if params is None:
        raise InputError.single(
            f"materials.{material.name}.{key}",
            f"model '{key}' needs {what}, but material '{material.name}' has none (material.extra['{key}'] is "
            f"missing; it has: {', '.join(sorted(material.extra)) or 'no model parameters'})")
    return params


class Model:
    """Base class of the quadrature-point models (see the module docstring for the contract).

    Subclasses set ``inelastic`` and ``fixed_tangent`` and implement ``from_material``, ``init_state``,
    ``update`` and, if inelastic,
    ``inelastic_strain``, ``equivalent_inelastic_strain``, ``inelastic_work``.
    """

    name: str = ""
    inelastic: bool = False
    # True when the tangent D depends only on T0, T1, dt and the committed state, not on the trial strain (the
    # update is then linear in the strain: one Newton iteration solves an increment, and the history solver keeps
    # the element matrices through the increment)
    fixed_tangent: bool = False

    @classmethod
    def from_material(cls, material: Material) -> "Model":  # pragma: no cover - abstract
        raise NotImplementedError

    def init_state(self, n: int) -> dict[str, np.ndarray]:
        """Virgin state of n points: every array has leading dimension n."""
        return {"eps": np.zeros((n, 6))}

    def update(self, eps: np.ndarray, T0: Any, T1: Any, dt: float, state: dict[str, np.ndarray]
               ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def inelastic_strain(self, state: dict[str, np.ndarray]) -> np.ndarray:
        """Inelastic strain (n, 6), engineering shear; zeros for elastic models."""
        return np.zeros_like(state["eps"])

    def equivalent_inelastic_strain(self, state: dict[str, np.ndarray]) -> np.ndarray:
        """Accumulated equivalent inelastic strain (n,)."""
        return np.zeros(state["eps"].shape[0])

    def inelastic_work(self, state: dict[str, np.ndarray]) -> np.ndarray:
        """Accumulated inelastic (dissipated) work density (n,), J/m^3 = Pa."""
        return np.zeros(state["eps"].shape[0])

    @staticmethod
    def _prepare(eps: Any, T0: Any, T1: Any, dt: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        eps = np.asarray(eps, dtype=float)
        if eps.ndim != 2 or eps.shape[1] != 6:
            raise ValueError(f"eps must have shape (n, 6), got {eps.shape}")
        n = eps.shape[0]
        dt = float(dt)
        if not dt >= 0:
            raise ValueError(f"dt must be >= 0 s, got {dt}")
        return eps, _broadcast_T(T0, n), _broadcast_T(T1, n), dt


class PlasticModel(Model):
    """Base of the isotropic plastic models (J2, Anand): isotropic elasticity of the material, parameters in
    ``material.extra[name]``, and a state holding ``eps_p`` (inelastic strain, engineering shear), ``p``
    (accumulated equivalent inelastic strain) and ``w`` (inelastic work density, J/m^3)."""

    inelastic = True
    params_what = ""
    """What the parameters are, for the message when a material has none."""

    def __init__(self, material: Material, params: Any):
        self.material = material
        self.elastic = isotropic_of(material, self.name)
        self.params = params

    @classmethod
    def from_material(cls, material: Material) -> "PlasticModel":
        return cls(material, model_params(material, cls.name, cls.params_what))

    def inelastic_strain(self, state: dict[str, np.ndarray]) -> np.ndarray:
        return state["eps_p"]

    def equivalent_inelastic_strain(self, state: dict[str, np.ndarray]) -> np.ndarray:
        return state["p"]

    def inelastic_work(self, state: dict[str, np.ndarray]) -> np.ndarray:
        return state["w"]
