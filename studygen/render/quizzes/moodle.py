"""Moodle XML: one `<quiz>` file per topic and per subject, with a question category per topic.

Type mapping (see docs/quizzes.md): single_choice and multiple_answer -> multichoice (single true/false);
true_false -> truefalse; numeric -> numerical (a range becomes its midpoint with half its width as tolerance);
short_answer -> shortanswer (`*` escaped, since Moodle reads it as a wildcard; `regex` is dropped);
fill_blank -> cloze (multianswer) with one SHORTANSWER gap per blank; matching -> matching;
ordering -> ordering (the Ordering question type, standard since Moodle 4.4; answers listed in the right order).
Text is HTML with math as `\\(...\\)` for Moodle's MathJax filter.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET

from studygen.content.graph import CourseGraph
from studygen.render.markup import plain_text
from studygen.render.quizzes.questions import (
    QuizItem,
    QuizSet,
    export_html,
    export_prompt,
    number_text,
    numeric_range,
    prompt_with_blanks,
    text_for_plain_field,
)

# Moodle accepts only these grades for an answer (question/format.php); multiple-answer shares are snapped to them.
MOODLE_GRADES = (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667, 14.28571,
                 12.5, 11.11111, 10, 5, 0)  # fmt: skip


def share(count: int) -> float:
    """100/count as the nearest grade Moodle accepts (exact for 1 to 10)."""
    return min(MOODLE_GRADES, key=lambda grade: abs(grade - 100 / count))


def grade_text(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def moodle_xml(graph: CourseGraph, quiz: QuizSet) -> bytes:
    root = ET.Element("quiz")
    current_topic = None
    for item in quiz.items:
        if item.topic.id != current_topic:
            current_topic = item.topic.id
            root.append(_category(graph, item))
        root.append(_question(graph, item))
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def category_path(graph: CourseGraph, item: QuizItem) -> str:
    """`$course$/Course/Subject/Topic` as plain text (titles are content: no markup reaches a category name).
    Moodle separates category levels with "/" and reads "//" as a literal slash."""
    levels = [graph.course.title, graph.subject(item.topic.subject)[1].title, item.topic.title]
    return "$course$/" + "/".join(plain_text(level).replace("/", "//") for level in levels)


def _category(graph: CourseGraph, item: QuizItem) -> ET.Element:
    question = ET.Element("question", type="category")
    _text(ET.SubElement(question, "category"), category_path(graph, item))
    return question


def _text(parent: ET.Element, value: str) -> ET.Element:
    ET.SubElement(parent, "text").text = value
    return parent


def _html(parent: ET.Element, tag: str, value: str) -> ET.Element:
    return _text(ET.SubElement(parent, tag, format="html"), value)


def _answer(parent: ET.Element, fraction: float, text: str, feedback: str = "", fmt: str = "html") -> ET.Element:
    answer = ET.SubElement(parent, "answer", fraction=grade_text(fraction), format=fmt)
    _text(answer, text)
    _html(answer, "feedback", feedback)
    return answer


def _question(graph: CourseGraph, item: QuizItem) -> ET.Element:
    q = item.question
    kind = {
        "single_choice": "multichoice",
        "multiple_answer": "multichoice",
        "true_false": "truefalse",
        "numeric": "numerical",
        "short_answer": "shortanswer",
        "fill_blank": "cloze",
        "matching": "matching",
        "ordering": "ordering",
    }[q.type]
    element = ET.Element("question", type=kind)
    _text(ET.SubElement(element, "name"), item.key)
    if q.type == "fill_blank":
        text = prompt_with_blanks(q.prompt, "mathjax", lambda n: _cloze_gap(q.blanks[n - 1].accepted))
        if q.figure:
            text += export_prompt(graph, item).removeprefix(export_html(q.prompt))
    else:
        text = export_prompt(graph, item)
    _html(element, "questiontext", text)
    _html(element, "generalfeedback", export_html(q.explanation))
    ET.SubElement(element, "defaultgrade").text = "1"
    ET.SubElement(element, "penalty").text = "0.3333333"
    ET.SubElement(element, "hidden").text = "0"
    ET.SubElement(element, "idnumber").text = item.key
    if q.type in ("single_choice", "multiple_answer"):
        single = q.type == "single_choice"
        ET.SubElement(element, "single").text = "true" if single else "false"
        ET.SubElement(element, "shuffleanswers").text = "true"
        ET.SubElement(element, "answernumbering").text = "abc"
        _combined_feedback(element)
        right = sum(option.correct for option in q.options)
        wrong = len(q.options) - right
        for option in q.options:
            right_grade, wrong_grade = (100, 0) if single else (share(right), -share(wrong))
            fraction = right_grade if option.correct else wrong_grade
            _answer(element, fraction, export_html(option.text, inline=True), export_html(option.feedback))
    elif q.type == "true_false":
        for value, feedback in ((True, q.feedback_true), (False, q.feedback_false)):
            _answer(element, 100 if q.answer == value else 0, str(value).lower(), export_html(feedback),
                    fmt="moodle_auto_format")  # fmt: skip
    elif q.type == "numeric":
        low, high = numeric_range(q)
        middle = q.answer if q.answer is not None else (low + high) / 2
        tolerance = q.tolerance if q.answer is not None else (high - low) / 2
        answer = _answer(element, 100, number_text(middle), fmt="moodle_auto_format")
        ET.SubElement(answer, "tolerance").text = number_text(tolerance)
        if q.unit:
            units = ET.SubElement(element, "units")
            unit = ET.SubElement(units, "unit")
            ET.SubElement(unit, "multiplier").text = "1"
            ET.SubElement(unit, "unit_name").text = q.unit
        ET.SubElement(element, "unitgradingtype").text = "0"
        ET.SubElement(element, "unitpenalty").text = "0"
        ET.SubElement(element, "showunits").text = "0" if q.unit else "3"
        ET.SubElement(element, "unitsleft").text = "0"
    elif q.type == "short_answer":
        ET.SubElement(element, "usecase").text = "0"
        for accepted in q.accepted:
            _answer(element, 100, accepted.replace("*", "\\*"), fmt="moodle_auto_format")
    elif q.type == "matching":
        ET.SubElement(element, "shuffleanswers").text = "true"
        _combined_feedback(element)
        for pair in q.pairs:
            sub = ET.SubElement(element, "subquestion", format="html")
            _text(sub, export_html(pair.left, inline=True))
            _text(ET.SubElement(sub, "answer"), text_for_plain_field(pair.right))
    elif q.type == "ordering":
        for tag, value in (("layouttype", "VERTICAL"), ("selecttype", "ALL"), ("selectcount", "0"),
                           ("gradingtype", "ABSOLUTE_POSITION"), ("showgrading", "SHOW"),
                           ("numberingstyle", "none")):  # fmt: skip
            ET.SubElement(element, tag).text = value
        _combined_feedback(element)
        for position, text in enumerate(q.items, start=1):
            _answer(element, position, export_html(text, inline=True))
    if q.hint:
        _html(element, "hint", export_html(q.hint))
    tags = [f"difficulty-{q.difficulty}", f"topic-{item.topic.id}", *q.tags]
    tag_list = ET.SubElement(element, "tags")
    for tag in tags:
        _text(ET.SubElement(tag_list, "tag"), tag)
    return element


def _combined_feedback(element: ET.Element) -> None:
    for tag in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
        _html(element, tag, "")
    ET.SubElement(element, "shownumcorrect")


CLOZE_SPECIAL = ("\\", "}", "#", "~", "/", '"')


def cloze_escape(text: str) -> str:
    """An answer inside a cloze gap: Moodle reads `} # ~ / " \\` there as syntax unless escaped."""
    for char in CLOZE_SPECIAL:
        text = text.replace(char, "\\" + char)
    return text


def _cloze_gap(accepted: list[str]) -> str:
    # Every accepted answer earns full marks; `*` would be a wildcard in a short-answer gap.
    # The gap sits in HTML, so the answers are HTML-escaped too.
    answers = "~".join("%100%" + cloze_escape(html.escape(a.replace("*", "\\*"), quote=False)) for a in accepted)
    return "{1:SHORTANSWER:" + answers + "}"
