"""Answer correctness: the one implementation, used by the scorer, the rubric and the reward.

``mode="finbehave"`` (the default; also the GRPO reward) reads answers as people write them:
``$1,234.5 million``, ``(12.3)`` negatives, ``12.5%``, ``1.2 billion``, ``\\boxed{...}``,
``12.3x``, ``yes``/``no``, leading and trailing words, ``2023: 12.5`` labels.

Which number is the answer: the last ``\\boxed{}`` holding a number if any; else the first number
after the last "answer is"/"answer:"/"result is"/"=" cue; else the last number outside
parentheses (the final value of a worked answer; ``12.5% (up from 10.2%)`` gives 12.5). Labels
are never the answer while a text has other numbers: a number followed by ``:``, a year after
in/for/during/fiscal/FY/of/... (``12.5% in 2023``), a date's day and year (``December 31, 2023``).

An answer must commit to one value. It is incorrect, whatever the gold, when the answer number is
offered together with a different number (values that differ beyond the tolerance once read in
the item's unit): boxed answers with different values (``\\boxed{12.5} or \\boxed{25}``); or a
neighbouring number joined to it by a hedge word (or, either, maybe, perhaps, possibly, probably,
alternatively, otherwise, between: ``12.5 or maybe 25``, ``12.5. Or maybe 25``); or joined only
by connectives and punctuation (and, to, vs, ``,``, ``;``, ``/``, a dash: ``between 12.5 and 15``,
``12.5, 25``, ``12.5-15``). Not hedges: asides in parentheses (``12.5% (up from 10.2%)``,
``12.5% (vs 10.2% in 2022)``, unless the aside opens with a hedge word: ``12.5 (or 25)``);
statements with words between the numbers (``grew from 100 to 110, so the change is 10``,
``In 2023, revenue was $1,234.5 million``); a change ``from 100 to 110`` (the answer is 110);
the same value written twice (``12.5%, i.e. 0.125``, ``$77 million, i.e. $77,000 thousand``).
A bare ``(77)`` after another number reads as -77, an accounting negative, so
``$77 million ($77,000 thousand)`` counts as two candidates.

Units:

- ``percent`` golds are percentage points (12.5 means 12.5%). A number written with ``%`` is in
  points; a bare number may be points or a fraction, so both ``12.5`` and ``0.125`` match 12.5.
- ``usd_millions``: ``billion``/``bn`` x1000, ``thousand``/``k`` /1000, ``million``/``m``/``mn`` x1;
  a bare number is taken as millions.
- ``boolean``: yes/no/true/false, case-insensitive.

A prediction is correct when ``|pred - gold| <= tolerance * |gold|``; for golds with
``|gold| < 1e-6`` the absolute difference must be below ``ABS_EPSILON``.

Text golds (imported as written, e.g. Snorkel's ``\\boxed{2022 to 2023: 5.2, 2023 to 2024: 3.1}``
or ``\\boxed{0.933}, \\boxed{0.930}``) holding one number per value are numeric: one value is
checked as above (``%`` in the gold makes it a percent); several values need as many values in
the answer (its boxes, else the text after the last cue, else all of it, split on ``;``, ``, ``
and ``and``; labels before ``:`` allowed), each checked as above, matched by their years when
both sides label every value with distinct years, else in order. Other text golds are compared
as case-insensitive strings.

``mode="public"`` applies the public FinQA agent environment's reward rule verdict for verdict
(OpenEnv ``envs/finqa_env/server/rewards.py``, ``compute_reward``), so accuracies compare with
published numbers; its rules are documented at ``_check_public`` and in the README.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

from finbehave.data.items import Unit
from finbehave.vocab import DEFAULT_TOLERANCE

ABS_EPSILON = 1e-4
PUBLIC_TOLERANCE = 0.01
PUBLIC_MAX_ABS_DIFF = 1.0
PUBLIC_ZERO = 1e-3  # a gold of exactly 0 accepts |pred| below this
PUBLIC_RULE = "the public reward rule's fixed tolerance (relative 1% and absolute 1.0)"
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
_LABEL_AFTER_RE = re.compile(r"\s*:(?!\d)")
_YEAR_TOKEN_RE = re.compile(r"(?:19|20)\d{2}")
_MONTHS = (
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?\s*"
)
_YEAR_CONTEXT_RE = re.compile(
    r"(?:\b(?:in|for|during|fy|fiscal|year|since|through|until|by|of|ended|ending)"
    rf"|{_MONTHS}(?:\d{{1,2}},?)?)\s*$",
    re.IGNORECASE,
)
_MONTH_RE = re.compile(rf"{_MONTHS}$", re.IGNORECASE)
_DAY_RE = re.compile(r"[0-3]?\d")
_HEDGE_WORD_RE = re.compile(
    r"\b(?:or|either|maybe|perhaps|possibly|probably|alternatively|otherwise|between)\b"
)
_JOINER = r"[\s\d.,;:/~()\[\]\-\u2013\u2014]"
_CONNECTIVES_RE = re.compile(rf"{_JOINER}*(?:\b(?:and|to|vs|versus|through)\b{_JOINER}*)*")
_MARKUP_RE = re.compile(r"\\[a-zA-Z]+|[{}]")
_FROM_RE = re.compile(r"\bfrom\s*$", re.IGNORECASE)
_PART_SPLIT_RE = re.compile(r"\s*(?:;|\\[;,]|,\s+|\s+and\s+)\s*")
_YEAR_RE = re.compile(r"(?:19|20)\d{2}")
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
    """A number as written: its value, whether a % sign followed, its scale word, and its span
    in the text it was read from (``end`` may include a trailing space)."""

    value: float
    percent: bool
    scale: str | None
    text: str
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class ParsedAnswer:
    """What a prediction was read as: a boolean word, a number, or nothing.

    ``rival`` is a different number offered together with ``number`` (a hedged answer).
    """

    text: str
    boolean: str | None = None
    number: NumberToken | None = None
    rival: NumberToken | None = None

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
        written = match.group(0)
        text_ = written.lstrip()
        tokens.append(
            NumberToken(
                value=-value if negative else value,
                percent=bool(match.group("pct")),
                scale=scale.lower() if scale else None,
                text=text_.rstrip(),
                start=match.start() + len(written) - len(text_),
                end=match.end(),
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


def _same_value(a: NumberToken, b: NumberToken, unit: Unit, tolerance: float) -> bool:
    """Do two numbers say the same thing in ``unit`` (``12.5%`` and ``0.125`` do)?"""
    return any(
        _within(x, y, tolerance) or _within(y, x, tolerance)
        for x, _ in candidates(a, unit)
        for y, _ in candidates(b, unit)
    )


# --- finding the answer number ------------------------------------------------------------------


def _is_label(text: str, token: NumberToken) -> bool:
    """``2023:``; a year after in/for/during/fiscal/FY/... or a date's month and day; a day."""
    if _LABEL_AFTER_RE.match(text, token.end):
        return True
    if _YEAR_TOKEN_RE.fullmatch(token.text):
        return _YEAR_CONTEXT_RE.search(text, 0, token.start) is not None
    return _DAY_RE.fullmatch(token.text) is not None and _MONTH_RE.search(text, 0, token.start)


