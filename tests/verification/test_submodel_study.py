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
1/1/2, 2/1/4 = the default, 4/1/8, pad layer 25.4 um: ratio 2 in plane and through the pad layers) the observed
order is positive and the default lies within 5 % of the Richardson extrapolation (Roache 1994;
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
from fcpkg_fem.run.submodel import run_submodel

ROOT = Path(__file__).resolve().parents[2]
REGION = "bumps.die1"
PAD = 25.4e-6  # m: submodel.refine.pad_layer's default (Darveaux's layer)
DEFAULT = Refinement(2, 1, 4, PAD)  # the case section's defaults (docs/case_format.md, submodel.refine)
LADDER = (Refinement(1, 1, 2, PAD), DEFAULT, Refinement(4, 1, 8, PAD))  # coarse, medium, fine: ratio 2
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
    """The default refinement (pad layer 25.4 um) with the cut at one pitch (5,580 elements) and at two (22,520).
    Measured (2026-12-07, bumps.die1 id 5, 92b6d50): pad layer (upper interface) 0.070864 -> 0.071937 MJ/m^3
    (+1.51 %), whole joint 0.050261 -> 0.050787 (+1.05 %); acceptance < 2 %. The values are pinned to 1e-3
    relative: the default Newton tolerance leaves ~2e-5 (the unrefined submodel against the global run), so a
    change of the model, the boundary or the life bookkeeping beyond that shows."""
    joint, dw = study
    assert joint == (REGION, 5)
    one, two = dw(1.0, DEFAULT), dw(2.0, DEFAULT)
    for key in ("layer", "volume"):
        assert abs(two[key] / one[key] - 1.0) < 0.02, (key, one[key], two[key])
    assert one["layer"] == pytest.approx(0.070864, rel=1e-3) and one["volume"] == pytest.approx(0.050261, rel=1e-3)
    assert two["layer"] == pytest.approx(0.071937, rel=1e-3) and two["volume"] == pytest.approx(0.050787, rel=1e-3)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured 2026-12-07: the pad-layer dW falls 3.8 % and 4.1 % per level, not yet "
                                       "convergent; the whole joint's default is +21.4 % from Richardson (issue 19)")
def test_the_default_refinement_is_within_5_percent_of_the_extrapolated_dw(study):
    """The ladder 1/1/2, 2/1/4 (the default), 4/1/8 with the pad layer at 25.4 um, cut at one pitch: observed order,
    Richardson value and GCI of the joint's dW per cycle in the pad layer (the life models' input: the same
    25.4 um volume on every level) and over the whole joint. Measured (2026-12-07, 3e23bc9, with the box that cut
    a die-2 bump; its coarse and default levels since moved by 0.01-0.25 %): pad layer 0.073609,
    0.070823, 0.067899 MJ/m^3 (falls by 3.8 % and 4.1 %: p = -0.07, no extrapolation); whole joint 0.065725,
    0.050137, 0.044493: p = 1.47, Richardson 0.041288, GCI_fine 9.0 %, the default +21.4 % from it. So this FAILS
    at the coarse global mesh (the bump is 4 elements in plane there; docs/submodel.md, "Cut boundary and
    convergence"). The criterion is the issue's and is not loosened; it is marked xfail (strict: a pass is news)
    until the refinement resolves the joint."""
    _, dw = study
    for key in ("layer", "volume"):
        g = grid_convergence(*(dw(1.0, r)[key] for r in LADDER), r=2.0)
        assert g["p"] is not None and g["p"] > 0, (key, g)
        assert abs(g["medium_to_extrapolated"]) < 0.05, (key, g)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured 2026-12-07: the box meshed afresh changes its dW per cycle by +6.27 % "
                                       "(pad layer) and -5.21 % (joint) when the cut moves to two pitches (issue 19)")
