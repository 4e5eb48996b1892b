"""Compile a FinQA program (``subtract(5829, 5735), divide(#0, 5735)``) into one SQL expression.

Each numeric operand is looked up among the parsed cells of the imported table and becomes a
scalar subquery ``(SELECT "col" FROM "table" WHERE line_item = '...')``; constants (``const_100``,
``const_m1``) and step references (``#0``) are inlined; the arithmetic happens in SQL. FinQA reads
``5.6%`` as 0.056, so a percent operand found in a percent cell is divided by 100, as FinQA does.
``table_max/min/sum/average(row, none)`` become ``list_max/min/sum/avg`` over the row's value
columns. ``greater(a, b)`` yields ``'yes'``/``'no'``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from finbehave.data.importers.common import Cell, parse_cell
from finbehave.sql import quote_ident, sql_string

_STEP_RE = re.compile(r"\s*([a-z_]+)\(([^()]*)\)\s*,?")
_ARITH = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/"}
_TABLE_OPS = {"table_max": "list_max", "table_min": "list_min", "table_sum": "list_sum"}
_TABLE_OPS["table_average"] = "list_avg"


class ProgramError(ValueError):
    """The program cannot be compiled (malformed, or an operand is not in the table)."""


@dataclass
class TableIndex:
    """What the compiler needs to know about one imported table."""

    name: str
    line_items: list[str]  # the SQL ``line_item`` value of each row (deduplicated)
    row_labels: list[str]  # the first cell of each row as in the source
    value_columns: list[str]  # DOUBLE column names, in order
    cells: list[list[Cell]]  # parsed value cells, per row, per value column


@dataclass
class Compiled:
    """A compiled program: the SQL expression, the columns it reads and its ops."""

    expr: str
    columns: set[str] = field(default_factory=set)
    ops: list[str] = field(default_factory=list)
    boolean: bool = False


def parse_program(program: str) -> list[tuple[str, list[str]]]:
    """Split a program into ``(op, [args])`` steps; raise ``ProgramError`` if malformed."""
    steps, pos = [], 0
    text = program.strip()
    while pos < len(text):
        match = _STEP_RE.match(text, pos)
        if not match:
            raise ProgramError(f"malformed program near {text[pos : pos + 30]!r}")
        steps.append((match.group(1), [a.strip() for a in match.group(2).split(",")]))
        pos = match.end()
    if not steps:
        raise ProgramError("empty program")
    return steps


def _const(arg: str) -> float:
    token = arg[len("const_") :]
    return -float(token[1:]) if token.startswith("m") else float(token)


def _lookup(table: TableIndex, arg: str, columns: set[str]) -> str:
    wanted = parse_cell(arg)
    if wanted.value is None:
        raise ProgramError(f"operand {arg!r} is not a number")
    for r, row in enumerate(table.cells):
        for c, cell in enumerate(row):
            if cell.value is None or not math.isclose(cell.value, wanted.value, abs_tol=1e-9):
                continue
            column = table.value_columns[c]
            columns.add(column)
            sub = (
                f"(SELECT {quote_ident(column)} FROM {quote_ident(table.name)} "
                f"WHERE line_item = {sql_string(table.line_items[r])})"
            )
            return f"({sub} / 100.0)" if wanted.percent else sub
    raise ProgramError(f"operand {arg} is not in the table")


def _row_op(table: TableIndex, op: str, label: str, columns: set[str]) -> str:
    for r, row_label in enumerate(table.row_labels):
        if row_label.strip().lower() == label.strip().lower():
            columns.update(table.value_columns)
            listed = ", ".join(quote_ident(c) for c in table.value_columns)
            return (
                f"(SELECT {_TABLE_OPS[op]}([{listed}]) FROM {quote_ident(table.name)} "
                f"WHERE line_item = {sql_string(table.line_items[r])})"
            )
    raise ProgramError(f"row {label!r} is not in the table")


def compile_program(program: str, table: TableIndex) -> Compiled:
    """Compile ``program`` against ``table``; raise ``ProgramError`` when it cannot be done."""
    steps = parse_program(program)
    results: list[str] = []
    compiled = Compiled("")

    def operand(arg: str) -> str:
        if arg.startswith("#"):
            index = int(arg[1:])
            if index >= len(results):
                raise ProgramError(f"reference {arg} before it is computed")
            return results[index]
        if arg.startswith("const_"):
            return repr(_const(arg))
        return _lookup(table, arg, compiled.columns)

    for op, args in steps:
        compiled.ops.append(op)
        if op in _TABLE_OPS:
            results.append(_row_op(table, op, args[0], compiled.columns))
            continue
        if len(args) != 2:
            raise ProgramError(f"{op} takes two arguments, got {len(args)}")
        a, b = operand(args[0]), operand(args[1])
        if op in _ARITH:
            results.append(f"(CAST({a} AS DOUBLE) {_ARITH[op]} {b})")
        elif op == "exp":
            results.append(f"power({a}, {b})")
        elif op == "greater":
            results.append(f"(CASE WHEN {a} > {b} THEN 'yes' ELSE 'no' END)")
            compiled.boolean = True
        else:
            raise ProgramError(f"unknown operation {op!r}")
    compiled.expr = results[-1]
    return compiled


def program_kind(ops: list[str]) -> str:
    """A question kind from the program's operations."""
    if not ops:
        return "lookup"
    last = ops[-1]
    if last == "greater":
        return "comparison"
    if last.startswith("table_"):
        return last.removeprefix("table_")
    if last == "exp":
        return "growth"
    if last == "divide":
        return "percent_change" if "subtract" in ops else "ratio"
    return {"add": "sum", "subtract": "change", "multiply": "product"}.get(last, "arithmetic")
