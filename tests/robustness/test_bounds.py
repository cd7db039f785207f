"""Bounds before allocation: a case whose steps imply absurd work is refused by validation, naming the field,
before anything of that size is built, and reading it stays cheap (memory measured with tracemalloc: the work
arrays of a refused case would be GBs to TBs)."""

from __future__ import annotations

import tracemalloc

import pytest
from support.robust import fcpkg, write_case
from support.verification import laminate_case

from fcpkg_fem import api
from fcpkg_fem.errors import InputError


def _cycling(cycles=3, **solver):
    c = laminate_case([("a", "silicon", 300), ("b", "emc", 300)], element="hex8i", mesh_size_mm=2.0,
                      size_mm=(6.0, 6.0))
    c["load"] = {"stress_free_temperature": "25 degC",
                 "steps": [{"kind": "thermal_cycle", "condition": "G", "cycles": cycles}]}
    c["solver"].update(solver)
    return c


@pytest.mark.parametrize("raw, field, words", [
    (_cycling(cycles=1_000_000), "load.steps.0.cycles", "from 1 to 1,000"),
    (_cycling(max_time_increment="1e-6 s"), "load.steps.0", "would take 7,560,000,000 increments"),
    (_cycling(max_temperature_increment="1e-9 K"), "load.steps.0", "increments (at most 200,000)"),
])
def test_absurd_work_is_refused_before_it_is_allocated(raw, field, words):
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as exc:
            api.load_case(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    (p,) = [p for p in exc.value.problems if p.field == field]
    assert words in p.message, p.message
    assert peak < 50e6, f"{peak / 1e6:.0f} MB allocated to refuse it"


def test_reading_many_cycles_grows_linearly_not_quadratically():
    """1,000 cycles (the most allowed) validate within a few MB: the report times are matched to the profile's
    breakpoints by a sorted search, not by a (times x breakpoints) table (which took 17 s and 2.35 GB at 3,000)."""
    peaks = {}
    for n in (250, 1000):
        tracemalloc.start()
        try:
            api.load_case(_cycling(cycles=n))
            peaks[n] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peaks[1000] < 6 * peaks[250], peaks  # linear: 4x (quadratic would be 16x)


@pytest.mark.parametrize("digits", [401, 5000])
def test_an_integer_of_hundreds_of_digits_is_bad_input_with_its_line(tmp_path, digits):
    raw = _cycling()
    path = write_case(raw, tmp_path / "c.yaml")
    text = path.read_text().replace("cycles: 3", "cycles: 1" + "0" * digits)
    path.write_text(text)
    r = fcpkg("check", path, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert f"a number written with {digits + 1} digits" in r.stderr and "line" in r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    r = fcpkg("check", tmp_path / "c.yaml", "--set", "load.steps.0.cycles=1" + "0" * digits, cwd=tmp_path)
    assert r.returncode == 2 and "internal error" not in r.stderr, r.stderr


def test_a_control_character_is_refused_with_its_line_and_column(tmp_path):
    from pathlib import Path

    fixture = Path(__file__).parents[1] / "malformed" / "control_character_in_name.yaml"
    r = fcpkg("check", fixture, cwd=tmp_path)
    line = next(i for i, t in enumerate(fixture.read_text().splitlines(), 1) if "\x01" in t)
    assert r.returncode == 2 and f"U+0001 is not allowed in a case file (line {line}, column 10)" in r.stderr, r.stderr
