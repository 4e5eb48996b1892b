"""Deterministic generator of the embedded corpus: fictional 10-K tables and FinQA-style items.

Everything derives from one seed through per-company ``random.Random`` streams (no global state, no
clock, no hash-order dependence). Money is simulated in integer tenths of a million dollars so the
statements add up exactly (segments sum to net sales, the balance sheet balances, cash rolls
forward). Every gold answer is the value its gold SQL returns when DuckDB runs it over the
generated tables.

Run ``python -m finbehave.data.generate [--out DIR] [--seed N]``; the default output is the
package's ``embedded`` directory, which ``tests/test_dataset.py`` checks is reproduced byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import duckdb

from finbehave.data.items import (
    ColumnSpec,
    ColumnType,
    CompanyTables,
    Item,
    TableSpec,
    TaskName,
    Unit,
)
from finbehave.data.store import EMBEDDED_DIR, FORMAT_VERSION

SEED = 20261125
N_FINQA = 290
N_REASONING = 79
MONEY: ColumnType = "DECIMAL(18,2)"

# --------------------------------------------------------------------------------------------
# Companies and industries
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Industry:
    """What a company of this kind looks like: segments, margins, spending ratios."""

    segments: tuple[str, ...]
    gross_margin: tuple[float, float]
    rd: tuple[float, float] | None
    inventory: bool
    capex: tuple[float, float]


# name: segments | gross margin | R&D share of sales ("-" = none) | inventory | capex share
INDUSTRY_SPECS = """
industrial: Motion Control, Fluid Handling, Aftermarket Services, Automation Solutions, Precision Components | 0.28 0.40 | 0.02 0.05 | yes | 0.03 0.06
software: Cloud Platform, Enterprise Applications, Security, Professional Services, Maintenance and Support | 0.62 0.82 | 0.12 0.22 | no | 0.02 0.05
retail: Stores, Digital, Wholesale, Licensing | 0.30 0.45 | - | yes | 0.03 0.05
medical: Surgical, Diagnostics, Cardiovascular, Orthopedics, Patient Monitoring | 0.50 0.68 | 0.06 0.12 | yes | 0.04 0.07
semiconductor: Data Center, Automotive, Industrial, Consumer Electronics, Communications | 0.45 0.62 | 0.12 0.20 | yes | 0.08 0.15
food: Snacks, Beverages, Frozen, Dairy, Foodservice | 0.26 0.38 | 0.005 0.015 | yes | 0.03 0.06
energy: Drilling Services, Completion Services, Production Chemicals, Equipment Rental | 0.20 0.32 | - | yes | 0.07 0.14
logistics: Truckload, Intermodal, Brokerage, Final Mile, Warehousing | 0.18 0.28 | - | no | 0.05 0.10
pharma: Oncology, Immunology, Neuroscience, Generics, Consumer Health | 0.62 0.80 | 0.14 0.22 | yes | 0.03 0.06
media: Streaming, Studios, Advertising, Live Events, Publishing | 0.35 0.52 | 0.02 0.06 | no | 0.02 0.05
materials: Specialty Polymers, Coatings, Industrial Gases, Construction Materials | 0.24 0.36 | 0.01 0.03 | yes | 0.05 0.09
fintech: Merchant Solutions, Issuer Processing, Consumer Payments, Banking Software | 0.48 0.66 | 0.06 0.12 | no | 0.03 0.06
"""


def _pair(text: str) -> tuple[float, float]:
    low, high = text.split()
    return float(low), float(high)


def _industries(spec: str) -> dict[str, Industry]:
    industries = {}
    for line in spec.strip().splitlines():
        name, rest = line.split(":", 1)
        segments, gross, rd, inventory, capex = (part.strip() for part in rest.split("|"))
        industries[name] = Industry(
            tuple(s.strip() for s in segments.split(",")),
            _pair(gross),
            None if rd == "-" else _pair(rd),
            inventory == "yes",
            _pair(capex),
        )
    return industries


INDUSTRIES = _industries(INDUSTRY_SPECS)

# (display name, XBRL extension prefix, industry)
COMPANIES: tuple[tuple[str, str, str], ...] = (
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

# --------------------------------------------------------------------------------------------
# Table schemas: XBRL-style table names and column-name variants (with the words questions use)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    """A logical column: its name variants (name, label used in questions), type, description."""

    key: str
    variants: tuple[tuple[str, str], ...]
    type: ColumnType
    description: str
    unit: Unit | None = None


@dataclass(frozen=True)
class TableKind:
    """A logical table: XBRL text-block name variants, description template and columns."""

    key: str
    names: tuple[str, ...]
    description: str
    columns: tuple[Col, ...]


# A table line: ``key | name variants | description`` ({years}, {last} and {prefix} filled per
# company). A column line (indented): ``key TYPE[:unit] name=label; name=label | description``;
# MONEY means DECIMAL(18,2) in USD millions. Each company picks one variant per table and column.
SCHEMA = """
income | us_gaap_ConsolidatedIncomeStatementTableTextBlock, us_gaap_ScheduleOfConsolidatedStatementsOfOperationsTableTextBlock | Consolidated statements of operations, fiscal {years} (USD millions except per-share data).
    year           INTEGER            fiscal_year=fiscal year | Fiscal year.
    revenue        MONEY              net_sales_usd_millions=net sales; total_net_revenue_usd_millions=total net revenue; revenues_usd_millions=revenues | Net sales / revenue.
    cost           MONEY              cost_of_sales_usd_millions=cost of sales; cost_of_revenue_usd_millions=cost of revenue | Cost of sales.
    gross          MONEY              gross_profit_usd_millions=gross profit | Net sales less cost of sales.
    sga            MONEY              selling_general_admin_usd_millions=selling, general and administrative expense; sga_expense_usd_millions=SG&A expense | Selling, general and admin.
    rd             MONEY              research_development_usd_millions=research and development expense; rnd_expense_usd_millions=R&D expense | Research and development.
    op             MONEY              operating_income_usd_millions=operating income; income_from_operations_usd_millions=income from operations | Gross profit less operating expenses.
    interest       MONEY              interest_expense_usd_millions=interest expense; interest_expense_net_usd_millions=net interest expense | Interest expense.
    other          MONEY              other_income_expense_net_usd_millions=other income (expense), net | Other non-operating income (negative = expense).
    pretax         MONEY              income_before_income_taxes_usd_millions=income before income taxes; pretax_income_usd_millions=pre-tax income | Operating income less interest plus other income.
    tax            MONEY              provision_for_income_taxes_usd_millions=provision for income taxes; income_tax_expense_usd_millions=income tax expense | Income tax expense.
    ni             MONEY              net_income_usd_millions=net income; net_earnings_usd_millions=net earnings | Pre-tax income less income taxes.
    eps            DOUBLE:per_share   diluted_eps_usd=diluted earnings per share; earnings_per_share_diluted_usd=diluted EPS | Diluted earnings per share, USD.
    shares         DOUBLE:count       weighted_avg_diluted_shares_millions=weighted-average diluted shares | Weighted-average diluted shares outstanding, millions.
balance | us_gaap_ConsolidatedBalanceSheetTableTextBlock, us_gaap_ScheduleOfStatementOfFinancialPositionTableTextBlock | Consolidated balance sheets at fiscal year end, fiscal {years} (USD millions).
    year           INTEGER            fiscal_year=fiscal year | Fiscal year.
    cash           MONEY              cash_and_equivalents_usd_millions=cash and cash equivalents; cash_cash_equivalents_usd_millions=cash and equivalents | Cash and equivalents.
    ar             MONEY              accounts_receivable_net_usd_millions=accounts receivable, net; trade_receivables_usd_millions=trade receivables | Receivables net of allowances.
    inventory      MONEY              inventories_usd_millions=inventories; inventory_net_usd_millions=inventory | Inventories.
    other_ca       MONEY              prepaid_and_other_current_assets_usd_millions=prepaid expenses and other current assets | Other current assets.
    tca            MONEY              total_current_assets_usd_millions=total current assets | Sum of current assets.
    ppe            MONEY              property_plant_equipment_net_usd_millions=property, plant and equipment, net; ppe_net_usd_millions=net PP&E | Net property, plant and equipment.
    goodwill       MONEY              goodwill_usd_millions=goodwill | Goodwill.
    other_nca      MONEY              other_noncurrent_assets_usd_millions=other non-current assets | Intangibles, leases and other non-current assets.
    ta             MONEY              total_assets_usd_millions=total assets | Sum of all assets.
    ap             MONEY              accounts_payable_usd_millions=accounts payable | Accounts payable.
    accrued        MONEY              accrued_liabilities_usd_millions=accrued liabilities | Accrued expenses and other current liabilities.
    current_debt   MONEY              current_portion_long_term_debt_usd_millions=current portion of long-term debt; short_term_borrowings_usd_millions=short-term borrowings | Debt due within one year.
    tcl            MONEY              total_current_liabilities_usd_millions=total current liabilities | Sum of current liabilities.
    ltd            MONEY              long_term_debt_noncurrent_usd_millions=long-term debt; long_term_borrowings_usd_millions=long-term borrowings | Debt due after one year.
    other_ncl      MONEY              other_noncurrent_liabilities_usd_millions=other non-current liabilities | Other non-current liabilities.
    tl             MONEY              total_liabilities_usd_millions=total liabilities | Sum of liabilities.
    equity         MONEY              total_stockholders_equity_usd_millions=total stockholders' equity; total_shareholders_equity_usd_millions=total shareholders' equity | Total assets less total liabilities.
    tle            MONEY              total_liabilities_and_equity_usd_millions=total liabilities and equity | Equals total assets.
