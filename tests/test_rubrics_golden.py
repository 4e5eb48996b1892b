"""Golden traces: hand-built stories with their exact behaviour scores and failure tags, on the
default and the public toolset; failures carry their kind as the Inspect error type."""

from __future__ import annotations

import math

import pytest
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageTool,
    ChatMessageUser,
)
from inspect_ai.tool import ToolCall, ToolCallError

from finbehave.data.items import Item
from finbehave.rubrics import load_rubric, score_trace
from finbehave.vocab import ERROR_TYPES, ErrorKind

T = "us_gaap_IncomeStatementTableTextBlock"
S = "us_gaap_SegmentRevenueTableTextBlock"
NAN = math.nan
ITEM = Item(
    id="finqa-acme-001",
    task="finqa",
    company="acme",
    question="By what percent did net sales grow from 2022 to 2023?",
    answer=10.0,
    unit="percent",
    gold_sql="SELECT ...",
    required_tables=[T],
    required_columns=[f"{T}.fiscal_year", f"{T}.net_sales_usd_millions"],
    kind="percent_change",
    split="test",
)
MONEY = ITEM.model_copy(update={"answer": 1234.5, "unit": "usd_millions", "kind": "lookup"})
MULTI = ITEM.model_copy(
    update={
        "task": "finqa_reasoning",
        "required_tables": [S, T],
        "answer": 57.8512,
        "kind": "share_of_total",
    }
)
ERR_TABLE = 'Catalog Error: Table with name income_statement does not exist!\nDid you mean "x"?'
ERR_COLUMN = 'Binder Error: Referenced column "revenue" not found in FROM clause!'
GROWTH = "fiscal_year | net_sales_usd_millions\n2022 | 1100.0\n2023 | 1210.0"


class Story:
    """Builds a message list: each `call` is one assistant turn with one tool call."""

    def __init__(self) -> None:
        self.messages: list[ChatMessage] = [
            ChatMessageSystem(content="system"),
            ChatMessageUser(content=ITEM.question),
        ]

    def call(
        self,
        function: str,
        result: str = "",
        error: str | None = None,
        kind: ErrorKind = "error",
        **args,
    ) -> Story:
        call_id = f"c{len(self.messages)}"
        self.messages.append(
            ChatMessageAssistant(content="", tool_calls=[ToolCall(call_id, function, args)])
        )
        self.messages.append(
            ChatMessageTool(
                content="" if error else result,
                tool_call_id=call_id,
                function=function,
                error=ToolCallError(ERROR_TYPES[kind], error) if error else None,  # type: ignore[arg-type]
            )
        )
        return self

    def submit(self, answer: str) -> Story:
        return self.call("submit", answer, answer=answer)


def story_235b() -> Story:
    bad = "SELECT revenue FROM income_statement"
    return (
        Story()
        .call("sql_query", error=ERR_TABLE, kind="missing_table", query=bad)
        .call("sql_query", error=ERR_TABLE, kind="missing_table", query=bad)
        .submit("12.7")
    )


def story_tuned_4b() -> Story:
    return (
        Story()
        .call("get_table_names", f"{T}\n{S}")
        .call("get_table_info", "cols", table_name=T)
        .call("sql_query", error=ERR_COLUMN, query=f"SELECT revenue FROM {T}")
        .call("sql_query", GROWTH, query=f"SELECT fiscal_year, net_sales_usd_millions FROM {T}")
        .submit("10.0")
    )


def story_discover_then_guess() -> Story:
    return Story().call("get_table_names", f"{T}\n{S}").submit("8.5")


def story_repeated_failing_call() -> Story:
    bad = f"SELECT revenue FROM {T}"
    return (
        Story()
        .call("get_table_names", T)
        .call("get_table_info", "cols", table_name=T)
        .call("sql_query", error=ERR_COLUMN, query=bad)
        .call("sql_query", error=ERR_COLUMN, query=bad)
        .call("sql_query", GROWTH, query=f"SELECT * FROM {T}")
        .submit("10")
    )


