"""``fcpkg regress`` gates a process history: tests/regression/golden_process.yaml holds the headline values of the
whole ``reference_reflow`` (joining, cure, moulding, ball attach, three J-STD-020 Pb-free passes; viscoelastic,
Anand and J2 models) at the small mesh of golden.yaml's reference case, 20 K increments, with tolerances whose
reasons are measured (the Newton stopping test's effect 5.7e-7 relative; a +1 ppm/K EMC CTE moves the warpages
2.1-2.8 %). About 5 minutes on the 2-core machine (306 s at load 2), hence slow."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_regress import fcpkg

from fcpkg_fem.batch import regress

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "regression" / "golden_process.yaml"


@pytest.mark.slow
def test_the_process_history_passes_its_golden_values():
    r = fcpkg("regress", "--golden", GOLDEN, "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    n = sum(len(c.quantities) for c in regress.load_golden(GOLDEN).cases)
    assert f"all {n} quantities within tolerance" in r.stdout
