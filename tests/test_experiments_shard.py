"""Sweeps split across machines: the result cache is their only shared state, so every machine must compute the
same keys (the training code's version ignores formatting), and shards merge by copying their result files."""

from __future__ import annotations

from pathlib import Path

from studygen.experiments.cache import LABELS, TRAINING_SOURCES, code_version, source_digest

HERE = Path(__file__).resolve().parents[1] / "studygen" / "experiments"


def _sources() -> dict[str, str]:
    return {name: (HERE / name).read_text(encoding="utf-8") for name in TRAINING_SOURCES}


def test_code_version_ignores_comments_docstrings_and_formatting() -> None:
    sources = _sources()
    digest = source_digest(sources)
    assert digest == source_digest() and len(digest) == 12
    assert code_version() == LABELS.get(digest, digest)
    reworded = dict(sources)
    reworded["train.py"] = "# a new comment\n" + sources["train.py"].replace(
        '"""Train one network', '"""Reworded: train one network', 1
    ).replace("def train(\n", "def train(  # a comment inside a signature\n", 1).replace(
        '    """Train `cfg`', '    """Reworded: train `cfg`', 1
    ).replace("\n\n\ndef ", "\n\n\n\n# spacing\ndef ")
    reworded["nets.py"] = sources["nets.py"].replace("\n", "\r\n")  # a Windows checkout
    assert reworded != sources and source_digest(reworded) == digest
    changed = dict(sources)
    changed["config.py"] = sources["config.py"].replace("lr: float = 0.1", "lr: float = 0.2", 1)
    assert changed != sources and source_digest(changed) != digest
    renamed = dict(sources)
    renamed["data.py"] = sources["data.py"].replace("seed + 1_000_003", "seed + 1_000_004", 1)
    assert renamed != sources and source_digest(renamed) != digest


def test_labels_map_normalised_digests_to_the_versions_they_were_published_under() -> None:
    for digest, label in LABELS.items():
        assert len(digest) == len(label) == 12 and int(digest, 16) >= 0 and int(label, 16) >= 0
    assert len(set(LABELS.values())) == len(LABELS)
