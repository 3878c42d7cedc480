"""`studygen figures run`: train what the course's experiment specs ask for and the result cache lacks.

The main CLI registers the `figures` group; its bare invocation (drawing figures from results) belongs to the
figures module. Nothing here imports torch at import time, so `studygen --help` stays instant.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from studygen.cli_paths import PathParam

if TYPE_CHECKING:
    from pathlib import Path

INSTALL_HINT = "pip install torch==2.13.0 'studygen[experiments]'"


@click.group("figures", invoke_without_command=True)
@click.option("--course", "course_dir", type=PathParam(file_okay=False), default="content",
              show_default=True, help="Course folder (figures alone: which course's figures to draw).")  # fmt: skip
@click.option("-o", "--out", "out_dir", type=PathParam(file_okay=False), default=None,
              help="Figures alone: also write each figure's SVG and PNG into this folder.")  # fmt: skip
@click.pass_context
def figures(ctx: click.Context, course_dir: Path, out_dir: Path | None) -> None:
    """Experiment-backed figures: alone, draw every figure from the committed results (no training) and print
    its measured numbers; `run` trains the runs that the results lack."""
    if ctx.invoked_subcommand is None:
        from studygen.cli import draw_figures_command  # the main CLI owns the build's error reporting

        draw_figures_command(course_dir, out_dir)


@figures.command("run")
@click.argument("specs", nargs=-1, type=PathParam(exists=True, dir_okay=False))
@click.option(
    "--course",
    type=PathParam(file_okay=False),
    default="content",
    show_default=True,
    help="Course folder: specs in experiments/, results in results/.",
)
@click.option(
    "--profile",
    type=click.Choice(["smoke", "default", "paper"]),
    help="Training preset; default: each spec's own `profile`.",
)
@click.option("--device", default="auto", show_default=True, help="cpu, cuda, cuda:N, or auto (CUDA if present).")
@click.option("--jobs", type=click.IntRange(min=1), help="Parallel runs; default: CPU cores, or 1 on a GPU.")
@click.option("--shard", default="1/1", show_default=True, help="Run only shard K of N (K/N) of the sweep.")
@click.option("--data", type=click.Choice(["digits", "cifar10"]), help="Override the data set of every run.")
@click.option(
    "--data-dir",
    type=PathParam(exists=True, file_okay=False),
    help="Folder with CIFAR-10's python-format batches (data_batch_1..5, test_batch).",
)
@click.option("--results-dir", type=PathParam(file_okay=False), help="Result cache; default: COURSE/results.")
@click.option(
    "--checkpoint-dir",
    type=PathParam(file_okay=False),
    help="Checkpoints of unfinished runs; default: .studygen-cache/checkpoints beside COURSE.",
)
@click.option("--compile", "compile_", is_flag=True, help="torch.compile the nets (pays off on long GPU runs).")
@click.option("--only", metavar="PATTERN", help="Only the runs whose name matches, e.g. 'residual-110-*-s0'.")
@click.option(
    "--launcher",
    type=click.Choice(["none", "torchrun"]),
    default="none",
    show_default=True,
    help="torchrun: train each run with all --nproc-per-node processes of this machine together (DDP).",
)
@click.option(
    "--nproc-per-node",
    default="auto",
    show_default=True,
    help="With --launcher torchrun: processes, or gpu/cpu/auto (one per GPU, else per CPU core).",
)
@click.option("--sync-bn", is_flag=True, help="Under torchrun: BatchNorm over the global batch (GPUs only).")
@click.option("--dry-run", is_flag=True, help="List the runs and whether each is cached; train nothing.")
@click.option("--quiet", is_flag=True, help="No progress line.")
@click.pass_context
def run(
    ctx: click.Context,
    specs: tuple[Path, ...],
    course: Path,
    profile: str | None,
    device: str,
    jobs: int | None,
    shard: str,
    data: str | None,
    data_dir: Path | None,
    results_dir: Path | None,
    checkpoint_dir: Path | None,
    compile_: bool,
    only: str | None,
    launcher: str,
    nproc_per_node: str,
    sync_bn: bool,
    dry_run: bool,
    quiet: bool,
) -> None:
    """Train the runs of SPEC files (default: COURSE/experiments/*.yaml) that have no cached result.

    Inside a torchrun job (`torchrun ... -m studygen.experiments run ...`), each run is trained by all of the
    job's processes with DistributedDataParallel; see docs/experiments.md."""
    try:
        import torch  # noqa: F401  (only to fail early with a useful message)
    except ImportError:
        click.echo(
            f"error: training needs PyTorch, which is not installed. Install it with:\n  {INSTALL_HINT}", err=True
        )
        sys.exit(1)
    from studygen.errors import ContentError
    from studygen.experiments import cache, sweep
    from studygen.experiments.spec import load_specs

    paths = list(specs) or sorted((course / "experiments").glob("*.yaml"))
    if not paths:
        raise click.ClickException(f"no experiment specs given and none in {course / 'experiments'}")
    try:
        loaded = load_specs(paths, course)
        shard_kn = sweep.parse_shard(shard)
    except ContentError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(1)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if data == "cifar10" and data_dir is None:
        raise click.ClickException("--data cifar10 needs --data-dir FOLDER (nothing is ever downloaded)")
    from studygen.experiments import distributed

    inside = distributed.launched()
    if (launcher == "torchrun" or inside) and jobs and jobs > 1:
        raise click.ClickException("--jobs trains runs side by side; under torchrun the processes share each run")
    if launcher == "torchrun" and not inside and not dry_run:
        sys.exit(_torchrun(ctx, nproc_per_node))
    results_dir = results_dir or course / "results"
    checkpoint_dir = checkpoint_dir or course.resolve().parent / ".studygen-cache" / "checkpoints"
    experiment_specs = [item.spec for item in loaded]
    if dry_run:
        if inside and os.environ.get("RANK") != "0":
            return  # under torchrun, one listing is enough
        runs = sweep.take_shard(sweep.plan(experiment_specs, profile, only, data=data), shard_kn)
        for r in runs:
            state = "cached" if cache.find(results_dir, r.key) else "to run"
            click.echo(f"{r.key}  {r.config.name():<44} {r.config.steps:>6} it  {state}")
        return
    group = None
    try:
        if inside:
            group, device = distributed.init(_device_under_torchrun(device), sync_bn)
        elif sync_bn:
            raise click.ClickException("--sync-bn applies to runs under torchrun (--launcher torchrun)")
        summary = sweep.run_sweep(
            experiment_specs,
            profile=profile,
            device=None if device == "auto" else device,
            jobs=jobs,
            shard=shard_kn,
            results_dir=results_dir,
            checkpoint_dir=checkpoint_dir,
            progress=not quiet,
            data=data,
            data_dir=data_dir,
            compile=compile_,
            only=only,
            group=group,
        )
    except (RuntimeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if group is not None:
            distributed.shutdown()
    if group is None or group.is_main:
        click.echo(summary.report())
    if not summary.ok:
        sys.exit(1)


def _device_under_torchrun(requested: str) -> str:
    """The device a torchrun process should train on: CUDA when asked for or (with auto) when present."""
    from studygen.experiments.train import pick_device

    return pick_device(None if requested == "auto" else requested)


def _torchrun(ctx: click.Context, nproc_per_node: str) -> int:
    """Start this same command under torchrun on this machine (a standalone rendezvous on a free port) and return
    its exit status. For several machines, run torchrun yourself (docs/experiments.md, docs/slurm/)."""
    import subprocess

    argv = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc_per_node}"]
    argv += ["-m", "studygen.experiments", "run", *forwarded_arguments(ctx, skip={"launcher", "nproc_per_node"})]
    click.echo(" ".join(argv[1:]), err=True)
    return subprocess.run(argv, check=False).returncode


def forwarded_arguments(ctx: click.Context, skip: set[str]) -> list[str]:
    """The command line that gives the same parameters as `ctx` (except those in `skip`)."""
    out: list[str] = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if param.name in skip or value is None:
            continue
        if isinstance(param, click.Argument):
            out += [str(v) for v in value]
            continue
        flag = max(param.opts, key=len)
        if isinstance(param, click.Option) and param.is_flag:
            out += [flag] if value else []
        else:
            out += [flag, str(value)]
    return out
