"""report.html as a document to hand on: the inputs (stack-up, regions, materials with their sources, the load and
its profile), the run facts (version, date, machine), the mesh and solver, and numbers formatted for people.

Most tests pair the small hand-made result of tests/support/results.py with a shipped case (validating a case
costs milliseconds, solving it does not enter here); one runs the bimetal laminate end to end (under a second).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from support.results import make_result
from support.robust import laminate

import fcpkg_fem
from fcpkg_fem import api
from fcpkg_fem.case.assumed import assumed_values
from fcpkg_fem.io.report import report_html
from fcpkg_fem.io.report_format import integer, sig
from fcpkg_fem.io.report_inputs import region_materials
from fcpkg_fem.io.report_materials import table_text
from fcpkg_fem.materials.model import Table

ROOT = Path(__file__).resolve().parents[2]


class _Tables(HTMLParser):
    """Every <table> of a page as a list of rows of cell texts, each with the nearest heading before it."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.heading, self._text, self._cell, self._in_heading = "", "", None, False

    def handle_starttag(self, tag, attrs):
        if tag in ("h2", "h3"):
            self._in_heading, self._text = True, ""
        elif tag == "table":
            self.tables.append((self.heading, []))
        elif tag == "tr":
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("h2", "h3"):
            self._in_heading, self.heading = False, self._text.strip()
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][1][-1].append(" ".join(self._cell.split()))
            self._cell = None

    def handle_data(self, data):
        if self._in_heading:
            self._text += data
        if self._cell is not None:
            self._cell += data


def tables(text: str) -> list[tuple[str, list[list[str]]]]:
    p = _Tables()
    p.feed(text)
    return p.tables


def row(text: str, first: str, heading: str | None = None) -> list[str]:
    """The first table row whose first cell is ``first`` (under a heading containing ``heading``)."""
    for head, rows in tables(text):
        if heading is None or heading in head:
            for r in rows:
                if r and r[0] == first:
                    return r
    raise AssertionError(f"no row {first!r} under {heading!r}")


def header(text: str, heading: str) -> list[str]:
    return next(rows[0] for head, rows in tables(text) if heading in head)


def cell(text: str, first: str, column: str, heading: str) -> str:
    return row(text, first, heading)[header(text, heading).index(column)]


def _folder_run(tmp_path: Path, case, **summary) -> tuple[object, Path]:
    """The hand-made result as if ``case`` had run in ``tmp_path``: the folder holds the resolved case the run
    writes before its writers, and the summary names the case by its hash."""
    result = make_result()
    result.summary["case"].update(name=case.name, structure=case.structure, hash=case.hash())
    result.summary.update(summary)
    (tmp_path / "case.resolved.json").write_text(json.dumps(case.resolved_dict(), indent=2), encoding="utf-8")
    return result, tmp_path


# ------------------------------------------------------------------------------------------------- formatting


@pytest.mark.parametrize("value, text", [(223464, "223,464"), (48, "48"), (-1201, "-1,201"), (0.000345, "0.000345"),
                                         (2.5525622767533302, "2.553"), (23000.0, "23,000"), (1e-8, "1e-8"),
                                         (-40.0, "-40"), (0.0, "0"), (1.5e9, "1.5e9"), (None, "\u2014")])
def test_numbers_for_people(value, text):
    assert sig(value) == text


def test_integers_get_thousands_separators():
    assert integer(82394) == "82,394" and integer(271758) == "271,758" and integer(7) == "7"


def test_temperature_tables_in_words():
    assert table_text(Table.constant(1.3e11), 1e-9) == "130"
    assert table_text(Table.step(128.0, 11e-6, 36e-6), 1e6) == "11 below 128 \u00b0C, 36 from it"
    assert table_text(Table((25.0, 150.0), (23e9, 1.5e9)), 1e-9) == "23 / 1.5 at 25 / 150 \u00b0C"
    many = Table(tuple(range(0, 80, 10)), tuple(float(v) for v in range(1, 9)))
    assert table_text(many) == "1 to 8 over 0 to 70 \u00b0C (8 points; 3.5 at 25 \u00b0C)"


# ---------------------------------------------------------------------------------------- stacked package inputs


@pytest.fixture(scope="module")
def reference():
    return api.load_case(ROOT / "cases" / "reference.yaml")


@pytest.fixture(scope="module")
def ref_report(tmp_path_factory, reference):
    """The report of the reference case as the writer makes it from a run folder (rendered once: plots cost)."""
    mesh = {"dofs": 223464, "nodes": 74488, "elements": 82394, "element": "hex8i", "symmetry": "quarter",
            "regions": {"encapsulant": 20000, "chip.die1": 62394}}
    result, folder = _folder_run(tmp_path_factory.mktemp("ref"), reference, mesh=mesh)
    return report_html(result, folder)


