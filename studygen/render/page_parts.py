"""Long lists of questions cut over several pages, so that no page passes the weight budget.

Every page of the site must stay under 100 KB of HTML, CSS and JavaScript. Quizzes, worksheets and answer keys
grow with the content, so they come in parts when they would pass it: `practice.html`, `practice-2.html`, ...
The cut is planned before rendering, from an estimate of each question's markup (`estimated_bytes`) that errs on
the large side, and the parts are balanced: 21 questions become 11 + 10, not 20 + 1.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise
from typing import Any

from studygen.render.i18n import Messages
from studygen.render.markup import MATHML_NAMESPACE

# Estimated question markup one page may hold: the 100 KB budget less the page's own frame (~10 KB) and its
# minified stylesheets and scripts (~30 KB on a quiz, which also carries its answers as JSON; ~15 KB on a
# printable sheet), with room left for the estimate's error.
QUIZ_PART_BYTES = 50_000
SHEET_PART_BYTES = 65_000
# The Q&A hub (qa_bank.py estimates its share of each question closely, a little high): prompts and links, besides
# its own frame and filter form (~5 KB) and its stylesheet and scripts (~13 KB).
HUB_PART_BYTES = 80_000
# What the templates wrap around a question, and around each of its options, beyond the content itself.
_QUESTION_FRAME = 600
_ITEM_FRAME = 150


@dataclass(frozen=True)
class Part:
    """One page of a cut list: its path, and which items (0-based, end exclusive) it holds."""

    path: str
    start: int
    stop: int


def part_path(path: str, number: int) -> str:
    """`practice.html` for the first part, `practice-2.html` for the second, and so on."""
    if number == 1:
        return path
    stem, dot, suffix = path.rpartition(".")
    return f"{stem}-{number}{dot}{suffix}"


def written_bytes(html: str) -> int:
    """Bytes a piece of rendered HTML takes in a written page (which has no MathML namespace attributes)."""
    return len(html.encode("utf-8")) - html.count(MATHML_NAMESPACE) * len(MATHML_NAMESPACE)


def part_title(title: str, parts: list[Part], part: Part, m: Messages) -> str:
    """A page's title, with "(part 2 of 3)" when it is one of several parts."""
    if len(parts) == 1:
        return title
    return m.text("parts.title", title=title, number=parts.index(part) + 1, count=len(parts))


def estimated_bytes(view: Any) -> int:
    """Roughly how many bytes of HTML a question's prepared view becomes: every string in it, plus a frame for the
    question and for each option, item or pair it lists."""
    total = _QUESTION_FRAME
    for value in view.values() if isinstance(view, Mapping) else view:
        if isinstance(value, str):
            total += written_bytes(value)
        elif isinstance(value, Mapping):
            total += estimated_bytes(value) - _QUESTION_FRAME + _ITEM_FRAME
        elif isinstance(value, (list, tuple)):
            total += estimated_bytes(value) - _QUESTION_FRAME
    return total


def cut(path: str, weights: Sequence[int], limit: int) -> list[Part]:
    """The fewest balanced parts whose weights each stay within `limit` (a single item over it gets a part alone)."""
    if not weights:
        return [Part(path, 0, 0)]
    count = max(1, math.ceil(sum(weights) / limit))
    while True:
        bounds = _balanced_bounds(weights, count)
        sizes = [sum(weights[a:b]) for a, b in pairwise(bounds)]
        if count >= len(weights) or all(size <= limit for size in sizes):
            break
        count += 1
    return [Part(part_path(path, n), a, b) for n, (a, b) in enumerate(pairwise(bounds), start=1)]


def _balanced_bounds(weights: Sequence[int], count: int) -> list[int]:
    """Boundaries 0 = b0 < b1 < ... < b_count = len(weights), each cut where the running total comes nearest to
    an equal share."""
    count = min(count, len(weights))
    running = [0, *accumulate(weights)]  # never decreasing (no weight is negative): searched by bisection
    total = running[-1]
    bounds = [0]
    for j in range(1, count):
        share = total * j / count
        lowest, highest = bounds[-1] + 1, len(weights) - (count - j)
        # The nearest running total at or above the share, and the one below it (its first index, if several
        # are equal); the lower one on a tie. Scanning every boundary was O(items x parts): 8,000 questions in 63
        # parts of the Q&A hub took ~0.3 s.
        above = bisect_left(running, share, lowest, highest + 1)
        candidates = [above] if above <= highest else []
        if above > lowest:
            candidates.append(bisect_left(running, running[above - 1], lowest, above))
        bounds.append(min(candidates, key=lambda b: (abs(running[b] - share), b)))
    bounds.append(len(weights))
    return bounds
