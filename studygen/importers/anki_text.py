"""Anki's text files ("Notes in Plain Text", `.txt`/`.tsv`/`.csv`), with or without the `#` header lines.

Headers read (all optional, at the top of the file): `#separator:` (`tab`, `comma`, `semicolon`, `space`, `pipe`,
`colon` or the character itself; default tab), `#html:` (default true), `#notetype:` and `#deck:` (for every row),
`#tags:` (added to every row), and `#guid column:`, `#notetype column:`, `#deck column:`, `#tags column:`
(1-based). The other columns are the note's fields, in order.

Note types: a name containing "cloze", or a first field with a deletion `{{c1::`, is a cloze note (Text, Extra);
"Basic (and reversed card)" / "Basic (optional reversed card)" (or any name with "reversed") is a reversed card;
everything else is a basic card (Front, Back). Fields after the second are appended to the back (with a warning).

Our own exports (`build/anki/text/*.tsv`) fold extra fields into the two stock fields; the importer unfolds them:
the link to the site is dropped, the figure block becomes `figure:` again (by the figure's title in the course
file), the hint block is dropped (cards have none), and math spaced for cloze (`} }`) is closed up again. Notes
tagged as practice questions (`studygen::kind::question`) or derived cards (`studygen::tag::derived`) are
skipped: import questions from GIFT or Moodle XML, and derived cards come back from the topic itself.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from studygen.content.model import CLOZE_DELETION
from studygen.importers.common import Ids, Imported, Item, fail, read_text, slugify, to_tag
from studygen.importers.markup import html_to_markdown, plain_to_markdown

SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}
_LINK = re.compile(r'<div class="sg-link">.*?</div>\s*$', re.DOTALL)
_HINT = re.compile(r"<details class=\"sg-hint\"><summary>[^<]*</summary>.*?</details>\s*$", re.DOTALL)
_FIGURE = re.compile(r'<div class="sg-figure"><figure[^>]*>(.*?)</figure></div>', re.DOTALL)
_FIGCAPTION = re.compile(r"<figcaption>(.*?)</figcaption>", re.DOTALL)
_EXTRA = re.compile(r'<div class="sg-extra">(.*?)</div>\s*$', re.DOTALL)
_MATH_SPAN = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]", re.DOTALL)
_HEADER = re.compile(r"^#([a-z ]+):(.*)$")
_SKIPPED_TAGS = {"studygen::kind::question": "practice question", "studygen::tag::derived": "derived card"}


def _header_separator(value: str, path: Path, line: int) -> str:
    value = value.strip() if value.strip() else value
    found = SEPARATORS.get(value.lower(), value)
    if len(found) != 1:
        raise fail(path, line, f"unknown separator {value!r}", f"use one of {', '.join(SEPARATORS)} or one character")
    return found


def _column(value: str, path: Path, line: int) -> int:
    if not value.strip().isdigit() or int(value) < 1:
        raise fail(path, line, f"a column number must be 1 or more, not {value.strip()!r}")
    return int(value) - 1


def unguard_cloze_math(text: str) -> str:
    """Undo the export's `} }` / `: :` spacing inside formulas of a cloze text (TeX ignores the space)."""
    return _MATH_SPAN.sub(lambda m: re.sub(r"([}:]) (?=\1)", r"\1", m.group()), text)


