"""Inspect entry point: importing this module registers finbehave's tasks, scorers and models."""

# ruff: noqa: F401
from finbehave.models.provider import FinbehaveModelAPI
from finbehave.rubrics.scorer import behaviour_rubric
from finbehave.tasks.finqa import finqa, finqa_reasoning
from finbehave.tasks.scorers import answer_correctness
