"""The public toolset over an imported Snorkel-layout dataset and an imported FinQA dataset."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from inspect_ai.model import ModelOutput
from inspect_ai.scorer import Score, Target
from inspect_ai.solver import TaskState
from inspect_ai.tool import ToolError
from inspect_ai.util._store import Store, init_subtask_store
from test_import_finqa import RAW, _record, _write
from test_import_snorkel import make_layout

from finbehave.data.importers import import_dataset
from finbehave.data.items import Item
from finbehave.env.public_tools import check_public_query, public_gold, public_tools
from finbehave.env.tools import ENV_KEY
from finbehave.rubrics.answers import check_answer, public_number
from finbehave.tasks.finqa import finqa
from finbehave.tasks.scorers import answer_correctness


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


def _item(answer: float | str, unit: str = "number") -> Item:
    return Item(id="q", task="finqa", company="c", question="?", answer=answer, unit=unit,
                kind="k", split="test")  # fmt: skip


def test_public_gold_matches_the_public_rule() -> None:
    gold = public_gold(_item(6.28, "percent"))
    assert gold == "\\boxed{6.28\\%}"
    assert check_answer("6.28%", gold, "percent", mode="public").correct
    assert check_answer("0.0628", gold, "percent", mode="public").correct
    assert not check_answer("7.5%", gold, "percent", mode="public").correct
    assert public_gold(_item(r"\boxed{0.933}, \boxed{0.930}")) == r"\boxed{0.933}, \boxed{0.930}"


@pytest.mark.parametrize(
    ("answer", "boxed"),
    [(1234567.0, "1234567"), (9015431.44, "9015431.44"), (2272727.27273, "2272727.27273"),
     (1e-05, "0.00001"), (-3813.0, "-3813"), (0.0, "0"), (1e16, "10000000000000000")],
)  # fmt: skip
def test_public_gold_is_exact(answer: float, boxed: str) -> None:
    """Bug: ``:g`` wrote 1234567 as ``1.23457e+06`` and the exact answer failed the 1.0 limit."""
    gold = public_gold(_item(answer))
    assert gold == f"\\boxed{{{boxed}}}"
    assert public_number(boxed) == answer
    assert check_answer(repr(answer), gold, "number", mode="public").correct


@pytest.mark.skipif(
    not RAW.is_file(), reason="needs the shared FinQA sample (../shared/data/finqa)"
)
def test_every_shared_finqa_gold_is_exact() -> None:
    records = json.loads(RAW.read_text())
    golds = [r["qa"]["exe_ans"] for r in records if not isinstance(r["qa"]["exe_ans"], str)]
    assert len(golds) >= 400
    for value in golds:
        for unit in ("number", "percent"):
            gold = public_gold(_item(float(value), unit))
            read = public_number(gold.removeprefix("\\boxed{").removesuffix("}"), False)
            assert read == float(value), gold
            answer = f"{value!r}%" if unit == "percent" else repr(value)
            assert check_answer(answer, gold, unit, mode="public").correct, gold


@pytest.mark.parametrize(
    ("options", "message"),
    [({"tolerance": 0.05}, "drop -T tolerance"), ({"tolerance": 0.01}, "drop -T tolerance"),
     ({"calculator": True}, "no calculator tool")],
)  # fmt: skip
def test_public_toolset_refuses_options_it_cannot_honour(options: dict, message: str) -> None:
    """``-T tolerance`` used to be silently ignored with ``toolset=public``."""
    with pytest.raises(ValueError, match=message):
        finqa(toolset="public", **options)
    with pytest.raises(ValueError, match="drop tolerance"):
        answer_correctness(tolerance=0.05, mode="public")


def test_toolset_options_keep_their_defaults() -> None:
    assert finqa(toolset="public", calculator=False).scorer
    assert finqa(tolerance=0.05, calculator=False).scorer


def _score(item: Item, submitted: str, mode: str) -> Score:
    state = TaskState(
        model="mockllm/model", sample_id=item.id, epoch=1, input=item.question, messages=[],
        output=ModelOutput.from_content("mockllm/model", submitted), metadata=item.model_dump(),
    )  # fmt: skip
    return asyncio.run(answer_correctness(mode=mode)(state, Target(str(item.answer))))


def test_public_scorer_uses_the_exact_gold_and_says_so() -> None:
    item = _item(1234567.0, "usd_millions")
    score = _score(item, "1234567", "public")
    assert score.value == 1 and "as '\\\\boxed{1234567}'" in score.explanation
    assert _score(item, "1234567 million", "public").value == 0
    assert _score(item, "1234567 million", "finbehave").value == 1
