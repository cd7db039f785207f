"""Moisture properties of permeable materials: diffusivity, solubility, saturated concentration, swelling.

Units: SI, temperatures in degC (absolute temperature T_K = T_C + 273.15 inside the Arrhenius laws), concentrations
in kg of water per m^3 of material, pressures in Pa, energies in J/mol.

Model (docs/moisture.md):

    D(T)     = D0 exp(-Q_D / (R T_K))                      diffusivity, m^2/s
    S(T)     = S0 exp(+Ea_S / (R T_K))                     solubility (Henry's law C = S p), kg/(m^3 Pa)
    C_sat(T) = S(T) p_sat(T)                               saturated concentration: in equilibrium with saturated
                                                           vapour (100 % RH), kg/m^3
    eps_h    = cme * C  (each normal component)            hygroscopic strain, cme in m^3/kg (strain per kg/m^3)
    f                                                      free volume fraction (0 < f < 1): the share of the
                                                           material's volume in which absorbed water can gather as
                                                           liquid or vapour (the vapour pressure model,
                                                           :mod:`fcpkg_fem.post.vapour`); optional

with p_sat the saturation vapour pressure of water (:func:`saturation_pressure`). At a relative humidity RH
(fraction) the equilibrium concentration is S RH p_sat = RH C_sat: the wetness w = C / C_sat at an exposed surface
is RH.

A material carries its record as ``Material.extra["moisture"]`` (:class:`MoistureParams`; a case file sets it with a
``moisture:`` block, :mod:`fcpkg_fem.materials.spec_moisture`). Library records by material name, each with its
source, are in :data:`LIBRARY` (:func:`library_record`); :func:`moisture_of` gives the record a material uses (its
own, else the library's for its name, else None: impermeable). Silicon, copper and solders have none.

API: :class:`MoistureParams`, :func:`saturation_pressure`, :func:`arrhenius_through`, :data:`LIBRARY`,
:func:`library_record`, :func:`moisture_of`, :data:`R_GAS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from fcpkg_fem.errors import InputError, Problem, closest

__all__ = ["R_GAS", "MoistureParams", "saturation_pressure", "arrhenius_through", "LIBRARY", "library_record",
           "moisture_of", "SRC_P_SAT", "FREE_VOLUME", "SRC_FREE_VOLUME"]

R_GAS = 8.314462618
"""Molar gas constant, J/(mol K): N_A k with the Avogadro and Boltzmann constants fixed exactly by the 2019 SI
redefinition (8.314462618... J/(mol K), truncated here to the 10 digits CODATA 2018 prints)."""

T_CRIT_K = 647.096
"""Critical temperature of water, K (the upper end of the saturation-pressure equation)."""

# IAPWS-IF97 region 4, equation 30 (saturation pressure), coefficients n1..n10 of its Table 34; p in MPa, T in K.
_IF97_N = (0.11670521452767e4, -0.72421316703206e6, -0.17073846940092e2, 0.12020824702470e5,
           -0.32325550322333e7, 0.14915108613530e2, -0.48232657361591e4, 0.40511340542057e6,
           -0.23855557567849, 0.65017534844798e3)

SRC_P_SAT = (
    "IAPWS, 'Revised Release on the IAPWS Industrial Formulation 1997 for the Thermodynamic Properties of Water and "
    "Steam' (R7-97, revised 2007 and 2012), equation 30 with the coefficients n1..n10 of its Table 34 and the check "
    "values of its Table 35 (p_sat = 0.353658941e-2, 0.263889776e1, 0.123443146e2 MPa at 300, 500, 600 K); the "
    "release itself was not read: coefficients and check values read as quoted, identically, in several public "
    "implementations that name it (e.g. the R package 'iapws', whose documentation, read at rdrr.io, names R7-97(2012))"
)


def saturation_pressure(T_C: Any) -> np.ndarray:
    """Saturation vapour pressure of water over liquid, Pa, at temperature(s) ``T_C`` (degC).

    IAPWS-IF97 equation 30 (:data:`SRC_P_SAT`), valid from 0 degC to the critical point (373.946 degC); below 0
    degC it is evaluated at 0 degC (no ice), above the critical point at the critical temperature (the moisture
    models here never leave 0-300 degC). Shape: ``np.shape(T_C)`` (a scalar gives a 0-d array).
    """
    n = _IF97_N
    T = np.clip(np.asarray(T_C, dtype=float) + 273.15, 273.15, T_CRIT_K)
    th = T + n[8] / (T - n[9])
    A = th * th + n[0] * th + n[1]
    B = n[2] * th * th + n[3] * th + n[4]
    C = n[5] * th * th + n[6] * th + n[7]
    return 1e6 * (2.0 * C / (-B + np.sqrt(B * B - 4.0 * A * C))) ** 4


def arrhenius_through(T1_C: float, v1: float, T2_C: float, v2: float) -> tuple[float, float]:
    """(prefactor, activation energy J/mol) of v = v0 exp(-E/(R T_K)) through two points (T1, v1), (T2, v2).

    A value rising with temperature gives E > 0 (diffusivity); one falling gives E < 0.
    """
    t1, t2 = T1_C + 273.15, T2_C + 273.15
    E = R_GAS * math.log(v2 / v1) / (1.0 / t1 - 1.0 / t2)
    return v1 * math.exp(E / (R_GAS * t1)), E


@dataclass(frozen=True)
class MoistureParams:
    """Moisture constants of one material (internal units), see the module docstring for the laws.

    Attributes:
        D0: diffusivity prefactor, m^2/s (> 0).
        Q_D: activation energy of diffusion, J/mol (>= 0: diffusion speeds up with temperature).
        S0: solubility prefactor, kg/(m^3 Pa) (> 0).
        Ea_S: heat of solution, J/mol (S = S0 exp(Ea_S/(R T_K)); > 0: solubility falls with temperature).
        cme: coefficient of moisture expansion, strain per kg/m^3 = m^3/kg (>= 0), isotropic.
        source: where the numbers come from.
        free_volume: free volume fraction f (-, 0 < f < 1) in which the absorbed water gathers (the vapour
            pressure model of :mod:`fcpkg_fem.post.vapour`), or None: no vapour pressure is estimated in this
            material.
    """

    D0: float
    Q_D: float
    S0: float
    Ea_S: float
    cme: float
    source: str = ""
    free_volume: float | None = None

    def __post_init__(self) -> None:
        for k in ("D0", "Q_D", "S0", "Ea_S", "cme"):
            object.__setattr__(self, k, float(getattr(self, k)))
        if self.free_volume is not None:
            object.__setattr__(self, "free_volume", float(self.free_volume))

    def problems(self, field: str) -> list[Problem]:
        """What is wrong with the constants, each naming ``<field>.<constant>`` (empty when they are valid)."""
        probs = []
        for key, ok, want in (("D0", self.D0 > 0, "> 0 m^2/s (a diffusivity)"),
                              ("Q_D", self.Q_D >= 0, ">= 0 J/mol"),
                              ("S0", self.S0 > 0, "> 0 kg/(m^3 Pa) (a solubility)"),
                              ("Ea_S", True, ""),
                              ("cme", self.cme >= 0, ">= 0 m^3/kg (strain per kg/m^3)")):
            v = getattr(self, key)
            if not math.isfinite(v):
                probs.append(Problem(f"{field}.{key}", f"{v!r} is not a finite number"))
            elif not ok:
                probs.append(Problem(f"{field}.{key}", f"{v!r} must be {want}"))
        f = self.free_volume
        if f is not None and not (math.isfinite(f) and 0.0 < f < 1.0):
            probs.append(Problem(f"{field}.free_volume", f"{f!r} must be a fraction of the material's volume "
                                                         "between 0 and 1 (exclusive), e.g. 0.05"))
        return probs

    def check(self, field: str) -> None:
        """Raise InputError (every problem, each naming ``<field>.<constant>``) unless the constants are valid."""
        probs = self.problems(field)
        if probs:
            raise InputError(probs)

    @classmethod
    def from_saturation(cls, C_kg_per_m3: float, T_C: float, RH: float, *, D0: float, Q_D: float, Ea_S: float,
                        cme: float, source: str = "", free_volume: float | None = None) -> "MoistureParams":
        """Constants whose saturation matches a measured equilibrium uptake ``C_kg_per_m3`` (kg/m^3) at ``T_C``
        (degC) and relative humidity ``RH`` (fraction, 0 < RH <= 1): S0 = C / (RH p_sat(T) exp(Ea_S/(R T_K)))."""
        if not (0.0 < RH <= 1.0 and C_kg_per_m3 > 0):
            raise ValueError(f"need C > 0 and 0 < RH <= 1, got C = {C_kg_per_m3}, RH = {RH}")
        S_T = C_kg_per_m3 / (RH * float(saturation_pressure(T_C)))
        S0 = S_T / math.exp(Ea_S / (R_GAS * (T_C + 273.15)))
        return cls(D0=D0, Q_D=Q_D, S0=S0, Ea_S=Ea_S, cme=cme, source=source, free_volume=free_volume)

    def diffusivity(self, T_C: Any) -> np.ndarray:
        """D in m^2/s at temperature(s) T_C (degC); shape ``np.shape(T_C)``."""
        return self.D0 * np.exp(-self.Q_D / (R_GAS * (np.asarray(T_C, dtype=float) + 273.15)))

    def solubility(self, T_C: Any) -> np.ndarray:
        """S in kg/(m^3 Pa) at T_C (degC); shape ``np.shape(T_C)``."""
        return self.S0 * np.exp(self.Ea_S / (R_GAS * (np.asarray(T_C, dtype=float) + 273.15)))

    def saturated_concentration(self, T_C: Any) -> np.ndarray:
        """C_sat = S p_sat in kg/m^3 at T_C (degC): the concentration in equilibrium with saturated vapour."""
        return self.solubility(T_C) * saturation_pressure(T_C)

    def equilibrium_concentration(self, T_C: Any, RH: Any) -> np.ndarray:
        """Concentration in equilibrium with vapour at relative humidity RH (fraction) at T_C: RH C_sat, kg/m^3."""
        return np.asarray(RH, dtype=float) * self.saturated_concentration(T_C)

    def hygroscopic_strain(self, C: Any) -> np.ndarray:
        """Free hygroscopic strain [xx, yy, zz] at concentration(s) C (kg/m^3), measured from the dry state;
        shape ``np.shape(C) + (3,)``."""
        e = self.cme * np.asarray(C, dtype=float)
        return np.repeat(e[..., None], 3, axis=-1)


# ---------------------------------------------------------------------------------------------------------------
# Library records
# ---------------------------------------------------------------------------------------------------------------

_KJ = 1000.0  # J per kJ

SRC_EMC_D = (
    "D = 3.8e-7 mm^2/s at 20 C and 3.6e-6 mm^2/s at 85 C, measured on an epoxy moulding compound (Fickian up to 85 C "
    "and 85 % RH): 'Effect of temperature and humidity on moisture diffusion in an epoxy moulding compound "
    "material', TU Delft repository record uuid:40be966e-1896-4374-b840-45763d92fbec (undated in the copy read; "
    "authors not shown there), abstract (read at repository.tudelft.nl); D0 and Q_D are the Arrhenius line through "
    "the two points (Q_D = 30.2 kJ/mol)"
)
SRC_HYSOL_PCT = (
    "Hysol Huawei Electronics Co., Ltd, 'Hysol EMC for High Power Application' (product presentation, Nov 2020), "
    "page 3, table 'High Tg Tech', row 'Moisture absorption PCT24h %': 0.55, 0.65, 0.35, 0.3, 0.2, 0.2, 0.2, 0.2 for "
    "MG15F-MOD2, MG15F-0140, GR750 (Std), GR750 X1 (Std), GR750X1 (low CTE), GR720X2 (Std), GR750 X2FF and GR720X2 "
    "(high CTE); read in full text at cupdf.com/document/hysol-emc-for-high-power-application.html (a third-party "
    "upload of the presentation, not the maker's own site). The sheet states neither the PCT conditions nor the "
    "specimen: taken as the usual pressure cooker test, 121 C in saturated steam (100 % RH, assumed); 24 h need not "
    "saturate a millimetre-thick specimen, so the saturated uptake is at least the value read (a lower bound)"
)
_EA_WHY = ("heat of solution 45 kJ/mol assumed: a little above the heat of vaporisation of water (about 42-44 "
           "kJ/mol), so that C_sat falls slowly with temperature, as E. H. Wong and S. B. Park, 'Moisture diffusion "
           "modeling - A critical review', Microelectron. Reliab. (2016), abstract (read at its cupdf.com copy) "
           "state saturated concentrations do; no measured value could be read")
FREE_VOLUME = 0.05
"""Free volume fraction of every library record (-): assumed (:data:`SRC_FREE_VOLUME`)."""
SRC_FREE_VOLUME = (
    "free volume fraction f = 0.05: assumed: no measured free volume (or micro-void) fraction of a named mould "
    "compound, die-attach film, solder mask or laminate could be read; it is the share of the volume the vapour "
    "pressure model of X. J. Fan, J. Zhou, G. Q. Zhang, L. J. Ernst, 'A Micromechanics-Based Vapor Pressure Model "
    "in Electronic Packages', ASME J. Electron. Packag. 127(3):262-267 (2005) (abstract read) puts the absorbed "
    "water in; a few percent is taken as the order of magnitude, and the pressure where the water exceeds what "
    "saturated vapour can hold (the usual state after a soak) does not depend on it"
)
SRC_JANG_2010 = (
    "Jang, Han, Yoon, 'Measurement of the Hygroscopic Swelling Coefficient of Thin Film Polymers Used in "
    "Semiconductor Packaging', IEEE Trans. Compon. Packag. Technol. 33(2):340-346 (2010), abstract (read at "
    "web.calce.umd.edu): 0.067-0.25 %strain/%wt for polyimide, solder resist, anisotropic conductive film and a thin "
    "woven glass/resin composite (which film has which value is not in the abstract)"
)


def _emc_record(pct_percent: float, what: str) -> MoistureParams:
    D0, Q = arrhenius_through(20.0, 3.8e-13, 85.0, 3.6e-12)
    rho = 1980.0  # the library emc's density (kg/m^3)
    beta = 0.3  # strain per unit mass fraction
    C_pct = pct_percent / 100 * rho
    rec = MoistureParams.from_saturation(C_pct, 121.0, 1.0, D0=D0, Q_D=Q, Ea_S=45 * _KJ, cme=beta / rho)
    w85 = float(rec.equilibrium_concentration(85.0, 0.85)) / rho * 100
    src = (f"D0, Q_D: {SRC_EMC_D}. C_sat: read (lower bound): {pct_percent} % moisture absorption after 24 h of PCT "
           f"({what}), " + SRC_HYSOL_PCT + f"; the record saturates at that value at 121 C/100 % RH ({C_pct:.3g} "
           f"kg/m^3 with the library emc's 1980 kg/m^3), i.e. {w85:.3g} wt% at 85 C/85 % RH through the heat of "
           f"solution below; the library emc's other properties are not those of this compound. Ea_S: assumed: "
           f"{_EA_WHY}. cme: assumed: {beta} strain per unit mass fraction ({beta / rho:.4g} m^3/kg at 1980 kg/m^3), "
           "a hygroscopic swelling coefficient of the order reported for package polymers (" + SRC_JANG_2010
           + "); no value of a mould compound could be read; a check, not a source: beta times the standard "
           "compound's saturation at 85 C/85 % RH (0.3 x 0.334 wt% = 1.0e-3 strain) is about the thermal strain of a "
           "90 K rise at the library emc's 11 ppm/K (9.9e-4), the order " + SRC_HAN_2003 + ". p_sat: " + SRC_P_SAT
           + ". free_volume: " + SRC_FREE_VOLUME)
    return MoistureParams.from_saturation(C_pct, 121.0, 1.0, D0=D0, Q_D=Q, Ea_S=45 * _KJ,
                                          cme=beta / rho, source=src, free_volume=FREE_VOLUME)


SRC_HAN_2003 = (
    "B. Han, E. Stellrecht, M. Pecht, 'Hygroscopic Swelling of Encapsulated Microcircuits - Part I', Advanced "
    "Packaging pp. 31-35 (June 2003), abstract (read at web.calce.umd.edu/articles/abstracts/2003/encapsulated.htm): "
    "for five commercial mould compounds the hygroscopic swelling 'can be as significant as the deformation caused by "
    "a thermal expansion of 90oC' (no coefficient or uptake in the abstract)"
)
SRC_LIU_2016 = (
    "R. Liu, H. Wang, J. Wang, H. Lee, S. B. Park, X. Xue, Y. Kim, S. Saiyed, D. Sengupta, 'Moisture Diffusion and "
    "Hygroscopic Swelling of Adhesives in Electronics Packaging', Proc. 66th ECTC (2016), DOI 10.1109/ECTC.2016.385, "
    "abstract (read at bohrium.dp.tech/paper/arxiv/5c75691df56def979826132f): the coefficient of hygroscopic swelling "
    "of a die-attach adhesive (MEMS packages), measured from 25 to 150 C, 'ranges from 0.4 to 0.55 (strain/ "
    "percentage weight)' and depends on temperature above the water evaporation temperature; the unit is read as "
    "percent strain per percent weight, i.e. strain per unit mass fraction (taken literally, 0.4 strain per 1 wt% "
    "would be a 40 % swelling); which temperature has which end of the range is not in the abstract; 0.4, the lower "
    "end, is taken, with the low-temperature plateau the abstract implies"
)
SRC_NGUYEN_1997 = (
    "M. Nguyen, I. Chien, 'Development of an ultra low moisture polymer adhesive for die attach applications', Proc. "
    "21st IEEE/CPMT IEMT Symposium (1997), DOI 10.1109/IEMT.1997.626925, abstract (read at m.booksci.cn/literature/"
    "133240496.htm): an olefin die-attach paste absorbs 'less than 0.05%' at 85 C/85 % RH/168 h and 0.1 % at 150 C/"
    "85 % RH/168 h, against conventional epoxies (their uptake not given); not used: a hydrophobic special material, "
    "not an epoxy film"
)


def _assumed_record(name: str, rho: float, wt_percent: float, D85: float, Q_kJ: float, beta: float,
                    typical: str, beta_src: str, beta_read: bool = False) -> MoistureParams:
    """A record whose D, C_sat and heat of solution are assumed; cme too unless ``beta_read`` (then ``beta_src``
    is where beta was read)."""
    D0 = D85 / math.exp(-Q_kJ * _KJ / (R_GAS * 358.15))
    beta_txt = (f"cme = {beta} strain per unit mass fraction ({beta / rho:.4g} m^3/kg with the library's {rho:g} "
                f"kg/m^3)")
    if beta_read:
        what = (f"D = {D85:g} m^2/s at 85 C with Q_D = {Q_kJ:g} kJ/mol, C_sat = {wt_percent} wt% at 85 C/85 % RH "
                f"({wt_percent / 100 * rho:.3g} kg/m^3 with the library's {rho:g} kg/m^3), heat of solution 45 kJ/mol: "
                f"values of the order usual for unfilled or glass-reinforced epoxies (assumed, not read). {beta_txt}: "
                f"read: {beta_src}")
        src = (f"D, C_sat, Ea_S assumed, cme read: {name}: no sorption or diffusion data of a named {typical} could be "
               f"read. {what}")
    else:
        src = (f"assumed: {name}: no moisture data of a named {typical} could be read. D = {D85:g} m^2/s at 85 C with "
               f"Q_D = {Q_kJ:g} kJ/mol, C_sat = {wt_percent} wt% at 85 C/85 % RH ({wt_percent / 100 * rho:.3g} kg/m^3 "
               f"with the library's {rho:g} kg/m^3), heat of solution 45 kJ/mol, {beta_txt}: values of the order usual "
               f"for unfilled or glass-reinforced epoxies (assumed, not read); {beta_src}")
    src += ". p_sat: " + SRC_P_SAT + ". free_volume: " + SRC_FREE_VOLUME
    return MoistureParams.from_saturation(wt_percent / 100 * rho, 85.0, 0.85, D0=D0, Q_D=Q_kJ * _KJ,
                                          Ea_S=45 * _KJ, cme=beta / rho, source=src, free_volume=FREE_VOLUME)


def _library() -> dict[str, MoistureParams]:
    return {
        "emc": _emc_record(0.35, "GR750 (Std), the standard compound; the same as emc_standard"),
        "emc_standard": _emc_record(0.35, "GR750 (Std), the standard compound"),
        "emc_low_absorption": _emc_record(0.2, "the lowest on the sheet, shared by GR750X1 (low CTE), GR720X2 (Std "
                                               "and high CTE) and GR750 X2FF: the low-absorption compound"),
        "die_attach_lowmod": _assumed_record(
            "die_attach_lowmod", 1200.0, 1.0, 1.0e-11, 35.0, 0.4, "die-attach film",
            SRC_LIU_2016 + " (above the 0.067-0.25 of " + SRC_JANG_2010 + "); C_sat: an uptake read for a die-attach "
            "adhesive, " + SRC_NGUYEN_1997, beta_read=True),
        "solder_mask": _assumed_record(
            "solder_mask", 1400.0, 1.5, 5.0e-12, 40.0, 0.25, "solder mask",
            "cme: the upper end of the range of " + SRC_JANG_2010 + ", which includes a solder resist"),
        "bt_laminate": _assumed_record(
            "bt_laminate", 1900.0, 0.8, 3.0e-12, 40.0, 0.1, "BT laminate",
            "cme: inside the range of " + SRC_JANG_2010 + ", which includes a thin woven glass/resin composite; "
            "diffusion taken isotropic (glass cloth slows it in-plane less than through the thickness)"),
    }


LIBRARY: Mapping[str, MoistureParams] = _library()
"""Moisture records by library material name (``emc``, ``die_attach_lowmod``, ``solder_mask``, ``bt_laminate``) and
the two contrasting mould compounds a case can pick (``emc_standard``, ``emc_low_absorption``). Materials not here
(silicon, copper, solders, polyimide) are impermeable unless a case gives them a ``moisture:`` block."""


def library_record(name: str, field: str = "moisture") -> MoistureParams:
    """The library record ``name``. Raises InputError naming ``field`` (with the closest name) if there is none."""
    if name in LIBRARY:
        return LIBRARY[name]
    hint = closest(str(name), LIBRARY)
    did = f" (did you mean '{hint}'?)" if hint else ""
    raise InputError.single(field, f"{name!r} has no library moisture record{did}; known: {', '.join(LIBRARY)}")


def moisture_of(material: Any) -> MoistureParams | None:
    """The moisture record a material uses: its own ``extra['moisture']``, else the library record of its name,
    else None (impermeable)."""
    own = material.extra.get("moisture") if hasattr(material, "extra") else None
    if own is not None:
        return own
    return LIBRARY.get(getattr(material, "name", ""))
