"""Every kind of content error is reported with its file, line, field and a helpful message, all in one run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from studygen.build import check
from studygen.content.schema import json_schema
from studygen.errors import ContentError, Problem

MINI = Path(__file__).parent / "fixtures" / "mini-course"
BUNDLED = Path(__file__).parent.parent / "content"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    target = tmp_path / "course"
    shutil.copytree(MINI, target)
    return target


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def problems_of(course: Path, strict: bool = False) -> list[Problem]:
    with pytest.raises(ContentError) as caught:
        check(course, strict=strict)
    return caught.value.problems


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [p.format() for p in problems]
    return problems[0]


TOPIC = "topics/identity-mapping.yaml"


def test_unknown_key_suggests_the_nearest(course: Path) -> None:
    replace(course / TOPIC, "    importance: high", "    importance: high\n    explaination: typo")
    problem = only(problems_of(course))
    assert problem.path == "course/topics/identity-mapping.yaml"
    assert problem.line == line_of(course / TOPIC, "explaination")
    assert problem.field == "takeaways[0].explaination"
    assert problem.message == "unknown key 'explaination'"
    assert problem.hint == "did you mean 'explanation'?"


def test_bad_enum_lists_allowed_values(course: Path) -> None:
    replace(course / TOPIC, "level: intermediate", "level: expert")
    problem = only(problems_of(course))
    assert (problem.field, problem.line) == ("level", line_of(course / TOPIC, "level: expert"))
    assert "'beginner', 'intermediate' or 'advanced'" in problem.hint


def test_missing_required_field_points_at_its_parent(course: Path) -> None:
    replace(course / TOPIC, "    back: Its input, unchanged.\n", "")
    problem = only(problems_of(course))
    assert problem.field == "flashcards[0].back"
    assert "required field 'back' is missing" in problem.message
    assert problem.line == line_of(course / TOPIC, "id: what-is-shortcut")


def test_question_rules_inside_a_tagged_union(course: Path) -> None:
    replace(course / TOPIC, "        correct: true\n", "")
    problem = only(problems_of(course))
    assert problem.field == "questions[0].options"
    assert "no option is marked" in problem.message


def test_unknown_question_type_lists_types(course: Path) -> None:
    replace(course / TOPIC, "type: single_choice", "type: essay")
    problem = only(problems_of(course))
    assert problem.field == "questions[0]" and "multiple_answer" in problem.hint


def test_bad_slug_explains_the_format(course: Path) -> None:
    replace(course / TOPIC, "id: what-is-shortcut", "id: What Is")
    problem = only(problems_of(course))
    assert problem.field == "flashcards[0].id" and "lower-case" in problem.hint


def test_reference_needs_url_or_doi(course: Path) -> None:
    replace(course / TOPIC, "    url: https://arxiv.org/abs/1603.05027\n", "")
    problem = only(problems_of(course))
    assert problem.field == "references[0]" and "url" in problem.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: x\nid: y\n", "duplicate key 'id'"),
        ("id: [unclosed\n", "is not valid YAML"),
        ("a: &anchor 1\nb: *anchor\n", "anchors and aliases"),
        ("", "is empty"),
        ("- a\n- b\n", "must be a mapping"),
        ("id:\n\t- tab\n", "is not valid YAML"),
    ],
)
def test_broken_yaml_files(course: Path, text: str, message: str) -> None:
    (course / TOPIC).write_text(text)
    problem = only(problems_of(course))
    assert problem.path == "course/topics/identity-mapping.yaml"
    assert message in problem.message


def test_non_utf8_file(course: Path) -> None:
    (course / TOPIC).write_bytes(b"id: x\ntitle: caf\xe9\n")
    problem = only(problems_of(course))
    assert problem.line == 2 and "UTF-8" in problem.message


def test_byte_order_mark_is_accepted(course: Path) -> None:
    path = course / "topics/backpropagation.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    check(course)


def test_duplicate_topic_ids_across_files(course: Path) -> None:
    shutil.copy(course / "topics/backpropagation.yaml", course / "topics/backprop-copy.yaml")
    problems = problems_of(course)
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == 1
    assert errors[0].path == "course/topics/backpropagation.yaml"
    assert "already used by course/topics/backprop-copy.yaml" in errors[0].message


def test_unknown_topic_reference_suggests_one(course: Path) -> None:
    replace(course / TOPIC, "  - topic: backpropagation", "  - topic: backprop")
    problem = only(problems_of(course))
    assert problem.field == "prerequisites[0].topic" and problem.hint == "did you mean 'backpropagation'?"
    assert problem.line == line_of(course / TOPIC, "topic: backprop")


def test_prerequisite_cycle(course: Path) -> None:
    replace(
        course / "topics/backpropagation.yaml", "learn_next:", "prerequisites:\n  - topic: pre-activation\nlearn_next:"
    )
    problem = only(problems_of(course))
    assert "cycle" in problem.message
    assert "backpropagation -> pre-activation -> identity-mapping -> backpropagation" in problem.message


def test_duplicate_card_and_question_ids(course: Path) -> None:
    replace(course / TOPIC, "id: unit-formula", "id: what-is-shortcut")
    extra_question = "  - id: params\n    type: true_false\n    prompt: p\n    explanation: e\n    answer: true\n"
    replace(course / TOPIC, "  - id: params", extra_question + "  - id: params")
    problems = problems_of(course)
    assert sorted(p.field for p in problems) == ["flashcards[1].id", "questions[1].id"]


def test_unknown_subject_and_figure(course: Path) -> None:
    replace(course / TOPIC, "subject: machine-learning", "subject: machine-learnin")
    replace(course / TOPIC, "    back: Its input, unchanged.", "    back: Its input, unchanged.\n    figure: nope")
    problems = problems_of(course)
    assert [(p.field, p.message) for p in problems] == [
        ("subject", "unknown subject 'machine-learnin'"),
        ("flashcards[0].figure", "unknown figure 'nope'"),
    ]
    assert problems[0].hint == "did you mean 'machine-learning'?"


def test_many_errors_in_many_files_are_reported_together(course: Path) -> None:
    replace(course / TOPIC, "level: intermediate", "level: expert")
    replace(course / TOPIC, "study_minutes: 75", "study_minutes: soon")
    replace(course / "topics/backpropagation.yaml", "title: Backpropagation", "titel: Backpropagation")
    replace(course / "course.yaml", "base_url: https://example.org/mini/", "base_url: example.org")
    problems = problems_of(course)
    assert {(p.path.split("/")[-1], p.field) for p in problems} == {
        ("identity-mapping.yaml", "level"),
        ("identity-mapping.yaml", "study_minutes"),
        ("backpropagation.yaml", "titel"),
        ("backpropagation.yaml", "title"),
        ("course.yaml", "base_url"),
    }


def test_warnings_fail_only_under_strict(course: Path) -> None:
    replace(course / TOPIC, "  - text: Matrix products", "  - text: Backpropagation")
    _, warnings = check(course)
    assert [w.field for w in warnings] == ["prerequisites[1].text"]
    assert "link it instead: topic: backpropagation" in warnings[0].hint
    problems = problems_of(course, strict=True)
    assert [p.severity for p in problems] == ["warning"]


def test_cli_reports_errors_with_exit_1_and_no_traceback(course: Path, tmp_path: Path) -> None:
    replace(course / TOPIC, "level: intermediate", "level: expert")
    replace(course / "topics/backpropagation.yaml", "title: Backpropagation", "titel: Backpropagation")
    out = tmp_path / "build"
    result = subprocess.run(
        [sys.executable, "-m", "studygen", "build", str(course), "-o", str(out)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[:3] == [
        "course/topics/backpropagation.yaml:1:1: title: required field 'title' is missing",
        "course/topics/backpropagation.yaml:2:1: titel: unknown key 'titel' (hint: did you mean 'title'?)",
        f"course/{TOPIC}:4:1: level: 'expert' is not allowed"
        " (hint: use one of 'beginner', 'intermediate' or 'advanced')",
    ]
    assert lines[-1] == "3 error(s), 0 warning(s); nothing was written."
    assert not out.exists()


def test_cli_usage_error_exits_2() -> None:
    result = subprocess.run([sys.executable, "-m", "studygen", "build", "--no-such-flag"], capture_output=True)
    assert result.returncode == 2


def test_json_schema_validates_the_bundled_course() -> None:
    course_schema, topic_schema = json_schema("course"), json_schema("topic")
    jsonschema.Draft202012Validator.check_schema(topic_schema)
    jsonschema.validate(yaml.safe_load((BUNDLED / "course.yaml").read_text()), course_schema)
    topics = sorted((BUNDLED / "topics").glob("*.yaml"))
    assert topics
    for path in topics:
        jsonschema.validate(yaml.safe_load(path.read_text()), topic_schema)


def test_json_schema_rejects_what_the_loader_rejects(course: Path) -> None:
    data = yaml.safe_load((course / TOPIC).read_text())
    data["takeaways"][0]["colour"] = "red"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema("topic"))
    data = yaml.safe_load((course / TOPIC).read_text())
    data["flashcards"].append({"id": "rev", "type": "reversed", "front": "a", "back": "b"})
    jsonschema.validate(data, json_schema("topic"))  # a reversed card matches exactly one card shape
    assert json.dumps(json_schema("topic"))  # serialisable
