"""Submodels (docs/submodel.md): a local model cut around one bump and driven by the global history.

The global run is the coarse ``reference_reflow`` (tests/support/coarse.py: 6,869 hex8i elements, 23,877 dofs)
through a short process: joining (bumps born at 217 degC, Anand, cooled to 150 degC), a 10-s hold in which the
encapsulant is born (a part born later in the box, with cut-face nodes only it touches), a reheat to 230 degC that
melts the bumps (split at the 217 degC solidus) and a cool-down to 150 degC that solidifies them again. Every other
region is elastic (``models`` keeps Anand bumps only) and the increments are up to 100 K: 9 sub-increments. The box is the bump's own
cell (``box_pitches = 1``: 1 mm from the bump centre, bounded by the symmetry plane x = 0) from the bottom of
carrier 1 to the top of die 1, so it has cut faces on three sides and on top.

Newton is run tight (residual 1e-10 of the force scale, correction 1e-9 of the increment, computed; CG 1e-12) in
both models, because "to solver tolerance" is the claim: the unrefined submodel solves the same equations as the
global model restricted to the box, with the box boundary taken from the global solution, so the two differ only by
what each Newton iteration leaves. Measured (2026-12-06) with a full-height box and 50 K increments on a longer
history (cooled to 25 degC): with the default Newton tolerances (1e-6, 1e-5 estimated) the interior displacements
differed by up to 6e-5 of the largest, the stresses by 3.2e-3 of the peak and the joint's accumulated inelastic
work by 2.7e-6 relative; with the tight tolerances by 5.6e-13, 2.2e-11 and 1.9e-13. This test measured 1.7e-12,
4.9e-11, 3.7e-12 (strain 3.2e-12). The bounds below (1e-9, 1e-8, 1e-9) sit two orders of magnitude or more above the
tight measurement and far below the default one, so they detect a wrong boundary, birth or melting (each of
which changes the joint's work at the percent level or more). Refined 2x (4,608 elements, 4 layers through the
bump): the joint's work after joining -11.8 %, at the end -5.6 %, its inelastic strain -4.9 %.
Cost (2026-12-06, sharing the 2 cores, load average about 4.4): 66 s for both tests; CPU s: global 37, unrefined
local 1.5, refined local 21.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from support.coarse import COARSE_MESH, coarse_pattern
from support.submodel import STEPS, TIGHT

from fcpkg_fem import api
from fcpkg_fem.mesh.submesh import Refinement, shape_functions
from fcpkg_fem.run.submodel import global_joint_averages, run_global_with_boxes, run_submodel

pytestmark = pytest.mark.early  # one of the longest files of the default suite: started first (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]
JOINT = ("bumps.die1", 7)  # at (1.0, 3.85) mm, next to the symmetry plane x = 0
TOL_U, TOL_SIG, TOL_JOINT = 1e-9, 1e-8, 1e-9


@pytest.fixture(scope="module")
def global_run(tmp_path_factory):
    path = ROOT / "cases" / "reference_reflow.yaml"
    case = api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path)) + [
        STEPS, "solver.max_temperature_increment=100 K", "models={bumps: anand}"] + TIGHT)
    pm = api.mesh_case(case)
    ri = pm.region_names.index("chip.die1")
    z_range = (0.0, float(pm.mesh.p[2, pm.mesh.t[:, pm.cell_region == ri]].max()))  # up to die 1's top
    t0 = time.process_time()
    _, pm, recs = run_global_with_boxes(case, [JOINT], z_range=z_range, fields=True, pmesh=pm)
    saved = tmp_path_factory.mktemp("submodel") / "boundary.npz"
    recs[JOINT].save(saved)
    return case, pm, recs[JOINT], z_range, time.process_time() - t0, saved


def _born_nodes(res, inc) -> np.ndarray:
    """Local nodes some born element touches (the others carry the unborn part's extension, which the global
    run recomputes for its field output and the local run does not: they mean nothing)."""
    t = res.sub.pmesh.mesh.t
    return np.unique(t[:, inc["born"]])


def test_unrefined_submodel_reproduces_the_global_model(global_run):
    case, pm, record, z_range, t_global, saved = global_run
    t0 = time.process_time()
    res = run_submodel(case, saved, JOINT, z_range=z_range, pmesh=pm)  # the record as written and read back
    t_local = time.process_time() - t0
    sub = res.sub
    assert np.array_equal(sub.global_elements[sub.parent], sub.global_elements)  # one local element per global
    gv = np.searchsorted(sub.box_vertices, sub.global_vertex)
    nd = res.problem.basis.nodal_dofs
    interior = np.setdiff1d(np.arange(sub.pmesh.mesh.nvertices), sub.cut_nodes)
    g_joint = global_joint_averages(pm, record, JOINT)
    assert len(res.increments) == len(record.increments()) == len(g_joint)
    worst = {"u": 0.0, "sig": 0.0, "W": 0.0, "eq": 0.0}
    for gi, li, gj in zip(record.increments(), res.increments, g_joint):
        ug, ul = gi["u"].reshape(-1, 3)[gv], li["u"][nd].T
        nodes = np.intersect1d(interior, _born_nodes(res, li))
        du = np.abs(ug - ul)[nodes].max() / np.abs(ug).max()
        ds = np.abs(gi["sig"] - li["sig"]).max() / np.abs(gi["sig"]).max()
        assert du <= TOL_U and ds <= TOL_SIG, (gi["step"], gi["t"], du, ds)
        worst["u"], worst["sig"] = max(worst["u"], du), max(worst["sig"], ds)
        for key in ("volume", "eq"):
            g, loc = gj[key], li["joint"][key]
            assert abs(loc - g) <= TOL_JOINT * abs(g) + 1e-300, (gi["step"], key, g, loc)
            if g:
                worst["W" if key == "volume" else "eq"] = max(worst["W" if key == "volume" else "eq"],
                                                              abs(loc - g) / abs(g))
    assert res.boundary_error_m == 0.0
    # the history really went through what the submodel must follow
    enc = sub.pmesh.region_names.index("encapsulant")
    assert not res.increments[0]["born"][sub.pmesh.cell_region == enc].any()
    assert res.increments[-1]["born"][sub.pmesh.cell_region == enc].all()  # born later, in the box
    changes = {(e["region"], e["change"]) for e in res.events}
    assert {(JOINT[0], "melted"), (JOINT[0], "solidified")} <= changes
    assert g_joint[-1]["volume"] > 0 and any(g["volume"] == 0.0 for g in g_joint[1:])  # molten, then solid
    print(f"\nsubmodel {JOINT}: {sub.pmesh.n_elements} elements, {len(res.newton)} sub-increments; worst relative "
          f"differences {worst}; joint work at the end {g_joint[-1]['volume']:.6e} J/m^3; CPU s: global "
          f"{t_global:.1f}, local {t_local:.1f}")


def test_refined_submodel_keeps_the_global_boundary(global_run):
    """Refined 2x in every direction, 4 element layers through the bump: the cut-face nodes carry the global
    displacement interpolated with the parent element's trilinear shape functions (round-off: 1e-15 of the
    largest displacement), exactly the global value where a node is a global vertex; the joint's accumulated work
    moves by a plausible amount (more than 0.1 %: the refinement does something; less than 50 %: the same joint
    under the same boundary)."""
    case, pm, record, z_range, _, _ = global_run
    coarse = run_submodel(case, record, JOINT, z_range=z_range, pmesh=pm)
    t0 = time.process_time()
    res = run_submodel(case, record, JOINT, z_range=z_range, pmesh=pm,
                       refine=Refinement(n_xy=2, n_z=2, joint_elements=4))
    t_fine = time.process_time() - t0
    sub = res.sub
    assert sub.joint_layers == 4 and sub.pmesh.n_elements > 8 * len(sub.global_elements)
    nd = res.problem.basis.nodal_dofs
    cut = sub.cut_nodes
    verts = pm.mesh.t[:, sub.global_elements[sub.node_parent[cut]]]  # (8, n_cut) parent vertices
    N = shape_functions(sub.node_xi[cut])  # (n_cut, 8)
    at_vertex = sub.global_vertex[cut] >= 0
    for gi, li in zip(record.increments(), res.increments):
        held = np.isin(cut, _born_nodes(res, li))  # nodes only unborn elements touch: see _born_nodes
        ug = gi["u"].reshape(-1, 3)
        expect = np.einsum("nj,jnc->nc", N, ug[np.searchsorted(sub.box_vertices, verts)])
        got = li["u"][nd[:, cut]].T
        scale = np.abs(ug).max()
        assert np.abs(got - expect)[held].max() <= 1e-15 * scale, (gi["step"], gi["t"])
        exact = ug[np.searchsorted(sub.box_vertices, sub.global_vertex[cut][at_vertex & held])]
        assert np.array_equal(got[at_vertex & held], exact)
    w0, w1 = coarse.increments[-1]["joint"]["volume"], res.increments[-1]["joint"]["volume"]
    e0, e1 = coarse.increments[-1]["joint"]["eq"], res.increments[-1]["joint"]["eq"]
    wj0 = [i["joint"]["volume"] for i in coarse.increments if i["step"] == "join_cool"][-1]
    wj1 = [i["joint"]["volume"] for i in res.increments if i["step"] == "join_cool"][-1]
    print(f"\nrefined submodel: {sub.pmesh.n_elements} elements; joint work after joining {wj0:.6e} -> {wj1:.6e} "
          f"J/m^3 ({wj1 / wj0 - 1:+.2%}), at the end {w0:.6e} -> {w1:.6e} ({w1 / w0 - 1:+.2%}); eq. inelastic "
          f"strain at the end {e0:.5e} -> {e1:.5e} ({e1 / e0 - 1:+.2%}); CPU {t_fine:.1f} s")
    assert 1e-3 < abs(wj1 / wj0 - 1) < 0.5
    assert 1e-3 < abs(w1 / w0 - 1) < 0.5
