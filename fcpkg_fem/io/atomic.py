"""Atomic file writes: a reader (or a run killed at any moment, even by SIGKILL) sees either the old complete file
or the new complete file, never a partial one.

Every write goes to a temporary file in the same folder (same file system, so the final ``os.replace`` is atomic),
is flushed and fsync'd, then renamed onto the target; the folder is fsync'd after the rename so the new name
survives a power cut. Temporary names are recognisable, ``.<name>.tmp-<pid>-<random><suffix>`` (the suffix is kept
so that writers choosing a format by extension, meshio and matplotlib, still work), and
:func:`clean_stale_temps` removes the ones a killed run left behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from pathlib import Path
from typing import Iterator

from fcpkg_fem.errors import StorageError

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_path",
    "clean_stale_temps",
    "fsync_dir",
    "is_temp_name",
    "temp_name",
]

# .<target name>.tmp-<pid>-<8 hex digits><suffix of target>
_TEMP_RE = re.compile(r"^\.(?P<target>.+)\.tmp-(?P<pid>\d+)-(?P<rand>[0-9a-f]{8})(?P<suffix>\.[^.]*)?$")


def temp_name(path: str | os.PathLike) -> Path:
    """Return a fresh temporary path beside ``path``: ``.<name>.tmp-<pid>-<random><suffix>``."""
    path = Path(path)
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}{path.suffix}")


def is_temp_name(name: str) -> bool:
    """True if ``name`` (a file name, not a path) looks like a temporary file made by this module."""
    return _TEMP_RE.match(name) is not None


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make the entries of ``folder`` (a rename into it) durable, where the platform allows opening a folder."""
    # not every platform or file system allows opening a folder; the rename itself is atomic all the same
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _create_exclusive(tmp: Path) -> int:
    # 0o666 & ~umask: the final file gets ordinary permissions (mkstemp would give 0600).
    return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success of the block, fsync it and rename it onto ``path``.

    For writers that insist on a file name (``meshio.write``, ``Figure.savefig``). The temporary file exists
    (empty) when the block starts and may be overwritten freely. If the block raises, the temporary file is
    removed and ``path`` keeps its previous content (or stays absent); an ``OSError`` (a full disk, a read-only
    folder) is raised as :class:`~fcpkg_fem.errors.StorageError` naming ``path``.

    Example:
        >>> with atomic_path(out / "fields_0.vtu") as tmp:   # doctest: +SKIP
        ...     meshio.write(tmp, mesh)
    """
    path = Path(path)
    while True:
        tmp = temp_name(path)
        try:
            os.close(_create_exclusive(tmp))
            break
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
        except OSError as err:
            raise StorageError.of(err, path) from err
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):  # a full disk or a read-only folder: say which file could not be written
            raise StorageError.of(err, path) from err
        raise
    fsync_dir(path.parent)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename). Returns ``Path(path)``."""
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return path


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, encoded with ``encoding`` (UTF-8), newlines as given (no translation)."""
    return atomic_write_bytes(path, text.encode(encoding))


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:  # pragma: no cover - e.g. platforms without signal 0
        return True
    return True


def clean_stale_temps(folder: str | os.PathLike, max_age_s: float = 24 * 3600.0) -> list[Path]:
    """Remove temporary files left in ``folder`` by killed writers; return the removed paths.

    A temporary file is stale when the process that made it no longer exists, or when it is older than
    ``max_age_s`` (guards against a recycled process id). Temporary files of live writers are left alone.
    Only names matching this module's pattern are touched; missing folders are fine.
    """
    folder = Path(folder)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return removed
    now = time.time()
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if m is None or not entry.is_file(follow_symlinks=False):
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:
            continue
        if not _pid_alive(int(m["pid"])) or age > max_age_s:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed
