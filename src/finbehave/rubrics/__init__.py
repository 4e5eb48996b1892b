"""Behaviour rubrics: the one place a trace is judged.

``score_trace(messages, item, rubric)`` is used by the Inspect scorer ``behaviour_rubric``, by
``finbehave rescore``, by the reports and by the GRPO reward.
"""

from finbehave.rubrics.score import RubricResult, score_trace
from finbehave.rubrics.spec import Rubric, RubricError, load_rubric
from finbehave.vocab import SCORE_KEYS

__all__ = ["SCORE_KEYS", "Rubric", "RubricError", "RubricResult", "load_rubric", "score_trace"]
