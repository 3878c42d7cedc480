"""Faults around the output folder: interrupted builds, builds racing each other, a read-only or full disk."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from studygen.build import build
from studygen.errors import OutputError

MINI = Path(__file__).parent / "fixtures" / "mini-course"


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def larger_course(root: Path, copies: int = 60) -> Path:
    """The mini course with many more topics, so that a build lasts long enough to be interrupted part-way."""
    course = root / "course"
    shutil.copytree(MINI, course)
    template = (course / "topics/backpropagation.yaml").read_text()
    for i in range(copies):
        text = template.replace("id: backpropagation", f"id: extra-{i}").replace("learn_next:", "unused_next:", 0)
        (course / f"topics/extra-{i}.yaml").write_text(text)
    return course


def start_build(course: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "studygen", "build", str(course), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_a_build_at_any_point_keeps_the_previous_output(tmp_path: Path, signum: int) -> None:
    course = larger_course(tmp_path)
    out = tmp_path / "build"
    build(course, out)
    before = digest(out)
    # Timed as the builds below run: a rebuild into the same folder, which keeps what it can (a build into a fresh
    # folder takes several times as long, and signals timed by it mostly came after the rebuild had ended).
    started = time.perf_counter()
    start_build(course, out).wait()
    duration = time.perf_counter() - started
    interrupted = 0
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.85, 0.95, 1.05):
        process = start_build(course, out)
        time.sleep(duration * fraction)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
        if process.returncode != 0:
            interrupted += 1
            assert process.returncode == -signum, stderr  # died of the signal it was sent, as a shell expects
            assert b"Traceback" not in stderr
        # Whether the signal came in time or not, the output is a complete build: the same bytes as before.
        assert digest(out) == before
        # Nothing half-written beside it either (the markup cache is the build's own, kept on purpose).
        assert sorted(p.name for p in tmp_path.iterdir()) == [".studygen-cache", "build", "course"]
    assert interrupted >= 3  # most signals landed while the build was running


def test_builds_running_at_once_do_not_corrupt_each_other(tmp_path: Path) -> None:
    course = larger_course(tmp_path, copies=30)
    out = tmp_path / "build"
    build(course, tmp_path / "reference")
    processes = [start_build(course, out) for _ in range(3)]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    assert digest(out) == digest(tmp_path / "reference")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".studygen-cache", "build", "course", "reference"]


def test_temporary_folders_of_killed_builds_are_cleaned_up(tmp_path: Path) -> None:
    course = larger_course(tmp_path, copies=30)
    out = tmp_path / "build"
    build(course, out)
    process = start_build(course, out)
    time.sleep(0.3)
    process.kill()  # SIGKILL: no chance to clean up
    process.wait()
    build(course, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".studygen-cache", "build", "course"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real file system (tmpfs) just large enough for one build of the mini course, not for two at once.
    Needs root, as in CI; skipped where mounting is not allowed."""
    build(MINI, tmp_path / "measure")
    needed = sum(p.stat().st_size + 4096 for p in (tmp_path / "measure").rglob("*"))  # files and their blocks
    shutil.rmtree(tmp_path / "measure")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    size = f"size={needed * 3 // 2 // 1024}k"
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", size, "tmpfs", str(mount_point)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_full_disk_gives_a_clear_error_and_keeps_the_previous_output(small_disk: Path, tmp_path: Path) -> None:
    out = small_disk / "build"
    build(MINI, out)
    before = digest(out)
    course = larger_course(tmp_path, copies=40)
    with pytest.raises(OutputError, match="No space left on device"):
        build(course, out)
    assert digest(out) == before
    assert os.listdir(small_disk) == ["build"]


def test_read_only_output_folder_gives_a_clear_error(small_disk: Path, tmp_path: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = subprocess.run(
        [sys.executable, "-m", "studygen", "build", str(MINI), "-o", str(small_disk / "build")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "Read-only file system" in result.stderr and "Traceback" not in result.stderr
