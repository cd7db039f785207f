"""The soak driver and grid-convergence arithmetic of the moisture convergence study (issue 18).

Shared by ``benchmarks/bench_moisture_study.py`` and ``tests/verification/test_moisture_convergence.py`` (no pytest
here). :func:`soak_uptake` runs the diffusion alone on a case's mesh (no heat, no mechanics: a J-STD-020 soak is
isothermal), from dry, in uniform backward-Euler steps, and returns the package's water at chosen times.
:func:`gci` is Roache's grid convergence index (P. J. Roache, J. Fluids Eng. 116(3):405-413, 1994) of three
solutions with a constant refinement ratio.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "reference_msl.yaml"

# mesh level -> (mesh.size mm, feature_size um, max_layer_thickness um, min_elements_per_layer): every length of the
# mesh halved from one level to the next; circle_segments stays at its default (4), so that every level meshes the
# same polygonal bump, via and ball outlines (the discrete geometry does not change with the level)
MESH_LEVELS = {
    "M0": (2.0, 300.0, 300.0, 1),
    "M1": (1.0, 150.0, 150.0, 2),
    "M2": (0.5, 75.0, 75.0, 4),
    "M3": (0.25, 37.5, 37.5, 8),
}


def mesh_overrides(level: str) -> list[str]:
    """``--set`` overrides of one mesh level (layer_elements cleared, so that min_elements_per_layer rules)."""
    size, feat, layer, nmin = MESH_LEVELS[level]
    return [f"mesh.size={size:g} mm", f"mesh.feature_size={feat:g} um", f"mesh.max_layer_thickness={layer:g} um",
            f"mesh.min_elements_per_layer={nmin}", "mesh.layer_elements={}"]


def thinned_overrides(case_path: Path = CASE) -> list[str]:
    """The regression tests' thinned arrays (one row at a 2-3 mm pitch; tests/support/coarse.py), mesh untouched."""
    from fcpkg_fem import api

    from .coarse import coarse_pattern

    return coarse_pattern(api.load_case(case_path))


def _soak_setup(overrides: Sequence[str], level: str, case_path: Path, linear: str):
    """(mesh, MoistureProblem, soak profile, T degC, RH (-), symmetry multiplicity, and the perf_counter times at
    the start, after meshing and after the set-up) of a soak study."""
    from fcpkg_fem import api
    from fcpkg_fem.loads import build
    from fcpkg_fem.run.moisture import MULTIPLICITY
    from fcpkg_fem.solve.moisture import MoistureProblem

    t0 = time.perf_counter()
    case = api.load_case(case_path, overrides=list(overrides))
    pm = api.mesh_case(case)
    t1 = time.perf_counter()
    mp = MoistureProblem(pm, case.materials_resolved, linear=linear)
    t2 = time.perf_counter()
    soak = build("msl_soak", level=level)
    T, RH = float(soak.temperature_C[0]), soak.parameters["RH_percent"] / 100.0
    return pm, mp, soak, T, RH, MULTIPLICITY[case.mesh.symmetry], t0, t1, t2


def soak_uptake(overrides: Sequence[str], n_steps: int, times_h: Sequence[float] = (48.0, 192.0),
                level: str = "3", case_path: Path = CASE, linear: str = "auto") -> dict:
    """Water taken up by the whole package through a J-STD-020 standard soak, from dry.

    Args:
        overrides: ``--set`` overrides of the case (mesh, arrays).
        n_steps: uniform backward-Euler steps over the whole soak (level 3: 192 h, so 48 steps are 4 h each).
        times_h: times (h from the start of the soak) at which the water is reported; each must fall on a step end.
        level: J-STD-020 level of the soak (:func:`fcpkg_fem.loads.msl.msl_soak`).

    Returns:
        dict: ``uptake_mg`` (list, one per time: water in the whole package, mg; the quarter or half model's times
        its multiplicity), ``times_h``, ``dt_h``, ``elements`` (mesh), ``unknowns`` (wetness unknowns),
        ``permeable_elements``, ``seconds`` (``mesh``, ``setup``, ``soak``), ``T_C``, ``RH``.
    """
    pm, mp, soak, T, RH, mult, t0, t1, t2 = _soak_setup(overrides, level, case_path, linear)
    dt = soak.duration / n_steps
    report_at = {}
    for t in times_h:
        k = t * 3600.0 / dt
        if abs(k - round(k)) > 1e-9 or not 0 < round(k) <= n_steps:
            raise ValueError(f"{t} h is not the end of one of {n_steps} steps of {dt / 3600:g} h")
        report_at[int(round(k))] = t
    w, out = mp.initial(), {}
    for k in range(1, n_steps + 1):
        w = mp.step(w, dt, T, RH)
        if k in report_at:
            out[report_at[k]] = mp.mass_kg(w, T) * 1e6 * mult
    t3 = time.perf_counter()
    return {"uptake_mg": [out[t] for t in times_h], "times_h": list(times_h), "dt_h": dt / 3600.0,
            "elements": int(pm.mesh.t.shape[1]), "unknowns": int(mp.n_nodes),
            "permeable_elements": int(len(mp.elements)), "T_C": T, "RH": RH,
            "seconds": {"mesh": t1 - t0, "setup": t2 - t1, "soak": t3 - t2}}


def soak_uptake_graded(overrides: Sequence[str], ratio: float, min_step_s: float = 10.0,
                       times_h: Sequence[float] = (48.0, 192.0), level: str = "3", case_path: Path = CASE,
                       linear: str = "auto") -> dict:
    """As :func:`soak_uptake`, in the time steps a process run takes through the soak
    (:func:`fcpkg_fem.solve.moisture.substep_times`: each step ``ratio`` times the time since the soak began, at
    least ``min_step_s``, cut to end on each of ``times_h``). Returns the same dict with ``steps`` (the number of
    steps) and ``ratio`` in place of ``dt_h`` (None)."""
    from fcpkg_fem.solve.moisture import substep_times

    pm, mp, soak, T, RH, mult, t0, t1, t2 = _soak_setup(overrides, level, case_path, linear)
    w, t, out, n = mp.initial(), 0.0, [], 0
    for th in times_h:
        for te in substep_times(t, th * 3600.0, 0.0, ratio, min_step_s):
            w = mp.step(w, te - t, T, RH)
            t, n = te, n + 1
        out.append(mp.mass_kg(w, T) * 1e6 * mult)
    t3 = time.perf_counter()
    return {"uptake_mg": out, "times_h": list(times_h), "dt_h": None, "ratio": ratio, "steps": n,
            "elements": int(pm.mesh.t.shape[1]), "unknowns": int(mp.n_nodes),
            "permeable_elements": int(len(mp.elements)), "T_C": T, "RH": RH,
            "seconds": {"mesh": t1 - t0, "setup": t2 - t1, "soak": t3 - t2}}
