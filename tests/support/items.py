"""A small stacked package with explicit bump, via and ball layouts, and states with a prescribed displacement
field: the exact checks of the per-item post-processing (tests/verification/test_post_items_exact.py) and of the
per-joint averages (tests/verification/test_joint_averages.py) use it."""

from __future__ import annotations

import numpy as np

from fcpkg_fem import api
from fcpkg_fem.physics import elasticity as el
from fcpkg_fem.solve.mechanical import MechanicalState

from support.verification import problem_of

L = 4e-3  # carrier size, m
# explicit layouts (mm, relative to the die / carrier centre); the critical one of each is not first or last
BUMPS1 = [[0.9, 0.0], [0.9, 0.9], [0.0, 0.9], [-0.9, 0.9], [-0.9, 0.0], [-0.9, -0.9], [0.0, -0.9], [0.9, -0.9]]
BUMPS2 = [[0.6, 0.6], [-0.6, 0.6], [-0.6, -0.6], [0.6, -0.6], [0.0, 0.6], [0.0, -0.6]]
VIAS = [[1.6, 1.6], [0.0, 1.6], [-1.6, 1.6], [-1.6, 0.0], [-1.6, -1.6], [0.0, -1.6], [1.6, -1.6], [1.6, 0.0]]
BALL_HEIGHT = 200e-6  # m


def _mm(points):
    return [[f"{x} mm", f"{y} mm"] for x, y in points]


def package(symmetry: str = "full", element: str = "hex8i") -> dict:
    """The small package as a case dict (materials from the library; linear run)."""
    def layers(core_um):
        return [{"name": "mask_bot", "material": "solder_mask", "thickness": "20 um"},
                {"name": "core", "material": "bt_laminate", "thickness": f"{core_um} um"},
                {"name": "mask_top", "material": "solder_mask", "thickness": "20 um"}]

    def chip(name, size, bumps):
        return {"name": name, "size": [f"{size} mm", f"{size} mm"], "thickness": "100 um", "material": "silicon",
                "bumps": {"material": "sac305", "diameter": "80 um", "standoff": "60 um", "positions": _mm(bumps)}}

    # carrier cores of 260 um and 200 um: the stack is not symmetric about its mid-height (see the docstring)
    carrier = {"kind": "substrate", "size": ["4 mm", "4 mm"]}
    return {
        "schema_version": 1, "name": "post-items-exact", "structure": "stacked_flipchip",
        "package": {
            "carriers": {"bottom": {**carrier, "layers": layers(260), "chips": [chip("die1", 2.4, BUMPS1)]},
                         "top": {**carrier, "layers": layers(200), "chips": [chip("die2", 1.6, BUMPS2)]}},
            "adhesive": {"material": "die_attach_lowmod", "thickness": "25 um"},
            "encapsulant": {"material": "emc"},
            "interconnect": {"kind": "vias", "material": "copper", "diameter": "150 um", "positions": _mm(VIAS)},
            "top_balls": {"material": "sac305", "diameter": "250 um", "height": f"{BALL_HEIGHT * 1e6:g} um",
                          "positions": _mm(VIAS)},
        },
        "load": {"stress_free_temperature": "25 degC", "temperatures": ["25 degC"]},
        "mesh": {"symmetry": symmetry, "element": element, "size": "1 mm", "feature_size": "200 um",
                 "min_elements_per_layer": 2},
        "solver": {"linear": "direct"},
        "output": {"vtu": False, "plots": False, "report": False, "csv": False},
    }


_MESHES: dict = {}
_PROBLEMS: dict = {}


def setup(symmetry: str, element: str):
    """(case, pmesh, problem), meshed once per symmetry and built once per element."""
    if (symmetry, element) not in _PROBLEMS:
        case = api.load_case(package(symmetry, element))
        if symmetry not in _MESHES:
            _MESHES[symmetry] = api.mesh_case(case)
        _PROBLEMS[symmetry, element] = (case, *problem_of(case, _MESHES[symmetry]))
    return _PROBLEMS[symmetry, element]


def prescribed(problem, field, T: float = 25.0) -> MechanicalState:
    """The state of the displacement ``field(x, y, z) -> (ux, uy, uz)`` (m), set at every dof; no thermal strain."""
    basis = problem.basis
    x, y, z = basis.doflocs  # (3, N): the location of every dof
    values = np.asarray(field(x, y, z))  # (3, N)
    u = np.full(basis.N, np.nan)
    for dofs in (basis.nodal_dofs, basis.edge_dofs):  # (3, n): row c holds the dofs of component c
        for c in range(dofs.shape[0] if dofs.size else 0):
            u[dofs[c]] = values[c, dofs[c]]
    assert np.all(np.isfinite(u))  # every dof is a vertex or edge dof (hex8, hex8i, hex20)
    C_el, _ = problem.element_fields(T)
    eth = np.zeros((problem.pmesh.n_elements, 6))
    r = el.element_stress(problem.chunks, u, C_el, eth)
    return MechanicalState(T, u, r["stress"], r["strain"], r["stress_qp"], r["strain_qp"], eth, None)
