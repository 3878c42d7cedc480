"""Real (tiny) training: the smoke profile, resume after an interruption, the result cache, the CIFAR-10 loader,
divergence handling and parameter counts. Skipped where torch is not installed."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from studygen.experiments import cache  # noqa: E402
from studygen.experiments.config import RunConfig, Runtime, make_config  # noqa: E402
from studygen.experiments.data import (  # noqa: E402
    CIFAR_TEST_FILE,
    CIFAR_TRAIN_FILES,
    DataError,
    crop_and_flip,
    load_data,
    write_cifar_file,
)
from studygen.experiments.nets import build_net, count_parameters  # noqa: E402
from studygen.experiments.spec import load_spec  # noqa: E402
from studygen.experiments.sweep import run_sweep  # noqa: E402
from studygen.experiments.train import train  # noqa: E402

COURSE = Path(__file__).resolve().parents[1] / "content"


@pytest.mark.parametrize(("depth", "published"), [(20, 0.27), (32, 0.46), (44, 0.66), (56, 0.85), (110, 1.7)])
def test_parameter_counts_match_the_paper(depth: int, published: float) -> None:
    """He et al. 2015 Table 6 (option A shortcuts add no parameters, so the plain twin has the same count)."""
    residual = count_parameters(build_net(make_config("residual", depth, "identity", 0)))
    plain = count_parameters(build_net(make_config("plain", depth, "identity", 0)))
    digits = 1 if published >= 1 else 2
    assert round(residual / 1e6, digits) == published
    assert plain == residual
    assert count_parameters(build_net(make_config("residual", depth, "projection", 0))) > residual


def test_every_variant_builds_and_runs_forward_and_backward() -> None:
    from studygen.experiments.config import VARIANTS

    x = torch.randn(4, 3, 32, 32)
    for variant in VARIANTS:
        for net in ("plain", "residual"):
            model = build_net(make_config(net, 8, variant, 0, width=4))
            model(x).sum().backward()
            assert len(model.taps()) == len(model.weighted_layers()) - 1 == 7


def test_smoke_profile_shows_degradation_and_is_cached(tmp_path: Path) -> None:
    spec = load_spec(COURSE / "experiments" / "degradation.yaml").spec
    results, checkpoints = tmp_path / "results", tmp_path / "ckpt"
    summary = run_sweep([spec], "smoke", "cpu", jobs=1, results_dir=results, checkpoint_dir=checkpoints, progress=False)
    assert summary.ok and summary.count("finished") == 4, summary.report()
    runs = {r["name"]: r for r in map(cache.read, sorted(results.glob("*.json")))}
    err = {name.split("-digits")[0]: r["metrics"]["final"]["train_error"] for name, r in runs.items()}
    assert err["plain-56-none"] > err["plain-20-none"] + 0.3  # deeper plain net: higher *training* error
    assert err["residual-56-identity"] < err["plain-56-none"] - 0.4
    assert err["residual-56-identity"] < 0.15
    # Gradient flow a quarter into training: the plain-56's first layers get far smaller gradients.
    plain, res = (runs[f"{n}-digits-s0"]["metrics"]["grad_norms"] for n in ("plain-56-none", "residual-56-identity"))
    at = plain["step"].index(10)
    assert np.mean(plain["norms"][at][:5]) * 5 < np.mean(res["norms"][at][:5])
    for r in runs.values():
        assert len(r["metrics"]["final"]["response_std"]) == r["config"]["depth"] - 1
        assert r["provenance"]["torch"] == torch.__version__ and r["provenance"]["device"]["type"] == "cpu"
    assert not list(checkpoints.glob("*"))  # finished runs leave no checkpoint behind

    again = run_sweep([spec], "smoke", "cpu", jobs=1, results_dir=results, checkpoint_dir=checkpoints, progress=False)
    assert again.count("cached") == 4 and again.seconds < 5


def _tiny_cifar(folder: Path, per_file: int = 40) -> Path:
    """A CIFAR-10 folder in the real python format: class k images are brighter in channel k % 3."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for name in [*CIFAR_TRAIN_FILES, CIFAR_TEST_FILE]:
        labels = rng.integers(0, 10, per_file)
        images = rng.integers(0, 100, (per_file, 3, 32, 32))
        images[np.arange(per_file), labels % 3] += 100
        write_cifar_file(folder / name, images.astype(np.uint8), labels)
    return folder


def test_cifar_loader_reads_the_python_format(tmp_path: Path) -> None:
    folder = _tiny_cifar(tmp_path / "cifar")
    data = load_data("cifar10", "cpu", folder)
    assert data.x_train.shape == (200, 3, 32, 32) and data.x_test.shape == (40, 3, 32, 32)
    assert data.x_train.dtype == torch.float32 and data.y_train.dtype == torch.int64
    assert torch.allclose(data.x_train.mean(0), torch.zeros(3, 32, 32), atol=1e-5)  # per-pixel mean removed
    import pickle

    with (folder / "data_batch_3").open("rb") as f:
        raw = pickle.load(f, encoding="bytes")
    assert data.y_train[80:120].tolist() == list(raw[b"labels"])
    (folder / "data_batch_5").unlink()
    with pytest.raises(DataError, match="data_batch_5"):
        load_data("cifar10", "cpu", folder)
    with pytest.raises(DataError, match="data-dir"):
        load_data("cifar10", "cpu", None)


