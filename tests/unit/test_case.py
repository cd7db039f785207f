"""Case loading: exact SI values, defaults, overrides, resolved dict and hash, YAML safety, error shape."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from fcpkg_fem.case import Case, load_case
from fcpkg_fem.errors import InputError
from fcpkg_fem.case.yamlio import read_yaml

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "cases").glob("*.yaml"))
REF = ROOT / "cases" / "reference.yaml"


def fields(err: InputError) -> list[str]:
    return [p.field for p in err.problems]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_every_shipped_case_validates(path):
    case = load_case(path)
    assert isinstance(case, Case)
    assert case.materials_resolved  # library materials at least
    json.dumps(case.resolved_dict(), allow_nan=False)


def test_reference_exact_si_values():
    c = load_case(REF)
    assert c.schema_version == 1 and c.name == "reference" and c.structure == "stacked_flipchip"
    p = c.package
    bot = p.carriers.bottom
    assert bot.kind == "substrate"
    assert bot.size == (0.012, 0.012)
    assert [l.thickness for l in bot.layers] == [2e-05, 0.00026, 2e-05]
    assert bot.thickness == pytest.approx(300e-6, abs=1e-18)
    die = bot.chips[0]
    assert die.size == (0.008, 0.008) and die.thickness == 0.0001 and die.center == (0.0, 0.0)
    b = die.bumps
    assert (b.diameter, b.standoff, b.pitch, b.rows, b.edge_offset) == (8.0e-05, 6.0e-05, 0.0002, 2, 0.00015)
    assert b.pattern == "peripheral" and b.material == "sac305"
    assert p.adhesive.thickness == 2.5e-05 and p.adhesive.size is None
    ic = p.interconnect
    assert (ic.kind, ic.diameter, ic.pitch, ic.edge_offset, ic.fill) == ("vias", 0.00015, 0.0004, 0.0006, "filled")
    assert p.top_balls.height == 0.0002 and p.bottom_balls is None
    assert c.load.stress_free_temperature == 25.0
    assert c.load.stress_free_by_material == {"sac305": 217.0, "emc": 175.0, "die_attach_lowmod": 150.0}
    assert c.load.temperatures == (25.0, 125.0, 260.0, -40.0) and c.load.mode == "temperatures"
    assert c.load.stress_free("bumps.die1", "sac305") == 217.0
    assert c.load.stress_free("chip.die1", "silicon") == 25.0
    m = c.mesh
    assert (m.symmetry, m.element, m.size, m.feature_size, m.max_layer_thickness) == ("quarter", "hex8i", 0.001, 1.5e-04, 0.00015)
    assert m.min_elements_per_layer == 1 and m.layer_elements == {"top_balls": 4}
    assert c.output.csv is True and c.output.dir is None
    assert c.solver.linear == "auto" and c.solver.rtol == 1e-8
    assert c.region_materials()["vias"] == "copper"
    assert "carrier2.core" in c.region_names() and "bumps.die2" in c.region_names()


def test_laminate_case():
    c = load_case(ROOT / "cases" / "laminate_bimetal.yaml")
    assert c.package is None and c.laminate.size == (0.01, 0.01)
    assert [(l.name, l.material, l.thickness) for l in c.laminate.layers] == [
        ("si", "silicon", 0.0005), ("cu", "copper", 0.0001)]
    assert c.mesh.feature_size == c.mesh.size == 0.0005  # defaults follow size
    assert c.region_names() == ["layer.si", "layer.cu"]


def test_units_and_bare_numbers():
    raw = read_yaml(REF)
    raw["package"]["adhesive"]["thickness"] = 0.025  # bare number = mm
    raw["mesh"]["size"] = "0.3 mm"
    raw["load"]["temperatures"] = ["300 K", 100]
    c = load_case(raw)
    assert c.package.adhesive.thickness == 2.5e-05
    assert c.mesh.size == 0.0003
    assert c.load.temperatures[0] == pytest.approx(26.85, abs=1e-12) and c.load.temperatures[1] == 100.0


def test_dict_source_not_modified():
    raw = read_yaml(REF)
    before = copy.deepcopy(raw)
    load_case(raw, ["mesh.size=1 mm"])
    assert raw == before


def test_overrides():
    c = load_case(REF, [
        "mesh.size=0.3 mm",
        "package.carriers.bottom.chips.0.bumps.pitch=250 um",
        "package.carriers.bottom.layers.1.thickness=200 um",
        "output.vtu=false",
        "mesh.layer_elements={carrier1.core: 3}",
        "load.stress_free_by_region.carrier1.core=100 degC",  # region names hold dots
        "solver.linear=direct",
        "package.carriers.top.size=[12 mm, 12 mm]",
    ])
    assert c.mesh.size == 0.0003
    assert c.package.carriers.bottom.chips[0].bumps.pitch == 0.00025
    assert c.package.carriers.bottom.layers[1].thickness == 0.0002
    assert c.output.vtu is False
    assert c.mesh.layer_elements == {"carrier1.core": 3}
    assert c.load.stress_free_by_region == {"carrier1.core": 100.0}
    assert c.solver.linear == "direct"


def test_override_adds_absent_optional_section():
    c = load_case(ROOT / "cases" / "laminate_bimetal.yaml", ["solver.rtol=1e-6", "output.dir=out/x"])
    assert c.solver.rtol == 1e-6 and c.output.dir == "out/x"


@pytest.mark.parametrize("override, field, words", [
    ("mesh.sise=3", "mesh.sise", "did you mean 'size'"),
    ("pakage.name=x", "pakage.name", "did you mean 'package'"),
    ("package.carriers.bottom.layers.7.thickness=1", "package.carriers.bottom.layers.7.thickness", "out of range"),
    ("package.carriers.bottom.layers.x.thickness=1", "package.carriers.bottom.layers.x.thickness", "list index"),
    ("mesh.size", "mesh.size", "dotted.path=value"),
    ("mesh.size=!!python/object:os.system x", "mesh.size", "tags are not allowed"),
    ("mesh.size.x=1", "mesh.size.x", "no field"),
])
def test_bad_overrides(override, field, words):
    with pytest.raises(InputError) as exc:
        load_case(REF, [override])
    assert fields(exc.value) == [field]
    assert words in exc.value.problems[0].message


def test_newton_overrides():
    """Every ``solver.newton`` key can be set by an override (a forward reference once hid the whole section from
    the override paths), and a bad value names the field and what is allowed."""
    c = load_case(REF, ["solver.newton.max_iterations=10", "solver.newton.correction=computed"])
    assert c.solver.newton.max_iterations == 10 and c.solver.newton.correction == "computed"
    with pytest.raises(InputError) as exc:
        load_case(REF, ["solver.newton.correction=exact"])
    assert fields(exc.value) == ["solver.newton.correction"]
    assert "'estimated', 'computed'" in exc.value.problems[0].message


def test_override_list_item_index_syntax():
    """List items are addressed as ``chips.0``; the bracket form a user may try is refused with the dotted path
    to use instead."""
    c = load_case(REF, ["package.carriers.bottom.chips.0.bumps.material=sac305_refit"])
    assert c.package.carriers.bottom.chips[0].bumps.material == "sac305_refit"
    with pytest.raises(InputError) as exc:
        load_case(REF, ["package.carriers.bottom.chips[0].bumps.material=sac305_refit"])
    assert fields(exc.value) == ["package.carriers.bottom.chips[0].bumps.material"]
    assert "did you mean 'chips.0.bumps.material'?" in exc.value.problems[0].message


def test_hold_growth_bounds_and_null():
    """solver.hold_growth: a factor > 1 (a strict bound, said as such), or null for one increment per hold."""
    assert load_case(REF, ["solver.hold_growth=1.5"]).solver.hold_growth == 1.5
    assert load_case(REF, ["solver.hold_growth=null"]).solver.hold_growth is None
    with pytest.raises(InputError) as exc:
        load_case(REF, ["solver.hold_growth=1"])
    assert fields(exc.value) == ["solver.hold_growth"]
    assert exc.value.problems[0].message == "must be greater than 1.0, got 1"


def test_override_value_then_validated():
    with pytest.raises(InputError) as exc:
        load_case(REF, ["mesh.size=-1 mm"])
    assert fields(exc.value) == ["mesh.size"]
    assert "greater than zero" in exc.value.problems[0].message


def test_all_problems_collected_and_no_pydantic_text():
    raw = read_yaml(REF)
    raw["mesh"]["size"] = "3 GPa"
    raw["mesh"]["symmetri"] = "full"
    raw["output"]["vtu"] = "maybe"
    raw["package"]["carriers"]["top"]["chips"][0]["bumps"]["pitch"] = -1
    raw["package"]["encapsulant"]["material"] = "emcc"
    with pytest.raises(InputError) as exc:
        load_case(raw)
    got = set(fields(exc.value))
    assert {"mesh.size", "mesh.symmetri", "output.vtu", "package.carriers.top.chips.0.bumps.pitch"} <= got
    text = str(exc.value)
    assert "did you mean 'symmetry'" in text
    for leak in ("pydantic", "errors.pydantic.dev", "Value error", "Input should", "type="):
        assert leak not in text


def test_unknown_material_reported_alongside_structural_errors():
    with pytest.raises(InputError) as exc:
        load_case(REF, ["package.encapsulant.material=emcc", "mesh.element=hex7"])
    assert set(fields(exc.value)) == {"package.encapsulant.material", "mesh.element"}


def test_material_did_you_mean():
    with pytest.raises(InputError) as exc:
        load_case(REF, ["package.encapsulant.material=emcc"])
    (p,) = exc.value.problems
    assert p.field == "package.encapsulant.material" and "did you mean 'emc'" in p.message


def test_case_materials_section_is_resolved():
    c = load_case(REF, ["materials={soft_glue: {base: die_attach_lowmod}}",
                        "package.adhesive.material=soft_glue"])
    assert "soft_glue" in c.materials_resolved
    assert c.region_materials()["adhesive"] == "soft_glue"


def test_history_load():
    c = load_case(ROOT / "cases" / "laminate_bimetal.yaml",
                  ["load.temperatures=null", "load.history={time: [0, 1 min, 2 min], temperature: [25, 125, 25]}"])
    assert c.load.mode == "history"
    assert c.load.history.time == (0.0, 60.0, 120.0) and c.load.history.temperature == (25.0, 125.0, 25.0)


def test_plated_via_fill_defaults_to_encapsulant():
    c = load_case(REF, ["package.interconnect.fill=plated", "package.interconnect.wall=20 um"])
    ic = c.package.interconnect
    assert ic.wall == 2e-05 and ic.fill_material == "emc"
    assert c.region_materials()["vias.fill"] == "emc"


def test_resolved_dict_and_hash():
    a, b = load_case(REF), load_case(REF)
    d = a.resolved_dict()
    assert d["units"]["length"] == "m"
    assert d["package"]["carriers"]["bottom"]["chips"][0]["bumps"]["diameter"] == 8e-05
    assert d["derived"]["bumps"] == {"die1": 296, "die2": 216} and d["derived"]["vias"] == 208
    assert a.hash() == b.hash() and len(a.hash()) == 64
    assert load_case(REF, ["mesh.size=0.3 mm"]).hash() != a.hash()
    # same content written differently hashes the same
    assert load_case(REF, ["mesh.size=1.0"]).hash() == a.hash()  # bare number = mm, as "1 mm" in the file


def test_case_is_immutable():
    c = load_case(REF)
    with pytest.raises(Exception):
        c.mesh.size = 1.0  # type: ignore[misc]


def test_half_symmetry_accepts_layout_symmetric_about_x_only():
    # move both dies up: still symmetric about x = 0, no longer about y = 0
    over = ["package.carriers.bottom.chips.0.center=[0, 0.5 mm]",
            "package.carriers.top.chips.0.center=[0, 0.5 mm]"]
    with pytest.raises(InputError) as exc:
        load_case(REF, over)
    assert fields(exc.value) == ["mesh.symmetry"] and "y = 0" in exc.value.problems[0].message
    c = load_case(REF, over + ["mesh.symmetry=half"])
    assert c.mesh.symmetry == "half"
    assert load_case(REF, over + ["mesh.symmetry=full"]).mesh.symmetry == "full"


def test_two_die_pairs_with_equal_heights():
    raw = read_yaml(REF)
    bot = raw["package"]["carriers"]["bottom"]["chips"]
    top = raw["package"]["carriers"]["top"]["chips"]
    d1, d2 = bot[0], top[0]
    d1["size"], d2["size"] = ["3 mm", "3 mm"], ["2.5 mm", "2.5 mm"]
    d1["center"] = d2["center"] = ["-2 mm", "0 mm"]
    bot.append({**copy.deepcopy(d1), "name": "die1b", "center": ["2 mm", "0 mm"]})
    top.append({**copy.deepcopy(d2), "name": "die2b", "center": ["2 mm", "0 mm"]})
    c = load_case(raw)
    from fcpkg_fem.case import layout

    assert layout.die_pairs(c.package) == [(0, 0), (1, 1)]
    # a thicker second top die breaks the height sum
    top[1]["thickness"] = "150 um"
    with pytest.raises(InputError) as exc:
        load_case(raw)
    assert fields(exc.value) == ["package.carriers.top.chips.1.thickness"]
    assert "heights do not add up" in exc.value.problems[0].message


# --- yamlio --------------------------------------------------------------------------------------------


def test_yaml_size_limit(tmp_path):
    from fcpkg_fem.case.yamlio import MAX_BYTES

    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * (MAX_BYTES + 10) + "\n")
    with pytest.raises(InputError) as exc:
        read_yaml(big)
    assert exc.value.problems[0].field == str(big) and "limit" in exc.value.problems[0].message
    with pytest.raises(InputError):
        read_yaml("a: 1\n" + "#" * (MAX_BYTES + 10))


def test_yaml_plain_data_and_merge_keys_still_work():
    d = read_yaml("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 5\nlist: [1, 2.5, '80 um', true, null]\n")
    assert d == {"base": {"x": 1, "y": 2}, "c": {"x": 5, "y": 2}, "list": [1, 2.5, "80 um", True, None]}


@pytest.mark.parametrize("text, words", [
    ("a: !!str 3\n", "tags are not allowed"),
    ("a: ! x\n", "tags are not allowed"),
    ("a: !!binary aGVsbG8=\n", "tags are not allowed"),
    ("a: 1\na: 2\n", "duplicate key 'a'"),
    ("? [1, 2]\n: x\n", "plain value"),
    ("[1, 2]\n", "must be a mapping"),
])
def test_yaml_refusals(text, words):
    with pytest.raises(InputError) as exc:
        read_yaml(text)
    assert exc.value.problems[0].field == "<text>"
    assert words in exc.value.problems[0].message


def test_missing_file():
    with pytest.raises(InputError) as exc:
        load_case("no/such/case.yaml")
    assert exc.value.problems[0].field == "no/such/case.yaml"


def test_material_data_files_are_read_from_the_case_folder(tmp_path, monkeypatch):
    """A relative ``prony.csv`` path is read from the case file's folder, whatever the current directory, and is
    recorded absolute in the case's input, so ``load_case(case.input_dict())`` (what batch workers do) finds it."""
    raw = read_yaml(REF)
    raw["materials"] = {"mold_x": {"base": "emc", "source": "DMA",
                                   "prony": {"csv": "data/mold.csv", "Tref": "150 C", "Tg": "130 C", "C1": 17.4,
                                             "C2": "51.6 K", "Ea_R": "12000 K"}}}
    raw["package"]["encapsulant"]["material"] = "mold_x"
    folder = tmp_path / "study"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "mold.csv").write_text("tau_s,G_GPa,K_GPa\ninf,0.2,1\n1,3,1\n")
    import yaml

    (folder / "case.yaml").write_text(yaml.safe_dump(raw))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    case = load_case(folder / "case.yaml")
    assert case.materials_resolved["mold_x"].extra["prony"].G_inf == pytest.approx(0.2e9)
    recorded = case.input_dict()["materials"]["mold_x"]["prony"]["csv"]
    assert Path(recorded) == (folder / "data" / "mold.csv").resolve()
    again = load_case(case.input_dict())
    assert again.materials_resolved["mold_x"].extra["prony"].G_inf == pytest.approx(0.2e9)
    # given as a dict, a relative path is read from the current directory: here it is not there
    with pytest.raises(InputError) as exc:
        load_case(raw)
    assert fields(exc.value) == ["materials.mold_x.prony.csv"]
    assert "data/mold.csv" in exc.value.problems[0].message


def test_setting_for_a_removed_part_says_the_part_is_gone():
    """The reference refines its top balls (mesh.layer_elements.top_balls); without the balls that setting names a
    region the case no longer has: the message says so and how to drop it, instead of a did-you-mean. A misspelt
    region still gets its hint."""
    with pytest.raises(InputError) as e:
        load_case(REF, overrides=["package.top_balls=null"])
    msg = str(e.value)
    assert "mesh.layer_elements.top_balls" in msg and "this case has no 'top_balls' region" in msg
    assert "--set 'mesh.layer_elements={}'" in msg
    load_case(REF, overrides=["package.top_balls=null", "mesh.layer_elements={}"])  # and that is enough
    with pytest.raises(InputError) as e:
        load_case(REF, overrides=["mesh.layer_elements={top_ballz: 2}"])
    assert "did you mean 'top_balls'?" in str(e.value)
