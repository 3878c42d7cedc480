"""Practice pages of the site. The quiz engine's issue fills this in; until then the site has no practice pages,
and the summary page shows no link to one."""

from __future__ import annotations

from studygen.content.graph import CourseGraph
from studygen.render.pages import Page


def plan_practice_pages(graph: CourseGraph) -> list[Page]:
    return []
