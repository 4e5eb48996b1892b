"""The embedded dataset: reproducible byte for byte, consistent statements, reproducible golds."""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest

from finbehave.data.generate.assembly import generate
from finbehave.data.generate.schema import TABLE_KINDS
from finbehave.data.items import CompanyTables, Item
from finbehave.data.store import EMBEDDED_DIR, DatasetError, DatasetStore, load_dataset
from finbehave.sql import load_table

Logical = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def store() -> DatasetStore:
    return load_dataset("embedded")


@pytest.fixture(scope="module")
def items(store: DatasetStore) -> list[Item]:
    return store.items()


@pytest.fixture(scope="module")
def companies(store: DatasetStore) -> dict[str, CompanyTables]:
    return {slug: store.company(slug) for slug in store.companies()}


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_regenerating_reproduces_the_shipped_files_byte_for_byte(tmp_path: Path) -> None:
    summary = generate(tmp_path)
    assert _files(tmp_path) == _files(EMBEDDED_DIR)
    for relative in _files(EMBEDDED_DIR):
        assert (tmp_path / relative).read_bytes() == (EMBEDDED_DIR / relative).read_bytes(), (
            f"{relative} differs: run `python -m finbehave.data.generate` and commit the result"
        )
    assert summary.tasks == {"finqa": 290, "finqa_reasoning": 79}
    assert summary.bytes < 3_000_000
    assert not [p for p in tmp_path.parent.iterdir() if p.name.startswith(f".{tmp_path.name}.")]


