"""The case file's ``materials:`` block -> :class:`~fcpkg_fem.materials.model.Material` objects.

Input is plain data straight from YAML. Every problem found is collected and raised together as one
:class:`~fcpkg_fem.errors.InputError` whose fields are dotted paths (``materials.my_glue.E.value[2]``).

An entry either **overrides** a library material (``base: <library name>``; an entry named like a library
material without ``base`` overrides that material in place) or **defines** a new one (then ``E`` + ``nu`` or
``orthotropic``, the CTE, and ``source`` are required). See docs/materials.md for the syntax and an example.

Property values are a scalar with units (``"2 GPa"``; a bare number is in the property's default unit, see
:data:`PROPERTY_KINDS`) or a table ``{temperature: [...], value: [...]}`` (same length >= 1, strictly increasing
temperatures, linear interpolation, constant beyond the ends). A CTE may also be ``{glassy: .., rubbery: .., Tg: ..}``
(instantaneous step at Tg; Tg defaults to the material's Tg).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping

from fcpkg_fem.errors import InputError
from fcpkg_fem.materials import library
from fcpkg_fem.materials.model import (
    CTE, CureShrinkage, Isotropic, Material, Orthotropic, Table, _ORTHO_KEYS,
)
from fcpkg_fem.materials.moisture import moisture_of
from fcpkg_fem.materials.spec_fields import _Collector, _parse_table, _text, _unknown_keys
from fcpkg_fem.materials.spec_moisture import parse_moisture
from fcpkg_fem.materials.spec_models import (MODEL_FILE_KEYS, SOLDER_FAMILY_NAMES, _parse_anand, _parse_darveaux,
                                             _parse_j2, _parse_prony)
from fcpkg_fem.units import parse_quantity

__all__ = ["resolve_materials", "PROPERTY_KINDS", "ENTRY_KEYS", "MODEL_FILE_KEYS"]

PROPERTY_KINDS: dict[str, str] = {
    "E": "stress",
    "nu": "dimensionless",
    "cte": "cte",
    "cte_xy": "cte",
    "cte_z": "cte",
    "conductivity": "conductivity",
    "conductivity_xy": "conductivity",
    "conductivity_z": "conductivity",
    "density": "density",
    "specific_heat": "specific_heat",
}
"""Temperature-dependent property key -> unit kind (see fcpkg_fem.units.KINDS)."""

ENTRY_KEYS = (
    "base", "description", "source", "notes",
    "E", "nu", "orthotropic",
    "cte", "cte_xy", "cte_z", "cte_kind", "cte_reference_temperature",
    "conductivity", "conductivity_xy", "conductivity_z", "density", "specific_heat", "Tg", "cure_shrinkage",
    "solidus", "anand", "j2", "prony", "solder_family", "darveaux", "moisture",
)
"""Every key a ``materials.<name>`` entry accepts."""

_ORTHO_KINDS = {k: ("stress" if k[0] in "EG" else "dimensionless") for k in _ORTHO_KEYS}
_CTE_KINDS = ("instantaneous", "secant")
_STEP_KEYS = ("glassy", "rubbery", "Tg")


def _parse_cte(raw: Any, field: str, Tg: float | None, out: _Collector) -> tuple[Table | None, bool]:
    """A CTE value: scalar, table or glassy/rubbery step. Returns (table, is_step)."""
    if isinstance(raw, Mapping) and any(k in raw for k in ("glassy", "rubbery")):
        n_before = len(out.problems)
        _unknown_keys(raw, _STEP_KEYS, field, out)
        a1 = out.run(parse_quantity, raw["glassy"], "cte", f"{field}.glassy") if "glassy" in raw else None
        a2 = out.run(parse_quantity, raw["rubbery"], "cte", f"{field}.rubbery") if "rubbery" in raw else None
        for key in ("glassy", "rubbery"):
            if key not in raw:
                out.add(f"{field}.{key}", "missing; a glassy/rubbery CTE needs 'glassy', 'rubbery' and a Tg")
        tg = out.run(parse_quantity, raw["Tg"], "temperature", f"{field}.Tg") if "Tg" in raw else Tg
        if "Tg" not in raw and Tg is None:
            out.add(f"{field}.Tg", "missing; give Tg here or as the material's 'Tg'")
        if len(out.problems) > n_before or a1 is None or a2 is None or tg is None:
            return None, True
        return Table.step(tg, a1, a2), True
    return _parse_table(raw, "cte", field, out), False


def _move_step(t: Table, old: float, new: float) -> Table:
    """A pure glassy/rubbery step at ``old`` moved to ``new``; any other table unchanged."""
    if t.T_C.size == 2 and t.T_C[0] == t.T_C[1] == old:
        return Table.step(new, t.values[0], t.values[1])
    return t


@dataclasses.dataclass
class _Entry:
    """One ``materials.<name>`` entry while it is read: the raw mapping, the material it overrides (None for a new
    one), its dotted field path, the source text of what it gives, the problem collector, and the source of each
    property it sets (in the order they are read)."""

    raw: Mapping
    base: Material | None
    field: str
    src: str
    out: _Collector
    sources: dict[str, str] = dataclasses.field(default_factory=dict)


def _entry_base(name: str, raw: Mapping, field: str, out: _Collector) -> tuple[bool, Material | None]:
    """(ok, base): the library material the entry overrides (``base:``, or its own name), None for a new one; not
    ok when ``base:`` names no library material (problem recorded)."""
    if "base" in raw:
        base = out.run(library.get, raw["base"], f"{field}.base")
        return base is not None, base
    if name.lower() in library.builtin_names():
        return True, library.get(name.lower())
    return True, None


def _entry_temperatures(e: _Entry) -> tuple[float | None, bool, dict[str, Any]]:
    """(Tg, whether the entry gives Tg, the solidus change as Material keywords)."""
    raw, field, out = e.raw, e.field, e.out
    Tg = e.base.Tg if e.base is not None else None
    Tg_given = "Tg" in raw
    if Tg_given:
        Tg = out.run(parse_quantity, raw["Tg"], "temperature", f"{field}.Tg")
        e.sources["Tg"] = e.src
    solidus_changes: dict[str, Any] = {}
    if "solidus" in raw:
        solidus_changes["solidus"] = out.run(parse_quantity, raw["solidus"], "temperature", f"{field}.solidus")
        e.sources["solidus"] = e.src
    return Tg, Tg_given, solidus_changes


def _entry_orthotropic(e: _Entry, elastic: Any) -> Any:
    """``orthotropic:`` over the base's orthotropic constants (if any) -> Orthotropic, else ``elastic`` unchanged."""
    raw, field, out = e.raw, e.field, e.out
    ortho = raw["orthotropic"]
    f_o = f"{field}.orthotropic"
    if not isinstance(ortho, Mapping):
        out.add(f_o, f"{ortho!r} is not a mapping; give {', '.join(_ORTHO_KEYS)}")
        return elastic
    _unknown_keys(ortho, _ORTHO_KEYS, f_o, out)
    prev = elastic.tables() if isinstance(elastic, Orthotropic) else {}
    tabs = {}
    for key in _ORTHO_KEYS:
        if key in ortho:
            tabs[key] = _parse_table(ortho[key], _ORTHO_KINDS[key], f"{f_o}.{key}", out)
        elif key in prev:
            tabs[key] = prev[key]
        else:
            why = "" if e.base is None else " (the base material is not orthotropic)"
            out.add(f"{f_o}.{key}", f"missing{why}; orthotropic needs all of {', '.join(_ORTHO_KEYS)}")
    if len(tabs) == len(_ORTHO_KEYS) and all(t is not None for t in tabs.values()):
        elastic = Orthotropic(**tabs)
    e.sources["E"] = e.sources["nu"] = e.src
    return elastic


