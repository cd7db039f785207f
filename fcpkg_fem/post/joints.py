"""Per-joint results of a process history: averages over each bump, ball and via, and the fatigue life inputs.

A joint is one item (``pmesh.items[region][k]``) of a bump, ball, via or trace region. :func:`inelastic_items`
gives the volume averages reported at every increment; :func:`joint_work` the accumulated inelastic work over
the whole joint and over its pad-interface element layers (the averaging volume of Darveaux and Syed);
:class:`JointTracker` samples every joint at every increment of a thermal_cycle step, so that
:func:`life_estimates` has, for the last complete cycle, the per-cycle work increments and the cyclic strain
ranges, and applies the life models of :mod:`fcpkg_fem.post.life` to them.
Units: work densities in J/m^3 inside, MJ/m^3 in the returned entries; lengths in m, mm in ``*_mm`` keys;
strains dimensionless, engineering shear.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from fcpkg_fem.case import names as rn
from fcpkg_fem.post import life


def item_elements(pmesh, region: str) -> list[np.ndarray]:
    """Element indices of each item (bump, ball, via) of ``region``, by item id (empty for absent items)."""
    ri = pmesh.region_names.index(region)
    sel = np.nonzero(pmesh.cell_region == ri)[0]
    ids = pmesh.cell_item[sel]
    n = len(pmesh.items.get(region, ()))
    return [sel[ids == k] for k in range(n)]


PAD_LAYER_M = life.DARVEAUX_SNPB_2000.layer_thickness_m
"""m: thickness of the pad-interface layer that the joint averages are taken over: the layer the Darveaux
constants were fitted with (1 mil)."""


def pad_layers(pmesh, els: np.ndarray, thickness: float = PAD_LAYER_M) \
        -> tuple[np.ndarray, np.ndarray, float, float]:
    """The elements of one joint in its lower and upper pad-interface layer (Darveaux averaging): those lying
    wholly within ``thickness`` (m; at most half the joint's height, as the submodel refinement places its node
    plane) of the joint's lowest (highest) point; where no element does (an element layer thicker than that: the
    global model), the joint's lowest (highest) element layer.

    Returns (lower elements, upper elements, lower layer thickness in m, upper layer thickness in m): the
    thickness of the volume actually averaged over."""
    m = pmesh.mesh
    z = m.p[2, m.t[:, els]]
    zlo, zhi = z.min(axis=0), z.max(axis=0)
    z0, z1 = zlo.min(), zhi.max()
    t = min(thickness, 0.5 * (z1 - z0))
    tol = 1e-6 * (z1 - z0)
    lo = zhi <= z0 + t + tol
    if not lo.any():
        lo = np.abs(zlo - z0) < 1e-12
    hi = zlo >= z1 - t - tol
    if not hi.any():
        hi = np.abs(zhi - z1) < 1e-12
    return els[lo], els[hi], float(zhi[lo].max() - z0), float(z1 - zlo[hi].min())


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


JOINT_KINDS = ("bumps", "balls")


def joint_regions(pmesh, hs) -> list[str]:
    """The bump and ball regions whose model is inelastic (the joints that get life estimates)."""
    return [r for r in pmesh.region_names
            if rn.kind(r) in JOINT_KINDS and getattr(hs.models[r], "inelastic", False)]


def joint_work(pmesh, hs) -> dict[str, dict[str, np.ndarray]]:
    """Per joint of every inelastic bump/ball region: accumulated inelastic work density (J/m^3) averaged over the
    whole joint (``volume``) and over its lower and upper pad layers (``lower``, ``upper``, thicknesses
    ``t_lower``, ``t_upper`` in m); also the accumulated equivalent inelastic strain (``eq``). Arrays (n_items,),
    NaN for an item without elements."""
    f = hs.inelastic_fields()
    vol = hs.p.volumes
    W = f["inelastic_work_J_m3"]
    out = {}
    for region in joint_regions(pmesh, hs):
        rows = {"volume": [], "lower": [], "upper": [], "eq": [], "t_lower": [], "t_upper": []}
        for els in item_elements(pmesh, region):
            if not len(els):
                for k in rows:
                    rows[k].append(np.nan)
                continue
            lo, hi, tl, tu = pad_layers(pmesh, els)

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


def _averaging(groups: list[np.ndarray], vol: np.ndarray, n_el: int) -> sp.csr_matrix:
    """(n_groups, n_el) matrix of volume-average weights: row k averages an element field over ``groups[k]``
    (a zero row for an empty group)."""
    rows, cols, w = [np.zeros(0, int)], [np.zeros(0, int)], [np.zeros(0)]
    for k, e in enumerate(groups):
        if len(e):
            rows.append(np.full(len(e), k))
            cols.append(e)
            w.append(vol[e] / vol[e].sum())
    return sp.csr_matrix((np.concatenate(w), (np.concatenate(rows), np.concatenate(cols))), shape=(len(groups), n_el))


class JointTracker:
    """Samples the bump and ball joints of a thermal_cycle step at every increment, for :func:`life_estimates`.

    At each cycle start (:func:`cycle_marks`) it keeps :func:`joint_work` (the accumulated work averages); at every
    increment from the first cycle start on, each joint's volume-averaged temperature (degC), mechanical strain
    (total minus thermal, (n_joints, 6)) and inelastic strain ((n_joints, 6), engineering shear). The samples of the
    last complete cycle (both of its cycle starts included) are kept in :attr:`last_cycle`, so memory is one cycle
    of samples. A step is tracked from its start: a run resumed at a step boundary repeats the same sampling.

    Args:
        pmesh: the mesh; hs: the HistorySolver (its inelastic joint regions and materials are read here);
        step: the planned thermal_cycle step.
    """

    def __init__(self, pmesh, hs, step):
        self.pmesh = pmesh
        self.volumes = hs.p.volumes
        self.marks = {round(float(t), 9) for t in cycle_marks(step)}
        self.materials = {r: hs.region_material[r] for r in joint_regions(pmesh, hs)}
        self._avg = {r: _averaging(item_elements(pmesh, r), self.volumes, pmesh.n_elements) for r in self.materials}
        self.starts: list[tuple[float, dict]] = []  # (t, joint_work) at each cycle start reached
        self.last_cycle: list[dict] | None = None
        self._cycle: list[dict] | None = None

    def add(self, t: float, hs) -> None:
        """Record the committed state of ``hs`` at the end of the increment ending at time ``t`` (s)."""
        start = round(float(t), 9) in self.marks
        if self._cycle is None and not start:
            return  # before the first cycle: no cycle to range over
        s = self._sample(float(t), hs)
        if start:
            self.starts.append((float(t), joint_work(self.pmesh, hs)))
            if self._cycle is not None:
                self._cycle.append(s)
                self.last_cycle = self._cycle
            self._cycle = [s]
        else:
            self._cycle.append(s)

    def _sample(self, t: float, hs) -> dict:
        st = hs.snapshot()
        mech = st.strain - st.eth  # the thermal strain is normal only: the shear components are the total's
        inel = hs.inelastic_fields()["inelastic_strain"]
        out = {"t": t}
        for r, A in self._avg.items():
            out[r] = {"T": A @ hs.T, "mech": A @ mech, "inelastic": A @ inel}
        return out

    def life_estimates(self, step) -> dict:
        """:func:`life_estimates` of the cycles tracked so far (empty before two cycle starts)."""
        return life_estimates(self.pmesh, self.volumes, step, self.starts, self.last_cycle, self.materials)


def _finite(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _ranges(cycle: list[dict] | None, region: str, n: int) -> dict[str, np.ndarray]:
    """Per joint over the samples of one cycle: ``d_gamma`` (:func:`life.equivalent_shear_strain_range` of the
    mechanical strain), ``d_gamma_inelastic`` (of the inelastic strain), ``d_gamma_transverse``
    (:func:`life.transverse_shear_strain_range` of the mechanical strain), ``T_min``, ``T_max`` (degC); NaN
    without samples."""
    if not cycle:
        nan = np.full(n, np.nan)
        return {k: nan for k in ("d_gamma", "d_gamma_inelastic", "d_gamma_transverse", "T_min", "T_max")}
    mech = np.stack([c[region]["mech"] for c in cycle])
    T = np.stack([c[region]["T"] for c in cycle])
    return {"d_gamma": life.equivalent_shear_strain_range(mech),
            "d_gamma_inelastic": life.equivalent_shear_strain_range(np.stack([c[region]["inelastic"] for c in cycle])),
            "d_gamma_transverse": life.transverse_shear_strain_range(mech),
            "T_min": T.min(axis=0), "T_max": T.max(axis=0)}


ENGELMAIER_NOTE = ("delta_gamma = sqrt(3) x the largest von Mises equivalent of the difference between two "
                   "increments of the last complete cycle of the joint's volume-averaged mechanical strain (the "
                   "cyclic range of the strain path; in simple shear exactly the shear strain range), at the joint "
                   "of the region with the largest range (`joint`), which can differ from the critical joint by "
                   "inelastic work")


def life_estimates(pmesh, volumes: np.ndarray, step, marks: list[tuple[float, dict]], cycle: list[dict] | None = None,
                   materials: dict | None = None) -> dict:
    """Per joint region: the per-cycle increments of the joints' inelastic work and strain between cycle starts,
    the cyclic strain ranges of the last complete cycle, its critical joint and the life estimates of that joint.

    Args:
        pmesh: the mesh; volumes: (n_el,) element volumes (m^3); step: the thermal_cycle step.
        marks: (t in s, :func:`joint_work`) at each cycle start, in time order (at least two for a result).
        cycle: the last complete cycle's samples (:attr:`JointTracker.last_cycle`); None: no strain ranges and
            no Engelmaier estimate (it needs the range).
        materials: region -> Material (or material name); default the mesh's material names.

    Returns:
        region -> entry (docs/outputs.md ``life``); empty with fewer than two cycle starts. The critical joint
        has the largest per-cycle work increment in a pad layer (Darveaux's and Syed's input); Engelmaier's is the
        joint with the largest cyclic shear strain range (its ``joint``); ``estimates`` holds each model that
        applies, ``not_estimated`` the reason for each that does not.
    """
    if len(marks) < 2:
        return {}
    out = {}
    (t0, w0), (t1, w1) = marks[-2], marks[-1]
    per_hour = 3600.0 / (t1 - t0)
    mats = materials if materials is not None else {r: pmesh.region_material.get(r, r) for r in w1}
    for region in w1:
        dW_lo = w1[region]["lower"] - w0[region]["lower"]
        dW_hi = w1[region]["upper"] - w0[region]["upper"]
        dW_layer = np.fmax(dW_lo, dW_hi)
        if not np.any(np.isfinite(dW_layer)):
            continue
        dW_vol = w1[region]["volume"] - w0[region]["volume"]
        d_eq = w1[region]["eq"] - w0[region]["eq"]
        rg = _ranges(cycle, region, len(dW_layer))
        k = int(np.nanargmax(dW_layer))
        upper = bool(dW_hi[k] >= dW_lo[k])
        side = "upper" if upper else "lower"
        layer_t = float(w1[region]["t_" + side][k])
        xy = pmesh.items[region][k]
        series = [float(b[1][region][side][k] - a[1][region][side][k]) * 1e-6 for a, b in zip(marks[:-1], marks[1:])]
        if cycle:  # Engelmaier's T_sj: the mean of the joint's extreme temperatures over the cycle
            T_range = [float(rg["T_min"][k]), float(rg["T_max"][k])]
        else:
            Ts = step.profile.temperature_C
            T_range = [float(np.min(Ts)), float(np.max(Ts))]
        mat = mats.get(region)
        entry = {
            "cycle_window_s": [t0, t1], "complete_cycles": len(marks) - 1, "cycles_per_hour": per_hour,
            "mean_temperature_C": 0.5 * (T_range[0] + T_range[1]),
            "solder": {"material": str(getattr(mat, "name", mat)), "family": life.solder_family(mat)},
            "critical": {"id": k, "x_mm": round(float(xy[0]) * 1e3, 6), "y_mm": round(float(xy[1]) * 1e3, 6),
                         "interface": side, "layer_thickness_um": layer_t * 1e6,
                         "dW_layer_MJ_m3": float(dW_layer[k]) * 1e-6, "dW_volume_MJ_m3": float(dW_vol[k]) * 1e-6,
                         "d_eq_inelastic_strain": float(d_eq[k]), "dW_layer_per_cycle_MJ_m3": series,
                         # how far from stabilised: the last complete cycle's dW relative to the one before
                         "dW_change_last_cycle": (series[-1] / series[-2] - 1.0
                                                  if len(series) >= 2 and series[-2] != 0 else None),
                         "d_gamma": _finite(rg["d_gamma"][k]),
                         "d_gamma_inelastic": _finite(rg["d_gamma_inelastic"][k]),
                         "d_gamma_transverse": _finite(rg["d_gamma_transverse"][k]),
                         "temperature_range_C": T_range},
            "per_joint": [{"id": i, "dW_layer_MJ_m3": float(dW_layer[i]) * 1e-6,
                           "dW_volume_MJ_m3": float(dW_vol[i]) * 1e-6, "d_eq_inelastic_strain": float(d_eq[i]),
                           "d_gamma": _finite(rg["d_gamma"][i]),
                           "d_gamma_inelastic": _finite(rg["d_gamma_inelastic"][i])}
                          for i in range(len(dW_layer)) if np.isfinite(dW_layer[i])],
        }
        # Engelmaier's critical joint is the one with the largest cyclic strain range, which need not be the one
        # with the largest work: taking the work's joint made its life jump where two joints' works cross
        kg = int(np.nanargmax(rg["d_gamma"])) if np.any(np.isfinite(rg["d_gamma"])) else k
        T_sj = 0.5 * (float(rg["T_min"][kg]) + float(rg["T_max"][kg])) if cycle else entry["mean_temperature_C"]
        entry["estimates"], entry["not_estimated"] = _estimates(
            pmesh, volumes, region, k, mat, float(dW_layer[k]), layer_t, rg["d_gamma"][kg], T_sj, 24.0 * per_hour)
        if "engelmaier" in entry["estimates"]:
            xg = pmesh.items[region][kg]
            entry["estimates"]["engelmaier"]["joint"] = {"id": kg, "x_mm": round(float(xg[0]) * 1e3, 6),
                                                         "y_mm": round(float(xg[1]) * 1e3, 6)}
        out[region] = entry
    return out


def _estimates(pmesh, volumes, region: str, k: int, mat, dW: float, layer_t: float, d_gamma: float, T_sj: float,
               per_day: float) -> tuple[dict, dict]:
    """(estimates, not_estimated) of joint ``k``: each model run on the input its author defined, with constants
    fitted for the joint's solder; for a model that does not apply, the reason."""
    est, skip = {}, {}
    family = life.solder_family(mat)
    constants, why = life.darveaux_constants(mat)
    if not dW > 0:
        skip["darveaux"] = skip["syed"] = "no inelastic work in the pad layer over the last complete cycle"
    else:
        if constants is None:
            skip["darveaux"] = why
        else:
            n, info = life.darveaux(dW, _joint_diameter(pmesh, volumes, region, k), constants,
                                    layer_thickness_m=layer_t)
            est["darveaux"] = {"cycles": n, **info}
        if family == "SnAgCu":
            n, info = life.syed(dW, layer_thickness_m=layer_t)
            est["syed"] = {"cycles": n, **info}
        else:
            skip["syed"] = f"Syed's constant was fitted for SnAgCu; the joint's solder is {family or 'not known'}"
    if not np.isfinite(d_gamma):
        skip["engelmaier"] = "no strain samples of the cycle: the cyclic shear strain range is not known"
    elif not d_gamma > 0:
        skip["engelmaier"] = "no shear strain range over the last complete cycle"
    else:
        n, info = life.engelmaier(float(d_gamma), T_sj, per_day, solder=family)
        est["engelmaier"] = {"cycles": n, **info, "note": ENGELMAIER_NOTE}
    return est, skip


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
