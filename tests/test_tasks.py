"""End-to-end: the Inspect tasks with the scripted reference policies, via Python and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai import eval
from inspect_ai.log import list_eval_logs, read_eval_log

from finbehave.data.items import Item
from finbehave.tasks.finqa import finqa, finqa_reasoning

ROOT = Path(__file__).resolve().parents[1]


def accuracy(log) -> float:
    return (
        next(s for s in log.results.scores if s.name == "answer_correctness")
        .metrics["accuracy"]
        .value
    )


@pytest.mark.slow
@pytest.mark.parametrize("task_fn", [finqa, finqa_reasoning])
def test_careful_is_near_perfect_and_guesser_near_zero(task_fn, tmp_path: Path) -> None:
    careful, guesser = (
        eval(task_fn(split="test"), model=f"finbehave/scripted/{policy}", log_dir=str(tmp_path))[0]
        for policy in ("careful", "guesser")
    )
    assert careful.status == "success" and guesser.status == "success"
    assert accuracy(careful) >= 0.95
    assert accuracy(guesser) <= 0.05
    sample = careful.samples[0]
    calls = [
        c.function for m in sample.messages if m.role == "assistant" for c in m.tool_calls or []
    ]
    item = Item.model_validate(sample.metadata)
    # The submit call stays in the trace (keep_in_messages=True) so rubrics can cite it.
    assert calls == [
        "get_table_names",
        *["get_table_info"] * len(item.required_tables),
        "sql_query",
        "submit",
    ]
    assert sample.output.completion
    guess_calls = [
        c.function
        for m in guesser.samples[0].messages
        if m.role == "assistant"
        for c in m.tool_calls
    ]
    assert guess_calls == ["submit"]
    assert guesser.samples[0].output.completion


def test_split_and_dataset_errors() -> None:
    with pytest.raises(ValueError, match="unknown dataset"):
        finqa(dataset="no-such-dataset")
    with pytest.raises(ValueError, match="split"):
        finqa(split="validation")


def _inspect(*args: str, cwd: Path, log_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INSPECT_LOG_DIR": str(log_dir), "INSPECT_DISPLAY": "none"}
    inspect_bin = Path(sys.executable).parent / "inspect"
    return subprocess.run(
        [str(inspect_bin), "eval", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "model"),
    [
        ("finbehave/finqa", "finbehave/scripted/careful"),
        ("finbehave/finqa_reasoning", "finbehave/scripted/no_schema"),
        ("evals/finqa.py", "finbehave/scripted/careful"),
    ],
)
def test_inspect_cli_entry_points(target: str, model: str, tmp_path: Path) -> None:
    result = _inspect(target, "--model", model, "--limit", "2", cwd=ROOT, log_dir=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    # `inspect eval` of an unknown task exits 0 too: check the log itself.
    logs = list_eval_logs(str(tmp_path))
    assert len(logs) == 1, result.stdout[-2000:] + result.stderr[-2000:]
    log = read_eval_log(logs[0])
    assert log.status == "success"
    assert len(log.samples) == 2
    assert "answer_correctness" in {s.name for s in log.results.scores}
