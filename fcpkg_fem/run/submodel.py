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

A case's ``submodel:`` section (:mod:`fcpkg_fem.case.schema_submodel`) is run by the pipeline through three
calls: :func:`case_boxes` (before the global history: the boxes of every joint that may be modelled, one recorder
of their union, the memory check), :func:`chosen_joints` (after it: the given joints and the critical ones,
:data:`CRITICAL_RULE`) and :func:`fcpkg_fem.run.submodel_pool.run_case_submodels` (each local model replayed
from its part of the record on a worker process and written to ``<run folder>/submodels/<region>-<id>/``).
"""

from __future__ import annotations

import dataclasses
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fcpkg_fem.case import names as rn
from fcpkg_fem.case.plan import initial_temperature, plan
from fcpkg_fem.case.schema_submodel import SubmodelLocalMesh, joint_centres
from fcpkg_fem.errors import InputError
from fcpkg_fem.mesh.remesh import LocalMesh, remesh, window_cut_vertices, window_elements
from fcpkg_fem.mesh.submesh import (JointShape, Refinement, Submesh, box_elements, centroids, cut_vertices, extract,
                                    hex_volumes, joint_box, refined_size)
from fcpkg_fem.physics.elasticity import von_mises
from fcpkg_fem.post.joints import JOINT_KINDS, JointTracker, joint_work
from fcpkg_fem.post.result import FieldSet, RunResult
from fcpkg_fem.run.history import make_models, run_steps
from fcpkg_fem.run.meshing import mesh_case
from fcpkg_fem.run.preflight import (MEMORY_LIMIT_ENV, NNZ_PER_ROW, available_memory, estimate,
                                     format_bytes, memory_model)
from fcpkg_fem.run.progress import status
from fcpkg_fem.run.record import json_safe
from fcpkg_fem.run.summary import LIFE_NOTE
from fcpkg_fem.solve.history import HistorySolver, NewtonSettings
from fcpkg_fem.solve.linear import auto_method
from fcpkg_fem.solve.mechanical import MechanicalProblem
from fcpkg_fem.solve.submodel import (BoundaryRecord, BoxRecorder, SubmodelProblem, boundary_matrix,
                                      interpolation_matrix)


def global_problem(case, pmesh=None) -> tuple[object, MechanicalProblem]:
    """(pmesh, MechanicalProblem) of the global case, as :func:`fcpkg_fem.run.pipeline.run` builds them."""
    pmesh = pmesh if pmesh is not None else mesh_case(case)
    sf = case.stress_free_temperatures(pmesh.region_names, pmesh.region_material)
    return pmesh, MechanicalProblem(pmesh, case.materials_resolved, sf, element=case.mesh.element,
                                    linear=case.solver.linear, rtol=case.solver.rtol)


def cut(case, pmesh, joint: tuple[str, int], box_pitches: float = 1.0,
        refine: Refinement | LocalMesh | None = None, z_range: tuple[float, float] | None = None) -> Submesh:
    """The submesh of ``joint`` = (region, item id) in the global mesh ``pmesh``: cut out and subdivided by a
    :class:`~fcpkg_fem.mesh.submesh.Refinement` (:func:`~fcpkg_fem.mesh.submesh.extract`), or meshed afresh by a
    :class:`~fcpkg_fem.mesh.remesh.LocalMesh` (:func:`~fcpkg_fem.mesh.remesh.remesh`, with the case's mesh
    settings); the box: :func:`fcpkg_fem.mesh.submesh.joint_box`."""
    if case.load.mode != "steps":
        raise InputError.single("load.steps", "a submodel follows a process history (load.steps)")
    box = joint_box(pmesh, joint[0], int(joint[1]), box_pitches, z_range)
    if isinstance(refine, LocalMesh):
        mc = case.mesh
        return remesh(pmesh, box, refine, mc.max_layer_thickness, mc.min_elements_per_layer, mc.circle_segments)
    return extract(pmesh, box, refine)


def recorded_elements(pmesh, joint: tuple[str, int], box_pitches: float = 1.0, z_range=None,
                      local: bool = False) -> np.ndarray:
    """(n,) ascending global elements whose record a submodel of ``joint`` needs: the box's elements (centroid
    inside) for a cut-out model, every element meeting the box for one meshed afresh (``local``)."""
    box = joint_box(pmesh, joint[0], int(joint[1]), box_pitches, z_range)
    return window_elements(pmesh, box) if local else box_elements(pmesh, box)


def run_global_with_boxes(case, joints, box_pitches: float = 1.0, z_range=None, fields: bool = False,
                          progress=None, pmesh=None, local: bool = False):
    """Run the global history of ``case`` recording the boundary of a box around each joint.

    Args:
        joints: [(region, item id), ...]; box_pitches, z_range: the boxes (:func:`cut`).
        fields: the records also keep the global box fields at every planned increment (for comparisons).
        local: record what a local model meshed afresh needs (:func:`recorded_elements`).
    Returns:
        (the run's :class:`~fcpkg_fem.run.record.Record`, the global pmesh, {(region, id): BoundaryRecord}).
    """
    pmesh, problem = global_problem(case, pmesh)
    if local:
        recorders = {}
        for r, i in joints:
            els = recorded_elements(pmesh, (r, i), box_pitches, z_range, True)
            recorders[(r, int(i))] = BoxRecorder.over(problem, els, np.unique(pmesh.mesh.t[:, els]), fields)
    else:
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
        life: thermal_cycle step name -> the joint's cyclic results and life estimates
            (:func:`~fcpkg_fem.post.joints.life_estimates` of this joint alone), as the global run's ``life``.
    With ``fields="report"`` an increment that is not a report time of the global run keeps ``step``, ``t``,
    ``report`` (False) and ``joint`` only.
    """

    sub: Submesh
    problem: SubmodelProblem
    hs: HistorySolver
    increments: list = field(default_factory=list)
    boundary_error_m: float = 0.0
    events: list = field(default_factory=list)
    newton: list = field(default_factory=list)
    timing_s: dict = field(default_factory=dict)
    life: dict = field(default_factory=dict)


def run_submodel(case, global_run, joint: tuple[str, int] | None = None, box_pitches: float = 1.0,
                 refine: Refinement | LocalMesh | None = None, z_range=None, progress=None, pmesh=None,
                 fields: str = "all") -> SubmodelResult:
    """Drive the local model of ``joint`` through the global history of ``case``.

    Args:
        case: the global case (validated, with ``load.steps``).
        global_run: the :class:`BoundaryRecord` of this joint's box (from :func:`run_global_with_boxes`), the
            path of one saved with :meth:`BoundaryRecord.save`, or None: the global history is run here first
            (one global run, no files written).
        joint: (region, item id); default the record's.
        box_pitches, z_range: the box, as the record's (checked: the same global elements); refine: the local
            :class:`Refinement` (None: the unrefined extraction) or :class:`LocalMesh` (meshed afresh).
        pmesh: the global mesh if at hand (else meshed again from the case; the footprint is deterministic).
        fields: ``all``: every increment keeps the local fields (u, sig, W, eq, born); ``report``: only the
            global run's report times do (memory: one field set per report time, as the global run).
    """
    say = progress or (lambda msg: None)
    t0 = time.perf_counter()
    if global_run is None:
        if joint is None:
            raise InputError.single("submodel.joint", "a joint (region, id) is needed without a global record")
        _, pmesh, recs = run_global_with_boxes(case, [joint], box_pitches, z_range, progress=progress,
                                               pmesh=pmesh, local=isinstance(refine, LocalMesh))
        record = recs[(joint[0], int(joint[1]))]
    elif isinstance(global_run, BoundaryRecord):
        record = global_run
    else:
        record = BoundaryRecord.load(Path(global_run))
    joint = joint or record.joint
    pmesh = pmesh if pmesh is not None else mesh_case(case)
    sub = cut(case, pmesh, joint, box_pitches, refine, z_range)
    if record.joint == ("", -1):  # a record of a union of boxes (a case's submodel section): this joint's part
        record = record.restrict(sub)
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
    _replay(case, record, res, joint, fields == "all", progress)
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


def _report_times(case) -> dict[str, set]:
    """Step name -> the times (s, rounded to 1e-9) whose full results the global run reports (run.history's rule:
    the step's report times, else its last increment)."""
    out = {}
    for s in plan(case):
        ts = s.report_times if s.report_times.size else s.increments[-1:]
        out[s.name] = {round(float(t), 9) for t in ts}
    return out


def joint_view(pmesh, joint: tuple[str, int]):
    """``pmesh`` with every bump and ball element other than those of ``joint`` given item -1: the per-joint
    post-processing (:func:`~fcpkg_fem.post.joints.joint_work`, the life estimates) then sees this joint alone
    (neighbours wholly or partly in a box are not results of the submodel)."""
    ci = pmesh.cell_item.copy()
    ri = pmesh.region_names.index(joint[0])
    kinds = [k for k, r in enumerate(pmesh.region_names) if rn.kind(r) in JOINT_KINDS]
    other = np.isin(pmesh.cell_region, kinds) & ~((pmesh.cell_region == ri) & (pmesh.cell_item == int(joint[1])))
    ci[other] = -1
    return dataclasses.replace(pmesh, cell_item=ci)


def _replay(case, record: BoundaryRecord, res: SubmodelResult, joint, all_fields: bool = True,
            progress=None) -> None:
    """Repeat the recorded global events on the local model (see the module docstring); the joint is tracked
    through every thermal_cycle step for its life estimates, as the global run tracks its joints. ``progress``
    gets a status at every sub-increment."""
    hs, problem = res.hs, res.problem
    P = boundary_matrix(problem, record.u_vertices)
    par = res.sub.parent
    D = problem.D
    steps = {s.name: s for s in plan(case)}
    report = _report_times(case)
    view = joint_view(res.sub.pmesh, joint)
    tracker, step = None, None
    hs.set_temperature(initial_temperature(case))
    label = "submodel initial state"
    n_commits = len(record.data["commit"])
    for kind, v in record.events():
        if kind == "step":
            if tracker is not None:
                res.life[step.name] = tracker.life_estimates(step)
            problem.solver.reset()
            hs.new_step()
            hs.u[D] = P @ v["u"]  # differs from the last commit only where nothing born holds a node
            label = f"submodel step '{v['name']}'"
            if len(v["births"]):
                hs.birth(list(v["births"]))
            step = steps[str(v["name"])]
            tracker = JointTracker(view, hs, step) if (step.kind == "thermal_cycle" and hs.has_inelastic) else None
        elif kind == "start":
            hs.u[D] = P @ v["u"]
        elif kind == "commit":
            status(progress, phase="submodel", activity=f"{joint[0]} id {joint[1]}: sub-increment "
                                                        f"{len(res.newton) + 1}/{n_commits}")
            st = hs.advance(v["T"][par], float(v["dt"]), label=label, chem_end=v["chem"][par], u_end=P @ v["u"])
            res.newton.append(st.iterations)
            res.boundary_error_m = max(res.boundary_error_m, float(np.abs(hs.u[D] - P @ v["u"]).max()))
            res.events.extend(hs.events)
            hs.events.clear()
        elif kind == "increment":
            if tracker is not None:
                tracker.add(float(v["t"]), hs)
            rep = round(float(v["t"]), 9) in report.get(str(v["step"]), ())
            res.increments.append(_sample(res, v, joint, rep, all_fields or rep))
    if tracker is not None:
        res.life[step.name] = tracker.life_estimates(step)


def _sample(res: SubmodelResult, v: dict, joint, report: bool = False, full: bool = True) -> dict:
    """The local state after a planned increment (see :class:`SubmodelResult`); ``joint`` also holds the joint's
    volume-averaged temperature ``T`` (degC) and its largest element von Mises stress ``von_mises`` (Pa)."""
    hs = res.hs
    st = hs.snapshot()
    jw = joint_work(res.sub.pmesh, hs).get(joint[0])
    j = {k: float(a[int(joint[1])]) for k, a in jw.items()} if jw is not None else {}
    pm = res.sub.pmesh
    els = np.nonzero((pm.cell_region == pm.region_names.index(joint[0])) & (pm.cell_item == int(joint[1])))[0]
    vol = hs.p.volumes[els]
    j["T"] = float(np.dot(hs.T[els], vol) / vol.sum())
    j["von_mises"] = float(von_mises(st.stress[els]).max())
    out = {"step": str(v["step"]), "t": float(v["t"]), "report": bool(report), "joint": j}
    if full:
        inel = hs.inelastic_fields()
        out.update(u=hs.u.copy(), sig=st.stress_qp.copy(), stress=st.stress.copy(),
                   W=inel["inelastic_work_J_m3"].copy(), eq=inel["eq_inelastic_strain"].copy(), born=hs.born.copy(),
                   T=hs.T.copy())
    return out


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


# ------------------------------------------------------------------------------ the case's ``submodel:`` section

CRITICAL_RULE = (
    "the joint of the region with the largest per-cycle inelastic work in a pad layer over the last complete cycle "
    "of the last thermal_cycle step (the joint the life estimates are for); without cycling, the joint with the "
    "largest accumulated inelastic work (volume average) at the global run's last output, which is what the joint "
    "carries out of the process (melting erases the work accumulated before it, so an earlier maximum may no longer "
    "exist)")
"""How ``{region, critical: true}`` chooses its joint from the global run (docs/submodel.md)."""


@dataclass
class CaseBoxes:
    """What the global run of a case with a ``submodel:`` section records.

    Attributes:
        refine: the local :class:`Refinement` or :class:`LocalMesh`; box_pitches: the boxes' size (docs of
            ``submodel.box_pitches``); z_ranges: (region, id) -> the box's z extent (m), absent: whole height.
        given: [(region, id)] joints chosen by id; critical: regions whose critical joint the global run chooses.
        recorder: one :class:`BoxRecorder` over the union of the boxes of every joint that may be modelled (the
            given ones and every modelled joint of a ``critical`` region), so that each is cut out of one record
            after the run (:meth:`BoundaryRecord.restrict`) without a second global run.
        record_bytes: the estimated size of the record (bytes): per sub-increment 24 bytes per recorded vertex at
            its end and as many at its start, 16 per element (temperature, chemical strain); at least one
            sub-increment per planned increment (solidus splits and cut-backs add more); vertices: the recorded
            vertices (on some box's cut faces), elements: the union's elements.
        shapes: the joints' :class:`JointShape` by (region, id) for joints given by id, by region for
            ``critical`` ones (absent: the global disk).
        local_nodes: nodes of the local models meshed afresh that the memory check measured, by (region, id) and
            by region (a region's boxes are alike); empty for cut-out models (exact without meshing) and without
            the check (``force``).
        by_region: a local mesh per joint region, its sizes from the region's joint diameter where the case leaves
            them out (``submodel.local_mesh``); empty for cut-out models.
    """

    refine: Refinement | LocalMesh
    box_pitches: float
    given: list
    critical: list
    recorder: BoxRecorder
    record_bytes: float
    vertices: int
    elements: int
    shapes: dict = field(default_factory=dict)
    z_ranges: dict = field(default_factory=dict)
    local_nodes: dict = field(default_factory=dict)
    by_region: dict = field(default_factory=dict)

    def refine_for(self, joint: tuple[str, int]) -> Refinement | LocalMesh:
        """The refinement of ``joint``'s local model, with its shape (a joint given by id takes that entry's) and,
        meshed afresh, its region's sizes (:attr:`by_region`; else :attr:`refine`)."""
        shape = self.shapes.get(joint) if joint in self.given else self.shapes.get(joint[0])
        return dataclasses.replace(self.by_region.get(joint[0], self.refine), shape=shape)


def _candidates(case, pmesh) -> tuple[list, list, list]:
    """(given joints, critical regions, every joint that may be modelled) of ``case.submodel``."""
    given, critical = [], []
    for j in case.submodel.joints:
        if j.critical:
            critical.append((j.region, int(j.count or 1)))
        else:
            given.append((j.region, int(j.id)))
    joints = list(dict.fromkeys(given))
    for region, _ in critical:
        ri = pmesh.region_names.index(region)
        joints += [(region, int(k)) for k in np.unique(pmesh.cell_item[pmesh.cell_region == ri]) if k >= 0]
    return given, critical, list(dict.fromkeys(joints))


def local_mesh_of(case, region: str) -> LocalMesh:
    """The local mesh of ``region``'s joints: the case's ``submodel.local_mesh`` (the section's defaults when the
    case has none), each absent size derived from the region's joint diameter (D/4 and 1.25 D)."""
    lm = case.submodel.local_mesh if case.submodel is not None and case.submodel.local_mesh is not None else (
        SubmodelLocalMesh())
    d = joint_centres(case)[region][1]
    return LocalMesh(*lm.sizes(d), lm.joint_elements, lm.pad_layer)


def case_boxes(case, pmesh, problem, force: bool = False, progress=None) -> CaseBoxes:
    """The boxes of ``case.submodel`` on the global mesh, their recorder and the memory check. A resumed run
    rebuilds the recorder's record of the completed steps from its checkpoint (:mod:`fcpkg_fem.run.checkpoint`).

    Refused (InputError, exit 2) before the global history runs: a box that cuts a joint; a record plus
    the largest local model that would not fit beside the global run in the memory available now (unless
    ``force``): the local model's peak by the preflight model (:func:`fcpkg_fem.run.preflight.memory_model`) at
    its exact element count (:func:`~fcpkg_fem.mesh.submesh.refined_size`), named ``submodel.refine`` when the
    unrefined models would fit, else ``submodel.box_pitches``.
    """
    sm = case.submodel
    lm = sm.local_mesh
    given, critical, joints = _candidates(case, pmesh)
    regions = {r for r, _ in joints}
    by_region = {} if lm is None else {r: local_mesh_of(case, r) for r in regions}
    refine = (by_region[joints[0][0]] if lm is not None else
              Refinement(sm.refine.n_xy, sm.refine.n_z, sm.refine.joint_elements, sm.refine.pad_layer))
    cen = centroids(pmesh)
    z_ranges = {} if sm.z_margin is None else {j: _z_range(pmesh, j, float(sm.z_margin)) for j in joints}
    boxes = {j: joint_box(pmesh, j[0], j[1], float(sm.box_pitches), z_ranges.get(j)) for j in joints}
    sel = {j: window_elements(pmesh, b) if lm is not None else box_elements(pmesh, b, cen) for j, b in boxes.items()}
    union = np.unique(np.concatenate(list(sel.values())))
    verts = np.unique(pmesh.mesh.t[:, union])
    # the displacement is recorded where some box's local model is driven: its cut faces (the other vertices'
    # interpolation weights are zero there), not the whole box
    cuts = np.unique(np.concatenate([window_cut_vertices(pmesh, boxes[j], e) if lm is not None else
                                     cut_vertices(pmesh, e) for j, e in sel.items()]))
    steps = plan(case)  # a commit per planned increment and the initial state, each with its start; solidus
    n_commits = sum(len(s.increments) for s in steps) + len(steps) + 1  # splits and cut-backs add more
    record_bytes = float(n_commits) * (48.0 * len(cuts) + 16.0 * len(union))
    if not force and lm is None:
        _check_memory(case, pmesh, boxes, sel, refine, record_bytes)
    local_nodes = {}
    if not force and lm is not None:
        local_nodes = _check_local_memory(case, pmesh, boxes, by_region, given + [next(j for j in joints if j[0] == r)
                                                                                  for r, _ in critical], record_bytes)
    rec = BoxRecorder.over(problem, union, verts, u_vertices=cuts)
    say = progress or (lambda msg: None)
    say(f"submodels: recording the boundary of {len(joints)} joint box(es) ({len(union):,} elements; "
        f"{len(cuts):,} of their {len(verts):,} vertices on cut faces: ~{format_bytes(record_bytes)} for "
        f"{n_commits} sub-increments)")
    shapes = {(j.region, j.id) if j.id is not None else j.region: JointShape(j.shape.kind, j.shape.pads())
              for j in sm.joints if j.shape is not None and j.shape.kind != "disk"}
    return CaseBoxes(refine, float(sm.box_pitches), given, critical, rec, record_bytes, len(cuts), len(union),
                     shapes, z_ranges, local_nodes, by_region)


def _z_range(pmesh, joint: tuple[str, int], margin: float) -> tuple[float, float]:
    """The z extent (m) of ``joint``'s box for ``submodel.z_margin``: its slab and ``margin`` above and below."""
    ri = pmesh.region_names.index(joint[0])
    els = np.nonzero((pmesh.cell_region == ri) & (pmesh.cell_item == int(joint[1])))[0]
    z = pmesh.mesh.p[2, pmesh.mesh.t[:, els]]
    return float(z.min()) - margin, float(z.max()) + margin


def _check_local_memory(case, pmesh, boxes: dict, local: dict, sample: list, record_bytes: float) -> dict:
    """Refuse a ``local_mesh`` that would not fit in memory, as :func:`_check_memory`, its size measured by
    meshing the ``sample`` joints (the given ones and one of each critical region: a region's boxes are alike)
    with their region's :class:`LocalMesh` (``local``). Returns the nodes measured, by joint and by region
    (:attr:`CaseBoxes.local_nodes`)."""
    mem, have = _memory_at_hand()
    if mem is None:
        return {}
    mc = case.mesh
    sizes = {j: remesh(pmesh, boxes[j], local[j[0]], mc.max_layer_thickness, mc.min_elements_per_layer,
                       mc.circle_segments).pmesh.mesh.nvertices for j in dict.fromkeys(sample)}
    measured = {**{j[0]: n for j, n in sizes.items()}, **sizes}
    worst = max(sizes, key=sizes.get)
    need = estimate(case).memory + record_bytes + _local_peak(case, sizes[worst])
    if need > have:
        raise InputError.single("submodel.local_mesh", f"the submodel of {worst[0]} id {worst[1]} would have "
                                f"~{3 * sizes[worst]:,} dofs (feature_size {local[worst[0]].feature_size * 1e6:.4g} "
                                "um); with "
                                f"the global run and the boundary record it needs ~{format_bytes(need)}, but "
                                f"{format_bytes(have)} is available ({mem.source}); coarsen local_mesh, or run "
                                "with --force")
    return measured


def local_solver(case, dofs: int) -> str:
    """The linear solver ``case.solver.linear`` gives a local model of ``dofs`` unknowns (``auto`` resolved)."""
    solver = case.solver.linear
    if solver == "auto":
        solver = auto_method(dofs, NNZ_PER_ROW.get(case.mesh.element, max(NNZ_PER_ROW.values())))
    return solver


def _local_peak(case, n_nodes: int) -> float:
    """Peak bytes of the worker process running a local model of ``n_nodes`` nodes (the preflight model,
    its base included: every submodel runs in a worker of its own, :mod:`fcpkg_fem.run.submodel_pool`)."""
    dofs = 3 * n_nodes
    return memory_model(dofs, case.mesh.element, local_solver(case, dofs))


def _memory_at_hand():
    """(the machine's :func:`~fcpkg_fem.run.preflight.available_memory` or None, bytes this run may use: what the
    machine can give now plus what this process already holds, or the whole ``FCPKG_MEMORY_LIMIT`` budget)."""
    mem = available_memory()
    if mem is None:
        return None, 0.0
    held = 0.0 if mem.source.startswith(MEMORY_LIMIT_ENV) else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return mem, mem.available + held * 1024.0


def _check_memory(case, pmesh, boxes: dict, sel: dict, refine: Refinement, record_bytes: float) -> None:
    """Refuse a submodel section that would not fit in memory (see :func:`case_boxes`). Available: what the
    machine can give now plus what this process holds already (its peak resident size so far, the global mesh
    and problem), or the ``FCPKG_MEMORY_LIMIT`` budget; needed: the global run's preflight estimate, the record
    and the largest local model."""
    mem, have = _memory_at_hand()
    if mem is None:
        return
    base = estimate(case).memory + record_bytes
    sizes = {j: refined_size(pmesh, boxes[j], refine, sel[j]) for j in boxes}
    worst = max(sizes, key=lambda j: sizes[j][1])
    need = base + _local_peak(case, sizes[worst][1])
    if need <= have:
        return
    coarse = base + max(_local_peak(case, refined_size(pmesh, boxes[j], Refinement(), sel[j])[1]) for j in boxes)
    field = "submodel.refine" if coarse <= have else "submodel.box_pitches"
    n_el, n_nodes, _ = sizes[worst]
    raise InputError.single(field, f"the submodel of {worst[0]} id {worst[1]} would have {n_el:,} elements "
                            f"(~{3 * n_nodes:,} dofs, refine n_xy={refine.n_xy}, n_z={refine.n_z}, joint_elements="
                            f"{refine.joint_elements}); with the global run (~{format_bytes(estimate(case).memory)}) "
                            f"and the boundary record (~{format_bytes(record_bytes)}) it needs "
                            f"~{format_bytes(need)}, but {format_bytes(have)} is available ({mem.source}); lower the "
                            "refinement or box_pitches, or run with --force")


def chosen_joints(case, rec, boxes: CaseBoxes) -> list[dict]:
    """The joints to model after the global run: each ``{region, id, chosen_by: [...], criterion}``, the given
    ones first, then per ``critical`` region its ``count`` most critical joints by :data:`CRITICAL_RULE`, most
    critical first (``chosen_by`` ``critical`` for the first, ``critical #k`` for the k-th); a joint chosen twice is
    listed once."""
    out = {j: {"region": j[0], "id": j[1], "chosen_by": ["id"], "criterion": "given by id"} for j in boxes.given}
    for region, count in boxes.critical:
        for rank, (k, why) in enumerate(_ranked(rec, region)[:count]):
            tag = "critical" if rank == 0 else f"critical #{rank + 1}"
            e = out.setdefault((region, k), {"region": region, "id": k, "chosen_by": [], "criterion": ""})
            e["chosen_by"].append(tag)
            e["criterion"] = why if e["criterion"] == "" else f"{e['criterion']}; {tag}: {why}"
    return list(out.values())


def _ranked(rec, region: str) -> list[tuple[int, str]]:
    """[(joint id, why)] of ``region``, most critical first (:data:`CRITICAL_RULE`; ties: the lower id first)."""
    for s in reversed(rec.plan):
        entry = (rec.life.get(s.name) or {}).get(region)
        if entry:
            rows = sorted(entry["per_joint"], key=lambda r: (-r["dW_layer_MJ_m3"], r["id"]))
            return [(int(r["id"]), f"largest per-cycle inelastic work in a pad layer over the last complete cycle "
                                   f"of step '{s.name}' ({r['dW_layer_MJ_m3']:.6g} MJ/m^3)"
                     if i == 0 else f"per-cycle inelastic work in a pad layer over the last complete cycle of step "
                                    f"'{s.name}' {r['dW_layer_MJ_m3']:.6g} MJ/m^3, rank {i + 1}")
                    for i, r in enumerate(rows)]
    last = rec.outputs[-1]
    rows = sorted(last["inelastic"][region]["items"], key=lambda r: (-r["inelastic_work_MJ_m3"], r["id"]))
    where = f"at the last output (step '{last['step']}', t = {last['time_s']:g} s"
    return [(int(r["id"]), f"largest accumulated inelastic work {where}: {r['inelastic_work_MJ_m3']:.6g} MJ/m^3)"
             if i == 0 else f"accumulated inelastic work {where}: {r['inelastic_work_MJ_m3']:.6g} MJ/m^3), rank "
                            f"{i + 1}")
            for i, r in enumerate(rows)]


def _joint_entry(j: dict) -> dict:
    """A sample's joint averages (:func:`_sample`) in summary units."""
    return {"inelastic_work_MJ_m3": j["volume"] * 1e-6, "eq_inelastic_strain": j["eq"],
            "lower_pad_work_MJ_m3": j["lower"] * 1e-6, "upper_pad_work_MJ_m3": j["upper"] * 1e-6,
            "lower_layer_um": j["t_lower"] * 1e6, "upper_layer_um": j["t_upper"] * 1e6,
            "temperature_C": j["T"], "von_mises_max_MPa": j["von_mises"] * 1e-6}


def _refine_entry(refine: Refinement | LocalMesh) -> dict:
    """The local summary's ``mesh.refine`` (a cut-out model) or ``mesh.local_mesh`` (one meshed afresh); lengths
    in um to 1e-6 um, so that 25.4 um reads 25.4 and not its binary neighbour."""
    def um(x: float) -> float:
        return round(x * 1e6, 6)

    if isinstance(refine, LocalMesh):
        return {"local_mesh": {"feature_size_um": um(refine.feature_size), "size_um": um(refine.size),
                               "joint_elements": refine.joint_elements, "pad_layer_um": um(refine.pad_layer)}}
    return {"refine": {"n_xy": refine.n_xy, "n_z": refine.n_z, "joint_elements": refine.joint_elements,
                       "pad_layer_um": um(refine.pad_layer)}}


def _shape_entry(shape: JointShape | None, sub: Submesh, joint) -> dict:
    """The summary's ``mesh.joint_shape``: kind, pad diameters (um) and the local joint's volume (mm^3)."""
    pm = sub.pmesh
    ri = pm.region_names.index(joint[0])
    els = np.nonzero((pm.cell_region == ri) & (pm.cell_item == int(joint[1])))[0]
    vol = float(hex_volumes(pm.mesh.p, pm.mesh.t[:, els]).sum())
    out = {"kind": "disk" if shape is None else shape.kind, "volume_mm3": vol * 1e9}
    if shape is not None and shape.kind != "disk":
        out["pad_diameters_um"] = [d * 1e6 for d in shape.pad_diameters]
    return out


def submodel_result(case, res: SubmodelResult, joint, choice: dict, boxes: CaseBoxes) -> RunResult:
    """The :class:`RunResult` of one submodel for the writers: ``summary`` (docs/submodel.md, "Outputs"), the
    local mesh, one FieldSet per report time of the global run (displacement (n_nodes, 3) m; per element
    stress_MPa (n_el, 6), von_mises_MPa, eq_inelastic_strain, inelastic_work_MJ_m3, temperature_C, born) and one
    history row per planned increment (the joint's averages)."""
    t0 = time.perf_counter()
    sub, pm = res.sub, res.sub.pmesh
    nd = res.problem.basis.nodal_dofs
    outputs, fields, history = [], [], []
    for k, inc in enumerate(res.increments):
        je = _joint_entry(inc["joint"])
        history.append({"index": k, "step": inc["step"], "time_s": inc["t"], **je})
        if not inc["report"]:
            continue
        outputs.append({"index": len(outputs), "step": inc["step"], "time_s": inc["t"], "joint": je})
        fields.append(FieldSet(point_data={"displacement": inc["u"][nd].T.copy()},
                               cell_data={"stress_MPa": inc["stress"] * 1e-6,
                                          "von_mises_MPa": von_mises(inc["stress"]) * 1e-6,
                                          "eq_inelastic_strain": inc["eq"], "inelastic_work_MJ_m3": inc["W"] * 1e-6,
                                          "temperature_C": inc["T"], "born": inc["born"].astype(float)}))
    xy = pm.items[joint[0]][int(joint[1])]
    life = {name: e[joint[0]] for name, e in res.life.items() if joint[0] in e}
    summary = {
        "schema": "fcpkg-fem/submodel", "schema_version": 1, "case": {"name": case.name, "hash": case.hash()},
        "joint": {"region": joint[0], "id": int(joint[1]), "x_mm": float(xy[0]) * 1e3, "y_mm": float(xy[1]) * 1e3,
                  **choice},
        "box": {"box_pitches": boxes.box_pitches, "pitch_mm": sub.box.pitch * 1e3,
                "lo_mm": (sub.box.lo * 1e3).tolist(), "hi_mm": (sub.box.hi * 1e3).tolist(),
                "global_elements": int(len(sub.global_elements)), "cut_face_nodes": int(len(sub.cut_nodes))},
        "mesh": {"elements": int(pm.n_elements), "nodes": int(pm.mesh.nvertices), "dofs": int(res.problem.ndofs),
                 "element": case.mesh.element, "joint_layers": int(sub.joint_layers),
                 **_refine_entry(boxes.refine_for(joint)),
                 "joint_shape": _shape_entry(boxes.refine_for(joint).shape, sub, joint)},
        "units": {"work": "MJ/m^3 (accumulated inelastic work density)", "length": "mm in *_mm, um in *_um",
                  "stress": "MPa", "temperature": "degC", "time": "s"},
        "outputs": outputs, "final": outputs[-1]["joint"] if outputs else None,
        "life": json_safe(life), "events": json_safe(res.events),
        "newton": {"sub_increments": len(res.newton), "iterations_total": int(sum(res.newton)),
                   "iterations_max": int(max(res.newton, default=0))},
        "boundary_error_m": res.boundary_error_m,
    }
    if life:
        summary["life_note"] = LIFE_NOTE
    summary["timing_s"] = {**{k: round(v, 3) for k, v in res.timing_s.items()},
                           "post": round(time.perf_counter() - t0, 3)}
    return RunResult(summary=summary, points=pm.mesh.p.T.copy(), cells=pm.cells_vtk, region_names=pm.region_names,
                     cell_region=pm.cell_region, fields=fields, history=history)


def parent_entry(s: dict, rec, joint, folder: str | None) -> dict:
    """The parent summary's entry of one submodel: where it is, how it was chosen, its mesh, the joint's final
    results and, beside them, the global model's for the same joint (``global``: its last output's
    volume averages and, per cycling step, its per-cycle pad-layer work), and the submodel's life per cycling step
    (dW per cycle, interface, layer, the estimates' cycles)."""
    region, k = joint
    g_items = {it["id"]: it for it in ((rec.outputs[-1].get("inelastic") or {}).get(region) or {}).get("items", [])}
    g = g_items.get(int(k), {})
    glob = {"inelastic_work_MJ_m3": g.get("inelastic_work_MJ_m3"), "eq_inelastic_strain": g.get("eq_inelastic_strain"),
            "life": {}}
    for step, e in rec.life.items():
        pj = {p["id"]: p for p in (e.get(region) or {}).get("per_joint", [])}.get(int(k))
        if pj:
            glob["life"][step] = {"dW_layer_MJ_m3": pj["dW_layer_MJ_m3"], "dW_volume_MJ_m3": pj["dW_volume_MJ_m3"]}
    life = {}
    for step, e in (s.get("life") or {}).items():
        c = e["critical"]
        life[step] = {"dW_layer_MJ_m3": c["dW_layer_MJ_m3"], "dW_volume_MJ_m3": c["dW_volume_MJ_m3"],
                      "interface": c["interface"], "layer_thickness_um": c["layer_thickness_um"],
                      "dW_layer_per_cycle_MJ_m3": c["dW_layer_per_cycle_MJ_m3"],
                      "cycles": {m: v["cycles"] for m, v in e.get("estimates", {}).items()}}
    j = s["joint"]
    return {"region": region, "id": int(k), "x_mm": j["x_mm"], "y_mm": j["y_mm"], "chosen_by": j["chosen_by"],
            "criterion": j["criterion"], "folder": folder, "elements": s["mesh"]["elements"],
            "dofs": s["mesh"]["dofs"], "joint_layers": s["mesh"]["joint_layers"],
            "joint_shape": s["mesh"].get("joint_shape"), "final": s["final"],
            "life": life, "global": glob, "timing_s": s["timing_s"]}
