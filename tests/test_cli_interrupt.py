"""Ctrl-C in the middle of a command: exit 130, one line saying what was kept and how to resume,
and nothing half-written."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
import test_training
from cli_helpers import cli_env, command, finbehave_logs
from tiny_dataset import write_diag
from typer.testing import CliRunner

import finbehave.reports.build as build
from finbehave.cli import EXIT_INTERRUPTED, app

dataset = test_training.dataset  # fixtures: the tiny dataset and random model of test_training
tiny_model = test_training.tiny_model


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return finbehave_logs(tmp_path_factory.mktemp("cli-interrupt") / "logs")


def test_report_interrupted_while_writing_leaves_the_old_report_whole(
    logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report"
    assert CliRunner().invoke(app, ["report", str(logs), "-o", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    write = build.write_diagnosis

    def interrupted(*args, **kwargs):
        write(*args, **kwargs)  # diagnosis.json written (to the staging folder), then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "write_diagnosis", interrupted)
    result = CliRunner().invoke(app, ["report", str(logs), "-o", str(out)])
    assert result.exit_code == EXIT_INTERRUPTED
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert line == f"error: interrupted: nothing was written to {out}"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no staging folder left


def test_run_interrupted_says_where_the_logs_are_and_how_to_resume(tmp_path: Path) -> None:
    experiment = tmp_path / "tasks.yaml"
    experiment.write_text(
        "version: 1\nlog_dir: logs\nreport: report\n"
        "tasks:\n  - {name: finqa, split: test, epochs: 20}\n"
        "models:\n  careful: {model: finbehave/scripted/careful}\n"
    )
    process = subprocess.Popen(
        command("run", str(experiment)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    deadline = time.monotonic() + 120
    while not list((tmp_path / "logs").glob("*.eval")) and time.monotonic() < deadline:
        time.sleep(0.2)  # the task has started once its log exists
    time.sleep(1)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == EXIT_INTERRUPTED, out + err
    assert err.strip() == (
        f"error: interrupted: finished samples are kept in {tmp_path / 'logs'}; "
        "run the same command again to resume"
    )
    assert not (tmp_path / "report").exists()


@pytest.mark.train
@pytest.mark.slow
def test_train_interrupted_after_a_checkpoint_says_how_to_resume(
    dataset: Path, tiny_model: Path, tmp_path: Path
) -> None:
    recipe = test_training.tiny_grpo_recipe(tmp_path / "r.yaml", tiny_model, dataset, max_steps=50)
    diagnosis = write_diag(tmp_path / "d.json", ["finqa-acme-002"], ["finqa-acme-001"])
    out = tmp_path / "out"
    args = ["train", "--recipe", str(recipe), "--diagnosis", str(diagnosis), "-o", str(out)]
    process = subprocess.Popen(
        command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env()
    )
    deadline = time.monotonic() + 300
    while not (out / "checkpoints" / "checkpoint-2").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == EXIT_INTERRUPTED, err
    assert err.strip().splitlines()[-1] == (
        f"error: interrupted: checkpoints saved so far are kept in {out}; add --resume to the "
        "same command to continue from the last one (none yet: run it again as it was)"
    )
    # what --resume would continue from: a complete checkpoint (one cut while saving is ignored)
    assert (out / "checkpoints" / "checkpoint-1" / "trainer_state.json").is_file()
