"""The on-disk dataset format, where datasets live, and the one writer that creates them.

A dataset is a directory::

    manifest.json           {"name", "format_version", "source", "eval_only", "description"}
    items.jsonl             one Item per line (sorted by id)
    companies/<slug>.json   one CompanyTables per company

The embedded dataset ships inside the package (``finbehave/data/embedded``); imported datasets live
in the user data directory (``FINBEHAVE_DATA_DIR`` or the platform's user data dir) under
``datasets/<name>``. ``load_dataset`` resolves ``embedded``, a dataset name or a directory path.
``DatasetWriter`` writes every dataset, imported or generated, atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Literal

from finbehave.data.items import CompanyTables, Item, TableSpec
from finbehave.vocab import EMBEDDED, TaskName

FORMAT_VERSION = 1
EMBEDDED_DIR = Path(__file__).parent / "embedded"
SplitFilter = Literal["all", "train", "test"]
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class DatasetError(ValueError):
    """A dataset is missing or malformed; the message names the fix."""


def user_data_dir() -> Path:
    """Root directory for imported datasets (``FINBEHAVE_DATA_DIR`` overrides)."""
    env = os.environ.get("FINBEHAVE_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("finbehave"))


def datasets_dir(root: Path | None = None) -> Path:
    """The directory holding imported datasets: ``<root or user_data_dir()>/datasets``."""
    return (root or user_data_dir()) / "datasets"


def check_name(name: str) -> str:
    """Validate an imported dataset's name (a plain directory name, not ``embedded``)."""
    if not _NAME_RE.match(name) or name in (EMBEDDED, ".", ".."):
        raise DatasetError(
            f"invalid dataset name {name!r}: use letters, digits, '_', '-' or '.' (not 'embedded')"
        )
    return name


