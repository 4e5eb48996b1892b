"""Generate the embedded dataset: fictional companies, 10-K style tables, computed gold answers.

Deterministic: one ``random.Random(seed)``, no clock, no hash randomisation, fixed float
rounding and key order, so regenerating reproduces the shipped files byte for byte (a test
checks it). Every gold answer is obtained by executing the item's gold SQL in DuckDB over the
generated tables, never typed by hand.

    python -m finbehave.data.generate [--out DIR] [--seed N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from finbehave.data.items import ColumnSpec, CompanyTables, Item, TableSpec
from finbehave.data.store import EMBEDDED_DIR, FORMAT_VERSION

SEED = 20261125
N_FINQA = 290
N_REASONING = 79
TRAIN_FRACTION = 0.8

NAMES = [
    "Aldermoor", "Brightwater", "Corvane", "Duskfield", "Elmstead", "Fenwick", "Glenmore",
    "Harrowgate", "Ironvale", "Juniper Ridge", "Kestrel", "Larkspur", "Marlowe", "Northcote",
    "Oakhurst", "Pinecrest", "Quillon", "Ravenshaw", "Silverbrook", "Thornbury", "Umberleigh",
    "Valemont", "Westergate", "Yarrowdale", "Zephyrine", "Ashcombe", "Bramblecote", "Caldera",
    "Driftwood", "Emberly", "Foxhollow", "Greystone",
]
SECTORS: dict[str, dict] = {
    "industrial": {
        "suffix": "Industries", "gross": (0.28, 0.38), "rd": (0.03, 0.06), "capex": 0.05,
        "segments": ["Aerospace Systems", "Industrial Automation", "Building Technologies",
                     "Flow Control"],
    },
    "retail": {
        "suffix": "Retail Group", "gross": (0.24, 0.34), "rd": (0.0, 0.005), "capex": 0.04,
        "segments": ["Stores", "E-commerce", "Wholesale", "Financial Services"],
    },
    "software": {
        "suffix": "Software", "gross": (0.65, 0.8), "rd": (0.12, 0.2), "capex": 0.03,
        "segments": ["Cloud Subscriptions", "Licenses", "Professional Services", "Support"],
    },
    "energy": {
        "suffix": "Energy", "gross": (0.2, 0.32), "rd": (0.005, 0.015), "capex": 0.12,
        "segments": ["Upstream", "Midstream", "Renewables", "Refining"],
    },
    "healthcare": {
        "suffix": "Health", "gross": (0.5, 0.66), "rd": (0.08, 0.14), "capex": 0.04,
        "segments": ["Medical Devices", "Diagnostics", "Pharmaceuticals", "Consumer Health"],
    },
    "consumer": {
        "suffix": "Brands", "gross": (0.38, 0.5), "rd": (0.01, 0.02), "capex": 0.045,
        "segments": ["Beverages", "Snacks", "Household Products", "Personal Care"],
    },
}
REGIONS = ["United States", "Europe, Middle East and Africa", "Asia Pacific", "Latin America",
           "Canada"]

# Table kinds: (alternative XBRL-style names, description).
TABLE_NAMES: dict[str, tuple[tuple[str, ...], str]] = {
    "income": (("us_gaap_ConsolidatedStatementsOfOperationsTableTextBlock",
                "us_gaap_IncomeStatementTableTextBlock"),
               "Consolidated statements of operations by fiscal year (USD millions except "
               "per-share data)."),
    "balance": (("us_gaap_ScheduleOfCondensedBalanceSheetTableTextBlock",
                 "us_gaap_BalanceSheetComponentsTableTextBlock"),
                "Consolidated balance sheet data at fiscal year end (USD millions)."),
    "cashflow": (("us_gaap_ScheduleOfCashFlowStatementTableTextBlock",
                  "us_gaap_CondensedCashFlowStatementTableTextBlock"),
                 "Consolidated statements of cash flows, selected lines (USD millions)."),
    "segments": (("us_gaap_DisaggregationOfRevenueTableTextBlock",
                  "us_gaap_ScheduleOfSegmentReportingInformationBySegmentTableTextBlock"),
                 "Net sales and operating income by reportable segment (USD millions)."),
    "regions": (("us_gaap_RevenueFromExternalCustomersByGeographicAreasTableTextBlock",
                 "us_gaap_ScheduleOfRevenuesFromExternalCustomersAndLongLivedAssetsByGeographicalAreasTableTextBlock"),
                "Net sales by geographic area of the customer (USD millions)."),
    "repurchases": (("us_gaap_ScheduleOfTreasuryStockByClassTableTextBlock",
                     "us_gaap_ClassOfTreasuryStockTableTextBlock"),
                    "Common stock repurchased under the buyback program by fiscal year."),
    "debt": (("us_gaap_ScheduleOfDebtTableTextBlock", "us_gaap_DebtInstrumentsTableTextBlock"),
             "Total debt, interest expense and average interest rate by fiscal year."),
    "maturities": (("us_gaap_ScheduleOfMaturitiesOfLongTermDebtTableTextBlock",
                    "us_gaap_LongTermDebtMaturitiesTableTextBlock"),
                   "Scheduled principal repayments of debt outstanding at the latest fiscal "
                   "year end, by year due (USD millions)."),
    "stockcomp": (("us_gaap_ShareBasedCompensationArrangementsByShareBasedPaymentAwardTableTextBlock",
                   "us_gaap_ScheduleOfShareBasedCompensationAllocationOfRecognizedPeriodCostsTableTextBlock"),
                  "Stock-based compensation expense and restricted stock unit grants."),
    "dividends": (("us_gaap_DividendsDeclaredTableTextBlock",
                   "us_gaap_ScheduleOfDividendsPayableTableTextBlock"),
                  "Cash dividends declared on common stock by fiscal year."),
    "employees": (("dei_ScheduleOfEmployeeHeadcountTableTextBlock",
                   "us_gaap_ScheduleOfWorkforceByCategoryTableTextBlock"),
                  "Full-time equivalent employees at fiscal year end."),
}
OPTIONAL = ["repurchases", "maturities", "stockcomp", "dividends", "employees"]

M = "DOUBLE"
PS = "DECIMAL(18,2)"


def tenths(x: float) -> float:
    """Round to one decimal (money in USD millions is reported to 0.1)."""
    return round(x, 1)


@dataclass
class Company:
    """One fictional company: its tables as columns → values, plus facts for questions."""

    slug: str
    name: str
    sector: str
    years: list[int]
    segments: list[str]
    regions: list[str]
    table_names: dict[str, str]
    columns: dict[str, list[ColumnSpec]] = field(default_factory=dict)
    rows: dict[str, list[list]] = field(default_factory=dict)

    def add(self, kind: str, columns: list[tuple[str, str, str]], rows: list[list]) -> None:
        self.columns[kind] = [ColumnSpec(name=n, type=t, description=d) for n, t, d in columns]
        self.rows[kind] = rows

    def tables(self) -> list[TableSpec]:
        return [
            TableSpec(
                name=self.table_names[kind],
                description=TABLE_NAMES[kind][1],
                columns=self.columns[kind],
                rows=self.rows[kind],
            )
            for kind in self.columns
        ]

    def t(self, kind: str) -> str:
        return self.table_names[kind]

    @property
    def possessive(self) -> str:
        return f"{self.name}'" if self.name.endswith("s") else f"{self.name}'s"


def _split_total(rng: random.Random, total: float, parts: int) -> list[float]:
    """``parts`` positive values (in tenths) that add up exactly to ``total``."""
    weights = [rng.uniform(0.5, 2.0) for _ in range(parts)]
    scale = sum(weights)
    units = round(total * 10)
    values = [round(units * w / scale) for w in weights[:-1]]
    values.append(units - sum(values))
    return [v / 10 for v in values]


def build_company(rng: random.Random, index: int) -> Company:
    """Generate one company's tables with internally consistent figures."""
    sector = list(SECTORS)[index % len(SECTORS)]
    spec = SECTORS[sector]
    name = f"{NAMES[index]} {spec['suffix']}"
    slug = name.lower().replace(" ", "_").replace("-", "_")
    first = rng.randint(2017, 2019)
    years = list(range(first, rng.choice([2023, 2024]) + 1))
    segments = sorted(rng.sample(spec["segments"], rng.choice([3, 3, 4])))
    regions = sorted(rng.sample(REGIONS, rng.choice([3, 4])))
    optional = sorted(rng.sample(OPTIONAL, rng.randint(3, 5)))
    table_names = {k: TABLE_NAMES[k][0][rng.randrange(2)] for k in
                   ["income", "balance", "cashflow", "segments", "regions", "debt", *optional]}
    company = Company(slug, name, sector, years, segments, regions, table_names)

    sales = rng.uniform(800, 40_000)
    shares = rng.uniform(80, 1_500)
    debt = sales * rng.uniform(0.2, 0.8)
    rate = rng.uniform(2.5, 6.5)
    income_rows, balance_rows, cash_rows, seg_rows, reg_rows, debt_rows = [], [], [], [], [], []
    repurchase_rows, sbc_rows, div_rows, emp_rows = [], [], [], []
    equity = sales * rng.uniform(0.4, 0.9)
    employees = int(sales * rng.uniform(2, 9))
    dps = rng.uniform(0.4, 3.0)
    for year in years:
        sales = tenths(sales * (1 + rng.gauss(0.06, 0.07)))
        cost = tenths(sales * (1 - rng.uniform(*spec["gross"])))
        gross = tenths(sales - cost)
        rd = tenths(sales * rng.uniform(*spec["rd"]))
        sga = tenths(sales * rng.uniform(0.08, 0.16))
        operating = tenths(gross - sga - rd)
        debt = tenths(debt * rng.uniform(0.9, 1.12))
        rate = round(min(8.0, max(1.5, rate + rng.gauss(0, 0.3))), 2)
        interest = tenths(debt * rate / 100)
        nonop = tenths(interest + rng.uniform(-0.01, 0.01) * sales)
        pretax = tenths(operating - nonop)
        tax = tenths(max(pretax, 0) * rng.uniform(0.15, 0.26))
        net = tenths(pretax - tax)
        shares = round(shares * rng.uniform(0.96, 1.01), 1)
        eps = round(net / shares, 2)
        income_rows.append([year, sales, cost, gross, rd, sga, operating, nonop, pretax, tax,
                            net, shares, eps])

        cash = tenths(sales * rng.uniform(0.05, 0.2))
        receivables = tenths(sales * rng.uniform(0.08, 0.18))
        inventories = tenths(sales * rng.uniform(0.0, 0.15))
        other_current = tenths(sales * rng.uniform(0.02, 0.05))
        current_assets = tenths(cash + receivables + inventories + other_current)
        ppe = tenths(sales * rng.uniform(0.2, 0.8))
        goodwill = tenths(sales * rng.uniform(0.05, 0.4))
        other_assets = tenths(sales * rng.uniform(0.03, 0.1))
        total_assets = tenths(current_assets + ppe + goodwill + other_assets)
        current_liabilities = tenths(current_assets * rng.uniform(0.5, 0.95))
        equity = tenths(max(equity + net * rng.uniform(0.2, 0.6), total_assets * 0.2))
        equity = min(equity, tenths(total_assets - current_liabilities - debt * 0.5))
        total_liabilities = tenths(total_assets - equity)
        long_term_debt = tenths(min(debt, total_liabilities - current_liabilities))
        balance_rows.append([year, cash, receivables, inventories, current_assets, ppe, goodwill,
                             total_assets, current_liabilities, long_term_debt, total_liabilities,
                             equity])

        operating_cf = tenths(net * rng.uniform(1.1, 1.6) + sales * 0.02)
        capex = tenths(sales * spec["capex"] * rng.uniform(0.7, 1.3))
        investing = tenths(-(capex + sales * rng.uniform(0.0, 0.03)))
        dividends = tenths(max(net, 1) * rng.uniform(0.15, 0.5))
        buybacks = tenths(max(net, 1) * rng.uniform(0.1, 0.6))
        financing = tenths(-(dividends + buybacks) + rng.uniform(-0.02, 0.02) * sales)
        cash_rows.append([year, operating_cf, capex, investing, dividends, buybacks, financing])

        for seg, seg_sales in zip(segments, _split_total(rng, sales, len(segments)), strict=True):
            seg_rows.append([year, seg, seg_sales, tenths(seg_sales * rng.uniform(0.05, 0.3))])
        for reg, reg_sales in zip(regions, _split_total(rng, sales, len(regions)), strict=True):
            reg_rows.append([year, reg, reg_sales])
        debt_rows.append([year, debt, interest, rate])

        price = round(rng.uniform(20, 250), 2)
        bought = round(buybacks / price, 2)
        repurchase_rows.append([year, bought, price, tenths(bought * price)])
        sbc_rows.append([year, tenths(sales * rng.uniform(0.005, 0.04)),
                         int(rng.uniform(200, 5000)), round(rng.uniform(20, 180), 2)])
        dps = round(dps * rng.uniform(1.0, 1.1), 2)
        div_rows.append([year, dps, dividends])
        employees = int(employees * rng.uniform(0.95, 1.08))
        emp_rows.append([year, employees, round(rng.uniform(25, 60), 1)])

    fy = ("fiscal_year", "INTEGER", "Fiscal year")
    company.add("income", [
        fy,
        ("net_sales_usd_millions", M, "Total net sales (revenue)"),
        ("cost_of_sales_usd_millions", M, "Cost of sales"),
        ("gross_profit_usd_millions", M, "Net sales less cost of sales"),
        ("research_development_usd_millions", M, "Research and development expense"),
        ("selling_general_admin_usd_millions", M, "Selling, general and administrative expense"),
        ("operating_income_usd_millions", M, "Income from operations"),
        ("nonoperating_expense_net_usd_millions", M, "Interest and other expense, net"),
        ("income_before_taxes_usd_millions", M, "Income before income taxes"),
        ("provision_for_income_taxes_usd_millions", M, "Income tax expense"),
        ("net_income_usd_millions", M, "Net income"),
        ("diluted_shares_millions", M, "Weighted-average diluted shares (millions)"),
        ("diluted_eps_usd", PS, "Diluted earnings per share (USD)"),
    ], income_rows)
    company.add("balance", [
        fy,
        ("cash_and_equivalents_usd_millions", M, "Cash and cash equivalents"),
        ("accounts_receivable_net_usd_millions", M, "Accounts receivable, net"),
        ("inventories_usd_millions", M, "Inventories"),
        ("total_current_assets_usd_millions", M, "Total current assets"),
        ("property_plant_equipment_net_usd_millions", M, "Property, plant and equipment, net"),
        ("goodwill_usd_millions", M, "Goodwill"),
        ("total_assets_usd_millions", M, "Total assets"),
        ("total_current_liabilities_usd_millions", M, "Total current liabilities"),
        ("long_term_debt_noncurrent_usd_millions", M, "Long-term debt, non-current portion"),
        ("total_liabilities_usd_millions", M, "Total liabilities"),
        ("total_stockholders_equity_usd_millions", M, "Total stockholders' equity"),
    ], balance_rows)
    company.add("cashflow", [
        fy,
        ("net_cash_operating_activities_usd_millions", M, "Net cash from operating activities"),
        ("purchases_of_property_equipment_usd_millions", M, "Capital expenditures (outflow)"),
        ("net_cash_investing_activities_usd_millions", M, "Net cash used in investing activities"),
        ("dividends_paid_usd_millions", M, "Cash dividends paid (outflow)"),
        ("repurchases_of_common_stock_usd_millions", M, "Share repurchases (outflow)"),
        ("net_cash_financing_activities_usd_millions", M, "Net cash used in financing activities"),
    ], cash_rows)
    company.add("segments", [
        fy,
        ("segment_name", "VARCHAR", "Reportable segment"),
        ("segment_net_sales_usd_millions", M, "Net sales of the segment"),
        ("segment_operating_income_usd_millions", M, "Operating income of the segment"),
    ], seg_rows)
    company.add("regions", [
        fy,
        ("geographic_area", "VARCHAR", "Geographic area of the customer"),
        ("area_net_sales_usd_millions", M, "Net sales to customers in the area"),
    ], reg_rows)
    company.add("debt", [
        fy,
        ("total_debt_outstanding_usd_millions", M, "Total debt at year end"),
        ("interest_expense_usd_millions", M, "Interest expense for the year"),
        ("weighted_avg_interest_rate_pct", "DOUBLE", "Weighted-average interest rate (%)"),
    ], debt_rows)
    if "repurchases" in optional:
        company.add("repurchases", [
            fy,
            ("shares_repurchased_millions", M, "Shares repurchased (millions)"),
            ("avg_price_paid_per_share_usd", PS, "Average price paid per share (USD)"),
            ("aggregate_cost_usd_millions", M, "Total cost of shares repurchased"),
        ], repurchase_rows)
    if "maturities" in optional:
        last_debt = debt_rows[-1][1]
        due = _split_total(rng, last_debt, 6)
        labels = [years[-1] + i for i in range(1, 6)]
        company.add("maturities", [
            ("year_due", "VARCHAR", "Year the principal is due ('thereafter' = later years)"),
            ("principal_due_usd_millions", M, "Principal due"),
        ], [[str(y), d] for y, d in zip(labels, due[:5], strict=True)] + [["thereafter", due[5]]])
    if "stockcomp" in optional:
        company.add("stockcomp", [
            fy,
            ("share_based_compensation_expense_usd_millions", M, "Stock-based compensation expense"),
            ("rsu_granted_thousands", "INTEGER", "Restricted stock units granted (thousands)"),
            ("rsu_grant_date_fair_value_usd", PS, "Weighted-average grant-date fair value (USD)"),
        ], sbc_rows)
    if "dividends" in optional:
        company.add("dividends", [
            fy,
            ("dividends_declared_per_share_usd", PS, "Dividends declared per common share (USD)"),
            ("total_dividends_declared_usd_millions", M, "Total dividends declared"),
        ], div_rows)
    if "employees" in optional:
        company.add("employees", [
            fy,
            ("full_time_equivalent_employees", "INTEGER", "Employees at year end"),
            ("percent_outside_home_country", "DOUBLE", "Share of employees outside the US (%)"),
        ], emp_rows)
    return company


