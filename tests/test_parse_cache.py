"""The parse cache kept between builds: the same course and the same problem positions as parsing, really read,
and harmless when damaged."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from studygen.build import check
from studygen.content.loader import load_course
from studygen.content.parse_cache import CACHE_FILE, parse_cache
from studygen.errors import ContentError, Problem

MINI = Path(__file__).parent / "fixtures" / "mini-course"
TOPIC = "topics/identity-mapping.yaml"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "course")
    return tmp_path / "course"


def rows(cache: Path) -> int:
    with sqlite3.connect(cache) as connection:
        return connection.execute("SELECT count(*) FROM parsed").fetchone()[0]


def problems_of(course: Path) -> list[Problem]:
    with pytest.raises(ContentError) as caught:
        check(course)
    return caught.value.problems


def test_a_cached_load_equals_a_parse(course: Path, tmp_path: Path) -> None:
    parsed = load_course(course)
    check(course)  # fills the cache
    assert rows(tmp_path / CACHE_FILE) == 4  # the course file and three topics
    with parse_cache(course) as cache:
        cached = load_course(course, cache)
        assert cache is not None and not cache.new  # every file came from the cache
    assert cached.course == parsed.course
    assert [t.topic for t in cached.topics] == [t.topic for t in parsed.topics]
    for from_cache, from_parse in zip(cached.topics, parsed.topics, strict=True):
        assert list(from_cache.source.positions.items()) == list(from_parse.source.positions.items())  # order too


def test_the_cache_is_read(course: Path, tmp_path: Path) -> None:
    check(course)
    with sqlite3.connect(tmp_path / CACHE_FILE) as connection:  # plant a marker in every cached topic title
        entries = connection.execute("SELECT key, parsed FROM parsed").fetchall()
        for key, parsed in entries:
            connection.execute(
                "UPDATE parsed SET parsed = ? WHERE key = ?", (parsed.replace('"title": "', '"title": "CACHED '), key)
            )
    graph, _ = check(course)
    assert all(topic.title.startswith("CACHED ") for topic in graph.topics)


def test_problems_in_unchanged_files_keep_their_lines(course: Path) -> None:
    """A cross-check problem in a file read from the cache is reported at the line the file has."""
    check(course)
    (course / "topics/backpropagation.yaml").unlink()  # the cached identity-mapping file now names a missing topic
    problem = next(p for p in problems_of(course) if p.path.endswith(TOPIC))
    line = next(i for i, text in enumerate((course / TOPIC).read_text().splitlines(), 1) if "backpropagation" in text)
    assert (problem.field, problem.line) == ("prerequisites[0].topic", line)


def test_an_edited_file_is_parsed_again(course: Path) -> None:
    check(course)
    topic = course / TOPIC
    topic.write_text(topic.read_text().replace("level:", "levle:", 1))  # a mistake: not cached, found every time
    for _ in range(2):
        problem = next(p for p in problems_of(course) if p.field == "levle")
        assert problem.line == next(i for i, t in enumerate(topic.read_text().splitlines(), 1) if "levle:" in t)


@pytest.mark.parametrize("damage", ["file", "entries", "positions"])
def test_a_damaged_cache_is_parsed_around(course: Path, tmp_path: Path, damage: str) -> None:
    expected, _ = check(course)
    cache = tmp_path / CACHE_FILE
    if damage == "file":
        cache.write_bytes(b"not a database" * 100)
    elif damage == "entries":
        with sqlite3.connect(cache) as connection:
            connection.execute("UPDATE parsed SET parsed = '{not json'")
    else:  # the data reads, the positions (read only when a problem needs one) do not
        with sqlite3.connect(cache) as connection:
            for key, parsed in connection.execute("SELECT key, parsed FROM parsed").fetchall():
                data, _ = json.loads(parsed)
                connection.execute("UPDATE parsed SET parsed = ? WHERE key = ?", (json.dumps([data, "[oops"]), key))
        (course / "topics/backpropagation.yaml").unlink()  # identity-mapping, cached, now names a missing topic
        problem = next(p for p in problems_of(course) if p.path.endswith(TOPIC))
        assert (problem.field, problem.line) == ("prerequisites[0].topic", 1)  # placed at line 1, not lost
        return
    graph, _ = check(course)
    assert graph.topics == expected.topics


def test_entries_of_edited_files_are_dropped(course: Path, tmp_path: Path) -> None:
    cache = tmp_path / CACHE_FILE
    check(course)
    topic = course / TOPIC
    for n in range(12):  # each edit leaves an entry for the old bytes behind
        topic.write_text(topic.read_text().replace("title:", f"# edit {n}\ntitle:", 1))
        check(course)
    assert rows(cache) <= 8  # twice what one build uses


def test_a_file_whose_formulas_rendered_is_not_checked_again(course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The formulas of a topic file that all rendered are not gone through again while the file and our code are
    unchanged; a file that changes is checked again, and a bad formula is reported on every build."""
    from studygen.content import formulas
    from studygen.render import markup

    check(course)  # every formula renders: each file is noted
    refused: list[str] = []

    def refuse(latex: str, display: bool = False) -> None:  # as if the library now refused every formula
        refused.append(latex)
        raise markup.MarkupError(f"cannot read the formula ${latex}$")

    monkeypatch.setattr(formulas, "check_formula", refuse)
    check(course)
    assert refused == []  # nothing was checked: each file passed before
    text = (course / TOPIC).read_text()
    (course / TOPIC).write_text(text.replace("\ntitle: ", "\ntitle: Edited "))
    problems = problems_of(course)
    assert refused and {p.path for p in problems} == {f"course/{TOPIC}"}  # the edited file only
    assert all("cannot read the formula" in p.message for p in problems)
    refused.clear()
    assert problems_of(course) == problems and refused  # a file with a problem is checked on every build
    (course / TOPIC).write_text(text)  # as it was when its formulas rendered
    refused.clear()
    check(course)
    assert refused == []
    monkeypatch.setattr(formulas, "_checking_code", lambda: b"other code\0")  # another version of our code
    assert {p.path for p in problems_of(course)} == {f"course/{TOPIC}"} and refused  # checked again
