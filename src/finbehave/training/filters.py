"""``--where``: a small filter language over a trace's behaviour scores (parsed, never eval'd).

Grammar (keywords are lower case)::

    filter     := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | "(" or_expr ")" | comparison | test
    comparison := KEY OP NUMBER          OP: == != >= <= > <
    test       := KEY "is" ["not"] "na"  ("nan" is accepted for "na")

``KEY`` is a behaviour score key (:data:`finbehave.vocab.SCORE_KEYS`: the six behaviours and
``rubric_score``); ``NUMBER`` is a decimal such as ``1``, ``0.5`` or ``-1e-3``.

Not applicable: a behaviour that does not apply to a trace (e.g. ``self_correction`` when no tool
failed) has no score (NaN). A comparison with it is *unknown*, and unknown propagates like SQL's
NULL (Kleene logic): ``not unknown`` is unknown, ``unknown and false`` is false, ``unknown or
true`` is true. A trace is selected only when the whole filter is true. ``KEY is na`` is true
exactly when the score does not apply, so ``self_correction >= 0.5 or self_correction is na``
keeps traces that either recovered or never needed to.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from finbehave.vocab import SCORE_KEYS

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}
_TOKEN = re.compile(
    r"\s*(?:(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    r"|(?P<op>==|!=|>=|<=|>|<)|(?P<paren>[()])|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<bad>\S))"
)
_KEYWORDS = {"and", "or", "not", "is", "na", "nan"}

Truth = bool | None  # None: unknown (a comparison with a score that does not apply)
Predicate = Callable[[Mapping[str, float]], Truth]


class FilterError(ValueError):
    """A ``--where`` filter does not parse; the message is one line naming the valid keys."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokens(text: str) -> list[_Token]:
    out = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "bad"
        out.append(_Token(kind, match.group(kind), match.start(kind)))
    return out


def _not(value: Truth) -> Truth:
    return None if value is None else not value


def _combine(left: Predicate, right: Predicate, dominant: bool) -> Predicate:
    """Kleene ``and`` (``dominant=False``) or ``or`` (``dominant=True``) of two predicates."""

    def combined(scores: Mapping[str, float]) -> Truth:
        a, b = left(scores), right(scores)
        if a is dominant or b is dominant:
            return dominant
        return None if a is None or b is None else not dominant

    return combined


def _missing(value: float | None) -> bool:
    return value is None or math.isnan(value)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0

    def error(self, expected: str) -> FilterError:
        token = self.peek()
        where = f"at {token.text!r} (character {token.position + 1})" if token else "at the end"
        return FilterError(
            f"--where {self.text!r}: expected {expected} {where}; write KEY OP NUMBER with OP one "
            f"of {' '.join(OPERATORS)} or KEY is [not] na, combined with and/or/not and "
            f"parentheses; keys: {', '.join(SCORE_KEYS)}"
        )

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, kind: str, text: str | None = None) -> _Token | None:
        token = self.peek()
        if token is not None and token.kind == kind and (text is None or token.text == text):
            self.index += 1
            return token
        return None

    def parse(self) -> Predicate:
        predicate = self.or_expr()
        if self.peek() is not None:
            raise self.error("and, or, or a closing parenthesis")
        return predicate

    def or_expr(self) -> Predicate:
        predicate = self.and_expr()
        while self.take("word", "or"):
            predicate = _combine(predicate, self.and_expr(), dominant=True)
        return predicate

    def and_expr(self) -> Predicate:
        predicate = self.unary()
        while self.take("word", "and"):
            predicate = _combine(predicate, self.unary(), dominant=False)
        return predicate

    def unary(self) -> Predicate:
        if self.take("word", "not"):
            inner = self.unary()
            return lambda scores: _not(inner(scores))
        if self.take("paren", "("):
            inner = self.or_expr()
            if not self.take("paren", ")"):
                raise self.error("a closing parenthesis")
            return inner
        return self.condition()

    def condition(self) -> Predicate:
        token = self.peek()
        if token is None or token.kind != "word" or token.text in _KEYWORDS:
            raise self.error("a behaviour key")
        if token.text not in SCORE_KEYS:
            raise FilterError(
                f"--where {self.text!r}: unknown key {token.text!r} (character "
                f"{token.position + 1}); keys: {', '.join(SCORE_KEYS)}"
            )
        self.index += 1
        key = token.text
        if self.take("word", "is"):
            negated = self.take("word", "not") is not None
            if not (self.take("word", "na") or self.take("word", "nan")):
                raise self.error("na")
            return lambda scores: _missing(scores.get(key)) != negated
        op = self.take("op")
        if op is None:
            raise self.error("a comparison operator or is")
        number = self.take("number")
        if number is None:
            raise self.error("a number")
        compare, bound = OPERATORS[op.text], float(number.text)

        def comparison(scores: Mapping[str, float]) -> Truth:
            value = scores.get(key)
            return None if _missing(value) else compare(float(value), bound)  # type: ignore[arg-type]

        return comparison


@dataclass(frozen=True)
class TraceFilter:
    """A parsed ``--where`` filter; call it with a trace's scores (NaN = not applicable)."""

    text: str
    predicate: Predicate

    def __call__(self, scores: Mapping[str, float]) -> bool:
        return self.predicate(scores) is True


def parse_filter(text: str | None) -> TraceFilter | None:
    """Parse a ``--where`` filter (None or blank: no filter); raises :class:`FilterError`."""
    if text is None or not text.strip():
        return None
    return TraceFilter(text, _Parser(text).parse())
