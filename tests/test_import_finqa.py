"""FinQA import: cell parsing, table schemas, program compilation, atomic writes, real sample."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from conftest import SHARED_FINQA, needs_shared

from finbehave.data.importers import DataImportError, detect_format, import_dataset
from finbehave.data.importers.common import parse_cell
from finbehave.data.importers.finqa import build_table
from finbehave.data.importers.program import ProgramError, compile_program
from finbehave.data.manage import dataset_info, list_datasets, remove_dataset
from finbehave.data.store import DatasetError, DatasetStore
from finbehave.env.database import build_database
from finbehave.sql import sql_name

RAW = SHARED_FINQA / "raw" / "test_subset.json"

TABLE = [
    ["", "2012", "2011", "2011"],
    ["revenue", "$ 5,829", "$ 5735", "1"],
    ["net loss", "-36 ( 36 )", "( 12 )", "2014"],
    ["margin", "2.92% ( 2.92 % )", "n/a", "-"],
]


def _record(idx: int, program: str, exe: float | str, page: int = 10, table=TABLE, **qa) -> dict:
    return {
        "id": f"ABC/2012/page_{page}.pdf-{idx}",
        "filename": f"ABC/2012/page_{page}.pdf",
        "pre_text": ["revenue rose ."],
        "post_text": ["the company 2019s backlog was $ 77 million ."],
        "table": table,
        "qa": {"question": qa.get("question", "what was the change?"), "program": program,
               "exe_ans": exe, "answer": qa.get("answer", "")},
    }  # fmt: skip


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "value", "percent"),
    [
        ("$ 1,234", 1234.0, False),
        ("( 12 )", -12.0, False),
        ("-36 ( 36 )", -36.0, False),
        ("$ -6.3 ( 6.3 )", -6.3, False),
        ("12.5%", 12.5, True),
        ("2.92% ( 2.92 % )", 2.92, True),
        ("n/a", None, False),
        ("-", None, False),
        ("", None, False),
        ("twelve", None, False),
    ],
)
def test_parse_cell(text: str, value: float | None, percent: bool) -> None:
    cell = parse_cell(text)
    assert cell.value == value and cell.percent == percent


def test_em_dash_artefact_only_when_asked() -> None:
    assert parse_cell("$ 2014", em_dash_2014=True).value is None
    assert parse_cell("2014").value == 2014.0


def test_sql_name_is_safe() -> None:
    assert sql_name("years ended december 31 , 2015") == "years_ended_december_31_2015"
    assert sql_name("2012") == "col_2012"
    assert sql_name('"; DROP TABLE x; --') == "drop_table_x"
    assert sql_name("\x00\x07") == "col"


def test_table_schema_repairs_header() -> None:
    spec, index = build_table("t_abc_2012_p10", TABLE, "d")
    names = [c.name for c in spec.columns]
    assert names[0] == "line_item"
    assert names[1::2] == ["col_2012", "col_2011", "col_2011_2"]
    assert all(n.endswith("_text") for n in names[2::2])
    assert spec.rows[1][:5] == ["net loss", -36.0, "-36 ( 36 )", -12.0, "( 12 )"]
    assert spec.rows[1][5] is None  # "2014" em dash: the header has no 2014 column
    assert index.cells[2][0].percent


def test_header_that_is_data_is_kept_as_a_row() -> None:
    spec, _ = build_table("t", [["2007", "$ 253907"], ["2008", "$ 1"]], "d")
    assert [c.name for c in spec.columns][:2] == ["line_item", "value_1"]
    assert spec.rows[0][:2] == ["2007", 253907.0]


def test_program_compiles_to_sql_that_reproduces(tmp_path: Path) -> None:
    spec, index = build_table("t_abc_2012_p10", TABLE, "d")
    con = duckdb.connect()
    con.execute('CREATE TABLE t_abc_2012_p10 ("line_item" VARCHAR, col_2012 DOUBLE, x VARCHAR,'
                ' col_2011 DOUBLE, y VARCHAR, col_2011_2 DOUBLE, z VARCHAR)')  # fmt: skip
    con.executemany("INSERT INTO t_abc_2012_p10 VALUES (?, ?, ?, ?, ?, ?, ?)", spec.rows)
    cases = {
        "subtract(5829, 5735), divide(#0, 5735)": (5829 - 5735) / 5735,
        "add(-36, const_100)": 64.0,
        "multiply(2.92%, const_m1)": -0.0292,
        "table_sum(revenue, none)": 5829 + 5735 + 1,
        "exp(const_2, const_3)": 8.0,
    }
    for program, expected in cases.items():
        compiled = compile_program(program, index)
        assert con.execute(f"SELECT {compiled.expr}").fetchone()[0] == pytest.approx(expected)
    greater = compile_program("greater(5829, 5735)", index)
    assert con.execute(f"SELECT {greater.expr}").fetchone()[0] == "yes"
    with pytest.raises(ProgramError):
        compile_program("subtract(77, 5735)", index)  # 77 is only in the text


def test_import_items_units_evidence_and_pairs(tmp_path: Path) -> None:
    other = [["", "2012"], ["backlog", "$ 300"]]
    records = [
        _record(1, "subtract(5829, 5735), divide(#0, 5735)", 0.01639, answer="1.6%"),
        _record(2, "subtract(77, const_1)", 76.0),
        _record(3, "greater(5829, 5735)", "yes"),
        _record(1, "add(300, const_1)", 301.0, page=11, table=other),
        _record(4, "subtract(5829, 5735)", 94.0),
    ]
    source = _write(tmp_path / "train.json", records)
    summary = import_dataset(source, "mini", root=tmp_path)
    assert summary.reproduced == summary.table_evidence == 4
    assert summary.multi_table == 1
    store = DatasetStore(summary.path)
    items = {i.id: i for i in store.items()}
    pct = items["ABC/2012/page_10.pdf-1"]
    assert (pct.unit, pct.split, pct.kind) == ("percent", "train", "percent_change")
    assert pct.answer == pytest.approx(1.639)
    text_item = items["ABC/2012/page_10.pdf-2"]
    assert (text_item.evidence, text_item.gold_sql) == ("text", None)
    assert items["ABC/2012/page_10.pdf-3"].answer == "yes"
    assert store.company("abc").texts["t_abc_2012_p10"][1].startswith("the company")
    pair = next(i for i in items.values() if i.task == "finqa_reasoning")
    assert len(pair.required_tables) == 2
    db = build_database(store.company("abc"), tmp_path / "abc.duckdb")
    con = duckdb.connect(str(db), read_only=True)
    for item in items.values():
        if item.gold_sql:
            got = con.execute(item.gold_sql).fetchone()[0]
            assert (
                got == item.answer
                if isinstance(got, str)
                else got == pytest.approx(item.answer, rel=1e-3)
            )
    info = dataset_info("mini", root=tmp_path)
    assert info["by_task"] == {"finqa": 5, "finqa_reasoning": 1} and info["tables"] == 2
    assert [d.name for d in list_datasets(root=tmp_path)] == ["mini"]
    remove_dataset("mini", root=tmp_path)
    assert list_datasets(root=tmp_path) == []


def test_hostile_names_and_values_import_and_query_safely(tmp_path: Path) -> None:
    hostile = [
        ['x"; DROP TABLE t; --', "it's \x07", "2012"],
        ["o'brien\"); DELETE FROM t; --\n", "$ 10", "'; SELECT 1; --"],
        ["o'brien\"); DELETE FROM t; --\n", "$ 20", "\x00"],
    ]
    source = _write(tmp_path / "h.json", [_record(1, "subtract(20, 10)", 10.0, table=hostile)])
    summary = import_dataset(source, "hostile", root=tmp_path)
    item = DatasetStore(summary.path).items()[0]
    assert summary.reproduced == 1 and item.gold_sql
    db = build_database(DatasetStore(summary.path).company("abc"), tmp_path / "h.duckdb")
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(item.gold_sql).fetchone()[0] == 10.0
    assert con.execute("SELECT count(*) FROM t_abc_2012_p10").fetchone()[0] == 2


@pytest.mark.parametrize(("file", "declared"), [("dev.json", "train"), ("test_x.json", "test")])
def test_a_file_named_for_a_split_gives_every_item_that_split(
    tmp_path: Path, file: str, declared: str
) -> None:
    records = [_record(i, "subtract(5829, 5735)", 94.0) for i in range(12)]
    summary = import_dataset(_write(tmp_path / file, records), "named", root=tmp_path)
    assert {item.split for item in DatasetStore(summary.path).items()} == {declared}


def test_other_files_split_by_the_rule_every_dataset_shares(tmp_path: Path) -> None:
    """The embedded dataset's rule: the first byte of sha256(id) below 205 is train."""
    records = [_record(i, "subtract(5829, 5735)", 94.0) for i in range(40)]
    summary = import_dataset(_write(tmp_path / "records.json", records), "hashed", root=tmp_path)
    items = DatasetStore(summary.path).items()
    assert len(items) == 40
    for item in items:
        expected = "train" if hashlib.sha256(item.id.encode()).digest()[0] < 205 else "test"
        assert item.split == expected, item.id
    assert {item.split for item in items} == {"train", "test"}


