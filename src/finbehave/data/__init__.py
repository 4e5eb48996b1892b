"""Item records and datasets: the embedded corpus, imported datasets, and their on-disk format."""

from finbehave.data.items import Item, TableSpec, Unit
from finbehave.data.store import DatasetStore, load_dataset

__all__ = ["DatasetStore", "Item", "TableSpec", "Unit", "load_dataset"]
