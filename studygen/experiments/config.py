"""What one training run is: a frozen dataclass whose every field changes the result.

This module does not import torch, so specs, the cache and the CLI can build and hash configs cheaply.
Settings that change only *how fast* a run goes (device, threads, torch.compile) live in `Runtime`, not here,
so a result computed on a GPU answers the same cache key as one computed on a CPU.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

Net = Literal["plain", "residual"]
Shortcut = Literal["identity", "scale", "exclusive_gate", "shortcut_gate", "conv1x1", "dropout"]
Data = Literal["digits", "cifar10"]


@dataclass(frozen=True)
class RunConfig:
    """One run of one network on one data set with one seed (He et al. 2015 §4.2 unless a comment says otherwise)."""

    # --- the network ---------------------------------------------------------------------------------------------
    net: Net = "residual"  # "plain" drops every shortcut and keeps every layer: the twin of the residual net
    depth: int = 20  # 6n+2 weighted layers: a stem conv, 3 stages of n two-conv blocks, the classifier
    width: int = 16  # filters of the first stage; the next two stages use 2x and 4x (16/32/64 in the paper)
    variant: str = "identity"  # a readable label of the shortcut settings below (see nets.VARIANTS)
    shortcut: Shortcut = "identity"  # h(x) in y = h(x) + F(x); the alternatives are He et al. 2016 Table 1
    downsample: Literal["A", "B"] = "A"  # at stage changes: A pads zeros (parameter-free), B is a 1x1 projection
    order: Literal["post", "pre"] = "post"  # post: conv-BN-ReLU as in 2015; pre: BN-ReLU-conv as in 2016
    shortcut_scale: float = 0.5  # lambda of the constant-scaling shortcut (used only when shortcut == "scale")
    residual_scale: float = 1.0  # scale on F(x) for "scale"; 0.5 gives the paper's "0.5 on both" row
    gate_bias: float = -6.0  # initial bias of the 1x1 gate conv; -6 starts gates near 0 (shortcut nearly open)
    shortcut_dropout: float = 0.5  # drop ratio of the dropout shortcut (the paper's 0.5)

    # --- the data --------------------------------------------------------------------------------------------
    data: Data = "digits"  # digits: scikit-learn's 8x8 set, offline; cifar10: local python-format batches
    augment: bool = False  # pad 4, random crop, horizontal flip (the paper's CIFAR augmentation)

    # --- the optimiser -------------------------------------------------------------------------------------------
    seed: int = 0  # seeds the weights, the batch order and the augmentation
    batch_size: int = 128  # the paper's mini-batch
    steps: int = 225  # iterations; 225 is 20 epochs of the 1,438 digits training images at batch 128
    lr: float = 0.1  # peak learning rate (the paper's 0.1)
    momentum: float = 0.9  # SGD momentum (the paper's 0.9)
    weight_decay: float = 1e-4  # L2 on all weights (the paper's 1e-4)
    schedule: Literal["step", "cosine"] = "cosine"  # step: divide by 10 at `milestones`; cosine: smooth to 0
    milestones: tuple[float, ...] = (0.5, 0.75)  # fractions of `steps` for the step schedule (32k, 48k of 64k)
    warmup: Literal["none", "linear", "constant"] = "linear"  # linear ramps 0 -> lr; constant holds warmup_lr
    warmup_steps: int = 34  # iterations of warm-up; 34 is 15% of 225 (without it residual-56 may stall here)
    warmup_lr: float = 0.01  # the constant warm-up rate (the paper's 0.01 for ResNet-110)
    warmup_min_depth: int = 0  # warm up only nets at least this deep (the paper warmed up only ResNet-110)

    # --- what is measured ----------------------------------------------------------------------------------------
    log_every: int = 5  # iterations per training-curve point (running loss and error over the interval)
    eval_every: int = 25  # iterations between test-error evaluations (and one at the end)
    grad_norm_at: tuple[float, ...] = (0.0, 0.05, 0.1, 0.25, 0.5, 1.0)  # fractions of training: when to keep gradients

    def __post_init__(self) -> None:
        if self.depth < 8 or (self.depth - 2) % 6:
            raise ValueError(f"depth must be 6n+2 with n >= 1 (20, 32, 44, 56, 110, ...), not {self.depth}")
        if self.steps < 1 or self.batch_size < 1 or self.log_every < 1 or self.eval_every < 1:
            raise ValueError("steps, batch_size, log_every and eval_every must be positive")

    @property
    def blocks_per_stage(self) -> int:
        return (self.depth - 2) // 6

    def grad_norm_steps(self) -> list[int]:
        """The iterations (1-based, after their backward pass) at which per-layer gradient norms are kept."""
        return sorted({min(self.steps, max(1, math.ceil(f * self.steps))) for f in self.grad_norm_at})

    def lr_at(self, step: int) -> float:
        """Learning rate for iteration `step` (0-based): a pure function of the step, so resuming needs no state."""
        if self.warmup != "none" and self.depth >= self.warmup_min_depth and step < self.warmup_steps:
            if self.warmup == "constant":
                return self.warmup_lr
            return self.lr * (step + 1) / self.warmup_steps
        if self.schedule == "step":
            drops = sum(step >= round(m * self.steps) for m in self.milestones)
            return self.lr * 0.1**drops
        start = self.warmup_steps if self.warmup != "none" and self.depth >= self.warmup_min_depth else 0
        progress = (step - start) / max(1, self.steps - start)
        return 0.5 * self.lr * (1.0 + math.cos(math.pi * progress))

    def name(self) -> str:
        """A short readable label, e.g. 'residual-56-identity-digits-s0'."""
        return f"{self.net}-{self.depth}-{self.variant}-{self.data}-s{self.seed}"

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown run settings: {', '.join(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    def with_(self, **changes: Any) -> RunConfig:
        return replace(self, **changes)


@dataclass(frozen=True)
class Runtime:
    """How a run is executed; none of this enters the cache key, all of it is written into the provenance."""

    device: str = "cpu"  # "cpu" or "cuda" (or "cuda:1"); sweep.pick_device chooses when the user does not
    threads: int = 1  # torch intra-op threads on CPU; one per process is steadier on a shared machine
    compile: bool = False  # torch.compile the model (CUDA only; worth it for long runs, costs a minute up front)
    channels_last: bool = True  # NHWC memory layout on CUDA, which cuDNN's fastest convolutions want
    bf16: bool = True  # bfloat16 autocast on CUDA (no loss scaling needed); CPU always trains in float32
    data_dir: str | None = None  # folder with CIFAR-10's python-format batches (required for data == "cifar10")
    checkpoint_every: int = 50  # iterations between checkpoints (rounded up to a multiple of log_every)
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes copied into the provenance


# Named shortcut settings, so specs can say `variants: [identity, conv1x1]`. The 2016 names follow Table 1 of
# He et al., "Identity Mappings in Deep Residual Networks" (they are multiplicative changes to h(x)).
VARIANTS: dict[str, dict[str, Any]] = {
    "identity": {},  # h(x) = x, zero-padding at stage changes (option A): the 2015 CIFAR net
    "projection": {"downsample": "B"},  # h(x) = x, 1x1 projection + BN at stage changes (option B)
    "scale-0.5": {"shortcut": "scale", "shortcut_scale": 0.5},  # h(x) = 0.5x, F unscaled (Table 1: fails)
    "scale-0.5-both": {"shortcut": "scale", "shortcut_scale": 0.5, "residual_scale": 0.5},  # 0.5x + 0.5F
    "exclusive-gate-b-6": {"shortcut": "exclusive_gate", "gate_bias": -6.0},  # (1-g)x + gF, g = sigmoid(1x1 conv)
    "shortcut-gate-b0": {"shortcut": "shortcut_gate", "gate_bias": 0.0},  # (1-g)x + F, gates start at 0.5
    "shortcut-gate-b-6": {"shortcut": "shortcut_gate", "gate_bias": -6.0},  # (1-g)x + F, gates start near 0
    "conv1x1": {"shortcut": "conv1x1"},  # h(x) = 1x1 conv on every shortcut
    "dropout-0.5": {"shortcut": "dropout", "shortcut_dropout": 0.5},  # h(x) = dropout(x, 0.5)
    "preact": {"order": "pre"},  # identity shortcut, full pre-activation units (He et al. 2016 §4)
}


def make_config(net: Net, depth: int, variant: str, seed: int, **settings: Any) -> RunConfig:
    """Build the config of one grid cell. A plain net has no shortcut, so only the unit ordering of a variant
    applies to it; its other shortcut settings stay at their defaults and equal plain runs share one cache key."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
    shortcut = VARIANTS[variant]
    if net == "plain":
        order = shortcut.get("order", "post")
        shortcut = {"order": order}
        variant = "preact" if order == "pre" else "none"
    return RunConfig(net=net, depth=depth, variant=variant, seed=seed, **shortcut, **settings)
