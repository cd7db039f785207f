"""Running a process history: steps -> increments -> (thermal) -> mechanics -> post, with checkpoints.

:func:`run_steps` drives a :class:`~fcpkg_fem.solve.history.HistorySolver` through the plan of
:func:`fcpkg_fem.process.plan`. Every increment is post-processed (warpage, stresses, items) into one row of
history.csv; the report times of each step also keep their full fields for the VTU series and summary.json.

Checkpoints: after each completed step, ``<out>/checkpoint/`` holds the solver state (``state.npz``), the fields
of the report times so far (``fields.npz``) and the recorded rows (``record.json``), each written atomically and
``record.json`` last (it names the step completed). No pickle: a checkpoint folder from elsewhere cannot run code.
A resumed run restores them and continues with the next step; the linear solver starts fresh at every step
boundary in both runs, so a resumed run repeats the uninterrupted run's arithmetic exactly.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError, Problem
from .post import PostContext, run_post
from .result import FaceSample, FieldSet

CHECKPOINT_VERSION = 1


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


def _json_safe(x):
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def inelastic_items(ctx, hs) -> dict:
    """Per bump/via/ball volume averages of the inelastic results (empty when every model is elastic)."""
    if hs.linear:
        return {}
    from .post.items import item_groups

    f = hs.inelastic_fields()
    vol = ctx.volumes
    out = {}
    for section, region, ids, groups in item_groups(ctx):
        rows = []
        for k, els in enumerate(groups):
            v = vol[els].sum()
            rows.append({"id": int(ids[k]),
                         "eq_inelastic_strain": float(np.dot(f["eq_inelastic_strain"][els], vol[els]) / v),
                         "inelastic_work_MJ_m3": float(np.dot(f["inelastic_work_J_m3"][els], vol[els]) / v * 1e-6)})
        if rows:
            crit = max(rows, key=lambda r: r["inelastic_work_MJ_m3"])
            out.setdefault(section, {})[region] = {"items": rows, "critical": crit}
    return {"inelastic": out} if out else {}


def record(rec: Record, hs, ctx_args, t: float, T_oven: float, step_name: str, branch: str, segment: str,
           spread: float, report: bool, T_nodes=None) -> dict:
    """Post-process the committed state of ``hs`` into ``rec``; returns the output entry."""
    pmesh, problem, case = ctx_args
    st = hs.snapshot()
    ctx = PostContext.of(pmesh, problem, st, case)
    post = run_post(ctx)
    faces = post.pop("_faces", {})
    out = {"index": len(rec.outputs) if report else None, "time_s": float(t), "temperature_C": float(T_oven),
           "step": step_name, "branch": branch, "segment": segment, **post,
           "max_temperature_difference_C": float(spread)}
    out.update(inelastic_items(ctx, hs))
    from .api import _history_row

    row = _history_row(out)
    row["step"] = step_name
    row["branch"] = branch
    row["max_temperature_difference_C"] = float(spread)
    row["increment"] = len(rec.history)
    row.pop("index", None)
    rec.history.append(row)
    if report:
        m = pmesh.mesh
        T_pt = np.full(m.nvertices, float(T_oven)) if T_nodes is None else np.asarray(T_nodes, float)
        cell = {"stress_MPa": st.stress * 1e-6, "von_mises_MPa": ctx.von_mises * 1e-6, "strain": st.strain,
                "mech_strain": ctx.mech_strain, "born": hs.born.astype(float)}
        if not hs.linear:
            f = hs.inelastic_fields()
            cell["eq_inelastic_strain"] = f["eq_inelastic_strain"]
            cell["inelastic_work_MJ_m3"] = f["inelastic_work_J_m3"] * 1e-6
        rec.fields.append(FieldSet(point_data={"displacement": ctx.vertex_u, "temperature": T_pt}, cell_data=cell))
        rec.faces.append(faces)
        rec.outputs.append(out)
    return out


# ------------------------------------------------------------------------------------------- checkpoints
def _ckpt(out_dir) -> Path:
    return Path(out_dir) / "checkpoint"


def save_checkpoint(out_dir, case, step_index: int, hs, rec: Record, T_nodes, t_now: float) -> None:
    """Write the state after step ``step_index`` (atomic files; record.json last marks it complete)."""
    from .io.atomic import atomic_path, atomic_write_text

    d = _ckpt(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    arrays = hs.state_arrays()
    if T_nodes is not None:
        arrays["thermal:T_nodes"] = np.asarray(T_nodes)
    with atomic_path(d / "state.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    fa = {}
    for k, fs in enumerate(rec.fields):
        for name, v in fs.point_data.items():
            fa[f"{k}:point:{name}"] = v
        for name, v in fs.cell_data.items():
            fa[f"{k}:cell:{name}"] = v
    for k, faces in enumerate(rec.faces):
        for key, s in faces.items():
            for attr in ("x", "y", "w", "w_detrended"):
                fa[f"{k}:face:{key}:{attr}"] = getattr(s, attr)
    with atomic_path(d / "fields.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **fa)
    meta = {"version": CHECKPOINT_VERSION, "case_hash": case.hash(), "step_index": step_index, "time_s": t_now,
            "outputs": _json_safe(rec.outputs), "history": _json_safe(rec.history), "iterations": rec.iterations,
            "methods": sorted(rec.methods), "newton": rec.newton, "n_fields": len(rec.fields),
            "face_keys": [sorted(f) for f in rec.faces]}
    atomic_write_text(d / "record.json", json.dumps(meta) + "\n")


def load_checkpoint(out_dir, case, hs):
    """Restore a checkpoint into ``hs``; returns (step_index done, Record, T_nodes or None, time) or None."""
    d = _ckpt(out_dir)
    if not (d / "record.json").exists():
        return None
    try:
        meta = json.loads((d / "record.json").read_text())
    except (OSError, ValueError):
        return None
    if meta.get("version") != CHECKPOINT_VERSION:
        return None
    if meta.get("case_hash") != case.hash():
        raise InputError([Problem("--resume", f"the checkpoint in {d} belongs to another case (hash "
                                              f"{meta.get('case_hash')}, this case {case.hash()}); "
                                              "run without --resume or use that case")])
    with np.load(d / "state.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    T_nodes = arrays.pop("thermal:T_nodes", None)
    hs.restore(arrays)
    rec = Record(outputs=meta["outputs"], history=meta["history"], iterations=meta["iterations"],
                 methods=set(meta["methods"]), newton=meta["newton"])
    with np.load(d / "fields.npz", allow_pickle=False) as z:
        for k in range(meta["n_fields"]):
            fs = FieldSet()
            for name in z.files:
                i, kind, rest = name.split(":", 2)
                if int(i) != k:
                    continue
                if kind == "point":
                    fs.point_data[rest] = z[name]
                elif kind == "cell":
                    fs.cell_data[rest] = z[name]
            rec.fields.append(fs)
            faces = {}
            for key in meta["face_keys"][k]:
                faces[key] = FaceSample(*(z[f"{k}:face:{key}:{a}"] for a in ("x", "y", "w", "w_detrended")))
            rec.faces.append(faces)
    return int(meta["step_index"]), rec, T_nodes, float(meta["time_s"])


# ------------------------------------------------------------------------------------------- the run
def make_models(case, pmesh) -> dict:
    """Region -> constitutive model instance from ``case.models`` (elastic regions get None: the default)."""
    from .case import region_models

    names = region_models(case)
    out = {}
    for region, name in names.items():
        if name == "elastic":
            continue
        from .constitutive import make_model

        mat_name = pmesh.region_material.get(region)
        if mat_name is None:
            continue
        out[region] = make_model(name, case.materials_resolved[mat_name])
    return out


def run_steps(case, pmesh, problem, progress=None, timing=None, ckpt_dir=None, resume: bool = False) -> Record:
    """Run ``case.load.steps`` on ``problem``; returns the :class:`Record`.

    Args:
        ckpt_dir: run folder for checkpoints (None: none written).
        resume: continue from the checkpoint in ``ckpt_dir`` when there is one.
    """
    from .api import stress_free_temperatures
    from .process import initial_temperature, plan
    from .solve.history import HistorySolver, NewtonSettings

    timing = timing if timing is not None else {}
    say = progress or (lambda msg: None)
    steps = plan(case)
    born_later = {r for s in steps for r in s.births}
    sf = stress_free_temperatures(case, pmesh)
    born_at_start = {r: sf[r] for r in pmesh.region_names if r not in born_later}
    hs = HistorySolver(problem, make_models(case, pmesh), born_at_start,
                       NewtonSettings(**case.solver.newton.model_dump()))
    thermal = None
    if case.thermal.mode == "transient":
        from .solve.thermal import ThermalProblem

        thermal = ThermalProblem(pmesh, case.materials_resolved, dict(case.thermal.h), theta=case.thermal.theta)
    T0 = initial_temperature(case)
    ctx_args = (pmesh, problem, case)
    first = 0
    rec = None
    T_nodes = None
    restored = load_checkpoint(ckpt_dir, case, hs) if (resume and ckpt_dir is not None) else None
    if restored is not None:
        done, rec, T_nodes, _ = restored
        first = done + 1
        say(f"resume: steps 1-{done + 1} restored from {Path(ckpt_dir) / 'checkpoint'}")
    else:
        rec = Record()
        hs.set_temperature(T0)
        if thermal is not None:
            T_nodes = thermal.initial(T0)
        t0 = time.perf_counter()
        hs.advance(T0, 0.0, label="initial state")
        _add_timing(timing, hs, t0)
        t0 = time.perf_counter()
        record(rec, hs, ctx_args, 0.0, T0, "initial", "hold", "initial", 0.0, True, T_nodes)
        timing["post"] = timing.get("post", 0.0) + time.perf_counter() - t0
    for step in steps[first:]:
        problem.solver.reset()  # same arithmetic whether or not the run was resumed at this boundary
        if step.births:
            born = hs.birth(step.births)
            say(f"step '{step.name}': born stress-free at {np.mean(hs.T):.4g} degC: {', '.join(born)}")
        report = set(np.round(step.report_times, 9))
        t_prev = step.t_start
        T_prev_oven = float(step.temperature(step.t_start))
        n = len(step.increments)
        say(f"step '{step.name}' ({step.kind}): {n} increments, {step.t_start:g}..{step.t_end:g} s")
        for k, t in enumerate(step.increments):
            T_oven = float(step.temperature(t))
            dt = float(t - t_prev)
            spread = 0.0
            if thermal is not None:
                tt = time.perf_counter()
                T_nodes = thermal.step(T_nodes, dt, T_oven, T_prev_oven)
                T_el = thermal.element_temperature(T_nodes)
                spread = float(thermal.spread(T_nodes))
                timing["thermal"] = timing.get("thermal", 0.0) + time.perf_counter() - tt
            else:
                T_el = T_oven
            t0 = time.perf_counter()
            st = hs.advance(T_el, dt, label=f"step '{step.name}' ({step.kind})")
            _add_timing(timing, hs, t0)
            rec.iterations.append(int(sum(st.linear_iterations)))
            if st.method:
                rec.methods.add(st.method)
            rec.newton.append({"step": step.name, "time_s": float(t), "newton_iterations": st.iterations,
                               "cutbacks": st.cutbacks})
            t0 = time.perf_counter()
            record(rec, hs, ctx_args, t, T_oven, step.name, step.branch(t), step.segment(t), spread,
                   round(float(t), 9) in report or k == n - 1 and step.report_times.size == 0, T_nodes)
            timing["post"] = timing.get("post", 0.0) + time.perf_counter() - t0
            t_prev, T_prev_oven = t, T_oven
        if ckpt_dir is not None:
            save_checkpoint(ckpt_dir, case, step.index, hs, rec, T_nodes, float(step.t_end))
    rec.plan = steps
    return rec


def _add_timing(timing: dict, hs, t0: float) -> None:
    total = time.perf_counter() - t0
    a, s = hs.timing["assemble"] + hs.timing["material"], hs.timing["solve"]
    prev = getattr(hs, "_timing_seen", (0.0, 0.0))
    timing["assemble"] = timing.get("assemble", 0.0) + (a - prev[0])
    timing["solve"] = timing.get("solve", 0.0) + (s - prev[1])
    hs._timing_seen = (a, s)
    del total
