"""The on-disk dataset format and where datasets live.

A dataset is a directory::

    manifest.json           {"name", "format_version", "source", "eval_only", "description"}
    items.jsonl             one Item per line (sorted by id)
    companies/<slug>.json   one CompanyTables per company

The embedded dataset ships inside the package (``finbehave/data/embedded``); imported datasets live
in the user data directory (``FINBEHAVE_DATA_DIR`` or the platform's user data dir) under
``datasets/<name>``. ``load_dataset`` resolves ``embedded``, a dataset name or a directory path.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Literal

from finbehave.data.items import CompanyTables, Item, TaskName

FORMAT_VERSION = 1
EMBEDDED = "embedded"
EMBEDDED_DIR = Path(__file__).parent / "embedded"
SplitFilter = Literal["all", "train", "test"]


class DatasetError(ValueError):
    """A dataset is missing or malformed; the message names the fix."""


def user_data_dir() -> Path:
    """Root directory for imported datasets (``FINBEHAVE_DATA_DIR`` overrides)."""
    env = os.environ.get("FINBEHAVE_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("finbehave"))


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
    named = user_data_dir() / "datasets" / text
    if named.is_dir():
        return named
    raise DatasetError(
        f"unknown dataset {text!r}: use 'embedded', a directory, or a name from `finbehave data list`"
    )


def load_dataset(name_or_path: str | Path = EMBEDDED) -> DatasetStore:
    """Open a dataset by name (``embedded`` or imported) or directory path."""
    return DatasetStore(dataset_path(name_or_path))
