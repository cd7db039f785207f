"""Local worker processes: what a batch's pool and a run's submodel pool share.

:class:`WorkerPool` runs tasks on worker processes started as ``python -m fcpkg_fem.run.workers``: a fresh
interpreter that imports only what the task needs. Unlike :mod:`multiprocessing`'s ``spawn``, it never imports the
caller's main module again, so ``api.run`` works from a script without an ``if __name__ == "__main__":`` guard,
from a notebook and from the command line alike (with ``spawn`` such a script would run itself again in every
worker). A task is a module-level function and its arguments, sent pickled through the worker's stdin; what the
worker says comes back as pickled frames on a private copy of its stdout (its own stdout, which gmsh and print
write to, is sent to stderr): ``("msg", text)``, ``("status", text)``, ``("done", result)``, ``("error", ...)``.

Workers end as soon as the process that started them is gone (:func:`die_with_parent`), ignore Ctrl-C (the parent
stops them), and their numerical libraries get one thread each (unless the user's environment sets them).
"""

from __future__ import annotations

import importlib
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from fcpkg_fem.errors import FcpkgError

EXIT_ORPHANED = 143  # a worker whose parent died ends as if terminated

#: the thread-pool sizes of the numerical libraries, read once when a process loads them
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def die_with_parent(parent: int, period_s: float = 0.5) -> None:
    """Worker initializer: end this worker as soon as the process that started it is gone.

    A parent killed by ``kill -9`` cannot tell its workers; they would finish their work and stay idle for ever,
    writing into folders that a rerun is about to use. Every ``period_s`` a daemon thread compares the worker's
    parent with ``parent``; once the worker has been handed to another parent it ends at once (its folder holds
    no summary.json, so a rerun runs that work again).
    """
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(period_s)
        os._exit(EXIT_ORPHANED)

    threading.Thread(target=watch, name="fcpkg-parent-watch", daemon=True).start()


def usable_cores() -> int:
    """The CPUs this process may run on (its affinity mask where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class WorkerError(FcpkgError):
    """A task failed in a worker with an error that is not an :class:`FcpkgError`: a bug (exit code 1, as an
    internal error); the message carries the worker's traceback."""


class WorkerDied(WorkerError):
    """A worker process ended while it had a task (killed, out of memory)."""


