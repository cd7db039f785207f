"""One case end to end: preflight -> mesh -> mechanical problem -> solves or process history -> post -> writers.

:func:`run` is what ``fcpkg run``, the batch workers, the regression gate and :func:`fcpkg_fem.api.run` call.
A temperature list is solved one linear problem per temperature (every part stress-free at its own stress-free
temperature); ``load.steps`` runs the process history of :mod:`fcpkg_fem.run.history`.
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

import numpy as np

from fcpkg_fem.case.plan import resolve_births
from fcpkg_fem.errors import InputError
from fcpkg_fem.io.atomic import atomic_write_text
from fcpkg_fem.io.lock import folder_lock
from fcpkg_fem.io.output import write_all
from fcpkg_fem.io.registry import WRITERS
from fcpkg_fem.post import PostContext, run_post
from fcpkg_fem.post.result import FieldSet, RunResult
from fcpkg_fem.post.warpage import allowance_check
from fcpkg_fem.run.checkpoint import checkpoint_mesh_dir
from fcpkg_fem.run.history import run_steps
from fcpkg_fem.run.meshing import Progress, mesh_case
from fcpkg_fem.run.preflight import preflight
from fcpkg_fem.run.progress import finish, reporter_of, say, status
from fcpkg_fem.run.record import Record, history_row
from fcpkg_fem.run.submodel import case_boxes
from fcpkg_fem.run.submodel_pool import run_case_submodels
from fcpkg_fem.run.summary import LIFE_NOTE, moisture_summary, process_summary, summary_of, swelling_share
from fcpkg_fem.solve.mechanical import MechanicalProblem


def output_times(case) -> list[tuple[float | None, float]]:
    """(time in s or None, uniform temperature in degC) of every output."""
    ld = case.load
    if getattr(ld, "history", None) is not None:
        return [(float(t), float(T)) for t, T in zip(ld.history.time, ld.history.temperature)]
    return [(None, float(T)) for T in ld.temperatures]


def _peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(case, out_dir: str | Path | None = None, progress: Progress = None, mesh_cache: str | Path | None = None,
        write: bool = True, source: str | None = None, force: bool = False, resume: bool = False,
        jobs: int | None = None) -> RunResult:
    """Run a validated case end to end.

    Args:
        case: a validated case (from :func:`fcpkg_fem.case.load_case`).
        out_dir: run folder; None with ``write=True`` uses ``case.output.dir`` or ``runs/<case name>``.
        progress: callable receiving one-line progress messages; when it also has a ``status`` method
            (:class:`fcpkg_fem.run.progress.Reporter`) that receives where the run is (phase, solve or increment
            i of n, temperature, Newton iteration), else such a line reaches the callable at most every 5 s.
        mesh_cache: folder for cached footprint meshes (None: no cache).
        write: write the output files (summary.json last, so its presence marks a complete run).
        source: the case file's path, recorded in the summary.
        force: run even when the estimated memory exceeds the machine's (see
            :func:`fcpkg_fem.run.preflight.preflight`, which also confines ``case.output.dir`` to the current
            directory before anything is created).
        resume: with ``load.steps``, continue from the last completed step checkpointed in the run folder.
        jobs: worker processes running a ``submodel:`` section's local models at once (1: one after another;
            None: one per usable core, as many as the memory holds; docs/submodel.md). The results do not depend
            on it.

    Returns:
        The :class:`~fcpkg_fem.post.result.RunResult` (numbers identical to summary.json).
    """
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise InputError.single("jobs", f"expected a whole number >= 1 (processes for the submodels), got {jobs!r}")
    t_start = time.perf_counter()
    progress = reporter_of(progress)
    out_dir = preflight(case, out_dir, write=write, force=force, progress=progress)
    timing = {"preflight": time.perf_counter() - t_start, "mesh": 0.0, "assemble": 0.0, "solve": 0.0, "post": 0.0}
    try:
        if out_dir is None:
            return _run(case, None, progress, mesh_cache, source, resume, t_start, timing, force, jobs)
        with folder_lock(out_dir):  # one writer per run folder (a rerun while the first still writes is refused)
            return _run(case, out_dir, progress, mesh_cache, source, resume, t_start, timing, force, jobs)
    finally:
        finish(progress)  # no live line left behind for what the caller prints next


def _run(case, out_dir: Path | None, progress: Progress, mesh_cache, source, resume: bool, t_start: float,
         timing: dict, force: bool = False, jobs: int | None = None) -> RunResult:
    """The run after its preflight: ``out_dir`` is the (locked) run folder, None when nothing is written;
    ``timing`` holds the seconds per phase so far, ``t_start`` the run's start (perf_counter); ``force``: skip
    the submodels' memory check as the preflight's."""
    write = out_dir is not None
    t0 = time.perf_counter()
    say(progress, f"case '{case.name}': building geometry and mesh")
    status(progress, phase="mesh", activity="geometry")
    if mesh_cache is None and write and case.load.mode == "steps":
        # the footprint kept beside the checkpoints: a resume sweeps the same one (gmsh may not repeat it)
        mesh_cache = checkpoint_mesh_dir(out_dir)
    pmesh = mesh_case(case, mesh_cache, progress)
    timing["mesh"] = time.perf_counter() - t0
    element = case.mesh.element
    say(progress, f"mesh: {pmesh.mesh.nelements:,} elements; setting up the mechanical problem (element data, "
                  "sparsity pattern)")
    status(progress, phase="setup", activity="element data and sparsity pattern")
    t0 = time.perf_counter()
    problem = MechanicalProblem(pmesh, case.materials_resolved,
                                case.stress_free_temperatures(pmesh.region_names, pmesh.region_material),
                                element=element, linear=case.solver.linear, rtol=case.solver.rtol)
    timing["assemble"] += time.perf_counter() - t0
    m = pmesh.mesh
    say(progress, f"mesh: {m.nelements:,} {element} elements, {m.nvertices:,} vertices, "
                  f"{problem.ndofs:,} dofs ({pmesh.geometry.symmetry} model)")
    dry = None
    if case.load.mode == "steps":
        boxes = None if case.submodel is None else case_boxes(case, pmesh, problem, force, progress)  # issue 19
        rec = run_steps(case, pmesh, problem, progress, timing, ckpt_dir=out_dir if write else None, resume=resume,
                        observers=() if boxes is None else [boxes.recorder],
                        boundary=None if boxes is None else boxes.recorder.record)
    else:
        rec = _solve_temperatures(case, pmesh, problem, progress, timing)
    summary = summary_of(case, pmesh, problem, element, rec.methods, rec.iterations, rec.outputs, source)
    summary["stress_free"] = stress_free_assumptions(case, pmesh)
    allowance = case.output.warpage_allowance
    if allowance is not None:
        summary["warpage_allowance"] = allowance_check(rec.history, allowance.concave, allowance.convex,
                                                       allowance.source)
        for face, f in summary["warpage_allowance"]["faces"].items():
            say(progress, f"warpage allowance {allowance.concave * 1e6:+.4g} .. {allowance.convex * 1e6:+.4g} um: "
                          f"{face} {f['lowest_um']:+.4g} .. {f['highest_um']:+.4g} um, "
                          + ("within" if f["within"] else "OUTSIDE"))
    for note in summary["stress_free"]["notes"]:
        say(progress, f"assumption: {note}")
    newton = []
    if case.load.mode == "steps":
        summary["process"] = process_summary(rec)
        if rec.life:
            summary["life"] = {"note": LIFE_NOTE, "steps": rec.life}
        moist = moisture_summary(rec)
        if moist is not None:  # water per soak, peak vapour pressure per interface (docs/moisture.md)
            summary["moisture"] = moist
            if case.moisture is not None and case.moisture.compare_dry:
                dry = _dry_twin(case, pmesh, problem, progress, timing)
                moist["swelling_share"] = swelling_share(rec, dry)
        if boxes is not None:  # each submodel replays this run's record of its box (docs/submodel.md)
            t0 = time.perf_counter()
            summary["submodels"] = run_case_submodels(case, pmesh, rec, boxes, out_dir, progress, jobs)
            timing["submodels"] = time.perf_counter() - t0
        newton = rec.newton
    result = RunResult(summary=summary, points=m.p.T.copy(), cells=pmesh.cells_vtk, region_names=pmesh.region_names,
                       cell_region=pmesh.cell_region, fields=rec.fields, faces=rec.faces, history=rec.history,
                       newton=newton, vapour=rec.vapour, dry_history=None if dry is None else dry.history)
    timing["total"] = time.perf_counter() - t_start
    # what no phase above counts (building the problem's bookkeeping, the summary): so that the phases add up
    timing["other"] = max(timing["total"] - sum(v for k, v in timing.items() if k != "total"), 0.0)
    summary["timing_s"] = {k: round(v, 3) for k, v in timing.items()}
    summary["peak_memory_MB"] = round(_peak_memory_mb(), 1)
    if write:
        say(progress, f"writing results to {out_dir}")
        status(progress, phase="write", activity=f"writing results to {out_dir}")
        # the case's output switches name registered writers (tests/unit/test_writers.py keeps the two in step)
        names = [n for n in WRITERS if n != "summary" and getattr(case.output, n)]
        result.out_dir = out_dir
        _write_resolved_case(case, out_dir)
        write_all(result, out_dir, ["summary"] + names)
    return result


def stress_free_assumptions(case, pmesh) -> dict:
    """What the run assumes about the stress-free state (summary.json ``stress_free``; each note is also logged).

    ``temperatures_C``: region -> stress-free temperature, degC (with load.steps: of the parts present from the
    start; the others are born stress-free when their step starts); ``given_by``: region -> ``region``, ``material``
    or ``default`` (the load key that set it); ``notes``: plain sentences. In the simple mode a stacked package
    whose die and carrier are stress-free at another temperature than the bumps joining them is named: its result
    leaves out the die-to-carrier CTE mismatch between those temperatures (docs/process.md, "What warps the
    reference package")."""
    ld = case.load
    regions, mat = pmesh.region_names, pmesh.region_material
    sf = case.stress_free_temperatures(regions, mat)
    given = {r: "region" if r in ld.stress_free_by_region else "material" if mat[r] in ld.stress_free_by_material
             else "default" for r in regions}
    notes = []
    if ld.mode == "steps":
        later = {r for s in ld.steps for r in resolve_births(s.births, list(regions), "")[0]}
        sf = {r: t for r, t in sf.items() if r not in later}
        given = {r: given[r] for r in sf}
        at = [f"{t:g} degC ({', '.join(r for r in sf if sf[r] == t)})" for t in sorted(set(sf.values()))]
        notes.append("process history: the parts present from the start are stress-free at " + ", ".join(at)
                     + "; every other part is born stress-free, with the deformation the package has then, at the "
                       "start of the step that lists it in 'births'")
    elif case.structure == "stacked_flipchip":
        notes.append("simple mode: one linear solve per temperature, every region stress-free at its own "
                     "temperature in an undeformed package; a part joined to an already deformed package (the "
                     "process history of load.steps) is not represented")
        for k, side in ((1, "bottom"), (2, "top")):
            carrier = [r for r in regions if r.startswith(f"carrier{k}.")]
            for chip in getattr(case.package.carriers, side).chips:
                die, joint = f"chip.{chip.name}", f"bumps.{chip.name}"
                if die not in sf or joint not in sf:
                    continue
                off = sorted({r for r in carrier + [die] if sf[r] != sf[joint]})
                if off:
                    Ts = sorted({sf[r] for r in off})
                    notes.append(f"{', '.join(off)} stress-free at {', '.join(f'{t:g}' for t in Ts)} degC but "
                                 f"{joint} at {sf[joint]:g} degC: the result leaves out the CTE mismatch of "
                                 f"{die} and carrier {k} between {sf[joint]:g} degC and "
                                 f"{', '.join(f'{t:g}' for t in Ts)} degC (as if {chip.name} were joined at "
                                 f"{', '.join(f'{t:g}' for t in Ts)} degC); for a die joined at {sf[joint]:g} "
                                 "degC give those regions that temperature in load.stress_free_by_region, or run "
                                 "the process (load.steps)")
    return {"temperatures_C": {r: float(t) for r, t in sf.items()}, "given_by": given, "notes": notes}


def _solve_temperatures(case, pmesh, problem, progress: Progress, timing: dict) -> Record:
    """One linear solve per temperature of ``case.load`` (list or history table), post-processed into a Record."""
    rec = Record()
    times = output_times(case)
    m = pmesh.mesh
    problem.solves_expected = len({T for _, T in times})
    for index, (t_s, T) in enumerate(times):
        say(progress, f"solve {index + 1}/{len(times)}: T = {T:g} degC")
        at = status(progress, phase="solve", activity="assembly", done=index, total=len(times), temperature_C=T)
        st = problem.solve(T, say=lambda msg: say(progress, msg),
                           phase=lambda activity, at=at: status(progress, at, activity=activity))
        timing["assemble"] += st.timing["assemble"]
        timing["solve"] += st.timing["solve"]
        timing["post"] += st.timing.get("stress", 0.0)  # element stresses are post-processing (docs/outputs.md)
        rec.iterations.append(st.stats.iterations)
        rec.methods.add(st.stats.method)
        t0 = time.perf_counter()
        status(progress, at, activity="post-processing")
        ctx = PostContext.of(pmesh, problem, st, case)
        post = run_post(ctx)
        face_samples = post.pop("_faces", {})
        out = {"index": index, "time_s": t_s, "temperature_C": T, **post, "max_temperature_difference_C": 0.0}
        rec.outputs.append(out)
        rec.faces.append(face_samples)
        rec.history.append(history_row(out))
        rec.fields.append(FieldSet(
            point_data={"displacement": ctx.vertex_u, "temperature": np.full(m.nvertices, T)},
            cell_data={"stress_MPa": st.stress * 1e-6, "von_mises_MPa": ctx.von_mises * 1e-6, "strain": st.strain,
                       "mech_strain": ctx.mech_strain},
        ))
        timing["post"] += time.perf_counter() - t0
    return rec


def _dry_twin(case, pmesh, problem, progress: Progress, timing: dict):
    """``moisture.compare_dry``: the case's history again on the same mesh and problem without swelling; its
    Record. The linear solver starts afresh, as every step does, so the twin's arithmetic is a separate run's; it
    writes no checkpoints (a resumed run runs it again whole). Its seconds go to ``timing["dry_twin"]``."""
    say(progress, "moisture.compare_dry: the same history again without swelling")
    dry_case = case.model_copy(update={"moisture": case.moisture.model_copy(update={"swelling": False,
                                                                                       "compare_dry": False})})
    t0 = time.perf_counter()
    problem.solver.reset()
    own = {"mesh": 0.0, "assemble": 0.0, "solve": 0.0, "post": 0.0}
    rec = run_steps(dry_case, pmesh, problem, progress, own, ckpt_dir=None)
    timing["dry_twin"] = time.perf_counter() - t0
    return rec


def _write_resolved_case(case, out_dir: Path) -> None:
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    atomic_write_text(Path(out_dir) / "case.resolved.json", json.dumps(case.resolved_dict(), indent=2) + "\n")
