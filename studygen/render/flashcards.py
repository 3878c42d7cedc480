"""Flashcard pages (`topics/<id>/flashcards.html`): the topic's study cards, interactive in the browser.

The cards are the shared study-card set of `studygen.render.cards` (authored cards plus cards derived from the
definition and the takeaways), so the site and the Anki deck always hold the same cards. The page lists every
card (works without JavaScript, prints, and is what search indexes); `static/flashcards.js` turns the list into
a trainer: flip, next and previous, shuffle, "I knew it" / "again", with progress kept in localStorage.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup

from studygen.content.graph import CourseGraph
from studygen.content.model import Topic
from studygen.render.cards import StudyCard, study_cards
from studygen.render.guide import figure_html
from studygen.render.i18n import Messages, course_messages
from studygen.render.markup import plain_text, render_markdown
from studygen.render.pages import Page, topic_crumbs, topic_path

FLASHCARDS_FILE = "flashcards.html"


# The catalogue key of each derived card's label (authored cards are labelled `card.kind.card`).
KIND_LABELS = {
    "definition": "card.kind.definition",
    "takeaway": "card.kind.takeaway",
    "prerequisite": "card.kind.prerequisite",
    "next": "card.kind.next",
}
_CLOZE = re.compile(r"\{\{c(\d+)::(.+?)\}\}", re.DOTALL)
_GAP_OPEN, _GAP_CLOSE, _GAP_EMPTY = "CLOZEGAPOPENX", "CLOZEGAPCLOSEX", "CLOZEGAPEMPTYX"


@dataclass(frozen=True)
class CardView:
    """One card as the page shows it: sanitised HTML for both sides, plain text for search.

    A reversed study card is shown twice (forwards and backwards) and a cloze card once per deletion number,
    as Anki makes one card of each: the page and the deck hold the same cards.
    """

    id: str  # unique within the topic; the DOM id is `card-<id>`
    kind: str  # a label such as "Definition" or "Cloze 1", in the course's language
    front: Markup
    back: Markup
    front_text: str
    back_text: str


def topic_cards(graph: CourseGraph, topic: Topic, here: str = "") -> list[CardView]:
    """The topic's cards, expanded as Anki expands them, ready for a page in the folder `here`."""
    views: list[CardView] = []
    m = course_messages(graph)
    for card in study_cards(graph, topic):
        figure = _card_figure(graph, card, here)
        if card.kind == "cloze":
            for number in card.cloze_numbers:
                front, back = _cloze_sides(card.text, number)
                extra = f"\n\n{card.extra}" if card.extra else ""
                label = m.text("card.kind.cloze", number=number)
                views.append(_view(f"{card.id}:c{number}", label, front, back + extra, figure))
            continue
        views.append(_view(card.id, _label(card, m), card.front, card.back, figure))
        if card.kind == "reversed":
            views.append(_view(f"{card.id}:reverse", m.text("card.kind.reversed"), card.back, card.front, figure))
    return views


def card_counts(graph: CourseGraph, topic: Topic) -> dict[str, int]:
    """What the library shows for a topic: how many study cards (as Anki counts them) and practice questions."""
    cards = 0
    for card in study_cards(graph, topic):
        cards += len(card.cloze_numbers) if card.kind == "cloze" else 2 if card.kind == "reversed" else 1
    return {"cards": cards, "questions": len(topic.questions)}


def _label(card: StudyCard, messages: Messages) -> str:
    return messages.text(KIND_LABELS.get(card.origin, "card.kind.card"))


def _view(card_id: str, kind: str, front: str, back: str, figure: str) -> CardView:
    return CardView(
        card_id,
        kind,
        Markup(_gaps(render_markdown(front, "mathml")) + figure),
        Markup(_gaps(render_markdown(back, "mathml"))),
        _gaps_text(plain_text(front)),
        _gaps_text(plain_text(back)),
    )


def _cloze_sides(text: str, number: int) -> tuple[str, str]:
    """Markdown of the question (deletion `number` hidden, the others shown) and of the answer (it highlighted)."""

    def side(answer: bool) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            shown, _, hint = match.group(2).partition("::")
            if int(match.group(1)) != number:
                return shown
            if answer:
                return f"{_GAP_OPEN}{shown}{_GAP_CLOSE}"
            return f"{_GAP_OPEN}{hint or _GAP_EMPTY}{_GAP_CLOSE}"

        return replace

    return _CLOZE.sub(side(False), text), _CLOZE.sub(side(True), text)


def _gaps(html: str) -> str:
    """Markers of a cloze gap -> a highlighted span (inserted after sanitising; the markers are plain letters)."""
    html = html.replace(_GAP_EMPTY, "[…]")
    return html.replace(_GAP_OPEN, '<span class="cloze-gap">').replace(_GAP_CLOSE, "</span>")


def _gaps_text(text: str) -> str:
    return text.replace(_GAP_EMPTY, "[…]").replace(_GAP_OPEN, "").replace(_GAP_CLOSE, "")


def _card_figure(graph: CourseGraph, card: StudyCard, here: str) -> str:
    if card.figure is None:
        return ""
    return figure_html(graph, graph.figure(card.figure), None, here)


def flashcard_paths(graph: CourseGraph, topic: Topic) -> list[str]:
    """The path of the topic's flashcard page, known without planning it (none if it has no cards)."""
    return [topic_path(topic.id, FLASHCARDS_FILE)] if card_counts(graph, topic)["cards"] else []


def plan_topic_flashcards(graph: CourseGraph, topic: Topic) -> list[Page]:
    """The topic's flashcard page (none if it has no cards)."""
    path = topic_path(topic.id, FLASHCARDS_FILE)
    cards = topic_cards(graph, topic, posixpath.dirname(path))
    if not cards:
        return []
    category, subject = graph.subject(topic.subject)
    m = course_messages(graph)
    return [
        Page(
            path,
            "flashcards.html",
            m.text("flashcards.title", topic=topic.title),
            m.text("flashcards.description", count=len(cards), topic=topic.title),
            {
                "topic": topic,
                "subject": subject,
                "category": category,
                "cards": cards,
                "storage_key": f"studygen:{graph.course.id}:cards:{topic.id}",
            },
            topic_crumbs(graph, topic),
        )
    ]
