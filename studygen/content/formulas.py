"""Check every formula of the course before rendering, so a bad one is reported with its file and line."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from studygen.content.graph import CourseGraph
from studygen.content.yamlsource import FieldPath
from studygen.errors import Problem
from studygen.render.markup import MarkupError, check_formula, find_formulas

if TYPE_CHECKING:
    from studygen.content.parse_cache import ParseCache


def formula_problems(graph: CourseGraph, cache: ParseCache | None = None) -> list[Problem]:
    """Every formula of every topic that does not render. `cache`: a topic file whose formulas all rendered in an
    earlier build, checked by the same code, is not gone through again (going through every field of every topic
    was ~0.5 s of each build of 1,000 topics, even with each formula's check kept in the markup cache)."""
    problems: list[Problem] = []
    salt = _checking_code() if cache is not None else b""
    for topic in graph.topics:
        source = graph.sources[topic.id]
        key = hashlib.blake2b(salt + source.content_key, digest_size=16).digest() if source.content_key else None
        if cache is not None and key is not None and cache.passed_formulas(key):
            continue
        found = []
        for field_path, text in _strings(topic, ()):
            for latex, display in find_formulas(text):
                try:
                    check_formula(latex, display)
                except MarkupError as error:
                    found.append(source.problem(field_path, str(error), "check the LaTeX"))
        if cache is not None and key is not None and not found:
            cache.formulas_pass(key)
        problems += found
    return problems


def _checking_code() -> bytes:
    """Our code (which fields are read, how formulas are found and rendered) and the libraries that render."""
    from studygen.render.output_cache import code_digest

    return code_digest().encode() + b"\0"


def _strings(value: Any, here: FieldPath) -> list[tuple[FieldPath, str]]:
    if isinstance(value, str):
        return [(here, value)] if "$" in value else []
    if isinstance(value, BaseModel):
        return [found for key in type(value).model_fields for found in _strings(getattr(value, key), (*here, key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _strings(item, (*here, index))]
    return []
