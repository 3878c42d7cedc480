"""The practice engine in a real browser (Playwright driving Debian's Chromium), operated by keyboard.

Skipped when the `playwright` package or /usr/bin/chromium is missing (never `playwright install`).
The built site is served over http://127.0.0.1 from a thread, as a learner would open it.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from studygen.build import check
from studygen.render.site import render_site
from studygen.writer import write_outputs

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

FIXTURE = Path(__file__).parent / "fixtures" / "quiz-course"
PRACTICE = "topics/all-types/practice.html"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("quiz-site") / "site"
    write_outputs(render_site(check(FIXTURE)[0]), out)  # the site alone: what the practice engine needs
    handler = functools.partial(QuietHandler, directory=str(out))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object, server: str) -> Iterator[object]:
    context = browser.new_context()  # a fresh localStorage for each test
    tab = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("request", lambda request: requests.append(request.url))
    tab.goto(server + PRACTICE)
    tab.wait_for_selector(".quiz-ready")
    yield tab
    assert errors == []
    assert all(url.startswith(server) for url in requests), requests  # no external requests
    context.close()


def card(page: object, question_id: str) -> object:
    return page.locator(f"#q-all-types--{question_id}")


def score(page: object) -> str:
    return page.locator("#quiz-score").inner_text()


def tab_until(page: object, selector: str, limit: int = 40) -> None:
    """Press Tab until the focused element matches the selector, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {selector} with Tab")


def answer_single_by_keyboard(page: object, question_id: str, value: str) -> None:
    """Tab into the radio group, move with the arrow keys to the option with this value (Space selects it),
    then Tab to the Check button and press Enter."""
    page.locator(f"#q-all-types--{question_id} .q-heading").focus()
    tab_until(page, f"#q-all-types--{question_id} input[type=radio]")
    for _ in range(10):
        if page.evaluate("document.activeElement.value") == value:
            page.keyboard.press("Space")
            break
        page.keyboard.press("ArrowDown")
    assert page.locator(f"#q-all-types--{question_id} input[value='{value}']").is_checked()
    tab_until(page, f"#q-all-types--{question_id} .q-check")
    page.keyboard.press("Enter")


def displayed_option_order(page: object, question_id: str) -> list[str]:
    return card(page, question_id).locator(".q-option").evaluate_all("(nodes) => nodes.map((n) => n.dataset.option)")


def displayed_question_order(page: object) -> list[str]:
    return page.locator(".quiz-q:not([hidden])").evaluate_all("(nodes) => nodes.map((n) => n.dataset.key)")


def test_right_and_wrong_answers_by_keyboard(page: object) -> None:
    assert score(page) == "0 of 11 answered · 0 correct"
    assert "the {shortcut} adds x = input" not in page.locator("body").inner_text()

    answer_single_by_keyboard(page, "pick-one", "0")  # the first option is right
    feedback = card(page, "pick-one").locator(".q-feedback")
    assert feedback.get_attribute("role") == "status"
    assert "Correct." in feedback.inner_text()
    assert "the {shortcut} adds x = input" in feedback.inner_text()  # per-option feedback
    assert "plain text" in feedback.inner_text()  # the explanation
    assert feedback.locator("math").count() > 0  # math renders as MathML
    assert score(page) == "1 of 11 answered · 1 correct"

    # True/false, answered wrongly: the statement is true, choose False with the arrow key.
    answer_single_by_keyboard(page, "statement", "false")
    feedback = card(page, "statement").locator(".q-feedback")
    assert "Not quite." in feedback.inner_text()
    assert "No: look at" in feedback.inner_text()
    assert "The statement is true." in feedback.inner_text()
    assert score(page) == "2 of 11 answered · 1 correct"

    # Typed answers: Enter in the text field checks it.
    field = page.locator("#q-all-types--test-error-in")
    field.focus()
    page.keyboard.type("6,6")
    page.keyboard.press("Enter")
    assert "Correct." in card(page, "test-error").locator(".q-feedback").inner_text()

    blanks = card(page, "fill-two").locator(".q-blank")
    blanks.nth(0).focus()
    page.keyboard.type("  Input ")
    page.keyboard.press("Tab")
    page.keyboard.type("residual")
    page.keyboard.press("Enter")
    assert "Correct." in card(page, "fill-two").locator(".q-feedback").inner_text()
    assert score(page) == "4 of 11 answered · 3 correct"


def test_matching_and_ordering_by_keyboard(page: object) -> None:
    match = card(page, "match-up")
    selects = match.locator(".q-select")
    for index in range(3):
        option_letter = match.locator(
            f".q-match-choices li:has-text('{['scaling', 'the residual', 'the input'][index]}')"
        )
        letter = option_letter.locator(".q-letter").inner_text().rstrip(".")
        selects.nth(index).focus()
        selects.nth(index).select_option(label=next(
            text for text in selects.nth(index).locator("option").all_inner_texts() if text.startswith(letter + ":")
        ))  # fmt: skip
    match.locator(".q-check").focus()
    page.keyboard.press("Enter")
    assert "Correct." in match.locator(".q-feedback").inner_text()

    order = card(page, "put-in-order")
    wanted = ["0", "1", "2", "3"]
    for target, key in enumerate(wanted):
        items = order.locator(".q-order-item").evaluate_all("(nodes) => nodes.map((n) => n.dataset.item)")
        position = items.index(key)
        up = order.locator(f'.q-order-item[data-item="{key}"] .q-up')
        up.focus()
        for _ in range(position - target):
            page.keyboard.press("Enter")  # focus stays on the moved item's button
        assert page.evaluate("document.activeElement.classList.contains('q-up')")
    assert "moved to position" in page.locator("#quiz-announce").inner_text()
    order.locator(".q-check").focus()
    page.keyboard.press("Enter")
    assert "Correct." in order.locator(".q-feedback").inner_text()


