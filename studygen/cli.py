"""The command line. Thin on purpose: it parses flags and calls plain functions, importing them lazily so that
`studygen --help` starts without loading jinja2, markdown, pydantic or torch."""

from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING

import click

from studygen import __version__
from studygen.cli_paths import PathParam

if TYPE_CHECKING:
    from pathlib import Path

EXIT_CONTENT = 1  # content or output problems; click uses 2 for usage errors


class Output:
    """How chatty to be: -q prints errors only, -v adds details."""

    def __init__(self, verbosity: int) -> None:
        self.verbosity = verbosity

    def info(self, message: str) -> None:
        if self.verbosity >= 0:
            click.echo(message, err=True)

    def detail(self, message: str) -> None:
        if self.verbosity > 0:
            click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="studygen")
@click.option("-v", "--verbose", count=True, help="Say more.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Turn a folder of YAML study content into a study site, Anki decks and quiz exports."""
    ctx.obj = Output(-1 if quiet else verbose)


def entry() -> None:
    """The `studygen` executable: click's own handling, except that an interruption ends the process by its signal."""
    # SIGTERM (a CI runner or a process manager stopping us) unwinds like Ctrl-C, so temporary files are removed.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        code = main.main(standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):  # click turns Ctrl-C into Abort
        _end_interrupted()
    except click.ClickException as error:
        error.show()
        code = error.exit_code
    sys.exit(code if isinstance(code, int) else 0)


_stopped_by = signal.SIGINT  # the signal that interrupted us: SIGINT unless SIGTERM's handler says otherwise


def _terminated(signum: int, frame: object) -> None:
    global _stopped_by
    _stopped_by = signal.SIGTERM
    raise KeyboardInterrupt


def _end_interrupted() -> None:
    """Say that the output is untouched, then die of the signal that stopped us, as a shell expects.

    Exiting with status 130 instead is not reliable: once a KeyboardInterrupt has passed through Python code that
    C runs (compiled libraries do this while they import), CPython turns any later exit into death by SIGINT, even
    after a SIGTERM.
    """
    click.echo("interrupted: nothing was changed in the output folder", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(_stopped_by, signal.SIG_DFL)
    os.kill(os.getpid(), _stopped_by)
    os._exit(128 + _stopped_by)  # only if the signal could not be delivered


COURSE_ARG = click.argument("course_dir", type=PathParam(file_okay=False), default="content", required=False)


@main.command()
@COURSE_ARG
@click.option("-o", "--out", "out_dir", type=PathParam(), default="build", show_default=True)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.pass_obj
def build(out: Output, course_dir: Path, out_dir: Path, strict: bool) -> None:
    """Build COURSE_DIR (default ./content) into OUT: site/, anki/, quizzes/, figures/."""
    from studygen.build import build as run_build

    report = _run(lambda: run_build(course_dir, out_dir, strict=strict))
    for warning in report.warnings:
        out.info(warning.format())
    total = report.kept + report.rendered
    kept = f"; {report.kept} of {total} pages, packages and exports kept from the last build" if report.kept else ""
    out.info(f"Built {report.topics} topic(s) into {report.out_dir} ({report.files} files{kept}).")


@main.command()
@COURSE_ARG
@click.option("-p", "--port", type=int, default=8000, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=PathParam(),
    default=None,
    help="Build into this folder (default: a temporary folder, removed on exit).",
)
@click.pass_obj
def serve(out: Output, course_dir: Path, port: int, out_dir: Path | None) -> None:
    """Build COURSE_DIR, serve the site on 127.0.0.1 and rebuild and reload on every change."""
    from studygen.serve import serve as run_serve

    try:
        run_serve(course_dir, out_dir, port, say=out.info)
    except KeyboardInterrupt:
        out.info("Stopped.")


@main.command()
@COURSE_ARG
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.pass_obj
def check(out: Output, course_dir: Path, strict: bool) -> None:
    """Validate COURSE_DIR without building; report every problem."""
    from studygen.build import check as run_check

    graph, warnings = _run(lambda: run_check(course_dir, strict=strict))
    for warning in warnings:
        out.info(warning.format())
    out.info(f"{len(graph.topics)} topic(s) checked: no errors, {len(warnings)} warning(s).")


@main.command()
@click.option("--kind", type=click.Choice(["course", "topic"]), default="topic", show_default=True)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=PathParam(file_okay=False),
    default=None,
    help="Write course.schema.json and topic.schema.json into this folder instead of printing one.",
)
def schema(kind: str, out_dir: Path | None) -> None:
    """Print the JSON Schema of a content file (for yaml-language-server)."""
    import json

    from studygen.content.schema import json_schema, schema_files

    if out_dir is None:
        click.echo(json.dumps(json_schema(kind), indent=2, sort_keys=True))
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in schema_files().items():
        (out_dir / name).write_bytes(data)


@main.command()
@click.option("-o", "--out", "out_file", type=PathParam(dir_okay=False), default=None,
              help="Write the guide to this file (e.g. docs/authoring.md) instead of printing it.")  # fmt: skip
def docs(out_file: Path | None) -> None:
    """Print the content reference, generated from the content model."""
    from studygen.content.reference import authoring_reference

    text = authoring_reference()
    if out_file is None:
        click.echo(text, nl=False)
    else:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(text, encoding="utf-8")


@main.group()
def new() -> None:
    """Start a course, or add a topic to one."""


@new.command("course")
@click.argument("folder", type=PathParam(file_okay=False))
@click.option("--title", default=None, help="The course's title (default: from the folder name).")
@click.pass_obj
def new_course(out: Output, folder: Path, title: str | None) -> None:
    """Scaffold a course in FOLDER that builds at once."""
    from studygen.scaffold import new_course as scaffold

    written = _run(lambda: scaffold(folder, title))
    for path in written:
        out.detail(f"wrote {path}")
    out.info(f"Created a course in {folder}. Next: studygen build {folder}")


@new.command("topic")
@click.argument("topic_id")
@click.option("--subject", required=True, help="The id of a subject in the course's catalogue.")
@click.option("--title", default=None, help="The topic's title (default: from its id).")
@click.option("--course", "course_dir", type=PathParam(file_okay=False), default="content")
@click.pass_obj
def new_topic(out: Output, topic_id: str, subject: str, title: str | None, course_dir: Path) -> None:
    """Add topics/TOPIC_ID.yaml with every section stubbed and explained."""
    from studygen.scaffold import new_topic as scaffold

    out.info(f"Created {_run(lambda: scaffold(course_dir, topic_id, subject, title))}")


@main.command()
@COURSE_ARG
@click.option("-o", "--out", "out_dir", type=PathParam(), default="build", show_default=True)
@click.option("--branch", default="gh-pages", show_default=True, help="The branch that receives the site.")
@click.option("--remote", default="origin", show_default=True, help="Where to push the branch.")
@click.option("--no-push", is_flag=True, help="Commit to the local branch only.")
@click.option("-m", "--message", default=None, help="Commit message.")
@click.option("--dry-run", is_flag=True, help="Build and say what would be published; commit nothing.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.pass_obj
def publish(
    out: Output,
    course_dir: Path,
    out_dir: Path,
    branch: str,
    remote: str,
    no_push: bool,
    message: str | None,
    dry_run: bool,
    strict: bool,
) -> None:
    """Build, then commit build/site to a branch (gh-pages) and push it, without touching the working tree."""
    from pathlib import Path

    from studygen import __version__ as version
    from studygen.build import build as run_build
    from studygen.publish import plan_publish
    from studygen.publish import publish as run_publish

    _run(lambda: run_build(course_dir, out_dir, strict=strict))
    text = message or f"Publish the site with studygen {version}"
    plan = _run(lambda: plan_publish(out_dir / "site", Path.cwd(), branch, None if no_push else remote, text))
    target = f"branch '{branch}'" + (f", then push to '{plan.remote}'" if plan.remote else "")
    if dry_run:
        out.info(f"Would commit {plan.files} files from {plan.site} to {target}.")
        return
    result = _run(lambda: run_publish(plan))
    out.info(f"Committed {plan.files} files as {result.commit[:12]} on {target}.")


@main.command("import")
@click.argument("format", type=click.Choice(["anki", "quizlet", "csv", "gift", "moodle"]))
@click.argument("source", type=PathParam(exists=True, dir_okay=False))
@click.option("--topic", "topic_id", required=True, help="The topic to create, or to add the cards/questions to.")
@click.option("--subject", required=True, help="The id of a subject in the course's catalogue.")
@click.option("--title", default=None, help="The new topic's title (default: from its id).")
@click.option("--course", "course_dir", type=PathParam(file_okay=False), default="content")
@click.option("--term-sep", default="tab", show_default=True, help="Quizlet: between term and definition.")
@click.option("--card-sep", default="newline", show_default=True, help="Quizlet: between cards.")
@click.pass_obj
def import_cmd(
    out: Output,
    format: str,
    source: Path,
    topic_id: str,
    subject: str,
    title: str | None,
    course_dir: Path,
    term_sep: str,
    card_sep: str,
) -> None:
    """Import SOURCE (Anki text export, Quizlet, CSV, GIFT or Moodle XML) into a topic; see docs/importing.md."""
    from studygen.importers import import_file

    options = {"topic": topic_id, "subject": subject, "title": title, "course": course_dir}
    quizlet = {"term_separator": term_sep, "card_separator": card_sep}
    result = _run(lambda: import_file(format, source, **options, **quizlet))
    verb = "Created" if result.created else "Added to"
    out.info(f"{verb} {result.path}: {result.flashcards} flashcard(s), {result.questions} question(s).")
    for warning in result.warnings:
        out.info(f"warning: {warning}")


def draw_figures_command(course_dir: Path, out_dir: Path | None) -> None:
    """`studygen figures` alone: draw every experiment figure from the committed results (fast; no training)."""
    from studygen.build import check, with_drawn_figures

    graph, _ = _run(lambda: check(course_dir))
    graph, warnings = _run(lambda: with_drawn_figures(graph))
    for warning in warnings:
        click.echo(warning.format(), err=True)
    for figure_id, drawn in sorted(graph.drawn_figures.items()):
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / f"{figure_id}.svg").write_bytes(drawn.svg)
            (out_dir / f"{figure_id}.png").write_bytes(drawn.png)
        click.echo(f"{figure_id}: {drawn.numbers}")
    if not graph.drawn_figures:
        click.echo("This course has no figures drawn from experiments.", err=True)


def _register_figures() -> None:
    # The experiments' command group: it imports only click here; torch and matplotlib load inside its commands.
    from studygen.experiments.cli import figures

    main.add_command(figures)


_register_figures()


def _run(action):  # type: ignore[no-untyped-def]
    """Call a command function; turn our errors into a clean report and exit status 1."""
    from studygen.errors import ContentError, OutputError

    try:
        return action()
    except ContentError as error:
        click.echo(error.report(), err=True)
        sys.exit(EXIT_CONTENT)
    except OutputError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_CONTENT)


if __name__ == "__main__":
    entry()
