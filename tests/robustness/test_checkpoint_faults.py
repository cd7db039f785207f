"""A checkpoint is one unit: a run killed by SIGKILL at every write boundary of a checkpoint, or whose disk fills
while it writes one, resumes to the uninterrupted run's numbers; a checkpoint whose parts do not belong together
is refused with exit code 2 and the folder named. Never a different answer with exit 0.

The interruption is injected deterministically: a child process runs the case with the checkpoint writer's steps
wrapped, and kills itself (SIGKILL: no cleanup, no ``finally``) right after the n-th step of the second step's
checkpoint (the first step's checkpoint is then complete, so there is always something to resume from).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from support.compare import same_results
from support.verification import iso, laminate_case

from fcpkg_fem import api
from fcpkg_fem.errors import InputError
from fcpkg_fem.run import checkpoint, meshing

# The writer's steps, in order, for one step's checkpoint: the folder made, state.npz, fields.npz, record.json,
# the folder synced (complete, not yet renamed), renamed into place and synced, the previous step's folder removed.
BOUNDARIES = ["start", "state.npz", "fields.npz", "record.json", "complete", "renamed", "previous removed"]

KILLER = r"""
import os, signal, sys
from fcpkg_fem import api
from fcpkg_fem.run import checkpoint, history

case_path, out, boundary = sys.argv[1], sys.argv[2], int(sys.argv[3])
seen = [0]
armed = [False]

def mark():
    if armed[0]:
        seen[0] += 1
        if seen[0] == boundary:
            os.kill(os.getpid(), signal.SIGKILL)

def wrap(name):
    real = getattr(checkpoint, name)
    def f(*a, **k):
        r = real(*a, **k)
        mark()
        return r
    setattr(checkpoint, name, f)

for name in ("_write_npz", "atomic_write_text", "fsync_dir", "_remove_stale"):
    wrap(name)
real_save = history.save_checkpoint

def save(out_dir, case, step_index, *a, **k):
    armed[0] = step_index == 1
    if armed[0]:
        seen[0] = 0
        mark()  # boundary 1: before anything of this checkpoint is written
    return real_save(out_dir, case, step_index, *a, **k)

