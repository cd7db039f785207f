"""Vapour pressure at the interfaces that can delaminate (issue 18 item 5; docs/moisture.md, "Vapour pressure").

(a) the model's limits: the saturated branch is the saturation pressure of water (101.3 kPa at 100 degC), the ideal
    gas branch is exact, the two meet at the switch, and the pressure never falls as the water rises;
(b) interface detection and the facet pressures on a hand-built 2 x 1 x 2 block whose regions are named like a
    package's (a carrier's solder mask under a die beside the encapsulant);
(c) a free volume fraction outside (0, 1) is refused naming its field, and the command line exits 2.

Units: Pa, kg/m^3, degC, m.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from skfem import MeshHex

from fcpkg_fem.errors import InputError
from fcpkg_fem.materials import resolve_materials
from fcpkg_fem.materials.moisture import LIBRARY, R_GAS, MoistureParams, saturation_pressure
from fcpkg_fem.post.vapour import (M_WATER, MoistureFields, delamination_interfaces, facet_pressures,
                                   saturated_vapour_density, vapour_pressure)

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------------------------------------- (a)

def test_saturated_branch_is_the_saturation_pressure_101_kpa_at_100_degC():
    """Much more water than vapour can hold (C / f = 200 kg/m^3): p = p_g(T) exactly, saturated. At 100 degC the
    IF97 equation gives 101.418 kPa (100 degC on ITS-90 is above the normal boiling point, 99.97 degC, where the
    pressure is one atmosphere, 101.325 kPa): within 0.1 % of 101.3 kPa."""
    p, sat = vapour_pressure(10.0, 0.05, 100.0)
    assert bool(sat)
    assert float(p) == float(saturation_pressure(100.0))
    assert float(p) == pytest.approx(101.418e3, rel=2e-5)
    assert float(p) == pytest.approx(101.325e3, rel=1e-3)
    T = np.array([30.0, 85.0, 150.0, 220.0, 260.0])
    p, sat = vapour_pressure(10.0, 0.05, T)
    assert sat.all()
    np.testing.assert_array_equal(p, saturation_pressure(T))


def test_ideal_gas_branch_is_exact():
    """Little water (C = 0.01 kg/m^3 in f = 0.1: 0.1 kg/m^3 of vapour, under rho_g = 7.2 kg/m^3 at 200 degC):
    p = (C / f) R T / M_w = 0.1 * 8.314462618 * 473.15 / 0.018015 Pa = 21.837 kPa."""
    p, sat = vapour_pressure(0.01, 0.1, 200.0)
    assert not bool(sat)
    assert float(p) == pytest.approx(0.1 * 8.314462618 * 473.15 / 0.018015, rel=1e-14)
    assert float(p) == pytest.approx(21837.4, rel=1e-5)
    C = np.array([0.0, 1e-4, 5e-4])  # C / f up to 0.025 kg/m^3, under rho_g(30 degC) = 0.0304 kg/m^3
    p, sat = vapour_pressure(C, 0.02, 30.0)
    assert not sat.any()
    np.testing.assert_allclose(p, C / 0.02 * R_GAS * 303.15 / M_WATER, rtol=1e-14)


@pytest.mark.parametrize("T", [30.0, 100.0, 200.0, 260.0])
def test_the_branches_meet_at_the_switch(T):
    """At C / f = rho_g(T) (1 -+ 1e-9) the ideal gas gives p_g(T) (1 -+ 1e-9): continuous, the switch exactly
    where the ideal gas reaches the saturation pressure."""
    f = 0.05
    rho_g = float(saturated_vapour_density(T))
    assert rho_g == pytest.approx(float(saturation_pressure(T)) * M_WATER / (R_GAS * (T + 273.15)), rel=1e-15)
    below, s_below = vapour_pressure(f * rho_g * (1 - 1e-9), f, T)
    above, s_above = vapour_pressure(f * rho_g * (1 + 1e-9), f, T)
    pg = float(saturation_pressure(T))
    assert not bool(s_below) and bool(s_above)
    assert float(below) == pytest.approx(pg, rel=2e-9)
    assert float(above) == pg


def test_pressure_never_falls_as_the_water_rises():
    C = np.linspace(0.0, 5.0, 2001)
    for T in (85.0, 260.0):
        p, _ = vapour_pressure(C, 0.05, T)
        assert np.all(np.diff(p) >= 0.0)
        assert p.max() == float(saturation_pressure(T))


# ------------------------------------------------------------------------------------------------------------- (b)

def _block():
    """2 x 1 x 2 hexahedra of 1 mm: the lower layer a carrier's top solder mask, above it a die (x < 1 mm) beside the
    encapsulant (x > 1 mm)."""
    m = MeshHex.init_tensor(np.array([0.0, 1e-3, 2e-3]), np.array([0.0, 1e-3]), np.array([0.0, 1e-3, 2e-3]))
    c = m.p[:, m.t].mean(axis=1)
    names = ["carrier1.mask_top", "chip.die1", "encapsulant"]
    region = np.where(c[2] < 1e-3, 0, np.where(c[0] < 1e-3, 1, 2))
    geom = SimpleNamespace(interfaces=(("encapsulant", "carrier1.mask_top"),))
    return SimpleNamespace(mesh=m, cell_region=region, region_names=names, geometry=geom), region


def test_interfaces_that_can_delaminate_are_found_on_a_tiny_mesh():
    """Three pairs touch: die/mask (not a delamination pair here: the die sits on bumps, not on the mask),
    die/encapsulant (one vertical facet at x = 1 mm) and encapsulant/mask (one facet at z = 1 mm, named in the
    geometry's order). With the die and the mask impermeable and the encapsulant too, nothing is reported."""
    pm, region = _block()
    m = pm.mesh
    found = delamination_interfaces(pm, region != 1)
    assert sorted(found) == ["chip.die1|encapsulant", "encapsulant|carrier1.mask_top"]
    mid = lambda f: m.p[:, m.facets[:, f]].mean(axis=1).T  # noqa: E731
    np.testing.assert_allclose(mid(found["chip.die1|encapsulant"]), [[1e-3, 0.5e-3, 1.5e-3]], atol=1e-15)
    np.testing.assert_allclose(mid(found["encapsulant|carrier1.mask_top"]), [[1.5e-3, 0.5e-3, 1e-3]], atol=1e-15)
    assert delamination_interfaces(pm, np.zeros(len(region), bool)) == {}
    assert sorted(delamination_interfaces(pm, region == 2)) == sorted(found)  # one permeable side is enough


def test_facet_pressure_takes_the_wetter_side():
    """Nodal wetness 0.5 on the encapsulant/mask facet; C_sat 2 kg/m^3 (encapsulant, f 0.05) and 4 kg/m^3 (mask,
    f 0.2) at 200 degC: C / f = 20 and 10 kg/m^3, both above rho_g(200 degC) = 7.12 kg/m^3: p_g. At 0.02 wetness:
    0.8 and 0.4 kg/m^3, ideal gas, and the encapsulant side governs (0.8 R T / M_w). The die side has no moisture
    field: the die/encapsulant facet takes the encapsulant's."""
    pm, region = _block()
    m = pm.mesh
    csat = np.array([4.0, np.nan, 2.0])[region]
    free = np.array([0.2, np.nan, 0.05])[region]
    T = np.full(len(region), 200.0)
    for w, sat in ((0.5, True), (0.02, False)):
        wet = np.full(m.p.shape[1], w)
        mf = MoistureFields(wetness=wet, saturated_concentration=csat, temperature=T, free_volume=free)
        for facets in delamination_interfaces(pm, np.isfinite(csat)).values():
            r = facet_pressures(m, facets, mf)
            expect = saturation_pressure(200.0) if sat else (2.0 * w / 0.05) * R_GAS * 473.15 / M_WATER
            assert r["p_Pa"][0] == pytest.approx(float(expect), rel=1e-14)
            assert bool(r["saturated"][0]) is sat
            assert r["C"][0] == pytest.approx(2.0 * w, rel=1e-14)


# ------------------------------------------------------------------------------------------------------------- (c)

@pytest.mark.parametrize("f", [0.0, 1.0, -0.1, 5.0, float("nan")])
def test_free_volume_outside_0_1_is_refused_naming_the_field(f):
    with pytest.raises(InputError) as err:
        resolve_materials({"wet_glue": {"base": "die_attach_lowmod", "moisture": {"free_volume": f},
                                        "source": "test"}})
    assert [p.field for p in err.value.problems] == ["materials.wet_glue.moisture.free_volume"]
    probs = MoistureParams(D0=1e-12, Q_D=0.0, S0=1e-4, Ea_S=0.0, cme=0.0, free_volume=f).problems("m")
    assert [p.field for p in probs] == ["m.free_volume"]


def test_free_volume_is_taken_given_or_inherited():
    mats = resolve_materials({"wet_glue": {"base": "die_attach_lowmod", "moisture": {"free_volume": 0.02},
                                           "source": "test"},
                              "glue2": {"base": "die_attach_lowmod", "source": "test"}})
    assert mats["wet_glue"].extra["moisture"].free_volume == 0.02
    assert mats["glue2"].extra["moisture"].free_volume == LIBRARY["die_attach_lowmod"].free_volume
    assert all(0.0 < r.free_volume < 1.0 and "free_volume" in r.source for r in LIBRARY.values())


def test_command_line_exits_2_naming_the_free_volume(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-m", "fcpkg_fem", "check",
                        str(ROOT / "tests" / "malformed" / "moisture_free_volume_above_1.yaml")], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "materials.emc.moisture.free_volume" in r.stderr and "Traceback" not in r.stderr
