"""Grid convergence of one scalar on three systematically refined meshes (Richardson extrapolation and GCI).

P. J. Roache, "Perspective: a method for uniform reporting of grid refinement studies", J. Fluids Eng. 116(3),
405-413, 1994: with f1, f2, f3 the values on the fine, medium and coarse mesh and a constant refinement ratio r,
the observed order is p = ln((f3 - f2) / (f2 - f1)) / ln r, the Richardson extrapolation
f_ext = f1 + (f1 - f2) / (r^p - 1), and the fine-grid convergence index GCI_fine = Fs |e21| / (r^p - 1) with the
relative difference e21 = (f2 - f1) / f1 and the safety factor Fs = 1.25 for three grids. Units: those of f
(the relative quantities are dimensionless).
"""

from __future__ import annotations

import math

SAFETY_FACTOR = 1.25
"""Roache's safety factor for a study of three grids with an observed order."""


def grid_convergence(f_coarse: float, f_medium: float, f_fine: float, r: float = 2.0) -> dict:
    """Observed order, Richardson extrapolation and GCI of three values (coarse, medium, fine; ratio ``r``).

    Returns a dict: ``monotone`` (the two differences have the same sign), ``p`` (observed order; None when the
    differences change sign or one is zero: oscillatory or no convergence, no order claimed), ``extrapolated``
    (f_ext; None without p or with p <= 0, differences that do not shrink), ``e21`` (relative difference of the
    fine and medium values), ``gci_fine`` and ``gci_coarse`` (relative; the coarse one from e32 = (f3 - f2) / f2),
    ``asymptotic`` (GCI_coarse / (r^p GCI_fine), near 1 in the asymptotic range), ``medium_to_extrapolated``
    (f_medium / f_ext - 1) and ``fine_to_extrapolated`` (f_fine / f_ext - 1): None without f_ext.
    """
    d32, d21 = f_coarse - f_medium, f_medium - f_fine
    e21 = d21 / f_fine if f_fine else math.nan
    out = {"monotone": d32 * d21 > 0, "p": None, "extrapolated": None, "e21": e21, "gci_fine": None,
           "gci_coarse": None, "asymptotic": None, "medium_to_extrapolated": None, "fine_to_extrapolated": None}
    if not out["monotone"]:
        return out
    p = math.log(d32 / d21) / math.log(r)
    out["p"] = p
    if p <= 0:  # the differences do not shrink: no extrapolation
        return out
    rp = r**p - 1.0
    ext = f_fine + (f_fine - f_medium) / rp
    g21 = SAFETY_FACTOR * abs(e21) / rp
    g32 = SAFETY_FACTOR * abs(d32 / f_medium) / rp if f_medium else math.nan
    out.update(p=p, extrapolated=ext, gci_fine=g21, gci_coarse=g32, asymptotic=g32 / (r**p * g21) if g21 else None,
               medium_to_extrapolated=f_medium / ext - 1.0 if ext else None,
               fine_to_extrapolated=f_fine / ext - 1.0 if ext else None)
    return out