# --- questions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A question before its gold answer is computed."""

    kind: str
    question: str
    sql: str
    unit: str
    tables: tuple[str, ...]
    columns: tuple[str, ...]


def _value(table: str, column: str, year: int, where: str = "") -> str:
    extra = f" AND {where}" if where else ""
    return f"(SELECT {column} FROM {table} WHERE fiscal_year = {year}{extra})"


# Metrics single-table questions ask about: (table kind, column, phrase).
METRICS = [
    ("income", "net_sales_usd_millions", "net sales"),
    ("income", "gross_profit_usd_millions", "gross profit"),
    ("income", "operating_income_usd_millions", "operating income"),
    ("income", "net_income_usd_millions", "net income"),
    ("income", "research_development_usd_millions", "research and development expense"),
    ("income", "selling_general_admin_usd_millions", "SG&A expense"),
    ("balance", "total_assets_usd_millions", "total assets"),
    ("balance", "cash_and_equivalents_usd_millions", "cash and cash equivalents"),
    ("balance", "inventories_usd_millions", "inventories"),
    ("balance", "total_stockholders_equity_usd_millions", "total stockholders' equity"),
    ("cashflow", "net_cash_operating_activities_usd_millions", "operating cash flow"),
    ("cashflow", "purchases_of_property_equipment_usd_millions", "capital expenditures"),
    ("debt", "interest_expense_usd_millions", "interest expense"),
    ("debt", "total_debt_outstanding_usd_millions", "total debt"),
]
RATIOS = [
    ("income", "gross_profit_usd_millions", "net_sales_usd_millions", "gross margin", "percent"),
    ("income", "operating_income_usd_millions", "net_sales_usd_millions", "operating margin",
     "percent"),
    ("income", "net_income_usd_millions", "net_sales_usd_millions", "net profit margin",
     "percent"),
    ("income", "provision_for_income_taxes_usd_millions", "income_before_taxes_usd_millions",
     "effective tax rate", "percent"),
    ("balance", "total_current_assets_usd_millions", "total_current_liabilities_usd_millions",
     "current ratio (current assets divided by current liabilities)", "ratio"),
    ("balance", "total_liabilities_usd_millions", "total_stockholders_equity_usd_millions",
     "ratio of total liabilities to stockholders' equity", "ratio"),
]


