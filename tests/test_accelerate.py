"""The multi-GPU path without GPUs: GRPO under ``accelerate launch`` with two CPU processes (gloo)
runs, checkpoints and resumes; rewards, the tool environment and item selection work in each."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "training" / "accelerate_cpu_2proc.yaml"
pytestmark = [pytest.mark.train, pytest.mark.slow]


def launch(recipe: Path, output: Path, records: Path, *extra: str) -> str:
    accelerate = Path(sys.executable).parent / "accelerate"
    tests = str(ROOT / "tests")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([tests, *filter(None, [os.environ.get("PYTHONPATH")])]),
        "OMP_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    with socket.socket() as probe:  # a free port for the processes' rendezvous
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    command = [str(accelerate), "launch", "--config_file", str(CONFIG), "--main_process_port"]
    command += [port, str(ROOT / "tests" / "accelerate_grpo.py"), str(recipe), str(output)]
    done = subprocess.run(
        [*command, str(records), *extra],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done.stdout


def records(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for p in sorted(folder.glob("rank*.jsonl")) for line in p.open()]


def test_grpo_in_two_cpu_processes_checkpoints_and_resumes(tmp_path: Path) -> None:
    from tiny_lm import TOOL_CONTEXT, save_tiny_model

    from finbehave.data.store import load_dataset

    model = save_tiny_model(tmp_path / "tiny", max_positions=TOOL_CONTEXT)
    recipe = tmp_path / "r.yaml"
    fields = {
        "model": str(model),
        "items": {"source": "all", "tasks": ["finqa"], "max_items": 4},
        "reward_weights": {"tool_discovery": 1, "schema_inspection": 1, "answer_correctness": 1},
        "grpo": {"num_generations": 2, "per_device_train_batch_size": 2,
                 "max_completion_length": 4096, "max_tool_calling_iterations": 8,
                 "max_steps": 2, "save_steps": 1, "use_cpu": True, "seed": 0},
    }  # fmt: skip
    recipe.write_text(json.dumps(fields))
    out, seen = tmp_path / "out", tmp_path / "records"
    seen.mkdir()
    assert "global_step=2" in launch(recipe, out, seen)
    first = records(seen)
    checkpoints = sorted(p.name for p in (out / "checkpoints").glob("checkpoint-*"))
    assert checkpoints == ["checkpoint-1", "checkpoint-2"]

    # each process rolled out its own share of the items in its own tool environments
    train_items = {i.id for i in load_dataset("embedded").items() if i.split == "train"}
    for rank in (0, 1):
        mine = [r for r in first if r["rank"] == rank and r["function"] == "tool_discovery"]
        assert len(mine) == 2  # two steps
        for record in mine:
            assert record["env_items"] == record["items"] and set(record["items"]) <= train_items
            assert min(record["tool_results"]) >= 2  # real tool calls, results back in the trace
            assert all(r is not None for r in record["rewards"])
    history = [json.loads(line) for line in (out / "log_history.jsonl").read_text().splitlines()]
    steps = [e for e in history if "reward" in e]
    assert [e["step"] for e in steps] == [1, 2]  # written once, by the main process
    assert all(e["tools/call_frequency"] > 1 for e in steps)

    fields["grpo"]["max_steps"] = 3
    recipe.write_text(json.dumps(fields))
    assert "global_step=3" in launch(recipe, out, seen, "--resume")
    card = json.loads((out / "run_card.json").read_text())
    assert card["status"] == "finished" and card["global_step"] == 3
    assert card["resumed_from"] == str(out / "checkpoints" / "checkpoint-2")
    after = records(seen)
    for rank in (0, 1):  # the third step ran in both processes
        count = sum(r["rank"] == rank and r["function"] == "tool_discovery" for r in after)
        assert count == 3
    assert (out / "adapter" / "adapter_config.json").is_file()
