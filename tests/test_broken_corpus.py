"""A corpus of broken courses: each is reported with file and line, exit status 1, no traceback, and the previous
build is left exactly as it was. Each case starts from the valid mini course and breaks one thing."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from studygen.build import build
from studygen.cli import main

MINI = Path(__file__).parent / "fixtures" / "mini-course"
TOPIC = "topics/identity-mapping.yaml"
OTHER = "topics/backpropagation.yaml"
COURSE = "course.yaml"


@dataclass(frozen=True)
class Case:
    name: str
    breaks: Callable[[Path], None]
    file: str  # the file the first error names, relative to the course
    message: str  # a fragment of that error's message
    line: int | None = None  # its line, where the case pins it


def edit(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(course: Path) -> None:
        path = course / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def write(relative: str, content: str | bytes) -> Callable[[Path], None]:
    def apply(course: Path) -> None:
        path = course / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))

    return apply


def both(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(course: Path) -> None:
        for step in steps:
            step(course)

    return apply


def symlink(relative: str, target: str) -> Callable[[Path], None]:
    def apply(course: Path) -> None:
        outside = course.parent / target
        outside.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(course / OTHER, outside)
        (course / relative).symlink_to(outside)

    return apply


def linked_folder(relative: str, target: str) -> Callable[[Path], None]:
    """The course's folder moved outside it, a link left in its place."""

    def apply(course: Path) -> None:
        outside = course.parent / target
        shutil.move(course / relative, outside)
        (course / relative).symlink_to(outside, target_is_directory=True)

    return apply


def remove(relative: str) -> Callable[[Path], None]:
    return lambda course: (course / relative).unlink()


BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b]\n"
)

