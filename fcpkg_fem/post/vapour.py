"""Water vapour pressure at the interfaces that can delaminate, from the local moisture content (pure).

Model (docs/moisture.md, "Vapour pressure"), after X. J. Fan, J. Zhou, G. Q. Zhang and L. J. Ernst, "A
Micromechanics-Based Vapor Pressure Model in Electronic Packages", ASME J. Electron. Packag. 127(3):262-267 (2005)
(:data:`SRC_VAPOUR_MODEL`): the water a polymer holds, C (kg per m^3 of material), gathers in its free volume, a
fraction f of its volume, at an apparent density C / f (kg per m^3 of free volume). At temperature T:

    rho_g(T) = p_g(T) M_w / (R T_K)            the most vapour the free volume can hold: saturated vapour, kg/m^3
    p = p_g(T)                   if C / f >= rho_g(T)     liquid and vapour together: the saturated pressure
    p = (C / f) R T_K / M_w      if C / f <  rho_g(T)     vapour alone: the ideal gas of the water present

p_g is the saturation pressure of water (:func:`fcpkg_fem.materials.moisture.saturation_pressure`, IAPWS-IF97
equation 30), M_w the molar mass of water (:data:`M_WATER`), R the molar gas constant. Taking rho_g from the ideal
gas as well makes the two branches meet exactly at the switch (p = p_g there). C is the concentration the diffusion
has reached at that time (soaked, then desorbing through the reflow): once the water is all vapour its mass is what
the material still holds, and the pressure follows the ideal gas with it.

Interfaces (:func:`delamination_interfaces`): the facets shared by elements of two regions whose kinds (see
:func:`fcpkg_fem.case.names.kind`) are one of :data:`DELAMINATION_KINDS` (die/adhesive, die/encapsulant,
encapsulant/carrier: the carrier layer the encapsulant touches, a solder mask in the shipped cases), with at least one
permeable side. On each facet the wetness is the mean of its four nodes' (the wetness is continuous); each permeable
side with a free volume fraction gives C = C_sat(T_e) w with its own element's saturation and temperature, and the
facet's pressure is the larger of the sides' (a void on the interface is bounded by both).

Units: SI inside (Pa, kg/m^3, degC for temperatures as elsewhere); outputs in MPa and mm, named so.

API: :func:`saturated_vapour_density`, :func:`vapour_pressure`, :func:`delamination_interfaces`,
:func:`facet_pressures`, :class:`MoistureFields`, the post-processor ``vapour_pressure`` (:func:`vapour_post`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fcpkg_fem.case import names as N
from fcpkg_fem.materials.moisture import R_GAS, saturation_pressure
from fcpkg_fem.post.registry import mm, register_post

__all__ = ["M_WATER", "DELAMINATION_KINDS", "SRC_VAPOUR_MODEL", "saturated_vapour_density", "vapour_pressure",
           "delamination_interfaces", "facet_pressures", "MoistureFields", "vapour_post"]

M_WATER = 18.015e-3
"""Molar mass of water, kg/mol: 2 x 1.008 + 15.999 g/mol with the abridged standard atomic weights of hydrogen and
oxygen (IUPAC Commission on Isotopic Abundances and Atomic Weights; quoted, the table itself not read here)."""

SRC_VAPOUR_MODEL = (
    "X. J. Fan, J. Zhou, G. Q. Zhang, L. J. Ernst, 'A Micromechanics-Based Vapor Pressure Model in Electronic "
    "Packages', ASME J. Electron. Packag. 127(3):262-267 (2005): abstract read (a vapour pressure model from a "
    "micromechanics approach, extendable to the initial pressure as a traction on an interface after delamination); "
    "the paper's equations were not read: the two-branch form used (saturated pressure where the water in the free "
    "volume exceeds the saturated vapour density, the ideal gas of the water present below it) is the model as the "
    "project's issue 18 states it; saturation pressure: IAPWS-IF97 equation 30"
)

DELAMINATION_KINDS = (frozenset(("chip", "adhesive")), frozenset(("chip", "encapsulant")),
                      frozenset(("encapsulant", "carrier")))
"""Pairs of region kinds whose shared faces can delaminate under vapour pressure (die/adhesive, die/encapsulant,
encapsulant/carrier)."""


def saturated_vapour_density(T_C: Any) -> np.ndarray:
    """rho_g = p_g(T) M_w / (R T_K), kg/m^3: the density of saturated water vapour taken as an ideal gas, at T_C
    (degC); shape ``np.shape(T_C)``. Real steam at saturation is denser than the ideal gas, increasingly so
    towards the reflow's peak (docs/moisture.md, "Vapour pressure", Limits)."""
    T_K = np.asarray(T_C, dtype=float) + 273.15
    return saturation_pressure(T_C) * M_WATER / (R_GAS * T_K)


