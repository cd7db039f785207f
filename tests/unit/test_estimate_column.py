"""The size estimate of a ``mesh.interconnect: column`` model (fcpkg_fem/mesh/estimate.py ``_column_size``): the
column footprint is meshed and the sweep's elements and node levels counted without the 3D mesh, so the counts
are exact, not fitted: they equal the real mesh's on the shipped layouts (docs/robustness.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fcpkg_fem import api
from fcpkg_fem.run.preflight import estimate

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name,extra", [("reference", []), ("reference_reflow", []),
                                        ("reference", ["mesh.symmetry=half", "mesh.element=hex8"]),
                                        ("reference", ["mesh.element=hex20"])])
def test_column_estimate_counts_the_mesh_exactly(name, extra):
    case = api.load_case(ROOT / "cases" / f"{name}.yaml", overrides=["mesh.interconnect=column"] + extra)
    est = estimate(case)
    pm = api.mesh_case(case)
    assert est.elements == pm.n_elements
    n_dof_points = pm.mesh.nvertices + (pm.mesh.edges.shape[1] if case.mesh.element == "hex20" else 0)
    assert est.nodes == pm.mesh.nvertices and est.dofs == 3 * n_dof_points  # hex20: a node on every edge
    assert est.footprint_cells == len(pm.footprint.quads)
    assert estimate(case).dofs == est.dofs  # the second call reuses the meshed footprint
