"""Issue 19's cut-boundary and convergence acceptance of a submodel (docs/submodel.md, "Cut boundary and
convergence"; the same runs as benchmarks/bench_submodel_study.py).

The global model is the submodel tests' coarse ``reference_reflow`` (tests/support/coarse.py: 6,869 hex8i
elements, one row of bumps per die at a 2 mm pitch) joined with Anand bumps and cycled three times by JESD22-A104
G (-40/125 degC; two complete cycles), default Newton tolerances. It runs once, recording the union of the
two-pitch boxes of die 1's bumps; every submodel is cut out of that record. The joint is the global run's
critical bump of die 1 (the largest pad-layer dW per cycle). Quantities: the submodel's dW per cycle over the last
complete cycle, in the pad layer (the Darveaux/Syed averaging volume: the elements within 25.4 um of the pad, the
refinement putting a node plane there) and over the whole joint. Acceptance: moving the cut from one to two
pitches changes dW per cycle by < 2 %; under three local refinements (``Refinement`` n_xy/n_z/joint_elements
1/1/2, 2/1/4 = ``refine``'s defaults, 4/1/8, pad layer 25.4 um: ratio 2 in plane and through the pad layers; and
the local-mesh ladders) the observed order is positive and the default refinement (since 2026-12-07 the local mesh
at D/4, 1.25 D, 8 layers) lies within 5 % of the Richardson extrapolation (Roache 1994;
:mod:`fcpkg_fem.post.convergence`). Cost on the shared 2-core machine (2026-12-07, load 4-5): the global history
166 s, the coarse submodel 264 s, the default 1,259 s and the two-pitch one 934 s wall; the box meshed afresh
(``LocalMesh``, 20 / 10 / 5 um at the outlines with 2 / 4 / 8 joint layers) 457 / 577 / 4,107 s, its two-pitch cut
1,700 s. Hence slow, and no
default-suite version: the global cycling history alone takes
minutes (the formulas are checked in tests/unit/test_convergence.py).

Re-measured 2026-12-07 afternoon (92b6d50) after the one-pitch box stopped cutting through a die-2 bump (it takes
that bump whole; docs/submodel.md, "The box"): the global history 135 s, the coarse submodel 43 s, the default
505 s, the two-pitch one 685 s; the box meshed afresh 162 / 402 / 1,424 s, its two-pitch cut 1,679 s (two or three
processes on the 2 cores). The cut-out fine level was not re-run: the cut-out ladder's docstring keeps the earlier
box's values.

Re-measured 2026-12-07 late evening (benchmarks/bench_submodel_study.py at 22763a7, the code of 212a4ac) after a
joint a box takes whole got one of its own sizes between it and the cut (``TAKEN_CLEARANCE``; the one-pitch box of
die 1's bump id 5 now reaches x = 2.70 mm instead of 2.80 mm): every value pinned below is of that run, two or three
processes on the 2 cores. The two-pitch boxes cut no joint and did not change; the two-pitch cut-out value moved
-0.13 % since 92b6d50 (the history solver's halving of stalled increments came between), the two-pitch local
mesh at 2 mm not in its sixth digit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.coarse import COARSE_MESH, coarse_pattern
from support.submodel import cycling_steps, record_union

from fcpkg_fem import api
from fcpkg_fem.mesh.remesh import LocalMesh
from fcpkg_fem.mesh.submesh import Refinement
from fcpkg_fem.post.convergence import grid_convergence
from fcpkg_fem.run.submodel import local_mesh_of, run_submodel

ROOT = Path(__file__).resolve().parents[2]
REGION = "bumps.die1"
PAD = 25.4e-6  # m: submodel.refine.pad_layer's default (Darveaux's layer)
CUT_OUT = Refinement(2, 1, 4, PAD)  # submodel.refine's defaults (the section's default method until 2026-12-07)
LADDER = (Refinement(1, 1, 2, PAD), CUT_OUT, Refinement(4, 1, 8, PAD))  # coarse, medium, fine: ratio 2
FAR = 400e-6  # m: local_mesh.size on every level of the local ladder
LOCAL = (LocalMesh(20e-6, FAR, 2, PAD), LocalMesh(10e-6, FAR, 4, PAD), LocalMesh(5e-6, FAR, 8, PAD))


@pytest.fixture(scope="module")
def study():
    path = ROOT / "cases" / "reference_reflow.yaml"
    case = api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path)) + [
        cycling_steps(3), "solver.max_temperature_increment=100 K", "models={bumps: anand}", "output.plots=false",
        "output.vtu=false"])
    pm, run, record = record_union(case, REGION, 2.0)
    joint = (REGION, int(run.life["cycling"][REGION]["critical"]["id"]))

    done = {}

    def dw(box_pitches: float, refine: Refinement | LocalMesh) -> dict:
        """The submodel's dW per cycle (MJ/m^3): ``layer`` (pad layer), ``volume`` (whole joint); each run once."""
        key = (box_pitches, repr(refine))
        if key not in done:
            res = run_submodel(case, record, joint, box_pitches, refine, pmesh=pm, fields="report")
            c = res.life["cycling"][REGION]["critical"]
            assert c["id"] == joint[1]  # its own joint (the submodel hides the others)
            done[key] = {"layer": c["dW_layer_MJ_m3"], "volume": c["dW_volume_MJ_m3"]}
        return done[key]

    return joint, dw


