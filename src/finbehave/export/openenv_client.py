"""The OpenEnv wire types of the exported environment and its WebSocket client (``openenv``).

Everything a trainer needs travels in typed fields (the OpenEnv server drops
``Observation.metadata``): the prompt and tools at reset, the result text each step, and at the
end the reward, the behaviour scores (``None`` where one does not apply) and the failure tags.
A failed call's ``error_kind`` is ``finbehave.vocab.ErrorKind``, the kind Inspect carries as the
tool error's type, so a client can rebuild the failures the reward read.
"""

from __future__ import annotations

from typing import Any

from openenv.core import EnvClient
from openenv.core.client_types import StepResult
from openenv.core.env_server.types import Action, Observation, State
from pydantic import Field

from finbehave.vocab import ERROR_KINDS, ErrorKind


class FinQAAction(Action):
    """One assistant turn: one tool call (and any text the model wrote with it)."""

    tool: str = Field(description="Tool name, e.g. sql_query or submit.")
    arguments: dict[str, Any] = Field(default_factory=dict, description="The call's arguments.")
    content: str = Field(default="", description="The assistant's text beside the call.")


class FinQAObservation(Observation):
    """What the environment returns at reset and after each step."""

    item_id: str = ""
    messages: list[dict[str, Any]] = Field(
        default_factory=list, description="At reset: the system prompt and the question."
    )
    tools: list[dict[str, Any]] = Field(
        default_factory=list, description="At reset: the tools as OpenAI function schemas."
    )
    result: str = Field(default="", description="The tool result as the model should see it.")
    error: str | None = Field(default=None, description="The failure message, if the call failed.")
    error_kind: ErrorKind | None = Field(
        default=None, description=f"The failure's kind ({', '.join(ERROR_KINDS)})."
    )
    scores: dict[str, float | None] = Field(
        default_factory=dict, description="When done: each behaviour's score (None: n/a)."
    )
    tags: list[str] = Field(default_factory=list, description="When done: failure tags.")
    submission: str | None = None


class FinQAState(State):
    """The episode's state on the server."""

    item_id: str | None = None
    done: bool = False
    messages: int = 0


class FinQAEnvClient(EnvClient[FinQAAction, FinQAObservation, FinQAState]):
    """A WebSocket session with the exported environment (one server-side environment each)."""

    def _step_payload(self, action: FinQAAction) -> dict[str, Any]:
        return action.model_dump(exclude={"metadata"})

    def _parse_result(self, payload: dict[str, Any]) -> StepResult[FinQAObservation]:
        fields = {**payload.get("observation", {}), "done": payload.get("done", False)}
        observation = FinQAObservation.model_validate({**fields, "reward": payload.get("reward")})
        return StepResult(
            observation=observation,
            reward=payload.get("reward"),
            done=bool(payload.get("done", False)),
            metadata=payload.get("metadata"),
        )

    def _parse_state(self, payload: dict[str, Any]) -> FinQAState:
        return FinQAState.model_validate(payload)