history.save_checkpoint = save
api.run(api.load_case(case_path), out_dir=out)
print("not killed")
"""


def _case(tmp_path: Path) -> Path:
    c = laminate_case([("a", "mA", 300), ("b", "mB", 200)], materials={"mA": iso(100, 0.3, 3), "mB": iso(20, 0.3, 20)},
                      element="hex8i", mesh_size_mm=2.0, min_elements_per_layer=1, size_mm=(6.0, 6.0), name="faults")
    c["load"] = {"stress_free_temperature": "25 degC", "steps": [
        {"name": "heat", "kind": "ramp", "to": "150 degC", "rate": "5 K/s", "output": "end"},
        {"name": "join", "kind": "ramp", "to": "25 degC", "rate": "5 K/s", "births": ["layer.b"]},
        {"name": "hot", "kind": "ramp", "to": "125 degC", "rate": "5 K/s"}]}
    c["output"] = {"vtu": False, "plots": False, "report": False, "csv": True}
    path = tmp_path / "faults.yaml"
    path.write_text(yaml.safe_dump(c, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("full")
    path = _case(tmp)
    return path, api.run(api.load_case(path), out_dir=tmp / "full")


@pytest.mark.parametrize("boundary", range(1, len(BOUNDARIES) + 1), ids=BOUNDARIES)
def test_sigkill_at_every_write_boundary_then_resume_gives_the_uninterrupted_run(tmp_path, uninterrupted, boundary):
    path, full = uninterrupted
    out = tmp_path / "cut"
    r = subprocess.run([sys.executable, "-c", KILLER, str(path), str(out), str(boundary)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == -9, r.stdout + r.stderr  # killed where injected, not finished
    assert not (out / "summary.json").exists()
    done = [k for k, _ in checkpoint.step_folders(out)]
    # before the rename only step 0 is complete; from the rename on, step 1 (and step 0 until it is removed)
    assert done[-1] == (1 if BOUNDARIES[boundary - 1] in ("renamed", "previous removed") else 0), done
    resumed = api.run(api.load_case(path), out_dir=out, resume=True)
    same_results(full.summary["outputs"], resumed.summary["outputs"])
    same_results(full.history, resumed.history)
    assert [k for k, _ in checkpoint.step_folders(out)] == [2]  # one complete step folder is kept


def test_a_disk_that_fills_while_a_checkpoint_is_written_then_frees(tmp_path, uninterrupted, monkeypatch):
    path, full = uninterrupted
    real = checkpoint._write_npz
    calls = []

    def full_disk(p, arrays):
        calls.append(p.name)
        if len(calls) == 4:  # fields.npz of the second step's checkpoint
            raise OSError(28, "No space left on device", str(p))
        return real(p, arrays)

    monkeypatch.setattr(checkpoint, "_write_npz", full_disk)
    with pytest.raises(OSError):
        api.run(api.load_case(path), out_dir=tmp_path / "cut")
    monkeypatch.setattr(checkpoint, "_write_npz", real)
    assert [k for k, _ in checkpoint.step_folders(tmp_path / "cut")] == [0]
    assert not any(p.name.startswith(".step-") for p in (tmp_path / "cut" / "checkpoint").iterdir())
    resumed = api.run(api.load_case(path), out_dir=tmp_path / "cut", resume=True)
    same_results(full.summary["outputs"], resumed.summary["outputs"])


def _interrupted(tmp_path: Path, path: Path) -> Path:
    """A run folder whose checkpoint holds steps 0 and 1 (stopped at the start of step 2)."""
    out = tmp_path / "cut"
    r = subprocess.run([sys.executable, "-c", KILLER.replace("step_index == 1", "step_index == 2"), str(path),
                        str(out), "1"], capture_output=True, text=True, timeout=300)
    assert r.returncode == -9, r.stderr
    return out


def _fcpkg_resume(folder: Path):
    return subprocess.run([sys.executable, "-m", "fcpkg_fem", "run", "--resume", str(folder), "--quiet"],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("damage, named", [
    ("fields", "fields.npz is not the file its record was written with"),
    ("state_missing", "state.npz is missing"),
    ("step_index", "its record names step 7"),
    ("record", "its record.json is unreadable"),
    ("format1", "checkpoint format 1"),
])
def test_a_checkpoint_whose_parts_do_not_belong_together_is_refused(tmp_path, uninterrupted, damage, named):
    path, _ = uninterrupted
    out = _interrupted(tmp_path, path)
    (_, folder), = checkpoint.step_folders(out)
    if damage == "fields":
        with open(folder / "fields.npz", "r+b") as fh:  # one byte of the arrays changed
            fh.seek(-100, 2)
            b = fh.read(1)
            fh.seek(-100, 2)
            fh.write(bytes([b[0] ^ 0xFF]))
    elif damage == "state_missing":
        (folder / "state.npz").unlink()
    elif damage == "step_index":
        meta = json.loads((folder / "record.json").read_text())
        meta["step_index"] = 7
        (folder / "record.json").write_text(json.dumps(meta))
    elif damage == "record":
        (folder / "record.json").write_text('{"version": 2, "outputs": [')
    elif damage == "format1":  # a run folder of an earlier version: the single-folder layout
        for p in folder.iterdir():
            p.rename(folder.parent / p.name)
        folder.rmdir()
        meta = json.loads((folder.parent / "record.json").read_text())
        meta["version"] = 1
        (folder.parent / "record.json").write_text(json.dumps(meta))
    r = _fcpkg_resume(out)
    assert r.returncode == 2, r.stderr
    assert "--resume" in r.stderr and named in r.stderr and "Traceback" not in r.stderr
    assert str(folder if damage != "format1" else folder.parent) in r.stderr.replace("\n", "")
    assert not (out / "summary.json").exists()


def test_a_fresh_run_into_a_folder_clears_an_earlier_runs_checkpoint(tmp_path, uninterrupted):
    """A rerun without --resume must never leave an earlier run's later steps for a resume to pick up."""
    path, full = uninterrupted
    out = _interrupted(tmp_path, path)
    assert [k for k, _ in checkpoint.step_folders(out)] == [1]
    r = subprocess.run([sys.executable, "-c", KILLER, str(path), str(out), "1"], capture_output=True, text=True,
                       timeout=300)  # a fresh run killed at the start of its step-1 checkpoint
    assert r.returncode == -9
    assert [k for k, _ in checkpoint.step_folders(out)] == [0]
    resumed = api.run(api.load_case(path), out_dir=out, resume=True)
    np.testing.assert_allclose([o["warpage"]["bottom"]["signed_um"] for o in resumed.summary["outputs"]],
                               [o["warpage"]["bottom"]["signed_um"] for o in full.summary["outputs"]], rtol=1e-12)


