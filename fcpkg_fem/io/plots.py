"""PNG plots of a run: the warpage-vs-temperature curve and contour maps of the detrended face shapes; for a run
that models moisture the weight-gain curve of each soak (:func:`weight_gain_figures`), the warpage beside the water
(:func:`warpage_moisture_figure`, with a dry companion run when one is given) and the peak vapour pressure per
interface (:func:`vapour_pressure_figure`).

Figures are built with :class:`matplotlib.figure.Figure` and rendered by the Agg canvas: no pyplot, no global state,
no display needed. :func:`plot_pngs` renders every plot to bytes; the ``plots`` writer saves them and the report
embeds the same bytes.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np

from fcpkg_fem.io.atomic import atomic_write_bytes
from fcpkg_fem.io.registry import output_index, register_writer
from fcpkg_fem.materials.moisture import saturation_pressure
from fcpkg_fem.post.result import RunResult

__all__ = [
    "WARPAGE_CAPTION",
    "warpage_curve_figure",
    "pass_curve_figures",
    "warpage_map_figure",
    "temperature_profile_figure",
    "weight_gain_figures",
    "warpage_moisture_figure",
    "joint_history_figure",
    "vapour_pressure_figure",
    "map_selection",
    "figure_png",
    "plot_pngs",
    "write_plots",
]

WARPAGE_CAPTION = (
    "Signed warpage as JEDEC JESD22-B112 / JEITA ED-7306 name it: + convex, \u2212 concave;\n|value| = coplanarity "
    "(peak-to-valley after removing the least-squares plane). Each face is viewed from outside the package:\n"
    "bottom face (terminal side) from below, top face (stacking side) from above."
)
MAP_CAPTION = "w with the least-squares plane removed, along +z, drawn in package x-y seen from above.\n"
MAP_CAPTION_FACE = {
    "bottom": "Bottom face, viewed from below: convex = centre lower (more negative w) than the corners.",
    "top": "Top face, viewed from above: convex = centre higher (more positive w) than the corners.",
}
_FACE_COLOURS = {"bottom": "tab:blue", "top": "tab:red"}


def figure_png(fig, dpi: int = 110) -> bytes:
    """Render a matplotlib Figure to PNG bytes with the Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _warp(out: dict[str, Any], face: str) -> dict[str, Any] | None:
    w = (out.get("warpage") or {}).get(face)
    return w if isinstance(w, dict) and w.get("signed_um") is not None else None


def _faces_in_outputs(result: RunResult) -> list[str]:
    keys: list[str] = []
    for out in result.outputs:
        for k in out.get("warpage") or {}:
            if k not in keys and _warp(out, k) is not None:
                keys.append(k)
    return keys


