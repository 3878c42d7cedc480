"""Imports are the inverse of our exports: export the bundled course (and the hostile quiz fixture) with the real
renderers, import the files again, and check (1) that exporting the imported content gives the same bytes, and
(2) that the imported flashcards and questions equal the originals field by field wherever the format carries the
field. The normalisations allowed are listed here and in docs/importing.md, and each is pinned to where it occurs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from studygen.build import check
from studygen.content.graph import CourseGraph
from studygen.content.model import Flashcard, Question, Topic
from studygen.importers import read_file
from studygen.render.anki import render_anki, topic_deck
from studygen.render.anki_inputs import ContentTimes
from studygen.render.anki_notes import Media
from studygen.render.anki_text import deck_tsv
from studygen.render.quizzes.gift import gift
from studygen.render.quizzes.moodle import moodle_xml
from studygen.render.quizzes.questions import QuizSet, export_html, topic_items, topic_sets

ROOT = Path(__file__).parent.parent
BUNDLED = ROOT / "content"
QUIZ = ROOT / "tests" / "fixtures" / "quiz-course"
ANKI = ROOT / "tests" / "fixtures" / "anki-course"
TIME = 1_700_000_000

QUESTIONS = TypeAdapter(Question)
CARDS = TypeAdapter(Flashcard)

# Fields a format does not carry: they come back with their defaults.
NOT_IN_GIFT = {"difficulty": "medium", "hint": "", "tags": [], "unit": "", "regex": ""}
NOT_IN_MOODLE = {"regex": ""}


@pytest.fixture(scope="module", params=[BUNDLED, QUIZ], ids=["bundled", "quiz-fixture"])
def graph(request: pytest.FixtureRequest) -> CourseGraph:
    return check(request.param)[0]


def _read(tmp_path: Path, fmt: str, name: str, data: bytes, course: Path) -> list:
    path = tmp_path / name
    path.write_bytes(data)
    imported = read_file(fmt, path, course=course)
    adapter = CARDS if fmt == "anki" else QUESTIONS
    return [
        adapter.validate_python(item.data) for item in (imported.flashcards if fmt == "anki" else imported.questions)
    ]


def _differences(original: object, imported: object) -> list[str]:
    """Fields that differ; a text field that differs but renders to the same export HTML is reported as `~field`."""
    left, right = original.model_dump(), imported.model_dump()  # type: ignore[attr-defined]
    found = []

    def walk(a: object, b: object, where: str) -> None:
        if a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
            for key in a:
                walk(a[key], b[key], f"{where}.{key}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{where}[{index}]")
        elif isinstance(a, str) and isinstance(b, str) and same_emphasis(export_html(a)) == export_html(b):
            found.append("~" + where)
        else:
            found.append(where)

    walk(left, right, original.id)  # type: ignore[attr-defined]
    return found


def _with(topic: Topic, **fields: object) -> Topic:
    return topic.model_copy(update=fields)


def _uncarried(question: Question, fields: dict[str, object]) -> Question:
    return question.model_copy(update={k: v for k, v in fields.items() if k in type(question).model_fields})


# Where an export itself changes the text, only the rendering can come back: the sanitiser drops `</script>`,
# and raw `<b>`/`<i>` written in content come back as Markdown `**`/`*` (which export as `<strong>`/`<em>`).
EXPECTED_TEXT_NORMALISATIONS = {
    "pick-one.options[2].text",  # `y := x * 2 </script><b>bold</b> & more`
    "pick-one.options[2].feedback",  # `Not this one; </script> is only text.`
}


def same_emphasis(exported: str | bytes) -> str | bytes:
    """Raw `<b>`/`<i>` as Markdown writes them (`<strong>`/`<em>`): the one normalisation of exported bytes."""
    pairs = [
        (o + a + c, o + b + c)
        for a, b in (("b", "strong"), ("/b", "/strong"), ("i", "em"), ("/i", "/em"))
        for o, c in (("<", ">"), ("&lt;", "&gt;"))
    ]  # fmt: skip  (as HTML, and as HTML inside XML)
    for old, new in pairs:
        exported = exported.replace(*((old.encode(), new.encode()) if isinstance(exported, bytes) else (old, new)))
    return exported


def _same_bytes(graph: CourseGraph, again: bytes, exported: bytes) -> bool:
    """Byte for byte; for the hostile fixture, after `same_emphasis` (its content has raw `<b>`)."""
    if graph.root == QUIZ.resolve():
        return again == same_emphasis(exported) and again != exported
    return again == exported


def _check_questions(originals: list[Question], imported: list[Question], carried: dict) -> set[str]:
    """Every carried field equal; returns the text fields that are equal only as rendered."""
    assert [q.id for q in imported] == [q.id for q in originals]
    normalised = set()
    for original, back in zip(originals, imported, strict=True):
        differences = _differences(_uncarried(original, carried), back)
        assert [d for d in differences if not d.startswith("~")] == [], original.id
        normalised |= {d.removeprefix("~") for d in differences}
    return normalised


def _expected_normalisations(graph: CourseGraph) -> set[str]:
    return EXPECTED_TEXT_NORMALISATIONS if graph.root == QUIZ.resolve() else set()


def test_gift_round_trip(graph: CourseGraph, tmp_path: Path) -> None:
    normalised: set[str] = set()
    for quiz in topic_sets(graph):
        topic = graph.topic(quiz.id)
        exported = gift(graph, quiz)
        imported = _read(tmp_path, "gift", "quiz.gift.txt", exported, graph.root)
        normalised |= _check_questions(list(topic.questions), imported, NOT_IN_GIFT)
        again = _with(topic, questions=imported)
        reexported = gift(graph, QuizSet("topic", topic.id, topic.title, topic_items(again)))
        assert _same_bytes(graph, reexported, exported) if topic.id == "all-types" else reexported == exported
    assert normalised == _expected_normalisations(graph)


def test_moodle_round_trip(graph: CourseGraph, tmp_path: Path) -> None:
    ranges, normalised = 0, set()
    for quiz in topic_sets(graph):
        topic = graph.topic(quiz.id)
        exported = moodle_xml(graph, quiz)
        imported = _read(tmp_path, "moodle", "quiz.moodle.xml", exported, graph.root)
        originals = []
        for question in topic.questions:
            if question.type == "numeric" and question.answer is None:
                # Moodle XML carries a range as its midpoint with half its width as tolerance.
                middle, half = (question.min + question.max) / 2, (question.max - question.min) / 2
                question = question.model_copy(update={"answer": middle, "tolerance": half, "min": None, "max": None})
                ranges += 1
            originals.append(question)
        normalised |= _check_questions(originals, imported, NOT_IN_MOODLE)
        again = _with(topic, questions=imported)
        reexported = moodle_xml(graph, QuizSet("topic", topic.id, topic.title, topic_items(again)))
        assert _same_bytes(graph, reexported, exported) if topic.id == "all-types" else reexported == exported
    assert normalised == _expected_normalisations(graph)
    assert ranges >= (1 if graph.root == QUIZ.resolve() else 0)


@pytest.mark.parametrize("course", [BUNDLED, ANKI], ids=["bundled", "anki-fixture"])
def test_anki_text_round_trip(course: Path, tmp_path: Path) -> None:
    graph = check(course)[0]
    times = ContentTimes({t.id: TIME for t in graph.topics}, "given")
    outputs = render_anki(graph, times)
    media = Media.from_figures(graph, {})
    compared = 0
    for topic in graph.topics:
        if not topic.flashcards:
            continue
        exported = outputs[f"text/{topic.id}.tsv"]
        imported = _read(tmp_path, "anki", "deck.tsv", exported, graph.root)
        # The text format carries no card ids (its guid is a hash of them): compare everything else, then give the
        # cards their original ids back and re-export.
        assert len(imported) == len(topic.flashcards)
        renamed = [card.model_copy(update={"id": o.id}) for card, o in zip(imported, topic.flashcards, strict=True)]
        assert renamed == list(topic.flashcards)
        again = _with(topic, flashcards=renamed)
        graph_again = dataclasses.replace(graph, topics=tuple(again if t.id == topic.id else t for t in graph.topics))
        deck = topic_deck(graph_again, again, media, times)
        assert deck_tsv(deck.name, deck.notes) == exported
        compared += len(imported)
    assert compared > 0