def single_table_drafts(c: Company, rng: random.Random) -> list[Draft]:
    """Every single-table question the company's data supports."""
    drafts: list[Draft] = []
    ys = c.years
    for kind, column, phrase in METRICS:
        t = c.t(kind)
        y1, y2 = sorted(rng.sample(ys[1:], 2))
        a, b = _value(t, column, y1), _value(t, column, y2)
        cols = (f"{t}.fiscal_year", f"{t}.{column}")
        drafts.append(Draft("change", f"By how much did {c.possessive} {phrase} change from fiscal "
                            f"{y1} to fiscal {y2}, in USD millions?", f"SELECT {b} - {a}",
                            "usd_millions", (t,), cols))
        y1, y2 = sorted(rng.sample(ys, 2))
        a, b = _value(t, column, y1), _value(t, column, y2)
        drafts.append(Draft("percent_change", f"What was the percentage change in {c.possessive} "
                            f"{phrase} between fiscal {y1} and fiscal {y2}?",
                            f"SELECT ({b} - {a}) / {a} * 100", "percent", (t,), cols))
        y1 = rng.choice(ys[:-2])
        y2 = rng.choice([y for y in ys if y >= y1 + 2])
        drafts.append(Draft("average", f"What was {c.possessive} average annual {phrase} over fiscal "
                            f"{y1} through {y2}, in USD millions?",
                            f"SELECT AVG({column}) FROM {t} WHERE fiscal_year BETWEEN {y1} AND {y2}",
                            "usd_millions", (t,), cols))
    for kind, column, phrase in METRICS[:4]:
        t = c.t(kind)
        y1 = rng.choice(ys[:-3])
        y2 = rng.choice([y for y in ys if y >= y1 + 3])
        a, b = _value(t, column, y1), _value(t, column, y2)
        drafts.append(Draft("cagr", f"What was the compound annual growth rate of {c.possessive} "
                            f"{phrase} from fiscal {y1} to fiscal {y2}, in percent?",
                            f"SELECT (POWER({b} / {a}, 1.0 / {y2 - y1}) - 1) * 100", "percent",
                            (t,), (f"{t}.fiscal_year", f"{t}.{column}")))
    for kind, num, den, phrase, unit in RATIOS:
        t = c.t(kind)
        y = rng.choice(ys)
        scale = " * 100" if unit == "percent" else ""
        drafts.append(Draft("ratio", f"What was {c.possessive} {phrase} in fiscal {y}"
                            + (", in percent?" if unit == "percent" else "?"),
                            f"SELECT {_value(t, num, y)} / {_value(t, den, y)}{scale}", unit, (t,),
                            (f"{t}.fiscal_year", f"{t}.{num}", f"{t}.{den}")))
    t = c.t("income")
    y1, y2 = sorted(rng.sample(ys, 2))
    eps = "diluted_eps_usd"
    drafts.append(Draft("change", f"How much did {c.possessive} diluted earnings per share change "
                        f"from fiscal {y1} to fiscal {y2}, in US dollars?",
                        f"SELECT {_value(t, eps, y2)} - {_value(t, eps, y1)}", "per_share", (t,),
                        (f"{t}.fiscal_year", f"{t}.{eps}")))
    for kind, label_col, value_col, items, noun in (
        ("segments", "segment_name", "segment_net_sales_usd_millions", c.segments, "segment"),
        ("regions", "geographic_area", "area_net_sales_usd_millions", c.regions, "region"),
    ):
        t = c.t(kind)
        cols = (f"{t}.fiscal_year", f"{t}.{label_col}", f"{t}.{value_col}")
        y = rng.choice(ys)
        part = rng.choice(items)
        where = f"{label_col} = '{part}'"
        drafts.append(Draft("share_of_total", f"What share of {c.possessive} fiscal {y} net sales "
                            f"came from the {part} {noun}, in percent?",
                            f"SELECT {_value(t, value_col, y, where)} / (SELECT SUM({value_col}) "
                            f"FROM {t} WHERE fiscal_year = {y}) * 100", "percent", (t,), cols))
        p1, p2 = rng.sample(items, 2)
        y = rng.choice(ys)
        drafts.append(Draft("difference", f"In fiscal {y}, what was the difference between {c.possessive} "
                            f"net sales in the {p1} {noun} and in the {p2} {noun} ({p1} minus "
                            f"{p2}), in USD millions?",
                            f"SELECT {_value(t, value_col, y, f'{label_col} = {_q(p1)}')} - "
                            f"{_value(t, value_col, y, f'{label_col} = {_q(p2)}')}",
                            "usd_millions", (t,), cols))
        y1, y2 = sorted(rng.sample(ys, 2))
        part = rng.choice(items)
        where = f"{label_col} = {_q(part)}"
        drafts.append(Draft("percent_change", f"By what percentage did {c.possessive} net sales in "
                            f"the {part} {noun} change from fiscal {y1} to fiscal {y2}?",
                            f"SELECT ({_value(t, value_col, y2, where)} - "
                            f"{_value(t, value_col, y1, where)}) / "
                            f"{_value(t, value_col, y1, where)} * 100", "percent", (t,), cols))
    if "segments" in c.table_names:
        t = c.t("segments")
        y = rng.choice(ys)
        part = rng.choice(c.segments)
        where = f"segment_name = {_q(part)}"
        drafts.append(Draft("ratio", f"What was the operating margin of {c.possessive} {part} segment "
                            f"in fiscal {y}, in percent?",
                            f"SELECT {_value(t, 'segment_operating_income_usd_millions', y, where)}"
                            f" / {_value(t, 'segment_net_sales_usd_millions', y, where)} * 100",
                            "percent", (t,), (f"{t}.fiscal_year", f"{t}.segment_name",
                                              f"{t}.segment_operating_income_usd_millions",
                                              f"{t}.segment_net_sales_usd_millions")))
    drafts += _optional_single(c, rng)
    return drafts


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _optional_single(c: Company, rng: random.Random) -> list[Draft]:
    drafts: list[Draft] = []
    ys = c.years
    if "repurchases" in c.table_names:
        t = c.t("repurchases")
        y1 = rng.choice(ys[:-2])
        y2 = rng.choice([y for y in ys if y >= y1 + 1])
        drafts.append(Draft("total", f"How many shares, in millions, did {c.name} repurchase in "
                            f"total from fiscal {y1} through {y2}?",
                            f"SELECT SUM(shares_repurchased_millions) FROM {t} WHERE fiscal_year "
                            f"BETWEEN {y1} AND {y2}", "count", (t,),
                            (f"{t}.fiscal_year", f"{t}.shares_repurchased_millions")))
        y1, y2 = sorted(rng.sample(ys, 2))
        col = "avg_price_paid_per_share_usd"
        drafts.append(Draft("percent_change", f"By what percent did the average price {c.name} "
                            f"paid per repurchased share change from fiscal {y1} to {y2}?",
                            f"SELECT ({_value(t, col, y2)} - {_value(t, col, y1)}) / "
                            f"{_value(t, col, y1)} * 100", "percent", (t,),
                            (f"{t}.fiscal_year", f"{t}.{col}")))
    if "maturities" in c.table_names:
        t = c.t("maturities")
        n = rng.choice([2, 3])
        labels = [str(c.years[-1] + i) for i in range(1, n + 1)]
        in_list = ", ".join(_q(label) for label in labels)
        drafts.append(Draft("share_of_total", f"What percentage of {c.possessive} debt outstanding at "
                            f"the end of fiscal {c.years[-1]} is due within the next {n} years?",
                            f"SELECT (SELECT SUM(principal_due_usd_millions) FROM {t} WHERE "
                            f"year_due IN ({in_list})) / (SELECT SUM(principal_due_usd_millions) "
                            f"FROM {t}) * 100", "percent", (t,),
                            (f"{t}.year_due", f"{t}.principal_due_usd_millions")))
    if "stockcomp" in c.table_names:
        t = c.t("stockcomp")
        col = "share_based_compensation_expense_usd_millions"
        y1, y2 = sorted(rng.sample(ys, 2))
        drafts.append(Draft("change", f"How much did {c.possessive} stock-based compensation expense "
                            f"change from fiscal {y1} to fiscal {y2}, in USD millions?",
                            f"SELECT {_value(t, col, y2)} - {_value(t, col, y1)}", "usd_millions",
                            (t,), (f"{t}.fiscal_year", f"{t}.{col}")))
    if "dividends" in c.table_names:
        t = c.t("dividends")
        col = "dividends_declared_per_share_usd"
        y1 = rng.choice(ys[:-3])
        y2 = rng.choice([y for y in ys if y >= y1 + 3])
        drafts.append(Draft("cagr", f"At what compound annual rate did {c.possessive} dividends "
                            f"declared per share grow from fiscal {y1} to fiscal {y2}, in percent?",
                            f"SELECT (POWER({_value(t, col, y2)} / {_value(t, col, y1)}, "
                            f"1.0 / {y2 - y1}) - 1) * 100", "percent", (t,),
                            (f"{t}.fiscal_year", f"{t}.{col}")))
    if "employees" in c.table_names:
        t = c.t("employees")
        col = "full_time_equivalent_employees"
        y1, y2 = sorted(rng.sample(ys, 2))
        drafts.append(Draft("change", f"By how many employees did {c.possessive} workforce change "
                            f"from the end of fiscal {y1} to the end of fiscal {y2}?",
                            f"SELECT {_value(t, col, y2)} - {_value(t, col, y1)}", "count", (t,),
                            (f"{t}.fiscal_year", f"{t}.{col}")))
    return drafts


