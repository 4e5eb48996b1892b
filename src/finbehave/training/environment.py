"""The TRL ``environment_factory`` class: the evaluation tools over one item's company.

TRL builds one :class:`FinQAToolEnv` per rollout, calls ``reset(**row)`` with the dataset row and
exposes the public methods as tools. Names, arguments and descriptions are the evaluation's
(``TOOL_DOCS`` for the SQL tools, Inspect's default ``submit`` tool for the answer), and the
prompt is the evaluation's system message plus the question, so a model is trained in the
environment it is evaluated in. A failing tool raises ``EnvToolError``; TRL shows the model
``{'error': '<message>'}`` where Inspect shows the same message as a tool error.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from inspect_ai.agent._react import _prompt_to_system_message

from finbehave.data.items import Item
from finbehave.data.store import load_dataset
from finbehave.env.environment import TOOL_DOCS, EnvToolError, FinQAEnv
from finbehave.tasks.prompts import SYSTEM_PROMPT

# Inspect's default submit tool (``react(submit=AgentSubmit(...))``), word for word.
SUBMIT_DOC = """Submit an answer for evaluation.

Args:
  answer (str): Submitted answer
"""


def system_message() -> str:
    """The system message ``react(prompt=SYSTEM_PROMPT)`` gives the model in evaluation."""
    message = _prompt_to_system_message(SYSTEM_PROMPT, [], "submit")
    assert message is not None
    return message.text


def prompt_messages(item: Item) -> list[dict[str, str]]:
    """The conversational prompt of one item: the evaluation system message and the question."""
    return [
        {"role": "system", "content": system_message()},
        {"role": "user", "content": item.question},
    ]


@lru_cache(maxsize=64)
def _items(dataset: str) -> dict[str, Item]:
    return {item.id: item for item in load_dataset(dataset).iter_items()}


@lru_cache(maxsize=4096)
def _env(dataset: str, company: str) -> FinQAEnv:
    return FinQAEnv(load_dataset(dataset), company)


class FinQAToolEnv:
    """One rollout's tools; ``reset`` points them at the row's item (dataset and company)."""

    def __init__(self) -> None:
        self.item: Item | None = None
        self._env: FinQAEnv | None = None

    def reset(self, item_id: str, dataset: str, **_: Any) -> None:
        """Start a rollout on item ``item_id`` of ``dataset`` (a dataset directory)."""
        self.item = _items(dataset)[item_id]
        self._env = _env(dataset, self.item.company)

    def _tools(self) -> FinQAEnv:
        if self._env is None:
            raise EnvToolError("no company database: the environment was not reset")
        return self._env

    def get_table_names(self) -> str:
        return self._tools().get_table_names()

    def get_table_info(self, table_name: str) -> str:
        return self._tools().get_table_info(table_name)

    def sql_query(self, query: str) -> str:
        return self._tools().sql_query(query)

    def calculator(self, expression: str) -> str:
        return self._tools().calculator(expression)

    def submit(self, answer: str) -> str:
        return str(answer)

    get_table_names.__doc__ = TOOL_DOCS["get_table_names"]
    get_table_info.__doc__ = TOOL_DOCS["get_table_info"]
    sql_query.__doc__ = TOOL_DOCS["sql_query"]
    calculator.__doc__ = TOOL_DOCS["calculator"]
    submit.__doc__ = SUBMIT_DOC
