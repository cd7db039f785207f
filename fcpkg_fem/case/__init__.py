"""The case: YAML -> typed, validated models with every quantity in the internal unit system.

The lowest room of the pipeline: it knows the vocabulary a case is written in (units, the registered material
models and load profiles, the material library) and nothing that computes on a mesh. Read a case with
:func:`load_case`; the field reference is docs/case_format.md.
"""

from fcpkg_fem.case.load import (
    SCHEMA_VERSION,
    Adhesive,
    Balls,
    Bumps,
    Carrier,
    Carriers,
    Case,
    Chip,
    Encapsulant,
    History,
    Interconnect,
    Laminate,
    Layer,
    Load,
    MeshSpec,
    Output,
    Package,
    Solver,
    apply_overrides,
    load_case,
    region_models,
)

__all__ = ["SCHEMA_VERSION", "Adhesive", "Balls", "Bumps", "Carrier", "Carriers", "Case", "Chip", "Encapsulant",
           "History", "Interconnect", "Laminate", "Layer", "Load", "MeshSpec", "Output", "Package", "Solver",
           "apply_overrides", "load_case", "region_models"]
