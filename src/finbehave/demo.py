"""The offline demo behind ``make demo``: evaluate reference policies on the embedded data.

Runs both tasks with the scripted ``careful``, ``no_schema`` and ``guesser`` policies on a few
test-split items each, prints accuracy per task and model, then writes the failure-mode report
and diagnosis for them to ``reports/demo`` (diagnosing ``no_schema``). Logs go to ``logs/demo``
(open them with ``inspect view --log-dir logs/demo``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.console import Console
from rich.table import Table

from finbehave.reports.build import build_report
from finbehave.reports.logs import Source

POLICIES = ("careful", "no_schema", "guesser")


def run_demo(log_dir: Path, limit: int) -> tuple[Table, list[Source]]:
    """Evaluate every policy on both tasks; return the results table and the logs by policy."""
    from inspect_ai import eval

    from finbehave.tasks.finqa import finqa, finqa_reasoning

    table = Table(title=f"finbehave demo: {limit} test items per task (embedded dataset)")
    table.add_column("task")
    table.add_column("model")
    table.add_column("accuracy", justify="right")
    table.add_column("samples", justify="right")
    sources = []
    for task_fn in (finqa, finqa_reasoning):
        logs = [
            eval(
                task_fn(split="test"),
                model=f"finbehave/scripted/{policy}",
                limit=limit,
                log_dir=str(log_dir),
            )[0]
            for policy in POLICIES
        ]
        for policy, log in zip(POLICIES, logs, strict=True):
            sources.append(Source(Path(log.location), policy))
            score = next(s for s in log.results.scores if s.name == "answer_correctness")
            table.add_row(
                task_fn.__name__,
                policy,
                f"{score.metrics['accuracy'].value:.0%}",
                str(len(log.samples)),
            )
    return table, sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-dir", type=Path, default=Path("logs/demo"))
    parser.add_argument("--limit", type=int, default=8)
    parser.add_argument("--report", type=Path, default=Path("reports/demo"))
    args = parser.parse_args()
    os.environ.setdefault("INSPECT_DISPLAY", "none")
    console = Console()
    table, sources = run_demo(args.log_dir, args.limit)
    console.print(table)
    console.print(
        f"logs: {args.log_dir}  (browse them with `inspect view --log-dir {args.log_dir}`)"
    )
    report = build_report(sources, args.report, subject="no_schema")
    weakest = ", ".join(
        f"{w.behaviour} {w.rate:.0%}" for w in report.diagnosis.weakest if w.deficiency > 0
    )
    console.print(f"diagnosis of no_schema: weakest {weakest}")
    console.print(f"report: open {report.index.resolve()}", highlight=False)


if __name__ == "__main__":
    main()
