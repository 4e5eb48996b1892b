"""Real agent traces without an eval loop: calls run on the real tools (``FinQAToolEnv``, the
tools training uses, over the embedded dataset) and are recorded as the Inspect messages a
``react`` agent would log, failures with the error type of their kind.

``Conversation`` records calls one by one; ``play`` drives a scripted policy
(``finbehave.models.scripted``) until it submits; ``grounding_rates`` measures how often the
rubric calls random and derived submissions grounded (a test asserts the rates,
``benchmarks/bench_rubrics.py`` prints them).
"""

from __future__ import annotations

import inspect
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageTool,
    ChatMessageUser,
)
from inspect_ai.tool import ToolCall, ToolCallError

from finbehave.data.items import Item
from finbehave.data.store import load_dataset
from finbehave.env.environment import EnvToolError
from finbehave.models.scripted import Action, Policy, careful, tool_call
from finbehave.rubrics import load_rubric, score_trace
from finbehave.rubrics.answers import check_answer
from finbehave.rubrics.trace import ToolStep, parse_trace
from finbehave.training.environment import FinQAToolEnv, system_message
from finbehave.vocab import ERROR_TYPES

OFFERED = {
    name: list(inspect.signature(getattr(FinQAToolEnv, name)).parameters)[1:]
    for name in dir(FinQAToolEnv)
    if not name.startswith("_") and name != "reset"
}


class Conversation:
    """An item's conversation, grown one real tool call at a time."""

    def __init__(self, item: Item) -> None:
        self.item = item
        self.env = FinQAToolEnv()
        self.env.reset(item_id=item.id, dataset=str(load_dataset().path))
        self.messages: list[ChatMessage] = [
            ChatMessageSystem(content=system_message()),
            ChatMessageUser(content=item.question),
        ]

    def call(self, function: str, **arguments: Any) -> str | None:
        """Run one tool call; returns its result (None when it failed)."""
        call_id = f"call_{len(self.messages)}"
        self.messages.append(
            ChatMessageAssistant(content="", tool_calls=[ToolCall(call_id, function, arguments)])
        )
        result: str | None = None
        error = None
        try:
            result = getattr(self.env, function)(**arguments)
        except EnvToolError as exc:
            error = ToolCallError(ERROR_TYPES[exc.kind], str(exc))  # type: ignore[arg-type]
        self.messages.append(
            ChatMessageTool(
                content=result or "", tool_call_id=call_id, function=function, error=error
            )
        )
        return result

    def submit(self, answer: str) -> list[ChatMessage]:
        self.call("submit", answer=answer)
        return self.messages


def play(
    policy: Policy | Callable[[Item, list[ToolStep]], Action | None],
    item: Item,
    max_calls: int = 40,
) -> list[ChatMessage]:
    """The conversation of ``policy`` on ``item``, up to its submission, until it returns None
    (it stops without answering), or for ``max_calls`` calls."""
    conversation = Conversation(item)
    for _ in range(max_calls):
        action = policy(item, parse_trace(conversation.messages).steps)
        if action is None:
            break
        function, arguments = tool_call(action, OFFERED, item.company)
        conversation.call(function, **arguments)
        if action.role == "submit":
            break
    return conversation.messages


