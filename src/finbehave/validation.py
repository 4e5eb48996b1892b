"""One-line messages for pydantic ``ValidationError`` in user files (tasks.yaml, rubrics, recipes).

Every loader reports the first error only, as ``<where>: <what>; <fix>``: the field's path, the
problem in pydantic's words, and, when the caller passes the validated model, how to fix it — for
an unknown key, the keys allowed at that place (fields excluded from dumps are internal).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

Location = tuple[int | str, ...]


def location(loc: Location) -> str:
    """``field a.b.0`` for a field's path, ``top level`` for the document itself."""
    return f"field {'.'.join(str(part) for part in loc)}" if loc else "top level"


def one_line(
    exc: ValidationError,
    model: type[BaseModel] | None = None,
    where: Callable[[Location], str] = location,
    otherwise: str | None = None,
) -> str:
    """The first error of ``exc`` as one line.

    ``model`` (the model that was validated) adds a fix: the allowed keys for an unknown key,
    "add it" for a missing one, and ``otherwise`` for any other error except our validators'
    own messages, which say what to change. ``where`` names the place (default: ``location``).
    """
    error = exc.errors()[0]
    loc = tuple(error["loc"])
    message = " ".join(str(error["msg"]).removeprefix("Value error, ").split())
    line = f"{where(loc)}: {message}"
    if model is None or error["type"] == "value_error":
        return line
    if error["type"] == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        names = [name for name, f in parent.model_fields.items() if not f.exclude] if parent else []
        allowed = f" (allowed: {', '.join(names)})" if names else ""
        return f"{line}; remove it or fix its spelling{allowed}"
    if error["type"] == "missing":
        return f"{line}; add it"
    return f"{line}; {otherwise}" if otherwise else line


def _model_at(model: type[BaseModel], loc: Location) -> type[BaseModel] | None:
    """The model validating the value at ``loc`` (None where no single model does)."""
    target: Any = model
    for part in loc:
        target = _unwrap(target)
        if isinstance(target, type) and issubclass(target, BaseModel):
            field = target.model_fields.get(str(part))
            if field is None:
                return None
            target = field.annotation
        elif get_origin(target) in (list, tuple, set, frozenset, Sequence) and get_args(target):
            target = get_args(target)[0]
        elif get_origin(target) in (dict, Mapping) and len(get_args(target)) == 2:
            target = get_args(target)[1]
        else:
            return None
    target = _unwrap(target)
    return target if isinstance(target, type) and issubclass(target, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """``X`` for ``X | None``; other unions stay as they are."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation
