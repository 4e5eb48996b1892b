"""``finbehave/local[/<path-or-id>]``: a transformers causal LM (plus a LoRA adapter) in-process.

Prompts are rendered and completions parsed by :mod:`finbehave.models.chat_format`, the same code
training uses. Generation runs in :class:`finbehave.models.engine.DecodeEngine`: each sample's
next turn reuses the key/value cache of what it already encoded, samples share the encoded
system prompt and tools, concurrent samples (up to ``max_connections``) decode together, and a
turn ends at ``</tool_call>`` or the end token. Model args (``-M name=value``): ``adapter``,
``device``, ``dtype``, ``max_new_tokens`` (per turn), ``threads`` (torch CPU threads, default
:func:`finbehave.models.threads.pick_threads`), ``max_connections``, ``cache_mb`` (memory for
cached prefixes). torch/transformers/peft are imported lazily (the ``train`` extra).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

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
from inspect_ai.util import sample_limits

from finbehave.models.chat_format import (
    ensure_tool_template,
    parse_completion,
    render_prompt,
    to_inspect_tool_calls,
)
from finbehave.models.threads import configure_threads

TRAIN_HINT = "pip install 'finbehave[train]'"
logger = logging.getLogger(__name__)
SLOW_SAMPLE_S = 300
INVENTED_RESULT = "<tool_response>"  # one of the engine's stop strings


def _require_transformers() -> None:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as ex:
        raise RuntimeError(f"finbehave/local needs torch and transformers: {TRAIN_HINT}") from ex


def warn_if_slow(tokens_per_s: float, max_new_tokens: int) -> None:
    """Warn when a sample may take over :data:`SLOW_SAMPLE_S` (called after the first turn).

    The estimate is the sample's turns (half its message limit) x ``max_new_tokens`` at the
    decode speed measured so far (an upper bound: most turns end earlier).
    """
    try:
        messages = sample_limits().message.limit
    except RuntimeError:  # outside a sample
        messages = None
    turns = int(messages or 20) // 2
    estimate = turns * max_new_tokens / max(tokens_per_s, 1e-6)
    if estimate > SLOW_SAMPLE_S:
        logger.warning(
            f"finbehave/local: {tokens_per_s:.1f} tokens/s, so a sample of up to {turns} turns x "
            f"{max_new_tokens} tokens may take ~{estimate / 60:.0f} min; shorten the run with "
            "--limit, -M max_new_tokens=<n> or --message-limit (README: local models)"
        )


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
    """A local transformers model served by a :class:`DecodeEngine` (module docstring)."""

    def __init__(
        self,
        model_path: str | None = None,
        config: GenerateConfig | None = None,
        adapter: str | None = None,
        device: str = "cpu",
        dtype: str = "float32",
        max_new_tokens: int = 256,
        threads: int | None = None,
        max_connections: int = 8,
        cache_mb: int = 2048,
    ) -> None:
        _require_transformers()
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from finbehave.models.engine import DecodeEngine

        if model_path is None:
            from finbehave.models.smollm2 import default_model_dir

            model_path = str(default_model_dir())
        super().__init__(model_name=model_path, config=config or GenerateConfig())
        self.device = device
        self.max_new_tokens = int(max_new_tokens)
        self.connections = int(max_connections)
        if self.connections < 1:
            raise ValueError(f"max_connections must be >= 1 (got {max_connections})")
        threads = configure_threads(None if threads is None else int(threads))
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
        self.engine = DecodeEngine(
            self.model,
            self.tokenizer,
            threads=threads,
            cache_bytes=int(cache_mb) << 20,
            max_batch=self.connections,
        )
        self._estimated = False

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        from finbehave.models.engine import GenRequest

        prompt = render_prompt(self.tokenizer, input, tools)
        ids = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        max_new = config.max_tokens or self.max_new_tokens
        sampling = config.temperature is None or config.temperature > 0
        request = GenRequest(
            ids=ids,
            max_new_tokens=max_new,
            temperature=(config.temperature or 1.0) if sampling else 0.0,
            top_p=config.top_p if config.top_p is not None else 1.0,
            top_k=config.top_k or 0,
            seed=None if config.seed is None else call_seed(config.seed, prompt),
        )
        future = self.engine.submit(request)
        try:
            result = await anyio.to_thread.run_sync(future.result, abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():
            future.cancel()
            raise
        rate = self.engine.tokens_per_s()
        if not self._estimated and rate is not None:
            self._estimated = True
            warn_if_slow(rate, max_new)
        turn = sum(isinstance(message, ChatMessageAssistant) for message in input)
        return self._output(len(ids), result.tokens, result.stop, turn)

    def _output(self, input_len: int, new_ids: list[int], stop: str, turn: int) -> ModelOutput:
        text = self.tokenizer.decode(new_ids, skip_special_tokens=True)
        text = text.split(INVENTED_RESULT)[0]  # the model's own turn ends there
        parsed = parse_completion(text)
        calls = to_inspect_tool_calls(parsed, turn)
        stop_reason = "tool_calls" if calls else ("max_tokens" if stop == "max_tokens" else "stop")
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
            choices=[ChatCompletionChoice(message=message, stop_reason=stop_reason)],
            usage=ModelUsage(
                input_tokens=input_len,
                output_tokens=len(new_ids),
                total_tokens=input_len + len(new_ids),
            ),
        )

    async def count_text_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def max_connections(self) -> int:
        return self.connections

    def connection_key(self) -> str:
        return f"{self.model_name}:{self.adapter or ''}"

    def close(self) -> None:
        self.engine.close()