def _values(text: str) -> list[NumberToken]:
    """The numbers of a cleaned text that can be an answer: not its labels, unless all are."""
    tokens = _tokens(text)
    values = [t for t in tokens if not _is_label(text, t)]
    return values or tokens


def _depths(text: str, tokens: list[NumberToken]) -> list[int]:
    """How many parentheses each token sits inside (a ``(12.3)`` negative is not an aside)."""
    masked = list(text)
    for token in tokens:
        masked[token.start : token.end] = " " * (token.end - token.start)
    flat = "".join(masked)
    return [flat.count("(", 0, t.start) - flat.count(")", 0, t.start) for t in tokens]


def _offered_together(text: str, first: NumberToken, second: NumberToken, aside: bool) -> bool:
    """Is ``second`` offered as an alternative to ``first`` (the text between them decides)?"""
    between = _MARKUP_RE.sub(" ", text[first.end : second.start]).lower()
    if _HEDGE_WORD_RE.search(between):
        return True
    if aside:  # a number in a parenthetical aside is context unless the aside hedges
        return False
    if between.strip() == "to" and _FROM_RE.search(text, 0, first.start):
        return False  # "from 100 to 110": a change, not a range
    return _CONNECTIVES_RE.fullmatch(between) is not None


def _pick(text: str, unit: Unit, tolerance: float) -> tuple[NumberToken | None, NumberToken | None]:
    """(the answer number, a different number offered with it or None); rules in the docstring."""
    tokens = _values(text)
    if len(tokens) < 2:
        return (tokens[0] if tokens else None), None
    depths = _depths(text, tokens)
    pick = None
    boxed = []
    for box in _BOXED_RE.finditer(text):
        inside = [t for t in tokens if box.start(1) <= t.start < box.end(1)]
        boxed += inside[:1]
    if boxed:
        pick = boxed[-1]
        rivals = [t for t in boxed if not _same_value(t, pick, unit, tolerance)]
        if rivals:
            return pick, rivals[-1]
    if pick is None:
        cues = list(_CUE_RE.finditer(text))
        after = [t for t in tokens if cues and t.start >= cues[-1].end()]
        pick = after[0] if after else None
    if pick is None:
        outside = [t for t, depth in zip(tokens, depths, strict=True) if depth == 0]
        pick = (outside or tokens)[-1]
    i = tokens.index(pick)
    for j in (i - 1, i + 1):
        if not 0 <= j < len(tokens) or _same_value(tokens[j], pick, unit, tolerance):
            continue
        first, second = (tokens[j], pick) if j < i else (pick, tokens[j])
        if _offered_together(text, first, second, aside=depths[j] > depths[i]):
            return pick, tokens[j]
    return pick, None