@pytest.mark.slow
def test_moving_the_cut_to_two_pitches_changes_dw_per_cycle_by_less_than_2_percent(study):
    """The cut-out refinement 2/1/4 (pad layer 25.4 um) with the cut at one pitch (5,760 elements) and at two (22,520).
    Measured (2026-12-07, bumps.die1 id 5, 22763a7): pad layer (upper interface) 0.071771 -> 0.071845 MJ/m^3
    (+0.10 %), whole joint 0.050561 -> 0.050669 (+0.21 %); acceptance < 2 %. (With the taken die-2 bump flush
    with the one-pitch cut: +1.51 % and +1.05 %.) The values are pinned to 1e-3
    relative: the default Newton tolerance leaves ~2e-5 (the unrefined submodel against the global run), so a
    change of the model, the boundary or the life bookkeeping beyond that shows."""
    joint, dw = study
    assert joint == (REGION, 5)
    one, two = dw(1.0, CUT_OUT), dw(2.0, CUT_OUT)
    for key in ("layer", "volume"):
        assert abs(two[key] / one[key] - 1.0) < 0.02, (key, one[key], two[key])
    assert one["layer"] == pytest.approx(0.071771, rel=1e-3) and one["volume"] == pytest.approx(0.050561, rel=1e-3)
    assert two["layer"] == pytest.approx(0.071845, rel=1e-3) and two["volume"] == pytest.approx(0.050669, rel=1e-3)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured 2026-12-07: the pad-layer dW falls 2.4 % and 4.1 % per level, not yet "
                                       "convergent; the whole joint's default is +21.5 % from Richardson (issue 19)")
def test_the_cut_out_refinement_is_within_5_percent_of_the_extrapolated_dw(study):
    """The ladder 1/1/2, 2/1/4 (``refine``'s defaults), 4/1/8, pad layer at 25.4 um, cut at one pitch: observed order,
    Richardson value and GCI of the joint's dW per cycle in the pad layer (the life models' input: the same
    25.4 um volume on every level) and over the whole joint. Measured (2026-12-07, 22763a7): pad layer 0.073530,
    0.071771, 0.068809 MJ/m^3 (falls by 2.4 % and 4.1 %: the differences grow, no extrapolation); whole joint
    0.065717, 0.050561, 0.044941: p = 1.43, Richardson 0.041629, GCI_fine 9.2 %, the default +21.5 % from it. (With
    the box that cut a die-2 bump, 3e23bc9: the same picture.) So this FAILS
    at the coarse global mesh (the bump is 4 elements in plane there; docs/submodel.md, "Cut boundary and
    convergence"). The criterion is the issue's and is not loosened; it is marked xfail (strict: a pass is news)
    until the refinement resolves the joint. A section without ``refine`` now meshes the box afresh instead
    (test_the_default_local_mesh_is_within_5_percent_of_the_extrapolated_dw below)."""
    _, dw = study
    for key in ("layer", "volume"):
        g = grid_convergence(*(dw(1.0, r)[key] for r in LADDER), r=2.0)
        assert g["p"] is not None and g["p"] > 0, (key, g)
        assert abs(g["medium_to_extrapolated"]) < 0.05, (key, g)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured 2026-12-07: the box meshed afresh changes its dW per cycle by +6.45 % "
                                       "(pad layer) and -4.79 % (joint) when the cut moves to two pitches (issue 19)")
