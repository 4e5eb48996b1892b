"""Fault drills shared by the tests and ``make reliability``: hostile SQL, kill-and-resume of runs.

Each drill returns plain numbers (tried, escaped, lost, ...) so ``tests/test_reliability.py``
asserts on them and ``benchmarks/reliability.py`` prints them for the README's "Reliability"
section. They exercise the package from outside, so they live with the tests, not in it.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hostile_queries import HOSTILE_QUERIES

from finbehave.data.store import load_dataset
from finbehave.env.environment import EnvToolError, FinQAEnv
from finbehave.env.sandbox import SandboxLimits


@dataclass
class HostileReport:
    tried: int
    refused: int
    contained: int
    escapes: int
    slowest_s: float
    db_unchanged: bool


def hostile_sql_drill(timeout_s: float = 1.5) -> HostileReport:
    """Send every catalogued hostile query through the tool core; count what got through."""
    store = load_dataset()
    limits = SandboxLimits(timeout_s=timeout_s)
    env = FinQAEnv(store, store.companies()[0], limits=limits)
    table = env.get_table_names().splitlines()[0]
    before = hashlib.sha256(env.db_path.read_bytes()).hexdigest()
    refused = contained = escapes = 0
    slowest = 0.0
    for category, template in HOSTILE_QUERIES:
        start = time.perf_counter()
        try:
            result = env.sql_query(template.replace("{table}", table))
        except EnvToolError:
            refused += 1
        else:
            bounded = len(result) <= limits.max_chars + 400
            if category in ("huge", "syntax") and bounded:
                contained += 1
            else:
                escapes += 1
        slowest = max(slowest, time.perf_counter() - start)
    after = hashlib.sha256(env.db_path.read_bytes()).hexdigest()
    return HostileReport(
        len(HOSTILE_QUERIES), refused, contained, escapes, slowest, before == after
    )


@dataclass
class KillReport:
    seeds: int
    kills: int
    expected_samples: int
    kept_samples: int
    duplicates: int
    lost: int


DRILL_EXPERIMENT = """
version: 1
log_dir: logs
report: null
tasks:
  - name: finqa
    split: train
    limit: {limit}
models:
  careful:
    model: finbehave/scripted/careful
  no_schema:
    model: finbehave/scripted/no_schema
"""


def _finished_samples(log_dir: Path) -> Counter[tuple[str, str, str]]:
    """(task, model, sample id) of every sample recorded in the logs, counted."""
    from inspect_ai.log import list_eval_logs, read_eval_log

    seen: Counter[tuple[str, str, str]] = Counter()
    for info in list_eval_logs(str(log_dir)):
        log = read_eval_log(info)
        for sample in log.samples or []:
            if sample.scores:
                seen[(log.eval.task, log.eval.model, str(sample.id))] += 1
    return seen


def kill_resume_drill(work: Path, seeds: int = 10, limit: int = 20) -> KillReport:
    """Run ``finbehave run`` and SIGKILL it at a random moment, then rerun to completion.

    Every seed gets a fresh experiment directory; the final logs must hold every sample of
    every task x model exactly once.
    """
    kills = kept = duplicates = lost = 0
    expected_per_seed = 2 * limit
    for seed in range(seeds):
        folder = work / f"seed{seed}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "tasks.yaml").write_text(DRILL_EXPERIMENT.format(limit=limit))
        command = [sys.executable, "-m", "finbehave.cli", "run", "tasks.yaml"]
        env = {**os.environ, "INSPECT_DISPLAY": "none"}
        process = subprocess.Popen(
            command,
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(random.Random(seed).uniform(1.5, 6.0))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
        finished = subprocess.run(
            command, cwd=folder, env=env, capture_output=True, text=True, timeout=600
        )
        if finished.returncode != 0:
            raise RuntimeError(f"resume of seed {seed} failed: {finished.stderr[-800:]}")
        seen = _finished_samples(folder / "logs")
        kept += len(seen)
        duplicates += sum(count - 1 for count in seen.values())
        lost += expected_per_seed - len(seen)
    return KillReport(seeds, kills, seeds * expected_per_seed, kept, duplicates, lost)
