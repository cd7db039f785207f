"""Darveaux-style joint averages and the per-cycle life inputs, against exact values.

A known inelastic work density W = (a + b z) (1 + k/10) on every element of joint k (z of the element centroid) is
fed to the timeline's joint post-processing on a small real package. Each bump is a prism of two element layers
(60 um standoff, 2 elements per slab), so exactly:
- the volume average is a + b z_mid times the joint's factor,
- the lower/upper pad-layer averages are a + b (z_bottom + t/4) and a + b (z_top - t/4), with t/2 the layer
  thickness (each layer is one element of height t/2),
and the per-cycle increment between two such states, its critical joint and the Darveaux and Syed input (the
increment averaged over the critical pad layer) follow.
"""

from __future__ import annotations

import numpy as np
import pytest
from support.items import setup as _setup

from fcpkg_fem.post import joints
from fcpkg_fem.constitutive import make_model
from fcpkg_fem.solve.history import HistorySolver

A, B = 2.0e5, 1.0e9  # J/m^3 and J/m^4: a work density that grows along z


def _solver_with(W_scale: float):
    case, pm, prob = _setup("full", "hex8i")
    bumps = [r for r in pm.region_names if r.startswith("bumps.")]
    models = {r: make_model("anand", case.materials_resolved[pm.region_material[r]]) for r in bumps}
    hs = HistorySolver(prob, models, born_at_start={r: 25.0 for r in pm.region_names})
    zc = pm.mesh.p[2, pm.mesh.t].mean(axis=0)
    W = np.zeros(pm.n_elements)
    for r in bumps:
        sel = np.nonzero(pm.cell_region == pm.region_names.index(r))[0]
        W[sel] = W_scale * (A + B * zc[sel]) * (1.0 + pm.cell_item[sel] / 10.0)
    fields = {"eq_inelastic_strain": W * 1e-12, "inelastic_work_J_m3": W,
              "inelastic_strain": np.zeros((pm.n_elements, 6))}
    hs.inelastic_fields = lambda: fields
    return pm, prob, hs, bumps


def test_pad_layer_and_volume_averages_are_exact():
    pm, prob, hs, bumps = _solver_with(1.0)
    jw = joints.joint_work(pm, hs)
    for r in bumps:
        for k, els in enumerate(joints.item_elements(pm, r)):
            z = pm.mesh.p[2, pm.mesh.t[:, els]]
            z0, z1 = z.min(), z.max()
            t = z1 - z0
            f = 1.0 + k / 10.0
            # tolerance: round-off of the volume-weighted sums (~1e-15 of the values)
            assert jw[r]["volume"][k] == pytest.approx(f * (A + B * 0.5 * (z0 + z1)), rel=1e-12)
            assert jw[r]["lower"][k] == pytest.approx(f * (A + B * (z0 + t / 4)), rel=1e-12)
            assert jw[r]["upper"][k] == pytest.approx(f * (A + B * (z1 - t / 4)), rel=1e-12)
            assert jw[r]["t_lower"][k] == pytest.approx(t / 2, rel=1e-9)
            assert jw[r]["t_upper"][k] == pytest.approx(t / 2, rel=1e-9)


def test_per_cycle_increment_critical_joint_and_darveaux_input():
    pm, prob, hs0, bumps = _solver_with(1.0)
    w0 = joints.joint_work(pm, hs0)
    _, _, hs1, _ = _solver_with(3.0)
    w1 = joints.joint_work(pm, hs1)
    _, _, hs2, _ = _solver_with(6.0)  # the second cycle adds 3x the base field, the first 2x
    w2 = joints.joint_work(pm, hs2)

    class Step:  # a -40/125 degC cycle of 3600 s (the life models read its temperatures)
        t_start = 0.0
        profile = type("P", (), {"temperature_C": np.array([25.0, 125.0, -40.0])})()

    marks = [(0.0, w0), (3600.0, w1), (7200.0, w2)]
    out = joints.life_estimates(pm, prob.volumes, Step, marks)  # the bumps' own solder: sac305
    # the same joints of SnPb, which has Darveaux constants (the mesh and the work field are the solder's own)
    snpb = joints.life_estimates(pm, prob.volumes, Step, marks, materials={r: "snpb" for r in bumps})
    for r in bumps:
        e = out[r]
        n = len(pm.items[r])
        k = n - 1  # the largest factor 1 + k/10: the critical joint
        c = e["critical"]
        assert c["id"] == k and c["interface"] == "upper"  # W grows with z: the upper pad layer
        els = joints.item_elements(pm, r)[k]
        z1 = pm.mesh.p[2, pm.mesh.t[:, els]].max()
        t = z1 - pm.mesh.p[2, pm.mesh.t[:, els]].min()
        dW = 3.0 * (1 + k / 10.0) * (A + B * (z1 - t / 4))  # the last complete cycle adds 3x the base field
        assert c["dW_layer_MJ_m3"] == pytest.approx(dW * 1e-6, rel=1e-12)
        assert c["dW_layer_per_cycle_MJ_m3"] == pytest.approx([dW * 2e-6 / 3, dW * 1e-6], rel=1e-12)
        assert c["dW_change_last_cycle"] == pytest.approx(0.5, rel=1e-12)  # 3x after 2x
        assert e["cycles_per_hour"] == pytest.approx(1.0)
        # Syed (SnAgCu) takes the same layer increment as Darveaux, not the whole-joint one (Syed 2004: interface
        # elements); SnPb constants never reach the SAC305 joint
        assert e["solder"] == {"material": "sac305", "family": "SnAgCu"}
        s = e["estimates"]["syed"]
        assert s["inputs"]["W_acc_Pa"] == pytest.approx(dW, rel=1e-12)
        assert s["inputs"]["layer_thickness_m"] == pytest.approx(t / 2, rel=1e-9)
        assert "darveaux" not in e["estimates"] and "SnAgCu" in e["not_estimated"]["darveaux"]
        # without strain samples of the cycle there is no range, so no Engelmaier estimate, and it says why
        assert "engelmaier" not in e["estimates"] and "range" in e["not_estimated"]["engelmaier"]
        assert e["critical"]["d_gamma"] is None
        d = snpb[r]["estimates"]["darveaux"]
        assert "syed" not in snpb[r]["estimates"] and "SnAgCu" in snpb[r]["not_estimated"]["syed"]
        assert d["constants"]["family"] == "SnPb" and d["constants"]["K1"] == 22400.0
        assert d["inputs"]["dW_Pa"] == pytest.approx(dW, rel=1e-12)
        assert d["inputs"]["layer_thickness_m"] == pytest.approx(t / 2, rel=1e-9)
        # crack length = the joint's diameter from its volume and height: 80 um bumps meshed at their true area
        assert d["inputs"]["crack_length_m"] == pytest.approx(80e-6, rel=1e-6)