def warpage_curve_figure(result: RunResult):
    """Signed warpage (um) of every face vs temperature (degC), one figure; None when no output has warpage.

    Markers at each output. A temperature history: consecutive outputs joined by arrows pointing forward in time,
    solid while heating, dashed while cooling, dotted at constant temperature, so the two branches of a reflow can be
    told apart. A temperature list (independent solves, no times): one thin line in temperature order, no arrows,
    since no path joins them. A process history: lines through every increment.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    faces = _faces_in_outputs(result)
    if not faces:
        return None
    fig = Figure(figsize=(7.5, 5.6), layout="constrained")
    ax = fig.add_subplot()
    handles = []
    # a temperature list (load.temperatures): independent solves, reported without times
    independent = all(o.get("time_s") is None for o in result.outputs)
    for k, face in enumerate(faces):
        colour = _FACE_COLOURS.get(face, f"C{k + 2}")
        dense = _dense_curve(result, face)
        if dense is not None:  # a process history: every increment, lines styled by heating/cooling branch
            _draw_branches(ax, *dense, colour)
            handles.append(Line2D([], [], color=colour, ls="-", label=f"{face} (every increment)"))
        pts = [(o.get("temperature_C"), _warp(o, face)["signed_um"], output_index(result, i))
               for i, o in enumerate(result.outputs) if _warp(o, face) is not None and o.get("temperature_C") is not None]
        if dense is not None:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], ls="none", marker="o", ms=3, color=colour, zorder=3)
            continue
        if not pts:
            continue
        t = np.array([p[0] for p in pts], dtype=float)
        w = np.array([p[1] for p in pts], dtype=float)
        info = next(_warp(o, face) for o in result.outputs if _warp(o, face) is not None)
        label = f"{face}: {info.get('face', face)}" + (f" ({info['view']})" if info.get("view") else "")
        ax.plot(t, w, ls="none", marker="o", ms=5, color=colour, zorder=3)
        handles.append(Line2D([], [], color=colour, marker="o", ls="-", label=label))
        if independent:  # one solve per temperature: no path between them, a line in temperature order only
            order = np.argsort(t, kind="stable")
            ax.plot(t[order], w[order], ls="-", lw=1.0, color=colour, alpha=0.6)
            continue
        for i in range(len(t) - 1):
            if t[i] == t[i + 1] and w[i] == w[i + 1]:
                continue
            ls = "-" if t[i + 1] > t[i] else "--" if t[i + 1] < t[i] else ":"
            ax.annotate("", xy=(t[i + 1], w[i + 1]), xytext=(t[i], w[i]),
                        arrowprops=dict(arrowstyle="-|>", color=colour, linestyle=ls, lw=1.3,
                                        shrinkA=4, shrinkB=4, mutation_scale=11))
        if len(t) <= 25:
            for ti, wi, idx in zip(t, w, (p[2] for p in pts)):
                ax.annotate(str(idx), (ti, wi), textcoords="offset points", xytext=(4, 4), fontsize=7, color=colour)
        ax.annotate("start", (t[0], w[0]), textcoords="offset points", xytext=(-8, -14), fontsize=8, color=colour)
    if not independent:
        handles += [Line2D([], [], color="0.3", ls="-", label="heating (T rising)"),
                    Line2D([], [], color="0.3", ls="--", label="cooling (T falling)"),
                    Line2D([], [], color="0.3", ls=":", label="dwell (T constant)")]
    ax.axhline(0.0, color="0.6", lw=0.8)
    handles += _allowance_lines(ax, result)
    ax.set_xlabel("temperature (\u00b0C)")
    ax.set_ylabel("signed warpage (\u00b5m)   + convex / \u2212 concave")
    name = (result.summary.get("case") or {}).get("name", "")
    ax.set_title(f"Warpage vs temperature \u2014 {name}" if name else "Warpage vs temperature")
    ax.grid(True, alpha=0.3)
    ax.legend(handles=handles, fontsize=8, loc="best")
    dense = any("branch" in r for r in result.history)
    note = ("Lines through every increment of the process history; markers at the reported outputs." if dense
            else "One independent solve per temperature (no path between them); numbers at the markers: output "
                 "index." if independent
            else "Numbers at the markers: output index; arrows point forward in time.")
    fig.text(0.01, 0.005, WARPAGE_CAPTION + "\n" + note, fontsize=7, ha="left", va="bottom")
    fig.get_layout_engine().set(rect=(0, 0.12, 1, 0.88))
    return fig


def _dense_curve(result: RunResult, face: str):
    """(T, w, branch) arrays from the per-increment history rows of a process history, or None."""
    rows = [r for r in result.history if "branch" in r and f"warpage_{face}_signed_um" in r]
    if len(rows) < 2:
        return None
    return (np.array([r["temperature_C"] for r in rows], float),
            np.array([r[f"warpage_{face}_signed_um"] for r in rows], float), [r["branch"] for r in rows])


def _draw_branches(ax, T, w, branch, colour) -> None:
    """Polylines through the increments: solid while heating, dashed while cooling, dotted in holds (the JEDEC
    reflow curve). ``branch[i]`` names the increment that ends at row i."""
    style = {"heating": "-", "cooling": "--", "hold": ":"}
    i = 1
    while i < len(T):
        j = i
        while j + 1 < len(T) and branch[j + 1] == branch[i]:
            j += 1
        ax.plot(T[i - 1:j + 1], w[i - 1:j + 1], ls=style.get(branch[i], "-"), color=colour, lw=1.2)
        i = j + 1


def map_selection(result: RunResult) -> list[tuple[str, int]]:
    """(face, output position) pairs to map: per face, the output with the largest |signed| warpage, and the last.

    When the summary has no signed value for a face at some output, the peak-to-valley of ``w_detrended`` stands in.
    """
    chosen: list[tuple[str, int]] = []
    faces: list[str] = []
    for fs in result.faces:
        faces += [f for f in fs if f not in faces]
    for face in faces:
        positions = [i for i, fs in enumerate(result.faces) if face in fs]
        if not positions:
            continue

        def size(i: int) -> float:
            w = _warp(result.outputs[i], face) if i < len(result.outputs) else None
            if w is not None:
                return abs(float(w["signed_um"]))
            return float(np.ptp(result.faces[i][face].w_detrended)) * 1e6

        for i in dict.fromkeys([max(positions, key=size), positions[-1]]):
            chosen.append((face, i))
    return chosen


def warpage_map_figure(result: RunResult, face: str, pos: int):
    """Filled contours of ``w_detrended`` (um) of ``face`` at output position ``pos`` over x, y in mm."""
    from matplotlib.figure import Figure

    s = result.faces[pos][face]
    x = np.asarray(s.x, dtype=float) * 1e3
    y = np.asarray(s.y, dtype=float) * 1e3
    w = np.asarray(s.w_detrended, dtype=float) * 1e6
    m = float(np.max(np.abs(w))) if w.size else 0.0
    m = m if m > 0 else 1e-6
    from matplotlib.ticker import MaxNLocator

    levels = MaxNLocator(nbins=20, symmetric=True).tick_values(-m, m)
    fig = Figure(figsize=(6.4, 6.4), layout="constrained")
    ax = fig.add_subplot()
    try:
        art = ax.tricontourf(x, y, w, levels=levels, cmap="RdBu_r", extend="neither")
    except (ValueError, RuntimeError):  # too few or collinear points: no triangulation
        art = ax.scatter(x, y, c=w, cmap="RdBu_r", vmin=-m, vmax=m, s=12)
    fig.colorbar(art, ax=ax, label="w detrended (\u00b5m), along +z", shrink=0.85)
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    out = result.outputs[pos] if pos < len(result.outputs) else {}
    info = _warp(out, face) or {}
    title = f"{info.get('face', face)} \u2014 output {output_index(result, pos)}"
    if out.get("temperature_C") is not None:
        title += f", T = {out['temperature_C']:.1f} \u00b0C"
    if info:
        title += (f"\nsigned {info['signed_um']:+.3g} \u00b5m ({info.get('shape', '?')}), "
                  f"coplanarity {info.get('coplanarity_um', float('nan')):.3g} \u00b5m")
        if info.get("view"):
            title += f"\nviewed {info['view']}"
    ax.set_title(title, fontsize=10)
    fig.text(0.01, 0.005, MAP_CAPTION + MAP_CAPTION_FACE.get(face, ""), fontsize=7, ha="left", va="bottom")
    fig.get_layout_engine().set(rect=(0, 0.06, 1, 0.92))
    return fig


PASS_KINDS = {"reflow": "Reflow pass", "thermal_cycle": "Cycle"}
"""Step kinds whose passes (reflow) or cycles get a warpage-vs-temperature plot of their own, and its title word."""


def _allowance_lines(ax, result: RunResult) -> list:
    """Draw the case's warpage allowance (summary ``warpage_allowance``, um) as two horizontal lines; their legend
    handle (none without an allowance)."""
    from matplotlib.lines import Line2D

    a = result.summary.get("warpage_allowance")
    if not a:
        return []
    for y in (a["concave_um"], a["convex_um"]):
        ax.axhline(y, color="tab:red", lw=1.0, ls="-.")
    label = f"allowance {a['concave_um']:+.4g} / {a['convex_um']:+.4g} \u00b5m"
    return [Line2D([], [], color="tab:red", lw=1.0, ls="-.", label=label)]


def pass_curve_figures(result: RunResult) -> list[tuple[str, Any]]:
    """(file name, figure) per pass of every reflow step and per cycle of every cycling step: the signed warpage
    (um) of each face vs the oven temperature (degC) through that pass alone, heating solid, cooling dashed, holds
    dotted, the JEDEC form (JESD22-B112 plots one reflow pass as warpage vs temperature); the process overview
    (:func:`warpage_curve_figure`) stays separate. Empty without such steps or without per-increment rows."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    kinds = {st["name"]: st["kind"] for st in (result.summary.get("process") or {}).get("steps", [])}
    faces = _faces_in_outputs(result)
    out = []
    for step, kind in kinds.items():
        if kind not in PASS_KINDS:
            continue
        rows = [r for r in result.history if r.get("step") == step and "cycle" in r]
        for c in sorted({int(r["cycle"]) for r in rows}):
            sel = [r for r in rows if int(r["cycle"]) == c]
            fig = Figure(figsize=(7.0, 5.0), layout="constrained")
            ax = fig.add_subplot()
            handles = []
            for k, face in enumerate(faces):
                key = f"warpage_{face}_signed_um"
                pts = [r for r in sel if key in r]
                if len(pts) < 2:
                    continue
                colour = _FACE_COLOURS.get(face, f"C{k + 2}")
                _draw_branches(ax, np.array([r["temperature_C"] for r in pts], float),
                               np.array([r[key] for r in pts], float), [r["branch"] for r in pts], colour)
                handles.append(Line2D([], [], color=colour, ls="-", label=face))
            if not handles:
                continue
            handles += [Line2D([], [], color="0.3", ls=ls, label=lab)
                        for ls, lab in (("-", "heating"), ("--", "cooling"), (":", "hold"))]
            ax.axhline(0.0, color="0.6", lw=0.8)
            handles += _allowance_lines(ax, result)
            ax.set_xlabel("oven temperature (\u00b0C)")
            ax.set_ylabel("signed warpage (\u00b5m)   + convex / \u2212 concave")
            ax.set_title(f"{PASS_KINDS[kind]} {c + 1} \u2014 step '{step}'")
            ax.grid(True, alpha=0.3)
            ax.legend(handles=handles, fontsize=8, loc="best")
            fig.text(0.01, 0.005, WARPAGE_CAPTION, fontsize=7, ha="left", va="bottom")
            fig.get_layout_engine().set(rect=(0, 0.1, 1, 0.9))
            word = "pass" if kind == "reflow" else "cycle"
            out.append((f"warpage_{_safe(step)}_{word}{c + 1}.png", fig))
    return out


