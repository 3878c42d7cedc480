"""GIFT question files (Moodle's text format), the reverse of `studygen.render.quizzes.gift`.

Questions are separated by blank lines; `//` lines are comments; `$CATEGORY:` lines are skipped. A question is
`::title::[format]text{answers}` (title and format optional), with `\\~ \\= \\# \\{ \\} \\: \\\\` and `\\n` as
escapes. What each answer block becomes:

| block | becomes |
|---|---|
| `{=right#fb ~wrong#fb}` | single_choice |
| `{~%50%a ~%50%b ~%-100%c}` (weights, more than one right or a negative one) | multiple_answer (right = weight > 0) |
| `{T}` / `{TRUE#if wrong#if right}` | true_false (the two feedbacks go to the answers they belong to) |
| `{#value:tolerance}`, `{#min..max}` | numeric (of several numeric answers, the first full-credit one) |
| `{=a =b}` at the end of the text | short_answer (`\\*` is read as a literal `*`) |
| `{=a =b}` with text after it | fill_blank; our per-blank questions `key (blank N)` are joined into one again |
| `{=left -> right ...}` | matching; if the right sides are exactly 1st, 2nd, ... it is an ordering question |
| `####text` inside the block | explanation (the general feedback) |

`[html]` text is converted to Markdown (see studygen.importers.markup); `[markdown]` is kept; `[plain]` and
`[moodle]` are taken as text. Titles give the ids (`topic/question` -> `question`). GIFT has no difficulty, hint,
tags or unit: those get their defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

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
)
from studygen.importers.markup import html_to_markdown, plain_to_markdown

ESCAPES = {"\\": "\\", "~": "~", "=": "=", "#": "#", "{": "{", "}": "}", ":": ":", "n": "\n"}
PRIVATE = 0xF0000  # escaped characters are parked in a private-use plane while the syntax is read
_BLANK_TITLE = re.compile(r"^(.*) \(blank (\d+)\)$")
_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TOKEN = "QUIZBLANK{}X"


def shield(text: str) -> str:
    """Each escape `\\x` -> one private-use character, so that every remaining `~ = # { } :` is syntax."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in ESCAPES:
            out.append(chr(PRIVATE + ord(ESCAPES[text[i + 1]])))
            i += 2
        else:
            out.append(text[i])  # a lone backslash (e.g. LaTeX written without escaping) stays itself
            i += 1
    return "".join(out)


def unshield(text: str) -> str:
    return "".join(chr(ord(c) - PRIVATE) if ord(c) >= PRIVATE else c for c in text)


@dataclass
class _Raw:
    """One question as read: title, format, the text before and after the block, the block, where it starts."""

    title: str
    fmt: str
    before: str
    block: str
    after: str
    line: int


def read_gift(path: Path, figures: dict[str, str] | None = None) -> Imported:
    figures = figures or {}
    imported = Imported(path)
    raws = [raw for raw in _split(path, read_text(path)) if raw is not None]
    ids = Ids()
    missing_explanations = []
    index = 0
    while index < len(raws):
        raw = raws[index]
        group = [raw]
        base = _BLANK_TITLE.match(raw.title)
        if base and base.group(2) == "1":
            while index + len(group) < len(raws):
                following = _BLANK_TITLE.match(raws[index + len(group)].title)
                if not following or following.group(1) != base.group(1):
                    break
                group.append(raws[index + len(group)])
        index += len(group)
        reader = _QuestionReader(path, raw, figures, imported)
        data = reader.fill_blank(group) if len(group) > 1 else reader.read()
        if data is None:
            continue
        if not data.get("explanation"):
            data["explanation"] = f"{TODO}: explain the answer."
            missing_explanations.append(raw.line)
        title = base.group(1) if base and len(group) > 1 else raw.title
        data = {"id": question_id(title, data["prompt"], ids), **data}
        imported.questions.append(Item(tidy_question(data), raw.line))
    if missing_explanations:
        lines = ", ".join(str(n) for n in missing_explanations)
        imported.warnings.append(f"{path}: no general feedback (####) at line(s) {lines}: write the explanations")
    return imported


def _split(path: Path, text: str) -> list[_Raw | None]:
    """Questions separated by blank lines, comments and category lines dropped."""
    found: list[_Raw | None] = []
    block: list[str] = []
    start = 0
    for number, line in enumerate([*text.split("\n"), ""], start=1):
        stripped = line.strip()
        if stripped.startswith("//") or stripped.startswith("$CATEGORY:"):
            continue
        if stripped:
            if not block:
                start = number
            block.append(line)
        elif block:
            found.append(_parse(path, "\n".join(block), start))
            block = []
    return found


def _position(source: str, index: int, first_line: int) -> tuple[int, int]:
    line = first_line + source.count("\n", 0, index)
    return line, index - (source.rfind("\n", 0, index) + 1) + 1


