"""What every importer shares: ids, located errors, and writing the result into a topic file.

A format module reads its file into an `Imported`: flashcards and questions as plain dicts in the shape of the
content model (each remembering the source line it came from), plus warnings. `write_topic` validates every item
against the model (a bad one is reported at its source line), then writes a new topic file with marked
placeholders for what the source cannot give, or appends the items to an existing topic file, leaving the rest of
that file exactly as it was.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from studygen.content.loader import COURSE_FILE, TOPICS_DIR
from studygen.content.model import SLUG_PATTERN, Flashcard, Question, Topic
from studygen.content.validate import validate_as
from studygen.content.yamlsource import load_yaml
from studygen.errors import ContentError, Problem

SCHEMA_LINE = "# yaml-language-server: $schema=../schemas/topic.schema.json"
TODO = "TODO"
_SLUG = re.compile(SLUG_PATTERN)
_ID_WORDS = 6  # an id made from text keeps its first words
_CARD = TypeAdapter(Flashcard)
_QUESTION = TypeAdapter(Question)


@dataclass
class Item:
    """One flashcard or question read from a source file, as model-shaped data, with where it was read."""

    data: dict[str, Any]
    line: int


@dataclass
class Imported:
    """What a format module read from one file."""

    path: Path
    flashcards: list[Item] = field(default_factory=list)
    questions: list[Item] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the topic file written, whether it is new, how many items it added, what to check."""

    path: Path
    created: bool
    flashcards: int
    questions: int
    warnings: list[str]


def problem(path: Path | str, line: int, message: str, hint: str = "", column: int = 1, field: str = "") -> Problem:
    return Problem(str(path), max(line, 1), max(column, 1), field, message, hint)


def fail(path: Path | str, line: int, message: str, hint: str = "", column: int = 1, field: str = "") -> ContentError:
    """The error to raise for a bad source file: one located problem."""
    return ContentError([problem(path, line, message, hint, column, field)])


def read_text(path: Path) -> str:
    """A source file as text (UTF-8, with or without a byte-order mark; Windows line ends become `\\n`)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise fail(path, 1, f"cannot be read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise fail(path, line, "is not valid UTF-8", "save the file as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- ids


def slugify(text: str, words: int = _ID_WORDS) -> str:
    """A slug from any text: lower-case ASCII words joined by hyphens (math and markup dropped), at most 80 chars."""
    text = re.sub(r"\$[^$]*\$|<[^>]+>|\{\{c\d+::|\}\}|::", " ", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    parts = re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))
    slug = "-".join(parts[:words])[:80].strip("-")
    return slug


class Ids:
    """Hands out unique slugs: the wanted one, else `-2`, `-3`, ...; ids taken in the topic are avoided too."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken = set(taken or ())

    def make(self, wanted: str, fallback: str) -> str:
        base = wanted if _SLUG.match(wanted or "") and len(wanted) <= 80 else slugify(wanted or "")
        base = base or fallback
        candidate, number = base, 2
        while candidate in self.taken:
            suffix = f"-{number}"
            candidate, number = base[: 80 - len(suffix)].rstrip("-") + suffix, number + 1
        self.taken.add(candidate)
        return candidate


def to_tag(name: str) -> str:
    """A tag from elsewhere (`Chapter_1::Intro`, `Ökonomie`) as a slug (`chapter-1-intro`); empty if nothing is left."""
    return slugify(name.replace("_", " "), words=20)


# ---------------------------------------------------------------- validating and writing


def _validate_items(imported: Imported, display: str) -> list[Problem]:
    problems = []
    for kind, adapter in (("flashcards", _CARD), ("questions", _QUESTION)):
        for item in getattr(imported, kind):
            try:
                adapter.validate_python(item.data)
            except ValidationError as error:
                for detail in error.errors(include_url=False):
                    where = ".".join(str(part) for part in detail["loc"][1:])
                    message = detail["msg"].removeprefix("Value error, ")
                    problems.append(problem(display, item.line, message, field=f"{item.data.get('id')}.{where}"))
    return problems


def course_subjects(course: Path) -> set[str]:
    try:
        data = yaml.safe_load((course / COURSE_FILE).read_text(encoding="utf-8"))
        return {s["id"] for c in data["categories"] for s in c["subjects"]}
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return set()


