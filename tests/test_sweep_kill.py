"""A training sweep killed outright (SIGKILL, as by the OOM killer or a lost machine) loses at most the steps since
its last checkpoint; rerunning resumes, and the final result equals that of a run that was never interrupted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

SPEC = """\
id: kill-test
title: One small run, long enough to be killed part-way
grid: {nets: [residual], depths: [8], variants: [identity], seeds: [0]}
train: {width: 4, steps: 300, warmup_steps: 20, log_every: 10, eval_every: 150}
"""


def sweep(root: Path, name: str) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "studygen", "figures", "run", "course/experiments/kill-test.yaml", "--course", "course",
        "--profile", "default", "--jobs", "1", "--quiet", "--results-dir", f"results-{name}",
        "--checkpoint-dir", f"checkpoints-{name}",
    ]  # fmt: skip
    # A session of its own, so that the kill reaches the training worker as well as the sweep.
    return subprocess.Popen(command, cwd=root, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def only_result(folder: Path) -> dict:
    (path,) = sorted(folder.glob("*.json"))
    return json.loads(path.read_text())


def test_killed_sweep_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    (tmp_path / "course/experiments").mkdir(parents=True)
    (tmp_path / "course/experiments/kill-test.yaml").write_text(SPEC)

    reference = sweep(tmp_path, "reference")
    assert reference.wait(timeout=300) == 0, reference.stderr.read() if reference.stderr else ""

    victim = sweep(tmp_path, "killed")
    deadline = time.monotonic() + 120
    while not any((tmp_path / "checkpoints-killed").rglob("*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert victim.poll() is None, "the run finished before it could be killed; make it longer"
    time.sleep(0.2)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert not list((tmp_path / "results-killed").glob("*.json"))  # no half-written result

    again = sweep(tmp_path, "killed")
    assert again.wait(timeout=300) == 0, again.stderr.read() if again.stderr else ""

    expected, resumed = only_result(tmp_path / "results-reference"), only_result(tmp_path / "results-killed")
    assert resumed["provenance"]["resumed_from_step"], "the rerun started from scratch instead of the checkpoint"
    assert resumed["key"] == expected["key"]
    assert resumed["metrics"] == expected["metrics"]  # same curves, gradients and final numbers, bit for bit
