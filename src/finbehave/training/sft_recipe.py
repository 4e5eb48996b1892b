"""SFT recipes (``finbehave sft --recipe``): a YAML file, validated like GRPO recipes.

Unknown fields and bad values are one-line ``RecipeError`` messages naming the file, the field
and the fix. ``model``, ``output_dir``, ``full_finetune`` and ``lora`` mean what they mean in a
GRPO recipe (the ``lora`` section is the same model); ``sft:`` keeps the names of TRL's
``SFTConfig``. ``training/README.md`` walks through the fields.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from finbehave.training.recipe import SMOLLM2, LoraSpec, RunSpec, digest_of

RESUMABLE = ("sft.max_steps", "sft.num_train_epochs")  # may change on --resume


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SFTSpec(RunSpec):
    """The settings passed to TRL's ``SFTConfig`` (same names), plus how long traces are handled.

    Precision, device, seed, saving and logging fields are :class:`RunSpec`'s, as for GRPO.
    """

    learning_rate: float = Field(default=2e-4, gt=0)
    num_train_epochs: float = Field(default=1.0, gt=0, description="Passes over the traces.")
    max_steps: int | None = Field(
        default=None, ge=1, description="Optimizer steps; overrides num_train_epochs when set."
    )
    per_device_train_batch_size: int = Field(default=1, ge=1, description="Traces per step.")
    gradient_accumulation_steps: int = Field(default=1, ge=1)
    max_length: int = Field(
        default=4096,
        ge=32,
        description="Token limit of one trace (the whole rendered conversation, tool schemas "
        "included, up to its last assistant turn).",
    )
    too_long: Literal["drop", "truncate"] = Field(
        default="drop",
        description="drop: leave longer traces out (counted in the run card); truncate: keep "
        "their first max_length tokens.",
    )
    lr_scheduler_type: Literal["linear", "cosine", "constant", "constant_with_warmup"] = "linear"
    warmup_steps: float = Field(default=0.0, ge=0, description="Steps, or a fraction when < 1.")
    weight_decay: float = Field(default=0.0, ge=0)
    max_grad_norm: float = Field(default=1.0, gt=0)


class SFTRecipe(_Strict):
    """A whole SFT recipe."""

    model: str = Field(
        default=SMOLLM2,
        description="smollm2 (offline SmolLM2-135M-Instruct), a model directory, or a HF id.",
    )
    rubric: str | None = Field(
        default=None,
        description="Rubric YAML to re-score every trace with before --where filters; null: the "
        "scores in the logs (logs without them are scored with the packaged rubric).",
    )
    output_dir: str | None = Field(
        default=None, description="Where the run goes; null: outputs/<recipe file stem>."
    )
    full_finetune: bool = Field(default=False, description="Train all weights instead of LoRA.")
    lora: LoraSpec = Field(default_factory=LoraSpec)
    sft: SFTSpec = Field(default_factory=SFTSpec)

    def digest(self, exclude_length: bool = False) -> str:
        """Short sha256 of the canonical recipe (optionally without the run-length fields).

        ``sft.threads`` is left out: it changes speed, not the run.
        """
        data = self.model_dump(mode="json", exclude={"sft": {"threads"}})
        if exclude_length:
            for field in RESUMABLE:
                data["sft"].pop(field.split(".")[1])
        return digest_of(data)
