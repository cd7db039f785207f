"""Quadrature-point material models (fcpkg_fem.constitutive): closed forms, consistent tangents, contract.

Every tolerance carries its reason. Strains are engineering-shear Voigt [xx, yy, zz, yz, xz, xy]; stresses in Pa.
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest
from scipy import integrate

from fcpkg_fem.constitutive import MODELS, cure_strain, make_model, viscoelastic
from fcpkg_fem.constitutive.viscoelastic import mean_inverse_shift
from fcpkg_fem.errors import InputError
from fcpkg_fem.materials import get
from fcpkg_fem.materials.model import CureShrinkage, J2Params, PronyParams, Table
from fcpkg_fem.materials.prony import fit_relaxation_csv, load_prony_csv

MPa = 1e6
GPa = 1e9


# ------------------------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------------------------


def uniaxial_stress_step(model, state, eps_axial, T0, T1, dt, guess):
    """One increment under uniaxial stress along x: eps_xx prescribed, eps_yy = eps_zz found so that
    sigma_yy = sigma_zz = 0 (Newton with the model's own tangent), shears zero. Vectorised over points."""
    eps = guess.copy()
    eps[:, 0] = eps_axial
    for _ in range(50):
        sig, D, new = model.update(eps, T0, T1, dt, state)
        r = sig[:, 1:3]
        if np.all(np.abs(r) <= 1e-9 * np.maximum(1.0, np.abs(sig[:, 0:1]))):
            return sig, new, eps
        eps[:, 1:3] -= np.linalg.solve(D[:, 1:3, 1:3], r[..., None])[..., 0]
    raise AssertionError("lateral stress iteration did not converge")


def fd_tangent(model, eps, T0, T1, dt, state, h=1e-7):
    """Central finite differences of update() with respect to each strain component (engineering shear)."""
    cols = []
    for j in range(6):
        ep, em = eps.copy(), eps.copy()
        ep[:, j] += h
        em[:, j] -= h
        cols.append((model.update(ep, T0, T1, dt, state)[0] - model.update(em, T0, T1, dt, state)[0]) / (2 * h))
    return np.stack(cols, axis=-1)


def j2_copper(sy=200 * MPa, H_iso=0.0, H_kin=0.0):
    p = J2Params(sigma_y=Table((-50.0, 150.0), (sy, 0.6 * sy)), H_iso=H_iso, H_kin=H_kin, source="test")
    return get("copper").with_overrides(extra={"j2": p})


def prony_material(params, name="resin"):
    return get("emc").with_overrides(name=name, extra={"prony": params})


ONE_TERM = PronyParams(G_inf=1.0 * GPa, G=[3.0 * GPa], tau_G=[10.0], K_inf=2.0 * GPa, K=[4.0 * GPa], tau_K=[50.0],
                       Tref_C=100.0, Tg_C=100.0, C1=17.44, C2=51.6, Ea_R=20000.0, source="test")


def every_model():
    """(name, model, preloading strain scale) for a tangent check of each registered model."""
    return [
        ("elastic", make_model("elastic", get("silicon_110")), 1e-3),
        ("viscoelastic", make_model("viscoelastic", get("emc")), 5e-3),
        ("j2", make_model("j2", j2_copper(H_iso=0.5 * GPa, H_kin=1.0 * GPa)), 3e-3),
        ("anand", make_model("anand", get("sac305")), 3e-3),
    ]


# ------------------------------------------------------------------------------------------------------------------
# registry and contract
# ------------------------------------------------------------------------------------------------------------------


def test_registry_and_errors_name_the_material():
    assert set(MODELS) == {"elastic", "viscoelastic", "j2", "anand"}
    with pytest.raises(InputError) as exc:
        make_model("anand", get("copper"))
    p = exc.value.problems[0]
    assert p.field == "materials.copper.anand" and "'copper'" in p.message and "j2" in p.message
    with pytest.raises(InputError) as exc:
        make_model("j2", get("bt_laminate").with_overrides(extra={"j2": J2Params(Table.constant(1e8))}))
    assert "isotropic" in exc.value.problems[0].message and "orthotropic" in exc.value.problems[0].message
    with pytest.raises(InputError) as exc:
        make_model("anad", get("sac305"))
    assert "did you mean 'anand'" in exc.value.problems[0].message


@pytest.mark.parametrize("name,model,scale", every_model(), ids=[m[0] for m in every_model()])
def test_state_not_mutated_and_dt0_is_instantaneous_elastic(name, model, scale):
    """The committed state is never written to; dt = 0 gives the instantaneous elastic response (rate-dependent
    models) or the rate-independent response itself (J2: same as with any dt)."""
    rng = np.random.default_rng(1)
    n = 5
    st0 = model.init_state(n)
    eps1 = rng.normal(size=(n, 6)) * scale
    _, _, st = model.update(eps1, 25.0, 60.0, 30.0, st0)
    frozen = copy.deepcopy(st)
    eps2 = eps1 + rng.normal(size=(n, 6)) * scale
    sig, D, new = model.update(eps2, 60.0, 40.0, 0.0, st)
    for k in frozen:
        np.testing.assert_array_equal(st[k], frozen[k])
        assert new[k] is not st[k]
    if name == "j2":
        np.testing.assert_array_equal(sig, model.update(eps2, 60.0, 40.0, 1e3, st)[0])
        return
    # Instantaneous response: stress change = C_inst (eps2 - eps1), with D = C_inst exactly.
    sig1 = model.update(eps1, 60.0, 40.0, 0.0, st)[0]
    np.testing.assert_allclose(sig - sig1, np.einsum("nij,nj->ni", D, eps2 - eps1), rtol=1e-9,
                               atol=1e-9 * np.abs(sig).max())  # linear response: round-off only
    if name == "viscoelastic":
        p = model.params
        np.testing.assert_allclose(D[:, 3, 3], p.G0, rtol=1e-14)  # glassy shear modulus
        np.testing.assert_allclose(D[:, 0, 1], p.K0 - 2 * p.G0 / 3, rtol=1e-12)
    elif name == "anand":
        C = model.material.stiffness(np.full(n, 40.0))
        np.testing.assert_allclose(D, C, rtol=1e-12, atol=1e-6)  # elastic tangent, C(T1)
        np.testing.assert_array_equal(new["eps_p"], st["eps_p"])  # no flow without time
    assert model.inelastic_strain(new).shape == (n, 6)
    assert model.equivalent_inelastic_strain(new).shape == (n,)
    assert model.inelastic_work(new).shape == (n,)


@pytest.mark.parametrize("name,model,scale", every_model(), ids=[m[0] for m in every_model()])
def test_consistent_tangent_matches_central_differences(name, model, scale):
    """D = d sigma / d eps agrees with central differences (h = 1e-7) to 1e-5 relative (the FD error is
    O(h^2 sigma''') ~ 1e-9 here), at multiaxial elastic, inelastic and mixed points, for dt from 1e-6 s to 1e5 s
    and T0 != T1."""
    rng = np.random.default_rng(7)
    n = 8
    st = model.init_state(n)
    # A loading history first, so the state is not virgin (back stress, hardened s, relaxing branches).
    eps = rng.normal(size=(n, 6)) * scale
    eps[:2] *= 0.02  # two points stay well inside the elastic range (J2) / barely flow (Anand)
    _, _, st = model.update(eps, 25.0, 50.0, 100.0, st)
    eps2 = eps + rng.normal(size=(n, 6)) * scale * 0.5
    eps2[:2] = eps[:2] * 1.01
    for dt in (1e-6, 1e-2, 1.0, 1e3, 1e5):
        _, D, new = model.update(eps2, 50.0, 90.0, dt, st)
        Dfd = fd_tangent(model, eps2, 50.0, 90.0, dt, st)
        err = np.max(np.abs(D - Dfd), axis=(1, 2)) / np.max(np.abs(D), axis=(1, 2))
        assert np.all(err < 1e-5), (name, dt, err)
    if name == "j2":  # the set really mixes elastic and plastic points
        dp = new["p"] - st["p"]
        assert np.any(dp == 0) and np.any(dp > 0)


def test_radial_return_tangent_keeps_a_floor_of_shear_stiffness():
    """When the flow absorbs the whole deviatoric trial stress (theta -> 1/(2G), h -> 1/(3G): a perfectly relaxing
    point), both deviatoric moduli of the algorithmic tangent vanish; they are kept at TANGENT_FLOOR * 2G, so the
    tangent stays positive definite, and above the floor the tangent is the exact formula."""
    from fcpkg_fem.constitutive.j2 import TANGENT_FLOOR, isotropic_stiffness_matrix, radial_return_tangent

    G, lam = np.array([10e9, 10e9]), np.array([20e9, 20e9])
    n = np.zeros((2, 6))
    n[:, 0], n[:, 1] = np.sqrt(0.5), -np.sqrt(0.5)  # unit deviatoric direction
    theta = np.array([1.0 / (2.0 * G[0]), 0.25 / (2.0 * G[0])])
    h = np.array([1.0 / (3.0 * G[0]), 0.25 / (3.0 * G[0])])
    D = radial_return_tangent(lam, G, n, theta, h)
    K = lam + 2.0 * G / 3.0
    w = np.linalg.eigvalsh(D[0])
    # eigenvalues: 3K (volumetric) and the floor mu = 1e-6 * 2G in all five deviatoric modes, including the flow
    # direction: mu on the two normal ones, mu / 2 on the three shears (engineering-shear Voigt)
    mu = TANGENT_FLOOR * 2.0 * G[0]
    assert np.allclose(np.sort(w)[:5] / mu, [0.5, 0.5, 0.5, 1.0, 1.0], rtol=1e-6, atol=0.0)
    assert np.max(w) == pytest.approx(3.0 * K[0], rel=1e-12)
    # a point above the floor: 2G (1 - 2G theta) = 1.5 G across the flow, 2G (1 - 3G h) = 1.5 G along it
    C = isotropic_stiffness_matrix(lam[1:], G[1:])[0]
    expect = C - 0.5 * G[1] * (np.diag([1, 1, 1, 0.5, 0.5, 0.5]) - np.ones((6, 6)) * np.r_[[1] * 3, [0] * 3]
                               [:, None] * np.r_[[1] * 3, [0] * 3][None, :] / 3.0)
    assert np.abs(D[1] - expect).max() <= 1e-12 * np.abs(C).max()


def test_elastic_equals_linear_total_form():
    """sigma = C(T1) eps with the material's own stiffness (orthotropic here), bit for bit; D = C(T1)."""
    mat = get("silicon_110")
    model = make_model("elastic", mat)
    rng = np.random.default_rng(3)
    eps = rng.normal(size=(4, 6)) * 1e-3
    T1 = np.array([-40.0, 25.0, 125.0, 260.0])
    sig, D, _ = model.update(eps, 0.0, T1, 1.0, model.init_state(4))
    C = mat.stiffness(T1)
    np.testing.assert_array_equal(D, C)
    np.testing.assert_array_equal(sig, np.einsum("nij,nj->ni", C, eps))
    assert not model.inelastic and np.all(model.inelastic_work(model.init_state(4)) == 0)


# ------------------------------------------------------------------------------------------------------------------
# J2
# ------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("H_iso,H_kin", [(2.0 * GPa, 0.0), (0.0, 2.0 * GPa), (1.0 * GPa, 3.0 * GPa), (0.0, 0.0)])
def test_j2_uniaxial_bilinear_closed_form(H_iso, H_kin):
    """Monotonic uniaxial stress: sigma = E eps up to sigma_y/E, then sigma_y + E_t (eps - sigma_y/E) with
    E_t = E H/(E + H), H = H_iso + H_kin; lateral strain -nu eps elastic, plastic part incompressible."""
    mat = j2_copper(H_iso=H_iso, H_kin=H_kin)
    model = make_model("j2", mat)
    E, nu = mat.elastic.E(25.0), mat.elastic.nu(25.0)
    sy = model.params.sigma_y(25.0)
    H = H_iso + H_kin
    Et = E * H / (E + H)
    st = model.init_state(1)
    guess = np.zeros((1, 6))
    for e in np.linspace(0.0, 0.02, 41)[1:]:
        sig, st, guess = uniaxial_stress_step(model, st, e, 25.0, 25.0, 1.0, guess)
        ey = sy / E
        expect = E * e if e <= ey else sy + Et * (e - ey)
        np.testing.assert_allclose(sig[0, 0], expect, rtol=1e-9)  # exact return map: round-off only
        np.testing.assert_allclose(st["p"][0], max(0.0, (expect - sy) / H) if H > 0 and e > ey else st["p"][0])
    # plastic strain at the end: eps - sigma/E (axial), and the lateral total strain
    ep = 0.02 - sig[0, 0] / E
    np.testing.assert_allclose(st["eps_p"][0, 0], ep, rtol=1e-9)
    np.testing.assert_allclose(guess[0, 1], -nu * sig[0, 0] / E - 0.5 * ep, rtol=1e-9)


def test_j2_cyclic_kinematic_loop_closed_form():
    """Strain-controlled uniaxial cycles +-eps_a, linear kinematic hardening (Bauschinger): after a reversal the
    response is elastic over a stress range of 2 sigma_y, then slope E_t; the loop is closed from the first
    cycle, its stress range is 2 sigma_y + E_t (2 eps_a - 2 sigma_y/E) and its area (plastic work per cycle)
    is 2 sigma_y * (plastic strain range)."""
    H = 5.0 * GPa
    mat = j2_copper(H_kin=H)
    model = make_model("j2", mat)
    E = mat.elastic.E(25.0)
    sy = model.params.sigma_y(25.0)
    Et = E * H / (E + H)
    ea = 0.01
    # Path points: up to +ea, then cycles; the reversal's elastic range 2 sy / E is one step of its own, so each
    # step is either fully elastic or fully plastic (the trapezoidal plastic work is then exact).
    def branch(e_from, e_to, sign):
        e_el = e_from + sign * 2 * sy / E
        return np.concatenate([[e_el], np.linspace(e_el, e_to, 30)[1:]])

    first = np.concatenate([[sy / E], np.linspace(sy / E, ea, 30)[1:]])
    path = [first]
    for _ in range(2):
        path += [branch(ea, -ea, -1), branch(-ea, ea, +1)]
    st = model.init_state(1)
    guess = np.zeros((1, 6))
    peaks, work_at_peak = [], []
    for seg in path:
        for e in seg:
            sig, st, guess = uniaxial_stress_step(model, st, e, 25.0, 25.0, 1.0, guess)
        peaks.append(sig[0, 0])
        work_at_peak.append(st["w"][0])
    s_max = sy + Et * (ea - sy / E)
    np.testing.assert_allclose(peaks, [s_max, -s_max, s_max, -s_max, s_max], rtol=1e-9)  # closed-form loop
    dsig = 2 * s_max
    np.testing.assert_allclose(dsig, 2 * sy + Et * (2 * ea - 2 * sy / E), rtol=1e-12)
    dep = 2 * ea - dsig / E
    per_cycle = np.diff(work_at_peak[::2])
    np.testing.assert_allclose(per_cycle, 2 * sy * dep, rtol=1e-9)  # loop area, exact with trapezoids


def test_j2_tabulated_hardening_curve():
    """Piecewise-linear R(p) (0, 0), (0.01, 50 MPa), (0.03, 70 MPa), flat after: under monotonic uniaxial stress
    sigma = sigma_y + R(eps - sigma/E) holds exactly, also when one step crosses several breakpoints; the
    tangent agrees with finite differences inside a segment."""
    R = Table((0.0, 0.01, 0.03), (0.0, 50 * MPa, 70 * MPa))
    mat = get("copper").with_overrides(extra={"j2": J2Params(Table.constant(200 * MPa), hardening_curve=R)})
    model = make_model("j2", mat)
    E = mat.elastic.E(25.0)
    st = model.init_state(1)
    guess = np.zeros((1, 6))
    for e in [0.001, 0.005, 0.012, 0.02, 0.05, 0.06]:  # 0.005 -> 0.05: steps across breakpoints and past the end
        sig, st, guess = uniaxial_stress_step(model, st, e, 25.0, 25.0, 1.0, guess)
        s = sig[0, 0]
        expect = min(E * e, 200 * MPa + R(e - s / E)) if e > 0.0015 else E * e
        np.testing.assert_allclose(s, expect, rtol=1e-9)  # exact piecewise-linear return: round-off only
    assert sig[0, 0] == pytest.approx(270 * MPa, rel=1e-9)  # flat beyond the last point
    rng = np.random.default_rng(5)
    st = model.init_state(4)
    eps = rng.normal(size=(4, 6)) * 4e-3
    _, _, st = model.update(eps, 25.0, 25.0, 1.0, st)
    eps2 = eps * 1.3
    _, D, new = model.update(eps2, 25.0, 25.0, 1.0, st)
    assert np.all((new["p"] > 0) & (np.abs(new["p"] - 0.01) > 1e-4) & (np.abs(new["p"] - 0.03) > 1e-4))
    err = np.abs(D - fd_tangent(model, eps2, 25.0, 25.0, 1.0, st)).max() / np.abs(D).max()
    assert err < 1e-5  # central differences, smooth inside a segment


def test_j2_temperature_dependent_yield():
    """The yield stress is read at the end temperature: at 150 C the table gives 0.6 sigma_y(-50 C)."""
    model = make_model("j2", j2_copper())
    st = model.init_state(2)
    sig, st, _ = uniaxial_stress_step(model, st, np.array([0.01, 0.01]), 25.0, np.array([-50.0, 150.0]), 1.0,
                                      np.zeros((2, 6)))
    np.testing.assert_allclose(sig[:, 0], [200 * MPa, 120 * MPa], rtol=1e-9)  # perfectly plastic: sigma = sigma_y


# ------------------------------------------------------------------------------------------------------------------
# Anand
# ------------------------------------------------------------------------------------------------------------------

ANAND_T = np.array([25.0, 50.0, 100.0, 125.0])
ANAND_MEASURED_MPa = np.array([40.5, 33.5, 24.0, 21.5])  # Motalab et al. 2012 curves at 1e-3 1/s (read off)


@functools.lru_cache(maxsize=None)
def _anand_saturation(material="sac305"):
    """Uniaxial tension at a constant total strain rate 1e-3 1/s, 25 % strain in 1 s steps, four temperatures."""
    model = make_model("anand", get(material))
    n = ANAND_T.size
    st = model.init_state(n)
    guess = np.zeros((n, 6))
    rate, dt = 1e-3, 1.0
    p_prev = None
    for k in range(1, 251):
        p_prev = st["p"].copy()
        sig, st, guess = uniaxial_stress_step(model, st, np.full(n, rate * dt * k), ANAND_T, ANAND_T, dt, guess)
    return sig[:, 0], (st["p"] - p_prev) / dt, st


@pytest.mark.parametrize("material", ["sac305", "sac305_refit"])
def test_anand_steady_state_equals_closed_form(material):
    """At saturation under uniaxial tension, the stress equals sigma_sat = (s*/xi) asinh(z^m), s* = s_hat z^n,
    z = (rate/A) exp(Q/RT), within 0.5 %.

    Factor between equivalent and uniaxial quantities: the model works with the von Mises stress q and the
    equivalent plastic strain rate sqrt(2/3 |d eps_p|^2); in uniaxial stress q = |sigma_xx| and (plastic flow
    being incompressible, d eps_p = diag(1, -1/2, -1/2) d eps_p,xx) the equivalent rate equals the axial plastic
    rate, so the factor is exactly 1 and the closed form applies to sigma_xx directly. At saturation the elastic
    strain is constant, so the plastic rate equals the applied 1e-3 1/s (checked too)."""
    sig, p_rate, st = _anand_saturation(material)
    closed = get(material).extra["anand"].steady_state_stress(1e-3, ANAND_T)
    # Measured 2026-11-26: deviation from the closed form 1.3e-4 .. 1.5e-4 after 25 % strain (s still creeping
    # towards s*, the discrete fixed point being exactly the closed form).
    np.testing.assert_allclose(sig, closed, rtol=5e-3)
    np.testing.assert_allclose(p_rate, 1e-3, rtol=5e-3)
    assert np.all(np.abs(sig / closed - 1) < 1e-3)  # tighter than required: tells a drift early


@pytest.mark.parametrize("material", ["sac305", "snpb"])
def test_anand_steady_state_is_the_exact_fixed_point(material):
    """Started on the steady state (s = s*, uniaxial stress sigma_sat, any plastic strain), one implicit step at
    the same strain rate stays there: sigma = sigma_sat and s = s* to round-off, for any dt (the backward-Euler
    fixed point is the closed form exactly)."""
    mat = get(material)
    a = mat.extra["anand"]
    model = make_model("anand", mat)
    T = np.array([-40.0, 25.0, 125.0])
    rate = 1e-4
    E, nu = mat.elastic.E(T), mat.elastic.nu(T)
    sig_sat = a.steady_state_stress(rate, T)
    z = rate / a.A * np.exp(a.Q_R / (T + 273.15))
    for dt in (1e-2, 10.0, 1e3):
        st = model.init_state(3)
        P = 0.05
        st["eps_p"][:, :3] = np.array([P, -P / 2, -P / 2])
        st["eps"][:, :3] = st["eps_p"][:, :3] + np.stack([sig_sat / E, -nu * sig_sat / E, -nu * sig_sat / E], 1)
        st["sigma"][:, 0] = sig_sat
        st["s"] = a.s_hat * z**a.n
        sig, new, _ = uniaxial_stress_step(model, st, st["eps"][:, 0] + rate * dt, T, T, dt, st["eps"].copy())
        np.testing.assert_allclose(sig[:, 0], sig_sat, rtol=1e-9)  # local solve converged to 1e-13 in ln(dp)
        np.testing.assert_allclose(new["s"], st["s"], rtol=1e-9)
        np.testing.assert_allclose(new["p"], rate * dt, rtol=1e-9)


def test_anand_published_set_vs_measured():
    """Motalab's published SAC305 set (library ``sac305``) against the measured saturation stresses it was fitted
    to: the integrated steady state lies +3.9 / +7.0 / +10.2 / +6.2 % above them at 25 / 50 / 100 / 125 C, so only
    the 25 C point is within 5 %. Pinned to 0.05 percentage points (the integration sits 1.5e-4 below the closed
    form): these are the deviations docs/models.md states, and a change of the constants shows here."""
    sig, _, _ = _anand_saturation("sac305")
    dev = sig / MPa / ANAND_MEASURED_MPa - 1
    np.testing.assert_allclose(100 * dev, [3.90, 6.98, 10.16, 6.17], atol=0.05)


def test_anand_refit_set_within_5_percent_of_measured():
    """The library's ``sac305_refit`` (s_hat refit by least squares of the log misfit, the other eight constants
    Motalab's): its steady state, integrated and closed-form, lies within 5 % of every measured point, at
    -2.7 / +0.2 / +3.2 / -0.6 %. s_hat is the geometric-mean scaling of the published one: with s_hat free alone,
    sigma_sat is proportional to s_hat, so the optimum has a closed form to check the least squares against."""
    published = get("sac305").extra["anand"]
    refit = get("sac305_refit").extra["anand"]
    closed_pub = published.steady_state_stress(1e-3, ANAND_T) / MPa
    expected_s_hat = published.s_hat * np.exp(np.mean(np.log(ANAND_MEASURED_MPa / closed_pub)))
    assert refit.s_hat == pytest.approx(expected_s_hat, rel=1e-9)
    assert refit.s_hat / MPa == pytest.approx(28.279, abs=1e-3)
    for k in ("s0", "Q_R", "A", "xi", "m", "h0", "n", "a"):  # only s_hat moved
        assert getattr(refit, k) == getattr(published, k), k
    sig, _, _ = _anand_saturation("sac305_refit")
    for model_MPa in (sig / MPa, refit.steady_state_stress(1e-3, ANAND_T) / MPa):
        dev = model_MPa / ANAND_MEASURED_MPa - 1
        assert np.all(np.abs(dev) < 0.05), dev
        np.testing.assert_allclose(100 * dev, [-2.70, 0.19, 3.17, -0.57], atol=0.05)
    assert "largest misfit 3.2 %" in refit.source and "Motalab" in refit.source


def test_anand_refit_more_constants_and_bad_requests():
    """Freeing s_hat and Q/R together fits no worse than s_hat alone (a superset of the search space), moves only
    those two, and still equals the closed form's own evaluation; a request the data cannot support is refused."""
    published = get("sac305").extra["anand"]
    T, sig = ANAND_T, ANAND_MEASURED_MPa * MPa
    one = published.refit_steady_state(T, 1e-3, sig)
    two = published.refit_steady_state(T, 1e-3, sig, free=("s_hat", "Q_R"))
    cost = [np.sum(np.log(p.steady_state_stress(1e-3, T) / sig) ** 2) for p in (one, two)]
    assert cost[1] <= cost[0] * (1 + 1e-9)
    assert two.A == published.A and two.xi == published.xi and two.Q_R != published.Q_R
    with pytest.raises(ValueError, match="s0"):
        published.refit_steady_state(T, 1e-3, sig, free=("s0",))  # transient constant: no steady-state effect
    with pytest.raises(ValueError, match="at least as many data points"):
        published.refit_steady_state(T[:1], 1e-3, sig[:1], free=("s_hat", "Q_R"))
    with pytest.raises(ValueError, match="positive"):
        published.refit_steady_state(T, 1e-3, -sig)


def test_anand_small_and_large_dt():
    """Held shear strain 0.1 % at 25 C from the virgin state.

    dt -> 0: the backward-Euler increment tends to the explicit one, Delta p = dt A exp(-Q/RT)
    sinh(xi q_tr/s0)^(1/m) (q_tr the elastic trial von Mises stress) with a first-order difference (measured
    -3.65e-6 at dt = 1e-9 s, -3.65e-7 at 1e-10 s, -3.65e-8 at 1e-11 s).
    dt huge (1e7 s): one step relaxes the stress to well below the trial, with Delta p < q_tr/(3G) (the bracket)."""
    mat = get("sac305")
    a = mat.extra["anand"]
    model = make_model("anand", mat)
    st = model.init_state(1)
    eps = np.array([[0, 0, 0, 0, 0, 1e-3]])
    G = float(mat.elastic.lame(25.0)[1][0])
    q_tr = np.sqrt(3.0) * G * 1e-3
    explicit = 1e-9 * a.A * np.exp(-a.Q_R / 298.15) * np.sinh(a.xi * q_tr / a.s0) ** (1 / a.m)
    rel = [model.update(eps, 25.0, 25.0, dt, st)[2]["p"][0] / (explicit * dt / 1e-9) - 1 for dt in (1e-9, 1e-10)]
    assert abs(rel[0]) < 5e-6 and 9.5 < rel[0] / rel[1] < 10.5  # O(dt) difference, ratio 10 per decade
    s_big, _, big = model.update(eps, 25.0, 25.0, 1e7, st)
    assert 0.0 < big["p"][0] < q_tr / (3 * G)
    assert s_big[0, 5] < 0.2 * G * 1e-3


# ------------------------------------------------------------------------------------------------------------------
# Viscoelastic
# ------------------------------------------------------------------------------------------------------------------


def test_prony_relaxation_under_held_strain_equals_G_and_K():
    """Step strain at t = 0 (dt = 0), then held over uneven steps at Tref: sigma = 2 G(t) e_dev + K(t) theta 1
    exactly (the recursion is exact for constant strain)."""
    p = get("emc").extra["prony"]
    model = make_model("viscoelastic", get("emc"))
    eps = np.array([[2e-3, -1e-3, 0.5e-3, 1e-3, -2e-3, 3e-3]])
    st = model.init_state(1)
    sig, _, st = model.update(eps, p.Tref_C, p.Tref_C, 0.0, st)
    t = 0.0
    theta = eps[0, :3].sum()
    dev = eps[0] - np.r_[np.full(3, theta / 3), 0, 0, 0]
    for dt in [0.0, 1e-9, 3e-3, 0.5, 7.0, 100.0, 5e3, 1e6, 1e8]:
        sig, _, st = model.update(eps, p.Tref_C, p.Tref_C, dt, st)
        t += dt
        G, K = p.relaxation_G(t), p.relaxation_K(t)
        expect = np.r_[2 * G * dev[:3] + K * theta, G * dev[3:]]
        np.testing.assert_allclose(sig[0], expect, rtol=1e-12, atol=1e-12 * np.abs(expect).max())


def _creep(params, kind, tau0, t_end, n_steps):
    """Drive one point by a held stress (simple shear tau0, or hydrostatic pressure -tau0) applied at t = 0."""
    model = make_model("viscoelastic", prony_material(params))
    st = model.init_state(1)
    comp = 5 if kind == "shear" else slice(0, 3)
    eps = np.zeros((1, 6))
    target = np.zeros(6)
    target[comp] = tau0
    times, strains = [], []
    for dt in [0.0] + [t_end / n_steps] * n_steps:
        for _ in range(3):  # linear in eps: one Newton step is exact, the rest checks it
            sig, D, new = model.update(eps, params.Tref_C, params.Tref_C, dt, st)
            eps = eps + np.linalg.solve(D[0], target - sig[0])[None, :]
        sig, D, st = model.update(eps, params.Tref_C, params.Tref_C, dt, st)
        times.append((times[-1] if times else 0.0) + dt)
        strains.append(eps[0, 5] if kind == "shear" else eps[0, :3].sum())
    return np.array(times), np.array(strains)


@pytest.mark.parametrize("kind", ["shear", "bulk"])
def test_prony_creep_under_held_stress_equals_closed_form(kind):
    """One-term model (standard linear solid), creep compliance in closed form:
    J(t) = 1/M_inf - (1/M_inf - 1/M_0) exp(-t M_inf / (M_0 tau)), with M = G (engineering shear strain
    gamma = tau0 J) or M = K (volumetric strain theta = sigma_m J, sigma_m the mean stress)."""
    p = ONE_TERM
    M_inf, M1, tau = (p.G_inf, p.G[0], p.tau_G[0]) if kind == "shear" else (p.K_inf, p.K[0], p.tau_K[0])
    M0 = M_inf + M1
    tau0 = 10 * MPa
    t_end = 5 * tau * M0 / M_inf
    errs = []
    for n_steps in (200, 400):
        t, strain = _creep(p, kind, tau0, t_end, n_steps)
        J = 1 / M_inf - (1 / M_inf - 1 / M0) * np.exp(-t * M_inf / (M0 * tau))
        errs.append(np.max(np.abs(strain - tau0 * J)) / (tau0 / M_inf))
    # The update assumes the strain linear in (reduced) time within a step, which creep is not: a second-order
    # error. Measured 2026-11-26 at 200 steps: 4.3e-5 (shear), 2.6e-5 (bulk) of the long-time strain; the
    # ratio 200 -> 400 steps is 3.999 (shear) and 3.9996 (bulk), so a bound of 6e-5 plus the observed order.
    assert errs[0] < 6e-5
    assert 3.9 < errs[0] / errs[1] < 4.1
    np.testing.assert_allclose(strain[0], tau0 / M0, rtol=1e-12)  # instantaneous (glassy) response at t = 0


def test_shift_factor_wlf_arrhenius_and_continuity_at_Tg():
    """WLF above Tg, Arrhenius below, matched at Tg; a_T(Tref) = 1 with Tref = Tg."""
    p = ONE_TERM
    T = np.array([100.0, 120.0, 150.0, 200.0])
    np.testing.assert_allclose(p.log10_shift(T), -17.44 * (T - 100) / (51.6 + T - 100), rtol=1e-14, atol=0)
    Tb = np.array([-40.0, 25.0, 99.0])
    np.testing.assert_allclose(np.log(p.shift_factor(Tb)), 20000.0 * (1 / (Tb + 273.15) - 1 / 373.15), rtol=1e-12)
    below, above = p.log10_shift(100.0 - 1e-9), p.log10_shift(100.0 + 1e-9)
    assert abs(below - above) < 1e-9 and p.shift_factor(100.0) == 1.0
    # Tref above Tg: the Arrhenius branch starts from the WLF value at Tg.
    q = PronyParams(G_inf=1e9, G=[1e9], tau_G=[1.0], K_inf=1e9, K=[1e9], tau_K=[1.0], Tref_C=140.0, Tg_C=120.0,
                    C1=10.0, C2=80.0, Ea_R=30000.0)
    wlf_tg = -10.0 * (120 - 140) / (80 + 120 - 140)
    np.testing.assert_allclose(q.log10_shift(119.999999), wlf_tg, atol=1e-5)
    np.testing.assert_allclose(q.log10_shift(60.0), wlf_tg + 30000 * (1 / 333.15 - 1 / 393.15) / np.log(10),
                               rtol=1e-13)


def test_time_temperature_superposition():
    """Relaxation held at T for time t equals relaxation at Tref for t / a_T (thermorheological simplicity),
    checked on the model's stresses at three temperatures on both sides of Tg."""
    mat = get("die_attach_lowmod")
    p = mat.extra["prony"]
    model = make_model("viscoelastic", mat)
    eps = np.tile([[1e-3, 0, 0, 0, 0, 2e-3]], (3, 1))
    T = np.array([40.0, 95.0, 130.0])
    aT = p.shift_factor(T)
    st = model.init_state(3)
    _, _, st = model.update(eps, T, T, 0.0, st)
    t_hot = 0.1 * aT  # real times that each make a reduced time of 0.1 s (dt is a scalar: one point per call)
    sig_T = np.vstack([model.update(eps[i:i + 1], T[i], T[i], t_hot[i], {k: v[i:i + 1] for k, v in st.items()})[0]
                       for i in range(3)])
    ref = model.init_state(3)
    _, _, ref = model.update(eps, p.Tref_C, p.Tref_C, 0.0, ref)
    sig_ref = model.update(eps, p.Tref_C, p.Tref_C, 0.1, ref)[0]
    np.testing.assert_allclose(sig_T, sig_ref, rtol=1e-12)
    np.testing.assert_allclose(sig_ref[0, 5], p.relaxation_G(0.1) * 2e-3, rtol=1e-12)


def test_viscoelastic_dissipation_of_a_relaxation_equals_released_energy():
    """A step strain then a long hold: each branch dissipates exactly the energy it stored at the step,
    |h|^2 / (4 G_i) (shear, tensor norm) + k^2 / (2 K_j) (bulk), over one step or over many."""
    p = ONE_TERM
    model = make_model("viscoelastic", prony_material(p))
    eps = np.array([[1e-3, 0, 0, 0, 0, 2e-3]])
    st = model.init_state(1)
    _, _, st = model.update(eps, 100.0, 100.0, 0.0, st)
    th = 1e-3
    dev = np.array([1e-3 - th / 3, -th / 3, -th / 3])
    h2 = (2 * p.G[0]) ** 2 * (np.sum(dev**2) + 2 * (1e-3) ** 2)  # |2 G e_dev|^2 with e_xy = gamma/2 = 1e-3
    stored = h2 / (4 * p.G[0]) + (p.K[0] * th) ** 2 / (2 * p.K[0])
    one = model.update(eps, 100.0, 100.0, 1e5, st)[2]["w"][0]
    many = st
    for _ in range(50):
        many = model.update(eps, 100.0, 100.0, 2e3, many)[2]
    np.testing.assert_allclose([one, many["w"][0]], stored, rtol=1e-12)  # closed-form integral of exponentials


def _shifts():
    """Shift functions of every form: Tg = Tref, the library emc, Tref above Tg, WLF alone (frozen below
    Tref - C2 = 48.4 degC), Arrhenius alone, none."""
    def unit(**k):
        return PronyParams(G_inf=1e9, G=[1e9], tau_G=[1.0], K_inf=1e9, K=[1e9], tau_K=[1.0], **k)
    return {"tg_is_tref": ONE_TERM, "emc": get("emc").extra["prony"],
            "tref_above_tg": unit(Tref_C=140.0, Tg_C=120.0, C1=10.0, C2=80.0, Ea_R=30000.0),
            "wlf": unit(Tref_C=100.0, C1=17.44, C2=51.6), "arrhenius": unit(Tref_C=25.0, Ea_R=12000.0),
            "none": unit(Tref_C=25.0)}


def test_shift_pieces_reproduce_log10_shift():
    """PronyParams.shift_pieces (ln(1/a_T) = a + b/(T + s) per piece) equals -ln10 log10_shift, frozen included."""
    for name, p in _shifts().items():
        T = np.r_[np.linspace(-65.0, 300.0, 731), p.Tg_C or 0.0]
        ref = -np.log(10.0) * p.log10_shift(T)
        got = np.full(T.shape, -np.inf)
        for lo, hi, a, b, s in p.shift_pieces():
            m = (T >= lo) & (T < hi) & (T + s > 0)
            got[m] = a + b / (T[m] + s)
        # round-off of a + b/u and of the log10 form: |ln a_T| up to 2e4 near the WLF frozen limit, measured
        # difference at most 2.3e-13 there and 3e-14 elsewhere
        np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-13, err_msg=name)


