"""`studygen import`: each format read from files written elsewhere, located errors for bad input, and the topic
file written (new, with placeholders that validate) or merged (never overwriting an id)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from studygen.build import check
from studygen.errors import ContentError
from studygen.importers import import_file, read_file
from studygen.importers.common import SCHEMA_LINE
from studygen.importers.markup import html_to_markdown

FIXTURES = Path(__file__).parent / "fixtures"
FILES = FIXTURES / "import"


def _items(fmt: str, name: str, **options: str) -> list[dict]:
    imported = read_file(fmt, FILES / name, **options)  # type: ignore[arg-type]
    return [item.data for item in imported.flashcards + imported.questions]


def _error(fmt: str, path: Path, **options: str) -> str:
    with pytest.raises(ContentError) as caught:
        read_file(fmt, path, **options)  # type: ignore[arg-type]
    return caught.value.report()


@pytest.fixture
def course(tmp_path: Path) -> Path:
    target = tmp_path / "course"
    shutil.copytree(FIXTURES / "mini-course", target)
    return target


# ---------------------------------------------------------------- HTML -> Markdown


@pytest.mark.parametrize(
    ("source", "markdown"),
    [
        ("<b>bold</b> and <i>italic</i>", "**bold** and *italic*"),
        ("<p>one</p>\n<p>two</p>", "one\n\ntwo"),
        ("line<br>next", "line  \nnext"),
        ("<ul><li>a</li><li>b</li></ul>", "- a\n- b"),
        ("<ol><li>x</li><li>y</li></ol>", "1. x\n2. y"),
        (r"inline \(x^2\) and display \[\sum_i x_i\]", "inline $x^2$ and display $$\\sum_i x_i$$"),
        ("a &lt; b &amp; c", "a < b & c"),
        ("2*3*4 is <code>x_1</code>", "2\\*3\\*4 is `x_1`"),
        ('<a href="https://example.org/">link</a>', "[link](https://example.org/)"),
        ("<u>kept</u> as HTML", "<u>kept</u> as HTML"),
    ],
)
def test_html_to_markdown(source: str, markdown: str) -> None:
    assert html_to_markdown(source) == markdown


# ---------------------------------------------------------------- flashcard formats


def test_quizlet_default_and_custom_separators() -> None:
    cards = _items("quizlet", "quizlet-tab.txt")
    assert [(c["front"], c["back"]) for c in cards] == [
        ("What is 2 + 2?", "Four"),
        ("Capital of France", "Paris, on the Seine"),
        ("$E = mc^2$ is due to", "Einstein"),
    ]
    assert [c["id"] for c in cards] == ["what-is-2-2", "capital-of-france", "is-due-to"]
    custom = _items("quizlet", "quizlet-custom.txt", term_separator=" - ", card_separator="semicolon")
    assert [(c["front"], c["back"]) for c in custom][1] == ("chain rule", "derivative of a composition")


def test_quizlet_wrong_separator_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "set.txt"
    path.write_text("a\tb\nno separator here\n", encoding="utf-8")
    report = _error("quizlet", path)
    assert f"{path}:2:1:" in report and "no term separator" in report


def test_csv_columns() -> None:
    cards = _items("csv", "cards.csv")
    assert cards[0] == {"id": "what-does-relu-compute", "type": "basic", "front": "What does ReLU compute?",
                        "back": "$\\max(0, x)$", "tags": ["activation", "basics"]}  # fmt: skip
    assert cards[1]["id"] == "sigmoid-formula" and cards[1]["type"] == "reversed"
    cloze = {"id": "a-relu-is-zero-for-negative", "type": "cloze"}
    cloze["text"] = "A ReLU is {{c1::zero}} for negative inputs."
    assert cards[2] == {**cloze, "extra": "It is piecewise linear."}


def test_csv_unknown_column_is_located() -> None:
    report = _error("csv", FILES / "bad-columns.csv")
    assert "bad-columns.csv:1:3:" in report and "unknown column 'colour'" in report


def test_anki_text_from_elsewhere() -> None:
    basic, cloze, reversed_card = _items("anki", "foreign-anki.txt")
    assert basic["front"] == "**Bold** question  \nsecond line"
    assert basic["back"] == "An answer with *italics*\n\nand a list:\n\n- one\n- two"
    assert basic["tags"] == ["chapter-1-intro", "okonomie"]
    assert cloze["type"] == "cloze" and cloze["extra"] == "Biology 101"
    assert reversed_card == {"id": "alpha", "type": "reversed", "front": "$\\alpha$", "back": "alpha",
                             "tags": ["greek"]}  # fmt: skip


def test_anki_text_without_headers_detects_cloze() -> None:
    basic, cloze = _items("anki", "plain-anki.txt")
    assert basic["type"] == "basic" and cloze == {"id": "text-with-a-deletion", "type": "cloze",
                                                  "text": "Text with a {{c1::deletion}}"}  # fmt: skip


def test_anki_text_column_count_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "deck.txt"
    path.write_text("#separator:comma\n#tags column:3\nfront,back,tags\nonly one column\n", encoding="utf-8")
    assert f"{path}:4:1:" in _error("anki", path)


# ---------------------------------------------------------------- question formats


def test_gift_from_elsewhere() -> None:
    questions = {q["id"]: q for q in _items("gift", "foreign.gift")}
    capital = questions["q1-capital"]
    assert capital["type"] == "single_choice"
    assert capital["options"][0] == {"text": "Paris", "correct": True, "feedback": "Right, Paris."}
    assert capital["explanation"] == "Paris has been the capital since 987."
    assert questions["primes"]["type"] == "multiple_answer"
    assert [o.get("correct", False) for o in questions["primes"]["options"]] == [True, True, False]
    grant = questions["grant-is-buried-in-grants-tomb"]
    assert (grant["answer"], grant["feedback_true"], grant["feedback_false"]) == (
        False, "No, he is buried elsewhere.", "Right.")  # fmt: skip
    assert (questions["pi"]["answer"], questions["pi"]["tolerance"]) == (3.14, 0.005)
    assert questions["rolls"]["answer"] == 6
    assert questions["colour"]["prompt"] == "Two plus two is [[1]] and no more."
    assert questions["colour"]["blanks"] == [{"accepted": ["four", "4"]}]
    assert questions["match"]["pairs"][0] == {"left": "cat", "right": "animal"}
    assert questions["steps"] == {**questions["steps"], "type": "ordering", "items": ["wake", "eat", "sleep"]}
    assert questions["name"]["prompt"] == "Who wrote *Hamlet*?"
    assert questions["primes"]["explanation"].startswith("TODO")


def test_bad_gift_is_located() -> None:
    report = _error("gift", FILES / "bad.gift")
    assert "bad.gift:3:" in report and "no closing `}`" in report


def test_moodle_from_elsewhere() -> None:
    imported = read_file("moodle", FILES / "foreign.moodle.xml")
    speed, gaps = (item.data for item in imported.questions)
    assert speed["difficulty"] == "easy" and speed["tags"] == ["physics-basics"]
    assert speed["prompt"] == "Which is the speed of light in **vacuum**?"
    assert speed["explanation"] == "About $3 \\times 10^8$ m/s."
    assert gaps["prompt"] == "[[1]] is the capital of [[2]]."
    assert gaps["blanks"] == [{"accepted": ["Paris"]}, {"accepted": ["France"]}]
    assert any("essay" in warning for warning in imported.warnings)
    assert any("'Gaps'" in warning for warning in imported.warnings)


def test_bad_moodle_xml_is_located() -> None:
    report = _error("moodle", FILES / "bad.moodle.xml")
    assert "bad.moodle.xml:5:5:" in report and "not well-formed" in report


# ---------------------------------------------------------------- writing topics


def test_new_topic_validates_and_builds(course: Path) -> None:
    result = import_file("gift", FILES / "foreign.gift", topic="imported-quiz", subject="machine-learning",
                         title="Imported quiz", course=course)  # fmt: skip
    assert result.created and result.questions == 9 and result.path == course / "topics" / "imported-quiz.yaml"
    text = result.path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == SCHEMA_LINE
    assert 'definition: "TODO: define Imported quiz."' in text or "definition: 'TODO: define Imported quiz.'" in text
    assert any("TODO" in warning and "definition" in warning for warning in result.warnings)
    graph, _ = check(course)
    assert len(graph.topic("imported-quiz").questions) == 9


EXISTING = """\
id: merged
title: Merged
subject: machine-learning
level: beginner
study_minutes: 20
definition: A topic written by hand.
summary: It has cards and questions already.
takeaways:
  - title: Keep the author's text
    explanation: Comments and order stay as they were.
    importance: high
