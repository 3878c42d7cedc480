"""Moodle XML and QTI exports: every file parses, every type maps as documented, and builds are byte-identical."""

from __future__ import annotations

import io
import posixpath
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from studygen.build import check, render_all
from studygen.content.graph import CourseGraph
from studygen.render.quizzes import render_quizzes
from studygen.render.quizzes.moodle import MOODLE_GRADES, cloze_escape, share
from studygen.render.quizzes.qti import CANVAS_TYPES

FIXTURE = Path(__file__).parent / "fixtures" / "quiz-course"
BUNDLED = Path(__file__).parent.parent / "content"
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"


@pytest.fixture(scope="module")
def graph() -> CourseGraph:
    return check(FIXTURE)[0]


@pytest.fixture(scope="module")
def outputs(graph: CourseGraph) -> dict[str, bytes]:
    return render_quizzes(graph)


def moodle_questions(data: bytes) -> dict[str, ET.Element]:
    root = ET.fromstring(data)
    assert root.tag == "quiz"
    return {q.findtext("name/text"): q for q in root.findall("question") if q.get("type") != "category"}


def qti_items(data: bytes) -> tuple[zipfile.ZipFile, ET.Element]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = ET.fromstring(archive.read("imsmanifest.xml"))
    names = set(archive.namelist())
    hrefs = [f.get("href") for f in manifest.iter(f"{CP}file")]
    assert hrefs and all(href in names for href in hrefs), (hrefs, names)
    assert set(hrefs) | {"imsmanifest.xml"} == names
    ids = {r.get("identifier") for r in manifest.iter(f"{CP}resource")}
    assert all(d.get("identifierref") in ids for d in manifest.iter(f"{CP}dependency"))
    (qti_resource,) = [r for r in manifest.iter(f"{CP}resource") if r.get("type") == "imsqti_xmlv1p2"]
    assessment = ET.fromstring(archive.read(qti_resource.find(f"{CP}file").get("href")))
    assert assessment.tag == f"{QTI}questestinterop"
    return archive, assessment


def test_file_set(graph: CourseGraph, outputs: dict[str, bytes]) -> None:
    stems = {"topic-all-types", "topic-second-topic", "subject-machine-learning"}
    assert set(outputs) == {f"{s}.{ext}" for s in stems for ext in ("moodle.xml", "gift.txt", "qti.zip")}


def test_moodle_xml_maps_every_type(outputs: dict[str, bytes]) -> None:
    questions = moodle_questions(outputs["topic-all-types.moodle.xml"])
    kinds = {name.split("/")[1]: q.get("type") for name, q in questions.items()}
    assert kinds == {
        "pick-one": "multichoice", "pick-many": "multichoice", "statement": "truefalse",
        "false-statement": "truefalse", "test-error": "numerical", "error-range": "numerical",
        "name-it": "shortanswer", "fill-two": "cloze", "fill-one": "cloze", "match-up": "matching",
        "put-in-order": "ordering",
    }  # fmt: skip
    one = questions["all-types/pick-one"]
    assert one.findtext("single") == "true"
    assert [a.get("fraction") for a in one.findall("answer")] == ["100", "0", "0"]
    assert one.findtext("answer/text") == r"\(y = \mathcal{F}(x, \{W_i\}) + x\)"
    assert "{shortcut}" in one.findtext("answer/feedback/text")
    assert r"\(\nabla E\)" in one.findtext("generalfeedback/text")
    assert "Look for the term" in one.findtext("hint/text")

    many = questions["all-types/pick-many"]
    assert many.findtext("single") == "false"
    fractions = [float(a.get("fraction")) for a in many.findall("answer")]
    assert sum(f for f in fractions if f > 0) == pytest.approx(100, abs=0.001)
    assert sum(f for f in fractions if f < 0) == pytest.approx(-100, abs=0.001)
    assert "A shortcut" in many.findtext("questiontext/text")  # the figure is named in the text

    statement = questions["all-types/statement"]
    assert [(a.findtext("text"), a.get("fraction")) for a in statement.findall("answer")] == [
        ("true", "100"),
        ("false", "0"),
    ]
    number = questions["all-types/test-error"].find("answer")
    assert (number.findtext("text"), number.findtext("tolerance")) == ("6.61", "0.05")
    ranged = questions["all-types/error-range"].find("answer")
    assert (ranged.findtext("text"), ranged.findtext("tolerance")) == ("20", "1")
    short = [a.findtext("text") for a in questions["all-types/name-it"].findall("answer")]
    assert short == ["residual function", "residual", r"F\*"]  # `*` is Moodle's wildcard
    cloze = questions["all-types/fill-two"].findtext("questiontext/text")
    assert "{1:SHORTANSWER:%100%input~%100%x_l}" in cloze and "{1:SHORTANSWER:%100%residual}" in cloze
    assert "{output}" in cloze
    matching = questions["all-types/match-up"].findall("subquestion")
    assert next(s.findtext("answer/text") for s in matching) == "a shortcut's scaling factor {lambda}"
    ordering = questions["all-types/put-in-order"]
    assert [a.get("fraction") for a in ordering.findall("answer")] == ["1", "2", "3", "4"]
    assert ordering.findtext("answer/text") == "Batch normalisation {BN}"