cashflow | us_gaap_ConsolidatedCashFlowStatementTableTextBlock, us_gaap_ScheduleOfCashFlowStatementTableTextBlock | Consolidated statements of cash flows, fiscal {years} (USD millions; payments are positive amounts, section totals are signed).
    year           INTEGER            fiscal_year=fiscal year | Fiscal year.
    da             MONEY              depreciation_amortization_usd_millions=depreciation and amortization | Depreciation and amortization.
    sbc            MONEY              stock_based_compensation_usd_millions=stock-based compensation | Stock-based compensation expense (non-cash).
    deferred       MONEY              deferred_income_taxes_usd_millions=deferred income taxes | Deferred income taxes.
    wc             MONEY              changes_in_operating_assets_liabilities_usd_millions=changes in operating assets and liabilities | Working-capital changes.
    cfo            MONEY              net_cash_from_operating_activities_usd_millions=cash from operations; operating_cash_flow_usd_millions=operating cash flow | Net income plus the adjustments above.
    capex          MONEY              payments_for_property_plant_equipment_usd_millions=capital expenditures; capital_expenditures_usd_millions=capital expenditures | Purchases of property and equipment (outflow).
    acq            MONEY              payments_for_acquisitions_usd_millions=acquisition spending | Acquisitions, net of cash acquired (outflow).
    other_inv      MONEY              other_investing_activities_usd_millions=other investing activities | Other investing cash flows (signed).
    cfi            MONEY              net_cash_from_investing_activities_usd_millions=net cash from investing activities | Signed total of investing cash flows.
    rep            MONEY              repurchases_of_common_stock_usd_millions=share repurchases | Payments for repurchases of common stock (outflow).
    div            MONEY              dividends_paid_usd_millions=dividends paid | Cash dividends (outflow).
    debt_net       MONEY              net_proceeds_repayments_of_debt_usd_millions=net debt proceeds (repayments) | Debt issued less debt repaid (signed).
    other_fin      MONEY              other_financing_activities_usd_millions=other financing activities | Other financing cash flows (signed).
    cff            MONEY              net_cash_from_financing_activities_usd_millions=net cash from financing activities | Signed total of financing cash flows.
    net_change     MONEY              net_change_in_cash_usd_millions=net change in cash | Operating plus investing plus financing cash flows.
segments | us_gaap_ScheduleOfSegmentReportingInformationBySegmentTextBlock, us_gaap_DisaggregationOfRevenueTableTextBlock | Net sales and operating income by reportable segment, fiscal {years} (USD millions; segment operating income excludes unallocated corporate costs).
    year           INTEGER            fiscal_year=fiscal year | Fiscal year.
    segment        VARCHAR            segment_name=segment; reportable_segment=segment | Reportable segment.
    seg_sales      MONEY              segment_net_sales_usd_millions=net sales; segment_revenue_usd_millions=revenue | External net sales of the segment.
    seg_op         MONEY              segment_operating_income_usd_millions=operating income; segment_profit_usd_millions=segment profit | Segment operating income.
geography | us_gaap_RevenueFromExternalCustomersByGeographicAreasTableTextBlock, us_gaap_ScheduleOfRevenuesFromExternalCustomersByGeographicAreaTableTextBlock | Net sales by geographic area (customer location), fiscal {years} (USD millions).
    year           INTEGER            fiscal_year=fiscal year | Fiscal year.
    region         VARCHAR            geographic_area=region; region_name=region | Geographic area.
    geo_sales      MONEY              net_sales_usd_millions=net sales; revenue_from_external_customers_usd_millions=revenue | Net sales to the area.
repurchases | us_gaap_ClassOfTreasuryStockTableTextBlock, us_gaap_ScheduleOfShareRepurchaseProgramTableTextBlock | Common stock repurchased under the share repurchase program, fiscal {years}.
    year           INTEGER            fiscal_year=fiscal year | Fiscal year.
    rep_shares     INTEGER:count      shares_repurchased_thousands=shares repurchased; number_of_shares_purchased_thousands=shares purchased | Shares repurchased, thousands.
    rep_price      DOUBLE:per_share   average_price_paid_per_share_usd=average price paid per share | Average price paid per share, USD.
    rep_cost       MONEY              total_cost_usd_millions=amount spent on repurchases; aggregate_purchase_price_usd_millions=amount spent on repurchases | Total cost of shares repurchased.
dividends | us_gaap_DividendsDeclaredTableTextBlock, us_gaap_ScheduleOfDividendsPayableTableTextBlock | Cash dividends on common stock, fiscal {years}.
    year           INTEGER            fiscal_year=fiscal year | Fiscal year.
    dps            DOUBLE:per_share   dividends_declared_per_share_usd=dividends declared per share; cash_dividend_per_common_share_usd=dividend per share | Dividends declared per common share, USD.
    div_paid       MONEY              dividends_paid_usd_millions=dividends paid; cash_dividends_paid_usd_millions=cash dividends paid | Cash dividends paid.
debt_maturities | us_gaap_ScheduleOfMaturitiesOfLongTermDebtTableTextBlock, us_gaap_LongTermDebtMaturitiesScheduleTableTextBlock | Scheduled principal payments of total debt outstanding at the end of fiscal {last} (USD millions).
    period         VARCHAR            maturity_period=period; fiscal_period_due=period | Fiscal year in which principal is due, or 'Thereafter'.
    due            MONEY              principal_due_usd_millions=principal due; scheduled_repayment_usd_millions=scheduled repayment | Principal due.
debt_instruments | us_gaap_ScheduleOfDebtTableTextBlock, us_gaap_ScheduleOfLongTermDebtInstrumentsTableTextBlock | Debt instruments outstanding at the end of fiscal {last} (USD millions).
    instrument     VARCHAR            debt_instrument=instrument; instrument_description=instrument | Debt instrument.
    rate           DOUBLE             stated_interest_rate_percent=stated interest rate; coupon_rate_pct=coupon rate | Stated annual rate, %.
    maturity_year  INTEGER            maturity_fiscal_year=maturity year | Fiscal year of maturity.
    principal      MONEY              principal_outstanding_usd_millions=principal outstanding; carrying_principal_usd_millions=principal | Principal outstanding.
stock_comp | us_gaap_ShareBasedCompensationAllocationOfRecognizedPeriodCostsTableTextBlock, us_gaap_ScheduleOfShareBasedCompensationExpenseByAwardTypeTableTextBlock | Stock-based compensation expense by award type, fiscal {years} (USD millions).
    year           INTEGER            fiscal_year=fiscal year | Fiscal year.
    award          VARCHAR            award_type=award type; share_based_award_category=award type | Type of share-based award.
    sbc_expense    MONEY              compensation_expense_usd_millions=stock-based compensation expense; recognized_cost_usd_millions=stock-based compensation expense | Expense recognized for the award type.
employees | {prefix}_HumanCapitalWorkforceTableTextBlock, {prefix}_ScheduleOfEmployeeHeadcountTableTextBlock | Workforce at fiscal year end, fiscal {years}.
    year           INTEGER            fiscal_year=fiscal year | Fiscal year.
    employees      INTEGER:count      total_employees_at_year_end=employees; headcount_year_end=headcount | Full-time equivalent employees at year end.
    employees_intl INTEGER:count      employees_outside_united_states=employees outside the United States | Employees located outside the United States.
quarterly | us_gaap_QuarterlyFinancialInformationTableTextBlock, us_gaap_ScheduleOfQuarterlyFinancialDataTableTextBlock | Unaudited quarterly results, fiscal {years} (USD millions).
    year           INTEGER            fiscal_year=fiscal year | Fiscal year.
    quarter        INTEGER            fiscal_quarter=quarter | Fiscal quarter, 1 to 4.
    q_sales        MONEY              quarterly_net_sales_usd_millions=net sales; quarter_revenue_usd_millions=revenue | Net sales for the quarter.
    q_gross        MONEY              quarterly_gross_profit_usd_millions=gross profit | Gross profit for the quarter.
    q_ni           MONEY              quarterly_net_income_usd_millions=net income | Net income for the quarter.
