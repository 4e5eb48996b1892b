"""SQL text and DuckDB loading in one place: quoting, SQL-safe names, company slugs, loading a table.

Every module that builds SQL text or loads a dataset table into DuckDB uses these (the runtime
databases, the importers, the generator and the reports). Like ``finbehave.vocab`` it imports no
other finbehave module, so any stage may import it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import duckdb


def quote_ident(name: str) -> str:
    """A SQL identifier, double-quoted with embedded double quotes doubled."""
    if not name:
        raise ValueError("a SQL identifier cannot be empty")
    return '"' + name.replace('"', '""') + '"'


def sql_string(text: str) -> str:
    """A SQL string literal, single-quoted with embedded single quotes doubled."""
    return "'" + str(text).replace("'", "''") + "'"


def sql_name(text: str, fallback: str = "col") -> str:
    """A snake_case SQL identifier from free text: [a-z0-9_], not starting with a digit."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:48].strip("_")
    if not name:
        name = fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    return name


def company_slug(text: str) -> str:
    """The company slug of a display name, ticker or folder name (``BRK.B`` -> ``brk_b``).

    The slug names the company's DuckDB database and its file in a dataset's ``companies/``.
    """
    return sql_name(text, fallback="c")


class Column(Protocol):
    """A column to create: its name and DuckDB type (``finbehave.data.items.ColumnSpec``)."""

    @property
    def name(self) -> str: ...

    @property
    def type(self) -> str: ...


class Table(Protocol):
    """A table to load: name, columns and positional rows (``finbehave.data.items.TableSpec``)."""

    @property
    def name(self) -> str: ...

    @property
    def columns(self) -> Sequence[Column]: ...

    @property
    def rows(self) -> Sequence[Sequence[Any]]: ...


def load_table(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Create ``table`` in ``con`` and insert its rows (staged through Arrow, cast per column)."""
    import pyarrow as pa

    name = quote_ident(table.name)
    columns = ", ".join(f"{quote_ident(c.name)} {c.type}" for c in table.columns)
    con.execute(f"CREATE TABLE {name} ({columns})")
    if not table.rows:
        return
    staged = pa.table(
        {
            f"c{i}": pa.array([row[i] for row in table.rows], from_pandas=True)
            for i in range(len(table.columns))
        }
    )
    casts = ", ".join(f"CAST(c{i} AS {c.type})" for i, c in enumerate(table.columns))
    con.from_arrow(staged).project(casts).insert_into(name)
