"""`studygen new`: start a course that builds at once, and add topics with every section stubbed and explained."""

from __future__ import annotations

import re
from pathlib import Path

from studygen.content.loader import COURSE_FILE, TOPICS_DIR
from studygen.content.schema import schema_files
from studygen.errors import ContentError, Problem

SCHEMA_DIR = "schemas"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

_COURSE_TEMPLATE = """\
# yaml-language-server: $schema={schemas}/course.schema.json
# The course file. Editors with the YAML extension validate and complete this file as you type.
id: {course_id}
title: {title}
description: |
  What the course is about and who it is for. **Markdown** works, and so does math: $e^{{i\\pi}} + 1 = 0$.
language: en
# Where the site will be published; canonical links, the sitemap and links on Anki cards start here.
base_url: https://example.org/{course_id}/
authors: [Your Name]
license: CC BY 4.0
# The catalogue: categories hold subjects; every topic names its subject by id.
categories:
  - id: general
    title: General
    subjects:
      - id: basics
        title: Basics
        description: The first subject of the course.
"""

_TOPIC_TEMPLATE = """\
# yaml-language-server: $schema={schemas}/topic.schema.json
# A topic: its summary page, study guide, flashcards and practice questions all come from this file.
id: {topic_id}  # stable: page addresses and Anki notes are keyed by it
title: {title}
subject: {subject}  # the id of a subject in course.yaml
level: beginner  # beginner, intermediate or advanced
study_minutes: 30
keywords: []  # words people search for

# One or two sentences: what it is.
definition: |
  {title} is ... (replace this with a precise definition).

# A paragraph: the idea, why it matters, what it connects to.
summary: |
  A short summary of {title}.

# Precise, checkable statements. importance: high, medium or low.
takeaways:
  - title: The first thing to remember
    explanation: Why it is true, with a number or a formula where one helps.
    importance: high

# Other topics (topic: id) or free text (text: ...). Prerequisites must not form a cycle.
prerequisites: []
#  - topic: another-topic-id
#    why: What it gives you here.
#  - text: Basic algebra

# What to learn next: a topic, or free text with a level.
learn_next: []
#  - text: A follow-up subject
#    why: Why it is the natural next step.
#    level: intermediate

applications:
  - title: A concrete use
    explanation: Where and how it is used in practice.

# Every reference needs a url or a doi.
references: []
#  - id: author2024
#    authors: Author, Other
#    title: The Paper's Title
#    year: 2024
#    url: https://example.org/paper

# The long-form study guide (Markdown). Put [[figure:ID]] on its own line to show a figure.
guide: |
  ## Intuition

  Explain the idea in plain words first.

  ## The details

  Then the precise version.

# Flashcards: basic (front/back), reversed (both directions) or cloze ({{{{c1::hidden}}}}).
# Give each a stable id: Anki updates the note by it when you edit the text.
flashcards:
  - id: first-card
    front: What is {title}?
    back: The answer.
#  - id: both-ways
#    type: reversed
#    front: Term
#    back: Meaning
#  - id: fill-in
#    type: cloze
#    text: "{{{{c1::Hidden}}}} text."

# Practice questions: single_choice, multiple_answer, true_false, numeric, short_answer,
# fill_blank ([[1]] marks a blank), matching and ordering. Each needs an explanation.
questions:
  - id: first-question
    type: true_false
    prompt: This statement about {title} is true.
    answer: true
    explanation: Say why it is true, and why the tempting opposite is wrong.
"""

_GITIGNORE = "/build/\n/.studygen-cache/\n"

_README = """\
# {title}

A course written for [studygen](https://pypi.org/project/studygen/).

- `course.yaml`: the course's title, base URL and catalogue of categories and subjects.
- `topics/`: one file per topic. Add one with `studygen new topic ID --subject SUBJECT`.
- `schemas/`: JSON Schemas that let your editor check the files as you type
  (refresh them after upgrading studygen with `studygen schema -o schemas`).

Build the site, the Anki decks and the quiz exports with `studygen build` (output in `build/`), check without
building with `studygen check`, and preview with `studygen serve`.
"""


def new_course(folder: Path, title: str | None = None) -> list[Path]:
    """Create a course folder that builds at once. Refuses to overwrite an existing course."""
    if (folder / COURSE_FILE).exists():
        raise ContentError([Problem(str(folder / COURSE_FILE), 1, 1, "", "a course already exists here")])
    course_id = _slugify(folder.resolve().name) or "my-course"
    title = title or folder.resolve().name.replace("-", " ").replace("_", " ").title()
    folder.mkdir(parents=True, exist_ok=True)
    written = [
        _write(folder / COURSE_FILE, _COURSE_TEMPLATE.format(schemas=SCHEMA_DIR, course_id=course_id, title=title)),
        _write(folder / ".gitignore", _GITIGNORE),
        _write(folder / "README.md", _README.format(title=title)),
    ]
    written += write_schemas(folder / SCHEMA_DIR)
    written.append(new_topic(folder, "getting-started", "basics", title="Getting Started"))
    return written


def new_topic(course: Path, topic_id: str, subject: str, title: str | None = None) -> Path:
    """Add a topic file with every section stubbed; the result validates as it is."""
    if not SLUG.match(topic_id):
        raise ContentError([Problem(topic_id, 1, 1, "id", "not a valid topic id", "use e.g. 'residual-networks'")])
    target = course / TOPICS_DIR / f"{topic_id}.yaml"
    if target.exists():
        raise ContentError([Problem(str(target), 1, 1, "", "this topic already exists")])
    subjects = _subjects(course)
    if subjects and subject not in subjects:
        hint = f"use one of: {', '.join(sorted(subjects))}"
        raise ContentError([Problem(str(course / COURSE_FILE), 1, 1, "subject", f"no subject '{subject}'", hint)])
    title = title or topic_id.replace("-", " ").capitalize()
    schemas = f"../{SCHEMA_DIR}"
    return _write(target, _TOPIC_TEMPLATE.format(schemas=schemas, topic_id=topic_id, title=title, subject=subject))


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [_write(folder / name, data.decode("utf-8")) for name, data in schema_files().items()]


def _subjects(course: Path) -> set[str]:
    import yaml

    try:
        data = yaml.safe_load((course / COURSE_FILE).read_text(encoding="utf-8"))
        return {s["id"] for c in data["categories"] for s in c["subjects"]}
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return set()  # the build reports a broken course file with its line; here we only offer a hint


def _slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