"""


def _column(line: str) -> Col:
    spec, description = line.split(" | ")
    key, type_unit, variants = spec.split(None, 2)
    type_name, _, unit = type_unit.partition(":")
    pairs = tuple(cast(tuple[str, str], tuple(v.strip().split("="))) for v in variants.split(";"))
    if type_name == "MONEY":
        return Col(key, pairs, MONEY, description, "usd_millions")
    return Col(key, pairs, cast(ColumnType, type_name), description, cast(Unit, unit or None))


def _schema(spec: str) -> tuple[TableKind, ...]:
    kinds: list[TableKind] = []
    for line in spec.strip().splitlines():
        if line.startswith(" "):
            previous = kinds[-1]
            columns = (*previous.columns, _column(line.strip()))
            kinds[-1] = TableKind(previous.key, previous.names, previous.description, columns)
        else:
            key, names, description = (part.strip() for part in line.split(" | "))
            kinds.append(
                TableKind(key, tuple(n.strip() for n in names.split(",")), description, ())
            )
    return tuple(kinds)


TABLE_KINDS = _schema(SCHEMA)
KINDS: dict[str, TableKind] = {kind.key: kind for kind in TABLE_KINDS}

# --------------------------------------------------------------------------------------------
# Simulation (integer tenths of a million dollars, so every total adds up exactly)
# --------------------------------------------------------------------------------------------

Rows = list[dict[str, Any]]


def _split(total: int, weights: list[float]) -> list[int]:
    """Split an integer into parts proportional to ``weights`` that sum exactly to ``total``."""
    scale = sum(weights)
    parts = [int(total * w / scale) for w in weights[:-1]]
    return [*parts, total - sum(parts)]


def _usd(tenths: int) -> float:
    return tenths / 10


def simulate(industry: Industry, rng: random.Random) -> dict[str, Rows]:
    """All tables of one company as logical rows (keys are ``Col.key``), values ready to store."""
    u = rng.uniform
    n_years = rng.choice((5, 6, 6, 7))
    last = rng.choice((2022, 2023, 2024, 2024, 2024))
    years = list(range(last - n_years + 1, last + 1))
    gm, sga_r = u(*industry.gross_margin), u(0.08, 0.18)
    rd_r = u(*industry.rd) if industry.rd else 0.0
    sga_r = min(sga_r, gm - rd_r - u(0.07, 0.15))
    tax_r, growth, rate = u(0.15, 0.26), u(-0.01, 0.09), u(0.025, 0.06)
    da_r, sbc_r, capex_r = u(0.02, 0.06), u(0.004, 0.035), u(*industry.capex)
    pays_dividends, buys_back = rng.random() < 0.65, rng.random() < 0.8
    div_start = rng.choice(years[:3])

    sales = round(u(600, 40000) * 10)
    cash, debt = round(sales * u(0.05, 0.2)), round(sales * u(0.15, 0.7))
    ppe, goodwill = round(sales * u(0.15, 0.6)), round(sales * u(0.05, 0.5))
    shares, pe, payout = round(u(40, 900) * 10), u(12, 35), u(0.2, 0.5)
    dps, employees = 0.0, round(sales / 10 / u(0.2, 0.6), -1)
    intl_share, buyback_r = u(0.2, 0.6), u(0.15, 0.6)
    flows: list[dict[str, Any]] = []
    for i, year in enumerate(years):
        g = growth + u(-0.06, 0.08)
        if i:
            sales = round(sales * (1 + g))
        cost = round(sales * (1 - gm - u(-0.02, 0.02)))
        gross = sales - cost
        sga, rd = round(sales * (sga_r + u(-0.01, 0.01))), round(sales * rd_r * u(0.9, 1.1))
        op = gross - sga - rd
        new_debt = round(debt * (1 + u(-0.12, 0.12)))
        interest = max(1, round((debt + new_debt) / 2 * (rate + u(-0.003, 0.003))))
        other = round(sales * u(-0.01, 0.01)) or 1
        pretax = op - interest + other
        tax = round(pretax * (tax_r + u(-0.02, 0.02)))
        ni = pretax - tax
        da, sbc = round(sales * da_r * u(0.9, 1.1)), round(sales * sbc_r * u(0.9, 1.1))
        deferred, wc = round(sales * u(-0.005, 0.005)), round(sales * u(-0.025, 0.02))
        cfo = ni + da + sbc + deferred + wc
        capex = round(sales * capex_r * u(0.8, 1.2))
        acq = round(sales * u(0.02, 0.15)) if rng.random() < 0.25 else 0
        other_inv = round(sales * u(-0.005, 0.005))
        cfi = -capex - acq + other_inv
        if pays_dividends and year >= div_start:
            grown = round(dps * (1 + u(0.02, 0.1)), 2)
            dps = grown if dps else max(0.05, round(payout * max(ni, 0) / shares, 2))
            div = round(dps * shares)
        else:
            div = 0
        debt_net = new_debt - debt
        other_fin = -round(sbc * u(0.05, 0.2))
        floor = round(sales * 0.04)
        before_buyback = cash + cfo + cfi - div + debt_net + other_fin
        wanted = round(max(cfo, 0) * buyback_r * u(0.7, 1.3)) if buys_back else 0
        budget = max(0, min(wanted, before_buyback - floor))
        if before_buyback - budget < floor:
            extra = floor - before_buyback + round(sales * u(0.01, 0.03))
            new_debt, debt_net = new_debt + extra, debt_net + extra
        pe = min(45.0, max(8.0, pe * u(0.88, 1.12)))
        price = max(5.0, round(pe * max(ni, round(sales * 0.02)) / shares, 2))
        rep_shares = round(budget / 10 * 1000 / price)
        rep_cost = round(rep_shares * price / 100)
        cff = -rep_cost - div + debt_net + other_fin
        net_change = cfo + cfi + cff
        cash += net_change
        end_shares = shares - round(rep_shares / 100) + round(shares * u(0.003, 0.012))
        avg_shares = round((shares + end_shares) / 2)
        shares, debt = end_shares, new_debt
        ppe = max(ppe + capex - round(da * 0.8), round(sales * 0.05))
        goodwill += round(acq * 0.6)
        employees = round(employees * (1 + g * 0.6 + u(-0.03, 0.03)), -1)
        flows.append(
            {
                "year": year, "revenue": sales, "cost": cost, "gross": gross, "sga": sga,
                "rd": rd, "op": op, "interest": interest, "other": other, "pretax": pretax,
                "tax": tax, "ni": ni, "eps": round(ni / avg_shares, 2), "shares": avg_shares,
                "da": da, "sbc": sbc, "deferred": deferred, "wc": wc, "cfo": cfo,
                "capex": capex, "acq": acq, "other_inv": other_inv, "cfi": cfi,
                "rep": rep_cost, "div": div, "debt_net": debt_net, "other_fin": other_fin,
                "cff": cff, "net_change": net_change, "cash": cash, "debt": debt, "ppe": ppe,
                "goodwill": goodwill, "rep_shares": rep_shares, "rep_price": price, "dps": dps,
                "employees": int(employees),
                "employees_intl": round(employees * (intl_share + u(-0.02, 0.02))),
            }
        )  # fmt: skip
    instruments, maturities = _debt_schedule(debt, last, rng)
    tables = {
        "income": _income_rows(flows, industry),
        "balance": _balance_rows(flows, maturities[0][1], industry, rng),
        "cashflow": [_pick(f, KINDS["cashflow"], money=True) for f in flows],
    }
    optional: dict[str, tuple[float, Callable[[], Rows]]] = {
        "segments": (0.9, lambda: _segment_rows(flows, industry, rng)),
        "geography": (0.85, lambda: _geography_rows(flows, rng)),
        "repurchases": (1.0 if buys_back else 0.0, lambda: _repurchase_rows(flows)),
        "dividends": (1.0 if pays_dividends else 0.0, lambda: _dividend_rows(flows)),
        "debt_maturities": (0.85, lambda: [{"period": p, "due": _usd(v)} for p, v in maturities]),
        "debt_instruments": (0.5, lambda: instruments),
        "stock_comp": (0.85, lambda: _stock_comp_rows(flows, rng)),
        "employees": (0.8, lambda: [_pick(f, KINDS["employees"]) for f in flows]),
        "quarterly": (0.4, lambda: _quarterly_rows(flows, rng)),
    }
    for key, (chance, build) in optional.items():
        if rng.random() < chance:
            rows = build()
            if rows:
                tables[key] = rows
    return tables


def _pick(values: dict[str, Any], kind: TableKind, money: bool = False) -> dict[str, Any]:
    """The row of ``kind`` from a dict of simulated values (money converted from tenths)."""
    return {
        c.key: _usd(values[c.key]) if money and c.type == MONEY else values[c.key]
        for c in kind.columns
        if c.key in values
    }


INCOME_MONEY = ("revenue", "cost", "gross", "sga", "rd", "op", "interest", "other", "pretax",
                "tax", "ni")  # fmt: skip


def _income_rows(flows: list[dict[str, Any]], industry: Industry) -> Rows:
    rows = []
    for f in flows:
        row = {k: _usd(f[k]) for k in INCOME_MONEY}
        row.update(year=f["year"], eps=f["eps"], shares=_usd(f["shares"]))
        if industry.rd is None:
            del row["rd"]
        rows.append(_pick(row, KINDS["income"]))
    return rows


def _balance_rows(
    flows: list[dict[str, Any]], due_next: int, industry: Industry, rng: random.Random
) -> Rows:
    """Year-end balance sheets; equity follows clean surplus, other assets absorb the rest."""
    u, rows, equity = rng.uniform, [], None
    for i, f in enumerate(flows):
        sales = f["revenue"]
        ar, other_ca = round(sales * u(0.08, 0.2)), round(sales * u(0.02, 0.05))
        inventory = round(f["cost"] * u(0.1, 0.3)) if industry.inventory else 0
        tca = f["cash"] + ar + inventory + other_ca
        ap, accrued = round(f["cost"] * u(0.08, 0.15)), round(sales * u(0.04, 0.1))
        current_debt = due_next if i == len(flows) - 1 else round(f["debt"] * u(0.03, 0.15))
        tcl = ap + accrued + current_debt
        ltd, other_ncl = f["debt"] - current_debt, round(sales * u(0.03, 0.12))
        tl = tcl + ltd + other_ncl
        if equity is None:
            equity = round(tl * u(0.6, 1.3))
        else:
            equity += f["ni"] - f["div"] - f["rep"] + f["sbc"]
        equity = max(equity, round(tl * 0.25))
        fixed = tca + f["ppe"] + f["goodwill"]
        other_nca = max(tl + equity - fixed, round(sales * u(0.02, 0.05)))
        ta = fixed + other_nca
        equity = ta - tl
        row = {
            "year": f["year"], "cash": f["cash"], "ar": ar, "inventory": inventory,
            "other_ca": other_ca, "tca": tca, "ppe": f["ppe"], "goodwill": f["goodwill"],
            "other_nca": other_nca, "ta": ta, "ap": ap, "accrued": accrued,
            "current_debt": current_debt, "tcl": tcl, "ltd": ltd, "other_ncl": other_ncl,
            "tl": tl, "equity": equity, "tle": tl + equity,
        }  # fmt: skip
        if not industry.inventory:
            del row["inventory"]
        rows.append(_pick(row, KINDS["balance"], money=True))
    return rows


def _debt_schedule(debt: int, last: int, rng: random.Random) -> tuple[Rows, list[tuple[str, int]]]:
    """Debt instruments summing to ``debt`` and the maturity schedule they imply."""
    years = sorted(rng.sample(range(last + 1, last + 14), rng.randint(3, 6)))
    principal = _split(debt, [rng.uniform(0.5, 1.5) for _ in years])
    due = dict(zip(years, principal, strict=True))
    instruments = []
    for index, year in enumerate(years):
        rate = round(rng.uniform(1.2, 7.8), 3)
        name = f"Term loan due {year}" if index == 0 else f"{rate:.3f}% Senior Notes due {year}"
        instruments.append(
            {"instrument": name, "rate": rate, "maturity_year": year, "principal": _usd(due[year])}
        )
    periods = [(str(y), due.get(y, 0)) for y in range(last + 1, last + 6)]
    later = sum(a for y, a in due.items() if y > last + 5)
    return instruments, [*periods, ("Thereafter", later)]


def _drift(rng: random.Random, weights: list[float]) -> list[float]:
    return [w * rng.uniform(0.9, 1.12) for w in weights]


def _segment_rows(flows: list[dict[str, Any]], industry: Industry, rng: random.Random) -> Rows:
    names = sorted(rng.sample(industry.segments, rng.randint(2, min(4, len(industry.segments)))))
    weights = [rng.uniform(0.5, 2.0) for _ in names]
    margins = [rng.uniform(0.7, 1.3) for _ in names]
    rows = []
    for f in flows[-rng.randint(3, 5) :]:
        weights = _drift(rng, weights)
        sales = _split(f["revenue"], weights)
        corporate = round(abs(f["op"]) * rng.uniform(0.05, 0.2)) + 1
        profit = _split(f["op"] + corporate, [w * m for w, m in zip(weights, margins, strict=True)])
        rows += [
            {"year": f["year"], "segment": n, "seg_sales": _usd(s), "seg_op": _usd(p)}
            for n, s, p in zip(names, sales, profit, strict=True)
        ]
    return rows


def _geography_rows(flows: list[dict[str, Any]], rng: random.Random) -> Rows:
    names = ["United States", *sorted(rng.sample(REGIONS, rng.randint(2, 4)))]
    weights = [rng.uniform(1.5, 4.0)] + [rng.uniform(0.3, 1.5) for _ in names[1:]]
    rows = []
    for f in flows[-rng.randint(3, 5) :]:
        weights = _drift(rng, weights)
        rows += [
            {"year": f["year"], "region": n, "geo_sales": _usd(s)}
            for n, s in zip(names, _split(f["revenue"], weights), strict=True)
        ]
    return rows


def _repurchase_rows(flows: list[dict[str, Any]]) -> Rows:
    return [
        {"year": f["year"], "rep_shares": f["rep_shares"], "rep_price": f["rep_price"],
         "rep_cost": _usd(f["rep"])}
        for f in flows
        if f["rep_shares"] > 0
    ]  # fmt: skip


def _dividend_rows(flows: list[dict[str, Any]]) -> Rows:
    return [
        {"year": f["year"], "dps": f["dps"], "div_paid": _usd(f["div"])}
        for f in flows
        if f["div"] > 0
    ]


def _stock_comp_rows(flows: list[dict[str, Any]], rng: random.Random) -> Rows:
    awards = sorted(rng.sample(AWARD_TYPES, rng.randint(2, 4)))
    weights = [rng.uniform(0.3, 3.0) for _ in awards]
    rows = []
    for f in flows[-3:]:
        weights = _drift(rng, weights)
        rows += [
            {"year": f["year"], "award": a, "sbc_expense": _usd(v)}
            for a, v in zip(awards, _split(f["sbc"], weights), strict=True)
        ]
    return rows


def _quarterly_rows(flows: list[dict[str, Any]], rng: random.Random) -> Rows:
    rows = []
    for f in flows[-2:]:
        weights = [rng.uniform(0.2, 0.3) for _ in range(4)]
        sales, gross, ni = (_split(f[k], _drift(rng, weights)) for k in ("revenue", "gross", "ni"))
        rows += [
            {"year": f["year"], "quarter": q + 1, "q_sales": _usd(sales[q]),
             "q_gross": _usd(gross[q]), "q_ni": _usd(ni[q])}
            for q in range(4)
        ]  # fmt: skip
    return rows


# --------------------------------------------------------------------------------------------
# A company: physical schema (chosen name variants) and its tables
# --------------------------------------------------------------------------------------------


@dataclass
class Company:
    """One fictional company: names chosen for each logical table/column, and its rows."""

    name: str
    slug: str
    data: dict[str, Rows]
    table_names: dict[str, str]
    columns: dict[str, dict[str, tuple[str, str]]]

    def has(self, *tables: str) -> bool:
        return all(t in self.data for t in tables)

    def has_column(self, table: str, column: str) -> bool:
        return table in self.data and column in self.columns[table]

    def label(self, table: str, column: str) -> str:
        return self.columns[table][column][1]

    def years(self, table: str) -> list[int]:
        return sorted({row["year"] for row in self.data[table]})

    def distinct(self, table: str, column: str) -> list[str]:
        return sorted({row[column] for row in self.data[table]})

    def tables(self) -> CompanyTables:
        """The company as stored: ``CompanyTables`` with physical names and positional rows."""
        last = max(self.years("income"))
        specs = []
        for key, rows in self.data.items():
            kind = KINDS[key]
            cols = [c for c in kind.columns if c.key in self.columns[key]]
            years = self.years(key) if "year" in rows[0] else [last]
            description = kind.description.format(years=f"{years[0]}-{years[-1]}", last=last)
            specs.append(
                TableSpec(
                    name=self.table_names[key],
                    description=description,
                    columns=[
                        ColumnSpec(
                            name=self.columns[key][c.key][0], type=c.type, description=c.description
                        )
                        for c in cols
                    ],
                    rows=[[row[c.key] for c in cols] for row in rows],
                )
            )
        return CompanyTables(company=self.slug, display_name=self.name, tables=specs)


def build_company(name: str, prefix: str, industry: str, seed: int) -> Company:
    """Simulate one company and choose its table and column name variants."""
    rng = random.Random(f"{seed}:{name}")
    data = simulate(INDUSTRIES[industry], rng)
    table_names, columns = {}, {}
    for key, rows in data.items():
        kind = KINDS[key]
        table_names[key] = rng.choice(kind.names).format(prefix=prefix)
        columns[key] = {c.key: rng.choice(c.variants) for c in kind.columns if c.key in rows[0]}
    return Company(name, name.lower().replace(" ", "_"), data, table_names, columns)


def connect(company: CompanyTables) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database holding the company's tables."""
    con = duckdb.connect(config={"threads": 1})
    for table in company.tables:
        columns = ", ".join(f'"{c.name}" {c.type}' for c in table.columns)
        con.execute(f'CREATE TABLE "{table.name}" ({columns})')
        marks = "(" + ", ".join("?" * len(table.columns)) + ")"
        con.execute(
            f'INSERT INTO "{table.name}" VALUES {", ".join([marks] * len(table.rows))}',
            [v for row in table.rows for v in row],
        )
    return con


