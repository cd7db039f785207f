"""``fcpkg regress`` against tests/regression/golden.yaml (docs/regress.md).

* the current code passes every gated quantity of every golden case (exit 0);
* changing a material value (+1 ppm/K on the EMC's glassy CTE, 11 -> 12 ppm/K) fails (exit 6), naming the
  quantities it moves and only those: the laminate, which has no EMC, still passes;
* ``--update`` restores a tampered value, keeps tolerances and reasons, and says what it changed;
* a golden file without a reason for a tolerance is refused, naming the field.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fcpkg_fem.batch import regress
from fcpkg_fem.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "regression" / "golden.yaml"


def fcpkg(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """The command as a user runs it, in a subprocess."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "fcpkg_fem", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def fcpkg_here(capsys, *args) -> subprocess.CompletedProcess:
    """The same command in this process (no interpreter start-up), with the same result fields."""
    from fcpkg_fem.cli.main import main

    capsys.readouterr()
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


GOLDEN_CASES = [c.name for c in regress.load_golden(GOLDEN).cases]


# one test per golden case, each a group of its own, so that the two workers share the cases (2-3 minutes together)
@pytest.mark.early
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xdist_group(f"golden-{n}")) for n in GOLDEN_CASES])
def test_current_code_passes_the_golden_values(name):
    r = fcpkg("regress", "--golden", GOLDEN, "--case", name, "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    (case,) = [c for c in regress.load_golden(GOLDEN).cases if c.name == name]
    n = len(case.quantities)
    assert f"all {n} quantities within tolerance" in r.stdout
    assert r.stdout.count("PASS") == n and "FAIL" not in r.stdout


def test_a_changed_material_value_fails_naming_the_quantity():
    cte = "materials.emc.cte={glassy: 12 ppm/K, rubbery: 36 ppm/K}"  # library emc: 11 / 36 ppm/K, Tg 128 degC
    r = fcpkg("regress", "--golden", GOLDEN, "--case", "reference", "--case", "laminate_bimetal", "--set", cte, "-q")
    assert r.returncode == 6, r.stdout + r.stderr
    err = r.stderr
    assert err.startswith("error: regression: ") and "quantities outside tolerance" in err
    # measured: +1 ppm/K moves these by 1.8-4.3 % (tolerance 1e-5 relative)
    for q in ("warpage_bottom_extreme_um", "warpage_top_extreme_um", "encapsulant_von_mises_max_MPa",
              "bump_eq_strain_max", "via_eq_strain_max"):
        assert f"reference.{q} (golden " in err, q
        (line,) = [ln for ln in r.stdout.splitlines() if ln.startswith(f"reference.{q} ")]
        assert line.rstrip().endswith("FAIL")
    assert "reference.dofs" not in err  # the mesh did not change
    assert "laminate_bimetal" not in err  # no EMC in the bimetal plate
    lam = [ln for ln in r.stdout.splitlines() if ln.startswith("laminate_bimetal.")]
    assert lam and all(ln.rstrip().endswith("PASS") for ln in lam)


def _copy_golden(tmp_path: Path, only: str) -> Path:
    """The golden file with one case, its case path made absolute (the copy lives elsewhere)."""
    d = yaml.safe_load(GOLDEN.read_text())
    (case,) = [c for c in d["cases"] if c["name"] == only]
    case["case"] = str((GOLDEN.parent / case["case"]).resolve())
    d["cases"] = [case]
    p = tmp_path / "golden.yaml"
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    return p


def test_update_rewrites_values_and_keeps_tolerances(tmp_path, capsys):
    p = _copy_golden(tmp_path, "laminate_bimetal")
    d = yaml.safe_load(p.read_text())
    q = d["cases"][0]["quantities"]
    true_value = q["warpage_top_last_um"]["value"]
    q["warpage_top_last_um"]["value"] = true_value + 1.0
    q["warpage_top_last_um"]["why"] = "edited by hand"
    q["warpage_top_last_um"]["rel"] = 3e-5
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    r = fcpkg_here(capsys, "regress", "--golden", p, "-q")
    assert r.returncode == 6 and "laminate_bimetal.warpage_top_last_um" in r.stderr
    r = fcpkg_here(capsys, "regress", "--golden", p, "--update", "-q")
    assert r.returncode == 0, r.stderr
    assert f"updated {p}: 1 change(s)" in r.stdout
    assert f"laminate_bimetal.warpage_top_last_um: {true_value + 1.0!r} -> {true_value!r}" in r.stdout
    new = yaml.safe_load(p.read_text())["cases"][0]["quantities"]["warpage_top_last_um"]
    assert new == {"value": true_value, "rel": 3e-5, "abs": q["warpage_top_last_um"]["abs"], "why": "edited by hand"}
    assert fcpkg_here(capsys, "regress", "--golden", p, "-q").returncode == 0
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".")]  # atomic write left no temporary


def test_golden_file_problems_name_the_field(tmp_path, capsys):
    p = _copy_golden(tmp_path, "laminate_bimetal")
    d = yaml.safe_load(p.read_text())
    del d["cases"][0]["quantities"]["dofs"]["why"]
    d["cases"][0]["quantities"]["warpage_top_last_um"]["rel"] = -1
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    with pytest.raises(InputError) as exc:
        regress.load_golden(p)
    fields = {pr.field for pr in exc.value.problems}
    assert fields == {f"{p}: cases.0.quantities.dofs.why", f"{p}: cases.0.quantities.warpage_top_last_um.rel"}
    r = fcpkg_here(capsys, "regress", "--golden", p, "-q")
    assert r.returncode == 2 and "quantities.dofs.why: is required" in r.stderr
    r = fcpkg_here(capsys, "regress", "--golden", GOLDEN, "--case", "referenc", "-q")
    assert r.returncode == 2 and "did you mean 'reference'" in r.stderr
