"""summary.json: the run's numbers with their units and conventions (schema in docs/outputs.md)."""

from __future__ import annotations

import numpy as np

from fcpkg_fem import __version__
from fcpkg_fem.post.result import SUMMARY_SCHEMA, SUMMARY_SCHEMA_VERSION
from fcpkg_fem.post.vapour import SRC_VAPOUR_MODEL

WARPAGE_CONVENTION = (
    "Each face is viewed from outside the package: 'bottom' = carrier 1 bottom (terminal side) seen from below, "
    "'top' = carrier 2 top (stacking side) seen from above. The least-squares plane is removed; coplanarity_um is "
    "the peak-to-valley of the rest. signed_um = +coplanarity when the face is convex (bulges towards the viewer: "
    "centre nearer the viewer than the corners), -coplanarity when concave (JESD22-B112 / JEITA ED-7306 naming); a "
    "saddle takes the sign of its mean curvature. corner_minus_center_um = mean of the four corners minus the "
    "centre of the plane-removed surface, displacement measured along +z (not view-dependent). Curvatures are "
    "second derivatives of the +z displacement from a quadratic fit."
)


LIFE_NOTE = (
    "Life estimates are derived figures with large uncertainty (factor 2 or more): each names its constants, their "
    "source and assumptions, and is given only with constants fitted for the joint's solder (not_estimated says "
    "why a model is missing). Darveaux and Syed take dW, the per-cycle increment of the inelastic work density over "
    "the last complete cycle averaged over the element layer at the joint's pad interface (layer thickness "
    "recorded); Engelmaier takes d_gamma, the cyclic shear strain range of the joint's volume-averaged mechanical "
    "strain over that cycle (the range of the strain path, not the accumulated equivalent strain)."
)


def process_summary(rec) -> dict:
    """The process plan and the Newton statistics of a history run, for summary.json."""
    steps = []
    for s in rec.plan:
        p = s.profile
        steps.append({"name": s.name, "kind": s.kind, "t_start_s": s.t_start, "t_end_s": s.t_end,
                      "births": list(s.births), "increments": int(len(s.increments)),
                      "standard": getattr(p, "standard", None),
                      "parameters": {k: (float(v) if isinstance(v, (int, float, np.floating)) else v)
                                     for k, v in (getattr(p, "parameters", None) or {}).items()},
                      "violations": [str(getattr(v, "message", v)) for v in s.violations],
                      # solder melting and solidification in this step (docs/process.md)
                      "phase_changes": [{k: v for k, v in e.items() if k != "step"} for e in rec.events
                                        if e["step"] == s.name]})
    its = [n["newton_iterations"] for n in rec.newton]
    return {"steps": steps,
            "newton": {"increments": len(rec.newton), "iterations_total": int(sum(its)),
                       "iterations_max": int(max(its, default=0)),
                       "cutbacks": int(sum(1 for n in rec.newton if n["cutbacks"]))}}


MOISTURE_STEP_KINDS = ("moisture_soak", "bake", "floor_life")
"""Step kinds whose water uptake (or loss) summary.json reports per step (``moisture.soaks``)."""

VAPOUR_NOTE = (
    "Peak water vapour pressure on each interface that can delaminate, over its facets and over the increments "
    "(every increment that carries moisture). p = p_g(T) where the water in the free volume (C / f) exceeds the "
    "saturated vapour density rho_g(T) = p_g M_w / (R T), else the ideal gas (C / f) R T / M_w; C the local "
    "concentration the diffusion has reached, f the material's free volume fraction, p_g the saturation pressure of "
    "water. A facet takes the larger of its two sides' pressures. at_mm: the facet centroid, in the coordinates of "
    "the modelled part. Model: " + SRC_VAPOUR_MODEL
)


def _peak_entry(r: dict) -> dict:
    return {"max_MPa": r["max_MPa"], "at_mm": [r["x_mm"], r["y_mm"], r["z_mm"]], "step": r["step"],
            "time_s": r["time_s"], "temperature_C": r["temperature_C"], "increment": r["increment"],
            "temperature_at_max_C": r["temperature_at_max_C"],
            "concentration_kg_per_m3": r["concentration_kg_per_m3"], "saturated": r["saturated"],
            "saturation_pressure_MPa": r["saturation_pressure_MPa"]}


def _peaks(rows: list[dict]) -> dict:
    best: dict = {}
    for r in rows:  # the first of equal peaks (the earliest increment) is kept
        if r["interface"] not in best or r["max_MPa"] > best[r["interface"]]["max_MPa"]:
            best[r["interface"]] = r
    return {k: _peak_entry(v) for k, v in best.items()}


def _msl_level(params: dict) -> str | None:
    """The J-STD-020 level of a soak's profile parameters (also inside a composite profile's ``then``), or None."""
    if params.get("level") is not None:
        return str(params["level"])
    for sub in params.get("then") or []:
        lv = _msl_level(sub or {})
        if lv is not None:
            return lv
    return None


