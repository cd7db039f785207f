"""A carrier layer's copper fraction (issue 17 item 6): the homogenised layer against a resolved stripe model.

The plate: a 4 x 4 mm silicon core (150 um) under a 15 um layer of parallel copper traces along x in solder mask
(library materials: silicon with its temperature-dependent CTE, copper, solder_mask), stress-free at 25 degC and
cooled to -40 degC (below the mask's Tg), free except for symmetry (a quarter model). The resolved model meshes
every trace: 100 um pitch, 20 traces per half plate (:func:`_mesh`); the homogenised model is the same structured
hex mesh (hex8i, the project's element through :class:`~fcpkg_fem.solve.mechanical.MechanicalProblem`) with the
layer one material from :func:`fcpkg_fem.materials.homogenise.homogenise_layer`. The same mesh on both sides, so
the difference is the homogenisation alone.

Warpage: the bottom face's curvatures kappa_x, kappa_y from a least-squares quadratic fit of u_z. Measured
(2026-12-06; kappa in 1/m, resolved -> homogenised):

    fraction 0.3: kappa_x 1.4498 -> 1.4615 (+0.80 %), kappa_y 0.5718 -> 0.6429 (+12.4 %), corner warpage +4.1 %
    fraction 0.6: kappa_x 2.2793 -> 2.2551 (-1.06 %), kappa_y 1.1303 -> 0.5893 (-47.9 %), corner warpage -16.6 %

Along the traces the acceptance of issue 17 (2 %) holds. Across them it does not, and no material of the layer
alone could make it hold: a 15 um layer of 30-70 um wide stripes bonded to a core is neither the fine stack the
average assumes (iso-stress across) nor separate films on the core (iso-strain across); on this mesh the "films"
average (every phase plane stress, iso-strain in-plane) gives kappa_y 1.50 and 2.34 on the same plate, the stack
with each phase free through the thickness 0.19 and 0.09, and the resolved values lie between. Refining the resolved mesh (twice the
elements across a period and through the layer) moved kappa_x by 0.2 % and kappa_y by up to 9 % on a 50 um layer;
on this plate, four times the elements across a period and twice through the layer (35,200 elements) gave kappa_x
1.4477 and 2.2776 (-0.15 %, -0.07 %) and kappa_y 0.5427 and 1.1007 (-5.1 %, -2.6 %): against those the homogenised
layer is +0.95 % and -0.99 % along the traces, +18 % and -46 % across.

Also here: the case path (a laminate layer with ``copper_fraction``) makes the same material, and the averages
reduce to the closed forms they must (one phase; iso-strain along the traces with equal Poisson ratios).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from skfem import MeshHex
from support.robust import mini_package
from support.verification import laminate_case, problem_of, quadratic_fit

from fcpkg_fem import api
from fcpkg_fem.materials import library
from fcpkg_fem.materials.homogenise import derived_name, effective_stiffness, homogenise_layer, stripe_average
from fcpkg_fem.materials.model import CTE, Isotropic, Material
from fcpkg_fem.solve.mechanical import MechanicalProblem

HALF = 2.0e-3  # half the plate width, m
PITCH = 100e-6  # trace pitch, m
T_CORE, T_LAYER = 150e-6, 15e-6  # a trace layer is 10-35 um of copper
T_SF, T = 25.0, -40.0
TOL = 0.02  # issue 17's acceptance
ACROSS_ENVELOPE = 0.6  # measured 12 % and 48 % across the traces (module docstring): a regression guard only


def _mesh(fraction: float):
    """Structured hex mesh of the quarter plate; element -> 0 core, 1 copper, 2 mask (by the centroid's y).

    Per 100 um period across the traces: half a trace (2 elements), the mask (4), half a trace (2); 4 elements
    through the layer, 3 through the core, 200 um along the traces (the fields do not vary along them)."""
    w_cu = fraction * PITCH
    period = np.concatenate([np.linspace(0.0, w_cu / 2, 3), w_cu / 2 + np.linspace(0.0, PITCH - w_cu, 5)[1:],
                             PITCH - w_cu / 2 + np.linspace(0.0, w_cu / 2, 3)[1:]])
    ys = np.unique(np.round(np.concatenate([period + k * PITCH for k in range(int(round(HALF / PITCH)))]),
                            13))  # 0.1 pm: the periods' ends meet
    xs = np.linspace(0.0, HALF, 11)
    zs = np.concatenate([np.linspace(0.0, T_CORE, 4), T_CORE + np.linspace(0.0, T_LAYER, 5)[1:]])
    m = MeshHex.init_tensor(xs, ys, zs)
    m = m.with_boundaries({"sym_x0": lambda x: x[0] < 1e-12, "sym_y0": lambda x: x[1] < 1e-12})
    c = m.p[:, m.t].mean(axis=1)
    in_layer = c[2] > T_CORE
    yy = np.mod(c[1], PITCH)
    is_cu = in_layer & ((yy < w_cu / 2) | (yy > PITCH - w_cu / 2))
    region = np.where(~in_layer, 0, np.where(is_cu, 1, 2))
    return m, region


def _curvatures(fraction: float, layer: Material | None) -> tuple[float, float]:
    """(kappa_x, kappa_y) in 1/m of the bottom face: resolved stripes (layer None) or the homogenised layer."""
    m, region = _mesh(fraction)
    mats = {"silicon": library.get("silicon"), "copper": library.get("copper"),
            "solder_mask": library.get("solder_mask")}
    names = ["core", "cu", "mask"]
    rmat = {"core": "silicon", "cu": "copper", "mask": "solder_mask"}
    if layer is not None:
        mats[layer.name] = layer
        rmat["cu"] = rmat["mask"] = layer.name
    pmesh = SimpleNamespace(mesh=m, cell_region=region, region_names=names, region_material=rmat,
                            n_elements=m.t.shape[1], geometry=SimpleNamespace(symmetry="quarter"))
    problem = MechanicalProblem(pmesh, mats, {r: T_SF for r in names}, element="hex8i", linear="direct")
    u = problem.solve(T).u
    disp = problem.vertex_displacement(u)
    bottom = np.abs(m.p[2]) < 1e-12
    return quadratic_fit(m.p[0, bottom], m.p[1, bottom], disp[bottom, 2])


@pytest.mark.parametrize("fraction", [0.3, 0.6])
def test_homogenised_trace_layer_warps_as_the_resolved_stripes(fraction):
    """Along the traces (kappa_x) within 2 % (issue 17's acceptance). Across them (kappa_y) the layer's response is
    not a property of the fraction alone (module docstring): the bound asserted here is the measured envelope with
    a margin, a guard against regressions, not an accuracy claim."""
    layer = homogenise_layer(library.get("solder_mask"), library.get("copper"), fraction, "x")
    kr = np.array(_curvatures(fraction, None))
    kh = np.array(_curvatures(fraction, layer))
    diff = (kh - kr) / np.abs(kr)
    print(f"\ncopper fraction {fraction}: kappa_x, kappa_y resolved {kr} 1/m, homogenised {kh} 1/m, "
          f"difference {100 * diff} %; corner warpage (kappa_x + kappa_y) {100 * (kh.sum() / kr.sum() - 1):+.2f} %")
    # traces along x stiffen x far more than y: the two curvatures must differ, or the test could not tell
    assert abs(kr[0] - kr[1]) > 0.1 * np.abs(kr).max()
    assert abs(diff[0]) < TOL, diff
    assert abs(diff[1]) < ACROSS_ENVELOPE, diff


def test_the_case_path_makes_the_same_material():
    """A laminate layer with copper_fraction becomes the homogenised material, named and sourced."""
    raw = laminate_case([("core", "silicon", 150), ("sig", "solder_mask", 50)], symmetry="quarter")
    raw["laminate"]["layers"][1].update({"copper_fraction": 0.3, "traces": "x"})
    case = api.load_case(raw)
    layer = case.laminate.layers[1]
    name = derived_name("solder_mask", 0.3, "x")
    assert (layer.material, layer.matrix_material, layer.copper_material) == (name, "solder_mask", "copper")
    assert case.region_materials()["layer.sig"] == name
    got = case.materials_resolved[name]
    want = homogenise_layer(library.get("solder_mask"), library.get("copper"), 0.3, "x")
    for k in ("E1", "E2", "E3", "nu12", "G12", "G23"):
        assert getattr(got.elastic, k) == getattr(want.elastic, k)
    assert "Backus" in got.sources["E"] and "solder_mask" in got.sources["cte"] and "copper" in got.sources["cte"]
    assert case.resolved_dict()["laminate"]["layers"][1]["matrix_material"] == "solder_mask"


def _iso(E: float, nu: float, a: float, name: str) -> Material:
    return Material(name=name, elastic=Isotropic(E, nu), cte=CTE.isotropic(a))


def test_averages_reduce_to_their_closed_forms():
    """One phase gives itself back; with equal Poisson ratios the stripe stack is iso-strain along the traces
    (E_x = sum f_i E_i, alpha_x = sum f_i E_i alpha_i / sum f_i E_i: the modulus-weighted mean); the x and y
    orientations are each other's 90 degree rotation; E_z lies between the Reuss and Voigt bounds; cross-hatched is
    in-plane isotropic between the across and along values. Tolerance 1e-12 relative (round-off of 6x6 inverses)."""
    a = _iso(100e9, 0.3, 10e-6, "a")
    b = _iso(10e9, 0.3, 60e-6, "b")
    C, alpha = effective_stiffness(a, a, 0.4, "x", 25.0)
    assert np.allclose(C, a.stiffness(25.0)[0], rtol=1e-12)
    assert np.allclose(alpha[:3], 10e-6, rtol=1e-12)
    f = 0.3
    m = homogenise_layer(b, a, f, "x")
    E_x = f * 100e9 + (1 - f) * 10e9
    a_x = (f * 100e9 * 10e-6 + (1 - f) * 10e9 * 60e-6) / E_x
    assert m.elastic.E1(25.0) == pytest.approx(E_x, rel=1e-12)
    assert m.cte.x(25.0) == pytest.approx(a_x, rel=1e-12)
    my = homogenise_layer(b, a, f, "y")
    assert my.elastic.E2(25.0) == pytest.approx(m.elastic.E1(25.0), rel=1e-12)
    assert my.elastic.E1(25.0) == pytest.approx(m.elastic.E2(25.0), rel=1e-12)
    assert my.cte.y(25.0) == pytest.approx(m.cte.x(25.0), rel=1e-12)
    # through the thickness both phases span the layer: iso-strain, E_z between Reuss and Voigt
    assert 1 / (f / 100e9 + (1 - f) / 10e9) < m.elastic.E3(25.0) <= E_x * (1 + 1e-12)
    # cross-hatched: E_x = E_y, between the across and along values
    mi = homogenise_layer(b, a, f, "isotropic_in_plane")
    assert mi.elastic.E1(25.0) == pytest.approx(mi.elastic.E2(25.0), rel=1e-12)
    assert m.elastic.E2(25.0) < mi.elastic.E1(25.0) < m.elastic.E1(25.0)
    # the stack average with beta = C alpha is linear in the thermal terms: zero alpha gives zero
    Cs = [a.stiffness(25.0)[0], b.stiffness(25.0)[0]]
    _, beta = stripe_average(Cs, [np.zeros(6), np.zeros(6)], [0.5, 0.5], normal=1)
    assert np.all(beta == 0)


def test_temperature_tables_keep_the_matrix_tg_jump():
    """bt_laminate's CTE steps at Tg = 210 degC: the homogenised CTE steps there too (left and right values);
    between breakpoints the tables are at most 25 K apart, and a breakpoint of the data is a breakpoint of the
    result (there the result is exact)."""
    m = homogenise_layer(library.get("bt_laminate"), library.get("copper"), 0.5, "x")
    below, above = m.cte.z(209.999), m.cte.z(210.0)
    assert above > below * 1.5  # z: 40 -> 220 ppm/K in the matrix
    assert m.Tg == 210.0
    assert np.all(np.diff(np.unique(m.cte.z.T_C)) <= 25.0 + 1e-9)
    # silicon's CTE table (-75 .. 350 degC) gives the breakpoints of a layer of it (with 25 K steps between the
    # 50 K ones above 100 degC); copper's constants add none
    s = homogenise_layer(library.get("silicon"), library.get("copper"), 0.3, "x")
    assert np.all(np.isin(library.get("silicon").cte.x.T_C, s.cte.x.T_C))
    assert s.cte.x.T_C[0] == -75.0 and s.cte.x.T_C[-1] == 350.0 and len(s.cte.x.T_C) == 18
    assert s.cte.x(25.0) == pytest.approx(effective_stiffness(library.get("silicon"), library.get("copper"), 0.3, "x",
                                                              25.0)[1][0], rel=1e-12)


def test_a_package_layer_with_copper_takes_the_orthotropic_path():
    """Carrier 1's core with copper traces along y: its region's material is the derived one, every element of it
    gets that material's stiffness and thermal strain (exactly), and the package solves."""
    raw = mini_package()
    raw["package"]["carriers"]["bottom"]["layers"][1].update(copper_fraction=0.5, traces="y")
    case = api.load_case(raw)
    name = derived_name("bt_laminate", 0.5, "y")
    pmesh, problem = problem_of(case, linear="direct")
    assert pmesh.region_material["carrier1.core"] == name and pmesh.region_material["carrier2.core"] == "bt_laminate"
    C_el, eth_el = problem.element_fields(-40.0)
    core = pmesh.region_elements("carrier1.core")
    mat = case.materials_resolved[name]
    assert np.array_equal(C_el[core], np.broadcast_to(mat.stiffness(-40.0)[0], (len(core), 6, 6)))
    assert mat.elastic.E2(25.0) > 1.5 * mat.elastic.E1(25.0)  # traces along y: stiffer along y (76 vs 40 GPa)
    u = problem.solve(-40.0).u
    assert np.all(np.isfinite(u)) and np.abs(u).max() > 1e-7
