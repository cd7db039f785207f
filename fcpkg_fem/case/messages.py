"""Pydantic's validation errors in our words: :func:`translate` turns each into Problems naming the dotted field
path, what was given and what is allowed (with a 'did you mean' where a name was misspelt).

Our own field types and validators raise errors of type ``fcpkg`` that carry their messages
(:func:`fcpkg_fem.case.fields.fail`); the others (unknown or missing keys, literals, wrong container types,
bounds) are worded here from the error type and the schema (:func:`type_at`), so pydantic's own text never reaches
users.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Iterable, Literal, Sequence, Union

from pydantic import BaseModel

from fcpkg_fem.case.fields import describe, fmt
from fcpkg_fem.case.schema import Case
from fcpkg_fem.errors import Problem, closest

__all__ = ["UNKNOWN", "join", "translate", "type_at", "unwrap"]


def unwrap(tp: Any) -> Any:
    """The type inside ``Annotated[...]`` and ``X | None``; ``Any`` for a union of several types."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return unwrap(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return unwrap(args[0]) if len(args) == 1 else Any
    return tp


UNKNOWN = object()


def type_at(path: Sequence[Any]) -> Any:
    """The (unwrapped) type of the case field at ``path``; ``Any`` below free-form data; UNKNOWN if no such field."""
    tp: Any = Case
    for seg in path:
        tp = unwrap(tp)
        if tp is Any:
            return Any
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if seg not in tp.model_fields:
                return UNKNOWN
            tp = tp.model_fields[seg].annotation
        elif typing.get_origin(tp) in (list, tuple):
            try:
                int(seg)
            except (TypeError, ValueError):
                return UNKNOWN
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            return UNKNOWN
    return unwrap(tp)


def join(path: Iterable[Any]) -> str:
    """A location as a dotted field path (``load.steps.0.kind``)."""
    return ".".join(str(p) for p in path)


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def translate(err: dict) -> list[Problem]:
    """One error of ``ValidationError.errors()`` as Problems (several for one of our multi-problem errors)."""
    loc = tuple(err["loc"])
    path = join(loc)
    typ = err["type"]
    given = err.get("input")
    ctx = err.get("ctx") or {}
    if typ == "fcpkg":
        out = []
        for sub, msg in ctx.get("problems", [(".", ctx.get("msg", ""))]):
            field = path if sub == "." else join([*loc, sub])
            out.append(Problem(field, msg))
        return out
    if typ == "extra_forbidden":
        parent = type_at(loc[:-1])
        key = loc[-1]
        if isinstance(parent, type) and issubclass(parent, BaseModel):
            allowed = _allowed_keys(parent)
            hint = closest(str(key), allowed)
            msg = f"unknown key '{key}'" + (f"; did you mean '{hint}'?" if hint else "")
            return [Problem(path, f"{msg} (allowed: {', '.join(allowed)})")]
        return [Problem(path, f"unknown key '{key}'")]
    if typ == "missing":
        return [Problem(path, "is required but missing")]
    if typ == "literal_error":
        tp = type_at(loc)
        allowed = [a for a in typing.get_args(tp)] if typing.get_origin(tp) is Literal else []
        shown = ", ".join(fmt(a) for a in allowed)
        hint = closest(str(given), [str(a) for a in allowed]) if isinstance(given, str) else None
        msg = f"{describe(given)} is not allowed; allowed: {shown}"
        if hint:
            msg += f"; did you mean '{hint}'?"
        if loc == ("schema_version",):
            msg = f"schema version {describe(given)} is not supported; this version of fcpkg-fem reads 1"
        return [Problem(path, msg)]
    if typ in ("model_type", "dict_type", "model_attributes_type"):
        return [Problem(path, f"expected a mapping (key: value), got {describe(given)}")]
    if typ in ("list_type", "tuple_type"):
        return [Problem(path, f"expected a list, got {describe(given)}")]
    if typ == "too_short":
        return [Problem(path, f"needs at least {ctx.get('min_length', 1)} item(s), got {len(given or [])}")]
    if typ in ("int_type", "int_parsing", "int_from_float"):
        return [Problem(path, f"expected a whole number, got {describe(given)}")]
    if typ == "greater_than_equal":
        return [Problem(path, f"must be at least {ctx.get('ge')}, got {describe(given)}")]
    if typ == "greater_than":
        return [Problem(path, f"must be greater than {ctx.get('gt')}, got {describe(given)}")]
    if typ in ("bool_type", "bool_parsing"):
        return [Problem(path, f"expected true or false, got {describe(given)}")]
    if typ in ("string_type",):
        return [Problem(path, f"expected text, got {describe(given)}")]
    return [Problem(path, f"invalid value {describe(given)}")]