def parse_answer(text: str, unit: Unit, tolerance: float = DEFAULT_TOLERANCE) -> ParsedAnswer:
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
    number, rival = _pick(_clean(stripped), unit, tolerance)
    return ParsedAnswer(stripped, number=number, rival=rival)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _compare(
    token: NumberToken, gold: float, unit: Unit, tolerance: float
) -> tuple[bool, float, str]:
    """Is one number the gold in ``unit``? (verdict, the value compared, explanation)."""
    best, how = min(candidates(token, unit), key=lambda o: abs(o[0] - gold))
    ok = _within(best, gold, tolerance)
    rel = abs(best - gold) / abs(gold) if gold else float("inf")
    rel_text = f"rel. error {rel:.2%}" if math.isfinite(rel) else f"abs. error {abs(best):g}"
    return (
        ok,
        best,
        (
            f"parsed {_fmt(token.value)} from {token.text!r}, compared {_fmt(best)} ({how}) with "
            f"gold {_fmt(gold)} {unit}; {rel_text} {'<=' if ok else '>'} {tolerance:.0%}"
        ),
    )


def _hedged(number: NumberToken, rival: NumberToken) -> str:
    return (
        f"several candidate answers: {number.text!r} and {rival.text!r} are offered together; "
        "an answer must commit to one value"
    )


# --- text golds: one or several values ----------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    """One value of an answer or gold split into values: label years, number, how many numbers."""

    key: tuple[str, ...]
    number: NumberToken | None
    rival: NumberToken | None
    count: int
    text: str


def _split_parts(text: str, unit: Unit, tolerance: float) -> list[_Part]:
    """The values of a text: its boxes if any (each split on ``;``, ``, ``, ``and``), else all."""
    parts = []
    for chunk in _BOXED_RE.findall(text) or [text]:
        for piece in _PART_SPLIT_RE.split(chunk):
            label, colon, rest = piece.rpartition(":")
            cleaned = _clean(rest if colon else piece)
            if cleaned.strip():
                number, rival = _pick(cleaned, unit, tolerance)
                key = tuple(_YEAR_RE.findall(label)) if colon else ()
                parts.append(_Part(key, number, rival, len(_values(cleaned)), piece.strip()))
    return parts


def _gold_parts(gold: str) -> list[_Part] | None:
    """A text gold's values, or None unless every part of it is exactly one number."""
    parts = _split_parts(gold, "number", 0.0)
    return parts if parts and all(p.count == 1 for p in parts) else None


