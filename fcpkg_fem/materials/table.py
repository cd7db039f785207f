"""Temperature tables: a property as a piecewise-linear function of temperature (degC), exact integrals.

Every material property that may depend on temperature is a :class:`Table`; :func:`as_table` turns a number into
a constant one. Values are in internal units (see :mod:`fcpkg_fem.materials.model`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

import numpy as np

__all__ = ["Table", "as_table"]


def _T_array(T: Any) -> np.ndarray:
    return np.atleast_1d(np.asarray(T, dtype=float))


def _frozen_array(a: Any) -> np.ndarray:
    arr = np.array(a, dtype=float).reshape(-1)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Table:
    """A property as a piecewise-linear function of temperature, constant beyond the end points.

    A constant is a one-point table. A temperature may appear twice in a row to mark a *jump*
    (the left value applies below it, the right value at and above it): the glassy/rubbery CTE step
    is ``Table((Tg, Tg), (alpha1, alpha2))``. Otherwise temperatures must increase strictly.

    Attributes:
        T_C: breakpoint temperatures (degC), shape (m,).
        values: property values at the breakpoints (internal units), shape (m,).
    """

    T_C: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        T = _frozen_array(self.T_C)
        v = _frozen_array(self.values)
        if T.size < 1 or T.size != v.size:
            raise ValueError(f"Table needs >= 1 point and as many values as temperatures, got {T.size} and {v.size}")
        if not (np.all(np.isfinite(T)) and np.all(np.isfinite(v))):
            raise ValueError("Table temperatures and values must be finite")
        d = np.diff(T)
        if np.any(d < 0) or np.any((d[1:] == 0) & (d[:-1] == 0)):
            raise ValueError(f"Table temperatures must increase (a value may repeat once to mark a jump): {T}")
        object.__setattr__(self, "T_C", T)
        object.__setattr__(self, "values", v)
        # Antiderivative at the breakpoints, F(T_C[0]) = 0 (exact: trapezoids of a piecewise-linear function).
        F = np.concatenate([[0.0], np.cumsum(0.5 * (v[1:] + v[:-1]) * d)])
        F.setflags(write=False)
        object.__setattr__(self, "_F", F)

    @classmethod
    def constant(cls, value: float) -> "Table":
        """A one-point table: ``value`` at every temperature."""
        return cls((0.0,), (float(value),))

    @classmethod
    def step(cls, T_jump: float, below: float, above: float) -> "Table":
        """``below`` for T < T_jump, ``above`` for T >= T_jump (e.g. glassy/rubbery CTE at Tg)."""
        return cls((T_jump, T_jump), (below, above))

    @property
    def is_constant(self) -> bool:
        return bool(np.all(self.values == self.values[0]))

    def _segments(self, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Segment index, offset into it, its slope (0 across a jump), and below / above masks for each T."""
        Tc, v = self.T_C, self.values
        n = Tc.size
        idx = np.clip(np.searchsorted(Tc, T, side="right") - 1, 0, max(n - 2, 0))
        below = T < Tc[0]
        above = T >= Tc[-1]
        width = Tc[idx + 1] - Tc[idx]
        safe = np.where(width > 0, width, 1.0)
        slope = np.where(width > 0, (v[idx + 1] - v[idx]) / safe, 0.0)
        return idx, T - Tc[idx], slope, below, above

    def __call__(self, T: Any) -> np.ndarray:
        """Value at temperature(s) ``T`` (degC); same shape as ``np.asarray(T)``, float64."""
        T = np.asarray(T, dtype=float)
        Tc, v = self.T_C, self.values
        if Tc.size == 1:
            return np.full(T.shape, v[0])
        idx, dx, slope, below, above = self._segments(T)
        out = v[idx] + slope * dx
        out = np.where(below, v[0], out)
        out = np.where(above, v[-1], out)
        return out

    def antiderivative(self, T: Any) -> np.ndarray:
        """``F(T) = integral of the table from T_C[0] to T`` (exact; linear beyond the ends)."""
        T = np.asarray(T, dtype=float)
        Tc, v, F = self.T_C, self.values, self._F  # type: ignore[attr-defined]
        if Tc.size == 1:
            return v[0] * (T - Tc[0])
        idx, dx, slope, below, above = self._segments(T)
        out = F[idx] + v[idx] * dx + 0.5 * slope * dx * dx
        out = np.where(below, v[0] * (T - Tc[0]), out)
        out = np.where(above, F[-1] + v[-1] * (T - Tc[-1]), out)
        return out

    def integrate(self, T0: Any, T: Any) -> np.ndarray:
        """``integral of the table from T0 to T`` (exact for piecewise-linear data); T0 and T broadcast."""
        return self.antiderivative(T) - self.antiderivative(T0)

    def scaled(self, factor: float) -> "Table":
        """A copy with every value multiplied by ``factor``."""
        return Table(self.T_C, self.values * factor)

    def breakpoints(self) -> np.ndarray:
        """Distinct breakpoint temperatures (degC)."""
        return np.unique(self.T_C)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        return np.array_equal(self.T_C, other.T_C) and np.array_equal(self.values, other.values)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self.T_C.size == 1:
            return f"Table.constant({self.values[0]!r})"
        return f"Table(T_C={self.T_C.tolist()}, values={self.values.tolist()})"


def as_table(x: Union[Table, float, int]) -> Table:
    """A Table as is, or a number as a constant table."""
    return x if isinstance(x, Table) else Table.constant(float(x))


def _check_temperatures(*tables: Table) -> np.ndarray:
    """Temperatures at which to check a combination of tables: every breakpoint and the midpoints between."""
    pts = np.unique(np.concatenate([t.T_C for t in tables]))
    if pts.size > 1:
        pts = np.unique(np.concatenate([pts, 0.5 * (pts[1:] + pts[:-1])]))
    return pts
