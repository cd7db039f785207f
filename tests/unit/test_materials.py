"""Material models, library and the case ``materials:`` block.

Each test states the exact expectation; floating-point comparisons use a relative tolerance of 1e-13 or tighter
(round-off only), since every quantity here has a closed form.
"""

import numpy as np
import pytest

from fcpkg_fem.errors import InputError
from fcpkg_fem.materials import (
    CTE,
    Isotropic,
    Material,
    Orthotropic,
    Table,
    builtin_names,
    get,
    resolve_materials,
)
from fcpkg_fem.materials.library import SILICON_CIJ

RTOL = 1e-13


def _mat(elastic=None, cte=None, name="m"):
    return Material(
        name=name,
        elastic=elastic or Isotropic(Table.constant(10e9), Table.constant(0.3)),
        cte=cte or CTE.isotropic(10e-6),
        k=Table.constant(1.0),
        rho=Table.constant(1000.0),
        cp=Table.constant(1000.0),
    )


# ---------------------------------------------------------------------------------------------------------------
# Table
# ---------------------------------------------------------------------------------------------------------------


def test_table_interpolates_linearly_and_is_constant_beyond_ends():
    t = Table((0.0, 100.0, 200.0), (10.0, 30.0, 0.0))
    np.testing.assert_array_equal(t([-50.0, 0.0, 25.0, 100.0, 150.0, 200.0, 300.0]),
                                  [10.0, 10.0, 15.0, 30.0, 15.0, 0.0, 0.0])
    assert t(np.zeros((2, 3))).shape == (2, 3)
    assert t(50.0).shape == ()


def test_constant_table_is_one_point():
    t = Table.constant(7.5)
    np.testing.assert_array_equal(t([-100.0, 0.0, 1e4]), 7.5)
    np.testing.assert_allclose(t.integrate(10.0, 30.0), 150.0, rtol=RTOL)


def test_table_integral_is_exact_trapezoid_plus_constant_tails():
    """Integral of f = {10 at T<=0; 10 + 0.2 T on [0,100]; 30 - 0.3 (T-100) on [100,200]; 0 beyond} from -50 to 250:

    tails 10*50 + 0*50 = 500; [0,100] trapezoid (10+30)/2*100 = 2000; [100,200] (30+0)/2*100 = 1500 -> 4000.
    Inside a segment, integral from 0 to 50 = 10*50 + 0.2*50^2/2 = 750.
    """
    t = Table((0.0, 100.0, 200.0), (10.0, 30.0, 0.0))
    np.testing.assert_allclose(t.integrate(-50.0, 250.0), 4000.0, rtol=RTOL)
    np.testing.assert_allclose(t.integrate(0.0, 50.0), 750.0, rtol=RTOL)
    np.testing.assert_allclose(t.integrate(50.0, 0.0), -750.0, rtol=RTOL)
    # vectorised with broadcasting of T0 and T
    got = t.integrate(np.array([[0.0], [50.0]]), np.array([50.0, 100.0]))
    np.testing.assert_allclose(got, [[750.0, 2000.0], [0.0, 1250.0]], rtol=RTOL, atol=1e-12)


def test_table_rejects_bad_data():
    with pytest.raises(ValueError):
        Table((0.0, 0.0, 0.0), (1.0, 2.0, 3.0))  # a temperature may repeat only once (a jump)
    with pytest.raises(ValueError):
        Table((10.0, 0.0), (1.0, 2.0))
    with pytest.raises(ValueError):
        Table((0.0, 1.0), (1.0,))
    with pytest.raises(ValueError):
        Table((0.0,), (float("nan"),))


def test_step_table_values_either_side_of_the_jump():
    t = Table.step(128.0, 11e-6, 36e-6)
    np.testing.assert_array_equal(t([-55.0, 127.999, 128.0, 200.0]), [11e-6, 11e-6, 36e-6, 36e-6])


# ---------------------------------------------------------------------------------------------------------------
# Thermal strain
# ---------------------------------------------------------------------------------------------------------------