def _keyed(parts: list[_Part]) -> dict[tuple[str, ...], _Part] | None:
    keys = [p.key for p in parts]
    return (
        dict(zip(keys, parts, strict=True)) if all(keys) and len(set(keys)) == len(keys) else None
    )


def _check_parts(text: str, gold: str, golds: list[_Part], unit: Unit, tol: float) -> AnswerCheck:
    """A several-value gold: as many values in the answer, each within tolerance."""
    cleaned = _clean(text)
    cues = list(_CUE_RE.finditer(cleaned))
    region = text if _BOXED_RE.search(text) or not cues else cleaned[cues[-1].end() :]
    preds = [p for p in _split_parts(region, unit, tol) if p.number is not None]
    values = ", ".join(p.number.text for p in preds if p.number)
    if len(preds) != len(golds):
        why = f"{len(preds)} values ({values}) for a gold of {len(golds)} ({gold!r})"
        return AnswerCheck(False, values or None, None, gold, why)
    gold_keys, pred_keys = _keyed(golds), _keyed(preds)
    if gold_keys and pred_keys and gold_keys.keys() == pred_keys.keys():
        pairs, how = [(pred_keys[k], gold_keys[k]) for k in gold_keys], "by their years"
    else:
        pairs, how = list(zip(preds, golds, strict=True)), "in order"
    notes = []
    for pred, truth in pairs:
        assert pred.number is not None and truth.number is not None
        if pred.rival is not None:
            why = f"in {pred.text!r}: {_hedged(pred.number, pred.rival)}"
            return AnswerCheck(False, values, None, gold, why)
        part_unit: Unit = "percent" if truth.number.percent else unit
        ok, _, note = _compare(pred.number, truth.number.value, part_unit, tol)
        if not ok:
            return AnswerCheck(False, values, None, gold, f"values matched {how}; {note}")
        notes.append(note)
    return AnswerCheck(True, values, None, gold, f"values matched {how}: " + "; ".join(notes))


def _plain_text(text: str) -> str:
    """A text answer for string comparison: its last box's content, stripped, lower-cased."""
    boxes = _BOXED_RE.findall(text)
    return _clean(boxes[-1] if boxes else text).strip().lower()


# --- the check ----------------------------------------------------------------------------------


def check_answer(
    prediction: str | None,
    gold: float | str,
    unit: Unit,
    tolerance: float | None = None,
    mode: Mode = "finbehave",
) -> AnswerCheck:
    """Is ``prediction`` the gold answer? See the module docstring for the rules.

    ``tolerance`` defaults to ``DEFAULT_TOLERANCE``; the public rule's tolerance is fixed, so
    passing one with ``mode="public"`` is an error rather than silently ignored.
    """
    if mode == "public":
        if tolerance is not None:
            raise ValueError(f"mode='public' scores with {PUBLIC_RULE}: do not pass a tolerance")
        return _check_public(prediction or "", gold)
    tol = DEFAULT_TOLERANCE if tolerance is None else tolerance
    text = prediction or ""
    if not text.strip():
        return AnswerCheck(False, None, None, gold, "no answer was submitted")
    if isinstance(gold, str) and unit != "boolean":
        golds = _gold_parts(gold)
        if golds is not None and len(golds) > 1:
            return _check_parts(text, gold, golds, unit, tol)
        if golds is not None and golds[0].number is not None:
            token = golds[0].number
            check = check_answer(text, token.value, "percent" if token.percent else unit, tol)
            return replace(check, gold=gold)
    parsed = parse_answer(text, unit, tol)
    if unit == "boolean" or isinstance(gold, str):
        gold_word = _plain_text(str(gold))
        gold_word = "yes" if gold_word in _YES else "no" if gold_word in _NO else gold_word
        got = parsed.boolean if parsed.boolean else _plain_text(text)
        ok = got == gold_word
        return AnswerCheck(ok, got, None, gold, f"read {got!r} from {text[:80]!r}; gold {gold!r}")
    if parsed.number is None:
        return AnswerCheck(False, None, None, gold, f"no number found in {text[:80]!r}")
    ok, compared, explanation = _compare(parsed.number, float(gold), unit, tol)
    if parsed.rival is not None:
        ok, explanation = False, _hedged(parsed.number, parsed.rival)
    return AnswerCheck(ok, parsed.number.value, compared, gold, explanation)


