"""Hostile YAML in every user file (tasks.yaml, rubrics, training recipes): one-line errors, exit 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from finbehave.cli import app
from finbehave.experiment import ExperimentError, load_experiment
from finbehave.rubrics.spec import RubricError, load_rubric
from finbehave.training.recipe import RecipeError, load_recipe

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)
HOSTILE = {
    "billion laughs": (LAUGHS, "expand to more than"),
    "python tag": ('x: !!python/object/apply:os.system ["touch /tmp/finbehave-pwned"]\n', "tags"),
    "deep nesting": ("x: " + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply|syntax"),
    "huge file": ("# " + "x" * 2_100_000 + "\n", "larger than"),
    "syntax": ("a: [1, 2\nb: }\n", "not valid YAML"),
    "binary": (b"\x00\xff\xfe garbage \x89PNG".decode("latin-1"), ""),
    "top-level list": ("- 1\n- 2\n", ""),
    "wrong types": ("version: 1\ntasks: 5\nmodels: 7\ncriteria: 5\nmodel: [1]\n", ""),
    "unknown key": ("surprise: 1\n", ""),
    "empty": ("", ""),
}
LOADERS: dict[str, tuple[Callable[[Path], object], type[Exception]]] = {
    "tasks.yaml": (load_experiment, ExperimentError),
    "rubric": (load_rubric, RubricError),
    "recipe": (load_recipe, RecipeError),
}


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_yaml_is_a_one_line_error(loader: str, case: str, tmp_path: Path) -> None:
    text, fragment = HOSTILE[case]
    path = tmp_path / "file.yaml"
    path.write_text(text, encoding="latin-1" if case == "binary" else "utf-8")
    load, error = LOADERS[loader]
    with pytest.raises(error, match=fragment or None) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and len(message) < 600
    assert not Path("/tmp/finbehave-pwned").exists()


@pytest.mark.parametrize("case", ["billion laughs", "python tag", "deep nesting", "wrong types"])
def test_cli_exits_2(case: str, tmp_path: Path) -> None:
    path = tmp_path / "file.yaml"
    path.write_text(HOSTILE[case][0])
    for command in (["validate", str(path)], ["train", "--recipe", str(path)]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        assert "error:" in result.output
