"""Search: the search page (`search.html`) and the Pagefind index behind it.

The index is built inside the pipeline from the rendered pages, so a build stays one atomic write: the HTML
pages are read back from the build's staging folder and handed to Pagefind over a pipe (summary, guide, category
and subject pages mark their text with `data-pagefind-body`), each topic's flashcards and questions are added as a
document of their own in which every card and question is a section with its anchor (`search_collections`), and
Pagefind hands its bundle back over the same pipe (nothing is written to disk by it). It runs in its own processes
while the build waits for the decks and quiz exports (`BackgroundIndex`).

A course of more than PART_TOPICS topics is indexed in *parts*: a topic's pages go in the part its id hashes to, a
subject's page in the part the subject's id hashes to, course-wide pages in the first part. Each part is a Pagefind
bundle of its own (`pagefind/`, then `pagefind/part-1/`, ...), and the search page merges them in the browser
(Pagefind's `mergeIndex`). An edit then re-indexes one part, not the course (1,000 topics, four parts: a rebuild
after a one-topic edit took 3.4 s longer than one with nothing changed, ~10 s with one index), and each Pagefind
process holds one part in memory. A hash, not the course's order, so that adding a topic changes only its part.
Each part ranks with its own word statistics, so scores from different parts are close to, not exactly, what one
index would give (300 synthetic topics in two parts: the first 20 results shared 13-17 with one index's first 20);
and Pagefind leaves out of a query the words a part has never seen, so a query of several words can find more in a
course indexed in parts (never less).

Pagefind's bundle is byte-identical across builds of the same input (checked by the tests) as long as documents
are added in the same order, which is why they are sorted here. Only the files the search page uses are kept:
`pagefind.js`, its worker, the WebAssembly and the index (a merged part needs only its index: it is searched with
the first part's WebAssembly); Pagefind's own UI files are dropped (the search page has its own small, accessible
UI in `static/search.js`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html import escape
from typing import IO, Any

from studygen.content.graph import CourseGraph
from studygen.render.i18n import Messages, course_messages
from studygen.render.output_cache import OutputCache, code_digest
from studygen.render.pages import SEARCH_PATH, Page
from studygen.render.search_documents import DocumentCache
from studygen.render.site_files import SiteFiles
from studygen.render.site_plan import Entry, SearchedItems, SitePlan

INDEX_FOLDER = "pagefind"
# Pagefind processes at once (one per core up to this): each holds its part of the index in memory.
INDEX_WORKERS = 4
# Topics per part of the index: small courses have one part, whose bundle is what Pagefind makes of the whole site.
PART_TOPICS = 250
# The metadata that marks a search document whose sub-results are the results (a topic's cards or questions).
COLLECTION = "items"
# The pages searched through such a document (made from their plan) instead of their own text.
COLLECTED = ("flashcards.html", "qa-topic.html")
# Pagefind's own UI (we have ours) and the WebAssembly for unknown languages (the index forces the course's).
_DROPPED = ("pagefind-ui.", "pagefind-component-ui.", "pagefind-modular-ui.", "pagefind-highlight.", "wasm.unknown.")
_MERGED_DROPS = ("pagefind.js", "pagefind-worker.js", "wasm.")  # what a merged part takes from the first part


def part_count(graph: CourseGraph) -> int:
    return max(1, -(-len(graph.topics) // PART_TOPICS))


def index_parts(graph: CourseGraph) -> list[int]:
    """The parts of the index that have documents: the first (course-wide pages) and those of a topic or subject."""
    count = part_count(graph)
    owners = [topic.id for topic in graph.topics] + [s.id for c in graph.course.categories for s in c.subjects]
    return sorted({0} | {part_of(owner, count) for owner in owners})


def part_folder(part: int) -> str:
    """The folder of a part of the index, under site/ (with a trailing slash)."""
    return f"{INDEX_FOLDER}/" if part == 0 else f"{INDEX_FOLDER}/part-{part}/"


def part_of(owner: str, parts: int) -> int:
    """The part a topic or subject id belongs to; pages that belong to neither ("") go in the first part."""
    if parts == 1 or not owner:
        return 0
    return int.from_bytes(hashlib.sha256(owner.encode()).digest()[:8], "big") % parts


def plan_search_page(graph: CourseGraph) -> list[Page]:
    m = course_messages(graph)
    return [
        Page(
            SEARCH_PATH,
            "search.html",
            m.text("site.search"),
            m.text("search.description", course=graph.course.title),
            {
                "pagefind_script": f"{INDEX_FOLDER}/pagefind.js",
                "index_parts": [part_folder(part) for part in index_parts(graph)[1:]],
            },
            ((m.text("site.home"), "index.html"),),
        )
    ]


def search_collections(graph: CourseGraph, pages: list[Page], *, marked: bool = True) -> dict[str, str]:
    """Each topic's flashcards and questions as one search document per page, keyed by that page's URL.

    Every card and question is a heading with the id of its place on the page, so that Pagefind returns it as a
    sub-result with its own link, title and excerpt; the search page lists those sub-results one by one. One
    document per topic rather than one record per card keeps Pagefind's work (and its file count) in step with
    the number of topics: a 1,000-topic course's ~30,000 records took it 60 s and 1.6 GB; its 4,000 documents
    (pages and these) take ~10 s and 445 MB.
    The documents are made from the planned pages' own views of the cards and questions, rendered once.
    `marked`: whether the site's pages mark their text with data-pagefind-body (then so must these documents).
    """
    m = course_messages(graph)
    return {"/" + page.path: _collection_of(m, page, marked) for page in pages if page.template in COLLECTED}


def _collection_of(m: Messages, page: Page, marked: bool) -> str:
    return _collection(*searched_items(m, page), marked)


def searched_items(m: Messages, page: Page) -> SearchedItems:
    """What a collected page's search document is made of: its kind and its (anchor, title, body) texts. Small
    beside the page's plan, so the site keeps these for the index and lets the plan go once the page is written."""
    if page.template == "flashcards.html":
        kind, topic = "search.kind.flashcard", page.context["topic"]
        items = [(f"card-{c.id}", c.front_text, c.back_text) for c in page.context["cards"]]
    else:
        kind, topic = "search.kind.question", page.context["group"].topic
        items = [(i.anchor, i.prompt_text, i.answer_text) for i in page.context["group"].items]
    return m.text(kind, topic=topic.title), items


