"""`studygen import`: turn existing study material into a topic file (see docs/importing.md).

One module per format reads a file into flashcards or questions (`studygen.importers.common.Imported`);
`import_file` then validates them and writes `<course>/topics/<topic>.yaml`, or adds them to that topic if it
exists (never overwriting an id). Bad input raises `ContentError` with the file and line.
"""

from __future__ import annotations

from pathlib import Path

from studygen.importers.anki_text import read_anki_text
from studygen.importers.common import Imported, ImportResult, course_figures, write_topic
from studygen.importers.csv_cards import read_csv_cards
from studygen.importers.gift import read_gift
from studygen.importers.moodle import read_moodle_xml
from studygen.importers.quizlet import read_quizlet

FORMATS = ("anki", "quizlet", "csv", "gift", "moodle")


def read_file(
    format: str,
    path: Path,
    *,
    course: Path = Path("."),
    term_separator: str = "tab",
    card_separator: str = "newline",
) -> Imported:
    """Read one source file into flashcards/questions without writing anything."""
    path = Path(path)
    figures = course_figures(Path(course))
    if format == "anki":
        return read_anki_text(path, figures)
    if format == "quizlet":
        return read_quizlet(path, term_separator, card_separator)
    if format == "csv":
        return read_csv_cards(path)
    if format == "gift":
        return read_gift(path, figures)
    if format == "moodle":
        return read_moodle_xml(path, figures)
    raise ValueError(f"unknown import format {format!r}; use one of: {', '.join(FORMATS)}")


def import_file(
    format: str,
    path: Path,
    *,
    topic: str,
    subject: str,
    title: str | None = None,
    course: Path = Path("."),
    term_separator: str = "tab",
    card_separator: str = "newline",
) -> ImportResult:
    """Import `path` (in `format`, one of FORMATS) into `<course>/topics/<topic>.yaml`.

    A new topic gets placeholders marked TODO for what the source lacks; an existing topic (same `subject`) gets
    the new flashcards/questions appended, and nothing is written if any id already exists there.
    `term_separator`/`card_separator` are for Quizlet only (`tab`/`comma`/text; `newline`/`semicolon`/text).
    Returns the file written, counts, and warnings (what to fill in or check). Raises ContentError.
    """
    imported = read_file(
        format, Path(path), course=Path(course), term_separator=term_separator, card_separator=card_separator
    )
    return write_topic(imported, Path(course), topic, subject, title)


__all__ = ["FORMATS", "ImportResult", "Imported", "import_file", "read_file"]