def temperature_profile_figure(time_s: Any, temperature_C: Any, steps: Any = (), title: str = ""):
    """The load's temperature (degC) against time, one line through the given points; None with fewer than two.

    Args:
        time_s, temperature_C: (n,) times in s (non-decreasing) and temperatures in degC of the profile's points.
        steps: (name, t_start_s, t_end_s) of each process step, shaded alternately and named along the top
            (names left out when there are more than 24 steps, where they would overlap).
        title: the figure's title.

    The time axis is in s, min or h, whichever keeps its numbers short (the unit is in the axis label).
    """
    from matplotlib.figure import Figure

    t = np.asarray(time_s, dtype=float).reshape(-1)
    T = np.asarray(temperature_C, dtype=float).reshape(-1)
    if t.size < 2 or t.size != T.size:
        return None
    span = float(t[-1] - t[0])
    unit, div = ("h", 3600.0) if span > 5 * 3600 else ("min", 60.0) if span > 1200 else ("s", 1.0)
    fig = Figure(figsize=(8.0, 3.8), layout="constrained")
    ax = fig.add_subplot()
    steps = list(steps)
    rows = _label_rows([(str(n), (t0 - t[0]) / span, (t1 - t[0]) / span) for n, t0, t1 in steps]) \
        if 0 < len(steps) <= 24 and span > 0 else []
    for k, (name, t0, t1) in enumerate(steps):
        if k % 2:
            ax.axvspan(t0 / div, t1 / div, color="0.92", lw=0)
        if rows:
            ax.annotate(str(name), ((t0 + t1) / 2 / div, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(0, 3 + 10 * rows[k]), textcoords="offset points", fontsize=7, ha="center",
                        va="bottom", color="0.25")
    ax.plot(t / div, T, color="tab:red", lw=1.3)
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel("temperature (\u00b0C)")
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10, loc="left", pad=8 + 10 * (max(rows) + 1 if rows else 0))
    return fig


