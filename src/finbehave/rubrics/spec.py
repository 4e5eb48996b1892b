"""Rubric definitions: the YAML schema, a safe loader with one-line errors, and a version hash.

A rubric is a list of criteria. Each feeds one behaviour score, is either ``programmatic`` (a
registered check with ``params``) or ``judge`` (a natural-language criterion for the grader
model), carries a signed ``weight`` (negative = penalty, HealthBench style) and an
``applies_when`` condition. Descriptions may use the item's facts: ``{required_tables}``,
``{required_columns}``, ``{answer}``, ``{unit}``, ``{kind}``, ``{company}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from finbehave.validation import Location, location, one_line
from finbehave.vocab import Behaviour
from finbehave.yamlio import YamlError, load_yaml

AppliesWhen = Literal["always", "tool_error", "submitted", "queried", "single_table", "multi_table"]
DEFAULT_RUBRIC = Path(__file__).with_name("default.yaml")


class RubricError(ValueError):
    """A rubric file is invalid; the message is one line and names the fix."""


class Criterion(BaseModel):
    """One rubric criterion."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    behaviour: Behaviour
    kind: Literal["programmatic", "judge"] = "programmatic"
    check: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    criterion: str | None = None
    weight: float
    applies_when: AppliesWhen = "always"
    description: str = ""

    @model_validator(mode="after")
    def _kind_fields(self) -> Criterion:
        if self.weight == 0:
            raise ValueError(
                "weight must not be 0 (use a positive weight, or negative for a penalty)"
            )
        if self.kind == "programmatic" and not self.check:
            raise ValueError("programmatic criteria need `check:` (a registered check name)")
        if self.kind == "judge" and not self.criterion:
            raise ValueError("judge criteria need `criterion:` (the text the grader judges)")
        return self


class Rubric(BaseModel):
    """A whole rubric; ``version`` is a hash of its canonical content."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    criteria: list[Criterion] = Field(min_length=1)
    source: str = Field(default="", exclude=True)

    @cached_property
    def version(self) -> str:
        """Short sha256 of the canonical content (computed once)."""
        canonical = json.dumps(self.model_dump(exclude={"source"}), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    @property
    def has_judge(self) -> bool:
        return any(c.kind == "judge" for c in self.criteria)


def _criterion_location(raw: dict[str, Any]) -> Callable[[Location], str]:
    """Name a place inside ``criteria`` by the criterion's id (``criterion 'x' field y``)."""

    def where(loc: Location) -> str:
        if len(loc) < 2 or loc[0] != "criteria" or not isinstance(loc[1], int):
            return location(loc)
        criteria = raw.get("criteria") or []
        entry = criteria[loc[1]] if loc[1] < len(criteria) else {}
        cid = entry.get("id", f"#{loc[1] + 1}") if isinstance(entry, dict) else f"#{loc[1] + 1}"
        field = ".".join(str(p) for p in loc[2:]) or "entry"
        return f"criterion {cid!r} field {field}"

    return where


def parse_rubric(raw: Any, source: str) -> Rubric:
    """Validate a rubric mapping; ``source`` names the file in errors."""
    from finbehave.rubrics.checks import CHECKS

    if not isinstance(raw, dict):
        raise RubricError(f"{source}: expected a mapping with name: and criteria:")
    try:
        rubric = Rubric.model_validate({**raw, "source": source})
    except ValidationError as exc:
        message = one_line(exc, Rubric, where=_criterion_location(raw))
        raise RubricError(f"{source}: {message}") from None
    seen: set[str] = set()
    for criterion in rubric.criteria:
        if criterion.id in seen:
            raise RubricError(f"{source}: criterion {criterion.id!r} is defined twice; rename one")
        seen.add(criterion.id)
        if criterion.kind == "programmatic" and criterion.check not in CHECKS:
            raise RubricError(
                f"{source}: criterion {criterion.id!r} uses unknown check {criterion.check!r}; "
                f"use one of {', '.join(sorted(CHECKS))}"
            )
    return rubric


def load_rubric(path: Path | str | None = None) -> Rubric:
    """Load a rubric YAML (``None``: the packaged default)."""
    file = Path(path) if path is not None else DEFAULT_RUBRIC
    try:
        raw = load_yaml(file, "rubric")
    except YamlError as exc:
        raise RubricError(str(exc)) from None
    return parse_rubric(raw, str(file))


def item_criteria(rubric: Rubric, extra: list[dict[str, Any]], item_id: str) -> list[Criterion]:
    """The rubric's criteria plus an item's own (validated with the same schema)."""
    if not extra:
        return list(rubric.criteria)
    merged = parse_rubric(
        {"name": rubric.name, "criteria": [*(c.model_dump() for c in rubric.criteria), *extra]},
        f"item {item_id} rubric",
    )
    return list(merged.criteria)