# Cross-statement ratios: (kind, phrase, numerator (table kind, column), denominator, unit).
CROSS = [
    ("roa", "return on assets (net income divided by total assets)",
     ("income", "net_income_usd_millions"), ("balance", "total_assets_usd_millions"), "percent"),
    ("roe", "return on equity (net income divided by stockholders' equity)",
     ("income", "net_income_usd_millions"), ("balance", "total_stockholders_equity_usd_millions"),
     "percent"),
    ("interest_coverage", "interest coverage ratio (operating income divided by interest expense)",
     ("income", "operating_income_usd_millions"), ("debt", "interest_expense_usd_millions"),
     "ratio"),
    ("payout_ratio", "dividend payout ratio (dividends paid divided by net income)",
     ("cashflow", "dividends_paid_usd_millions"), ("income", "net_income_usd_millions"),
     "percent"),
    ("asset_turnover", "asset turnover (net sales divided by total assets)",
     ("income", "net_sales_usd_millions"), ("balance", "total_assets_usd_millions"), "ratio"),
    ("cash_conversion", "cash conversion (operating cash flow divided by net income)",
     ("cashflow", "net_cash_operating_activities_usd_millions"),
     ("income", "net_income_usd_millions"), "ratio"),
    ("capex_intensity", "capital expenditures as a percentage of net sales",
     ("cashflow", "purchases_of_property_equipment_usd_millions"),
     ("income", "net_sales_usd_millions"), "percent"),
    ("debt_to_equity", "ratio of total debt to stockholders' equity",
     ("debt", "total_debt_outstanding_usd_millions"),
     ("balance", "total_stockholders_equity_usd_millions"), "ratio"),
]


