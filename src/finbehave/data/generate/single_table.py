"""Question templates whose gold SQL reads one table (the ``finqa`` task)."""

from __future__ import annotations

import random
from typing import Any

from finbehave.data.generate.questions import (
    Draft,
    GoldQuery,
    Template,
    ask,
    debt_periods,
    fiscal_year_style,
    possessive,
    two_years,
    year_phrase,
    year_span,
)
from finbehave.data.generate.schema import TABLES, ColumnKind
from finbehave.data.generate.world import Company

# (table, column) of the values questions track over the years
PER_YEAR_METRICS: tuple[tuple[str, str], ...] = (
    ("income", "revenue"),
    ("income", "gross_profit"),
    ("income", "operating_income"),
    ("income", "net_income"),
    ("income", "sga"),
    ("income", "research"),
    ("income", "income_tax"),
    ("income", "eps"),
    ("balance", "cash"),
    ("balance", "total_assets"),
    ("balance", "equity"),
    ("balance", "receivables"),
    ("balance", "inventory"),
    ("balance", "long_term_debt"),
    ("balance", "goodwill"),
    ("cashflow", "operating_cash_flow"),
    ("cashflow", "capex"),
    ("cashflow", "depreciation"),
    ("cashflow", "stock_compensation"),
    ("employees", "employees"),
    ("dividends", "dividend_per_share"),
    ("dividends", "dividends_paid"),
    ("repurchases", "repurchase_cost"),
)
# tables of amounts over a year (not balances at its end)
FLOW_TABLES = ("income", "cashflow", "repurchases", "dividends")
ORDINALS = ("first", "second", "third", "fourth")


def pick_metric(
    company: Company, rng: random.Random, tables: tuple[str, ...] = ()
) -> tuple[str, str, ColumnKind]:
    """A per-year metric the company reports for at least three years (optionally in ``tables``)."""
    options = [
        (table, key)
        for table, key in PER_YEAR_METRICS
        if company.has_column(table, key)
        and (not tables or table in tables)
        and len(company.years(table)) >= 3
    ]
    table, key = rng.choice(options)
    return table, key, TABLES[table].column(key)


def metric_change(company: Company, rng: random.Random) -> Draft | None:
    table, key, column = pick_metric(company, rng)
    pair = two_years(rng, company.years(table))
    if pair is None:
        return None
    first_year, second_year = pair
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    label, unit = company.label(table, key), column.unit or "number"
    first = gold.value(table, key, year=first_year)
    second = gold.value(table, key, year=second_year)
    since = year_phrase(table, fiscal_year, first_year)
    until = year_phrase(table, fiscal_year, second_year)
    question = ask(
        rng,
        unit,
        f"By how much did {possessive(company.name)} {label} change from {since} to {until}",
        f"What was the change in {label} at {company.name} between {since} and {until}",
    )
    return gold.draft("change", unit, question, f"{second} - {first}")


def metric_percent_change(company: Company, rng: random.Random) -> Draft | None:
    table, key, _ = pick_metric(company, rng)
    pair = two_years(rng, company.years(table))
    if pair is None:
        return None
    first_year, second_year = pair
    gold, fiscal_year, label = GoldQuery(company), fiscal_year_style(rng), company.label(table, key)
    first = gold.value(table, key, year=first_year)
    second = gold.value(table, key, year=second_year)
    since = year_phrase(table, fiscal_year, first_year)
    until = year_phrase(table, fiscal_year, second_year)
    question = ask(
        rng,
        "percent",
        f"By what percentage did {possessive(company.name)} {label} change from {since} to {until}",
        f"What was the percent change in {label} at {company.name} from {since} to {until}",
    )
    expression = f"100.0 * ({second} - {first}) / {first}"
    return gold.draft("percent_change", "percent", question, expression)


def metric_cagr(company: Company, rng: random.Random) -> Draft | None:
    table, key, _ = pick_metric(company, rng, (*FLOW_TABLES, "employees"))
    pair = two_years(rng, company.years(table), gap=2)
    if pair is None:
        return None
    first_year, second_year = pair
    gold, fiscal_year, label = GoldQuery(company), fiscal_year_style(rng), company.label(table, key)
    first = gold.value(table, key, year=first_year)
    second = gold.value(table, key, year=second_year)
    since, until = fiscal_year(first_year), fiscal_year(second_year)
    question = ask(
        rng,
        "percent",
        f"What was the compound annual growth rate of {possessive(company.name)} {label} from "
        f"{since} to {until}",
        f"At what compound annual rate did {label} grow at {company.name} between {since} and "
        f"{until}",
    )
    years = second_year - first_year
    expression = f"100.0 * (POWER({second} / {first}, 1.0 / {years}) - 1)"
    return gold.draft("cagr", "percent", question, expression)


