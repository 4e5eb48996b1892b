"""Question templates whose gold SQL joins two or more tables (the ``finqa_reasoning`` task)."""

from __future__ import annotations

import random

from finbehave.data.generate.questions import (
    Draft,
    GoldQuery,
    Template,
    ask,
    debt_periods,
    fiscal_year_style,
    possessive,
)
from finbehave.data.generate.world import Company


def average_balance(gold: GoldQuery, key: str, year: int) -> str:
    """The average of a balance-sheet line's opening and closing values for ``year``."""
    opening = gold.value("balance", key, year=year - 1)
    closing = gold.value("balance", key, year=year)
    return f"(({opening} + {closing}) / 2)"


def year_with_prior(company: Company, rng: random.Random) -> int | None:
    """An income-statement year whose balance sheet and the one before it are both reported."""
    balance = company.years("balance")
    options = [y for y in company.years("income") if y in balance and y - 1 in balance]
    return rng.choice(options) if options else None


def ebitda(gold: GoldQuery, year: int) -> str:
    operating = gold.value("income", "operating_income", year=year)
    return f"({operating} + {gold.value('cashflow', 'depreciation', year=year)})"


def total_debt(gold: GoldQuery, year: int) -> str:
    current = gold.value("balance", "current_debt", year=year)
    return f"({current} + {gold.value('balance', 'long_term_debt', year=year)})"


def return_on_average(company: Company, rng: random.Random) -> Draft | None:
    key, kind, what = rng.choice(
        (
            ("total_assets", "roa", "return on average total assets"),
            ("equity", "roe", "return on average stockholders' equity"),
        )
    )
    year = year_with_prior(company, rng)
    if year is None:
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    question = ask(
        rng,
        "percent",
        f"What was {possessive(company.name)} {what} in {fiscal_year(year)}, using the average of "
        f"the opening and closing balances",
    )
    net_income = gold.value("income", "net_income", year=year)
    expression = f"100.0 * {net_income} / {average_balance(gold, key, year)}"
    return gold.draft(kind, "percent", question, expression)


def asset_turnover(company: Company, rng: random.Random) -> Draft | None:
    year = year_with_prior(company, rng)
    if year is None:
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    question = ask(
        rng,
        "ratio",
        f"What was {possessive(company.name)} asset turnover in {fiscal_year(year)} "
        f"({company.label('income', 'revenue')} divided by average total assets)",
    )
    revenue = gold.value("income", "revenue", year=year)
    expression = f"{revenue} / {average_balance(gold, 'total_assets', year)}"
    return gold.draft("asset_turnover", "ratio", question, expression)


def interest_coverage(company: Company, rng: random.Random) -> Draft | None:
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years("income"))
    question = ask(
        rng,
        "ratio",
        f"What was {possessive(company.name)} EBITDA interest coverage in {fiscal_year(year)}, "
        f"with EBITDA as operating income plus depreciation and amortization",
    )
    expression = f"{ebitda(gold, year)} / {gold.value('income', 'interest_expense', year=year)}"
    return gold.draft("interest_coverage", "ratio", question, expression)


def debt_to_ebitda(company: Company, rng: random.Random) -> Draft | None:
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years("income"))
    question = ask(
        rng,
        "ratio",
        f"What was {possessive(company.name)} total debt at the end of {fiscal_year(year)} as a "
        f"multiple of its {fiscal_year(year)} EBITDA (operating income plus depreciation and "
        f"amortization)",
    )
    expression = f"{total_debt(gold, year)} / {ebitda(gold, year)}"
    return gold.draft("leverage", "ratio", question, expression)


def payout_ratio(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("dividends"):
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years("dividends"))
    question = ask(
        rng,
        "percent",
        f"What was {possessive(company.name)} dividend payout ratio (cash dividends paid as a "
        f"share of {company.label('income', 'net_income')}) in {fiscal_year(year)}",
    )
    paid = gold.value("dividends", "dividends_paid", year=year)
    net_income = gold.value("income", "net_income", year=year)
    return gold.draft("payout_ratio", "percent", question, f"100.0 * {paid} / {net_income}")


def capital_return(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("repurchases"):
        return None
    with_dividends = company.has("dividends")
    years = company.years("repurchases")
    if with_dividends:
        years = [year for year in years if year in company.years("dividends")]
    if not years:
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(years)
    returned, what = gold.value("repurchases", "repurchase_cost", year=year), "share repurchases"
    if with_dividends:
        returned = f"({returned} + {gold.value('dividends', 'dividends_paid', year=year)})"
        what = "share repurchases plus dividends paid"
    question = ask(
        rng,
        "percent",
        f"In {fiscal_year(year)}, how much did {company.name} return to shareholders through "
        f"{what}, as a percentage of its {company.label('income', 'net_income')}",
    )
    net_income = gold.value("income", "net_income", year=year)
    return gold.draft("capital_return", "percent", question, f"100.0 * {returned} / {net_income}")


def cash_margin(company: Company, rng: random.Random) -> Draft | None:
    kind, what = rng.choice(
        (
            (
                "fcf_margin",
                "free cash flow (operating cash flow less capital expenditures) as a percentage of",
            ),
            ("capex_intensity", "capital expenditures as a percentage of"),
        )
    )
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years("income"))
    capex = gold.value("cashflow", "capex", year=year)
    if kind == "fcf_margin":
        top = f"({gold.value('cashflow', 'operating_cash_flow', year=year)} - {capex})"
    else:
        top = capex
    question = ask(
        rng,
        "percent",
        f"What was {possessive(company.name)} {what} {company.label('income', 'revenue')} in "
        f"{fiscal_year(year)}",
    )
    revenue = gold.value("income", "revenue", year=year)
    return gold.draft(kind, "percent", question, f"100.0 * {top} / {revenue}")