# --- the public FinQA agent environment's reward rule -------------------------------------------
#
# Written from the behaviour of OpenEnv's envs/finqa_env/server/rewards.py (compute_reward): the
# same answers get the same verdicts, quirks included (the README lists them). The patterns below
# are that rule's grammar: a \boxed{} ends at its first "}", labels end at the first ":", years
# are 20xx.

_PUB_BOX_RE = re.compile(r"\\boxed\{([^}]+)\}")
_PUB_TEXT_RE = re.compile(r"\\text\{[^}]*\}")
_PUB_VALUE_SPLIT_RE = re.compile(r"[,;]\s*")
_PUB_PAIR_SPLIT_RE = re.compile(r"[,;]\s*|\\[;,]\s*")
_PUB_LATEX_SPACE_RE = re.compile(r"\\[;, ]")
_PUB_LABEL_RE = re.compile(r"^[^:]*:\s*")
_PUB_PAIR_LABEL_RE = re.compile(r"^[^:]*:\s*\\?\s*")
_PUB_ARROW_RE = re.compile(r"\\rightarrow|\u2192|->|\u2212>")
_PUB_KEY_RE = re.compile(r"20\d{2}(?:\s*to\s*20\d{2})?")

_PublicPair = tuple[str | None, float]


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def public_number(text: str, percent_as_fraction: bool = True) -> float | None:
    """One value as the public rule reads it, or None.

    After dropping ``\\text{...}``, ``$``/``\\$`` and surrounding spaces, the rest must be one
    Python ``float`` literal, with thousands commas allowed; ``%``/``\\%`` anywhere divides by 100
    (unless ``percent_as_fraction`` is false); ``(x)`` means ``-x`` (not with ``%``); ``a/b`` of
    integers is a fraction. Words, scale suffixes (``million``, ``M``), ``**``, trailing
    punctuation, a second number: None.
    """
    text = _PUB_TEXT_RE.sub("", text.strip())
    text = text.replace("\\$", "").replace("$", "").strip()
    if "%" in text:
        value = _float_or_none(text.replace("\\%", "").replace("%", "").replace(",", ""))
        return value / 100 if value is not None and percent_as_fraction else value
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1]
    if "/" in text:
        negative = text.startswith("-")
        try:
            ratio = float(Fraction(text[1:] if negative else text))
        except (ValueError, ZeroDivisionError, OverflowError):
            ratio = None
        if ratio is not None:
            return -ratio if negative else ratio
    return _float_or_none(text.replace(",", ""))


def _public_reading(answer: str, percent_as_fraction: bool = True) -> tuple[float | None, str]:
    """(value, lower-cased text) of an answer: its first non-empty-looking box, else all of it."""
    box = _PUB_BOX_RE.search(answer)
    if box and box.group(1).strip():
        answer = box.group(1)
    answer = answer.strip()
    return public_number(answer, percent_as_fraction), answer.lower()


def _public_close(pred: float, truth: float) -> bool:
    diff = abs(pred - truth)
    return diff / abs(truth) <= PUBLIC_TOLERANCE and diff <= PUBLIC_MAX_ABS_DIFF


def _public_same(pred: float | None, truth: float | None, pred_text: str, truth_text: str) -> bool:
    """Two single values: numbers within tolerance, or two non-numbers with equal text."""
    if pred is None or truth is None:
        return pred is None and truth is None and pred_text == truth_text
    if truth == 0:
        return abs(pred) < PUBLIC_ZERO
    return _public_close(pred, truth)


def _public_value_matches(pred: str, truth_text: str) -> bool:
    """One value of a prediction against one of several boxed golds."""
    value, text = _public_reading(_PUB_LABEL_RE.sub("", pred))
    truth, truth_lower = _public_reading(truth_text)
    if _public_same(value, truth, text, truth_lower):
        return True
    as_points, _ = _public_reading(pred, percent_as_fraction=False)  # label kept on this retry
    return _public_same(as_points, truth, text, truth_lower)


