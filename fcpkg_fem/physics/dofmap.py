"""The degree-of-freedom map of a vector field on a mesh, without a scikit-fem ``Basis``.

A ``Basis`` evaluates every shape function at its quadrature points on every element when it is made: on the
82,394-element reference mesh that took 4.1 s and 600 MB, only to serve as a dof numbering (the elasticity
kernels compute their own element geometry). :class:`DofMap` keeps what the mechanical problem and the
post-processors read from it (dof numbers per node, edge and element, dof locations, facet dofs) and takes
0.03 s: scikit-fem's own ``Dofs`` numbering, so the numbers are the ones a ``Basis`` of the same element gives.
"""

from __future__ import annotations

import numpy as np
from skfem.assembly import Dofs


class DofMap:
    """Dof numbering of ``elem`` (a scikit-fem ``ElementVector``) on ``mesh``, as a ``Basis`` of them numbers it.

    Attributes:
        mesh, elem: the mesh and the (vector) element.
        N: number of dofs.
        nodal_dofs: (3, n_vertices) dof of each component at each vertex.
        edge_dofs: (3, n_edges) for elements with edge nodes (hex20), else an empty array.
        element_dofs: (n_local, n_elements) global dofs of each element, in the element's local order.
        doflocs: (3, N) location of each dof in m.
    """

    def __init__(self, mesh, elem):
        self.mesh = mesh
        self.elem = elem
        self.dofs = Dofs(mesh, elem)
        self.N = int(self.dofs.N)
        self.nodal_dofs = self.dofs.nodal_dofs
        self.edge_dofs = self.dofs.edge_dofs
        self.element_dofs = self.dofs.element_dofs
        # reference dof locations mapped element by element; every element holding a dof puts it at one place
        X = mesh._mapping().F(elem.doflocs.T)  # (3, n_elements, n_local)
        self.doflocs = np.zeros((3, self.N))
        for k in range(X.shape[0]):
            self.doflocs[k, self.element_dofs] = X[k].T

    def get_dofs(self, facets):
        """Dofs on ``facets`` (facet indices, or a boundary name of the mesh): a view with ``.all("u^1")`` etc."""
        if isinstance(facets, str):
            facets = self.mesh.boundaries[facets]
        facets = np.asarray(facets)
        if not (self.edge_dofs.size or self.dofs.facet_dofs.size):
            # vertex dofs only (hex8, hex8i): the facets' vertices. scikit-fem's facet dofs first build the mesh's
            # facet-to-edge maps (0.7 s on the reference mesh) to look for edge dofs there are none of
            return _VertexDofs(self.nodal_dofs, np.unique(self.mesh.facets[:, facets]))
        return self.dofs.get_facet_dofs(facets)


class _VertexDofs:
    """The dofs at ``vertices`` (sorted), by component name ``u^1``, ``u^2``, ``u^3``, as scikit-fem names them."""

    def __init__(self, nodal_dofs: np.ndarray, vertices: np.ndarray):
        self.nodal_dofs, self.vertices = nodal_dofs, vertices

    def all(self, name: str | None = None) -> np.ndarray:
        if name is None:
            return self.nodal_dofs[:, self.vertices].ravel()
        return self.nodal_dofs[int(name.removeprefix("u^")) - 1, self.vertices]
