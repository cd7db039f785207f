"""The fast global model (``mesh.interconnect: column``) warps the package as the resolved model does.

Small package: cases/reference.yaml at the regression tests' coarse mesh and thinned arrays
(tests/support/coarse.py), each material stress-free at its own temperature as in the case (SAC305 217 degC,
EMC 175 degC, die attach 150 degC), solved at 125 and -40 degC (the JEDEC cycling extremes) with both
representations of the joints.

Why they agree: the warpage is the bending of the carrier-die-encapsulant plate; the joints enter through their
axial and shear stiffness, which scale with their cross-section area, and the columns have the disks' areas
exactly (test_interconnect_columns.py). What differs: the in-plane mesh around the joints (coarser in the
column model), the joints' shape (square: second moment of area pi^2 r^4 / 12 against pi r^4 / 4, +4.7 %) and
the encapsulant and carrier volume between them (identical in total). Bound: WARPAGE_RTOL of the resolved value or
WARPAGE_ATOL_UM, whichever is larger, the acceptance of issue 19 for the global model; the measured differences
are listed below (largest 0.215 um, a margin of 4.6x to the 1 um floor).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.coarse import COARSE_MESH, coarse_pattern

from fcpkg_fem import api

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "cases" / "reference.yaml"
TEMPERATURES = (125.0, -40.0)
WARPAGE_RTOL = 0.02
WARPAGE_ATOL_UM = 1.0
# Measured 2026-12-06 (resolved 23,877 unknowns, column 12,888): signed / corner-minus-centre warpage in um,
# resolved -> column. 125 degC: bottom 1.036 -> 0.950 / 0.896 -> 0.681, top 1.044 -> 0.912 / -0.941 -> -0.738;
# -40 degC: bottom 7.193 -> 7.003 / 7.092 -> 6.877, top -6.685 -> -6.780 / 6.663 -> 6.780. Largest difference
# 0.215 um (corner-minus-centre, bottom, at both temperatures), so the 1 um floor governs: relative to the small
# 125 degC warpage the difference is up to 24 %, at -40 degC at most 3.0 %.


def _run(mode: str):
    base = api.load_case(REF)
    case = api.load_case(REF, overrides=COARSE_MESH + coarse_pattern(base) + [
        f"mesh.interconnect={mode}", "load.temperatures=[125 degC, -40 degC]", "load.history=null"])
    return {o["temperature_C"]: o for o in api.run(case, write=False).outputs}


@pytest.fixture(scope="module")
def runs():
    return {mode: _run(mode) for mode in ("resolved", "column")}


@pytest.mark.parametrize("T", TEMPERATURES)
@pytest.mark.parametrize("face", ("bottom", "top"))
def test_column_warpage_matches_resolved(runs, T, face):
    res = runs["resolved"][T]["warpage"][face]
    col = runs["column"][T]["warpage"][face]
    for key in ("signed_um", "corner_minus_center_um"):
        tol = max(WARPAGE_RTOL * abs(res[key]), WARPAGE_ATOL_UM)
        assert abs(col[key] - res[key]) <= tol, (face, T, key, res[key], col[key])
    assert col["shape"] == res["shape"]
