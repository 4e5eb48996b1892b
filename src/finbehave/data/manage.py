"""List, describe and remove the imported datasets in the user data directory."""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from finbehave.data.store import DatasetError, DatasetStore, check_name, datasets_dir


@dataclass(frozen=True)
class DatasetInfo:
    """One imported dataset."""

    name: str
    path: Path
    items: int
    companies: int
    eval_only: bool
    source: str


def list_datasets(root: Path | None = None) -> list[DatasetInfo]:
    """The imported datasets, by name (unreadable directories are left out)."""
    found = []
    base = datasets_dir(root)
    for path in sorted(base.iterdir()) if base.is_dir() else []:
        if path.name.startswith(".") or not path.is_dir():
            continue
        try:
            store = DatasetStore(path)
            count = sum(1 for _ in store.iter_items())
        except DatasetError:
            continue
        found.append(
            DatasetInfo(
                store.name,
                path,
                count,
                len(store.companies()),
                store.eval_only,
                str(store.manifest.get("source", "")),
            )
        )
    return found


def _store(name: str, root: Path | None) -> DatasetStore:
    path = datasets_dir(root) / check_name(name)
    if not path.is_dir():
        raise DatasetError(f"no imported dataset {name!r}; see `finbehave data list`")
    return DatasetStore(path)


def dataset_info(name: str, root: Path | None = None) -> dict:
    """Manifest and counts per task, split, kind, unit, evidence and company."""
    store = _store(name, root)
    counts: dict[str, Counter] = {
        key: Counter() for key in ("task", "split", "kind", "unit", "evidence", "company")
    }
    gold = 0
    for item in store.iter_items():
        for key, counter in counts.items():
            counter[getattr(item, key)] += 1
        gold += item.gold_sql is not None
    tables = sum(len(store.company(c).tables) for c in store.companies())
    return {
        **store.manifest,
        "path": str(store.path),
        "items": sum(counts["task"].values()),
        "with_gold_sql": gold,
        "tables": tables,
        **{f"by_{key}": dict(counter.most_common()) for key, counter in counts.items()},
    }


def remove_dataset(name: str, root: Path | None = None) -> Path:
    """Delete an imported dataset directory; returns its path."""
    store = _store(name, root)
    shutil.rmtree(store.path)
    return store.path