SOAK_KINDS = {"moisture_soak": "Soak", "floor_life": "Floor life", "bake": "Bake"}
"""Step kinds with a weight-gain curve (:func:`weight_gain_figures`)."""


def _moisture_steps(result: RunResult) -> list[dict[str, Any]]:
    return [st for st in (result.summary.get("process") or {}).get("steps", []) if st.get("kind") in SOAK_KINDS]


def weight_gain_figures(result: RunResult) -> list[tuple[str, Any]]:
    """(file name, figure) per soak, floor-life or bake step of a run that models moisture: the water taken up
    since the step started (mg, the whole package; negative in a bake) against the square root of the time since
    then (h^0.5), the total and each permeable region (the quantity a J-STD-020 lab weighs; Fickian uptake starts
    as a straight line in sqrt(t)). Empty without such steps or without the history's moisture columns."""
    from matplotlib.figure import Figure

    out = []
    for st in _moisture_steps(result):
        rows = [r for r in result.history if r.get("step") == st["name"] and "moisture_mass_mg" in r]
        if not rows:
            continue
        k0 = result.history.index(rows[0])
        before = next((r for r in reversed(result.history[:k0]) if "moisture_mass_mg" in r), None)
        rows = ([before] if before is not None else []) + rows
        t = np.array([max(float(r.get("time_s", st["t_start_s"])) - st["t_start_s"], 0.0) for r in rows])
        x = np.sqrt(t / 3600.0)
        fig = Figure(figsize=(7.0, 4.6), layout="constrained")
        ax = fig.add_subplot()
        m0 = float(rows[0]["moisture_mass_mg"])
        ax.plot(x, np.array([r["moisture_mass_mg"] for r in rows], float) - m0, color="k", lw=1.6, marker=".",
                ms=3, label="package")
        regions = sorted({k[:-len("_moisture_mg")] for r in rows for k in r if k.endswith("_moisture_mg")})
        for k, reg in enumerate(regions):
            key = f"{reg}_moisture_mg"
            pts = [(xi, r[key]) for xi, r in zip(x, rows) if key in r]
            if len(pts) < 2:
                continue
            xs, ys = np.array(pts, float).T
            ax.plot(xs, ys - (rows[0].get(key, 0.0) or 0.0), lw=1.0, color=f"C{k % 10}", label=reg)
        level = next((x["level"] for x in (result.summary.get("moisture") or {}).get("soaks", [])
                      if x.get("step") == st["name"] and "level" in x), None)
        what = f"J-STD-020 level {level}" if level is not None else SOAK_KINDS[st["kind"]].lower()
        ax.set_xlabel("√(time since the step started) (h½)")
        ax.set_ylabel("water gained since the step started (mg, whole package)")
        ax.set_title(f"{SOAK_KINDS[st['kind']]} '{st['name']}' ({what}): weight gain", fontsize=10, loc="left")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="best", ncol=2)
        out.append((f"weight_gain_{_safe(st['name'])}.png", fig))
    return out


