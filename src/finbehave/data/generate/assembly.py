"""Assembly: draft each company's items from the templates, compute their gold answers, write.

Each company's tables come from its own ``random.Random(f"{seed}:{name}")`` and its items from
``random.Random(f"{seed}:{name}:items")``, so changing one company or template leaves the others'
streams alone. Every gold answer is the value its gold SQL returns when DuckDB runs it over the
company's tables. The dataset is written by the same ``DatasetWriter`` as imported datasets.
"""

from __future__ import annotations

import argparse
import math
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from finbehave.data.generate.multi_table import MULTI_TABLE
from finbehave.data.generate.questions import Template
from finbehave.data.generate.single_table import SINGLE_TABLE
from finbehave.data.generate.world import COMPANIES, Company, build_company
from finbehave.data.items import CompanyTables, Item, split_of
from finbehave.data.store import EMBEDDED_DIR, DatasetWriter
from finbehave.sql import load_table
from finbehave.vocab import EMBEDDED, TaskName

SEED = 20261125
FINQA_ITEMS = 290
REASONING_ITEMS = 79
ATTEMPTS_PER_ITEM = 200


def connect(company: CompanyTables) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database holding the company's tables."""
    con = duckdb.connect(config={"threads": 1})
    for table in company.tables:
        load_table(con, table)
    return con


def usable(value: Any) -> bool:
    """Reject degenerate golds: missing, non-finite, (near) zero or absurdly large."""
    if value is None:
        return False
    number = float(value)
    return math.isfinite(number) and 1e-3 <= abs(number) < 1e9


def make_items(
    company: Company,
    con: duckdb.DuckDBPyConnection,
    task: TaskName,
    quota: int,
    templates: tuple[Template, ...],
    rng: random.Random,
) -> list[Item]:
    """``quota`` distinct items for one company, cycling through shuffled templates."""
    order = list(templates)
    rng.shuffle(order)
    items: list[Item] = []
    seen: set[str] = set()
    for attempt in range(ATTEMPTS_PER_ITEM * quota):
        if len(items) == quota:
            break
        draft = order[attempt % len(order)](company, rng)
        if draft is None or draft.sql in seen or draft.question in seen:
            continue
        seen |= {draft.sql, draft.question}
        tables = sorted({column.split(".")[0] for column in draft.columns})
        if (len(tables) == 1) != (task == "finqa"):
            continue
        row = con.execute(draft.sql).fetchone()
        if row is None or not usable(row[0]):
            continue
        item_id = f"{task}-{company.slug}-{len(items) + 1:03d}"
        items.append(
            Item(
                id=item_id,
                task=task,
                company=company.slug,
                question=draft.question,
                answer=float(row[0]),
                unit=draft.unit,
                gold_sql=draft.sql,
                required_tables=tables,
                required_columns=sorted(draft.columns),
                kind=draft.kind,
                split=split_of(item_id),
            )
        )
    if len(items) < quota:
        raise RuntimeError(
            f"only {len(items)} of {quota} {task} items could be drafted for {company.slug}"
        )
    return items


def quotas(total: int, companies: int) -> list[int]:
    """``total`` spread over ``companies``, the first ones taking the remainder."""
    return [
        total // companies + (1 if index < total % companies else 0) for index in range(companies)
    ]


@dataclass(frozen=True)
class GenerationSummary:
    """What ``generate`` wrote."""

    out_dir: Path
    companies: int
    tasks: dict[str, int]
    splits: dict[str, int]
    kinds: dict[str, int]
    bytes: int


def generate(out_dir: Path, seed: int = SEED) -> GenerationSummary:
    """Write the dataset (manifest.json, items.jsonl, companies/<slug>.json) to ``out_dir``.

    ``out_dir`` is replaced whole (atomically); it must be new, empty or a dataset.
    """
    writer = DatasetWriter(out_dir, EMBEDDED, indent=1)
    items: list[Item] = []
    try:
        finqa_quotas = quotas(FINQA_ITEMS, len(COMPANIES))
        reasoning_quotas = quotas(REASONING_ITEMS, len(COMPANIES))
        for index, profile in enumerate(COMPANIES):
            company = build_company(profile, seed)
            tables = company.tables()
            writer.add_company(tables)
            rng = random.Random(f"{seed}:{profile.name}:items")
            with connect(tables) as con:
                items += make_items(company, con, "finqa", finqa_quotas[index], SINGLE_TABLE, rng)
                items += make_items(
                    company, con, "finqa_reasoning", reasoning_quotas[index], MULTI_TABLE, rng
                )
        for item in items:
            writer.add_item(item)
        description = (
            f"{len(COMPANIES)} fictional companies' 10-K style tables and {len(items)} "
            f"FinQA-style questions, generated by finbehave.data.generate (seed {seed})."
        )
        target = writer.commit("generated", eval_only=False, description=description)
    finally:
        writer.abort()
    return GenerationSummary(
        out_dir=target,
        companies=len(COMPANIES),
        tasks=dict(sorted(Counter(item.task for item in items).items())),
        splits=dict(sorted(Counter(item.split for item in items).items())),
        kinds=dict(sorted(Counter(item.kind for item in items).items())),
        bytes=sum(path.stat().st_size for path in target.rglob("*") if path.is_file()),
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m finbehave.data.generate [--out DIR] [--seed N]``."""
    parser = argparse.ArgumentParser(description="Generate the embedded finbehave dataset.")
    parser.add_argument("--out", type=Path, default=EMBEDDED_DIR, help="output directory")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed")
    args = parser.parse_args(argv)
    summary = generate(args.out, args.seed)
    print(
        f"wrote {summary.out_dir}: {summary.companies} companies, {summary.tasks}, "
        f"{summary.splits}, {summary.bytes / 1e6:.2f} MB"
    )
    print("kinds:", ", ".join(f"{kind}={count}" for kind, count in summary.kinds.items()))
