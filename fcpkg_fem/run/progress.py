"""Progress of a run: messages (a log) and a status (where the run is now), for a terminal, a log file or a script.

A run reports through one ``progress`` callable (``api.run(case, progress=...)``):

* **messages**: one-line sentences, ``progress("mesh: 12,345 elements")``; every callable gets them, as always.
* **status**: a :class:`Status` (phase, step, increment i of n, solve i of n, temperature, Newton iteration),
  sent at every phase, linear solve, history increment and Newton iteration through :func:`status`. A callable
  with a ``status`` method (a :class:`Reporter`) receives it there; a plain callable receives it, at most once
  per ``every_s`` seconds of wall time, as a sentence (:class:`PlainStatus`).

:class:`Reporter` writes to a stream (the command line's stderr). On a terminal it keeps one live line at the
bottom, redrawn in place every ``tick_s`` and at every status, cut to the terminal's width and cleared before a
message is printed, so the log lines above stay intact. Elsewhere (a pipe, a file, CI) it prints plain lines: the
messages, a status at most every ``every_s`` s, and a ``still:`` line when nothing was printed for
``heartbeat_s`` s (a long linear solve). The estimated time left is the mean wall time per completed unit
(history increment of the plan, or solve of a temperature list) times the units left, counted down since the
last unit ended: an estimate, since increments differ in cost (Newton iterations, cutbacks, melting solder).

Only what is printed depends on the wall clock, never what is computed.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, replace
from typing import Callable, TextIO

ProgressFn = Callable[[str], None] | None


@dataclass(frozen=True)
class Status:
    """Where a run is. ``phase``: ``mesh``, ``setup``, ``solve`` (a temperature list), ``history``,
    ``submodel``, ``post`` or ``write``; ``activity``: what is being done in it, in a few words.

    ``done`` and ``total`` count the units of the phase's plan (history increments over every step, or solves of
    a temperature list); ``done`` those completed before this status. ``increment`` (1-based) of ``increments``
    counts within ``step``; ``temperature_C`` is the oven (load) temperature in degC; ``newton`` the Newton
    iteration under way (1-based)."""

    phase: str
    activity: str = ""
    step: str | None = None
    increment: int | None = None
    increments: int | None = None
    done: int | None = None
    total: int | None = None
    temperature_C: float | None = None
    newton: int | None = None

    def describe(self, activity: bool = True, compact: bool = False) -> str:
        """The status as a short sentence (no times); ``compact``: the fewest words, for a narrow terminal."""
        parts = []
        overall = None if self.done is None or not self.total else f"{min(self.done + 1, self.total)}/{self.total}"
        if self.phase == "history" and self.step is not None:
            head = self.step if compact else f"step '{self.step}'"
            if self.increment is not None and self.increments is not None:
                head += f" {self.increment}/{self.increments}" if compact else \
                    f" increment {self.increment}/{self.increments}"
            if overall:
                head += f" ({overall})" if compact else f" ({overall} overall)"
            parts.append(head)
        elif overall:  # e.g. solve 2/4 of a temperature list, submodel 1/3
            parts.append(f"{self.phase} {overall}")
        else:
            parts.append(self.phase)
        if self.temperature_C is not None:
            parts.append(f"{self.temperature_C:.4g} degC" if compact else f"T = {self.temperature_C:.4g} degC")
        if self.newton is not None:
            parts.append(f"Newton {self.newton}" if compact else f"Newton iteration {self.newton}")
        text = ", ".join(parts)
        return f"{text}: {self.activity}" if self.activity and activity else text


def duration(seconds: float) -> str:
    """``seconds`` for people: ``42 s``, ``3.5 min``, ``2.1 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class Eta:
    """Time left from the mean wall time per completed unit (s).

    A series of units starts at the first status with a ``total`` (or when the phase or the total changes, or
    ``done`` goes back: a submodel's own history) and ends at a status without one; the mean counts from its
    start, so a resumed history estimates from the increments it ran itself."""

    def __init__(self):
        self.key = None
        self.t0 = self.t_done = 0.0
        self.done0 = self.done = 0
        self.total = 0

    def update(self, st: Status, now: float) -> None:
        if st.done is None or not st.total:  # a phase without units (meshing, writing): no estimate
            self.key = None
            return
        key = (st.phase, st.total)
        if key != self.key or st.done < self.done:
            self.key, self.t0, self.t_done, self.done0, self.done, self.total = key, now, now, st.done, st.done, \
                st.total
        elif st.done > self.done:
            self.done, self.t_done = st.done, now

    def left(self, now: float) -> float | None:
        """Seconds left (None before the first unit of the series is complete), counted down since the last unit
        ended."""
        n = self.done - self.done0
        if self.key is None or n <= 0:
            return None
        mean = (self.t_done - self.t0) / n
        return max(mean * (self.total - self.done) - (now - self.t_done), 0.0)


