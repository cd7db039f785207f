"""The submodel section's default method: the box meshed afresh, its sizes from each joint region's diameter.

The convergence study (docs/submodel.md, "The default local mesh"; tests/verification/test_submodel_study.py)
found the cut-out default 21.5 % from the extrapolated dW per cycle and the local mesh at D/4 at the outlines,
1.25 D away and 8 layers through the joint within 1 %. These tests pin that a case without ``refine`` gets that
mesh, per region, and that a case with ``refine`` keeps the cut-out model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.coarse import COARSE_MESH, coarse_pattern

from fcpkg_fem import api
from fcpkg_fem.case.schema_submodel import FEATURE_PER_DIAMETER, SIZE_PER_DIAMETER
from fcpkg_fem.errors import InputError
from fcpkg_fem.mesh.remesh import LocalMesh
from fcpkg_fem.mesh.submesh import Refinement
from fcpkg_fem.run.submodel import _refine_entry, case_boxes, local_mesh_of
from fcpkg_fem.solve.mechanical import MechanicalProblem

ROOT = Path(__file__).resolve().parents[2]
BUMP_D, BALL_D = 80e-6, 250e-6  # m: the reference package's bumps and top balls (cases/reference_reflow.yaml)


def _case(submodel: str):
    path = ROOT / "cases" / "reference_reflow.yaml"
    return api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path)) + [submodel])


def _boxes(case):
    """:func:`case_boxes` of ``case`` on its mesh, without the memory check (no local mesh is built)."""
    pm = api.mesh_case(case)
    problem = MechanicalProblem(pm, case.materials_resolved,
                                case.stress_free_temperatures(pm.region_names, pm.region_material))
    return case_boxes(case, pm, problem, force=True)


def test_a_section_without_refine_meshes_the_box_afresh_with_8_layers():
    sm = _case("submodel={joints: [{region: bumps.die1, id: 7}]}").submodel
    assert sm.refine is None  # the echo (case.resolved.json) names only the method used
    assert sm.local_mesh is not None and sm.local_mesh.feature_size is None and sm.local_mesh.size is None
    assert sm.local_mesh.joint_elements == 8 and sm.local_mesh.pad_layer == pytest.approx(25.4e-6)
    assert sm.local_mesh.sizes(BUMP_D) == pytest.approx((20e-6, 100e-6), rel=1e-12)


def test_a_section_with_refine_keeps_the_cut_out_model():
    sm = _case("submodel={joints: [{region: bumps.die1, id: 7}], refine: {n_xy: 2}}").submodel
    assert sm.local_mesh is None and sm.refine.n_xy == 2 and sm.refine.joint_elements == 4
    sm = _case("submodel={joints: [{region: bumps.die1, id: 7}], refine: {}}").submodel
    assert sm.local_mesh is None and (sm.refine.n_xy, sm.refine.n_z, sm.refine.joint_elements) == (2, 1, 4)


def test_a_given_local_size_is_kept_and_the_other_follows_the_diameter():
    lm = _case("submodel={joints: [{region: bumps.die1, id: 7}], local_mesh: {feature_size: 5 um}}").submodel.local_mesh
    assert lm.sizes(BUMP_D) == pytest.approx((5e-6, SIZE_PER_DIAMETER * BUMP_D), rel=1e-12)
    lm = _case("submodel={joints: [{region: bumps.die1, id: 7}], local_mesh: {size: 300 um}}").submodel.local_mesh
    assert lm.sizes(BALL_D) == pytest.approx((FEATURE_PER_DIAMETER * BALL_D, 300e-6), rel=1e-12)


def test_refine_and_local_mesh_together_are_still_refused():
    with pytest.raises(InputError) as exc:
        _case("submodel={joints: [{region: bumps.die1, id: 7}], refine: {n_xy: 2}, local_mesh: {}}")
    assert exc.value.problems[0].field == "submodel.local_mesh", str(exc.value)


@pytest.mark.parametrize("given, field, words", [
    ("local_mesh: {size: 10 um}", "submodel.local_mesh.size",
     "size 10 um is finer than feature_size 20 um for bumps.die1 (feature_size derived from its 80 um diameter)"),
    ("local_mesh: {feature_size: 150 um}", "submodel.local_mesh.feature_size",
     "size 100 um is finer than feature_size 150 um for bumps.die1 (size derived from its 80 um diameter)")])
def test_a_size_finer_than_the_derived_other_is_refused_at_load_in_um(given, field, words):
    """One size given, the other derived from the joint's diameter (D/4 at the outlines, 1.25 D away): the pair
    is checked when the case is read, naming the given field, in um, not when the run reaches the submodel."""
    with pytest.raises(InputError) as exc:
        _case(f"submodel={{joints: [{{region: bumps.die1, id: 7}}], {given}}}")
    (p,) = exc.value.problems
    assert p.field == field and words in p.message, str(exc.value)


def test_each_joint_region_gets_the_sizes_of_its_own_diameter():
    """A bump and a top ball in one case: 20 / 100 um and 62.5 / 312.5 um (D/4, 1.25 D), 8 layers each; the
    joint's shape still comes from its entry."""
    case = _case("submodel={joints: [{region: bumps.die1, critical: true}, {region: top_balls, id: 6, "
                 "shape: {kind: barrel, pad_diameter: 200 um}}]}")
    boxes = _boxes(case)
    assert set(boxes.by_region) == {"bumps.die1", "top_balls"}
    bump = boxes.refine_for(("bumps.die1", 3))
    ball = boxes.refine_for(("top_balls", 6))
    assert isinstance(bump, LocalMesh) and isinstance(ball, LocalMesh)
    assert (bump.feature_size, bump.size) == pytest.approx((20e-6, 100e-6), rel=1e-12)
    assert (ball.feature_size, ball.size) == pytest.approx((62.5e-6, 312.5e-6), rel=1e-12)
    assert bump.joint_elements == ball.joint_elements == 8
    assert bump.shape is None and ball.shape is not None and ball.shape.kind == "barrel"