def multi_table_drafts(c: Company, rng: random.Random) -> list[Draft]:
    """Questions that need two or more of the company's tables."""
    drafts: list[Draft] = []
    ys = c.years
    for kind, phrase, (nk, ncol), (dk, dcol), unit in CROSS:
        y = rng.choice(ys)
        nt, dt = c.t(nk), c.t(dk)
        scale = " * 100" if unit == "percent" else ""
        drafts.append(Draft(kind, f"What was {c.possessive} {phrase} for fiscal {y}"
                            + (", in percent?" if unit == "percent" else "?"),
                            f"SELECT {_value(nt, ncol, y)} / {_value(dt, dcol, y)}{scale}", unit,
                            (nt, dt), (f"{nt}.fiscal_year", f"{nt}.{ncol}", f"{dt}.fiscal_year",
                                       f"{dt}.{dcol}")))
    it, ct = c.t("income"), c.t("cashflow")
    y = rng.choice(ys)
    drafts.append(Draft("fcf_margin", f"What was {c.possessive} free cash flow margin (operating cash "
                        f"flow minus capital expenditures, divided by net sales) in fiscal {y}, in "
                        "percent?",
                        f"SELECT ({_value(ct, 'net_cash_operating_activities_usd_millions', y)} - "
                        f"{_value(ct, 'purchases_of_property_equipment_usd_millions', y)}) / "
                        f"{_value(it, 'net_sales_usd_millions', y)} * 100", "percent", (ct, it),
                        (f"{ct}.fiscal_year", f"{ct}.net_cash_operating_activities_usd_millions",
                         f"{ct}.purchases_of_property_equipment_usd_millions",
                         f"{it}.fiscal_year", f"{it}.net_sales_usd_millions")))
    rt = c.t("regions")
    y, region = rng.choice(ys), rng.choice(c.regions)
    where = f"geographic_area = {_q(region)}"
    drafts.append(Draft("region_share_of_sales", f"What percentage of {c.possessive} total net sales "
                        f"reported in its income statement for fiscal {y} came from {region}?",
                        f"SELECT {_value(rt, 'area_net_sales_usd_millions', y, where)} / "
                        f"{_value(it, 'net_sales_usd_millions', y)} * 100", "percent", (rt, it),
                        (f"{rt}.fiscal_year", f"{rt}.geographic_area",
                         f"{rt}.area_net_sales_usd_millions", f"{it}.fiscal_year",
                         f"{it}.net_sales_usd_millions")))
    bt = c.t("balance")
    y = rng.choice(ys[1:])
    drafts.append(Draft("roa_average_assets", f"What was {c.possessive} return on average total "
                        f"assets for fiscal {y} (net income divided by the average of total assets "
                        f"at the end of fiscal {y - 1} and {y}), in percent?",
                        f"SELECT {_value(it, 'net_income_usd_millions', y)} / ((SELECT "
                        f"SUM(total_assets_usd_millions) FROM {bt} WHERE fiscal_year IN "
                        f"({y - 1}, {y})) / 2) * 100", "percent", (it, bt),
                        (f"{it}.fiscal_year", f"{it}.net_income_usd_millions",
                         f"{bt}.fiscal_year", f"{bt}.total_assets_usd_millions")))
    if "repurchases" in c.table_names:
        pt = c.t("repurchases")
        y = rng.choice(ys)
        drafts.append(Draft("buyback_share_of_fcf", f"What share of {c.possessive} fiscal {y} free cash "
                            "flow (operating cash flow minus capital expenditures) was spent on "
                            "share repurchases, in percent?",
                            f"SELECT {_value(pt, 'aggregate_cost_usd_millions', y)} / "
                            f"({_value(ct, 'net_cash_operating_activities_usd_millions', y)} - "
                            f"{_value(ct, 'purchases_of_property_equipment_usd_millions', y)})"
                            " * 100", "percent", (pt, ct),
                            (f"{pt}.fiscal_year", f"{pt}.aggregate_cost_usd_millions",
                             f"{ct}.fiscal_year",
                             f"{ct}.net_cash_operating_activities_usd_millions",
                             f"{ct}.purchases_of_property_equipment_usd_millions")))
    if "employees" in c.table_names:
        et = c.t("employees")
        y = rng.choice(ys)
        drafts.append(Draft("sales_per_employee", f"What were {c.possessive} net sales per employee "
                            f"in fiscal {y}, in thousands of US dollars?",
                            f"SELECT {_value(it, 'net_sales_usd_millions', y)} * 1000 / "
                            f"{_value(et, 'full_time_equivalent_employees', y)}", "number",
                            (it, et), (f"{it}.fiscal_year", f"{it}.net_sales_usd_millions",
                                       f"{et}.fiscal_year", f"{et}.full_time_equivalent_employees")))
    if "stockcomp" in c.table_names:
        st = c.t("stockcomp")
        y = rng.choice(ys)
        col = "share_based_compensation_expense_usd_millions"
        drafts.append(Draft("sbc_share_of_ocf", f"What was {c.possessive} stock-based compensation "
                            f"expense as a percentage of operating cash flow in fiscal {y}?",
                            f"SELECT {_value(st, col, y)} / "
                            f"{_value(ct, 'net_cash_operating_activities_usd_millions', y)} * 100",
                            "percent", (st, ct),
                            (f"{st}.fiscal_year", f"{st}.{col}", f"{ct}.fiscal_year",
                             f"{ct}.net_cash_operating_activities_usd_millions")))
    return drafts


