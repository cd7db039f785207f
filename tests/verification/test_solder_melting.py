"""Solder melts above its solidus and solidifies again, stress-free, on the way down (process histories).

Exact expectation: a substrate a (stress-free at 25 degC) carries a solder layer b whose material has a solidus
T_s. Heated past T_s, b melts: it carries nothing and a expands freely, without stress. Cooling back through T_s,
b is born again stress-free at T_s with a's free deformation, and the pair is cooled to 25 degC. The eigenstrain
mismatch is then (alpha_b - alpha_a) (25 - T_s), so the stresses equal the simple-mode solve with both layers
stress-free at T_s (the argument of test_process_history's birth test). T_s = 203 degC is chosen so that no
increment ends on it: the increments that cross it must be split there for the equality to hold (re-born at the
start of the crossing increment, 10 K above, the stress would be about 5 % off).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from support.verification import iso, laminate_case

from fcpkg_fem import api
from fcpkg_fem.errors import InputError
from fcpkg_fem.materials import get

T_S = 203.0
MATS = {"sub": iso(100, 0.3, 3), "solder": {**iso(30, 0.35, 20), "solidus": f"{T_S} degC"}}


def _laminate(**kw):
    return laminate_case([("a", "sub", 300), ("b", "solder", 200)], materials=copy.deepcopy(MATS), element="hex8i",
                         mesh_size_mm=1.0, min_elements_per_layer=2, **kw)


def _reflow_case():
    c = _laminate()
    c["load"] = {"stress_free_temperature": "25 degC", "steps": [
        {"name": "heat", "kind": "ramp", "to": "250 degC", "rate": "1 K/s", "output": "end"},
        {"name": "cool", "kind": "ramp", "to": "25 degC", "rate": "1 K/s"}]}
    c["solver"]["max_temperature_increment"] = "10 K"
    return c


def test_molten_solder_is_reborn_stress_free_at_its_solidus():
    said = []
    r = api.run(api.load_case(_reflow_case()), write=False, progress=said.append)
    events = [m for m in said if "melted" in m or "solidified" in m]
    assert len(events) == 2 and "layer.b melted" in events[0] and "layer.b solidified" in events[1], said
    # the summary lists them per step, at the time the solder crossed its solidus (1 K/s from 25 degC)
    steps = {s["name"]: s for s in r.summary["process"]["steps"]}
    (melt,), (freeze,) = steps["heat"]["phase_changes"], steps["cool"]["phase_changes"]
    assert (melt["region"], melt["change"], melt["solidus_C"]) == ("layer.b", "melted", T_S)
    assert melt["time_s"] == pytest.approx(T_S - 25.0, rel=1e-12)
    assert freeze["change"] == "solidified" and freeze["time_s"] == pytest.approx(225.0 + 250.0 - T_S, rel=1e-12)
    # at 250 degC the solder is liquid: nothing restrains the substrate, which expands freely
    hot = next(o for o in r.outputs if o["step"] == "heat")
    assert hot["temperature_C"] == 250.0
    i_hot = r.outputs.index(hot)
    assert np.abs(r.fields[i_hot].cell_data["stress_MPa"]).max() <= 1e-9
    # back at 25 degC: both layers as if stress-free at the solidus
    rs = api.run(api.load_case(_laminate(T_sf=T_S, T=25.0)), write=False)
    sb, ss = r.fields[-1].cell_data["stress_MPa"], rs.fields[0].cell_data["stress_MPa"]
    # tolerance: the same as the birth test (history CG steps converged to rtol 1e-8, measured a few 1e-10)
    assert np.abs(sb - ss).max() <= 2e-9 * np.abs(ss).max()
    wb = r.outputs[-1]["warpage"]["bottom"]["signed_um"]
    assert wb == pytest.approx(rs.outputs[0]["warpage"]["bottom"]["signed_um"], rel=2e-9)


def test_solidus_from_the_library_and_the_case_file():
    assert get("sac305").solidus == 217.0 and "solidus" in get("sac305").sources
    assert get("snpb").solidus == 179.0 and get("copper").solidus is None
    case = api.load_case(_reflow_case())
    assert case.materials_resolved["solder"].solidus == T_S
    bad = _reflow_case()
    bad["materials"]["solder"]["solidus"] = "hot"
    with pytest.raises(InputError, match=r"materials\.solder\.solidus"):
        api.load_case(bad)


def test_resume_while_the_solder_is_molten(tmp_path, monkeypatch):
    """The checkpoint after 'heat' (250 degC) holds the molten solder; resuming from it repeats the uninterrupted
    run (solidification included) to round-off."""
    from fcpkg_fem.solve import history

    case = api.load_case(_reflow_case())
    full = api.run(case, out_dir=tmp_path / "full", write=True)
    real = history.HistorySolver.new_step
    calls = []

    def stop_at_second_step(self):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(self)

    monkeypatch.setattr(history.HistorySolver, "new_step", stop_at_second_step)
    with pytest.raises(KeyboardInterrupt):
        api.run(case, out_dir=tmp_path / "cut", write=True)
    monkeypatch.setattr(history.HistorySolver, "new_step", real)
    with np.load(tmp_path / "cut" / "checkpoint" / "step-0000" / "state.npz") as z:
        assert z["molten"].any()
    resumed = api.run(case, out_dir=tmp_path / "cut", write=True, resume=True)
    assert resumed.summary["process"]["steps"] == full.summary["process"]["steps"]
    a, b = full.fields[-1].cell_data["stress_MPa"], resumed.fields[-1].cell_data["stress_MPa"]
    # round-off: the same arithmetic after the step boundary (see test_process_history's resume test)
    assert np.abs(a - b).max() <= 1e-12 * np.abs(a).max()


def test_a_molten_layer_without_nodes_of_its_own():
    """A solder layer one element thick between two substrates shares every node with them: while it is molten
    no dof is its alone (the extension into it is empty) and the top substrate floats (held without stress).
    Re-solidified at T_s and cooled to 25 degC it equals the simple mode with all three layers stress-free at T_s:
    at T_s both substrates have expanded freely, and that displacement, continuous since they share no node, is
    the reference of all three (the solder's strain at birth is its strain)."""
    mats = {**copy.deepcopy(MATS), "top": iso(60, 0.25, 12)}
    layers = [("a", "sub", 300), ("b", "solder", 40), ("c", "top", 200)]

    def case(**kw):
        return laminate_case(layers, materials=copy.deepcopy(mats), element="hex8i", mesh_size_mm=1.0,
                             min_elements_per_layer=1, **kw)

    c = case()
    c["load"] = _reflow_case()["load"]
    c["solver"]["max_temperature_increment"] = "10 K"
    said = []
    r = api.run(api.load_case(c), write=False, progress=said.append)
    assert sum("melted" in m for m in said) == 1 and sum("solidified" in m for m in said) == 1
    b = r.fields[-1].cell_data["born"]
    assert b.min() == 1.0  # all born again at the end
    rs = api.run(api.load_case(case(T_sf=T_S, T=25.0)), write=False)
    sb, ss = r.fields[-1].cell_data["stress_MPa"], rs.fields[0].cell_data["stress_MPa"]
    # tolerance: as the birth test (history CG steps converged to rtol 1e-8)
    assert np.abs(sb - ss).max() <= 2e-9 * np.abs(ss).max()