def status_text(st: Status, eta: Eta, now: float, activity: bool = True, compact: bool = False) -> str:
    """The status sentence with the estimated time left, when there is one."""
    left = eta.left(now)
    text = st.describe(activity, compact)
    if left is None:
        return text
    return f"{text} | ~{duration(left)} left" + ("" if compact else " (estimate)")


class Reporter:
    """Progress on a stream: ``[elapsed s] message`` lines and, on a terminal, one live status line.

    Args:
        stream: where to write (default: sys.stderr).
        live: keep a live line (default: when ``stream`` is a terminal).
        quiet: write nothing.
        clock: seconds, monotonic (injected by tests).
        width: terminal columns, or a callable giving them (default: the stream's terminal, else $COLUMNS, 80).
        every_s: without a live line, print a status at most this often (s).
        heartbeat_s: without a live line, print ``still: <status>`` when nothing was printed for this long (s).
        tick_s: redraw the live line (elapsed, time left) / check for a heartbeat this often (s) from a
            background thread; None: no thread (tests).
    """

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None, quiet: bool = False,
                 clock: Callable[[], float] = time.perf_counter, width: int | Callable[[], int] | None = None,
                 every_s: float = 5.0, heartbeat_s: float = 7.0, tick_s: float | None = 1.0):
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.live = (not quiet) and (_isatty(self.stream) if live is None else live)
        self.clock = clock
        self._width = width
        self.every_s, self.heartbeat_s = every_s, heartbeat_s
        self.t0 = clock()
        self.current: Status | None = None
        self.eta = Eta()
        self._since = self.t0  # when the current status's activity began
        self._last_line = self.t0  # when a plain line was last printed
        self._shown = 0  # characters of the live line on screen
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread = None
        if tick_s is not None and not quiet:
            self._thread = threading.Thread(target=self._tick, args=(tick_s,), name="fcpkg-progress", daemon=True)
            self._thread.start()

    # -- the progress API
    def elapsed(self) -> float:
        return self.clock() - self.t0

    def __call__(self, message: str) -> None:
        """Print ``message`` as a log line (above the live line, which is redrawn)."""
        if self.quiet:
            return
        with self._lock:
            self._clear()
            self._write(f"[{self.elapsed():7.1f}s] {message}\n")
            self._last_line = self.clock()
            self._draw()

    def status(self, st: Status) -> None:
        """Take the run's new status: redraw the live line, or print it when ``every_s`` passed since the last
        plain line."""
        if self.quiet:
            return
        with self._lock:
            now = self.clock()
            prev = self.current
            if prev is None or (prev.phase, prev.step, prev.increment, prev.done, prev.activity) != \
                    (st.phase, st.step, st.increment, st.done, st.activity):
                self._since = now
            self.current = st
            self.eta.update(st, now)
            if self.live:
                self._draw()
            elif now - self._last_line >= self.every_s:
                self._write(f"[{self.elapsed():7.1f}s] {status_text(st, self.eta, now)}\n")
                self._last_line = now

    def finish(self) -> None:
        """The run is over: clear the live line and forget the status (the thread idles until the next one)."""
        with self._lock:
            self._clear()
            self.current = None

    def close(self) -> None:
        """Stop the redraws and clear the live line (before the command prints its results or an error)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        with self._lock:
            self._clear()
            self.current = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- drawing
    def columns(self) -> int:
        w = self._width() if callable(self._width) else self._width
        if w is None:
            try:
                w = os.get_terminal_size(self.stream.fileno()).columns
            except (AttributeError, OSError, ValueError):
                w = 0
            if w <= 0:  # not a terminal, or one that does not know its size (a bare pty says 0)
                env = os.environ.get("COLUMNS", "")
                w = int(env) if env.isdigit() else 80
        return max(int(w), 20)

    def line(self) -> str:
        """The live line: elapsed, status and time left, in fewer words when the terminal is narrow (the time
        left is what must survive), cut to its width as a last resort."""
        now = self.clock()
        head = f"[{now - self.t0:7.1f}s] "
        since = f" ({duration(now - self._since)} in this)" if now - self._since >= 2.0 else ""
        limit = self.columns() - 1  # the last column would wrap on many terminals
        text = head + status_text(self.current, self.eta, now) + since
        for activity, compact in ((False, False), (True, True), (False, True)):
            if len(text) <= limit:
                return text
            text = head + status_text(self.current, self.eta, now, activity, compact)
        return text if len(text) <= limit else text[:limit - 3] + "..."

    def _draw(self) -> None:
        if not self.live or self.current is None or self._stop.is_set():
            return
        text = self.line()
        # pad over what the previous line left on screen: no reliance on ANSI erase sequences
        self._write("\r" + text + " " * max(self._shown - len(text), 0))
        self._shown = len(text)

    def _clear(self) -> None:
        if self._shown:
            self._write("\r" + " " * self._shown + "\r")
            self._shown = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stream must not end the run
            pass

    def heartbeat(self) -> None:
        """What the background thread does every ``tick_s``: redraw the live line, or print ``still:`` when
        nothing was printed for ``heartbeat_s``."""
        with self._lock:
            if self.current is None or self._stop.is_set():
                return
            if self.live:
                self._draw()
                return
            now = self.clock()
            if now - self._last_line >= self.heartbeat_s:
                self._write(f"[{self.elapsed():7.1f}s] still: {status_text(self.current, self.eta, now)} "
                            f"({duration(now - self._since)} in this)\n")
                self._last_line = now

    def _tick(self, tick_s: float) -> None:
        while not self._stop.wait(tick_s):
            self.heartbeat()


class PlainStatus:
    """A plain ``progress(str)`` callable given the status API: messages pass through unchanged, a status becomes a
    sentence at most once per ``every_s`` s of wall time (with the estimated time left). No thread: the callable
    is only ever called from the run's own thread."""

    def __init__(self, say: Callable[[str], None], every_s: float = 5.0,
                 clock: Callable[[], float] = time.perf_counter):
        self.say, self.every_s, self.clock = say, every_s, clock
        self.eta = Eta()
        self._last = clock()

    def __call__(self, message: str) -> None:
        self.say(message)
        self._last = self.clock()

    def status(self, st: Status) -> None:
        now = self.clock()
        self.eta.update(st, now)
        if now - self._last >= self.every_s:
            self.say(status_text(st, self.eta, now))
            self._last = now


def reporter_of(progress: ProgressFn):
    """``progress`` with a ``status`` method: itself when it has one, a :class:`PlainStatus` around a plain
    callable, None for None."""
    if progress is None or hasattr(progress, "status"):
        return progress
    return PlainStatus(progress)


def finish(progress) -> None:
    """Tell ``progress`` the run is over when it wants to know (a :class:`Reporter` clears its live line)."""
    if progress is not None and hasattr(progress, "finish"):
        progress.finish()


def say(progress: ProgressFn, msg: str) -> None:
    """Pass the message ``msg`` to ``progress`` when there is one."""
    if progress is not None:
        progress(msg)


def status(progress, st: Status | None = None, **fields) -> Status | None:
    """Send ``st`` (or a new :class:`Status` of ``fields``; with both, ``st`` with ``fields`` replaced) to
    ``progress``'s status method when it has one; returns the status sent."""
    st = Status(**fields) if st is None else (replace(st, **fields) if fields else st)
    if progress is not None and hasattr(progress, "status"):
        progress.status(st)
    return st


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
