"""The moisture section of report.html (a run that models moisture: summary.json ``moisture``, docs/moisture.md).

Content: the moisture steps with their chamber conditions (J-STD-020 level where there is one) and the water the
package took up or lost; the weight-gain curves; the mean wetness of each permeable region at the end of each
moisture step and of the run; the swelling's share of the warpage (the change of warpage over each step's hold at
constant temperature; the comparison with a dry run is not part of one run and is said so); the peak vapour pressure
per interface with where and when, and its plot. Every number comes from the summary and the history rows.
"""

from __future__ import annotations

from typing import Any

from fcpkg_fem.io.report_format import e as _e
from fcpkg_fem.io.report_format import num as _num
from fcpkg_fem.io.report_format import table as _table
from fcpkg_fem.post.result import RunResult

__all__ = ["moisture_html", "MOISTURE_PLOTS"]

MOISTURE_PLOTS = ("weight_gain_", "warpage_and_water.png", "vapour_pressure.png")
"""Prefixes of the plot files the moisture section shows (the Plots section leaves them out)."""


def _at(xyz: Any) -> str:
    if not isinstance(xyz, (list, tuple)) or not xyz:
        return ""
    return "(" + ", ".join(format(float(c), ".3g") for c in xyz) + ")"


def _soaks(soaks: list[dict[str, Any]]) -> str:
    rows = [[_e(s.get("step")), _e(s.get("kind")), _e(s.get("level", "")), _num(s.get("temperature_C"), ".4g"),
             _num(s.get("RH_percent"), ".3g"), _num(s.get("duration_h"), ".4g"), _num(s.get("mass_start_mg"), ".4g"),
             _num(s.get("mass_end_mg"), ".4g"), _num(s.get("uptake_mg"), "+.4g")] for s in soaks]
    return _table(["step", "kind", "MSL level", "T (\u00b0C)", "RH (%)", "duration (h)", "water at start (mg)",
                   "at end (mg)", "taken up (mg)"], rows, numeric_from=3)


def _wetness(result: RunResult, soaks: list[dict[str, Any]]) -> str:
    last = next((r for r in reversed(result.history) if "moisture_mass_mg" in r), None)
    cols = [(s.get("step"), s.get("mean_wetness_end") or {}) for s in soaks]
    if last is not None:
        cols.append(("end of the run", {k[:-len("_mean_wetness")]: v for k, v in last.items()
                                         if k.endswith("_mean_wetness")}))
    regions = sorted({r for _, d in cols for r in d})
    if not regions:
        return ""
    rows = [[_e(r), *[_num(d.get(r), ".3f") for _, d in cols]] for r in regions]
    return ("<h3>Mean wetness per region</h3><p class=\"muted\">Volume mean of w = C / C_sat (the local relative "
            "vapour pressure, 0 dry, 1 saturated) over each permeable region.</p>"
            + _table(["region", *[f"end of {n}" if n != "end of the run" else n for n, _ in cols]], rows))


def _swelling(result: RunResult, soaks: list[dict[str, Any]]) -> str:
    swelling = None
    for o in result.outputs:
        if o.get("moisture"):
            swelling = o["moisture"].get("swelling")
    faces = sorted({f for s in soaks for f in (s.get("warpage_change_at_temperature_um") or {})})
    rows = [[_e(s.get("step")), *[_num((s.get("warpage_change_at_temperature_um") or {}).get(f), "+.4g")
                                  for f in faces]] for s in soaks]
    said = ("The mechanics of this run includes the hygroscopic swelling (moisture.swelling: true)." if swelling
            else "The mechanics of this run leaves the hygroscopic swelling out (moisture.swelling: false): the "
                 "warpage below is the dry package's.")
    share = (result.summary.get("moisture") or {}).get("swelling_share")
    how = ("The share at every output is below: this run also ran the same history without swelling "
           "(<code>moisture.compare_dry: true</code>)." if share else
           "The share at every output needs the same history without swelling: set "
           "<code>moisture.compare_dry: true</code> (it doubles the mechanics' cost).")
    text = (f"<h3>Hygroscopic share of the warpage</h3><p>{_e(said)} Over each moisture step's hold at constant "
            "temperature only the swelling (and any relaxation of viscoelastic parts) changes the warpage: the "
            f"change is listed. {how}</p>")
    if faces and rows:
        text += _table(["step", *[f"{f} warpage change at temperature (\u00b5m)" for f in faces]], rows)
    if share:
        text += _share_table(share)
    return text