CASES = [
    # YAML itself
    Case("syntax-error", edit(TOPIC, "title: Identity Mapping", "title: [Identity Mapping"), TOPIC, "not valid YAML"),
    Case("tab-indent", edit(TOPIC, "  - title: Identity", "\t- title: Identity"), TOPIC, "not valid YAML", 13),
    Case("duplicate-key", edit(TOPIC, "level: intermediate", "level: intermediate\nlevel: advanced"), TOPIC,
         "duplicate key 'level' (first written on line 4)", 5),
    Case("duplicate-nested-key", edit(TOPIC, "    importance: high", "    importance: high\n    importance: low"),
         TOPIC, "duplicate key 'importance' (first written on line 15)", 16),
    Case("anchor-alias", edit(TOPIC, "title: Identity Mapping", "title: &t Identity Mapping\nkeywords2: *t"), TOPIC,
         "anchors and aliases", 2),
    Case("billion-laughs", write(OTHER, BOMB), OTHER, "anchors and aliases", 1),
    Case("merge-key", edit(OTHER, "level: beginner", "<<: {level: beginner}"), OTHER, "merge keys (<<) are not allowed", 4),
    Case("empty-file", write(OTHER, ""), OTHER, "is empty", 1),
    Case("only-comments", write(OTHER, "# nothing here\n"), OTHER, "is empty", 1),
    Case("list-root", write(OTHER, "- id: a\n- id: b\n"), OTHER, "must be a mapping of fields, but it is a list"),
    Case("scalar-root", write(OTHER, "just text\n"), OTHER, "but it is a single value"),
    Case("non-utf8", write(OTHER, b"id: backpropagation\ntitle: Backpropagation \xff\n"), OTHER, "not valid UTF-8", 2),
    Case("latin1", write(OTHER, "id: backpropagation\ntitle: Caf\u00e9\n".encode("latin-1")), OTHER, "UTF-8", 2),
    Case("huge-file", write(OTHER, "title: " + "x" * (5 * 1024 * 1024) + "\n"), OTHER, "is too large"),
    Case("deep-nesting", write(OTHER, "keywords: " + "[" * 200 + "]" * 200 + "\n"), OTHER, "nest"),
    Case("very-deep-nesting", write(OTHER, "keywords: " + "[" * 20000 + "]" * 20000 + "\n"), OTHER, "nest"),
    Case("non-text-key", edit(OTHER, "level: beginner", "level: beginner\n[a, b]: c"), OTHER, "keys must be plain text"),
    # Shapes and types
    Case("unknown-key", edit(TOPIC, "study_minutes: 75", "study_minutes: 75\nstudy_time: 75"), TOPIC,
         "unknown key 'study_time'", 6),
    Case("wrong-type-int", edit(TOPIC, "study_minutes: 75", "study_minutes: an hour"), TOPIC, "valid integer", 5),
    Case("wrong-type-list", edit(TOPIC, "keywords: [skip connection, shortcut]", "keywords: shortcut"), TOPIC,
         "valid list", 6),
    Case("wrong-type-bool-title", edit(OTHER, "title: Backpropagation", "title: yes"), OTHER, "valid string", 2),
    Case("null-required", edit(OTHER, "title: Backpropagation", "title:"), OTHER, "valid string", 2),
    Case("bad-enum", edit(TOPIC, "level: intermediate", "level: expert"), TOPIC, "'expert' is not allowed", 4),
    Case("bad-importance", edit(TOPIC, "importance: high", "importance: critical"), TOPIC, "not allowed", 15),
    Case("missing-required", edit(OTHER, "definition: Backpropagation computes", "definitio: Backpropagation computes"),
         OTHER, "required field 'definition' is missing"),
    Case("empty-takeaways", edit(OTHER, "takeaways:\n", "takeaways: []\nunused:\n"), OTHER, "unknown key 'unused'"),
    Case("negative-minutes", edit(TOPIC, "study_minutes: 75", "study_minutes: -5"), TOPIC, "greater than or equal", 5),
    Case("enormous-string-field", edit(OTHER, "study_minutes: 30", "study_minutes: " + "9" * 5000), OTHER, "integer"),
    Case("nan-answer", edit(TOPIC, "  - id: params", "  - id: nan\n    type: numeric\n    prompt: p\n    explanation: e\n"
         "    answer: .nan\n  - id: params"), TOPIC, "finite number"),
    Case("bad-base-url", edit(COURSE, "base_url: https://example.org/mini/", "base_url: javascript:alert(1)"), COURSE,
         "should match pattern", 6),
    Case("no-categories", edit(COURSE, "categories:", "categories: []\nold_categories:"), COURSE, "unknown key"),
    # Ids and paths
    Case("escaping-id", edit(OTHER, "id: backpropagation", "id: ../../etc"), OTHER, "lower-case letters", 1),
    Case("absolute-id", edit(OTHER, "id: backpropagation", "id: /etc/passwd"), OTHER, "lower-case letters", 1),
    Case("uppercase-card-id", edit(TOPIC, "id: what-is-shortcut", "id: What-Is"), TOPIC, "lower-case letters"),
    Case("figure-outside-course", edit(COURSE, "categories:", "figures:\n  - id: leak\n    title: Leak\n    alt: a\n"
         "    image: ../../../etc/hostname\ncategories:"), COURSE, "outside the course folder"),
    Case("figure-file-missing", edit(COURSE, "categories:", "figures:\n  - id: gone\n    title: Gone\n    alt: a\n"
         "    image: figures/gone.png\ncategories:"), COURSE, "does not exist"),
    Case("symlink-outside", symlink("topics/linked.yaml", "elsewhere/linked.yaml"), "topics/linked.yaml",
         "outside the course folder"),
    Case("linked-topics-folder", linked_folder("topics", "elsewhere-topics"), TOPIC, "outside the course folder"),
    Case("missing-course-file", remove(COURSE), COURSE, "course file not found"),
    # Whole-course cross-checks
    Case("duplicate-topic-id", write("topics/copy.yaml", (MINI / OTHER).read_text()), "topics/copy.yaml",
         "already used by course/topics/backpropagation.yaml", 1),
    Case("unknown-prerequisite", edit(TOPIC, "  - topic: backpropagation", "  - topic: backprop"), TOPIC,
         "unknown topic 'backprop'", 23),
    Case("unknown-next", edit(TOPIC, "  - topic: pre-activation", "  - topic: post-activation"), TOPIC,
         "unknown topic 'post-activation'"),
    Case("self-link", edit(OTHER, "  - topic: identity-mapping", "  - topic: backpropagation"), OTHER, "itself"),
    Case("prerequisite-cycle", edit(OTHER, "learn_next:", "prerequisites:\n  - topic: pre-activation\nlearn_next:"),
         TOPIC, "cycle: backpropagation -> pre-activation -> identity-mapping -> backpropagation", 23),
    Case("unknown-subject", edit(OTHER, "subject: machine-learning", "subject: physics"), OTHER,
         "unknown subject 'physics'", 3),
    Case("unknown-figure", edit(TOPIC, "    back: Its input, unchanged.", "    back: x\n    figure: missing-figure"),
         TOPIC, "unknown figure 'missing-figure'"),
    Case("unknown-guide-figure", edit(OTHER, "references:", "guide: |\n  Text.\n\n  [[figure:nowhere]]\nreferences:"),
         OTHER, "unknown figure 'nowhere'"),
    Case("duplicate-card-id", edit(TOPIC, "id: unit-formula", "id: what-is-shortcut"), TOPIC, "duplicate id"),
    Case("duplicate-subject", edit(COURSE, "        description: Learning from data.",
         "        description: Learning from data.\n      - id: machine-learning\n        title: Again"), COURSE,
         "already used"),
    # Questions
    Case("no-correct-option", edit(TOPIC, "        correct: true\n", ""), TOPIC, "no option is marked"),
    Case("two-correct-single", edit(TOPIC, "        feedback: That would", "        correct: true\n        feedback: That"),
         TOPIC, "2 correct options"),
    Case("duplicate-options", edit(TOPIC, "      - text: One per channel", "      - text: none"), TOPIC,
         "duplicate options"),
    Case("numeric-without-value", edit(TOPIC, "  - id: params", "  - id: num\n    type: numeric\n    prompt: p\n"
         "    explanation: e\n  - id: params"), TOPIC, "needs `answer`"),
    Case("blank-without-answer", edit(TOPIC, "  - id: params", "  - id: fb\n    type: fill_blank\n    prompt: a [[1]] b [[2]]\n"
         "    explanation: e\n    blanks:\n      - accepted: [x]\n  - id: params"), TOPIC, "gives answers for [1]"),
    Case("bad-regex", edit(TOPIC, "  - id: params", "  - id: re\n    type: short_answer\n    prompt: p\n    explanation: e\n"
         "    accepted: [a]\n    regex: '(unclosed'\n  - id: params"), TOPIC, "not a valid regular expression"),
    Case("cloze-without-deletion", edit(TOPIC, "{{c1::$x_l + F(x_l)$}} from {{c2::$x_l$}}", "x"), TOPIC, "at least one deletion"),
]  # fmt: skip


@pytest.fixture(scope="module")
def previous_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    out = tmp_path_factory.mktemp("previous") / "build"
    build(MINI, out)
    return out, digest(out)


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def test_corpus_is_large_and_names_are_unique() -> None:
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_broken_course(case: Case, tmp_path: Path, previous_build: tuple[Path, dict[str, str]]) -> None:
    course = tmp_path / "course"
    shutil.copytree(MINI, course)
    case.breaks(course)
    out, before = previous_build

    result = CliRunner().invoke(main, ["build", str(course), "-o", str(out)])

    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a clean exit, not a crash
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if ": warning:" not in line][:-1]
    assert errors, result.output
    expected_file = f"course/{case.file}"
    matching = [line for line in errors if line.startswith(expected_file + ":") and case.message in line]
    assert matching, f"no error in {expected_file} saying {case.message!r}:\n{result.output}"
    if case.line is not None:
        assert any(line.startswith(f"{expected_file}:{case.line}:") for line in matching), result.output
    assert result.output.splitlines()[-1].endswith("nothing was written.")
    assert digest(out) == before
    assert sorted(os.listdir(out.parent)) == ["build"]  # no temporary folders left behind