# --------------------------------------------------------------------------------------------
# Questions: gold SQL builder and templates
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A question before its answer is computed."""

    kind: str
    unit: Unit
    question: str
    sql: str
    columns: frozenset[str]


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_literal(v) for v in value) + ")"
    return str(value)


@dataclass
class Gold:
    """Builds one gold SELECT over a company's tables and records the columns it reads."""

    company: Company
    columns: set[str] = field(default_factory=set)

    def ref(self, table: str, column: str) -> str:
        name = self.company.columns[table][column][0]
        self.columns.add(f"{self.company.table_names[table]}.{name}")
        return name

    def val(self, table: str, column: str, **conds: Any) -> str:
        """A scalar subquery reading one cell."""
        return self.agg("", table, column, **conds)

    def agg(
        self,
        fn: str,
        table: str,
        column: str,
        years: tuple[int, int] | None = None,
        **conds: Any,
    ) -> str:
        """A scalar subquery aggregating a column (``fn`` empty for a single cell)."""
        target = f"{fn}({self.ref(table, column)})" if fn else self.ref(table, column)
        parts = [f"{self.ref(table, 'year')} BETWEEN {years[0]} AND {years[1]}"] if years else []
        for key, value in conds.items():
            op = "IN" if isinstance(value, (list, tuple)) else "="
            parts.append(f"{self.ref(table, key)} {op} {_literal(value)}")
        where = f" WHERE {' AND '.join(parts)}" if parts else ""
        return f"(SELECT {target} FROM {self.company.table_names[table]}{where})"

    def draft(self, kind: str, unit: Unit, question: str, expr: str) -> Draft:
        sql = f"SELECT ROUND({expr}, 4) AS answer"
        return Draft(kind, unit, question, sql, frozenset(self.columns))


