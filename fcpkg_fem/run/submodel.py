"""Submodels (global-local): a local model of one joint driven through the global process history.

Two calls (docs/submodel.md):

* :func:`run_global_with_boxes` runs the global history (no output files) with a
  :class:`~fcpkg_fem.solve.submodel.BoxRecorder` per requested joint; each gives a
  :class:`~fcpkg_fem.solve.submodel.BoundaryRecord`, which :meth:`~BoundaryRecord.save` keeps as an .npz.
* :func:`run_submodel` cuts the box out of the global mesh (optionally refined), and repeats the global history on
  it: every (sub)increment the global run committed, with the global box temperatures and chemical strains (each
  local element takes its parent's) and the cut-face displacements interpolated from the global ones; births at
  the same step starts; melting and solidification follow from the same temperatures and solidus. Its result holds,
  at every planned increment, the local displacement, stresses, inelastic fields and the joint's averages.

The record holds the global displacement of the box's vertices at every committed (sub)increment, so the local
model repeats exactly the global sub-increments (solidus splits and cut-backs included): the cheapest way to
drive it exactly, at 24 bytes per box vertex and sub-increment (about 2 MB for 100 vertices and 800
sub-increments). Limits: the record is made by an uninterrupted run (a resumed run records from the resume point
only and is refused here); with transient heat conduction the local elements take their parent element's
temperature (the global model's own element temperatures), and the local solidus split is the local solder's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fcpkg_fem.case.plan import initial_temperature, plan
from fcpkg_fem.errors import InputError
from fcpkg_fem.mesh.submesh import Refinement, Submesh, extract, joint_box
from fcpkg_fem.post.joints import joint_work
from fcpkg_fem.run.history import make_models, run_steps
from fcpkg_fem.run.meshing import mesh_case
from fcpkg_fem.solve.history import HistorySolver, NewtonSettings
from fcpkg_fem.solve.mechanical import MechanicalProblem
from fcpkg_fem.solve.submodel import (BoundaryRecord, BoxRecorder, SubmodelProblem, boundary_matrix,
                                      interpolation_matrix)


def global_problem(case, pmesh=None) -> tuple[object, MechanicalProblem]:
    """(pmesh, MechanicalProblem) of the global case, as :func:`fcpkg_fem.run.pipeline.run` builds them."""
    pmesh = pmesh if pmesh is not None else mesh_case(case)
    sf = case.stress_free_temperatures(pmesh.region_names, pmesh.region_material)
    return pmesh, MechanicalProblem(pmesh, case.materials_resolved, sf, element=case.mesh.element,
                                    linear=case.solver.linear, rtol=case.solver.rtol)


def cut(case, pmesh, joint: tuple[str, int], box_pitches: float = 1.0, refine: Refinement | None = None,
        z_range: tuple[float, float] | None = None) -> Submesh:
    """The submesh of ``joint`` = (region, item id) in the global mesh ``pmesh`` (see
    :func:`fcpkg_fem.mesh.submesh.joint_box` and :func:`~fcpkg_fem.mesh.submesh.extract`)."""
    if case.load.mode != "steps":
        raise InputError.single("load.steps", "a submodel follows a process history (load.steps)")
    return extract(pmesh, joint_box(pmesh, joint[0], int(joint[1]), box_pitches, z_range), refine)


def run_global_with_boxes(case, joints, box_pitches: float = 1.0, z_range=None, fields: bool = False,
                          progress=None, pmesh=None):
    """Run the global history of ``case`` recording the boundary of a box around each joint.

    Args:
        joints: [(region, item id), ...]; box_pitches, z_range: the boxes (:func:`cut`).
        fields: the records also keep the global box fields at every planned increment (for comparisons).
    Returns:
        (the run's :class:`~fcpkg_fem.run.record.Record`, the global pmesh, {(region, id): BoundaryRecord}).
    """
    pmesh, problem = global_problem(case, pmesh)
    recorders = {(r, int(i)): BoxRecorder(problem, cut(case, pmesh, (r, i), box_pitches, None, z_range), fields)
                 for r, i in joints}
    rec = run_steps(case, pmesh, problem, progress, observers=list(recorders.values()))
    return rec, pmesh, {k: v.record for k, v in recorders.items()}


@dataclass
class SubmodelResult:
    """A submodel run.

    Attributes:
        sub: the :class:`Submesh`; problem: its SubmodelProblem; hs: its HistorySolver in the final state.
        increments: per planned increment of the global run: ``step``, ``t`` (s), ``u`` (n_dofs,) m, ``sig``
            (n_el, n_qp, 6) Pa, ``W`` (n_el,) J/m^3 accumulated inelastic work, ``eq`` (n_el,) accumulated
            equivalent inelastic strain, ``born`` (n_el,) bool, ``joint``: the joint's averages (``volume``,
            ``lower``, ``upper`` in J/m^3; ``eq``; pad-layer thicknesses ``t_lower``, ``t_upper`` in m;
            :func:`~fcpkg_fem.post.joints.joint_work`).
        boundary_error_m: the largest difference between a prescribed dof and the global interpolation over all
            increments (m; zero up to round-off by construction, measured).
        events: melting and solidification of the local solder; newton: Newton iterations per sub-increment;
        timing_s: seconds (mesh, solve).
    """

    sub: Submesh
    problem: SubmodelProblem
    hs: HistorySolver
    increments: list = field(default_factory=list)
    boundary_error_m: float = 0.0
    events: list = field(default_factory=list)
    newton: list = field(default_factory=list)
    timing_s: dict = field(default_factory=dict)


def run_submodel(case, global_run, joint: tuple[str, int] | None = None, box_pitches: float = 1.0,
                 refine: Refinement | None = None, z_range=None, progress=None, pmesh=None) -> SubmodelResult:
    """Drive the local model of ``joint`` through the global history of ``case``.

    Args:
        case: the global case (validated, with ``load.steps``).
        global_run: the :class:`BoundaryRecord` of this joint's box (from :func:`run_global_with_boxes`), the
            path of one saved with :meth:`BoundaryRecord.save`, or None: the global history is run here first
            (one global run, no files written).
        joint: (region, item id); default the record's.
        box_pitches, z_range: the box, as the record's (checked: the same global elements); refine: the local
            :class:`Refinement` (None: the unrefined extraction).
        pmesh: the global mesh if at hand (else meshed again from the case; the footprint is deterministic).
    """
    say = progress or (lambda msg: None)
    t0 = time.perf_counter()
    if global_run is None:
        if joint is None:
            raise InputError.single("submodel.joint", "a joint (region, id) is needed without a global record")
        _, pmesh, recs = run_global_with_boxes(case, [joint], box_pitches, z_range, progress=progress,
                                               pmesh=pmesh)
        record = recs[(joint[0], int(joint[1]))]
    elif isinstance(global_run, BoundaryRecord):
        record = global_run
    else:
        record = BoundaryRecord.load(Path(global_run))
    joint = joint or record.joint
    pmesh = pmesh if pmesh is not None else mesh_case(case)
    sub = cut(case, pmesh, joint, box_pitches, refine, z_range)
    if not np.array_equal(sub.global_elements, record.box_elements):
        raise InputError.single("submodel.box_pitches", "the box does not hold the global elements the record was "
                                "made for (another joint, box or mesh)")
    _check_complete(case, record)
    sf = case.stress_free_temperatures(pmesh.region_names, pmesh.region_material)
    problem = SubmodelProblem(sub, case.materials_resolved, sf, element=case.mesh.element,
                              linear=case.solver.linear, rtol=case.solver.rtol)
    steps = plan(case)
    born_later = {r for s in steps for r in s.births}
    hs = HistorySolver(problem, make_models(case, sub.pmesh),
                       {r: sf[r] for r in pmesh.region_names if r not in born_later},
                       NewtonSettings(**case.solver.newton.model_dump()))
    res = SubmodelResult(sub, problem, hs, timing_s={"mesh": time.perf_counter() - t0})
    say(f"submodel {joint[0]} id {joint[1]}: {sub.pmesh.n_elements} elements ({len(sub.global_elements)} global), "
        f"{problem.ndofs} dofs, {len(sub.cut_nodes)} cut-face nodes, {sub.joint_layers} layers through the joint")
    t0 = time.perf_counter()
    _replay(case, record, res, joint)
    res.timing_s["solve"] = time.perf_counter() - t0
    say(f"submodel {joint[0]} id {joint[1]}: {len(res.newton)} sub-increments, {sum(res.newton)} Newton "
        f"iterations in {res.timing_s['solve']:.1f} s")
    return res


def _check_complete(case, record: BoundaryRecord) -> None:
    """Refuse a record that does not hold every planned step from the initial state on."""
    names = [row["name"] for row in record.data["step"]]
    want = [s.name for s in plan(case)]
    if names != want or not record.data["commit"]:
        raise InputError.single("submodel", f"the global record holds steps {names}, the case plans {want}: "
                                "record the boundary in one uninterrupted global run of this case")


def _replay(case, record: BoundaryRecord, res: SubmodelResult, joint) -> None:
    """Repeat the recorded global events on the local model (see the module docstring)."""
    hs, problem = res.hs, res.problem
    P = boundary_matrix(problem)
    par = res.sub.parent
    D = problem.D
    hs.set_temperature(initial_temperature(case))
    label = "submodel initial state"
    for kind, v in record.events():
        if kind == "step":
            problem.solver.reset()
            hs.new_step()
            hs.u[D] = P @ v["u"]  # differs from the last commit only where nothing born holds a node
            label = f"submodel step '{v['name']}'"
            if len(v["births"]):
                hs.birth(list(v["births"]))
        elif kind == "start":
            hs.u[D] = P @ v["u"]
        elif kind == "commit":
            st = hs.advance(v["T"][par], float(v["dt"]), label=label, chem_end=v["chem"][par], u_end=P @ v["u"])
            res.newton.append(st.iterations)
            res.boundary_error_m = max(res.boundary_error_m, float(np.abs(hs.u[D] - P @ v["u"]).max()))
            res.events.extend(hs.events)
            hs.events.clear()
        elif kind == "increment":
            res.increments.append(_sample(res, v, joint))


def _sample(res: SubmodelResult, v: dict, joint) -> dict:
    """The local state after a planned increment (see :class:`SubmodelResult`)."""
    hs = res.hs
    st = hs.snapshot()
    inel = hs.inelastic_fields()
    jw = joint_work(res.sub.pmesh, hs).get(joint[0])
    j = {k: float(a[int(joint[1])]) for k, a in jw.items()} if jw is not None else {}
    return {"step": str(v["step"]), "t": float(v["t"]), "u": hs.u.copy(), "sig": st.stress_qp.copy(),
            "W": inel["inelastic_work_J_m3"].copy(), "eq": inel["eq_inelastic_strain"].copy(), "joint": j,
            "born": hs.born.copy()}


def global_joint_averages(pmesh, record: BoundaryRecord, joint) -> list[dict]:
    """The joint's averages in the global run at each recorded increment (needs a record made with ``fields``):
    ``volume`` (J/m^3) and ``eq``, volume averages over the joint's global elements, as
    :func:`~fcpkg_fem.post.joints.joint_work`."""
    ri = pmesh.region_names.index(joint[0])
    e = record.box_elements
    sel = (pmesh.cell_region[e] == ri) & (pmesh.cell_item[e] == int(joint[1]))
    w = record.volumes[sel] / record.volumes[sel].sum()
    return [{"volume": float(np.dot(row["W"][sel], w)), "eq": float(np.dot(row["eq"][sel], w))}
            for row in record.increments()]


def local_box_displacement(res: SubmodelResult, record_u: np.ndarray) -> np.ndarray:
    """The global displacement of a record entry interpolated at every local dof, (n_dofs,) m (the field the
    local model would have if it were the global one's interpolant)."""
    return interpolation_matrix(res.sub, res.problem.basis.nodal_dofs) @ record_u
