"""Training recipes: a YAML file, validated here (pydantic, unknown fields refused).

Every problem becomes a one-line ``RecipeError`` naming the file, the field and the fix. The
fields and their defaults are below; ``training/README.md`` walks through them. Paths in a recipe
(``model``, ``rubric``, ``output_dir``) are relative to the working directory, like every path
the CLI takes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from finbehave.data.items import TaskName
from finbehave.training.reward import check_weights
from finbehave.validation import one_line
from finbehave.vocab import DEFAULT_TOLERANCE, EMBEDDED
from finbehave.yamlio import YamlError, load_yaml

SMOLLM2 = "smollm2"


class RecipeError(ValueError):
    """A training recipe is invalid; the message is one line and names the fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemsSpec(_Strict):
    """Which items to train on and in what order."""

    source: Literal["diagnosis", "all"] = Field(
        default="diagnosis",
        description="diagnosis: the diagnosis' target train items; all: every train-split item.",
    )
    order: Literal["curriculum", "shuffle"] = Field(
        default="curriculum",
        description="curriculum: single-table items first, then multi-table, in that order; "
        "shuffle: TRL's shuffled sampling.",
    )
    tasks: list[TaskName] = Field(
        default_factory=lambda: ["finqa", "finqa_reasoning"], min_length=1
    )
    max_items: int | None = Field(default=None, ge=1, description="Keep the first N items.")


class LoraSpec(_Strict):
    """PEFT LoRA settings (ignored with ``full_finetune: true``)."""

    r: int = Field(default=16, ge=1)
    alpha: int = Field(default=32, ge=1)
    dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = "all-linear"
    layers_to_transform: list[int] | None = Field(
        default=None,
        description="Adapt only these layers (indices from 0); the backward pass then stops at "
        "the lowest of them. Needs target_modules as a list of module names.",
    )

    @model_validator(mode="after")
    def _layers_need_names(self) -> LoraSpec:
        if self.layers_to_transform is not None and self.target_modules == "all-linear":
            raise ValueError(
                "layers_to_transform needs target_modules as a list of module names, e.g. "
                "[q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]"
            )
        return self

    def peft_config(self) -> Any:
        """The PEFT ``LoraConfig`` for a causal LM."""
        from peft import LoraConfig

        return LoraConfig(
            r=self.r,
            lora_alpha=self.alpha,
            lora_dropout=self.dropout,
            target_modules=self.target_modules,
            layers_to_transform=self.layers_to_transform,
            task_type="CAUSAL_LM",
        )


class RunSpec(_Strict):
    """Settings every trainer has (TRL config names): precision, device, seed, saving, logging."""

    bf16: bool = False
    use_cpu: bool = False
    gradient_checkpointing: bool = False
    seed: int = 0
    threads: int | None = Field(
        default=None,
        ge=1,
        description="torch CPU threads (default: the cores less one, shared between processes; "
        "see finbehave.models.threads).",
    )
    save_steps: int = Field(default=50, ge=1)
    save_total_limit: int | None = Field(default=3, ge=1)
    logging_steps: int = Field(default=1, ge=1)
    report_to: list[str] = Field(
        default_factory=list, description="Trackers, e.g. [tensorboard] or [wandb]."
    )


class GRPOSpec(RunSpec):
    """The GRPO settings passed to TRL's ``GRPOConfig`` (same names)."""

    num_generations: int = Field(default=4, ge=2, description="Rollouts per prompt (the group).")
    max_completion_length: int = Field(
        default=1024, ge=16, description="Token budget of a whole rollout, tool results included."
    )
    max_tool_calling_iterations: int = Field(default=10, ge=1)
    learning_rate: float = Field(default=1e-5, gt=0)
    max_steps: int = Field(default=100, ge=1)
    per_device_train_batch_size: int = Field(
        default=4, ge=1, description="Completions per device per step (prompts x generations)."
    )
    gradient_accumulation_steps: int = Field(default=1, ge=1)
    temperature: float = Field(default=1.0, gt=0)
    beta: float = Field(default=0.0, ge=0, description="KL coefficient (0: no reference model).")
    use_vllm: bool = False
    vllm_mode: Literal["colocate", "server"] = "colocate"
    vllm_gpu_memory_utilization: float = Field(default=0.3, gt=0, le=1)

    @model_validator(mode="after")
    def _consistent(self) -> GRPOSpec:
        batch = self.per_device_train_batch_size * self.gradient_accumulation_steps
        if batch % self.num_generations:
            raise ValueError(
                f"per_device_train_batch_size x gradient_accumulation_steps ({batch}) must be a "
                f"multiple of num_generations ({self.num_generations})"
            )
        if self.use_cpu and self.use_vllm:
            raise ValueError("use_cpu: true needs use_vllm: false (vLLM needs a GPU)")
        return self


