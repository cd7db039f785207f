"""Bump, ball and via maps from design data (issue 17 item 6): a CSV of positions and a JEDEC-style ball map.

The acceptance: a layout given by a CSV gives the same mesh (node and element counts, coordinates) and the same
results as the same layout written in YAML as explicit positions; here also a ball map against the same positions
in YAML. Equality is exact (bit for bit): the file's numbers are converted by the same unit conversion as a case's
``"<number> <unit>"`` (fcpkg_fem.units.to_si), so the geometry, gmsh's input, the mesh and the solve are the same.
Small package: tests/support/robust.py's ``mini_package`` (4 x 4 mm, ~5,600 hex8i elements), one solve each.

Also: the readers' rules (columns, units, labels, JEDEC row letters, views) and their refusals, each naming the
field; and a data file is confined to the case file's folder like the materials' data files.
"""

from __future__ import annotations

import copy
import inspect
from pathlib import Path

import numpy as np
import pytest
from support.robust import mini_package, write_case
from support.verification import problem_of

from fcpkg_fem import api
from fcpkg_fem.case import layout, load as load_module
from fcpkg_fem.case.layout_files import (ROW_LETTERS, anchor_layout_files, parse_ball_map, read_positions_csv,
                                         row_names)
from fcpkg_fem.errors import InputError

BUMPS = ("package", "carriers", "bottom", "chips", 0, "bumps")
BUMPS_FIELD = "package.carriers.bottom.chips.0.bumps"
RING = """# the mini package's ball ring, pitch 800 um: row A at the top, column 1 at the left (seen from above)
    1 2 3 4 5
A   o o o o o
B   o . . . o
C   o . + . o
D   o . . . o
E   o o o o o
"""


def _at(raw: dict, path: tuple) -> dict:
    node = raw
    for k in path:
        node = node[k]
    return node


def _ring_um() -> np.ndarray:
    """The mini package's bottom-die bump ring (2.4 mm die, pitch 400 um, edge offset 200 um) in um, rounded to
    whole um so the CSV and the YAML carry the same decimal text."""
    c = layout.peripheral((2.4e-3, 2.4e-3), 200e-6, 400e-6, 1)
    return np.round(c * 1e6).astype(int)


def _csv_case(tmp_path: Path, diameter_column: bool = True) -> dict:
    ring = _ring_um()
    head = "id,x [um],y [um],net" + (",diameter [um]" if diameter_column else "")
    rows = [f"B{k},{x},{y},VSS{k % 3}" + (",80" if diameter_column else "") for k, (x, y) in enumerate(ring)]
    (tmp_path / "bumps.csv").write_text("# die1 bump map, exported\n" + head + "\n" + "\n".join(rows) + "\n")
    raw = mini_package()
    _at(raw, BUMPS).update(pattern="file", file=str(tmp_path / "bumps.csv"))
    for k in ("pitch", "rows", "edge_offset"):
        _at(raw, BUMPS).pop(k)
    return raw


def _yaml_case() -> dict:
    raw = mini_package()
    b = _at(raw, BUMPS)
    for k in ("pitch", "rows", "edge_offset"):
        b.pop(k)
    b.update(pattern="explicit", positions=[[f"{x} um", f"{y} um"] for x, y in _ring_um()])
    return raw


def _same_run(raw_a: dict, raw_b: dict) -> None:
    ca, cb = api.load_case(raw_a), api.load_case(raw_b)
    ma, mb = api.mesh_case(ca), api.mesh_case(cb)
    assert ma.mesh.p.shape == mb.mesh.p.shape and ma.mesh.t.shape == mb.mesh.t.shape
    assert np.array_equal(ma.mesh.p, mb.mesh.p) and np.array_equal(ma.mesh.t, mb.mesh.t)
    assert ma.region_names == mb.region_names and np.array_equal(ma.cell_region, mb.cell_region)
    assert all(np.array_equal(ma.items[r], mb.items[r]) for r in ma.items)
    (_, pa), (_, pb) = problem_of(ca, ma, linear="direct"), problem_of(cb, mb, linear="direct")
    ua, ub = pa.solve(125.0).u, pb.solve(125.0).u
    assert np.array_equal(ua, ub)
    assert np.abs(ua).max() > 1e-7  # the package did deform (more than 0.1 um): the comparison is not of zeros


def test_a_csv_layout_gives_the_mesh_and_results_of_the_same_yaml_layout(tmp_path):
    _same_run(_csv_case(tmp_path), _yaml_case())


