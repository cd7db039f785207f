"""Code-to-code check against CalculiX (issue 5's acceptance): the same mesh, materials,
supports and thermal load written to a CalculiX deck (fcpkg_fem/io/calculix.py), solved by ``ccx``, and its
nodal displacements compared with ours dof by dof.

Why the answers must agree: ``hex20`` and CalculiX's ``C3D20`` are the same 20-node serendipity element with
the same 3x3x3 Gauss rule, ``hex8`` and ``C3D8`` the same trilinear element with 2x2x2 Gauss; the materials are
written at the load temperature, the supports are our constrained dof list and the effective CTE reproduces our
thermal strain exactly (module docstring of fcpkg_fem.io.calculix). Both sides then solve the same linear
system, ours with a direct solver (SuperLU, relative residual ~1e-14) and CalculiX with SPOOLES (direct), so
the difference is round-off plus the 7 significant digits of CalculiX's ``.dat`` output (relative 5e-7 of each
value, measured 1e-7 to 5e-7 here). The tolerance is issue 5's 1e-4 of max |u|.

``hex8i`` and ``C3D8I`` are both 8-node elements with incompatible (bubble) modes, but they agree only on
parallelepiped elements: measured 9e-8 on a rectangular grid, 9e-4 on the same grid distorted in plane, and
6e-3 to 8e-3 on the reference-derived meshes below (their footprint quads are not parallelograms). Ours uses the
Taylor-Beresford-Wilson (1976) correction (bubble gradients with the centre Jacobian scaled by det J0 / det J),
which reduces to Wilson's modes when the Jacobian is constant; CalculiX keeps the modes as extra global
unknowns (3.7x our dofs: 241,953 equations against 65,394 dofs in benchmarks/bench_calculix.py's hex8i-65k) and
treats distorted elements differently.
So the rectangular-grid agreement is asserted and the distorted one only measured.

Tests that need ``ccx`` (PATH or the CCX environment variable) are skipped when it is missing; the checks of
the export itself (node order, volumes, Voigt order of the constants) need no solver.
"""

from __future__ import annotations

import subprocess
import types
from pathlib import Path

import numpy as np
import pytest

from fcpkg_fem import api
from fcpkg_fem.io import calculix as cx
from fcpkg_fem.materials.model import CTE, Isotropic, Material, Orthotropic
from fcpkg_fem.solve.mechanical import MechanicalProblem

ROOT = Path(__file__).resolve().parents[2]
CCX = cx.find_ccx()
needs_ccx = pytest.mark.skipif(CCX is None, reason=cx.CCX_MISSING)

# The reference package reduced to what a test can solve directly in seconds: no vias, no top balls, one bump
# row per die at 4 mm pitch (4 bumps per die in the quarter); carriers (orthotropic BT), dies, adhesive,
# encapsulant and every stress-free temperature as in cases/reference.yaml. About 2,000 hexahedra (7,164 hex8
# and 27,411 hex20 dofs on the mesher of 2026-11-26 22:30 UTC).
T_LOAD = -40.0
COARSE_REFERENCE = [
    "package.interconnect={kind: none}",
    "package.top_balls=null",
    "mesh.layer_elements={}",  # the shipped mesh refines the top balls, gone here
    *[f"package.carriers.{c}.chips.0.bumps.{k}" for c in ("bottom", "top") for k in ("rows=1", "pitch=4 mm")],
    f"load.temperatures=[{T_LOAD} degC]",
    "mesh.size=2 mm", "mesh.feature_size=300 um", "mesh.max_layer_thickness=2 mm",
    "solver.linear=direct",
]


def reference_problem(element: str) -> MechanicalProblem:
    case = api.load_case(ROOT / "cases" / "reference.yaml", overrides=COARSE_REFERENCE + [f"mesh.element={element}"])
    pm = api.mesh_case(case)
    return MechanicalProblem(pm, case.materials_resolved, api.stress_free_temperatures(case, pm),
                             element=element, linear="direct")


