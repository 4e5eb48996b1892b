"""``finbehave/local[/<path-or-id>]``: a transformers causal LM (plus a LoRA adapter) in-process.

Prompts are rendered and completions parsed by :mod:`finbehave.models.chat_format`, the same code
training uses. torch/transformers/peft are imported lazily (the ``train`` extra).
"""

from __future__ import annotations

import hashlib
import threading
from functools import partial
from pathlib import Path
from typing import Any

import anyio
from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    Content,
    ContentReasoning,
    ContentText,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from finbehave.models.chat_format import (
    ensure_tool_template,
    parse_completion,
    render_prompt,
    to_inspect_tool_calls,
)

TRAIN_HINT = "pip install 'finbehave[train]'"


def _require_transformers() -> None:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as ex:
        raise RuntimeError(f"finbehave/local needs torch and transformers: {TRAIN_HINT}") from ex


def call_seed(seed: int, prompt: str) -> int:
    """The sampling seed of one call: the run's ``seed`` mixed with the prompt.

    Reseeding every call with the run's seed itself would replay the same random numbers in every
    sample and turn, so samples that share a prefix (every first turn of an eval) would all draw
    the same tokens: one draw, repeated, instead of a sample of the model. Mixed with the prompt,
    each sample and turn draws its own stream, and a rerun draws the same one.
    """
    digest = hashlib.sha256(f"{seed}\0{prompt}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


class LocalModelAPI(ModelAPI):
    """A local transformers model; generation runs serialized in a worker thread."""

    def __init__(
        self,
        model_path: str | None = None,
        config: GenerateConfig | None = None,
        adapter: str | None = None,
        device: str = "cpu",
        dtype: str = "float32",
        max_new_tokens: int = 512,
    ) -> None:
        _require_transformers()
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if model_path is None:
            from finbehave.models.smollm2 import default_model_dir

            model_path = str(default_model_dir())
        super().__init__(model_name=model_path, config=config or GenerateConfig())
        self.device = device
        self.max_new_tokens = int(max_new_tokens)
        self.tokenizer = ensure_tool_template(AutoTokenizer.from_pretrained(model_path))
        model = AutoModelForCausalLM.from_pretrained(model_path, dtype=getattr(torch, dtype))
        if adapter:
            if not Path(adapter).is_dir():
                raise ValueError(
                    f"adapter directory {adapter!r} not found: pass -M adapter=<lora dir>"
                )
            try:
                from peft import PeftModel
            except ImportError as ex:
                raise RuntimeError(f"LoRA adapters need peft: {TRAIN_HINT}") from ex
            model = PeftModel.from_pretrained(model, adapter)
        self.model = model.to(device).eval()
        self.adapter = adapter
        self._lock = threading.Lock()

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        prompt = render_prompt(self.tokenizer, input, tools)
        return await anyio.to_thread.run_sync(partial(self._generate_sync, prompt, config))

    def _generate_sync(self, prompt: str, config: GenerateConfig) -> ModelOutput:
        import torch

        encoded = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False).to(
            self.device
        )
        max_new = config.max_tokens or self.max_new_tokens
        sampling = config.temperature is None or config.temperature > 0
        kwargs: dict[str, Any] = {"max_new_tokens": max_new, "do_sample": sampling}
        if sampling:
            kwargs["temperature"] = config.temperature or 1.0
            kwargs["top_p"] = config.top_p if config.top_p is not None else 1.0
            kwargs["top_k"] = config.top_k or 0
        pad_id = self.tokenizer.pad_token_id
        kwargs["pad_token_id"] = pad_id if pad_id is not None else self.tokenizer.eos_token_id
        with self._lock, torch.inference_mode():
            if config.seed is not None:
                torch.manual_seed(call_seed(config.seed, prompt))
            output = self.model.generate(**encoded, **kwargs)
        input_len = encoded["input_ids"].shape[1]
        new_ids = output[0, input_len:].tolist()
        text = self.tokenizer.decode(new_ids, skip_special_tokens=True)
        parsed = parse_completion(text)
        calls = to_inspect_tool_calls(parsed)
        hit_eos = bool(new_ids) and new_ids[-1] == self.tokenizer.eos_token_id
        stop = (
            "tool_calls"
            if calls
            else ("max_tokens" if len(new_ids) >= max_new and not hit_eos else "stop")
        )
        content: str | list[Content] = parsed.content
        if parsed.reasoning:
            content = [
                ContentReasoning(reasoning=parsed.reasoning),
                ContentText(text=parsed.content),
            ]
        message = ChatMessageAssistant(
            content=content, tool_calls=calls or None, model=self.model_name, source="generate"
        )
        return ModelOutput(
            model=self.model_name,
            choices=[ChatCompletionChoice(message=message, stop_reason=stop)],
            usage=ModelUsage(
                input_tokens=input_len,
                output_tokens=len(new_ids),
                total_tokens=input_len + len(new_ids),
            ),
        )

    async def count_text_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def max_connections(self) -> int:
        return 1

    def connection_key(self) -> str:
        return f"{self.model_name}:{self.adapter or ''}"
