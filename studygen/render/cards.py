"""The study cards of a topic: its authored flashcards plus cards derived from its structure.

This is the one definition of "the cards of a topic". The Anki renderer turns the cards into notes; the site's
flashcard page shows the same cards. Nothing here knows about Anki or HTML: texts stay Markdown (math as
`$...$`), so each consumer renders them its own way (MathML on the site, MathJax delimiters in Anki).

Derived cards (on unless a topic sets `derived_cards: false`):

- the definition: "What is <title>?" -> the definition;
- each key takeaway: its one-line claim -> its explanation (tagged with its importance);
- each prerequisite that gives a reason (`why`): "Why learn <prerequisite> before <topic>?" -> the reason;
- each next step, unless the next topic already asks the same question as its own prerequisite card:
  "Why study <next> after <topic>?" -> the reason.

Every card has an `id` that is stable across edits of its text; Anki derives a note's identity from it, so an
edited card updates the learner's note in place instead of creating a new one. Authored cards use the author's
id. Derived cards use ids with a colon (`derived:definition`, `derived:takeaway:<slug>`, ...), which an authored
slug can never contain, so the two kinds can never collide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from studygen.content.graph import CourseGraph
from studygen.content.model import BasicCard, ClozeCard, NextStep, Prerequisite, ReversedCard, Topic
from studygen.render.i18n import course_messages

CardKind = Literal["basic", "reversed", "cloze"]
CardOrigin = Literal["authored", "definition", "takeaway", "prerequisite", "next"]

TAG_ROOT = "studygen"
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.DOTALL)
_NON_WORD = re.compile(r"[^a-z0-9]+")
_SLUG_WORDS = 8  # a derived id keeps the first words of its source: edits further on leave the id alone


@dataclass(frozen=True)
class StudyCard:
    """One study card. Texts are Markdown with `$...$` math; which of them are set depends on `kind`.

    - `basic`: `front` asks, `back` answers.
    - `reversed`: like basic, and also asked the other way round (`back` -> `front`).
    - `cloze`: `text` holds deletions `{{c1::...}}` (one card per number); `extra` is shown on every answer.
    """

    id: str  # stable within the topic: the authored id, or `derived:...` for derived cards
    kind: CardKind
    origin: CardOrigin  # where it came from: an authored flashcard, or which part of the topic it was derived from
    front: str = ""
    back: str = ""
    text: str = ""
    extra: str = ""
    tags: tuple[str, ...] = ()  # hierarchical tags, e.g. `studygen::machine-learning::identity-mapping`
    figure: str | None = None  # a figure id of the course, shown with the card
    importance: str | None = None  # `high`/`medium`/`low` where the source says so
    source: tuple[str | int, ...] = ()  # the part of the topic file it comes from, e.g. ("flashcards", 3)

    @property
    def derived(self) -> bool:
        return self.origin != "authored"

    @property
    def cloze_numbers(self) -> tuple[int, ...]:
        """The deletion numbers of a cloze card, ascending (each becomes one Anki card)."""
        return tuple(sorted({int(n) for n in re.findall(r"\{\{c(\d+)::", self.text)}))


def topic_tag(graph: CourseGraph, topic: Topic) -> str:
    """The tag that places a card in the tag tree: `studygen::<subject>::<topic>`."""
    return f"{TAG_ROOT}::{topic.subject}::{topic.id}"


def card_tags(
    graph: CourseGraph, topic: Topic, kind: str, extra: tuple[str, ...] = (), importance: str | None = None
) -> tuple[str, ...]:
    """The tags every card of a topic carries, plus its own: root, subject/topic, importance, kind, author tags."""
    tags = [TAG_ROOT, topic_tag(graph, topic), f"{TAG_ROOT}::kind::{kind}"]
    if importance:
        tags.append(f"{TAG_ROOT}::importance::{importance}")
    tags += [f"{TAG_ROOT}::tag::{tag}" for tag in extra]
    return tuple(dict.fromkeys(tags))  # drop repeats, keep order


def study_cards(graph: CourseGraph, topic: Topic) -> list[StudyCard]:
    """The cards of one topic: authored flashcards in file order, then derived cards (unless turned off)."""
    cards = [_authored(graph, topic, card, index) for index, card in enumerate(topic.flashcards)]
    if topic.derived_cards:
        cards += derived_cards(graph, topic)
    return cards


def derived_cards(graph: CourseGraph, topic: Topic) -> list[StudyCard]:
    """The cards made from a topic's definition, takeaways and links (whether or not the topic turns them off).
    Their prompts are worded in the course's language (`cards.*` in the message catalogue)."""
    m = course_messages(graph)
    cards = [
        StudyCard(
            id="derived:definition",
            kind="basic",
            origin="definition",
            front=m.text("cards.definition", topic=topic.title),
            back=topic.definition,
            tags=card_tags(graph, topic, "basic", ("derived",), "high"),
            importance="high",
            source=("definition",),
        )
    ]
    seen: set[str] = set()
    for index, takeaway in enumerate(topic.takeaways):
        # A takeaway has no id of its own (yet): its identity is the start of its claim.
        key = _unique(getattr(takeaway, "id", None) or slug(takeaway.title), seen)
        cards.append(
            StudyCard(
                id=f"derived:takeaway:{key}",
                kind="basic",
                origin="takeaway",
                front=m.text("cards.takeaway", topic=topic.title, claim=takeaway.title),
                back=takeaway.explanation,
                tags=card_tags(graph, topic, "basic", ("derived",), takeaway.importance),
                importance=takeaway.importance,
                source=("takeaways", index),
            )
        )
    for index, link in enumerate(topic.prerequisites):
        if link.why:
            cards.append(
                StudyCard(
                    id=f"derived:prerequisite:{_link_key(link)}",
                    kind="basic",
                    origin="prerequisite",
                    front=m.text("cards.prerequisite", prerequisite=_link_title(graph, link), topic=topic.title),
                    back=link.why,
                    tags=card_tags(graph, topic, "basic", ("derived",)),
                    source=("prerequisites", index),
                )
            )
    for index, step in enumerate(topic.learn_next):
        if _asked_by_next_topic(graph, topic, step):
            continue
        cards.append(
            StudyCard(
                id=f"derived:next:{_link_key(step)}",
                kind="basic",
                origin="next",
                front=m.text("cards.next", next=_link_title(graph, step), topic=topic.title),
                back=step.why,
                tags=card_tags(graph, topic, "basic", ("derived",)),
                source=("learn_next", index),
            )
        )
    return cards


