"""Traces as SFT examples: rendered by the one chat format, loss on the assistant's turns only.

A trace is rendered with :func:`finbehave.models.chat_format.render_chat`, the renderer
``finbehave/local`` uses, so the text before each assistant turn is exactly the prompt
``finbehave/local`` sends for that conversation (``render_prompt(tokenizer, messages_before,
tools)``). Each assistant turn (its content, its ``<tool_call>`` blocks, its end-of-turn token)
carries the loss; the system prompt with the tool schemas, the question, tool results and the
template's own markup do not. The rendering stops after the last assistant turn.

Tokens are made segment by segment (prompt text, turn, prompt text, turn, ...): each prompt is
tokenized apart from the turn that follows, as in inference, where the prompt is tokenized and
the turn generated. An example is ``input_ids`` plus ``assistant_masks`` (1 = in the loss), the
pre-tokenized form TRL's ``SFTTrainer`` turns into labels as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspect_ai.model import ChatMessage, ChatMessageAssistant
from inspect_ai.tool import ToolInfo

from finbehave.models.chat_format import render_chat, render_prompt


class TraceRenderError(ValueError):
    """A trace the chat template cannot split into prompts and turns (one line)."""


@dataclass(frozen=True)
class Segment:
    """A piece of the rendered conversation and whether it carries the loss."""

    text: str
    trained: bool


def _end_of_turn(turn: str, eos: str | None) -> int:
    """Where the generated part of a rendered turn ends: after its end-of-turn token."""
    if eos and eos in turn:
        return turn.rindex(eos) + len(eos)
    return len(turn.rstrip())


def trace_segments(
    tokenizer: Any, messages: list[ChatMessage], tools: list[ToolInfo]
) -> list[Segment]:
    """The conversation up to its last assistant turn, split into prompt text and turns."""
    segments: list[Segment] = []
    done = ""
    for index, message in enumerate(messages):
        if not isinstance(message, ChatMessageAssistant):
            continue
        prompt = render_prompt(tokenizer, messages[:index], tools)
        through = render_chat(tokenizer, messages[: index + 1], tools)
        if not (prompt.startswith(done) and through.startswith(prompt)):
            raise TraceRenderError(
                f"assistant turn {index} does not render as prompt + turn with this chat "
                "template (e.g. an empty turn)"
            )
        turn = through[len(prompt) :]
        cut = _end_of_turn(turn, tokenizer.eos_token)
        if prompt[len(done) :]:
            segments.append(Segment(prompt[len(done) :], False))
        segments.append(Segment(turn[:cut], True))
        done = prompt + turn[:cut]
    return segments


def tokenize_segments(tokenizer: Any, segments: list[Segment]) -> dict[str, list[int]]:
    """``input_ids`` and ``assistant_masks`` (1 on the tokens of trained segments)."""
    ids: list[int] = []
    mask: list[int] = []
    for segment in segments:
        tokens = tokenizer(segment.text, add_special_tokens=False)["input_ids"]
        ids += tokens
        mask += [int(segment.trained)] * len(tokens)
    return {"input_ids": ids, "assistant_masks": mask}


def sft_example(
    tokenizer: Any, messages: list[ChatMessage], tools: list[ToolInfo]
) -> dict[str, list[int]]:
    """One pre-tokenized SFT example for a conversation."""
    return tokenize_segments(tokenizer, trace_segments(tokenizer, messages, tools))
