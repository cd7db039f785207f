"""Orchestration: one case end to end (:mod:`~fcpkg_fem.run.pipeline`), the process history driver
(:mod:`~fcpkg_fem.run.history`), what a run records (:mod:`~fcpkg_fem.run.record`), its checkpoints
(:mod:`~fcpkg_fem.run.checkpoint`), the mesh with its cache (:mod:`~fcpkg_fem.run.meshing`), the summary
(:mod:`~fcpkg_fem.run.summary`) and the checks before a run (:mod:`~fcpkg_fem.run.preflight`).

This package sits above the physics, solvers, post-processors and writers and only looks down; the CLI, the batch
runner and :mod:`fcpkg_fem.api` call it.
"""
