"""Search documents of collected pages kept between builds, in `.studygen-cache/search.sqlite` beside the course.

A part of the search index made again (after an edit of one of its topics) needs the document of every flashcard
and answers page in it (studygen.render.search), and a page kept from the last build has no plan in hand: planning
its unit again to make the document was ~1.2 s of a one-topic edit at 1,000 topics (a part holds 250 topics' cards
and questions). A document is stored under a hash of what it is made from: our code, the index's settings (its
language, the interface strings, whether pages mark their text), the page's template and the fingerprint of its
plan (which covers every card and question it shows), so a document found here is the one that would be made.

Lookups are made in the building thread; what the index's helper threads make is written by them, each with a
connection of its own (a connection must not cross threads). The cache can only save time: when it cannot be
opened, read or written, the documents are made from the plans.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from studygen.cache_table import open_table, save_and_close, save_entries

CACHE_FILE = ".studygen-cache/search.sqlite"
_TABLE, _COLUMN = "documents", "html"


class DocumentCache:
    """The stored documents of one build's index settings."""

    def __init__(self, course_dir: Path, salt: str) -> None:
        self.path = course_dir.resolve().parent / CACHE_FILE
        self.salt = salt.encode()

    def key(self, template: str, fingerprint: str) -> bytes:
        pieces = b"\0".join([self.salt, template.encode(), fingerprint.encode()])
        return hashlib.blake2b(pieces, digest_size=16).digest()

    def get(self, keys: Iterable[bytes]) -> dict[bytes, str]:
        """The stored documents among these keys."""
        connection = open_table(self.path, _TABLE, _COLUMN)
        if connection is None:
            return {}
        found: dict[bytes, str] = {}
        try:
            for key in keys:
                row = connection.execute(f"SELECT {_COLUMN} FROM {_TABLE} WHERE key = ?", (key,)).fetchone()
                if row is not None and isinstance(row[0], str):
                    found[key] = row[0]
        except sqlite3.Error:
            pass  # e.g. a damaged file: the documents are made
        finally:
            connection.close()
        return found

    def save(self, documents: dict[bytes, str], used: set[bytes] | None = None) -> None:
        """Store these documents (from any thread). With `used` (every document key of this build), drop the
        others once they are as many as those: documents of pages since edited."""
        connection = open_table(self.path, _TABLE, _COLUMN)
        if connection is not None:
            prune = used is not None
            save_and_close(connection, lambda: save_entries(connection, _TABLE, documents, used or set(), prune=prune))
