"""The static site: a pure function from a checked course to {path under site/: bytes}.

Every page's path is known before any page is rendered (most pages are planned first; a topic's summary, guide,
flashcard and answers pages, whose paths need no plan, are planned as they are written), so every page knows which
other pages exist: a link is shown only when its target is built. Every link is relative, so the site works from
any sub-path and from file://.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import jinja2
from markupsafe import Markup

from studygen import __version__
from studygen.content.graph import CourseGraph
from studygen.content.model import Course, Topic
from studygen.memory import give_back_free_memory
from studygen.render.flashcards import card_counts, flashcard_paths, plan_topic_flashcards
from studygen.render.guide import figure_files, figure_html, plan_topic_guide, topic_guide_paths
from studygen.render.i18n import Messages, course_messages
from studygen.render.markup import MATHML_NAMESPACE, plain_text, render_markdown
from studygen.render.output_cache import Fingerprint, OutputCache, template_digests
from studygen.render.pages import Page, category_path, subject_path, topic_crumbs, topic_path
from studygen.render.practice import practice_units
from studygen.render.qa_bank import forget_layout, qa_units
from studygen.render.quizzes.views import forget_views
from studygen.render.search import COLLECTED, plan_search_page, searched_items
from studygen.render.site_files import SiteFiles
from studygen.render.site_plan import Later, SitePlan, Unit
from studygen.render.theme import asset_bytes, make_environment, static_files

# The study pages a topic may have besides its summary, in the order the summary page links them (with the
# catalogue key of each one's label).
STUDY_PAGES = (
    ("index.html", "study.summary"),
    ("guide.html", "study.guide"),
    ("flashcards.html", "study.flashcards"),
    ("practice.html", "study.practice"),
    ("answers.html", "study.answers"),
)
# Folders whose files are not pages: theme assets, and the search index that the pipeline adds after rendering.
GENERATED_FOLDERS = ("static/", "pagefind/")
IMPORTANCE_ORDER = {"high": 0, "medium": 1, "low": 2}
# Pages written between two returns of freed memory to the system (studygen.memory).
TRIM_EVERY = 500


def plan_pages(graph: CourseGraph) -> list[Page]:
    """Every page of the site. Each kind of page is planned by its own module; this module draws them all."""
    return [page for unit in site_units(graph) for page in unit.plan()]


def site_units(graph: CourseGraph) -> list[Unit]:
    """Every page of the site, in units that a rebuild plans only when what they read changed
    (studygen.render.site_plan): the course-wide pages, each topic's summary, guide and flashcards, the practice
    pages, the Q&A bank, search."""
    topics = graph.topics
    return [
        Unit("summary", partial(plan_summary_pages, graph)),
        # A topic's summary page is a unit of its own: an edit plans it, not every topic's.
        *[
            Unit(f"topic:{t.id}", partial(plan_topic_summary, graph, t), t.id, partial(topic_summary_paths, t))
            for t in topics
        ],
        # A guide's or a flashcard page's path is known without planning it: a build plans them as it writes them.
        *[
            Unit(f"guide:{t.id}", partial(plan_topic_guide, graph, t), t.id, partial(topic_guide_paths, t))
            for t in topics
        ],
        *[
            Unit(
                f"flashcards:{t.id}", partial(plan_topic_flashcards, graph, t), t.id, partial(flashcard_paths, graph, t)
            )
            for t in topics
        ],
        *practice_units(graph),
        *qa_units(graph),
        Unit("search", partial(plan_search_page, graph)),
    ]


def plan_summary_pages(graph: CourseGraph) -> list[Page]:
    """The home page, the 404 page, and each category's and subject's page."""
    course = graph.course
    m = course_messages(graph)
    home = (m.text("site.home"), "index.html")
    pages = [
        Page("index.html", "home.html", course.title, plain_text(course.description)),
        Page("404.html", "404.html", m.text("notfound.title"), m.text("notfound.description"), crumbs=(home,)),
    ]
    for category in course.categories:
        cat_crumb = (category.title, category_path(category.id))
        pages.append(
            Page(
                category_path(category.id),
                "category.html",
                category.title,
                plain_text(category.description)
                if category.description
                else m.text("page.category_description", category=category.title, course=course.title),
                {"category": category},
                (home,),
            )
        )
        for subject in category.subjects:
            pages.append(
                Page(
                    subject_path(category.id, subject.id),
                    "subject.html",
                    subject.title,
                    plain_text(subject.description)
                    if subject.description
                    else m.text("page.subject_description", subject=subject.title),
                    {"category": category, "subject": subject, "topics": graph.topics_of(subject.id)},
                    (home, cat_crumb),
                )
            )
    return pages


def plan_topic_summary(graph: CourseGraph, topic: Topic) -> list[Page]:
    category, subject = graph.subject(topic.subject)
    crumbs = topic_crumbs(graph, topic, with_topic=False)
    return [
        Page(
            topic_path(topic.id),
            "topic.html",
            topic.title,
            plain_text(topic.definition)[:300],
            {"topic": topic, "subject": subject, "category": category},
            crumbs,
        )
    ]


def topic_summary_paths(topic: Topic) -> list[str]:
    return [topic_path(topic.id)]


# Applies a saved theme before the first paint, so that the page never flashes the other theme. It is the only
# inline script: the Content-Security-Policy allows it by its hash and allows no other inline script.
THEME_SCRIPT = (
    'try{var t=localStorage.getItem("studygen-theme");'
    'if(t==="light"||t==="dark")document.documentElement.dataset.theme=t}catch(e){}'
)
_THEME_HASH = base64.b64encode(hashlib.sha256(THEME_SCRIPT.encode()).digest()).decode()
# Content is untrusted: only our own scripts run (from static/, plus the theme script by hash); Pagefind needs
# WebAssembly; inline JSON data blocks are not scripts. Styles and images come from the site itself.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' 'sha256-{_THEME_HASH}' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)


def render_site(
    graph: CourseGraph, plan: SitePlan | None = None, previous: OutputCache | None = None
) -> dict[str, bytes]:
    """Every file of the site, keyed by its path under site/, in memory (a build writes them as it goes:
    `write_site`)."""
    site = SiteFiles.of({})
    write_site(graph, site, plan, previous)
    return {path: site[path] for path in site}


def write_site(
    graph: CourseGraph, site: SiteFiles, plan: SitePlan | None = None, previous: OutputCache | None = None
) -> None:
    """Put every file of the site into `site`. `plan`: the site's plan, if already made; `previous`: the last
    build's pages, kept where their inputs are unchanged (see studygen.render.output_cache)."""
    env = make_environment(graph.root)
    plan = SitePlan(site_units(graph), previous, later=True) if plan is None else plan
    paths = [entry.path for entry in plan.pages]
    existing = set(paths)
    # Computed once per build: every page's library shows counts, and recounting per page made builds quadratic.
    counts = {topic.id: card_counts(graph, topic) for topic in graph.topics}
    totals = {kind: sum(c[kind] for c in counts.values()) for kind in ("cards", "questions")}  # the home page's
    page_key = _page_key(paths, totals, previous, template_digests(env)) if previous else None
    messages = course_messages(graph)
    # Each page's plan is let go once the page is written; a unit planned later (site_plan.Later) is planned here.
    for count, entry in enumerate(plan.pending(), start=1):
        if count % TRIM_EVERY == 0:
            give_back_free_memory()
        if isinstance(entry, Later):
            entry = plan.page(entry)
        fingerprint = plan.fingerprints.get(entry.path)
        key = page_key(entry.path, entry.template, fingerprint) if page_key and fingerprint else None
        kept = previous.take(f"site/{entry.path}", key) if previous and key else None
        if kept is not None:
            site.put(entry.path, kept[f"site/{entry.path}"])
            continue
        page = plan.page(entry)  # a page kept from the last build's plan is planned now
        reached: set[str] = set()
        helpers = _page_helpers(page, graph, existing, counts, totals, reached)
        html = env.get_template(page.template).render(page=page, course=graph.course, **helpers, **page.context)
        data = html.replace(MATHML_NAMESPACE, "").encode("utf-8")
        site.put(page.path, data)
        if previous and key:
            previous.keep_digests(f"site/{page.path}", key, reached, {f"site/{page.path}": site.digest(page.path)})
        if page.template in COLLECTED:
            plan.searched[page.path] = searched_items(messages, page)
        plan.release(page)
    forget_views(graph)  # every page that shows a question is written
    forget_layout(graph)
    site.put("sitemap.xml", _sitemap(graph.course, [path for path in paths if path != "404.html"]).encode("utf-8"))
    for name, path in static_files(graph.root).items():
        site.put(f"static/{name}", asset_bytes(path))
    for path, data in figure_files(graph).items():
        site.put(path, data)


