"""The typed content model: what a course file and a topic file may contain.

Every field carries a description: the JSON Schema that editors use and the authoring guide are both generated
from these classes, so the documentation cannot drift from what the loader accepts.
Prose fields are Markdown; math is written LaTeX-style between `$...$` (inline) or `$$...$$` (display).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[
    str,
    Field(
        pattern=SLUG_PATTERN,
        max_length=80,
        description="A stable identifier: lower-case letters, digits and single hyphens (e.g. `identity-mapping`).",
    ),
]
Markdown = Annotated[str, Field(min_length=1, description="Markdown text; math as `$...$` or `$$...$$`.")]
Level = Literal["beginner", "intermediate", "advanced"]
Importance = Literal["high", "medium", "low"]
Difficulty = Literal["easy", "medium", "hard"]
Tags = Annotated[list[Slug], Field(default_factory=list, description="Extra tags, as slugs.")]

CLOZE_DELETION = re.compile(r"\{\{c(\d+)::(.+?)\}\}", re.DOTALL)
BLANK_MARKER = re.compile(r"\[\[(\d+)\]\]")
FIGURE_MARKER = re.compile(r"^\s*\[\[figure:([a-z0-9-]+)\]\]\s*$", re.MULTILINE)


class Strict(BaseModel):
    """Base of every content class: unknown keys are errors, and parsed content is immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- course file


class Subject(Strict):
    """A subject within a category, e.g. Machine Learning. Topics name their subject by id."""

    id: Slug
    title: str = Field(min_length=1, description="The subject's display name.")
    description: str = Field("", description="One or two sentences shown on the subject page (Markdown).")


class Category(Strict):
    """A top-level group of subjects, e.g. Computing."""

    id: Slug
    title: str = Field(min_length=1, description="The category's display name.")
    description: str = Field("", description="Shown on the category page (Markdown).")
    subjects: list[Subject] = Field(min_length=1, description="The subjects in this category.")


