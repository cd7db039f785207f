"""The size estimate before meshing, and the refusal of a case too large for the machine (issue 6, item 2).

Specified (docs/robustness.md): :func:`fcpkg_fem.guard.estimate` predicts elements, nodes and dofs from the layout
without gmsh; against the 20 real meshes of tests/robustness/calibrate_estimate.py (17 fitted, 3 plain laminates
counted exactly) it was within -22 % .. +26 %, and within -15 % .. +3 % on the held-out meshes below, so these
tests allow 25 %. A case whose estimated memory exceeds the available memory (``FCPKG_MEMORY_LIMIT``, else
/proc/meminfo, else os.sysconf) is refused with exit 2 naming ``mesh.size``, the estimate and the fields that
coarsen it, before anything is meshed or created, unless ``--force`` / ``force=True``.
"""

from __future__ import annotations

import json

import pytest
from support.robust import fcpkg, laminate, mini_package, shipped, tree, write_case

from fcpkg_fem import api
from fcpkg_fem.run import preflight as guard
from fcpkg_fem.cli import main as cli_main
from fcpkg_fem.cli.mesh import dofs_estimate
from fcpkg_fem.errors import InputError
from fcpkg_fem.mesh.swept import layer_counts

# the estimate's stated accuracy (docs/robustness.md): errors of -22 % .. +26 % over the calibration meshes,
# -15 % .. +3 % over the held-out ones (footprint mesher of fa84806: triangles paired into quads)
TOLERANCE = 0.25


def _real(case) -> dict:
    pm = api.mesh_case(case)
    return {"elements": pm.mesh.nelements, "nodes": pm.mesh.nvertices, "dofs": dofs_estimate(pm, case.mesh.element)}


def _check(case) -> None:
    est = guard.estimate(case)
    real = _real(case)
    for key, value in real.items():
        assert getattr(est, key) == pytest.approx(value, rel=TOLERANCE), (key, getattr(est, key), value)


# held out: none of these meshes was used to fit the constants
HELD_OUT = pytest.mark.parametrize("raw, overrides", [
    (mini_package(), []),
    (mini_package(), ["mesh.element=hex20"]),
    (mini_package(), ["mesh.symmetry=full", "mesh.feature_size=200 um"]),
    (laminate(), ["mesh.size=0.3 mm"]),
], ids=["mini", "mini-hex20", "mini-full", "laminate-0.3mm"])


@HELD_OUT
def test_estimate_is_within_its_stated_accuracy_of_the_real_mesh(raw, overrides):
    _check(api.load_case(raw, overrides=overrides))


@HELD_OUT
def test_the_count_on_the_meshed_footprint_is_the_mesh(raw, overrides, monkeypatch):
    """What a refusal quotes (``estimate(case, exact=True)``: the footprint meshed, the sweep counted without the
    3D mesh) is the mesh itself, hex20's edge nodes included: equal, not within a tolerance. The count is given the
    footprint the mesh was swept from: gmsh does not always repeat a footprint (the full-model case here gives
    2,042 or 2,044 quads from call to call: ties broken by memory address; docs/robustness.md)."""
    from fcpkg_fem.mesh import estimate as mesh_estimate

    case = api.load_case(raw, overrides=overrides)
    pm = api.mesh_case(case)
    monkeypatch.setattr(mesh_estimate, "mesh_footprint", lambda *a, **k: pm.footprint)
    est = guard.estimate(case, exact=True)
    assert (est.footprint_cells, est.elements, est.nodes, est.dofs) == (
        len(pm.footprint.quads), pm.mesh.nelements, pm.mesh.nvertices, dofs_estimate(pm, case.mesh.element))


