"""Shared importer pieces: 10-K cell parsing, unique names and the import summary.

Imported tables keep both readings of every value column: ``<col>`` (DOUBLE, the number as a
person reads the 10-K cell, NULL when the cell holds no number) and ``<col>_text`` (VARCHAR, the
cell exactly as in the source). The first column is ``line_item`` (VARCHAR).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from finbehave.data.store import DatasetError

Progress = Callable[[int, int | None], None]
"""``progress(completed, total)``: called as an import advances (units are the importer's)."""

_NUMBER = r"\d+(?:\.\d+)?|\.\d+"
_PLAIN_RE = re.compile(rf"^(-?)\s*({_NUMBER})\s*(%?)\s*(?:\(\s*-?\s*(?:{_NUMBER})\s*%?\s*\))?$")
_PAREN_RE = re.compile(rf"^\(\s*({_NUMBER})\s*(%?)\s*\)$")
_EMPTY = {"", "-", "--", "n/a", "na", "n/m", "nm", "none", "\u2014", "\u2013", "nil"}
_EM_DASH = {"2014", "$ 2014", "$2014", "( 2014 )"}


class DataImportError(DatasetError):
    """A source cannot be imported; the message is one line naming the fix."""


@dataclass(frozen=True)
class Cell:
    """A parsed 10-K cell: its number (None when it holds none) and whether it had a % sign."""

    value: float | None
    percent: bool = False


def parse_cell(text: str, em_dash_2014: bool = False) -> Cell:
    """Read a cell as people write them in 10-Ks.

    ``$ 1,234`` -> 1234; ``( 12 )`` -> -12; ``-36 ( 36 )`` and ``$ -6.3 ( 6.3 )`` -> -36, -6.3;
    ``2.92% ( 2.92 % )`` -> 2.92 (percent); ``n/a``, ``-``, empty -> None; with ``em_dash_2014``
    the FinQA artefact ``2014``/``$ 2014`` (an em dash rendered as its code point) -> None.
    """
    raw = " ".join(str(text).split()).lower()
    if raw in _EMPTY or (em_dash_2014 and raw in _EM_DASH):
        return Cell(None)
    cleaned = raw.replace("$", "").replace(",", "").strip()
    match = _PLAIN_RE.match(cleaned)
    if match:
        value = float(match.group(2))
        return Cell(-value if match.group(1) else value, bool(match.group(3)))
    match = _PAREN_RE.match(cleaned)
    if match:
        return Cell(-float(match.group(1)), bool(match.group(2)))
    return Cell(None)


def dedupe(names: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """Make names unique by appending ``_2``, ``_3``, ... (also avoiding ``taken``)."""
    seen = set(taken)
    out = []
    for name in names:
        candidate, n = name, 2
        while candidate in seen:
            candidate, n = f"{name}_{n}", n + 1
        seen.add(candidate)
        out.append(candidate)
    return out


@dataclass
class ImportSummary:
    """What an import produced."""

    name: str
    path: Path
    format: str
    items: int = 0
    tables: int = 0
    companies: int = 0
    tasks: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    table_evidence: int = 0
    reproduced: int = 0
    multi_table: int = 0

    @property
    def reproduced_rate(self) -> float | None:
        """Share of table-evidence items whose compiled gold SQL reproduces the source answer."""
        return self.reproduced / self.table_evidence if self.table_evidence else None

    def lines(self) -> list[str]:
        """The summary as printable lines."""
        out = [
            f"dataset {self.name!r} ({self.format}) at {self.path}",
            f"items: {self.items} ({', '.join(f'{k} {v}' for k, v in sorted(self.tasks.items()))})",
            f"tables: {self.tables} in {self.companies} companies",
        ]
        if self.reproduced_rate is not None:
            out.append(
                f"gold SQL reproduces the source answer: {self.reproduced}/{self.table_evidence}"
                f" table-evidence items ({self.reproduced_rate:.1%})"
            )
        if self.format == "finqa":
            out.append(f"multi-table (finqa_reasoning) items: {self.multi_table}")
        skipped = sum(self.skipped.values())
        out.append(f"skipped: {skipped}")
        out += [f"  {count} x {reason}" for reason, count in self.skipped.most_common()]
        return out
