"""Warpage of the carriers' outer faces (DESIGN.md section 4; convention in docs/outputs.md).

Each face is viewed from outside the package: carrier 1's bottom (terminal side) from below, carrier 2's top
(stacking side) from above. The least-squares plane is removed; coplanarity is the peak-to-valley of what
remains; the signed value is +coplanarity when the face is convex (bulges towards the viewer) and -coplanarity
when concave, as JESD22-B112 / JEITA ED-7306 name them. A symmetry-cut model is mirrored to the full face first.
"""

from __future__ import annotations

import numpy as np

from ..geometry import names as N
from ..result import FaceSample
from . import mm, register_post

FACES = {
    # key: (surface name, view direction sign along z: -1 = viewed from below, text)
    "bottom": ((N.CARRIER1_BOTTOM, N.LAMINATE_BOTTOM), -1, "from below, looking at the terminal side (carrier 1 bottom)"),
    "top": ((N.CARRIER2_TOP, N.LAMINATE_TOP), +1, "from above, looking at the stacking side (carrier 2 top)"),
}

FLAT_UM = 1e-3  # below 1 nm peak-to-valley a face is called flat (round-off level for these sizes)


def face_vertices(mesh, facets: np.ndarray) -> np.ndarray:
    """Vertex indices on the given facets."""
    return np.unique(mesh.facets[:, facets])


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
    a, b, c = np.linalg.lstsq(Q, d, rcond=None)[0][:3]
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
    if pv_um < FLAT_UM:
        shape, sign = "flat", 0.0
    elif kv[0] * kv[1] < 0 and min(abs(kv[0]), abs(kv[1])) > 0.25 * max(abs(kv[0]), abs(kv[1])):
        shape = "saddle"
        sign = 1.0 if kv.sum() >= 0 else -1.0
    else:
        shape = "convex" if kv.sum() > 0 else "concave"
        sign = 1.0 if shape == "convex" else -1.0
    metrics = {
        "coplanarity_um": round(pv_um, 6),
        "signed_um": round(sign * pv_um, 6),
        "shape": shape,
        "corner_minus_center_um": round(cmc * 1e6, 6),
        "curvature_x_1_per_m": float(2 * a),
        "curvature_y_1_per_m": float(2 * b),
    }
    return metrics, d


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
        v = face_vertices(m, m.boundaries[surf])
        x, y, w = mirror_full(m.p[0, v], m.p[1, v], ctx.vertex_u[v, 2], g.symmetry)
        metrics, d = warpage_metrics(x, y, w, view, g.outline)
        out[key] = {"face": surf, "view": text, **metrics}
        samples[key] = FaceSample(x=x, y=y, w=w, w_detrended=d)
    out["pop_gap"] = _pop_gap(ctx, samples.get("top"))
    return {"warpage": out, "_faces": samples}


def _pop_gap(ctx, top: FaceSample | None):
    """Gap a flat stacked package would see, seated on the highest of this package's top balls.

    The stacked package rests on the ball tops that stand highest after warpage; every other ball top is then
    short of it by (highest - its own) detrended height. min_gap = nominal ball height (seating balls),
    max_gap = nominal + the largest shortfall (the ball most at risk of a non-wet open).
    """
    if top is None or ctx.case is None or ctx.case.structure != "stacked_flipchip":
        return None
    balls = getattr(ctx.case.package, "top_balls", None)
    if balls is None:
        return None
    items = ctx.pmesh.items.get(N.TOP_BALLS)
    if items is None or len(items) == 0:
        return None
    idx = [int(np.argmin((top.x - bx) ** 2 + (top.y - by) ** 2)) for bx, by in items]
    hb = top.w_detrended[idx]
    short = float(hb.max() - hb.min())
    worst = items[int(np.argmin(hb))]
    return {
        "nominal_um": round(balls.height * 1e6, 6),
        "min_gap_um": round(balls.height * 1e6, 6),
        "max_gap_um": round((balls.height + short) * 1e6, 6),
        "max_gap_at_mm": mm(worst),
    }
