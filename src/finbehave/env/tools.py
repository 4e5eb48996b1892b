"""Inspect tools over ``FinQAEnv``: ``get_table_names``, ``get_table_info``, ``sql_query``,
``calculator``. The setup solver ``init_env`` records the sample's dataset and company in the
per-sample store; each tool call finds its environment there, so one task serves every company.

A failed call reaches the model as an Inspect tool error whose type carries its kind
(``finbehave.vocab.ERROR_TYPES``): ``tool_exception`` raises the exception Inspect maps to it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import anyio
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import Tool, ToolError, tool
from inspect_ai.util import store

from finbehave.data.store import load_dataset
from finbehave.env.environment import TOOL_DOCS, EnvToolError, FinQAEnv
from finbehave.vocab import EMBEDDED, ErrorKind

ENV_KEY = "finbehave:env"


@solver
def init_env(dataset: str = EMBEDDED) -> Solver:
    """Point this sample's tools at its company's tables in ``dataset``."""
    path = str(load_dataset(dataset).path)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        store().set(ENV_KEY, {"dataset": path, "company": state.metadata["company"]})
        return state

    return solve


@lru_cache(maxsize=4096)
def _env(dataset: str, company: str) -> FinQAEnv:
    return FinQAEnv(load_dataset(dataset), company)


def current_env() -> FinQAEnv:
    """The environment of the sample being run."""
    info = store().get(ENV_KEY)
    if info is None:
        raise ToolError("no company database for this sample (the task has no init_env setup)")
    return _env(info["dataset"], info["company"])


def tool_exception(message: str, kind: ErrorKind) -> Exception:
    """The exception an Inspect tool raises so the model sees ``message`` as a tool error of
    ``kind``'s type: ``PermissionError`` (type ``permission``; Inspect appends a full stop),
    ``FileNotFoundError`` (``file_not_found``) or ``ToolError`` (``unknown``)."""
    if kind == "refused":
        return PermissionError(message.rstrip("."))
    if kind == "missing_table":
        return FileNotFoundError(message)
    return ToolError(message)


async def _call(method: Callable[..., str], *args: str, thread: bool = False) -> str:
    try:
        if thread:
            return await anyio.to_thread.run_sync(method, *args)
        return method(*args)
    except EnvToolError as exc:
        raise tool_exception(str(exc), exc.kind) from None


def _documented(execute, name: str):
    execute.__doc__ = TOOL_DOCS[name]
    return execute


@tool
def get_table_names() -> Tool:
    async def execute() -> str:
        return await _call(current_env().get_table_names)

    return _documented(execute, "get_table_names")


@tool
def get_table_info() -> Tool:
    async def execute(table_name: str) -> str:
        return await _call(current_env().get_table_info, table_name)

    return _documented(execute, "get_table_info")


@tool
def sql_query() -> Tool:
    async def execute(query: str) -> str:
        env = current_env()
        await anyio.to_thread.run_sync(lambda: env.db_path)  # first use builds the file
        return await _call(env.sql_query, query, thread=True)

    return _documented(execute, "sql_query")


@tool
def calculator() -> Tool:
    async def execute(expression: str) -> str:
        return await _call(current_env().calculator, expression)

    return _documented(execute, "calculator")


def finqa_tools(with_calculator: bool = True) -> list[Tool]:
    """The default toolset; ``with_calculator=False`` leaves the calculator out."""
    tools = [get_table_names(), get_table_info(), sql_query()]
    return [*tools, calculator()] if with_calculator else tools