def story_unit_slip() -> Story:
    return (
        Story()
        .call("get_table_names", T)
        .call("get_table_info", "cols", table_name=T)
        .call("sql_query", "net_sales_usd_millions\n1234.5", query=f"SELECT x FROM {T}")
        .submit("1.2345")
    )


def story_message_limit() -> Story:
    story = Story().call("get_table_names", T).call("get_table_info", "cols", table_name=T)
    for year in range(2015, 2020):
        story.call("sql_query", GROWTH, query=f"SELECT * FROM {T} WHERE fiscal_year > {year}")
    return story


def story_no_submission() -> Story:
    return Story().call("get_table_names", T).call("get_table_info", "cols", table_name=T)


def story_hostile_rejected() -> Story:
    refused = (
        "DROP statements are not allowed: the database is read-only; send one SELECT "
        "(or WITH ... SELECT) statement"
    )
    return (
        Story()
        .call("get_table_names", T)
        .call("get_table_info", "cols", table_name=T)
        .call("sql_query", error=refused, kind="refused", query=f"DROP TABLE {T}")
        .call("sql_query", GROWTH, query=f"SELECT * FROM {T}")
        .submit("10.0%")
    )


def story_multi_table() -> Story:
    result = "share\n57.8512"
    return (
        Story()
        .call("get_table_names", f"{T}\n{S}")
        .call("get_table_info", "cols", table_name=S)
        .call("get_table_info", "cols", table_name=T)
        .call("sql_query", result, query=f"SELECT 1 FROM {S} JOIN {T} USING (fiscal_year)")
        .submit("57.85")
    )


def story_public() -> Story:
    """The careful path on the public toolset: listing is get_descriptions, and the table is an
    argument of get_table_info and sql_query."""
    rows = (
        '[{"fiscal_year": 2022, "net_sales": 1100.0}, {"fiscal_year": 2023, "net_sales": 1210.0}]'
    )
    query = f"SELECT fiscal_year, net_sales FROM {T} WHERE fiscal_year IN (2022, 2023)"
    return (
        Story()
        .call("get_descriptions", f'["{T}", "{S}"]', company_name="acme")
        .call("get_table_info", '{"description": "..."}', company_name="acme", table_name=T)
        .call("sql_query", rows, company_name="acme", table_name=T, query=query)
        .submit("\\boxed{10.0\\%}")
    )


def story_public_skips_inspection() -> Story:
    return (
        Story()
        .call("get_descriptions", f'["{T}"]', company_name="acme")
        .call("sql_query", '[{"x": 1234.5}]', company_name="acme", table_name=T, query="SELECT x")
        .submit("1234.5")
    )


def story_error_then_other_tool_then_guess() -> Story:
    return (
        Story()
        .call("sql_query", error=ERR_COLUMN, query=f"SELECT revenue FROM {T}")
        .call("get_table_names", f"{T}\n{S}")
        .submit("8.5")
    )


def story_label_digits() -> Story:
    """A number that is only digits inside a label (S&P 500) is not a value."""
    rows = "item | value\nS&P 500 index | 231.5\nPeer group 2021 | 187.25"
    return (
        Story()
        .call("get_table_names", T)
        .call("get_table_info", "cols", table_name=T)
        .call("sql_query", rows, query=f"SELECT item, value FROM {T}")
        .submit("500")
    )


def story_calculator_on_invented_input() -> Story:
    return (
        Story()
        .call("get_table_names", T)
        .call("get_table_info", "cols", table_name=T)
        .call("sql_query", GROWTH, query=f"SELECT * FROM {T}")
        .call("calculator", "4321", expression="4321")
        .submit("4321")
    )


