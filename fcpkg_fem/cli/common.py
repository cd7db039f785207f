"""Pieces shared by the subcommands: case loading with ``--set`` overrides, progress lines, formatting."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from fcpkg_fem import api
from fcpkg_fem.api import Reporter
from fcpkg_fem.errors import InputError


def add_case_args(p: argparse.ArgumentParser) -> None:
    """The positional CASE and the repeatable ``--set path=value``."""
    p.add_argument("case", metavar="CASE", help="case file (YAML, docs/case_format.md)")
    p.add_argument("--data-dir", dest="data_dirs", action="append", default=[], metavar="DIR",
                   help="a folder besides the case file's where the data files it names (tables) may lie "
                        "(repeatable)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override one case field before validation, e.g. --set 'mesh.size=0.3 mm' (repeatable)")


def add_mesh_cache_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mesh-cache", default="meshes", metavar="DIR",
                   help="folder of cached footprint meshes (default: ./meshes)")


def add_force_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true",
                   help="run even when the estimated memory exceeds what this machine has available")


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1 (a usage error, exit 2, names the option and what was given)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def load(args: argparse.Namespace):
    """The validated case named by ``args.case`` with ``args.overrides`` applied; raises InputError."""
    path = Path(args.case)
    if not path.is_file():
        # api.load_case also accepts YAML text; a mistyped path must not be read as a one-word document
        raise InputError.single(str(path), "case file not found" if not path.exists() else "not a regular file")
    return api.load_case(path, overrides=args.overrides, data_dirs=getattr(args, "data_dirs", ()))


class Progress(Reporter):
    """The commands' progress on stderr: ``[  12.3s] message`` lines and, on a terminal, one live status line
    (:class:`fcpkg_fem.run.progress.Reporter`); nothing when quiet. Use it as a context manager: leaving it clears
    the live line before the results or an error are printed.

    It also puts Python's Ctrl-C handler back after gmsh: ``gmsh.initialize()`` sets SIGINT to SIG_DFL and its
    ``finalize()`` does not restore it (gmsh.py keeps the old handler in a local variable), so without this a
    Ctrl-C after meshing would kill the process silently instead of ending with "interrupted" (exit 130).
    """

    def __init__(self, quiet: bool = False, stream=None, **options):
        super().__init__(stream if stream is not None else sys.stderr, quiet=quiet, **options)
        self._sigint = signal.getsignal(signal.SIGINT)

    def _restore_sigint(self) -> None:
        if self._sigint is signal.default_int_handler and signal.getsignal(signal.SIGINT) is signal.SIG_DFL:
            try:
                signal.signal(signal.SIGINT, signal.default_int_handler)
            except ValueError:  # not the main thread
                pass

    def __call__(self, message: str) -> None:
        self._restore_sigint()
        super().__call__(message)

    def status(self, st) -> None:
        self._restore_sigint()
        super().status(st)


def mm(x_m: float) -> str:
    """A length in m as a short mm string."""
    return f"{x_m * 1e3:.4g} mm"


def um(x_m: float) -> str:
    """A length in m as a short um string."""
    return f"{x_m * 1e6:.4g} um"


def length(x_m: float) -> str:
    """A length in m in um below 1 mm, else in mm."""
    return um(x_m) if abs(x_m) < 1e-3 else mm(x_m)


def table(header: list[str], rows: list[list[str]]) -> str:
    """A plain text table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(r):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])
