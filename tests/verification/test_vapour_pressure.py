"""Vapour pressure through a reflow after a soak, end to end (issue 18 item 5; docs/moisture.md, "Vapour pressure").

A small stacked package (the reference MSL case shrunk: 4 mm carriers, 2 mm and 1.6 mm dies, one bump row, no
through-mould interconnect, elastic, coarse quarter mesh of about 1,300 elements) soaks 24 h at 85 degC/85 % RH
and goes through one J-STD-020 Pb-free reflow pass (peak 260 degC). The library materials' free volume fraction
(0.05) holds far less vapour than the soaked resin's water: every wet interface is on the saturated branch, so its
pressure is the saturation pressure of water at its temperature (IF97), p_g(85 degC) = 57.87 kPa at the end of the
soak and p_g(260 degC) = 4.69 MPa at the reflow's peak. Checked: the six interfaces that can delaminate are found and
named; the pressure is recorded at every increment (summary.json, vapour_pressure.csv, history.csv); its peaks are
the saturation pressures at the temperatures they occur at; the dry initial state has none; the peak lies on its
interface (z of the die's top face for the die/adhesive interface); the plots (weight gain, warpage and water,
vapour pressure) are written and the report's moisture section carries the soak, the wetness per region and the
peak pressure per interface.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
import yaml

from fcpkg_fem import api
from fcpkg_fem.materials.moisture import saturation_pressure

ROOT = Path(__file__).resolve().parents[2]
INTERFACES = {"encapsulant|carrier1.mask_top", "encapsulant|carrier2.mask_bot", "encapsulant|chip.die1",
              "encapsulant|chip.die2", "chip.die1|adhesive", "adhesive|chip.die2"}


def small_msl_case(steps: list[dict]) -> dict:
    """The reference MSL case shrunk to a test's size (module docstring), with ``steps`` as its load."""
    c = yaml.safe_load((ROOT / "cases" / "reference_msl.yaml").read_text())
    pk = c["package"]
    for side, die in (("bottom", "2 mm"), ("top", "1.6 mm")):
        car = pk["carriers"][side]
        car["size"] = ["4 mm", "4 mm"]
        ch = car["chips"][0]
        ch["size"] = [die, die]
        ch["bumps"].update({"pitch": "1 mm", "rows": 1, "edge_offset": "300 um"})
    pk["interconnect"] = {"kind": "none"}
    pk.pop("top_balls", None)
    c["models"] = {}
    c["mesh"] = {"symmetry": "quarter", "element": "hex8i", "size": "1 mm", "feature_size": "300 um",
                 "max_layer_thickness": "1 mm", "min_elements_per_layer": 1}
    c["output"] = {"vtu": False, "plots": False, "report": False}
    c["solver"] = {"max_temperature_increment": "20 K"}
    c["load"]["steps"] = steps
    return c


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("vapour")
    c = small_msl_case([
        {"name": "soak", "kind": "moisture_soak", "temperature": "85 degC", "humidity": 85, "duration": "24 h",
         "output": "end"},
        {"name": "reflow", "kind": "reflow", "alloy": "pb_free", "passes": 1}])
    c["output"].update(plots=True, report=True)
    return api.run(api.load_case(c), out_dir=out), out


def test_peak_vapour_pressure_per_interface_is_the_saturation_pressure_at_260_degC(run):
    r, _ = run
    vp = r.summary["moisture"]["vapour_pressure"]
    assert set(vp["interfaces"]) == INTERFACES
    p260 = float(saturation_pressure(260.0)) * 1e-6
    assert p260 == pytest.approx(4.69, abs=0.01)
    for name, peak in vp["reflow"].items():
        assert peak["saturated"] is True
        assert peak["step"] == "reflow"
        assert peak["max_MPa"] == pytest.approx(float(saturation_pressure(peak["temperature_at_max_C"])) * 1e-6,
                                                rel=1e-8)
        assert peak["temperature_at_max_C"] == pytest.approx(260.0, abs=1e-6)  # the oven's peak, uniform
        assert peak["max_MPa"] == pytest.approx(p260, rel=1e-8)
        assert vp["interfaces"][name]["max_MPa"] == peak["max_MPa"]
    assert vp["reflow"]["chip.die1|adhesive"]["at_mm"][2] == pytest.approx(0.3 + 0.06 + 0.1, abs=1e-9)
    soak = vp["steps"]["soak"]
    for name in INTERFACES:  # at the end of the soak: p_g(85 degC)
        assert soak[name]["max_MPa"] == pytest.approx(float(saturation_pressure(85.0)) * 1e-6, rel=1e-8)


def test_pressure_is_recorded_at_every_increment(run):
    r, out = run
    n_inc = len(r.history)
    assert len(r.vapour) == n_inc * len(INTERFACES)
    with open(out / "vapour_pressure.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(r.vapour)
    first = [row for row in rows if row["step"] == "initial"]
    assert len(first) == len(INTERFACES) and all(float(row["max_MPa"]) == 0.0 for row in first)  # dry
    for row in rows:
        p, pg = float(row["max_MPa"]), float(row["saturation_pressure_MPa"])
        assert 0.0 <= float(row["mean_MPa"]) <= p <= pg * (1 + 1e-12)
    with open(out / "history.csv", newline="") as fh:
        hist = list(csv.DictReader(fh))
    for name in INTERFACES:
        assert all(h[f"{name}_vapour_pressure_max_MPa"] != "" for h in hist)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["moisture"]["vapour_pressure"]["interfaces"] == r.summary["moisture"]["vapour_pressure"][
        "interfaces"]
    soak = summary["moisture"]["soaks"][0]
    assert soak["step"] == "soak" and soak["mass_start_mg"] == 0.0 and soak["uptake_mg"] > 0.0


def test_plots_and_report_section(run):
    r, out = run
    for name in ("weight_gain_soak.png", "warpage_and_water.png", "vapour_pressure.png"):
        assert (out / name).read_bytes().startswith(b"\x89PNG")
    text = (out / "report.html").read_text(encoding="utf-8")
    sec = text[text.index('<section id="moisture">'):]
    sec = sec[:sec.index("</section>")]
    for name in INTERFACES:
        assert f"<tr><td>{name}</td><td>reflow</td><td>saturated</td>" in sec
    assert sec.count('alt="weight_gain_soak.png"') == 1 and text.count('alt="weight_gain_soak.png"') == 1
    soak = r.summary["moisture"]["soaks"][0]
    assert re.search(r"<td>soak</td><td>moisture_soak</td><td></td><td class=\"n\">85</td><td class=\"n\">85</td>",
                     sec)
    assert f"{soak['uptake_mg']:+.4g}" in sec
    assert "Mean wetness per region" in sec and "Hygroscopic share of the warpage" in sec
    for region, w in soak["mean_wetness_end"].items():
        assert 0.0 < w <= 0.85 + 1e-12  # the chamber's 85 % RH bounds the wetness (monotone scheme)
