"""The run facts of ``report.html``: when and with what it ran, the machine, the mesh and the solver.

The date and the machine are written into the report only, never into summary.json or anything else a result is
compared by: two runs of the same case on different machines give the same summary (docs/outputs.md).
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
from importlib import metadata
from typing import Any

from fcpkg_fem import __version__
from fcpkg_fem.io.report_format import DASH, e, integer, kv, sig, table

__all__ = ["machine", "run_facts_html", "mesh_html", "solver_html"]

#: distributions whose versions the report names (the numerical stack a result depends on)
PACKAGES = ("numpy", "scipy", "scikit-fem", "gmsh", "pypardiso", "pyamg", "matplotlib")


def _memory_bytes() -> int | None:
    """Physical memory of the machine in bytes, None where the OS does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, str]:
    """The machine and software the report is written on: label -> text (packages not installed are left out)."""
    mem = _memory_bytes()
    out = {"operating system": platform.platform(),
           "Python": f"{platform.python_version()} ({platform.python_implementation()})",
           "CPU": f"{integer(os.cpu_count())} logical CPUs" + (f", {platform.processor()}" if platform.processor()
                                                                else f", {platform.machine()}"),
           "memory": f"{sig(mem / 2**30, 3)} GiB" if mem else "unknown"}
    for dist in PACKAGES:
        v = _version(dist)
        if v:
            out[dist] = v
    return out


def run_facts_html(summary: dict[str, Any], now: _dt.datetime | None = None) -> str:
    """Version, date and machine (``now``: the time to print, default the current UTC time)."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    timing = summary.get("timing_s") or {}
    facts = {"fcpkg-fem version (this report)": __version__,
             "fcpkg-fem version (the run)": summary.get("fcpkg_fem_version", DASH),
             "report written (UTC), at the end of the run": now.astimezone(_dt.timezone.utc)
             .replace(microsecond=0).isoformat().replace("+00:00", "Z")}
    if timing.get("total") is not None:
        facts["run wall time (s)"] = sig(float(timing["total"]), 3)
    rows = [[e(k), e(v)] for k, v in facts.items()] + [[e(k), e(v)] for k, v in machine().items()]
    return table(None, rows, numeric_from=2)  # labels and values both read left to right


def mesh_html(mesh: dict[str, Any]) -> str:
    """Size of the analysis mesh (counts with thousands separators) and elements per region."""
    parts = [kv({"element type": mesh.get("element", DASH), "model": f"{mesh.get('symmetry', DASH)} model",
                 "elements": mesh.get("elements"), "nodes": mesh.get("nodes"),
                 "unknowns (degrees of freedom)": mesh.get("dofs")})]
    regions = mesh.get("regions")
    if isinstance(regions, dict) and regions:
        rows = [[e(r), integer(n)] for r, n in regions.items()]
        rows.append(["<i>total</i>", f"<i>{integer(sum(int(n) for n in regions.values()))}</i>"])
        parts.append(table(["region", "elements"], rows))
    return "\n".join(parts)


def solver_html(summary: dict[str, Any]) -> str:
    """The linear solver used, its tolerance and iterations, and the Newton totals of a process history."""
    s = summary.get("solver") or {}
    facts: dict[str, Any] = {"linear solver used": s.get("method", DASH)}
    if s.get("rtol") is not None:
        facts["relative tolerance"] = s["rtol"]
    its = s.get("iterations")
    if isinstance(its, list) and its:
        facts["linear solver iterations per output (0: direct)" if len(its) <= 12 else "linear solver iterations"] = (
            ", ".join(integer(i) for i in its) if len(its) <= 12
            else f"{integer(sum(its))} in total, at most {integer(max(its))} in one solve")
    for k, v in s.items():
        if k not in ("method", "rtol", "iterations"):
            facts[f"solver {k}"] = v if isinstance(v, (str, int, float)) else str(v)
    newton = (summary.get("process") or {}).get("newton")
    if newton:
        facts["increments (process history)"] = newton.get("increments")
        facts["Newton iterations in total"] = newton.get("iterations_total")
        facts["most Newton iterations in one increment"] = newton.get("iterations_max")
        facts["increments cut back"] = newton.get("cutbacks")
    return kv(facts)
