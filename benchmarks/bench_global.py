"""Benchmark: the fast global model (``mesh.interconnect: column``) beside the resolved one (issue 19, item 1).

    python benchmarks/bench_global.py                         # both points below, resolved and column each
    python benchmarks/bench_global.py --point reference-simple
    python benchmarks/bench_global.py --point reflow-coarse --mode column
    python benchmarks/bench_global.py --from-checkpoint reflow-default-before-reflow resolved RUN_DIR

Points (the first two by default):

``reference-simple``
    ``cases/reference.yaml`` (its stress-free temperatures per material) at the mesh of issue 19
    (``REFERENCE_MESH``: hex8i, 1 mm, 150 um at the joints, 300 um layers), solved at 125 and -40 degC.
``reflow-coarse``
    ``cases/reference_reflow.yaml`` at the regression tests' coarse mesh and thinned arrays
    (``tests/support/coarse.py``) with ``solver.max_temperature_increment=20 K`` (as
    ``tests/regression/test_process_cases.py``): the whole process history and three reflow passes.
``reflow-default-before-reflow``
    ``cases/reference_reflow.yaml`` as shipped (its default mesh: 271,758 unknowns resolved) through its 11 steps
    before the reflow (joining, cure, moulding, ball attach). The resolved history takes about 26 s per increment
    here; ``--from-checkpoint`` reads its results from the checkpoint of a run of the whole case that got past
    ``ball_attach_cool`` (e.g. ``fcpkg run cases/reference_reflow.yaml`` stopped in its reflow): its outputs 0-11
    are this point's, on the same mesh (checked by its SHA-256).

Both with ``solver.linear=pardiso``. Each (point, mode) runs ``api.run(case, write=False)`` in its own fresh
process, so the peak resident memory (``summary["peak_memory_MB"]``, ru_maxrss) is that run's own. Printed side by
side: unknowns, elements, seconds per phase (``summary["timing_s"]``), peak memory; at every output the bottom and
top signed warpage and, for the critical joint of each bump/ball region, the displacement jump (mean displacement
of the joint's top pad face minus its bottom pad face, area weighted). The critical joint of a region is the one
with the largest jump magnitude in the resolved model at the last output; the column model is compared on the same
joint id. Errors: warpage |column - resolved| in um and relative; jumps |d_col - d_res| / |d_res| (vector norm).

The table is printed and written with a JSON copy to ``benchmarks/results/`` (git-ignored). No pytest here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

MODES = ("resolved", "column")
# the reference mesh of issue 19 (223,464 unknowns resolved), pinned against later edits of the case's mesh section
REFERENCE_MESH = ["mesh.element=hex8i", "mesh.size=1 mm", "mesh.feature_size=150 um", "mesh.circle_segments=4",
                  "mesh.max_layer_thickness=300 um", "mesh.min_elements_per_layer=1", "mesh.layer_elements={}"]
POINTS = ("reference-simple", "reflow-coarse", "reflow-default-before-reflow")
DEFAULT_POINTS = POINTS[:2]  # the third runs for hours
BEFORE_REFLOW = 11  # reference_reflow's steps before its reflow: joining, cure, moulding, ball attach
JOINT_KINDS = ("bumps", "balls")
# what each output keeps of a face's warpage besides its signed value (docs/outputs.md, "Warpage")
FACE_KEYS = ("coplanarity_um", "shape", "corner_minus_center_um", "curvature_x_1_per_m", "curvature_y_1_per_m")


def point_case(point: str, mode: str, extra: list[str] = ()):
    """The validated case of a benchmark point in a mesh mode, with ``extra`` overrides (``--set``) last."""
    from support.coarse import COARSE_MESH, coarse_pattern

    from fcpkg_fem import api

    common = ["solver.linear=pardiso", f"mesh.interconnect={mode}", *extra]
    if point == "reference-simple":
        return api.load_case(ROOT / "cases" / "reference.yaml",
                             overrides=common + REFERENCE_MESH + ["load.temperatures=[125 degC, -40 degC]"])
    if point == "reflow-coarse":
        path = ROOT / "cases" / "reference_reflow.yaml"
        return api.load_case(path, overrides=COARSE_MESH + coarse_pattern(api.load_case(path)) + common
                             + ["solver.max_temperature_increment=20 K"])
    if point == "reflow-default-before-reflow":
        path = ROOT / "cases" / "reference_reflow.yaml"
        steps = yaml.safe_load(path.read_text())["load"]["steps"][:BEFORE_REFLOW]
        return api.load_case(path, overrides=common + [f"load.steps={json.dumps(steps)}"])
    raise SystemExit(f"unknown point {point!r}; choose from {', '.join(POINTS)}")


def joint_jumps(pmesh, u: np.ndarray) -> dict[str, np.ndarray]:
    """Per joint of every bump and ball region: mean displacement (m) of its top pad face minus its bottom pad
    face, (n_items, 3). Each element of the joint's top (bottom) element layer contributes the mean of its four top
    (bottom) vertices, weighted by its footprint area (its volume over its height)."""
    from fcpkg_fem.case import names as rn
    from fcpkg_fem.post.joints import item_elements, pad_layers

    m = pmesh.mesh
    out = {}
    for region in pmesh.region_names:
        if rn.kind(region) not in JOINT_KINDS:
            continue
        rows = []
        for els in item_elements(pmesh, region):
            if not len(els):
                rows.append(np.full(3, np.nan))
                continue
            lo, hi, _, _ = pad_layers(pmesh, els)
            face = []
            for e, top in ((lo, False), (hi, True)):
                z = m.p[2, m.t[:, e]]                                   # (8, n)
                zf = z.max(axis=0) if top else z.min(axis=0)
                on = np.abs(z - zf) < 1e-12
                xy = m.p[:2, m.t[:, e]]
                # footprint area of each element from its face's four vertices (shoelace on the hull order)
                area = np.array([_quad_area(xy[:, on[:, k], k].T) for k in range(len(e))])
                ue = np.array([u[m.t[on[:, k], e[k]]].mean(axis=0) for k in range(len(e))])
                face.append((ue * area[:, None]).sum(axis=0) / area.sum())
            rows.append(face[1] - face[0])
        out[region] = np.array(rows)
    return out


def _quad_area(p: np.ndarray) -> float:
    c = p.mean(axis=0)
    order = np.argsort(np.arctan2(p[:, 1] - c[1], p[:, 0] - c[0]))
    q = p[order]
    return 0.5 * abs(np.dot(q[:, 0], np.roll(q[:, 1], -1)) - np.dot(np.roll(q[:, 0], -1), q[:, 1]))


def output_row(o: dict, jumps: dict[str, np.ndarray]) -> dict:
    """What the table keeps of one output of the summary (``o``) and its joints' jumps (m)."""
    return {"temperature_C": o["temperature_C"], "time_s": o.get("time_s"), "step": o.get("step"),
            "warpage_bottom_um": o["warpage"]["bottom"]["signed_um"],
            "warpage_top_um": o["warpage"]["top"]["signed_um"],
            "faces": {f: {k: o["warpage"][f].get(k) for k in FACE_KEYS} for f in ("bottom", "top")},
            "jumps_um": {k: (v * 1e6).tolist() for k, v in jumps.items()}}


