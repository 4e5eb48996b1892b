"""Deterministic scripted agents that act through the real tools (``finbehave/scripted/<policy>``).

They exist for demos, tests and benchmarks: each policy looks at the conversation so far and the
current item (read from the sample's store, written by the task's setup solver) and returns the
next tool call. Every output carries ``usage`` so Inspect never needs a tokenizer.

Policies:

- ``careful``: ``get_table_names`` → ``get_table_info`` on each required table → the gold SQL →
  submit the value the query returned.
- ``guesser``: submits a plausible number at once, with no tool call.
- ``no_schema``: lists the tables, then queries guessed column names without inspecting the
  schema; on a column error it recovers on about half of the items (it reads DuckDB's
  suggestion and re-runs the right query), otherwise repeats the failing call once and guesses.
- ``reckless``: the failure story that motivated finbehave: queries a table that does not exist,
  twice, then submits an invented answer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageTool,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
)
from inspect_ai.tool import ToolCall, ToolChoice, ToolInfo

from finbehave.data.items import Item
from finbehave.tasks.state import current_item


@dataclass(frozen=True)
class Step:
    """A finished tool call: its name, arguments, result text and error (if it failed)."""

    function: str
    arguments: dict[str, Any]
    result: str
    error: str | None


@dataclass(frozen=True)
class Action:
    """The next tool call a policy makes."""

    function: str
    arguments: dict[str, Any]


Policy = Callable[[Item, list[Step]], Action]


def trace_steps(messages: list[ChatMessage]) -> list[Step]:
    """Pair every assistant tool call with its tool result, in order."""
    results = {
        m.tool_call_id: m for m in messages if isinstance(m, ChatMessageTool) and m.tool_call_id
    }
    steps: list[Step] = []
    for message in messages:
        if isinstance(message, ChatMessageAssistant):
            for call in message.tool_calls or []:
                result = results.get(call.id)
                if result is not None:
                    error = result.error.message if result.error else None
                    steps.append(Step(call.function, call.arguments, result.text, error))
    return steps


def _fraction(item: Item, salt: str) -> float:
    """A deterministic number in [0, 1) for this item (policies vary by item, not at random)."""
    digest = hashlib.sha256(f"{salt}:{item.id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def guess_for(item: Item) -> str:
    """A plausible-looking but uninformed answer for the item's unit."""
    if item.unit == "boolean":
        return "yes"
    u = _fraction(item, "guess")
    ranges = {"percent": (2.0, 35.0), "ratio": (0.5, 4.0), "per_share": (0.5, 12.0)}
    low, high = ranges.get(item.unit, (100.0, 9000.0))
    return f"{low + u * (high - low):.1f}"


def query_value(result: str) -> str:
    """The first cell of the last row of a ``sql_query`` result table (header line first)."""
    rows = [line for line in result.strip().splitlines() if line and not line.startswith("(")]
    return rows[-1].split("|")[0].strip() if len(rows) > 1 else result.strip()


def _submit(answer: str) -> Action:
    return Action("submit", {"answer": answer})


def _answer_from(steps: list[Step], item: Item) -> Action:
    last = steps[-1]
    if last.error or not last.result.strip():
        return _submit(guess_for(item))
    return _submit(query_value(last.result))


def careful(item: Item, steps: list[Step]) -> Action:
    """Discover, inspect each required table, run the gold SQL, submit its value."""
    called = {s.function for s in steps}
    if "get_table_names" not in called:
        return Action("get_table_names", {})
    inspected = {s.arguments.get("table_name") for s in steps if s.function == "get_table_info"}
    for table in item.required_tables:
        if table not in inspected:
            return Action("get_table_info", {"table_name": table})
    if item.gold_sql is None:
        return _submit("unknown")
    if "sql_query" not in called:
        return Action("sql_query", {"query": item.gold_sql})
    return _answer_from(steps, item)


def guesser(item: Item, steps: list[Step]) -> Action:
    """Answer at once with a plausible number."""
    return _submit(guess_for(item))


_SUFFIXES = re.compile(r"_(usd_millions|usd|millions|thousands|count|pct|percent|amount|total)\b")


def guessed_sql(item: Item) -> str:
    """The gold SQL with each required column replaced by a naive guess of its name."""
    sql = item.gold_sql or ""
    for qualified in item.required_columns:
        column = qualified.split(".")[-1]
        guess = _SUFFIXES.sub("", column)
        if guess != column:
            sql = re.sub(rf"\b{re.escape(column)}\b", guess, sql)
    return sql


def no_schema(item: Item, steps: list[Step]) -> Action:
    """Skip get_table_info, guess column names, recover on about half of the items."""
    if not steps:
        return Action("get_table_names", {})
    if item.gold_sql is None:
        return _submit(guess_for(item))
    queries = [s for s in steps if s.function == "sql_query"]
    if not queries:
        return Action("sql_query", {"query": guessed_sql(item)})
    last = queries[-1]
    if last.error is None:
        return _answer_from(steps, item)
    recovers = _fraction(item, "recover") < 0.5
    if recovers and last.arguments.get("query") != item.gold_sql:
        return Action("sql_query", {"query": item.gold_sql})
    if len(queries) < 2:
        return Action("sql_query", dict(last.arguments))
    return _submit(guess_for(item))


def reckless(item: Item, steps: list[Step]) -> Action:
    """Query a table that does not exist, twice, then invent an answer."""
    if len(steps) < 2:
        return Action("sql_query", {"query": "SELECT revenue FROM financial_statements"})
    return _submit(guess_for(item))


POLICIES: dict[str, Policy] = {
    "careful": careful,
    "guesser": guesser,
    "no_schema": no_schema,
    "reckless": reckless,
}


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


class ScriptedModelAPI(ModelAPI):
    """A model whose every turn is decided by a scripted policy over the real tools."""

    def __init__(self, policy: str, config: GenerateConfig | None = None) -> None:
        if policy not in POLICIES:
            choices = ", ".join(sorted(POLICIES))
            raise ValueError(
                f"unknown scripted policy {policy!r}: use finbehave/scripted/<{choices}>"
            )
        super().__init__(model_name=f"scripted/{policy}", config=config or GenerateConfig())
        self.policy = POLICIES[policy]
        self._calls = 0

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        item = current_item()
        action = self.policy(item, trace_steps(input))
        self._calls += 1
        call = ToolCall(
            id=f"call_{self._calls}_{action.function}",
            function=action.function,
            arguments=action.arguments,
        )
        message = ChatMessageAssistant(content="", tool_calls=[call], model=self.model_name)
        prompt_tokens = sum(_tokens(m.text) for m in input)
        output_tokens = _tokens(str(action.arguments)) + 8
        return ModelOutput(
            model=self.model_name,
            choices=[ChatCompletionChoice(message=message, stop_reason="tool_calls")],
            usage=ModelUsage(
                input_tokens=prompt_tokens,
                output_tokens=output_tokens,
                total_tokens=prompt_tokens + output_tokens,
            ),
        )

    async def count_text_tokens(self, text: str) -> int:
        return _tokens(text)

    def max_connections(self) -> int:
        return 32
