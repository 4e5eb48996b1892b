"""What to train on — and what never: test-split, held-out and eval-only items are refused.

Sources (recipe ``items.source``): ``diagnosis`` (default) takes the diagnosis' target train
items; ``all`` takes every train-split item the diagnosis does not hold out. ``items.tasks``
filters by task; ``order: curriculum`` (default) puts single-table items before multi-table ones
(stable otherwise); ``max_items`` keeps the first N. The selection is then checked item by item
(:func:`check_trainable`); any violation is a one-line ``ItemSelectionError``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from finbehave.data.items import Item
from finbehave.data.store import DatasetStore
from finbehave.diagnosis import Diagnosis
from finbehave.training.environment import prompt_messages
from finbehave.training.recipe import ItemsSpec


class ItemSelectionError(ValueError):
    """The items to train on are missing or not allowed; the message is one line."""


def curriculum(items: Iterable[Item]) -> list[Item]:
    """Single-table items first, then multi-table ones; order within each kept."""
    return sorted(items, key=lambda item: item.multi_table)


def check_trainable(
    items: Iterable[Item],
    held_out: set[str],
    dataset_eval_only: bool = False,
    allow_eval_only: bool = False,
    fix: str = "fix the diagnosis' target_items.train",
) -> None:
    """Refuse test-split and held-out items always, eval-only ones unless allowed.

    ``fix`` is what the error for a test-split item tells the user to do.
    """
    for item in items:
        if item.split != "train":
            raise ItemSelectionError(
                f"item {item.id} is in the {item.split} split; training only uses train-split "
                f"items ({fix})"
            )
        if item.id in held_out:
            raise ItemSelectionError(
                f"item {item.id} is held out by the diagnosis for evaluation; "
                "remove it from target_items.train"
            )
        if (item.eval_only or dataset_eval_only) and not allow_eval_only:
            raise ItemSelectionError(
                f"item {item.id} is eval-only (its dataset is meant for evaluation); "
                "pass --allow-eval-only to train on it anyway"
            )


def select_items(
    store: DatasetStore,
    spec: ItemsSpec,
    diagnosis: Diagnosis | None = None,
    allow_eval_only: bool = False,
) -> list[Item]:
    """The training items of ``store`` for the recipe's ``items`` settings (checked)."""
    by_id = {item.id: item for item in store.iter_items()}
    held_out = set(diagnosis.target_items.held_out) if diagnosis else set()
    if spec.source == "diagnosis":
        if diagnosis is None:
            raise ItemSelectionError(
                "items.source is diagnosis but no diagnosis was given; pass --diagnosis "
                "DIR/diagnosis.json or set items.source: all in the recipe"
            )
        missing = [i for i in diagnosis.target_items.train if i not in by_id]
        if missing:
            raise ItemSelectionError(
                f"diagnosis target item {missing[0]} is not in dataset {store.name!r}; "
                "set the recipe's dataset: to the one the diagnosis was made on"
            )
        if not diagnosis.target_items.train:
            raise ItemSelectionError(
                f"the diagnosis of {diagnosis.subject} has no train target items "
                f"({diagnosis.recommendation.rstrip('.')}); diagnose a weaker run "
                "(finbehave report LOGS --subject RUN) or set items.source: all in the recipe"
            )
        chosen = [by_id[i] for i in diagnosis.target_items.train]
    else:
        chosen = [i for i in by_id.values() if i.split == "train" and i.id not in held_out]
    chosen = [item for item in chosen if item.task in spec.tasks]
    if spec.order == "curriculum":
        chosen = curriculum(chosen)
    chosen = chosen[: spec.max_items]
    if not chosen:
        raise ItemSelectionError(
            f"no items to train on (source {spec.source}, tasks {', '.join(spec.tasks)}); "
            "widen items.tasks or use items.source: all"
        )
    check_trainable(chosen, held_out, store.eval_only, allow_eval_only)
    return chosen


def training_rows(items: Iterable[Item], store: DatasetStore) -> list[dict[str, Any]]:
    """TRL dataset rows: the evaluation prompt, plus what ``FinQAToolEnv.reset`` needs."""
    return [
        {"prompt": prompt_messages(item), "item_id": item.id, "dataset": str(store.path)}
        for item in items
    ]