def test_a_cut_out_section_has_no_local_meshes():
    case = _case("submodel={joints: [{region: bumps.die1, critical: true}], refine: {n_xy: 2}}")
    boxes = _boxes(case)
    assert boxes.by_region == {} and isinstance(boxes.refine_for(("bumps.die1", 3)), Refinement)


def test_the_local_summary_states_the_pad_layer_as_given():
    """25.4 um is 2.54e-5 m, whose product with 1e6 is 25.400000000000002: the summary rounds to 1e-6 um so that
    it reads as the case states it (and as Darveaux's layer is quoted)."""
    local = _refine_entry(LocalMesh(20e-6, 100e-6, 8, 25.4e-6))["local_mesh"]
    assert local == {"feature_size_um": 20.0, "size_um": 100.0, "joint_elements": 8, "pad_layer_um": 25.4}
    assert _refine_entry(Refinement(2, 1, 4, 25.4e-6))["refine"]["pad_layer_um"] == 25.4


def test_a_case_without_a_submodel_section_gets_the_section_defaults_per_region():
    """:func:`local_mesh_of` (what the case's boxes, the study's benchmark and its slow tests use): with no
    ``submodel:`` section the defaults, D/4 and 1.25 D per region; with one, its given size and the derived other."""
    plain = api.load_case(ROOT / "cases" / "reference_reflow.yaml")
    assert local_mesh_of(plain, "bumps.die1") == LocalMesh(20e-6, 100e-6, 8, 25.4e-6)
    got = local_mesh_of(plain, "top_balls")
    assert (got.feature_size, got.size) == pytest.approx((62.5e-6, 312.5e-6), rel=1e-12)
    given = _case("submodel={joints: [{region: top_balls, id: 6}], local_mesh: {size: 400 um, joint_elements: 6}}")
    got = local_mesh_of(given, "top_balls")
    assert (got.feature_size, got.size, got.joint_elements) == pytest.approx((62.5e-6, 400e-6, 6), rel=1e-12)
