"""Builders shared by the tests (cases as dicts, coarse settings, small results); importable because
tests/conftest.py puts tests/ on the path."""
