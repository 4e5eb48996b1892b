"""A safe calculator for the ``calculator`` tool: arithmetic only, parsed with ``ast``, no eval.

Allowed: numbers (``1234.5``, ``1e3``; no thousands separators — a comma separates function
arguments), ``+ - * / // % **``, unary signs, parentheses, and the functions ``abs``, ``round``,
``min``, ``max``, ``sqrt``, ``log`` (natural, or ``log(x, base)``), ``exp`` and ``pow``.
Bounded: at most 500 characters, nesting depth 40, exponents up to 100 in magnitude, finite
results. Everything else raises ``CalculatorError`` with a message the model can act on.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable

MAX_CHARS = 500
MAX_DEPTH = 40
MAX_EXPONENT = 100


class CalculatorError(ValueError):
    """The expression cannot be evaluated; the message says why and what is allowed."""


_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_FUNCTIONS: dict[str, Callable[..., float]] = {
    "abs": abs,
    "round": lambda x, digits=0: round(x, int(digits)),
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "log": math.log,
    "exp": math.exp,
    "pow": lambda x, y: _power(x, y),
}
ALLOWED = "numbers, + - * / // % ** ( ) and abs, round, min, max, sqrt, log, exp, pow"


def _power(base: float, exponent: float) -> float:
    if abs(exponent) > MAX_EXPONENT:
        raise CalculatorError(f"exponent {exponent:g} is too large (limit {MAX_EXPONENT})")
    return float(base) ** exponent


def _eval(node: ast.AST, depth: int) -> float:
    if depth > MAX_DEPTH:
        raise CalculatorError(f"expression is nested too deeply (limit {MAX_DEPTH})")
    if isinstance(node, ast.Expression):
        return _eval(node.body, depth + 1)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        value = _eval(node.operand, depth + 1)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, depth + 1), _eval(node.right, depth + 1)
        if isinstance(node.op, ast.Pow):
            return _power(left, right)
        op = _BINARY.get(type(node.op))
        if op is None:
            raise CalculatorError(f"operator not allowed; use {ALLOWED}")
        if right == 0 and isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)):
            raise CalculatorError("division by zero")
        return op(left, right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        function = _FUNCTIONS.get(node.func.id)
        if function is None:
            raise CalculatorError(f"unknown function {node.func.id!r}; use {ALLOWED}")
        args = [_eval(arg, depth + 1) for arg in node.args]
        try:
            return float(function(*args))
        except (TypeError, ValueError, OverflowError) as exc:
            raise CalculatorError(f"{node.func.id}: {exc}") from None
    if isinstance(node, ast.Name):
        raise CalculatorError(f"names are not allowed ({node.id!r}); use {ALLOWED}")
    raise CalculatorError(f"unsupported syntax; use {ALLOWED}")


def evaluate(expression: str) -> float:
    """Evaluate an arithmetic expression safely."""
    text = expression.strip()
    if not text:
        raise CalculatorError("empty expression; write e.g. (5829 - 5735) / 5735 * 100")
    if len(text) > MAX_CHARS:
        raise CalculatorError(f"expression longer than {MAX_CHARS} characters")
    text = text.replace("\u2212", "-").replace("^", "**")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        raise CalculatorError(f"not an arithmetic expression; use {ALLOWED}") from None
    except RecursionError:
        raise CalculatorError(f"expression is nested too deeply (limit {MAX_DEPTH})") from None
    try:
        result = _eval(tree, 0)
    except OverflowError:
        raise CalculatorError("result is too large") from None
    if not math.isfinite(result):
        raise CalculatorError("result is not a finite number")
    return result


def format_number(value: float) -> str:
    """A result as the model sees it: up to 10 significant digits, no exponent for normal sizes."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.10g}"
    if "e" in text and 1e-6 <= abs(value) < 1e15:
        text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text