def test_stack_up_tables_carry_the_case_values(ref_report):
    text = ref_report
    # bumps: material, diameter, standoff, pitch, pattern, count (the case says 80 um, 60 um, 200 um, 2 rows)
    bumps = row(text, "bumps.die1", "Bumps")
    assert bumps[1:6] == ["sac305", "80", "60 (standoff)", "200", "peripheral, 2 rows, outer row 150 \u00b5m from the edge"]
    assert bumps[6] == "296"  # the derived count of the full package, as fcpkg check prints it
    vias = row(text, "vias (filled)", "Bumps")
    assert vias[1:3] == ["copper", "150"] and vias[3].startswith("945 ")  # 300 + 345 + 300 um through the stack
    assert row(text, "top_balls (on carrier 2)", "Bumps")[1:4] == ["sac305", "250", "200 (height)"]
    # carriers with their layers, bottom to top; the core of each is 260 um
    carriers = next(rows for head, rows in tables(text) if head == "Carriers")
    assert [r[3:6] for r in carriers[1:4]] == [["mask_bot", "solder_mask", "20"], ["core", "bt_laminate", "260"],
                                                ["mask_top", "solder_mask", "20"]]
    assert carriers[1][:3] == ["carrier 1 (terminal side down)", "substrate", "12 \u00d7 12"]
    assert row(text, "die1", "Dies")[1:6] == ["carrier 1", "8 \u00d7 8", "100", "(0, 0)", "silicon"]
    assert cell(text, "gap between the carriers (filled with the encapsulant)", "z or height (\u00b5m)",
                "Heights") == "345"


def test_regions_list_material_model_and_stress_free_temperature(ref_report):
    assert row(ref_report, "bumps.die1", "Regions")[1:5] == ["sac305", "elastic", "217", "load.stress_free_by_material"]
    assert row(ref_report, "chip.die1", "Regions")[1:5] == ["silicon", "elastic", "25", "load.stress_free_temperature"]


def test_materials_show_the_values_used_with_their_sources(ref_report, reference):
    text = ref_report
    assert row(text, "silicon", "Materials")[3] == "130"  # E at 25 degC, GPa
    e_row = row(text, "E (GPa)", "silicon")
    assert e_row[1] == "130" and "Virginia Semiconductor" in e_row[2] and "assumed" not in e_row[2]
    emc_tg = row(text, "Tg (\u00b0C)", "emc")
    assert emc_tg[1] == "128" and emc_tg[2].startswith("assumed assumed: 128 C")  # the badge, then the text
    assert row(text, "CTE (ppm/K)", "emc")[1] == "11 below 128 \u00b0C, 36 from it (instantaneous)"
    # the same assumed values as `fcpkg check` lists, each named once in the list
    listed = [r[0] for head, rows in tables(text) if head == "Materials" for r in rows[1:] if "." in r[0]]
    assert listed == [f"{a.material}.{a.prop}" for a in assumed_values(reference)]
    assert f"<b>{len(listed)} of the material values this run used are assumed</b>" in text


