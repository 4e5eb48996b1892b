"""Deterministic scripted agents that act through the real tools (``finbehave/scripted/<policy>``).

They exist for demos, tests and benchmarks: each policy looks at the trace so far (the rubric's
view, ``parse_trace``) and the current item (read from the sample's store, written by the task's
setup solver) and returns the next action as a *role* (list tables, inspect a table, query,
submit, ...) with its table, query or answer. The model resolves the role to the tool it is
offered (``finbehave.vocab.TOOLSETS``), so every policy runs on the default and the public
toolset alike. Every output carries ``usage`` so Inspect never needs a tokenizer.

Policies:

- ``careful``: list the tables → inspect each required table → the gold SQL → submit the value
  the query returned.
- ``guesser``: submits a plausible number at once, with no tool call.
- ``no_schema``: lists the tables, then queries guessed column names without inspecting the
  schema; on a column error it recovers on about half of the items (it reads DuckDB's
  suggestion and re-runs the right query), otherwise repeats the failing call once and guesses.
- ``reckless``: the failure story that motivated finbehave: queries a table that does not exist,
  twice, then submits an invented answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
)
from inspect_ai.tool import ToolCall, ToolChoice, ToolInfo

from finbehave.data.items import Item
from finbehave.rubrics.trace import ToolStep, parse_trace, table_key
from finbehave.tasks.state import current_item
from finbehave.vocab import Role, tool_role


@dataclass(frozen=True)
class Action:
    """The next call a policy makes: a role and what it carries (None = not needed)."""

    role: Role
    table: str | None = None
    query: str | None = None
    answer: str | None = None
    expression: str | None = None


Policy = Callable[[Item, list[ToolStep]], Action]


def tool_call(
    action: Action, offered: Mapping[str, Collection[str]], company: str
) -> tuple[str, dict[str, str]]:
    """The offered tool that plays ``action``'s role, and its arguments.

    ``offered`` maps each offered tool's name to its parameter names; an argument the tool does
    not take is left out (the public ``sql_query`` takes the table, the default one does not).
    """
    for name, parameters in offered.items():
        tool = tool_role(name)
        if tool is None or tool.role != action.role:
            continue
        values = {
            tool.table_arg: action.table,
            tool.query_arg: action.query,
            tool.answer_arg: action.answer,
            tool.expression_arg: action.expression,
            tool.company_arg: company,
        }
        arguments = {
            key: value
            for key, value in values.items()
            if key and value is not None and key in parameters
        }
        return name, arguments
    raise ValueError(
        f"no offered tool plays the {action.role} role (offered: {', '.join(offered)})"
    )


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
    """The first cell of the last row of a query result: a text table (header line first) or,
    from the public toolset, a JSON list of records."""
    if result.lstrip().startswith("["):
        try:
            records = json.loads(result)
        except ValueError:
            records = None
        if isinstance(records, list) and records and isinstance(records[-1], dict):
            return str(next(iter(records[-1].values()), ""))
    rows = [line for line in result.strip().splitlines() if line and not line.startswith("(")]
    return rows[-1].split("|")[0].strip() if len(rows) > 1 else result.strip()


def submit(answer: str) -> Action:
    """Submit ``answer``."""
    return Action("submit", answer=answer)


def _answer_from(steps: list[ToolStep], item: Item) -> Action:
    last = steps[-1]
    if last.error or not last.result.strip():
        return submit(guess_for(item))
    return submit(query_value(last.result))


def _did(steps: list[ToolStep], role: Role) -> bool:
    return any(step.role == role for step in steps)


def gold_query(item: Item) -> Action:
    """Run the item's gold SQL (on its first required table, for tools that name one)."""
    table = item.required_tables[0] if item.required_tables else None
    return Action("query", table=table, query=item.gold_sql)


def careful(item: Item, steps: list[ToolStep]) -> Action:
    """Discover, inspect each required table, run the gold SQL, submit its value."""
    if not _did(steps, "list_tables"):
        return Action("list_tables")
    inspected = {step.table for step in steps if step.role == "inspect_table"}
    for table in item.required_tables:
        if table_key(table) not in inspected:
            return Action("inspect_table", table=table)
    if item.gold_sql is None:
        return submit("unknown")
    if not _did(steps, "query"):
        return gold_query(item)
    return _answer_from(steps, item)


def guesser(item: Item, steps: list[ToolStep]) -> Action:
    """Answer at once with a plausible number."""
    return submit(guess_for(item))


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


def no_schema(item: Item, steps: list[ToolStep]) -> Action:
    """Skip the table inspection, guess column names, recover on about half of the items."""
    if not steps:
        return Action("list_tables")
    if item.gold_sql is None:
        return submit(guess_for(item))
    queries = [step for step in steps if step.role == "query"]
    table = item.required_tables[0] if item.required_tables else None
    if not queries:
        return Action("query", table=table, query=guessed_sql(item))
    last = queries[-1]
    if last.error is None:
        return _answer_from(steps, item)
    recovers = _fraction(item, "recover") < 0.5
    if recovers and last.query != item.gold_sql:
        return gold_query(item)
    if len(queries) < 2:
        return Action("query", table=last.table or table, query=last.query)
    return submit(guess_for(item))


MISSING_TABLE = "financial_statements"


def reckless(item: Item, steps: list[ToolStep]) -> Action:
    """Query a table that does not exist, twice, then invent an answer."""
    if len(steps) < 2:
        return Action("query", table=MISSING_TABLE, query=f"SELECT revenue FROM {MISSING_TABLE}")
    return submit(guess_for(item))


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
        action = self.policy(item, parse_trace(input).steps)
        offered = {tool.name: tool.parameters.properties.keys() for tool in tools}
        function, arguments = tool_call(action, offered, item.company)
        self._calls += 1
        call = ToolCall(id=f"call_{self._calls}_{function}", function=function, arguments=arguments)
        message = ChatMessageAssistant(content="", tool_calls=[call], model=self.model_name)
        prompt_tokens = sum(_tokens(m.text) for m in input)
        output_tokens = _tokens(str(arguments)) + 8
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
