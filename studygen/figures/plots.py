"""The plots of the bundled experiments, drawn with matplotlib from results. Each returns the figure and the
sentence of measured numbers that its caption carries, computed from the same data as the curves.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies), and every series
also differs by line style or marker, so nothing depends on colour alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from studygen.figures.results import ExperimentResults, Run, Spread, final_spread

# Okabe-Ito without its yellow, which is too pale against white.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#999999")
STYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
PLAIN, RESIDUAL = "#D55E00", "#0072B2"


@dataclass(frozen=True)
class Drawing:
    figure: Figure
    numbers: str  # the measured numbers, for the caption


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def spread_text(spread: Spread) -> str:
    if spread.count == 1:
        return pct(spread.mean)
    return f"{pct(spread.mean)} (range {pct(spread.low)}–{pct(spread.high)})"


def _new(width: float = 7.0, height: float = 3.4, columns: int = 1) -> tuple[Figure, list[Axes]]:
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(1, columns, sharey=True, squeeze=False)[0]
    return figure, list(axes)


def _curve(runs: list[Run]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training-error curves of several seeds: steps, mean, min and max (on the shortest common length)."""
    length = min(len(run.record["metrics"]["train"]["step"]) for run in runs)
    steps = np.array(runs[0].record["metrics"]["train"]["step"][:length])
    errors = np.array([run.record["metrics"]["train"]["error"][:length] for run in runs]) * 100
    return steps, errors.mean(axis=0), errors.min(axis=0), errors.max(axis=0)


def degradation_curves(results: ExperimentResults) -> Drawing:
    """Training error against iterations, plain nets (left) and residual nets (right), by depth."""
    depths = results.values(field="depth")
    figure, axes = _new(columns=2)
    for ax, net, title in zip(axes, ("plain", "residual"), ("Plain networks", "Residual networks"), strict=True):
        for i, depth in enumerate(depths):
            runs = [r for r in results.select(net=net, depth=depth) if not r.diverged]
            if not runs:
                continue
            steps, mean, low, high = _curve(runs)
            colour = COLOURS[i % len(COLOURS)]
            ax.plot(steps, mean, STYLES[i % len(STYLES)], color=colour, label=f"{net}-{depth}", linewidth=1.6)
            ax.fill_between(steps, low, high, color=colour, alpha=0.18, linewidth=0)
        ax.set_title(title)
        ax.set_xlabel("iteration")
        ax.set_ylim(0, 100)
        ax.legend(frameon=False)
    axes[0].set_ylabel("training error (%)")
    shallow, deep = depths[0], depths[-1]
    numbers = (
        f"Final training error, mean over {_count(_seeds(results), 'seed')}: plain-{deep} "
        f"{spread_text(final_spread(results.select(net='plain', depth=deep), 'train_error'))} against "
        f"plain-{shallow} {spread_text(final_spread(results.select(net='plain', depth=shallow), 'train_error'))}; "
        f"ResNet-{deep} {spread_text(final_spread(results.select(net='residual', depth=deep), 'train_error'))} "
        f"against ResNet-{shallow} "
        f"{spread_text(final_spread(results.select(net='residual', depth=shallow), 'train_error'))}."
    )
    return Drawing(figure, numbers)


def error_by_depth(results: ExperimentResults) -> Drawing:
    """Final training and test error of plain and residual nets by depth, mean with min-max bars."""
    depths = results.values(field="depth")
    figure, axes = _new(columns=2)
    parts = []
    for ax, metric, title in zip(
        axes, ("train_error_eval", "test_error"), ("Training error", "Test error"), strict=True
    ):
        for net, colour, marker in (("plain", PLAIN, "o"), ("residual", RESIDUAL, "s")):
            spreads = [final_spread(results.select(net=net, depth=d), metric) for d in depths]
            mean = np.array([s.mean for s in spreads]) * 100
            bars = np.array([[s.mean - s.low for s in spreads], [s.high - s.mean for s in spreads]]) * 100
            ax.errorbar(depths, mean, yerr=bars, color=colour, marker=marker, capsize=3, label=net, linewidth=1.6)
        ax.set_title(title)
        ax.set_xlabel("depth (weighted layers)")
        ax.set_xticks(list(depths))
        ax.legend(frameon=False)
    axes[0].set_ylabel("error at the end of training (%)")
    for net, label in (("plain", "plain"), ("residual", "ResNet")):
        train = [final_spread(results.select(net=net, depth=d), "train_error_eval").mean for d in depths]
        parts.append(f"{label} " + ", ".join(f"{d}: {pct(t)}" for d, t in zip(depths, train, strict=True)))
    numbers = f"Training error by depth (mean of {_count(_seeds(results), 'seed')}): " + "; ".join(parts) + "."
    return Drawing(figure, numbers)


