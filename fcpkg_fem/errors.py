"""Exception types shared by every stage.

Library code raises these; only the CLI turns them into exit codes (see docs/exit_codes.md):
:class:`InputError` -> 2, :class:`MeshError` -> 3, :class:`SolverError` -> 4.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable


def closest(name: str, known: Iterable[str]) -> str | None:
    """Return the known name nearest to ``name`` (for "did you mean" hints), or None."""
    hits = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return hits[0] if hits else None


@dataclass
class Problem:
    """One thing wrong with the input.

    Attributes:
        field: dotted path of the offending field, e.g. ``package.carriers.bottom.size``.
        message: what is wrong, naming what was given and what is allowed.
    """

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class FcpkgError(Exception):
    """Base class of every error fcpkg-fem raises on purpose."""

    exit_code = 1


@dataclass
class InputError(FcpkgError):
    """The case (or a data file it names) is invalid. Carries every problem found, not just the first."""

    problems: list[Problem] = field(default_factory=list)
    exit_code = 2

    @classmethod
    def single(cls, field_path: str, message: str) -> "InputError":
        return cls([Problem(field_path, message)])

    def __str__(self) -> str:
        n = len(self.problems)
        head = "invalid case: 1 problem" if n == 1 else f"invalid case: {n} problems"
        return head + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class MeshError(FcpkgError):
    """Geometry could not be built or meshed; the message names the parts involved."""

    exit_code = 3


class SolverError(FcpkgError):
    """A solve failed (linear solver, Newton, negative Jacobian); says where and why."""

    exit_code = 4
