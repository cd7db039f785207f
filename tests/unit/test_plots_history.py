"""The warpage-vs-temperature curve of a process history: one polyline per run of increments of the same branch,
solid while heating, dashed while cooling, dotted in holds, through exactly the increments' (T, w) points."""

from __future__ import annotations

import numpy as np
from support.results import make_result

from fcpkg_fem.io.plots import warpage_curve_figure


def test_history_curve_follows_every_increment_with_its_branch_style():
    r = make_result()
    T = [25.0, 100.0, 175.0, 175.0, 100.0, 25.0]
    branch = ["hold", "heating", "heating", "hold", "cooling", "cooling"]
    w = [0.0, 1.0, 2.0, 2.5, 1.5, 0.5]
    r.history = [{"increment": k, "temperature_C": T[k], "branch": branch[k], "warpage_bottom_signed_um": w[k]}
                 for k in range(6)]
    ax = warpage_curve_figure(r).axes[0]
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) >= 2 and ln.get_linestyle() in ("-", "--", ":")]
    runs = [(ln.get_linestyle(), list(ln.get_xdata()), list(ln.get_ydata())) for ln in lines
            if ln.get_color() == lines[0].get_color()]
    # increments 1-2 heat (rows 0..2), 3 holds (rows 2..3), 4-5 cool (rows 3..5)
    assert runs == [("-", T[0:3], w[0:3]), (":", T[2:4], w[2:4]), ("--", T[3:6], w[3:6])]
    assert np.isfinite(ax.get_ylim()).all()


def _arrows(ax):
    return [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]


def test_temperature_list_has_no_path_arrows_and_a_history_has():
    """A temperature list (outputs without times) is a set of independent solves: one line in temperature order,
    no arrows and no 'start'; the same outputs with times (a temperature history) keep the arrows forward in time."""
    r = make_result(time_s=(None, None))
    r.summary["outputs"] = r.outputs[::-1]  # listed hot first: the line still runs in temperature order
    ax = warpage_curve_figure(r).axes[0]
    assert not _arrows(ax) and "start" not in [t.get_text() for t in ax.texts]
    line = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-" and len(ln.get_xdata()) == 2][0]
    assert list(line.get_xdata()) == [25.0, 250.0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert not any("heating" in s for s in legend)
    ax = warpage_curve_figure(make_result()).axes[0]
    assert len(_arrows(ax)) == 2 and "start" in [t.get_text() for t in ax.texts]  # one arrow per face


def test_one_plot_per_reflow_pass_through_that_pass_only():
    """A reflow step of two passes gets two figures, warpage_<step>_pass1/2.png, each drawing exactly the rows of
    its pass (heating solid, cooling dashed); other steps get none."""
    from fcpkg_fem.io.plots import pass_curve_figures

    r = make_result()
    r.summary["process"] = {"steps": [{"name": "mould", "kind": "hold"}, {"name": "reflow", "kind": "reflow"}]}
    T = [25.0, 150.0, 260.0, 150.0, 25.0]
    rows = [{"step": "mould", "cycle": 0, "temperature_C": 175.0, "branch": "hold", "warpage_bottom_signed_um": 9.0}]
    for c in (0, 1):
        rows += [{"step": "reflow", "cycle": c, "temperature_C": T[k], "branch": "heating" if k <= 2 else "cooling",
                  "warpage_bottom_signed_um": 10.0 * c + k} for k in range(5)]
    r.history = rows
    figs = dict(pass_curve_figures(r))
    assert sorted(figs) == ["warpage_reflow_pass1.png", "warpage_reflow_pass2.png"]
    ax = figs["warpage_reflow_pass2.png"].axes[0]
    drawn = [(ln.get_linestyle(), list(ln.get_ydata())) for ln in ax.get_lines()
             if len(ln.get_xdata()) >= 2 and ln.get_color() != "0.6"]  # not the zero line
    assert drawn == [("-", [10.0, 11.0, 12.0]), ("--", [12.0, 13.0, 14.0])]
    assert "Reflow pass 2" in ax.get_title()


def test_a_submodel_folder_gets_its_joint_history_plot_only():
    """A submodel's RunResult (no faces, no warpage; history rows of the joint's averages, as
    ``run.submodel.submodel_result`` makes them) plots ``joint_history.png`` and nothing else; the curves are the
    rows' values (whole joint, both pad layers; temperature and the largest von Mises stress)."""
    from fcpkg_fem.io.plots import joint_history_figure, plot_pngs
    from fcpkg_fem.post.result import RunResult

    t = np.linspace(0.0, 7200.0, 25)
    T = 42.5 + 82.5 * np.sin(2 * np.pi * t / 3600.0)
    rows = [{"index": k, "step": "cycling", "time_s": float(tk), "inelastic_work_MJ_m3": 0.01 * k,
             "lower_pad_work_MJ_m3": 0.012 * k, "upper_pad_work_MJ_m3": 0.02 * k, "lower_layer_um": 25.4,
             "upper_layer_um": 25.4, "temperature_C": float(Tk), "von_mises_max_MPa": 30.0 + 0.1 * float(Tk),
             "eq_inelastic_strain": 1e-3 * k} for k, (tk, Tk) in enumerate(zip(t, T))]
    res = RunResult(summary={"schema": "fcpkg-fem/submodel", "joint": {"region": "bumps.die1", "id": 5},
                             "outputs": []}, points=np.zeros((0, 3)), cells=np.zeros((0, 8), int),
                    region_names=[], cell_region=np.zeros(0, int), history=rows)
    assert list(plot_pngs(res)) == ["joint_history.png"]
    fig = joint_history_figure(res)
    top, bottom = fig.axes[0], fig.axes[1]
    assert [line.get_label() for line in top.get_lines()] == [
        "whole joint", "lower pad layer (25.4 \u00b5m)", "upper pad layer (25.4 \u00b5m)"]
    assert np.allclose(top.get_lines()[2].get_ydata(), [r["upper_pad_work_MJ_m3"] for r in rows])
    assert np.allclose(bottom.get_lines()[0].get_ydata(), T)
    assert joint_history_figure(RunResult(summary={"outputs": []}, points=np.zeros((0, 3)),
                                          cells=np.zeros((0, 8), int), region_names=[],
                                          cell_region=np.zeros(0, int))) is None