def metric_average(company: Company, rng: random.Random) -> Draft | None:
    table, key, column = pick_metric(company, rng)
    span = year_span(rng, company.years(table))
    if span is None:
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    label, unit = company.label(table, key), column.unit or "number"
    first, last = fiscal_year(span[0]), fiscal_year(span[1])
    question = ask(
        rng,
        unit,
        f"What was {possessive(company.name)} average {label} over {first} through {last}",
        f"Averaged across {first} to {last} inclusive, what was {possessive(company.name)} {label}",
    )
    return gold.draft("average", unit, question, gold.aggregate("AVG", table, key, years=span))


def metric_total(company: Company, rng: random.Random) -> Draft | None:
    table, key, column = pick_metric(company, rng, FLOW_TABLES)
    span = year_span(rng, company.years(table), length=2)
    if column.unit != "usd_millions" or span is None:
        return None
    gold, fiscal_year, label = GoldQuery(company), fiscal_year_style(rng), company.label(table, key)
    first, last = fiscal_year(span[0]), fiscal_year(span[1])
    question = ask(
        rng,
        "usd_millions",
        f"What was {possessive(company.name)} combined {label} for {first} through {last}",
        f"In total, how much {label} did {company.name} report across {first} to {last}",
    )
    expression = gold.aggregate("SUM", table, key, years=span)
    return gold.draft("total", "usd_millions", question, expression)


# (table, numerator, denominator, what the question calls the percentage)
MARGINS: tuple[tuple[str, str, str, str], ...] = (
    ("income", "gross_profit", "revenue", "gross margin"),
    ("income", "operating_income", "revenue", "operating margin"),
    ("income", "net_income", "revenue", "net profit margin"),
    ("income", "income_tax", "pretax_income", "effective income tax rate"),
    ("income", "research", "revenue", "research and development spending as a share of revenue"),
    ("income", "sga", "revenue", "SG&A as a percentage of revenue"),
    ("quarterly", "quarter_gross_profit", "quarter_sales", "gross margin"),
)


def margin(company: Company, rng: random.Random) -> Draft | None:
    table, numerator, denominator, what = rng.choice(MARGINS)
    if not (company.has_column(table, numerator) and company.has_column(table, denominator)):
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years(table))
    where: dict[str, Any] = {"year": year}
    period = fiscal_year(year)
    if table == "quarterly":
        where["quarter"] = rng.randint(1, 4)
        period = f"the {ORDINALS[where['quarter'] - 1]} quarter of {period}"
    question = ask(
        rng,
        "percent",
        f"What was {possessive(company.name)} {what} in {period}",
        f"For {period}, what {what} did {company.name} report",
    )
    top, bottom = gold.value(table, numerator, **where), gold.value(table, denominator, **where)
    return gold.draft("margin", "percent", question, f"100.0 * {top} / {bottom}")


# (table, numerator columns, denominator columns, what the question calls the ratio)
RATIOS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str], ...] = (
    (
        "balance",
        ("current_assets",),
        ("current_liabilities",),
        "current ratio (current assets to current liabilities)",
    ),
    (
        "balance",
        ("current_debt", "long_term_debt"),
        ("equity",),
        "debt-to-equity ratio (total debt over stockholders' equity)",
    ),
    ("balance", ("total_liabilities",), ("equity",), "ratio of total liabilities to equity"),
    (
        "income",
        ("operating_income",),
        ("interest_expense",),
        "ratio of operating income to interest expense",
    ),
    (
        "cashflow",
        ("capex",),
        ("depreciation",),
        "ratio of capital expenditures to depreciation and amortization",
    ),
)