def run_ccx(problem: MechanicalProblem, T: float, workdir: Path, frd: bool = False) -> tuple[np.ndarray, Path]:
    """CalculiX's displacement as our (n_dofs,) vector (m), and the deck's path."""
    inp = workdir / f"job_{problem.element_name}.inp"
    model = cx.export_inp(problem, T, inp, frd=frd, title="test_calculix_peer")
    p = subprocess.run([CCX, inp.stem], cwd=workdir, capture_output=True, text=True, timeout=600,
                       env={"OMP_NUM_THREADS": "2", "PATH": "/usr/bin:/bin"})
    assert p.returncode == 0 and "Job finished" in p.stdout, p.stdout[-2000:] + p.stderr[-2000:]
    u = cx.read_dat(inp.with_suffix(".dat"), len(model.nodes))
    return model.to_dofs(u, problem.ndofs), inp


def rel_diff(u: np.ndarray, v: np.ndarray) -> float:
    return float(np.abs(u - v).max() / np.abs(u).max())


# ---------------------------------------------------------------------------------------------------------------
# the export itself (no solver needed)
# ---------------------------------------------------------------------------------------------------------------

# C3D20 corner positions in the reference cube [-1, 1]^3, CalculiX order (corners 1-4 at zeta = -1, then 5-8)
_CORNERS = np.array([[-1, -1, -1], [1, -1, -1], [1, 1, -1], [-1, 1, -1],
                     [-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]], dtype=float)
_NODES20 = np.vstack([_CORNERS, [(_CORNERS[a] + _CORNERS[b]) / 2 for a, b in cx.C3D20_EDGES]])


def c3d20_grad(xi: np.ndarray) -> np.ndarray:
    """(20, 3) reference gradients of the C3D20 serendipity shape functions (CalculiX node order) at xi."""
    g = np.zeros((20, 3))
    for a, (r, s, t) in enumerate(_NODES20):
        q = np.array([r, s, t])
        f = 1 + q * xi  # the linear factors (used where q != 0)
        if a < 8:  # corner: (1+r x)(1+s y)(1+t z)(r x + s y + t z - 2) / 8
            lin = q @ xi - 2
            for k in range(3):
                o = [j for j in range(3) if j != k]
                g[a, k] = q[k] * np.prod(f[o]) * (lin + f[k]) / 8
        else:  # mid-edge: (1 - x_k^2) along the edge's own direction k, linear factors across it
            k0 = int(np.nonzero(q == 0)[0][0])
            o = [j for j in range(3) if j != k0]
            for k in range(3):
                if k == k0:
                    g[a, k] = -2 * xi[k0] * np.prod(f[o]) / 4
                else:
                    other = [j for j in o if j != k][0]
                    g[a, k] = (1 - xi[k0] ** 2) * q[k] * f[other] / 4
    return g


def test_c3d20_node_order_gives_our_element_volumes():
    """The exported C3D20 connectivity, read with CalculiX's node order and shape functions, gives every element
    the volume of our hex20 geometry (3x3x3 Gauss, relative 1e-12: round-off) with a positive Jacobian at all
    27 points, and every mid-edge node sits at the midpoint of its two corners. A wrong corner or edge order
    folds the element (negative or different volume)."""
    problem = reference_problem("hex20")
    model = cx.build_model(problem)
    assert model.element_type == "C3D20" and model.elements.shape == (problem.pmesh.n_elements, 20)
    X = model.nodes[model.elements]  # (n_el, 20, 3)
    for k, (a, b) in enumerate(cx.C3D20_EDGES):
        np.testing.assert_allclose(X[:, 8 + k], 0.5 * (X[:, a] + X[:, b]), rtol=0, atol=1e-15)
    g, w = np.polynomial.legendre.leggauss(3)
    vol = np.zeros(len(X))
    min_det = np.inf
    for i in range(3):
        for j in range(3):
            for k in range(3):
                J = np.einsum("nai,aj->nij", X, c3d20_grad(np.array([g[i], g[j], g[k]])))
                det = np.linalg.det(J)
                min_det = min(min_det, det.min())
                vol += w[i] * w[j] * w[k] * det
    assert min_det > 0
    np.testing.assert_allclose(vol, problem.volumes, rtol=1e-12)


def test_hex8_corner_order_and_node_dofs():
    """C3D8 corners are our mesh vertices in VTK order (the swept mesh's own ``cells_vtk``), and each node's
    three dofs are our vertex dofs."""
    problem = reference_problem("hex8")
    model = cx.build_model(problem)
    np.testing.assert_array_equal(model.elements, problem.pmesh.cells_vtk)
    np.testing.assert_array_equal(model.dof_of_node, problem.basis.nodal_dofs.T)


