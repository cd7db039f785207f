"""The README and docs against the code: what can be checked cheaply is (issue 17, item 7).

- every ``fcpkg ...`` command written in a code span or block parses with the real command-line parser, and every
  option a synopsis line lists (``fcpkg run CASE [--out DIR] ...``) exists for that subcommand;
- every ``python benchmarks/<script>.py --option`` names a script that exists and options its ``--help`` lists;
- every project path the docs name (cases/, benchmarks/, docs/, tests/, fcpkg_fem/, .ci/) exists;
- every ``--set PATH=VALUE`` the docs show applies to the shipped case it is shown with (or the reference case);
- the plan sizes the README states for the shipped process cases are the planner's.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from fcpkg_fem import api
from fcpkg_fem.case.plan import plan
from fcpkg_fem.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PLACEHOLDER = re.compile(r"\b[A-Z][A-Z_]{1,}\b|\.\.\.|\[")  # CASE, DIR, PATH=VALUE, [--opt], ...


def _code(text: str) -> list[str]:
    """Lines of fenced code blocks and the contents of inline code spans."""
    out = []
    for block in re.findall(r"```[^\n]*\n(.*?)```", text, re.S):
        out += block.splitlines()
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    out += re.findall(r"`([^`\n]+)`", prose)
    return out


def _commands(prefix: str) -> list[tuple[str, str]]:
    """(document, command) for every code line starting with ``prefix`` (after an optional ``$ ``), comments cut."""
    out = []
    for doc in DOCS:
        for line in _code(doc.read_text(encoding="utf-8")):
            line = line.strip().removeprefix("$ ").strip()
            if line.startswith(prefix):
                out.append((doc.name, re.sub(r"\s+#.*$", "", line)))
    return out


def _tokens(cmd: str) -> list[str]:
    """Shell words without shell variables (``"${COARSE[@]}"``: the coarse overrides of a docs example)."""
    return [t for t in shlex.split(cmd) if not t.startswith("$")]


FCPKG = _commands("fcpkg ")


def test_the_docs_show_commands():
    """The extraction itself works: the README's two commands' run and the synopsis table are found."""
    cmds = {c for _, c in FCPKG}
    assert "fcpkg run cases/reference.yaml" in cmds
    assert any(c.startswith("fcpkg batch CASE_OR_SWEEP...") for c in cmds)
    assert len(FCPKG) > 30


@pytest.mark.parametrize("doc,cmd", FCPKG, ids=[f"{d}:{c[:60]}" for d, c in FCPKG])
def test_every_fcpkg_command_in_the_docs_parses(doc, cmd):
    parser = build_parser()
    words = _tokens(cmd)[1:]
    if PLACEHOLDER.search(cmd) or all(w.startswith("-") for w in words[1:]):
        # a synopsis or a mention (`fcpkg check --force`): the subcommand exists and has every option it lists
        sub = words[0] if words and not words[0].startswith("-") else None
        if sub is None:
            opts = {o for a in parser._actions for o in a.option_strings}
        else:
            subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
            assert sub in subparsers.choices, f"{doc}: no subcommand '{sub}' in `{cmd}`"
            opts = {o for a in subparsers.choices[sub]._actions for o in a.option_strings}
        for opt in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", cmd):
            assert opt in opts, f"{doc}: `{cmd}` lists {opt}, which `fcpkg {sub or ''}` does not have"
        return
    try:
        parser.parse_args(words)
    except SystemExit as exc:  # argparse's way of refusing (exit 0: --version, --help)
        if exc.code != 0:
                pytest.fail(f"{doc}: `{cmd}` does not parse (exit {exc.code})")


BENCH = _commands("python benchmarks/")


@lru_cache(maxsize=None)
def _bench_help(script: str) -> str:
    r = subprocess.run([sys.executable, str(ROOT / script), "--help"], capture_output=True, text=True, timeout=120,
                       cwd=ROOT)
    assert r.returncode == 0, f"{script} --help: {r.stderr[-500:]}"
    return r.stdout


@pytest.mark.parametrize("doc,cmd", BENCH, ids=[f"{d}:{c[:60]}" for d, c in BENCH])
def test_every_benchmark_command_in_the_docs_names_real_options(doc, cmd):
    words = _tokens(cmd)
    script = words[1]
    assert (ROOT / script).is_file(), f"{doc}: `{cmd}` names a script that does not exist"
    helptext = _bench_help(script)
    for opt in (w.split("=")[0] for w in words[2:] if w.startswith("--")):
        assert re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", helptext), f"{doc}: {script} has no {opt}"


PATH = re.compile(r"(?<![\w./-])((?:cases|benchmarks|docs|tests|fcpkg_fem|\.ci)/[\w./-]*\w)")


def _paths() -> list[tuple[str, str]]:
    out = set()
    for doc in DOCS:
        for m in PATH.finditer(doc.read_text(encoding="utf-8")):
            p = m.group(1)
            if "*" in p or "<" in p or p.split("/")[:2] == ["benchmarks", "results"]:
                continue  # globs, templates, git-ignored outputs
            out.add((doc.name, p))
    return sorted(out)


PATHS = _paths()


@pytest.mark.parametrize("doc,path", PATHS, ids=[f"{d}:{p}" for d, p in PATHS])
def test_every_project_path_in_the_docs_exists(doc, path):
    target = ROOT / path
    # a module named with its dotted attribute (fcpkg_fem/units.py` KINDS) or a directory
    assert target.exists() or target.with_suffix(".py").exists(), f"{doc} names {path}, which does not exist"


SETS = sorted({(doc, m) for doc, cmd in FCPKG + BENCH
               for m in re.findall(r"--set[ =]('[^']+'|\"[^\"]+\"|\S+)", cmd)
               if "=" in m.strip("'\"") and not PLACEHOLDER.search(m.strip("'\"").split("=")[0])})


def _case_of(cmd: str) -> str:
    m = re.search(r"cases/([\w]+)\.yaml", cmd)
    return m.group(1) if m and (ROOT / "cases" / f"{m.group(1)}.yaml").is_file() else "reference"


@pytest.mark.parametrize("doc,override", SETS, ids=[f"{d}:{o[:50]}" for d, o in SETS])
def test_every_override_in_the_docs_applies(doc, override):
    value = override.strip("'\"")
    if value.count("]") > value.count("["):  # `[--set PATH=VALUE]` in a synopsis; a list value keeps its bracket
        value = value[:-1]
    cmds = [c for d, c in FCPKG + BENCH if d == doc and override in c]
    name = _case_of(cmds[0]) if cmds else "reference"
    api.load_case(ROOT / "cases" / f"{name}.yaml", overrides=[value])


def test_the_plan_sizes_the_readme_states():
    """README: 'the plans now have N and M increments' for reference_reflow and reference_cycling."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"the plans now have ([\d,]+) and\s*>?\s*([\d,]+)\s+increments", text)
    assert m, "the README no longer states the plan sizes: update this test with it"
    stated = [int(g.replace(",", "")) for g in m.groups()]
    actual = [sum(len(s.increments) for s in plan(api.load_case(ROOT / "cases" / f"{n}.yaml")))
              for n in ("reference_reflow", "reference_cycling")]
    assert stated == actual