def _page_key(
    paths: list[str], totals: dict[str, int], previous: OutputCache, templates: Callable[[str], str]
) -> Callable[[str, str, str], str]:
    """A page's key, from its path, template and the fingerprint of its plan: those, the build's frame and its
    templates. (A page whose plan cannot be fingerprinted has no key, and is always rendered.)"""
    # Each page links only to pages that exist: which ones do is part of every page's key.
    frame = hashlib.sha256("\0".join([previous.frame, *sorted(paths)]).encode()).hexdigest()
    shared = frame + "\0" + Fingerprint(previous.digests).of(totals)

    def key(path: str, template: str, fingerprint: str) -> str:
        pieces = "\0".join([shared, templates(template), path, fingerprint])
        return hashlib.blake2b(pieces.encode(), digest_size=20).hexdigest()

    return key


class _Reaching(list):  # type: ignore[type-arg]
    """The course's topics as a page sees them: a page that goes through them has reached them all."""

    def __init__(self, topics: tuple[Topic, ...], reached: set[str]) -> None:
        super().__init__(topics)
        self.reached = reached

    def __iter__(self) -> Iterator[Topic]:
        self.reached.update(topic.id for topic in list.__iter__(self))
        return list.__iter__(self)

    def __getitem__(self, index: Any) -> Any:
        self.reached.update(topic.id for topic in list.__iter__(self))
        return list.__getitem__(self, index)


