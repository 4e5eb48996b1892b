"""Rubric loading, the scorer through real tasks, judge criteria with a grader, rescoring."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from inspect_ai import eval
from inspect_ai.log import read_eval_log
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from typer.testing import CliRunner

from finbehave.cli import app
from finbehave.rubrics import RubricError, load_rubric
from finbehave.rubrics.spec import DEFAULT_RUBRIC
from finbehave.tasks.finqa import finqa
from finbehave.vocab import SCORE_KEYS

ROOT = Path(__file__).resolve().parents[1]


def test_workspace_rubric_is_the_packaged_default() -> None:
    assert (ROOT / "rubrics" / "finqa.yaml").read_text() == DEFAULT_RUBRIC.read_text()


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def _default() -> dict:
    return yaml.safe_load(DEFAULT_RUBRIC.read_text())


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r["criteria"][0].update(check="no_such_check"), "unknown check"),
        (lambda r: r["criteria"][0].update(behaviour="vibes"), "criterion 'listed_tables'"),
        (lambda r: r["criteria"][0].update(weight=0), "weight must not be 0"),
        (lambda r: r["criteria"][0].update(colour="red"), "colour"),
        (lambda r: r["criteria"][1].update(id="listed_tables"), "defined twice"),
        (lambda r: r["criteria"][0].update(kind="judge", check=None), "criterion:"),
        (lambda r: r.update(criteria=[]), "criteria"),
    ],
)
def test_bad_rubrics_give_one_line_errors(tmp_path: Path, mutate, expected: str) -> None:
    data = _default()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    message = str(info.value)
    assert str(path) in message and expected in message and "\n" not in message


def test_unsafe_yaml_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(RubricError, match="remove tags such as !!python"):
        load_rubric(path)


def test_version_changes_with_content(tmp_path: Path) -> None:
    data = _default()
    data["criteria"][0]["weight"] = 3
    assert load_rubric(_write(tmp_path, data)).version != load_rubric().version


def _rubric_scores(log) -> list[dict[str, float]]:
    return [s.scores["behaviour_rubric"].value for s in log.samples]


def test_scripted_policies_through_the_task(tmp_path: Path) -> None:
    careful = eval(
        finqa(split="test"), model="finbehave/scripted/careful", limit=10, log_dir=str(tmp_path)
    )[0]
    for value in _rubric_scores(careful):
        assert set(value) == set(SCORE_KEYS)
        assert all(v == 1.0 or math.isnan(v) for v in value.values()), value
    guesser = eval(
        finqa(split="test"), model="finbehave/scripted/guesser", limit=10, log_dir=str(tmp_path)
    )[0]
    for sample in guesser.samples:
        value = sample.scores["behaviour_rubric"].value
        assert value["tool_discovery"] == 0.0 and value["grounding"] == 0.0
        assert "hallucinated_answer" in sample.scores["behaviour_rubric"].metadata["tags"]
    metrics = {s.name: s.metrics for s in guesser.results.scores}
    assert math.isnan(metrics["self_correction"]["finbehave/nanmean"].value)


def _judge_rubric(tmp_path: Path) -> Path:
    data = _default()
    data["criteria"].append(
        {
            "id": "states_unit",
            "behaviour": "answer_correctness",
            "kind": "judge",
            "criterion": "The final answer is a single value.",
            "weight": 1,
        }
    )
    return _write(tmp_path, data)


def _judged(log) -> str:
    criteria = log.samples[0].scores["behaviour_rubric"].metadata["criteria"]
    return next(c for c in criteria if c["id"] == "states_unit")["verdict"]


def test_judge_uses_the_grader_role(tmp_path: Path) -> None:
    rubric = str(_judge_rubric(tmp_path))
    grader_output = ModelOutput.from_content("mockllm/model", "Single value.\nVERDICT: MET")
    grader_output.usage = ModelUsage(input_tokens=5, output_tokens=5, total_tokens=10)
    grader = get_model("mockllm/model", custom_outputs=[grader_output] * 10)
    log = eval(
        finqa(split="test", rubric=rubric),
        model="finbehave/scripted/careful",
        limit=1,
        model_roles={"grader": grader},
        log_dir=str(tmp_path),
    )[0]
    assert _judged(log) == "met"
    no_grader = eval(
        finqa(split="test", rubric=rubric),
        model="finbehave/scripted/careful",
        limit=1,
        log_dir=str(tmp_path),
    )[0]
    assert _judged(no_grader) == "error"
    # programmatic scores are unaffected by the missing grader
    assert no_grader.samples[0].scores["behaviour_rubric"].value["rubric_score"] == 1.0


def test_rescore_cli_with_an_edited_rubric(tmp_path: Path) -> None:
    log = eval(
        finqa(split="test"),
        model="finbehave/scripted/no_schema",
        limit=6,
        log_dir=str(tmp_path / "logs"),
    )[0]
    data = _default()
    for criterion in data["criteria"]:
        if criterion["id"] == "efficient_tool_use":
            criterion["params"] = {"slack": -4}
    edited = _write(tmp_path, data)
    result = CliRunner().invoke(
        app,
        ["rescore", log.location, "--rubric", str(edited), "--output-dir", str(tmp_path / "out")],
    )
    assert result.exit_code == 0, result.output
    assert "efficient_tool_use" in result.output
    (written,) = (tmp_path / "out").glob("*.eval")
    rescored = read_eval_log(str(written))
    version = rescored.samples[0].scores["behaviour_rubric"].metadata["rubric_version"]
    assert version == load_rubric(edited).version != load_rubric().version
    assert Path(log.location).exists()  # the input is untouched
