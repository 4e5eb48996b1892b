"""Answer parsing and correctness: a table of answers as people write them, right and wrong."""

from __future__ import annotations

import pytest

from finbehave.rubrics.answers import check_answer, extract_numbers, parse_answer

G_YEARS = r"\boxed{2022 to 2023: 5.2, 2023 to 2024: 3.1}"

CASES = [
    # (prediction, gold, unit, correct)
    ("1234.5", 1234.5, "usd_millions", True),
    ("$1,234.5 million", 1234.5, "usd_millions", True),
    ("$1,234.5", 1234.5, "usd_millions", True),
    ("1.2345 billion", 1234.5, "usd_millions", True),
    ("$1.23 bn", 1234.5, "usd_millions", True),
    ("1,234,500 thousand", 1234.5, "usd_millions", True),
    ("1234.5 million dollars", 1234.5, "usd_millions", True),
    ("The answer is approximately 1,240 million.", 1234.5, "usd_millions", True),
    ("about 1234", 1234.5, "usd_millions", True),
    ("1.2345", 1234.5, "usd_millions", False),
    ("1,300", 1234.5, "usd_millions", False),
    ("(12.3)", -12.3, "usd_millions", True),
    ("-12.3", -12.3, "usd_millions", True),
    ("\u221212.3", -12.3, "usd_millions", True),
    ("$(12.3) million", -12.3, "usd_millions", True),
    ("12.3", -12.3, "usd_millions", False),
    ("12.5%", 12.5, "percent", True),
    ("12.5 %", 12.5, "percent", True),
    ("12.5 percent", 12.5, "percent", True),
    ("0.125", 12.5, "percent", True),
    ("12.5", 12.5, "percent", True),
    ("-3.2%", -3.2, "percent", True),
    ("(3.2)%", -3.2, "percent", True),
    ("0.125%", 12.5, "percent", False),
    ("13.5%", 12.5, "percent", False),
    ("3.2%", -3.2, "percent", False),
    (r"\boxed{12.48\%}", 12.5, "percent", True),
    (r"\boxed{6.118}", 6.118, "ratio", True),
    (r"Work: 10/2 = 5. Final: \boxed{6.12}", 6.118, "ratio", True),
    ("1.8x", 1.8, "ratio", True),
    ("a ratio of 1.79", 1.8, "ratio", True),
    ("2.5x", 1.8, "ratio", False),
    ("$2.15", 2.15, "per_share", True),
    ("2.15 per share", 2.15, "per_share", True),
    ("$2.51", 2.15, "per_share", False),
    ("1,234 employees", 1234, "count", True),
    ("1234", 1234, "count", True),
    ("1,200", 1234, "count", False),
    ("yes", "yes", "boolean", True),
    ("Yes, it increased.", "yes", "boolean", True),
    ("TRUE", "yes", "boolean", True),
    ("no", "yes", "boolean", False),
    ("No.", "no", "boolean", True),
    ("", 1234.5, "usd_millions", False),
    ("I could not find the data.", 1234.5, "usd_millions", False),
    ("Revenue grew from 100 to 110, so the change is 10", 10.0, "usd_millions", True),
    ("answer: 7.5", 7.5, "number", True),
    ("x = 7.49", 7.5, "number", True),
    ("0.00005", 0.0, "number", True),
    ("0.01", 0.0, "number", False),
    ("4.2 years", 4.2, "years", True),
    ("42 years", 4.2, "years", False),
    ("12.5 million", 12.5, "percent", True),
    ("1.25", 12.5, "percent", False),
    # several numbers that are one answer: asides, statements, the same value twice, labels
    ("12.5% (up from 10.2%)", 12.5, "percent", True),
    ("12.5% (vs 10.2% in 2022)", 12.5, "percent", True),
    ("In 2023, revenue was $1,234.5 million", 1234.5, "usd_millions", True),
    ("Revenue grew from 100 to 110", 110.0, "usd_millions", True),
    ("Revenue grew from 100 to 110", 100.0, "usd_millions", False),
    ("12.5%, i.e. 0.125", 12.5, "percent", True),
    ("$77 million, i.e. $77,000 thousand", 77.0, "usd_millions", True),
    ("1.8x (1.79 exactly)", 1.8, "ratio", True),
    ("10 or 10.0", 10.0, "number", True),
    ("approximately 12.5", 12.5, "number", True),
    ("12.5 (approximately)", 12.5, "number", True),
    ("-3.2% (a decline)", -3.2, "percent", True),
    ("Q4 2023 revenue was 1,234.5", 1234.5, "usd_millions", True),
    ("between 2022 and 2023 the margin rose to 12.5%", 12.5, "percent", True),
    ("The answer is 12.5% (from 1,234.5 / 9,876)", 12.5, "percent", True),
    ("(1,234.5 - 1,100) / 1,100 = 12.2%", 12.2, "percent", True),
    ("Net change: 110 - 100 = 10", 10.0, "usd_millions", True),
    ("Maybe 25. Actually, recalculating, it is 12.5", 12.5, "number", True),
    (r"\boxed{12.5} (i.e. 12.5%)", 12.5, "percent", True),
    (r"\boxed{12.5} and again \boxed{12.5}", 12.5, "number", True),
    ("2023: 1,234.5", 1234.5, "usd_millions", True),
    ("FY2023 revenue: $1,234.5 million", 1234.5, "usd_millions", True),
    ("The margin was 12.5% in 2023", 12.5, "percent", True),
    ("1,234.5 as of December 31, 2023", 1234.5, "usd_millions", True),
    ("Headcount rose from 1800 to 2000", 2000.0, "count", True),
    ("2000 employees in 2023", 2000.0, "count", True),
    ("in 2021", 2021.0, "number", True),
    # several candidates: incorrect whichever one is the gold
    ("12.5 or maybe 25", 12.5, "number", False),
    ("12.5 or maybe 25", 25.0, "number", False),
    ("between 12.5 and 15", 12.5, "number", False),
    ("between 12.5 and 15", 15.0, "number", False),
    ("either 10 or 12.5", 10.0, "number", False),
    ("either 10 or 12.5", 12.5, "number", False),
    ("12.5, 25", 25.0, "number", False),
    ("12.5 and 15", 15.0, "number", False),
    ("12.5 to 15", 15.0, "number", False),
    ("12.5-15%", 15.0, "percent", False),
    ("12.5/25", 25.0, "number", False),
    ("12.5; 25", 25.0, "number", False),
    ("12.5 vs. 25", 25.0, "number", False),
    ("roughly 12.5 to 13", 12.5, "number", False),
    ("12.5% vs 10.2%", 10.2, "percent", False),
    ("The answer is 12.5 or 25", 12.5, "number", False),
    ("The answer is 12.5. Or maybe the answer is 25", 25.0, "number", False),
    ("12.5, maybe it's 25", 25.0, "number", False),
    ("12.5 (or 25)", 12.5, "number", False),
    ("12.5% in 2023 or 13% in 2024", 13.0, "percent", False),
    (r"\boxed{12.5} or \boxed{25}", 25.0, "number", False),
    (r"\boxed{12.5} or \boxed{25}", 12.5, "number", False),
    (r"\boxed{12.5 \text{ or } 25}", 12.5, "number", False),
    ("2022: 5.2, 2023: 3.1", 3.1, "number", False),
    # text golds imported as written (Snorkel): one value, several values, words
    (r"-77", r"\boxed{-77} million", "number", True),
    ("(77)", r"\boxed{-77} million", "number", True),
    ("77", r"\boxed{-77} million", "number", False),
    ("Apple", r"\boxed{apple}", "number", True),
    ("Apple Inc.", r"\boxed{apple}", "number", False),
    ("5.2, 3.1", G_YEARS, "number", True),
    ("5.2; 3.1", G_YEARS, "number", True),
    ("5.2 and 3.1", G_YEARS, "number", True),
    ("The changes were 5.2 and 3.1", G_YEARS, "number", True),
    (r"\boxed{5.2}, \boxed{3.1}", G_YEARS, "number", True),
    (r"\boxed{5.2, 3.1}", G_YEARS, "number", True),
    ("2022 to 2023: 5.2, 2023 to 2024: 3.1", G_YEARS, "number", True),
    ("2023-2024: 3.1; 2022-2023: 5.2", G_YEARS, "number", True),
    ("The answer is 5.2, 3.1", G_YEARS, "number", True),
    ("2023-2024: 5.2; 2022-2023: 3.1", G_YEARS, "number", False),
    ("3.1, 5.2", G_YEARS, "number", False),
    ("2022, 2023", G_YEARS, "number", False),
    ("5.2", G_YEARS, "number", False),
    ("5.2, 3.1, 7", G_YEARS, "number", False),
    ("5.2 or maybe 6, 3.1", G_YEARS, "number", False),
    ("5.3, 3.1", G_YEARS, "number", False),
    ("5.2%, 3.1%", r"\boxed{5.2\%}; \boxed{3.1\%}", "number", True),
    ("0.052, 0.031", r"\boxed{5.2\%}; \boxed{3.1\%}", "number", True),
    ("5.2, 3.1", r"\boxed{5.2\%}; \boxed{3.1\%}", "number", True),
    ("6.2%, 3.1%", r"\boxed{5.2\%}; \boxed{3.1\%}", "number", False),
]