def scalar_subqueries(sql: str) -> list[str]:
    """The distinct ``(SELECT ...)`` scalar subqueries of a gold SQL, outermost first."""
    found: list[str] = []
    for start in (m.start() for m in re.finditer(r"\(SELECT\b", sql)):
        depth = 0
        for end in range(start, len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            if depth == 0:
                subquery = sql[start : end + 1]
                if subquery not in found and not any(subquery in f for f in found):
                    found.append(subquery)
                break
    return found


def calculator_expression(sql: str, values: dict[str, str]) -> str:
    """The gold SQL's arithmetic with each subquery replaced by its value, in calculator syntax."""
    expression = sql.removeprefix("SELECT ").removesuffix(" AS answer")
    for subquery, value in values.items():
        expression = expression.replace(subquery, value)
    return expression.replace("ROUND(", "round(").replace("POWER(", "pow(")


# --- grounding rates ------------------------------------------------------------------------


def _answer_text(value: float, item: Item) -> str:
    """``value`` to two decimals, or as many more as a correct answer needs."""
    for decimals in (2, 3, 4, 6):
        text = f"{value:.{decimals}f}"
        if check_answer(text, item.answer, item.unit).correct:
            return text
    return repr(value)


def _wrong_number(rng: random.Random, item: Item, low: float, high: float) -> str:
    while True:
        text = f"{rng.uniform(low, high):.2f}"
        if not check_answer(text, item.answer, item.unit).correct:
            return text


def _components(item: Item) -> tuple[Conversation, dict[str, str]]:
    """Discover, inspect, then one final query returning the gold SQL's component values."""
    conversation = Conversation(item)
    conversation.call("get_table_names")
    for table in item.required_tables:
        conversation.call("get_table_info", table_name=table)
    subqueries = scalar_subqueries(item.gold_sql or "")
    columns = ", ".join(f"{sub} AS v{k}" for k, sub in enumerate(subqueries))
    result = conversation.call("sql_query", query=f"SELECT {columns}") or ""
    return conversation, dict(zip(subqueries, result.splitlines()[1].split(" | "), strict=True))


@dataclass
class GroundingRates:
    """How often grounding holds: (grounded, traces) per kind of submission."""

    random_near_gold: tuple[int, int]  # wrong numbers at x0.5-1.5 of the gold
    random_wide: tuple[int, int]  # wrong numbers in [-1000, 10000]
    random_after_browsing: tuple[int, int]  # near-gold, after also reading the whole table
    correct_by_calculator: tuple[int, int]  # the gold computed by one calculator step
    correct_from_two_values: tuple[int, int]  # the gold one step from two final-query values

    def lines(self) -> list[str]:
        return [
            f"{name.replace('_', ' ')}: {hit}/{total} grounded ({hit / total:.1%})"
            for name, (hit, total) in vars(self).items()
        ]


def grounding_rates(items: list[Item], per_item: int = 5, seed: int = 0) -> GroundingRates:
    """Grounding of random wrong submissions on the careful agent's real traces, and of correct
    answers derived by the arithmetic a trace shows (module ``finbehave.rubrics.grounding``)."""
    rubric = load_rubric()
    rng = random.Random(seed)

    def grounded(messages: list[ChatMessage], item: Item, answer: str | None = None) -> bool:
        scores = score_trace(messages, item, rubric, submission=answer).scores
        return scores["grounding"] == 1.0

    counts = {field: [0, 0] for field in GroundingRates.__dataclass_fields__}

    def count(name: str, hit: bool) -> None:
        counts[name][0] += hit
        counts[name][1] += 1

    for item in items:
        gold = float(item.answer)
        traced = play(careful, item)
        browsing = Conversation(item)
        browsing.call("get_table_names")
        for table in item.required_tables:
            browsing.call("get_table_info", table_name=table)
        browsing.call("sql_query", query=f"SELECT * FROM {item.required_tables[0]}")
        browsing.call("sql_query", query=item.gold_sql)
        for _ in range(per_item):
            near = _wrong_number(rng, item, 0.5 * gold, 1.5 * gold)
            count("random_near_gold", grounded(traced, item, near))
            count("random_wide", grounded(traced, item, _wrong_number(rng, item, -1000, 10000)))
            count("random_after_browsing", grounded(browsing.messages, item, near))
        conversation, values = _components(item)
        expression = calculator_expression(item.gold_sql or "", values)
        result = float(conversation.call("calculator", expression=expression) or "nan")
        answer = _answer_text(result, item)
        assert check_answer(answer, item.answer, item.unit).correct, (item.id, answer)
        count("correct_by_calculator", grounded(conversation.submit(answer), item))
        if len(values) == 2 and "POWER(" not in (item.gold_sql or ""):  # one step (a CAGR is not)
            conversation, _ = _components(item)
            answer = _answer_text(gold, item)
            count("correct_from_two_values", grounded(conversation.submit(answer), item))
    return GroundingRates(**{name: (hit, total) for name, (hit, total) in counts.items()})