def test_mean_inverse_shift_equals_adaptive_quadrature():
    """Mean of 1/a_T over a linear temperature ramp against scipy's adaptive quadrature of shift_factor itself
    (epsrel 2e-14, breakpoints at Tg and at the WLF frozen limit), ramps across Tg, long, frozen and tiny."""
    ramps = [(125.0, 135.0), (135.0, 125.0), (95.0, 105.0), (-55.0, 125.0), (25.0, 260.0), (0.0, 300.0),
             (-100.0, 40.0), (118.0, 128.0), (128.0, 138.0)]
    for name, p in _shifts().items():
        T0, T1 = np.array(ramps).T
        got = mean_inverse_shift(p, T0, T1)
        assert got.shape == T0.shape
        breaks = [x for x in (p.Tg_C, p.Tref_C - p.C2 if p.C1 is not None else None) if x is not None]
        for (a, b), g in zip(ramps, got):
            lo, hi = min(a, b), max(a, b)
            with np.errstate(over="ignore"):  # 1/a_T = 0 where frozen
                ref = integrate.quad(lambda T: 1.0 / p.shift_factor(T), lo, hi, epsabs=0, epsrel=2e-14, limit=500,
                                     points=[x for x in breaks if lo < x < hi] or None)[0] / (hi - lo)
            # both agree with a 30-digit mpmath quadrature to 1.2e-14 (measured, these ramps): 1e-12 is headroom
            np.testing.assert_allclose(g, ref, rtol=1e-12, atol=0, err_msg=f"{name} {a} -> {b}")
    p = get("emc").extra["prony"]
    assert mean_inverse_shift(p, 130.0, 120.0) == mean_inverse_shift(p, 120.0, 130.0)  # the mean has no direction
    assert mean_inverse_shift(p, 100.0, 100.0) == 1.0 / p.shift_factor(100.0)  # isothermal: 1/a_T itself
    assert mean_inverse_shift(_shifts()["wlf"], -100.0, 40.0) == 0.0  # frozen throughout
    # a ramp of 1e-7 K: the mid-temperature value up to (dT^2/24) (1/a_T)''/(1/a_T) ~ 1e-16 (no cancellation in
    # the short interval); at Tg the kink in ln a_T makes it first order (measured 6.6e-9, 2.5e-9 predicted from the
    # two slopes)
    np.testing.assert_allclose(mean_inverse_shift(p, 140.0 - 5e-8, 140.0 + 5e-8), 1.0 / p.shift_factor(140.0),
                               rtol=1e-12)


