"""Interface strings: the words of the theme, the quiz engine and the card templates, in the course's language.

A catalogue is a flat YAML mapping from keys to strings, one file per language under `templates/messages/`
(`en.yaml`, `de.yaml`, ...). Strings hold `{name}` placeholders. Where a count appears, the value is a mapping of
plural forms instead (`one`, `other`, as CLDR names them); the form is chosen by the `count` value.

- `course_messages(graph)` gives the catalogue of a course's `language`: `de-AT` looks for `de-AT`, then `de`.
  A language with no catalogue falls back to English (`language_problems` says so as a build warning).
- A course may override or add strings in its own `templates/messages/<language>.yaml`, like any theme file;
  keys it leaves out come from the theme's catalogue, then from English.
- Jinja templates call `t(key, **values)` (escaped HTML: values are escaped unless they are Markup, so a
  placeholder may hold a link); Python renderers call `messages.text(...)` for plain text (Markdown card texts,
  Anki fields, which they escape themselves).
- Scripts read their strings from a JSON block that the page carries (`js_messages`): the keys under
  `js.<name>.` without that prefix, and the language for `Intl.PluralRules`. `static/i18n.js` reads it.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

import yaml
from markupsafe import Markup, escape

from studygen.content.graph import CourseGraph
from studygen.errors import Problem
from studygen.render.script_data import script_json
from studygen.render.theme import theme_dir

DEFAULT_LANGUAGE = "en"
MESSAGES_FOLDER = "messages"
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")

Entry = str | Mapping[str, str]


@dataclass(frozen=True)
class Messages:
    """The interface strings of one language (with English behind any key the language leaves out)."""

    language: str  # the language asked for, e.g. `de-AT`
    found: str  # the catalogue that answered, e.g. `de`; DEFAULT_LANGUAGE when there is none for the language
    strings: Mapping[str, Entry]

    @property
    def fell_back(self) -> bool:
        return self.found == DEFAULT_LANGUAGE and _base(self.language) != DEFAULT_LANGUAGE

    def plural(self, count: int) -> str:
        """The CLDR plural form of a count. English and German (and our fallback) know `one` and `other`."""
        return "one" if count == 1 else "other"

    def raw(self, key: str, count: int | None = None) -> str:
        """The string of a key, in the plural form of `count` where the key has forms."""
        try:
            entry = self.strings[key]
        except KeyError:
            raise KeyError(f"no interface string '{key}' in the {self.found} catalogue") from None
        if isinstance(entry, str):
            return entry
        if count is None:
            raise KeyError(f"interface string '{key}' has plural forms: pass count=")
        return entry.get(self.plural(count), entry["other"])

    def text(self, key: str, /, **values: Any) -> str:
        """Plain text: the string with its placeholders filled in as given (nothing is escaped)."""
        return self.raw(key, values.get("count")).format(**values)

    def html(self, key: str, /, **values: Any) -> Markup:
        """HTML: the string escaped, its placeholders filled with escaped values (Markup values stay as they are)."""
        return Markup(escape(self.raw(key, values.get("count")))).format(**values)

    def script_strings(self, *names: str) -> dict[str, Any]:
        """The strings a script needs: every key under `js.<name>.` for each name, without that prefix."""
        found: dict[str, Any] = {}
        for name in names:
            prefix = f"js.{name}."
            for key, entry in self.strings.items():
                if key.startswith(prefix):
                    found[key.removeprefix(prefix)] = entry if isinstance(entry, str) else dict(entry)
        return {"lang": self.language, "messages": dict(sorted(found.items()))}

    def script_json(self, *names: str) -> Markup:
        """`script_strings` as JSON for a <script type="application/json"> block."""
        return script_json(self.script_strings(*names))


def _base(language: str) -> str:
    return language.split("-")[0].lower()


def _candidates(language: str) -> list[str]:
    """File names to look for, most specific first: `de-AT` -> `de-AT`, `de`."""
    names = [language]
    if _base(language) != language:
        names.append(_base(language))
    return names


def load_catalogue(path: Path) -> dict[str, Entry]:
    """One catalogue file, checked: a flat mapping of keys to strings or to plural forms (with `other`)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a message catalogue is a mapping of keys to strings")
    for key, entry in data.items():
        if isinstance(entry, str):
            continue
        if not (
            isinstance(entry, dict)
            and "other" in entry
            and all(form in PLURAL_FORMS and isinstance(text, str) for form, text in entry.items())
        ):
            raise ValueError(f"{path}: '{key}' must be a string or plural forms (one:, other:) of strings")
    return data


