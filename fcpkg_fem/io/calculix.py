"""CalculiX (``ccx``) input export and result reading, for code-to-code comparison on the same mesh.

:func:`export_inp` writes the discrete problem of a :class:`~fcpkg_fem.solve.mechanical.MechanicalProblem` at one
uniform temperature as a CalculiX ``.inp`` deck: the same nodes and elements, one ``*SOLID SECTION`` per region
with its material evaluated at the load temperature, the same constrained dofs (symmetry planes and 3-2-1 points,
``problem.D``) and the same thermal strain. :func:`read_dat` / :func:`read_frd` read the nodal displacements back
and :attr:`CalculixModel.dof_of_node` maps them onto our dof vector.

Elements (``problem.element_name`` -> CalculiX type):

* ``hex20`` -> ``C3D20`` (20-node serendipity, 3x3x3 Gauss; the same discrete space and quadrature as ours).
  CalculiX's node order is the VTK/Abaqus one: corners 1-4 on the face zeta = -1 counter-clockwise seen from
  +zeta, corners 5-8 above them, then the mid-edge nodes of edges 1-2, 2-3, 3-4, 4-1, 5-6, 6-7, 7-8, 8-5, 1-5,
  2-6, 3-7, 4-8 (:data:`C3D20_EDGES`). Our hex20 dofs are one per mesh vertex and one per mesh edge (nodal
  values at the edge midpoints, scikit-fem's ``ElementHexS2``); each CalculiX mid-edge node is matched to the mesh
  edge joining its two corners, and the match is checked against the basis' own dof locations.
* ``hex8i`` -> ``C3D8I`` (8-node with incompatible modes; CalculiX's variant of the bubble modes may differ
  from ours, so the two need not agree to solver tolerance).
* ``hex8`` -> ``C3D8`` (trilinear, 2x2x2 Gauss: the same element as ours).

Units in the deck: mm, N, MPa (CalculiX has no unit system; mm keeps coordinates of order one). Displacements
read back are converted to m.

Thermal load: our element thermal strain is eth_r = thermal_strain(T, T_sf_r) with a stress-free temperature per
region, while CalculiX has a single nodal initial temperature. Each region gets the effective constant CTE
alpha_r = eth_r / (T - T0) (per direction, ``*EXPANSION, TYPE=ORTHO``) with the common initial temperature
T0 = T - ``delta_T`` and the load temperature T at every node, so that CalculiX's alpha_r (T - T0) equals eth_r
exactly. This is exact for one load temperature only (one deck per temperature).

Elasticity: ``*ELASTIC, TYPE=ORTHO`` from our 6x6 Voigt stiffness (order xx, yy, zz, yz, xz, xy, engineering
shear). CalculiX's constants are D1111, D1122, D2222, D1133, D2233, D3333, D1212, D1313, D2323 with
sigma_12 = D1212 gamma_12, so D1212 = C[5, 5] (xy), D1313 = C[4, 4] (xz), D2323 = C[3, 3] (yz): the shear order is
reversed between the two conventions. A stiffness with normal-shear or shear-shear coupling (not orthotropic in
the global axes) is written as ``TYPE=ANISO`` (21 constants in CalculiX's order 11, 22, 33, 12, 13, 23).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CCX_ELEMENT = {"hex20": "C3D20", "hex8i": "C3D8I", "hex8": "C3D8"}

# CalculiX (= VTK = Abaqus) mid-edge nodes of a C3D20, as pairs of its corner positions (0-based)
C3D20_EDGES = ((0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6), (3, 7))

# scikit-fem MeshHex1 vertex position k holds VTK / CalculiX corner VTK_TO_SKFEM_HEX[k] (fcpkg_fem.mesh.swept)
_VTK_TO_SKFEM_HEX = np.array([0, 4, 3, 1, 7, 5, 2, 6])

# our Voigt index (xx, yy, zz, yz, xz, xy) of CalculiX's tensor index pairs
_V = {(1, 1): 0, (2, 2): 1, (3, 3): 2, (2, 3): 3, (1, 3): 4, (1, 2): 5}
_ORTHO = ((1, 1, 1, 1), (1, 1, 2, 2), (2, 2, 2, 2), (1, 1, 3, 3), (2, 2, 3, 3), (3, 3, 3, 3), (1, 2, 1, 2),
          (1, 3, 1, 3), (2, 3, 2, 3))
_ANISO = ((1, 1, 1, 1), (1, 1, 2, 2), (2, 2, 2, 2), (1, 1, 3, 3), (2, 2, 3, 3), (3, 3, 3, 3), (1, 1, 1, 2),
          (2, 2, 1, 2), (3, 3, 1, 2), (1, 2, 1, 2), (1, 1, 1, 3), (2, 2, 1, 3), (3, 3, 1, 3), (1, 2, 1, 3),
          (1, 3, 1, 3), (1, 1, 2, 3), (2, 2, 2, 3), (3, 3, 2, 3), (1, 2, 2, 3), (1, 3, 2, 3), (2, 3, 2, 3))

M_TO_MM = 1e3
PA_TO_MPA = 1e-6


@dataclass
class CalculixModel:
    """The node and element numbering of an exported deck.

    Attributes:
        nodes: (n_nodes, 3) node coordinates in m; CalculiX node id = row + 1.
        dof_of_node: (n_nodes, 3) our global dof of each node's x, y, z displacement.
        elements: (n_elements, 8 or 20) 0-based node rows in CalculiX order; element id = row + 1 (our element
            index + 1).
        element_type: CalculiX element type (``C3D20``, ``C3D8I``, ``C3D8``).
    """

    nodes: np.ndarray
    dof_of_node: np.ndarray
    elements: np.ndarray
    element_type: str

    def to_dofs(self, u_nodes: np.ndarray, n_dofs: int) -> np.ndarray:
        """Our (n_dofs,) dof vector from (n_nodes, 3) nodal displacements (same units)."""
        u = np.zeros(n_dofs)
        u[self.dof_of_node.ravel()] = np.asarray(u_nodes).ravel()
        return u


def corners_vtk(mesh) -> np.ndarray:
    """(n_elements, 8) hexahedron corners in VTK / CalculiX order from a scikit-fem ``MeshHex1``."""
    t = mesh.t.T
    out = np.empty_like(t)
    out[:, _VTK_TO_SKFEM_HEX] = t
    return out


def build_model(problem) -> CalculixModel:
    """Node numbering, dof map and CalculiX connectivity of ``problem`` (a MechanicalProblem).

    Nodes are the mesh vertices (ids 1..n_vertices), then for hex20 the mesh edges (their midpoints).

    Raises:
        ValueError: the element is not exportable, or a node does not sit where its dof lives (a mapping error).
    """
    name = problem.element_name
    if name not in CCX_ELEMENT:
        raise ValueError(f"no CalculiX element for {name!r}; known: {', '.join(CCX_ELEMENT)}")
    m = problem.pmesh.mesh
    basis = problem.basis
    nv = m.nvertices
    corners = corners_vtk(m)
    nodes = [m.p.T]
    dofs = [basis.nodal_dofs.T]
    conn = corners
    if name == "hex20":
        edges = np.sort(m.edges, axis=0)  # (2, n_edges), sorted vertex pair of every mesh edge
        key = edges[0].astype(np.int64) * nv + edges[1]
        order = np.argsort(key)
        a = corners[:, [e[0] for e in C3D20_EDGES]]
        b = corners[:, [e[1] for e in C3D20_EDGES]]
        want = np.minimum(a, b).astype(np.int64) * nv + np.maximum(a, b)
        pos = np.searchsorted(key, want, sorter=order)
        pos = np.minimum(pos, len(key) - 1)
        edge = order[pos]
        if not np.array_equal(key[edge], want):
            raise ValueError("a C3D20 mid-edge node has no mesh edge between its corners")
        nodes.append(0.5 * (m.p[:, m.edges[0]] + m.p[:, m.edges[1]]).T)
        dofs.append(basis.edge_dofs.T)
        conn = np.hstack([corners, nv + edge])
    nodes = np.vstack(nodes)
    dof_of_node = np.vstack(dofs).astype(np.int64)
    if dof_of_node.shape[1] != 3 or len(np.unique(dof_of_node)) != basis.N or dof_of_node.size != basis.N:
        raise ValueError(f"{name}: the basis has dofs that are neither vertex nor edge dofs")
    # each node must sit where the basis says its dofs live
    if not np.allclose(basis.doflocs[:, dof_of_node[:, 0]].T, nodes, rtol=0, atol=1e-12 * np.abs(nodes).max()):
        raise ValueError(f"{name}: node coordinates differ from the basis' dof locations")
    return CalculixModel(nodes=nodes, dof_of_node=dof_of_node, elements=conn, element_type=CCX_ELEMENT[name])


def _name(region: str) -> str:
    """A CalculiX set / material name (letters, digits, underscores; at most 80 characters) for a region."""
    return ("R_" + re.sub(r"[^A-Za-z0-9]", "_", region))[:80].upper()


def _lines(values, per_line: int = 8) -> str:
    """Comma-separated values, at most ``per_line`` a line (CalculiX reads at most 8 per data line, 132 columns)."""
    vals = [f"{v:.9g}" for v in values]
    return "\n".join(",".join(vals[i:i + per_line]) for i in range(0, len(vals), per_line))


def elastic_card(C: np.ndarray) -> str:
    """``*ELASTIC`` card (MPa) from a 6x6 Voigt stiffness ``C`` in Pa (our order xx, yy, zz, yz, xz, xy).

    ORTHO when the stiffness has no normal-shear or shear-shear coupling, else ANISO.
    """
    C = np.asarray(C, dtype=float) * PA_TO_MPA
    off = C.copy()
    off[:3, :3] = 0.0
    off[[3, 4, 5], [3, 4, 5]] = 0.0
    kind, comps = ("ORTHO", _ORTHO) if np.abs(off).max() <= 1e-12 * np.abs(C).max() else ("ANISO", _ANISO)
    vals = [C[_V[(i, j)], _V[(k, l)]] for i, j, k, l in comps]
    return f"*ELASTIC, TYPE={kind}\n{_lines(vals)}\n"


def region_expansion(problem, T_C: float, delta_T: float) -> dict[str, np.ndarray]:
    """Region -> effective CTE (x, y, z) in 1/K: eth_r(T) / delta_T, eth_r our thermal strain from T_sf_r to T."""
    pm = problem.pmesh
    out = {}
    for region in pm.region_names:
        mat = problem.materials[pm.region_material[region]]
        eth = mat.thermal_strain(np.array([T_C]), np.array([problem.stress_free_C[region]]))[0]
        out[region] = eth / delta_T
    return out


def export_inp(problem, T_C: float, path: str | Path, delta_T: float = 100.0, solver: str = "SPOOLES",
               frd: bool = False, title: str = "") -> CalculixModel:
    """Write the problem at the uniform temperature ``T_C`` (degC) as a CalculiX deck.

    Args:
        problem: a :class:`~fcpkg_fem.solve.mechanical.MechanicalProblem`.
        T_C: load temperature, degC; the materials are evaluated at it.
        path: the ``.inp`` file to write (CalculiX's job name is its stem).
        delta_T: T - T0 of the deck (K): the initial nodal temperature is T_C - delta_T. Any non-zero value
            gives the same thermal strain; it only scales the effective CTE.
        solver: CalculiX equation solver of ``*STATIC`` (``SPOOLES``, ``PASTIX``, ``PARDISO``,
            ``ITERATIVE CHOLESKY``); it must be linked into the ccx binary.
        frd: also write the displacements to the ``.frd`` file (``*NODE FILE``); they always go to the
            ``.dat`` file (``*NODE PRINT``, 7 significant digits against the ``.frd``'s 6).
        title: a comment line for the head of the deck.

    Returns:
        The :class:`CalculixModel` (node numbering and dof map) to read the results back with.
    """
    if delta_T == 0:
        raise ValueError("delta_T must not be zero")
    model = build_model(problem)
    pm = problem.pmesh
    T0 = T_C - delta_T
    alphas = region_expansion(problem, T_C, delta_T)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ids = np.arange(1, len(model.nodes) + 1)
    with open(path, "w") as fh:
        fh.write(f"** fcpkg-fem -> CalculiX: {title}\n** element {problem.element_name} -> {model.element_type}; "
                 f"units mm, N, MPa; T = {T_C:g} degC, T0 = {T0:g} degC\n")
        fh.write("*NODE, NSET=NALL\n")
        xyz = model.nodes * M_TO_MM
        np.savetxt(fh, np.column_stack([ids, xyz]), fmt=["%d", "%.15g", "%.15g", "%.15g"], delimiter=",")
        npe = model.elements.shape[1]
        for ri, region in enumerate(pm.region_names):
            els = np.nonzero(pm.cell_region == ri)[0]
            if len(els) == 0:
                continue
            fh.write(f"** region {region} (material {pm.region_material[region]})\n")
            fh.write(f"*ELEMENT, TYPE={model.element_type}, ELSET={_name(region)}\n")
            rows = np.column_stack([els + 1, model.elements[els] + 1])
            if npe <= 15:  # one line per element (CalculiX: at most 16 entries a line)
                np.savetxt(fh, rows, fmt="%d", delimiter=",")
            else:  # C3D20: element id + 15 nodes, then the last 5 on a continuation line
                for r in rows:
                    fh.write(",".join(map(str, r[:16])) + ",\n" + ",".join(map(str, r[16:])) + "\n")
        for region in pm.region_names:
            mat = problem.materials[pm.region_material[region]]
            name = _name(region)
            fh.write(f"*MATERIAL, NAME={name}\n")
            fh.write(elastic_card(mat.stiffness(np.array([T_C]))[0]))
            fh.write(f"*EXPANSION, TYPE=ORTHO\n{_lines(alphas[region])}\n")
            fh.write(f"*SOLID SECTION, ELSET={name}, MATERIAL={name}\n")
        fh.write("*BOUNDARY\n")
        D = np.asarray(problem.D)
        node_of_dof = np.empty(problem.basis.N, dtype=np.int64)
        comp_of_dof = np.empty(problem.basis.N, dtype=np.int64)
        node_of_dof[model.dof_of_node] = np.arange(len(model.nodes))[:, None]
        comp_of_dof[model.dof_of_node] = np.arange(3)[None, :]
        bc = np.column_stack([node_of_dof[D] + 1, comp_of_dof[D] + 1, comp_of_dof[D] + 1])
        np.savetxt(fh, bc, fmt="%d", delimiter=",")
        fh.write(f"*INITIAL CONDITIONS, TYPE=TEMPERATURE\nNALL,{T0:.15g}\n")
        fh.write(f"*STEP\n*STATIC, SOLVER={solver}\n*TEMPERATURE\nNALL,{T_C:.15g}\n")
        fh.write("*NODE PRINT, NSET=NALL\nU\n")
        if frd:
            fh.write("*NODE FILE\nU\n")
        fh.write("*END STEP\n")
    return model


def read_dat(path: str | Path, n_nodes: int) -> np.ndarray:
    """(n_nodes, 3) displacements in m from the ``displacements`` block of a CalculiX ``.dat`` file (last one).

    Raises:
        ValueError: no displacement block, or it misses nodes 1..n_nodes.
    """
    text = Path(path).read_text()
    blocks = re.split(r"^\s*displacements \(vx,vy,vz\).*$", text, flags=re.M)
    if len(blocks) < 2:
        raise ValueError(f"{path}: no displacement output (*NODE PRINT U) found")
    body = re.split(r"^\s*[a-z].*$", blocks[-1], maxsplit=1, flags=re.M)[0]  # up to the next block's header
    data = np.array(body.split(), dtype=float).reshape(-1, 4)
    return _by_node(data, n_nodes, path) / M_TO_MM


def read_frd(path: str | Path, n_nodes: int) -> np.ndarray:
    """(n_nodes, 3) displacements in m from the last ``DISP`` block of an ASCII CalculiX ``.frd`` file."""
    lines = Path(path).read_text().splitlines()
    start = [i for i, ln in enumerate(lines) if ln.startswith(" -4  DISP")]
    if not start:
        raise ValueError(f"{path}: no DISP block (*NODE FILE U) found")
    rows = []
    for ln in lines[start[-1] + 1:]:
        if ln.startswith(" -3"):
            break
        if ln.startswith(" -1"):
            # fixed columns: ' -1', node id (I10), then values (E12.5 each)
            rows.append([float(ln[3:13])] + [float(ln[13 + 12 * k:25 + 12 * k]) for k in range(3)])
    return _by_node(np.array(rows), n_nodes, path) / M_TO_MM


def _by_node(data: np.ndarray, n_nodes: int, path) -> np.ndarray:
    ids = data[:, 0].astype(np.int64)
    keep = ids <= n_nodes  # C3D8I: CalculiX may list its internal nodes past ours
    ids, vals = ids[keep], data[keep, 1:4]
    u = np.full((n_nodes, 3), np.nan)
    u[ids - 1] = vals
    if np.isnan(u).any():
        raise ValueError(f"{path}: {int(np.isnan(u[:, 0]).sum())} of {n_nodes} nodes have no displacement")
    return u


def find_ccx() -> str | None:
    """Path of the CalculiX solver: ``$CCX`` if set, else ``ccx`` on PATH, else None."""
    env = os.environ.get("CCX")
    if env:
        return env if (Path(env).is_file() or shutil.which(env)) else None
    return shutil.which("ccx")


CCX_MISSING = ("CalculiX (ccx) was not found: set CCX=/path/to/ccx or put ccx on PATH. "
               "On Debian/Ubuntu: sudo apt-get install calculix-ccx")
