"""A run killed with SIGKILL at any moment leaves only complete files; a rerun gives the same numbers (issue 6,
items 4 and acceptance 3).

Specified (docs/robustness.md, fcpkg_fem/io/atomic.py): every output is written to a temporary name
(``.<name>.tmp-<pid>-<hex><suffix>``) and renamed into place, and ``summary.json`` is written last. So after a
``kill -9`` at any moment every file of the run folder (temporary names aside) parses, ``summary.json`` is either
absent or complete (every file it lists exists), and rerunning into the same folder completes with the numbers of
an uninterrupted run and leaves no temporary file behind. The kill moments are drawn from a seeded generator:
uniformly over the run, and shortly after the run says it is writing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from support.robust import ROOT, laminate, write_case

from fcpkg_fem.io.atomic import is_temp_name

PNG_HEAD = b"\x89PNG\r\n\x1a\n"
PNG_TAIL = b"IEND\xaeB`\x82"  # the IEND chunk and its CRC end every PNG


def _case(tmp_path: Path) -> Path:
    raw = laminate()
    raw["mesh"]["size"] = "0.5 mm"
    raw["load"]["temperatures"] = ["125 degC", "-40 degC"]  # two of every per-output file
    return write_case(raw, tmp_path / "case.yaml")


def _start(case: Path, out: Path, cache: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "fcpkg_fem", "run", str(case), "--out", str(out),
                             "--mesh-cache", str(cache)], cwd=case.parent, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _parse(path: Path) -> None:
    """Parse ``path`` by its kind; raises if it is not a complete file of that kind."""
    data = path.read_bytes()
    suffix = path.suffix
    if path.name == ".fcpkg.lock":  # the run folder's lock (docs/robustness.md): empty or its owner's host:pid
        assert data == b"" or re.fullmatch(rb"[^:\n]+:\d+\n", data), data
    elif suffix == ".json":
        json.loads(data)
    elif suffix == ".csv":
        rows = list(csv.reader(io.StringIO(data.decode())))
        assert rows and all(len(r) == len(rows[0]) for r in rows), path
    elif suffix == ".vtu":
        import meshio

        m = meshio.read(path)
        assert len(m.points) and len(m.cells[0].data)
    elif suffix == ".pvd":
        ET.fromstring(data)
    elif suffix == ".png":
        assert data.startswith(PNG_HEAD) and data.endswith(PNG_TAIL), path
    elif suffix == ".html":
        assert data.rstrip().endswith(b"</html>"), path
    elif suffix == ".npz":
        with np.load(path) as d:
            assert d["quads"].shape[1] == 4
    else:
        raise AssertionError(f"unexpected file {path}")


def check_folder(out: Path, cache: Path, n_outputs: int) -> list[str]:
    """Every non-temporary file parses; summary.json is absent or complete. Returns the temporary names seen."""
    temps = []
    for folder in (out, cache):
        for path in sorted(folder.glob("*")) if folder.exists() else []:
            if is_temp_name(path.name):
                temps.append(path.name)
                continue
            _parse(path)
    summary = out / "summary.json"
    if summary.exists():
        s = json.loads(summary.read_text())
        assert len(s["outputs"]) == n_outputs
        for rel in (p for paths in s["files"].values() for p in paths):
            assert (out / rel).is_file(), rel
    return temps


def _numbers(summary: dict) -> dict:
    """The results of a summary (everything but timing, memory and the file list)."""
    return {k: v for k, v in summary.items() if k not in ("timing_s", "peak_memory_MB", "files")}


def _kill_and_rerun(tmp_path: Path, seed: int, kills: int) -> None:
    from fcpkg_fem import api

    case = _case(tmp_path)
    out, cache = tmp_path / "killed", tmp_path / "cache"
    # the uninterrupted numbers, in-process (what summary.json holds, bar timing and the file list)
    t0 = time.perf_counter()
    reference = api.run(api.load_case(case), write=False, source=str(case)).summary
    duration = 1.0 + 1.5 * (time.perf_counter() - t0)  # the command also starts Python and writes the files

    rng = random.Random(seed)
    for k in range(kills):
        p = _start(case, out, cache)
        if k % 2 == 0:  # any moment of the run
            time.sleep(rng.uniform(0.0, duration))
        else:  # while it writes: after its "writing results" line
            for line in p.stderr:
                if "writing results" in line:
                    break
            time.sleep(rng.uniform(0.0, 1.0))
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
        p.stderr.close()
        check_folder(out, cache, len(reference["outputs"]))

    p = _start(case, out, cache)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert check_folder(out, cache, len(reference["outputs"])) == []  # the rerun cleaned the killed runs' temps
    rerun = json.loads((out / "summary.json").read_text())
    # the same code on the same mesh with a direct solver: equal to round-off (1e-12 relative)
    assert _close(_numbers(reference), _numbers(rerun))
    assert sorted(rerun["files"]) == ["csv", "plots", "report", "summary", "vtu"]


def _close(a, b, rel=1e-12) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rel) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y, rel) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)
    return a == b


def test_sigkill_at_random_moments_leaves_complete_files_and_rerun_matches(tmp_path):
    _kill_and_rerun(tmp_path, seed=6, kills=3)


@pytest.mark.slow
def test_sigkill_many_moments(tmp_path):
    _kill_and_rerun(tmp_path, seed=2026, kills=12)
