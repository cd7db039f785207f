"""Local models meshed afresh (fcpkg_fem/mesh/remesh.py): the box's own footprint mesh, its graded joint, where
each local node lies in the global mesh, the cut faces.

On the coarse mesh of ``reference_reflow`` (tests/support/coarse.py). Die 1's bump id 7 (80 um across, 60 um high)
lies against the symmetry plane x = 0, so its box has three cut sides and the symmetry plane as its fourth. The
location is exact geometry: every local node's reference coordinates in its global element give back its position
to round-off (1e-15 m on a millimetre box), which is what makes the interpolated boundary exact for any field the
global elements represent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.coarse import COARSE_MESH, coarse_pattern

from fcpkg_fem import api
from fcpkg_fem.errors import InputError
from fcpkg_fem.mesh.remesh import LocalMesh, locate, remesh, window_cut_vertices, window_elements
from fcpkg_fem.mesh.submesh import hex_volumes, joint_box

ROOT = Path(__file__).resolve().parents[2]
JOINT = ("bumps.die1", 7)


@pytest.fixture(scope="module")
def case_mesh():
    path = ROOT / "cases" / "reference_reflow.yaml"
    case = api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path)))
    return case, api.mesh_case(case)


def _remesh(case, pm, local, z_range=None, joint=JOINT):
    mc = case.mesh
    return remesh(pm, joint_box(pm, *joint, 1.0, z_range), local, mc.max_layer_thickness, mc.min_elements_per_layer,
                  mc.circle_segments)


@pytest.mark.parametrize("z_range", [None, (0.25e-3, 0.5e-3)])
def test_every_local_node_is_located_exactly_and_the_cut_faces_are_inside(case_mesh, z_range):
    """Each local node's parent element and reference coordinates reproduce its position (so a linear field is
    interpolated exactly); the cut nodes are those on the box's faces inside the model: the three sides away from
    x = 0 and, with a z range, its bottom and top levels (the global levels 0.02 and 0.585 mm around 0.25-0.5 mm);
    the symmetry plane keeps its condition (driven only along its edges with the cut faces)."""
    case, pm = case_mesh
    sub = _remesh(case, pm, LocalMesh(20e-6, 400e-6, 4), z_range)
    lm = sub.pmesh.mesh
    cols, w = sub.interpolation()
    X = pm.mesh.p[:, sub.box_vertices]
    back = np.einsum("nk,cnk->nc", w, X[:, cols])
    assert np.abs(back - lm.p.T).max() < 1e-15
    assert sub.pmesh.stats["outside_m"] == 0.0
    lo, hi = sub.box.lo, sub.box.hi
    p = lm.p[:, sub.cut_nodes]
    tol = 1e-12
    on_side = (np.abs(p[0] - hi[0]) < tol) | (np.abs(p[1] - lo[1]) < tol) | (np.abs(p[1] - hi[1]) < tol)
    if z_range is None:
        assert np.all(on_side)
    else:
        assert lo[2] == pytest.approx(0.02e-3, abs=1e-12) and hi[2] == pytest.approx(0.585e-3, abs=1e-12)
        assert np.all(on_side | (np.abs(p[2] - lo[2]) < tol) | (np.abs(p[2] - hi[2]) < tol))
        assert lm.p[2].min() == pytest.approx(lo[2], abs=tol) and lm.p[2].max() == pytest.approx(hi[2], abs=tol)
    # on the symmetry plane only its edges with the cut sides are driven (the global u_x = 0 there too)
    at0 = np.abs(p[0]) < tol
    assert np.all((np.abs(p[1, at0] - lo[1]) < tol) | (np.abs(p[1, at0] - hi[1]) < tol)
                  | (np.abs(p[2, at0] - lo[2]) < tol) | (np.abs(p[2, at0] - hi[2]) < tol))
    sym = lm.boundaries["sym_x0"]
    assert len(sym) and np.all(np.abs(lm.p[0, lm.facets[:, sym]]) < tol)
    # every local node's parent is among the recorded elements, whose count is what the record keeps
    assert np.array_equal(sub.global_elements, window_elements(pm, sub.box))


@pytest.mark.parametrize("z_range", [None, (0.25e-3, 0.5e-3)])
def test_the_cut_nodes_are_interpolated_from_the_recorded_cut_vertices_alone(case_mesh, z_range):
    """What a case's run records of a box meshed afresh (:func:`window_cut_vertices`): every vertex with a
    nonzero interpolation weight at some cut node, and fewer than the window's vertices (the sides on the model's
    boundary, here the symmetry plane and, without a z range, the bottom and top, are not cut)."""
    case, pm = case_mesh
    sub = _remesh(case, pm, LocalMesh(20e-6, 400e-6, 4), z_range)
    cuts = window_cut_vertices(pm, sub.box, sub.global_elements)
    cols, w = sub.interpolation()
    c, wc = cols[sub.cut_nodes], w[sub.cut_nodes]
    used = np.unique(sub.box_vertices[c[wc != 0.0]])
    assert np.isin(used, cuts).all()
    assert np.isin(cuts, sub.box_vertices).all() and len(cuts) < len(sub.box_vertices)
    print(f"\nz range {z_range}: {len(cuts)} of {len(sub.box_vertices)} window vertices recorded")


def test_the_joint_is_finer_than_in_the_global_model_and_keeps_its_area(case_mesh):
    """feature_size 10 um: the bump's outline gets more segments than the global 150 um mesh gives it, its
    cross-section keeps the disk's area (the equal-area polygon, to round-off), its slab takes the graded planes
    25.4 um from each pad (2 + 1 + 2 element layers for joint_elements 4, as Refinement), and item ids and
    regions are the global ones."""
    case, pm = case_mesh
    sub = _remesh(case, pm, LocalMesh(10e-6, 400e-6, 4, 25.4e-6))
    lp = sub.pmesh
    ri = lp.region_names.index(JOINT[0])
    els = np.nonzero((lp.cell_region == ri) & (lp.cell_item == JOINT[1]))[0]
    gels = np.nonzero((pm.cell_region == ri) & (pm.cell_item == JOINT[1]))[0]
    assert len(els) > 8 * len(gels)
    z = lp.mesh.p[2, lp.mesh.t[:, els]]
    planes = np.unique(np.round(np.concatenate([z.min(axis=0), z.max(axis=0)]) - z.min(), 12))
    assert sub.joint_layers == 5 and len(planes) == 6
    assert np.allclose(planes[[1, 4]], [12.7e-6, 60e-6 - 12.7e-6], atol=1e-12)  # 2 layers in each 25.4 um
    assert np.allclose(planes[[2, 3]], [25.4e-6, 60e-6 - 25.4e-6], atol=1e-12)
    vol = hex_volumes(lp.mesh.p, lp.mesh.t[:, els]).sum()
    assert vol == pytest.approx(np.pi * 40e-6 ** 2 * 60e-6, rel=1e-12)
    assert np.all(hex_volumes(lp.mesh.p, lp.mesh.t) > 0)
    assert lp.region_names == pm.region_names


def test_a_point_in_a_large_element_beside_small_ones_is_found(case_mesh):
    """The centroid search alone misses a large element whose centre is farther than the small ones around a
    joint: the fallback tries every element of the layer. The global elements' own vertices, centroids and face
    centres in the box: all found, at distance 0, inside [0, 1]^3."""
    case, pm = case_mesh
    box = joint_box(pm, *JOINT)
    els = window_elements(pm, box)
    X = pm.mesh.p[:, pm.mesh.t[:, els]]  # (3, 8, n)
    faces = [[0, 2, 3, 6], [1, 4, 5, 7], [0, 1, 2, 4], [3, 5, 6, 7], [0, 1, 3, 5], [2, 4, 6, 7]]  # REF order
    pts = np.concatenate([X.reshape(3, -1).T, X.mean(axis=1).T] + [X[:, f].mean(axis=1).T for f in faces])
    pts = pts[np.all((pts >= box.lo) & (pts <= box.hi), axis=1)]
    for k in (8, 1):  # 1: only the nearest centre, so the fallback finds most of them
        idx, xi, d = locate(pm, els, pts, k=k)
        assert len(pts) > 1000 and np.all(d == 0.0) and np.all((xi >= 0.0) & (xi <= 1.0))


def test_bad_local_mesh_is_refused_naming_the_field():
    with pytest.raises(InputError, match="submodel.local_mesh.size"):
        LocalMesh(20e-6, 10e-6)
    with pytest.raises(InputError, match="submodel.local_mesh.feature_size"):
        LocalMesh(0.0, 10e-6)
    with pytest.raises(InputError, match="submodel.local_mesh.joint_elements"):
        LocalMesh(10e-6, 100e-6, 0)


def test_a_column_global_model_gets_a_resolved_local_joint():
    """Under ``mesh.interconnect: column`` the global joint is a square of the disk's area (half-diagonal 50.1 um
    for the 80 um bump); meshed afresh, the local joint is the disk again (its polygon's corners 40.8 um from the
    axis, its volume pi r^2 h to round-off), and every local node still lies in a global element."""
    path = ROOT / "cases" / "reference_reflow.yaml"
    case = api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path))
                         + ["mesh.interconnect=column"])
    pm = api.mesh_case(case)
    sub = _remesh(case, pm, LocalMesh(10e-6, 400e-6, 4))
    lp = sub.pmesh
    ri = lp.region_names.index(JOINT[0])
    els = np.nonzero((lp.cell_region == ri) & (lp.cell_item == JOINT[1]))[0]
    x = lp.mesh.p[:, lp.mesh.t[:, els]]
    r = np.hypot(x[0] - sub.box.centre[0], x[1] - sub.box.centre[1]).max()
    assert 40e-6 < r < 41e-6
    assert hex_volumes(lp.mesh.p, lp.mesh.t[:, els]).sum() == pytest.approx(np.pi * 40e-6 ** 2 * 60e-6, rel=1e-12)
    assert sub.pmesh.stats["outside_m"] == 0.0
    cols, w = sub.interpolation()
    back = np.einsum("nk,cnk->nc", w, pm.mesh.p[:, sub.box_vertices][:, cols])
    assert np.abs(back - lp.mesh.p.T).max() < 1e-15


def test_outside_the_joint_the_local_layers_are_the_global_ones():
    """With ``mesh.max_layer_thickness`` 40 um, thinner than the 60 um bump, the global model splits its layers
    finely; the local model keeps every global node level outside the joint's slab (the z range is snapped to
    them, and the record's elements meet them exactly) and adds only the graded joint planes inside it."""
    path = ROOT / "cases" / "reference_reflow.yaml"
    case = api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path))
                         + ["mesh.max_layer_thickness=40 um"])
    pm = api.mesh_case(case)
    sub = _remesh(case, pm, LocalMesh(20e-6, 400e-6, 4, 25.4e-6), (0.25e-3, 0.5e-3))
    zb, zt = 0.3e-3, 0.36e-3  # the bump's slab
    glob = pm.z_levels[(pm.z_levels >= sub.box.lo[2] - 1e-12) & (pm.z_levels <= sub.box.hi[2] + 1e-12)]
    loc = sub.pmesh.z_levels
    outside = lambda z: z[(z < zb - 1e-12) | (z > zt + 1e-12)]  # noqa: E731
    assert np.allclose(outside(loc), outside(glob), rtol=0, atol=1e-15)
    inside = loc[(loc > zb + 1e-12) & (loc < zt - 1e-12)]
    assert np.allclose(inside - zb, [12.7e-6, 25.4e-6, 34.6e-6, 47.3e-6], rtol=0, atol=1e-12)
    assert sub.joint_layers == 5