def _collection(kind: str, items: list[tuple[str, str, str]], marked: bool) -> str:
    """A search document of (anchor, title text, body text) items. The kind is metadata, kept out of the indexed
    text; the element-text form of data-pagefind-meta takes any text (the inline form would split at commas)."""
    sections = "".join(
        f'<h2 id="{escape(anchor)}">{escape(_searchable(title))}</h2><p>{escape(_searchable(body))}</p>'
        for anchor, title, body in items
    )
    body = " data-pagefind-body" if marked else ""
    return (
        f'<html><body><p data-pagefind-ignore data-pagefind-meta="kind">{escape(kind)}</p>'
        f'<p data-pagefind-ignore data-pagefind-meta="collection">{COLLECTION}</p>'
        f"<main{body}>{sections}</main></body></html>"
    )


class BackgroundIndex:
    """Pagefind indexing in its own processes while this one goes on (waiting for the decks and quiz exports).

    What the collections are made of (noted by the site as it wrote those pages, or planned here, in the calling
    thread, for a page kept from the last build) is gathered here; helper threads read the pages back, make the
    collections' documents, feed them to Pagefind and put each part's files into the site as it comes back, so that
    a build holds one part at a time per process. A Pagefind process indexes on one core, so the parts of a large
    course are indexed side by side, one process per core (at most `INDEX_WORKERS`: each holds a part in memory,
    ~100 MB for 250 topics). Leaving the `with` block early (an error, Ctrl-C) stops Pagefind and waits for the
    helper threads before the exception goes on.
    """

    def __init__(
        self,
        graph: CourseGraph,
        site: SiteFiles,
        plan: SitePlan | None = None,
        previous: OutputCache | None = None,
    ) -> None:
        """`site`: the site's files (the pages are read back part by part, as each is indexed); `plan`: the site's
        plan (planned again if not given); `previous`: a part of the last build's index is kept if everything it
        would be made from is the same (studygen.render.output_cache)."""
        self.language = graph.course.language.split("-")[0]
        self.site = site
        # Once any page has data-pagefind-body, Pagefind indexes no page without it, so those are not sent at all:
        # most of a course's pages are quizzes, sheets and card decks, which search reaches through its records.
        # (A theme without the attribute anywhere has every page indexed whole, as Pagefind would.)
        pages = site.marked or {path for path in site if path.endswith(".html")}
        if plan is None:
            from studygen.render.site import site_units  # the site module imports this one

            plan = SitePlan(site_units(graph))
        count = part_count(graph)
        entries = plan.settled()
        owners = {entry.path: plan.owner(entry) for entry in entries}
        collected = [entry for entry in entries if entry.template in COLLECTED]
        parts: dict[int, _PartInputs] = {part: _PartInputs([], []) for part in index_parts(graph)}
        # A page with a collection is searched through it (per card, per question), not indexed a second time.
        for path in pages - {entry.path for entry in collected}:
            parts[part_of(owners.get(path, ""), count)].pages.append(path)
        for entry in collected:
            parts[part_of(owners[entry.path], count)].collected.append(entry)
        messages = course_messages(graph)
        self.backends: list[PagefindBackend] = []
        self.previous = previous
        self.kept: list[dict[str, bytes]] = []  # the files of each part kept from the last build, by path under site/
        self.made: dict[int, list[str]] = {}  # the files of each part made, put into the site as it was made
        self.jobs: list[_Job] = []  # the parts to index
        self.marked = bool(site.marked)

        def items(entry: Entry) -> SearchedItems:
            searched = plan.searched.get(entry.path)  # noted as the page was written
            return searched if searched is not None else searched_items(messages, plan.page(entry))  # or planned now

        settings = f"{self.language}\0{_strings_digest(messages)}\0{self.marked}"
        # A kept page's document, made in an earlier build, is read from the cache rather than planned again.
        self.documents = DocumentCache(graph.root, f"{code_digest()}\0{settings}") if previous else None
        document_keys: dict[str, bytes] = {}  # collected page path -> its document's key (pages with a fingerprint)
        if self.documents is not None:
            for entry in collected:
                if fingerprint := plan.fingerprints.get(entry.path):
                    document_keys[entry.path] = self.documents.key(entry.template, fingerprint)
        self.used = set(document_keys.values())
        for part, inputs in parts.items():
            inputs.pages.sort()
            key = ""
            if previous:
                # A page counts by its digest; a collection's document follows from its page's plan (whose
                # fingerprint stands in for it, so that a kept plan need not be planned), the interface strings and
                # whether pages are marked.
                stand_ins = [
                    plan.fingerprints.get(entry.path) or _collection(*items(entry), self.marked)
                    for entry in inputs.collected
                ]
                key = _index_key(
                    settings,
                    f"{part}/{count}",
                    [(f"/{path}", site.digest(path)) for path in inputs.pages],
                    [(f"/{entry.path}", stand_in) for entry, stand_in in zip(inputs.collected, stand_ins, strict=True)],
                )
                kept = previous.take(_unit(part), key)
                if kept is not None:
                    self.kept.append({path.removeprefix("site/"): data for path, data in kept.items()})
                    continue
            # A stub's document is read from the cache, or its unit planned here (planning is not for the helper
            # thread); the other documents are made there.
            wanted = [document_keys[e.path] for e in inputs.collected if e.path in document_keys and
                      e.path not in plan.searched]  # fmt: skip
            stored = self.documents.get(wanted) if self.documents is not None and wanted else {}
            collections = []
            for entry in inputs.collected:
                document_key = document_keys.get(entry.path)
                document = stored.get(document_key) if document_key is not None else None
                if document is not None:
                    collections.append(_Collection(f"/{entry.path}", document, None))
                else:
                    collections.append(_Collection(f"/{entry.path}", items(entry), document_key))
            self.jobs.append(_Job(part, inputs.pages, collections, key))
        self.failure: BaseException | None = None
        self.waiting = list(reversed(self.jobs))  # taken from the end by the helper threads
        self.threads: list[threading.Thread] = []
        for _ in range(min(len(self.jobs), os.cpu_count() or 1, INDEX_WORKERS)):
            backend = PagefindBackend()
            self.backends.append(backend)
            thread = threading.Thread(target=self._run, args=(backend,), name="studygen-pagefind", daemon=True)
            self.threads.append(thread)

    def __enter__(self) -> BackgroundIndex:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if error is not None:
            for backend in self.backends:
                backend.stop()
        for thread in self.threads:
            if thread.is_alive():
                thread.join()

    def result(self) -> None:
        """Wait for the index; every part's files are then in the site."""
        for thread in self.threads:
            if thread.ident is not None:
                thread.join()
        if self.failure is not None:
            raise self.failure
        for bundle in self.kept:
            for path, data in bundle.items():
                self.site.put(path, data)
        if self.documents is not None and self.jobs:
            self.documents.save({}, self.used)  # the documents of pages since edited go
        if self.previous:
            for job in self.jobs:
                digests = {f"site/{path}": self.site.digest(path) for path in self.made[job.part]}
                self.previous.keep_digests(_unit(job.part), job.key, (), digests)

    def _run(self, backend: PagefindBackend) -> None:
        try:
            while self.failure is None:
                try:
                    job = self.waiting.pop()  # atomic: each job is taken by one thread
                except IndexError:
                    return
                made: dict[bytes, str] = {}
                requests = self._requests(job, made)
                bundle = self._bundle(backend, job.part, requests, len(job.pages) + len(job.collections))
                for path, data in bundle.items():  # into the site now: a part's files are not held to the end
                    self.site.put(path, data)
                self.made[job.part] = list(bundle)
                if self.documents is not None and made:
                    self.documents.save(made)
        except BaseException as error:  # handed to the thread that asks for the result
            if self.failure is None:  # the first: the others' are the stops it causes
                self.failure = error
            for other in self.backends:  # the build fails: the other parts are not needed
                other.stop()

    def _requests(self, job: _Job, made: dict[bytes, str]) -> Iterator[dict[str, Any]]:
        """A part's documents, each read (a page) or made (a collection, noted in `made` for the document cache)
        only as it is sent: a part's pages read at once were ~20 MB per process."""
        for path in job.pages:
            yield _add_file(f"/{path}", self.site[path].decode("utf-8"))
        for collection in job.collections:
            document = collection.source
            if not isinstance(document, str):
                document = _collection(*document, self.marked)
                if collection.key is not None:
                    made[collection.key] = document
            yield _add_file(collection.url, document)

    def _bundle(
        self, backend: PagefindBackend, part: int, requests: Iterable[dict[str, Any]], count: int
    ) -> dict[str, bytes]:
        config = {"force_language": self.language, "keep_index_url": True}
        files = backend.build(config, requests, count)
        dropped = _DROPPED + (_MERGED_DROPS if part else ())
        folder = part_folder(part)
        return {folder + name: files[name] for name in sorted(files) if not name.startswith(dropped)}


