"""What the question templates share: the gold-SQL builder, the draft they return, and phrasing.

A template takes a ``Company`` and the item stream's ``random.Random`` and returns a ``Draft``
(question, unit, kind and gold SQL) or None when the company lacks what it needs. Gold SQL is
one ``SELECT ROUND(expression, 4)`` of scalar subqueries over the company's own table and column
names; ``GoldQuery`` writes them and records the ``table.column`` names they read.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from finbehave.data.generate.world import Company
from finbehave.data.items import Unit
from finbehave.sql import sql_string


@dataclass(frozen=True)
class Draft:
    """A question before its answer is computed."""

    kind: str
    unit: Unit
    question: str
    sql: str
    columns: frozenset[str]


Template = Callable[[Company, random.Random], Draft | None]


def sql_value(value: Any) -> str:
    """A SQL literal: a string, a parenthesised list of literals, or a number."""
    if isinstance(value, str):
        return sql_string(value)
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(sql_value(item) for item in value) + ")"
    return str(value)


@dataclass
class GoldQuery:
    """Builds one gold SELECT over a company's tables and records the columns it reads."""

    company: Company
    columns: set[str] = field(default_factory=set)

    def column(self, table: str, column: str) -> str:
        """The company's name for a logical column (recorded as read)."""
        name = self.company.columns[table][column].sql
        self.columns.add(f"{self.company.table_names[table]}.{name}")
        return name

    def table(self, table: str) -> str:
        """The company's name for a logical table."""
        return self.company.table_names[table]

    def value(self, table: str, column: str, **conditions: Any) -> str:
        """A scalar subquery reading one cell."""
        return self.aggregate("", table, column, **conditions)

    def aggregate(
        self,
        function: str,
        table: str,
        column: str,
        years: tuple[int, int] | None = None,
        **conditions: Any,
    ) -> str:
        """A scalar subquery aggregating a column (``function`` empty for a single cell)."""
        name = self.column(table, column)
        target = f"{function}({name})" if function else name
        parts = []
        if years:
            parts.append(f"{self.column(table, 'year')} BETWEEN {years[0]} AND {years[1]}")
        for key, value in conditions.items():
            operator = "IN" if isinstance(value, (list, tuple)) else "="
            parts.append(f"{self.column(table, key)} {operator} {sql_value(value)}")
        where = f" WHERE {' AND '.join(parts)}" if parts else ""
        return f"(SELECT {target} FROM {self.table(table)}{where})"

    def draft(self, kind: str, unit: Unit, question: str, expression: str) -> Draft:
        sql = f"SELECT ROUND({expression}, 4) AS answer"
        return Draft(kind, unit, question, sql, frozenset(self.columns))


# --- phrasing ------------------------------------------------------------------------------------


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def fiscal_year_style(rng: random.Random) -> Callable[[int], str]:
    """One way of writing a fiscal year for a whole question: 'fiscal 2023', 'FY2023', ..."""
    return rng.choice(("fiscal {}", "fiscal year {}", "FY{}")).format


UNIT_HINTS: dict[str, tuple[str, ...]] = {
    "usd_millions": (" (in $ millions)", ", in millions of dollars", " in USD millions"),
    "percent": (" (in percent)", ", in %", ""),
    "ratio": ("", " (as a ratio)", ", expressed as a multiple"),
    "per_share": (" (in dollars)", ", in US dollars", ""),
    "count": ("", " (a count)"),
    "usd": (" (in dollars)", ", in US dollars"),
}


def ask(rng: random.Random, unit: Unit, *phrasings: str) -> str:
    """One of the phrasings, with a unit hint before the question mark."""
    return rng.choice(phrasings) + rng.choice(UNIT_HINTS[unit]) + "?"


def two_years(rng: random.Random, years: list[int], gap: int = 1) -> tuple[int, int] | None:
    """Two of ``years``, at least ``gap`` apart, earlier first (None if there are none)."""
    pairs = [(first, second) for first in years for second in years if second - first >= gap]
    return rng.choice(pairs) if pairs else None


def year_span(rng: random.Random, years: list[int], length: int = 3) -> tuple[int, int] | None:
    """A run of at least ``length`` consecutive ``years`` (first, last), or None."""
    starts = [year for year in years if year + length - 1 in years]
    if not starts:
        return None
    start = rng.choice(starts)
    return start, rng.choice([year for year in years if year >= start + length - 1])


def year_phrase(table: str, fiscal_year: Callable[[int], str], year: int) -> str:
    """How a question names a year of ``table``: balance-sheet values are at the year's end."""
    return f"the end of {fiscal_year(year)}" if table == "balance" else fiscal_year(year)


def debt_periods(company: Company) -> list[str]:
    """The fiscal years of the debt maturity schedule (without 'Thereafter')."""
    periods = company.distinct("debt_maturities", "period")
    return [period for period in periods if period != "Thereafter"]
