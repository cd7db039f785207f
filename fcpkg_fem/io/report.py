"""``report.html``: one self-contained page (inline CSS, PNGs embedded as base64) a person reads in a browser and
can hand to a colleague.

Content, in order: the run (fcpkg-fem version, date in UTC, machine and library versions); the inputs (geometry and
stack-up, each region's material, model and stress-free temperature, the materials with the values used and their
sources, assumed values marked, the load with its temperature-time profile drawn, the mesh controls;
:mod:`fcpkg_fem.io.report_inputs`); the mesh, solver and timing; for a process history its steps (increments,
Newton iterations, births, melting) and the fatigue life of the critical joints; an overview table (one row per
output time); a detail table per output time; for a run that models moisture its section
(:mod:`fcpkg_fem.io.report_moisture`); the plots; the conventions; the list of files of the run.
Numbers are formatted for people (:mod:`fcpkg_fem.io.report_format`): integers with thousands separators, units
in the column headers.
"""

from __future__ import annotations

import base64
import re
import datetime as _dt
from pathlib import Path
from typing import Any

from fcpkg_fem.io.atomic import atomic_write_text
from fcpkg_fem.io.plots import figure_png, plot_pngs, temperature_profile_figure
from fcpkg_fem.io.registry import output_index, register_writer
from fcpkg_fem.io.report_facts import mesh_html, run_facts_html, solver_html
from fcpkg_fem.io.report_format import e as _e
from fcpkg_fem.io.report_format import kv as _kv
from fcpkg_fem.io.report_format import num as _num
from fcpkg_fem.io.report_format import section as _section
from fcpkg_fem.io.report_format import sig
from fcpkg_fem.io.report_format import table as _table
from fcpkg_fem.io.report_inputs import Inputs, inputs_html, load_inputs, load_tables_html, profile_points
from fcpkg_fem.io.report_moisture import MOISTURE_PLOTS, moisture_html
from fcpkg_fem.post.result import RunResult

__all__ = ["report_html", "write_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:76em;
     padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}
