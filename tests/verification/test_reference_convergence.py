"""Mesh convergence of the shipped reference warpage (slow: ``pytest -m slow -s tests/verification``, ~10 min).

There is no exact solution; the check is how the warpage of cases/reference.yaml (hex8i, quarter model, at -40 degC
with the case's stress-free temperatures) moves as the mesh is refined around the shipped mesh, and what that says
about the shipped mesh's discretisation error. Two ladders, each with ratio 2 from the shipped level B
(mesh.size 1 mm, feature_size 150 um, circle_segments 4, max_layer_thickness 300 um, 1 element per slab):

* ``in-plane``: A (2 mm, 300 um, 4 segments) -> B -> C (0.5 mm, 75 um, 8 segments); layers as shipped.
  The footprint keeps a minimum of cells round every bump, via and ball disk, so A has only 14 % fewer elements
  than B, and C refines the disks too (circle_segments 8): h is nominal.
* ``through-thickness``: B -> Z2 (max_layer_thickness 150 um, 2 elements per slab) -> Z4 (75 um, 4 per slab);
  footprint as shipped. Every element layer is halved from one level to the next.

With w_k the signed warpage on level k (coarse to fine): p = ln|(w0 - w1)/(w1 - w2)| / ln 2 and the Richardson value
w_ext = w2 + (w2 - w1)/(2^p - 1), meaningful only where the differences keep their sign and shrink.

Asserted (measured 2026-11-26, docs/verification.md):

* every level reproduces its measured signed warpage (``MEASURED``) to 1e-4 relative: the mesh is deterministic
  (single-threaded gmsh) and AMG-CG at rtol 1e-8 reproduces a solve to ~1e-6 (it agrees with SuperLU to 3e-7,
  test_linear_solvers.py); 1e-4 leaves room for BLAS and summation order. A change of the mesher, the materials or
  the solver fails here, and the numbers in the docs must follow it;
* through the thickness, the bottom face is in the asymptotic range: the differences keep their sign and shrink
  2.8-fold, observed order 1.50 +- 0.05, and the shipped mesh lies 3.55 +- 0.05 % above the Richardson value
  (+-: what the 1e-4 reproduction tolerance allows these derived numbers);
* through the thickness, the top face converges monotonically but slowly (differences shrink 1.25-fold, p 0.32):
  no Richardson value is claimed; the shipped mesh is 0.72 +- 0.02 % from Z4;
* in-plane, both faces oscillate (A -> B and B -> C move the warpage in opposite directions): no order is claimed;
  the shipped mesh is within 0.5 % of C (measured 0.20 % bottom, 0.39 % top).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest

from fcpkg_fem import api

ROOT = Path(__file__).resolve().parents[2]
ONE_TEMPERATURE = ["load.temperatures=[-40 degC]", "mesh.element=hex8i"]
# level -> (mesh.size, feature_size, circle_segments, max_layer_thickness, min_elements_per_layer)
LEVELS = {
    "A": ("2 mm", "300 um", 4, "300 um", 1),
    "B": ("1 mm", "150 um", 4, "300 um", 1),  # the shipped mesh of cases/reference.yaml
    "C": ("0.5 mm", "75 um", 8, "300 um", 1),
    "Z2": ("1 mm", "150 um", 4, "150 um", 2),
    "Z4": ("1 mm", "150 um", 4, "75 um", 4),
}
STUDIES = {"in-plane": ("A", "B", "C"), "through-thickness": ("B", "Z2", "Z4")}
# signed warpage (bottom, top) in um, measured 2026-11-26 on MESHER_VERSION 7 (docs/verification.md)
MEASURED = {
    "A": (7.885195, -7.33854),
    "B": (7.978829, -7.379877),
    "C": (7.962803, -7.351512),
    "Z2": (7.801834, -7.350548),
    "Z4": (7.739435, -7.327115),
}
REPRODUCE = 1e-4  # relative; see the module docstring

_RUNS: dict = {}


def level_overrides(level: str) -> list[str]:
    size, feature, segments, layer, per_slab = LEVELS[level]
    return [f"mesh.size={size}", f"mesh.feature_size={feature}", f"mesh.circle_segments={segments}",
            f"mesh.max_layer_thickness={layer}", f"mesh.min_elements_per_layer={per_slab}"]


def run_level(level: str) -> dict:
    """Run (once per session) one level; its row for the report."""
    if level not in _RUNS:
        t0 = time.perf_counter()
        case = api.load_case(ROOT / "cases" / "reference.yaml", overrides=ONE_TEMPERATURE + level_overrides(level))
        s = api.run(case, write=False).summary
        warp = s["outputs"][0]["warpage"]
        _RUNS[level] = {"level": level, "overrides": level_overrides(level), "dofs": s["mesh"]["dofs"],
                        "elements": s["mesh"]["elements"], "bottom_signed_um": warp["bottom"]["signed_um"],
                        "top_signed_um": warp["top"]["signed_um"], "pop_gap": warp.get("pop_gap"),
                        "solver_iterations": s["solver"]["iterations"],
                        "seconds": round(time.perf_counter() - t0, 1),
                        "peak_memory_MB_so_far": s["peak_memory_MB"]}  # of this process: the levels so far
        print(_RUNS[level], flush=True)
    return _RUNS[level]


def analyse(w: list[float], r: float = 2.0) -> dict:
    """Differences, observed order and Richardson value of three levels (coarse to fine) with ratio r."""
    d01, d12 = w[1] - w[0], w[2] - w[1]
    asymptotic = d01 * d12 > 0 and abs(d12) < abs(d01)
    out = {"signed_um": w, "differences_um": [d01, d12], "monotone": d01 * d12 > 0, "differences_shrink": asymptotic,
           "observed_order": None, "richardson_um": None}
    if asymptotic:
        p = math.log(abs(d01 / d12)) / math.log(r)
        out["observed_order"] = p
        out["richardson_um"] = w[2] + d12 / (r**p - 1.0)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("study", list(STUDIES))
def test_reference_warpage_convergence(study):
    rows = [run_level(level) for level in STUDIES[study]]
    report = {"case": "cases/reference.yaml", "study": study, "temperature_C": -40.0, "element": "hex8i",
              "levels": rows}
    for face in ("bottom", "top"):
        report[face] = analyse([r[f"{face}_signed_um"] for r in rows])
        print(study, face, report[face], flush=True)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"convergence_reference_{study}.json").write_text(json.dumps(report, indent=1) + "\n")

    for r in rows:
        for i, face in enumerate(("bottom", "top")):
            assert r[f"{face}_signed_um"] == pytest.approx(MEASURED[r["level"]][i], rel=REPRODUCE), (r["level"], face)
    bottom, top = report["bottom"], report["top"]
    shipped = rows[STUDIES[study].index("B")]
    if study == "through-thickness":
        assert bottom["differences_shrink"] and bottom["observed_order"] == pytest.approx(1.50, abs=0.05)
        err = (shipped["bottom_signed_um"] - bottom["richardson_um"]) / bottom["richardson_um"]
        assert err == pytest.approx(0.0355, abs=0.0005)  # the shipped mesh overestimates the bottom warpage
        assert top["monotone"] and top["observed_order"] < 0.5  # slow: no Richardson value claimed
        finest = rows[-1]["top_signed_um"]
        assert (shipped["top_signed_um"] - finest) / finest == pytest.approx(0.0072, abs=0.0002)
    else:
        assert not bottom["monotone"] and not top["monotone"]  # oscillates: no order claimed
        for face in ("bottom", "top"):
            finest = rows[-1][f"{face}_signed_um"]
            assert abs(shipped[f"{face}_signed_um"] - finest) < 0.005 * abs(finest), face
