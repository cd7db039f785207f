"""Prony series from data files: a Prony table (:func:`load_prony_csv`) or a measured relaxation modulus E(t)
fitted by non-negative least squares (:func:`fit_relaxation_csv`).

CSV files: a header row, then numbers; ``#`` lines are comments. Moduli columns carry their unit in the name
(``G_MPa``, ``K_GPa``, ``E_Pa``); times are in s (``tau_s``, ``time_s``). Results are
:class:`~fcpkg_fem.materials.model.PronyParams` in Pa and s.
"""

from __future__ import annotations

import csv
import math
import pathlib
import re
import stat
from typing import Any

import numpy as np
from scipy.optimize import nnls

from fcpkg_fem.errors import InputError
from fcpkg_fem.materials.model import PronyParams


_STRESS_UNITS = {"pa": 1.0, "kpa": 1e3, "mpa": 1e6, "gpa": 1e9}


MAX_TABLE_BYTES = 1_000_000
"""A data table larger than this is refused unread (a Prony series or a relaxation test is a few kB)."""


def _read_text(p: pathlib.Path, field: str) -> str:
    """The text of the table file ``p``: a regular file of at most MAX_TABLE_BYTES, UTF-8. The messages never
    quote the file's content (a path that names another kind of file must not leak it)."""
    try:
        st = p.stat()
    except OSError as exc:
        raise InputError.single(field, f"cannot read '{p}': {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError.single(field, f"'{p}' is not a regular file (a device, folder or pipe cannot be a table)")
    if st.st_size > MAX_TABLE_BYTES:
        raise InputError.single(field, f"'{p}' is {st.st_size:,} bytes; a table may have at most "
                                       f"{MAX_TABLE_BYTES:,}")
    try:
        with p.open("rb") as f:
            data = f.read(MAX_TABLE_BYTES + 1)
    except OSError as exc:
        raise InputError.single(field, f"cannot read '{p}': {exc.strerror or exc}") from None
    try:
        return data[:MAX_TABLE_BYTES].decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError.single(field, f"'{p}' is not a text (CSV) table") from None


_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _header(head: list[str]) -> str:
    """The header for a message, quoted only when it looks like column names (never a line of another file)."""
    if head and all(_NAME.match(h) for h in head):
        return "header is " + ", ".join(head)
    return "the first row is not a header of column names"


def _read_csv(path: Any, field: str) -> tuple[list[str], np.ndarray]:
    p = pathlib.Path(path)
    lines = _read_text(p, field).splitlines()
    rows = [r for r in csv.reader(lines) if r and any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
    if len(rows) < 2:
        raise InputError.single(field, f"'{p}' needs a header row and at least one data row")
    head = [h.strip().lower() for h in rows[0]]
    values = []
    for i, r in enumerate(rows[1:], start=2):
        try:
            values.append([float(c) for c in r])
        except ValueError:
            raise InputError.single(field, f"'{p}': data row {i} (after comments and blank lines) has a cell that "
                                           "is not a number") from None
        if len(r) != len(head):
            raise InputError.single(field, f"'{p}': data row {i} has {len(r)} cells under {len(head)} header names")
    return head, np.array(values, dtype=float)


def _modulus_column(head: list[str], data: np.ndarray, prefix: str, field: str, path: Any) -> np.ndarray | None:
    for i, h in enumerate(head):
        if h.startswith(prefix + "_") and h[len(prefix) + 1:] in _STRESS_UNITS:
            return data[:, i] * _STRESS_UNITS[h[len(prefix) + 1:]]
    if any(h == prefix or h.startswith(prefix + "_") for h in head):
        raise InputError.single(field, f"'{path}': column '{prefix}' needs a unit suffix, one of "
                                       f"{', '.join(prefix + '_' + u for u in ('Pa', 'kPa', 'MPa', 'GPa'))}")
    return None


def load_prony_csv(path: Any, *, Tref_C: float, Tg_C: float | None = None, C1: float | None = None,
                   C2: float | None = None, Ea_R: float | None = None, nu: float | None = None,
                   source: str | None = None, field: str = "prony") -> PronyParams:
    """A Prony table from CSV: header ``tau_s`` and either ``G_<unit>, K_<unit>`` or ``E_<unit>`` (with ``nu``).

    Units: Pa, kPa, MPa or GPa (e.g. ``G_MPa``). One row per term; the row with ``tau_s = inf`` holds the
    long-time moduli (G_inf, K_inf or E_inf; zero if absent). Lines starting with '#' are comments.
    An E-only table is split with a constant Poisson ratio ``nu`` (with a warning).

    Raises:
        InputError: unreadable file, missing columns, negative or non-numeric values (``field`` names the case
            field that gave the file).
    """
    head, data = _read_csv(path, field)
    if "tau_s" not in head:
        raise InputError.single(field, f"'{path}': no 'tau_s' column (relaxation time in s); {_header(head)}")
    tau = data[:, head.index("tau_s")]
    G = _modulus_column(head, data, "g", field, path)
    K = _modulus_column(head, data, "k", field, path)
    E = _modulus_column(head, data, "e", field, path)
    long = ~np.isfinite(tau)
    src = source or f"user Prony table {path}"
    try:
        if G is not None and K is not None:
            return PronyParams(G_inf=float(G[long].sum()), G=G[~long], tau_G=tau[~long], K_inf=float(K[long].sum()),
                               K=K[~long], tau_K=tau[~long], Tref_C=Tref_C, Tg_C=Tg_C, C1=C1, C2=C2, Ea_R=Ea_R,
                               source=src)
        if E is not None:
            if nu is None:
                raise InputError.single(field, f"'{path}' gives E(t) only: a Poisson ratio 'nu' is needed to "
                                               "split it into shear and bulk")
            return PronyParams.from_relaxation_modulus(float(E[long].sum()), E[~long], tau[~long], nu, Tref_C,
                                                       Tg_C=Tg_C, C1=C1, C2=C2, Ea_R=Ea_R, source=src)
    except ValueError as exc:
        raise InputError.single(field, f"'{path}': {exc}") from None
    raise InputError.single(field, f"'{path}': needs columns G_<unit> and K_<unit>, or E_<unit>; {_header(head)}")


def fit_relaxation_csv(path: Any, nu: float, *, Tref_C: float, Tg_C: float | None = None, C1: float | None = None,
                       C2: float | None = None, Ea_R: float | None = None, terms_per_decade: int = 1,
                       source: str | None = None, field: str = "prony") -> PronyParams:
    """Fit a Prony series to a measured relaxation modulus E(t) (CSV columns ``time_s, E_<unit>``) at Tref.

    Relaxation times are fixed, log-spaced ``terms_per_decade`` per decade from the decade below the first time
    to the decade above the last; E_inf and the E_i come from non-negative least squares on the relative
    error, (E_fit(t_k) - E_k) / E_k. Zero terms are dropped. Shear and bulk follow with a constant ``nu``
    (:meth:`PronyParams.from_relaxation_modulus`, which warns).
    """
    head, data = _read_csv(path, field)
    if "time_s" not in head:
        raise InputError.single(field, f"'{path}': no 'time_s' column; {_header(head)}")
    t = data[:, head.index("time_s")]
    E = _modulus_column(head, data, "e", field, path)
    if E is None:
        raise InputError.single(field, f"'{path}': no E_<unit> column (e.g. E_MPa); {_header(head)}")
    if np.any(t <= 0) or np.any(~np.isfinite(t)) or np.any(E <= 0):
        raise InputError.single(field, f"'{path}': times and moduli must be finite and > 0")
    lo, hi = math.floor(math.log10(t.min())) - 1, math.ceil(math.log10(t.max())) + 1
    tau = np.logspace(lo, hi, int((hi - lo) * terms_per_decade) + 1)
    A = np.hstack([np.ones((t.size, 1)), np.exp(-t[:, None] / tau[None, :])]) / E[:, None]
    coef, _ = nnls(A, np.ones(t.size))
    keep = coef[1:] > 0
    try:
        return PronyParams.from_relaxation_modulus(coef[0], coef[1:][keep], tau[keep], nu, Tref_C, Tg_C=Tg_C,
                                                   C1=C1, C2=C2, Ea_R=Ea_R,
                                                   source=source or f"Prony fit (NNLS) to E(t) in {path}")
    except ValueError as exc:
        raise InputError.single(field, f"'{path}': {exc}") from None