def test_a_footprint_too_large_to_count_is_refused_on_the_prediction(monkeypatch):
    """Above COUNT_MAX_CELLS predicted footprint cells the refusal does not wait for gmsh: nothing is meshed."""
    from fcpkg_fem.mesh import estimate as mesh_estimate

    monkeypatch.setattr(mesh_estimate, "mesh_footprint", lambda *a, **k: pytest.fail("the footprint was meshed"))
    case = api.load_case(shipped("reference"), overrides=["mesh.size=20 um", "mesh.feature_size=2 um"])
    est = guard.estimate(case)
    assert est.footprint_cells > guard.COUNT_MAX_CELLS
    with pytest.raises(InputError) as exc:
        guard.check_memory(case, est, memory=guard.Memory(8 * 2**30, "test"))
    assert f"~{est.dofs:,} dofs" in exc.value.problems[0].message


def test_the_single_precision_memory_growth_starts_where_the_fit_ends():
    """Above MEMORY_SINGLE_GROWTH's size the PARDISO memory grows as dofs^1.18 from the fitted model's value there:
    no jump at the joint, the old power 1.25 below it, and 16.3 GB (not 17.97) at the measured 1,073,400 unknowns
    (peak 10.4 GB with one temperature: still an upper bound)."""
    ref, growth = guard.MEMORY_SINGLE_GROWTH
    below, at, above = (guard.memory_model(d, "hex8i", "pardiso") for d in (ref * (1 - 1e-9), ref, ref * (1 + 1e-9)))
    assert at == pytest.approx(below, rel=1e-8) and above == pytest.approx(at, rel=1e-8)
    big = guard.memory_model(1_073_400, "hex8i", "pardiso")
    excess = (big - guard.MEMORY_BASE) / (at - guard.MEMORY_BASE)
    assert excess == pytest.approx((1_073_400 / ref) ** growth, rel=1e-12)
    assert 10.4e9 < big < 17.97e9


@pytest.mark.slow
@pytest.mark.parametrize("name, overrides", [
    ("reference", []),
    ("reference", ["mesh.size=1.2 mm", "mesh.feature_size=180 um"]),
    ("tab_traces", ["mesh.size=0.8 mm", "mesh.feature_size=120 um"]),
])
def test_estimate_of_the_shipped_layouts(name, overrides):
    _check(api.load_case(shipped(name), overrides=overrides))


def test_estimate_needs_no_gmsh(monkeypatch):
    import gmsh

    def no(*args, **kwargs):
        raise AssertionError("gmsh was called")

    monkeypatch.setattr(gmsh, "initialize", no)
    est = guard.estimate(api.load_case(mini_package()))
    assert est.element_layers == 17  # 12 slabs, the two cores in 2 (max_layer_thickness 150 um), the balls in 4
    assert est.elements > 0 and abs(est.dofs - 3 * est.nodes) <= 3  # hex8i: 3 unknowns per node (both rounded)


@pytest.mark.parametrize("overrides", [[], ["mesh.max_layer_thickness=50 um", "mesh.min_elements_per_layer=2"],
                                       ["mesh.layer_elements={adhesive: 3, chip.die1: 4}"]])
def test_layer_count_is_the_sweeps(overrides):
    """mesh.swept.layer_counts (the estimate's count) is what mesh.swept.slab_layers builds, slab by slab."""
    import numpy as np

    from fcpkg_fem.geometry.build import build_geometry
    from fcpkg_fem.mesh.swept import slab_layers

    case = api.load_case(mini_package(), overrides=overrides)
    geom = build_geometry(case)
    mc = case.mesh
    _, slab_of_layer = slab_layers(geom, mc.max_layer_thickness, mc.min_elements_per_layer)
    counts = layer_counts(geom, mc.max_layer_thickness, mc.min_elements_per_layer)
    assert np.array_equal(np.bincount(slab_of_layer, minlength=len(counts)), counts)
    assert guard.estimate(case).element_layers == len(slab_of_layer)


def test_absurd_case_gets_an_absurd_estimate_not_an_error():
    """A 1e30 mm layer (which validation lets through) must give a huge estimate, not build 1e33 levels."""
    raw = laminate()
    raw["laminate"]["layers"][0]["thickness"] = "1e30 mm"
    est = guard.estimate(api.load_case(raw))
    assert est.element_layers > 1e18 and est.memory > 1e18


