"""Faults of the machine, not of the case, are named: the path, what happened, what to do, and a documented exit
code (docs/exit_codes.md: 7 for a file the machine refuses, 143 for SIGTERM), never "internal error".

A read-only or full folder is made by injection (the tests run as root, for whom permission bits do not stop a
write, and mounting a small file system needs privileges CI may not have): the write probe or a writer gets the
OSError the kernel would give.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from support.robust import ROOT, fcpkg, laminate, write_case
from support.verification import iso, laminate_case

from fcpkg_fem.cli import main as cli_main
from fcpkg_fem.run import checkpoint, preflight


def test_out_naming_an_existing_file_is_bad_input_before_anything_runs(tmp_path):
    case = write_case(laminate(), tmp_path / "lam.yaml")
    (tmp_path / "taken").write_text("not a folder")
    r = fcpkg("run", case, "--out", "taken", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "--out" in r.stderr and "'taken' is a file, not a folder" in r.stderr and "Traceback" not in r.stderr
    assert (tmp_path / "taken").read_text() == "not a folder"


@pytest.mark.parametrize("code, hint", [(errno.EROFS, "read-only"), (errno.EACCES, "permission denied"),
                                        (errno.ENOSPC, "the disk is full")])
def test_an_unwritable_output_folder_is_found_before_the_solve(tmp_path, monkeypatch, capsys, code, hint):
    case = write_case(laminate(), tmp_path / "lam.yaml")
    solved = []
    monkeypatch.setattr("fcpkg_fem.run.pipeline.mesh_case", lambda *a, **k: solved.append(1))

    def refused(path, mode="r", *a, **k):
        raise OSError(code, __import__("os").strerror(code), str(path))

    monkeypatch.setattr(preflight, "open", refused, raising=False)  # the probe's write, as the kernel refuses it
    monkeypatch.chdir(tmp_path)
    rc = cli_main.main(["run", str(case), "--out", "out", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 7 and not solved, err
    assert "cannot write out" in err and hint in err and "--out" in err and "internal error" not in err


def test_a_disk_that_fills_while_results_are_written_names_the_file(tmp_path, monkeypatch, capsys):
    case = write_case(laminate(), tmp_path / "lam.yaml")
    from fcpkg_fem.io import atomic

    real = atomic._fsync_file

    def full(tmp):  # the kernel reports a full disk when the temporary history.csv is synced
        if ".history.csv.tmp-" in str(tmp):
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
        return real(tmp)

    monkeypatch.setattr(atomic, "_fsync_file", full)
    monkeypatch.chdir(tmp_path)
    rc = cli_main.main(["run", str(case), "--out", "out", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 7, err
    assert "history.csv" in err and "the disk is full" in err and "internal error" not in err
    assert not (tmp_path / "out" / "summary.json").exists()  # an incomplete run is never marked complete


def test_an_atomic_write_into_a_full_disk_names_its_target(tmp_path, monkeypatch):
    from fcpkg_fem.errors import StorageError
    from fcpkg_fem.io import atomic

    monkeypatch.setattr(atomic, "_fsync_file", lambda p: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    with pytest.raises(StorageError) as exc:
        atomic.atomic_write_text(tmp_path / "summary.json", "{}")
    assert str(tmp_path / "summary.json") in str(exc.value) and exc.value.exit_code == 7
    assert list(tmp_path.iterdir()) == []  # no temporary file left, no target


def test_an_unwritable_mesh_cache_costs_only_the_cache(tmp_path):
    """The cache saves time and nothing else: a cache 'folder' that is a file is reported and the run completes."""
    case = write_case(laminate(), tmp_path / "lam.yaml")
    (tmp_path / "cachefile").write_text("x")
    r = fcpkg("run", case, "--out", "out", "--mesh-cache", "cachefile", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "warning: mesh cache not written" in r.stderr and "cachefile" in r.stderr
    assert (tmp_path / "out" / "summary.json").exists()


def test_a_killed_writers_temporary_file_in_the_mesh_cache_is_removed_by_the_next_run_that_hits_it(tmp_path):
    """A run killed while writing the cache leaves ``.footprint-<key>.npz.tmp-<pid>-<hex>.npz``; the next run that
    finds the complete entry (written by another run) reads it and removes the dead writer's file, and leaves a
    live writer's (this process's) alone. The kill test (test_sigkill.py) met the first case by chance."""
    from fcpkg_fem import api

    case = api.load_case(write_case(laminate(), tmp_path / "case.yaml"))
    cache = tmp_path / "cache"
    api.mesh_case(case, cache_dir=cache)
    (entry,) = cache.glob("footprint-*.npz")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process id that has just ended
    stale = cache / f".{entry.name}.tmp-{dead.pid}-0123abcd.npz"
    live = cache / f".{entry.name}.tmp-{os.getpid()}-4567cdef.npz"
    for p in (stale, live):
        p.write_bytes(b"half a footprint")
    api.mesh_case(case, cache_dir=cache)
    assert not stale.exists() and live.exists()
    assert sorted(p.name for p in cache.iterdir()) == sorted([entry.name, live.name])


def _history_case(tmp_path):
    c = laminate_case([("a", "mA", 300), ("b", "mB", 200)], materials={"mA": iso(100, 0.3, 3), "mB": iso(20, 0.3, 20)},
                      element="hex8i", mesh_size_mm=2.0, min_elements_per_layer=1, size_mm=(6.0, 6.0), name="term")
    c["load"] = {"stress_free_temperature": "25 degC", "steps": [
        {"name": "heat", "kind": "ramp", "to": "26 degC", "rate": "1 K/s", "output": "end"},
        {"name": "slow", "kind": "ramp", "to": "150 degC", "rate": "1 K/s", "births": ["layer.b"]}]}
    c["solver"]["max_temperature_increment"] = "0.05 K"  # 20 increments, then 2,480: time to be terminated in
    c["output"] = {"vtu": False, "plots": False, "report": False, "csv": True}
    return write_case(c, tmp_path / "term.yaml")


def test_sigterm_ends_a_run_like_ctrl_c_and_keeps_its_checkpoint(tmp_path):
    case = _history_case(tmp_path)
    env = {"PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "fcpkg_fem", "run", str(case), "--out", "out"], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**__import__("os").environ, **env})
    deadline = time.monotonic() + 120
    while not checkpoint.step_folders(tmp_path / "out") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert checkpoint.step_folders(tmp_path / "out"), "the first step never completed"
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 143, err
    assert "terminated (SIGTERM)" in err and "Traceback" not in err and "internal error" not in err
    assert [k for k, _ in checkpoint.step_folders(tmp_path / "out")] == [0]
    assert not (tmp_path / "out" / "summary.json").exists()
    meta = json.loads((checkpoint.step_folders(tmp_path / "out")[0][1] / "record.json").read_text())
    assert meta["step_index"] == 0
