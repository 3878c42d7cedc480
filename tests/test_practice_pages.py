"""Practice pages, mixed quizzes, worksheets and answer keys as built HTML (no browser)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from studygen.build import check
from studygen.content.graph import CourseGraph
from studygen.render.practice import plan_practice_pages
from studygen.render.quizzes.questions import topic_items
from studygen.render.quizzes.views import answer_data
from studygen.render.script_data import script_json
from studygen.render.site import render_site

FIXTURE = Path(__file__).parent / "fixtures" / "quiz-course"


@pytest.fixture(scope="module")
def graph() -> CourseGraph:
    return check(FIXTURE)[0]


@pytest.fixture(scope="module")
def site(graph: CourseGraph) -> dict[str, bytes]:
    return render_site(graph)


def page(site: dict[str, bytes], path: str) -> BeautifulSoup:
    return BeautifulSoup(site[path].decode("utf-8"), "html.parser")


def visible_text(soup: BeautifulSoup) -> str:
    for node in soup(["script", "style"]):
        node.decompose()
    return soup.get_text(" ")


def test_pages_planned(site: dict[str, bytes]) -> None:
    for folder in ("topics/all-types/", "topics/second-topic/", "computing/machine-learning/"):
        for name in ("practice.html", "worksheet.html", "answer-key.html"):
            assert folder + name in site
    assert "practice.html" in site  # the course-wide mixed quiz
    for name in ("practice.html", "worksheet.html", "answer-key.html"):
        assert f"topics/no-questions/{name}" not in site
    assert "computing/maths/practice.html" not in site  # a subject whose topics have no questions
    summary = page(site, "topics/all-types/index.html")
    assert summary.find("a", href="practice.html") is not None


def test_quiz_data_is_safe_json(site: dict[str, bytes], graph: CourseGraph) -> None:
    html = site["topics/all-types/practice.html"].decode("utf-8")
    raw = re.search(r'<script type="application/json" id="quiz-data">(.*?)</script>', html, re.S).group(1)
    assert "</" not in raw and "<!--" not in raw
    data = json.loads(raw)
    topic = graph.topic("all-types")
    assert set(data["questions"]) == {f"all-types/{q.id}" for q in topic.questions}
    assert data["storageKey"] == "studygen:quiz-course:topics/all-types/practice.html"
    hostile = {"text": "</script><script>alert(1)</script> & <!--"}
    assert json.loads(str(script_json(hostile))) == hostile
    assert "</" not in str(script_json(hostile)) and "<!--" not in str(script_json(hostile))
    for item in topic_items(topic):
        assert data["questions"][item.key] == json.loads(script_json(answer_data(item)))


def test_answers_are_not_in_the_page_text(site: dict[str, bytes], graph: CourseGraph) -> None:
    text = visible_text(page(site, "topics/all-types/practice.html"))
    assert "nothing is learned" not in text
    for question in graph.topic("all-types").questions:
        explanation_start = question.explanation.split("$")[0][:25].strip()
        if explanation_start:
            assert explanation_start not in text, question.id
        for option in getattr(question, "options", []):
            if option.feedback:
                assert option.feedback.split("$")[0][:20] not in text
    # Nothing reveals which option is right: no "correct" markers in the markup outside the JSON.
    soup = page(site, "topics/all-types/practice.html")
    for node in soup("script"):
        node.decompose()
    assert "is-answer" not in str(soup) and "correct" not in str(soup).lower().replace("correct</p>", "")


def test_ordering_starts_unsolved(site: dict[str, bytes], graph: CourseGraph) -> None:
    soup = page(site, "topics/all-types/practice.html")
    shown = [li["data-item"] for li in soup.select("#q-all-types--put-in-order .q-order-item")]
    assert sorted(shown) == ["0", "1", "2", "3"] and shown != ["0", "1", "2", "3"]


def test_every_control_is_labelled(site: dict[str, bytes]) -> None:
    soup = page(site, "topics/all-types/practice.html")
    controls = soup.select("input, select")
    assert controls
    for control in controls:
        labelled = (
            control.find_parent("label") is not None
            or control.get("aria-label")
            or control.get("aria-labelledby")
            or (control.get("id") and soup.find("label", attrs={"for": control["id"]}))
        )
        assert labelled, control
    for button in soup.select("button"):
        assert button.get_text(strip=True) or button.get("aria-label")
    assert len(soup.select(".q-feedback[role=status]")) == 11
    assert soup.select_one("#quiz-score")["role"] == "status"


def test_math_is_mathml_in_practice_pages(site: dict[str, bytes]) -> None:
    html = site["topics/all-types/practice.html"].decode("utf-8")
    assert "<math" in html
    assert "$" not in visible_text(page(site, "topics/all-types/practice.html"))


def test_mixed_quizzes_are_deterministic(graph: CourseGraph, site: dict[str, bytes]) -> None:
    first = next(p.context["quiz"]["questions"] for p in plan_practice_pages(graph) if p.path == "practice.html")
    again = next(p.context["quiz"]["questions"] for p in plan_practice_pages(graph) if p.path == "practice.html")
    assert [q["key"] for q in first] == [q["key"] for q in again]
    assert len(first) == 10  # 13 questions in the course, 10 drawn
    assert len({q["key"] for q in first}) == 10
    topics = {q["key"].split("/")[0] for q in first}
    assert topics == {"all-types", "second-topic"}
    soup = page(site, "practice.html")
    assert len(soup.select(".quiz-q")) == 10
    assert soup.select_one(".quiz-q .q-meta a") is not None  # mixed quizzes link each question to its topic


def test_worksheet_and_answer_key(site: dict[str, bytes], graph: CourseGraph) -> None:
    sheet = page(site, "computing/machine-learning/worksheet.html")
    key = page(site, "computing/machine-learning/answer-key.html")
    assert len(sheet.select(".ws-q")) == len(key.select(".ws-q")) == 13
    assert [h.get_text() for h in sheet.select(".ws-topic")] == ["All Question Types", "Second Topic"]
    sheet_text, key_text = visible_text(sheet), visible_text(key)
    assert "nothing is learned" not in sheet_text
    assert "6.61% (He et al. 2016, Table 1)." in key_text
    assert "Correct order" in key_text and "Explanation." in key_text
    assert "ak-answer" not in str(sheet)
    assert sheet.select(".ws-blank") and key.select(".ak-blank")
    css = site["static/quiz.css"].decode("utf-8")
    assert "@media print" in css
    assert sheet.find("link", href=re.compile(r"static/quiz\.css$")) is not None
