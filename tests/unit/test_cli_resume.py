"""``fcpkg run --resume DIR``: a process-history run stopped after a step continues from its checkpoint, with the
case read from the checkpoint, and ends with the numbers of an uninterrupted run (to round-off, see
tests/verification/test_process_history.py for why not bitwise)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from support.verification import laminate_case


def _case(tmp_path):
    c = laminate_case([("a", "silicon", 300), ("b", "emc", 300)], element="hex8i", mesh_size_mm=2.0,
                      min_elements_per_layer=1, size_mm=(6.0, 6.0), name="resume")
    c["load"] = {"stress_free_temperature": "25 degC", "steps": [
        {"kind": "ramp", "to": "175 degC", "rate": "5 K/s", "output": "end"},
        {"name": "cool", "kind": "ramp", "to": "-40 degC", "rate": "5 K/s", "births": ["layer.b"]}]}
    path = tmp_path / "resume.yaml"
    path.write_text(yaml.safe_dump(c, sort_keys=False))
    return path


def _fcpkg(*args, cwd):
    return subprocess.run([sys.executable, "-m", "fcpkg_fem", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_resume_from_the_folder_alone(tmp_path, monkeypatch):
    path = _case(tmp_path)
    full = _fcpkg("run", str(path), "--out", "full", "--quiet", cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    # a run stopped after the first step: the folder holds that step's checkpoint and no summary.json
    from fcpkg_fem import api
    from fcpkg_fem.solve import history

    def stop(self, regions, T_el=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(history.HistorySolver, "birth", stop)
    with pytest.raises(KeyboardInterrupt):
        api.run(api.load_case(path), out_dir=tmp_path / "cut")
    assert not (tmp_path / "cut" / "summary.json").exists()
    res = _fcpkg("run", "--resume", "cut", "--quiet", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    a = json.loads((tmp_path / "full" / "summary.json").read_text())
    b = json.loads((tmp_path / "cut" / "summary.json").read_text())
    assert [o["step"] for o in a["outputs"]] == [o["step"] for o in b["outputs"]]
    for oa, ob in zip(a["outputs"], b["outputs"]):
        for face in ("bottom", "top"):
            assert ob["warpage"][face]["signed_um"] == pytest.approx(oa["warpage"][face]["signed_um"], rel=1e-9,
                                                                     abs=1e-6)  # summary rounds to 1e-6 um


def test_resume_of_a_folder_without_checkpoint_is_bad_input(tmp_path):
    (tmp_path / "empty").mkdir()
    r = _fcpkg("run", "--resume", "empty", cwd=tmp_path)
    assert r.returncode == 2 and "--resume" in r.stderr and "Traceback" not in r.stderr
    r = _fcpkg("run", cwd=tmp_path)
    assert r.returncode == 2 and "CASE" in r.stderr
