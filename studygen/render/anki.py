"""The Anki renderer: a checked course -> {path under anki/: bytes}.

- `<course>.apkg`: every topic, one deck each, named `Course::Subject::Topic`;
- `topics/<topic>.apkg`: one topic's deck alone;
- `text/<topic>.tsv`: the same deck for Anki's text import.

Notes come from the topic's study cards (studygen.render.cards) and practice questions (studygen.render.anki_notes
says what each question type becomes). A note's identity (guid) comes from the course id, the topic id and the
card's stable id, never from its text, so edits update the learner's note in place. Modification times come from
`times` (see studygen.render.anki_inputs), so that re-imports update exactly when content changed and rebuilds
give identical bytes. Figures travel as media when their bytes are passed in `figures`, by figure id.

Pure: reads nothing from disk except our card templates (and the decks in `stored`), and writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from studygen.content.graph import CourseGraph, recorded_reads
from studygen.content.model import Topic
from studygen.render.anki_inputs import ContentTimes
from studygen.render.anki_models import NOTE_FORMAT_TIME
from studygen.render.anki_notes import Media, NoteMaker, md
from studygen.render.anki_package import DeckContent, build_apkg
from studygen.render.anki_text import deck_tsv
from studygen.render.cards import study_cards
from studygen.render.deck_cache import DeckStore
from studygen.render.i18n import course_messages
from studygen.render.output_cache import (
    Fingerprint,
    OutputCache,
    PlanRecord,
    code_digest,
    folder_digest,
    kept_or_rendered,
)
from studygen.render.theme import theme_dir


def render_anki(
    graph: CourseGraph,
    times: ContentTimes | Mapping[str, int],
    figures: Mapping[str, bytes] | None = None,
    previous: OutputCache | None = None,
    stored: DeckStore | None = None,
) -> dict[str, bytes]:
    """Every Anki output. `times`: topic id -> seconds of its last change; `figures`: figure id -> image bytes;
    `previous`: the last build's packages, kept where their decks are the same (studygen.render.output_cache);
    `stored`: decks made by earlier builds, by fingerprint (studygen.render.deck_cache)."""
    if not isinstance(times, ContentTimes):
        times = ContentTimes(dict(times), "given")
    media = Media.from_figures(graph, figures or {})
    fingerprint = Fingerprint({})
    signatures = _time_signatures(times)
    decks = [
        _deck(graph, topic, media, times, signatures.get(topic.id, ""), previous, fingerprint, stored)
        for topic in _catalogue_order(graph)
    ]
    decks = [deck for deck in decks if deck.notes]
    outputs: dict[str, bytes] = {}
    if not decks:
        return outputs
    hint = course_messages(graph).text("quiz.hint")
    # A package is made from its decks, its media and our note types (code and the theme's anki/ files) alone.
    frame = f"{code_digest()}\0{folder_digest(theme_dir() / 'anki')}\0{hint}"
    course_time = max(deck.time for deck in decks)
    course_media = {name: media.data[name] for name in sorted({name for deck in decks for name in deck.media})}

    def course_package() -> dict[str, bytes]:
        return {f"{graph.course.id}.apkg": build_apkg([deck.content() for deck in decks], course_media, course_time)}

    key = fingerprint.of(frame, [deck.fingerprint for deck in decks], course_media, course_time) if previous else ""
    outputs.update(kept_or_rendered(previous, f"anki/{graph.course.id}.apkg", key, "anki/", course_package))
    for deck in decks:
        deck_media = {name: media.data[name] for name in deck.media}

        def topic_files(deck: _Deck = deck, deck_media: dict[str, bytes] = deck_media) -> dict[str, bytes]:
            content = deck.content()
            return {
                f"topics/{content.key}.apkg": build_apkg([content], deck_media, content.time),
                f"text/{content.key}.tsv": deck_tsv(content.name, content.notes, hint),
            }

        key = fingerprint.of(frame, deck.fingerprint, deck_media) if previous else ""
        outputs.update(kept_or_rendered(previous, f"anki/topics/{deck.topic.id}", key, "anki/", topic_files))
    return outputs


@dataclass
class _Deck:
    """A topic's deck as the packages' keys see it; its content is made when a package is rendered (or was made to
    fingerprint it). A rebuild takes the fingerprint, time and media of a deck whose inputs are unchanged from the
    last build's records, and makes the deck only if a package that holds it is rendered again."""

    topic: Topic
    fingerprint: str
    time: int
    media: tuple[str, ...]  # the media file names its notes reference, sorted
    notes: int
    make: Callable[[], DeckContent]
    made: DeckContent | None = None

    def content(self) -> DeckContent:
        if self.made is None:
            self.made = self.make()
        return self.made


