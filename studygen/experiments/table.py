"""Summaries of result files: seeds grouped, mean and spread with the count (no torch).

python -m studygen.experiments.table content/results
"""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from studygen.experiments import cache


def load_results(results_dir: Path) -> list[dict[str, Any]]:
    """Every verified result file of a folder (corrupt ones are skipped with a message on stderr)."""
    records = []
    for path in sorted(results_dir.glob("*.json")):
        try:
            records.append(cache.read(path))
        except cache.CorruptResult as exc:
            print(f"warning: {exc}", file=sys.stderr)
    return records


def group_by_seed(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Records of runs that differ only in their seed, under the run name without '-s<seed>'."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        groups[r["name"].rsplit("-s", 1)[0]].append(r)
    return dict(groups)


def mean_sd(values: list[float]) -> str:
    if not values:
        return "-"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{100 * statistics.mean(values):5.1f} ± {100 * sd:4.1f}"


def early_grad_norm(record: dict[str, Any], fraction: float, layers: int = 5) -> float | None:
    """Mean gradient norm of the first `layers` weighted layers at the recorded step nearest to `fraction`."""
    g = record["metrics"].get("grad_norms", {})
    if not g.get("step"):
        return None
    target = fraction * record["config"]["steps"]
    i = min(range(len(g["step"])), key=lambda j: abs(g["step"][j] - target))
    return statistics.mean(g["norms"][i][:layers])


def format_table(records: list[dict[str, Any]], grad_at: float = 0.1) -> str:
    """A Markdown table: per group, seeds, final training error (running and eval mode), test error, in %,
    as mean ± sd, and the early layers' gradient norm at `grad_at` of training (geometric mean over seeds)."""
    lines = [
        f"| run | seeds | train error % | train error % (eval) | test error % | early-layer grad norm @{grad_at:.0%} |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, group in sorted(group_by_seed(records).items(), key=lambda kv: _order(kv[1][0])):
        done = [r for r in group if r["status"] == "finished"]
        final = [r["metrics"]["final"] for r in done]
        norms = [n for r in done if (n := early_grad_norm(r, grad_at))]
        geo = statistics.geometric_mean(norms) if norms else None
        diverged = len(group) - len(done)
        seeds = f"{len(group)}" + (f" ({diverged} diverged)" if diverged else "")
        lines.append(
            f"| {name} | {seeds} | {mean_sd([f['train_error'] for f in final])} "
            f"| {mean_sd([f['train_error_eval'] for f in final])} | {mean_sd([f['test_error'] for f in final])} "
            f"| {geo:.2g} |"
            if geo
            else f"| {name} | {seeds} | - | - | - | - |"
        )
    return "\n".join(lines)


def _order(r: dict[str, Any]) -> tuple:
    c = r["config"]
    return (c["data"], c["variant"] != "none", c["variant"] != "identity", c["variant"], c["depth"])


if __name__ == "__main__":
    print(format_table(load_results(Path(sys.argv[1] if len(sys.argv) > 1 else "content/results"))))