def _entry_isotropic(e: _Entry, elastic: Any) -> Any:
    """``E`` and/or ``nu`` over the base's isotropic constants -> Isotropic, else ``elastic`` unchanged."""
    raw, field, out = e.raw, e.field, e.out
    E = _parse_table(raw["E"], "stress", f"{field}.E", out) if "E" in raw else None
    nu = _parse_table(raw["nu"], "dimensionless", f"{field}.nu", out) if "nu" in raw else None
    if nu is not None and (nu.values.min() <= -1 or nu.values.max() >= 0.5):
        out.add(f"{field}.nu", f"{raw['nu']!r}: an isotropic Poisson ratio must lie in (-1, 0.5)")
        nu = None
    if isinstance(elastic, Isotropic):
        E = E if "E" in raw else elastic.E
        nu = nu if "nu" in raw else elastic.nu
    else:
        for key in ("E", "nu"):
            if key not in raw:
                why = "the base material is orthotropic" if e.base is not None else "a new material needs both"
                out.add(f"{field}.{key}", f"missing; {why}: give 'E' and 'nu' (isotropic) or 'orthotropic'")
    if E is not None and nu is not None:
        elastic = Isotropic(E, nu)
    for key in ("E", "nu"):
        if key in raw:
            e.sources[key] = e.src
    return elastic


