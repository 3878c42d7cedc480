"""Full study guide pages (`topics/<id>/guide.html`): the long-form guide with a table of contents, math and figures.

A guide references figures by a line `[[figure:ID]]`. A figure with an `image` is copied from the course folder
into `figures/` and drawn as a `<figure>` with its alt text, size and caption. A figure drawn from experiment
results is a later issue: `experiment_figure()` is the hook that will return its image; until it does, the guide
shows a clearly marked placeholder with the figure's title, alt text and caption, so nothing is silently lost.
"""

from __future__ import annotations

import html
import posixpath
import re
import struct
from dataclasses import dataclass
from pathlib import PurePosixPath

from markupsafe import Markup

from studygen.content.graph import CourseGraph
from studygen.content.model import FIGURE_MARKER, FigureSpec, Topic
from studygen.render.i18n import course_messages
from studygen.render.markup import plain_text, render_markdown
from studygen.render.pages import Page, figure_path, topic_crumbs, topic_path

GUIDE_FILE = "guide.html"
_FIGURE_TOKEN = re.compile(r"<p>FIGUREBLOCK(\d+)X</p>")
_HEADING = re.compile(r"<h([23]) id=\"([^\"]+)\">(.*?)</h\1>", re.DOTALL)


@dataclass(frozen=True)
class TocEntry:
    level: int  # 2 or 3
    anchor: str
    label: Markup  # the heading's inline HTML (may hold MathML)
    children: tuple[TocEntry, ...] = ()


@dataclass(frozen=True)
class GuideBody:
    html: Markup
    toc: tuple[TocEntry, ...]
    figures: tuple[str, ...]  # figure ids in the order they appear


def topic_guide_paths(topic: Topic) -> list[str]:
    """The path of the topic's guide page, known without planning it (none if it has no guide)."""
    return [topic_path(topic.id, GUIDE_FILE)] if topic.guide.strip() else []


def plan_topic_guide(graph: CourseGraph, topic: Topic) -> list[Page]:
    """The topic's guide page (none if it has no guide)."""
    if not topic.guide.strip():
        return []
    category, subject = graph.subject(topic.subject)
    path = topic_path(topic.id, GUIDE_FILE)
    m = course_messages(graph)
    return [
        Page(
            path,
            "guide.html",
            m.text("guide.title", topic=topic.title),
            m.text("guide.description", definition=plain_text(topic.definition))[:300],
            {"topic": topic, "subject": subject, "category": category, "guide": render_guide(graph, topic, path)},
            topic_crumbs(graph, topic),
        )
    ]


