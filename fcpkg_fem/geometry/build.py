"""Validated case -> :class:`Geometry` (prisms with region names). Pure data, no gmsh.

Stacked flip-chip, bottom to top (z = 0 at the bottom face of carrier 1):
carrier 1 layers; bump layer 1 (standoff 1); die 1 (active face down); adhesive; die 2 (active face up);
bump layer 2 (standoff 2); carrier 2 layers; top balls. Bottom balls hang below z = 0.
The encapsulant fills the whole gap between the carriers; every part inside the gap takes precedence over it,
and vias (priority above the carrier layers) run through carrier 1, the gap and carrier 2.
Bumps, vias and balls are modelled as cylinders of their diameter (the pad-to-pad column of a joint); with
``mesh.interconnect: column`` (the fast global model) each is instead a square column of the same cross-section
area on the same centre (side sqrt(pi) r), which the column mesher (fcpkg_fem.mesh.columns) meshes coarsely.
"""

from __future__ import annotations

from typing import Any

import math

from fcpkg_fem.case import layout
from fcpkg_fem.case import names as N
from .model import Geometry, Prism, Shape

# who owns overlapping space (higher wins)
PRIO_ENCAPSULANT = 0
PRIO_CARRIER = 5
PRIO_PART = 10
PRIO_VIA = 20
PRIO_VIA_FILL = 25


def build_geometry(case: Any) -> Geometry:
    """Geometry of a validated case (``case.structure`` is ``stacked_flipchip`` or ``laminate``)."""
    if case.structure == "laminate":
        return _laminate(case)
    return _stacked(case)


def _interconnect(case: Any) -> str:
    return getattr(case.mesh, "interconnect", "resolved") or "resolved"


def joint_shape(x: float, y: float, r: float, interconnect: str) -> Shape:
    """The outline of a bump, via (or via fill) or ball of radius ``r`` (m) centred at (x, y): its disk
    (``resolved``) or the axis-aligned square of the disk's area (``column``: side sqrt(pi) r; it lies inside the
    disk's bounding box, 0.886 r from the centre along x and y)."""
    if interconnect == "column":
        side = math.sqrt(math.pi) * r
        return Shape.rect(x, y, side, side)
    return Shape.disk(x, y, r)


def _layer_elements(case: Any) -> dict[str, int]:
    le = getattr(case.mesh, "layer_elements", None) or {}
    return {str(k): int(v) for k, v in le.items()}


def _laminate(case: Any) -> Geometry:
    lam = case.laminate
    sx, sy = lam.size
    outline = Shape.rect(0.0, 0.0, sx, sy)
    prisms = []
    z = 0.0
    for layer in lam.layers:
        prisms.append(Prism(N.laminate_layer(layer.name), layer.material, outline, z, z + layer.thickness,
                            PRIO_CARRIER))
        z += layer.thickness
    first, last = prisms[0].region, prisms[-1].region
    return Geometry(
        structure="laminate",
        prisms=tuple(prisms),
        outline=outline,
        symmetry=case.mesh.symmetry,
        faces={N.LAMINATE_BOTTOM: (0.0, first), N.LAMINATE_TOP: (z, last)},
        interfaces=tuple((prisms[i].region, prisms[i + 1].region) for i in range(len(prisms) - 1)),
        layer_elements=_layer_elements(case),
    )


def _carrier_prisms(carrier: Any, index: int, z0: float) -> tuple[list[Prism], float]:
    sx, sy = carrier.size
    outline = Shape.rect(0.0, 0.0, sx, sy)
    out = []
    z = z0
    for layer in carrier.layers:
        out.append(Prism(N.carrier_layer(index, layer.name), layer.material, outline, z, z + layer.thickness,
                         PRIO_CARRIER))
        z += layer.thickness
    return out, z


