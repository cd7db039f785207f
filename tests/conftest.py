"""Shared by every test: ``tests/`` is on the import path (pytest puts a rootdir conftest's folder there), so the
builders in :mod:`support` (cases as dicts, the coarse settings, a small hand-made result) are imported as
``from support.verification import laminate_case`` instead of tests importing each other by bare module name."""
