"""summary.json: the run's numbers with their units and conventions (schema in docs/outputs.md)."""

from __future__ import annotations

import numpy as np

from fcpkg_fem import __version__
from fcpkg_fem.post.result import SUMMARY_SCHEMA, SUMMARY_SCHEMA_VERSION

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
    "source and assumptions, and is given only with constants fitted for the joint's solder (not_estimated says "
    "why a model is missing). Darveaux and Syed take dW, the per-cycle increment of the inelastic work density over "
    "the last complete cycle averaged over the element layer at the joint's pad interface (layer thickness "
    "recorded); Engelmaier takes d_gamma, the cyclic shear strain range of the joint's volume-averaged mechanical "
    "strain over that cycle (the range of the strain path, not the accumulated equivalent strain)."
)


def process_summary(rec) -> dict:
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




def summary_of(case, pmesh, problem, element: str, methods: set, iterations: list, outputs: list, source) -> dict:
    """The summary of a run (before its timing and memory are added)."""
    m = pmesh.mesh
    return {
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
