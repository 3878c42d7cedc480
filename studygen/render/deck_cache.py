"""Anki decks kept between builds, in `.studygen-cache/decks.sqlite` beside the course.

A rebuild takes an unchanged topic's deck from the last build's records (its fingerprint, time, media and note
count: studygen.render.anki), but the course's package holds every deck, so after any edit every deck had to be
made again (1,000 topics: ~24,000 notes, ~2 s of the rebuild's critical path). An entry is a deck's content keyed
by its fingerprint, which is a hash of that content: a deck found here is exactly the deck that would be made.

Entries are JSON, never pickles (a cache that came with a course from elsewhere must not run code). The cache can
only save time: when it cannot be opened, read or written, or an entry does not read back, the deck is made.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from studygen.cache_table import open_table, save_and_close, save_entries
from studygen.render.anki_notes import AnkiNote
from studygen.render.anki_package import DeckContent

CACHE_FILE = ".studygen-cache/decks.sqlite"
_SALT = b"deck-content-2\0"  # changes if the stored form of a deck changes


class DeckStore:
    """Lookups while the decks are made; what this build made is written in one transaction at the end."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.new: dict[bytes, str] = {}
        self.used: set[bytes] = set()

    def get(self, fingerprint: str) -> DeckContent | None:
        key = self._key(fingerprint)
        self.used.add(key)
        try:
            row = self.connection.execute("SELECT content FROM decks WHERE key = ?", (key,)).fetchone()
            return None if row is None else _content(json.loads(row[0]))
        except (sqlite3.Error, ValueError, TypeError):
            return None

    def put(self, fingerprint: str, content: DeckContent) -> None:
        key = self._key(fingerprint)
        self.used.add(key)
        self.new[key] = json.dumps(_stored_form(content), separators=(",", ":"))

    def keep(self, fingerprint: str) -> None:
        """A deck of this build whose content was not asked for: still worth keeping."""
        self.used.add(self._key(fingerprint))

    def save(self) -> None:
        # Only the decks of this build are worth keeping: a deck that comes back is made again once.
        save_entries(self.connection, "decks", self.new, self.used, prune=True)

    @staticmethod
    def _key(fingerprint: str) -> bytes:
        return _SALT + fingerprint.encode()


def _stored_form(content: DeckContent) -> list[Any]:
    # Fields in order, by hand: dataclasses.asdict deep-copies every value (~2 s for 1,000 decks).
    notes = [[n.guid, n.note_type, n.fields, n.tags, n.media, n.source] for n in content.notes]
    return [content.key, content.deck_id, content.name, content.description, notes, content.time, content.note_times]


def _content(data: list[Any]) -> DeckContent:
    key, deck_id, name, description, notes, time, note_times = data
    return DeckContent(
        key,
        deck_id,
        name,
        description,
        tuple(AnkiNote(guid, note_type, dict(fields), tuple(tags), tuple(media), tuple(source))
              for guid, note_type, fields, tags, media, source in notes),
        time,
        tuple(note_times),
    )  # fmt: skip


@contextmanager
def deck_cache(course_dir: Path) -> Iterator[DeckStore | None]:
    """The course's deck cache, open in this process (None: no cache today); saved when the block ends well."""
    connection = open_table(course_dir.resolve().parent / CACHE_FILE, "decks", "content")
    store = None if connection is None else DeckStore(connection)
    try:
        yield store
    except BaseException:
        if connection is not None:
            connection.close()
        raise
    if store is not None:
        save_and_close(store.connection, store.save)
