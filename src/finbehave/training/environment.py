"""The TRL ``environment_factory`` class: the evaluation tools over one item's company.

TRL builds one :class:`FinQAToolEnv` per rollout, calls ``reset(**row)`` with the dataset row and
exposes the public methods as tools. Names, arguments and descriptions are the evaluation's
(the default toolset of ``finbehave.vocab.TOOLSETS``, ``TOOL_DOCS`` for their text, Inspect's
default ``submit`` tool for the answer), and the prompt is the evaluation's system message plus
the question, so a model is trained in the environment it is evaluated in. A failing tool raises
``EnvToolError``; TRL shows the model ``{'error': '<message>'}`` (where Inspect shows the same
message as a tool error) and the environment records the failure's kind in ``failures``, which
the reward reads, so a rollout gets the same failure tags in training as in evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from inspect_ai.agent import AgentPrompt
from inspect_ai.tool import ToolDef, ToolInfo, ToolParam, ToolParams

from finbehave.data.items import Item
from finbehave.data.store import load_dataset
from finbehave.env.environment import TOOL_DOCS, EnvToolError, FinQAEnv
from finbehave.env.tools import finqa_tools
from finbehave.models.chat_format import tool_dicts
from finbehave.tasks.prompts import SYSTEM_PROMPT
from finbehave.vocab import SUBMIT, TOOLSETS, ErrorKind

# Inspect's default submit tool (``react(submit=AgentSubmit(...))``), word for word.
SUBMIT_DOC = """Submit an answer for evaluation.

Args:
  answer (str): Submitted answer
"""


def system_message() -> str:
    """The system message ``react(prompt=SYSTEM_PROMPT)`` gives the model in evaluation.

    Assembled as Inspect documents ``AgentPrompt``: the instructions, then a blank line, then the
    default assistant prompt and, on the next line, the default submit prompt naming the submit
    tool (``AgentPrompt``'s public defaults). A test compares it with a real eval's log.
    """
    prompt = AgentPrompt(instructions=SYSTEM_PROMPT)
    submit = (prompt.submit_prompt or "").replace("{submit}", SUBMIT)
    return f"{prompt.instructions}\n\n{prompt.assistant_prompt}\n{submit}"


def evaluation_tools() -> list[ToolInfo]:
    """The tools exactly as the evaluation offers them: ``finqa_tools()`` and Inspect's default
    ``submit`` tool (``SUBMIT_DOC``), in that order."""
    infos = []
    for tool in finqa_tools():
        definition = ToolDef(tool)
        infos.append(
            ToolInfo(
                name=definition.name,
                description=definition.description,
                parameters=definition.parameters,
            )
        )
    answer = ToolParam(type="string", description="Submitted answer")
    infos.append(
        ToolInfo(
            name=SUBMIT,
            description=SUBMIT_DOC.splitlines()[0],
            parameters=ToolParams(properties={"answer": answer}, required=["answer"]),
        )
    )
    return infos


def render_tools_as_evaluated(tokenizer: Any) -> Any:
    """Make ``tokenizer.apply_chat_template`` render this environment's tools with the
    evaluation's schemas; returns the tokenizer.

    TRL passes the environment's methods as tools, and transformers turns a method into a schema
    of its own (``get_json_schema``: a ``return`` entry, no ``required: []`` or
    ``additionalProperties``), so without this a GRPO prompt differs from the prompt the same
    model gets in evaluation and in ``finbehave sft`` (rendered from Inspect's ``ToolInfo``). With
    it, the two are the same text (tested against a real evaluation's log). TRL also lists the
    methods alphabetically (``inspect.getmembers``); they are rendered in the evaluation's order,
    which a small model follows (listed first, ``get_table_info`` became its first call).
    """
    schemas = {entry["function"]["name"]: entry for entry in tool_dicts(evaluation_tools())}
    order = {name: position for position, name in enumerate(schemas)}
    original = tokenizer.apply_chat_template

    def apply_chat_template(conversation: Any, tools: Any = None, **kwargs: Any) -> Any:
        if tools:
            names = [getattr(t, "__name__", "") if callable(t) else "" for t in tools]
            ranked = sorted(zip(names, tools, strict=True), key=lambda nt: order.get(nt[0], -1))
            tools = [schemas.get(name, tool) if name else tool for name, tool in ranked]
        return original(conversation, tools=tools, **kwargs)

    tokenizer.apply_chat_template = apply_chat_template
    return tokenizer


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


@dataclass(frozen=True)
class ToolFailure:
    """A failed call as the environment saw it: the message TRL shows the model, and its kind."""

    message: str
    kind: ErrorKind


class FinQAToolEnv:
    """One rollout's tools; ``reset`` points them at the row's item (dataset and company)."""

    def __init__(self) -> None:
        self.item: Item | None = None
        self._env: FinQAEnv | None = None
        self.failures: list[ToolFailure] = []

    def reset(self, item_id: str, dataset: str, **_: Any) -> None:
        """Start a rollout on item ``item_id`` of ``dataset`` (a dataset directory)."""
        self.item = _items(dataset)[item_id]
        self._env = _env(dataset, self.item.company)
        self.failures = []

    def _run(self, tool: Callable[[FinQAEnv], str]) -> str:
        try:
            if self._env is None:
                raise EnvToolError("no company database: the environment was not reset")
            return tool(self._env)
        except EnvToolError as exc:
            self.failures.append(ToolFailure(str(exc), exc.kind))
            raise

    def get_table_names(self) -> str:
        return self._run(lambda env: env.get_table_names())

    def get_table_info(self, table_name: str) -> str:
        return self._run(lambda env: env.get_table_info(table_name))

    def sql_query(self, query: str) -> str:
        return self._run(lambda env: env.sql_query(query))

    def calculator(self, expression: str) -> str:
        return self._run(lambda env: env.calculator(expression))

    def submit(self, answer: str) -> str:
        return str(answer)


def _describe_tools() -> None:
    """Give each tool of the default toolset the evaluation's description (an AttributeError
    here means ``vocab.TOOLSETS`` and this class disagree)."""
    for tool in TOOLSETS["default"]:
        doc = SUBMIT_DOC if tool.role == "submit" else TOOL_DOCS[tool.name]
        getattr(FinQAToolEnv, tool.name).__doc__ = doc


_describe_tools()