def test_a_ball_map_gives_the_mesh_and_results_of_the_same_yaml_positions():
    raw_map = mini_package()
    raw_map["package"]["top_balls"] = {"material": "sac305", "diameter": "250 um", "height": "200 um",
                                       "pattern": "ball_map", "pitch": "800 um", "view": "top", "map": RING}
    case = api.load_case(raw_map)
    balls = case.package.top_balls
    # the same ring as the shipped peripheral row (pitch 800 um, 400 um from the 4 mm carrier's edge)
    ring = layout.peripheral((4e-3, 4e-3), 400e-6, 800e-6, 1)
    got = layout.ball_centres(balls, case.package.carriers.top)
    assert len(got) == 16 and np.allclose(np.sort(got, axis=0), np.sort(ring, axis=0), rtol=0, atol=1e-15)
    assert balls.labels[:5] == ("A1", "A2", "A3", "A4", "A5") and balls.labels[5] == "B1"
    raw_yaml = mini_package()
    raw_yaml["package"]["top_balls"] = {"material": "sac305", "diameter": "250 um", "height": "200 um",
                                        "pattern": "explicit",
                                        "positions": [[f"{float(x)!r} m", f"{float(y)!r} m"] for x, y in got]}
    _same_run(raw_map, raw_yaml)


def test_labels_and_nets_are_kept(tmp_path):
    case = api.load_case(_csv_case(tmp_path))
    b = case.package.carriers.bottom.chips[0].bumps
    assert b.labels[:3] == ("B0", "B1", "B2") and b.nets[:3] == ("VSS0", "VSS1", "VSS2")
    assert layout.array_labels(b) == b.labels
    d = case.resolved_dict()
    assert d["package"]["carriers"]["bottom"]["chips"][0]["bumps"]["labels"][0] == "B0"


# --- readers -------------------------------------------------------------------------------------------------------


