"""Warpage from every node of the discrete field on a face (fcpkg_fem/post/warpage.py, ``face_sample``).

The small stacked package of tests/support/items.py (4 x 4 mm carriers), quarter model, with a displacement field
set at every dof (``prescribed``), as in test_post_items_exact.py.

Midside extreme. hex20's midside nodes are unknowns of their own: on a face the extreme may sit on one, between
two vertices. In the quarter model (x, y >= 0) set u_z = -c ((x - a)^2 + (y - L/2)^2), with (a, L/2) the midside
node of the longest edge on carrier 1's free edge y = L/2. The field is quadratic, so hex20 holds it exactly: it
peaks (w = 0) at that node, which is the face's highest point. Mirrored to the full face it is
-c ((|x| - a)^2 + (|y| - L/2)^2), even in x and in y on a sample symmetric in both, so the least-squares plane is a
constant; the lowest point is a vertex, the centre (0, 0) or the mid-edge (L/2, 0), hence the exact
peak-to-valley

    coplanarity = c (max(a^2, (L/2 - a)^2) + L^2/4),

asserted to round-off (1e-12 relative on the face sample; 1e-6 um in the summary, which rounds to 1e-6 um). The
vertices alone miss the peak: their peak-to-valley is lower by exactly c d^2, d the distance from the node to the
nearest vertex (measured: a = 0.708 mm, d = 115 um, 0.027 um of 11.34 um, 0.23 %). Both carrier faces share the
footprint mesh, so both see the same.

Bowl. u_z = c (x^2 + y^2) sampled by hex20 at its vertices and midside nodes: coplanarity c L^2/2 (corner minus
centre), both curvatures 2c, and every sampled w is the field at its point; the sample holds the midside node of
every face edge, mirrored without doubling the points on the symmetry planes.

hex8 and hex8i sample the face vertices only (hex8i's incompatible modes are element-internal): the sample is the
vertex displacement at the face vertices, mirrored.
"""

from __future__ import annotations

import numpy as np
import pytest

from fcpkg_fem.case import names as N
from fcpkg_fem.post import PostContext, run_post
from fcpkg_fem.post.warpage import face_vertices, mirror_full

from support.items import L, prescribed, setup as _setup

C = 0.5  # 1/m: the bowl rises 2 um at the corner of the 4 mm package
FACES = (("bottom", N.CARRIER1_BOTTOM), ("top", N.CARRIER2_TOP))


def _zero(x):
    return np.zeros_like(x)


def _post(symmetry, element, field):
    case, pmesh, problem = _setup(symmetry, element)
    ctx = PostContext.of(pmesh, problem, prescribed(problem, field), case)
    return ctx, run_post(ctx, ["warpage"])


def _free_edge_midside(pmesh, problem):
    """x of the midside node of the longest edge on carrier 1's free edge y = L/2 (away from the corners), and the
    distance from that node to the nearest vertex of the face."""
    m = pmesh.mesh
    facets = m.boundaries[N.CARRIER1_BOTTOM]
    v = face_vertices(m, facets)
    e = np.unique(m.f2e[:, facets])
    loc = problem.basis.doflocs[:, problem.basis.edge_dofs[2, e]]
    k = np.nonzero((np.abs(loc[1] - L / 2) < 1e-12) & (loc[0] > 0.1 * L) & (loc[0] < 0.4 * L))[0]
    length = np.linalg.norm(m.p[:, m.edges[0, e[k]]] - m.p[:, m.edges[1, e[k]]], axis=0)
    a = float(loc[0, k[np.argmax(length)]])
    return a, float(np.hypot(m.p[0, v] - a, m.p[1, v] - L / 2).min())


def test_hex20_midside_node_is_the_extreme():
    case, pmesh, problem = _setup("quarter", "hex20")
    a, gap = _free_edge_midside(pmesh, problem)
    assert gap > 0.02 * L  # the apex lies well between two vertices
    c = 2.0  # 1/m: ~ 10 um over the package
    ctx, out = _post("quarter", "hex20", lambda x, y, z: (_zero(x), _zero(x), -c * ((x - a) ** 2 + (y - L / 2) ** 2)))
    exact = c * (max(a**2, (L / 2 - a) ** 2) + L**2 / 4)  # m
    m = pmesh.mesh
    for face, surf in FACES:
        s = out["_faces"][face]
        assert np.ptp(s.w_detrended) == pytest.approx(exact, rel=1e-12), face
        assert out["warpage"][face]["coplanarity_um"] == pytest.approx(exact * 1e6, abs=1e-6), face
        top = np.nonzero(s.w_detrended >= s.w_detrended.max() - 1e-12 * exact)[0]  # the four images of the node
        np.testing.assert_allclose(np.abs(np.c_[s.x[top], s.y[top]]), [[a, L / 2]] * 4, rtol=0, atol=1e-12)
        v = face_vertices(m, m.boundaries[surf])
        _, _, wv = mirror_full(m.p[0, v], m.p[1, v], ctx.vertex_u[v, 2], "quarter")
        # vertices only (the plane is the same constant): the peak is -c gap^2, at a neighbour of the node
        assert np.ptp(wv) == pytest.approx(exact - c * gap**2, rel=1e-12), face


