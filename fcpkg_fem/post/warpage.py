"""Warpage of the carriers' outer faces (sign terms of JESD22-B112 and JEITA ED-7306; convention in docs/outputs.md).

Each face is viewed from outside the package: carrier 1's bottom (terminal side) from below, carrier 2's top
(stacking side) from above. The least-squares plane is removed; coplanarity is the peak-to-valley of what
remains; the signed value is +coplanarity when the face is convex (bulges towards the viewer) and -coplanarity
when concave, as JESD22-B112 / JEITA ED-7306 name them. A symmetry-cut model is mirrored to the full face first.

The face is sampled at every node of the discrete displacement field on it (:func:`face_sample`): the vertices
and, for hex20, the midside node of every face edge, whose value is an independent unknown of the serendipity
element (the extreme of a face can be one, e.g. on a free edge). hex8i's incompatible modes are not sampled:
they are element-internal (condensed out, not continuous between elements, zero at the vertices), so the
conforming field is the vertex interpolant, which is what the other outputs show too. The plane and the quadratic
fit weigh every sampled node alike: inside a face each quadrilateral brings one vertex and two midside nodes, so
the midside nodes follow the vertices' density and add no bias towards any region (docs/outputs.md, "The warpage
convention").

Shape, from the curvatures k1, k2 of a quadratic fit (as seen by the viewer): ``flat`` below 1 nm peak-to-valley;
``saddle`` when they have opposite signs and the smaller is more than a quarter of the larger; else a bowl,
``convex`` or ``concave`` by the sign of k1 + k2, if the corners against the centre do not say the opposite and the
quadratic reproduces at least half the face's mean square; otherwise ``mixed`` (a wavy face), whose sign is that of
its corners against its centre as the viewer sees them. A saddle's signed value takes the sign of its mean
curvature k1 + k2 as seen by the viewer, and + when that vanishes (|k1 + k2| <= 1e-6 max |k|, a balanced saddle:
round-off must not pick it). So the sign of a ``convex``/``concave`` face never contradicts its corners.
"""

from __future__ import annotations

import numpy as np

from fcpkg_fem.case import names as N
from fcpkg_fem.post.result import FaceSample
from fcpkg_fem.post.registry import mm, register_post

FACES = {
    # key: (surface name, view direction sign along z: -1 = viewed from below, text)
    "bottom": ((N.CARRIER1_BOTTOM, N.LAMINATE_BOTTOM), -1, "from below, looking at the terminal side (carrier 1 bottom)"),
    "top": ((N.CARRIER2_TOP, N.LAMINATE_TOP), +1, "from above, looking at the stacking side (carrier 2 top)"),
}

FLAT_UM = 1e-3  # below 1 nm peak-to-valley a face is called flat (round-off level for these sizes)
BALANCED = 1e-6  # |k1 + k2| <= BALANCED max |k|: a saddle with no mean curvature (fit round-off is ~1e-12 here)
SADDLE = 0.25  # curvatures of opposite sign, the smaller above this share of the larger: a saddle
MIXED_FIT = 0.5  # a quadratic that reproduces less than half the face's mean square does not describe its shape
CORNERS_AGREE = 0.05  # corners-minus-centre within this share of the peak-to-valley: too small to contradict a bowl


def face_vertices(mesh, facets: np.ndarray) -> np.ndarray:
    """Vertex indices on the given facets."""
    return np.unique(mesh.facets[:, facets])


