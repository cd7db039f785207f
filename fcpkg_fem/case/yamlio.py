"""Safe YAML reading for case files.

A case file is data, never code. :func:`read_yaml` uses PyYAML's ``SafeLoader`` and is stricter still:

* **no tags at all** (``!!python/object``, ``!!str``, ``!foo``, the bare ``!``): refused before anything is
  constructed, so no code can run and no type can be forced;
* **size limit**: 1 MB of text (:data:`MAX_BYTES`);
* **alias limit**: at most :data:`MAX_ALIASES` alias nodes (``*name``), no recursive aliases, and the document
  expanded through its aliases may hold at most :data:`MAX_NODES` nodes (refuses "billion laughs" bombs);
* **duplicate keys** in one mapping are an error (PyYAML would silently keep the last one);
* the top level must be a mapping.

Every failure raises :class:`~fcpkg_fem.errors.InputError` whose problem ``field`` is the file name (or
``<text>`` for a string) and whose message carries the line and column YAML reports.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, SequenceNode

from fcpkg_fem.errors import InputError

MAX_BYTES = 1_000_000
"""Largest case file accepted, in bytes."""
MAX_ALIASES = 100
"""Most alias nodes (``*name``) accepted in one document."""
MAX_NODES = 200_000
MAX_NUMBER_DIGITS = 40
"""Digits of a written number beyond which it is refused (no quantity needs them; Python refuses to even read an
integer of over 4,300 digits, and one of a few hundred does not fit a float)."""
"""Most nodes the document may expand to once every alias is followed."""

TEXT_FIELD = "<text>"


class _Refused(Exception):
    """Raised inside the loader; turned into an InputError by :func:`read_yaml`."""

    def __init__(self, message: str, mark: Any = None):
        super().__init__(message)
        self.message = message
        self.mark = mark


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


class StrictSafeLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses tags, alias bombs and duplicate keys."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._alias_count = 0

    # --- composition: see every node before anything is constructed -------------------------
    def compose_node(self, parent: Node | None, index: Any) -> Node:  # noqa: D102
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            self._alias_count += 1
            if self._alias_count > MAX_ALIASES:
                raise _Refused(
                    f"more than {MAX_ALIASES} aliases (*name); refused as a possible alias bomb",
                    event.start_mark,
                )
        elif isinstance(event, (ScalarEvent, SequenceStartEvent, MappingStartEvent)) and event.tag is not None:
            raise _Refused(
                f"YAML tags are not allowed (found '{event.tag}'); case files are plain data, "
                "the file was not loaded and no code was run",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    # --- construction: duplicate keys ------------------------------------------------------
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:  # noqa: D102
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise _Refused("a mapping key must be a plain value, not a list or mapping", key_node.start_mark)
            if key in seen:
                raise _Refused(
                    f"duplicate key '{key}' (it was already given at {_where(seen[key])})", key_node.start_mark
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _construct_number(loader: StrictSafeLoader, node: Node) -> Any:
    digits = sum(ch.isdigit() for ch in str(node.value))
    if digits > MAX_NUMBER_DIGITS:
        raise _Refused(f"a number written with {digits} digits; at most {MAX_NUMBER_DIGITS} are accepted",
                       node.start_mark)
    if node.tag.endswith(":int"):
        return yaml.SafeLoader.construct_yaml_int(loader, node)
    return yaml.SafeLoader.construct_yaml_float(loader, node)


StrictSafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_number)
StrictSafeLoader.add_constructor("tag:yaml.org,2002:float", _construct_number)


def _expanded_size(root: Node) -> int:
    """Count the nodes of ``root`` with every alias followed; refuse recursion and oversize."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _Refused("recursive alias (a structure that contains itself) is not allowed", node.start_mark)
        active.add(key)
        n = 1
        if isinstance(node, SequenceNode):
            for child in node.value:
                n += size(child)
                if n > MAX_NODES:
                    break
        elif isinstance(node, MappingNode):
            for k, v in node.value:
                n += size(k) + size(v)
                if n > MAX_NODES:
                    break
        active.discard(key)
        if n > MAX_NODES:
            raise _Refused(
                f"the document expands to more than {MAX_NODES} values through its aliases; "
                "refused as a possible alias bomb",
                node.start_mark,
            )
        sizes[key] = n
        return n

    size(root)
    return sizes[id(root)]


def _source_text(source: str | os.PathLike) -> tuple[str, str]:
    """Return (text, field label) for a path or a YAML string."""
    is_path = isinstance(source, os.PathLike) or (
        isinstance(source, str)
        and "\n" not in source
        and (source.endswith((".yaml", ".yml", ".json")) or os.path.isfile(source))
    )
    if not is_path:
        text = str(source)
        if len(text.encode("utf-8")) > MAX_BYTES:
            raise InputError.single(TEXT_FIELD, f"the YAML text is larger than the {MAX_BYTES} byte limit")
        return text, TEXT_FIELD
    path = Path(source)
    label = str(source)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError.single(label, f"cannot read the case file: {exc.strerror or exc}") from None
    if not path.is_file():
        raise InputError.single(label, "is not a file")
    if size > MAX_BYTES:
        raise InputError.single(label, f"the file is {size} bytes; the limit is {MAX_BYTES} bytes")
    try:
        return path.read_text(encoding="utf-8"), label
    except UnicodeDecodeError as exc:
        raise InputError.single(label, f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError.single(label, f"cannot read the case file: {exc.strerror or exc}") from None


def parse_yaml_value(text: str, field: str) -> Any:
    """Parse one YAML value (scalar or flow collection) with the same safety rules; used by overrides."""
    try:
        return _load(text)
    except _Refused as exc:
        raise InputError.single(field, exc.message) from None
    except yaml.YAMLError as exc:
        raise InputError.single(field, f"cannot parse {text!r} as a YAML value: {_yaml_message(exc)}") from None


def _yaml_message(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [p for p in (exc.context, exc.problem) if p]
        mark = exc.problem_mark or exc.context_mark
        where = f" at {_where(mark)}" if mark is not None else ""
        return "; ".join(parts) + where if parts else f"invalid YAML{where}"
    return str(exc)


def _load(text: str) -> Any:
    loader = StrictSafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(source: str | os.PathLike) -> dict:
    """Read a case file (path) or YAML text into a plain dict, refusing anything but plain data.

    Args:
        source: a path (``Path`` or a string naming an existing file or ending in ``.yaml``/``.yml``)
            or the YAML text itself.

    Returns:
        The top-level mapping, with str/int/float/bool/None/list/dict values only.

    Raises:
        InputError: on unreadable or oversized input, any tag, alias bombs, duplicate keys, a syntax
            error (with line and column) or a top level that is not a mapping. ``field`` is the file name.
    """
    text, label = _source_text(source)
    try:
        data = _load(text)
    except _Refused as exc:
        where = f" ({_where(exc.mark)})" if exc.mark is not None else ""
        raise InputError.single(label, exc.message + where) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: says where by line, not offset
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character or 0)
        raise InputError.single(label, f"the character U+{ord(char):04X} is not allowed in a case file (line "
                                       f"{line}, column {column}); remove it") from None
    except yaml.YAMLError as exc:
        raise InputError.single(label, f"not valid YAML: {_yaml_message(exc)}") from None
    except RecursionError:
        raise InputError.single(label, "the YAML is nested too deeply") from None
    if data is None:
        raise InputError.single(label, "the case is empty; expected a mapping of sections (schema_version, name, ...)")
    if not isinstance(data, dict):
        raise InputError.single(
            label,
            f"the top level must be a mapping of sections (schema_version, name, ...), got a {_kind(data)}",
        )
    return data


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__
