"""Study cards and practice questions -> Anki notes: field HTML, tags, guid, referenced media.

What each question type becomes (see docs/anki.md):

- single choice, multiple answer, true/false -> a "studygen Multiple choice" note: question and lettered options on
  the front; the right option(s), every option marked right or wrong with its feedback, and the explanation on
  the back.
- numeric, short answer -> a basic note: the prompt on the front, the accepted answer(s) on the back.
- fill in the blanks -> a cloze note whose blanks are all deletion 1, so the learner recalls every blank at once.
- matching -> a basic note: both columns on the front (the right column in alphabetical order), pairs on the back.
- ordering -> a basic note: the items in a fixed scrambled order on the front, the right order on the back.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from genanki.util import guid_for
from markupsafe import Markup

from studygen.content.graph import CourseGraph
from studygen.content.model import (
    BLANK_MARKER,
    FigureSpec,
    FillBlank,
    Matching,
    MultipleAnswer,
    Numeric,
    Ordering,
    Question,
    ShortAnswer,
    SingleChoice,
    Topic,
    TrueFalse,
)
from studygen.render.anki_models import NOTE_TYPES
from studygen.render.cards import TAG_ROOT, StudyCard, card_tags
from studygen.render.i18n import Messages, course_messages
from studygen.render.markup import render_markdown
from studygen.render.pages import topic_path

_MATH_SPAN = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.DOTALL)
_CLOZE_OPEN = re.compile(r"\{\{c\d+::")
_IMAGE_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF8", "gif"),
    (b"<svg", "svg"),
    (b"<?xml", "svg"),
)


@dataclass(frozen=True)
class AnkiNote:
    """One note, ready for a package or a text file."""

    guid: str
    note_type: str  # a key of anki_models.NOTE_TYPES
    fields: dict[str, str] = field(hash=False)  # field name -> HTML, in the note type's field order
    tags: tuple[str, ...]
    media: tuple[str, ...] = ()  # media file names the fields reference
    source: tuple[str | int, ...] = ()  # the part of the topic file it comes from (decides its modification time)


@dataclass(frozen=True)
class Media:
    """The figures that travel with the packages: media file name and bytes, by figure id."""

    names: dict[str, str]
    data: dict[str, bytes]

    @classmethod
    def from_figures(cls, graph: CourseGraph, figures: Mapping[str, bytes]) -> Media:
        names = {fid: f"{TAG_ROOT}-{graph.course.id}-{fid}.{image_extension(data)}" for fid, data in figures.items()}
        return cls(names, {names[fid]: bytes(data) for fid, data in figures.items()})


def note_guid(course_id: str, topic_id: str, key: str) -> str:
    """A note's identity in Anki: from the course, the topic and the card's stable key. Never from its text."""
    return guid_for(TAG_ROOT, course_id, topic_id, key)


def image_extension(data: bytes) -> str:
    """The file extension for an image's bytes (Anki serves media by extension)."""
    head = data[:256].lstrip()
    return next((ext for magic, ext in _IMAGE_TYPES if head.startswith(magic)), "png")


def md(text: str) -> str:
    """Markdown -> safe HTML with math for Anki's MathJax; a single paragraph loses its <p>."""
    return render_markdown(text, "mathjax", True) if text else ""


def guard_cloze_math(text: str) -> str:
    r"""Keep the math inside a cloze text from ending a deletion early.

    In a cloze field Anki ends a deletion at the first `}}` and starts a hint at `::`, even inside `\(...\)`.
    TeX ignores spaces in math, so `}}` becomes `} }` and `::` becomes `: :`, except where the braces or colons
    belong to a deletion written inside the formula (`\(x = {{c1::y}}\)`).
    """

    def fix(match: re.Match[str]) -> str:
        opening, closing = (r"\(", r"\)") if match.group(1) is not None else (r"\[", r"\]")
        tex = match.group(1) if match.group(1) is not None else match.group(2)
        return opening + _space_tex(tex) + closing

    return _MATH_SPAN.sub(fix, text)


def _space_tex(tex: str) -> str:
    tokens: list[str] = []
    open_depths: list[int] = []  # TeX brace depth where each deletion inside the formula was opened
    depth, i = 0, 0
    while i < len(tex):
        opening = _CLOZE_OPEN.match(tex, i)
        if opening:
            token = opening.group()
            open_depths.append(depth)
        elif tex.startswith("}}", i) and open_depths and open_depths[-1] == depth:
            token = "}}"
            open_depths.pop()
        elif tex[i] == "\\" and i + 1 < len(tex):
            token = tex[i : i + 2]
        else:
            token = tex[i]
            depth += {"{": 1, "}": -1}.get(token, 0)
        if tokens and (tokens[-1][-1], token[0]) in (("}", "}"), (":", ":")):
            tokens.append(" ")
        tokens.append(token)
        i += len(token)
    return "".join(tokens)