class FigureSpec(Strict):
    """A figure that content may reference by id (`[[figure:ID]]` in a guide, `figure: ID` on a card)."""

    id: Slug
    title: str = Field(min_length=1, description="Short title, used as the figure's heading.")
    alt: str = Field(min_length=1, description="Alternative text describing what the figure shows.")
    caption: str = Field("", description="Caption (Markdown). Figures drawn from results add measured numbers.")
    image: str | None = Field(None, description="A static image inside the course folder (path relative to it).")
    experiment: Slug | None = Field(None, description="The experiment whose results this figure is drawn from.")
    plot: Slug | None = Field(None, description="Which plot of the experiment's results to draw.")
    profile: Literal["smoke", "default", "paper"] = Field(
        "default", description="Which profile's results to draw (`default`: minutes on a laptop CPU)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> FigureSpec:
        if (self.image is None) == (self.experiment is None):
            raise ValueError("give either `image` (a file in the course) or `experiment` (results), not both")
        if self.experiment is not None and self.plot is None:
            raise ValueError("a figure drawn from an experiment needs `plot` (which plot to draw)")
        return self


class Course(Strict):
    """The course file, `course.yaml`, at the root of a course folder."""

    id: Slug
    title: str = Field(min_length=1, description="The course's title.")
    description: Markdown
    language: str = Field("en", pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", description="BCP 47 tag, e.g. `en`.")
    base_url: str = Field(
        pattern=r"^https?://[^\s]+/$",
        description="Where the site will be published, ending with `/`; drives canonical links and card links.",
    )
    authors: list[str] = Field(default_factory=list, description="Authors, as they should be credited.")
    license: str = Field("", description="The content's licence, e.g. `CC BY 4.0`.")
    categories: list[Category] = Field(min_length=1, description="The catalogue: categories and their subjects.")
    figures: list[FigureSpec] = Field(default_factory=list, description="Figures that topics may reference.")


# ---------------------------------------------------------------- topic: study summary


class Takeaway(Strict):
    """A precise, checkable statement the learner should keep."""

    title: str = Field(min_length=1, description="The claim in one line.")
    explanation: Markdown
    importance: Importance = Field(description="How central it is: `high`, `medium` or `low`.")


class Prerequisite(Strict):
    """Something to know first: another topic of the course (`topic`) or a free-text item (`text`)."""

    topic: Slug | None = Field(None, description="The id of a topic of this course.")
    text: str | None = Field(None, min_length=1, description="A free-text prerequisite, e.g. `Matrix products`.")
    why: str = Field("", description="Why it is needed (optional).")

    @model_validator(mode="after")
    def _topic_or_text(self) -> Prerequisite:
        if (self.topic is None) == (self.text is None):
            raise ValueError("give exactly one of `topic` (a topic id) or `text` (free text)")
        return self


class NextStep(Strict):
    """What to learn next: a topic of the course or a free-text item, with why and at what level."""

    topic: Slug | None = Field(None, description="The id of a topic of this course.")
    text: str | None = Field(None, min_length=1, description="A free-text item, for things outside the course.")
    why: str = Field(min_length=1, description="Why this is a good next step.")
    level: Level | None = Field(None, description="Its level; defaults to the linked topic's level.")

    @model_validator(mode="after")
    def _topic_or_text(self) -> NextStep:
        if (self.topic is None) == (self.text is None):
            raise ValueError("give exactly one of `topic` (a topic id) or `text` (free text)")
        if self.text is not None and self.level is None:
            raise ValueError("a free-text next step needs `level` (beginner, intermediate or advanced)")
        return self


class Application(Strict):
    """A concrete real-world use."""

    title: str = Field(min_length=1, description="The application, e.g. `Object detection backbones`.")
    explanation: Markdown


class Reference(Strict):
    """A citation. Every reference has a URL or a DOI so that readers can find it."""

    id: Slug = Field(description="A key to cite it by, e.g. `he2016identity`.")
    authors: str = Field(min_length=1, description="Authors as printed, e.g. `He, Zhang, Ren, Sun`.")
    title: str = Field(min_length=1, description="The work's title.")
    year: int = Field(ge=1500, le=2100, description="Year of publication.")
    venue: str = Field("", description="Journal, conference or publisher, e.g. `CVPR 2016`.")
    url: str | None = Field(None, pattern=r"^https?://\S+$", description="A link to the work.")
    doi: str | None = Field(None, pattern=r"^10\.\d{4,9}/\S+$", description="A DOI such as `10.1109/CVPR.2016.90`.")

    @model_validator(mode="after")
    def _findable(self) -> Reference:
        if self.url is None and self.doi is None:
            raise ValueError("a reference needs a `url` or a `doi` so that readers can find it")
        return self


# ---------------------------------------------------------------- flashcards


class CardBase(Strict):
    id: Slug = Field(description="Stable id within the topic; Anki updates the note by it, so never reuse one.")
    tags: Tags
    figure: Slug | None = Field(None, description="A figure shown with the card.")


class BasicCard(CardBase):
    """A question on the front, the answer on the back. `type` may be left out."""

    type: Literal["basic"] = "basic"
    front: Markdown
    back: Markdown


class ReversedCard(CardBase):
    """Like basic, and also asked the other way round (back -> front)."""

    type: Literal["reversed"]
    front: Markdown
    back: Markdown


class ClozeCard(CardBase):
    """Text with deletions `{{c1::hidden}}`; each number becomes one card. Keep a space inside `} }` in math."""

    type: Literal["cloze"]
    text: Markdown
    extra: str = Field("", description="Shown on the back of every card of the note (Markdown).")

    @field_validator("text")
    @classmethod
    def _has_deletion(cls, text: str) -> str:
        if not CLOZE_DELETION.search(text):
            raise ValueError("a cloze card needs at least one deletion such as {{c1::hidden text}}")
        return text


def _card_kind(value: Any) -> str:
    return value.get("type", "basic") if isinstance(value, dict) else "basic"


Flashcard = Annotated[
    Annotated[BasicCard, Tag("basic")] | Annotated[ReversedCard, Tag("reversed")] | Annotated[ClozeCard, Tag("cloze")],
    Discriminator(_card_kind),
]


# ---------------------------------------------------------------- practice questions


class Option(Strict):
    """One choice of a choice question."""

    text: Markdown
    correct: bool = Field(False, description="Whether choosing it is right.")
    feedback: str = Field("", description="Shown when this option is chosen: why it is right or wrong.")


class QuestionBase(Strict):
    id: Slug = Field(description="Stable id within the topic.")
    prompt: Markdown
    difficulty: Difficulty = "medium"
    explanation: Markdown = Field(description="Why the right answer is right and the tempting wrong one is wrong.")
    hint: str = Field("", description="An optional nudge shown on request.")
    tags: Tags
    figure: Slug | None = Field(None, description="A figure the question refers to.")


def _check_options(options: list[Option], single: bool) -> list[Option]:
    texts = [option.text.strip().casefold() for option in options]
    duplicates = sorted({text for text in texts if texts.count(text) > 1})
    if duplicates:
        raise ValueError(f"duplicate options: {', '.join(repr(d) for d in duplicates)}")
    right = sum(option.correct for option in options)
    if right == 0:
        raise ValueError("no option is marked `correct: true`")
    if single and right > 1:
        raise ValueError(f"a single-choice question has {right} correct options; use type multiple_answer")
    return options


class SingleChoice(QuestionBase):
    """Exactly one option is right."""

    type: Literal["single_choice"]
    options: list[Option] = Field(min_length=2)

    @field_validator("options")
    @classmethod
    def _one_right(cls, options: list[Option]) -> list[Option]:
        return _check_options(options, single=True)


class MultipleAnswer(QuestionBase):
    """One or more options are right; the learner picks all of them."""

    type: Literal["multiple_answer"]
    options: list[Option] = Field(min_length=2)

    @field_validator("options")
    @classmethod
    def _some_right(cls, options: list[Option]) -> list[Option]:
        return _check_options(options, single=False)


class TrueFalse(QuestionBase):
    """A statement (the prompt) that is true or false."""

    type: Literal["true_false"]
    answer: bool = Field(description="Whether the statement is true.")
    feedback_true: str = Field("", description="Shown to a learner who answered `true`.")
    feedback_false: str = Field("", description="Shown to a learner who answered `false`.")


class Numeric(QuestionBase):
    """A number, accepted within `tolerance` of `answer`, or anywhere in `min`..`max`."""

    type: Literal["numeric"]
    answer: float | None = Field(None, allow_inf_nan=False, description="The exact answer.")
    tolerance: float = Field(0.0, ge=0, allow_inf_nan=False, description="Accepted absolute distance from `answer`.")
    min: float | None = Field(None, allow_inf_nan=False, description="Lowest accepted value (instead of `answer`).")
    max: float | None = Field(None, allow_inf_nan=False, description="Highest accepted value (instead of `answer`).")
    unit: str = Field("", description="Unit shown after the input, e.g. `%`.")

    @model_validator(mode="after")
    def _has_value(self) -> Numeric:
        has_range = self.min is not None and self.max is not None
        if self.answer is None and not has_range:
            raise ValueError("a numeric question needs `answer` (with optional `tolerance`) or both `min` and `max`")
        if self.answer is not None and (self.min is not None or self.max is not None):
            raise ValueError("give either `answer` or `min`/`max`, not both")
        if has_range and self.min > self.max:  # type: ignore[operator]
            raise ValueError("`min` is greater than `max`")
        return self


class ShortAnswer(QuestionBase):
    """Free text, compared case- and whitespace-insensitively with the accepted answers (or a regex)."""

    type: Literal["short_answer"]
    accepted: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1, description="Accepted answers.")
    regex: str = Field("", description="Optional regular expression that also accepts an answer (full match).")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, regex: str) -> str:
        try:
            re.compile(regex)
        except re.error as error:
            raise ValueError(f"not a valid regular expression: {error}") from None
        return regex


