"""The submodels of a case after its global run, on worker processes (``jobs`` at once; docs/submodel.md,
"Several at once").

Each submodel reads only its own part of the global run's boundary record (:meth:`BoundaryRecord.restrict_to`,
cut out here in the parent: exact copies of the recorded numbers) and writes only its own folder, so they are
independent. A worker process (:class:`~fcpkg_fem.run.workers.WorkerPool`) gets the case, the global mesh and the
light part of the boxes once, then one joint's record at a time. Every submodel runs in a worker, also with
``jobs=1``, and every worker's numerical libraries have one thread (unless the user's environment sets their
variables): a multi-threaded BLAS sums in another order than a single-threaded one (1e-15 apart, measured), so a
submodel run in this process would not give the same bits as one run in a worker. This way the results depend
neither on ``jobs`` nor on the machine's core count (tests/verification/test_submodel_case.py compares ``jobs``
1 and 2 bit for bit).

How many processes (``jobs=None``, the default): one per core this process may use, at most one per submodel,
and no more than the memory available when the submodels start can hold at the local models' estimated peak
(:func:`fcpkg_fem.run.preflight.memory_model`). Machine load changes how many run at once, never what they
compute.
"""

from __future__ import annotations

import dataclasses
from itertools import islice
from pathlib import Path

import numpy as np

from fcpkg_fem.errors import SolverError
from fcpkg_fem.io.output import write_all
from fcpkg_fem.mesh.remesh import LocalMesh
from fcpkg_fem.mesh.submesh import joint_box, refined_size
from fcpkg_fem.run.preflight import available_memory, format_bytes, memory_model
from fcpkg_fem.run.progress import status
from fcpkg_fem.run.submodel import (CaseBoxes, chosen_joints, local_solver, parent_entry, recorded_elements,
                                    run_submodel, submodel_result)
from fcpkg_fem.run.workers import WorkerDied, WorkerPool, raise_remote, tell, usable_cores
from fcpkg_fem.solve.submodel import BoundaryRecord

_WORKER: dict = {}  # in a worker process: the case, global mesh, boxes and run folder (_init)


def run_case_submodels(case, pmesh, rec, boxes: CaseBoxes, out_dir=None, progress=None,
                       jobs: int | None = None) -> list[dict]:
    """Run every submodel of ``case.submodel`` after the global run ``rec``; each writes
    ``<out_dir>/submodels/<region>-<id>/`` (summary.json, history.csv with output.csv, a VTU series with output.vtu)
    when ``out_dir`` is given. ``jobs``: worker processes running submodels at once (None: chosen as the module
    docstring says). Returns the parent summary's ``submodels`` entries
    (:func:`~fcpkg_fem.run.submodel.parent_entry`), in the order of
    :func:`~fcpkg_fem.run.submodel.chosen_joints`, whatever order they finish in."""
    say = progress or (lambda msg: None)
    record = boxes.recorder.record
    say(f"submodels: the boundary record holds {len(record.data['commit'])} sub-increments of {boxes.vertices:,} "
        f"vertices and {boxes.elements:,} elements: {format_bytes(record.nbytes())}")
    chosen = chosen_joints(case, rec, boxes)
    n, why = pool_size(case, pmesh, boxes, chosen, jobs)
    light = dataclasses.replace(boxes, recorder=None)
    parts = (_task(pmesh, boxes, record, choice, out_dir) for choice in chosen)
    say(f"submodels: {len(chosen)} local model{'s' if len(chosen) > 1 else ''} on {n} worker "
        f"process{'es' if n > 1 else ''} ({why})")
    summaries = _pool(case, pmesh, light, parts, len(chosen), out_dir, n, progress)
    return [parent_entry(s, rec, (c["region"], c["id"]), _folder(c) if out_dir is not None else None)
            for s, c in zip(summaries, chosen)]