def child(point: str, mode: str, out: Path, extra: list[str] = ()) -> None:
    """One (point, mode): run it and write what the table needs to ``out`` (JSON)."""
    from fcpkg_fem import api

    case = point_case(point, mode, extra)
    t0 = time.perf_counter()
    r = api.run(case, write=False)
    wall = time.perf_counter() - t0
    pmesh = api.mesh_case(case)  # the same mesh again (deterministic) for the joints' elements
    assert pmesh.mesh.nvertices == len(r.points)
    s = r.summary
    outputs = []
    for o, f in zip(r.outputs, r.fields):
        outputs.append(output_row(o, joint_jumps(pmesh, np.asarray(f.point_data["displacement"]))))
    fp = pmesh.footprint
    doc = {"point": point, "mode": mode, "dofs": s["mesh"]["dofs"], "elements": s["mesh"].get("elements"),
           "vertices": int(pmesh.mesh.nvertices), "footprint_points": int(len(fp.points)),
           "footprint_quads": int(len(fp.quads)), "timing_s": s["timing_s"], "peak_memory_MB": s["peak_memory_MB"],
           "wall_s": round(wall, 2), "outputs": outputs}
    if "process" in s:
        doc["newton"] = s["process"].get("newton")
        doc["steps"] = [[st.name, list(st.births)] for st in case.load.steps]
    out.write_text(json.dumps(doc))


def birth_outputs(doc: dict) -> dict[str, int | None]:
    """Per joint region of ``doc``: the index of the last output before the step in which the region is born (its
    jump then is where the joint starts from), or None when it exists from the start (or no output precedes its
    birth: its jump is compared whole)."""
    from fcpkg_fem.case import names as rn

    steps = [name for name, _ in doc.get("steps", [])]
    out = {}
    for region in doc["outputs"][-1]["jumps_um"]:
        born = [i for i, (_, births) in enumerate(doc.get("steps", []))
                if region in births or rn.kind(region) in births]
        before = [k for k, o in enumerate(doc["outputs"]) if born and o.get("step") in steps[:born[0]]]
        out[region] = before[-1] if before else None
    return out