def test_hex20_has_about_four_times_the_unknowns_of_hex8i():
    """Same mesh: hex20 adds a midside node on every edge, ~3 edges per node in a hex mesh."""
    e8 = guard.estimate(api.load_case(mini_package()))
    e20 = guard.estimate(api.load_case(mini_package(), overrides=["mesh.element=hex20"]))
    assert e20.elements == e8.elements and e20.nodes == e8.nodes
    assert 3.5 < e20.dofs / e8.dofs < 4.5


# --- memory ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, value", [("2 GB", 2_000_000_000), ("512MiB", 512 * 1024**2), ("1000", 1000),
                                         ("1.5 kB", 1500)])
def test_memory_limit_from_the_environment(monkeypatch, text, value):
    monkeypatch.setenv(guard.MEMORY_LIMIT_ENV, text)
    mem = guard.available_memory()
    assert mem.available == value and guard.MEMORY_LIMIT_ENV in mem.source


@pytest.mark.parametrize("text", ["lots", "-1 GB", "0", "1 parsec"])
def test_bad_memory_limit_is_an_input_error(monkeypatch, text):
    monkeypatch.setenv(guard.MEMORY_LIMIT_ENV, text)
    with pytest.raises(InputError) as exc:
        guard.available_memory()
    assert exc.value.problems[0].field == guard.MEMORY_LIMIT_ENV


def test_available_memory_reads_proc_meminfo_then_sysconf(monkeypatch):
    import os

    monkeypatch.delenv(guard.MEMORY_LIMIT_ENV, raising=False)
    monkeypatch.setattr(guard, "_cgroup_available", lambda: None)
    with open("/proc/meminfo") as fh:
        kib = next(int(line.split()[1]) for line in fh if line.startswith("MemAvailable:"))
    mem = guard.available_memory()
    assert mem.source == "/proc/meminfo MemAvailable"
    assert mem.available == pytest.approx(kib * 1024, rel=0.05)  # the machine's free memory moves a little
    monkeypatch.setattr(guard, "_meminfo_available", lambda: None)
    mem = guard.available_memory()
    assert mem.source == "os.sysconf free pages"
    assert mem.available == os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def test_too_large_case_is_refused_before_meshing_unless_forced(monkeypatch):
    monkeypatch.setenv(guard.MEMORY_LIMIT_ENV, "1 MB")
    case = api.load_case(laminate())
    meshed = []
    from fcpkg_fem.run import pipeline

    real_mesh_case = pipeline.mesh_case
    monkeypatch.setattr(pipeline, "mesh_case", lambda *a, **k: meshed.append(1) or real_mesh_case(*a, **k))
    with pytest.raises(InputError) as exc:
        api.run(case, write=False)
    assert not meshed  # refused before the volume mesh (the footprint alone was meshed, to count it)
    (p,) = exc.value.problems
    assert p.field == "mesh.size"
    est = guard.estimate(case, exact=True)
    assert f"~{est.dofs:,} dofs" in p.message and "only 1 MB is available" in p.message
    for hint in ("mesh.size (now 1 mm)", "mesh.max_layer_thickness", "mesh.element: hex8i", "force=True"):
        assert hint in p.message, p.message
    result = api.run(case, write=False, force=True)
    assert meshed and result.summary["mesh"]["elements"] > 0
    # the refusal quoted the mesh the run then made, not the prediction
    assert (est.elements, est.dofs) == (result.summary["mesh"]["elements"], result.summary["mesh"]["dofs"])
    assert guard.estimate(case).dofs != est.dofs  # the prediction alone is off on this laminate (6,897 vs 6,567)