def test_glassy_rubbery_strain_across_tg_equals_hand_integral():
    """EMC: alpha1 = 11, alpha2 = 36 ppm/K, Tg = 128 C. Cooling from 175 C to -55 C:
    eps = 36e-6 (128 - 175) + 11e-6 (-55 - 128) = -1.692e-3 - 2.013e-3 = -3.705e-3 (each direction)."""
    cte = CTE.glassy_rubbery(11e-6, 36e-6, 128.0)
    eps = _mat(cte=cte).thermal_strain(-55.0, 175.0)
    assert eps.shape == (1, 3)
    np.testing.assert_allclose(eps, -3.705e-3, rtol=RTOL)
    # Heating across Tg from below: 25 -> 200 C: 11e-6*103 + 36e-6*72 = 1.133e-3 + 2.592e-3
    np.testing.assert_allclose(_mat(cte=cte).thermal_strain(200.0, 25.0), 3.725e-3, rtol=RTOL)
    # Both ends on one side of Tg: plain alpha dT
    np.testing.assert_allclose(_mat(cte=cte).thermal_strain(100.0, 25.0), 11e-6 * 75, rtol=RTOL)
    # The strain is continuous at Tg (a kink, not a jump)
    e = _mat(cte=cte).thermal_strain([128.0 - 1e-9, 128.0, 128.0 + 1e-9], 25.0)[:, 0]
    assert np.ptp(e) < 1e-12


def test_library_emc_matches_glassy_rubbery_hand_value():
    eps = get("emc").thermal_strain([25.0, 260.0], 175.0)
    np.testing.assert_allclose(eps[:, 2], [11e-6 * (25 - 128) + 36e-6 * (128 - 175), 36e-6 * (260 - 175)],
                               rtol=RTOL)


@pytest.mark.parametrize("kind, T0", [("instantaneous", None), ("secant", 25.0), ("secant", -40.0)])
def test_constant_alpha_gives_alpha_dT_either_way(kind, T0):
    cte = CTE.isotropic(17.7e-6, kind=kind, T0=T0)
    T = np.array([-55.0, 25.0, 125.0, 260.0])
    eps = _mat(cte=cte).thermal_strain(T, 217.0)
    np.testing.assert_allclose(eps, np.repeat((17.7e-6 * (T - 217.0))[:, None], 3, axis=1), rtol=1e-12)


def test_linear_instantaneous_alpha_integrates_exactly():
    """alpha(T) = a0 + b T on [0, 200] (a0 = 10e-6, b = 0.1e-6 /K^2):
    eps(150; 50) = a0 (150 - 50) + b (150^2 - 50^2) / 2 = 1e-3 + 1e-3 = 2e-3."""
    alpha = Table((0.0, 200.0), (10e-6, 30e-6))
    eps = _mat(cte=CTE.isotropic(alpha)).thermal_strain(150.0, 50.0)
    np.testing.assert_allclose(eps, 2e-3, rtol=RTOL)


def test_secant_definition_and_consistency_with_instantaneous():
    """Secant alpha_s(T) from T0 = 20 C with alpha_s linear: eps(T) - eps(T_ref) = a_s(T)(T-T0) - a_s(T_ref)(T_ref-T0).

    For a linear instantaneous alpha(T) = a + b T the secant from T0 is a_s(T) = a + b (T + T0)/2, itself linear:
    both descriptions must give the same strain."""
    a, b, T0 = 10e-6, 0.1e-6, 20.0
    Tc = np.array([-50.0, 250.0])
    inst = CTE.isotropic(Table(Tc, a + b * Tc))
    sec = CTE.isotropic(Table(Tc, a + b * (Tc + T0) / 2), kind="secant", T0=T0)
    T = np.linspace(-50.0, 250.0, 7)
    np.testing.assert_allclose(_mat(cte=sec).thermal_strain(T, 175.0), _mat(cte=inst).thermal_strain(T, 175.0),
                               rtol=1e-12, atol=1e-18)
    # hand value for one point: alpha_s(100) (100 - 20) - alpha_s(175)(175 - 20)
    hand = (a + b * 60) * 80 - (a + b * 97.5) * 155
    np.testing.assert_allclose(sec.strain(100.0, 175.0)[0, 0], hand, rtol=RTOL)


