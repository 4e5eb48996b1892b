"""Shared importer pieces: 10-K cell parsing, SQL-safe names, the summary and atomic writing.

Imported tables keep both readings of every value column: ``<col>`` (DOUBLE, the number as a
person reads the 10-K cell, NULL when the cell holds no number) and ``<col>_text`` (VARCHAR, the
cell exactly as in the source). The first column is ``line_item`` (VARCHAR).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from finbehave.data.items import CompanyTables, Item, TableSpec
from finbehave.data.store import FORMAT_VERSION, DatasetStore, user_data_dir

Progress = Callable[[int, int | None], None]
"""``progress(completed, total)``: called as an import advances (units are the importer's)."""

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_NUMBER = r"\d+(?:\.\d+)?|\.\d+"
_PLAIN_RE = re.compile(rf"^(-?)\s*({_NUMBER})\s*(%?)\s*(?:\(\s*-?\s*(?:{_NUMBER})\s*%?\s*\))?$")
_PAREN_RE = re.compile(rf"^\(\s*({_NUMBER})\s*(%?)\s*\)$")
_EMPTY = {"", "-", "--", "n/a", "na", "n/m", "nm", "none", "\u2014", "\u2013", "nil"}
_EM_DASH = {"2014", "$ 2014", "$2014", "( 2014 )"}


class DataImportError(ValueError):
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


def sql_name(text: str, fallback: str = "col") -> str:
    """A snake_case SQL identifier from free text: [a-z0-9_], not starting with a digit."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:48].strip("_")
    if not name:
        name = fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    return name


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


def company_slug(text: str) -> str:
    """The company slug of a ticker or folder name (``BRK.B`` -> ``brk_b``)."""
    return sql_name(text, fallback="c")


def sql_string(text: str) -> str:
    """A SQL string literal with quotes doubled."""
    return "'" + str(text).replace("'", "''") + "'"


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


def check_name(name: str) -> str:
    """Validate a dataset name (a plain directory name)."""
    if not _NAME_RE.match(name) or name in ("embedded", ".", ".."):
        raise DataImportError(
            f"invalid dataset name {name!r}: use letters, digits, '_', '-' or '.' (not 'embedded')"
        )
    return name


class DatasetWriter:
    """Builds a dataset in a temporary directory beside its target and swaps it in on commit.

    Tables are appended per company to scratch files as they arrive (nothing is held twice);
    ``commit`` assembles one company file at a time, validates, and replaces any previous dataset
    with ``os.replace``. If anything fails before that, the previous dataset is untouched.
    """

    def __init__(self, name: str, root: Path | None = None) -> None:
        self.name = check_name(name)
        self.root = (root or user_data_dir()) / "datasets"
        self.root.mkdir(parents=True, exist_ok=True)
        self.target = self.root / name
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=self.root))
        (self.tmp / "companies").mkdir()
        (self.tmp / "scratch").mkdir()
        self.items: list[Item] = []
        self.display: dict[str, str] = {}
        self.table_names: dict[str, set[str]] = {}

    def add_table(self, company: str, display: str, table: TableSpec, text: list[str]) -> None:
        """Append one table (and its filing text, possibly empty) to ``company``."""
        names = self.table_names.setdefault(company, set())
        if table.name in names:
            raise DataImportError(f"duplicate table {table.name!r} for company {company!r}")
        names.add(table.name)
        self.display.setdefault(company, display)
        record = {"table": table.model_dump(), "text": text}
        with (self.tmp / "scratch" / f"{company}.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def has_table(self, company: str, table: str) -> bool:
        return table in self.table_names.get(company, set())

    def add_item(self, item: Item) -> None:
        self.items.append(item)

    def _write_companies(self) -> None:
        for company, display in sorted(self.display.items()):
            tables, texts = [], {}
            scratch = self.tmp / "scratch" / f"{company}.jsonl"
            with scratch.open(encoding="utf-8") as handle:
                for line in handle:
                    record = json.loads(line)
                    table = TableSpec.model_validate(record["table"])
                    tables.append(table)
                    if record["text"]:
                        texts[table.name] = record["text"]
            doc = CompanyTables(company=company, display_name=display, tables=tables, texts=texts)
            path = self.tmp / "companies" / f"{company}.json"
            path.write_text(doc.model_dump_json(), encoding="utf-8")
            scratch.unlink()

    def commit(self, source: str, eval_only: bool, description: str) -> Path:
        """Write items, companies and manifest; validate; swap into place."""
        self._write_companies()
        (self.tmp / "scratch").rmdir()
        items = sorted(self.items, key=lambda i: i.id)
        with (self.tmp / "items.jsonl").open("w", encoding="utf-8") as handle:
            for item in items:
                handle.write(item.model_dump_json() + "\n")
        manifest = {
            "name": self.name,
            "format_version": FORMAT_VERSION,
            "source": source,
            "eval_only": eval_only,
            "description": description,
        }
        (self.tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        store = DatasetStore(self.tmp)
        companies = set(store.companies())
        for item in store.iter_items():
            if item.company not in companies:
                raise DataImportError(f"item {item.id} names unknown company {item.company!r}")
        backup = None
        if self.target.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{self.name}.old-", dir=self.root))
            os.replace(self.target, backup / "old")
        os.replace(self.tmp, self.target)
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
        return self.target

    def abort(self) -> None:
        """Remove the temporary directory (the previous dataset stays as it was)."""
        shutil.rmtree(self.tmp, ignore_errors=True)
