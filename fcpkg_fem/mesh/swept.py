"""Sweep the footprint through the z-slabs into hexahedra with named regions and surfaces.

Each z-slab (between consecutive prism bottoms/tops) is split into a number of element layers; in each slab a
footprint quad becomes a hexahedron of the highest-priority prism containing the quad's centroid, or nothing.
Interfaces between parts are conformal by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import MeshError
from ..geometry.model import Geometry
from .footprint import Footprint, drop_unused_points

# skfem's hexahedron vertex order from VTK's (see skfem.io.meshio.HEX_MAPPING)
VTK_TO_SKFEM_HEX = np.array([0, 4, 3, 1, 7, 5, 2, 6])


@dataclass
class PackageMesh:
    """A hexahedral mesh of a package with everything downstream stages need.

    Attributes:
        mesh: ``skfem.MeshHex1`` (coordinates in m) with ``subdomains`` (region -> element indices) and
            ``boundaries`` (surface name -> facet indices).
        cells_vtk: (n_elements, 8) connectivity in VTK order (for writers).
        region_names: region name of each region index.
        cell_region: (n_elements,) region index of each element.
        cell_item: (n_elements,) item id within the region (bump id, via id), -1 for single parts.
        items: region -> (n_items, 2) item centres in m (full package coordinates, before the cut).
        region_material: region -> material name.
        geometry: the geometry it was built from.
        z_levels: (n_levels,) z of every node layer, m.
        footprint: the 2D mesh swept.
    """

    mesh: object
    cells_vtk: np.ndarray
    region_names: list[str]
    cell_region: np.ndarray
    cell_item: np.ndarray
    items: dict[str, np.ndarray]
    region_material: dict[str, str]
    geometry: Geometry
    z_levels: np.ndarray
    footprint: Footprint
    stats: dict = field(default_factory=dict)

    @property
    def n_elements(self) -> int:
        return self.cells_vtk.shape[0]

    def region_elements(self, region: str) -> np.ndarray:
        return self.mesh.subdomains[region]


def layer_counts(geom: Geometry, max_layer_thickness: float, min_elements: int) -> np.ndarray:
    """(n_slabs,) element layers of each z-slab: enough that none is thicker than ``max_layer_thickness``, at least
    ``min_elements``, and at least what ``geom.layer_elements`` asks for any region in the slab. Floats, so that
    an absurd case's count can be judged before anything of that size is built (the size estimate uses them)."""
    zp = geom.z_planes
    out = np.zeros(max(len(zp) - 1, 0))
    for s in range(len(zp) - 1):
        za, zb = zp[s], zp[s + 1]
        zm = 0.5 * (za + zb)
        n = max(float(min_elements), float(np.ceil((zb - za) / max_layer_thickness - 1e-9)))
        for p in geom.prisms:
            if p.z0 <= zm <= p.z1 and p.region in geom.layer_elements:
                n = max(n, float(geom.layer_elements[p.region]))
        out[s] = n
    return out


def slab_layers(geom: Geometry, max_layer_thickness: float, min_elements: int) -> tuple[np.ndarray, np.ndarray]:
    """Node z-levels and, per element layer, the index of its slab (layers per slab: :func:`layer_counts`).

    Returns:
        z_levels: (n_levels,) in m; slab_of_layer: (n_levels - 1,) slab index of each element layer.
    """
    zp = geom.z_planes
    levels = [zp[0]]
    slab_of_layer = []
    for s, n in enumerate(layer_counts(geom, max_layer_thickness, min_elements).astype(np.int64)):
        za, zb = zp[s], zp[s + 1]
        levels.extend(za + (zb - za) * np.arange(1, n + 1) / n)
        slab_of_layer.extend([s] * int(n))
    levels[-1] = zp[-1]
    return np.asarray(levels), np.asarray(slab_of_layer, dtype=np.int64)