def gradient_flow(results: ExperimentResults) -> Drawing:
    """Per-layer gradient norm (log scale) of the deepest plain and residual nets, at the first recorded
    iteration and at the one nearest 10% of training (the same iterations for both nets). At the start the
    plain net's early layers get exploding gradients; once the first updates have inflated its weights, they get
    far smaller gradients than the residual net's, while the residual net is still learning."""
    depth = results.values(field="depth")[-1]
    runs = {net: [r for r in results.select(net=net, depth=depth) if not r.diverged] for net in ("plain", "residual")}
    steps = runs["plain"][0].record["metrics"]["grad_norms"]["step"]
    middle = min(range(1, len(steps)), key=lambda i: abs(steps[i] - runs["plain"][0].config.steps / 10))
    figure, axes = _new(columns=2, height=3.6)
    early: dict[tuple[str, int], float] = {}
    for ax, index in zip(axes, (0, middle), strict=True):
        for net, colour, style in (("plain", PLAIN, "-"), ("residual", RESIDUAL, "--")):
            norms = np.array([r.record["metrics"]["grad_norms"]["norms"][index] for r in runs[net]])
            mean = np.exp(np.log(np.maximum(norms, 1e-30)).mean(axis=0))  # geometric mean over seeds
            ax.semilogy(np.arange(1, len(mean) + 1), mean, style, color=colour, label=f"{net}-{depth}", linewidth=1.6)
            early[(net, index)] = float(np.exp(np.log(np.maximum(mean[1:4], 1e-30)).mean()))
        ax.set_title(f"iteration {steps[index]}")
        ax.set_xlabel("layer (input side → output side)")
        ax.legend(frameon=False)
    axes[0].set_ylabel("gradient norm (log scale)")
    start = early[("plain", 0)] / early[("residual", 0)]
    later = early[("residual", middle)] / early[("plain", middle)]
    numbers = (
        f"Early layers (2–4), geometric mean over {_count(_seeds(results), 'seed')}: at iteration {steps[0]} "
        f"plain-{depth} receives {_times(start)} the gradient of ResNet-{depth}; at iteration {steps[middle]} "
        f"ResNet-{depth} receives {_times(later)} that of plain-{depth}."
    )
    return Drawing(figure, numbers)


def layer_responses(results: ExperimentResults) -> Drawing:
    """Standard deviation of each 3x3 layer's response, plain against residual (He et al. 2015, Fig. 7)."""
    depth = results.values(field="depth")[-1]
    figure, (ax,) = _new(height=3.4)
    means = {}
    for net, colour, style in (("plain", PLAIN, "-"), ("residual", RESIDUAL, "--")):
        runs = [r for r in results.select(net=net, depth=depth) if not r.diverged]
        stds = np.array([r.final["response_std"] for r in runs]).mean(axis=0)
        ax.plot(np.arange(1, len(stds) + 1), stds, style, color=colour, label=f"{net}-{depth}", linewidth=1.6)
        means[net] = float(stds.mean())
    ax.set_xlabel("3x3 layer (input side → output side)")
    ax.set_ylabel("response std")
    ax.set_title("Layer responses after BN, before the nonlinearity")
    ax.legend(frameon=False)
    numbers = (
        f"Mean response std over layers: plain-{depth} {means['plain']:.2f}, ResNet-{depth} {means['residual']:.2f} "
        f"({_count(_seeds(results), 'seed')})."
    )
    return Drawing(figure, numbers)


def shortcut_variants(results: ExperimentResults) -> Drawing:
    """Final training error of each shortcut variant against the identity, mean with min-max bars."""
    variants = results.values(field="variant")
    depth = results.values(field="depth")[0]
    figure, (ax,) = _new(height=3.6)
    spreads = {v: _train_or_fail(results.select(variant=v)) for v in variants}
    order = sorted(variants, key=lambda v: (v != "identity", spreads[v].mean if spreads[v] else 2.0))
    for i, variant in enumerate(order):
        spread = spreads[variant]
        colour = RESIDUAL if variant == "identity" else COLOURS[1 + i % (len(COLOURS) - 1)]
        if spread is None:
            ax.barh(i, 100, color="none", edgecolor=colour, hatch="//")
            ax.text(50, i, "diverged", va="center", ha="center")
            continue
        low, high = (spread.mean - spread.low) * 100, (spread.high - spread.mean) * 100
        ax.barh(i, spread.mean * 100, xerr=[[low], [high]], color=colour, capsize=3)
        ax.text(spread.high * 100 + 1.5, i, pct(spread.mean), va="center")  # the value, even for a zero-length bar
    ax.set_yticks(range(len(order)), order)
    ax.invert_yaxis()
    ax.set_xlabel("training error at the end (%)")
    ax.set_title(f"Shortcut variants, residual-{depth}")
    identity = spreads["identity"]
    worse = [v for v in variants if v != "identity" and (spreads[v] is None or spreads[v].mean >= identity.mean)]
    numbers = (
        f"Identity shortcut: {spread_text(identity)} training error; "
        + "; ".join(
            f"{v}: {spread_text(spreads[v]) if spreads[v] else 'diverged'}" for v in variants if v != "identity"
        )
        + f" ({_count(_seeds(results), 'seed')}). "
        + f"{len(worse)} of {len(variants) - 1} variants train no better than the identity."
    )
    return Drawing(figure, numbers)


def _train_or_fail(runs: list[Run]) -> Spread | None:
    finished = [r for r in runs if not r.diverged]
    return final_spread(finished, "train_error") if finished else None


def _seeds(results: ExperimentResults) -> int:
    return len(results.values(field="seed"))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _times(ratio: float) -> str:
    return f"{ratio:,.0f} times" if ratio >= 10 else f"{ratio:.1f} times"


PLOTS: dict[str, Callable[[ExperimentResults], Drawing]] = {
    "degradation-curves": degradation_curves,
    "error-by-depth": error_by_depth,
    "gradient-flow": gradient_flow,
    "layer-responses": layer_responses,
    "shortcut-variants": shortcut_variants,
}
