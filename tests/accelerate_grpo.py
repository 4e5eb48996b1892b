"""GRPO through ``finbehave.training.trainer.train`` in each process of ``accelerate launch``.

Run by ``tests/test_accelerate.py``::

    accelerate launch --config_file training/accelerate_cpu_2proc.yaml tests/accelerate_grpo.py \
        RECIPE OUTPUT RECORDS [--resume]

The tiny random model never calls a tool, so the scripted reference policies generate
(``use_scripted_rollouts``). Each process appends what its reward functions saw to
``RECORDS/rank<N>.jsonl``: the items of its rollouts, the item each tool environment was reset to,
the tool results in the completions and the rewards.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripted_rollouts import use_scripted_rollouts

import finbehave.training.trainer as trainer_module

POLICIES = ["careful", "reckless"]


def recording(function: Callable[..., list], records: Path, rank: int) -> Callable[..., list]:
    """``function`` (a TRL reward function) that also records its inputs and outputs."""

    def reward(prompts: list, completions: list, **kwargs: Any) -> list:
        rewards = function(prompts, completions, **kwargs)
        entry = {
            "rank": rank,
            "function": function.__name__,
            "items": list(kwargs["item_id"]),
            "env_items": [env.item.id for env in kwargs["environments"]],
            "tool_results": [sum(m["role"] == "tool" for m in c) for c in completions],
            "rewards": rewards,
        }
        with (records / f"rank{rank}.jsonl").open("a") as handle:
            handle.write(json.dumps(entry) + "\n")
        return rewards

    reward.__name__ = function.__name__
    return reward


def main() -> None:
    recipe, output, records = sys.argv[1:4]
    build = trainer_module.build_trainer

    def scripted(plan: Any, callbacks: Any = (), **overrides: Any) -> Any:
        trainer = build(plan, callbacks, **overrides)
        use_scripted_rollouts(trainer, plan.items, POLICIES)
        rank = trainer.accelerator.process_index
        trainer.reward_funcs = [recording(f, Path(records), rank) for f in trainer.reward_funcs]
        return trainer

    trainer_module.build_trainer = scripted
    result = trainer_module.train(recipe, output_dir=output, resume="--resume" in sys.argv)
    print(f"global_step={result.global_step}", flush=True)


if __name__ == "__main__":
    main()
