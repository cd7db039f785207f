"""Built-in material library: every value with its source next to it.

Values are in internal units (Pa, 1/K, degC, W/(m K), kg/m^3, J/(kg K)); the helpers below convert from the
units the sources use. A source string containing ``unverified`` marks a value that could not be checked against
a primary or supplier source while this library was written: it is a reasonable starting value, and a case that
depends on it should override it (see docs/materials.md). ``assumed`` marks a value for which no public source could
be named: a typical value, with the reason and the usual range next to it. ``illustrative`` marks a deliberately
made-up shape.

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
    "WLF 'universal' constants C1 = 17.44, C2 = 51.6 K with Tref = Tg (Williams, Landel, Ferry, J. Am. Chem. Soc. "
    "77:3701, 1955)"
)


# ---------------------------------------------------------------------------------------------------------------
# Sources (short keys -> full citations), so each value's source string stays readable
# ---------------------------------------------------------------------------------------------------------------

SRC_SI_CIJ = (
    "Virginia Semiconductor, 'Basic Mechanical and Thermal Properties of Silicon' (C11 = 165.64, C12 = 63.94, "
    "C44 = 79.51 GPa at room temperature); E<100> and nu derived: E = (C11-C12)(C11+2 C12)/(C11+C12) = 130.0 GPa, "
    "nu = C12/(C11+C12) = 0.279; cf. Hopcroft, Nix, Kenny, 'What is the Young's Modulus of Silicon?', "
    "J. Microelectromech. Syst. 19(2):229-238, 2010"
)
SRC_SI_CTE = (
    "Okada & Tokumaru, J. Appl. Phys. 56:314 (1984): alpha(T) = (3.725 (1 - exp(-5.88e-3 (T - 124))) + "
    "5.548e-4 T) 1e-6 1/K, T in K, valid 120-1500 K; as quoted by Virginia Semiconductor, 'Basic Mechanical and "
    "Thermal Properties of Silicon' (recommended 2.59 +/- 0.05 ppm/K at 25 C); tabulated here every 25-50 C"
)
SRC_SI_THERMAL = (
    "Sci. Rep. 14 (2024) s41598-024-63554-2, Table 1 (silicon at 293 K: rho 2330 kg/m^3, C_E 695 J/(kg K), "
    "k 150 W/(m K)); k falls with T (~1.25 W/(cm K) at 30 C to 0.46 at 425 C in 'Thermal Conductivity "
    "Measurements of Silicon from 30 to 425 C'), held constant here"
)
SRC_CU = (
    "IEEE Trans. Reliab. 68(1):248-266 (2018), doi:10.1109/TR.2018.2835140, Table VI, electroplated copper: "
    "E 18850 ksi (130.0 GPa), nu 0.34, CTE 17.7 ppm/C, k 401 W/(m K), cp 385 J/(kg K)"
)
SRC_CU_RHO = "MIT 6.777 material property database, copper (PVD or electroplated): 8960 kg/m^3 (CRC Handbook 2003-04)"
SRC_KAPTON = (
    "DuPont Kapton HN technical data sheet (Table 1 and thermal properties): tensile modulus 2.5 GPa at 23 C and "
    "2.0 GPa at 200 C (ASTM D-882), Poisson's ratio 0.34, CTE 20 ppm/C (-14 to 38 C, ASTM D-696), "
    "k 0.12 W/(m K), density 1.42 g/cc, specific heat 1.09 J/(g K)"
)
SRC_BT = (
    "BT-resin laminate data sheet, HW20-M1 (BT resin based, IC package grade): Tg 210 +/- 10 C (DMA), "
    "X/Y CTE 13-15 ppm/C below Tg and 6-8 above, Z CTE 40 ppm/C below Tg and 220 above, k 0.6 W/(m K), "
    "Young's modulus (LW) 23 GPa (page http://m.jeremiah-wx.com/product/detail-6113.html)"
)
SRC_LAMINATE_GENERIC = (
    "unverified for BT: values of the generic glass/resin laminate in the Ansys Workbench PCB example "
    "(E_z 8 GPa, nu_xz = nu_yz 0.3, G_xz = G_yz 3.5 GPa, density 1900 kg/m^3)"
)
SRC_LAM_CP = "IEEE Trans. Reliab. 68(1) (2018) Table VI: glass/resin laminates cp 0.94-0.95 J/(g K) (not BT; unverified for BT)"
SRC_SOLDER_TABLE = "alasir.com solder alloy reference table"
SRC_TOPLINE = "TopLine CCGA material properties table (https://topline.tv/CCGA_Material.html)"
SRC_MOTALAB_2012 = (
    "Motalab, Cai, Suhling, Lall, 'Determination of Anand constants for SAC solders using stress-strain or creep "
    "data', Proc. IEEE ITherm 2012 (San Diego, 30 May - 1 June 2012), pp. 910-922"
)
SRC_CHENG_2000 = (
    "Cheng, Wang et al., 'Viscoplastic Anand model for solder alloys and its application', Soldering & Surface "
    "Mount Technology (2000), doi:10.1108/09540910010331428"
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
        source="ILLUSTRATIVE, unverified: yield 200 MPa at 25 C, inside the 150-250 MPa range assumed for plated Cu "
        "(see the 'yield' source), falling 0.3 MPa/K (224 MPa at -55 C, 170 at 125 C, 130 at 260 C), a "
        "softening of the order reported for annealed electroplated films; linear kinematic hardening 1 GPa "
        "(bilinear tangent E H/(E+H) = 0.99 GPa), a value typical of bilinear Cu models in package FE; no "
        "measured table was located: override with your plating's tensile data",
    )
    return Material(
        name="copper",
        description="electroplated copper (vias, traces, pads, carrier metal layers); linear elastic",
        elastic=Isotropic(_const(18850 * KSI), _const(0.34)),
        cte=CTE.isotropic(_ppm(17.7)),
        k=_const(401.0),
        rho=_const(8960.0),
        cp=_const(385.0),
        sources={"E": SRC_CU, "nu": SRC_CU, "cte": SRC_CU, "k": SRC_CU, "cp": SRC_CU, "rho": SRC_CU_RHO,
                 "yield": "assumed: 150-250 MPa at room temperature, a typical range for electroplated Cu films (it "
                          "depends strongly on plating chemistry, grain size and anneal); no measured tensile data "
                          "located",
                 "j2": j2.source},
        extra={"j2": j2},
        notes="Linear elastic by default; J2 plasticity parameters (illustrative yield vs T and kinematic "
              "hardening) in extra['j2'] for the 'j2' model.",
    )


def _sac305() -> Material:
    anand = AnandParams(
        s0=21.0 * MPa, Q_R=9320.0, A=3501.0, xi=4.0, m=0.25, h0=180000.0 * MPa, s_hat=30.2 * MPa, n=0.01, a=1.78,
        source=SRC_MOTALAB_2012 + " (SAC305, non-aged): the constants as commonly quoted from the paper, "
        "unverified against it (paper not located; h0 180000 MPa, one later paper misprints 18000; the paper fits "
        "one set to stress-strain and one to creep data; which of the two this is was not checked); the closed-form "
        "steady state gives 42 MPa at 25 C and 1e-3 1/s vs about 40.5 MPa read from the paper's curves",
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
            "solidus": "217 C: the SAC solidification temperature at which bumps are born in the process history "
                       "(issue 3; J-STD-020's Pb-free liquidus TL is also 217 C); "
                       "unverified against an alloy datasheet (SAC305 is commonly quoted 217-220 C)",
            "E": "assumed: linear 50 GPa at -55 C to 43 GPa at 125 C, extrapolated to 39.4 GPa at 217 C, typical "
                 "values for SAC (no SAC305 data sheet value located; reported moduli scatter widely with the test "
                 "method); the NIST review (Clech, 'Review and Analysis of Lead-Free Solder Material Properties', "
                 "2004, Fig. 34/Table 15) shows such a linear decrease",
            "nu": "assumed: 0.36, a value commonly used for SAC in package models; the NIST review found no measured "
                  "Poisson ratio for SAC",
            "cte": "assumed: 22 ppm/K, typical of near-eutectic SnAgCu (about 21-23 ppm/K); no alloy data sheet "
                   "value located",
            "k": SRC_SOLDER_TABLE + ": Sn96.5Ag3.0Cu0.5 (SAC305) 58 W/(m K)",
            "rho": SRC_SOLDER_TABLE + ": SAC305 7.38 g/cm^3 (also AIM SAC305 data: 7.38 g/cc)",
            "cp": "unverified: about 230 J/(kg K) (close to that of tin)",
            "anand": anand.source,
        },
        extra={"anand": anand},
        notes="Linear elastic here; Anand viscoplastic constants stored in extra['anand'].",
    )


SAC305_MEASURED_SATURATION = {"T_C": (25.0, 50.0, 100.0, 125.0), "strain_rate": 1e-3,
                              "stress": (40.5 * MPa, 33.5 * MPa, 24.0 * MPa, 21.5 * MPa)}
"""Saturation stresses of non-aged SAC305 in uniaxial tension at 1e-3 1/s, read from the measured curves of
Motalab, Cai, Suhling, Lall (ITherm 2012, see SRC_MOTALAB_2012); approximate readings, not re-checked against the
paper (not located)."""


def _sac305_refit() -> Material:
    base = _sac305()
    anand = base.extra["anand"].refit_steady_state(
        source="Motalab et al. 2012 measured curves at 1e-3 1/s: about 40.5 / 33.5 / 24.0 / 21.5 MPa at 25 / 50 / "
               "100 / 125 C read from the paper's curves, not re-checked against the paper",
        **SAC305_MEASURED_SATURATION,
    )
    return dataclasses.replace(
        base,
        name="sac305_refit",
        description="Sn-3.0Ag-0.5Cu lead-free solder as sac305, with the Anand saturation coefficient s_hat refit "
                    "so that the steady state matches the measured 1e-3 1/s curves (25-125 C) to 3.2 %",
        sources={**base.sources, "anand": anand.source},
        extra={**base.extra, "anand": anand},
        notes="As sac305 except the Anand s_hat (28.28 MPa instead of the published 30.2 MPa), fitted by "
              "AnandParams.refit_steady_state to four measured points at one strain rate: it lowers the steady "
              "state by 6.4 % at every rate and temperature. The published set (sac305) was fitted by its authors "
              "over several rates; which one is closer at the much lower rates of thermal cycling is not known "
              "from these four points.",
    )


def _snpb() -> Material:
    anand = AnandParams(
        s0=12.41 * MPa, Q_R=9400.0, A=4.0e6, xi=1.5, m=0.303, h0=1378.95 * MPa, s_hat=13.79 * MPa, n=0.07, a=1.3,
        source=SRC_CHENG_2000 + " (62Sn36Pb2Ag among its alloys; the same group's 'Applying Anand model to "
        "represent the viscoplastic deformation behavior of solder alloys', Wang, Cheng, Becker, Wilde, J. Electron. "
        "Packag. 123(3):247 (2001), covers 62Sn36Pb2Ag too): the constants as commonly quoted, unverified against "
        "the papers (not located)",
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
            "solidus": "unverified: 179 C, the melting point commonly quoted for 62Sn36Pb2Ag (eutectic)",
            "E": SRC_TOPLINE + ": Sn63/Pb37 30 GPa (used for 62Sn36Pb2Ag; unverified for the Ag-bearing alloy)",
            "nu": "unverified: 0.40, a value commonly used for near-eutectic SnPb",
            "cte": SRC_TOPLINE + ": Sn63/Pb37 24.0 ppm/C (used for 62Sn36Pb2Ag)",
            "k": SRC_SOLDER_TABLE + ": Sn62.5Pb36.1Ag1.4 50 W/(m K)",
            "rho": SRC_SOLDER_TABLE + ": Sn62.5Pb36.1Ag1.4 8.41 g/cm^3",
            "cp": "unverified: 176 J/(kg K), a value commonly used for eutectic SnPb",
            "anand": anand.source,
        },
        extra={"anand": anand},
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
            "E": "E_x = E_y = 23 GPa: " + SRC_BT + "; E_z, G_xz, G_yz: " + SRC_LAMINATE_GENERIC
                 + "; G_xy = E/(2(1+nu_xy)) for in-plane isotropy",
            "nu": "assumed: nu_xy 0.18, typical in-plane value of woven-glass laminates (about 0.1-0.2; the HW20-M1 "
                  "data sheet gives none); nu_xz, nu_yz: " + SRC_LAMINATE_GENERIC,
            "cte": "instantaneous, x/y 14 -> 7 ppm/K and z 40 -> 220 ppm/K at Tg: " + SRC_BT,
            "Tg": SRC_BT,
            "k": SRC_BT + " (one value; used in every direction)",
            "rho": SRC_LAMINATE_GENERIC,
            "cp": SRC_LAM_CP,
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
            "E": SRC_KAPTON,
            "nu": SRC_KAPTON,
            "cte": "in-plane 20 ppm/K: " + SRC_KAPTON + "; through-thickness 80 ppm/K: assumed (the data sheet gives "
                   "the in-plane value only; polyimide films expand several times more through the thickness than "
                   "in-plane; no measured value located)",
            "k": SRC_KAPTON,
            "rho": SRC_KAPTON,
            "cp": SRC_KAPTON,
        },
        notes="Elastic isotropic; CTE in-plane vs z. The 20 ppm/K is the -14..38 C value, held at all temperatures.",
    )


def _solder_mask() -> Material:
    Tg = 100.0
    return Material(
        name="solder_mask",
        description="liquid photo-imageable epoxy solder mask (PSR-4000 class)",
        elastic=Isotropic(_const(3.0 * GPa), _const(0.35)),
        cte=CTE.glassy_rubbery(_ppm(60.0), _ppm(130.0), Tg),
        k=_const(0.25),
        rho=_const(1400.0),
        cp=_const(1000.0),
        Tg=Tg,
        sources={
            "E": "unverified: typical cured LPI solder mask, about 3 GPa (no data sheet located)",
            "nu": "unverified: 0.35, typical of filled epoxies",
            "cte": "unverified: 60 / 130 ppm/K below / above Tg, typical of LPI solder masks (no data sheet located)",
            "Tg": "unverified: about 100 C, typical of LPI solder masks",
            "k": "unverified: 0.25 W/(m K), typical of filled epoxies",
            "rho": "Taiyo PSR-4000BN data sheet: specific gravity of the mixed ink 1.39; cured film taken as 1400 "
                   "kg/m^3 (unverified)",
            "cp": "unverified: 1000 J/(kg K), typical of epoxies",
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
        "ILLUSTRATIVE (no public numeric Prony table for mould compound was found): E0 = 23 GPa (glassy, the 25 C "
        "table value) and E_inf = 1.0 GPa (rubbery, the 260 C table value); the E_i at fixed taus 1e-10..1e6 s "
        "(one per decade, zero terms dropped) were fitted by non-negative least squares so that E(t = 1 s) "
        "under the shift below matches the library's E(T) table at -55..260 C (within 0.5 % at -55, 25, 110, "
        "128, 150 and 260 C; the table's 1.27 GPa at 200 C comes out 1.0 GPa); shift: " + SRC_WLF_UNIVERSAL
        + ", Arrhenius below Tg with Ea/R = 40000 K (illustrative, about 330 kJ/mol); constant nu = 0.30 "
        "(bulk relaxes with shear, as in the elastic table)",
        Tg=Tg, C1=17.44, C2=51.6, Ea_R=40000.0,
    )
    return Material(
        name="emc",
        description="silica-filled epoxy mould compound (G845-class encapsulant), Tg 128 C",
        elastic=Isotropic(E, _const(0.30)),
        cte=CTE.glassy_rubbery(_ppm(11.0), _ppm(36.0), Tg),
        k=_const(0.9),
        rho=_const(1980.0),
        cp=_const(900.0),
        Tg=Tg,
        sources={
            "E": "assumed: 23 GPa at 25 C, a typical glassy modulus of highly silica-filled EMC (about 15-30 GPa); "
                 "the data sheet of the G845-class compound this entry was meant to follow was not located; the "
                 "fall through Tg (21 GPa at 110 C, 12 at Tg, 1.5 at 150 C, 1.0 at 260 C) is illustrative, shaped "
                 "like typical EMC DMA curves",
            "nu": "assumed: 0.3, typical of filled epoxies (about 0.25-0.35)",
            "cte": "assumed: alpha1 11 / alpha2 36 ppm/K, instantaneous step at Tg, typical of highly silica-filled "
                   "EMC (alpha1 about 7-20, alpha2 about 30-60 ppm/K); supplier data sheet not located",
            "Tg": "assumed: 128 C, within the usual range of EMC grades (about 110-200 C); supplier data sheet not "
                  "located",
            "k": "unverified: 0.9 W/(m K), typical of silica-filled EMC",
            "rho": "unverified: 1980 kg/m^3, typical of silica-filled EMC",
            "cp": "unverified: 900 J/(kg K), typical of silica-filled EMC",
            "prony": prony.source,
        },
        extra={"prony": prony},
        notes="Linear elastic with T-dependent E by default; an ILLUSTRATIVE Prony series with WLF/Arrhenius "
              "shift (consistent with the E(T) table at a 1 s time scale) in extra['prony'] for the "
              "'viscoelastic' model (no public numeric Prony table for EMC was found).",
    )


def _die_attach_lowmod() -> Material:
    Tg = 90.0
    prony = _prony_from_E(
        2.0 * MPa,
        [750.7 * MPa, 247.0 * MPa, 488.0 * MPa, 7.3 * MPa, 363.0 * MPa, 472.0 * MPa],
        [1e-6, 1e-5, 1e-3, 1e-2, 0.1, 1e6],
        0.40,
        "ILLUSTRATIVE: E0 = 2330 MPa (the -65 C table value) and E_inf = 2 MPa (the 250 C value); the E_i at fixed "
        "taus 1e-10..1e6 s (one per decade, zero terms dropped) fitted by non-negative least squares so that "
        "E(t = 1 s) under the shift below matches the library's E(T) table (within 0.2 % at -65, -30, 0, 25 and "
        "60 C; 474 vs 422 MPa at 90 C, 38 vs 212 MPa at 120 C and 2 vs 3 MPa at 150 C, where the table is a "
        "linear interpolation between data points); shift: " + SRC_WLF_UNIVERSAL + ", Arrhenius below Tg with "
        "Ea/R = 10000 K (illustrative); constant nu = 0.40 (bulk relaxes with shear, as in the elastic table)",
        Tg=Tg, C1=17.44, C2=51.6, Ea_R=10000.0,
    )
    return Material(
        name="die_attach_lowmod",
        description="low-modulus ('high elasticity') insulating die-attach adhesive film (ATB-120U class)",
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
                 "film (about a GPa when glassy, a few MPa when rubbery); the data sheet of the ATB-120U-class film "
                 "this entry was meant to follow was not located",
            "nu": "assumed: 0.40, middle of the 0.35-0.45 usually taken for soft adhesive films",
            "cte": "assumed: alpha1 62 / alpha2 238 ppm/K, typical of unfilled low-modulus adhesive films (supplier "
                   "data sheet not located); instantaneous step at Tg",
            "Tg": "assumed: no Tg value located; 90 C, between the 25 C and 150 C modulus points where the modulus "
                  "collapses",
            "k": "unverified: 0.2 W/(m K), typical of unfilled epoxy films",
            "rho": "unverified: 1200 kg/m^3, typical of unfilled epoxy films",
            "cp": "unverified: 1100 J/(kg K), typical of unfilled epoxy films",
            "prony": prony.source,
        },
        extra={"prony": prony},
        notes="Set Tg from your adhesive's data sheet: the CTE step sits there. An ILLUSTRATIVE Prony series "
              "(consistent with the E(T) table at a 1 s time scale) is in extra['prony'] for the 'viscoelastic' "
              "model.",
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
