"""Offline tiny tokenizer and randomly initialised Qwen2-style model for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def tiny_tokenizer(chat_template: str | None = None) -> Any:
    """A byte-level tokenizer (256 bytes, no merges) that round-trips any text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {token: index for index, token in enumerate(SPECIAL + sorted(alphabet))}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    return tokenizer


def qwen_template() -> str:
    """TRL's Qwen2.5 chat template (tool-capable)."""
    from trl.chat_template_utils import qwen2_5_chat_template

    return qwen2_5_chat_template


TOOL_CONTEXT = 32768  # room for a byte-level prompt with the tool schemas (~5k tokens)


def save_tiny_model(
    directory: Path, chat_template: str | None = None, max_positions: int = 4096
) -> Path:
    """Save a 2-layer, hidden-32 random Qwen2 model and the tiny tokenizer to ``directory``.

    Training with tools needs ``max_positions=TOOL_CONTEXT``: otherwise TRL treats every tool
    turn as too long.
    """
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = tiny_tokenizer(chat_template or qwen_template())
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=max_positions,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(0)
    Qwen2ForCausalLM(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
