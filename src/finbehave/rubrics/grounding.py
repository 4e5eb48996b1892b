"""Grounding: is a number a value the tools returned, or does it follow by the arithmetic the
trace shows?

Values, i.e. what a tool returned *as a value*:

- the numeric cells of query results and of the example rows a table inspection shows (a cell
  that is wholly a number; digits inside text such as ``S&P 500 index`` are not values), and
  the numeric leaves of JSON results (the public toolset);
- calculator results whose input numbers are all values or small constants (counts up to 12 and
  their halves, powers of ten), at least one of them a value: ``calculator("4321")`` grounds
  nothing;
- the numbers in filing text (``read_text``), where the values are prose.

Derivations: one arithmetic step (``a+b, a-b, a*b, a/b, (a-b)/b*100, a/b*100``) over two values
the final queries returned (the last successful query, and the ones before it while all of them
return at most ``FINAL_VALUES`` cells). A submitted number may be derived only from such a
focused retrieval: one step over every pair of a wide table reaches almost any number. Whether
the *gold* follows from the trace (for a correct answer, and to tell an arithmetic slip from an
invention) may use a wide final query too.
Unit rescaling applies to both, as the item's unit allows: money and counts x1000 and x1e6 and
back (thousands, millions, billions); percentages and ratios also as fractions (x0.01).

Matching is as precise as the number is written, and never looser than the answer tolerance:
``12.35`` must agree with a value or a derivation to one unit in its last place (0.01) and within
1%, so an invented number rarely matches by chance.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from finbehave.data.items import Unit
from finbehave.rubrics.answers import extract_numbers
from finbehave.rubrics.trace import ToolStep, Trace

FINAL_VALUES = 8  # cells of the final queries that derivations may combine
UNIT_SCALES: dict[str, np.ndarray] = {
    "percent": np.asarray((1.0, 0.01)),
    "ratio": np.asarray((1.0, 0.01)),
    "boolean": np.asarray((1.0,)),
}
MAGNITUDE_SCALES = np.asarray((1.0, 1000.0, 0.001, 1e6, 1e-6))  # money, counts and the rest
MAX_CONSTANT = 12  # counts up to this (years, periods) and their halves may enter calculations
_DIGITS = r"((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)"
_CELL = re.compile(r"(\()?\s*([-+])?\$?\s?" + _DIGITS + r"\s?%?\s*(\))?")
# A whole cell of a ``|`` text table: from a line start or a separator to a separator or line end.
_TABLE_CELL = re.compile(r"(?:^|(?<= \| ))(\(?[-+$\d.][^|\n]*?)(?= \| |$)", re.M)
_WRITTEN = re.compile(r"(\d[\d,]*)?(?:\.(\d+))?(?:[eE]([-+]?\d+))?")
_LITERAL = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_RELATIVE_FLOOR = 1e-9


def last_place(text: str) -> float:
    """One unit in the last written place of a number: ``12.35`` -> 0.01, ``1.2e3`` -> 100."""
    for match in _WRITTEN.finditer(text):
        whole, decimals, exponent = match.groups()
        if whole or decimals:
            return 10.0 ** (int(exponent or 0) - len(decimals or ""))
    return 1.0


def float_last_place(value: float) -> float:
    """One unit in the last place of a number as read (``41.8`` -> 0.1, ``1234.0`` -> 1): never
    finer than it was written, since trailing zeros are gone."""
    if not math.isfinite(value):
        return 0.0
    return 1.0 if value == int(value) else last_place(repr(float(value)))


def cell_value(text: str) -> float | None:
    """A table cell as a number, when the cell is wholly one (``$1,234.5``, ``(12)``, ``7%``)."""
    match = _CELL.fullmatch(text.strip())
    if match is None:
        return None
    paren, sign, digits, close = match.groups()
    value = float(digits.replace(",", ""))
    return -value if sign == "-" or (paren and close) else value


def _json_values(node: Any, out: list[float]) -> None:
    if isinstance(node, bool) or node is None:
        return
    if isinstance(node, int | float):
        out.append(float(node))
    elif isinstance(node, str):
        value = cell_value(node)
        if value is not None:
            out.append(value)
    elif isinstance(node, dict):
        for child in node.values():
            _json_values(child, out)
    elif isinstance(node, list):
        for child in node:
            _json_values(child, out)


def result_cells(text: str) -> list[float]:
    """The numeric cells of a tool result: JSON leaves, or the cells of a ``|`` text table."""
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            pass
        else:
            out: list[float] = []
            _json_values(parsed, out)
            return out
    values = []
    for cell in _TABLE_CELL.findall(text):
        try:
            value: float | None = float(cell)  # the common case: a plain number
        except ValueError:
            value = cell_value(cell)
        if value is not None and math.isfinite(value):
            values.append(value)
    return values


def _is_constant(value: float) -> bool:
    if not math.isfinite(value):
        return False
    if 2 * value == int(2 * value) and abs(value) <= MAX_CONSTANT:  # counts and their halves
        return True
    exponent = math.log10(abs(value)) if value else 0.5
    return exponent == int(exponent)


@lru_cache(maxsize=FINAL_VALUES + 1)
def _off_diagonal(size: int) -> np.ndarray:
    return ~np.eye(size, dtype=bool)


def one_step(values: np.ndarray) -> np.ndarray:
    """Every one-step derivation from two different positions of ``values``."""
    if values.size < 2:
        return np.empty(0)
    a, b = values[:, None], values[None, :]
    off_diagonal = _off_diagonal(values.size)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        grids = (a + b, a - b, a * b, a / b, (a - b) / b * 100.0, a / b * 100.0)
        derived = np.concatenate([grid[off_diagonal] for grid in grids])
    return derived[np.isfinite(derived)]


@dataclass
class Grounds:
    """What a trace's tools returned as values, and the values its final queries returned."""

    values: np.ndarray
    final: list[float]

    @cached_property
    def derived(self) -> np.ndarray:
        """One-step derivations from the final queries' values (computed when first needed)."""
        return one_step(np.asarray(self.final, dtype=float))

    @classmethod
    def of(cls, trace: Trace) -> Grounds:
        """The grounds of everything the tools returned before the submission."""
        end = trace.submit_index if trace.submit_index >= 0 else 1 << 30
        values: list[float] = []
        queries: list[list[float]] = []
        for step in trace.tool_steps:
            if not step.ok or step.call_index > end:
                continue
            if step.role in ("query", "inspect_table"):
                cells = result_cells(step.result)
                values += cells
                if step.role == "query":
                    queries.append(cells)
            elif step.role == "read_text":
                values += [v for v in extract_numbers(step.result) if math.isfinite(v)]
            elif step.role == "compute" and _inputs_grounded(step, values):
                values += result_cells(step.result)
        final = queries[-1] if queries else []
        for cells in reversed(queries[:-1]):
            if len(final) + len(cells) > FINAL_VALUES:
                break
            final = cells + final
        return cls(np.asarray(values, dtype=float), final)

    def has(
        self, value: float, written: float, unit: Unit, tolerance: float, wide: bool = False
    ) -> bool:
        """``value`` is a value or a derivation, possibly rescaled as ``unit`` allows, to within
        ``written`` (one unit in its last written place) and at most ``tolerance`` (relative).
        Derivations from more than ``FINAL_VALUES`` final values count only when ``wide``."""
        if not math.isfinite(value):
            return False
        scales = UNIT_SCALES.get(unit, MAGNITUDE_SCALES)
        scaled = value * scales
        within = np.minimum(written * scales, tolerance * np.abs(scaled))
        within = np.maximum(within, _RELATIVE_FLOOR * np.abs(scaled))[:, None]
        if _near(self.values, scaled, within):
            return True
        return (wide or len(self.final) <= FINAL_VALUES) and _near(self.derived, scaled, within)


def _near(pool: np.ndarray, targets: np.ndarray, within: np.ndarray) -> bool:
    """Some number of ``pool`` lies within ``within`` of some target."""
    return bool(pool.size) and bool((np.abs(pool[None, :] - targets[:, None]) <= within).any())


def _inputs_grounded(step: ToolStep, values: list[float]) -> bool:
    """Every number in a calculator expression is a value seen so far or a small constant, and
    at least one is a value."""
    seen = np.abs(np.asarray(values, dtype=float))
    used_value = False
    for literal in _LITERAL.findall(step.expression):
        number = float(literal)
        unit = last_place(literal)
        if seen.size and (np.abs(seen - number) <= unit).any():
            used_value = True
        elif not _is_constant(number):
            return False
    return used_value
