"""Questions prepared for the site's templates: the practice engine, printable worksheets and answer keys.

Three views of one question, each a plain dict of already-rendered (sanitised) HTML:
- `practice_view`: prompt and controls, with no hint of the answer in the page text;
- `answer_data`: what the engine needs to mark and explain an answer, embedded as JSON (`script_data.script_json`);
- `key_view`: the solution, explanation and per-option feedback, for answer keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from studygen.content.graph import CourseGraph, GraphMemo
from studygen.content.model import Question
from studygen.render.i18n import Messages, course_messages, english
from studygen.render.quizzes.questions import (
    QuizItem,
    html,
    number_text,
    numeric_range,
    only_math,
    ordinal,
    prompt_with_blanks,
    scrambled,
    seeded_order,
    spoken,
)

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _md(text: str, inline: bool = False) -> Markup:
    return Markup(html(text, "mathml", inline))  # sanitised by render_markdown


def normalise(answer: str) -> str:
    """How typed answers are compared: lower-cased, runs of white space as one space, trimmed (as quiz.js does)."""
    return " ".join(answer.lower().split())


def _figure(graph: CourseGraph, question: Question) -> dict[str, str] | None:
    if question.figure is None:
        return None
    figure = graph.figure(question.figure)
    return {"id": figure.id, "title": figure.title, "alt": figure.alt}


def _right_items(item: QuizItem) -> list[dict[str, Any]]:
    """A matching question's right-hand items, lettered, in a seeded order that does not follow the pairs."""
    pairs = item.question.pairs
    order = seeded_order(range(len(pairs)), f"match:{item.key}", key=str)
    return [
        {"value": str(index), "letter": LETTERS[n], "html": _md(pairs[index].right, inline=True),
         "text": spoken(pairs[index].right)}
        for n, index in enumerate(order)
    ]  # fmt: skip


# Views of one question, made once per build: a question shows on its topic's quiz, worksheet and answer key and
# again on its subject's and the course's, where only its number differs. The memo holds one course at a time.
_memo: GraphMemo[dict[tuple[str, ...], dict[str, Any]]] = GraphMemo()