class Blank(Strict):
    """The accepted answers for one blank."""

    accepted: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1, description="Accepted answers.")


class FillBlank(QuestionBase):
    """The prompt holds blanks written `[[1]]`, `[[2]]`, ...; `blanks` lists the answers in that order."""

    type: Literal["fill_blank"]
    blanks: list[Blank] = Field(min_length=1)

    @model_validator(mode="after")
    def _blanks_match(self) -> FillBlank:
        numbers = [int(n) for n in BLANK_MARKER.findall(self.prompt)]
        expected = list(range(1, len(self.blanks) + 1))
        if sorted(numbers) != expected:
            raise ValueError(
                f"the prompt has blanks {numbers or 'none'} but `blanks` gives answers for {expected}; "
                "write [[1]], [[2]], ... once each"
            )
        return self


class Pair(Strict):
    left: str = Field(min_length=1, description="The item to match.")
    right: str = Field(min_length=1, description="What it matches.")


class Matching(QuestionBase):
    """Match each left item with its right item."""

    type: Literal["matching"]
    pairs: list[Pair] = Field(min_length=2)

    @field_validator("pairs")
    @classmethod
    def _distinct(cls, pairs: list[Pair]) -> list[Pair]:
        for side in ("left", "right"):
            values = [getattr(pair, side) for pair in pairs]
            if len(set(values)) != len(values):
                raise ValueError(f"two pairs have the same `{side}` item")
        return pairs


