"""The case's ``moisture:`` block: how a process history that models moisture couples it (docs/moisture.md).

A history models moisture when ``load.steps`` has a moisture step (``moisture_soak``, ``bake``, ``floor_life``) or
a step gives a ``humidity`` (:func:`fcpkg_fem.case.steps.models_moisture`); the block is optional and only tunes
that coupling. Times in s.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool

from fcpkg_fem.case.fields import CaseModel, PosTime
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
    """

    swelling: StrictBool = True
    exposed: tuple[SurfaceName, ...] = THERMAL_SURFACES
    time_step_ratio: Annotated[float, Field(strict=False, gt=0.0, le=1.0)] = 0.05
    min_time_step: PosTime = 10.0