def _psi_exact(p, T0, T1, dt):
    """(1/dt) integral_0^dt exp(-(xi(dt) - xi(t)) / tau) dt for the first shear term: the fraction of a strain change
    linear in time over a ramp that the branch still carries at its end (nested adaptive quadrature)."""
    t_g = dt * (p.Tg_C - T0) / (T1 - T0)
    def T(t):
        return T0 + (T1 - T0) * t / dt
    def xi_to_end(t):
        return integrate.quad(lambda u: 1.0 / p.shift_factor(T(u)), t, dt, epsabs=0, epsrel=1e-13, limit=200,
                              points=[t_g] if t < t_g < dt else None)[0]
    return integrate.quad(lambda t: np.exp(-xi_to_end(t) / p.tau_G[0]), 0.0, dt, epsabs=0, epsrel=1e-12, limit=200,
                          points=[t_g])[0] / dt


@pytest.mark.parametrize("T0,T1", [(95.0, 105.0), (105.0, 95.0), (90.0, 100.0), (100.0, 110.0)])
def test_ramp_increment_converges_to_the_strain_linear_in_time(T0, T1, monkeypatch):
    """One increment over a ramp through or next to Tg (Tg = 100 degC), shear strain linear in time, reduced time
    2 tau: the branch's stress equals the exact hereditary integral to second order in the substep size.

    The midpoint rule (dt / a_T at the mid temperature, one step linear in reduced time) was off by +286 %, +8 %,
    +33 % and +246 % of this branch stress on these four ramps; one exactly integrated step linear in reduced time
    by +100 %, -44 %, +25 % and +98 %. Measured with SUBSTEP_LN = 0.25 (default): -0.18 % to +0.84 %; halving it
    divides the error by 3.7-4.0.
    """
    p = ONE_TERM
    dt = 2.0 * p.tau_G[0] / float(mean_inverse_shift(p, T0, T1))
    exact = _psi_exact(p, T0, T1, dt)
    eps = np.zeros((1, 6))
    eps[0, 5] = 1e-3
    errs = []
    for substep in (0.25, 0.125):
        monkeypatch.setattr(viscoelastic, "SUBSTEP_LN", substep)
        model = make_model("viscoelastic", prony_material(p))  # a new model: no coefficients kept from before
        tau_xy = model.update(eps, T0, T1, dt, model.init_state(1))[0][0, 5]
        errs.append(((tau_xy / 1e-3 - p.G_inf) / p.G[0]) / exact - 1.0)
    assert abs(errs[0]) < 0.01  # measured at most 0.84 %
    assert 3.5 < errs[0] / errs[1] < 4.2  # second order (measured 3.75-3.98)


