"""The authoring reference is generated from the model: the committed copy is current, and its examples are valid."""

from __future__ import annotations

from pathlib import Path

import yaml

from studygen.content.model import Topic
from studygen.content.reference import EXAMPLES, authoring_reference

ROOT = Path(__file__).parent.parent
MINI_TOPIC = ROOT / "tests/fixtures/mini-course/topics/identity-mapping.yaml"


def test_committed_reference_is_current() -> None:
    committed = (ROOT / "docs/authoring.md").read_text(encoding="utf-8")
    assert committed == authoring_reference(), "run `studygen docs -o docs/authoring.md`"


def test_reference_documents_every_field_of_a_topic() -> None:
    text = authoring_reference()
    for name in Topic.model_fields:
        assert f"| `{name}` |" in text


def test_every_example_is_valid_content() -> None:
    topic = yaml.safe_load(MINI_TOPIC.read_text())
    for key, example in EXAMPLES.items():
        topic[key] = yaml.safe_load(example)[key]
    parsed = Topic.model_validate(topic)
    assert {card.type for card in parsed.flashcards} == {"basic", "reversed", "cloze"}
    assert len({question.type for question in parsed.questions}) == 8


def test_bundled_course_files_name_their_current_schema() -> None:
    from studygen.content.schema import schema_files

    content = ROOT / "content"
    for name, data in schema_files().items():
        assert (content / "schemas" / name).read_bytes() == data, "run `studygen schema -o content/schemas`"
    for path in [content / "course.yaml", *sorted((content / "topics").glob("*.yaml"))]:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        assert (path.parent / first.split("$schema=")[1]).resolve().is_file(), path
