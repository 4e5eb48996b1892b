"""What every training run shares (``finbehave train`` GRPO and ``finbehave sft``).

One output directory per run: ``run_card.json`` (status ``running`` then ``finished``),
``log_history.jsonl`` (one TRL log dict per line), ``checkpoints/checkpoint-N`` (what
``--resume`` continues from; complete checkpoints only) and ``adapter/`` (LoRA) or ``model/``
(full fine-tuning). :func:`run_trainer` drives a built TRL trainer through that life cycle.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from finbehave.files import write_text_atomic
from finbehave.vocab import LOG_HISTORY, RUN_CARD

Progress = Callable[[dict[str, Any]], None]
CHECKPOINTS = "checkpoints"
ADAPTER = "adapter"
FULL_MODEL = "model"
SMOLLM2 = "smollm2"
PACKAGES = ("finbehave", "trl", "transformers", "peft", "torch", "accelerate", "datasets")
PACKAGES += ("inspect_ai", "vllm", "deepspeed")


class RunStateError(ValueError):
    """The output directory does not fit the request (nothing to resume, or not resumable)."""


def sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def now() -> str:
    """UTC now, ISO 8601 to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def versions() -> dict[str, str | None]:
    """Python and the training stack's package versions (None: not installed)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name.replace("_", "-"))
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON, atomically."""
    write_text_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


def resolve_model(model: str) -> str:
    """The model directory or hub id to load (``smollm2`` becomes the offline local copy)."""
    if model == SMOLLM2:
        from finbehave.models.smollm2 import default_model_dir

        return str(default_model_dir())
    path = Path(model).expanduser()
    return str(path.resolve()) if path.is_dir() else model


def last_checkpoint(checkpoints: Path) -> Path | None:
    """The newest complete ``checkpoint-N`` directory under ``checkpoints``, if any.

    Transformers writes a checkpoint in place and ``trainer_state.json`` last, so a run killed
    while saving leaves a directory without it: such a directory is not resumed from.
    """
    found = [
        p
        for p in checkpoints.glob("checkpoint-*")
        if p.name[11:].isdigit() and (p / "trainer_state.json").is_file()
    ]
    return max(found, key=lambda p: int(p.name[11:])) if found else None


def check_run_state(
    output_dir: Path, digest: str, resume: bool, may_change: str, what: str = "recipe"
) -> Path | None:
    """The checkpoint to resume from (None: a fresh run); refuses what does not fit.

    ``digest`` identifies the ``what`` of the run (the recipe without the fields named in
    ``may_change``, and for SFT the traces); a resumed run must have the run card's digest.
    """
    checkpoint = last_checkpoint(output_dir / CHECKPOINTS)
    if not resume:
        if checkpoint is not None:
            raise RunStateError(
                f"{output_dir} already has checkpoints; pass --resume to continue that run "
                "or choose another --output"
            )
        return None
    if checkpoint is None:
        raise RunStateError(f"{output_dir} has no checkpoint to resume from; run without --resume")
    card = output_dir / RUN_CARD
    previous = json.loads(card.read_text(encoding="utf-8")) if card.is_file() else {}
    if previous.get("recipe_digest") != digest:
        raise RunStateError(
            f"{output_dir} was trained with a different {what} (only {may_change} may change on "
            "--resume); start a new run with another --output"
        )
    return checkpoint


def eval_target(output_dir: Path, full_finetune: bool, model: str, base: str) -> dict[str, Any]:
    """How to evaluate a run's result: the Inspect model string, its ``-M`` args, the command."""
    out = output_dir.resolve()
    if full_finetune:
        name, args = f"finbehave/local/{out / FULL_MODEL}", {}
    else:
        name = "finbehave/local" if model == SMOLLM2 else f"finbehave/local/{base}"
        args = {"adapter": str(out / ADAPTER)}
    command = " ".join(
        ["inspect eval finbehave/finqa", f"--model {name}"]
        + [f"-M {k}={v}" for k, v in args.items()]
    )
    return {"eval_model": name, "eval_model_args": args, "eval_command": command}


