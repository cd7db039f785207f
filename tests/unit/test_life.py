"""Life models (fcpkg_fem.post.life) and their inputs against values worked by hand from each formula.

The sources' own worked examples could not be located; the hand values below follow the published formulas
step by step (4-5 significant digits), hence rtol 1e-4 unless stated.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fcpkg_fem.errors import InputError
from fcpkg_fem.materials import library
from fcpkg_fem.post import life


def test_darveaux_hand_example():
    """dW = 0.1 MPa = 14.504 psi (1e5 / 6894.757), joint diameter a = 0.3 mm = 0.011811 in, SnPb constants:
    N0 = 22400 * 14.504^-1.52 = 22400 * exp(-1.52 * 2.67441) = 22400 * 0.017161 = 384.41 cycles;
    da/dN = 5.86e-7 * 14.504^0.98 = 5.86e-7 * 13.748 = 8.0565e-6 in/cycle; growth 0.011811 / 8.0565e-6 = 1466.0;
    N_f = 1850.4 cycles."""
    Nf, info = life.darveaux(1e5, 0.3e-3, life.DARVEAUX_SNPB_2000, layer_thickness_m=25.4e-6)
    assert Nf == pytest.approx(1850.4, rel=1e-4)
    assert info["N0_cycles"] == pytest.approx(384.41, rel=1e-4)
    assert info["da_dN_m_per_cycle"] == pytest.approx(8.0565e-6 * 0.0254, rel=1e-4)
    assert info["constants"]["layer_thickness_m"] == 25.4e-6 and "ECTC" in info["source"]
    assert not any("WARNING" in a for a in info["assumptions"])
    _, info2 = life.darveaux(1e5, 0.3e-3, life.DARVEAUX_SNPB_2000, layer_thickness_m=10e-6)
    assert any("WARNING" in a and "10 um" in a for a in info2["assumptions"])
    # Monotonic in the damage driver: more energy, shorter life.
    assert life.darveaux(2e5, 0.3e-3, life.DARVEAUX_SNPB_2000)[0] < Nf


def test_constants_only_for_the_solder_they_were_fitted_for():
    """The SnPb Darveaux set goes to SnPb joints only: a SAC305 joint (either library set) gets none, with the
    reason; a material of unknown family gets none; a material's own fit is used as given. Darveaux has no
    default constants, so no caller applies SnPb's by omission."""
    assert life.darveaux_constants(library.get("snpb"))[0] is life.DARVEAUX_SNPB_2000
    for name in ("sac305", "sac305_refit"):
        c, why = life.darveaux_constants(library.get(name))
        assert c is None and "SnAgCu" in why and "not applied" in why
        assert life.solder_family(library.get(name)) == "SnAgCu"
    c, why = life.darveaux_constants(library.get("sac305").with_overrides(name="my_solder"))
    assert c is None and "SnAgCu" in why  # a renamed SAC stays SAC: its family travels with it, not its name
    c, why = life.darveaux_constants(library.get("copper").with_overrides(name="my_solder"))
    assert c is None and "my_solder" in why and "solder_family" in why
    own = dict(K1=1.0, K2=-1.0, K3=1e-7, K4=1.0, layer_thickness_m=25e-6, solder="test", source="test fit",
               family="SnAgCu")
    c, _ = life.darveaux_constants(library.get("sac305").with_overrides(extra={"darveaux": own}))
    assert c == life.DarveauxConstants(**own)
    with pytest.raises(TypeError):
        life.darveaux(1e5, 0.3e-3)  # no constants given


def test_syed_units_are_MPa():
    """W_acc = 0.1 MPa per cycle: N_f = 1 / (0.0019 * 0.1) = 5263.2 cycles; the input is in Pa (1e5)."""
    Nf, info = life.syed(1e5, layer_thickness_m=30e-6)
    assert Nf == pytest.approx(5263.2, rel=1e-4)
    assert info["inputs"]["W_acc_MPa"] == pytest.approx(0.1, rel=1e-15) and "MPa" in info["formula"]
    assert info["inputs"]["layer_thickness_m"] == 30e-6