def _page_helpers(
    page: Page,
    graph: CourseGraph,
    existing: set[str],
    counts: dict[str, dict[str, int]],
    totals: dict[str, int],
    reached: set[str],
) -> dict[str, Any]:
    """What a template may call. Those that read a topic from outside the page's context note it in `reached`,
    so that the page is rendered again when that topic changes."""
    here = posixpath.dirname(page.path)
    messages = course_messages(graph)

    def topics_of(subject_id: str) -> list[Topic]:
        topics = graph.topics_of(subject_id)
        reached.update(topic.id for topic in topics)
        return topics

    def topic_by_id(topic_id: str) -> Topic:
        reached.add(topic_id)
        return graph.topic(topic_id)

    def topic_counts(topic: Topic) -> dict[str, int]:
        reached.add(topic.id)
        return counts[topic.id]

    def url(target: str) -> str:
        """A relative link from this page to another output path, which may end in a #fragment."""
        path, hash_mark, fragment = target.partition("#")
        if path not in existing and not path.startswith(GENERATED_FOLDERS):
            raise jinja2.TemplateRuntimeError(f"link to a page that is not built: {path}")
        return posixpath.relpath(path, here or ".") + hash_mark + fragment

    def exists(target: str) -> bool:
        return target in existing

    def topic_url(topic_id: str, kind: str = "index.html") -> str:
        return url(topic_path(topic_id, kind))

    def study_links(topic_id: str) -> list[tuple[str, str]]:
        return [(file, messages.text(key)) for file, key in STUDY_PAGES if topic_path(topic_id, file) in existing]

    def js_messages(*scripts: str) -> Markup:
        """The strings of these scripts as the page's JSON block, and static/i18n.js that reads it."""
        return Markup(
            '<script type="application/json" id="studygen-messages">{}</script>\n<script defer src="{}"></script>'
        ).format(messages.script_json(*scripts), url("static/i18n.js"))

    return {
        "url": url,
        "study_links": study_links,
        "topics_of": topics_of,
        "exists": exists,
        "topic_url": topic_url,
        "topic_path": topic_path,
        "subject_url": lambda category_id, subject_id: url(subject_path(category_id, subject_id)),
        "category_url": lambda category_id: url(category_path(category_id)),
        "canonical": graph.course.base_url
        + ("" if page.path == "index.html" else page.path.removesuffix("index.html")),
        "md": _markdown_filter(),
        "md_inline": _markdown_filter(inline=True),
        "topic_by_id": topic_by_id,
        "t": messages.html,
        "js_messages": js_messages,
        "level_label": lambda level: messages.text(f"level.{level}"),
        "sorted_takeaways": lambda takeaways: sorted(takeaways, key=lambda t: IMPORTANCE_ORDER[t.importance]),
        "study_time": lambda minutes: _study_time(minutes, messages),
        "counts": topic_counts,
        "course_topics": _Reaching(graph.topics, reached),
        "totals": totals,
        "theme_script": Markup(THEME_SCRIPT),  # our own constant, not content
        # A figure drawn on any page (practice, worksheets): built by guide.figure_html, which escapes content.
        "figure": lambda figure_id: Markup(figure_html(graph, graph.figure(figure_id), None, here)),
        "content_security_policy": CONTENT_SECURITY_POLICY,
        "generator": f"studygen {__version__}",
        "json_ld": lambda data: Markup(json.dumps(data, sort_keys=True).replace("<", "\\u003c")),
    }


def _markdown_filter(inline: bool = False) -> Callable[[str], Markup]:
    def render(text: str) -> Markup:
        return Markup(render_markdown(text, "mathml", inline))  # sanitised by render_markdown

    return render


def _study_time(minutes: int, messages: Messages) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return messages.text("time.minutes", minutes=minutes)
    if rest:
        return messages.text("time.hours_minutes", hours=hours, minutes=rest)
    return messages.text("time.hours", hours=hours)


def _sitemap(course: Course, paths: list[str]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path in sorted(paths):
        location = course.base_url + path.removesuffix("index.html")
        lines.append(f"  <url><loc>{jinja2.utils.markupsafe.escape(location)}</loc></url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"
