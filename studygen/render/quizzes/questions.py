"""What every quiz output shares: which questions a quiz holds, stable keys, seeded orders, rendered text.

A question is identified course-wide by `topic-id/question-id` (its key): the practice engine stores answers by
it, exports name questions by it, and every "random" choice is a hash of it, so builds are byte-identical.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from studygen.content.graph import CourseGraph
from studygen.content.model import BLANK_MARKER, Question, Topic
from studygen.render.markup import MathMode, plain_text, render_markdown

T = TypeVar("T")

MIXED_QUIZ_SIZE = 10  # questions in a mixed quiz across a subject or the whole course


@dataclass(frozen=True)
class QuizItem:
    """One question with the topic it belongs to."""

    topic: Topic
    question: Question

    @property
    def key(self) -> str:
        return f"{self.topic.id}/{self.question.id}"

    @property
    def dom_id(self) -> str:
        return f"q-{self.topic.id}--{self.question.id}"


@dataclass(frozen=True)
class QuizSet:
    """The questions of one quiz or export: a topic's, a subject's, a mixed selection, or the course's."""

    kind: str  # "topic", "subject" or "course"
    id: str  # the topic or subject id, or the course id
    title: str
    items: tuple[QuizItem, ...]


def topic_items(topic: Topic) -> tuple[QuizItem, ...]:
    return tuple(QuizItem(topic, question) for question in topic.questions)


def topic_sets(graph: CourseGraph) -> list[QuizSet]:
    """One set per topic that has questions, in topic id order."""
    # Titles of exported quizzes are plain text: an LMS shows them in places that are not HTML.
    return [QuizSet("topic", t.id, plain_text(t.title), topic_items(t)) for t in graph.topics if t.questions]


def subject_sets(graph: CourseGraph) -> list[QuizSet]:
    """One set per subject that has questions, with every question of its topics, in catalogue order."""
    found = []
    for category in graph.course.categories:
        for subject in category.subjects:
            items = tuple(item for topic in graph.topics_of(subject.id) for item in topic_items(topic))
            if items:
                found.append(QuizSet("subject", subject.id, plain_text(subject.title), items))
    return found


def course_items(graph: CourseGraph) -> tuple[QuizItem, ...]:
    return tuple(item for topic in graph.topics for item in topic_items(topic))


def pick(items: Sequence[QuizItem], count: int, seed: str) -> tuple[QuizItem, ...]:
    """A deterministic "random" selection of up to `count` items, in a mixed order that depends only on keys."""
    return tuple(seeded_order(items, seed, key=lambda item: item.key)[:count])


def stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def seeded_order(values: Iterable[T], seed: str, key: Callable[[T], str] = str) -> list[T]:
    """A shuffle that depends only on the seed and each value's key: the same on every build and platform."""
    return sorted(values, key=lambda value: stable_hash(f"{seed}\x00{key(value)}"))


def scrambled(values: Sequence[T], seed: str) -> list[T]:
    """A seeded order that differs from the given one (for ordering questions: never shown already solved)."""
    order = list(range(len(values)))
    mixed = seeded_order(order, seed, key=str)
    if mixed == order:
        mixed = mixed[1:] + mixed[:1]
    return [values[i] for i in mixed]


def html(text: str, math: MathMode = "mathml", inline: bool = False) -> str:
    """Markdown to sanitised HTML (math as MathML for the site, `\\(...\\)` for the exports)."""
    return render_markdown(text, math, inline) if text else ""


def text_for_plain_field(text: str) -> str:
    """For fields that a target treats as plain text (Moodle matching answers): no tags, math as `\\(...\\)`."""
    return plain_text(text)


BLANK_TOKEN = "QUIZBLANK{}X"


def prompt_with_blanks(prompt: str, math: MathMode, fill: Callable[[int], str]) -> str:
    """Render a fill-in-the-blank prompt, replacing each `[[n]]` with `fill(n)` (HTML) after Markdown and sanitising."""
    marked = BLANK_MARKER.sub(lambda m: BLANK_TOKEN.format(m.group(1)), prompt)
    rendered = html(marked, math)
    for number in sorted({int(n) for n in BLANK_MARKER.findall(prompt)}, reverse=True):
        rendered = rendered.replace(BLANK_TOKEN.format(number), fill(number))
    return rendered


def numeric_range(question: Question) -> tuple[float, float]:
    """The accepted interval of a numeric question."""
    if question.answer is not None:
        return question.answer - question.tolerance, question.answer + question.tolerance
    return question.min, question.max


def number_text(value: float) -> str:
    """A number as people write it: 3 rather than 3.0, and no exponent for ordinary values."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ---------------------------------------------------------------- text for the exports (math as \(...\))


def export_html(text: str, inline: bool = False) -> str:
    """Markdown as sanitised HTML with math left as `\\(...\\)` / `\\[...\\]` for the target's MathJax."""
    return html(text, "mathjax", inline)


def figure_note(graph: CourseGraph, item: QuizItem) -> str:
    """A sentence naming the figure a question refers to (the exports carry no images)."""
    if item.question.figure is None:
        return ""
    figure = graph.figure(item.question.figure)
    return html(f"*Refers to the figure “{figure.title}”:* {figure.alt}", "mathjax")


def export_prompt(graph: CourseGraph, item: QuizItem) -> str:
    return export_html(item.question.prompt) + figure_note(graph, item)


def file_stem(quiz: QuizSet) -> str:
    """`topic-<id>` or `subject-<id>`: topic and subject ids may coincide, so the kind is part of the name."""
    return f"{quiz.kind}-{quiz.id}"


def spoken(text: str) -> str:
    """Plain text with formulas as their LaTeX source, for accessible names (`aria-label`) where the visible label
    is only a formula: tools and some screen readers find no name in MathML alone."""
    flat = plain_text(text)
    for delimiter in ("\\(", "\\)", "\\[", "\\]"):
        flat = flat.replace(delimiter, "")
    return " ".join(flat.split())


def only_math(text: str) -> bool:
    """Whether a Markdown text is nothing but formulas (so its rendered label has no plain words)."""
    from studygen.render.markup import find_formulas

    rest = text
    for latex, _display in find_formulas(text):
        rest = rest.replace(latex, "")
    return not rest.replace("$", "").strip(" \t\n.,;:")
