"""A compact, typed view of an agent trace: tool calls paired with their results, read by role.

Built once per trace from Inspect ``ChatMessage`` lists; every check, the scripted agents and the
scripted training rollouts read this view, never the raw messages. A step knows its tool's role
(``finbehave.vocab.TOOLSETS``: list tables, inspect a table, query, compute, read text, submit)
and which arguments carry the table, the query or the expression, so no reader names a tool.
A failed step's ``error_kind`` comes from the Inspect error type (``vocab.error_kind``), never
from its wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageTool

from finbehave.vocab import ErrorKind, Role, ToolRole, error_kind, tool_role

_TABLE_REF = re.compile(r"\b(?:from|join)\s+(\"(?:[^\"]|\"\")+\"|[A-Za-z_][\w.$]*)", re.I)
# DuckDB's own wording for a column it cannot bind (the one error still read from text: it is
# DuckDB's message, not ours, and only names the wrong_column_no_recovery tag).
_DUCKDB_MISSING_COLUMN = re.compile(
    r"Referenced column .* not found|column .* not found|Binder Error", re.I
)


def table_key(name: object) -> str:
    """A table name as written in a call or a query, compared case- and quote-insensitively."""
    return str(name).strip().strip('"').strip("`").lower()


@dataclass
class ToolStep:
    """One tool call and what came back (read-only once parsed)."""

    call_index: int  # message index of the assistant message that made the call
    result_index: int  # message index of the tool result (-1 when there was none)
    function: str
    arguments: dict[str, Any]
    result: str
    error: str | None
    error_kind: ErrorKind | None = None  # set when ``error`` is
    # the tool's declared role and arguments (None for a tool no toolset has)
    tool: ToolRole | None = field(init=False, repr=False, compare=False)
    role: Role | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.tool = tool_role(self.function)
        self.role = self.tool.role if self.tool else None

    @property
    def ok(self) -> bool:
        return self.error is None

    def _argument(self, name: str | None) -> str | None:
        value = self.arguments.get(name) if name else None
        return None if value is None else str(value)

    @cached_property
    def key(self) -> tuple[str, str]:
        """Identity of the call (function and arguments) for repeat detection."""
        return self.function, repr(sorted(self.arguments.items()))

    @property
    def query(self) -> str:
        """The SQL of a query step ('' for other steps)."""
        return (self._argument(self.tool.query_arg) if self.tool else None) or ""

    @property
    def answer(self) -> str:
        """The answer of a submit step ('' for other steps)."""
        return (self._argument(self.tool.answer_arg) if self.tool else None) or ""

    @property
    def expression(self) -> str:
        """The arithmetic of a compute step ('' for other steps)."""
        return (self._argument(self.tool.expression_arg) if self.tool else None) or ""

    @property
    def table(self) -> str | None:
        """The table named by the call's table argument (normalised by ``table_key``)."""
        name = self._argument(self.tool.table_arg) if self.tool else None
        return table_key(name) if name is not None else None

    def tables_referenced(self) -> set[str]:
        """Tables a query reads: after FROM/JOIN in its SQL, plus its table argument."""
        names = set()
        for raw in _TABLE_REF.findall(self.query):
            name = raw[1:-1].replace('""', '"') if raw.startswith('"') else raw
            names.add(name.split(".")[-1].lower())
        if self.table is not None:
            names.add(self.table)
        return names

    @property
    def refused(self) -> bool:
        return self.error_kind == "refused"

    @property
    def missing_table(self) -> bool:
        return self.error_kind == "missing_table"

    @property
    def missing_column(self) -> bool:
        return (
            self.error_kind == "error"
            and self.role == "query"
            and bool(_DUCKDB_MISSING_COLUMN.search(self.error or ""))
        )


@dataclass
class Trace:
    """Tool steps in order, the submission (if any) and counts."""

    steps: list[ToolStep] = field(default_factory=list)
    submission: str | None = None
    submit_index: int = -1
    assistant_turns: int = 0
    limit_hit: bool = False

    @cached_property
    def tool_steps(self) -> list[ToolStep]:
        """Steps other than the submission (read once the trace is built)."""
        return [s for s in self.steps if s.role != "submit"]

    @cached_property
    def failures(self) -> list[ToolStep]:
        return [s for s in self.tool_steps if not s.ok]

    def with_role(self, role: Role, ok_only: bool = False) -> list[ToolStep]:
        """The steps of tools playing ``role`` (only the successful ones with ``ok_only``)."""
        return [s for s in self.steps if s.role == role and (s.ok or not ok_only)]


def _text(message: ChatMessage) -> str:
    return message.text if isinstance(message.content, str) or message.content else ""


def _results(messages: list[ChatMessage]) -> dict[tuple[int, str], tuple[int, ChatMessageTool]]:
    """Each tool result by (index of the assistant message before it, its call id): a call's
    result is the first with its id after the call, so ids a model reuses in later turns (one
    that numbers its calls per turn) never pair a call with another turn's result."""
    results: dict[tuple[int, str], tuple[int, ChatMessageTool]] = {}
    turn = -1
    for index, message in enumerate(messages):
        if isinstance(message, ChatMessageAssistant):
            turn = index
        elif isinstance(message, ChatMessageTool) and message.tool_call_id:
            results.setdefault((turn, message.tool_call_id), (index, message))
    return results


def parse_trace(
    messages: list[ChatMessage], submission: str | None = None, limit_hit: bool = False
) -> Trace:
    """Build the trace view. ``submission`` overrides the answer of a ``submit`` call."""
    results = _results(messages)
    trace = Trace(limit_hit=limit_hit)
    for index, message in enumerate(messages):
        if not isinstance(message, ChatMessageAssistant):
            continue
        trace.assistant_turns += 1
        for call in message.tool_calls or []:
            result_index, result = results.get((index, call.id), (-1, None))
            error: str | None = None
            kind: ErrorKind | None = None
            if call.parse_error:
                error, kind = call.parse_error, "error"
            elif result is not None and result.error is not None:
                error, kind = result.error.message, error_kind(result.error.type)
            text = _text(result) if result is not None else ""
            arguments = call.arguments if isinstance(call.arguments, dict) else {}
            step = ToolStep(index, result_index, call.function, arguments, text, error, kind)
            trace.steps.append(step)
            if step.role == "submit" and error is None and trace.submission is None:
                trace.submission = step.answer
                trace.submit_index = index
    if submission is not None:
        trace.submission = submission
    return trace