def _card_values(card: str) -> tuple[str, np.ndarray]:
    head, *rows = card.strip().splitlines()
    return head.split("TYPE=")[1], np.array([float(v) for r in rows for v in r.split(",")])


def test_elastic_card_orthotropic_shear_order():
    """Orthotropic constants with three different shear moduli: CalculiX's D1212, D1313, D2323 must be G12, G13,
    G23 (MPa), i.e. our Voigt entries xy, xz, yz: the shear order is reversed between the conventions. The
    normal block is our stiffness' (relative 1e-8: 9 significant digits written)."""
    el = Orthotropic(E1=20e9, E2=18e9, E3=8e9, nu12=0.2, nu13=0.3, nu23=0.25, G12=7e9, G13=3e9, G23=2e9)
    C = el.stiffness(25.0)[0]
    kind, v = _card_values(cx.elastic_card(C))
    assert kind == "ORTHO" and len(v) == 9
    np.testing.assert_allclose(v[6:], [7e3, 3e3, 2e3], rtol=1e-8)  # D1212 = G12, D1313 = G13, D2323 = G23
    np.testing.assert_allclose(v[:6], 1e-6 * C[[0, 0, 1, 0, 1, 2], [0, 1, 1, 2, 2, 2]], rtol=1e-8)


def test_elastic_card_anisotropic_rebuilds_our_matrix():
    """A stiffness with normal-shear coupling goes out as ANISO; placing its 21 constants back by CalculiX's
    index pairs rebuilds our 6x6 (Voigt xx, yy, zz, yz, xz, xy) to 9 significant digits."""
    rng = np.random.default_rng(3)
    A = rng.normal(size=(6, 6))
    C = (A @ A.T + 6 * np.eye(6)) * 1e9
    kind, v = _card_values(cx.elastic_card(C))
    assert kind == "ANISO" and len(v) == 21
    back = np.zeros((6, 6))
    for val, (i, j, k, l) in zip(v, cx._ANISO):
        a, b = cx._V[(min(i, j), max(i, j))], cx._V[(min(k, l), max(k, l))]
        back[a, b] = back[b, a] = val * 1e6
    np.testing.assert_allclose(back, C, rtol=1e-8, atol=1e-8 * np.abs(C).max())


def test_effective_cte_reproduces_region_thermal_strain():
    """alpha_r (T - T0) written for each region equals our eth_r = thermal_strain(T, T_sf_r) (per direction),
    with T_sf_r from the case's stress_free_by_material (217 degC solder, 175 degC EMC, ...)."""
    problem = reference_problem("hex8")
    alphas = cx.region_expansion(problem, T_LOAD, delta_T=100.0)
    _, eth_el = problem.element_fields(T_LOAD)
    for ri, region in enumerate(problem.pmesh.region_names):
        el = np.nonzero(problem.pmesh.cell_region == ri)[0][0]
        np.testing.assert_allclose(alphas[region] * 100.0, eth_el[el, :3], rtol=1e-14)


# ---------------------------------------------------------------------------------------------------------------
# against ccx
# ---------------------------------------------------------------------------------------------------------------


def bilayer_grid(distort: float):
    """A 5 x 5 x 0.2 mm two-layer plate (quarter: symmetry planes x = 0, y = 0) on a 10 x 10 x 4 tensor grid,
    optionally distorted in plane (nodes shifted in x by up to ``distort`` x 0.2 mm, so that elements are no
    longer parallelepipeds). A minimal stand-in for PackageMesh with what the problem and the exporter read."""
    import skfem

    m = skfem.MeshHex.init_tensor(np.linspace(0, 5e-3, 11), np.linspace(0, 5e-3, 11), np.linspace(0, 2e-4, 5))
    p = m.p.copy()
    p[0] += distort * 2e-4 * np.sin(np.pi * p[0] / 5e-3) * np.sin(2 * np.pi * p[1] / 5e-3)
    m = skfem.MeshHex1(p, m.t)
    cell_region = (m.p[2, m.t].mean(axis=0) > 1e-4).astype(np.int64)
    names = ["bottom_layer", "top_layer"]
    m = m.with_subdomains({n: np.nonzero(cell_region == i)[0] for i, n in enumerate(names)})
    m = m.with_boundaries({"sym_x0": m.facets_satisfying(lambda X: X[0] < 1e-12, boundaries_only=True),
                           "sym_y0": m.facets_satisfying(lambda X: X[1] < 1e-12, boundaries_only=True)})
    pm = types.SimpleNamespace(mesh=m, cell_region=cell_region, region_names=names, n_elements=m.nelements,
                               region_material={"bottom_layer": "stiff", "top_layer": "soft"},
                               geometry=types.SimpleNamespace(symmetry="quarter"))
    mats = {"stiff": Material("stiff", Isotropic(100e9, 0.3), CTE.isotropic(5e-6)),
            "soft": Material("soft", Isotropic(10e9, 0.35), CTE.transverse(40e-6, 60e-6))}
    return pm, mats