def user_cache_dir() -> Path:
    """Root directory for derived files such as DuckDB databases (``FINBEHAVE_CACHE_DIR``)."""
    env = os.environ.get("FINBEHAVE_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("finbehave"))


class DatasetStore:
    """Read access to one dataset directory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        manifest = self.path / "manifest.json"
        if not manifest.is_file():
            raise DatasetError(
                f"{self.path} is not a finbehave dataset (no manifest.json); "
                "import one with `finbehave data import` or pass -T dataset=embedded"
            )
        self.manifest: dict = json.loads(manifest.read_text(encoding="utf-8"))
        version = self.manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise DatasetError(
                f"{manifest}: format_version {version!r} is not {FORMAT_VERSION}; "
                "re-import the dataset with this finbehave version"
            )

    @property
    def name(self) -> str:
        return str(self.manifest.get("name", self.path.name))

    @property
    def eval_only(self) -> bool:
        return bool(self.manifest.get("eval_only", False))

    @cached_property
    def fingerprint(self) -> str:
        """Content hash of the company files (keys the DuckDB cache)."""
        digest = hashlib.sha256()
        for path in sorted((self.path / "companies").glob("*.json")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def iter_items(self) -> Iterator[Item]:
        with (self.path / "items.jsonl").open(encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, 1):
                if line.strip():
                    try:
                        yield Item.model_validate_json(line)
                    except ValueError as exc:
                        first = str(exc).splitlines()[0]
                        raise DatasetError(
                            f"{self.path / 'items.jsonl'} line {line_no}: {first}; "
                            "re-import or regenerate the dataset"
                        ) from None

    def items(self, task: TaskName | None = None, split: SplitFilter = "all") -> list[Item]:
        """Items of this dataset, optionally filtered by task and split, in file order."""
        if split not in ("all", "train", "test"):
            raise DatasetError(f"split must be all, train or test, not {split!r}")
        return [
            item
            for item in self.iter_items()
            if (task is None or item.task == task) and (split == "all" or item.split == split)
        ]

    def companies(self) -> list[str]:
        return sorted(p.stem for p in (self.path / "companies").glob("*.json"))

    def company(self, slug: str) -> CompanyTables:
        path = self.path / "companies" / f"{slug}.json"
        if not path.is_file():
            raise DatasetError(f"dataset {self.name!r} has no company {slug!r}")
        return CompanyTables.model_validate_json(path.read_text(encoding="utf-8"))


def dataset_path(name_or_path: str | Path) -> Path:
    """Resolve ``embedded``, an imported dataset name, or a directory path."""
    text = str(name_or_path)
    if text == EMBEDDED:
        return EMBEDDED_DIR
    candidate = Path(text).expanduser()
    if candidate.is_dir():
        return candidate
    named = datasets_dir() / text
    if named.is_dir():
        return named
    raise DatasetError(
        f"unknown dataset {text!r}: use 'embedded', a directory, or a name from `finbehave data list`"
    )


def load_dataset(name_or_path: str | Path = EMBEDDED) -> DatasetStore:
    """Open a dataset by name (``embedded`` or imported) or directory path."""
    return DatasetStore(dataset_path(name_or_path))


class DatasetWriter:
    """Builds a dataset in a temporary directory beside ``target`` and swaps it in on commit.

    Tables are appended per company to scratch files as they arrive (nothing is held twice);
    ``commit`` assembles one company file at a time, validates, and replaces any previous dataset
    with ``os.replace``. If anything fails before that, the previous dataset is untouched.

    The target is replaced whole, so it must be new, empty or a dataset unless ``replace_any``
    (the user data directory's ``datasets/<name>``, which only finbehave writes). ``indent``
    pretty-prints the company files (the embedded dataset's, for readable diffs).
    """

    def __init__(
        self, target: Path, name: str, indent: int | None = None, replace_any: bool = False
    ) -> None:
        self.name = name
        self.target = Path(target)
        self.indent = indent
        if self.target.is_file() or (
            not replace_any
            and self.target.is_dir()
            and any(self.target.iterdir())
            and not (self.target / "manifest.json").is_file()
        ):
            raise DatasetError(
                f"{self.target} exists and is not a finbehave dataset; "
                "write to a new or empty directory (the whole directory is replaced)"
            )
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(
            tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-", dir=self.target.parent)
        )
        (self.tmp / "companies").mkdir()
        (self.tmp / "scratch").mkdir()
        self.items: list[Item] = []
        self.display: dict[str, str] = {}
        self.table_names: dict[str, set[str]] = {}

    @classmethod
    def imported(cls, name: str, root: Path | None = None) -> DatasetWriter:
        """A writer for the imported dataset ``name`` under ``datasets_dir(root)``."""
        return cls(datasets_dir(root) / check_name(name), name, replace_any=True)

    def add_table(self, company: str, display: str, table: TableSpec, text: list[str]) -> None:
        """Append one table (and its filing text, possibly empty) to ``company``."""
        names = self.table_names.setdefault(company, set())
        if table.name in names:
            raise DatasetError(f"duplicate table {table.name!r} for company {company!r}")
        names.add(table.name)
        self.display.setdefault(company, display)
        record = {"table": table.model_dump(), "text": text}
        with (self.tmp / "scratch" / f"{company}.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def add_company(self, company: CompanyTables) -> None:
        """Add every table of ``company`` (with its filing text)."""
        for table in company.tables:
            text = company.texts.get(table.name, [])
            self.add_table(company.company, company.display_name, table, text)

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
            path.write_text(doc.model_dump_json(indent=self.indent) + "\n", encoding="utf-8")
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
        text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
        (self.tmp / "manifest.json").write_text(text, encoding="utf-8")
        store = DatasetStore(self.tmp)
        companies = set(store.companies())
        for item in store.iter_items():
            if item.company not in companies:
                raise DatasetError(f"item {item.id} names unknown company {item.company!r}")
        backup = None
        if self.target.exists():
            shutil.copymode(self.target, self.tmp)  # mkdtemp made it private; keep the old mode
            backup = Path(
                tempfile.mkdtemp(prefix=f".{self.target.name}.old-", dir=self.target.parent)
            )
            os.replace(self.target, backup / "old")
        os.replace(self.tmp, self.target)
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
        return self.target

    def abort(self) -> None:
        """Remove the temporary directory (the previous dataset stays as it was)."""
        shutil.rmtree(self.tmp, ignore_errors=True)