class NoteMaker:
    """Makes the notes of one topic; knows the course (for context, links, tags) and the figures."""

    def __init__(self, graph: CourseGraph, topic: Topic, media: Media) -> None:
        self.graph, self.topic, self.media = graph, topic, media
        _, subject = graph.subject(topic.subject)
        course = graph.course
        self.context = " › ".join(html.escape(t) for t in (course.title, subject.title, topic.title))
        url = course.base_url + topic_path(topic.id).removesuffix("index.html")
        self.url = url
        self.messages = m = course_messages(graph)
        self.link = f'<a href="{html.escape(url)}">{html.escape(m.text("anki.link", topic=topic.title))}</a>'

    # ------------------------------------------------------------ study cards

    def card_note(self, card: StudyCard) -> AnkiNote:
        figure, media = self._figure(card.figure)
        common = {"Hint": "", "Figure": figure, "Context": self.context, "Link": self.link}
        if card.kind == "cloze":
            fields = {"Text": guard_cloze_math(md(card.text)), "Extra": md(card.extra), **common}
        else:
            fields = {"Front": md(card.front), "Back": md(card.back), "Extra": "", **common}
        return self._note(card.kind, f"card:{card.id}", fields, card.tags, media, card.source)

    # ------------------------------------------------------------ practice questions

    def question_note(self, question: Question, index: int) -> AnkiNote:
        figure, media = self._figure(question.figure)
        common = {"Hint": md(question.hint), "Figure": figure, "Context": self.context, "Link": self.link}
        tags = (
            *card_tags(self.graph, self.topic, "question", tuple(question.tags)),
            f"{TAG_ROOT}::question::{question.type.replace('_', '-')}",
            f"{TAG_ROOT}::difficulty::{question.difficulty}",
        )
        key = f"question:{question.id}"
        if isinstance(question, SingleChoice | MultipleAnswer | TrueFalse):
            fields = {**_choice_fields(question, self.messages), "Explanation": md(question.explanation), **common}
            return self._note("choice", key, fields, tags, media, ("questions", index))
        if isinstance(question, FillBlank):
            text, extra = _fill_blank(question, self.messages)
            fields = {"Text": guard_cloze_math(md(text)), "Extra": extra, **common}
            return self._note("cloze", key, fields, tags, media, ("questions", index))
        front, back = _basic_question(question, self.messages)
        fields = {"Front": front, "Back": back, "Extra": md(question.explanation), **common}
        return self._note("basic", key, fields, tags, media, ("questions", index))

    # ------------------------------------------------------------ helpers

    def _note(
        self,
        note_type: str,
        key: str,
        fields: dict[str, str],
        tags: tuple[str, ...],
        media: tuple[str, ...],
        source: tuple[str | int, ...],
    ) -> AnkiNote:
        ordered = {name: fields[name] for name in NOTE_TYPES[note_type].fields}
        guid = note_guid(self.graph.course.id, self.topic.id, key)
        return AnkiNote(guid, note_type, ordered, tuple(dict.fromkeys(tags)), media, source)

    def _figure(self, figure_id: str | None) -> tuple[str, tuple[str, ...]]:
        """The Figure field: the image if its bytes were given, else its title and description as text."""
        if figure_id is None:
            return "", ()
        spec: FigureSpec = self.graph.figure(figure_id)
        caption = f"<figcaption>{html.escape(spec.title)}</figcaption>"
        name = self.media.names.get(figure_id)
        if name is None:
            return f'<figure class="sg-missing">{caption}<p>{html.escape(spec.alt)}</p></figure>', ()
        image = f'<img src="{html.escape(name)}" alt="{html.escape(spec.alt)}">'
        return f"<figure>{image}{caption}</figure>", (name,)


