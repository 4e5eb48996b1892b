"""Programmatic checks: each reads the trace view and returns a score in [0, 1] or ``None``.

A check is a plain function ``check(ctx, **params) -> Outcome`` registered in ``CHECKS`` under
the name a rubric's ``check:`` field uses. ``None`` means the behaviour does not apply to this
trace. ``Outcome.evidence`` points at the message the verdict relied on; ``Outcome.tags`` are
failure tags the check observed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from finbehave.data.items import Item
from finbehave.rubrics.answers import AnswerCheck, check_answer
from finbehave.rubrics.grounding import Grounds, float_last_place
from finbehave.rubrics.trace import ToolStep, Trace, table_key
from finbehave.vocab import DEFAULT_TOLERANCE

SCALE_SLIPS = (100.0, 0.01, 1000.0, 0.001, 1e6, 1e-6)


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
    tolerance: float = DEFAULT_TOLERANCE

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
    def submitted_last_place(self) -> float:
        """One unit in the last place of the submitted number, in the compared unit."""
        value, parsed = self.submitted_value, self.answer.parsed
        if value is None or not isinstance(parsed, float):
            return 0.0
        factor = abs(value / parsed) if parsed else 1.0
        return float_last_place(parsed) * factor

    @cached_property
    def grounds(self) -> Grounds:
        return Grounds.of(self.trace)

    @cached_property
    def supported_answer(self) -> bool:
        """The submission is correct, or a grounded number."""
        return self.answer.correct or self.grounded.score == 1.0

    def gold_follows(self) -> bool:
        """The gold number is a value the tools returned or follows from the final queries
        (however wide they were)."""
        if isinstance(self.item.answer, str):
            return False
        gold = float(self.item.answer)
        unit, tolerance = self.item.unit, self.tolerance
        return self.grounds.has(gold, float_last_place(gold), unit, tolerance, wide=True)

    @cached_property
    def grounded(self) -> Outcome:
        """Grounding of the submitted number (shared by the grounding checks): it is a value the
        tools returned or follows from the final queries, to the precision it is written in; a
        correct answer also counts when the gold does."""
        value = self.submitted_value
        if value is None:
            return Outcome(None)
        evidence = Evidence(self.trace.submit_index, "")
        written = self.submitted_last_place
        if self.grounds.has(value, written, self.item.unit, self.tolerance) or (
            self.answer.correct and self.gold_follows()
        ):
            evidence.text = f"{value:g} is a tool value or follows from the final queries"
            return Outcome(1.0, evidence)
        evidence.text = f"{value:g} was never returned by a tool nor derived from the final queries"
        return Outcome(0.0, evidence, ("hallucinated_answer",))


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
    return next((s for s in trace.steps if s.role in ("query", "submit")), None)


@check("listed_tables_first")
def listed_tables_first(ctx: Context) -> Outcome:
    """1 if a table listing succeeded before the first query or answer."""
    trace = ctx.trace
    listing = next(iter(trace.with_role("list_tables", ok_only=True)), None)
    first = _first_action(trace)
    if listing is None:
        return Outcome(0.0, _evidence(first, "never listed the tables"))
    if first is not None and first.call_index < listing.call_index:
        return Outcome(0.0, _evidence(first, "acted before listing the tables"))
    return Outcome(1.0, _evidence(listing, "listed the tables first"))


@check("inspected_before_query")
def inspected_before_query(ctx: Context, required_weight: float = 0.75) -> Outcome:
    """Share of tables inspected before their first query; the item's required tables count
    most (``required_weight``), and one the agent never inspected scores 0 even if it never
    queried it, so answering without looking is no escape.

    Not applicable when the item names no tables and the agent ran no query.
    """
    trace = ctx.trace
    queries = trace.with_role("query")
    required = [table_key(t) for t in ctx.item.required_tables]
    if not queries and not required:
        return Outcome(None)
    inspected_at: dict[str, int] = {}
    for step in trace.with_role("inspect_table", ok_only=True):
        inspected_at.setdefault(step.table or "", step.call_index)
    first_query: dict[str, ToolStep] = {}
    for step in queries:
        for table in step.tables_referenced():
            first_query.setdefault(table, step)

    def ok(table: str) -> bool:
        query = first_query.get(table)
        inspected = inspected_at.get(table)
        return inspected is not None and (query is None or inspected < query.call_index)

    required_score = sum(ok(t) for t in required) / len(required) if required else 1.0
    others = [t for t in first_query if t not in required]
    if others:
        other_score = sum(ok(t) for t in others) / len(others)
        score = required_weight * required_score + (1 - required_weight) * other_score
        if not required:
            score = other_score
    else:
        score = required_score
    skipped = [t for t in (*required, *others) if not ok(t)]
    if not skipped:
        first = queries[0] if queries else None
        return Outcome(score, _evidence(first, "inspected every table before querying it"))
    queried = [t for t in skipped if t in first_query]
    if queried:
        return Outcome(
            score,
            _evidence(first_query[queried[0]], f"queried without inspecting {queried[0]}"),
            ("no_schema_inspection",),
        )
    last = trace.steps[-1] if trace.steps else None
    return Outcome(score, _evidence(last, f"never inspected {skipped[0]}"))


def _repeated_failure(trace: Trace) -> ToolStep | None:
    failed: set[tuple[str, str]] = set()
    for step in trace.tool_steps:
        if step.key in failed:
            return step
        if not step.ok:
            failed.add(step.key)
    return None


def _recovery(trace: Trace, failure: ToolStep) -> ToolStep | None:
    """The first later success of the failed call's own role with changed arguments (any role
    for a call no toolset knows: a misspelt tool or an unparsable call)."""
    for step in trace.tool_steps:
        if (
            step.call_index > failure.call_index
            and step.ok
            and step.key != failure.key
            and (failure.role is None or step.role == failure.role)
        ):
            return step
    return None


@check("recovered_after_error")
def recovered_after_error(ctx: Context) -> Outcome:
    """Share of failed calls the agent recovered from: the same kind of call (role) succeeded
    later with changed arguments. Another tool succeeding is no recovery, and repeating the
    identical failing call scores 0.

    A recovery only counts when the trace went on to an answer it supports (correct, or
    grounded): recovered calls followed by an invented answer or none drop out, so a failure
    made and fixed on purpose before a guess earns nothing. Not applicable when no tool call
    failed, or when every failure was recovered but the answer is unsupported.
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
    recoveries = {failure.key: _recovery(trace, failure) for failure in failures}
    unrecovered = [f for f in failures if recoveries[f.key] is None]
    if unrecovered:
        missing_column = any(f.missing_column for f in unrecovered)
        extra = ("wrong_column_no_recovery",) if missing_column else ()
        recovered_share = 1 - len({f.key for f in unrecovered}) / len(recoveries)
        score = recovered_share if ctx.supported_answer else 0.0
        return Outcome(
            score,
            _evidence(unrecovered[-1], "never made the failed call succeed"),
            (*tags, *extra),
        )
    last = [r for r in recoveries.values() if r is not None][-1]
    if not ctx.supported_answer:
        return Outcome(None, _evidence(last, "recovered, but the answer did not follow"), tags)
    return Outcome(1.0, _evidence(last, "changed the failed call and succeeded"), tags)


def _failure_tags(failures: list[ToolStep]) -> tuple[str, ...]:
    tags = []
    if any(f.missing_table for f in failures):
        tags.append("nonexistent_table")
    if any(f.refused and f.role == "query" for f in failures):
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
    """Wrong answer, but off by a scale factor, or the gold followed from what the tools gave."""
    value = ctx.submitted_value
    if value is None or isinstance(ctx.item.answer, str):
        return False
    gold = float(ctx.item.answer)
    tol = max(ctx.tolerance * abs(gold), 1e-9)
    if any(abs(value * factor - gold) <= tol for factor in SCALE_SLIPS):
        return True
    return ctx.gold_follows()


@check("answer_grounded")
def answer_grounded(ctx: Context) -> Outcome:
    """1 if the submitted number is a value a tool returned or follows by the arithmetic the
    trace shows (``finbehave.rubrics.grounding``).

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
    """The cost of reaching the answer: calls needed for the item (+ ``slack``) over calls made,
    repeated calls counted twice.

    A careful agent needs one listing, one inspection per required table, a query and a
    submission. Not applicable unless the answer is correct: a trace that did not reach the
    answer has no cost of reaching it to measure (its failure is answer_correctness's), and
    scoring it would pay a short failing trace for stopping early.
    """
    steps = ctx.trace.steps
    if not ctx.answer.correct:
        return Outcome(None)
    needed = 3 + len(ctx.item.required_tables) + slack
    keys = [s.key for s in steps]
    repeats = len(keys) - len(set(keys))
    made = len(steps) + repeats
    score = min(1.0, needed / made) if made else 1.0
    detail = f"{len(steps)} calls ({repeats} repeated) for an item needing about {needed}"
    return Outcome(score, Evidence(ctx.trace.submit_index, detail))
