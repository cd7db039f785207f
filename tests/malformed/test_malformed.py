"""Every file in tests/malformed/ is a case that is wrong in one way; loading it must raise InputError whose
problems name the field in the file's header comment (``# expect-field: <dotted path>``; ``<file>`` means
the file itself: YAML-level failures such as tags, alias bombs, duplicate keys and syntax errors).
The header's ``# malformed:`` line says what is wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fcpkg_fem.case import load_case
from fcpkg_fem.errors import InputError

HERE = Path(__file__).resolve().parent
FILES = sorted(HERE.glob("*.yaml"))
_HEADER = re.compile(r"^#\s*expect-field:\s*(\S+)\s*$", re.M)


def expected_field(path: Path) -> str:
    m = _HEADER.search(path.read_text(encoding="utf-8"))
    assert m, f"{path.name} has no '# expect-field:' header"
    return str(path) if m.group(1) == "<file>" else m.group(1)


def test_corpus_is_large_enough():
    assert len(FILES) >= 40
    assert len({p.read_text() for p in FILES}) == len(FILES)  # distinct


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_malformed_case_is_refused_naming_the_field(path):
    field = expected_field(path)
    with pytest.raises(InputError) as exc:
        load_case(path)
    problems = exc.value.problems
    got = [p.field for p in problems]
    assert field in got, f"{path.name}: expected a problem at {field!r}, got:\n{exc.value}"
    for p in problems:
        assert p.message.strip()
        # our own words, never pydantic's
        for leak in ("pydantic", "Input should", "Value error", "[type=", "For further information"):
            assert leak not in p.message, p.message


def test_python_tag_runs_no_code(tmp_path, monkeypatch):
    import os

    called = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a) or 0)
    with pytest.raises(InputError) as exc:
        load_case(HERE / "python_object_tag.yaml")
    assert not called
    assert "tags are not allowed" in exc.value.problems[0].message
    assert "no code was run" in exc.value.problems[0].message


def test_yaml_errors_carry_line_numbers():
    for name, line in (("duplicate_key", None), ("syntax_error", None), ("python_object_tag", 4)):
        with pytest.raises(InputError) as exc:
            load_case(HERE / f"{name}.yaml")
        msg = exc.value.problems[0].message
        assert "line " in msg, msg
        if line is not None:
            assert f"line {line}," in msg
