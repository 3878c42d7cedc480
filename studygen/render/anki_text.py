"""A deck as a tab-separated text file for Anki's "Import File" (File > Import), for people who prefer text.

Text import cannot create note types, so the rows use the note types every Anki collection starts with:
`Basic`, `Basic (and reversed card)` and `Cloze`, each with two fields. Our extra fields are folded into those
two (figure and hint into the front; extra, explanation and the link to the site into the back), and
multiple-choice questions become Basic notes with the options on the front. The headers tell Anki the
separator, that fields are HTML, the deck, and which columns hold the guid, note type and tags; the guid is the
same as in the .apkg, so both routes update the same notes. Media (figures) do not travel in a text file.
"""

from __future__ import annotations

import csv
import html
import io

from studygen.render.anki_notes import AnkiNote

STOCK_NOTE_TYPES = {"basic": "Basic", "reversed": "Basic (and reversed card)", "cloze": "Cloze", "choice": "Basic"}
COLUMNS = ("guid", "notetype", "front", "back", "tags")


def deck_tsv(deck_name: str, notes: tuple[AnkiNote, ...], hint_label: str = "Hint") -> bytes:
    """The text-import file of one deck."""
    buffer = io.StringIO()
    buffer.write("#separator:tab\n#html:true\n")
    buffer.write(f"#deck:{deck_name}\n")
    buffer.write("#guid column:1\n#notetype column:2\n#tags column:5\n")
    buffer.write("#columns:" + "\t".join(COLUMNS) + "\n")
    writer = csv.writer(buffer, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    for note in notes:
        front, back = two_fields(note, hint_label)
        writer.writerow([note.guid, STOCK_NOTE_TYPES[note.note_type], front, back, " ".join(note.tags)])
    return buffer.getvalue().encode("utf-8")


def two_fields(note: AnkiNote, hint_label: str = "Hint") -> tuple[str, str]:
    """A note's fields folded into the two fields of Anki's stock note types (`hint_label`: the hint's summary,
    in the course's language)."""
    f = note.fields

    def block(name: str, css: str) -> str:
        return f'<div class="{css}">{f[name]}</div>' if f.get(name) else ""

    link = block("Link", "sg-link")
    summary = html.escape(hint_label)
    hint = f'<details class="sg-hint"><summary>{summary}</summary>{f["Hint"]}</details>' if f.get("Hint") else ""
    if note.note_type == "choice":
        front = f["Question"] + block("Figure", "sg-figure") + f"<p><i>{f['Instruction']}</i></p>" + f["Options"] + hint
        back = f"<p>{f['Answer']}</p>" + f["Feedback"] + block("Explanation", "sg-extra") + link
        return front, back
    if note.note_type == "cloze":
        return f["Text"] + block("Figure", "sg-figure") + hint, f["Extra"] + link
    return f["Front"] + block("Figure", "sg-figure") + hint, f["Back"] + block("Extra", "sg-extra") + link