def _parse(path: Path, source: str, line: int) -> _Raw:
    text = shield(source)
    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise fail(path, line, "the title has no closing `::`", "write ::title::text{answers}")
        title, text = unshield(text[2:end]).strip(), text[end + 2 :]
    offset = len(source) - len(text)  # shielding shortens escapes, so positions below are approximate
    text = text.lstrip()
    fmt = "moodle"
    match = re.match(r"\[(html|markdown|plain|moodle)\]", text)
    if match:
        fmt, text = match.group(1), text[match.end() :]
    opening = text.find("{")
    if opening < 0:
        raise fail(path, line, "has no answer block {...}", "descriptions without answers are not imported")
    closing = text.find("}", opening)
    if closing < 0:
        where = _position(source, offset + opening, line)
        raise fail(path, where[0], "the answer block has no closing `}`", "escape a literal brace as \\{",
                   column=where[1])  # fmt: skip
    if "{" in text[opening + 1 : closing] or "{" in text[closing + 1 :] or "}" in text[closing + 1 :]:
        raise fail(path, line, "has more than one answer block, or an unescaped brace",
                   "escape literal braces as \\{ and \\}")  # fmt: skip
    if "}" in text[:opening]:
        raise fail(path, line, "has an unescaped `}` before the answer block", "escape it as \\}")
    return _Raw(title, fmt, text[:opening], text[opening + 1 : closing], text[closing + 1 :], line)


