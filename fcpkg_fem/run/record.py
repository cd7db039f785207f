"""What a run records: per output time the post-processed results and fields, per increment one history row.

:class:`Record` collects a process history as it runs; :func:`record` post-processes one committed state into
it; :func:`history_row` flattens one output into the row of history.csv (the same for both load modes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fcpkg_fem.post import PostContext, run_post
from fcpkg_fem.post.joints import inelastic_items
from fcpkg_fem.post.result import FieldSet


@dataclass
class Record:
    """What a history run has produced so far (per report time: outputs, fields, faces; per increment: rows)."""

    outputs: list = field(default_factory=list)
    fields: list = field(default_factory=list)
    faces: list = field(default_factory=list)
    history: list = field(default_factory=list)
    iterations: list = field(default_factory=list)
    methods: set = field(default_factory=set)
    newton: list = field(default_factory=list)  # per increment: step, time, Newton iterations, cut-backs
    life: dict = field(default_factory=dict)  # thermal_cycle step name -> per region cyclic results and life
    plan: list = field(default_factory=list)  # the PlannedSteps run
    events: list = field(default_factory=list)  # solder melting and solidification: step, time_s, region, change, ..
    vapour: list = field(default_factory=list)  # per increment and interface: peak vapour pressure and where
    seen: tuple = (0.0, 0.0)  # solver seconds (assemble + material, solve) already added to the run's timing


def json_safe(x):
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_safe(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x



def record(rec: Record, hs, ctx_args, t: float, T_oven: float, step_name: str, branch: str, segment: str,
           spread: float, report: bool, T_nodes=None, cycle: int = 0, moisture=None) -> dict:
    """Post-process the committed state of ``hs`` into ``rec``; returns the output entry. ``cycle``: the reflow
    pass or thermal cycle (0-based) of the increment, kept in its history row (the per-pass plots). ``moisture``:
    the run's :class:`~fcpkg_fem.run.moisture.MoistureCoupling` when it models moisture: the output gets its
    ``moisture`` entry (water per region, mg, and mean wetness), the row its columns (``moisture_mass_mg``: the
    weight-gain curve, ``<region>_moisture_mg``, ``<region>_mean_wetness``), the fields ``wetness``,
    ``moisture_kg_m3`` and ``hygroscopic_strain``; the vapour pressure at the interfaces that can delaminate (the
    ``vapour_pressure`` post-processor) goes into the output, the row (``<interface>_vapour_pressure_max_MPa``)
    and ``rec.vapour`` (one entry per interface: :func:`vapour_rows`)."""
    pmesh, problem, case = ctx_args
    st = hs.snapshot(extend=report)  # fields show unborn parts moving with the package
    ctx = PostContext.of(pmesh, problem, st, case, moisture=None if moisture is None else moisture.post_fields())
    post = run_post(ctx)
    faces = post.pop("_faces", {})
    out = {"index": len(rec.outputs) if report else None, "time_s": float(t), "temperature_C": float(T_oven),
           "step": step_name, "branch": branch, "segment": segment, **post,
           "max_temperature_difference_C": float(spread),
           "package_mean_temperature_C": float(np.dot(hs.T, problem.volumes) / problem.volumes.sum())}
    out.update(inelastic_items(ctx, hs))
    if moisture is not None:
        out["moisture"] = moisture.output()

    row = history_row(out)
    row["step"] = step_name
    row["branch"] = branch
    row["cycle"] = int(cycle)
    row["max_temperature_difference_C"] = float(spread)
    row["package_mean_temperature_C"] = out["package_mean_temperature_C"]
    row["increment"] = len(rec.history)
    if moisture is not None:
        row.update(moisture.row(out["moisture"]))
    rec.vapour.extend(vapour_rows(out, row["increment"]))
    row.pop("index", None)
    rec.history.append(row)
    if report:
        m = pmesh.mesh
        T_pt = np.full(m.nvertices, float(T_oven)) if T_nodes is None else np.asarray(T_nodes, float)
        cell = {"stress_MPa": st.stress * 1e-6, "von_mises_MPa": ctx.von_mises * 1e-6, "strain": st.strain,
                "mech_strain": ctx.mech_strain, "born": hs.born.astype(float)}
        if hs.has_inelastic:
            f = hs.inelastic_fields()
            cell["eq_inelastic_strain"] = f["eq_inelastic_strain"]
            cell["inelastic_work_MJ_m3"] = f["inelastic_work_J_m3"] * 1e-6
        if moisture is not None:
            cell.update(moisture.cell_data())
        rec.fields.append(FieldSet(point_data={"displacement": ctx.vertex_u, "temperature": T_pt}, cell_data=cell))
        rec.faces.append(faces)
        rec.outputs.append(out)
    return out


def history_row(out: dict) -> dict[str, float]:
    """One output as a flat row of history.csv: time, temperature, warpage per face, peak stresses of adhesive and
    encapsulant, interface tractions, critical bump/via/ball strain."""
    row = {"index": out["index"], "temperature_C": out["temperature_C"]}
    if out["time_s"] is not None:
        row["time_s"] = out["time_s"]
    for face, w in out["warpage"].items():
        if w and face in ("bottom", "top"):
            row[f"warpage_{face}_signed_um"] = w["signed_um"]
            row[f"warpage_{face}_coplanarity_um"] = w["coplanarity_um"]
            row[f"warpage_{face}_corner_minus_center_um"] = w["corner_minus_center_um"]
    for region, r in out.get("regions", {}).items():
        if region in ("adhesive", "encapsulant"):
            row[f"{region}_von_mises_max_MPa"] = r["von_mises_max_MPa"]
            row[f"{region}_max_principal_max_MPa"] = r["max_principal_max_MPa"]
    for name, r in out.get("interfaces", {}).items():
        row[f"{name}_peel_max_MPa"] = r["peel_max_MPa"]
        row[f"{name}_shear_max_MPa"] = r["shear_max_MPa"]
    for section in ("bumps", "vias", "balls"):
        for region, r in out.get(section, {}).items():
            row[f"{region}_critical_eq_strain"] = r["critical"]["eq_strain"]
            row[f"{region}_critical_id"] = r["critical"]["id"]
    for name, r in out.get("vapour_pressure", {}).items():
        row[f"{name}_vapour_pressure_max_MPa"] = r["max_MPa"]
    return row


def vapour_rows(out: dict, increment: int) -> list[dict]:
    """The rows of vapour_pressure.csv of one output (one per interface of its ``vapour_pressure``): increment,
    step, time_s, the oven temperature_C, interface, max_MPa and where (x_mm, y_mm, z_mm), the element temperature
    and concentration at the peak, saturated (1: the saturated branch), the saturation pressure there, the
    interface's area mean and the share of its area on the saturated branch."""
    rows = []
    for name, r in (out.get("vapour_pressure") or {}).items():
        x, y, z = r["at_mm"]
        rows.append({"increment": int(increment), "step": out["step"], "time_s": out["time_s"],
                     "temperature_C": out["temperature_C"], "interface": name, "max_MPa": r["max_MPa"],
                     "x_mm": x, "y_mm": y, "z_mm": z, "temperature_at_max_C": r["temperature_C"],
                     "concentration_kg_per_m3": r["concentration_kg_per_m3"], "saturated": r["saturated"],
                     "saturation_pressure_MPa": r["saturation_pressure_MPa"], "mean_MPa": r["mean_MPa"],
                     "saturated_area_fraction": r["saturated_area_fraction"]})
    return rows