def test_ramp_increment_equals_its_substeps_done_one_by_one(monkeypatch):
    """The closed-form composition over substeps (decay, psi and the dissipation weights) equals updating through
    the substeps one at a time (each forced to a single step), at points with different ramps (one isothermal)."""
    mat = get("emc")
    model = make_model("viscoelastic", mat)
    p = mat.extra["prony"]
    T0, T1, dt = np.array([120.0, 135.0, 60.0, 90.0]), np.array([130.0, 125.0, 70.0, 90.0]), 7.0
    rng = np.random.default_rng(3)
    st = model.update(rng.normal(size=(4, 6)) * 1e-3, T0, T0, 0.0, model.init_state(4))[2]
    e0, e1 = st["eps"], st["eps"] + rng.normal(size=(4, 6)) * 1e-3
    sig, _, one = model.update(e1, T0, T1, dt, st)
    m = np.rint(1.0 / viscoelastic.substeps(p, T0, T1, dt)[1][:, 0]).astype(int)
    assert m.tolist() == [15, 23, 14, 1]  # ln a_T changes by 3.53, 5.55, 3.50 and 0: 0.25 per substep on average
    monkeypatch.setattr(viscoelastic, "SUBSTEP_LN", np.inf)  # every update one step
    model = make_model("viscoelastic", mat)
    for i in range(4):
        s_i = {k: v[i:i + 1] for k, v in st.items()}
        for k in range(m[i]):
            Ta, Tb = T0[i] + (T1[i] - T0[i]) * k / m[i], T0[i] + (T1[i] - T0[i]) * (k + 1) / m[i]
            sig_i, _, s_i = model.update(e0[i:i + 1] + (e1 - e0)[i:i + 1] * (k + 1) / m[i], Ta, Tb, dt / m[i], s_i)
        # the same sums in another order: round-off only (measured at most 4e-16 of each array's largest entry)
        np.testing.assert_allclose(sig_i[0], sig[i], rtol=0, atol=1e-12 * np.abs(sig[i]).max())
        for key in ("hG", "hK", "w"):
            np.testing.assert_allclose(s_i[key][0], one[key][i], rtol=0, atol=1e-12 * np.abs(one[key][i]).max())


