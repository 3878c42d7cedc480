"""Rendered Markdown kept between builds, in `.studygen-cache/markup.sqlite` beside the course.

Markdown, math and sanitising are about a third of a build, and from one build to the next most of a course is
unchanged. An entry is keyed by a hash of the text, the math mode, the inline flag and `markup_version()` (our
rendering code and the versions of the libraries it calls), so a change to any of them is a miss that renders
afresh. The cache can only save time: when it cannot be opened, read or written, the build renders everything.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.metadata import version
from pathlib import Path

from studygen.cache_table import open_table, save_and_close, save_entries
from studygen.render import markup

CACHE_FILE = ".studygen-cache/markup.sqlite"
# What a process rendered anew, and which entries it used: handed from a forked child to its parent.
MarkupChanges = tuple[dict[bytes, str], set[bytes]]


@cache
def markup_version() -> str:
    """Changes whenever rendering could: our markup module's code, or a library it renders with."""
    digest = hashlib.sha256(Path(markup.__file__).read_bytes())
    for library in ("markdown", "nh3", "latex2mathml"):
        digest.update(f"\0{library}={version(library)}".encode())
    return digest.hexdigest()[:16]


# Entries rendered anew that a build holds before writing them to the cache file: a clean build renders every text of
# the course, and holding them all until the end was ~50 KB per topic (5,000 topics: ~240 MB) for nothing.
WRITE_EVERY = 20_000


class MarkupStore:
    """Lookups during a build; what was rendered anew is written in batches of WRITE_EVERY and at the end.

    Every entry is read in one query when the store opens: a build asks for nearly all of them (1,000 topics:
    83,000 texts), and one query for all took 0.3 s where one query per text took ~2.8 s. The cost is memory:
    the whole cache stays in memory for the build (~50 MB more at 1,000 topics)."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        try:
            self.stored: dict[bytes, str] = dict(connection.execute("SELECT key, html FROM markup"))
        except sqlite3.Error:  # e.g. a damaged file: render instead
            self.stored = {}
        # What a build used is counted to prune the rest (`save`); an empty cache has nothing to prune, so a clean
        # build does not count (it would hold a key per text of the course to the end).
        self.counting = bool(self.stored)
        self.salt = markup_version().encode()
        self.new: dict[bytes, str] = {}
        self.used: set[bytes] = set()
        self.written: set[bytes] = set()  # rendered anew and already written (read back from the file if asked for)
        self.writing = True  # whether batches are written as the build goes
        self.in_child = False
        self.inherited: set[bytes] = set()  # in a forked child: what the parent had rendered before the fork
        # Whether this build rendered every page: only then is what it did not use no longer needed (a page kept
        # from the last build used its Markdown without asking for it).
        self.saw_everything = True

    def key(self, text: str, math: str, inline: bool) -> bytes:
        # 16 bytes: a build holds every key it used (83,000 at 1,000 topics), and 128 bits never collide in a cache.
        parts = (self.salt, math.encode(), b"1" if inline else b"0", text.encode())
        return hashlib.blake2b(b"\0".join(parts), digest_size=16).digest()

    def get(self, key: bytes) -> str | None:
        if self.counting:
            self.used.add(key)
        # Rendered earlier in this build (since gone from render_markdown's own small cache), or in an earlier one.
        found = self.new.get(key)
        if found is None:
            found = self.stored.get(key)
        if found is None and key in self.written:
            found = self._read(key)
        return found

    def put(self, key: bytes, html: str) -> None:
        self.new[key] = html
        if self.writing and len(self.new) >= WRITE_EVERY:
            self._write()

    def _write(self) -> None:
        """Write what was rendered anew so far and let it go (kept in memory if the file cannot take it now)."""
        try:
            save_entries(self.connection, "markup", self.new, set(), prune=False)
        except sqlite3.Error:
            self.writing = False  # e.g. another build writing: saved at the end instead
            return
        self.written.update(self.new)
        self.new = {}

    def _read(self, key: bytes) -> str | None:
        try:
            row = self.connection.execute("SELECT html FROM markup WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else str(row[0])

    def after_fork(self) -> None:
        """In a forked child (see forked.py): a connection of its own, since an SQLite connection must not cross a
        fork, and a fresh record of what this process renders and uses, for `changes()`."""
        self.connection = sqlite3.connect(self.path, timeout=10)
        self.inherited = set(self.new)
        self.used = set()
        self.in_child = True

    def changes(self) -> MarkupChanges:
        """What this process rendered anew (since a fork, in a child) and has not written itself, and which entries
        it used. A child writes what it rendered when the file takes it: handed over, the parent held all of it at
        once (every card and question of a 5,000-topic course, rendered for Anki)."""
        rendered = {k: v for k, v in self.new.items() if k not in self.inherited}
        if self.in_child and rendered:
            try:
                save_entries(self.connection, "markup", rendered, set(), prune=False)
                rendered = {}
            except sqlite3.Error:
                pass  # e.g. the parent writing a batch for longer than the wait: the parent saves them
        return rendered, set(self.used)

    def merge(self, changes: MarkupChanges) -> None:
        """Take in a child's `changes()`, so that what it rendered is saved and what it used is kept."""
        rendered, used = changes
        self.new.update(rendered)
        self.used |= used

    def save(self) -> None:
        # Pruned only after a build that rendered everything: a page kept from the last build used its Markdown
        # without asking for it.
        save_entries(self.connection, "markup", self.new, self.used, prune=self.saw_everything and self.counting)


@contextmanager
def persistent_markup(course_dir: Path) -> Iterator[MarkupStore | None]:
    """Use the course's markup cache for the Markdown rendered inside this block (None: no cache today)."""
    store = _open(course_dir.resolve().parent / CACHE_FILE)
    markup.use_store(store)
    try:
        yield store
    finally:
        markup.use_store(None)
    if store is not None:
        save_and_close(store.connection, store.save)


def _open(path: Path) -> MarkupStore | None:
    connection = open_table(path, "markup", "html")
    return None if connection is None else MarkupStore(connection, path)