def test_thermal_strain_broadcasts_T_and_Tref():
    m = _mat(cte=CTE.transverse(10e-6, 50e-6))
    eps = m.thermal_strain(np.array([[0.0, 100.0]]), np.array([[25.0], [75.0]]))
    assert eps.shape == (2, 2, 3)
    np.testing.assert_allclose(eps[1, 1], [25 * 10e-6, 25 * 10e-6, 25 * 50e-6], rtol=RTOL)


def test_secant_needs_reference_temperature():
    with pytest.raises(ValueError):
        CTE.isotropic(10e-6, kind="secant")


# ---------------------------------------------------------------------------------------------------------------
# Elasticity
# ---------------------------------------------------------------------------------------------------------------


def test_isotropic_stiffness_inverse_is_the_compliance_from_E_nu():
    E, nu = 130e9, 0.28
    C = Isotropic(Table.constant(E), Table.constant(nu)).stiffness(25.0)[0]
    S = np.zeros((6, 6))
    S[:3, :3] = -nu / E
    np.fill_diagonal(S[:3, :3], 1 / E)
    S[3:, 3:] = np.eye(3) * 2 * (1 + nu) / E  # engineering shear: 1/G
    np.testing.assert_allclose(np.linalg.inv(C), S, rtol=1e-12, atol=1e-30)
    # Lame form: C11 = lambda + 2 mu, C12 = lambda, C44 = mu
    lam, mu = E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))
    np.testing.assert_allclose([C[0, 0], C[0, 1], C[3, 3]], [lam + 2 * mu, lam, mu], rtol=RTOL)


def test_isotropic_temperature_dependent_stiffness_vectorised():
    el = get("die_attach_lowmod").elastic
    C = el.stiffness(np.array([-65.0, 25.0, 87.5]))
    assert C.shape == (3, 6, 6)
    E_mid = 875e6 + (3e6 - 875e6) * (87.5 - 25) / 125  # linear between 25 C and 150 C
    np.testing.assert_allclose(1 / np.linalg.inv(C)[:, 0, 0], [2330e6, 875e6, E_mid], rtol=1e-12)


def test_orthotropic_stiffness_times_compliance_is_identity_and_compliance_symmetric():
    m = get("bt_laminate")
    T = np.array([25.0, 250.0])
    C, S = m.stiffness(T), m.compliance(T)
    np.testing.assert_allclose(C @ S, np.broadcast_to(np.eye(6), (2, 6, 6)), atol=1e-12)
    np.testing.assert_array_equal(S, np.swapaxes(S, -1, -2))
    el = m.elastic
    # reciprocity nu_ij / E_i = nu_ji / E_j, with nu_ji = -S_ij E_j
    S0 = S[0]
    nu31 = -S0[0, 2] * el.E3(25.0)
    np.testing.assert_allclose(nu31 / el.E3(25.0), el.nu13(25.0) / el.E1(25.0), rtol=RTOL)
    # engineering constants come back out of the compliance
    np.testing.assert_allclose([1 / S0[0, 0], 1 / S0[2, 2], 1 / S0[5, 5], 1 / S0[3, 3]],
                               [23e9, 8e9, 23e9 / (2 * 1.18), 3.5e9], rtol=RTOL)


def test_orthotropic_not_positive_definite_is_refused_with_material_name():
    bad = Orthotropic(E1=1e9, E2=1e9, E3=1e9, nu12=0.9, nu13=0.9, nu23=0.9, G12=1e9, G13=1e9, G23=1e9)
    with pytest.raises(InputError) as exc:
        _mat(elastic=bad, name="weird_laminate")
    assert exc.value.problems[0].field == "materials.weird_laminate"
    assert "positive definite" in exc.value.problems[0].message


