"""The Python API: everything the CLI does, a script can do.

    >>> import fcpkg_fem as fc
    >>> case = fc.load_case("cases/reference.yaml", overrides=["mesh.size=0.6 mm"])
    >>> result = fc.run(case, out_dir="runs/reference")
    >>> result.warpage("bottom")            # signed warpage per output time, um

Stages: case -> geometry -> mesh -> mechanical problem -> states per output time -> post -> writers.
"""

from __future__ import annotations

import hashlib
import json
import resource
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import __version__
from .geometry.build import build_geometry
from .geometry.model import Geometry
from .mesh.footprint import Footprint, footprint_shapes, mesh_footprint
from .mesh.swept import PackageMesh, sweep
from .post import PostContext, run_post
from .result import SUMMARY_SCHEMA, SUMMARY_SCHEMA_VERSION, FieldSet, RunResult
from .solve.mechanical import MechanicalProblem

Progress = Callable[[str], None] | None
MESHER_VERSION = "7"  # bump when the footprint mesher's output changes for the same input


def load_case(source, overrides=()):
    """Read and validate a case (path, YAML text or dict); ``overrides`` are ``dotted.path=value`` strings."""
    from .case import load_case as _load

    return _load(source, overrides=list(overrides))


def _say(progress: Progress, msg: str) -> None:
    if progress is not None:
        progress(msg)


def footprint_key(geom: Geometry, size: float, feature_size: float, circle_segments: int = 4) -> str:
    """Hash of everything that determines the footprint mesh."""
    import gmsh

    shapes = sorted({(p.shape.kind, round(p.shape.cx, 12), round(p.shape.cy, 12), round(p.shape.a, 12),
                      round(p.shape.b, 12)) for p in geom.prisms})
    blob = json.dumps([MESHER_VERSION, gmsh.__version__, geom.domain, size, feature_size, circle_segments, shapes])
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def get_footprint(geom: Geometry, size: float, feature_size: float, cache_dir: Path | None,
                  progress: Progress = None, circle_segments: int = 4) -> tuple[Footprint, bool]:
    """The footprint mesh, from ``cache_dir`` when it was made before. Returns (footprint, came_from_cache)."""
    from .io.atomic import atomic_path

    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"footprint-{footprint_key(geom, size, feature_size, circle_segments)}.npz"
        if path.exists():
            try:
                with np.load(path) as d:
                    return Footprint(points=d["points"], quads=d["quads"], shapes=tuple(footprint_shapes(geom)),
                                     quad_entity=d["quad_entity"], membership=d["membership"]), True
            except (OSError, ValueError, KeyError):
                pass  # a damaged cache entry is rebuilt
    fp = mesh_footprint(geom, size, feature_size, progress=progress, circle_segments=circle_segments)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, points=fp.points, quads=fp.quads, quad_entity=fp.quad_entity, membership=fp.membership)
    return fp, False


def mesh_case(case, cache_dir: str | Path | None = None, progress: Progress = None) -> PackageMesh:
    """Geometry and hexahedral mesh of a validated case."""
    geom = build_geometry(case)
    mc = case.mesh
    fp, _ = get_footprint(geom, mc.size, mc.feature_size, Path(cache_dir) if cache_dir else None, progress,
                          mc.circle_segments)
    _say(progress, f"mesh: sweeping {len(fp.quads)} footprint cells through {len(geom.z_planes) - 1} slabs")
    return sweep(geom, fp, mc.max_layer_thickness, mc.min_elements_per_layer)


def stress_free_temperatures(case, pmesh: PackageMesh) -> dict[str, float]:
    """Region -> stress-free temperature in degC: by region, else by material, else the case default."""
    ld = case.load
    by_mat = dict(getattr(ld, "stress_free_by_material", None) or {})
    by_reg = dict(getattr(ld, "stress_free_by_region", None) or {})
    out = {}
    for region in pmesh.region_names:
        mat = pmesh.region_material[region]
        out[region] = float(by_reg.get(region, by_mat.get(mat, ld.stress_free_temperature)))
    return out


def output_times(case) -> list[tuple[float | None, float]]:
    """(time in s or None, uniform temperature in degC) of every output."""
    ld = case.load
    if getattr(ld, "history", None) is not None:
        return [(float(t), float(T)) for t, T in zip(ld.history.time, ld.history.temperature)]
    return [(None, float(T)) for T in ld.temperatures]


