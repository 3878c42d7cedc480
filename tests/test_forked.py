"""Work in a forked child: the result comes back; a child that fails or dies costs time, never correctness."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from studygen.build import build
from studygen.forked import Forked
from studygen.render.markup_cache import CACHE_FILE

LINUX = sys.platform.startswith("linux")
needs_fork = pytest.mark.skipif(not LINUX, reason="builds fork on Linux only")


@needs_fork
def test_the_work_runs_in_a_child_and_its_result_comes_back() -> None:
    with Forked(lambda: (os.getpid(), b"x" * 3_000_000), may_fork=True) as side:  # larger than a pipe's buffer
        pid, data = side.result()
    assert pid != os.getpid() and data == b"x" * 3_000_000


@needs_fork
def test_in_child_runs_in_the_child_only() -> None:
    marks: list[int] = []
    with Forked(lambda: list(marks), in_child=lambda: marks.append(os.getpid()), may_fork=True) as side:
        seen = side.result()
    assert len(seen) == 1 and seen[0] != os.getpid() and marks == []


def test_an_error_is_raised_here_as_if_there_were_no_child() -> None:
    calls: list[int] = []

    def work() -> None:
        calls.append(os.getpid())
        raise ValueError("broken content")

    with pytest.raises(ValueError, match="broken content"), Forked(work, may_fork=LINUX) as side:
        side.result()
    assert calls == [os.getpid()]  # the parent redid the work (the child's own attempt died with it)


@needs_fork
def test_a_child_that_dies_is_replaced_by_doing_the_work_here() -> None:
    def work() -> int:
        if os.environ.get("STUDYGEN_TEST_PARENT") != str(os.getpid()):
            os.kill(os.getpid(), signal.SIGKILL)  # the child dies without a word
        return 42

    os.environ["STUDYGEN_TEST_PARENT"] = str(os.getpid())
    try:
        with Forked(work, may_fork=True) as side:
            assert side.result() == 42
    finally:
        del os.environ["STUDYGEN_TEST_PARENT"]


@needs_fork
def test_leaving_early_kills_the_child() -> None:
    with pytest.raises(KeyboardInterrupt), Forked(lambda: signal.pause(), may_fork=True) as side:
        child = side.pid
        assert child is not None
        raise KeyboardInterrupt
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # already reaped: nothing is left running


QUIZ_COURSE = Path(__file__).parent / "fixtures" / "quiz-course"


def _cached_entries(course_parent: Path) -> int:
    with sqlite3.connect(course_parent / CACHE_FILE) as connection:
        return connection.execute("SELECT count(*) FROM markup").fetchone()[0]


@pytest.mark.skipif(not LINUX or (os.cpu_count() or 1) < 2, reason="builds fork on Linux with 2+ cores only")
def test_a_forked_build_is_byte_identical_and_caches_what_the_child_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forked_root, alone_root = tmp_path / "forked", tmp_path / "alone"
    for root in (forked_root, alone_root):
        shutil.copytree(QUIZ_COURSE, root / "course")
    # The command line forks (one thread, Linux, two cores): asked in a fresh interpreter, as the build is.
    eligible = subprocess.run([sys.executable, "-c", "import studygen.forked as f; print(f.can_fork())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    assert eligible.stdout.strip() == "True"
    subprocess.run([sys.executable, "-m", "studygen", "build", str(forked_root / "course"), "-o",
                    str(forked_root / "build")], check=True, capture_output=True)  # fmt: skip
    monkeypatch.setattr("studygen.forked.can_fork", lambda: False)  # the same build, in this process alone
    build(alone_root / "course", alone_root / "build")
    manifest = "build/manifest.json"
    assert (forked_root / manifest).read_bytes() == (alone_root / manifest).read_bytes()
    # The decks' Markdown (rendered for Anki's MathJax in the child) reached the cache like the site's did.
    assert _cached_entries(forked_root) == _cached_entries(alone_root) > 0