# --- assembling ------------------------------------------------------------------------------


def split_for(item_id: str) -> str:
    """Deterministic ~80/20 train/test split by a hash of the id."""
    return "train" if hashlib.sha256(item_id.encode()).digest()[0] < 256 * TRAIN_FRACTION else "test"


def _pick(rng: random.Random, drafts: list[Draft], n: int) -> list[Draft]:
    """``n`` drafts spread across question kinds (round-robin over shuffled kinds)."""
    by_kind: dict[str, list[Draft]] = {}
    for draft in drafts:
        by_kind.setdefault(draft.kind, []).append(draft)
    kinds = sorted(by_kind)
    rng.shuffle(kinds)
    for kind in kinds:
        rng.shuffle(by_kind[kind])
    picked: list[Draft] = []
    while len(picked) < n and any(by_kind.values()):
        for kind in kinds:
            if by_kind[kind] and len(picked) < n:
                picked.append(by_kind[kind].pop())
    return picked


def _quota(total: int, companies: int, index: int) -> int:
    return total // companies + (1 if index < total % companies else 0)


def _database(company: Company):  # noqa: ANN202  (a duckdb connection)
    import duckdb

    from finbehave.env.database import _load_table

    con = duckdb.connect()
    for table in company.tables():
        _load_table(con, table)
    return con