class _QuestionReader:
    def __init__(self, path: Path, raw: _Raw, figures: dict[str, str], imported: Imported) -> None:
        self.path, self.raw, self.figures, self.imported = path, raw, figures, imported

    def error(self, message: str, hint: str = "") -> Exception:
        return fail(self.path, self.raw.line, message, hint, field=self.raw.title)

    # ------------------------------------------------------------ text

    def text(self, shielded: str) -> str:
        value = unshield(shielded).strip()
        if self.raw.fmt == "html":
            return html_to_markdown(value)
        if self.raw.fmt == "markdown":
            return value
        return plain_to_markdown(value)

    def prompt(self, shielded: str) -> tuple[str, str | None]:
        value = unshield(shielded).strip()
        figure = None
        if self.raw.fmt == "html":
            value, figure, title = split_figure_note(value, self.figures)
            if title and figure is None:
                self.imported.warnings.append(
                    f"{self.path}:{self.raw.line}: figure “{title}” is not in the course; its note stays in the prompt"
                )
            return html_to_markdown(value), figure
        return self.text(shielded), figure

    def block_parts(self) -> tuple[str, str]:
        """(answers, general feedback)."""
        block = self.raw.block
        answers, _, general = block.partition("####")
        return answers.strip(), self.text(general) if general.strip() else ""

    # ------------------------------------------------------------ question kinds

    def read(self) -> dict | None:
        answers, explanation = self.block_parts()
        base: dict = {"explanation": explanation}
        prompt, figure = self.prompt(self.raw.before)
        if figure:
            base["figure"] = figure
        if answers.startswith("#"):
            return {"type": "numeric", "prompt": prompt, **self.numeric(answers[1:]), **base}
        words = answers.split("#")
        if words[0].strip() in ("T", "F", "TRUE", "FALSE"):
            return {"type": "true_false", "prompt": prompt, **self.true_false(words), **base}
        if not answers:
            raise self.error("the answer block is empty", "essay questions {} are not imported")
        chunks = self.chunks(answers)
        if all(c.startswith("=") for c in chunks) and any("->" in c for c in chunks):
            return {**self.matching(prompt, chunks), **base}
        if all(c.startswith("=") for c in chunks):  # only right answers: typed in, not chosen
            if unshield(self.raw.after).strip():
                return self.fill_blank([self.raw])
            return {"type": "short_answer", "prompt": prompt, "accepted": self.accepted(chunks), **base}
        data = self.choice(chunks)
        if unshield(self.raw.after).strip():
            prompt = html_to_markdown(unshield(self.raw.before + "_____" + self.raw.after).strip()) if (
                self.raw.fmt == "html") else self.text(self.raw.before + "_____" + self.raw.after)  # fmt: skip
        return {**data, "prompt": prompt, **base}

    def chunks(self, answers: str) -> list[str]:
        if answers[0] not in "=~":
            raise self.error(f"answers must start with = or ~, not {unshield(answers[:20])!r}")
        found, start = [], 0
        for index, char in enumerate(answers):
            if char in "=~" and index > start:
                found.append(answers[start:index].strip())
                start = index
        found.append(answers[start:].strip())
        return found

    def weighted(self, chunk: str) -> tuple[float | None, str, str]:
        """`=%50%text#feedback` -> (weight or None, text, feedback), shielded."""
        body = chunk[1:].strip()
        weight = None
        match = re.match(rf"%({_NUMBER})%", body)
        if match:
            weight, body = float(match.group(1)), body[match.end() :]
        text, _, feedback = body.partition("#")
        return weight, text, feedback

    def choice(self, chunks: list[str]) -> dict:
        options, weights = [], []
        for chunk in chunks:
            weight, text, feedback = self.weighted(chunk)
            if weight is None:
                weight = 100.0 if chunk.startswith("=") else 0.0
            weights.append(weight)
            options.append({"text": self.text(text), "correct": weight > 0, "feedback": self.text(feedback)})
        single = sum(w > 0 for w in weights) == 1 and max(weights) == 100 and min(weights) >= 0
        return {"type": "single_choice" if single else "multiple_answer", "options": options}

    def true_false(self, words: list[str]) -> dict:
        answer = words[0].strip() in ("T", "TRUE")
        feedbacks = [self.text(word) for word in words[1:]]
        if len(feedbacks) > 2:
            raise self.error("a true/false question takes at most two feedbacks (#if wrong#if right)")
        if_wrong, if_right = ([*feedbacks, "", ""])[:2]
        chosen_true, chosen_false = (if_right, if_wrong) if answer else (if_wrong, if_right)
        return {"answer": answer, "feedback_true": chosen_true, "feedback_false": chosen_false}

    def numeric(self, body: str) -> dict:
        options = [body] if not body.lstrip().startswith("=") else self.chunks(body.strip())
        for option in options:
            weight, value, _ = self.weighted(option) if option.startswith("=") else (None, option, "")
            if weight not in (None, 100):
                continue
            value = unshield(value).strip()
            span = re.fullmatch(rf"({_NUMBER})\s*\.\.\s*({_NUMBER})", value)
            if span:
                return {"min": float(span.group(1)), "max": float(span.group(2))}
            point = re.fullmatch(rf"({_NUMBER})(?:\s*:\s*({_NUMBER}))?", value)
            if point:
                return {"answer": float(point.group(1)), "tolerance": abs(float(point.group(2) or 0))}
            raise self.error(f"cannot read the number {value!r}", "write {#value:tolerance} or {#min..max}")
        raise self.error("a numeric question needs a full-credit answer")

    def accepted(self, chunks: list[str]) -> list[str]:
        found = []
        for chunk in chunks:
            weight, text, _ = self.weighted(chunk)
            if weight not in (None, 100):
                self.imported.warnings.append(f"{self.path}:{self.raw.line}: partial-credit answer dropped")
                continue
            value = unshield(text).strip().replace("\\*", "*")
            if value:
                found.append(value)
        if not found:
            raise self.error("no full-credit answer")
        return found

    def matching(self, prompt: str, chunks: list[str]) -> dict:
        pairs = []
        for chunk in chunks:
            left, arrow, right = chunk[1:].partition("->")
            if not arrow:
                raise self.error(f"a matching answer needs `->`: {unshield(chunk)!r}")
            left_text = self.text(left) if left.strip() else ""
            pairs.append({"left": left_text, "right": plain_to_markdown(unshield(right))})
        pairs = [pair for pair in pairs if pair["left"]]  # Moodle's extra distractors (no left side) are dropped
        positions = [_ORDINAL.match(pair["right"]) for pair in pairs]
        if all(positions) and sorted(int(m.group(1)) for m in positions) == list(range(1, len(pairs) + 1)):
            order = sorted(zip(positions, pairs, strict=True), key=lambda mp: int(mp[0].group(1)))
            return {"type": "ordering", "prompt": prompt, "items": [pair["left"] for _, pair in order]}
        return {"type": "matching", "prompt": prompt, "pairs": pairs}

    def fill_blank(self, group: list[_Raw]) -> dict:
        """Missing-word questions (one per blank) -> one fill_blank: find each blank in the fully filled text."""
        blanks, befores, afters = [], [], []
        for raw in group:
            reader = _QuestionReader(self.path, raw, self.figures, self.imported)
            answers, _explanation = reader.block_parts()
            chunks = reader.chunks(answers)
            blanks.append(reader.accepted(chunks))
            befores.append(unshield(raw.before).lstrip())
            afters.append(unshield(raw.after).rstrip())
        full = befores[0] + blanks[0][0] + afters[0]
        places = []
        for number, (before, accepted) in enumerate(zip(befores, blanks, strict=True), start=1):
            start = len(before)
            if full[:start] != before or full[start : start + len(accepted[0])] != accepted[0]:
                raise self.error(
                    f"blank {number} does not fit the text of blank 1",
                    "the questions `... (blank N)` must come from one fill-in-the-blank question",
                )
            places.append((start, number, len(accepted[0])))
        marked = full
        for start, number, length in sorted(places, reverse=True):
            marked = marked[:start] + _TOKEN.format(number) + marked[start + length :]
        figure = None
        if self.raw.fmt == "html":
            marked, figure, _ = split_figure_note(marked, self.figures)
            prompt = html_to_markdown(marked)
        else:
            prompt = self.text(marked)
        for number in range(1, len(group) + 1):
            prompt = prompt.replace(_TOKEN.format(number), f"[[{number}]]")
        explanation = self.block_parts()[1]
        data: dict = {"type": "fill_blank", "prompt": prompt, "blanks": [{"accepted": a} for a in blanks]}
        data["explanation"] = explanation
        if figure:
            data["figure"] = figure
        return data
