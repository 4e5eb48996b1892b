"""What the export tests compare with: finbehave's own scores of the same scripted behaviour.

``inspect_scores`` runs a scripted policy (``finbehave/scripted/<policy>``) through the Inspect
task on one item of an exported bundle's dataset and returns the ``behaviour_rubric`` scores from
the log: the evaluation's judgement of that behaviour. An exported environment driven by the same
policy must report the same behaviour scores, and its reward must be their ``collapse``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from finbehave.data.items import Item
from finbehave.export.bundle import Bundle
from finbehave.rubrics.score import score_trace
from finbehave.training.messages import to_inspect_messages
from finbehave.training.reward import collapse
from finbehave.vocab import RUBRIC_SCORER, SCORE_KEYS


def inspect_scores(bundle: Bundle, item: Item, policy: str, log_dir: Path) -> dict[str, float]:
    """The behaviour scores Inspect's scorer gives ``policy``'s trace on ``item``."""
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
    value = log.samples[0].scores[RUBRIC_SCORER].value
    return {key: math.nan if value[key] is None else float(value[key]) for key in SCORE_KEYS}


def rescored(bundle: Bundle, item: Item, conversation: list[dict]) -> tuple[float, dict]:
    """``collapse(score_trace(...))`` of a conversation, computed here from its messages."""
    result = score_trace(
        to_inspect_messages(conversation),
        item,
        bundle.reward.rubric,
        tolerance=bundle.reward.tolerance,
    )
    return collapse(result, bundle.reward.weights), result.scores


def assert_same_scores(got: Mapping[str, float | None], want: Mapping[str, float]) -> None:
    """Every score key equal to 1e-9 (None and NaN both mean 'does not apply')."""
    for key in SCORE_KEYS:
        mine = got.get(key)
        theirs = want[key]
        if theirs is None or math.isnan(theirs):
            assert mine is None or math.isnan(mine), (key, mine, theirs)
        else:
            assert mine is not None and abs(mine - theirs) <= 1e-9, (key, mine, theirs)
