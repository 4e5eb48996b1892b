"""The ``answer_correctness`` scorer: 1 when the submitted answer matches the gold, else 0."""

from __future__ import annotations

from inspect_ai.scorer import Score, Target, accuracy, scorer, stderr
from inspect_ai.solver import TaskState

from finbehave.data.items import Item
from finbehave.rubrics.answers import check_answer
from finbehave.vocab import ANSWER_SCORER, DEFAULT_TOLERANCE


@scorer(metrics=[accuracy(), stderr()], name=ANSWER_SCORER)
def answer_correctness(tolerance: float = DEFAULT_TOLERANCE, mode: str = "finbehave"):
    """Compare the submitted answer with the item's gold answer (``check_answer``).

    Args:
        tolerance: Relative tolerance (0.01 = 1%).
        mode: ``finbehave`` (our parsing rules) or ``public`` (the public FinQA agent
            environment's reward rule, for numbers comparable with published results).
    """

    async def score(state: TaskState, target: Target) -> Score:
        item = Item.model_validate(state.metadata)
        submitted = state.output.completion if state.output else ""
        gold = item.answer
        if mode == "public":
            from finbehave.env.public_tools import public_gold

            gold = public_gold(item)
        check = check_answer(submitted, gold, item.unit, tolerance=tolerance, mode=mode)
        return Score(
            value=1 if check.correct else 0,
            answer=submitted,
            explanation=check.explanation,
        )

    return score
