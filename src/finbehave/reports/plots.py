"""Report plots with matplotlib, returned as inline SVG text (no files, no network)."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from finbehave.reports.stats import Estimate

plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "finbehave", "font.size": 9})
COLOURS = plt.get_cmap("tab10").colors
LABELS = {"correct": "accuracy"}
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def _svg(fig: plt.Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return _METADATA.sub("", text[text.index("<svg") :])


def _errors(values: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    return np.nan_to_num(np.vstack([values - lows, highs - values]).clip(min=0))


def _grouped_bars(
    labels: list[str],
    runs: list[str],
    bars: list[tuple[np.ndarray, np.ndarray | None]],
    xlabel: str,
    row_height: float,
) -> tuple[plt.Figure, plt.Axes]:
    """Horizontal bars, one group per label and one colour per run (``bars`` in run order)."""
    fig, ax = plt.subplots(figsize=(7, row_height * len(labels) * max(1, len(runs)) ** 0.5 + 1.2))
    height = 0.8 / len(runs)
    y = np.arange(len(labels))
    for i, (run, (values, errors)) in enumerate(zip(runs, bars, strict=True)):
        ax.barh(
            y + i * height,
            values,
            height,
            xerr=errors,
            label=run,
            color=COLOURS[i % 10],
            capsize=2,
        )
    ax.set_yticks(y + height * (len(runs) - 1) / 2, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=7, loc="lower right")
    return fig, ax


def rates_plot(rates: pd.DataFrame, metrics: list[str], runs: list[str], title: str) -> str:
    """Grouped horizontal bars: each metric's rate per run, with 95% intervals."""
    bars = []
    for run in runs:
        sub = rates[rates.run == run].set_index("metric").reindex(metrics)
        v, lo, hi = (sub[c].to_numpy(dtype=float) for c in ("value", "low", "high"))
        bars.append((np.nan_to_num(v), _errors(v, lo, hi)))
    fig, ax = _grouped_bars(
        [LABELS.get(m, m) for m in metrics],
        runs,
        bars,
        "rate (95% CI; Wilson for 0/1 scores, bootstrap for means)",
        0.45,
    )
    ax.set_title(title)
    return _svg(fig)


def taxonomy_plot(taxonomy: pd.DataFrame, runs: list[str]) -> str:
    """Failure-tag shares per run (colours as in ``rates_plot``), most frequent tag first."""
    tags = list(taxonomy.groupby("tag")["n"].sum().sort_values(ascending=False).index)
    shares = taxonomy.pivot(index="tag", columns="run", values="share").reindex(tags).fillna(0)
    bars = [
        (shares[run].to_numpy() if run in shares else np.zeros(len(tags)), None) for run in runs
    ]
    fig, _ = _grouped_bars(tags, runs, bars, "share of the run's samples with the tag", 0.35)
    return _svg(fig)


def heatmap(matrix: pd.DataFrame, title: str) -> str:
    """Rows = runs, columns = behaviours, cells = rates (annotated)."""
    fig, ax = plt.subplots(figsize=(1.1 * matrix.shape[1] + 2, 0.5 * matrix.shape[0] + 1.5))
    data = matrix.to_numpy(dtype=float)
    ax.imshow(np.ma.masked_invalid(data), cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=30, ha="right")
    ax.set_yticks(range(matrix.shape[0]), matrix.index)
    for (r, c), value in np.ndenumerate(data):
        ax.text(
            c, r, "n/a" if np.isnan(value) else f"{value:.2f}", ha="center", va="center", fontsize=8
        )
    ax.set_title(title)
    return _svg(fig)


def deltas_plot(deltas: dict[str, Estimate], title: str) -> str:
    """Paired mean differences per behaviour with bootstrap intervals."""
    keys = [k for k, e in deltas.items() if e.n]
    v = np.array([deltas[k].value for k in keys])
    lo = np.array([deltas[k].low for k in keys])
    hi = np.array([deltas[k].high for k in keys])
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(keys) + 1.2))
    colours = [COLOURS[2] if x > 0 else COLOURS[3] for x in v]
    ax.barh(range(len(keys)), v, xerr=_errors(v, lo, hi), color=colours, capsize=2)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(keys)), keys)
    ax.invert_yaxis()
    ax.set_xlim(-1, 1)
    ax.set_xlabel("paired difference (other - reference), 95% bootstrap CI")
    ax.set_title(title)
    return _svg(fig)


def curves_plot(panels: dict[str, dict[str, list[tuple[float, float]]]], ylabel: str) -> str:
    """One panel per title, one line per series of (x, y) points (e.g. GRPO reward curves)."""
    fig, axes = plt.subplots(
        1, max(len(panels), 1), figsize=(4.2 * max(len(panels), 1), 3.2), sharey=True, squeeze=False
    )
    for ax, (title, series) in zip(axes[0], panels.items(), strict=False):
        for index, (label, points) in enumerate(series.items()):
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, marker="o", markersize=3, label=label, color=COLOURS[index % 10])
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(ylabel)
    axes[0][-1].legend(fontsize=7, loc="best")
    return _svg(fig)
