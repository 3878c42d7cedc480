"""Train one network for one config and return everything measured, not just printed.

The loop is iteration-based (the paper counts iterations), reads batches from device tensors, keeps running sums on
the device and synchronises only at logging points. A checkpoint holds the model, the optimiser, the sampler and the
random-number states, so a resumed run continues exactly where the interrupted one stopped.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from studygen.experiments.config import RunConfig, Runtime
from studygen.experiments.data import DataSet, Sampler, load_data
from studygen.experiments.nets import CifarNet, build_net, count_parameters

Progress = Callable[[int, int], None]  # (iterations done, iterations in total)


def pick_device(requested: str | None = None) -> str:
    """`requested` if given, else CUDA when a GPU is visible, else the CPU."""
    if requested and requested != "auto":
        if requested.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"--device {requested} was asked for, but torch sees no CUDA device")
        return requested
    return "cuda" if torch.cuda.is_available() else "cpu"


def autocast(device: torch.device, runtime: Runtime) -> contextlib.AbstractContextManager:
    if device.type == "cuda" and runtime.bf16:
        return torch.autocast("cuda", dtype=torch.bfloat16)  # bf16 keeps fp32's range: no loss scaling
    return contextlib.nullcontext()


def prepare_model(model: CifarNet, device: torch.device, runtime: Runtime) -> torch.nn.Module:
    """Move to the device in the fastest layout; returns the module to call (compiled when asked)."""
    model.to(device)
    if device.type == "cuda" and runtime.channels_last:
        model.to(memory_format=torch.channels_last)
    if runtime.compile:
        return torch.compile(model)
    return model


def to_layout(x: torch.Tensor, device: torch.device, runtime: Runtime) -> torch.Tensor:
    if device.type == "cuda" and runtime.channels_last:
        return x.contiguous(memory_format=torch.channels_last)
    return x


def train_step(
    forward: torch.nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, amp: Any
) -> tuple[torch.Tensor, torch.Tensor]:
    """One SGD iteration; returns (summed loss, number correct) as device tensors, without synchronising."""
    with amp:
        logits = forward(x)
        loss = F.cross_entropy(logits, y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.detach().float() * len(y), (logits.detach().argmax(1) == y).sum()


@torch.no_grad()
def evaluate(
    forward: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, amp: Any, runtime: Runtime, batch: int = 1000
) -> tuple[float, float]:
    """(mean loss, error) on a whole set in eval mode (BatchNorm uses its running statistics)."""
    forward.eval()
    loss_sum, wrong = torch.zeros((), device=x.device), torch.zeros((), device=x.device, dtype=torch.int64)
    for i in range(0, len(y), batch):
        xb = to_layout(x[i : i + batch], x.device, runtime)
        with amp:
            logits = forward(xb).float()
        loss_sum += F.cross_entropy(logits, y[i : i + batch], reduction="sum")
        wrong += (logits.argmax(1) != y[i : i + batch]).sum()
    forward.train()
    return loss_sum.item() / len(y), wrong.item() / len(y)


@torch.no_grad()
def response_stds(model: CifarNet, x: torch.Tensor, runtime: Runtime) -> list[float]:
    """Standard deviation of each 3x3 layer's response on `x`, in eval mode (He et al. 2015 Fig. 7)."""
    stds: list[float] = []
    hooks = [
        tap.register_forward_hook(lambda _m, _i, out: stds.append(out.float().std().item())) for tap in model.taps()
    ]
    model.eval()
    try:
        model(to_layout(x, x.device, runtime))
    finally:
        model.train()
        for h in hooks:
            h.remove()
    return stds


def describe_device(device: torch.device, runtime: Runtime) -> dict[str, Any]:
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = platform.processor() or platform.machine()
        with contextlib.suppress(OSError):
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    return {
        "type": device.type,
        "name": name,
        "cpu_count": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "bf16_autocast": device.type == "cuda" and runtime.bf16,
        "channels_last": device.type == "cuda" and runtime.channels_last,
        "compiled": runtime.compile,
    }


def _save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a crash leaves the previous checkpoint intact


def _load_checkpoint(path: Path, cfg: RunConfig) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)  # our own file, written above
    except Exception as exc:  # a torn or foreign file: start over rather than fail
        warnings.warn(f"{path}: unreadable checkpoint ({exc}); starting the run from scratch", stacklevel=2)
        return None
    if state.get("config") != cfg.to_dict():
        warnings.warn(f"{path}: checkpoint is for another config; starting the run from scratch", stacklevel=2)
        return None
    return state


