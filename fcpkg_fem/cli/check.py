"""``fcpkg check CASE``: validate a case and print a one-screen summary of what it describes."""

from __future__ import annotations

import argparse

from pathlib import Path

from fcpkg_fem.case.assumed import assumed_values
from fcpkg_fem.case.plan import plan
from fcpkg_fem.run import preflight as guard

from .common import add_case_args, add_force_arg, length, load, um


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("check", help="validate a case and summarise it (no meshing, no solving)",
                       description="Validate CASE (with overrides) and print what it describes. Exit 0 when valid.")
    add_case_args(p)
    add_force_arg(p)
    p.set_defaults(func=cmd)
    return p


def _layers(layers: list[dict]) -> str:
    return ", ".join(f"{lay['name']} {um(lay['thickness'])} {lay['material']}" for lay in layers)


def _size(xy) -> str:
    return f"{xy[0] * 1e3:g} x {xy[1] * 1e3:g} mm"


def summary_lines(case, source: str) -> list[str]:
    """The lines ``check`` prints (plain text)."""
    d = case.resolved_dict()
    der = d.get("derived") or {}
    m = d["mesh"]
    out = [f"case:       {d['name']} ({source})",
           f"structure:  {d['structure']}, {m['symmetry']} model, {m['element']} elements, "
           f"mesh size {length(m['size'])} (features {length(m['feature_size'])}, "
           f"max layer {length(m['max_layer_thickness'])})"]
    out.append("parts:")
    if d["structure"] == "laminate":
        lam = d["laminate"]
        out.append(f"  laminate      {_size(lam['size'])}, {len(lam['layers'])} layers (bottom to top): "
                   f"{_layers(lam['layers'])}")
    else:
        pk = d["package"]
        bumps = der.get("bumps", {})
        for key, label in (("bottom", "carrier1"), ("top", "carrier2")):
            c = pk["carriers"][key]
            out.append(f"  {label:<13} {c['kind']} {_size(c['size'])}, layers: {_layers(c['layers'])}")
            for chip in c["chips"]:
                b = chip["bumps"]
                out.append(f"    die {chip['name']:<9} {_size(chip['size'])} x {um(chip['thickness'])} "
                           f"{chip['material']}; {bumps.get(chip['name'], '?')} bumps {b['material']} "
                           f"d {um(b['diameter'])}, standoff {um(b['standoff'])}")
        ad = pk["adhesive"]
        out.append(f"  adhesive      {ad['material']} {um(ad['thickness'])}"
                   + (f", {_size(ad['size'])}" if ad.get("size") else ", die overlap"))
        out.append(f"  encapsulant   {pk['encapsulant']['material']}, carrier gap {um(der.get('gap', 0.0))}")
        ic = pk["interconnect"]
        if ic["kind"] == "vias":
            out.append(f"  interconnect  {der.get('vias', '?')} vias {ic['material']} d {um(ic['diameter'])} "
                       f"({ic['fill']})")
        elif ic["kind"] == "traces":
            out.append(f"  interconnect  {der.get('traces', '?')} traces {ic['material']} "
                       f"{um(ic['width'])} x {um(ic['thickness'])}")
        else:
            out.append("  interconnect  none")
        for key in ("top_balls", "bottom_balls"):
            b = pk.get(key)
            if b:
                out.append(f"  {key:<13} {der.get(key, '?')} balls {b['material']} d {um(b['diameter'])}, "
                           f"height {um(b['height'])}")
    regions = case.region_materials()
    out.append(f"regions:    {len(regions)}: {', '.join(regions)}")
    out.append(f"materials:  {', '.join(sorted(set(regions.values())))}")
    ld = d["load"]
    sf = [f"{ld['stress_free_temperature']:g} degC"]
    sf += [f"{k} {v:g} degC" for k, v in {**ld["stress_free_by_material"], **ld["stress_free_by_region"]}.items()]
    out.append(f"stress-free: {sf[0]}" + (f" (except {', '.join(sf[1:])})" if len(sf) > 1 else ""))
    if ld.get("steps"):
        steps = plan(case)
        out.append(f"steps:      {len(steps)}, {steps[-1].t_end:g} s, "
                   f"{sum(len(s.increments) for s in steps)} mechanical increments, "
                   f"{sum(len(s.report_times) for s in steps) + 1} outputs")
        for s in steps:
            born = f"; born: {', '.join(s.births)}" if s.births else ""
            cure = f"; cure: {', '.join(s.cures)}" if s.cures else ""
            out.append(f"  {s.name:<18} {s.kind:<13} {s.t_start:>9g}..{s.t_end:<9g} s, "
                       f"{len(s.increments)} increments{born}{cure}")
        models = {k: v for k, v in (d.get("models") or {}).items() if v != "elastic"}
        if models:
            out.append("models:     " + ", ".join(f"{k} {v}" for k, v in models.items()))
    else:
        if ld.get("history"):
            h = ld["history"]
            outs = [f"t={t:g} s: {T:g} degC" for t, T in zip(h["time"], h["temperature"])]
        else:
            outs = [f"{T:g} degC" for T in ld["temperatures"]]
        out.append(f"outputs:    {len(outs)}: {', '.join(outs)}")
    files = [k for k in ("csv", "vtu", "plots", "report") if d["output"][k]]
    out.append(f"writes:     summary.json + {', '.join(files) or 'nothing else'} -> "
               f"{d['output']['dir'] or 'runs/' + d['name']} (unless --out)")
    return out


def assumed_lines(case) -> list[str]:
    """The assumed material values the case uses (docs/materials.md, "Built-in materials"), one line each."""
    vals = assumed_values(case)
    if not vals:
        return ["assumed:    none (every material value the case uses names its source)"]
    out = [f"assumed:    {len(vals)} material values this case uses are assumed, no readable document states them "
           "(docs/materials.md); override them under materials: with a source where results depend on them:"]
    out += [f"  {v.material + '.' + v.prop:<24} {v.reason()}" for v in vals]
    return out


def size_lines(case, est: "guard.Estimate", mem: "guard.Memory | None") -> list[str]:
    """The size estimate and the memory it needs against what the machine has (plain text)."""
    out = [est.line()]
    if mem is None:
        out.append("memory:     available memory unknown on this machine; not checked")
    else:
        verdict = "fits" if est.memory <= mem.available else "DOES NOT FIT (fcpkg run refuses it without --force)"
        out.append(f"memory:     ~{guard.format_bytes(est.memory)} needed, "
                   f"{guard.format_bytes(mem.available)} available ({mem.source}): {verdict}")
    return out


def cmd(args: argparse.Namespace) -> int:
    case = load(args)
    if getattr(case.output, "dir", None):
        guard.confine(case.output.dir, Path.cwd(), "output.dir")  # symlinks leading out: as fcpkg run would
    est = guard.estimate(case)
    mem = guard.available_memory()
    guard.check_memory(case, est, force=args.force, memory=mem)
    print("\n".join(summary_lines(case, args.case) + assumed_lines(case) + size_lines(case, est, mem)
                    + ["ok: the case is valid"]))
    return 0

