"""Materials: immutable models (``model``), the built-in library with sources (``library``), which sources mark a
value as assumed (``provenance``) and the case-file ``materials:`` block (``spec``). See docs/materials.md.

Internal units: Pa, 1/K, degC, W/(m K), kg/m^3, J/(kg K).
"""

from fcpkg_fem.materials.library import builtin_names, get
from fcpkg_fem.materials.model import (
    CTE,
    VOIGT,
    AnandParams,
    Elastic,
    Isotropic,
    Material,
    Orthotropic,
    Table,
)
from fcpkg_fem.materials.spec import resolve_materials

__all__ = [
    "CTE",
    "VOIGT",
    "AnandParams",
    "Elastic",
    "Isotropic",
    "Material",
    "Orthotropic",
    "Table",
    "builtin_names",
    "get",
    "resolve_materials",
]