def train(
    cfg: RunConfig,
    runtime: Runtime | None = None,
    checkpoint: Path | None = None,
    progress: Progress | None = None,
    data: DataSet | None = None,
) -> dict[str, Any]:
    """Train `cfg` and return its record: status, metrics, timing and provenance (no cache key; see cache.py).

    With `checkpoint`, state is saved every `runtime.checkpoint_every` iterations and an existing checkpoint for
    the same config is resumed; the file is removed when the run ends."""
    started = time.perf_counter()
    runtime = runtime or Runtime()
    device = torch.device(runtime.device)
    if device.type == "cpu":
        torch.set_num_threads(runtime.threads)
    else:
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels once
    data = data or load_data(cfg.data, device, runtime.data_dir)

    torch.manual_seed(cfg.seed)  # weights, then dropout draws; the batch order has its own generator
    model = build_net(cfg, data.in_channels, data.classes)
    forward = prepare_model(model, device, runtime)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    sampler = Sampler(len(data.y_train), cfg.batch_size, cfg.seed, device, cfg.augment)
    amp = autocast(device, runtime)
    layers = model.weighted_layers()
    grad_steps = set(cfg.grad_norm_steps())
    every = math.ceil(runtime.checkpoint_every / cfg.log_every) * cfg.log_every  # only at logging points

    m: dict[str, Any] = {
        "train": {"step": [], "epoch": [], "lr": [], "loss": [], "error": []},
        "test": {"step": [], "loss": [], "error": []},
        # Per weighted layer: the gradient's norm and the weight's norm (with BN after a conv, a weight that has
        # grown large gets proportionally smaller gradients and steps: the two together tell the story).
        "grad_norms": {"layers": [name for name, _ in layers], "step": [], "norms": [], "weight_norms": []},
    }
    step, train_seconds, eval_seconds, resumed_from = 0, 0.0, 0.0, None
    state = _load_checkpoint(checkpoint, cfg) if checkpoint else None
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sampler.load_state_dict(state["sampler"])
        torch.set_rng_state(state["rng"])
        if device.type == "cuda" and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(state["cuda_rng"], device)
        step, m = state["step"], state["metrics"]
        train_seconds, eval_seconds, resumed_from = state["train_seconds"], state["eval_seconds"], step

    status, diverged_at = "finished", None
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.int64)
    seen = 0
    tick = time.perf_counter()
    while step < cfg.steps:
        lr = cfg.lr_at(step)
        for group in opt.param_groups:
            group["lr"] = lr
        xb, yb = sampler.next(data.x_train, data.y_train)
        batch_loss, batch_correct = train_step(forward, opt, to_layout(xb, device, runtime), yb, amp)
        step += 1
        loss_sum += batch_loss
        correct += batch_correct
        seen += len(yb)
        if step in grad_steps:  # gradients of the step just taken, before the next zero_grad
            m["grad_norms"]["step"].append(step)
            m["grad_norms"]["norms"].append(torch.stack([p.grad.float().norm() for _, p in layers]).tolist())
            m["grad_norms"]["weight_norms"].append(torch.stack([p.float().norm() for _, p in layers]).tolist())
        if step % cfg.log_every and step != cfg.steps:
            continue
        mean_loss = loss_sum.item() / seen  # the one synchronisation per logging interval
        train_seconds += time.perf_counter() - tick
        if not math.isfinite(mean_loss):
            status, diverged_at = "diverged", step
            break
        t = m["train"]
        for key, value in (("step", step), ("epoch", step * cfg.batch_size / len(data.y_train)), ("lr", lr)):
            t[key].append(value)
        t["loss"].append(mean_loss)
        t["error"].append(1.0 - correct.item() / seen)
        loss_sum.zero_()
        correct.zero_()
        seen = 0
        tick = time.perf_counter()
        if step % cfg.eval_every == 0 or step == cfg.steps:
            test_loss, test_error = evaluate(forward, data.x_test, data.y_test, amp, runtime)
            for key, value in (("step", step), ("loss", test_loss), ("error", test_error)):
                m["test"][key].append(value)
        if checkpoint and step % every == 0 and step < cfg.steps:
            _save_checkpoint(
                checkpoint,
                {
                    "config": cfg.to_dict(),
                    "step": step,
                    "model": model.state_dict(),
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

    tick = time.perf_counter()
    final: dict[str, Any] = {"step": step}
    if status == "finished":
        final.update(_final_metrics(cfg, m, forward, model, data, amp, runtime, len(data.y_train)))
    eval_seconds += time.perf_counter() - tick
    if checkpoint:
        checkpoint.unlink(missing_ok=True)
    images = step * cfg.batch_size
    return {
        "status": status,
        "diverged_at_step": diverged_at,
        "metrics": {**m, "final": final},
        "timing": {
            "train_seconds": train_seconds,  # iterations only, synchronised at logging points
            "eval_seconds": eval_seconds,  # test evaluations, measurements and checkpoints
            "wall_seconds": time.perf_counter() - started,  # this call, including data loading (not resumed parts)
            "images_per_second": images / train_seconds if train_seconds else None,
        },
        "provenance": {
            "seed": cfg.seed,
            "parameters": count_parameters(model),
            "data": data.describe(),
            "device": describe_device(device, runtime),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(terse=True),
            "resumed_from_step": resumed_from,
        },
    }


def _final_metrics(
    cfg: RunConfig,
    m: dict[str, Any],
    forward: torch.nn.Module,
    model: CifarNet,
    data: DataSet,
    amp: Any,
    runtime: Runtime,
    n_train: int,
) -> dict[str, Any]:
    """End-of-run numbers: the running training error over the last epoch (how the paper's curves are drawn),
    the error on the whole training set in eval mode, the last test error, and the layer responses."""
    t = m["train"]
    steps_per_epoch = max(1, n_train // cfg.batch_size)
    last = max(1, math.ceil(steps_per_epoch / cfg.log_every))  # logging intervals covering about one epoch
    train_loss, train_error_eval = evaluate(forward, data.x_train, data.y_train, amp, runtime)
    return {
        "train_error": float(np.mean(t["error"][-last:])),
        "train_loss": float(np.mean(t["loss"][-last:])),
        "train_error_eval": train_error_eval,
        "train_loss_eval": train_loss,
        "test_error": m["test"]["error"][-1],
        "test_loss": m["test"]["loss"][-1],
        "response_std": response_stds(model, data.x_test[:500], runtime),
    }
