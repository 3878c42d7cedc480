"""The site's pages, planned in units, so that a rebuild plans again only the units whose inputs changed.

Planning a page prepares everything its template shows: rendered Markdown, card and question views, quizzes cut
into parts. For a 1,000-topic course that took ~6 s on every rebuild, even with every Markdown text in the markup
cache, and most of those pages are then kept from the last build unrendered. So the pages are planned in units
(a topic's summary, guide, flashcards, practice and answers pages; a subject's practice pages; the Q&A hub; the
course-wide pages), and the topics each unit reads are recorded while it is planned
(studygen.content.graph.recorded_reads), with anything else it reads as a named input (`Unit.inputs`). The next build
with the same frame (studygen.render.output_cache) does not plan a unit whose recorded topics are all unchanged:
its pages are *stubs* that hold what the rest of the build needs without a plan (path, template, the topic or
subject a page belongs to, and a fingerprint of its plan, from which its key is made). A stub is planned after all
when its page must be rendered (its template changed, its file was changed by hand) or its search document is
needed (its part of the index is made again); planning the unit then gives the plan the stub stands for.

A plan holds every planned page until it is written, which for a clean 5,000-topic build was ~750 MB. So a unit
whose paths are known without planning it (a topic's summary, guide, flashcard and answers pages) may be left
*for later*: its pages are listed by path (`Later`) and the unit is planned when its first page is written, then
let go page by page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from studygen.content.graph import recorded_reads
from studygen.render.output_cache import RECORDS_FILE, Fingerprint, OutputCache, PlanRecord
from studygen.render.pages import Page, page_owner


@dataclass(frozen=True)
class Unit:
    """A part of the site planned as one: its name (unique in a build), how to plan it, and the topic it is about
    (read without a lookup, so counted here)."""

    name: str
    plan: Callable[[], list[Page]]
    topic: str | None = None
    # The paths its plan gives, known without planning it: then a build may plan it only when its pages are written.
    paths: Callable[[], list[str]] | None = None
    # What it reads besides topics, by "@name" -> a text that changes with it: its plan is kept while these are equal.
    inputs: Callable[[], dict[str, str]] | None = None


@dataclass(frozen=True)
class Stub:
    """A page of a unit kept from the last build's plan."""

    path: str
    template: str
    owner: str  # the topic or subject the page belongs to ("" for course-wide pages)
    fingerprint: str  # of the page's plan: title, description, crumbs and context
    unit: str


@dataclass(frozen=True)
class Later:
    """A page of a unit that is planned when its pages are written (a unit with `paths`, in a plan made with
    `later=True`): only the pages being written hold their plans, not the whole site at once."""

    path: str
    unit: str


Entry = Page | Stub | Later
# A collected page's kind of search result and its items, (anchor, title text, body text): see search.searched_items.
SearchedItems = tuple[str, list[tuple[str, str, str]]]


