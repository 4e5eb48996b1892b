"""Programmatic checks: each reads the trace view and returns a score in [0, 1] or ``None``.

A check is a plain function ``check(ctx, **params) -> Outcome`` registered in ``CHECKS`` under
the name a rubric's ``check:`` field uses. ``None`` means the behaviour does not apply to this
trace. ``Outcome.evidence`` points at the message the verdict relied on; ``Outcome.tags`` are
failure tags the check observed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from finbehave.data.items import Item
from finbehave.rubrics.answers import AnswerCheck, check_answer, extract_numbers
from finbehave.rubrics.trace import SUBMIT, ToolStep, Trace

MAX_SEEN_NUMBERS = 400
SCALE_SLIPS = (100.0, 0.01, 1000.0, 0.001, 1e6, 1e-6)
_SCALES = np.asarray((1.0, *SCALE_SLIPS))


@dataclass(slots=True)
class Evidence:
    """Where a verdict comes from: a message index and the text relied on."""

    message_index: int
    text: str

    def to_dict(self) -> dict[str, object]:
        return {"message_index": self.message_index, "text": self.text[:300]}


@dataclass(slots=True)
class Outcome:
    """A check's result."""

    score: float | None
    evidence: Evidence | None = None
    tags: tuple[str, ...] = ()


@dataclass
class Context:
    """Everything a check may read; derived values are computed once, on demand."""

    trace: Trace
    item: Item
    tolerance: float = 0.01
    notes: dict[str, object] = field(default_factory=dict)

    @cached_property
    def answer(self) -> AnswerCheck:
        return check_answer(self.trace.submission, self.item.answer, self.item.unit, self.tolerance)

    @cached_property
    def submitted_value(self) -> float | None:
        """The submitted number as compared with the gold (None for booleans or no number)."""
        if self.trace.submission is None or self.item.unit == "boolean":
            return None
        return self.answer.compared

    @cached_property
    def seen(self) -> np.ndarray:
        """Numbers shown by successful tool results (most recent last, capped)."""
        numbers: list[float] = []
        for step in self.trace.tool_steps:
            if step.ok and step.result:
                numbers.extend(extract_numbers(step.result))
        seen = np.asarray(numbers[-MAX_SEEN_NUMBERS:], dtype=float)
        return seen[np.isfinite(seen)]

    @cached_property
    def grounded(self) -> Outcome:
        """Grounding of the submitted number (shared by the grounding checks)."""
        value = self.submitted_value
        if value is None:
            return Outcome(None)
        evidence = Evidence(self.trace.submit_index, "")
        if self.derivable(value):
            return Outcome(1.0, replace(evidence, text=f"{value:g} follows from tool results"))
        return Outcome(
            0.0,
            replace(evidence, text=f"{value:g} was never seen or derived"),
            ("hallucinated_answer",),
        )

    def derivable(self, value: float) -> bool:
        """``value`` is a seen number (possibly rescaled by a unit factor such as x1000),
        or one arithmetic step from two seen numbers."""
        seen = self.seen
        if seen.size == 0:
            return False
        scaled = value * _SCALES
        tolerances = np.maximum(self.tolerance * np.abs(scaled), 1e-9)
        if np.any(np.abs(seen[None, :] - scaled[:, None]) <= tolerances[:, None]):
            return True
        tol = max(self.tolerance * abs(value), 1e-9)
        a, b = seen[:, None], seen[None, :]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            grids = (a + b, a - b, a * b, a / b, (a - b) / b * 100.0, a / b * 100.0)
            return any(np.any(np.abs(grid - value) <= tol) for grid in grids)


Check = Callable[..., Outcome]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    """Register a check under ``name``."""

    def register(function: Check) -> Check:
        CHECKS[name] = function
        return function

    return register


def _evidence(step: ToolStep | None, text: str | None = None) -> Evidence | None:
    if step is None:
        return None
    index = step.result_index if step.result_index >= 0 else step.call_index
    detail = text or step.error or f"{step.function}({_args(step)})"
    return Evidence(index, detail)


def _args(step: ToolStep) -> str:
    return ", ".join(f"{k}={str(v)[:120]!r}" for k, v in step.arguments.items())


def _first_action(trace: Trace) -> ToolStep | None:
    """The first query or submission (what discovery must come before)."""
    return next((s for s in trace.steps if s.function in ("sql_query", SUBMIT)), None)


@check("listed_tables_first")
def listed_tables_first(ctx: Context) -> Outcome:
    """1 if get_table_names succeeded before the first query or answer."""
    trace = ctx.trace
    listing = next((s for s in trace.steps if s.function == "get_table_names" and s.ok), None)
    first = _first_action(trace)
    if listing is None:
        return Outcome(0.0, _evidence(first, "no get_table_names call"))
    if first is not None and first.call_index < listing.call_index:
        return Outcome(0.0, _evidence(first, "acted before listing the tables"))
    return Outcome(1.0, _evidence(listing, "listed the tables first"))


