"""Long quizzes, worksheets and answer keys come in parts that each stay under the page budget."""

from __future__ import annotations

import functools
import http.server
import itertools
import json
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st

from studygen.build import check
from studygen.render import page_parts
from studygen.render.page_parts import cut, part_path
from studygen.render.site import render_site
from studygen.writer import write_outputs

FIXTURE = Path(__file__).parent / "fixtures" / "quiz-course"
CHROMIUM = Path("/usr/bin/chromium")
BUDGET = 100_000
LONG = 60  # questions added to one topic: several parts' worth of MathML-heavy markup
SHORT = 90  # short true/false questions added to it too
OWN = len(yaml.safe_load((FIXTURE / "topics" / "all-types.yaml").read_text(encoding="utf-8"))["questions"])


def test_part_paths() -> None:
    assert part_path("topics/a/practice.html", 1) == "topics/a/practice.html"
    assert part_path("topics/a/practice.html", 3) == "topics/a/practice-3.html"


def test_a_short_list_is_one_part() -> None:
    assert [(p.path, p.start, p.stop) for p in cut("q.html", [10, 20, 30], 100)] == [("q.html", 0, 3)]
    assert [(p.start, p.stop) for p in cut("q.html", [], 100)] == [(0, 0)]


def test_parts_are_balanced() -> None:
    parts = cut("q.html", [10] * 21, 200)
    assert sorted(p.stop - p.start for p in parts) == [10, 11]  # 10 + 11, not 20 + 1
    assert [p.path for p in parts] == ["q.html", "q-2.html"]


def test_an_item_over_the_limit_gets_a_part_alone() -> None:
    parts = cut("q.html", [10, 500, 10], 100)
    assert [(p.start, p.stop) for p in parts] == [(0, 1), (1, 2), (2, 3)]


@given(st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=60), st.integers(100, 400))
def test_parts_cover_every_item_once_and_keep_to_the_limit(weights: list[int], limit: int) -> None:
    parts = cut("q.html", weights, limit)
    assert parts[0].start == 0 and parts[-1].stop == len(weights)
    for before, after in itertools.pairwise(parts):
        assert before.stop == after.start and before.start < before.stop
    for part in parts:
        assert sum(weights[part.start : part.stop]) <= limit or part.stop - part.start == 1
    if max(weights) <= limit:  # every part within the limit: no fewer parts than the total allows
        assert len(parts) >= -(-sum(weights) // limit)


def _bounds_by_scanning(weights: list[int], count: int) -> list[int]:
    """The balanced cut as first written: every possible boundary tried for each share (slow, plainly right)."""
    count = min(count, len(weights))
    running = [0, *itertools.accumulate(weights)]
    bounds = [0]
    for j in range(1, count):
        share = running[-1] * j / count
        lowest, highest = bounds[-1] + 1, len(weights) - (count - j)
        bounds.append(min(range(lowest, highest + 1), key=lambda b: (abs(running[b] - share), b)))
    return [*bounds, len(weights)]


@given(st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=80), st.integers(1, 12))
def test_the_cut_found_by_bisection_is_the_cut_found_by_scanning(weights: list[int], count: int) -> None:
    """Zero weights too: equal running totals, where the first boundary of a tie must win."""
    assert page_parts._balanced_bounds(weights, count) == _bounds_by_scanning(weights, count)