def catalogue_files(language: str, course_root: Path | None = None) -> list[Path]:
    """The files that make up a language's catalogue, in the order they apply (later ones win)."""
    roots = [theme_dir() / MESSAGES_FOLDER]
    if course_root is not None:
        roots.append(course_root / "templates" / MESSAGES_FOLDER)
    files = []
    for root in roots:
        for name in reversed(_candidates(language)):
            path = root / f"{name}.yaml"
            if path.is_file():
                files.append(path)
    return files


def messages_for(language: str, course_root: Path | None = None) -> Messages:
    """The catalogue of a language, English behind it; English alone when there is none for the language.
    Files are read again when they change (`studygen serve` rebuilds in one process)."""
    english_files = catalogue_files(DEFAULT_LANGUAGE, course_root)
    own = [path for path in catalogue_files(language, course_root) if path not in english_files]
    stamps = tuple((path, path.stat().st_mtime_ns, path.stat().st_size) for path in english_files + own)
    return _messages(language, own[-1].stem if own else DEFAULT_LANGUAGE, stamps)


@cache
def _messages(language: str, found: str, stamps: tuple[tuple[Path, int, int], ...]) -> Messages:
    strings: dict[str, Entry] = {}
    for path, _, _ in stamps:
        strings.update(load_catalogue(path))
    return Messages(language, found, strings)


def course_messages(graph: CourseGraph) -> Messages:
    """The interface strings of a course: its `language`, from the theme and the course's own templates.

    Asked for thousands of times in a build; looking the files up each time was 10% of a rebuild. A course
    graph is made afresh by every build, so its catalogue is kept with it, for as long as the graph lives (held
    here, a graph and its whole course stayed in memory after its build: in `studygen serve`, the last four
    builds' courses); the next build's graph reads the files again.
    """
    key = id(graph)
    kept = _by_graph.get(key)
    if kept is not None and kept[0]() is graph:
        return kept[1]
    messages = messages_for(graph.course.language, graph.root)
    _by_graph[key] = (weakref.ref(graph, partial(_forget, key)), messages)
    return messages


def _forget(key: int, gone: weakref.ref[CourseGraph]) -> None:
    """A graph is gone: its catalogue goes too (unless its id was since given to another graph's)."""
    kept = _by_graph.get(key)
    if kept is not None and kept[0] is gone:
        del _by_graph[key]


_by_graph: dict[int, tuple[weakref.ref[CourseGraph], Messages]] = {}


def english() -> Messages:
    """The English catalogue, for callers that render without a course."""
    return messages_for(DEFAULT_LANGUAGE)


def language_problems(graph: CourseGraph) -> list[Problem]:
    """A warning when the course's language has no catalogue: its pages then use English interface strings."""
    messages = course_messages(graph)
    if not messages.fell_back:
        return []
    shipped = sorted(p.stem for p in (theme_dir() / MESSAGES_FOLDER).glob("*.yaml"))
    message = f"no interface strings for language '{messages.language}': the theme's words will be English"
    hint = f"use one of {', '.join(shipped)}, or add templates/messages/{_base(messages.language)}.yaml"
    source = graph.course_source
    if source is not None:
        return [source.problem(("language",), message, hint, severity="warning")]
    return [Problem("course.yaml", 1, 1, "language", message, hint, "warning")]