def from_checkpoint(point: str, mode: str, run_dir: Path, out: Path) -> None:
    """What :func:`child` writes, read instead from the checkpoint of a run of the same case (``run_dir``, a run
    folder or its ``checkpoint``): its last step's record (every output so far) and fields (their displacements),
    on the point's mesh, which must be the checkpoint's (SHA-256). For a long run made elsewhere (the resolved
    default-mesh history: about 26 s per increment); its timing is not known here."""
    from fcpkg_fem import api
    from fcpkg_fem.run.checkpoint import mesh_digest

    ck = run_dir / "checkpoint" if (run_dir / "checkpoint").is_dir() else run_dir
    last = sorted(ck.glob("step-*"))[-1]
    rec = json.loads((last / "record.json").read_text())
    case = point_case(point, mode)
    pmesh = api.mesh_case(case)
    if mesh_digest(pmesh) != rec["mesh_sha256"]:
        raise SystemExit(f"{last}: the checkpoint's mesh is not the mesh of {point} {mode}")
    fields = np.load(last / "fields.npz")
    outputs = []
    for o in rec["outputs"]:
        outputs.append(output_row(o, joint_jumps(pmesh, fields[f"{o['index']}:point:displacement"])))
    fp = pmesh.footprint
    doc = {"point": point, "mode": mode, "dofs": 3 * int(pmesh.mesh.nvertices), "elements": int(pmesh.n_elements),
           "vertices": int(pmesh.mesh.nvertices), "footprint_points": int(len(fp.points)),
           "footprint_quads": int(len(fp.quads)), "timing_s": {}, "peak_memory_MB": 0, "wall_s": None,
           "outputs": outputs, "from_checkpoint": str(last),
           "steps": [[st.name, list(st.births)] for st in case.load.steps]}
    out.write_text(json.dumps(doc))


def compare(res: dict, col: dict) -> list[dict]:
    """Per output: warpage errors and, per joint region, the critical joint's jump error. A joint born during the
    history is compared on its jump since the output before its birth (the displacements its pads had when it
    solidified load nothing); outputs before that have no jump row (NaN)."""
    zero = birth_outputs(res)
    last = {r: np.array(v) - (0.0 if zero[r] is None else np.array(res["outputs"][zero[r]]["jumps_um"][r]))
            for r, v in res["outputs"][-1]["jumps_um"].items()}
    crit = {r: int(np.nanargmax(np.linalg.norm(v, axis=1))) for r, v in last.items()}
    rows = []
    for i, (a, b) in enumerate(zip(res["outputs"], col["outputs"])):
        row = {"T_C": a["temperature_C"], "time_s": a["time_s"]}
        for face in ("bottom", "top"):
            wa, wb = a[f"warpage_{face}_um"], b[f"warpage_{face}_um"]
            row[f"w_{face}_res"], row[f"w_{face}_col"] = wa, wb
            row[f"dw_{face}_um"] = wb - wa
            row[f"dw_{face}_rel"] = (wb - wa) / wa if wa else float("nan")
        for region, k in crit.items():
            z = zero[region]
            if z is not None and i <= z:
                row[f"jump_{region}"] = (k, float("nan"), float("nan"), float("nan"))
                continue
            ja, jb = np.array(a["jumps_um"][region][k]), np.array(b["jumps_um"][region][k])
            if z is not None:
                ja = ja - np.array(res["outputs"][z]["jumps_um"][region][k])
                jb = jb - np.array(col["outputs"][z]["jumps_um"][region][k])
            na = np.linalg.norm(ja)
            row[f"jump_{region}"] = (k, float(na), float(np.linalg.norm(jb)),
                                     float(np.linalg.norm(jb - ja) / na) if na else float("nan"))
        rows.append(row)
    return rows


