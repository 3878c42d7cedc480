"""Outputs of the previous build that this build can keep instead of rendering them again.

An output unit (a page of the site, a topic's Anki package, a quiz's exports, the search index) is kept when its
key and the topics it read are unchanged:

- the key covers what every unit may see (`frame_digest`: our code and the libraries it renders with, the
  interface strings, every file of the course that is not a topic file or a template, the course's settings, its
  drawn figures), plus the unit's own inputs: for a page the set of pages (it links only to those that exist), its
  templates (`template_digests`), its plan and a fingerprint of its whole context; for a package its decks; for
  an export its questions; for the index every document given to Pagefind;
- the topics a page reached beyond its context (links to other topics, the library's topic lists) are recorded
  while it renders, each with its topic's digest (a hash of the topic as validated).

The site's plan is kept the same way, by unit (studygen.render.site_plan): the topics a unit read while it was
planned, with their digests, and its pages' fingerprints; a build with another frame plans everything again.

The bytes are read back from the previous output folder and checked against the SHA-256 recorded with them, so a
file changed or removed by hand is rendered again. The records are a file of the output itself
(`.studygen-outputs.json`, outside the published `site/` and not in the manifest), written and swapped in with
the files they describe, and gone with them. The cache can only save time: a record that is missing, stale or
unreadable means rendering afresh, and the output is byte-identical to a clean build's (the tests build both ways
after edits of every kind).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from enum import Enum
from functools import cache
from importlib.metadata import version
from pathlib import Path, PurePath
from typing import Any

import jinja2
from jinja2 import meta
from pydantic import BaseModel

import studygen
from studygen.content.graph import CourseGraph
from studygen.content.loader import topic_files
from studygen.content.model import Topic
from studygen.render.theme import theme_dir
from studygen.writer import regular_file_bytes

RECORDS_FILE = ".studygen-outputs.json"
_FORMAT = 2
# Libraries whose output lands in pages or the search index (besides our own code).
_LIBRARIES = [
    "jinja2",
    "markupsafe",
    "markdown",
    "nh3",
    "latex2mathml",
    "pydantic",
    "pagefind-bin",
    "rjsmin",
    "rcssmin",
]


@cache
def code_digest() -> str:
    """Changes with any of our code, and with the version of any library that renders."""
    digest = hashlib.sha256()
    package = Path(studygen.__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    for library in _LIBRARIES:
        digest.update(f"\0{library}={version(library)}".encode())
    return digest.hexdigest()


def topic_digests(graph: CourseGraph) -> dict[str, str]:
    """Each topic's digest: a hash of the topic as validated, so exactly what the renderers read."""
    return {t.id: hashlib.blake2b(_json(t), digest_size=16).hexdigest() for t in graph.topics}


def _json(model: BaseModel) -> bytes:
    # As the runtime type: a field declared as a base class may hold a subclass (a cloze card), whose own fields
    # must count too.
    return model.model_dump_json(serialize_as_any=True).encode()


def frame_digest(graph: CourseGraph, theme_folder: Path, out_dir: Path) -> str:
    """What every unit of a build may see, besides its own inputs and the topics it reaches."""
    digest = hashlib.sha256(f"{_FORMAT}\0{code_digest()}\0".encode())
    digest.update(_json(graph.course))
    # The course's own files (its images, results...) and the interface strings; not the topic files (each unit
    # has its topics' digests) and not the templates and assets, which pages reach only through Jinja's loader
    # (each page has its templates' digest, `template_digests`).
    skipped = set(topic_files(graph.root))
    for templates in (theme_folder, graph.root / "templates"):
        skipped.update(path for path in _files(templates) if not path.is_relative_to(templates / "messages"))
    for folder in (theme_folder, graph.root):
        for path in _files(folder):
            if path not in skipped and not path.is_relative_to(out_dir):  # an output inside the course
                digest.update(f"\0{path.relative_to(folder).as_posix()}\0".encode() + path.read_bytes())
    for figure_id, drawn in sorted(graph.drawn_figures.items()):
        digest.update(f"\0figure:{figure_id}\0".encode() + drawn.svg + drawn.png)
    # Which topics there are, in which subject: lists and links follow from it.
    digest.update(json.dumps([(t.id, t.subject) for t in graph.topics]).encode())
    return digest.hexdigest()


