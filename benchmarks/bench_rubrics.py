"""Programmatic rescoring throughput: ``score_trace`` over synthetic traces on one core.

    python benchmarks/bench_rubrics.py [--traces 10000] [--baseline ../main/src] [--grounding]

Traces are built from the embedded items in the shapes agents produce (careful, guessing,
failing and recovering, repeating a failing call), so every check runs. Goal: >= 5,000 traces/s.
``--baseline SRC`` times another finbehave source tree (e.g. the main branch's ``src``) in the
same run, alternating with this one in fresh processes, and prints the ratio. ``--grounding``
also prints how often grounding holds for random wrong and for derived correct submissions on
real traces of every embedded item (``tests/agent_traces.py``; the README's figures).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from inspect_ai.model import ChatMessageAssistant, ChatMessageTool, ChatMessageUser
from inspect_ai.tool import ToolCall, ToolCallError

from finbehave.data.store import load_dataset
from finbehave.rubrics import load_rubric, score_trace

GOAL = 5000.0


def _turn(messages: list, function: str, args: dict, result: str, error: str | None) -> None:
    call_id = f"c{len(messages)}"
    messages.append(
        ChatMessageAssistant(content="", tool_calls=[ToolCall(call_id, function, args)])
    )
    messages.append(
        ChatMessageTool(
            content=result,
            tool_call_id=call_id,
            function=function,
            error=ToolCallError("unknown", error) if error else None,
        )
    )


def synthetic_traces(n: int, seed: int = 0) -> list[tuple[list, object]]:
    """``n`` (messages, item) pairs in four shapes."""
    rng = random.Random(seed)
    items = load_dataset().items()
    traces = []
    for i in range(n):
        item = items[i % len(items)]
        table = item.required_tables[0]
        result = (
            "fiscal_year | value\n"
            + "\n".join(f"{2019 + k} | {rng.uniform(100, 9000):.1f}" for k in range(6))
            + f"\nanswer\n{item.answer}"
        )
        messages: list = [ChatMessageUser(content=item.question)]
        shape = i % 4
        if shape != 1:
            _turn(messages, "get_table_names", {}, "\n".join(item.required_tables), None)
            for t in item.required_tables:
                _turn(messages, "get_table_info", {"table_name": t}, "columns ...", None)
        if shape >= 2:
            bad = f"SELECT revenue FROM {table}"
            for _ in range(shape - 1):
                _turn(messages, "sql_query", {"query": bad}, "", "Binder Error: column not found")
        if shape != 1:
            _turn(messages, "sql_query", {"query": item.gold_sql}, result, None)
        answer = str(item.answer) if shape != 1 else f"{rng.uniform(1, 50):.1f}"
        _turn(messages, "submit", {"answer": answer}, answer, None)
        traces.append((messages, item))
    return traces


def bench(n: int) -> float:
    rubric = load_rubric()
    traces = synthetic_traces(n)
    start = time.perf_counter()
    for messages, item in traces:
        score_trace(messages, item, rubric)
    return n / (time.perf_counter() - start)


def _rate_in(source: Path, traces: int) -> float:
    """``bench(traces)`` in a fresh process importing finbehave from ``source``."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    command = [sys.executable, __file__, "--traces", str(traces), "--rate-only"]
    return float(subprocess.run(command, env=env, check=True, capture_output=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=10_000)
    parser.add_argument("--baseline", type=Path, help="another finbehave src/ to compare with")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (--baseline)")
    parser.add_argument("--grounding", action="store_true", help="print the grounding rates")
    parser.add_argument("--rate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rate_only:
        print(bench(args.traces))
        return
    if args.baseline:
        here = Path(__file__).resolve().parents[1] / "src"
        rates: dict[Path, list[float]] = {args.baseline: [], here: []}
        for _ in range(args.rounds):
            for source in rates:
                rates[source].append(_rate_in(source, args.traces))
        base, rate = (statistics.median(rates[s]) for s in (args.baseline, here))
        print(f"baseline {args.baseline}: {base:,.0f} traces/s (median of {args.rounds})")
        print(f"this tree: {rate:,.0f} traces/s -> {rate / base:.2f}x the baseline")
    else:
        rate = bench(args.traces)
    print(
        f"score_trace: {rate:,.0f} traces/s over {args.traces:,} synthetic traces "
        f"(goal >= {GOAL:,.0f}) -> ratio {rate / GOAL:.2f} {'OK' if rate >= GOAL else 'MISSED'}"
    )
    if args.grounding:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from agent_traces import grounding_rates

        print("grounding on real traces of every embedded item:")
        for line in grounding_rates(load_dataset().items()).lines():
            print(f"  {line}")


if __name__ == "__main__":
    main()
