"""What the Anki renderer needs from outside the course model: when each topic last changed, and figure bytes.

Anki updates a note on import only when the note in the package is newer than the note in the collection, so
every note carries a modification time. It must grow whenever the note's content changes (or the update is
skipped) and stay fixed while nothing changes (so that rebuilds are byte-identical). We use the time of the
newest change to the topic's inputs, per topic, found in this order:

1. `SOURCE_DATE_EPOCH`, if set: one time for everything (the reproducible-builds convention; set it in CI to
   the last commit's time, `git log -1 --format=%ct`).
2. For a file that git tracks and that has no uncommitted changes: the committer time of the last commit that
   touched it. This is the same on every checkout and grows with every commit.
3. Otherwise (not in git, untracked, or edited since the last commit): the file's modification time.

A topic's time is the newest of its own file, course.yaml (course, subject and topic titles appear on every
card) and the images of the figures it references. Content hashes are deliberately not used: a hash changes
when content changes but does not grow, so Anki could not tell an update from a downgrade.

These functions read the file system and git; the renderer itself receives their results and stays pure.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from studygen.content.graph import CourseGraph
from studygen.content.loader import COURSE_FILE


@dataclass(frozen=True)
class ContentTimes:
    """Seconds since 1970 (UTC) of the newest change to each topic's inputs, and where they came from."""

    topics: dict[str, int]
    source: str  # "SOURCE_DATE_EPOCH", "git", "mtime" or "git+mtime"

    def of(self, topic_id: str) -> int:
        return self.topics[topic_id]


def content_times(graph: CourseGraph, environ: Mapping[str, str] | None = None) -> ContentTimes:
    """When each topic last changed, by the rules in this module's docstring."""
    environ = os.environ if environ is None else environ
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            value = int(epoch)
        except ValueError:
            raise ValueError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {epoch!r}") from None
        return ContentTimes({topic.id: value for topic in graph.topics}, "SOURCE_DATE_EPOCH")

    clock = _FileClock(graph.root)
    course_time = clock.time(graph.root / COURSE_FILE)
    times: dict[str, int] = {}
    for topic in graph.topics:
        files = [graph.root.parent / graph.sources[topic.id].path]
        for _, figure_id in topic.figure_references():
            image = graph.figure(figure_id).image
            if image is not None:
                files.append(graph.root / image)
        times[topic.id] = max([course_time, *(clock.time(path) for path in files)])
    return ContentTimes(times, clock.source())


def static_figures(graph: CourseGraph) -> dict[str, bytes]:
    """The bytes of the figures that are image files in the course (`image:`), by figure id."""
    return {f.id: (graph.root / f.image).read_bytes() for f in graph.course.figures if f.image is not None}


class _FileClock:
    """Per-file change times from git where the file is committed and clean, else from the file system."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.used: set[str] = set()
        top = _git(folder, "rev-parse", "--show-toplevel")
        self.top = Path(top.strip()).resolve() if top else None
        self.dirty: set[Path] = set()
        if self.top is not None:
            status = _git(folder, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".") or ""
            entries = iter(status.split("\0"))
            for entry in entries:
                if len(entry) > 3:
                    self.dirty.add((self.top / entry[3:]).resolve())
                    if entry[0] in "RC":  # a rename or copy is followed by its original path
                        self.dirty.add((self.top / next(entries, "")).resolve())

    def time(self, path: Path) -> int:
        path = path.resolve()
        if self.top is not None and path not in self.dirty:
            committed = _git(self.folder, "log", "-1", "--format=%ct", "--", str(path))
            if committed and committed.strip().isdigit():
                self.used.add("git")
                return int(committed.strip())
        self.used.add("mtime")
        return int(path.stat().st_mtime)

    def source(self) -> str:
        return "+".join(sorted(self.used)) or "mtime"


def _git(folder: Path, *args: str) -> str | None:
    """Run git in a folder; None when git is missing or the folder is not in a repository."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None
