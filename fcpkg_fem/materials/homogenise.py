"""Carrier layers with copper: a resin (or laminate) layer with a copper fraction as one orthotropic material.

A signal or plane layer of a substrate is copper traces in resin, each trace running through the layer's whole
thickness. :func:`homogenise_layer` turns (matrix, copper, volume fraction, trace orientation) into an orthotropic
:class:`~fcpkg_fem.materials.model.Material` for the existing orthotropic path (axes x, y, z).

Traces along x or y (``traces: x`` / ``y``): the layer is a periodic stack of flat stripes whose interfaces are
normal to y (traces along x) or to x. For such a stack, fine compared with the part, the uniform-field solution is
exact: across an interface the tractions (for normal y: sigma_yy, sigma_yz, sigma_xy) are continuous and so equal in
both phases, and so are the strains in the interface plane (eps_xx, eps_zz, gamma_xz); the other components are the
volume averages. This is the long-wave average of a finely layered medium of G. E. Backus, "Long-wave elastic
anisotropy produced by horizontal layering", J. Geophys. Res. 67(11), 4427-4440 (1962) (abstract read), for
generally anisotropic layers as in L. Bos, D. R. Dalton, M. A. Slawinski, T. Stanoev, "On Backus average for
generally anisotropic layers", arXiv:1601.02967 (2016) (abstract read), here with the layering normal in-plane and
with thermal strains carried through the same averages as the thermal stress beta = C alpha
(:func:`stripe_average`; the derivation is in its comments). Along the traces and through the thickness it is the
rule of mixtures (iso-strain, Voigt), across them iso-stress (Reuss), with the Poisson coupling kept. With equal
Poisson ratios the CTE along the traces is the modulus-weighted mean sum(f E alpha) / sum(f E) (tests), the form of
the longitudinal expression of R. A. Schapery, "Thermal expansion coefficients of composite materials based on
energy principles", J. Composite Materials 2(3), 380-404 (1968) (abstract read: it states when the rule of mixtures
and Turner's equation hold; its equations were not read).

Where it holds: along the traces for any trace width (iso-strain along long traces is exact); across them only for
stripes narrow compared with the layer's thickness. A thin trace layer bonded to a core (traces wider than the layer
is thick, the usual case) responds across its traces between the stack (iso-stress) and separate films on the core
(iso-strain), depending on the pitch over the thickness and on how much the material below yields under the traces'
edges, which a fraction does not give. tests/verification/test_copper_fraction.py measures, for a 15 um layer at
100 um pitch on 150 um silicon against a resolved model with the core graded under the traces, the stack's curvature
along the traces within 1.3 % and across them +43 % (fraction 0.3) and -34 % (0.6) off.

Given the trace pitch (a :class:`~fcpkg_fem.materials.trace_cell.TraceCell`: pitch, the layer's thickness, the
material below; the case's ``trace_pitch``), the layer's in-plane (x, y) stiffness and CTE are a unit cell's
(:mod:`fcpkg_fem.materials.trace_cell`: one pitch of the layer on a block of the material below, generalised plane
strain, periodic across the traces, the block's bottom held to the in-plane strain), put into the stack's
compliance in place of its in-plane block (:func:`cell_stripes`); the through-thickness terms stay the stack's.
Measured against the resolved plates (the test's docstring): both curvatures within 2 % for fractions 0.3 and 0.6
and layers 15 and 40 um thick at 100 um pitch (pitch over thickness 6.7 and 2.5), against the finest resolved
mesh computed; the resolved curvature across the traces still falls with refinement, and extrapolated it lies
1-2.3 % below the cell's (the layer's force acts a little below its mid-thickness, which a homogeneous layer
cannot carry; the test's docstring). The cell reduces exactly to the pure materials at fractions 0 and 1 and to
the stack as the pitch goes to zero (tests). Where it does not hold, or was not checked: the block under the
layer is taken as deep as a pitch (a neighbour thinner than a pitch, with a stiffer layer below it, holds the
traces more); nothing covers the layer in the cell (a solder mask over the traces holds them a little more; not
measured); the cell is linear elastic at each temperature (no creep of the resin between the traces); cross-hatched
planes with a pitch average two cells as without one (an estimate).

Cross-hatched or mesh planes (``traces: isotropic_in_plane``): half of the copper as traces along x and half along
y is not a stack, so no exact answer exists; the layer is taken as the average of the x and y stripe layers at the
same fraction under equal strain (classical lamination theory's in-plane stiffness of a 0/90 pair, A = (A_0 +
A_90)/2, with the thermal forces averaged the same way), which makes E_x = E_y; with a trace pitch, of the two
cells'. This is an estimate (without a pitch between the Voigt and Reuss bounds); the stripe case is the one checked
against a resolved model (tests/verification/test_copper_fraction.py).

Thermal conductivity (parallel/series, the same geometry): along the traces and through the thickness the
volume average, across the traces the harmonic average; isotropic_in_plane the mean of the two in-plane values.
Density: the volume average; specific heat: the mass average. Temperature dependence: every property is computed at
each breakpoint of the constituents' tables (a jump kept as a jump) and at most 25 K apart between them, and
interpolated linearly in between (exact for temperature-independent constituents).

The result is elastic only: the constituents' nonlinear model parameters (Prony, Anand, J2) do not carry over.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from fcpkg_fem.errors import InputError
from fcpkg_fem.materials.model import CTE, Material, Orthotropic, Table
from fcpkg_fem.materials.provenance import source_of
from fcpkg_fem.materials.trace_cell import TraceCell, layer_response

__all__ = ["TRACES", "MAX_STEP_K", "TraceCell", "derived_name", "stripe_average", "effective_stiffness",
           "homogenise_layer"]

TRACES = ("isotropic_in_plane", "x", "y")
"""Trace orientations: cross-hatched / mesh planes, traces along x, traces along y."""

MAX_STEP_K = 25.0
"""Largest temperature step between the breakpoints of a homogenised material's tables, K."""