def config_settings(config_class: type, spec: Any, exclude: Sequence[str] = ()) -> dict[str, Any]:
    """A TRL config's fields from a recipe section that uses the same names.

    ``gradient_checkpointing`` goes to the field this transformers version has for it (TRL
    defaults it to True; our recipes do not) and an empty ``report_to`` becomes ``"none"``.
    """
    from dataclasses import fields

    names = {f.name for f in fields(config_class)}
    settings: dict[str, Any] = spec.model_dump(
        exclude={"report_to", "gradient_checkpointing", "threads", *exclude}
    )
    checkpointing = "activation_checkpointing" if "activation_checkpointing" in names else None
    settings[checkpointing or "gradient_checkpointing"] = spec.gradient_checkpointing
    settings["report_to"] = spec.report_to or "none"
    return settings


def card_basics(recipe_path: Path, recipe: Any, digest: str, base: str) -> dict[str, Any]:
    """The run-card fields every run has: the recipe (file hash, digest, content), base, software."""
    return {
        "recipe_path": str(recipe_path),
        "recipe_sha256": sha256(recipe_path),
        "recipe_digest": digest,
        "recipe": recipe.model_dump(mode="json"),
        "base_model": base,
        "versions": versions(),
        "command": sys.argv,
    }


def _trim_log(path: Path, max_step: int) -> None:
    """Drop log lines past ``max_step`` (they belong to steps a resumed run redoes)."""
    if path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if line and json.loads(line).get("step", 0) <= max_step]
        path.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")


def _run_log_callback(path: Path, progress: Progress | None) -> Any:
    from transformers import TrainerCallback

    class RunLog(TrainerCallback):
        """The main process appends each TRL log dict to ``log_history.jsonl`` and reports it."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            entry = {"step": state.global_step, "max_steps": state.max_steps, **(logs or {})}
            if not state.is_world_process_zero:
                return
            with path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, default=float) + "\n")
            if progress is not None:
                progress(entry)

    return RunLog()


@dataclass(kw_only=True)
class RunResult:
    """What a training run produced (``finbehave train`` and ``finbehave sft`` add their own)."""

    output_dir: Path
    run_card: Path
    global_step: int
    eval_model: str
    eval_model_args: dict[str, str]
    adapter_dir: Path | None = None
    model_dir: Path | None = None
    resumed_from: Path | None = None
    last_log: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunOutcome:
    """What :func:`run_trainer` produced."""

    global_step: int
    adapter_dir: Path | None
    model_dir: Path | None
    card: dict[str, Any]
    last_log: dict[str, Any]


def run_trainer(
    output_dir: Path,
    checkpoint: Path | None,
    build: Callable[[Sequence[Any], dict[str, Any]], Any],
    card: Callable[..., dict[str, Any]],
    full_finetune: bool,
    progress: Progress | None = None,
    threads: int | None = None,
) -> RunOutcome:
    """Build a trainer (``build(callbacks, config_overrides)``), train, save, write the card.

    ``card(**state)`` returns the run card with the given status fields. Only the main process
    writes files; every process trains, with ``threads`` torch threads (default:
    :func:`finbehave.models.threads.pick_threads`).
    """
    from finbehave.models.threads import configure_threads

    configure_threads(threads)
    output_dir.mkdir(parents=True, exist_ok=True)
    log_path = output_dir / LOG_HISTORY
    overrides = {"disable_tqdm": True} if progress is not None else {}
    trainer = build([_run_log_callback(log_path, progress)], overrides)
    main = trainer.accelerator.is_main_process
    if main:
        if checkpoint is None:
            log_path.unlink(missing_ok=True)
        else:
            _trim_log(log_path, int(checkpoint.name.split("-")[-1]))
    if progress is not None:
        from transformers import PrinterCallback

        trainer.remove_callback(PrinterCallback)  # progress reports instead
    card_path = output_dir / RUN_CARD
    started = {"started": now(), "resumed_from": checkpoint}
    if main:
        write_json(card_path, card(status="running", **started))
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    adapter_dir = model_dir = None
    if full_finetune:
        model_dir = output_dir / FULL_MODEL
        trainer.save_model(str(model_dir))  # with the tokenizer and its tool template
    else:
        adapter_dir = output_dir / ADAPTER
        trainer.save_model(str(adapter_dir))
    step = trainer.state.global_step
    final = card(**started, status="finished", finished=now(), global_step=step)
    if main:
        write_json(card_path, final)
    history = trainer.state.log_history
    return RunOutcome(step, adapter_dir, model_dir, final, dict(history[-1]) if history else {})