def template_digests(env: jinja2.Environment) -> Callable[[str], str]:
    """A digest per page template: its source and the sources of every template it extends, imports or includes,
    as the environment finds them (a course's own templates first, then the theme's). A template that names
    another by a variable could reach any: its digest covers them all."""

    @cache
    def own(name: str) -> tuple[bytes, tuple[str | None, ...]]:
        assert env.loader is not None
        source, filename, _ = env.loader.get_source(env, name)
        parsed = env.parse(source, name, filename)  # a syntax error is reported with its file and line
        return source.encode(), tuple(meta.find_referenced_templates(parsed))

    @cache
    def closure(name: str) -> str:
        digest, seen, waiting = hashlib.sha256(), set(), [name]
        while waiting:
            current = waiting.pop()
            if current in seen:
                continue
            seen.add(current)
            source, references = own(current)
            digest.update(f"\0{current}\0".encode() + source)
            if None in references:
                waiting += env.list_templates()
            waiting += [reference for reference in references if reference is not None]
        return digest.hexdigest()

    return closure


def _files(folder: Path) -> Iterator[Path]:
    for base, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if not f.startswith("."))  # caches, version control, build staging
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(base, name)


class Fingerprint:
    """A hash of a value made of strings, numbers, lists, dicts, dataclasses and content models.

    A topic inside the value counts by its digest (computed once per build). Raises TypeError for anything else,
    which a caller takes as "cannot be kept": nothing unknown can stand in for a page's inputs."""

    def __init__(self, digests: Mapping[str, str]) -> None:
        self.digests = digests
        self.models: dict[int, str] = {}  # id -> JSON of the content models already seen this build
        self._held: list[object] = []  # keeps those models alive, so that their ids stay theirs

    def of(self, *values: object) -> str:
        # Gathered as text and hashed once: a page's context is thousands of small strings, and one hash update
        # and one call per string made fingerprints a fifth of a rebuild. Each piece says its kind and length.
        pieces: list[str] = []
        for value in values:
            self._walk(value, pieces)
        return hashlib.blake2b("".join(pieces).encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()

    def _walk(self, value: object, out: list[str]) -> None:
        if isinstance(value, str):  # Markup too: its text is what renders
            out += ("s", str(len(value)), ":", value)
        elif isinstance(value, (list, tuple)):
            out += ("l", str(len(value)), ":")
            for item in value:
                if isinstance(item, str):
                    out += ("s", str(len(item)), ":", item)
                else:
                    self._walk(item, out)
        elif value is None or isinstance(value, (bool, int, float)):
            out += ("n", repr(value), ";")
        elif isinstance(value, dict):
            out += ("d", str(len(value)), ":")
            for key, item in value.items():
                self._walk(key, out)
                self._walk(item, out)
        elif isinstance(value, Topic):
            out += ("t", self.digests[value.id])
        elif isinstance(value, BaseModel):
            out += ("m", self._model_json(value))
        elif isinstance(value, bytes):
            out += ("b", hashlib.blake2b(value, digest_size=20).hexdigest())
        elif (names := _field_names(type(value))) is not None:
            out += ("c", type(value).__qualname__, str(len(names)), ":")
            for name in names:
                self._walk(getattr(value, name), out)
        elif isinstance(value, Enum):
            self._walk(value.value, out)
        elif isinstance(value, PurePath):
            self._walk(value.as_posix(), out)
        else:
            raise TypeError(f"cannot fingerprint a {type(value).__name__}")

    def _model_json(self, model: BaseModel) -> str:
        known = self.models.get(id(model))
        if known is None:
            text = _json(model).decode()
            known = self.models[id(model)] = f"{len(text)}:{text}"
            self._held.append(model)
        return known


@cache
def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None for any other type), looked up once per type."""
    return tuple(f.name for f in dataclasses.fields(kind)) if dataclasses.is_dataclass(kind) else None


@dataclasses.dataclass
class Kept:
    key: str
    reached: dict[str, str]  # topic id -> its digest when the unit was rendered
    files: dict[str, str]  # path -> SHA-256 of its bytes


@dataclasses.dataclass
class PlanRecord:
    """What the last build prepared for a unit before rendering it, and from what: a unit of the site's plan
    (studygen.render.site_plan) or a topic's Anki deck (studygen.render.anki)."""

    reached: dict[str, str]  # topic id (or "@" and another input's name) -> its digest when the unit was prepared
    rows: list[list[str]]  # a site unit's pages: [path, template, owner, plan fingerprint], in planned order;
    # a deck: [fingerprint, time, media file names (one per line), note count]


