"""Cure shrinkage in a process history against its exact thermal equivalent, and the cure step's input checks.

Exact expectation: in linear elasticity only the total eigenstrain mismatch matters, not the path. A bilayer
stress-free at 150 degC whose layer b cures during a hold (isotropic chemical strain -(dV/V)/3) and is then cooled
to 25 degC carries in b the eigenstrain alpha_b (25 - 150) - (dV/V)/3. The same bilayer without cure but with
b's CTE raised by ((dV/V)/3) / 125 K has exactly that eigenstrain at 25 degC, so the stresses are equal.
"""

from __future__ import annotations

import numpy as np
import pytest
from support.verification import iso, laminate_case

from fcpkg_fem import api
from fcpkg_fem.errors import InputError

DV = 0.006  # volumetric cure shrinkage of b: chemical strain -0.002


def _bilayer(cte_b: float, cure: float | None):
    mats = {"mA": iso(100, 0.3, 3), "mB": iso(20, 0.3, cte_b)}
    if cure is not None:
        mats["mB"]["cure_shrinkage"] = cure
    return laminate_case([("a", "mA", 300), ("b", "mB", 200)], materials=mats, element="hex8i", mesh_size_mm=1.0,
                         min_elements_per_layer=2, T_sf=150.0, T=25.0)


def _cured():
    c = _bilayer(20.0, DV)
    c["load"] = {"stress_free_temperature": "150 degC", "steps": [
        {"name": "cure", "kind": "hold", "duration": "10 min", "cure": ["layer.b"], "output": "end"},
        {"name": "cool", "kind": "ramp", "to": "25 degC", "rate": "1 K/s", "output": "end"}]}
    return c


def test_cure_shrinkage_equals_its_thermal_equivalent():
    case = api.load_case(_cured())
    r = api.run(case, write=False)
    ref = api.run(api.load_case(_bilayer(20.0 + DV / 3 / 125.0 * 1e6, None)), write=False)
    s, sr = r.fields[-1].cell_data["stress_MPa"], ref.fields[0].cell_data["stress_MPa"]
    assert np.abs(sr).max() > 10.0  # MPa: the mismatch is real
    # tolerance: the history's CG steps (preconditioned by an older factorization) converge to rtol 1e-8
    assert np.abs(s - sr).max() <= 2e-9 * np.abs(sr).max()
    w, wr = r.outputs[-1]["warpage"]["bottom"]["signed_um"], ref.outputs[0]["warpage"]["bottom"]["signed_um"]
    assert w == pytest.approx(wr, rel=2e-9)
    # at the end of the isothermal cure only the shrinkage acts: b is in in-plane tension, a in compression
    cured = r.fields[1].cell_data["stress_MPa"]
    pm = api.mesh_case(case)
    b = pm.cell_region == pm.region_names.index("layer.b")
    assert r.outputs[1]["step"] == "cure" and np.median(cured[b, 0]) > 0 > np.median(cured[~b, 0])


def test_cure_needs_a_shrinkage_and_a_born_region():
    c = _bilayer(20.0, None)  # mB has no cure_shrinkage
    c["load"] = {"stress_free_temperature": "150 degC", "steps": [
        {"kind": "hold", "duration": "10 min", "cure": ["layer.b"]}]}
    with pytest.raises(InputError) as e:
        api.run(api.load_case(c), write=False)
    assert e.value.problems[0].field == "load.steps.0.cure"
    assert "materials.mB.cure_shrinkage" in e.value.problems[0].message
    c = _cured()
    c["load"]["steps"][1]["births"] = ["layer.b"]  # born in the second step, cured in the first
    with pytest.raises(InputError, match="cannot cure before it is born"):
        api.run(api.load_case(c), write=False)
    c = _bilayer(20.0, 0.5)
    with pytest.raises(InputError, match="materials.mB.cure_shrinkage"):
        api.load_case(c)
