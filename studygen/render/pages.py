"""What a page of the site is, and where each kind of page lives. Shared by the modules that plan pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from studygen.content.graph import CourseGraph
from studygen.content.model import Topic
from studygen.render.i18n import course_messages


@dataclass(frozen=True)
class Page:
    """One HTML page: where it goes, which template draws it, and what it is about."""

    path: str  # relative to site/, e.g. "topics/identity-mapping/index.html"
    template: str
    title: str
    description: str
    context: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    crumbs: tuple[tuple[str, str], ...] = ()  # (title, path) from home down to the parent


def page_owner(page: Page) -> str:
    """The topic or subject a page is about ("" for course-wide pages); it decides the page's part of the search
    index (studygen.render.search)."""
    context = page.context
    if "topic" in context:
        return str(context["topic"].id)
    if "group" in context:  # a topic's questions and answers
        return str(context["group"].topic.id)
    if "subject" in context:
        return str(context["subject"].id)
    return ""


def topic_path(topic_id: str, page: str = "index.html") -> str:
    return f"topics/{topic_id}/{page}"


def topic_answers_path(topic_id: str) -> str:
    """A topic's part of the Q&A bank: its questions with answers and explanations."""
    return topic_path(topic_id, "answers.html")


def category_path(category_id: str) -> str:
    return f"{category_id}/index.html"


def subject_path(category_id: str, subject_id: str) -> str:
    return f"{category_id}/{subject_id}/index.html"


QA_BANK_PATH = "qa.html"
SEARCH_PATH = "search.html"


def figure_path(figure_id: str, suffix: str) -> str:
    """Where a figure's image goes in the site, e.g. `figures/degradation.png`."""
    return f"figures/{figure_id}{suffix}"


def topic_crumbs(graph: CourseGraph, topic: Topic, *, with_topic: bool = True) -> tuple[tuple[str, str], ...]:
    """Breadcrumbs down to a topic: home, its category, its subject, and (for its study pages) the topic itself."""
    category, subject = graph.subject(topic.subject)
    crumbs = (
        (course_messages(graph).text("site.home"), "index.html"),
        (category.title, category_path(category.id)),
        (subject.title, subject_path(category.id, subject.id)),
    )
    return (*crumbs, (topic.title, topic_path(topic.id))) if with_topic else crumbs
