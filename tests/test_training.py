"""Training: recipes, item selection, the TRL tool environment, one real GRPO step through the
tool loop (scripted generations on the tiny random model), interrupt + resume, the adapter."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalSample, read_eval_log
from tiny_dataset import INCOME, SEGMENTS, tiny_items, write_diag, write_tiny_dataset

from finbehave.data.items import Item
from finbehave.data.store import load_dataset
from finbehave.diagnosis import (
    Diagnosis,
    DiagnosisError,
)
from finbehave.env.environment import EnvToolError
from finbehave.rubrics.spec import load_rubric
from finbehave.training.environment import FinQAToolEnv
from finbehave.training.items import ItemSelectionError, curriculum, select_items
from finbehave.training.recipe import ItemsSpec, RecipeError, load_recipe
from finbehave.training.reward import collapse
from finbehave.training.trainer import RunStateError, plan_run, train
from finbehave.vocab import BEHAVIOURS

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = {"tool_discovery": 0.4, "schema_inspection": 0.3, "answer_correctness": 0.3}


# --- fixtures ------------------------------------------------------------------------------------


def _extra_items() -> list[Item]:
    """Train items beyond tiny_dataset's: a multi-table one and an eval-only one."""
    base = {item.id: item for item in tiny_items()}
    multi = base["finqa_reasoning-acme-001"].model_copy(
        update={"id": "finqa_reasoning-acme-002", "split": "train"}
    )
    eval_only = base["finqa-acme-002"].model_copy(
        update={"id": "finqa-acme-003", "eval_only": True}
    )
    return [multi, eval_only]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny_dataset plus two train items: finqa-acme-002 (train), finqa_reasoning-acme-002
    (train, two tables), finqa-acme-003 (train, eval-only); the -001 items are test items."""
    root = write_tiny_dataset(tmp_path_factory.mktemp("data") / "tiny")
    with (root / "items.jsonl").open("a") as handle:
        handle.writelines(item.model_dump_json() + "\n" for item in _extra_items())
    return root


def write_recipe(path: Path, **fields: Any) -> Path:
    path.write_text(json.dumps(fields))  # JSON is YAML
    return path


def tiny_grpo_recipe(path: Path, model: Path, dataset: Path, max_steps: int) -> Path:
    """A CPU GRPO recipe for the tiny model: two generations, 16 tokens, a checkpoint a step."""
    grpo = {"num_generations": 2, "per_device_train_batch_size": 2, "max_completion_length": 16,
            "max_steps": max_steps, "save_steps": 1, "use_cpu": True}  # fmt: skip
    return write_recipe(path, model=str(model), dataset=str(dataset), grpo=grpo)


# --- recipes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cpu_smoke.yaml", "qwen3_4b_grpo.yaml"])
def test_shipped_recipes_are_valid(name: str) -> None:
    recipe = load_recipe(ROOT / "training" / name)
    assert recipe.items.source == "diagnosis" and not recipe.full_finetune


def test_multi_gpu_config_points_at_a_shipped_deepspeed_file() -> None:
    text = (ROOT / "training" / "accelerate_multi_gpu.yaml").read_text()
    config = re.search(r"deepspeed_config_file: (\S+)", text)
    assert config and json.loads((ROOT / config.group(1)).read_text())["zero_optimization"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"grpo": {"num_gen": 4}}, r"field grpo\.num_gen: .*remove it or fix its spelling"),
        ({"grpo": {"num_generations": 3}}, r"must be a multiple of num_generations \(3\)"),
        ({"items": {"source": "everything"}}, r"field items\.source: Input should be"),
        ({"reward_weights": {"groundng": 1}}, r"unknown behaviour 'groundng'"),
        ({"grpo": {"use_cpu": True, "use_vllm": True}}, r"use_cpu: true needs use_vllm: false"),
        ({"lora": {"r": 0}}, r"field lora\.r: Input should be greater than or equal to 1"),
        ({"grpo": {"threads": 0}}, r"field grpo\.threads: Input should be greater than or equal"),
    ],
)
def test_bad_recipes_are_one_line_errors(tmp_path: Path, fields: dict, message: str) -> None:
    path = write_recipe(tmp_path / "bad.yaml", **fields)
    with pytest.raises(RecipeError, match=message) as caught:
        load_recipe(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_threads_change_speed_not_the_run(tmp_path: Path) -> None:
    from trl import GRPOConfig

    from finbehave.training.runs import config_settings

    plain = load_recipe(write_recipe(tmp_path / "a.yaml", grpo={"use_cpu": True}))
    threaded = load_recipe(write_recipe(tmp_path / "b.yaml", grpo={"use_cpu": True, "threads": 1}))
    assert threaded.grpo.threads == 1 and plain.grpo.threads is None
    assert plain.digest() == threaded.digest()  # --resume is not refused for it
    assert "threads" not in config_settings(GRPOConfig, threaded.grpo)


def test_missing_and_unparsable_recipes(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="no such training recipe"):
        load_recipe(tmp_path / "nope.yaml")
    (tmp_path / "broken.yaml").write_text("grpo: [1,\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(tmp_path / "broken.yaml")


# --- item selection ------------------------------------------------------------------------------


def test_all_selects_train_items_single_table_first_and_refuses_eval_only(dataset: Path) -> None:
    store = load_dataset(dataset)
    with pytest.raises(ItemSelectionError, match=r"finqa-acme-003 is eval-only.*--allow-eval-only"):
        select_items(store, ItemsSpec(source="all"))
    chosen = select_items(store, ItemsSpec(source="all"), allow_eval_only=True)
    assert [i.id for i in chosen] == [
        "finqa-acme-002",
        "finqa-acme-003",
        "finqa_reasoning-acme-002",
    ]
    only = ItemsSpec(source="all", tasks=["finqa_reasoning"], order="shuffle")
    assert [i.id for i in select_items(store, only)] == ["finqa_reasoning-acme-002"]


def test_curriculum_is_stable_single_before_multi() -> None:
    items = [*_extra_items(), *tiny_items()]
    ordered = curriculum(items)
    assert [i.multi_table for i in ordered] == [False] * 3 + [True] * 2
    assert [i.id for i in ordered][:3] == ["finqa-acme-003", "finqa-acme-001", "finqa-acme-002"]


def test_diagnosis_targets_are_used_and_checked(dataset: Path, tmp_path: Path) -> None:
    store = load_dataset(dataset)
    spec = ItemsSpec()

    def diagnosis(train: list[str], held_out: list[str]) -> Diagnosis:
        from finbehave.diagnosis import load_diagnosis

        return load_diagnosis(write_diag(tmp_path / "d.json", train, held_out))

    targets = diagnosis(["finqa_reasoning-acme-002", "finqa-acme-002"], ["finqa-acme-001"])
    assert [i.id for i in select_items(store, spec, targets)] == [
        "finqa-acme-002",
        "finqa_reasoning-acme-002",
    ]
    with pytest.raises(ItemSelectionError, match="finqa-acme-001 is in the test split"):
        select_items(store, spec, diagnosis(["finqa-acme-001"], []))
    with pytest.raises(ItemSelectionError, match="finqa-acme-003 is eval-only"):
        select_items(store, spec, diagnosis(["finqa-acme-003"], []))
    with pytest.raises(ItemSelectionError, match="not in dataset 'tiny'"):
        select_items(store, spec, diagnosis(["finqa-other-001"], []))
    with pytest.raises(ItemSelectionError, match="pass --diagnosis"):
        select_items(store, spec, None)
    # `all` never takes what the diagnosis holds out
    held = diagnosis(["finqa-acme-002"], ["finqa_reasoning-acme-002"])
    chosen = select_items(store, ItemsSpec(source="all"), held, allow_eval_only=True)
    assert [i.id for i in chosen] == ["finqa-acme-002", "finqa-acme-003"]


def test_plan_checks_rubric_version_and_picks_weights(dataset: Path, tmp_path: Path) -> None:
    recipe = write_recipe(tmp_path / "r.yaml", dataset=str(dataset), items={"max_items": 1})
    diag = write_diag(tmp_path / "d.json", ["finqa-acme-002"], [])
    plan = plan_run(recipe, diag)
    assert plan.weights_source == "diagnosis" and plan.weights["grounding"] == 0.5
    assert plan.output_dir == Path("outputs/r")
    override = write_recipe(
        tmp_path / "o.yaml", dataset=str(dataset), reward_weights={"efficiency": 1}
    )
    assert plan_run(override, diag).weights == {"efficiency": 1.0}
    uniform = write_recipe(tmp_path / "u.yaml", dataset=str(dataset), items={"source": "all"})
    plan = plan_run(uniform, allow_eval_only=True)
    assert plan.weights_source == "uniform" and set(plan.weights) == set(BEHAVIOURS)
    stale = write_diag(tmp_path / "s.json", ["finqa-acme-002"], [], rubric_version="0ld")
    with pytest.raises(DiagnosisError, match="made with rubric version 0ld"):
        plan_run(recipe, stale)


# --- the environment -----------------------------------------------------------------------------


def test_environment_tools_are_the_evaluation_tools(dataset: Path) -> None:
    env = FinQAToolEnv()
    with pytest.raises(EnvToolError, match="not reset"):
        env.get_table_names()
    assert env.reset(item_id="finqa-acme-002", dataset=str(dataset), prompt=[]) is None
    assert env.item is not None and env.item.company == "acme"
    assert env.get_table_names().splitlines() == [INCOME, SEGMENTS]
    assert "net_income_usd_millions DOUBLE" in env.get_table_info(INCOME)
    with pytest.raises(EnvToolError, match="does not exist"):
        env.get_table_info("income")
    query = f"SELECT net_income_usd_millions FROM {INCOME} WHERE fiscal_year = 2022"
    assert env.sql_query(query).splitlines() == ["net_income_usd_millions", "99.0"]
    with pytest.raises(EnvToolError):
        env.sql_query("DROP TABLE x")
    assert env.calculator("(121 - 99) / 99 * 100").startswith("22.22")
    with pytest.raises(EnvToolError):
        env.calculator("__import__('os')")
    assert env.submit("99") == "99"


@pytest.mark.train
def test_tool_schemas_match_the_evaluation_tools(tmp_path: Path) -> None:
    from transformers.utils import get_json_schema

    from finbehave.models.chat_format import tool_dicts

    log = inspect_eval(
        "finbehave/finqa",
        model="finbehave/scripted/guesser",
        limit=1,
        log_dir=str(tmp_path),
        display="none",
    )[0]
    sample = read_eval_log(log.location, resolve_attachments=True).samples[0]  # type: ignore[index]
    event = next(e for e in sample.events if e.event == "model")
    expected = {t["function"]["name"]: t["function"] for t in tool_dicts(event.tools)}
    env = FinQAToolEnv()
    for name, spec in expected.items():
        schema = get_json_schema(getattr(env, name))["function"]
        assert schema["description"] == spec["description"]
        assert schema["parameters"]["properties"] == spec["parameters"]["properties"]
    public = {n for n in dir(FinQAToolEnv) if not n.startswith("_") and n != "reset"}
    assert public == set(expected)


# --- GRPO with the tiny model --------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random model, with room for the byte-level prompt (~5k tokens with the tools)."""
    pytest.importorskip("trl")
    from tiny_lm import TOOL_CONTEXT, save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("tiny-model"), max_positions=TOOL_CONTEXT)


