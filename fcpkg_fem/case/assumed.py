"""The assumed material values a case uses, for ``fcpkg check`` (docs/materials.md, "Built-in materials").

A value is used when the case's analysis reads it: every region's elastic constants and CTE; Tg (the CTE step
and the viscoelastic reference); the solidus in a process history (``load.steps``, where solder melts); the
conductivity, density and specific heat with ``thermal.mode: transient``; the parameters of the inelastic model a
region is given (``models``: ``anand``, ``j2``, ``viscoelastic`` -> ``prony``); a cure shrinkage in a process
history; the moisture record (diffusivity, saturation, swelling) of every permeable material in a history that
models moisture. A used value is listed when its source is assumed (:func:`fcpkg_fem.materials.provenance.is_assumed`):
a library value no readable document states, or a case override given without a ``source``.

API: :func:`assumed_values` -> list of :class:`AssumedValue`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fcpkg_fem.case import names as rn
from fcpkg_fem.case.schema import Case
from fcpkg_fem.case.steps import models_moisture
from fcpkg_fem.materials.provenance import PROPERTIES, assumed_sources

__all__ = ["AssumedValue", "MODEL_BLOCKS", "assumed_values", "used_properties"]

#: inelastic model name -> the material's parameter block it reads
MODEL_BLOCKS = {"anand": "anand", "j2": "j2", "viscoelastic": "prony"}


@dataclass(frozen=True)
class AssumedValue:
    """One assumed value a case uses: ``material.prop``, its source text, and the regions made of the material."""

    material: str
    prop: str
    source: str
    regions: tuple[str, ...]

    def reason(self, width: int = 100) -> str:
        """The source text from the clause that says 'assumed' on, cut to ``width`` characters: a source that
        cites a document for part of the value and assumes the rest starts at the '; ' before the word, one that
        names a document and then says it is assumed from it at the ': ' before the word."""
        text = " ".join(self.source.split())
        at = text.lower().find("assumed")
        for sep in ("; ", ": "):
            cut = text.rfind(sep, 0, at) if at > 0 else -1
            if cut >= 0:
                text = text[cut + 2:]
                break
        return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def used_properties(case: Case) -> dict[str, list[str]]:
    """Material name -> the properties the case's analysis reads of it (see the module docstring), in
    :data:`fcpkg_fem.materials.provenance.PROPERTIES` order."""
    process = case.load.mode == "steps"
    transient = case.thermal.mode == "transient"
    wet = process and models_moisture(case.load.steps)
    props: dict[str, set[str]] = {}
    for region, mat in case.region_materials().items():
        used = props.setdefault(mat, {"E", "nu", "cte", "Tg"})
        if process:
            used |= {"solidus", "cure_shrinkage"}
        if transient:
            used |= {"k", "rho", "cp"}
        if wet:  # the moisture record of every permeable material (impermeable ones have none to list)
            used.add("moisture")
        key = next((k for k in (region, rn.kind(region), mat) if k in case.models), None)
        block = MODEL_BLOCKS.get(case.models[key]) if key is not None else None
        if block:
            used.add(block)
    return {m: [p for p in PROPERTIES if p in used] for m, used in props.items()}


def assumed_values(case: Case) -> list[AssumedValue]:
    """Every assumed value the case uses, by material name then property (a material the case does not resolve,
    which validation already reports, is skipped)."""
    regions: dict[str, list[str]] = {}
    for region, mat in case.region_materials().items():
        regions.setdefault(mat, []).append(region)
    out = []
    resolved = case.materials_resolved
    for mat, props in sorted(used_properties(case).items()):
        if mat not in resolved:
            continue
        for prop, text in assumed_sources(resolved[mat], props).items():
            out.append(AssumedValue(mat, prop, text, tuple(regions[mat])))
    return out
