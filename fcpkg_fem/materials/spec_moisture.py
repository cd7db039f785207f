"""The ``moisture:`` block of a case file's ``materials.<name>`` entry -> :class:`MoistureParams`.

Two forms (docs/moisture.md, "Material input"):

- a library record by name: ``moisture: emc_low_absorption`` (see :data:`fcpkg_fem.materials.moisture.LIBRARY`);
- a mapping of constants, over a record named by ``grade:`` or, if none is named, the library record of the entry's
  base material (or its own name); a material without either needs every constant:

  ``D0`` (m^2/s), ``Q_D`` (J/mol), ``Ea_S`` (J/mol), ``cme`` (m^3/kg, strain per kg/m^3) as plain numbers in these
  SI units, and the solubility either as ``S0`` (kg/(m^3 Pa)) or as a measured saturation ``C_sat`` (kg/m^3, or
  a string with a density unit such as "6.9 kg/m^3") at ``T_ref`` (a temperature) and ``RH_ref`` (percent, 0-100).
  Optional: ``free_volume``, the free volume fraction f (0 < f < 1) the vapour pressure model puts the water in
  (:mod:`fcpkg_fem.post.vapour`); without it (and without a record to take it from) no vapour pressure is
  estimated in the material.

Every problem is recorded with its dotted field path (``materials.my_resin.moisture.D0``).
"""

from __future__ import annotations

from typing import Any, Mapping

from fcpkg_fem.materials.moisture import LIBRARY, MoistureParams, library_record
from fcpkg_fem.materials.spec_fields import _Collector, _open_block
from fcpkg_fem.units import parse_quantity

__all__ = ["MOISTURE_KEYS", "parse_moisture"]

_NUMBERS = ("D0", "Q_D", "S0", "Ea_S", "cme")
_SATURATION = ("C_sat", "T_ref", "RH_ref")
MOISTURE_KEYS = ("grade",) + _NUMBERS + _SATURATION + ("free_volume",)
"""Keys a ``moisture:`` mapping accepts."""


def _base_record(raw: Mapping, base: MoistureParams | None, field: str, out: _Collector) -> MoistureParams | None:
    if "grade" not in raw:
        return base
    return out.run(library_record, raw["grade"], f"{field}.grade")


def _saturation_S0(raw: Mapping, vals: dict, field: str, out: _Collector) -> float | None:
    """S0 from ``C_sat`` at ``T_ref`` and ``RH_ref`` (all three needed), or None (problem recorded)."""
    missing = [k for k in _SATURATION if k not in raw]
    if missing:
        out.add(f"{field}.{missing[0]}", f"missing; a measured saturation needs all of {', '.join(_SATURATION)}")
        return None
    C = out.run(parse_quantity, raw["C_sat"], "density", f"{field}.C_sat")
    T = out.run(parse_quantity, raw["T_ref"], "temperature", f"{field}.T_ref")
    RH = out.run(parse_quantity, raw["RH_ref"], "dimensionless", f"{field}.RH_ref")
    if C is not None and not C > 0:
        out.add(f"{field}.C_sat", f"{raw['C_sat']!r} must be > 0 kg/m^3")
        C = None
    if RH is not None and not 0.0 < RH <= 100.0:
        out.add(f"{field}.RH_ref", f"{raw['RH_ref']!r} is not a relative humidity; give a percentage in (0, 100]")
        RH = None
    if C is None or T is None or RH is None or vals.get("Ea_S") is None:
        return None
    return MoistureParams.from_saturation(C, T, RH / 100.0, D0=1.0, Q_D=0.0, Ea_S=vals["Ea_S"], cme=0.0).S0


def parse_moisture(raw: Any, base: MoistureParams | None, field: str, src: str,
                   out: _Collector) -> MoistureParams | None:
    """A ``moisture:`` value -> MoistureParams over ``base`` (the record the entry's material had), or None with
    the problems recorded in ``out``. ``src`` is the entry's source text (for the constants it gives)."""
    if isinstance(raw, str):
        return out.run(library_record, raw, field)
    n_before = _open_block(raw, MOISTURE_KEYS, field, out,
                           f"a library record name ({', '.join(LIBRARY)}) or constants ({', '.join(MOISTURE_KEYS)})")
    if n_before is None:
        return None
    rec = _base_record(raw, base, field, out)
    vals: dict[str, float | None] = {}
    for key in _NUMBERS:
        if key in raw:
            vals[key] = out.run(parse_quantity, raw[key], "dimensionless", f"{field}.{key}")
        elif rec is not None:
            vals[key] = getattr(rec, key)
    if "S0" in raw and "C_sat" in raw:
        out.add(field, "give the solubility either as 'S0' or as 'C_sat' at 'T_ref' and 'RH_ref', not both")
    elif any(k in raw for k in _SATURATION):
        vals["S0"] = _saturation_S0(raw, vals, field, out)
    for key in _NUMBERS:
        if key not in vals and not (key == "S0" and any(k in raw for k in _SATURATION)):
            out.add(f"{field}.{key}", "missing; without a library record to start from every constant is needed: "
                                      "D0, Q_D, Ea_S, cme and S0 (or C_sat, T_ref, RH_ref)")
    free = rec.free_volume if rec is not None else None
    if "free_volume" in raw:
        free = out.run(parse_quantity, raw["free_volume"], "dimensionless", f"{field}.free_volume")
    if len(out.problems) > n_before or any(v is None for v in vals.values()):
        return None
    given = [k for k in MOISTURE_KEYS if k in raw and k != "grade"]
    source = src if rec is None else (f"{', '.join(given)}: {src}; other constants: {rec.source}" if given
                                      else rec.source)
    prm = MoistureParams(source=source, free_volume=free, **vals)  # type: ignore[arg-type]
    probs = prm.problems(field)
    if probs:
        out.problems.extend(probs)
        return None
    return prm
