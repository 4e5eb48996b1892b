"""``finbehave loop``: the whole loop on the tiny random model with scripted traces, stopped
between stages and resumed; configurations the loop cannot run are one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tiny_dataset import write_tiny_dataset
from typer.testing import CliRunner

from finbehave.cli import app

ROOT = Path(__file__).resolve().parents[1]


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data))  # JSON is YAML
    return path


def experiment(tmp_path: Path, model: Path, dataset: Path, sft: bool = True) -> Path:
    """tasks.yaml: the tiny model (base) and a scripted agent on the test item; SFT on scripted
    train-split traces, then one GRPO step."""
    traces = write_yaml(
        tmp_path / "traces.yaml",
        {
            "log_dir": "logs/traces",
            "report": None,
            "tasks": [{"name": "finqa", "dataset": str(dataset), "split": "train"}],
            "models": {
                "careful": {"model": "finbehave/scripted/careful"},
                "no_schema": {"model": "finbehave/scripted/no_schema"},
            },
        },
    )
    sft_recipe = write_yaml(
        tmp_path / "sft.yaml",
        {
            "model": str(model),
            "output_dir": str(tmp_path / "outputs" / "sft"),
            "lora": {"r": 4, "alpha": 8},
            "sft": {"max_steps": 2, "save_steps": 1, "use_cpu": True, "max_length": 32768},
        },
    )
    grpo_recipe = write_yaml(
        tmp_path / "grpo.yaml",
        {
            "model": str(model),
            "dataset": str(dataset),
            "output_dir": str(tmp_path / "outputs" / "grpo"),
            "items": {"source": "all", "tasks": ["finqa"]},
            "grpo": {"num_generations": 2, "per_device_train_batch_size": 2,
                     "max_completion_length": 16, "max_steps": 1, "save_steps": 1,
                     "use_cpu": True},
        },
    )  # fmt: skip
    training: dict[str, Any] = {"recipe": grpo_recipe.name, "base_model": "tiny"}
    if sft:
        training["sft"] = {
            "recipe": sft_recipe.name,
            "traces": traces.name,
            "where": "answer_correctness == 1",
        }
    return write_yaml(
        tmp_path / "tasks.yaml",
        {
            "log_dir": "logs/base",
            "report": "reports/base",
            "tasks": [{"name": "finqa", "dataset": str(dataset), "split": "test", "limit": 1}],
            "models": {
                "careful": {"model": "finbehave/scripted/careful"},
                "tiny": {
                    "model": f"finbehave/local/{model}",
                    "config": {"max_tokens": 8, "seed": 0},
                    "message_limit": 4,
                },
            },
            "training": training,
        },
    )


class Killed(Exception):
    """Stands in for a kill between two stages."""


@pytest.mark.train
@pytest.mark.slow
def test_loop_resumes_after_a_kill_between_stages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tiny_lm import TOOL_CONTEXT, save_tiny_model

    import finbehave.loop as loop_module
    from finbehave.loop import run_loop

    model = save_tiny_model(tmp_path / "tiny", max_positions=TOOL_CONTEXT)
    dataset = write_tiny_dataset(tmp_path / "data" / "tiny")
    tasks = experiment(tmp_path, model, dataset)
    evaluated: list[str] = []
    run_experiment = loop_module.run_experiment

    def counting(experiment: Any, only: Any, log_dir: Path) -> Any:
        evaluated.append(Path(log_dir).name)
        return run_experiment(experiment, only, log_dir)

    monkeypatch.setattr(loop_module, "run_experiment", counting)

    def kill_after_sft(stage: str) -> None:
        if stage == "sft":
            raise Killed

    with pytest.raises(Killed):
        run_loop(tasks, say=lambda _: None, on_stage=kill_after_sft)
    state = json.loads((tmp_path / "reports" / "base-loop" / "loop.json").read_text())
    assert list(state["stages"]) == ["evaluate", "report", "traces", "sft"]
    assert evaluated == ["base", "traces"]
    assert (tmp_path / "reports" / "base" / "diagnosis.json").is_file()  # where `report` puts it
    assert (tmp_path / "outputs" / "sft" / "adapter" / "adapter_config.json").is_file()

    result = run_loop(tasks, say=lambda _: None)
    assert result.skipped == ["evaluate", "report", "traces", "sft"]
    assert result.ran == ["evaluate_warm", "report_warm", "train", "evaluate_tuned", "compare"]
    assert evaluated == ["base", "traces", "base-warm", "base-tuned"]
    train = result.outputs["train"]
    assert train["diagnosis"] == str(tmp_path / "reports" / "base-warm" / "diagnosis.json")
    card = json.loads((tmp_path / "outputs" / "grpo" / "run_card.json").read_text())
    assert card["recipe"]["init_adapter"] == str(tmp_path / "outputs" / "sft" / "adapter")
    assert card["diagnosis"]["subject"] == "warm"
    assert train["eval_model_args"] == {"adapter": str(tmp_path / "outputs" / "grpo" / "adapter")}
    comparison = result.comparison
    assert (
        comparison is not None and comparison == tmp_path / "reports" / "base-loop" / "index.html"
    )
    page = comparison.read_text()
    assert all(run in page for run in ("base", "warm", "tuned"))

    # a finished loop does nothing again; a missing output redoes its stage and what follows
    comparison.unlink()
    again = run_loop(tasks, say=lambda _: None)
    assert again.ran == ["compare"] and comparison.is_file()
    assert evaluated == ["base", "traces", "base-warm", "base-tuned"]


def test_loop_refuses_what_it_cannot_run(tmp_path: Path) -> None:
    dataset = write_tiny_dataset(tmp_path / "data" / "tiny")
    tasks = experiment(tmp_path, tmp_path / "model", dataset)
    data = json.loads(tasks.read_text())
    runner = CliRunner()

    def loop_error(**changes: Any) -> str:
        write_yaml(tasks, {**data, **changes})
        result = runner.invoke(app, ["loop", str(tasks)])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error:") and result.output.strip().count("\n") == 0
        return result.output

    assert "needs training:" in loop_error(training=None)
    api = {**data["models"], "tiny": {"model": "openai/gpt-4o-mini"}}
    assert "retrains a local model" in loop_error(models=api)
    bad_filter = {**data["training"], "sft": {**data["training"]["sft"], "where": "x > 1"}}
    assert "training.sft.where" in loop_error(training=bad_filter)
    no_traces = {**data["training"], "sft": {"recipe": "sft.yaml"}}
    assert "give traces:" in loop_error(training=no_traces)
    taken = {**data["models"], "warm": {"model": "finbehave/scripted/careful"}}
    assert "rename that model" in loop_error(models=taken)
    assert not (tmp_path / "logs").exists() and not (tmp_path / "reports").exists()


def test_restart_removes_only_what_the_loop_writes_and_foreign_checkpoints_are_refused(
    tmp_path: Path,
) -> None:
    from finbehave.experiment import ExperimentError, load_experiment
    from finbehave.loop import Loop

    dataset = write_tiny_dataset(tmp_path / "data" / "tiny")
    tasks = experiment(tmp_path, tmp_path / "model", dataset)
    loop = Loop(load_experiment(tasks), tasks)
    assert loop.stages() == [
        "evaluate", "report", "traces", "sft", "evaluate_warm", "report_warm", "train",
        "evaluate_tuned", "compare",
    ]  # fmt: skip
    checkpoint = tmp_path / "outputs" / "grpo" / "checkpoints" / "checkpoint-3"
    checkpoint.mkdir(parents=True)
    (checkpoint / "trainer_state.json").write_text("{}")
    with pytest.raises(ExperimentError, match="checkpoints of a run this loop did not start"):
        loop._output_dir("train")
    loop.started.add("train")
    assert loop._output_dir("train") == (tmp_path / "outputs" / "grpo", True)

    kept = [tmp_path / "logs" / "base", tmp_path / "logs" / "traces", tmp_path / "reports" / "base"]
    removed = [
        tmp_path / "logs" / "base-warm",
        tmp_path / "logs" / "base-tuned",
        tmp_path / "reports" / "base-warm",
        tmp_path / "outputs" / "sft",
    ]
    for folder in kept + removed:
        folder.mkdir(parents=True, exist_ok=True)
    loop._save_state()
    said: list[str] = []
    loop.restart(said.append)
    assert all(p.exists() for p in kept) and not any(p.exists() for p in removed)
    assert not (tmp_path / "outputs" / "grpo").exists() and not loop.state_path.exists()
    assert len(said) == 6 and not loop.started

    loop._save_state()  # a state written for another tasks.yaml is not mixed with this one
    changed = json.loads(tasks.read_text())
    changed["tasks"][0]["limit"] = 2
    write_yaml(tasks, changed)
    with pytest.raises(ExperimentError, match=r"changed since .* pass --restart"):
        Loop(load_experiment(tasks), tasks).run(say=lambda _: None)


@pytest.mark.train
@pytest.mark.slow
def test_arms_train_identically_but_for_their_weights_and_are_compared(tmp_path: Path) -> None:
    from tiny_lm import TOOL_CONTEXT, save_tiny_model

    from finbehave.loop import run_loop
    from finbehave.training.reward import uniform_weights

    model = save_tiny_model(tmp_path / "tiny", max_positions=TOOL_CONTEXT)
    dataset = write_tiny_dataset(tmp_path / "data" / "tiny")
    tasks = experiment(tmp_path, model, dataset, sft=False)
    data = json.loads(tasks.read_text())
    data["training"]["arms"] = {"targeted": "diagnosis", "uniform": "uniform"}
    write_yaml(tasks, data)

    result = run_loop(tasks, say=lambda _: None)
    assert result.ran == [
        "evaluate", "report", "train_targeted", "evaluate_targeted", "train_uniform",
        "evaluate_uniform", "compare",
    ]  # fmt: skip
    diagnosis = json.loads((tmp_path / "reports" / "base" / "diagnosis.json").read_text())
    cards = {
        arm: json.loads((tmp_path / "outputs" / f"grpo-{arm}" / "run_card.json").read_text())
        for arm in ("targeted", "uniform")
    }
    assert cards["targeted"]["reward_weights"] == diagnosis["reward_weights"]
    assert cards["targeted"]["reward_weights_source"] == "diagnosis"
    assert cards["uniform"]["reward_weights"] == uniform_weights()
    assert cards["uniform"]["reward_weights_source"] == "uniform"
    for key in ("items", "seed", "base_model"):
        assert cards["targeted"][key] == cards["uniform"][key]

    folder = tmp_path / "reports" / "base-loop"
    summary = json.loads((folder / "arms.json").read_text())
    assert list(summary["runs"]) == ["base", "targeted", "uniform"]
    pairs = [(p["after"], p["before"]) for p in summary["pairs"]]
    assert pairs == [("targeted", "base"), ("uniform", "base"), ("targeted", "uniform")]
    assert all(p["items"] == 1 for p in summary["pairs"])
    for arm in ("targeted", "uniform"):
        training = summary["training"][arm]
        assert training["steps"] == 1 and 0.0 <= training["zero_spread_fraction"] <= 1.0
        assert training["reward_weights"] == cards[arm]["reward_weights"]
    assert "targeted − uniform" in (folder / "arms.md").read_text()
    assert (folder / "reward_curves.svg").read_text().startswith("<svg")


def test_arms_are_checked_before_anything_runs(tmp_path: Path) -> None:
    dataset = write_tiny_dataset(tmp_path / "data" / "tiny")
    tasks = experiment(tmp_path, tmp_path / "model", dataset)
    data = json.loads(tasks.read_text())
    runner = CliRunner()

    def arms_error(arms: Any) -> str:
        write_yaml(tasks, {**data, "training": {**data["training"], "arms": arms}})
        result = runner.invoke(app, ["loop", str(tasks)])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error:") and result.output.strip().count("\n") == 0
        return result.output

    assert "lower-case letters" in arms_error({"Targeted!": "diagnosis"})
    assert "name at least one arm" in arms_error({})
    assert "training.arms" in arms_error({"a": "sometimes"})
    assert "every reward weight is 0" in arms_error({"a": {"answer_correctness": 0}})
    assert "unknown behaviour" in arms_error({"a": {"speed": 1}})
    assert "rename that model or that arm" in arms_error({"careful": "uniform"})
    assert "warm and base name other runs" in arms_error({"warm": "uniform"})
    assert not (tmp_path / "logs").exists() and not (tmp_path / "reports").exists()