def _memoised(graph: CourseGraph, key: tuple[str, ...], make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    views = _memo.get(graph, dict)
    if key not in views:
        views[key] = make()
    return views[key]


def forget_views(graph: CourseGraph) -> None:
    """Let this course's question views go (a page planned later makes them again)."""
    _memo.forget(graph)


def _numbered(
    graph: CourseGraph, key: tuple[str, ...], number: int, make: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """A fresh copy of the memoised view (callers may add to it), with its number."""
    return {**_memoised(graph, key, make), "number": number}


def practice_view(graph: CourseGraph, item: QuizItem, number: int, blank: str = "input") -> dict[str, Any]:
    """The question as the learner sees it. `blank` is how a fill-in blank is drawn: "input" or "line"."""
    return _numbered(graph, ("practice", item.key, blank), number, lambda: _practice_view(graph, item, blank))


def _practice_view(graph: CourseGraph, item: QuizItem, blank: str) -> dict[str, Any]:
    q = item.question
    view: dict[str, Any] = {
        "key": item.key,
        "dom_id": item.dom_id,
        "type": q.type,
        "topic": item.topic,
        "difficulty": q.difficulty,
        "hint": _md(q.hint) if q.hint else None,
        "figure": _figure(graph, q),
    }
    if q.type == "fill_blank":
        m = course_messages(graph)

        def draw(n: int) -> str:
            if blank == "input":
                label = m.html("quiz.blank", number=n)
                return (
                    f'<input type="text" class="q-blank" data-blank="{n}" aria-label="{label}" '
                    'autocomplete="off" autocapitalize="off" spellcheck="false" size="14">'
                )
            return f'<span class="ws-blank">({n})\u00a0<span class="ws-line"></span></span>'

        view["prompt"] = Markup(prompt_with_blanks(q.prompt, "mathml", draw))
        view["blanks"] = list(range(1, len(q.blanks) + 1))
    else:
        view["prompt"] = _md(q.prompt)
    if q.type in ("single_choice", "multiple_answer"):
        view["options"] = [
            {"key": str(i), "letter": LETTERS[i], "html": _md(option.text, inline=True),
             "name": spoken(option.text) if only_math(option.text) else None}
            for i, option in enumerate(q.options)
        ]  # fmt: skip
    elif q.type == "numeric":
        view["unit"] = q.unit
    elif q.type == "matching":
        view["lefts"] = [
            {"index": i, "html": _md(pair.left, inline=True), "name": spoken(pair.left)}
            for i, pair in enumerate(q.pairs)
        ]
        view["rights"] = _right_items(item)
    elif q.type == "ordering":
        keyed = [(str(i), text) for i, text in enumerate(q.items)]
        view["items"] = [
            {"key": key, "letter": LETTERS[n], "html": _md(text, inline=True), "text": spoken(text)}
            for n, (key, text) in enumerate(scrambled(keyed, f"order:{item.key}"))
        ]
    return view


def solution_html(item: QuizItem, m: Messages) -> Markup:
    """The right answer, stated in words (shown after answering, and in answer keys)."""
    q = item.question
    if q.type in ("single_choice", "multiple_answer"):
        right = [_md(o.text, inline=True) for o in q.options if o.correct]
        label = m.text("solution.correct_answer", count=len(right))
        items = Markup("").join(Markup("<li>{}</li>").format(r) for r in right)
        return Markup('<p class="q-solution-label">{}:</p><ul class="q-solution-list">{}</ul>').format(label, items)
    if q.type == "true_false":
        value = Markup("<strong>{}</strong>").format(m.text(f"solution.statement_{str(q.answer).lower()}"))
        return Markup("<p>{}</p>").format(m.html("solution.statement", value=value))
    if q.type == "numeric":
        unit = f"\u00a0{q.unit}" if q.unit else ""
        if q.answer is not None:
            within = f" (± {number_text(q.tolerance)})" if q.tolerance else ""
            answer = Markup("<strong>{}</strong>").format(number_text(q.answer) + unit)
            return Markup("<p>{}{}</p>").format(m.html("solution.correct_value", answer=answer), within)
        low, high = numeric_range(q)
        strong = Markup("<strong>{}</strong>")
        within_range = m.html(
            "solution.range", low=strong.format(number_text(low)), high=strong.format(number_text(high))
        )
        return Markup("<p>{}{}.</p>").format(within_range, unit)
    if q.type == "short_answer":
        label = m.text("solution.accepted", count=len(q.accepted))
        return Markup("<p>{}: {}</p>").format(label, Markup(", ").join(Markup("<strong>{}</strong>").format(a)
                                                                        for a in q.accepted))  # fmt: skip
    if q.type == "fill_blank":
        return Markup('<ul class="q-solution-list">{}</ul>').format(blank_answers(q, m))
    if q.type == "matching":
        rows = Markup("").join(
            Markup("<li>{} → {}</li>").format(_md(p.left, inline=True), _md(p.right, inline=True)) for p in q.pairs
        )
        return Markup('<ul class="q-solution-list">{}</ul>').format(rows)
    # ordering
    rows = Markup("").join(Markup("<li>{}</li>").format(_md(text, inline=True)) for text in q.items)
    return Markup('<p class="q-solution-label">{}</p><ol class="q-solution-list">{}</ol>').format(
        m.text("solution.correct_order"), rows
    )


def blank_answers(q: Question, m: Messages) -> Markup:
    """A fill-in-the-blank question's accepted answers, one `<li>` per blank."""
    return Markup("").join(
        Markup("<li>{}</li>").format(
            m.html(
                "solution.blank",
                number=n,
                answers=Markup(escape(m.text("word.or"))).join(
                    Markup("<strong>{}</strong>").format(a) for a in blank.accepted
                ),
            )
        )
        for n, blank in enumerate(q.blanks, start=1)
    )


def course_answer_data(graph: CourseGraph, item: QuizItem) -> dict[str, Any]:
    """`answer_data` in the course's language, made once per build (shared: not to be changed by the caller)."""
    return _memoised(graph, ("answer", item.key), lambda: answer_data(item, course_messages(graph)))


def answer_data(item: QuizItem, messages: Messages | None = None) -> dict[str, Any]:
    """What quiz.js needs to mark one question and explain it. Goes into the page as JSON, never as text.
    The solution is worded in `messages` (the course's interface strings; English if not given)."""
    q = item.question
    data: dict[str, Any] = {
        "type": q.type,
        "explanation": html(q.explanation),
        "solution": str(solution_html(item, messages or english())),
    }
    if q.type in ("single_choice", "multiple_answer"):
        data["correct"] = [str(i) for i, option in enumerate(q.options) if option.correct]
        data["feedback"] = {str(i): html(o.feedback) for i, o in enumerate(q.options) if o.feedback}
    elif q.type == "true_false":
        data["answer"] = q.answer
        data["feedback"] = {
            key: html(text) for key, text in (("true", q.feedback_true), ("false", q.feedback_false)) if text
        }
    elif q.type == "numeric":
        low, high = numeric_range(q)
        data["low"], data["high"] = low, high
    elif q.type == "short_answer":
        data["accepted"] = [normalise(a) for a in q.accepted]
        data["regex"] = q.regex
    elif q.type == "fill_blank":
        data["blanks"] = [[normalise(a) for a in blank.accepted] for blank in q.blanks]
    elif q.type == "matching":
        data["correct"] = [str(i) for i in range(len(q.pairs))]
    elif q.type == "ordering":
        data["correct"] = [str(i) for i in range(len(q.items))]
    return data


def key_view(graph: CourseGraph, item: QuizItem, number: int) -> dict[str, Any]:
    """A question in an answer key: the prompt, the answer, the explanation and what each option means."""
    return _numbered(graph, ("key", item.key), number, lambda: _key_view(graph, item))


def _key_view(graph: CourseGraph, item: QuizItem) -> dict[str, Any]:
    q = item.question
    view = dict(_memoised(graph, ("practice", item.key, "line"), lambda: _practice_view(graph, item, "line")))
    if q.type == "fill_blank":
        view["prompt"] = Markup(
            prompt_with_blanks(
                q.prompt,
                "mathml",
                lambda n: str(Markup('<mark class="ak-blank">{}</mark>').format(q.blanks[n - 1].accepted[0])),
            )
        )
    m = course_messages(graph)
    view["solution"] = solution_html(item, m)
    view["explanation"] = _md(q.explanation)
    notes = []
    if q.type in ("single_choice", "multiple_answer"):
        for i, option in enumerate(q.options):
            if option.feedback:
                notes.append({"label": LETTERS[i], "right": option.correct, "html": _md(option.feedback)})
    elif q.type == "true_false":
        for label, text in (
            (m.text("solution.if_true"), q.feedback_true),
            (m.text("solution.if_false"), q.feedback_false),
        ):
            if text:
                notes.append({"label": label, "right": None, "html": _md(text)})
    view["notes"] = notes
    if q.type == "ordering":
        letters = {entry["key"]: entry["letter"] for entry in view["items"]}
        view["order_letters"] = ", ".join(letters[str(i)] for i in range(len(q.items)))
    if q.type == "matching":
        letters = {entry["value"]: entry["letter"] for entry in view["rights"]}
        view["match_letters"] = [letters[str(i)] for i in range(len(q.pairs))]
    return view


def ordinals(count: int) -> list[str]:
    return [ordinal(n) for n in range(1, count + 1)]
