"""Run the grid of one or more specs: only what the cache lacks, in parallel processes, resumable, shardable.

    summary = run_sweep(specs, profile="default", device=None, jobs=2, shard=(1, 1),
                        results_dir=Path("content/results"), checkpoint_dir=Path(".studygen-cache/checkpoints"))

Each run is trained by a worker process that writes its own result file (atomically) and deletes its checkpoint
when done, so an interrupted sweep loses at most `checkpoint_every` iterations per run in flight. Workers use one
torch thread each: on a small shared CPU, N single-threaded runs beat one N-threaded run. On a machine with several
GPUs, worker i trains on GPU i mod (number of GPUs). The result folder is the only state that runs share, so
shards (`shard=(K, N)`) can run on any machines and merge by copying their files.

Under torchrun (`group` given, see distributed.py) the runs are trained one after the other, each by all processes
together; rank 0 decides what to run, prints and writes.
"""

from __future__ import annotations

import concurrent.futures as cf
import fnmatch
import multiprocessing as mp
import os
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studygen.experiments import cache
from studygen.experiments.config import RunConfig, Runtime
from studygen.experiments.spec import ExperimentSpec, expand

if TYPE_CHECKING:
    from studygen.experiments.distributed import Group


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


def plan(
    specs: Sequence[ExperimentSpec], profile: str | None = None, only: str | None = None, **overrides: Any
) -> list[PlannedRun]:
    """All runs of all specs, each once, sorted by key (so shards are stable whatever order specs come in).
    `only` keeps the runs whose name matches a shell pattern, e.g. 'residual-110-*-s0'."""
    code = cache.code_version()
    runs: dict[str, tuple[RunConfig, list[str]]] = {}
    for spec in specs:
        for cfg in expand(spec, profile, **overrides):
            if only and not fnmatch.fnmatchcase(cfg.name(), only):
                continue
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


def checkpoint_path(checkpoint_dir: str | Path, cfg: RunConfig, key: str) -> Path:
    """Where a run's checkpoint lives: the same file whatever trains it, so any launcher can resume it."""
    return Path(checkpoint_dir) / f"{cfg.name()}--{key}.pt"


def checkpoint_every(runtime: Runtime, cfg: RunConfig) -> int:
    """About 100 checkpoints per run at most: every 50 iterations of a digits run, every 640 of a 64k one."""
    return max(runtime.checkpoint_every, cfg.steps // 100)


_WORKER_DEVICE: str | None = None  # the device a pool worker claimed at its start (see device_slots)


def device_slots(device: str, jobs: int, gpus: int) -> list[str]:
    """The device of each of `jobs` workers: plain "cuda" spreads them over the GPUs round-robin; a named device
    ("cuda:1", "cpu") takes them all."""
    if device == "cuda" and gpus > 1:
        return [f"cuda:{i % gpus}" for i in range(jobs)]
    return [device] * jobs


def _claim_device(slots: Any) -> None:
    """Pool initialiser: each worker takes the next free slot, once, for all the runs it will train."""
    global _WORKER_DEVICE
    _WORKER_DEVICE = slots.get()


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
    checkpoint = checkpoint_path(checkpoint_dir, cfg, key)
    runtime = replace(runtime, checkpoint_every=checkpoint_every(runtime, cfg))
    if _WORKER_DEVICE is not None:
        runtime = replace(runtime, device=_WORKER_DEVICE)
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
    only: str | None = None,
    group: Group | None = None,
) -> SweepSummary:
    """Train every run of `specs` under `profile` that `results_dir` has no valid result for; return a summary.

    `device` None picks CUDA when available; `jobs` None means one process per CPU core on the CPU and one per
    GPU on a machine with GPUs; `shard` (K, N) keeps every N-th run so N machines can split a sweep; `only` keeps
    the runs whose name matches a shell pattern. With `group` (this process's place in a torchrun job, see
    distributed.py) every run is trained by all processes of the job together, and only rank 0's summary has the
    outcomes."""
    from studygen.experiments.train import pick_device  # the first torch import of a sweep

    start = time.perf_counter()
    device = pick_device(device)
    if group is not None:
        jobs = 1
    elif not jobs:
        jobs = _gpu_count() if device == "cuda" else 1 if device.startswith("cuda") else max(1, os.cpu_count() or 1)
    main = group is None or group.is_main
    runs = plan(specs, profile, only, data=data) if main else []
    summary = SweepSummary(planned=len(runs), shard=shard, device=device, jobs=jobs)
    todo: list[PlannedRun] = []
    for run in take_shard(runs, shard):
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
    if group is not None:
        from studygen.experiments.distributed import broadcast

        todo = broadcast(todo, group)  # rank 0 alone looked at the cache; the others follow its list
    bar = ProgressLine(todo, progress and main)
    args = (runtime, str(results_dir), str(checkpoint_dir))
    if group is not None:
        for run in todo:
            outcome = _run_distributed(run.config, run.key, *args, group, _Direct(bar) if main else None)
            if main:
                summary.outcomes.append(outcome)
                bar.finish(outcome, run.config.steps)
    elif jobs == 1 or len(todo) <= 1:
        for run in todo:
            outcome = _run_one(run.config, run.key, *args, _Direct(bar))
            summary.outcomes.append(outcome)
            bar.finish(outcome, run.config.steps)
    else:
        slots = device_slots(device, min(jobs, len(todo)), _gpu_count() if device == "cuda" else 0)
        _run_parallel(todo, args, slots, bar, summary)
    bar.close()
    summary.seconds = time.perf_counter() - start
    return summary


