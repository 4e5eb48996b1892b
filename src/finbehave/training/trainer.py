"""``finbehave train``: GRPO with TRL and a PEFT LoRA adapter in the evaluation's tool environment.

The CLI calls::

    train(recipe_path, diagnosis_path=None, output_dir=None, resume=False,
          allow_eval_only=False, progress=None) -> TrainResult

Bad input is found before any model loads and raised as a one-line ``ValueError`` subclass:
``RecipeError`` (the recipe), ``DiagnosisError`` (the diagnosis file, or a diagnosis made with
another rubric), ``ItemSelectionError`` (no items, or test/held-out/eval-only ones),
``RubricError``, ``DatasetError`` and ``RunStateError`` (the output directory does not fit
``--resume``). The CLI prints the message and exits 2; anything else is a real failure.
An interrupted run (exception, Ctrl-C, kill) keeps its last checkpoint; the same command with
``--resume`` continues from it. ``progress`` is called with every TRL log dict (``step``,
``loss``, ``reward``, ``rewards/<behaviour>/mean``, ...); TRL's own progress bar is off then.

Output directory (default ``outputs/<recipe stem>``)::

    run_card.json        recipe, diagnosis/rubric/dataset hashes, items, weights, seeds, versions
    log_history.jsonl    one TRL log dict per line (per-behaviour rewards per logging step)
    checkpoints/         TRL checkpoints (save_steps), what --resume continues from
    adapter/             the LoRA adapter: --model finbehave/local[/<base>] -M adapter=OUT/adapter
    model/               instead of adapter/ with full_finetune: --model finbehave/local/OUT/model

Generation is TRL's: plain transformers on CPU, vLLM when the recipe sets ``use_vllm``.
A recipe's ``init_adapter`` (e.g. ``finbehave sft``'s ``adapter/``) starts GRPO from a warm start:
the LoRA adapter is loaded trainable and training continues it; a full model directory there
replaces ``model``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finbehave.data.items import Item
from finbehave.data.store import DatasetStore, load_dataset
from finbehave.diagnosis import Diagnosis, DiagnosisError, load_diagnosis
from finbehave.rubrics.spec import Rubric, load_rubric
from finbehave.training.environment import FinQAToolEnv, render_tools_as_evaluated
from finbehave.training.items import select_items, training_rows
from finbehave.training.recipe import Recipe, RecipeError, default_output_dir, load_recipe
from finbehave.training.reward import (
    RubricReward,
    check_weights,
    chosen_weights,
    uniform_weights,
)
from finbehave.training.runs import (
    CHECKPOINTS,
    RUN_CARD,
    Progress,
    RunResult,
    card_basics,
    check_run_state,
    config_settings,
    eval_target,
    run_trainer,
    sha256,
)
from finbehave.training.runs import RunStateError as RunStateError
from finbehave.training.runs import resolve_model as resolve_model_name

WeightsChoice = str | dict[str, float]
"""``"diagnosis"``, ``"uniform"`` or behaviour -> weight (see :func:`plan_run`)."""


@dataclass
class TrainingPlan:
    """Everything a run needs, validated, before any model is loaded."""

    recipe: Recipe
    recipe_path: Path
    store: DatasetStore
    rubric: Rubric
    weights: dict[str, float]
    weights_source: str
    items: list[Item]
    output_dir: Path
    diagnosis: Diagnosis | None = None
    diagnosis_path: Path | None = None

    @property
    def checkpoints(self) -> Path:
        return self.output_dir / CHECKPOINTS

    def reward(self) -> RubricReward:
        return RubricReward(self.rubric, self.weights, self.recipe.tolerance)


@dataclass(kw_only=True)
class TrainResult(RunResult):
    """What a GRPO run produced."""

    items: list[str]


def plan_run(
    recipe_path: str | Path,
    diagnosis_path: str | Path | None = None,
    output_dir: str | Path | None = None,
    allow_eval_only: bool = False,
    init_adapter: str | Path | None = None,
    reward_weights: WeightsChoice | None = None,
) -> TrainingPlan:
    """Load and check recipe, diagnosis, rubric, dataset and items (no torch needed).

    ``init_adapter`` overrides the recipe's field of that name; ``reward_weights`` overrides the
    recipe's weights: ``"diagnosis"`` (the diagnosis' weights, which must exist), ``"uniform"``
    or a behaviour -> weight mapping.
    """
    recipe_path = Path(recipe_path)
    recipe = load_recipe(recipe_path)
    if init_adapter is not None:
        recipe = recipe.model_copy(update={"init_adapter": str(init_adapter)})
    if recipe.init_adapter is not None:
        init_kind(Path(recipe.init_adapter))
    diagnosis = load_diagnosis(diagnosis_path) if diagnosis_path is not None else None
    rubric = load_rubric(recipe.rubric)
    if diagnosis is not None and diagnosis.rubric_version != rubric.version:
        raise DiagnosisError(
            f"{diagnosis_path}: made with rubric version {diagnosis.rubric_version}, but the "
            f"recipe's rubric is {rubric.version}; rescore and re-report with this rubric, or set "
            "the recipe's rubric: to the one the diagnosis used"
        )
    if reward_weights == "diagnosis":
        if diagnosis is None or not diagnosis.reward_weights:
            raise DiagnosisError(
                "reward weights 'diagnosis' need a diagnosis with reward_weights; pass "
                "--diagnosis reports/<run>/diagnosis.json"
            )
        recipe = recipe.model_copy(update={"reward_weights": None})
    elif reward_weights is not None:
        try:
            chosen = chosen_weights(reward_weights)
        except ValueError as exc:
            raise RecipeError(f"reward weights: {exc}") from None
        recipe = recipe.model_copy(update={"reward_weights": chosen})
    if recipe.reward_weights is not None:
        source = reward_weights if reward_weights == "uniform" else "recipe"
        weights = dict(recipe.reward_weights)
    elif diagnosis is not None and diagnosis.reward_weights:
        weights, source = dict(diagnosis.reward_weights), "diagnosis"
        try:
            check_weights(weights)
        except ValueError as exc:
            raise DiagnosisError(f"{diagnosis_path}: {exc}; regenerate the diagnosis") from None
    else:
        weights, source = uniform_weights(), "uniform"
    store = load_dataset(recipe.dataset)
    items = select_items(store, recipe.items, diagnosis, allow_eval_only)
    return TrainingPlan(
        recipe=recipe,
        recipe_path=recipe_path,
        store=store,
        rubric=rubric,
        weights=weights,
        weights_source=source,
        items=items,
        output_dir=Path(output_dir) if output_dir else default_output_dir(recipe, recipe_path),
        diagnosis=diagnosis,
        diagnosis_path=Path(diagnosis_path) if diagnosis_path is not None else None,
    )


def init_kind(path: Path) -> str:
    """``adapter`` (a PEFT adapter directory) or ``model`` (a full model directory)."""
    if (path / "adapter_config.json").is_file():
        return "adapter"
    if (path / "config.json").is_file():
        return "model"
    raise RecipeError(
        f"init_adapter: {path} is neither a LoRA adapter (adapter_config.json) nor a model "
        "directory (config.json); point it at `finbehave sft`'s adapter/ or model/"
    )


def resolve_model(recipe: Recipe) -> str:
    """The base model to load: ``init_adapter`` when it is a full model, else ``model``."""
    init = recipe.init_adapter
    if init is not None and init_kind(Path(init)) == "model":
        return resolve_model_name(init)
    return resolve_model_name(recipe.model)


def run_card(plan: TrainingPlan, base: str, **state: Any) -> dict[str, Any]:
    """The run card: what was trained, from what, with which settings and software."""
    diagnosis = None
    if plan.diagnosis is not None and plan.diagnosis_path is not None:
        path = plan.diagnosis_path
        path = path / "diagnosis.json" if path.is_dir() else path
        diagnosis = {
            "path": str(path),
            "sha256": sha256(path),
            "subject": plan.diagnosis.subject,
            "rubric_version": plan.diagnosis.rubric_version,
        }
    init = plan.recipe.init_adapter
    model = base if init is not None and init_kind(Path(init)) == "model" else plan.recipe.model
    return {
        **card_basics(
            plan.recipe_path, plan.recipe, plan.recipe.digest(exclude_max_steps=True), base
        ),
        "diagnosis": diagnosis,
        "rubric": {"name": plan.rubric.name, "version": plan.rubric.version},
        "dataset": {
            "name": plan.store.name,
            "path": str(plan.store.path),
            "fingerprint": plan.store.fingerprint,
        },
        "reward_weights": plan.weights,
        "reward_weights_source": plan.weights_source,
        "items": [item.id for item in plan.items],
        "held_out_items": plan.diagnosis.target_items.held_out if plan.diagnosis else [],
        "seed": plan.recipe.grpo.seed,
        **eval_target(plan.output_dir, plan.recipe.full_finetune, model, base),
        **state,
    }


def grpo_config(plan: TrainingPlan, reward: RubricReward, **overrides: Any) -> Any:
    """TRL's ``GRPOConfig`` for the plan (``overrides`` replace any field)."""
    from dataclasses import fields

    from trl import GRPOConfig

    grpo = plan.recipe.grpo
    settings = config_settings(GRPOConfig, grpo)
    settings.update(
        output_dir=str(plan.checkpoints),
        save_strategy="steps",
        reward_weights=reward.trl_weights(),
        shuffle_dataset=plan.recipe.items.order == "shuffle",
        model_init_kwargs={"dtype": "bfloat16" if grpo.bf16 else "float32"},
    )
    if "multi_objective_aggregation" in {f.name for f in fields(GRPOConfig)}:
        settings["multi_objective_aggregation"] = "sum_then_normalize"  # reward = collapse
    settings.update(overrides)
    return GRPOConfig(**settings)


def _adapted_model(plan: TrainingPlan, base: str) -> Any:
    """The base model with ``init_adapter`` loaded: trainable LoRA, or merged for full tuning."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    adapter = Path(plan.recipe.init_adapter or "")
    trained_on = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    adapter_base = trained_on.get("base_model_name_or_path")
    if adapter_base and resolve_model_name(adapter_base) != base:
        raise RecipeError(
            f"init_adapter: {adapter} was trained on {adapter_base}, but the recipe's model is "
            f"{base}; set model: to the adapter's base model"
        )
    dtype = torch.bfloat16 if plan.recipe.grpo.bf16 else torch.float32
    model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype)
    if plan.recipe.full_finetune:
        return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    return PeftModel.from_pretrained(model, str(adapter), is_trainable=True)


def build_trainer(plan: TrainingPlan, callbacks: Sequence[Any] = (), **overrides: Any) -> Any:
    """TRL's ``GRPOTrainer`` for the plan: our tools, rubric reward and (unless full) LoRA.

    With ``init_adapter`` (a LoRA adapter), training continues that adapter (no new LoRA).
    """
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import GRPOTrainer

    from finbehave.models.chat_format import ensure_tool_template

    base = resolve_model(plan.recipe)
    tokenizer = render_tools_as_evaluated(ensure_tool_template(AutoTokenizer.from_pretrained(base)))
    reward = plan.reward()
    model: Any = base
    peft_config = None
    init = plan.recipe.init_adapter
    if init is not None and init_kind(Path(init)) == "adapter":
        model = _adapted_model(plan, base)
        overrides = {"model_init_kwargs": None, **overrides}
    elif not plan.recipe.full_finetune:
        peft_config = plan.recipe.lora.peft_config()
    with warnings.catch_warnings():  # environment_factory is experimental in TRL; we pin TRL
        warnings.filterwarnings("ignore", "You are using 'environment_factory'", UserWarning)
        return GRPOTrainer(
            model=model,
            reward_funcs=reward.functions(),
            args=grpo_config(plan, reward, **overrides),
            train_dataset=Dataset.from_list(training_rows(plan.items, plan.store)),
            processing_class=tokenizer,
            peft_config=peft_config,
            environment_factory=FinQAToolEnv,
            callbacks=list(callbacks),
        )


def train(
    recipe_path: str | Path,
    diagnosis_path: str | Path | None = None,
    output_dir: str | Path | None = None,
    resume: bool = False,
    allow_eval_only: bool = False,
    progress: Progress | None = None,
    init_adapter: str | Path | None = None,
    reward_weights: WeightsChoice | None = None,
) -> TrainResult:
    """Run GRPO for a recipe (see the module docstring for errors and outputs).

    ``init_adapter`` and ``reward_weights`` override the recipe's (see :func:`plan_run`).
    """
    plan = plan_run(
        recipe_path, diagnosis_path, output_dir, allow_eval_only, init_adapter, reward_weights
    )
    checkpoint = check_run_state(
        plan.output_dir, plan.recipe.digest(exclude_max_steps=True), resume, "grpo.max_steps"
    )
    base = resolve_model(plan.recipe)
    outcome = run_trainer(
        plan.output_dir,
        checkpoint,
        lambda callbacks, overrides: build_trainer(plan, callbacks, **overrides),
        lambda **state: run_card(plan, base, **state),
        plan.recipe.full_finetune,
        progress,
        plan.recipe.grpo.threads,
    )
    card = outcome.card
    return TrainResult(
        output_dir=plan.output_dir,
        run_card=plan.output_dir / RUN_CARD,
        global_step=outcome.global_step,
        items=card["items"],
        eval_model=card["eval_model"],
        eval_model_args=card["eval_model_args"],
        adapter_dir=outcome.adapter_dir,
        model_dir=outcome.model_dir,
        resumed_from=checkpoint,
        last_log=outcome.last_log,
    )
