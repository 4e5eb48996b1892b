"""Per-sample state shared by the task and the scripted reference policies."""

from __future__ import annotations

from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import store

from finbehave.data.items import Item

ITEM_KEY = "finbehave:item"


@solver
def remember_item() -> Solver:
    """Keep the sample's item in the per-sample store (scripted reference policies read it)."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        store().set(ITEM_KEY, dict(state.metadata))
        return state

    return solve


def current_item() -> Item:
    """The item of the sample being run."""
    item = store().get(ITEM_KEY)
    if item is None:
        raise RuntimeError(
            "scripted policies need a finbehave task (finbehave/finqa or finbehave/finqa_reasoning)"
        )
    return Item.model_validate(item)
