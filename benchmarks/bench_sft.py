"""SFT step time on SmolLM2-135M: our ``finbehave sft`` trainer against a bare TRL ``SFTTrainer``.

    python benchmarks/bench_sft.py [--steps 4] [--repeats 2] [--traces 8] [--all-layers]

Traces: the scripted ``careful`` and ``no_schema`` policies on train-split items of the embedded
dataset (Inspect logs written to a temporary folder), rendered with SmolLM2's tokenizer and the
tool template (~1.7k-5k tokens each, median ~1.9k; 200-450 of them assistant tokens). Settings:
``training/sft_cpu.yaml`` (LoRA on the top ten layers; ``--all-layers`` for every layer), one
trace per step. Both trainers get the same pre-tokenized examples, LoRA and config; the bare one
is built directly from TRL. Per-step wall time excludes the first (warm-up) step; runs alternate
to share machine noise. Prints s/step and tokens/s per run and the ratio ours / bare (goal
<= 1.05: our plumbing costs nothing per step).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("INSPECT_DISPLAY", "none")

from datasets import Dataset
from inspect_ai import eval as inspect_eval
from transformers import PrinterCallback, TrainerCallback
from trl import SFTTrainer

from finbehave.tasks.finqa import finqa, finqa_reasoning
from finbehave.training.sft import SFTPlan, build_sft_trainer, load_tokenizer, plan_sft, sft_config
from finbehave.yamlio import load_yaml

GOAL = 1.05
SHIPPED = Path(__file__).resolve().parents[1] / "training" / "sft_cpu.yaml"


class StepTimer(TrainerCallback):
    """Wall time and tokens (TRL's cumulative ``num_tokens``) of each optimizer step."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.tokens: list[float] = []
        self._start = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        self._start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.times.append(time.perf_counter() - self._start)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "num_tokens" in logs:
            self.tokens.append(logs["num_tokens"])


def bare_trainer(plan: SFTPlan, output: Path, timer: StepTimer) -> SFTTrainer:
    """Plain TRL on the same examples, model, LoRA and config."""
    return SFTTrainer(
        model=plan.base,
        args=sft_config(plan, output_dir=str(output), save_strategy="no", disable_tqdm=True),
        train_dataset=Dataset.from_list(plan.examples),
        processing_class=load_tokenizer(plan.base),
        peft_config=None if plan.recipe.full_finetune else plan.recipe.lora.peft_config(),
        callbacks=[timer],
    )


def run(plan: SFTPlan, which: str, work: Path) -> tuple[list[float], float]:
    """Per-step times of one run (after the warm-up step) and its tokens per second."""
    timer = StepTimer()
    if which == "ours":
        trainer = build_sft_trainer(
            plan, [timer], output_dir=str(work / which), save_strategy="no", disable_tqdm=True
        )
    else:
        trainer = bare_trainer(plan, work / which, timer)
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    timed = timer.tokens[-1] - timer.tokens[0]  # the tokens of the steps after the first
    return timer.times[1:], timed / sum(timer.times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4, help="timed steps per run (plus 1)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per trainer")
    parser.add_argument("--traces", type=int, default=8, help="items per task and policy")
    parser.add_argument(
        "--all-layers", action="store_true", help="LoRA on every layer (the recipe: top ten)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sft-") as tmp:
        work = Path(tmp)
        for task in (finqa, finqa_reasoning):
            inspect_eval(
                task(split="train"),
                model=["finbehave/scripted/careful", "finbehave/scripted/no_schema"],
                limit=args.traces,
                log_dir=str(work / "logs"),
            )
        fields = load_yaml(SHIPPED, "training recipe")
        fields["sft"] |= {"max_steps": args.steps + 1, "gradient_accumulation_steps": 1}
        fields["sft"] |= {"max_length": 8192}
        if args.all_layers:
            fields["lora"] = {"r": 16, "alpha": 32, "dropout": 0.0}
        recipe = work / "sft.yaml"
        recipe.write_text(json.dumps(fields))
        plan = plan_sft(recipe, [work / "logs"], output_dir=work / "out")
        lengths = [len(e["input_ids"]) for e in plan.examples]
        steps = args.steps + 1
        print(
            f"{len(plan.examples)} traces, tokens per trace median {statistics.median(lengths):.0f}"
            f" (min {min(lengths)}, max {max(lengths)}); {steps} steps per run, batch 1,"
            f" LoRA r=16 on {'every layer' if args.all_layers else 'the top ten layers'};"
            f" load {os.getloadavg()[0]:.1f}"
        )
        times: dict[str, list[float]] = {"ours": [], "bare": []}
        for _ in range(args.repeats):
            for which in ("ours", "bare"):
                step_times, speed = run(plan, which, work)
                times[which] += step_times
                mean = statistics.mean(step_times)
                print(f"  {which:<5} {mean:6.2f} s/step  {speed:5.0f} tokens/s")
        ours, bare = statistics.median(times["ours"]), statistics.median(times["bare"])
        ratio = ours / bare
        verdict = "ok" if ratio <= GOAL else "SLOWER than the goal"
        print(f"median s/step: ours {ours:.2f}, bare {bare:.2f}; ratio {ratio:.2f} ({verdict})")


if __name__ == "__main__":
    main()
