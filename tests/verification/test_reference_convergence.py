"""Mesh convergence of the shipped reference warpage (slow: ``pytest -m slow -s tests/verification``, ~30 min).

There is no exact solution; the check is how the warpage of cases/reference.yaml (hex8i, quarter model, at -40 degC
with the case's stress-free temperatures) moves as the mesh is refined, what that says about a mesh's
discretisation error, and that the shipped mesh D is within 2 % of the extrapolated warpage on both faces.
Levels (all with the footprint of mesh.size 1 mm, feature_size 150 um, circle_segments 4 unless said):

* B, the default until 2026-12-06: max_layer_thickness 300 um, 1 element per slab (12 element layers);
* D, the shipped default since: max_layer_thickness 150 um, so the two 260 um carrier cores get 2 element layers
  each, and ``layer_elements: {top_balls: 4}`` (50 um layers in the balls), every other slab 1 (17 layers);
* ``in-plane``: A (2 mm, 300 um, 4 segments) -> B -> C (0.5 mm, 75 um, 8 segments); layers as B.
  The footprint keeps a minimum of cells round every bump, via and ball disk, so A has only 14 % fewer elements
  than B, and C refines the disks too (circle_segments 8): h is nominal.
* ``through-thickness``: B -> Z2 (max_layer_thickness 150 um, 2 elements per slab) -> Z4 (75 um, 4 per slab);
  every element layer is halved from one level to the next.
* ``cores``: K2 -> K4 -> K8, B with only the two carrier cores refined (``mesh.layer_elements`` 2, 4, 8): the
  through-thickness error of the bottom face lies almost wholly in the cores (K2 moves it as much as Z2).
* ``balls``: W4 -> W8 -> W16, B with only the top balls refined (4, 8, 16 layers): what the balls' layers leave
  beyond the 4 of D.

With w_k the signed warpage on level k (coarse to fine): p = ln|(w0 - w1)/(w1 - w2)| / ln 2 and the Richardson value
w_ext = w2 + (w2 - w1)/(2^p - 1), meaningful only where the differences keep their sign and shrink.

Asserted (measured 2026-12-06, docs/verification.md):

* every level reproduces its measured signed warpage (``MEASURED``) to 1e-4 relative: the mesh is deterministic
  (single-threaded gmsh) and the solvers reproduce a solve to ~1e-6 (AMG-CG at rtol 1e-8 agrees with SuperLU to
  3e-7, test_linear_solvers.py); 1e-4 leaves room for BLAS and summation order. A change of the mesher, the
  materials or the solver fails here, and the numbers in the docs must follow it;
* D is the mesh of cases/reference.yaml as shipped;
* through the thickness, the bottom face is in the asymptotic range: the differences keep their sign and shrink
  2.8-fold, observed order 1.50 +- 0.05; B lies 3.55 +- 0.05 % above the Richardson value (7.7055 um);
* the cores ladder, from K2, also shrinks (2.0-fold, p 0.99 +- 0.05) and extrapolates to the same bottom value
  within 0.05 % (measured 0.004 %): two ladders that refine differently agree on the limit;
* the shipped mesh D is 0.93 +- 0.05 % above that bottom value: within the 2 % goal with 1.07 % to spare;
* through the thickness, the top face converges monotonically but slowly (differences shrink 1.25-fold, p 0.32),
  and the cores ladder does not shrink at all (+0.012, then +0.015 um), so no order of the top face is trusted.
  The Richardson value of the through-thickness ladder with its own slow order, -7.234 um, is the farthest
  limit any measured sequence points to (every level of the ladders lies between -7.314 and -7.380 um), and the 2 %
  goal is judged against it: D is 1.17 +- 0.05 % above it in magnitude (0.12 % under Z4); B was 2.02 %;
* the balls' layers leave a slow drift that the ladders above do not reach: from 4 to 16 layers both faces move
  by 0.24 +- 0.02 % towards smaller magnitude, with differences shrinking only 1.3-fold (and 32 layers, measured
  outside the test, move them 0.09 % more). D is within 2 % of the references moved by the 4 -> 16 drift too;
* in-plane, both faces oscillate (A -> B and B -> C move the warpage in opposite directions): no order is claimed;
  B is within 0.5 % of C (measured 0.20 % bottom, 0.39 % top).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fcpkg_fem import api

ROOT = Path(__file__).resolve().parents[2]
# AMG-CG, as in the 2026-11-26 study: PARDISO needed 9 GB at Z2 and would not fit Z4 (839k unknowns) here
ONE_TEMPERATURE = ["load.temperatures=[-40 degC]", "mesh.element=hex8i", "solver.linear=amg"]
CORES = ("carrier1.core", "carrier2.core")
# level -> (mesh.size, feature_size, circle_segments, max_layer_thickness, min_elements_per_layer, layer_elements)
LEVELS = {
    "A": ("2 mm", "300 um", 4, "300 um", 1, {}),
    "B": ("1 mm", "150 um", 4, "300 um", 1, {}),  # the default of cases/reference.yaml until 2026-12-06
    "C": ("0.5 mm", "75 um", 8, "300 um", 1, {}),
    "Z2": ("1 mm", "150 um", 4, "150 um", 2, {}),
    "Z4": ("1 mm", "150 um", 4, "75 um", 4, {}),
    "K2": ("1 mm", "150 um", 4, "300 um", 1, {region: 2 for region in CORES}),
    "K4": ("1 mm", "150 um", 4, "300 um", 1, {region: 4 for region in CORES}),
    "K8": ("1 mm", "150 um", 4, "300 um", 1, {region: 8 for region in CORES}),
    "W4": ("1 mm", "150 um", 4, "300 um", 1, {"top_balls": 4}),
    "W8": ("1 mm", "150 um", 4, "300 um", 1, {"top_balls": 8}),
    "W16": ("1 mm", "150 um", 4, "300 um", 1, {"top_balls": 16}),
    "D": ("1 mm", "150 um", 4, "150 um", 1, {"top_balls": 4}),  # the shipped mesh of cases/reference.yaml
}
STUDIES = {"in-plane": ("A", "B", "C"), "through-thickness": ("B", "Z2", "Z4"), "cores": ("K2", "K4", "K8"),
           "balls": ("W4", "W8", "W16")}
# signed warpage (bottom, top) in um at -40 degC on MESHER_VERSION 7 (docs/verification.md): A, B, C, Z2, Z4
# measured 2026-11-26 and reproduced to the digits 2026-12-06 (B); the others measured 2026-12-06
MEASURED = {
    "A": (7.885195, -7.33854),
    "B": (7.978829, -7.379877),
    "C": (7.962803, -7.351512),
    "Z2": (7.801834, -7.350548),
    "Z4": (7.739435, -7.327115),
    "K2": (7.799587, -7.342109),
    "K4": (7.753014, -7.32986),
    "K8": (7.729569, -7.31464),
    "W4": (7.940991, -7.347023),
    "W8": (7.930146, -7.336888),
    "W16": (7.921961, -7.329167),
    "D": (7.777051, -7.318567),
}
REPRODUCE = 1e-4  # relative; see the module docstring
GOAL = 0.02  # issue 20: the default mesh within 2 % of the extrapolated warpage

_RUNS: dict = {}
_LADDERS: dict = {}


def level_overrides(level: str) -> list[str]:
    size, feature, segments, layer, per_slab, layers = LEVELS[level]
    out = [f"mesh.size={size}", f"mesh.feature_size={feature}", f"mesh.circle_segments={segments}",
           f"mesh.max_layer_thickness={layer}", f"mesh.min_elements_per_layer={per_slab}", "mesh.layer_elements={}"]
    return out + [f"mesh.layer_elements.{region}={n}" for region, n in layers.items()]


def solve_level(level: str) -> dict:
    """Solve one level in this process; its row for the report."""
    t0 = time.perf_counter()
    case = api.load_case(ROOT / "cases" / "reference.yaml", overrides=ONE_TEMPERATURE + level_overrides(level))
    s = api.run(case, write=False).summary
    warp = s["outputs"][0]["warpage"]
    return {"level": level, "overrides": level_overrides(level), "dofs": s["mesh"]["dofs"],
            "elements": s["mesh"]["elements"], "bottom_signed_um": warp["bottom"]["signed_um"],
            "top_signed_um": warp["top"]["signed_um"], "pop_gap": warp.get("pop_gap"),
            "solver": s["solver"].get("method"), "solver_iterations": s["solver"]["iterations"],
            "seconds": round(time.perf_counter() - t0, 1), "peak_memory_MB": s["peak_memory_MB"]}


def run_level(level: str) -> dict:
    """Run (once per session) one level in a fresh interpreter, so that each level's memory is its own and is
    returned before the next (one process holding the largest level's memory made the next level's preflight
    refuse to start on the shared machine)."""
    if level not in _RUNS:
        p = subprocess.run([sys.executable, __file__, level], capture_output=True, text=True, cwd=ROOT)
        assert p.returncode == 0, (level, (p.stderr or p.stdout)[-2000:])
        _RUNS[level] = json.loads(p.stdout.strip().splitlines()[-1])
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


def ladder(study: str) -> dict:
    """Run (once per session) the levels of one study, check their reproduction, write its report."""
    if study not in _LADDERS:
        rows = [run_level(level) for level in STUDIES[study]]
        report = {"case": "cases/reference.yaml", "study": study, "temperature_C": -40.0, "element": "hex8i",
                  "levels": rows}
        for face in ("bottom", "top"):
            report[face] = analyse([r[f"{face}_signed_um"] for r in rows])
            print(study, face, report[face], flush=True)
        out_dir = ROOT / "benchmarks" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"convergence_reference_{study}.json").write_text(json.dumps(report, indent=1) + "\n")
        _LADDERS[study] = report
    return _LADDERS[study]


def check_reproduced(row: dict) -> None:
    for i, face in enumerate(("bottom", "top")):
        assert row[f"{face}_signed_um"] == pytest.approx(MEASURED[row["level"]][i], rel=REPRODUCE), (row["level"], face)


def rel(w: float, ref: float) -> float:
    """Signed relative difference; positive where |w| > |ref| (both faces keep one sign on every level)."""
    return (w - ref) / ref


@pytest.mark.slow
@pytest.mark.parametrize("study", list(STUDIES))
def test_reference_warpage_convergence(study):
    report = ladder(study)
    rows = report["levels"]
    for r in rows:
        check_reproduced(r)
    bottom, top = report["bottom"], report["top"]
    if study == "through-thickness":
        assert bottom["differences_shrink"] and bottom["observed_order"] == pytest.approx(1.50, abs=0.05)
        # the old default overestimates the bottom warpage by 3.5 %
        assert rel(rows[0]["bottom_signed_um"], bottom["richardson_um"]) == pytest.approx(0.0355, abs=0.0005)
        assert top["differences_shrink"] and top["observed_order"] < 0.5  # slow: a bound, not an estimate
        assert rel(rows[0]["top_signed_um"], rows[-1]["top_signed_um"]) == pytest.approx(0.0072, abs=0.0002)
    elif study == "cores":
        assert bottom["differences_shrink"] and bottom["observed_order"] == pytest.approx(0.99, abs=0.05)
        z_bottom = ladder("through-thickness")["bottom"]["richardson_um"]
        assert abs(rel(bottom["richardson_um"], z_bottom)) < 0.0005  # two ladders, one limit
        assert top["monotone"] and not top["differences_shrink"]  # no order of the top face from this ladder
    elif study == "balls":
        for face in ("bottom", "top"):
            assert report[face]["monotone"], face
            drift = rel(rows[-1][f"{face}_signed_um"], rows[0][f"{face}_signed_um"])
            assert drift == pytest.approx(-0.0024, abs=0.0002), face  # towards smaller magnitude on both faces
    else:
        assert not bottom["monotone"] and not top["monotone"]  # oscillates: no order claimed
        for face in ("bottom", "top"):
            finest = rows[-1][f"{face}_signed_um"]
            assert abs(rows[1][f"{face}_signed_um"] - finest) < 0.005 * abs(finest), face


@pytest.mark.slow
def test_shipped_mesh_within_two_percent():
    """The shipped mesh D against the through-thickness extrapolation of both faces (the in-plane resolution, which
    oscillates within about 1 %, is the footprint of B and D alike)."""
    shipped = api.load_case(ROOT / "cases" / "reference.yaml").mesh
    d = api.load_case(ROOT / "cases" / "reference.yaml", overrides=ONE_TEMPERATURE + level_overrides("D")).mesh
    for key in ("element", "size", "feature_size", "circle_segments", "max_layer_thickness",
                "min_elements_per_layer", "layer_elements"):
        assert getattr(shipped, key) == getattr(d, key), key
    row = run_level("D")
    check_reproduced(row)
    z = ladder("through-thickness")
    err_bottom = rel(row["bottom_signed_um"], z["bottom"]["richardson_um"])
    err_top = rel(row["top_signed_um"], z["top"]["richardson_um"])
    print("shipped mesh D vs extrapolated: bottom", err_bottom, "top", err_top, flush=True)
    assert 0 < err_bottom < GOAL and err_bottom == pytest.approx(0.0093, abs=0.0005)
    assert 0 < err_top < GOAL and err_top == pytest.approx(0.0117, abs=0.0005)
    assert rel(row["top_signed_um"], z["levels"][-1]["top_signed_um"]) == pytest.approx(-0.0012, abs=0.0002)
    # the references moved by the balls' drift beyond 4 layers (W16 against W4), which no ladder above reaches
    w = ladder("balls")["levels"]
    for face, ref in (("bottom", z["bottom"]["richardson_um"]), ("top", z["top"]["richardson_um"])):
        moved = ref * (1.0 + rel(w[-1][f"{face}_signed_um"], w[0][f"{face}_signed_um"]))
        assert 0 < rel(row[f"{face}_signed_um"], moved) < GOAL, face


if __name__ == "__main__":  # one level, run by run_level in a fresh interpreter
    print(json.dumps(solve_level(sys.argv[1])), flush=True)
