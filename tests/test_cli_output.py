"""What the CLI prints reads well at any width: paths and commands are never broken across lines,
and every ``--help`` teaches with an example and fits 80 columns without truncation."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import typer
from cli_helpers import cli, finbehave_logs
from typer.testing import CliRunner

from finbehave.cli import app

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = (40, 200)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return finbehave_logs(tmp_path_factory.mktemp("cli-output") / "a-rather-long-folder-name")


def _whole(paths: list[Path | str], output: str) -> None:
    """Each path (or command) appears whole on one line of ``output``."""
    lines = output.splitlines()
    for path in paths:
        assert any(str(path) in line for line in lines), f"{path} is broken in:\n{output}"


@pytest.mark.parametrize("columns", WIDTHS)
def test_printed_paths_are_never_wrapped(columns: int, logs: Path, tmp_path: Path) -> None:
    out = tmp_path / "a-report-folder-with-a-long-name"
    result = cli("report", str(logs), "-o", str(out), columns=columns)
    assert result.returncode == 0, result.stderr
    _whole([out / "index.html", out / "diagnosis.json"], result.stdout)
    assert "weakest behaviours of finbehave/scripted/careful: none" in result.stdout

    rescored = tmp_path / "rescored-logs-in-a-folder-with-a-long-name"
    result = cli("rescore", str(logs), "-o", str(rescored), columns=columns)
    assert result.returncode == 0, result.stderr
    (written,) = rescored.glob("*.eval")
    _whole([written], result.stdout)

    result = cli("validate", str(ROOT / "tasks.yaml"), columns=columns)
    assert result.returncode == 0, result.stderr
    _whole([ROOT / "tasks.yaml", ROOT / "logs" / "experiment"], result.stdout)

    package = tmp_path / "an-exported-package-in-a-folder-with-a-long-name"
    result = cli("export", "verifiers", "-o", str(package), columns=columns)
    assert result.returncode == 0, result.stderr
    _whole([package, f"pip install {package}", package / "README.md"], result.stdout)

    experiment = tmp_path / "an-experiment-file-with-a-long-name.yaml"
    experiment.write_text(
        "version: 1\nlog_dir: logs-in-a-folder-with-a-long-name\nreport: report\n"
        "tasks:\n  - {name: finqa, split: test, limit: 1}\n"
        "models:\n  careful: {model: finbehave/scripted/careful}\n"
    )
    result = cli("run", str(experiment), columns=columns)
    assert result.returncode == 0, result.stderr
    report = tmp_path / "report"
    _whole([tmp_path / "logs-in-a-folder-with-a-long-name", report / "index.html"], result.stdout)

    missing = tmp_path / "a-typo-in-a-rather-long-path" / "nope.eval"
    result = cli("rescore", str(missing), columns=columns)
    assert result.returncode == 2
    _whole([missing], result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1


def _commands() -> list[tuple[str, ...]]:
    found = []

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        found.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c) or "finbehave")
def test_every_help_teaches_with_an_example_and_fits_80_columns(command: tuple[str, ...]):
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "Examples" in result.output
    assert "…" not in result.output  # nothing truncated
    assert all(len(line) <= 80 for line in result.output.splitlines())
    examples = result.output.split("Examples", 1)[1]
    commands = [line.strip() for line in examples.splitlines() if line.strip()]
    assert commands and all(line.startswith(("finbehave", "--", "-")) for line in commands), (
        examples  # each example line whole: a wrapped one would start mid-command
    )