# Voigt [xx, yy, zz, yz, xz, xy]: components continuous across an interface with normal x / y (tractions) and
# the rest (strains in the interface plane)
_TRACTIONS = {0: [0, 4, 5], 1: [1, 3, 5]}


def derived_name(matrix: str, fraction: float, traces: str = "isotropic_in_plane", copper: str = "copper",
                 pitch: float | None = None) -> str:
    """The homogenised material's name: ``<matrix>+cu<fraction>`` and ``x`` or ``y`` for traces along an axis
    (``bt_laminate+cu0.3``, ``bt_laminate+cu0.3x``); a conductor other than ``copper`` is named:
    ``bt_laminate+my_cu:0.3x``; with a trace pitch (m) the unit cell's material: ``bt_laminate+cu0.3x_p100um``."""
    tag = "cu" if copper == "copper" else f"{copper}:"
    suffix = {"isotropic_in_plane": "", "x": "x", "y": "y"}[traces]
    cell = "" if pitch is None else f"_p{pitch * 1e6:.4g}um"
    return f"{matrix}+{tag}{fraction:g}{suffix}{cell}"


def stripe_average(C: list[np.ndarray], beta: list[np.ndarray], f: list[float],
                   normal: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact effective stiffness and thermal stress of a fine periodic stack of phases (module docstring).

    Args:
        C: each phase's Voigt stiffness (6, 6), Pa.
        beta: each phase's thermal stress per kelvin, beta = C alpha (6,), Pa/K (sigma = C eps - beta dT).
        f: volume fractions (sum 1).
        normal: axis of the interfaces' normal, 0 (x) or 1 (y).

    Returns:
        (C_eff (6, 6), beta_eff (6,)).
    """
    T = _TRACTIONS[normal]
    P = [i for i in range(6) if i not in T]
    n = len(T)
    A = np.zeros((n, n))
    B = np.zeros((n, 6 - n))
    D = np.zeros((6 - n, n))
    E = np.zeros((6 - n, 6 - n))
    a = np.zeros(n)
    d = np.zeros(6 - n)
    for Ci, bi, fi in zip(C, beta, f):
        inv = np.linalg.inv(Ci[np.ix_(T, T)])
        CTP, CPT, CPP = Ci[np.ix_(T, P)], Ci[np.ix_(P, T)], Ci[np.ix_(P, P)]
        # phase i, sigma = C eps - beta dT split into T (tractions) and P (in-plane strains): solving the T rows for
        # eps_T gives the mixed form eps_T = A s_T + B e_P + a dT, s_P = D s_T + E e_P + d dT; s_T and e_P are the
        # same in every phase, so the averages of eps_T and s_P are these with A..d averaged; inverting the first
        # row back gives the stack's C and beta
        A += fi * inv
        B += fi * -inv @ CTP
        a += fi * inv @ bi[T]
        D += fi * CPT @ inv
        E += fi * (CPP - CPT @ inv @ CTP)
        d += fi * (CPT @ inv @ bi[T] - bi[P])
    Ai = np.linalg.inv(A)
    Ceff = np.zeros((6, 6))
    Ceff[np.ix_(T, T)] = Ai
    Ceff[np.ix_(T, P)] = -Ai @ B
    Ceff[np.ix_(P, T)] = D @ Ai
    Ceff[np.ix_(P, P)] = E - D @ Ai @ B
    beff = np.zeros(6)
    beff[T] = Ai @ a
    beff[P] = D @ Ai @ a - d
    return 0.5 * (Ceff + Ceff.T), beff


# Voigt permutation exchanging x and y (xx <-> yy, yz <-> xz): traces along y seen with x along them
_SWAP = [1, 0, 2, 4, 3, 5]


def _thermal_stress(m: Material, T: float) -> tuple[np.ndarray, np.ndarray]:
    """(C (6, 6) in Pa, beta = C alpha (6,) in Pa/K) of ``m`` at ``T`` (degC), instantaneous CTE."""
    C = m.stiffness(T)[0]
    return C, C @ np.concatenate([m.cte.tangent(T)[0], np.zeros(3)])


def cell_stripes(C: np.ndarray, beta: np.ndarray, Q: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stripe layer with the unit cell's in-plane response: the stack's (C (6, 6) Pa, beta (6,) Pa/K, axes x
    along the traces) with its in-plane compliance block replaced by the cell's plane-stress stiffness ``Q`` (2, 2)
    Pa and its in-plane thermal strain by ``Q^-1 b`` (``b`` (2,) Pa/K); the through-thickness terms (S_13, S_23,
    S_33, the shears, alpha_z) stay the stack's. With sigma_zz = 0 the layer's in-plane response is then exactly
    the cell's (its reduced compliance is the in-plane block of S)."""
    S = np.linalg.inv(C)
    alpha = S @ beta
    S[:2, :2] = np.linalg.inv(Q)
    alpha[:2] = np.linalg.solve(Q, b)
    Cn = np.linalg.inv(S)
    Cn = 0.5 * (Cn + Cn.T)
    return Cn, Cn @ alpha


def effective_stiffness(matrix: Material, copper: Material, fraction: float, traces: str,
                        T: float, cell: TraceCell | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(C_eff (6, 6) in Pa, alpha_eff (6,) in 1/K, instantaneous) of the layer at temperature ``T`` (degC).

    ``cell``: the traces' pitch, the layer's thickness and the material below; given, the in-plane response of
    each stripe orientation is the unit cell's (:func:`fcpkg_fem.materials.trace_cell.layer_response`, module
    docstring), otherwise the fine stack's (Backus)."""
    (Cm, bm), (Cc, bc) = _thermal_stress(matrix, T), _thermal_stress(copper, T)
    f = [1.0 - fraction, fraction]
    sub = None if cell is None else _thermal_stress(cell.substrate, T)

    def along_x(swap: bool) -> tuple[np.ndarray, np.ndarray]:
        """The stripes with traces along x (swap False) or along y, in global axes."""
        p = _SWAP if swap else list(range(6))
        Cs, bs = [Cm[np.ix_(p, p)], Cc[np.ix_(p, p)]], [bm[p], bc[p]]
        C, b = stripe_average(Cs, bs, f, normal=1)
        if cell is not None and 0.0 < fraction < 1.0:
            Cl = [sub[0][np.ix_(p, p)], *Cs]
            Q, bq = layer_response(cell.pitch, fraction, cell.thickness, Cl, [sub[1][p], *bs])
            C, b = cell_stripes(C, b, Q, bq)
        return C[np.ix_(p, p)], b[p]  # the swap is its own inverse

    if traces == "x":
        C, b = along_x(False)
    elif traces == "y":
        C, b = along_x(True)
    else:
        (Cx, bx), (Cy, by) = along_x(False), along_x(True)
        C, b = 0.5 * (Cx + Cy), 0.5 * (bx + by)
    return C, np.linalg.solve(C, b)


def _grid(tables: list[Table]) -> list[tuple[float, bool]]:
    """Sample temperatures: (T, left) pairs; ``left`` marks the left limit at a jump (sampled just below T)."""
    varying = [t for t in tables if t.T_C.size > 1]  # a constant's one point is no breakpoint
    if not varying:
        return [(0.0, False)]
    pts = np.unique(np.concatenate([t.T_C for t in varying]))
    jumps = {float(t.T_C[i]) for t in varying for i in range(t.T_C.size - 1) if t.T_C[i] == t.T_C[i + 1]}
    out: list[tuple[float, bool]] = []
    for k, Tk in enumerate(pts):
        if k > 0:
            n = int(np.ceil((Tk - pts[k - 1]) / MAX_STEP_K - 1e-9))
            out += [(float(pts[k - 1] + (Tk - pts[k - 1]) * i / n), False) for i in range(1, n)]
        if float(Tk) in jumps:
            out.append((float(Tk), True))
        out.append((float(Tk), False))
    return out


def _mech_tables(m: Material) -> list[Table]:
    """The tables of ``m``'s stiffness and CTE (a substrate's: its conductivity does not enter)."""
    return list(m.elastic.tables().values()) + list(m.cte.tables())


def _tables_of(m: Material) -> list[Table]:
    tabs = list(m.elastic.tables().values()) + list(m.cte.tables())
    for t in (*(m.k or ()), m.rho, m.cp):
        if t is not None:
            tabs.append(t)
    return tabs


def _how(traces: str, cell: TraceCell | None) -> str:
    """The homogenisation in words, for the material's sources and notes."""
    how = {"x": "traces along x: exact stripe-stack averages (Backus 1962), iso-strain along x and z, iso-stress "
                "across (y)",
           "y": "traces along y: exact stripe-stack averages (Backus 1962), iso-strain along y and z, iso-stress "
                "across (x)",
           "isotropic_in_plane": "cross-hatched plane: the mean of the x and y stripe stacks under equal strain "
                                 "(a 0/90 pair of classical lamination theory; an estimate)"}[traces]
    if cell is not None:
        how += (f"; in-plane (x, y) stiffness and CTE from a unit cell of one {cell.pitch * 1e6:.4g} um pitch of the "
                f"{cell.thickness * 1e6:.4g} um layer on '{cell.substrate.name}' (generalised plane strain, "
                "periodic across the traces, its bottom held to the in-plane strain; Suquet 1987, Caillerie 1984)")
    return how


def homogenise_layer(matrix: Material, copper: Material, fraction: float,
                     traces: Literal["isotropic_in_plane", "x", "y"] = "isotropic_in_plane", *,
                     name: str | None = None, field: str = "copper_fraction",
                     cell: TraceCell | None = None) -> Material:
    """The layer of ``matrix`` with a volume ``fraction`` of ``copper`` as one orthotropic material.

    Args:
        matrix, copper: the resin (or laminate) and the conductor.
        fraction: copper volume fraction, 0..1.
        traces: ``x`` / ``y`` (parallel traces along that axis) or ``isotropic_in_plane`` (cross-hatched planes).
        name: the material's name; default :func:`derived_name`.
        field: the case field errors name.
        cell: the trace pitch, the layer's thickness and the material the layer is bonded to: the in-plane
            response from the unit cell (:mod:`fcpkg_fem.materials.trace_cell`; module docstring); None: the fine
            stack's (Backus) everywhere, as without a pitch.

    Raises:
        InputError: a constituent with a secant CTE (the averages need instantaneous CTEs), a fraction outside
            0..1, an unknown orientation.
    """
    if traces not in TRACES:
        raise InputError.single(field, f"traces must be one of {', '.join(TRACES)}, got {traces!r}")
    if not 0.0 <= fraction <= 1.0:
        raise InputError.single(field, f"a copper fraction is a volume fraction from 0 to 1, got {fraction:g}")
    for m in (matrix, copper) + (() if cell is None else (cell.substrate,)):
        if m.cte.kind != "instantaneous":
            raise InputError.single(field, f"material '{m.name}' gives a secant CTE (from {m.cte.T0:g} degC); the "
                                           "homogenisation averages instantaneous CTEs: give its CTE as "
                                           "instantaneous (cte_kind: instantaneous) to homogenise it")
    name = name or derived_name(matrix.name, fraction, traces, copper.name, None if cell is None else cell.pitch)
    grid = _grid(_tables_of(matrix) + _tables_of(copper) + ([] if cell is None else _mech_tables(cell.substrate)))
    Ts = np.array([T for T, _ in grid])
    eval_T = np.array([np.nextafter(T, -np.inf) if left else T for T, left in grid])
    cols: dict[str, list[float]] = {k: [] for k in ("E1", "E2", "E3", "nu12", "nu13", "nu23", "G12", "G13", "G23",
                                                    "ax", "ay", "az")}
    for T in eval_T:
        C, alpha = effective_stiffness(matrix, copper, fraction, traces, float(T), cell)
        S = np.linalg.inv(C)
        off = S.copy()
        off[:3, :3] = 0.0
        off[3:, 3:] = np.diag(np.diag(S[3:, 3:]))
        assert np.max(np.abs(off - np.diag(np.diag(off)))) <= 1e-9 * np.max(np.abs(S)), "not orthotropic"
        for k, v in (("E1", 1 / S[0, 0]), ("E2", 1 / S[1, 1]), ("E3", 1 / S[2, 2]),
                     ("nu12", -S[0, 1] / S[0, 0]), ("nu13", -S[0, 2] / S[0, 0]), ("nu23", -S[1, 2] / S[1, 1]),
                     ("G23", 1 / S[3, 3]), ("G13", 1 / S[4, 4]), ("G12", 1 / S[5, 5]),
                     ("ax", alpha[0]), ("ay", alpha[1]), ("az", alpha[2])):
            cols[k].append(float(v))
    tab = {k: Table(Ts, v) if len(Ts) > 1 else Table.constant(v[0]) for k, v in cols.items()}
    elastic = Orthotropic(**{k: tab[k] for k in ("E1", "E2", "E3", "nu12", "nu13", "nu23", "G12", "G13", "G23")})
    cte = CTE(tab["ax"], tab["ay"], tab["az"])
    f, g = fraction, 1.0 - fraction
    k = rho = cp = None
    if matrix.has_thermal and copper.has_thermal:
        km = [np.array([m.conductivity(T)[0] for T in eval_T]) for m in (matrix, copper)]
        par = g * km[0] + f * km[1]
        ser = 1.0 / (g / km[0] + f / km[1])
        if traces == "x":
            kx, ky = par[:, 0], ser[:, 1]
        elif traces == "y":
            kx, ky = ser[:, 0], par[:, 1]
        else:
            kx, ky = 0.5 * (par[:, 0] + ser[:, 0]), 0.5 * (par[:, 1] + ser[:, 1])
        kz = par[:, 2]
        rm = [np.array([m.density(T)[0] for T in eval_T]) for m in (matrix, copper)]
        cm = [np.array([m.specific_heat(T)[0] for T in eval_T]) for m in (matrix, copper)]
        rho_v = g * rm[0] + f * rm[1]
        cp_v = (g * rm[0] * cm[0] + f * rm[1] * cm[1]) / rho_v

        def t(v: np.ndarray) -> Table:
            return Table(Ts, v) if len(Ts) > 1 else Table.constant(float(v[0]))
        k, rho, cp = (t(kx), t(ky), t(kz)), t(rho_v), t(cp_v)
    how = _how(traces, cell)
    inputs = (f"{f:g} volume fraction of '{copper.name}' in '{matrix.name}'")

    def src(prop: str, formula: str) -> str:
        return (f"homogenised ({formula}; fcpkg_fem.materials.homogenise) from {inputs}: '{matrix.name}' "
                f"{prop}: {source_of(matrix, prop) or 'no source given'}; '{copper.name}' {prop}: "
                f"{source_of(copper, prop) or 'no source given'}")

    sources = {"E": src("E", how), "nu": src("nu", how),
               "cte": src("cte", how + ", thermal stress C alpha carried through the same averages")}
    if k is not None:
        sources["k"] = src("k", "volume average along the traces and through the thickness, harmonic across")
        sources["rho"] = src("rho", "volume average")
        sources["cp"] = src("cp", "mass average")
    if matrix.Tg is not None:
        sources["Tg"] = f"the matrix '{matrix.name}': {source_of(matrix, 'Tg') or 'no source given'}"
    return Material(
        name=name, elastic=elastic, cte=cte, k=k, rho=rho, cp=cp, Tg=matrix.Tg,
        description=f"'{matrix.name}' with {f:.3g} volume fraction of '{copper.name}' "
                    f"({'traces along ' + traces if traces != 'isotropic_in_plane' else 'cross-hatched plane'}), "
                    "homogenised to one orthotropic material",
        sources=sources,
        notes=f"Derived: {how}. Elastic only (the constituents' nonlinear model parameters do not carry over). "
              f"Tables sampled at the constituents' breakpoints and at most {MAX_STEP_K:g} K apart.",
    )
