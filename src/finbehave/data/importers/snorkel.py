"""Import the Snorkel agent-benchmark layout as-is (evaluation only).

``benchmark_questions/<task>.csv`` (task ``finqa`` or ``finqa_reasoning``) gives the items;
``input_companies/<company>/<table>.json`` the tables (read with ``pandas.read_json``, names and
values kept as in the source); ``input_companies/tables_cleaned_all_companies.json`` the table
descriptions. A single ``\\boxed{x}`` answer becomes the number ``x`` (``\\boxed{6.28\\%}`` ->
6.28 with unit ``percent``); any other answer is kept as its raw string.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from finbehave.data.importers.common import DataImportError, ImportSummary, Progress
from finbehave.data.items import ColumnSpec, ColumnType, Item, TableSpec, Unit, split_of
from finbehave.data.store import DatasetWriter
from finbehave.sql import company_slug

REQUIRED_COLUMNS = ("id", "user_query", "company", "question", "answer")
TASKS = ("finqa", "finqa_reasoning")
_BOXED_RE = re.compile(r"^\s*\\boxed\{\s*(-?[\d,]*\.?\d+)\s*(\\?%)?\s*\}\s*$")


def parse_boxed(answer: str) -> tuple[float | str, Unit]:
    """``\\boxed{6.118}`` -> (6.118, number); ``\\boxed{6.28\\%}`` -> (6.28, percent); else raw."""
    match = _BOXED_RE.match(answer)
    if not match:
        return answer, "number"
    value = float(match.group(1).replace(",", ""))
    return value, "percent" if match.group(2) else "number"


def _column_type(dtype: Any) -> ColumnType:
    kind = getattr(dtype, "kind", "O")
    return {"i": "BIGINT", "u": "BIGINT", "f": "DOUBLE", "b": "BOOLEAN"}.get(kind, "VARCHAR")


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value if isinstance(value, int | float | bool) else str(value)


def read_table(path: Path, name: str, description: str) -> TableSpec:
    """One ``input_companies/<company>/<table>.json`` file as a ``TableSpec``."""
    import pandas as pd

    try:
        frame = pd.read_json(path, dtype=False)
    except ValueError as exc:
        raise DataImportError(f"{path}: not a table pandas can read ({exc})") from None
    columns = [ColumnSpec(name=str(c), type=_column_type(frame[c].dtype)) for c in frame.columns]
    rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return TableSpec(name=name, description=description, columns=columns, rows=rows)


def _read_questions(path: Path):
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataImportError(f"{path}: unreadable CSV ({str(exc).splitlines()[0]})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise DataImportError(
            f"{path} lacks column(s) {', '.join(missing)}; expected "
            "id,user_query,company,question,answer[,question_type,explanation]"
        )
    return frame


def import_snorkel(
    source: Path, writer: DatasetWriter, summary: ImportSummary, progress: Progress | None
) -> None:
    """Import a Snorkel-layout directory into ``writer``."""
    companies_dir = source / "input_companies"
    catalogue_path = companies_dir / "tables_cleaned_all_companies.json"
    if not catalogue_path.is_file():
        raise DataImportError(
            f"{catalogue_path} is missing; is {source} a Snorkel-layout directory?"
        )
    catalogue = json.loads(catalogue_path.read_text(encoding="utf-8"))
    csvs = sorted(p for p in (source / "benchmark_questions").glob("*.csv") if p.stem in TASKS)
    if not csvs:
        raise DataImportError(
            f"{source}/benchmark_questions has no finqa.csv or finqa_reasoning.csv"
        )
    folders = sorted(p for p in companies_dir.iterdir() if p.is_dir())
    for done, folder in enumerate(folders, 1):
        slug = company_slug(folder.name)
        for path in sorted(folder.glob("*.json")):
            entry = catalogue.get(f"{folder.name}/{path.stem}", {})
            description = str(entry.get("description", "")) if isinstance(entry, dict) else ""
            try:
                table = read_table(path, path.stem, description)
            except DataImportError as exc:
                summary.skipped[f"table cannot be parsed: {str(exc)[:100]}"] += 1
                continue
            writer.add_table(slug, folder.name, table, [])
            summary.tables += 1
        if progress is not None:
            progress(done, len(folders))
    seen: set[str] = set()
    for path in csvs:
        for row in _read_questions(path).to_dict("records"):
            item_id, slug = str(row["id"]), company_slug(str(row["company"]))
            if item_id in seen:
                summary.skipped["duplicate question id"] += 1
                continue
            if slug not in writer.display:
                summary.skipped["question names a company without tables"] += 1
                continue
            seen.add(item_id)
            answer, unit = parse_boxed(str(row["answer"]))
            writer.add_item(
                Item(
                    id=item_id,
                    task=path.stem,
                    company=slug,
                    question=str(row["user_query"]),
                    answer=answer,
                    unit=unit,
                    kind=str(row.get("question_type") or "unknown"),
                    split=split_of(item_id, "test"),
                    eval_only=True,
                )
            )
            summary.items += 1
            summary.tasks[path.stem] += 1
