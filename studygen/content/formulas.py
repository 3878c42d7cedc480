"""Check every formula of the course before rendering, so a bad one is reported with its file and line."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from studygen.content.graph import CourseGraph
from studygen.content.yamlsource import FieldPath
from studygen.errors import Problem
from studygen.render.markup import MarkupError, check_formula, find_formulas


def formula_problems(graph: CourseGraph) -> list[Problem]:
    problems: list[Problem] = []
    for topic in graph.topics:
        source = graph.sources[topic.id]
        for field_path, text in _strings(topic, ()):
            for latex, display in find_formulas(text):
                try:
                    check_formula(latex, display)
                except MarkupError as error:
                    problems.append(source.problem(field_path, str(error), "check the LaTeX"))
    return problems


def _strings(value: Any, here: FieldPath) -> list[tuple[FieldPath, str]]:
    if isinstance(value, str):
        return [(here, value)] if "$" in value else []
    if isinstance(value, BaseModel):
        return [found for key in type(value).model_fields for found in _strings(getattr(value, key), (*here, key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _strings(item, (*here, index))]
    return []
