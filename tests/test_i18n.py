"""Interface languages: the catalogues are complete, every page type, the scripts' strings and the Anki cards
follow the course's `language`, and a language without a catalogue falls back to English with a warning.

The fixture course (tests/fixtures/i18n-course) is written in German and built with `language: en` and `de`.
"""

from __future__ import annotations

import json
import re
import shutil
import string
from functools import cache
from pathlib import Path
from typing import get_args

import pytest
from bs4 import BeautifulSoup

from studygen.build import check
from studygen.content.model import Difficulty, Importance, Level
from studygen.render.anki import render_anki
from studygen.render.anki_models import NOTE_TYPES, template_files
from studygen.render.cards import study_cards
from studygen.render.flashcards import KIND_LABELS
from studygen.render.i18n import DEFAULT_LANGUAGE, course_messages, language_problems, load_catalogue, messages_for
from studygen.render.qa_bank import QUESTION_TYPES
from studygen.render.site import STUDY_PAGES, render_site
from studygen.render.theme import theme_dir

ROOT = Path(__file__).parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "i18n-course"
CATALOGUES = theme_dir() / "messages"
LANGUAGES = ("en", "de")
TIMES = {"schwingung": 1_800_000_000, "welle": 1_800_000_000}  # when each topic last changed, for Anki

# One page of each type (path under site/).
PAGES = {
    "home": "index.html",
    "category": "physik/index.html",
    "subject": "physik/wellen/index.html",
    "summary": "topics/schwingung/index.html",
    "guide": "topics/schwingung/guide.html",
    "flashcards": "topics/schwingung/flashcards.html",
    "practice": "topics/schwingung/practice.html",
    "mixed practice": "physik/wellen/practice.html",
    "qa": "qa.html",
    "qa answers": "topics/schwingung/answers.html",
    "search": "search.html",
    "404": "404.html",
    "worksheet": "topics/schwingung/worksheet.html",
    "answer key": "topics/schwingung/answer-key.html",
}

# Concrete German interface strings that each page type must show (text or attributes).
GERMAN = {
    "home": [
        "Lernbibliothek",
        "2 Themen",
        "12 Lernkarten",
        "10 Fragen",
        "Lernzeit",
        "Zum Inhalt springen",
        "Bibliothek",
    ],
    "category": ["kind:Bereich", "Start", "Fragenkatalog"],
    "subject": ["kind:Fach", "9 Karten", "1 Frage", "Einstieg", "Über dieses Thema", "1 Std. 30 Min."],
    "summary": [
        "Zusammenfassung",
        "Das Wichtigste",
        "Sehr wichtig",
        "Was du als Nächstes lernen kannst",
        "Quellen",
        "Anwendungen in der Praxis",
        "Ausführlicher Lernleitfaden",
        "Übungsfragen",
        "Niveau: Einstieg",
        "Lernzeit: 1 Std. 30 Min.",
        "Fach: Wellenlehre",
        "kind:Überblick",
    ],
    "guide": ["Inhalt", "Zurück zum Überblick", "Schwingung: Lernleitfaden", "Nach diesem Leitfaden"],
    "flashcards": [
        "Kartentrainer",
        "Antwort zeigen",
        "✓ Gewusst",
        "↻ Nochmal",
        "Fortschritt zurücksetzen",
        "Alle 9 Karten",
        "Kernaussage",
        "Karte (umgekehrt)",
        "Lücke 1",
        "Was ist Schwingung?",
        "Leertaste",
    ],
    "practice": [
        "Übung: Schwingung",
        "Antwort prüfen",
        "Deine Antwort",
        "Frage 1",
        "Wähle alle zutreffenden aus.",
        "Arbeitsblatt zum Drucken",
        "Lösungsblatt",
        "0 von 9 beantwortet · 0 richtig",
        "Auswählen …",
        "Nach oben: ",
        "Tipp",
        "Wahr",
        "Leicht",
        "Lücke 1",
    ],
    "mixed practice": ["Gemischtes Quiz: Wellenlehre", "aus dem ganzen Bereich Wellenlehre"],
    "qa": [
        "Fragenkatalog",
        "Alle Fächer",
        "Alle Themen",
        "Alle Niveaus",
        "Alle Arten",
        "Filter zurücksetzen",
        "Lösung und Erklärung",
        "Einfachauswahl",
        "Lückentext",
        "10 Fragen",
        "9 Fragen mit Lösungen",
    ],
    "qa answers": [
        "Fragen und Antworten: Schwingung",
        "Lösung und Erklärung",
        "✓ richtig",
        "✗ falsch",
        "Akzeptiert:",
        "Alle Lösungen zeigen",
        "Der Fragenkatalog enthält die Fragen aller Themen",
    ],
    "search": ["Suchen", "Überblicke, Leitfäden, Lernkarten und Fragen durchsuchen", "Suchergebnisse"],
    "404": ["Seite nicht gefunden", "Diese Seite gibt es nicht. Weiter zur"],
    "worksheet": ["Arbeitsblatt: Schwingung", "Datum:", "9 Fragen.", "Kreuze alle zutreffenden an.", "Antwort:"],
    "answer key": [
        "Lösungsblatt: Schwingung",
        "Erklärung.",
        "(richtig)",
        "(falsch)",
        "Richtige Antwort",
        "Die Aussage ist",
        "Lücke 1: Periode oder Schwingungsdauer",
        "Richtige Reihenfolge:",
    ],
}


