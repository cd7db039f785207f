"""Supports that only remove rigid-body motion add no stress: full, half and quarter models agree.

Case: a 6 mm x 4 mm laminate, solder mask 20 um / BT core 260 um (orthotropic) / copper 35 um, stress-free at
25 degC, solved at 125 degC (it warps: the layers' CTEs differ). The quarter footprint is meshed once and
mirrored about y = 0 (half: x >= 0) and then x = 0 (full), so that the three meshes coincide on x >= 0, y >= 0 element for
element; each model is then built and supported as the code does it (symmetry planes u_n = 0 where cut, and a
statically determinate 3-2-1 point set for the remaining rigid motions).

Exact: the full problem is mirror-symmetric, so its solution restricted to the quarter is the quarter model's
solution up to a rigid motion, which neither the stresses nor the plane-removed warpage see; the 3-2-1
reactions of the free-free model are zero because the thermal load is self-equilibrated. Asserted: element
stresses on the shared quarter and the warpage numbers agree within 1e-6 of their peak (direct solves:
measured ~1e-12), and the full model's support reactions are below 1e-9 of the largest nodal load.
"""

from __future__ import annotations

import numpy as np
import pytest

from fcpkg_fem import api
from fcpkg_fem.geometry.build import build_geometry
from fcpkg_fem.mesh.footprint import Footprint
from fcpkg_fem.mesh.swept import sweep
from fcpkg_fem.physics.elasticity import assemble, von_mises
from fcpkg_fem.post.warpage import mirror_full, warpage_metrics

from support.verification import ELEMENTS, laminate_case, problem_of

LAYERS = [("mask", "solder_mask", 20), ("core", "bt_laminate", 260), ("metal", "copper", 35)]


def mirrored(fp: Footprint, axis: int) -> Footprint:
    """``fp`` plus its mirror image about the plane x[axis] = 0 (points on the plane are shared)."""
    p = fp.points
    off = np.nonzero(np.abs(p[:, axis]) > 0.0)[0]  # the footprint mesher snaps symmetry planes exactly
    index = np.arange(len(p))
    index[off] = len(p) + np.arange(len(off))
    q = p[off].copy()
    q[:, axis] *= -1
    quads = np.vstack([fp.quads, index[fp.quads][:, ::-1]])  # reversed: counter-clockwise again
    return Footprint(points=np.vstack([p, q]), quads=quads)


def solve_model(element: str, symmetry: str, fp: Footprint):
    case = api.load_case(laminate_case(LAYERS, size_mm=(6.0, 4.0), symmetry=symmetry, element=element,
                                       mesh_size_mm=0.5))
    pmesh = sweep(build_geometry(case), fp, case.mesh.max_layer_thickness, case.mesh.min_elements_per_layer)
    _, problem = problem_of(case, pmesh=pmesh, linear="direct")
    st = problem.solve(125.0)
    m = pmesh.mesh
    v = np.unique(m.facets[:, m.boundaries["bottom"]])
    u = problem.vertex_displacement(st.u)
    x, y, w = mirror_full(m.p[0, v], m.p[1, v], u[v, 2], symmetry)
    warp, _ = warpage_metrics(x, y, w, -1, pmesh.geometry.outline)
    centroids = m.p[:, m.t].mean(axis=1).T
    return problem, st, centroids, warp


@pytest.mark.parametrize("element", ELEMENTS)
def test_full_half_quarter_models_agree(element):
    case_q = api.load_case(laminate_case(LAYERS, size_mm=(6.0, 4.0), symmetry="quarter", mesh_size_mm=0.5))
    fp_q, _ = api.get_footprint(build_geometry(case_q), case_q.mesh.size, case_q.mesh.feature_size, None)
    fp_h = mirrored(fp_q, 1)  # the half model keeps x >= 0
    fp_f = mirrored(fp_h, 0)
    models = {s: solve_model(element, s, fp) for s, fp in (("quarter", fp_q), ("half", fp_h), ("full", fp_f))}

    pq, sq, cq, wq = models["quarter"]
    peak = np.abs(sq.stress).max()
    assert peak > 1e6  # a real stress state (MPa level), not a trivial one
    for name in ("half", "full"):
        p, st, c, w = models[name]
        assert p.pmesh.n_elements == pq.pmesh.n_elements * (2 if name == "half" else 4)
        # the quarter's elements come first in the mirrored footprint, layer by layer: match by centroid
        order = {tuple(np.round(x * 1e9).astype(np.int64)): i for i, x in enumerate(c)}
        idx = np.array([order[tuple(np.round(x * 1e9).astype(np.int64))] for x in cq])
        assert np.abs(st.stress[idx] - sq.stress).max() <= 1e-6 * peak, name
        # every mirrored element carries the same von Mises stress as its image
        assert abs(von_mises(st.stress).max() - von_mises(sq.stress).max()) <= 1e-6 * peak
        for key in ("coplanarity_um", "corner_minus_center_um"):
            assert w[key] == pytest.approx(wq[key], rel=0, abs=1e-6 * wq["coplanarity_um"]), (name, key)
        for key in ("curvature_x_1_per_m", "curvature_y_1_per_m"):
            assert w[key] == pytest.approx(wq[key], rel=1e-6), (name, key)

    # free-free full model: the 3-2-1 supports carry no load
    p, st, _, _ = models["full"]
    C_el, eth_el = p.element_fields(125.0)
    K, f = assemble(p.basis, C_el, eth_el, p.chunks)
    reactions = (K @ st.u - f)[p.D]
    assert len(p.D) == 6
    assert np.abs(reactions).max() <= 1e-9 * np.abs(f).max()
