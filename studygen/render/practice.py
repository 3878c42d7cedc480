"""Practice pages of the site: interactive quizzes, printable worksheets and their answer keys.

- `topics/<id>/practice.html`: every question of the topic (the summary page links it automatically);
  `topics/<id>/worksheet.html` and `answer-key.html` print them.
- `<category>/<subject>/practice.html`: a mixed quiz of up to ten questions from the subject's topics;
  its `worksheet.html` and `answer-key.html` hold every question of the subject.
- `practice.html`: a mixed quiz across the whole course.

The mixed selections are chosen at build time from a hash of question keys: the same on every build.
Topics and subjects without questions get no pages. The engine is `static/quiz.js`; see docs/quizzes.md.
"""

from __future__ import annotations

from typing import Any

from studygen.content.graph import CourseGraph
from studygen.render.i18n import course_messages
from studygen.render.pages import Page, category_path, subject_path, topic_crumbs, topic_path
from studygen.render.quizzes.questions import (
    MIXED_QUIZ_SIZE,
    QuizItem,
    course_items,
    pick,
    subject_sets,
    topic_items,
)
from studygen.render.quizzes.views import answer_data, key_view, practice_view, quiz_json


def plan_practice_pages(graph: CourseGraph) -> list[Page]:
    pages: list[Page] = []
    home = (course_messages(graph).text("site.home"), "index.html")
    for topic in graph.topics:
        items = topic_items(topic)
        if not items:
            continue
        pages += _three_pages(
            graph,
            folder=topic_path(topic.id, ""),
            title=topic.title,
            practice_items=items,
            print_items=items,
            crumbs=topic_crumbs(graph, topic),
            mixed=False,
        )
    subject_ids = {s.id for s in subject_sets(graph)}
    for category in graph.course.categories:
        for subject in category.subjects:
            if subject.id not in subject_ids:
                continue
            items = tuple(item for topic in graph.topics_of(subject.id) for item in topic_items(topic))
            pages += _three_pages(
                graph,
                folder=subject_path(category.id, subject.id).removesuffix("index.html"),
                title=subject.title,
                practice_items=pick(items, MIXED_QUIZ_SIZE, f"subject:{subject.id}"),
                print_items=items,
                crumbs=(home, (category.title, category_path(category.id)), (subject.title,
                                                                             subject_path(category.id, subject.id))),
                mixed=True,
            )  # fmt: skip
    everything = course_items(graph)
    if everything:
        selection = pick(everything, MIXED_QUIZ_SIZE, f"course:{graph.course.id}")
        pages.append(_practice_page(graph, "practice.html", graph.course.title, selection, (home,), True, None))
    return pages


def _three_pages(
    graph: CourseGraph,
    *,
    folder: str,
    title: str,
    practice_items: tuple[QuizItem, ...],
    print_items: tuple[QuizItem, ...],
    crumbs: tuple[tuple[str, str], ...],
    mixed: bool,
) -> list[Page]:
    m = course_messages(graph)
    worksheet, key = f"{folder}worksheet.html", f"{folder}answer-key.html"
    printed = {"worksheet": worksheet, "answer_key": key}
    practice = _practice_page(graph, f"{folder}practice.html", title, practice_items, crumbs, mixed, printed)
    grouped = len({item.topic.id for item in print_items}) > 1
    worksheet_page = Page(
        worksheet,
        "worksheet.html",
        m.text("sheet.worksheet_title", title=title),
        m.text("sheet.worksheet_description", title=title),
        {"sheet": _sheet(graph, print_items, grouped, key=False, partner=key)},
        crumbs,
    )
    key_page = Page(
        key,
        "answer-key.html",
        m.text("sheet.key_title", title=title),
        m.text("sheet.key_description", title=title),
        {"sheet": _sheet(graph, print_items, grouped, key=True, partner=worksheet)},
        crumbs,
    )
    return [practice, worksheet_page, key_page]


def _practice_page(
    graph: CourseGraph,
    path: str,
    title: str,
    items: tuple[QuizItem, ...],
    crumbs: tuple[tuple[str, str], ...],
    mixed: bool,
    printed: dict[str, str] | None,
) -> Page:
    m = course_messages(graph)
    views = [practice_view(graph, item, n) for n, item in enumerate(items, start=1)]
    data = {
        "version": 1,
        "storageKey": f"studygen:{graph.course.id}:{path}",
        "questions": {item.key: answer_data(item, m) for item in items},
    }
    quiz: dict[str, Any] = {
        "title": title,
        "mixed": mixed,
        "questions": views,
        "data": quiz_json(data),
        "printed": printed,
        "size": len(items),
    }
    heading = m.text("practice.heading_mixed" if mixed else "practice.heading", title=title)
    description = m.text(
        "practice.description_mixed" if mixed else "practice.description", count=len(items), title=title
    )
    return Page(path, "practice.html", heading, description, {"quiz": quiz}, crumbs)


def _sheet(
    graph: CourseGraph, items: tuple[QuizItem, ...], grouped: bool, *, key: bool, partner: str
) -> dict[str, Any]:
    """Questions numbered 1..n across the sheet; grouped under topic headings when they come from several topics."""
    groups: list[dict[str, Any]] = []
    for number, item in enumerate(items, start=1):
        view = key_view(graph, item, number) if key else practice_view(graph, item, number, blank="line")
        if not groups or groups[-1]["topic"].id != item.topic.id:
            groups.append({"topic": item.topic, "questions": []})
        groups[-1]["questions"].append(view)
    return {"groups": groups, "grouped": grouped, "partner": partner, "count": len(items)}
