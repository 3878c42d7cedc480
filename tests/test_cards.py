"""The shared study-card set of a topic (studygen.render.cards): what it holds, and that its ids are stable."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from studygen.build import check
from studygen.content.graph import CourseGraph
from studygen.render.cards import card_tags, slug, study_cards

FIXTURE = Path(__file__).parent / "fixtures" / "anki-course"


@pytest.fixture(scope="module")
def graph() -> CourseGraph:
    return check(FIXTURE)[0]


def with_topic(graph: CourseGraph, topic_id: str, **changes: object) -> CourseGraph:
    """The course with one topic's fields replaced."""
    topics = tuple(t.model_copy(update=changes) if t.id == topic_id else t for t in graph.topics)
    return dataclasses.replace(graph, topics=topics)


def test_authored_cards_come_first_then_derived_ones(graph: CourseGraph) -> None:
    cards = study_cards(graph, graph.topic("identity-mapping"))
    assert [(c.id, c.kind, c.origin) for c in cards] == [
        ("shortcut-adds", "basic", "authored"),
        ("unit-equation", "reversed", "authored"),
        ("unrolled-sum", "cloze", "authored"),
        ("nested-braces", "cloze", "authored"),
        ("derived:definition", "basic", "definition"),
        ("derived:takeaway:identity-shortcuts-add-no-parameters", "basic", "takeaway"),
        ("derived:takeaway:unrolled-a-residual-network-is-a-sum", "basic", "takeaway"),
        ("derived:prerequisite:backpropagation", "basic", "prerequisite"),  # "Matrix products" gives no reason
        ("derived:next:transformers", "basic", "next"),
    ]


def test_derived_cards_hold_the_topic_text(graph: CourseGraph) -> None:
    topic = graph.topic("identity-mapping")
    cards = {c.id: c for c in study_cards(graph, topic)}
    definition = cards["derived:definition"]
    assert definition.front == "What is Identity Mapping?"
    assert definition.back == topic.definition
    assert definition.importance == "high"
    takeaway = cards["derived:takeaway:unrolled-a-residual-network-is-a-sum"]
    assert topic.takeaways[1].title in takeaway.front
    assert takeaway.back == topic.takeaways[1].explanation
    assert "studygen::importance::medium" in takeaway.tags
    prerequisite = cards["derived:prerequisite:backpropagation"]
    assert prerequisite.front == "Why learn *Backpropagation* before *Identity Mapping*?"
    assert prerequisite.back == "Gradients flow backwards through the shortcut."


def test_cloze_numbers_and_figure(graph: CourseGraph) -> None:
    cards = {c.id: c for c in study_cards(graph, graph.topic("identity-mapping"))}
    assert cards["unrolled-sum"].cloze_numbers == (1, 2, 3)
    assert cards["unrolled-sum"].extra == "He et al. (2016), Eq. 4."
    assert cards["shortcut-adds"].figure == "shortcut-diagram"


def test_tags_are_hierarchical(graph: CourseGraph) -> None:
    card = study_cards(graph, graph.topic("identity-mapping"))[0]
    assert card.tags == (
        "studygen",
        "studygen::machine-learning::identity-mapping",
        "studygen::kind::basic",
        "studygen::tag::architecture",
    )
    assert card_tags(graph, graph.topic("backpropagation"), "cloze", (), "low") == (
        "studygen",
        "studygen::machine-learning::backpropagation",
        "studygen::kind::cloze",
        "studygen::importance::low",
    )


def test_derived_cards_can_be_turned_off(graph: CourseGraph) -> None:
    assert [c.id for c in study_cards(graph, graph.topic("backpropagation"))] == ["backward-pass"]
    changed = with_topic(graph, "backpropagation", derived_cards=True)
    ids = [c.id for c in study_cards(changed, changed.topic("backpropagation"))]
    assert "derived:definition" in ids


def test_a_next_step_already_asked_by_the_next_topic_is_not_repeated(graph: CourseGraph) -> None:
    # backpropagation -> identity-mapping is also identity-mapping's prerequisite (with a reason): asked there.
    changed = with_topic(graph, "backpropagation", derived_cards=True)
    ids = [c.id for c in study_cards(changed, changed.topic("backpropagation"))]
    assert not any(i.startswith("derived:next:") for i in ids)


def test_ids_do_not_depend_on_the_text(graph: CourseGraph) -> None:
    topic = graph.topic("identity-mapping")
    before = [c.id for c in study_cards(graph, topic)]
    edited_takeaways = [t.model_copy(update={"explanation": "Reworded."}) for t in topic.takeaways]
    edited_cards = [c.model_copy(update={"back": "Reworded."}) if c.type == "basic" else c for c in topic.flashcards]
    changed = with_topic(
        graph,
        "identity-mapping",
        definition="A reworded definition.",
        takeaways=edited_takeaways,
        flashcards=edited_cards,
    )
    after = study_cards(changed, changed.topic("identity-mapping"))
    assert [c.id for c in after] == before
    assert after[0].back == "Reworded."


def test_ids_are_unique_even_for_similar_takeaways(graph: CourseGraph) -> None:
    topic = graph.topic("identity-mapping")
    twin = topic.takeaways[0].model_copy(update={"title": "Identity shortcuts add no parameters, really"})
    changed = with_topic(graph, "identity-mapping", takeaways=[topic.takeaways[0], twin])
    ids = [c.id for c in study_cards(changed, changed.topic("identity-mapping"))]
    assert len(ids) == len(set(ids))
    assert "derived:takeaway:identity-shortcuts-add-no-parameters-really" in ids


def test_slug() -> None:
    assert slug("Unrolled, a net is a sum: $x_L = x_l$") == "unrolled-a-net-is-a-sum"
    assert slug("One two three four five six seven eight nine ten") == "one-two-three-four-five-six-seven-eight"
    assert slug("$$x$$") == "untitled"


def test_cards_module_does_not_need_anki() -> None:
    code = "import sys, studygen.render.cards; print('genanki' in sys.modules, 'anki' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_bundled_course_cards_have_unique_ids() -> None:
    bundled, _ = check(Path(__file__).parent.parent / "content")
    for topic in bundled.topics:
        ids = [card.id for card in study_cards(bundled, topic)]
        assert len(ids) == len(set(ids)), topic.id
