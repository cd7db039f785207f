"""The short process history and tight Newton settings the submodel tests share (no pytest here)."""

from __future__ import annotations

STEPS = ("load.steps=[{name: join_heat, kind: ramp, to: 217 degC, rate: 1 K/s},"
         "{name: join_cool, kind: ramp, to: 150 degC, rate: 1 K/s, births: [bumps]},"
         "{name: mould, kind: hold, duration: 10 s, births: [encapsulant]},"
         "{name: reheat, kind: ramp, to: 230 degC, rate: 1 K/s},"
         "{name: recool, kind: ramp, to: 150 degC, rate: 1 K/s}]")
"""Joining with Anand bumps (cooled to 150 degC only), the encapsulant born in a hold, a reheat that melts the
bumps and a cool-down that solidifies them again: every kind of event a submodel must replay, in seconds."""

TIGHT = ["solver.newton.rtol_residual=1e-10", "solver.newton.rtol_increment=1e-9",
         "solver.newton.correction=computed", "solver.rtol=1e-12"]
"""Newton and linear tolerances at which a submodel equal to the global mesh reproduces it to ~1e-11: what remains
at the defaults is Newton's tolerance, not the method (docs/submodel.md)."""
