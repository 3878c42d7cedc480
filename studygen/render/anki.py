"""The Anki renderer: a checked course -> {path under anki/: bytes}.

- `<course>.apkg`: every topic, one deck each, named `Course::Subject::Topic`;
- `topics/<topic>.apkg`: one topic's deck alone;
- `text/<topic>.tsv`: the same deck for Anki's text import.

Notes come from the topic's study cards (studygen.render.cards) and practice questions (studygen.render.anki_notes
says what each question type becomes). A note's identity (guid) comes from the course id, the topic id and the
card's stable id, never from its text, so edits update the learner's note in place. Modification times come from
`times` (see studygen.render.anki_inputs), so that re-imports update exactly when content changed and rebuilds
give identical bytes. Figures travel as media when their bytes are passed in `figures`, by figure id.

Pure: reads nothing from disk except our card templates, and writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from studygen.content.graph import CourseGraph
from studygen.content.model import Topic
from studygen.render.anki_inputs import ContentTimes
from studygen.render.anki_models import NOTE_FORMAT_TIME
from studygen.render.anki_notes import Media, NoteMaker, md
from studygen.render.anki_package import DeckContent, build_apkg
from studygen.render.anki_text import deck_tsv
from studygen.render.cards import study_cards
from studygen.render.i18n import course_messages
from studygen.render.output_cache import Fingerprint, OutputCache, code_digest, folder_digest, kept_or_rendered
from studygen.render.theme import theme_dir


def render_anki(
    graph: CourseGraph,
    times: ContentTimes | Mapping[str, int],
    figures: Mapping[str, bytes] | None = None,
    previous: OutputCache | None = None,
) -> dict[str, bytes]:
    """Every Anki output. `times`: topic id -> seconds of its last change; `figures`: figure id -> image bytes;
    `previous`: the last build's packages, kept where their decks are the same (studygen.render.output_cache)."""
    if not isinstance(times, ContentTimes):
        times = ContentTimes(dict(times), "given")
    media = Media.from_figures(graph, figures or {})
    decks = [topic_deck(graph, topic, media, times) for topic in _catalogue_order(graph)]
    decks = [deck for deck in decks if deck.notes]
    outputs: dict[str, bytes] = {}
    if not decks:
        return outputs
    hint = course_messages(graph).text("quiz.hint")
    # A package is made from its decks, its media and our note types (code and the theme's anki/ files) alone.
    fingerprint = Fingerprint({})
    frame = f"{code_digest()}\0{folder_digest(theme_dir() / 'anki')}\0{hint}"
    course_time = max(deck.time for deck in decks)
    course_media = _media_of(decks, media)

    def course_package() -> dict[str, bytes]:
        return {f"{graph.course.id}.apkg": build_apkg(decks, course_media, course_time)}

    # Each deck fingerprinted once, for its own package and (by that fingerprint) for the course's.
    deck_prints = [fingerprint.of(deck) for deck in decks] if previous else [""] * len(decks)
    key = fingerprint.of(frame, deck_prints, course_media, course_time) if previous else ""
    outputs.update(kept_or_rendered(previous, f"anki/{graph.course.id}.apkg", key, "anki/", course_package))
    for deck, deck_print in zip(decks, deck_prints, strict=True):
        deck_media = _media_of([deck], media)

        def topic_files(deck: DeckContent = deck, deck_media: dict[str, bytes] = deck_media) -> dict[str, bytes]:
            return {
                f"topics/{deck.key}.apkg": build_apkg([deck], deck_media, deck.time),
                f"text/{deck.key}.tsv": deck_tsv(deck.name, deck.notes, hint),
            }

        key = fingerprint.of(frame, deck_print, deck_media) if previous else ""
        outputs.update(kept_or_rendered(previous, f"anki/topics/{deck.key}", key, "anki/", topic_files))
    return outputs


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


def _media_of(decks: list[DeckContent], media: Media) -> dict[str, bytes]:
    """Only the media files these decks' notes reference, so Anki's media check finds nothing unused."""
    used = {name for deck in decks for note in deck.notes for name in note.media}
    return {name: media.data[name] for name in sorted(used)}
