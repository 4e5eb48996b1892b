"""The ``answer_correctness`` scorer: 1 when the submitted answer matches the gold, else 0."""

from __future__ import annotations

from inspect_ai.scorer import Score, Target, accuracy, scorer, stderr
from inspect_ai.solver import TaskState

from finbehave.data.items import Item
from finbehave.rubrics.answers import PUBLIC_RULE, Mode, check_answer
from finbehave.vocab import ANSWER_SCORER


@scorer(metrics=[accuracy(), stderr()], name=ANSWER_SCORER)
def answer_correctness(tolerance: float | None = None, mode: Mode = "finbehave"):
    """Compare the submitted answer with the item's gold answer (``check_answer``).

    Args:
        tolerance: Relative tolerance (default ``DEFAULT_TOLERANCE``, 0.01 = 1%); an error with
            ``mode="public"``, whose rule fixes it.
        mode: ``finbehave`` (our parsing rules) or ``public`` (the public FinQA agent
            environment's reward rule, for numbers comparable with published results; the gold
            is written as that environment writes it, see ``public_gold``).
    """
    if mode == "public" and tolerance is not None:
        raise ValueError(
            f"answer_correctness(mode='public') scores with {PUBLIC_RULE}: drop tolerance"
        )

    async def score(state: TaskState, target: Target) -> Score:
        item = Item.model_validate(state.metadata)
        submitted = state.output.completion if state.output else ""
        if mode == "public":
            from finbehave.env.public_tools import public_gold

            gold = public_gold(item)
            check = check_answer(submitted, gold, item.unit, mode="public")
            explanation = f"{check.explanation} (gold {item.answer!r} {item.unit} as {gold!r})"
        else:
            check = check_answer(submitted, item.answer, item.unit, tolerance=tolerance)
            explanation = check.explanation
        return Score(value=1 if check.correct else 0, answer=submitted, explanation=explanation)

    return score
