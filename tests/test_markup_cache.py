"""The markup cache kept between builds: same bytes as a build without it, really read, and harmless when broken."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from studygen.build import build
from studygen.content.parse_cache import CACHE_FILE as PARSE_CACHE_FILE
from studygen.render import markup
from studygen.render.markup import render_markdown
from studygen.render.markup_cache import CACHE_FILE

MINI = Path(__file__).parent / "fixtures" / "mini-course"


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture
def course(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "course")
    return tmp_path / "course"


def fresh_build(course: Path, out: Path) -> dict[str, str]:
    render_markdown.cache_clear()  # as in a new process: only the cache on disk carries over
    shutil.rmtree(out, ignore_errors=True)  # and no previous output to keep pages from
    build(course, out)
    return digest(out)


def rows(cache: Path) -> int:
    with sqlite3.connect(cache) as connection:
        return connection.execute("SELECT count(*) FROM markup").fetchone()[0]


def test_a_cached_build_is_byte_identical_to_a_cold_one(course: Path, tmp_path: Path) -> None:
    cache = tmp_path / CACHE_FILE
    cold = fresh_build(course, tmp_path / "cold")
    assert rows(cache) > 50
    assert fresh_build(course, tmp_path / "warm") == cold
    # An edit renders the changed text anew: the output matches a cold build of the edited course.
    topic = course / "topics/identity-mapping.yaml"
    text = topic.read_text()
    topic.write_text(text.replace("  A residual unit computes", "  Edited first words. A residual unit computes", 1))
    edited = fresh_build(course, tmp_path / "edited")
    assert b"Edited first words." in (tmp_path / "edited/site/topics/identity-mapping/index.html").read_bytes()
    cache.unlink()
    assert fresh_build(course, tmp_path / "edited-cold") == edited


def test_the_cache_is_read(course: Path, tmp_path: Path) -> None:
    cache = tmp_path / CACHE_FILE
    fresh_build(course, tmp_path / "first")
    with sqlite3.connect(cache) as connection:  # plant a marker in every entry
        connection.execute("UPDATE markup SET html = '<p>FROM-THE-CACHE</p>'")
    fresh_build(course, tmp_path / "second")
    assert b"FROM-THE-CACHE" in (tmp_path / "second/site/topics/identity-mapping/index.html").read_bytes()


def test_a_damaged_cache_is_rendered_around(course: Path, tmp_path: Path) -> None:
    cold = fresh_build(course, tmp_path / "cold")
    cache = tmp_path / CACHE_FILE
    cache.write_bytes(b"not a database" * 100)
    assert fresh_build(course, tmp_path / "damaged") == cold


def test_the_cache_drops_what_the_course_no_longer_uses(course: Path, tmp_path: Path) -> None:
    cache = tmp_path / CACHE_FILE
    fresh_build(course, tmp_path / "out")
    used = rows(cache)
    with sqlite3.connect(cache) as connection:
        connection.executemany(
            "INSERT INTO markup VALUES (?, ?)", ((f"stale-{i}".encode(), "<p>old</p>") for i in range(3 * used))
        )
    fresh_build(course, tmp_path / "out")
    with sqlite3.connect(cache) as connection:
        keys = [key for (key,) in connection.execute("SELECT key FROM markup")]
    assert not [key for key in keys if key.startswith(b"stale-")] and 0 < len(keys) <= used
    # Nothing the course uses was dropped: the next build converts no Markdown at all.
    markup._converted.cache_clear()
    fresh_build(course, tmp_path / "out")
    assert markup._converted.cache_info().misses == 0


def test_formulas_checked_in_an_earlier_build_are_not_converted_again_and_bad_ones_are_still_reported(
    course: Path, tmp_path: Path
) -> None:
    from studygen.errors import ContentError
    from studygen.render import markup

    markup.mathml.cache_clear()
    fresh_build(course, tmp_path / "out")
    assert markup.mathml.cache_info().misses > 0  # the course has formulas
    markup.mathml.cache_clear()
    fresh_build(course, tmp_path / "out")
    assert markup.mathml.cache_info().misses == 0  # every formula was known good: none converted to check it
    topic = next((course / "topics").glob("*.yaml"))
    topic.write_text(topic.read_text().replace("definition: ", "definition: Broken $\\frac{1}{$ here. ", 1))
    with pytest.raises(ContentError, match="cannot read the formula"):
        fresh_build(course, tmp_path / "out")
    with pytest.raises(ContentError, match="cannot read the formula"):  # and again: a bad one is never recorded
        fresh_build(course, tmp_path / "out")


def test_a_build_that_writes_its_entries_as_it_goes_gives_the_same_site_and_cache(
    course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studygen.render import markup_cache

    cache = tmp_path / CACHE_FILE
    at_the_end = fresh_build(course, tmp_path / "at-the-end")
    with sqlite3.connect(cache) as connection:
        entries = dict(connection.execute("SELECT key, html FROM markup"))
    cache.unlink()
    # And the record of files whose formulas all rendered (studygen.content.formulas): both builds check them all.
    (tmp_path / PARSE_CACHE_FILE).unlink()
    reads = []
    read = markup_cache.MarkupStore._read
    monkeypatch.setattr(markup_cache, "WRITE_EVERY", 3)  # a batch written every three texts rendered anew
    monkeypatch.setattr(markup_cache.MarkupStore, "_read", lambda store, key: reads.append(key) or read(store, key))
    assert fresh_build(course, tmp_path / "as-it-goes") == at_the_end
    assert reads  # texts asked for again after their batch was written were read back from the file
    with sqlite3.connect(cache) as connection:
        assert dict(connection.execute("SELECT key, html FROM markup")) == entries