def story_calculator_on_values() -> Story:
    return (
        Story()
        .call("get_table_names", T)
        .call("get_table_info", "cols", table_name=T)
        .call("sql_query", GROWTH, query=f"SELECT * FROM {T}")
        .call("calculator", "10", expression="(1210.0 - 1100) / 1100 * 100")
        .submit("10")
    )


KEYS = (
    "tool_discovery",
    "schema_inspection",
    "self_correction",
    "answer_correctness",
    "grounding",
    "efficiency",
    "rubric_score",
)
# story, item, limit_hit, expected scores (KEYS order), expected tags
GOLDEN = [
    (
        "235b",
        story_235b,
        ITEM,
        False,
        (0, 0, 0, 0, 0, NAN, 0),
        [
            "hallucinated_answer",
            "no_schema_inspection",
            "nonexistent_table",
            "repeated_failing_call",
        ],
    ),
    ("tuned_4b", story_tuned_4b, ITEM, False, (1, 1, 1, 1, 1, 1, 1), []),
    (
        "discover_then_guess",
        story_discover_then_guess,
        ITEM,
        False,
        (1, 0, NAN, 0, 0, NAN, 0),
        ["hallucinated_answer"],
    ),
    (
        "repeated_failing_call",
        story_repeated_failing_call,
        ITEM,
        False,
        (1, 1, 0, 1, 1, 6 / 7, (2 + 2 + 0 - 1 + 5 + 3 + 6 / 7) / 15),
        ["repeated_failing_call"],
    ),
    (
        "unit_slip",
        story_unit_slip,
        MONEY,
        False,
        (1, 1, NAN, 0, 1, NAN, 7 / 12),
        ["arithmetic_or_unit_error"],
    ),
    (
        "message_limit",
        story_message_limit,
        ITEM,
        True,
        (1, 1, NAN, 0, NAN, NAN, 4 / 9),
        ["hit_message_limit", "no_submission"],
    ),
    (
        "no_submission",
        story_no_submission,
        ITEM,
        False,
        (1, 1, NAN, 0, NAN, NAN, 4 / 9),
        ["no_submission"],
    ),
    (
        "hostile_rejected",
        story_hostile_rejected,
        ITEM,
        False,
        (1, 1, 1, 1, 1, 1, 1),
        ["sql_rejected"],
    ),
    ("multi_table", story_multi_table, MULTI, False, (1, 1, NAN, 1, 1, 1, 1), []),
    ("public", story_public, ITEM, False, (1, 1, NAN, 1, 1, 1, 1), []),
    (
        "public_skips_inspection",
        story_public_skips_inspection,
        MONEY,
        False,
        (1, 0, NAN, 1, 1, 1, 11 / 13),
        ["no_schema_inspection"],
    ),
    (
        "error_then_other_tool_then_guess",
        story_error_then_other_tool_then_guess,
        ITEM,
        False,
        (0, 0, 0, 0, 0, NAN, 0),
        ["hallucinated_answer", "no_schema_inspection", "wrong_column_no_recovery"],
    ),
    (
        "label_digits",
        story_label_digits,
        MONEY,
        False,
        (1, 1, NAN, 0, 0, NAN, 2 / 12),
        ["hallucinated_answer"],
    ),
    (
        "calculator_on_invented_input",
        story_calculator_on_invented_input,
        MONEY,
        False,
        (1, 1, NAN, 0, 0, NAN, 2 / 12),
        ["hallucinated_answer"],
    ),
    ("calculator_on_values", story_calculator_on_values, ITEM, False, (1, 1, NAN, 1, 1, 1, 1), []),
]


@pytest.mark.parametrize(
    ("name", "build", "item", "limit_hit", "expected", "tags"), GOLDEN, ids=[g[0] for g in GOLDEN]
)
def test_golden_trace(name, build, item, limit_hit, expected, tags) -> None:
    result = score_trace(build().messages, item, load_rubric(), limit_hit=limit_hit)
    for key, want in zip(KEYS, expected, strict=True):
        got = result.scores[key]
        if math.isnan(want):
            assert math.isnan(got), (name, key, got)
        else:
            assert got == pytest.approx(want), (name, key, got)
    assert result.tags == tags, name


