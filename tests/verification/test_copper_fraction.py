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

The resolved reference of those numbers was too coarse in the core (added 2026-12-06): three elements through it
cannot carry the field the traces' edges push into the core, which decays over about a sixth of a pitch below the
interface. With the core graded from the layer's element size (ratio 1.4, :func:`_core_z`) kappa_y falls, on
levels of refinement L0 (2 + 4 + 2 elements per period, 4 through the layer), L1 (twice as fine across and
through) and L2 (four times), five elements along the traces (kappa_y in 1/m; L0 and L1 with ten along: within
0.1 % of five):

    15 um, fraction 0.3: resolved L0 0.4907, L1 0.4610, L2 0.4495 (Richardson from the three: 0.442)
    15 um, fraction 0.6: resolved L0 0.9298, L1 0.9028, L2 0.8882 (Richardson: 0.871)
    40 um, fraction 0.3: resolved L0 1.3933, L1 1.3299, L2 1.3055 (Richardson: 1.290)
    40 um, fraction 0.6: resolved L0 2.0396, L1 1.9620, L2 1.9296 (Richardson: 1.907)

while kappa_x moves by less than 0.3 %. Against L2 the stack average (no pitch; its plate on L0) is +1.3 % / -0.5 %
along the traces but +43 % / -34 % across them (15 um, fractions 0.3 / 0.6).

The unit cell (``trace_pitch``; :mod:`fcpkg_fem.materials.trace_cell`, on the 150 um silicon): the homogenised
plate on L1 (its curvatures on L1 and L2 agree to 0.05 %) against the resolved L2, measured 2026-12-06 (kappa in
1/m, resolved L2 -> unit cell):

    15 um, fraction 0.3: kappa_x 1.4430 -> 1.4425 (-0.03 %), kappa_y 0.4495 -> 0.4502 (+0.17 %)
    15 um, fraction 0.6: kappa_x 2.2678 -> 2.2672 (-0.03 %), kappa_y 0.8882 -> 0.8909 (+0.30 %)
    40 um, fraction 0.3: kappa_x 3.3776 -> 3.3760 (-0.05 %), kappa_y 1.3055 -> 1.3030 (-0.19 %)
    40 um, fraction 0.6: kappa_x 4.5111 -> 4.5096 (-0.03 %), kappa_y 1.9296 -> 1.9407 (+0.58 %)

Within 2 % across and along for both fractions and both pitch-to-thickness ratios (6.7, 2.5):
:func:`test_unit_cell_layer_warps_as_the_resolved_stripes` (slow). What is left: the resolved kappa_y still falls
with refinement (L1 -> L2 by 1.6-2.5 %), and extrapolated it lies 1.0-2.3 % below the unit cell's (the cell +1.8 %,
+2.3 %, +1.0 %, +1.8 % in the order above), so against a converged resolved plate the 2 % is met narrowly or not
(15 um, fraction 0.6). One term the cell leaves out is of that order (estimated, not verified): in the cell the
layer's thermal force across the traces acts at 0.41-0.47 of its thickness above the interface (the field the
traces push into the core pulls it down), in a homogeneous layer at 0.5, which shifts its moment about the core's
mid-plane by 1-4 %; kappa_y goes with the across moment less the Poisson-weighted along moment, so it moves more.

Also here: the case path (a laminate layer with ``copper_fraction``, with and without ``trace_pitch``) makes the same
material, the averages reduce to the closed forms they must (one phase; iso-strain along the traces with equal
Poisson ratios), and the unit cell to the pure materials and, for narrow stripes, to the stack.
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
from fcpkg_fem.errors import InputError
from fcpkg_fem.materials.homogenise import (TraceCell, derived_name, effective_stiffness, homogenise_layer,
                                            stripe_average)
from fcpkg_fem.materials.model import CTE, Isotropic, Material
from fcpkg_fem.materials.trace_cell import layer_response, plane_stress
from fcpkg_fem.solve.mechanical import MechanicalProblem

HALF = 2.0e-3  # half the plate width, m
PITCH = 100e-6  # trace pitch, m
T_CORE, T_LAYER = 150e-6, 15e-6  # a trace layer is 10-35 um of copper
T_SF, T = 25.0, -40.0
TOL = 0.02  # issue 17's acceptance
ACROSS_ENVELOPE = 0.6  # measured 12 % and 48 % across the traces (module docstring): a regression guard only


def _core_z(h0: float, ratio: float) -> np.ndarray:
    """Core nodes (m) from the interface down: the first element h0 thick, each next one ``ratio`` times thicker
    (at most 50 um), so that the core resolves the traces' local field under the interface."""
    z = [T_CORE]
    h = h0
    while z[-1] > 0:
        z.append(z[-1] - h)
        h = min(h * ratio, 50e-6)
    if z[-2] < 0.3 * h0 * ratio:  # no sliver at the bottom
        z.pop(-2)
    z[-1] = 0.0
    return np.array(z[::-1])