def test_persistence_retry_and_reset(page: object, server: str) -> None:
    answer_single_by_keyboard(page, "pick-one", "1")  # wrong
    answer_single_by_keyboard(page, "false-statement", "false")  # right
    short = page.locator("#q-all-types--name-it-in")
    short.focus()
    page.keyboard.type("Residual Function")
    page.keyboard.press("Enter")
    assert score(page) == "3 of 11 answered · 2 correct"

    page.reload()
    page.wait_for_selector(".quiz-ready")
    assert score(page) == "3 of 11 answered · 2 correct"
    assert card(page, "pick-one").locator("input[value='1']").is_checked()
    assert "Not quite." in card(page, "pick-one").locator(".q-feedback").inner_text()
    assert short.input_value() == "Residual Function"

    retry = page.locator("#quiz-retry")
    retry.focus()
    page.keyboard.press("Enter")
    assert displayed_question_order(page) == ["all-types/pick-one"]
    assert card(page, "pick-one").locator(".q-feedback").inner_text() == ""
    assert score(page) == "2 of 11 answered · 2 correct"
    answer_single_by_keyboard(page, "pick-one", "0")
    assert score(page) == "3 of 11 answered · 3 correct"
    assert retry.is_disabled()

    page.locator("#quiz-show-all").click()
    assert len(displayed_question_order(page)) == 11
    page.locator("#quiz-reset").focus()
    page.keyboard.press("Enter")
    assert score(page) == "0 of 11 answered · 0 correct"
    page.reload()
    page.wait_for_selector(".quiz-ready")
    assert score(page) == "0 of 11 answered · 0 correct"


def test_shuffle_is_stable_on_retry_and_reload(page: object) -> None:
    original = displayed_question_order(page)
    page.locator("#quiz-shuffle").focus()
    page.keyboard.press("Space")
    shuffled = displayed_question_order(page)
    assert sorted(shuffled) == sorted(original) and shuffled != original
    options = displayed_option_order(page, "pick-many")
    numbers = page.locator(".quiz-q .q-number").all_inner_texts()
    assert numbers[:2] == ["Question 1", "Question 2"]  # renumbered in the shown order

    for question_id, wrong in (("pick-one", "2"), ("statement", "false")):
        answer_single_by_keyboard(page, question_id, wrong)
    page.reload()
    page.wait_for_selector(".quiz-ready")
    assert displayed_question_order(page) == shuffled
    assert displayed_option_order(page, "pick-many") == options

    page.locator("#quiz-retry").focus()
    page.keyboard.press("Enter")
    missed = displayed_question_order(page)
    assert missed == [key for key in shuffled if key in ("all-types/pick-one", "all-types/statement")]
    page.locator("#quiz-show-all").click()
    assert displayed_question_order(page) == shuffled
    assert displayed_option_order(page, "pick-many") == options


def test_one_at_a_time(page: object) -> None:
    page.locator('input[name="quiz-mode"][value="one"]').focus()
    page.keyboard.press("Space")
    assert len(displayed_question_order(page)) == 1
    assert page.locator("#quiz-position").inner_text() == "Question 1 of 11"
    page.locator("#quiz-next").focus()
    page.keyboard.press("Enter")
    assert displayed_question_order(page) == ["all-types/pick-many"]
    assert page.evaluate("document.activeElement.classList.contains('q-heading')")
    page.reload()
    page.wait_for_selector(".quiz-ready")
    assert displayed_question_order(page) == ["all-types/pick-many"]


def test_mixed_quiz_page_works(browser: object, server: str) -> None:
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(server + "practice.html")
    tab.wait_for_selector(".quiz-ready")
    assert tab.locator(".quiz-q").count() == 10
    assert tab.locator("#quiz-score").inner_text() == "0 of 10 answered · 0 correct"
    first = tab.locator(".quiz-q").first
    first.locator(".q-check").click()
    assert "first" in first.locator(".q-feedback").inner_text()  # "Choose or type an answer first."
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations(browser: object, server: str, scheme: str) -> None:
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    axe = axe_module.Axe()
    context = browser.new_context(color_scheme=scheme)
    tab = context.new_page()
    problems = []
    for path in (PRACTICE, "topics/all-types/worksheet.html", "topics/all-types/answer-key.html", "practice.html"):
        tab.goto(server + path)
        if path == PRACTICE:
            tab.wait_for_selector(".quiz-ready")
            for question_id, value in (("pick-one", "1"), ("pick-many", "0"), ("statement", "true")):
                card(tab, question_id).locator(f"input[value='{value}']").check()
                card(tab, question_id).locator(".q-check").click()  # answered: feedback and marks shown
        tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
        result = axe.run(tab, options={"runOnly": {"type": "tag", "values": tags}})
        if result.violations_count:
            problems.append(f"{path} ({scheme}):\n{result.generate_report()}")
    context.close()
    assert not problems, "\n".join(problems)