def test_isotropic_nu_half_refused():
    with pytest.raises(InputError, match="nu must lie"):
        _mat(elastic=Isotropic(Table.constant(1e9), Table.constant(0.5)), name="rubber")


def test_silicon_110_is_the_rotated_cubic_crystal():
    """Along <100> (z): E = (C11-C12)(C11+2C12)/(C11+C12); in-plane along <110>:
    1/E_110 = S11 - (2 S11 - 2 S12 - S44)/4 (cubic compliances); G_xy = (C11 - C12)/2."""
    C11, C12, C44 = SILICON_CIJ
    Cc = np.zeros((6, 6))
    Cc[:3, :3] = C12
    np.fill_diagonal(Cc, [C11] * 3 + [C44] * 3)
    Sc = np.linalg.inv(Cc)
    S11, S12, S44 = Sc[0, 0], Sc[0, 1], Sc[3, 3]
    E110 = 1 / (S11 - (2 * S11 - 2 * S12 - S44) / 4)
    el = get("silicon_110").elastic
    np.testing.assert_allclose(el.E3(25.0), (C11 - C12) * (C11 + 2 * C12) / (C11 + C12), rtol=RTOL)
    np.testing.assert_allclose(el.E1(25.0), E110, rtol=1e-12)
    np.testing.assert_allclose(el.G12(25.0), (C11 - C12) / 2, rtol=1e-12)
    np.testing.assert_allclose(get("silicon").elastic.E(25.0), el.E3(25.0), rtol=RTOL)
    assert 168e9 < E110 < 170e9  # the familiar 169 GPa


# ---------------------------------------------------------------------------------------------------------------
# Library
# ---------------------------------------------------------------------------------------------------------------

REQUIRED = {"silicon", "copper", "sac305", "snpb", "bt_laminate", "polyimide", "solder_mask", "emc",
            "die_attach_lowmod"}


def test_library_has_required_materials_each_with_sources():
    assert REQUIRED <= set(builtin_names())
    for name in builtin_names():
        m = get(name)
        assert m.name == name
        for prop in ("E", "nu", "cte", "k", "rho", "cp"):
            assert m.sources.get(prop), f"{name}: no source for {prop}"
        if m.Tg is not None:
            assert m.sources.get("Tg"), f"{name}: no source for Tg"
        assert m.has_thermal


def test_library_values_against_their_sources():
    kap = get("polyimide")
    np.testing.assert_allclose(kap.elastic.E([23.0, 200.0]), [2.5e9, 2.0e9])  # DuPont: 2.5 / 2.0 GPa
    np.testing.assert_allclose(kap.thermal_strain(38.0, -14.0)[0, :2], 20e-6 * 52, rtol=RTOL)
    np.testing.assert_allclose(get("copper").elastic.E(25.0), 18850 * 6894757.293168361, rtol=RTOL)
    da = get("die_attach_lowmod").elastic.E([-65.0, 25.0, 150.0, 250.0])
    np.testing.assert_array_equal(da, [2330e6, 875e6, 3e6, 2e6])
    emc = get("emc")
    assert emc.Tg == 128.0 and emc.elastic.E(25.0) == 23e9
    np.testing.assert_allclose(get("silicon").cte.x(25.0), 2.5526e-6, rtol=1e-4)  # Okada-Tokumaru at 298.15 K


def test_sac305_anand_steady_state_closed_form():
    """z = (rate/A) exp(Q/RT), sigma = (s_hat z^n / xi) asinh(z^m): about 42 MPa at 25 C, 1e-3 1/s."""
    a = get("sac305").extra["anand"]
    s = a.steady_state_stress(1e-3, [25.0, 125.0]) / 1e6
    z = 1e-3 / 3501 * np.exp(9320 / 298.15)
    np.testing.assert_allclose(s[0], 30.2 * z**0.01 / 4.0 * np.arcsinh(z**0.25), rtol=1e-12)
    assert 41.5 < s[0] < 42.5 and s[1] < s[0]


