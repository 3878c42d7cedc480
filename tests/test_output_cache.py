"""Rebuilds that keep the previous build's unchanged pages give exactly the files of a clean build.

Each test builds a course, edits it, rebuilds into the same folder (keeping what it can) and builds the edited
course afresh into another folder with no records: the two outputs must be byte-identical, file for file.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from studygen.build import BuildReport, build, check, with_drawn_figures
from studygen.render.deck_cache import DeckStore
from studygen.render.output_cache import RECORDS_FILE, OutputCache
from studygen.render.site import site_units
from studygen.render.site_plan import SitePlan

SITE_COURSE = Path(__file__).parent / "fixtures" / "site-course"


def _manifest(out: Path) -> dict[str, str]:
    return json.loads((out / "manifest.json").read_text())["files"]


def _rebuild_matches_clean_build(tmp_path: Path, edit: Callable[[Path], None]) -> tuple[BuildReport, BuildReport]:
    """Build, edit, rebuild; then build the edited course afresh. Returns the first build's and the rebuild's
    reports, after checking that the rebuild's output equals the fresh one's."""
    course = tmp_path / "work" / "course"
    shutil.copytree(SITE_COURSE, course)
    first = build(course, tmp_path / "out")
    edit(course)
    again = build(course, tmp_path / "out")
    fresh_course = tmp_path / "fresh" / "course"  # its own cache folder: nothing to keep
    shutil.copytree(course, fresh_course)
    fresh = build(fresh_course, tmp_path / "fresh-out")
    assert fresh.kept == 0
    assert _manifest(tmp_path / "out") == _manifest(tmp_path / "fresh-out")
    for path in _manifest(tmp_path / "fresh-out"):
        assert (tmp_path / "out" / path).read_bytes() == (tmp_path / "fresh-out" / path).read_bytes(), path
    return first, again


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_an_unchanged_course_keeps_every_page_and_the_search_index(tmp_path: Path) -> None:
    records: list[bytes] = []
    first, again = _rebuild_matches_clean_build(
        tmp_path, lambda course: records.append((tmp_path / "out" / RECORDS_FILE).read_bytes())
    )
    assert first.kept == 0 and first.rendered > 20
    assert again.rendered == 0 and again.kept == first.rendered
    # What was kept is recorded again (plans and decks too), so that the build after keeps as much.
    assert (tmp_path / "out" / RECORDS_FILE).read_bytes() == records[0]


def test_editing_one_topics_text_renders_only_the_pages_that_show_it(tmp_path: Path) -> None:
    def edit(course: Path) -> None:
        _replace(course / "topics/shortcuts.yaml", "Its only cost is one", "Its only cost is a single")

    first, again = _rebuild_matches_clean_build(tmp_path, edit)
    assert 0 < again.rendered < first.rendered / 2
    assert again.kept + again.rendered == first.rendered


@pytest.mark.parametrize(
    ("where", "old", "new"),
    [
        # A title shows on other topics' pages (links, learning paths) and in every list of topics.
        ("topics/gradient-descent.yaml", "title: Gradient Descent", "title: Gradient Descent Revisited"),
        # A question shows in the practice quizzes, worksheets, answer keys and the Q&A bank.
        ("topics/shortcuts.yaml", "What does an identity shortcut cost?", "What does a plain identity shortcut cost?"),
        # The course's own settings reach every page.
        ("course.yaml", "title: ", "title: Renamed "),
    ],
    ids=["topic title", "flashcard", "course"],
)
def test_edits_that_reach_other_pages_match_a_clean_build(tmp_path: Path, where: str, old: str, new: str) -> None:
    _rebuild_matches_clean_build(tmp_path, lambda course: _replace(course / where, old, new))


def test_adding_and_removing_topics_match_a_clean_build(tmp_path: Path) -> None:
    def add_topic(course: Path) -> None:
        text = (course / "topics/learning-rates.yaml").read_text()
        (course / "topics/momentum.yaml").write_text(
            text.replace("id: learning-rates", "id: momentum").replace("title: ", "title: Momentum and ", 1)
        )

    _rebuild_matches_clean_build(tmp_path / "add", add_topic)

    def remove_topic(course: Path) -> None:
        (course / "topics/learning-rates.yaml").unlink()
        _replace(
            course / "topics/shortcuts.yaml",
            "  - topic: learning-rates\n",
            "  - text: Learning rates\n    level: advanced\n",
        )

    _rebuild_matches_clean_build(tmp_path / "remove", remove_topic)


@pytest.mark.parametrize(
    ("template", "old", "new", "pages", "index"),
    [
        ("404.html", "{% block main %}", "{% block main %}<p>Lost?</p>", "site/404.html", 0),
        ("flashcards.html", "{% block main %}", "{% block main %}<p>Cards</p>", "site/topics/*/flashcards.html", 0),
        # Every page changes, the indexed ones too: the search index is made again.
        ("base.html", "<body", "<!-- every page -->\n<body", "site/**/*.html", 1),
    ],
)
def test_a_course_template_renders_again_the_pages_that_use_it(
    tmp_path: Path, template: str, old: str, new: str, pages: str, index: int
) -> None:
    def override(course: Path) -> None:
        (course / "templates").mkdir()
        theme = (Path(__file__).parents[1] / "templates" / template).read_text()
        assert old in theme
        (course / "templates" / template).write_text(theme.replace(old, new, 1))

    first, again = _rebuild_matches_clean_build(tmp_path, override)
    using = [p for p in (tmp_path / "out").glob(pages) if "pagefind" not in p.parts]
    assert using and again.rendered == len(using) + index and again.kept == first.rendered - len(using) - index


def test_a_file_changed_in_the_output_by_hand_is_rendered_again(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(SITE_COURSE, course)
    first = build(course, tmp_path / "out")
    page = tmp_path / "out" / "site" / "topics" / "shortcuts" / "guide.html"
    original = page.read_bytes()
    page.write_bytes(original.replace(b"Shortcut", b"Shortcat"))
    (tmp_path / "out" / "site" / "index.html").unlink()
    again = build(course, tmp_path / "out")
    assert again.rendered == 2 and again.kept == first.rendered - 2
    assert page.read_bytes() == original


def test_a_kept_file_replaced_by_a_link_is_rendered_again_as_a_file(tmp_path: Path) -> None:
    """A kept file is linked into the next output unread: only a regular file is kept, never a symbolic link, even
    to the same bytes (the output would then hold a link to a file outside it)."""
    course = tmp_path / "course"
    shutil.copytree(SITE_COURSE, course)
    first = build(course, tmp_path / "out")
    page = tmp_path / "out" / "site" / "topics" / "shortcuts" / "guide.html"
    outside = tmp_path / "outside.html"
    outside.write_bytes(page.read_bytes())
    page.unlink()
    page.symlink_to(outside)
    again = build(course, tmp_path / "out")
    assert again.rendered == 1 and again.kept == first.rendered - 1
    assert not page.is_symlink() and page.read_bytes() == outside.read_bytes()


def test_damaged_records_mean_a_full_render(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(SITE_COURSE, course)
    first = build(course, tmp_path / "out")
    built = _manifest(tmp_path / "out")
    (tmp_path / "out" / ".studygen-outputs.json").write_text("{not json")
    again = build(course, tmp_path / "out")
    assert again.kept == 0 and again.rendered == first.rendered
    assert _manifest(tmp_path / "out") == built


def test_a_rebuild_that_keeps_pages_keeps_their_markdown_in_the_markup_cache(tmp_path: Path) -> None:
    import sqlite3

    def rows() -> int:
        with sqlite3.connect(tmp_path / ".studygen-cache" / "markup.sqlite") as connection:
            return connection.execute("SELECT count(*) FROM markup").fetchone()[0]

    course = tmp_path / "course"
    shutil.copytree(SITE_COURSE, course)
    build(course, tmp_path / "out")
    before = rows()
    with sqlite3.connect(tmp_path / ".studygen-cache" / "markup.sqlite") as connection:  # enough to prune
        connection.executemany("INSERT INTO markup VALUES (?, ?)", ((f"old-{i}".encode(), "") for i in range(900)))
    _replace(course / "topics/shortcuts.yaml", "Its only cost is one", "Its only cost is a single")
    again = build(course, tmp_path / "out")
    # The kept pages' Markdown was not asked for, but it is still the course's: not pruned as unused.
    assert again.kept > 0 and rows() >= before + 900


def test_an_edit_re_indexes_only_its_part_of_the_search_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from studygen.render import search

    monkeypatch.setattr(search, "PART_TOPICS", 1)  # gradient-descent in part 2, everything else in part 0
    keys: list[dict[str, str]] = []
    indexed: list[list[str]] = []  # the documents of each Pagefind run (the real one, watched)
    real_build = search.PagefindBackend.build

    def watched(backend: search.PagefindBackend, config: dict, requests: Iterable[dict], count: int) -> dict:
        sent = list(requests)
        indexed.append([request["url"] for request in sent])
        return real_build(backend, config, sent, count)

    monkeypatch.setattr(search.PagefindBackend, "build", watched)

    def index_keys() -> dict[str, str]:
        units = json.loads((tmp_path / "out" / RECORDS_FILE).read_text())["units"]
        return {unit: record["key"] for unit, record in units.items() if unit.startswith("site/pagefind/")}

    def edit(course: Path) -> None:
        keys.append(index_keys())
        indexed.clear()
        _replace(course / "topics/gradient-descent.yaml", "back: ", "back: Edited. ")

    _rebuild_matches_clean_build(tmp_path, edit)
    before, after = keys[0], index_keys()
    assert sorted(before) == ["site/pagefind/", "site/pagefind/part-2/"]
    assert after["site/pagefind/"] == before["site/pagefind/"]  # kept
    assert after["site/pagefind/part-2/"] != before["site/pagefind/part-2/"]  # indexed again
    # The rebuild ran Pagefind once, for gradient-descent's part; the fresh build twice, once for each part.
    assert len(indexed) == 3 and all(url.startswith("/topics/gradient-descent/") for url in indexed[0])


def _units_a_rebuild_plans(course: Path, out: Path) -> list[str]:
    """The units of the site that the next build of `course` into `out` plans (the real plan and records)."""
    graph, _ = with_drawn_figures(check(course)[0])
    return SitePlan(site_units(graph), OutputCache.for_build(out, graph)).planned


def test_a_written_page_lets_its_plan_go_and_search_keeps_only_its_items(tmp_path: Path) -> None:
    from studygen.render.search import COLLECTED, searched_items
    from studygen.render.site import course_messages, write_site
    from studygen.render.site_files import SiteFiles
    from studygen.render.site_plan import Stub

    graph, _ = with_drawn_figures(check(SITE_COURSE)[0])
    plan = SitePlan(site_units(graph), OutputCache.for_build(tmp_path / "out", graph))
    planned = {entry.path: entry for entry in plan.pages}
    site = SiteFiles.of({})
    write_site(graph, site, plan, plan.previous)
    after = {entry.path: entry for entry in plan.pages}
    assert after.keys() == planned.keys() and all(path in site for path in after)
    assert all(isinstance(entry, Stub) for entry in after.values())
    # What the search index needs of a collected page is kept, the same as its plan gives.
    collected = [path for path, entry in planned.items() if entry.template in COLLECTED]
    assert collected and plan.searched.keys() == set(collected)
    messages = course_messages(graph)
    assert all(plan.searched[path] == searched_items(messages, planned[path]) for path in collected)
    stub = after["topics/shortcuts/index.html"]
    assert isinstance(stub, Stub) and stub.fingerprint == plan.fingerprints[stub.path]
    assert stub.owner == "shortcuts" and stub.template == planned[stub.path].template
    # Asked for again, the page is planned again, the same.
    again = plan.page(stub)
    assert (again.title, again.crumbs) == (planned[stub.path].title, planned[stub.path].crumbs)


def test_the_records_written_in_pieces_are_compact_json(tmp_path: Path) -> None:
    from studygen.render import output_cache

    build(SITE_COURSE, tmp_path / "out")
    text = (tmp_path / "out" / RECORDS_FILE).read_bytes()
    records = json.loads(text)
    assert records["units"] and records["plans"]
    assert text == json.dumps(records, separators=(",", ":")).encode()  # as json.dumps writes it whole
    members = [(f"unit-{n}", {"files": [n]}) for n in range(5)]
    pieces = list(output_cache._json_object(iter(members), per_piece=2))
    assert len(pieces) > 2 and b"".join(pieces) == json.dumps(dict(members), separators=(",", ":")).encode()


def test_guides_flashcards_and_answers_are_planned_as_they_are_written_with_the_same_pages(tmp_path: Path) -> None:
    from studygen.render.site import render_site, write_site
    from studygen.render.site_files import SiteFiles
    from studygen.render.site_plan import Later, Stub, Unit

    graph, _ = with_drawn_figures(check(SITE_COURSE)[0])
    plan = SitePlan(site_units(graph), OutputCache.for_build(tmp_path / "out", graph), later=True)
    later = {entry.unit for entry in plan.pages if isinstance(entry, Later)}
    assert {unit.split(":")[0] for unit in later} == {"topic", "guide", "flashcards", "qa"}
    assert not later & set(plan.planned)  # not planned before the site is written
    site = SiteFiles.of({})
    write_site(graph, site, plan, plan.previous)
    assert later <= set(plan.planned) and all(isinstance(entry, Stub) for entry in plan.pages)
    assert {path: site[path] for path in site} == render_site(graph, SitePlan(site_units(graph)))  # all at once

    # A unit whose plan gives other pages than its paths said is an error in our code, not a different site.
    wrong = [Unit(unit.name, unit.plan, unit.topic, lambda: ["topics/elsewhere.html"]) for unit in site_units(graph)]
    plan = SitePlan(wrong, OutputCache.for_build(tmp_path / "out", graph), later=True)
    with pytest.raises(RuntimeError, match="not those its plan gives"):
        write_site(graph, SiteFiles.of({}), plan, plan.previous)


def test_a_rebuild_plans_only_the_units_that_read_an_edited_topic(tmp_path: Path) -> None:
    planned: list[list[str]] = []

    def edit(course: Path) -> None:
        planned.append(_units_a_rebuild_plans(course, tmp_path / "out"))
        _replace(course / "topics/gradient-descent.yaml", "title: Gradient Descent", "title: Gradient Descent Again")
        planned.append(_units_a_rebuild_plans(course, tmp_path / "out"))

    _rebuild_matches_clean_build(tmp_path, edit)
    unchanged, edited = planned
    assert unchanged == []
    # The topic's own units, the units that list every topic or its subject's topics, and shortcuts' flashcards,
    # which ask why gradient descent is its prerequisite (by its title). Nothing of learning-rates alone.
    assert sorted(edited) == [
        "flashcards:gradient-descent",
        "flashcards:shortcuts",
        "guide:gradient-descent",
        "practice-course",
        "practice-subject:optimisation",
        "practice:gradient-descent",
        "qa",
        "qa:gradient-descent",
        "search",
        "summary",
        "topic:gradient-descent",
    ]


def test_an_answers_page_is_planned_again_when_the_hub_part_it_links_back_to_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A topic's answers page is its own unit, but it links back to the part of the Q&A hub that holds its
    questions: a longer prompt elsewhere can move them to another part, and that page is planned again."""
    from studygen.render import qa_bank

    monkeypatch.setattr(qa_bank, "HUB_PART_BYTES", 2500)  # the three topics' eight questions in three parts
    planned: list[str] = []
    hubs: list[dict[str, str]] = []

    def layout(course: Path) -> dict[str, str]:
        graph, _ = with_drawn_figures(check(course)[0])
        return dict(qa_bank.qa_layout(graph).hub_of)

    def edit(course: Path) -> None:
        hubs.append(layout(course))
        _replace(course / "topics/shortcuts.yaml", "prompt: What does an identity shortcut add?",
                 "prompt: What does an identity shortcut add? " + "Think about it in detail. " * 60)  # fmt: skip
        hubs.append(layout(course))
        planned.extend(_units_a_rebuild_plans(course, tmp_path / "out"))

    _rebuild_matches_clean_build(tmp_path, edit)
    before, after = hubs
    moved = {topic for topic in before if before[topic] != after[topic] and topic != "shortcuts"}
    assert moved  # (a topic whose part stays is not planned again: see the test of an edited topic above)
    answers = {name.removeprefix("qa:") for name in planned if name.startswith("qa:")}
    assert answers == {"shortcuts"} | moved
    assert "qa" in planned


