"""Every command that takes logs takes files and folders alike, and says in one line what to fix.

A typo in a path, an empty folder, a file that is not a log, and a log of another Inspect task
go through ``finbehave.logs`` for ``report``, ``rescore`` and ``sft`` the same way.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from cli_helpers import finbehave_logs, foreign_logs
from typer.testing import CliRunner

from finbehave.cli import app
from finbehave.logs import LogInputError, expand_logs

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli-logs")
    return {
        "finbehave": finbehave_logs(root / "careful"),
        "foreign": foreign_logs(root / "foreign"),
        "root": root,
    }


def _one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    return lines[0]


def test_expand_logs_takes_files_and_folders_recursively_sorted(tmp_path: Path) -> None:
    (tmp_path / "b" / "deep").mkdir(parents=True)
    for name in ("b/deep/2.eval", "b/1.json", "a.eval", "b/logs.json", "b/.hidden.eval"):
        (tmp_path / name).write_text("")
    (tmp_path / "b" / "notes.txt").write_text("")
    found = expand_logs([tmp_path / "b", tmp_path / "a.eval", tmp_path / "b" / "1.json"])
    assert found == [tmp_path / "b" / "1.json", tmp_path / "b/deep/2.eval", tmp_path / "a.eval"]


def _bad_path(case: str, tmp_path: Path) -> Path:
    path = tmp_path / {"typo": "typo", "empty folder": "empty", "not a log": "t.yaml"}[case]
    if case == "empty folder":
        path.mkdir()
    elif case == "not a log":
        path.write_text("")
    return path


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("typo", "no such log file or folder"),
        ("empty folder", "no Inspect logs (.eval/.json) in this folder"),
        ("not a log", "not an Inspect log"),
    ],
)
def test_bad_log_paths_are_one_line_exit_2_in_every_command(case, message, tmp_path: Path):
    path = _bad_path(case, tmp_path)
    with pytest.raises(LogInputError, match=re.escape(message)):
        expand_logs([path])
    out = tmp_path / "out"
    commands = {
        "report": ["report", str(path), "-o", str(out)],
        "rescore": ["rescore", str(path), "-o", str(out)],
        "sft": ["sft", "--recipe", str(ROOT / "training/sft_cpu.yaml"), str(path), "-o", str(out)],
    }
    for name, args in commands.items():
        result = runner.invoke(app, args)
        line = _one_error_line(result.output)
        assert result.exit_code == 2, (name, result.output)
        assert message in line and str(path) in line, (name, line)
        assert not out.exists(), name


def test_empty_folder_names_the_folder_and_how_to_make_logs(tmp_path: Path) -> None:
    line = _one_error_line(runner.invoke(app, ["report", str(tmp_path)]).output)
    assert str(tmp_path) in line and "finbehave run" in line and "inspect eval" in line


def test_rescore_takes_a_folder_like_report(logs: dict[str, Path], tmp_path: Path) -> None:
    result = runner.invoke(app, ["rescore", str(logs["finbehave"]), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (written,) = tmp_path.glob("*-rescored.eval")
    assert str(written) in result.output
    # the old option name still works
    result = runner.invoke(
        app, ["rescore", str(logs["finbehave"]), "--output-dir", str(tmp_path / "b")]
    )
    assert result.exit_code == 0 and list((tmp_path / "b").glob("*-rescored.eval"))


def test_rescore_of_a_foreign_log_is_one_line_naming_the_task(
    logs: dict[str, Path], tmp_path: Path
) -> None:
    result = runner.invoke(app, ["rescore", str(logs["foreign"]), "-o", str(tmp_path)])
    line = _one_error_line(result.output)
    assert result.exit_code == 2
    assert "'hello'" in line and "finbehave/finqa" in line and "finqa_reasoning" in line
    assert not list(tmp_path.iterdir())


def test_report_skips_a_foreign_log_in_one_line(logs: dict[str, Path], tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(logs["root"]), "-o", str(tmp_path / "r")])
    assert result.exit_code == 1, result.output  # something was skipped
    skipped = [line for line in result.output.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 1 and "'hello'" in skipped[0]
    assert (tmp_path / "r" / "index.html").exists()
    only_foreign = runner.invoke(app, ["report", str(logs["foreign"]), "-o", str(tmp_path / "f")])
    line = _one_error_line(only_foreign.output)
    assert only_foreign.exit_code == 2 and str(logs["foreign"]) in line and "'hello'" in line
    assert not (tmp_path / "f").exists()


def test_an_output_path_that_is_a_file_is_one_line_exit_2(
    logs: dict[str, Path], tmp_path: Path
) -> None:
    file = tmp_path / "taken"
    file.write_text("mine")
    experiment, given = str(ROOT / "tasks.yaml"), str(logs["finbehave"])
    for args in (
        ["report", given],
        ["rescore", given],
        ["run", experiment],
        ["loop", experiment],
        ["train", "--recipe", str(ROOT / "training/cpu_smoke.yaml")],
        ["sft", "--recipe", str(ROOT / "training/sft_cpu.yaml"), given],
    ):
        result = runner.invoke(app, [*args, "-o", str(file)])
        line = _one_error_line(result.output)
        assert result.exit_code == 2 and "is a file, not a folder" in line, args
    assert file.read_text() == "mine"


def test_rescoring_a_folder_twice_rescores_the_originals(
    logs: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "logs"
    shutil.copytree(logs["finbehave"], folder)
    (original,) = folder.glob("*.eval")
    for _ in range(2):  # beside the inputs: the second run must not rescore the first's output
        assert runner.invoke(app, ["rescore", str(folder)]).exit_code == 0
    assert sorted(p.name for p in folder.glob("*.eval")) == sorted(
        [original.name, f"{original.stem}-rescored.eval"]
    )


def test_rescore_skips_a_foreign_log_among_finbehave_logs(
    logs: dict[str, Path], tmp_path: Path
) -> None:
    result = runner.invoke(app, ["rescore", str(logs["root"]), "-o", str(tmp_path)])
    assert result.exit_code == 1, result.output  # like report: done, but not all was used
    skipped = [line for line in result.output.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 1 and "'hello'" in skipped[0]
    assert len(list(tmp_path.glob("*-rescored.eval"))) == 1


def test_an_unknown_subject_lists_the_runs(logs: dict[str, Path], tmp_path: Path) -> None:
    args = ["report", str(logs["finbehave"]), "--subject", "nobody", "-o", str(tmp_path / "r")]
    result = runner.invoke(app, args)
    line = _one_error_line(result.output)
    assert result.exit_code == 2
    assert line.endswith("--subject nobody: not a run in these logs; choose one of "
                         "finbehave/scripted/careful")  # fmt: skip
    assert not (tmp_path / "r").exists()
