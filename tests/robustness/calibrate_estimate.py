"""Fit and check the constants of :func:`fcpkg_fem.run.preflight.estimate` against real meshes (not a test).

    python tests/robustness/calibrate_estimate.py            # mesh counts: fit, then the estimate's error
    python tests/robustness/calibrate_estimate.py --use-fit  # the error with the constants just fitted
    python tests/robustness/calibrate_estimate.py --memory   # also peak memory of real runs (minutes)
    python tests/robustness/calibrate_estimate.py --memory-only [heldout]

Mesh counts: every case in ``SPECS`` is meshed for real (gmsh footprint + sweep, no cache); the footprint terms of
mesh.estimate.footprint_terms are fitted to the real footprint quad counts by non-negative least squares, and the
estimate's elements / nodes / dofs are compared with the real mesh's. Memory: a subprocess runs each case in
``MEMORY_SPECS`` with ``write=False`` and reports its peak RSS (``ru_maxrss``).
Results are printed as tables; docs/robustness.md quotes them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

# (case file, overrides): the reference layout at several sizes, element types and symmetries, and the others
SPECS = [
    ("reference", ["mesh.size=2 mm", "mesh.feature_size=300 um"]),
    ("reference", ["mesh.size=1.5 mm", "mesh.feature_size=200 um"]),
    ("reference", []),
    ("reference", ["mesh.size=1 mm", "mesh.feature_size=100 um"]),
    ("reference", ["mesh.size=1 mm", "mesh.feature_size=250 um"]),
    ("reference", ["mesh.size=0.6 mm", "mesh.feature_size=80 um"]),
    ("reference", ["mesh.size=0.4 mm", "mesh.feature_size=50 um"]),
    ("reference", ["mesh.size=0.5 mm", "mesh.feature_size=50 um", "mesh.circle_segments=12"]),
    ("reference", ["mesh.symmetry=full"]),
    ("reference", ["mesh.symmetry=half", "mesh.element=hex20", "mesh.size=1.5 mm", "mesh.feature_size=200 um"]),
    ("reference", ["mesh.max_layer_thickness=100 um", "mesh.min_elements_per_layer=2", "mesh.size=0.8 mm",
                   "mesh.feature_size=120 um"]),
    ("reference", ["mesh.size=0.7 mm", "mesh.feature_size=70 um", "mesh.circle_segments=8"]),
    ("tab_traces", []),
    ("tab_traces", ["mesh.size=2 mm", "mesh.feature_size=300 um"]),
    ("tab_traces", ["mesh.size=0.7 mm", "mesh.feature_size=80 um", "mesh.symmetry=full"]),
    ("tab_traces", ["mesh.size=0.5 mm", "mesh.feature_size=100 um"]),
    ("tab_traces", ["mesh.size=0.3 mm", "mesh.feature_size=50 um", "mesh.element=hex20"]),
    ("laminate_bimetal", []),
    ("laminate_bimetal", ["mesh.size=0.2 mm"]),
    ("laminate_bimetal", ["mesh.size=0.1 mm", "mesh.element=hex8i"]),
]

MEMORY_SPECS = [
    ("mini", ["solver.linear=direct"]),
    ("mini", ["mesh.element=hex20", "solver.linear=amg"]),
    ("laminate_bimetal", ["mesh.size=0.2 mm", "solver.linear=direct"]),
    ("laminate_bimetal", ["mesh.size=0.1 mm", "mesh.element=hex8i", "solver.linear=amg"]),
    ("laminate_bimetal", ["mesh.size=0.1 mm", "mesh.element=hex8i", "solver.linear=direct"]),
    ("tab_traces", ["solver.linear=amg", "load.temperatures=[125]"]),
    ("reference", ["mesh.size=2 mm", "mesh.feature_size=300 um", "solver.linear=amg", "load.temperatures=[125]"]),
]

# not used to fit the memory constants of run/preflight.py: their error is the model's error
MEMORY_HELDOUT = [
    ("mini", ["solver.linear=amg"]),
    ("mini", ["mesh.symmetry=full", "solver.linear=amg"]),
    ("laminate_bimetal", ["mesh.size=0.15 mm", "mesh.element=hex20", "solver.linear=amg"]),
    ("tab_traces", ["solver.linear=direct", "load.temperatures=[125]"]),
]


def real_counts(case) -> dict:
    from fcpkg_fem import api
    from fcpkg_fem.cli.mesh import dofs_estimate

    pm = api.mesh_case(case)
    return {"footprint": len(pm.footprint.quads), "elements": int(pm.mesh.nelements),
            "nodes": int(pm.mesh.nvertices), "dofs": dofs_estimate(pm, case.mesh.element)}


def mesh_table() -> list[dict]:
    from fcpkg_fem import api
    from fcpkg_fem.errors import MeshError
    from fcpkg_fem.mesh import estimate as mesh_estimate
    from fcpkg_fem.geometry.build import build_geometry

    rows = []
    for name, ov in SPECS:
        case = api.load_case(ROOT / "cases" / f"{name}.yaml", overrides=ov)
        mc = case.mesh
        t = mesh_estimate.footprint_terms(build_geometry(case), mc.size, mc.feature_size, mc.circle_segments)
        try:
            real = real_counts(case)
        except MeshError as exc:
            print(f"skipped {name} {ov}: {exc}", file=sys.stderr)
            continue
        rows.append({"case": name, "overrides": ov, "terms": t.full.tolist(), **real})
    return rows


def fit(rows: list[dict]) -> np.ndarray:
    """Non-negative least squares of the footprint quad counts on the three terms, in relative error (rows whose
    count is exact, the fourth term, are left out)."""
    from scipy.optimize import nnls

    rows = [r for r in rows if r["terms"][3] == 0]
    A = np.array([r["terms"][:3] for r in rows])
    b = np.array([r["footprint"] for r in rows], dtype=float)
    coef, _ = nnls(A / b[:, None], np.ones(len(b)))
    return coef


def leave_one_out(rows: list[dict]) -> np.ndarray:
    """Relative error of each fitted row's footprint count predicted by a fit to the other rows."""
    rows = [r for r in rows if r["terms"][3] == 0]
    out = []
    for i, r in enumerate(rows):
        coef = fit(rows[:i] + rows[i + 1:])
        out.append(float(np.dot(r["terms"][:3], coef)) / r["footprint"] - 1.0)
    return np.asarray(out)


