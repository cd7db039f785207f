"""Reading a case: :func:`load_case` turns a YAML file, YAML text or a dict into a validated :class:`Case`.

Every quantity is converted at this boundary by :func:`fcpkg_fem.units.parse_quantity` (bare numbers in the
kind's default unit: mm, MPa, ppm/K, degC, s), so a validated :class:`Case` holds floats in SI (m, Pa, s, 1/K)
with temperatures in degC. Deeper code trusts these models.

Validation collects every problem it can find and raises one :class:`~fcpkg_fem.errors.InputError`;
each :class:`~fcpkg_fem.errors.Problem` names the dotted field path
(``package.carriers.top.chips.0.bumps.pitch``) and says what was given and what is allowed.
Three passes: (1) structure, types and units (the schema, :mod:`fcpkg_fem.case.schema`, with pydantic's errors
translated by :mod:`fcpkg_fem.case.messages`), (2) materials (every name used must be in the library or the
case's ``materials:`` section; here), (3) cross-field checks (fit, clearances, heights, symmetry, the process
plan: :mod:`fcpkg_fem.case.checks`). Overrides (:mod:`fcpkg_fem.case.overrides`) are applied to the raw data
before the first pass.

The field reference is docs/case_format.md.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Sequence

from pydantic import ValidationError

from fcpkg_fem.case.checks import cross_checks
from fcpkg_fem.case.layout_files import anchor_layout_files
from fcpkg_fem.case.messages import join, translate
from fcpkg_fem.case.overrides import apply_overrides
from fcpkg_fem.case.paths import outside
from fcpkg_fem.case.schema import Case, region_models
from fcpkg_fem.case.yamlio import read_yaml
from fcpkg_fem.errors import InputError, Problem, closest
from fcpkg_fem.materials.spec import MODEL_FILE_KEYS, resolve_materials

__all__ = ["load_case", "region_models"]


def load_case(source: str | os.PathLike | dict, overrides: Sequence[str] = (),
              data_dirs: Sequence[str | os.PathLike] = ()) -> Case:
    """Read, override and validate a case.

    Args:
        source: a path to a YAML file, YAML text, or an already-parsed dict (not modified).
        overrides: ``dotted.path=value`` strings applied to the raw data before validation.
        data_dirs: folders besides the case file's own where the data files it names may lie (``--data-dir``).
            A case read from a file may only name data files inside these folders (symbolic links resolved);
            YAML text and dicts come from a script, which names its files itself.

    Returns:
        The validated :class:`Case`; ``case.materials_resolved`` holds the resolved materials.

    Raises:
        InputError: every problem found (see the module docstring).
    """
    base_dir = None
    if isinstance(source, dict):
        raw = copy.deepcopy(source)
    else:
        raw = read_yaml(source)
        if isinstance(source, os.PathLike) or ("\n" not in str(source) and Path(str(source)).is_file()):
            base_dir = Path(source).resolve().parent
    if overrides:
        raw = apply_overrides(raw, overrides)
    problems: list[Problem] = []
    if base_dir is not None:  # after the overrides: a file named by --set is confined like one in the file
        allowed = [base_dir, *map(Path, data_dirs)]
        problems += _anchor_material_files(raw, base_dir, allowed)
        problems += anchor_layout_files(raw, base_dir, allowed)
        if problems:
            raise InputError(problems)
    case: Case | None = None
    try:
        case = Case.model_validate(raw)
    except ValidationError as exc:
        for e in exc.errors(include_url=False):
            problems.extend(translate(e))
    materials: dict | None = None
    raw_materials = raw.get("materials")
    if raw_materials is not None and not isinstance(raw_materials, dict):
        pass  # already reported by the model as "expected a mapping"
    else:
        try:
            materials = resolve_materials(raw_materials, field="materials", base_dir=base_dir)
        except InputError as err:
            problems.extend(err.problems)
    if case is not None:
        case._materials = dict(materials or {})  # the cross checks (and the process plan they keep) read them
        if materials is not None:
            problems.extend(_check_material_names(_material_uses(case), materials))
        problems.extend(cross_checks(case))
    elif materials is not None:
        # the structure is broken somewhere else; still report every unknown material name
        problems.extend(_check_material_names(_raw_material_uses(raw), materials))
    if problems:
        raise InputError(_dedupe(problems))
    assert case is not None
    case._raw = copy.deepcopy(raw)
    return case


def _anchor_material_files(raw: dict, base_dir: Path, allowed: list[Path]) -> list[Problem]:
    """Make the data-file paths of the ``materials:`` block absolute, from the case file's folder, in place (the
    raw case travels on, to batch workers and ``input_dict``, without the file it came from), and return a problem
    for every path that leads outside the ``allowed`` folders."""
    block = raw.get("materials")
    if not isinstance(block, dict):
        return []
    problems = []
    for name, entry in block.items():
        if not isinstance(entry, dict):
            continue
        for model, keys in MODEL_FILE_KEYS.items():
            sub = entry.get(model)
            if not isinstance(sub, dict):
                continue
            for key in keys:
                text = sub.get(key)
                if not isinstance(text, str) or not text.strip():
                    continue
                if not Path(text).is_absolute():
                    sub[key] = str(base_dir / text)
                msg = outside(Path(sub[key]), allowed)
                if msg:
                    problems.append(Problem(f"materials.{name}.{model}.{key}", f"'{text}' {msg}"))
    return problems


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if (p.field, p.message) not in seen:
            seen.add((p.field, p.message))
            out.append(p)
    return out


# --------------------------------------------------------------------------------------------------------
# materials and regions
# --------------------------------------------------------------------------------------------------------


def _material_uses(case: Case) -> list[tuple[str, str]]:
    """(field path, material name) for every material named in the case."""
    uses: list[tuple[str, str]] = []
    if case.laminate is not None:
        uses += [(f"laminate.layers.{k}.material", l.material) for k, l in enumerate(case.laminate.layers)]
    p = case.package
    if p is not None:
        for side in ("bottom", "top"):
            c = getattr(p.carriers, side)
            base = f"package.carriers.{side}"
            uses += [(f"{base}.layers.{k}.material", l.material) for k, l in enumerate(c.layers)]
            for k, chip in enumerate(c.chips):
                uses.append((f"{base}.chips.{k}.material", chip.material))
                uses.append((f"{base}.chips.{k}.bumps.material", chip.bumps.material))
        uses.append(("package.adhesive.material", p.adhesive.material))
        uses.append(("package.encapsulant.material", p.encapsulant.material))
        if p.interconnect.material is not None:
            uses.append(("package.interconnect.material", p.interconnect.material))
        if p.interconnect.fill_material is not None and p.interconnect.fill == "plated":
            uses.append(("package.interconnect.fill_material", p.interconnect.fill_material))
        for balls in ("top_balls", "bottom_balls"):
            if getattr(p, balls) is not None:
                uses.append((f"package.{balls}.material", getattr(p, balls).material))
    uses += [(f"load.stress_free_by_material.{m}", m) for m in case.load.stress_free_by_material]
    return uses


def _raw_material_uses(raw: dict) -> list[tuple[str, str]]:
    """(field path, material name) for every ``material``/``fill_material`` string in unvalidated data."""
    uses: list[tuple[str, str]] = []

    def walk(node: Any, path: list[Any]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("material", "fill_material") and isinstance(v, str):
                    uses.append((join([*path, k]), v))
                else:
                    walk(v, [*path, k])
        elif isinstance(node, list):
            for k, v in enumerate(node):
                walk(v, [*path, k])

    for key in ("package", "laminate"):
        walk(raw.get(key), [key])
    load = raw.get("load")
    if isinstance(load, dict) and isinstance(load.get("stress_free_by_material"), dict):
        uses += [(f"load.stress_free_by_material.{m}", m) for m in load["stress_free_by_material"]
                 if isinstance(m, str)]
    return uses


def _check_material_names(uses: list[tuple[str, str]], materials: dict) -> list[Problem]:
    known = sorted(materials)
    out = []
    for field, name in uses:
        if name not in materials:
            hint = closest(name, known)
            msg = f"material '{name}' is not in the library or the case's materials section"
            msg += f"; did you mean '{hint}'?" if hint else ""
            msg += f" (known: {', '.join(known)})"
            out.append(Problem(field, msg))
    return out