def _peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(case, out_dir: str | Path | None = None, progress: Progress = None, mesh_cache: str | Path | None = None,
        write: bool = True, source: str | None = None, force: bool = False, resume: bool = False) -> RunResult:
    """Run a validated case end to end.

    Args:
        case: a validated case (from :func:`load_case`).
        out_dir: run folder; None with ``write=True`` uses ``case.output.dir`` or ``runs/<case name>``.
        progress: callable receiving one-line progress messages.
        mesh_cache: folder for cached footprint meshes (None: no cache).
        write: write the output files (summary.json last, so its presence marks a complete run).
        source: the case file's path, recorded in the summary.
        force: run even when the estimated memory exceeds the machine's (see :func:`fcpkg_fem.guard.preflight`,
            which also confines ``case.output.dir`` to the current directory before anything is created).
        resume: with ``load.steps``, continue from the last completed step checkpointed in the run folder.

    Returns:
        The :class:`RunResult` (numbers identical to summary.json).
    """
    from .guard import preflight

    out_dir = preflight(case, out_dir, write=write, force=force, progress=progress)
    t_start = time.perf_counter()
    timing = {"mesh": 0.0, "assemble": 0.0, "solve": 0.0, "post": 0.0}
    t0 = time.perf_counter()
    _say(progress, f"case '{case.name}': building geometry and mesh")
    pmesh = mesh_case(case, mesh_cache, progress)
    timing["mesh"] = time.perf_counter() - t0
    element = case.mesh.element
    materials = case.materials_resolved
    t0 = time.perf_counter()
    problem = MechanicalProblem(pmesh, materials, stress_free_temperatures(case, pmesh), element=element,
                                linear=case.solver.linear, rtol=case.solver.rtol)
    timing["assemble"] += time.perf_counter() - t0
    m = pmesh.mesh
    _say(progress, f"mesh: {m.nelements} {element} elements, {m.nvertices} vertices, "
                   f"{problem.ndofs} dofs ({pmesh.geometry.symmetry} model)")
    outputs, fields, faces, history, iterations, methods = [], [], [], [], [], set()
    process = None
    times = [] if case.load.mode == "steps" else output_times(case)
    if case.load.mode == "steps":
        from .timeline import run_steps

        rec = run_steps(case, pmesh, problem, progress, timing, ckpt_dir=out_dir if write else None, resume=resume)
        outputs, fields, faces, history = rec.outputs, rec.fields, rec.faces, rec.history
        iterations, methods = rec.iterations, rec.methods
        process = _process_summary(rec)
    for index, (t_s, T) in enumerate(times):
        _say(progress, f"solve {index + 1}/{len(times)}: T = {T:g} degC")
        st = problem.solve(T)
        timing["assemble"] += st.timing["assemble"]
        timing["solve"] += st.timing["solve"]
        iterations.append(st.stats.iterations)
        methods.add(st.stats.method)
        t0 = time.perf_counter()
        ctx = PostContext.of(pmesh, problem, st, case)
        post = run_post(ctx)
        face_samples = post.pop("_faces", {})
        out = {"index": index, "time_s": t_s, "temperature_C": T, **post, "max_temperature_difference_C": 0.0}
        outputs.append(out)
        faces.append(face_samples)
        history.append(_history_row(out))
        fields.append(FieldSet(
            point_data={"displacement": ctx.vertex_u, "temperature": np.full(m.nvertices, T)},
            cell_data={"stress_MPa": st.stress * 1e-6, "von_mises_MPa": ctx.von_mises * 1e-6, "strain": st.strain,
                       "mech_strain": ctx.mech_strain},
        ))
        timing["post"] += time.perf_counter() - t0
    summary = {
        "schema": SUMMARY_SCHEMA,
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "fcpkg_fem_version": __version__,
        "case": {"name": case.name, "structure": case.structure, "hash": case.hash(), "source": source},
        "units": {"length": "um in *_um keys, mm in *_mm keys", "stress": "MPa", "temperature": "degC",
                  "time": "s", "strain": "dimensionless (m/m)"},
        "conventions": {"warpage": WARPAGE_CONVENTION, "stress_voigt_order": "xx, yy, zz, yz, xz, xy"},
        "mesh": {"dofs": int(problem.ndofs), "nodes": int(m.nvertices), "elements": int(m.nelements),
                 "element": element, "symmetry": pmesh.geometry.symmetry,
                 "regions": {r: int(np.sum(pmesh.cell_region == i)) for i, r in enumerate(pmesh.region_names)}},
        "solver": {"method": " + ".join(sorted(methods)), "iterations": iterations, "rtol": case.solver.rtol},
        "outputs": outputs,
    }
    if process is not None:
        summary["process"] = process
        if rec.life:
            summary["life"] = {"note": LIFE_NOTE, "steps": rec.life}
    result = RunResult(summary=summary, points=m.p.T.copy(), cells=pmesh.cells_vtk, region_names=pmesh.region_names,
                       cell_region=pmesh.cell_region, fields=fields, faces=faces, history=history,
                       newton=rec.newton if process is not None else [])
    timing["total"] = time.perf_counter() - t_start
    summary["timing_s"] = {k: round(v, 3) for k, v in timing.items()}
    summary["peak_memory_MB"] = round(_peak_memory_mb(), 1)
    if write:
        from .io.writers import write_all

        out_dir = Path(out_dir or getattr(case.output, "dir", None) or Path("runs") / case.name)
        _say(progress, f"writing results to {out_dir}")
        names = [n for n, on in (("csv", case.output.csv), ("vtu", case.output.vtu), ("plots", case.output.plots),
                                 ("report", case.output.report)) if on]
        result.out_dir = out_dir
        _write_resolved_case(case, out_dir)
        write_all(result, out_dir, ["summary"] + names)
    return result