def test_a_case_the_prediction_overshoots_but_that_fits_is_not_refused(monkeypatch):
    """The prediction overshoots fine meshes (1.5M unknowns predicted for a mesh of 1.07M): before refusing, the
    footprint is meshed and counted, and a case whose counted size fits runs."""
    case = api.load_case(laminate())
    predicted, counted = guard.estimate(case), guard.estimate(case, exact=True)
    assert counted.memory < predicted.memory
    monkeypatch.setenv(guard.MEMORY_LIMIT_ENV, f"{(predicted.memory + counted.memory) // 2} B")
    said = []
    guard.check_memory(case, predicted, progress=said.append)  # no InputError
    assert said == [counted.line() + ", counted on the meshed footprint"]


def test_command_refuses_a_too_large_case_and_force_runs_it(tmp_path):
    write_case(laminate(), tmp_path / "lam.yaml")
    env = {guard.MEMORY_LIMIT_ENV: "1 MB"}
    before = tree(tmp_path)
    r = fcpkg("run", "lam.yaml", cwd=tmp_path, env=env)
    assert r.returncode == 2, r.stderr
    first, second, rest = r.stderr.split("\n", 2)
    assert "] estimate: ~" in first  # the estimate is printed (a progress line), its count on the footprint,
    assert second.endswith("counted on the meshed footprint")  # then the refusal
    assert rest.startswith("error: invalid case: 1 problem\n  - mesh.size: the case is too large for this machine")
    assert "--force" in r.stderr and "Traceback" not in r.stderr and r.stdout == ""
    assert tree(tmp_path) == before  # nothing created
    r = fcpkg("run", "lam.yaml", "--force", "--set", "output.vtu=false", "--set", "output.plots=false",
              "--set", "output.report=false", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert "estimate: ~" in r.stderr  # the estimate is a progress line
    assert json.loads((tmp_path / "runs" / "laminate_bimetal" / "summary.json").read_text())["mesh"]["elements"]


def test_check_prints_the_estimate_and_the_memory_verdict(tmp_path, monkeypatch, capsys):
    write_case(laminate(), tmp_path / "lam.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(guard.MEMORY_LIMIT_ENV, "100 GB")
    assert cli_main.main(["check", "lam.yaml"]) == 0
    out = capsys.readouterr().out
    est = guard.estimate(api.load_case(laminate()))
    assert est.line() in out
    assert "100.00 GB available (FCPKG_MEMORY_LIMIT=100 GB): fits" in out
    monkeypatch.setenv(guard.MEMORY_LIMIT_ENV, "1 MB")
    assert cli_main.main(["check", "lam.yaml"]) == 2
    assert "mesh.size: the case is too large" in capsys.readouterr().err
    assert cli_main.main(["check", "lam.yaml", "--force"]) == 0
    assert "DOES NOT FIT (fcpkg run refuses it without --force)" in capsys.readouterr().out
    assert tree(tmp_path) == ["lam.yaml"]


def test_refusal_names_the_slab_that_makes_the_model_large(monkeypatch):
    """A core typed as a bare 11 (read as 11 mm, meant as um) holds most elements: the refusal says which slab,
    its thickness and regions, and that a bare number is read in mm, not only the mesh fields."""
    monkeypatch.setenv(guard.MEMORY_LIMIT_ENV, "4 GB")
    case = api.load_case(shipped("reference"), overrides=["package.carriers.bottom.layers.1.thickness=11"])
    with pytest.raises(InputError) as exc:
        api.run(case, write=False)
    (p,) = exc.value.problems
    assert p.field == "mesh.size"
    assert "in one 11 mm thick slab" in p.message and "carrier1.core" in p.message, p.message
    assert "a bare number is read in mm" in p.message


def test_no_slab_is_blamed_when_the_elements_are_spread(monkeypatch):
    """A mesh too fine everywhere (2 um layers) has no slab with half the elements: only the mesh fields."""
    case = api.load_case(shipped("reference"), overrides=["mesh.max_layer_thickness=20 um"])
    est = guard.estimate(case)
    assert guard.heaviest_slab(est) == ""
    total = sum(s["elements"] for s in est.details["slabs"])
    assert total == pytest.approx(est.elements, abs=0.5)  # est.elements is the rounded sum
