"""Small valid cases for the robustness tests (raw dicts, as read from YAML), and helpers shared by them."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import yaml

from fcpkg_fem.case.yamlio import read_yaml

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "cases"


def shipped(name: str) -> dict:
    """The raw dict of ``cases/<name>.yaml``."""
    return read_yaml(CASES / f"{name}.yaml")


def mini_package() -> dict:
    """The reference package shrunk to 4 x 4 mm carriers with one row of bumps, vias and balls, one temperature
    and a coarse mesh: every part and region of the reference, ~5,600 hex8i elements, a run of a few seconds."""
    raw = shipped("reference")
    p = raw["package"]
    for side in ("bottom", "top"):
        p["carriers"][side]["size"] = ["4 mm", "4 mm"]
        p["carriers"][side]["chips"][0]["bumps"].update(pitch="400 um", rows=1, edge_offset="200 um")
    p["carriers"]["bottom"]["chips"][0]["size"] = ["2.4 mm", "2.4 mm"]
    p["carriers"]["top"]["chips"][0]["size"] = ["2 mm", "2 mm"]
    p["interconnect"].update(pitch="800 um", rows=1, edge_offset="400 um")
    p["top_balls"].update(pitch="800 um", rows=1, edge_offset="400 um")
    raw["name"] = "mini"
    raw["load"]["temperatures"] = ["125 degC"]
    raw["mesh"].update(size="1 mm", feature_size="300 um")
    return raw


def laminate() -> dict:
    """The bimetal plate at 1 mm (a run well under a second)."""
    raw = shipped("laminate_bimetal")
    raw["mesh"]["size"] = "1 mm"
    return raw


def write_case(raw: dict, path: Path) -> Path:
    """Write a raw case dict as YAML."""
    path.write_text(yaml.safe_dump(copy.deepcopy(raw), sort_keys=False), encoding="utf-8")
    return path


def fcpkg(*args, cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m fcpkg_fem *args`` in ``cwd`` (text output captured)."""
    full = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env or {})}
    return subprocess.run([sys.executable, "-m", "fcpkg_fem", *map(str, args)], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=timeout)


def tree(folder: Path) -> list[str]:
    """Every path under ``folder`` (relative, sorted), to show that nothing was created."""
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


def micro_package() -> dict:
    """A stacked package reduced to its minimum: 3 x 3 mm carriers, one die on each with four explicit bumps,
    no interconnect, no balls; a run takes about a second."""
    raw = mini_package()
    p = raw["package"]
    for side, die in (("bottom", "1.6 mm"), ("top", "1.4 mm")):
        p["carriers"][side]["size"] = ["3 mm", "3 mm"]
        chip = p["carriers"][side]["chips"][0]
        chip["size"] = [die, die]
        chip["bumps"] = {"material": "sac305", "diameter": "80 um", "standoff": "60 um", "pattern": "explicit",
                         "positions": [[x, y] for x in ("-0.5 mm", "0.5 mm") for y in ("-0.5 mm", "0.5 mm")]}
    p["interconnect"] = {"kind": "none"}
    del p["top_balls"]
    raw["name"] = "micro"
    return raw