def test_unknown_library_name_suggests_closest():
    with pytest.raises(InputError) as exc:
        get("sac350", field="package.bumps.material")
    p = exc.value.problems[0]
    assert p.field == "package.bumps.material"
    assert "did you mean 'sac305'" in p.message
    assert get("SAC305") is get("sac305")


def test_with_overrides_returns_new_material_and_merges_sources():
    base = get("copper")
    new = base.with_overrides(name="cu_soft", elastic=Isotropic(Table.constant(100e9), Table.constant(0.34)),
                              sources={"E": "test"})
    assert base.elastic.E(0.0) != new.elastic.E(0.0)
    assert new.sources["E"] == "test" and new.sources["cte"] == base.sources["cte"]
    with pytest.raises(TypeError):
        base.with_overrides(colour="red")


def test_mechanics_only_material_says_what_is_missing():
    m = Material(name="x", elastic=Isotropic(1e9, 0.3), cte=CTE.isotropic(1e-5))
    assert not m.has_thermal
    with pytest.raises(InputError, match="materials.x.conductivity"):
        m.conductivity(25.0)


# ---------------------------------------------------------------------------------------------------------------
# Case `materials:` block
# ---------------------------------------------------------------------------------------------------------------


def test_spec_override_of_library_material():
    mats = resolve_materials({
        "my_glue": {
            "base": "die_attach_lowmod",
            "E": {"temperature": [-65, "25 C", "300 K"], "value": ["2 GPa", 800, "5 MPa"]},
            "Tg": "80 C",
            "source": "our DMA, 2024",
        },
    })
    g = mats["my_glue"]
    assert set(builtin_names()) <= set(mats)
    np.testing.assert_allclose(g.elastic.E([-65.0, 25.0, 26.85]), [2e9, 800e6, 5e6], rtol=1e-9)  # 300 K = 26.85 C
    assert g.elastic.nu(0.0) == get("die_attach_lowmod").elastic.nu(0.0)  # kept from the base
    assert g.Tg == 80.0
    # Tg override moves the base's glassy/rubbery CTE step: 25 -> 100 C = 62e-6*55 + 238e-6*20
    np.testing.assert_allclose(g.thermal_strain(100.0, 25.0), 62e-6 * 55 + 238e-6 * 20, rtol=RTOL)
    assert g.sources["E"] == "our DMA, 2024"
    assert g.sources["cte"] == get("die_attach_lowmod").sources["cte"]


def test_spec_new_material_orthotropic_secant():
    mats = resolve_materials({
        "lam": {
            "source": "vendor sheet",
            "orthotropic": {"E1": "20 GPa", "E2": "20 GPa", "E3": "8 GPa", "nu12": 0.2, "nu13": 0.3, "nu23": 0.3,
                            "G12": "8 GPa", "G13": "3 GPa", "G23": "3 GPa"},
            "cte_xy": 14,
            "cte_z": {"temperature": [25, 200], "value": [40, 60]},
            "cte_kind": "secant",
            "cte_reference_temperature": "25 C",
            "conductivity_xy": "0.8 W/mK",
            "conductivity_z": 0.3,
        }
    })
    lam = mats["lam"]
    assert lam.is_orthotropic and lam.cte.kind == "secant" and lam.cte.T0 == 25.0
    # secant: eps(200; 25) = alpha_s(200) * 175 - alpha_s(25) * 0
    np.testing.assert_allclose(lam.thermal_strain(200.0, 25.0)[0], [14e-6 * 175, 14e-6 * 175, 60e-6 * 175],
                               rtol=RTOL)
    np.testing.assert_allclose(lam.conductivity(25.0)[0], [0.8, 0.8, 0.3])
    assert not lam.has_thermal  # no density / specific heat given


def test_spec_glassy_rubbery_new_material():
    m = resolve_materials({"resin": {"source": "s", "E": "12 GPa", "nu": 0.3, "Tg": "150 C",
                                     "cte": {"glassy": "15 ppm/K", "rubbery": 50}}})["resin"]
    np.testing.assert_allclose(m.thermal_strain(175.0, 25.0), 15e-6 * 125 + 50e-6 * 25, rtol=RTOL)


