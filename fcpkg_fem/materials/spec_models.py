"""Model blocks of a case file's ``materials.<name>`` entry: ``anand``, ``j2``, ``prony`` (the nonlinear models'
parameters, docs/models.md) and ``darveaux`` (the solder's own life constants); parsed by
:mod:`fcpkg_fem.materials.spec`, which collects every problem with its dotted field path."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from fcpkg_fem.errors import InputError
from fcpkg_fem.materials.model import AnandParams, J2Params, PronyParams, Table
from fcpkg_fem.materials.prony import fit_relaxation_csv, load_prony_csv
from fcpkg_fem.materials.spec_fields import (_Collector, _open_block, _parse_table, _positive_number, _source_over,
                                             _text)
from fcpkg_fem.units import parse_list, parse_quantity

_ANAND_KINDS = {"s0": "stress", "Q_R": "temperature_difference", "A": "strain_rate", "xi": "dimensionless",
                "m": "dimensionless", "h0": "stress", "s_hat": "stress", "n": "dimensionless", "a": "dimensionless"}
_ANAND_FIT = "fit_steady_state"
_ANAND_FIT_KEYS = ("temperature", "strain_rate", "stress", "free", "source")
_J2_KEYS = ("sigma_y", "H_iso", "H_kin")
_PRONY_FILES = ("csv", "relaxation_csv")
_PRONY_SHIFT_KINDS = {"Tref": "temperature", "Tg": "temperature", "C1": "dimensionless",
                      "C2": "temperature_difference", "Ea_R": "temperature_difference"}
_PRONY_KEYS = _PRONY_FILES + tuple(_PRONY_SHIFT_KINDS) + ("nu", "terms_per_decade")
MODEL_FILE_KEYS = {"prony": _PRONY_FILES}
SOLDER_FAMILY_NAMES = ("SnPb", "SnAgCu")
"""Solder families that life-model constants are fitted for (``materials.<name>.solder_family``)."""
_DARVEAUX_NUMBERS = ("K1", "K2", "K3", "K4")
_DARVEAUX_KEYS = _DARVEAUX_NUMBERS + ("layer_thickness", "source")
"""Keys of model blocks whose value is a file path (relative paths are read from the case file's folder)."""


def _parse_anand(raw: Any, base: AnandParams | None, field: str, src: str, out: _Collector) -> AnandParams | None:
    """``anand:`` -> AnandParams: the nine constants (any subset over a base that has them), optionally refit."""
    n_before = _open_block(raw, tuple(_ANAND_KINDS) + (_ANAND_FIT,), field, out,
                           f"Anand constants as 'key: value' ({', '.join(_ANAND_KINDS)})")
    if n_before is None:
        return None
    vals: dict[str, float | None] = {}
    for key, kind in _ANAND_KINDS.items():
        if key in raw:
            # a >= 1 keeps the hardening slope |B|^(a-1) finite at saturation; m in (0, 1]: flow exponent 1/m >= 1
            if key == "a":
                vals[key] = _positive_number(raw, key, kind, field, out, 1.0, inclusive=True)
            elif key == "n":
                vals[key] = _positive_number(raw, key, kind, field, out, 0.0, inclusive=True)
            else:
                vals[key] = _positive_number(raw, key, kind, field, out)
            if key == "m" and vals[key] is not None and vals[key] > 1.0:
                out.add(f"{field}.m", f"{raw['m']!r} must lie in (0, 1] (strain-rate sensitivity)")
        elif base is not None:
            vals[key] = getattr(base, key)
        else:
            out.add(f"{field}.{key}", "missing; without a base material that has Anand constants all nine are "
                                      f"needed: {', '.join(_ANAND_KINDS)}")
    if len(out.problems) > n_before:
        return None
    source = _source_over([k for k in _ANAND_KINDS if k in raw], src, base.source if base is not None else None)
    prm = AnandParams(**vals, source=source)  # type: ignore[arg-type]
    if _ANAND_FIT in raw:
        prm = _anand_fit(raw[_ANAND_FIT], prm, f"{field}.{_ANAND_FIT}", src, out)
    return prm


def _anand_fit(raw: Any, prm: AnandParams, field: str, src: str, out: _Collector) -> AnandParams | None:
    """``fit_steady_state: {temperature, strain_rate, stress, free}`` -> ``prm`` refit to measured saturation."""
    n_before = _open_block(raw, _ANAND_FIT_KEYS, field, out, "temperature, strain_rate and stress lists (and 'free')")
    if n_before is None:
        return None
    for key in ("temperature", "strain_rate", "stress"):
        if key not in raw:
            out.add(f"{field}.{key}", "missing; a steady-state fit needs temperature, strain_rate and stress")
    if len(out.problems) > n_before:
        return None
    T = out.run(parse_list, raw["temperature"], "temperature", f"{field}.temperature")
    sig = out.run(parse_list, raw["stress"], "stress", f"{field}.stress")
    rate_raw = raw["strain_rate"]
    if isinstance(rate_raw, (list, tuple)):
        rate = out.run(parse_list, rate_raw, "strain_rate", f"{field}.strain_rate")
    else:
        rate = out.run(parse_quantity, rate_raw, "strain_rate", f"{field}.strain_rate")
    free = raw.get("free", ["s_hat"])
    if isinstance(free, str):
        free = [free]
    if not isinstance(free, (list, tuple)) or not free or any(k not in AnandParams.STEADY_STATE_KEYS for k in free):
        out.add(f"{field}.free", f"{raw.get('free')!r}: give a list of constants among "
                                 f"{', '.join(AnandParams.STEADY_STATE_KEYS)} (s0, h0, a do not act on the steady state)")
        return None
    if T is None or sig is None or rate is None:
        return None
    lengths = {len(T), len(sig)} | ({len(rate)} if isinstance(rate, tuple) else set())
    if len(lengths) > 1:
        out.add(field, f"temperature, stress (and a strain_rate list) must have the same length; got {sorted(lengths)}")
        return None
    data_src = _text(raw, "source", field, out) or src
    try:
        return prm.refit_steady_state(T, rate, sig, free=tuple(free), source=data_src)
    except ValueError as err:
        out.add(field, str(err))
        return None


def _parse_j2(raw: Any, base: J2Params | None, field: str, src: str, out: _Collector) -> J2Params | None:
    """``j2: {sigma_y, H_iso, H_kin}``, each a stress or a table in temperature; missing keys from the base."""
    n_before = _open_block(raw, _J2_KEYS, field, out, f"{', '.join(_J2_KEYS)} (a stress or a temperature table)")
    if n_before is None:
        return None
    tabs: dict[str, Table | None] = {}
    for key in _J2_KEYS:
        if key in raw:
            tabs[key] = _parse_table(raw[key], "stress", f"{field}.{key}", out, positive=(key == "sigma_y"))
        elif base is not None:
            tabs[key] = getattr(base, key)
        elif key == "sigma_y":
            out.add(f"{field}.sigma_y", "missing; a J2 material needs a yield stress (H_iso, H_kin default to 0)")
    if len(out.problems) > n_before:
        return None
    source = _source_over([k for k in _J2_KEYS if k in raw], src, base.source if base is not None else None)
    return J2Params(**tabs, hardening_curve=base.hardening_curve if base is not None else None, source=source)


def _parse_darveaux(raw: Any, field: str, out: _Collector) -> dict | None:
    """``darveaux: {K1, K2, K3, K4, layer_thickness, source}``: the solder's own crack initiation and growth fit, K1-K4
    plain numbers in the units of the fit (psi, inch: N0 = K1 dW^K2, da/dN = K3 dW^K4), the thickness of the
    pad-interface layer its dW was averaged over (a length), and the source (required: a life rests on it).
    Returns the fields of fcpkg_fem.post.life.DarveauxConstants (but ``family``) or None (problem recorded)."""
    n_before = _open_block(raw, _DARVEAUX_KEYS, field, out, "K1, K2, K3, K4, layer_thickness and source")
    if n_before is None:
        return None
    vals: dict[str, Any] = {}
    for key in _DARVEAUX_KEYS:
        if key not in raw:
            out.add(f"{field}.{key}", "missing; a Darveaux fit needs K1, K2, K3, K4, the layer_thickness its dW "
                                      "was averaged over and its source")
        elif key == "source":
            vals[key] = _text(raw, key, field, out)
        elif key == "layer_thickness":
            vals["layer_thickness_m"] = _positive_number(raw, key, "length", field, out)
        else:
            v = out.run(parse_quantity, raw[key], "dimensionless", f"{field}.{key}")
            if v is not None and key in ("K1", "K3") and not v > 0:
                out.add(f"{field}.{key}", f"{raw[key]!r} must be > 0")
            vals[key] = v
    if len(out.problems) > n_before:
        return None
    return {**vals, "solder": field.split(".")[-2]}


def _parse_prony(raw: Any, base: PronyParams | None, field: str, src: str, out: _Collector,
                 base_dir: Path | None) -> PronyParams | None:
    """``prony:`` -> PronyParams: a Prony table (``csv``) or a measured E(t) to fit (``relaxation_csv``), or only
    the time-temperature shift of the base material's series (``Tref``, ``Tg``, ``C1``, ``C2``, ``Ea_R``)."""
    n_before = _open_block(raw, _PRONY_KEYS, field, out,
                           f"'csv' or 'relaxation_csv' and the shift ({', '.join(_PRONY_SHIFT_KINDS)})")
    if n_before is None:
        return None
    files = [k for k in _PRONY_FILES if k in raw]
    if len(files) > 1:
        out.add(field, "give either 'csv' (a Prony table) or 'relaxation_csv' (a measured E(t) to fit), not both")
    shift: dict[str, float | None] = {}
    for key, kind in _PRONY_SHIFT_KINDS.items():
        if key in ("Tref", "Tg") and key in raw:
            shift[key] = out.run(parse_quantity, raw[key], kind, f"{field}.{key}")
        elif key in raw:  # C1, C2, Ea_R
            shift[key] = _positive_number(raw, key, kind, field, out)
    nu = _positive_number(raw, "nu", "dimensionless", field, out) if "nu" in raw else None
    if nu is not None and nu >= 0.5:
        out.add(f"{field}.nu", f"{raw['nu']!r} must lie in (0, 0.5)")
    if len(out.problems) > n_before:
        return None
    names = {"Tref": "Tref_C", "Tg": "Tg_C", "C1": "C1", "C2": "C2", "Ea_R": "Ea_R"}
    kw = {names[k]: v for k, v in shift.items()}
    if not files:
        if base is None:
            out.add(field, "no 'csv' or 'relaxation_csv': only a material whose base has a Prony series can change "
                           "its shift alone")
            return None
        if not kw:
            return base
        try:
            return dataclasses.replace(base, **kw, source=f"shift ({', '.join(shift)}): {src}; series: {base.source}")
        except ValueError as err:
            out.add(field, str(err))
            return None
    key = files[0]
    path = Path(str(raw[key])).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    if "Tref" not in shift:
        out.add(f"{field}.Tref", f"missing; the temperature at which the data of '{raw[key]}' were measured")
        return None
    kw.pop("Tref_C")
    try:
        if key == "csv":
            return load_prony_csv(path, Tref_C=shift["Tref"], nu=nu, source=f"{src} (Prony table {path.name})",
                                  field=f"{field}.csv", **kw)
        if nu is None:
            out.add(f"{field}.nu", "missing; a measured E(t) is split into shear and bulk with a constant Poisson ratio")
            return None
        tpd = raw.get("terms_per_decade", 1)
        if not isinstance(tpd, int) or isinstance(tpd, bool) or not 1 <= tpd <= 4:
            out.add(f"{field}.terms_per_decade", f"{tpd!r} must be an integer from 1 to 4")
            return None
        return fit_relaxation_csv(path, nu, Tref_C=shift["Tref"], terms_per_decade=tpd,
                                  source=f"{src} (Prony fit to E(t) in {path.name})", field=f"{field}.relaxation_csv",
                                  **kw)
    except InputError as err:
        out.problems.extend(err.problems)
    except ValueError as err:
        out.add(field, str(err))
    return None