def _entry_elastic(e: _Entry) -> Any:
    """The entry's elasticity: isotropic (``E``, ``nu``) or ``orthotropic``, over the base's; None if missing."""
    raw = e.raw
    elastic = e.base.elastic if e.base is not None else None
    has_iso = "E" in raw or "nu" in raw
    if "orthotropic" in raw and has_iso:
        e.out.add(e.field, "give either 'E' and 'nu' (isotropic) or 'orthotropic', not both")
    elif "orthotropic" in raw:
        elastic = _entry_orthotropic(e, elastic)
    elif has_iso:
        elastic = _entry_isotropic(e, elastic)
    elif e.base is None:
        e.out.add(f"{e.field}.E", "missing; a new material needs 'E' and 'nu' (isotropic) or 'orthotropic'")
    return elastic


def _entry_cte_kind(e: _Entry, cte: CTE | None) -> tuple[str, float | None, bool]:
    """(kind, reference temperature T0, whether ``cte_kind`` is given): the entry's over the base CTE's."""
    raw, field, out = e.raw, e.field, e.out
    kind = cte.kind if cte is not None else "instantaneous"
    T0 = cte.T0 if cte is not None else None
    kind_given = "cte_kind" in raw
    if kind_given:
        if raw["cte_kind"] in _CTE_KINDS:
            kind = raw["cte_kind"]
        else:
            out.add(f"{field}.cte_kind", f"{raw['cte_kind']!r} is not a CTE kind; use one of: {', '.join(_CTE_KINDS)}")
    if "cte_reference_temperature" in raw:
        T0 = out.run(parse_quantity, raw["cte_reference_temperature"], "temperature",
                     f"{field}.cte_reference_temperature")
        if kind != "secant":
            out.add(f"{field}.cte_reference_temperature",
                    "only meaningful with 'cte_kind: secant' (an instantaneous CTE needs no reference)")
    elif kind == "secant" and T0 is None:
        out.add(f"{field}.cte_reference_temperature",
                "missing; a secant CTE is measured from a reference temperature: give it (e.g. '25 C')")
    return kind, T0, kind_given


def _entry_cte_directions(e: _Entry, Tg: float | None, kind: str) -> dict[str, Table | None]:
    """The CTE tables the entry gives, by direction x, y, z (``cte``, or ``cte_xy`` and ``cte_z``)."""
    raw, field, out = e.raw, e.field, e.out
    dirs: dict[str, Table | None] = {}
    steps = []
    if "cte" in raw and ("cte_xy" in raw or "cte_z" in raw):
        out.add(field, "give either 'cte' (same in x, y, z) or 'cte_xy' and 'cte_z', not both")
    elif "cte" in raw:
        t, step = _parse_cte(raw["cte"], f"{field}.cte", Tg, out)
        dirs = {"x": t, "y": t, "z": t}
        steps.append(("cte", step))
    else:
        if "cte_xy" in raw:
            t, step = _parse_cte(raw["cte_xy"], f"{field}.cte_xy", Tg, out)
            dirs["x"] = dirs["y"] = t
            steps.append(("cte_xy", step))
        if "cte_z" in raw:
            t, step = _parse_cte(raw["cte_z"], f"{field}.cte_z", Tg, out)
            dirs["z"] = t
            steps.append(("cte_z", step))
    for key, step in steps:
        if step and kind == "secant":
            out.add(f"{field}.{key}", "a glassy/rubbery CTE is an instantaneous step; it cannot be used with "
                                      "'cte_kind: secant'")
    return dirs


