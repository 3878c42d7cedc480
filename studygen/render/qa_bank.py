"""The Q&A bank: every practice question of the course with its answer and explanation.

It comes in two kinds of page so that no page outgrows the weight budget as a course grows:
- `qa.html`, the hub: every question's prompt, with its subject, topic, level and type as data attributes that
  `static/qa.js` filters on in the browser (no server needed; without JavaScript the whole list is shown). A
  course too large for one page gets `qa-2.html`, ... too (see page_parts.py), cut between questions (a topic
  cut in two is headed in both parts), each part's filters offering what it holds;
- `topics/<id>/answers.html`, one per topic: its questions with answers and explanations, which each prompt of
  the hub links to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from itertools import accumulate

from markupsafe import Markup, escape

from studygen.content.graph import CourseGraph, GraphMemo, note_reads, recorded_reads, unrecorded_reads
from studygen.content.model import BLANK_MARKER, Question, Subject, Topic
from studygen.render.i18n import Messages, course_messages
from studygen.render.markup import plain_text, render_markdown
from studygen.render.page_parts import HUB_PART_BYTES, Part, cut, part_title, written_bytes
from studygen.render.pages import QA_BANK_PATH, Page, topic_answers_path, topic_crumbs
from studygen.render.quizzes.views import blank_answers
from studygen.render.site_plan import Unit

# Question types in the order the type filter lists them; each one's label is `qtype.<type>` in the catalogue.
QUESTION_TYPES = (
    "single_choice",
    "multiple_answer",
    "true_false",
    "numeric",
    "short_answer",
    "fill_blank",
    "matching",
    "ordering",
)
LEVELS = ("beginner", "intermediate", "advanced")
_FIGURE_BYTES = 500  # a figure shown with its prompt: <figure>, <img> with its size and alt text, caption


@dataclass(frozen=True)
class QaPrompt:
    """A question as the hub shows it: its prompt and what the filters read."""

    anchor: str  # DOM id: q-<topic>-<question>
    topic: Topic
    subject_id: str
    subject_title: str
    type: str
    type_label: str
    difficulty: str
    prompt: Markup
    figure_id: str | None  # the figure the question asks about, shown with its prompt

    @property
    def url(self) -> str:
        """The answer's place, relative to site/: topics/<topic>/answers.html#<anchor>."""
        return f"{topic_answers_path(self.topic.id)}#{self.anchor}"


@dataclass(frozen=True)
class QaItem(QaPrompt):
    """A question as its topic's answers page shows it: with its answer and explanation."""

    answer: Markup
    explanation: Markup
    prompt_text: str  # for search
    answer_text: str


def qa_prompts(graph: CourseGraph) -> list[QaPrompt]:
    """Every question of the course as the hub shows it, in catalogue order (subject, then topic id, then file
    order)."""
    m = course_messages(graph)
    return [
        _prompt(m, topic, subject, question)
        for category in graph.course.categories
        for subject in category.subjects
        for topic in graph.topics_of(subject.id)
        for question in topic.questions
    ]


def qa_items(graph: CourseGraph, topic: Topic) -> list[QaItem]:
    """A topic's questions with their answers, in file order."""
    m = course_messages(graph)
    _, subject = graph.subject(topic.subject)
    items = []
    for question in topic.questions:
        answer = answer_html(question, m)
        items.append(
            QaItem(
                **vars(_prompt(m, topic, subject, question)),
                answer=answer,
                explanation=Markup(_md(question.explanation)),
                prompt_text=plain_text(question.prompt),
                answer_text=" ".join(re.sub(r"<[^>]+>", " ", str(answer)).split()),
            )
        )
    return items


def _prompt(m: Messages, topic: Topic, subject: Subject, question: Question) -> QaPrompt:
    return QaPrompt(
        f"q-{topic.id}-{question.id}",
        topic,
        subject.id,
        subject.title,
        question.type,
        m.text(f"qtype.{question.type}"),
        question.difficulty,
        Markup(_md(_blanks(question.prompt) if question.type == "fill_blank" else question.prompt)),
        question.figure,
    )


@dataclass(frozen=True)
class QaGroup:
    """The questions of one topic: the bank shows them under the topic's heading."""

    topic: Topic
    subject_id: str
    subject_title: str
    items: tuple[QaPrompt, ...]


def qa_groups(items: Sequence[QaPrompt]) -> list[QaGroup]:
    groups: dict[str, list[QaPrompt]] = {}
    for item in items:
        groups.setdefault(item.topic.id, []).append(item)
    return [QaGroup(g[0].topic, g[0].subject_id, g[0].subject_title, tuple(g)) for g in groups.values()]


