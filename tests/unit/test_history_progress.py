"""A history step never goes quiet: a progress line at least every PROGRESS_EVERY_S (run/history.py)."""

from __future__ import annotations

from types import SimpleNamespace

from fcpkg_fem.run import history


def test_progress_line_every_interval_with_time_left(monkeypatch):
    """Increment 3 of 10 reached 12 s after the step began, last line 6 s ago: one line, with the seconds left
    estimated from the mean time per increment (12 / 3 x 7 = 28 s). Within the interval, or at the step's last
    increment (its own summary line follows), nothing."""
    lines = []
    step = SimpleNamespace(name="reflow")
    monkeypatch.setattr(history.time, "perf_counter", lambda: 112.0)
    last = history._progress(lines.append, step, 2, 10, 217.0, 4, t_step=100.0, last=106.0)
    assert last == 112.0 and lines == ["step 'reflow': increment 3/10, T = 217 degC, 4 Newton iterations, 12 s "
                                       "elapsed, about 28 s left in the step"]
    assert history._progress(lines.append, step, 3, 10, 220.0, 3, t_step=100.0, last=110.0) == 110.0
    assert history._progress(lines.append, step, 9, 10, 25.0, 2, t_step=100.0, last=0.0) == 0.0
    assert len(lines) == 1
