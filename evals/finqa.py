"""FinQA (single table) with SQL tools. Copy and edit this file to change the task.

inspect eval evals/finqa.py --model finbehave/scripted/careful --limit 5
inspect eval evals/finqa.py --model openai/gpt-4o-mini -T split=test
"""

from inspect_ai import Task, task

from finbehave.tasks.finqa import finqa as finbehave_finqa


@task
def finqa(dataset: str = "embedded", split: str = "all", calculator: bool = True) -> Task:
    """Single-table questions over one company's 10-K tables."""
    return finbehave_finqa(dataset=dataset, split=split, calculator=calculator)
