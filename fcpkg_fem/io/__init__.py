"""Writers: turn a :class:`~fcpkg_fem.post.result.RunResult` into the files of a run folder (docs/outputs.md).

Public API::

    write_all(result, out_dir, names=None) -> dict[str, list[Path]]
    register_writer(name, order=50)            # decorator; WRITERS holds the registry
    atomic_write_bytes / atomic_write_text / atomic_path / clean_stale_temps
"""

from fcpkg_fem.io.atomic import atomic_path, atomic_write_bytes, atomic_write_text, clean_stale_temps
from fcpkg_fem.io.output import write_all
from fcpkg_fem.io.registry import WRITERS, Writer, register_writer
from fcpkg_fem.io.writers import summary_json

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