def _share_table(share: dict[str, Any]) -> str:
    """Per output: signed warpage with and without swelling and the difference, per face (um)."""
    faces = [f for f in ("bottom", "top") if any(f in o for o in share["outputs"])]
    head = ["step", "t (s)", "T (\u00b0C)"]
    for f in faces:
        head += [f"{f} with (\u00b5m)", f"{f} without (\u00b5m)", f"{f} share (\u00b5m)"]
    rows = []
    for o in share["outputs"]:
        row = [_e(o.get("step")), _num(o.get("time_s"), ".6g"), _num(o.get("temperature_C"), ".4g")]
        for f in faces:
            d = o.get(f) or {}
            row += [_num(d.get("with_um"), "+.4g"), _num(d.get("without_um"), "+.4g"), _num(d.get("share_um"), "+.4g")]
        rows.append(row)
    return f"<p class=\"muted\">{_e(share.get('note', ''))}</p>" + _table(head, rows, numeric_from=1)


def _vapour(vp: dict[str, Any]) -> str:
    peaks = vp.get("reflow") or vp.get("interfaces") or {}
    over = "the reflow steps" if vp.get("reflow") else "the run"
    rows = [[_e(name), _e(p.get("step")), "saturated" if p.get("saturated") else "ideal gas", _e(_at(p.get("at_mm"))),
             _num(p.get("max_MPa"), ".4g"), _num(p.get("time_s"), ".6g"), _num(p.get("temperature_C"), ".4g"),
             _num(p.get("concentration_kg_per_m3"), ".3g")] for name, p in peaks.items()]
    return (f"<h3>Peak vapour pressure per interface</h3><p class=\"muted\">Over {_e(over)}. {_e(vp.get('note', ''))}"
            "</p>" + _table(["interface", "step", "branch", "at (mm)", "peak (MPa)", "time (s)", "oven T (\u00b0C)",
                             "C at the peak (kg/m\u00b3)"], rows, numeric_from=4))


def moisture_html(result: RunResult, pngs: dict[str, bytes], figure) -> str:
    """The body of the moisture section ('' when the run does not model moisture). ``pngs``: the run's plots by
    file name; ``figure(name, data, caption)``: how the report embeds one."""
    m = result.summary.get("moisture")
    if not m:
        return ""
    soaks = m.get("soaks") or []
    parts = []
    if soaks:
        parts.append("<h3>Moisture steps</h3>" + _soaks(soaks))
    for name, data in pngs.items():
        if name.startswith("weight_gain_"):
            parts.append(figure(name, data, "Weight gain (the water taken up since the step started, whole package) "
                                            "against the square root of time: the curve a J-STD-020 lab weighs."))
    parts.append(_wetness(result, soaks))
    parts.append(_swelling(result, soaks))
    if "warpage_and_water.png" in pngs:
        parts.append(figure("warpage_and_water.png", pngs["warpage_and_water.png"],
                            "Signed warpage and the package's water through the process."))
    if m.get("vapour_pressure"):
        parts.append(_vapour(m["vapour_pressure"]))
    if "vapour_pressure.png" in pngs:
        parts.append(figure("vapour_pressure.png", pngs["vapour_pressure.png"],
                            "Peak vapour pressure per interface after the last moisture step, and the saturation "
                            "pressure of water at the oven temperature."))
    return "\n".join(p for p in parts if p)