def test_spec_collects_every_problem_with_dotted_paths():
    with pytest.raises(InputError) as exc:
        resolve_materials({
            "g1": {"base": "die_atach_lowmod"},
            "g2": {"E": {"temperature": [25, 20], "value": ["2 GPa", "1 GPa"]}, "nu": 0.3, "cte": 20},
            "g3": {"source": "x", "E": {"temperature": [25, 100, 150], "value": ["2 GPa", "800 MPa", "5 mm"]},
                   "nu": 0.6, "ctee": 20, "cte_xy": 10},
            "g4": {"base": "emc", "cte_kind": "secant", "cte": {"glassy": 10, "rubbery": 30},
                   "cte_reference_temperature": 25},
            "g5": {"base": "emc", "E": {"temperature": [25], "value": [1, 2]}, "density": -1},
        })
    fields = {p.field: p.message for p in exc.value.problems}
    assert "did you mean 'die_attach_lowmod'" in fields["materials.g1.base"]
    assert "materials.g2.source" in fields
    assert "increase strictly" in fields["materials.g2.E.temperature[1]"]
    assert "'5 mm' is not a stress" in fields["materials.g3.E.value[2]"]
    assert "(-1, 0.5)" in fields["materials.g3.nu"]
    assert "did you mean 'cte'" in fields["materials.g3.ctee"]
    assert "materials.g3.cte_z" in fields
    assert "instantaneous step" in fields["materials.g4.cte"]
    assert "must match" in fields["materials.g5.E"]
    assert "must be > 0" in fields["materials.g5.density"]


def test_spec_in_place_override_and_none():
    assert set(resolve_materials(None)) == set(builtin_names())
    mats = resolve_materials({"sac305": {"nu": 0.35}})
    assert mats["sac305"].elastic.nu(0.0) == 0.35
    assert mats["sac305"].extra["anand"] is get("sac305").extra["anand"]
    with pytest.raises(InputError, match="not a mapping"):
        resolve_materials(["sac305"])


def test_docs_example_resolves_and_lists_every_builtin():
    """docs/materials.md: its YAML example is valid, and every built-in material has a section."""
    import pathlib
    import re

    import yaml

    text = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "materials.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    mats = resolve_materials(yaml.safe_load(block)["materials"])
    assert mats["my_adhesive"].Tg == 80.0
    assert mats["core_x"].cte.kind == "secant" and mats["low_moisture_resin"].has_thermal
    for name in builtin_names():
        assert f"### `{name}`" in text


# ---------------------------------------------------------------------------------------------------------------
# Nonlinear model parameters in the case `materials:` block
# ---------------------------------------------------------------------------------------------------------------

MOTALAB_SATURATION = {"temperature": ["25 C", "50 C", "100 C", "125 C"], "strain_rate": "1e-3 1/s",
                      "stress": ["40.5 MPa", "33.5 MPa", "24.0 MPa", "21.5 MPa"]}


def _problems(block, **kw):
    with pytest.raises(InputError) as exc:
        resolve_materials(block, **kw)
    return {p.field: p.message for p in exc.value.problems}


def test_spec_anand_subset_over_base_and_steady_state_fit():
    """A subset of the constants overrides the base's (units parsed: '28.28 MPa' -> Pa, '9000 K' stays K); the
    YAML fit of the Motalab et al. 2012 saturation stresses reproduces the library's sac305_refit exactly (the same
    least squares)."""
    pub = get("sac305").extra["anand"]
    mats = resolve_materials({
        "my_sac": {"base": "sac305", "source": "our creep tests", "anand": {"s_hat": "28.28 MPa", "Q_R": "9000 K"}},
        "fit_sac": {"base": "sac305", "source": "Motalab et al. 2012 saturation stresses",
                    "anand": {"fit_steady_state": MOTALAB_SATURATION}},
    })
    a = mats["my_sac"].extra["anand"]
    assert a.s_hat == pytest.approx(28.28e6, rel=1e-12) and a.Q_R == 9000.0
    assert (a.s0, a.A, a.xi, a.m, a.h0, a.n, a.a) == (pub.s0, pub.A, pub.xi, pub.m, pub.h0, pub.n, pub.a)
    assert a.source.startswith("Q_R, s_hat: our creep tests; other constants: Motalab")  # in constant order
    assert mats["my_sac"].sources["anand"] == a.source
    assert mats["my_sac"].extra["anand"] is not pub  # the library material is untouched
    f = mats["fit_sac"].extra["anand"]
    assert f.s_hat == pytest.approx(get("sac305_refit").extra["anand"].s_hat, rel=1e-9)
    assert "largest misfit 3.2 %" in f.source and "Motalab et al. 2012 saturation stresses" in f.source


