"""Heat conduction weak forms (scikit-fem), pure: no state, material fields arrive as form parameters.

Strong form, temperature T (degC) in the body Omega, outward normal n:

    rho cp dT/dt = div(k grad T) + q                          in Omega
    -k grad T . n = h (T - T_inf)                             on the convective surfaces
    -k grad T . n = 0                                         elsewhere (symmetry planes, h = 0)

with k = diag(kx, ky, kz) in W/(m K) (axes = global x, y, z), rho cp in J/(m^3 K), q in W/m^3, h in W/(m^2 K).
Weak form: for every test function v,

    m(dT/dt, v) + a(T, v) + s(T, v) = l_inf(v) + l_q(v)

    m(T, v)   = integral of rho cp T v dV                       :func:`capacity_form`
    a(T, v)   = integral of kx T_x v_x + ky T_y v_y + kz T_z v_z dV   :func:`conduction_form`
                (one axis at a time: :func:`directional_conduction_form`)
    s(T, v)   = integral over the surface of h T v dA            :func:`convection_form`  (facet basis)
    l_inf(v)  = integral over the surface of h T_inf v dA        :func:`convection_load_form` (facet basis)
    l_q(v)    = integral of q v dV                               :func:`source_form`

Parameters are arrays of shape (n_elements, n_qp) or (n_elements, 1) (one value per element, broadcast over its
quadrature points) for cell forms, (n_facets, n_qp) or (n_facets, 1) or plain floats for facet forms. A 1-D
array would be taken by scikit-fem as a nodal field and interpolated, which is not what these forms mean.
Every form is linear in its coefficient, so an element matrix assembled with a unit coefficient, times the
coefficient, is the element matrix with that coefficient (the thermal problem uses this to re-weight stored
element matrices when properties change instead of assembling again).
"""

from __future__ import annotations

from skfem import BilinearForm, LinearForm


def conduction_form() -> BilinearForm:
    """a(T, v) with a diagonal (orthotropic, global axes) conductivity; parameters ``kx``, ``ky``, ``kz`` W/(m K)."""

    @BilinearForm
    def a(u, v, w):
        return w["kx"] * u.grad[0] * v.grad[0] + w["ky"] * u.grad[1] * v.grad[1] + w["kz"] * u.grad[2] * v.grad[2]

    return a


def directional_conduction_form(axis: int) -> BilinearForm:
    """Integral of k T_d v_d for one axis d (0: x, 1: y, 2: z); parameter ``k`` in W/(m K).

    ``conduction_form`` with (kx, ky, kz) equals the sum of these three with k = kx, ky, kz.
    """

    @BilinearForm
    def a_d(u, v, w):
        return w["k"] * u.grad[axis] * v.grad[axis]

    return a_d


def capacity_form() -> BilinearForm:
    """m(T, v): heat capacity per volume; parameter ``rhocp`` = rho cp in J/(m^3 K)."""

    @BilinearForm
    def m(u, v, w):
        return w["rhocp"] * u * v

    return m


def convection_form() -> BilinearForm:
    """s(T, v) on facets: parameter ``h`` (film coefficient, W/(m^2 K)); assemble with a FacetBasis."""

    @BilinearForm
    def s(u, v, w):
        return w["h"] * u * v

    return s


def convection_load_form() -> LinearForm:
    """l_inf(v) on facets: parameters ``h`` (W/(m^2 K)) and ``T_inf`` (ambient temperature, degC)."""

    @LinearForm
    def l_inf(v, w):
        return w["h"] * w["T_inf"] * v

    return l_inf


def source_form() -> LinearForm:
    """l_q(v): volumetric heat source, parameter ``q`` in W/m^3 (e.g. power dissipated in a die)."""

    @LinearForm
    def l_q(v, w):
        return w["q"] * v

    return l_q
