"""Plain geometry data: every part of a package is a vertical prism (a 2D outline swept over a z-range).

No gmsh here. The mesher turns the outlines into one conformal 2D footprint mesh and sweeps it through the
z-slabs that the prisms' bottoms and tops define; in each slab every footprint cell takes the region of the
highest-priority prism that contains it (or is left empty: voids between balls, say).
Lengths in m.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

ShapeKind = Literal["rect", "disk"]


@dataclass(frozen=True)
class Shape:
    """A 2D outline: an axis-aligned rectangle or a disk.

    Attributes:
        kind: ``"rect"`` or ``"disk"``.
        cx, cy: centre in m.
        a, b: rectangle full widths along x and y in m; for a disk ``a`` is the radius and ``b`` unused.
    """

    kind: ShapeKind
    cx: float
    cy: float
    a: float
    b: float = 0.0

    @classmethod
    def rect(cls, cx: float, cy: float, wx: float, wy: float) -> "Shape":
        return cls("rect", float(cx), float(cy), float(wx), float(wy))

    @classmethod
    def disk(cls, cx: float, cy: float, r: float) -> "Shape":
        return cls("disk", float(cx), float(cy), float(r), 0.0)

    def contains(self, x: np.ndarray, y: np.ndarray, tol: float = 0.0) -> np.ndarray:
        """Boolean mask of the points (x, y) (arrays in m) inside the outline (grown by ``tol``)."""
        if self.kind == "rect":
            return (np.abs(x - self.cx) <= 0.5 * self.a + tol) & (np.abs(y - self.cy) <= 0.5 * self.b + tol)
        return (x - self.cx) ** 2 + (y - self.cy) ** 2 <= (self.a + tol) ** 2

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in m."""
        if self.kind == "rect":
            return (self.cx - self.a / 2, self.cy - self.b / 2, self.cx + self.a / 2, self.cy + self.b / 2)
        return (self.cx - self.a, self.cy - self.a, self.cx + self.a, self.cy + self.a)

    @property
    def area(self) -> float:
        return self.a * self.b if self.kind == "rect" else np.pi * self.a**2


@dataclass(frozen=True)
class Prism:
    """One part: ``shape`` swept from ``z0`` to ``z1`` (m).

    Attributes:
        region: region name (see fcpkg_fem.case.names); several prisms may share one (the bumps of an array).
        material: material name the region is made of.
        priority: where prisms overlap, the higher priority owns the space (a via through a carrier layer).
        item: index of the prism within its region (bump id, via id); -1 for single parts.
    """

    region: str
    material: str
    shape: Shape
    z0: float
    z1: float
    priority: int = 0
    item: int = -1


@dataclass(frozen=True)
class Geometry:
    """A whole structure as prisms, plus what the mesher and post-processing need to know about it.

    Attributes:
        structure: ``"stacked_flipchip"`` or ``"laminate"``.
        prisms: every part.
        outline: the package footprint (the carriers), full size, centred at the origin.
        symmetry: ``"full"``, ``"half"`` (keep x >= 0) or ``"quarter"`` (keep x >= 0, y >= 0).
        faces: named horizontal faces -> (z in m, region whose facets form the face), e.g.
            ``{"carrier1_bottom": (0.0, "carrier1.mask_bot"), "carrier2_top": (..., "carrier2.mask_top")}``.
        interfaces: region pairs whose shared facets post-processing reports tractions on.
        layer_elements: region -> minimum number of elements through its slabs.
        item_regions: regions whose items (bumps, vias, balls) are reported one by one.
        item_labels: region -> (labels, nets) of its items, by item index, from a layout file's ``id`` and ``net``
            columns or a ball map's cell names (``A1``); either may be None. Regions without them are absent.
        interconnect: ``resolved`` (bumps, vias, balls are disks) or ``column`` (squares of the disks' areas,
            meshed by fcpkg_fem.mesh.columns).
        window: (xmin, ymin, xmax, ymax) in m: only this part of the footprint is modelled (a local model's box,
            fcpkg_fem.mesh.remesh); None: the whole (symmetric) footprint.
        extra_planes: z (m) where the slabs are split besides the prisms' faces (a local model's graded joint).
    """

    structure: str
    prisms: tuple[Prism, ...]
    outline: Shape
    symmetry: str = "full"
    faces: dict[str, tuple[float, str]] = field(default_factory=dict)
    interfaces: tuple[tuple[str, str], ...] = ()
    layer_elements: dict[str, int] = field(default_factory=dict)
    item_regions: tuple[str, ...] = ()
    interconnect: str = "resolved"
    item_labels: dict[str, tuple] = field(default_factory=dict)
    window: tuple[float, float, float, float] | None = None
    extra_planes: tuple[float, ...] = ()

    @property
    def region_names(self) -> list[str]:
        """Region names in first-appearance order (the order of region indices)."""
        seen: dict[str, None] = {}
        for p in self.prisms:
            seen.setdefault(p.region, None)
        return list(seen)

    @property
    def region_material(self) -> dict[str, str]:
        return {p.region: p.material for p in self.prisms}

    @property
    def z_planes(self) -> np.ndarray:
        """Sorted distinct z of every prism bottom and top (m)."""
        z = np.unique(np.round([v for p in self.prisms for v in (p.z0, p.z1)] + list(self.extra_planes), 12))
        return z

    @property
    def domain(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the modelled part after the symmetry cut, in m."""
        x0, y0, x1, y1 = self.outline.bbox
        if self.symmetry in ("half", "quarter"):
            x0 = 0.0
        if self.symmetry == "quarter":
            y0 = 0.0
        if self.window is not None:
            w = self.window
            x0, y0, x1, y1 = max(x0, w[0]), max(y0, w[1]), min(x1, w[2]), min(y1, w[3])
        return (x0, y0, x1, y1)

    @property
    def thickness(self) -> float:
        z = self.z_planes
        return float(z[-1] - z[0])
