"""Import original FinQA records (``train.json``/``dev.json``/``test.json``) into a dataset.

Tables: one per report page, named ``t_<ticker>_<year>_p<page>``; columns ``line_item`` (the first
cell of each row, made unique with `` (2)``...), then for each header cell ``<name>`` DOUBLE (the
parsed number) and ``<name>_text`` VARCHAR (the cell as written). Empty header cells become
``col_<n>``; a header row that looks like data (``$`` or non-year numbers) is kept as a data row
and the columns are named ``value_<n>``.

Answers: ``qa.exe_ans``. Percent questions (``%`` in the human answer, or "percent" in the
question) get unit ``percent`` in percentage points: when the human answer is ~100x ``exe_ans``
(or there is no human answer and the program ends in a division), answer and gold SQL are
multiplied by 100. ``yes``/``no`` answers get unit ``boolean``. Splits: a source file whose name
contains ``train``/``dev`` gives ``train``, ``test`` gives ``test``, otherwise the hash rule every
dataset shares decides (``items.split_of``, about 1 in 5 to ``test``). Items whose operands are
not all in the table are ``evidence: text`` without gold SQL; their filing text is in
``CompanyTables.texts``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from finbehave.data.importers.common import (
    DataImportError,
    ImportSummary,
    Progress,
    dedupe,
    parse_cell,
)
from finbehave.data.importers.program import (
    Compiled,
    ProgramError,
    TableIndex,
    compile_program,
    program_kind,
)
from finbehave.data.items import ColumnSpec, Item, Split, TableSpec, Unit, split_of
from finbehave.data.store import DatasetWriter
from finbehave.sql import company_slug, load_table, sql_name

_ID_RE = re.compile(r"^([^/]+)/(\d{4})/page_(\d+)\.pdf-(\d+)$")
_YEARISH_RE = re.compile(r"^(19|20)\d{2}$")


@dataclass
class _Gold:
    """A compiled, reproduced single-table gold, kept for pairing into multi-table items."""

    id: str
    question: str
    expr: str
    unit: Unit
    table: str
    columns: list[str]
    answer: float
    split: Split


def _header_is_data(header: list[str]) -> bool:
    for cell in header[1:]:
        parsed = parse_cell(cell)
        if "$" in cell or (parsed.value is not None and not _YEARISH_RE.match(cell.strip())):
            return True
    return False


def build_table(name: str, rows: list[list[str]], description: str) -> tuple[TableSpec, TableIndex]:
    """Turn a FinQA table (row 0 = header) into a typed ``TableSpec`` and its compiler index."""
    if not rows or not rows[0]:
        raise DataImportError("empty table")
    width = max(len(r) for r in rows)
    rows = [[str(c) for c in r] + [""] * (width - len(r)) for r in rows]
    header, data = rows[0], rows[1:]
    if _header_is_data(header):
        header, data = ["line_item"] + [f"value_{i}" for i in range(1, width)], rows
    if not data:
        raise DataImportError("table has no data rows")
    names = dedupe(
        [sql_name(h) if h.strip() else f"col_{i}" for i, h in enumerate(header)][1:],
        taken={"line_item"},
    )
    text_names = dedupe([f"{n}_text" for n in names], taken={"line_item", *names})
    em_dash = not any("2014" in h for h in header)
    cells = [[parse_cell(c, em_dash_2014=em_dash) for c in r[1:]] for r in data]
    labels = [r[0] for r in data]
    line_items = dedupe([" ".join(label.split()) for label in labels])
    columns = [ColumnSpec(name="line_item", type="VARCHAR", description="row label")]
    for i, (n, t) in enumerate(zip(names, text_names, strict=True)):
        columns.append(ColumnSpec(name=n, type="DOUBLE", description=f"{header[i + 1]} (number)"))
        columns.append(
            ColumnSpec(name=t, type="VARCHAR", description=f"{header[i + 1]} (as written)")
        )
    table_rows = []
    for label, parsed, raw in zip(line_items, cells, data, strict=True):
        row: list[Any] = [label]
        for cell, text in zip(parsed, raw[1:], strict=True):
            row += [cell.value, text]
        table_rows.append(row)
    spec = TableSpec(name=name, description=description, columns=columns, rows=table_rows)
    return spec, TableIndex(name, line_items, labels, names, cells)


def source_split(source: Path) -> Split | None:
    """The split a FinQA file declares by its name (train/dev -> train, test -> test), if any."""
    stem = source.name.lower()
    if "train" in stem or "dev" in stem:
        return "train"
    if "test" in stem:
        return "test"
    return None


def _first_number(text: str) -> float | None:
    match = re.search(r"-?\d+(?:\.\d+)?", text.replace(",", ""))
    return float(match.group()) if match else None


def _unit_and_scale(
    question: str, answer_text: str, exe: float, ops: list[str]
) -> tuple[Unit, float]:
    q = question.lower()
    if "%" in answer_text or "percent" in q:
        shown = _first_number(answer_text)
        if shown is not None and exe and math.isclose(shown, exe * 100, rel_tol=0.05):
            return "percent", 100.0
        if shown is not None and math.isclose(shown, exe, rel_tol=0.05, abs_tol=0.01):
            return "percent", 1.0
        return "percent", 100.0 if ops and ops[-1] == "divide" else 1.0
    if "$" in answer_text or "million" in q:
        return "usd_millions" if "million" in (q + answer_text.lower()) else "usd", 1.0
    if ops and ops[-1] == "divide":
        return "ratio", 1.0
    return "number", 1.0


def _reproduces(con: duckdb.DuckDBPyConnection, sql: str, answer: float | str) -> bool:
    try:
        got = con.execute(sql).fetchone()[0]
    except duckdb.Error:
        return False
    if isinstance(answer, str):
        return got == answer
    return got is not None and math.isclose(float(got), answer, rel_tol=1e-4, abs_tol=1e-5)


class FinQAImporter:
    """Streams FinQA records into a ``DatasetWriter``."""

    def __init__(self, writer: DatasetWriter, summary: ImportSummary, source: Path) -> None:
        self.writer = writer
        self.summary = summary
        self.source_split = source_split(source)
        self.con = duckdb.connect()
        self.loaded: set[str] = set()
        self.golds: dict[tuple[str, str], list[_Gold]] = defaultdict(list)
        self.indexes: dict[str, TableIndex] = {}

    def _table(self, record: dict, company: str, ticker: str, year: str, page: str) -> TableIndex:
        name = f"t_{company}_{year}_p{page}"
        if name in self.indexes:
            return self.indexes[name]
        description = f"{ticker} {year} annual report (10-K), page {page}: table from {record.get('filename', '')}"
        spec, index = build_table(name, record.get("table") or [], description)
        text = [*record.get("pre_text", []), *record.get("post_text", [])]
        self.writer.add_table(company, ticker, spec, [str(t) for t in text])
        load_table(self.con, spec)
        self.indexes[name] = index
        self.summary.tables += 1
        return index

    def add(self, record: Any) -> None:
        """Import one record, or count it as skipped with the reason."""
        if not isinstance(record, dict) or not isinstance(record.get("qa"), dict):
            self.summary.skipped["record without a 'qa' object"] += 1
            return
        match = _ID_RE.match(str(record.get("id", "")))
        if not match:
            self.summary.skipped["id not of the form TICKER/YEAR/page_N.pdf-K"] += 1
            return
        ticker, year, page, _ = match.groups()
        company = company_slug(ticker)
        qa = record["qa"]
        try:
            index = self._table(record, company, ticker, year, page)
        except (DataImportError, ValueError) as exc:
            self.summary.skipped[f"table cannot be parsed: {str(exc).splitlines()[0][:80]}"] += 1
            return
        split = split_of(str(record["id"]), self.source_split)
        exe = qa.get("exe_ans")
        if isinstance(exe, str) and exe.strip().lower() in ("yes", "no"):
            answer: float | str = exe.strip().lower()
        elif isinstance(exe, int | float) and math.isfinite(float(exe)):
            answer = float(exe)
        else:
            self.summary.skipped["exe_ans is neither a number nor yes/no"] += 1
            return
        program = str(qa.get("program", ""))
        try:
            compiled: Compiled | None = compile_program(program, index)
            ops = compiled.ops
        except ProgramError:
            compiled, ops = None, [m.group(1) for m in re.finditer(r"([a-z_]+)\(", program)]
        question = str(qa.get("question", "")).strip()
        if isinstance(answer, str):
            unit, scale = "boolean", 1.0
        else:
            unit, scale = _unit_and_scale(question, str(qa.get("answer", "")), answer, ops)
            answer = answer * scale
        gold_sql, tables, columns = None, [], []
        if compiled is not None:
            self.summary.table_evidence += 1
            expr = compiled.expr if scale == 1.0 else f"({compiled.expr} * {scale!r})"
            sql = f"SELECT {expr} AS answer"
            if _reproduces(self.con, sql, answer):
                self.summary.reproduced += 1
                gold_sql, tables = sql, [index.name]
                columns = sorted(f"{index.name}.{c}" for c in compiled.columns)
                if not isinstance(answer, str):
                    gold = _Gold(
                        record["id"], question, expr, unit, index.name, columns, answer, split
                    )
                    self.golds[(company, year)].append(gold)
            else:
                self.summary.skipped["gold SQL kept out: does not reproduce exe_ans"] += 1
        item = Item(
            id=str(record["id"]),
            task="finqa",
            company=company,
            question=question,
            answer=answer,
            unit=unit,
            gold_sql=gold_sql,
            required_tables=tables,
            required_columns=columns,
            kind=program_kind(ops),
            split=split,
            evidence="table" if compiled is not None else "text",
        )
        self.writer.add_item(item)
        self.summary.items += 1
        self.summary.tasks["finqa"] += 1

    def add_pairs(self) -> None:
        """Pair reproduced golds of one company and year on different tables into sum items."""
        for (company, year), golds in sorted(self.golds.items()):
            used: set[str] = set()
            for i, first in enumerate(golds):
                if first.id in used:
                    continue
                for second in golds[i + 1 :]:
                    if (
                        second.id in used
                        or second.table == first.table
                        or second.unit != first.unit
                        or second.split != first.split
                    ):
                        continue
                    self._pair(company, year, first, second)
                    used.update((first.id, second.id))
                    break

    def _pair(self, company: str, year: str, a: _Gold, b: _Gold) -> None:
        sql = f"SELECT ({a.expr}) + ({b.expr}) AS answer"
        answer = a.answer + b.answer
        if not _reproduces(self.con, sql, answer):
            self.summary.skipped["multi-table pair: gold SQL does not reproduce"] += 1
            return
        question = (
            f"Two questions about the {year} annual report: (a) {a.question} (b) {b.question} "
            "What is the sum of the answers to (a) and (b)?"
        )
        item = Item(
            id=f"{a.id}+{b.id}",
            task="finqa_reasoning",
            company=company,
            question=question,
            answer=answer,
            unit=a.unit,
            gold_sql=sql,
            required_tables=[a.table, b.table],
            required_columns=sorted({*a.columns, *b.columns}),
            kind="multi_table_sum",
            split=a.split,
        )
        self.writer.add_item(item)
        self.summary.items += 1
        self.summary.multi_table += 1
        self.summary.tasks["finqa_reasoning"] += 1


def import_finqa(
    source: Path, writer: DatasetWriter, summary: ImportSummary, progress: Progress | None
) -> None:
    """Stream the JSON list in ``source`` (ijson) into ``writer``."""
    import ijson

    importer = FinQAImporter(writer, summary, source)
    total = source.stat().st_size
    with source.open("rb") as handle:
        try:
            for n, record in enumerate(ijson.items(handle, "item", use_float=True), 1):
                importer.add(record)
                if progress is not None and n % 50 == 0:
                    progress(handle.tell(), total)
        except ijson.JSONError as exc:
            raise DataImportError(
                f"{source} is not a complete FinQA JSON list ({str(exc).splitlines()[0][:80]}); "
                "re-download the file"
            ) from None
    importer.add_pairs()
    if progress is not None:
        progress(total, total)
    if summary.items == 0:
        raise DataImportError(
            f"{source} holds no importable FinQA records; is it a FinQA JSON list?"
        )
