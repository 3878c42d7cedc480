"""CIFAR-style networks of depth 6n+2 (He et al. 2015 §4.2) and their plain twins, from one parameterised block.

Layout: a 3x3 stem conv; three stages of n blocks with `width`, 2x and 4x filters, the first block of stages 2 and 3
down-sampling by a stride-2 conv; global average pooling; a fully connected classifier. Each block holds two 3x3
convs, so the net has 6n+2 weighted layers. The plain twin has exactly the same layers without the shortcuts.

Parameter counts with width 16, 3 input channels, 10 classes and option-A shortcuts (checked by a test):
ResNet-20 0.27M, ResNet-32 0.46M, ResNet-44 0.66M, ResNet-56 0.85M, ResNet-110 1.7M, as in the paper's Table 6.

Every 3x3 layer's response (after BN and before ReLU/addition in post-activation units; the conv output in
pre-activation units, which have no BN there) passes through a `Tap`, so the trainer can read response
standard deviations (He et al. 2015 Fig. 7) with forward hooks and nothing else changes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from studygen.experiments.config import RunConfig


class Tap(nn.Identity):
    """Marks a 3x3 layer's response; hooks attached here record its statistics."""


def conv3x3(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)  # BN follows, so no bias


class PadShortcut(nn.Module):
    """Option A: subsample by taking every other pixel, then append zero channels. No parameters."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.extra, self.stride = c_out - c_in, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra)) if self.extra else x


class Block(nn.Module):
    """Two 3x3 convs F(x) and, unless plain, a shortcut h(x) combined as the config's `shortcut` says."""

    def __init__(self, cfg: RunConfig, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.cfg, self.pre = cfg, cfg.order == "pre"
        self.conv1, self.conv2 = conv3x3(c_in, c_out, stride), conv3x3(c_out, c_out)
        # Post-activation normalises each conv's output; pre-activation normalises each conv's input.
        self.bn1 = nn.BatchNorm2d(c_in if self.pre else c_out)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.tap1, self.tap2 = Tap(), Tap()
        self.residual = cfg.net == "residual"
        self.shortcut: nn.Module = nn.Identity()
        self.gate: nn.Conv2d | None = None
        if not self.residual:
            return
        changes_shape = stride != 1 or c_in != c_out
        if cfg.shortcut == "conv1x1":  # Table 1: a 1x1 conv on *every* shortcut
            self.shortcut = nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False)
        elif changes_shape and cfg.downsample == "B":
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
        elif changes_shape:
            self.shortcut = PadShortcut(c_in, c_out, stride)
        if cfg.shortcut in ("exclusive_gate", "shortcut_gate"):
            self.gate = nn.Conv2d(c_in, c_out, 1, stride=stride, bias=True)  # g(x) = sigmoid(W_g x + b_g)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pre:
            out = self.tap1(self.conv1(F.relu(self.bn1(x))))
            out = self.tap2(self.conv2(F.relu(self.bn2(out))))
        else:
            out = F.relu(self.tap1(self.bn1(self.conv1(x))))
            out = self.tap2(self.bn2(self.conv2(out)))
        if self.residual:
            out = self.combine(x, out)
        return out if self.pre else F.relu(out)

    def combine(self, x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
        """y = h(x) + F(x) in the form the variant asks for (He et al. 2016 Fig. 2)."""
        kind, h = self.cfg.shortcut, self.shortcut(x)
        if kind == "scale":
            return self.cfg.shortcut_scale * h + self.cfg.residual_scale * f
        if kind == "dropout":
            return F.dropout(h, self.cfg.shortcut_dropout, self.training) + f
        if self.gate is not None:
            g = torch.sigmoid(self.gate(x))
            return (1 - g) * h + (g * f if kind == "exclusive_gate" else f)
        return h + f


class CifarNet(nn.Module):
    """The 6n+2 network; `cfg.net` picks residual or plain, the other fields pick the block's form."""

    def __init__(self, cfg: RunConfig, in_channels: int = 3, classes: int = 10) -> None:
        super().__init__()
        w, pre = cfg.width, cfg.order == "pre"
        self.stem = conv3x3(in_channels, w)
        # Post-activation nets normalise the stem's output; pre-activation nets leave it to the first block.
        self.stem_bn = nn.Identity() if pre else nn.BatchNorm2d(w)
        self.stem_tap = Tap()
        blocks: list[nn.Module] = []
        c_in = w
        for stage, c_out in enumerate((w, 2 * w, 4 * w)):
            for i in range(cfg.blocks_per_stage):
                blocks.append(Block(cfg, c_in, c_out, stride=2 if stage > 0 and i == 0 else 1))
                c_in = c_out
        self.blocks = nn.Sequential(*blocks)
        self.final_bn = nn.BatchNorm2d(c_in) if pre else nn.Identity()  # pre-activation ends with BN-ReLU
        self.pre = pre
        self.fc = nn.Linear(c_in, classes)
        self._init_weights(cfg)

    def _init_weights(self, cfg: RunConfig) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")  # He initialisation
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for block in self.blocks:
            if block.gate is not None:
                nn.init.constant_(block.gate.bias, cfg.gate_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem_tap(self.stem_bn(self.stem(x)))
        x = x if self.pre else F.relu(x)
        x = self.blocks(x)
        if self.pre:
            x = F.relu(self.final_bn(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

    def weighted_layers(self) -> list[tuple[str, nn.Parameter]]:
        """The 6n+2 weighted layers in order (stem, each block's two 3x3 convs, classifier), for gradient norms.
        Shortcut and gate convs are left out: the paper's layer count does not include them."""
        layers = [("stem", self.stem.weight)]
        for i, block in enumerate(self.blocks):
            layers += [(f"block{i}.conv1", block.conv1.weight), (f"block{i}.conv2", block.conv2.weight)]
        return [*layers, ("fc", self.fc.weight)]

    def taps(self) -> list[Tap]:
        """The 3x3 layers' response points in order (stem first)."""
        return [self.stem_tap] + [t for block in self.blocks for t in (block.tap1, block.tap2)]


def build_net(cfg: RunConfig, in_channels: int = 3, classes: int = 10) -> CifarNet:
    return CifarNet(cfg, in_channels, classes)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
