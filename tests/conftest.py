"""Shared by every test: ``tests/`` is on the import path (pytest puts a rootdir conftest's folder there), so the
builders in :mod:`support` (cases as dicts, the coarse settings, a small hand-made result) are imported as
``from support.verification import laminate_case`` instead of tests importing each other by bare module name."""

import os

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # the suite runs on as many workers as cores (pyproject addopts): a BLAS or PARDISO thread pool per worker would
    # oversubscribe them. Results do not depend on it (PARDISO runs in its reproducible mode, solve/linear.py).
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_var, "1")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups into the node ids
def pytest_collection_modifyitems(config, items):
    """Keep each file's tests on one worker (their module fixtures are built once) unless a test names its own
    ``xdist_group``, and start the checks marked ``early`` first, so that the longest ones do not end the run alone
    on one worker."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
    items.sort(key=lambda item: item.get_closest_marker("early") is None)  # stable: the order within each part stays
