"""Flashcards from a spreadsheet saved as CSV, with a header row naming the columns.

Columns (names are case-insensitive; order is free; only `front` or `text` is required):

| column | meaning |
|---|---|
| `id` | the card's id (a slug); made from the front or text when empty or absent |
| `type` | `basic` (default), `reversed` or `cloze`; a text with `{{c1::...}}` is cloze when `type` is empty |
| `front` | the question side (Markdown) |
| `back` | the answer side (Markdown) |
| `text` | a cloze card's text; `front` is used when `text` is empty |
| `extra` | a cloze card's extra text (also accepted: `back`) |
| `tags` | tags separated by spaces or commas; made into slugs |
| `figure` | the id of a figure of the course |

The delimiter is detected among comma, semicolon and tab. Cells are Markdown as they are; math `\\(...\\)` becomes
`$...$`. An unknown column is an error (with the column's name), so a typo cannot lose a column.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from studygen.content.model import CLOZE_DELETION
from studygen.importers.anki_text import slugify_text
from studygen.importers.common import Ids, Imported, Item, fail, read_text, slugify, to_tag
from studygen.importers.markup import plain_to_markdown

COLUMNS = ("id", "type", "front", "back", "text", "extra", "tags", "figure")
TYPES = ("basic", "reversed", "cloze")


def read_csv_cards(path: Path) -> Imported:
    text = read_text(path)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count) if first_line.strip() else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as error:
        raise fail(path, 1, f"the header row cannot be read: {error}") from None
    if not any(header):
        raise fail(path, 1, "has no header row", f"the first row names the columns: {', '.join(COLUMNS)}")
    for index, name in enumerate(header):
        if name not in COLUMNS:
            raise fail(path, 1, f"unknown column {name!r} (column {index + 1})", f"use: {', '.join(COLUMNS)}",
                       column=index + 1)  # fmt: skip
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise fail(path, 1, f"column {duplicates[0]!r} appears twice")
    if "front" not in header and "text" not in header:
        raise fail(path, 1, "needs a `front` or a `text` column", f"columns: {', '.join(COLUMNS)}")
    imported = Imported(path)
    ids = Ids()
    start = 2
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise fail(path, line, f"has {len(row)} cells but the header names {len(header)} columns",
                           "quote cells that contain the delimiter")  # fmt: skip
            cells = {name: plain_to_markdown(row[i]) if i < len(row) else "" for i, name in enumerate(header)}
            imported.flashcards.append(Item(_card(cells, ids, path, line), line))
    except csv.Error as error:
        raise fail(path, start, f"cannot be read as CSV: {error}") from None
    return imported


def _card(cells: dict[str, str], ids: Ids, path: Path, line: int) -> dict:
    kind = cells.get("type", "").lower() or (
        "cloze" if CLOZE_DELETION.search(cells.get("text") or cells.get("front", "")) else "basic"
    )
    if kind not in TYPES:
        raise fail(path, line, f"unknown type {cells['type']!r}", f"use one of: {', '.join(TYPES)}", field="type")
    card: dict = {}
    if kind == "cloze":
        card = {"type": "cloze", "text": cells.get("text") or cells.get("front", "")}
        if cells.get("extra") or cells.get("back"):
            card["extra"] = cells.get("extra") or cells.get("back", "")
        wanted = slugify_text(card["text"])
    else:
        card = {"type": kind, "front": cells.get("front", ""), "back": cells.get("back", "")}
        wanted = card["front"]
    tags = [to_tag(tag) for tag in re.split(r"[\s,]+", cells.get("tags", ""))]
    if any(tags):
        card["tags"] = list(dict.fromkeys(tag for tag in tags if tag))
    if cells.get("figure"):
        card["figure"] = cells["figure"]
    given = cells.get("id", "")
    if given and given in ids.taken:
        raise fail(path, line, f"id {given!r} is used twice in this file", field="id")
    card_id = ids.make(given, "card") if given else ids.make(slugify(wanted), "card")
    return {"id": card_id, **card}