def _time_unit(span: float) -> tuple[str, float]:
    return ("h", 3600.0) if span > 5 * 3600 else ("min", 60.0) if span > 1200 else ("s", 1.0)


def warpage_moisture_figure(result: RunResult, dry: RunResult | None = None):
    """Signed warpage (um) of each face against time through a run that models moisture, with the package's water
    (mg) on a second axis: one panel up to the end of the last moisture step (soak, floor life, bake; hours) and
    one after it (the reflow; seconds from its start). With ``dry``, a run of the same case with
    ``moisture.swelling: false``, its warpage is drawn too (dashed): the difference is the swelling's share. None
    without moisture columns in the history.

    A run with ``moisture.compare_dry`` carries its dry twin's history (``result.dry_history``), drawn when ``dry``
    is not given; otherwise overlay a separate dry run with ``dry``.
    """
    from matplotlib.figure import Figure

    rows = [r for r in result.history if "moisture_mass_mg" in r and "time_s" in r]
    dry_rows = dry.history if dry is not None else getattr(result, "dry_history", None)
    faces = [f for f in _faces_in_outputs(result) if any(f"warpage_{f}_signed_um" in r for r in rows)]
    if len(rows) < 2 or not faces:
        return None
    t_split = max((st["t_end_s"] for st in _moisture_steps(result)), default=None)
    parts = [rows] if t_split is None else [[r for r in rows if r["time_s"] <= t_split],
                                            [r for r in rows if r["time_s"] >= t_split]]
    parts = [p for p in parts if len(p) >= 2]
    fig = Figure(figsize=(10.0 if len(parts) > 1 else 8.0, 4.8), layout="constrained")
    axes = fig.subplots(1, len(parts), squeeze=False)[0]
    for ax, part in zip(axes, parts):
        t = np.array([r["time_s"] for r in part], float)
        t0 = float(t[0]) if part is not parts[0] else 0.0
        unit, div = _time_unit(float(t[-1] - t0))
        for k, face in enumerate(faces):
            colour = _FACE_COLOURS.get(face, f"C{k + 2}")
            key = f"warpage_{face}_signed_um"
            ax.plot((t - t0) / div, [r.get(key, np.nan) for r in part], color=colour, lw=1.3,
                    label=f"{face}, with swelling" if dry_rows is not None else face)
            if dry_rows is not None:
                d = [r for r in dry_rows if "time_s" in r and key in r and t[0] <= r["time_s"] <= t[-1]]
                ax.plot((np.array([r["time_s"] for r in d], float) - t0) / div, [r[key] for r in d],
                        color=colour, lw=1.0, ls="--", label=f"{face}, without swelling")
        ax.set_xlabel(f"time ({unit})" if t0 == 0.0 else f"time after the last moisture step ({unit})")
        ax.set_ylabel("signed warpage (\u00b5m)   + convex / \u2212 concave")
        ax.grid(True, alpha=0.3)
        ax2 = ax.twinx()
        ax2.plot((t - t0) / div, [r["moisture_mass_mg"] for r in part], color="tab:cyan", lw=1.0, ls=":",
                 label="water")
        ax2.set_ylabel("water in the package (mg)", color="tab:cyan")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="best")
    swelling = (result.outputs[-1].get("moisture") or {}).get("swelling") if result.outputs else None
    note = ("The same history without swelling (moisture.swelling: false) is drawn dashed:\nthe difference is "
            "the swelling's share." if dry_rows is not None else
            "This run " + ("includes" if swelling else "leaves out") + " the hygroscopic swelling; the warpage "
            "without it needs a second run\nwith moisture.swelling: false (docs/moisture.md).")
    fig.text(0.01, 0.005, "Warpage and water through the process. " + note, fontsize=7, ha="left", va="bottom")
    fig.get_layout_engine().set(rect=(0, 0.07, 1, 0.93))
    return fig


