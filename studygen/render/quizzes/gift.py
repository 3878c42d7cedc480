"""GIFT, Moodle's one-line-per-question text format.

Every question is one line (newlines written `\\n`), questions are separated by a blank line, and every character
GIFT reads as syntax (`~ = # { } :` and the backslash itself) is escaped with a backslash; LaTeX is full of them.
Text is HTML (`[html]`) with math as `\\(...\\)` for Moodle's MathJax filter.

Type mapping (see docs/quizzes.md): single_choice `{=right ~wrong}`; multiple_answer `{~%w%right ~%-w%wrong}`;
true_false `{TRUE#feedback if wrong#feedback if right}`; numeric `{#answer:tolerance}` or `{#min..max}`;
short_answer `{=a =b}`; fill_blank -> a missing-word question per blank (other blanks shown filled in);
matching `{=left -> right}`; ordering -> matching of each item to its position. Hints are dropped.
"""

from __future__ import annotations

from studygen.content.graph import CourseGraph
from studygen.render.markup import plain_text
from studygen.render.quizzes.moodle import category_path, share
from studygen.render.quizzes.moodle import grade_text as weight
from studygen.render.quizzes.questions import (
    QuizItem,
    QuizSet,
    export_html,
    export_prompt,
    figure_note,
    number_text,
    ordinal,
    prompt_with_blanks,
    scrambled,
    text_for_plain_field,
)

GIFT_SPECIAL = "~=#{}:"


def gift_escape(text: str) -> str:
    """Backslash first (so that `\\{` in LaTeX stays two characters), then each special character, then newlines."""
    escaped = text.replace("\\", "\\\\")
    for char in GIFT_SPECIAL:
        escaped = escaped.replace(char, "\\" + char)
    return escaped.replace("\r", "").replace("\n", "\\n")


def gift(graph: CourseGraph, quiz: QuizSet) -> bytes:
    lines = [
        f"// {plain_text(graph.course.title)}: {plain_text(quiz.title)}",
        "// GIFT for Moodle, written by studygen. Math is \\(...\\) for Moodle's MathJax filter.",
        "",
    ]
    current_topic = None
    for item in quiz.items:
        if item.topic.id != current_topic:
            current_topic = item.topic.id
            lines += [f"$CATEGORY: {category_path(graph, item)}", ""]
        for question in gift_questions(graph, item):
            lines += [question, ""]
    return "\n".join(lines).encode("utf-8")


def _title(name: str) -> str:
    return f"::{gift_escape(name)}::"


def _with_feedback(prefix: str, text: str, feedback: str) -> str:
    answer = prefix + gift_escape(text)
    return answer + ("#" + gift_escape(feedback) if feedback else "")


def gift_questions(graph: CourseGraph, item: QuizItem) -> list[str]:
    """The GIFT lines for one question (fill-in-the-blank questions with several blanks give one per blank)."""
    q = item.question
    general = " ####" + gift_escape(export_html(q.explanation))
    head = _title(item.key) + "[html]"
    if q.type == "fill_blank":
        found = []
        for number, blank in enumerate(q.blanks, start=1):
            marker = f"QUIZGAP{number}X"
            text = prompt_with_blanks(
                q.prompt, "mathjax", lambda n, m=marker, k=number: m if n == k else q.blanks[n - 1].accepted[0]
            )
            before, after = (text + figure_note(graph, item)).split(marker)
            answers = " ".join("=" + gift_escape(a) for a in blank.accepted)
            name = item.key if len(q.blanks) == 1 else f"{item.key} (blank {number})"
            found.append(
                _title(name) + "[html]" + gift_escape(before) + "{" + answers + general + "}" + gift_escape(after)
            )
        return found
    text = head + gift_escape(export_prompt(graph, item))
    if q.type in ("single_choice", "multiple_answer"):
        right = sum(o.correct for o in q.options)
        wrong = len(q.options) - right
        answers = []
        for option in q.options:
            body, feedback = export_html(option.text, inline=True), export_html(option.feedback)
            if q.type == "single_choice":
                prefix = "=" if option.correct else "~"
            else:
                prefix = f"~%{weight(share(right))}%" if option.correct else f"~%-{weight(share(wrong))}%"
            answers.append(_with_feedback(prefix, body, feedback))
        return [text + "{" + " ".join(answers) + general + "}"]
    if q.type == "true_false":
        # GIFT's first feedback is for a wrong answer, the second for a right one.
        right_fb, wrong_fb = (q.feedback_true, q.feedback_false) if q.answer else (q.feedback_false, q.feedback_true)
        block = "TRUE" if q.answer else "FALSE"
        if right_fb or wrong_fb:
            block += "#" + gift_escape(export_html(wrong_fb)) + "#" + gift_escape(export_html(right_fb))
        return [text + "{" + block + general + "}"]
    if q.type == "numeric":
        if q.answer is not None:
            value = number_text(q.answer) + (f":{number_text(q.tolerance)}" if q.tolerance else "")
        else:
            value = f"{number_text(q.min)}..{number_text(q.max)}"
        return [text + "{#" + value + general + "}"]
    if q.type == "short_answer":
        return [text + "{" + " ".join("=" + gift_escape(a.replace("*", "\\*")) for a in q.accepted) + general + "}"]
    if q.type == "matching":
        pairs = [(export_html(p.left, inline=True), text_for_plain_field(p.right)) for p in q.pairs]
    else:  # ordering: match each item with its position
        positions = {text: ordinal(n) for n, text in enumerate(q.items, start=1)}
        shown = scrambled(q.items, f"order:{item.key}")
        pairs = [(export_html(text, inline=True), positions[text]) for text in shown]
    body = " ".join(
        "=" + gift_escape(left).replace("->", "-&gt;") + " -> " + gift_escape(right) for left, right in pairs
    )
    return [text + "{" + body + general + "}"]