def _entry_cte(e: _Entry, Tg: float | None, Tg_given: bool) -> CTE | None:
    """The entry's CTE over the base's; a base's glassy/rubbery step follows a changed Tg."""
    raw, field, out, base = e.raw, e.field, e.out, e.base
    cte = base.cte if base is not None else None
    kind, T0, kind_given = _entry_cte_kind(e, cte)
    dirs = _entry_cte_directions(e, Tg, kind)
    if base is None and not dirs:
        out.add(f"{field}.cte", "missing; a new material needs 'cte' (or 'cte_xy' and 'cte_z')")
    elif base is None and len(dirs) < 3:
        missing = "cte_z" if "z" not in dirs else "cte_xy"
        out.add(f"{field}.{missing}", "missing; give both 'cte_xy' and 'cte_z' (or one 'cte')")
    elif cte is not None and len(dirs) < 3 and (kind != cte.kind or T0 != cte.T0) and (dirs or kind_given):
        out.add(f"{field}.cte_kind", f"changing the CTE kind or reference of '{base.name}' needs every direction "
                                     "('cte', or 'cte_xy' and 'cte_z'): the base data would be reread otherwise")
    if all(t is not None for t in dirs.values()) and (dirs or kind_given or "cte_reference_temperature" in raw):
        old = dict(zip("xyz", cte.tables())) if cte is not None else {}
        merged = {d: dirs.get(d, old.get(d)) for d in "xyz"}
        if all(t is not None for t in merged.values()) and not (kind == "secant" and T0 is None):
            try:
                cte = CTE(merged["x"], merged["y"], merged["z"], kind, T0 if kind == "secant" else None)
            except ValueError as err:
                out.add(f"{field}.cte", str(err))
            e.sources["cte"] = e.src
    elif Tg_given and Tg is not None and base is not None and base.Tg is not None and cte is not None:
        # Only Tg changed: move the base material's glassy/rubbery step with it.
        cte = CTE(*(_move_step(t, base.Tg, Tg) for t in cte.tables()), cte.kind, cte.T0)
    return cte


def _entry_thermal(e: _Entry) -> tuple[tuple | None, Table | None, Table | None]:
    """(conductivity tables (x, y, z), density, specific heat): the entry's over the base's."""
    raw, field, out, base = e.raw, e.field, e.out, e.base
    k = base.k if base is not None else None
    if "conductivity" in raw and ("conductivity_xy" in raw or "conductivity_z" in raw):
        out.add(field, "give either 'conductivity' or 'conductivity_xy' and 'conductivity_z', not both")
    elif "conductivity" in raw:
        t = _parse_table(raw["conductivity"], "conductivity", f"{field}.conductivity", out)
        k = (t, t, t) if t is not None else k
        e.sources["k"] = e.src
    elif "conductivity_xy" in raw or "conductivity_z" in raw:
        old_k = k or (None, None, None)
        kxy = (_parse_table(raw["conductivity_xy"], "conductivity", f"{field}.conductivity_xy", out)
               if "conductivity_xy" in raw else old_k[0])
        kz = (_parse_table(raw["conductivity_z"], "conductivity", f"{field}.conductivity_z", out)
              if "conductivity_z" in raw else old_k[2])
        if kxy is None or kz is None:
            missing = "conductivity_xy" if kxy is None else "conductivity_z"
            if missing not in raw:
                out.add(f"{field}.{missing}", "missing; give both 'conductivity_xy' and 'conductivity_z'")
        else:
            k = (kxy, kxy, kz)
        e.sources["k"] = e.src
    rho = base.rho if base is not None else None
    if "density" in raw:
        rho = _parse_table(raw["density"], "density", f"{field}.density", out)
        e.sources["rho"] = e.src
    cp = base.cp if base is not None else None
    if "specific_heat" in raw:
        cp = _parse_table(raw["specific_heat"], "specific_heat", f"{field}.specific_heat", out)
        e.sources["cp"] = e.src
    return k, rho, cp


def _entry_extra(e: _Entry, base_dir: Path | None) -> dict[str, Any]:
    """The entry's model parameters (``material.extra``): cure shrinkage and the nonlinear models (docs/models.md),
    each over the base's or new."""
    raw, field, out, src = e.raw, e.field, e.out, e.src
    # cure shrinkage: total volumetric shrinkage dV/V over a full cure (a plain fraction, 0.003 = 0.3 %)
    extra = {}
    if "cure_shrinkage" in raw:
        f_cs = f"{field}.cure_shrinkage"
        v = out.run(parse_quantity, raw["cure_shrinkage"], "dimensionless", f_cs)
        if v is not None and not 0.0 <= v < 0.2:
            out.add(f_cs, f"{raw['cure_shrinkage']!r} is not a volumetric cure shrinkage; give dV/V as a fraction "
                          "between 0 and 0.2 (0.003 for 0.3 %)")
        elif v is not None:
            extra["cure_shrinkage"] = CureShrinkage(v, src)
            e.sources["cure_shrinkage"] = src
    base_extra = e.base.extra if e.base is not None else {}
    if "solder_family" in raw:
        fam = raw["solder_family"]
        if fam not in SOLDER_FAMILY_NAMES:
            out.add(f"{field}.solder_family", f"{fam!r} is not a solder family; give one of "
                                               f"{', '.join(SOLDER_FAMILY_NAMES)}")
        else:
            extra["solder_family"] = fam
    if "darveaux" in raw:
        dv = _parse_darveaux(raw["darveaux"], f"{field}.darveaux", out)
        if dv is not None:
            dv["family"] = extra.get("solder_family", base_extra.get("solder_family", ""))
            extra["darveaux"] = dv
            e.sources["darveaux"] = dv["source"]
    parsers = {
        "anand": lambda r, b, f: _parse_anand(r, b, f, src, out),
        "j2": lambda r, b, f: _parse_j2(r, b, f, src, out),
        "prony": lambda r, b, f: _parse_prony(r, b, f, src, out, base_dir),
    }
    for key, parse in parsers.items():
        if key in raw:
            prm = parse(raw[key], base_extra.get(key), f"{field}.{key}")
            if prm is not None:
                extra[key] = prm
                e.sources[key] = prm.source
    if "moisture" in raw:  # over the base's record (its own, or the library's for its name)
        prm = parse_moisture(raw["moisture"], moisture_of(e.base) if e.base is not None else None,
                             f"{field}.moisture", src, out)
        if prm is not None:
            extra["moisture"] = prm
            e.sources["moisture"] = prm.source
    elif e.base is not None and not field.endswith("." + e.base.name) and "moisture" not in base_extra \
            and moisture_of(e.base) is not None:
        # a renamed copy (base: emc) keeps the library record of its base; an in-place override finds it by name
        extra["moisture"] = moisture_of(e.base)
        e.sources["moisture"] = extra["moisture"].source
    return extra