# ---------------------------------------------------------------- the catalogues


def catalogue(language: str) -> dict:
    return load_catalogue(CATALOGUES / f"{language}.yaml")


def forms(entry: str | dict) -> list[str]:
    return [entry] if isinstance(entry, str) else list(entry.values())


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_english_and_german_have_the_same_keys_forms_and_placeholders() -> None:
    english, german = catalogue("en"), catalogue("de")
    assert sorted(english) == sorted(german)
    for key, entry in english.items():
        other = german[key]
        assert isinstance(entry, str) == isinstance(other, str), f"{key}: plural forms in one catalogue only"
        allowed = set().union(*(placeholders(text) for text in forms(entry)))
        for text in forms(other):
            assert placeholders(text) <= allowed, f"{key}: unknown placeholder in German {text!r}"
        main = entry if isinstance(entry, str) else entry["other"]
        assert placeholders(other if isinstance(other, str) else other["other"]) == placeholders(main), key


def _sources() -> dict[Path, str]:
    files = [*theme_dir().glob("*.html"), *(theme_dir() / "static").glob("*.js")]
    files += [path for path in (ROOT / "studygen" / "render").rglob("*.py") if path.name != "i18n.py"]
    return {path: path.read_text(encoding="utf-8") for path in files}


# Keys in templates and renderers: any quoted `namespace.name` whose namespace is a catalogue's (file names left
# out); computed keys as a quoted prefix ending in `.` (`t('level.' ~ level)`) or an f-string (`f"qtype.{type}"`).
# Keys in scripts: `t("name")` calls, which mean `js.<script>.name`.
_QUOTED = re.compile(r"""(["'])([a-z0-9_]+\.[a-z0-9_.]*)\1""")
_FSTRING = re.compile(r"""\bf(["'])([a-z0-9_]+\.[a-z0-9_]*)\{""")
_SCRIPT_CALL = re.compile(r"""\bt\(\s*"([a-z0-9_]+)"\s*[,)]""")
_FILE_NAMES = (".html", ".js", ".py", ".yaml", ".css", ".svg", ".png", ".xml", ".json", ".txt", ".zip", ".apkg", ".tsv")
FAMILIES = {
    "level.": get_args(Level),
    "difficulty.": get_args(Difficulty),
    "importance.": get_args(Importance),
    "qtype.": QUESTION_TYPES,
    "solution.statement_": ("true", "false"),
}


def used_keys() -> tuple[set[str], set[str]]:
    """(literal keys, prefixes of computed keys) used in templates, scripts and renderers."""
    namespaces = {key.split(".")[0] for key in catalogue("en")}
    keys = {key for _, key in STUDY_PAGES} | set(KIND_LABELS.values())
    families: set[str] = set()
    for path, text in _sources().items():
        if path.suffix == ".js":
            keys |= {f"js.{path.stem}.{m.group(1)}" for m in _SCRIPT_CALL.finditer(text)}
            continue
        for m in _QUOTED.finditer(text):
            literal = m.group(2)
            if literal.split(".")[0] not in namespaces or literal.endswith(_FILE_NAMES):
                continue
            (families if literal.endswith(".") else keys).add(literal)
        families |= {m.group(2) for m in _FSTRING.finditer(text) if m.group(2).split(".")[0] in namespaces}
    return keys, families