@check("inspected_before_query")
def inspected_before_query(ctx: Context, required_weight: float = 0.75) -> Outcome:
    """Share of queried tables inspected before their first query; required tables count most.

    Not applicable when the agent never ran a query.
    """
    trace = ctx.trace
    queries = [s for s in trace.steps if s.function == "sql_query"]
    if not queries:
        return Outcome(None)
    inspected_at: dict[str, int] = {}
    for step in trace.steps:
        if step.function == "get_table_info" and step.ok:
            name = str(step.arguments.get("table_name", "")).strip('"').lower()
            inspected_at.setdefault(name, step.call_index)
    first_query: dict[str, ToolStep] = {}
    for step in queries:
        for table in step.tables_referenced():
            first_query.setdefault(table, step)
    required = [t.lower() for t in ctx.item.required_tables]

    def ok(table: str) -> bool:
        query = first_query.get(table)
        inspected = inspected_at.get(table)
        if query is None:
            return inspected is not None
        return inspected is not None and inspected < query.call_index

    required_score = sum(ok(t) for t in required) / len(required) if required else 1.0
    others = [t for t in first_query if t not in required]
    if others:
        other_score = sum(ok(t) for t in others) / len(others)
        score = required_weight * required_score + (1 - required_weight) * other_score
    else:
        score = required_score
    skipped = [t for t in (*required, *others) if not ok(t)]
    if skipped:
        step = first_query.get(skipped[0], queries[0])
        return Outcome(
            score,
            _evidence(step, f"queried without inspecting {skipped[0]}"),
            ("no_schema_inspection",),
        )
    return Outcome(score, _evidence(queries[0], "inspected every table before querying it"))


def _repeated_failure(trace: Trace) -> ToolStep | None:
    failed: set[tuple[str, str]] = set()
    for step in trace.tool_steps:
        if step.key in failed:
            return step
        if not step.ok:
            failed.add(step.key)
    return None


@check("recovered_after_error")
def recovered_after_error(ctx: Context) -> Outcome:
    """After a failed call: 1 if the agent changed its call and then succeeded, else 0.

    Not applicable when no tool call failed.
    """
    trace = ctx.trace
    failures = trace.failures
    if not failures:
        return Outcome(None)
    tags = _failure_tags(failures)
    repeat = _repeated_failure(trace)
    if repeat is not None:
        return Outcome(
            0.0,
            _evidence(repeat, "repeated the identical failing call"),
            (*tags, "repeated_failing_call"),
        )
    last = failures[-1]
    later = [s for s in trace.tool_steps if s.call_index > last.call_index and s.ok]
    if later:
        return Outcome(1.0, _evidence(later[0], "changed the call and succeeded"), tags)
    extra = ("wrong_column_no_recovery",) if any(f.missing_column for f in failures) else ()
    return Outcome(0.0, _evidence(last, "never succeeded after the failure"), (*tags, *extra))


def _failure_tags(failures: list[ToolStep]) -> tuple[str, ...]:
    tags = []
    if any(f.missing_table for f in failures):
        tags.append("nonexistent_table")
    if any(f.refused and f.function == "sql_query" for f in failures):
        tags.append("sql_rejected")
    return tuple(tags)


@check("repeated_failing_call")
def repeated_failing_call(ctx: Context) -> Outcome:
    """1 (a penalty when weighted negatively) if an identical failing call was sent again."""
    if not ctx.trace.failures:
        return Outcome(None)
    repeat = _repeated_failure(ctx.trace)
    if repeat is None:
        return Outcome(0.0)
    return Outcome(
        1.0, _evidence(repeat, "identical failing call repeated"), ("repeated_failing_call",)
    )


def _submit_evidence(ctx: Context, text: str) -> Evidence | None:
    if ctx.trace.submit_index < 0:
        return None
    return Evidence(ctx.trace.submit_index, text)


@check("answer_matches_gold")
def answer_matches_gold(ctx: Context) -> Outcome:
    """1 if the submission matches the gold answer (the same rule as the scorer)."""
    if ctx.trace.submission is None:
        return Outcome(0.0, None, ("no_submission",))
    answer = ctx.answer
    tags: tuple[str, ...] = ()
    if not answer.correct and _unit_or_arithmetic_slip(ctx):
        tags = ("arithmetic_or_unit_error",)
    return Outcome(1.0 if answer.correct else 0.0, _submit_evidence(ctx, answer.explanation), tags)


def _unit_or_arithmetic_slip(ctx: Context) -> bool:
    """Wrong answer, but off by a scale factor, or the gold was derivable from what it saw."""
    value = ctx.submitted_value
    if value is None or isinstance(ctx.item.answer, str):
        return False
    gold = float(ctx.item.answer)
    tol = max(ctx.tolerance * abs(gold), 1e-9)
    if any(abs(value * factor - gold) <= tol for factor in SCALE_SLIPS):
        return True
    return ctx.derivable(gold)


@check("answer_grounded")
def answer_grounded(ctx: Context) -> Outcome:
    """1 if the submitted number was seen in a tool result or follows from seen numbers.

    Not applicable without a numeric submission.
    """
    return ctx.grounded


@check("hallucinated_answer")
def hallucinated_answer(ctx: Context) -> Outcome:
    """1 (a penalty when weighted negatively) if the submitted number was invented."""
    grounded = ctx.grounded
    if grounded.score is None:
        return Outcome(None)
    return Outcome(1.0 - grounded.score, grounded.evidence, grounded.tags)


@check("efficiency")
def efficiency(ctx: Context, slack: int = 2) -> Outcome:
    """Calls needed for the item (+ ``slack``) over calls made, repeats counted twice.

    A careful agent needs one listing, one inspection per required table, a query and a
    submission. Not applicable to an empty trace.
    """
    steps = ctx.trace.steps
    if not steps:
        return Outcome(None)
    needed = 3 + len(ctx.item.required_tables) + slack
    keys = [s.key for s in steps]
    repeats = len(keys) - len(set(keys))
    made = len(steps) + repeats
    score = min(1.0, needed / made)
    detail = f"{len(steps)} calls ({repeats} repeated) for an item needing about {needed}"
    return Outcome(score, Evidence(steps[-1].call_index, detail))
