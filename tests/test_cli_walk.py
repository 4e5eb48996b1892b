"""Trip points found walking the README on a fresh clone: each is one line naming the fix, or
just works."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import finbehave_logs
from typer.testing import CliRunner

from finbehave.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_run_only_without_the_base_model_still_reports(tmp_path: Path) -> None:
    """`--only careful` leaves out training.base_model: the report diagnoses the first run."""
    experiment = tmp_path / "tasks.yaml"
    experiment.write_text(
        "version: 1\nlog_dir: logs\nreport: report\n"
        "tasks:\n  - {name: finqa, split: test, limit: 1}\n"
        "models:\n  careful: {model: finbehave/scripted/careful}\n"
        "  guesser: {model: finbehave/scripted/guesser}\n"
        f"training: {{recipe: {ROOT / 'training/cpu_smoke.yaml'}, base_model: guesser}}\n"
    )
    result = runner.invoke(app, ["run", str(experiment), "--only", "careful"])
    assert result.exit_code == 0, result.output
    assert "weakest behaviours of careful" in result.output
    assert (tmp_path / "report" / "diagnosis.json").exists()


@pytest.mark.train
def test_training_on_a_diagnosis_without_targets_says_why(tmp_path: Path) -> None:
    logs = finbehave_logs(tmp_path / "logs", limit=1)
    assert runner.invoke(app, ["report", str(logs), "-o", str(tmp_path / "r")]).exit_code == 0
    result = runner.invoke(
        app,
        [
            "train",
            "--recipe",
            str(ROOT / "training/cpu_smoke.yaml"),
            "--diagnosis",
            str(tmp_path / "r" / "diagnosis.json"),
            "-o",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 2, result.output
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert "has no train target items" in line and "--subject" in line
    assert not (tmp_path / "out").exists()