def answer_of(con, sql: str) -> float:  # noqa: ANN001
    """Run a gold SQL and return its value rounded to 4 decimals (the stored gold answer)."""
    (value,) = con.execute(sql).fetchone()
    return round(float(value), 4)


def build(seed: int = SEED) -> tuple[list[CompanyTables], list[Item]]:
    """The whole dataset in memory."""
    rng = random.Random(seed)
    companies = [build_company(rng, i) for i in range(len(NAMES))]
    tables: list[CompanyTables] = []
    items: list[Item] = []
    for index, company in enumerate(companies):
        con = _database(company)
        tables.append(CompanyTables(company=company.slug, display_name=company.name,
                                    tables=company.tables()))
        for task, drafts_of, total in (
            ("finqa", single_table_drafts, N_FINQA),
            ("finqa_reasoning", multi_table_drafts, N_REASONING),
        ):
            usable = [d for d in drafts_of(company, rng) if _usable(con, d)]
            for n, draft in enumerate(_pick(rng, usable, _quota(total, len(companies), index)), 1):
                item_id = f"{task}-{company.slug}-{n:03d}"
                items.append(Item(
                    id=item_id, task=task, company=company.slug, question=draft.question,
                    answer=answer_of(con, draft.sql), unit=draft.unit, gold_sql=draft.sql,
                    required_tables=sorted(set(draft.tables)),
                    required_columns=sorted(set(draft.columns)), kind=draft.kind,
                    split=split_for(item_id),
                ))
        con.close()
    return tables, sorted(items, key=lambda item: item.id)


