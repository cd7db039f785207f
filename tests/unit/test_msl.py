"""J-STD-020 Table 5-1 moisture sensitivity levels (fcpkg_fem.loads.msl) and the ``msl_soak`` profile."""

from __future__ import annotations

import math

import pytest

from fcpkg_fem.errors import InputError
from fcpkg_fem.loads import MSL_LEVELS, PROFILES, build, msl


def test_every_level_of_table_5_1_is_there_in_order():
    assert list(MSL_LEVELS) == ["1", "2", "2a", "3", "4", "5", "5a", "6"]
    assert "msl_soak" in PROFILES


def test_floor_lives_as_read():
    """Floor lives of every level as the reproductions read state them (Altera Table 1, COSEL Table 1)."""
    fl = {k: v.floor_life_h for k, v in MSL_LEVELS.items()}
    assert fl == {"1": math.inf, "2": 365 * 24.0, "2a": 4 * 7 * 24.0, "3": 168.0, "4": 72.0, "5": 48.0, "5a": 24.0,
                  "6": None}
    assert MSL_LEVELS["1"].floor_RH_percent == 85.0
    assert all(v.floor_RH_percent == 60.0 and v.floor_T_C == 30.0 for k, v in MSL_LEVELS.items() if k != "1")
    assert all(v.read_at["floor_life_h"] == "floor_life" for v in MSL_LEVELS.values())


def test_soaks_as_read():
    """The reproduced table (Raon Solution): standard soaks +5/-0 h; 2a-5a at 30 degC/60 % RH for the floor life
    + 24 h, with accelerated equivalents at 60/60 (+1/-0 h for 2a and 3, +0.5/-0 h for 4, 5, 5a)."""
    one, two = MSL_LEVELS["1"], MSL_LEVELS["2"]
    assert (one.soak_h, one.soak_T_C, one.soak_RH_percent) == (168.0, 85.0, 85.0)
    assert (two.soak_h, two.soak_T_C, two.soak_RH_percent) == (168.0, 85.0, 60.0)
    soaks = {k: (v.soak_h, v.accelerated_h) for k, v in MSL_LEVELS.items()}
    assert soaks == {"1": (168.0, None), "2": (168.0, None), "2a": (696.0, (120.0, 168.0)), "3": (192.0, (40.0, 52.0)),
                     "4": (96.0, (20.0, 24.0)), "5": (72.0, (15.0, 20.0)), "5a": (48.0, (10.0, 13.0)),
                     "6": (None, None)}
    for name in ("2a", "3", "4", "5", "5a"):
        lv = MSL_LEVELS[name]
        assert lv.soak_h == lv.floor_life_h + 24.0 and (lv.soak_T_C, lv.soak_RH_percent) == (30.0, 60.0)
        assert lv.soak_tolerance_h == (0.0, 5.0)
        assert lv.accelerated_tolerance_h == ((0.0, 1.0) if name in ("2a", "3") else (0.0, 0.5))
        assert (lv.accelerated_T_C, lv.accelerated_RH_percent) == (60.0, 60.0)
    assert all(v.read_at["soak_h"] == "table_5_1" for v in MSL_LEVELS.values())
    assert all("read at" in text for text in msl.SOURCES.values())


def test_msl_soak_profile():
    p = build("msl_soak", level=3)
    assert p.duration == 192 * 3600.0 and list(p.temperature_C) == [30.0, 30.0]
    assert p.parameters["RH_percent"] == 60.0 and p.parameters["level"] == "3" and p.standard == msl.MSL_STANDARD
    acc = build("msl_soak", level="3", accelerated="0.40-0.48 eV")
    assert acc.duration == 40 * 3600.0 and acc.temperature_C[0] == 60.0 and acc.parameters["RH_percent"] == 60.0
    assert build("msl_soak", level="5A").parameters["level"] == "5a"
    assert build("msl_soak", level="6", time_on_label_h=6).duration == 6 * 3600.0


@pytest.mark.parametrize("kwargs, field, words", [
    ({"level": "7"}, "steps[1].level", "not a J-STD-020 moisture sensitivity level"),
    ({"level": "1", "accelerated": "0.40-0.48 eV"}, "steps[1].accelerated", "no accelerated soak"),
    ({"level": "3", "accelerated": "0.5 eV"}, "steps[1].accelerated", "not an activation-energy band"),
    ({"level": "6"}, "steps[1].time_on_label_h", "time on the label"),
])
def test_bad_soaks_name_the_field(kwargs, field, words):
    with pytest.raises(InputError) as err:
        build("msl_soak", field="steps[1]", **kwargs)
    assert err.value.problems[0].field == field and words in str(err.value)


def test_unknown_level_suggests_the_nearest():
    with pytest.raises(InputError) as err:
        msl.get_level("3b", field="load.steps[0].level")
    assert err.value.problems[0].field == "load.steps[0].level" and "did you mean" in str(err.value)
    assert msl.get_level(" 2A ").name == "2a" and msl.get_level(3).name == "3"  # case, blanks, int: all fine
