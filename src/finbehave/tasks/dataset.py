"""Items of a finbehave dataset as Inspect samples."""

from __future__ import annotations

from inspect_ai.dataset import MemoryDataset, Sample

from finbehave.data.items import Item, TaskName
from finbehave.data.store import DatasetStore, SplitFilter


def item_sample(item: Item) -> Sample:
    """One item as a sample: the question is the input, the item rides in metadata."""
    return Sample(
        id=item.id,
        input=item.question,
        target=str(item.answer),
        metadata=item.model_dump(),
    )


def task_dataset(store: DatasetStore, task: TaskName, split: SplitFilter) -> MemoryDataset:
    """The samples of ``task`` in ``split`` (``all``, ``train`` or ``test``)."""
    items = store.items(task=task, split=split)
    if not items:
        raise ValueError(
            f"dataset {store.name!r} has no {task} items in split {split!r}; "
            "check -T split=all|train|test and -T dataset=..."
        )
    return MemoryDataset([item_sample(item) for item in items], name=f"{store.name}:{task}:{split}")