def _usable(con, draft: Draft) -> bool:  # noqa: ANN001
    """A draft is kept only if its gold is a finite, non-degenerate number."""
    (value,) = con.execute(draft.sql).fetchone()
    return value is not None and math.isfinite(float(value)) and abs(float(value)) > 1e-3


def write(out_dir: Path, tables: list[CompanyTables], items: list[Item]) -> None:
    """Write the dataset directory (stable formatting, so output is byte-reproducible)."""
    (out_dir / "companies").mkdir(parents=True, exist_ok=True)
    for old in (out_dir / "companies").glob("*.json"):
        old.unlink()
    manifest = {
        "name": "embedded",
        "format_version": FORMAT_VERSION,
        "source": "generated",
        "eval_only": False,
        "description": "Fictional companies with 10-K style tables; generated by "
        "finbehave.data.generate with a fixed seed.",
        "seed": SEED,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    for company in tables:
        text = json.dumps(company.model_dump(), indent=None, separators=(",", ":"))
        (out_dir / "companies" / f"{company.company}.json").write_text(text + "\n")
    lines = [json.dumps(item.model_dump(), separators=(",", ":")) for item in items]
    (out_dir / "items.jsonl").write_text("\n".join(lines) + "\n")


def generate(out_dir: Path = EMBEDDED_DIR, seed: int = SEED) -> dict[str, int]:
    """Generate and write the dataset; return counts."""
    tables, items = build(seed)
    write(Path(out_dir), tables, items)
    return {
        "companies": len(tables),
        "finqa": sum(1 for i in items if i.task == "finqa"),
        "finqa_reasoning": sum(1 for i in items if i.task == "finqa_reasoning"),
        "train": sum(1 for i in items if i.split == "train"),
        "test": sum(1 for i in items if i.split == "test"),
    }


def main(argv: list[str] | None = None, build_fn: Callable = generate) -> None:
    parser = argparse.ArgumentParser(description="Generate the embedded finbehave dataset.")
    parser.add_argument("--out", type=Path, default=EMBEDDED_DIR)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    print(build_fn(args.out, args.seed))


if __name__ == "__main__":
    main()
