"""Sweeps split across machines: the result cache is their only shared state, so every machine must compute the
same keys (the training code's version ignores formatting), and shards merge by copying their result files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from studygen.experiments import cache
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


SWEEP = (
    "id: split\ntitle: Split\nprofile: smoke\ngrid: {nets: [plain, residual], depths: [8], seeds: [0, 1]}\n"
    "train: {width: 4, steps: 8, log_every: 4, eval_every: 8, warmup_steps: 2}\n"
)


def test_two_shards_in_two_processes_merge_into_the_whole_sweep(tmp_path: Path) -> None:
    """Shards 1/2 and 2/2 run side by side as separate commands, each with its own result folder (as on two
    machines); copying both folders into one gives exactly the runs of the unsharded sweep, with the same numbers."""
    pytest.importorskip("torch")
    from studygen.experiments.spec import load_spec
    from studygen.experiments.sweep import plan, run_sweep

    spec_path = tmp_path / "split.yaml"
    spec_path.write_text(SWEEP)

    def shard(k: int) -> subprocess.Popen:
        argv = ["run", str(spec_path), "--shard", f"{k}/2", "--results-dir", str(tmp_path / f"shard{k}")]
        argv += ["--checkpoint-dir", str(tmp_path / f"ckpt{k}"), "--device", "cpu", "--jobs", "1", "--quiet"]
        command = [sys.executable, "-m", "studygen.experiments", *argv]
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    shards = [shard(1), shard(2)]
    spec = load_spec(spec_path).spec
    whole = tmp_path / "whole"
    summary = run_sweep([spec], None, "cpu", 1, results_dir=whole, checkpoint_dir=tmp_path / "c", progress=False)
    assert summary.count("finished") == 4
    outputs = [p.communicate(timeout=300)[0] for p in shards]
    assert [p.returncode for p in shards] == [0, 0], outputs
    assert all("2 of 4 runs" in out and "2 trained" in out for out in outputs), outputs

    merged = tmp_path / "merged"
    merged.mkdir()
    for k in (1, 2):
        for path in (tmp_path / f"shard{k}").glob("*.json"):
            shutil.copy2(path, merged / path.name)
    names = sorted(p.name for p in merged.iterdir())
    assert names == sorted(p.name for p in whole.iterdir())
    assert {name.split("--")[1][:-5] for name in names} == {r.key for r in plan([spec])}
    for name in names:
        a, b = cache.read(merged / name), cache.read(whole / name)
        assert a["metrics"] == b["metrics"]  # one thread on the CPU: the same numbers in any process
    again = run_sweep([spec], None, "cpu", 1, results_dir=merged, checkpoint_dir=tmp_path / "c", progress=False)
    assert again.count("cached") == 4