def test_235b_and_tuned_4b_are_told_apart() -> None:
    rubric = load_rubric()
    big = score_trace(story_235b().messages, ITEM, rubric)
    small = score_trace(story_tuned_4b().messages, ITEM, rubric)
    assert small.scores["rubric_score"] == 1.0 and big.scores["rubric_score"] == 0.0
    recovered = next(c for c in small.criteria if c.id == "recovered_from_error")
    assert recovered.verdict == "met" and recovered.evidence["message_index"] == 9
    invented = next(c for c in big.criteria if c.id == "grounded_answer")
    assert invented.verdict == "unmet" and "never returned" in invented.evidence["text"]


def test_criteria_are_instantiated_per_item() -> None:
    result = score_trace(story_tuned_4b().messages, ITEM, load_rubric())
    inspected = next(c for c in result.criteria if c.id == "inspected_required_tables")
    assert f"`{T}`" in inspected.description
    correct = next(c for c in result.criteria if c.id == "correct_answer")
    assert "10.0" in correct.description and "percent" in correct.description
    assert result.rubric_version == load_rubric().version


def test_item_extra_criteria_are_scored() -> None:
    extra = {
        "id": "item_listed",
        "behaviour": "tool_discovery",
        "check": "listed_tables_first",
        "weight": 4,
        "description": "item-specific",
    }
    item = ITEM.model_copy(update={"rubric": [extra]})
    result = score_trace(story_235b().messages, item, load_rubric())
    assert any(c.id == "item_listed" and c.verdict == "unmet" for c in result.criteria)


def test_a_refusal_is_read_from_its_kind_not_its_wording() -> None:
    """sql_rejected comes from the error type (a permission error), whatever the message says."""
    rubric = load_rubric()

    def tags(message: str, kind: ErrorKind) -> list[str]:
        story = (
            Story()
            .call("get_table_names", T)
            .call("get_table_info", "cols", table_name=T)
            .call("sql_query", error=message, kind=kind, query=f"DELETE FROM {T}")
            .call("sql_query", GROWTH, query=f"SELECT * FROM {T}")
            .submit("10")
        )
        return score_trace(story.messages, ITEM, rubric).tags

    assert tags("Nope: this database only answers questions", "refused") == ["sql_rejected"]
    assert tags("DELETE statements are not allowed: the database is read-only", "error") == []


def test_only_a_focused_final_query_grounds_a_derived_wrong_answer() -> None:
    """One step over every pair of a wide table reaches almost any number: a submitted number
    may be derived from a final query of at most a few values, while the gold (for a correct
    answer) may follow from a wide one too."""
    rubric = load_rubric()
    wide = "fiscal_year | net_sales | cost | other\n" + "\n".join(
        f"{year} | {sales} | {cost} | {other}"
        for year, sales, cost, other in [
            (2020, 1000.0, 610.5, 71.25),
            (2021, 1050.0, 640.0, 80.5),
            (2022, 1100.0, 700.25, 85.0),
            (2023, 1210.0, 745.0, 91.75),
        ]
    )

    def grounding(result: str, answer: str) -> float:
        story = (
            Story()
            .call("get_table_names", T)
            .call("get_table_info", "cols", table_name=T)
            .call("sql_query", result, query=f"SELECT * FROM {T}")
            .submit(answer)
        )
        return score_trace(story.messages, ITEM, rubric).scores["grounding"]

    assert grounding(wide, "10") == 1.0  # correct, and the gold follows from the table
    assert grounding(wide, "110") == 0.0  # 1210 - 1100, but out of a 16-value table
    assert grounding(GROWTH, "110") == 1.0  # the same step from a focused final query