def vapour_pressure(C: Any, f: Any, T_C: Any) -> tuple[np.ndarray, np.ndarray]:
    """(p in Pa, saturated: bool) of water at concentration ``C`` (kg per m^3 of material, >= 0) gathered in a
    free volume fraction ``f`` (0 < f < 1) at ``T_C`` (degC), broadcast together (module docstring):
    p = p_g(T) where C / f >= rho_g(T), else (C / f) R T_K / M_w."""
    C, f, T_C = np.broadcast_arrays(np.asarray(C, float), np.asarray(f, float), np.asarray(T_C, float))
    rho = C / f
    sat = rho >= saturated_vapour_density(T_C)
    p = np.where(sat, saturation_pressure(T_C), rho * R_GAS * (T_C + 273.15) / M_WATER)
    return p, sat


def _interface_name(a: str, b: str, geometry: Any) -> str:
    named = getattr(geometry, "interfaces", ()) or ()
    if (b, a) in named and (a, b) not in named:
        a, b = b, a
    return N.interface(a, b)


def delamination_interfaces(pmesh: Any, permeable: np.ndarray) -> dict[str, np.ndarray]:
    """Interfaces that can delaminate: name ``A|B`` -> (n,) facet indices of ``pmesh.mesh`` shared by an element of
    region A and one of region B, for the region pairs of :data:`DELAMINATION_KINDS` with at least one element of
    the pair ``permeable`` ((n_elements,) bool). Names follow ``pmesh.geometry.interfaces`` where it lists the pair,
    else the mesh's region order. Interfaces without a shared facet are left out."""
    m = pmesh.mesh
    cr = np.asarray(pmesh.cell_region)
    names = list(pmesh.region_names)
    inner = np.nonzero(m.f2t[1] >= 0)[0]
    e0, e1 = m.f2t[0, inner], m.f2t[1, inner]
    r0, r1 = cr[e0], cr[e1]
    perm = np.asarray(permeable, dtype=bool)
    keep = (r0 != r1) & (perm[e0] | perm[e1])
    out: dict[str, np.ndarray] = {}
    pairs = np.unique(np.sort(np.stack([r0[keep], r1[keep]]), axis=0), axis=1)
    for ia, ib in pairs.T:
        a, b = names[ia], names[ib]
        if frozenset((N.kind(a), N.kind(b))) not in DELAMINATION_KINDS:
            continue
        sel = inner[keep & (((r0 == ia) & (r1 == ib)) | ((r0 == ib) & (r1 == ia)))]
        out[_interface_name(a, b, getattr(pmesh, "geometry", None))] = sel
    return out


@dataclass
class MoistureFields:
    """The moisture state a post-processor needs at one time (:class:`~fcpkg_fem.post.registry.PostContext`).

    Attributes:
        wetness: (n_vertices,) nodal wetness w = C / C_sat (-), NaN at vertices outside the moisture problem.
        saturated_concentration: (n_elements,) C_sat of each element at its temperature, kg/m^3; NaN where there is
            no moisture field (impermeable or not yet born).
        temperature: (n_elements,) element temperature, degC.
        free_volume: (n_elements,) free volume fraction of the element's material (-), NaN where it has none.
    """

    wetness: np.ndarray
    saturated_concentration: np.ndarray
    temperature: np.ndarray
    free_volume: np.ndarray


