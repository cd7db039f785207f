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