def course_figures(course: Path) -> dict[str, str]:
    """Figure title -> figure id, from the course file (to turn an export's figure note back into a reference)."""
    try:
        data = yaml.safe_load((course / COURSE_FILE).read_text(encoding="utf-8"))
        return {f["title"]: f["id"] for f in data.get("figures", [])}
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError):
        return {}


class _Dumper(yaml.SafeDumper):
    """Block style throughout, with lists indented under their key (as our content files are written)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not re.search(r"[ \t]\n|\s$", value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump_items(items: list[dict[str, Any]], indent: int) -> str:
    text = yaml.dump(items, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096, default_flow_style=False)
    return "".join(" " * indent + line if line.strip() else line for line in text.splitlines(keepends=True))


def _scalar(key: str, value: Any) -> str:
    return yaml.dump({key: value}, Dumper=_Dumper, allow_unicode=True, width=4096, sort_keys=False)


def new_topic_text(topic_id: str, title: str, subject: str, flashcards: list[dict], questions: list[dict]) -> str:
    lines = [
        SCHEMA_LINE,
        f"# Imported by `studygen import`. Replace every {TODO} before publishing.",
        _scalar("id", topic_id).rstrip("\n"),
        _scalar("title", title).rstrip("\n"),
        _scalar("subject", subject).rstrip("\n") + "  # the id of a subject in course.yaml",
        f"level: beginner  # {TODO}: beginner, intermediate or advanced",
        f"study_minutes: 30  # {TODO}: estimate the study time in minutes",
        _scalar("definition", f"{TODO}: define {title}.").rstrip("\n"),
        _scalar("summary", f"{TODO}: summarise {title} in a paragraph.").rstrip("\n"),
        "takeaways:",
        "  - " + _scalar("title", f"{TODO}: the key point of {title}").rstrip("\n"),
        "    " + _scalar("explanation", f"{TODO}: explain why it holds.").rstrip("\n"),
        "    importance: high",
    ]
    text = "\n".join(lines) + "\n"
    if flashcards:
        text += "flashcards:\n" + dump_items(flashcards, 2)
    if questions:
        text += "questions:\n" + dump_items(questions, 2)
    return text


def placeholder_warnings(display: str, title: str) -> list[str]:
    return [
        f"{display}: fill in the placeholders marked {TODO}: level, study_minutes, definition, summary and the "
        f"takeaways of '{title}'"
    ]


def _merge_text(text: str, data: dict, source: Any, key: str, items: list[dict]) -> str:
    """The file text with items appended to the list under a top-level key (added at the end if absent)."""
    if not items:
        return text
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    existing = data.get(key)
    if key not in data:
        return "".join(lines) + f"{key}:\n" + dump_items(items, 2)
    key_line = source.positions[(key,)][0] - 1  # 0-based line of the key
    if not existing:  # `key: []`, `key:` or `key: null`
        lines[key_line] = f"{key}:\n" + dump_items(items, 2)
        return "".join(lines)
    first_item_line = source.positions[(key, 0)][0] - 1
    if first_item_line == key_line:
        raise ValueError(f"`{key}` is written as a flow list ([...]); write it as a block list to merge into it")
    dash = lines[first_item_line].index("-")
    end = source.span((key, len(existing) - 1))[1]  # 1-based last line, may run past trailing comments
    end = min(end, len(lines))
    while end > first_item_line + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return "".join(lines[:end]) + dump_items(items, dash) + "".join(lines[end:])


def write_topic(
    imported: Imported,
    course: Path,
    topic_id: str,
    subject: str,
    title: str | None = None,
) -> ImportResult:
    """Validate the imported items and write them into `<course>/topics/<topic_id>.yaml` (new, or merged)."""
    if not _SLUG.match(topic_id):
        raise fail(topic_id, 1, "not a valid topic id", "use lower-case words joined by hyphens, e.g. 'backprop'")
    problems = _validate_items(imported, str(imported.path))
    if problems:
        raise ContentError(problems)
    target = course / TOPICS_DIR / f"{topic_id}.yaml"
    cards = [item.data for item in imported.flashcards]
    questions = [item.data for item in imported.questions]
    warnings = list(imported.warnings)
    if not cards and not questions:
        raise fail(imported.path, 1, "holds no flashcards or questions to import")
    if target.exists():
        text = _merged(imported, target, subject, cards, questions)
        created = False
    else:
        subjects = course_subjects(course)
        if subjects and subject not in subjects:
            hint = f"use one of: {', '.join(sorted(subjects))}"
            raise fail(course / COURSE_FILE, 1, f"no subject '{subject}' in the course", hint, field="subject")
        title = title or topic_id.replace("-", " ").capitalize()
        text = new_topic_text(topic_id, title, subject, cards, questions)
        warnings += placeholder_warnings(str(target), title)
        created = True
    _write_checked(target, text)
    return ImportResult(target, created, len(cards), len(questions), warnings)


def _merged(imported: Imported, target: Path, subject: str, cards: list[dict], questions: list[dict]) -> str:
    data, source, problems = load_yaml(target, str(target))
    if problems or not isinstance(data, dict):
        raise ContentError(problems or [problem(target, 1, "is not a topic file (not a mapping)")])
    if data.get("subject") != subject:
        message = f"the existing topic's subject is '{data.get('subject')}', not '{subject}'"
        raise fail(target, source.locate(("subject",))[0], message, "pass the topic's own subject")
    clashes = []
    for key, new in (("flashcards", imported.flashcards), ("questions", imported.questions)):
        have = {entry.get("id"): i for i, entry in enumerate(data.get(key) or []) if isinstance(entry, dict)}
        for item in new:
            if item.data["id"] in have:
                line = source.locate((key, have[item.data["id"]], "id"))[0]
                clashes.append(
                    problem(
                        target,
                        line,
                        f"{key[:-1]} id '{item.data['id']}' already exists; nothing was written",
                        f"{imported.path} line {item.line} would overwrite it: rename or remove one of them",
                        field=f"{key}[{have[item.data['id']]}].id",
                    )
                )
    if clashes:
        raise ContentError(clashes)
    text = target.read_text(encoding="utf-8")
    try:
        text = _merge_text(text, data, source, "flashcards", cards)
        data, source, _ = _load_string(text, target)
        return _merge_text(text, data, source, "questions", questions)
    except ValueError as error:
        raise fail(target, 1, str(error)) from None


def _load_string(text: str, target: Path) -> tuple[Any, Any, list[Problem]]:
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder) / target.name
        scratch.write_text(text, encoding="utf-8")
        return load_yaml(scratch, str(target))


def _write_checked(target: Path, text: str) -> None:
    """Write the topic file only if it loads and validates as a topic; atomically (a temporary file, renamed)."""
    data, source, problems = _load_string(text, target)
    if not problems:
        _, problems = validate_as(Topic, data, source)
    if problems:
        raise ContentError(problems)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(scratch, target)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- questions (GIFT and Moodle XML)

_FIGURE_NOTE = re.compile(r"<p><em>Refers to the figure “(.+?)”:</em>.*?</p>\s*$", re.DOTALL)
_QUESTION_ORDER = ("id", "type", "difficulty", "prompt", "options", "answer", "feedback_true", "feedback_false",
                   "tolerance", "min", "max", "unit", "accepted", "regex", "blanks", "pairs", "items", "explanation",
                   "hint", "tags", "figure")  # fmt: skip
_DEFAULTS: dict[str, Any] = {"difficulty": "medium", "hint": "", "tags": [], "figure": None, "feedback_true": "",
                             "feedback_false": "", "tolerance": 0, "unit": "", "regex": ""}  # fmt: skip


def split_figure_note(html_text: str, figures: dict[str, str]) -> tuple[str, str | None, str]:
    """An exported prompt's trailing "Refers to the figure “T”" note: (prompt without it, figure id, title).

    The note is removed only when the course has a figure with that title; otherwise the text stays as it is."""
    match = _FIGURE_NOTE.search(html_text)
    if not match:
        return html_text, None, ""
    title = html.unescape(match.group(1))
    if title not in figures:
        return html_text, None, title
    return html_text[: match.start()].rstrip(), figures[title], title


def tidy_question(data: dict[str, Any]) -> dict[str, Any]:
    """Canonical key order; defaults and empty optional values left out (so the YAML stays short)."""
    out = {}
    for key in _QUESTION_ORDER:
        if key not in data:
            continue
        value = data[key]
        if key in _DEFAULTS and value == _DEFAULTS[key]:
            continue
        if key == "options":
            value = [{k: v for k, v in option.items() if v not in ("", False)} for option in value]
        out[key] = value
    return out


def question_id(title: str, prompt: str, ids: Ids) -> str:
    """An id from a title written by studygen (`topic/question` -> `question`) or elsewhere, else from the prompt."""
    wanted = title.rsplit("/", 1)[-1].strip() if title else ""
    return ids.make(wanted or slugify(prompt), "question")
