"""HTML (as Anki, Moodle and GIFT carry it) back to the Markdown our content is written in.

What becomes Markdown: paragraphs, `<b>`/`<strong>`, `<i>`/`<em>`, `<br>`, `<code>`, links, bulleted and numbered
lists; math `\\(...\\)` becomes `$...$` and `\\[...\\]` becomes `$$...$$`. Anything else stays as inline HTML
(the renderer sanitises it). Entities are decoded.

Markdown has many spellings of the same HTML, so the conversion tries a few (plain; with Markdown's special
characters escaped; with inline tags kept as HTML) and keeps the first that renders back to exactly the HTML it
came from. HTML we wrote ourselves therefore re-exports byte for byte; HTML from elsewhere gets the escaped
spelling, which is always safe.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from studygen.render.markup import MarkupError, render_markdown

_INLINE_MATH = re.compile(r"\\\((.+?)\\\)", re.DOTALL)
_DISPLAY_MATH = re.compile(r"\\\[(.+?)\\\]", re.DOTALL)
_BOLD = {"b", "strong"}
_ITALIC = {"i", "em"}
_BLOCKS = {"p", "div", "ul", "ol", "li", "blockquote", "pre", "table", "figure", "details", "h1", "h2", "h3", "h4",
           "h5", "h6", "hr"}  # fmt: skip
_VOID = {"br", "hr", "img", "wbr", "input", "meta", "link"}


@dataclass
class Node:
    tag: str  # "" for text
    attrs: list[tuple[str, str | None]] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    text: str = ""


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, attrs)
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return  # an end tag without a start tag is dropped

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(Node("", text=data))


def parse_html(source: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(source)
    builder.close()
    return builder.root


def start_tag(node: Node) -> str:
    attrs = "".join(f' {k}="{html.escape(v or "", quote=True)}"' if v is not None else f" {k}" for k, v in node.attrs)
    return f"<{node.tag}{attrs}>"


def raw_html(node: Node) -> str:
    """A node written back as HTML (used for what has no Markdown spelling)."""
    if not node.tag:
        return html.escape(node.text, quote=False)
    if node.tag == "#root":
        return "".join(raw_html(child) for child in node.children)
    inner = "".join(raw_html(child) for child in node.children)
    return start_tag(node) if node.tag in _VOID else f"{start_tag(node)}{inner}</{node.tag}>"


# ---------------------------------------------------------------- Markdown writing


_ESCAPE = re.compile(r"([\\`*_\[\]<])")
_LINE_START = re.compile(r"(?m)^(\s*)([#>+-]|\d+\.)(?=\s|$)")


def math_to_dollars(text: str) -> str:
    """`\\(x\\)` -> `$x$` and `\\[x\\]` -> `$$x$$` (display first, so nothing is read twice)."""
    text = _DISPLAY_MATH.sub(lambda m: f"$${m.group(1).strip()}$$", text)
    return _INLINE_MATH.sub(lambda m: f"${m.group(1).strip()}$", text)


def _escape_text(text: str) -> str:
    text = _ESCAPE.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


class _Writer:
    def __init__(self, escape: bool, keep_inline_html: bool) -> None:
        self.escape, self.keep_inline_html = escape, keep_inline_html

    def text(self, raw: str) -> str:
        """A text node: math cut out and written with dollars, everything else escaped if asked."""
        pieces = re.split(r"(\\\[.+?\\\]|\\\(.+?\\\))", raw, flags=re.DOTALL)
        out = []
        for index, piece in enumerate(pieces):
            if index % 2:
                out.append(math_to_dollars(piece))
            else:
                out.append(_escape_text(piece) if self.escape else piece)
        return "".join(out)

    def inline(self, nodes: list[Node]) -> str:
        out = []
        for node in nodes:
            tag = node.tag
            if not tag:
                out.append(self.text(node.text))
            elif tag == "br":
                out.append("  \n")
            elif self.keep_inline_html and tag in _BOLD | _ITALIC:
                out.append(f"{start_tag(node)}{self.inline(node.children)}</{tag}>")
            elif tag in _BOLD:
                out.append(f"**{self.inline(node.children)}**")
            elif tag in _ITALIC:
                out.append(f"*{self.inline(node.children)}*")
            elif tag == "code" and all(not child.tag for child in node.children):
                code = "".join(child.text for child in node.children)
                fence = "``" if "`" in code else "`"
                out.append(f"{fence}{code}{fence}")
            elif tag == "a" and dict(node.attrs).get("href"):
                out.append(f"[{self.inline(node.children)}]({dict(node.attrs)['href']})")
            elif tag in _BLOCKS:
                out.append(self.blocks(node.children).replace("\n\n", "  \n"))
            else:
                out.append(raw_html(node))
        text = "".join(out)
        return text.replace("  \n\n", "\n\n")

    def blocks(self, nodes: list[Node]) -> str:
        """Block-level content: paragraphs and lists separated by blank lines; loose inline runs joined."""
        parts: list[str] = []
        run: list[Node] = []

        def flush() -> None:
            if run and not all(not n.tag and not n.text.strip() for n in run):
                parts.append(self.inline(run).strip("\n"))
            run.clear()

        for node in nodes:
            if node.tag in ("p", "div"):
                flush()
                parts.append(self.inline(node.children).strip("\n"))
            elif node.tag in ("ul", "ol"):
                flush()
                parts.append(self.listing(node))
            elif node.tag in ("blockquote", "pre", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "figure",
                              "details"):  # fmt: skip
                flush()
                parts.append(raw_html(node))
            else:
                run.append(node)
        flush()
        return "\n\n".join(part for part in parts if part.strip())

    def listing(self, node: Node) -> str:
        lines = []
        items = [child for child in node.children if child.tag == "li"]
        for number, item in enumerate(items, start=1):
            marker = f"{number}." if node.tag == "ol" else "-"
            body = self.blocks(item.children).replace("\n", "\n" + " " * (len(marker) + 1))
            lines.append(f"{marker} {body}")
        return "\n".join(lines)


def _candidates(source: str) -> list[str]:
    """Plain Markdown, escaped Markdown, escaped with inline tags kept: in that order (the second is the fallback)."""
    tree = parse_html(source)
    return [_Writer(escape, keep).blocks(tree.children).strip() for escape, keep in
            ((False, False), (True, False), (True, True))]  # fmt: skip


_SAME_EMPHASIS = (("<b>", "<strong>"), ("</b>", "</strong>"), ("<i>", "<em>"), ("</i>", "</em>"))


def _emphasis_as_markdown_writes_it(text: str) -> str:
    for old, new in _SAME_EMPHASIS:
        text = text.replace(old, new)
    return text


def _renders_to(markdown: str, source: str) -> bool:
    try:
        return source in (render_markdown(markdown, "mathjax"), render_markdown(markdown, "mathjax", True))
    except MarkupError:
        return False


def html_to_markdown(source: str) -> str:
    """HTML -> Markdown: the first Markdown spelling that renders back to the same HTML (`<b>`, `<i>` counting as
    `<strong>`, `<em>`), else inline tags kept if that renders back exactly, else the safely escaped Markdown."""
    source = source.strip()
    if not source:
        return ""
    plain, escaped, tagged = _candidates(source)
    same = _emphasis_as_markdown_writes_it(source)
    for candidate in (plain, escaped):
        if _renders_to(candidate, source) or _renders_to(candidate, same):
            return candidate
    return tagged if _renders_to(tagged, source) else escaped


def plain_to_markdown(text: str) -> str:
    """A plain-text field (no HTML) that may hold `\\(...\\)` math: math to dollars, the rest left as it is."""
    return math_to_dollars(text.strip())