def test_spec_anand_bad_input_names_each_field():
    probs = _problems({
        "new_solder": {"source": "x", "E": "40 GPa", "nu": 0.35, "cte": 22, "anand": {"s0": "20 MPa", "m": 1.5}},
        "bad_fit": {"base": "sac305", "anand": {"fit_steady_state": {**MOTALAB_SATURATION, "free": ["h0"]}}},
        "short_fit": {"base": "sac305", "anand": {"fit_steady_state": {**MOTALAB_SATURATION, "stress": ["40 MPa"]}}},
        "bad_a": {"base": "sac305", "anand": {"a": 0.5, "xi": "4 MPa", "shat": 1}},
    })
    assert "1.5 must lie in (0, 1]" in probs["materials.new_solder.anand.m"]
    for key in ("Q_R", "A", "xi", "h0", "s_hat", "n", "a"):
        assert "missing" in probs[f"materials.new_solder.anand.{key}"]
    assert "s0, h0, a do not act" in probs["materials.bad_fit.anand.fit_steady_state.free"]
    assert "same length" in probs["materials.short_fit.anand.fit_steady_state"]
    assert "must be >= 1" in probs["materials.bad_a.anand.a"]
    assert "'4 MPa' is not a dimensionless number" in probs["materials.bad_a.anand.xi"]
    assert "did you mean 's_hat'" in probs["materials.bad_a.anand.shat"]


def test_spec_j2_tables_and_zero_hardening():
    mats = resolve_materials({
        "cu_a": {"base": "copper", "source": "lot 7", "j2": {"sigma_y": {"temperature": [-55, 25, 150],
                                                                          "value": ["260 MPa", 240, "190 MPa"]},
                                                              "H_kin": "0 MPa"}},
        "cu_new": {"source": "x", "E": "120 GPa", "nu": 0.34, "cte": 17, "j2": {"sigma_y": "180 MPa"}},
    })
    j = mats["cu_a"].extra["j2"]
    np.testing.assert_allclose(j.sigma_y([-55.0, 25.0, 87.5]), [260e6, 240e6, 215e6], rtol=1e-12)
    assert float(j.H_kin(25.0)) == 0.0
    assert float(j.H_iso(25.0)) == float(get("copper").extra["j2"].H_iso(25.0))  # kept from the base
    n = mats["cu_new"].extra["j2"]
    assert float(n.sigma_y(0.0)) == 180e6 and float(n.H_iso(0.0)) == 0.0 and float(n.H_kin(0.0)) == 0.0
    probs = _problems({"cu_b": {"base": "copper", "j2": {"sigma_y": "0 MPa", "H_iso": "-1 MPa"}},
                       "cu_c": {"source": "x", "E": "120 GPa", "nu": 0.34, "cte": 17, "j2": {"H_kin": 1}}})
    assert "must be > 0" in probs["materials.cu_b.j2.sigma_y"]
    assert "must be >= 0" in probs["materials.cu_b.j2.H_iso"]
    assert "needs a yield stress" in probs["materials.cu_c.j2.sigma_y"]


