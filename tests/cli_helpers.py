"""Logs and a subprocess runner for the CLI tests (``tests/test_cli_*.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.dataset import Sample
from inspect_ai.scorer import match
from inspect_ai.solver import Generate, TaskState, solver

import finbehave
from finbehave.tasks.finqa import finqa

SRC = Path(finbehave.__file__).resolve().parents[1]


@solver
def _echo():
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state.output.completion = "hi"
        return state

    return solve


def finbehave_logs(folder: Path, limit: int = 2) -> Path:
    """A folder with one scripted ``finbehave/finqa`` log (``limit`` test items)."""
    inspect_eval(
        finqa(split="test"),
        model="finbehave/scripted/careful",
        limit=limit,
        log_dir=str(folder),
        display="none",
    )
    return folder


def foreign_logs(folder: Path) -> Path:
    """A folder with the log of another Inspect task (``hello``: no model call, no tokens)."""
    task = Task(
        name="hello",
        dataset=[Sample(input="Say hi", target="hi")],
        solver=_echo(),
        scorer=match(),
    )
    inspect_eval(task, model="mockllm/model", log_dir=str(folder), display="none")
    return folder


def command(*args: str) -> list[str]:
    """The argv of ``finbehave ARGS`` run with this interpreter."""
    return [sys.executable, "-m", "finbehave.cli", *args]


def cli_env(columns: int = 80) -> dict[str, str]:
    """This environment, this source tree first, and a terminal width of ``columns``."""
    path = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": path}


def cli(*args: str, columns: int = 80) -> subprocess.CompletedProcess:
    """``finbehave ARGS`` in a fresh process with a terminal width of ``columns``."""
    return subprocess.run(
        command(*args), capture_output=True, text=True, env=cli_env(columns), timeout=600
    )