def ratio(company: Company, rng: random.Random) -> Draft | None:
    table, numerator, denominator, what = rng.choice(RATIOS)
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years(table))
    top = " + ".join(gold.value(table, key, year=year) for key in numerator)
    bottom = " + ".join(gold.value(table, key, year=year) for key in denominator)
    period = year_phrase(table, fiscal_year, year)
    question = ask(
        rng,
        "ratio",
        f"What was {possessive(company.name)} {what} for {period}",
        f"Compute {possessive(company.name)} {what} at {period}",
    )
    return gold.draft("ratio", "ratio", question, f"({top}) / ({bottom})")


# (part, whole, what the question calls the share) on the balance sheet
BALANCE_SHARES: tuple[tuple[str, str, str], ...] = (
    ("goodwill", "total_assets", "goodwill as a percentage of total assets"),
    ("cash", "current_assets", "the share of current assets held as cash and cash equivalents"),
    ("ppe", "total_assets", "net property, plant and equipment as a percentage of total assets"),
    ("long_term_debt", "total_liabilities", "long-term debt as a share of total liabilities"),
)


def balance_share(company: Company, rng: random.Random) -> Draft | None:
    part, whole, what = rng.choice(BALANCE_SHARES)
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years("balance"))
    question = ask(
        rng,
        "percent",
        f"What was {what} for {company.name} at the end of {fiscal_year(year)}",
        f"At the end of {fiscal_year(year)}, what was {what} at {company.name}",
    )
    top = gold.value("balance", part, year=year)
    bottom = gold.value("balance", whole, year=year)
    return gold.draft("share_of_total", "percent", question, f"100.0 * {top} / {bottom}")


def free_cash_flow(company: Company, rng: random.Random) -> Draft | None:
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years("cashflow"))
    question = ask(
        rng,
        "usd_millions",
        f"What was {possessive(company.name)} free cash flow (cash from operations less capital "
        f"expenditures) in {fiscal_year(year)}",
        f"Defining free cash flow as operating cash flow minus capital expenditures, what was it "
        f"for {company.name} in {fiscal_year(year)}",
    )
    operating = gold.value("cashflow", "operating_cash_flow", year=year)
    capex = gold.value("cashflow", "capex", year=year)
    return gold.draft("free_cash_flow", "usd_millions", question, f"{operating} - {capex}")


def working_capital_change(company: Company, rng: random.Random) -> Draft | None:
    pair = two_years(rng, company.years("balance"))
    if pair is None:
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    first, second = (
        f"({gold.value('balance', 'current_assets', year=year)} - {gold.value('balance', 'current_liabilities', year=year)})"
        for year in pair
    )
    question = ask(
        rng,
        "usd_millions",
        f"How much did {possessive(company.name)} working capital (current assets minus current "
        f"liabilities) change from the end of {fiscal_year(pair[0])} to the end of "
        f"{fiscal_year(pair[1])}",
    )
    return gold.draft("change", "usd_millions", question, f"{second} - {first}")


# Long tables: (table, dimension column, value column)
BREAKDOWNS: tuple[tuple[str, str, str], ...] = (
    ("segments", "segment", "segment_sales"),
    ("geography", "region", "region_sales"),
    ("stock_comp", "award", "award_expense"),
)


def pick_breakdown(company: Company, rng: random.Random) -> tuple[str, str, str] | None:
    options = [breakdown for breakdown in BREAKDOWNS if company.has(breakdown[0])]
    return rng.choice(options) if options else None


def member_phrase(table: str, member: str) -> str:
    """How a question names one row of a breakdown table."""
    return {"segments": f"the {member} segment", "stock_comp": member.lower()}.get(table, member)


def breakdown_share(company: Company, rng: random.Random) -> Draft | None:
    picked = pick_breakdown(company, rng)
    if picked is None:
        return None
    table, dimension, value = picked
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years(table))
    member = rng.choice(company.distinct(table, dimension))
    label, source = company.label(table, value), member_phrase(table, member)
    question = ask(
        rng,
        "percent",
        f"What percentage of {possessive(company.name)} total {label} in {fiscal_year(year)} came "
        f"from {source}",
        f"In {fiscal_year(year)}, what share of {possessive(company.name)} total {label} was "
        f"attributable to {source}",
    )
    part = gold.value(table, value, year=year, **{dimension: member})
    total = gold.aggregate("SUM", table, value, year=year)
    return gold.draft("share_of_total", "percent", question, f"100.0 * {part} / {total}")


