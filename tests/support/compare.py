"""Comparing two runs' results."""

from __future__ import annotations

import pytest


def same_results(a, b, path=""):
    """Nested outputs equal: numbers to 1e-12 relative, everything else exactly (tie locations skipped).

    1e-12: two runs that do the same arithmetic differ only by round-off (numpy's reductions may differ in the
    last bit with memory alignment; measured 3e-15 between two fresh runs); a different sequence of solves would
    differ by the solver tolerance (1e-8) or more."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            if not k.endswith("_at_mm"):
                same_results(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            same_results(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-12, abs=1e-12), path
    else:
        assert a == b, path
