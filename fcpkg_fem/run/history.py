"""Running a process history: steps -> increments -> (thermal) -> mechanics -> post, with checkpoints.

:func:`run_steps` drives a :class:`~fcpkg_fem.solve.history.HistorySolver` through the plan of
:func:`fcpkg_fem.case.plan.plan`. Every increment is post-processed (warpage, stresses, items) into one row of
history.csv; the report times of each step also keep their full fields for the VTU series and summary.json.

When the steps model moisture (a moisture step or a ``humidity``: docs/moisture.md) the wetness of the permeable
parts rides on the same increments (:class:`fcpkg_fem.run.moisture.MoistureCoupling`): advanced over each increment
before its mechanics, with the increment's temperatures, its swelling handed to the mechanics with the cure strain.

A checkpoint is written after each completed step (:mod:`fcpkg_fem.run.checkpoint`). A resumed run restores it
and continues with the next step; the linear solver starts fresh at every step boundary in both runs, so a
resumed run repeats the uninterrupted run's arithmetic exactly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from fcpkg_fem.case import region_models
from fcpkg_fem.case.plan import initial_temperature, plan
from fcpkg_fem.constitutive import make_model
from fcpkg_fem.errors import SolverError
from fcpkg_fem.post.joints import JointTracker
from fcpkg_fem.run.checkpoint import load_checkpoint, mesh_digest, save_checkpoint, save_failure, write_case_input
from fcpkg_fem.run.moisture import MoistureCoupling
from fcpkg_fem.run.progress import Status, reporter_of, status
from fcpkg_fem.run.record import Record, record
from fcpkg_fem.solve.history import HistorySolver, NewtonSettings
from fcpkg_fem.solve.thermal import ThermalProblem


def make_models(case, pmesh) -> dict:
    """Region -> constitutive model instance for the regions ``case.models`` makes inelastic (the others take
    the history solver's default, the registered elastic model)."""
    out = {}
    for region, name in region_models(case).items():
        mat_name = pmesh.region_material.get(region)
        if name != "elastic" and mat_name is not None:
            out[region] = make_model(name, case.materials_resolved[mat_name])
    return out


@dataclass
class _Run:
    """What every step of one history run shares."""

    case: object
    pmesh: object
    problem: object
    hs: HistorySolver
    thermal: ThermalProblem | None
    rec: Record
    timing: dict
    say: Callable[[str], None]
    ckpt_dir: object
    T_nodes: np.ndarray | None = None
    moisture: MoistureCoupling | None = None
    progress: object = None  # the run's progress (messages and status), None for none
    at: Status | None = None  # the increment under way, for the status of its Newton iterations
    done: int = 0  # increments of the plan completed (restored ones included)
    total: int = 0  # increments of the plan
    boundary: object = None  # the submodels' BoundaryRecord, checkpointed with the steps
    mesh: str = ""  # the mesh's SHA-256 (checkpoint.mesh_digest), recorded with every checkpoint

    def newton(self, event: str, hs, **info) -> None:
        """HistorySolver observer: each Newton iteration (one linear solve) moves the status on."""
        if event == "iteration" and self.at is not None:
            status(self.progress, self.at, newton=info["it"], activity="tangent and linear solve")

    def extra_state(self) -> dict:
        """Named arrays of the state besides the solver's (the moisture field's), for checkpoints."""
        return {} if self.moisture is None else self.moisture.state_arrays()


def run_steps(case, pmesh, problem, progress=None, timing=None, ckpt_dir=None, resume: bool = False,
              observers=(), boundary=None) -> Record:
    """Run ``case.load.steps`` on ``problem``; returns the :class:`Record`.

    Args:
        ckpt_dir: run folder for checkpoints (None: none written).
        resume: continue from the checkpoint in ``ckpt_dir`` when there is one.
        progress: the run's progress: messages, and a status (:mod:`fcpkg_fem.run.progress`) at every increment
            and Newton iteration.
        observers: callables ``obs(event, hs, **info)`` added to the HistorySolver's observers; besides its
            "start", "iteration" and "commit" they are told "step" (step=, after the step's births) and
            "increment" (step=, t=, after each planned increment): e.g. :class:`fcpkg_fem.solve.submodel.BoxRecorder`.
        boundary: the BoundaryRecord such a recorder fills: saved with every checkpoint and, on resume, rebuilt
            with the completed steps' events (the recorder then adds the rest).
    """
    timing = timing if timing is not None else {}
    progress = reporter_of(progress)
    say = progress or (lambda msg: None)
    steps = plan(case)
    born_later = {r for s in steps for r in s.births}
    sf = case.stress_free_temperatures(pmesh.region_names, pmesh.region_material)
    born_at_start = {r: sf[r] for r in pmesh.region_names if r not in born_later}
    hs = HistorySolver(problem, make_models(case, pmesh), born_at_start,
                       NewtonSettings(**case.solver.newton.model_dump()))
    hs.observers.extend(observers)
    thermal = None
    if case.thermal.mode == "transient":
        thermal = ThermalProblem(pmesh, case.materials_resolved, dict(case.thermal.h), theta=case.thermal.theta)
    run = _Run(case, pmesh, problem, hs, thermal, Record(), timing, say, ckpt_dir, progress=progress,
               total=sum(len(s.increments) for s in steps))
    hs.observers.append(run.newton)
    run.boundary = boundary
    if any(s.humidity is not None for s in steps):
        run.moisture = MoistureCoupling(case, pmesh, steps)
    first = 0
    extra: dict = {}
    run.mesh = mesh_digest(pmesh) if ckpt_dir is not None else ""
    restored = None
    if resume and ckpt_dir is not None:
        restored = load_checkpoint(ckpt_dir, case, hs, extra, boundary, run.mesh)
    if restored is not None:
        done, run.rec, run.T_nodes, _ = restored
        if run.moisture is not None:
            run.moisture.restore(extra)
        first = done + 1
        run.done = sum(len(s.increments) for s in steps[:first])
        say(f"resume: steps 1-{done + 1} restored from {Path(ckpt_dir) / 'checkpoint'}")
    else:
        _initial_state(run, initial_temperature(case))
    for step in steps[first:]:
        _run_step(run, step)
    run.rec.plan = steps
    return run.rec


def _initial_state(run: _Run, T0: float) -> None:
    """The state before the first step: every part born at start, at the initial temperature."""
    hs = run.hs
    if run.ckpt_dir is not None:
        write_case_input(run.case, run.ckpt_dir)
    hs.set_temperature(T0)
    if run.thermal is not None:
        run.T_nodes = run.thermal.initial(T0)
    if run.moisture is not None:
        run.moisture.start(T0)
    status(run.progress, phase="history", activity="initial state", temperature_C=T0, done=0, total=run.total)
    hs.advance(T0, 0.0, label="initial state")
    _add_timing(run.timing, hs, run.rec)
    t0 = time.perf_counter()
    record(run.rec, hs, (run.pmesh, run.problem, run.case), 0.0, T0, "initial", "hold", "initial", 0.0, True,
           run.T_nodes, moisture=run.moisture)
    run.timing["post"] = run.timing.get("post", 0.0) + time.perf_counter() - t0


def _run_step(run: _Run, step) -> None:
    """One planned step: births, cure, every increment, the step's life estimates and its checkpoint."""
    hs, rec, say = run.hs, run.rec, run.say
    run.problem.solver.reset()  # same arithmetic whether or not the run was resumed at this boundary
    hs.new_step()
    if step.births:
        born = hs.birth(step.births)
        say(f"step '{step.name}': born stress-free at {np.mean(hs.T):.4g} degC: {', '.join(born)}")
    if run.moisture is not None:
        run.moisture.begin_step(step, hs)
        say(f"step '{step.name}': ambient {100 * step.humidity:.4g} % RH on the exposed faces")
    hs.notify("step", step=step)
    chem0, chem_full = hs.eps_chem.copy(), None
    if step.cures:  # cure shrinkage grows linearly through the step: all of it by the step's end
        chem_full = np.zeros(hs.nel)
        for r in step.cures:
            cs = hs.region_material[r].extra["cure_shrinkage"]
            chem_full[hs.region_elements[r]] = cs.strain(1.0)[0, 0]
        say(f"step '{step.name}': cure shrinkage of {', '.join(step.cures)}")
    report = set(np.round(step.report_times, 9))
    # the joints at every increment: the life models need each cycle's strain range, not only its end points
    tracker = JointTracker(run.pmesh, hs, step) if (step.kind == "thermal_cycle" and hs.has_inelastic) else None
    t_prev = step.t_start
    T_prev_oven = float(step.temperature(step.t_start))
    n = len(step.increments)
    say(f"step '{step.name}' ({step.kind}): {n} increments, {step.t_start:g}..{step.t_end:g} s")
    t_step = time.perf_counter()
    n_rows = len(rec.newton)
    for k, t in enumerate(step.increments):
        T_oven = float(step.temperature(t))
        # the live status of this increment (its Newton iterations add theirs: _Run.newton)
        run.at = status(run.progress, phase="history", activity="increment", step=step.name, increment=k + 1,
                        increments=n, done=run.done, total=run.total, temperature_C=T_oven)
        chem = None if chem_full is None else \
            chem0 + chem_full * (float(t) - step.t_start) / max(step.t_end - step.t_start, 1e-300)
        spread = _increment(run, step, float(t), float(t - t_prev), T_oven, T_prev_oven, chem)
        t0 = time.perf_counter()
        status(run.progress, run.at, activity="post-processing")
        record(rec, hs, (run.pmesh, run.problem, run.case), t, T_oven, step.name, step.branch(t), step.segment(t),
               spread, round(float(t), 9) in report or k == n - 1 and step.report_times.size == 0, run.T_nodes,
               cycle=step.cycle(t), moisture=run.moisture)
        if tracker is not None:
            tracker.add(float(t), hs)
        hs.notify("increment", step=step, t=float(t))
        run.timing["post"] = run.timing.get("post", 0.0) + time.perf_counter() - t0
        t_prev, T_prev_oven = t, T_oven
        run.done += 1
    run.at = None
    done = rec.newton[n_rows:]
    say(f"step '{step.name}' done in {time.perf_counter() - t_step:.1f} s: "
        f"{sum(d['newton_iterations'] for d in done)} Newton iterations (at most "
        f"{max((d['newton_iterations'] for d in done), default=0)} per increment), "
        f"{sum(1 for d in done if d['cutbacks'])} increments cut back")
    if tracker is not None:
        # the last complete cycle runs between the last two cycle starts (the step's end closes no cycle)
        rec.life[step.name] = tracker.life_estimates(step)
    if run.ckpt_dir is not None:
        save_checkpoint(run.ckpt_dir, run.case, step.index, hs, rec, run.T_nodes, float(step.t_end),
                        extra=run.extra_state(), boundary=run.boundary, mesh=run.mesh)


def _increment(run: _Run, step, t: float, dt: float, T_oven: float, T_prev_oven: float, chem) -> float:
    """Advance heat (when transient) and mechanics by one increment ending at time ``t`` (s) and oven temperature
    ``T_oven`` (degC);
    returns the package's temperature spread (K)."""
    hs, rec, timing = run.hs, run.rec, run.timing
    spread = 0.0
    if run.thermal is not None:
        status(run.progress, run.at, activity="heat conduction")
        tt = time.perf_counter()
        run.T_nodes = run.thermal.step(run.T_nodes, dt, T_oven, T_prev_oven)
        T_el = run.thermal.element_temperature(run.T_nodes)
        spread = float(run.thermal.spread(run.T_nodes))
        timing["thermal"] = timing.get("thermal", 0.0) + time.perf_counter() - tt
    else:
        T_el = T_oven
    hyg = None
    if run.moisture is not None:  # the wetness first, with the increment's temperatures: its swelling for the mechanics
        status(run.progress, run.at, activity="moisture diffusion")
        tm = time.perf_counter()
        hyg = run.moisture.advance(t - dt, t, T_el)
        timing["moisture"] = timing.get("moisture", 0.0) + time.perf_counter() - tm
    try:
        st = hs.advance(T_el, dt, label=f"step '{step.name}' ({step.kind})", chem_end=chem, hyg_end=hyg)
        for ev in hs.events:
            run.say(f"step '{step.name}': t = {ev['time_s']:.6g} s: {ev['region']} {ev['change']} "
                    f"({ev['elements']} elements, solidus {ev['solidus_C']:.4g} degC)")
            rec.events.append({"step": step.name, **ev})
        hs.events.clear()
    except SolverError as err:
        if run.ckpt_dir is not None:  # keep the last converged state for diagnosis (the resume point stays
            save_failure(run.ckpt_dir, hs, run.T_nodes, step.name, err,  # the last completed step)
                         extra=run.extra_state())
        raise
    _add_timing(timing, hs, rec)
    rec.iterations.append(int(sum(st.linear_iterations)))
    if st.method:
        rec.methods.add(st.method)
    rec.newton.append({"step": step.name, "time_s": t, "newton_iterations": st.iterations,
                       "cutbacks": st.cutbacks, "residuals": [float(x) for x in st.residuals]})
    return spread


def _add_timing(timing: dict, hs, rec: Record) -> None:
    """Add the solver's assembly (element and material work) and solve seconds since the last call to ``timing``."""
    a, s = hs.timing["assemble"] + hs.timing["material"], hs.timing["solve"]
    timing["assemble"] = timing.get("assemble", 0.0) + (a - rec.seen[0])
    timing["solve"] = timing.get("solve", 0.0) + (s - rec.seen[1])
    rec.seen = (a, s)
