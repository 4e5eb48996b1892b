"""``-T toolset=public``: the tools exactly as the public FinQA agent environment exposes them.

``get_descriptions(company_name)``, ``get_table_info(company_name, table_name)`` and
``sql_query(company_name, table_name, query)`` (no ``SELECT *``, a filter keyword required; the
result as JSON records), plus ``get_filing_text(table_name)`` for imported FinQA items whose
evidence is text. They run on the same per-sample dataset and SQL sandbox as the default tools
(``init_env`` must run first). Differences from the original: the query runs on the company's
DuckDB database (every table of the company is visible, DuckDB dialect) instead of a one-table
in-memory SQLite database. Score with ``check_answer(..., mode="public")`` and ``public_gold``.
Failures carry their kind as the default tools' do (``tool_exception``): the public query rules
refuse, an unknown table is a missing table. The roles of these tools are declared in
``finbehave.vocab.TOOLSETS["public"]``.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import anyio
from inspect_ai.tool import Tool, ToolError, tool

from finbehave.data.items import Item, TableSpec
from finbehave.data.store import DatasetError
from finbehave.env.database import database_path
from finbehave.env.environment import FinQAEnv
from finbehave.env.sandbox import SandboxError, get_sandbox
from finbehave.env.tools import current_env, tool_exception
from finbehave.sql import company_slug

FILTER_KEYWORDS = (
    "WHERE", "HAVING", "IN", "NOT IN", "EXISTS", "NOT EXISTS", "ANY", "SOME", "ALL", "LIKE",
    "NOT LIKE", "BETWEEN", "NOT BETWEEN", "IS NULL", "IS NOT NULL", "CASE", "FILTER",
)  # fmt: skip
_FILTER_RE = re.compile(
    r"\b(?:" + "|".join(k.replace(" ", r"\s+") for k in FILTER_KEYWORDS) + r")\b", re.I
)
_SELECT_STAR_RE = re.compile(r"select\s+\*", re.I)


def check_public_query(query: str) -> None:
    """The public environment's query restrictions; a violation is a refusal."""
    if _SELECT_STAR_RE.search(query):
        raise tool_exception("SELECT * is not allowed; select the columns you need.", "refused")
    if not _FILTER_RE.search(query):
        raise tool_exception(
            "The query must filter its rows: use one of " + ", ".join(FILTER_KEYWORDS) + ".",
            "refused",
        )


def _exact(value: float) -> str:
    """``value`` written in full, no exponent and no rounding: it reads back as the same float."""
    text = format(Decimal(repr(float(value))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def public_gold(item: Item) -> str:
    """The gold answer in the public ``\\boxed{}`` form (percent answers carry ``\\%``).

    Numbers are written exactly (``1234567`` stays ``1234567``): the public rule allows an
    absolute difference of only 1.0, so a rounded gold would fail exact answers.
    """
    if isinstance(item.answer, str):
        return item.answer
    suffix = "\\%" if item.unit == "percent" else ""
    return f"\\boxed{{{_exact(item.answer)}{suffix}}}"


def _company(env: FinQAEnv, company_name: str) -> FinQAEnv:
    slug = company_slug(str(company_name).strip())
    if slug not in env.store.companies():
        raise ToolError(
            f"Company {company_name!r} not found. Available companies: "
            + ", ".join(env.store.companies())
        )
    return env if slug == env.company else FinQAEnv(env.store, slug, env.limits)


def _table(env: FinQAEnv, table_name: str) -> TableSpec:
    name = re.sub(r"\.(json|txt)$", "", str(table_name).strip())
    for table in env.tables.tables:
        if table.name == name:
            return table
    raise tool_exception(
        f"Table {name!r} not found for {env.company}; call get_descriptions({env.company!r}).",
        "missing_table",
    )


def table_info(table: TableSpec) -> dict:
    """What the public ``get_table_info`` returns: description, dtypes, unique values."""
    dtypes = {c.name: c.type for c in table.columns}
    unique: dict[str, list] = {}
    for i, column in enumerate(table.columns):
        values = [row[i] for row in table.rows]
        numeric = all(isinstance(v, int | float) for v in values[1:] if v is not None)
        if i == 0 or not numeric:
            unique[column.name] = list(dict.fromkeys(values))
    return {
        "description": table.description,
        "column_dtypes": dtypes,
        "unique_vals_per_col": unique,
    }


@tool
def get_descriptions() -> Tool:
    async def execute(company_name: str) -> str:
        """Get the names of the tables available for a company.

        Args:
            company_name: The company name, e.g. "amat".

        Returns:
            A JSON list of table names.
        """
        env = _company(current_env(), company_name)
        return json.dumps([t.name for t in env.tables.tables])

    return execute


@tool
def get_table_info() -> Tool:
    async def execute(company_name: str, table_name: str) -> str:
        """Get a table's description, column types and the unique values of its text columns.

        Args:
            company_name: The company name.
            table_name: The table name, as returned by get_descriptions.

        Returns:
            A JSON object with description, column_dtypes and unique_vals_per_col.
        """
        env = _company(current_env(), company_name)
        return json.dumps(table_info(_table(env, table_name)), default=str)

    return execute


@tool
def sql_query() -> Tool:
    async def execute(company_name: str, table_name: str, query: str) -> str:
        """Run a SQL query on a company's table. SELECT * is not allowed and the query must
        filter its rows (WHERE, HAVING, IN, LIKE, BETWEEN, CASE, ...).

        Args:
            company_name: The company name.
            table_name: The table the query reads.
            query: The SQL query.

        Returns:
            The result rows as a JSON list of records.
        """
        env = _company(current_env(), company_name)
        _table(env, table_name)
        check_public_query(str(query))

        def run() -> str:
            path = database_path(env.store, env.company)
            result = get_sandbox().run(path, str(query), env.limits)
            records = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
            return json.dumps(records, default=str)

        try:
            return await anyio.to_thread.run_sync(run)
        except SandboxError as exc:
            raise tool_exception(str(exc), exc.kind) from None
        except DatasetError as exc:
            raise ToolError(str(exc)) from None

    return execute


@tool
def get_filing_text() -> Tool:
    async def execute(table_name: str) -> str:
        """Get the annual-report text around a table (the sentences before and after it).

        Args:
            table_name: The table whose surrounding report text you need.

        Returns:
            The text, one sentence per line.
        """
        env = current_env()
        name = str(table_name).strip().strip('"')
        text = env.tables.texts.get(name)
        if text is None:
            known = ", ".join(sorted(env.tables.texts)) or "none"
            raise ToolError(f"No filing text for {name!r}. Tables with text: {known}.")
        return "\n".join(text)

    return execute


def public_tools(with_filing_text: bool = False) -> list[Tool]:
    """The public toolset (``-T toolset=public``), optionally with ``get_filing_text``."""
    tools = [get_descriptions(), get_table_info(), sql_query()]
    return [*tools, get_filing_text()] if with_filing_text else tools