class Ordering(QuestionBase):
    """Put the items in order; `items` lists them in the right order."""

    type: Literal["ordering"]
    items: list[Annotated[str, Field(min_length=1)]] = Field(min_length=2)

    @field_validator("items")
    @classmethod
    def _distinct(cls, items: list[str]) -> list[str]:
        if len(set(items)) != len(items):
            raise ValueError("duplicate items")
        return items


Question = Annotated[
    SingleChoice | MultipleAnswer | TrueFalse | Numeric | ShortAnswer | FillBlank | Matching | Ordering,
    Field(discriminator="type"),
]
QUESTION_TYPES = ("single_choice", "multiple_answer", "true_false", "numeric", "short_answer", "fill_blank",
                  "matching", "ordering")  # fmt: skip


# ---------------------------------------------------------------- topic file


class Topic(Strict):
    """One topic file in `topics/`: a study summary, a guide, flashcards and practice questions."""

    id: Slug
    title: str = Field(min_length=1, description="The topic's title.")
    subject: Slug = Field(description="The id of a subject in the course's catalogue.")
    level: Level
    study_minutes: int = Field(ge=1, le=6000, description="Estimated study time in minutes.")
    keywords: list[str] = Field(default_factory=list, description="Words people search for (for search and SEO).")
    definition: Markdown
    summary: Markdown
    takeaways: list[Takeaway] = Field(min_length=1, description="Key takeaways, each with its importance.")
    prerequisites: list[Prerequisite] = Field(default_factory=list, description="What to know first.")
    learn_next: list[NextStep] = Field(default_factory=list, description="What to learn next, with why and level.")
    applications: list[Application] = Field(default_factory=list, description="Real-world applications.")
    references: list[Reference] = Field(default_factory=list, description="Works the topic rests on.")
    guide: str = Field("", description="The long-form study guide (Markdown; `[[figure:ID]]` on its own line).")
    flashcards: list[Flashcard] = Field(default_factory=list, description="Authored flashcards.")
    derived_cards: bool = Field(True, description="Also make cards from the definition and each takeaway.")
    questions: list[Question] = Field(default_factory=list, description="Practice questions.")

    def figure_references(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every figure this topic references, with the field path that references it."""
        found: list[tuple[tuple[str | int, ...], str]] = [
            (("guide",), figure_id) for figure_id in FIGURE_MARKER.findall(self.guide)
        ]
        for kind, items in (("flashcards", self.flashcards), ("questions", self.questions)):
            found += [((kind, i, "figure"), item.figure) for i, item in enumerate(items) if item.figure]
        return found
