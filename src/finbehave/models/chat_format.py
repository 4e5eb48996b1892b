"""One chat format for local inference and training: Inspect messages in, tool calls out.

Rendering: Inspect ``ChatMessage``/``ToolInfo`` lists become the HF chat-template dicts
(``{"role", "content", "tool_calls": [{"type": "function", "function": {"name", "arguments"}}]}``,
tool results as ``{"role": "tool", "content", "name"}``; a tool result carrying an Inspect
``error`` is rendered as ``Error: <message>`` so the model sees it). :func:`render_prompt` applies
the tokenizer's chat template with ``add_generation_prompt=True``.

Tool calls (Qwen2.5/Qwen3 style): the model writes one or more blocks

    <tool_call>
    {"name": "sql_query", "arguments": {"query": "SELECT 1"}}
    </tool_call>

and may open with ``<think>...</think>`` (kept apart as reasoning). :func:`parse_completion` never
raises: malformed JSON becomes a ``parse_errors`` entry and, in :func:`to_inspect_tool_calls`, a
``ToolCall`` with ``parse_error`` set, which Inspect reports back to the model as a tool error;
the malformed block itself stays in the message's text, so the next turn shows the model what it
wrote (not a call to a tool named ``unparsable_tool_call``), as TRL's rollouts do.

Fallback: a tokenizer whose chat template does not reference ``tools`` (e.g. SmolLM2) gets the
Qwen2.5 template — TRL's ``qwen2_5_chat_template`` when TRL is installed (so training with TRL
parses the same format), else :data:`FALLBACK_CHAT_TEMPLATE`, our own template that lists the
tools as JSON in the system prompt and uses the same ``<tool_call>`` blocks (identical output,
except that it adds no "You are Qwen" system prompt when the conversation has none). Training and
inference both call :func:`ensure_tool_template`, so they always pick the same template.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageTool,
    ChatMessageUser,
)
from inspect_ai.tool import ToolCall, ToolInfo

FALLBACK_CHAT_TEMPLATE = """\
{%- if tools %}
{{- '<|im_start|>system\\n' }}
{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}\
{%- else %}You are a helpful assistant.{%- endif %}
{{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n\
You are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
{%- for tool in tools %}{{- "\\n" }}{{- tool | tojson }}{%- endfor %}
{{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and \
arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n\
{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- elif messages[0]['role'] == 'system' %}
{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'user' or (message.role == 'system' and not loop.first) %}
{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
{%- elif message.role == 'assistant' %}
{{- '<|im_start|>assistant' }}
{%- if message.content %}{{- '\\n' + message.content }}{%- endif %}
{%- for tool_call in message.tool_calls or [] %}
{{- '\\n<tool_call>\\n{"name": "' + tool_call.function.name + '", "arguments": ' }}
{{- tool_call.function.arguments | tojson }}{{- '}\\n</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\\n' }}
{%- elif message.role == 'tool' %}
{%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}
{{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}
{%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{- '<|im_end|>\\n' }}{%- endif %}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}
"""

TOOL_CALL = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.DOTALL)
_THINK = re.compile(r"^\s*(?:<think>)?(.*?)</think>", re.DOTALL)


@dataclass
class ParsedToolCall:
    """One tool call found in a completion."""

    id: str
    function: str
    arguments: dict[str, Any]


@dataclass
class ParsedCompletion:
    """A completion split into visible text, reasoning, tool calls and parse errors."""

    content: str
    tool_calls: list[ParsedToolCall] = field(default_factory=list)
    parse_errors: list[str] = field(default_factory=list)
    reasoning: str | None = None


def supports_tools(chat_template: str | None) -> bool:
    """Whether a chat template renders a ``tools`` list."""
    return bool(chat_template) and "tools" in str(chat_template)


def tool_chat_template() -> str:
    """The fallback template: TRL's Qwen2.5 template if TRL is installed, else ours."""
    try:
        from trl.chat_template_utils import qwen2_5_chat_template
    except ImportError:
        return FALLBACK_CHAT_TEMPLATE
    return qwen2_5_chat_template


def ensure_tool_template(tokenizer: Any) -> Any:
    """Give ``tokenizer`` a tool-capable chat template if its own has none; returns it."""
    if not supports_tools(getattr(tokenizer, "chat_template", None)):
        tokenizer.chat_template = tool_chat_template()
    return tokenizer


def tool_dicts(tools: list[ToolInfo]) -> list[dict[str, Any]]:
    """Inspect tools as OpenAI/HF function schemas."""
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters.model_dump(exclude_none=True),
            },
        }
        for tool in tools
    ]


def message_dicts(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Inspect messages as HF chat-template dicts (tool errors rendered as ``Error: ...``)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, ChatMessageTool):
            content = f"Error: {message.error.message}" if message.error else message.text
            out.append(
                {
                    "role": "tool",
                    "content": content,
                    "name": message.function or "",
                    "tool_call_id": message.tool_call_id or "",
                }
            )
        elif isinstance(message, ChatMessageAssistant):
            entry: dict[str, Any] = {"role": "assistant", "content": message.text}
            calls = [call for call in message.tool_calls or [] if call.parse_error is None]
            if calls:  # a malformed call is in the content as the model wrote it
                entry["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.function, "arguments": call.arguments},
                    }
                    for call in calls
                ]
            out.append(entry)
        elif isinstance(message, ChatMessageSystem | ChatMessageUser):
            out.append({"role": message.role, "content": message.text})
    return out


def render_prompt(tokenizer: Any, messages: list[ChatMessage], tools: list[ToolInfo]) -> str:
    """The prompt text for ``messages`` and ``tools``, ending with the assistant header."""
    return render_chat(tokenizer, messages, tools, add_generation_prompt=True)


def render_chat(
    tokenizer: Any,
    messages: list[ChatMessage],
    tools: list[ToolInfo],
    add_generation_prompt: bool = False,
) -> str:
    """The conversation as the model sees it (training renders finished turns with this)."""
    ensure_tool_template(tokenizer)
    rendered: str = tokenizer.apply_chat_template(
        message_dicts(messages),
        tools=tool_dicts(tools) or None,
        tokenize=False,
        add_generation_prompt=add_generation_prompt,
    )
    return rendered


def parse_completion(text: str) -> ParsedCompletion:
    """Split a completion into reasoning, content and ``<tool_call>`` blocks; never raises."""
    reasoning = None
    think = _THINK.match(text)
    if think:
        reasoning = think.group(1).strip()
        text = text[think.end() :]
    calls: list[ParsedToolCall] = []
    errors: list[str] = []
    kept = []  # the text outside well-formed calls: malformed blocks stay as the model wrote them
    start = 0
    for index, match in enumerate(TOOL_CALL.finditer(text)):
        body = match.group(1).strip()
        try:
            payload = json.loads(body)
            name = payload["name"]
            arguments = payload.get("arguments", {})
            if isinstance(arguments, str):
                arguments = json.loads(arguments)
            if not isinstance(name, str) or not isinstance(arguments, dict):
                raise ValueError("'name' must be a string and 'arguments' an object")
        except (ValueError, KeyError, TypeError) as ex:
            errors.append(
                f"Could not parse tool call {body[:200]!r}: {ex}. Write "
                '<tool_call>{"name": <function-name>, "arguments": {...}}</tool_call>'
            )
            continue
        calls.append(ParsedToolCall(id=f"call_{index}", function=name, arguments=arguments))
        kept.append(text[start : match.start()])
        start = match.end()
    content = ("".join(kept) + text[start:]).strip()
    return ParsedCompletion(content, calls, errors, reasoning)


def to_inspect_tool_calls(parsed: ParsedCompletion, turn: int = 0) -> list[ToolCall]:
    """Inspect tool calls; each parse error becomes a call with ``parse_error`` set.

    Ids are ``turn<turn>_<id>``: unique in a conversation when ``turn`` counts its assistant
    messages (Inspect pairs each tool result with its call by id).
    """
    calls = [
        ToolCall(id=f"turn{turn}_{call.id}", function=call.function, arguments=call.arguments)
        for call in parsed.tool_calls
    ]
    calls += [
        ToolCall(
            id=f"turn{turn}_call_error_{index}",
            function="unparsable_tool_call",
            arguments={},
            parse_error=error,
        )
        for index, error in enumerate(parsed.parse_errors)
    ]
    return calls
