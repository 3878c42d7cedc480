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

Each note is finer still: its time is that of the lines it comes from (a flashcard's or a question's lines, the
definition, one takeaway, one link), read per line from `git blame` (a line not yet committed counts at the file's
modification time), but never older than the topic's header lines (id, title, subject), course.yaml and the
topic's figure images. So editing one card makes exactly that note newer, and a re-import updates that note and
leaves the others, with any changes the learner made to them in Anki, as they were.

These functions read the file system and git; the renderer itself receives their results and stays pure.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from studygen.content.graph import CourseGraph
from studygen.content.loader import COURSE_FILE
from studygen.content.model import Topic
from studygen.content.yamlsource import SourceMap

FieldPath = tuple[str | int, ...]
# The parts of a topic file that notes come from; each gets the time of its newest line.
NOTE_SOURCES = ("flashcards", "questions", "takeaways", "prerequisites", "learn_next")
HEADER_FIELDS = ("id", "title", "subject")  # shown on or deciding every note of the topic


@dataclass(frozen=True)
class ContentTimes:
    """Seconds since 1970 (UTC) of the newest change to each topic's inputs, and where they came from."""

    topics: dict[str, int]
    source: str  # "SOURCE_DATE_EPOCH", "git", "mtime" or "git+mtime"
    parts: dict[tuple[str, FieldPath], int] = field(default_factory=dict)  # (topic id, field path) -> time

    def of(self, topic_id: str) -> int:
        return self.topics[topic_id]

    def of_part(self, topic_id: str, field_path: FieldPath) -> int:
        """The time of one part of a topic (what one note comes from); the topic's time where unknown."""
        return self.parts.get((topic_id, field_path), self.topics[topic_id])


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
    parts: dict[tuple[str, FieldPath], int] = {}
    for topic in graph.topics:
        source = graph.sources[topic.id]
        topic_file = graph.root.parent / source.path
        figure_files = [
            graph.root / image
            for _, figure_id in topic.figure_references()
            if (image := graph.figure(figure_id).image) is not None
        ]
        times[topic.id] = max([course_time, *(clock.time(path) for path in [topic_file, *figure_files])])
        lines = clock.line_times(topic_file)
        if lines is None:
            continue  # no per-line history: every note takes the topic's time
        floor = max([course_time, *(clock.time(path) for path in figure_files)])
        floor = max([floor, *(t for name in HEADER_FIELDS if (t := _newest(source, lines, (name,))) is not None)])
        for field_path in _note_sources(topic):
            part_time = _newest(source, lines, field_path)
            if part_time is not None:
                parts[(topic.id, field_path)] = max(floor, part_time)
    return ContentTimes(times, clock.source(), parts)


def _newest(source: SourceMap, lines: list[int], field_path: FieldPath) -> int | None:
    """The newest time among the lines of one written field; None if the file does not write it."""
    span = source.span(field_path)
    return max(lines[span[0] - 1 : min(span[1], len(lines))], default=None) if span else None


def _note_sources(topic: Topic) -> list[FieldPath]:
    paths: list[FieldPath] = [("definition",)]
    for name in NOTE_SOURCES:
        paths += [(name, index) for index in range(len(getattr(topic, name)))]
    return paths


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

    def line_times(self, path: Path) -> list[int] | None:
        """The time of each line of a file (index = line - 1) from `git blame`; None where git cannot tell."""
        if self.top is None:
            return None
        blame = _git(self.folder, "blame", "--porcelain", "--", str(path.resolve()))
        if blame is None:
            return None  # untracked or outside the repository
        modified = int(path.stat().st_mtime)
        commit_times: dict[str, int] = {}
        result: list[int] = []
        commit = ""
        for row in blame.splitlines():
            if row.startswith("\t"):
                # Lines not yet committed show an all-zero commit: they changed at the file's modification time.
                result.append(modified if set(commit) == {"0"} else commit_times.get(commit, modified))
            elif row.startswith("committer-time "):
                commit_times[commit] = int(row.split()[1])
            else:
                head = row.split(" ", 1)[0]
                if len(head) == 40 and all(c in "0123456789abcdef" for c in head):
                    commit = head
        self.used.add("git")
        return result

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
