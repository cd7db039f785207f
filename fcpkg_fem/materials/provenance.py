"""Where a material value comes from: which source texts mark it as assumed.

A source text either names the document that states the number (authors or publisher, title, year or "undated",
table or figure, and the copy it was read at) or says ``assumed: <why>`` (docs/materials.md, "Built-in
materials"). A case file's override without a ``source`` is recorded as "case file override (no source given)"
(:mod:`fcpkg_fem.materials.spec`) and counts as assumed too: nothing names where its number comes from.

API: :func:`is_assumed`, :func:`assumed_sources`, :data:`PROPERTIES`.
"""

from __future__ import annotations

from typing import Iterable

from fcpkg_fem.materials.model import Material
from fcpkg_fem.materials.moisture import moisture_of

__all__ = ["PROPERTIES", "assumed_sources", "is_assumed", "source_of"]

#: the keys of ``Material.sources`` a library material fills, in the order they are listed
PROPERTIES = ("E", "nu", "cte", "Tg", "solidus", "k", "rho", "cp", "anand", "j2", "prony", "cure_shrinkage",
              "moisture")

_MARKERS = ("assumed", "no source given")


def is_assumed(text: str | None) -> bool:
    """True when the source text marks its value (or part of it) as assumed, or gives no source at all."""
    low = (text or "").lower()
    return not low.strip() or any(m in low for m in _MARKERS)


def source_of(material: Material, prop: str) -> str:
    """The source text of ``prop`` of ``material`` (a new case material's own ``source`` when the property has
    none of its own; empty when there is none)."""
    if prop == "moisture":  # a record's own source: the case's block or the library record of the name
        rec = moisture_of(material)
        return (rec.source or material.sources.get("moisture") or "") if rec is not None else ""
    return material.sources.get(prop) or material.sources.get("all") or ""


def assumed_sources(material: Material, props: Iterable[str] = PROPERTIES) -> dict[str, str]:
    """``prop -> source text`` for those of ``props`` the material has whose source is assumed (in ``props``
    order). A property the material does not carry (no Tg, no solidus, no such model parameters) is skipped."""
    out: dict[str, str] = {}
    for prop in props:
        if not _has(material, prop):
            continue
        text = source_of(material, prop)
        if is_assumed(text):
            out[prop] = text or "no source given"
    return out


def _has(material: Material, prop: str) -> bool:
    if prop in ("E", "nu", "cte"):
        return True
    if prop in ("k", "rho", "cp"):
        return material.has_thermal
    if prop in ("Tg", "solidus"):
        return getattr(material, prop) is not None
    if prop == "moisture":
        return moisture_of(material) is not None
    return material.extra.get(prop) is not None