def _mesh(fraction: float, pitch: float = PITCH, t_layer: float = T_LAYER, n_cu: int = 2, n_mask: int = 4,
          n_layer: int = 4, grade: float | None = None, nx: int = 10):
    """Structured hex mesh of the quarter plate; element -> 0 core, 1 copper, 2 mask (by the centroid's y).

    Per period across the traces: half a trace (``n_cu`` elements), the mask (``n_mask``), half a trace; ``n_layer``
    elements through the layer; through the core 3 (``grade`` None, the mesh of the 2026-12-06 measurements) or
    graded from the layer's element size by ``grade``; ``nx`` along the traces (the fields vary along them only by
    the bending)."""
    w_cu = fraction * pitch
    period = np.concatenate([np.linspace(0.0, w_cu / 2, n_cu + 1),
                             w_cu / 2 + np.linspace(0.0, pitch - w_cu, n_mask + 1)[1:],
                             pitch - w_cu / 2 + np.linspace(0.0, w_cu / 2, n_cu + 1)[1:]])
    ys = np.unique(np.round(np.concatenate([period + k * pitch for k in range(int(round(HALF / pitch)))]),
                            13))  # 0.1 pm: the periods' ends meet
    xs = np.linspace(0.0, HALF, nx + 1)
    core = np.linspace(0.0, T_CORE, 4) if grade is None else _core_z(t_layer / n_layer, grade)
    zs = np.concatenate([core, T_CORE + np.linspace(0.0, t_layer, n_layer + 1)[1:]])
    m = MeshHex.init_tensor(xs, ys, zs)
    m = m.with_boundaries({"sym_x0": lambda x: x[0] < 1e-12, "sym_y0": lambda x: x[1] < 1e-12})
    c = m.p[:, m.t].mean(axis=1)
    in_layer = c[2] > T_CORE
    yy = np.mod(c[1], pitch)
    is_cu = in_layer & ((yy < w_cu / 2) | (yy > pitch - w_cu / 2))
    region = np.where(~in_layer, 0, np.where(is_cu, 1, 2))
    return m, region


def _curvatures(fraction: float, layer: Material | None, **mesh) -> tuple[float, float]:
    """(kappa_x, kappa_y) in 1/m of the bottom face: resolved stripes (layer None) or the homogenised layer;
    ``mesh``: :func:`_mesh`'s keywords."""
    m, region = _mesh(fraction, **mesh)
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


# the resolved reference of the unit-cell checks (level 2 of the module docstring): eight half-trace and sixteen
# mask elements per period, sixteen through the layer, the core graded from there by 1.4, five along the traces;
# the homogenised plate on level 1 (its curvatures on levels 1 and 2 agree to 0.05 %)
REFINED = dict(n_cu=8, n_mask=16, n_layer=16, grade=1.4, nx=5)
HOMOGENISED = dict(n_cu=4, n_mask=8, n_layer=8, grade=1.4, nx=5)


@pytest.mark.slow
@pytest.mark.parametrize("fraction, t_layer", [(0.3, 15e-6), (0.6, 15e-6), (0.3, 40e-6), (0.6, 40e-6)])
def test_unit_cell_layer_warps_as_the_resolved_stripes(fraction, t_layer):
    """With the trace pitch (the unit cell on the silicon below) both curvatures within 2 % of the resolved plate
    on :data:`REFINED` (issue 17's acceptance), across the traces too, for fractions 0.3 and 0.6 and pitch over
    thickness 6.7 and 2.5 (measured numbers and how far the resolved plate still moves: module docstring). About
    6-10 min per case on one core."""
    cell = TraceCell(PITCH, t_layer, library.get("silicon"))
    layer = homogenise_layer(library.get("solder_mask"), library.get("copper"), fraction, "x", cell=cell)
    kr = np.array(_curvatures(fraction, None, t_layer=t_layer, **REFINED))
    kh = np.array(_curvatures(fraction, layer, t_layer=t_layer, **HOMOGENISED))
    diff = (kh - kr) / np.abs(kr)
    print(f"\ncopper fraction {fraction}, layer {t_layer * 1e6:g} um: kappa_x, kappa_y resolved {kr} 1/m, "
          f"unit cell {kh} 1/m, difference {100 * diff} %")
    assert np.all(np.abs(diff) < TOL), diff


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


