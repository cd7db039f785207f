"""The package's layering, read from its source (docs/architecture.md, "Layers").

Every import of a package module must point to the same or a lower layer (a folder is one stage of the pipeline),
there is no import cycle between modules, and the package's own modules are imported at module level only (an
import inside a function hides the structure and usually dodges a cycle). Sizes stay readable: no module over
700 lines, no function over 100.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "fcpkg_fem"

#: lowest first; a module may import modules of its own layer (no cycle) or of a lower one
LAYERS = [
    ("fcpkg_fem", "fcpkg_fem.errors", "fcpkg_fem.units"),  # foundation: version, errors, units
    ("fcpkg_fem.materials",),  # material data and the library with sources
    ("fcpkg_fem.constitutive",),  # quadrature-point material laws (registered by name)
    ("fcpkg_fem.loads",),  # temperature profiles and the standards' limits (registered by name)
    ("fcpkg_fem.case",),  # the case: schema, validation, overrides, layout rules, region names, process plan
    ("fcpkg_fem.geometry",),  # prisms with region names
    ("fcpkg_fem.mesh",),  # footprint, sweep, size estimate
    ("fcpkg_fem.physics",),  # weak forms and element kernels
    ("fcpkg_fem.solve",),  # linear solvers, mechanical and thermal problems, the history solver
    ("fcpkg_fem.post",),  # post-processors, per-joint averages, life, the result record
    ("fcpkg_fem.io",),  # writers
    ("fcpkg_fem.run",),  # orchestration: pipeline, history driver, checkpoints, preflight
    ("fcpkg_fem.batch",),  # batches, sweeps, regression gates
    ("fcpkg_fem.api",),  # the scripting facade
    ("fcpkg_fem.cli", "fcpkg_fem.__main__"),  # the command line
]


def _module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    best, rank = -1, None
    for k, names in enumerate(LAYERS):
        for n in names:
            if (module == n or module.startswith(n + ".")) and len(n) > best:
                best, rank = len(n), k
    assert rank is not None, f"{module} has no layer in LAYERS"
    return rank


def _is_module(name: str, root: Path) -> bool:
    rel = Path(*name.split("."))
    return (root.parent / rel.with_suffix(".py")).exists() or (root.parent / rel / "__init__.py").exists()


def _imports(path: Path, root: Path = PACKAGE) -> list[tuple[str, int, bool]]:
    """(imported package module, line, at module level) for every import of ``fcpkg_fem`` in ``path``."""
    tree = ast.parse(path.read_text())
    me = _module_name(path, root)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    top = set()
    for node in tree.body:  # imports under a module-level `if`/`try` count as module level
        top |= {id(n) for n in ast.walk(node)} if isinstance(node, (ast.If, ast.Try)) else {id(node)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            mod = ".".join(parts[: len(parts) - node.level + 1] + [node.module or ""]).strip(".") if node.level \
                else node.module or ""
            if mod.split(".")[0] != "fcpkg_fem":
                continue
            for a in node.names:  # `from pkg import submodule` imports the submodule
                sub = f"{mod}.{a.name}"
                out.append((sub if _is_module(sub, root) else mod, node.lineno, id(node) in top))
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno, id(node) in top) for a in node.names if a.name.split(".")[0] == "fcpkg_fem"]
    return out


def _layer_problems(root: Path) -> list[str]:
    problems = []
    for p in sorted(root.rglob("*.py")):
        me = _module_name(p, root)
        for target, line, top in _imports(p, root):
            where = f"{p.relative_to(root.parent)}:{line}"
            if _layer(target) > _layer(me):
                problems.append(f"{where}: {me} (layer {_layer(me)}) imports {target} (layer {_layer(target)})")
            if not top:
                problems.append(f"{where}: {me} imports {target} inside a function")
    return problems


def _cycles(root: Path) -> list[str]:
    graph = {_module_name(p, root): {t for t, _, top in _imports(p, root) if top} for p in sorted(root.rglob("*.py"))}
    state: dict[str, int] = {}
    cycles = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1 and n != m:
                cycles.append(" -> ".join(stack[stack.index(n):] + [n]))
            elif n not in state:
                visit(n, stack + [n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    return cycles


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    for p in SOURCES:
        _layer(_module_name(p))


def test_imports_point_down_and_only_at_module_level():
    problems = _layer_problems(PACKAGE)
    assert not problems, "\n".join(problems)


def test_no_import_cycle():
    cycles = _cycles(PACKAGE)
    assert not cycles, "\n".join(cycles)


def test_the_checks_catch_an_upward_import_a_late_import_and_a_cycle(tmp_path):
    """The checkers themselves, on a small fake package: each kind of fault is reported."""
    root = tmp_path / "fcpkg_fem"
    for name, text in {
        "__init__.py": "",
        "mesh/__init__.py": "",
        "mesh/swept.py": "from fcpkg_fem.run import pipeline\n",
        "run/__init__.py": "",
        "run/pipeline.py": "from fcpkg_fem.run.record import x\n\ndef f():\n    from fcpkg_fem.mesh import swept\n",
        "run/record.py": "from fcpkg_fem.run import pipeline\nx = 1\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    problems = _layer_problems(root)
    assert any("mesh.swept (layer 6) imports fcpkg_fem.run.pipeline (layer 11)" in p for p in problems), problems
    assert any("run/pipeline.py:4" in p and "inside a function" in p for p in problems), problems
    assert _cycles(root) == ["fcpkg_fem.run.pipeline -> fcpkg_fem.run.record -> fcpkg_fem.run.pipeline"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_modules_and_functions_stay_readable(path):
    lines = path.read_text().splitlines()
    assert len(lines) <= 700, f"{path.name}: {len(lines)} lines (at most 700)"
    long = [f"{n.name} ({n.end_lineno - n.lineno + 1} lines)" for n in ast.walk(ast.parse("\n".join(lines)))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 100]
    assert not long, f"{path.name}: functions over 100 lines: {', '.join(long)}"