flashcards:
    - id: own-card   # the author's indentation and comments
      front: Mine
      back: Still mine

# Questions follow.
questions:
  - id: own-question
    type: true_false
    prompt: Merging keeps this.
    answer: true
    explanation: Because it appends.
"""


def test_merge_appends_in_place_and_refuses_existing_ids(course: Path) -> None:
    target = course / "topics" / "merged.yaml"
    target.write_text(EXISTING, encoding="utf-8")
    result = import_file("quizlet", FILES / "quizlet-tab.txt", topic="merged", subject="machine-learning",
                         course=course)  # fmt: skip
    assert not result.created and result.flashcards == 3
    result = import_file("gift", FILES / "foreign.gift", topic="merged", subject="machine-learning", course=course)
    assert result.questions == 9
    after = target.read_text(encoding="utf-8")
    head, _tail = EXISTING.split("\n\n# Questions follow.\n")
    assert after.startswith(head + "\n    - id: what-is-2-2\n")  # same indentation as the author's list
    assert "\n\n# Questions follow.\nquestions:\n" in after and after.index("own-question") < after.index("q1-capital")
    topic = check(course)[0].topic("merged")
    assert [c.id for c in topic.flashcards] == ["own-card", "what-is-2-2", "capital-of-france", "is-due-to"]
    assert len(topic.questions) == 10
    with pytest.raises(ContentError) as caught:
        import_file("quizlet", FILES / "quizlet-tab.txt", topic="merged", subject="machine-learning", course=course)
    report = caught.value.report()
    assert "flashcard id 'what-is-2-2' already exists" in report and "merged.yaml:16:" in report
    assert target.read_text(encoding="utf-8") == after


def test_unknown_subject_is_refused(course: Path) -> None:
    with pytest.raises(ContentError, match="no subject 'cooking'"):
        import_file("csv", FILES / "cards.csv", topic="new-one", subject="cooking", course=course)
    assert not (course / "topics" / "new-one.yaml").exists()
