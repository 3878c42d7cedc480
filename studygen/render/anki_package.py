"""Write an Anki package (.apkg) as bytes, reproducibly and without temporary files.

genanki's own `Package.write_to_file` gives every note one timestamp, writes its database to a temporary file
that it never removes, and zips with the wall-clock time. We use genanki only to fill the database (its
schema, decks, note types, notes and cards), in memory, and do the rest ourselves:

- each deck's notes and cards carry that deck's own modification time (so Anki updates only what is newer);
- note types carry the package's time (the newest of its decks and of the note format);
- note and card ids count up from a number derived from the package time, so they are fixed too;
- the zip's entries have a fixed date, permissions and order, so the same input gives the same bytes.
"""

from __future__ import annotations

import io
import itertools
import json
import sqlite3
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

import genanki

from studygen.render.anki_models import genanki_model
from studygen.render.anki_notes import AnkiNote

_ZIP_EPOCH = 315_532_800  # 1980-01-01, the earliest date a zip entry can hold


@dataclass(frozen=True)
class DeckContent:
    """One deck of a package: its full name (`Course::Subject::Topic`), notes and modification time."""

    key: str  # what the deck is of, e.g. the topic id
    deck_id: int
    name: str
    description: str
    notes: tuple[AnkiNote, ...]
    time: int  # seconds since 1970: the deck's time, and that of any note without a time of its own
    note_times: tuple[int, ...] = ()  # per note, aligned with `notes`: when that note's source last changed


def build_apkg(decks: list[DeckContent], media: Mapping[str, bytes], package_time: int) -> bytes:
    """The bytes of an .apkg with these decks; `media` holds the files the notes reference, by file name."""
    database = _collection(decks, package_time)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        stamp = time.gmtime(max(package_time, _ZIP_EPOCH))[:6]
        names = sorted(media)

        def add(name: str, data: bytes) -> None:
            entry = zipfile.ZipInfo(name, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # as written on Unix, whatever the machine
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)

        add("collection.anki2", database)
        add("media", json.dumps({str(i): name for i, name in enumerate(names)}, sort_keys=True).encode())
        for i, name in enumerate(names):
            add(str(i), media[name])
    return buffer.getvalue()


def _collection(decks: list[DeckContent], package_time: int) -> bytes:
    """The package's collection.anki2 (legacy schema 11), built in memory and returned as bytes."""
    connection = sqlite3.connect(":memory:")
    try:
        cursor = connection.cursor()
        ids = itertools.count(package_time * 1000)
        genanki.Package([]).write_to_db(cursor, package_time, ids)  # schema and the collection row only
        decks_json, models_json = cursor.execute("SELECT decks, models FROM col").fetchone()
        # The collection's deck and note-type lists are gathered here and stored once: genanki's Deck.write_to_db
        # reads and rewrites both JSON lists for every deck, which grows with the square of a course's topics.
        deck_list, models = json.loads(decks_json), json.loads(models_json)
        due = itertools.count()
        for content in decks:
            deck_list[str(content.deck_id)] = genanki.Deck(content.deck_id, content.name, content.description).to_json()
            notes = [_genanki_note(note, next(due)) for note in content.notes]
            # Once per note type of the deck, not per note (it was a sixth of making a 24,000-note package).
            for model in {id(note.model): note.model for note in notes}.values():
                models[str(model.model_id)] = model.to_json(content.time, content.deck_id)
            # Anki updates a note only if it is newer than the learner's copy: give each note its own time, so an
            # edit to one card updates that note and leaves the others (and any edits made to them in Anki) alone.
            times = (*content.note_times, *[content.time] * (len(notes) - len(content.note_times)))
            for note, seconds in zip(notes, times, strict=True):
                note.write_to_db(cursor, seconds, content.deck_id, ids)
        for model in models.values():
            model["mod"] = package_time
        cursor.execute(
            "UPDATE col SET decks = ?, models = ?, mod = ?",
            (json.dumps(deck_list), json.dumps(models, sort_keys=True), package_time * 1000),
        )
        connection.commit()
        return connection.serialize()
    finally:
        connection.close()


def _genanki_note(note: AnkiNote, due: int) -> genanki.Note:
    return genanki.Note(
        model=genanki_model(note.note_type), fields=list(note.fields.values()), tags=list(note.tags), guid=note.guid,
        due=due,
    )  # fmt: skip