def breakdown_difference(company: Company, rng: random.Random) -> Draft | None:
    picked = pick_breakdown(company, rng)
    if picked is None:
        return None
    table, dimension, value = picked
    first, second = rng.sample(company.distinct(table, dimension), 2)
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years(table))
    label = company.label(table, value)
    first_source, second_source = member_phrase(table, first), member_phrase(table, second)
    question = ask(
        rng,
        "usd_millions",
        f"How much higher or lower was {possessive(company.name)} {label} from {first_source} "
        f"than from {second_source} in {fiscal_year(year)}",
        f"In {fiscal_year(year)}, what was the difference between {label} from {first_source} "
        f"and from {second_source} at {company.name}",
    )
    expression = (
        f"{gold.value(table, value, year=year, **{dimension: first})} - "
        f"{gold.value(table, value, year=year, **{dimension: second})}"
    )
    return gold.draft("difference", "usd_millions", question, expression)


def breakdown_growth(company: Company, rng: random.Random) -> Draft | None:
    picked = pick_breakdown(company, rng)
    if picked is None:
        return None
    table, dimension, value = picked
    pair = two_years(rng, company.years(table))
    if pair is None:
        return None
    member = rng.choice(company.distinct(table, dimension))
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    label, source = company.label(table, value), member_phrase(table, member)
    first = gold.value(table, value, year=pair[0], **{dimension: member})
    second = gold.value(table, value, year=pair[1], **{dimension: member})
    question = ask(
        rng,
        "percent",
        f"By what percentage did {label} from {source} change at {company.name} from "
        f"{fiscal_year(pair[0])} to {fiscal_year(pair[1])}",
    )
    expression = f"100.0 * ({second} - {first}) / {first}"
    return gold.draft("percent_change", "percent", question, expression)


def segment_margin(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("segments"):
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years("segments"))
    segment = rng.choice(company.distinct("segments", "segment"))
    question = ask(
        rng,
        "percent",
        f"What was the operating margin of {possessive(company.name)} {segment} segment in "
        f"{fiscal_year(year)}",
    )
    profit = gold.value("segments", "segment_profit", year=year, segment=segment)
    sales = gold.value("segments", "segment_sales", year=year, segment=segment)
    return gold.draft("margin", "percent", question, f"100.0 * {profit} / {sales}")


