"""Turn pydantic's validation errors into located, helpful problems.

Pydantic reports a location such as ('questions', 2, 'single_choice', 'options'); the middle 'single_choice' is
the union member it tried, not a key the author wrote. We walk the author's data alongside, so only written keys
and indexes reach the message, and we look up the model class at that spot to suggest the nearest valid key.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, TypeVar, Union

from pydantic import BaseModel, ValidationError

from studygen.content.yamlsource import FieldPath, SourceMap, format_field_path
from studygen.errors import Problem

M = TypeVar("M", bound=BaseModel)


def validate_as(model: type[M], data: Any, source: SourceMap) -> tuple[M | None, list[Problem]]:
    """Validate data against a model; return the object or every problem found in it."""
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        return None, [_to_problem(model, data, item, source) for item in error.errors(include_url=False)]


def _to_problem(model: type[BaseModel], data: Any, item: Any, source: SourceMap) -> Problem:
    written, _ = _written_path(model, data, tuple(item["loc"]))
    kind = item["type"]
    message = item["msg"].removeprefix("Value error, ")
    hint = ""
    if kind == "extra_forbidden":
        key = str(written[-1])
        parent = _written_path(model, data, tuple(item["loc"])[:-1])[1]
        allowed = sorted(parent.model_fields) if parent else []
        message = f"unknown key '{key}'"
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
    elif kind == "missing":
        message = f"required field '{item['loc'][-1]}' is missing"
        written = (*written, item["loc"][-1])
    elif kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        message = f"{item['input']!r} is not allowed"
        hint = f"use one of {expected}"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        expected = item.get("ctx", {}).get("expected_tags", "")
        message = "unknown or missing `type`"
        hint = f"use one of {expected}"
    elif kind == "string_pattern_mismatch" and _is_slug_error(item):
        hint = "use lower-case letters, digits and single hyphens, e.g. 'residual-networks'"
    line, column = source.locate(written)
    if kind == "missing":
        line, column = source.locate(written[:-1])
    return Problem(source.path, line, column, format_field_path(written), message, hint)


def _is_slug_error(item: Any) -> bool:
    return "a-z0-9" in str(item.get("ctx", {}).get("pattern", ""))


def _written_path(model: type[BaseModel], data: Any, loc: FieldPath) -> tuple[FieldPath, type[BaseModel] | None]:
    """Keep the parts of loc that exist in the author's data; track the model class along the way."""
    written: list[str | int] = []
    current = data
    annotation: Any = model
    model_at: type[BaseModel] | None = model
    for part in loc:
        if isinstance(current, dict) and part in current:
            written.append(part)
            current = current[part]
            annotation = _field_annotation(model_at, str(part))
            model_at = _first_model(annotation, current)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            written.append(part)
            current = current[part]
            model_at = _first_model(_item_annotation(annotation), current)
        elif isinstance(current, dict) and not (model_at and str(part) in model_at.model_fields):
            continue  # a union tag such as 'single_choice': not something the author wrote
        else:
            break  # a missing field: the caller appends it
    return tuple(written), model_at


def _field_annotation(model: type[BaseModel] | None, name: str) -> Any:
    if model is None or name not in model.model_fields:
        return None
    return model.model_fields[name].annotation


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete classes an annotation may hold (through Annotated, Optional and unions)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [inner for arg in typing.get_args(annotation) for inner in _unwrap(arg)]
    return [annotation]


def _item_annotation(annotation: Any) -> Any:
    for candidate in _unwrap(annotation):
        if typing.get_origin(candidate) is list:
            return typing.get_args(candidate)[0]
    return None


def _first_model(annotation: Any, value: Any) -> type[BaseModel] | None:
    """The model class for a value: for a tagged union, the member whose `type` matches the value's."""
    models = [c for c in _unwrap(annotation) if isinstance(c, type) and issubclass(c, BaseModel)]
    if len(models) > 1 and isinstance(value, dict):
        wanted = value.get("type", "basic")
        for candidate in models:
            field = candidate.model_fields.get("type")
            if field is not None and wanted in typing.get_args(field.annotation):
                return candidate
    return models[0] if models else None
