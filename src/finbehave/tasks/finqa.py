"""The ``finqa`` (one table) and ``finqa_reasoning`` (several tables) Inspect tasks.

Both run Inspect's ReAct agent with the SQL tools over one company's tables per sample and score
the submitted answer (``answer_correctness``) and the behaviour in the trace (``behaviour_rubric``).
"""

from __future__ import annotations

from inspect_ai import Task, task
from inspect_ai.agent import AgentSubmit, react

from finbehave.data.store import SplitFilter, load_dataset
from finbehave.env.tools import finqa_tools, init_env
from finbehave.rubrics.answers import PUBLIC_RULE
from finbehave.rubrics.scorer import behaviour_rubric
from finbehave.tasks.dataset import task_dataset
from finbehave.tasks.prompts import PUBLIC_PROMPT, SYSTEM_PROMPT
from finbehave.tasks.scorers import answer_correctness
from finbehave.tasks.state import remember_item
from finbehave.vocab import DEFAULT_TOLERANCE, EMBEDDED, TOOLSET_NAMES, TaskName, Toolset


def public_options_error(tolerance: float | None, calculator: bool | None) -> str | None:
    """Why these options cannot go with ``toolset=public`` (one line naming the fix), or None."""
    if tolerance is not None:
        return (
            f"tolerance={tolerance} does not apply with toolset=public, which scores with "
            f"{PUBLIC_RULE}: drop -T tolerance, or use toolset=default"
        )
    if calculator:
        return (
            "toolset=public has no calculator tool: drop -T calculator=true, or use toolset=default"
        )
    return None


def build_task(
    task_name: TaskName,
    dataset: str,
    split: SplitFilter,
    tolerance: float | None,
    calculator: bool | None,
    message_limit: int,
    toolset: Toolset,
    rubric: str | None,
) -> Task:
    """Assemble a task; shared by ``finqa`` and ``finqa_reasoning``.

    ``None`` for ``tolerance``/``calculator`` means the toolset's default; options the public
    toolset cannot honour are refused (``public_options_error``) rather than ignored.
    """
    if toolset == "public" and (error := public_options_error(tolerance, calculator)):
        raise ValueError(error)
    data = load_dataset(dataset)
    if toolset == "public":
        from finbehave.env.public_tools import public_tools

        text = any(item.evidence == "text" for item in data.items(task=task_name))
        tools, prompt, mode = public_tools(with_filing_text=text), PUBLIC_PROMPT, "public"
    elif toolset == "default":
        with_calculator = True if calculator is None else calculator
        tools, prompt, mode = finqa_tools(with_calculator), SYSTEM_PROMPT, "finbehave"
    else:
        raise ValueError(f"toolset must be one of {', '.join(TOOLSET_NAMES)}, not {toolset!r}")
    rubric_tolerance = DEFAULT_TOLERANCE if tolerance is None else tolerance
    return Task(
        dataset=task_dataset(data, task_name, split),
        setup=[init_env(dataset=str(data.path)), remember_item()],
        solver=react(
            prompt=prompt, tools=tools, submit=AgentSubmit(answer_only=True, keep_in_messages=True)
        ),
        scorer=[
            answer_correctness(tolerance=tolerance, mode=mode),
            behaviour_rubric(rubric=rubric, tolerance=rubric_tolerance),
        ],
        message_limit=message_limit,
        version=1,
    )


@task
def finqa(
    dataset: str = EMBEDDED,
    split: SplitFilter = "all",
    tolerance: float | None = None,
    calculator: bool | None = None,
    message_limit: int = 40,
    toolset: Toolset = "default",
    rubric: str | None = None,
) -> Task:
    """Single-table financial questions answered with SQL tools.

    Args:
        dataset: ``embedded`` (default), an imported dataset name, or a dataset directory.
        split: ``all``, ``train`` or ``test``.
        tolerance: Relative tolerance for a correct answer (default 0.01 = 1%). Not with
            ``toolset=public``, whose reward rule fixes it (relative 1% and absolute 1.0).
        calculator: Offer the ``calculator`` tool (default true; the public toolset has none).
        message_limit: Stop a sample after this many messages.
        toolset: ``default`` (our tools and answer check) or ``public`` (the public FinQA agent
            environment's tools and reward rule, for accuracies comparable with published ones).
        rubric: Path of a rubric YAML file (default: the packaged rubric).
    """
    return build_task(
        "finqa", dataset, split, tolerance, calculator, message_limit, toolset, rubric
    )


@task
def finqa_reasoning(
    dataset: str = EMBEDDED,
    split: SplitFilter = "all",
    tolerance: float | None = None,
    calculator: bool | None = None,
    message_limit: int = 40,
    toolset: Toolset = "default",
    rubric: str | None = None,
) -> Task:
    """Questions that need two or more tables; arguments as for ``finqa``."""
    return build_task(
        "finqa_reasoning", dataset, split, tolerance, calculator, message_limit, toolset, rubric
    )