def vapour_pressure_figure(result: RunResult):
    """Peak vapour pressure (MPa) on each interface that can delaminate against time through the steps that heat
    the wet package (every increment from the last moisture step's end; all increments when there is none), with
    the saturation pressure of water at the oven temperature as a thin line. None without vapour pressures."""
    from matplotlib.figure import Figure

    rows = result.vapour
    if not rows:
        return None
    moist = _moisture_steps(result)
    t_from = max((st["t_end_s"] for st in moist), default=-np.inf)
    rows = [r for r in rows if r["time_s"] >= t_from] or rows
    names = list(dict.fromkeys(r["interface"] for r in rows))
    t0 = min(r["time_s"] for r in rows)
    fig = Figure(figsize=(8.0, 4.6), layout="constrained")
    ax = fig.add_subplot()
    for k, name in enumerate(names):
        sel = [r for r in rows if r["interface"] == name]
        ax.plot([r["time_s"] - t0 for r in sel], [r["max_MPa"] for r in sel], lw=1.3, color=f"C{k % 10}",
                ls=("-", "--", ":", "-.")[k % 4], label=name)
    inc = {}
    for r in rows:
        inc.setdefault(r["increment"], (r["time_s"] - t0, r["temperature_C"]))
    tt, TT = np.array(sorted(inc.values())).T
    ax.plot(tt, saturation_pressure(TT) * 1e-6, color="0.5", lw=0.8, label="p_g(oven temperature)")
    ax.set_xlabel("time from the end of the last moisture step (s)" if moist else "time (s)")
    ax.set_ylabel("peak vapour pressure (MPa)")
    ax.set_title("Vapour pressure on the interfaces that can delaminate (peak over each interface)", fontsize=9,
                 loc="left")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    return fig


def _label_rows(spans: list[tuple[str, float, float]], char: float = 0.0085) -> list[int]:
    """A row (0 = nearest the axes) for the name of each step so that no two names on one row overlap: ``spans``
    are (name, start, end) as fractions of the time axis, a character is taken as ``char`` of the axis width."""
    ends: list[float] = []  # right end of the last name placed on each row
    out = []
    for name, a, b in spans:
        half = 0.5 * char * (len(name) + 1)
        left, right = 0.5 * (a + b) - half, 0.5 * (a + b) + half
        row = next((r for r, end in enumerate(ends) if end <= left), len(ends))
        if row == len(ends):
            ends.append(right)
        else:
            ends[row] = right
        out.append(row)
    return out