def face_sample(problem, u: np.ndarray, facets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, w) at every node of the discrete field on the given facets, in m: the face vertices (ascending),
    then for hex20 the midside nodes of the face edges (ascending edge index); w is the +z displacement.

    Args:
        problem: the MechanicalProblem (its ``basis`` maps nodes to dofs); u: (n_dofs,) displacement in m.
        facets: facet indices of one face.
    """
    b = problem.basis
    m = b.mesh
    v = face_vertices(m, facets)
    x, y, w = m.p[0, v], m.p[1, v], u[b.nodal_dofs[2, v]]
    if b.edge_dofs.size:  # hex20: one node per edge, at the edge's midpoint
        dofs = b.edge_dofs[2, np.unique(m.f2e[:, facets])]
        loc = b.doflocs[:, dofs]
        x, y, w = np.r_[x, loc[0]], np.r_[y, loc[1]], np.r_[w, u[dofs]]
    return x, y, w


def mirror_full(x: np.ndarray, y: np.ndarray, w: np.ndarray, symmetry: str):
    """Mirror a half/quarter face to the full package (points on a symmetry plane are not doubled)."""
    if symmetry in ("half", "quarter"):
        k = x > 1e-12
        x, y, w = np.r_[x, -x[k]], np.r_[y, y[k]], np.r_[w, w[k]]
    if symmetry == "quarter":
        k = y > 1e-12
        x, y, w = np.r_[x, x[k]], np.r_[y, -y[k]], np.r_[w, w[k]]
    return x, y, w


def warpage_metrics(x: np.ndarray, y: np.ndarray, w: np.ndarray, view: int, outline) -> tuple[dict, np.ndarray]:
    """Warpage numbers of one face.

    Args:
        x, y: (n,) point coordinates in m (full face); w: (n,) displacement along +z in m.
        view: -1 if the face is viewed from below, +1 from above.
        outline: the package outline Shape (for the corners).

    Returns:
        (metrics dict with *_um keys, detrended w (n,) in m).
    """
    A = np.c_[np.ones_like(x), x, y]
    plane = np.linalg.lstsq(A, w, rcond=None)[0]
    d = w - A @ plane
    pv = float(d.max() - d.min())
    # quadratic fit for the shape: d ~ a x^2 + b y^2 + c x y + linear + const
    Q = np.c_[x**2, y**2, x * y, np.ones_like(x), x, y]
    coef = np.linalg.lstsq(Q, d, rcond=None)[0]
    a, b, c = coef[:3]
    H = np.array([[2 * a, c], [c, 2 * b]])  # Hessian of w: curvature along +z
    k = np.linalg.eigvalsh(H)
    # seen from the viewer, a bulge towards the viewer is convex: for a face seen from below that is a
    # surface curving up away from its centre (positive d''), from above one curving down (negative d'')
    kv = -view * k
    x0, y0, x1, y1 = outline.bbox
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    ic = [int(np.argmin((x - cx) ** 2 + (y - cy) ** 2)) for cx, cy in corners]
    icen = int(np.argmin((x - 0.5 * (x0 + x1)) ** 2 + (y - 0.5 * (y0 + y1)) ** 2))
    cmc = float(np.mean(d[ic]) - d[icen])
    pv_um = pv * 1e6
    shape, sign = _shape(kv, -view * cmc, pv, _explained(d, Q @ coef))
    metrics = {
        "coplanarity_um": round(pv_um, 6),
        "signed_um": round(sign * pv_um, 6),
        "shape": shape,
        "corner_minus_center_um": round(cmc * 1e6, 6),
        "curvature_x_1_per_m": float(2 * a),
        "curvature_y_1_per_m": float(2 * b),
    }
    return metrics, d


def _explained(d: np.ndarray, fit: np.ndarray) -> float:
    """Share (0-1) of the detrended face's mean square that the quadratic fit reproduces; 1 for a flat face."""
    ss = float(d @ d)
    return 1.0 if ss == 0.0 else max(0.0, 1.0 - float((d - fit) @ (d - fit)) / ss)


