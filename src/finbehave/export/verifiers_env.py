"""The exported verifiers environment (``verifiers.v1``, verifiers >= 0.4).

An exported package lists ``FinQATaskset`` and ``FinQAEnv`` in its ``__all__``; its environment id
is its module name with ``-`` for ``_``. The taskset yields one task per bundled item, with the
evaluation's system message and the question; each rollout gets the evaluation's tools from its
own tool server (``verifiers_tools``); the rollout stops after a successful ``submit`` (where
Inspect's ReAct agent stops) or after the turns the evaluation's message limit allows. Scoring:
the finished conversation and the failures the tool server recorded in the rollout's state
(``FinQAState``) go through the training reward (``score_trace`` with the packaged rubric,
collapsed with the packaged weights) into one weighted reward, ``finbehave_reward``, and one
metric per behaviour (NaN where a behaviour does not apply).

``FinQAEnv`` makes the defaults local, where verifiers' are remote: the ``null`` harness (a chat
loop with only these tools; the default ``bash`` harness would hand the model a shell), the
``subprocess`` runtime, and no network notice in the system prompt.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import verifiers.v1 as vf

from finbehave.export.bundle import Scored, message_limit, package_bundle
from finbehave.export.verifiers_tools import FinQAState, FinQAToolset
from finbehave.training.environment import system_message
from finbehave.training.messages import tool_error
from finbehave.vocab import SUBMIT

REWARD = "finbehave_reward"


class FinQAData(vf.TaskData):
    """One item: its id and the exported package (module) whose bundle holds it."""

    item_id: str
    package: str


class FinQATaskConfig(vf.TaskConfig):
    tools: vf.ToolsetConfig = vf.ToolsetConfig()


def conversation(trace: vf.Trace) -> list[dict[str, Any]]:
    """The rollout as chat dicts (the form the training reward reads)."""
    return [message.model_dump(exclude_none=True) for message in trace.messages]


def submitted(messages: list[dict[str, Any]]) -> bool:
    """A ``submit`` call got a result that is not an error."""
    calls = {
        call["id"]: call["name"] for message in messages for call in message.get("tool_calls") or []
    }
    return any(
        message["role"] == "tool"
        and calls.get(message.get("tool_call_id")) == SUBMIT
        and tool_error(str(message.get("content", ""))) is None
        for message in messages
    )


class FinQATask(vf.Task[FinQAData, FinQAState, FinQATaskConfig]):
    """One item's rollout: tools, stop rule and scoring."""

    @classmethod
    def toolsets(cls, config: FinQATaskConfig) -> list[vf.Toolset]:
        return [FinQAToolset(config.tools)]

    def score_rollout(self, trace: vf.Trace) -> Scored:
        """The finished rollout and the failures its tool server recorded, scored by the bundle
        (a few milliseconds)."""
        bundle = package_bundle(self.data.package)
        item = bundle.item(self.data.item_id)
        return bundle.score(conversation(trace), item, trace.state.failures)

    @vf.stop
    async def answer_submitted(self, request: vf.Request) -> bool:
        """Stop before the model's next turn once ``submit`` has succeeded (Inspect's ReAct
        agent stops there too)."""
        return submitted([message.model_dump() for message in request.messages])

    @vf.reward(weight=1.0)
    async def finbehave_reward(self, trace: vf.Trace) -> float:
        return self.score_rollout(trace).reward

    @vf.metric
    async def behaviours(self, trace: vf.Trace) -> dict[str, float]:
        return self.score_rollout(trace).scores


class FinQATasksetConfig(vf.TasksetConfig):
    task: FinQATaskConfig = FinQATaskConfig()


class FinQATaskset(vf.Taskset[FinQATask, FinQATasksetConfig]):
    """The bundled items of the exported package this taskset is loaded as."""

    def load(self) -> Iterator[FinQATask]:
        package = vf.import_taskset(self.config.id).__name__
        bundle = package_bundle(package)
        system = system_message()
        for item in bundle.items.values():
            data = FinQAData(
                id=item.id,
                name=item.id,
                prompt=item.question,
                system_prompt=system,
                item_id=item.id,
                package=package,
            )
            yield FinQATask(data, self.config.task)


class FinQAEnvConfig(vf.EnvConfig):
    agent: vf.AgentConfig = vf.AgentConfig(
        harness={"id": "null"},  # type: ignore[arg-type]  (narrowed to the null harness config)
        runtime=vf.SubprocessConfig(),
        max_turns=(message_limit() - 2) // 2,
        network_notice=False,
    )


class FinQAEnv(vf.Env[FinQAEnvConfig]):
    """One agent plays each task (verifiers' single-agent episode, with local defaults)."""

    async def run(self, task: vf.Task, agents: vf.Agents) -> None:
        await agents.agent.run(task)