@pytest.mark.parametrize(("prediction", "gold", "unit", "correct"), CASES)
def test_answer_table(prediction: str, gold: float | str, unit: str, correct: bool) -> None:
    check = check_answer(prediction, gold, unit)
    assert check.correct is correct, check.explanation


def test_table_is_large_and_balanced() -> None:
    assert len(CASES) >= 120
    assert sum(1 for case in CASES if not case[3]) >= 45


def test_a_hedged_answer_says_so() -> None:
    check = check_answer("12.5 or maybe 25", 25.0, "number")
    assert not check.correct and "several candidate answers" in check.explanation
    assert check.parsed == 25.0  # the number the rubric's grounding checks still see
    parsed = parse_answer("between 12.5 and 15", "number")
    assert parsed.number.value == 15.0 and parsed.rival.value == 12.5
    assert parse_answer("12.5% (up from 10.2%)", "percent").rival is None


def test_several_values_explain_the_match() -> None:
    assert (
        "by their years"
        in check_answer("2023-2024: 3.1; 2022-2023: 5.2", G_YEARS, "number").explanation
    )
    assert "3 values" in check_answer("5.2, 3.1, 7", G_YEARS, "number").explanation


def test_tolerance_is_relative() -> None:
    assert check_answer("101", 100.0, "number", tolerance=0.01).correct
    assert not check_answer("101.5", 100.0, "number", tolerance=0.01).correct
    assert check_answer("101.5", 100.0, "number", tolerance=0.02).correct