@dataclass(frozen=True)
class QaLayout:
    """The hub's questions and its cut into parts, and the part that heads each topic's questions."""

    prompts: list[QaPrompt]
    parts: list[Part]
    hub_of: dict[str, str]  # topic id -> path of the hub part where its questions start


# The layout of one course at a time, and the topics read to make it: the hub and every topic's answers page (for
# its link back) ask for it.
_layouts: GraphMemo[tuple[QaLayout, frozenset[str]]] = GraphMemo()


def qa_layout(graph: CourseGraph) -> QaLayout:
    """Made once per build; each use counts as reading what making it read (studygen.content.graph.recorded_reads)."""
    layout, reads = _layouts.get(graph, partial(_made_layout, graph))
    note_reads(reads)
    return layout


def _made_layout(graph: CourseGraph) -> tuple[QaLayout, frozenset[str]]:
    with recorded_reads() as reads:
        prompts = qa_prompts(graph)
    groups = qa_groups(prompts)
    # Cut between questions, so that even one very long topic fits: a topic cut in two is headed in both parts.
    weights = [_hub_bytes(item) for item in prompts]
    starts = accumulate((len(group.items) for group in groups[:-1]), initial=0) if groups else ()
    for group_start in starts:
        weights[group_start] += _heading_bytes(prompts[group_start].topic)
    parts = cut(QA_BANK_PATH, weights, HUB_PART_BYTES)
    hub_of: dict[str, str] = {}
    for part in parts:
        for item in prompts[part.start : part.stop]:
            hub_of.setdefault(item.topic.id, part.path)
    return QaLayout(prompts, parts, hub_of), frozenset(reads)


def qa_units(graph: CourseGraph) -> list[Unit]:
    """The hub (one unit: its cut reads every question) and each topic's answers page (a unit of its own, planned
    as it is written: an edit plans again the hub's prompts and one topic's answers, not every answer)."""
    units = [Unit("qa", partial(plan_qa_hub, graph))]
    for category in graph.course.categories:
        for subject in category.subjects:
            for topic in graph.topics_of(subject.id):
                if topic.questions:
                    plan, paths = partial(plan_topic_answers, graph, topic), partial(_answers_paths, topic)
                    units.append(Unit(f"qa:{topic.id}", plan, topic.id, paths, partial(_answers_inputs, graph, topic)))
    return units


def _answers_paths(topic: Topic) -> list[str]:
    return [topic_answers_path(topic.id)]


def _answers_inputs(graph: CourseGraph, topic: Topic) -> dict[str, str]:
    """What an answers page reads besides its topic: the hub part its link goes back to (an edit elsewhere in the
    course can move its questions to another part)."""
    return {"@hub": qa_layout(graph).hub_of[topic.id]}


def forget_layout(graph: CourseGraph) -> None:
    """Let this course's layout go (asked for again, it is made again)."""
    _layouts.forget(graph)


def plan_qa_hub(graph: CourseGraph) -> list[Page]:
    """The hub, in parts if the course is large."""
    layout = qa_layout(graph)
    if not layout.prompts:
        return []
    m = course_messages(graph)
    return [_hub_part(graph, m, layout.prompts, layout.parts, part) for part in layout.parts]


def plan_topic_answers(graph: CourseGraph, topic: Topic) -> list[Page]:
    """A topic's answers page (none for a topic without questions)."""
    items = qa_items(graph, topic)
    if not items:
        return []
    m = course_messages(graph)
    group = QaGroup(topic, items[0].subject_id, items[0].subject_title, tuple(items))
    with unrecorded_reads():  # the part is a named input of the unit (`_answers_inputs`), not a read of every topic
        hub = qa_layout(graph).hub_of[topic.id]
    return [
        Page(
            topic_answers_path(topic.id),
            "qa-topic.html",
            m.text("qa.topic_title", title=topic.title),
            m.text("qa.topic_description", count=len(items), title=topic.title),
            {"topic": topic, "group": group, "hub": hub, **_subject_and_category(graph, topic)},
            topic_crumbs(graph, topic),
        )
    ]  # fmt: skip


def _hub_bytes(item: QaPrompt) -> int:
    """A question's share of the hub, a little over what qa.html makes of it: the prompt (with its figure, if any),
    the labels and links around it, and its anchor, which it names four times (ids, link, aria-describedby)."""
    return written_bytes(str(item.prompt)) + 350 + 4 * len(item.anchor) + (_FIGURE_BYTES if item.figure_id else 0)


