"""Answer correctness: the one implementation, used by the scorer, the rubric and the reward.

Answers are parsed as people write them: ``$1,234.5 million``, ``(12.3)`` negatives, ``12.5%``,
``1.2 billion``, ``\\boxed{...}``, ``12.3x``, ``yes``/``no``, leading and trailing words.

Which number counts when a text has several: the content of the last ``\\boxed{}`` if any; else
the number after an "answer is"/"answer:"/"=" cue; else the last number of the text (the final
value of a worked answer). Units:

- ``percent`` golds are percentage points (12.5 means 12.5%). A number written with ``%`` is in
  points; a bare number may be points or a fraction, so both ``12.5`` and ``0.125`` match 12.5.
- ``usd_millions``: ``billion``/``bn`` x1000, ``thousand``/``k`` /1000, ``million``/``m``/``mn`` x1;
  a bare number is taken as millions.
- ``boolean``: yes/no/true/false, case-insensitive.

A prediction is correct when ``|pred - gold| <= tolerance * |gold|``; for golds with
``|gold| < 1e-6`` the absolute difference must be below ``ABS_EPSILON``.

``mode="public"`` applies the reward rule of the public FinQA agent environment instead
(relative error <= 1% *and* absolute difference <= 1.0, ``%`` divides by 100 with a retry without
dividing, several boxed values compared one by one, string equality as the fallback).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from finbehave.data.items import Unit

ABS_EPSILON = 1e-4
PUBLIC_TOLERANCE = 0.01
PUBLIC_MAX_ABS_DIFF = 1.0
Mode = Literal["finbehave", "public"]

_NUM_RE = re.compile(
    r"(?P<paren>\(\s*)?"
    r"(?P<sign>[-+\u2212])?\s?\$?\s?"
    r"(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?P<exp>[eE][-+]?\d+)?"
    r"\s?(?P<pct>%|\\%|\s?percent\b|\s?pct\b)?"
    r"(?:\s?(?P<scale>billion|bn|million|mn|thousand|trillion|[bmkBMK])\b)?"
    r"(?P<close>\s*\))?",
    re.IGNORECASE,
)
_BOXED_RE = re.compile(r"\\boxed\{((?:[^{}]|\{[^{}]*\})*)\}")
_TEXT_CMD_RE = re.compile(r"\\text\{([^{}]*)\}")
_CUE_RE = re.compile(r"(?:answer\s*(?:is|:|=)|result\s*(?:is|:)|=)\s*", re.IGNORECASE)
_YES = {"yes", "true", "y"}
_NO = {"no", "false", "n"}
_SCALES = {
    "trillion": 1e6,
    "billion": 1e3,
    "bn": 1e3,
    "b": 1e3,
    "million": 1.0,
    "mn": 1.0,
    "m": 1.0,
    "thousand": 1e-3,
    "k": 1e-3,
}


@dataclass(frozen=True)
class NumberToken:
    """A number as written: its value, whether a % sign followed, and its scale word (if any)."""

    value: float
    percent: bool
    scale: str | None
    text: str


@dataclass(frozen=True)
class ParsedAnswer:
    """What a prediction was read as: a boolean word, a number, or nothing."""

    text: str
    boolean: str | None = None
    number: NumberToken | None = None

    @property
    def empty(self) -> bool:
        return self.boolean is None and self.number is None


@dataclass(frozen=True)
class AnswerCheck:
    """The verdict on one answer, with what was parsed and compared."""

    correct: bool
    parsed: float | str | None
    compared: float | None
    gold: float | str
    explanation: str


def _clean(text: str) -> str:
    text = _TEXT_CMD_RE.sub(r"\1", text)
    return text.replace("\\$", "$").replace("\\%", "%").replace("\u2212", "-").replace("\\,", "")


def _tokens(text: str) -> list[NumberToken]:
    tokens = []
    for match in _NUM_RE.finditer(text):
        raw = match.group("num").replace(",", "") + (match.group("exp") or "")
        try:
            value = float(raw)
        except ValueError:
            continue
        negative = match.group("sign") in ("-", "\u2212")
        if match.group("paren") and match.group("close"):
            negative = True
        scale = match.group("scale")
        tokens.append(
            NumberToken(
                value=-value if negative else value,
                percent=bool(match.group("pct")),
                scale=scale.lower() if scale else None,
                text=match.group(0).strip(),
            )
        )
    return tokens


_FAST_NUM_RE = re.compile(
    r"(\(\s*)?([-+\u2212])?\$?\s?((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)([eE][-+]?\d+)?(\s*\))?"
)


_PLAIN_NUM_RE = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def extract_numbers(text: str) -> list[float]:
    """Every number a text shows, as written (``12.5%`` gives 12.5, ``(12)`` gives -12)."""
    if "," not in text and "(" not in text and "\u2212" not in text:
        return [float(x) for x in _PLAIN_NUM_RE.findall(text)]  # fast path: plain results
    values = []
    for paren, sign, digits, exponent, close in _FAST_NUM_RE.findall(text):
        value = float(digits.replace(",", "") + exponent)
        values.append(-value if sign in ("-", "\u2212") or (paren and close) else value)
    return values


def _pick(text: str) -> NumberToken | None:
    """The number that is the answer (rule in the module docstring)."""
    boxed = _BOXED_RE.findall(text)
    if boxed:
        tokens = _tokens(_clean(boxed[-1]))
        if tokens:
            return tokens[0]
    cleaned = _clean(text)
    cues = list(_CUE_RE.finditer(cleaned))
    if cues:
        after = _tokens(cleaned[cues[-1].end() :])
        if after:
            return after[0]
    tokens = _tokens(cleaned)
    return tokens[-1] if tokens else None


def parse_answer(text: str, unit: Unit) -> ParsedAnswer:
    """Read a prediction: a yes/no word for boolean units, otherwise its answer number."""
    stripped = text.strip()
    if unit == "boolean":
        words = re.findall(r"[a-z]+", _clean(stripped).lower())
        for word in reversed(words):
            if word in _YES:
                return ParsedAnswer(stripped, boolean="yes")
            if word in _NO:
                return ParsedAnswer(stripped, boolean="no")
        return ParsedAnswer(stripped)
    return ParsedAnswer(stripped, number=_pick(stripped))


def candidates(token: NumberToken, unit: Unit) -> list[tuple[float, str]]:
    """The values a number may stand for in ``unit``, each with how it was read."""
    value = token.value
    if unit == "percent":
        if token.percent:
            return [(value, "percent sign")]
        return [(value, "percentage points"), (value * 100.0, "fraction x100")]
    if unit in ("usd_millions", "count") and token.scale:
        factor = _SCALES.get(token.scale, 1.0)
        return [(value * factor, f"{token.scale} -> millions")]
    return [(value, "as written")]


def _within(pred: float, gold: float, tolerance: float) -> bool:
    if abs(gold) < 1e-6:
        return abs(pred - gold) <= ABS_EPSILON
    return abs(pred - gold) <= tolerance * abs(gold)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def check_answer(
    prediction: str | None,
    gold: float | str,
    unit: Unit,
    tolerance: float = 0.01,
    mode: Mode = "finbehave",
) -> AnswerCheck:
    """Is ``prediction`` the gold answer? See the module docstring for the rules."""
    if mode == "public":
        return _check_public(prediction or "", gold)
    text = prediction or ""
    if not text.strip():
        return AnswerCheck(False, None, None, gold, "no answer was submitted")
    parsed = parse_answer(text, unit)
    if unit == "boolean" or isinstance(gold, str):
        gold_word = str(gold).strip().lower()
        gold_word = "yes" if gold_word in _YES else "no" if gold_word in _NO else gold_word
        got = parsed.boolean if parsed.boolean else text.strip().lower()
        ok = got == gold_word
        return AnswerCheck(ok, got, None, gold, f"read {got!r} from {text[:80]!r}; gold {gold!r}")
    if parsed.number is None:
        return AnswerCheck(False, None, None, gold, f"no number found in {text[:80]!r}")
    options = candidates(parsed.number, unit)
    best_value, best_how = min(options, key=lambda o: abs(o[0] - float(gold)))
    ok = _within(best_value, float(gold), tolerance)
    rel = abs(best_value - float(gold)) / abs(float(gold)) if float(gold) else float("inf")
    rel_text = f"rel. error {rel:.2%}" if math.isfinite(rel) else f"abs. error {abs(best_value):g}"
    explanation = (
        f"parsed {_fmt(parsed.number.value)} from {parsed.number.text!r}, compared "
        f"{_fmt(best_value)} ({best_how}) with gold {_fmt(float(gold))} {unit}; {rel_text} "
        f"{'<=' if ok else '>'} {tolerance:.0%}"
    )
    return AnswerCheck(ok, parsed.number.value, best_value, gold, explanation)


# --- the public FinQA agent environment's reward rule -------------------------------------------


def _public_values(text: str, divide_percent: bool) -> list[float] | None:
    cleaned = _clean(text).replace("$", "")
    cleaned = re.sub(r"\b(?:19|20)\d{2}\s*:", "", cleaned)  # labels like "2024:"
    values = []
    for part in re.split(r"[,;]\s+|;", cleaned):
        part = part.strip()
        if not part:
            continue
        fraction = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*/\s*(-?\d+(?:\.\d+)?)", part)
        if fraction and float(fraction.group(2)) != 0:
            values.append(float(fraction.group(1)) / float(fraction.group(2)))
            continue
        tokens = _tokens(part.replace(",", ""))
        if not tokens:
            return None
        token = tokens[0]
        values.append(token.value / 100.0 if token.percent and divide_percent else token.value)
    return values or None


def _public_match(pred: float, truth: float) -> bool:
    if truth == 0:
        return abs(pred) < 0.001
    rel_ok = abs(pred - truth) / abs(truth) <= PUBLIC_TOLERANCE
    return rel_ok and abs(pred - truth) <= PUBLIC_MAX_ABS_DIFF


def _boxed_parts(text: str) -> list[str]:
    return _BOXED_RE.findall(text) or [text]


def _check_public(prediction: str, gold: float | str) -> AnswerCheck:
    truth_parts = _boxed_parts(str(gold))
    pred_parts = _boxed_parts(prediction)
    truth_text = ", ".join(truth_parts)
    pred_text = ", ".join(pred_parts) if len(truth_parts) > 1 else pred_parts[0]
    truths = _public_values(truth_text, divide_percent=True)
    if truths is None:
        ok = pred_text.strip().lower() == truth_text.strip().lower()
        return AnswerCheck(ok, pred_text, None, gold, f"string comparison {pred_text!r} vs gold")
    for divide in (True, False):
        preds = _public_values(pred_text, divide_percent=divide)
        if (
            preds is not None
            and len(preds) == len(truths)
            and all(_public_match(p, t) for p, t in zip(preds, truths, strict=True))
        ):
            how = "with" if divide else "without"
            return AnswerCheck(
                True,
                preds[0] if len(preds) == 1 else pred_text,
                preds[0],
                gold,
                f"public rule: {preds} match {truths} ({how} % as /100)",
            )
    preds = _public_values(pred_text, divide_percent=True)
    return AnswerCheck(
        False,
        preds[0] if preds and len(preds) == 1 else pred_text,
        preds[0] if preds else None,
        gold,
        f"public rule: {preds} do not match {truths} (rel <= 1% and abs <= 1.0 required)",
    )
