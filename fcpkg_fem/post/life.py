"""Solder-joint fatigue life estimates: Darveaux, Syed, Coffin-Manson / Engelmaier, and their inputs.

Every model function returns ``(cycles, info)``: the number and a dict with the model name, the formula, the
constants with their units, the source, the inputs in the units the formula uses and the assumptions, so a writer
can put them next to the number. Inputs are SI (Pa = J/m^3 for energy densities, m for lengths, degC).

Each model's input is what its author fitted the constants with: Darveaux and Syed the per-cycle increment of the
inelastic work density averaged over the element layer at the pad interface; Engelmaier the cyclic shear strain
range (:func:`equivalent_shear_strain_range` of the strain path over one cycle, not the rise of the accumulated
equivalent strain, which is about twice the range over a closed cycle). Constants are applied only to the solder
they were fitted for (:func:`solder_family`, :func:`darveaux_constants`).

Life is a derived figure with a wide scatter band (factors of 2 are common between constants fitted by different
groups): the constants are only valid with the same averaging and element size as their fit, recorded in ``info``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from fcpkg_fem.constitutive.base import equivalent_strain
from fcpkg_fem.errors import InputError
from fcpkg_fem.materials import library

__all__ = [
    "DarveauxConstants",
    "DARVEAUX_SNPB_2000",
    "solder_family",
    "darveaux_constants",
    "darveaux",
    "syed",
    "coffin_manson",
    "engelmaier",
    "engelmaier_exponent",
    "engelmaier_shear_strain_range",
    "equivalent_shear_strain_range",
    "transverse_shear_strain_range",
]

PSI = 6894.757293168361  # Pa per psi
INCH = 0.0254  # m per inch
UNCERTAINTY = ("life models carry a scatter of about a factor of 2 or more; use for comparing designs under the "
               "same method, not as an absolute prediction")


def _positive(field: str, value: float, unit: str) -> float:
    v = float(value)
    if not (v > 0 and math.isfinite(v)):
        raise InputError.single(field, f"must be a finite number > 0 {unit}, got {value!r}")
    return v


@dataclass(frozen=True)
class DarveauxConstants:
    """Darveaux crack initiation and growth constants, in the units of the original fit (psi, inch).

    N0 = K1 dW^K2 (cycles), da/dN = K3 dW^K4 (inch/cycle), dW the per-cycle increment of the volume-averaged
    inelastic strain-energy density in psi, averaged over the layer of elements at the pad interface of
    thickness ``layer_thickness_m`` (the constants are only valid with that averaging).
    """

    K1: float  # cycles / psi^K2
    K2: float
    K3: float  # inch / cycle / psi^K4
    K4: float
    layer_thickness_m: float
    solder: str
    source: str
    family: str = ""  # solder family the fit applies to ("SnPb", "SnAgCu"; see solder_family)


DARVEAUX_SNPB_2000 = DarveauxConstants(
    K1=22400.0, K2=-1.52, K3=5.86e-7, K4=0.98, layer_thickness_m=25.4e-6, solder="62Sn36Pb2Ag / 63Sn37Pb",
    source="Darveaux, 'Effect of simulation methodology on solder joint crack growth correlation', Proc. 50th "
           "ECTC (2000), as commonly quoted: K1 = 22400 cycles/psi^K2, K2 = -1.52, K3 = 5.86e-7 in/cycle/psi^K4, "
           "K4 = 0.98, volume-averaged dW over interface elements 1 mil (25.4 um) thick; not read here: the paper "
           "could not be located; fitted for SnPb and applied to SnPb joints only",
    family="SnPb",
)

NO_SAC_DARVEAUX = (
    "no Darveaux constants fitted for SnAgCu are shipped: SnAgCu sets are published (e.g. Schubert, Dudek, "
    "Auerswald, Gollhardt, Michel, Reichl, 'Fatigue life models for SnAgCu and SnPb solder joints evaluated by "
    "experiments and simulation', Proc. 53rd ECTC (2003)), but their constants could not be read at the source, and "
    "the SnPb set (Darveaux 2000) is not applied to SnAgCu joints"
)


def solder_family(material) -> str | None:
    """The solder family (``"SnPb"``, ``"SnAgCu"``) that life constants are fitted for: the material's
    ``extra['solder_family']`` (the library solders carry it, a case's material based on one inherits it, and a
    case can give it: ``materials.<name>.solder_family``); None for anything else, which is not assumed to be
    either. A name is looked up in the library."""
    if isinstance(material, str):
        material = library.get(material) if material in library.builtin_names() else None
    return (getattr(material, "extra", None) or {}).get("solder_family")


def darveaux_constants(material) -> tuple[DarveauxConstants | None, str]:
    """(constants, why) for a joint of ``material`` (a Material or its name): the material's own fit in
    ``material.extra['darveaux']`` (a DarveauxConstants or a mapping of its fields) if it has one, else the built-in
    fit for its solder family (SnPb only: :data:`DARVEAUX_SNPB_2000`), else None with the reason."""
    extra = getattr(material, "extra", None) or {}
    own = extra.get("darveaux")
    if isinstance(own, DarveauxConstants):
        return own, "the material's own constants"
    if isinstance(own, Mapping):
        return DarveauxConstants(**own), "the material's own constants"
    fam = solder_family(material)
    if fam == "SnPb":
        return DARVEAUX_SNPB_2000, "the SnPb set for a SnPb joint"
    name = getattr(material, "name", material)
    if fam == "SnAgCu":
        return None, NO_SAC_DARVEAUX
    return None, (f"the solder family of material '{name}' is not known, so no fitted constants apply (base it on "
                  f"a library solder, or give materials.{name}.solder_family: SnPb or SnAgCu, or its own "
                  f"materials.{name}.darveaux constants)")


def darveaux(dW: float, crack_length_m: float, constants: DarveauxConstants, *,
             layer_thickness_m: float | None = None) -> tuple[float, dict[str, Any]]:
    """Characteristic life N_f = N0 + a / (da/dN) (cycles).

    Args:
        dW: per-cycle increment of the volume-averaged inelastic work density at the pad interface (Pa = J/m^3).
        crack_length_m: characteristic crack length a (m), usually the joint diameter at the pad interface.
        constants: the fit to use, one fitted for the joint's solder (:func:`darveaux_constants`; there is no
            default, so no joint gets another solder's constants by omission).
        layer_thickness_m: thickness of the averaging layer the caller used (m); recorded, and an assumption
            notes the mismatch when it differs from the constants' by more than 10 %.
    """
    dW = _positive("life.darveaux.dW", dW, "Pa")
    a = _positive("life.darveaux.crack_length", crack_length_m, "m")
    c = constants
    dW_psi = dW / PSI
    N0 = c.K1 * dW_psi**c.K2
    dadN_in = c.K3 * dW_psi**c.K4
    N_grow = (a / INCH) / dadN_in
    Nf = N0 + N_grow
    assumptions = [
        "dW is the per-cycle increment of inelastic work density volume-averaged over the "
        f"{c.layer_thickness_m * 1e6:.4g} um thick element layer at the pad interface (the layer the constants were fitted with)",
        "stabilised cycle; constant crack growth rate across the joint",
        f"constants fitted for {c.solder}",
        UNCERTAINTY,
    ]
    if layer_thickness_m is not None and abs(layer_thickness_m / c.layer_thickness_m - 1) > 0.1:
        assumptions.append(f"WARNING: dW averaged over a {layer_thickness_m * 1e6:.4g} um layer, the constants over "
                           f"{c.layer_thickness_m * 1e6:.4g} um: the life is biased")
    info = {
        "model": "darveaux",
        "formula": "N0 = K1 dW^K2; da/dN = K3 dW^K4; N_f = N0 + a / (da/dN)  (dW in psi, a in inch)",
        "constants": asdict(c),
        "inputs": {"dW_Pa": dW, "dW_psi": dW_psi, "crack_length_m": a,
                   "layer_thickness_m": layer_thickness_m},
        "N0_cycles": N0,
        "da_dN_m_per_cycle": dadN_in * INCH,
        "growth_cycles": N_grow,
        "source": c.source,
        "assumptions": assumptions,
    }
    return Nf, info


SYED_SOURCE = (
    "Syed, 'Accumulated creep strain and energy density based thermal fatigue life prediction models for SnAgCu "
    "solder joints', Proc. 54th ECTC (2004): N_f = (0.0019 W_acc)^-1, W_acc the accumulated creep energy density "
    "per cycle in MPa (= MJ/m^3), averaged over the critical joint's interface elements; the constant as commonly "
    "quoted (secondary sources do not all quote the same value), not read here: the paper could not be located"
)


def syed(W_acc: float, *, layer_thickness_m: float | None = None) -> tuple[float, dict[str, Any]]:
    """N_f = (0.0019 W_acc)^-1 (cycles), W_acc the accumulated creep energy density per cycle in Pa.

    The fit is in MPa: W_acc = 0.1 MPa (1e5 Pa) gives 1 / 1.9e-4 = 5263 cycles. For SnAgCu joints. W_acc is
    averaged over the interface elements of the critical joint, as Syed did; ``layer_thickness_m`` (m), the
    thickness of that element layer, is recorded with the inputs.
    """
    W = _positive("life.syed.W_acc", W_acc, "Pa")
    W_MPa = W / 1e6
    Nf = 1.0 / (0.0019 * W_MPa)
    info = {
        "model": "syed",
        "formula": "N_f = (0.0019 W_acc)^-1, W_acc in MPa (MJ/m^3)",
        "constants": {"C": 0.0019, "C_unit": "1/MPa"},
        "inputs": {"W_acc_Pa": W, "W_acc_MPa": W_MPa, "layer_thickness_m": layer_thickness_m},
        "source": SYED_SOURCE,
        "assumptions": ["W_acc is the creep energy density accumulated per stabilised cycle, averaged over the "
                        "element layer at the critical pad interface; here the whole inelastic (viscoplastic) work "
                        "of the solder model, which does not separate creep from plasticity",
                        "SnAgCu solder (SAC305/SAC405-class)", UNCERTAINTY],
    }
    return Nf, info


ENGELMAIER_SOURCE = (
    "Engelmaier, 'Fatigue life of leadless chip carrier solder joints during power cycling', IEEE Trans. CHMT "
    "6(3):232-237 (1983); IPC-D-279 (1996) / IPC-SM-785: N_f = 1/2 (dgamma / (2 eps_f'))^(1/c), "
    "c = -0.442 - 6e-4 T_sj + 1.74e-2 ln(1 + f), eps_f' = 0.325 (eutectic SnPb), T_sj in degC, f in cycles/day "
    "(1 <= f <= 1000); not read here: the documents could not be located"
)


def coffin_manson(strain_range: float, eps_f: float, c: float, *, source: str = "user constants"
                  ) -> tuple[float, dict[str, Any]]:
    """Coffin-Manson: N_f = 1/2 (strain_range / (2 eps_f))^(1/c) (cycles), c < 0 the fatigue ductility exponent."""
    d = _positive("life.coffin_manson.strain_range", strain_range, "(-)")
    e = _positive("life.coffin_manson.eps_f", eps_f, "(-)")
    if not c < 0:
        raise InputError.single("life.coffin_manson.c", f"the fatigue ductility exponent must be < 0, got {c!r}")
    Nf = 0.5 * (d / (2.0 * e)) ** (1.0 / c)
    info = {
        "model": "coffin_manson",
        "formula": "N_f = 1/2 (d_eps / (2 eps_f'))^(1/c)",
        "constants": {"eps_f": e, "c": c},
        "inputs": {"strain_range": d},
        "source": source,
        "assumptions": ["strain_range is the cyclic (inelastic or total, as the constants were fitted) strain range",
                        UNCERTAINTY],
    }
    return Nf, info


def engelmaier_exponent(T_sj_C: float, cycles_per_day: float) -> float:
    """Engelmaier's c = -0.442 - 6e-4 T_sj + 1.74e-2 ln(1 + f) (T_sj: mean cyclic solder temperature, degC;
    f: cycling frequency, cycles/day, valid 1..1000)."""
    return -0.442 - 6e-4 * float(T_sj_C) + 1.74e-2 * math.log(1.0 + float(cycles_per_day))


def engelmaier_shear_strain_range(L_D: float, delta_alpha: float, delta_T: float, h: float, F: float = 1.0) -> float:
    """Cyclic shear strain range of a leadless joint, dgamma = F L_D d_alpha dT / h.

    L_D: distance from the neutral point (m); d_alpha: CTE mismatch (1/K); dT: temperature swing (K);
    h: solder joint height (m); F: empirical non-ideal factor (about 0.7-1.2, 1 by default).
    """
    return float(F) * float(L_D) * abs(float(delta_alpha)) * abs(float(delta_T)) / _positive(
        "life.engelmaier.h", h, "m")


def equivalent_shear_strain_range(path) -> np.ndarray:
    """Cyclic range of a strain path as a shear strain: sqrt(3) max over pairs (i, j) of eps_eq(e_i - e_j).

    ``path``: (n_samples, ..., 6) strains (Voigt xx, yy, zz, yz, xz, xy, ENGINEERING shear) along one cycle;
    returns (...) (-). eps_eq is the von Mises equivalent strain sqrt(2/3 e_dev:e_dev), so a path in simple shear
    gamma gives exactly gamma_max - gamma_min, and a multiaxial or non-proportional path the longest chord of its
    deviatoric path (a range, unlike the accumulated equivalent strain, which rises by about twice the range over a
    closed cycle). Exact for the samples given: a path sampled at increments misses extremes between them.
    """
    e = np.asarray(path, dtype=float)
    best = np.zeros(e.shape[1:-1])
    for i in range(len(e) - 1):  # one row of pairs at a time: memory n_samples x the rest
        best = np.maximum(best, equivalent_strain(e[i + 1:] - e[i]).max(axis=0))
    return np.sqrt(3.0) * best


def transverse_shear_strain_range(path) -> np.ndarray:
    """Cyclic range of the shear across z, max over pairs (i, j) of |(gamma_yz, gamma_xz)_i - (...)_j| (-).

    ``path`` as :func:`equivalent_shear_strain_range`; returns (...). For a joint of axis z this is the shear its
    pads' relative lateral displacement imposes, whatever its direction (Engelmaier's geometric strain)."""
    g = np.asarray(path, dtype=float)[..., 3:5]
    best = np.zeros(g.shape[1:-1])
    for i in range(len(g) - 1):
        best = np.maximum(best, np.linalg.norm(g[i + 1:] - g[i], axis=-1).max(axis=0))
    return best


def engelmaier(delta_gamma: float, T_sj_C: float, cycles_per_day: float, eps_f: float = 0.325, *,
               solder: str | None = "SnPb") -> tuple[float, dict[str, Any]]:
    """Engelmaier's Coffin-Manson form for solder: N_f = 1/2 (dgamma / (2 eps_f'))^(1/c) (mean cycles to failure).

    Args:
        delta_gamma: cyclic shear strain range (-): the range over one cycle, e.g. from
            :func:`engelmaier_shear_strain_range`, or :func:`equivalent_shear_strain_range` of the FE joint strain.
        T_sj_C: mean cyclic solder joint temperature (degC), e.g. 42.5 for -40/125 C.
        cycles_per_day: cycling frequency (1/day), e.g. 48 for 2 cycles per hour.
        eps_f: fatigue ductility coefficient (0.325 for eutectic SnPb).
        solder: the joint's solder family (:func:`solder_family`); any other than SnPb puts a WARNING in the
            assumptions (the constants are SnPb's).
    """
    f = _positive("life.engelmaier.cycles_per_day", cycles_per_day, "cycles/day")
    c = engelmaier_exponent(T_sj_C, f)
    Nf, info = coffin_manson(delta_gamma, eps_f, c, source=ENGELMAIER_SOURCE)
    info.update(
        model="engelmaier",
        formula="N_f = 1/2 (dgamma / (2 eps_f'))^(1/c), c = -0.442 - 6e-4 T_sj + 1.74e-2 ln(1 + f)",
        constants={"eps_f": eps_f, "c": c, "c0": -0.442, "c_T_per_C": -6e-4, "c_f": 1.74e-2},
        inputs={"delta_gamma": float(delta_gamma), "T_sj_C": float(T_sj_C), "cycles_per_day": f},
    )
    info["assumptions"] = [
        "eps_f' = 0.325 and the exponent formula were fitted for eutectic SnPb",
        "valid for 1 <= f <= 1000 cycles/day" + ("" if 1 <= f <= 1000 else f" (WARNING: f = {f:g} is outside)"),
        "dgamma is the cyclic shear strain range of the joint (a range over one cycle, not an accumulated strain)",
        UNCERTAINTY,
    ]
    if solder != "SnPb":
        info["assumptions"].insert(0, f"WARNING: the joint's solder is {solder or 'of unknown family'}, the "
                                      "constants are eutectic SnPb's: the life is not a fit for this solder")
    return Nf, info
