"""Parsed YAML kept between builds, in `.studygen-cache/parsed.sqlite` beside the course.

Parsing is half of checking a course (1,000 topics: ~2.6 s of ~5 s), and from one build to the next most topic
files are unchanged. An entry is keyed by a hash of the file's bytes and of `parser_version()` (our YAML reader's code
and PyYAML's version); it holds what `load_yaml` made of the file: the data and the position of every field.
Only files that parsed without a problem are kept, so every problem is found afresh on every build.

Entries are JSON, never pickles: a cache that came with a course from elsewhere can at worst make a build wrong
about positions, never run code. The cache can only save time: when it cannot be opened, read or written, the
build parses every file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from studygen.cache_table import open_table, save_and_close, save_entries
from studygen.content import yamlsource

CACHE_FILE = ".studygen-cache/parsed.sqlite"


@cache
def parser_version() -> str:
    """Changes whenever parsing could: our YAML reader's code, or PyYAML."""
    digest = hashlib.sha256(Path(yamlsource.__file__).read_bytes())
    digest.update(f"\0pyyaml={version('pyyaml')}\0{yamlsource._BaseLoader.__name__}".encode())
    return digest.hexdigest()[:16]


class ParseCache:
    """Lookups while a course loads; what was parsed anew is written in one transaction at the end."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.salt = parser_version().encode()
        self.new: dict[bytes, str] = {}
        self.used: set[bytes] = set()
        # Files whose formulas all rendered, by a key of their bytes and the code that checked them
        # (studygen.content.formulas): found in an earlier build, and found in this one.
        self.formulas_passed: set[bytes] | None = None
        self.formulas_used: set[bytes] = set()
        self.formulas_new: dict[bytes, str] = {}

    def key(self, raw: bytes) -> bytes:
        return hashlib.blake2b(self.salt + b"\0" + raw).digest()

    def get(self, raw: bytes) -> tuple[Any, str] | None:
        """The data and the written positions (JSON text: see SourceMap.written) of a file with these bytes, if
        kept."""
        key = self.key(raw)
        self.used.add(key)
        try:
            row = self.connection.execute("SELECT parsed FROM parsed WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            data, written = json.loads(row[0])
            if not isinstance(written, str):
                return None
            return data, written
        except (sqlite3.Error, ValueError, TypeError):  # a damaged file or entry: parse instead
            return None

    def put(self, raw: bytes, data: Any, written: str) -> None:
        """Keep a parsed file's data and its written positions (SourceMap.write_down)."""
        try:
            entry = json.dumps([data, written])  # the positions as text inside: read only when asked for
        except (TypeError, ValueError):  # e.g. a !!binary value: JSON has no bytes, so the file is not kept
            return
        self.new[self.key(raw)] = entry

    def passed_formulas(self, key: bytes) -> bool:
        """Whether every formula of a file with this key (its bytes and the checking code) rendered before."""
        if self.formulas_passed is None:
            try:
                self.formulas_passed = {row[0] for row in self.connection.execute("SELECT key FROM formulas")}
            except sqlite3.Error:
                self.formulas_passed = set()
        self.formulas_used.add(key)
        return key in self.formulas_passed

    def formulas_pass(self, key: bytes) -> None:
        """Every formula of a file with this key renders."""
        self.formulas_used.add(key)
        self.formulas_new[key] = ""

    def save(self) -> None:
        # Every file is read on every build, so what this one did not use belongs to files since edited.
        save_entries(self.connection, "parsed", self.new, self.used, prune=True)
        if self.formulas_new or self.formulas_passed is not None:
            save_entries(self.connection, "formulas", self.formulas_new, self.formulas_used, prune=True)


@contextmanager
def parse_cache(course_dir: Path) -> Iterator[ParseCache | None]:
    """The course's parse cache for the loading done inside this block (None: no cache today)."""
    store = _open(course_dir.resolve().parent / CACHE_FILE)
    try:
        yield store
    finally:
        if store is not None:
            save_and_close(store.connection, store.save)


def _open(path: Path) -> ParseCache | None:
    connection = open_table(path, "parsed", "parsed")
    if connection is None:
        return None
    try:
        connection.execute("CREATE TABLE IF NOT EXISTS formulas (key BLOB PRIMARY KEY, passed TEXT NOT NULL)")
    except sqlite3.Error:
        connection.close()
        return None
    return ParseCache(connection)
