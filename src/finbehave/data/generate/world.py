"""The simulated world: industries, the fictional companies, and their financial statements.

Everything derives from one seed through per-company ``random.Random`` streams (no global state,
no clock, no hash-order dependence). Money is simulated in integer tenths of a million dollars so
the statements add up exactly (segments sum to net sales, the balance sheet balances, cash rolls
forward); it is stored in millions. Rows are keyed by the logical column keys of
``finbehave.data.generate.schema``; ``Company.tables()`` renders them with the company's names.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from finbehave.data.generate.schema import MONEY, TABLES, ColumnName, TableKind
from finbehave.data.items import ColumnSpec, CompanyTables, TableSpec
from finbehave.sql import company_slug

Rows = list[dict[str, Any]]
Range = tuple[float, float]


@dataclass(frozen=True)
class Industry:
    """What a company of this kind looks like: segments, margins, spending as shares of sales."""

    segments: tuple[str, ...]
    gross_margin: Range
    research_share: Range | None  # R&D as a share of sales; None: no R&D line
    holds_inventory: bool
    capex_share: Range


INDUSTRIES: dict[str, Industry] = {
    "industrial": Industry(
        segments=(
            "Motion Control",
            "Fluid Handling",
            "Aftermarket Services",
            "Automation Solutions",
            "Precision Components",
        ),
        gross_margin=(0.28, 0.4),
        research_share=(0.02, 0.05),
        holds_inventory=True,
        capex_share=(0.03, 0.06),
    ),
    "software": Industry(
        segments=(
            "Cloud Platform",
            "Enterprise Applications",
            "Security",
            "Professional Services",
            "Maintenance and Support",
        ),
        gross_margin=(0.62, 0.82),
        research_share=(0.12, 0.22),
        holds_inventory=False,
        capex_share=(0.02, 0.05),
    ),
    "retail": Industry(
        segments=("Stores", "Digital", "Wholesale", "Licensing"),
        gross_margin=(0.3, 0.45),
        research_share=None,
        holds_inventory=True,
        capex_share=(0.03, 0.05),
    ),
    "medical": Industry(
        segments=("Surgical", "Diagnostics", "Cardiovascular", "Orthopedics", "Patient Monitoring"),
        gross_margin=(0.5, 0.68),
        research_share=(0.06, 0.12),
        holds_inventory=True,
        capex_share=(0.04, 0.07),
    ),
    "semiconductor": Industry(
        segments=(
            "Data Center",
            "Automotive",
            "Industrial",
            "Consumer Electronics",
            "Communications",
        ),
        gross_margin=(0.45, 0.62),
        research_share=(0.12, 0.2),
        holds_inventory=True,
        capex_share=(0.08, 0.15),
    ),
    "food": Industry(
        segments=("Snacks", "Beverages", "Frozen", "Dairy", "Foodservice"),
        gross_margin=(0.26, 0.38),
        research_share=(0.005, 0.015),
        holds_inventory=True,
        capex_share=(0.03, 0.06),
    ),
    "energy": Industry(
        segments=(
            "Drilling Services",
            "Completion Services",
            "Production Chemicals",
            "Equipment Rental",
        ),
        gross_margin=(0.2, 0.32),
        research_share=None,
        holds_inventory=True,
        capex_share=(0.07, 0.14),
    ),
    "logistics": Industry(
        segments=("Truckload", "Intermodal", "Brokerage", "Final Mile", "Warehousing"),
        gross_margin=(0.18, 0.28),
        research_share=None,
        holds_inventory=False,
        capex_share=(0.05, 0.1),
    ),
    "pharma": Industry(
        segments=("Oncology", "Immunology", "Neuroscience", "Generics", "Consumer Health"),
        gross_margin=(0.62, 0.8),
        research_share=(0.14, 0.22),
        holds_inventory=True,
        capex_share=(0.03, 0.06),
    ),
    "media": Industry(
        segments=("Streaming", "Studios", "Advertising", "Live Events", "Publishing"),
        gross_margin=(0.35, 0.52),
        research_share=(0.02, 0.06),
        holds_inventory=False,
        capex_share=(0.02, 0.05),
    ),
    "materials": Industry(
        segments=("Specialty Polymers", "Coatings", "Industrial Gases", "Construction Materials"),
        gross_margin=(0.24, 0.36),
        research_share=(0.01, 0.03),
        holds_inventory=True,
        capex_share=(0.05, 0.09),
    ),
    "fintech": Industry(
        segments=(
            "Merchant Solutions",
            "Issuer Processing",
            "Consumer Payments",
            "Banking Software",
        ),
        gross_margin=(0.48, 0.66),
        research_share=(0.06, 0.12),
        holds_inventory=False,
        capex_share=(0.03, 0.06),
    ),
}


class CompanyProfile(NamedTuple):
    """A fictional company: display name, XBRL extension prefix and industry."""

    name: str
    prefix: str
    industry: str


COMPANIES: tuple[CompanyProfile, ...] = tuple(
    CompanyProfile(*profile)
    for profile in (
        ("Aldermoor Industries", "aldm", "industrial"),
        ("Brightwater Foods", "bwfd", "food"),
        ("Corvane Systems", "crvn", "software"),
        ("Dunmore Logistics", "dnml", "logistics"),
        ("Elmsford Medical", "elmd", "medical"),
        ("Fenwick Semiconductor", "fnwk", "semiconductor"),
        ("Galloway Retail Group", "glwy", "retail"),
        ("Harrowgate Energy Services", "hges", "energy"),
        ("Ivel Pharmaceuticals", "ivlp", "pharma"),
        ("Juniper Crest Apparel", "jcap", "retail"),
        ("Kestrel Aerospace", "kstr", "industrial"),
        ("Larkspur Media", "lksp", "media"),
        ("Marlow Chemical", "mrlw", "materials"),
        ("Northvale Networks", "nvnw", "software"),
        ("Oakhurst Home Products", "okhp", "food"),
        ("Pendle Automotive", "pndl", "industrial"),
        ("Quarrystone Materials", "qrst", "materials"),
        ("Redcliffe Hospitality", "rdcf", "media"),
        ("Saltmarsh Beverages", "sltm", "food"),
        ("Thornbury Instruments", "thrn", "medical"),
        ("Ulverston Biotech", "ulvb", "pharma"),
        ("Vantor Payments", "vntr", "fintech"),
        ("Westholme Paper", "whpp", "materials"),
        ("Yarrowdale Farms", "yrdf", "food"),
        ("Zephyr Cloud Software", "zcsw", "software"),
        ("Ashcombe Robotics", "ashr", "semiconductor"),
        ("Bellhaven Outdoor", "bhvo", "retail"),
        ("Cinderford Mining Equipment", "cdme", "energy"),
        ("Dovecote Pet Care", "dvpc", "food"),
        ("Eskdale Water Technologies", "eskw", "industrial"),
        ("Foxley Gaming", "fxgm", "media"),
        ("Glenrock Freight Partners", "grfp", "logistics"),
    )
)

REGIONS = (
    "Canada",
    "Latin America",
    "Europe",
    "Middle East and Africa",
    "Asia Pacific",
    "China",
    "Japan",
)
AWARD_TYPES = (
    "Restricted stock units",
    "Performance share units",
    "Stock options",
    "Employee stock purchase plan",
)

# --- statements (integer tenths of a million dollars, so every total adds up exactly) ----------


def split_exactly(total: int, weights: list[float]) -> list[int]:
    """Split an integer into parts proportional to ``weights`` that sum exactly to ``total``."""
    scale = sum(weights)
    parts = [int(total * weight / scale) for weight in weights[:-1]]
    return [*parts, total - sum(parts)]


def millions(tenths: int) -> float:
    """Tenths of a million dollars as millions."""
    return tenths / 10


def simulate(industry: Industry, rng: random.Random) -> dict[str, Rows]:
    """All tables of one company as logical rows (keys are ``ColumnKind.key``), ready to store."""
    uniform = rng.uniform
    year_count = rng.choice((5, 6, 6, 7))
    last = rng.choice((2022, 2023, 2024, 2024, 2024))
    years = list(range(last - year_count + 1, last + 1))
    gross_margin, sga_share = uniform(*industry.gross_margin), uniform(0.08, 0.18)
    research_share = uniform(*industry.research_share) if industry.research_share else 0.0
    sga_share = min(sga_share, gross_margin - research_share - uniform(0.07, 0.15))
    tax_rate = uniform(0.15, 0.26)
    growth = uniform(-0.01, 0.09)
    interest_rate = uniform(0.025, 0.06)
    depreciation_share, compensation_share = uniform(0.02, 0.06), uniform(0.004, 0.035)
    capex_share = uniform(*industry.capex_share)
    pays_dividends, buys_back = rng.random() < 0.65, rng.random() < 0.8
    first_dividend_year = rng.choice(years[:3])

    sales = round(uniform(600, 40000) * 10)
    cash, debt = round(sales * uniform(0.05, 0.2)), round(sales * uniform(0.15, 0.7))
    ppe, goodwill = round(sales * uniform(0.15, 0.6)), round(sales * uniform(0.05, 0.5))
    shares = round(uniform(40, 900) * 10)  # tenths of a million
    earnings_multiple, payout = uniform(12, 35), uniform(0.2, 0.5)
    dividend_per_share, employees = 0.0, round(sales / 10 / uniform(0.2, 0.6), -1)
    abroad_share, buyback_share = uniform(0.2, 0.6), uniform(0.15, 0.6)
    flows: list[dict[str, Any]] = []
    for index, year in enumerate(years):
        year_growth = growth + uniform(-0.06, 0.08)
        if index:
            sales = round(sales * (1 + year_growth))
        cost = round(sales * (1 - gross_margin - uniform(-0.02, 0.02)))
        gross = sales - cost
        sga = round(sales * (sga_share + uniform(-0.01, 0.01)))
        research = round(sales * research_share * uniform(0.9, 1.1))
        operating = gross - sga - research
        new_debt = round(debt * (1 + uniform(-0.12, 0.12)))
        interest = max(1, round((debt + new_debt) / 2 * (interest_rate + uniform(-0.003, 0.003))))
        other = round(sales * uniform(-0.01, 0.01)) or 1
        pretax = operating - interest + other
        tax = round(pretax * (tax_rate + uniform(-0.02, 0.02)))
        net_income = pretax - tax
        depreciation = round(sales * depreciation_share * uniform(0.9, 1.1))
        compensation = round(sales * compensation_share * uniform(0.9, 1.1))
        deferred = round(sales * uniform(-0.005, 0.005))
        working_capital = round(sales * uniform(-0.025, 0.02))
        operating_cash = net_income + depreciation + compensation + deferred + working_capital
        capex = round(sales * capex_share * uniform(0.8, 1.2))
        acquisitions = round(sales * uniform(0.02, 0.15)) if rng.random() < 0.25 else 0
        other_investing = round(sales * uniform(-0.005, 0.005))
        investing_cash = -capex - acquisitions + other_investing
        if pays_dividends and year >= first_dividend_year:
            grown = round(dividend_per_share * (1 + uniform(0.02, 0.1)), 2)
            first = max(0.05, round(payout * max(net_income, 0) / shares, 2))
            dividend_per_share = grown if dividend_per_share else first
            dividends = round(dividend_per_share * shares)
        else:
            dividends = 0
        net_borrowing = new_debt - debt
        other_financing = -round(compensation * uniform(0.05, 0.2))
        cash_floor = round(sales * 0.04)
        before_buyback = cash + operating_cash + investing_cash - dividends
        before_buyback += net_borrowing + other_financing
        wanted = (
            round(max(operating_cash, 0) * buyback_share * uniform(0.7, 1.3)) if buys_back else 0
        )
        budget = max(0, min(wanted, before_buyback - cash_floor))
        if before_buyback - budget < cash_floor:
            extra = cash_floor - before_buyback + round(sales * uniform(0.01, 0.03))
            new_debt, net_borrowing = new_debt + extra, net_borrowing + extra
        earnings_multiple = min(45.0, max(8.0, earnings_multiple * uniform(0.88, 1.12)))
        earnings = max(net_income, round(sales * 0.02))
        price = max(5.0, round(earnings_multiple * earnings / shares, 2))
        shares_repurchased = round(budget / 10 * 1000 / price)  # thousands
        repurchase_cost = round(shares_repurchased * price / 100)
        financing_cash = -repurchase_cost - dividends + net_borrowing + other_financing
        net_change = operating_cash + investing_cash + financing_cash
        cash += net_change
        issued = round(shares * uniform(0.003, 0.012))
        end_shares = shares - round(shares_repurchased / 100) + issued
        average_shares = round((shares + end_shares) / 2)
        shares, debt = end_shares, new_debt
        ppe = max(ppe + capex - round(depreciation * 0.8), round(sales * 0.05))
        goodwill += round(acquisitions * 0.6)
        employees = round(employees * (1 + year_growth * 0.6 + uniform(-0.03, 0.03)), -1)
        flows.append(
            {
                "year": year,
                "revenue": sales,
                "cost_of_sales": cost,
                "gross_profit": gross,
                "sga": sga,
                "research": research,
                "operating_income": operating,
                "interest_expense": interest,
                "other_income": other,
                "pretax_income": pretax,
                "income_tax": tax,
                "net_income": net_income,
                "eps": round(net_income / average_shares, 2),
                "diluted_shares": average_shares,
                "depreciation": depreciation,
                "stock_compensation": compensation,
                "deferred_taxes": deferred,
                "working_capital_change": working_capital,
                "operating_cash_flow": operating_cash,
                "capex": capex,
                "acquisitions": acquisitions,
                "other_investing": other_investing,
                "investing_cash_flow": investing_cash,
                "repurchase_payments": repurchase_cost,
                "dividend_payments": dividends,
                "net_borrowing": net_borrowing,
                "other_financing": other_financing,
                "financing_cash_flow": financing_cash,
                "net_change_in_cash": net_change,
                "cash": cash,
                "debt": debt,
                "ppe": ppe,
                "goodwill": goodwill,
                "shares_repurchased": shares_repurchased,
                "repurchase_price": price,
                "dividend_per_share": dividend_per_share,
                "employees": int(employees),
                "employees_abroad": round(employees * (abroad_share + uniform(-0.02, 0.02))),
            }
        )
    instruments, maturities = debt_schedule(debt, last, rng)
    tables = {
        "income": income_rows(flows, industry),
        "balance": balance_rows(flows, maturities[0][1], industry, rng),
        "cashflow": [row_of(flow, TABLES["cashflow"], convert_money=True) for flow in flows],
    }
    optional: dict[str, tuple[float, Callable[[], Rows]]] = {
        "segments": (0.9, lambda: segment_rows(flows, industry, rng)),
        "geography": (0.85, lambda: geography_rows(flows, rng)),
        "repurchases": (1.0 if buys_back else 0.0, lambda: repurchase_rows(flows)),
        "dividends": (1.0 if pays_dividends else 0.0, lambda: dividend_rows(flows)),
        "debt_maturities": (0.85, lambda: maturity_rows(maturities)),
        "debt_instruments": (0.5, lambda: instruments),
        "stock_comp": (0.85, lambda: stock_comp_rows(flows, rng)),
        "employees": (0.8, lambda: [row_of(flow, TABLES["employees"]) for flow in flows]),
        "quarterly": (0.4, lambda: quarterly_rows(flows, rng)),
    }
    for key, (chance, build) in optional.items():
        if rng.random() < chance:
            rows = build()
            if rows:
                tables[key] = rows
    return tables


def row_of(values: dict[str, Any], kind: TableKind, convert_money: bool = False) -> dict[str, Any]:
    """The row of ``kind`` from a dict of simulated values (money converted from tenths)."""
    return {
        column.key: (
            millions(values[column.key])
            if convert_money and column.type == MONEY
            else values[column.key]
        )
        for column in kind.columns
        if column.key in values
    }


def income_rows(flows: list[dict[str, Any]], industry: Industry) -> Rows:
    """Income statements (no R&D line in industries without R&D)."""
    rows = []
    for flow in flows:
        values = {**flow, "diluted_shares": millions(flow["diluted_shares"])}
        if industry.research_share is None:
            del values["research"]
        rows.append(row_of(values, TABLES["income"], convert_money=True))
    return rows


def balance_rows(
    flows: list[dict[str, Any]], due_next_year: int, industry: Industry, rng: random.Random
) -> Rows:
    """Year-end balance sheets; equity follows clean surplus, other assets absorb the rest."""
    uniform, rows, equity = rng.uniform, [], None
    for index, flow in enumerate(flows):
        sales = flow["revenue"]
        receivables = round(sales * uniform(0.08, 0.2))
        other_current = round(sales * uniform(0.02, 0.05))
        inventory = (
            round(flow["cost_of_sales"] * uniform(0.1, 0.3)) if industry.holds_inventory else 0
        )
        current_assets = flow["cash"] + receivables + inventory + other_current
        payables = round(flow["cost_of_sales"] * uniform(0.08, 0.15))
        accrued = round(sales * uniform(0.04, 0.1))
        last_year = index == len(flows) - 1
        current_debt = due_next_year if last_year else round(flow["debt"] * uniform(0.03, 0.15))
        current_liabilities = payables + accrued + current_debt
        long_term_debt = flow["debt"] - current_debt
        other_noncurrent_liabilities = round(sales * uniform(0.03, 0.12))
        liabilities = current_liabilities + long_term_debt + other_noncurrent_liabilities
        if equity is None:
            equity = round(liabilities * uniform(0.6, 1.3))
        else:
            equity += (
                flow["net_income"]
                - flow["dividend_payments"]
                - flow["repurchase_payments"]
                + flow["stock_compensation"]
            )
        equity = max(equity, round(liabilities * 0.25))
        fixed = current_assets + flow["ppe"] + flow["goodwill"]
        other_noncurrent = max(liabilities + equity - fixed, round(sales * uniform(0.02, 0.05)))
        assets = fixed + other_noncurrent
        equity = assets - liabilities
        row = {
            "year": flow["year"],
            "cash": flow["cash"],
            "receivables": receivables,
            "inventory": inventory,
            "other_current_assets": other_current,
            "current_assets": current_assets,
            "ppe": flow["ppe"],
            "goodwill": flow["goodwill"],
            "other_noncurrent_assets": other_noncurrent,
            "total_assets": assets,
            "payables": payables,
            "accrued": accrued,
            "current_debt": current_debt,
            "current_liabilities": current_liabilities,
            "long_term_debt": long_term_debt,
            "other_noncurrent_liabilities": other_noncurrent_liabilities,
            "total_liabilities": liabilities,
            "equity": equity,
            "liabilities_and_equity": liabilities + equity,
        }
        if not industry.holds_inventory:
            del row["inventory"]
        rows.append(row_of(row, TABLES["balance"], convert_money=True))
    return rows


def debt_schedule(debt: int, last: int, rng: random.Random) -> tuple[Rows, list[tuple[str, int]]]:
    """Debt instruments summing to ``debt`` and the maturity schedule (period, tenths) they imply."""
    years = sorted(rng.sample(range(last + 1, last + 14), rng.randint(3, 6)))
    principal = split_exactly(debt, [rng.uniform(0.5, 1.5) for _ in years])
    due = dict(zip(years, principal, strict=True))
    instruments = []
    for index, year in enumerate(years):
        rate = round(rng.uniform(1.2, 7.8), 3)
        name = f"Term loan due {year}" if index == 0 else f"{rate:.3f}% Senior Notes due {year}"
        instruments.append(
            {
                "instrument": name,
                "interest_rate": rate,
                "maturity_year": year,
                "principal": millions(due[year]),
            }
        )
    periods = [(str(year), due.get(year, 0)) for year in range(last + 1, last + 6)]
    later = sum(amount for year, amount in due.items() if year > last + 5)
    return instruments, [*periods, ("Thereafter", later)]


def maturity_rows(maturities: list[tuple[str, int]]) -> Rows:
    return [{"period": period, "principal_due": millions(amount)} for period, amount in maturities]


def drift(rng: random.Random, weights: list[float]) -> list[float]:
    """Weights moved by up to -10 %/+12 % each (a breakdown's mix changing from year to year)."""
    return [weight * rng.uniform(0.9, 1.12) for weight in weights]


def segment_rows(flows: list[dict[str, Any]], industry: Industry, rng: random.Random) -> Rows:
    """Sales and operating income of 2-4 segments over the last 3-5 years."""
    segment_count = rng.randint(2, min(4, len(industry.segments)))
    names = sorted(rng.sample(industry.segments, segment_count))
    weights = [rng.uniform(0.5, 2.0) for _ in names]
    margins = [rng.uniform(0.7, 1.3) for _ in names]
    rows = []
    for flow in flows[-rng.randint(3, 5) :]:
        weights = drift(rng, weights)
        sales = split_exactly(flow["revenue"], weights)
        corporate = round(abs(flow["operating_income"]) * rng.uniform(0.05, 0.2)) + 1
        profit_weights = [weight * margin for weight, margin in zip(weights, margins, strict=True)]
        profit = split_exactly(flow["operating_income"] + corporate, profit_weights)
        rows += [
            {
                "year": flow["year"],
                "segment": name,
                "segment_sales": millions(segment_sales),
                "segment_profit": millions(segment_profit),
            }
            for name, segment_sales, segment_profit in zip(names, sales, profit, strict=True)
        ]
    return rows


def geography_rows(flows: list[dict[str, Any]], rng: random.Random) -> Rows:
    """Sales by region (the United States and 2-4 others) over the last 3-5 years."""
    names = ["United States", *sorted(rng.sample(REGIONS, rng.randint(2, 4)))]
    weights = [rng.uniform(1.5, 4.0)] + [rng.uniform(0.3, 1.5) for _ in names[1:]]
    rows = []
    for flow in flows[-rng.randint(3, 5) :]:
        weights = drift(rng, weights)
        sales = split_exactly(flow["revenue"], weights)
        rows += [
            {"year": flow["year"], "region": name, "region_sales": millions(region_sales)}
            for name, region_sales in zip(names, sales, strict=True)
        ]
    return rows


def repurchase_rows(flows: list[dict[str, Any]]) -> Rows:
    return [
        {
            "year": flow["year"],
            "shares_repurchased": flow["shares_repurchased"],
            "repurchase_price": flow["repurchase_price"],
            "repurchase_cost": millions(flow["repurchase_payments"]),
        }
        for flow in flows
        if flow["shares_repurchased"] > 0
    ]


def dividend_rows(flows: list[dict[str, Any]]) -> Rows:
    return [
        {
            "year": flow["year"],
            "dividend_per_share": flow["dividend_per_share"],
            "dividends_paid": millions(flow["dividend_payments"]),
        }
        for flow in flows
        if flow["dividend_payments"] > 0
    ]


def stock_comp_rows(flows: list[dict[str, Any]], rng: random.Random) -> Rows:
    """Stock-based compensation by award type (2-4 types) over the last 3 years."""
    awards = sorted(rng.sample(AWARD_TYPES, rng.randint(2, 4)))
    weights = [rng.uniform(0.3, 3.0) for _ in awards]
    rows = []
    for flow in flows[-3:]:
        weights = drift(rng, weights)
        expenses = split_exactly(flow["stock_compensation"], weights)
        rows += [
            {"year": flow["year"], "award": award, "award_expense": millions(expense)}
            for award, expense in zip(awards, expenses, strict=True)
        ]
    return rows


def quarterly_rows(flows: list[dict[str, Any]], rng: random.Random) -> Rows:
    """Quarterly sales, gross profit and net income over the last 2 years."""
    rows = []
    for flow in flows[-2:]:
        weights = [rng.uniform(0.2, 0.3) for _ in range(4)]
        sales, gross, net_income = (
            split_exactly(flow[key], drift(rng, weights))
            for key in ("revenue", "gross_profit", "net_income")
        )
        rows += [
            {
                "year": flow["year"],
                "quarter": quarter + 1,
                "quarter_sales": millions(sales[quarter]),
                "quarter_gross_profit": millions(gross[quarter]),
                "quarter_net_income": millions(net_income[quarter]),
            }
            for quarter in range(4)
        ]
    return rows


# --- a company: its chosen names and its tables --------------------------------------------------


@dataclass
class Company:
    """One fictional company: the names it chose for each logical table and column, and its rows."""

    name: str
    slug: str
    data: dict[str, Rows]
    table_names: dict[str, str]
    columns: dict[str, dict[str, ColumnName]]

    def has(self, *tables: str) -> bool:
        return all(table in self.data for table in tables)

    def has_column(self, table: str, column: str) -> bool:
        return table in self.data and column in self.columns[table]

    def label(self, table: str, column: str) -> str:
        """The words questions use for ``column`` of ``table``."""
        return self.columns[table][column].label

    def years(self, table: str) -> list[int]:
        return sorted({row["year"] for row in self.data[table]})

    def distinct(self, table: str, column: str) -> list[str]:
        return sorted({row[column] for row in self.data[table]})

    def tables(self) -> CompanyTables:
        """The company as stored: ``CompanyTables`` with its names and positional rows."""
        last = max(self.years("income"))
        specs = []
        for key, rows in self.data.items():
            kind = TABLES[key]
            columns = [column for column in kind.columns if column.key in self.columns[key]]
            years = self.years(key) if "year" in rows[0] else [last]
            description = kind.description.format(years=f"{years[0]}-{years[-1]}", last=last)
            specs.append(
                TableSpec(
                    name=self.table_names[key],
                    description=description,
                    columns=[
                        ColumnSpec(
                            name=self.columns[key][column.key].sql,
                            type=column.type,
                            description=column.description,
                        )
                        for column in columns
                    ],
                    rows=[[row[column.key] for column in columns] for row in rows],
                )
            )
        return CompanyTables(company=self.slug, display_name=self.name, tables=specs)


def build_company(profile: CompanyProfile, seed: int) -> Company:
    """Simulate one company and choose its table and column names."""
    rng = random.Random(f"{seed}:{profile.name}")
    data = simulate(INDUSTRIES[profile.industry], rng)
    table_names, columns = {}, {}
    for key, rows in data.items():
        kind = TABLES[key]
        table_names[key] = rng.choice(kind.names).format(prefix=profile.prefix)
        columns[key] = {
            column.key: rng.choice(column.names) for column in kind.columns if column.key in rows[0]
        }
    return Company(profile.name, company_slug(profile.name), data, table_names, columns)
