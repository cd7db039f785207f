"""``report.html``: one self-contained page (inline CSS, PNGs embedded as base64) a person reads in a browser.

Content: case, mesh, timing and solver facts; for a process history its steps (increments, Newton iterations,
births, melting) and the fatigue life of the critical joints (dW per cycle, the estimates with their constants'
sources and assumptions); an overview table (one row per output time); a detail table per output time (warpage
of each face with its shape, peak adhesive/encapsulant stresses, interface peel/shear, critical bump/via); the
plots; the conventions; the list of files of the run.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from fcpkg_fem.io.atomic import atomic_write_text
from fcpkg_fem.io.plots import plot_pngs
from fcpkg_fem.io.registry import output_index, register_writer
from fcpkg_fem.post.result import RunResult

__all__ = ["report_html", "write_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:72em;
     padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}
h3{margin-bottom:.3em}
table{border-collapse:collapse;margin:.5em 0 1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f2f2f2} td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.muted{color:#666;font-size:.9em} figure{margin:1em 0} figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.85em;color:#444} pre{white-space:pre-wrap;background:#f8f8f8;padding:.6em;border:1px solid #eee}
"""


def _e(v: Any) -> str:
    return html.escape(str(v), quote=True)


def _num(v: Any, fmt: str = ".4g") -> str:
    if v is None:
        return "\u2014"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float)):
        return format(v, fmt)
    return _e(v)


def _at(xyz: Any) -> str:
    if not isinstance(xyz, (list, tuple)) or not xyz:
        return ""
    return "(" + ", ".join(format(float(c), ".3g") for c in xyz) + ") mm"


def _table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    """HTML table; cells are already-escaped HTML; columns from ``numeric_from`` on are right-aligned."""
    out = ["<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(f'<td class="n">{c}</td>' if j >= numeric_from else f"<td>{c}</td>"
                                    for j, c in enumerate(r)) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _kv(d: dict[str, Any]) -> str:
    return _table(["", ""], [[_e(k), _num(v) if not isinstance(v, (dict, list)) else _e(v)] for k, v in d.items()])


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
                              else _num(t.get("count")), _num(c.get("id")),
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
            rows.append([_e(region), _num(c.get("id")), _num(c.get("x_mm"), ".3f"), _num(c.get("y_mm"), ".3f"),
                         _e(c.get("interface", "")), _num(c.get("layer_thickness_um"), ".3g"),
                         _e(" / ".join(format(v, ".4g") for v in series)),
                         _num(None if change is None else 100.0 * change, "+.1f"),
                         _num(c.get("d_eq_inelastic_strain")),
                         *[_num((est.get(k) or {}).get("cycles"), ".4g") if k not in missing else "not estimated"
                           for k in ("darveaux", "syed", "engelmaier")]])
            for k, v in est.items():
                notes.append(f"<li><b>{_e(region)}, {_e(k)}</b>: {_e(v.get('formula', ''))}. Source: "
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


def report_html(result: RunResult, out_dir: Path | None = None) -> str:
    """The complete report page as a string."""
    s = result.summary
    case = s.get("case") or {}
    name = case.get("name", "(unnamed case)")
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>fcpkg-fem report \u2014 {_e(name)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{_e(name)}</h1>",
             f'<p class="muted">fcpkg-fem {_e(s.get("fcpkg_fem_version", "?"))} \u00b7 '
             f'{_e(s.get("schema", "?"))} v{_e(s.get("schema_version", "?"))}</p>']

    facts = {"structure": case.get("structure"), "case hash": case.get("hash"), "source": case.get("source")}
    parts += ["<h2>Case</h2>", _kv(facts)]
    mesh = s.get("mesh") or {}
    if mesh:
        flat = {k: v for k, v in mesh.items() if k != "regions"}
        parts += ["<h2>Mesh</h2>", _kv(flat)]
        if isinstance(mesh.get("regions"), dict):
            parts.append(_table(["region", "elements"], [[_e(r), _num(n)] for r, n in mesh["regions"].items()]))
    if s.get("timing_s") or s.get("peak_memory_MB") is not None or s.get("solver"):
        parts.append("<h2>Run</h2>")
        timing = dict(s.get("timing_s") or {})
        if s.get("peak_memory_MB") is not None:
            timing["peak memory (MB)"] = s["peak_memory_MB"]
        if timing:
            parts.append(_table(["phase", "time (s)"], [[_e(k), _num(v)] for k, v in timing.items()]))
        if s.get("solver"):
            parts.append(_kv({f"solver {k}": v for k, v in s["solver"].items()}))

    if s.get("process"):
        parts += ["<h2>Process history</h2>", _process(s["process"])]
    if (s.get("life") or {}).get("steps"):
        parts += ["<h2>Fatigue life of the critical joints</h2>", _life(s["life"])]

    outs = result.outputs
    if outs:
        parts += ["<h2>Results at each output time</h2>", _overview(result)]
        parts += [_output_detail(result, i, o) for i, o in enumerate(outs)]

    pngs = _plots(result, Path(out_dir) if out_dir is not None else Path("."))
    if pngs:
        parts.append("<h2>Plots</h2>")
        for fname, data in pngs.items():
            b64 = base64.b64encode(data).decode("ascii")
            parts.append(f'<figure><img alt="{_e(fname)}" src="data:image/png;base64,{b64}">'
                         f"<figcaption>{_e(fname)}</figcaption></figure>")

    conv = s.get("conventions") or {}
    units = s.get("units") or {}
    if conv or units:
        parts.append("<h2>Conventions and units</h2>")
        for k, v in conv.items():
            parts.append(f"<h3>{_e(k)}</h3><pre>{_e(v)}</pre>")
        if units:
            parts.append(_kv(units))

    files = {k: list(v) for k, v in (s.get("files") or {}).items()}
    files.setdefault("report", ["report.html"])
    parts.append("<h2>Files</h2><ul>")
    for writer, paths in files.items():
        links = ", ".join(f'<a href="{_e(p)}">{_e(p)}</a>' for p in paths)
        parts.append(f"<li><b>{_e(writer)}</b>: {links}</li>")
    parts += ["</ul>", '<p class="muted">File formats and the summary schema: docs/outputs.md.</p>', "</body></html>", ""]
    return "\n".join(parts)


@register_writer("report", order=40)
def write_report(result: RunResult, out_dir: Path) -> list[Path]:
    """Write ``report.html``."""
    return [atomic_write_text(Path(out_dir) / "report.html", report_html(result, out_dir))]