@needs_ccx
@pytest.mark.parametrize("element,distort", [("hex20", 0.0), ("hex20", 1.0), ("hex8", 1.0), ("hex8i", 0.0)])
def test_bilayer_grid_matches_calculix(tmp_path, element, distort):
    """A bimaterial plate heated 25 -> 125 degC (E 100/10 GPa, CTE 5 and 40/60 ppm/K) bends; ours and CalculiX's
    displacements agree to 1e-5 of max |u| (measured 1e-7 to 4e-7; the .dat file's 7 digits). hex8i is asserted
    on the undistorted grid only (parallelepipeds: see the module docstring; measured 9e-8)."""
    pm, mats = bilayer_grid(distort)
    problem = MechanicalProblem(pm, mats, {"bottom_layer": 25.0, "top_layer": 25.0}, element=element,
                                linear="direct")
    st = problem.solve(125.0)
    u_ccx, _ = run_ccx(problem, 125.0, tmp_path)
    assert rel_diff(st.u, u_ccx) <= 1e-5


@needs_ccx
def test_hex8i_differs_from_c3d8i_only_on_distorted_elements(tmp_path):
    """Measured, not a specification: on the distorted grid the two incompatible-mode elements differ by more
    than round-off (9e-4 measured) while hex8/C3D8 on the same grid agree to 4e-7, so the difference lies in
    the bubble modes' treatment of non-parallelepiped elements. Asserted only that it is above the 1e-5
    round-off level of the other checks and below 1 % (both are bending-capable elements of the same mesh)."""
    pm, mats = bilayer_grid(1.0)
    problem = MechanicalProblem(pm, mats, {"bottom_layer": 25.0, "top_layer": 25.0}, element="hex8i",
                                linear="direct")
    st = problem.solve(125.0)
    u_ccx, _ = run_ccx(problem, 125.0, tmp_path)
    d = rel_diff(st.u, u_ccx)
    print(f"hex8i vs C3D8I on the distorted grid: {d:.2e}")
    assert 1e-5 < d < 1e-2


@needs_ccx
@pytest.mark.slow
@pytest.mark.parametrize("element", ["hex20", "hex8", "hex8i"])
def test_coarse_reference_matches_calculix(tmp_path, element):
    """Issue 5's acceptance: the coarse reduced reference package (COARSE_REFERENCE: orthotropic BT carriers,
    silicon dies, solder bumps, adhesive, encapsulant, per-material stress-free temperatures, quarter model with
    symmetry planes and 3-2-1 point) at -40 degC. hex20 vs C3D20 and hex8 vs C3D8: max |u_fc - u_ccx| /
    max |u| <= 1e-4 (measured 5.2e-7 and 4.4e-7). hex8i vs C3D8I is measured and printed (7.8e-3: distorted
    footprint elements, see the module docstring) and bounded only loosely (below 5 %, i.e. the same bending
    answer). The .frd reader is checked against the .dat on the way (6 against 7 significant digits: 1e-5)."""
    problem = reference_problem(element)
    st = problem.solve(T_LOAD)
    u_ccx, inp = run_ccx(problem, T_LOAD, tmp_path, frd=True)
    d = rel_diff(st.u, u_ccx)
    print(f"{element} vs {cx.CCX_ELEMENT[element]}: {problem.ndofs} dofs, max |u| {np.abs(st.u).max():.4e} m, "
          f"max relative difference {d:.2e}")
    model = cx.build_model(problem)
    u_frd = model.to_dofs(cx.read_frd(inp.with_suffix(".frd"), len(model.nodes)), problem.ndofs)
    assert rel_diff(u_ccx, u_frd) <= 1e-5
    if element == "hex8i":
        assert d < 5e-2
    else:
        assert d <= 1e-4
