"""Per bump, via, trace and ball: volume-averaged strain and stress, and the critical item.

``eq_strain`` is the volume average over the item of the von Mises equivalent of the mechanical strain
(total minus thermal; elastic in a linear run); ``von_mises_MPa`` the volume-averaged von Mises stress;
for vias and traces also ``axial_strain``, the volume-averaged total strain along z. Items cut by a symmetry
plane are averaged over their modelled part, which equals the whole by symmetry.
"""

from __future__ import annotations

import numpy as np

from fcpkg_fem.case import names as N
from ..physics.elasticity import equivalent_strain
from fcpkg_fem.post.registry import register_post

KIND_KEY = {"bumps": "bumps", "vias": "vias", "traces": "vias", "balls": "balls"}


@register_post("items")
def items(ctx) -> dict:
    pm = ctx.pmesh
    st = ctx.state
    out: dict = {"bumps": {}, "vias": {}, "balls": {}}
    eq = equivalent_strain(ctx.mech_strain)
    for region in pm.geometry.item_regions:
        if region not in pm.region_names or region not in pm.items:
            continue
        ri = pm.region_names.index(region)
        sel = np.nonzero(pm.cell_region == ri)[0]
        ids = pm.cell_item[sel]
        v = ctx.volumes[sel]
        n_items = len(pm.items[region])
        vsum = np.bincount(ids, weights=v, minlength=n_items)
        present = np.nonzero(vsum > 0)[0]

        def avg(values):
            return np.bincount(ids, weights=v * values, minlength=n_items)[present] / vsum[present]

        e_eq = avg(eq[sel])
        s_vm = avg(ctx.von_mises[sel])
        rows = []
        kind = N.kind(region)
        ezz = avg(st.strain[sel, 2]) if kind in ("vias", "traces") else None
        names, nets = pm.geometry.item_labels.get(region, (None, None))
        for k, it in enumerate(present):
            x, y = pm.items[region][it]
            row = {"id": int(it), "x_mm": round(x * 1e3, 6), "y_mm": round(y * 1e3, 6),
                   "eq_strain": float(e_eq[k]), "von_mises_MPa": round(float(s_vm[k]) * 1e-6, 6)}
            if names is not None:  # the engineer's own name of the joint (layout file id, ball map cell)
                row["label"] = names[it]
            if nets is not None:
                row["net"] = nets[it]
            if ezz is not None:
                row["axial_strain"] = float(ezz[k])
            rows.append(row)
        crit = max(rows, key=lambda r: r["eq_strain"])
        out[KIND_KEY[kind]][region] = {"count": len(rows), "critical": crit, "items": rows}
    return {k: v for k, v in out.items() if v}