def _safe(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s)


def joint_history_figure(result: RunResult):
    """A submodel's joint through the global history (:func:`fcpkg_fem.run.submodel.submodel_result`'s history
    rows): top, the accumulated inelastic work density (MJ/m^3) averaged over the whole joint and over its lower
    and upper pad layers (their thickness in the legend); bottom, the joint's mean temperature (degC) and its
    largest von Mises stress (MPa) on a second axis; against time. The per-cycle increment of a pad layer's curve
    is the dW the life models use. None without such rows."""
    from matplotlib.figure import Figure

    rows = [r for r in result.history if "upper_pad_work_MJ_m3" in r and "time_s" in r]
    if len(rows) < 2:
        return None
    t = np.array([r["time_s"] for r in rows], float)
    unit, div = _time_unit(float(t[-1] - t[0]))
    x = (t - t[0]) / div
    fig = Figure(figsize=(8.0, 6.0), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    for key, label, style in (("inelastic_work_MJ_m3", "whole joint", "-"),
                              ("lower_pad_work_MJ_m3", "lower pad layer", "--"),
                              ("upper_pad_work_MJ_m3", "upper pad layer", ":")):
        layer = {"lower_pad_work_MJ_m3": "lower_layer_um", "upper_pad_work_MJ_m3": "upper_layer_um"}.get(key)
        thick = f" ({rows[-1][layer]:.3g} \u00b5m)" if layer and rows[-1].get(layer) is not None else ""
        top.plot(x, [r[key] for r in rows], ls=style, lw=1.3, label=label + thick)
    top.set_ylabel("accumulated inelastic work (MJ/m\u00b3)")
    top.grid(True, alpha=0.3)
    top.legend(fontsize=8, loc="upper left")
    bottom.plot(x, [r["temperature_C"] for r in rows], color="tab:red", lw=1.2, label="joint temperature")
    bottom.set_ylabel("temperature (\u00b0C)")
    bottom.set_xlabel(f"time from the start of the history ({unit})")
    bottom.grid(True, alpha=0.3)
    ax2 = bottom.twinx()
    ax2.plot(x, [r["von_mises_max_MPa"] for r in rows], color="tab:purple", lw=1.0, ls="--", label="von Mises max")
    ax2.set_ylabel("largest von Mises stress in the joint (MPa)")
    h1, l1 = bottom.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    bottom.legend(h1 + h2, l1 + l2, fontsize=8, loc="upper right")
    j = result.summary.get("joint") or {}
    fig.suptitle(f"Submodel of {j.get('region', 'the joint')} id {j.get('id', '?')}: the joint through the history",
                 fontsize=10)
    return fig


def plot_pngs(result: RunResult) -> dict[str, bytes]:
    """Every plot of the run rendered to PNG bytes, keyed by file name (curve first, then the maps)."""
    pngs: dict[str, bytes] = {}
    fig = warpage_curve_figure(result)
    if fig is not None:
        pngs["warpage_vs_temperature.png"] = figure_png(fig)
    for name, fig in pass_curve_figures(result):
        pngs[name] = figure_png(fig)
    for face, pos in map_selection(result):
        pngs[f"warpage_{_safe(face)}_{output_index(result, pos)}.png"] = figure_png(warpage_map_figure(result, face, pos))
    for name, fig in weight_gain_figures(result):
        pngs[name] = figure_png(fig)
    fig = warpage_moisture_figure(result)
    if fig is not None:
        pngs["warpage_and_water.png"] = figure_png(fig)
    fig = vapour_pressure_figure(result)
    if fig is not None:
        pngs["vapour_pressure.png"] = figure_png(fig)
    fig = joint_history_figure(result)
    if fig is not None:
        pngs["joint_history.png"] = figure_png(fig)
    return pngs


@register_writer("plots", order=30)
def write_plots(result: RunResult, out_dir: Path) -> list[Path]:
    """Write ``warpage_vs_temperature.png``, ``warpage_<face>_<index>.png`` maps and, for a run that models
    moisture, ``weight_gain_<step>.png``, ``warpage_and_water.png`` and ``vapour_pressure.png``; in a submodel's
    folder ``joint_history.png``."""
    return [atomic_write_bytes(Path(out_dir) / name, data) for name, data in plot_pngs(result).items()]
