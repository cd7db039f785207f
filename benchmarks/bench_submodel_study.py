"""Benchmark: issue 19's cut-boundary and convergence studies of a submodel (docs/submodel.md, "Cut and
convergence").

    python benchmarks/bench_submodel_study.py                      # global run once, then every submodel
    python benchmarks/bench_submodel_study.py --only bp2-default   # replay some submodels from the saved record
    python benchmarks/bench_submodel_study.py --table              # the table of what has been replayed
    python benchmarks/bench_submodel_study.py --interconnect column --results DIR --only bp1-local-default
    python benchmarks/bench_submodel_study.py --region top_balls --results DIR --only bp1-local-default --joint 7

The global model is the submodel tests' coarse ``reference_reflow`` (tests/support/coarse.py: 6,869 hex8i
elements, one row of bumps per die at 2 mm) joined with Anand bumps and cycled by JESD22-A104 G (-40/125 degC,
5-min soaks, 3 cycles an hour; ``--cycles`` 3: two complete cycles), default Newton tolerances. It runs
once and records the union of the ``box_pitches = 2`` boxes of every bump of die 1
(``support.submodel.record_union``), saved as an .npz beside a JSON of its life entry; every submodel is cut out
of that record (``BoundaryRecord.restrict``).
The joint is die 1's critical bump of the global run's life entry. Submodels (name: box_pitches, Refinement):

* ``bp1-unrefined`` (1, 1/1/1): equals the global model (the consistency check; its dW is the global one);
* ``bp1-coarse`` (1, 1/1/2), ``bp1-default`` (1, 2/1/4: ``refine``'s defaults), ``bp1-fine`` (1, 4/1/8), all with
  the pad layer at 25.4 um (``pad_layer``: 1, 2, 4 element layers in each pad layer of the 60 um bump): the
  convergence ladder, ratio 2 in plane (``n_xy``) and through the pad layers; ``n_z`` (the layers
  outside the joint's slab) stays 1, so the extrapolation is that of the local refinement the submodel offers;
* ``bp2-default`` (2, 2/1/4): the cut moved from one to two pitches, against ``bp1-default``;
* ``bp1-local-coarse``, ``bp1-local-medium``, ``bp1-local-fine`` (1, ``LocalMesh`` feature_size 20, 10, 5 um, size
  400 um, 2, 4, 8 layers through the joint, pad layer 25.4 um): the box meshed afresh, fine at the outlines only
  (ratio 2 at the outlines and through the pad layers; ``size`` away from them held);
* ``bp2-local-medium`` (2, the medium local mesh): its cut moved to two pitches;
* ``bp1-local-medium-2mm``, ``bp2-local-medium-2mm``: the same pair with ``size`` 2 mm, the global mesh's own
  ``mesh.size``, so that away from the outlines the local mesh is no finer than the global one it is driven by;
* ``bp1-local-medium-100um``: the one-pitch medium level with ``size`` 100 um, fine everywhere in the box;
* ``bp1-local-coarse-200um``, ``bp1-local-medium-100um``, ``bp1-local-fine-50um``: the ladder that refines the
  outlines, the layers through the joint and ``size`` together (20/200, 10/100, 5/50 um; 2, 4, 8 layers);
* one factor at a time from its medium level (10 um / 100 um / 4 layers), each against that ladder's
  extrapolated value: ``size`` 50 um (``bp1-local-medium-50um``), ``feature_size`` 5 um (``-fine-100um``), 6 and
  8 layers (``-medium-100um-6``, ``-medium-100um-8``), and 8 layers at 20 um (``bp1-local-coarse-100um-8``: the
  default local mesh for this bump, ``submodel.local_mesh`` without sizes), and the default with its cut moved to
  two pitches (``bp2-local-coarse-100um-8``).

``--interconnect column`` runs the global history with the fast global model (the local models stay resolved
disks), ``--region top_balls`` records the balls' boxes instead of die 1's bumps (and makes the balls Anand), and
``bp1-local-default`` is the region's own default local mesh (``submodel.local_mesh`` without sizes: D/4, 1.25 D,
8 layers), one pitch; ``--joint`` replays a given joint instead of the global run's critical one (to compare two
global models on the same joint). Give each combination its own ``--results``.

Each replay writes ``<results>/<name>.json`` (dW per cycle in the pad layer and over the joint, mesh size, time),
so the replays can run in separate processes; the table (``--table``, also printed after a run) gives the change
of the cut, the observed order p = ln((f3 - f2) / (f2 - f1)) / ln 2, the Richardson extrapolation and
GCI_fine = 1.25 |e21| / (2^p - 1) (:func:`fcpkg_fem.post.convergence.grid_convergence`), each ladder's medium
level's distance from its extrapolation and the one-factor runs' (the default's among them) from the extrapolation
of "local_mesh with size", for both the pad-layer and the volume dW.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from support.coarse import COARSE_MESH, coarse_pattern  # noqa: E402
from support.submodel import cycling_steps, record_union  # noqa: E402

from fcpkg_fem import api  # noqa: E402
from fcpkg_fem.case import names as rn  # noqa: E402
from fcpkg_fem.mesh.remesh import LocalMesh  # noqa: E402
from fcpkg_fem.mesh.submesh import Refinement  # noqa: E402
from fcpkg_fem.post.convergence import grid_convergence  # noqa: E402
from fcpkg_fem.run.submodel import local_mesh_of, run_submodel  # noqa: E402
from fcpkg_fem.solve.submodel import BoundaryRecord  # noqa: E402

REGION = "bumps.die1"
DEFAULT = "bp1-local-default"  # the region's own default local mesh (schema defaults at its diameter), one pitch
PAD = 25.4e-6  # m: the case default of submodel.refine.pad_layer (Darveaux's layer)
FAR = 400e-6  # m: local_mesh.size, held on every level (the ladder refines at the outlines and through the joint)
RUNS = {"bp1-unrefined": (1.0, Refinement(1, 1, 1)), "bp1-coarse": (1.0, Refinement(1, 1, 2, PAD)),
        "bp1-default": (1.0, Refinement(2, 1, 4, PAD)), "bp1-fine": (1.0, Refinement(4, 1, 8, PAD)),
        "bp2-default": (2.0, Refinement(2, 1, 4, PAD)),
        "bp1-local-coarse": (1.0, LocalMesh(20e-6, FAR, 2, PAD)),
        "bp1-local-medium": (1.0, LocalMesh(10e-6, FAR, 4, PAD)),
        "bp1-local-fine": (1.0, LocalMesh(5e-6, FAR, 8, PAD)),
        "bp2-local-medium": (2.0, LocalMesh(10e-6, FAR, 4, PAD)),
        "bp1-local-medium-2mm": (1.0, LocalMesh(10e-6, 2e-3, 4, PAD)),
        "bp2-local-medium-2mm": (2.0, LocalMesh(10e-6, 2e-3, 4, PAD)),
        "bp1-local-medium-100um": (1.0, LocalMesh(10e-6, 100e-6, 4, PAD)),
        "bp1-local-coarse-200um": (1.0, LocalMesh(20e-6, 200e-6, 2, PAD)),
        "bp1-local-fine-50um": (1.0, LocalMesh(5e-6, 50e-6, 8, PAD)),
        # one factor at a time from the medium level above (which of them its error comes from); the default
        # (submodel.local_mesh without sizes: D/4, 1.25 D, 8 layers for this 80 um bump) is "bp1-local-coarse-100um-8"
        "bp1-local-medium-50um": (1.0, LocalMesh(10e-6, 50e-6, 4, PAD)),
        "bp1-local-fine-100um": (1.0, LocalMesh(5e-6, 100e-6, 4, PAD)),
        "bp1-local-medium-100um-6": (1.0, LocalMesh(10e-6, 100e-6, 6, PAD)),
        "bp1-local-medium-100um-8": (1.0, LocalMesh(10e-6, 100e-6, 8, PAD)),
        "bp1-local-coarse-100um-8": (1.0, LocalMesh(20e-6, 100e-6, 8, PAD)),
        "bp2-local-coarse-100um-8": (2.0, LocalMesh(20e-6, 100e-6, 8, PAD))}
LADDERS = {"refine": ("bp1-coarse", "bp1-default", "bp1-fine"),  # coarse, medium (the default), fine; ratio 2
           "local_mesh": ("bp1-local-coarse", "bp1-local-medium", "bp1-local-fine"),
           "local_mesh with size": ("bp1-local-coarse-200um", "bp1-local-medium-100um", "bp1-local-fine-50um")}
REFERENCE_LADDER = "local_mesh with size"  # the ladder in its asymptotic range: its limit is the reference
ONE_FACTOR = ("bp1-local-medium-50um", "bp1-local-fine-100um", "bp1-local-medium-100um-6",
              "bp1-local-medium-100um-8", "bp1-local-coarse-100um-8")
# the two-pitch box does not depend on size (docs/submodel.md), so its 2 mm run is the one-pitch 100 um run's partner
CUTS = {"refine": ("bp1-default", "bp2-default"), "local_mesh": ("bp1-local-medium", "bp2-local-medium"),
        "local_mesh size 2 mm": ("bp1-local-medium-2mm", "bp2-local-medium-2mm"),
        "local_mesh size 100 um": ("bp1-local-medium-100um", "bp2-local-medium-2mm"),
        "local_mesh default": ("bp1-local-coarse-100um-8", "bp2-local-coarse-100um-8")}


def study_case(cycles: int = 3, interconnect: str = "resolved", region: str = REGION):
    """The global case of the study (see the module docstring); ``interconnect`` its ``mesh.interconnect``; a
    ball ``region`` makes the balls Anand too (else they are elastic and have no dW)."""
    path = ROOT / "cases" / "reference_reflow.yaml"
    models = "{bumps: anand, balls: anand}" if rn.kind(region) == "balls" else "{bumps: anand}"
    return api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path)) + [
        cycling_steps(cycles), "solver.max_temperature_increment=100 K", f"models={models}",
        "output.plots=false", "output.vtu=false", f"mesh.interconnect={interconnect}"])


def replay(case, pm, record, joint, name: str) -> dict:
    """One submodel of :data:`RUNS` from the union record: its dW per cycle (MJ/m^3) and size."""
    box_pitches, refine = RUNS[name] if name != DEFAULT else (1.0, local_mesh_of(case, joint[0]))
    t0 = time.perf_counter()
    res = run_submodel(case, record, joint, box_pitches, refine, pmesh=pm, fields="report")
    c = res.life["cycling"][joint[0]]["critical"]
    assert c["id"] == joint[1]  # the submodel reports its own joint only (joint_view)
    how = ([refine.feature_size * 1e6, refine.size * 1e6, refine.joint_elements] if isinstance(refine, LocalMesh)
           else [refine.n_xy, refine.n_z, refine.joint_elements])
    return {"name": name, "region": joint[0], "joint": joint[1], "box_pitches": box_pitches, "refine": how,
            "local_mesh": isinstance(refine, LocalMesh),
            "pad_layer_um": refine.pad_layer * 1e6,
            "elements": int(res.sub.pmesh.n_elements), "dofs": int(res.problem.ndofs),
            "joint_layers": int(res.sub.joint_layers), "layer_thickness_um": c["layer_thickness_um"],
            "interface": c["interface"], "dW_layer_MJ_m3": c["dW_layer_MJ_m3"],
            "dW_volume_MJ_m3": c["dW_volume_MJ_m3"], "dW_layer_per_cycle_MJ_m3": c["dW_layer_per_cycle_MJ_m3"],
            "sub_increments": len(res.newton), "newton": int(sum(res.newton)),
            "wall_s": round(time.perf_counter() - t0, 1)}


def revision() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "fcpkg_fem"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def study(rows: dict) -> dict:
    """The cut change and the convergence ladder of the replayed ``rows`` (name -> replay dict), per quantity."""
    out = {}
    for key in ("dW_layer_MJ_m3", "dW_volume_MJ_m3"):
        q = {}
        for kind, (one, two) in CUTS.items():
            if one in rows and two in rows:
                q[f"cut {kind}"] = rows[two][key] / rows[one][key] - 1.0
        for kind, ladder in LADDERS.items():
            if all(n in rows for n in ladder):
                q[f"ladder {kind}"] = grid_convergence(*(rows[n][key] for n in ladder), r=2.0)
        limit = (q.get(f"ladder {REFERENCE_LADDER}") or {}).get("extrapolated")
        for n in ONE_FACTOR:
            if limit is not None and n in rows:
                q[f"vs limit {n}"] = rows[n][key] / limit - 1.0
        out[key] = q
    return out


def table(meta: dict, rows: dict) -> str:
    lines = [f"global: {meta['elements']:,} elements, {meta['global_s']:.0f} s; joint {meta.get('region', REGION)} "
             f"id {meta['joint']} "
             f"(global dW per cycle: pad layer {meta['global_dW_layer_MJ_m3']:.6g}, volume "
             f"{meta['global_dW_volume_MJ_m3']:.6g} MJ/m^3); {meta['cycles']} cycles; {meta['date']} "
             f"rev {meta['revision']}",
             f"{'submodel':25} {'refine':>11} {'elements':>9} {'dofs':>8} {'layers':>6} {'pad um':>7} "
             f"{'dW layer':>10} {'dW volume':>10} {'wall s':>7}"]
    for n in (*RUNS, DEFAULT):
        if n in rows:
            r = rows[n]
            lines.append(f"{n:25} {'/'.join(f'{v:g}' for v in r['refine']):>11} {r['elements']:9,} {r['dofs']:8,} "
                         f"{r['joint_layers']:6} {r['layer_thickness_um']:7.2f} {r['dW_layer_MJ_m3']:10.6f} "
                         f"{r['dW_volume_MJ_m3']:10.6f} {r['wall_s']:7.0f}")
    for key, q in study(rows).items():
        label = "pad layer" if "layer" in key else "volume"
        for kind in CUTS:
            if f"cut {kind}" in q:
                lines.append(f"{label}, {kind}: cut 1 -> 2 pitches changes dW per cycle by {q[f'cut {kind}']:+.2%}")
        for kind in LADDERS:
            g = q.get(f"ladder {kind}")
            if g is None:
                continue
            if g["extrapolated"] is None:
                lines.append(f"{label}, {kind}: ladder not convergent (monotone {g['monotone']}, p {g['p']}, e21 "
                             f"{g['e21']:+.3%}): no extrapolation")
            else:
                lines.append(f"{label}, {kind}: p = {g['p']:.2f}, extrapolated {g['extrapolated']:.6f} MJ/m^3, e21 "
                             f"{g['e21']:+.3%}, GCI_fine {g['gci_fine']:.2%}, medium vs extrapolated "
                             f"{g['medium_to_extrapolated']:+.2%}")
        for n in ONE_FACTOR:
            if f"vs limit {n}" in q:
                lines.append(f"{label}, {n} vs the extrapolated value of '{REFERENCE_LADDER}': "
                             f"{q[f'vs limit {n}']:+.2%}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results" / "submodel_study")
    ap.add_argument("--only", default="", help=f"comma-separated names of RUNS or {DEFAULT} (default: all RUNS)")
    ap.add_argument("--table", action="store_true", help="print the table of the saved replays and stop")
    ap.add_argument("--interconnect", choices=("resolved", "column"), default="resolved",
                    help="the global model's mesh.interconnect (local models are resolved disks either way)")
    ap.add_argument("--joint", type=int, help="the joint to replay (default: the global run's critical one)")
    ap.add_argument("--region", default=REGION, help=f"the joints' region (default {REGION}; top_balls: the balls "
                    f"Anand too); run '{DEFAULT}' for a region's own default local mesh")
    args = ap.parse_args()
    args.results.mkdir(parents=True, exist_ok=True)
    meta_path, rec_path = args.results / "global.json", args.results / "record.npz"
    load = lambda: {n: json.loads((args.results / f"{n}.json").read_text())  # noqa: E731
                    for n in (*RUNS, DEFAULT) if (args.results / f"{n}.json").is_file()}
    if args.table:
        print(table(json.loads(meta_path.read_text()), load()))
        return
    case = study_case(args.cycles, args.interconnect, args.region)
    region = args.region
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else None
    if meta is None or meta["case_hash"] != case.hash() or not rec_path.is_file():
        t0 = time.perf_counter()
        pm, run, record = record_union(case, region, 2.0, progress=lambda m: print(m, flush=True))
        t_global = time.perf_counter() - t0
        life = run.life["cycling"][region]
        k = int(life["critical"]["id"])
        pj = {p["id"]: p for p in life["per_joint"]}[k]
        meta = {"case_hash": case.hash(), "cycles": args.cycles, "region": region, "joint": k,
                "elements": int(pm.n_elements),
                "global_s": t_global, "global_dW_layer_MJ_m3": pj["dW_layer_MJ_m3"],
                "global_dW_volume_MJ_m3": pj["dW_volume_MJ_m3"],
                "global_layer_series": life["critical"]["dW_layer_per_cycle_MJ_m3"],
                "global_per_joint_dW_layer_MJ_m3": {p["id"]: p["dW_layer_MJ_m3"] for p in life["per_joint"]},
                "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "revision": revision(),
                "threads": os.environ.get("OMP_NUM_THREADS", "")}
        record.save(rec_path)
        meta_path.write_text(json.dumps(meta, indent=1))
        for n in (*RUNS, DEFAULT):  # replays of an older record are stale
            (args.results / f"{n}.json").unlink(missing_ok=True)
    else:
        pm, record = api.mesh_case(case), BoundaryRecord.load(rec_path)
    joint = meta["joint"] if args.joint is None else args.joint
    print(f"global: critical joint {region} id {meta['joint']}, {meta['global_s']:.0f} s; replaying id {joint}",
          flush=True)
    for n in [s for s in args.only.split(",") if s] or list(RUNS):
        row = replay(case, pm, record, (region, joint), n)
        (args.results / f"{n}.json").write_text(json.dumps(row, indent=1))
        print(f"{n}: dW per cycle pad layer {row['dW_layer_MJ_m3']:.6f}, volume {row['dW_volume_MJ_m3']:.6f} "
              f"MJ/m^3; {row['elements']:,} elements, {row['wall_s']:.0f} s", flush=True)
    print(table(meta, load()))


if __name__ == "__main__":
    main()
