"""The offline demo behind ``make demo``: ``finbehave loop tasks.yaml``, with commentary.

1. ``evaluate`` and ``report``: the shipped experiment (the scripted reference agents and the
   default local model, SmolLM2-135M-Instruct, on a few test items of both tasks), its report and
   the diagnosis of its ``training.base_model`` (smollm2) in ``reports/experiment``.
2. ``train``, ``evaluate_tuned``, ``compare``: ``cpu_smoke`` GRPO training from that diagnosis
   (the experiment's ``training:``), the adapter evaluated on the same items with the same
   settings, and the comparison report ``reports/experiment-loop``. A 135M model does not learn
   FinQA in three CPU steps: the loop proves the path (same tools, same rubric, reward weighted
   by the diagnosis); the GPU recipe ``training/qwen3_4b_grpo.yaml`` is for results.

The demo always starts afresh (``--restart``, and its own log folder ``logs/demo`` emptied);
``finbehave loop tasks.yaml`` itself resumes. Step 2 is skipped, saying why, without the
``[train]`` extra; ``--no-loop`` stops after step 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
import warnings
from pathlib import Path

from rich.console import Console

from finbehave.diagnosis import load_diagnosis
from finbehave.experiment import load_experiment
from finbehave.loop import run_loop

console = Console(soft_wrap=True)  # paths and summaries are never broken across lines


def _say(line: str) -> None:
    console.print(f"  {line}", highlight=False)


def _step(log: dict) -> None:
    if "reward" in log:
        console.print(f"    step {log.get('step')}: reward {log['reward']:.3f}", highlight=False)


def _accuracy(diagnosis_path: str) -> None:
    diagnosis = load_diagnosis(diagnosis_path)
    for model, stats in diagnosis.models.items():
        accuracy = stats.behaviours["answer_correctness"].rate
        rate = "n/a" if accuracy is None else f"{accuracy:.0%}"
        console.print(f"  {model:<10} accuracy {rate} on {stats.samples} samples")
    console.print(f"  diagnosis of {diagnosis.subject}: weakest {diagnosis.weakest_summary()}")


def _can_train(tasks: Path) -> bool:
    """Whether the loop can go past the report; says why not."""
    training = load_experiment(tasks).training
    if training is None or training.base_model is None:
        console.print(f"skipped training: {tasks.name} has no training: entry with base_model")
        return False
    try:
        import peft  # noqa: F401
        import trl  # noqa: F401
    except ImportError as exc:
        console.print(f"skipped training: the loop needs the [train] extra ({exc})")
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=Path, default=Path("tasks.yaml"))
    parser.add_argument("--log-dir", type=Path, default=Path("logs/demo"))
    parser.add_argument("--no-loop", action="store_true", help="only step 1 (no training)")
    args = parser.parse_args()
    os.environ.setdefault("INSPECT_DISPLAY", "none")
    warnings.filterwarnings("ignore", category=FutureWarning)  # library deprecation chatter
    started = time.perf_counter()
    shutil.rmtree(args.log_dir, ignore_errors=True)  # the demo always evaluates afresh
    train = not args.no_loop and _can_train(args.tasks)
    console.rule("[bold]finbehave loop tasks.yaml: scripted agents and SmolLM2-135M (CPU)")
    result = run_loop(
        args.tasks,
        log_dir=args.log_dir / "experiment",
        say=_say,
        progress=_step,
        restart=True,
        stop_after=None if train else "report",
    )
    _accuracy(result.outputs["report"]["diagnosis"])
    console.print(f"report: {Path(result.outputs['report']['index']).resolve()}", highlight=False)
    if result.comparison is not None:
        console.print(
            "A 135M model after three CPU steps is not expected to improve; the comparison "
            "shows the loop, not a result."
        )
        console.print(f"comparison report: {result.comparison.resolve()}", highlight=False)
    console.print(f"demo done in {(time.perf_counter() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
