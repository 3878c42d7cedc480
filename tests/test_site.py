"""The study site as files: every page type, well-formed HTML, links that resolve, page weight, search index.

HTML is parsed with html5lib in strict mode, which raises on any parse error the WHATWG parser reports
(unclosed or stray tags, bad nesting, duplicate attributes, ...). Links are checked by walking every page:
each internal href and src (pages, styles, scripts, images) must name a file of the site, and each `#anchor`
an id on its target page.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import html5lib
import pytest
from bs4 import BeautifulSoup

from studygen.build import build, check
from studygen.render.cards import study_cards
from studygen.render.flashcards import card_counts, topic_cards
from studygen.render.pages import topic_path

SITE_COURSE = Path(__file__).parent / "fixtures" / "site-course"
BUNDLED = Path(__file__).parent.parent / "content"
BUDGET = 100_000  # HTML + CSS + JS of one page, fonts and images excluded (long quizzes come in parts for it)


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "pagefind" not in p.parts)


@pytest.fixture(scope="module")
def bundled_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundled") / "build"
    build(BUNDLED, out)
    return out / "site"


# ---------------------------------------------------------------- pages


def test_every_page_type_is_built(site_dir: Path) -> None:
    for path in [
        "index.html",
        "404.html",
        "qa.html",
        "search.html",
        "sitemap.xml",
        "computing/index.html",
        "computing/machine-learning/index.html",
        "computing/optimisation/index.html",
        "topics/shortcuts/index.html",
        "topics/shortcuts/guide.html",
        "topics/shortcuts/flashcards.html",
        "topics/gradient-descent/guide.html",
        "static/style.css",
        "static/fonts/noto-sans-math.woff2",
        "static/fonts/OFL-noto-sans-math.txt",
        "figures/residual-unit.png",
        "pagefind/pagefind.js",
    ]:
        assert (site_dir / path).is_file(), path
    # learning-rates has no guide and no cards (derived cards are off): no such pages, and no links to them.
    assert not (site_dir / "topics/learning-rates/guide.html").exists()
    assert not (site_dir / "topics/learning-rates/flashcards.html").exists()
    links = [a["href"] for a in soup(site_dir / "topics/learning-rates/index.html").select("nav.study-links a")]
    assert "guide.html" not in links and "flashcards.html" not in links


def test_every_page_is_well_formed_html(site_dir: Path, bundled_site: Path) -> None:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    for site in (site_dir, bundled_site):
        for page in pages(site):
            try:
                parser.parse(page.read_bytes())
            except html5lib.html5parser.ParseError as error:
                raise AssertionError(f"{page.relative_to(site)}: {error}") from None


def test_every_internal_link_and_image_resolves(site_dir: Path, bundled_site: Path) -> None:
    for site in (site_dir, bundled_site):
        ids: dict[Path, set[str]] = {}
        for page in pages(site):
            tree = soup(page)
            for tag, attribute in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src")):
                for element in tree.find_all(tag):
                    target = element.get(attribute)
                    if not target or target.startswith(("https://", "http://", "mailto:")):
                        continue
                    assert not target.startswith(("/", "//")), f"{page}: root-relative {target}"
                    parts = urlsplit(target)
                    file = (page.parent / unquote(parts.path)).resolve() if parts.path else page
                    assert file.is_file() and file.is_relative_to(site.resolve()), f"{page}: {target}"
                    if parts.fragment and file.suffix == ".html":
                        if file not in ids:
                            ids[file] = {e["id"] for e in soup(file).find_all(id=True)}
                        assert unquote(parts.fragment) in ids[file], f"{page}: {target}"


def test_nothing_is_loaded_from_elsewhere(site_dir: Path) -> None:
    for page in pages(site_dir):
        tree = soup(page)
        for element in tree.find_all(["script", "img", "link", "iframe", "source", "video", "audio"]):
            target = element.get("src") or (element.get("href") if element.name == "link" else None)
            if element.name == "link" and element.get("rel") in (["canonical"],):
                continue
            assert target is None or "//" not in target, f"{page}: {element}"
    for css in site_dir.rglob("*.css"):
        for target in re.findall(r"url\(([^)]+)\)", css.read_text()):
            target = target.strip("\"'")
            assert "//" not in target and (css.parent / target).is_file(), f"{css}: {target}"


def _weight(site: Path, page: Path) -> int:
    """Bytes of the page's HTML, its stylesheets and scripts (Pagefind's script on the search page); no fonts or
    images, and not the search index or its WebAssembly, which load only when a search runs."""
    tree = soup(page)
    total = page.stat().st_size
    for element in tree.select("link[rel=stylesheet], script[src]"):
        total += (page.parent / (element.get("href") or element["src"])).stat().st_size
    if tree.select_one("[data-pagefind]"):
        total += (site / "pagefind/pagefind.js").stat().st_size
    return total


def test_every_page_is_under_the_weight_budget(site_dir: Path, bundled_site: Path) -> None:
    for site in (site_dir, bundled_site):
        for page in pages(site):
            assert _weight(site, page) < BUDGET, f"{page.relative_to(site)}: {_weight(site, page)} bytes"


def test_head_metadata_on_every_page_type(site_dir: Path) -> None:
    for path, canonical in [
        ("index.html", "https://example.org/site-test/"),
        ("topics/shortcuts/guide.html", "https://example.org/site-test/topics/shortcuts/guide.html"),
        ("topics/shortcuts/flashcards.html", "https://example.org/site-test/topics/shortcuts/flashcards.html"),
        ("qa.html", "https://example.org/site-test/qa.html"),
    ]:
        tree = soup(site_dir / path)
        assert tree.find("link", rel="canonical")["href"] == canonical
        assert tree.find("meta", property="og:url")["content"] == canonical
        assert tree.find("meta", attrs={"name": "description"})["content"].strip()
        assert tree.title.get_text().endswith("· Site Test Course") or path == "index.html"
    sitemap = (site_dir / "sitemap.xml").read_text()
    assert "https://example.org/site-test/topics/shortcuts/guide.html" in sitemap
    assert "404" not in sitemap


# ---------------------------------------------------------------- guide


def test_guide_has_contents_math_figures_references_and_study_links(site_dir: Path) -> None:
    page = soup(site_dir / "topics/shortcuts/guide.html")
    toc = [a["href"] for a in page.select("nav.toc a")]
    assert toc == ["#why-shortcuts", "#the-forward-equation", "#a-worked-example", "#summary", "#references"]
    assert page.select_one("nav.toc ol ol a")["href"] == "#a-worked-example"  # h3 nested under its h2
    assert page.select_one(".guide-body math") is not None
    image = page.select_one("figure#figure-residual-unit img")
    assert image["alt"].startswith("A block diagram") and (image["width"], image["height"]) == ("64", "32")
    assert "Figure 1. A residual unit." in page.select_one("figure#figure-residual-unit figcaption").get_text()
    assert page.select_one("#references a[href='https://arxiv.org/abs/1603.05027']")
    after = [a["href"] for a in page.select("nav[aria-label='After this guide'] a")]
    assert after[0] == "index.html" and "flashcards.html" in after
    assert ("practice.html" in after) == (site_dir / "topics/shortcuts/practice.html").is_file()


# ---------------------------------------------------------------- flashcards


def test_flashcard_page_holds_the_shared_card_set(site_dir: Path) -> None:
    graph, _ = check(SITE_COURSE)
    topic = graph.topic("shortcuts")
    page = soup(site_dir / "topics/shortcuts/flashcards.html")
    shown = [li["data-card"] for li in page.select("#card-list > li")]
    assert shown == [card.id for card in topic_cards(graph, topic)]
    # Expanded as Anki expands notes: a reversed card twice, a cloze card once per deletion.
    notes = study_cards(graph, topic)
    assert {card.id for card in notes} <= {i.split(":c")[0].removesuffix(":reverse") for i in shown}
    assert {"unit-equation", "unit-equation:reverse", "cloze-sum:c1", "cloze-sum:c2"} <= set(shown)
    assert "derived:definition" in shown
    cloze = page.select_one("[id='card-cloze-sum:c1']")
    assert cloze.select_one(".card-front .cloze-gap").get_text() == "[…]"
    assert "product" in cloze.select_one(".card-front").get_text()  # the other deletion stays visible
    assert cloze.select_one(".card-back .cloze-gap").get_text() == "sum"
    assert "He et al. 2016" in cloze.select_one(".card-back").get_text()  # the cloze's extra text
    trainer = page.select_one("#trainer")
    assert trainer.has_attr("hidden") and trainer["data-storage-key"] == "studygen:site-test:cards:shortcuts"


def test_library_counts_cards_and_questions_as_the_deck_does(site_dir: Path) -> None:
    graph, _ = check(SITE_COURSE)
    home = soup(site_dir / "index.html")
    cards = {c.find("a").get_text(strip=True): c.get_text(" ", strip=True) for c in home.select(".topic-card")}
    for topic in graph.topics:
        counts = card_counts(graph, topic)
        assert counts["cards"] == len(topic_cards(graph, topic))
        text = cards[topic.title]
        assert f"{counts['cards']} card" in text and f"{counts['questions']} question" in text
        assert topic.level.capitalize() in text
    assert "Learning Rate Schedules" in cards and "0 cards" in cards["Learning Rate Schedules"]


# ---------------------------------------------------------------- Q&A bank


def test_qa_bank_lists_every_question_and_links_each_to_its_answer(site_dir: Path) -> None:
    graph, _ = check(SITE_COURSE)
    page = soup(site_dir / "qa.html")
    items = page.select("#qa-list li.qa")
    topic_of = {li["id"]: li.find_parent("section")["data-topic"] for li in items}
    expected = [
        (t.id, q.id) for s in ("machine-learning", "optimisation") for t in graph.topics_of(s) for q in t.questions
    ]
    assert [(topic_of[li["id"]], li["id"].removeprefix(f"q-{topic_of[li['id']]}-")) for li in items] == expected
    # The hub holds prompts only; each links to the question on its topic's answers page.
    answers: dict[str, Any] = {}
    for li in items:
        assert li.select_one(".qa-prompt").get_text(strip=True) and li["data-type"]
        assert not li.select(".qa-answer, .qa-explanation")
        target, _, anchor = li.select_one(".qa-answer-link a")["href"].partition("#")
        assert target == f"topics/{topic_of[li['id']]}/answers.html" and anchor == li["id"]
        answers[li["id"]] = soup(site_dir / target).find(id=anchor)
    assert all(answers.values())
    assert answers["q-shortcuts-single"].select_one(".options .correct").get_text().startswith("No parameters")
    assert "False" in answers["q-shortcuts-truefalse"].select_one(".qa-answer").get_text()
    assert "54" in answers["q-shortcuts-numeric"].select_one(".qa-answer").get_text()
    assert "learning rate" in answers["q-gradient-descent-short"].select_one(".qa-answer").get_text()
    assert "Blank 2" in answers["q-gradient-descent-blanks"].select_one(".qa-answer").get_text()
    assert [li.get_text() for li in answers["q-learning-rates-order"].select(".qa-answer li")] == [
        "Warm-up",
        "Peak",
        "Decay",
    ]
    for answer in answers.values():
        assert answer.select_one(".qa-explanation").get_text(strip=True)
    for group in page.select("#qa-list section.qa-topic"):
        assert group["data-level"] in ("beginner", "intermediate", "advanced") and group["data-subject"]
    options = {s["name"]: [o["value"] for o in s.find_all("option")] for s in page.select("#qa-filters select")}
    assert options["subject"] == ["", "machine-learning", "optimisation"]
    assert set(options["type"]) == {"", *{li["data-type"] for li in items}}


def test_a_question_about_a_figure_shows_the_figure_in_the_bank(bundled_site: Path) -> None:
    graph, _ = check(BUNDLED)
    asked = [(t.id, q) for t in graph.topics for q in t.questions if q.figure]
    assert asked  # the bundled course has questions over its figures
    hub = soup(bundled_site / "qa.html")
    for topic_id, question in asked:
        anchor = f"q-{topic_id}-{question.id}"
        answers_page = bundled_site / f"topics/{topic_id}/answers.html"
        for page, item in (
            (bundled_site / "qa.html", hub.find(id=anchor)),
            (answers_page, soup(answers_page).find(id=anchor)),
        ):
            image = item.select_one(".qa-figure img")
            assert image is not None and image["alt"], f"{page.name}: {anchor}"
            assert (page.parent / image["src"]).resolve().is_file()


def test_topic_answers_pages_are_in_the_study_navigation(site_dir: Path) -> None:
    for topic in ("shortcuts", "gradient-descent"):
        nav = soup(site_dir / f"topics/{topic}/index.html").select_one("nav.study-links")
        assert "answers.html" in [a["href"] for a in nav.select("a")]
        answers = soup(site_dir / f"topics/{topic}/answers.html")
        assert answers.select_one('nav.study-links a[aria-current="page"]')["href"] == "answers.html"
        assert answers.select_one(".lead a")["href"] == f"../../qa.html?topic={topic}"


# ---------------------------------------------------------------- search index


def test_search_index_is_built_in_the_pipeline(site_dir: Path) -> None:
    bundle = site_dir / "pagefind"
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    assert list(entry["languages"]) == ["en"]
    graph, _ = check(SITE_COURSE)
    # Each topic's cards and its questions are one document each, whose sections are the cards and questions.
    collections = sum(bool(topic_cards(graph, t)) + bool(t.questions) for t in graph.topics)
    indexed_pages = 3 + 2 + 2 + 1  # summaries, guides, subjects, the category
    assert entry["languages"]["en"]["page_count"] == indexed_pages + collections
    assert not list(bundle.glob("pagefind-ui*")) and not list(bundle.glob("pagefind-component-ui*"))
    manifest = json.loads((site_dir.parent / "manifest.json").read_text())
    assert "site/pagefind/pagefind.js" in manifest["files"]


def test_every_card_and_question_is_a_section_of_its_topics_search_document(site_dir: Path) -> None:
    import gzip

    fragments = {}
    for file in (site_dir / "pagefind" / "fragment").iterdir():
        data = gzip.decompress(file.read_bytes())
        fragment = json.loads(data[data.index(b"{") :])  # after Pagefind's own signature
        fragments[fragment["url"]] = fragment
    graph, _ = check(SITE_COURSE)
    checked = 0
    for topic in graph.topics:
        cards, questions = topic_cards(graph, topic), topic.questions
        flashcards_url, answers_url = (f"/{topic_path(topic.id, page)}" for page in ("flashcards.html", "answers.html"))
        assert (flashcards_url in fragments) == bool(cards) and (answers_url in fragments) == bool(questions)
        if cards:
            document = fragments[flashcards_url]
            assert document["meta"]["kind"] == f"Flashcard · {topic.title}"
            assert [a["id"] for a in document["anchors"]] == [f"card-{c.id}" for c in cards]
            checked += len(cards)
        if questions:
            document = fragments[answers_url]
            assert document["meta"]["kind"] == f"Question · {topic.title}"
            assert [a["id"] for a in document["anchors"]] == [f"q-{topic.id}-{q.id}" for q in questions]
            checked += len(questions)
    assert checked > 20


def test_two_builds_with_search_index_are_byte_identical(tmp_path: Path) -> None:
    digests = []
    for name in ("a", "b"):
        build(SITE_COURSE, tmp_path / name)
        digests.append((tmp_path / name / "manifest.json").read_bytes())
    assert digests[0] == digests[1]


def test_parts_of_the_index_made_side_by_side_are_those_made_one_after_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studygen.render import search

    monkeypatch.setattr(search, "PART_TOPICS", 1)  # two parts with documents (see index_parts)
    manifests = []
    for workers in (1, 4):
        monkeypatch.setattr(search, "INDEX_WORKERS", workers)
        build(SITE_COURSE, tmp_path / str(workers))
        manifests.append(json.loads((tmp_path / str(workers) / "manifest.json").read_text())["files"])
    assert manifests[0] == manifests[1]
    assert any(path.startswith("site/pagefind/part-") for path in manifests[0])


def test_leaving_the_background_index_early_stops_pagefind() -> None:
    from studygen.render.search import BackgroundIndex
    from studygen.render.site import render_site
    from studygen.render.site_files import SiteFiles

    graph, _ = check(SITE_COURSE)
    site = SiteFiles.of(render_site(graph))
    with pytest.raises(ZeroDivisionError), BackgroundIndex(graph, site) as index:
        _ = 1 / 0  # an error in the rendering that runs meanwhile, long before Pagefind could finish
    assert index.threads and not any(thread.is_alive() for thread in index.threads)
    for backend in index.backends:
        assert backend.process is None or backend.process.poll() is not None
    with pytest.raises(RuntimeError):  # the indexing was abandoned, not finished
        index.result()


def test_a_page_that_cannot_be_read_for_the_index_fails_the_index_with_its_own_error() -> None:
    from studygen.render.search import BackgroundIndex
    from studygen.render.site import render_site
    from studygen.render.site_files import FOLDER, SiteFiles

    graph, _ = check(SITE_COURSE)
    site = SiteFiles.of(render_site(graph))
    gone = "topics/shortcuts/guide.html"
    assert gone in site.marked  # a page the index reads, as each request is sent
    del site.into[FOLDER + gone]  # type: ignore[attr-defined]
    with BackgroundIndex(graph, site) as index, pytest.raises(KeyError, match=gone):
        index.result()
    for backend in index.backends:  # and no Pagefind process is left waiting for the rest of its input
        assert backend.process is not None and backend.process.poll() is not None


# ---------------------------------------------------------------- serve


def test_serve_injects_reload_and_rebuilds_on_change(tmp_path: Path) -> None:
    import shutil

    from studygen.serve import RELOAD_PATH, VERSION_PATH, serve

    course = tmp_path / "course"
    shutil.copytree(SITE_COURSE, course)
    said: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(course, tmp_path / "out", 0, said.append, stop), daemon=True)
    thread.start()
    try:
        base = _wait_for(lambda: next((m.split()[2] for m in said if m.startswith("Serving on")), None))
        page = urllib.request.urlopen(base + "topics/shortcuts/").read().decode()
        assert f'<script src="{RELOAD_PATH}"></script></body>' in page
        assert "__studygen" not in (tmp_path / "out/site/topics/shortcuts/index.html").read_text()  # build untouched
        assert urllib.request.urlopen(base + VERSION_PATH).read() == b"1"
        topic = course / "topics/gradient-descent.yaml"
        topic.write_text(topic.read_text().replace("small step", "tiny step"))
        _wait_for(lambda: urllib.request.urlopen(base + VERSION_PATH).read() == b"2" or None, timeout=20)
        assert "tiny step" in urllib.request.urlopen(base + "topics/gradient-descent/index.html").read().decode()
        topic.write_text("id: [broken")  # a failed rebuild keeps the last good site
        _wait_for(lambda: any("Still serving" in m for m in said) or None, timeout=20)
        assert urllib.request.urlopen(base + VERSION_PATH).read() == b"2"
    finally:
        stop.set()
        thread.join(timeout=10)


def _wait_for(probe, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_only_marked_pages_are_indexed_unless_no_page_is_marked() -> None:
    from studygen.render.search import BackgroundIndex, search_collections
    from studygen.render.site import plan_pages
    from studygen.render.site_files import SiteFiles

    graph, _ = check(SITE_COURSE)
    collections = len(search_collections(graph, plan_pages(graph)))

    def page_count(site: dict[str, bytes]) -> int:
        files = SiteFiles.of(site)
        with BackgroundIndex(graph, files) as index:
            index.result()
        entry = json.loads(files["pagefind/pagefind-entry.json"])
        return entry["languages"]["en"]["page_count"]

    plain = b"<html lang='en'><body><main><p>Residual shortcuts carry the signal.</p></main></body></html>"
    marked = b"<html lang='en'><body><main data-pagefind-body><p>Plain networks degrade.</p></main></body></html>"
    # A page without data-pagefind-body beside one with it is not indexed (as Pagefind itself would skip it) ...
    assert page_count({"a.html": plain, "b.html": marked, "c.html": plain}) == 1 + collections
    # ... but a theme that marks no page at all has every page indexed whole.
    assert page_count({"a.html": plain, "c.html": plain}) == 2 + collections


def test_pagefind_replies_are_read_whole_across_chunks() -> None:
    import base64
    import io

    from studygen.render.search import _replies

    messages = [{"message_id": 1, "payload": {"n": "x" * 300_000}}, {"message_id": 2, "payload": {}}]
    wire = b"".join(base64.b64encode(json.dumps(m).encode()) + b"," for m in messages)
    stream = io.BufferedReader(io.BytesIO(wire), buffer_size=4096)  # a reply spans several reads
    replies = _replies(stream)
    assert [next(replies), next(replies)] == messages
    with pytest.raises(RuntimeError, match="stopped"):  # the service went away: said, not hung on
        next(replies)
