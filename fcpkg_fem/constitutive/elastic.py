"""Linear elasticity at quadrature points: sigma = C(T1) eps (isotropic or orthotropic, temperature-dependent).

The total form, identical to the linear solver's: the stress depends on the current strain and temperature only.
"""

from __future__ import annotations

import numpy as np

from fcpkg_fem.constitutive.base import Model, register
from fcpkg_fem.materials.model import Material


@register("elastic")
class Elastic(Model):
    """sigma = material.stiffness(T1) @ eps; D = material.stiffness(T1); no inelastic state."""

    inelastic = False
    fixed_tangent = True  # D depends on T0, T1, dt and the committed state only: linear in the strain

    def __init__(self, material: Material):
        self.material = material

    @classmethod
    def from_material(cls, material: Material) -> "Elastic":
        return cls(material)

    def update(self, eps, T0, T1, dt, state):
        eps, T0, T1, dt = self._prepare(eps, T0, T1, dt)
        C = self.material.stiffness(T1)
        sigma = np.einsum("nij,nj->ni", C, eps)
        return sigma, C, {"eps": eps.copy()}