def _public_pairs(text: str) -> list[_PublicPair]:
    """The (year key, value) pairs of a several-value text; parts without a number are dropped."""
    pairs = []
    for part in _PUB_PAIR_SPLIT_RE.split(text):
        part = _PUB_LATEX_SPACE_RE.sub(" ", part).strip()
        value = public_number(_PUB_PAIR_LABEL_RE.sub("", part)) if part else None
        if value is not None:
            key = _PUB_KEY_RE.search(_PUB_ARROW_RE.sub(" to ", part))
            pairs.append((key.group(0) if key else None, value))
    return pairs


def _public_pair_close(pred: float, truth: float) -> bool:
    return pred == 0 if truth == 0 else _public_close(pred, truth)


def _public_pairs_match(preds: list[_PublicPair], truths: list[_PublicPair]) -> bool:
    """By year key when both sides carry the same keys, else in order."""
    keys = {k for k, _ in truths if k is not None}
    if keys and keys == {k for k, _ in preds if k is not None}:
        by_key, truth_by_key = dict(preds), dict(truths)
        return all(
            k in by_key and _public_pair_close(by_key[k], t) for k, t in truth_by_key.items()
        )
    return all(_public_pair_close(p, t) for (_, p), (_, t) in zip(preds, truths, strict=True))


def _public_verdict(prediction: str, gold_text: str) -> tuple[bool, str]:
    """The public rule's verdict and which of its branches decided."""
    truths = [t.strip() for t in _PUB_BOX_RE.findall(gold_text)]
    if len(truths) > 1:
        parts = _PUB_VALUE_SPLIT_RE.split(prediction.strip())
        if len(parts) != len(truths):
            return False, f"{len(parts)} values split on ,/; for {len(truths)} boxed golds"
        ok = all(_public_value_matches(p, t) for p, t in zip(parts, truths, strict=True))
        return ok, f"{len(truths)} boxed golds compared value by value"
    pred, pred_text = _public_reading(prediction)
    truth, truth_text = _public_reading(gold_text)
    if _public_same(pred, truth, pred_text, truth_text):
        if pred is None:
            return True, f"texts equal ({pred_text!r})"
        return True, f"read {pred:.6g}, gold {truth:.6g}"
    as_points, _ = _public_reading(prediction, percent_as_fraction=False)
    if _public_same(as_points, truth, pred_text, truth_text):
        return True, f"read {as_points:.6g} (% kept as points), gold {truth:.6g}"
    if len(truths) == 1 and truth is None:
        truth_pairs, pred_pairs = _public_pairs(truths[0]), _public_pairs(prediction)
        if len(truth_pairs) > 1 and len(pred_pairs) == len(truth_pairs):
            values = [v for _, v in pred_pairs], [v for _, v in truth_pairs]
            ok = _public_pairs_match(pred_pairs, truth_pairs)
            return ok, f"values {values[0]} {'match' if ok else 'do not match'} {values[1]}"
    if pred is None and truth is not None:
        return False, f"{pred_text!r} is not a number the public rule parses; gold {truth:.6g}"
    shown = "none" if pred is None else f"{pred:.6g}"
    gold_shown = truth_text if truth is None else f"{truth:.6g}"
    return False, f"read {shown}, gold {gold_shown}"


def _check_public(prediction: str, gold: float | str) -> AnswerCheck:
    """The public rule (units and ``-T tolerance`` do not apply; ``public_gold`` renders golds).

    A single gold: the first ``\\boxed{}`` of each side (else the whole text) read by
    ``public_number``; correct when relative error <= 1% and absolute difference <= 1.0 (a gold
    of 0: ``|pred| < 0.001``), retried with the prediction's ``%`` kept as points; non-numbers on
    both sides compare as lower-cased text. Several boxed golds: the raw prediction split on
    ``,``/``;`` into as many values, each stripped of a ``label:`` and compared in order. One
    boxed gold holding several values: the raw prediction split on ``,``/``;``, labels dropped,
    values matched by ``20xx``/``20xx to 20xx`` keys when both sides carry the same keys, else in
    order (a gold value of 0 then needs exactly 0).
    """
    ok, how = _public_verdict(prediction, str(gold))
    value = _public_reading(prediction)[0]
    return AnswerCheck(
        ok, value if value is not None else prediction, value, gold, f"public rule: {how}"
    )
