"""The exported OpenEnv server: one ``FinQAEnvironment`` per WebSocket session (``openenv``).

An episode is one item: ``reset(item_id=..., index=..., seed=...)`` (or the next item in turn)
returns the evaluation's prompt and tools; each ``step`` runs one tool call through the training
environment's tool core (``FinQAToolEnv``: the SQL sandbox, the calculator) and returns its result
text (and, for a failed call, its message and kind). A successful ``submit``, or reaching the
evaluation's message limit, ends the episode: the conversation and the failures the tool core
recorded are scored by the bundle (``score_trace`` with the packaged rubric, collapsed with the
packaged weights) and the last observation carries the reward, every behaviour's score and the
failure tags, as Inspect's scorer would give them.
Sessions share nothing mutable: each has its own ``FinQAToolEnv`` and conversation; the company
tables and the sandbox's worker pool are read-only, shared services.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import random
import threading
import uuid
from typing import Any

from openenv.core.env_server.http_server import create_fastapi_app
from openenv.core.env_server.interfaces import Environment
from openenv.core.env_server.types import EnvironmentMetadata

from finbehave.data.items import Item
from finbehave.export.bundle import Bundle, package_bundle
from finbehave.export.openenv_client import FinQAAction, FinQAObservation, FinQAState
from finbehave.export.tools import TOOL_NAMES, assistant_call, call_tool, openai_tool
from finbehave.training.environment import FinQAToolEnv
from finbehave.vocab import SUBMIT

MAX_SESSIONS_ENV = "FINBEHAVE_MAX_SESSIONS"
DEFAULT_MAX_SESSIONS = 64
_TURN = itertools.count()  # reset() without an item: the next one in turn, across sessions
_TURN_LOCK = threading.Lock()


class FinQAEnvironment(Environment[FinQAAction, FinQAObservation, FinQAState]):
    """One session's episodes over the bundle's items."""

    SUPPORTS_CONCURRENT_SESSIONS = True

    def __init__(self, bundle: Bundle) -> None:
        super().__init__()
        self.bundle = bundle
        self._tools = FinQAToolEnv()
        self._item: Item | None = None
        self._conversation: list[dict[str, Any]] = []
        self._state = FinQAState()

    def _choose(self, item_id: str | None, index: int | None, seed: int | None) -> Item:
        ids = list(self.bundle.items)
        if item_id is not None:
            return self.bundle.item(item_id)
        if index is not None:
            return self.bundle.item(ids[int(index) % len(ids)])
        if seed is not None:
            return self.bundle.item(random.Random(seed).choice(ids))
        with _TURN_LOCK:
            return self.bundle.item(ids[next(_TURN) % len(ids)])

    def reset(
        self,
        seed: int | None = None,
        episode_id: str | None = None,
        item_id: str | None = None,
        index: int | None = None,
        **_: Any,
    ) -> FinQAObservation:
        """Start an episode on an item: by id, by position, by seed, or the next in turn."""
        item = self._choose(item_id, index, seed)
        self._tools.reset(item.id, self.bundle.dataset_dir)
        self._item = item
        self._conversation = self.bundle.prompt(item)
        self._state = FinQAState(
            episode_id=episode_id or uuid.uuid4().hex, item_id=item.id, messages=2
        )
        return FinQAObservation(
            item_id=item.id,
            messages=list(self._conversation),
            tools=[openai_tool(name) for name in TOOL_NAMES],
        )

    def step(
        self, action: FinQAAction, timeout_s: float | None = None, **_: Any
    ) -> FinQAObservation:
        """Run one tool call; score the conversation when the episode ends."""
        if self._item is None or self._state.done:
            raise RuntimeError("no episode in progress: call reset() first")
        self._state.step_count += 1
        call_id = f"call_{self._state.step_count}"
        result, failure = call_tool(self._tools, action.tool, action.arguments)
        self._conversation += [
            assistant_call(call_id, action.tool, action.arguments, action.content),
            {"role": "tool", "name": action.tool, "content": result},
        ]
        self._state.messages = len(self._conversation)
        submitted = action.tool == SUBMIT and failure is None
        done = submitted or self._state.messages >= self.bundle.message_limit
        observation = FinQAObservation(item_id=self._item.id, result=result)
        if failure is not None:
            observation.error, observation.error_kind = failure.message, failure.kind
        if done:
            self._state.done = True
            scored = self.bundle.score(self._conversation, self._item, self._tools.failures)
            observation.done = True
            observation.reward = scored.reward
            observation.scores = {
                key: None if math.isnan(value) else value for key, value in scored.scores.items()
            }
            observation.tags = scored.tags
            observation.submission = scored.submission
        return observation

    async def step_async(
        self, action: FinQAAction, timeout_s: float | None = None, **kwargs: Any
    ) -> FinQAObservation:
        # SQL runs in the sandbox's worker processes; keep the server's event loop free meanwhile.
        return await asyncio.to_thread(self.step, action, timeout_s, **kwargs)

    @property
    def state(self) -> FinQAState:
        return self._state

    def get_metadata(self) -> EnvironmentMetadata:
        return EnvironmentMetadata(
            name="finbehave-finqa",
            description=(
                f"finbehave FinQA: {len(self.bundle.items)} items, SQL tools over each company's "
                "10-K tables, behaviour-rubric reward"
            ),
            version=str(self.bundle.manifest["finbehave_version"]),
        )


def create_finqa_app(package: str):
    """The FastAPI app serving the bundle of the exported package ``package`` (a module name),
    with WebSocket sessions at ``/ws``."""
    bundle = package_bundle(package)
    return create_fastapi_app(
        lambda: FinQAEnvironment(bundle),
        FinQAAction,
        FinQAObservation,
        max_concurrent_envs=int(os.environ.get(MAX_SESSIONS_ENV, DEFAULT_MAX_SESSIONS)),
        env_name="finbehave_finqa",
        state_cls=FinQAState,
    )


def serve(app: Any, argv: list[str] | None = None) -> None:
    """Run ``app`` under uvicorn (``--host``, ``--port``)."""
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="Serve the exported finbehave environment.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    uvicorn.run(app, host=args.host, port=args.port)
