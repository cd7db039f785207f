"""The shipped process-history cases run end to end at the coarse mesh and arrays of test_cases.py (slow).

``reference_reflow``: process history, then three J-STD-020 Pb-free passes, with viscoelastic encapsulant and
adhesive, Anand bumps and balls and J2 vias. ``reference_cycling``: the same, then three cycles of JESD22-A104
condition G. Checks: every increment converges (cut-backs allowed, reported), every part is born exactly once
stress-free, the reflow curve shows hysteresis (heating and cooling branches of a pass differ at the same
temperature: the inelastic models act), and cycling reports a per-cycle dW of the critical bump that is positive,
stabilising from cycle to cycle, with finite life estimates.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from support.coarse import COARSE_MESH, coarse_pattern

from fcpkg_fem import api

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
FAST = ["solver.max_temperature_increment=20 K"]


def _run(name: str):
    path = ROOT / "cases" / f"{name}.yaml"
    case = api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path)) + FAST)
    return case, api.run(case, write=False)


@pytest.fixture(scope="module")
def reflow():
    return _run("reference_reflow")


@pytest.fixture(scope="module")
def cycling():
    return _run("reference_cycling")


def test_reflow_converges_and_births_are_once_each(reflow, capsys):
    case, r = reflow
    proc = r.summary["process"]
    with capsys.disabled():
        print(f"\nreference_reflow coarse: {r.summary['mesh']['dofs']} dofs, {proc['newton']}, "
              f"{r.summary['timing_s']}")
    born = [b for s in proc["steps"] for b in s["births"]]
    assert len(born) == len(set(born))
    assert {"bumps.die1", "bumps.die2", "adhesive", "encapsulant", "vias", "top_balls"} <= set(born)
    assert all(not s["violations"] for s in proc["steps"])  # the default J-STD-020 profile keeps every limit
    for o in r.outputs:
        for face in ("bottom", "top"):
            assert math.isfinite(o["warpage"][face]["signed_um"])
    # each of the 3 passes melts the bumps and balls above 217 degC and solidifies them on the way down
    reflow_step = next(s for s in proc["steps"] if s["name"] == "reflow")
    for region in ("bumps.die1", "bumps.die2", "top_balls"):
        changes = [e["change"] for e in reflow_step["phase_changes"] if e["region"] == region]
        assert changes == ["melted", "solidified"] * 3, reflow_step["phase_changes"]
        assert all(e["solidus_C"] == 217.0 for e in reflow_step["phase_changes"])
    assert all(not s["phase_changes"] for s in proc["steps"] if s["name"] != "reflow")  # joining stays at 217 degC
    # the state stays physical: displacements of micrometres, solder strains well below 1 (before melting was
    # modelled, Anand at 250 degC let free-standing balls flow without bound: |u| reached 3 km)
    for f in r.fields:
        assert np.abs(f.point_data["displacement"]).max() < 1e-4  # m
        assert np.max(f.cell_data["eq_inelastic_strain"]) < 1.0


def test_reflow_curve_has_hysteresis(reflow):
    """The first pass crosses 217 degC heating and cooling: with creeping solder and relaxing resin the two
    warpages differ; a linear-elastic package would give the same value (path independence)."""
    _, r = reflow
    rows = [h for h in r.history if h.get("step") == "reflow"]
    T = np.array([h["temperature_C"] for h in rows])
    w = np.array([h["warpage_bottom_signed_um"] for h in rows])
    peak = int(np.argmax(T))
    up = np.interp(217.0, T[:peak + 1], w[:peak + 1])
    down = np.interp(217.0, T[peak:][::-1], w[peak:][::-1])
    assert abs(up - down) > 0.01, (up, down)  # um


def test_cycling_reports_a_stabilising_dw_and_life(cycling, capsys):
    _, r = cycling
    life = r.summary["life"]["steps"]["cycling"]
    bumps = {k: v for k, v in life.items() if k.startswith("bumps")}
    assert bumps
    for region, e in bumps.items():
        series = e["critical"]["dW_layer_per_cycle_MJ_m3"]
        with capsys.disabled():
            print(f"\n{region}: critical bump {e['critical']['id']}, dW per cycle {series} MJ/m3, "
                  f"layer {e['critical']['layer_thickness_um']:.1f} um, "
                  + ", ".join(f"{k} {v['cycles']:.3g} cycles" for k, v in e["estimates"].items()))
        assert len(series) == 2 and all(x > 0 for x in series)
        # stabilising: the second complete cycle's dW within 25 % of the first (the first cycle still carries
        # the ratchet of the relaxing resin and the solder's hardening)
        assert abs(series[1] - series[0]) <= 0.25 * series[1]
        # SAC305 joints: no published SAC Darveaux constants are shipped, so no Darveaux life, and the output says why
        assert "darveaux" not in e["estimates"] and "SnAgCu" in e["not_estimated"]["darveaux"]
        s, g = e["estimates"]["syed"], e["estimates"]["engelmaier"]
        assert s["cycles"] > 0 and math.isfinite(s["cycles"]) and g["cycles"] > 0 and math.isfinite(g["cycles"])
        assert s["inputs"]["layer_thickness_m"] == pytest.approx(e["critical"]["layer_thickness_um"] * 1e-6)
        # Engelmaier at the region's joint of largest cyclic shear strain range, not necessarily the dW-critical one
        per = {j["id"]: j["d_gamma"] for j in e["per_joint"] if j["d_gamma"] is not None}
        assert g["joint"]["id"] == max(per, key=per.get)
        assert g["inputs"]["delta_gamma"] == pytest.approx(max(per.values()))
