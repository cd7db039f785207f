"""Stress in every region and tractions on the named interfaces.

Peak values are taken over element-averaged stresses: at re-entrant corners (die edges in the adhesive, say)
the elastic solution is singular and a point value would only measure the mesh. Locations are element (or
facet) centroids in mm, in the coordinates of the modelled part.
"""

from __future__ import annotations

import numpy as np

from ..physics.elasticity import principal, voigt_to_tensor
from fcpkg_fem.post.registry import mm, register_post


@register_post("region_stress")
def region_stress(ctx) -> dict:
    """``{"regions": {region: {von_mises_max_MPa, ..._at_mm, max_principal_max_MPa, ..._at_mm}}}``."""
    pm = ctx.pmesh
    s = ctx.state.stress
    out = {}
    for ri, region in enumerate(pm.region_names):
        idx = np.nonzero(pm.cell_region == ri)[0]
        vm = ctx.von_mises[idx]
        p1 = principal(s[idx])[:, 2]
        i, j = idx[int(np.argmax(vm))], idx[int(np.argmax(p1))]
        out[region] = {
            "von_mises_max_MPa": round(float(vm.max()) * 1e-6, 6),
            "von_mises_max_at_mm": mm(ctx.centroids[i]),
            "max_principal_max_MPa": round(float(p1.max()) * 1e-6, 6),
            "max_principal_max_at_mm": mm(ctx.centroids[j]),
        }
    return {"regions": out}


def facet_normals(mesh, facets: np.ndarray) -> np.ndarray:
    """(n, 3) unit normals of quadrilateral facets (orientation arbitrary)."""
    p = mesh.p[:, mesh.facets[:, facets]]  # (3, 4, n)
    d1 = p[:, 2] - p[:, 0]
    d2 = p[:, 3] - p[:, 1]
    n = np.cross(d1.T, d2.T)
    return n / np.linalg.norm(n, axis=1)[:, None]


@register_post("interfaces")
def interfaces(ctx) -> dict:
    """Peel (normal) and shear traction on each named interface ``A|B``, from the mean of both sides' stress.

    peel = n . sigma . n (> 0 pulls the two parts apart) and shear = |sigma n - peel n|; neither depends on
    which way the normal n points.
    """
    m = ctx.pmesh.mesh
    s = ctx.state.stress
    out = {}
    for name, facets in m.boundaries.items():
        if "|" not in name:
            continue
        sig = 0.5 * (s[m.f2t[0, facets]] + s[m.f2t[1, facets]])
        n = facet_normals(m, facets)
        fc = m.p[:, m.facets[:, facets]].mean(axis=1).T
        t = np.einsum("nij,nj->ni", voigt_to_tensor(sig), n)
        peel = np.einsum("ni,ni->n", t, n)
        shear = np.linalg.norm(t - peel[:, None] * n, axis=1)
        ip, ish = int(np.argmax(peel)), int(np.argmax(shear))
        out[name] = {
            "peel_max_MPa": round(float(peel[ip]) * 1e-6, 6),
            "peel_max_at_mm": mm(fc[ip]),
            "peel_min_MPa": round(float(peel.min()) * 1e-6, 6),
            "shear_max_MPa": round(float(shear[ish]) * 1e-6, 6),
            "shear_max_at_mm": mm(fc[ish]),
        }
    return {"interfaces": out}
