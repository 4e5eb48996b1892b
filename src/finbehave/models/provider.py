"""The ``finbehave`` Inspect model provider: one name, three backends.

Inspect splits a model string at the first ``/``, so ``--model finbehave/<rest>`` reaches this
provider with ``model_name=<rest>``, which selects the backend:

- ``scripted/<policy>``: deterministic reference agents (``careful``, ``guesser``, ``no_schema``,
  ``reckless``), see :mod:`finbehave.models.scripted`.
- ``local`` or ``local/<path-or-hub-id>``: a transformers causal LM in-process, optionally with
  ``-M adapter=<lora dir>``; plain ``local`` is the offline SmolLM2-135M-Instruct default.
- ``litellm/<model>``: any host litellm knows, e.g. ``litellm/openrouter/qwen/qwen3-235b-a22b``.
"""

from __future__ import annotations

from typing import Any

from inspect_ai.model import ChatMessage, GenerateConfig, ModelAPI, ModelOutput, modelapi
from inspect_ai.tool import ToolChoice, ToolInfo

from finbehave.vocab import BACKENDS

BACKEND_USAGE = (
    "use finbehave/scripted/<policy>, finbehave/local[/<path>] or finbehave/litellm/<model>"
)


def create_backend(
    model_name: str,
    base_url: str | None,
    api_key: str | None,
    config: GenerateConfig,
    model_args: dict[str, Any],
) -> ModelAPI:
    """Build the backend named by the first part of ``model_name``."""
    backend, _, rest = model_name.partition("/")
    if backend == "scripted":
        from finbehave.models.scripted import ScriptedModelAPI

        if model_args:
            raise ValueError(f"scripted policies take no model args (got {sorted(model_args)})")
        return ScriptedModelAPI(rest, config=config)
    if backend == "local":
        from finbehave.models.local import LocalModelAPI

        return LocalModelAPI(model_path=rest or None, config=config, **model_args)
    if backend == "litellm":
        from finbehave.models.litellm_api import LiteLLMModelAPI

        if not rest:
            raise ValueError("use finbehave/litellm/<model>, e.g. finbehave/litellm/gpt-4o-mini")
        return LiteLLMModelAPI(
            model_name=rest, base_url=base_url, api_key=api_key, config=config, **model_args
        )
    raise ValueError(
        f"unknown finbehave backend {backend!r} in 'finbehave/{model_name}' "
        f"(backends: {', '.join(BACKENDS)}); {BACKEND_USAGE}"
    )


@modelapi(name="finbehave")
class FinbehaveModelAPI(ModelAPI):
    """Dispatches to the backend selected by the model name; every call is forwarded."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig | None = None,
        **model_args: Any,
    ) -> None:
        config = config or GenerateConfig()
        super().__init__(model_name=model_name, base_url=base_url, api_key=api_key, config=config)
        self.backend = create_backend(model_name, base_url, api_key, config, model_args)

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> Any:
        output: ModelOutput | tuple = await self.backend.generate(input, tools, tool_choice, config)
        return output

    async def count_text_tokens(self, text: str) -> int:
        return await self.backend.count_text_tokens(text)

    def max_connections(self) -> int:
        return self.backend.max_connections()

    def connection_key(self) -> str:
        return f"{self.model_name}:{self.backend.connection_key()}"

    def should_retry(self, ex: Exception) -> Any:
        return self.backend.should_retry(ex)

    def retry_wait(self) -> Any:
        return self.backend.retry_wait()

    def is_auth_failure(self, ex: Exception) -> bool:
        return self.backend.is_auth_failure(ex)

    def max_tokens(self) -> int | None:
        return self.backend.max_tokens()

    async def aclose(self) -> None:
        await self.backend.aclose()

    def close(self) -> None:
        self.backend.close()