def test_every_key_used_in_templates_scripts_and_renderers_exists() -> None:
    keys, families = used_keys()
    assert len(keys) > 150, "the key scan found too little: did the call pattern change?"
    assert families == set(FAMILIES), "a new family of computed keys: list its members in FAMILIES"
    wanted = keys | {prefix + member for prefix, members in FAMILIES.items() for member in members}
    for language in LANGUAGES:
        missing = sorted(wanted - set(catalogue(language)))
        assert not missing, f"{language}.yaml lacks {missing}"


def test_every_catalogue_key_is_used() -> None:
    keys, _ = used_keys()
    family_keys = {prefix + member for prefix, members in FAMILIES.items() for member in members}
    unused = sorted(set(catalogue("en")) - keys - family_keys)
    assert not unused, f"keys no template, script or renderer uses: {unused}"


# ---------------------------------------------------------------- built pages


@cache
def course_dir(language: str, tmp_root: str) -> Path:
    folder = Path(tmp_root) / f"course-{language}"
    shutil.copytree(FIXTURE, folder)
    course = folder / "course.yaml"
    course.write_text(course.read_text(encoding="utf-8").replace("language: de", f"language: {language}"))
    return folder


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("i18n"))


@pytest.fixture(scope="module")
def sites(tmp_root: str) -> dict[str, dict[str, bytes]]:
    return {language: render_site(check(course_dir(language, tmp_root))[0]) for language in ("en", "de", "fr")}


def page_strings(html: bytes) -> list[str]:
    """What a reader meets on a page: its text, the attributes that are read out or shown, and the strings that
    the page hands its scripts (other scripts and styles left out)."""
    soup = BeautifulSoup(html, "html.parser")
    found: list[str] = []
    messages = soup.find("script", id="studygen-messages")
    if messages is not None:
        for entry in json.loads(messages.string)["messages"].values():
            found += forms(entry)
    for node in soup(["script", "style"]):
        node.decompose()
    found.append(" ".join(soup.get_text(" ").split()))
    for tag in soup.find_all(True):
        for name in (
            "aria-label",
            "placeholder",
            "title",
            "alt",
            "content",
            "data-pagefind-meta",
            "aria-roledescription",
        ):
            if tag.get(name) and "/" not in tag[name]:  # not addresses (og:url holds file names)
                found.append(tag[name])
    return found


def english_fragments() -> list[str]:
    """The words of every English string that the German catalogue does not share: the text between placeholders,
    where it has at least three letters."""
    german_texts = [text for entry in catalogue("de").values() for text in forms(entry)]
    fragments = set()
    for key, entry in catalogue("en").items():
        if key.startswith(("cards.", "anki.")):
            continue  # Markdown prompts and Anki fields: checked on the cards themselves
        for text in forms(entry):
            for literal, *_ in string.Formatter().parse(text):
                piece = literal.strip(" :·.,()") if literal else ""
                if sum(c.isalpha() for c in piece) >= 3 and not any(piece in g for g in german_texts):
                    fragments.add(piece)
    return sorted(fragments)


def contains(haystack: list[str], needle: str) -> bool:
    pattern = re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)")
    return any(pattern.search(text) for text in haystack)


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_every_page_type_speaks_the_course_language(sites: dict[str, dict[str, bytes]], kind: str) -> None:
    path = PAGES[kind]
    german, english = page_strings(sites["de"][path]), page_strings(sites["en"][path])
    for text in GERMAN[kind]:
        assert contains(german, text) or any(text in s for s in german), f"{path}: no German {text!r}"
    left = [fragment for fragment in english_fragments() if contains(german, fragment)]
    assert not left, f"{path}: English interface strings on the German page: {left}"
    # The English build of the same course shows English words instead.
    assert not any(contains(english, text) for text in ("Lernbibliothek", "Antwort prüfen", "Lösungsblatt"))