def test_prony_user_data_loaders(tmp_path):
    """CSV Prony table (G/K and E forms) and an NNLS fit of an E(t) curve, plus errors that name the file."""
    f = tmp_path / "prony.csv"
    f.write_text("tau_s,G_MPa,K_MPa\ninf,100,500\n1.0,2000,1000\n100,1000,0\n")
    p = load_prony_csv(f, Tref_C=120.0, Tg_C=120.0, C1=17.44, C2=51.6, Ea_R=20000.0)
    assert p.G_inf == 100e6 and p.G == (2000e6, 1000e6) and p.tau_K == (1.0, 100.0) and p.K_inf == 500e6
    fe = tmp_path / "e.csv"
    fe.write_text("# tensile relaxation\ntau_s,E_GPa\ninf,1\n10,9\n")
    with pytest.warns(UserWarning, match="constant Poisson ratio"):
        pe = load_prony_csv(fe, Tref_C=120.0, nu=0.25)
    np.testing.assert_allclose([pe.G_inf, pe.K_inf, pe.G[0]], [0.4e9, 1e9 / 1.5, 3.6e9], rtol=1e-14)
    with pytest.raises(InputError, match="Poisson"):
        load_prony_csv(fe, Tref_C=120.0)
    bad = tmp_path / "bad.csv"
    bad.write_text("tau_s,G\n1,2\n")
    with pytest.raises(InputError, match="unit suffix"):
        load_prony_csv(bad, Tref_C=20.0, field="materials.x.prony_file")
    with pytest.raises(InputError) as exc:
        load_prony_csv(tmp_path / "missing.csv", Tref_C=20.0, field="materials.x.prony_file")
    assert exc.value.problems[0].field == "materials.x.prony_file"
    # Fit: data from a known 3-term E(t) with taus on the fixed grid: recovered within 0.5 % at every point.
    t = np.logspace(-2, 4, 40)
    E = 1e9 + 5e9 * np.exp(-t / 0.1) + 3e9 * np.exp(-t / 10) + 1e9 * np.exp(-t / 1000)
    fd = tmp_path / "relax.csv"
    fd.write_text("time_s,E_Pa\n" + "\n".join(f"{a:.17g},{b:.17g}" for a, b in zip(t, E)))
    with pytest.warns(UserWarning):
        pf = fit_relaxation_csv(fd, 0.3, Tref_C=25.0)
    Efit = pf.relaxation_G(t) * 2 * 1.3
    np.testing.assert_allclose(Efit, E, rtol=5e-3)  # NNLS on the exact grid: residual is round-off-level
    with pytest.warns(UserWarning, match="constant Poisson ratio"):
        PronyParams.from_relaxation_modulus(1e9, [1e9], [1.0], 0.3, 25.0)


