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

from functools import partial
from typing import Any

from studygen.content.graph import CourseGraph
from studygen.content.model import Category, Subject, Topic
from studygen.render.i18n import Messages, course_messages
from studygen.render.page_parts import (
    QUIZ_PART_BYTES,
    SHEET_PART_BYTES,
    Part,
    cut,
    estimated_bytes,
    part_path,
    part_title,
)
from studygen.render.pages import Page, category_path, subject_path, topic_crumbs, topic_path
from studygen.render.quizzes.questions import (
    MIXED_QUIZ_SIZE,
    QuizItem,
    course_items,
    pick,
    subject_sets,
    topic_items,
)
from studygen.render.quizzes.views import course_answer_data, key_view, practice_view
from studygen.render.script_data import script_json
from studygen.render.site_plan import Unit


def plan_practice_pages(graph: CourseGraph) -> list[Page]:
    return [page for unit in practice_units(graph) for page in unit.plan()]


def practice_units(graph: CourseGraph) -> list[Unit]:
    """The practice pages in units planned one by one (studygen.render.site_plan): each topic's quiz, worksheet
    and answer key, then each subject's (mixed from its topics), then the course's mixed quiz."""
    units = [Unit(f"practice:{t.id}", partial(_topic_practice, graph, t), t.id) for t in graph.topics if t.questions]
    subject_ids = {s.id for s in subject_sets(graph)}
    units += [
        Unit(f"practice-subject:{subject.id}", partial(_subject_practice, graph, category, subject))
        for category in graph.course.categories
        for subject in category.subjects
        if subject.id in subject_ids
    ]
    return [*units, Unit("practice-course", partial(_course_practice, graph))]


def _topic_practice(graph: CourseGraph, topic: Topic) -> list[Page]:
    items = topic_items(topic)
    return _three_pages(
        graph,
        folder=topic_path(topic.id, ""),
        title=topic.title,
        practice_items=items,
        print_items=items,
        crumbs=topic_crumbs(graph, topic),
        mixed=False,
    )


def _subject_practice(graph: CourseGraph, category: Category, subject: Subject) -> list[Page]:
    items = tuple(item for topic in graph.topics_of(subject.id) for item in topic_items(topic))
    home = (course_messages(graph).text("site.home"), "index.html")
    return _three_pages(
        graph,
        folder=subject_path(category.id, subject.id).removesuffix("index.html"),
        title=subject.title,
        practice_items=pick(items, MIXED_QUIZ_SIZE, f"subject:{subject.id}"),
        print_items=items,
        crumbs=(home, (category.title, category_path(category.id)), (subject.title,
                                                                     subject_path(category.id, subject.id))),
        mixed=True,
    )  # fmt: skip


def _course_practice(graph: CourseGraph) -> list[Page]:
    everything = course_items(graph)
    if not everything:
        return []
    home = (course_messages(graph).text("site.home"), "index.html")
    selection = pick(everything, MIXED_QUIZ_SIZE, f"course:{graph.course.id}")
    return _practice_pages(graph, "practice.html", graph.course.title, selection, (home,), True, None)


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
    """The quiz, the worksheet and its answer key; each in as many parts as the page budget needs. A worksheet and
    its key are cut at the same questions (the key's, the longer), so part n of one pairs with part n of the other."""
    m = course_messages(graph)
    worksheet, key = f"{folder}worksheet.html", f"{folder}answer-key.html"
    printed = {"worksheet": worksheet, "answer_key": key}
    pages = _practice_pages(graph, f"{folder}practice.html", title, practice_items, crumbs, mixed, printed)
    grouped = len({item.topic.id for item in print_items}) > 1
    numbered = list(enumerate(print_items, start=1))
    key_views = [key_view(graph, item, number) for number, item in numbered]
    sheet_views = [practice_view(graph, item, number, blank="line") for number, item in numbered]
    key_parts = cut(key, [estimated_bytes(view) for view in key_views], SHEET_PART_BYTES)
    sheet_parts = [Part(part_path(worksheet, n), p.start, p.stop) for n, p in enumerate(key_parts, start=1)]
    for parts, views, is_key in ((sheet_parts, sheet_views, False), (key_parts, key_views, True)):
        partners = key_parts if not is_key else sheet_parts
        for part, partner in zip(parts, partners, strict=True):
            title_key, description_key = ("sheet.key_title", "sheet.key_description") if is_key else (
                "sheet.worksheet_title", "sheet.worksheet_description")  # fmt: skip
            sheet = _sheet(print_items[part.start : part.stop], views[part.start : part.stop], grouped, partner.path)
            pages.append(
                Page(
                    part.path,
                    "answer-key.html" if is_key else "worksheet.html",
                    part_title(m.text(title_key, title=title), parts, part, m),
                    m.text(description_key, title=title),
                    {"sheet": sheet, "parts": _parts_nav(parts, part, m)},
                    crumbs,
                )
            )
    return pages


def _practice_pages(
    graph: CourseGraph,
    path: str,
    title: str,
    items: tuple[QuizItem, ...],
    crumbs: tuple[tuple[str, str], ...],
    mixed: bool,
    printed: dict[str, str] | None,
) -> list[Page]:
    """A quiz, in parts if it is long. Each part is a quiz of its own (own score, own saved answers)."""
    m = course_messages(graph)
    views = [practice_view(graph, item, n) for n, item in enumerate(items, start=1)]
    answers = [course_answer_data(graph, item) for item in items]
    weights = [estimated_bytes(v) + len(script_json(a)) for v, a in zip(views, answers, strict=True)]
    parts = cut(path, weights, QUIZ_PART_BYTES)
    pages = []
    for part in parts:
        data = {
            "version": 1,
            "storageKey": f"studygen:{graph.course.id}:{part.path}",
            "questions": {
                item.key: answer
                for item, answer in zip(items[part.start : part.stop], answers[part.start : part.stop], strict=True)
            },
        }
        size = part.stop - part.start
        quiz: dict[str, Any] = {
            "title": title,
            "mixed": mixed,
            "questions": views[part.start : part.stop],
            "data": script_json(data),
            "printed": printed,
            "size": size,
            "first": part.start + 1,
        }
        heading = m.text("practice.heading_mixed" if mixed else "practice.heading", title=title)
        description = m.text("practice.description_mixed" if mixed else "practice.description", count=size, title=title)
        context = {"quiz": quiz, "parts": _parts_nav(parts, part, m)}
        pages.append(Page(part.path, "practice.html", part_title(heading, parts, part, m), description, context,
                          crumbs))  # fmt: skip
    return pages


def _parts_nav(parts: list[Part], current: Part, m: Messages) -> list[dict[str, Any]]:
    """Links between the parts of a page (none when there is only one), with the question numbers each holds."""
    if len(parts) == 1:
        return []
    return [
        {
            "path": p.path,
            "label": m.text("parts.link", number=n, first=p.start + 1, last=p.stop),
            "current": p == current,
        }
        for n, p in enumerate(parts, start=1)
    ]


def _sheet(items: tuple[QuizItem, ...], views: list[dict[str, Any]], grouped: bool, partner: str) -> dict[str, Any]:
    """Questions numbered across all parts of the sheet; grouped under topic headings when they come from several
    topics."""
    groups: list[dict[str, Any]] = []
    for item, view in zip(items, views, strict=True):
        if not groups or groups[-1]["topic"].id != item.topic.id:
            groups.append({"topic": item.topic, "questions": []})
        groups[-1]["questions"].append(view)
    return {"groups": groups, "grouped": grouped, "partner": partner, "count": len(items)}
