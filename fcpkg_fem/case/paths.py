"""Paths a case names: judged from their text, and confined to the folder they must stay in.

* :func:`path_problem`: what is wrong with a relative path from its text alone (no I/O);
* :func:`confine`: resolve a path under a base folder and refuse one that leaves it (``..`` or a symlink).

Every refusal is an :class:`~fcpkg_fem.errors.InputError` naming the field.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

from fcpkg_fem.errors import InputError


def path_problem(path: Any) -> str | None:
    """What is wrong with ``path`` as a relative path inside a folder, judged from its text alone (no I/O).

    Returns None when the text is acceptable: a non-empty relative path whose ``..`` never climbs above
    its starting folder. Symlinks are :func:`confine`'s business (they need the file system).
    """
    if not isinstance(path, str):
        return f"expected a folder path (text), got {path!r}"
    if not path.strip():
        return "is empty; give a folder relative to the current directory, or leave it out"
    if "\x00" in path:
        return "contains a NUL character"
    if len(path) > 1024:
        return f"is {len(path)} characters long; at most 1024 are allowed"
    if path.startswith("~"):
        return (f"'{path}' starts with '~' (a home folder is not expanded here, and writing there is outside "
                "the run's folder); give a path relative to the current directory")
    if os.path.isabs(path) or path.startswith("\\") or (len(path) > 1 and path[1] == ":"):
        return (f"'{path}' is an absolute path; a case may only write inside the folder the run is launched "
                "from: give a relative path (or choose any folder with --out on the command line)")
    depth = 0
    for part in PurePosixPath(path.replace("\\", "/")).parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return (f"'{path}' climbs out of the folder the run is launched from with '..'; give a path "
                        "inside it (or choose any folder with --out on the command line)")
        elif part not in (".", ""):
            depth += 1
    return None


def outside(path: Path, allowed: list[Path]) -> str | None:
    """Why ``path`` (absolute) is not inside one of the ``allowed`` folders once every symbolic link is resolved;
    None when it is. For data files a case names: they must lie in the case file's folder (or one given with
    ``--data-dir``), so a case from elsewhere cannot read, nor quote in a message, any file of the machine."""
    target = path.resolve()
    for base in allowed:
        b = base.resolve()
        if target == b or b in target.parents:
            return None
    where = ", ".join(str(b.resolve()) for b in allowed)
    return (f"leads outside the case file's folder ({where}): a data file must lie there; copy it there, or name "
            "its folder with --data-dir on the command line")


def confine(path: str | os.PathLike, base: str | os.PathLike, field: str) -> Path:
    """Resolve ``path`` relative to ``base`` and make sure it stays inside ``base``.

    Refused: absolute paths, ``..`` climbing above ``base``, and paths that leave ``base`` through a symlink
    (any existing component is resolved, so a symlinked folder pointing elsewhere is caught before anything
    is created in it). Nothing is created or modified here.

    Args:
        path: the path as given in the case (text).
        base: the folder it must stay in (e.g. the current directory, or a case file's folder).
        field: dotted case field named in the error, e.g. ``output.dir``.

    Returns:
        The resolved absolute path (inside ``base``).

    Raises:
        InputError: naming ``field``, what was given and what is allowed.
    """
    text = os.fspath(path)
    msg = path_problem(text)
    if msg is not None:
        raise InputError.single(field, msg)
    base_real = Path(base).resolve()
    target = (base_real / text).resolve()  # follows every symlink among the existing components
    if target != base_real and base_real not in target.parents:
        raise InputError.single(
            field, f"'{text}' leads outside {base_real} through a symbolic link (it resolves to {target}); "
                   "give a folder inside it (or choose any folder with --out on the command line)")
    return target
