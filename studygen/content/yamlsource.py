"""Read YAML into plain data plus a map from each field path to its line and column.

PyYAML's composer gives us nodes with positions; we turn them into dicts and lists ourselves so that we can
(1) remember where every key and value was written, (2) refuse duplicate keys, which YAML accepts silently, and
(3) refuse anchors and aliases, which content never needs and which make "billion laughs" bombs possible.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from studygen.errors import Problem

if TYPE_CHECKING:
    from studygen.content.parse_cache import ParseCache

FieldPath = tuple[str | int, ...]

# A topic with a long guide is tens of kilobytes; anything near this is a mistake or an attack, not content.
MAX_FILE_BYTES = 4 * 1024 * 1024

try:  # The C loader is several times faster and gives the same marks.
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _BaseLoader = yaml.SafeLoader


@dataclass
class SourceMap:
    """Where each field of one file was written (1-based line and column)."""

    path: str
    # [[field path as a list, line, column], ...] in document order, as JSON text as the parse cache stores it:
    # read and turned into `positions` only when a position is asked for, which in a build without problems is
    # never (reading them was ~0.45 s of the 0.55 s a 1,000-topic course's cached files took to read). A file
    # parsed afresh is written down too (`write_down`): as tuples in a dict its positions took ~50 KB per topic,
    # over a third of the checked course's memory.
    written: str | None = None
    _positions: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    # A hash of the file's bytes, for what is checked once per file content (studygen.content.formulas).
    content_key: bytes | None = None

    @property
    def positions(self) -> dict[FieldPath, tuple[int, int]]:
        if self.written is not None:
            try:
                self._positions = {tuple(path): (line, column) for path, line, column in json.loads(self.written)}
            except (TypeError, ValueError):  # a damaged cache entry: every field is then reported at line 1
                self._positions = {}
            self.written = None
        return self._positions

    def write_down(self) -> str | None:
        """Keep the positions as JSON text only (None if there are none to write); returns that text. A list, in
        document order, which `span` relies on."""
        if self.written is None and self._positions:
            self.written = json.dumps([[list(path), *at] for path, at in self._positions.items()])
            self._positions = {}
        return self.written

    def locate(self, field_path: FieldPath) -> tuple[int, int]:
        """The position of a field, or of its nearest written ancestor (e.g. for a missing key)."""
        for end in range(len(field_path), -1, -1):
            found = self.positions.get(tuple(field_path[:end]))
            if found:
                return found
        return (1, 1)

    def span(self, field_path: FieldPath) -> tuple[int, int] | None:
        """First and last line of a written field: up to the line before whatever follows it (None if absent)."""
        if field_path not in self.positions:
            return None
        first = self.positions[field_path][0]
        inside = False
        for path, (line, _) in self.positions.items():  # insertion order is document order
            if path == field_path:
                inside = True
            elif inside and path[: len(field_path)] != field_path and line > first:
                return first, line - 1
        return first, 1 << 30  # the field runs to the end of the file

    def problem(self, field_path: FieldPath, message: str, hint: str = "", severity: str = "error") -> Problem:
        line, column = self.locate(field_path)
        return Problem(self.path, line, column, format_field_path(field_path), message, hint, severity)


def format_field_path(field_path: FieldPath) -> str:
    """('questions', 2, 'options') -> 'questions[2].options'."""
    text = ""
    for part in field_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class _YamlShapeError(Exception):
    def __init__(self, line: int, column: int, message: str, hint: str = "", field: str = "") -> None:
        super().__init__(message)
        self.line, self.column, self.message, self.hint, self.field = line, column, message, hint, field


def _position(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _convert(node: yaml.Node, here: FieldPath, source: SourceMap, depth: int) -> Any:
    if depth > 64:
        raise _YamlShapeError(*_position(node), "nesting is deeper than 64 levels", "flatten the structure")
    source.positions.setdefault(here, _position(node))
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _YamlShapeError(*_position(key_node), "merge keys (<<) are not allowed", "write keys out")
            if not isinstance(key_node, yaml.ScalarNode):
                raise _YamlShapeError(*_position(key_node), "keys must be plain text")
            key = str(_SCALARS.construct_scalar(key_node))
            if key in result:
                first_line = source.positions[(*here, key)][0]
                raise _YamlShapeError(
                    *_position(key_node),
                    f"duplicate key '{key}' (first written on line {first_line})",
                    "remove one of the two",
                    format_field_path((*here, key)),
                )
            source.positions[(*here, key)] = _position(key_node)
            result[key] = _convert(value_node, (*here, key), source, depth + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*here, index), source, depth + 1) for index, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    # Called directly rather than through construct_object, which remembers every node it built in a dict of
    # the (shared) constructor's: that kept every file's nodes alive for the whole build (~57 MB per 1,000 topics).
    construct = _SCALARS.yaml_constructors.get(node.tag)
    if construct is None:  # an unknown tag: PyYAML raises its own error for it, and keeps nothing
        return _SCALARS.construct_object(node, deep=True)
    return construct(_SCALARS, node)


class _ScalarConstructor(yaml.SafeLoader):
    """Only used for its scalar constructors (int, float, bool, null, dates as text)."""

    def __init__(self) -> None:  # no stream: we only construct already-composed scalar nodes
        yaml.constructor.SafeConstructor.__init__(self)


# Dates stay text: a content file's `2016-03-16` means the string an author typed.
_ScalarConstructor.add_constructor("tag:yaml.org,2002:timestamp", _ScalarConstructor.construct_yaml_str)
_SCALARS = _ScalarConstructor()


def _find_anchor(text: str) -> tuple[int, int] | None:
    """Position of the first anchor or alias, if any. Only scans when the text could hold one."""
    if "&" not in text and "*" not in text:
        return None
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return (event.start_mark.line + 1, event.start_mark.column + 1)
    return None


def load_yaml(path: Path, shown_as: str, cache: ParseCache | None = None) -> tuple[Any, SourceMap, list[Problem]]:
    """Parse one YAML file. Returns (data, source map, problems); data is None when it could not be read.
    `cache`: what earlier builds made of files with the same bytes (studygen.content.parse_cache)."""
    source = SourceMap(shown_as)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            message = f"is too large ({size / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB)"
            return None, source, [Problem(shown_as, 1, 1, "", message, "split it into several topics")]
        raw = path.read_bytes()
    except OSError as error:
        return None, source, [Problem(shown_as, 1, 1, "", f"cannot be read: {error.strerror}")]
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a UTF-8 byte-order mark is harmless; editors on Windows add it
    source.content_key = hashlib.blake2b(raw, digest_size=16).digest()
    parsed = cache.get(raw) if cache is not None else None
    if parsed is not None:
        data, source.written = parsed
        return data, source, []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, source, [Problem(shown_as, line, 1, "", "is not valid UTF-8", "save the file as UTF-8")]
    if not text.strip():
        return None, source, [Problem(shown_as, 1, 1, "", "is empty", "write the content as a YAML mapping")]
    try:
        anchor = _find_anchor(text)
        if anchor:
            message = "anchors and aliases (&name / *name) are not allowed"
            return None, source, [Problem(shown_as, *anchor, "", message, "write the value out in full")]
        loader = _BaseLoader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"is not valid YAML: {error.problem or error.context}"
        bad_line = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
        hint = "indent with spaces, not tabs" if "\t" in bad_line else ""
        return None, source, [Problem(shown_as, line, column, "", message, hint)]
    except yaml.YAMLError as error:
        return None, source, [Problem(shown_as, 1, 1, "", f"is not valid YAML: {error}")]
    if root is None:
        return None, source, [Problem(shown_as, 1, 1, "", "is empty", "write the content as a YAML mapping")]
    try:
        data = _convert(root, (), source, 0)
    except _YamlShapeError as error:
        problem = Problem(shown_as, error.line, error.column, error.field, error.message, error.hint)
        return None, source, [problem]
    except (yaml.YAMLError, ValueError, TypeError) as error:
        return None, source, [Problem(shown_as, 1, 1, "", f"has a value YAML cannot read: {error}")]
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        return None, source, [Problem(shown_as, 1, 1, "", f"must be a mapping of fields, but it is {kind}")]
    written = source.write_down()
    if cache is not None and written is not None:
        cache.put(raw, data, written)
    return data, source, []