def test_a_box_meshed_afresh_keeps_its_dw_when_the_cut_moves_to_two_pitches(study):
    """The medium local mesh (10 um at the outlines, 400 um away, 4 layers through the joint, pad layer 25.4 um)
    cut at one pitch (8,970 elements; measured 2026-12-07, 22763a7) and at two (53,012; 92b6d50, its box unchanged
    since and its 2 mm twin equal to six digits at 22763a7): pad layer 0.063787 -> 0.067900 MJ/m^3 (+6.45 %), whole
    joint 0.040965 -> 0.039003 (-4.79 %): far more than the cut-out model's +0.10 % and +0.21 %. A fresh mesh in
    the box is stiffer or softer than the coarse global elements whose displacement drives its cut faces (the
    global bump is 4 elements across and the cut 1 mm away, in a 1 mm global mesh), so the box must reach farther
    than the cut-out model's, or be fine everywhere (the next test); the criterion (< 2 %) is the issue's and stays,
    marked xfail (strict) until then."""
    _, dw = study
    one, two = dw(1.0, LOCAL[1]), dw(2.0, LOCAL[1])
    for key in ("layer", "volume"):
        assert abs(two[key] / one[key] - 1.0) < 0.02, (key, one[key], two[key])


@pytest.mark.slow
def test_a_box_meshed_afresh_fine_away_from_the_outlines_keeps_its_dw_when_the_cut_moves(study):
    """The medium outline size (10 um, 4 layers through the joint) with the one-pitch box meshed at 100 um away
    from the outlines (14,760 elements) against the two-pitch box of the test above (53,012 elements), whose dW
    does not depend on that size (0.005 % between 2 mm and 400 um: its neighbours' outlines make it fine
    everywhere). Measured (2026-12-07, 22763a7, benchmarks/bench_submodel_study.py on the same record): pad layer
    0.067518 -> 0.067900 MJ/m^3 (+0.57 %), whole joint 0.038769 -> 0.039003 (+0.60 %): the criterion (< 2 %) holds;
    at 400 um the one-pitch box's far field, not its cut, moved the result (docs/submodel.md, "What the one-pitch
    box lacked"). Values pinned to 1e-3 relative, as above."""
    _, dw = study
    one, two = dw(1.0, LocalMesh(10e-6, 100e-6, 4, PAD)), dw(2.0, LOCAL[1])
    for key in ("layer", "volume"):
        assert abs(two[key] / one[key] - 1.0) < 0.02, (key, one[key], two[key])
    assert one["layer"] == pytest.approx(0.067518, rel=1e-3) and one["volume"] == pytest.approx(0.038769, rel=1e-3)


def _local_ladder(dw, key: str) -> dict:
    return grid_convergence(*(dw(1.0, r)[key] for r in LOCAL), r=2.0)