def test_an_import_replaces_a_broken_dataset_of_that_name(tmp_path: Path) -> None:
    broken = tmp_path / "datasets" / "again"
    broken.mkdir(parents=True)
    (broken / "items.jsonl").write_text("half a line", encoding="utf-8")  # no manifest.json
    source = _write(tmp_path / "a.json", [_record(4, "subtract(5829, 5735)", 94.0)])
    summary = import_dataset(source, "again", root=tmp_path)
    assert [item.id for item in DatasetStore(summary.path).items()] == ["ABC/2012/page_10.pdf-4"]


def test_truncated_json_leaves_previous_dataset_intact(tmp_path: Path) -> None:
    good = _write(tmp_path / "a.json", [_record(4, "subtract(5829, 5735)", 94.0)])
    import_dataset(good, "keep", root=tmp_path)
    before = (tmp_path / "datasets" / "keep" / "items.jsonl").read_bytes()
    text = json.dumps([_record(i, "subtract(5829, 5735)", 94.0) for i in range(5)])
    bad = tmp_path / "b.json"
    bad.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(DataImportError, match="not a complete FinQA JSON list"):
        import_dataset(bad, "keep", root=tmp_path)
    assert (tmp_path / "datasets" / "keep" / "items.jsonl").read_bytes() == before
    assert [p.name for p in (tmp_path / "datasets").iterdir()] == ["keep"]


def test_bad_sources_give_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataImportError, match="use --format"):
        detect_format(tmp_path / "x.csv")
    with pytest.raises(DatasetError, match="invalid dataset name"):
        import_dataset(_write(tmp_path / "a.json", []), "../evil", root=tmp_path)
    records = [_record(1, "subtract(5829, 5735)", 94.0, table=[]), {"no": "qa"}]
    with pytest.raises(DataImportError, match="no importable"):
        import_dataset(_write(tmp_path / "c.json", records), "c", root=tmp_path)
    records.append(_record(2, "subtract(5829, 5735)", 94.0, page=12))
    summary = import_dataset(_write(tmp_path / "c.json", records), "c", root=tmp_path)
    assert summary.items == 1 and sum(summary.skipped.values()) == 2


@needs_shared(RAW)
def test_real_sample_reproduces_exe_ans(tmp_path: Path) -> None:
    calls = []
    summary = import_dataset(RAW, "real", root=tmp_path, progress=lambda d, t: calls.append(d))
    print("\n".join(summary.lines()))
    assert summary.items >= 446 and calls
    assert summary.table_evidence >= 150
    assert summary.reproduced_rate is not None and summary.reproduced_rate >= 0.9
    assert summary.multi_table > 0
