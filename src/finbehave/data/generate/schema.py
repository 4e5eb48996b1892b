"""The generated companies' tables, as data: XBRL-style table names and column-name variants.

Each company picks one name per table and one (SQL name, question label) pair per column, so
schemas differ between companies the way real filings do. Descriptions may use ``{years}`` (the
table's first-last fiscal year), ``{last}`` (the last fiscal year) and table names ``{prefix}``
(the company's XBRL extension prefix). ``MONEY`` columns hold USD millions as DECIMAL(18,2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from finbehave.data.items import ColumnType, Unit

MONEY: ColumnType = "DECIMAL(18,2)"


class ColumnName(NamedTuple):
    """One way a company may name a column: its SQL name and the words questions use for it."""

    sql: str
    label: str


@dataclass(frozen=True)
class ColumnKind:
    """A logical column: its name variants, DuckDB type, description and answer unit."""

    key: str
    names: tuple[ColumnName, ...]
    type: ColumnType
    description: str
    unit: Unit | None = None


@dataclass(frozen=True)
class TableKind:
    """A logical table: its XBRL text-block name variants, description template and columns."""

    key: str
    names: tuple[str, ...]
    description: str
    columns: tuple[ColumnKind, ...]

    def column(self, key: str) -> ColumnKind:
        """The logical column ``key``."""
        return next(column for column in self.columns if column.key == key)


def money(key: str, description: str, *names: tuple[str, str]) -> ColumnKind:
    """A USD-millions column."""
    return ColumnKind(
        key, tuple(ColumnName(*name) for name in names), MONEY, description, "usd_millions"
    )


def column(
    key: str, type: ColumnType, description: str, *names: tuple[str, str], unit: Unit | None = None
) -> ColumnKind:
    """A column of any other type (``unit``: the unit of answers read from it)."""
    return ColumnKind(key, tuple(ColumnName(*name) for name in names), type, description, unit)


FISCAL_YEAR = column("year", "INTEGER", "Fiscal year.", ("fiscal_year", "fiscal year"))

TABLE_KINDS: tuple[TableKind, ...] = (
    TableKind(
        "income",
        names=(
            "us_gaap_ConsolidatedIncomeStatementTableTextBlock",
            "us_gaap_ScheduleOfConsolidatedStatementsOfOperationsTableTextBlock",
        ),
        description="Consolidated statements of operations, fiscal {years} (USD millions except per-share data).",
        columns=(
            FISCAL_YEAR,
            money(
                "revenue",
                "Net sales / revenue.",
                ("net_sales_usd_millions", "net sales"),
                ("total_net_revenue_usd_millions", "total net revenue"),
                ("revenues_usd_millions", "revenues"),
            ),
            money(
                "cost_of_sales",
                "Cost of sales.",
                ("cost_of_sales_usd_millions", "cost of sales"),
                ("cost_of_revenue_usd_millions", "cost of revenue"),
            ),
            money(
                "gross_profit",
                "Net sales less cost of sales.",
                ("gross_profit_usd_millions", "gross profit"),
            ),
            money(
                "sga",
                "Selling, general and admin.",
                (
                    "selling_general_admin_usd_millions",
                    "selling, general and administrative expense",
                ),
                ("sga_expense_usd_millions", "SG&A expense"),
            ),
            money(
                "research",
                "Research and development.",
                ("research_development_usd_millions", "research and development expense"),
                ("rnd_expense_usd_millions", "R&D expense"),
            ),
            money(
                "operating_income",
                "Gross profit less operating expenses.",
                ("operating_income_usd_millions", "operating income"),
                ("income_from_operations_usd_millions", "income from operations"),
            ),
            money(
                "interest_expense",
                "Interest expense.",
                ("interest_expense_usd_millions", "interest expense"),
                ("interest_expense_net_usd_millions", "net interest expense"),
            ),
            money(
                "other_income",
                "Other non-operating income (negative = expense).",
                ("other_income_expense_net_usd_millions", "other income (expense), net"),
            ),
            money(
                "pretax_income",
                "Operating income less interest plus other income.",
                ("income_before_income_taxes_usd_millions", "income before income taxes"),
                ("pretax_income_usd_millions", "pre-tax income"),
            ),
            money(
                "income_tax",
                "Income tax expense.",
                ("provision_for_income_taxes_usd_millions", "provision for income taxes"),
                ("income_tax_expense_usd_millions", "income tax expense"),
            ),
            money(
                "net_income",
                "Pre-tax income less income taxes.",
                ("net_income_usd_millions", "net income"),
                ("net_earnings_usd_millions", "net earnings"),
            ),
            column(
                "eps",
                "DOUBLE",
                "Diluted earnings per share, USD.",
                ("diluted_eps_usd", "diluted earnings per share"),
                ("earnings_per_share_diluted_usd", "diluted EPS"),
                unit="per_share",
            ),
            column(
                "diluted_shares",
                "DOUBLE",
                "Weighted-average diluted shares outstanding, millions.",
                ("weighted_avg_diluted_shares_millions", "weighted-average diluted shares"),
                unit="count",
            ),
        ),
    ),
    TableKind(
        "balance",
        names=(
            "us_gaap_ConsolidatedBalanceSheetTableTextBlock",
            "us_gaap_ScheduleOfStatementOfFinancialPositionTableTextBlock",
        ),
        description="Consolidated balance sheets at fiscal year end, fiscal {years} (USD millions).",
        columns=(
            FISCAL_YEAR,
            money(
                "cash",
                "Cash and equivalents.",
                ("cash_and_equivalents_usd_millions", "cash and cash equivalents"),
                ("cash_cash_equivalents_usd_millions", "cash and equivalents"),
            ),
            money(
                "receivables",
                "Receivables net of allowances.",
                ("accounts_receivable_net_usd_millions", "accounts receivable, net"),
                ("trade_receivables_usd_millions", "trade receivables"),
            ),
            money(
                "inventory",
                "Inventories.",
                ("inventories_usd_millions", "inventories"),
                ("inventory_net_usd_millions", "inventory"),
            ),
            money(
                "other_current_assets",
                "Other current assets.",
                (
                    "prepaid_and_other_current_assets_usd_millions",
                    "prepaid expenses and other current assets",
                ),
            ),
            money(
                "current_assets",
                "Sum of current assets.",
                ("total_current_assets_usd_millions", "total current assets"),
            ),
            money(
                "ppe",
                "Net property, plant and equipment.",
                ("property_plant_equipment_net_usd_millions", "property, plant and equipment, net"),
                ("ppe_net_usd_millions", "net PP&E"),
            ),
            money("goodwill", "Goodwill.", ("goodwill_usd_millions", "goodwill")),
            money(
                "other_noncurrent_assets",
                "Intangibles, leases and other non-current assets.",
                ("other_noncurrent_assets_usd_millions", "other non-current assets"),
            ),
            money(
                "total_assets", "Sum of all assets.", ("total_assets_usd_millions", "total assets")
            ),
            money(
                "payables",
                "Accounts payable.",
                ("accounts_payable_usd_millions", "accounts payable"),
            ),
            money(
                "accrued",
                "Accrued expenses and other current liabilities.",
                ("accrued_liabilities_usd_millions", "accrued liabilities"),
            ),
            money(
                "current_debt",
                "Debt due within one year.",
                (
                    "current_portion_long_term_debt_usd_millions",
                    "current portion of long-term debt",
                ),
                ("short_term_borrowings_usd_millions", "short-term borrowings"),
            ),
            money(
                "current_liabilities",
                "Sum of current liabilities.",
                ("total_current_liabilities_usd_millions", "total current liabilities"),
            ),
            money(
                "long_term_debt",
                "Debt due after one year.",
                ("long_term_debt_noncurrent_usd_millions", "long-term debt"),
                ("long_term_borrowings_usd_millions", "long-term borrowings"),
            ),
            money(
                "other_noncurrent_liabilities",
                "Other non-current liabilities.",
                ("other_noncurrent_liabilities_usd_millions", "other non-current liabilities"),
            ),
            money(
                "total_liabilities",
                "Sum of liabilities.",
                ("total_liabilities_usd_millions", "total liabilities"),
            ),
            money(
                "equity",
                "Total assets less total liabilities.",
                ("total_stockholders_equity_usd_millions", "total stockholders' equity"),
                ("total_shareholders_equity_usd_millions", "total shareholders' equity"),
            ),
            money(
                "liabilities_and_equity",
                "Equals total assets.",
                ("total_liabilities_and_equity_usd_millions", "total liabilities and equity"),
            ),
        ),
    ),
    TableKind(
        "cashflow",
        names=(
            "us_gaap_ConsolidatedCashFlowStatementTableTextBlock",
            "us_gaap_ScheduleOfCashFlowStatementTableTextBlock",
        ),
        description="Consolidated statements of cash flows, fiscal {years} (USD millions; payments are positive amounts, section totals are signed).",
        columns=(
            FISCAL_YEAR,
            money(
                "depreciation",
                "Depreciation and amortization.",
                ("depreciation_amortization_usd_millions", "depreciation and amortization"),
            ),
            money(
                "stock_compensation",
                "Stock-based compensation expense (non-cash).",
                ("stock_based_compensation_usd_millions", "stock-based compensation"),
            ),
            money(
                "deferred_taxes",
                "Deferred income taxes.",
                ("deferred_income_taxes_usd_millions", "deferred income taxes"),
            ),
            money(
                "working_capital_change",
                "Working-capital changes.",
                (
                    "changes_in_operating_assets_liabilities_usd_millions",
                    "changes in operating assets and liabilities",
                ),
            ),
            money(
                "operating_cash_flow",
                "Net income plus the adjustments above.",
                ("net_cash_from_operating_activities_usd_millions", "cash from operations"),
                ("operating_cash_flow_usd_millions", "operating cash flow"),
            ),
            money(
                "capex",
                "Purchases of property and equipment (outflow).",
                ("payments_for_property_plant_equipment_usd_millions", "capital expenditures"),
                ("capital_expenditures_usd_millions", "capital expenditures"),
            ),
            money(
                "acquisitions",
                "Acquisitions, net of cash acquired (outflow).",
                ("payments_for_acquisitions_usd_millions", "acquisition spending"),
            ),
            money(
                "other_investing",
                "Other investing cash flows (signed).",
                ("other_investing_activities_usd_millions", "other investing activities"),
            ),
            money(
                "investing_cash_flow",
                "Signed total of investing cash flows.",
                (
                    "net_cash_from_investing_activities_usd_millions",
                    "net cash from investing activities",
                ),
            ),
            money(
                "repurchase_payments",
                "Payments for repurchases of common stock (outflow).",
                ("repurchases_of_common_stock_usd_millions", "share repurchases"),
            ),
            money(
                "dividend_payments",
                "Cash dividends (outflow).",
                ("dividends_paid_usd_millions", "dividends paid"),
            ),
            money(
                "net_borrowing",
                "Debt issued less debt repaid (signed).",
                ("net_proceeds_repayments_of_debt_usd_millions", "net debt proceeds (repayments)"),
            ),
            money(
                "other_financing",
                "Other financing cash flows (signed).",
                ("other_financing_activities_usd_millions", "other financing activities"),
            ),
            money(
                "financing_cash_flow",
                "Signed total of financing cash flows.",
                (
                    "net_cash_from_financing_activities_usd_millions",
                    "net cash from financing activities",
                ),
            ),
            money(
                "net_change_in_cash",
                "Operating plus investing plus financing cash flows.",
                ("net_change_in_cash_usd_millions", "net change in cash"),
            ),
        ),
    ),
    TableKind(
        "segments",
        names=(
            "us_gaap_ScheduleOfSegmentReportingInformationBySegmentTextBlock",
            "us_gaap_DisaggregationOfRevenueTableTextBlock",
        ),
        description="Net sales and operating income by reportable segment, fiscal {years} (USD millions; segment operating income excludes unallocated corporate costs).",
        columns=(
            FISCAL_YEAR,
            column(
                "segment",
                "VARCHAR",
                "Reportable segment.",
                ("segment_name", "segment"),
                ("reportable_segment", "segment"),
            ),
            money(
                "segment_sales",
                "External net sales of the segment.",
                ("segment_net_sales_usd_millions", "net sales"),
                ("segment_revenue_usd_millions", "revenue"),
            ),
            money(
                "segment_profit",
                "Segment operating income.",
                ("segment_operating_income_usd_millions", "operating income"),
                ("segment_profit_usd_millions", "segment profit"),
            ),
        ),
    ),
    TableKind(
        "geography",
        names=(
            "us_gaap_RevenueFromExternalCustomersByGeographicAreasTableTextBlock",
            "us_gaap_ScheduleOfRevenuesFromExternalCustomersByGeographicAreaTableTextBlock",
        ),
        description="Net sales by geographic area (customer location), fiscal {years} (USD millions).",
        columns=(
            FISCAL_YEAR,
            column(
                "region",
                "VARCHAR",
                "Geographic area.",
                ("geographic_area", "region"),
                ("region_name", "region"),
            ),
            money(
                "region_sales",
                "Net sales to the area.",
                ("net_sales_usd_millions", "net sales"),
                ("revenue_from_external_customers_usd_millions", "revenue"),
            ),
        ),
    ),
    TableKind(
        "repurchases",
        names=(
            "us_gaap_ClassOfTreasuryStockTableTextBlock",
            "us_gaap_ScheduleOfShareRepurchaseProgramTableTextBlock",
        ),
        description="Common stock repurchased under the share repurchase program, fiscal {years}.",
        columns=(
            FISCAL_YEAR,
            column(
                "shares_repurchased",
                "INTEGER",
                "Shares repurchased, thousands.",
                ("shares_repurchased_thousands", "shares repurchased"),
                ("number_of_shares_purchased_thousands", "shares purchased"),
                unit="count",
            ),
            column(
                "repurchase_price",
                "DOUBLE",
                "Average price paid per share, USD.",
                ("average_price_paid_per_share_usd", "average price paid per share"),
                unit="per_share",
            ),
            money(
                "repurchase_cost",
                "Total cost of shares repurchased.",
                ("total_cost_usd_millions", "amount spent on repurchases"),
                ("aggregate_purchase_price_usd_millions", "amount spent on repurchases"),
            ),
        ),
    ),
    TableKind(
        "dividends",
        names=(
            "us_gaap_DividendsDeclaredTableTextBlock",
            "us_gaap_ScheduleOfDividendsPayableTableTextBlock",
        ),
        description=("Cash dividends on common stock, fiscal {years}."),
        columns=(
            FISCAL_YEAR,
            column(
                "dividend_per_share",
                "DOUBLE",
                "Dividends declared per common share, USD.",
                ("dividends_declared_per_share_usd", "dividends declared per share"),
                ("cash_dividend_per_common_share_usd", "dividend per share"),
                unit="per_share",
            ),
            money(
                "dividends_paid",
                "Cash dividends paid.",
                ("dividends_paid_usd_millions", "dividends paid"),
                ("cash_dividends_paid_usd_millions", "cash dividends paid"),
            ),
        ),
    ),
    TableKind(
        "debt_maturities",
        names=(
            "us_gaap_ScheduleOfMaturitiesOfLongTermDebtTableTextBlock",
            "us_gaap_LongTermDebtMaturitiesScheduleTableTextBlock",
        ),
        description="Scheduled principal payments of total debt outstanding at the end of fiscal {last} (USD millions).",
        columns=(
            column(
                "period",
                "VARCHAR",
                "Fiscal year in which principal is due, or 'Thereafter'.",
                ("maturity_period", "period"),
                ("fiscal_period_due", "period"),
            ),
            money(
                "principal_due",
                "Principal due.",
                ("principal_due_usd_millions", "principal due"),
                ("scheduled_repayment_usd_millions", "scheduled repayment"),
            ),
        ),
    ),
    TableKind(
        "debt_instruments",
        names=(
            "us_gaap_ScheduleOfDebtTableTextBlock",
            "us_gaap_ScheduleOfLongTermDebtInstrumentsTableTextBlock",
        ),
        description=("Debt instruments outstanding at the end of fiscal {last} (USD millions)."),
        columns=(
            column(
                "instrument",
                "VARCHAR",
                "Debt instrument.",
                ("debt_instrument", "instrument"),
                ("instrument_description", "instrument"),
            ),
            column(
                "interest_rate",
                "DOUBLE",
                "Stated annual rate, %.",
                ("stated_interest_rate_percent", "stated interest rate"),
                ("coupon_rate_pct", "coupon rate"),
            ),
            column(
                "maturity_year",
                "INTEGER",
                "Fiscal year of maturity.",
                ("maturity_fiscal_year", "maturity year"),
            ),
            money(
                "principal",
                "Principal outstanding.",
                ("principal_outstanding_usd_millions", "principal outstanding"),
                ("carrying_principal_usd_millions", "principal"),
            ),
        ),
    ),
    TableKind(
        "stock_comp",
        names=(
            "us_gaap_ShareBasedCompensationAllocationOfRecognizedPeriodCostsTableTextBlock",
            "us_gaap_ScheduleOfShareBasedCompensationExpenseByAwardTypeTableTextBlock",
        ),
        description="Stock-based compensation expense by award type, fiscal {years} (USD millions).",
        columns=(
            FISCAL_YEAR,
            column(
                "award",
                "VARCHAR",
                "Type of share-based award.",
                ("award_type", "award type"),
                ("share_based_award_category", "award type"),
            ),
            money(
                "award_expense",
                "Expense recognized for the award type.",
                ("compensation_expense_usd_millions", "stock-based compensation expense"),
                ("recognized_cost_usd_millions", "stock-based compensation expense"),
            ),
        ),
    ),
    TableKind(
        "employees",
        names=(
            "{prefix}_HumanCapitalWorkforceTableTextBlock",
            "{prefix}_ScheduleOfEmployeeHeadcountTableTextBlock",
        ),
        description=("Workforce at fiscal year end, fiscal {years}."),
        columns=(
            FISCAL_YEAR,
            column(
                "employees",
                "INTEGER",
                "Full-time equivalent employees at year end.",
                ("total_employees_at_year_end", "employees"),
                ("headcount_year_end", "headcount"),
                unit="count",
            ),
            column(
                "employees_abroad",
                "INTEGER",
                "Employees located outside the United States.",
                ("employees_outside_united_states", "employees outside the United States"),
                unit="count",
            ),
        ),
    ),
    TableKind(
        "quarterly",
        names=(
            "us_gaap_QuarterlyFinancialInformationTableTextBlock",
            "us_gaap_ScheduleOfQuarterlyFinancialDataTableTextBlock",
        ),
        description=("Unaudited quarterly results, fiscal {years} (USD millions)."),
        columns=(
            FISCAL_YEAR,
            column("quarter", "INTEGER", "Fiscal quarter, 1 to 4.", ("fiscal_quarter", "quarter")),
            money(
                "quarter_sales",
                "Net sales for the quarter.",
                ("quarterly_net_sales_usd_millions", "net sales"),
                ("quarter_revenue_usd_millions", "revenue"),
            ),
            money(
                "quarter_gross_profit",
                "Gross profit for the quarter.",
                ("quarterly_gross_profit_usd_millions", "gross profit"),
            ),
            money(
                "quarter_net_income",
                "Net income for the quarter.",
                ("quarterly_net_income_usd_millions", "net income"),
            ),
        ),
    ),
)
TABLES: dict[str, TableKind] = {kind.key: kind for kind in TABLE_KINDS}
