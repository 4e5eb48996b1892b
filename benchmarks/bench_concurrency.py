"""Concurrency: many samples against a fake OpenAI-compatible host with a fixed latency.

    python benchmarks/bench_concurrency.py [--samples 1000] [--latency 0.2] [--connections 50]

The fake agent makes four turns per sample (list tables, a malformed call, a query, submit); the
host runs in its own process. Ideal makespan = latency x turns x samples / connections; goal:
measured <= 1.3x ideal. The same run at zero latency gives the client's CPU floor (Inspect's
per-sample work plus ours), which bounds the makespan from below on this machine. Also checked:
no sample lost or duplicated, and peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
os.environ.setdefault("INSPECT_DISPLAY", "none")

from fake_openai_server import FakeHostProcess, FakeOpenAIServer
from inspect_ai import eval
from test_providers import fake_agent

from finbehave.tasks.finqa import finqa

GOAL = 1.3
TURNS = 4


def run(samples: int, latency: float, connections: int, in_process: bool) -> dict:
    """One timed eval against a fresh fake host; returns its figures."""
    if in_process:
        server = FakeOpenAIServer(default=fake_agent, latency=latency, lifetime=3600).start()
    else:
        server = FakeHostProcess(fake_agent, latency=latency)
    os.environ["FAKEHOST_API_KEY"] = "bench"
    os.environ["FAKEHOST_BASE_URL"] = server.base_url
    task = finqa(split="all")
    epochs = -(-samples // len(task.dataset))
    start = time.perf_counter()
    try:
        (log,) = eval(
            task,
            model=f"openai-api/fakehost/bench-{latency}",  # a fresh client for each host
            epochs=epochs,
            max_connections=connections,
            max_samples=connections,
            log_dir=os.environ.get("TMPDIR", "/tmp") + "/bench_concurrency",
        )
    finally:
        elapsed = time.perf_counter() - start
        server.stop()
    done = log.samples or []
    return {
        "samples": len(done),
        "expected": epochs * len(task.dataset),
        "unique": len({(s.id, s.epoch) for s in done}),
        "errors": sum(1 for s in done if s.error),
        "elapsed": elapsed,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--in-process", action="store_true", help="serve the fake host from this process's threads"
    )
    args = parser.parse_args()
    measured = run(args.samples, args.latency, args.connections, args.in_process)
    floor = run(args.samples, 0.0, args.connections, args.in_process)
    n = measured["samples"]
    ideal = args.latency * TURNS * n / args.connections
    ratio = measured["elapsed"] / ideal
    print(
        f"{n} samples x {TURNS} turns at {args.latency:.2f} s latency, {args.connections} "
        f"connections: makespan {measured['elapsed']:.1f} s vs ideal {ideal:.1f} s -> ratio "
        f"{ratio:.2f} (goal <= {GOAL}) {'OK' if ratio <= GOAL else 'MISSED'}"
    )
    print(
        f"client CPU floor (same run, zero latency): {floor['elapsed']:.1f} s = "
        f"{1000 * floor['elapsed'] / max(1, floor['samples']):.0f} ms per sample; makespan / "
        f"max(ideal, floor) = {measured['elapsed'] / max(ideal, floor['elapsed']):.2f}"
    )
    for name, r in (("measured", measured), ("floor", floor)):
        print(
            f"{name}: {r['samples']}/{r['expected']} samples logged, "
            f"{r['expected'] - r['unique']} lost, {r['samples'] - r['unique']} duplicated, "
            f"{r['errors']} sample errors"
        )
    print(f"peak RSS of the client: {floor['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
