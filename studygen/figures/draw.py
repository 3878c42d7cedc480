"""Draw a course's experiment figures: SVG for the site, PNG for Anki and print, captions from the data.

Drawing needs matplotlib and takes about a second per figure, so results are drawn only when needed: every drawn
figure is kept in a cache folder (`.studygen-cache/figures/` beside the course) under a key made of its result
files, its spec, the drawing code and the matplotlib version. A build whose results and drawing code did not
change reads the cache and does not import matplotlib at all.

The SVG keeps text as text and draws its ink (text, axes, ticks) in a colour that a style sheet inside the SVG sets
for light and dark mode (`prefers-color-scheme`); the series colours read well on both. Output is byte-identical
for the same input: no dates in the metadata, and element ids seeded by the figure's id.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studygen.content.graph import CourseGraph
from studygen.content.model import FigureSpec
from studygen.figures.results import ExperimentResults, MissingResults, command_for, load_results, provenance

if TYPE_CHECKING:
    from studygen.figures.plots import Drawing

CACHE_DIR = ".studygen-cache/figures"
# Drawn in this stand-in colour, then replaced by a CSS variable that follows light and dark mode.
_INK = "#010203"
_SVG_STYLE = (
    "<style>svg{--ink:#1b1f24}@media (prefers-color-scheme: dark){svg{--ink:#e8eaed}}</style>"
)  # fmt: skip


@dataclass(frozen=True)
class DrawnFigure:
    """One experiment figure, ready for every output."""

    id: str
    svg: bytes
    png: bytes
    numbers: str  # the caption's sentence of measured numbers
    provenance: str  # what produced them (profile, data, seeds, device, torch)
    command: str  # the command that recomputes the results


def _code_version() -> str:
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("draw.py", "plots.py", "results.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class FigureIssues:
    """Problems met while drawing: (index in course.figures, message)."""

    errors: list[tuple[int, str]]  # the figure cannot be drawn
    warnings: list[tuple[int, str]]  # drawn, but from results of an older version of the training code


def draw_figures(graph: CourseGraph, cache_root: Path | None = None) -> tuple[dict[str, DrawnFigure], FigureIssues]:
    """Every experiment figure of the course, and what kept any of them from being drawn from current results."""
    cache = (cache_root or graph.root.parent) / CACHE_DIR
    drawn: dict[str, DrawnFigure] = {}
    issues = FigureIssues([], [])
    for index, spec in enumerate(graph.course.figures):
        if spec.experiment is None:
            continue
        try:
            drawn[spec.id], stale = _drawn(graph, spec, cache)
        except MissingResults as error:
            issues.errors.append((index, str(error)))
            continue
        if stale:
            command = drawn[spec.id].command
            message = (
                f"drawn from results of an older version of the training code ({len(stale)} run(s), e.g. "
                f"{stale[0]}); rerun `{command}` to refresh them"
            )
            issues.warnings.append((index, message))
    return drawn, issues


def _drawn(graph: CourseGraph, spec: FigureSpec, cache: Path) -> tuple[DrawnFigure, tuple[str, ...]]:
    assert spec.experiment is not None and spec.plot is not None
    results = load_results(graph.root, spec.experiment, spec.profile)
    digest = hashlib.sha256(_code_version().encode())
    digest.update(spec.model_dump_json().encode())
    for path in results.files:
        digest.update(path.name.encode() + path.read_bytes())
    digest.update(_matplotlib_version().encode())
    key = digest.hexdigest()[:24]
    cached = _read_cache(cache, spec.id, key)
    if cached is not None:
        return cached, results.stale
    from studygen.figures.plots import PLOTS  # matplotlib only on a cache miss

    if spec.plot not in PLOTS:
        raise MissingResults(f"unknown plot '{spec.plot}'; known plots: {', '.join(PLOTS)}")
    svg, numbers = _render(PLOTS[spec.plot], results, spec.id, "svg")
    png, _ = _render(PLOTS[spec.plot], results, spec.id, "png")
    figure = DrawnFigure(
        spec.id, svg, png, numbers, provenance(results), command_for(graph.root, spec.experiment, spec.profile)
    )
    _write_cache(cache, figure, key)
    return figure, results.stale


def _render(plot: Callable[[ExperimentResults], Drawing], results: ExperimentResults, figure_id: str,
            kind: str) -> tuple[bytes, str]:  # fmt: skip
    """Draw once per format: the SVG with stand-in ink (made theme-aware below), the PNG in near-black on white."""
    import matplotlib as mpl

    ink = _INK if kind == "svg" else "#1b1f24"
    style = {
        "svg.fonttype": "none",  # text stays text: crisp, searchable, small
        "svg.hashsalt": figure_id,  # fixed element ids: identical bytes for identical input
        "font.size": 10,
        "font.family": ["DejaVu Sans", "sans-serif"],
        **{name: ink for name in ("text.color", "axes.labelcolor", "axes.edgecolor", "xtick.color", "ytick.color",
                                  "legend.labelcolor")},
        "axes.spines.top": False,
        "axes.spines.right": False,
    }  # fmt: skip
    buffer = io.BytesIO()
    with mpl.rc_context(style):
        drawing = plot(results)
        if kind == "svg":
            drawing.figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, transparent=True)
        else:
            drawing.figure.savefig(buffer, format="png", dpi=150, metadata={"Software": None}, facecolor="white")
    data = buffer.getvalue()
    if kind == "svg":
        text = data.decode("utf-8").replace(_INK, "var(--ink)")
        data = text.replace("<defs>", f"<defs>{_SVG_STYLE}", 1).encode("utf-8")
    return data, drawing.numbers


def _matplotlib_version() -> str:
    from importlib.metadata import version

    return version("matplotlib")


def _read_cache(cache: Path, figure_id: str, key: str) -> DrawnFigure | None:
    folder = cache / f"{figure_id}-{key}"
    try:
        meta = json.loads((folder / "figure.json").read_text(encoding="utf-8"))
        return DrawnFigure(
            figure_id, (folder / "figure.svg").read_bytes(), (folder / "figure.png").read_bytes(),
            meta["numbers"], meta["provenance"], meta["command"],
        )  # fmt: skip
    except (OSError, ValueError, KeyError):
        return None


def _write_cache(cache: Path, figure: DrawnFigure, key: str) -> None:
    """Best effort: a cache that cannot be written only costs a redraw next time."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=cache))
        (staging / "figure.svg").write_bytes(figure.svg)
        (staging / "figure.png").write_bytes(figure.png)
        meta = {"numbers": figure.numbers, "provenance": figure.provenance, "command": figure.command}
        (staging / "figure.json").write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")
        os.replace(staging, cache / f"{figure.id}-{key}")
    except OSError:
        return
