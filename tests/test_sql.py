"""finbehave.sql: quoting that survives hostile names and strings, and loading tables into DuckDB."""

from __future__ import annotations

import duckdb
import pytest

from finbehave.data.items import ColumnSpec, TableSpec
from finbehave.sql import company_slug, load_table, quote_ident, sql_name, sql_string

# Names and strings a dataset or a report row may carry: quotes of both kinds, control characters
# (every one but NUL), SQL fragments that would end the statement, reserved words, non-ASCII.
HOSTILE = [
    'a"b',
    '""',
    "it's",
    "''",
    'x"; DROP TABLE sentinel; --',
    "x'); DROP TABLE sentinel; --",
    "tab\there",
    "new\nline\r\n",
    "".join(chr(code) for code in range(1, 32)) + "\x7f",
    "back\\slash",
    "$$dollar$$",
    "/* comment */ --",
    "select",
    "from",
    " leading and trailing ",
    "Tëst ✓ 株式",
    "us_gaap_Odd'Name.json",
]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE sentinel (x INTEGER)")
    con.execute("INSERT INTO sentinel VALUES (1)")
    return con


def _sentinel_intact(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT x FROM sentinel").fetchall() == [(1,)]


@pytest.mark.parametrize("name", HOSTILE)
def test_quoted_identifiers_round_trip_through_duckdb(con, name: str) -> None:
    con.execute(f"CREATE TABLE {quote_ident(name)} ({quote_ident(name)} VARCHAR)")
    con.execute(f"INSERT INTO {quote_ident(name)} VALUES (?)", [name])
    tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"sentinel", name}
    columns = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [name]
    ).fetchall()
    assert columns == [(name,)]
    assert con.execute(f"SELECT {quote_ident(name)} FROM {quote_ident(name)}").fetchall() == [
        (name,)
    ]
    assert _sentinel_intact(con)


@pytest.mark.parametrize("text", HOSTILE)
def test_string_literals_round_trip_through_duckdb(con, text: str) -> None:
    assert con.execute(f"SELECT {sql_string(text)}").fetchone() == (text,)
    con.execute("CREATE TABLE labels (label VARCHAR)")
    con.execute("INSERT INTO labels VALUES (?), ('other')", [text])
    found = con.execute(f"SELECT count(*) FROM labels WHERE label = {sql_string(text)}").fetchone()
    assert found == (1,)
    assert _sentinel_intact(con)


def test_an_empty_identifier_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be empty"):
        quote_ident("")


def _table(name: str, rows: list[list]) -> TableSpec:
    columns = [
        ColumnSpec(name="line item", type="VARCHAR"),
        ColumnSpec(name='amount "usd"', type="DECIMAL(18,2)"),
        ColumnSpec(name="year", type="INTEGER"),
    ]
    return TableSpec(name=name, description="", columns=columns, rows=rows)


def test_load_table_creates_typed_columns_and_rows(con) -> None:
    name = "x'); DROP TABLE sentinel; --"
    load_table(con, _table(name, [["a'b", 1234.5, 2020], [None, None, None]]))
    rows = con.execute(f"SELECT * FROM {quote_ident(name)}").fetchall()
    assert [(row[0], None if row[1] is None else float(row[1]), row[2]) for row in rows] == [
        ("a'b", 1234.5, 2020),
        (None, None, None),
    ]
    load_table(con, _table("empty", []))
    assert con.execute("SELECT count(*) FROM empty").fetchone() == (0,)
    assert _sentinel_intact(con)


def test_a_table_named_staged_and_the_tables_after_it_keep_their_rows(con) -> None:
    """Rows used to be staged under the name ``staged``: a dataset table of that name shadowed
    the staging data, so it and every table loaded after it came out empty."""
    load_table(con, _table("staged", [["revenue", 10.0, 2020]]))
    load_table(con, _table("after", [["cost", 4.0, 2021], ["tax", 1.0, 2021]]))
    assert con.execute("SELECT count(*) FROM staged").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM after").fetchone() == (2,)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("BRK.B", "brk_b"),
        ("Aldermoor Industries", "aldermoor_industries"),
        ("  Zürich Re AG ", "zurich_re_ag"),
        ("3M", "c_3m"),
        ("!!!", "c"),
    ],
)
def test_company_slug(text: str, slug: str) -> None:
    assert company_slug(text) == slug
    assert sql_name(slug, fallback="c") == slug  # a slug is its own slug
