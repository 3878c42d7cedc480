"""Data sets as tensors on the training device, and a seeded, resumable batch sampler.

Everything is moved to the device once: batches are index lookups into device tensors, and the only host-to-device
transfers are one permutation (plus augmentation draws) per epoch. Nothing is ever downloaded: the digits ship with
scikit-learn, and CIFAR-10 is read from a folder the user gives.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

DIGITS_TRAIN = 1438  # of scikit-learn's 1,797 digits; the other 359 are the test set (split fixed, seed 0)
CIFAR_TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]
CIFAR_TEST_FILE = "test_batch"


@dataclass
class DataSet:
    """Images (N, C, H, W) float32 with the training set's per-pixel mean subtracted, labels int64."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: int
    fingerprint: str  # sha256 of the raw arrays, recorded in the provenance

    @property
    def in_channels(self) -> int:
        return self.x_train.shape[1]

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "train_images": len(self.y_train),
            "test_images": len(self.y_test),
            "shape": list(self.x_train.shape[1:]),
            "classes": self.classes,
            "sha256": self.fingerprint,
        }


class DataError(Exception):
    """The data set is missing or malformed; the message says which file and what was expected."""


def load_data(name: str, device: torch.device | str, data_dir: str | Path | None = None) -> DataSet:
    if name == "digits":
        x, y, x_test, y_test = _digits()
    elif name == "cifar10":
        if data_dir is None:
            raise DataError("CIFAR-10 needs --data-dir: a folder with data_batch_1..5 and test_batch (python format)")
        x, y, x_test, y_test = read_cifar10(Path(data_dir))
    else:
        raise DataError(f"unknown data set {name!r} (known: digits, cifar10)")
    digest = hashlib.sha256()
    for array in (x, y, x_test, y_test):
        digest.update(np.ascontiguousarray(array).tobytes())
    x_train_f = x.astype(np.float32) / (16.0 if name == "digits" else 255.0)
    x_test_f = x_test.astype(np.float32) / (16.0 if name == "digits" else 255.0)
    mean = x_train_f.mean(axis=0, keepdims=True)  # per-pixel mean of the training set (He et al. 2015 §4.2)

    def to_device(a: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a)).to(device=device, dtype=dtype)

    return DataSet(
        name=name,
        x_train=to_device(x_train_f - mean, torch.float32),
        y_train=to_device(y, torch.int64),
        x_test=to_device(x_test_f - mean, torch.float32),
        y_test=to_device(y_test, torch.int64),
        classes=10,
        fingerprint=digest.hexdigest(),
    )


def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no network

    bunch = load_digits()
    images = bunch.images.reshape(-1, 1, 8, 8)  # values 0..16
    order = np.random.default_rng(0).permutation(len(images))  # a fixed split, independent of the run's seed
    train, test = order[:DIGITS_TRAIN], order[DIGITS_TRAIN:]
    return images[train], bunch.target[train], images[test], bunch.target[test]


def _read_cifar_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise DataError(f"{path}: missing (CIFAR-10 python format needs {', '.join(CIFAR_TRAIN_FILES)}, test_batch)")
    try:
        with path.open("rb") as f:
            batch = pickle.load(f, encoding="bytes")  # the format is a pickle; only open files you trust
    except Exception as exc:
        raise DataError(f"{path}: not a CIFAR-10 python-format batch ({exc})") from exc
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise DataError(f"{path}: expected a dict with b'data' and b'labels'")
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise DataError(f"{path}: b'data' must be N x 3072 uint8 with N labels, got {data.shape}, {len(labels)}")
    return data.reshape(-1, 3, 32, 32), labels  # rows are 1024 red, 1024 green, 1024 blue values


def read_cifar10(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The five training batches and the test batch, as uint8 (N, 3, 32, 32) images and int64 labels."""
    parts = [_read_cifar_file(folder / name) for name in CIFAR_TRAIN_FILES]
    x_test, y_test = _read_cifar_file(folder / CIFAR_TEST_FILE)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), x_test, y_test


def write_cifar_file(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """Write images (N, 3, 32, 32) uint8 in CIFAR-10's python format (used by tests to build a tiny data set)."""
    batch = {b"data": images.reshape(len(images), 3072).astype(np.uint8), b"labels": [int(v) for v in labels]}
    with path.open("wb") as f:
        pickle.dump(batch, f)


class Sampler:
    """Draws full mini-batches from a fresh permutation each epoch; its state can be saved and restored exactly.

    With `augment`, each epoch also draws every image's crop offset (0..8 after 4-pixel padding) and flip, so
    augmentation happens on the device in one batched gather and is reproducible from the seed."""

    def __init__(self, n: int, batch_size: int, seed: int, device: torch.device | str, augment: bool) -> None:
        if batch_size > n:
            raise DataError(f"batch size {batch_size} is larger than the training set ({n} images)")
        self.n, self.batch_size, self.device, self.augment = n, batch_size, torch.device(device), augment
        self.generator = torch.Generator().manual_seed(seed + 1_000_003)  # apart from the weight-init stream
        self.position = n  # forces a new epoch on the first draw
        self.epoch = 0
        self.order = torch.empty(0, dtype=torch.int64, device=self.device)
        self.shifts = torch.empty(0, 2, dtype=torch.int64, device=self.device)
        self.flips = torch.empty(0, dtype=torch.bool, device=self.device)

    def _new_epoch(self) -> None:
        self.order = torch.randperm(self.n, generator=self.generator).to(self.device)
        if self.augment:
            self.shifts = torch.randint(0, 9, (self.n, 2), generator=self.generator).to(self.device)
            self.flips = (torch.rand(self.n, generator=self.generator) < 0.5).to(self.device)
        self.position, self.epoch = 0, self.epoch + 1

    def next(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.position + self.batch_size > self.n:  # drop the incomplete tail: every batch is full size
            self._new_epoch()
        s = slice(self.position, self.position + self.batch_size)
        self.position += self.batch_size
        idx = self.order[s]
        xb, yb = x[idx], y[idx]
        if self.augment:
            xb = crop_and_flip(xb, self.shifts[s], self.flips[s])
        return xb, yb

    def state_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator.get_state(),
            "position": self.position,
            "epoch": self.epoch,
            "order": self.order.cpu(),
            "shifts": self.shifts.cpu(),
            "flips": self.flips.cpu(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self.position, self.epoch = state["position"], state["epoch"]
        self.order = state["order"].to(self.device)
        self.shifts, self.flips = state["shifts"].to(self.device), state["flips"].to(self.device)


def crop_and_flip(x: torch.Tensor, shifts: torch.Tensor, flips: torch.Tensor, pad: int = 4) -> torch.Tensor:
    """Pad by `pad` zeros, take the crop at each image's (dy, dx), mirror where `flips`: one gather per batch."""
    n, c, h, w = x.shape
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))
    rows = (shifts[:, 0:1] + torch.arange(h, device=x.device)).view(n, 1, h, 1)
    cols = shifts[:, 1:2] + torch.arange(w, device=x.device)
    cols = torch.where(flips[:, None], cols.flip(1), cols).view(n, 1, 1, w)
    batch = torch.arange(n, device=x.device).view(n, 1, 1, 1)
    channel = torch.arange(c, device=x.device).view(1, c, 1, 1)
    return padded[batch, channel, rows, cols]
