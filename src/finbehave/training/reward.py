"""Rollout rewards: the rubric's behaviour scores collapsed to one number by reward weights.

One code path: ``reward = collapse(score_trace(rollout as Inspect messages, item, rubric), w)``,
the same ``score_trace`` the evaluation scorer and ``finbehave rescore`` call, so a rollout's
reward equals the collapse of the score its trace gets in an Inspect log. ::

    collapse(s, w) = sum_b w_b s_b / sum_b w_b   over behaviours b with w_b > 0 and s_b not NaN

Edge cases: a behaviour that does not apply (NaN, or None as read from a log) drops out and the
remaining weights renormalise; a behaviour missing from the scores counts as not applicable; one
missing from the weights has weight 0; when nothing weighted applies the reward is 0.0. Weights
must be finite and >= 0 and name behaviours (``ValueError`` otherwise): a negative weight would
make the renormalising sum cross zero. Only their ratios matter.

TRL: :meth:`RubricReward.functions` gives one reward function per behaviour (its raw score,
``None`` when not applicable, logged as ``rewards/<behaviour>/mean``) with the behaviour weights
as ``GRPOConfig.reward_weights``, plus ``not_applicable_adjustment`` with weight 1:
``collapse - sum_b w_b s_b``, the renormalisation for behaviours that did not apply. With
``multi_objective_aggregation="sum_then_normalize"`` TRL's weighted sum is therefore exactly
``collapse``. Judge criteria are not run during training (no grader): they count nowhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from finbehave.data.items import Item
from finbehave.rubrics.score import RubricResult, score_trace
from finbehave.rubrics.spec import Rubric
from finbehave.training.environment import FinQAToolEnv, ToolFailure
from finbehave.training.messages import to_inspect_messages
from finbehave.vocab import BEHAVIOURS, DEFAULT_TOLERANCE

ADJUSTMENT = "not_applicable_adjustment"
RewardFunction = Callable[..., list[float | None]]


def _checked(behaviour: str, weight: float) -> float:
    if behaviour not in BEHAVIOURS:
        raise ValueError(
            f"reward weight for unknown behaviour {behaviour!r}; use {', '.join(BEHAVIOURS)}"
        )
    if not isinstance(weight, int | float) or not math.isfinite(weight) or weight < 0:
        raise ValueError(f"reward weight of {behaviour} is {weight!r}; weights must be >= 0")
    return float(weight)


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Validated weights (see the module docstring); at least one must be positive."""
    checked = {b: _checked(b, w) for b, w in weights.items()}
    if not any(checked.values()):
        raise ValueError("every reward weight is 0; give at least one behaviour a positive weight")
    return checked


def chosen_weights(choice: str | Mapping[str, float]) -> dict[str, float] | None:
    """A run's reward-weights choice: ``"diagnosis"`` -> None (the diagnosis' weights, taken
    later), ``"uniform"`` -> :func:`uniform_weights`, a mapping -> its checked weights.

    Raises a one-line ``ValueError`` for any other string or invalid weights.
    """
    if choice == "diagnosis":
        return None
    if isinstance(choice, str) and choice != "uniform":
        raise ValueError(f"{choice!r}: use diagnosis, uniform or a mapping of behaviour: weight")
    return check_weights(uniform_weights() if choice == "uniform" else choice)


def _applicable(score: float | None) -> bool:
    return score is not None and not math.isnan(score)


def collapse(
    result: RubricResult | Mapping[str, float | None], weights: Mapping[str, float]
) -> float:
    """The weighted mean of the applicable behaviour scores (0.0 when none applies)."""
    scores = result.scores if isinstance(result, RubricResult) else result
    total = weight_sum = 0.0
    for behaviour, raw in weights.items():
        weight = _checked(behaviour, raw)
        score = scores.get(behaviour)
        if weight and _applicable(score):
            total += weight * float(score)  # type: ignore[arg-type]
            weight_sum += weight
    return total / weight_sum if weight_sum else 0.0


def uniform_weights() -> dict[str, float]:
    """Equal weights over all behaviours (used when neither recipe nor diagnosis gives any)."""
    return dict.fromkeys(BEHAVIOURS, 1.0 / len(BEHAVIOURS))


class RubricReward:
    """Scores each rollout once with ``score_trace`` and serves TRL's reward functions from it."""

    def __init__(
        self, rubric: Rubric, weights: Mapping[str, float], tolerance: float = DEFAULT_TOLERANCE
    ):
        self.rubric = rubric
        self.weights = {b: check_weights(weights).get(b, 0.0) for b in BEHAVIOURS}
        self.tolerance = tolerance
        self._batch: Any = None
        self._results: list[RubricResult] = []

    def score(
        self,
        conversation: list[dict[str, Any]],
        item: Item,
        failures: Sequence[ToolFailure] = (),
    ) -> RubricResult:
        """The rubric result of one rollout (prompt + completion, TRL conversational dicts, and
        the failures its environment recorded)."""
        messages = to_inspect_messages(conversation, failures)
        return score_trace(messages, item, self.rubric, tolerance=self.tolerance)

    def reward(
        self,
        conversation: list[dict[str, Any]],
        item: Item,
        failures: Sequence[ToolFailure] = (),
    ) -> float:
        """The training reward of one rollout."""
        return collapse(self.score(conversation, item, failures), self.weights)

    def results(
        self,
        prompts: list[list[dict]],
        completions: list[list[dict]],
        environments: list[FinQAToolEnv],
    ) -> list[RubricResult]:
        """Rubric results of a TRL batch, computed once per batch (keyed by the list's identity)."""
        if completions is not self._batch:
            self._results = [
                self.score(prompt + completion, env.item, env.failures)
                for prompt, completion, env in zip(prompts, completions, environments, strict=True)
            ]
            self._batch = completions  # holding it keeps its id from being reused
        return self._results

    def _behaviour_function(self, behaviour: str) -> RewardFunction:
        def reward(prompts, completions, environments, **_: Any) -> list[float | None]:
            results = self.results(prompts, completions, environments)
            scores = [r.scores.get(behaviour) for r in results]
            return [float(s) if _applicable(s) else None for s in scores]  # type: ignore[arg-type]

        reward.__name__ = reward.__qualname__ = behaviour
        return reward

    def _adjustment_function(self) -> RewardFunction:
        def reward(prompts, completions, environments, **_: Any) -> list[float | None]:
            out: list[float | None] = []
            for result in self.results(prompts, completions, environments):
                scores = result.scores
                weighted = sum(
                    w * scores[b] for b, w in self.weights.items() if _applicable(scores.get(b))
                )
                out.append(collapse(result, self.weights) - weighted)
            return out

        reward.__name__ = reward.__qualname__ = ADJUSTMENT
        return reward

    def functions(self) -> list[RewardFunction]:
        """TRL reward functions: one per behaviour, then the adjustment (see ``trl_weights``)."""
        return [*(self._behaviour_function(b) for b in BEHAVIOURS), self._adjustment_function()]

    def trl_weights(self) -> list[float]:
        """``GRPOConfig.reward_weights`` matching :meth:`functions`."""
        return [*(self.weights[b] for b in BEHAVIOURS), 1.0]
