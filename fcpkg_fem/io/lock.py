"""One writer per run folder: ``<run folder>/.fcpkg.lock``, locked while a run writes there.

The lock is a POSIX record lock (``fcntl.lockf``, which works on network file systems too) held on the file for the
whole run; the operating system releases it when the process ends, however it ends (``kill -9`` included), so a
lock is never stale. The file holds ``host:pid`` of the owner, for the message a second writer gets.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from pathlib import Path
from typing import Iterator

from fcpkg_fem.errors import FolderBusy, StorageError

LOCK_NAME = ".fcpkg.lock"


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike, field: str = "--out") -> Iterator[Path]:
    """Hold the lock of ``folder`` (which must exist) for the duration of the block.

    Raises:
        FolderBusy: another process holds it (an input error naming ``field``, the folder and the owner).
        StorageError: the lock file cannot be made (read-only folder, full disk).
    """
    path = Path(folder) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as err:
        raise StorageError.of(err, path) from err
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise FolderBusy.single(field, f"{folder} is being written by another fcpkg run ({owner}); wait for "
                                           "it to end, or choose another folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{socket.gethostname()}:{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock
