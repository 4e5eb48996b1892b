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
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from finbehave.data.items import Item
from finbehave.data.store import DatasetStore, load_dataset
from finbehave.diagnosis import Diagnosis, DiagnosisError, load_diagnosis
from finbehave.files import write_text_atomic
from finbehave.rubrics.spec import Rubric, load_rubric
from finbehave.training.environment import FinQAToolEnv
from finbehave.training.items import select_items, training_rows
from finbehave.training.recipe import SMOLLM2, Recipe, default_output_dir, load_recipe
from finbehave.training.reward import RubricReward, check_weights, uniform_weights

Progress = Callable[[dict[str, Any]], None]
RUN_CARD = "run_card.json"
LOG_HISTORY = "log_history.jsonl"
PACKAGES = ("finbehave", "trl", "transformers", "peft", "torch", "accelerate", "datasets")
PACKAGES += ("inspect_ai", "vllm", "deepspeed")


class RunStateError(ValueError):
    """The output directory does not fit the request (nothing to resume, or not resumable)."""


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
        return self.output_dir / "checkpoints"

    def reward(self) -> RubricReward:
        return RubricReward(self.rubric, self.weights, self.recipe.tolerance)


@dataclass
class TrainResult:
    """What a run produced."""

    output_dir: Path
    run_card: Path
    global_step: int
    items: list[str]
    eval_model: str
    eval_model_args: dict[str, str]
    adapter_dir: Path | None = None
    model_dir: Path | None = None
    resumed_from: Path | None = None
    last_log: dict[str, Any] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def plan_run(
    recipe_path: str | Path,
    diagnosis_path: str | Path | None = None,
    output_dir: str | Path | None = None,
    allow_eval_only: bool = False,
) -> TrainingPlan:
    """Load and check recipe, diagnosis, rubric, dataset and items (no torch needed)."""
    recipe_path = Path(recipe_path)
    recipe = load_recipe(recipe_path)
    diagnosis = load_diagnosis(diagnosis_path) if diagnosis_path is not None else None
    rubric = load_rubric(recipe.rubric)
    if diagnosis is not None and diagnosis.rubric_version != rubric.version:
        raise DiagnosisError(
            f"{diagnosis_path}: made with rubric version {diagnosis.rubric_version}, but the "
            f"recipe's rubric is {rubric.version}; rescore and re-report with this rubric, or set "
            "the recipe's rubric: to the one the diagnosis used"
        )
    if recipe.reward_weights is not None:
        weights, source = dict(recipe.reward_weights), "recipe"
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


def last_checkpoint(plan: TrainingPlan) -> Path | None:
    """The newest complete ``checkpoint-N`` directory of the run, if any.

    Transformers writes a checkpoint in place and ``trainer_state.json`` last, so a run killed
    while saving leaves a directory without it: such a directory is not resumed from.
    """
    found = [
        p
        for p in plan.checkpoints.glob("checkpoint-*")
        if p.name[11:].isdigit() and (p / "trainer_state.json").is_file()
    ]
    return max(found, key=lambda p: int(p.name[11:])) if found else None


def _check_run_state(plan: TrainingPlan, resume: bool) -> Path | None:
    checkpoint = last_checkpoint(plan)
    if not resume:
        if checkpoint is not None:
            raise RunStateError(
                f"{plan.output_dir} already has checkpoints; pass --resume to continue that run "
                "or choose another --output"
            )
        return None
    if checkpoint is None:
        raise RunStateError(
            f"{plan.output_dir} has no checkpoint to resume from; run without --resume"
        )
    card = plan.output_dir / RUN_CARD
    previous = json.loads(card.read_text(encoding="utf-8")) if card.is_file() else {}
    if previous.get("recipe_digest") != plan.recipe.digest(exclude_max_steps=True):
        raise RunStateError(
            f"{plan.output_dir} was trained with a different recipe (only grpo.max_steps may "
            "change on --resume); start a new run with another --output"
        )
    return checkpoint


def resolve_model(recipe: Recipe) -> str:
    """The model directory or hub id to load (``smollm2`` becomes the offline local copy)."""
    if recipe.model == SMOLLM2:
        from finbehave.models.smollm2 import default_model_dir

        return str(default_model_dir())
    path = Path(recipe.model).expanduser()
    return str(path.resolve()) if path.is_dir() else recipe.model


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name.replace("_", "-"))
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _eval_model(plan: TrainingPlan, base: str) -> tuple[str, dict[str, str]]:
    out = plan.output_dir.resolve()
    if plan.recipe.full_finetune:
        return f"finbehave/local/{out / 'model'}", {}
    model = "finbehave/local" if plan.recipe.model == SMOLLM2 else f"finbehave/local/{base}"
    return model, {"adapter": str(out / "adapter")}


def run_card(plan: TrainingPlan, base: str, **state: Any) -> dict[str, Any]:
    """The run card: what was trained, from what, with which settings and software."""
    model, model_args = _eval_model(plan, base)
    diagnosis = None
    if plan.diagnosis is not None and plan.diagnosis_path is not None:
        path = plan.diagnosis_path
        path = path / "diagnosis.json" if path.is_dir() else path
        diagnosis = {
            "path": str(path),
            "sha256": _sha256(path),
            "subject": plan.diagnosis.subject,
            "rubric_version": plan.diagnosis.rubric_version,
        }
    return {
        "recipe_path": str(plan.recipe_path),
        "recipe_sha256": _sha256(plan.recipe_path),
        "recipe_digest": plan.recipe.digest(exclude_max_steps=True),
        "recipe": plan.recipe.model_dump(mode="json"),
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
        "base_model": base,
        "eval_model": model,
        "eval_model_args": model_args,
        "eval_command": " ".join(
            ["inspect eval finbehave/finqa", f"--model {model}"]
            + [f"-M {k}={v}" for k, v in model_args.items()]
        ),
        "versions": _versions(),
        "command": sys.argv,
        **state,
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


def _trim_log(path: Path, max_step: int) -> None:
    """Drop log lines past ``max_step`` (they belong to steps a resumed run redoes)."""
    if path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if line and json.loads(line).get("step", 0) <= max_step]
        path.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")


