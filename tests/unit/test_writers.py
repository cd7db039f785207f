"""Writers (fcpkg_fem.io): every file a run writes is read back and compared with the RunResult it came from."""

from __future__ import annotations

import copy
import csv
import json
import math
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import meshio
import numpy as np
import pytest

from fcpkg_fem.io import WRITERS, atomic_path, atomic_write_text, clean_stale_temps, summary_json, write_all
import fcpkg_fem.io.vtu
from fcpkg_fem.io import writers as writers_mod
from fcpkg_fem.io.atomic import is_temp_name, temp_name
from support.results import REGIONS, make_result

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Write everything once (plots are the slow part) and share the folder between read-back tests."""
    out = tmp_path_factory.mktemp("run") / "nested" / "out"
    result = make_result()
    expected = copy.deepcopy(result.summary)
    files = write_all(result, out)
    return result, expected, out, files


# ---------------------------------------------------------------------------------------------------- summary.json


def test_summary_round_trips_numbers_exactly(written):
    result, expected, out, _ = written
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    files = data.pop("files")
    timing = data.pop("timing_s")
    exp = dict(expected)
    exp_timing = exp.pop("timing_s")
    assert data == exp  # exact equality of every number, floats included
    assert list(data) == [k for k in expected if k != "timing_s"]  # key order as built
    assert data["outputs"][0]["warpage"]["bottom"]["signed_um"] == 12.345678901234567
    # write time recorded, total adjusted by the same amount
    assert timing["write"] > 0.0
    assert math.isclose(timing["total"], exp_timing["total"] + timing["write"])
    assert files == result.summary["files"]


def test_summary_files_lists_every_written_file(written):
    _, _, out, files = written
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(data["files"]) == set(WRITERS) == set(files)
    for name, paths in files.items():
        assert data["files"][name] == [p.relative_to(out).as_posix() for p in paths]
        for p in paths:
            assert p.is_file() and p.stat().st_size > 0
    listed = {p for v in data["files"].values() for p in v}
    on_disk = {p.name for p in out.iterdir()}
    assert listed == on_disk  # nothing unlisted, no temp files left


def test_summary_refuses_nan_and_infinity():
    for bad in (float("nan"), float("inf"), np.float64("-inf")):
        s = {"outputs": [{"warpage": {"bottom": {"signed_um": bad}}}]}
        with pytest.raises(ValueError, match=r"signed_um"):
            summary_json(s)


def test_summary_json_layout():
    text = summary_json({"b": 1, "a": {"z": 0.1, "y": [1, 2]}, "n": np.float32(0.5)})
    assert text.startswith('{\n  "b": 1,\n  "a": {\n    "z": 0.1')  # indent 2, order as built
    assert json.loads(text)["n"] == 0.5


# ------------------------------------------------------------------------------------------------------------ CSV


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames), list(reader)


def test_history_csv_equals_history_rows(written):
    result, _, out, _ = written
    header, rows = _read_csv(out / "history.csv")
    keys = sorted({k for r in result.history for k in r} - {"index"})
    assert header == ["index", *keys]
    assert len(rows) == len(result.history)
    for got, want in zip(rows, result.history):
        for k in header:
            if k in want:
                assert float(got[k]) == want[k], k  # exact: floats are written with repr
            else:
                assert got[k] == ""


def test_bumps_and_vias_csv(written):
    result, _, out, _ = written
    for section, fname in (("bumps", "bumps.csv"), ("vias", "vias.csv")):
        header, rows = _read_csv(out / fname)
        assert header[:8] == ["index", "time_s", "temperature_C", "region", "critical", "id", "x_mm", "y_mm"]
        want = [(o["index"], region, it, t["critical"]["id"])
                for o in result.outputs for region, t in o[section].items() for it in t["items"]]
        assert len(rows) == len(want)
        for got, (idx, region, it, crit) in zip(rows, want):
            assert int(got["index"]) == idx and got["region"] == region
            assert int(got["critical"]) == int(it["id"] == crit)
            for k, v in it.items():
                assert float(got[k]) == v
        if section == "vias":
            assert "axial_strain" in header


def test_csv_without_item_tables(tmp_path):
    result = make_result(with_items=False)
    files = write_all(result, tmp_path, names=["csv"])
    assert [p.name for p in files["csv"]] == ["history.csv"]
    assert not (tmp_path / "bumps.csv").exists() and not (tmp_path / "summary.json").exists()


# ------------------------------------------------------------------------------------------------------------ VTU


def test_vtu_round_trip(written):
    result, _, out, files = written
    vtus = [p for p in files["vtu"] if p.suffix == ".vtu"]
    assert [p.name for p in vtus] == ["fields_0.vtu", "fields_1.vtu"]
    for path, fs in zip(vtus, result.fields):
        m = meshio.read(path)
        np.testing.assert_allclose(m.points, result.points, rtol=0, atol=0)
        assert len(m.cells) == 1 and m.cells[0].type == "hexahedron"
        np.testing.assert_array_equal(m.cells[0].data, result.cells)
        for name, arr in fs.point_data.items():
            np.testing.assert_allclose(m.point_data[name], arr, rtol=1e-15)
        for name, arr in fs.cell_data.items():
            np.testing.assert_allclose(m.cell_data[name][0], arr, rtol=1e-15)
        region = m.cell_data["region"][0]
        assert np.issubdtype(region.dtype, np.integer)
        np.testing.assert_array_equal(region, result.cell_region)
    assert json.loads((out / "regions.json").read_text()) == {"0": REGIONS[0], "1": REGIONS[1], "2": REGIONS[2]}


def test_pvd_lists_every_vtu_with_time(written):
    result, _, out, files = written
    root = ET.parse(out / "fields.pvd").getroot()
    assert root.get("type") == "Collection"
    ds = root.findall("./Collection/DataSet")
    assert [d.get("file") for d in ds] == [p.name for p in files["vtu"] if p.suffix == ".vtu"]
    assert [float(d.get("timestep")) for d in ds] == [o["time_s"] for o in result.outputs]


def test_pvd_timestep_falls_back_to_index(tmp_path):
    result = make_result(with_items=False, time_s=(None, None))
    for o in result.outputs:
        o["index"] += 5
    write_all(result, tmp_path, names=["vtu"])
    ds = ET.parse(tmp_path / "fields.pvd").getroot().findall("./Collection/DataSet")
    assert [(d.get("file"), float(d.get("timestep"))) for d in ds] == [("fields_5.vtu", 5.0), ("fields_6.vtu", 6.0)]


# ------------------------------------------------------------------------------------------------- plots, report


def test_pngs(written):
    _, _, out, files = written
    names = [p.name for p in files["plots"]]
    assert names[0] == "warpage_vs_temperature.png"
    # largest |signed| is output 1 for both faces, which is also the last output
    assert set(names[1:]) == {"warpage_bottom_1.png", "warpage_top_1.png"}
    for p in files["plots"]:
        assert p.read_bytes()[:8] == PNG_SIGNATURE


def test_map_selection_picks_largest_and_last():
    from fcpkg_fem.io.plots import map_selection

    result = make_result(with_items=False)
    result.outputs[0]["warpage"]["bottom"]["signed_um"] = -99.0  # largest at output 0 now
    assert map_selection(result) == [("bottom", 0), ("bottom", 1), ("top", 1)]


def test_report_contains_case_and_numbers(written):
    result, _, out, _ = written
    text = (out / "report.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "bowl-test-case" in text
    for o in result.outputs:
        for face in ("bottom", "top"):
            w = o["warpage"][face]
            assert format(w["signed_um"], "+.4g") in text
            assert w["shape"] in text
    assert "42.12" in text  # encapsulant von Mises
    assert "chip.die1|adhesive" in text and "bumps.die1" in text
    assert text.count("data:image/png;base64,") == 3  # self-contained
    assert 'src="warpage' not in text
    for name in ("summary.json", "history.csv", "fields.pvd", "report.html"):
        assert f'href="{name}"' in text


def test_report_shows_process_steps_and_life_with_sources():
    """A process history's steps and the cycling life of the critical joints reach the report, each estimate with
    its source and assumptions next to the number; a run without them has neither section."""
    from fcpkg_fem.io.report import report_html

    result = make_result(with_items=False)
    assert "Fatigue life" not in report_html(result) and "Process history" not in report_html(result)
    result.summary["process"] = {
        "newton": {"increments": 444, "iterations_total": 1201, "iterations_max": 11, "cutbacks": 0},
        "steps": [{"name": "join_cool", "kind": "ramp", "t_start_s": 192.0, "t_end_s": 384.0, "increments": 20,
                   "births": ["bumps.die1"], "phase_changes": [], "violations": []},
                  {"name": "reflow", "kind": "reflow", "t_start_s": 21238.0, "t_end_s": 22183.0, "increments": 159,
                   "births": [], "phase_changes": [{"region": "top_balls", "change": "melted"}], "violations": []}]}
    result.summary["life"] = {"note": "derived figures", "steps": {"cycling": {"bumps.die1": {
        "critical": {"id": 76, "x_mm": 3.8, "y_mm": 3.85, "interface": "upper", "layer_thickness_um": 60.0,
                     "dW_layer_per_cycle_MJ_m3": [0.0665, 0.0622], "dW_change_last_cycle": 0.0622 / 0.0665 - 1,
                     "d_eq_inelastic_strain": 0.00283},
        "estimates": {"darveaux": {"cycles": 1414.04, "formula": "N0 = K1 dW^K2", "source": "Darveaux ECTC 2000",
                                   "assumptions": ["SnPb constants", "25.4 um layer"]},
                      "engelmaier": {"cycles": 72194.0, "formula": "Coffin-Manson", "source": "Engelmaier 1983",
                                     "assumptions": ["eutectic SnPb"], "note": "delta_gamma = sqrt(3) x d_eq"}},
        "not_estimated": {"syed": "no constants fitted for this solder could be read"}}}}}
    text = report_html(result)
    assert "<h2>Process history</h2>" in text and "<h2>Fatigue life of the critical joints</h2>" in text
    assert "reflow" in text and "159" in text and "top_balls melted" in text and "1,201" in text
    assert "0.0665 / 0.0622" in text and "-6.5" in text and "1414" in text and "7.219e+04" in text
    assert "Darveaux ECTC 2000" in text and "SnPb constants; 25.4 um layer" in text and "sqrt(3) x d_eq" in text
    # a model left out says so in its cell and why in the notes, never a blank
    assert "<td class=\"n\">not estimated</td>" in text
    assert "syed</b>: not estimated: no constants fitted for this solder could be read" in text


def test_laminate_with_only_warpage(tmp_path):
    """Optional sections absent: no regions, no interfaces, no items, no faces, no history, no timing."""
    result = make_result(with_items=False)
    for o in result.outputs:
        del o["regions"]
        o["warpage"].pop("pop_gap")
    result.faces = []
    result.history = []
    del result.summary["timing_s"]
    files = write_all(result, tmp_path)
    assert [p.name for p in files["plots"]] == ["warpage_vs_temperature.png"]
    assert _read_csv(tmp_path / "history.csv") == (["index"], [])
    assert "bowl-test-case" in (tmp_path / "report.html").read_text()


# ------------------------------------------------------------------------------------------------------- atomicity


def test_atomic_path_failure_keeps_old_file_and_no_temp(tmp_path):
    target = tmp_path / "fields_0.vtu"
    atomic_write_text(target, "old complete content")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            assert tmp.parent == tmp_path and is_temp_name(tmp.name) and tmp.suffix == ".vtu"
            tmp.write_text("new partial cont")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old complete content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fields_0.vtu"]


def test_atomic_path_success_replaces(tmp_path):
    target = tmp_path / "a.txt"
    atomic_write_text(target, "old")
    with atomic_path(target) as tmp:
        tmp.write_text("new")
        assert target.read_text() == "old"  # untouched until the block succeeds
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_writer_failure_mid_vtu_keeps_previous(tmp_path, monkeypatch):
    result = make_result()
    write_all(result, tmp_path, names=["vtu"])
    before = (tmp_path / "fields_0.vtu").read_bytes()

    def boom(geometry, point_data, cell_data):
        yield "<?xml partial"
        raise OSError("disk full")

    monkeypatch.setattr(fcpkg_fem.io.vtu, "vtu_pieces", boom)
    with pytest.raises(OSError):
        write_all(make_result(), tmp_path, names=["vtu"])
    assert (tmp_path / "fields_0.vtu").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if is_temp_name(p.name)]


def test_clean_stale_temps(tmp_path):
    dead_pid = 2**22 + 12345  # above the usual pid_max; no such process
    stale = tmp_path / f".summary.json.tmp-{dead_pid}-0123abcd.json"
    live = temp_name(tmp_path / "x.vtu")  # our own pid: a live writer
    other = tmp_path / "notes.tmp"
    for p in (stale, live, other):
        p.write_text("x")
    assert clean_stale_temps(tmp_path) == [stale]
    assert live.exists() and other.exists() and not stale.exists()


def test_summary_written_last_and_rewrite_removes_stale(tmp_path, monkeypatch):
    order: list[str] = []
    real = {n: w.fn for n, w in WRITERS.items()}
    for n, w in list(WRITERS.items()):
        def spy(result, out_dir, _n=n, _fn=real[n]):
            # summary.json of the previous write must be gone while the other writers run
            assert not (Path(out_dir) / "summary.json").exists()
            order.append(_n)
            return _fn(result, out_dir)
        monkeypatch.setitem(WRITERS, n, writers_mod.Writer(w.name, w.order, spy))

    r3 = make_result(with_items=False)
    r3.fields.append(r3.fields[-1])
    r3.outputs.append(dict(r3.outputs[-1], index=2))
    write_all(r3, tmp_path, names=["vtu", "summary"])
    assert (tmp_path / "fields_2.vtu").exists()
    order.clear()
    write_all(make_result(), tmp_path)
    assert order[-1] == "summary" and order[:-1] == ["csv", "vtu", "plots", "report"]
    assert not (tmp_path / "fields_2.vtu").exists()  # listed by the previous run, not written by this one
    mtimes = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert mtimes["summary.json"] == max(mtimes.values())


def test_unknown_writer_name(tmp_path):
    with pytest.raises(KeyError, match="known"):
        write_all(make_result(), tmp_path, names=["vtk"])
    assert not os.listdir(tmp_path)


def test_kill_9_mid_write_leaves_a_complete_file(tmp_path):
    """A writer process killed with SIGKILL while rewriting a file leaves one complete version, and a stale temp
    file (if any) that the next run's cleanup removes."""
    import signal
    import subprocess
    import sys
    import time

    if not hasattr(signal, "SIGKILL"):
        pytest.skip("no SIGKILL on this platform")
    target = tmp_path / "big.bin"
    n = 4_000_000
    code = (
        "import sys\nfrom fcpkg_fem.io.atomic import atomic_write_bytes\n"
        f"n = {n}\nk = 0\nprint('go', flush=True)\n"
        "while True:\n"
        "    atomic_write_bytes(sys.argv[1], bytes([65 + k % 2]) * n)\n"
        "    k += 1\n"
    )
    def start():
        p = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE)
        assert p.stdout.readline().strip() == b"go"
        p.stdout.close()
        return p

    proc = start()
    deadline = time.monotonic() + 30
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    for _ in range(3):  # kill at a few moments in a few runs
        time.sleep(0.15)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = target.read_bytes()
        assert len(data) == n and data[:1] in (b"A", b"B") and data.count(data[:1]) == n
        clean_stale_temps(tmp_path)
        assert [p.name for p in tmp_path.iterdir()] == ["big.bin"]
        proc = start()
    proc.kill()
    proc.wait()


def test_every_output_switch_of_a_case_names_a_registered_writer():
    """The writer registry is the truth: the case's ``output`` switches (every bool field) are exactly the registered
    writers a run may leave out (``summary`` is always written, last)."""
    from fcpkg_fem.case import Output

    switches = {n for n, f in Output.model_fields.items() if f.annotation is bool or "bool" in str(f.annotation)}
    assert switches == set(WRITERS) - {"summary"}