def test_explanation_says_what_was_compared() -> None:
    check = check_answer("0.125", 12.5, "percent")
    assert "0.125" in check.explanation and "fraction x100" in check.explanation
    assert check.compared == pytest.approx(12.5)
    assert "no number" in check_answer("n/a", 1.0, "number").explanation


def test_parse_prefers_boxed_then_cue_then_last() -> None:
    assert parse_answer(r"3 and \boxed{4}", "number").number.value == 4
    assert parse_answer("the answer is 7 (from 3 + 4)", "number").number.value == 7
    assert parse_answer("from 3 and 4 we get 9", "number").number.value == 9


def test_extract_numbers() -> None:
    text = "net_sales | 1,234.5 | (12) | -3 | 2.5% | 1e3 | fy2024"
    assert extract_numbers(text) == [1234.5, -12.0, -3.0, 2.5, 1000.0, 2024.0]


PUBLIC = [
    (r"\boxed{6.118}", r"\boxed{6.118}", True),
    ("6.12", r"\boxed{6.118}", True),
    (r"\boxed{6.280\%}", r"\boxed{6.280\%}", True),
    ("6.28%", r"\boxed{6.280\%}", True),
    ("0.0628", r"\boxed{6.280\%}", True),
    ("4.5%", r"\boxed{4.5}", True),
    ("1,234", r"\boxed{1234}", True),
    ("1236", r"\boxed{1234}", False),  # within 1% but more than 1.0 apart
    ("(5)", r"\boxed{-5}", True),
    ("0.0005", r"\boxed{0}", True),
    ("0.01", r"\boxed{0}", False),
    ("2022: 0.933, 2023: 0.930", r"\boxed{2022: 0.933, 2023: 0.930}", True),
    ("0.933; 0.930", r"\boxed{0.933}, \boxed{0.930}", True),
    ("0.933", r"\boxed{0.933}, \boxed{0.930}", False),
    ("Apple", r"\boxed{apple}", True),
]


@pytest.mark.parametrize(("prediction", "gold", "correct"), PUBLIC)
def test_public_reward_rule(prediction: str, gold: str, correct: bool) -> None:
    check = check_answer(prediction, gold, "number", mode="public")
    assert check.correct is correct, check.explanation
