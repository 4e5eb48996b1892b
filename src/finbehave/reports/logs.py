"""Exemplar transcripts for the report: a few failed conversations per run x failure tag.

Kept while :func:`finbehave.logs.read_logs` reads the logs (its ``on_sample`` hook), so each log
is read once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inspect_ai.log import EvalSample
from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageTool

from finbehave.data.items import Item
from finbehave.vocab import RUBRIC_SCORER

EXEMPLARS_PER_TAG = 3
TEXT_LIMIT = 4000


@dataclass
class Turn:
    """One message of a transcript, flattened for display."""

    index: int
    role: str
    text: str
    calls: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    evidence: list[str] = field(default_factory=list)


@dataclass
class Transcript:
    """An exemplar transcript with the rubric criteria it failed."""

    run: str
    task: str
    sample_id: str
    epoch: int
    question: str
    gold: str
    submission: str | None
    tags: list[str]
    unmet: list[str]
    turns: list[Turn]


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + f" … [{len(text):,} chars]"


def _turns(messages: list[ChatMessage], criteria: list[dict[str, Any]]) -> list[Turn]:
    marks: dict[int, list[str]] = {}
    for criterion in criteria:
        evidence = criterion.get("evidence") or {}
        index = evidence.get("message_index")
        if criterion.get("verdict") == "unmet" and isinstance(index, int):
            marks.setdefault(index, []).append(f"{criterion['id']}: {evidence.get('text', '')}")
    turns = []
    for index, message in enumerate(messages):
        calls = []
        if isinstance(message, ChatMessageAssistant):
            calls = [(c.function, _clip(str(c.arguments))) for c in message.tool_calls or []]
        error = None
        if isinstance(message, ChatMessageTool) and message.error is not None:
            error = _clip(message.error.message)
        turns.append(
            Turn(index, message.role, _clip(message.text), calls, error, marks.get(index, []))
        )
    return turns


class Exemplars:
    """An ``on_sample`` hook keeping up to ``EXEMPLARS_PER_TAG`` transcripts per (run, tag)."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str], list[Transcript]] = {}

    def __call__(
        self,
        row: dict[str, Any],
        sample: EvalSample,
        item: Item,
        criteria: list[dict[str, Any]],
    ) -> None:
        run, tags = row["run"], row["tags"]
        wanted = [tag for tag in tags if len(self.found.get((run, tag), [])) < EXEMPLARS_PER_TAG]
        if not wanted:
            return
        score = (sample.scores or {}).get(RUBRIC_SCORER)
        transcript = Transcript(
            run=run,
            task=row["task"],
            sample_id=str(sample.id),
            epoch=int(sample.epoch),
            question=item.question,
            gold=f"{item.answer} ({item.unit})",
            submission=score.answer if score is not None and score.answer else None,
            tags=tags,
            unmet=[
                f"{c['id']} ({c['behaviour']})"
                for c in criteria
                if c.get("verdict") == "unmet" and float(c.get("weight", 0)) > 0
            ],
            turns=_turns(sample.messages, criteria),
        )
        for tag in wanted:
            self.found.setdefault((run, tag), []).append(transcript)
