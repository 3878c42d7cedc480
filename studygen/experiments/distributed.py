"""One run trained by several processes at once: data-parallel training with torch.distributed.

Launched by torchrun, one process per GPU (or per CPU slot), on one machine or many:

    torchrun --standalone --nproc-per-node=4 -m studygen.experiments run ... (one machine)
    torchrun --nnodes=2 --nproc-per-node=4 --rdzv-backend=c10d --rdzv-endpoint=HOST:29500 --rdzv-id=JOB \\
        -m studygen.experiments run ... (each of two machines)

What a distributed run keeps from a single-process one (`train.train`), so its result answers the same cache key:
- The global batch is the config's `batch_size` and the learning rate is the config's. Every process draws the same
  seeded permutation of each epoch and takes its own contiguous 1/N of every global batch: the shards of an epoch
  are disjoint, and the union of one step's shards is exactly the batch a single process would have drawn, with the
  same augmentation. DistributedDataParallel averages the gradients, so the step is that of the global mean loss.
- Checkpoints have the format of `train.train`'s and hold nothing per process (the sampler's state is global), so a
  run resumes on any number of processes, a single one included.
- Only rank 0 evaluates, measures, writes checkpoints and returns the record; the others return None.

What can differ: BatchNorm. By default each process normalises over its own batch_size / N images, as He et al.
did on their GPUs (DistributedDataParallel's default; rank 0's running statistics are broadcast before each
forward pass and used for evaluation). With `sync_bn`, SyncBatchNorm normalises over the whole global batch, which
is a single process's computation; torch runs it on GPUs only. The record's `provenance.distributed` says which
was used. Neither the number of processes nor the BatchNorm mode enters the cache key: like bf16 on a GPU, they
are how a run was computed, not what.

The loop below mirrors `train.train` step by step (and reuses its parts); on one process it gives bit-identical
metrics, which a test checks, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import math
import os
import platform
import sys
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from studygen.experiments.config import RunConfig, Runtime
from studygen.experiments.data import DataError, DataSet, Sampler, crop_and_flip, load_data
from studygen.experiments.nets import build_net, count_parameters
from studygen.experiments.train import (
    Progress,
    _final_metrics,
    _load_checkpoint,
    _save_checkpoint,
    autocast,
    describe_device,
    evaluate,
    prepare_model,
    to_layout,
    train_step,
)

TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


@dataclass(frozen=True)
class Group:
    """This process's place in a distributed run, and how BatchNorm is computed."""

    rank: int = 0  # 0 .. world_size - 1 over all machines; rank 0 does all the writing
    world_size: int = 1  # processes training the run together
    local_rank: int = 0  # rank on this machine: picks the GPU (cuda:<local_rank>)
    local_world_size: int = 1  # processes on this machine
    backend: str = "gloo"  # "nccl" on GPUs, "gloo" on CPUs
    sync_bn: bool = False  # SyncBatchNorm over the global batch (GPU only) instead of per-process statistics

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def describe(self, batch_size: int) -> dict[str, Any]:
        per_process = batch_size // self.world_size
        return {
            "world_size": self.world_size,
            "nodes": max(1, self.world_size // max(1, self.local_world_size)),
            "backend": self.backend,
            "batch_per_process": per_process,
            "batchnorm": "synchronised" if self.sync_bn else "per process",
            "batchnorm_images": batch_size if self.sync_bn else per_process,
        }


def launched() -> bool:
    """True inside a process that torchrun started (it sets RANK, WORLD_SIZE and LOCAL_RANK)."""
    return all(name in os.environ for name in TORCHRUN_VARIABLES)


def init(
    device: str, sync_bn: bool = False, init_method: str | None = None, timeout_s: float = 1800
) -> tuple[Group, str]:
    """Join the process group torchrun set up (or the one `init_method` names); returns the group and this
    process's device: `cuda:<local rank>` when `device` asks for CUDA, else the CPU."""
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    on_gpu = device.startswith("cuda")
    if on_gpu:
        if not torch.cuda.is_available():
            raise RuntimeError(f"--device {device} was asked for, but torch sees no CUDA device")
        device = f"cuda:{local_rank}"
        torch.cuda.set_device(device)
    elif sync_bn:
        raise ValueError("--sync-bn needs GPUs (torch's SyncBatchNorm does not run on the CPU)")
    backend = "nccl" if on_gpu else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(
            backend,
            init_method=init_method or "env://",
            rank=rank,
            world_size=world,
            timeout=timedelta(seconds=timeout_s),
            **({"device_id": torch.device(device)} if on_gpu else {}),
        )
    return Group(rank, world, local_rank, local_world, backend, sync_bn), device


def shutdown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def broadcast(value: Any, group: Group) -> Any:
    """Rank 0's `value` on every rank (any picklable object)."""
    if group.world_size == 1:
        return value
    box = [value if group.is_main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


class ShardSampler(Sampler):
    """The single-process sampler (same seed, same permutations, same augmentation draws), of whose every batch
    this process takes its contiguous part. The state is that of the whole sampler, so it resumes anywhere."""

    def __init__(
        self, n: int, batch_size: int, seed: int, device: torch.device | str, augment: bool, rank: int, world: int
    ) -> None:
        super().__init__(n, batch_size, seed, device, augment)
        self.part = batch_size // world
        self.offset = rank * self.part

    def next(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.position + self.batch_size > self.n:  # drop the incomplete tail, as the whole sampler does
            self._new_epoch()
        start = self.position + self.offset
        s = slice(start, start + self.part)
        self.position += self.batch_size
        idx = self.order[s]
        xb, yb = x[idx], y[idx]
        if self.augment:
            xb = crop_and_flip(xb, self.shifts[s], self.flips[s])
        return xb, yb


def _reseed(cfg: RunConfig, group: Group, step: int) -> None:
    """Ranks other than 0 draw their own dropout masks (rank 0 keeps the single-process stream)."""
    if group.rank:
        torch.manual_seed((cfg.seed * 1_000_003 + step) * 4_096 + group.rank)


def train_distributed(
    cfg: RunConfig,
    group: Group,
    runtime: Runtime | None = None,
    checkpoint: Path | None = None,
    progress: Progress | None = None,
    data: DataSet | None = None,
) -> dict[str, Any] | None:
    """Train `cfg` with every process of `group` (each must call this); rank 0 returns the record, the others
    None. `progress` is called on every rank that passes one."""
    started = time.perf_counter()
    runtime = runtime or Runtime()
    if cfg.batch_size % group.world_size:
        raise DataError(
            f"batch size {cfg.batch_size} cannot be split evenly over {group.world_size} processes; "
            "use a number of processes that divides it"
        )
    device = torch.device(runtime.device)
    if device.type == "cpu":
        torch.set_num_threads(runtime.threads)
    else:
        torch.backends.cudnn.benchmark = True
    data = data or load_data(cfg.data, device, runtime.data_dir)

    torch.manual_seed(cfg.seed)  # the same initial weights on every rank (DDP also broadcasts rank 0's)
    model = build_net(cfg, data.in_channels, data.classes)
    if group.sync_bn:
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    prepare_model(model, device, replace(runtime, compile=False))
    ddp = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    forward: torch.nn.Module = torch.compile(ddp) if runtime.compile else ddp  # type: ignore[assignment]
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    sampler = ShardSampler(
        len(data.y_train), cfg.batch_size, cfg.seed, device, cfg.augment, group.rank, group.world_size
    )
    amp = autocast(device, runtime)
    layers = model.weighted_layers()
    grad_steps = set(cfg.grad_norm_steps())
    every = math.ceil(runtime.checkpoint_every / cfg.log_every) * cfg.log_every

    m: dict[str, Any] = {
        "train": {"step": [], "epoch": [], "lr": [], "loss": [], "error": []},
        "test": {"step": [], "loss": [], "error": []},
        "grad_norms": {"layers": [name for name, _ in layers], "step": [], "norms": [], "weight_norms": []},
    }
    step, train_seconds, eval_seconds, resumed_from = 0, 0.0, 0.0, None
    # Rank 0 reads the checkpoint and hands it to the others: other machines need not see its folder.
    state = broadcast(_load_checkpoint(checkpoint, cfg) if checkpoint and group.is_main else None, group)
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sampler.load_state_dict(state["sampler"])
        torch.set_rng_state(state["rng"])
        if device.type == "cuda" and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(state["cuda_rng"], device)
        step, m = state["step"], state["metrics"]
        train_seconds, eval_seconds, resumed_from = state["train_seconds"], state["eval_seconds"], step
    _reseed(cfg, group, step)

    status, diverged_at = "finished", None
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.int64)
    seen = 0
    tick = time.perf_counter()
    while step < cfg.steps:
        lr = cfg.lr_at(step)
        for param_group in opt.param_groups:
            param_group["lr"] = lr
        xb, yb = sampler.next(data.x_train, data.y_train)
        batch_loss, batch_correct = train_step(forward, opt, to_layout(xb, device, runtime), yb, amp)
        step += 1
        loss_sum += batch_loss
        correct += batch_correct
        seen += len(yb)
        if step in grad_steps and group.is_main:  # DDP has averaged the gradients: every rank holds the same
            m["grad_norms"]["step"].append(step)
            m["grad_norms"]["norms"].append(torch.stack([p.grad.float().norm() for _, p in layers]).tolist())
            m["grad_norms"]["weight_norms"].append(torch.stack([p.float().norm() for _, p in layers]).tolist())
        if step % cfg.log_every and step != cfg.steps:
            continue
        # The one synchronisation per logging interval: sums over all processes (float64 keeps them exact).
        totals = torch.stack([loss_sum.double(), correct.double(), torch.tensor(float(seen), device=device)])
        dist.all_reduce(totals)
        total_loss, total_correct, total_seen = totals.tolist()
        mean_loss = total_loss / total_seen
        train_seconds += time.perf_counter() - tick
        if not math.isfinite(mean_loss):  # the same on every rank: all stop together
            status, diverged_at = "diverged", step
            break
        t = m["train"]
        for key, value in (("step", step), ("epoch", step * cfg.batch_size / len(data.y_train)), ("lr", lr)):
            t[key].append(value)
        t["loss"].append(mean_loss)
        t["error"].append(1.0 - total_correct / total_seen)
        loss_sum.zero_()
        correct.zero_()
        seen = 0
        tick = time.perf_counter()
        if group.is_main and (step % cfg.eval_every == 0 or step == cfg.steps):
            # The bare model: calling the DDP wrapper on one rank only would wait for the others forever.
            test_loss, test_error = evaluate(model, data.x_test, data.y_test, amp, runtime)
            for key, value in (("step", step), ("loss", test_loss), ("error", test_error)):
                m["test"][key].append(value)
        if group.is_main and checkpoint and step % every == 0 and step < cfg.steps:
            _save_checkpoint(
                checkpoint,
                {
                    "config": cfg.to_dict(),
                    "step": step,
                    "model": model.state_dict(),  # the bare model's keys: loadable by a single process
                    "optimizer": opt.state_dict(),
                    "sampler": sampler.state_dict(),
                    "rng": torch.get_rng_state(),
                    "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
                    "metrics": m,
                    "train_seconds": train_seconds,
                    "eval_seconds": eval_seconds,
                },
            )
        if progress:
            progress(step, cfg.steps)
        eval_seconds += time.perf_counter() - tick
        tick = time.perf_counter()

    if not group.is_main:
        return None
    tick = time.perf_counter()
    final: dict[str, Any] = {"step": step}
    if status == "finished":
        final.update(_final_metrics(cfg, m, model, model, data, amp, runtime, len(data.y_train)))
    eval_seconds += time.perf_counter() - tick
    if checkpoint:
        checkpoint.unlink(missing_ok=True)
    images = step * cfg.batch_size
    return {
        "status": status,
        "diverged_at_step": diverged_at,
        "metrics": {**m, "final": final},
        "timing": {
            "train_seconds": train_seconds,
            "eval_seconds": eval_seconds,
            "wall_seconds": time.perf_counter() - started,
            "images_per_second": images / train_seconds if train_seconds else None,  # all processes together
        },
        "provenance": {
            "seed": cfg.seed,
            "parameters": count_parameters(model),
            "data": data.describe(),
            "device": describe_device(device, runtime),  # rank 0's
            "distributed": group.describe(cfg.batch_size),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(terse=True),
            "resumed_from_step": resumed_from,
        },
    }
