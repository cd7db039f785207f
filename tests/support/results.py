"""A small hand-made :class:`RunResult` (three hexahedra, two outputs, a known bowl-shaped bottom face) for the
writer and plot tests."""

from __future__ import annotations

import numpy as np

from fcpkg_fem.post.result import FaceSample, FieldSet, RunResult

REGIONS = ["carrier1.core", "adhesive", "encapsulant"]


def _bowl(a: float, n: int = 9, half: float = 6e-3) -> FaceSample:
    """w = a (x^2 + y^2) on an n x n grid over [-half, half]^2 (m); detrended by a least-squares plane fit."""
    g = np.linspace(-half, half, n)
    x, y = (v.ravel() for v in np.meshgrid(g, g))
    w = a * (x**2 + y**2) + 1e-6 * x  # a tilt that the detrending removes
    A = np.column_stack([np.ones_like(x), x, y])
    coef, *_ = np.linalg.lstsq(A, w, rcond=None)
    return FaceSample(x=x, y=y, w=w, w_detrended=w - A @ coef)


def _items(n: int, scale: float, axial: bool = False) -> list[dict]:
    items = []
    for i in range(n):
        it = {"id": i, "x_mm": -1.5 + i * 0.75, "y_mm": 0.25 * i, "eq_strain": scale * (i + 1) / 3.0,
              "von_mises_MPa": 10.0 + i / 7.0}
        if axial:
            it["axial_strain"] = -scale * i / 11.0
        items.append(it)
    return items


def _output(index: int, time_s: float | None, T: float, signed: float, with_items: bool) -> dict:
    def face(name: str, view: str, sgn: float) -> dict:
        return {"face": name, "view": view, "coplanarity_um": abs(signed * sgn), "signed_um": signed * sgn,
                "shape": "convex" if signed * sgn > 0 else "concave", "corner_minus_center_um": -signed * sgn * 0.97,
                "curvature_x_1_per_m": 0.123456789, "curvature_y_1_per_m": 0.1234}

    out = {
        "index": index, "time_s": time_s, "temperature_C": T,
        "warpage": {"bottom": face("carrier1_bottom", "from below, looking at the terminal side", 1.0),
                    "top": face("carrier2_top", "from above, looking at the stacking side", -0.5),
                    "pop_gap": None if not with_items else {"min_gap_um": 51.25, "max_gap_um": 70.5, "nominal_um": 60.0}},
        "regions": {"adhesive": {"von_mises_max_MPa": 1.0 / 3.0, "von_mises_max_at_mm": [0.1, 0.2, 0.3],
                                 "max_principal_max_MPa": 0.2718281828, "max_principal_max_at_mm": [1.0, 2.0, 0.3]},
                    "encapsulant": {"von_mises_max_MPa": 42.125, "von_mises_max_at_mm": [5.0, 5.0, 0.2],
                                    "max_principal_max_MPa": 31.0, "max_principal_max_at_mm": [5.0, -5.0, 0.2]}},
        "max_temperature_difference_C": 0.0,
    }
    if with_items:
        bumps = _items(4, 1e-3)
        vias = _items(3, 2e-4, axial=True)
        out["interfaces"] = {"chip.die1|adhesive": {"peel_max_MPa": 3.5, "peel_max_at_mm": [4.0, 4.0, 0.2],
                                                    "shear_max_MPa": 2.25, "shear_max_at_mm": [-4.0, 4.0, 0.2]}}
        out["bumps"] = {"bumps.die1": {"count": 4, "critical": dict(bumps[-1]), "items": bumps}}
        out["vias"] = {"vias": {"count": 3, "critical": dict(vias[-1]), "items": vias}}
    return out


def make_result(with_items: bool = True, time_s: tuple = (0.0, 90.5)) -> RunResult:
    """Three hexahedra in a row (16 points), two output times with a known bowl-shaped bottom face."""
    xs = np.array([0.0, 1.0, 2.0, 3.0]) * 1e-3
    pts = [(x, y, z) for z in (0.0, 1e-4) for y in (0.0, 1e-3) for x in xs]
    points = np.array(pts)

    def pid(i, j, k):
        return k * 8 + j * 4 + i

    cells = np.array([[pid(i, 0, 0), pid(i + 1, 0, 0), pid(i + 1, 1, 0), pid(i, 1, 0),
                       pid(i, 0, 1), pid(i + 1, 0, 1), pid(i + 1, 1, 1), pid(i, 1, 1)] for i in range(3)])
    cell_region = np.array([0, 1, 2])
    rng = np.random.default_rng(7)
    fields, faces = [], []
    for k, T in enumerate((25.0, 250.0)):
        fields.append(FieldSet(
            point_data={"displacement": rng.normal(size=(16, 3)) * 1e-6, "temperature": np.full(16, T)},
            cell_data={"stress": rng.normal(size=(3, 6)) * 1e6, "von_mises": rng.random(3) * 1e6}))
        faces.append({"bottom": _bowl(2e-1 * (1 + k)), "top": _bowl(-1e-1 * (1 + k))})
    outputs = [_output(0, time_s[0], 25.0, 12.345678901234567, with_items),
               _output(1, time_s[1], 250.0, -31.5, with_items)]
    summary = {
        "schema": "fcpkg-fem/summary", "schema_version": 1, "fcpkg_fem_version": "0.1.0",
        "case": {"name": "bowl-test-case", "structure": "stacked", "hash": "abc123", "source": None},
        "units": {"length": "um in *_um keys, mm in *_mm keys", "stress": "MPa", "temperature": "degC", "time": "s"},
        "conventions": {"warpage": "positive = convex <viewed from outside>", "stress_voigt_order": "xx, yy, zz, yz, xz, xy"},
        "mesh": {"dofs": 48, "nodes": 16, "elements": 3, "element": "hex8", "symmetry": "full",
                 "regions": {"carrier1.core": 1, "adhesive": 1, "encapsulant": 1}},
        "timing_s": {"mesh": 0.5, "assemble": 0.25, "solve": 1.0, "post": 0.125, "write": 0.0, "total": 1.875},
        "peak_memory_MB": 123.4,
        "solver": {"method": "cg+amg", "iterations": [12, 14]},
        "outputs": outputs,
    }
    history = [{"index": 0, "time_s": time_s[0], "temperature_C": 25.0, "bottom_signed_um": 12.345678901234567},
               {"index": 1, "time_s": time_s[1], "temperature_C": 250.0, "bottom_signed_um": -31.5,
                "adhesive_von_mises_max_MPa": 1.0 / 3.0}]
    return RunResult(summary=summary, points=points, cells=cells, region_names=list(REGIONS),
                     cell_region=cell_region, fields=fields, faces=faces, history=history)
