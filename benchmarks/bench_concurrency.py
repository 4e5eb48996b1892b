"""Concurrency: many samples against a fake OpenAI-compatible host with a fixed latency.

    python benchmarks/bench_concurrency.py [--samples 1000] [--latency 0.2] [--connections 50]

The fake agent makes four turns per sample (list tables, a malformed call, a query, submit).
Ideal makespan = latency x turns x samples / connections; goal: measured <= 1.3x ideal.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
os.environ.setdefault("INSPECT_DISPLAY", "none")

from fake_openai_server import FakeOpenAIServer
from inspect_ai import eval
from test_providers import fake_agent

from finbehave.tasks.finqa import finqa

GOAL = 1.3
TURNS = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    server = FakeOpenAIServer(default=fake_agent, latency=args.latency, lifetime=3600).start()
    os.environ["FAKEHOST_API_KEY"] = "bench"
    os.environ["FAKEHOST_BASE_URL"] = server.base_url
    task = finqa(split="all")
    epochs = -(-args.samples // len(task.dataset))
    start = time.perf_counter()
    (log,) = eval(
        task,
        model="openai-api/fakehost/bench",
        epochs=epochs,
        limit=None,
        max_connections=args.connections,
        max_samples=args.connections,
        log_dir=os.environ.get("TMPDIR", "/tmp") + "/bench_concurrency",
    )
    elapsed = time.perf_counter() - start
    server.stop()
    samples = len(log.samples or [])
    ideal = args.latency * TURNS * samples / args.connections
    ratio = elapsed / ideal
    lost = sum(1 for s in log.samples or [] if s.error)
    print(
        f"{samples} samples x {TURNS} turns at {args.latency:.2f} s latency, {args.connections} "
        f"connections: makespan {elapsed:.1f} s vs ideal {ideal:.1f} s -> ratio {ratio:.2f} "
        f"(goal <= {GOAL}) {'OK' if ratio <= GOAL else 'MISSED'}; {server.request_count} "
        f"requests, {lost} sample errors"
    )


if __name__ == "__main__":
    main()