@pytest.mark.parametrize("c", [C, -C])
def test_hex20_bowl_from_every_face_node(c):
    ctx, out = _post("quarter", "hex20", lambda x, y, z: (_zero(x), _zero(x), c * (x**2 + y**2)))
    m = ctx.pmesh.mesh
    pv = abs(c) * L**2 / 2 * 1e6  # um
    for (face, surf), view_sign in zip(FACES, (+1, -1)):
        f = out["warpage"][face]
        assert f["coplanarity_um"] == pytest.approx(pv, abs=1e-6), face
        assert f["signed_um"] == pytest.approx(np.sign(c) * view_sign * pv, abs=1e-6), face
        assert f["shape"] == ("convex" if c * view_sign > 0 else "concave"), face
        assert f["corner_minus_center_um"] == pytest.approx(c * L**2 / 2 * 1e6, abs=1e-6), face
        assert f["curvature_x_1_per_m"] == pytest.approx(2 * c, rel=1e-9), face
        assert f["curvature_y_1_per_m"] == pytest.approx(2 * c, rel=1e-9), face
        # the sample: every face vertex and the midpoint of every face edge, mirrored, w the field there
        facets = m.boundaries[surf]
        v = face_vertices(m, facets)
        e = np.unique(m.f2e[:, facets])
        x = np.r_[m.p[0, v], 0.5 * (m.p[0, m.edges[0, e]] + m.p[0, m.edges[1, e]])]
        y = np.r_[m.p[1, v], 0.5 * (m.p[1, m.edges[0, e]] + m.p[1, m.edges[1, e]])]
        xf, yf, _ = mirror_full(x, y, x, "quarter")
        s = out["_faces"][face]
        px, py = x > 1e-12, y > 1e-12  # off the symmetry planes x = 0, y = 0
        n = 4 * np.sum(px & py) + 2 * np.sum(px ^ py) + np.sum(~px & ~py)
        assert len(s.x) == len(xf) == n and len(e) > len(v), face  # more midside nodes than vertices
        np.testing.assert_allclose(np.sort(s.x + 3 * s.y), np.sort(xf + 3 * yf), rtol=0, atol=1e-15)
        np.testing.assert_allclose(s.w, c * (s.x**2 + s.y**2), rtol=0, atol=1e-18)  # m: round-off of ~1e-6


@pytest.mark.parametrize("symmetry", ["quarter", "half"])
def test_hex20_mirrored_sample_doubles_no_point(symmetry):
    """The mirrored face sample (vertices and midside nodes) is symmetric about each cut plane, and no point
    (a node on a symmetry plane) appears twice."""
    ctx, out = _post(symmetry, "hex20", lambda x, y, z: (_zero(x), _zero(x), C * x * y))
    for face, _ in FACES:
        s = out["_faces"][face]
        key = np.round(np.c_[s.x, s.y] * 1e9).astype(np.int64)  # nm
        assert len(np.unique(key, axis=0)) == len(key), face
        images = [np.c_[-key[:, 0], key[:, 1]]] + ([np.c_[key[:, 0], -key[:, 1]]] if symmetry == "quarter" else [])
        for img in images:
            assert set(map(tuple, img)) == set(map(tuple, key)), face


@pytest.mark.parametrize("element", ["hex8", "hex8i"])
def test_hex8_samples_the_vertices(element):
    ctx, out = _post("quarter", element, lambda x, y, z: (_zero(x), _zero(x), C * (x**2 + y**2)))
    m = ctx.pmesh.mesh
    for face, surf in FACES:
        v = face_vertices(m, m.boundaries[surf])
        x, y, w = mirror_full(m.p[0, v], m.p[1, v], ctx.vertex_u[v, 2], "quarter")
        s = out["_faces"][face]
        for got, want in ((s.x, x), (s.y, y), (s.w, w)):
            np.testing.assert_array_equal(got, want)
