"""The pipeline: load -> validate -> cross-check the whole course -> pure renderers -> one writer.

Everything is gathered and checked before anything is written; a build with errors writes nothing.
"""

from __future__ import annotations

import dataclasses
import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studygen.content.formulas import formula_problems
from studygen.content.graph import CourseGraph, check_course
from studygen.content.loader import load_course
from studygen.content.parse_cache import parse_cache
from studygen.errors import ContentError, Problem
from studygen.render.output_cache import RECORDS_FILE, OutputCache, OutputChanges
from studygen.writer import MemoryOutputs, Outputs, Staging, WrittenChanges

if TYPE_CHECKING:
    from studygen.render.markup_cache import MarkupChanges


@dataclass(frozen=True)
class BuildReport:
    out_dir: Path
    files: int
    warnings: list[Problem]
    topics: int
    kept: int = 0  # units (pages, packages, exports, the search index) kept from the previous build
    rendered: int = 0  # those rendered afresh


def check(course_dir: Path, *, strict: bool = False) -> tuple[CourseGraph, list[Problem]]:
    """Validate a course. Returns the checked course and its warnings; raises ContentError with every problem."""
    if not course_dir.is_dir():
        raise ContentError([Problem(str(course_dir), 1, 1, "", "course folder not found", "pass a course folder")])
    with parse_cache(course_dir) as cache:
        loaded = load_course(course_dir, cache)
        graph, problems = check_course(loaded)
        if graph is not None:
            from studygen.render.i18n import language_problems

            problems += formula_problems(graph, cache)
            problems += language_problems(graph)
    failing = [p for p in problems if p.severity == "error" or strict]
    if graph is None or failing:
        raise ContentError(problems)
    return graph, problems


def render_all(graph: CourseGraph, previous: OutputCache | None = None, into: Outputs | None = None) -> Outputs:
    """Every output file, by its path under the output folder, put into `into` as it is rendered (in memory if not
    given). Reads the course, and where `previous` is given the last build's outputs that it can keep
    (studygen.render.output_cache)."""
    from studygen.content.schema import schema_files
    from studygen.forked import Forked
    from studygen.render import markup
    from studygen.render.anki import render_anki
    from studygen.render.anki_inputs import content_times, static_figures
    from studygen.render.deck_cache import deck_cache
    from studygen.render.quizzes import render_quizzes
    from studygen.render.search import BackgroundIndex
    from studygen.render.site import site_units, write_site
    from studygen.render.site_files import SiteFiles
    from studygen.render.site_plan import SitePlan

    outputs: Outputs = MemoryOutputs() if into is None else into
    figure_bytes = {**static_figures(graph), **{i: drawn.png for i, drawn in graph.drawn_figures.items()}}
    store = markup.current_store()

    def decks_and_exports() -> tuple[WrittenChanges, MarkupChanges | None, OutputChanges | None]:
        outputs.forked()  # in a child, what it puts is handed back; in this process, merged again unchanged
        # The deck cache serves rebuilds, like the rest of `previous`: rendering without one writes no cache.
        with deck_cache(graph.root) if previous is not None else nullcontext() as stored:
            anki = render_anki(graph, content_times(graph), figure_bytes, previous, stored)
        for path, data in anki.items():
            outputs.put(f"anki/{path}", data)
        for path, data in render_quizzes(graph, previous).items():
            outputs.put(f"quizzes/{path}", data)
        return outputs.changes(), store.changes() if store else None, previous.changes() if previous else None

    # Three things at once where the machine allows: the decks and quiz exports in a forked child (writing into the
    # same outputs), the site here, and then Pagefind indexing the site in its own processes. Each output is the
    # same as rendered alone.
    with Forked(decks_and_exports, in_child=store.after_fork if store else None) as side:
        plan = SitePlan(site_units(graph), previous, later=True)
        site = SiteFiles(outputs)
        write_site(graph, site, plan, previous)
        with BackgroundIndex(graph, site, plan, previous) as search:
            written, markup_changes, output_changes = side.result()
            search.result()  # the index's files are in the site
    outputs.merge(written)
    if store is not None and markup_changes is not None:
        store.merge(markup_changes)
    if previous is not None and output_changes is not None:
        previous.merge(output_changes)
    for name, data in schema_files().items():
        site.put(f"schema/{name}", data)
    for figure_id, drawn in graph.drawn_figures.items():
        outputs.put(f"figures/{figure_id}.svg", drawn.svg)
        outputs.put(f"figures/{figure_id}.png", drawn.png)
    outputs.write("manifest.json", manifest(outputs.digests))
    return outputs