def _stacked(case: Any) -> Geometry:
    pkg = case.package
    ic_mode = _interconnect(case)
    bottom, top = pkg.carriers.bottom, pkg.carriers.top
    h = layout.stack_heights(pkg)
    zc1, zc2, ztop = h["carrier1_top"], h["carrier2_bottom"], h["carrier2_top"]
    prisms: list[Prism] = []

    c1, _ = _carrier_prisms(bottom, 1, 0.0)
    c2, _ = _carrier_prisms(top, 2, zc2)
    prisms += c1 + c2

    # the gap: encapsulant over the overlap of both carriers
    gx, gy = layout.interconnect_size(pkg)
    prisms.append(Prism(N.ENCAPSULANT, pkg.encapsulant.material, Shape.rect(0, 0, gx, gy), zc1, zc2,
                        PRIO_ENCAPSULANT))

    interfaces = [(N.ENCAPSULANT, c1[-1].region), (N.ENCAPSULANT, c2[0].region)]
    item_regions = []
    for carrier_chips, facing_up in ((bottom.chips, False), (top.chips, True)):
        for chip in carrier_chips:
            cx, cy = chip.center
            sx, sy = chip.size
            so = chip.bumps.standoff
            if not facing_up:  # die on carrier 1: bumps below it
                zb0, zb1 = zc1, zc1 + so
                zd0, zd1 = zb1, zb1 + chip.thickness
            else:  # die on carrier 2: bumps above it
                zb0, zb1 = zc2 - so, zc2
                zd0, zd1 = zb0 - chip.thickness, zb0
            prisms.append(Prism(N.chip(chip.name), chip.material, Shape.rect(cx, cy, sx, sy), zd0, zd1, PRIO_PART))
            breg = N.bumps(chip.name)
            item_regions.append(breg)
            r = 0.5 * chip.bumps.diameter
            for k, (x, y) in enumerate(layout.bump_centres(chip)):
                prisms.append(Prism(breg, chip.bumps.material, joint_shape(x, y, r, ic_mode), zb0, zb1, PRIO_PART,
                                    k))

    for i, j, center, size in layout.adhesive_rects(pkg):
        b, t = bottom.chips[i], top.chips[j]
        z0 = zc1 + b.bumps.standoff + b.thickness
        z1 = zc2 - t.bumps.standoff - t.thickness
        prisms.append(Prism(N.ADHESIVE, pkg.adhesive.material, Shape.rect(center[0], center[1], *size), z0, z1,
                            PRIO_PART))
        interfaces += [(N.chip(b.name), N.ADHESIVE), (N.ADHESIVE, N.chip(t.name))]

    ic = pkg.interconnect
    if ic.kind == "vias":
        item_regions.append(N.VIAS)
        plated = ic.fill == "plated"
        fill_mat = getattr(ic, "fill_material", None) or pkg.encapsulant.material
        for k, (x, y) in enumerate(layout.via_centres(pkg)):
            prisms.append(Prism(N.VIAS, ic.material, joint_shape(x, y, 0.5 * ic.diameter, ic_mode), 0.0, ztop,
                                PRIO_VIA, k))
            if plated:
                prisms.append(Prism(N.VIA_FILL, fill_mat, joint_shape(x, y, 0.5 * ic.diameter - ic.wall, ic_mode),
                                    0.0, ztop, PRIO_VIA_FILL, k))
    elif ic.kind == "traces":
        item_regions.append(N.TRACES)
        centres, along_x = layout.trace_strips(pkg)
        half = layout.trace_half_sizes(ic.width, ic.thickness, along_x)
        for k, ((x, y), (hx, hy)) in enumerate(zip(centres, half)):
            prisms.append(Prism(N.TRACES, ic.material, Shape.rect(x, y, 2 * hx, 2 * hy), zc1, zc2, PRIO_VIA, k))

    for balls, carrier, region, z0, z1 in (
        (getattr(pkg, "top_balls", None), top, N.TOP_BALLS, ztop, None),
        (getattr(pkg, "bottom_balls", None), bottom, N.BOTTOM_BALLS, None, 0.0),
    ):
        if balls is None:
            continue
        item_regions.append(region)
        lo = z0 if z0 is not None else z1 - balls.height
        hi = z1 if z1 is not None else z0 + balls.height
        for k, (x, y) in enumerate(layout.ball_centres(balls, carrier)):
            prisms.append(Prism(region, balls.material, joint_shape(x, y, 0.5 * balls.diameter, ic_mode), lo, hi,
                                PRIO_PART, k))

    ox = max(bottom.size[0], top.size[0])
    oy = max(bottom.size[1], top.size[1])
    return Geometry(
        structure="stacked_flipchip",
        prisms=tuple(prisms),
        outline=Shape.rect(0.0, 0.0, ox, oy),
        symmetry=case.mesh.symmetry,
        faces={N.CARRIER1_BOTTOM: (0.0, c1[0].region), N.CARRIER2_TOP: (ztop, c2[-1].region)},
        interfaces=tuple(interfaces),
        layer_elements=_layer_elements(case),
        item_regions=tuple(item_regions),
        interconnect=ic_mode,
        item_labels=_item_labels(pkg),
    )


def _item_labels(pkg: Any) -> dict[str, tuple]:
    """Region -> (labels, nets) of the arrays read from a layout file or ball map (:attr:`Geometry.item_labels`)."""
    arrays = [(N.bumps(chip.name), chip.bumps) for c in (pkg.carriers.bottom, pkg.carriers.top) for chip in c.chips]
    if pkg.interconnect.kind == "vias":
        arrays.append((N.VIAS, pkg.interconnect))
    arrays += [(N.TOP_BALLS, getattr(pkg, "top_balls", None)), (N.BOTTOM_BALLS, getattr(pkg, "bottom_balls", None))]
    out = {}
    for region, spec in arrays:
        if spec is None:
            continue
        names, nets = layout.array_labels(spec), getattr(spec, "nets", None)
        if names is not None or nets is not None:
            out[region] = (names, nets)
    return out