WARPAGE_CONVENTION = (
    "Each face is viewed from outside the package: 'bottom' = carrier 1 bottom (terminal side) seen from below, "
    "'top' = carrier 2 top (stacking side) seen from above. The least-squares plane is removed; coplanarity_um is "
    "the peak-to-valley of the rest. signed_um = +coplanarity when the face is convex (bulges towards the viewer: "
    "centre nearer the viewer than the corners), -coplanarity when concave (JESD22-B112 / JEITA ED-7306 naming); a "
    "saddle takes the sign of its mean curvature. corner_minus_center_um = mean of the four corners minus the "
    "centre of the plane-removed surface, displacement measured along +z (not view-dependent). Curvatures are "
    "second derivatives of the +z displacement from a quadratic fit."
)


LIFE_NOTE = (
    "Life estimates are derived figures with large uncertainty (factor 2 or more): each names its constants, their "
    "source and assumptions. dW is the per-cycle increment of the inelastic work density over the last complete "
    "cycle, averaged over the element layer at the joint's pad interface (Darveaux; layer thickness recorded) or "
    "over the joint (Syed)."
)


def _process_summary(rec) -> dict:
    """The process plan and the Newton statistics of a history run, for summary.json."""
    steps = []
    for s in rec.plan:
        p = s.profile
        steps.append({"name": s.name, "kind": s.kind, "t_start_s": s.t_start, "t_end_s": s.t_end,
                      "births": list(s.births), "increments": int(len(s.increments)),
                      "standard": getattr(p, "standard", None),
                      "parameters": {k: (float(v) if isinstance(v, (int, float, np.floating)) else v)
                                     for k, v in (getattr(p, "parameters", None) or {}).items()},
                      "violations": [str(getattr(v, "message", v)) for v in s.violations],
                      # solder melting and solidification in this step (docs/process.md)
                      "phase_changes": [{k: v for k, v in e.items() if k != "step"} for e in rec.events
                                        if e["step"] == s.name]})
    its = [n["newton_iterations"] for n in rec.newton]
    return {"steps": steps,
            "newton": {"increments": len(rec.newton), "iterations_total": int(sum(its)),
                       "iterations_max": int(max(its, default=0)),
                       "cutbacks": int(sum(1 for n in rec.newton if n["cutbacks"]))}}


def _history_row(out: dict) -> dict[str, float]:
    row = {"index": out["index"], "temperature_C": out["temperature_C"]}
    if out["time_s"] is not None:
        row["time_s"] = out["time_s"]
    for face, w in out["warpage"].items():
        if w and face in ("bottom", "top"):
            row[f"warpage_{face}_signed_um"] = w["signed_um"]
            row[f"warpage_{face}_coplanarity_um"] = w["coplanarity_um"]
            row[f"warpage_{face}_corner_minus_center_um"] = w["corner_minus_center_um"]
    for region, r in out.get("regions", {}).items():
        if region in ("adhesive", "encapsulant"):
            row[f"{region}_von_mises_max_MPa"] = r["von_mises_max_MPa"]
            row[f"{region}_max_principal_max_MPa"] = r["max_principal_max_MPa"]
    for name, r in out.get("interfaces", {}).items():
        row[f"{name}_peel_max_MPa"] = r["peel_max_MPa"]
        row[f"{name}_shear_max_MPa"] = r["shear_max_MPa"]
    for section in ("bumps", "vias", "balls"):
        for region, r in out.get(section, {}).items():
            row[f"{region}_critical_eq_strain"] = r["critical"]["eq_strain"]
            row[f"{region}_critical_id"] = r["critical"]["id"]
    return row


def _write_resolved_case(case, out_dir: Path) -> None:
    from .io.atomic import atomic_write_text

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    atomic_write_text(Path(out_dir) / "case.resolved.json", json.dumps(case.resolved_dict(), indent=2) + "\n")