def test_crop_and_flip_equals_the_per_image_definition() -> None:
    x = torch.randn(6, 3, 32, 32)
    shifts = torch.randint(0, 9, (6, 2))
    flips = torch.tensor([True, False, True, False, False, True])
    out = crop_and_flip(x, shifts, flips)
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    for i in range(6):
        dy, dx = shifts[i].tolist()
        want = padded[i, :, dy : dy + 32, dx : dx + 32]
        assert torch.equal(out[i], want.flip(2) if flips[i] else want)


class Interrupt(Exception):
    pass


def test_interrupted_run_resumes_to_the_same_result(tmp_path: Path) -> None:
    """Augmented CIFAR batches and a dropout shortcut: the sampler's and torch's random states must both resume."""
    data = load_data("cifar10", "cpu", _tiny_cifar(tmp_path / "cifar"))
    cfg = make_config(
        "residual",
        8,
        "dropout-0.5",
        3,
        data="cifar10",
        augment=True,
        width=4,
        batch_size=32,
        steps=24,
        log_every=4,
        eval_every=8,
        lr=0.05,
        warmup_steps=4,
    )
    runtime = Runtime(threads=1, checkpoint_every=8)
    whole = train(cfg, runtime, data=data)

    checkpoint = tmp_path / "run.pt"

    def stop_at_12(step: int, _total: int) -> None:
        if step >= 12:
            raise Interrupt  # as a Ctrl-C would: after the checkpoint at step 8, before the one at 16

    with pytest.raises(Interrupt):
        train(cfg, runtime, checkpoint, stop_at_12, data=data)
    assert checkpoint.is_file()
    resumed = train(cfg, runtime, checkpoint, data=data)
    assert resumed["provenance"]["resumed_from_step"] == 8
    assert resumed["metrics"] == whole["metrics"]
    assert not checkpoint.exists()


def test_corrupt_cache_entry_is_recomputed(tmp_path: Path) -> None:
    spec_path = tmp_path / "tiny.yaml"
    spec_path.write_text(
        "id: tiny\ntitle: Tiny\ngrid: {nets: [residual], depths: [8], seeds: [0]}\n"
        "train: {width: 4, steps: 8, log_every: 4, eval_every: 4}\n"
    )
    spec = load_spec(spec_path).spec
    results = tmp_path / "results"
    first = run_sweep([spec], "default", "cpu", 1, results_dir=results, checkpoint_dir=tmp_path / "c", progress=False)
    assert first.count("finished") == 1
    (path,) = results.glob("*.json")
    good = cache.read(path)
    path.write_text(path.read_text()[:-40])  # a torn write
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        second = run_sweep(
            [spec], "default", "cpu", 1, results_dir=results, checkpoint_dir=tmp_path / "c", progress=False
        )
    assert second.count("finished") == 1
    assert cache.read(path)["metrics"] == good["metrics"]  # deterministic on CPU: the same numbers again


def test_divergence_is_recorded_not_raised() -> None:
    cfg = make_config("plain", 8, "identity", 0, width=4, steps=40, lr=1e12, warmup="none", log_every=2)
    result = train(cfg, Runtime(threads=1))
    assert result["status"] == "diverged" and 1 <= result["diverged_at_step"] < 40
    assert "train_error" not in result["metrics"]["final"]


def test_same_seed_same_result_different_seed_different_result() -> None:
    cfg = RunConfig(depth=8, width=4, steps=6, log_every=2, eval_every=6)
    a, b = train(cfg, Runtime(threads=1)), train(cfg, Runtime(threads=1))
    c = train(cfg.with_(seed=1), Runtime(threads=1))
    assert a["metrics"] == b["metrics"]
    assert a["metrics"]["train"]["loss"] != c["metrics"]["train"]["loss"]


def test_cli_dry_run_lists_runs_and_rejects_bad_specs(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from studygen.experiments.cli import figures

    runner = CliRunner()
    out = runner.invoke(
        figures, ["run", "--course", str(COURSE), "--profile", "smoke", "--dry-run", "--results-dir", str(tmp_path)]
    )
    assert out.exit_code == 0, out.output
    assert "plain-56-none-digits-s0" in out.output and "to run" in out.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: Bad Id\ntitle: x\ngrid: {depths: [20]}\n")
    out = runner.invoke(figures, ["run", str(bad), "--dry-run"])
    assert out.exit_code == 1 and f"{bad}:1:" in out.output and "id" in out.output
    assert runner.invoke(figures, []).exit_code == 0  # the bare group does nothing (yet)
