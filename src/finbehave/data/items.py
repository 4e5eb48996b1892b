"""The item record and the table record: one pydantic model each, used everywhere.

An ``Item`` is one question. It travels in ``inspect_ai.dataset.Sample.metadata`` (as a dict,
``Item.model_dump()``) and is rebuilt with ``Item.model_validate(sample.metadata)``.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from finbehave.vocab import TaskName

Split = Literal["train", "test"]
Unit = Literal[
    "usd_millions",  # money in millions of US dollars
    "usd",  # money in dollars (per-share amounts use per_share)
    "per_share",  # dollars per share
    "percent",  # percentage points: 12.5 means 12.5 %
    "ratio",  # a plain ratio: 1.8 means 1.8x
    "count",  # a count (employees, shares in millions, stores, ...)
    "years",  # a duration in years
    "boolean",  # yes / no
    "number",  # any other number
]
TRAIN_BYTE_LIMIT = 205  # first byte of sha256(id) below this: train (205/256 ~ 80 %)


def split_of(item_id: str, source_split: Split | None = None) -> Split:
    """The split of an item: the one its source declares, else a stable ~80/20 hash of its id.

    Every dataset decides this way: the generator (no declared split), the FinQA importer (the
    split of the source file, ``train``/``dev`` -> train and ``test`` -> test, when its name says
    so) and the Snorkel importer (evaluation-only, declared test).
    """
    if source_split is not None:
        return source_split
    return "train" if hashlib.sha256(item_id.encode()).digest()[0] < TRAIN_BYTE_LIMIT else "test"


ColumnType = Literal["INTEGER", "BIGINT", "DOUBLE", "DECIMAL(18,2)", "VARCHAR", "BOOLEAN", "DATE"]


class Item(BaseModel):
    """One question with its gold answer and what answering it requires."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Stable, unique id, e.g. 'finqa-aldermoor-0007'.")
    task: TaskName = Field(description="finqa (one table) or finqa_reasoning (two or more).")
    company: str = Field(description="Company slug; selects the DuckDB database the tools see.")
    question: str
    answer: float | str = Field(description="Gold answer: a number, or 'yes'/'no' for booleans.")
    unit: Unit
    gold_sql: str | None = Field(
        default=None, description="One SELECT returning the gold answer as its single value."
    )
    required_tables: list[str] = Field(default_factory=list)
    required_columns: list[str] = Field(
        default_factory=list, description="'table.column' names the gold SQL reads."
    )
    kind: str = Field(description="Question kind: change, percent_change, ratio, cagr, ...")
    split: Split
    evidence: Literal["table", "text"] = "table"
    eval_only: bool = False
    rubric: list[dict[str, Any]] = Field(
        default_factory=list, description="Extra rubric criteria for this item only."
    )

    @property
    def multi_table(self) -> bool:
        """The answer needs two or more tables."""
        return len(self.required_tables) > 1


class ColumnSpec(BaseModel):
    """A column of a table: SQL-safe name, DuckDB type and a short description."""

    model_config = ConfigDict(extra="forbid")

    name: str
    type: ColumnType
    description: str = ""


class TableSpec(BaseModel):
    """A table as stored in a dataset: schema, description and rows (one list per row)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    columns: list[ColumnSpec]
    rows: list[list[Any]]


class CompanyTables(BaseModel):
    """All tables of one company (one DuckDB database at run time)."""

    model_config = ConfigDict(extra="forbid")

    company: str
    display_name: str
    tables: list[TableSpec]
    texts: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Filing text by document (imported FinQA pre/post text); empty if none.",
    )
