"""Moisture diffusion weak forms (scikit-fem) in the wetness (normalised concentration) form, pure: no state.

Field: wetness w = C / C_sat (-), C the water concentration (kg/m^3) and C_sat(T) the saturated concentration of the
material at the local temperature (kg/m^3, in equilibrium with saturated vapour). With Henry's law C = S p, w = p /
p_sat: the local relative vapour pressure, which is continuous across an interface between materials of different
solubility (docs/moisture.md, "Formulation"). Conservation of water, with the flux driven by the gradient of the
chemical potential (the partial pressure, i.e. w at a given temperature):

    d(C_sat w)/dt = div(D C_sat grad w)                       in the permeable body
    w = RH                                                    on exposed faces (Dirichlet)
    (D C_sat grad w) . n = 0                                  on sealed faces, symmetry planes, impermeable parts

Weak form, for every test function v vanishing on the exposed faces:

    d/dt m(w, v) + a(w, v) = 0

    m(w, v) = integral of c w v dV          c = C_sat (kg/m^3)               :func:`capacity_form`
    a(w, v) = integral of k grad w . grad v dV     k = D C_sat (kg/(m s))    :func:`permeance_form`
    M(w)    = integral of c w dV            water mass, kg                   :func:`mass_functional`

Parameters are arrays of shape (n_elements, n_qp) or (n_elements, 1) (one value per element, broadcast over its
quadrature points). Both bilinear forms are linear in their coefficient, so an element matrix assembled with a unit
coefficient, times the coefficient, is the element matrix with that coefficient (the solver re-weights stored element
matrices when the temperature, hence D and C_sat, changes).
"""

from __future__ import annotations

from skfem import BilinearForm, Functional

__all__ = ["capacity_form", "permeance_form", "mass_functional"]


def capacity_form() -> BilinearForm:
    """m(w, v): water capacity per unit wetness; parameter ``c`` = C_sat in kg/m^3."""

    @BilinearForm
    def m(u, v, w):
        return w["c"] * u * v

    return m


def permeance_form() -> BilinearForm:
    """a(w, v): isotropic moisture permeance; parameter ``k`` = D C_sat in kg/(m s) (D in m^2/s)."""

    @BilinearForm
    def a(u, v, w):
        return w["k"] * (u.grad[0] * v.grad[0] + u.grad[1] * v.grad[1] + u.grad[2] * v.grad[2])

    return a


def mass_functional() -> Functional:
    """Water mass integral of c w dV (kg): parameters ``c`` = C_sat (kg/m^3) and ``wet`` = the wetness field
    (interpolated to the quadrature points, shape (n_elements, n_qp))."""

    @Functional
    def mass(w):
        return w["c"] * w["wet"]

    return mass