def _choice_fields(question: SingleChoice | MultipleAnswer | TrueFalse, m: Messages) -> dict[str, str]:
    """The fields of a choice note. Every word shown comes from the fields (the templates hold none), so one note
    type serves every language: the Answer field starts with its label."""
    if isinstance(question, TrueFalse):
        options = [
            (m.text("word.true"), question.answer, question.feedback_true),
            (m.text("word.false"), not question.answer, question.feedback_false),
        ]
        instruction = m.text("anki.true_or_false")
    else:
        options = [(option.text, option.correct, option.feedback) for option in question.options]
        single = isinstance(question, SingleChoice)
        instruction = m.text("anki.choose_one" if single else "anki.choose_all")
    letters = [chr(ord("A") + i) for i in range(len(options))]
    front = "".join(f"<li>{md(text)}</li>" for text, _, _ in options)
    answer = "<br>".join(
        f"<b>{letter}</b> {md(text)}" for letter, (text, right, _) in zip(letters, options, strict=True) if right
    )
    marked = []
    for text, right, feedback in options:
        verdict = f'<span class="sg-verdict">{html.escape(m.text("mark.right" if right else "mark.wrong"))}</span>'
        note = f'<div class="sg-feedback">{md(feedback)}</div>' if feedback else ""
        state = "sg-right" if right else "sg-wrong"
        marked.append(f'<li class="{state}"><span class="sg-option">{md(text)}</span>{verdict}{note}</li>')
    return {
        "Question": md(question.prompt),
        "Instruction": html.escape(instruction),
        "Options": f'<ol class="sg-options">{front}</ol>',
        "Answer": f'<span class="sg-label">{html.escape(m.text("anki.answer"))}</span><br>{answer}',
        "Feedback": f'<ol class="sg-options sg-marked">{"".join(marked)}</ol>',
    }


def _fill_blank(question: FillBlank, m: Messages) -> tuple[str, str]:
    """The prompt with every blank as deletion 1 (one card, all blanks), and the extra text for the back."""
    text = BLANK_MARKER.sub(
        lambda m: "{{c1::" + question.blanks[int(m.group(1)) - 1].accepted[0] + "}}", question.prompt
    )
    others = [
        f"<li>{html.escape(m.text('solution.blank', number=n, answers=', '.join(blank.accepted[1:])))}</li>"
        for n, blank in enumerate(question.blanks, start=1)
        if len(blank.accepted) > 1
    ]
    extra = f"<p>{html.escape(m.text('anki.also_accepted'))}</p><ul>{''.join(others)}</ul>" if others else ""
    return text, extra + md(question.explanation)


def _number(value: float) -> str:
    return format(value, ".12g")


def _basic_question(question: Numeric | ShortAnswer | Matching | Ordering, m: Messages) -> tuple[str, str]:
    prompt = md(question.prompt)
    if isinstance(question, Matching | Ordering):  # followed by lists: keep the prompt a paragraph
        prompt = render_markdown(question.prompt, "mathjax")
    if isinstance(question, Numeric):
        unit = f" {html.escape(question.unit)}" if question.unit else ""
        if question.answer is not None:
            value = _number(question.answer) + unit
            if question.tolerance:
                value += f" (± {_number(question.tolerance)}{unit})"
        else:
            low, high = f"{_number(question.min or 0)}{unit}", f"{_number(question.max or 0)}{unit}"
            value = str(m.html("anki.between", low=Markup(low), high=Markup(high)))  # the unit is escaped above
        return prompt, f"<b>{value}</b>"
    if isinstance(question, ShortAnswer):
        first, *others = question.accepted
        also = (
            f"<br>{html.escape(m.text('anki.also_accepted'))} {', '.join(html.escape(a) for a in others)}"
            if others
            else ""
        )
        return prompt, f"<b>{html.escape(first)}</b>{also}"
    if isinstance(question, Matching):
        lefts = "".join(f"<li>{md(p.left)}</li>" for p in question.pairs)
        rights = "".join(f"<li>{md(r)}</li>" for r in sorted((p.right for p in question.pairs), key=str.casefold))
        each, one_of = html.escape(m.text("anki.match_each")), html.escape(m.text("anki.with_one_of"))
        front = f'{prompt}<p>{each}</p><ol>{lefts}</ol><p>{one_of}</p><ol class="sg-options">{rights}</ol>'
        rows = "".join(f"<tr><td>{md(p.left)}</td><td>{md(p.right)}</td></tr>" for p in question.pairs)
        return front, f"<table><tbody>{rows}</tbody></table>"
    scrambled = sorted(question.items, key=str.casefold)
    if scrambled == list(question.items):
        scrambled.reverse()
    shown = "".join(f"<li>{md(item)}</li>" for item in scrambled)
    right = "".join(f"<li>{md(item)}</li>" for item in question.items)
    return f"{prompt}<p>{html.escape(m.text('anki.put_in_order'))}</p><ul>{shown}</ul>", f"<ol>{right}</ol>"
