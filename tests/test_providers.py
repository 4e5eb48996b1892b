"""Inspect's own OpenAI-compatible provider runs our tasks against a fake host on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer, reply, tool_call
from inspect_ai import eval

from finbehave.tasks.finqa import finqa


def fake_agent(request: dict[str, Any]) -> dict[str, Any]:
    """A stateless agent: list tables, send a malformed call, query, then submit."""
    messages = request["messages"]
    done = sum(1 for m in messages if m["role"] == "tool")
    turn = f"call_{len(messages)}"
    if done == 0:
        return reply(None, [tool_call("get_table_names", {}, turn)])
    if done == 1:
        return reply(None, [tool_call("sql_query", '{"query": ', turn)])  # malformed JSON
    if done == 2:
        tables = next(m["content"] for m in messages if m["role"] == "tool")
        table = str(tables).split("\n")[0].strip()
        return reply(None, [tool_call("sql_query", {"query": f"SELECT 1 FROM {table}"}, turn)])
    return reply(None, [tool_call("submit", {"answer": "42"}, turn)])


@pytest.fixture
def fake_host(monkeypatch: pytest.MonkeyPatch):
    def start() -> FakeOpenAIServer:
        server = FakeOpenAIServer(default=fake_agent).start()
        monkeypatch.setenv("FAKEHOST_API_KEY", "test-key")
        monkeypatch.setenv("FAKEHOST_BASE_URL", server.base_url)
        return server

    return start


def test_openai_api_provider_runs_the_task(fake_host) -> None:
    server = fake_host()
    try:
        (log,) = eval(
            finqa(split="test"), model="openai-api/fakehost/qwen3-235b", limit=3, display="none"
        )
    finally:
        server.stop()
    assert log.status == "success"
    assert len(log.samples) == 3
    for sample in log.samples:
        tool_messages = [m for m in sample.messages if m.role == "tool"]
        # the malformed call reached the model as an error and the sample went on
        assert any(m.error is not None for m in tool_messages)
        assert sample.output.completion == "42"
        rubric = sample.scores["behaviour_rubric"].value
        assert rubric["tool_discovery"] == 1.0
    sent = server.requests[0]
    assert {t["function"]["name"] for t in sent["tools"]} >= {
        "get_table_names",
        "get_table_info",
        "sql_query",
        "submit",
    }