def test_html_lang_follows_the_course_language(sites: dict[str, dict[str, bytes]]) -> None:
    for language, site in sites.items():
        for path in PAGES.values():
            soup = BeautifulSoup(site[path], "html.parser")
            assert soup.html["lang"] == language, path


def test_english_build_has_english_interface(sites: dict[str, dict[str, bytes]]) -> None:
    text = " ".join(page_strings(sites["en"]["topics/schwingung/practice.html"]))
    for phrase in ("Check answer", "Your answer", "Question 1", "Printable worksheet", "0 of 9 answered · 0 correct"):
        assert phrase in text


def script_messages(html: bytes) -> tuple[str, dict]:
    soup = BeautifulSoup(html, "html.parser")
    node = soup.find("script", id="studygen-messages")
    assert node is not None and node.get("type") == "application/json"
    assert "</" not in node.string and "<!--" not in node.string  # no text can end the element early
    reader = soup.find("script", src=re.compile(r"static/i18n\.js$"))
    assert reader is not None, "the page carries its strings but not the script that reads them"
    data = json.loads(node.string)
    return data["lang"], data["messages"]


@pytest.mark.parametrize(
    ("path", "script", "expected"),
    [
        (
            "topics/schwingung/practice.html",
            "quiz",
            {"check": "Antwort prüfen", "correct": "✓ Richtig.", "quoted": "„{text}“"},
        ),
        (
            "topics/schwingung/flashcards.html",
            "flashcards",
            {"all_done": "Alles erledigt", "hide_answer": "Antwort verbergen"},
        ),
        ("qa.html", "qa", {"open_all": "Alle Lösungen zeigen"}),
        ("topics/schwingung/answers.html", "qa", {"close_all": "Alle Lösungen verbergen"}),
        ("search.html", "search", {"searching": "Suche läuft …", "page": "Seite"}),
    ],
)
def test_scripts_receive_german_strings(
    sites: dict[str, dict[str, bytes]], path: str, script: str, expected: dict
) -> None:
    language, messages = script_messages(sites["de"][path])
    assert language == "de"
    for key, text in expected.items():
        assert messages[key] == text
    english = catalogue("en")
    assert set(messages) == {k.removeprefix(f"js.{script}.") for k in english if k.startswith(f"js.{script}.")}


def test_quiz_data_solutions_are_german(sites: dict[str, dict[str, bytes]]) -> None:
    soup = BeautifulSoup(sites["de"]["topics/schwingung/practice.html"], "html.parser")
    data = json.loads(soup.find("script", id="quiz-data").string)
    solutions = " ".join(q["solution"] for q in data["questions"].values())
    assert "Richtige Antwort" in solutions and "Correct answer" not in solutions


def test_unknown_language_falls_back_to_english_with_a_warning(
    sites: dict[str, dict[str, bytes]], tmp_root: str
) -> None:
    graph, _ = check(course_dir("fr", tmp_root))  # a warning, not an error
    problems = language_problems(graph)
    assert [p.severity for p in problems] == ["warning"]
    assert "fr" in problems[0].message and problems[0].field == "language" and problems[0].line == 7
    assert course_messages(graph).found == DEFAULT_LANGUAGE
    text = " ".join(page_strings(sites["fr"]["topics/schwingung/practice.html"]))
    assert "Check answer" in text
    assert not language_problems(check(course_dir("de", tmp_root))[0])


def test_a_regional_tag_uses_its_language() -> None:
    assert messages_for("de-AT").found == "de"
    assert messages_for("de-AT").text("js.quiz.check") == "Antwort prüfen"
    assert not messages_for("en-GB").fell_back


def test_plural_forms() -> None:
    de = messages_for("de")
    assert de.text("count.cards", count=1) == "1 Karte"
    assert de.text("count.cards", count=2) == "2 Karten"
    assert messages_for("en").text("count.cards", count=0) == "0 cards"
    with pytest.raises(KeyError):
        de.text("count.cards")


def test_html_strings_are_escaped_and_markup_values_kept() -> None:
    from markupsafe import Markup

    en = messages_for("en")
    assert str(en.html("site.qa_bank")) == "Q&amp;A bank"
    assert str(en.html("topic.subject", subject="<b>")) == "Subject: &lt;b&gt;"
    assert str(en.html("topic.subject", subject=Markup("<a>x</a>"))) == "Subject: <a>x</a>"


