"""Submodel meshes (fcpkg_fem/mesh/submesh.py): extraction of a joint's box, its cut faces, refinement.

On the coarse mesh of ``reference_reflow`` (tests/support/coarse.py: 6,869 elements, meshed in 0.1 s). Every
check is exact geometry, so the tolerances are round-off: coordinates to 1e-15 m (element sizes are microns to
millimetres), volumes and areas to 1e-12 relative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.coarse import COARSE_MESH, coarse_pattern

from fcpkg_fem import api
from fcpkg_fem.errors import InputError
from fcpkg_fem.mesh.submesh import (REF, TAKEN_CLEARANCE, Refinement, cut_vertices, extract, joint_box,
                                    shape_functions)
from fcpkg_fem.solve.submodel import SubmodelProblem, boundary_matrix

ROOT = Path(__file__).resolve().parents[2]
JOINT = ("bumps.die1", 7)  # at (1.0, 3.85) mm: its box is bounded by the symmetry plane x = 0


@pytest.fixture(scope="module")
def case():
    path = ROOT / "cases" / "reference_reflow.yaml"
    return api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path)))


@pytest.fixture(scope="module")
def pmesh(case):
    return api.mesh_case(case)


def _volumes(mesh) -> np.ndarray:
    """(n_el,) hexahedron volumes by 2x2x2 Gauss quadrature of the trilinear map (exact for a trilinear hex)."""
    g = 0.5 + np.array([-1, 1]) / (2 * np.sqrt(3))
    xi = np.array([[a, b, c] for a in g for b in g for c in g])
    h = 1e-7  # the map is trilinear: central differences of a product of linears are exact up to round-off
    vol = np.zeros(mesh.t.shape[1])
    X = mesh.p[:, mesh.t]  # (3, 8, n)
    for q in xi:
        J = np.stack([(shape_functions(q + h * np.eye(3)[k]) - shape_functions(q - h * np.eye(3)[k]))[0] / (2 * h)
                      for k in range(3)])  # (3 ref, 8)
        Jm = np.einsum("kv,ive->eik", J, X)
        vol += np.linalg.det(Jm) / 8.0
    return vol


def _outer_area(mesh) -> float:
    """Total area of the facets with one element (flat quads: half the norm of the diagonals' cross product)."""
    f = mesh.facets[:, mesh.f2t[1] < 0]
    p = mesh.p
    # skfem's quad facets are stored in cyclic order
    d1 = p[:, f[2]] - p[:, f[0]]
    d2 = p[:, f[3]] - p[:, f[1]]
    return float(0.5 * np.linalg.norm(np.cross(d1.T, d2.T), axis=1).sum())


def test_shape_functions_are_the_hex8_basis():
    N = shape_functions(REF)
    assert np.allclose(N, np.eye(8), atol=0)
    pts = np.random.default_rng(0).random((50, 3))
    assert np.allclose(shape_functions(pts).sum(axis=1), 1.0, rtol=0, atol=1e-15)


def test_unrefined_extraction_copies_the_global_elements(pmesh):
    sub = extract(pmesh, joint_box(pmesh, *JOINT))
    lp, m = sub.pmesh, pmesh.mesh
    sel = sub.global_elements
    assert lp.n_elements == len(sel)
    assert np.array_equal(sub.global_elements[sub.parent], sel)
    # element by element the same vertices (exact coordinates), region and item
    assert np.array_equal(lp.mesh.p[:, lp.mesh.t], m.p[:, m.t[:, sel]])
    assert np.array_equal(lp.cell_region, pmesh.cell_region[sel])
    assert np.array_equal(lp.cell_item, pmesh.cell_item[sel])
    assert lp.region_names == pmesh.region_names
    assert np.all(sub.global_vertex >= 0)
    assert np.array_equal(m.p[:, sub.global_vertex], lp.mesh.p)
    # the joint is inside the box whole
    ri = pmesh.region_names.index(JOINT[0])
    assert np.sum((pmesh.cell_region == ri) & (pmesh.cell_item == JOINT[1])) == \
        np.sum((lp.cell_region == ri) & (lp.cell_item == JOINT[1]))


def test_cut_nodes_are_the_nodes_shared_with_the_rest_of_the_model(pmesh):
    """A cut node is a vertex of a cut face, i.e. of an element outside the box too; an outer node of the local
    mesh that is not cut lies on the global model's outer surface (free face or symmetry plane)."""
    sub = extract(pmesh, joint_box(pmesh, *JOINT))
    m = pmesh.mesh
    inside = np.zeros(m.nelements, dtype=bool)
    inside[sub.global_elements] = True
    outside_vertices = np.unique(m.t[:, ~inside])
    gcut = sub.global_vertex[sub.cut_nodes]
    assert np.all(np.isin(gcut, outside_vertices))
    # the converse on faces: a local outer facet whose 4 vertices are all cut nodes and that is a global outer facet
    # does not exist unless it touches the cut only along its edges; so check nodes on the global outer surface
    lm = sub.pmesh.mesh
    louter = np.unique(lm.facets[:, lm.f2t[1] < 0])
    gouter = np.unique(m.facets[:, m.f2t[1] < 0])
    not_cut = np.setdiff1d(louter, sub.cut_nodes)
    assert np.all(np.isin(sub.global_vertex[not_cut], gouter))
    # the box touches x = 0: the local mesh carries that symmetry plane, not as a cut
    assert len(lm.boundaries["sym_x0"]) > 0
    xs = np.unique(lm.facets[:, lm.boundaries["sym_x0"]])
    assert np.all(lm.p[0, xs] == 0.0)
    assert len(sub.cut_nodes) > 0 and len(np.intersect1d(xs, sub.cut_nodes)) < len(xs)


@pytest.mark.parametrize("refine", [None, Refinement(2, 2, 4, 25.4e-6)])
def test_the_cut_nodes_are_interpolated_from_the_cut_vertices_alone(pmesh, refine):
    """What a case's run records of a cut-out box (:func:`cut_vertices`): the vertices with a nonzero trilinear
    weight at some cut node are exactly these (a cut node lies on a face of its parent, whose weights vanish,
    exactly, at the vertices off that face), and they are far fewer than the box's vertices."""
    sub = extract(pmesh, joint_box(pmesh, *JOINT), refine)
    cuts = cut_vertices(pmesh, sub.global_elements)
    cols, w = sub.interpolation()
    c, wc = cols[sub.cut_nodes], w[sub.cut_nodes]
    used = np.unique(sub.box_vertices[c[wc != 0.0]])
    assert np.array_equal(used, cuts)
    assert len(cuts) < 0.75 * len(sub.box_vertices)
    print(f"\n{len(cuts)} of {len(sub.box_vertices)} box vertices on the cut faces")


def test_the_boundary_from_the_cut_vertices_equals_the_one_from_the_whole_box(case, pmesh):
    """:func:`boundary_matrix` with the recorded cut-face vertices gives every prescribed value the interpolation
    from all the box's vertices gives (exactly: the same weights), and 0 on the symmetry dofs off the cut faces,
    the global model's own value there; a record that lacks a cut vertex is refused naming ``submodel``."""
    sub = extract(pmesh, joint_box(pmesh, *JOINT), Refinement(2, 2, 4, 25.4e-6))
    sf = case.stress_free_temperatures(pmesh.region_names, pmesh.region_material)
    problem = SubmodelProblem(sub, case.materials_resolved, sf)
    cuts = cut_vertices(pmesh, sub.global_elements)
    u = np.random.default_rng(3).normal(size=(len(sub.box_vertices), 3))  # any global displacement of the box
    u[:, 0][pmesh.mesh.p[0, sub.box_vertices] == 0.0] = 0.0  # ... with u_x = 0 on the plane x = 0, as the global
    full = boundary_matrix(problem) @ u.ravel()
    part = boundary_matrix(problem, cuts) @ u[np.searchsorted(sub.box_vertices, cuts)].ravel()
    on_cut = np.isin(problem.D, problem.basis.nodal_dofs[:, sub.cut_nodes].ravel())
    assert on_cut.any() and not on_cut.all()  # cut faces and the symmetry plane x = 0
    np.testing.assert_array_equal(part[on_cut], full[on_cut])
    assert np.all(part[~on_cut] == 0.0) and np.all(full[~on_cut] == 0.0)
    with pytest.raises(InputError) as exc:
        boundary_matrix(problem, np.delete(cuts, len(cuts) // 2))
    assert exc.value.problems[0].field == "submodel"


def test_refinement_is_conforming_and_fills_the_box(pmesh):
    box = joint_box(pmesh, *JOINT)
    coarse = extract(pmesh, box)
    fine = extract(pmesh, box, Refinement(n_xy=2, n_z=2, joint_elements=4))
    lm = fine.pmesh.mesh
    # child count: n_xy^2 n_z per parent; the joint's layers get ceil(4 / 1) = 4
    assert fine.joint_layers == 4
    assert np.all(_volumes(lm) > 0)  # no inverted child
    v_c, v_f = _volumes(coarse.pmesh.mesh).sum(), _volumes(lm).sum()
    assert v_f == pytest.approx(v_c, rel=1e-12)
    # conforming: a hanging node would leave interior faces unmatched, i.e. extra outer area
    assert _outer_area(lm) == pytest.approx(_outer_area(coarse.pmesh.mesh), rel=1e-12)
    # children inherit region and item from their parent
    assert np.array_equal(fine.pmesh.cell_region, pmesh.cell_region[fine.global_elements[fine.parent]])
    ri = pmesh.region_names.index(JOINT[0])
    jz = lm.p[2, lm.t[:, (fine.pmesh.cell_region == ri) & (fine.pmesh.cell_item == JOINT[1])]]
    assert len(np.unique(np.round(jz.min(axis=0), 12))) == 4


@pytest.mark.parametrize("n_joint,pad_els,mid_els", [(2, 1, 1), (4, 2, 1), (8, 4, 2)])
def test_graded_joint_keeps_the_pad_layer_at_its_own_thickness(pmesh, n_joint, pad_els, mid_els):
    """``pad_layer`` puts a node plane 25.4 um from each pad of the 60 um bump, and each interval gets
    ceil(interval / (60 um / joint_elements)) equal layers: 25.4 / 9.2 / 25.4 um split 1/1/1, 2/1/2 and 4/2/4 for
    2, 4 and 8 (the pad layer halves with each doubling while its thickness stays). The mesh stays conforming and
    fills the box; :func:`pad_layers` then averages over exactly the elements within 25.4 um of each pad."""
    from fcpkg_fem.mesh.submesh import refined_size
    from fcpkg_fem.post.joints import item_elements, pad_layers

    box = joint_box(pmesh, *JOINT)
    ref = Refinement(n_xy=2, n_z=1, joint_elements=n_joint, pad_layer=25.4e-6)
    sub = extract(pmesh, box, ref)
    lm = sub.pmesh.mesh
    assert sub.joint_layers == 2 * pad_els + mid_els
    assert refined_size(pmesh, box, ref)[0] == lm.t.shape[1]  # the element count the memory check uses is exact
    assert np.all(_volumes(lm) > 0)
    assert _volumes(lm).sum() == pytest.approx(_volumes(extract(pmesh, box).pmesh.mesh).sum(), rel=1e-12)
    assert _outer_area(lm) == pytest.approx(_outer_area(extract(pmesh, box).pmesh.mesh), rel=1e-12)
    els = item_elements(sub.pmesh, JOINT[0])[JOINT[1]]
    z = lm.p[2, lm.t[:, els]]
    z0, z1 = z.min(), z.max()
    assert z1 - z0 == pytest.approx(60e-6, rel=1e-9)
    planes = np.unique(np.round(np.concatenate([z.min(axis=0), z.max(axis=0)]) - z0, 12))
    t = 25.4e-6
    expected = np.concatenate([np.arange(pad_els + 1) * t / pad_els,
                               t + np.arange(1, mid_els + 1) * (60e-6 - 2 * t) / mid_els,
                               60e-6 - t + np.arange(1, pad_els + 1) * t / pad_els])
    assert np.allclose(planes, expected, rtol=0, atol=1e-12)  # 1e-12 m: the rounding above
    lo, hi, tl, tu = pad_layers(sub.pmesh, els)
    assert tl == pytest.approx(t, rel=1e-9) and tu == pytest.approx(t, rel=1e-9)
    assert len(lo) == len(hi) == len(els) * pad_els // sub.joint_layers
    # a field linear in z, taken per element at its centroid (its exact element mean: every layer's elements span
    # the same two z planes), averaged by volume over each pad layer: exactly its value at the layer's mid-height
    vol = _volumes(lm)
    zc = lm.p[2, lm.t].mean(axis=0)
    W = 2.0e5 + 1.0e9 * zc
    for sel, mid in ((lo, z0 + t / 2), (hi, z1 - t / 2)):
        assert np.dot(W[sel], vol[sel]) / vol[sel].sum() == pytest.approx(2.0e5 + 1.0e9 * mid, rel=1e-12)
    # a layer is at most half the joint, as the refinement's plane: a 40 um request takes the element layers
    # within 30 um (the lower half when the middle interval is split at mid-height, else the 25.4 um layers)
    lo40, hi40, tl40, tu40 = pad_layers(sub.pmesh, els, thickness=40e-6)
    half = 30e-6 if mid_els % 2 == 0 else t
    assert tl40 == pytest.approx(half, rel=1e-9) and tu40 == pytest.approx(half, rel=1e-9)
    assert np.intersect1d(lo40, hi40).size == 0


def test_pad_layer_plane_needs_a_refined_joint(pmesh):
    """``joint_elements: 1`` keeps the global layers whatever ``pad_layer`` says (the unrefined consistency check);
    ``pad_layer`` 0 subdivides uniformly as before; a negative thickness is refused naming the field."""
    box = joint_box(pmesh, *JOINT)
    one = extract(pmesh, box, Refinement(1, 1, 1, pad_layer=25.4e-6))
    assert one.joint_layers == 1 and one.pmesh.mesh.t.shape[1] == len(one.global_elements)
    assert extract(pmesh, box, Refinement(2, 1, 4, pad_layer=0.0)).joint_layers == 4
    with pytest.raises(InputError) as exc:
        Refinement(2, 1, 4, pad_layer=-1e-6)
    assert exc.value.problems[0].field == "submodel.refine.pad_layer"


def test_interpolation_reproduces_linear_fields(pmesh):
    """Trilinear shape functions reproduce any linear field exactly: interpolating u = A x + b from the box's
    global vertices gives A x + b at every refined node (to round-off of the field, 1e-12 relative)."""
    fine = extract(pmesh, joint_box(pmesh, *JOINT), Refinement(n_xy=3, n_z=2, joint_elements=4))
    cols, w = fine.interpolation()
    xg = pmesh.mesh.p[:, fine.box_vertices].T  # (n_v, 3)
    A = np.array([[1.0, 2.0, -3.0], [0.5, -1.0, 4.0], [2.0, 0.0, 1.0]]) * 1e-3
    ug = xg @ A.T + 1e-6
    ul = np.einsum("nj,njc->nc", w, ug[cols])
    exact = fine.pmesh.mesh.p.T @ A.T + 1e-6
    assert np.abs(ul - exact).max() <= 1e-12 * np.abs(exact).max()
    # the local nodes are where the parent's map puts them
    xl = np.einsum("nj,njc->nc", w, xg[cols])
    assert np.abs(xl - fine.pmesh.mesh.p.T).max() <= 1e-15


def _joint_extents(pmesh):
    """(region, id) -> (lo (3,), hi (3,)) in m of every joint of every joint region, from its elements' nodes."""
    out = {}
    for region in pmesh.items:
        ri = pmesh.region_names.index(region)
        for k in np.unique(pmesh.cell_item[(pmesh.cell_region == ri) & (pmesh.cell_item >= 0)]):
            x = pmesh.mesh.p[:, pmesh.mesh.t[:, (pmesh.cell_region == ri) & (pmesh.cell_item == k)]]
            out[(region, int(k))] = (x.min(axis=(1, 2)), x.max(axis=(1, 2)))
    return out


def test_a_box_takes_whole_a_joint_it_would_cut(pmesh):
    """Die 1's bump id 5 at (3.85, 1.0) mm: its one-pitch box (2 mm pitch, x from 2.85 mm) would cut through a bump
    of die 2 (x 2.80 - 2.89 mm: the stacked die's own array), leaving a sliver of it between the cut and the rest
    of that joint. The side moves out to take that bump whole, with one of its own sizes (TAKEN_CLEARANCE) between
    it and the cut: afterwards every joint of every region that meets the box's height lies wholly inside or
    wholly outside it, the box holds the unwidened one, each joint taken is at least its clearance from every side
    that is not the model's edge, and each side that moved lies one clearance beyond a joint it took (exact to
    round-off: node coordinates). With the height limited to die 1's bump slab and 100 um around it, die 2's bumps
    are out of the box's height and the box is the unwidened one."""
    region, item = "bumps.die1", 5
    c = np.asarray(pmesh.items[region][item])
    p = pmesh.mesh.p
    plain_lo = np.maximum(c - 1.0e-3, p[:2].min(axis=1))  # half a pitch (2 mm) around the joint, in the model
    plain_hi = np.minimum(c + 1.0e-3, p[:2].max(axis=1))
    ext = _joint_extents(pmesh)
    box = joint_box(pmesh, region, item)
    tol = 1e-12
    assert np.all(box.lo[:2] <= plain_lo) and np.all(box.hi[:2] >= plain_hi)
    assert box.lo[0] < plain_lo[0] - 10e-6  # it did move, by most of a bump's width
    taken = []
    for key, (lo, hi) in ext.items():
        if hi[2] <= box.lo[2] or lo[2] >= box.hi[2]:
            continue
        meets = np.all(lo[:2] < box.hi[:2] - tol) and np.all(hi[:2] > box.lo[:2] + tol)
        inside = np.all(lo[:2] >= box.lo[:2] - tol) and np.all(hi[:2] <= box.hi[:2] + tol)
        assert inside or not meets, key
        if inside and not (np.all(lo[:2] >= plain_lo) and np.all(hi[:2] <= plain_hi)):
            taken.append(key)
    assert taken and all(k[0] == "bumps.die2" for k in taken)
    gap = {k: TAKEN_CLEARANCE * float((ext[k][1][:2] - ext[k][0][:2]).max()) for k in taken}
    assert all(g > 50e-6 for g in gap.values())  # a bump's size (80 um across), not zero
    for ax in range(2):
        for k in taken:
            assert box.lo[ax] == p[ax].min() or ext[k][0][ax] - box.lo[ax] >= gap[k] - tol
            assert box.hi[ax] == p[ax].max() or box.hi[ax] - ext[k][1][ax] >= gap[k] - tol
        if box.lo[ax] < plain_lo[ax]:
            assert any(abs(ext[k][0][ax] - gap[k] - box.lo[ax]) <= tol for k in taken)
        if box.hi[ax] > plain_hi[ax]:
            assert any(abs(ext[k][1][ax] + gap[k] - box.hi[ax]) <= tol for k in taken)
    own = ext[(region, item)]
    low = joint_box(pmesh, region, item, z_range=(own[0][2] - 100e-6, own[1][2] + 100e-6))
    assert np.array_equal(low.lo[:2], plain_lo) and np.array_equal(low.hi[:2], plain_hi)


@pytest.mark.parametrize("region,item,field", [("bumps.die1", 99, "submodel.joint"),
                                               ("bumps.nodie", 0, "submodel.joint"),
                                               ("bumps.die1", 0, "submodel.joint")])
def test_bad_joint_is_refused_naming_the_field(pmesh, region, item, field):
    """A joint id that does not exist, a region that is no joint region, and a joint cut away by the quarter
    model's symmetry (id 0 lies at y < 0)."""
    with pytest.raises(InputError) as exc:
        joint_box(pmesh, region, item)
    assert exc.value.problems[0].field == field


def test_critical_count_ranks_the_joints_of_a_region():
    """``{region, critical: true, count: n}`` models the n joints with the largest per-cycle pad-layer work of the
    last cycling step, most critical first (ties: the lower id); without cycling, the largest accumulated work at
    the last output. A joint also given by id is listed once, with both reasons."""
    from types import SimpleNamespace

    from fcpkg_fem.run.submodel import CaseBoxes, chosen_joints

    step = SimpleNamespace(name="cycling")
    per_joint = [{"id": i, "dW_layer_MJ_m3": w} for i, w in enumerate([0.2, 0.5, 0.3, 0.5, 0.1])]
    rec = SimpleNamespace(plan=[SimpleNamespace(name="reflow"), step], life={"cycling": {"bumps.die1": {
        "per_joint": per_joint}}}, outputs=[])
    boxes = CaseBoxes(None, 1.0, [("bumps.die1", 2)], [("bumps.die1", 3)], None, 0.0, 0, 0)
    got = chosen_joints(None, rec, boxes)
    assert [(j["id"], j["chosen_by"]) for j in got] == [(2, ["id", "critical #3"]), (1, ["critical"]),
                                                         (3, ["critical #2"])]
    assert "largest per-cycle" in got[1]["criterion"] and "rank 2" in got[2]["criterion"]
    items = [{"id": i, "inelastic_work_MJ_m3": w} for i, w in enumerate([0.4, 0.1, 0.9])]
    rec = SimpleNamespace(plan=[step], life={}, outputs=[{"step": "cool", "time_s": 60.0, "inelastic": {
        "bumps.die1": {"items": items}}}])
    boxes = CaseBoxes(None, 1.0, [], [("bumps.die1", 2)], None, 0.0, 0, 0)
    assert [j["id"] for j in chosen_joints(None, rec, boxes)] == [2, 0]


def _joint_volume_exact(shape, zs, R):
    """Volume (m^3) of a joint whose cross-section at each node plane ``zs`` is the disk-area polygon scaled to
    the area pi r(z)^2, with straight edges between planes: homothetic sections, so each layer is exactly
    h / 3 (A0 + sqrt(A0 A1) + A1)."""
    A = np.pi * shape.radius(zs, zs[0], zs[-1], R) ** 2
    return float(np.sum(np.diff(zs) / 3.0 * (A[:-1] + np.sqrt(A[:-1] * A[1:]) + A[1:])))


@pytest.mark.parametrize("kind,pads", [("truncated_sphere", (60e-6, 60e-6)), ("truncated_sphere", (50e-6, 70e-6)),
                                       ("barrel", (60e-6, 60e-6)), ("barrel", (80e-6, 50e-6))])
def test_joint_shape_moves_only_the_joint_and_its_surroundings(pmesh, kind, pads):
    """The 60 um high bump of 80 um diameter (a 16-gon of the disk's area) shaped as a truncated sphere through
    its pads or a barrel as wide as the bump: the box's volume and outer area are unchanged (the nodes move in
    plane inside the slab, never on the box's sides), the cut nodes and every node outside the slab stay where
    they were (the boundary interpolation is untouched), no element folds; the joint's volume is exactly that of
    its homothetic sections (round-off), its pad faces have the pads' areas, and it approaches the smooth
    shape's volume as the layers refine (second order: the straight edges between planes)."""
    from fcpkg_fem.mesh.submesh import JointShape, _corner_jacobians
    from fcpkg_fem.post.joints import item_elements

    box = joint_box(pmesh, *JOINT)
    shape = JointShape(kind, pads)
    errs = []
    for n in (4, 8, 16):
        plain = extract(pmesh, box, Refinement(n_xy=2, joint_elements=n))
        sub = extract(pmesh, box, Refinement(n_xy=2, joint_elements=n, shape=shape))
        lm, lp = sub.pmesh.mesh, plain.pmesh.mesh
        assert np.all(_corner_jacobians(lm.p, lm.t) > 0)
        assert _volumes(lm).sum() == pytest.approx(_volumes(lp).sum(), rel=1e-12)
        assert _outer_area(lm) == pytest.approx(_outer_area(lp), rel=1e-12)
        assert np.array_equal(lm.p[:, sub.cut_nodes], lp.p[:, sub.cut_nodes])
        els = item_elements(sub.pmesh, JOINT[0])[JOINT[1]]
        z = lm.p[2, lm.t[:, els]]
        zb, zt = z.min(), z.max()
        outside = (lm.p[2] < zb - 1e-12) | (lm.p[2] > zt + 1e-12)
        assert np.array_equal(lm.p[:, outside], lp.p[:, outside])
        vol0 = _volumes(lp)[els].sum()
        R = np.sqrt(vol0 / (np.pi * (zt - zb)))
        assert R == pytest.approx(40e-6, rel=1e-12)  # the polygon has the disk's area
        zs = np.unique(np.round(z, 12))
        vol = _volumes(lm)[els].sum()
        assert vol == pytest.approx(_joint_volume_exact(shape, zs, R), rel=1e-11)
        # the pad faces: the joint's bottom and top faces at the pads' areas
        for zz, d in ((zb, pads[0]), (zt, pads[1])):
            face = [e for e in els if np.allclose(lm.p[2, lm.t[REF[:, 2] == (zz == zt), e]], zz, atol=1e-12)]
            f = lm.t[REF[:, 2] == (zz == zt)][:, face]  # (4, n) in REF order 0, 2, 3, 6 (or 1, 4, 5, 7)
            p = lm.p[:2]
            u, v = p[:, f[3]] - p[:, f[0]], p[:, f[1]] - p[:, f[2]]  # the quad's diagonals
            a = 0.5 * np.abs(u[0] * v[1] - u[1] * v[0]).sum()
            assert a == pytest.approx(np.pi * d * d / 4, rel=1e-12)
        zf = np.linspace(zb, zt, 20001)
        smooth = float(np.trapezoid(np.pi * shape.radius(zf, zb, zt, R) ** 2, zf))
        errs.append(abs(vol - smooth) / smooth)
    # 4 layers of 15 um: 3.1 % for the sphere through 60 um pads, whose flanks leave the pads at 45 degrees
    assert errs[0] < 0.05 and errs[1] < errs[0] / 3.5 and errs[2] < errs[1] / 3.5, errs


def test_joint_shape_refusals(pmesh):
    """A barrel's pads wider than the joint, a sphere through wide pads that leaves the box, an unknown kind:
    InputError naming the field."""
    from fcpkg_fem.mesh.submesh import JointShape

    box = joint_box(pmesh, *JOINT)
    with pytest.raises(InputError, match="submodel.joints.shape.pad_diameter"):
        extract(pmesh, box, Refinement(n_xy=2, joint_elements=4, shape=JointShape("barrel", (90e-6, 60e-6))))
    with pytest.raises(InputError, match="does not fit"):
        extract(pmesh, box, Refinement(n_xy=2, joint_elements=4, shape=JointShape("truncated_sphere", (1.5e-3, 1.5e-3))))
    with pytest.raises(InputError, match="submodel.joints.shape.kind"):
        JointShape("sphere", (60e-6, 60e-6))