def slug(text: str, words: int = _SLUG_WORDS) -> str:
    """A slug of a text's first words, math left out: `Unrolled, a net is a sum: $x$` -> `unrolled-a-net-is-a-sum`."""
    plain = _MATH.sub(" ", text).casefold()
    parts = [part for part in _NON_WORD.split(plain) if part]
    return "-".join(parts[:words]) or "untitled"


def _unique(key: str, seen: set[str]) -> str:
    candidate, n = key, 2
    while candidate in seen:
        candidate, n = f"{key}-{n}", n + 1
    seen.add(candidate)
    return candidate


def _authored(graph: CourseGraph, topic: Topic, card: BasicCard | ReversedCard | ClozeCard, index: int) -> StudyCard:
    tags = card_tags(graph, topic, card.type, tuple(card.tags))
    source = ("flashcards", index)
    if isinstance(card, ClozeCard):
        return StudyCard(
            id=card.id, kind="cloze", origin="authored", text=card.text, extra=card.extra, tags=tags,
            figure=card.figure, source=source,
        )  # fmt: skip
    return StudyCard(
        id=card.id, kind=card.type, origin="authored", front=card.front, back=card.back, tags=tags,
        figure=card.figure, source=source,
    )  # fmt: skip


def _link_key(link: Prerequisite | NextStep) -> str:
    return link.topic if link.topic is not None else slug(link.text or "")


def _link_title(graph: CourseGraph, link: Prerequisite | NextStep) -> str:
    return graph.topic(link.topic).title if link.topic is not None else (link.text or "")


def _asked_by_next_topic(graph: CourseGraph, topic: Topic, step: NextStep) -> bool:
    """True when the next topic lists this one as a prerequisite with a reason: that card already asks it."""
    if step.topic is None or not graph.topic(step.topic).derived_cards:
        return False
    return any(p.topic == topic.id and p.why for p in graph.topic(step.topic).prerequisites)
