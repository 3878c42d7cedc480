"""Our Anki note types: fixed ids, fixed field lists, templates and CSS from `templates/anki/`.

Anki recognises a note type by its id. Keep the ids forever: a changed id makes every learner's notes
"conflicting" on the next import (Anki then adds a second note type and leaves the old notes alone).

Changing wording, templates or CSS is safe: Anki takes the new templates when the package's note type is newer
than the one in the collection. So whenever a file in `templates/anki/` changes, raise `NOTE_FORMAT_TIME` to
the current time and update `TEMPLATES_SHA256` (a test compares the hash with the files and says so). Do the
same when the HTML that studygen writes into the fields changes (anki_notes.py): without a newer time, Anki
keeps the notes it already has.

Adding, removing or renaming a field changes the note type's schema. That is a deliberate event: it needs a
line in docs/anki.md ("Note type changes"), and learners must tick "Merge note types" on their next import
(otherwise Anki reports the notes as conflicting). A test pins the field lists so that it cannot happen by
accident.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

import genanki

from studygen.render.theme import theme_dir

# When the note format (templates, CSS, field HTML) last changed, in seconds since 1970 (UTC); every note and note
# type is at least this new. TEMPLATES_SHA256 is `templates_digest()` of that version of templates/anki/.
NOTE_FORMAT_TIME = 1_795_757_867
TEMPLATES_SHA256 = "199820ff295568772c63f6215d425855acdcb650d275a62b99d8b03225313e9d"


@dataclass(frozen=True)
class NoteTypeSpec:
    key: str  # our short name: basic, reversed, cloze, choice
    id: int  # Anki's note type id: never change it
    name: str  # shown in Anki's note type list
    fields: tuple[str, ...]  # never change without a documented "merge note types" release
    templates: tuple[tuple[str, str, str], ...]  # (card name, front file, back file) in templates/anki/
    cloze: bool = False


NOTE_TYPES: dict[str, NoteTypeSpec] = {
    spec.key: spec
    for spec in (
        NoteTypeSpec(
            "basic",
            1_598_204_771,
            "studygen Basic",
            ("Front", "Back", "Extra", "Hint", "Figure", "Context", "Link"),
            (("Card 1", "basic-front.html", "basic-back.html"),),
        ),
        NoteTypeSpec(
            "reversed",
            1_598_204_772,
            "studygen Basic and reversed",
            ("Front", "Back", "Extra", "Hint", "Figure", "Context", "Link"),
            (
                ("Card 1", "basic-front.html", "basic-back.html"),
                ("Card 2", "reversed-front.html", "reversed-back.html"),
            ),
        ),
        NoteTypeSpec(
            "cloze",
            1_598_204_773,
            "studygen Cloze",
            ("Text", "Extra", "Hint", "Figure", "Context", "Link"),
            (("Cloze", "cloze-front.html", "cloze-back.html"),),
            cloze=True,
        ),
        NoteTypeSpec(
            "choice",
            1_598_204_774,
            "studygen Multiple choice",
            (
                "Question",
                "Instruction",
                "Options",
                "Answer",
                "Feedback",
                "Explanation",
                "Hint",
                "Figure",
                "Context",
                "Link",
            ),
            (("Card 1", "choice-front.html", "choice-back.html"),),
        ),
    )
}


def template_files() -> dict[str, str]:
    """The files of templates/anki/, name -> text, in name order."""
    folder = theme_dir() / "anki"
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.iterdir()) if path.is_file()}


def templates_digest() -> str:
    """SHA-256 over the template files' names and texts; compared with TEMPLATES_SHA256 by the tests."""
    digest = hashlib.sha256()
    for name, text in template_files().items():
        digest.update(f"{name}\0{text}\0".encode())
    return digest.hexdigest()


@cache
def genanki_model(key: str) -> genanki.Model:
    """The genanki model of one of our note types."""
    spec = NOTE_TYPES[key]
    files = template_files()
    return genanki.Model(
        spec.id,
        spec.name,
        fields=[{"name": name} for name in spec.fields],
        templates=[{"name": name, "qfmt": files[front], "afmt": files[back]} for name, front, back in spec.templates],
        css=files["card.css"],
        model_type=genanki.Model.CLOZE if spec.cloze else genanki.Model.FRONT_BACK,
        sort_field_index=0,
    )