def cash_conversion(company: Company, rng: random.Random) -> Draft | None:
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years("income"))
    question = ask(
        rng,
        "ratio",
        f"What was {possessive(company.name)} ratio of cash from operating activities to "
        f"{company.label('income', 'net_income')} in {fiscal_year(year)}",
    )
    operating = gold.value("cashflow", "operating_cash_flow", year=year)
    net_income = gold.value("income", "net_income", year=year)
    return gold.draft("cash_conversion", "ratio", question, f"{operating} / {net_income}")


def stock_comp_intensity(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("stock_comp"):
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years("stock_comp"))
    question = ask(
        rng,
        "percent",
        f"What was {possessive(company.name)} stock-based compensation expense, summed over all "
        f"award types, as a percentage of {company.label('income', 'revenue')} in "
        f"{fiscal_year(year)}",
    )
    expense = gold.aggregate("SUM", "stock_comp", "award_expense", year=year)
    revenue = gold.value("income", "revenue", year=year)
    return gold.draft("sbc_intensity", "percent", question, f"100.0 * {expense} / {revenue}")


def revenue_per_employee(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("employees"):
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years("employees"))
    if rng.random() < 0.5 or not company.has("geography"):
        question = ask(
            rng,
            "usd",
            f"What was {possessive(company.name)} {company.label('income', 'revenue')} per "
            f"year-end employee in {fiscal_year(year)}",
        )
        revenue = gold.value("income", "revenue", year=year)
        employees = gold.value("employees", "employees", year=year)
        return gold.draft(
            "revenue_per_employee", "usd", question, f"1000000.0 * {revenue} / {employees}"
        )
    if year not in company.years("geography"):
        return None
    question = ask(
        rng,
        "usd",
        f"How much revenue from customers outside the United States did {company.name} generate "
        f"per employee based outside the United States in {fiscal_year(year)}",
    )
    everywhere = gold.aggregate("SUM", "geography", "region_sales", year=year)
    home = gold.value("geography", "region_sales", year=year, region="United States")
    abroad = gold.value("employees", "employees_abroad", year=year)
    expression = f"1000000.0 * ({everywhere} - {home}) / {abroad}"
    return gold.draft("revenue_per_employee", "usd", question, expression)


def price_to_earnings(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("repurchases"):
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years("repurchases"))
    question = ask(
        rng,
        "ratio",
        f"Dividing the average price {company.name} paid for repurchased shares in "
        f"{fiscal_year(year)} by its {company.label('income', 'eps')} for that year gives what "
        f"price-to-earnings multiple",
    )
    price = gold.value("repurchases", "repurchase_price", year=year)
    earnings = gold.value("income", "eps", year=year)
    return gold.draft("valuation_multiple", "ratio", question, f"{price} / {earnings}")


def liquidity_coverage(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("debt_maturities"):
        return None
    periods = debt_periods(company)[: rng.randint(1, 3)]
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year_end = int(periods[0]) - 1
    span = periods[0] if len(periods) == 1 else f"{periods[0]} through {periods[-1]}"
    question = ask(
        rng,
        "ratio",
        f"How many times could {possessive(company.name)} cash and cash equivalents at the end of "
        f"{fiscal_year(year_end)} cover the debt principal scheduled for repayment in {span}",
    )
    cash = gold.value("balance", "cash", year=year_end)
    due = gold.aggregate("SUM", "debt_maturities", "principal_due", period=periods)
    return gold.draft("liquidity_coverage", "ratio", question, f"{cash} / {due}")


def segment_profit_share(company: Company, rng: random.Random) -> Draft | None:
    if not company.has("segments"):
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    year = rng.choice(company.years("segments"))
    segment = rng.choice(company.distinct("segments", "segment"))
    question = ask(
        rng,
        "percent",
        f"The {segment} segment's operating income in {fiscal_year(year)} equalled what "
        f"percentage of {possessive(company.name)} consolidated {company.label('income', 'operating_income')}",
    )
    profit = gold.value("segments", "segment_profit", year=year, segment=segment)
    consolidated = gold.value("income", "operating_income", year=year)
    expression = f"100.0 * {profit} / {consolidated}"
    return gold.draft("segment_profit_share", "percent", question, expression)


def effective_interest_rate(company: Company, rng: random.Random) -> Draft | None:
    year = year_with_prior(company, rng)
    if year is None:
        return None
    gold, fiscal_year = GoldQuery(company), fiscal_year_style(rng)
    question = ask(
        rng,
        "percent",
        f"What effective interest rate did {company.name} pay in {fiscal_year(year)}, measured as "
        f"{company.label('income', 'interest_expense')} over the average of opening and closing total debt",
    )
    average_debt = f"(({total_debt(gold, year - 1)} + {total_debt(gold, year)}) / 2)"
    expression = f"100.0 * {gold.value('income', 'interest_expense', year=year)} / {average_debt}"
    return gold.draft("effective_interest_rate", "percent", question, expression)


MULTI_TABLE: tuple[Template, ...] = (
    return_on_average, asset_turnover, interest_coverage, debt_to_ebitda, payout_ratio,
    capital_return, cash_margin, cash_conversion, stock_comp_intensity, revenue_per_employee,
    price_to_earnings, liquidity_coverage, segment_profit_share, effective_interest_rate,
)  # fmt: skip