def facet_pressures(mesh: Any, facets: np.ndarray, mf: MoistureFields) -> dict[str, np.ndarray]:
    """Vapour pressure on interface ``facets`` ((n,) facet indices of ``mesh``) from the moisture state ``mf``.

    Returns arrays of shape (n,): ``p_Pa`` (NaN where neither side has a moisture field with a free volume
    fraction), ``C`` (kg/m^3, the concentration of the governing side), ``T_C`` (its element temperature, degC),
    ``saturated`` (bool) and ``centre`` ((n, 3) facet centroids, m)."""
    facets = np.asarray(facets, dtype=np.int64)
    w = np.nanmean(mf.wetness[mesh.facets[:, facets]], axis=0) if len(facets) else np.zeros(0)
    n = len(facets)
    p, C, T, sat = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, bool)
    for side in (0, 1):
        e = mesh.f2t[side, facets]
        c_sat, f, Te = mf.saturated_concentration[e], mf.free_volume[e], mf.temperature[e]
        ok = np.isfinite(c_sat) & np.isfinite(f) & np.isfinite(w)
        if not ok.any():
            continue
        Cs = c_sat[ok] * w[ok]
        ps, ss = vapour_pressure(Cs, f[ok], Te[ok])
        idx = np.nonzero(ok)[0]
        better = ~(p[idx] >= ps)  # NaN (no side yet) or lower
        j = idx[better]
        p[j], C[j], T[j], sat[j] = ps[better], Cs[better], Te[ok][better], ss[better]
    centre = mesh.p[:, mesh.facets[:, facets]].mean(axis=1).T if n else np.zeros((0, 3))
    return {"p_Pa": p, "C": C, "T_C": T, "saturated": sat, "centre": centre}


@register_post("vapour_pressure")
def vapour_post(ctx) -> dict:
    """``{"vapour_pressure": {interface: {max_MPa, at_mm, temperature_C, concentration_kg_per_m3, saturated,
    saturation_pressure_MPa, mean_MPa, saturated_area_fraction}}}`` when the context carries a moisture state
    (``ctx.moisture``), else {}. The peak is over the interface's facets (module docstring; of facets at the same
    pressure, e.g. all saturated, the one with the most water); ``temperature_C`` and the concentration are those
    of the element at the peak, ``saturation_pressure_MPa`` p_g there, ``mean_MPa`` the area mean over the facets
    with a pressure, ``saturated_area_fraction`` the share of that area on the saturated branch."""
    mf = getattr(ctx, "moisture", None)
    if mf is None:
        return {}
    m = ctx.pmesh.mesh
    out = {}
    permeable = np.isfinite(mf.saturated_concentration)
    for name, facets in _interfaces_cached(ctx.pmesh, permeable).items():
        r = facet_pressures(m, facets, mf)
        ok = np.isfinite(r["p_Pa"])
        if not ok.any():
            continue
        cand = np.nonzero(ok)[0]
        i = int(cand[np.lexsort((r["C"][cand], r["p_Pa"][cand]))[-1]])  # the highest pressure; of equal, the wettest
        area = _facet_areas(m, facets)[ok]
        out[name] = {
            "max_MPa": round(float(r["p_Pa"][i]) * 1e-6, 9),
            "at_mm": mm(r["centre"][i]),
            "temperature_C": float(r["T_C"][i]),
            "concentration_kg_per_m3": float(r["C"][i]),
            "saturated": bool(r["saturated"][i]),
            "saturation_pressure_MPa": round(float(saturation_pressure(r["T_C"][i])) * 1e-6, 9),
            "mean_MPa": round(float(np.dot(r["p_Pa"][ok], area) / area.sum()) * 1e-6, 9),
            "saturated_area_fraction": round(float(np.dot(r["saturated"][ok], area) / area.sum()), 12),
        }
    return {"vapour_pressure": out} if out else {}


_LAST: list = []  # [(pmesh, permeable mask bytes, interfaces)]: the interfaces change only when parts are born


def _interfaces_cached(pmesh: Any, permeable: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`delamination_interfaces`, kept for the last mesh and permeable set asked (every increment of a
    history asks for the same until a birth); the mesh object is held, so its identity cannot be reused."""
    key = np.packbits(permeable).tobytes()
    if _LAST and _LAST[0][0] is pmesh and _LAST[0][1] == key:
        return _LAST[0][2]
    found = delamination_interfaces(pmesh, permeable)
    _LAST[:] = [(pmesh, key, found)]
    return found


def _facet_areas(mesh: Any, facets: np.ndarray) -> np.ndarray:
    """(n,) areas of quadrilateral facets, m^2 (half the norm of the cross product of the diagonals)."""
    p = mesh.p[:, mesh.facets[:, facets]]  # (3, 4, n)
    d = np.cross((p[:, 2] - p[:, 0]).T, (p[:, 3] - p[:, 1]).T)
    return 0.5 * np.linalg.norm(d, axis=1)
