"""The study site in a real browser: Playwright driving Debian's Chromium, keyboard first, nothing off the machine.

Skipped when the `playwright` package or /usr/bin/chromium is missing (never `playwright install`). The site is
served over http://127.0.0.1 from a thread (conftest's `site_url`). Every test's browser context refuses and
records any request to another host, and collects console errors and uncaught exceptions; both must stay empty.
axe-core (bundled with axe-playwright-python, injected from disk) checks WCAG 2.0/2.1/2.2 A and AA rules plus
axe's best practices on every page type in light and in dark mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SLOW = 20_000  # ms: the first search compiles Pagefind's WebAssembly, slow on a busy 2-core machine
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SITE_COURSE = Path(__file__).parent / "fixtures" / "site-course"
PAGE_TYPES = {
    "home": "index.html",
    "category": "computing/index.html",
    "subject": "computing/machine-learning/index.html",
    "summary": "topics/shortcuts/index.html",
    "guide": "topics/shortcuts/guide.html",
    "flashcards": "topics/shortcuts/flashcards.html",
    "qa-bank": "qa.html",
    "qa-answers": "topics/shortcuts/answers.html",
    "search": "search.html?q=gradient",
    "not-found": "404.html",
}


class Watch:
    """What a page did that it must not: requests off 127.0.0.1, console errors, uncaught exceptions."""

    def __init__(self) -> None:
        self.outside: list[str] = []
        self.errors: list[str] = []

    def route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "file://", "data:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


def open_context(browser: Any, watch: Watch, scheme: str = "light") -> Any:
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1100, "height": 800})
    context.route("**/*", watch.route)
    context.on("page", lambda page: _listen(page, watch))
    return context


def _listen(page: Any, watch: Watch) -> None:
    page.on("console", lambda m: watch.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.errors.append(f"{page.url}: {e}"))


@pytest.fixture
def watch() -> Iterator[Watch]:
    seen = Watch()
    yield seen
    assert seen.outside == [], f"requests left 127.0.0.1: {seen.outside}"
    assert seen.errors == [], f"console errors: {seen.errors}"


@pytest.fixture
def page(browser: Any, watch: Watch) -> Iterator[Any]:
    context = open_context(browser, watch)  # a fresh localStorage for each test
    yield context.new_page()
    context.close()


def status(page: Any) -> str:
    return page.locator("#trainer-status").inner_text()


def test_flashcards_flip_and_mark_by_keyboard_and_progress_survives_reload(page: Any, site_url: str) -> None:
    page.goto(site_url + "topics/shortcuts/flashcards.html")
    total = page.locator("#card-list > li").count()
    assert status(page) == f"Card 1 of {total} to learn · 0 of {total} known"
    # Keyboard only: Tab from the top of the page to the card.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "flashcard":
            break
    assert page.evaluate("document.activeElement.id") == "flashcard"
    first = page.locator("#flashcard").get_attribute("data-card")
    assert page.locator("#card-back-wrap").is_hidden()
    page.keyboard.press("Space")
    assert page.locator("#card-back-wrap").is_visible()
    assert page.locator("#btn-flip").get_attribute("aria-expanded") == "true"
    page.keyboard.press("Enter")
    assert page.locator("#card-back-wrap").is_hidden()
    page.keyboard.press("k")  # I knew it: off the queue
    assert status(page) == f"Card 1 of {total - 1} to learn · 1 of {total} known"
    second = page.locator("#flashcard").get_attribute("data-card")
    assert second != first
    page.keyboard.press("ArrowRight")
    third = page.locator("#flashcard").get_attribute("data-card")
    page.keyboard.press("ArrowLeft")
    assert page.locator("#flashcard").get_attribute("data-card") == second
    page.keyboard.press("a")  # again: to the back of the queue
    assert page.locator("#flashcard").get_attribute("data-card") == third
    assert status(page) == f"Card 1 of {total - 1} to learn · 1 of {total} known"
    # Buttons work by keyboard too.
    page.locator("#btn-next").focus()
    page.keyboard.press("Enter")
    after_next = page.locator("#flashcard").get_attribute("data-card")

    page.reload()
    assert status(page) == f"Card 2 of {total - 1} to learn · 1 of {total} known"
    assert page.locator("#flashcard").get_attribute("data-card") == after_next
    page.locator("#btn-reset").click()
    assert status(page) == f"Card 1 of {total} to learn · 0 of {total} known"
    page.reload()
    assert page.locator("#flashcard").get_attribute("data-card") == first


def test_flashcards_mark_every_card_known_then_shuffle_after_reset(page: Any, site_url: str) -> None:
    page.goto(site_url + "topics/gradient-descent/flashcards.html")
    total = page.locator("#card-list > li").count()
    page.locator("#flashcard").click()  # click flips
    assert page.locator("#card-back-wrap").is_visible()
    for _ in range(total):
        page.locator("#btn-knew").click()
    assert status(page) == f"All done · {total} of {total} known"
    assert page.locator("#btn-knew").is_disabled()
    page.locator("#btn-reset").click()
    page.locator("#btn-shuffle").click()
    assert status(page) == f"Card 1 of {total} to learn · 0 of {total} known"


def test_search_finds_a_topic_by_a_word_of_its_definition(page: Any, site_url: str) -> None:
    page.goto(site_url + "search.html")
    page.keyboard.press("Tab")  # skip link
    while page.evaluate("document.activeElement.id") != "search-q":
        page.keyboard.press("Tab")
    page.keyboard.type("zebraresidual")
    page.keyboard.press("Enter")
    summary = page.locator("#search-results li a[href='topics/shortcuts/index.html']")
    summary.wait_for(timeout=SLOW)
    assert "Shortcut Connections" in summary.inner_text()
    assert "result" in page.locator("#search-status").inner_text()
    while page.evaluate("document.activeElement.getAttribute('href')") != "topics/shortcuts/index.html":
        page.keyboard.press("Tab")  # to the result, by keyboard
    page.keyboard.press("Enter")
    page.wait_for_url("**/topics/shortcuts/index.html")


def test_search_finds_flashcards_and_questions(page: Any, site_url: str) -> None:
    page.goto(site_url + "search.html?q=" + "element-wise")
    page.locator("#search-results li").first.wait_for(timeout=SLOW)
    hrefs = page.locator("#search-results li a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert "topics/shortcuts/flashcards.html#card-shortcut-cost" in hrefs
    # Each card is a result of its own (a sub-result of its topic's search document), with its kind and front.
    card = page.locator("#search-results li").nth(hrefs.index("topics/shortcuts/flashcards.html#card-shortcut-cost"))
    assert card.locator(".kind").inner_text() == "Flashcard · Shortcut Connections"
    assert card.locator("a").inner_text() == "What does an identity shortcut cost?"
    assert card.locator("mark").count() >= 1
    assert len(hrefs) == len(set(hrefs))
    # A word in nearly everything: cards and questions count one by one, and only the first 20 are shown.
    page.goto(site_url + "search.html?q=a")
    page.get_by_text("showing the first 20").wait_for(timeout=SLOW)
    assert page.locator("#search-results li").count() == 20
    assert int(page.locator("#search-status").inner_text().split()[0]) > 20
    page.goto(site_url + "search.html?q=residual+units+ResNet-110")
    page.locator("#search-results li").first.wait_for(timeout=SLOW)
    hrefs = page.locator("#search-results li a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert "topics/shortcuts/answers.html#q-shortcuts-numeric" in hrefs
    page.goto(site_url + "topics/shortcuts/answers.html#q-shortcuts-numeric")
    assert page.locator("#q-shortcuts-numeric details").get_attribute("open") is not None
    assert page.locator("#q-shortcuts-single details").get_attribute("open") is None


@pytest.fixture(scope="module")
def parted_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The site course with its search index in parts, as a course of more than PART_TOPICS topics has it."""
    from studygen.build import build
    from studygen.render import search
    from studygen.serve import serving

    out = tmp_path_factory.mktemp("parted") / "build"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "PART_TOPICS", 1)  # three parts, of which two have documents (see index_parts)
        build(SITE_COURSE, out)
    with serving(out / "site") as server:
        yield out / "site", f"http://127.0.0.1:{server.server_address[1]}/"