def _pos(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _fy(r: random.Random) -> Callable[[int], str]:
    return r.choice(("fiscal {}", "fiscal year {}", "FY{}")).format


UNIT_HINT: dict[str, tuple[str, ...]] = {
    "usd_millions": (" (in $ millions)", ", in millions of dollars", " in USD millions"),
    "percent": (" (in percent)", ", in %", ""),
    "ratio": ("", " (as a ratio)", ", expressed as a multiple"),
    "per_share": (" (in dollars)", ", in US dollars", ""),
    "count": ("", " (a count)"),
    "usd": (" (in dollars)", ", in US dollars"),
}


def _ask(r: random.Random, unit: Unit, *forms: str) -> str:
    """One of the phrasings, with a unit hint before the question mark."""
    return r.choice(forms) + r.choice(UNIT_HINT[unit]) + "?"


def _two_years(r: random.Random, years: list[int], gap: int = 1) -> tuple[int, int] | None:
    pairs = [(a, b) for a in years for b in years if b - a >= gap]
    return r.choice(pairs) if pairs else None


def _span(r: random.Random, years: list[int], length: int = 3) -> tuple[int, int] | None:
    starts = [y for y in years if y + length - 1 in years]
    if not starts:
        return None
    start = r.choice(starts)
    return start, r.choice([y for y in years if y >= start + length - 1])


PER_YEAR_METRICS: tuple[tuple[str, str], ...] = (
    ("income", "revenue"), ("income", "gross"), ("income", "op"), ("income", "ni"),
    ("income", "sga"), ("income", "rd"), ("income", "tax"), ("income", "eps"),
    ("balance", "cash"), ("balance", "ta"), ("balance", "equity"), ("balance", "ar"),
    ("balance", "inventory"), ("balance", "ltd"), ("balance", "goodwill"),
    ("cashflow", "cfo"), ("cashflow", "capex"), ("cashflow", "da"), ("cashflow", "sbc"),
    ("employees", "employees"), ("dividends", "dps"), ("dividends", "div_paid"),
    ("repurchases", "rep_cost"),
)  # fmt: skip
FLOW_TABLES = ("income", "cashflow", "repurchases", "dividends")


def _metric(c: Company, r: random.Random, tables: tuple[str, ...] = ()) -> tuple[str, str, Col]:
    options = [
        (t, k)
        for t, k in PER_YEAR_METRICS
        if c.has_column(t, k) and (not tables or t in tables) and len(c.years(t)) >= 3
    ]
    table, key = r.choice(options)
    return table, key, next(col for col in KINDS[table].columns if col.key == key)


def _when(table: str, fy: Callable[[int], str], year: int) -> str:
    return f"the end of {fy(year)}" if table == "balance" else fy(year)


Template = Callable[[Company, random.Random], Draft | None]


def t_change(c: Company, r: random.Random) -> Draft | None:
    table, key, col = _metric(c, r)
    y1, y2 = _two_years(r, c.years(table)) or (0, 0)
    g, fy, label, unit = Gold(c), _fy(r), c.label(table, key), col.unit or "number"
    a, b = g.val(table, key, year=y1), g.val(table, key, year=y2)
    w1, w2 = _when(table, fy, y1), _when(table, fy, y2)
    q = _ask(
        r,
        unit,
        f"By how much did {_pos(c.name)} {label} change from {w1} to {w2}",
        f"What was the change in {label} at {c.name} between {w1} and {w2}",
    )
    return g.draft("change", unit, q, f"{b} - {a}")


def t_percent_change(c: Company, r: random.Random) -> Draft | None:
    table, key, _ = _metric(c, r)
    y1, y2 = _two_years(r, c.years(table)) or (0, 0)
    g, fy, label = Gold(c), _fy(r), c.label(table, key)
    a, b = g.val(table, key, year=y1), g.val(table, key, year=y2)
    w1, w2 = _when(table, fy, y1), _when(table, fy, y2)
    q = _ask(
        r,
        "percent",
        f"By what percentage did {_pos(c.name)} {label} change from {w1} to {w2}",
        f"What was the percent change in {label} at {c.name} from {w1} to {w2}",
    )
    return g.draft("percent_change", "percent", q, f"100.0 * ({b} - {a}) / {a}")


def t_cagr(c: Company, r: random.Random) -> Draft | None:
    table, key, _ = _metric(c, r, (*FLOW_TABLES, "employees"))
    pair = _two_years(r, c.years(table), gap=2)
    if pair is None:
        return None
    y1, y2 = pair
    g, fy, label = Gold(c), _fy(r), c.label(table, key)
    a, b = g.val(table, key, year=y1), g.val(table, key, year=y2)
    q = _ask(
        r,
        "percent",
        f"What was the compound annual growth rate of {_pos(c.name)} {label} from {fy(y1)} to "
        f"{fy(y2)}",
        f"At what compound annual rate did {label} grow at {c.name} between {fy(y1)} and {fy(y2)}",
    )
    return g.draft("cagr", "percent", q, f"100.0 * (POWER({b} / {a}, 1.0 / {y2 - y1}) - 1)")


def t_average(c: Company, r: random.Random) -> Draft | None:
    table, key, col = _metric(c, r)
    span = _span(r, c.years(table))
    if span is None:
        return None
    g, fy, label, unit = Gold(c), _fy(r), c.label(table, key), col.unit or "number"
    first, last = fy(span[0]), fy(span[1])
    q = _ask(
        r,
        unit,
        f"What was {_pos(c.name)} average {label} over {first} through {last}",
        f"Averaged across {first} to {last} inclusive, what was {_pos(c.name)} {label}",
    )
    return g.draft("average", unit, q, g.agg("AVG", table, key, years=span))


def t_total(c: Company, r: random.Random) -> Draft | None:
    table, key, col = _metric(c, r, FLOW_TABLES)
    span = _span(r, c.years(table), length=2)
    if col.unit != "usd_millions" or span is None:
        return None
    g, fy, label = Gold(c), _fy(r), c.label(table, key)
    first, last = fy(span[0]), fy(span[1])
    q = _ask(
        r,
        "usd_millions",
        f"What was {_pos(c.name)} combined {label} for {first} through {last}",
        f"In total, how much {label} did {c.name} report across {first} to {last}",
    )
    return g.draft("total", "usd_millions", q, g.agg("SUM", table, key, years=span))


MARGINS: tuple[tuple[str, str, str, str], ...] = (
    ("income", "gross", "revenue", "gross margin"),
    ("income", "op", "revenue", "operating margin"),
    ("income", "ni", "revenue", "net profit margin"),
    ("income", "tax", "pretax", "effective income tax rate"),
    ("income", "rd", "revenue", "research and development spending as a share of revenue"),
    ("income", "sga", "revenue", "SG&A as a percentage of revenue"),
    ("quarterly", "q_gross", "q_sales", "gross margin"),
)
ORDINALS = ("first", "second", "third", "fourth")


def t_margin(c: Company, r: random.Random) -> Draft | None:
    table, num, den, what = r.choice(MARGINS)
    if not (c.has_column(table, num) and c.has_column(table, den)):
        return None
    g, fy, year = Gold(c), _fy(r), r.choice(c.years(table))
    where: dict[str, Any] = {"year": year}
    when = fy(year)
    if table == "quarterly":
        where["quarter"] = r.randint(1, 4)
        when = f"the {ORDINALS[where['quarter'] - 1]} quarter of {when}"
    q = _ask(
        r,
        "percent",
        f"What was {_pos(c.name)} {what} in {when}",
        f"For {when}, what {what} did {c.name} report",
    )
    expr = f"100.0 * {g.val(table, num, **where)} / {g.val(table, den, **where)}"
    return g.draft("margin", "percent", q, expr)


RATIOS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str], ...] = (
    ("balance", ("tca",), ("tcl",), "current ratio (current assets to current liabilities)"),
    (
        "balance",
        ("current_debt", "ltd"),
        ("equity",),
        "debt-to-equity ratio (total debt over stockholders' equity)",
    ),
    ("balance", ("tl",), ("equity",), "ratio of total liabilities to equity"),
    ("income", ("op",), ("interest",), "ratio of operating income to interest expense"),
    (
        "cashflow",
        ("capex",),
        ("da",),
        "ratio of capital expenditures to depreciation and amortization",
    ),
)