def _resolve_entry(name: str, raw: Any, field: str, out: _Collector, base_dir: Path | None = None) -> Material | None:
    if not isinstance(raw, Mapping):
        out.add(field, f"{raw!r} is not a mapping; give the material's properties as 'key: value' lines")
        return None
    n_before = len(out.problems)
    _unknown_keys(raw, ENTRY_KEYS, field, out)
    ok, base = _entry_base(name, raw, field, out)
    if not ok:
        return None
    source = _text(raw, "source", field, out, required=base is None)
    description = _text(raw, "description", field, out)
    notes = _text(raw, "notes", field, out)
    e = _Entry(raw, base, field, source or "case file override (no source given)", out)
    Tg, Tg_given, solidus_changes = _entry_temperatures(e)
    elastic = _entry_elastic(e)
    cte = _entry_cte(e, Tg, Tg_given)
    k, rho, cp = _entry_thermal(e)
    extra = _entry_extra(e, base_dir)
    if len(out.problems) > n_before or elastic is None or cte is None:
        return None
    try:
        if base is None:
            return Material(
                name=name, elastic=elastic, cte=cte, k=k, rho=rho, cp=cp, description=description or "",
                Tg=Tg, sources={**e.sources, "all": e.src}, notes=notes or "", extra=extra, **solidus_changes,
            )
        changes: dict[str, Any] = {"name": name, "elastic": elastic, "cte": cte, "k": k, "rho": rho, "cp": cp,
                                   **solidus_changes}
        if extra:
            changes["extra"] = extra
        if description is not None:
            changes["description"] = description
        if notes is not None:
            changes["notes"] = notes
        return base.with_overrides(sources=e.sources, Tg=Tg, **changes)
    except InputError as err:
        for p in err.problems:
            out.add(field, p.message)
        return None


def resolve_materials(raw: dict | None, field: str = "materials", base_dir: Any = None) -> dict[str, Material]:
    """Every material a case can name: the built-in library plus the case's own entries.

    Args:
        raw: the case file's ``materials:`` mapping (name -> entry), or None.
        field: dotted path of the block, for error messages.
        base_dir: folder that relative data-file paths (``prony.csv``, ``prony.relaxation_csv``) are read from;
            default the current directory. :func:`fcpkg_fem.case.load_case` passes the case file's folder.

    Returns:
        name -> Material; case entries replace library materials of the same name.

    Raises:
        InputError: every problem in the block, each with its dotted field path.
    """
    out = {n: library.get(n) for n in library.builtin_names()}
    if raw is None:
        return out
    if not isinstance(raw, Mapping):
        raise InputError.single(field, f"{raw!r} is not a mapping; give 'name: {{properties}}' entries")
    col = _Collector()
    for name, entry in raw.items():
        f = f"{field}.{name}"
        if not isinstance(name, str) or not name.strip() or any(c.isspace() for c in name):
            col.add(f, f"{name!r} is not a valid material name; use letters, digits, '_', '-' or '.' without spaces")
            continue
        mat = _resolve_entry(name, entry, f, col, Path(base_dir) if base_dir is not None else None)
        if mat is not None:
            out[name] = mat
    if col.problems:
        raise InputError(col.problems)
    return out