@pytest.fixture(scope="module")
def long_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    course = tmp_path_factory.mktemp("long") / "quiz-course"
    shutil.copytree(FIXTURE, course)
    topic_file = course / "topics" / "all-types.yaml"
    topic = yaml.safe_load(topic_file.read_text(encoding="utf-8"))
    for n in range(LONG):
        topic["questions"].append(
            {
                "id": f"sum-{n}",
                "type": "single_choice",
                "prompt": f"Which equals $\\sum_{{i=1}}^{{{n + 2}}} \\frac{{\\partial E}}{{\\partial x_i}}$?",
                "options": [
                    {
                        "text": f"$\\frac{{\\partial E}}{{\\partial x_{{{k}}}}} \\cdot {n + k}$",
                        "correct": k == 0,
                        "feedback": f"Option {k}: compare $\\prod_{{j=1}}^{{{k + 1}}} \\lambda_j$ with the sum.",
                    }
                    for k in range(4)
                ],
                "explanation": f"Question {n}: differentiate $x_L = x_l + \\sum_i F(x_i)$ term by term.",
            }
        )
    # And short ones: with them the topic outgrows one page of the Q&A hub too, which must cut it between parts.
    topic["questions"] += [
        {"id": f"fact-{n}", "type": "true_false", "prompt": rf"Statement {n}: $x_{{{n}}}^2 \geq 0$ for real $x$.",
         "answer": True, "explanation": "A square of a real number is never negative."}
        for n in range(SHORT)
    ]  # fmt: skip
    topic_file.write_text(yaml.safe_dump(topic, allow_unicode=True, sort_keys=False), encoding="utf-8")
    graph, problems = check(course)
    assert not [p for p in problems if p.severity == "error"], problems
    return render_site(graph)


def _soup(site: dict[str, bytes], path: str) -> BeautifulSoup:
    return BeautifulSoup(site[path].decode("utf-8"), "html.parser")


def _weight(site: dict[str, bytes], path: str) -> int:
    tree = _soup(site, path)
    folder = path.rpartition("/")[0]
    total = len(site[path])
    for element in tree.select("link[rel=stylesheet], script[src]"):
        total += len(site[_resolve(folder, element.get("href") or element["src"])])
    return total


def _resolve(folder: str, target: str) -> str:
    parts = [p for p in folder.split("/") if p]
    for piece in target.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _parts(site: dict[str, bytes], first: str) -> list[str]:
    stem = first.removesuffix(".html")
    more = [p for p in site if re.fullmatch(re.escape(stem) + r"-\d+\.html", p)]
    return [first, *sorted(more, key=lambda p: int(p[len(stem) + 1 : -5]))]


def test_a_long_quiz_comes_in_parts_under_the_budget(long_site: dict[str, bytes]) -> None:
    paths = _parts(long_site, "topics/all-types/practice.html")
    assert len(paths) >= 2
    seen: list[str] = []
    for number, path in enumerate(paths, start=1):
        assert _weight(long_site, path) < BUDGET, path
        tree = _soup(long_site, path)
        keys = [li["data-key"] for li in tree.select("li.quiz-q")]
        data = json.loads(tree.find("script", id="quiz-data").string)
        assert set(data["questions"]) == set(keys)  # the part's answers, and no others
        assert data["storageKey"].endswith(path)  # each part keeps its own answers
        assert tree.find("article", id="quiz")["data-size"] == str(len(keys))
        assert tree.h1.get_text().endswith(f"(part {number} of {len(paths)})")
        nav = tree.find("nav", class_="parts-nav")
        links = nav.find_all("a")
        assert len(links) == len(paths)
        assert next(a for a in links if a.get("aria-current") == "page").get_text().startswith(f"Part {number}:")
        seen += keys
    assert len(seen) == len(set(seen)) == LONG + SHORT + OWN  # every question once
    sizes = [len(long_site[p]) for p in paths]
    assert max(sizes) < 1.5 * min(sizes), sizes  # balanced by weight, not one big part and a straggler


def test_worksheet_and_key_parts_pair_up(long_site: dict[str, bytes]) -> None:
    sheets = _parts(long_site, "topics/all-types/worksheet.html")
    keys = _parts(long_site, "topics/all-types/answer-key.html")
    assert len(sheets) == len(keys) >= 2
    for sheet, key in zip(sheets, keys, strict=True):
        assert _weight(long_site, sheet) < BUDGET and _weight(long_site, key) < BUDGET
        sheet_tree, key_tree = _soup(long_site, sheet), _soup(long_site, key)
        numbers = [li["value"] for li in sheet_tree.select("li.ws-q")]
        assert numbers == [li["value"] for li in key_tree.select("li.ws-q")]  # the same questions, numbered alike
        partner = sheet_tree.select_one("header a.ws-screen-only")["href"]
        assert partner == key.rpartition("/")[2]
    numbers = [int(li["value"]) for s in sheets for li in _soup(long_site, s).select("li.ws-q")]
    assert numbers == list(range(1, LONG + SHORT + OWN + 1))  # numbered straight through all parts


