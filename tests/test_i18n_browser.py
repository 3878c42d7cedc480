"""The scripts speak the course's language in a real browser (Playwright driving Debian's Chromium), from file://.

Skipped when the `playwright` package or /usr/bin/chromium is missing (never `playwright install`).
"""

from __future__ import annotations

import shutil
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

FIXTURE = Path(__file__).parent / "fixtures" / "i18n-course"  # language: de


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("i18n-site")
    course = shutil.copytree(FIXTURE, root / "course")
    write_outputs(render_site(check(course)[0]), root / "site")
    return root / "site"


@pytest.fixture
def page(site: Path) -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        tab = browser.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        yield tab
        browser.close()
        assert not errors


def test_quiz_engine_speaks_german(page: object, site: Path) -> None:
    page.goto((site / "topics/schwingung/practice.html").as_uri())
    page.wait_for_selector(".quiz-ready")
    first = page.locator(".quiz-q").first
    first.locator(".q-check").click()
    assert first.locator(".q-feedback").inner_text() == "Wähle oder tippe zuerst eine Antwort."
    first.locator("input[value='0']").check()
    first.locator(".q-check").click()
    assert "✓ Richtig." in first.locator(".q-feedback").inner_text()
    assert "Deine Wahl „Die Masse“:" in first.locator(".q-feedback").inner_text()
    assert first.locator(".q-check").inner_text() == "Beantwortet"
    assert page.locator("#quiz-score").inner_text() == "1 von 9 beantwortet · 1 richtig"
    page.locator("input[name='quiz-mode'][value='one']").check()
    assert page.locator("#quiz-position").inner_text() == "Frage 1 von 9"


def test_flashcard_trainer_speaks_german(page: object, site: Path) -> None:
    page.goto((site / "topics/schwingung/flashcards.html").as_uri())
    page.wait_for_selector("#trainer:not([hidden])")
    assert page.locator("#trainer-status").inner_text() == "Karte 1 von 9 zum Lernen · 0 von 9 gewusst"
    assert page.locator("#side-label").text_content() == "Frage · Karte"
    page.locator("#btn-flip").click()
    assert page.locator("#btn-flip").inner_text() == "Antwort verbergen"


def test_qa_filters_speak_german(page: object, site: Path) -> None:
    page.goto((site / "qa.html").as_uri())
    page.wait_for_selector("#qa-filters:not([hidden])")
    page.select_option("#qa-filters select[name='topic']", "welle")
    assert page.locator("#qa-count").inner_text() == "1 von 10 Fragen"
    page.goto((site / "topics/welle/answers.html").as_uri())
    page.locator("#qa-open-all").click()
    assert page.locator("#qa-open-all").inner_text() == "Alle Lösungen verbergen"
