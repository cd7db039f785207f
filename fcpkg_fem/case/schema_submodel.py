"""The ``submodel:`` case section: refined local models of chosen joints, driven by the global process history.

A case with ``load.steps`` may ask for submodels (issue 19, docs/submodel.md)::

    submodel:
      joints:
        - {region: bumps.die1, id: 7}          # a joint by region and id (the ids of bumps.csv)
        - {region: top_balls, critical: true}  # the joint the global run finds critical in that region
        - {region: bumps.die2, critical: true, shape: {kind: truncated_sphere, pad_diameter: 60 um}}
      box_pitches: 1                           # cut box: (box_pitches - 1/2) x pitch from the joint's centre
      # the default: the box meshed afresh, sizes from each joint's diameter D (D/4 at the outlines, 1.25 D away)
      # local_mesh: {joint_elements: 8, pad_layer: 25.4 um}
      # or, instead of local_mesh: the box cut out of the global mesh and subdivided
      # refine: {n_xy: 2, n_z: 1, joint_elements: 4, pad_layer: 25.4 um}
      # z_margin: 100 um                       # the box's height: the joint's slab and this much above and below

The global run records the boundary of every box it may need and, after it, runs one local model per joint in
``<run folder>/submodels/<region>-<id>/``. Here: the schema (:class:`Submodel`) and the cross-checks that need
the rest of the case (:func:`submodel_problems`, called by :func:`fcpkg_fem.case.checks.cross_checks`). The
checks that need the mesh or the machine (a joint cut by the box, the memory a refinement needs) run at the start
of the run (:mod:`fcpkg_fem.run.submodel`).
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field, StrictBool, model_validator

from fcpkg_fem.case import layout
from fcpkg_fem.case import names as rn
from fcpkg_fem.case.fields import CaseModel, NonNegLength, PosLength, PosNumber, fail, mm
from fcpkg_fem.errors import Problem, closest

__all__ = ["SubmodelJoint", "SubmodelShape", "SubmodelRefine", "SubmodelLocalMesh", "Submodel", "JOINT_KINDS", "SHAPES",
           "FEATURE_PER_DIAMETER", "SIZE_PER_DIAMETER", "joint_centres", "submodel_problems"]

JOINT_KINDS = ("bumps", "balls")
"""Region kinds a submodel can be made of: the solder joints whose inelastic work and life the run reports."""

#: a subdivision count: at least 1; the memory check at run time bounds the product
Count = Annotated[int, Field(strict=True, ge=1, le=64)]

SHAPES = ("disk", "truncated_sphere", "barrel")
"""Joint shapes a local model can give its joint (docs/submodel.md, "Joint shape")."""


class SubmodelShape(CaseModel):
    """The joint's real shape in its local model: ``kind`` ``disk`` (the global model's prism, the default),
    ``truncated_sphere`` (the sphere through both pad circles, fixed by the pads and the standoff) or ``barrel``
    (radius parabolic in z through both pads, widest at the joint's own diameter); the pads by ``pad_diameter``
    (both) or ``pad_diameters: [lower, upper]`` (by z), m."""

    kind: str
    pad_diameter: PosLength | None = None
    pad_diameters: tuple[PosLength, PosLength] | None = None

    @model_validator(mode="after")
    def _check(self) -> "SubmodelShape":
        if self.kind not in SHAPES:
            hint = closest(self.kind, SHAPES)
            msg = (f"'{self.kind}' is not a joint shape" + (f"; did you mean '{hint}'?" if hint else "")
                   + f" (allowed: {', '.join(SHAPES)})")
            raise fail(msg, [("kind", msg)])
        given = [k for k in ("pad_diameter", "pad_diameters") if getattr(self, k) is not None]
        if self.kind == "disk" and given:
            msg = "a disk is the global model's joint and has no pads; remove it or give another kind"
            raise fail(msg, [(given[0], msg)])
        if self.kind != "disk" and len(given) != 1:
            msg = (f"a {self.kind} needs its pads: give pad_diameter (both pads) or pad_diameters: [lower, upper]"
                   if not given else "give pad_diameter or pad_diameters, not both")
            raise fail(msg, [("pad_diameter", msg)])
        return self

    def pads(self) -> tuple[float, float]:
        """(lower, upper) pad diameters, m (0, 0 for a disk)."""
        if self.pad_diameters is not None:
            return tuple(float(d) for d in self.pad_diameters)
        d = float(self.pad_diameter or 0.0)
        return d, d


class SubmodelJoint(CaseModel):
    """One joint: ``region`` (``bumps.<die>``, ``top_balls``, ``bottom_balls``) and either ``id`` (the item id of
    bumps.csv and the summary) or ``critical: true`` (the joint of that region the global run finds critical:
    docs/submodel.md, "Critical joints"), with ``count`` (default 1) the number of most critical joints to model;
    ``shape``: the joint's real shape in its local model (:class:`SubmodelShape`, default the global disk)."""

    region: str
    id: Annotated[int, Field(strict=True, ge=0)] | None = None
    critical: StrictBool | None = None
    count: Count | None = None
    shape: SubmodelShape | None = None

    @model_validator(mode="after")
    def _one_of(self) -> "SubmodelJoint":
        if self.count is not None and self.critical is not True:
            msg = "count goes with critical: true (the count most critical joints of the region)"
            raise fail(msg, [("count", msg)])
        if self.id is not None and self.critical is not None:
            msg = "give either id or critical: true, not both"
            raise fail(msg, [("critical", msg)])
        if self.critical is False:
            msg = "critical: false chooses no joint; give critical: true or an id"
            raise fail(msg, [("critical", msg)])
        if self.id is None and self.critical is None:
            msg = "give the joint's id (e.g. id: 7) or critical: true"
            raise fail(msg, [("id", msg)])
        return self


class SubmodelRefine(CaseModel):
    """Subdivision of every element cut out of the global mesh: ``n_xy`` children along each in-plane axis,
    ``n_z`` through z, and at least ``joint_elements`` element layers through the joint's height, with a node
    plane ``pad_layer`` (m) from each pad so that the pad-interface layer the life models average over keeps its
    own thickness while the mesh refines (default 25.4 um: the layer Darveaux's constants were fitted with; 0:
    uniform layers through the joint; no plane with ``joint_elements: 1``, which keeps the global layers)."""

    n_xy: Count = 2
    n_z: Count = 1
    joint_elements: Count = 4
    pad_layer: NonNegLength = 25.4e-6


#: a local mesh's default element size at the disk outlines, per joint diameter (20 um for an 80 um bump)
FEATURE_PER_DIAMETER = 0.25
#: a local mesh's default element size away from the outlines, per joint diameter (100 um for an 80 um bump)
SIZE_PER_DIAMETER = 1.25


class SubmodelLocalMesh(CaseModel):
    """The box meshed afresh instead of cut out and subdivided (docs/submodel.md, "Local mesh"): element size
    ``feature_size`` at every disk outline in the box (the joint, its neighbours, vias) graded to ``size`` away from
    them, ``joint_elements`` element layers through the joint with the pad-layer plane as in ``refine``. An absent
    size is the modelled joint's diameter times :data:`FEATURE_PER_DIAMETER` or :data:`SIZE_PER_DIAMETER`, per
    joint region; the defaults (with 8 layers) are the level the convergence study found within 1 % of the
    extrapolated dW per cycle (docs/submodel.md, "The default local mesh")."""

    feature_size: PosLength | None = None
    size: PosLength | None = None
    joint_elements: Count = 8
    pad_layer: NonNegLength = 25.4e-6

    def sizes(self, diameter: float) -> tuple[float, float]:
        """(feature_size, size), m, for a joint of ``diameter`` (m): the given ones, the rest from the diameter."""
        f = self.feature_size if self.feature_size is not None else FEATURE_PER_DIAMETER * diameter
        return float(f), float(self.size if self.size is not None else SIZE_PER_DIAMETER * diameter)

    @model_validator(mode="after")
    def _check(self) -> "SubmodelLocalMesh":
        if self.size is not None and self.feature_size is not None and self.size < self.feature_size:
            msg = (f"size {mm(self.size)} is finer than feature_size {mm(self.feature_size)}: size is the element "
                   "size away from the outlines, feature_size at them")
            raise fail(msg, [("size", msg)])
        return self


class Submodel(CaseModel):
    """The ``submodel:`` section.

    Attributes:
        joints: the joints to model (:class:`SubmodelJoint`), at least one.
        box_pitches: cut-box size (dimensionless, >= 0.5): the cut lies ``(box_pitches - 1/2) * pitch`` from the
            joint's centre in x and y, ``pitch`` being the distance to the nearest other joint of its region (1:
            the joint's own cell, halfway to its neighbours; 2: with the ring of neighbours); whole height.
        refine: :class:`SubmodelRefine`, the box cut out of the global mesh and subdivided: used when given
            (``refine: {}`` for its defaults); None otherwise.
        local_mesh: :class:`SubmodelLocalMesh`, the box meshed afresh: the default when ``refine`` is not given
            (the cut-out model's in-plane resolution is the global footprint's, and its default was +21.5 % from
            the extrapolated dW per cycle in the convergence study; docs/submodel.md).
        z_margin: the box's height: the joint's slab and this much (m) above and below it, widened to the global
            mesh's node levels; None: the whole height.
    """

    joints: tuple[SubmodelJoint, ...]
    box_pitches: PosNumber = 1.0
    refine: SubmodelRefine | None = None
    local_mesh: SubmodelLocalMesh | None = None
    z_margin: NonNegLength | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_local_mesh(cls, data):
        # written out, so that the case's echo and hash show the method the run uses
        if isinstance(data, dict) and data.get("refine") is None and data.get("local_mesh") is None:
            data = {**data, "refine": None, "local_mesh": {}}
        return data

    @model_validator(mode="after")
    def _check(self) -> "Submodel":
        probs = []
        if not self.joints:
            probs.append(("joints", "give at least one joint ({region: bumps.die1, id: 7} or "
                                    "{region: bumps.die1, critical: true})"))
        if self.box_pitches < 0.5:
            probs.append(("box_pitches", f"must be at least 0.5 (the joint's own cell is 1), got {self.box_pitches:g}"))
        if self.local_mesh is not None and self.refine is not None:
            probs.append(("local_mesh", "give refine (the box cut out and subdivided) or local_mesh (the box meshed "
                                        "afresh), not both"))
        seen = set()
        for i, j in enumerate(self.joints):
            key = (j.region, j.id if j.id is not None else "critical")
            if key in seen:
                probs.append((f"joints.{i}", f"repeats an earlier joint ({j.region} "
                                             f"{'critical' if j.id is None else f'id {j.id}'})"))
            seen.add(key)
        if probs:
            raise fail(probs[0][1], probs)
        return self


def joint_centres(case) -> dict[str, tuple[np.ndarray, float]]:
    """Joint region -> ((n, 2) centres in m, full package coordinates, in id order; joint diameter in m) of a
    stacked package: every die's bumps and the ball arrays (the ids of the mesh's items, geometry/build.py)."""
    p = case.package
    out = {}
    for _, chip in p.chips:
        out[rn.bumps(chip.name)] = (layout.bump_centres(chip), float(chip.bumps.diameter))
    for balls, carrier, region in ((p.top_balls, p.carriers.top, rn.TOP_BALLS),
                                   (p.bottom_balls, p.carriers.bottom, rn.BOTTOM_BALLS)):
        if balls is not None:
            out[region] = (layout.ball_centres(balls, carrier), float(balls.diameter))
    return out


def _pitch(centres: np.ndarray, k: int, fallback: float) -> float:
    """Distance (m) from joint ``k`` to the nearest other joint of its region (``fallback`` when alone)."""
    d = np.linalg.norm(centres - centres[k], axis=1)
    d = d[d > 0]
    return float(d.min()) if len(d) else fallback


def _modelled(xy: np.ndarray, symmetry: str) -> np.ndarray:
    """(n,) True where a joint centre lies in the modelled part (x >= 0 for half, also y >= 0 for quarter);
    a joint on a symmetry plane is modelled (half of it, with the symmetry condition)."""
    tol = 1e-9
    keep = np.ones(len(xy), dtype=bool)
    if symmetry in ("half", "quarter"):
        keep &= xy[:, 0] > -tol
    if symmetry == "quarter":
        keep &= xy[:, 1] > -tol
    return keep


def _joint_problems(case, i: int, j: SubmodelJoint, centres: dict, models: dict[str, str],
                    size: tuple[float, float], box_pitches: float) -> list[Problem]:
    """The problems of joint ``i`` of the section (see :func:`submodel_problems`)."""
    base = f"submodel.joints.{i}"
    if j.region not in centres:
        hint = closest(j.region, sorted(centres))
        return [Problem(f"{base}.region", f"'{j.region}' is not a joint region of this case"
                        + (f"; did you mean '{hint}'?" if hint else "")
                        + f" (joint regions: {', '.join(sorted(centres)) or 'none'}; a submodel is made of a bump "
                          "or ball)")]
    if models.get(j.region, "elastic") == "elastic":
        return [Problem(f"{base}.region", f"{j.region} is elastic: a submodel reports a joint's inelastic work and "
                                          f"life; give it an inelastic model (models: {{{rn.kind(j.region)}: anand}})")]
    xy, diameter = centres[j.region]
    if j.shape is not None and j.shape.kind == "barrel" and max(j.shape.pads()) > diameter * (1 + 1e-9):
        key = "pad_diameter" if j.shape.pad_diameter is not None else "pad_diameters"
        return [Problem(f"{base}.shape.{key}", f"a barrel's pads ({', '.join(mm(d) for d in j.shape.pads())}) can be "
                                               f"at most the joint's diameter ({mm(diameter)}), its widest section")]
    keep = _modelled(xy, case.mesh.symmetry)
    if j.id is not None:
        if j.id >= len(xy):
            return [Problem(f"{base}.id", f"{j.region} has ids 0-{len(xy) - 1} (bumps.csv), not {j.id}")]
        if not keep[j.id]:
            mirror = np.abs(xy[j.id])
            twin = int(np.argmin(np.linalg.norm(xy - mirror, axis=1) + np.where(keep, 0.0, np.inf)))
            return [Problem(f"{base}.id", f"{j.region} id {j.id} at ({mm(xy[j.id][0])}, {mm(xy[j.id][1])}) lies in "
                                          f"the part the {case.mesh.symmetry} model cuts away by symmetry; its "
                                          f"mirror image is id {twin}, or use mesh.symmetry: full")]
        ids = [j.id]
    else:
        ids = list(np.nonzero(keep)[0])
    pitch = max(_pitch(xy, k, max(size)) for k in ids)
    half = (box_pitches - 0.5) * pitch
    if 2 * half > min(size) * (1 + 1e-12):
        most = 0.5 + min(size) / (2 * pitch)
        return [Problem("submodel.box_pitches", f"box_pitches {box_pitches:g} makes a {mm(2 * half)} wide cut box "
                                                f"around {j.region} (pitch {mm(pitch)}), larger than the "
                                                f"{mm(size[0])} x {mm(size[1])} package: at most {most:.3g}")]
    if half < 0.5 * diameter:
        least = 0.5 + 0.5 * diameter / pitch
        return [Problem("submodel.box_pitches", f"box_pitches {box_pitches:g} puts the cut {mm(half)} from the centre "
                                                f"of {j.region} joints of {mm(diameter)} diameter: it would run "
                                                f"through the joint; at least {least:.3g}")]
    return []


def submodel_problems(case, models: dict[str, str]) -> list[Problem]:
    """Problems of ``case.submodel`` against the rest of the (otherwise valid) case; ``models``: region ->
    model name (:func:`fcpkg_fem.case.schema.region_models`). A submodel needs a process history (load.steps), a
    stacked package, hex8i or hex8 elements (its cut faces are interpolated with the trilinear shape functions);
    each joint a bump or ball region with an inelastic model, an id that exists and lies in the modelled part
    (``mesh.symmetry``), and a box no wider than the package and wide enough to hold the whole joint."""
    sm = case.submodel
    if sm is None:
        return []
    if case.load.mode != "steps":
        return [Problem("submodel", f"a submodel follows the global model through a process history: give load.steps "
                                    f"instead of load.{case.load.mode}, or remove the submodel section")]
    if case.package is None:
        return [Problem("submodel", "a submodel is made of a solder joint of a stacked package; a laminate has none")]
    out = []
    if case.mesh.element == "hex20":
        out.append(Problem("mesh.element", "a submodel needs mesh.element: hex8i (or hex8): its cut faces are driven "
                                           "by the global displacement interpolated with the trilinear shape "
                                           "functions"))
    c = case.package.carriers
    size = (max(c.bottom.size[0], c.top.size[0]), max(c.bottom.size[1], c.top.size[1]))
    centres = joint_centres(case)
    for i, j in enumerate(sm.joints):
        out += _joint_problems(case, i, j, centres, models, size, float(sm.box_pitches))
    return out + _local_mesh_problems(sm, centres)


def _local_mesh_problems(sm: "Submodel", centres: dict) -> list[Problem]:
    """A ``local_mesh`` with one size given and the other derived from a joint's diameter must still have ``size``
    at least ``feature_size`` for every modelled region (both given: the section's own check)."""
    lm = sm.local_mesh
    if sm.refine is not None or lm is None or (lm.size is None) == (lm.feature_size is None):
        return []
    out = []
    for region in dict.fromkeys(j.region for j in sm.joints if j.region in centres):
        d = centres[region][1]
        f, s = lm.sizes(d)
        if s < f:
            given, derived = ("size", "feature_size") if lm.size is not None else ("feature_size", "size")
            out.append(Problem(f"submodel.local_mesh.{given}",
                               f"size {mm(s)} is finer than feature_size {mm(f)} for {region} ({derived} derived "
                               f"from its {mm(d)} diameter): give local_mesh.{derived} too, or a {given} "
                               + ("no finer than it" if given == "size" else "no coarser than size")))
    return out
