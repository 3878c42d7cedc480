"""Moodle XML question files, the reverse of `studygen.render.quizzes.moodle`.

| `<question type=...>` | becomes |
|---|---|
| `multichoice` | single_choice with `<single>true</single>`, else multiple_answer (right = fraction > 0) |
| `truefalse` | true_false (answer `true`/`false` with fraction 100; each answer's feedback to its side) |
| `numerical` | numeric: the first full-credit answer and its `<tolerance>`; the first `<unit>` |
| `shortanswer` | short_answer: the full-credit answers (`\\*` is a literal `*`) |
| `cloze` (multianswer) | fill_blank: each `{1:SHORTANSWER:%100%a~%100%b}` gap (also SA, MW) becomes `[[n]]` |
| `matching` | matching (subquestions without text are Moodle's extra distractors: dropped) |
| `ordering` | ordering: answers by their fraction (position), then document order |
| `category` | skipped |

Everywhere: `<name>` gives the id (`topic/question` -> `question`), `<generalfeedback>` the explanation, the
first `<hint>` the hint; tags `difficulty-easy|medium|hard` set the difficulty, `topic-...` tags are ours and are
dropped, other tags are kept (as slugs). HTML is converted to Markdown (studygen.importers.markup). Other
question types (essay, description, drag and drop, calculated, ...) are skipped with a warning.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from studygen.importers.common import (
    TODO,
    Ids,
    Imported,
    Item,
    fail,
    question_id,
    read_text,
    split_figure_note,
    tidy_question,
    to_tag,
)
from studygen.importers.markup import html_to_markdown, plain_to_markdown

_GAP = re.compile(r"\{(\d*):(SHORTANSWER|SA|MW|SHORTANSWER_C|SAC|MWC):((?:\\.|[^\\}])*)\}")
_ANY_GAP = re.compile(r"\{\d*:[A-Z_]+:")
_TOKEN = "QUIZBLANK{}X"
_DIFFICULTIES = ("easy", "medium", "hard")


@dataclass
class Element:
    """An XML element with the line it starts on (ElementTree forgets lines; errors need them)."""

    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Element] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str) -> Element | None:
        return next((child for child in self.children if child.tag == tag), None)

    def findall(self, tag: str) -> list[Element]:
        return [child for child in self.children if child.tag == tag]

    def value(self, tag: str, default: str = "") -> str:
        """The text of a child, or of its `<text>` child (Moodle wraps most values in one)."""
        child = self.find(tag)
        if child is None:
            return default
        inner = child.find("text")
        return (inner.text if inner is not None else child.text).strip()


def parse_xml(path: Path, source: str) -> Element:
    parser = expat.ParserCreate()
    root = Element("#document", {}, 1)
    stack = [root]

    def start(tag: str, attrs: dict[str, str]) -> None:
        element = Element(tag, attrs, parser.CurrentLineNumber)
        stack[-1].children.append(element)
        stack.append(element)

    def end(tag: str) -> None:
        stack.pop()

    def data(text: str) -> None:
        stack[-1].text += text

    def doctype(*_: object) -> None:
        raise ValueError("a DOCTYPE is not allowed in a question file")

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, data
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(source, True)
    except expat.ExpatError as error:
        raise fail(path, error.lineno, f"is not well-formed XML: {expat.ErrorString(error.code)}",
                   column=error.offset + 1) from None  # fmt: skip
    except ValueError as error:
        raise fail(path, parser.CurrentLineNumber, str(error)) from None
    return root


def read_moodle_xml(path: Path, figures: dict[str, str] | None = None) -> Imported:
    root = parse_xml(path, read_text(path))
    quiz = root.find("quiz")
    if quiz is None:
        raise fail(path, 1, "is not a Moodle XML question file (no <quiz> element)")
    imported = Imported(path)
    ids = Ids()
    skipped: dict[str, int] = {}
    missing = []
    for element in quiz.findall("question"):
        kind = element.attrs.get("type", "")
        if kind == "category":
            continue
        reader = _Reader(path, element, figures or {}, imported)
        try:
            data = reader.read(kind)
        except _Skip as why:
            imported.warnings.append(f"{path}:{element.line}: skipped '{element.value('name')}': {why}")
            continue
        if data is None:
            skipped[kind] = skipped.get(kind, 0) + 1
            continue
        if not data.get("explanation"):
            data["explanation"] = f"{TODO}: explain the answer."
            missing.append(element.line)
        data = {"id": question_id(element.value("name"), data["prompt"], ids), **data}
        imported.questions.append(Item(tidy_question(data), element.line))
    for kind, count in sorted(skipped.items()):
        imported.warnings.append(f"{path}: skipped {count} question(s) of type '{kind}' (no such type in studygen)")
    if missing:
        lines = ", ".join(str(n) for n in missing)
        imported.warnings.append(f"{path}: no general feedback at line(s) {lines}: write the explanations")
    return imported


class _Skip(Exception):
    """A question that is read but cannot become studygen content; the message says why."""


def _split_unescaped(text: str, separator: str) -> list[str]:
    """Split at each separator that is not escaped with a backslash (escapes are kept for the caller)."""
    parts, current, i = [], "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current, i = current + text[i : i + 2], i + 2
        elif text[i] == separator:
            parts, current, i = [*parts, current], "", i + 1
        else:
            current, i = current + text[i], i + 1
    return [*parts, current]


class _Reader:
    def __init__(self, path: Path, element: Element, figures: dict[str, str], imported: Imported) -> None:
        self.path, self.element, self.figures, self.imported = path, element, figures, imported

    def error(self, message: str, hint: str = "", at: Element | None = None) -> Exception:
        return fail(self.path, (at or self.element).line, message, hint, field=self.element.value("name"))

    def html(self, parent: Element, tag: str) -> str:
        """A rich-text child (`<tag format="html"><text>`) as Markdown."""
        child = parent.find(tag)
        if child is None:
            return ""
        return self.rich(child, parent.value(tag))

    def rich(self, element: Element, text: str) -> str:
        fmt = element.attrs.get("format", "html")
        if fmt == "html":
            return html_to_markdown(text)
        return text.strip() if fmt == "markdown" else plain_to_markdown(text)

    def answers(self) -> list[tuple[float, Element]]:
        found = []
        for answer in self.element.findall("answer"):
            try:
                found.append((float(answer.attrs.get("fraction", "0")), answer))
            except ValueError:
                raise self.error(f"fraction {answer.attrs['fraction']!r} is not a number", at=answer) from None
        return found

    def read(self, kind: str) -> dict | None:
        q = self.element
        text_element = q.find("questiontext")
        if text_element is None:
            raise self.error("has no <questiontext>")
        raw_text = q.value("questiontext")
        figure = None
        if text_element.attrs.get("format", "html") == "html":
            raw_text, figure, title = split_figure_note(raw_text, self.figures)
            if title and figure is None:
                self.imported.warnings.append(
                    f"{self.path}:{q.line}: figure “{title}” is not in the course; its note stays in the prompt"
                )
        base: dict = {"explanation": self.html(q, "generalfeedback")}
        hint = q.find("hint")
        if hint is not None:
            base["hint"] = self.rich(hint, q.value("hint"))
        tags = [t.value("text") or t.text.strip() for t in (q.find("tags") or Element("", {}, 0)).findall("tag")]
        for tag in tags:
            if tag.startswith("difficulty-") and tag.removeprefix("difficulty-") in _DIFFICULTIES:
                base["difficulty"] = tag.removeprefix("difficulty-")
        own = [to_tag(t) for t in tags if not t.startswith(("difficulty-", "topic-"))]
        base["tags"] = [t for t in dict.fromkeys(own) if t]
        if figure:
            base["figure"] = figure
        if kind == "cloze":
            return {**self.cloze(raw_text, text_element), **base}
        prompt = self.rich(text_element, raw_text)
        method = {
            "multichoice": self.multichoice,
            "truefalse": self.truefalse,
            "numerical": self.numerical,
            "shortanswer": self.shortanswer,
            "matching": self.matching,
            "ordering": self.ordering,
        }.get(kind)
        if method is None:
            return None
        return {"prompt": prompt, **method(), **base}

    def multichoice(self) -> dict:
        single = self.element.value("single", "true").lower() in ("true", "1")
        options = []
        for fraction, answer in self.answers():
            text = self.rich(answer, answer.value("text"))
            options.append({"text": text, "correct": fraction > 0, "feedback": self.html(answer, "feedback")})
        return {"type": "single_choice" if single else "multiple_answer", "options": options}

    def truefalse(self) -> dict:
        result: dict = {"type": "true_false"}
        for fraction, answer in self.answers():
            side = answer.value("text").lower()
            if side not in ("true", "false"):
                raise self.error(f"a true/false answer must be `true` or `false`, not {side!r}", at=answer)
            if fraction >= 100:
                result["answer"] = side == "true"
            result[f"feedback_{side}"] = self.html(answer, "feedback")
        if "answer" not in result:
            raise self.error("no answer of a true/false question has fraction 100")
        return result

    def numerical(self) -> dict:
        for fraction, answer in self.answers():
            if fraction < 100:
                continue
            try:
                value = float(answer.value("text"))
                tolerance = abs(float(answer.value("tolerance", "0") or 0))
            except ValueError:
                raise self.error(f"cannot read the number {answer.value('text')!r}", at=answer) from None
            result: dict = {"type": "numeric", "answer": value, "tolerance": tolerance}
            units = self.element.find("units")
            unit = units.find("unit") if units is not None else None
            if unit is not None and unit.value("unit_name"):
                result["unit"] = unit.value("unit_name")
            return result
        raise self.error("a numerical question needs an answer with fraction 100")

    def shortanswer(self) -> dict:
        accepted = [a.value("text").replace("\\*", "*") for f, a in self.answers() if f >= 100 and a.value("text")]
        if len(accepted) < len(self.answers()):
            self.imported.warnings.append(f"{self.path}:{self.element.line}: partial-credit answers dropped")
        if not accepted:
            raise self.error("a short-answer question needs an answer with fraction 100")
        return {"type": "short_answer", "accepted": accepted}

    def matching(self) -> dict:
        pairs = []
        for sub in self.element.findall("subquestion"):
            left = self.rich(sub, sub.value("text")) if sub.value("text") else ""
            right = sub.find("answer")
            if left:
                pairs.append({"left": left, "right": plain_to_markdown(html.unescape(right.value("text")) if right
                                                                       else "")})  # fmt: skip
        return {"type": "matching", "pairs": pairs}

    def ordering(self) -> dict:
        ranked = sorted(enumerate(self.answers()), key=lambda item: (item[1][0], item[0]))
        return {"type": "ordering", "items": [self.rich(a, a.value("text")) for _, (_, a) in ranked]}

    def cloze(self, raw_text: str, element: Element) -> dict:
        blanks: list[dict] = []

        def gap(match: re.Match[str]) -> str:
            accepted = []
            for part in _split_unescaped(match.group(3), "~"):
                weight = re.match(r"%(-?\d+(?:\.\d+)?)%|=", part)
                if weight is None or (weight.group(1) is not None and float(weight.group(1)) < 100):
                    continue
                answer = re.sub(r"\\(.)", r"\1", _split_unescaped(part[weight.end() :], "#")[0])
                accepted.append(html.unescape(answer).replace("\\*", "*"))
            if not accepted:
                raise self.error(f"gap {len(blanks) + 1} has no full-credit answer")
            blanks.append({"accepted": accepted})
            return _TOKEN.format(len(blanks))

        marked = _GAP.sub(gap, raw_text)
        if _ANY_GAP.search(marked):
            raise _Skip("it has a gap of a kind studygen cannot import (only SHORTANSWER, SA and MW gaps)")
        prompt = self.rich(element, marked)
        for number in range(1, len(blanks) + 1):
            prompt = prompt.replace(_TOKEN.format(number), f"[[{number}]]")
        return {"type": "fill_blank", "prompt": prompt, "blanks": blanks}
