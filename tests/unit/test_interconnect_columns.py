"""``mesh.interconnect: column`` (the fast global model, issue 19 item 1) keeps the mesh's contract with the
materials and post-processing: the same regions, the same joints by id and centre, each joint's cross-section
and volume equal to the resolved disk's; the option is validated; the resolved mesh is untouched by it.

Small package: cases/reference.yaml at the regression tests' coarse mesh and thinned arrays
(tests/support/coarse.py), meshing only (a few seconds).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from support.coarse import COARSE_MESH, coarse_pattern

from fcpkg_fem import api
from fcpkg_fem.case import names as rn
from fcpkg_fem.errors import InputError
from fcpkg_fem.geometry.build import build_geometry
from fcpkg_fem.mesh.columns import pair_through_quads
from fcpkg_fem.mesh.footprint import _corner_quality

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "cases" / "reference.yaml"
JOINT_KINDS = ("bumps", "vias", "balls")
# gmsh works in mm and returns coordinates to ~1e-16 mm; areas and volumes are sums of a few hundred cells
AREA_RTOL = 1e-9


def _case(mode: str):
    base = api.load_case(REF)
    return api.load_case(REF, overrides=COARSE_MESH + coarse_pattern(base) + [f"mesh.interconnect={mode}"])


@pytest.fixture(scope="module")
def meshes():
    return {mode: (_case(mode), api.mesh_case(_case(mode))) for mode in ("resolved", "column")}


def _footprint_area(pm, els: np.ndarray) -> np.ndarray:
    """(n,) in-plane area of each hexahedron (a vertical prism over its bottom quad), m^2."""
    cells = pm.cells_vtk[els][:, :4]  # VTK order: the bottom face first, counter-clockwise
    p = pm.mesh.p[:2].T[cells]
    return 0.5 * np.abs(np.sum(p[:, :, 0] * np.roll(p[:, :, 1], -1, axis=1)
                               - np.roll(p[:, :, 0], -1, axis=1) * p[:, :, 1], axis=1))


def _height(pm, els: np.ndarray) -> np.ndarray:
    z = pm.mesh.p[2, pm.cells_vtk[els]]
    return z.max(axis=1) - z.min(axis=1)


def _in_domain(x: float, y: float, dom) -> float:
    """Fraction of a joint centred at (x, y) inside the modelled domain (1/2 on a symmetry plane, 1/4 on both)."""
    f = 1.0
    for c, lo in ((x, dom[0]), (y, dom[1])):
        if abs(c - lo) < 1e-12:
            f *= 0.5
    return f


def _disk_radius(case, region: str) -> float:
    pk = case.package
    if rn.kind(region) == "bumps":
        chip = next(c for _, c in pk.chips if rn.bumps(c.name) == region)
        return 0.5 * chip.bumps.diameter
    if region == rn.VIAS:
        return 0.5 * pk.interconnect.diameter
    return 0.5 * getattr(pk, region).diameter


def test_regions_and_joint_ids_are_the_resolved_ones(meshes):
    """Same region names in the same order, same materials, same joints (ids and centres) per region, and every
    joint of the domain has elements in both: post.joints and the life models address joints by these."""
    (_, res), (_, col) = meshes["resolved"], meshes["column"]
    assert col.region_names == res.region_names
    assert col.region_material == res.region_material
    assert set(col.items) == set(res.items)
    for region, centres in res.items.items():
        np.testing.assert_array_equal(col.items[region], centres)
        ri = res.region_names.index(region)
        ids_res = set(res.cell_item[res.cell_region == ri].tolist())
        ids_col = set(col.cell_item[col.cell_region == ri].tolist())
        assert ids_col == ids_res, region
    assert set(col.mesh.boundaries) == set(res.mesh.boundaries)


def test_column_cross_section_equals_the_joint_area(meshes):
    """In every element layer of a joint, its cells cover exactly the disk's area pi r^2 (the part inside the
    domain for a joint cut by a symmetry plane), to AREA_RTOL: the column is a square of side sqrt(pi) r."""
    case, col = meshes["column"]
    dom = col.geometry.domain
    checked = 0
    for region in col.items:
        if rn.kind(region) not in JOINT_KINDS:
            continue
        r = _disk_radius(case, region)
        ri = col.region_names.index(region)
        sel = np.nonzero(col.cell_region == ri)[0]
        zlo = col.mesh.p[2, col.cells_vtk[sel]].min(axis=1)
        for k, (x, y) in enumerate(col.items[region]):
            els = sel[col.cell_item[sel] == k]
            if not len(els):
                continue  # outside the quarter
            for z in np.unique(np.round(zlo[col.cell_item[sel] == k], 12)):
                layer = els[np.abs(zlo[col.cell_item[sel] == k] - z) < 1e-12]
                area = _footprint_area(col, layer).sum()
                assert area == pytest.approx(math.pi * r * r * _in_domain(x, y, dom), rel=AREA_RTOL), (region, k)
                checked += 1
    assert checked > 20


def test_joint_region_volumes_equal_the_resolved_cylinders(meshes):
    """Volume of each joint region = sum over its joints in the domain of pi r^2 h (fraction inside the domain),
    to AREA_RTOL. The resolved mesh holds the same volume (its polygons have the disk's area), so both models
    carry the same solder, copper and ball volume."""
    for mode in ("column", "resolved"):
        case, pm = meshes[mode]
        dom = pm.geometry.domain
        for region in pm.items:
            if rn.kind(region) not in JOINT_KINDS:
                continue
            els = pm.region_elements(region)
            vol = float(np.sum(_footprint_area(pm, els) * _height(pm, els)))
            r = _disk_radius(case, region)
            h = {p.item: p.z1 - p.z0 for p in pm.geometry.prisms if p.region == region}
            present = set(pm.cell_item[els].tolist())
            expected = sum(math.pi * r * r * h[k] * _in_domain(x, y, dom)
                           for k, (x, y) in enumerate(pm.items[region]) if k in present)
            # the resolved polygons are equal-area only to the accuracy of their gmsh vertices on the circle
            rel = AREA_RTOL if mode == "column" else 1e-6
            assert vol == pytest.approx(expected, rel=rel), (mode, region)


def test_column_footprint_is_much_smaller_and_valid(meshes):
    """The column footprint has fewer points than the resolved one (measured on this coarse package: see the
    assertion's message) and every cell is a convex quad (corner sines > 0)."""
    _, res = meshes["resolved"]
    _, col = meshes["column"]
    fc, fr = col.footprint, res.footprint
    q = _corner_quality(fc.points[fc.quads]).min(axis=1)
    assert q.min() > 0.0
    assert len(fc.points) < 0.7 * len(fr.points), (len(fc.points), len(fr.points))


def test_columns_are_squares_of_the_disk_area():
    case = _case("column")
    g = build_geometry(case)
    r = 0.5 * case.package.carriers.bottom.chips[0].bumps.diameter
    bumps = [p for p in g.prisms if p.region == "bumps.die1"]
    assert bumps and all(p.shape.kind == "rect" for p in bumps)
    assert all(p.shape.a == pytest.approx(math.sqrt(math.pi) * r, rel=1e-15) == p.shape.b for p in bumps)
    assert g.interconnect == "column"
    assert build_geometry(_case("resolved")).interconnect == "resolved"


def test_bad_interconnect_value_is_refused_naming_the_field():
    with pytest.raises(InputError) as err:
        api.load_case(REF, overrides=["mesh.interconnect=columns"])
    msg = str(err.value)
    assert "mesh.interconnect" in msg and "'resolved'" in msg and "'column'" in msg


def test_default_is_resolved():
    assert api.load_case(REF).mesh.interconnect == "resolved"


def test_pairing_two_triangles_through_a_strip_gives_valid_quads():
    """A strip of three unit squares with a triangle at each end (a hexagon): after pairing (here each triangle
    leaves through the domain boundary next to it, the nearest way) every cell is a convex quad and the area is
    unchanged (4)."""
    pts = np.array([[0, 0], [1, 0], [2, 0], [3, 0], [0, 1], [1, 1], [2, 1], [3, 1], [-1, 0.5], [4, 0.5]], float)
    quads = np.array([[0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6]])
    tris = np.array([[8, 0, 4], [3, 9, 7]])
    out = pair_through_quads(pts, quads, tris, np.zeros(3, np.int64), np.zeros(2, np.int64))
    assert out is not None
    p, q, _ = out
    assert q.shape[1] == 4 and len(p) > len(pts)
    signed = 0.5 * np.sum(p[q][:, :, 0] * np.roll(p[q][:, :, 1], -1, axis=1)
                          - np.roll(p[q][:, :, 0], -1, axis=1) * p[q][:, :, 1], axis=1)
    assert np.abs(signed).sum() == pytest.approx(4.0, rel=1e-12)
    oriented = np.where((signed < 0)[:, None], q[:, ::-1], q)
    assert _corner_quality(p[oriented]).min() > 0.0
