"""A batch leaves no orphans and never runs a case twice at once: pool workers end within a second of their batch
process being killed (``kill -9``), and a run folder being written by a live process is left alone by a rerun."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from support.robust import ROOT, laminate

from fcpkg_fem.batch import run_batch
from fcpkg_fem.io.lock import LOCK_NAME, folder_lock


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")  # a zombie is gone


def _sweep(tmp_path: Path, n: int, size_mm: str) -> Path:
    base = laminate()
    base["mesh"]["size"] = size_mm
    (tmp_path / "lam.yaml").write_text(yaml.safe_dump(base, sort_keys=False))
    sweep = {"sweep": 1, "name": "orphans", "base": "lam.yaml",
             "axes": {"load.stress_free_temperature": {"values": [f"{20 + k} degC" for k in range(n)]}}}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep, sort_keys=False))
    return path


def test_workers_end_with_their_killed_batch_process(tmp_path):
    sweep = _sweep(tmp_path, 4, "0.25 mm")  # cases of several seconds each
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, "-m", "fcpkg_fem", "batch", str(sweep), "--out", "b", "--workers",
                               "2"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    owners: set[int] = set()
    while len(owners) < 2 and time.monotonic() < deadline and parent.poll() is None:
        for lock in (tmp_path / "b").glob(f"*/{LOCK_NAME}"):
            text = lock.read_text().strip()
            if text:
                owners.add(int(text.rsplit(":", 1)[1]))
        time.sleep(0.05)
    assert parent.poll() is None and len(owners) == 2, "the workers never started writing"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in owners) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in owners), f"orphaned workers still alive: {owners}"


def test_a_folder_being_written_by_a_live_process_is_not_run_twice(tmp_path):
    sweep = _sweep(tmp_path, 2, "1 mm")
    first = run_batch(sweep, tmp_path / "b", workers=1)
    assert first.ok
    busy = tmp_path / "b" / first.rows[0]["folder"]
    (busy / "summary.json").unlink()  # unfinished, as if its writer were still at work
    code = ("import sys, time; from fcpkg_fem.io.lock import folder_lock\n"
            "with folder_lock(sys.argv[1]):\n    print('locked', flush=True); time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(busy)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "locked"
        again = run_batch(sweep, tmp_path / "b", workers=1)
        rec = again.records[busy.name]
        assert rec["status"] == "busy" and f":{holder.pid}" in rec["error"] and "another fcpkg run" in rec["error"]
        assert not (busy / "failure.json").exists() and not (busy / "summary.json").exists()
        assert {r["folder"]: r["status"] for r in again.rows}[busy.name] == "pending"
    finally:
        holder.kill()
        holder.wait()
    with folder_lock(busy):  # released with its holder (kill -9 included): never a stale lock
        pass
