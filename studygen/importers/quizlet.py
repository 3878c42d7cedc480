"""Quizlet's export (*Export* on a set): one card per term and definition, as plain text.

Quizlet lets you choose both separators, so they are parameters: `term_separator` between a term and its
definition (`tab` — the default —, `comma`, or any text) and `card_separator` between cards (`newline` — the
default —, `semicolon`, or any text). A card is split at the *first* term separator, so a definition may contain
it. Every card becomes a basic flashcard: term on the front, definition on the back. The text is taken as
Markdown; math written `\\(...\\)` becomes `$...$`.
"""

from __future__ import annotations

from pathlib import Path

from studygen.importers.common import Ids, Imported, Item, fail, read_text, slugify
from studygen.importers.markup import plain_to_markdown

NAMED = {"tab": "\t", "comma": ",", "semicolon": ";", "newline": "\n", "space": " "}


def separator(value: str) -> str:
    """A separator given by name (`tab`, `comma`, `semicolon`, `newline`) or as the text itself (`\\n` allowed)."""
    found = NAMED.get(value.lower(), value.replace("\\n", "\n").replace("\\t", "\t"))
    if not found:
        raise ValueError("a separator cannot be empty")
    return found


def read_quizlet(path: Path, term_separator: str = "tab", card_separator: str = "newline") -> Imported:
    term_sep, card_sep = separator(term_separator), separator(card_separator)
    if term_sep == card_sep:
        raise fail(path, 1, "the term and card separators are the same", "pick two different separators")
    text = read_text(path)
    imported = Imported(path)
    ids = Ids()
    offset = 0
    for chunk in text.split(card_sep):
        leading = len(chunk) - len(chunk.lstrip())
        line = text.count("\n", 0, offset + leading) + 1
        offset += len(chunk) + len(card_sep)
        if not chunk.strip():
            continue
        term, found, definition = chunk.partition(term_sep)
        if not found:
            shown = chunk.strip()[:40]
            raise fail(path, line, f"card {shown!r} has no term separator {term_sep!r}",
                       "pass the separators the set was exported with (term: tab/comma/text; card: "
                       "newline/semicolon/text)")  # fmt: skip
        front, back = plain_to_markdown(term), plain_to_markdown(definition)
        if not front or not back:
            raise fail(path, line, "a card needs both a term and a definition")
        card = {"id": ids.make(slugify(front), "card"), "type": "basic", "front": front, "back": back}
        imported.flashcards.append(Item(card, line))
    return imported
