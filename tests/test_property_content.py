"""Property tests: whatever the content, a build either succeeds or reports problems. It never crashes."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studygen.build import build, check
from studygen.errors import ContentError

MINI = Path(__file__).parent / "fixtures" / "mini-course"
TOPIC = "topics/identity-mapping.yaml"
BASE_TOPIC: dict[str, Any] = yaml.safe_load((MINI / TOPIC).read_text())

# Text that stresses every layer: Markdown, math, HTML, YAML-significant characters, non-ASCII.
FRAGMENTS = [
    "$x$", "$$\\frac{a}{b}$$", "<script>alert(1)</script>", "{{c1::x}}", "[[1]]", "**b**", "`c`", "\\", "}}", "#",
    ":", "~", "=", "&", "é", "\u202e", "\x00", "\t", "\n\n", "[a](javascript:x)", "$", "$$",
]  # fmt: skip
prose = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=8).map("".join)
slugs = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4}){0,2}", fullmatch=True)
yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), prose),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(slugs, children, max_size=3),
    max_leaves=8,
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def check_or_problems(course: Path, render: bool = False) -> None:
    """The only acceptable outcomes: success, or a ContentError listing located problems."""
    try:
        if render:
            with tempfile.TemporaryDirectory() as out:
                build(course, Path(out) / "build")
        else:
            check(course)
    except ContentError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.path and problem.line >= 1 and problem.message


def course_with_topic(topic: Any, raw: bytes | None = None) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="studygen-prop-"))
    shutil.copytree(MINI, folder / "course")
    path = folder / "course" / TOPIC
    path.write_bytes(raw if raw is not None else yaml.safe_dump(topic, allow_unicode=True).encode("utf-8"))
    return folder / "course"


@SETTINGS
@given(definition=prose, summary=prose, title=prose, explanation=prose, back=prose)
def test_valid_shape_with_any_text_builds_or_reports(
    definition: str, summary: str, title: str, explanation: str, back: str
) -> None:
    topic = {**BASE_TOPIC, "definition": definition, "summary": summary, "title": title}
    topic["takeaways"] = [{"title": title, "explanation": explanation, "importance": "high"}]
    topic["flashcards"] = [{"id": "card", "front": title, "back": back}]
    course = course_with_topic(topic)
    try:
        check_or_problems(course, render=True)
    finally:
        shutil.rmtree(course.parent)


@st.composite
def mutated_topics(draw: st.DrawFn) -> dict[str, Any]:
    topic = yaml.safe_load(yaml.safe_dump(BASE_TOPIC))
    for _ in range(draw(st.integers(1, 4))):
        target: Any = topic
        path = draw(st.lists(st.sampled_from(sorted(BASE_TOPIC)), min_size=1, max_size=1))
        key = path[0]
        action = draw(st.sampled_from(["delete", "replace", "add", "nest"]))
        if action == "delete":
            target.pop(key, None)
        elif action == "replace":
            target[key] = draw(yaml_values)
        elif action == "add":
            target[draw(slugs)] = draw(yaml_values)
        elif isinstance(target.get(key), list) and target[key] and isinstance(target[key][0], dict):
            item = target[key][0]
            item[draw(st.sampled_from([*sorted(item), "type", "id"]))] = draw(yaml_values)
    return topic


@SETTINGS
@given(topic=mutated_topics())
def test_mutated_topic_checks_or_reports(topic: dict[str, Any]) -> None:
    course = course_with_topic(topic)
    try:
        check_or_problems(course)
    finally:
        shutil.rmtree(course.parent)


@SETTINGS
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_arbitrary_bytes_as_a_topic_file_are_reported(raw: bytes) -> None:
    course = course_with_topic(None, raw=raw)
    try:
        check_or_problems(course)
    finally:
        shutil.rmtree(course.parent)