def test_the_summary_page_links_the_first_part(long_site: dict[str, bytes]) -> None:
    summary = _soup(long_site, "topics/all-types/index.html")
    assert summary.find("a", href="practice.html") is not None
    assert summary.find("a", href=re.compile(r"practice-\d")) is None


@pytest.fixture(scope="module")
def long_server(long_site: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("long-site") / "site"
    write_outputs(long_site, out)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_parts_in_a_browser(long_server: str, scheme: str) -> None:
    """Reach part 2 from part 1 by keyboard; each part is a quiz of its own; no axe violations, no errors."""
    sync_api = pytest.importorskip("playwright.sync_api")
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        tab = browser.new_context(color_scheme=scheme).new_page()
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.goto(long_server + "topics/all-types/practice.html")
        tab.wait_for_selector(".quiz-ready")
        part_one_size = tab.locator(".quiz-q").count()
        first = tab.locator(".quiz-q").first
        first.locator("input").first.check()
        first.locator(".q-check").click()
        assert tab.locator("#quiz-score").inner_text().startswith("1 of ")
        link = tab.locator(".parts-nav a", has_text="Part 2:")
        for _ in range(80):  # Tab to the link, as a keyboard user would
            if tab.evaluate("document.activeElement && document.activeElement.textContent.startsWith('Part 2:')"):
                break
            tab.keyboard.press("Tab")
        with tab.expect_navigation():
            tab.keyboard.press("Enter")
        assert tab.url.endswith("topics/all-types/practice-2.html") and link.count() == 1
        tab.wait_for_selector(".quiz-ready")
        size = tab.locator(".quiz-q").count()
        assert tab.locator("#quiz-score").inner_text() == f"0 of {size} answered · 0 correct"  # its own quiz
        assert tab.locator(".parts-nav a[aria-current=page]").inner_text().startswith("Part 2:")
        # numbered on from part 1, as the parts' links say
        assert tab.locator(".quiz-q .q-number").first.inner_text() == f"Question {part_one_size + 1}"
        tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
        problems = []
        for path in (
            "topics/all-types/practice-2.html",
            "topics/all-types/answer-key-2.html",
            "qa-2.html?type=true_false",
        ):
            tab.goto(long_server + path)
            result = axe_module.Axe().run(tab, options={"runOnly": {"type": "tag", "values": tags}})
            if result.violations_count:
                problems.append(result.generate_report())
        browser.close()
    assert not problems, "\n".join(problems)
    assert errors == []


def test_a_large_q_and_a_hub_comes_in_parts(long_site: dict[str, bytes]) -> None:
    paths = _parts(long_site, "qa.html")
    assert len(paths) >= 2
    anchors: list[str] = []
    for number, path in enumerate(paths, start=1):
        assert _weight(long_site, path) < BUDGET, path
        tree = _soup(long_site, path)
        assert tree.h1.get_text().endswith(f"(part {number} of {len(paths)})")
        current = tree.select_one(".parts-nav a[aria-current=page]")
        assert current.get_text().startswith(f"Part {number}: ") and current["href"] == path
        shown = [section["data-topic"] for section in tree.select("section.qa-topic")]
        offered = [option["value"] for option in tree.select("select[name=topic] option") if option["value"]]
        assert offered == shown  # the filters offer what this part holds
        anchors += [li["id"] for li in tree.select("li.qa")]
    answer_pages = [p for p in long_site if p.endswith("/answers.html")]
    every = [li["id"] for p in answer_pages for li in _soup(long_site, p).select("li.qa")]
    assert len(anchors) == len(set(anchors)) and sorted(anchors) == sorted(every)  # every question, once
    # The long topic is cut between parts, headed in each; its answers page links to the first part holding it.
    holding = [p for p in paths if _soup(long_site, p).select_one("section.qa-topic[data-topic=all-types]")]
    assert len(holding) >= 2
    answers = _soup(long_site, "topics/all-types/answers.html")
    assert answers.find("a", href="../../qa.html?topic=all-types") is not None
