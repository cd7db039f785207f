"""Mesh convergence of the reference package's warpage (slow: ``pytest -m slow -s tests/verification``).

There is no exact solution; the check is that the warpage converges as the mesh is refined, and the report is
an observed order p and a Richardson-extrapolated value (docs/verification.md holds the measured numbers).

Two studies, one temperature (-40 degC) each:

* ``hex20-reduced``: cases/reference.yaml *reduced* through overrides so that three hex20 levels fit this
  2-core machine (the full reference is 1.3M-2.6M hex20 dofs over these levels): no interconnect (vias), no top
  balls, one peripheral bump row per die at 1 mm pitch instead of two at 200 um; carriers, dies, adhesive and
  encapsulant unchanged.
* ``hex8i-full``: the reference case itself with 8-node incompatible-mode hexahedra (0.34M-0.65M dofs).

Levels k = 0, 1, 2 scale mesh.size, feature_size and max_layer_thickness together by 1/2 from (1.6 mm, 180 um,
800 um); level 2 is the reference case's own (0.4 mm, 45 um, 200 um). The footprint mesher keeps a minimum
number of cells round every bump, via and ball disk, so element counts grow only 1.2-2x per level rather than
4x: h is the nominal size parameter (ratio r = 2), and p is an apparent order.

With w_k the signed warpage on level k:  p = ln|(w0 - w1) / (w1 - w2)| / ln 2,  w_ext = w2 + (w2 - w1)/(2^p - 1).
Asserted: the differences shrink (|w1 - w2| < |w0 - w1|) and the finest level is within 2 % of the
extrapolated value (an engineering bound for "mesh-converged" warpage; measured 0.2 % and below).
The numbers are written to benchmarks/results/convergence_reference_<study>.json.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest

from fcpkg_fem import api

ROOT = Path(__file__).resolve().parents[2]
ONE_TEMPERATURE = ["load.temperatures=[-40 degC]"]
REDUCED = [
    "package.interconnect={kind: none}",
    "package.top_balls=null",
    "package.carriers.bottom.chips.0.bumps.rows=1",
    "package.carriers.bottom.chips.0.bumps.pitch=1 mm",
    "package.carriers.top.chips.0.bumps.rows=1",
    "package.carriers.top.chips.0.bumps.pitch=1 mm",
] + ONE_TEMPERATURE
STUDIES = {"hex20-reduced": ("hex20", REDUCED), "hex8i-full": ("hex8i", ONE_TEMPERATURE)}
COARSE_UM = (1600.0, 180.0, 800.0)  # mesh.size, feature_size, max_layer_thickness of level 0
LEVELS = 3


def level_overrides(k: int, element: str) -> list[str]:
    """Mesh overrides of level k."""
    s, fs, mlt = (v / 2**k for v in COARSE_UM)
    return [f"mesh.element={element}", f"mesh.size={s:g} um", f"mesh.feature_size={fs:g} um",
            f"mesh.max_layer_thickness={mlt:g} um"]


def richardson(w: list[float], r: float = 2.0) -> tuple[float, float]:
    """(observed order p, extrapolated value) from three levels (coarse to fine) with ratio r."""
    d01, d12 = w[0] - w[1], w[1] - w[2]
    p = math.log(abs(d01 / d12)) / math.log(r)
    return p, w[2] + (w[2] - w[1]) / (r**p - 1.0)


@pytest.mark.slow
@pytest.mark.parametrize("study", list(STUDIES))
def test_reference_warpage_converges(study):
    element, base = STUDIES[study]
    rows = []
    for k in range(LEVELS):
        t0 = time.perf_counter()
        case = api.load_case(ROOT / "cases" / "reference.yaml", overrides=base + level_overrides(k, element))
        s = api.run(case, write=False).summary
        out = s["outputs"][0]["warpage"]
        rows.append({"level": k, "overrides": level_overrides(k, element),
                     "dofs": s["mesh"]["dofs"], "elements": s["mesh"]["elements"],
                     "bottom_signed_um": out["bottom"]["signed_um"], "top_signed_um": out["top"]["signed_um"],
                     "amg_iterations": s["solver"]["iterations"], "seconds": round(time.perf_counter() - t0, 1),
                     "peak_memory_MB_so_far": s["peak_memory_MB"]})  # of this process: the levels so far
        print(rows[-1], flush=True)
    report = {"case": "cases/reference.yaml", "study": study, "overrides": base, "element": element, "levels": rows}
    for face in ("bottom", "top"):
        w = [r[f"{face}_signed_um"] for r in rows]
        p, w_ext = richardson(w)
        report[face] = {"observed_order": p, "richardson_um": w_ext,
                        "finest_error_vs_richardson": (w[2] - w_ext) / w_ext}
        print(face, report[face], flush=True)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"convergence_reference_{study}.json").write_text(json.dumps(report, indent=1) + "\n")
    for face in ("bottom", "top"):
        w = [r[f"{face}_signed_um"] for r in rows]
        assert abs(w[1] - w[2]) < abs(w[0] - w[1]), face
        assert abs(report[face]["finest_error_vs_richardson"]) < 0.02, face
