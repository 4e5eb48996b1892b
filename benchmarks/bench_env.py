"""Environment benchmarks: ``sql_query`` latency on the embedded data, and harness overhead.

    python benchmarks/bench_env.py [--queries 2000] [--samples 60] [--rounds 3]

Goals: sql_query p50 <= 2 ms; ``finqa`` with the scripted ``careful`` policy <= 1.15x a bare
Inspect react task with the same scripted outputs and trivial tools.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench_harness import report_harness_overhead

from finbehave.data.store import load_dataset
from finbehave.env.environment import FinQAEnv

P50_GOAL_MS = 2.0


def _lookup(columns: list[str]) -> str | None:
    """A read of one value column over the years, from an item's required columns."""
    by_table: dict[str, list[str]] = {}
    for column in columns:
        table, name = column.split(".")
        by_table.setdefault(table, []).append(name)
    for table, names in by_table.items():
        values = [n for n in names if n != "fiscal_year"]
        if "fiscal_year" in names and values:
            return f"SELECT fiscal_year, {values[0]} FROM {table} ORDER BY 1 DESC LIMIT 3"
    return None


def bench_sql_latency(n: int = 2000, workload: str = "lookup") -> dict[str, float]:
    """p50/p99 through the tool core, items in dataset order (one company at a time).

    ``lookup``: the one-table reads an agent makes (a column over the years); ``gold``: each
    item's gold SQL (several scalar subqueries and the arithmetic in one statement).
    """
    store = load_dataset()
    items = [item for item in store.items() if item.gold_sql]
    if workload == "lookup":
        lookups = [(i.company, _lookup(i.required_columns)) for i in items]
        queries = [(company, query) for company, query in lookups if query]
    else:
        queries = [(i.company, i.gold_sql) for i in items]
    envs = {company: FinQAEnv(store, company) for company in store.companies()}
    for env in envs.values():
        env.sql_query("SELECT 1")  # warm: build files, start workers
    times = []
    for i in range(n):
        company, query = queries[i % len(queries)]
        start = time.perf_counter()
        envs[company].sql_query(query)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p99_ms": times[int(0.99 * (len(times) - 1))],
        "queries": float(n),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for workload in ("lookup", "gold"):
        sql = bench_sql_latency(args.queries, workload)
        verdict = "OK" if sql["p50_ms"] <= P50_GOAL_MS else "MISSED"
        print(
            f"sql_query, {workload} queries (n={int(sql['queries'])}): p50 {sql['p50_ms']:.2f} ms, "
            f"p99 {sql['p99_ms']:.2f} ms -> p50/goal {sql['p50_ms'] / P50_GOAL_MS:.2f} "
            f"(goal p50 <= {P50_GOAL_MS} ms) {verdict}"
        )
    report_harness_overhead(args.samples, args.rounds)


if __name__ == "__main__":
    main()
