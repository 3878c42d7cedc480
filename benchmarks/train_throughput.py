"""Training throughput: studygen's loop against a straightforward reference loop, and against the machine's peak.

    python benchmarks/train_throughput.py                 # CPU, ResNet-20 and ResNet-56 on CIFAR-shaped data
    python benchmarks/train_throughput.py --device cuda   # same on a GPU (bf16 autocast, channels-last)

Both loops train the same network (same config, same initial weights) on the same synthetic CIFAR-shaped images
(random uint8 pixels, 32x32x3, 10 classes: speed does not depend on what the pixels show) with the paper's
augmentation. Ours keeps the data on the device and augments whole batches there (studygen.experiments.data);
the reference is the usual tutorial loop: a Dataset that pads/crops/flips one image at a time, a DataLoader, and a
host-to-device copy per batch, in float32. Achieved GFLOP/s counts 3x the forward FLOPs of each image
(forward + backward); the peak is a large float32 (and on CUDA, bf16) matrix multiply measured here.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studygen.experiments.config import Runtime, make_config
from studygen.experiments.data import DataSet, Sampler
from studygen.experiments.nets import build_net
from studygen.experiments.train import autocast, prepare_model, to_layout, train_step


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_gflops(device: torch.device, dtype: torch.dtype, n: int, seconds: float = 1.5) -> float:
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    sync(device)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
        if device.type == "cuda" and count % 10:
            continue
        sync(device)
    sync(device)
    return 2 * n**3 * count / (time.perf_counter() - start) / 1e9


def forward_flops(model: nn.Module, shape: tuple[int, ...]) -> float:
    """FLOPs of one image's forward pass through the convolutions and the classifier (2 per multiply-add)."""
    macs = 0

    def conv_hook(m: nn.Conv2d, _inp: object, out: torch.Tensor) -> None:
        nonlocal macs
        macs += out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m: nn.Linear, _inp: object, _out: object) -> None:
        nonlocal macs
        macs += m.in_features * m.out_features

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    hooks += [m.register_forward_hook(linear_hook) for m in model.modules() if isinstance(m, nn.Linear)]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *shape, device=next(model.parameters()).device))
    model.train()
    for h in hooks:
        h.remove()
    return 2.0 * macs


class PerImageAugment(torch.utils.data.Dataset):
    """The reference input pipeline: uint8 images on the host, augmented one at a time."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, mean: np.ndarray) -> None:
        self.images, self.labels, self.mean = images, labels, torch.from_numpy(mean)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        x = torch.from_numpy(self.images[i]).float() / 255.0 - self.mean
        x = F.pad(x, (4, 4, 4, 4))
        dy, dx = np.random.randint(0, 9, 2)
        x = x[:, dy : dy + 32, dx : dx + 32]
        if np.random.rand() < 0.5:
            x = x.flip(2)
        return x, int(self.labels[i])


def time_ours(
    depth: int, images: np.ndarray, labels: np.ndarray, device: torch.device, rt: Runtime, steps: int, warmup: int
) -> float:
    cfg = make_config("residual", depth, "identity", 0, data="cifar10", augment=True)
    x = torch.from_numpy(images).float().div_(255.0)
    x -= x.mean(0, keepdim=True)
    data = DataSet(
        "synthetic",
        x.to(device),
        torch.from_numpy(labels).to(device),
        x[:1].to(device),
        torch.from_numpy(labels[:1]).to(device),
        10,
        "",
    )
    torch.manual_seed(0)
    model = build_net(cfg)
    forward = prepare_model(model, device, rt)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    sampler = Sampler(len(labels), cfg.batch_size, 0, device, augment=True)
    amp = autocast(device, rt)
    for i in range(warmup + steps):
        if i == warmup:
            sync(device)
            start = time.perf_counter()
        xb, yb = sampler.next(data.x_train, data.y_train)
        loss, _ = train_step(forward, opt, to_layout(xb, device, rt), yb, amp)
        if (i + 1) % 10 == 0:
            loss.item()  # what our loop does at a logging point
    sync(device)
    return steps * cfg.batch_size / (time.perf_counter() - start)


def time_reference(
    depth: int, images: np.ndarray, labels: np.ndarray, device: torch.device, steps: int, warmup: int
) -> float:
    cfg = make_config("residual", depth, "identity", 0)
    mean = (images.astype(np.float32) / 255.0).mean(0)
    loader = torch.utils.data.DataLoader(
        PerImageAugment(images, labels, mean), batch_size=128, shuffle=True, drop_last=True
    )
    torch.manual_seed(0)
    model = build_net(cfg).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    done = 0
    while done < warmup + steps:
        for xb, yb in loader:
            if done == warmup:
                sync(device)
                start = time.perf_counter()
            xb, yb = xb.to(device), yb.to(device)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss.item()  # the usual per-batch logging
            done += 1
            if done == warmup + steps:
                break
    sync(device)
    return steps * 128 / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--depths", type=int, nargs="+", default=[20, 56])
    parser.add_argument("--steps", type=int, default=None, help="timed iterations (default 6 on CPU, 200 on CUDA)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per loop; the best is reported")
    parser.add_argument("--threads", type=int, default=1, help="torch threads on CPU (1 is steadiest when shared)")
    parser.add_argument("--compile", action="store_true", help="torch.compile our model (CUDA)")
    args = parser.parse_args()
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    if not cuda:
        torch.set_num_threads(args.threads)
    steps = args.steps or (200 if cuda else 6)
    warmup = 20 if cuda else 2
    rt = Runtime(device=args.device, compile=args.compile)
    rng = np.random.default_rng(0)
    n = 4096 if not cuda else 50_000
    images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 10, n)

    peak32 = matmul_gflops(device, torch.float32, 4096 if cuda else 1024)
    peak = matmul_gflops(device, torch.bfloat16, 8192) if cuda and rt.bf16 else peak32
    name = torch.cuda.get_device_name(device) if cuda else f"CPU, {torch.get_num_threads()} thread(s)"
    print(
        f"device: {name}; torch {torch.__version__}; {steps} timed iterations (batch 128) after {warmup} warm-up, "
        f"best of {args.rounds} alternating rounds"
    )
    print(f"matrix multiply: {peak32:,.0f} GFLOP/s float32" + (f", {peak:,.0f} GFLOP/s bf16" if cuda else ""))
    ours_what = "device-resident data, batched augmentation" + (", bf16, channels-last" if cuda else "")
    print()
    print("| model | loop | images/s | GFLOP/s | % of matmul peak |")
    print("|---|---|---:|---:|---:|")
    for depth in args.depths:
        flops = 3 * forward_flops(build_net(make_config("residual", depth, "identity", 0)), (3, 32, 32))
        # Alternate the loops and keep each one's best round: on a shared machine, the best is the least disturbed.
        ref, ours = 0.0, 0.0
        for _ in range(args.rounds):
            ref = max(ref, time_reference(depth, images, labels, device, steps, warmup))
            ours = max(ours, time_ours(depth, images, labels, device, rt, steps, warmup))
        for label, ips, top in (
            ("reference (DataLoader, per-batch copy, fp32)", ref, peak32),
            (f"studygen ({ours_what})", ours, peak),
        ):
            gflops = ips * flops / 1e9
            print(f"| ResNet-{depth} | {label} | {ips:,.0f} | {gflops:,.1f} | {100 * gflops / top:.0f}% |")
        print(f"| ResNet-{depth} | speed-up | {ours / ref:.2f}x | | |")


if __name__ == "__main__":
    main()
