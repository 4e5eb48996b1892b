"""A/B of GRPO arms: each run's rates, paired differences between runs, and the training curves.

``finbehave loop`` with ``training.arms`` calls :func:`summarize_arms` after its comparison report.
Inputs: that report's ``samples.parquet`` (runs ``base``, ``warm`` and one per arm, on the same
held-out items) and each arm's training output (``log_history.jsonl``: TRL's log dicts,
``run_card.json``). Outputs, beside the report:

- ``arms.json``: per run, every behaviour's rate with its 95% interval; per compared pair
  (each arm against the warm start, or the base model without one, and each pair of arms),
  the mean per-item difference of every behaviour with a paired bootstrap interval and McNemar's
  test on correctness; per arm, its reward weights, steps, per-behaviour reward curves and the
  share of GRPO groups whose rewards had zero spread (TRL's ``frac_reward_zero_std``: groups that
  give no learning signal).
- ``arms.md``: the same as Markdown tables (what an experiment README quotes).
- ``reward_curves.svg``: per-behaviour mean reward per logged step, one panel per arm.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finbehave.files import write_text_atomic
from finbehave.reports.analysis import Analysis, Comparison, row_estimate
from finbehave.reports.plots import curves_plot
from finbehave.reports.stats import Estimate, estimate
from finbehave.vocab import BEHAVIOURS, LOG_HISTORY, RUN_CARD

ZERO_SPREAD = "frac_reward_zero_std"
NO_SUBMISSION = "no_submission"
METRICS = ("correct", *BEHAVIOURS)


def _number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 4)


def _estimate(est: Estimate) -> dict[str, Any]:
    return {
        "value": _number(est.value),
        "low": _number(est.low),
        "high": _number(est.high),
        "n": est.n,
        "method": est.method,
    }


def _pair(comparison: Comparison) -> dict[str, Any]:
    return {
        "after": comparison.other,
        "before": comparison.reference,
        "items": len(comparison.pairs),
        "differences": {m: _estimate(d) for m, d in comparison.deltas.items() if d.n},
        "mcnemar": asdict(comparison.mcnemar),
    }


def tool_use(analysis: Analysis) -> dict[str, dict[str, dict[str, Any]]]:
    """Per run: the share of samples with any tool call (submit included), with a submitted an answer, and the
    mean number of tool calls (does a warm start use the tools at all?)."""
    frame = analysis.frame
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for run in analysis.runs:
        rows = frame[frame.run == run]
        submitted = np.array([NO_SUBMISSION not in list(tags) for tags in rows["tags"]], float)
        out[run] = {
            "any_tool_call": _estimate(estimate((rows["tool_calls"] > 0).to_numpy(float))),
            "submitted": _estimate(estimate(submitted)),
            "tool_calls": _estimate(estimate(rows["tool_calls"].to_numpy(float))),
        }
    return out


def _history(output: Path) -> list[dict[str, Any]]:
    path = output / LOG_HISTORY
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [entry for entry in map(json.loads, filter(None, lines)) if "step" in entry]


def training_summary(output: Path) -> dict[str, Any]:
    """An arm's weights, steps, reward curves and zero-spread share from its output folder."""
    history = [entry for entry in _history(output) if "reward" in entry]
    card_path = output / RUN_CARD
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.is_file() else {}
    curves = {
        b: [
            [e["step"], _number(e[f"rewards/{b}/mean"])]
            for e in history
            if f"rewards/{b}/mean" in e
        ]
        for b in BEHAVIOURS
    }
    spreads = [e[ZERO_SPREAD] for e in history if e.get(ZERO_SPREAD) is not None]
    return {
        "output": str(output),
        "reward_weights": card.get("reward_weights"),
        "reward_weights_source": card.get("reward_weights_source"),
        "steps": max((e["step"] for e in history), default=0),
        "reward": [[e["step"], _number(e["reward"])] for e in history],
        "curves": curves,
        "zero_spread_fraction": _number(sum(spreads) / len(spreads)) if spreads else None,
    }