class WorkerPool:
    """``n`` worker processes; :meth:`submit` gives a free worker a task, :meth:`events` yields what they say.

    Args:
        n: processes (started at once).
        init: (module-level function, args) every worker runs first (e.g. to receive what every task shares).
        threads: the numerical libraries' threads per worker (each of :data:`THREAD_VARS` the user did not set).
    """

    def __init__(self, n: int, init: tuple | None = None, threads: int = 1):
        env = dict(os.environ)
        for v in THREAD_VARS:
            env.setdefault(v, str(threads))
        root = str(Path(__file__).resolve().parents[2])  # the folder holding this copy of fcpkg_fem
        env["PYTHONPATH"] = os.pathsep.join([root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        self.events_q: queue.Queue = queue.Queue()
        self.procs, self.busy = [], {}
        for k in range(n):  # all started before the first is written to: they import their modules meanwhile
            p = subprocess.Popen([sys.executable, "-m", "fcpkg_fem.run.workers", str(os.getpid())], env=env,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            self.procs.append(p)
            threading.Thread(target=self._read, args=(k, p), name=f"fcpkg-worker-{k}", daemon=True).start()
        if init is not None:
            blob = pickle.dumps(("init", init[0].__module__, init[0].__qualname__, init[1]),
                                protocol=pickle.HIGHEST_PROTOCOL)  # pickled once, sent to each
            for k in range(n):
                self._send(k, blob)

    def _send(self, k: int, frame: tuple | bytes) -> None:
        """Write a frame (or an already pickled one) to worker ``k``; blocks until the pipe has taken it."""
        try:
            blob = frame if isinstance(frame, bytes) else pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
            self.procs[k].stdin.write(blob)
            self.procs[k].stdin.flush()
        except (BrokenPipeError, OSError) as err:
            raise WorkerDied(f"worker process {self.procs[k].pid} is gone ({err})") from None

    def _read(self, k: int, p: subprocess.Popen) -> None:
        while True:
            try:
                frame = pickle.load(p.stdout)
            except Exception:  # noqa: BLE001 - EOF, a broken pipe or a frame that cannot be read: the worker is lost
                if p.poll() is None:
                    p.kill()
                self.events_q.put((k, ("gone", p.wait())))
                return
            self.events_q.put((k, frame))

    def free(self) -> list[int]:
        """The workers without a task."""
        return [k for k in range(len(self.procs)) if k not in self.busy]

    def submit(self, fn, arg, tag) -> int:
        """Give ``fn(arg)`` (``fn`` a module-level function) to a free worker; ``tag`` comes back with its
        events. Returns the worker's index."""
        k = self.free()[0]
        self.busy[k] = tag
        self._send(k, ("task", fn.__module__, fn.__qualname__, arg))
        return k

    def events(self, timeout: float):
        """Yield (tag, kind, payload) of the workers' frames until none came for ``timeout`` s. ``done`` and
        ``error`` free the worker; a worker that ends is raised as :class:`WorkerDied` (with its task's tag)."""
        while True:
            try:
                k, frame = self.events_q.get(timeout=timeout)
            except queue.Empty:
                return
            timeout = 0.0
            kind = frame[0]
            if kind == "gone":
                raise WorkerDied(f"a worker process ended with exit code {frame[1]} while running "
                                  f"{self.busy.get(k, 'no task')} (killed, or out of memory?)")
            tag = self.busy.pop(k) if kind in ("done", "error") else self.busy.get(k)
            yield tag, kind, frame[1:]

    def close(self) -> None:
        """End the workers (at once; a task under way is abandoned)."""
        for p in self.procs:
            try:
                p.stdin.close()
            except OSError:
                pass
            if p.poll() is None and self.busy:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def raise_remote(payload: tuple) -> None:
    """Raise a worker's ``error`` frame here: the task's own :class:`FcpkgError` as it was raised (an input,
    mesh or solver error keeps its exit code), anything else as a :class:`WorkerError` with the worker's
    traceback."""
    err, text = payload
    if isinstance(err, FcpkgError):
        raise err
    raise WorkerError(f"internal error in a worker process:\n{text}")


# ------------------------------------------------------------------------------------------------- worker side

class _Channel:
    """The worker's frames to its parent (one lock: a task's progress may come from several threads)."""

    def __init__(self, stream):
        self.stream, self.lock = stream, threading.Lock()

    def send(self, *frame) -> None:
        with self.lock:
            pickle.dump(frame, self.stream, protocol=pickle.HIGHEST_PROTOCOL)
            self.stream.flush()


CHANNEL: _Channel | None = None  # in a worker: where :func:`tell` sends


def tell(kind: str, text: str) -> None:
    """In a worker: send a message (``msg``) or a status text (``status``) to the parent."""
    if CHANNEL is not None:
        CHANNEL.send(kind, text)


def _call(kind: str, module: str, name: str, arg):
    """``init``: fn(*arg); ``task``: fn(arg); fn the module-level function ``module.name``."""
    fn = importlib.import_module(module)
    for part in name.split("."):
        fn = getattr(fn, part)
    return fn(*arg) if kind == "init" else fn(arg)


def serve(parent: int) -> None:
    """A worker's loop: run the init frame, then each task frame, answering ``done`` or ``error``, until its
    stdin closes."""
    global CHANNEL
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    die_with_parent(parent)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # print() and gmsh write to stderr: stdout carries the frames only
    sys.stdout = sys.stderr
    CHANNEL = _Channel(out)
    stdin = sys.stdin.buffer
    while True:
        try:
            kind, module, name, arg = pickle.load(stdin)
        except EOFError:
            return
        try:
            result = _call(kind, module, name, arg)
            if kind == "task":
                CHANNEL.send("done", result)
        except BaseException as err:  # noqa: BLE001 - every failure goes back to the parent
            text = traceback.format_exc()
            try:
                pickle.loads(pickle.dumps(err))  # the parent must be able to rebuild it, or its reader would fail
            except Exception:  # noqa: BLE001 - an exception that does not travel is sent as its text only
                err = None
            CHANNEL.send("error", err, text)


if __name__ == "__main__":  # run as ``python -m``: serve from the package's own module object (CHANNEL lives there)
    importlib.import_module("fcpkg_fem.run.workers").serve(int(sys.argv[1]))