def test_engelmaier_condition_G_example():
    """-40/125 C (JESD22-A104 G), 2 cycles per hour (48/day), dgamma = 1 %: T_sj = 42.5 C,
    c = -0.442 - 6e-4 * 42.5 + 0.0174 ln 49 = -0.442 - 0.0255 + 0.067718 = -0.39978;
    N_f = 0.5 (0.01 / 0.65)^(1 / -0.39978) = 0.5 exp(2.50136 * 4.17439) = 17129 cycles (rtol 2e-4: the
    exponent rounded to 5 digits moves N_f by about 1e-4)."""
    assert life.engelmaier_exponent(42.5, 48) == pytest.approx(-0.39978, abs=1e-5)
    Nf, info = life.engelmaier(0.01, 42.5, 48)
    assert Nf == pytest.approx(17129, rel=2e-4)
    assert info["constants"]["eps_f"] == 0.325 and "IPC-D-279" in info["source"]
    # Leadless joint strain range: F L_D d_alpha dT / h = 1 * 5 mm * 10 ppm/K * 165 K / 0.1 mm = 0.0825
    assert life.engelmaier_shear_strain_range(5e-3, 10e-6, 165.0, 0.1e-3) == pytest.approx(0.0825, rel=1e-12)
    # Generic Coffin-Manson is the same formula with user constants.
    assert life.coffin_manson(0.01, 0.325, info["constants"]["c"])[0] == pytest.approx(Nf, rel=1e-14)
    assert math.isclose(life.coffin_manson(0.65, 0.325, -0.5)[0], 0.5)  # strain range = 2 eps_f: N_f = 1/2
    assert not any("WARNING" in a for a in info["assumptions"])
    _, sac = life.engelmaier(0.01, 42.5, 48, solder="SnAgCu")
    assert "WARNING" in sac["assumptions"][0] and "SnAgCu" in sac["assumptions"][0]


def test_engelmaier_takes_the_range_not_the_accumulated_strain():
    """The same -40/125 C, 48/day cycle: a closed shear loop of range 1 % accumulates 2 % of shear (sqrt(3) x the
    rise of the equivalent strain); fed that, the life would be 0.5 (0.02 / 0.65)^(1 / -0.39978) = 3025.1 cycles
    instead of 17129, 5.66x low (2^2.5014). rtol 2e-4 as above."""
    loop = np.zeros((5, 6))
    loop[:, 4] = [0.0, 0.005, 0.0, -0.005, 0.0]  # gamma_xz: 0 -> +0.5 % -> -0.5 % -> 0
    dg = float(life.equivalent_shear_strain_range(loop))
    accumulated = float(np.sum(np.abs(np.diff(loop[:, 4]))))  # = sqrt(3) x the rise of eps_eq in pure shear
    assert dg == pytest.approx(0.01, rel=1e-12) and accumulated == pytest.approx(0.02, rel=1e-12)
    assert life.engelmaier(dg, 42.5, 48)[0] == pytest.approx(17129, rel=2e-4)
    assert life.engelmaier(accumulated, 42.5, 48)[0] == pytest.approx(3025.1, rel=2e-4)


def test_strain_path_ranges_by_hand():
    """Ranges of strain paths (engineering shear), exact to round-off (rel 1e-12):
    - simple shear gamma_xz 0, 0.4 %, -0.6 %, 0.2 %: range 1.0 % (sqrt(3) eps_eq of (0,0,0,0,g,0) = g);
    - a circle of radius a = 1 % in (gamma_yz, gamma_xz), 8 samples: the range is the diameter 2a = 2 %, while the
      accumulated shear over the closed octagon is its perimeter 16 a sin(pi/8) = 6.1229 % (3.06x);
    - axial eps_zz 0 -> A = 0.3 %: dev = A (-1/3, -1/3, 2/3), eps_eq = sqrt(2/3 * 6 A^2/9) = 2A/3, so
      sqrt(3) eps_eq = 2A / sqrt(3) = 0.34641 %, and no transverse shear;
    - several paths at once (trailing axes) give each its own range."""
    g = np.zeros((4, 6))
    g[:, 4] = [0.0, 0.004, -0.006, 0.002]
    assert float(life.equivalent_shear_strain_range(g)) == pytest.approx(0.010, rel=1e-12)
    assert float(life.transverse_shear_strain_range(g)) == pytest.approx(0.010, rel=1e-12)
    th = 2 * np.pi * np.arange(8) / 8
    c = np.zeros((8, 6))
    c[:, 3], c[:, 4] = 0.01 * np.sin(th), 0.01 * np.cos(th)
    assert float(life.equivalent_shear_strain_range(c)) == pytest.approx(0.02, rel=1e-12)
    assert float(life.transverse_shear_strain_range(c)) == pytest.approx(0.02, rel=1e-12)
    perimeter = np.sum(np.hypot(np.diff(np.r_[c[:, 3], c[0, 3]]), np.diff(np.r_[c[:, 4], c[0, 4]])))
    assert perimeter == pytest.approx(0.061229349, rel=1e-8)
    a = np.zeros((2, 6))
    a[1, 2] = 0.003
    assert float(life.equivalent_shear_strain_range(a)) == pytest.approx(2 * 0.003 / math.sqrt(3), rel=1e-12)
    assert float(life.transverse_shear_strain_range(a)) == 0.0
    both = np.stack([g[[0, 1, 2, 3]], c[[0, 2, 4, 6]]], axis=1)  # (4 samples, 2 paths, 6)
    assert life.equivalent_shear_strain_range(both) == pytest.approx([0.010, 0.02], rel=1e-12)


