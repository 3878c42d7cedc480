"""Run the grid of one or more specs: only what the cache lacks, in parallel processes, resumable, shardable.

    summary = run_sweep(specs, profile="default", device=None, jobs=2, shard=(1, 1),
                        results_dir=Path("content/results"), checkpoint_dir=Path(".studygen-cache/checkpoints"))

Each run is trained by a worker process that writes its own result file (atomically) and deletes its checkpoint
when done, so an interrupted sweep loses at most `checkpoint_every` iterations per run in flight. Workers use one
torch thread each: on a small shared CPU, N single-threaded runs beat one N-threaded run.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from studygen.experiments import cache
from studygen.experiments.config import RunConfig, Runtime
from studygen.experiments.spec import ExperimentSpec, expand


@dataclass(frozen=True)
class PlannedRun:
    key: str
    config: RunConfig
    experiments: tuple[str, ...]  # ids of the specs that asked for it (a run may serve several)


@dataclass
class RunOutcome:
    key: str
    name: str
    status: str  # "cached", "finished", "diverged" or "failed"
    path: str | None = None
    seconds: float = 0.0  # wall time of the run in this sweep (0 for a cache hit)
    error: str | None = None


@dataclass
class SweepSummary:
    planned: int  # runs in the whole grid, before sharding
    shard: tuple[int, int]
    outcomes: list[RunOutcome] = field(default_factory=list)
    seconds: float = 0.0
    device: str = "cpu"
    jobs: int = 1

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0

    def report(self) -> str:
        lines = [
            f"{len(self.outcomes)} of {self.planned} runs in shard {self.shard[0]}/{self.shard[1]} on {self.device} "
            f"with {self.jobs} job(s): {self.count('cached')} cached, {self.count('finished')} trained, "
            f"{self.count('diverged')} diverged, {self.count('failed')} failed, in {self.seconds:.1f} s"
        ]
        lines += [f"  failed: {o.name}: {o.error}" for o in self.outcomes if o.status == "failed"]
        return "\n".join(lines)


def plan(specs: Sequence[ExperimentSpec], profile: str | None = None, **overrides: Any) -> list[PlannedRun]:
    """All runs of all specs, each once, sorted by key (so shards are stable whatever order specs come in)."""
    code = cache.code_version()
    runs: dict[str, tuple[RunConfig, list[str]]] = {}
    for spec in specs:
        for cfg in expand(spec, profile, **overrides):
            key = cache.run_key(cfg, code)
            runs.setdefault(key, (cfg, []))[1].append(spec.id)
    return [PlannedRun(k, cfg, tuple(dict.fromkeys(ids))) for k, (cfg, ids) in sorted(runs.items())]


def take_shard(runs: list[PlannedRun], shard: tuple[int, int]) -> list[PlannedRun]:
    """Shard K of N (1-based): every N-th run starting at K-1, so shards are about equally long."""
    k, n = shard
    if not 1 <= k <= n:
        raise ValueError(f"shard {k}/{n}: K must be between 1 and N")
    return runs[k - 1 :: n]


def parse_shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard wants K/N, e.g. 1/2, not {text!r}") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard {text}: K must be between 1 and N")
    return k, n


class ProgressLine:
    """One stderr line: runs done, iterations done across the sweep, and the runs in flight."""

    def __init__(self, runs: list[PlannedRun], enabled: bool) -> None:
        self.total_steps = sum(r.config.steps for r in runs) or 1
        self.total_runs, self.done_runs = len(runs), 0
        self.steps: dict[str, int] = {}
        self.names = {r.key: r.config.name() for r in runs}
        self.enabled, self.tty = enabled, sys.stderr.isatty()
        self.last = 0.0

    def step(self, key: str, step: int) -> None:
        self.steps[key] = step
        self._show()

    def finish(self, outcome: RunOutcome, steps: int) -> None:
        self.steps[outcome.key] = steps
        self.done_runs += 1
        if self.enabled and not self.tty:  # a log gets one line per run instead of a redrawn line
            print(
                f"[{self.done_runs}/{self.total_runs}] {outcome.name}: {outcome.status} ({outcome.seconds:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
        self._show(force=True)

    def _show(self, force: bool = False) -> None:
        now = time.monotonic()
        if not (self.enabled and self.tty) or (not force and now - self.last < 0.2):
            return
        self.last = now
        done = sum(self.steps.values())
        width = 24
        bar = "#" * int(width * done / self.total_steps)
        print(
            f"\r[{bar:<{width}}] runs {self.done_runs}/{self.total_runs}  iterations {done}/{self.total_steps}",
            end="",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self.enabled and self.tty:
            print(file=sys.stderr, flush=True)


def _run_one(
    cfg: RunConfig, key: str, runtime: Runtime, results_dir: str, checkpoint_dir: str, queue: Any
) -> RunOutcome:
    """Worker body: train one config, write its result file. Importing train here keeps torch out of the parent
    until it is needed."""
    from studygen.experiments.train import train

    def report(step: int, _total: int) -> None:
        if queue is not None:
            queue.put((key, step))

    start = time.perf_counter()
    checkpoint = Path(checkpoint_dir) / f"{cfg.name()}--{key}.pt"
    # About 100 checkpoints per run at most: every 50 iterations of a digits run, every 640 of a 64k-iteration one.
    runtime = replace(runtime, checkpoint_every=max(runtime.checkpoint_every, cfg.steps // 100))
    try:
        record = train(cfg, runtime, checkpoint, report)
    except Exception as exc:  # one failing run must not sink the sweep; the summary lists it
        return RunOutcome(key, cfg.name(), "failed", seconds=time.perf_counter() - start, error=repr(exc))
    path = cache.write(Path(results_dir), cfg, record)
    return RunOutcome(key, cfg.name(), record["status"], str(path), time.perf_counter() - start)


def run_sweep(
    specs: Sequence[ExperimentSpec],
    profile: str | None = None,
    device: str | None = None,
    jobs: int | None = None,
    shard: tuple[int, int] = (1, 1),
    results_dir: Path = Path("content/results"),
    checkpoint_dir: Path = Path(".studygen-cache/checkpoints"),
    progress: bool = True,
    data: str | None = None,
    data_dir: Path | None = None,
    compile: bool = False,
) -> SweepSummary:
    """Train every run of `specs` under `profile` that `results_dir` has no valid result for; return a summary.

    `device` None picks CUDA when available; `jobs` None means one process per CPU core on the CPU and one
    on a GPU; `shard` (K, N) keeps every N-th run so N machines can split a sweep."""
    from studygen.experiments.train import pick_device  # the first torch import of a sweep

    start = time.perf_counter()
    device = pick_device(device)
    on_gpu = device.startswith("cuda")
    jobs = jobs or (1 if on_gpu else max(1, os.cpu_count() or 1))
    runs = plan(specs, profile, data=data)
    summary = SweepSummary(planned=len(runs), shard=shard, device=device, jobs=jobs)
    mine = take_shard(runs, shard)
    todo: list[PlannedRun] = []
    for run in mine:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hit = cache.lookup(results_dir, run.key)
        for w in caught:
            print(f"warning: {w.message}", file=sys.stderr)
        if hit is None:
            todo.append(run)
        else:
            summary.outcomes.append(
                RunOutcome(run.key, run.config.name(), "cached", str(cache.find(results_dir, run.key)))
            )
    runtime = Runtime(
        device=device,
        threads=1,  # one thread per run: on a shared CPU, 2 threads can run many times slower than 1 (TOOLING.md)
        compile=compile,
        data_dir=str(data_dir) if data_dir else None,
    )
    bar = ProgressLine(todo, progress)
    args = (runtime, str(results_dir), str(checkpoint_dir))
    if jobs == 1 or len(todo) <= 1:
        for run in todo:
            outcome = _run_one(run.config, run.key, *args, _Direct(bar))
            summary.outcomes.append(outcome)
            bar.finish(outcome, run.config.steps)
    else:
        _run_parallel(todo, args, min(jobs, len(todo)), bar, summary)
    bar.close()
    summary.seconds = time.perf_counter() - start
    return summary


class _Direct:
    """A queue stand-in for runs in this process: progress goes straight to the bar."""

    def __init__(self, bar: ProgressLine) -> None:
        self.bar = bar

    def put(self, item: tuple[str, int]) -> None:
        self.bar.step(*item)


def _run_parallel(
    todo: list[PlannedRun], args: tuple[Any, ...], jobs: int, bar: ProgressLine, summary: SweepSummary
) -> None:
    # Spawned (not forked) workers: forking a process that may hold torch's thread pools can deadlock.
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, cf.ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
        queue = manager.Queue()
        # Longest runs first, so the last minutes are not one deep net running alone.
        ordered = sorted(todo, key=lambda r: -r.config.steps * r.config.depth * r.config.width)
        futures = {pool.submit(_run_one, r.config, r.key, *args, queue): r for r in ordered}
        pending = set(futures)
        while pending:
            done, pending = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
            while not queue.empty():
                bar.step(*queue.get())
            for future in done:
                run = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # the worker process itself died
                    outcome = RunOutcome(run.key, run.config.name(), "failed", error=repr(exc))
                summary.outcomes.append(outcome)
                bar.finish(outcome, run.config.steps)