class Recipe(_Strict):
    """A whole training recipe."""

    model: str = Field(
        default=SMOLLM2,
        description="smollm2 (offline SmolLM2-135M-Instruct), a model directory, or a HF id.",
    )
    dataset: str = Field(default=EMBEDDED, description="Dataset name or directory.")
    rubric: str | None = Field(default=None, description="Rubric YAML; null: packaged default.")
    tolerance: float = Field(
        default=DEFAULT_TOLERANCE, gt=0, description="Relative tolerance for answers."
    )
    output_dir: str | None = Field(
        default=None, description="Where the run goes; null: outputs/<recipe file stem>."
    )
    items: ItemsSpec = Field(default_factory=ItemsSpec)
    reward_weights: dict[str, float] | None = Field(
        default=None, description="Behaviour -> weight; overrides the diagnosis' weights."
    )
    full_finetune: bool = Field(default=False, description="Train all weights instead of LoRA.")
    init_adapter: str | None = Field(
        default=None,
        description="Start from a warm start: a LoRA adapter directory to continue training "
        "(e.g. `finbehave sft`'s adapter/; trained on `model`), or a full model directory.",
    )
    lora: LoraSpec = Field(default_factory=LoraSpec)
    grpo: GRPOSpec = Field(default_factory=GRPOSpec)

    @field_validator("reward_weights")
    @classmethod
    def _weights(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        return check_weights(value) if value is not None else None

    def digest(self, exclude_max_steps: bool = False) -> str:
        """Short sha256 of the canonical recipe (optionally without ``grpo.max_steps``).

        ``grpo.threads`` is left out: it changes speed, not the run.
        """
        data = self.model_dump(mode="json", exclude={"grpo": {"threads"}})
        if exclude_max_steps:
            data["grpo"].pop("max_steps")
        return digest_of(data)


def digest_of(data: dict[str, Any]) -> str:
    """Short sha256 of a recipe's canonical JSON."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


RecipeT = TypeVar("RecipeT", bound=BaseModel)


def parse_recipe(raw: Any, source: str, kind: type[RecipeT] = Recipe) -> RecipeT:  # type: ignore[assignment]
    """Validate a recipe mapping as ``kind``; ``source`` names the file in errors."""
    if not isinstance(raw, dict):
        raise RecipeError(f"{source}: expected a mapping of recipe fields; see training/README.md")
    try:
        return kind.model_validate(raw)
    except ValidationError as exc:
        fix = "see training/README.md for the allowed values"
        raise RecipeError(f"{source}: {one_line(exc, kind, otherwise=fix)}") from None


def load_recipe(path: str | Path, kind: type[RecipeT] = Recipe) -> RecipeT:  # type: ignore[assignment]
    """Load and validate a recipe YAML file (a GRPO ``Recipe`` unless ``kind`` says otherwise)."""
    try:
        raw = load_yaml(Path(path), "training recipe")
    except YamlError as exc:
        raise RecipeError(str(exc)) from None
    return parse_recipe(raw, str(path), kind)


class _HasOutputDir(Protocol):
    @property
    def output_dir(self) -> str | None: ...


def default_output_dir(recipe: _HasOutputDir, path: str | Path) -> Path:
    """``recipe.output_dir`` or ``outputs/<recipe file stem>``."""
    return Path(recipe.output_dir) if recipe.output_dir else Path("outputs") / Path(path).stem
