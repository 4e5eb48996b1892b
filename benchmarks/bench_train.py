"""GRPO step time: our trainer against a bare TRL ``GRPOTrainer``, side by side in one run.

    python benchmarks/bench_train.py [--steps 4] [--repeats 2]

Both trainers use the same tiny random Qwen2-style model (tests/tiny_lm.py), the same rows (the
evaluation prompt of 4 embedded items), the same tools (``FinQAToolEnv``), LoRA and GRPOConfig;
the bare one has a constant reward instead of the rubric reward and is built directly. Two modes:
``random`` (the model's own sampling: it never calls a tool) and ``scripted`` (the reference
policies act through TRL's tool loop, so rollouts have real tool calls and rubric scores).
Per-step wall time excludes the first (warm-up) step; runs alternate to share machine noise.
Goal: ours / bare <= 1.10.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from datasets import Dataset
from peft import LoraConfig
from scripted_rollouts import use_scripted_rollouts
from tiny_lm import TOOL_CONTEXT, save_tiny_model
from transformers import AutoTokenizer, PrinterCallback, TrainerCallback
from trl import GRPOTrainer

from finbehave.models.chat_format import ensure_tool_template
from finbehave.training.environment import FinQAToolEnv
from finbehave.training.items import training_rows
from finbehave.training.trainer import TrainingPlan, build_trainer, grpo_config, plan_run

GOAL = 1.10
POLICIES = ["careful", "reckless"]


class StepTimer(TrainerCallback):
    """Wall time of each optimizer step."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._start = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        self._start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.times.append(time.perf_counter() - self._start)


def constant_reward(completions: list, **_: Any) -> list[float]:
    """The trivial reward of the bare trainer."""
    return [0.0] * len(completions)


def bare_trainer(plan: TrainingPlan, output_dir: Path, timer: StepTimer) -> GRPOTrainer:
    """Plain TRL: the same model, rows, tools, LoRA and config, a constant reward."""
    lora = plan.recipe.lora
    tokenizer = ensure_tool_template(AutoTokenizer.from_pretrained(plan.recipe.model))
    return GRPOTrainer(
        model=plan.recipe.model,
        reward_funcs=[constant_reward],
        args=grpo_config(
            plan, plan.reward(), reward_weights=None, output_dir=str(output_dir), disable_tqdm=True
        ),
        train_dataset=Dataset.from_list(training_rows(plan.items, plan.store)),
        processing_class=tokenizer,
        peft_config=LoraConfig(
            r=lora.r,
            lora_alpha=lora.alpha,
            lora_dropout=lora.dropout,
            target_modules=lora.target_modules,
            task_type="CAUSAL_LM",
        ),
        environment_factory=FinQAToolEnv,
        callbacks=[timer],
    )


def run(plan: TrainingPlan, which: str, scripted: bool, work: Path) -> list[float]:
    """Per-step times of one training run (after the warm-up step)."""
    timer = StepTimer()
    if which == "ours":
        trainer = build_trainer(plan, [timer], output_dir=str(work / "ours"), disable_tqdm=True)
    else:
        trainer = bare_trainer(plan, work / "bare", timer)
    trainer.remove_callback(PrinterCallback)
    if scripted:
        use_scripted_rollouts(trainer, plan.items, POLICIES)
    trainer.train()
    return timer.times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4, help="timed steps per run (plus 1)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per trainer and mode")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        work = Path(tmp)
        model = save_tiny_model(work / "tiny", max_positions=TOOL_CONTEXT)
        rows = []
        for mode, length in (("random", 32), ("scripted", 4096)):
            recipe = {
                "model": str(model),
                "items": {"source": "all", "tasks": ["finqa"], "max_items": 4},
                "grpo": {
                    "num_generations": 2,
                    "per_device_train_batch_size": 2,
                    "max_completion_length": length,
                    "max_tool_calling_iterations": 8,
                    "max_steps": args.steps + 1,
                    "save_steps": 1000,
                    "logging_steps": 1000,
                    "use_cpu": True,
                },
            }
            path = work / f"{mode}.yaml"
            path.write_text(json.dumps(recipe))
            plan = plan_run(path, output_dir=work / mode)
            times: dict[str, list[float]] = {"ours": [], "bare": []}
            for _ in range(args.repeats):
                for which in ("ours", "bare"):
                    times[which] += run(plan, which, mode == "scripted", work / mode)
            ours, bare = (statistics.median(times[k]) for k in ("ours", "bare"))
            rows.append((mode, ours, bare, ours / bare, len(times["ours"])))
    print(f"{'mode':<10}{'ours s/step':>13}{'bare s/step':>13}{'ratio':>8}{'steps':>7}")
    for mode, ours, bare, ratio, n in rows:
        print(f"{mode:<10}{ours:>13.3f}{bare:>13.3f}{ratio:>8.3f}{n:>7}")
    worst = max(r[3] for r in rows)
    print(
        f"goal ours/bare <= {GOAL:.2f}: {'met' if worst <= GOAL else 'NOT met'} (worst {worst:.3f})"
    )


if __name__ == "__main__":
    main()
