"""The package geometry of a case: carriers with their layers and dies, bumps, adhesive, encapsulant,
interconnect and balls (``structure: stacked_flipchip``), or a plain stack of layers (``structure: laminate``).

Each model checks what it can on its own (an array's pattern has the fields it needs and no others, a plated via's
wall fits); what needs several of them together (fit, clearances, heights, symmetry) is checked by
:mod:`fcpkg_fem.case.checks`. Lengths in m.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from fcpkg_fem.case import layout
from fcpkg_fem.case.fields import (CaseModel, Ident, MaterialName, NonNegLength, Point, PosInt, PosLength,
                                   Positions, Size, fail, mm, set_default)

__all__ = ["Adhesive", "Balls", "Bumps", "Carrier", "Carriers", "Chip", "Encapsulant", "Interconnect", "Laminate",
           "Layer", "Package"]


# pattern / kind -> (fields required, fields refused)
_ARRAY_NEEDS = {
    "peripheral": (("pitch", "rows", "edge_offset"), ("positions",)),
    "full_array": (("pitch", "edge_offset"), ("rows", "positions")),
    "explicit": (("positions",), ("pitch", "rows", "edge_offset")),
}
_INTERCONNECT_NEEDS = {
    "vias": (("material", "diameter"), ("width", "thickness")),
    "traces": (("material", "width", "thickness"), ("diameter", "fill", "wall", "fill_material")),
    "none": ((), ("material", "diameter", "fill", "wall", "fill_material", "width", "thickness",
                  "pitch", "rows", "edge_offset", "positions", "pattern")),
}


class _Array(CaseModel):
    """Pattern fields shared by bumps, vias, traces and balls (see :mod:`fcpkg_fem.case.layout` for the rules).

    Attributes:
        pattern: ``peripheral`` | ``full_array`` | ``explicit``; default ``explicit`` when ``positions`` is
            given, else ``peripheral``.
        pitch: centre-to-centre spacing along a row and between rows, m (peripheral, full_array).
        rows: number of peripheral rings (peripheral).
        edge_offset: region edge to the centre of the outermost row, m (peripheral, full_array).
        positions: centres relative to the region centre, m (explicit).
    """

    pattern: Literal["peripheral", "full_array", "explicit"] | None = None
    pitch: PosLength | None = None
    rows: PosInt | None = None
    edge_offset: NonNegLength | None = None
    positions: Positions | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_pattern(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("pattern") is None and cls._has_array(data):
            data = {**data, "pattern": "explicit" if data.get("positions") is not None else "peripheral"}
        return data

    @classmethod
    def _has_array(cls, data: dict) -> bool:
        return True

    def _pattern_problems(self) -> list[tuple[str, str]]:
        if self.pattern is None:
            return []
        need, refuse = _ARRAY_NEEDS[self.pattern]
        probs = [(f, f"is required for pattern '{self.pattern}'") for f in need if getattr(self, f) is None]
        probs += [
            (f, f"does not apply to pattern '{self.pattern}'; remove it (needs: {', '.join(need)})")
            for f in refuse
            if getattr(self, f) is not None
        ]
        return probs


class Bumps(_Array):
    """Solder bumps joining a die's active face to its carrier.

    Attributes:
        material: bump material name.
        diameter: bump diameter, m.
        standoff: bump height = die-to-carrier gap, m.
    """

    material: MaterialName
    diameter: PosLength
    standoff: PosLength

    @model_validator(mode="after")
    def _check(self) -> "Bumps":
        probs = self._pattern_problems()
        if probs:
            raise fail(probs[0][1], probs)
        return self


class Balls(_Array):
    """Solder balls on a carrier's outer face (``top_balls`` on carrier 2, ``bottom_balls`` under carrier 1).

    Attributes:
        material: ball material name.
        diameter: ball diameter, m.
        height: ball height, m.
    """

    material: MaterialName
    diameter: PosLength
    height: PosLength

    @model_validator(mode="after")
    def _check(self) -> "Balls":
        probs = self._pattern_problems()
        if probs:
            raise fail(probs[0][1], probs)
        return self


class Interconnect(_Array):
    """Carrier-to-carrier interconnect, laid out in the overlap of both carriers (centred at the origin).

    Attributes:
        kind: ``vias`` (Cu through vias through carrier 1, the encapsulant and carrier 2), ``traces``
            (vertical Cu strips through the encapsulant joining a carrier-2 pad to the carrier-1 pad under it)
            or ``none``.
        material: conductor material (vias, traces).
        diameter: via diameter, m (vias).
        fill: ``filled`` (solid) or ``plated`` (a ``wall``-thick tube around a ``fill_material`` core); vias.
        wall: plated wall thickness, m (plated vias).
        fill_material: core of plated vias; default the encapsulant material.
        width: trace cross-section along the nearest carrier edge, m (traces).
        thickness: trace cross-section normal to that edge, m (traces).
    """

    kind: Literal["vias", "traces", "none"]
    material: MaterialName | None = None
    diameter: PosLength | None = None
    fill: Literal["filled", "plated"] | None = None
    wall: PosLength | None = None
    fill_material: MaterialName | None = None
    width: PosLength | None = None
    thickness: PosLength | None = None

    @classmethod
    def _has_array(cls, data: dict) -> bool:
        return data.get("kind") != "none"

    @model_validator(mode="after")
    def _check(self) -> "Interconnect":
        need, refuse = _INTERCONNECT_NEEDS[self.kind]
        probs = [(f, f"is required for interconnect kind '{self.kind}'") for f in need if getattr(self, f) is None]
        probs += [
            (f, f"does not apply to interconnect kind '{self.kind}'; remove it")
            for f in refuse
            if getattr(self, f) is not None
        ]
        if self.kind != "none":
            probs += self._pattern_problems()
        if self.kind == "vias":
            if self.fill is None:
                set_default(self, "fill", "filled")
            if self.fill == "plated":
                if self.wall is None:
                    probs.append(("wall", "is required for plated vias (the Cu wall thickness)"))
                elif self.diameter is not None and not self.wall < self.diameter / 2:
                    probs.append(("wall", f"{mm(self.wall)} must be less than half the via diameter "
                                          f"({mm(self.diameter / 2)})"))
            else:
                probs += [(f, "applies only to plated vias (fill: plated)") for f in ("wall", "fill_material")
                          if getattr(self, f) is not None]
        if probs:
            raise fail(probs[0][1], probs)
        return self


# ----------------------------------------------------------------------------------------------- package


class Layer(CaseModel):
    """One layer of a carrier or a laminate. Attributes: name, material, thickness (m)."""

    name: Ident
    material: MaterialName
    thickness: PosLength


class Chip(CaseModel):
    """A die.

    Attributes:
        name: die name (region ``chip.<name>``, bumps ``bumps.<name>``); unique in the package.
        size: (x, y) full widths, m.
        thickness: m.
        center: (x, y) of the die centre, global (package centred at the origin), m.
        material: die material.
        bumps: the die's bump array.
    """

    name: Ident
    size: Size
    thickness: PosLength
    center: Point = (0.0, 0.0)
    material: MaterialName
    bumps: Bumps


class Carrier(CaseModel):
    """A chip carrier, centred at the origin.

    Attributes:
        kind: ``substrate`` (organic laminate) or ``tab`` (TAB tape).
        size: (x, y) full widths, m.
        layers: bottom to top (for the top carrier: gap side first, stacking side last).
        chips: the dies flip-chip bonded to this carrier (bottom carrier: active face down; top carrier:
            active face up, bumps up into the top carrier).
    """

    kind: Literal["substrate", "tab"]
    size: Size
    layers: Annotated[list[Layer], Field(min_length=1)]
    chips: Annotated[list[Chip], Field(min_length=1)]

    @property
    def thickness(self) -> float:
        """Sum of the layer thicknesses, m."""
        return float(sum(layer.thickness for layer in self.layers))


class Carriers(CaseModel):
    """``bottom`` = carrier 1 (terminal side down), ``top`` = carrier 2 (stacking side up)."""

    bottom: Carrier
    top: Carrier


class Adhesive(CaseModel):
    """Back-to-back die adhesive: one block per overlapping (bottom die, top die) pair.

    Attributes:
        material: adhesive material.
        thickness: m.
        size: (x, y) of each block, centred on the pair's overlap, m; None = the overlap of the two dies
            (see :func:`fcpkg_fem.case.layout.adhesive_rects`).
    """

    material: MaterialName
    thickness: PosLength
    size: Size | None = None


class Encapsulant(CaseModel):
    """Resin filling the gap between the carriers around dies, bumps and interconnect."""

    material: MaterialName


class Package(CaseModel):
    """A stacked flip-chip package: two carriers, each with dies flip-chip bonded to its inner face, the dies of
    the bottom carrier glued back to back to those of the top one (adhesive), the gap between the carriers
    filled with encapsulant and crossed by the carrier-to-carrier interconnect, optionally solder balls on the
    outer faces. Derived height: :attr:`gap`."""

    carriers: Carriers
    adhesive: Adhesive
    encapsulant: Encapsulant
    interconnect: Interconnect
    top_balls: Balls | None = None
    bottom_balls: Balls | None = None

    @model_validator(mode="after")
    def _fill_default(self) -> "Package":
        ic = self.interconnect
        if ic.kind == "vias" and ic.fill == "plated" and ic.fill_material is None:
            set_default(ic, "fill_material", self.encapsulant.material)
        return self

    @property
    def gap(self) -> float:
        """Carrier-to-carrier distance (encapsulant height), m: standoff + die + adhesive + die + standoff of
        the first back-to-back pair (validation checks every pair gives the same)."""
        pairs = layout.die_pairs(self)
        i, j = pairs[0]
        b, t = self.carriers.bottom.chips[i], self.carriers.top.chips[j]
        return b.bumps.standoff + b.thickness + self.adhesive.thickness + t.thickness + t.bumps.standoff

    @property
    def chips(self) -> list[tuple[int, Chip]]:
        """Every die with its carrier number (1 = bottom, 2 = top)."""
        return [(1, c) for c in self.carriers.bottom.chips] + [(2, c) for c in self.carriers.top.chips]


class Laminate(CaseModel):
    """A generic stack of full-size layers (``structure: laminate``), centred at the origin.

    Attributes:
        size: (x, y) full widths, m.
        layers: bottom to top.
    """

    size: Size
    layers: Annotated[list[Layer], Field(min_length=1)]