def moisture_summary(rec) -> dict | None:
    """summary.json ``moisture`` of a history that models moisture (None otherwise):

    - ``soaks``: per moisture step (soak, bake, floor life) the package's water at its start and end (mg, the
      whole package) and the change (``uptake_mg``, negative for a bake), the step's hold temperature and RH, the
      mean wetness of each permeable region at its end, and ``warpage_change_at_temperature_um`` per face: the
      signed warpage at the end of the hold minus at its start (the entry ramp excluded), which at a constant
      temperature is the swelling's share (plus any relaxation of viscoelastic parts over the hold);
    - ``vapour_pressure``: ``note``, ``interfaces`` (per interface its peak over the run: ``max_MPa``, ``at_mm``,
      ``step``, ``time_s``, oven ``temperature_C``, ``increment``, the element's temperature and concentration at
      the peak, ``saturated``, ``saturation_pressure_MPa``), ``steps`` (the same per step, e.g. the reflow's) and
      ``reflow`` (the peak over the reflow steps, when there are any).
    """
    rows = [r for r in rec.history if "moisture_mass_mg" in r]
    if not rows:
        return None
    out: dict = {"soaks": []}
    first: dict[str, int] = {}
    for k, r in enumerate(rows):
        first.setdefault(r["step"], k)
    for s in rec.plan:
        if s.kind not in MOISTURE_STEP_KINDS or s.name not in first:
            continue
        k0 = first[s.name]
        sel = [r for r in rows if r["step"] == s.name]
        start = rows[k0 - 1 if k0 > 0 else 0]["moisture_mass_mg"]  # the state the step started from
        level = _msl_level(getattr(s.profile, "parameters", None) or {})
        T_hold = float(s.profile.temperature_C[-1])
        held = [r for r in sel if abs(r["temperature_C"] - T_hold) <= 1e-9 * max(1.0, abs(T_hold))]
        warp = {}
        for face in ("bottom", "top"):
            key = f"warpage_{face}_signed_um"
            if len(held) >= 2 and key in held[0] and key in held[-1]:
                warp[face] = float(held[-1][key] - held[0][key])
        out["soaks"].append({"step": s.name, "kind": s.kind, "duration_h": (s.t_end - s.t_start) / 3600.0,
                             "temperature_C": T_hold, "RH_percent": 100.0 * float(s.humidity),
                             "mass_start_mg": float(start), "mass_end_mg": float(sel[-1]["moisture_mass_mg"]),
                             "uptake_mg": float(sel[-1]["moisture_mass_mg"] - start),
                             "mean_wetness_end": {k[:-len("_mean_wetness")]: float(v) for k, v in sel[-1].items()
                                                  if k.endswith("_mean_wetness")},
                             "warpage_change_at_temperature_um": warp,
                             **({"level": level} if level is not None else {})})
    if rec.vapour:
        steps: dict[str, list] = {}
        for r in rec.vapour:
            steps.setdefault(r["step"], []).append(r)
        reflow = {s.name for s in rec.plan if s.kind == "reflow"}
        vp = {"note": VAPOUR_NOTE, "interfaces": _peaks(rec.vapour),
              "steps": {k: _peaks(v) for k, v in steps.items()}}
        if reflow:
            vp["reflow"] = _peaks([r for r in rec.vapour if r["step"] in reflow])
        out["vapour_pressure"] = vp
    return out


def summary_of(case, pmesh, problem, element: str, methods: set, iterations: list, outputs: list, source) -> dict:
    """The summary of a run (before its timing and memory are added)."""
    m = pmesh.mesh
    return {
        "schema": SUMMARY_SCHEMA,
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "fcpkg_fem_version": __version__,
        "case": {"name": case.name, "structure": case.structure, "hash": case.hash(), "source": source},
        "units": {"length": "um in *_um keys, mm in *_mm keys", "stress": "MPa", "temperature": "degC",
                  "time": "s", "strain": "dimensionless (m/m)"},
        "conventions": {"warpage": WARPAGE_CONVENTION, "stress_voigt_order": "xx, yy, zz, yz, xz, xy"},
        "mesh": {"dofs": int(problem.ndofs), "nodes": int(m.nvertices), "elements": int(m.nelements),
                 "element": element, "symmetry": pmesh.geometry.symmetry,
                 "regions": {r: int(np.sum(pmesh.cell_region == i)) for i, r in enumerate(pmesh.region_names)}},
        "solver": {"method": " + ".join(sorted(methods)), "iterations": iterations, "rtol": case.solver.rtol},
        "outputs": outputs,
    }


SWELLING_SHARE_NOTE = (
    "the signed warpage of this run (with swelling) minus that of the same history run again on the same mesh "
    "without swelling (moisture.swelling: false), at every output: the swelling's share of the warpage; with "
    "inelastic or viscoelastic parts it includes how the swelling changed their flow, so it is not the warpage of "
    "the swelling alone (um; + convex / - concave)")


def swelling_share(wet, dry) -> dict:
    """summary.json ``moisture.swelling_share`` from two records of one history, with (``wet``) and without
    (``dry``) swelling: per output ``step``, ``time_s``, ``temperature_C`` and per face ``with_um``,
    ``without_um``, ``share_um``; per face the output of the largest share in magnitude (``largest``)."""
    rows, largest = [], {}
    for w, d in zip(wet.outputs, dry.outputs):
        row = {"step": w.get("step"), "time_s": w.get("time_s"), "temperature_C": w["temperature_C"]}
        for face in ("bottom", "top"):
            a, b = (w.get("warpage") or {}).get(face), (d.get("warpage") or {}).get(face)
            if a is None or b is None:
                continue
            share = round(a["signed_um"] - b["signed_um"], 6)
            row[face] = {"with_um": a["signed_um"], "without_um": b["signed_um"], "share_um": share}
            if face not in largest or abs(share) > abs(largest[face]["share_um"]):
                largest[face] = {"share_um": share, "step": row["step"], "time_s": row["time_s"],
                                 "temperature_C": row["temperature_C"]}
        rows.append(row)
    return {"note": SWELLING_SHARE_NOTE, "outputs": rows, "largest": largest}
