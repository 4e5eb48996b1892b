"""FinQA Reasoning (two or more tables) with SQL tools. Copy and edit this file to change the task.

inspect eval evals/finqa_reasoning.py --model finbehave/scripted/careful --limit 5
"""

from inspect_ai import Task, task

from finbehave.tasks.finqa import finqa_reasoning as finbehave_finqa_reasoning


@task
def finqa_reasoning(dataset: str = "embedded", split: str = "all", calculator: bool = True) -> Task:
    """Multi-table questions over one company's 10-K tables."""
    return finbehave_finqa_reasoning(dataset=dataset, split=split, calculator=calculator)
