"""Built-in material library: every value with its source next to it.

Values are in internal units (Pa, 1/K, degC, W/(m K), kg/m^3, J/(kg K)); the helpers below convert from the
units the sources use. Each source text is one of two kinds (docs/materials.md, "Built-in materials"):

- a document that states the number, named by its authors or publisher, title, year (or "undated") and table or
  figure, and where it was read (a readable public copy); a number derived from such numbers says how;
- ``assumed: <why>``: no document stating the number could be read; the text says what the value rests on and the
  usual range. :func:`fcpkg_fem.materials.provenance.is_assumed` recognises these, and ``fcpkg check`` lists the
  assumed values a case uses (:mod:`fcpkg_fem.case.assumed`).

API: :func:`builtin_names`, :func:`get`.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Callable

import numpy as np

from fcpkg_fem.errors import InputError, closest
from fcpkg_fem.materials.model import CTE, AnandParams, Isotropic, J2Params, Material, Orthotropic, PronyParams, Table

__all__ = ["builtin_names", "get", "SILICON_CIJ"]

GPa = 1e9
MPa = 1e6
KSI = 6894757.293168361  # Pa per ksi (1 lbf/in^2 = 6894.757293168361 Pa, exact by definition of lbf and inch)


LB_PER_IN3 = 0.45359237 / 0.0254**3  # kg/m^3 per lb/in^3 (exact by definition of the pound and the inch)


def _ppm(x: float) -> float:
    """ppm/K -> 1/K (dividing keeps e.g. 60 ppm -> 6e-05 exact to the last bit)."""
    return x / 1e6


def _const(v: float) -> Table:
    return Table.constant(v)


def _prony_from_E(E_inf: float, E: list[float], tau: list[float], nu: float, source: str, *, Tg: float,
                  C1: float, C2: float, Ea_R: float) -> PronyParams:
    """Shear/bulk Prony series from E(t) terms with a constant Poisson ratio (as PronyParams.from_relaxation_modulus,
    without its run-time warning: the library states the assumption in the source text instead). Tref = Tg."""
    g, k = 1.0 / (2 * (1 + nu)), 1.0 / (3 * (1 - 2 * nu))
    return PronyParams(G_inf=E_inf * g, G=[e * g for e in E], tau_G=tau, K_inf=E_inf * k, K=[e * k for e in E],
                       tau_K=tau, Tref_C=Tg, Tg_C=Tg, C1=C1, C2=C2, Ea_R=Ea_R, source=source)


SRC_WLF_UNIVERSAL = (
    "the 'universal' WLF constants C1 = 17.44, C2 = 51.6 K with Tref = Tg of Williams, Landel, Ferry, J. Am. Chem. "
    "Soc. 77:3701 (1955) (not read here; taken as commonly quoted)"
)


# ---------------------------------------------------------------------------------------------------------------
# Sources: the documents read, each with the copy it was read at and what it states
# ---------------------------------------------------------------------------------------------------------------

SRC_VS_SI = (
    "Virginia Semiconductor Inc., 'Basic Mechanical and Thermal Properties of Silicon', technical note (undated; "
    "read at its studylib.net copy)"
)
SRC_SI_CIJ = (
    SRC_VS_SI + ", section B: C11 = 1.6564e11, C12 = 0.6394e11, C44 = 0.7951e11 Pa at room temperature and "
    "atmospheric pressure; E<100> = (C11-C12)(C11+2 C12)/(C11+C12) = 130.0 GPa and nu = C12/(C11+C12) = 0.279 "
    "derived from them (the orientation dependence is discussed by Hopcroft, Nix, Kenny, 'What is the Young's "
    "Modulus of Silicon?', J. Microelectromech. Syst. 19:229-238, 2010, whose tables were not read)"
)
SRC_SI_CTE = (
    "alpha(T) = (3.725 (1 - exp(-5.88e-3 (T - 124))) + 5.548e-4 T) 1e-6 1/K, T in K, valid 120-1500 K: the formula "
    "of Okada & Tokumaru, J. Appl. Phys. 56:314 (1984) (not read here) as quoted in section B of " + SRC_VS_SI
    + " (the copy prints the exponents garbled; with Okada and Tokumaru's 1e-4 and 1e-6 it gives 2.553 ppm/K at "
    "25 C, inside the note's recommended 2.59 +/- 0.05 ppm/K); tabulated here every 25-50 C"
)
SRC_SI_THERMAL = (
    "'A fully coupled system of generalized thermoelastic theory for semiconductor medium', Sci. Rep. 14 (2024), "
    "article s41598-024-63554-2, Table 1 'Physical material parameters of silicon ... at T0 = 293 K' (read at "
    "nature.com): rho 2330 kg/m^3, C_E 695 J/(kg K), k 150 W/(m K); k falls with temperature, held constant here"
)
SRC_CU = (
    "Sood, Shue, Leitner, Daniluk, Sindjui, 'A Study on Effects of Copper Wrap Specifications on Printed Circuit "
    "Board Reliability', IEEE Trans. Reliab. 68(1):248-266 (published online 2018), doi:10.1109/TR.2018.2835140, "
    "Table VI 'Material Definitions for Laminates, Via Fills, and Copper', row 'Electroplated copper' (read at "
    "the author manuscript PMC7340094): E 18850 ksi (130.0 GPa), Poisson's ratio 0.34, CTE 17.7 ppm/C, k 401 "
    "W/(m K), Cp 385 (J/(kg K): the column's J/(g K) fits the laminate rows only), density 0.32 lb/in^3 "
    "(8858 kg/m^3)"
)
SRC_KAPTON_T1 = (
    "DuPont, 'Kapton HN polyimide film' technical data sheet (undated), Table 1 'Physical Properties of DuPont "
    "Kapton HN at 23 C' (read at its studylib.net copy): tensile modulus 2.5 GPa at 23 C and 2.0 GPa at 200 C "
    "(ASTM D-882-91, Method A), density 1.42 g/cc"
)
SRC_KAPTON_GEN = (
    "DuPont Kapton general properties data sheet (undated), physical and thermal property tables (read at the "
    "copy mu2e.phy.duke.edu/cw/misc/0404_kapton_properties): Poisson's ratio 0.34 (three samples at 5, 7, 10 % "
    "elongation), thermal coefficient of linear expansion 20 ppm/C from -14 to 38 C (ASTM D-696-91), thermal "
    "conductivity 0.12 W/(m K), specific heat 1.09 J/(g K) at 23 C"
)
SRC_BT = (
    "HW20-M1 BT-resin laminate (IC package grade) data sheet, 'General properties' table (undated; read at "
    "http://m.jeremiah-wx.com/product/detail-6113.html): Tg 210 +/- 10 C (DMA), X/Y CTE 13-15 ppm/C below Tg and "
    "6-8 above, Z CTE 40 ppm/C below Tg and 220 above, thermal conductivity 0.6 W/(m K), Young's modulus 23 GPa "
    "(LW; CW left blank)"
)
SRC_SOOD_LAMINATES = (
    "Sood et al. 2018 (see copper), Table VI, laminate rows (Isola P95, Arlon 85N, Nelco N7000-2 HT, Rogers "
    "R04350B, Duroid 6002, Isola HR370; none is BT)"
)
SRC_ALASIR = (
    "Bolotoff, 'Solder Alloys: Physical and Mechanical Properties', Alasir Enterprises reference table, April 2010 "
    "(read at http://www.alasir.com/reference/solder_alloys/)"
)
SRC_TOPLINE = (
    "TopLine, 'CCGA Material Properties' table (undated; read at https://topline.tv/CCGA_Material.html), row "
    "Sn63/Pb37: Young's modulus 30 GPa, CTE 24.0 ppm/C"
)
SRC_MULTICORE = (
    "Multicore (Henkel), 'Properties of Alloys' data sheet, August 2007 (read at a web copy of its page 3), table "
    "of nominal compositions: Sn62 (62Sn36Pb2Ag) melting point 179 C"
)
SRC_CLECH_SAC = (
    "Clech, 'Review and Analysis of Lead-Free Solder Material Properties' (NIST, 2004), its Sn-Ag-Cu 'other "
    "properties' page (read at metallurgy.nist.gov/solder/clech/Sn-Ag-Cu_Other.htm)"
)
SRC_MOTALAB_2012 = (
    "Motalab, Cai, Suhling, Lall, 'Determination of Anand constants for SAC solders using stress-strain or creep "
    "data', Proc. IEEE ITherm 2012 (San Diego, 30 May - 1 June 2012), pp. 910-922"
)
SRC_WANG_2001 = (
    "Wang, Cheng, Becker, Wilde, 'Applying Anand model to represent the viscoplastic deformation behavior of "
    "solder alloys', J. Electron. Packag. 123(3):247 (2001), and Cheng, Wang et al., 'Viscoplastic Anand model "
    "for solder alloys and its application', Soldering & Surface Mount Technology (2000), "
    "doi:10.1108/09540910010331428 (citations as commonly given; neither paper could be read)"
)


# ---------------------------------------------------------------------------------------------------------------
# Silicon helpers
# ---------------------------------------------------------------------------------------------------------------

SILICON_CIJ = (165.64 * GPa, 63.94 * GPa, 79.51 * GPa)
"""Cubic elastic constants of silicon (C11, C12, C44) in Pa; see SRC_SI_CIJ."""


def _silicon_cte_table() -> Table:
    T_C = np.array([-75.0, -50, -25, 0, 25, 50, 75, 100, 150, 200, 250, 300, 350])
    T = T_C + 273.15
    alpha = (3.725 * (1 - np.exp(-5.88e-3 * (T - 124))) + 5.548e-4 * T) / 1e6
    return Table(T_C, alpha)


def _silicon_110_constants() -> dict[str, float]:
    """Orthotropic constants of a (001) wafer with x, y along <110> and z along [001] (cubic C_ij rotated 45 deg)."""
    C11, C12, C44 = SILICON_CIJ
    # Rotating the cubic stiffness 45 degrees about [001]:
    C11r = 0.5 * (C11 + C12) + C44
    C12r = 0.5 * (C11 + C12) - C44
    C66r = 0.5 * (C11 - C12)
    C = np.zeros((6, 6))
    C[0, 0] = C[1, 1] = C11r
    C[0, 1] = C[1, 0] = C12r
    C[0, 2] = C[2, 0] = C[1, 2] = C[2, 1] = C12
    C[2, 2] = C11
    C[3, 3] = C[4, 4] = C44
    C[5, 5] = C66r
    S = np.linalg.inv(C)
    E1, E2, E3 = 1 / S[0, 0], 1 / S[1, 1], 1 / S[2, 2]
    return {
        "E1": E1, "E2": E2, "E3": E3,
        "nu12": -S[0, 1] * E1, "nu13": -S[0, 2] * E1, "nu23": -S[1, 2] * E2,
        "G12": 1 / S[5, 5], "G13": 1 / S[4, 4], "G23": 1 / S[3, 3],
    }


def _silicon_common(name: str, description: str, elastic, elastic_src: str, notes: str) -> Material:
    return Material(
        name=name,
        description=description,
        elastic=elastic,
        cte=CTE.isotropic(_silicon_cte_table()),
        k=_const(150.0),
        rho=_const(2330.0),
        cp=_const(695.0),
        sources={"E": elastic_src, "nu": elastic_src, "cte": SRC_SI_CTE, "k": SRC_SI_THERMAL,
                 "rho": SRC_SI_THERMAL, "cp": SRC_SI_THERMAL},
        notes=notes,
    )


def _silicon() -> Material:
    C11, C12, _ = SILICON_CIJ
    E = (C11 - C12) * (C11 + 2 * C12) / (C11 + C12)
    nu = C12 / (C11 + C12)
    return _silicon_common(
        "silicon",
        "single-crystal silicon, isotropic approximation (E along <100>)",
        Isotropic(_const(E), _const(nu)),
        SRC_SI_CIJ,
        "Isotropic default E = 130.0 GPa, nu = 0.279 (the <100> values). Die edges along <110> see E = 169 GPa "
        "in-plane: use 'silicon_110' for the anisotropic in-plane stiffness.",
    )


def _silicon_110() -> Material:
    c = _silicon_110_constants()
    return _silicon_common(
        "silicon_110",
        "(001) silicon die, edges along <110> (x, y), z along [001]; orthotropic",
        Orthotropic(**{k: _const(v) for k, v in c.items()}),
        SRC_SI_CIJ + "; rotated 45 deg about [001] (E_x = E_y = 169.0, E_z = 130.0, G_xy = 50.9, "
        "G_xz = G_yz = 79.5 GPa, nu_xy = 0.062, nu_xz = nu_yz = 0.362)",
        "Exact rotation of the cubic constants; temperature dependence of C_ij (about -1e-4 1/K) neglected.",
    )


# ---------------------------------------------------------------------------------------------------------------
# Metals and solders
# ---------------------------------------------------------------------------------------------------------------


def _copper() -> Material:
    j2 = J2Params(
        sigma_y=Table((-55.0, 25.0, 125.0, 260.0), (224.0 * MPa, 200.0 * MPa, 170.0 * MPa, 130.0 * MPa)),
        H_iso=0.0,
        H_kin=_const(1.0 * GPa),
        source="assumed (an illustrative yield curve): yield 200 MPa at 25 C falling 0.3 MPa/K (224 MPa at -55 C, "
        "170 at 125 C, 130 at 260 C) and linear kinematic hardening 1 GPa (bilinear tangent E H/(E+H) = 0.99 GPa): "
        "no tensile data of electroplated copper could be read; plated films are taken to yield at about 150-250 "
        "MPa at room temperature, depending on plating chemistry, grain size and anneal, a range assumed, not read; "
        "override with your plating's tensile data",
    )
    return Material(
        name="copper",
        description="electroplated copper (vias, traces, pads, carrier metal layers); linear elastic",
        elastic=Isotropic(_const(18850 * KSI), _const(0.34)),
        cte=CTE.isotropic(_ppm(17.7)),
        k=_const(401.0),
        rho=_const(0.32 * LB_PER_IN3),
        cp=_const(385.0),
        sources={"E": SRC_CU, "nu": SRC_CU, "cte": SRC_CU, "k": SRC_CU, "cp": SRC_CU, "rho": SRC_CU,
                 "j2": j2.source},
        extra={"j2": j2},
        notes="Linear elastic by default; J2 plasticity parameters (an assumed yield curve and kinematic "
              "hardening) in extra['j2'] for the 'j2' model.",
    )


def _sac305() -> Material:
    anand = AnandParams(
        s0=21.0 * MPa, Q_R=9320.0, A=3501.0, xi=4.0, m=0.25, h0=180000.0 * MPa, s_hat=30.2 * MPa, n=0.01, a=1.78,
        source=SRC_MOTALAB_2012 + ": constants (SAC305, non-aged) assumed as commonly quoted from the paper, whose "
        "tables could not be read, nor a copy quoting them, so which of its two sets this is is not known (h0 "
        "180000 MPa). The paper's abstract (read at its manuscript.isc.ac record) says one set was fitted to "
        "stress-strain data at 1e-3, 1e-4 and 1e-5 1/s and 25-125 C and one to creep data at 10, 12 and 15 MPa, "
        "the two numerically very similar. The closed-form steady state gives 42 MPa at 25 C and 1e-3 1/s",
    )
    return Material(
        name="sac305",
        description="Sn-3.0Ag-0.5Cu lead-free solder (bumps, balls); solidus 217 C",
        # E falls linearly with temperature; assumed end values (see sources["E"]), extended to the solidus.
        elastic=Isotropic(
            Table((-55.0, 125.0, 217.0), (50.0 * GPa, 43.0 * GPa, 39.4 * GPa)),
            _const(0.36),
        ),
        cte=CTE.isotropic(_ppm(22.0)),
        k=_const(58.0),
        rho=_const(7380.0),
        cp=_const(230.0),
        solidus=217.0,
        sources={
            "solidus": "217 C: " + SRC_ALASIR + ", row Sn96.5Ag3.0Cu0.5 (SAC305): solidus / liquidus 217 / 220 C",
            "E": "assumed: linear from 50 GPa at -55 C to 43 GPa at 125 C, extended to 39.4 GPa at 217 C: no SAC305 "
                 "modulus could be read (reported moduli scatter widely with the test method); " + SRC_CLECH_SAC
                 + " says its Table 15 and Fig. 34 give E(T) of two SAC alloys digitised from Schubert et al. (2001), "
                 "each with a linear trend line, but the table's numbers were not read",
            "nu": "assumed: 0.36, a value commonly used for SAC in package models; " + SRC_CLECH_SAC + ", section "
                  "'Poisson's Ratio', found no literature value for SAC alloys (only 0.4 for Castin)",
            "cte": "assumed: 22 ppm/K, typical of near-eutectic SnAgCu (about 21-23 ppm/K); no SAC305 data sheet "
                   "with a traceable CTE could be read",
            "k": SRC_ALASIR + ", row Sn96.5Ag3.0Cu0.5 (SAC305): thermal conductivity 58 W/(m K)",
            "rho": SRC_ALASIR + ", row Sn96.5Ag3.0Cu0.5 (SAC305): density 7.38 g/cm^3",
            "cp": "assumed: 230 J/(kg K), close to that of tin; no SAC305 value could be read",
            "anand": anand.source,
        },
        extra={"anand": anand, "solder_family": "SnAgCu"},
        notes="Linear elastic here; Anand viscoplastic constants stored in extra['anand'].",
    )


SAC305_MEASURED_SATURATION = {"T_C": (25.0, 50.0, 100.0, 125.0), "strain_rate": 1e-3,
                              "stress": (40.5 * MPa, 33.5 * MPa, 24.0 * MPa, 21.5 * MPa)}
"""Saturation stresses of non-aged SAC305 in uniaxial tension at 1e-3 1/s, attributed to the measured curves of
Motalab, Cai, Suhling, Lall (ITherm 2012, see SRC_MOTALAB_2012). Assumed: approximate readings handed down with the
constants; the paper could not be read, so they are not checked against it."""


def _sac305_refit() -> Material:
    base = _sac305()
    anand = base.extra["anand"].refit_steady_state(
        source="assumed: saturation stresses at 1e-3 1/s of about 40.5 / 33.5 / 24.0 / 21.5 MPa at 25 / 50 / 100 / "
               "125 C, attributed to the measured curves of Motalab et al. 2012 (the paper could not be read, so "
               "they are not checked against it)",
        **SAC305_MEASURED_SATURATION,
    )
    return dataclasses.replace(
        base,
        name="sac305_refit",
        description="Sn-3.0Ag-0.5Cu lead-free solder as sac305, with the Anand saturation coefficient s_hat refit "
                    "so that the steady state matches four saturation stresses at 1e-3 1/s (25-125 C) to 3.2 %",
        sources={**base.sources, "anand": anand.source},
        extra={**base.extra, "anand": anand},
        notes="As sac305 except the Anand s_hat (28.28 MPa instead of 30.2 MPa), fitted by "
              "AnandParams.refit_steady_state to four saturation stresses at one strain rate: it lowers the steady "
              "state by 6.4 % at every rate and temperature. Both the constants and the four points are assumed "
              "(sources['anand']); which set is closer at the much lower rates of thermal cycling is not known.",
    )


def _snpb() -> Material:
    anand = AnandParams(
        s0=12.41 * MPa, Q_R=9400.0, A=4.0e6, xi=1.5, m=0.303, h0=1378.95 * MPa, s_hat=13.79 * MPa, n=0.07, a=1.3,
        source=SRC_WANG_2001 + " (62Sn36Pb2Ag among their alloys): constants assumed as commonly quoted from these "
        "papers, which could not be read, nor a copy quoting them",
    )
    return Material(
        name="snpb",
        description="62Sn36Pb2Ag tin-lead-silver solder; melting point 179 C",
        elastic=Isotropic(_const(30.0 * GPa), _const(0.40)),
        cte=CTE.isotropic(_ppm(24.0)),
        k=_const(50.0),
        rho=_const(8410.0),
        cp=_const(176.0),
        solidus=179.0,
        sources={
            "solidus": "179 C: " + SRC_ALASIR + ", row Sn62.5Pb36.1Ag1.4: solidus / liquidus 179 / 179 C; "
                       + SRC_MULTICORE,
            "E": SRC_TOPLINE + "; assumed equal for 62Sn36Pb2Ag (the table's Sn62/Pb36/Ag2 row could not be read)",
            "nu": "assumed: 0.40, a value commonly used for near-eutectic SnPb; no measured value could be read",
            "cte": SRC_TOPLINE + "; assumed equal for 62Sn36Pb2Ag (the table's Sn62/Pb36/Ag2 row could not be read)",
            "k": SRC_ALASIR + ", row Sn62.5Pb36.1Ag1.4: thermal conductivity 50 W/(m K)",
            "rho": SRC_ALASIR + ", row Sn62.5Pb36.1Ag1.4: density 8.41 g/cm^3",
            "cp": "assumed: 176 J/(kg K), a value commonly used for eutectic SnPb; no value could be read",
            "anand": anand.source,
        },
        extra={"anand": anand, "solder_family": "SnPb"},
        notes="Temperature dependence of E not included. Anand constants in extra['anand'].",
    )


# ---------------------------------------------------------------------------------------------------------------
# Carrier materials
# ---------------------------------------------------------------------------------------------------------------


def _bt_laminate() -> Material:
    E_in, nu12 = 23.0 * GPa, 0.18
    Tg = 210.0
    return Material(
        name="bt_laminate",
        description="BT (bismaleimide-triazine) glass laminate core; in-plane isotropic (x, y), z through thickness",
        elastic=Orthotropic(
            E1=_const(E_in), E2=_const(E_in), E3=_const(8.0 * GPa),
            nu12=_const(nu12), nu13=_const(0.30), nu23=_const(0.30),
            G12=_const(E_in / (2 * (1 + nu12))), G13=_const(3.5 * GPa), G23=_const(3.5 * GPa),
        ),
        cte=CTE.transverse(Table.step(Tg, _ppm(14.0), _ppm(7.0)), Table.step(Tg, _ppm(40.0), _ppm(220.0))),
        k=_const(0.6),
        rho=_const(1900.0),
        cp=_const(940.0),
        Tg=Tg,
        sources={
            "E": "E_x = E_y = 23 GPa: " + SRC_BT + " (the LW value, taken for CW too); E_z 8 GPa and G_xz = G_yz "
                 "3.5 GPa: assumed, no through-thickness modulus of a BT laminate could be read (values of a generic "
                 "glass/resin laminate, about a third of the in-plane modulus); G_xy = E/(2(1+nu_xy)) for in-plane "
                 "isotropy",
            "nu": "assumed: nu_xy 0.18 (the data sheet gives none; " + SRC_SOOD_LAMINATES + " list 0.146-0.187 for "
                  "the glass-reinforced ones, 0.4 for the two Rogers materials); nu_xz = nu_yz 0.30, no "
                  "through-thickness value could be read",
            "cte": "instantaneous, x/y 14 -> 7 ppm/K and z 40 -> 220 ppm/K at Tg (x/y: the middles of the ranges): "
                   + SRC_BT,
            "Tg": SRC_BT,
            "k": SRC_BT + " (one value; used in every direction)",
            "rho": "assumed: 1900 kg/m^3, a glass/resin laminate value; no density of a BT laminate could be read ("
                   + SRC_SOOD_LAMINATES + " give 0.058-0.076 lb/in^3, 1605-2104 kg/m^3)",
            "cp": "assumed for BT: 940 J/(kg K), the 0.94 J/(g K) that " + SRC_SOOD_LAMINATES + " give for Arlon "
                  "85N and Isola HR370 (0.90-1.06 for the others)",
        },
        notes="Moduli held constant through Tg (the data sheet gives no high-temperature modulus); override E for "
              "reflow studies above 210 C.",
    )


def _polyimide() -> Material:
    return Material(
        name="polyimide",
        description="polyimide film (DuPont Kapton HN), TAB tape base",
        elastic=Isotropic(Table((23.0, 200.0), (2.5 * GPa, 2.0 * GPa)), _const(0.34)),
        cte=CTE.transverse(_ppm(20.0), _ppm(80.0)),
        k=_const(0.12),
        rho=_const(1420.0),
        cp=_const(1090.0),
        sources={
            "E": SRC_KAPTON_T1,
            "nu": SRC_KAPTON_GEN,
            "cte": "in-plane 20 ppm/K: " + SRC_KAPTON_GEN + "; through-thickness 80 ppm/K: assumed, the data sheets "
                   "give the in-plane value only and no measured through-thickness value could be read (polyimide "
                   "films expand several times more through the thickness than in-plane)",
            "k": SRC_KAPTON_GEN,
            "rho": SRC_KAPTON_T1,
            "cp": SRC_KAPTON_GEN,
        },
        notes="Elastic isotropic; CTE in-plane vs z. The 20 ppm/K is the -14..38 C value, held at all temperatures.",
    )


def _solder_mask() -> Material:
    Tg = 100.0
    return Material(
        name="solder_mask",
        description="liquid photo-imageable epoxy solder mask, generic (every mechanical value assumed)",
        elastic=Isotropic(_const(3.0 * GPa), _const(0.35)),
        cte=CTE.glassy_rubbery(_ppm(60.0), _ppm(130.0), Tg),
        k=_const(0.25),
        rho=_const(1400.0),
        cp=_const(1000.0),
        Tg=Tg,
        sources={
            "E": "assumed: 3 GPa, a typical cured LPI solder mask; no data sheet giving a cured-film modulus could "
                 "be read",
            "nu": "assumed: 0.35, typical of filled epoxies; no value could be read",
            "cte": "assumed: 60 / 130 ppm/K below / above Tg, typical of LPI solder masks; no data sheet giving a "
                   "cured-film CTE could be read",
            "Tg": "assumed: 100 C, typical of LPI solder masks; no data sheet giving a cured-film Tg could be read",
            "k": "assumed: 0.25 W/(m K), typical of filled epoxies; no value could be read",
            "rho": "assumed: 1400 kg/m^3 for the cured film; the Taiyo 'PSR-4000BN Series' data sheet (revised March "
                   "2005, read at its docplayer.net copy) gives specific gravity 1.39 for the mixed ink (77 % "
                   "solids), not for the cured film",
            "cp": "assumed: 1000 J/(kg K), typical of epoxies; no value could be read",
        },
        notes="Every mechanical value is a typical starting value, not a supplier's: override for your mask.",
    )


# ---------------------------------------------------------------------------------------------------------------
# Package polymers
# ---------------------------------------------------------------------------------------------------------------


def _emc() -> Material:
    Tg = 128.0
    E = Table((25.0, 110.0, 128.0, 150.0, 260.0), (23.0 * GPa, 21.0 * GPa, 12.0 * GPa, 1.5 * GPa, 1.0 * GPa))
    prony = _prony_from_E(
        1.0 * GPa,
        [0.998 * GPa, 0.447 * GPa, 6.87 * GPa, 4.21 * GPa, 1.36 * GPa, 7.526 * GPa, 0.589 * GPa],
        [1e-9, 1e-8, 0.1, 1.0, 100.0, 1000.0, 1e6],
        0.30,
        "assumed (an ILLUSTRATIVE series): no relaxation data of a named mould compound could be read. E0 = 23 GPa "
        "(glassy, the 25 C table value) and E_inf = 1.0 GPa (rubbery, the 260 C table value); the E_i at fixed taus "
        "1e-10..1e6 s (one per decade, zero terms dropped) were fitted by non-negative least squares so that "
        "E(t = 1 s) under the shift below matches the library's (assumed) E(T) table at -55..260 C (within 0.5 % "
        "at -55, 25, 110, 128, 150 and 260 C; the table's 1.27 GPa at 200 C comes out 1.0 GPa); shift: "
        + SRC_WLF_UNIVERSAL + ", Arrhenius below Tg with Ea/R = 40000 K (assumed, about 330 kJ/mol); constant "
        "nu = 0.30 (bulk relaxes with shear, as in the elastic table)",
        Tg=Tg, C1=17.44, C2=51.6, Ea_R=40000.0,
    )
    why = "no data sheet of a named mould compound could be read"
    return Material(
        name="emc",
        description="silica-filled epoxy mould compound, generic (every value assumed), Tg 128 C",
        elastic=Isotropic(E, _const(0.30)),
        cte=CTE.glassy_rubbery(_ppm(11.0), _ppm(36.0), Tg),
        k=_const(0.9),
        rho=_const(1980.0),
        cp=_const(900.0),
        Tg=Tg,
        sources={
            "E": "assumed: 23 GPa at 25 C, a typical glassy modulus of highly silica-filled EMC (about 15-30 GPa), "
                 "falling through Tg to 21 GPa at 110 C, 12 at Tg, 1.5 at 150 C and 1.0 at 260 C, shaped like "
                 "typical EMC DMA curves; " + why,
            "nu": "assumed: 0.3, typical of filled epoxies (about 0.25-0.35); " + why,
            "cte": "assumed: alpha1 11 / alpha2 36 ppm/K, instantaneous step at Tg, typical of highly silica-filled "
                   "EMC (alpha1 about 7-20, alpha2 about 30-60 ppm/K); " + why,
            "Tg": "assumed: 128 C, within the usual range of EMC grades (about 110-200 C); " + why,
            "k": "assumed: 0.9 W/(m K), typical of silica-filled EMC; " + why,
            "rho": "assumed: 1980 kg/m^3, typical of silica-filled EMC; " + why,
            "cp": "assumed: 900 J/(kg K), typical of silica-filled EMC; " + why,
            "prony": prony.source,
        },
        extra={"prony": prony},
        notes="Linear elastic with T-dependent E by default; an assumed (illustrative) Prony series with "
              "WLF/Arrhenius shift (consistent with the E(T) table at a 1 s time scale) in extra['prony'] for the "
              "'viscoelastic' model. No published data set of a named compound could be read to replace it.",
    )


def _die_attach_lowmod() -> Material:
    Tg = 90.0
    prony = _prony_from_E(
        2.0 * MPa,
        [750.7 * MPa, 247.0 * MPa, 488.0 * MPa, 7.3 * MPa, 363.0 * MPa, 472.0 * MPa],
        [1e-6, 1e-5, 1e-3, 1e-2, 0.1, 1e6],
        0.40,
        "assumed (an ILLUSTRATIVE series): no relaxation data of a named die-attach film could be read. E0 = 2330 "
        "MPa (the -65 C table value) and E_inf = 2 MPa (the 250 C value); the E_i at fixed taus 1e-10..1e6 s (one "
        "per decade, zero terms dropped) fitted by non-negative least squares so that E(t = 1 s) under the shift "
        "below matches the library's (assumed) E(T) table (within 0.2 % at -65, -30, 0, 25 and 60 C; 474 vs 422 "
        "MPa at 90 C, 38 vs 212 MPa at 120 C and 2 vs 3 MPa at 150 C, where the table is a linear interpolation "
        "between data points); shift: " + SRC_WLF_UNIVERSAL + ", Arrhenius below Tg with Ea/R = 10000 K (assumed); "
        "constant nu = 0.40 (bulk relaxes with shear, as in the elastic table)",
        Tg=Tg, C1=17.44, C2=51.6, Ea_R=10000.0,
    )
    why = "no data sheet of a named die-attach film could be read"
    return Material(
        name="die_attach_lowmod",
        description="low-modulus insulating die-attach adhesive film, generic (every value assumed)",
        elastic=Isotropic(
            Table((-65.0, 25.0, 150.0, 250.0), (2330.0 * MPa, 875.0 * MPa, 3.0 * MPa, 2.0 * MPa)),
            _const(0.40),
        ),
        cte=CTE.glassy_rubbery(_ppm(62.0), _ppm(238.0), Tg),
        k=_const(0.2),
        rho=_const(1200.0),
        cp=_const(1100.0),
        Tg=Tg,
        sources={
            "E": "assumed: 2330 / 875 / 3 / 2 MPa at -65 / 25 / 150 / 250 C, the shape of a low-modulus die-attach "
                 "film (about a GPa when glassy, a few MPa when rubbery); " + why,
            "nu": "assumed: 0.40, middle of the 0.35-0.45 usually taken for soft adhesive films; " + why,
            "cte": "assumed: alpha1 62 / alpha2 238 ppm/K, typical of unfilled low-modulus adhesive films, "
                   "instantaneous step at Tg; " + why,
            "Tg": "assumed: 90 C, between the 25 C and 150 C modulus points where the modulus collapses; " + why,
            "k": "assumed: 0.2 W/(m K), typical of unfilled epoxy films; " + why,
            "rho": "assumed: 1200 kg/m^3, typical of unfilled epoxy films; " + why,
            "cp": "assumed: 1100 J/(kg K), typical of unfilled epoxy films; " + why,
            "prony": prony.source,
        },
        extra={"prony": prony},
        notes="Set Tg from your adhesive's data sheet: the CTE step sits there. An assumed (illustrative) Prony "
              "series (consistent with the E(T) table at a 1 s time scale) is in extra['prony'] for the "
              "'viscoelastic' model.",
    )


_BUILDERS: dict[str, Callable[[], Material]] = {
    "silicon": _silicon,
    "silicon_110": _silicon_110,
    "copper": _copper,
    "sac305": _sac305,
    "sac305_refit": _sac305_refit,
    "snpb": _snpb,
    "bt_laminate": _bt_laminate,
    "polyimide": _polyimide,
    "solder_mask": _solder_mask,
    "emc": _emc,
    "die_attach_lowmod": _die_attach_lowmod,
}


def builtin_names() -> list[str]:
    """Names of every built-in material, sorted."""
    return sorted(_BUILDERS)


@lru_cache(maxsize=None)
def _build(name: str) -> Material:
    return _BUILDERS[name]()


def get(name: str, field: str = "material") -> Material:
    """The built-in material ``name`` (case-insensitive).

    Raises:
        InputError: unknown name; the message suggests the closest known name and lists them all.
    """
    key = str(name).strip().lower()
    if key in _BUILDERS:
        return _build(key)
    hint = closest(key, _BUILDERS)
    did = f" (did you mean '{hint}'?)" if hint else ""
    raise InputError.single(field, f"'{name}' is not a built-in material{did}; known: {', '.join(builtin_names())}")