def _heading_bytes(topic: Topic) -> int:
    """A topic's heading in the hub, its links, and its entry in the topic filter."""
    return 550 + 2 * len(topic.title.encode("utf-8")) + 2 * len(topic.id)


def _hub_part(graph: CourseGraph, m: Messages, every: list[QaPrompt], parts: list[Part], part: Part) -> Page:
    """One page of the hub. Its filters offer the subjects, topics, levels and types of the questions it holds."""
    items = every[part.start : part.stop]
    groups = qa_groups(items)
    subjects = list(dict.fromkeys((group.subject_id, group.subject_title) for group in groups))
    topics = [(group.topic.id, group.topic.title, group.subject_id) for group in groups]
    types = [(key, m.text(f"qtype.{key}")) for key in QUESTION_TYPES if any(item.type == key for item in items)]
    levels = [level for level in LEVELS if any(item.topic.level == level for item in items)]
    nav = []
    if len(parts) > 1:
        for number, other in enumerate(parts, start=1):
            first, last = every[other.start].topic.title, every[other.stop - 1].topic.title
            label = m.text("parts.topics_link" if first != last else "parts.topic_link", number=number, first=first,
                           last=last)  # fmt: skip
            nav.append({"path": other.path, "label": label, "current": other == part})
    return Page(
        part.path,
        "qa.html",
        part_title(m.text("site.qa_bank"), parts, part, m),
        m.text("qa.description", count=len(every), course=graph.course.title),
        {"items": items, "groups": groups, "subjects": subjects, "topics": topics, "types": types, "levels": levels,
         "parts": nav},
        ((m.text("site.home"), "index.html"),),
    )  # fmt: skip


def _subject_and_category(graph: CourseGraph, topic: Topic) -> dict[str, object]:
    category, subject = graph.subject(topic.subject)
    return {"subject": subject, "category": category}


def _md(text: str, inline: bool = False) -> str:
    return render_markdown(text, "mathml", inline)


def _blanks(prompt: str) -> str:
    return BLANK_MARKER.sub(lambda m: f"\\_\\_\\_\\_ ({m.group(1)})", prompt)


def _number(value: float) -> str:
    return f"{value:g}"


def answer_html(question: Question, m: Messages) -> Markup:
    """The right answer of a question as sanitised HTML, in the form its type calls for."""
    q = question
    if q.type in ("single_choice", "multiple_answer"):
        rows = []
        for option in q.options:
            mark = (
                Markup('<span class="tag-right">{}</span>').format(m.text("mark.right"))
                if option.correct
                else Markup('<span class="tag-wrong">{}</span>').format(m.text("mark.wrong"))
            )
            feedback = f" — {_md(option.feedback, inline=True)}" if option.feedback else ""
            css = ' class="correct"' if option.correct else ""
            rows.append(f"<li{css}>{_md(option.text, inline=True)} {mark}{feedback}</li>")
        return Markup(f'<ul class="options">{"".join(rows)}</ul>')
    if q.type == "true_false":
        return Markup("<p><strong>{}</strong></p>").format(m.text("word.true" if q.answer else "word.false"))
    if q.type == "numeric":
        unit = f" {escape(q.unit)}" if q.unit else ""
        if q.answer is not None:
            tolerance = f" (± {_number(q.tolerance)})" if q.tolerance else ""
            return Markup(f"<p><strong>{_number(q.answer)}{unit}</strong>{tolerance}</p>")
        low = Markup("<strong>{}</strong>").format(_number(q.min))  # type: ignore[arg-type]
        high = Markup("<strong>{}{}</strong>").format(_number(q.max), Markup(unit))  # type: ignore[arg-type]
        return Markup("<p>{}</p>").format(m.html("solution.range", low=low, high=high))
    if q.type == "short_answer":
        accepted = ", ".join(f"<strong>{escape(a)}</strong>" for a in q.accepted)
        return Markup("<p>{}</p>").format(m.html("qa.accepted", answers=Markup(accepted)))
    if q.type == "fill_blank":
        return Markup("<ul>{}</ul>").format(blank_answers(q, m))
    if q.type == "matching":
        rows = "".join(
            f"<tr><td>{_md(p.left, inline=True)}</td><td>{_md(p.right, inline=True)}</td></tr>" for p in q.pairs
        )
        table = '<table><thead><tr><th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>'
        return Markup(table).format(m.text("qa.item"), m.text("qa.matches"), Markup(rows))
    if q.type == "ordering":
        rows = "".join(f"<li>{_md(item, inline=True)}</li>" for item in q.items)
        return Markup(f"<ol>{rows}</ol>")
    raise ValueError(f"unknown question type {q.type}")
