"""The mechanics' dof map (fcpkg_fem/physics/dofmap.py) numbers dofs exactly as a scikit-fem Basis of the same
element does: element, nodal and edge dofs, dof locations and facet dofs, for 8- and 20-node hexahedra. The
elasticity kernels and every post-processor index the displacement through it."""

import numpy as np
import pytest
from skfem import Basis, ElementHex1, ElementHexS2, ElementVector, MeshHex

from fcpkg_fem.physics.dofmap import DofMap


@pytest.mark.parametrize("elem", [ElementHex1, ElementHexS2])
def test_dofmap_equals_the_basis_numbering(elem):
    m = MeshHex.init_tensor(np.linspace(0, 1, 4), np.linspace(0, 2, 3), np.array([0.0, 0.1, 0.5])).with_boundaries(
        {"x0": lambda x: np.isclose(x[0], 0.0)})
    b, d = Basis(m, ElementVector(elem()), intorder=1), DofMap(m, ElementVector(elem()))
    assert d.N == b.N
    for key in ("element_dofs", "nodal_dofs", "edge_dofs", "doflocs"):
        assert np.array_equal(getattr(d, key), getattr(b, key)), key
    for c in ("u^1", "u^2", "u^3"):
        assert np.array_equal(d.get_dofs(m.boundaries["x0"]).all(c), b.get_dofs(m.boundaries["x0"]).all(c))
        assert np.array_equal(d.get_dofs("x0").all(c), b.get_dofs(m.boundaries["x0"]).all(c))
    # every component at once: the same set (the vertex-only elements take a shortcut past scikit-fem's facet maps)
    assert np.array_equal(np.sort(d.get_dofs("x0").all()), np.sort(b.get_dofs(m.boundaries["x0"]).all()))