OutputChanges = tuple[dict[str, Kept], set[str], set[str], dict[str, PlanRecord]]


class OutputCache:
    """The previous build's units, and this build's records for the next one."""

    def __init__(self, out_dir: Path, digests: dict[str, str], frame: str) -> None:
        self.out_dir = out_dir
        self.digests = digests
        self.frame = frame  # frame_digest(), made once per build (before the decks and exports are forked off)
        self.previous, self.previous_plans = _read_records(out_dir / RECORDS_FILE, frame)
        self.current: dict[str, Kept] = {}
        self.current_plans: dict[str, PlanRecord] = {}
        self.kept_units: set[str] = set()
        self.rendered_units: set[str] = set()
        self.verified: dict[str, str] = {}  # path -> SHA-256 of each file `take` read and checked

    @property
    def kept(self) -> int:
        return len(self.kept_units)

    @property
    def rendered(self) -> int:
        return len(self.rendered_units)

    @classmethod
    def for_build(cls, out_dir: Path, graph: CourseGraph) -> OutputCache:
        out_dir = out_dir.resolve()
        return cls(out_dir, topic_digests(graph), frame_digest(graph, theme_dir(), out_dir))

    def take(self, unit: str, key: str) -> dict[str, bytes] | None:
        """The unit's files as the previous build wrote them, if it can be kept; None if it must be rendered."""
        record = self.previous.get(unit)
        if record is None or record.key != key:
            return None
        if not self._unchanged(record.reached):
            return None
        files: dict[str, bytes] = {}
        for path, sha in record.files.items():
            # Only a regular file: the writer links a kept file into the next output as it is. (A joined string:
            # a pathlib path per kept file was ~5% of a rebuild's pages.)
            data = regular_file_bytes(os.path.join(self.out_dir, path))
            if data is None or hashlib.sha256(data).hexdigest() != sha:
                return None
            files[path] = data
        self.verified.update(record.files)
        self.current[unit] = record
        self.kept_units.add(unit)
        return files

    def keep(self, unit: str, key: str, reached: Iterable[str], files: Mapping[str, bytes]) -> None:
        """Record a unit rendered in this build (the files as written into the output folder, by their path)."""
        self.keep_digests(unit, key, reached, {path: hashlib.sha256(data).hexdigest() for path, data in files.items()})

    def keep_digests(self, unit: str, key: str, reached: Iterable[str], digests: Mapping[str, str]) -> None:
        """`keep`, given the SHA-256 of each file rather than its bytes."""
        self.rendered_units.add(unit)
        self.current[unit] = Kept(key, self.digests_of(reached), dict(digests))

    def kept_plan(self, unit: str, inputs: Mapping[str, str] | None = None) -> PlanRecord | None:
        """The unit's plan from the last build, if every topic it read is unchanged (and the frame: a plan from a
        build with another frame is never read). `inputs`: what else it was made from, by "@name", with digests."""
        record = self.previous_plans.get(unit)
        inputs = inputs or {}
        if record is None or not inputs.keys() <= record.reached.keys() or not self._unchanged(record.reached, inputs):
            return None
        return record

    def digests_of(self, topics: Iterable[str]) -> dict[str, str]:
        """What a record keeps of the topics a unit read: each one's digest now, by id in order."""
        return {topic: self.digests[topic] for topic in sorted(set(topics))}

    def _unchanged(self, reached: Mapping[str, str], inputs: Mapping[str, str] | None = None) -> bool:
        """Whether every topic (or named input) a record read still has the digest it had then."""
        inputs = inputs or {}
        return all((inputs[name] if name in inputs else self.digests.get(name)) == digest
                   for name, digest in reached.items())  # fmt: skip

    def keep_plan(self, unit: str, record: PlanRecord) -> None:
        self.current_plans[unit] = record

    def checked(self, path: str) -> str | None:
        """The SHA-256 of a file kept from the previous build, read and checked by `take` (None if it was not)."""
        return self.verified.get(path)

    def changes(self) -> OutputChanges:
        """What this process recorded: handed from a forked child (decks and exports) to its parent."""
        return self.current, self.kept_units, self.rendered_units, self.current_plans

    def merge(self, changes: OutputChanges) -> None:
        """Take in a child's `changes()` (merging one's own changes again changes nothing)."""
        current, kept, rendered, plans = changes
        self.current.update(current)
        self.current_plans.update(plans)
        self.kept_units |= kept
        self.rendered_units |= rendered

    def records(self) -> Iterator[bytes]:
        """This build's records, for the next build, as compact JSON in pieces: written into the output with the
        files they describe. Made whole, the text was ~23 MB at 5,000 topics, held twice (text and bytes) at the
        very end of a build, when the build holds the most."""
        yield f'{{"format":{_FORMAT},"frame":{json.dumps(self.frame)},"units":'.encode()
        # Their fields as they are: dataclasses.asdict copies every nested value, ~0.9 s for 1,000 topics' records.
        yield from _json_object((name, vars(kept)) for name, kept in sorted(self.current.items()))
        yield b',"plans":'
        yield from _json_object((name, vars(plan)) for name, plan in sorted(self.current_plans.items()))
        yield b"}"


