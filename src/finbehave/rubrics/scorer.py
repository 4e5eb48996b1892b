"""The ``behaviour_rubric`` Inspect scorer: ``score_trace`` on every sample.

``Score.value`` is the dict of the six behaviour scores plus ``rubric_score`` (NaN = not
applicable); metrics are NaN-aware means and standard errors per key. ``Score.metadata`` holds
the failure ``tags``, per-criterion verdicts with evidence, and the ``rubric_version``.
"""

from __future__ import annotations

import math

import numpy as np
from inspect_ai.scorer import Metric, SampleScore, Score, Target, metric, scorer
from inspect_ai.solver import TaskState

from finbehave.data.items import Item
from finbehave.rubrics.judge import grader_model, judge_criteria
from finbehave.rubrics.score import RubricResult, score_trace
from finbehave.rubrics.spec import load_rubric
from finbehave.vocab import DEFAULT_TOLERANCE, RUBRIC_SCORER


def _values(scores: list[SampleScore]) -> np.ndarray:
    values = np.asarray([s.score.as_float() for s in scores], dtype=float)
    return values[~np.isnan(values)]


@metric
def nanmean() -> Metric:
    """Mean over the samples where the behaviour applies (NaN when it never does)."""

    def compute(scores: list[SampleScore]) -> float:
        values = _values(scores)
        return float(values.mean()) if values.size else math.nan

    return compute


@metric
def nanstderr() -> Metric:
    """Standard error of ``nanmean``."""

    def compute(scores: list[SampleScore]) -> float:
        values = _values(scores)
        if values.size < 2:
            return math.nan
        return float(values.std(ddof=1) / math.sqrt(values.size))

    return compute


def limit_was_hit(state: TaskState) -> bool:
    """Did the sample stop at its message limit?"""
    limit = state.message_limit
    return limit is not None and len(state.messages) >= limit


def to_score(result: RubricResult) -> Score:
    """An Inspect ``Score`` for a rubric result."""
    failing = [c.id for c in result.criteria if c.verdict == "unmet" and c.weight > 0]
    return Score(
        value=dict(result.scores),
        answer=result.submission,
        explanation=(
            f"tags: {', '.join(result.tags) or 'none'}; "
            f"unmet: {', '.join(failing) or 'none'}; {result.explanation}"
        ),
        metadata=result.to_metadata(),
    )


@scorer(metrics={"*": [nanmean(), nanstderr()]}, name=RUBRIC_SCORER)
def behaviour_rubric(rubric: str | None = None, tolerance: float = DEFAULT_TOLERANCE):
    """Score each trace's behaviours with a rubric (default: the packaged one).

    Args:
        rubric: Path of a rubric YAML file; None for the packaged default.
        tolerance: Relative tolerance for numbers (as ``answer_correctness``).
    """
    loaded = load_rubric(rubric)

    async def score(state: TaskState, target: Target) -> Score:
        item = Item.model_validate(state.metadata)
        verdicts = None
        if loaded.has_judge:
            verdicts = await judge_criteria(state.messages, item, loaded, grader_model())
        result = score_trace(
            state.messages,
            item,
            loaded,
            limit_hit=limit_was_hit(state),
            judge_verdicts=verdicts,
            tolerance=tolerance,
        )
        return to_score(result)

    return score
