"""Snorkel-layout import: tables as-is, boxed answers, eval-only, bad layouts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHARED_FINQA, needs_shared

from finbehave.data.importers import DataImportError, detect_format, import_dataset
from finbehave.data.importers.snorkel import parse_boxed
from finbehave.data.store import DatasetStore

EXAMPLE = SHARED_FINQA / "snorkel" / "example"


def make_layout(root: Path, csv: str | None = None) -> Path:
    """A tiny Snorkel-layout directory with one hostile table name and values."""
    (root / "benchmark_questions").mkdir(parents=True)
    (root / "input_companies" / "acme").mkdir(parents=True)
    name = "us_gaap_Odd'Name"
    table = {
        "item": {"0": "revenue", "1": "o'brien\"; DROP TABLE x; --"},
        "2023": {"0": 5.5, "1": 2},
    }
    (root / "input_companies" / "acme" / f"{name}.json").write_text(json.dumps(table))
    catalogue = {f"acme/{name}": {"description": "revenue table", "table": json.dumps(table)}}
    (root / "input_companies" / "tables_cleaned_all_companies.json").write_text(
        json.dumps(catalogue)
    )
    rows = csv or (
        "id,user_query,company,question,answer,question_type,explanation\n"
        'q1,What was revenue?,acme,revenue?,\\boxed{5.5},lookup,x\n'
        'q2,Growth?,acme,growth?,\\boxed{6.280\\%},growth,x\n'
        'q3,Both?,acme,both?,"\\boxed{1}, \\boxed{2}",multi,x\n'
        'q4,Other?,nobody,other?,\\boxed{1},lookup,x\n'
    )  # fmt: skip
    (root / "benchmark_questions" / "finqa.csv").write_text(rows)
    return root


def test_parse_boxed() -> None:
    assert parse_boxed("\\boxed{6.118}") == (6.118, "number")
    assert parse_boxed("\\boxed{6.280\\%}") == (6.28, "percent")
    assert parse_boxed("\\boxed{1,234}") == (1234.0, "number")
    assert parse_boxed("\\boxed{1}, \\boxed{2}") == ("\\boxed{1}, \\boxed{2}", "number")


def test_import_layout_as_is(tmp_path: Path) -> None:
    source = make_layout(tmp_path / "src")
    assert detect_format(source) == "snorkel"
    summary = import_dataset(source, "snk", root=tmp_path)
    assert summary.items == 3 and summary.skipped["question names a company without tables"] == 1
    store = DatasetStore(summary.path)
    assert store.eval_only and all(i.eval_only and i.gold_sql is None for i in store.items())
    items = {i.id: i for i in store.items()}
    assert (items["q2"].answer, items["q2"].unit) == (6.28, "percent")
    assert items["q3"].answer == "\\boxed{1}, \\boxed{2}"
    table = store.company("acme").tables[0]
    assert table.name == "us_gaap_Odd'Name" and table.description == "revenue table"
    assert [c.name for c in table.columns] == ["item", "2023"]
    assert table.rows[1] == ["o'brien\"; DROP TABLE x; --", 2.0]


def test_missing_csv_columns_is_one_line_error(tmp_path: Path) -> None:
    source = make_layout(tmp_path / "src", csv="id,company,answer\nq1,acme,1\n")
    with pytest.raises(DataImportError, match="lacks column\\(s\\) user_query, question") as err:
        import_dataset(source, "bad", root=tmp_path)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "datasets" / "bad").exists()


def test_missing_catalogue_is_an_error(tmp_path: Path) -> None:
    source = make_layout(tmp_path / "src")
    (source / "input_companies" / "tables_cleaned_all_companies.json").unlink()
    with pytest.raises(DataImportError, match="is missing"):
        import_dataset(source, "bad", root=tmp_path)


@needs_shared(EXAMPLE)
def test_shared_example(tmp_path: Path) -> None:
    summary = import_dataset(EXAMPLE, "example", root=tmp_path)
    assert (summary.items, summary.tables, summary.companies) == (6, 4, 2)
    store = DatasetStore(summary.path)
    assert store.companies() == ["amat", "amt"]
    assert {t.name for t in store.company("amt").tables} == {"y2006_page_104", "y2006_page_113"}
    assert store.items()[0].answer == 18210.0
