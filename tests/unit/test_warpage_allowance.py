"""output.warpage_allowance: limits on the signed warpage checked over every row and drawn on the plots
(issue 17 item 3)."""

from __future__ import annotations

import pytest

from fcpkg_fem import api
from fcpkg_fem.errors import InputError
from fcpkg_fem.io.plots import pass_curve_figures, warpage_curve_figure
from fcpkg_fem.post.warpage import allowance_check

CASES = api.__file__.rsplit("/", 2)[0] + "/cases"


def test_extremes_and_verdicts_over_the_rows():
    rows = [{"temperature_C": 25.0, "warpage_bottom_signed_um": 5.0, "warpage_top_signed_um": -3.0},
            {"temperature_C": 260.0, "step": "reflow", "cycle": 1.0, "warpage_bottom_signed_um": -12.0,
             "warpage_top_signed_um": 40.0},
            {"temperature_C": 150.0, "warpage_bottom_signed_um": 9.5}]
    a = allowance_check(rows, -10e-6, 30e-6, "user table")
    b, t = a["faces"]["bottom"], a["faces"]["top"]
    assert (b["lowest_um"], b["highest_um"]) == (-12.0, 9.5)
    assert b["lowest_at"] == {"temperature_C": 260.0, "step": "reflow", "cycle": 1.0}
    assert b["within"] is False and t["within"] is False and a["within"] is False  # -12 < -10, 40 > 30
    assert allowance_check(rows, -20e-6, 50e-6)["within"] is True
    assert allowance_check([{"temperature_C": 25.0}], -1e-6, 1e-6) == {
        "concave_um": -1.0, "convex_um": 1.0, "source": None, "faces": {}, "within": None}


@pytest.mark.parametrize("given,field", [
    ("{concave: 10 um, convex: 50 um}", "output.warpage_allowance.concave"),
    ("{concave: -10 um, convex: -5 um}", "output.warpage_allowance.convex"),
    ("{concave: 0 um, convex: 0 um}", "output.warpage_allowance.convex"),
    ("{concave: -10 GPa, convex: 5 um}", "output.warpage_allowance.concave"),
    ("{convex: 5 um}", "output.warpage_allowance.concave"),
])
def test_bad_allowance_names_the_field(given, field):
    with pytest.raises(InputError) as exc:
        api.load_case(f"{CASES}/laminate_bimetal.yaml", overrides=[f"output.warpage_allowance={given}"])
    assert field in [p.field for p in exc.value.problems], exc.value


def test_a_case_without_allowance_keeps_its_hash():
    """Checkpoints and batch folders record the case hash: adding the optional field must not change it."""
    plain = api.load_case(f"{CASES}/laminate_bimetal.yaml")
    null = api.load_case(f"{CASES}/laminate_bimetal.yaml", overrides=["output.warpage_allowance=null"])
    given = api.load_case(f"{CASES}/laminate_bimetal.yaml",
                          overrides=["output.warpage_allowance={concave: -50 um, convex: 50 um}"])
    assert plain.hash() == null.hash() != given.hash()
    assert "warpage_allowance" not in plain.resolved_dict()["output"]


def test_the_run_checks_and_draws_the_allowance():
    """The bimetal at 125 degC warps about -53 / +54 um (bottom concave, top convex): outside [-50, +20] um on
    both faces, within [-60, +60]. The overview plot carries the two limits as horizontal lines."""
    case = api.load_case(f"{CASES}/laminate_bimetal.yaml",
                         overrides=["output.warpage_allowance={concave: -50 um, convex: 20 um, source: test}"])
    r = api.run(case, write=False)
    a = r.summary["warpage_allowance"]
    assert a["source"] == "test" and a["within"] is False
    assert a["faces"]["bottom"]["lowest_um"] == pytest.approx(r.outputs[-1]["warpage"]["bottom"]["signed_um"])
    assert a["faces"]["bottom"]["lowest_um"] < -50 and a["faces"]["top"]["highest_um"] > 20
    fig = warpage_curve_figure(r)
    ys = {round(float(line.get_ydata()[0]), 9) for line in fig.axes[0].lines
          if len(set(line.get_ydata())) == 1 and line.get_linestyle() == "-."}
    assert ys == {-50.0, 20.0}
    assert pass_curve_figures(r) == []  # no reflow or cycling step: nothing per pass
