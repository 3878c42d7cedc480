"""The bundled course is the showcase: every topic complete, the minimum counts met, every link and citation sound."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from studygen.build import check
from studygen.content.graph import CourseGraph
from studygen.content.model import MultipleAnswer, SingleChoice, Topic

BUNDLED = Path(__file__).parent.parent / "content"
CORE = "identity-mapping"
REQUIRED_TOPICS = {
    "identity-mapping", "degradation-problem", "residual-networks", "vanishing-exploding-gradients",
    "backpropagation", "batch-normalization", "highway-networks", "preactivation-residual-units",
    "convolutional-neural-networks", "transfer-learning",
}  # fmt: skip


@pytest.fixture(scope="module")
def graph() -> CourseGraph:
    checked, warnings = check(BUNDLED, strict=True)
    assert warnings == []
    return checked


def words(markdown: str) -> int:
    """Words as a reader counts them: whitespace-separated, formulas included, Markdown markers left out."""
    return len([w for w in markdown.split() if any(c.isalnum() for c in w)])


def topics(graph: CourseGraph) -> list[Topic]:
    return list(graph.topics)


def test_the_course_covers_identity_mapping_and_its_neighbourhood(graph: CourseGraph) -> None:
    assert {t.id for t in graph.topics} >= REQUIRED_TOPICS


def test_every_topic_has_every_section_and_its_minimum_counts(graph: CourseGraph) -> None:
    for topic in topics(graph):
        core = topic.id == CORE
        assert topic.definition and topic.summary, topic.id
        assert 4 <= len(topic.takeaways) <= 6, topic.id
        assert topic.prerequisites or topic.learn_next, topic.id
        assert all(step.why for step in topic.learn_next), topic.id
        assert topic.applications, topic.id
        assert topic.references, topic.id
        assert words(topic.guide) >= (1500 if core else 600), (topic.id, words(topic.guide))
        assert len(topic.flashcards) >= (20 if core else 8), topic.id
        assert {card.type for card in topic.flashcards} == {"basic", "reversed", "cloze"}, topic.id
        assert len(topic.questions) >= (15 if core else 8), topic.id
        assert len({q.type for q in topic.questions}) >= (6 if core else 3), topic.id


def test_every_choice_question_has_the_right_number_of_correct_options(graph: CourseGraph) -> None:
    for topic in topics(graph):
        for question in topic.questions:
            if isinstance(question, SingleChoice):
                assert sum(o.correct for o in question.options) == 1, (topic.id, question.id)
            if isinstance(question, MultipleAnswer):
                assert sum(o.correct for o in question.options) >= 1, (topic.id, question.id)
            if isinstance(question, SingleChoice | MultipleAnswer):
                # Every distractor says why it is wrong.
                assert all(o.feedback for o in question.options if not o.correct), (topic.id, question.id)
            assert len(question.explanation) >= 60, (topic.id, question.id)


def test_every_link_resolves_and_every_citation_is_findable(graph: CourseGraph) -> None:
    ids = {t.id for t in graph.topics}
    for topic in topics(graph):
        for link in [*topic.prerequisites, *topic.learn_next]:
            assert link.topic is None or link.topic in ids, (topic.id, link.topic)
        for reference in topic.references:
            assert reference.url or reference.doi, (topic.id, reference.id)
    core = graph.topic(CORE)
    cited = {r.url for r in core.references}
    assert {"https://arxiv.org/abs/1512.03385", "https://arxiv.org/abs/1603.05027"} <= cited


def test_our_measurements_and_the_papers_numbers_are_labelled(graph: CourseGraph) -> None:
    guide = graph.topic(CORE).guide
    assert "Our measurement" in guide and "the papers' numbers" in guide.lower()
    figures = re.findall(r"\[\[figure:([a-z0-9-]+)\]\]", guide)
    assert set(figures) == {f.id for f in graph.course.figures} and len(figures) == 5
    for number in ("6.61", "12.35", "8.70", "12.86", "6.91", "12.22"):  # He et al. 2016, Table 1
        assert number in guide
