"""Data-parallel training with torch.distributed on the CPU (gloo): a real two-process run through the command
line as torchrun would start it, its agreement with one process, and resuming an interrupted two-process run as
one process. Skipped where torch is not installed."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from studygen.experiments import cache, distributed  # noqa: E402
from studygen.experiments.config import Runtime  # noqa: E402
from studygen.experiments.spec import expand, load_spec  # noqa: E402
from studygen.experiments.sweep import device_slots  # noqa: E402
from studygen.experiments.train import train  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# The smoke profile, made tiny: one residual net of 8 layers, 4 filters, 24 iterations of the global batch 128.
SPEC = (
    "id: tiny\ntitle: Tiny\nprofile: smoke\ngrid: {nets: [residual], depths: [8], seeds: [0]}\n"
    "train: {width: 4, steps: 24, log_every: 4, eval_every: 12, warmup_steps: 4}\n"
)
RUNTIME = Runtime(threads=1, checkpoint_every=8)


class Interrupt(Exception):
    pass


def _stop_at_12(step: int, _total: int) -> None:
    if step >= 12:
        raise Interrupt  # after the checkpoint at step 8, before the one at 16


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(rank: int, world: int, ports: tuple[int, int], tmp: str) -> None:
    """One process of a two-process job, started as torchrun starts it: the environment says where it stands."""
    os.environ.update(
        RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_RANK=str(rank),
        LOCAL_WORLD_SIZE=str(world),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(ports[0]),
    )
    from click.testing import CliRunner

    from studygen.experiments.cli import figures

    # 1. The whole command: plan on rank 0, train with both processes, write on rank 0.
    args = ["run", f"{tmp}/tiny.yaml", "--results-dir", f"{tmp}/results", "--checkpoint-dir", f"{tmp}/ckpt"]
    out = CliRunner().invoke(figures, [*args, "--device", "cpu", "--quiet"], catch_exceptions=False)
    Path(f"{tmp}/rank{rank}.out").write_text(f"{out.exit_code}\n{out.output}")
    # 2. The same run again, interrupted at iteration 12 on both processes, in a new group (the command shut its
    # group down; a new port, since rank 0 may still be writing while rank 1 would connect to the old one).
    os.environ["MASTER_PORT"] = str(ports[1])
    group, _device = distributed.init("cpu", timeout_s=60)
    cfg = expand(load_spec(Path(f"{tmp}/tiny.yaml")).spec)[0]
    try:
        distributed.train_distributed(cfg, group, RUNTIME, Path(f"{tmp}/interrupted.pt"), _stop_at_12)
    except Interrupt:
        pass
    finally:
        distributed.shutdown()


def test_two_processes_train_one_run_and_an_interrupted_one_resumes_as_one_process(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(SPEC)
    cfg = expand(load_spec(tmp_path / "tiny.yaml").spec)[0]
    torch.multiprocessing.start_processes(
        _rank, args=(2, (_free_port(), _free_port()), str(tmp_path)), nprocs=2, start_method="spawn"
    )
    rank0, rank1 = ((tmp_path / f"rank{r}.out").read_text() for r in (0, 1))
    assert rank0.startswith("0\n") and "1 trained" in rank0, rank0
    assert rank1 == "0\n", rank1  # the other rank neither prints nor writes

    (path,) = (tmp_path / "results").iterdir()  # one result, no temporary files
    record = cache.read(path, cache.run_key(cfg))
    assert record["status"] == "finished"
    assert record["provenance"]["distributed"] == {
        "world_size": 2,
        "nodes": 1,
        "backend": "gloo",
        "batch_per_process": 64,
        "batchnorm": "per process",
        "batchnorm_images": 64,
    }
    assert not list((tmp_path / "ckpt").glob("*"))

    # The same global batches as one process; only BatchNorm's statistics (64 images, not 128) differ.
    single = train(cfg, RUNTIME)
    two, one = record["metrics"]["final"], single["metrics"]["final"]
    assert abs(two["train_error"] - one["train_error"]) < 0.05, (two, one)
    assert abs(two["train_error_eval"] - one["train_error_eval"]) < 0.08, (two, one)
    assert abs(two["train_loss"] - one["train_loss"]) < 0.1 * one["train_loss"], (two, one)

    # The interrupted two-process run left rank 0's checkpoint of iteration 8; one process finishes it.
    checkpoint = tmp_path / "interrupted.pt"
    state = torch.load(checkpoint, weights_only=False)
    assert state["step"] == 8 and state["config"] == cfg.to_dict()
    resumed = train(cfg, RUNTIME, checkpoint)
    assert resumed["status"] == "finished" and resumed["provenance"]["resumed_from_step"] == 8
    assert resumed["metrics"]["train"]["step"] == single["metrics"]["train"]["step"]
    assert resumed["metrics"]["train"]["loss"][:2] == state["metrics"]["train"]["loss"]  # the two processes' part
    assert cache.compact(resumed)["metrics"]["train"]["loss"][:2] == record["metrics"]["train"]["loss"][:2]
    assert abs(resumed["metrics"]["final"]["train_error"] - one["train_error"]) < 0.05
    assert not checkpoint.exists()


def test_one_process_group_computes_bit_for_bit_what_train_computes(tmp_path: Path) -> None:
    """The distributed loop mirrors train.train; on one process they must agree exactly, so they cannot drift."""
    (tmp_path / "tiny.yaml").write_text(SPEC.replace("seeds: [0]", "seeds: [0], variants: [dropout-0.5]"))
    cfg = expand(load_spec(tmp_path / "tiny.yaml").spec)[0].with_(steps=12)
    os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0")
    try:
        group, device = distributed.init("cpu", init_method=f"file://{tmp_path / 'store'}", timeout_s=60)
        assert device == "cpu" and group.backend == "gloo" and group.is_main
        record = distributed.train_distributed(cfg, group, RUNTIME)
    finally:
        distributed.shutdown()
        for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
            del os.environ[name]
    assert record is not None and record["metrics"] == train(cfg, RUNTIME)["metrics"]


def test_launcher_starts_the_same_command_under_torchrun(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from studygen.experiments.cli import figures

    started: list[list[str]] = []

    def fake_run(argv: list[str], check: bool) -> subprocess.CompletedProcess:
        started.append(argv)
        return subprocess.CompletedProcess(argv, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    (tmp_path / "tiny.yaml").write_text(SPEC)
    spec = str(tmp_path / "tiny.yaml")
    args = ["run", spec, "--launcher", "torchrun", "--nproc-per-node", "2", "--only", "residual-*", "--sync-bn"]
    out = CliRunner().invoke(figures, [*args, "--results-dir", str(tmp_path / "r"), "--quiet"])
    assert out.exit_code == 0, out.output
    (argv,) = started
    assert argv[:5] == [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]
    rest = argv[5:]
    assert rest[:4] == ["-m", "studygen.experiments", "run", spec]
    for pair in (["--only", "residual-*"], ["--results-dir", str(tmp_path / "r")], ["--device", "auto"]):
        assert pair[0] in rest and rest[rest.index(pair[0]) + 1] == pair[1]
    assert "--sync-bn" in rest and "--quiet" in rest and "--launcher" not in rest
    bad = CliRunner().invoke(figures, [*args[:4], "--jobs", "2"])
    assert bad.exit_code == 1 and "--jobs" in bad.output


def test_jobs_spread_over_gpus_round_robin() -> None:
    assert device_slots("cuda", 5, 2) == ["cuda:0", "cuda:1", "cuda:0", "cuda:1", "cuda:0"]
    assert device_slots("cuda:1", 3, 2) == ["cuda:1"] * 3  # a named GPU takes every job
    assert device_slots("cpu", 2, 0) == ["cpu", "cpu"]


def test_documented_commands_use_only_real_options() -> None:
    """Every `studygen figures run` / `-m studygen.experiments run` line of the guide and the Slurm scripts names
    options that the command has."""
    from studygen.experiments.cli import run

    known = {opt for param in run.params for opt in getattr(param, "opts", [])}
    texts = [ROOT / "docs" / "experiments.md", *sorted((ROOT / "docs" / "slurm").glob("*.sbatch"))]
    seen = 0
    for path in texts:
        text = path.read_text(encoding="utf-8").replace("\\\n", " ")
        for line in text.splitlines():
            match = re.search(r"(?:studygen figures run|-m studygen\.experiments run)(.*)", line)
            if not match:
                continue
            seen += 1
            for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", match.group(1)):
                assert option in known, f"{path.name}: {line.strip()}: {option} is not an option of run"
    assert seen >= 8
    for script in texts[1:]:  # the Slurm scripts are valid bash
        subprocess.run(["bash", "-n", str(script)], check=True)