@pytest.mark.parametrize("cache", ["kept", "deleted", "damaged"])
def test_a_part_of_the_index_made_again_reads_kept_pages_documents_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: str
) -> None:
    """After an edit, the index (one part here) is made again from every page; the flashcard and answers pages of
    the topics not edited are kept, and their search documents come from .studygen-cache/search.sqlite instead of
    planning their units again. Without the cache, or with a damaged one, they are planned: the same output."""
    from studygen.render.search_documents import CACHE_FILE

    planned: list[str] = []
    plan_unit = SitePlan._plan
    monkeypatch.setattr(SitePlan, "_plan", lambda plan, unit: planned.append(unit.name) or plan_unit(plan, unit))

    def edit(course: Path) -> None:
        _replace(course / "topics/shortcuts.yaml", "Its only cost is one", "Its only cost is a single")
        stored = course.parent / CACHE_FILE
        assert stored.is_file()
        if cache == "deleted":
            stored.unlink()
        elif cache == "damaged":
            stored.write_bytes(b"not a database" * 100)
        planned.clear()

    first, again = _rebuild_matches_clean_build(tmp_path, edit)  # (planned: the rebuild's, then the fresh build's)
    rebuilt = planned[: planned.index("summary", 1)]  # the fresh build plans everything, "summary" first
    others = {"qa:learning-rates", "flashcards:gradient-descent", "qa:gradient-descent"}  # (no cards: no page)
    assert 0 < again.rendered < first.rendered and "flashcards:shortcuts" in rebuilt
    if cache == "kept":
        assert not others & set(rebuilt)
    else:
        assert others <= set(rebuilt)