def compare(rows: list[dict]) -> None:
    from fcpkg_fem import api
    from fcpkg_fem.run import preflight as guard

    print(f"{'case':<18} {'overrides':<62} {'quantity':>9} {'estimate':>9} {'real':>9} {'error':>7}")
    errs: dict[str, list[float]] = {}
    for r in rows:
        case = api.load_case(ROOT / "cases" / f"{r['case']}.yaml", overrides=r["overrides"])
        e = guard.estimate(case)
        for q, est in (("footprint", e.footprint_cells), ("elements", e.elements), ("nodes", e.nodes),
                       ("dofs", e.dofs)):
            err = est / r[q] - 1.0
            errs.setdefault(q, []).append(err)
            print(f"{r['case']:<18} {' '.join(r['overrides']):<62} {q:>9} {est:>9} {r[q]:>9} {err:>+7.1%}")
    for q, v in errs.items():
        v = np.asarray(v)
        print(f"{q}: error {v.min():+.1%} .. {v.max():+.1%}, mean |error| {np.abs(v).mean():.1%} over {len(v)} meshes")


def _case_source(name: str):
    """A shipped case file, or the robustness tests' small package ``mini`` (a dict)."""
    if name == "mini":
        sys.path.insert(0, str(ROOT / "tests"))
        from support.robust import mini_package

        return mini_package()
    return str(ROOT / "cases" / f"{name}.yaml")


def memory_table(specs=None) -> None:
    from fcpkg_fem import api
    from fcpkg_fem.run import preflight as guard

    code = ("import json, sys, resource; from fcpkg_fem import api; "
            "c = api.load_case(json.loads(sys.argv[1]), overrides=json.loads(sys.argv[2])); "
            "r = api.run(c, write=False, force=True); "
            "print(json.dumps({'dofs': r.summary['mesh']['dofs'], 'method': r.summary['solver']['method'], "
            "'peak': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "
            "'total_s': r.summary['timing_s']['total']}))")
    print(f"{'case':<12} {'overrides':<100} {'dofs':>8} {'est dofs':>8} {'peak MB':>8} {'est MB':>8} {'error':>7}")
    for name, ov in specs or MEMORY_SPECS:
        source = _case_source(name)
        e = guard.estimate(api.load_case(source, overrides=ov))
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code, json.dumps(source), json.dumps(ov)], capture_output=True,
                             text=True, check=True)
        m = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{name:<12} {' '.join(ov):<100} {m['dofs']:>8} {e.dofs:>8} {m['peak'] / 1e6:>8.0f} "
              f"{e.memory / 1e6:>8.0f} {e.memory / m['peak'] - 1:>+7.1%}  ({m['method']}, "
              f"{time.perf_counter() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    from fcpkg_fem.mesh import estimate as mesh_estimate

    if sys.argv[1:2] == ["--memory-only"]:
        memory_table(MEMORY_HELDOUT if sys.argv[2:] == ["heldout"] else MEMORY_SPECS)
        sys.exit(0)
    rows = mesh_table()
    coef = fit(rows)
    print("fitted CELLS_PER_AREA, CELLS_PER_SEGMENT, CELLS_PER_GRADING =", np.round(coef, 3).tolist())
    loo = leave_one_out(rows)
    print(f"footprint cells, leave-one-out error: {loo.min():+.1%} .. {loo.max():+.1%}, "
          f"mean |error| {np.abs(loo).mean():.1%}")
    if "--use-fit" in sys.argv:  # compare with the fitted constants instead of those in mesh/estimate.py
        mesh_estimate.CELLS_PER_AREA, mesh_estimate.CELLS_PER_SEGMENT, mesh_estimate.CELLS_PER_GRADING = coef
    compare(rows)
    if "--memory" in sys.argv:
        memory_table()