def t_ratio(c: Company, r: random.Random) -> Draft | None:
    table, num, den, what = r.choice(RATIOS)
    g, fy = Gold(c), _fy(r)
    year = r.choice(c.years(table))
    top = " + ".join(g.val(table, k, year=year) for k in num)
    bottom = " + ".join(g.val(table, k, year=year) for k in den)
    when = _when(table, fy, year)
    q = _ask(
        r,
        "ratio",
        f"What was {_pos(c.name)} {what} for {when}",
        f"Compute {_pos(c.name)} {what} at {when}",
    )
    return g.draft("ratio", "ratio", q, f"({top}) / ({bottom})")


BALANCE_SHARES: tuple[tuple[str, str, str], ...] = (
    ("goodwill", "ta", "goodwill as a percentage of total assets"),
    ("cash", "tca", "the share of current assets held as cash and cash equivalents"),
    ("ppe", "ta", "net property, plant and equipment as a percentage of total assets"),
    ("ltd", "tl", "long-term debt as a share of total liabilities"),
)


def t_balance_share(c: Company, r: random.Random) -> Draft | None:
    part, whole, what = r.choice(BALANCE_SHARES)
    g, fy, year = Gold(c), _fy(r), r.choice(c.years("balance"))
    q = _ask(
        r,
        "percent",
        f"What was {what} for {c.name} at the end of {fy(year)}",
        f"At the end of {fy(year)}, what was {what} at {c.name}",
    )
    expr = f"100.0 * {g.val('balance', part, year=year)} / {g.val('balance', whole, year=year)}"
    return g.draft("share_of_total", "percent", q, expr)


def t_free_cash_flow(c: Company, r: random.Random) -> Draft | None:
    g, fy, year = Gold(c), _fy(r), r.choice(c.years("cashflow"))
    q = _ask(
        r,
        "usd_millions",
        f"What was {_pos(c.name)} free cash flow (cash from operations less capital "
        f"expenditures) in {fy(year)}",
        f"Defining free cash flow as operating cash flow minus capital expenditures, what was it "
        f"for {c.name} in {fy(year)}",
    )
    expr = f"{g.val('cashflow', 'cfo', year=year)} - {g.val('cashflow', 'capex', year=year)}"
    return g.draft("free_cash_flow", "usd_millions", q, expr)


def t_working_capital(c: Company, r: random.Random) -> Draft | None:
    y1, y2 = _two_years(r, c.years("balance")) or (0, 0)
    g, fy = Gold(c), _fy(r)
    wc = [
        f"({g.val('balance', 'tca', year=y)} - {g.val('balance', 'tcl', year=y)})" for y in (y1, y2)
    ]
    q = _ask(
        r,
        "usd_millions",
        f"How much did {_pos(c.name)} working capital (current assets minus current "
        f"liabilities) change from the end of {fy(y1)} to the end of {fy(y2)}",
    )
    return g.draft("change", "usd_millions", q, f"{wc[1]} - {wc[0]}")


# Long tables: (table, dimension column, value column)
BREAKDOWNS: tuple[tuple[str, str, str], ...] = (
    ("segments", "segment", "seg_sales"),
    ("geography", "region", "geo_sales"),
    ("stock_comp", "award", "sbc_expense"),
)


def _breakdown(c: Company, r: random.Random) -> tuple[str, str, str] | None:
    options = [b for b in BREAKDOWNS if c.has(b[0])]
    return r.choice(options) if options else None


def _member(table: str, value: str) -> str:
    """How a question names one row of a breakdown table."""
    return {"segments": f"the {value} segment", "stock_comp": value.lower()}.get(table, value)


def t_breakdown_share(c: Company, r: random.Random) -> Draft | None:
    picked = _breakdown(c, r)
    if picked is None:
        return None
    table, dim, value = picked
    g, fy = Gold(c), _fy(r)
    year, member = r.choice(c.years(table)), r.choice(c.distinct(table, dim))
    label, who = c.label(table, value), _member(table, member)
    q = _ask(
        r,
        "percent",
        f"What percentage of {_pos(c.name)} total {label} in {fy(year)} came from {who}",
        f"In {fy(year)}, what share of {_pos(c.name)} total {label} was attributable to {who}",
    )
    expr = (
        f"100.0 * {g.val(table, value, year=year, **{dim: member})} / "
        f"{g.agg('SUM', table, value, year=year)}"
    )
    return g.draft("share_of_total", "percent", q, expr)


def t_breakdown_difference(c: Company, r: random.Random) -> Draft | None:
    picked = _breakdown(c, r)
    if picked is None:
        return None
    table, dim, value = picked
    first, second = r.sample(c.distinct(table, dim), 2)
    g, fy, year = Gold(c), _fy(r), r.choice(c.years(table))
    label, a, b = c.label(table, value), _member(table, first), _member(table, second)
    q = _ask(
        r,
        "usd_millions",
        f"How much higher or lower was {_pos(c.name)} {label} from {a} than from {b} in {fy(year)}",
        f"In {fy(year)}, what was the difference between {label} from {a} and from {b} at {c.name}",
    )
    expr = (
        f"{g.val(table, value, year=year, **{dim: first})} - "
        f"{g.val(table, value, year=year, **{dim: second})}"
    )
    return g.draft("difference", "usd_millions", q, expr)


def t_breakdown_growth(c: Company, r: random.Random) -> Draft | None:
    picked = _breakdown(c, r)
    if picked is None:
        return None
    table, dim, value = picked
    y1, y2 = _two_years(r, c.years(table)) or (0, 0)
    member = r.choice(c.distinct(table, dim))
    g, fy, label, who = Gold(c), _fy(r), c.label(table, value), _member(table, member)
    a = g.val(table, value, year=y1, **{dim: member})
    b = g.val(table, value, year=y2, **{dim: member})
    q = _ask(
        r,
        "percent",
        f"By what percentage did {label} from {who} change at {c.name} from {fy(y1)} to {fy(y2)}",
    )
    return g.draft("percent_change", "percent", q, f"100.0 * ({b} - {a}) / {a}")


def t_segment_margin(c: Company, r: random.Random) -> Draft | None:
    if not c.has("segments"):
        return None
    g, fy = Gold(c), _fy(r)
    year, member = r.choice(c.years("segments")), r.choice(c.distinct("segments", "segment"))
    q = _ask(
        r,
        "percent",
        f"What was the operating margin of {_pos(c.name)} {member} segment in {fy(year)}",
    )
    expr = (
        f"100.0 * {g.val('segments', 'seg_op', year=year, segment=member)} / "
        f"{g.val('segments', 'seg_sales', year=year, segment=member)}"
    )
    return g.draft("margin", "percent", q, expr)


def t_total_breakdown_change(c: Company, r: random.Random) -> Draft | None:
    if not c.has("stock_comp"):
        return None
    y1, y2 = _two_years(r, c.years("stock_comp")) or (0, 0)
    g, fy = Gold(c), _fy(r)
    a, b = (g.agg("SUM", "stock_comp", "sbc_expense", year=y) for y in (y1, y2))
    q = _ask(
        r,
        "percent",
        f"By what percentage did {_pos(c.name)} total stock-based compensation expense across "
        f"all award types change from {fy(y1)} to {fy(y2)}",
    )
    return g.draft("percent_change", "percent", q, f"100.0 * ({b} - {a}) / {a}")


def t_repurchase_price(c: Company, r: random.Random) -> Draft | None:
    span = _span(r, c.years("repurchases"), length=2) if c.has("repurchases") else None
    if span is None:
        return None
    g, fy = Gold(c), _fy(r)
    q = _ask(
        r,
        "per_share",
        f"What was the weighted-average price {c.name} paid per repurchased share over "
        f"{fy(span[0])} through {fy(span[1])}",
    )
    expr = (
        f"1000.0 * {g.agg('SUM', 'repurchases', 'rep_cost', years=span)} / "
        f"{g.agg('SUM', 'repurchases', 'rep_shares', years=span)}"
    )
    return g.draft("average", "per_share", q, expr)


def t_repurchase_shares(c: Company, r: random.Random) -> Draft | None:
    pair = _two_years(r, c.years("repurchases")) if c.has("repurchases") else None
    if pair is None:
        return None
    g, fy = Gold(c), _fy(r)
    a, b = (g.val("repurchases", "rep_shares", year=y) for y in pair)
    q = _ask(
        r,
        "count",
        f"By how many thousand shares did the number of shares {c.name} repurchased change from "
        f"{fy(pair[0])} to {fy(pair[1])}",
    )
    return g.draft("change", "count", q, f"{b} - {a}")


def _debt_periods(c: Company) -> list[str]:
    return [p for p in c.distinct("debt_maturities", "period") if p != "Thereafter"]


def t_debt_due_share(c: Company, r: random.Random) -> Draft | None:
    if not c.has("debt_maturities"):
        return None
    chosen = _debt_periods(c)[: r.randint(2, 4)]
    g, fy = Gold(c), _fy(r)
    q = _ask(
        r,
        "percent",
        f"What share of the debt principal {c.name} had outstanding at the end of "
        f"{fy(int(chosen[0]) - 1)} is scheduled to be repaid in {chosen[0]} through {chosen[-1]}",
    )
    expr = (
        f"100.0 * {g.agg('SUM', 'debt_maturities', 'due', period=chosen)} / "
        f"{g.agg('SUM', 'debt_maturities', 'due')}"
    )
    return g.draft("share_of_total", "percent", q, expr)


