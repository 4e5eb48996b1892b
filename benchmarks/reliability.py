"""``make reliability``: fault drills with the figures for the README's Reliability section.

python benchmarks/reliability.py [--seeds 10] [--fault-samples 24]

The API-fault drill runs ``finqa`` through Inspect's ``openai-api`` provider against the tests'
fake OpenAI-compatible host, which answers a seeded share of requests with a fault: 429 with
Retry-After, 500, a hang, a cut-off body, malformed tool-call JSON or empty content.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_concurrency import run as load_run
from drills import hostile_sql_drill, kill_resume_drill
from fake_openai_server import (
    FakeOpenAIServer,
    Hang,
    RateLimit,
    ServerError,
    TruncatedStream,
    reply,
    tool_call,
)
from test_providers import fake_agent
from tiny_dataset import write_diag, write_tiny_dataset

from finbehave.env.sandbox import SandboxLimits

FAULTS = {
    "429 + Retry-After": lambda: RateLimit(retry_after=0.5),
    "500": lambda: ServerError(),
    "hang": lambda: Hang(seconds=4.0),
    "cut-off body": lambda: TruncatedStream(),
    "malformed tool-call JSON": lambda: reply(None, [tool_call("sql_query", '{"query": ')]),
    "empty content": lambda: reply(""),
}


@dataclass
class FaultReport:
    """Figures of the API-fault drill."""

    injected: dict[str, int]
    requests: int
    samples: int
    finished: int
    sample_errors: int
    run_status: str
    seconds: float


class FaultyHost:
    """``fake_agent`` with a seeded share of requests answered by a fault."""

    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self.rng = random.Random(seed)
        self.injected = dict.fromkeys(FAULTS, 0)
        self.lock = threading.Lock()

    def __call__(self, request: dict) -> object:
        with self.lock:
            fault = self.rng.choice(list(FAULTS)) if self.rng.random() < self.rate else None
            if fault:
                self.injected[fault] += 1
        return FAULTS[fault]() if fault else fake_agent(request)


def api_fault_drill(samples: int, rate: float = 0.25, seed: int = 0) -> FaultReport:
    """Run ``samples`` samples against a host that faults on ``rate`` of requests."""
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import GenerateConfig

    from finbehave.tasks.finqa import finqa

    host = FaultyHost(rate, seed)
    server = FakeOpenAIServer(default=host, lifetime=900).start()
    os.environ["FAULTHOST_API_KEY"] = "drill"
    os.environ["FAULTHOST_BASE_URL"] = server.base_url
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as logs:
            (log,) = inspect_eval(
                finqa(split="test"),
                model="openai-api/faulthost/drill",
                limit=samples,
                max_connections=8,
                log_dir=logs,
                fail_on_error=False,
                display="none",
                **GenerateConfig(max_retries=6, attempt_timeout=2, timeout=120).model_dump(
                    exclude_none=True
                ),
            )
            done = log.samples or []  # read before the folder goes
    finally:
        server.stop()
    return FaultReport(
        injected=host.injected,
        requests=server.request_count,
        samples=samples,
        finished=sum(1 for s in done if s.error is None),
        sample_errors=sum(1 for s in done if s.error is not None),
        run_status=log.status,
        seconds=time.perf_counter() - start,
    )


@dataclass
class TrainKillReport:
    """Figures of the ``finbehave train`` SIGKILL drill."""

    kills: int
    runs: int
    steps: int
    final_step: int
    steps_logged: list[int]
    status: str
    seconds: float


def train_kill_drill(work: Path, kills: int = 5, steps: int = 10, seed: int = 0) -> TrainKillReport:
    """SIGKILL ``finbehave train`` at random moments, rerun with --resume until it finishes."""
    import json
    import signal
    import subprocess

    from tiny_lm import TOOL_CONTEXT, save_tiny_model

    rng = random.Random(seed)
    dataset = write_tiny_dataset(work / "data")
    model = save_tiny_model(work / "model", max_positions=TOOL_CONTEXT)
    diagnosis = write_diag(work / "diagnosis.json", ["finqa-acme-002"], [])
    recipe = work / "recipe.yaml"
    grpo = {"num_generations": 2, "per_device_train_batch_size": 2, "max_completion_length": 16,
            "max_steps": steps, "save_steps": 1, "use_cpu": True}  # fmt: skip
    recipe.write_text(json.dumps({"model": str(model), "dataset": str(dataset), "grpo": grpo}))
    out = work / "out"
    command = [sys.executable, "-m", "finbehave.cli", "train", "--recipe", str(recipe),
               "--diagnosis", str(diagnosis), "--output", str(out)]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRL_EXPERIMENTAL_SILENCE": "1"}
    start = time.perf_counter()
    done = runs = 0
    for attempt in range(kills + 3):
        resume = (
            ["--resume"] if any(out.glob("checkpoints/checkpoint-*/trainer_state.json")) else []
        )
        runs += 1
        proc = subprocess.Popen(
            command + resume, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        if attempt < kills:
            target = len(list(out.glob("checkpoints/checkpoint-*"))) + 1
            while proc.poll() is None and len(list(out.glob("checkpoints/checkpoint-*"))) < target:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 1.0))  # anywhere in the next step, or while saving
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                done += 1
                continue
        _, stderr = proc.communicate(timeout=900)
        if proc.returncode != 0:
            raise RuntimeError(f"training run {runs} failed: {stderr.decode()[-2000:]}")
        break
    card = json.loads((out / "run_card.json").read_text())
    history = [json.loads(line) for line in (out / "log_history.jsonl").read_text().splitlines()]
    return TrainKillReport(
        kills=done,
        runs=runs,
        steps=steps,
        final_step=int(card.get("global_step", -1)),
        steps_logged=[e["step"] for e in history if "loss" in e],
        status=card.get("status", "?"),
        seconds=time.perf_counter() - start,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--fault-samples", type=int, default=24)
    parser.add_argument("--load-samples", type=int, default=1000)
    args = parser.parse_args()
    limit = SandboxLimits().timeout_s  # the shipped per-query wall-clock limit
    hostile = hostile_sql_drill(timeout_s=limit)
    print(
        f"hostile SQL: {hostile.tried} queries tried, {hostile.refused} refused, "
        f"{hostile.contained} contained (capped reads), {hostile.escapes} escapes (goal 0); "
        f"slowest {hostile.slowest_s:.2f} s with a {limit:g} s limit; "
        f"database unchanged: {hostile.db_unchanged}"
    )
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        kills = kill_resume_drill(Path(work), seeds=args.seeds)
    print(
        f"kill and resume: {kills.seeds} seeds, {kills.kills} SIGKILLs of `finbehave run`, "
        f"{kills.kept_samples}/{kills.expected_samples} samples kept, {kills.lost} lost "
        f"(goal 0), {kills.duplicates} duplicated (goal 0) in {time.perf_counter() - start:.0f} s"
    )
    with tempfile.TemporaryDirectory() as work:
        trained = train_kill_drill(Path(work))
    expected_steps = list(range(1, trained.steps + 1))
    train_ok = trained.status == "finished" and trained.steps_logged == expected_steps
    print(
        f"kill and resume `finbehave train`: {trained.kills} SIGKILLs in {trained.runs} runs; "
        f"finished at step {trained.final_step}/{trained.steps}, steps logged "
        f"{trained.steps_logged} "
        f"(each once: {'yes' if train_ok else 'NO'}) in {trained.seconds:.0f} s"
    )
    faults = api_fault_drill(args.fault_samples)
    injected = ", ".join(f"{n} {name}" for name, n in faults.injected.items())
    crashed = int(faults.run_status != "success")
    print(
        f"API faults: {sum(faults.injected.values())} injected in {faults.requests} requests "
        f"({injected}); {faults.finished}/{faults.samples} samples finished, "
        f"{faults.sample_errors} recorded as sample errors, crashed runs {crashed} (goal 0) "
        f"in {faults.seconds:.0f} s"
    )
    load = load_run(args.load_samples, 0.05, 50, in_process=False)
    lost = load["expected"] - load["unique"]
    duplicated = load["samples"] - load["unique"]
    print(
        f"load: {load['samples']} samples at 50 connections in {load['elapsed']:.0f} s; "
        f"{lost} lost (goal 0), {duplicated} duplicated (goal 0), {load['errors']} sample errors; "
        f"peak RSS {load['peak_mb']:.0f} MB"
    )
    failed = hostile.escapes or kills.lost or kills.duplicates or crashed or lost or duplicated
    if failed or not train_ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
