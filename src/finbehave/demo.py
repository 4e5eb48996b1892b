"""The offline demo behind ``make demo``: evaluate, diagnose, retrain, evaluate again.

1. ``finbehave run tasks.yaml``: the shipped experiment (the scripted reference agents and the
   default local model, SmolLM2-135M-Instruct, on a few test items of both tasks), then its
   report and the diagnosis of its ``training.base_model`` (smollm2) in ``reports/experiment``.
2. The loop: ``cpu_smoke`` GRPO training from that diagnosis (the experiment's ``training:``),
   the adapter evaluated on the same items with the same settings, and a comparison report
   (``reports/demo-loop``). A 135M model does not learn FinQA in three CPU steps: the loop proves
   the path (same tools, same rubric, reward weighted by the diagnosis); the GPU recipe
   ``training/qwen3_4b_grpo.yaml`` is for results.

Step 2 is skipped, saying why, without the ``[train]`` extra. Logs go to ``logs/demo``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
import warnings
from pathlib import Path

from rich.console import Console

from finbehave.experiment import (
    Experiment,
    load_experiment,
    report_experiment,
    run_experiment,
)
from finbehave.reports.build import build_report
from finbehave.reports.logs import Source
from finbehave.vocab import RUN_KEY

console = Console()


def _say(step: str) -> None:
    console.rule(f"[bold]{step}")


def run_experiment_step(experiment: Experiment, log_dir: Path) -> list[Path]:
    """Step 1: the shipped tasks.yaml and its report; returns the logs."""
    shutil.rmtree(log_dir, ignore_errors=True)  # the demo always evaluates afresh
    _, logs = run_experiment(experiment, log_dir=log_dir)
    report = report_experiment(experiment, logs)
    for model, stats in report.diagnosis.models.items():
        accuracy = stats.behaviours["answer_correctness"].rate
        console.print(f"  {model:<10} accuracy {accuracy:.0%} on {stats.samples} samples")
    console.print(
        f"diagnosis of {report.diagnosis.subject}: weakest {report.diagnosis.weakest_summary()}"
    )
    console.print(f"report: {report.index.resolve()}", highlight=False)
    return logs


def _step(log: dict) -> None:
    if "reward" in log:
        console.print(f"  step {log.get('step')}: reward {log['reward']:.3f}")


def run_loop_step(
    experiment: Experiment, base_logs: list[Path], log_dir: Path, reports: Path, outputs: Path
) -> None:
    """Step 2: train from the experiment's diagnosis, evaluate the adapter, compare."""
    try:
        import peft  # noqa: F401
        import trl  # noqa: F401
    except ImportError as exc:
        console.print(f"skipped: the loop needs the [train] extra ({exc})")
        return
    from finbehave.training.trainer import train

    plan = experiment.training
    if plan is None or plan.base_model is None or plan.diagnosis is None:
        console.print("skipped: tasks.yaml has no training: entry with base_model and diagnosis")
        return
    started = time.perf_counter()
    output = outputs / "demo-cpu-smoke"
    shutil.rmtree(output, ignore_errors=True)  # the demo always trains afresh
    console.print(f"training {plan.recipe.name} from {plan.diagnosis} ...")
    result = train(plan.recipe, plan.diagnosis, output, progress=_step)
    console.print(f"adapter: {result.adapter_dir} ({result.global_step} steps)")
    base = experiment.models[plan.base_model]
    tuned = base.model_copy(update={"args": {**base.args, "adapter": str(result.adapter_dir)}})
    tuned_experiment = experiment.model_copy(update={"models": {"tuned": tuned}})
    shutil.rmtree(log_dir, ignore_errors=True)
    console.print("evaluating the adapter on the same items ...")
    _, tuned_logs = run_experiment(tuned_experiment, log_dir=log_dir)
    base_sources = [Source(p, "base") for p in base_logs if _model_key(p) == plan.base_model]
    compare = build_report(
        base_sources + [Source(p, "tuned") for p in tuned_logs], reports / "demo-loop"
    )
    minutes = (time.perf_counter() - started) / 60
    console.print(
        f"loop done in {minutes:.1f} min. A 135M model after three CPU steps is not expected to "
        "improve; the comparison shows the loop, not a result."
    )
    console.print(f"comparison report: {compare.index.resolve()}", highlight=False)


def _model_key(log: Path) -> str | None:
    from inspect_ai.log import read_eval_log

    return (read_eval_log(str(log), header_only=True).eval.metadata or {}).get(RUN_KEY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=Path, default=Path("tasks.yaml"))
    parser.add_argument("--log-dir", type=Path, default=Path("logs/demo"))
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--outputs", type=Path, default=Path("outputs"))
    parser.add_argument("--no-loop", action="store_true", help="only step 1 (no training)")
    args = parser.parse_args()
    os.environ.setdefault("INSPECT_DISPLAY", "none")
    warnings.filterwarnings("ignore", category=FutureWarning)  # library deprecation chatter
    started = time.perf_counter()
    experiment = load_experiment(args.tasks)
    _say("1. the experiment in tasks.yaml: scripted agents and SmolLM2-135M (CPU)")
    logs = run_experiment_step(experiment, args.log_dir / "experiment")
    if not args.no_loop:
        _say("2. retrain from the diagnosis, evaluate the adapter, compare")
        run_loop_step(experiment, logs, args.log_dir / "tuned", args.reports, args.outputs)
    console.print(f"demo done in {(time.perf_counter() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