def _pairs_to_compare(runs: list[str], arms: list[str]) -> list[tuple[str, str]]:
    """(reference, other): each arm against the warm start (else the first other run), then
    each pair of arms."""
    others = [run for run in runs if run not in arms]
    reference = "warm" if "warm" in others else (others[0] if others else None)
    pairs = [(reference, arm) for arm in arms if reference is not None]
    return pairs + [(b, a) for a, b in combinations(arms, 2)]


def _fmt(est: dict[str, Any]) -> str:
    if est["value"] is None:
        return "n/a"
    return f"{est['value']:.2f} [{est['low']:.2f}, {est['high']:.2f}] (n={est['n']})"


def render_markdown(summary: dict[str, Any]) -> str:
    """Markdown tables of a summary: rates, paired differences, training."""
    runs = list(summary["runs"])
    lines = ["| behaviour | " + " | ".join(runs) + " |", "|---" * (len(runs) + 1) + "|"]
    for metric in METRICS:
        cells = [
            _fmt(summary["runs"][run][metric]) for run in runs if metric in summary["runs"][run]
        ]
        if len(cells) == len(runs):
            lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    for key in ("any_tool_call", "submitted", "tool_calls"):
        lines.append(
            f"| {key} | " + " | ".join(_fmt(summary["tool_use"][r][key]) for r in runs) + " |"
        )
    lines += ["", "| difference | " + " | ".join(METRICS) + " | McNemar (correct) |"]
    lines.append("|---" * (len(METRICS) + 2) + "|")
    for pair in summary["pairs"]:
        diffs = [
            _fmt(pair["differences"][m]) if m in pair["differences"] else "n/a" for m in METRICS
        ]
        test = pair["mcnemar"]
        lines.append(
            f"| {pair['after']} − {pair['before']} | "
            + " | ".join(diffs)
            + f" | +{test['fixed']}/−{test['broken']}, p={test['pvalue']:.3g} |"
        )
    lines += ["", "| arm | weights | steps | groups with zero reward spread |", "|---|---|---|---|"]
    for arm, info in summary["training"].items():
        weights = ", ".join(f"{b} {w:.2f}" for b, w in (info["reward_weights"] or {}).items())
        spread = info["zero_spread_fraction"]
        shown = "n/a" if spread is None else f"{spread:.0%}"
        lines.append(f"| {arm} | {weights} | {info['steps']} | {shown} |")
    return "\n".join(lines) + "\n"


def summarize_arms(parquet: Path, trained: dict[str, Path], folder: Path) -> Path:
    """Write ``arms.json``, ``arms.md`` and ``reward_curves.svg`` into ``folder``; returns the
    JSON's path. ``trained`` maps each arm (a run in the parquet) to its training output."""
    analysis = Analysis(pd.read_parquet(parquet))
    rates = analysis.rates()
    pooled = rates[(rates.task == analysis.pooled) & rates.metric.isin(METRICS)]
    runs = {
        run: {row.metric: _estimate(row_estimate(row)) for _, row in group.iterrows()}
        for run, group in pooled.groupby("run", sort=False)
    }
    arms = [arm for arm in trained if arm in analysis.runs]
    pairs = [
        _pair(analysis.compare(reference, other))
        for reference, other in _pairs_to_compare(analysis.runs, arms)
    ]
    training = {arm: training_summary(output) for arm, output in trained.items()}
    summary = {
        "task": analysis.pooled,
        "runs": runs,
        "tool_use": tool_use(analysis),
        "pairs": pairs,
        "training": training,
    }
    folder.mkdir(parents=True, exist_ok=True)
    panels = {
        f"{arm} ({info['reward_weights_source'] or '?'} weights)": {
            b: [(s, v) for s, v in points if v is not None] for b, points in info["curves"].items()
        }
        for arm, info in training.items()
    }
    svg = curves_plot(panels, "mean behaviour reward per GRPO step")
    write_text_atomic(folder / "reward_curves.svg", svg)
    write_text_atomic(folder / "arms.md", render_markdown(summary))
    return write_text_atomic(folder / "arms.json", json.dumps(summary, indent=2) + "\n")