def test_csv_units_from_the_header_or_the_units_field(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("x_mm,y (mm),diameter [um]\n1.5,-2,80\n")
    d = read_positions_csv(p)
    assert d.positions.tolist() == [[1.5e-3, -2e-3]] and d.diameters.tolist() == [80e-6]
    p.write_text("x,y\n100,200\n")
    assert read_positions_csv(p, units="um").positions.tolist() == [[100e-6, 200e-6]]
    assert read_positions_csv(p, units="mil").positions[0, 0] == pytest.approx(2.54e-3, rel=1e-15)


@pytest.mark.parametrize("text, units, field, words", [
    ("x,y\n1,2\n", None, "units", "column 'x' has no unit"),
    ("x [mm],y [mm]\n1,2\n", "um", "units", "give the unit once"),
    ("x [mm],y [mm],layer\n1,2,3\n", None, "file", "header cell 3 is not one of the columns"),
    ("x [mm],y [mm]\n1,2\n3\n", None, "file", "line 3 has 1 cells under 2"),
    ("x [mm],y [mm]\n1,root:x:0\n", None, "file", "the 'y' cell is not a number"),
    ("x [furlong],y [mm]\n1,2\n", None, "file", "'furlong' is not a length unit"),
    ("x [mm],x [mm]\n1,2\n", None, "file", "column 'x' is given twice"),
    ("x [mm]\n1\n", None, "file", "no 'y' column"),
    ("x [mm],y [mm]\n", None, "file", "at least one data row"),
    ("id,x [mm],y [mm]\nA,1,2\nA,3,4\n", None, "file", "id 'A' is used twice"),
    ("x [mm],y [mm],diameter [um]\n1,2,-80\n", None, "file", "greater than zero"),
])
def test_csv_refusals_name_the_field_and_never_quote_the_file(tmp_path, text, units, field, words):
    p = tmp_path / "b.csv"
    p.write_text(text)
    with pytest.raises(InputError) as exc:
        read_positions_csv(p, units=units, field="f.file", units_field="f.units")
    (prob,) = exc.value.problems
    assert prob.field == f"f.{field}" and words in prob.message, prob.message
    assert "root:x" not in prob.message


def test_jedec_row_letters_skip_i_o_q_s_x_z():
    assert ROW_LETTERS == "ABCDEFGHJKLMNPRTUVWY" and not set("IOQSXZ") & set(ROW_LETTERS)
    names = row_names(23)
    assert names[7:9] == ["H", "J"] and names[19:] == ["Y", "AA", "AB", "AC"]
    assert len(set(row_names(420))) == 420


def test_ball_map_grid_is_centred_and_the_view_mirrors_x():
    top = parse_ball_map("A o . .\nB . . o\n", pitch=1e-3, view="top")
    assert top.labels == ("A1", "B3")
    assert np.allclose(top.positions, [[-1e-3, 0.5e-3], [1e-3, -0.5e-3]], rtol=0, atol=1e-18)
    bottom = parse_ball_map("A o..\nB ..o\n", pitch=1e-3, view="bottom")  # compact rows
    assert np.allclose(bottom.positions, [[1e-3, 0.5e-3], [-1e-3, -0.5e-3]], rtol=0, atol=1e-18)


@pytest.mark.parametrize("text, words", [
    ("A o o\nI o o\n", "must be named 'B'"),
    ("A o o\nB o o\nC o o\nD o o\nE o o\nF o o\nG o o\nH o o\nI o o\n", "omit I, O, Q, S, X and Z"),
    ("  1 3\nA o o\n", "column numbers must read 1, 2"),
    ("A o o\nB o\n", "has 1 cells; every row needs 2"),
    ("A o 0\n", "neither populated"),
    ("A . .\n", "no populated cell"),
    ("# only a comment\n", "has no rows"),
])
def test_ball_map_refusals(text, words):
    with pytest.raises(InputError) as exc:
        parse_ball_map(text, pitch=1e-3, view="top", field="package.top_balls.map")
    (prob,) = exc.value.problems
    assert prob.field == "package.top_balls.map" and words in prob.message, prob.message


# --- through the case ----------------------------------------------------------------------------------------------


def _refused(raw: dict) -> list:
    with pytest.raises(InputError) as exc:
        api.load_case(raw)
    return exc.value.problems


def test_one_diameter_per_array_differing_rows_are_refused(tmp_path):
    """The mesher meshes every item of an array with the array's one diameter: a row that differs is refused,
    naming the file, the row and both diameters, never silently meshed at the array's diameter."""
    raw = _csv_case(tmp_path)
    text = (tmp_path / "bumps.csv").read_text().replace("VSS1,80", "VSS1,90")
    (tmp_path / "bumps.csv").write_text(text)
    (p,) = _refused(raw)
    assert p.field == f"{BUMPS_FIELD}.file"
    assert "line 4 (B1) gives diameter 90 um" in p.message and "one diameter per array" in p.message


def test_file_arrays_refuse_overlaps_and_misplaced_items_naming_the_file(tmp_path):
    raw = _csv_case(tmp_path, diameter_column=False)
    (tmp_path / "bumps.csv").write_text("id,x [um],y [um]\nP,0,0\nQ,50,0\n")
    (p,) = _refused(raw)
    assert p.field == f"{BUMPS_FIELD}.file" and "bumps overlap" in p.message and "line 3 (Q)" in p.message
    (tmp_path / "bumps.csv").write_text("id,x [um],y [um]\nP,0,0\nQ,1190,0\n")  # the die's half width is 1200 um
    probs = _refused(raw)
    assert any(p.field == f"{BUMPS_FIELD}.file" and "reach outside die 'die1'" in p.message
               and "read from" in p.message for p in probs), probs


def test_pattern_fields_and_derived_fields(tmp_path):
    raw = _csv_case(tmp_path)
    _at(raw, BUMPS)["pitch"] = "200 um"
    assert any(p.field == f"{BUMPS_FIELD}.pitch" and "does not apply to pattern 'file'" in p.message
               for p in _refused(copy.deepcopy(raw)))
    raw = _csv_case(tmp_path)
    _at(raw, BUMPS)["labels"] = ["a"]
    assert any(p.field == f"{BUMPS_FIELD}.labels" and "not an input" in p.message for p in _refused(raw))
    raw = mini_package()
    raw["package"]["top_balls"] = {"material": "sac305", "diameter": "250 um", "height": "200 um",
                                   "pattern": "ball_map", "pitch": "800 um", "map": RING}
    assert any(p.field == "package.top_balls.view" for p in _refused(copy.deepcopy(raw)))
    raw["package"]["top_balls"].update(view="top", file="balls.txt")
    assert any(p.field == "package.top_balls.file" and "not both" in p.message for p in _refused(raw))


def test_a_file_is_anchored_at_the_case_folder_and_confined_to_it(tmp_path):
    (tmp_path / "case").mkdir()
    (tmp_path / "outside.csv").write_text("x [mm],y [mm]\n0,0\n")
    (tmp_path / "case" / "link").symlink_to(tmp_path, target_is_directory=True)
    base = (tmp_path / "case").resolve()
    for given, ok in (("bumps.csv", True), ("../outside.csv", False), ("/etc/passwd", False),
                      ("link/outside.csv", False)):
        raw = mini_package()
        _at(raw, BUMPS)["file"] = given
        probs = anchor_layout_files(raw, base, [base])
        assert Path(_at(raw, BUMPS)["file"]).is_absolute()
        if ok:
            assert probs == [] and _at(raw, BUMPS)["file"] == str(base / given)
        else:
            assert [p.field for p in probs] == [f"{BUMPS_FIELD}.file"]
            assert "leads outside the case file's folder" in probs[0].message


@pytest.mark.skipif("anchor_layout_files" not in inspect.getsource(load_module),
                    reason="load_case does not call anchor_layout_files yet (issue 17 item 6 integration)")
def test_a_case_file_reads_its_layout_next_to_it(tmp_path, monkeypatch):
    (tmp_path / "case").mkdir()
    raw = _csv_case(tmp_path / "case")
    _at(raw, BUMPS)["file"] = "bumps.csv"
    path = write_case(raw, tmp_path / "case" / "c.yaml")
    monkeypatch.chdir(tmp_path)  # not the case folder: the path is the case file's
    assert len(api.load_case(path).package.carriers.bottom.chips[0].bumps.positions) == len(_ring_um())
    _at(raw, BUMPS)["file"] = "../outside.csv"
    with pytest.raises(InputError) as exc:
        api.load_case(write_case(raw, tmp_path / "case" / "c.yaml"))
    assert exc.value.problems[0].field == f"{BUMPS_FIELD}.file"


def test_the_shipped_examples_load():
    """cases/layouts/: the bump map of the mini package's bottom die and its ball ring, as docs/case_format.md shows."""
    root = Path(__file__).resolve().parents[2] / "cases" / "layouts"
    raw = mini_package()
    _at(raw, BUMPS).update(pattern="file", file=str(root / "die_bumps.csv"))
    for k in ("pitch", "rows", "edge_offset"):
        _at(raw, BUMPS).pop(k)
    raw["package"]["top_balls"] = {"material": "sac305", "diameter": "250 um", "height": "200 um",
                                   "pattern": "ball_map", "pitch": "800 um", "view": "top",
                                   "file": str(root / "balls_5x5.txt")}
    case = api.load_case(raw)
    b = case.package.carriers.bottom.chips[0].bumps
    assert len(b.positions) == 20 and b.labels[0] == "B1" and b.nets[0] == "VDD0"
    assert len(case.package.top_balls.positions) == 16


def test_layout_ids_and_nets_name_the_joints_in_the_outputs(tmp_path):
    """The CSV's id and net columns (cases/layouts/die_bumps.csv) reach bumps.csv and the summary's items: each
    labelled bump sits where the file puts that id (the die is centred, so x, y are the file's own, in mm), and the
    report names the critical bump by its id and net."""
    import csv

    root = Path(__file__).resolve().parents[2] / "cases" / "layouts"
    raw = mini_package()
    _at(raw, BUMPS).update(pattern="file", file=str(root / "die_bumps.csv"))
    for k in ("pitch", "rows", "edge_offset"):
        _at(raw, BUMPS).pop(k)
    case = api.load_case(raw)
    chip = case.package.carriers.bottom.chips[0]
    res = api.run(case, out_dir=tmp_path / "run")
    given = {lab: (net, p) for lab, net, p in zip(chip.bumps.labels, chip.bumps.nets, chip.bumps.positions)}
    region = next(r for r in res.summary["outputs"][0]["bumps"] if r.endswith(chip.name))
    items = res.summary["outputs"][0]["bumps"][region]["items"]
    assert items and all("label" in it and "net" in it for it in items)
    for it in items:
        net, (x, y) = given[it["label"]]
        assert it["net"] == net
        assert abs(it["x_mm"] - (chip.center[0] + x) * 1e3) < 1e-9
        assert abs(it["y_mm"] - (chip.center[1] + y) * 1e3) < 1e-9
    with open(tmp_path / "run" / "bumps.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and rows[0]["label"] and rows[0]["net"]
    crit = res.summary["outputs"][0]["bumps"][region]["critical"]
    assert f"({crit['label']}, {crit['net']})" in (tmp_path / "run" / "report.html").read_text()
