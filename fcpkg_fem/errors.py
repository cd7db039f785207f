"""Exception types shared by every stage.

Library code raises these; only the CLI turns them into exit codes (see docs/exit_codes.md):
:class:`InputError` -> 2, :class:`MeshError` -> 3, :class:`SolverError` -> 4, :class:`StorageError` -> 7.
"""

from __future__ import annotations

import difflib
import errno
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


class FolderBusy(InputError):
    """The run folder is being written by another run (its lock is held): exit code 2 like any input error."""

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class MeshError(FcpkgError):
    """Geometry could not be built or meshed; the message names the parts involved."""

    exit_code = 3


class SolverError(FcpkgError):
    """A solve failed (linear solver, Newton, negative Jacobian); says where and why."""

    exit_code = 4


_STORAGE_HINTS = {
    errno.ENOSPC: "the disk is full: free space there, or write elsewhere (--out DIR, or --mesh-cache DIR)",
    errno.EDQUOT: "the disk quota is used up: free space there, or write elsewhere (--out DIR)",
    errno.EACCES: "permission denied: choose a folder you may write to (--out DIR)",
    errno.EPERM: "permission denied: choose a folder you may write to (--out DIR)",
    errno.EROFS: "the file system is read-only: choose another folder (--out DIR)",
    errno.ENOTDIR: "a file stands where a folder is needed: remove it or choose another folder (--out DIR)",
    errno.EISDIR: "a folder stands where a file is needed: remove it or choose another folder (--out DIR)",
    errno.EEXIST: "something else already exists there: remove it or choose another folder (--out DIR)",
}


class StorageError(FcpkgError, OSError):
    """The machine refused a file operation: the disk is full, a folder is read-only, not yours, or a file stands
    where a folder is needed. Not a fault of the case, nor of fcpkg-fem; the message names the path and what to do.
    Also an ``OSError``, so that code catching those keeps working."""

    exit_code = 7

    @classmethod
    def of(cls, err: OSError, path: object = None) -> "StorageError":
        """The error for ``err`` (an OSError) on ``path`` (default: the file the OSError names)."""
        where = path if path is not None else (err.filename or "a file")
        hint = _STORAGE_HINTS.get(err.errno, "check the folder and the free space there")
        return cls(f"cannot write {where}: {err.strerror or err} ({hint})")