def test_a_box_meshed_afresh_keeps_its_dw_when_the_cut_moves_to_two_pitches(study):
    """The medium local mesh (10 um at the outlines, 400 um away, 4 layers through the joint, pad layer 25.4 um)
    cut at one pitch (8,205 elements) and at two (53,012). Measured (2026-12-07, 92b6d50): pad layer 0.063894 ->
    0.067900 MJ/m^3 (+6.27 %), whole joint 0.041146 -> 0.039003 (-5.21 %): the cut-out model's +1.51 % and +1.05 %
    become four to five times larger. A fresh mesh in the box is stiffer or softer than the coarse global elements whose
    displacement drives its cut faces (the global bump is 4 elements across and the cut 1 mm away, in a 1 mm
    global mesh), so the box must reach farther than the cut-out model's; the criterion (< 2 %) is the issue's and
    stays, marked xfail (strict) until then."""
    _, dw = study
    one, two = dw(1.0, LOCAL[1]), dw(2.0, LOCAL[1])
    for key in ("layer", "volume"):
        assert abs(two[key] / one[key] - 1.0) < 0.02, (key, one[key], two[key])


@pytest.mark.slow
def test_a_box_meshed_afresh_fine_away_from_the_outlines_keeps_its_dw_when_the_cut_moves(study):
    """The medium outline size (10 um, 4 layers through the joint) with the one-pitch box meshed at 100 um away
    from the outlines (13,875 elements) against the two-pitch box of the test above (53,012 elements), whose dW
    does not depend on that size (0.005 % between 2 mm and 400 um: its neighbours' outlines make it fine
    everywhere). Measured (2026-12-07, evening, benchmarks/bench_submodel_study.py on the same record): pad layer
    0.067538 -> 0.067900 MJ/m^3 (+0.53 %), whole joint 0.038772 -> 0.039003 (+0.60 %): the criterion (< 2 %) holds;
    at 400 um the one-pitch box's far field, not its cut, moved the result (docs/submodel.md, "What the one-pitch
    box lacked"). Values pinned to 1e-3 relative, as above."""
    _, dw = study
    one, two = dw(1.0, LocalMesh(10e-6, 100e-6, 4, PAD)), dw(2.0, LOCAL[1])
    for key in ("layer", "volume"):
        assert abs(two[key] / one[key] - 1.0) < 0.02, (key, one[key], two[key])
    assert one["layer"] == pytest.approx(0.067538, rel=1e-3) and one["volume"] == pytest.approx(0.038772, rel=1e-3)


def _local_ladder(dw, key: str) -> dict:
    return grid_convergence(*(dw(1.0, r)[key] for r in LOCAL), r=2.0)


@pytest.mark.slow
def test_a_box_meshed_afresh_converges_over_the_whole_joint(study):
    """The local-mesh ladder (10 um x 2^-k at the outlines, 2, 4, 8 layers through the joint, pad layer 25.4 um,
    400 um away, cut at one pitch): the whole joint's dW per cycle 0.047742, 0.041146, 0.041033 MJ/m^3 (measured
    2026-12-07, 92b6d50): p = 5.86 (the coarse level outside the asymptotic range), Richardson 0.041031, the medium
    level +0.28 % from it and from the fine level: issue 19's criterion (observed order positive, the medium level
    within 5 %) holds over the joint. The values are pinned to 1e-3 relative, as the cut-out ladder's (the default
    Newton tolerance leaves ~2e-5)."""
    _, dw = study
    g = _local_ladder(dw, "volume")
    assert g["p"] is not None and g["p"] > 0 and abs(g["medium_to_extrapolated"]) < 0.05, g
    for r, v in zip(LOCAL, (0.047742, 0.041146, 0.041033)):
        assert dw(1.0, r)["volume"] == pytest.approx(v, rel=1e-3)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured 2026-12-07: the pad layer converges (p = 1.68) but the medium local "
                                       "mesh is +5.86 % from Richardson (the fine +1.82 %) (issue 19)")
def test_a_box_meshed_afresh_converges_in_the_pad_layer(study):
    """The same ladder in the 25.4 um pad layer (the life models' input): 0.071724, 0.063894, 0.061459 MJ/m^3
    (measured 2026-12-07, 92b6d50): p = 1.68, Richardson 0.060360, GCI_fine 2.24 %, the medium level +5.86 % from
    it. It converges (the cut-out ladder did not), but the medium level misses 5 % by 0.9 points: strict xfail on
    the issue's criterion."""
    _, dw = study
    g = _local_ladder(dw, "layer")
    assert g["p"] is not None and g["p"] > 0 and abs(g["medium_to_extrapolated"]) < 0.05, g