def render_guide(graph: CourseGraph, topic: Topic, page_path: str) -> GuideBody:
    """The guide as sanitised HTML with figures in place, and its table of contents (h2 and h3)."""
    figure_ids: list[str] = []

    def token(match: re.Match[str]) -> str:
        figure_ids.append(match.group(1))
        return f"\n\nFIGUREBLOCK{len(figure_ids) - 1}X\n\n"

    body = render_markdown(FIGURE_MARKER.sub(token, topic.guide), "mathml")
    here = posixpath.dirname(page_path)

    def figure(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return figure_html(graph, graph.figure(figure_ids[index]), index + 1, here)

    body = _FIGURE_TOKEN.sub(figure, body)
    return GuideBody(Markup(body), _table_of_contents(body), tuple(figure_ids))


def _table_of_contents(body: str) -> tuple[TocEntry, ...]:
    top: list[tuple[TocEntry, list[TocEntry]]] = []
    for match in _HEADING.finditer(body):
        level, anchor, inner = int(match.group(1)), match.group(2), match.group(3)
        entry = TocEntry(level, anchor, Markup(_drop_links(inner)))
        if level == 2 or not top:
            top.append((entry, []))
        else:
            top[-1][1].append(entry)
    return tuple(TocEntry(e.level, e.anchor, e.label, tuple(children)) for e, children in top)


def _drop_links(inner: str) -> str:
    """A heading's HTML without links (a link inside a TOC link would nest anchors)."""
    return re.sub(r"</?a\b[^>]*>", "", inner)


# ---------------------------------------------------------------- figures


def figure_html(graph: CourseGraph, spec: FigureSpec, number: int | None, here: str) -> str:
    """A figure as HTML, with links relative to the folder `here` of the page that shows it."""
    m = course_messages(graph)
    caption = render_markdown(spec.caption, "mathml", inline=True) if spec.caption else ""
    prefix = html.escape(m.text("figure.number", number=number)) + " " if number else ""
    label = f"<strong>{prefix}{html.escape(spec.title)}.</strong>"
    figcaption = f"<figcaption>{label} {caption}{measured_caption(graph, spec)}</figcaption>"
    anchor = f'id="figure-{spec.id}"'
    image = figure_image(graph, spec)
    if image is None:
        # Hook for experiment figures: drawn from results by a later issue. Until then, say what will be here.
        return (
            f'<figure class="figure figure-pending" {anchor} data-experiment="{html.escape(spec.experiment or "")}"'
            f' data-plot="{html.escape(spec.plot or "")}"><p>{html.escape(spec.alt)}</p>'
            f"<p><em>{html.escape(m.text('figure.pending'))}</em></p>"
            f"{figcaption}</figure>"
        )
    path, data = image
    size = image_size(data, PurePosixPath(path).suffix)
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    src = posixpath.relpath(path, here or ".")
    return (
        f'<figure class="figure" {anchor}><img src="{html.escape(src)}" alt="{html.escape(spec.alt)}"{dims}'
        f' loading="lazy" decoding="async">{figcaption}</figure>'
    )


def figure_image(graph: CourseGraph, spec: FigureSpec) -> tuple[str, bytes] | None:
    """The site path and bytes of a figure's image, or None while it has none (experiment figures, for now)."""
    if spec.image is not None:
        source = graph.root / spec.image
        return figure_path(spec.id, source.suffix.lower()), source.read_bytes()
    return experiment_figure(graph, spec)


def experiment_figure(graph: CourseGraph, spec: FigureSpec) -> tuple[str, bytes] | None:
    """A figure drawn from experiment results (studygen.figures): its SVG, once the build has drawn it."""
    drawn = graph.drawn_figures.get(spec.id)
    return (figure_path(spec.id, ".svg"), drawn.svg) if drawn is not None else None


def measured_caption(graph: CourseGraph, spec: FigureSpec) -> str:
    """For a drawn figure: the measured numbers, their provenance and the command that recomputes them."""
    drawn = graph.drawn_figures.get(spec.id)
    if drawn is None:
        return ""
    command = f"<code>{html.escape(drawn.command)}</code>"
    regenerate = course_messages(graph).html("figure.regenerate", command=Markup(command))
    return (
        f' <span class="figure-numbers">{html.escape(drawn.numbers)}</span> '
        f'<span class="figure-provenance">{html.escape(drawn.provenance)} '
        f"{regenerate}</span>"
    )


def figure_files(graph: CourseGraph) -> dict[str, bytes]:
    """Every figure image the site shows, keyed by its path under site/."""
    files: dict[str, bytes] = {}
    for spec in graph.course.figures:
        image = figure_image(graph, spec)
        if image is not None:
            files[image[0]] = image[1]
    return files


def image_size(data: bytes, suffix: str) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG, WebP or SVG image, read from its header; None if unknown."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            return struct.unpack(">II", data[16:24])
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", data[6:10])
        if data[:2] == b"\xff\xd8":
            return _jpeg_size(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp_size(data)
        if suffix == ".svg":
            return _svg_size(data.decode("utf-8", "replace"))
    except (struct.error, IndexError, ValueError):
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _svg_size(text: str) -> tuple[int, int] | None:
    root = re.search(r"<svg\b[^>]*>", text)
    if not root:
        return None
    tag = root.group(0)
    width = re.search(r'\bwidth="([\d.]+)(?:px)?"', tag)
    height = re.search(r'\bheight="([\d.]+)(?:px)?"', tag)
    if width and height:
        return round(float(width.group(1))), round(float(height.group(1)))
    box = re.search(r'viewBox="[\d.\s,-]*?([\d.]+)[\s,]+([\d.]+)"', tag)
    if box:
        return round(float(box.group(1))), round(float(box.group(2)))
    return None