def read_anki_text(path: Path, figures: dict[str, str] | None = None) -> Imported:
    """Read an Anki text export. `figures`: figure title -> id from the course (to restore figure references)."""
    figures = figures or {}
    text = read_text(path)
    lines = text.split("\n")
    settings: dict[str, str] = {}
    header_lines = 0
    for number, line in enumerate(lines, start=1):
        match = _HEADER.match(line)
        if not match:
            break
        settings[match.group(1).strip()] = match.group(2)
        header_lines = number
    separator = _header_separator(settings.get("separator", "tab"), path, 1)
    is_html = settings.get("html", "true").strip().lower() != "false"
    special = {}
    for name in ("guid", "notetype", "deck", "tags"):
        if f"{name} column" in settings:
            special[name] = _column(settings[f"{name} column"], path, 1)
    imported = Imported(path)
    ids = Ids()
    decks: set[str] = set()
    skipped: dict[str, int] = {}
    folded = 0
    body = "\n".join(lines[header_lines:])
    reader = csv.reader(io.StringIO(body), delimiter=separator, quotechar='"', strict=True)
    start = header_lines + 1
    try:
        for row in reader:
            line_no, start = start, header_lines + reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            width = max(special.values(), default=-1) + 1
            if len(row) < width:
                raise fail(path, line_no, f"has {len(row)} column(s); the headers name column {width}",
                           f"check the separator ({settings.get('separator', 'tab')!r})")  # fmt: skip
            fields = [cell for index, cell in enumerate(row) if index not in special.values()]
            if len(fields) < 1 or not fields[0].strip():
                raise fail(path, line_no, "has no first field (front or cloze text)")
            note_type = row[special["notetype"]] if "notetype" in special else settings.get("notetype", "")
            tags = settings.get("tags", "").split() + (row[special["tags"]].split() if "tags" in special else [])
            if "deck" in special:
                decks.add(row[special["deck"]])
            reason = next((why for tag, why in _SKIPPED_TAGS.items() if tag in tags), None)
            if reason:
                skipped[reason] = skipped.get(reason, 0) + 1
                continue
            card, extra_fields = _card(fields, note_type, is_html, figures, imported, line_no)
            folded += extra_fields
            card["tags"] = _tags(tags)
            wanted = slugify(slugify_text(card.get("front") or card.get("text", ""))) or slugify(card.get("back", ""))
            card = {"id": ids.make(wanted, "card"), **card}
            imported.flashcards.append(Item(_tidy(card), line_no))
    except csv.Error as error:
        raise fail(path, start, f"cannot be read as {_name(separator)}-separated text: {error}") from None
    for reason, count in sorted(skipped.items()):
        advice = "import questions from the GIFT or Moodle XML export" if reason == "practice question" else (
            "derived cards are made again from the topic's definition and takeaways")  # fmt: skip
        imported.warnings.append(f"{path}: skipped {count} {reason}(s) made by studygen: {advice}")
    if folded:
        imported.warnings.append(f"{path}: {folded} note(s) had more than two fields; the rest went to the back")
    if len(decks) > 1:
        imported.warnings.append(f"{path}: notes from {len(decks)} decks were put into one topic")
    if "guid" in special and imported.flashcards:
        imported.warnings.append(
            f"{path}: Anki note ids (guids) are not kept; ids were made from the card text: check them, since "
            "Anki will see the re-exported cards as new notes"
        )
    return imported


def slugify_text(markdown: str) -> str:
    return CLOZE_DELETION.sub(lambda m: m.group(2).split("::")[0], markdown)


def _name(separator: str) -> str:
    return next((name for name, char in SEPARATORS.items() if char == separator), repr(separator))


def _tags(tags: list[str]) -> list[str]:
    found = []
    for tag in tags:
        if tag == "studygen" or (tag.startswith("studygen::") and not tag.startswith("studygen::tag::")):
            continue  # studygen's own bookkeeping tags: root, subject/topic, kind, importance, question type
        slug = to_tag(tag.removeprefix("studygen::tag::"))
        if slug and slug not in found:
            found.append(slug)
    return found


def _field(value: str, is_html: bool) -> str:
    return html_to_markdown(value) if is_html else plain_to_markdown(value)


def _card(
    fields: list[str], note_type: str, is_html: bool, figures: dict[str, str], imported: Imported, line: int
) -> tuple[dict, int]:
    front, back = fields[0], fields[1] if len(fields) > 1 else ""
    extra_fields = [f for f in fields[2:] if f.strip()]
    card: dict = {}
    if is_html:
        front = _HINT.sub("", front)
        figure = _FIGURE.search(front)
        if figure:
            front = front[: figure.start()] + front[figure.end() :]
            caption = _FIGCAPTION.search(figure.group(1))
            title = html_to_markdown(caption.group(1)) if caption else ""
            if title in figures:
                card["figure"] = figures[title]
            else:
                imported.warnings.append(f"{imported.path}:{line}: figure “{title}” is not in the course; dropped")
        back = _LINK.sub("", back)
        extra = _EXTRA.search(back)
        if extra:
            back = back[: extra.start()] + "\n\n" + extra.group(1)
    kind = note_type.lower()
    if "cloze" in kind or (not note_type and CLOZE_DELETION.search(front)):
        text = _field(unguard_cloze_math(front) if is_html else front, is_html)
        extra_text = "\n\n".join(_field(f, is_html) for f in [back, *extra_fields] if f.strip())
        card.update(type="cloze", text=text, extra=extra_text)
    else:
        back_text = "\n\n".join(_field(f, is_html) for f in [back, *extra_fields] if f.strip())
        card.update(type="reversed" if "reversed" in kind else "basic", front=_field(front, is_html), back=back_text)
    return card, 1 if extra_fields else 0


def _tidy(card: dict) -> dict:
    """Canonical key order; empty optional fields left out (required ones kept, so validation names them)."""
    order = ("id", "type", "front", "back", "text", "extra", "figure", "tags")
    required = {"id", "type", "text"} if card["type"] == "cloze" else {"id", "type", "front", "back"}
    return {key: card[key] for key in order if key in required or card.get(key) not in (None, "", [])}