@pytest.mark.slow
def test_a_box_meshed_afresh_converges_over_the_whole_joint(study):
    """The local-mesh ladder (10 um x 2^-k at the outlines, 2, 4, 8 layers through the joint, pad layer 25.4 um,
    400 um away, cut at one pitch): the whole joint's dW per cycle 0.046649, 0.040965, 0.040876 MJ/m^3 (measured
    2026-12-07, 22763a7): p = 6.00 (the coarse level outside the asymptotic range), Richardson 0.040874, the medium
    level +0.22 % from it and from the fine level: issue 19's criterion (observed order positive, the medium level
    within 5 %) holds over the joint. The far field held at 400 um carries its own error, which this ladder does
    not see (test_a_box_meshed_afresh_refined_with_its_far_field_converges below). The values are pinned to 1e-3
    relative, as the cut-out ladder's (the default Newton tolerance leaves ~2e-5)."""
    _, dw = study
    g = _local_ladder(dw, "volume")
    assert g["p"] is not None and g["p"] > 0 and abs(g["medium_to_extrapolated"]) < 0.05, g
    for r, v in zip(LOCAL, (0.046649, 0.040965, 0.040876)):
        assert dw(1.0, r)["volume"] == pytest.approx(v, rel=1e-3)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured 2026-12-07: the pad layer converges (p = 1.88) but the medium local "
                                       "mesh is +5.50 % from Richardson (the fine +1.49 %) (issue 19)")
def test_a_box_meshed_afresh_converges_in_the_pad_layer(study):
    """The same ladder in the 25.4 um pad layer (the life models' input): 0.072718, 0.063787, 0.061365 MJ/m^3
    (measured 2026-12-07, 22763a7): p = 1.88, Richardson 0.060463, GCI_fine 1.84 %, the medium level +5.50 % from
    it. It converges (the cut-out ladder did not), but the medium level misses 5 % by 0.5 points: strict xfail on
    the issue's criterion."""
    _, dw = study
    g = _local_ladder(dw, "layer")
    assert g["p"] is not None and g["p"] > 0 and abs(g["medium_to_extrapolated"]) < 0.05, g


WITH_FAR = (LocalMesh(20e-6, 200e-6, 2, PAD), LocalMesh(10e-6, 100e-6, 4, PAD), LocalMesh(5e-6, 50e-6, 8, PAD))


@pytest.mark.slow
def test_a_box_meshed_afresh_refined_with_its_far_field_converges(study):
    """The ladder that refines the outlines, the layers through the joint and the far field together (20/200,
    10/100, 5/50 um; 2, 4, 8 layers; pad layer 25.4 um; cut at one pitch; 5,655, 14,760, 54,420 elements).
    Measured (2026-12-07, 22763a7): whole joint 0.046091, 0.038769, 0.037238 MJ/m^3: p = 2.26, Richardson
    0.036834, GCI_fine 1.36 %; pad layer 0.079272, 0.067518, 0.064250: p = 1.85, Richardson 0.062992, GCI_fine
    2.45 %. Both orders are near the 2 of trilinear elements (the 400 um ladder's 6.00 over the joint was not),
    so this ladder is in its asymptotic range; the fine level is within 2.0 % (pad layer) and 1.1 % (joint) of the
    limit. Pinned to 1e-3 relative, as above; the medium level's distance: the next test."""
    _, dw = study
    for key, values in (("volume", (0.046091, 0.038769, 0.037238)), ("layer", (0.079272, 0.067518, 0.064250))):
        got = [dw(1.0, r)[key] for r in WITH_FAR]
        for g, v in zip(got, values):
            assert g == pytest.approx(v, rel=1e-3), (key, got)
        conv = grid_convergence(*got, r=2.0)
        assert conv["p"] is not None and 1.0 < conv["p"] < 3.0, (key, conv)
        assert abs(conv["fine_to_extrapolated"]) < 0.05, (key, conv)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured 2026-12-07: the medium level (10 um / 100 um) is +5.25 % (joint) and "
                                       "+7.19 % (pad layer) from Richardson (issue 19)")
