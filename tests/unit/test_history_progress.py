"""Progress never goes quiet and never garbles the log (run/progress.py, issue 17 item 4).

The reporter is driven with a fake clock and a fake terminal (a StringIO that says it is a TTY); no thread runs
(``tick_s=None``): :meth:`Reporter.heartbeat` is what the thread would call every second.
"""

from __future__ import annotations

import io

import pytest

from fcpkg_fem.run.progress import Eta, PlainStatus, Reporter, Status, duration, status


class Clock:
    """A wall clock the test sets (s)."""

    def __init__(self, t: float = 100.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def screen(raw: str) -> list[str]:
    """What a terminal shows for ``raw``: carriage returns overwrite the line from its start."""
    lines, cur, col = [], [], 0
    for ch in raw:
        if ch == "\n":
            lines.append("".join(cur).rstrip())
            cur, col = [], 0
        elif ch == "\r":
            col = 0
        else:
            if col < len(cur):
                cur[col] = ch
            else:
                cur.append(ch)
            col += 1
    lines.append("".join(cur).rstrip())
    return lines


def reflow(k: int, done: int, **kw) -> Status:
    return Status(phase="history", step="reflow", increment=k, increments=10, done=done, total=40,
                  temperature_C=217.0, **kw)


def test_eta_is_the_mean_time_per_increment_times_those_left_counted_down():
    """3 increments done in 12 s (4 s each), 37 left: 148 s at the moment the third ended, 2 s less 2 s later.
    Nothing before the first increment ends; a new series (another total, or done going back) starts over."""
    eta, t = Eta(), 100.0
    eta.update(reflow(1, done=0), t)
    assert eta.left(t + 3.0) is None
    eta.update(reflow(4, done=3), t + 12.0)
    assert eta.left(t + 12.0) == pytest.approx(148.0)
    assert eta.left(t + 14.0) == pytest.approx(146.0)
    assert eta.left(t + 1e4) == 0.0
    eta.update(Status(phase="history", done=0, total=40), t + 20.0)  # a submodel's own history: done went back
    assert eta.left(t + 21.0) is None
    eta.update(Status(phase="history", done=5, total=40), t + 30.0)
    assert eta.left(t + 30.0) == pytest.approx(2.0 * 35)
    eta.update(Status(phase="write"), t + 31.0)  # a phase without units ends the series
    assert eta.left(t + 31.0) is None


def test_eta_of_a_resumed_history_counts_only_what_it_ran():
    eta = Eta()
    eta.update(reflow(1, done=30), 0.0)  # 30 increments restored from the checkpoint
    eta.update(reflow(3, done=32), 10.0)
    assert eta.left(10.0) == pytest.approx(5.0 * 8)


def test_live_line_is_redrawn_in_place_with_step_increment_temperature_newton_and_eta():
    clock, out = Clock(), FakeTTY()
    rep = Reporter(out, clock=clock, width=200, tick_s=None)
    assert rep.live
    rep.status(reflow(1, done=0))
    clock.t += 12.0
    rep.status(reflow(4, done=3, newton=2, activity="tangent and linear solve"))
    raw = out.getvalue()
    assert "\n" not in raw and raw.count("\r") == 2  # one line, drawn twice in place
    shown = screen(raw)
    assert shown == ["[   12.0s] step 'reflow' increment 4/10 (4/40 overall), T = 217 degC, Newton iteration 2: "
                     "tangent and linear solve | ~2.5 min left (estimate)"]
    clock.t += 3.0  # the background thread's redraw: elapsed and time left move on, the activity's time shows
    rep.heartbeat()
    assert screen(out.getvalue())[-1].startswith("[   15.0s] step 'reflow' increment 4/10")
    assert screen(out.getvalue())[-1].endswith("~2.4 min left (estimate) (3 s in this)")


def test_live_line_is_cleared_before_a_message_and_drawn_again_below_it():
    clock, out = Clock(), FakeTTY()
    rep = Reporter(out, clock=clock, width=200, tick_s=None)
    rep.status(Status(phase="solve", activity="linear solve", done=0, total=4, temperature_C=25.0))
    clock.t += 1.5
    rep("solved in 1.5 s; recovering element stresses")
    shown = screen(out.getvalue())
    assert shown == ["[    1.5s] solved in 1.5 s; recovering element stresses",
                     "[    1.5s] solve 1/4, T = 25 degC: linear solve"]
    rep.close()  # leaves nothing of the live line for the results printed next
    assert screen(out.getvalue()) == ["[    1.5s] solved in 1.5 s; recovering element stresses", ""]


def test_a_narrow_terminal_gets_fewer_words_then_a_cut_line_and_a_shorter_one_covers_a_longer():
    """The activity goes first, then the long labels; the time left stays as long as anything can."""
    clock, out = Clock(), FakeTTY()
    width = [200]
    rep = Reporter(out, clock=clock, width=lambda: width[0], tick_s=None)
    rep.status(reflow(1, done=0))
    clock.t += 12.0
    rep.status(reflow(4, done=3, newton=2, activity="tangent and linear solve"))
    full = ("[   12.0s] step 'reflow' increment 4/10 (4/40 overall), T = 217 degC, Newton iteration 2: tangent and "
            "linear solve | ~2.5 min left (estimate)")
    assert rep.line() == full
    width[0] = len(full)  # one column short: the activity goes
    assert rep.line() == ("[   12.0s] step 'reflow' increment 4/10 (4/40 overall), T = 217 degC, Newton iteration 2 | "
                          "~2.5 min left (estimate)")
    compact = "[   12.0s] reflow 4/10 (4/40), 217 degC, Newton 2: tangent and linear solve | ~2.5 min left"
    width[0] = len(compact) + 1
    assert rep.line() == compact
    width[0] = len(compact)
    assert rep.line() == "[   12.0s] reflow 4/10 (4/40), 217 degC, Newton 2 | ~2.5 min left"
    width[0] = 40
    cut = rep.line()
    assert len(cut) == 39 and cut.endswith("...")  # the last column is left free: no wrap
    rep.status(Status(phase="write", activity="x"))
    assert screen(out.getvalue()) == ["[   12.0s] write: x"]


def test_not_a_terminal_prints_plain_lines_rate_limited_with_a_heartbeat():
    """Messages always; a status only when every_s passed since the last line; 'still:' after heartbeat_s of
    silence (a long linear solve); never a carriage return."""
    clock, out = Clock(), io.StringIO()
    rep = Reporter(out, clock=clock, tick_s=None, every_s=5.0, heartbeat_s=8.0)
    assert not rep.live
    rep("step 'reflow' (reflow): 10 increments")
    for k in range(10):  # ten increments, 1 s apart
        clock.t += 1.0
        rep.status(reflow(k + 1, done=k))
    clock.t += 9.0
    rep.heartbeat()
    clock.t += 1.0
    rep.heartbeat()  # 1 s after the heartbeat line: quiet
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    # the series starts at the first status (1 s): 1 s per increment, 36 left at 5 s, 31 at 10 s, 22 at 19 s
    assert lines == ["[    0.0s] step 'reflow' (reflow): 10 increments",
                     "[    5.0s] step 'reflow' increment 5/10 (5/40 overall), T = 217 degC | ~36 s left (estimate)",
                     "[   10.0s] step 'reflow' increment 10/10 (10/40 overall), T = 217 degC | ~31 s left (estimate)",
                     "[   19.0s] still: step 'reflow' increment 10/10 (10/40 overall), T = 217 degC | ~22 s left "
                     "(estimate) (9 s in this)"]


def test_quiet_writes_nothing_even_on_a_terminal():
    out = FakeTTY()
    rep = Reporter(out, quiet=True, tick_s=None)
    rep("a message")
    rep.status(reflow(1, done=0))
    rep.heartbeat()
    rep.close()
    assert out.getvalue() == "" and not rep.live


def test_a_plain_callable_gets_messages_and_statuses_as_rate_limited_sentences():
    """api.run(progress=print)-style callables keep working: every message, a status at most every 5 s."""
    clock, lines = Clock(), []
    plain = PlainStatus(lines.append, every_s=5.0, clock=clock)
    plain("solve 1/2: T = 25 degC")
    clock.t += 2.0
    status(plain, phase="solve", done=0, total=2, temperature_C=25.0, activity="linear solve")
    clock.t += 6.0
    status(plain, phase="solve", done=1, total=2, temperature_C=125.0, activity="assembly")
    assert lines == ["solve 1/2: T = 25 degC", "solve 2/2, T = 125 degC: assembly | ~6 s left (estimate)"]
    assert status(None, phase="mesh").phase == "mesh"  # no progress at all: nothing to call


@pytest.mark.parametrize("s, text", [(42.4, "42 s"), (150.0, "2.5 min"), (7200.0, "2.0 h")])
def test_duration(s, text):
    assert duration(s) == text


def test_finish_clears_the_live_line_and_the_thread_idles_until_the_next_status():
    """api.run ends with finish(progress): a script's own prints after it are not overdrawn by the live line."""
    clock, out = Clock(), FakeTTY()
    rep = Reporter(out, clock=clock, width=80, tick_s=None)
    rep.status(Status(phase="write", activity="writing results"))
    rep.finish()
    before = out.getvalue()
    rep.heartbeat()
    assert out.getvalue() == before and screen(before) == [""]
