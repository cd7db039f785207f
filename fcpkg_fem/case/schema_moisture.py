"""The case's ``moisture:`` block: how a process history that models moisture couples it (docs/moisture.md).

A history models moisture when ``load.steps`` has a moisture step (``moisture_soak``, ``bake``, ``floor_life``) or
a step gives a ``humidity`` (:func:`fcpkg_fem.case.steps.models_moisture`); the block is optional and only tunes
that coupling. Times in s.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, model_validator

from fcpkg_fem.case.fields import CaseModel, PosTime, fail
from fcpkg_fem.case.names import THERMAL_SURFACES

__all__ = ["MoistureOptions"]

SurfaceName = Literal[THERMAL_SURFACES]  # type: ignore[valid-type]


class MoistureOptions(CaseModel):
    """Moisture coupling of a process history.

    Attributes:
        swelling: add the hygroscopic strain cme C to the free strain of every born part (false: the moisture field
            is solved and reported, the mechanics stays dry; the difference of two runs is the swelling's share).
        exposed: outer surface groups in contact with the ambient (``bottom``, ``top``, ``sides``: those of the
            heat problem, docs/thermal.md); faces of a born part towards a part not yet born are exposed too, the
            symmetry planes and faces against impermeable parts are sealed.
        time_step_ratio: the moisture field is stepped within each mechanical increment with time steps of at most
            this fraction of the time since its step started (the ambient changed), ...
        min_time_step: ... and at least this long (s), cut to end on every increment.
        compare_dry: also run the same history without swelling (on the same mesh, after the run) and report the
            swelling's share of the warpage at every output (summary.json ``moisture.swelling_share``, the plot
            ``warpage_and_water.png`` with both, report.html); it doubles the mechanics' cost.
    """

    swelling: StrictBool = True
    exposed: tuple[SurfaceName, ...] = THERMAL_SURFACES
    time_step_ratio: Annotated[float, Field(strict=False, gt=0.0, le=1.0)] = 0.05
    min_time_step: PosTime = 10.0
    compare_dry: StrictBool = False

    @model_validator(mode="after")
    def _compare(self) -> "MoistureOptions":
        if self.compare_dry and not self.swelling:
            msg = "compare_dry compares with a run without swelling, but swelling is false: there is nothing to compare"
            raise fail(msg, [("compare_dry", msg)])
        return self
