"""Batch runs and sweeps (docs/batch.md): sweep files, designs, stable folders, the results table, the local pool
against a Dask ``LocalCluster``, failure records and resume.

One coarse batch is shared by the module (``pool_batch``, ``dask_batch``): the shipped example sweep
``cases/sweeps/adhesive_emc_core.yaml`` (2 x 2 x 2 = 8 variants of the reference package) plus a small zip sweep
with one variant that validation rejects and one that fails while running. Coarsening (``COARSE``): 3 mm in-plane
elements, at outlines too, one element per slab, hex8i, one row of bumps and vias at a 3 mm pitch, no top balls,
one output temperature (-40 degC), no VTU/plots/report: about 6 400 unknowns, 0.6 s per case in one process (measured
at load average ~8 on the 2 shared cores).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fcpkg_fem.batch import HEADLINE_COLUMNS, expand, headline, load_sweep, read_table, run_batch, run_case
from fcpkg_fem.batch import runner as runner_mod
from fcpkg_fem.batch.sweep import Variant, flow_text
from fcpkg_fem.errors import InputError, MeshError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "cases" / "sweeps" / "adhesive_emc_core.yaml"
REFERENCE = ROOT / "cases" / "reference.yaml"

BUMPS = "{material: sac305, diameter: 80 um, standoff: 60 um, pitch: 3 mm, pattern: peripheral, rows: 1, " \
        "edge_offset: 150 um}"
COARSE = ["mesh.size=3 mm", "mesh.feature_size=3 mm", "mesh.max_layer_thickness=3 mm", "mesh.element=hex8i",
          "mesh.layer_elements={}", "package.top_balls=null",
          f"package.carriers.bottom.chips.0.bumps={BUMPS}", f"package.carriers.top.chips.0.bumps={BUMPS}",
          "package.interconnect.pitch=3 mm", "package.interconnect.rows=1", "load.temperatures=[-40]",
          "output.vtu=false", "output.plots=false", "output.report=false"]

# zip: (E = -5 MPa: refused by validation) and (E = 1 GPa, AMG-CG asked for a relative residual of 1e-30: valid, but
# unreachable in floating point, so CG stops at its iteration limit with a SolverError raised after meshing and
# assembly: a genuine failure while running)
FAILING_SWEEP = f"""\
sweep: 1
name: failing
base: {REFERENCE}
design: zip
axes:
  materials.die_attach_lowmod.E: [-5 MPa, 1 GPa]
  solver.linear: [auto, amg]
  solver.rtol: [1e-8, 1e-30]
