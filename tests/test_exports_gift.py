"""GIFT export: a small, strict GIFT reader written here reads every exported question back, with its answers and
feedback, and must get exactly what the content says, hostile characters and LaTeX included."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from studygen.build import check
from studygen.content.graph import CourseGraph
from studygen.render.quizzes import render_quizzes
from studygen.render.quizzes.questions import (
    QuizItem,
    export_html,
    export_prompt,
    figure_note,
    number_text,
    ordinal,
    prompt_with_blanks,
    subject_sets,
    text_for_plain_field,
    topic_sets,
)

FIXTURE = Path(__file__).parent / "fixtures" / "quiz-course"
BUNDLED = Path(__file__).parent.parent / "content"

# ---------------------------------------------------------------- a strict GIFT reader

ESCAPABLE = {"\\": "\\", "~": "~", "=": "=", "#": "#", "{": "{", "}": "}", ":": ":", "n": "\n"}
PRIVATE = 0xE000  # escaped characters are parked in the private-use area while the syntax is read


class GiftError(ValueError):
    pass


def shield(text: str) -> str:
    """Replace each escape `\\x` by a private-use character, so only unescaped characters are syntax."""
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text) or text[i + 1] not in ESCAPABLE:
                raise GiftError(f"bad escape at {i}: {text[i : i + 2]!r}")
            out.append(chr(PRIVATE + ord(ESCAPABLE[text[i + 1]])))
            i += 2
        else:
            if any(0xE000 <= ord(c) < 0xF000 for c in char):
                raise GiftError("private-use character in input")
            out.append(char)
            i += 1
    return "".join(out)


def unshield(text: str) -> str:
    return "".join(chr(ord(c) - PRIVATE) if PRIVATE <= ord(c) < PRIVATE + 0x1000 else c for c in text)


def plain(text: str) -> str:
    """Text outside the answer block must hold no unescaped syntax at all (strict: GIFT would misread it)."""
    for char in "~=#{}":
        if char in text:
            raise GiftError(f"unescaped {char!r} in {unshield(text)!r}")
    if ":" in text:
        raise GiftError(f"unescaped ':' in {unshield(text)!r}")
    return unshield(text)


@dataclass
class Answer:
    text: str
    right: bool | None = None
    weight: float | None = None
    feedback: str = ""


@dataclass
class GiftQuestion:
    title: str
    category: str | None
    text: str  # the text before the answer block
    after: str  # text after it (missing-word questions)
    kind: str  # "choice", "truefalse", "numeric", "matching", "short"
    answers: list[Answer] = field(default_factory=list)
    general: str = ""
    truth: bool | None = None
    tf_feedback: tuple[str, str] = ("", "")  # (if wrong, if right)
    number: tuple[float, float] | None = None  # (value, tolerance) or (min, max) with range=True
    is_range: bool = False
    pairs: list[tuple[str, str]] = field(default_factory=list)


def parse_gift(source: str) -> list[GiftQuestion]:
    questions: list[GiftQuestion] = []
    category = None
    for block in source.split("\n\n"):
        lines = [line for line in block.split("\n") if line.strip() and not line.startswith("//")]
        if not lines:
            continue
        if len(lines) != 1:
            raise GiftError(f"a question must be one line: {block!r}")
        line = lines[0]
        if line.startswith("$CATEGORY:"):
            category = line.removeprefix("$CATEGORY:").strip()
            continue
        questions.append(parse_question(shield(line), category))
    return questions


def parse_question(line: str, category: str | None) -> GiftQuestion:
    if not line.startswith("::"):
        raise GiftError(f"no title: {unshield(line)!r}")
    end = line.index("::", 2)
    title = plain(line[2:end])
    rest = line[end + 2 :]
    if not rest.startswith("[html]"):
        raise GiftError("text format must be [html]")
    rest = rest[len("[html]") :]
    if rest.count("{") != 1 or rest.count("}") != 1 or rest.index("{") > rest.index("}"):
        raise GiftError(f"need exactly one answer block: {unshield(rest)!r}")
    before, block_and_after = rest.split("{", 1)
    block, after = block_and_after.split("}", 1)
    question = GiftQuestion(title, category, plain(before), plain(after), kind="")
    if "####" in block:
        cut = block.rindex("####")
        block, question.general = block[:cut].strip(), plain(block[cut + 4 :])
    block = block.strip()
    if block.startswith("#"):
        question.kind = "numeric"
        value = block[1:]
        if ".." in value:
            low, high = value.split("..")
            question.number, question.is_range = (float(low), float(high)), True
        else:
            number, _, tolerance = value.partition(":")
            question.number = (float(number), float(tolerance or 0))
    elif block.split("#")[0].strip() in ("T", "F", "TRUE", "FALSE"):
        question.kind = "truefalse"
        bits = block.split("#")
        if len(bits) not in (1, 3):
            raise GiftError(f"true/false takes 0 or 2 feedbacks: {unshield(block)!r}")
        question.truth = bits[0].strip() in ("T", "TRUE")
        if len(bits) == 3:
            question.tf_feedback = (plain(bits[1].strip()), plain(bits[2].strip()))
    elif "->" in block:
        question.kind = "matching"
        for chunk in _answer_chunks(block, "="):
            left, arrow, right = chunk[1:].partition(" -> ")
            if not arrow or "->" in left:
                raise GiftError(f"bad pair: {unshield(chunk)!r}")
            question.pairs.append((plain(left.strip()), plain(right.strip())))
    else:
        chunks = _answer_chunks(block, "=~")
        question.kind = "choice" if any(c.startswith("~") for c in chunks) else "short"
        for chunk in chunks:
            marker, body = chunk[0], chunk[1:]
            answer = Answer("", right=marker == "=")
            if body.startswith("%"):
                weight, body = body[1:].split("%", 1)
                answer.weight = float(weight)
            text, _, feedback = body.partition("#")
            answer.text, answer.feedback = plain(text.strip()), plain(feedback.strip())
            question.answers.append(answer)
    return question


def _answer_chunks(block: str, markers: str) -> list[str]:
    """Split an answer block at each unescaped marker character; every chunk starts with its marker."""
    if not block or block[0] not in markers:
        raise GiftError(f"answers must start with one of {markers!r}: {unshield(block)!r}")
    chunks, start = [], 0
    for i, char in enumerate(block):
        if char in markers and i > start:
            chunks.append(block[start:i].rstrip())
            start = i
    chunks.append(block[start:].rstrip())
    return chunks


# ---------------------------------------------------------------- what each question should read back as


def expected(graph: CourseGraph, item: QuizItem) -> list[dict]:
    q = item.question
    general = export_html(q.explanation)
    text = export_prompt(graph, item)
    if q.type == "fill_blank":
        found = []
        for number, blank in enumerate(q.blanks, start=1):
            marker = f"GAP{number}"
            full = prompt_with_blanks(
                q.prompt, "mathjax", lambda n, k=number, m=marker: m if n == k else q.blanks[n - 1].accepted[0]
            )
            before, after = (full + figure_note(graph, item)).split(marker)
            title = item.key if len(q.blanks) == 1 else f"{item.key} (blank {number})"
            found.append({"title": title, "text": before, "after": after, "kind": "short", "general": general,
                          "answers": [(a, True, None, "") for a in blank.accepted]})  # fmt: skip
        return found
    base = {"title": item.key, "text": text, "after": "", "general": general}
    if q.type == "single_choice":
        answers = [(export_html(o.text, inline=True), o.correct, None, export_html(o.feedback)) for o in q.options]
        return [{**base, "kind": "choice", "answers": answers}]
    if q.type == "multiple_answer":
        right = sum(o.correct for o in q.options)
        wrong = len(q.options) - right
        answers = [
            (export_html(o.text, inline=True), False, round(100 / right if o.correct else -100 / wrong, 2),
             export_html(o.feedback))
            for o in q.options
        ]  # fmt: skip
        return [{**base, "kind": "choice", "answers": answers}]
    if q.type == "true_false":
        fb_true, fb_false = export_html(q.feedback_true), export_html(q.feedback_false)
        pair = (fb_false, fb_true) if q.answer else (fb_true, fb_false)
        return [{**base, "kind": "truefalse", "truth": q.answer, "tf_feedback": pair}]
    if q.type == "numeric":
        if q.answer is not None:
            return [{**base, "kind": "numeric", "number": (q.answer, q.tolerance), "is_range": False}]
        return [{**base, "kind": "numeric", "number": (q.min, q.max), "is_range": True}]
    if q.type == "short_answer":
        answers = [(a.replace("*", "\\*"), True, None, "") for a in q.accepted]
        return [{**base, "kind": "short", "answers": answers}]
    if q.type == "matching":
        pairs = [(export_html(p.left, inline=True), text_for_plain_field(p.right)) for p in q.pairs]
        return [{**base, "kind": "matching", "pairs": sorted(pairs)}]
    pairs = [(export_html(text, inline=True), ordinal(n)) for n, text in enumerate(q.items, start=1)]
    return [{**base, "kind": "matching", "pairs": sorted(pairs)}]


def observed(question: GiftQuestion) -> dict:
    found = {"title": question.title, "text": question.text, "after": question.after, "kind": question.kind,
             "general": question.general}  # fmt: skip
    if question.kind in ("choice", "short"):
        found["answers"] = [
            (a.text, a.right, None if a.weight is None else round(a.weight, 2), a.feedback) for a in question.answers
        ]
    elif question.kind == "truefalse":
        found["truth"], found["tf_feedback"] = question.truth, question.tf_feedback
    elif question.kind == "numeric":
        found["number"], found["is_range"] = question.number, question.is_range
    elif question.kind == "matching":
        found["pairs"] = sorted(question.pairs)
    return found


# ---------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def graph() -> CourseGraph:
    return check(FIXTURE)[0]


@pytest.fixture(scope="module")
def outputs(graph: CourseGraph) -> dict[str, bytes]:
    return render_quizzes(graph)


def round_trip(graph: CourseGraph, outputs: dict[str, bytes]) -> set[str]:
    seen_types = set()
    for quiz in topic_sets(graph) + subject_sets(graph):
        parsed = parse_gift(outputs[f"{quiz.kind}-{quiz.id}.gift.txt"].decode("utf-8"))
        wanted = [entry for item in quiz.items for entry in expected(graph, item)]
        assert [observed(p) for p in parsed] == wanted
        seen_types |= {item.question.type for item in quiz.items}
        topics = {item.topic.id: item.topic.title for item in quiz.items}
        assert {p.category.rsplit("/", 1)[-1] for p in parsed} == set(topics.values())
    return seen_types


def test_every_question_round_trips(graph: CourseGraph, outputs: dict[str, bytes]) -> None:
    assert len(round_trip(graph, outputs)) == 8


def test_bundled_course_round_trips() -> None:
    graph = check(BUNDLED)[0]
    round_trip(graph, render_quizzes(graph))


def test_hostile_characters_survive(graph: CourseGraph, outputs: dict[str, bytes]) -> None:
    parsed = {q.title: q for q in parse_gift(outputs["topic-all-types.gift.txt"].decode("utf-8"))}
    first = parsed["all-types/pick-one"]
    for char in "{}=~#:":
        assert char in first.text
    assert first.answers[0].text == r"\(y = \mathcal{F}(x, \{W_i\}) + x\)"
    assert first.answers[0].feedback == "<p>Right: the {shortcut} adds x = input.</p>"
    assert first.answers[1].feedback == "<p>Wrong # there is no addition: none.</p>"
    assert r"\(\nabla E\)" in first.general  # `\n` in LaTeX must not turn into a newline
    assert parsed["all-types/match-up"].pairs[0][0].startswith(r"\(\lambda\) -&gt; scale")
    raw = outputs["topic-all-types.gift.txt"].decode("utf-8")
    assert r"\\mathcal\{F\}(x, \\\{W_i\\\})" in raw


def test_reader_is_strict() -> None:
    with pytest.raises(GiftError):
        parse_gift("::t::[html]a = b{=x ~y}")  # unescaped = in the text
    with pytest.raises(GiftError):
        parse_gift("::t::[html]text{=x ~y} and {more}")
    with pytest.raises(GiftError):
        parse_gift("::t::[html]bad \\q escape{T}")
    assert parse_gift("::t::[html]a \\= b{=x#fine ~y}")[0].answers[0].feedback == "fine"


def test_numbers_are_written_plainly(graph: CourseGraph, outputs: dict[str, bytes]) -> None:
    raw = outputs["topic-all-types.gift.txt"].decode("utf-8")
    assert "{#6.61:0.05 ####" in raw
    assert "{#19..21 ####" in raw
    assert number_text(20.0) == "20"