def test_a_fresh_run_keeps_only_its_own_footprint_beside_the_checkpoint(tmp_path):
    """checkpoint/mesh/ holds the footprint of the history it belongs to: a fresh run of another mesh into the same
    folder replaces the earlier case's footprint instead of adding to it (a resume keeps it: the test above)."""
    path = _case(tmp_path)
    out = tmp_path / "run"
    mesh_dir = checkpoint.checkpoint_mesh_dir(out)
    api.run(api.load_case(path), out_dir=out)
    (first,) = [f.name for f in mesh_dir.glob("footprint-*.npz")]
    case = api.load_case(path, overrides=["mesh.size=1.5 mm"])
    api.run(case, out_dir=out)
    assert [f.name for f in mesh_dir.glob("footprint-*.npz")] == [meshing.footprint_file(case)] != [first]


def _nudged_footprint(real):
    """A footprint mesher that moves one interior point by 1 um: the same counts, another mesh (as when gmsh does
    not repeat a footprint, docs/robustness.md)."""
    def mesher(*a, **k):
        fp = real(*a, **k)
        x0, y0, x1, y1 = a[0].domain
        p = fp.points.copy()
        inner = np.flatnonzero((p[:, 0] > x0) & (p[:, 0] < x1) & (p[:, 1] > y0) & (p[:, 1] < y1))
        p[inner[0], 0] += 1e-6
        return dataclasses.replace(fp, points=p)
    return mesher


def test_a_resume_sweeps_the_footprint_kept_with_the_checkpoint(tmp_path, uninterrupted, monkeypatch):
    """The footprint the run was swept from is kept in checkpoint/mesh/: the resume does not call the mesher (whose
    output gmsh does not always repeat) and gives the uninterrupted numbers."""
    path, full = uninterrupted
    out = _interrupted(tmp_path, path)
    assert len(list(checkpoint.checkpoint_mesh_dir(out).glob("footprint-*.npz"))) == 1
    monkeypatch.setattr(meshing, "mesh_footprint", lambda *a, **k: pytest.fail("the resume meshed the footprint"))
    resumed = api.run(api.load_case(path), out_dir=out, resume=True)
    same_results(full.summary["outputs"], resumed.summary["outputs"])
    same_results(full.history, resumed.history)


def test_a_resume_on_another_mesh_is_refused(tmp_path, uninterrupted, monkeypatch):
    """Without the kept footprint the resume meshes again; a mesh that differs from the checkpoint's in one point
    by 1 um (same node and element counts, so the state arrays would fit) is refused, naming the cause, and
    nothing is written."""
    path, _ = uninterrupted
    out = _interrupted(tmp_path, path)
    shutil.rmtree(checkpoint.checkpoint_mesh_dir(out))
    monkeypatch.setattr(meshing, "mesh_footprint", _nudged_footprint(meshing.mesh_footprint))
    with pytest.raises(InputError) as exc:
        api.run(api.load_case(path), out_dir=out, resume=True)
    msg = exc.value.problems[0].message
    assert exc.value.problems[0].field == "--resume" and "meshes differently" in msg and "mesh" in msg, msg
    assert not (out / "summary.json").exists()
    assert [k for k, _ in checkpoint.step_folders(out)] == [1]  # the checkpoint is left as it was