def test_the_medium_box_meshed_afresh_with_its_far_field_is_within_5_percent(study):
    """Issue 19's criterion on the ladder above: the medium level (10 um at the outlines, 100 um away, 4 layers;
    376 s here) within 5 % of the extrapolated dW per cycle. It misses: +5.25 % over the joint, +7.19 % in the pad
    layer (the fine level, 1,392 s, would meet it). Its 4 layers through the joint are why (the one-factor test
    below); the default local mesh has 8 and meets it (below)."""
    _, dw = study
    for key in ("volume", "layer"):
        conv = grid_convergence(*(dw(1.0, r)[key] for r in WITH_FAR), r=2.0)
        assert abs(conv["medium_to_extrapolated"]) < 0.05, (key, conv)


def _default_local_mesh() -> LocalMesh:
    """The local mesh a ``submodel:`` section without ``refine`` or sizes gives die 1's 80 um bump, read from the
    schema (so that this test follows the default): D/4 and 1.25 D, 8 layers, pad layer 25.4 um."""
    path = ROOT / "cases" / "reference_reflow.yaml"
    case = api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path)) + [
        "submodel={joints: [{region: bumps.die1, id: 5}]}"])
    return local_mesh_of(case, REGION)


@pytest.mark.slow
def test_the_default_local_mesh_is_within_5_percent_of_the_extrapolated_dw(study):
    """Issue 19's criterion for the default refinement: the default local mesh (20 um at the outlines, 100 um away,
    8 layers through the joint, pad layer 25.4 um; 15,520 elements, 331 s) against the limit of the ladder that
    refines everything together (above: 0.036834 over the joint, 0.062992 in the pad layer). Measured (2026-12-07,
    8b65415, benchmarks/bench_submodel_study.py ``bp1-local-coarse-100um-8``): whole joint 0.037106 MJ/m^3
    (+0.74 %), pad layer 0.063100 (+0.17 %). At 10 um in plane (19,680 elements, 413 s) they were -0.22 % and
    +0.87 %: the in-plane size moves them by about 1 %, within the ladder's GCI. Pinned to 1e-3 relative."""
    _, dw = study
    default = _default_local_mesh()
    assert default == LocalMesh(20e-6, 100e-6, 8, PAD)
    got = dw(1.0, default)
    for key, pinned in (("volume", 0.037106), ("layer", 0.063100)):
        conv = grid_convergence(*(dw(1.0, r)[key] for r in WITH_FAR), r=2.0)
        assert abs(got[key] / conv["extrapolated"] - 1.0) < 0.05, (key, got[key], conv)
        assert got[key] == pytest.approx(pinned, rel=1e-3)


@pytest.mark.slow
def test_the_medium_levels_error_is_in_the_layers_through_the_joint(study):
    """Which factor the medium level's +5.25 % / +7.19 % comes from, one at a time from 10 um / 100 um / 4
    layers (measured 2026-12-07, 8b65415; joint, pad layer): the far field at 50 um +0.26 %, +0.08 % (0.038869,
    0.067575 MJ/m^3) and 5 um at the outlines +1.24 %, +0.43 % (0.039251, 0.067809): neither is the cause; 6
    layers -3.66 %, -4.23 % (0.037351, 0.064665) and 8 layers -5.20 %, -5.89 % (0.036752, 0.063543): the pad
    layers' 2, 3, 4 elements through their thickness were. Hence the default's 8 layers. Pinned to 1e-3
    relative."""
    _, dw = study
    base = dw(1.0, LocalMesh(10e-6, 100e-6, 4, PAD))
    others = {"far": (LocalMesh(10e-6, 50e-6, 4, PAD), 0.038869, 0.067575),
              "outlines": (LocalMesh(5e-6, 100e-6, 4, PAD), 0.039251, 0.067809),
              "6 layers": (LocalMesh(10e-6, 100e-6, 6, PAD), 0.037351, 0.064665),
              "8 layers": (LocalMesh(10e-6, 100e-6, 8, PAD), 0.036752, 0.063543)}
    got = {k: dw(1.0, m) for k, (m, _, _) in others.items()}
    for k, (_, vol, layer) in others.items():
        assert got[k]["volume"] == pytest.approx(vol, rel=1e-3) and got[k]["layer"] == pytest.approx(layer, rel=1e-3)
    for key in ("volume", "layer"):
        for k in ("far", "outlines"):
            assert abs(got[k][key] / base[key] - 1.0) < 0.015, (k, key, base[key], got[k][key])
        assert base[key] > got["6 layers"][key] > got["8 layers"][key], (key, base[key], got)
        assert got["8 layers"][key] / base[key] - 1.0 < -0.04, (key, base[key], got["8 layers"][key])


