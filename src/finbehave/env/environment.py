"""The tool core shared by evaluation (Inspect tools) and training (TRL environment).

``FinQAEnv`` is plain, synchronous Python: one instance per (dataset, company). Its methods are
the tools; model-visible failures raise ``EnvToolError`` with a ``kind`` (refused, missing_table,
error) that Inspect and TRL callers carry structurally. Tool descriptions live in ``TOOL_DOCS``
so Inspect and TRL show the model the same text.
"""

from __future__ import annotations

import difflib
from functools import cached_property

from finbehave.data.items import CompanyTables, TableSpec
from finbehave.data.store import DatasetStore
from finbehave.env.calculator import CalculatorError, evaluate, format_number
from finbehave.env.database import database_path
from finbehave.env.sandbox import QueryResult, SandboxError, SandboxLimits, get_sandbox
from finbehave.vocab import ErrorKind

EXAMPLE_ROWS = 3

TOOL_DOCS: dict[str, str] = {
    "get_table_names": """List the tables available for this company, one name per line.

Returns:
    The table names, one per line.
""",
    "get_table_info": """Describe a table: what it contains, its columns with their types, and example rows.

Args:
    table_name: The exact table name, as listed by get_table_names.

Returns:
    The description, the columns with their SQL types, and a few example rows.
""",
    "sql_query": """Run one read-only SQL query (DuckDB dialect) against this company's tables.

Only a single SELECT (or WITH ... SELECT) statement is allowed. Results are capped in rows and
size; aggregate or filter to get what you need. Quote identifiers with double quotes if needed.

Args:
    query: One SELECT statement, e.g. SELECT fiscal_year, some_column FROM some_table WHERE fiscal_year = 2023

Returns:
    The result as a text table: a header line, then one line per row, cells separated by |.
""",
    "calculator": """Evaluate an arithmetic expression exactly, e.g. (5829 - 5735) / 5735 * 100.

Supports numbers, + - * / // % **, parentheses and abs, round, min, max, sqrt, log, exp, pow.

Args:
    expression: The arithmetic expression to evaluate.

Returns:
    The numeric result.
""",
}


class EnvToolError(Exception):
    """A tool call failed in a way the model should see and can fix; ``kind`` says how."""

    def __init__(self, message: str, kind: ErrorKind = "error") -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind


class FinQAEnv:
    """The tools over one company's tables in one dataset."""

    def __init__(
        self, store: DatasetStore, company: str, limits: SandboxLimits | None = None
    ) -> None:
        self.store = store
        self.company = company
        self.limits = limits

    @cached_property
    def tables(self) -> CompanyTables:
        return self.store.company(self.company)

    @cached_property
    def _by_name(self) -> dict[str, TableSpec]:
        return {table.name: table for table in self.tables.tables}

    @cached_property
    def db_path(self):
        return database_path(self.store, self.company)

    def get_table_names(self) -> str:
        return "\n".join(self._by_name)

    def _table(self, table_name: str) -> TableSpec:
        name = str(table_name).strip().strip('"').strip("`")
        table = self._by_name.get(name)
        if table is not None:
            return table
        folded = {n.lower(): t for n, t in self._by_name.items()}
        if name.lower() in folded:
            return folded[name.lower()]
        close = difflib.get_close_matches(name, list(self._by_name), n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise EnvToolError(
            f"Table {name!r} does not exist.{hint} Call get_table_names() to list the tables.",
            "missing_table",
        )

    def get_table_info(self, table_name: str) -> str:
        table = self._table(table_name)
        columns = "\n".join(
            f"  {c.name} {c.type}" + (f" -- {c.description}" if c.description else "")
            for c in table.columns
        )
        example = QueryResult(
            [c.name for c in table.columns], [tuple(r) for r in table.rows[:EXAMPLE_ROWS]]
        ).to_text()
        shown = min(EXAMPLE_ROWS, len(table.rows))
        return (
            f"Table: {table.name}\nDescription: {table.description}\n"
            f"Rows: {len(table.rows)}\nColumns:\n{columns}\n"
            f"Example rows ({shown} of {len(table.rows)}):\n{example}"
        )

    def sql_query(self, query: str) -> str:
        try:
            return get_sandbox().run(self.db_path, query, self.limits).to_text()
        except SandboxError as exc:
            raise EnvToolError(str(exc), exc.kind) from None

    def calculator(self, expression: str) -> str:
        try:
            return format_number(evaluate(str(expression)))
        except CalculatorError as exc:
            raise EnvToolError(str(exc)) from None
