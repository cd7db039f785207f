"""Moisture sensitivity levels of IPC/JEDEC J-STD-020 (Table 5-1): floor life and the soak that classifies a level.

A level's soak is a constant temperature and relative humidity held for a time; a package soaked so and then reflowed
(three times, J-STD-020 Table 5-2, :mod:`fcpkg_fem.loads.jedec`) must show no damage to be classified at that level.
Each level has a standard soak and (levels 2a to 5a) accelerated equivalents at 60 degC/60 % RH, shorter, for
compounds whose moisture diffusion has an activation energy in a stated band (0.40-0.48 eV; the table gives a second,
longer set for 0.30-0.39 eV). By the table's numbers, the standard soak of levels 2a-5a is the floor life plus 24 h
(the time a manufacturer may take between bake and bag, as it is usually explained; the footnote that says so in the
standard was not in the copy read).

The profile builder ``msl_soak`` (registered like every other profile, :func:`fcpkg_fem.loads.profiles.build`)
returns the soak as a temperature hold whose ``parameters`` carry the relative humidity (``RH_percent``) for the
moisture problem. Units: hours in the table (as the standard), seconds and degC in profiles, RH in percent.

Sources: the whole table (floor lives, standard soaks with their tolerances, accelerated equivalents with theirs)
was read in a public reproduction, and the floor lives in two more (:data:`SOURCES`; docs/moisture.md, "J-STD-020
Table 5-1"). The reproduction does not name the revision; the project's reflow limits follow revision E
(docs/loads.md), and :data:`MSL_STANDARD` says which was read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError, Problem, closest
from .profiles import Profile, _number, _path, register

__all__ = ["MSL_STANDARD", "MslLevel", "MSL_LEVELS", "SOURCES", "get_level", "msl_soak", "soak_conditions",
           "ACTIVATION_BANDS"]

MSL_STANDARD = "IPC/JEDEC J-STD-020, Table 5-1 (revision not named in the copy read)"

SOURCES = {
    "table_5_1": (
        "Raon Solution, 'Precondition (Water Sensitivity Level Test)' page (undated; read at "
        "raonsolution.com/en/content/209), its reproduction of the J-STD-020 level table: floor life and conditions, "
        "standard soak time (+5/-0 h) and conditions, accelerated equivalents at 60 C/60 % RH for 0.40-0.48 eV and "
        "0.30-0.39 eV with their tolerances, for levels 1, 2, 2a, 3, 4, 5, 5a, 6; it prints the floor life of level 2 "
        "as '2 year', against '1 year' in the two copies below, which this module follows"),
    "floor_life": (
        "Altera (Intel), 'Moisture Sensitivity Level Calculator' page, 'Table 1. Moisture Sensitivity levels and "
        "Floor Life' (undated; read at altera.com/support/quality-and-reliability/msl.html): floor lives unlimited, "
        "1 year, 4 weeks, 168, 72, 48, 24 hours and time on label, at <= 30 C/85 % RH (level 1) and <= 30 C/60 % RH "
        "(the others); the same floor lives in COSEL's 'MSL' Q&A page, Table 1 (undated; read at en.cosel.co.jp)"),
}

ACTIVATION_BANDS = ("0.40-0.48 eV", "0.30-0.39 eV")
"""The activation-energy bands of the accelerated equivalents, in the order of ``MslLevel.accelerated_h``."""


@dataclass(frozen=True)
class MslLevel:
    """One row of J-STD-020 Table 5-1.

    Attributes:
        name: ``1``, ``2``, ``2a``, ``3``, ``4``, ``5``, ``5a`` or ``6``.
        floor_life_h: time out of the dry bag at the floor conditions, h (inf: unlimited; None: time on label).
        floor_T_C, floor_RH_percent: the floor conditions (at or below).
        soak_h: standard soak time, h (None for level 6: the time on label, which the user gives).
        soak_T_C, soak_RH_percent: standard soak conditions.
        soak_tolerance_h: (minus, plus) tolerance of the soak time, h (None for level 6).
        accelerated_h: accelerated soak times at :attr:`accelerated_T_C`/:attr:`accelerated_RH_percent`, one per
            band of :data:`ACTIVATION_BANDS`; None where the table gives none.
        accelerated_tolerance_h: (minus, plus) tolerance of the accelerated times, h, or None.
        read_at: field -> key of :data:`SOURCES` where the value was read.
    """

    name: str
    floor_life_h: float | None
    floor_T_C: float
    floor_RH_percent: float
    soak_h: float | None
    soak_T_C: float
    soak_RH_percent: float
    soak_tolerance_h: tuple[float, float] | None
    accelerated_h: tuple[float, float] | None
    accelerated_tolerance_h: tuple[float, float] | None
    read_at: dict
    accelerated_T_C: float = 60.0
    accelerated_RH_percent: float = 60.0


_INF = float("inf")
_YEAR_H = 365 * 24.0
_READ = {"floor_life_h": "floor_life", "floor_T_C": "floor_life", "floor_RH_percent": "floor_life",
         "soak_h": "table_5_1", "soak_T_C": "table_5_1", "soak_RH_percent": "table_5_1",
         "soak_tolerance_h": "table_5_1", "accelerated_h": "table_5_1", "accelerated_tolerance_h": "table_5_1"}


def _row(name, floor_h, floor_RH, soak_h, soak_T, soak_RH, acc, acc_tol):
    tol = None if soak_h is None else (0.0, 5.0)
    return MslLevel(name, floor_h, 30.0, floor_RH, soak_h, soak_T, soak_RH, tol, acc, acc_tol, dict(_READ))


MSL_LEVELS: dict[str, MslLevel] = {r.name: r for r in (
    _row("1", _INF, 85.0, 168.0, 85.0, 85.0, None, None),
    _row("2", _YEAR_H, 60.0, 168.0, 85.0, 60.0, None, None),
    _row("2a", 4 * 7 * 24.0, 60.0, 696.0, 30.0, 60.0, (120.0, 168.0), (0.0, 1.0)),
    _row("3", 168.0, 60.0, 192.0, 30.0, 60.0, (40.0, 52.0), (0.0, 1.0)),
    _row("4", 72.0, 60.0, 96.0, 30.0, 60.0, (20.0, 24.0), (0.0, 0.5)),
    _row("5", 48.0, 60.0, 72.0, 30.0, 60.0, (15.0, 20.0), (0.0, 0.5)),
    _row("5a", 24.0, 60.0, 48.0, 30.0, 60.0, (10.0, 13.0), (0.0, 0.5)),
    _row("6", None, 60.0, None, 30.0, 60.0, None, None),
)}
"""J-STD-020 Table 5-1 by level name (values as read, see :data:`SOURCES`)."""


def get_level(name: Any, field: str = "level") -> MslLevel:
    """The level ``name`` (``3``, ``"3"``, ``"2a"``; case-insensitive). Raises InputError naming ``field``."""
    key = str(name).strip().lower() if not isinstance(name, bool) else "?"
    if key in MSL_LEVELS:
        return MSL_LEVELS[key]
    hint = closest(key, MSL_LEVELS)
    did = f" (did you mean '{hint}'?)" if hint else ""
    raise InputError.single(field, f"{name!r} is not a J-STD-020 moisture sensitivity level{did}; known: "
                                   f"{', '.join(MSL_LEVELS)}")


def soak_conditions(lvl: MslLevel, accelerated: str | None = None, time_on_label_h: float | None = None,
                    field: str = "") -> tuple[float, float, float]:
    """(time h, T degC, RH percent) of a level's soak: standard, or accelerated for the band ``accelerated``
    (one of :data:`ACTIVATION_BANDS`); level 6 soaks for ``time_on_label_h``. Raises InputError naming the field."""
    if accelerated is not None:
        if lvl.accelerated_h is None:
            raise InputError.single(_path(field, "accelerated"), f"level {lvl.name} has no accelerated soak in "
                                    "J-STD-020 Table 5-1 (only levels 2a, 3, 4, 5, 5a); use the standard soak")
        if accelerated not in ACTIVATION_BANDS:
            raise InputError.single(_path(field, "accelerated"), f"{accelerated!r} is not an activation-energy "
                                    f"band of Table 5-1; use one of {', '.join(ACTIVATION_BANDS)}")
        hours = lvl.accelerated_h[ACTIVATION_BANDS.index(accelerated)]
        return hours, lvl.accelerated_T_C, lvl.accelerated_RH_percent
    if lvl.soak_h is None:
        probs: list[Problem] = []
        t = _number(time_on_label_h, "time_on_label_h", field, probs, positive=True)
        if probs:
            raise InputError([Problem(p.field, f"level 6 soaks for the time on the label: {p.message}")
                              for p in probs])
        return t, lvl.soak_T_C, lvl.soak_RH_percent
    return lvl.soak_h, lvl.soak_T_C, lvl.soak_RH_percent


@register("msl_soak")
def msl_soak(level: Any = "3", accelerated: str | None = None, time_on_label_h: float | None = None, *,
             field: str = "") -> Profile:
    """The soak of a J-STD-020 level as a temperature hold (one segment labelled ``'soak'``, time in s, degC).

    Args:
        level: the level name (``1``, ``2``, ``2a``, ``3``, ``4``, ``5``, ``5a``, ``6``).
        accelerated: None (the standard soak) or an activation-energy band of :data:`ACTIVATION_BANDS`.
        time_on_label_h: level 6 only: the soak time, h (the time on the label).

    ``parameters``: ``profile``, ``level``, ``RH_percent`` (the chamber humidity over the hold), ``soak_h``,
    ``accelerated`` (the band or None), ``floor_life_h`` (h; ``"unlimited"`` for level 1 and None for level 6, so
    that the parameters stay finite for summary.json).
    """
    lvl = get_level(level, _path(field, "level"))
    hours, T, RH = soak_conditions(lvl, accelerated, time_on_label_h, field)
    return Profile(np.array([0.0, hours * 3600.0]), np.array([T, T]), ("soak",), np.zeros(1, int), MSL_STANDARD,
                   {"profile": "msl_soak", "level": lvl.name, "RH_percent": RH, "soak_h": hours,
                    "accelerated": accelerated,
                    "floor_life_h": "unlimited" if lvl.floor_life_h == float("inf") else lvl.floor_life_h})
