"""Judge criteria: a grader model (Inspect's ``grader`` role) rules ``met`` or ``unmet``.

Never the evaluated model: without a bound ``grader`` role, judge criteria are ``error`` and one
warning is logged per process; programmatic scores are unaffected. Verdicts are cached by
(criterion text, trace hash, grader model). A grader that fails or answers unclearly gives
``error``, never ``unmet``.
"""

from __future__ import annotations

import hashlib
import logging
import re

from inspect_ai.model import ChatMessage, ChatMessageUser, Model, get_model, model_roles

from finbehave.data.items import Item
from finbehave.rubrics.score import describe
from finbehave.rubrics.spec import Rubric, item_criteria

logger = logging.getLogger(__name__)
GRADER_ROLE = "grader"
_VERDICT = re.compile(r"VERDICT:\s*(MET|UNMET)\b", re.IGNORECASE)
_CACHE: dict[tuple[str, str, str], str] = {}
_warned = False

PROMPT = """You are grading one transcript of an agent answering a financial question with SQL tools.

Question: {question}
Gold answer: {answer} ({unit})

Transcript:
{transcript}

Criterion: {criterion}

Does the transcript meet the criterion? Explain in one or two sentences, then end with exactly
one line: VERDICT: MET or VERDICT: UNMET"""


def render_transcript(messages: list[ChatMessage], limit: int = 12_000) -> str:
    """A compact plain-text transcript (tool calls, results and errors)."""
    lines = []
    for index, message in enumerate(messages):
        if message.role == "system":
            continue
        text = message.text.strip()
        calls = getattr(message, "tool_calls", None) or []
        for call in calls:
            text += f"\n  -> {call.function}({call.arguments})"
        error = getattr(message, "error", None)
        if error is not None:
            text += f"\n  !! error: {error.message}"
        lines.append(f"[{index}] {message.role}: {text}")
    transcript = "\n".join(lines)
    return transcript if len(transcript) <= limit else transcript[:limit] + "\n[...]"


def grader_model() -> Model | None:
    """The model bound to the ``grader`` role, or None (with one warning) when unbound."""
    global _warned
    if model_roles().get(GRADER_ROLE) is None:
        if not _warned:
            logger.warning(
                "rubric has judge criteria but no grader model: they are scored as 'error'. "
                "Bind one with --model-role grader=<model>."
            )
            _warned = True
        return None
    return get_model(role=GRADER_ROLE)


async def judge_criteria(
    messages: list[ChatMessage], item: Item, rubric: Rubric, grader: Model | None
) -> dict[str, str]:
    """Verdicts (``met``/``unmet``/``error``) of every judge criterion for this item."""
    judges = [c for c in item_criteria(rubric, item.rubric, item.id) if c.kind == "judge"]
    if not judges:
        return {}
    if grader is None:
        return {c.id: "error" for c in judges}
    transcript = render_transcript(messages)
    trace_hash = hashlib.sha256(transcript.encode()).hexdigest()
    verdicts: dict[str, str] = {}
    for criterion in judges:
        text = describe(criterion, item) if criterion.description else str(criterion.criterion)
        key = (str(criterion.criterion), trace_hash, str(grader))
        if key not in _CACHE:
            _CACHE[key] = await _ask(grader, item, transcript, text)
        verdicts[criterion.id] = _CACHE[key]
    return verdicts


async def _ask(grader: Model, item: Item, transcript: str, criterion: str) -> str:
    prompt = PROMPT.format(
        question=item.question,
        answer=item.answer,
        unit=item.unit,
        transcript=transcript,
        criterion=criterion,
    )
    try:
        output = await grader.generate([ChatMessageUser(content=prompt)])
    except Exception as exc:
        logger.warning("grader failed on a judge criterion: %s", exc)
        return "error"
    match = _VERDICT.search(output.completion or "")
    return match.group(1).lower() if match else "error"