def test_moodle_categories_and_grades(outputs: dict[str, bytes]) -> None:
    root = ET.fromstring(outputs["subject-machine-learning.moodle.xml"])
    categories = [q.findtext("category/text") for q in root.findall("question") if q.get("type") == "category"]
    assert categories == [
        "$course$/Quiz Course/Machine Learning/All Question Types",
        "$course$/Quiz Course/Machine Learning/Second Topic",
    ]
    for question in root.findall("question[@type='multichoice']"):
        for answer in question.findall("answer"):
            assert abs(float(answer.get("fraction"))) in MOODLE_GRADES
    assert [share(n) for n in (1, 2, 3, 6, 7)] == [100, 50, 33.33333, 16.66667, 14.28571]
    assert cloze_escape('a}b#c~d/e"f\\g') == 'a\\}b\\#c\\~d\\/e\\"f\\\\g'


def test_qti_package_structure(graph: CourseGraph, outputs: dict[str, bytes]) -> None:
    for name, data in outputs.items():
        if not name.endswith(".qti.zip"):
            continue
        archive, assessment = qti_items(data)
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())
        items = list(assessment.iter(f"{QTI}item"))
        assert items
        for item in items:
            fields = {
                f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry")
                for f in item.iter(f"{QTI}qtimetadatafield")
            }
            assert fields["question_type"] in set(CANVAS_TYPES.values())
            # Every response a condition tests exists, and so does every answer it names (for choices).
            labels = {
                lid.get("ident"): {label.get("ident") for label in lid.iter(f"{QTI}response_label")}
                for lid in item.iter(f"{QTI}response_lid")
            }
            strings = {s.get("ident") for s in item.iter(f"{QTI}response_str")}
            for test in item.iter():
                if test.tag in (f"{QTI}varequal", f"{QTI}vargte", f"{QTI}varlte"):
                    respident = test.get("respident")
                    assert respident in labels or respident in strings
                    if respident in labels:
                        assert test.text in labels[respident]
            feedback_ids = {f.get("ident") for f in item.iter(f"{QTI}itemfeedback")}
            for show in item.iter(f"{QTI}displayfeedback"):
                assert show.get("linkrefid") in feedback_ids
        meta_name = next(n for n in archive.namelist() if n.endswith("assessment_meta.xml"))
        ET.fromstring(archive.read(meta_name))


def test_qti_types(outputs: dict[str, bytes]) -> None:
    _, assessment = qti_items(outputs["topic-all-types.qti.zip"])
    types = {}
    for item in assessment.iter(f"{QTI}item"):
        fields = {
            f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry") for f in item.iter(f"{QTI}qtimetadatafield")
        }
        types[item.get("title")] = fields["question_type"]
    assert types["all-types/fill-two"] == "fill_in_multiple_blanks_question"
    assert types["all-types/put-in-order"] == "matching_question"
    assert types["all-types/pick-many"] == "multiple_answers_question"
    fill = next(i for i in assessment.iter(f"{QTI}item") if i.get("title") == "all-types/fill-two")
    assert "[blank1]" in fill.find(f"{QTI}presentation/{QTI}material/{QTI}mattext").text
    assert {lid.get("ident") for lid in fill.iter(f"{QTI}response_lid")} == {"response_blank1", "response_blank2"}


def test_math_is_left_for_mathjax(outputs: dict[str, bytes]) -> None:
    text = outputs["topic-all-types.moodle.xml"].decode("utf-8")
    assert "<math" not in text and "&lt;math" not in text
    assert r"\(x_{l+1} = x_l + F(x_l)\)" in text


def test_exports_are_byte_identical(graph: CourseGraph, outputs: dict[str, bytes]) -> None:
    again = render_quizzes(check(FIXTURE)[0])
    assert again == outputs


def test_bundled_course_builds_with_quizzes() -> None:
    graph, _ = check(BUNDLED)
    outputs = render_all(graph)
    quizzes = {path: data for path, data in outputs.items() if path.startswith("quizzes/")}
    topics_with_questions = [t for t in graph.topics if t.questions]
    assert len(quizzes) >= 3 * len(topics_with_questions)
    for topic in topics_with_questions:
        assert f"site/topics/{topic.id}/practice.html" in outputs
        moodle = moodle_questions(quizzes[f"quizzes/topic-{topic.id}.moodle.xml"])
        assert len(moodle) == len(topic.questions)
        qti_items(quizzes[f"quizzes/topic-{topic.id}.qti.zip"])
    for path, data in quizzes.items():
        if path.endswith(".xml"):
            ET.fromstring(data)
        assert posixpath.basename(path).split("-", 1)[0] in ("topic", "subject")