def _shape(kv: np.ndarray, cmc_view: float, pv: float, explained: float) -> tuple[str, float]:
    """(shape, sign) of a face from its curvatures as the viewer sees them ``kv`` (2,), its corners-minus-centre
    as the viewer sees it (m; > 0: the centre nearer the viewer, convex) and the quadratic fit's ``explained``
    share. A bowl (both curvatures of one sign, or one negligible: a cylinder) is ``convex`` or ``concave`` only
    when the corners agree with the curvature and the quadratic describes the face; otherwise the face is
    ``mixed`` (wavy), signed by its corners against its centre, the reading a moire measurement gives."""
    if pv * 1e6 < FLAT_UM:
        return "flat", 0.0
    big, small = np.abs(kv).max(), np.abs(kv).min()
    if kv[0] * kv[1] < 0 and small > SADDLE * big:
        return "saddle", (1.0 if kv.sum() >= -BALANCED * big else -1.0)
    bowl = 1.0 if kv.sum() > 0 else -1.0
    corners = 0.0 if abs(cmc_view) <= CORNERS_AGREE * pv else np.sign(cmc_view)
    if explained < MIXED_FIT or corners == -bowl:
        return "mixed", (-1.0 if cmc_view < -CORNERS_AGREE * pv else 1.0)
    return ("convex", 1.0) if bowl > 0 else ("concave", -1.0)


@register_post("warpage")
def warpage(ctx) -> dict:
    """``{"warpage": {"bottom": {...}, "top": {...}, "pop_gap": ...}}`` and FaceSamples in ``_faces``."""
    pm = ctx.pmesh
    m = pm.mesh
    g = pm.geometry
    out, samples = {}, {}
    for key, (surfaces, view, text) in FACES.items():
        surf = next((s for s in surfaces if s in m.boundaries), None)
        if surf is None:
            continue
        x, y, w = mirror_full(*face_sample(ctx.problem, ctx.state.u, m.boundaries[surf]), g.symmetry)
        metrics, d = warpage_metrics(x, y, w, view, g.outline)
        out[key] = {"face": surf, "view": text, **metrics}
        samples[key] = FaceSample(x=x, y=y, w=w, w_detrended=d)
    out["pop_gap"] = _pop_gap(ctx)
    return {"warpage": out, "_faces": samples}


def ball_gaps(ctx) -> tuple[np.ndarray, np.ndarray] | None:
    """The gap each top ball would see under a flat stacked package seated on the highest balls.

    Each ball rises with its pad: h_k is the mean +z displacement of the pad's outline on carrier 2's top face
    (the vertices the ball shares with the free face; a pad cut by a symmetry plane is mirrored whole first, and a
    ball outside a cut model is its mirror image). For a pad meshed as a regular polygon that mean is the value
    at the pad centre for a linear field, and differs from it by the same amount for every pad of one size under
    a quadratic field, so differences between balls are exact for both; the face vertex nearest the centre is off
    by the slope times the pad radius. The least-squares plane through the ball heights over the ball centres is
    removed (a stacked package tilts with this one), and the flat package rests on the highest ball:
    gap_k = height + max_j h_j - h_k.

    Returns:
        (centres (n, 2) in m, full-package coordinates, as ``pmesh.items``; gaps (n,) in m), or None without top
        balls.
    """
    case = ctx.case
    if case is None or case.structure != "stacked_flipchip" or getattr(case.package, "top_balls", None) is None:
        return None
    pm = ctx.pmesh
    m = pm.mesh
    g = pm.geometry
    centres = pm.items.get(N.TOP_BALLS)
    if centres is None or len(centres) == 0 or N.TOP_BALLS not in pm.region_names or N.CARRIER2_TOP not in m.boundaries:
        return None
    on_face = np.zeros(m.p.shape[1], dtype=bool)
    on_face[face_vertices(m, m.boundaries[N.CARRIER2_TOP])] = True
    sel = np.nonzero(pm.cell_region == pm.region_names.index(N.TOP_BALLS))[0]
    modelled = {}
    for k in np.unique(pm.cell_item[sel]):
        v = np.unique(m.t[:, sel[pm.cell_item[sel] == k]])
        v = v[on_face[v]]  # the pad outline
        if len(v) == 0:
            continue
        cx, cy = centres[k]
        reach = float(np.hypot(m.p[0, v] - cx, m.p[1, v] - cy).max()) * (1.0 + 1e-9)
        x, y, w = mirror_full(m.p[0, v], m.p[1, v], ctx.vertex_u[v, 2], g.symmetry)
        own = np.hypot(x - cx, y - cy) <= reach  # mirror images of an uncut pad belong to other balls
        modelled[int(k)] = float(w[own].mean())
    # a ball outside a cut model has the height of its mirror image inside
    x0, y0 = g.domain[0], g.domain[1]
    image = np.array(centres, dtype=float)
    if g.symmetry in ("half", "quarter"):
        image[:, 0] = x0 + np.abs(image[:, 0] - x0)
    if g.symmetry == "quarter":
        image[:, 1] = y0 + np.abs(image[:, 1] - y0)
    ids = np.array(sorted(modelled))
    h = np.full(len(centres), np.nan)
    for k, (ix, iy) in enumerate(image):
        d = np.hypot(centres[ids, 0] - ix, centres[ids, 1] - iy)
        if len(ids) and d.min() <= 1e-9:
            h[k] = modelled[int(ids[np.argmin(d)])]
    ok = np.isfinite(h)
    if not ok.any():
        return None
    A = np.c_[np.ones(len(centres)), centres[:, 0], centres[:, 1]]
    plane = np.linalg.lstsq(A[ok], h[ok], rcond=None)[0]
    hb = h - A @ plane
    gaps = case.package.top_balls.height + np.nanmax(hb) - hb
    return centres[ok], gaps[ok]