def pool_size(case, pmesh, boxes: CaseBoxes, chosen: list[dict], jobs: int | None) -> tuple[int, str]:
    """(processes to run the ``chosen`` submodels on, why): ``jobs`` when given (at most one per submodel), else
    the usable cores, at most one per submodel, limited by the memory available now at the largest local model's
    estimated peak (a worker's whole process: :func:`~fcpkg_fem.run.preflight.memory_model`)."""
    if jobs is not None:
        return max(1, min(int(jobs), len(chosen))), f"jobs {jobs}"
    cores = usable_cores()
    n = min(cores, len(chosen))
    why = f"{cores} usable core{'s' if cores > 1 else ''}"
    mem = available_memory()
    nodes = [_local_nodes(pmesh, boxes, (c["region"], c["id"])) for c in chosen] if n > 1 else []
    if mem is not None and nodes and None not in nodes:
        dofs = 3 * max(nodes)
        per = memory_model(dofs, case.mesh.element, local_solver(case, dofs))
        fit = max(1, int(mem.available // per))
        if fit < n:
            n, why = fit, (f"{format_bytes(mem.available)} available ({mem.source}), ~{format_bytes(per)} per "
                           "local model")
    return n, why


def _local_nodes(pmesh, boxes: CaseBoxes, joint: tuple[str, int]) -> int | None:
    """Nodes of ``joint``'s local model: exact for a cut-out one (:func:`refined_size`), as measured by the
    memory check for one meshed afresh (None when it did not run: ``--force``)."""
    if isinstance(boxes.refine, LocalMesh):
        return boxes.local_nodes.get(joint, boxes.local_nodes.get(joint[0]))
    box = joint_box(pmesh, joint[0], int(joint[1]), boxes.box_pitches, boxes.z_ranges.get(joint))
    return refined_size(pmesh, box, boxes.refine)[1]


def _folder(choice: dict) -> str:
    return f"submodels/{choice['region']}-{choice['id']}"


def _task(pmesh, boxes: CaseBoxes, record: BoundaryRecord, choice: dict, out_dir) -> dict:
    """One submodel's work: its joint, how it was chosen, its folder and its part of the record."""
    joint = (choice["region"], int(choice["id"]))
    els = recorded_elements(pmesh, joint, boxes.box_pitches, boxes.z_ranges.get(joint),
                            isinstance(boxes.refine, LocalMesh))
    part = record.restrict_to(els, np.unique(pmesh.mesh.t[:, els]), joint)
    return {"joint": joint, "choice": choice, "folder": _folder(choice), "record": part}


def _one(case, pmesh, boxes: CaseBoxes, task: dict, out_dir, progress) -> dict:
    """Run one submodel (and write its folder when ``out_dir`` is given); returns its summary."""
    joint = task["joint"]
    res = run_submodel(case, task["record"], joint, boxes.box_pitches, boxes.refine_for(joint),
                       z_range=boxes.z_ranges.get(joint), progress=progress, pmesh=pmesh, fields="report")
    result = submodel_result(case, res, joint, task["choice"], boxes)
    if out_dir is not None:
        names = ["summary"] + [n for n in ("csv", "vtu", "plots") if getattr(case.output, n)]
        write_all(result, Path(out_dir) / task["folder"], names)
    return result.summary


class _Told:
    """A worker's progress: its messages and its activity (one status per sub-increment) go to the parent."""

    def __call__(self, msg: str) -> None:
        tell("msg", msg)

    def status(self, st) -> None:
        tell("status", st.activity)


def _init(case, pmesh, boxes: CaseBoxes, out_dir) -> None:
    """Worker initializer: what every task of the run shares, received once per worker."""
    _WORKER.update(case=case, pmesh=pmesh, boxes=boxes, out_dir=out_dir)


def _work(task: dict) -> dict:
    w = _WORKER
    return _one(w["case"], w["pmesh"], w["boxes"], task, w["out_dir"], _Told())


def _pool(case, pmesh, boxes: CaseBoxes, tasks, total: int, out_dir, n: int, progress) -> list[dict]:
    """The submodels on ``n`` worker processes (:class:`~fcpkg_fem.run.workers.WorkerPool`), at most ``n``
    records in flight; the workers' messages are passed on as they come and one status names what each running
    submodel is doing."""
    out: dict[int, dict] = {}
    activity: dict[int, str] = {}
    tasks = enumerate(tasks)
    pool = WorkerPool(n, init=(_init, (case, pmesh, boxes, out_dir)))
    try:
        for i, task in islice(tasks, n):
            pool.submit(_work, task, i)
            activity[i] = task["folder"].split("/", 1)[1]
        while pool.busy:
            for i, kind, payload in pool.events(timeout=0.5):
                if kind == "msg" and progress is not None:
                    progress(payload[0])
                elif kind == "status":
                    activity[i] = payload[0]
                elif kind == "error":
                    raise_remote(payload)
                elif kind == "done":
                    out[i] = payload[0]
                    activity.pop(i, None)
                    for j, task in islice(tasks, 1):
                        pool.submit(_work, task, j)
                        activity[j] = task["folder"].split("/", 1)[1]
            status(progress, phase="submodel", activity="; ".join(activity[i] for i in sorted(activity)),
                   done=len(out), total=total)
    except WorkerDied as err:
        raise SolverError(f"{err}: rerun with --jobs 1 to run the submodels one after another") from None
    finally:
        pool.close()
    return [out[i] for i in range(total)]
