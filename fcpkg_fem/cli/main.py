"""The ``fcpkg`` command: a thin coat over :mod:`fcpkg_fem.api`, one module per subcommand.

Exit codes (docs/exit_codes.md): 0 ok, 1 internal error, 2 bad input (InputError, bad command line),
3 geometry/mesh failure (MeshError), 4 solver failure (SolverError), 7 cannot write (StorageError, any OSError),
130 interrupted (SIGINT), 143 terminated (SIGTERM).
Only this module prints errors and chooses exit codes; library code raises.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import traceback
from typing import Sequence

from fcpkg_fem import __version__
from fcpkg_fem.cli import batch, check, mesh, regress, run
from fcpkg_fem.errors import FcpkgError, StorageError

SUBCOMMANDS = (run, check, mesh, batch, regress)
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process ended by it


class Terminated(BaseException):
    """SIGTERM arrived (a batch scheduler, ``kill``, a container stopping): unwind like Ctrl-C."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fcpkg",
        description="Thermo-mechanical finite elements for stacked flip-chip packages (docs/cli.md).",
        epilog="exit codes: 0 ok, 1 internal error, 2 bad input, 3 geometry/mesh failure, 4 solver failure, "
               "5 batch: some cases failed, 6 regress: outside tolerance, 7 cannot write (disk full, read-only "
               "folder), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM)",
    )
    parser.add_argument("--version", action="version", version=f"fcpkg-fem {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        p = module.add_parser(sub)
        # also accepted after the subcommand; SUPPRESS keeps a top-level --debug from being reset
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def _quote_hint(argv: list[str], extra: list[str]) -> str:
    """A hint when a stray argument is the rest of a ``--set`` value that had a space (``--set mesh.size=0.6 mm``)."""
    for i, a in enumerate(argv[:-1]):
        value = a.split("=", 1)[1] if a.startswith("--set=") else (argv[i + 1] if a == "--set" else None)
        nxt = argv[i + 1] if a.startswith("--set=") else (argv[i + 2] if i + 2 < len(argv) else None)
        if value is not None and "=" in value and nxt in extra:
            return (f"; '{nxt}' looks like the rest of '--set {value}': quote a value with a space, "
                    f"--set '{value} {nxt}'")
    return ""


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: sys.argv[1:]) and return the exit code."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args, extra = parser.parse_known_args(argv)  # bad usage: argparse prints it and exits 2
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}" + _quote_hint(argv, extra))
    with contextlib.suppress(ValueError):  # not the main thread (an embedding application): leave SIGTERM alone
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return int(args.func(args) or 0)
    except FcpkgError as err:
        _error(str(err))
        return err.exit_code
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except Terminated:
        print("\nterminated (SIGTERM); the checkpoints written so far are kept", file=sys.stderr, flush=True)
        return EXIT_TERMINATED
    except OSError as err:  # the machine refused a file operation the library did not name itself
        storage = StorageError.of(err)
        _error(str(storage))
        return storage.exit_code
    except BrokenPipeError:
        # stdout closed early (e.g. piped into head): not an error of ours; silence the flush at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as err:  # noqa: BLE001 - the last line of defence: no traceback unless asked for
        if getattr(args, "debug", False):
            traceback.print_exc()
        _error(f"internal error: {type(err).__name__}: {err}")
        if not getattr(args, "debug", False):
            print("This is a bug in fcpkg-fem; rerun with --debug for the traceback and report it.",
                  file=sys.stderr, flush=True)
        return EXIT_INTERNAL


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
