"""``finbehave sft``: a supervised warm start from Inspect logs (TRL ``SFTTrainer`` + PEFT LoRA).

Rejection-sampling fine-tuning: select traces from any model's logs by run and behaviour scores
(:mod:`finbehave.training.traces`), render them with the chat format ``finbehave/local`` and GRPO
use (:mod:`finbehave.training.sft_data`), and train on the assistant turns only. The CLI calls::

    sft(recipe_path, logs, where=None, runs=(), output_dir=None, resume=False,
        allow_eval_only=False, progress=None) -> SFTResult

Bad input is found before the output directory is touched and raised as a one-line
``ValueError`` subclass: ``RecipeError``, ``FilterError``, ``TraceSelectionError``,
``ItemSelectionError`` (test-split, held-out or eval-only traces), ``RubricError``,
``DatasetError``, ``RunStateError``. Outputs (default ``outputs/<recipe stem>``) are those of
``finbehave train`` (:mod:`finbehave.training.runs`): ``run_card.json``, ``log_history.jsonl``,
``checkpoints/``, and ``adapter/`` (evaluate with ``-M adapter=``; a GRPO recipe continues it
with ``init_adapter:``) or ``model/`` with ``full_finetune``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finbehave.training.filters import parse_filter
from finbehave.training.recipe import RecipeError, default_output_dir, digest_of, load_recipe
from finbehave.training.runs import (
    CHECKPOINTS,
    RUN_CARD,
    Progress,
    RunResult,
    card_basics,
    check_run_state,
    config_settings,
    eval_target,
    resolve_model,
    run_trainer,
)
from finbehave.training.sft_data import TraceRenderError, sft_example
from finbehave.training.sft_recipe import RESUMABLE, SFTRecipe
from finbehave.training.traces import Trace, TraceSelectionError, TraceSet, collect_traces


@dataclass
class SFTPlan:
    """A validated SFT run: recipe, selected traces and their tokenized examples."""

    recipe: SFTRecipe
    recipe_path: Path
    output_dir: Path
    base: str
    traces: TraceSet
    where: str | None
    runs: list[str]
    examples: list[dict[str, list[int]]] = field(default_factory=list)
    used: list[Trace] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)

    @property
    def trained_tokens(self) -> int:
        return sum(sum(example["assistant_masks"]) for example in self.examples)

    @property
    def tokens(self) -> int:
        return sum(len(example["input_ids"]) for example in self.examples)


@dataclass(kw_only=True)
class SFTResult(RunResult):
    """What an SFT run produced: also the traces, tokens and what was left out."""

    traces: int
    left_out: dict[str, int] = field(default_factory=dict)
    tokens: int = 0
    trained_tokens: int = 0


def load_tokenizer(base: str) -> Any:
    """The base model's tokenizer with the tool-capable chat template inference uses."""
    from transformers import AutoTokenizer

    from finbehave.models.chat_format import ensure_tool_template

    return ensure_tool_template(AutoTokenizer.from_pretrained(base))


def tokenize_traces(plan: SFTPlan, tokenizer: Any) -> None:
    """Fill ``plan.examples`` (one per usable trace); count what is left out and why."""
    spec = plan.recipe.sft
    for trace in plan.traces.traces:
        try:
            example = sft_example(tokenizer, trace.messages, trace.tools)
        except TraceRenderError:
            plan.left_out["unrenderable"] += 1
            continue
        if not any(example["assistant_masks"]):
            plan.left_out["no assistant turn"] += 1
            continue
        if len(example["input_ids"]) > spec.max_length:
            if spec.too_long == "drop":
                plan.left_out[f"longer than {spec.max_length} tokens"] += 1
                continue
            example = {key: value[: spec.max_length] for key, value in example.items()}
        plan.examples.append(example)
        plan.used.append(trace)
    if not plan.examples:
        reasons = ", ".join(f"{n} {why}" for why, n in plan.left_out.items())
        raise TraceSelectionError(
            f"none of the {len(plan.traces.traces)} selected traces can be trained on ({reasons});"
            " raise sft.max_length or set sft.too_long: truncate"
        )


def plan_sft(
    recipe_path: str | Path,
    logs: Sequence[str | Path],
    where: str | None = None,
    runs: Sequence[str] = (),
    output_dir: str | Path | None = None,
    allow_eval_only: bool = False,
) -> SFTPlan:
    """Check the recipe, the filter, the logs and the traces, and tokenize them."""
    recipe_path = Path(recipe_path)
    recipe = load_recipe(recipe_path, SFTRecipe)
    if recipe.rubric is not None and not Path(recipe.rubric).is_file():
        raise RecipeError(f"{recipe_path}: field rubric: {recipe.rubric} does not exist; fix it")
    trace_filter = parse_filter(where)
    traces = collect_traces(
        [Path(p) for p in logs],
        trace_filter,
        runs,
        Path(recipe.rubric) if recipe.rubric else None,
        allow_eval_only,
    )
    base = resolve_model(recipe.model)
    plan = SFTPlan(
        recipe=recipe,
        recipe_path=recipe_path,
        output_dir=Path(output_dir) if output_dir else default_output_dir(recipe, recipe_path),
        base=base,
        traces=traces,
        where=trace_filter.text if trace_filter else None,
        runs=list(runs),
    )
    tokenize_traces(plan, load_tokenizer(base))
    return plan