def test_library_prony_matches_E_table_at_glassy_and_rubbery_limits():
    """emc: E0 = 23 GPa (25 C table) and E_inf = 1 GPa (260 C); die_attach_lowmod: 2330 MPa and 2 MPa."""
    for name, E0, Einf in (("emc", 23 * GPa, 1 * GPa), ("die_attach_lowmod", 2330 * MPa, 2 * MPa)):
        p = get(name).extra["prony"]
        e0 = 9 * p.K0 * p.G0 / (3 * p.K0 + p.G0)
        einf = 9 * p.K_inf * p.G_inf / (3 * p.K_inf + p.G_inf)
        np.testing.assert_allclose([e0, einf], [E0, Einf], rtol=1e-12)
        assert "ILLUSTRATIVE" in p.source and "ILLUSTRATIVE" in get(name).sources["prony"]
        # E at a 1 s time scale follows the elastic table at the glassy end (as the fit intends)
        aT = p.shift_factor(25.0)
        G, K = p.relaxation_G(1 / aT), p.relaxation_K(1 / aT)
        np.testing.assert_allclose(9 * K * G / (3 * K + G), get(name).elastic.E(25.0), rtol=5e-3)


def test_cure_strain_helper():
    mat = get("emc").with_overrides(extra={"cure_shrinkage": CureShrinkage(0.003, source="test")})
    np.testing.assert_allclose(cure_strain(mat, [0.0, 0.5, 1.0]), [[0, 0, 0], [-5e-4] * 3, [-1e-3] * 3], atol=1e-18)
    assert np.all(cure_strain(get("emc"), 1.0) == 0)


