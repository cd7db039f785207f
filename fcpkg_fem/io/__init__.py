"""Writers: turn a :class:`~fcpkg_fem.result.RunResult` into the files of a run folder (see docs/outputs.md).

Public API::

    write_all(result, out_dir, names=None) -> dict[str, list[Path]]
    register_writer(name, order=50)            # decorator; WRITERS holds the registry
    atomic_write_bytes / atomic_write_text / atomic_path / clean_stale_temps
"""

from fcpkg_fem.io.atomic import atomic_path, atomic_write_bytes, atomic_write_text, clean_stale_temps
from fcpkg_fem.io.writers import WRITERS, Writer, register_writer, summary_json, write_all

# Importing registers the plot and report writers (matplotlib itself is imported only when they run).
from fcpkg_fem.io import plots as _plots  # noqa: E402,F401
from fcpkg_fem.io import report as _report  # noqa: E402,F401

__all__ = [
    "WRITERS",
    "Writer",
    "register_writer",
    "write_all",
    "summary_json",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "clean_stale_temps",
]
