"""Quizzes: the shared question model for the practice pages, and the exports for learning-management systems.

`render_quizzes` is a pure renderer: {path under quizzes/: bytes}, one Moodle XML, GIFT and QTI file per topic
and per subject that has questions.
"""

from __future__ import annotations

from studygen.content.graph import CourseGraph
from studygen.render.quizzes.gift import gift
from studygen.render.quizzes.moodle import moodle_xml
from studygen.render.quizzes.qti import qti_package
from studygen.render.quizzes.questions import file_stem, subject_sets, topic_sets


def render_quizzes(graph: CourseGraph) -> dict[str, bytes]:
    outputs: dict[str, bytes] = {}
    for quiz in topic_sets(graph) + subject_sets(graph):
        stem = file_stem(quiz)
        outputs[f"{stem}.moodle.xml"] = moodle_xml(graph, quiz)
        outputs[f"{stem}.gift.txt"] = gift(graph, quiz)
        outputs[f"{stem}.qti.zip"] = qti_package(graph, quiz)
    return outputs


__all__ = ["render_quizzes"]
