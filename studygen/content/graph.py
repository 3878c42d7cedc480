"""Whole-course cross-checks, and the checked course that renderers read.

Single files can be valid while the course is not: two topics with one id, a prerequisite that names no topic,
a cycle of prerequisites, a card id used twice, a figure that does not exist. These checks need every file.
"""

from __future__ import annotations

import difflib
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, TypeVar

from studygen.content.loader import LoadedCourse, LoadedTopic
from studygen.content.model import Category, Course, FigureSpec, Subject, Topic
from studygen.content.yamlsource import SourceMap
from studygen.errors import Problem

# The topics read while a part of the site is planned (`recorded_reads`); None when nothing is recorded.
_reads: set[str] | None = None


@contextmanager
def recorded_reads() -> Iterator[set[str]]:
    """The ids of the topics that the code inside this block reads through a course graph: looked up by id, listed
    by subject, or any of them through `topics`. (A topic object already in hand is the caller's to count.)
    studygen.render.site_plan keeps a part of the site planned only while those topics are unchanged."""
    global _reads
    outer, _reads = _reads, set()
    try:
        yield _reads
    finally:
        if outer is not None:
            outer |= _reads
        _reads = outer


def note_reads(topic_ids: Iterable[str]) -> None:
    """Count these topics as read (what a memoised result read when it was made, replayed on each use)."""
    if _reads is not None:
        _reads.update(topic_ids)


@contextmanager
def unrecorded_reads() -> Iterator[None]:
    """Reads inside this block are not counted: for a value that its caller records as a named input instead."""
    global _reads
    outer, _reads = _reads, None
    try:
        yield
    finally:
        _reads = outer


class TopicList(tuple[Topic, ...]):
    """The course's topics. Going through them (or indexing them) while reads are recorded reads them all."""

    __slots__ = ()

    def __iter__(self) -> Iterator[Topic]:
        if _reads is not None:
            _reads.update(topic.id for topic in tuple.__iter__(self))
        return tuple.__iter__(self)

    def __getitem__(self, index: Any) -> Any:
        if _reads is not None:
            _reads.update(topic.id for topic in tuple.__iter__(self))
        return tuple.__getitem__(self, index)


@dataclass(frozen=True)
class CourseGraph:
    """A course that passed every check. Topics are in id order; lookups are by id."""

    root: Path
    course: Course
    topics: tuple[Topic, ...]
    sources: dict[str, SourceMap]
    course_source: SourceMap | None = None
    # Figures drawn from experiment results (studygen.figures.draw.DrawnFigure by figure id), attached by the
    # build after drawing; renderers read them like the rest of the course.
    drawn_figures: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.topics, TopicList):
            object.__setattr__(self, "topics", TopicList(self.topics))

    @cached_property
    def _topics_by_id(self) -> dict[str, Topic]:
        return {t.id: t for t in tuple.__iter__(self.topics)}  # indexing reads no topic

    @cached_property
    def _topics_by_subject(self) -> dict[str, list[Topic]]:
        by_subject: dict[str, list[Topic]] = {}
        for t in tuple.__iter__(self.topics):
            by_subject.setdefault(t.subject, []).append(t)
        return by_subject

    def topic(self, topic_id: str) -> Topic:
        # Indexed once: renderers look topics up for every link, and a scan per lookup grows with the square of N.
        if _reads is not None:
            _reads.add(topic_id)
        return self._topics_by_id[topic_id]

    def subject(self, subject_id: str) -> tuple[Category, Subject]:
        for category in self.course.categories:
            for subject in category.subjects:
                if subject.id == subject_id:
                    return category, subject
        raise KeyError(subject_id)

    def topics_of(self, subject_id: str) -> list[Topic]:
        topics = list(self._topics_by_subject.get(subject_id, ()))
        if _reads is not None:
            _reads.update(topic.id for topic in topics)
        return topics

    def figure(self, figure_id: str) -> FigureSpec:
        return next(f for f in self.course.figures if f.id == figure_id)

    def dependents(self, topic_id: str) -> list[Topic]:
        """Topics that list this one as a prerequisite."""
        return [t for t in self.topics if any(p.topic == topic_id for p in t.prerequisites)]


def check_course(loaded: LoadedCourse) -> tuple[CourseGraph | None, list[Problem]]:
    """Run every cross-check; return the graph only when nothing is wrong at error level."""
    problems = list(loaded.problems)
    course = loaded.course
    if course is None:
        return None, problems
    source = loaded.course_source
    problems += _catalogue_problems(course, source, loaded.root)

    by_id: dict[str, LoadedTopic] = {}
    for item in sorted(loaded.topics, key=lambda t: t.source.path):
        first = by_id.get(item.topic.id)
        if first:
            problems.append(
                item.source.problem(
                    ("id",),
                    f"topic id '{item.topic.id}' is already used by {first.source.path}",
                    "rename one",
                )
            )
            continue
        by_id[item.topic.id] = item

    subjects = {s.id for c in course.categories for s in c.subjects}
    figures = {f.id for f in course.figures}
    titles = {item.topic.title.casefold(): topic_id for topic_id, item in by_id.items()}
    for item in by_id.values():
        problems += _topic_problems(item, by_id, loaded.failed_topic_ids, subjects, figures, titles)
    problems += _cycle_problems(by_id)

    used_subjects = {item.topic.subject for item in by_id.values()}
    all_topics_loaded = not any(p.severity == "error" for p in loaded.problems)
    for i, category in enumerate(course.categories if all_topics_loaded else []):
        for j, subject in enumerate(category.subjects):
            if subject.id not in used_subjects:
                problems.append(
                    source.problem(
                        ("categories", i, "subjects", j),
                        f"subject '{subject.id}' has no topics",
                        "add a topic or remove the subject",
                        "warning",
                    )
                )

    if any(p.severity == "error" for p in problems):
        return None, problems
    topics = tuple(by_id[topic_id].topic for topic_id in sorted(by_id))
    sources = {topic_id: by_id[topic_id].source for topic_id in sorted(by_id)}
    return CourseGraph(loaded.root, course, topics, sources, source), problems


