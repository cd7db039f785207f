"""The Python API: everything the CLI does, a script can do.

    >>> from fcpkg_fem import api
    >>> case = api.load_case("cases/reference.yaml", overrides=["mesh.size=0.6 mm"])   # doctest: +SKIP
    >>> result = api.run(case, out_dir="runs/reference")                              # doctest: +SKIP
    >>> result.summary["outputs"][0]["warpage"]["bottom"]["signed_um"]                # doctest: +SKIP
    >>> with api.Reporter() as progress:                  # the command line's live line    # doctest: +SKIP
    ...     api.run(case, progress=progress)

Stages: case -> geometry -> mesh -> mechanical problem -> states per output time -> post -> writers; each has its
package (docs/architecture.md). This module only gathers what scripts use.
"""

from __future__ import annotations

from fcpkg_fem.batch import run_batch
from fcpkg_fem.case import Case, load_case
from fcpkg_fem.case.plan import plan
from fcpkg_fem.run.checkpoint import resume_case
from fcpkg_fem.run.meshing import get_footprint, mesh_case
from fcpkg_fem.run.pipeline import output_times, run
from fcpkg_fem.run.preflight import available_memory, estimate
from fcpkg_fem.run.progress import Reporter, Status

__all__ = ["Case", "Reporter", "Status", "available_memory", "estimate", "get_footprint", "load_case", "mesh_case",
           "output_times", "plan", "resume_case", "run", "run_batch", "stress_free_temperatures"]


def stress_free_temperatures(case: Case, pmesh) -> dict[str, float]:
    """Region of ``pmesh`` -> its stress-free temperature in degC (by region, else by material, else default)."""
    return case.stress_free_temperatures(pmesh.region_names, pmesh.region_material)