"""
TIMING = {"wall_time_s"}  # the only columns that may differ between two runs of the same batch


def _items(tmp: Path) -> list[Path]:
    failing = tmp / "failing.yaml"
    failing.write_text(FAILING_SWEEP)
    return [EXAMPLE, failing]


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("batch")


@pytest.fixture(scope="module")
def pool_batch(batch_dir):
    lines: list[str] = []
    res = run_batch(_items(batch_dir), batch_dir / "pool", workers=2, overrides=COARSE, progress=lines.append)
    return res, lines


@pytest.fixture(scope="module")
def dask_batch(batch_dir):
    """The example sweep alone on a LocalCluster (the failure records are the pool's business)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        return run_batch(EXAMPLE, batch_dir / "dask", client=client, overrides=COARSE)


def _rows_by_folder(res) -> dict[str, dict]:
    return {r["folder"]: r for r in res.rows}


def _example_rows(res) -> list[dict]:
    return [r for r in res.rows if r["sweep"] == "adhesive_emc_core"]


# --- the shared batch ------------------------------------------------------------------------------------------------

def test_sweep_runs_every_variant_into_its_own_folder_and_tabulates_it(pool_batch):
    res, lines = pool_batch
    ex = _example_rows(res)
    assert len(ex) == 8 and all(r["status"] == "ok" for r in ex), [(r["folder"], r.get("error")) for r in ex]
    # every combination of the three axes exactly once
    combos = {(r["materials.die_attach_lowmod.E"], r["materials.emc.cte.glassy"],
               r["package.carriers.bottom.layers.1.thickness"]) for r in ex}
    assert combos == {(e, c, t) for e in ("500 MPa", "2 GPa") for c in ("8 ppm/K", "14 ppm/K")
                      for t in ("200 um", "260 um")}
    for r in ex:
        folder = res.out_dir / r["folder"]
        s = json.loads((folder / "summary.json").read_text())
        assert s["case"]["hash"] == r["case_hash"] and r["folder"].endswith("__" + r["case_hash"][:8])
        assert r["folder"].startswith(f"adhesive-E={r['materials.die_attach_lowmod.E'].replace(' ', '')}__emc-cte=")
        # the table's numbers are the summary's, unchanged
        assert r["warpage_bottom_extreme_um"] == s["outputs"][0]["warpage"]["bottom"]["signed_um"]
        assert r["encapsulant_von_mises_max_MPa"] == s["outputs"][0]["regions"]["encapsulant"]["von_mises_max_MPa"]
        assert r["via_critical"].startswith("vias#") and r["bump_critical"].startswith("bumps.die")
        # the case that ran is the variant: its resolved core thickness is the axis value
        resolved = json.loads((folder / "case.resolved.json").read_text())
        core_um = float(r["package.carriers.bottom.layers.1.thickness"].split()[0])
        assert resolved["package"]["carriers"]["bottom"]["layers"][1]["thickness"] == pytest.approx(core_um * 1e-6)
    # one progress line per case run, with count/total, elapsed and ETA
    done = [ln for ln in lines if ln.startswith("[")]
    assert len(done) == 9 and done[-1].startswith("[9/9]")
    assert all("elapsed" in ln and "ETA" in ln for ln in done)


def test_axis_values_reach_the_physics(pool_batch):
    """A stiffer adhesive carries more stress: for every (EMC CTE, core) pair, the peak adhesive von Mises stress at
    E = 2 GPa exceeds the one at 500 MPa (the adhesive strain is set by the stiff dies around it, so its stress
    grows with its modulus). Fails if the axis override did not reach the case."""
    res, _ = pool_batch
    ex = _example_rows(res)
    by = {(r["materials.emc.cte.glassy"], r["package.carriers.bottom.layers.1.thickness"],
           r["materials.die_attach_lowmod.E"]): r["adhesive_von_mises_max_MPa"] for r in ex}
    for cte in ("8 ppm/K", "14 ppm/K"):
        for core in ("200 um", "260 um"):
            assert by[(cte, core, "2 GPa")] > 1.5 * by[(cte, core, "500 MPa")], (cte, core)


def test_results_csv_reads_back_the_exact_numbers(pool_batch):
    res, _ = pool_batch
    table = read_table(res.out_dir / "results.csv")
    assert [t["folder"] for t in table] == [r["folder"] for r in res.rows]
    for t, r in zip(table, res.rows):
        for k, v in r.items():
            if isinstance(v, float):
                assert float(t[k]) == v, k  # repr() in the CSV: bit-for-bit
    if any(p.suffix == ".parquet" for p in res.tables):
        pq = pytest.importorskip("pyarrow.parquet")
        assert pq.read_table(res.out_dir / "results.parquet").num_rows == len(res.rows)


def test_invalid_variant_is_reported_and_not_run(pool_batch):
    res, lines = pool_batch
    (bad,) = [r for r in res.rows if r["status"] == "invalid"]
    assert bad["materials.die_attach_lowmod.E"] == "-5 MPa" and bad["exit_code"] == 2
    assert "materials.die_attach_lowmod.E" in bad["error"] and "-5 MPa" in bad["error"]
    assert not (res.out_dir / bad["folder"]).exists()
    assert any(ln.startswith("invalid, not run") and bad["folder"] in ln for ln in lines)


def test_failing_variant_is_recorded_and_the_others_finish(pool_batch):
    res, _ = pool_batch
    (bad,) = [r for r in res.rows if r["status"] == "failed"]
    assert bad["error_type"] == "SolverError" and bad["exit_code"] == 4 and "did not converge" in bad["error"]
    f = json.loads((res.out_dir / bad["folder"] / "failure.json").read_text())
    assert f["case_hash"] == bad["case_hash"] and f["exit_code"] == 4
    assert not (res.out_dir / bad["folder"] / "summary.json").exists()
    assert sum(r["status"] == "ok" for r in res.rows) == 8


def test_local_pool_and_dask_cluster_give_the_same_table(pool_batch, dask_batch):
    """Bit-for-bit equal numbers: both run the same function on the same inputs in fresh processes, the mesh is
    deterministic (gmsh single-threaded) and the direct SuperLU solve of these small systems has no
    order-dependent parallel reductions, so there is no round-off to allow for. Only wall times differ."""
    res, _ = pool_batch
    rows_p = {r["folder"]: r for r in _example_rows(res)}
    rows_d = _rows_by_folder(dask_batch)
    assert len(rows_d) == 8 and rows_p.keys() == rows_d.keys()
    for folder, rp in rows_p.items():
        rd = rows_d[folder]
        assert {k: v for k, v in rp.items() if k not in TIMING} == {k: v for k, v in rd.items() if k not in TIMING}
    workers = {rec["worker"] for rec in dask_batch.records.values()}
    assert len(workers) == 2, workers  # the cases really were spread over the cluster's two worker processes


def test_rerun_after_a_kill_runs_only_the_unfinished_cases(pool_batch, batch_dir):
    """A batch killed part-way leaves folders without summary.json (maybe with partial files and temporaries);
    the rerun runs exactly those and ends with the same complete table."""
    res, _ = pool_batch
    work = batch_dir / "resume"
    shutil.copytree(res.out_dir, work)
    ok = [r["folder"] for r in _example_rows(res)]
    killed, stale, corrupt = ok[1], ok[4], ok[6]
    (work / killed / "summary.json").unlink()  # killed before the last write: other files are there
    (work / killed / ".summary.json.tmp-999999-0badc0de.json").write_text('{"case": {"ha')  # a dead writer's temp
    s = json.loads((work / stale / "summary.json").read_text())
    s["case"]["hash"] = "0" * 64  # a summary of another case: not this one's result
    (work / stale / "summary.json").write_text(json.dumps(s))
    (work / corrupt / "summary.json").write_text('{"schema": "fcpkg-fem/summ')  # unparsable
    before = {f: (work / f / "summary.json").stat().st_mtime_ns for f in ok if f not in (killed, stale, corrupt)}
    again = run_batch(EXAMPLE, work, workers=1, overrides=COARSE)
    assert sorted(again.ran) == sorted([killed, stale, corrupt])
    assert sorted(again.skipped) == sorted(before)
    assert all((work / f / "summary.json").stat().st_mtime_ns == t for f, t in before.items())
    assert not (work / killed / ".summary.json.tmp-999999-0badc0de.json").exists()  # cleaned by the writers
    first = {r["folder"]: {k: v for k, v in r.items() if k not in TIMING} for r in _example_rows(res)}
    second = {f: {k: v for k, v in r.items() if k not in TIMING} for f, r in _rows_by_folder(again).items()}
    assert first == second
    assert len(read_table(work / "results.csv")) == 8


def test_cli_batch_reports_progress_failures_and_exit_code(pool_batch, batch_dir, capsys):
    res, _ = pool_batch
    work = batch_dir / "cli"
    shutil.copytree(res.out_dir, work)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    sets = [a for ov in COARSE for a in ("--set", ov)]
    args = [sys.executable, "-m", "fcpkg_fem", "batch", *map(str, _items(batch_dir)), "--out", str(work),
            "--workers", "1", *sets]
    r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    bad = [x for x in res.rows if x["status"] != "ok"]
    assert r.returncode == 5, r.stderr  # the invalid variant at least
    assert "10 cases: " in r.stdout and "results.csv" in r.stdout
    for x in bad:
        assert f"error: {x['status']}: {x['folder']}" in r.stderr
    # only the failed case ran again (everything else finished): one progress line "[1/1] ..."
    runs = [ln for ln in r.stderr.splitlines() if "] [" in ln]
    assert len(runs) == (1 if any(x["status"] == "failed" for x in bad) else 0), r.stderr
    assert all("elapsed" in ln and "ETA" in ln for ln in runs)
    # -q: no progress at all; every case of the example is finished, so nothing runs and the exit code is 0
    from fcpkg_fem.cli.main import main

    capsys.readouterr()
    assert main(["batch", str(EXAMPLE), "--out", str(work), "-q", *sets]) == 0
    out = capsys.readouterr()
    assert out.err == "" and "8 cases: 8 ok, 0 failed, 0 invalid; 0 run now, 8 already finished" in out.out


# --- sweep files -----------------------------------------------------------------------------------------------------

def _sweep(tmp_path: Path, body: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(f"sweep: 1\nbase: {REFERENCE}\n" + body)
    return p


def _problems(path: Path, overrides=()) -> list[str]:
    with pytest.raises(InputError) as exc:
        expand(path, overrides)
    return [str(p) for p in exc.value.problems]


def test_sweep_file_problems_name_the_field(tmp_path):
    p = _sweep(tmp_path, "design: factorial\naxes: {mesh.size: [1 mm]}\n")
    (msg,) = _problems(p)
    assert msg.startswith(f"{p}: design:") and "did you mean 'full_factorial'" in msg
    (msg,) = _problems(_sweep(tmp_path, "axes: {mesh.size: []}\n"))
    assert "axes.mesh.size" in msg and "empty" in msg
    # the case's own diagnosis of a bad path is passed on, under the axis
    (msg,) = _problems(_sweep(tmp_path, "axes: {package.carriers.bottom.layrs.1.thickness: [200 um]}\n"))
    assert "axes.package.carriers.bottom.layrs.1.thickness" in msg and "did you mean 'layers'" in msg
    (msg,) = _problems(_sweep(tmp_path, "design: zip\naxes: {mesh.size: [1 mm, 2 mm], mesh.element: [hex8i]}\n"))
    assert "same number of values" in msg
    msgs = _problems(_sweep(tmp_path, "design: latin_hypercube\naxes: {mesh.size: {start: 1, stop: 2, num: 3}}\n"))
    assert any(m.endswith("samples: is required for design latin_hypercube") for m in msgs)
    assert any("axes.mesh.size.num" in m and "continuously" in m for m in msgs)
    (msg,) = _problems(_sweep(tmp_path, "axes: {mesh.size: [1 mm]}\nsamplez: 3\n"))
    assert "samplez" in msg and "unknown key" in msg
    (msg,) = _problems(_sweep(tmp_path, "axes: {mesh.size: [1 mm, 2 mm]}\n"), overrides=["mesh.size=3 mm"])
    assert msg.startswith("--set mesh.size") and "axis" in msg
    (msg,) = _problems(_sweep(tmp_path, "axes: {mesh.size: {start: 1 mm, stop: 2 GPa, num: 2}}\n"))
    assert "axes.mesh.size.stop" in msg
    (msg,) = _problems(tmp_path / "missing.yaml")
    assert "not found" in msg


def test_ranges_with_units_steps_and_integers(tmp_path):
    p = _sweep(tmp_path, "axes:\n"
                         "  mesh.size: {start: 500 um, stop: 1 mm, step: 250 um}\n"
                         "  mesh.min_elements_per_layer: {start: 1, stop: 3, step: 2}\n"
                         "  load.stress_free_temperature: {start: 20 degC, stop: 30 degC, num: 3}\n")
    sw = load_sweep(p)
    assert [a.values for a in sw.axes] == [("500 um", "750 um", "1000 um"), (1, 3),
                                           ("20 degC", "25 degC", "30 degC")]
    vs = expand(p)
    assert len(vs) == 18 and all(v.valid for v in vs)
    assert vs[0].case.mesh.size == pytest.approx(500e-6) and vs[0].case.mesh.min_elements_per_layer == 1
    # a stop in another unit of the same kind is converted to the start's unit
    sw = load_sweep(_sweep(tmp_path, "axes: {mesh.size: {start: 500 um, stop: 1.5 mm, num: 3}}\n", "b.yaml"))
    assert sw.axes[0].values == ("500 um", "1000 um", "1500 um")


def test_latin_hypercube_puts_one_sample_in_every_stratum_and_is_reproducible(tmp_path):
    n = 7
    body = (f"design: latin_hypercube\nsamples: {n}\nseed: 11\naxes:\n"
            "  materials.die_attach_lowmod.E: {start: 100 MPa, stop: 3000 MPa}\n"
            "  package.adhesive.thickness: {start: 10 um, stop: 50 um}\n"
            "  package.encapsulant.material: [emc, die_attach_lowmod]\n")
    sw = load_sweep(_sweep(tmp_path, body))
    pts = sw.points()
    assert len(pts) == n
    E = np.array([float(p[0].split()[0]) for p in pts])
    t = np.array([float(p[1].split()[0]) for p in pts])
    for x, lo, hi in ((E, 100, 3000), (t, 10, 50)):
        strata = np.floor((x - lo) / (hi - lo) * n).astype(int)
        assert sorted(strata) == list(range(n))  # exactly one sample per stratum (LHS property)
    mats = [p[2] for p in pts]
    assert sorted(mats.count(m) for m in ("emc", "die_attach_lowmod")) == [3, 4]  # as even as 7 samples allow
    assert load_sweep(_sweep(tmp_path, body, "again.yaml")).points() == pts  # same seed, same design
    other = load_sweep(_sweep(tmp_path, body.replace("seed: 11", "seed: 12"), "other.yaml")).points()
    assert other != pts


def test_folder_names_are_stable_and_follow_the_resolved_case(tmp_path):
    body = "axes: {package.adhesive.thickness: [25 um, 0.025 mm]}\n"
    a = expand(_sweep(tmp_path, body), ["mesh.size=2 mm"])
    b = expand(_sweep(tmp_path, body, "copy.yaml"), ["mesh.size=2 mm"])
    assert [v.folder for v in a] == [v.folder for v in b]
    # 25 um and 0.025 mm resolve to the same case (SI inside): same hash, different readable part
    assert a[0].hash == a[1].hash and a[0].folder != a[1].folder
    assert a[0].folder == f"adhesive-thickness=25um__{a[0].hash[:8]}"
    c = expand(_sweep(tmp_path, body), ["mesh.size=1 mm"])
    assert c[0].folder.split("__")[0] == a[0].folder.split("__")[0] and c[0].hash != a[0].hash


def test_flow_text_round_trips_values():
    from fcpkg_fem.case.yamlio import parse_yaml_value

    for v in ["500 MPa", 1e-05, 2.0, 3, [1, "2 mm"], {"glassy": "8 ppm/K"}, "1e-5", True, None, "yes", "µm"]:
        assert parse_yaml_value(flow_text(v), "v") == v
    assert flow_text("yes") == "'yes'" and flow_text(1e-05) == "1.0e-05"


# --- headline numbers and the worker ---------------------------------------------------------------------------------

def _out(T, wb, wt, adh, enc, bumps, vias):
    face = lambda w: {"signed_um": w}  # noqa: E731
    return {"temperature_C": T, "warpage": {"bottom": face(wb), "top": face(wt)},
            "regions": {"adhesive": {"von_mises_max_MPa": adh}, "encapsulant": {"von_mises_max_MPa": enc}},
            "bumps": {reg: {"critical": {"id": i, "eq_strain": e}} for reg, (i, e) in bumps.items()},
            "vias": {"vias": {"critical": {"id": vias[0], "eq_strain": vias[1]}}}}


def test_headline_picks_first_last_extreme_and_peaks():
    s = {"mesh": {"dofs": 99}, "outputs": [
        _out(175, 1.0, -2.0, 5.0, 7.0, {"bumps.die1": (3, 0.001), "bumps.die2": (8, 0.002)}, (1, 0.01)),
        _out(-40, -4.0, 3.0, 9.0, 6.0, {"bumps.die1": (4, 0.004), "bumps.die2": (8, 0.003)}, (2, 0.005)),
        _out(25, 3.5, -1.0, 8.0, 6.5, {"bumps.die1": (5, 0.0001), "bumps.die2": (9, 0.0002)}, (2, 0.001))]}
    h = headline(s)
    assert h == {"dofs": 99, "T_first_C": 175, "T_last_C": 25,
                 "warpage_bottom_first_um": 1.0, "warpage_bottom_last_um": 3.5, "warpage_bottom_extreme_um": -4.0,
                 "warpage_bottom_extreme_at_C": -40, "warpage_top_first_um": -2.0, "warpage_top_last_um": -1.0,
                 "warpage_top_extreme_um": 3.0, "warpage_top_extreme_at_C": -40,
                 "adhesive_von_mises_max_MPa": 9.0, "adhesive_von_mises_max_at_C": -40,
                 "encapsulant_von_mises_max_MPa": 7.0, "encapsulant_von_mises_max_at_C": 175,
                 "bump_eq_strain_max": 0.004, "bump_critical": "bumps.die1#4", "bump_critical_at_C": -40,
                 "via_eq_strain_max": 0.01, "via_critical": "vias#1", "via_critical_at_C": 175}
    # a laminate: no stress regions, no bumps or vias
    lam = {"mesh": {"dofs": 5}, "outputs": [{"temperature_C": 125, "warpage": {"bottom": {"signed_um": -2.0},
                                                                                "top": {"signed_um": 2.0}}}]}
    assert set(headline(lam)) == {"dofs", "T_first_C", "T_last_C", *(f"warpage_{f}_{k}" for f in ("bottom", "top")
                                  for k in ("first_um", "last_um", "extreme_um", "extreme_at_C"))}


def _life(dW, lives):
    return {"critical": {"id": int(dW * 1e3), "dW_layer_MJ_m3": dW},
            "estimates": {m: {"cycles": n} for m, n in lives.items()}}


def test_headline_life_is_the_last_cycling_steps_critical_joint_and_shortest_lives():
    """The critical joint is the largest pad-layer dW over the joint regions of the last step with estimates; each
    model's life is its shortest over the regions (here not the critical joint's: the balls are another solder
    state); a model that no region has gives no column, a history without cycling no life at all."""
    s = {"mesh": {"dofs": 9}, "outputs": [_out(25, 1.0, -1.0, 1.0, 1.0, {"bumps.die1": (1, 0.001)}, (1, 0.01))],
         "life": {"note": "", "steps": {
             "cycling_a": {"bumps.die1": _life(0.9, {"syed": 10.0, "engelmaier": 20.0})},
             "reflow": {},
             "cycling_b": {"bumps.die1": _life(0.05, {"syed": 900.0, "engelmaier": 5000.0}),
                           "top_balls": _life(0.03, {"syed": 800.0, "engelmaier": 7000.0}),
                           "bumps.die2": _life(0.05, {"syed": 950.0})}}}}
    h = headline(s)
    assert h["life_critical"] == "bumps.die1#50" and h["life_dW_layer_MJ_m3"] == 0.05  # first of equals, by name
    assert h["life_syed_cycles"] == 800.0 and h["life_engelmaier_cycles"] == 5000.0
    assert "life_darveaux_cycles" not in h
    assert {k for k in HEADLINE_COLUMNS if k.startswith("life_")} == {
        "life_critical", "life_dW_layer_MJ_m3", "life_darveaux_cycles", "life_syed_cycles", "life_engelmaier_cycles"}
    del s["life"]
    assert not [k for k in headline(s) if k.startswith("life_")]


@pytest.mark.parametrize("err, code, has_tb", [(MeshError("part X got no elements"), 3, False),
                                               (ZeroDivisionError("boom"), 1, True)])
def test_run_case_records_a_failure_with_its_exit_code_class(tmp_path, monkeypatch, err, code, has_tb):
    from fcpkg_fem.case.yamlio import read_yaml
    from fcpkg_fem.run import pipeline

    v = Variant("x.yaml", "", 0, (), read_yaml(REFERENCE), ()).validate()

    def boom(*a, **k):
        raise err

    monkeypatch.setattr(pipeline, "run", boom)  # what the batch worker calls
    task = runner_mod._task(v, tmp_path, tmp_path / "cache")
    rec = run_case(task)
    assert rec["status"] == "failed" and rec["exit_code"] == code and rec["error_type"] == type(err).__name__
    assert ("traceback" in rec) == has_tb
    f = json.loads((tmp_path / v.folder / "failure.json").read_text())
    assert f["case_hash"] == v.hash and f["exit_code"] == code
    row = runner_mod._row(v, tmp_path)
    assert row["status"] == "failed" and row["error"] == str(err)


# --- a real kill (slow) ----------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_sigkill_mid_batch_then_rerun_completes(tmp_path):
    """``fcpkg batch`` killed with SIGKILL (with its worker) after two cases finished; the rerun runs only the
    others and the table is complete and equal to an uninterrupted run's."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = tmp_path / "killed"
    args = [sys.executable, "-m", "fcpkg_fem", "batch", str(EXAMPLE), "--out", str(out), "--workers", "1", "-q",
            *[a for ov in COARSE for a in ("--set", ov)]]
    proc = subprocess.Popen(args, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    t0 = time.time()
    while len(list(out.glob("*/summary.json"))) < 2 and time.time() - t0 < 300:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the batch and its pool worker, mid-case
    proc.wait()
    done_before = {p.parent.name for p in out.glob("*/summary.json")}
    assert 2 <= len(done_before) < 8
    res = run_batch(EXAMPLE, out, workers=2, overrides=COARSE)
    assert set(res.skipped) == done_before and len(res.ran) == 8 - len(done_before)
    assert res.ok and len(res.rows) == 8
    fresh = run_batch(EXAMPLE, tmp_path / "fresh", workers=2, overrides=COARSE)
    strip = lambda rows: [{k: v for k, v in r.items() if k not in TIMING} for r in rows]  # noqa: E731
    assert strip(res.rows) == strip(fresh.rows)
    with open(out / "results.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 8