def stock_comp_total_change(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("stock_comp"):
        return None
    pair = two_years(rng, company.years("stock_comp"))
    if pair is None:
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    first, second = (
        gold.aggregate("SUM", "stock_comp", "award_expense", year=year) for year in pair
    )
    question = ask(
        rng,
        "percent",
        f"By what percentage did {possessive(company.name)} total stock-based compensation "
        f"expense across all award types change from {fiscal_year(pair[0])} to "
        f"{fiscal_year(pair[1])}",
    )
    expression = f"100.0 * ({second} - {first}) / {first}"
    return gold.draft("percent_change", "percent", question, expression)


def average_repurchase_price(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("repurchases"):
        return None
    span = year_span(rng, company.years("repurchases"), length=2)
    if span is None:
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    question = ask(
        rng,
        "per_share",
        f"What was the weighted-average price {company.name} paid per repurchased share over "
        f"{fiscal_year(span[0])} through {fiscal_year(span[1])}",
    )
    cost = gold.aggregate("SUM", "repurchases", "repurchase_cost", years=span)  # USD millions
    shares = gold.aggregate("SUM", "repurchases", "shares_repurchased", years=span)  # thousands
    return gold.draft("average", "per_share", question, f"1000.0 * {cost} / {shares}")


def repurchased_shares_change(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("repurchases"):
        return None
    pair = two_years(rng, company.years("repurchases"))
    if pair is None:
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    first, second = (gold.value("repurchases", "shares_repurchased", year=year) for year in pair)
    question = ask(
        rng,
        "count",
        f"By how many thousand shares did the number of shares {company.name} repurchased change "
        f"from {fiscal_year(pair[0])} to {fiscal_year(pair[1])}",
    )
    return gold.draft("change", "count", question, f"{second} - {first}")


def debt_due_share(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("debt_maturities"):
        return None
    chosen = debt_periods(company)[: rng.randint(2, 4)]
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    question = ask(
        rng,
        "percent",
        f"What share of the debt principal {company.name} had outstanding at the end of "
        f"{fiscal_year(int(chosen[0]) - 1)} is scheduled to be repaid in {chosen[0]} through "
        f"{chosen[-1]}",
    )
    part = gold.aggregate("SUM", "debt_maturities", "principal_due", period=chosen)
    total = gold.aggregate("SUM", "debt_maturities", "principal_due")
    return gold.draft("share_of_total", "percent", question, f"100.0 * {part} / {total}")


def debt_due_total(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("debt_maturities"):
        return None
    start = rng.randint(0, 2)
    chosen = debt_periods(company)[start : start + rng.randint(2, 3)]
    gold = GoldQuery(company)
    question = ask(
        rng,
        "usd_millions",
        f"How much debt principal is {company.name} scheduled to repay in {chosen[0]} through "
        f"{chosen[-1]} combined",
    )
    expression = gold.aggregate("SUM", "debt_maturities", "principal_due", period=chosen)
    return gold.draft("total", "usd_millions", question, expression)


def weighted_interest_rate(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("debt_instruments"):
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    rate = gold.column("debt_instruments", "interest_rate")
    principal = gold.column("debt_instruments", "principal")
    table = gold.table("debt_instruments")
    question = ask(
        rng,
        "percent",
        f"What was the principal-weighted average stated interest rate on "
        f"{possessive(company.name)} debt instruments outstanding at the end of "
        f"{fiscal_year(max(company.years('income')))}",
    )
    expression = f"(SELECT SUM({rate} * {principal}) / SUM({principal}) FROM {table})"
    return gold.draft("average", "percent", question, expression)


def late_maturity_share(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("debt_instruments"):
        return None
    maturities = sorted(row["maturity_year"] for row in company.data["debt_instruments"])
    cutoff = rng.choice(maturities[1:])
    gold = GoldQuery(company)
    table = gold.table("debt_instruments")
    year = gold.column("debt_instruments", "maturity_year")
    principal = gold.column("debt_instruments", "principal")
    question = ask(
        rng,
        "percent",
        f"What percentage of {possessive(company.name)} outstanding debt principal matures in "
        f"{cutoff} or later",
    )
    expression = (
        f"100.0 * (SELECT SUM({principal}) FROM {table} WHERE {year} >= {cutoff}) / "
        f"(SELECT SUM({principal}) FROM {table})"
    )
    return gold.draft("share_of_total", "percent", question, expression)


def employees_abroad_share(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("employees"):
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years("employees"))
    question = ask(
        rng,
        "percent",
        f"What percentage of {possessive(company.name)} workforce was located outside the United "
        f"States at the end of {fiscal_year(year)}",
    )
    abroad = gold.value("employees", "employees_abroad", year=year)
    total = gold.value("employees", "employees", year=year)
    return gold.draft("share_of_total", "percent", question, f"100.0 * {abroad} / {total}")


def quarter_share(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("quarterly"):
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year, quarter = rng.choice(company.years("quarterly")), rng.randint(1, 4)
    key = rng.choice(("quarter_sales", "quarter_net_income"))
    question = ask(
        rng,
        "percent",
        f"What share of {possessive(company.name)} {fiscal_year(year)} "
        f"{company.label('quarterly', key)} was earned in the {ORDINALS[quarter - 1]} quarter",
    )
    part = gold.value("quarterly", key, year=year, quarter=quarter)
    total = gold.aggregate("SUM", "quarterly", key, year=year)
    return gold.draft("share_of_total", "percent", question, f"100.0 * {part} / {total}")


def quarterly_average(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("quarterly"):
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years("quarterly"))
    key = rng.choice(("quarter_sales", "quarter_gross_profit", "quarter_net_income"))
    question = ask(
        rng,
        "usd_millions",
        f"What was {possessive(company.name)} average quarterly {company.label('quarterly', key)} "
        f"in {fiscal_year(year)}",
    )
    expression = gold.aggregate("AVG", "quarterly", key, year=year)
    return gold.draft("average", "usd_millions", question, expression)


SINGLE_TABLE: tuple[Template, ...] = (
    metric_change, metric_percent_change, metric_cagr, metric_average, metric_total, margin,
    ratio, balance_share, free_cash_flow, working_capital_change, breakdown_share,
    breakdown_difference, breakdown_growth, segment_margin, stock_comp_total_change,
    average_repurchase_price, repurchased_shares_change, debt_due_share, debt_due_total,
    weighted_interest_rate, late_maturity_share, employees_abroad_share, quarter_share,
    quarterly_average,
)  # fmt: skip
