"""The worker processes of a run's submodels (fcpkg_fem/run/workers.py, docs/submodel.md "Several at once").

What is specified: a task's result comes back as it was computed; a task's own error comes back as that error
(an InputError keeps its field and exit code), any other error as a WorkerError carrying the worker's traceback;
a worker that dies is a WorkerDied naming the task, not a hang; a worker never runs the caller's main module
(a script without an ``if __name__ == "__main__":`` guard); the numerical libraries get one thread each unless
the user set them; workers end when their parent is gone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from support.coarse import COARSE_MESH, coarse_pattern

from fcpkg_fem import api
from fcpkg_fem.case import load_case
from fcpkg_fem.errors import InputError
from fcpkg_fem.mesh.remesh import LocalMesh
from fcpkg_fem.mesh.submesh import Refinement, joint_box, refined_size
from fcpkg_fem.run.preflight import memory_model
from fcpkg_fem.run.submodel import CaseBoxes, local_solver
from fcpkg_fem.run.submodel_pool import pool_size
from fcpkg_fem.run.workers import WorkerDied, WorkerError, WorkerPool, raise_remote, usable_cores

ROOT = Path(__file__).resolve().parents[2]


def _events(pool, until: int, timeout: float = 60.0) -> list:
    """Every (tag, kind, payload) until ``until`` tasks are done or failed."""
    got, t0 = [], time.monotonic()
    while sum(k in ("done", "error") for _, k, _ in got) < until:
        assert time.monotonic() - t0 < timeout, got
        got += list(pool.events(timeout=0.5))
    return got


def test_results_come_back_tagged_and_a_free_worker_takes_the_next_task():
    pool = WorkerPool(2)
    try:
        pool.submit(sorted, [3, 1, 2], "a")
        pool.submit(os.getenv, "MKL_NUM_THREADS", "b")  # in the worker's environment
        assert pool.free() == []
        got = {tag: p[0] for tag, kind, p in _events(pool, 2) if kind == "done"}
        assert pool.free() == [0, 1]
        pool.submit(len, "four", "c")
        got.update({tag: p[0] for tag, kind, p in _events(pool, 1) if kind == "done"})
    finally:
        pool.close()
    assert got["a"] == [1, 2, 3] and got["c"] == 4
    assert got["b"] == os.environ.get("MKL_NUM_THREADS", "1")  # one thread unless the user set it


def test_a_task_error_comes_back_as_itself_or_with_its_traceback():
    pool = WorkerPool(1)
    try:
        pool.submit(int, "not a number", "bad")
        (tag, kind, payload), = [e for e in _events(pool, 1) if e[1] == "error"]
        assert tag == "bad"
        with pytest.raises(WorkerError, match=r"(?s)internal error in a worker process.*ValueError.*not a number"):
            raise_remote(payload)
        pool.submit(load_case, "name: x\nmesh: {sise: 1 mm}\n", "case")  # an invalid case: InputError
        (_, kind, payload), = [e for e in _events(pool, 1) if e[1] in ("done", "error")]
        assert kind == "error"
        with pytest.raises(InputError) as caught:
            raise_remote(payload)
    finally:
        pool.close()
    assert caught.value.exit_code == 2 and "mesh.sise" in [p.field for p in caught.value.problems]


def test_a_worker_that_dies_is_an_error_naming_its_task_not_a_hang():
    pool = WorkerPool(1)
    try:
        pool.submit(os._exit, 9, "submodels/bumps.die1-5")
        with pytest.raises(WorkerDied, match=r"exit code 9 while running submodels/bumps.die1-5"):
            _events(pool, 1, timeout=60)
    finally:
        pool.close()


def test_a_script_without_a_main_guard_is_not_run_again_in_the_workers(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent("""
        from fcpkg_fem.run.workers import WorkerPool
        print("script body ran")
        pool = WorkerPool(2)
        pool.submit(abs, -5, "x")
        pool.submit(abs, -6, "y")
        done = []
        while len(done) < 2:
            done += [p[0] for _, k, p in pool.events(timeout=0.5) if k == "done"]
        pool.close()
        print(sorted(done))
    """))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["script body ran", "[5, 6]"]  # once, in the parent only


def test_workers_end_when_their_parent_is_killed(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent("""
        import sys, time
        from fcpkg_fem.run.workers import WorkerPool
        pool = WorkerPool(1)
        pool.submit(time.sleep, 600, "long")
        print(pool.procs[0].pid, flush=True)
        time.sleep(600)
    """))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        worker = int(parent.stdout.readline())
        parent.kill()
        parent.wait(timeout=30)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 30:
            try:
                os.kill(worker, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"worker {worker} still alive 30 s after its parent was killed")
    finally:
        parent.kill()


@pytest.mark.parametrize("jobs", [0, -2, 1.5, True, "2"])
def test_api_run_refuses_a_bad_jobs_count_before_anything_is_written(tmp_path, jobs):
    case = api.load_case(ROOT / "cases" / "laminate_bimetal.yaml")
    with pytest.raises(InputError) as caught:
        api.run(case, out_dir=tmp_path / "run", jobs=jobs)
    assert caught.value.problems[0].field == "jobs"
    assert not (tmp_path / "run").exists()


def test_the_submodel_pool_is_as_large_as_cores_submodels_and_memory_allow(monkeypatch):
    """``pool_size``: ``jobs`` when given (at most one per submodel); else min(usable cores, submodels), lowered to
    what the memory budget holds at the largest local model's estimated peak (a whole worker process); without a
    size to estimate from (a box meshed afresh whose memory check did not run), cores and submodels only."""
    path = ROOT / "cases" / "reference_reflow.yaml"
    case = api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path)))
    pm = api.mesh_case(case)
    refine = Refinement(2, 1, 4, 25.4e-6)
    boxes = CaseBoxes(refine, 1.0, [], [], None, 0.0, 0, 0)
    chosen = [{"region": "bumps.die1", "id": 7}, {"region": "bumps.die1", "id": 6}]
    dofs = 3 * max(refined_size(pm, joint_box(pm, c["region"], c["id"]), refine)[1] for c in chosen)
    per = memory_model(dofs, case.mesh.element, local_solver(case, dofs))
    both = min(usable_cores(), 2)
    monkeypatch.setenv("FCPKG_MEMORY_LIMIT", str(int(1.5 * per)))
    n, why = pool_size(case, pm, boxes, chosen, None)
    assert n == 1 and (both == 1 or "per local model" in why), why
    assert pool_size(case, pm, boxes, chosen, 5) == (2, "jobs 5")
    assert pool_size(case, pm, boxes, chosen[:1], 3)[0] == 1
    monkeypatch.setenv("FCPKG_MEMORY_LIMIT", str(int(10 * per)))
    assert pool_size(case, pm, boxes, chosen, None)[0] == both
    afresh = CaseBoxes(LocalMesh(20e-6, 400e-6, 2), 1.0, [], [], None, 0.0, 0, 0)
    monkeypatch.setenv("FCPKG_MEMORY_LIMIT", "1 MB")
    assert pool_size(case, pm, afresh, chosen, None)[0] == both  # no local_nodes measured: no estimate to limit by
