"""The exported tools, read from their single source: the training environment ``FinQAToolEnv``.

Names are the default toolset's (``finbehave.vocab.TOOLSETS``); signatures and descriptions are
``FinQAToolEnv``'s methods (the evaluation's text), so every export offers exactly what Inspect
and TRL offer. Calls run as TRL runs them: a failure of any kind becomes the result text
``{'error': '<message>'}`` (what ``finbehave.training.messages`` reads back as a tool error), and
the environment records the failure's kind in ``FinQAToolEnv.failures``, which the reward reads.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

from finbehave.env.environment import EnvToolError
from finbehave.training.environment import FinQAToolEnv, ToolFailure
from finbehave.vocab import TOOLSETS

TOOL_NAMES: tuple[str, ...] = tuple(tool.name for tool in TOOLSETS["default"])


def tool_method(name: str) -> Callable[..., str]:
    """The unbound ``FinQAToolEnv`` method of tool ``name``."""
    return getattr(FinQAToolEnv, name)


def tool_signature(name: str) -> inspect.Signature:
    """The tool's parameters (``self`` dropped, annotations resolved)."""
    signature = inspect.signature(tool_method(name), eval_str=True)
    return signature.replace(parameters=list(signature.parameters.values())[1:])


def tool_description(name: str) -> str:
    return inspect.cleandoc(tool_method(name).__doc__ or "")


_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


def openai_tool(name: str) -> dict[str, Any]:
    """The tool as an OpenAI function schema."""
    parameters = tool_signature(name).parameters.values()
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": tool_description(name),
            "parameters": {
                "type": "object",
                "properties": {p.name: {"type": _JSON_TYPES[p.annotation]} for p in parameters},
                "required": [p.name for p in parameters if p.default is inspect.Parameter.empty],
            },
        },
    }


def error_text(message: str) -> str:
    """A failed call's result as TRL shows it to the model."""
    return str({"error": message})


def call_tool(
    env: FinQAToolEnv, name: str, arguments: dict[str, Any]
) -> tuple[str, ToolFailure | None]:
    """Run one call as TRL does: the result text and, if the call failed, the failure.

    A tool's own failure has the kind the environment recorded (``env.failures``); an unknown
    tool or bad arguments, which the environment never sees, is a plain ``error``.
    """
    try:
        if name not in TOOL_NAMES:
            raise ValueError(f"Tool {name} not found.")
        return str(getattr(env, name)(**arguments)), None
    except EnvToolError as exc:
        return error_text(str(exc)), ToolFailure(str(exc), exc.kind)
    except Exception as exc:  # TRL turns every failure of a call into the model-visible error
        return error_text(str(exc)), ToolFailure(str(exc), "error")


def assistant_call(call_id: str, name: str, arguments: dict[str, Any], content: str = "") -> dict:
    """The chat dict of an assistant turn making one call (as TRL records it)."""
    function = {"name": name, "arguments": json.dumps(arguments)}
    return {
        "role": "assistant",
        "content": content,
        "tool_calls": [{"id": call_id, "type": "function", "function": function}],
    }
