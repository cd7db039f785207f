"""Region and surface names: the contract between mesh, materials and post-processing (built only here)."""

from __future__ import annotations

ADHESIVE = "adhesive"
ENCAPSULANT = "encapsulant"
VIAS = "vias"
VIA_FILL = "vias.fill"
TRACES = "traces"
TOP_BALLS = "top_balls"
BOTTOM_BALLS = "bottom_balls"

CARRIER1_BOTTOM = "carrier1_bottom"
CARRIER2_TOP = "carrier2_top"
LAMINATE_BOTTOM = "bottom"
LAMINATE_TOP = "top"

#: the outer surface groups of the heat problem (convection to the oven), named in ``thermal.h``
THERMAL_SURFACES = ("bottom", "top", "sides")


def carrier_layer(carrier: int, layer: str) -> str:
    """Region of layer ``layer`` of carrier 1 (bottom) or 2 (top)."""
    return f"carrier{carrier}.{layer}"


def chip(name: str) -> str:
    return f"chip.{name}"


def bumps(chip_name: str) -> str:
    return f"bumps.{chip_name}"


def laminate_layer(name: str) -> str:
    return f"layer.{name}"


def interface(a: str, b: str) -> str:
    """Name of the facet set shared by regions ``a`` and ``b``."""
    return f"{a}|{b}"


def kind(region: str) -> str:
    """Kind of a region: carrier, chip, bumps, adhesive, encapsulant, vias, traces, balls or layer."""
    head = region.split(".", 1)[0]
    if head.startswith("carrier"):
        return "carrier"
    if head in ("top_balls", "bottom_balls"):
        return "balls"
    return {"chip": "chip", "bumps": "bumps", "layer": "layer", "vias": "vias"}.get(head, head)