def _run_log_callback(path: Path, progress: Progress | None) -> Any:
    from transformers import TrainerCallback

    class RunLog(TrainerCallback):
        """Appends each TRL log dict to ``log_history.jsonl`` and reports it to ``progress``."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            entry = {"step": state.global_step, "max_steps": state.max_steps, **(logs or {})}
            with path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, default=float) + "\n")
            if progress is not None:
                progress(entry)

    return RunLog()


def grpo_config(plan: TrainingPlan, reward: RubricReward, **overrides: Any) -> Any:
    """TRL's ``GRPOConfig`` for the plan (``overrides`` replace any field)."""
    from dataclasses import fields

    from trl import GRPOConfig

    grpo = plan.recipe.grpo
    names = {f.name for f in fields(GRPOConfig)}
    settings: dict[str, Any] = grpo.model_dump(exclude={"report_to", "gradient_checkpointing"})
    # transformers 5 renamed gradient_checkpointing (TRL defaults it to True; so do we not)
    checkpointing = "activation_checkpointing" if "activation_checkpointing" in names else None
    settings[checkpointing or "gradient_checkpointing"] = grpo.gradient_checkpointing
    settings.update(
        output_dir=str(plan.checkpoints),
        report_to=grpo.report_to or "none",
        save_strategy="steps",
        reward_weights=reward.trl_weights(),
        shuffle_dataset=plan.recipe.items.order == "shuffle",
        model_init_kwargs={"dtype": "bfloat16" if grpo.bf16 else "float32"},
    )
    if "multi_objective_aggregation" in names:
        settings["multi_objective_aggregation"] = "sum_then_normalize"  # reward = collapse
    settings.update(overrides)
    return GRPOConfig(**settings)


def build_trainer(plan: TrainingPlan, callbacks: Sequence[Any] = (), **overrides: Any) -> Any:
    """TRL's ``GRPOTrainer`` for the plan: our tools, rubric reward and (unless full) LoRA."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoTokenizer
    from trl import GRPOTrainer

    from finbehave.models.chat_format import ensure_tool_template

    base = resolve_model(plan.recipe)
    tokenizer = ensure_tool_template(AutoTokenizer.from_pretrained(base))
    reward = plan.reward()
    lora = plan.recipe.lora
    peft_config = None
    if not plan.recipe.full_finetune:
        peft_config = LoraConfig(
            r=lora.r,
            lora_alpha=lora.alpha,
            lora_dropout=lora.dropout,
            target_modules=lora.target_modules,
            task_type="CAUSAL_LM",
        )
    with warnings.catch_warnings():  # environment_factory is experimental in TRL; we pin TRL
        warnings.filterwarnings("ignore", "You are using 'environment_factory'", UserWarning)
        return GRPOTrainer(
            model=base,
            reward_funcs=reward.functions(),
            args=grpo_config(plan, reward, **overrides),
            train_dataset=Dataset.from_list(training_rows(plan.items, plan.store)),
            processing_class=tokenizer,
            peft_config=peft_config,
            environment_factory=FinQAToolEnv,
            callbacks=list(callbacks),
        )


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def train(
    recipe_path: str | Path,
    diagnosis_path: str | Path | None = None,
    output_dir: str | Path | None = None,
    resume: bool = False,
    allow_eval_only: bool = False,
    progress: Progress | None = None,
) -> TrainResult:
    """Run GRPO for a recipe (see the module docstring for errors and outputs)."""
    plan = plan_run(recipe_path, diagnosis_path, output_dir, allow_eval_only)
    checkpoint = _check_run_state(plan, resume)
    plan.output_dir.mkdir(parents=True, exist_ok=True)
    log_path = plan.output_dir / LOG_HISTORY
    if checkpoint is None:
        log_path.unlink(missing_ok=True)
    else:
        _trim_log(log_path, int(checkpoint.name.split("-")[-1]))
    overrides = {"disable_tqdm": True} if progress is not None else {}
    trainer = build_trainer(plan, [_run_log_callback(log_path, progress)], **overrides)
    if progress is not None:
        from transformers import PrinterCallback

        trainer.remove_callback(PrinterCallback)  # progress reports instead
    base = resolve_model(plan.recipe)
    card_path = plan.output_dir / RUN_CARD
    started = {"started": _now(), "resumed_from": checkpoint}
    _write_json(card_path, run_card(plan, base, status="running", **started))
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    adapter_dir = model_dir = None
    if plan.recipe.full_finetune:
        model_dir = plan.output_dir / "model"
        trainer.save_model(str(model_dir))  # with the tokenizer and its tool template
    else:
        adapter_dir = plan.output_dir / "adapter"
        trainer.save_model(str(adapter_dir))
    step = trainer.state.global_step
    card = run_card(plan, base, **started, status="finished", finished=_now(), global_step=step)
    _write_json(card_path, card)
    history = trainer.state.log_history
    return TrainResult(
        output_dir=plan.output_dir,
        run_card=card_path,
        global_step=step,
        items=card["items"],
        eval_model=card["eval_model"],
        eval_model_args=card["eval_model_args"],
        adapter_dir=adapter_dir,
        model_dir=model_dir,
        resumed_from=checkpoint,
        last_log=dict(history[-1]) if history else {},
    )
