"""``fcpkg regress``: run the golden cases and compare their headline numbers with the golden values."""

from __future__ import annotations

import argparse
import sys
import time

from fcpkg_fem.batch import regress

from .common import table

EXIT_REGRESSION = 6
"""Exit code when a gated quantity is outside its tolerance or a golden case fails to run (docs/exit_codes.md)."""
DEFAULT_GOLDEN = "tests/regression/golden.yaml"


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("regress", help="compare the golden cases' headline numbers with their golden values",
                       description="Run every case of the golden file at its pinned settings (nothing is written) "
                                   "and print quantity, golden, current, difference, tolerance, PASS/FAIL. Exit 0 "
                                   "when all pass, 6 naming the failing quantities otherwise (docs/regress.md).")
    p.add_argument("--golden", default=DEFAULT_GOLDEN, metavar="FILE",
                   help=f"golden file (default: {DEFAULT_GOLDEN})")
    p.add_argument("--case", dest="cases", action="append", default=[], metavar="NAME",
                   help="run only this golden case (repeatable)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override one field of every golden case, after its own settings (repeatable)")
    p.add_argument("--update", action="store_true",
                   help="rewrite the golden values with the current ones (tolerances and reasons are kept)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=cmd)
    return p


def _g(v) -> str:
    return "-" if v is None else f"{v:.7g}"


def checks_table(checks: list[regress.Check]) -> str:
    rows = []
    for c in checks:
        result = "PASS" if c.passed else "FAIL"
        rows.append([c.label, _g(c.golden), _g(c.current), "-" if c.difference is None else f"{c.difference:+.3g}",
                     "-" if c.tolerance is None else f"{c.tolerance:.3g}",
                     result + (f" ({c.error})" if c.error else "")])
    return table(["quantity", "golden", "current", "difference", "tolerance", "result"], rows)


def cmd(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - t0:7.1f}s] {msg}", file=sys.stderr, flush=True)

    golden = regress.load_golden(args.golden)
    checks, currents = regress.run_golden(golden, args.overrides, args.cases or None, progress)
    print(checks_table(checks))
    failed = [c for c in checks if not c.passed]
    if args.update:
        broken = [c for c in failed if c.quantity == "<run>"]
        if broken:
            for c in broken:
                print(f"error: {c.case} did not run: {c.error}", file=sys.stderr)
            print(f"error: {args.golden} not updated (a golden case failed to run)", file=sys.stderr)
            return EXIT_REGRESSION
        changes = regress.update_golden(golden, currents)
        print(f"updated {args.golden}: {len(changes)} change(s)" + ("" if changes else " (values already current)"))
        for line in changes:
            print(f"  {line}")
        return 0
    n = len(checks)
    if failed:
        names = ", ".join(f"{c.label}" + (f" ({c.error})" if c.error else f" (golden {_g(c.golden)}, current "
                                                                            f"{_g(c.current)})") for c in failed)
        print(f"error: regression: {len(failed)} of {n} quantities outside tolerance: {names}", file=sys.stderr)
        return EXIT_REGRESSION
    print(f"all {n} quantities within tolerance ({args.golden})")
    return 0
