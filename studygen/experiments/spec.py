"""Experiment specs (content/experiments/*.yaml): a grid of runs plus the profile that sets how long they train.

A spec names nets x depths x variants x seeds. A profile is a preset of training settings:
  smoke    seconds, for tests and a quick look (tiny nets, a few epochs of the digits);
  default  minutes on a laptop CPU (the digits, width 16, 20 epochs) - what the bundled course's figures use;
  paper    CIFAR-10 with He et al.'s schedule (64k iterations, steps at 32k and 48k), meant for a GPU.
A spec may override settings for all profiles (`train:`) or for one (`profiles: {smoke: {grid: ..., train: ...}}`).
Later layers win: RunConfig defaults < profile preset < spec `train` < spec `profiles.<p>.train`.

Validation uses pydantic (unknown keys are errors) and reports every problem as file:line:column: field: message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from studygen.content.yamlsource import load_yaml
from studygen.errors import ContentError, Problem, display_path
from studygen.experiments.config import VARIANTS, RunConfig, make_config

ProfileName = Literal["smoke", "default", "paper"]

# Training presets. Each value says why it was chosen; RunConfig's own defaults are the `default` profile.
PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {
        "width": 8,  # cheap, and still separates plain-56 from plain-20 and residual-56
        "steps": 40,  # under 4 epochs of the 1,438 digits images at batch 128: seconds per net
        "warmup_steps": 6,  # 15% of 40
        "log_every": 4,
        "eval_every": 20,
    },
    "default": {},
    "paper": {
        "data": "cifar10",
        "augment": True,  # pad 4, random 32x32 crop, horizontal flip
        "steps": 64_000,  # "terminate training at 64k iterations"
        "schedule": "step",
        "milestones": (0.5, 0.75),  # lr / 10 at 32k and 48k iterations
        "warmup": "constant",
        "warmup_lr": 0.01,  # "we use 0.01 to warm up the training until the training error is below 80%"
        "warmup_steps": 400,  # "(about 400 iterations)"
        "warmup_min_depth": 110,  # the paper warmed up ResNet-110 only
        "log_every": 100,
        "eval_every": 2_000,
        "grad_norm_at": (0.0, 0.01, 0.1, 0.5, 1.0),
    },
}

# Settings a spec may change. Net, depth, variant and seed come from the grid; the shortcut's own settings come
# from the named variant, so a spec cannot build a shortcut that has no name in the results.
_GRID_FIELDS = {"net", "depth", "variant", "seed"}
_VARIANT_FIELDS = {
    "shortcut",
    "downsample",
    "order",
    "shortcut_scale",
    "residual_scale",
    "gate_bias",
    "shortcut_dropout",
}
TRAIN_FIELDS = [name for name in RunConfig.__dataclass_fields__ if name not in _GRID_FIELDS | _VARIANT_FIELDS]

Strict = ConfigDict(extra="forbid")
_HINTS = get_type_hints(RunConfig)

# Every setting is optional in a spec; the types come from RunConfig so the two cannot drift apart.
TrainSettings = create_model(
    "TrainSettings",
    __config__=Strict,
    **{name: (_HINTS[name] | None, None) for name in TRAIN_FIELDS},  # type: ignore[call-overload]
)


def _check_depths(depths: list[int] | None) -> list[int] | None:
    for d in depths or []:
        if d < 8 or (d - 2) % 6:
            raise ValueError(f"depth {d} is not 6n+2 (20, 32, 44, 56, 110, ...)")
    return depths


def _check_variants(variants: list[str] | None) -> list[str] | None:
    for v in variants or []:
        if v not in VARIANTS:
            raise ValueError(f"unknown variant {v!r}; known: {', '.join(VARIANTS)}")
    return variants


class Grid(BaseModel):
    """The runs of an experiment: every combination of these lists."""

    model_config = Strict
    nets: list[Literal["plain", "residual"]] = Field(default=["plain", "residual"], min_length=1)
    depths: list[int] = Field(min_length=1)
    variants: list[str] = Field(default=["identity"], min_length=1)  # names from config.VARIANTS
    seeds: list[int] = Field(default=[0, 1, 2], min_length=1)

    _depths = field_validator("depths")(_check_depths)
    _variants = field_validator("variants")(_check_variants)


class GridOverride(BaseModel):
    """Replaces some lists of the grid for one profile (e.g. fewer depths and seeds for `smoke`)."""

    model_config = Strict
    nets: list[Literal["plain", "residual"]] | None = None
    depths: list[int] | None = None
    variants: list[str] | None = None
    seeds: list[int] | None = None

    _depths = field_validator("depths")(_check_depths)
    _variants = field_validator("variants")(_check_variants)


class ProfileOverride(BaseModel):
    model_config = Strict
    grid: GridOverride | None = None
    train: TrainSettings | None = None  # type: ignore[valid-type]


class ExperimentSpec(BaseModel):
    """One experiment of a course, e.g. the degradation problem or the shortcut variants."""

    model_config = Strict
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")  # names the experiment in results and figures
    title: str
    description: str = ""  # what the experiment shows, and which figure or table of which paper it mirrors
    profile: ProfileName = "default"  # the profile used when the command line names none
    grid: Grid
    train: TrainSettings = Field(default_factory=TrainSettings)  # type: ignore[valid-type]
    profiles: dict[ProfileName, ProfileOverride] = Field(default_factory=dict)


@dataclass(frozen=True)
class LoadedSpec:
    path: Path
    spec: ExperimentSpec


def load_spec(path: Path, root: Path | None = None) -> LoadedSpec:
    """Read and validate one spec; raises ContentError listing every problem with its line."""
    shown = display_path(path, root) if root else str(path)
    data, source, problems = load_yaml(path, shown)
    if problems:
        raise ContentError(problems)
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        found: list[Problem] = []
        for err in exc.errors():
            loc = tuple(part for part in err["loc"] if not str(part).startswith("function-"))
            message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
            found.append(source.problem(loc, message))
        raise ContentError(found) from None
    # Settings can be valid one by one and still make an impossible run (e.g. steps: 0); try every profile.
    found = []
    for profile in PROFILES:
        try:
            expand(spec, profile)
        except ValueError as exc:
            where = ("profiles", profile) if profile in spec.profiles else ("train",)
            found.append(source.problem(where, f"under the {profile} profile: {exc}"))
    if found:
        raise ContentError(found)
    return LoadedSpec(path, spec)


def load_specs(paths: list[Path], root: Path | None = None) -> list[LoadedSpec]:
    """Load several specs, gathering the problems of all of them before raising."""
    loaded, problems = [], []
    for path in paths:
        try:
            loaded.append(load_spec(path, root))
        except ContentError as exc:
            problems += exc.problems
    if problems:
        raise ContentError(problems)
    return loaded


def expand(spec: ExperimentSpec, profile: str | None = None, **overrides: Any) -> list[RunConfig]:
    """The configs of a spec under a profile, in grid order, without duplicates (plain nets ignore variants).
    `overrides` (e.g. data="cifar10" from the command line) win over everything else."""
    name = profile or spec.profile
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}")
    extra = spec.profiles.get(name, ProfileOverride())  # type: ignore[arg-type]
    grid = spec.grid.model_copy(update=extra.grid.model_dump(exclude_none=True) if extra.grid else {})
    settings = {**PROFILES[name], **spec.train.model_dump(exclude_none=True)}
    if extra.train is not None:
        settings.update(extra.train.model_dump(exclude_none=True))
    settings.update({k: v for k, v in overrides.items() if v is not None})
    settings = {k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()}
    configs: dict[RunConfig, None] = {}
    for net in grid.nets:
        for depth in grid.depths:
            for variant in grid.variants:
                for seed in grid.seeds:
                    configs[make_config(net, depth, variant, seed, **settings)] = None
    return list(configs)
