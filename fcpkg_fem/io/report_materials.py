"""The materials part of ``report.html``: the values the run used, each with its source, assumed values marked.

A value is *used* when the analysis reads it (:func:`fcpkg_fem.case.assumed.used_properties`: elastic constants,
CTE and Tg always; the solidus and cure shrinkage in a process history; conductivity, density and specific heat
with transient heat; the parameter block of a region's inelastic model). Its source text is the material's
provenance record (:func:`fcpkg_fem.materials.provenance.source_of`); a text that says ``assumed`` or gives no
source is marked assumed, as ``fcpkg check`` lists it.

Units in the page: moduli GPa (yield and Anand stresses MPa), CTE ppm/K, temperatures degC, times s.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

import numpy as np

from fcpkg_fem.io.report_format import DASH, e, integer, sig, table
from fcpkg_fem.materials.model import Isotropic, Material, Table
from fcpkg_fem.materials.provenance import is_assumed, source_of

__all__ = ["materials_html", "table_text", "property_text"]

_ASSUMED = '<span class="assumed">assumed</span> '

#: how each used property is labelled in the page, with its unit
LABELS = {"E": "E (GPa)", "nu": "Poisson's ratio", "cte": "CTE (ppm/K)", "Tg": "Tg (\u00b0C)",
          "solidus": "solidus (\u00b0C)", "k": "conductivity (W/(m K))", "rho": "density (kg/m\u00b3)",
          "cp": "specific heat (J/(kg K))", "anand": "Anand viscoplasticity", "j2": "J2 plasticity",
          "prony": "viscoelasticity (Prony series, time shift)", "cure_shrinkage": "cure shrinkage"}


def table_text(t: Table, scale: float = 1.0, digits: int = 3) -> str:
    """A temperature table in words: a constant; a step (``a below T, b from T``); up to six points listed
    (``v1 / v2 at T1 / T2 degC``); more as a range with the value at 25 degC. Values times ``scale``."""
    T, v = np.asarray(t.T_C, dtype=float), np.asarray(t.values, dtype=float) * scale
    if T.size == 1:
        return sig(float(v[0]), digits)
    if T.size == 2 and T[0] == T[1]:
        return f"{sig(float(v[0]), digits)} below {sig(float(T[0]))} \u00b0C, {sig(float(v[1]), digits)} from it"
    if T.size <= 6:
        return (" / ".join(sig(float(x), digits) for x in v) + " at "
                + " / ".join(sig(float(x)) for x in T) + " \u00b0C")
    at25 = float(np.asarray(t(np.array([25.0])), dtype=float)[0]) * scale
    return (f"{sig(float(v.min()), digits)} to {sig(float(v.max()), digits)} over {sig(float(T[0]))} to "
            f"{sig(float(T[-1]))} \u00b0C ({integer(T.size)} points; {sig(at25, digits)} at 25 \u00b0C)")


def _directions(tabs: tuple[Table, Table, Table], scale: float) -> str:
    """x, y, z tables: one text when equal, else per direction (x and y together when equal)."""
    x, y, z = (table_text(t, scale) for t in tabs)
    if x == y == z:
        return x
    if x == y:
        return f"x, y: {x}; z: {z}"
    return f"x: {x}; y: {y}; z: {z}"


def _elastic(m: Material, which: str) -> str:
    el = m.elastic
    if isinstance(el, Isotropic):
        return table_text(el.E, 1e-9) if which == "E" else table_text(el.nu)
    if which == "E":
        return (f"E x, y, z: {', '.join(table_text(getattr(el, k), 1e-9) for k in ('E1', 'E2', 'E3'))}; "
                f"G xy, xz, yz: {', '.join(table_text(getattr(el, k), 1e-9) for k in ('G12', 'G13', 'G23'))} "
                "(orthotropic, material axes = x, y, z)")
    return f"\u03bd xy, xz, yz: {', '.join(table_text(getattr(el, k)) for k in ('nu12', 'nu13', 'nu23'))}"


def _anand(p: Any) -> str:
    return (f"s0 {sig(p.s0 / 1e6)} MPa, Q/R {sig(p.Q_R)} K, A {sig(p.A)} 1/s, \u03be {sig(p.xi)}, m {sig(p.m)}, "
            f"h0 {sig(p.h0 / 1e6)} MPa, \u015d {sig(p.s_hat / 1e6)} MPa, n {sig(p.n)}, a {sig(p.a)}")


def _j2(p: Any) -> str:
    out = (f"yield stress (MPa): {table_text(p.sigma_y, 1e-6)}; hardening moduli (MPa): isotropic "
           f"{table_text(p.H_iso, 1e-6)}, kinematic {table_text(p.H_kin, 1e-6)}")
    if p.hardening_curve is not None:
        out += f"; hardening curve R(p) of {integer(np.asarray(p.hardening_curve.T_C).size)} points"
    return out


def _prony(p: Any) -> str:
    taus = list(p.tau_G) + list(p.tau_K)
    out = (f"G {integer(len(p.G))} terms, K {integer(len(p.K))} terms, \u03c4 {sig(min(taus))} to {sig(max(taus))} s "
           if taus else "no relaxation terms, ")
    out += (f"at Tref {sig(p.Tref_C)} \u00b0C; G glassy {sig(p.G0 / 1e9)} / rubbery {sig(p.G_inf / 1e9)} GPa, "
            f"K glassy {sig(p.K0 / 1e9)} / rubbery {sig(p.K_inf / 1e9)} GPa; shift: ")
    if p.Tg_C is not None:
        out += (f"WLF C1 {sig(p.C1)}, C2 {sig(p.C2)} K from Tg {sig(p.Tg_C)} \u00b0C up, "
                f"Arrhenius Ea/R {sig(p.Ea_R)} K below")
    elif p.C1 is not None:
        out += f"WLF C1 {sig(p.C1)}, C2 {sig(p.C2)} K"
    elif p.Ea_R is not None:
        out += f"Arrhenius Ea/R {sig(p.Ea_R)} K"
    else:
        out += "none"
    return out


def property_text(m: Material, prop: str) -> str:
    """The value of ``prop`` (a key of :data:`LABELS`) as the run used it, in the units of :data:`LABELS`."""
    if prop in ("E", "nu"):
        return _elastic(m, prop)
    if prop == "cte":
        c = m.cte
        text = _directions(c.tables(), 1e6)
        return text + (f" (secant, from {sig(c.T0)} \u00b0C)" if c.kind == "secant" else " (instantaneous)")
    if prop in ("Tg", "solidus"):
        v = getattr(m, prop)
        return DASH if v is None else sig(v)
    if prop == "k":
        return DASH if m.k is None else _directions(m.k, 1.0)
    if prop in ("rho", "cp"):
        t = getattr(m, prop)
        return DASH if t is None else table_text(t, 1.0, 4)
    block = m.extra.get(prop)
    if block is None:
        return DASH
    if prop == "anand":
        return _anand(block)
    if prop == "j2":
        return _j2(block)
    if prop == "prony":
        return _prony(block)
    if prop == "cure_shrinkage":
        return f"volumetric {sig(100.0 * block.volumetric)} %"
    return _fields(block)


def _fields(block: Any) -> str:
    """A parameter record this page has no wording for, field by field in internal (SI) units."""
    if dataclasses.is_dataclass(block):
        items = [(f.name, getattr(block, f.name)) for f in dataclasses.fields(block) if f.name != "source"]
        return "; ".join(f"{e(k)} {sig(v) if isinstance(v, (int, float)) else e(v)}" for k, v in items) + " (SI)"
    return e(block)


def _overview(materials: dict[str, Material], used: Iterable[str], regions: dict[str, list[str]],
              models: dict[str, set[str]], n_assumed: dict[str, int]) -> str:
    rows = []
    for name in used:
        m = materials[name]
        s = m.summary(25.0)
        E = sig(s["E_GPa"], 3) if "E_GPa" in s else ", ".join(sig(s[k], 3) for k in ("E1_GPa", "E2_GPa", "E3_GPa"))
        nu = sig(s["nu"], 3) if "nu" in s else ", ".join(sig(s[k], 3) for k in ("nu12", "nu13", "nu23"))
        cte = s["cte_ppm_per_K"]
        cte_text = sig(cte[0], 3) if len(set(cte)) == 1 else ", ".join(sig(c, 3) for c in cte)
        rows.append([e(name), e(", ".join(regions[name])), e(", ".join(sorted(models[name]))), E, nu, cte_text,
                     sig(m.Tg), integer(n_assumed.get(name, 0))])
    return table(["material", "regions", "model", "E at 25 \u00b0C (GPa)", "\u03bd at 25 \u00b0C",
                  "CTE at 25 \u00b0C (ppm/K)", "Tg (\u00b0C)", "assumed values"], rows, numeric_from=3)


def materials_html(materials: dict[str, Material], region_material: dict[str, str], region_model: dict[str, str],
                   used: dict[str, list[str]], assumed: list[Any]) -> str:
    """The materials the case uses: an overview at 25 degC, the assumed values (as ``fcpkg check`` lists them),
    and per material every used value with its source.

    Args:
        materials: name -> Material as the run resolved them.
        region_material, region_model: region -> material name / constitutive model name.
        used: material name -> the properties the analysis reads (:func:`fcpkg_fem.case.assumed.used_properties`).
        assumed: the used values whose source is assumed (:func:`fcpkg_fem.case.assumed.assumed_values`).
    """
    regions: dict[str, list[str]] = {}
    models: dict[str, set[str]] = {}
    for r, mat in region_material.items():
        regions.setdefault(mat, []).append(r)
        models.setdefault(mat, set()).add(region_model.get(r, "elastic"))
    names = [n for n in regions if n in materials]
    n_assumed: dict[str, int] = {}
    for a in assumed:
        n_assumed[a.material] = n_assumed.get(a.material, 0) + 1
    parts = [_overview(materials, names, regions, models, n_assumed)]
    if assumed:
        parts.append(f"<p><b>{integer(len(assumed))} of the material values this run used are assumed</b>: no "
                     "readable document states them (the same list as <code>fcpkg check</code>; docs/materials.md). "
                     "Where the results depend on them, override them under <code>materials:</code> with a source."
                     "</p>")
        parts.append(table(["value", "regions", "why assumed"],
                           [[e(f"{a.material}.{a.prop}"), e(", ".join(a.regions)), e(a.reason(160))]
                            for a in assumed], numeric_from=3))
    else:
        parts.append("<p>Every material value this run used names its source.</p>")
    for name in names:
        m = materials[name]
        rows, previous = [], None
        for prop in used.get(name, []):
            value = property_text(m, prop)
            if value == DASH:  # a property this material does not carry (no Tg, no solidus): nothing was used
                continue
            text = source_of(m, prop)
            mark = _ASSUMED if is_assumed(text) else ""
            # one document often states several values: say so instead of printing its long citation again
            cite = "the source above" if text and text == previous else text or "no source given"
            previous = text
            rows.append([e(LABELS.get(prop, prop)), value, f'<span class="src">{mark}{e(cite)}</span>'])
        desc = f" \u2014 {e(m.description)}" if m.description else ""
        parts.append(f"<h3>{e(name)}{desc}</h3>")
        parts.append(f'<p class="muted">used in {e(", ".join(regions[name]))}; model '
                     f'{e(", ".join(sorted(models[name])))}</p>')
        parts.append(table(["property", "value used", "source"], rows, numeric_from=3, cls="mat"))
    return "\n".join(parts)