def test_life_refuses_nonsense_inputs():
    with pytest.raises(InputError, match="life.syed.W_acc"):
        life.syed(0.0)
    with pytest.raises(InputError, match="life.coffin_manson.c"):
        life.coffin_manson(0.01, 0.3, 0.5)
    with pytest.raises(InputError, match="crack_length"):
        life.darveaux(1e5, -1.0, life.DARVEAUX_SNPB_2000)


def _case_materials(entry: dict):
    from fcpkg_fem.materials.spec import resolve_materials

    return resolve_materials({"my_solder": entry})["my_solder"]


def test_case_file_solder_family_and_darveaux_constants():
    """From a case file's materials section: a material based on a library solder inherits its family (SAC: no
    Darveaux, with the reason, never SnPb's); a new one names its family; its own Darveaux fit is used, and the life
    from it is the hand value: K1 = 10000, K2 = -1.5, K3 = 1e-6, K4 = 1.0, dW = 0.1 MPa = 14.5038 psi, a = 0.3 mm
    = 0.0118110 in: N0 = 10000 * 14.5038^-1.5 = 181.04; da/dN = 1e-6 * 14.5038 = 1.45038e-5 in/cycle; growth
    0.0118110 / 1.45038e-5 = 814.34; N_f = 995.38."""
    sac = _case_materials({"base": "sac305"})
    assert life.solder_family(sac) == "SnAgCu"
    c, why = life.darveaux_constants(sac)
    assert c is None and why == life.NO_SAC_DARVEAUX
    snpb = _case_materials({"base": "copper", "solder_family": "SnPb", "source": "test"})
    assert life.darveaux_constants(snpb)[0] is life.DARVEAUX_SNPB_2000
    own = _case_materials({"base": "sac305", "darveaux": {
        "K1": 10000, "K2": -1.5, "K3": 1e-6, "K4": 1.0, "layer_thickness": "25.4 um", "source": "a test fit"}})
    c, why = life.darveaux_constants(own)
    assert why == "the material's own constants" and c.family == "SnAgCu" and c.source == "a test fit"
    assert c.layer_thickness_m == pytest.approx(25.4e-6, rel=1e-12)
    Nf, info = life.darveaux(1e5, 0.3e-3, c, layer_thickness_m=25.4e-6)
    assert info["N0_cycles"] == pytest.approx(181.04, rel=1e-4)
    assert Nf == pytest.approx(995.38, rel=1e-4)


@pytest.mark.parametrize("entry,field", [
    ({"base": "sac305", "solder_family": "SAC"}, "materials.my_solder.solder_family"),
    ({"base": "sac305", "darveaux": {"K1": 1, "K2": -1, "K3": 1e-7, "K4": 1, "layer_thickness": "25 um"}},
     "materials.my_solder.darveaux.source"),
    ({"base": "sac305", "darveaux": {"K1": -1, "K2": -1, "K3": 1e-7, "K4": 1, "layer_thickness": "25 um",
                                     "source": "x"}}, "materials.my_solder.darveaux.K1"),
    ({"base": "sac305", "darveaux": {"K1": 1, "K2": -1, "K3": 1e-7, "K4": 1, "layer_thickness": "25 um",
                                     "source": "x", "K5": 2}}, "materials.my_solder.darveaux.K5"),
    ({"base": "sac305", "darveaux": "22400"}, "materials.my_solder.darveaux"),
])
def test_bad_case_life_constants_name_the_field(entry, field):
    with pytest.raises(InputError) as e:
        _case_materials(entry)
    assert field in str(e.value)
