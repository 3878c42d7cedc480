"""The Anki packages, imported into fresh collections with the real Anki library (PyPI `anki`)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from studygen.build import build, check
from studygen.content.graph import CourseGraph
from studygen.render.anki import deck_name, render_anki
from studygen.render.anki_inputs import content_times, static_figures
from studygen.render.anki_models import NOTE_FORMAT_TIME, NOTE_TYPES, TEMPLATES_SHA256, templates_digest
from studygen.render.anki_notes import guard_cloze_math, image_extension, note_guid

anki_collection = pytest.importorskip("anki.collection")
Collection = anki_collection.Collection
ImportAnkiPackageRequest = anki_collection.ImportAnkiPackageRequest
ImportAnkiPackageOptions = anki_collection.ImportAnkiPackageOptions

FIXTURE = Path(__file__).parent / "fixtures" / "anki-course"
BUNDLED = Path(__file__).parent.parent / "content"
T0 = 1_800_000_000  # a fixed "last changed" time for the fixture, newer than NOTE_FORMAT_TIME
DECK = "Anki Mini Course::Machine Learning::"


# ---------------------------------------------------------------- helpers


def open_collection(folder: Path) -> Collection:
    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / "collection.anki2"))


def import_apkg(col: Collection, path: Path) -> object:
    request = ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions())
    return col.import_anki_package(request).log


def counts(log: object) -> dict[str, int]:
    return {kind: len(getattr(log, kind)) for kind in ("new", "updated", "duplicate", "conflicting")}


def note_by_field(col: Collection, note_type: str, text: str) -> object:
    found = [col.get_note(nid) for nid in col.find_notes(f'"note:{note_type}"')]
    matches = [note for note in found if text in note.fields[0]]
    assert len(matches) == 1, (text, len(matches))
    return matches[0]


def deck_counts(col: Collection) -> dict[str, tuple[int, int]]:
    """Deck name -> (notes, cards) directly in that deck (not its children)."""
    result = {}
    for deck in col.decks.all_names_and_ids():
        query = f'"deck:{deck.name}" -"deck:{deck.name}::*"'
        result[deck.name] = (len(col.find_notes(query)), len(col.find_cards(query)))
    return {name: value for name, value in result.items() if value != (0, 0)}


# ---------------------------------------------------------------- the fixture course, built once


@pytest.fixture(scope="module")
def graph() -> CourseGraph:
    return check(FIXTURE)[0]


@pytest.fixture(scope="module")
def outputs(graph: CourseGraph) -> dict[str, bytes]:
    return render_anki(graph, {topic.id: T0 for topic in graph.topics}, static_figures(graph))


@pytest.fixture(scope="module")
def col(outputs: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collection]:
    folder = tmp_path_factory.mktemp("anki")
    package = folder / "course.apkg"
    package.write_bytes(outputs["anki-mini.apkg"])
    collection = open_collection(folder / "profile")
    collection.test_log = import_apkg(collection, package)  # type: ignore[attr-defined]
    yield collection
    collection.close()


def test_outputs(outputs: dict[str, bytes]) -> None:
    assert sorted(outputs) == [
        "anki-mini.apkg",
        "text/backpropagation.tsv",
        "text/identity-mapping.tsv",
        "topics/backpropagation.apkg",
        "topics/identity-mapping.apkg",
    ]


def test_counts_per_deck(col: Collection) -> None:
    assert counts(col.test_log) == {"new": 18, "updated": 0, "duplicate": 0, "conflicting": 0}
    # identity-mapping: 4 authored (basic, reversed = 2 cards, cloze c1-c3, cloze c1-c2) + 5 derived
    # + 8 questions (fill-in-the-blanks is one cloze card with every blank) = 17 notes, 21 cards.
    # backpropagation turns derived cards off: its one authored card.
    assert deck_counts(col) == {DECK + "Identity Mapping": (17, 21), DECK + "Backpropagation": (1, 1)}
    assert col.note_count() == 18
    assert col.card_count() == 22


def test_note_types_keep_their_ids_and_fields(col: Collection) -> None:
    # Changing any of these is a deliberate event: see anki_models.py and docs/anki.md.
    pinned = {
        1_598_204_771: ("studygen Basic", ["Front", "Back", "Extra", "Hint", "Figure", "Context", "Link"]),
        1_598_204_772: ("studygen Basic and reversed", ["Front", "Back", "Extra", "Hint", "Figure", "Context", "Link"]),
        1_598_204_773: ("studygen Cloze", ["Text", "Extra", "Hint", "Figure", "Context", "Link"]),
        1_598_204_774: (
            "studygen Multiple choice",
            [
                "Question",
                "Instruction",
                "Options",
                "Answer",
                "Feedback",
                "Explanation",
                "Hint",
                "Figure",
                "Context",
                "Link",
            ],
        ),
    }
    assert {spec.id: (spec.name, list(spec.fields)) for spec in NOTE_TYPES.values()} == pinned
    for model_id, (name, fields) in pinned.items():
        model = col.models.get(model_id)
        assert model is not None and model["name"] == name
        assert [field["name"] for field in model["flds"]] == fields


def test_templates_changes_come_with_a_newer_note_format_time() -> None:
    assert templates_digest() == TEMPLATES_SHA256, (
        "templates/anki/ changed: set NOTE_FORMAT_TIME in anki_models.py to the current time (date +%s) and "
        f"TEMPLATES_SHA256 to {templates_digest()!r}, so that Anki takes the new templates"
    )
    assert T0 > NOTE_FORMAT_TIME


def test_basic_note_fields_tags_figure_and_link(col: Collection) -> None:
    note = note_by_field(col, "studygen Basic", "What does an identity shortcut add")
    assert note.guid == note_guid("anki-mini", "identity-mapping", "card:shortcut-adds")
    assert note["Back"] == "Its input, unchanged."
    assert note["Context"] == "Anki Mini Course › Machine Learning › Identity Mapping"
    assert '<img src="studygen-anki-mini-shortcut-diagram.png"' in note["Figure"]
    assert sorted(note.tags) == sorted(
        [
            "studygen",
            "studygen::machine-learning::identity-mapping",
            "studygen::kind::basic",
            "studygen::tag::architecture",
        ]
    )
    card = note.cards()[0]
    assert "studygen-anki-mini-shortcut-diagram.png" in card.question()
    answer = card.answer()
    assert '<a href="https://example.org/anki-mini/topics/identity-mapping/">' in answer
    assert "Its input, unchanged." in answer


def test_derived_notes(col: Collection) -> None:
    note = note_by_field(col, "studygen Basic", "What is Identity Mapping?")
    assert "studygen::importance::high" in note.tags
    assert r"\(x\)" in note["Back"]
    takeaway = note_by_field(col, "studygen Basic", "Identity shortcuts add no parameters")
    assert takeaway["Back"] == "The shortcut is an element-wise addition."


def test_reversed_note_makes_two_cards(col: Collection) -> None:
    note = note_by_field(col, "studygen Basic and reversed", "x_{l+1}")
    forward, backward = sorted(note.cards(), key=lambda card: card.ord)
    assert r"\(x_{l+1} = x_l + F(x_l, W_l)\)" in forward.question()
    assert "A residual unit with identity shortcut" in backward.question()
    assert r"\(x_{l+1}" not in backward.question().split("sg-prompt")[1]


def test_cloze_note_yields_one_card_per_deletion_and_math_survives(col: Collection) -> None:
    note = note_by_field(col, "studygen Cloze", "Unrolled")
    cards = sorted(note.cards(), key=lambda card: card.ord)
    assert [card.ord for card in cards] == [0, 1, 2]
    first = cards[0]
    assert "[...]" in first.question()
    assert r"\(x_L = x_l +\)" in first.question()
    assert r"\(\sum_{i=l}^{L-1} F(x_i, W_i)\)" in first.answer()
    assert "He et al. (2016), Eq. 4." in first.answer()
    assert "residuals" in cards[1].question() and "[...]" in cards[1].question()


def test_braces_inside_cloze_math_do_not_end_the_deletion(col: Collection) -> None:
    note = note_by_field(col, "studygen Cloze", "direct term")
    cards = sorted(note.cards(), key=lambda card: card.ord)
    assert len(cards) == 2
    assert r"\(\frac{\partial E}{\partial x_{L} }\)" in cards[0].answer()
    assert r"\(\prod_{i}{\lambda_{i} }\)" in cards[1].answer()
    assert "}}" not in cards[0].answer() and "}}" not in cards[1].answer()


def test_guard_cloze_math() -> None:
    assert guard_cloze_math(r"{{c1::\(x_{i_{j}}\)}}") == r"{{c1::\(x_{i_{j} }\)}}"
    assert guard_cloze_math(r"\[\frac{a}{b^{2}}\]") == r"\[\frac{a}{b^{2} }\]"
    assert guard_cloze_math(r"\(\{W_i\}}\)") == r"\(\{W_i\} }\)"
    assert guard_cloze_math(r"\(a::b\)") == r"\(a: :b\)"
    # a deletion written inside a formula keeps its own braces, and TeX braces next to it get a space
    assert guard_cloze_math(r"\(y = {{c1::\frac{a}{b}}}\)") == r"\(y = {{c1::\frac{a}{b} }}\)"
    assert guard_cloze_math("no math {{c1::here}}") == "no math {{c1::here}}"


def test_choice_questions(col: Collection) -> None:
    note = note_by_field(col, "studygen Multiple choice", "How many parameters")
    assert note["Instruction"] == "Choose one answer."
    # the label is part of the field (the card templates hold no words, so one note type serves every language)
    assert note["Answer"] == '<span class="sg-label">Answer</span><br><b>A</b> None'
    card = note.cards()[0]
    assert "One per channel" in card.question() and "✓ right" not in card.question()
    assert "Think about what is learned." in card.question()  # the hint, behind a link
    answer = card.answer()
    assert '<span class="sg-label">Answer</span>' in answer
    assert "✓ right" in answer and "✗ wrong" in answer
    assert "That would be a scaled shortcut." in answer
    assert "It is an addition; nothing is learned." in answer
    several = note_by_field(col, "studygen Multiple choice", "keep the shortcut path")
    assert several["Answer"].count("<b>") == 2 and several["Instruction"] == "Choose every right answer."
    assert r"\(1\times1\)" in several["Options"]
    true_false = note_by_field(col, "studygen Multiple choice", "reduce overfitting")
    assert true_false["Answer"] == '<span class="sg-label">Answer</span><br><b>B</b> False'
    assert "deeper plain networks had higher training error" in true_false["Feedback"]


def test_other_question_types(col: Collection) -> None:
    numeric = note_by_field(col, "studygen Basic", "ResNet-110")
    assert numeric["Back"] == "<b>6.61 % (± 0.05 %)</b>"
    short = note_by_field(col, "studygen Basic", "other common name")
    assert short["Back"] == "<b>skip connection</b><br>Also accepted: skip-connection"
    matching = note_by_field(col, "studygen Basic", "Match each shortcut")
    assert "<table>" in matching["Back"] and r"\(\prod \lambda_i\)" in matching["Back"]
    ordering = note_by_field(col, "studygen Basic", "Order the steps")
    assert ordering["Back"] == "<ol><li>BN</li><li>ReLU</li><li>conv</li></ol>"
    assert "<ul><li>BN</li><li>conv</li><li>ReLU</li></ul>" in ordering["Front"]  # alphabetical, never the answer
    blanks = note_by_field(col, "studygen Cloze", "A residual unit outputs")
    (card,) = blanks.cards()
    assert card.question().count("[...]") == 2
    assert "its input" in card.answer() and "residual" in card.answer()
    assert "the input" in blanks["Extra"]
    assert "studygen::question::fill-blank" in blanks.tags


def test_media_travel_and_check_clean(col: Collection) -> None:
    check_result = col.media.check()
    assert list(check_result.missing) == [] and list(check_result.unused) == []
    stored = Path(col.media.dir()) / "studygen-anki-mini-shortcut-diagram.png"
    assert stored.read_bytes() == (FIXTURE / "figures" / "shortcut.png").read_bytes()


def test_topic_package_holds_only_its_deck_and_media(outputs: dict[str, bytes], tmp_path: Path) -> None:
    package = tmp_path / "topic.apkg"
    package.write_bytes(outputs["topics/backpropagation.apkg"])
    collection = open_collection(tmp_path / "profile")
    try:
        assert counts(import_apkg(collection, package))["new"] == 1
        assert deck_counts(collection) == {DECK + "Backpropagation": (1, 1)}
        assert list(collection.media.check().unused) == []
    finally:
        collection.close()
    with zipfile.ZipFile(io.BytesIO(outputs["topics/backpropagation.apkg"])) as archive:
        assert archive.namelist() == ["collection.anki2", "media"]


def test_missing_figure_bytes_fall_back_to_text(graph: CourseGraph) -> None:
    bare = render_anki(graph, {topic.id: T0 for topic in graph.topics})
    with zipfile.ZipFile(io.BytesIO(bare["anki-mini.apkg"])) as archive:
        assert archive.read("media") == b"{}"


# ---------------------------------------------------------------- reproducibility


def test_same_input_same_bytes(graph: CourseGraph, outputs: dict[str, bytes]) -> None:
    again = render_anki(graph, {topic.id: T0 for topic in graph.topics}, static_figures(graph))
    assert again == outputs
    later = render_anki(graph, {topic.id: T0 + 1 for topic in graph.topics}, static_figures(graph))
    assert later["anki-mini.apkg"] != outputs["anki-mini.apkg"]
    with zipfile.ZipFile(io.BytesIO(outputs["anki-mini.apkg"])) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2027, 1, 15, 8, 0, 0)}  # T0, not the clock


def test_no_temporary_files_are_left(graph: CourseGraph) -> None:
    folder = Path(tempfile.gettempdir())
    before = set(folder.iterdir())
    render_anki(graph, {topic.id: T0 + 7 for topic in graph.topics}, static_figures(graph))
    assert set(folder.iterdir()) - before == set()


def test_source_date_epoch_sets_every_time(graph: CourseGraph) -> None:
    times = content_times(graph, {"SOURCE_DATE_EPOCH": "1800000123"})
    assert set(times.topics.values()) == {1_800_000_123} and times.source == "SOURCE_DATE_EPOCH"
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        content_times(graph, {"SOURCE_DATE_EPOCH": "yesterday"})


def test_image_extension() -> None:
    assert image_extension((FIXTURE / "figures" / "shortcut.png").read_bytes()) == "png"
    assert image_extension(b"\xff\xd8\xff\xe0rest") == "jpg"
    assert image_extension(b'  <svg xmlns="http://www.w3.org/2000/svg"/>') == "svg"


# ---------------------------------------------------------------- updates through real re-imports


def _copy_course(target: Path, when: int) -> Path:
    shutil.copytree(FIXTURE, target)
    for path in target.rglob("*"):
        os.utime(path, (when, when))
    return target


def _edit(path: Path, old: str, new: str, when: int) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, (when, when))


def _anki_build(course: Path) -> dict[str, bytes]:
    """The Anki outputs of a course folder, as `studygen build` makes them (without the rest of the site)."""
    course_graph = check(course)[0]
    times = content_times(course_graph, environ={})  # as if SOURCE_DATE_EPOCH were unset: file times
    return render_anki(course_graph, times, static_figures(course_graph))


def _written(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out / "anki").as_posix(): p.read_bytes() for p in (out / "anki").rglob("*") if p.is_file()}


def test_build_writes_the_packages_and_rebuilds_byte_identically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    course = _copy_course(tmp_path / "course", T0)
    out = tmp_path / "build"
    build(course, out)
    files = _written(out)
    assert files == _anki_build(course)
    build(course, out)
    assert _written(out) == files


def test_edit_rebuild_reimport_updates_in_place_and_keeps_reviews(tmp_path: Path) -> None:
    course = _copy_course(tmp_path / "course", T0)
    first = _anki_build(course)["anki-mini.apkg"]
    assert _anki_build(course)["anki-mini.apkg"] == first  # nothing changed: the same bytes

    col = open_collection(tmp_path / "profile")
    try:
        package = tmp_path / "v1.apkg"
        package.write_bytes(first)
        assert counts(import_apkg(col, package))["new"] == 18
        assert counts(import_apkg(col, package)) == {"new": 0, "updated": 0, "duplicate": 18, "conflicting": 0}

        # Study the card, then edit its text in the course and rebuild.
        note = note_by_field(col, "studygen Basic", "What does an identity shortcut add")
        (card,) = note.cards()
        card.start_timer()
        col.sched.answerCard(card, 3)
        reviewed = col.get_card(card.id)
        assert reviewed.reps == 1
        backprop = note_by_field(col, "studygen Basic", "What does the backward pass compute")

        topic_file = course / "topics" / "identity-mapping.yaml"
        _edit(topic_file, "back: Its input, unchanged.", "back: Its input, unchanged and unweighted.", T0 + 60)
        rebuilt = _anki_build(course)
        second = rebuilt["anki-mini.apkg"]
        assert second != first
        package = tmp_path / "v2.apkg"
        package.write_bytes(second)
        log = import_apkg(col, package)

        # Only the edited topic's notes are newer: they are updated in place (the edited one with its new text,
        # the others rewritten unchanged); the other topic's notes are skipped. Nothing new, no second copy.
        changed = {entry.id.nid for entry in log.updated}
        assert counts(log) == {"new": 0, "updated": 17, "duplicate": 1, "conflicting": 0}
        assert note.id in changed and backprop.id not in changed
        assert col.note_count() == 18
        edited = col.get_note(note.id)
        assert edited["Back"] == "Its input, unchanged and unweighted."
        after = col.get_card(card.id)
        assert (after.reps, after.type, after.queue, after.ivl, after.due) == (
            reviewed.reps,
            reviewed.type,
            reviewed.queue,
            reviewed.ivl,
            reviewed.due,
        )
        assert col.db.scalar("select count() from revlog where cid = ?", card.id) == 1

        # The topic's own package agrees with the course package: nothing newer, nothing to do.
        topic_package = tmp_path / "topic-v2.apkg"
        topic_package.write_bytes(rebuilt["topics/identity-mapping.apkg"])
        assert counts(import_apkg(col, topic_package)) == {"new": 0, "updated": 0, "duplicate": 17, "conflicting": 0}

        # Removing a card: the learner keeps it (Anki never deletes on import) and no other note changes.
        _edit(
            topic_file,
            "  - id: unit-equation\n    type: reversed\n",
            "  - id: unit-equation-gone\n    type: reversed\n",
            T0 + 120,
        )
        package = tmp_path / "v3.apkg"
        package.write_bytes(_anki_build(course)["anki-mini.apkg"])
        fields_before = {nid: col.get_note(nid).fields for nid in col.find_notes("")}
        log = import_apkg(col, package)
        assert counts(log)["new"] == 1  # the renamed card is a new note; the old one stays as it was
        assert col.note_count() == 19
        for nid, fields in fields_before.items():
            assert col.get_note(nid).fields == fields
        assert col.get_card(card.id).reps == 1
    finally:
        col.close()


def test_text_files_import_with_anki(outputs: dict[str, bytes], tmp_path: Path) -> None:
    from anki.collection import ImportCsvRequest

    text = outputs["text/identity-mapping.tsv"].decode()
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header == [
        "#separator:tab",
        "#html:true",
        "#deck:" + DECK + "Identity Mapping",
        "#guid column:1",
        "#notetype column:2",
        "#tags column:5",
        "#columns:guid\tnotetype\tfront\tback\ttags",
    ]
    path = tmp_path / "deck.tsv"
    path.write_bytes(outputs["text/identity-mapping.tsv"])
    col = open_collection(tmp_path / "profile")
    try:
        metadata = col.get_csv_metadata(path=str(path), delimiter=None)
        log = col.import_csv(ImportCsvRequest(path=str(path), metadata=metadata)).log
        assert len(log.new) == 17 and not log.missing_notetype and not log.conflicting
        assert deck_counts(col) == {DECK + "Identity Mapping": (17, 21)}
        guids = {col.get_note(nid).guid for nid in col.find_notes("")}
        assert note_guid("anki-mini", "identity-mapping", "card:shortcut-adds") in guids
        cloze = col.get_note(col.find_notes('"note:Cloze" Unrolled')[0])
        assert len(cloze.cards()) == 3
        assert "studygen::machine-learning::identity-mapping" in cloze.tags
        again = col.import_csv(ImportCsvRequest(path=str(path), metadata=metadata)).log
        assert (len(again.new), len(again.updated), len(again.duplicate)) == (0, 0, 17)  # matched by guid
    finally:
        col.close()


# ---------------------------------------------------------------- the bundled course


def test_bundled_course_imports_cleanly(tmp_path: Path) -> None:
    bundled, _ = check(BUNDLED)
    result = render_anki(bundled, {topic.id: T0 for topic in bundled.topics}, static_figures(bundled))
    package = tmp_path / "bundled.apkg"
    package.write_bytes(result[f"{bundled.course.id}.apkg"])
    col = open_collection(tmp_path / "profile")
    try:
        log = import_apkg(col, package)
        per_deck = deck_counts(col)
        print("\nbundled course:", counts(log), f"{col.note_count()} notes, {col.card_count()} cards")
        for name, (notes, cards) in sorted(per_deck.items()):
            print(f"  {name}: {notes} notes, {cards} cards")
        assert counts(log)["new"] == col.note_count() > 0
        assert not log.conflicting and not log.duplicate
        assert set(per_deck) == {deck_name(bundled, topic) for topic in bundled.topics}
        assert all(notes > 0 for notes, _ in per_deck.values())
        check_result = col.media.check()
        assert list(check_result.missing) == [] and list(check_result.unused) == []
    finally:
        col.close()


def _git(course: Path, *args: str, when: int) -> None:
    stamp = f"@{when} +0000"
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}  # fmt: skip
    subprocess.run(["git", *args], cwd=course, env=env, check=True, capture_output=True)


@pytest.mark.parametrize("commit_the_edit", [True, False], ids=["committed", "uncommitted"])
def test_in_git_only_the_edited_note_is_updated(tmp_path: Path, commit_the_edit: bool) -> None:
    """In a git repository each note is as new as its own lines: one edited card is one updated note."""
    course = _copy_course(tmp_path / "course", T0)
    _git(course, "init", "-q", when=T0)
    _git(course, "add", "-A", when=T0)
    _git(course, "commit", "-qm", "course", when=T0)
    col = open_collection(tmp_path / "profile")
    try:
        package = tmp_path / "v1.apkg"
        package.write_bytes(_anki_build(course)["anki-mini.apkg"])
        assert counts(import_apkg(col, package))["new"] == 18
        note = note_by_field(col, "studygen Basic", "What does an identity shortcut add")
        (card,) = note.cards()
        card.start_timer()
        col.sched.answerCard(card, 3)
        others = {nid: col.get_note(nid).mod for nid in col.find_notes("") if nid != note.id}

        topic_file = course / "topics" / "identity-mapping.yaml"
        _edit(topic_file, "back: Its input, unchanged.", "back: Its input, unchanged and unweighted.", T0 + 60)
        if commit_the_edit:
            _git(course, "commit", "-qam", "edit one card", when=T0 + 120)
        package = tmp_path / "v2.apkg"
        package.write_bytes(_anki_build(course)["anki-mini.apkg"])
        log = import_apkg(col, package)

        assert counts(log) == {"new": 0, "updated": 1, "duplicate": 17, "conflicting": 0}
        assert [entry.id.nid for entry in log.updated] == [note.id]
        assert col.get_note(note.id)["Back"] == "Its input, unchanged and unweighted."
        assert col.get_card(card.id).reps == 1  # the review done before the update is kept
        assert {nid: col.get_note(nid).mod for nid in others} == others  # every other note untouched
    finally:
        col.close()