def sft_config(plan: SFTPlan, **overrides: Any) -> Any:
    """TRL's ``SFTConfig`` for the plan (``overrides`` replace any field)."""
    from trl import SFTConfig

    spec = plan.recipe.sft
    settings = config_settings(SFTConfig, spec, exclude=("max_length", "too_long", "max_steps"))
    settings.update(
        output_dir=str(plan.output_dir / CHECKPOINTS),
        save_strategy="steps",
        max_steps=spec.max_steps or -1,
        max_length=None,  # traces are cut (or dropped) when tokenized
        model_init_kwargs={"dtype": "bfloat16" if spec.bf16 else "float32"},
    )
    settings.update(overrides)
    return SFTConfig(**settings)


def build_sft_trainer(plan: SFTPlan, callbacks: Sequence[Any] = (), **overrides: Any) -> Any:
    """TRL's ``SFTTrainer`` on the plan's pre-tokenized examples, with LoRA unless full."""
    from datasets import Dataset
    from trl import SFTTrainer

    peft_config = None if plan.recipe.full_finetune else plan.recipe.lora.peft_config()
    return SFTTrainer(
        model=plan.base,
        args=sft_config(plan, **overrides),
        train_dataset=Dataset.from_list(plan.examples),
        processing_class=load_tokenizer(plan.base),
        peft_config=peft_config,
        callbacks=list(callbacks),
    )


def run_digest(plan: SFTPlan) -> str:
    """The recipe (without its run length) and the traces trained on: what --resume must keep."""
    recipe = plan.recipe.digest(exclude_length=True)
    return digest_of({"recipe": recipe, "traces": [trace.ref() for trace in plan.used]})


def run_card(plan: SFTPlan, **state: Any) -> dict[str, Any]:
    """The SFT run card: recipe, selection, traces used and left out, tokens, software."""
    return {
        **card_basics(plan.recipe_path, plan.recipe, run_digest(plan), plan.base),
        "logs": plan.traces.logs,
        "where": plan.where,
        "runs": plan.runs,
        "samples_read": plan.traces.samples,
        "samples_per_run": plan.traces.runs,
        "samples_skipped": plan.traces.skipped,
        "rescored": plan.traces.rescored,
        "traces_selected": len(plan.traces.traces),
        "traces_left_out": dict(plan.left_out),
        "traces": [trace.ref() for trace in plan.used],
        "items": sorted({trace.item.id for trace in plan.used}),
        "tokens": plan.tokens,
        "trained_tokens": plan.trained_tokens,
        "seed": plan.recipe.sft.seed,
        **eval_target(plan.output_dir, plan.recipe.full_finetune, plan.recipe.model, plan.base),
        **state,
    }


def sft(
    recipe_path: str | Path,
    logs: Sequence[str | Path],
    where: str | None = None,
    runs: Sequence[str] = (),
    output_dir: str | Path | None = None,
    resume: bool = False,
    allow_eval_only: bool = False,
    progress: Progress | None = None,
) -> SFTResult:
    """Run SFT for a recipe on selected traces (see the module docstring)."""
    plan = plan_sft(recipe_path, logs, where, runs, output_dir, allow_eval_only)
    checkpoint = check_run_state(
        plan.output_dir, run_digest(plan), resume, " and ".join(RESUMABLE), "recipe or traces"
    )
    outcome = run_trainer(
        plan.output_dir,
        checkpoint,
        lambda callbacks, overrides: build_sft_trainer(plan, callbacks, **overrides),
        lambda **state: run_card(plan, **state),
        plan.recipe.full_finetune,
        progress,
        plan.recipe.sft.threads,
    )
    return SFTResult(
        output_dir=plan.output_dir,
        run_card=plan.output_dir / RUN_CARD,
        global_step=outcome.global_step,
        traces=len(plan.used),
        eval_model=outcome.card["eval_model"],
        eval_model_args=outcome.card["eval_model_args"],
        adapter_dir=outcome.adapter_dir,
        model_dir=outcome.model_dir,
        resumed_from=checkpoint,
        last_log=outcome.last_log,
        left_out=dict(plan.left_out),
        tokens=plan.tokens,
        trained_tokens=plan.trained_tokens,
    )