def test_a_plan_is_kept_only_under_the_same_frame(tmp_path: Path) -> None:
    """The course's settings (or our code, or the interface strings) may reach any plan: all are planned again."""
    planned: list[str] = []

    def edit(course: Path) -> None:
        _replace(course / "course.yaml", "title: ", "title: Renamed ")
        planned.extend(_units_a_rebuild_plans(course, tmp_path / "out"))

    _rebuild_matches_clean_build(tmp_path, edit)
    graph, _ = with_drawn_figures(check(tmp_path / "work" / "course")[0])
    assert sorted(planned) == sorted(unit.name for unit in site_units(graph))


def test_damaged_plan_records_mean_a_full_render(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(SITE_COURSE, course)
    first = build(course, tmp_path / "out")
    records = json.loads((tmp_path / "out" / RECORDS_FILE).read_text())
    records["plans"]["guide:shortcuts"]["rows"] = [["topics/shortcuts/guide.html"]]
    (tmp_path / "out" / RECORDS_FILE).write_text(json.dumps(records))
    again = build(course, tmp_path / "out")
    assert again.kept == 0 and again.rendered == first.rendered


def test_every_way_to_a_topic_through_the_graph_is_recorded() -> None:
    from studygen.content.graph import recorded_reads

    graph, _ = check(SITE_COURSE)
    with recorded_reads() as by_id:
        graph.topic("shortcuts")
    with recorded_reads() as by_subject:
        graph.topics_of("optimisation")
    with recorded_reads() as listed:
        sorted(graph.topics, key=lambda topic: topic.title)
    with recorded_reads() as indexed:
        graph.topics[0]
    with recorded_reads() as counted:
        len(graph.topics)  # how many there are is in every key already (the frame), not a topic's content
    assert by_id == {"shortcuts"}
    assert by_subject == {"gradient-descent", "learning-rates"}
    assert listed == indexed == {"gradient-descent", "learning-rates", "shortcuts"}
    assert counted == set()


def _built_course_with_decks_watched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """The site course built into tmp_path/out, and the topics whose decks are made from now on (the real
    topic_deck, watched)."""
    from studygen.render import anki

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    course = tmp_path / "course"
    shutil.copytree(SITE_COURSE, course)
    build(course, tmp_path / "out")
    made: list[str] = []
    real_topic_deck = anki.topic_deck

    def watched(graph: object, topic: object, *rest: object) -> object:
        made.append(topic.id)  # type: ignore[attr-defined]
        return real_topic_deck(graph, topic, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(anki, "topic_deck", watched)
    return course, made


def _decks_again(course: Path, out: Path, stored: DeckStore | None = None) -> dict[str, bytes]:
    """The Anki outputs as the next build of `course` into `out` renders them (in the forked child, in a build)."""
    from studygen.render import anki
    from studygen.render.anki_inputs import content_times, static_figures

    graph, _ = with_drawn_figures(check(course)[0])
    figures = {**static_figures(graph), **{i: drawn.png for i, drawn in graph.drawn_figures.items()}}
    outputs = anki.render_anki(graph, content_times(graph), figures, OutputCache.for_build(out, graph), stored)
    return {f"anki/{path}": data for path, data in outputs.items()}


def test_a_rebuild_makes_no_deck_whose_topic_and_times_are_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    course, made = _built_course_with_decks_watched(tmp_path, monkeypatch)
    unchanged = _decks_again(course, tmp_path / "out")
    assert made == []
    assert unchanged == {path: (tmp_path / "out" / path).read_bytes() for path in unchanged}
    _replace(course / "topics/gradient-descent.yaml", "back: ", "back: Edited. ")
    edited = _decks_again(course, tmp_path / "out")
    # Made to be fingerprinted (in catalogue order): the edited topic's deck, and shortcuts', which reads gradient
    # descent's title (a prerequisite card). Then learning-rates', only because the course's package holds it.
    assert made == ["shortcuts", "gradient-descent", "learning-rates"]
    assert edited["anki/topics/gradient-descent.apkg"] != unchanged["anki/topics/gradient-descent.apkg"]
    assert edited["anki/topics/shortcuts.apkg"] == unchanged["anki/topics/shortcuts.apkg"]


def test_a_deck_a_rebuilt_package_holds_comes_from_the_deck_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an edit the course's package is made again with every deck in it: the unchanged decks come from the
    deck cache the real build filled, not made again, and the packages are those made without the cache."""
    import sqlite3

    from studygen.render.deck_cache import CACHE_FILE, deck_cache

    course, made = _built_course_with_decks_watched(tmp_path, monkeypatch)

    def cached_decks() -> dict[str, bytes]:
        with deck_cache(course) as stored:
            assert stored is not None
            return _decks_again(course, tmp_path / "out", stored)

    _replace(course / "topics/gradient-descent.yaml", "back: ", "back: Edited. ")
    with_cache = cached_decks()
    assert made == ["shortcuts", "gradient-descent"]  # learning-rates' deck was read from the cache
    made.clear()
    assert with_cache == _decks_again(course, tmp_path / "out") and "learning-rates" in made
    # A damaged entry is a deck made again, never a wrong one.
    with sqlite3.connect(tmp_path / CACHE_FILE) as connection:
        connection.execute("UPDATE decks SET content = '{\"notes\": 1}'")
    made.clear()
    assert cached_decks() == with_cache and "learning-rates" in made


def test_new_content_times_make_the_decks_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A note's time is in its package (Anki updates a note only from a newer one): times alone change decks."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    _rebuild_matches_clean_build(tmp_path, lambda course: monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000"))
