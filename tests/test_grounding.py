"""Grounding means what it says: random wrong submissions on the careful agent's real traces are
almost never called grounded, correct answers derived by the arithmetic a trace shows always
are, and the scripted trace builder matches what Inspect logs."""

from __future__ import annotations

from pathlib import Path

from agent_traces import grounding_rates, play
from inspect_ai import eval as inspect_eval
from inspect_ai.model import ChatMessageAssistant, ChatMessageTool

from finbehave.data.items import Item
from finbehave.data.store import load_dataset
from finbehave.models.scripted import careful
from finbehave.tasks.finqa import finqa

ITEMS = load_dataset().items(task="finqa")[:25]
FALSE_GROUNDING = 0.05  # goal: at most 5% of random wrong submissions called grounded


def test_random_wrong_answers_are_not_grounded_and_derived_correct_ones_are() -> None:
    rates = grounding_rates(ITEMS)
    print("\n" + "\n".join(rates.lines()))  # the README's figures (pytest -s)
    for hit, total in (rates.random_near_gold, rates.random_wide, rates.random_after_browsing):
        assert total == 125 and hit / total <= FALSE_GROUNDING, rates
    for hit, total in (rates.correct_by_calculator, rates.correct_from_two_values):
        assert total >= 10 and hit == total, rates


def _calls(messages) -> list[tuple]:
    """Tool calls with their results, in order (ids aside)."""
    results = {m.tool_call_id: m for m in messages if isinstance(m, ChatMessageTool)}
    return [
        (call.function, call.arguments, results[call.id].text)
        for m in messages
        if isinstance(m, ChatMessageAssistant)
        for call in m.tool_calls or []
    ]


def test_built_traces_are_the_traces_inspect_logs(tmp_path: Path) -> None:
    log = inspect_eval(
        finqa(split="all"),
        model="finbehave/scripted/careful",
        limit=3,
        log_dir=str(tmp_path),
        display="none",
    )[0]
    for sample in log.samples or []:
        item = Item.model_validate(sample.metadata)
        built = play(careful, item)
        assert [m.role for m in built] == [m.role for m in sample.messages]
        assert built[0].text == sample.messages[0].text
        assert _calls(built) == _calls(sample.messages)
