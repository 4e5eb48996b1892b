"""What the export tests compare with: finbehave's own scores of the same scripted behaviour.

``inspect_scores`` runs a scripted policy (``finbehave/scripted/<policy>``) through the Inspect
task on one item of an exported bundle's dataset and returns the ``behaviour_rubric`` scores and
failure tags from the log: the evaluation's judgement of that behaviour. An exported environment
driven by the same policy (``scripted_call``) must report the same behaviour scores and tags, and
its reward must be their ``collapse``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from finbehave.data.items import Item
from finbehave.export.bundle import Bundle
from finbehave.models.scripted import POLICIES, tool_call
from finbehave.rubrics.score import RubricResult, score_trace
from finbehave.rubrics.trace import parse_trace
from finbehave.training.environment import ToolFailure
from finbehave.training.messages import to_inspect_messages
from finbehave.training.reward import collapse
from finbehave.vocab import RUBRIC_SCORER, SCORE_KEYS


def inspect_scores(
    bundle: Bundle, item: Item, policy: str, log_dir: Path
) -> tuple[dict[str, float], list[str]]:
    """The behaviour scores and failure tags Inspect's scorer gives ``policy``'s trace on ``item``."""
    from inspect_ai import eval

    from finbehave.tasks.finqa import finqa, finqa_reasoning

    make = {"finqa": finqa, "finqa_reasoning": finqa_reasoning}[item.task]
    task = make(dataset=bundle.dataset_dir, rubric=str(bundle.folder / "rubric.yaml"))
    [log] = eval(
        task,
        model=f"finbehave/scripted/{policy}",
        sample_id=item.id,
        log_dir=str(log_dir),
        display="none",
    )
    assert log.status == "success", log.error
    score = log.samples[0].scores[RUBRIC_SCORER]
    value = score.value
    scores = {key: math.nan if value[key] is None else float(value[key]) for key in SCORE_KEYS}
    return scores, list(score.metadata["tags"])


def offered_tools(tools: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Each offered tool's parameter names, from OpenAI function schemas."""
    return {
        tool["function"]["name"]: list(tool["function"]["parameters"]["properties"])
        for tool in tools
    }


def scripted_call(
    policy: str, item: Item, conversation: list[dict[str, Any]], offered: Mapping[str, list[str]]
) -> tuple[str, dict[str, Any]] | None:
    """The next call (tool name, arguments) of a scripted policy on a chat conversation, among
    the offered tools; None once a ``submit`` has succeeded."""
    steps = parse_trace(to_inspect_messages(conversation)).steps
    if steps and steps[-1].role == "submit" and steps[-1].ok:
        return None
    return tool_call(POLICIES[policy](item, steps), offered, item.company)


def rescored(
    bundle: Bundle,
    item: Item,
    conversation: list[dict[str, Any]],
    failures: Sequence[ToolFailure] = (),
) -> tuple[float, RubricResult]:
    """``collapse(score_trace(...))`` of a conversation and its recorded failures, computed here
    from the messages."""
    result = score_trace(
        to_inspect_messages(conversation, failures),
        item,
        bundle.reward.rubric,
        tolerance=bundle.reward.tolerance,
    )
    return collapse(result, bundle.reward.weights), result


def assert_same_scores(got: Mapping[str, float | None], want: Mapping[str, float]) -> None:
    """Every score key equal to 1e-9 (None and NaN both mean 'does not apply')."""
    for key in SCORE_KEYS:
        mine = got.get(key)
        theirs = want[key]
        if theirs is None or math.isnan(theirs):
            assert mine is None or math.isnan(mine), (key, mine, theirs)
        else:
            assert mine is not None and abs(mine - theirs) <= 1e-9, (key, mine, theirs)
