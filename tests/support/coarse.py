"""The regression tests' coarse settings: a coarse mesh and every array of a stacked case thinned to one row.

The footprint mesh of the shipped cases is dominated by the outlines of their bump, via and ball arrays; one row at
a 2-3 mm pitch keeps the package's global response (warpage, sign, zero state) in a mesh a test can afford.
Imported by tests and benchmarks alike (no pytest here).
"""

from __future__ import annotations

COARSE_MESH = ["mesh.size=2 mm", "mesh.feature_size=250 um", "mesh.max_layer_thickness=1 mm",
               "mesh.min_elements_per_layer=1", "mesh.element=hex8i", "mesh.layer_elements={}"]


def coarse_pattern(case) -> list[str]:
    """Overrides thinning every array of a stacked case to one row at a 2-3 mm pitch (see the module docstring)."""
    out = []
    pk = case.package
    for side in ("bottom", "top"):
        for i, _ in enumerate(getattr(pk.carriers, side).chips):
            b = f"package.carriers.{side}.chips.{i}.bumps"
            out += [f"{b}.pattern=peripheral", f"{b}.pitch=2 mm", f"{b}.rows=1", f"{b}.positions=null"]
    if pk.interconnect.kind != "none":
        out += ["package.interconnect.pattern=peripheral", "package.interconnect.pitch=3 mm",
                "package.interconnect.rows=1", "package.interconnect.positions=null"]
    for key in ("top_balls", "bottom_balls"):
        if getattr(pk, key) is not None:
            out += [f"package.{key}.pattern=peripheral", f"package.{key}.pitch=3 mm", f"package.{key}.rows=1",
                    f"package.{key}.positions=null"]
    return out


# --- laminate: Timoshenko ------------------------------------------------------------------------------------------