def _jesd_g_profile(steps_per_quarter):
    """JESD22-A104 condition G (-40/125 C), 15 min ramps and dwells, starting at 25 C heading up:
    (dt, T_end) per increment, the 900 s segments cut into ``steps_per_quarter`` increments."""
    segs = [(25.0, 125.0, 900 * 100 / 165), (125.0, 125.0, 900.0), (125.0, -40.0, 900.0), (-40.0, -40.0, 900.0),
            (-40.0, 25.0, 900 * 65 / 165)]
    out = []
    for T0, T1, d in segs:
        n = max(1, int(round(steps_per_quarter * d / 900)))
        out += [(d / n, T0 + (T1 - T0) * k / n) for k in range(1, n + 1)]
    return out


def _anand_cycles(steps_per_quarter, n_cycles=4):
    """A SAC305 point sheared in proportion to temperature (gamma = 1 % over the 165 K swing, as a CTE mismatch
    would), through JESD22-A104 G cycles; returns the inelastic work density per cycle (Pa)."""
    model = make_model("anand", get("sac305"))
    st = model.init_state(1)
    T_prev, W = 25.0, [0.0]
    for _ in range(n_cycles):
        for dt, T in _jesd_g_profile(steps_per_quarter):
            eps = np.array([[0, 0, 0, 0, 0, 0.01 / 165 * (T - 25.0)]])
            _, _, st = model.update(eps, T_prev, T, dt, st)
            T_prev = T
        W.append(st["w"][0])
    return np.diff(W)


