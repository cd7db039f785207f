"""Shared builders for the verification tests: laminate cases as dicts, run through the public API.

Every verification case is a plain dict (the same structure as a case YAML file) with its materials defined in
the case's ``materials:`` block, so the numbers each test's exact solution uses are visible in the test.
"""

from __future__ import annotations

import numpy as np

from fcpkg_fem import api
from fcpkg_fem.solve.mechanical import MechanicalProblem

# Element types every verification test runs with. Add "hex8i" here when it lands (one word).
ELEMENTS = ["hex20", "hex8", "hex8i"]

SOURCE = "verification test: round made-up values, isotropic, temperature independent"


def iso(E_GPa: float, nu: float, cte_ppm: float) -> dict:
    """A case-file material entry: isotropic, constant E (GPa), nu and instantaneous CTE (ppm/K)."""
    return {"source": SOURCE, "E": f"{E_GPa} GPa", "nu": nu, "cte": cte_ppm}


def laminate_case(layers, materials=None, size_mm=(10.0, 10.0), symmetry="quarter", element="hex20",
                  mesh_size_mm=1.0, min_elements_per_layer=1, T_sf=25.0, T=125.0, linear="direct",
                  name="verification"):
    """A ``structure: laminate`` case dict.

    Args:
        layers: list of (name, material, thickness in um), bottom to top.
        materials: the case's ``materials:`` block (name -> entry), or None for library materials only.
        size_mm: plate size (x, y) in mm; T_sf, T: stress-free and solve temperatures in degC.
    """
    case = {
        "schema_version": 1,
        "name": name,
        "structure": "laminate",
        "laminate": {
            "size": [f"{size_mm[0]} mm", f"{size_mm[1]} mm"],
            "layers": [{"name": n, "material": m, "thickness": f"{t} um"} for n, m, t in layers],
        },
        "load": {"stress_free_temperature": f"{T_sf} degC", "temperatures": [f"{T} degC"]},
        "mesh": {"symmetry": symmetry, "element": element, "size": f"{mesh_size_mm} mm",
                 "min_elements_per_layer": min_elements_per_layer},
        "solver": {"linear": linear},
        "output": {"vtu": False, "plots": False, "report": False, "csv": False},
    }
    if materials:
        case["materials"] = materials
    return case


def problem_of(case, pmesh=None, cls=MechanicalProblem, linear=None, rtol=None):
    """(pmesh, problem) of a validated case, through the same calls as :func:`fcpkg_fem.api.run`."""
    pmesh = pmesh if pmesh is not None else api.mesh_case(case)
    problem = cls(pmesh, case.materials_resolved, api.stress_free_temperatures(case, pmesh),
                  element=case.mesh.element, linear=linear or case.solver.linear,
                  rtol=rtol if rtol is not None else case.solver.rtol)
    return pmesh, problem


def facets_at(mesh, axis: int, value: float, tol: float = 1e-12) -> np.ndarray:
    """Boundary facets of ``mesh`` whose midpoints lie on the plane ``x[axis] = value`` (m)."""
    outer = mesh.boundary_facets()
    mid = mesh.p[:, mesh.facets[:, outer]].mean(axis=1)
    return outer[np.abs(mid[axis] - value) < tol + 1e-9 * abs(value)]


class NormalConstrained(MechanicalProblem):
    """The case's problem plus u_n = 0 on chosen outer planes (roller supports, no friction).

    Set the class attribute ``planes`` to ``[(axis, "min" | "max"), ...]`` in a subclass (see
    :func:`with_rollers`).
    """

    planes: tuple = ()

    def _constrained_dofs(self) -> np.ndarray:
        m = self.pmesh.mesh
        D = [super()._constrained_dofs()]
        for axis, side in self.planes:
            value = m.p[axis].min() if side == "min" else m.p[axis].max()
            f = facets_at(m, axis, value)
            D.append(self.basis.get_dofs(f).all(f"u^{axis + 1}"))
        return np.unique(np.concatenate(D))


def with_rollers(planes) -> type:
    """A :class:`NormalConstrained` subclass with these roller planes."""
    return type("Rollers", (NormalConstrained,), {"planes": tuple(planes)})


def quadratic_fit(x, y, w):
    """Least-squares w ~ c0 + c1 x + c2 y + a x^2 + b y^2 + c x y; returns (kappa_x, kappa_y) = (2a, 2b) in 1/m."""
    Q = np.c_[np.ones_like(x), x, y, x**2, y**2, x * y]
    c = np.linalg.lstsq(Q, w, rcond=None)[0]
    return 2 * c[3], 2 * c[4]


def timoshenko_curvature(E1, nu1, a1, t1, E2, nu2, a2, t2, dT):
    """Curvature (1/m) of a free bilayer plate, Timoshenko (1925) with biaxial moduli E/(1-nu).

    Layer 1 at the bottom, layer 2 on top; positive when the top layer expands more, so that the plate bends
    into a dome (centre of curvature below): the +z displacement then has w'' = -kappa. kappa = 6 (a2 - a1) dT (1+m)^2 / (h [3 (1+m)^2 +
    (1 + m n)(m^2 + 1/(m n))]), m = t1/t2, n = E1'/E2', h = t1 + t2.
    """
    m = t1 / t2
    n = (E1 / (1 - nu1)) / (E2 / (1 - nu2))
    h = t1 + t2
    return 6 * (a2 - a1) * dT * (1 + m) ** 2 / (h * (3 * (1 + m) ** 2 + (1 + m * n) * (m**2 + 1 / (m * n))))


def joint_case(max_dT: float, cycles: int = 1):
    """A die on an Anand solder layer on a board: joined at 217 degC, then condition G cycles (5 min soaks,
    2 per hour) at increments of at most ``max_dT`` K; the validated case."""
    c = laminate_case([("die", "silicon", 300), ("solder", "sac305", 100), ("board", "bt_laminate", 400)],
                      element="hex8i", mesh_size_mm=1.0, min_elements_per_layer=2, size_mm=(6.0, 6.0))
    c["load"] = {"stress_free_temperature": "25 degC", "steps": [
        {"kind": "ramp", "to": "217 degC", "rate": "2 K/s", "output": "end"},
        {"kind": "ramp", "to": "25 degC", "rate": "1 K/s", "births": ["layer.solder"], "output": "end"},
        {"name": "cycling", "kind": "thermal_cycle", "condition": "G", "cycles": cycles, "soak": "5 min",
         "cycles_per_hour": 2, "output": "end"}]}
    c["models"] = {"layer.solder": "anand"}
    c["solver"]["max_temperature_increment"] = f"{max_dT} K"
    return api.load_case(c)
