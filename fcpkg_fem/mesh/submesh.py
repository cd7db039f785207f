"""Local models cut from a package mesh: the elements inside a box around one joint, optionally subdivided.

A submodel (global-local, docs/submodel.md) takes the elements of the global :class:`PackageMesh` whose centroid
lies inside a box around a chosen joint (a bump, ball or via by region and item id, the ids of
:mod:`fcpkg_fem.post.joints` and ``bumps.csv``), with their region indices, item ids and materials unchanged:
region names are the contract, so the local mesh keeps the global list of region names (a region without
elements in the box simply has none).

The faces of the extracted block are of two kinds. A face that is a boundary face of the global model too (its
top and bottom faces, its free edges, a symmetry plane) keeps what the global model does there: free, or the
symmetry condition u_n = 0 (``sym_x0``, ``sym_y0`` of the local mesh). A face that is interior to the global model
is a **cut face**: its nodes are driven by the global displacement (:mod:`fcpkg_fem.solve.submodel`).

Refinement subdivides every extracted hexahedron into ``n_xy`` x ``n_xy`` x ``n_z`` children along its own
reference axes (the third is z in a swept mesh), with ``n_z`` chosen per global element layer, so the local mesh
stays conforming: neighbours in one layer share the layer's ``n_z`` and every element shares ``n_xy``. Children
inherit their parent's region, item and material. Every local node remembers a global element that contains it
and its reference coordinates there, so the global field can be interpolated with that element's own trilinear
(hex8 nodal) shape functions; in an unrefined extraction every node is a global vertex and the interpolation is
a copy.

Units: coordinates in m. Reference coordinates in [0, 1]^3 with vertex i of an element at ``REF[i]`` (the vertex
order of skfem's ``MeshHex1``; the parametrisation is ours, the trilinear space is the element's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import skfem
from scipy.spatial import cKDTree

from ..case.schema_submodel import SHAPES
from ..errors import InputError
from .swept import VTK_TO_SKFEM_HEX, PackageMesh

#: (8, 3) reference coordinates of the vertices of a MeshHex1 element, in its ``t`` order; axis 2 is z in a swept
#: mesh (vertex 1 lies above vertex 0)
REF = np.array([[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0], [1, 1, 1]], float)

MERGE_TOL = 1e-12
"""m: two generated nodes closer than this are one node (element sizes are microns; round-off is ~1e-19 m)."""


def shape_functions(xi: np.ndarray) -> np.ndarray:
    """Trilinear (hex8 nodal) shape functions at reference points ``xi`` (n, 3) in [0, 1]^3: (n, 8), vertex order
    :data:`REF`; they sum to 1 and N_i(REF[j]) = delta_ij."""
    xi = np.atleast_2d(np.asarray(xi, float))
    f = np.where(REF[None, :, :] == 1.0, xi[:, None, :], 1.0 - xi[:, None, :])
    return f.prod(axis=2)


@dataclass
class Box:
    """An axis-aligned box in m: ``lo`` (3,), ``hi`` (3,); the joint it was made for (region, item id, centre (2,)
    in m, pitch in m)."""

    lo: np.ndarray
    hi: np.ndarray
    region: str = ""
    item: int = -1
    centre: np.ndarray | None = None
    pitch: float = 0.0


@dataclass(frozen=True)
class JointShape:
    """The joint's real shape in the local model: the global model's prism of the joint's diameter (``disk``),
    a ``truncated_sphere`` (the sphere through both pad circles: fixed by the pads and the standoff) or a
    ``barrel`` (radius parabolic in z through both pad circles, its largest the joint's own radius).
    ``pad_diameters`` (m): (lower pad, upper pad), by z. The pads themselves are not modelled: each meets the
    carrier or die face it sits on."""

    kind: str = "disk"
    pad_diameters: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        if self.kind not in SHAPES:
            raise InputError.single("submodel.joints.shape.kind", f"{self.kind!r} is not a joint shape; allowed: "
                                    + ", ".join(SHAPES))
        if self.kind != "disk" and not all(np.isfinite(d) and d > 0 for d in self.pad_diameters):
            raise InputError.single("submodel.joints.shape.pad_diameter",
                                    f"must be lengths > 0, got {self.pad_diameters!r}")

    def radius(self, z: np.ndarray, zb: float, zt: float, R: float) -> np.ndarray:
        """Joint radius (m) at heights ``z`` (m) in [zb, zt] (the pads' planes) of a joint whose global model is a
        disk of radius ``R`` (m).

        Raises:
            InputError: a barrel whose pad is wider than the joint (``submodel.joints.shape.pad_diameter``).
        """
        z = np.asarray(z, float)
        a, b = 0.5 * self.pad_diameters[0], 0.5 * self.pad_diameters[1]
        h = zt - zb
        if self.kind == "disk":
            return np.full_like(z, R)
        if self.kind == "truncated_sphere":
            # the sphere's centre height from r(zb) = a, r(zt) = b: a^2 - b^2 = h (zt + zb - 2 zc)
            zc = 0.5 * (zt + zb) - (a * a - b * b) / (2.0 * h)
            Rs2 = a * a + (zb - zc) ** 2
            return np.sqrt(np.maximum(Rs2 - (z - zc) ** 2, 0.0))
        if max(a, b) > R * (1 + 1e-9):  # a pad as wide as the joint, to round-off of the polygon's area, is it
            raise InputError.single("submodel.joints.shape.pad_diameter",
                                    f"a barrel's pads ({2e6 * a:.4g} and {2e6 * b:.4g} um) can be at most the "
                                    f"joint's diameter ({2e6 * R:.4g} um), its widest section")
        # r = R - k (z - zm)^2 through both pads: sqrt(R - a) : sqrt(R - b) splits the height at the bulge
        a, b = min(a, R), min(b, R)
        p, q = np.sqrt(R - a), np.sqrt(R - b)
        if p + q == 0.0:
            return np.full_like(z, R)
        zm = zb + h * p / (p + q)
        return R - ((p + q) / h) ** 2 * (z - zm) ** 2


@dataclass
class Refinement:
    """Subdivision of every extracted element: ``n_xy`` children along each in-plane reference axis, ``n_z`` along
    z, and at least ``joint_elements`` element layers through the joint's height. ``pad_layer`` (m): 0 subdivides
    the joint's slab layers uniformly (by ceil(joint_elements / their number)); > 0 with ``joint_elements`` > 1
    (a refined joint; 1 keeps the global layers) puts a node plane at that
    distance from each pad (at most half the joint's height), so the pad-interface layer that
    :func:`fcpkg_fem.post.joints.pad_layers` averages over keeps its own thickness (Darveaux's 25.4 um) while the
    mesh refines, and every interval between planes gets ceil(its height / (joint height / joint_elements))
    elements. ``shape``: the joint's :class:`JointShape` (None: the global model's disk).
    ``Refinement()`` is the unrefined extraction."""

    n_xy: int = 1
    n_z: int = 1
    joint_elements: int = 1
    pad_layer: float = 0.0
    shape: JointShape | None = None

    def __post_init__(self) -> None:
        for name in ("n_xy", "n_z", "joint_elements"):
            v = getattr(self, name)
            if int(v) != v or v < 1:
                raise InputError.single(f"submodel.refine.{name}", f"must be a whole number >= 1, got {v!r}")
        if not (np.isfinite(self.pad_layer) and self.pad_layer >= 0.0):
            raise InputError.single("submodel.refine.pad_layer", f"must be a length >= 0, got {self.pad_layer!r}")


@dataclass
class Submesh:
    """A local mesh cut from a global one.

    Attributes:
        pmesh: the local :class:`PackageMesh` (global region names, items and materials; ``footprint`` None).
        box: the :class:`Box` it was cut with.
        global_elements: (n_sel,) the global elements extracted, ascending.
        parent: (n_el,) index into ``global_elements`` of each local element's parent.
        node_parent: (n_nodes,) index into ``global_elements`` of an element containing each local node.
        node_xi: (n_nodes, 3) the node's reference coordinates in that element.
        global_vertex: (n_nodes,) the global vertex at each local node, -1 where there is none (refined).
        cut_nodes: local nodes on a cut face (driven by the global model), ascending.
        box_vertices: (n_v,) the global vertices of the extracted elements, ascending (what the global run records).
        joint_layers: element layers through the joint's height in the local mesh.
        global_t: (8, n_global_el) the global mesh's connectivity (for :meth:`interpolation`).
    """

    pmesh: PackageMesh
    box: Box
    global_elements: np.ndarray
    parent: np.ndarray
    node_parent: np.ndarray
    node_xi: np.ndarray
    global_vertex: np.ndarray
    cut_nodes: np.ndarray
    box_vertices: np.ndarray
    joint_layers: int
    global_t: np.ndarray

    def interpolation(self) -> tuple[np.ndarray, np.ndarray]:
        """(cols (n_nodes, 8), weights (n_nodes, 8)): local node k lies at sum_j weights[k, j] * x[box_vertices
        [cols[k, j]]]: the parent element's trilinear shape functions at the node, columns into ``box_vertices``."""
        cols = np.searchsorted(self.box_vertices, self.global_t[:, self.global_elements[self.node_parent]].T)
        return cols, shape_functions(self.node_xi)


TAKEN_CLEARANCE = 1.0
"""A joint that a box takes whole (see :func:`joint_box`) gets this many of its own in-plane sizes (its extent's
larger side) between it and the cut. Flush with the cut, its solder met the global model's coarse displacement
directly (measured on die 1's bump id 5 of the submodel study's coarse package, docs/submodel.md, "The box": 151
Newton iterations and 18 halvings against 78 and none one size away)."""


def joint_box(pmesh: PackageMesh, region: str, item: int, box_pitches: float = 1.0,
              z_range: tuple[float, float] | None = None) -> Box:
    """The cut box around joint ``item`` of ``region``.

    In plane the cut lies ``(box_pitches - 1/2) * pitch`` from the joint's centre (pitch: the distance to the
    nearest other joint of the region): ``box_pitches = 1`` is the joint's own cell, halfway to its neighbours;
    2 adds the ring of neighbours. A side that would cut through another joint within the box's height (of any
    joint region: the other die's bumps of a stack lie at their own positions) moves out to take that joint
    whole, with :data:`TAKEN_CLEARANCE` of its own size around it, since a cut through a joint (or flush with
    it) forces the global model's coarse displacement onto its solder elements (strains of tens of percent there,
    and Newton iterations that stall on them). The box is clipped to the model's footprint (a symmetry plane or
    free edge then bounds it). ``z_range`` (m): its z extent, default the whole height.

    Raises:
        InputError: the region has no such joint, the joint has no elements in this (symmetric) model, or
            ``box_pitches`` < 1/2.
    """
    items = pmesh.items.get(region)
    if items is None or region not in pmesh.region_names:
        raise InputError.single("submodel.joint", f"no joint region {region!r}; joint regions: {sorted(pmesh.items)}")
    if not 0 <= int(item) < len(items):
        raise InputError.single("submodel.joint", f"{region} has ids 0-{len(items) - 1}, not {item!r}")
    ri = pmesh.region_names.index(region)
    if not np.any((pmesh.cell_region == ri) & (pmesh.cell_item == int(item))):
        raise InputError.single("submodel.joint", f"{region} id {item} is not in the {pmesh.geometry.symmetry} model "
                                 "(it lies in a part cut away by symmetry)")
    if box_pitches < 0.5:
        raise InputError.single("submodel.box_pitches", f"at least 0.5, got {box_pitches!r}")
    c = np.asarray(items[int(item)], float)
    d = np.linalg.norm(items - c, axis=1)
    d = d[d > 0]
    pitch = float(d.min()) if len(d) else float(np.ptp(pmesh.mesh.p[:2], axis=1).max())
    half = (box_pitches - 0.5) * pitch
    p = pmesh.mesh.p
    lo, hi = np.r_[c - half, p[2].min()], np.r_[c + half, p[2].max()]
    if z_range is not None:
        lo[2], hi[2] = max(lo[2], z_range[0]), min(hi[2], z_range[1])
    lo[:2], hi[:2] = _around_joints(pmesh, lo, hi)
    lo[:2], hi[:2] = np.maximum(lo[:2], p[:2].min(axis=1)), np.minimum(hi[:2], p[:2].max(axis=1))
    return Box(lo, hi, region, int(item), c, pitch)


def _item_extents(pmesh: PackageMesh) -> np.ndarray:
    """(n, 2, 3) the bounding boxes (lo, hi) in m of every joint of every joint region, stacked."""
    out = []
    for region in sorted(pmesh.items):
        if region not in pmesh.region_names:
            continue
        ri = pmesh.region_names.index(region)
        els = np.nonzero((pmesh.cell_region == ri) & (pmesh.cell_item >= 0))[0]
        if not els.size:
            continue
        k = pmesh.cell_item[els]
        x = pmesh.mesh.p[:, pmesh.mesh.t[:, els]]  # (3, 8, n_el)
        n = int(k.max()) + 1
        lo, hi = np.full((n, 3), np.inf), np.full((n, 3), -np.inf)
        np.minimum.at(lo, k, x.min(axis=1).T)
        np.maximum.at(hi, k, x.max(axis=1).T)
        keep = np.isfinite(lo[:, 0])
        out.append(np.stack([lo[keep], hi[keep]], axis=1))
    return np.concatenate(out) if out else np.zeros((0, 2, 3))


def _around_joints(pmesh: PackageMesh, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The in-plane (lo, hi) (2,) of the box ``lo``, ``hi`` (3,) widened until no side cuts through a joint that
    meets its height (each widening takes a joint whole with :data:`TAKEN_CLEARANCE` around it; a few rounds
    settle it, since it only grows)."""
    ext = _item_extents(pmesh)
    tol = 1e-9 * float(np.ptp(pmesh.mesh.p[:2], axis=1).max())
    ext = ext[(ext[:, 0, 2] < hi[2] - tol) & (ext[:, 1, 2] > lo[2] + tol)]
    gap = TAKEN_CLEARANCE * (ext[:, 1, :2] - ext[:, 0, :2]).max(axis=1, keepdims=True)  # (n, 1) m
    blo, bhi = lo[:2].copy(), hi[:2].copy()
    for _ in range(len(ext) + 1):
        meets = np.all((ext[:, 0, :2] < bhi - tol) & (ext[:, 1, :2] > blo + tol), axis=1)
        inside = np.all((ext[:, 0, :2] >= blo - tol) & (ext[:, 1, :2] <= bhi + tol), axis=1)
        cut = meets & ~inside
        if not cut.any():
            break
        blo = np.minimum(blo, (ext[cut, 0, :2] - gap[cut]).min(axis=0))
        bhi = np.maximum(bhi, (ext[cut, 1, :2] + gap[cut]).max(axis=0))
    return blo, bhi


def _layer_of(pmesh: PackageMesh, els: np.ndarray) -> np.ndarray:
    """(n,) global element layer (index of its bottom node level in ``pmesh.z_levels``) of elements ``els``."""
    zb = pmesh.mesh.p[2, pmesh.mesh.t[0, els]]
    return np.argmin(np.abs(pmesh.z_levels[None, :] - zb[:, None]), axis=1)


def centroids(pmesh: PackageMesh) -> np.ndarray:
    """(3, n_el) element centroids (mean of the 8 vertices), m."""
    m = pmesh.mesh
    return m.p[:, m.t].mean(axis=1)


def cut_vertices(pmesh: PackageMesh, sel: np.ndarray) -> np.ndarray:
    """(n,) ascending: the vertices of the elements ``sel`` that also belong to an element outside them. A local
    model cut out of ``sel`` (:func:`extract`) is driven on its cut faces, whose nodes the trilinear shape
    functions of their parent element interpolate from that face's vertices alone: these."""
    t = pmesh.mesh.t
    inside = np.zeros(t.shape[1], dtype=bool)
    inside[sel] = True
    outside = np.zeros(pmesh.mesh.nvertices, dtype=bool)
    outside[t[:, ~inside].ravel()] = True
    v = np.unique(t[:, sel])
    return v[outside[v]]


def box_elements(pmesh: PackageMesh, box: Box, cen: np.ndarray | None = None) -> np.ndarray:
    """(n_sel,) ascending global elements whose centroid lies strictly inside ``box``; ``cen``: the
    :func:`centroids` if at hand (a case with many boxes computes them once).

    Raises:
        InputError: the box holds no element, or not every element of its joint (the box would cut the joint).
    """
    cen = centroids(pmesh) if cen is None else cen
    sel = np.nonzero(np.all((cen > box.lo[:, None]) & (cen < box.hi[:, None]), axis=0))[0]
    if len(sel) == 0:
        raise InputError.single("submodel.box_pitches", "no element has its centroid inside the box")
    if box.region in pmesh.region_names:
        ri = pmesh.region_names.index(box.region)
        whole = np.nonzero((pmesh.cell_region == ri) & (pmesh.cell_item == box.item))[0]
        if not np.all(np.isin(whole, sel)):
            raise InputError.single("submodel.box_pitches", f"the box around {box.region} id {box.item} does not "
                                     f"hold the whole joint ({int(np.isin(whole, sel).sum())} of its {len(whole)} "
                                     "elements): give a larger box_pitches (a cut must not run through the joint)")
    return sel


def _z_grids(pmesh: PackageMesh, box: Box, sel: np.ndarray, refine: Refinement) -> tuple[list[np.ndarray], int]:
    """(per selected element: the reference z (0 ... 1, ascending) of its children's node planes, element layers
    through the joint): ``n_z`` uniform layers per global element layer; the joint's layers as :class:`Refinement`
    says. Every element of one global layer gets the same grid, so the local mesh stays conforming."""
    ri = pmesh.region_names.index(box.region) if box.region in pmesh.region_names else -1
    joint = sel[(pmesh.cell_region[sel] == ri) & (pmesh.cell_item[sel] == box.item)]
    layer = _layer_of(pmesh, sel)
    grids = {int(L): np.arange(int(refine.n_z) + 1) / int(refine.n_z) for L in np.unique(layer)}
    n_joint = 1
    if len(joint):
        jl = np.unique(_layer_of(pmesh, joint))
        lev = pmesh.z_levels
        if refine.pad_layer > 0.0 and refine.joint_elements > 1:
            planes = _joint_planes(lev[jl[0]:jl[-1] + 2], int(refine.joint_elements), float(refine.pad_layer))
            for L in jl:
                z0, z1 = lev[L], lev[L + 1]
                tol = 1e-9 * (z1 - z0)
                g = (planes[(planes > z0 + tol) & (planes < z1 - tol)] - z0) / (z1 - z0)
                grids[int(L)] = np.concatenate([[0.0], g, [1.0]])
            n_joint = len(planes) - 1
        else:
            n = max(int(refine.n_z), int(np.ceil(refine.joint_elements / len(jl))))
            for L in jl:
                grids[int(L)] = np.arange(n + 1) / n
            n_joint = n * len(jl)
    return [grids[int(L)] for L in layer], n_joint


def _joint_planes(levels: np.ndarray, n: int, pad: float) -> np.ndarray:
    """Node planes (z in m, ascending) through a joint whose global layers have the node levels ``levels``: those
    levels, a plane ``min(pad, height / 2)`` from each pad, and each interval between them divided into
    ceil(interval / (height / n)) equal layers."""
    zb, zt = float(levels[0]), float(levels[-1])
    H = zt - zb
    t = min(pad, 0.5 * H)
    key = np.unique(np.concatenate([levels, [zb + t, zt - t]]))
    key = key[np.concatenate([[True], np.diff(key) > 1e-6 * H])]  # a pad plane on a level: one plane
    key[-1] = zt
    h = H / n
    out = [np.array([zb])]
    for a, b in zip(key[:-1], key[1:]):
        k = max(1, int(np.ceil((b - a) / h - 1e-9)))
        out.append(a + (b - a) * np.arange(1, k + 1) / k)
    planes = np.concatenate(out)
    planes[-1] = zt
    return planes


def refined_size(pmesh: PackageMesh, box: Box, refine: Refinement, sel: np.ndarray | None = None) \
        -> tuple[int, int, int]:
    """(elements, nodes, box vertices) of the local mesh :func:`extract` would make, without making it: elements
    exact (n_xy^2 n_z children per parent); nodes estimated as the box's global vertices times the element ratio
    (a structured subdivision keeps the nodes-per-element ratio of the block to within its surface share).
    ``sel``: the :func:`box_elements` if at hand."""
    sel = box_elements(pmesh, box) if sel is None else sel
    grids, _ = _z_grids(pmesh, box, sel, refine)
    n_el = int(refine.n_xy ** 2 * sum(len(g) - 1 for g in grids))
    n_v = len(np.unique(pmesh.mesh.t[:, sel]))
    return n_el, int(np.ceil(n_v * n_el / len(sel))), n_v


def extract(pmesh: PackageMesh, box: Box, refine: Refinement | None = None) -> Submesh:
    """The elements of ``pmesh`` whose centroid lies inside ``box``, subdivided by ``refine``.

    Raises:
        InputError: the box holds no element, or not the whole joint (:func:`box_elements`).
    """
    refine = refine or Refinement()
    m = pmesh.mesh
    sel = box_elements(pmesh, box)
    inside = np.zeros(m.t.shape[1], dtype=bool)
    inside[sel] = True
    z = m.p[2, m.t[:, sel]]
    if not np.all(z[REF[:, 2] == 1].min(axis=0) > z[REF[:, 2] == 0].max(axis=0)):
        raise InputError.single("submodel", "the global mesh is not swept (reference axis 2 is not z in every element)")
    zg, n_joint = _z_grids(pmesh, box, sel, refine)
    cut_facets = _cut_facets(m, inside)
    sub = _subdivide(pmesh, box, sel, int(refine.n_xy), zg, cut_facets, n_joint)
    if refine.shape is not None and refine.shape.kind != "disk":
        shape_joint(sub, refine.shape)
    return sub


FADE_RADII = 10.0
"""The joint's shaping fades out at this many joint radii from its axis (or nearer, before a fixed node)."""


def shape_joint(sub: Submesh, shape: JointShape) -> None:
    """Give the box's joint ``shape`` in place by moving the local nodes in plane (z unchanged): in the joint's
    slab (its pads' planes included) every node within the joint's outermost node radius R_v of its axis moves
    radially by r(z) / R (R: the radius of the disk of the joint's cross-section area, which the global polygon
    has), so each cross-section is the global polygon scaled to the area pi r(z)^2; outside, the move fades
    linearly to zero at R_f = :data:`FADE_RADII` R_v (limited to 90 % of the way to the nearest cut-face node,
    box side or node of another joint in the slab). The regions' domains outside the slab do not change; the cut
    nodes do not move, so the boundary interpolation stays exact. ``sub.node_xi`` keeps the unshaped reference
    coordinates.

    Raises:
        InputError: the shape does not fit in the box (``submodel.joints.shape``), or it would fold an element.
    """
    pm = sub.pmesh
    m = pm.mesh
    box = sub.box
    ri = pm.region_names.index(box.region)
    jel = np.nonzero((pm.cell_region == ri) & (pm.cell_item == box.item))[0]
    jn = np.unique(m.t[:, jel])
    zb, zt = float(m.p[2, jn].min()), float(m.p[2, jn].max())
    c = np.asarray(box.centre, float)
    x = m.p.copy()
    d = x[:2] - c[:, None]
    r = np.hypot(d[0], d[1])
    tol = 1e-9 * (zt - zb)
    slab = (x[2] > zb - tol) & (x[2] < zt + tol)
    Rv = float(r[jn].max())
    vol = float(hex_volumes(m.p, m.t[:, jel]).sum())
    R = np.sqrt(vol / (np.pi * (zt - zb)))
    # nodes that must not move: the cut faces and every other element's joint (a box of two pitches)
    other = (pm.cell_item >= 0) & ~((pm.cell_region == ri) & (pm.cell_item == box.item))
    fixed = np.zeros(m.nvertices, dtype=bool)
    fixed[sub.cut_nodes] = True
    fixed[np.unique(m.t[:, other])] = True
    span = 1e-9 * float(np.ptp(x[:2], axis=1).max())
    for ax in (0, 1):  # the box's sides: cut faces, free edges or symmetry planes, none of which may move
        fixed |= (np.abs(x[ax] - x[ax].min()) < span) | (np.abs(x[ax] - x[ax].max()) < span)
    fixed &= slab
    fixed[jn] = False
    # a wide fade: elements graded from the joint's size to far larger ones must see a nearly uniform move
    Rf = min(FADE_RADII * Rv, 0.9 * float(r[fixed].min())) if fixed.any() else FADE_RADII * Rv
    s = shape.radius(x[2, slab], zb, zt, R) / R
    if Rf <= max(1.0, float(s.max())) * Rv * 1.05:
        raise InputError.single("submodel.joints.shape", f"a {shape.kind} of largest diameter "
                                f"{2e6 * float(s.max()) * R:.4g} um does not fit its box around {box.region} id "
                                f"{box.item}: the nearest cut face or other joint is {1e6 * Rf / 0.9:.4g} um from "
                                "its axis; give a larger box_pitches or smaller pads")
    move = np.nonzero(slab)[0]
    near = r[move] < Rf  # only these move: c + (x - c) would not give x back bit for bit
    move, s = move[near], s[near]
    rs = r[move]
    fade = (Rf - rs) / (Rf - Rv)
    new_r = np.where(rs <= Rv, s * rs, rs + (s - 1.0) * Rv * fade)
    f = np.where(rs > 0, new_r / np.where(rs > 0, rs, 1.0), 1.0)
    x[:2, move] = c[:, None] + d[:, move] * f
    det = _corner_jacobians(x, m.t)
    if not np.all(det > 0):
        folded = int((det <= 0).any(axis=0).sum())
        raise InputError.single("submodel.joints.shape", f"the {shape.kind} would fold {folded} local elements; give "
                                "a finer mesh around the joint (refine.n_xy, or a local_mesh.size nearer its "
                                "feature_size) or pads nearer the joint's diameter")
    m.p[:] = x


def hex_volumes(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(n_el,) volumes (m^3) of trilinear hexahedra, vertices ``p`` (3, n), connectivity ``t`` (8, n_el) in
    :data:`REF` order: 2x2x2 Gauss quadrature (exact for the trilinear map's Jacobian determinant)."""
    g = 0.5 + np.array([-1.0, 1.0]) / (2.0 * np.sqrt(3.0))
    pts = np.array(np.meshgrid(g, g, g, indexing="ij")).reshape(3, -1).T
    return sum(np.abs(_jacobians(p, t, xi)) for xi in pts) / 8.0


def _jacobians(p: np.ndarray, t: np.ndarray, xi: np.ndarray) -> np.ndarray:
    """(n_el,) Jacobian determinants of the trilinear hexahedra at one reference point ``xi`` (3,)."""
    X = p[:, t]  # (3, 8, n_el)
    sgn = 2.0 * REF - 1.0  # dN_i/dxi_a = sgn[i, a] * prod over the other axes
    f = np.where(REF == 1.0, xi[None, :], 1.0 - xi[None, :])  # (8, 3)
    dN = np.empty((8, 3))
    for a in range(3):
        o = [b for b in range(3) if b != a]
        dN[:, a] = sgn[:, a] * f[:, o[0]] * f[:, o[1]]
    J = np.einsum("cin,ia->nca", X, dN)
    return np.linalg.det(J)


def _corner_jacobians(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(8, n_el) Jacobian determinants of the trilinear hexahedra at their 8 vertices."""
    return np.stack([_jacobians(p, t, xi) for xi in REF])


def _cut_facets(m, inside: np.ndarray) -> set:
    """Cut faces as sorted global vertex 4-tuples: facets with exactly one side inside the selection and the
    other side an element (interior to the global model)."""
    f2t = m.f2t
    a = inside[f2t[0]]
    b = np.where(f2t[1] >= 0, inside[np.maximum(f2t[1], 0)], False)
    cut = np.nonzero((f2t[1] >= 0) & (a != b))[0]
    return {tuple(sorted(f)) for f in m.facets[:, cut].T.tolist()}


def _subdivide(pmesh, box, sel, n_xy, zg, cut_facets, n_joint) -> Submesh:
    """Children of every selected element on its reference grid (n_xy uniform intervals in plane, the planes
    ``zg[k]`` through z); nodes merged across elements; cut nodes from the parents' cut faces."""
    m = pmesh.mesh
    pts, xis, npar, cells, cpar, cut_flags = [], [], [], [], [], []
    count = 0
    for k, e in enumerate(sel):
        g = [np.arange(n_xy + 1) / n_xy, np.arange(n_xy + 1) / n_xy, zg[k]]
        nzk = len(zg[k]) - 1
        I, J, K = np.meshgrid(*[np.arange(len(a)) for a in g], indexing="ij")
        xi = np.stack([g[0][I.ravel()], g[1][J.ravel()], g[2][K.ravel()]], axis=1)
        X = m.p[:, m.t[:, e]]  # (3, 8)
        x = shape_functions(xi) @ X.T
        corner = np.all((xi == 0) | (xi == 1), axis=1)  # exact vertex coordinates at the parent's corners
        x[corner] = X.T[np.argmax(np.all(xi[corner][:, None] == REF[None], axis=2), axis=1)]
        # which local nodes lie on a cut face of this parent: face (axis, side) holds the vertices REF[:, axis]==side
        on_cut = np.zeros(len(xi), dtype=bool)
        for ax in range(3):
            for side in (0.0, 1.0):
                verts = m.t[REF[:, ax] == side, e]
                if tuple(sorted(verts.tolist())) in cut_facets:
                    on_cut |= xi[:, ax] == side
        shape = (n_xy + 1, n_xy + 1, nzk + 1)
        ids = count + np.arange(len(xi)).reshape(shape)
        i0, j0, k0 = np.meshgrid(np.arange(n_xy), np.arange(n_xy), np.arange(nzk), indexing="ij")
        ch = np.stack([ids[i0.ravel() + int(r[0]), j0.ravel() + int(r[1]), k0.ravel() + int(r[2])] for r in REF],
                      axis=1)
        pts.append(x), xis.append(xi), npar.append(np.full(len(xi), k)), cells.append(ch)
        cpar.append(np.full(len(ch), k)), cut_flags.append(on_cut)
        count += len(xi)
    pts, xis, npar = np.concatenate(pts), np.concatenate(xis), np.concatenate(npar)
    cells, cpar, cut_flags = np.concatenate(cells), np.concatenate(cpar), np.concatenate(cut_flags)
    # merge coincident nodes: representative = the smallest index of each cluster
    rep = np.arange(len(pts))
    for i, j in sorted(cKDTree(pts).query_pairs(MERGE_TOL)):
        ri, rj = _root(rep, i), _root(rep, j)
        rep[max(ri, rj)] = min(ri, rj)
    rep = np.array([_root(rep, i) for i in range(len(pts))])
    keep, new = np.unique(rep, return_inverse=True)
    cut = np.zeros(len(keep), dtype=bool)
    np.logical_or.at(cut, new, cut_flags)
    cells = new[cells]
    gv = np.full(len(keep), -1, dtype=np.int64)
    corner = np.all((xis == 0) | (xis == 1), axis=1)
    ci = np.nonzero(corner)[0]
    vloc = np.argmax(np.all(xis[ci][:, None] == REF[None], axis=2), axis=1)
    gv[new[ci]] = m.t[vloc, sel[npar[ci]]]
    lp = _local_pmesh(pmesh, pts[keep], cells, sel[cpar], box)
    return Submesh(lp, box, sel, cpar, npar[keep], xis[keep], gv, np.nonzero(cut)[0], np.unique(m.t[:, sel]),
                   n_joint, m.t)


def _root(rep: np.ndarray, i: int) -> int:
    while rep[i] != i:
        rep[i] = rep[rep[i]]
        i = rep[i]
    return i


def _local_pmesh(pmesh: PackageMesh, pts: np.ndarray, t_local: np.ndarray, parents: np.ndarray, box: Box) \
        -> PackageMesh:
    """The local PackageMesh: points (n, 3) m, connectivity (n_el, 8) in MeshHex1 order, each element's global
    parent (for region and item); boundaries ``outer`` and the global model's symmetry planes."""
    cell_region = pmesh.cell_region[parents]
    cell_item = pmesh.cell_item[parents]
    names = pmesh.region_names
    lm = skfem.MeshHex1(np.ascontiguousarray(pts.T), np.ascontiguousarray(t_local.T))
    lm = lm.with_subdomains({n: np.nonzero(cell_region == i)[0].astype(np.int64) for i, n in enumerate(names)})
    gb = pmesh.mesh.boundaries or {}
    outer = np.nonzero(lm.f2t[1] < 0)[0]
    mid = lm.p[:, lm.facets[:, outer]].mean(axis=1)
    bnd = {"outer": outer}
    dom = pmesh.geometry.domain
    tol = 1e-9 * max(1.0, pmesh.geometry.thickness)
    for name, ax, val in (("sym_x0", 0, dom[0]), ("sym_y0", 1, dom[1])):
        if name in gb:
            bnd[name] = outer[np.abs(mid[ax] - val) < tol]
    lm = lm.with_boundaries(bnd)
    cells_vtk = np.empty_like(t_local)
    cells_vtk[:, VTK_TO_SKFEM_HEX] = t_local
    return PackageMesh(mesh=lm, cells_vtk=cells_vtk, region_names=list(names), cell_region=cell_region,
                       cell_item=cell_item, items=pmesh.items, region_material=pmesh.region_material,
                       geometry=pmesh.geometry, z_levels=np.unique(pts[:, 2]), footprint=None,
                       stats={"box_lo_m": box.lo.tolist(), "box_hi_m": box.hi.tolist()})
