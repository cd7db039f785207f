"""Per-joint results of a process history: averages over each bump, ball and via, and the fatigue life inputs.

A joint is one item (``pmesh.items[region][k]``) of a bump, ball, via or trace region. :func:`inelastic_items`
gives the volume averages reported at every increment; :func:`joint_work` the accumulated inelastic work over
the whole joint and over its pad-interface element layers (Darveaux's averaging volume); :func:`life_estimates`
the per-cycle increments between cycle starts and the life models of :mod:`fcpkg_fem.post.life`.
Units: work densities in J/m^3 inside, MJ/m^3 in the returned entries; lengths in m, mm in ``*_mm`` keys.
"""

from __future__ import annotations

import numpy as np

from fcpkg_fem.case import names as rn
from fcpkg_fem.post import life


def item_elements(pmesh, region: str) -> list[np.ndarray]:
    """Element indices of each item (bump, ball, via) of ``region``, by item id (empty for absent items)."""
    ri = pmesh.region_names.index(region)
    sel = np.nonzero(pmesh.cell_region == ri)[0]
    ids = pmesh.cell_item[sel]
    n = len(pmesh.items.get(region, ()))
    return [sel[ids == k] for k in range(n)]


def pad_layers(pmesh, els: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The element layers of one joint at its lower and upper pad interface (Darveaux averaging).

    Returns (lower elements, upper elements, lower layer thickness in m, upper layer thickness in m)."""
    m = pmesh.mesh
    z = m.p[2, m.t[:, els]]
    zlo, zhi = z.min(axis=0), z.max(axis=0)
    lo = els[np.abs(zlo - zlo.min()) < 1e-12]
    hi = els[np.abs(zhi - zhi.max()) < 1e-12]
    return lo, hi, float(np.mean(zhi[np.isin(els, lo)] - zlo.min())), float(np.mean(zhi.max() - zlo[np.isin(els, hi)]))


INELASTIC_KINDS = ("bumps", "balls", "vias", "traces")


def inelastic_items(ctx, hs) -> dict:
    """Per bump/ball/via volume averages of the inelastic results (empty when every model is elastic)."""
    if not hs.has_inelastic:
        return {}
    f = hs.inelastic_fields()
    vol = ctx.volumes
    pm = ctx.pmesh
    out = {}
    for region in pm.region_names:
        if rn.kind(region) not in INELASTIC_KINDS or not getattr(hs.models[region], "inelastic", False):
            continue
        rows = []
        for k, els in enumerate(item_elements(pm, region)):
            if not len(els):
                continue
            v = vol[els].sum()
            xy = pm.items[region][k]
            rows.append({"id": k, "x_mm": round(float(xy[0]) * 1e3, 6), "y_mm": round(float(xy[1]) * 1e3, 6),
                         "eq_inelastic_strain": float(np.dot(f["eq_inelastic_strain"][els], vol[els]) / v),
                         "inelastic_work_MJ_m3": float(np.dot(f["inelastic_work_J_m3"][els], vol[els]) / v * 1e-6)})
        if rows:
            out[region] = {"critical": max(rows, key=lambda r: r["inelastic_work_MJ_m3"]), "items": rows}
    return {"inelastic": out} if out else {}


def joint_work(pmesh, hs) -> dict[str, dict[str, np.ndarray]]:
    """Per joint of every inelastic bump/ball region: accumulated inelastic work density (J/m^3) averaged over the
    whole joint (``volume``) and over its lower and upper pad layers (``lower``, ``upper``); also the
    accumulated equivalent inelastic strain (``eq``)."""
    f = hs.inelastic_fields()
    vol = hs.p.volumes
    out = {}
    for region in pmesh.region_names:
        if rn.kind(region) not in ("bumps", "balls") or not getattr(hs.models[region], "inelastic", False):
            continue
        rows = {"volume": [], "lower": [], "upper": [], "eq": [], "t_lower": [], "t_upper": []}
        for els in item_elements(pmesh, region):
            if not len(els):
                for k in rows:
                    rows[k].append(np.nan)
                continue
            lo, hi, tl, tu = pad_layers(pmesh, els)
            W = f["inelastic_work_J_m3"]

            def avg(e, a=W):
                return float(np.dot(a[e], vol[e]) / vol[e].sum())

            rows["volume"].append(avg(els))
            rows["lower"].append(avg(lo))
            rows["upper"].append(avg(hi))
            rows["eq"].append(avg(els, f["eq_inelastic_strain"]))
            rows["t_lower"].append(tl)
            rows["t_upper"].append(tu)
        out[region] = {k: np.array(v) for k, v in rows.items()}
    return out


def cycle_marks(step) -> list[float]:
    """Absolute start times of each cycle of a thermal_cycle step (the first soak of each cycle index)."""
    p = step.profile
    marks, seen = [], set()
    for k, (lab, c) in enumerate(zip(p.segments, p.cycle)):
        if "soak" in str(lab) and int(c) not in seen:
            seen.add(int(c))
            marks.append(step.t_start + float(p.time_s[k]))
    return marks


def life_estimates(pmesh, volumes: np.ndarray, step, marks: list[tuple[float, dict]]) -> dict:
    """Per-cycle increments of the joints' inelastic work and strain between consecutive cycle starts, and the
    life estimates of the critical joint from the last complete cycle (Darveaux, Syed, Engelmaier)."""
    if len(marks) < 2:
        return {}
    out = {}
    (t0, w0), (t1, w1) = marks[-2], marks[-1]
    per_hour = 3600.0 / (t1 - t0)
    Ts = step.profile.temperature_C
    T_mean = 0.5 * (float(np.max(Ts)) + float(np.min(Ts)))
    for region in w1:
        dW_lo = w1[region]["lower"] - w0[region]["lower"]
        dW_hi = w1[region]["upper"] - w0[region]["upper"]
        dW_layer = np.fmax(dW_lo, dW_hi)
        dW_vol = w1[region]["volume"] - w0[region]["volume"]
        d_eq = w1[region]["eq"] - w0[region]["eq"]
        if not np.any(np.isfinite(dW_layer)):
            continue
        k = int(np.nanargmax(dW_layer))
        upper = bool(dW_hi[k] >= dW_lo[k])
        layer_t = float(w1[region]["t_upper"][k] if upper else w1[region]["t_lower"][k])
        xy = pmesh.items[region][k]
        side = "upper" if upper else "lower"
        series = [float(b[1][region][side][k] - a[1][region][side][k]) * 1e-6 for a, b in zip(marks[:-1], marks[1:])]
        entry = {
            "cycle_window_s": [t0, t1], "complete_cycles": len(marks) - 1, "cycles_per_hour": per_hour,
            "mean_temperature_C": T_mean,
            "critical": {"id": k, "x_mm": round(float(xy[0]) * 1e3, 6), "y_mm": round(float(xy[1]) * 1e3, 6),
                         "interface": "upper" if upper else "lower",
                         "dW_layer_MJ_m3": float(dW_layer[k]) * 1e-6, "dW_volume_MJ_m3": float(dW_vol[k]) * 1e-6,
                         "d_eq_inelastic_strain": float(d_eq[k]), "layer_thickness_um": layer_t * 1e6,
                         "dW_layer_per_cycle_MJ_m3": series,
                         # how far from stabilised: the last complete cycle's dW relative to the one before
                         "dW_change_last_cycle": (series[-1] / series[-2] - 1.0
                                                  if len(series) >= 2 and series[-2] != 0 else None)},
            "per_joint": [{"id": i, "dW_layer_MJ_m3": float(dW_layer[i]) * 1e-6,
                           "dW_volume_MJ_m3": float(dW_vol[i]) * 1e-6, "d_eq_inelastic_strain": float(d_eq[i])}
                          for i in range(len(dW_layer)) if np.isfinite(dW_layer[i])],
            "estimates": {},
        }
        est = entry["estimates"]
        dW = float(dW_layer[k])
        if dW > 0:
            diam = _joint_diameter(pmesh, volumes, region, k)
            n, info = life.darveaux(dW, diam, layer_thickness_m=layer_t)
            est["darveaux"] = {"cycles": n, **info}
            n, info = life.syed(float(dW_vol[k])) if dW_vol[k] > 0 else (None, None)
            if n is not None:
                est["syed"] = {"cycles": n, **info}
        if d_eq[k] > 0:
            n, info = life.engelmaier(float(np.sqrt(3.0) * d_eq[k]), T_mean, 24.0 * per_hour)
            est["engelmaier"] = {"cycles": n, **info,
                                 "note": "delta_gamma = sqrt(3) x the joint's volume-averaged equivalent inelastic "
                                         "strain increment over the cycle (von Mises shear equivalent)"}
        out[region] = entry
    return out


def _joint_diameter(pmesh, volumes: np.ndarray, region: str, k: int) -> float:
    """Diameter (m) of joint ``k`` from its volume and height (the crack length of Darveaux's growth term)."""
    els = item_elements(pmesh, region)[k]
    m = pmesh.mesh
    z = m.p[2, m.t[:, els]]
    h = float(z.max() - z.min())
    vol = float(np.sum(volumes[els])) / _modelled_fraction(pmesh, region, k)  # whole joint if cut by symmetry
    return float(2.0 * np.sqrt(vol / (np.pi * h)))


def _modelled_fraction(pmesh, region: str, k: int) -> float:
    x, y = pmesh.items[region][k]
    g = pmesh.geometry
    f = 1.0
    if g.symmetry in ("half", "quarter") and abs(x) < 1e-12:
        f *= 0.5
    if g.symmetry == "quarter" and abs(y) < 1e-12:
        f *= 0.5
    return f
