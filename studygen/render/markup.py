"""Markdown with LaTeX math -> safe HTML, for the site (MathML) and for Anki (MathJax delimiters).

Content is untrusted: raw HTML, event handlers and `javascript:` links must not survive. python-markdown passes
raw HTML through, so its output goes through nh3 (an allow-list sanitiser). Math is cut out before Markdown sees
it (so `_` and `*` inside formulas are not read as emphasis) and put back after sanitising: MathML from
latex2mathml for the site, or `\\(...\\)` text for Anki's MathJax.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import markdown
import nh3
from latex2mathml.converter import convert as latex_to_mathml

if TYPE_CHECKING:
    from studygen.render.markup_cache import MarkupStore

MathMode = Literal["mathml", "mathjax"]

# Code is left alone: math delimiters inside code spans or fenced blocks are literal dollars.
_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]+`)", re.DOTALL)
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
# Inline: no space just inside the dollars, and a closing dollar not followed by a digit ("costs $5 and $10").
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?=\S)([^$\n]*?\S)\$(?![\d$])")
_TOKEN = re.compile(r"MATHTOKEN(\d+)X")
_LONE_TOKEN = re.compile(r"<p>(MATHTOKEN(\d+)X)</p>")
_URL_SCHEMES = {"http", "https", "mailto"}
# One line that Markdown keeps exactly as written, in one paragraph: it starts with a letter (so it cannot open a
# list, heading, quote or code block), does not end in a space and holds only letters, digits, single spaces and
# punctuation that neither Markdown nor HTML reads (no `*`, `_`, `[`, `<`, `&`, `$`, backslash...). Many short texts
# are such (titles, card fronts): 39% of the bundled course's conversions, 86% of the synthetic corpus's, each
# ~0.2 ms in python-markdown. tests/test_markup.py checks that python-markdown gives `<p>text</p>` for any of them.
_PLAIN = re.compile(r"[A-Za-z](?:[A-Za-z0-9,.;:?!'\"()/%=@ ]*[A-Za-z0-9,.;:?!'\"()/%=@])?")
# What latex2mathml writes on every <math>. HTML's parser puts <math> in that namespace by itself, so the site drops
# the attribute from every page it writes (43 bytes of nothing per formula) and page weights are estimated without it.
MATHML_NAMESPACE = ' xmlns="http://www.w3.org/1998/Math/MathML"'

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "s", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul",
}  # fmt: skip
# MathML as latex2mathml writes it. Formulas are sanitised too: `\\text{...}` passes its text through verbatim.
_MATH_TAGS = {
    "math", "menclose", "merror", "mfenced", "mfrac", "mi", "mmultiscripts", "mn", "mo", "mover", "mpadded",
    "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace", "msqrt", "mstyle", "msub", "msubsup", "msup",
    "mtable", "mtd", "mtext", "mtr", "munder", "munderover", "none", "semantics",
}  # fmt: skip
_MATH_ATTRIBUTES = {
    "accent", "accentunder", "align", "columnalign", "columnlines", "columnspacing", "depth", "display",
    "displaystyle", "fence", "form", "frame", "height", "largeop", "linethickness", "lspace", "mathcolor",
    "mathsize", "mathvariant", "maxsize", "minsize", "movablelimits", "notation", "rowalign", "rowlines",
    "rowspacing", "rspace", "scriptlevel", "separator", "stretchy", "symmetric", "width", "xmlns",
}  # fmt: skip
_ATTRIBUTES = {
    **{tag: _MATH_ATTRIBUTES for tag in _MATH_TAGS},
    "*": {"id", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start"},
}
# Built once: building the allow-list is most of the cost of a call to nh3.clean (0.28 ms against 0.04 ms here).
_SANITISER = nh3.Cleaner(tags=_TAGS | _MATH_TAGS, attributes=_ATTRIBUTES, url_schemes=_URL_SCHEMES)
_TAG_STRIPPER = nh3.Cleaner(tags=set())


class MarkupError(ValueError):
    """A piece of Markdown or LaTeX that cannot be rendered; the message says what and where in the text."""


_converter = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists", "toc"], output_format="html")
_store: MarkupStore | None = None  # the markup cache of the build in progress (markup_cache.persistent_markup)


def current_store() -> MarkupStore | None:
    return _store


def use_store(store: MarkupStore | None) -> None:
    global _store
    _store = store
    if store is not None:
        render_markdown.cache_clear()  # so that the store sees every text this build uses, and can prune the rest


@lru_cache(maxsize=16384)
def render_markdown(text: str, math: MathMode = "mathml", inline: bool = False) -> str:
    """Render Markdown to sanitised HTML. With inline=True a single paragraph loses its <p> wrapper."""
    return _through_store(text, math, inline, lambda: _render(text, math, inline))


def _through_store(text: str, mode: str, flag: bool, make: Callable[[], str]) -> str:
    """`make()`, or what it gave for the same text, mode and flag in an earlier build (the markup cache)."""
    if _store is None:
        return make()
    key = _store.key(text, mode, flag)
    found = _store.get(key)
    if found is None:
        found = make()
        _store.put(key, found)
    return found


def _render(text: str, math: MathMode, inline: bool) -> str:
    body, formulas = _converted(text)

    def formula(match: re.Match[str]) -> str:
        index = int(match.group(1))
        # A text may itself contain something that looks like a placeholder: it stays as written.
        return _render_formula(*formulas[index], math) if index < len(formulas) else match.group(0)

    body = _SANITISER.clean(_TOKEN.sub(formula, body))
    if inline and body.startswith("<p>") and body.endswith("</p>") and body.count("<p>") == 1:
        body = body[3:-4]
    return body


@lru_cache(maxsize=4096)
def _converted(text: str) -> tuple[str, tuple[tuple[str, bool], ...]]:
    """Markdown -> HTML (not yet sanitised) with each formula left as a placeholder, and the formulas. The same for
    every math mode, so a text the site and the Anki deck both show is converted once per build."""
    if _PLAIN.fullmatch(text) and "  " not in text:
        return f"<p>{text}</p>", ()
    formulas: list[tuple[str, bool]] = []

    def stash(match: re.Match[str], display: bool) -> str:
        formulas.append((match.group(1).strip(), display))
        return f"MATHTOKEN{len(formulas) - 1}X"

    def lone(match: re.Match[str]) -> str:
        index = int(match.group(2))
        return match.group(1) if index < len(formulas) and formulas[index][1] else match.group(0)

    pieces = _CODE.split(text)
    for index in range(0, len(pieces), 2):  # even pieces are outside code
        piece = _DISPLAY_MATH.sub(lambda m: stash(m, True), pieces[index])
        pieces[index] = _INLINE_MATH.sub(lambda m: stash(m, False), piece)
    _converter.reset()
    body = _converter.convert("".join(pieces))
    # A paragraph holding only a display formula becomes the formula itself (a block, not inside <p>).
    return _LONE_TOKEN.sub(lone, body), tuple(formulas)


def find_formulas(text: str) -> list[tuple[str, bool]]:
    """The (LaTeX, is-display) formulas of a Markdown text, outside code."""
    if "$" not in text:  # most texts: the patterns below cost ~37 us a call even when they find nothing
        return []
    found: list[tuple[str, bool]] = []
    for index, piece in enumerate(_CODE.split(text)):
        if index % 2 == 0:
            found += [(m.group(1).strip(), True) for m in _DISPLAY_MATH.finditer(piece)]
            piece = _DISPLAY_MATH.sub("", piece)
            found += [(m.group(1).strip(), False) for m in _INLINE_MATH.finditer(piece)]
    return found


def _render_formula(latex: str, display: bool, math: MathMode) -> str:
    if math == "mathjax":
        # Anki's MathJax reads \( \) and \[ \]. The text stays escaped HTML, which MathJax reads back.
        opening, closing = (r"\[", r"\]") if display else (r"\(", r"\)")
        return html.escape(f"{opening}{latex}{closing}", quote=False)
    return mathml(latex, display)


def check_formula(latex: str, display: bool = False) -> None:
    """Raise MarkupError if the formula cannot be rendered. One that rendered in an earlier build (the markup
    cache says so) is not converted again: checking every formula was a tenth of a rebuild."""
    _through_store(latex, "formula-check", display, lambda: _converts(latex, display))


def _converts(latex: str, display: bool) -> str:
    """An empty string once the formula converts; mathml raises for a bad one, which is so never recorded as good."""
    mathml(latex, display)
    return ""


@lru_cache(maxsize=16384)
def mathml(latex: str, display: bool = False) -> str:
    """One formula as MathML; raises MarkupError for LaTeX that latex2mathml cannot read."""
    try:
        result = latex_to_mathml(latex, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many types for malformed input
        raise MarkupError(f"cannot read the formula ${latex}$: {error or type(error).__name__}") from None
    return result


def plain_text(text: str) -> str:
    """Markdown reduced to plain text (for meta descriptions, titles and search snippets). Kept in the markup
    cache like rendered Markdown: stripping the tags again was ~10% of planning a rebuild's pages."""
    return _through_store(text, "plain", False, lambda: _plain_text(text))


def _plain_text(text: str) -> str:
    rendered = render_markdown(text, math="mathjax")
    stripped = _TAG_STRIPPER.clean(rendered)
    return " ".join(html.unescape(stripped).split())
