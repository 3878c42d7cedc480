"""Find and summarise the committed results an experiment figure is drawn from. No torch, no matplotlib.

A figure names an experiment (a spec in `<course>/experiments/<id>.yaml`); the spec and its profile give the runs
(`studygen.experiments.spec.expand`), each run's config and the training code give its key, and the key names its
result file in `<course>/results/`. A run without a result is reported with the command that produces it.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from studygen.experiments import cache
from studygen.experiments.config import RunConfig
from studygen.experiments.spec import expand, load_spec

EXPERIMENTS_DIR = "experiments"
RESULTS_DIR = "results"
PROFILE = "default"  # the profile whose results a course commits and draws


@dataclass(frozen=True)
class Run:
    """One finished (or diverged) run: its config and its result record."""

    config: RunConfig
    record: dict[str, Any]

    @property
    def final(self) -> dict[str, Any]:
        return self.record["metrics"]["final"]

    @property
    def diverged(self) -> bool:
        return self.record["status"] != "finished"


@dataclass(frozen=True)
class ExperimentResults:
    experiment: str
    profile: str
    runs: tuple[Run, ...]
    files: tuple[Path, ...]  # the result files read, for cache keys
    command: str  # the command that (re)computes them
    stale: tuple[str, ...] = ()  # runs drawn from results of an older version of the training code

    def select(self, **match: Any) -> list[Run]:
        """Runs whose config has these values, e.g. select(net="plain", depth=56)."""
        return [run for run in self.runs if all(getattr(run.config, k) == v for k, v in match.items())]

    def values(self, **match: Any) -> tuple[str, ...]:
        """The distinct values of one config field among the runs, in grid order (e.g. values(field="depth"))."""
        (name,) = match.values()
        return tuple(dict.fromkeys(getattr(run.config, name) for run in self.runs))


class MissingResults(Exception):
    """Some runs of an experiment have no result; the message names them and the command that computes them."""


def command_for(course_root: Path, experiment: str, profile: str = PROFILE) -> str:
    """The command, run from the folder that holds the course, that computes an experiment's results."""
    spec = PurePosixPath(course_root.name, EXPERIMENTS_DIR, f"{experiment}.yaml")
    return f"studygen figures run {spec} --course {course_root.name} --profile {profile}"


def load_results(course_root: Path, experiment: str, profile: str = PROFILE) -> ExperimentResults:
    spec_path = course_root / EXPERIMENTS_DIR / f"{experiment}.yaml"
    command = command_for(course_root, experiment, profile)
    if not spec_path.is_file():
        raise MissingResults(f"no experiment spec {spec_path} for experiment '{experiment}'")
    spec = load_spec(spec_path, course_root).spec
    results_dir = course_root / RESULTS_DIR
    runs, files, missing, stale = [], [], [], []
    older: dict[str, Path] | None = None  # config -> newest result file, read only when an exact key is missing
    for config in expand(spec, profile):
        path = cache.find(results_dir, cache.run_key(config)) if results_dir.is_dir() else None
        if path is None:
            # Results of the same config from an older version of the training code still draw the figure
            # (with a warning, an error under --strict), so an edit to the training code does not break builds.
            older = _results_by_config(results_dir) if older is None else older
            path = older.get(_config_text(config))
            if path is None:
                missing.append(config.name())
                continue
            stale.append(config.name())
        try:
            record = cache.read(path)
        except cache.CorruptResult as error:
            raise MissingResults(f"{path} is corrupt ({error}); recompute it with `{command}`") from None
        runs.append(Run(config, record))
        files.append(path)
    if missing:
        shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        raise MissingResults(
            f"experiment '{experiment}' ({profile} profile) has no results for {shown}; run `{command}`"
        )
    return ExperimentResults(experiment, profile, tuple(runs), tuple(files), command, tuple(stale))


def _config_text(config: RunConfig) -> str:
    return json.dumps(config.to_dict(), sort_keys=True)


def _results_by_config(results_dir: Path) -> dict[str, Path]:
    """Every readable result file by its run's config (the newest file where several hold one config)."""
    found: dict[str, Path] = {}
    if not results_dir.is_dir():
        return found
    for path in sorted(results_dir.glob("*.json"), key=lambda p: p.stat().st_mtime):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            found[json.dumps(record["config"], sort_keys=True)] = path
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


@dataclass(frozen=True)
class Spread:
    """Mean, lowest and highest of a measurement over seeds, and how many seeds."""

    mean: float
    low: float
    high: float
    count: int

    @staticmethod
    def of(values: Iterable[float]) -> Spread:
        items = list(values)
        return Spread(statistics.fmean(items), min(items), max(items), len(items))


def final_spread(runs: list[Run], metric: str) -> Spread:
    return Spread.of(run.final[metric] for run in runs if not run.diverged)


def provenance(results: ExperimentResults) -> str:
    """One line under a figure: what produced the numbers."""
    records = [run.record for run in results.runs]
    seeds = sorted({run.config.seed for run in results.runs})
    devices = sorted({f"{r['provenance']['device']['type']} ({r['provenance']['device']['name']})" for r in records})
    torches = sorted({r["provenance"]["torch"] for r in records})
    data = sorted({r["provenance"]["data"]["name"] for r in records})
    dates = sorted({r["recorded_on"] for r in records if r.get("recorded_on")})
    when = f"; run {dates[0]}" + (f" to {dates[-1]}" if len(dates) > 1 else "") if dates else ""
    return (
        f"Our measurement: {results.profile} profile, {', '.join(data)} data, seeds {', '.join(map(str, seeds))}; "
        f"{', '.join(devices)}; torch {', '.join(torches)}{when}."
    )
