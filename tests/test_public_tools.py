"""The public toolset over an imported Snorkel-layout dataset and an imported FinQA dataset."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from inspect_ai.tool import ToolError
from inspect_ai.util._store import Store, init_subtask_store
from test_import_finqa import _record, _write
from test_import_snorkel import make_layout

from finbehave.data.importers import import_dataset
from finbehave.data.items import Item
from finbehave.env.public_tools import check_public_query, public_gold, public_tools
from finbehave.env.tools import ENV_KEY
from finbehave.rubrics.answers import check_answer


def _use(path: Path, company: str) -> None:
    """Point the tools at ``company`` in the dataset at ``path``, as ``init_env`` does."""
    store = Store()
    store.set(ENV_KEY, {"dataset": str(path), "company": company})
    init_subtask_store(store)


def _call(tool, **kwargs) -> str:
    return asyncio.run(tool(**kwargs))


@pytest.fixture
def snorkel(tmp_path: Path) -> Path:
    return import_dataset(make_layout(tmp_path / "src"), "pub", root=tmp_path).path


def test_public_tools_answer_from_the_table(snorkel: Path) -> None:
    descriptions, info, query, _ = public_tools(True)
    _use(snorkel, "acme")
    assert json.loads(_call(descriptions, company_name="acme")) == ["us_gaap_Odd'Name"]
    table_info = json.loads(_call(info, company_name="acme", table_name="us_gaap_Odd'Name.json"))
    assert table_info["description"] == "revenue table"
    assert table_info["unique_vals_per_col"]["item"][0] == "revenue"
    sql = """SELECT "2023" FROM "us_gaap_Odd'Name" WHERE item = 'revenue'"""
    assert json.loads(
        _call(query, company_name="acme", table_name="us_gaap_Odd'Name", query=sql)
    ) == [{"2023": 5.5}]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('select * from "t" where 1=1', "SELECT \\* is not allowed"),
        ('SELECT\n*  FROM "t"', "SELECT \\* is not allowed"),
        ('SELECT "2023" FROM "t"', "must filter its rows"),
    ],
)
def test_public_query_restrictions(query: str, message: str) -> None:
    with pytest.raises(PermissionError, match=message):  # a refusal (Inspect type "permission")
        check_public_query(query)


def test_public_tool_errors_are_tool_errors(snorkel: Path) -> None:
    descriptions, info, query, _ = public_tools(True)
    _use(snorkel, "acme")
    with pytest.raises(ToolError, match="Available companies: acme"):
        _call(descriptions, company_name="nobody")
    with pytest.raises(FileNotFoundError, match="not found"):  # a missing table
        _call(info, company_name="acme", table_name="missing")
    hostile = """SELECT 1 FROM "us_gaap_Odd'Name" WHERE 1=1; DROP TABLE x"""
    with pytest.raises(PermissionError):  # refused by the sandbox
        _call(query, company_name="acme", table_name="us_gaap_Odd'Name", query=hostile)


def test_get_filing_text(tmp_path: Path) -> None:
    source = _write(tmp_path / "a.json", [_record(1, "subtract(77, const_1)", 76.0)])
    path = import_dataset(source, "txt", root=tmp_path).path
    *_, filing_text = public_tools(True)
    _use(path, "abc")
    assert "$ 77 million" in _call(filing_text, table_name="t_abc_2012_p10")
    with pytest.raises(ToolError, match="No filing text"):
        _call(filing_text, table_name="nope")


def test_public_gold_matches_the_public_rule() -> None:
    item = Item(id="q", task="finqa", company="c", question="?", answer=6.28, unit="percent",
                kind="k", split="test")  # fmt: skip
    gold = public_gold(item)
    assert gold == "\\boxed{6.28\\%}"
    assert check_answer("6.28%", gold, "percent", mode="public").correct
    assert check_answer("0.0628", gold, "percent", mode="public").correct
    assert not check_answer("7.5%", gold, "percent", mode="public").correct
