"""A tiny dataset written by the tests themselves (two companies, a few items)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from finbehave.data.items import ColumnSpec, CompanyTables, Item, TableSpec

INCOME = "us_gaap_IncomeStatementTableTextBlock"
SEGMENTS = "us_gaap_SegmentRevenueTableTextBlock"


def tiny_company(slug: str = "acme") -> CompanyTables:
    return CompanyTables(
        company=slug,
        display_name=slug.title() + " Corp",
        tables=[
            TableSpec(
                name=INCOME,
                description="Consolidated statements of operations, USD millions.",
                columns=[
                    ColumnSpec(name="fiscal_year", type="INTEGER"),
                    ColumnSpec(name="net_sales_usd_millions", type="DOUBLE"),
                    ColumnSpec(name="net_income_usd_millions", type="DOUBLE"),
                ],
                rows=[[2021, 1000.0, 80.0], [2022, 1100.0, 99.0], [2023, 1210.0, 121.0]],
            ),
            TableSpec(
                name=SEGMENTS,
                description="Net sales by reportable segment, USD millions.",
                columns=[
                    ColumnSpec(name="fiscal_year", type="INTEGER"),
                    ColumnSpec(name="segment_name", type="VARCHAR"),
                    ColumnSpec(name="segment_net_sales_usd_millions", type="DOUBLE"),
                ],
                rows=[
                    [2023, "Industrial", 700.0],
                    [2023, "Consumer", 510.0],
                    [2022, "Industrial", 650.0],
                    [2022, "Consumer", 450.0],
                ],
            ),
        ],
    )


def tiny_items(slug: str = "acme") -> list[Item]:
    growth = (
        f"SELECT ROUND((b.net_sales_usd_millions - a.net_sales_usd_millions) / "
        f"a.net_sales_usd_millions * 100, 4) FROM {INCOME} a, {INCOME} b "
        "WHERE a.fiscal_year = 2022 AND b.fiscal_year = 2023"
    )
    share = (
        f"SELECT ROUND(s.segment_net_sales_usd_millions / i.net_sales_usd_millions * 100, 4) "
        f"FROM {SEGMENTS} s JOIN {INCOME} i USING (fiscal_year) "
        "WHERE fiscal_year = 2023 AND s.segment_name = 'Industrial'"
    )
    return [
        Item(
            id=f"finqa-{slug}-001",
            task="finqa",
            company=slug,
            question=f"By what percent did {slug.title()} net sales grow from 2022 to 2023?",
            answer=10.0,
            unit="percent",
            gold_sql=growth,
            required_tables=[INCOME],
            required_columns=[f"{INCOME}.fiscal_year", f"{INCOME}.net_sales_usd_millions"],
            kind="percent_change",
            split="test",
        ),
        Item(
            id=f"finqa-{slug}-002",
            task="finqa",
            company=slug,
            question=f"What was {slug.title()} net income in fiscal 2022, in USD millions?",
            answer=99.0,
            unit="usd_millions",
            gold_sql=f"SELECT net_income_usd_millions FROM {INCOME} WHERE fiscal_year = 2022",
            required_tables=[INCOME],
            required_columns=[f"{INCOME}.fiscal_year", f"{INCOME}.net_income_usd_millions"],
            kind="lookup",
            split="train",
        ),
        Item(
            id=f"finqa_reasoning-{slug}-001",
            task="finqa_reasoning",
            company=slug,
            question=f"What share of {slug.title()} 2023 net sales came from Industrial, in percent?",
            answer=round(700 / 1210 * 100, 4),
            unit="percent",
            gold_sql=share,
            required_tables=[SEGMENTS, INCOME],
            required_columns=[
                f"{SEGMENTS}.segment_net_sales_usd_millions",
                f"{SEGMENTS}.segment_name",
                f"{INCOME}.net_sales_usd_millions",
                f"{INCOME}.fiscal_year",
            ],
            kind="share_of_total",
            split="test",
        ),
    ]


def write_tiny_dataset(root: Path, name: str = "tiny") -> Path:
    """Write the tiny dataset directory and return its path."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "companies").mkdir(exist_ok=True)
    manifest = {"name": name, "format_version": 1, "source": "tests", "eval_only": False}
    (root / "manifest.json").write_text(json.dumps(manifest))
    (root / "companies" / "acme.json").write_text(tiny_company().model_dump_json())
    (root / "items.jsonl").write_text(
        "".join(item.model_dump_json() + "\n" for item in tiny_items())
    )
    return root


def write_diag(path: Path, train: list[str], held_out: list[str], **update: Any) -> Path:
    """A minimal valid diagnosis.json targeting ``train`` and holding out ``held_out``."""
    from finbehave.diagnosis import Diagnosis, ModelDiagnosis, TargetItems, write_diagnosis
    from finbehave.rubrics.spec import load_rubric

    diagnosis = Diagnosis(
        rubric_version=load_rubric(None).version,
        subject="m",
        models={"m": ModelDiagnosis(model="m", samples=1, behaviours={})},
        weakest=[],
        reward_weights={"tool_discovery": 0.5, "grounding": 0.5},
        target_items=TargetItems(train=train, held_out=held_out, selection="tests"),
        recommendation="",
    ).model_copy(update=update)
    return write_diagnosis(diagnosis, path)
