"""The pipeline end to end on real courses: pages and their sections, atomic output, reproducible bytes."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from studygen.build import build
from studygen.errors import ContentError
from studygen.render.output_cache import RECORDS_FILE

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini-course"
BUNDLED = Path(__file__).parent.parent / "content"


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def mini_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mini") / "build"
    build(MINI, out)
    return out


def test_layout_has_home_category_subject_and_topic_pages(mini_build: Path) -> None:
    site = mini_build / "site"
    for page in [
        "index.html",
        "404.html",
        "computing/index.html",
        "computing/machine-learning/index.html",
        "topics/identity-mapping/index.html",
        "topics/backpropagation/index.html",
        "topics/pre-activation/index.html",
        "sitemap.xml",
        "schema/topic.schema.json",
        "schema/course.schema.json",
    ]:
        assert (site / page).is_file(), page
    manifest = json.loads((mini_build / "manifest.json").read_text())
    # Every file is listed but the manifest itself and the build's records for the next build (output_cache).
    assert set(manifest["files"]) == {p for p in tree_digest(mini_build) if p not in {"manifest.json", RECORDS_FILE}}


def test_summary_page_holds_every_section(mini_build: Path) -> None:
    page = soup(mini_build / "site/topics/identity-mapping/index.html")
    assert page.find("h1").get_text(strip=True) == "Identity Mapping"
    meta = page.find(id="topic-meta").get_text(" ", strip=True)
    assert "Intermediate" in meta and "1 h 15 min" in meta and "Machine Learning" in meta
    headings = [h.get_text(strip=True) for h in page.find_all("h2")]
    assert headings == [
        "Definition",
        "Summary",
        "Key takeaways",
        "What to learn next",
        "Prerequisites",
        "Real-world applications",
        "References",
    ]
    takeaways = page.select("#takeaways li.takeaway")
    assert [t["data-importance"] for t in takeaways] == ["high", "medium", "low"]
    assert "Identity shortcuts add no parameters" in takeaways[0].get_text()
    # Math is MathML at build time; display math is a block.
    assert page.select_one("#summary math[display='block'] mfrac") is not None
    assert page.select_one("#definition math") is not None
    # Links: prerequisites and next steps that are topics link to their pages; free text stays text.
    prereq_links = [a["href"] for a in page.select("#prerequisites a")]
    assert prereq_links == ["../backpropagation/index.html"]
    assert "Matrix products" in page.select_one("#prerequisites").get_text()
    next_items = page.select("#learn-next li")
    assert next_items[0].find("a")["href"] == "../pre-activation/index.html"
    assert "Advanced" in next_items[0].get_text()  # level taken from the linked topic
    assert "Transformers" in next_items[1].get_text() and "Every layer" in next_items[1].get_text()
    assert "Detection backbones" in page.select_one("#applications").get_text()
    ref = page.select_one("#references li")
    assert ref.find("a")["href"] == "https://arxiv.org/abs/1603.05027"


def test_navigation_and_links_are_relative_and_resolve(mini_build: Path) -> None:
    site = mini_build / "site"
    page = soup(site / "topics/identity-mapping/index.html")
    crumbs = [a["href"] for a in page.select("nav.crumbs a")]
    assert crumbs == ["../../index.html", "../../computing/index.html", "../../computing/machine-learning/index.html"]
    for html_file in site.rglob("*.html"):
        for tag in soup(html_file).find_all(["a", "link"]):
            href = tag.get("href", "")
            if href.startswith(("http://", "https://", "#", "mailto:")):
                continue
            assert not href.startswith("/"), f"absolute link {href} in {html_file}"
            assert (html_file.parent / href.split("#")[0].split("?")[0]).resolve().is_file(), f"{html_file}: {href}"


def test_study_links_appear_only_for_pages_that_exist(mini_build: Path) -> None:
    site = mini_build / "site"
    page = soup(site / "topics/identity-mapping/index.html")
    for link in page.select("nav.study-links a"):
        assert (site / "topics/identity-mapping" / link["href"]).is_file()


def test_head_metadata_and_canonical_url(mini_build: Path) -> None:
    page = soup(mini_build / "site/topics/backpropagation/index.html")
    assert page.find("html")["lang"] == "en"
    assert page.title.get_text() == "Backpropagation · Mini Course"
    assert page.find("link", rel="canonical")["href"] == "https://example.org/mini/topics/backpropagation/"
    assert page.find("meta", property="og:title")["content"] == "Backpropagation"
    assert "chain rule" in page.find("meta", attrs={"name": "description"})["content"]
    sitemap = (mini_build / "site/sitemap.xml").read_text()
    assert "<loc>https://example.org/mini/topics/backpropagation/</loc>" in sitemap
    assert "404" not in sitemap


def test_home_lists_topics_with_level_time_and_counts(mini_build: Path) -> None:
    page = soup(mini_build / "site/index.html")
    cards = {c.find("a").get_text(strip=True): c.get_text(" ", strip=True) for c in page.select(".topic-card")}
    assert set(cards) == {"Identity Mapping", "Backpropagation", "Pre-activation Residual Units"}
    assert "Intermediate" in cards["Identity Mapping"] and "1 question" in cards["Identity Mapping"]


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    build(MINI, tmp_path / "a")
    build(MINI, tmp_path / "b")
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")


def test_failed_build_leaves_previous_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "build"
    build(MINI, out)
    before = tree_digest(out)
    broken = tmp_path / "course"
    shutil.copytree(MINI, broken)
    topic = broken / "topics/backpropagation.yaml"
    topic.write_text(topic.read_text().replace("level: beginner", "level: expert"))
    with pytest.raises(ContentError):
        build(broken, out)
    assert tree_digest(out) == before
    # No temporary folders left; the markup cache beside the course is kept on purpose.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".studygen-cache", "build", "course"]


def test_successful_rebuild_replaces_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "build"
    build(MINI, out)
    (out / "site/stale.html").write_text("old")
    build(MINI, out)
    assert not (out / "site/stale.html").exists()


def test_course_template_overrides_theme(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(MINI, course)
    (course / "templates").mkdir()
    (course / "templates/404.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Lost in the course</h1>{% endblock %}'
    )
    build(course, tmp_path / "out")
    assert soup(tmp_path / "out/site/404.html").find("h1").get_text() == "Lost in the course"


def test_broken_course_template_is_reported_with_its_line(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(MINI, course)
    (course / "templates").mkdir()
    (course / "templates/404.html").write_text("line one\n{% if %}\n")
    with pytest.raises(ContentError) as caught:
        build(course, tmp_path / "out")
    (problem,) = caught.value.problems
    assert problem.path.endswith("404.html") and problem.line == 2
    assert not (tmp_path / "out").exists()


def test_bundled_course_builds_strictly(tmp_path: Path) -> None:
    report = build(BUNDLED, tmp_path / "build", strict=True)
    assert report.warnings == []
    topic_pages = list((tmp_path / "build/site/topics").glob("*/index.html"))
    assert len(topic_pages) == report.topics >= 3
    core = soup(tmp_path / "build/site/topics/identity-mapping/index.html")
    assert len(core.select("#takeaways li.takeaway")) >= 4
    assert core.select("#references a[href*='1512.03385']") and core.select("#references a[href*='1603.05027']")


def test_help_starts_without_heavy_imports() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from studygen.cli import main;"
        "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0, r.output;"
        "heavy = [m for m in ('jinja2', 'markdown', 'pydantic', 'torch', 'matplotlib', 'yaml') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_the_manifest_written_in_pieces_is_the_json_it_always_was() -> None:
    from studygen.build import manifest

    digests = {f"site/topics/t{n:03d}/é-{n}.html": f"{n:064x}" for n in (7, 3, 11, 5, 1)}
    for files in (digests, {}):
        whole = (json.dumps({"files": dict(sorted(files.items()))}, indent=1, sort_keys=True) + "\n").encode()
        assert b"".join(manifest(files, per_piece=2)) == whole


def test_a_build_does_not_keep_its_course_in_memory(tmp_path: Path) -> None:
    """Once a build has returned, nothing holds its course: `studygen serve` builds again and again in one process
    (a memo of the interface strings held the last four builds' courses), and a command line that ends with a
    whole course still held spent most of a second tearing it down."""
    import gc

    from studygen.content.graph import CourseGraph
    from studygen.render.i18n import course_messages

    course = tmp_path / "course"
    shutil.copytree(MINI, course)
    build(course, tmp_path / "out")
    gc.collect()
    # (By exact type: isinstance asks some objects of other libraries for their class, which warns.)
    assert not [o for o in gc.get_objects() if type(o) is CourseGraph and o.root == course.resolve()]
    # The memo still serves a graph while it lives.
    from studygen.build import check

    graph, _ = check(course)
    assert course_messages(graph) is course_messages(graph)


def test_a_course_s_q_and_a_layout_goes_with_its_graph(tmp_path: Path) -> None:
    """The Q&A bank's layout (its questions hold the course's topics) is kept for one course while it lives."""
    import gc
    import weakref

    from studygen.build import check
    from studygen.render import qa_bank

    course = tmp_path / "course"
    shutil.copytree(MINI, course)
    graph, _ = check(course)
    layout = qa_bank.qa_layout(graph)
    assert layout.prompts and qa_bank.qa_layout(graph) is layout  # made once for the graph
    gone = weakref.ref(layout)
    del graph, layout
    gc.collect()
    assert gone() is None
