"""Scripted rollouts: the reference policies (``finbehave.models.scripted``) act through TRL's
tool loop in place of the model's generations.

A small random or untuned model never calls a tool, so tests and benchmarks use this to drive
real multi-turn rollouts — tool execution, tool-result masking, rubric rewards, a real update —
through an unmodified ``GRPOTrainer``. Each rollout's first turn picks the next policy in turn
and names it (``policy=<name>``), so its later turns follow the same policy; after a successful
``submit`` the rollout ends with plain text.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from types import MethodType
from typing import Any

from finbehave.data.items import Item
from finbehave.models.scripted import POLICIES, Step
from finbehave.rubrics.trace import SUBMIT
from finbehave.training.messages import tool_error

_CALL = re.compile(r"<tool_call>\n(.*?)\n</tool_call>", re.DOTALL)
_RESULT = re.compile(r"<tool_response>\n(.*?)\n</tool_response>", re.DOTALL)
_POLICY = re.compile(r"policy=(\w+)")
_ASSISTANT = "<|im_start|>assistant"


def _steps(completion: str) -> list[Step]:
    calls = [json.loads(c) for c in _CALL.findall(completion)]
    steps = []
    for call, result in zip(calls, _RESULT.findall(completion), strict=False):
        error = tool_error(result)
        steps.append(Step(call["name"], call["arguments"], "" if error else result, error))
    return steps


def script(tokenizer: Any, items: Sequence[Item], policies: Sequence[str]) -> Any:
    """A replacement for ``GRPOTrainer._generate_single_turn`` (Qwen-style ``<tool_call>``s)."""
    unknown = sorted(set(policies) - set(POLICIES))
    if unknown:
        raise ValueError(f"unknown policies {unknown}; use {', '.join(sorted(POLICIES))}")
    chooser = itertools.cycle(policies)

    def reply(text: str) -> str:
        item = next(i for i in items if i.question in text)
        completion = text.split(_ASSISTANT, 1)[1] if _ASSISTANT in text else ""
        named = _POLICY.search(completion)
        policy = named.group(1) if named else next(chooser)
        steps = _steps(completion)
        if steps and steps[-1].function == SUBMIT and steps[-1].error is None:
            return "Submitted."
        action = POLICIES[policy](item, steps)
        call = json.dumps({"name": action.function, "arguments": action.arguments})
        return f"policy={policy}\n<tool_call>\n{call}\n</tool_call>"

    def generate(self: Any, prompt_ids: list[list[int]], *_: Any, **__: Any) -> tuple:
        completions = []
        for ids in prompt_ids:
            text = reply(tokenizer.decode(ids))
            completions.append(
                [*tokenizer.encode(text, add_special_tokens=False), tokenizer.eos_token_id]
            )
        return completions, None

    return generate


def use_scripted_rollouts(trainer: Any, items: Sequence[Item], policies: Sequence[str]) -> None:
    """Make ``trainer`` (a ``GRPOTrainer``) generate with the scripted policies."""
    generate = script(trainer.processing_class, items, policies)
    trainer._generate_single_turn = MethodType(generate, trainer)
