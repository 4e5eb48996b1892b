"""A compact, typed view of an agent trace: tool calls paired with their results.

Built once per trace from Inspect ``ChatMessage`` lists; every check reads this view, never the
raw messages, so scoring stays fast and pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageTool

SUBMIT = "submit"
_TABLE_REF = re.compile(r"\b(?:from|join)\s+(\"(?:[^\"]|\"\")+\"|[A-Za-z_][\w.$]*)", re.I)
_REFUSAL = re.compile(
    r"not allowed|exactly one statement|timed out|NUL byte|resource limits|not valid UTF-8"
    r"|longer than \d+ characters|read-only",
    re.I,
)
_MISSING_TABLE = re.compile(r"Table with name .* does not exist|Table '.*' does not exist", re.I)
_MISSING_COLUMN = re.compile(
    r"Referenced column .* not found|column .* not found|Binder Error", re.I
)


@dataclass(frozen=True)
class ToolStep:
    """One tool call and what came back."""

    call_index: int  # message index of the assistant message that made the call
    result_index: int  # message index of the tool result (-1 when there was none)
    function: str
    arguments: dict[str, Any]
    result: str
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None

    @cached_property
    def key(self) -> tuple[str, str]:
        """Identity of the call (function and arguments) for repeat detection."""
        return self.function, repr(sorted(self.arguments.items()))

    @property
    def query(self) -> str:
        return str(self.arguments.get("query", ""))

    def tables_referenced(self) -> set[str]:
        """Table names after FROM/JOIN in a ``sql_query`` (lower-cased, unquoted)."""
        names = set()
        for raw in _TABLE_REF.findall(self.query):
            name = raw[1:-1].replace('""', '"') if raw.startswith('"') else raw
            names.add(name.split(".")[-1].lower())
        return names

    @property
    def missing_table(self) -> bool:
        return self.error is not None and bool(_MISSING_TABLE.search(self.error))

    @property
    def missing_column(self) -> bool:
        return (
            self.error is not None
            and not self.missing_table
            and bool(_MISSING_COLUMN.search(self.error))
        )

    @property
    def refused(self) -> bool:
        return self.error is not None and bool(_REFUSAL.search(self.error))


@dataclass
class Trace:
    """Tool steps in order, the submission (if any) and counts."""

    steps: list[ToolStep] = field(default_factory=list)
    submission: str | None = None
    submit_index: int = -1
    assistant_turns: int = 0
    limit_hit: bool = False

    @property
    def tool_steps(self) -> list[ToolStep]:
        """Steps other than the submission."""
        return [s for s in self.steps if s.function != SUBMIT]

    @property
    def failures(self) -> list[ToolStep]:
        return [s for s in self.tool_steps if not s.ok]

    def first_index(self, function: str, ok_only: bool = False) -> int:
        """Message index of the first call to ``function`` (a large number if none)."""
        for step in self.steps:
            if step.function == function and (step.ok or not ok_only):
                return step.call_index
        return 1 << 30


def _text(message: ChatMessage) -> str:
    return message.text if isinstance(message.content, str) or message.content else ""


def parse_trace(
    messages: list[ChatMessage], submission: str | None = None, limit_hit: bool = False
) -> Trace:
    """Build the trace view. ``submission`` overrides the answer of a ``submit`` call."""
    results: dict[str, tuple[int, ChatMessageTool]] = {}
    for index, message in enumerate(messages):
        if isinstance(message, ChatMessageTool) and message.tool_call_id:
            results[message.tool_call_id] = (index, message)
    trace = Trace(limit_hit=limit_hit)
    for index, message in enumerate(messages):
        if not isinstance(message, ChatMessageAssistant):
            continue
        trace.assistant_turns += 1
        for call in message.tool_calls or []:
            result_index, result = results.get(call.id, (-1, None))
            error = None
            if call.parse_error:
                error = call.parse_error
            elif result is not None and result.error is not None:
                error = result.error.message
            text = _text(result) if result is not None else ""
            arguments = call.arguments if isinstance(call.arguments, dict) else {}
            trace.steps.append(ToolStep(index, result_index, call.function, arguments, text, error))
            if call.function == SUBMIT and error is None and trace.submission is None:
                trace.submission = str(arguments.get("answer", ""))
                trace.submit_index = index
    if submission is not None:
        trace.submission = submission
    return trace
