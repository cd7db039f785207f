"""The case: YAML -> typed, validated models with every quantity in the internal unit system.

The lowest room of the pipeline: it knows the vocabulary a case is written in (units, the registered material
models and load profiles, the material library) and nothing that computes on a mesh. Read a case with
:func:`load_case`; the field reference is docs/case_format.md.

Modules, lowest first (each imports only those before it): ``names``, ``paths``, ``yamlio``, ``layout`` (region
names, output paths, safe YAML, where arrays go); ``fields`` (field types and small validators); ``steps`` (the
step kinds' registry); ``schema_package``, ``schema`` (the models); ``messages`` (pydantic's errors in our
words); ``overrides``; ``plan`` (the process plan); ``checks`` (cross-field checks); ``load`` (:func:`load_case`).
"""

from fcpkg_fem.case.load import load_case, region_models
from fcpkg_fem.case.overrides import apply_overrides
from fcpkg_fem.case.schema import SCHEMA_VERSION, Case, History, Load, MeshSpec, Output, Solver
from fcpkg_fem.case.schema_package import (
    Adhesive,
    Balls,
    Bumps,
    Carrier,
    Carriers,
    Chip,
    Encapsulant,
    Interconnect,
    Laminate,
    Layer,
    Package,
)

__all__ = ["SCHEMA_VERSION", "Adhesive", "Balls", "Bumps", "Carrier", "Carriers", "Case", "Chip", "Encapsulant",
           "History", "Interconnect", "Laminate", "Layer", "Load", "MeshSpec", "Output", "Package", "Solver",
           "apply_overrides", "load_case", "region_models"]
