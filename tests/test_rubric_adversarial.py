"""Degenerate traces cannot score well: do-nothing, give-up, guessing and farming agents, played
on the real tools, stay under per-behaviour upper bounds, and their GRPO reward (the collapse of
the behaviour scores with uniform weights) stays far below the careful agent's.

Not applicable (NaN) counts as not earned here: a bound of 0 means "0 or not applicable".
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from agent_traces import play
from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageTool

from finbehave.data.items import Item
from finbehave.data.store import load_dataset
from finbehave.models.scripted import (
    Action,
    careful,
    gold_query,
    guess_for,
    guesser,
    reckless,
    submit,
)
from finbehave.rubrics import RubricResult, load_rubric, score_trace
from finbehave.rubrics.answers import check_answer
from finbehave.rubrics.trace import ToolStep
from finbehave.training.reward import collapse, uniform_weights
from finbehave.vocab import BEHAVIOURS

ITEMS = [
    *load_dataset().items(task="finqa", split="test")[:4],
    *load_dataset().items(task="finqa_reasoning", split="test")[:2],
]
BAD_QUERY = "SELECT no_such_column FROM {table}"
DEGENERATE_REWARD = 0.5  # uniform-weight reward no degenerate trace may exceed (careful: 1.0)


def _count(steps: list[ToolStep], role: str) -> int:
    return sum(step.role == role for step in steps)


def _wrong(item: Item) -> str:
    """A plausible answer that is wrong for this item."""
    guess = guess_for(item)
    if check_answer(guess, item.answer, item.unit).correct:
        guess = f"{float(guess) * 1.37 + 1:.2f}"
    return guess


def list_then_guess(item: Item, steps: list[ToolStep]) -> Action:
    return Action("list_tables") if not steps else submit(_wrong(item))


def _inspect_all(item: Item, steps: list[ToolStep]) -> Action | None:
    """List the tables, then inspect each required one (None when done)."""
    if not _count(steps, "list_tables"):
        return Action("list_tables")
    inspected = _count(steps, "inspect_table")
    if inspected < len(item.required_tables):
        return Action("inspect_table", table=item.required_tables[inspected])
    return None


def inspect_then_guess(item: Item, steps: list[ToolStep]) -> Action:
    return _inspect_all(item, steps) or submit(_wrong(item))


def queries_then_random(item: Item, steps: list[ToolStep]) -> Action:
    """Real discovery, inspection and the gold query, then a random wrong answer."""
    if (action := _inspect_all(item, steps)) is not None:
        return action
    return gold_query(item) if not _count(steps, "query") else submit(_wrong(item))


def _bad_query(item: Item) -> Action:
    table = item.required_tables[0]
    return Action("query", table=table, query=BAD_QUERY.format(table=table))


def give_up_after_error(item: Item, steps: list[ToolStep]) -> Action:
    if (action := _inspect_all(item, steps)) is not None:
        return action
    return _bad_query(item) if not _count(steps, "query") else submit(_wrong(item))


def stop_after_error(item: Item, steps: list[ToolStep]) -> Action | None:
    if (action := _inspect_all(item, steps)) is not None:
        return action
    return _bad_query(item) if not _count(steps, "query") else None


def fail_then_list_then_guess(item: Item, steps: list[ToolStep]) -> Action:
    """A failing query, then any successful call (a listing), then a guess."""
    if not steps:
        return _bad_query(item)
    return Action("list_tables") if len(steps) == 1 else submit(_wrong(item))


def fix_an_error_then_guess(item: Item, steps: list[ToolStep]) -> Action:
    """Farming self-correction: fail on purpose, recover with the real query, then guess."""
    if (action := _inspect_all(item, steps)) is not None:
        return action
    queries = _count(steps, "query")
    if queries == 0:
        return _bad_query(item)
    return gold_query(item) if queries == 1 else submit(_wrong(item))


def farm_then_guess(item: Item, steps: list[ToolStep]) -> Action:
    return Action("list_tables") if len(steps) < 20 else submit(_wrong(item))


def farm_then_answer(item: Item, steps: list[ToolStep]) -> Action:
    """List 10 times, inspect every required table twice, repeat the gold query 5 times, answer."""
    if _count(steps, "list_tables") < 10:
        return Action("list_tables")
    inspected = _count(steps, "inspect_table")
    if inspected < 2 * len(item.required_tables):
        return Action("inspect_table", table=item.required_tables[inspected // 2])
    if _count(steps, "query") < 5:
        return gold_query(item)
    return careful(item, steps)


def do_nothing(item: Item, steps: list[ToolStep]) -> None:
    return None


# policy, upper bound per behaviour (missing = 1.0), upper bound on the uniform reward
CASES = {
    "guesser": (guesser, {"tool_discovery": 0, "schema_inspection": 0, "grounding": 0}),
    "reckless": (reckless, dict.fromkeys(BEHAVIOURS, 0.0)),
    "do_nothing": (do_nothing, dict.fromkeys(BEHAVIOURS, 0.0)),
    "list_then_guess": (list_then_guess, {"schema_inspection": 0, "grounding": 0}),
    "inspect_then_guess": (inspect_then_guess, {"grounding": 0, "answer_correctness": 0}),
    "queries_then_random": (queries_then_random, {"grounding": 0, "answer_correctness": 0}),
    "give_up_after_error": (give_up_after_error, {"self_correction": 0, "grounding": 0}),
    "stop_after_error": (stop_after_error, {"self_correction": 0, "answer_correctness": 0}),
    "fail_then_list_then_guess": (
        fail_then_list_then_guess,
        {"tool_discovery": 0, "self_correction": 0, "grounding": 0},
    ),
    "fix_an_error_then_guess": (fix_an_error_then_guess, {"self_correction": 0, "grounding": 0}),
    "farm_then_guess": (farm_then_guess, {"schema_inspection": 0, "grounding": 0}),
}
for bounds in (case[1] for case in CASES.values()):
    bounds.setdefault("efficiency", 0.0)  # no degenerate trace reaches the answer


def _earned(result: RubricResult, behaviour: str) -> float:
    score = result.scores[behaviour]
    return 0.0 if math.isnan(score) else score


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


def test_careful_scores_high(rubric) -> None:
    for item in ITEMS:
        result = score_trace(play(careful, item), item, rubric)
        assert result.scores["rubric_score"] == 1.0, (item.id, result.scores)
        assert collapse(result, uniform_weights()) == 1.0


def _ids_per_turn(messages: list[ChatMessage]) -> list[ChatMessage]:
    """The conversation as a model that numbers its calls per turn writes it: every call is
    ``call_0``, so the same id answers a different call in each turn."""
    out: list[ChatMessage] = []
    for message in messages:
        if isinstance(message, ChatMessageAssistant) and message.tool_calls:
            calls = [dataclasses.replace(call, id="call_0") for call in message.tool_calls]
            message = message.model_copy(update={"tool_calls": calls})
        elif isinstance(message, ChatMessageTool):
            message = message.model_copy(update={"tool_call_id": "call_0"})
        out.append(message)
    return out


def test_ids_reused_across_turns_pair_each_call_with_its_own_result(rubric) -> None:
    """A listing and an inspection that succeeded stay earned when a later turn's call with
    the same id fails (the old pairing gave every call the last result with its id)."""
    item = ITEMS[0]
    messages = play(careful, item)[:-2]  # listed, inspected, queried; no submission
    failing = play(
        lambda i, steps: Action("query", query=BAD_QUERY.format(table=i.required_tables[0])),
        item,
        1,
    )
    reused = _ids_per_turn([*messages, *failing[2:]])
    unique = score_trace([*messages, *failing[2:]], item, rubric).scores
    scores = score_trace(reused, item, rubric).scores
    assert scores["tool_discovery"] == unique["tool_discovery"] == 1.0
    assert scores["schema_inspection"] == unique["schema_inspection"] == 1.0
    assert scores == unique


@pytest.mark.parametrize("name", list(CASES))
def test_degenerate_traces_stay_under_their_bounds(rubric, name: str) -> None:
    policy, bounds = CASES[name]
    for item in ITEMS:
        result = score_trace(play(policy, item), item, rubric)
        over = {b: result.scores[b] for b, most in bounds.items() if _earned(result, b) > most}
        assert not over, (name, item.id, over)
        reward = collapse(result, uniform_weights())
        assert reward <= DEGENERATE_REWARD, (name, item.id, reward, result.scores)


def test_farming_calls_costs_efficiency_and_reward(rubric) -> None:
    """Repeating calls on the way to a correct answer earns everything but efficiency, which
    counts every repeat twice, so the reward stays below careful's."""
    for item in ITEMS:
        result = score_trace(play(farm_then_answer, item), item, rubric)
        assert result.scores["answer_correctness"] == 1.0
        assert result.scores["efficiency"] <= 0.3, (item.id, result.scores)
        assert collapse(result, uniform_weights()) <= 0.9
