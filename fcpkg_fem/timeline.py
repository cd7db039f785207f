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

from .errors import InputError, Problem, SolverError
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
    life: dict = field(default_factory=dict)  # thermal_cycle step name -> per region cyclic results and life
    plan: list = field(default_factory=list)  # the PlannedSteps run
    events: list = field(default_factory=list)  # solder melting and solidification: step, time_s, region, change, ..
    seen: tuple = (0.0, 0.0)  # solver seconds (assemble + material, solve) already added to the run's timing


def _json_safe(x):
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def item_elements(pmesh, region: str) -> list[np.ndarray]:
    """Element indices of each item (bump, ball, via) of ``region``, by item id (empty for absent items)."""
    ri = pmesh.region_names.index(region)
    sel = np.nonzero(pmesh.cell_region == ri)[0]
    ids = pmesh.cell_item[sel]
    n = len(pmesh.items.get(region, ()))
    return [sel[ids == k] for k in range(n)]


def pad_layers(pmesh, els: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The element layers of one joint at its lower and upper pad interface (Darveaux averaging).

    Returns (lower elements, upper elements, lower layer thickness in m, upper layer thickness in m)."""
    m = pmesh.mesh
    z = m.p[2, m.t[:, els]]
    zlo, zhi = z.min(axis=0), z.max(axis=0)
    lo = els[np.abs(zlo - zlo.min()) < 1e-12]
    hi = els[np.abs(zhi - zhi.max()) < 1e-12]
    return lo, hi, float(np.mean(zhi[np.isin(els, lo)] - zlo.min())), float(np.mean(zhi.max() - zlo[np.isin(els, hi)]))


INELASTIC_KINDS = ("bumps", "balls", "vias", "traces")


def inelastic_items(ctx, hs) -> dict:
    """Per bump/ball/via volume averages of the inelastic results (empty when every model is elastic)."""
    if not hs.has_inelastic:
        return {}
    from .geometry import names as rn

    f = hs.inelastic_fields()
    vol = ctx.volumes
    pm = ctx.pmesh
    out = {}
    for region in pm.region_names:
        if rn.kind(region) not in INELASTIC_KINDS or not getattr(hs.models[region], "inelastic", False):
            continue
        rows = []
        for k, els in enumerate(item_elements(pm, region)):
            if not len(els):
                continue
            v = vol[els].sum()
            xy = pm.items[region][k]
            rows.append({"id": k, "x_mm": round(float(xy[0]) * 1e3, 6), "y_mm": round(float(xy[1]) * 1e3, 6),
                         "eq_inelastic_strain": float(np.dot(f["eq_inelastic_strain"][els], vol[els]) / v),
                         "inelastic_work_MJ_m3": float(np.dot(f["inelastic_work_J_m3"][els], vol[els]) / v * 1e-6)})
        if rows:
            out[region] = {"critical": max(rows, key=lambda r: r["inelastic_work_MJ_m3"]), "items": rows}
    return {"inelastic": out} if out else {}


def joint_work(pmesh, hs) -> dict[str, dict[str, np.ndarray]]:
    """Per joint of every inelastic bump/ball region: accumulated inelastic work density (J/m^3) averaged over the
    whole joint (``volume``) and over its lower and upper pad layers (``lower``, ``upper``); also the
    accumulated equivalent inelastic strain (``eq``)."""
    from .geometry import names as rn

    f = hs.inelastic_fields()
    vol = hs.p.volumes
    out = {}
    for region in pmesh.region_names:
        if rn.kind(region) not in ("bumps", "balls") or not getattr(hs.models[region], "inelastic", False):
            continue
        rows = {"volume": [], "lower": [], "upper": [], "eq": [], "t_lower": [], "t_upper": []}
        for els in item_elements(pmesh, region):
            if not len(els):
                for k in rows:
                    rows[k].append(np.nan)
                continue
            lo, hi, tl, tu = pad_layers(pmesh, els)
            W = f["inelastic_work_J_m3"]

            def avg(e, a=W):
                return float(np.dot(a[e], vol[e]) / vol[e].sum())

            rows["volume"].append(avg(els))
            rows["lower"].append(avg(lo))
            rows["upper"].append(avg(hi))
            rows["eq"].append(avg(els, f["eq_inelastic_strain"]))
            rows["t_lower"].append(tl)
            rows["t_upper"].append(tu)
        out[region] = {k: np.array(v) for k, v in rows.items()}
    return out


def cycle_marks(step) -> list[float]:
    """Absolute start times of each cycle of a thermal_cycle step (the first soak of each cycle index)."""
    p = step.profile
    marks, seen = [], set()
    for k, (lab, c) in enumerate(zip(p.segments, p.cycle)):
        if "soak" in str(lab) and int(c) not in seen:
            seen.add(int(c))
            marks.append(step.t_start + float(p.time_s[k]))
    return marks


def life_estimates(pmesh, volumes: np.ndarray, step, marks: list[tuple[float, dict]]) -> dict:
    """Per-cycle increments of the joints' inelastic work and strain between consecutive cycle starts, and the
    life estimates of the critical joint from the last complete cycle (Darveaux, Syed, Engelmaier)."""
    from . import life

    if len(marks) < 2:
        return {}
    out = {}
    (t0, w0), (t1, w1) = marks[-2], marks[-1]
    per_hour = 3600.0 / (t1 - t0)
    Ts = step.profile.temperature_C
    T_mean = 0.5 * (float(np.max(Ts)) + float(np.min(Ts)))
    for region in w1:
        dW_lo = w1[region]["lower"] - w0[region]["lower"]
        dW_hi = w1[region]["upper"] - w0[region]["upper"]
        dW_layer = np.fmax(dW_lo, dW_hi)
        dW_vol = w1[region]["volume"] - w0[region]["volume"]
        d_eq = w1[region]["eq"] - w0[region]["eq"]
        if not np.any(np.isfinite(dW_layer)):
            continue
        k = int(np.nanargmax(dW_layer))
        upper = bool(dW_hi[k] >= dW_lo[k])
        layer_t = float(w1[region]["t_upper"][k] if upper else w1[region]["t_lower"][k])
        xy = pmesh.items[region][k]
        side = "upper" if upper else "lower"
        series = [float(b[1][region][side][k] - a[1][region][side][k]) * 1e-6 for a, b in zip(marks[:-1], marks[1:])]
        entry = {
            "cycle_window_s": [t0, t1], "complete_cycles": len(marks) - 1, "cycles_per_hour": per_hour,
            "mean_temperature_C": T_mean,
            "critical": {"id": k, "x_mm": round(float(xy[0]) * 1e3, 6), "y_mm": round(float(xy[1]) * 1e3, 6),
                         "interface": "upper" if upper else "lower",
                         "dW_layer_MJ_m3": float(dW_layer[k]) * 1e-6, "dW_volume_MJ_m3": float(dW_vol[k]) * 1e-6,
                         "d_eq_inelastic_strain": float(d_eq[k]), "layer_thickness_um": layer_t * 1e6,
                         "dW_layer_per_cycle_MJ_m3": series,
                         # how far from stabilised: the last complete cycle's dW relative to the one before
                         "dW_change_last_cycle": (series[-1] / series[-2] - 1.0
                                                  if len(series) >= 2 and series[-2] != 0 else None)},
            "per_joint": [{"id": i, "dW_layer_MJ_m3": float(dW_layer[i]) * 1e-6,
                           "dW_volume_MJ_m3": float(dW_vol[i]) * 1e-6, "d_eq_inelastic_strain": float(d_eq[i])}
                          for i in range(len(dW_layer)) if np.isfinite(dW_layer[i])],
            "estimates": {},
        }
        est = entry["estimates"]
        dW = float(dW_layer[k])
        if dW > 0:
            diam = _joint_diameter(pmesh, volumes, region, k)
            n, info = life.darveaux(dW, diam, layer_thickness_m=layer_t)
            est["darveaux"] = {"cycles": n, **info}
            n, info = life.syed(float(dW_vol[k])) if dW_vol[k] > 0 else (None, None)
            if n is not None:
                est["syed"] = {"cycles": n, **info}
        if d_eq[k] > 0:
            n, info = life.engelmaier(float(np.sqrt(3.0) * d_eq[k]), T_mean, 24.0 * per_hour)
            est["engelmaier"] = {"cycles": n, **info,
                                 "note": "delta_gamma = sqrt(3) x the joint's volume-averaged equivalent inelastic "
                                         "strain increment over the cycle (von Mises shear equivalent)"}
        out[region] = entry
    return out


def _joint_diameter(pmesh, volumes: np.ndarray, region: str, k: int) -> float:
    """Diameter (m) of joint ``k`` from its volume and height (the crack length of Darveaux's growth term)."""
    els = item_elements(pmesh, region)[k]
    m = pmesh.mesh
    z = m.p[2, m.t[:, els]]
    h = float(z.max() - z.min())
    vol = float(np.sum(volumes[els])) / _modelled_fraction(pmesh, region, k)  # whole joint if cut by symmetry
    return float(2.0 * np.sqrt(vol / (np.pi * h)))


def _modelled_fraction(pmesh, region: str, k: int) -> float:
    x, y = pmesh.items[region][k]
    g = pmesh.geometry
    f = 1.0
    if g.symmetry in ("half", "quarter") and abs(x) < 1e-12:
        f *= 0.5
    if g.symmetry == "quarter" and abs(y) < 1e-12:
        f *= 0.5
    return f


def record(rec: Record, hs, ctx_args, t: float, T_oven: float, step_name: str, branch: str, segment: str,
           spread: float, report: bool, T_nodes=None) -> dict:
    """Post-process the committed state of ``hs`` into ``rec``; returns the output entry."""
    pmesh, problem, case = ctx_args
    st = hs.snapshot(extend=report)  # fields show unborn parts moving with the package
    ctx = PostContext.of(pmesh, problem, st, case)
    post = run_post(ctx)
    faces = post.pop("_faces", {})
    out = {"index": len(rec.outputs) if report else None, "time_s": float(t), "temperature_C": float(T_oven),
           "step": step_name, "branch": branch, "segment": segment, **post,
           "max_temperature_difference_C": float(spread),
           "package_mean_temperature_C": float(np.dot(hs.T, problem.volumes) / problem.volumes.sum())}
    out.update(inelastic_items(ctx, hs))
    from .api import _history_row

    row = _history_row(out)
    row["step"] = step_name
    row["branch"] = branch
    row["max_temperature_difference_C"] = float(spread)
    row["package_mean_temperature_C"] = out["package_mean_temperature_C"]
    row["increment"] = len(rec.history)
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
        rec.fields.append(FieldSet(point_data={"displacement": ctx.vertex_u, "temperature": T_pt}, cell_data=cell))
        rec.faces.append(faces)
        rec.outputs.append(out)
    return out


# ------------------------------------------------------------------------------------------- checkpoints
def _ckpt(out_dir) -> Path:
    return Path(out_dir) / "checkpoint"


def _savez(path: Path, arrays: dict) -> None:
    from .io.atomic import atomic_path

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def _write_state(out_dir, name: str, hs, T_nodes) -> Path:
    """The solver state (and nodal temperatures) as ``checkpoint/<name>``, atomically; returns the folder."""
    d = _ckpt(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    arrays = hs.state_arrays()
    if T_nodes is not None:
        arrays["thermal:T_nodes"] = np.asarray(T_nodes)
    _savez(d / name, arrays)
    return d


def save_checkpoint(out_dir, case, step_index: int, hs, rec: Record, T_nodes, t_now: float) -> None:
    """Write the state after step ``step_index`` (atomic files; record.json last marks it complete)."""
    from .io.atomic import atomic_write_text

    d = _write_state(out_dir, "state.npz", hs, T_nodes)
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
    _savez(d / "fields.npz", fa)
    meta = {"version": CHECKPOINT_VERSION, "case_hash": case.hash(), "step_index": step_index, "time_s": t_now,
            "outputs": _json_safe(rec.outputs), "history": _json_safe(rec.history), "iterations": rec.iterations,
            "methods": sorted(rec.methods), "newton": rec.newton, "n_fields": len(rec.fields),
            "life": _json_safe(rec.life), "events": _json_safe(rec.events),
            "face_keys": [sorted(f) for f in rec.faces]}
    atomic_write_text(d / "record.json", json.dumps(meta) + "\n")


def _save_failure(out_dir, hs, T_nodes, step_name: str, err: Exception) -> None:
    """``checkpoint/last_converged.npz`` (solver state of the last converged increment) and ``failure.json``."""
    from .io.atomic import atomic_write_text

    d = _write_state(out_dir, "last_converged.npz", hs, T_nodes)
    atomic_write_text(d / "failure.json", json.dumps({"step": step_name, "time_s": hs.time, "error": str(err)},
                                                     indent=1) + "\n")


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
                 methods=set(meta["methods"]), newton=meta["newton"], life=meta.get("life", {}),
                 events=meta.get("events", []))
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


CASE_INPUT = "case.input.json"  # in the checkpoint folder: the case as read, to resume it from the folder alone


def _write_case_input(case, out_dir) -> None:
    from .io.atomic import atomic_write_text

    d = _ckpt(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    atomic_write_text(d / CASE_INPUT, json.dumps(case.input_dict(), indent=1) + "\n")


def resume_case(out_dir):
    """The case a run folder's checkpoint belongs to (for ``fcpkg run --resume DIR``).

    Raises:
        InputError: the folder has no checkpoint of a process history.
    """
    from .case import load_case

    p = _ckpt(out_dir) / CASE_INPUT
    if not p.exists():
        raise InputError([Problem("--resume", f"{out_dir} holds no checkpoint of a process history "
                                              f"({p} is missing); run the case without --resume")])
    try:
        raw = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise InputError([Problem("--resume", f"cannot read {p}: {exc}")]) from None
    return load_case(raw)


# ------------------------------------------------------------------------------------------- the run
def make_models(case, pmesh) -> dict:
    """Region -> constitutive model instance for the regions ``case.models`` makes inelastic (the others take
    the history solver's default, the registered elastic model)."""
    from .case import region_models
    from .constitutive import make_model

    out = {}
    for region, name in region_models(case).items():
        mat_name = pmesh.region_material.get(region)
        if name != "elastic" and mat_name is not None:
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
        if ckpt_dir is not None:
            _write_case_input(case, ckpt_dir)
        hs.set_temperature(T0)
        if thermal is not None:
            T_nodes = thermal.initial(T0)
        hs.advance(T0, 0.0, label="initial state")
        _add_timing(timing, hs, rec)
        t0 = time.perf_counter()
        record(rec, hs, ctx_args, 0.0, T0, "initial", "hold", "initial", 0.0, True, T_nodes)
        timing["post"] = timing.get("post", 0.0) + time.perf_counter() - t0
    for step in steps[first:]:
        problem.solver.reset()  # same arithmetic whether or not the run was resumed at this boundary
        hs.new_step()
        if step.births:
            born = hs.birth(step.births)
            say(f"step '{step.name}': born stress-free at {np.mean(hs.T):.4g} degC: {', '.join(born)}")
        chem0, chem_full = hs.eps_chem.copy(), None
        if step.cures:  # cure shrinkage grows linearly through the step: all of it by the step's end
            chem_full = np.zeros(hs.nel)
            for r in step.cures:
                cs = hs.region_material[r].extra["cure_shrinkage"]
                chem_full[hs.region_elements[r]] = cs.strain(1.0)[0, 0]
            say(f"step '{step.name}': cure shrinkage of {', '.join(step.cures)}")
        report = set(np.round(step.report_times, 9))
        marks_t = set(np.round(cycle_marks(step), 9)) if (step.kind == "thermal_cycle" and hs.has_inelastic) else set()
        marks = []
        t_prev = step.t_start
        T_prev_oven = float(step.temperature(step.t_start))
        n = len(step.increments)
        say(f"step '{step.name}' ({step.kind}): {n} increments, {step.t_start:g}..{step.t_end:g} s")
        t_step = time.perf_counter()
        n_rows = len(rec.newton)
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
            try:
                chem = None if chem_full is None else \
                    chem0 + chem_full * (float(t) - step.t_start) / max(step.t_end - step.t_start, 1e-300)
                st = hs.advance(T_el, dt, label=f"step '{step.name}' ({step.kind})", chem_end=chem)
                for ev in hs.events:
                    say(f"step '{step.name}': t = {ev['time_s']:.6g} s: {ev['region']} {ev['change']} "
                        f"({ev['elements']} elements, solidus {ev['solidus_C']:.4g} degC)")
                    rec.events.append({"step": step.name, **ev})
                hs.events.clear()
            except SolverError as err:
                if ckpt_dir is not None:  # keep the last converged state for diagnosis (the resume point stays
                    _save_failure(ckpt_dir, hs, T_nodes, step.name, err)  # the last completed step)
                raise
            _add_timing(timing, hs, rec)
            rec.iterations.append(int(sum(st.linear_iterations)))
            if st.method:
                rec.methods.add(st.method)
            rec.newton.append({"step": step.name, "time_s": float(t), "newton_iterations": st.iterations,
                               "cutbacks": st.cutbacks, "residuals": [float(x) for x in st.residuals]})
            t0 = time.perf_counter()
            record(rec, hs, ctx_args, t, T_oven, step.name, step.branch(t), step.segment(t), spread,
                   round(float(t), 9) in report or k == n - 1 and step.report_times.size == 0, T_nodes)
            timing["post"] = timing.get("post", 0.0) + time.perf_counter() - t0
            if round(float(t), 9) in marks_t or (marks_t and k == n - 1):
                marks.append((float(t), joint_work(pmesh, hs)))
            t_prev, T_prev_oven = t, T_oven
        done = rec.newton[n_rows:]
        say(f"step '{step.name}' done in {time.perf_counter() - t_step:.1f} s: "
            f"{sum(d['newton_iterations'] for d in done)} Newton iterations (at most "
            f"{max((d['newton_iterations'] for d in done), default=0)} per increment), "
            f"{sum(1 for d in done if d['cutbacks'])} increments cut back")
        if marks:
            # the last complete cycle runs between the last two cycle starts (the step's end closes no cycle)
            starts = [m for m in marks if round(m[0], 9) in marks_t]
            rec.life[step.name] = life_estimates(pmesh, problem.volumes, step, starts)
        if ckpt_dir is not None:
            save_checkpoint(ckpt_dir, case, step.index, hs, rec, T_nodes, float(step.t_end))
    rec.plan = steps
    return rec


def _add_timing(timing: dict, hs, rec: Record) -> None:
    """Add the solver's assembly (element and material work) and solve seconds since the last call to ``timing``."""
    a, s = hs.timing["assemble"] + hs.timing["material"], hs.timing["solve"]
    timing["assemble"] = timing.get("assemble", 0.0) + (a - rec.seen[0])
    timing["solve"] = timing.get("solve", 0.0) + (s - rec.seen[1])
    rec.seen = (a, s)
