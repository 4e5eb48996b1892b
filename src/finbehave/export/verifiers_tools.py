"""The exported verifiers tool server (``verifiers.v1`` MCP toolset), one process per rollout.

verifiers starts it as ``python -m finbehave.export.verifiers_tools`` and hands it the rollout's
task: ``setup_task`` points a ``FinQAToolEnv`` (the training environment's tool core: the SQL
sandbox, the calculator) at the item's company tables in the exported package's bundle. The tools
are ``FinQAToolEnv``'s, advertised with their own names, parameters and descriptions and no
``<server>_`` prefix; a failing call returns TRL's ``{'error': '<message>'}`` text.

The failures' kinds cannot travel in that text, and the reward runs in the host process, so the
tool server writes them into the rollout's shared state (``FinQAState``, a ``vf.State`` that
verifiers pulls before and pushes after each tool call): after every call, ``failures`` is the
environment's record so far, and the task's reward reads it from ``trace.state``.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import verifiers.v1 as vf
from pydantic import Field

from finbehave.export.bundle import package_bundle
from finbehave.export.tools import TOOL_NAMES, call_tool, tool_description, tool_signature
from finbehave.training.environment import FinQAToolEnv, ToolFailure


class FinQAState(vf.State):
    """What the tool server tells the host about a rollout: the failures its tools recorded."""

    failures: list[ToolFailure] = Field(default_factory=list)


class FinQAToolset(vf.Toolset[vf.ToolsetConfig, FinQAState]):
    """The evaluation's tools over one rollout's item."""

    TOOL_PREFIX = None  # advertise get_table_names, not finqa_toolset_get_table_names

    def __init__(self, config: vf.ToolsetConfig) -> None:
        super().__init__(config)
        self.env = FinQAToolEnv()

    async def setup_task(self, task: Any) -> None:
        """``task`` is the rollout's ``FinQAData``: the item and the package holding it."""
        bundle = package_bundle(task.package)
        self.env.reset(task.item_id, bundle.dataset_dir)


def _tool(name: str):
    async def call(self: FinQAToolset, **arguments: Any) -> str:
        result, _ = await asyncio.to_thread(call_tool, self.env, name, arguments)
        self.state.failures = list(self.env.failures)
        return result

    self_parameter = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    signature = tool_signature(name)
    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[self_parameter, *signature.parameters.values()], return_annotation=str
    )
    call.__name__ = call.__qualname__ = name
    call.__doc__ = tool_description(name)
    return vf.tool(call)


for _name in TOOL_NAMES:
    setattr(FinQAToolset, _name, _tool(_name))


if __name__ == "__main__":
    FinQAToolset.run()
