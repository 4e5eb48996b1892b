"""Answer parsing and correctness: a table of answers as people write them, right and wrong."""

from __future__ import annotations

import pytest

from finbehave.rubrics.answers import check_answer, extract_numbers, parse_answer

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
]


@pytest.mark.parametrize(("prediction", "gold", "unit", "correct"), CASES)
def test_answer_table(prediction: str, gold: float | str, unit: str, correct: bool) -> None:
    check = check_answer(prediction, gold, unit)
    assert check.correct is correct, check.explanation


def test_table_is_large_and_balanced() -> None:
    assert len(CASES) >= 40
    assert sum(1 for case in CASES if not case[3]) >= 15


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