def _logged_samples(dataset: Path, log_dir: Path, policies: list[str]) -> list[EvalSample]:
    logs = inspect_eval(
        "finbehave/finqa",
        task_args={"dataset": str(dataset), "split": "train"},
        model=[f"finbehave/scripted/{p}" for p in policies],
        sample_id="finqa-acme-002",
        log_dir=str(log_dir),
        display="none",
    )
    return [read_eval_log(log.location).samples[0] for log in logs]  # type: ignore[index]


@pytest.mark.train
@pytest.mark.slow
def test_one_grpo_step_through_the_tool_loop_rewards_as_evaluation_scores(
    dataset: Path, tiny_model: Path, tmp_path: Path
) -> None:
    from scripted_rollouts import use_scripted_rollouts

    from finbehave.training.trainer import build_trainer

    policies = ["careful", "reckless"]
    recipe = write_recipe(
        tmp_path / "r.yaml",
        model=str(tiny_model),
        dataset=str(dataset),
        reward_weights=WEIGHTS,
        items={"source": "all", "max_items": 1},
        grpo={
            "num_generations": 2,
            "per_device_train_batch_size": 2,
            "max_completion_length": 4096,
            "max_tool_calling_iterations": 8,
            "max_steps": 1,
            "learning_rate": 1e-3,
            "use_cpu": True,
        },
    )
    plan = plan_run(recipe, output_dir=tmp_path / "out")
    assert [i.id for i in plan.items] == ["finqa-acme-002"]
    trainer = build_trainer(plan)
    use_scripted_rollouts(trainer, plan.items, policies)
    trainer.train()
    log = trainer.state.log_history[0]

    # the same policies on the same item, evaluated by Inspect and scored by its scorer
    samples = _logged_samples(dataset, tmp_path / "logs", policies)
    scores = [s.scores["behaviour_rubric"].value for s in samples]  # type: ignore[index]
    expected = [collapse(score, WEIGHTS) for score in scores]  # type: ignore[arg-type]
    assert expected[0] != expected[1]
    assert log["reward"] == pytest.approx(sum(expected) / 2, abs=1e-6)
    for behaviour in BEHAVIOURS:
        values = [s[behaviour] for s in scores if s[behaviour] == s[behaviour]]  # type: ignore[index]
        logged = log[f"rewards/{behaviour}/mean"]
        assert logged == (pytest.approx(sum(values) / len(values)) if values else None)
    assert log["tools/call_frequency"] > 3 and log["tools/failure_frequency"] > 0
    assert log["loss"] != 0.0 and log["grad_norm"] > 0.0  # the rewards differ: a real update