def result_links(page: Any, base: str, query: str) -> set[str]:
    page.goto(base + "search.html?q=" + query)
    page.locator("#search-results li").first.wait_for(timeout=SLOW)
    page.wait_for_function("/result/.test(document.getElementById('search-status').textContent)", timeout=SLOW)
    return set(page.locator("#search-results li a").evaluate_all("links => links.map(a => a.getAttribute('href'))"))


def test_an_index_in_parts_finds_what_one_index_finds(page: Any, site_url: str, parted_site: tuple[Path, str]) -> None:
    site, parted_url = parted_site
    # gradient-descent's pages are in the second part; the other topics, subjects and course pages in the first.
    assert (site / "pagefind/pagefind.js").is_file() and (site / "pagefind/part-2/pagefind-entry.json").is_file()
    assert not (site / "pagefind/part-2/pagefind.js").exists() and not (site / "pagefind/part-1").exists()
    assert 'data-pagefind-parts="pagefind/part-2/"' in (site / "search.html").read_text()
    for query in ("gradient", "update", "element-wise", "shortcut"):
        assert result_links(page, parted_url, query) == result_links(page, site_url, query), query
    # Pagefind leaves out of a query the words its index has never seen: a part without "rule" matches "descent"
    # alone, so words that are all in one part can find more in parts, never less.
    assert result_links(page, parted_url, "descent+rule") > result_links(page, site_url, "descent+rule")
    found = result_links(page, parted_url, "gradient")
    assert "topics/gradient-descent/flashcards.html#card-update-rule" in found  # from the merged part
    assert any(link.startswith("topics/shortcuts/") for link in found)  # from the first part