def test_spec_prony_files_relative_to_base_dir_and_shift_only(tmp_path):
    """A Prony table and a measured E(t) load from files relative to ``base_dir``; the same series as the Python
    loaders give; shift keys alone move the base's shift; file and argument problems name the field."""
    from fcpkg_fem.materials.prony import fit_relaxation_csv, load_prony_csv

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "p.csv").write_text("tau_s,G_MPa,K_MPa\ninf,100,500\n1.0,2000,1000\n100,1000,0\n")
    t = np.logspace(-1, 3, 9)
    (tmp_path / "e.csv").write_text("time_s,E_MPa\n" + "\n".join(f"{x:.17g},{100 + 900 * np.exp(-x / 10):.17g}"
                                                                   for x in t))
    with pytest.warns(UserWarning, match="E\\(t\\) alone"):  # 'my' splits a measured E(t) with a constant nu
        mats = resolve_materials({
            "mx": {"base": "emc", "source": "DMA", "prony": {"csv": "data/p.csv", "Tref": "150 C", "Tg": "130 C",
                                                              "C1": 17.4, "C2": "51.6 K", "Ea_R": "12000 K"}},
            "my": {"base": "emc", "source": "relax", "prony": {"relaxation_csv": "e.csv", "Tref": 25, "nu": 0.3,
                                                                "Ea_R": "10000 K"}},
            "mz": {"base": "emc", "source": "our WLF", "prony": {"C1": 15.0}},
        }, base_dir=tmp_path)
    p = mats["mx"].extra["prony"]
    ref = load_prony_csv(tmp_path / "data" / "p.csv", Tref_C=150.0, Tg_C=130.0, C1=17.4, C2=51.6, Ea_R=12000.0)
    np.testing.assert_array_equal(p.G, ref.G)
    assert (p.G_inf, p.K_inf, p.Tg_C, p.C1, p.C2, p.Ea_R) == (ref.G_inf, ref.K_inf, 130.0, 17.4, 51.6, 12000.0)
    assert "DMA" in p.source and mats["mx"].sources["prony"] == p.source
    q = mats["my"].extra["prony"]
    with pytest.warns(UserWarning):
        ref = fit_relaxation_csv(tmp_path / "e.csv", 0.3, Tref_C=25.0, Ea_R=10000.0)
    np.testing.assert_array_equal(q.G, ref.G)
    base = get("emc").extra["prony"]
    z = mats["mz"].extra["prony"]
    assert z.C1 == 15.0 and z.C2 == base.C2 and np.array_equal(z.G, base.G)
    probs = _problems({
        "m1": {"base": "emc", "prony": {"csv": "missing.csv", "Tref": 25}},
        "m2": {"base": "emc", "prony": {"relaxation_csv": "e.csv", "Tref": 25}},
        "m3": {"base": "emc", "prony": {"csv": "data/p.csv"}},
        "m4": {"base": "copper", "prony": {"C1": 10}},
        "m5": {"base": "emc", "prony": {"csv": "a.csv", "relaxation_csv": "e.csv", "Tref": 25}},
    }, base_dir=tmp_path)
    assert "missing.csv" in probs["materials.m1.prony.csv"]
    assert "Poisson ratio" in probs["materials.m2.prony.nu"]
    assert "missing" in probs["materials.m3.prony.Tref"]
    assert "base has a Prony series" in probs["materials.m4.prony"]
    assert "not both" in probs["materials.m5.prony"]


def test_docs_model_parameter_example_resolves(tmp_path):
    """docs/materials.md: the second YAML example (model parameters) resolves, with its CSV file provided."""
    import pathlib
    import re

    import yaml

    text = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "materials.md").read_text()
    block = re.findall(r"```yaml\n(.*?)```", text, re.S)[1]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mold_x_prony.csv").write_text("tau_s,G_GPa,K_GPa\ninf,0.2,1\n1e-3,4,2\n1,3,1\n1e3,1,0\n")
    mats = resolve_materials(yaml.safe_load(block)["materials"], base_dir=tmp_path)
    assert mats["bump_solder"].extra["anand"].s_hat != get("sac305").extra["anand"].s_hat
    assert float(mats["plated_cu"].extra["j2"].sigma_y(25.0)) == 240e6
    assert mats["mold_x"].extra["prony"].Tg_C == 130.0