def _deck(
    graph: CourseGraph,
    topic: Topic,
    media: Media,
    times: ContentTimes,
    signature: str,
    previous: OutputCache | None,
    fingerprint: Fingerprint,
    stored: DeckStore | None = None,
) -> _Deck:
    """A topic's deck: from the last build's records if the topic, the topics it reads (link titles) and its times
    are unchanged (under the same frame: code, course settings, figures), else made now and recorded. The content
    of a deck from the records comes from `stored` when a package needs it, or is made then."""
    unit, inputs = f"deck:{topic.id}", {"@times": signature}
    make = partial(topic_deck, graph, topic, media, times)
    record = previous.kept_plan(unit, inputs) if previous else None
    if record is not None and previous is not None:
        previous.keep_plan(unit, record)  # still true for the next build
        print_, time, names, notes = record.rows[0]
        if stored is not None:
            stored.keep(print_)
            make = partial(_stored_or_made, stored, print_, make)
        return _Deck(topic, print_, int(time), tuple(names.split("\n")) if names else (), int(notes), make)
    with recorded_reads() as reached:
        content = make()
    names = tuple(sorted({name for note in content.notes for name in note.media}))
    deck = _Deck(topic, fingerprint.of(content) if previous else "", content.time, names, len(content.notes), make,
                 content)  # fmt: skip
    if stored is not None and previous is not None:
        stored.put(deck.fingerprint, content)
    if previous is not None:
        row = [deck.fingerprint, str(deck.time), "\n".join(names), str(deck.notes)]
        previous.keep_plan(unit, PlanRecord({**previous.digests_of(reached | {topic.id}), **inputs}, [row]))
    return deck


def _stored_or_made(stored: DeckStore, fingerprint: str, make: Callable[[], DeckContent]) -> DeckContent:
    content = stored.get(fingerprint)
    if content is None:
        content = make()
        stored.put(fingerprint, content)
    return content


def _time_signatures(times: ContentTimes) -> dict[str, str]:
    """Each topic's times (its own and its notes'), as one string that changes when any of them does."""
    parts: dict[str, list[str]] = {topic_id: [] for topic_id in times.topics}
    for (topic_id, field_path), time in times.parts.items():
        parts.setdefault(topic_id, []).append(f"{field_path}={time}")
    return {topic_id: f"{times.topics.get(topic_id)};{times.source};" + ";".join(sorted(found))
            for topic_id, found in parts.items()}  # fmt: skip


def topic_deck(graph: CourseGraph, topic: Topic, media: Media, times: ContentTimes) -> DeckContent:
    """One topic's deck: its study cards, then its practice questions. Each note is as new as its source lines."""
    maker = NoteMaker(graph, topic, media)
    notes = [maker.card_note(card) for card in study_cards(graph, topic)]
    notes += [maker.question_note(question, index) for index, question in enumerate(topic.questions)]
    description = md(topic.definition) + f"<p>{maker.link}</p>"
    note_times = tuple(max(times.of_part(topic.id, note.source), NOTE_FORMAT_TIME) for note in notes)
    return DeckContent(
        topic.id,
        deck_id(graph.course.id, topic.id),
        deck_name(graph, topic),
        description,
        tuple(notes),
        max([times.of(topic.id), NOTE_FORMAT_TIME, *note_times]),
        note_times,
    )


def deck_name(graph: CourseGraph, topic: Topic) -> str:
    """`Course::Subject::Topic`. Anki matches decks by name: renaming one leaves existing cards where they are."""
    _, subject = graph.subject(topic.subject)
    return "::".join(_deck_part(title) for title in (graph.course.title, subject.title, topic.title))


def deck_id(course_id: str, topic_id: str) -> int:
    """A fixed deck id (Anki goes by the deck's name, but the package needs an id)."""
    digest = hashlib.sha256(f"studygen-deck:{course_id}:{topic_id}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def _deck_part(title: str) -> str:
    return " ".join(title.replace("::", ":").split())


def _catalogue_order(graph: CourseGraph) -> list[Topic]:
    """Topics in catalogue order (category, subject), then by id: the order new cards are shown in."""
    subjects = [s.id for c in graph.course.categories for s in c.subjects]
    return sorted(graph.topics, key=lambda t: (subjects.index(t.subject), t.id))