def sweep(geom: Geometry, fp: Footprint, max_layer_thickness: float, min_elements: int = 1,
          partial: bool = False) -> PackageMesh:
    """Build the hexahedral mesh of ``geom`` from the footprint ``fp``.

    Args:
        geom: the structure.
        fp: its footprint mesh.
        max_layer_thickness: no element layer is thicker than this, m.
        min_elements: at least this many element layers per slab.
        partial: a part of the structure (a local model's window): regions without elements are expected.
    """
    import skfem

    zp = geom.z_planes
    z_levels, slab_of_layer = slab_layers(geom, max_layer_thickness, min_elements)
    names = geom.region_names
    rindex = {n: i for i, n in enumerate(names)}
    nq = len(fp.quads)

    # owner of each (slab, quad): highest priority prism containing the centroid
    n_slab = len(zp) - 1
    owner_region = np.full((n_slab, nq), -1, dtype=np.int64)
    owner_item = np.full((n_slab, nq), -1, dtype=np.int64)
    owner_prio = np.full((n_slab, nq), np.iinfo(np.int64).min, dtype=np.int64)
    slab_mid = 0.5 * (zp[:-1] + zp[1:])
    inside_cache: dict = {}
    for p in geom.prisms:
        slabs = np.nonzero((slab_mid > p.z0) & (slab_mid < p.z1))[0]
        if len(slabs) == 0:
            continue
        inside = inside_cache.get(p.shape)
        if inside is None:
            inside = inside_cache[p.shape] = fp.quads_inside(p.shape)
        if len(inside) == 0:
            continue
        for s in slabs:
            take = inside[p.priority > owner_prio[s, inside]]
            owner_prio[s, take] = p.priority
            owner_region[s, take] = rindex[p.region]
            owner_item[s, take] = p.item

    # hexahedra, layer by layer
    npf = len(fp.points)
    cells, creg, citem = [], [], []
    for k, s in enumerate(slab_of_layer):
        q = np.nonzero(owner_region[s] >= 0)[0]
        bot = fp.quads[q] + k * npf
        cells.append(np.hstack([bot, bot + npf]))
        creg.append(owner_region[s, q])
        citem.append(owner_item[s, q])
    cells = np.concatenate(cells)
    cell_region = np.concatenate(creg)
    cell_item = np.concatenate(citem)
    if len(cells) == 0:
        raise MeshError("the structure has no volume to mesh")

    pts3 = np.empty((len(z_levels) * npf, 3))
    pts3[:, :2] = np.tile(fp.points, (len(z_levels), 1))
    pts3[:, 2] = np.repeat(z_levels, npf)
    pts3, cells = drop_unused_points(pts3, cells)

    subdomains = {n: np.nonzero(cell_region == i)[0].astype(np.int64) for i, n in enumerate(names)}
    missing = [n for n, e in subdomains.items() if len(e) == 0]
    if missing and not partial:
        raise MeshError(
            "these parts got no elements (smaller than the mesh can resolve, or hidden by other parts): "
            + ", ".join(missing)
            + "; reduce mesh.feature_size or check the part sizes"
        )
    m = skfem.MeshHex1(np.ascontiguousarray(pts3.T), np.ascontiguousarray(cells[:, VTK_TO_SKFEM_HEX].T))
    m = m.with_subdomains(subdomains)
    m = m.with_boundaries(_boundaries(m, geom, cell_region, names))

    items = {}
    for p in geom.prisms:
        if p.item >= 0:
            items.setdefault(p.region, {})[p.item] = (p.shape.cx, p.shape.cy)
    items = {r: np.array([d[i] for i in sorted(d)]) for r, d in items.items()}
    return PackageMesh(
        mesh=m,
        cells_vtk=cells,
        region_names=names,
        cell_region=cell_region,
        cell_item=cell_item,
        items=items,
        region_material=geom.region_material,
        geometry=geom,
        z_levels=z_levels,
        footprint=fp,
    )


def _boundaries(m, geom: Geometry, cell_region: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    """Named facet sets: outer faces of the carriers, symmetry planes, requested interfaces."""
    f2t = m.f2t
    mid = m.p[:, m.facets].mean(axis=1)
    bnd = {}
    outer = np.nonzero(f2t[1] < 0)[0]
    bnd["outer"] = outer
    tol = 1e-9 * max(1.0, geom.thickness)
    for name, (z, region) in geom.faces.items():
        ri = names.index(region) if region in names else -1
        sel = outer[np.abs(mid[2, outer] - z) < 1e-12 + 1e-9 * abs(z) + 1e-12]
        if ri >= 0:
            sel = sel[cell_region[f2t[0, sel]] == ri]
        bnd[name] = sel
    # the symmetry planes x = 0 and y = 0 (a local window may not reach them: its sides there are cut faces)
    if geom.symmetry in ("half", "quarter") and abs(geom.domain[0]) < tol:
        bnd["sym_x0"] = outer[np.abs(mid[0, outer]) < tol]
    if geom.symmetry == "quarter" and abs(geom.domain[1]) < tol:
        bnd["sym_y0"] = outer[np.abs(mid[1, outer]) < tol]
    inner = np.nonzero(f2t[1] >= 0)[0]
    ra = cell_region[f2t[0, inner]]
    rb = cell_region[f2t[1, inner]]
    for a, b in geom.interfaces:
        if a not in names or b not in names:
            continue
        ia, ib = names.index(a), names.index(b)
        sel = inner[((ra == ia) & (rb == ib)) | ((ra == ib) & (rb == ia))]
        if len(sel):
            bnd[f"{a}|{b}"] = sel
    return bnd
