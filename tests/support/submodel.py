"""The process histories, Newton settings and global record the submodel tests and benchmarks share (no pytest
here)."""

from __future__ import annotations

import numpy as np

from fcpkg_fem.mesh.remesh import window_elements
from fcpkg_fem.mesh.submesh import joint_box
from fcpkg_fem.run.history import run_steps
from fcpkg_fem.run.submodel import global_problem
from fcpkg_fem.solve.submodel import BoxRecorder

STEPS = ("load.steps=[{name: join_heat, kind: ramp, to: 217 degC, rate: 1 K/s},"
         "{name: join_cool, kind: ramp, to: 150 degC, rate: 1 K/s, births: [bumps]},"
         "{name: mould, kind: hold, duration: 10 s, births: [encapsulant]},"
         "{name: reheat, kind: ramp, to: 230 degC, rate: 1 K/s},"
         "{name: recool, kind: ramp, to: 150 degC, rate: 1 K/s}]")
"""Joining with Anand bumps (cooled to 150 degC only), the encapsulant born in a hold, a reheat that melts the
bumps and a cool-down that solidifies them again: every kind of event a submodel must replay, in seconds."""

TIGHT = ["solver.newton.rtol_residual=1e-10", "solver.newton.rtol_increment=1e-9",
         "solver.newton.correction=computed", "solver.rtol=1e-12"]
"""Newton and linear tolerances at which a submodel equal to the global mesh reproduces it to ~1e-11: what remains
at the defaults is Newton's tolerance, not the method (docs/submodel.md)."""


def cycling_steps(cycles: int = 3) -> str:
    """Joining with Anand bumps, cooling to 25 degC and JESD22-A104 G cycling (-40/125 degC, 5-min soaks, 3 cycles
    an hour): ``cycles`` 3 gives two complete cycles between the cycle starts, so dW per cycle and its change."""
    return ("load.steps=[{name: join_heat, kind: ramp, to: 217 degC, rate: 1 K/s},"
            "{name: join_cool, kind: ramp, to: 25 degC, rate: 1 K/s, births: [bumps]},"
            f"{{name: cycling, kind: thermal_cycle, condition: G, cycles: {cycles}, soak: 5 min, "
            "cycles_per_hour: 3}]")


def record_union(case, region: str, box_pitches: float, progress=None):
    """Run the global history of ``case`` once, recording the union of the ``box_pitches`` boxes of every modelled
    joint of ``region`` (one ``BoxRecorder.over``; each box, and each smaller box of the same joint, is cut out of
    it afterwards by ``run_submodel``). Returns (pmesh, the run's Record, the union BoundaryRecord)."""
    pm, problem = global_problem(case)
    ri = pm.region_names.index(region)
    ids = [int(k) for k in np.unique(pm.cell_item[pm.cell_region == ri]) if k >= 0]
    # every element meeting a box: a superset of those with their centroid inside it, so that a local model meshed
    # afresh (fcpkg_fem.mesh.remesh) can be cut out of the same record as one cut out of the global mesh
    union = np.unique(np.concatenate([window_elements(pm, joint_box(pm, region, k, box_pitches)) for k in ids]))
    rec = BoxRecorder.over(problem, union, np.unique(pm.mesh.t[:, union]))
    run = run_steps(case, pm, problem, progress, observers=[rec])
    return pm, run, rec.record