def t_debt_due_total(c: Company, r: random.Random) -> Draft | None:
    if not c.has("debt_maturities"):
        return None
    start = r.randint(0, 2)
    chosen = _debt_periods(c)[start : start + r.randint(2, 3)]
    g = Gold(c)
    q = _ask(
        r,
        "usd_millions",
        f"How much debt principal is {c.name} scheduled to repay in {chosen[0]} through "
        f"{chosen[-1]} combined",
    )
    expr = g.agg("SUM", "debt_maturities", "due", period=chosen)
    return g.draft("total", "usd_millions", q, expr)


def t_weighted_rate(c: Company, r: random.Random) -> Draft | None:
    if not c.has("debt_instruments"):
        return None
    g, fy = Gold(c), _fy(r)
    rate, principal = g.ref("debt_instruments", "rate"), g.ref("debt_instruments", "principal")
    table = c.table_names["debt_instruments"]
    q = _ask(
        r,
        "percent",
        f"What was the principal-weighted average stated interest rate on {_pos(c.name)} debt "
        f"instruments outstanding at the end of {fy(max(c.years('income')))}",
    )
    expr = f"(SELECT SUM({rate} * {principal}) / SUM({principal}) FROM {table})"
    return g.draft("average", "percent", q, expr)


def t_instrument_share(c: Company, r: random.Random) -> Draft | None:
    if not c.has("debt_instruments"):
        return None
    cutoff = r.choice(sorted(row["maturity_year"] for row in c.data["debt_instruments"])[1:])
    g, table = Gold(c), c.table_names["debt_instruments"]
    year, principal = (
        g.ref("debt_instruments", "maturity_year"),
        g.ref("debt_instruments", "principal"),
    )
    q = _ask(
        r,
        "percent",
        f"What percentage of {_pos(c.name)} outstanding debt principal matures in {cutoff} or "
        f"later",
    )
    expr = (
        f"100.0 * (SELECT SUM({principal}) FROM {table} WHERE {year} >= {cutoff}) / "
        f"(SELECT SUM({principal}) FROM {table})"
    )
    return g.draft("share_of_total", "percent", q, expr)


def t_intl_employees(c: Company, r: random.Random) -> Draft | None:
    if not c.has("employees"):
        return None
    g, fy, year = Gold(c), _fy(r), r.choice(c.years("employees"))
    q = _ask(
        r,
        "percent",
        f"What percentage of {_pos(c.name)} workforce was located outside the United States at "
        f"the end of {fy(year)}",
    )
    expr = (
        f"100.0 * {g.val('employees', 'employees_intl', year=year)} / "
        f"{g.val('employees', 'employees', year=year)}"
    )
    return g.draft("share_of_total", "percent", q, expr)


def t_quarter_share(c: Company, r: random.Random) -> Draft | None:
    if not c.has("quarterly"):
        return None
    g, fy = Gold(c), _fy(r)
    year, quarter = r.choice(c.years("quarterly")), r.randint(1, 4)
    key = r.choice(("q_sales", "q_ni"))
    q = _ask(
        r,
        "percent",
        f"What share of {_pos(c.name)} {fy(year)} {c.label('quarterly', key)} was earned in the "
        f"{ORDINALS[quarter - 1]} quarter",
    )
    expr = (
        f"100.0 * {g.val('quarterly', key, year=year, quarter=quarter)} / "
        f"{g.agg('SUM', 'quarterly', key, year=year)}"
    )
    return g.draft("share_of_total", "percent", q, expr)


def t_quarter_average(c: Company, r: random.Random) -> Draft | None:
    if not c.has("quarterly"):
        return None
    g, fy = Gold(c), _fy(r)
    year, key = r.choice(c.years("quarterly")), r.choice(("q_sales", "q_gross", "q_ni"))
    q = _ask(
        r,
        "usd_millions",
        f"What was {_pos(c.name)} average quarterly {c.label('quarterly', key)} in {fy(year)}",
    )
    return g.draft("average", "usd_millions", q, g.agg("AVG", "quarterly", key, year=year))


SINGLE_TABLE: tuple[Template, ...] = (
    t_change, t_percent_change, t_cagr, t_average, t_total, t_margin, t_ratio, t_balance_share,
    t_free_cash_flow, t_working_capital, t_breakdown_share, t_breakdown_difference,
    t_breakdown_growth, t_segment_margin, t_total_breakdown_change, t_repurchase_price,
    t_repurchase_shares, t_debt_due_share, t_debt_due_total, t_weighted_rate, t_instrument_share,
    t_intl_employees, t_quarter_share, t_quarter_average,
)  # fmt: skip


# Multi-table (reasoning) templates ----------------------------------------------------------


def _avg_balance(g: Gold, key: str, year: int) -> str:
    return f"(({g.val('balance', key, year=year - 1)} + {g.val('balance', key, year=year)}) / 2)"


def _year_with_prior(c: Company, r: random.Random) -> int | None:
    balance = c.years("balance")
    options = [y for y in c.years("income") if y in balance and y - 1 in balance]
    return r.choice(options) if options else None


def t_return_on_average(c: Company, r: random.Random) -> Draft | None:
    key, kind, what = r.choice(
        (
            ("ta", "roa", "return on average total assets"),
            ("equity", "roe", "return on average stockholders' equity"),
        )
    )
    year = _year_with_prior(c, r)
    if year is None:
        return None
    g, fy = Gold(c), _fy(r)
    q = _ask(
        r,
        "percent",
        f"What was {_pos(c.name)} {what} in {fy(year)}, using the average of the opening and "
        f"closing balances",
    )
    expr = f"100.0 * {g.val('income', 'ni', year=year)} / {_avg_balance(g, key, year)}"
    return g.draft(kind, "percent", q, expr)


def t_asset_turnover(c: Company, r: random.Random) -> Draft | None:
    year = _year_with_prior(c, r)
    if year is None:
        return None
    g, fy = Gold(c), _fy(r)
    q = _ask(
        r,
        "ratio",
        f"What was {_pos(c.name)} asset turnover in {fy(year)} "
        f"({c.label('income', 'revenue')} divided by average total assets)",
    )
    expr = f"{g.val('income', 'revenue', year=year)} / {_avg_balance(g, 'ta', year)}"
    return g.draft("asset_turnover", "ratio", q, expr)


def _ebitda(g: Gold, year: int) -> str:
    return f"({g.val('income', 'op', year=year)} + {g.val('cashflow', 'da', year=year)})"


def t_interest_coverage(c: Company, r: random.Random) -> Draft | None:
    g, fy, year = Gold(c), _fy(r), r.choice(c.years("income"))
    q = _ask(
        r,
        "ratio",
        f"What was {_pos(c.name)} EBITDA interest coverage in {fy(year)}, with EBITDA as "
        f"operating income plus depreciation and amortization",
    )
    expr = f"{_ebitda(g, year)} / {g.val('income', 'interest', year=year)}"
    return g.draft("interest_coverage", "ratio", q, expr)


def _total_debt(g: Gold, year: int) -> str:
    return f"({g.val('balance', 'current_debt', year=year)} + {g.val('balance', 'ltd', year=year)})"


def t_debt_to_ebitda(c: Company, r: random.Random) -> Draft | None:
    g, fy, year = Gold(c), _fy(r), r.choice(c.years("income"))
    q = _ask(
        r,
        "ratio",
        f"What was {_pos(c.name)} total debt at the end of {fy(year)} as a multiple of its "
        f"{fy(year)} EBITDA (operating income plus depreciation and amortization)",
    )
    return g.draft("leverage", "ratio", q, f"{_total_debt(g, year)} / {_ebitda(g, year)}")


def t_payout_ratio(c: Company, r: random.Random) -> Draft | None:
    if not c.has("dividends"):
        return None
    g, fy, year = Gold(c), _fy(r), r.choice(c.years("dividends"))
    q = _ask(
        r,
        "percent",
        f"What was {_pos(c.name)} dividend payout ratio (cash dividends paid as a share of "
        f"{c.label('income', 'ni')}) in {fy(year)}",
    )
    expr = (
        f"100.0 * {g.val('dividends', 'div_paid', year=year)} / {g.val('income', 'ni', year=year)}"
    )
    return g.draft("payout_ratio", "percent", q, expr)


def t_capital_return(c: Company, r: random.Random) -> Draft | None:
    if not c.has("repurchases"):
        return None
    both = c.has("dividends")
    years = c.years("repurchases")
    if both:
        years = [y for y in years if y in c.years("dividends")]
    if not years:
        return None
    g, fy, year = Gold(c), _fy(r), r.choice(years)
    returned, what = g.val("repurchases", "rep_cost", year=year), "share repurchases"
    if both:
        returned = f"({returned} + {g.val('dividends', 'div_paid', year=year)})"
        what = "share repurchases plus dividends paid"
    q = _ask(
        r,
        "percent",
        f"In {fy(year)}, how much did {c.name} return to shareholders through {what}, as a "
        f"percentage of its {c.label('income', 'ni')}",
    )
    expr = f"100.0 * {returned} / {g.val('income', 'ni', year=year)}"
    return g.draft("capital_return", "percent", q, expr)


