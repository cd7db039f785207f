"""Settings, per-increment statistics and the plateau check of the history solver's global Newton iteration
(:class:`~fcpkg_fem.solve.history.HistorySolver`)."""

from __future__ import annotations

from dataclasses import dataclass, field

RATE_CHECK_AFTER = 8
"""Iterations after which an increment's residual history is checked for a plateau (:func:`hopeless`)."""
RATE_WINDOW = 3
"""Iterations over which the residual must have fallen."""


@dataclass
class NewtonSettings:
    """Controls of the global Newton iteration.

    Attributes:
        max_iterations: iterations per increment before it is cut back (earlier when its residual has stopped
            falling: :func:`hopeless`).
        rtol_residual: converged when |r_free| <= rtol_residual * f_scale (f_scale = norm of the nodal sums of the
            absolute element internal forces, the size of the forces in balance, or the out-of-balance the
            increment started with if larger).
        rtol_increment: ... and |du| <= rtol_increment * |u_end - u_start| of the increment.
        correction: which |du| that test takes. ``estimated``: from the second Newton step on, the next
            correction estimated from the last full step as |du_k| r_k / r_(k-1) (Newton's corrections shrink like
            its residuals); this saves the iteration that would only confirm convergence. ``computed``: the last
            correction actually computed (one more iteration).
        max_cutbacks: halvings of a failing increment before giving up.
        line_search: backtrack (halve the step, up to 4 times) while the residual grows.
    """

    max_iterations: int = 25
    rtol_residual: float = 1e-6
    rtol_increment: float = 1e-5
    correction: str = "estimated"
    max_cutbacks: int = 6
    line_search: bool = True

    def __post_init__(self) -> None:
        # a script building the settings directly skips the case validation: a misspelt mode must not act as one
        if self.correction not in ("estimated", "computed"):
            raise ValueError(f"NewtonSettings.correction: {self.correction!r} is not allowed; allowed: 'estimated', "
                             "'computed'")


@dataclass
class IncrementStats:
    """What one converged (sub)increment took."""

    t_end: float
    iterations: int
    cutbacks: int
    residuals: list = field(default_factory=list)
    linear_iterations: list = field(default_factory=list)
    method: str = ""


def hopeless(residuals: list, it: int, settings: NewtonSettings) -> bool:
    """Whether an increment's Newton iteration should be cut back now rather than run to ``max_iterations``.

    ``residuals``: the residual relative to the force scale at the start and after each of the ``it`` iterations
    so far. From RATE_CHECK_AFTER iterations on, while the residual test does not hold yet: True when the residual
    has not fallen over the last RATE_WINDOW iterations. Such an increment (a residual wandering at a plateau, each
    full step undone by the line search) used to run to ``max_iterations`` and fail then: it is halved as soon as
    the plateau shows. A residual that still falls, however slowly, goes on: Newton's damped phase often ends in a
    few quadratic steps, which no extrapolation of its rate foresees (tried: projecting the last iterations' rate
    to ``rtol_residual`` cut increments that converged quadratically a few iterations later).
    """
    if it < RATE_CHECK_AFTER or len(residuals) <= RATE_WINDOW:
        return False
    now, then = residuals[-1], residuals[-1 - RATE_WINDOW]
    return now > settings.rtol_residual and not now < then