def _phases(T: float = 25.0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Voigt stiffnesses (Pa) and thermal stresses (Pa/K) of [silicon, solder_mask, copper] at T (degC)."""
    ms = [library.get(n) for n in ("silicon", "solder_mask", "copper")]
    C = [m.stiffness(T)[0] for m in ms]
    return C, [c @ np.concatenate([m.cte.tangent(T)[0], np.zeros(3)]) for c, m in zip(C, ms)]


def test_unit_cell_limits():
    """Fraction 0 and 1: the cell is a uniform film under plane stress, on a rigid or a silicon substrate: exactly
    the pure material's plane-stress stiffness and thermal stress (1e-9, round-off). Narrow stripes (pitch a
    hundredth of the thickness) recover the fine-stack (Backus) average: measured (2026-12-06) Q_yy +0.96 % / +1.77 %
    and b_y +0.13 % / +0.57 % at fractions 0.3 / 0.6, and the error shrinks with the pitch (a boundary layer about a
    pitch thick at the bottom and top, resolved only as the mesh, 32 x 12 here, allows): asserted 2.5 % and 1 %."""
    C, beta = _phases()
    for f, k in ((0.0, 1), (1.0, 2)):
        Qp, bp = plane_stress(C[k], beta[k])
        for depth in (0.0, None):
            Q, b = layer_response(PITCH, f, T_LAYER, C, beta, depth=depth, n_across=8, n_through=4)
            assert np.allclose(Q, Qp, rtol=1e-9) and np.allclose(b, bp, rtol=1e-9), (f, depth)
    for f in (0.3, 0.6):
        Cb, ab = effective_stiffness(library.get("solder_mask"), library.get("copper"), f, "x", 25.0)
        Qb, bb = plane_stress(Cb, Cb @ ab)
        err = []
        for ratio in (0.1, 0.01):
            Q, b = layer_response(ratio * T_LAYER, f, T_LAYER, C, beta, n_across=32, n_through=12)
            err.append((np.abs(Q / Qb - 1).max(), np.abs(b / bb - 1).max()))
        assert err[1][0] < 0.025 and err[1][1] < 0.01, err
        assert err[1][0] < err[0][0], err


def test_unit_cell_is_deep_and_fine_enough():
    """The block under the layer one pitch deep (the default) against two pitches: the same to 0.1 % (the traces'
    local field has decayed). The default mesh (64 across, 24 through) against half as fine: Q_yy and b_y within
    1 % (measured 2026-12-06 at fraction 0.6: +0.37 %, +0.27 % for the coarser; twice as fine as the default moves
    them -0.16 % and -0.12 %: the corners' singularities converge slowly, but monotonically)."""
    C, beta = _phases()
    coarse = dict(n_across=32, n_through=12)
    Qc, bc = layer_response(PITCH, 0.6, T_LAYER, C, beta, **coarse)
    Q2, b2 = layer_response(PITCH, 0.6, T_LAYER, C, beta, depth=2 * PITCH, **coarse)
    assert np.allclose(Qc, Q2, rtol=1e-3) and np.allclose(bc, b2, rtol=1e-3)
    Q1, b1 = layer_response(PITCH, 0.6, T_LAYER, C, beta)
    assert 0 < Qc[1, 1] / Q1[1, 1] - 1 < 0.01 and 0 < bc[1] / b1[1] - 1 < 0.01
    # the silicon under the traces yields: across the traces the layer is far softer than on a rigid substrate
    Qr, br = layer_response(PITCH, 0.6, T_LAYER, C, beta, depth=0.0, **coarse)
    assert Qr[1, 1] > 1.3 * Qc[1, 1] and br[1] > 1.3 * bc[1]


def test_the_case_path_with_a_trace_pitch():
    """``trace_pitch`` makes the unit cell's material on the neighbouring (thicker) layer, named per layer; without
    it the material is the stack average as before; a layer alone in its stack cannot take one (refused, naming
    the field)."""
    raw = laminate_case([("core", "silicon", 150), ("sig", "solder_mask", 15)], symmetry="quarter")
    raw["laminate"]["layers"][1].update({"copper_fraction": 0.6, "traces": "y", "trace_pitch": "100 um"})
    case = api.load_case(raw)
    layer = case.laminate.layers[1]
    assert layer.material == "solder_mask+cu0.6y_p100um@layer.sig" and layer.trace_pitch == pytest.approx(1e-4)
    got = case.materials_resolved[layer.material]
    want = homogenise_layer(library.get("solder_mask"), library.get("copper"), 0.6, "y",
                            cell=TraceCell(PITCH, T_LAYER, library.get("silicon")))
    assert got.elastic.E1(25.0) == want.elastic.E1(25.0) and got.cte.x(-40.0) == want.cte.x(-40.0)
    assert "unit cell" in got.sources["E"] and "silicon" in got.sources["E"]
    stack = homogenise_layer(library.get("solder_mask"), library.get("copper"), 0.6, "y")
    assert got.elastic.E1(25.0) > 2.0 * stack.elastic.E1(25.0)  # across (x): the cell's, not the stack's
    assert got.elastic.E2(25.0) == pytest.approx(stack.elastic.E2(25.0), rel=0.03)  # along: close to the stack's
    assert got.elastic.E3(25.0) == pytest.approx(stack.elastic.E3(25.0), rel=1e-9)  # through: the stack's
    raw = laminate_case([("sig", "solder_mask", 15)], symmetry="quarter")
    raw["laminate"]["layers"][0].update({"copper_fraction": 0.3, "traces": "x", "trace_pitch": "100 um"})
    with pytest.raises(InputError) as err:
        api.load_case(raw)
    assert [p.field for p in err.value.problems] == ["laminate.layers.0.trace_pitch"]
