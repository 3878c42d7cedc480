"""Markdown and math rendering: safe output, MathML for the site, MathJax delimiters for Anki."""

from __future__ import annotations

from bs4 import BeautifulSoup
from hypothesis import example, given
from hypothesis import strategies as st

from studygen.render import markup
from studygen.render.markup import find_formulas, plain_text, render_markdown


def parse(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def test_raw_html_and_script_links_do_not_survive() -> None:
    html = render_markdown(
        '<script>alert(1)</script> <img src="x" onerror="alert(1)"> [a](javascript:alert(1)) '
        '<a href="#" onclick="alert(1)">b</a> [ok](https://example.org)'
    )
    page = parse(html)
    assert page.find("script") is None
    assert all(not attr.startswith("on") for tag in page.find_all(True) for attr in tag.attrs)
    hrefs = [a.get("href") for a in page.find_all("a")]
    assert "https://example.org" in hrefs
    assert not any(h and h.startswith("javascript:") for h in hrefs)


def test_math_becomes_mathml_and_markdown_leaves_it_alone() -> None:
    page = parse(render_markdown(r"The unit $x_{l+1} = x_l + F(x_l)$ has *no* parameters."))
    math = page.find("math")
    assert math["display"] == "inline"
    assert math.find("msub") is not None
    assert page.find("em").get_text() == "no"  # emphasis outside math still works


def test_display_math_is_a_block_not_inside_a_paragraph() -> None:
    page = parse(render_markdown(r"$$\sum_{i=l}^{L-1} F(x_i)$$"))
    math = page.find("math")
    assert math["display"] == "block" and math.parent.name != "p"
    assert math.find("munderover") is not None


def test_text_inside_formulas_is_sanitised() -> None:
    page = parse(render_markdown(r"$\text{<script>alert(1)</script>}$"))
    assert page.find("script") is None and page.find("math") is not None


def test_dollars_in_code_and_prices_are_not_math() -> None:
    assert find_formulas("costs $5 and $10 in `$a$` code") == []
    assert find_formulas(r"a $x$ and $$y$$") == [("y", True), ("x", False)]


def test_mathjax_mode_keeps_tex_with_anki_delimiters() -> None:
    html = render_markdown(r"inline $a < b_{i}$ and $$\frac{a}{b}$$", math="mathjax")
    assert r"\(a &lt; b_{i}\)" in html and r"\[\frac{a}{b}\]" in html
    assert "<math" not in html


def test_plain_text_for_metadata() -> None:
    assert plain_text("Some **bold** and <b>tags</b>") == "Some bold and tags"


def test_text_that_looks_like_our_math_placeholder_is_kept_as_written() -> None:
    # Formulas wait in the Markdown as numbered placeholders; a text that spells one out must not crash the build.
    assert render_markdown("see MATHTOKEN7X here") == "<p>see MATHTOKEN7X here</p>"
    assert render_markdown("MATHTOKEN3X", math="mathjax", inline=True) == "MATHTOKEN3X"


def test_one_text_in_both_math_modes_and_inline_gives_each_its_own_output() -> None:
    # The Markdown is converted once and shared; the formulas and the <p> wrapper still follow each call.
    text = r"Gain $\lambda^n$ grows."
    site, deck = render_markdown(text), render_markdown(text, math="mathjax")
    assert "<math" in site and r"\(\lambda^n\)" not in site
    assert r"\(\lambda^n\)" in deck and "<math" not in deck
    assert render_markdown(text, inline=True) == site.removeprefix("<p>").removesuffix("</p>")


# Words and punctuation that Markdown leaves alone, and pieces that it reads (emphasis, code, links, HTML, entities,
# math, headings, lists, tables, escapes, quotes, breaks), mixed at random.
_PIECES = ["word", "Word", "x", "42", "3.14", "e.g.", "(a)", "x=y", "a/b", "100%", "@name", '"quoted"', "it's",
           "Why?", "Yes!", "A:", "1.", "2)", "*b*", "**c**", "_d_", "`e`", "[f](g)", "<h>", "&amp;", "$x$", "#",
           "|", "~~~", "\\*", "-", "+", ">", "\n"]  # fmt: skip


@given(
    st.sampled_from(["A", "Word", "x", "1.", "-", "#"]),
    st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from([" ", "", "  "])), max_size=10),
)
@example("Note: see (a) and (b), 100% sure; x = y / 2!", [])
@example("Said", [('"why?"', " "), ("and 'how'", "")])
def test_plain_text_skips_markdown_only_where_markdown_would_change_nothing(
    first: str, rest: list[tuple[str, str]]
) -> None:
    """A one-line text of letters, digits and harmless punctuation skips python-markdown (`markup._PLAIN`): every
    text must come out as python-markdown itself makes it, whichever way it went."""
    text = first + "".join(separator + piece for piece, separator in rest)
    markup._converter.reset()
    by_markdown = markup._converter.convert(text)
    converted, formulas = markup._converted(text)
    if "$" not in text:  # no formula to cut out first: exactly what python-markdown gives
        assert (converted, formulas) == (by_markdown, ())
