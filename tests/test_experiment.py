"""tasks.yaml: loading, interpolation, validation errors and `finbehave validate` exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from finbehave.cli import app
from finbehave.diagnosis import load_diagnosis
from finbehave.experiment import ExperimentError, check_experiment, load_experiment, select

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

MINIMAL = """
version: 1
tasks:
  - name: finqa
    limit: 2
models:
  careful:
    model: finbehave/scripted/careful
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tasks.yaml"
    path.write_text(text)
    return path


def test_shipped_tasks_yaml_is_valid() -> None:
    result = runner.invoke(app, ["validate", str(ROOT / "tasks.yaml")])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    assert "careful" in result.output


SHIPPED = sorted(
    p
    for p in [ROOT / "tasks.yaml", *ROOT.glob("experiments/**/*.yaml")]
    if "version:" in p.read_text()
)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_experiments_and_their_recipes_load(path: Path) -> None:
    """Every experiment file we ship is valid, and so are the recipes it names (a typo in a
    recipe would otherwise surface only hours into finbehave loop)."""
    from finbehave.training.recipe import load_recipe
    from finbehave.training.sft_recipe import SFTRecipe

    experiment = load_experiment(path)
    check_experiment(experiment, path)
    if experiment.training is not None:
        load_recipe(experiment.training.recipe)
        if experiment.training.sft is not None:
            load_recipe(experiment.training.sft.recipe, SFTRecipe)


def test_minimal_loads_and_resolves_paths(tmp_path: Path) -> None:
    experiment = load_experiment(write(tmp_path, MINIMAL))
    assert experiment.tasks[0].limit == 2
    assert experiment.log_dir == tmp_path / "logs" / "experiment"
    check_experiment(experiment, tmp_path / "tasks.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MINIMAL.replace("finbehave/scripted", "nosuch/provider/x"), "unknown model provider"),
        (MINIMAL.replace("scripted/careful", "scripted/sloppy"), "unknown scripted policy"),
        (MINIMAL.replace("scripted/careful", "gpu/careful"), "unknown finbehave backend"),
        (MINIMAL.replace("name: finqa", "name: finqa_hard"), "tasks.0.name"),
        (MINIMAL.replace("limit: 2", "limit: two"), "tasks.0.limit"),
        (MINIMAL + "rubric: missing.yaml\n", "rubric"),
        (MINIMAL + "colour: blue\n", "colour"),
        (MINIMAL.replace("limit: 2", "limit: 2\n    dataset: nowhere"), "unknown dataset"),
        (MINIMAL + "    args: {adapter: /no/such/adapter}\n", "adapter"),
        ("tasks: [\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_invalid_files_give_one_line_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert expected in message
    assert "Traceback" not in result.output


def test_missing_file_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 2
    assert "no such experiment file" in result.output


def test_env_interpolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FB_TEST_API_KEY", "sk-secret-123")
    text = MINIMAL + "    api_key: ${FB_TEST_API_KEY}\n"
    experiment = load_experiment(write(tmp_path, text))
    assert experiment.models["careful"].api_key == "sk-secret-123"


def test_env_missing_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FB_TEST_ABSENT", raising=False)
    with pytest.raises(ExperimentError, match="FB_TEST_ABSENT"):
        load_experiment(write(tmp_path, MINIMAL + "    base_url: ${FB_TEST_ABSENT}\n"))


def test_secrets_only_in_api_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FB_TEST_TOKEN", "tok")
    text = MINIMAL + "    args: {token: '${FB_TEST_TOKEN}'}\n"
    with pytest.raises(ExperimentError, match="api_key"):
        load_experiment(write(tmp_path, text))


def test_yaml_bomb_is_rejected_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(
            f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]"
        )
    path = write(tmp_path, "\n".join(lines) + "\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2


def test_select_filters(tmp_path: Path) -> None:
    text = MINIMAL + "  guesser:\n    model: finbehave/scripted/guesser\n"
    experiment = load_experiment(write(tmp_path, text))
    assert [(t.name, m) for t, m in select(experiment, ["guesser"])] == [("finqa", "guesser")]
    assert len(list(select(experiment, []))) == 2
    with pytest.raises(ExperimentError, match="--only"):
        list(select(experiment, ["nobody"]))


def test_run_writes_the_report_with_model_keys_as_runs(tmp_path: Path) -> None:
    text = MINIMAL + "  guesser:\n    model: finbehave/scripted/guesser\n"
    text += "training:\n  recipe: recipe.yaml\n  base_model: guesser\n"
    (tmp_path / "recipe.yaml").write_text("{}\n")
    result = runner.invoke(app, ["run", str(write(tmp_path, text))])
    assert result.exit_code == 0, result.output
    diagnosis = load_diagnosis(tmp_path / "reports" / "experiment")
    assert set(diagnosis.models) == {"careful", "guesser"}
    assert diagnosis.subject == "guesser"  # training.base_model is what the diagnosis is for
    assert (tmp_path / "reports" / "experiment" / "index.html").is_file()


def test_model_limit_and_message_limit(tmp_path: Path) -> None:
    from finbehave.experiment import build_tasks

    text = MINIMAL + "  quick:\n    model: finbehave/scripted/guesser\n    limit: 1\n"
    text += "    message_limit: 6\n"
    tasks = build_tasks(load_experiment(write(tmp_path, text)))
    assert [len(t.dataset) for t in tasks] == [2, 1]  # the task's limit, then the model's
    assert tasks[1].message_limit == 6
    assert tasks[0].message_limit == 40