@pytest.mark.train
@pytest.mark.slow
def test_interrupted_run_resumes_from_its_checkpoint(
    dataset: Path, tiny_model: Path, tmp_path: Path
) -> None:
    recipe = write_recipe(
        tmp_path / "r.yaml",
        model=str(tiny_model),
        dataset=str(dataset),
        grpo={
            "num_generations": 2,
            "per_device_train_batch_size": 2,
            "max_completion_length": 16,
            "max_steps": 3,
            "save_steps": 1,
            "use_cpu": True,
        },
    )
    out = tmp_path / "out"
    diag = write_diag(tmp_path / "d.json", ["finqa-acme-002"], ["finqa-acme-001"])

    class Interrupt(Exception):
        pass

    def interrupt_at_step_2(entry: dict[str, Any]) -> None:
        if entry["step"] == 2:  # logged before step 2 is saved: checkpoint-1 is the last one
            raise Interrupt

    recipe_args = {"diagnosis_path": diag, "output_dir": out}
    with pytest.raises(Interrupt):
        train(recipe, **recipe_args, progress=interrupt_at_step_2)
    assert [p.name for p in (out / "checkpoints").iterdir() if p.is_dir()] == ["checkpoint-1"]
    with pytest.raises(RunStateError, match="pass --resume"):
        train(recipe, **recipe_args)

    seen: list[int] = []
    result = train(recipe, **recipe_args, resume=True, progress=lambda e: seen.append(e["step"]))
    assert result.resumed_from == out / "checkpoints" / "checkpoint-1"
    assert result.global_step == 3 and seen[:2] == [2, 3]  # steps 2 and 3 only, not from 0
    history = [json.loads(line) for line in (out / "log_history.jsonl").read_text().splitlines()]
    assert [e["step"] for e in history if "loss" in e] == [1, 2, 3]
    assert "rewards/tool_discovery/mean" in history[0]

    card = json.loads(result.run_card.read_text())
    assert card["status"] == "finished" and card["global_step"] == 3
    assert card["items"] == ["finqa-acme-002"] and card["held_out_items"] == ["finqa-acme-001"]
    assert card["reward_weights"] == {"tool_discovery": 0.5, "grounding": 0.5}
    assert card["diagnosis"]["sha256"] and card["rubric"]["version"] == load_rubric(None).version
    assert card["versions"]["trl"] and card["base_model"] == str(tiny_model.resolve())
    assert card["eval_model"] == f"finbehave/local/{tiny_model.resolve()}"

    # the adapter loads where evaluation loads adapters
    from finbehave.models.local import LocalModelAPI

    assert result.adapter_dir is not None
    adapter_config = json.loads((result.adapter_dir / "adapter_config.json").read_text())
    assert adapter_config["base_model_name_or_path"] == str(tiny_model.resolve())
    api = LocalModelAPI(model_path=str(tiny_model), adapter=str(result.adapter_dir))
    assert type(api.model).__name__ == "PeftModelForCausalLM"

    fields = json.loads(recipe.read_text())
    fields["grpo"] |= {"max_steps": 4, "learning_rate": 1e-3}
    with pytest.raises(RunStateError, match="different recipe"):
        train(write_recipe(recipe, **fields), **recipe_args, resume=True)
    with pytest.raises(RunStateError, match="no checkpoint to resume from"):
        train(recipe, diagnosis_path=diag, output_dir=tmp_path / "empty", resume=True)


@pytest.mark.train
@pytest.mark.slow
def test_cli_trains_and_refuses_eval_only_items(
    dataset: Path, tiny_model: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from finbehave.cli import app

    recipe = tiny_grpo_recipe(tmp_path / "r.yaml", tiny_model, dataset, max_steps=1)
    runner = CliRunner()
    refused = write_diag(tmp_path / "bad.json", ["finqa-acme-003"], ["finqa-acme-001"])
    args = ["train", "--recipe", str(recipe), "--output", str(tmp_path / "out")]
    result = runner.invoke(app, [*args, "--diagnosis", str(refused)])
    assert result.exit_code == 2 and "--allow-eval-only" in result.output
    good = write_diag(tmp_path / "good.json", ["finqa-acme-002"], ["finqa-acme-001"])
    result = runner.invoke(app, [*args, "--diagnosis", str(good)])
    assert result.exit_code == 0, result.output
    assert "trained 1 steps on 1 items" in result.output
    assert "evaluate: inspect eval finbehave/finqa --model finbehave/local/" in result.output
    assert (tmp_path / "out" / "adapter" / "adapter_config.json").is_file()