def table(res: dict, col: dict) -> str:
    lines = [f"## {res['point']}", "",
             "| | resolved | column | ratio |", "| --- | ---: | ---: | ---: |"]

    def line(name, a, b, fmt="{:.0f}"):
        ratio = f"{a / b:.2f}x" if b else ""
        lines.append(f"| {name} | {fmt.format(a)} | {fmt.format(b)} | {ratio} |")

    line("unknowns", res["dofs"], col["dofs"])
    line("footprint points", res["footprint_points"], col["footprint_points"])
    line("vertices", res["vertices"], col["vertices"])
    for k in ("mesh", "assemble", "solve", "post", "total"):
        line(f"{k} s", res["timing_s"].get(k, 0.0), col["timing_s"].get(k, 0.0), "{:.1f}")
    line("peak memory MB", res["peak_memory_MB"], col["peak_memory_MB"])
    if "newton" in res:
        lines.append(f"| Newton | {res['newton']} | {col.get('newton')} | |")
    lines += ["", "| output | T degC | bottom res/col um | err | top res/col um | err | critical joint jumps "
              "res/col um (err) |", "| ---: | ---: | --- | ---: | --- | ---: | --- |"]
    for i, row in enumerate(compare(res, col)):
        joints = "; ".join(f"{r} #{k}: {a:.3f}/{b:.3f} ({e * 100:.1f} %)"
                           for r, (k, a, b, e) in ((r, row[f"jump_{r}"]) for r in
                                                   sorted(k[5:] for k in row if k.startswith("jump_"))))
        lines.append(f"| {i} | {row['T_C']:.1f} | {row['w_bottom_res']:.3f}/{row['w_bottom_col']:.3f} | "
                     f"{row['dw_bottom_um']:+.3f} um ({row['dw_bottom_rel'] * 100:+.2f} %) | "
                     f"{row['w_top_res']:.3f}/{row['w_top_col']:.3f} | "
                     f"{row['dw_top_um']:+.3f} um ({row['dw_top_rel'] * 100:+.2f} %) | {joints} |")
    rows = compare(res, col)
    worst_w = max(max(abs(r["dw_bottom_um"]), abs(r["dw_top_um"])) for r in rows)
    worst_j = float(np.nanmax([r[k][3] for r in rows for k in r if k.startswith("jump_")] + [np.nan]))
    worst_r = {reg: float(np.nanmax([r[f"jump_{reg}"][3] for r in rows] + [np.nan]))
               for reg in sorted(k[5:] for k in rows[-1] if k.startswith("jump_"))}
    lines += ["", f"worst warpage difference {worst_w:.3f} um; worst critical-joint jump difference "
                  f"{worst_j * 100:.2f} % (" + "; ".join(f"{k} {v * 100:.2f} %" for k, v in worst_r.items()) + ")",
              "(a joint born during the history is compared on its jump since the output before its birth)", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--point", action="append", choices=POINTS)
    ap.add_argument("--mode", action="append", choices=MODES)
    ap.add_argument("--child", nargs=3, metavar=("POINT", "MODE", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--reuse", action="store_true", help="reuse results/global-<point>-<mode>.json when present")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="a case override for both models (after the point's own), e.g. 'models.balls=elastic'")
    ap.add_argument("--tag", default="", help="added to the result files' names (runs with --set)")
    ap.add_argument("--from-checkpoint", nargs=3, metavar=("POINT", "MODE", "RUN_DIR"),
                    help="write results/global-<point>-<mode>.json from a run folder's checkpoint instead of running "
                         "it (then --reuse tabulates it)")
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], Path(args.child[2]), args.set)
        return 0
    if args.from_checkpoint:
        point, mode, run_dir = args.from_checkpoint
        RESULTS.mkdir(parents=True, exist_ok=True)
        from_checkpoint(point, mode, Path(run_dir), RESULTS / f"global-{point}-{mode}.json")
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    got: dict = {}
    for point in args.point or DEFAULT_POINTS:
        for mode in args.mode or MODES:
            path = RESULTS / f"global-{point}{'-' + args.tag if args.tag else ''}-{mode}.json"
            if not (args.reuse and path.exists()):
                print(f"running {point} {mode} ...", flush=True)
                sets = [a for kv in args.set for a in ("--set", kv)]
                subprocess.run([sys.executable, __file__, "--child", point, mode, str(path), *sets], check=True,
                               cwd=ROOT)
            got[(point, mode)] = json.loads(path.read_text())
    text = [f"bench_global {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC", ""]
    for point in args.point or DEFAULT_POINTS:
        if (point, "resolved") in got and (point, "column") in got:
            text.append(table(got[(point, "resolved")], got[(point, "column")]))
        else:
            for mode in MODES:
                if (point, mode) in got:
                    d = got[(point, mode)]
                    text.append(f"{point} {mode}: {d['dofs']} dofs, {d['timing_s']}, {d['peak_memory_MB']} MB")
    out = "\n".join(text)
    print(out)
    (RESULTS / f"bench_global-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.md").write_text(out + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