@dataclass(frozen=True)
class _Collection:
    """A collected page's search document (from the document cache), or its items to make it from (and the key to
    store it under, if it has one)."""

    url: str
    source: str | SearchedItems
    key: bytes | None


@dataclass(frozen=True)
class _Job:
    """A part of the index to make: its pages (by path under site/, read when it is made), its collections and its
    key in the output cache."""

    part: int
    pages: list[str]
    collections: list[_Collection]
    key: str


@dataclass
class _PartInputs:
    """What one part of the index is made from: pages (by path under site/) and pages searched through a collection."""

    pages: list[str]
    collected: list[Entry]


def _add_file(url: str, html: str) -> dict[str, Any]:
    return {"type": "AddFile", "url": url, "file_contents": html, "file_path": None}


def _unit(part: int) -> str:
    """A part of the index's name in the output cache."""
    return f"site/{part_folder(part)}"


class PagefindBackend:
    """A minimal client of the Pagefind binary's `--service` protocol (the one its Python and Node APIs speak).

    Messages are base64-encoded JSON, each followed by a comma, on stdin; replies come back the same way on
    stdout. Pagefind's own Python client waits 0.1 s before reading each reply, so a course with a few hundred
    cards and questions took most of a minute; this client streams the requests and reads replies as they come.
    """

    def __init__(self) -> None:
        from pagefind.service import get_executable

        binary = get_executable()
        if binary is None:
            raise RuntimeError("the Pagefind binary is missing: install `pagefind[bin]`")
        self.binary = str(binary)
        self.next_id = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.stopped = False

    def stop(self) -> None:
        """End the service now (from another thread): the build in progress fails and cleans up."""
        self.stopped = True
        if self.process is not None:
            self.process.kill()

    def build(self, config: dict[str, Any], requests: Iterable[dict[str, Any]], count: int) -> dict[str, bytes]:
        """Index the `count` requests (each made as it is sent); the bundle's files by their path inside it. Nothing
        touches the disk."""
        if self.stopped:
            raise RuntimeError("the Pagefind service was stopped")
        process = self.process = subprocess.Popen(
            [self.binary, "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        if self.stopped:  # stop() came between the check above and the start
            process.kill()
        assert process.stdin is not None and process.stdout is not None
        replies = _replies(process.stdout)
        try:
            index_id = self._call(process.stdin, replies, [{"type": "NewIndex", "config": config}], 1)[0]["index_id"]
            # Every add must be answered before the files are asked for.
            self._call(process.stdin, replies, ({**request, "index_id": index_id} for request in requests), count)
            # The files come back in the reply: nothing is read from a folder that Pagefind might still be writing.
            bundle = self._call(process.stdin, replies, [{"type": "GetFiles", "index_id": index_id}], 1)[0]
        finally:
            # A service that is gone (stopped) cannot take the rest of stdin; the error that matters is on its way.
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
            process.wait(timeout=30)
        return {file["path"]: base64.b64decode(file["content"]) for file in bundle["files"]}

    def _call(
        self, pipe: IO[bytes], replies: Iterator[dict[str, Any]], payloads: Iterable[dict[str, Any]], count: int
    ) -> list[dict[str, Any]]:
        """Send `count` payloads (made as they are written) and return their replies in order."""
        first = self.next_id + 1
        wanted = set(range(first, first + count))
        self.next_id += count
        # Encoded as they are written: a part's pages, encoded all at once, took as much memory again (~20 MB).
        messages = (_encode({"message_id": first + n, "payload": p}) for n, p in enumerate(payloads))
        failed: list[BaseException] = []  # what stopped the writer, if not the service
        writer = threading.Thread(target=_write_all, args=(pipe, messages, failed), daemon=True)
        writer.start()  # write from a thread: replies must be drained while requests go in, or both pipes fill
        answers: dict[int, dict[str, Any]] = {}
        # Counted, not recomputed as `wanted - answers.keys()` per reply: that made 30,000 records quadratic (48 s).
        while len(answers) < len(wanted):
            try:
                reply = next(replies)
            except RuntimeError:
                writer.join()
                if failed:  # e.g. a page that could not be read: the service stopped because its input ended
                    raise failed[0] from None
                raise
            payload = reply.get("payload") or {}
            if payload.get("type") == "Error":
                raise RuntimeError(f"Pagefind failed: {payload.get('message')}")
            if reply.get("message_id") in wanted:
                answers[reply["message_id"]] = payload
        writer.join()
        return [answers[i] for i in sorted(answers)]


def _index_key(settings: str, part: str, documents: list[tuple[str, str]], collected: list[tuple[str, str]]) -> str:
    """Everything one part of the index is made from: the settings, which part ("N/count") it is, its pages by URL
    and the SHA-256 of their bytes, and its collections by URL and the fingerprint of their plan. Our code and
    Pagefind's version are in every key of the output cache."""
    digest = hashlib.sha256(f"{code_digest()}\0{settings}\0{part}".encode())
    for url, page_digest in documents:
        digest.update(b"\0" + url.encode() + b"\0" + page_digest.encode())
    for url, stand_in in collected:
        digest.update(b"\1" + url.encode() + b"\0" + stand_in.encode())
    return digest.hexdigest()


def _strings_digest(messages: Messages) -> str:
    return hashlib.sha256(json.dumps(messages.strings, sort_keys=True).encode()).hexdigest()


def _encode(message: dict[str, Any]) -> bytes:
    return base64.b64encode(json.dumps(message).encode("utf-8")) + b","


def _write_all(pipe: IO[bytes], messages: Iterable[bytes], failed: list[BaseException]) -> None:
    try:
        for message in messages:
            pipe.write(message)
        pipe.flush()
    except (BrokenPipeError, ValueError):
        return  # the service was stopped (the build was interrupted); the main thread reports what matters
    except BaseException as error:  # making a message failed: end the service's input, so that its reader stops too
        failed.append(error)
        with contextlib.suppress(OSError, ValueError):
            pipe.close()


def _replies(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    """The service's replies, each base64 JSON ending in a comma. A reply's pieces are kept in a list and joined
    once: the bundle comes back as one reply of tens of megabytes (~23 MB at 1,000 topics), and growing one buffer
    and splitting it again for every 64 KB read made reading it quadratic (23 MB: 4.8 s, now 0.17 s; 73 MB: 74 s,
    now 0.7 s)."""
    pieces: list[bytes] = []
    while True:
        chunk = stream.read1(1 << 16)  # type: ignore[attr-defined]
        if not chunk:
            raise RuntimeError("the Pagefind service stopped unexpectedly")
        *complete, rest = chunk.split(b",")
        for end in complete:
            item = b"".join([*pieces, end])
            pieces = []
            if item.strip():
                yield json.loads(base64.b64decode(item))
        pieces.append(rest)


def _searchable(text: str) -> str:
    """Plain text with math left as its LaTeX source, without the MathJax delimiters."""
    for delimiter in ("\\(", "\\)", "\\[", "\\]"):
        text = text.replace(delimiter, "")
    return text