def test_a_course_can_override_strings(tmp_path: Path) -> None:
    course = shutil.copytree(FIXTURE, tmp_path / "course")
    (course / "templates" / "messages").mkdir(parents=True)
    (course / "templates" / "messages" / "de.yaml").write_text('site.library: "Kursübersicht"\n', encoding="utf-8")
    site = render_site(check(course)[0])
    text = " ".join(page_strings(site["index.html"]))
    assert "Kursübersicht" in text and "Fragenkatalog" in text


# ---------------------------------------------------------------- Anki


@pytest.fixture(scope="module")
def decks(tmp_root: str) -> dict[str, dict[str, bytes]]:
    return {language: render_anki(check(course_dir(language, tmp_root))[0], TIMES) for language in LANGUAGES}


def test_anki_labels_follow_the_course_language(tmp_root: str) -> None:
    from studygen.render.anki import topic_deck
    from studygen.render.anki_inputs import ContentTimes
    from studygen.render.anki_notes import Media

    graph = check(course_dir("de", tmp_root))[0]
    topic = graph.topic("schwingung")
    deck = topic_deck(graph, topic, Media({}, {}), ContentTimes(TIMES, "given"))
    fields = [note.fields for note in deck.notes]
    choice = next(f for f in fields if f.get("Instruction") == "Wähle eine Antwort.")
    assert choice["Answer"].startswith('<span class="sg-label">Antwort</span><br>')
    assert "✓ richtig" in choice["Feedback"] and "✗ falsch" in choice["Feedback"]
    assert "„Schwingung“ auf der Kurswebsite lernen" in choice["Link"]
    assert any(f.get("Instruction") == "Wahr oder falsch?" for f in fields)
    assert any(f.get("Instruction") == "Wähle alle richtigen Antworten." for f in fields)
    backs = " ".join(f.get("Back", "") + f.get("Extra", "") for f in fields)
    assert "Ebenfalls akzeptiert:" in backs and "zwischen 1 Hz und 2 Hz" in backs
    fronts = " ".join(f.get("Front", "") for f in fields)
    assert "Ordne jeden Eintrag" in fronts and "Bring in die richtige Reihenfolge:" in fronts
    assert "Was ist Schwingung?" in fronts and "Erkläre diese Kernaussage zu" in fronts
    text = json.dumps(fields, ensure_ascii=False)
    for english in ("Choose one answer", "Also accepted", "on the course site", "What is ", "✓ right", "Answer<"):
        assert english not in text


def test_german_derived_cards(tmp_root: str) -> None:
    graph = check(course_dir("de", tmp_root))[0]
    fronts = [card.front for card in study_cards(graph, graph.topic("welle"))]
    assert "Was ist Welle?" in fronts
    assert "Warum *Schwingung* vor *Welle* lernen?" in fronts
    nexts = [card.front for card in study_cards(graph, graph.topic("schwingung")) if card.origin == "next"]
    assert nexts == ["Warum *Gekoppelte Pendel* nach *Schwingung* lernen?"]


def test_anki_note_types_are_the_same_in_every_language(decks: dict[str, dict[str, bytes]]) -> None:
    """Labels live in the fields: the card templates hold no words, so note types (ids and templates) never depend on
    the language, and a translation never makes an import "conflicting"."""
    words = {text for entry in catalogue("en").values() for text in forms(entry) if "{" not in text}
    for name, text in template_files().items():
        visible = re.sub(r"\{\{[^}]*\}\}|<[^>]+>", " ", text) if name.endswith(".html") else ""
        assert not (set(visible.split()) & {w for w in words if " " not in w}), name
    assert [spec.id for spec in NOTE_TYPES.values()] == [1_598_204_771, 1_598_204_772, 1_598_204_773, 1_598_204_774]
    tsv = decks["de"]["text/schwingung.tsv"].decode("utf-8")
    assert "<summary>Tipp</summary>" in tsv and "Antwort" in tsv
    assert decks["en"]["text/schwingung.tsv"].decode("utf-8").count("<summary>Hint</summary>") >= 1