def _json_object(members: Iterable[tuple[str, Any]], per_piece: int = 1000) -> Iterator[bytes]:
    """A JSON object of these members, as json.dumps writes it compactly, in pieces of `per_piece` members."""
    pieces = ["{"]
    for count, (name, value) in enumerate(members):
        pieces.append(("," if count else "") + json.dumps(name) + ":" + json.dumps(value, separators=(",", ":")))
        if len(pieces) >= per_piece:
            yield "".join(pieces).encode()
            pieces = []
    pieces.append("}")
    yield "".join(pieces).encode()


def kept_or_rendered(
    previous: OutputCache | None, unit: str, key: str, prefix: str, render: Callable[[], Mapping[str, bytes]]
) -> Mapping[str, bytes]:
    """A unit whose key covers all its inputs (no topics reached besides): its files, by their path under
    `prefix`, kept from the previous build if they can be, else rendered now and recorded."""
    if previous is None:
        return render()
    kept = previous.take(unit, key)
    if kept is not None:
        return {path.removeprefix(prefix): data for path, data in kept.items()}
    files = render()
    previous.keep(unit, key, (), {prefix + path: data for path, data in files.items()})
    return files


def folder_digest(*folders: Path) -> str:
    """The files under these folders, by relative path and content (for renderers that read them directly)."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in _files(folder) if folder.is_dir() else ():
            digest.update(f"\0{path.relative_to(folder).as_posix()}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def _read_records(record_file: Path, frame: str) -> tuple[dict[str, Kept], dict[str, PlanRecord]]:
    """The last build's units, and its plans if it had the same frame."""
    try:
        data = json.loads(record_file.read_text())
        if data.get("format") != _FORMAT:
            return {}, {}
        units = {unit: Kept(**fields) for unit, fields in data["units"].items()}
        same_frame = data["frame"] == frame
        plans = {unit: _plan_record(fields) for unit, fields in data["plans"].items()} if same_frame else {}
        return units, plans
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}, {}


def _plan_record(fields: dict[str, object]) -> PlanRecord:
    record = PlanRecord(**fields)  # type: ignore[arg-type]
    rows_ok = all(isinstance(row, list) and len(row) == 4 and all(isinstance(v, str) for v in row)
                  for row in record.rows)  # fmt: skip
    if not isinstance(record.reached, dict) or not rows_ok:
        raise TypeError("a damaged plan record")
    return record
