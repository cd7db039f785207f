"""The package geometry of a case: carriers with their layers and dies, bumps, adhesive, encapsulant,
interconnect and balls (``structure: stacked_flipchip``), or a plain stack of layers (``structure: laminate``).

Each model checks what it can on its own (an array's pattern has the fields it needs and no others, a plated via's
wall fits); what needs several of them together (fit, clearances, heights, symmetry) is checked by
:mod:`fcpkg_fem.case.checks`. Lengths in m.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BeforeValidator, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from fcpkg_fem.case import layout, layout_files
from fcpkg_fem.case.fields import (CaseModel, Ident, MaterialName, NonNegLength, Point, PosInt, PosLength,
                                   Positions, Size, describe, fail, fmt, mm, set_default)
from fcpkg_fem.errors import InputError
from fcpkg_fem.units import parse_quantity

__all__ = ["Adhesive", "Balls", "Bumps", "Carrier", "Carriers", "Chip", "Encapsulant", "Interconnect", "Laminate",
           "Layer", "Package"]


# pattern / kind -> (fields required, fields refused)
_LAYOUT_KEYS = ("file", "map", "units", "view")
_ARRAY_NEEDS = {
    "peripheral": (("pitch", "rows", "edge_offset"), ("positions",) + _LAYOUT_KEYS),
    "full_array": (("pitch", "edge_offset"), ("rows", "positions") + _LAYOUT_KEYS),
    "explicit": (("positions",), ("pitch", "rows", "edge_offset") + _LAYOUT_KEYS),
    "file": (("file",), ("pitch", "rows", "edge_offset", "positions", "map", "view")),
    "ball_map": (("pitch", "view"), ("rows", "edge_offset", "positions", "units")),
}
_DERIVED_ARRAY_KEYS = ("labels", "nets")
_INTERCONNECT_NEEDS = {
    "vias": (("material", "diameter"), ("width", "thickness")),
    "traces": (("material", "width", "thickness"), ("diameter", "fill", "wall", "fill_material")),
    "none": ((), ("material", "diameter", "fill", "wall", "fill_material", "width", "thickness",
                  "pitch", "rows", "edge_offset", "positions", "pattern") + _LAYOUT_KEYS),
}


def _file_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail(f"{fmt(value)} is not a file name; give the data file's path relative to the case file's folder")
    if "\x00" in value or len(value) > 1024:
        raise fail("is not a usable file name (a NUL character, or over 1024 characters)")
    return value


def _length_unit(value: Any) -> str:
    if isinstance(value, str) and value.strip():
        try:
            parse_quantity(f"1 {value.strip()}", "length", "")
            return value.strip()
        except InputError:
            pass
    raise fail(f"{fmt(value)} is not a length unit; allowed: m, mm, um, nm, mil")


def _map_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail(f"{describe(value)} is not a ball map; give the grid as text, one line per row (e.g. 'A o o . o o')")
    return value


FileName = Annotated[str, BeforeValidator(_file_text)]
LengthUnit = Annotated[str, BeforeValidator(_length_unit)]
MapText = Annotated[str, BeforeValidator(_map_text)]


def _drop_unset(data: Any, keys: tuple[str, ...]) -> Any:
    """A dump without the ``keys`` that are None: fields added for layout files and copper layers leave the resolved
    case (and its hash, which checkpoints and batch folders record) of a case without them as it was."""
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if not (k in keys and v is None)}
    return data


class _Array(CaseModel):
    """Pattern fields shared by bumps, vias, traces and balls (see :mod:`fcpkg_fem.case.layout` for the rules).

    Attributes:
        pattern: ``peripheral`` | ``full_array`` | ``explicit`` | ``file`` | ``ball_map``; default ``explicit``
            when ``positions`` is given, ``ball_map`` when ``map`` is, ``file`` when ``file`` is, else
            ``peripheral``.
        pitch: centre-to-centre spacing along a row and between rows, m (peripheral, full_array, ball_map).
        rows: number of peripheral rings (peripheral).
        edge_offset: region edge to the centre of the outermost row, m (peripheral, full_array).
        positions: centres relative to the region centre, m (explicit; for file and ball_map, filled from the
            data when the case is validated).
        file: a positions CSV (file) or a ball map text file (ball_map), relative to the case file's folder
            (:mod:`fcpkg_fem.case.layout_files`).
        map: a ball map given inline as text (ball_map, instead of ``file``).
        units: length unit of the CSV's length columns whose header carries none (file).
        view: ``top`` or ``bottom``: the ball map is drawn as seen from above or from below (ball_map).
        labels, nets: derived, not input: the CSV's ``id`` and ``net`` columns, or a ball map's ``A1``, ``B12``...
    """

    pattern: Literal["peripheral", "full_array", "explicit", "file", "ball_map"] | None = None
    pitch: PosLength | None = None
    rows: PosInt | None = None
    edge_offset: NonNegLength | None = None
    positions: Positions | None = None
    file: FileName | None = None
    map: MapText | None = None
    units: LengthUnit | None = None
    view: Literal["top", "bottom"] | None = None
    labels: tuple[str, ...] | None = None
    nets: tuple[str, ...] | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_pattern(cls, data: Any) -> Any:
        if isinstance(data, dict):
            given = [k for k in _DERIVED_ARRAY_KEYS if data.get(k) is not None]
            if given:
                msgs = [(k, "is not an input: it is filled from the layout file's id and net columns (pattern: "
                            "file) or the ball map's cell names (pattern: ball_map); remove it") for k in given]
                raise fail(msgs[0][1], msgs)
        if isinstance(data, dict) and data.get("pattern") is None and cls._has_array(data):
            if data.get("positions") is not None:
                pattern = "explicit"
            elif data.get("map") is not None:
                pattern = "ball_map"
            elif data.get("file") is not None:
                pattern = "file"
            else:
                pattern = "peripheral"
            data = {**data, "pattern": pattern}
        return data

    @classmethod
    def _has_array(cls, data: dict) -> bool:
        return True

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        return _drop_unset(handler(self), _LAYOUT_KEYS + _DERIVED_ARRAY_KEYS)

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
        if self.pattern == "file" and (self.pitch is not None or self.view is not None):
            probs = [(f, m + "; a ball map in a file needs pattern: ball_map") for f, m in probs]
        if self.pattern == "ball_map" and (self.file is None) == (self.map is None):
            msg = ("give the ball map either in a file or inline as map, not both" if self.file is not None
                   else "is required for pattern 'ball_map': the grid's file, or the grid inline as map")
            probs.append(("file", msg))
        return probs

    def _read_layout(self, diameter: float | None, what: str) -> list[tuple[str, str]]:
        """For pattern file and ball_map: read the data, fill ``positions``, ``labels`` and ``nets``, and check
        what the data alone decide: one diameter per array (the mesher meshes every item of an array with one
        diameter) and no two items overlapping (``diameter`` apart at least). Returns (sub-path, message)."""
        if self.pattern not in ("file", "ball_map"):
            return []
        try:
            data = layout_files.layout_of(self, "@")
        except InputError as err:
            return [(p.field.removeprefix("@."), p.message) for p in err.problems]
        key = "map" if self.map is not None else "file"
        source = "the map" if self.map is not None else f"'{self.file}'"
        if data.diameters is not None:
            if diameter is None:
                return [(key, f"{source} has a diameter column, but {what}s have no diameter (a trace's cross-section "
                              "is its width and thickness); remove the column")]
            off = np.flatnonzero(np.abs(data.diameters - diameter) > layout.TOL)
            if len(off):
                k = int(off[0])
                return [(key, f"{source} {data.where(k)} gives diameter {mm(float(data.diameters[k]))}, but the "
                              f"array's diameter is {mm(diameter)}: the mesher meshes one diameter per array, so "
                              f"every row's diameter must equal it ({len(off)} row(s) differ); give rows of one "
                              "diameter, or leave the diameter column out")]
        if diameter is not None and len(data.positions) > 1:
            from scipy.spatial import cKDTree

            pairs = cKDTree(data.positions).query_pairs(diameter - layout.TOL, output_type="ndarray")
            if len(pairs):
                i, j = sorted(int(v) for v in pairs[0])
                d = float(np.linalg.norm(data.positions[i] - data.positions[j]))
                return [(key, f"{what}s overlap: {source} {data.where(j)} is {mm(d)} from {data.where(i)}, less "
                              f"than the diameter {mm(diameter)}")]
        set_default(self, "positions", tuple((float(x), float(y)) for x, y in data.positions))
        set_default(self, "labels", data.labels)
        set_default(self, "nets", data.nets)
        return []


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
        probs = self._pattern_problems() or self._read_layout(self.diameter, "bump")
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
        probs = self._pattern_problems() or self._read_layout(self.diameter, "ball")
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
        if not probs and self.kind != "none":
            probs = self._read_layout(self.diameter, self.kind[:-1])
        if probs:
            raise fail(probs[0][1], probs)
        return self


# ----------------------------------------------------------------------------------------------- package


def _fraction(value: Any) -> float:
    try:
        x = parse_quantity(value, "dimensionless", "")
    except InputError as err:
        raise fail("; ".join(p.message for p in err.problems)) from None
    if not 0.0 <= x <= 1.0:
        raise fail(f"is a copper volume fraction from 0 to 1 (0.3 = 30 % copper), got {fmt(value)}")
    return x


Fraction = Annotated[float, BeforeValidator(_fraction)]


class Layer(CaseModel):
    """One layer of a carrier or a laminate.

    Attributes:
        name: layer name (region ``carrier1.<name>`` ...).
        material: the layer's material. With ``copper_fraction`` the input names the resin or laminate the copper
            sits in; the validated case names the homogenised material (``bt_laminate+cu0.3x``, made by
            :func:`fcpkg_fem.case.checks.cross_checks` with :func:`fcpkg_fem.materials.homogenise.homogenise_layer`),
            and ``matrix_material`` keeps the input's name.
        thickness: m.
        copper_fraction: copper volume fraction of the layer (trace density), 0..1; None: no copper.
        copper_material: the conductor; default ``copper`` when ``copper_fraction`` is given.
        traces: ``isotropic_in_plane`` (cross-hatched or mesh planes; the default), ``x`` or ``y`` (parallel
            traces along that axis).
        trace_pitch: the traces' pitch (centre to centre), m; given, the in-plane response comes from a unit cell of
            one pitch on the neighbouring layer (:mod:`fcpkg_fem.materials.trace_cell`); None: the fine-stack
            average alone (as before the field existed).
        matrix_material: derived, not input: the ``material`` given, once it is replaced by the homogenised one.
    """

    name: Ident
    material: MaterialName
    thickness: PosLength
    copper_fraction: Fraction | None = None
    copper_material: MaterialName | None = None
    traces: Literal["isotropic_in_plane", "x", "y"] | None = None
    trace_pitch: PosLength | None = None
    matrix_material: MaterialName | None = None

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        return _drop_unset(handler(self), ("copper_fraction", "copper_material", "traces", "trace_pitch",
                                           "matrix_material"))

    @model_validator(mode="before")
    @classmethod
    def _not_derived(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("matrix_material") is not None:
            raise fail("is not an input: give the resin or laminate as material, with copper_fraction",
                       [("matrix_material", "is not an input: give the resin or laminate as material, with "
                                            "copper_fraction")])
        return data

    @model_validator(mode="after")
    def _copper(self) -> "Layer":
        if self.copper_fraction is None:
            probs = [(f, "applies only with copper_fraction (the layer's copper volume fraction); add it or "
                         "remove this") for f in ("copper_material", "traces", "trace_pitch")
                     if getattr(self, f) is not None]
            if probs:
                raise fail(probs[0][1], probs)
            return self
        if self.copper_material is None:
            set_default(self, "copper_material", "copper")
        if self.traces is None:
            set_default(self, "traces", "isotropic_in_plane")
        return self


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
