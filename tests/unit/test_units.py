"""Unit parsing at the case boundary: exact conversions, and refusals that name the field."""

import math

import numpy as np
import pytest

from fcpkg_fem.errors import InputError
from fcpkg_fem.units import KINDS, from_si, parse_list, parse_pair, parse_quantity


@pytest.mark.parametrize(
    "value, kind, expected",
    [
        ("0.3 mm", "length", 0.0003),
        ("80 um", "length", 8e-05),
        ("80 µm", "length", 8e-05),  # micro sign U+00B5
        ("80 μm", "length", 8e-05),  # Greek mu U+03BC
        ("1 mil", "length", 2.54e-05),
        (0.3, "length", 0.0003),  # bare number: mm
        ("2 m", "length", 2.0),
        ("26 GPa", "stress", 26e9),
        (2330, "stress", 2.33e9),  # bare number: MPa
        ("1 psi", "stress", 6894.757293168361),
        ("15 ppm/K", "cte", 1.5e-05),
        ("1e-5 1/K", "cte", 1e-05),
        ("17 ppm/degC", "cte", 1.7e-05),
        ("17 ppm/°C", "cte", 1.7e-05),
        (23, "cte", 2.3e-05),  # bare number: ppm/K
        ("217 degC", "temperature", 217.0),
        ("217 °C", "temperature", 217.0),
        ("-55 C", "temperature", -55.0),
        ("77 degF", "temperature", 25.0),
        (125, "temperature", 125.0),
        ("10 degC", "temperature_difference", 10.0),
        ("2 min", "time", 120.0),
        ("1 h", "time", 3600.0),
        ("3 degC/s", "temperature_rate", 3.0),
        ("6 K/min", "temperature_rate", 0.1),
        ("150 W/mK", "conductivity", 150.0),
        ("150 W/m/K", "conductivity", 150.0),
        ("150 W/(m*K)", "conductivity", 150.0),
        ("150 W/(m K)", "conductivity", 150.0),
        ("1.42 g/cm^3", "density", 1420.0),
        ("1.09 J/(g K)", "specific_heat", 1090.0),
        ("20 W/(m^2 K)", "htc", 20.0),
        ("0.35", "dimensionless", 0.35),
        (0.35, "dimensionless", 0.35),
        ("1e-3 1/s", "strain_rate", 1e-3),
        ("0.5 MPa", "energy_density", 5e5),
        ("5e5 J/m^3", "energy_density", 5e5),
        (0.5, "energy_density", 5e5),  # bare number: MPa = MJ/m^3
    ],
)
def test_conversion_is_exact(value, kind, expected):
    assert parse_quantity(value, kind, "f") == expected


def test_kelvin_to_celsius():
    assert parse_quantity("490 K", "temperature", "f") == pytest.approx(216.85, abs=1e-12)
    assert parse_quantity("0.5 K", "temperature", "f") == pytest.approx(-272.65, abs=1e-12)


@pytest.mark.parametrize("value", ["0 K", "-0 K", "-273.15 degC", "-273.15", -273.15, "-459.67 degF", "-1 K",
                                   "-300 degC"])
def test_a_temperature_at_or_below_absolute_zero_is_refused_in_every_unit(value):
    with pytest.raises(InputError) as exc:
        parse_quantity(value, "temperature", "load.temperatures.0")
    (p,) = exc.value.problems
    assert p.field == "load.temperatures.0" and "absolute zero" in p.message


@pytest.mark.parametrize("value", [10**400, -(10**401)])
def test_an_integer_too_large_for_a_float_is_bad_input(value):
    with pytest.raises(InputError) as exc:
        parse_quantity(value, "length", "package.adhesive.thickness")
    (p,) = exc.value.problems
    assert p.field == "package.adhesive.thickness" and "too large" in p.message and "digits" in p.message


def test_from_si_inverts():
    assert from_si(8e-05, "length", "um") == pytest.approx(80.0, rel=1e-15)
    assert from_si(25.0, "temperature", "K") == pytest.approx(298.15, rel=1e-15)
    np.testing.assert_allclose(from_si(np.array([1e6, 2e9]), "stress", "MPa"), [1.0, 2000.0])


def test_wrong_kind_names_field_and_allowed_units():
    with pytest.raises(InputError) as exc:
        parse_quantity("25 GPa", "length", "package.adhesive.thickness")
    (p,) = exc.value.problems
    assert p.field == "package.adhesive.thickness"
    assert "'25 GPa' is not a length" in p.message
    assert "use a number in mm or a string with one of: m, mm, um, µm, nm, mil" in p.message
    assert "GPa is a unit of a stress" in p.message


@pytest.mark.parametrize(
    "value, kind",
    [
        (True, "length"),
        (False, "stress"),
        (None, "length"),
        (float("nan"), "stress"),
        (float("inf"), "length"),
        ("nan mm", "length"),
        ("inf", "length"),
        ("1e400 mm", "length"),
        ("", "time"),
        ("   ", "time"),
        ("3 foo", "time"),
        ("3 mm", "time"),
        ("mm", "length"),
        ("0.3 mm", "dimensionless"),
        ("15 ppm/K", "temperature"),
        ("-300 degC", "temperature"),
        ([1, 2], "length"),
        ("12 W/mK", "htc"),
    ],
)
def test_refused(value, kind):
    with pytest.raises(InputError) as exc:
        parse_quantity(value, kind, "a.b.c")
    assert exc.value.problems[0].field == "a.b.c"
    assert repr(value) in exc.value.problems[0].message


def test_pair_and_list():
    assert parse_pair(["12 mm", 12], "length", "size") == (0.012, 0.012)
    assert parse_list(["1 min", 30, "0.5 h"], "time", "t") == (60.0, 30.0, 1800.0)


def test_list_collects_every_bad_element():
    with pytest.raises(InputError) as exc:
        parse_list(["12 GPa", "1 mm", "x", True], "length", "pkg.size")
    assert [p.field for p in exc.value.problems] == ["pkg.size[0]", "pkg.size[2]", "pkg.size[3]"]


def test_pair_wrong_length_or_type():
    with pytest.raises(InputError, match="expected 2"):
        parse_pair([1, 2, 3], "length", "size")
    with pytest.raises(InputError, match="not a list"):
        parse_pair("12 mm", "length", "size")


def test_kinds_table_lists_defaults():
    assert KINDS["length"][0] == "mm"
    assert KINDS["stress"][0] == "MPa"
    assert KINDS["cte"][0] == "ppm/K"
    assert KINDS["temperature"][0] == "degC"
    assert "W/mK" in KINDS["conductivity"][1]
    for kind, (default, units) in KINDS.items():
        if kind != "dimensionless":
            assert default in units
            for u in units:
                assert math.isfinite(parse_quantity(f"1 {u}", kind, "f"))