h3{margin-bottom:.3em}
table{border-collapse:collapse;margin:.5em 0 1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f2f2f2} td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.mat td:nth-child(2){max-width:30em} .src{font-size:.85em;color:#333}
.assumed{background:#fff3c4;border:1px solid #e0c060;border-radius:3px;padding:0 .3em;font-size:.85em;
         font-weight:600;color:#6b5200}
.muted{color:#666;font-size:.9em} figure{margin:1em 0} figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.85em;color:#444} pre{white-space:pre-wrap;background:#f8f8f8;padding:.6em;border:1px solid #eee}
nav ul{columns:2;font-size:.9em}
@media print{figure,table{page-break-inside:avoid} nav{display:none}}
"""



def _item_name(item: dict) -> str:
    """A joint's name for a table: its index, with the layout file's id and net when given (``17 (A12, VDD)``)."""
    extra = [str(item[k]) for k in ("label", "net") if item.get(k) not in (None, "")]
    return _num(item.get("id")) + (f" ({_e(', '.join(extra))})" if extra else "")

def _at(xyz: Any) -> str:
    if not isinstance(xyz, (list, tuple)) or not xyz:
        return ""
    return "(" + ", ".join(format(float(c), ".3g") for c in xyz) + ") mm"


def _face_keys(outputs: list[dict[str, Any]]) -> list[str]:
    keys: list[str] = []
    for o in outputs:
        for k, v in (o.get("warpage") or {}).items():
            if isinstance(v, dict) and "signed_um" in v and k not in keys:
                keys.append(k)
    return keys


def _overview(result: RunResult) -> str:
    outs = result.outputs
    faces = _face_keys(outs)
    header = ["index", "time (s)", "T (\u00b0C)"]
    for f in faces:
        header += [f"{f} signed (\u00b5m)", f"{f} coplanarity (\u00b5m)", f"{f} shape"]
    header += ["PoP gap min (\u00b5m)", "max \u0394T (\u00b0C)"]
    rows = []
    for i, o in enumerate(outs):
        r = [_e(output_index(result, i)), _num(o.get("time_s")), _num(o.get("temperature_C"), ".2f")]
        for f in faces:
            w = (o.get("warpage") or {}).get(f) or {}
            r += [_num(w.get("signed_um"), "+.4g"), _num(w.get("coplanarity_um")), _e(w.get("shape", "\u2014"))]
        gap = (o.get("warpage") or {}).get("pop_gap") or {}
        r += [_num(gap.get("min_gap_um")), _num(o.get("max_temperature_difference_C"))]
        rows.append(r)
    return _table(header, rows, numeric_from=0)


def _output_detail(result: RunResult, i: int, o: dict[str, Any]) -> str:
    parts = [f"<h3>Output {_e(output_index(result, i))}: T = {_num(o.get('temperature_C'), '.2f')} \u00b0C"
             + (f", t = {_num(o.get('time_s'))} s" if o.get("time_s") is not None else "") + "</h3>"]
    warp = o.get("warpage") or {}
    rows = []
    for f in _face_keys([o]):
        w = warp[f]
        rows.append([_e(f), _e(w.get("face", "")), _e(w.get("view", "")), _num(w.get("signed_um"), "+.4g"),
                     _num(w.get("coplanarity_um")), _e(w.get("shape", "")), _num(w.get("corner_minus_center_um"), "+.4g"),
                     _num(w.get("curvature_x_1_per_m")), _num(w.get("curvature_y_1_per_m"))])
    if rows:
        parts.append(_table(["face", "surface", "viewed", "signed (\u00b5m)", "coplanarity (\u00b5m)", "shape",
                             "corner \u2212 centre (\u00b5m, +z)", "\u03ba_x (1/m)", "\u03ba_y (1/m)"], rows, numeric_from=3))
    gap = warp.get("pop_gap")
    if isinstance(gap, dict):
        parts.append(_table(["PoP gap", "min (\u00b5m)", "max (\u00b5m)", "nominal (\u00b5m)"],
                            [["carrier 2 top to stacked package", _num(gap.get("min_gap_um")),
                              _num(gap.get("max_gap_um")), _num(gap.get("nominal_um"))]]))
    regions = o.get("regions") or {}
    if regions:
        parts.append(_table(["region", "von Mises max (MPa)", "at", "max principal max (MPa)", "at"],
                            [[_e(r), _num(v.get("von_mises_max_MPa")), _at(v.get("von_mises_max_at_mm")),
                              _num(v.get("max_principal_max_MPa")), _at(v.get("max_principal_max_at_mm"))]
                             for r, v in regions.items()]))
    interfaces = o.get("interfaces") or {}
    if interfaces:
        parts.append(_table(["interface", "peel max (MPa)", "at", "shear max (MPa)", "at"],
                            [[_e(r), _num(v.get("peel_max_MPa")), _at(v.get("peel_max_at_mm")),
                              _num(v.get("shear_max_MPa")), _at(v.get("shear_max_at_mm"))]
                             for r, v in interfaces.items()]))
    crit_rows = []
    for section, label in (("bumps", "bump"), ("vias", "via")):
        for region, t in (o.get(section) or {}).items():
            c = t.get("critical") or {}
            crit_rows.append([f"{label}: {_e(region)}", _num(t.get("count"), "d") if isinstance(t.get("count"), int)
                              else _num(t.get("count")), _item_name(c),
                              _num(c.get("x_mm"), ".3f"), _num(c.get("y_mm"), ".3f"), _num(c.get("eq_strain")),
                              _num(c.get("von_mises_MPa")), _num(c.get("axial_strain"))])
    if crit_rows:
        parts.append(_table(["critical item", "count", "id", "x (mm)", "y (mm)", "eq. strain", "von Mises (MPa)",
                             "axial strain"], crit_rows))
    return "\n".join(parts)


def _process(process: dict[str, Any]) -> str:
    """The steps of a process history: what each did and what it cost in increments."""
    newton = process.get("newton") or {}
    parts = [_kv({"increments": newton.get("increments"), "Newton iterations": newton.get("iterations_total"),
                  "most in one increment": newton.get("iterations_max"), "cut-backs": newton.get("cutbacks")})]
    rows = []
    for st in process.get("steps") or []:
        changes = ", ".join(f"{e.get('region')} {e.get('change')}" for e in st.get("phase_changes") or [])
        rows.append([_e(st.get("name")), _e(st.get("kind")), _num(st.get("t_start_s")), _num(st.get("t_end_s")),
                     _num(st.get("increments")), _e(", ".join(st.get("births") or [])), _e(changes),
                     _e("; ".join(str(v) for v in st.get("violations") or []))])
    if rows:
        parts.append(_table(["step", "kind", "start (s)", "end (s)", "increments", "born", "melting", "violations"],
                            rows, numeric_from=2))
    return "\n".join(parts)


def _life(life: dict[str, Any]) -> str:
    """Per cycling step and joint region: the critical joint, its dW per complete cycle and the life estimates,
    each with the formula, the constants' source and the assumptions written next to the number."""
    parts = []
    if life.get("note"):
        parts.append(f'<p class="muted">{_e(life["note"])}</p>')
    for step, regions in (life.get("steps") or {}).items():
        rows, notes = [], []
        for region, e in regions.items():
            c = e.get("critical") or {}
            series = c.get("dW_layer_per_cycle_MJ_m3") or []
            change = c.get("dW_change_last_cycle")
            est = e.get("estimates") or {}
            missing = e.get("not_estimated") or {}
            rows.append([_e(region), _item_name(c), _num(c.get("x_mm"), ".3f"), _num(c.get("y_mm"), ".3f"),
                         _e(c.get("interface", "")), _num(c.get("layer_thickness_um"), ".3g"),
                         _e(" / ".join(format(v, ".4g") for v in series)),
                         _num(None if change is None else 100.0 * change, "+.1f"),
                         _num(c.get("d_eq_inelastic_strain")),
                         *[_num((est.get(k) or {}).get("cycles"), ".4g") if k not in missing else "not estimated"
                           for k in ("darveaux", "syed", "engelmaier")]])
            for k, v in est.items():
                at = f" (joint {_e(v['joint']['id'])})" if v.get("joint") else ""
                notes.append(f"<li><b>{_e(region)}, {_e(k)}</b>{at}: {_e(v.get('formula', ''))}. Source: "
                             f"{_e(v.get('source', ''))}. Assumptions: {_e('; '.join(v.get('assumptions') or []))}"
                             + (f". {_e(v['note'])}" if v.get("note") else "") + "</li>")
            for k, why in missing.items():  # a model left out is said, with why, never a blank cell
                notes.append(f"<li><b>{_e(region)}, {_e(k)}</b>: not estimated: {_e(why)}</li>")
        parts.append(f"<h3>Step {_e(step)}</h3>")
        parts.append(_table(["joints", "critical id", "x (mm)", "y (mm)", "pad", "layer (\u00b5m)",
                             "dW per cycle (MJ/m\u00b3)", "last change (%)", "\u0394\u03b5_in,eq per cycle",
                             "Darveaux (cycles)", "Syed (cycles)", "Engelmaier (cycles)"], rows))
        if notes:
            parts.append("<ul>" + "".join(notes) + "</ul>")
    return "\n".join(parts)


def _plots(result: RunResult, out_dir: Path) -> dict[str, bytes]:
    """PNG bytes by file name: the files the plots writer just wrote when present, else rendered afresh."""
    listed = (result.summary.get("files") or {}).get("plots") or []
    if listed and all((out_dir / p).is_file() for p in listed):
        return {p: (out_dir / p).read_bytes() for p in listed}
    return plot_pngs(result)


def _figure(name: str, data: bytes, caption: str) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return (f'<figure><img alt="{_e(name)}" src="data:image/png;base64,{b64}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _load_html(result: RunResult, inputs: Inputs | None) -> str:
    """The load's tables and, when it has a time axis, its temperature-time profile drawn."""
    d = inputs.resolved if inputs is not None else None
    parts = [load_tables_html(d, result.summary)]
    t, T = profile_points(d, result.history)
    steps = [(st.get("name"), st.get("t_start_s"), st.get("t_end_s"))
             for st in (result.summary.get("process") or {}).get("steps") or []
             if st.get("t_start_s") is not None and st.get("t_end_s") is not None]
    fig = temperature_profile_figure(t, T, steps, title="Temperature profile of the load")
    if fig is not None:
        what = ("every increment the process history ran, steps shaded alternately" if steps
                else "the case's T(t) table")
        parts.append(_figure("temperature_profile", figure_png(fig),
                             f"Uniform (oven) temperature against time: {what}."))
    return "\n".join(parts)


def _case_facts(s: dict[str, Any]) -> str:
    case = s.get("case") or {}
    return _kv({"case": case.get("name"), "structure": case.get("structure"), "case file": case.get("source"),
                "case hash (same hash = same inputs)": case.get("hash")})


def _run_sections(s: dict[str, Any]) -> list[str]:
    """Mesh, solver, time and memory."""
    parts = []
    if s.get("mesh"):
        parts.append(_section("mesh", "Mesh", mesh_html(s["mesh"])))
    if s.get("solver") or (s.get("process") or {}).get("newton"):
        parts.append(_section("solver", "Solver", solver_html(s)))
    timing = dict(s.get("timing_s") or {})
    if timing or s.get("peak_memory_MB") is not None:
        rows = [[_e(k), sig(float(v), 3)] for k, v in timing.items()]
        if s.get("peak_memory_MB") is not None:
            rows.append(["peak memory (MB)", sig(float(s["peak_memory_MB"]), 3)])
        parts.append(_section("time", "Time and memory", _table(["phase", "time (s)"], rows)))
    return parts


def _allowance(a: dict[str, Any]) -> str:
    """The case's warpage allowance and each face's extremes against it."""

    def at(w: dict[str, Any]) -> str:
        bits = [f"{_num(w['temperature_C'], '.4g')} \u00b0C"] if "temperature_C" in w else []
        bits += [f"step {w['step']}"] if "step" in w else []
        bits += [f"cycle {int(w['cycle']) + 1}"] if "cycle" in w else []
        return ", ".join(bits)

    rows = [[_e(face), _num(f["lowest_um"], "+.4g"), _e(at(f["lowest_at"])), _num(f["highest_um"], "+.4g"),
             _e(at(f["highest_at"])), "within" if f["within"] else "<b>outside</b>"] for face, f in a["faces"].items()]
    head = (f"<p>Allowance {_num(a['concave_um'], '+.4g')} \u00b5m (concave) to {_num(a['convex_um'], '+.4g')} "
            f"\u00b5m (convex), over every {'increment' if any('step' in f['lowest_at'] for f in a['faces'].values()) else 'output'}"
            f"; source: {_e(a.get('source') or 'not given')}.</p>")
    return head + _table(["face", "lowest (\u00b5m)", "at", "highest (\u00b5m)", "at", "verdict"], rows)


def _submodels(subs: list[dict[str, Any]]) -> str:
    """One row per submodel (docs/submodel.md): the joint, why it was chosen, its local mesh, its accumulated
    inelastic work beside the global model's, its dW per cycle and lives per cycling step, its folder."""
    rows = []
    for m in subs:
        f, g = m.get("final") or {}, m.get("global") or {}
        life = "; ".join(f"{_e(st)}: dW {v['dW_layer_MJ_m3']:.4g} MJ/m\u00b3 ({_e(v['interface'])} "
                         f"{v['layer_thickness_um']:.3g} \u00b5m), " + ", ".join(f"{_e(k)} {c:.4g}" for k, c in
                                                                           v["cycles"].items())
                         for st, v in (m.get("life") or {}).items())
        folder = m.get("folder")
        shape = m.get("joint_shape") or {}
        pads = ", ".join(f"{d:.4g}" for d in shape.get("pad_diameters_um", []))
        shaped = f"; {shape['kind'].replace('_', ' ')} on {pads} \u00b5m pads" if pads else ""
        rows.append([_e(f"{m['region']} id {m['id']}"), _e(m["criterion"]),
                     _e(f"{m['elements']:,} ({m['joint_layers']} through the joint{shaped})"),
                     _num(f.get("inelastic_work_MJ_m3"), ".5g"), _num(g.get("inelastic_work_MJ_m3"), ".5g"),
                     life or "no cycling", f'<a href="{_e(folder)}/summary.json">{_e(folder)}</a>' if folder else ""])
    return _table(["joint", "chosen", "elements", "W at the end, local (MJ/m\u00b3)", "global (MJ/m\u00b3)",
                   "per cycle and life", "folder"], rows)


def _result_sections(result: RunResult, out_dir: Path | None) -> list[str]:
    """Process history, fatigue life, results per output time and the plots."""
    s = result.summary
    parts = []
    if s.get("process"):
        parts.append(_section("process", "Process history", _process(s["process"])))
    if (s.get("life") or {}).get("steps"):
        parts.append(_section("life", "Fatigue life of the critical joints", _life(s["life"])))
    if s.get("warpage_allowance"):
        parts.append(_section("allowance", "Warpage against the allowance", _allowance(s["warpage_allowance"])))
    if s.get("submodels"):
        parts.append(_section("submodels", "Submodels of joints", _submodels(s["submodels"])))
    outs = result.outputs
    if outs:
        parts.append(_section("results", "Results at each output time", _overview(result),
                             *[_output_detail(result, i, o) for i, o in enumerate(outs)]))
    pngs = _plots(result, Path(out_dir) if out_dir is not None else Path("."))
    moist = moisture_html(result, pngs, _figure)
    if moist:  # the moisture plots are shown in their section
        parts.append(_section("moisture", "Moisture", moist))
        pngs = {k: v for k, v in pngs.items() if not k.startswith(MOISTURE_PLOTS)}
    if pngs:
        parts.append(_section("plots", "Plots", *[_figure(fname, data, fname) for fname, data in pngs.items()]))
    return parts


def _closing_sections(s: dict[str, Any]) -> list[str]:
    """Conventions, units and the files of the run."""
    parts = []
    conv = s.get("conventions") or {}
    units = s.get("units") or {}
    if conv or units:
        parts.append(_section("conventions", "Conventions and units",
                             *[f"<h3>{_e(k)}</h3><pre>{_e(v)}</pre>" for k, v in conv.items()],
                             _kv(units) if units else ""))
    files = {k: list(v) for k, v in (s.get("files") or {}).items()}
    files.setdefault("report", ["report.html"])
    items = [f"<li><b>{_e(w)}</b>: " + ", ".join(f'<a href="{_e(p)}">{_e(p)}</a>' for p in paths) + "</li>"
             for w, paths in files.items()]
    parts.append(_section("files", "Files", "<ul>", *items, "</ul>",
                         '<p class="muted">File formats and the summary schema: docs/outputs.md.</p>'))
    return parts


def _contents(body: list[str]) -> str:
    """Links to every section of ``body``."""
    links = [f'<li><a href="#{ident}">{title}</a></li>'
             for ident, title in re.findall(r'<section id="([^"]+)"><h2>(.*?)</h2>', "\n".join(body))]
    return "<nav><b>Contents</b><ul>" + "".join(links) + "</ul></nav>"


def report_html(result: RunResult, out_dir: Path | None = None, case: Any = None,
                now: _dt.datetime | None = None) -> str:
    """The complete report page as a string.

    Args:
        result: the run's result (its summary is the source of every result number).
        out_dir: the run folder: its ``case.resolved.json`` gives the inputs, its PNGs the plots.
        case: the validated case that ran, instead of the folder's ``case.resolved.json`` (API use).
        now: the time to print as the report's date (default the current UTC time).
    """
    s = result.summary
    name = (s.get("case") or {}).get("name", "(unnamed case)")
    inputs = load_inputs(s, Path(out_dir) if out_dir is not None else None, case)
    body = [_section("run", "Run", _case_facts(s), run_facts_html(s, now))]
    if isinstance(inputs, Inputs):
        body += [inputs_html(inputs, s, _load_html(result, inputs))]
    else:
        body += [_section("inputs", "Inputs", f'<p class="muted">The case\'s inputs are not shown: {_e(inputs)}.</p>'),
                 _section("load", "Load", _load_html(result, None))]
    body += _run_sections(s) + _result_sections(result, out_dir) + _closing_sections(s)
    head = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>fcpkg-fem report \u2014 {_e(name)}</title><style>{_CSS}</style></head><body>",
            f"<h1>{_e(name)}</h1>",
            f'<p class="muted">fcpkg-fem {_e(s.get("fcpkg_fem_version", "?"))} \u00b7 '
            f'{_e(s.get("schema", "?"))} v{_e(s.get("schema_version", "?"))}</p>']
    return "\n".join(head + [_contents(body)] + body + ["</body></html>", ""])


@register_writer("report", order=40)
def write_report(result: RunResult, out_dir: Path) -> list[Path]:
    """Write ``report.html``."""
    return [atomic_write_text(Path(out_dir) / "report.html", report_html(result, out_dir))]
