"""Harness overhead: ``finqa`` with the scripted ``careful`` policy vs a bare Inspect react task.

The bare task runs the same samples, the same scripted policy and the same react agent, but its
tools return constants and it scores with a trivial scorer: the difference is what finbehave adds
(sandboxed DuckDB queries, answer parsing, rubric scoring). Both run in this process, alternating,
so machine noise hits both alike. Goal: ratio <= 1.15.

    python benchmarks/bench_harness.py [--samples 60] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("INSPECT_DISPLAY", "none")

from inspect_ai import Task, eval
from inspect_ai.agent import AgentSubmit, react
from inspect_ai.scorer import Score, Target, accuracy, scorer
from inspect_ai.solver import TaskState
from inspect_ai.tool import Tool, tool

from finbehave.data.store import load_dataset
from finbehave.tasks.dataset import task_dataset
from finbehave.tasks.finqa import finqa
from finbehave.tasks.state import remember_item

GOAL = 1.15
MODEL = "finbehave/scripted/careful"


@tool(name="get_table_names")
def bare_names() -> Tool:
    async def execute() -> str:
        """List the tables."""
        return "table_a\ntable_b"

    return execute


@tool(name="get_table_info")
def bare_info() -> Tool:
    async def execute(table_name: str) -> str:
        """Describe a table.

        Args:
            table_name: The table.
        """
        return f"{table_name}: fiscal_year INTEGER, value DOUBLE"

    return execute


@tool(name="sql_query")
def bare_query() -> Tool:
    async def execute(query: str) -> str:
        """Run a query.

        Args:
            query: The SQL.
        """
        return "value\n1.0"

    return execute


@scorer(metrics=[accuracy()])
def bare_scorer():
    async def score(state: TaskState, target: Target) -> Score:
        return Score(value=1 if state.output.completion else 0)

    return score


def bare_task() -> Task:
    """The same samples and agent with constant tools and a trivial scorer."""
    return Task(
        dataset=task_dataset(load_dataset(), "finqa", "all"),
        setup=[remember_item()],
        solver=react(
            tools=[bare_names(), bare_info(), bare_query()], submit=AgentSubmit(answer_only=True)
        ),
        scorer=bare_scorer(),
    )


def timed_eval(task: Task, samples: int, log_dir: str) -> float:
    start = time.perf_counter()
    (log,) = eval(task, model=MODEL, limit=samples, log_dir=log_dir, display="none")
    elapsed = time.perf_counter() - start
    if log.status != "success":
        raise SystemExit(f"benchmark run failed: {log.error}")
    return elapsed


def bench_harness_overhead(samples: int = 60, rounds: int = 3) -> dict[str, float]:
    """Median wall time of both tasks over ``rounds`` alternating runs, and their ratio."""
    ours: list[float] = []
    bare: list[float] = []
    with tempfile.TemporaryDirectory() as log_dir:
        timed_eval(finqa(), 5, log_dir)  # warm-up: DuckDB files, sandbox workers, imports
        timed_eval(bare_task(), 5, log_dir)
        for _ in range(rounds):
            ours.append(timed_eval(finqa(), samples, log_dir))
            bare.append(timed_eval(bare_task(), samples, log_dir))
    result = {"finqa_s": statistics.median(ours), "bare_s": statistics.median(bare)}
    result["ratio"] = result["finqa_s"] / result["bare_s"]
    return result


def report_harness_overhead(samples: int, rounds: int) -> None:
    """Run the comparison and print its ratio against the goal."""
    r = bench_harness_overhead(samples, rounds)
    print(
        f"harness overhead ({samples} samples, median of {rounds}): "
        f"finqa {r['finqa_s']:.2f}s vs bare react {r['bare_s']:.2f}s -> "
        f"ratio {r['ratio']:.3f} (goal <= {GOAL}) {'OK' if r['ratio'] <= GOAL else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    report_harness_overhead(args.samples, args.rounds)


if __name__ == "__main__":
    main()
