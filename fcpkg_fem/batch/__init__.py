"""Batch runs and parameter sweeps, on a local process pool or a Dask distributed cluster (docs/batch.md).

    >>> from fcpkg_fem.batch import run_batch                             # doctest: +SKIP
    >>> res = run_batch("cases/sweep_adhesive_emc.yaml", "runs/sweep", workers=2)
    >>> res.rows[0]["warpage_bottom_extreme_um"]

* :mod:`~fcpkg_fem.batch.sweep`: sweep files (base case, fixed overrides, axes; full factorial, zip, Latin
  hypercube) expanded into validated variants with stable folder names;
* :mod:`~fcpkg_fem.batch.runner`: :func:`run_batch`, the per-case worker :func:`run_case`, resume;
* :mod:`~fcpkg_fem.batch.table`: the headline numbers of a run and ``results.csv`` / ``results.parquet``.
"""

from .runner import BatchResult, expand, finished, run_batch, run_case
from .sweep import DESIGNS, Axis, Sweep, Variant, load_sweep, variants_of
from .table import HEADLINE_COLUMNS, RUN_COLUMNS, headline, read_table

__all__ = ["DESIGNS", "HEADLINE_COLUMNS", "RUN_COLUMNS", "Axis", "BatchResult", "Sweep", "Variant", "expand",
           "finished", "headline", "load_sweep", "read_table", "run_batch", "run_case", "variants_of"]
