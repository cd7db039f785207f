"""``fcpkg run CASE``: mesh, solve, post-process and write one case; print a short results table."""

from __future__ import annotations

import argparse
from pathlib import Path

from fcpkg_fem import api
from fcpkg_fem.errors import InputError

from .common import Progress, add_case_args, add_force_arg, add_mesh_cache_arg, load, positive_int, table


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("run", help="run a case end to end and write its results",
                       description="Run CASE: mesh, solve every output temperature, post-process and write the "
                                   "run folder (docs/outputs.md). Progress goes to stderr, the results table to "
                                   "stdout.")
    add_case_args(p)
    next(a for a in p._actions if a.dest == "case").nargs = "?"  # optional with --resume DIR (the checkpoint has it)
    p.add_argument("--resume", metavar="DIR", help="continue the stopped process-history run in DIR from its last "
                   "completed step (docs/process.md); CASE may be omitted: the checkpoint holds it")
    p.add_argument("--out", metavar="DIR", help="run folder, anywhere you choose (default: the case's output.dir, "
                   "which must lie inside the current directory, else runs/<case name>)")
    add_mesh_cache_arg(p)
    add_force_arg(p)
    p.add_argument("--jobs", type=positive_int, metavar="N", help="processes running the submodels (submodel:) at "
                   "once (default: one per core, as many as the memory holds; 1: one after another); the results "
                   "do not depend on it")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr (no log lines, no live "
                   "status line)")
    p.set_defaults(func=cmd)
    return p


def default_out_dir(case) -> Path:
    """Where a run without ``--out`` writes (the case's ``output.dir`` is confined by api.run itself)."""
    return Path(getattr(case.output, "dir", None) or Path("runs") / case.name)


def shown_path(path: Path) -> Path:
    """``path`` relative to the current directory when it lies inside it (as the user would type it)."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()) if Path(path).is_absolute() else Path(path)
    except ValueError:
        return Path(path)


def _face(o: dict, face: str) -> str:
    w = (o.get("warpage") or {}).get(face)
    return f"{w['signed_um']:+.2f} {w['shape']}" if w else "-"


def _vm(o: dict, region: str) -> str:
    r = (o.get("regions") or {}).get(region)
    return f"{r['von_mises_max_MPa']:.2f}" if r else "-"


def results_table(summary: dict) -> str:
    """One row per output: temperature, signed warpage + shape of both faces, peak adhesive/encapsulant stress."""
    rows = []
    for o in summary["outputs"]:
        t = "" if o.get("time_s") is None else f"{o['time_s']:g}"
        rows.append([str(o["index"]), t, f"{o['temperature_C']:g}", _face(o, "bottom"), _face(o, "top"),
                     _vm(o, "adhesive"), _vm(o, "encapsulant")])
    header = ["#", "time s", "T degC", "bottom warpage um", "top warpage um", "adhesive vM MPa",
              "encapsulant vM MPa"]
    if all(r[1] == "" for r in rows):
        header.pop(1)
        rows = [r[:1] + r[2:] for r in rows]
    return table(header, rows)


def cmd(args: argparse.Namespace) -> int:
    if args.resume:
        return _resume(args)
    if args.case is None:
        raise InputError.single("CASE", "give a case file (or --resume DIR to continue a stopped run)")
    case = load(args)
    # --out is the user's own choice (trusted); without it api.run confines the case's output.dir to the
    # current directory before creating anything
    out_arg = Path(args.out) if args.out else (None if getattr(case.output, "dir", None) else default_out_dir(case))
    with Progress(args.quiet) as progress:  # the live line is gone before the results or an error are printed
        result = api.run(case, out_arg, progress=progress, mesh_cache=args.mesh_cache, source=args.case,
                         force=args.force, jobs=args.jobs)
    out_dir = out_arg if args.out else shown_path(result.out_dir if result.out_dir is not None else out_arg)
    s = result.summary
    print(f"case '{case.name}': {s['mesh']['elements']} {s['mesh']['element']} elements, {s['mesh']['dofs']} dofs "
          f"({s['mesh']['symmetry']} model), {s['solver']['method']}, {s['timing_s'].get('total', 0):.1f} s")
    print(results_table(s))
    print("warpage: signed, + convex / - concave, each face viewed from outside the package (docs/outputs.md)")
    files = s.get("files") or {}
    print(f"results in {out_dir}/: summary.json"
          + (", report.html" if "report" in files else "")
          + (", fields.pvd (ParaView)" if "vtu" in files else "")
          + (", history.csv" if "csv" in files else ""))
    return 0


def _resume(args: argparse.Namespace) -> int:
    """``fcpkg run [CASE] --resume DIR``: continue from DIR's checkpoint; the case is DIR's own unless given."""
    out_dir = Path(args.resume)
    if args.out and Path(args.out).resolve() != out_dir.resolve():
        raise InputError.single("--out", f"--resume writes into its own folder {out_dir}; leave --out out")
    if not out_dir.is_dir():
        raise InputError.single("--resume", f"{out_dir} is not a run folder")
    case = load(args) if args.case else api.resume_case(out_dir)
    with Progress(args.quiet) as progress:
        result = api.run(case, out_dir, progress=progress, mesh_cache=args.mesh_cache, source=args.case,
                         force=args.force, resume=True, jobs=args.jobs)
    s = result.summary
    print(f"case '{case.name}' (resumed): {s['mesh']['dofs']} dofs, {s['timing_s'].get('total', 0):.1f} s")
    print(results_table(s))
    print(f"results in {shown_path(out_dir)}/")
    return 0