class SitePlan:
    """Every page of the site, planned or kept as a stub. Without `previous` every unit is planned. With `later`, a
    unit whose paths are known without planning (Unit.paths) is planned when its pages are first asked for."""

    def __init__(self, units: list[Unit], previous: OutputCache | None = None, *, later: bool = False) -> None:
        self.previous = previous
        self.units = {unit.name: unit for unit in units}
        self.fingerprint = Fingerprint(previous.digests) if previous else None
        self.entries: dict[str, list[Entry]] = {}
        self.fingerprints: dict[str, str] = {}  # page path -> fingerprint of its plan (planned pages that have one)
        self.planned: list[str] = []  # the units planned in this build, by name
        self.placed: dict[str, tuple[str, int]] = {}  # page path -> its unit and place there (pages planned here)
        # A written page searched through a collection (search.COLLECTED) -> its items, for the index.
        self.searched: dict[str, SearchedItems] = {}
        self.inputs: dict[str, dict[str, str]] = {}  # unit name -> its named inputs (units that have some)
        for unit in units:
            if previous and unit.inputs is not None:
                self.inputs[unit.name] = unit.inputs()
            record = previous.kept_plan(unit.name, self.inputs.get(unit.name)) if previous else None
            if record is not None and previous is not None:
                stubs = [Stub(path, template, owner, plan, unit.name) for path, template, owner, plan in record.rows]
                self.entries[unit.name] = list(stubs)
                self.fingerprints.update((stub.path, stub.fingerprint) for stub in stubs)
                previous.keep_plan(unit.name, record)
            elif later and unit.paths is not None and (paths := unit.paths()):
                self.entries[unit.name] = [Later(path, unit.name) for path in paths]
            else:  # (a unit with no pages is planned now, so that its record is kept like any other's)
                self._plan(unit)

    @property
    def pages(self) -> list[Entry]:
        """Every page in planned order (units in the order given, each unit's pages in the order it made them)."""
        return [entry for entries in self.entries.values() for entry in entries]

    def settled(self) -> list[Page | Stub]:
        """Every page in planned order, a later one planned now (none is left once the site is written)."""
        return [self.page(entry) if isinstance(entry, Later) else entry for entry in self.pages]

    def pending(self) -> Iterator[Entry]:
        """Every page in planned order, one at a time (so that a page released meanwhile is not held here)."""
        for entries in self.entries.values():
            yield from entries

    def page(self, entry: Entry) -> Page:
        """The planned page: a stub's unit, or a later one's, is planned now."""
        if isinstance(entry, Page):
            return entry
        planned = {page.path: page for page in self.entries[entry.unit] if isinstance(page, Page)}
        if entry.path not in planned:  # its unit is not planned yet in this build
            expected = [later.path for later in self.entries[entry.unit] if isinstance(later, Later)]
            pages = self._plan(self.units[entry.unit])
            if expected and [page.path for page in pages] != expected:
                raise RuntimeError(f"{entry.unit}: its paths {expected} are not those its plan gives")
            planned = {page.path: page for page in pages if isinstance(page, Page)}
        if entry.path not in planned:
            # Only if a unit's plan read something it did not record, or the records were edited by hand.
            raise RuntimeError(f"planned again, {entry.unit} has no {entry.path}: delete {RECORDS_FILE} and rebuild")
        return planned[entry.path]

    def release(self, page: Page) -> None:
        """Let a rendered page's plan go, keeping its stub: a build need not hold every page's plan until it ends.
        Asked for again (`page`), its unit is planned again."""
        place = self.placed.get(page.path)
        fingerprint = self.fingerprints.get(page.path)
        if place is None or fingerprint is None:
            return  # without a fingerprint it could not be keyed again: kept as it is
        unit, index = place
        if self.entries[unit][index] is page:
            self.entries[unit][index] = Stub(page.path, page.template, page_owner(page), fingerprint, unit)

    def owner(self, entry: Entry) -> str:
        return entry.owner if isinstance(entry, Stub) else page_owner(self.page(entry))

    def _plan(self, unit: Unit) -> list[Entry]:
        with recorded_reads() as reached:
            pages = unit.plan()
        self.planned.append(unit.name)
        self.entries[unit.name] = list(pages)
        self.placed.update((page.path, (unit.name, index)) for index, page in enumerate(pages))
        if unit.topic is not None:
            reached.add(unit.topic)
        if self.previous is None or self.fingerprint is None:
            return self.entries[unit.name]
        recorded: list[list[str]] = []
        for page in pages:
            try:
                fingerprint = self.fingerprint.of(page.title, page.description, page.crumbs, page.context)
            except TypeError:  # a context that cannot be fingerprinted: the page has no key, the unit no record
                continue
            self.fingerprints[page.path] = fingerprint
            recorded.append([page.path, page.template, page_owner(page), fingerprint])
        if len(recorded) == len(pages):
            inputs = self.inputs.get(unit.name, {})
            self.previous.keep_plan(unit.name, PlanRecord({**self.previous.digests_of(reached), **inputs}, recorded))
        return self.entries[unit.name]
