"""Figures drawn from real (tiny) training runs: SVG and PNG, captions from the data, caching, missing results."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from studygen.build import build
from studygen.errors import ContentError
from studygen.figures.plots import pct

pytest.importorskip("torch")  # results are produced by real training; drawing itself needs no torch

FIXTURE = Path(__file__).parent / "fixtures" / "figure-course"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture course with results from real training of its tiny experiments (a few seconds)."""
    root = tmp_path_factory.mktemp("figures")
    shutil.copytree(FIXTURE, root / "course")
    for spec in ("tiny-degradation", "tiny-shortcuts"):
        command = [sys.executable, "-m", "studygen", "figures", "run", f"course/experiments/{spec}.yaml",
                   "--course", "course", "--profile", "smoke", "--quiet"]  # fmt: skip
        subprocess.run(command, cwd=root, check=True, capture_output=True)
    return root / "course"


@pytest.fixture(scope="module")
def built(course: Path) -> Path:
    out = course.parent / "build"
    build(course, out)
    return out


def results(course: Path, prefix: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((course / "results").glob(f"{prefix}-*.json"))]


def test_every_figure_is_written_as_svg_and_png(built: Path) -> None:
    for figure in ("degradation", "error-by-depth", "gradient-flow", "layer-responses", "shortcut-variants"):
        svg = (built / f"figures/{figure}.svg").read_bytes()
        ET.fromstring(svg)  # well-formed XML
        assert b"#010203" not in svg and b"var(--ink)" in svg and b"prefers-color-scheme: dark" in svg
        assert (built / f"figures/{figure}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (built / f"site/figures/{figure}.svg").read_bytes() == svg


def test_degradation_svg_holds_each_series_as_text(built: Path) -> None:
    root = ET.fromstring((built / "figures/degradation.svg").read_bytes())
    texts = {"".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")}
    assert {"plain-8", "plain-20", "residual-8", "residual-20"} <= texts  # the legend: text stays text
    assert {"Plain networks", "Residual networks", "training error (%)"} <= texts
    # One line per series and panel, drawn as paths with the series' colours.
    lines = [g for g in root.iter(f"{SVG}g") if g.get("id", "").startswith("line2d")]
    assert len(lines) >= 4


def test_caption_numbers_match_the_data(course: Path, built: Path) -> None:
    page = BeautifulSoup((built / "site/topics/identity-mapping/guide.html").read_text(), "html.parser")
    captions = {f["id"]: f.select_one(".figure-numbers").get_text() for f in page.select("figure[id^=figure-]")}
    runs = results(course, "plain-20")
    mean = sum(r["metrics"]["final"]["train_error"] for r in runs) / len(runs)
    assert f"plain-20 {pct(mean)}" in captions["figure-degradation"]
    assert "mean over 2 seeds" in captions["figure-degradation"]
    identity = results(course, "residual-8-identity")[0]["metrics"]["final"]["train_error"]
    assert captions["figure-shortcut-variants"].startswith(f"Identity shortcut: {pct(identity)} training error")
    provenance = page.select_one("#figure-degradation .figure-provenance").get_text()
    assert "smoke profile" in provenance and "seeds 0, 1" in provenance and "torch" in provenance
    assert "studygen figures run course/experiments/tiny-degradation.yaml" in provenance


def test_guide_shows_the_figures_with_alt_text_and_size(built: Path) -> None:
    page = BeautifulSoup((built / "site/topics/identity-mapping/guide.html").read_text(), "html.parser")
    image = page.select_one("#figure-gradient-flow img")
    assert image["src"] == "../../figures/gradient-flow.svg"
    assert image["alt"].startswith("Gradient norm per layer")
    assert int(image["width"]) > 0 and int(image["height"]) > 0


def test_figures_travel_into_the_anki_deck(built: Path) -> None:
    with zipfile.ZipFile(built / "anki/figures.apkg") as package:
        media = json.loads(package.read("media"))
        assert any(name.endswith("degradation.png") for name in media.values())
        index = next(k for k, name in media.items() if name.endswith("degradation.png"))
        assert package.read(index) == (built / "figures/degradation.png").read_bytes()


def test_rebuild_reads_the_cache_and_stays_byte_identical(course: Path, built: Path, tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from studygen.build import build;"
        f"build(Path({str(course)!r}), Path({str(tmp_path / 'again')!r}));"
        "print('matplotlib' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"  # nothing changed: no figure was redrawn
    for name in ("degradation.svg", "degradation.png", "shortcut-variants.svg"):
        assert (tmp_path / "again/figures" / name).read_bytes() == (built / "figures" / name).read_bytes()


def test_corrupt_results_are_reported_not_drawn(course: Path, tmp_path: Path) -> None:
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    build(copy, tmp_path / "first")
    (path,) = sorted((copy / "results").glob("plain-20-none-digits-s0--*.json"))
    record = json.loads(path.read_text())
    record["metrics"]["final"]["train_error"] = 0.5  # hand-edited: the checksum no longer matches
    path.write_text(json.dumps(record))
    with pytest.raises(ContentError) as caught:
        build(copy, tmp_path / "second")
    assert "corrupt" in caught.value.report()


def test_missing_results_fail_the_build_naming_the_command(course: Path, tmp_path: Path) -> None:
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    for path in (copy / "results").glob("residual-8-conv1x1-*.json"):
        path.unlink()
    out = tmp_path / "build"
    with pytest.raises(ContentError) as caught:
        build(copy, out)
    (problem,) = caught.value.problems
    assert problem.path.endswith("course.yaml") and problem.field == "figures[4]"
    lines = (copy / "course.yaml").read_text().splitlines()
    assert lines[problem.line - 1].strip() == "- id: shortcut-variants"
    assert "no results for residual-8-conv1x1-digits-s0" in problem.message
    assert "studygen figures run course/experiments/tiny-shortcuts.yaml --course course --profile smoke" in (
        problem.message
    )
    assert not out.exists()


def test_results_of_older_training_code_draw_with_a_warning(course: Path, tmp_path: Path) -> None:
    from studygen.experiments import cache
    from studygen.experiments.config import RunConfig

    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    (path,) = sorted((copy / "results").glob("residual-8-conv1x1-*.json"))
    record = json.loads(path.read_text())
    record["code_version"] = "0ld0ld0ld0ld"  # as if written before the training code last changed
    record["key"] = cache.run_key(RunConfig.from_dict(record["config"]), record["code_version"])
    record["checksum"] = cache._checksum(record)
    path.unlink()
    (copy / "results" / f"{record['name']}--{record['key']}.json").write_text(json.dumps(record))

    report = build(copy, tmp_path / "build")
    (warning,) = report.warnings
    assert warning.field == "figures[4]" and "older version of the training code" in warning.message
    assert "residual-8-conv1x1-digits-s0" in warning.message
    assert (tmp_path / "build/figures/shortcut-variants.svg").is_file()
    with pytest.raises(ContentError, match="older version"):
        build(copy, tmp_path / "strict", strict=True)
