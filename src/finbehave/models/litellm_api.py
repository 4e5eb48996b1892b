"""``finbehave/litellm/<model>``: any host litellm knows, with Inspect's retry machinery.

Requests go through ``litellm.acompletion`` (OpenAI-format messages and tools) with a per-request
timeout and litellm/OpenAI-client retries switched off: Inspect retries whatever
:meth:`LiteLLMModelAPI.should_retry` accepts (429, 5xx, timeouts, connection errors), waiting
:class:`RetryAfterWait` between attempts (the server's ``Retry-After`` when given, else exponential
backoff). API keys come from the usual provider environment variables (or ``api_key``) and are
never logged.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch the cost map

import litellm
from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    RetryDecision,
    StopReason,
)
from inspect_ai.tool import ToolCall, ToolChoice, ToolFunction, ToolInfo
from tenacity import RetryCallState
from tenacity.wait import wait_base

from finbehave.models.chat_format import message_dicts, tool_dicts

litellm.suppress_debug_info = True

STOP_REASONS: dict[str, StopReason] = {
    "stop": "stop",
    "length": "max_tokens",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def retry_after_seconds(ex: BaseException) -> float | None:
    """The ``Retry-After`` header (seconds) carried by an HTTP error, if any."""
    for headers in (
        getattr(ex, "litellm_response_headers", None),
        getattr(getattr(ex, "response", None), "headers", None),
    ):
        if headers is None:
            continue
        value = headers.get("retry-after") or headers.get("Retry-After")
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            return None
    return None


class RetryAfterWait(wait_base):
    """Wait the server's ``Retry-After`` if given, else jittered exponential backoff."""

    def __init__(self, initial: float = 1.0, maximum: float = 60.0) -> None:
        self.initial = initial
        self.maximum = maximum

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        ex = outcome.exception() if outcome is not None else None
        if ex is not None:
            after = retry_after_seconds(ex)
            if after is not None:
                return min(after, self.maximum)
        backoff = self.initial * 2 ** (retry_state.attempt_number - 1)
        return min(backoff, self.maximum) * random.uniform(0.5, 1.0)


def openai_messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Inspect messages in OpenAI chat format (tool-call arguments as JSON strings)."""
    out = message_dicts(messages)
    for message in out:
        for call in message.get("tool_calls", []):
            call["function"]["arguments"] = json.dumps(call["function"]["arguments"])
        if message["role"] == "tool":
            message.pop("name", None)
    return out


def openai_tool_choice(tool_choice: ToolChoice) -> Any:
    """Inspect's tool choice in OpenAI format."""
    if isinstance(tool_choice, ToolFunction):
        return {"type": "function", "function": {"name": tool_choice.name}}
    return "required" if tool_choice == "any" else tool_choice


def parse_tool_calls(raw_calls: list[Any] | None) -> list[ToolCall]:
    """OpenAI tool calls as Inspect ``ToolCall``s; bad JSON arguments set ``parse_error``."""
    calls: list[ToolCall] = []
    for index, raw in enumerate(raw_calls or []):
        arguments_text = raw.function.arguments or "{}"
        parse_error = None
        try:
            arguments = json.loads(arguments_text)
            if not isinstance(arguments, dict):
                raise ValueError("arguments must be a JSON object")
        except ValueError as ex:
            arguments = {}
            parse_error = f"Could not parse tool call arguments {arguments_text[:200]!r}: {ex}"
        calls.append(
            ToolCall(
                id=raw.id or f"call_{index}",
                function=raw.function.name or "unknown",
                arguments=arguments,
                parse_error=parse_error,
            )
        )
    return calls


class LiteLLMModelAPI(ModelAPI):
    """A chat model reached through litellm."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig | None = None,
        timeout: float = 120.0,
        connections: int = 10,
        **litellm_args: Any,
    ) -> None:
        super().__init__(
            model_name=model_name,
            base_url=base_url,
            api_key=api_key,
            config=config or GenerateConfig(),
        )
        self.timeout = float(timeout)
        self.connections = int(connections)
        self.litellm_args = litellm_args

    def _request_args(self, config: GenerateConfig) -> dict[str, Any]:
        args: dict[str, Any] = {
            "temperature": config.temperature,
            "top_p": config.top_p,
            "max_tokens": config.max_tokens,
            "seed": config.seed,
            "stop": config.stop_seqs,
            "frequency_penalty": config.frequency_penalty,
            "presence_penalty": config.presence_penalty,
        }
        args = {key: value for key, value in args.items() if value is not None}
        if self.base_url:
            args["api_base"] = self.base_url
        if self.api_key:
            args["api_key"] = self.api_key
        return args | self.litellm_args

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        request: dict[str, Any] = {"model": self.model_name, "messages": openai_messages(input)}
        if tools:
            request["tools"] = tool_dicts(tools)
            request["tool_choice"] = openai_tool_choice(tool_choice)
        response = await litellm.acompletion(
            **request,
            **self._request_args(config),
            timeout=config.attempt_timeout or self.timeout,
            num_retries=0,
            max_retries=0,
        )
        choice = response.choices[0]
        calls = parse_tool_calls(getattr(choice.message, "tool_calls", None))
        message = ChatMessageAssistant(
            content=choice.message.content or "",
            tool_calls=calls or None,
            model=response.model or self.model_name,
            source="generate",
        )
        stop = "tool_calls" if calls else STOP_REASONS.get(choice.finish_reason or "", "unknown")
        usage = getattr(response, "usage", None)
        return ModelOutput(
            model=response.model or self.model_name,
            choices=[ChatCompletionChoice(message=message, stop_reason=stop)],
            usage=ModelUsage(
                input_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                output_tokens=getattr(usage, "completion_tokens", 0) or 0,
                total_tokens=getattr(usage, "total_tokens", 0) or 0,
            ),
        )

    def should_retry(self, ex: Exception) -> bool | RetryDecision:
        if isinstance(ex, litellm.RateLimitError):
            return RetryDecision.rate_limit(retry_after_seconds(ex))
        if isinstance(ex, litellm.Timeout | litellm.APIConnectionError):
            return RetryDecision.transient()
        status = getattr(ex, "status_code", None)
        if isinstance(status, int) and (status >= 500 or status in (408, 409)):
            return RetryDecision.transient(retry_after_seconds(ex))
        return RetryDecision.no()

    def retry_wait(self) -> RetryAfterWait:
        return RetryAfterWait()

    def is_auth_failure(self, ex: Exception) -> bool:
        return isinstance(ex, litellm.AuthenticationError)

    async def count_text_tokens(self, text: str) -> int:
        try:
            return int(litellm.token_counter(model=self.model_name, text=text))
        except Exception:
            return len(text) // 4 + 1

    def max_connections(self) -> int:
        return self.connections

    def connection_key(self) -> str:
        return f"{self.model_name}@{self.base_url or 'default'}"
