"""Experiment specs, the result cache and sharding: no torch needed for any of these."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from studygen.errors import ContentError
from studygen.experiments import cache
from studygen.experiments.config import RunConfig, make_config
from studygen.experiments.spec import expand, load_spec, load_specs
from studygen.experiments.sweep import parse_shard, plan, take_shard

COURSE = Path(__file__).resolve().parents[1] / "content"


def write(tmp_path: Path, text: str, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_specs_are_valid_and_the_default_profile_is_the_promised_grid() -> None:
    specs = [s.spec for s in load_specs(sorted((COURSE / "experiments").glob("*.yaml")), COURSE)]
    runs = plan(specs, "default")
    names = {r.config.name() for r in runs}
    for net in ("plain", "residual"):
        for depth in (20, 32, 44, 56):
            for seed in (0, 1, 2):
                variant = "none" if net == "plain" else "identity"
                assert f"{net}-{depth}-{variant}-digits-s{seed}" in names
    # The shortcut study shares its identity runs with the degradation study instead of training them twice.
    shared = [r for r in runs if r.experiments == ("degradation", "shortcuts")]
    assert len(shared) == 3
    assert len({r.key for r in runs}) == len(runs)


def test_spec_errors_name_file_line_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id: bad\ntitle: Bad\ngrid:\n  depths: [20, 21]\n  variants: [identity, nonsense]\n  colour: red\n"
        "train:\n  lr: fast\n  learning_rate: 0.1\n",
    )
    with pytest.raises(ContentError) as caught:
        load_spec(path)
    report = caught.value.report()
    assert f"{path}:4:" in report and "grid.depths" in report and "6n+2" in report
    assert "grid.variants" in report and "nonsense" in report
    assert f"{path}:6:" in report and "grid.colour: unknown field" in report
    assert "train.lr" in report
    assert "train.learning_rate: unknown field" in report
    assert "5 error(s)" in report


def test_profiles_layer_settings_and_grids(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id: layered\ntitle: L\ngrid: {depths: [20, 56], seeds: [0, 1]}\ntrain: {width: 8}\n"
        "profiles:\n  smoke: {grid: {depths: [20]}, train: {steps: 12}}\n",
    )
    spec = load_spec(path).spec
    smoke = expand(spec, "smoke")
    assert {c.depth for c in smoke} == {20} and {c.steps for c in smoke} == {12} and {c.width for c in smoke} == {8}
    default = expand(spec)  # the spec's own profile, "default"
    assert {c.depth for c in default} == {20, 56} and {c.steps for c in default} == {RunConfig().steps}
    paper = expand(spec, "paper", data="cifar10")
    assert all(c.data == "cifar10" and c.schedule == "step" and c.steps == 64_000 for c in paper)
    assert all(c.augment and c.width == 8 for c in paper)  # spec settings win over the profile preset


def test_plain_nets_ignore_shortcut_variants() -> None:
    a = make_config("plain", 20, "conv1x1", 0)
    b = make_config("plain", 20, "identity", 0)
    assert a == b and cache.run_key(a) == cache.run_key(b)
    assert make_config("plain", 20, "preact", 0).order == "pre"


def test_keys_change_with_config_and_code_version() -> None:
    cfg = make_config("residual", 20, "identity", 0)
    assert cache.run_key(cfg) == cache.run_key(make_config("residual", 20, "identity", 0))
    assert cache.run_key(cfg) != cache.run_key(cfg.with_(seed=1))
    assert cache.run_key(cfg) != cache.run_key(cfg.with_(lr=0.05))
    assert cache.run_key(cfg, "aaaaaaaaaaaa") != cache.run_key(cfg, "bbbbbbbbbbbb")
    assert len(cache.code_version()) == 12


def _record() -> dict:
    return {
        "status": "finished",
        "diverged_at_step": None,
        "metrics": {
            "train": {"step": list(range(1, 501)), "loss": [1 / 3 + i for i in range(500)], "error": [0.5] * 500},
            "test": {"step": [500], "loss": [0.123456789], "error": [0.25]},
            "final": {"train_error": 0.0123456789},
        },
        "timing": {"train_seconds": 1.0},
        "provenance": {"torch": "x"},
    }


def test_result_files_are_compact_self_describing_and_verified(tmp_path: Path) -> None:
    cfg = make_config("residual", 20, "identity", 0)
    path = cache.write(tmp_path, cfg, _record())
    assert path.name == f"residual-20-identity-digits-s0--{cache.run_key(cfg)}.json"
    record = cache.read(path, cache.run_key(cfg))
    assert record["config"] == cfg.to_dict() and record["code_version"] == cache.code_version()
    train = record["metrics"]["train"]
    assert len(train["step"]) == cache.MAX_POINTS and train["step"][0] == 1 and train["step"][-1] == 500
    assert record["metrics"]["final"]["train_error"] == 0.01235
    assert not list(tmp_path.glob(".*tmp*"))  # the temporary file was moved into place


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: text.replace('"train_error": 0.01235', '"train_error": 0.5'),  # edited
        lambda text: "",
    ],
)
def test_corrupt_result_is_detected_and_treated_as_missing(tmp_path: Path, damage) -> None:
    cfg = make_config("residual", 20, "identity", 0)
    path = cache.write(tmp_path, cfg, _record())
    path.write_text(damage(path.read_text()))
    with pytest.raises(cache.CorruptResult):
        cache.read(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cache.lookup(tmp_path, cache.run_key(cfg)) is None
    assert "recomputing" in str(caught[0].message)


def test_result_under_a_wrong_key_is_rejected(tmp_path: Path) -> None:
    cfg = make_config("residual", 20, "identity", 0)
    path = cache.write(tmp_path, cfg, _record())
    other = cache.run_key(cfg.with_(seed=5))
    moved = path.rename(tmp_path / f"x--{other}.json")
    with pytest.raises(cache.CorruptResult, match="expected"):
        cache.read(moved, other)


def test_shards_split_a_sweep_without_overlap() -> None:
    specs = [s.spec for s in load_specs(sorted((COURSE / "experiments").glob("*.yaml")))]
    runs = plan(specs, "default")
    parts = [take_shard(runs, (k, 3)) for k in (1, 2, 3)]
    keys = [r.key for part in parts for r in part]
    assert sorted(keys) == sorted(r.key for r in runs) and len(set(keys)) == len(keys)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/2", "3/2", "x", "1-2"):
        with pytest.raises(ValueError):
            parse_shard(bad)


def test_importing_the_experiments_cli_does_not_import_torch() -> None:
    code = (
        "import sys, studygen.experiments.cli, studygen.experiments.spec, studygen.experiments.cache; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_torch_gives_an_install_hint_and_exit_1(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"  # makes `import torch` raise ImportError
        "from studygen.experiments.cli import figures\n"
        "figures(['run', '--course', sys.argv[1]])\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 1
    assert "pip install torch==2.13.0 'studygen[experiments]'" in out.stderr


def test_result_format_readme_names_every_top_level_field(tmp_path: Path) -> None:
    cfg = make_config("residual", 20, "identity", 0)
    record = json.loads(cache.write(tmp_path, cfg, _record()).read_text())
    readme = (COURSE / "results" / "README.md").read_text()
    for field in record:
        assert f"`{field}`" in readme


def test_table_groups_seeds_with_mean_and_spread(tmp_path: Path) -> None:
    from studygen.experiments.table import format_table, load_results

    for seed, error in ((0, 0.5), (1, 0.7)):
        record = _record()
        record["metrics"]["final"] = {"train_error": error, "train_error_eval": error, "test_error": 0.6}
        record["metrics"]["grad_norms"] = {"layers": ["stem"], "step": [1, 22], "norms": [[5.0], [1e-3]]}
        cache.write(tmp_path, make_config("plain", 56, "identity", seed), record)
    table = format_table(load_results(tmp_path))
    assert "| plain-56-none-digits | 2 |  60.0 ± 14.1 |" in table and "| 0.001 |" in table


def test_settings_that_make_an_impossible_run_are_reported_with_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "id: zero\ntitle: Z\ngrid: {depths: [20]}\ntrain: {steps: 0}\n")
    with pytest.raises(ContentError) as caught:
        load_spec(path)
    assert f"{path}:4:1: train: under the default profile: steps" in caught.value.report()