def t_cash_margin(c: Company, r: random.Random) -> Draft | None:
    kind, what = r.choice(
        (
            (
                "fcf_margin",
                "free cash flow (operating cash flow less capital expenditures) as a percentage of",
            ),
            ("capex_intensity", "capital expenditures as a percentage of"),
        )
    )
    g, fy, year = Gold(c), _fy(r), r.choice(c.years("income"))
    capex = g.val("cashflow", "capex", year=year)
    top = f"({g.val('cashflow', 'cfo', year=year)} - {capex})" if kind == "fcf_margin" else capex
    q = _ask(
        r, "percent", f"What was {_pos(c.name)} {what} {c.label('income', 'revenue')} in {fy(year)}"
    )
    return g.draft(kind, "percent", q, f"100.0 * {top} / {g.val('income', 'revenue', year=year)}")


def t_cash_conversion(c: Company, r: random.Random) -> Draft | None:
    g, fy, year = Gold(c), _fy(r), r.choice(c.years("income"))
    q = _ask(
        r,
        "ratio",
        f"What was {_pos(c.name)} ratio of cash from operating activities to "
        f"{c.label('income', 'ni')} in {fy(year)}",
    )
    expr = f"{g.val('cashflow', 'cfo', year=year)} / {g.val('income', 'ni', year=year)}"
    return g.draft("cash_conversion", "ratio", q, expr)


def t_sbc_intensity(c: Company, r: random.Random) -> Draft | None:
    if not c.has("stock_comp"):
        return None
    g, fy, year = Gold(c), _fy(r), r.choice(c.years("stock_comp"))
    q = _ask(
        r,
        "percent",
        f"What was {_pos(c.name)} stock-based compensation expense, summed over all award types, "
        f"as a percentage of {c.label('income', 'revenue')} in {fy(year)}",
    )
    expr = (
        f"100.0 * {g.agg('SUM', 'stock_comp', 'sbc_expense', year=year)} / "
        f"{g.val('income', 'revenue', year=year)}"
    )
    return g.draft("sbc_intensity", "percent", q, expr)


def t_revenue_per_employee(c: Company, r: random.Random) -> Draft | None:
    if not c.has("employees"):
        return None
    g, fy, year = Gold(c), _fy(r), r.choice(c.years("employees"))
    if r.random() < 0.5 or not c.has("geography"):
        q = _ask(
            r,
            "usd",
            f"What was {_pos(c.name)} {c.label('income', 'revenue')} per year-end employee in "
            f"{fy(year)}",
        )
        expr = (
            f"1000000.0 * {g.val('income', 'revenue', year=year)} / "
            f"{g.val('employees', 'employees', year=year)}"
        )
        return g.draft("revenue_per_employee", "usd", q, expr)
    if year not in c.years("geography"):
        return None
    q = _ask(
        r,
        "usd",
        f"How much revenue from customers outside the United States did {c.name} generate per "
        f"employee based outside the United States in {fy(year)}",
    )
    abroad = g.agg("SUM", "geography", "geo_sales", year=year)
    us = g.val("geography", "geo_sales", year=year, region="United States")
    expr = f"1000000.0 * ({abroad} - {us}) / {g.val('employees', 'employees_intl', year=year)}"
    return g.draft("revenue_per_employee", "usd", q, expr)


def t_price_to_earnings(c: Company, r: random.Random) -> Draft | None:
    if not c.has("repurchases"):
        return None
    g, fy, year = Gold(c), _fy(r), r.choice(c.years("repurchases"))
    q = _ask(
        r,
        "ratio",
        f"Dividing the average price {c.name} paid for repurchased shares in {fy(year)} by its "
        f"{c.label('income', 'eps')} for that year gives what price-to-earnings multiple",
    )
    expr = f"{g.val('repurchases', 'rep_price', year=year)} / {g.val('income', 'eps', year=year)}"
    return g.draft("valuation_multiple", "ratio", q, expr)


def t_liquidity_coverage(c: Company, r: random.Random) -> Draft | None:
    if not c.has("debt_maturities"):
        return None
    periods = _debt_periods(c)[: r.randint(1, 3)]
    g, fy = Gold(c), _fy(r)
    last = int(periods[0]) - 1
    span = periods[0] if len(periods) == 1 else f"{periods[0]} through {periods[-1]}"
    q = _ask(
        r,
        "ratio",
        f"How many times could {_pos(c.name)} cash and cash equivalents at the end of {fy(last)} "
        f"cover the debt principal scheduled for repayment in {span}",
    )
    expr = (
        f"{g.val('balance', 'cash', year=last)} / "
        f"{g.agg('SUM', 'debt_maturities', 'due', period=periods)}"
    )
    return g.draft("liquidity_coverage", "ratio", q, expr)


def t_segment_profit_share(c: Company, r: random.Random) -> Draft | None:
    if not c.has("segments"):
        return None
    g, fy = Gold(c), _fy(r)
    year, member = r.choice(c.years("segments")), r.choice(c.distinct("segments", "segment"))
    q = _ask(
        r,
        "percent",
        f"The {member} segment's operating income in {fy(year)} equalled what percentage of "
        f"{_pos(c.name)} consolidated {c.label('income', 'op')}",
    )
    expr = (
        f"100.0 * {g.val('segments', 'seg_op', year=year, segment=member)} / "
        f"{g.val('income', 'op', year=year)}"
    )
    return g.draft("segment_profit_share", "percent", q, expr)


def t_effective_interest(c: Company, r: random.Random) -> Draft | None:
    year = _year_with_prior(c, r)
    if year is None:
        return None
    g, fy = Gold(c), _fy(r)
    q = _ask(
        r,
        "percent",
        f"What effective interest rate did {c.name} pay in {fy(year)}, measured as "
        f"{c.label('income', 'interest')} over the average of opening and closing total debt",
    )
    average_debt = f"(({_total_debt(g, year - 1)} + {_total_debt(g, year)}) / 2)"
    expr = f"100.0 * {g.val('income', 'interest', year=year)} / {average_debt}"
    return g.draft("effective_interest_rate", "percent", q, expr)


MULTI_TABLE: tuple[Template, ...] = (
    t_return_on_average, t_asset_turnover, t_interest_coverage, t_debt_to_ebitda, t_payout_ratio,
    t_capital_return, t_cash_margin, t_cash_conversion, t_sbc_intensity, t_revenue_per_employee,
    t_price_to_earnings, t_liquidity_coverage, t_segment_profit_share, t_effective_interest,
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Items and output
# --------------------------------------------------------------------------------------------


def split_of(item_id: str) -> str:
    """Deterministic ~80/20 train/test split: the first byte of sha256(id) below 205 is train."""
    return "train" if hashlib.sha256(item_id.encode()).digest()[0] < 205 else "test"


def _usable(value: Any) -> bool:
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
    for attempt in range(200 * quota):
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
        if row is None or not _usable(row[0]):
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


@dataclass(frozen=True)
class GenerationSummary:
    """What ``generate`` wrote."""

    out_dir: Path
    companies: int
    tasks: dict[str, int]
    splits: dict[str, int]
    kinds: dict[str, int]
    bytes: int


def _quotas(total: int, n: int) -> list[int]:
    """``total`` spread over ``n`` companies, the first ones taking the remainder."""
    return [total // n + (1 if i < total % n else 0) for i in range(n)]


def generate(out_dir: Path, seed: int = SEED) -> GenerationSummary:
    """Write the dataset (manifest.json, items.jsonl, companies/<slug>.json) to ``out_dir``."""
    out_dir = Path(out_dir)
    (out_dir / "companies").mkdir(parents=True, exist_ok=True)
    for stale in (out_dir / "companies").glob("*.json"):
        stale.unlink()
    items: list[Item] = []
    finqa_quotas = _quotas(N_FINQA, len(COMPANIES))
    reasoning_quotas = _quotas(N_REASONING, len(COMPANIES))
    for index, (name, prefix, industry) in enumerate(COMPANIES):
        company = build_company(name, prefix, industry, seed)
        tables = company.tables()
        path = out_dir / "companies" / f"{company.slug}.json"
        path.write_text(tables.model_dump_json(indent=1) + "\n", encoding="utf-8")
        rng = random.Random(f"{seed}:{name}:items")
        with connect(tables) as con:
            items += make_items(company, con, "finqa", finqa_quotas[index], SINGLE_TABLE, rng)
            items += make_items(
                company, con, "finqa_reasoning", reasoning_quotas[index], MULTI_TABLE, rng
            )
    items.sort(key=lambda item: item.id)
    lines = "".join(item.model_dump_json() + "\n" for item in items)
    (out_dir / "items.jsonl").write_text(lines, encoding="utf-8")
    manifest = {
        "name": "embedded",
        "format_version": FORMAT_VERSION,
        "source": "generated",
        "eval_only": False,
        "description": f"{len(COMPANIES)} fictional companies' 10-K style tables and "
        f"{len(items)} FinQA-style questions, generated by finbehave.data.generate "
        f"(seed {seed}).",
    }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (out_dir / "manifest.json").write_text(text, encoding="utf-8")
    return GenerationSummary(
        out_dir=out_dir,
        companies=len(COMPANIES),
        tasks=dict(sorted(Counter(i.task for i in items).items())),
        splits=dict(sorted(Counter(i.split for i in items).items())),
        kinds=dict(sorted(Counter(i.kind for i in items).items())),
        bytes=sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file()),
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
    print("kinds:", ", ".join(f"{k}={v}" for k, v in summary.kinds.items()))


if __name__ == "__main__":
    main()
