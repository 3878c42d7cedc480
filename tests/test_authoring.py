"""Scaffolding a course and a topic, and publishing the built site to a branch of a real git repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from studygen.build import build, check
from studygen.content.schema import json_schema
from studygen.errors import ContentError
from studygen.scaffold import new_course, new_topic

ROOT = Path(__file__).parent.parent
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.org",
}


def studygen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "studygen", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True
    )


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=True).stdout


def test_new_course_builds_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "linear-algebra"
    written = new_course(folder)
    assert {p.relative_to(folder).as_posix() for p in written} >= {
        "course.yaml",
        ".gitignore",
        "README.md",
        "schemas/topic.schema.json",
        "topics/getting-started.yaml",
    }
    report = build(folder, tmp_path / "out", strict=True)
    assert report.topics == 1
    assert (tmp_path / "out/site/topics/getting-started/index.html").is_file()
    assert yaml.safe_load((folder / "course.yaml").read_text())["id"] == "linear-algebra"


def test_every_scaffolded_file_names_its_schema(tmp_path: Path) -> None:
    folder = tmp_path / "course"
    new_course(folder)
    for path in [folder / "course.yaml", *sorted((folder / "topics").glob("*.yaml"))]:
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        schema_path = (path.parent / first.split("$schema=")[1]).resolve()
        assert schema_path.is_file()


def test_new_topic_validates_against_model_and_schema(tmp_path: Path) -> None:
    folder = tmp_path / "course"
    new_course(folder)
    path = new_topic(folder, "vectors", "basics", title="Vectors")
    jsonschema.validate(yaml.safe_load(path.read_text()), json_schema("topic"))
    graph, _ = check(folder, strict=True)
    assert [t.id for t in graph.topics] == ["getting-started", "vectors"]
    assert graph.topic("vectors").title == "Vectors"


def test_new_topic_refuses_unknown_subject_and_existing_topic(tmp_path: Path) -> None:
    folder = tmp_path / "course"
    new_course(folder)
    with pytest.raises(ContentError, match="no subject 'physics'"):
        new_topic(folder, "waves", "physics")
    with pytest.raises(ContentError, match="already exists"):
        new_topic(folder, "getting-started", "basics")


def test_publish_dry_run_commits_nothing(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    git("init", "-q", cwd=work)
    new_course(work / "course")
    result = studygen("publish", "course", "--dry-run", cwd=work)
    assert result.returncode == 0, result.stderr
    assert "Would commit" in result.stderr
    assert git("branch", "--list", "gh-pages", cwd=work) == ""


def test_publish_pushes_site_branch_without_touching_the_working_tree(tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    git("init", "-q", "-b", "main", cwd=work)
    new_course(work / "course")
    git("add", "-A", cwd=work)
    git("commit", "-qm", "course", cwd=work)
    git("remote", "add", "origin", str(remote), cwd=work)
    head_before = git("rev-parse", "HEAD", cwd=work)

    for _ in range(2):  # the second publish adds a commit on top of the first
        result = studygen("publish", "course", cwd=work)
        assert result.returncode == 0, result.stderr

    files = git("ls-tree", "-r", "--name-only", "gh-pages", cwd=remote).split()
    assert {"index.html", ".nojekyll", "topics/getting-started/index.html"} <= set(files)
    assert len(git("log", "--format=%H", "gh-pages", cwd=remote).split()) == 2
    assert git("rev-parse", "HEAD", cwd=work) == head_before
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=work).strip() == "main"
    assert git("status", "--porcelain", "--untracked-files=no", cwd=work) == ""


def test_import_command_adds_a_topic_that_builds(tmp_path: Path) -> None:
    folder = tmp_path / "course"
    new_course(folder)
    source = tmp_path / "cards.txt"
    source.write_text("residual\tWhat a block adds to its input\nshortcut\tThe path that skips the block\n")
    result = studygen(
        "import", "quizlet", str(source), "--topic", "terms", "--subject", "basics", "--course", str(folder),
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "2 flashcard(s)" in result.stderr and "TODO" in result.stderr
    graph, _ = check(folder)
    assert [card.front for card in graph.topic("terms").flashcards] == ["residual", "shortcut"]


def test_figures_command_draws_from_committed_results(tmp_path: Path) -> None:
    result = studygen("figures", "--course", str(ROOT / "content"), "-o", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "degradation-curves: Final training error" in result.stdout
    assert (tmp_path / "degradation-curves.svg").read_bytes().startswith(b"<?xml")