def _duplicates(values: list[str]) -> set[str]:
    return {value for value, count in Counter(values).items() if count > 1}


def _catalogue_problems(course: Course, source: SourceMap, root: Path) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for i, category in enumerate(course.categories):
        for j, subject in enumerate(category.subjects):
            if subject.id in seen:
                problems.append(
                    source.problem(
                        ("categories", i, "subjects", j, "id"),
                        f"subject id '{subject.id}' is already used in category '{seen[subject.id]}'",
                    )
                )
            seen[subject.id] = category.id
    for i in _duplicate_indexes([c.id for c in course.categories]):
        problems.append(source.problem(("categories", i, "id"), f"duplicate category id '{course.categories[i].id}'"))
    for i in _duplicate_indexes([f.id for f in course.figures]):
        problems.append(source.problem(("figures", i, "id"), f"duplicate figure id '{course.figures[i].id}'"))
    for i, figure in enumerate(course.figures):
        if figure.image is not None:
            image = (root / figure.image).resolve()
            if not image.is_relative_to(root):
                problems.append(source.problem(("figures", i, "image"), "the image is outside the course folder"))
            elif not image.is_file():
                problems.append(source.problem(("figures", i, "image"), f"image file '{figure.image}' does not exist"))
    return problems


def _duplicate_indexes(values: list[str]) -> list[int]:
    """Indexes of the second and later occurrences of a value."""
    seen: set[str] = set()
    later = []
    for index, value in enumerate(values):
        if value in seen:
            later.append(index)
        seen.add(value)
    return later


def _topic_problems(
    item: LoadedTopic,
    by_id: dict[str, LoadedTopic],
    failed_ids: set[str],
    subjects: set[str],
    figures: set[str],
    titles: dict[str, str],
) -> list[Problem]:
    topic, source = item.topic, item.source
    problems: list[Problem] = []
    stem = Path(source.path).stem
    if stem != topic.id:
        problems.append(
            source.problem(
                ("id",),
                f"the file is named '{stem}' but the topic id is '{topic.id}'",
                f"rename the file to {topic.id}.yaml",
                "warning",
            )
        )
    if topic.subject not in subjects:
        problems.append(
            source.problem(("subject",), f"unknown subject '{topic.subject}'", _nearest(topic.subject, subjects))
        )
    for kind, links in (("prerequisites", topic.prerequisites), ("learn_next", topic.learn_next)):
        for i, link in enumerate(links):
            if link.topic is not None and link.topic not in by_id:
                if link.topic in failed_ids:
                    continue  # its own file's errors are reported already
                problems.append(
                    source.problem((kind, i, "topic"), f"unknown topic '{link.topic}'", _nearest(link.topic, by_id))
                )
            elif link.topic == topic.id:
                problems.append(source.problem((kind, i, "topic"), "a topic cannot link to itself"))
            elif link.text is not None and link.text.casefold() in titles:
                problems.append(
                    source.problem(
                        (kind, i, "text"),
                        f"'{link.text}' is the title of a topic of this course",
                        f"link it instead: topic: {titles[link.text.casefold()]}",
                        "warning",
                    )
                )
    for kind, ids in (
        ("flashcards", [c.id for c in topic.flashcards]),
        ("questions", [q.id for q in topic.questions]),
        ("references", [r.id for r in topic.references]),
    ):
        for i in _duplicate_indexes(ids):
            problems.append(
                source.problem((kind, i, "id"), f"duplicate id '{ids[i]}' in {kind}", "ids are stable keys")
            )
    for field_path, figure_id in topic.figure_references():
        if figure_id not in figures:
            problems.append(source.problem(field_path, f"unknown figure '{figure_id}'", _nearest(figure_id, figures)))
    return problems


def _nearest(name: str, choices: set[str] | dict[str, LoadedTopic]) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def _cycle_problems(by_id: dict[str, LoadedTopic]) -> list[Problem]:
    """Report each prerequisite cycle once, at the topic where it was first entered (in id order)."""
    graph = {tid: [p.topic for p in item.topic.prerequisites if p.topic in by_id] for tid, item in by_id.items()}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    problems: list[Problem] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                source = by_id[node].source
                index = next(i for i, p in enumerate(by_id[node].topic.prerequisites) if p.topic == nxt)
                problems.append(
                    source.problem(
                        ("prerequisites", index, "topic"),
                        "prerequisites form a cycle: " + " -> ".join(cycle),
                        "remove one of these links",
                    )
                )
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return problems


T = TypeVar("T")


class GraphMemo(Generic[T]):
    """A value made for one course graph at a time, held only while that graph lives: a build's course, and what
    was made from it, are not kept after the build (`studygen serve` builds again and again in one process)."""

    def __init__(self) -> None:
        self._kept: tuple[weakref.ref[CourseGraph], T] | None = None

    def get(self, graph: CourseGraph, make: Callable[[], T]) -> T:
        """The value made for this graph, made now if it has none."""
        if self._kept is None or self._kept[0]() is not graph:
            self._kept = (weakref.ref(graph, self._gone), make())
        return self._kept[1]

    def forget(self, graph: CourseGraph) -> None:
        """Let this graph's value go (asked for again, it is made again)."""
        if self._kept is not None and self._kept[0]() is graph:
            self._kept = None

    def _gone(self, graph: weakref.ref[CourseGraph]) -> None:
        if self._kept is not None and self._kept[0] is graph:
            self._kept = None
