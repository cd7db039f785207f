"""Same input, same arithmetic: two fresh runs of one process case do the same solves in the same order.

The choices that change results (refactorize, or go on with CG preconditioned by a kept factorization, and how many
CG iterations that may take) depend on iteration counts only (solve/linear.py, NEARBY_BUDGET), never on measured
times, so the machine's load cannot change them. Expected: identical Newton and linear iteration counts, exactly,
and numbers equal to round-off. Not asserted bitwise: numpy's SIMD reductions may differ in the last bit with memory
alignment (measured 3e-15 relative between two fresh runs, tests/verification/test_process_history.py); 1e-12
leaves room for that and for nothing a different sequence of solves would give (CG stops at 1e-8).
"""

from __future__ import annotations

import pytest
from support.verification import joint_case

from fcpkg_fem import api
from fcpkg_fem.solve import linear


def _numbers(x, path=""):
    """(path, value) of every number of a summary, timing and memory left out."""
    if isinstance(x, dict):
        for k, v in x.items():
            if k not in ("timing_s", "peak_memory_MB", "files") and not k.endswith("_at_mm"):
                yield from _numbers(v, f"{path}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _numbers(v, f"{path}[{i}]")
    elif isinstance(x, float):
        yield path, x


def test_two_fresh_runs_of_a_process_case_do_the_same_arithmetic(monkeypatch):
    runs = []
    for slow in (False, True):
        if slow:  # the second run on a "loaded machine": every factorization takes 50 ms longer
            real = linear._Factor.__init__

            def delayed(self, *a, **k):
                __import__("time").sleep(0.05)
                real(self, *a, **k)

            monkeypatch.setattr(linear._Factor, "__init__", delayed)
        runs.append(api.run(joint_case(20.0), write=False))
    a, b = runs
    assert [n["newton_iterations"] for n in a.newton] == [n["newton_iterations"] for n in b.newton]
    assert a.summary["solver"]["iterations"] == b.summary["solver"]["iterations"]
    assert any(a.summary["solver"]["iterations"]), "no CG on a kept factorization: the test would prove nothing"
    na, nb = dict(_numbers(a.summary)), dict(_numbers(b.summary))
    assert na.keys() == nb.keys()
    for k in na:
        assert nb[k] == pytest.approx(na[k], rel=1e-12, abs=1e-300), k
