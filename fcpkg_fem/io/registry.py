"""The writer registry: name -> :class:`Writer` (function and place in the write order).

A writer is a function ``writer(result, out_dir) -> list[Path]`` that writes its files atomically into the existing
folder ``out_dir`` and returns their paths; ``@register_writer(name, order=...)`` adds it to :data:`WRITERS`.
The case's ``output`` switches name registered writers (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from fcpkg_fem.post.result import RunResult

WriterFn = Callable[[RunResult, Path], list[Path]]


@dataclass(frozen=True)
class Writer:
    """A registered writer: its name, its place in the write order and the function."""

    name: str
    order: int
    fn: WriterFn


#: name -> Writer, filled by :func:`register_writer`.
WRITERS: dict[str, Writer] = {}


def register_writer(name: str, order: int = 50) -> Callable[[WriterFn], WriterFn]:
    """Decorator registering ``fn(result, out_dir) -> list[Path]`` as writer ``name``.

    Args:
        name: key used in ``write_all(names=...)`` and in ``summary["files"]``.
        order: writers run in ascending order; ``summary`` uses 1000 so that it comes last.
    """

    def deco(fn: WriterFn) -> WriterFn:
        WRITERS[name] = Writer(name, order, fn)
        return fn

    return deco




def output_index(result: RunResult, pos: int) -> int:
    """The ``index`` of the output at position ``pos`` (its position when the summary has none)."""
    outs = result.summary.get("outputs") or []
    if pos < len(outs) and outs[pos].get("index") is not None:
        return int(outs[pos]["index"])
    return pos