def test_load_run_facts_and_integers(ref_report):
    text = ref_report
    assert [r[1] for r in next(rows for head, rows in tables(text) if head == "Load")[1:]] == ["25", "125", "260", "-40"]
    assert "temperature_profile" not in text  # a list of temperatures has no time axis to draw
    assert row(text, "fcpkg-fem version (this report)", "Run")[1] == fcpkg_fem.__version__
    written = row(text, "report written (UTC), at the end of the run", "Run")[1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", written)
    for label in ("operating system", "Python", "CPU", "memory", "numpy", "scipy", "scikit-fem"):
        assert row(text, label, "Run")[1], label
    assert row(text, "unknowns (degrees of freedom)", "Mesh")[1] == "223,464"
    assert row(text, "elements", "Mesh")[1] == "82,394" and row(text, "encapsulant", "Mesh")[1] == "20,000"
    assert "2.235e+05" not in text and "8.239e+04" not in text


def test_a_stale_resolved_case_is_not_shown_as_this_runs_inputs(tmp_path, reference):
    result, folder = _folder_run(tmp_path, reference)
    result.summary["case"]["hash"] = "0" * 64  # another run's summary in the same folder
    text = report_html(result, folder)
    assert "its hash differs from summary.json" in text and "Carriers" not in text
    assert "Results at each output time" in text  # the results are still reported


# ----------------------------------------------------------------------------------- other structures and loads


def test_tab_carriers_with_traces_and_no_balls():
    case = api.load_case(ROOT / "cases" / "tab_traces.yaml")
    text = report_html(make_result(), case=case)
    assert row(text, "carrier 1 (terminal side down)", "Carriers")[1] == "tab"
    traces = next(r for head, rows in tables(text) if "Bumps" in head for r in rows if r[0].startswith("traces"))
    assert traces[0] == "traces (100 \u00d7 30 \u00b5m strips)" and traces[1] == "copper"
    joints = [r[0] for head, rows in tables(text) if "Bumps" in head for r in rows]
    assert not any(j.startswith(("vias", "top_balls", "bottom_balls")) for j in joints)
    assert list(region_materials(case.resolved_dict())) == list(case.region_materials())


def test_process_history_steps_models_and_profile():
    case = api.load_case(ROOT / "cases" / "reference_reflow.yaml")
    result = make_result(with_items=False)
    steps = [{"name": "join_heat", "kind": "ramp", "t_start_s": 0.0, "t_end_s": 192.0, "births": [],
              "increments": 20, "standard": None, "violations": [], "phase_changes": [],
              "parameters": {"profile": "ramp", "T0_C": 25.0, "T1_C": 217.0, "rate_K_per_s": 1.0, "duration_s": 192.0}},
             {"name": "join_cool", "kind": "ramp", "t_start_s": 192.0, "t_end_s": 384.0,
              "births": ["bumps.die1", "bumps.die2"], "increments": 1234, "standard": None, "violations": [],
              "phase_changes": [], "parameters": {"profile": "ramp", "T0_C": 217.0, "T1_C": 25.0,
                                                  "rate_K_per_s": 1.0, "duration_s": 192.0}}]
    result.summary["process"] = {"steps": steps, "newton": {"increments": 1254, "iterations_total": 3456,
                                                            "iterations_max": 6, "cutbacks": 0}}
    result.history = [{"index": i, "step": s, "branch": "heating", "time_s": t, "temperature_C": T}
                      for i, (s, t, T) in enumerate([("join_heat", 96.0, 121.0), ("join_heat", 192.0, 217.0),
                                                     ("join_cool", 384.0, 25.0)])]
    text = report_html(result, case=case)
    cool = row(text, "join_cool", "Load")
    assert cool[1:] == ["ramp", "\u2014", "bumps.die1, bumps.die2", "217", "25", "1", "192", "192", "1,234"]
    assert text.count('alt="temperature_profile"') == 1
    assert row(text, "bumps.die1", "Regions")[2] == "anand"
    assert row(text, "bumps.die1", "Regions")[3:] == ["at birth", "born stress-free at the start of step 'join_cool'"]
    assert row(text, "encapsulant", "Regions")[2] == "viscoelastic" and row(text, "vias", "Regions")[2] == "j2"
    anand = row(text, "Anand viscoplasticity", "sac305")
    assert anand[1].startswith("s0 ") and "Motalab" in anand[2]
    assert row(text, "J2 plasticity", "copper")[1] == ("yield stress (MPa): 224 / 200 / 170 / 130 at -55 / 25 / 125 / "
                                                       "260 \u00b0C; hardening moduli (MPa): isotropic 0, kinematic 1,000")
    assert "WLF" in row(text, "viscoelasticity (Prony series, time shift)", "emc")[1]
    assert row(text, "solidus (\u00b0C)", "sac305")[1] == "217"  # a process history melts solder: the solidus is used
    assert row(text, "Newton iterations in total", "Solver")[1] == "3,456"


def test_a_laminate_run_end_to_end(tmp_path):
    out = tmp_path / "run"
    api.run(api.load_case(laminate()), out_dir=out)
    text = (out / "report.html").read_text(encoding="utf-8")
    layers = next(rows for head, rows in tables(text) if head == "Geometry and stack-up")
    assert layers[1:] == [["si", "silicon", "500"], ["cu", "copper", "100"], ["total", "", "600"]]
    assert row(text, "layer.cu", "Regions")[1:4] == ["copper", "elastic", "25"]
    assert row(text, "E (GPa)", "copper")[1] == "130"
    assert "Carriers" not in text and "Bumps" not in text
    # the date and the machine go into the report only: the summary of the same run has neither
    summary = (out / "summary.json").read_text(encoding="utf-8")
    machine = row(text, "operating system", "Run")[1]
    assert machine and machine not in summary and "report written" not in summary