def _gpu_count() -> int:
    import torch

    return max(1, torch.cuda.device_count())


def _run_distributed(
    cfg: RunConfig, key: str, runtime: Runtime, results_dir: str, checkpoint_dir: str, group: Group, queue: Any
) -> RunOutcome:
    """Every rank trains `cfg` together; rank 0 writes the result. A failure is raised, not recorded: the other
    ranks may be waiting in a collective, and torchrun stops them all when one process fails."""
    from studygen.experiments.distributed import train_distributed

    def report(step: int, _total: int) -> None:
        if queue is not None:
            queue.put((key, step))

    start = time.perf_counter()
    runtime = replace(runtime, checkpoint_every=checkpoint_every(runtime, cfg))
    checkpoint = checkpoint_path(checkpoint_dir, cfg, key)
    record = train_distributed(cfg, group, runtime, checkpoint, report)
    if record is None:
        return RunOutcome(key, cfg.name(), "finished", seconds=time.perf_counter() - start)  # a rank other than 0
    path = cache.write(Path(results_dir), cfg, record)
    return RunOutcome(key, cfg.name(), record["status"], str(path), time.perf_counter() - start)


class _Direct:
    """A queue stand-in for runs in this process: progress goes straight to the bar."""

    def __init__(self, bar: ProgressLine) -> None:
        self.bar = bar

    def put(self, item: tuple[str, int]) -> None:
        self.bar.step(*item)


def _run_parallel(
    todo: list[PlannedRun], args: tuple[Any, ...], slots: list[str], bar: ProgressLine, summary: SweepSummary
) -> None:
    # Spawned (not forked) workers: forking a process that may hold torch's thread pools can deadlock.
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        free = manager.Queue()
        for slot in slots:
            free.put(slot)
        with cf.ProcessPoolExecutor(len(slots), mp_context=ctx, initializer=_claim_device, initargs=(free,)) as pool:
            _collect(pool, manager.Queue(), todo, args, bar, summary)


def _collect(
    pool: cf.ProcessPoolExecutor,
    queue: Any,
    todo: list[PlannedRun],
    args: tuple[Any, ...],
    bar: ProgressLine,
    summary: SweepSummary,
) -> None:
    """Submit every run, longest first (so the last minutes are not one deep net running alone); gather."""
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
