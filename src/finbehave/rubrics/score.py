"""``score_trace``: the one place behaviour is judged.

The Inspect scorer, ``finbehave rescore``, the reports and the GRPO reward all call it. It is
pure and fast: no I/O, no model calls (judge verdicts are computed beforehand and passed in).

Behaviour scores: each behaviour is the weight-averaged score of its applicable positive
criteria, NaN when none applies. ``rubric_score`` (HealthBench style) is the points earned —
positive criteria weight x score, minus |weight| x score for penalties — over the positive
points available, clipped to [0, 1]. Judge criteria with verdict ``error`` count nowhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from inspect_ai.model import ChatMessage

from finbehave.data.items import Item
from finbehave.rubrics.checks import CHECKS, Context, Outcome
from finbehave.rubrics.spec import Criterion, Rubric, item_criteria
from finbehave.rubrics.trace import Trace, parse_trace
from finbehave.vocab import BEHAVIOURS, DEFAULT_TOLERANCE

Verdict = Literal["met", "unmet", "not_applicable", "error"]
MET_AT = 0.5  # a criterion (or behaviour) score at or above this counts as met
TAG_MEANINGS = {
    "nonexistent_table": "queried or inspected a table that does not exist",
    "repeated_failing_call": "sent an identical failing call again",
    "wrong_column_no_recovery": "hit a column error and never recovered",
    "no_schema_inspection": "queried tables without inspecting their schema first",
    "hallucinated_answer": "submitted a number never seen in a tool result nor derived from one",
    "arithmetic_or_unit_error": "used the right values but computed or scaled the answer wrongly",
    "no_submission": "never submitted an answer",
    "hit_message_limit": "ran out of messages before finishing",
    "sql_rejected": "sent SQL the sandbox refused (writes, files, network, limits)",
}


@dataclass(slots=True)
class CriterionResult:
    """One criterion's verdict on one trace (the description is rendered on first use)."""

    id: str
    behaviour: str
    verdict: Verdict
    score: float | None
    weight: float
    points: float
    template: str
    facts: Mapping[str, Any] = field(repr=False, compare=False)
    evidence: dict[str, Any] | None = None

    @property
    def description(self) -> str:
        return self.template.format_map(self.facts) if "{" in self.template else self.template

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "behaviour": self.behaviour,
            "verdict": self.verdict,
            "score": self.score,
            "weight": self.weight,
            "points": self.points,
            "description": self.description,
            "evidence": self.evidence,
        }


@dataclass
class RubricResult:
    """Behaviour scores, failure tags and per-criterion verdicts for one trace."""

    scores: dict[str, float]
    tags: list[str]
    criteria: list[CriterionResult]
    rubric_version: str
    submission: str | None = None
    explanation: str = ""

    def to_metadata(self) -> dict[str, Any]:
        return {
            "tags": self.tags,
            "criteria": [c.to_dict() for c in self.criteria],
            "rubric_version": self.rubric_version,
        }


def conditions(trace: Trace, item: Item) -> dict[str, bool]:
    """Which ``applies_when`` conditions hold for this trace and item."""
    return {
        "always": True,
        "tool_error": bool(trace.failures),
        "submitted": trace.submission is not None,
        "queried": bool(trace.with_role("query")),
        "single_table": not item.multi_table,
        "multi_table": item.multi_table,
    }


class ItemFacts(dict):
    """The item's facts that criterion descriptions may name, computed when first asked for."""

    def __init__(self, item: Item) -> None:
        super().__init__()
        self.item = item

    def __missing__(self, key: str) -> str:
        item = self.item
        values = {
            "required_tables": lambda: (
                ", ".join(f"`{t}`" for t in item.required_tables) or "the needed tables"
            ),
            "required_columns": lambda: ", ".join(f"`{c}`" for c in item.required_columns),
            "answer": lambda: item.answer,
            "unit": lambda: item.unit,
            "kind": lambda: item.kind,
            "company": lambda: item.company,
        }
        return str(values[key]()) if key in values else "{" + key + "}"


def template(criterion: Criterion) -> str:
    """The criterion's description template."""
    return criterion.description or criterion.criterion or criterion.id


def describe(criterion: Criterion, item: Item) -> str:
    """The criterion's description with the item's facts filled in."""
    text = template(criterion)
    return text.format_map(ItemFacts(item)) if "{" in text else text


def _judged(criterion: Criterion, verdicts: Mapping[str, str] | None) -> Outcome | None:
    verdict = (verdicts or {}).get(criterion.id)
    if verdict == "met":
        return Outcome(1.0)
    if verdict == "unmet":
        return Outcome(0.0)
    return None


def score_trace(
    messages: list[ChatMessage],
    item: Item,
    rubric: Rubric,
    *,
    submission: str | None = None,
    limit_hit: bool = False,
    judge_verdicts: Mapping[str, str] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> RubricResult:
    """Judge one trace against ``rubric`` instantiated for ``item``.

    Args:
        messages: The conversation (Inspect messages), tool calls and results included.
        item: The dataset item (gold answer, required tables and columns, extra criteria).
        rubric: A loaded rubric (``load_rubric``).
        submission: The submitted answer, if it is not a ``submit`` call in ``messages``.
        limit_hit: The run stopped at its message limit.
        judge_verdicts: Verdicts (``met``/``unmet``/``error``) of judge criteria by id.
        tolerance: Relative tolerance for numbers (as the answer scorer).
    """
    trace = parse_trace(messages, submission=submission, limit_hit=limit_hit)
    ctx = Context(trace, item, tolerance)
    tags: set[str] = set()
    if limit_hit:
        tags.add("hit_message_limit")
    if trace.submission is None:
        tags.add("no_submission")
    sums = dict.fromkeys(BEHAVIOURS, 0.0)
    weights = dict.fromkeys(BEHAVIOURS, 0.0)
    earned = available = 0.0
    results: list[CriterionResult] = []
    facts = ItemFacts(item)
    holds = conditions(trace, item)
    for criterion in item_criteria(rubric, item.rubric, item.id):
        verdict: Verdict = "not_applicable"
        outcome: Outcome | None = Outcome(None)
        if holds[criterion.applies_when]:
            if criterion.kind == "judge":
                outcome = _judged(criterion, judge_verdicts)
            else:
                outcome = CHECKS[criterion.check](ctx, **criterion.params)  # type: ignore[index]
        score = outcome.score if outcome is not None else None
        points = 0.0
        if outcome is None:
            verdict = "error"
        elif score is not None:
            tags.update(outcome.tags)
            verdict = "met" if score >= MET_AT else "unmet"
            points = criterion.weight * score
            if criterion.weight > 0:
                sums[criterion.behaviour] += points
                weights[criterion.behaviour] += criterion.weight
                available += criterion.weight
            earned += points
        else:
            tags.update(outcome.tags)
        evidence = outcome.evidence if outcome is not None else None
        results.append(
            CriterionResult(
                criterion.id,
                criterion.behaviour,
                verdict,
                score,
                criterion.weight,
                points,
                template(criterion),
                facts,
                evidence.to_dict() if evidence else None,
            )
        )
    scores = {b: (sums[b] / weights[b] if weights[b] else math.nan) for b in BEHAVIOURS}
    scores["rubric_score"] = min(1.0, max(0.0, earned / available)) if available else math.nan
    return RubricResult(
        scores=scores,
        tags=sorted(tags),
        criteria=results,
        rubric_version=rubric.version,
        submission=trace.submission,
        explanation=ctx.answer.explanation if trace.submission is not None else "no submission",
    )