def test_generating_never_replaces_a_directory_that_is_not_a_dataset(tmp_path: Path) -> None:
    keep = tmp_path / "notes.txt"
    keep.write_text("mine", encoding="utf-8")
    with pytest.raises(DatasetError, match="is not a finbehave dataset"):
        generate(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_manifest_and_counts(store: DatasetStore, items: list[Item], companies: dict) -> None:
    assert store.manifest["name"] == "embedded"
    assert store.manifest["source"] == "generated"
    assert store.eval_only is False
    assert len(companies) >= 30
    assert Counter(item.task for item in items) == {"finqa": 290, "finqa_reasoning": 79}
    assert [item.id for item in items] == sorted(item.id for item in items)
    assert len({item.id for item in items}) == len(items)
    assert len({(item.company, item.question) for item in items}) == len(items)
    assert len({(item.company, item.gold_sql) for item in items}) == len(items)
    for task in ("finqa", "finqa_reasoning"):
        kinds = Counter(item.kind for item in items if item.task == task)
        assert len(kinds) >= 8, kinds
    reasoning_kinds = {item.kind for item in items if item.task == "finqa_reasoning"}
    assert {"roa", "interest_coverage", "payout_ratio", "asset_turnover"} <= reasoning_kinds


def test_split_is_the_documented_hash_of_the_id(items: list[Item]) -> None:
    for item in items:
        expected = "train" if hashlib.sha256(item.id.encode()).digest()[0] < 205 else "test"
        assert item.split == expected, item.id
    share = sum(item.split == "train" for item in items) / len(items)
    assert 0.72 < share < 0.88
    assert {item.split for item in items if item.task == "finqa_reasoning"} == {"train", "test"}


def test_required_tables_and_columns_exist(items: list[Item], companies: dict) -> None:
    for item in items:
        assert item.id.startswith(f"{item.task}-{item.company}-")
        company = companies[item.company]
        schema = {t.name: {c.name for c in t.columns} for t in company.tables}
        if item.task == "finqa":
            assert len(item.required_tables) == 1, item.id
        else:
            assert len(item.required_tables) >= 2, item.id
        assert set(item.required_tables) <= set(schema), item.id
        assert {c.split(".")[0] for c in item.required_columns} == set(item.required_tables)
        for reference in item.required_columns:
            table, column = reference.split(".")
            assert column in schema[table], (item.id, reference)
            assert column in item.gold_sql, (item.id, reference)
        assert not any(name.lower() in item.question.lower() for name in schema), item.id


def _connect(company: CompanyTables) -> duckdb.DuckDBPyConnection:
    """The company's tables loaded as the runtime databases load them."""
    con = duckdb.connect()
    for table in company.tables:
        load_table(con, table)
    return con


def test_gold_sql_reproduces_every_answer(items: list[Item], companies: dict) -> None:
    by_company: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_company[item.company].append(item)
    for slug, company_items in by_company.items():
        with _connect(companies[slug]) as con:
            for item in company_items:
                sql = item.gold_sql or ""
                assert sql.startswith("SELECT ") and ";" not in sql, item.id
                rows = con.execute(sql).fetchall()
                assert len(rows) == 1 and len(rows[0]) == 1, item.id
                value = float(rows[0][0])
                assert isinstance(item.answer, float) and item.answer != 0, item.id
                assert math.isclose(value, item.answer, rel_tol=1e-9), (item.id, value)


def _logical(company: CompanyTables) -> Logical:
    """The company's tables keyed by the generator's logical table and column keys."""
    out: Logical = {}
    for table in company.tables:
        suffix = table.name.split("_", 1)[1]
        kind = next(k for k in TABLE_KINDS if suffix in {n.split("_", 1)[1] for n in k.names})
        names = {name.sql: column.key for column in kind.columns for name in column.names}
        keys = [names[c.name] for c in table.columns]
        out[kind.key] = [dict(zip(keys, row, strict=True)) for row in table.rows]
    return out


def _by_year(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row["year"]: row for row in rows}


def _sums(rows: list[dict[str, Any]], key: str) -> dict[int, float]:
    totals: dict[int, float] = defaultdict(float)
    for row in rows:
        totals[row["year"]] += row[key]
    return totals


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 1e-6


@pytest.mark.parametrize(
    "slug", sorted(p.stem for p in (EMBEDDED_DIR / "companies").glob("*.json"))
)
def test_statements_are_internally_consistent(slug: str, companies: dict) -> None:
    t = _logical(companies[slug])
    income, balance, cash = _by_year(t["income"]), _by_year(t["balance"]), t["cashflow"]
    assert set(income) == set(balance) == {row["year"] for row in cash}
    for r in income.values():
        assert _close(r["gross_profit"], r["revenue"] - r["cost_of_sales"])
        assert _close(r["operating_income"], r["gross_profit"] - r["sga"] - r.get("research", 0))
        assert _close(
            r["pretax_income"], r["operating_income"] - r["interest_expense"] + r["other_income"]
        )
        assert _close(r["net_income"], r["pretax_income"] - r["income_tax"])
    for r in balance.values():
        assert _close(
            r["current_assets"],
            r["cash"] + r["receivables"] + r.get("inventory", 0) + r["other_current_assets"],
        )
        assert _close(
            r["total_assets"],
            r["current_assets"] + r["ppe"] + r["goodwill"] + r["other_noncurrent_assets"],
        )
        assert _close(r["current_liabilities"], r["payables"] + r["accrued"] + r["current_debt"])
        assert _close(
            r["total_liabilities"],
            r["current_liabilities"] + r["long_term_debt"] + r["other_noncurrent_liabilities"],
        )
        assert _close(r["total_assets"], r["total_liabilities"] + r["equity"]) and _close(
            r["liabilities_and_equity"], r["total_assets"]
        )
    for r in cash:
        year = r["year"]
        ni = income[year]["net_income"]
        assert _close(
            r["operating_cash_flow"],
            ni
            + r["depreciation"]
            + r["stock_compensation"]
            + r["deferred_taxes"]
            + r["working_capital_change"],
        )
        assert _close(
            r["investing_cash_flow"], -r["capex"] - r["acquisitions"] + r["other_investing"]
        )
        assert _close(
            r["financing_cash_flow"],
            -r["repurchase_payments"]
            - r["dividend_payments"]
            + r["net_borrowing"]
            + r["other_financing"],
        )
        assert _close(
            r["net_change_in_cash"],
            r["operating_cash_flow"] + r["investing_cash_flow"] + r["financing_cash_flow"],
        )
        if year - 1 in balance:
            assert _close(
                balance[year]["cash"] - balance[year - 1]["cash"], r["net_change_in_cash"]
            )
    flows = _by_year(cash)
    for table, key, total in (
        ("segments", "segment_sales", lambda y: income[y]["revenue"]),
        ("geography", "region_sales", lambda y: income[y]["revenue"]),
        ("stock_comp", "award_expense", lambda y: flows[y]["stock_compensation"]),
        ("repurchases", "repurchase_cost", lambda y: flows[y]["repurchase_payments"]),
        ("dividends", "dividends_paid", lambda y: flows[y]["dividend_payments"]),
        ("quarterly", "quarter_sales", lambda y: income[y]["revenue"]),
        ("quarterly", "quarter_gross_profit", lambda y: income[y]["gross_profit"]),
        ("quarterly", "quarter_net_income", lambda y: income[y]["net_income"]),
    ):
        for year, value in _sums(t.get(table, []), key).items():
            assert _close(value, total(year)), (table, key, year)
    last = balance[max(balance)]
    debt = last["current_debt"] + last["long_term_debt"]
    if "debt_maturities" in t:
        assert _close(sum(r["principal_due"] for r in t["debt_maturities"]), debt)
        assert _close(t["debt_maturities"][0]["principal_due"], last["current_debt"])
    if "debt_instruments" in t:
        assert _close(sum(r["principal"] for r in t["debt_instruments"]), debt)