def test_qa_bank_filters(page: Any, site_url: str) -> None:
    page.goto(site_url + "qa.html")
    visible = page.locator("li.qa:visible")
    total = visible.count()
    assert page.locator("#qa-count").inner_text() == f"{total} questions"
    page.select_option("select[name=subject]", "optimisation")
    assert {e.get_attribute("id").split("-")[1] for e in visible.all()} == {"gradient", "learning"}
    page.select_option("select[name=type]", "ordering")
    assert [e.get_attribute("id") for e in visible.all()] == ["q-learning-rates-order"]
    assert page.locator("#qa-count").inner_text() == f"1 of {total} questions"
    assert "type=ordering" in page.url and "subject=optimisation" in page.url
    page.reload()  # the filters live in the address
    assert [e.get_attribute("id") for e in visible.all()] == ["q-learning-rates-order"]
    page.get_by_role("button", name="Clear filters").click()
    page.wait_for_function(f"document.querySelectorAll('li.qa:not([hidden])').length === {total}")
    page.select_option("select[name=level]", "beginner")
    assert all(e.get_attribute("id").startswith("q-gradient-descent-") for e in visible.all())
    page.select_option("select[name=level]", "")
    page.select_option("select[name=topic]", "shortcuts")
    assert visible.count() == 4
    # Each prompt leads to its answer on the topic's answers page, opened.
    page.locator("#q-shortcuts-numeric .qa-answer-link a").click()
    page.wait_for_url("**/topics/shortcuts/answers.html#q-shortcuts-numeric")
    assert page.locator("#q-shortcuts-numeric details").get_attribute("open") is not None
    page.get_by_role("button", name="Show all answers").click()
    assert page.locator("li.qa details[open]").count() == 4
    page.get_by_role("button", name="Hide all answers").click()
    assert page.locator("li.qa details[open]").count() == 0


def test_theme_toggle_persists(page: Any, site_url: str) -> None:
    page.goto(site_url + "index.html")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    toggle = page.locator("#theme-toggle")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-pressed") == "true"
    page.goto(site_url + "topics/shortcuts/guide.html")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(20, 23, 27)"


def test_pages_work_from_files_except_search(browser: Any, site_dir: Path, watch: Watch) -> None:
    context = open_context(browser, watch)
    page = context.new_page()
    page.goto((site_dir / "topics/shortcuts/flashcards.html").as_uri())
    assert page.locator("#trainer").is_visible()
    page.keyboard.press("ArrowRight")
    assert status(page).startswith("Card 2 of")
    page.goto((site_dir / "qa.html").as_uri())
    page.select_option("select[name=topic]", "gradient-descent")
    assert page.locator("li.qa:visible").count() == 3
    page.goto((site_dir / "search.html").as_uri() + "?q=gradient")
    page.locator("#search-offline").wait_for(state="visible", timeout=SLOW)
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_on_any_page_type(browser: Any, site_url: str, watch: Watch, scheme: str) -> None:
    axe = axe_module.Axe()
    context = open_context(browser, watch, scheme)
    page = context.new_page()
    problems = []
    for name, path in PAGE_TYPES.items():
        page.goto(site_url + path)
        if name == "search":
            page.locator("#search-results li").first.wait_for(timeout=SLOW)
        if name == "flashcards":
            page.locator("#btn-flip").click()  # check the answer side too
        if name == "qa-answers":
            page.get_by_role("button", name="Show all answers").click()
        result = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        assert len(result.response["passes"]) > 20, f"axe checked too little on {name}"  # it really ran
        if result.violations_count:
            problems.append(f"{name} ({scheme}):\n{result.generate_report()}")
    context.close()
    assert not problems, "\n".join(problems)
