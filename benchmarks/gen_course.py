"""Write a deterministic synthetic course of N topics, for benchmarks.

Each topic has what a real one has: a definition, a summary, four takeaways, links to earlier topics (so the
prerequisite graph has no cycles), a ~3 KB guide with headings, math and a table, 10 flashcards of the three kinds
and 8 questions of eight types. The same N always gives the same bytes.

    python benchmarks/gen_course.py 1000 /tmp/course-1000
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

import yaml

WORDS = [
    "gradient", "residual", "layer", "shortcut", "identity", "network", "depth", "training", "error", "signal",
    "unit", "weight", "batch", "norm", "convolution", "activation", "optimisation", "loss", "function", "mapping",
    "block", "stage", "feature", "channel", "learning", "rate", "momentum", "decay", "schedule", "iteration",
    "epoch", "variance", "mean", "response", "propagation", "backward", "forward",
]  # fmt: skip


def sentence(rng: random.Random, words: int = 14) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, sentences: int = 5) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def guide(rng: random.Random, index: int) -> str:
    parts = []
    for section in range(4):
        parts.append(f"## Part {section + 1}: {rng.choice(WORDS)} and {rng.choice(WORDS)}")
        parts.append(paragraph(rng))
        parts.append(f"The unit computes $x_{{l+1}} = x_l + F_{index}(x_l, W_l)$ for each $l$.")
        if section == 1:
            parts.append("$$\\frac{\\partial E}{\\partial x_l} = \\frac{\\partial E}{\\partial x_L}\\left(1 + "
                         "\\frac{\\partial}{\\partial x_l}\\sum_{i=l}^{L-1} F(x_i, W_i)\\right)$$")  # fmt: skip
        if section == 2:
            rows = [f"| plain-{d} | {rng.randint(1, 90)}% | {rng.randint(1, 90)}% |" for d in (20, 32, 44, 56)]
            parts.append("\n".join(["| net | train error | test error |", "| --- | --- | --- |", *rows]))
        parts.append(paragraph(rng, 4))
    return "\n\n".join(parts) + "\n"


def topic(rng: random.Random, index: int) -> dict[str, object]:
    topic_id = f"topic-{index:05d}"
    earlier = [f"topic-{i:05d}" for i in sorted({index - 1, index // 2}) if 0 <= i < index]
    questions: list[dict[str, object]] = [
        {"id": "q-single", "type": "single_choice", "prompt": sentence(rng) + " Which is right?",
         "explanation": sentence(rng), "options": [{"text": "Yes", "correct": True, "feedback": sentence(rng)},
                                                   {"text": "No", "feedback": sentence(rng)}]},
        {"id": "q-multi", "type": "multiple_answer", "prompt": sentence(rng), "explanation": sentence(rng),
         "options": [{"text": "A", "correct": True}, {"text": "B", "correct": True}, {"text": "C"}]},
        {"id": "q-tf", "type": "true_false", "prompt": sentence(rng), "answer": index % 2 == 0,
         "explanation": sentence(rng)},
        {"id": "q-num", "type": "numeric", "prompt": "What is $6 \\times 9$?", "answer": 54, "tolerance": 0.5,
         "explanation": sentence(rng)},
        {"id": "q-short", "type": "short_answer", "prompt": sentence(rng), "accepted": ["identity"],
         "explanation": sentence(rng)},
        {"id": "q-blank", "type": "fill_blank", "prompt": "A [[1]] adds its [[2]].", "explanation": sentence(rng),
         "blanks": [{"accepted": ["shortcut"]}, {"accepted": ["input"]}]},
        {"id": "q-match", "type": "matching", "prompt": sentence(rng), "explanation": sentence(rng),
         "pairs": [{"left": "A", "right": "zero padding"}, {"left": "B", "right": "projection"}]},
        {"id": "q-order", "type": "ordering", "prompt": sentence(rng), "explanation": sentence(rng),
         "items": ["BN", "ReLU", "conv"]},
    ]  # fmt: skip
    cards: list[dict[str, object]] = []
    for c in range(10):
        kind = ("basic", "reversed", "cloze")[c % 3]
        if kind == "cloze":
            cards.append({"id": f"card-{c}", "type": "cloze", "text": f"The {{{{c1::{rng.choice(WORDS)}}}}} "
                          f"of a {{{{c2::{rng.choice(WORDS)}}}}} unit."})  # fmt: skip
        else:
            cards.append({"id": f"card-{c}", "type": kind, "front": sentence(rng, 8), "back": sentence(rng, 10)})
    return {
        "id": topic_id,
        "title": f"Topic {index}: {rng.choice(WORDS).title()} {rng.choice(WORDS).title()}",
        "subject": f"subject-{index % 10}",
        "level": ("beginner", "intermediate", "advanced")[index % 3],
        "study_minutes": 20 + index % 40,
        "definition": sentence(rng, 20),
        "summary": paragraph(rng, 4) + " With math: $a^2 + b^2 = c^2$.",
        "takeaways": [
            {"title": sentence(rng, 6), "explanation": sentence(rng), "importance": ("high", "medium", "low")[t % 3]}
            for t in range(4)
        ],
        "prerequisites": [{"topic": e} for e in earlier],
        "learn_next": [{"text": "Further reading", "why": sentence(rng, 8), "level": "advanced"}],
        "applications": [{"title": sentence(rng, 4), "explanation": sentence(rng)}],
        "references": [
            {
                "id": "ref",
                "authors": "A. Author",
                "title": sentence(rng, 6),
                "year": 2016,
                "url": f"https://example.org/paper/{index}",
            }
        ],
        "guide": guide(rng, index),
        "flashcards": cards,
        "questions": questions,
    }


def generate(n: int, folder: Path) -> Path:
    rng = random.Random(n)
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "topics").mkdir(parents=True)
    course = {
        "id": f"synthetic-{n}",
        "title": f"Synthetic course of {n} topics",
        "description": "A generated course for benchmarks.",
        "base_url": "https://example.org/synthetic/",
        "categories": [
            {"id": "sciences", "title": "Sciences",
             "subjects": [{"id": f"subject-{s}", "title": f"Subject {s}"} for s in range(min(n, 10))]}
        ],
    }  # fmt: skip
    (folder / "course.yaml").write_text(yaml.safe_dump(course, sort_keys=False), encoding="utf-8")
    for index in range(n):
        data = topic(rng, index)
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        (folder / "topics" / f"{data['id']}.yaml").write_text(text, encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of topics")
    parser.add_argument("folder", type=Path, help="where to write the course (replaced)")
    args = parser.parse_args()
    generate(args.n, args.folder)
    print(f"wrote {args.n} topics to {args.folder}")


if __name__ == "__main__":
    main()
