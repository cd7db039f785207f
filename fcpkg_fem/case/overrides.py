"""Overrides: ``dotted.path=value`` changes applied to a raw case before it is validated.

A path names a field of the case schema (checked against it, with a 'did you mean'); the value is read as YAML.
Overrides are applied to the raw data, so the validated :class:`~fcpkg_fem.case.schema.Case` is never changed
after it is made.
"""

from __future__ import annotations

import copy
import re
import typing
from typing import Any, Iterable

from pydantic import BaseModel

from fcpkg_fem.case.messages import join, type_at, unwrap
from fcpkg_fem.case.yamlio import parse_yaml_value
from fcpkg_fem.errors import InputError, Problem, closest

__all__ = ["apply_overrides"]


def apply_overrides(raw: dict, overrides: Iterable[str]) -> dict:
    """Apply ``dotted.path=value`` overrides to a raw case dict (a copy is returned).

    The value is read as a YAML scalar or flow collection (``mesh.size=0.3 mm``, ``package.carriers.bottom.size=[10, 10]``,
    ``output.vtu=false``). List items are addressed by index (``...layers.1.thickness=200 um``). A path must name
    a field of the case schema (keys under ``materials`` and the ``stress_free_by_*`` / ``layer_elements``
    mappings are free). Keys containing dots (region names) are matched against existing keys first.

    Raises:
        InputError: every bad override, field = the override's path.
    """
    data = copy.deepcopy(raw)
    problems: list[Problem] = []
    for text in overrides:
        if "=" not in str(text):
            problems.append(Problem(str(text), "an override must look like dotted.path=value"))
            continue
        path_text, value_text = str(text).split("=", 1)
        path_text = path_text.strip()
        try:
            value = parse_yaml_value(value_text.strip(), path_text)
            _set_path(data, path_text, value)
        except InputError as err:
            problems.extend(err.problems)
    if problems:
        raise InputError(problems)
    return data


def _set_path(data: dict, path_text: str, value: Any) -> None:
    segs = [s for s in path_text.split(".")]
    if not path_text or any(not s for s in segs):
        raise InputError.single(path_text, "is not a dotted path (e.g. mesh.size)")
    node: Any = data
    done: list[Any] = []
    i = 0
    while i < len(segs):
        tp = type_at(done)
        free = tp is Any or typing.get_origin(tp) is dict
        seg: Any = segs[i]
        if free and isinstance(node, dict):
            # free keys may contain dots (region names): prefer the longest existing key
            for j in range(len(segs), i, -1):
                cand = ".".join(segs[i:j])
                if cand in node:
                    seg, i = cand, j - 1
                    break
            else:
                if typing.get_origin(tp) is dict and not _is_container(typing.get_args(tp)[1]):
                    seg, i = ".".join(segs[i:]), len(segs) - 1
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            if seg not in tp.model_fields:
                hint = closest(seg, tp.model_fields)
                m = re.fullmatch(r"(\w+)\[(\d+)\]", seg)  # chips[0]: list items are addressed as chips.0
                if m and m.group(1) in tp.model_fields:
                    hint = ".".join([m.group(1), m.group(2)] + segs[i + 1:])
                where = join(done) or "the top level"
                raise InputError.single(
                    path_text,
                    f"unknown override path: '{seg}' is not a field of {where}"
                    + (f"; did you mean '{hint}'?" if hint else "")
                    + f" (fields: {', '.join(tp.model_fields)})",
                )
        elif typing.get_origin(tp) in (list, tuple):
            if not isinstance(node, list):
                raise InputError.single(path_text, f"'{join(done)}' is not a list in this case")
            try:
                seg = int(seg)
            except ValueError:
                raise InputError.single(path_text, f"'{segs[i]}' is not a list index of '{join(done)}'") from None
            if not -len(node) <= seg < len(node):
                raise InputError.single(
                    path_text, f"index {seg} is out of range: '{join(done)}' has {len(node)} item(s)"
                )
        else:
            raise InputError.single(path_text, f"unknown override path: '{join(done)}' has no field '{seg}'")
        last = i == len(segs) - 1
        if last:
            if isinstance(node, dict) or isinstance(node, list):
                node[seg] = value
            else:
                raise InputError.single(path_text, f"'{join(done)}' is not a mapping in this case")
            return
        if isinstance(node, dict):
            if node.get(seg) is None:
                node[seg] = {}
            node = node[seg]
        elif isinstance(node, list):
            node = node[seg]
        else:
            raise InputError.single(path_text, f"'{join(done)}' is not a mapping in this case")
        done.append(seg)
        i += 1


def _is_container(tp: Any) -> bool:
    tp = unwrap(tp)
    return tp is Any or (isinstance(tp, type) and issubclass(tp, BaseModel)) or typing.get_origin(tp) in (
        list, tuple, dict)
