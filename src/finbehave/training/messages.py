"""TRL conversational rollouts as Inspect messages, so ``score_trace`` judges them as in evaluation.

A TRL rollout is the prompt (system, user) plus the completion: assistant dicts whose
``tool_calls`` are ``{"type": "function", "function": {"name", "arguments"}}``, each followed by
one ``{"role": "tool", "name", "content"}`` per call, in call order (TRL gives tool messages no
call id, so each gets the id of its call, positionally; ``parse_trace`` then pairs them as it
pairs an Inspect log). A tool that raised is TRL's ``{'error': '<message>'}``; it becomes a
``ChatMessageTool`` with ``error`` set, as in Inspect, and its error type is the kind the
environment recorded for that failure (``FinQAToolEnv.failures``, matched in order by message),
so refusals and missing tables are tagged as in evaluation; a failure the environment never saw
(an unknown tool, bad arguments) is a plain error. The trace ends after the first successful
``submit`` result, where Inspect's ReAct agent stops (after the rest of that turn's results).
"""

from __future__ import annotations

import ast
import json
from collections import deque
from collections.abc import Sequence
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageTool,
    ChatMessageUser,
)
from inspect_ai.tool import ToolCall, ToolCallError

from finbehave.training.environment import ToolFailure
from finbehave.vocab import ERROR_TYPES, SUBMIT, ErrorKind


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def tool_error(content: str) -> str | None:
    """The message of a TRL tool failure (``{'error': '...'}``), or None for a result."""
    text = content.strip()
    if not (text.startswith(("{'error': ", '{"error": ')) and text.endswith("}")):
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    if isinstance(value, dict) and list(value) == ["error"]:
        return str(value["error"])
    return None


def _tool_call(call: dict[str, Any], call_id: str) -> ToolCall:
    function = call.get("function", call)
    arguments = function.get("arguments", {})
    parse_error = None
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            parse_error = f"arguments are not valid JSON: {exc}"
    if not isinstance(arguments, dict):
        parse_error = parse_error or "arguments must be a JSON object"
        arguments = {}
    return ToolCall(
        id=call_id,
        function=str(function.get("name", "")),
        arguments=arguments,
        parse_error=parse_error,
    )


def to_inspect_messages(
    messages: list[dict[str, Any]], failures: Sequence[ToolFailure] = ()
) -> list[ChatMessage]:
    """Convert a TRL conversation (prompt + completion) to Inspect messages; ``failures`` are
    the rollout environment's recorded failures (their kinds become the error types)."""
    out: list[ChatMessage] = []
    pending: deque[ToolCall] = deque()
    recorded = deque(failures)
    calls = 0
    submitted = False
    for message in messages:
        role = message.get("role")
        if submitted and role != "tool":
            break
        if role == "system":
            out.append(ChatMessageSystem(content=_text(message.get("content"))))
        elif role == "user":
            out.append(ChatMessageUser(content=_text(message.get("content"))))
        elif role == "assistant":
            tool_calls = []
            for call in message.get("tool_calls") or []:
                calls += 1
                tool_calls.append(_tool_call(call, f"call_{calls}"))
            pending = deque(tool_calls)
            out.append(
                ChatMessageAssistant(
                    content=_text(message.get("content")), tool_calls=tool_calls or None
                )
            )
        elif role == "tool":
            call = pending.popleft() if pending else None
            content = _text(message.get("content"))
            error = tool_error(content)
            kind: ErrorKind = "error"
            if error is not None and recorded and recorded[0].message == error:
                kind = recorded.popleft().kind
            out.append(
                ChatMessageTool(
                    content="" if error is not None else content,
                    tool_call_id=call.id if call else None,
                    function=call.function if call else message.get("name"),
                    error=ToolCallError(ERROR_TYPES[kind], error) if error is not None else None,  # type: ignore[arg-type]
                )
            )
            submitted = submitted or (
                call is not None and call.function == SUBMIT and error is None
            )
    return out
