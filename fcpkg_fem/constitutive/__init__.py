"""Quadrature-point material models (the contract with the global Newton solver is in ``base``).

Voigt order xx, yy, zz, yz, xz, xy; ENGINEERING shear strains; stresses in Pa; temperatures in degC.
Registered models: ``elastic``, ``viscoelastic`` (Prony + WLF/Arrhenius), ``j2`` (plasticity), ``anand``
(viscoplastic solder). Build one with :func:`make_model` (name, Material). See docs/models.md.
"""

from fcpkg_fem.constitutive.base import MODELS, LocalSolveError, Model, make_model, model_names, register
# importing the model classes registers them, in this order
from fcpkg_fem.constitutive.elastic import Elastic
from fcpkg_fem.constitutive.viscoelastic import Viscoelastic, cure_strain
from fcpkg_fem.constitutive.j2 import J2
from fcpkg_fem.constitutive.anand import Anand

__all__ = [
    "MODELS",
    "LocalSolveError",
    "Model",
    "make_model",
    "model_names",
    "register",
    "Elastic",
    "Viscoelastic",
    "J2",
    "Anand",
    "cure_strain",
]
