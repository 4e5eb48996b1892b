"""Scripted rollouts for tests and benchmarks: the reference policies (``finbehave.models.scripted``)
act through TRL's tool loop in place of the model's generations.

A small random or untuned model never calls a tool, so tests and benchmarks use this to drive
real multi-turn rollouts — tool execution, tool-result masking, rubric rewards, a real update —
through an unmodified ``GRPOTrainer``. It replaces the trainer's private
``_generate_single_turn`` (TRL 1.16), which is why it lives beside the tests and not in the
package. Each rollout's first turn picks the next policy in turn and names it
(``policy=<name>``), so its later turns follow the same policy; after a successful ``submit``
the rollout ends with plain text. The completion so far is read with the package's own parsers:
``parse_completion`` (the one ``<tool_call>`` pattern), ``to_inspect_messages`` and
``parse_trace`` (the one pairing of calls with results).
"""

from __future__ import annotations

import inspect
import itertools
import json
import re
from collections.abc import Sequence
from types import MethodType
from typing import Any

from finbehave.data.items import Item
from finbehave.models.chat_format import parse_completion
from finbehave.models.scripted import POLICIES, tool_call
from finbehave.rubrics.trace import ToolStep, parse_trace
from finbehave.training.environment import FinQAToolEnv
from finbehave.training.messages import to_inspect_messages

_RESULT = re.compile(r"<tool_response>\n(.*?)\n</tool_response>", re.DOTALL)  # the template's
_POLICY = re.compile(r"policy=(\w+)")
_ASSISTANT = "<|im_start|>assistant"
# The tools FinQAToolEnv offers and their parameters (what a scripted action resolves against).
OFFERED = {
    name: list(inspect.signature(getattr(FinQAToolEnv, name)).parameters)[1:]
    for name in dir(FinQAToolEnv)
    if not name.startswith("_") and name != "reset"
}


def completion_steps(completion: str) -> list[ToolStep]:
    """The tool steps of a rendered completion (calls paired with their responses)."""
    calls = parse_completion(completion).tool_calls
    conversation: list[dict[str, Any]] = []
    for call, result in zip(calls, _RESULT.findall(completion), strict=False):
        function = {"name": call.function, "arguments": call.arguments}
        conversation.append({"role": "assistant", "tool_calls": [{"function": function}]})
        conversation.append({"role": "tool", "name": call.function, "content": result})
    return parse_trace(to_inspect_messages(conversation)).steps


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
        steps = completion_steps(completion)
        if steps and steps[-1].role == "submit" and steps[-1].ok:
            return "Submitted."
        function, arguments = tool_call(POLICIES[policy](item, steps), OFFERED, item.company)
        call = json.dumps({"name": function, "arguments": arguments})
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