def _pop_gap(ctx):
    """``nominal_um`` (ball height), ``min_gap_um`` (at the seating balls), ``max_gap_um`` and ``max_gap_at_mm``
    (the ball most at risk of a non-wet open) over every top ball; see :func:`ball_gaps`. None without top balls."""
    r = ball_gaps(ctx)
    if r is None:
        return None
    centres, gaps = r
    height = ctx.case.package.top_balls.height
    # of balls with the same largest gap (mirror images in a cut model), name one inside the modelled part
    x0, y0 = ctx.pmesh.geometry.domain[:2]
    tied = np.nonzero(gaps >= gaps.max() - 1e-12)[0]  # 1e-6 um
    inside = tied[(centres[tied, 0] >= x0 - 1e-12) & (centres[tied, 1] >= y0 - 1e-12)]
    k = int(inside[0] if len(inside) else tied[0])
    return {
        "nominal_um": round(height * 1e6, 6),
        "min_gap_um": round(float(gaps.min()) * 1e6, 6),
        "max_gap_um": round(float(gaps[k]) * 1e6, 6),
        "max_gap_at_mm": mm(centres[k]),
    }


def allowance_check(rows: list[dict], concave_m: float, convex_m: float, source: str | None = None) -> dict:
    """The extremes of each face's signed warpage over ``rows`` (history.csv rows: every increment of a process
    history, every output otherwise) against an allowance [concave_m <= 0, convex_m >= 0] (m).

    Returns:
        summary.json's ``warpage_allowance``: the limits (um), per face the lowest and highest signed warpage (um)
        with the row where each occurs (temperature, time and step when the rows have them) and whether it is
        within the limits, and ``within`` for all faces together (None when no row has warpage).
    """
    lo, hi = concave_m * 1e6, convex_m * 1e6
    faces: dict[str, dict] = {}
    for face in ("bottom", "top"):
        key = f"warpage_{face}_signed_um"
        pts = [r for r in rows if r.get(key) is not None and np.isfinite(r[key])]
        if not pts:
            continue
        rmin, rmax = min(pts, key=lambda r: r[key]), max(pts, key=lambda r: r[key])

        def where(r: dict) -> dict:
            return {k: r[k] for k in ("temperature_C", "time_s", "step", "cycle") if r.get(k) is not None}

        faces[face] = {"lowest_um": rmin[key], "lowest_at": where(rmin), "highest_um": rmax[key],
                       "highest_at": where(rmax), "within": bool(rmin[key] >= lo and rmax[key] <= hi)}
    return {"concave_um": lo, "convex_um": hi, "source": source, "faces": faces,
            "within": all(f["within"] for f in faces.values()) if faces else None}