def build(course_dir: Path, out_dir: Path, *, strict: bool = False) -> BuildReport:
    # The whole build, up to the moment its course and outputs are freed: with the usual thresholds back while
    # they are still held, the next allocations set off a collection of all of them (~1 s at 1,000 topics).
    with _fewer_collections():
        return _build(course_dir, out_dir, strict=strict)


def _build(course_dir: Path, out_dir: Path, *, strict: bool) -> BuildReport:
    from studygen.render.markup_cache import persistent_markup

    with persistent_markup(course_dir) as markup_store:
        graph, warnings = check(course_dir, strict=strict)
        graph, figure_warnings = with_drawn_figures(graph, strict=strict)
        warnings = warnings + figure_warnings
        previous = OutputCache.for_build(out_dir, graph)
        with Staging(out_dir, previous.checked) as staging:
            _render_reporting_template_errors(graph, previous, staging)
            files = len(staging.digests)
            staging.write(RECORDS_FILE, previous.records())  # after the manifest: not an output to publish or compare
            staging.commit()
        if markup_store is not None:
            markup_store.saw_everything = previous.kept == 0
    return BuildReport(out_dir, files, warnings, len(graph.topics), previous.kept, previous.rendered)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cycle collector runs after every 700 new objects and, as a build holds a whole course in memory,
    each run has more to scan: collecting less often made a 1,000-topic rebuild ~14% faster (17.7 -> 15.2 s;
    a clean build the same). A build makes few cycles, so little waits longer to be freed."""
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def with_drawn_figures(graph: CourseGraph, *, strict: bool = False) -> tuple[CourseGraph, list[Problem]]:
    """The course with its experiment figures drawn (or read from the figure cache), and warnings.
    Missing results are errors; results from an older version of the training code are warnings."""
    if not any(spec.experiment for spec in graph.course.figures):
        return graph, []
    from studygen.figures.draw import draw_figures

    drawn, issues = draw_figures(graph)

    def located(index: int, message: str, severity: str) -> Problem:
        if graph.course_source is not None:
            return graph.course_source.problem(("figures", index), message, severity=severity)
        return Problem("course.yaml", 1, 1, f"figures[{index}]", message, severity=severity)

    errors = [located(i, message, "error") for i, message in issues.errors]
    warnings = [located(i, message, "warning") for i, message in issues.warnings]
    if errors or (strict and warnings):
        raise ContentError(errors + warnings)
    return dataclasses.replace(graph, drawn_figures=drawn), warnings


def _render_reporting_template_errors(graph: CourseGraph, previous: OutputCache, into: Outputs) -> None:
    """A broken template (e.g. a course's own override) is reported like content, with its file and line."""
    import jinja2

    from studygen.render.markup import MarkupError

    try:
        render_all(graph, previous, into)
    except jinja2.TemplateSyntaxError as error:
        where = error.filename or error.name or "template"
        raise ContentError([Problem(where, error.lineno, 1, "", f"template error: {error.message}")]) from None
    except (jinja2.TemplateError, MarkupError) as error:
        raise ContentError([Problem("templates", 1, 1, "", f"rendering failed: {error}")]) from None


def manifest(digests: dict[str, str], per_piece: int = 2000) -> Iterator[bytes]:
    """A list of every output with its SHA-256, so that tools and tests can compare builds cheaply: the JSON that
    `json.dumps({"files": ...}, indent=1, sort_keys=True)` writes, in pieces (made whole, ~9 MB at 5,000 topics,
    held twice at the end of a build)."""
    if not digests:
        yield b'{\n "files": {}\n}\n'
        return
    yield b'{\n "files": {\n'
    paths = sorted(digests)
    for start in range(0, len(paths), per_piece):
        piece = paths[start : start + per_piece]
        lines = ",\n".join(f"  {json.dumps(path)}: {json.dumps(digests[path])}" for path in piece)
        yield (",\n" if start else "").encode() + lines.encode("utf-8")
    yield b"\n }\n}\n"
