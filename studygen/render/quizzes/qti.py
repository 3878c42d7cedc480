"""QTI 1.2 packages for Canvas: a zip holding `imsmanifest.xml`, the assessment and Canvas's `assessment_meta.xml`.

Each item names its Canvas question type in `question_type` metadata (see docs/quizzes.md):
single_choice -> multiple_choice_question; multiple_answer -> multiple_answers_question;
true_false -> true_false_question; numeric -> numerical_question (exact answer with margin, or a range);
short_answer -> short_answer_question; fill_blank -> fill_in_multiple_blanks_question (`[blank1]` in the text);
matching -> matching_question; ordering -> matching_question (each item matched with its position).
Zip entries carry a fixed timestamp and are written in a fixed order, so a package is byte-identical across builds.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

from studygen.content.graph import CourseGraph
from studygen.render.markup import plain_text
from studygen.render.quizzes.questions import (
    QuizItem,
    QuizSet,
    export_html,
    export_prompt,
    figure_note,
    file_stem,
    number_text,
    numeric_range,
    ordinal,
    prompt_with_blanks,
    scrambled,
    stable_hash,
)

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CANVAS_NS = "http://canvas.instructure.com/xsd/cccv1p0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry

CANVAS_TYPES = {
    "single_choice": "multiple_choice_question",
    "multiple_answer": "multiple_answers_question",
    "true_false": "true_false_question",
    "numeric": "numerical_question",
    "short_answer": "short_answer_question",
    "fill_blank": "fill_in_multiple_blanks_question",
    "matching": "matching_question",
    "ordering": "matching_question",
}


def ident(*parts: str) -> str:
    """A stable identifier: `g` and 32 hex digits of a hash (Canvas's own exports look the same)."""
    return "g" + format(stable_hash("\x00".join(parts)), "016x") + format(stable_hash("|".join(parts)), "016x")


def _answer_ids(item: QuizItem, count: int) -> list[str]:
    """Numeric answer identifiers, as Canvas uses, unique within the item and stable across builds."""
    base = stable_hash(item.key) % 9000 + 1000
    return [f"{base}{n:03d}" for n in range(count)]


def qti_package(graph: CourseGraph, quiz: QuizSet) -> bytes:
    assessment_id = ident(graph.course.id, file_stem(quiz))
    files = {
        "imsmanifest.xml": _manifest(assessment_id, quiz),
        f"{assessment_id}/{assessment_id}.xml": _assessment(graph, quiz, assessment_id),
        f"{assessment_id}/assessment_meta.xml": _meta(graph, quiz, assessment_id),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, data)
    return buffer.getvalue()


def _xml(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def _manifest(assessment_id: str, quiz: QuizSet) -> bytes:
    ET.register_namespace("", CP_NS)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(f"{{{CP_NS}}}manifest", identifier=f"{assessment_id}_manifest")
    metadata = ET.SubElement(root, f"{{{CP_NS}}}metadata")
    ET.SubElement(metadata, f"{{{CP_NS}}}schema").text = "IMS Content"
    ET.SubElement(metadata, f"{{{CP_NS}}}schemaversion").text = "1.1.3"
    ET.SubElement(root, f"{{{CP_NS}}}organizations")
    resources = ET.SubElement(root, f"{{{CP_NS}}}resources")
    main = ET.SubElement(resources, f"{{{CP_NS}}}resource", identifier=assessment_id, type="imsqti_xmlv1p2")
    ET.SubElement(main, f"{{{CP_NS}}}file", href=f"{assessment_id}/{assessment_id}.xml")
    ET.SubElement(main, f"{{{CP_NS}}}dependency", identifierref=f"{assessment_id}_meta")
    meta = ET.SubElement(
        resources,
        f"{{{CP_NS}}}resource",
        identifier=f"{assessment_id}_meta",
        type="associatedcontent/imscc_xmlv1p1/learning-application-resource",
        href=f"{assessment_id}/assessment_meta.xml",
    )
    ET.SubElement(meta, f"{{{CP_NS}}}file", href=f"{assessment_id}/assessment_meta.xml")
    return _xml(root)


def _meta(graph: CourseGraph, quiz: QuizSet, assessment_id: str) -> bytes:
    ET.register_namespace("", CANVAS_NS)
    root = ET.Element(f"{{{CANVAS_NS}}}quiz", identifier=assessment_id)
    for tag, value in (
        ("title", quiz.title),
        ("description", f"Practice questions from {plain_text(graph.course.title)}."),
        ("shuffle_answers", "true"),
        ("scoring_policy", "keep_highest"),
        ("quiz_type", "practice_quiz"),
        ("points_possible", f"{float(len(quiz.items)):.1f}"),
        ("show_correct_answers", "true"),
        ("allowed_attempts", "-1"),
    ):
        ET.SubElement(root, f"{{{CANVAS_NS}}}{tag}").text = value
    return _xml(root)


def _q(tag: str) -> str:
    return f"{{{QTI_NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _q(tag), attributes)
    if text is not None:
        element.text = text
    return element


def _material(parent: ET.Element, text: str, kind: str = "text/html") -> ET.Element:
    material = _sub(parent, "material")
    _sub(material, "mattext", text, texttype=kind)
    return material


def _assessment(graph: CourseGraph, quiz: QuizSet, assessment_id: str) -> bytes:
    ET.register_namespace("", QTI_NS)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(_q("questestinterop"))
    root.set(f"{{{XSI}}}schemaLocation", f"{QTI_NS} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd")
    assessment = _sub(root, "assessment", ident=assessment_id, title=quiz.title)
    _metadata(assessment, {"cc_maxattempts": "unlimited"})
    section = _sub(assessment, "section", ident="root_section")
    for item in quiz.items:
        section.append(_item(graph, item))
    return _xml(root)


def _metadata(parent: ET.Element, fields: dict[str, str]) -> None:
    holder = _sub(parent, "qtimetadata")
    for label, entry in fields.items():
        field = _sub(holder, "qtimetadatafield")
        _sub(field, "fieldlabel", label)
        _sub(field, "fieldentry", entry)


def _condition(parent: ET.Element, *, cont: bool = False) -> tuple[ET.Element, ET.Element]:
    condition = _sub(parent, "respcondition")
    condition.set("continue", "Yes" if cont else "No")
    return condition, _sub(condition, "conditionvar")


def _item(graph: CourseGraph, item: QuizItem) -> ET.Element:
    q = item.question
    element = ET.Element(_q("item"), ident=ident(item.key), title=item.key)
    item_meta = _sub(element, "itemmetadata")
    _metadata(item_meta, {"question_type": CANVAS_TYPES[q.type], "points_possible": "1.0"})
    presentation = _sub(element, "presentation")
    processing = _sub(element, "resprocessing")
    outcomes = _sub(processing, "outcomes")
    _sub(outcomes, "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    feedback: dict[str, str] = {}
    if q.explanation:
        feedback["general_fb"] = export_html(q.explanation)
        condition, var = _condition(processing, cont=True)
        _sub(var, "other")
        _sub(condition, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")

    if q.type in ("single_choice", "multiple_answer", "true_false"):
        if q.type == "true_false":
            choices = [("True", q.answer is True, q.feedback_true), ("False", q.answer is False, q.feedback_false)]
            choices = [(text, right, export_html(fb)) for text, right, fb in choices]
            kind = "text/plain"
        else:
            choices = [(export_html(o.text, inline=True), o.correct, export_html(o.feedback)) for o in q.options]
            kind = "text/html"
        ids = _answer_ids(item, len(choices))
        _material(presentation, export_prompt(graph, item))
        cardinality = "Multiple" if q.type == "multiple_answer" else "Single"
        lid = _sub(presentation, "response_lid", ident="response1", rcardinality=cardinality)
        render = _sub(lid, "render_choice")
        for answer_id, (text, _right, _fb) in zip(ids, choices, strict=True):
            _material(_sub(render, "response_label", ident=answer_id), text, kind)
        for answer_id, (_text, _right, fb) in zip(ids, choices, strict=True):
            if fb:
                feedback[f"{answer_id}_fb"] = fb
                condition, var = _condition(processing, cont=True)
                _sub(var, "varequal", answer_id, respident="response1")
                _sub(condition, "displayfeedback", feedbacktype="Response", linkrefid=f"{answer_id}_fb")
        condition, var = _condition(processing)
        if q.type == "multiple_answer":
            both = _sub(var, "and")
            for answer_id, (_text, right, _fb) in zip(ids, choices, strict=True):
                holder = both if right else _sub(both, "not")
                _sub(holder, "varequal", answer_id, respident="response1")
        else:
            right_id = next(answer_id for answer_id, (_t, right, _f) in zip(ids, choices, strict=True) if right)
            _sub(var, "varequal", right_id, respident="response1")
        _sub(condition, "setvar", "100", action="Set", varname="SCORE")
    elif q.type in ("numeric", "short_answer"):
        _material(presentation, export_prompt(graph, item))
        string = _sub(presentation, "response_str", ident="response1", rcardinality="Single")
        render = _sub(string, "render_fib", fibtype="Decimal") if q.type == "numeric" else _sub(string, "render_fib")
        _sub(render, "response_label", ident="answer1", rshuffle="No")
        condition, var = _condition(processing)
        if q.type == "numeric":
            low, high = numeric_range(q)
            either = _sub(var, "or")
            if q.answer is not None:
                _sub(either, "varequal", number_text(q.answer), respident="response1")
            within = _sub(either, "and")
            _sub(within, "vargte", number_text(low), respident="response1")
            _sub(within, "varlte", number_text(high), respident="response1")
        else:
            for accepted in q.accepted:
                _sub(var, "varequal", accepted, respident="response1")
        _sub(condition, "setvar", "100", action="Set", varname="SCORE")
    elif q.type == "fill_blank":
        text = prompt_with_blanks(q.prompt, "mathjax", lambda n: f"[blank{n}]") + figure_note(graph, item)
        _material(presentation, text)
        for number, blank in enumerate(q.blanks, start=1):
            lid = _sub(presentation, "response_lid", ident=f"response_blank{number}")
            _material(lid, f"blank{number}", "text/plain")
            render = _sub(lid, "render_choice")
            ids = [f"{answer_id}{number:02d}" for answer_id in _answer_ids(item, len(blank.accepted))]
            for answer_id, accepted in zip(ids, blank.accepted, strict=True):
                _material(_sub(render, "response_label", ident=answer_id), accepted, "text/plain")
            for answer_id in ids:  # any accepted answer earns the blank's share
                condition, var = _condition(processing, cont=True)
                _sub(var, "varequal", answer_id, respident=f"response_blank{number}")
                _sub(condition, "setvar", _points(len(q.blanks)), action="Add", varname="SCORE")
    else:  # matching, and ordering as matching each item with its position
        if q.type == "matching":
            lefts = [export_html(p.left, inline=True) for p in q.pairs]
            rights = [export_html(p.right, inline=True) for p in q.pairs]
            answer_of = list(range(len(q.pairs)))
        else:
            shown = scrambled(q.items, f"order:{item.key}")
            lefts = [export_html(text, inline=True) for text in shown]
            rights = [ordinal(n) for n in range(1, len(q.items) + 1)]
            answer_of = [q.items.index(text) for text in shown]
        _material(presentation, export_prompt(graph, item))
        left_ids = _answer_ids(item, len(lefts))
        right_ids = [f"{answer_id}9" for answer_id in _answer_ids(item, len(rights))]
        for left_id, left, right_index in zip(left_ids, lefts, answer_of, strict=True):
            lid = _sub(presentation, "response_lid", ident=f"response_{left_id}")
            _material(lid, left)
            render = _sub(lid, "render_choice")
            for right_id, right in zip(right_ids, rights, strict=True):
                _material(_sub(render, "response_label", ident=right_id), right)
            condition, var = _condition(processing, cont=True)
            _sub(var, "varequal", right_ids[right_index], respident=f"response_{left_id}")
            _sub(condition, "setvar", _points(len(lefts)), action="Add", varname="SCORE")

    for feedback_id, text in feedback.items():
        block = _sub(element, "itemfeedback", ident=feedback_id)
        _material(_sub(block, "flow_mat"), text)
    return element


def _points(parts: int) -> str:
    return f"{100 / parts:.2f}"
