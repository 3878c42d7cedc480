"""Quizzes: the shared question model for the practice pages, and the exports for learning-management systems.

`render_quizzes` is a pure renderer: {path under quizzes/: bytes}, one Moodle XML, GIFT and QTI file per topic
and per subject that has questions.
"""

from __future__ import annotations

from studygen.content.graph import CourseGraph
from studygen.render.output_cache import Fingerprint, OutputCache, kept_or_rendered
from studygen.render.quizzes.gift import gift
from studygen.render.quizzes.moodle import moodle_xml
from studygen.render.quizzes.qti import qti_package
from studygen.render.quizzes.questions import QuizSet, file_stem, subject_sets, topic_sets


def render_quizzes(graph: CourseGraph, previous: OutputCache | None = None) -> dict[str, bytes]:
    """`previous`: the last build's exports, kept where a quiz's questions and the course are the same."""
    outputs: dict[str, bytes] = {}
    fingerprint = Fingerprint(previous.digests if previous else {})
    # What an export reads besides its questions: the course (settings, figures, strings) and our code.
    frame = previous.frame if previous else ""
    for quiz in topic_sets(graph) + subject_sets(graph):
        stem = file_stem(quiz)

        def exports(quiz: QuizSet = quiz, stem: str = stem) -> dict[str, bytes]:
            return {
                f"{stem}.moodle.xml": moodle_xml(graph, quiz),
                f"{stem}.gift.txt": gift(graph, quiz),
                f"{stem}.qti.zip": qti_package(graph, quiz),
            }

        key = fingerprint.of(frame, quiz) if previous else ""
        outputs.update(kept_or_rendered(previous, f"quizzes/{stem}", key, "quizzes/", exports))
    return outputs


__all__ = ["render_quizzes"]