@pytest.mark.slow
def test_the_default_local_mesh_keeps_its_dw_when_the_cut_moves_to_two_pitches(study):
    """The default local mesh (20 um / 100 um / 8 layers) cut at one pitch (15,520 elements) and at two (68,456;
    1,731 s). Measured (2026-12-07, 8b65415, benchmarks/bench_submodel_study.py ``bp2-local-coarse-100um-8``): pad
    layer 0.063100 -> 0.063688 MJ/m^3 (+0.93 %), whole joint 0.037106 -> 0.037524 (+1.13 %); acceptance < 2 %.
    Pinned to 1e-3 relative, as above."""
    _, dw = study
    one, two = dw(1.0, _default_local_mesh()), dw(2.0, _default_local_mesh())
    for key in ("layer", "volume"):
        assert abs(two[key] / one[key] - 1.0) < 0.02, (key, one[key], two[key])
    assert two["layer"] == pytest.approx(0.063688, rel=1e-3) and two["volume"] == pytest.approx(0.037524, rel=1e-3)


@pytest.fixture(scope="module")
def column_record():
    """The study's global history with the fast global model (``mesh.interconnect: column``: each bump a square
    column of its disk's area): (case, pmesh, the union record of die 1's two-pitch boxes)."""
    path = ROOT / "cases" / "reference_reflow.yaml"
    case = api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path)) + [
        cycling_steps(3), "solver.max_temperature_increment=100 K", "models={bumps: anand}", "output.plots=false",
        "output.vtu=false", "mesh.interconnect=column"])
    pm, _, record = record_union(case, REGION, 2.0)
    return case, pm, record


@pytest.mark.slow
def test_the_column_global_model_drives_the_default_submodel_to_the_resolved_models_dw(study, column_record):
    """Issue 19's global-local claim: the submodel, not the global model, resolves the joint, so a cheap global
    model that gets the package's deformation right gives the same submodel dW. The default local mesh of the
    critical bump (id 5; 20 um / 100 um / 8 layers; its local mesh is resolved disks either way) driven by the
    column model (3,579 elements, its history 35 s) against the same submodel driven by the resolved model
    (6,869 elements, 121 s). Measured (2026-12-08, 5c17cc0, benchmarks/bench_submodel_study.py ``--interconnect
    column --joint 5``): pad layer 0.063352 MJ/m^3 (resolved-driven 0.063100, +0.40 %), whole joint 0.037302
    (0.037106, +0.53 %), while the column model's own joint average is 0.0246 against the resolved model's 0.0705
    (a column of one element smears the joint's strain). Within 1 %: the default's own distance from the
    extrapolated value is 0.74 % (above). Pinned to 1e-3 relative, as above."""
    joint, dw = study
    case, pm, record = column_record
    res = run_submodel(case, record, joint, 1.0, _default_local_mesh(), pmesh=pm, fields="report")
    c = res.life["cycling"][REGION]["critical"]
    assert c["id"] == joint[1]
    resolved = dw(1.0, _default_local_mesh())
    for key, got, pinned in (("layer", c["dW_layer_MJ_m3"], 0.063352), ("volume", c["dW_volume_MJ_m3"], 0.037302)):
        assert abs(got / resolved[key] - 1.0) < 0.01, (key, got, resolved[key])
        assert got == pytest.approx(pinned, rel=1e-3)