def test_anand_thermal_cycle_work_stabilises_and_converges_in_dt():
    """dW per cycle stabilises after the first cycle and changes by less than 1 % when the increments are halved.

    Measured 2026-12-06 (sub-stepped integration): 0.2233, 0.2490, 0.24904, 0.24904 MPa (15 increments per 15-min
    segment) and 0.2234, 0.2492, 0.24926, 0.24926 MPa (30): change 0.09 %; the time-step-converged value is
    0.24927 MPa (one backward-Euler step per increment at 240 and 960 increments per segment, extrapolated).
    With one backward-Euler step per increment (before 2026-12-06) they were 0.24631 and 0.24815 MPa: changes
    0.74 % then 0.25 % (first order), 0.45 % below the converged value at 30."""
    w15 = _anand_cycles(15)
    w30 = _anand_cycles(30)
    assert abs(w15[3] / w15[2] - 1) < 1e-4 and abs(w30[3] / w30[2] - 1) < 1e-4  # stabilised from cycle 3
    assert abs(w30[3] / w15[3] - 1) < 0.01  # halving the increments: < 1 % (measured 0.09 %)
    np.testing.assert_allclose(w30[3], 0.24926e6, rtol=1e-3)  # pinned: measured value, guards regressions


def test_anand_local_failure_names_the_points(monkeypatch):
    """A local iteration that cannot converge (here: one Newton pass allowed) raises LocalSolveError with the
    indices of the failing points among all n, so the global solver can cut back and say where."""
    import fcpkg_fem.constitutive.anand as anand_mod
    from fcpkg_fem.constitutive import LocalSolveError

    solve = anand_mod._solve_local
    monkeypatch.setattr(anand_mod, "_solve_local", lambda loc, maxit=200: solve(loc, maxit=1))
    model = make_model("anand", get("sac305"))
    eps = np.zeros((4, 6))
    eps[[1, 3], 5] = 1e-3  # points 0 and 2 carry no deviatoric stress: elastic, never iterated
    with pytest.raises(LocalSolveError) as exc:
        model.update(eps, 25.0, 25.0, 1.0, model.init_state(4))
    assert exc.value.points.tolist() == [1, 3] and exc.value.exit_code == 4
