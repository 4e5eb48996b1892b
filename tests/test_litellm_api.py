"""``finbehave/litellm/...`` against the local fake OpenAI-compatible server (no network)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fake_openai_server import (
    FakeOpenAIServer,
    Hang,
    RateLimit,
    ServerError,
    TruncatedStream,
    reply,
    tool_call,
)
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import (
    ChatMessageAssistant,
    ChatMessageTool,
    ChatMessageUser,
    GenerateConfig,
    Model,
    get_model,
)
from inspect_ai.solver import generate, use_tools
from inspect_ai.tool import Tool, ToolCall, ToolCallError, ToolInfo, ToolParam, ToolParams, tool

from finbehave.models.litellm_api import LiteLLMModelAPI

USER = [ChatMessageUser(content="Revenue 2019?")]
SQL_INFO = ToolInfo(
    name="sql_query",
    description="Run one SELECT.",
    parameters=ToolParams(properties={"query": ToolParam(type="string")}, required=["query"]),
)


@tool
def sql_query() -> Tool:
    async def execute(query: str) -> str:
        """Run one SELECT.

        Args:
            query: The SQL query.
        """
        return "1234.0"

    return execute


def model_for(server: FakeOpenAIServer, **model_args: object) -> Model:
    """The path users take: ``finbehave/litellm/openai/<model>`` pointed at the fake server."""
    return get_model(
        "finbehave/litellm/openai/fake-model",
        base_url=server.base_url,
        api_key="sk-test",
        config=GenerateConfig(max_retries=4),
        memoize=False,
        **model_args,
    )


@pytest.mark.anyio
async def test_request_format_and_usage() -> None:
    history = [
        *USER,
        ChatMessageAssistant(
            content="",
            tool_calls=[ToolCall(id="c1", function="sql_query", arguments={"query": "x"})],
        ),
        ChatMessageTool(
            content="",
            tool_call_id="c1",
            function="sql_query",
            error=ToolCallError(type="unknown", message="syntax error"),
        ),
    ]
    with FakeOpenAIServer(script=[reply("The answer is 1234.")]) as server:
        api = LiteLLMModelAPI("openai/fake-model", base_url=server.base_url, api_key="sk-test")
        output = await api.generate(history, [SQL_INFO], "auto", GenerateConfig(temperature=0))
    request = server.requests[0]
    assert request["model"] == "fake-model" and request["temperature"] == 0
    assert request["tools"][0]["function"]["name"] == "sql_query"
    assert request["tool_choice"] == "auto"
    assert request["messages"][1]["tool_calls"][0]["function"]["arguments"] == json.dumps(
        {"query": "x"}
    )
    assert request["messages"][2] == {
        "role": "tool",
        "content": "Error: syntax error",
        "tool_call_id": "c1",
    }
    assert output.completion == "The answer is 1234."
    assert output.stop_reason == "stop"
    assert output.usage is not None and (output.usage.input_tokens, output.usage.total_tokens) == (
        10,
        15,
    )


@pytest.mark.anyio
async def test_429_waits_for_retry_after_then_succeeds() -> None:
    with FakeOpenAIServer(script=[RateLimit(retry_after=1.5), reply("ok")]) as server:
        start = time.perf_counter()
        output = await model_for(server).generate(USER)
        elapsed = time.perf_counter() - start
    assert output.completion == "ok"
    assert server.request_count == 2
    assert elapsed >= 1.5


@pytest.mark.anyio
async def test_500_is_retried() -> None:
    with FakeOpenAIServer(script=[ServerError(), ServerError(502), reply("ok")]) as server:
        output = await model_for(server).generate(USER)
    assert output.completion == "ok"
    assert server.request_count == 3


@pytest.mark.anyio
async def test_hung_request_times_out_and_is_retried() -> None:
    with FakeOpenAIServer(script=[Hang(seconds=30), reply("ok")]) as server:
        start = time.perf_counter()
        output = await model_for(server, timeout=0.5).generate(USER)
        elapsed = time.perf_counter() - start
    assert output.completion == "ok"
    assert server.request_count == 2
    assert elapsed < 15  # the 0.5 s timeout fired long before the 30 s hang ended


@pytest.mark.anyio
async def test_truncated_response_is_retried() -> None:
    with FakeOpenAIServer(script=[TruncatedStream(), reply("ok")]) as server:
        output = await model_for(server).generate(USER)
    assert (output.completion, server.request_count) == ("ok", 2)


@pytest.mark.anyio
async def test_fake_server_streams_and_truncates_streams() -> None:
    import litellm

    async def stream_text() -> str:
        chunks = await litellm.acompletion(
            model="openai/fake-model",
            messages=[{"role": "user", "content": "hi"}],
            api_base=server.base_url,
            api_key="sk-test",
            stream=True,
            max_retries=0,
        )
        return "".join([chunk.choices[0].delta.content or "" async for chunk in chunks])

    with FakeOpenAIServer(script=[reply("streamed"), TruncatedStream()]) as server:
        assert await stream_text() == "streamed"
        with pytest.raises(litellm.ServiceUnavailableError, match="Stream ended"):
            await stream_text()


@pytest.mark.anyio
async def test_client_errors_are_not_retried() -> None:
    with (
        FakeOpenAIServer(script=[ServerError(400)]) as server,
        pytest.raises(Exception, match="server error"),
    ):
        await model_for(server).generate(USER)
    assert server.request_count == 1


@pytest.mark.anyio
async def test_malformed_arguments_and_empty_content() -> None:
    calls = [
        tool_call("sql_query", '{"query": "SELECT'),
        tool_call("sql_query", {"query": "SELECT 1"}, "c2"),
    ]
    with FakeOpenAIServer(script=[reply(None, calls), reply(None)]) as server:
        api = LiteLLMModelAPI("openai/fake-model", base_url=server.base_url, api_key="sk-test")
        with_calls = await api.generate(USER, [SQL_INFO], "auto", GenerateConfig())
        empty = await api.generate(USER, [SQL_INFO], "auto", GenerateConfig())
    bad, good = with_calls.message.tool_calls or []
    assert bad.parse_error and "Could not parse tool call arguments" in bad.parse_error
    assert (good.id, good.arguments, good.parse_error) == ("c2", {"query": "SELECT 1"}, None)
    assert with_calls.stop_reason == "tool_calls"
    assert (empty.completion, empty.message.tool_calls, empty.stop_reason) == ("", None, "stop")


def test_eval_shows_the_model_its_malformed_call(tmp_path: Path) -> None:
    script = [reply(None, [tool_call("sql_query", "{not json")]), reply("1234")]
    with FakeOpenAIServer(script=script) as server:
        task = Task(
            dataset=[Sample(input="Revenue 2019?", target="1234")],
            solver=[use_tools(sql_query()), generate()],
        )
        (log,) = eval(
            task,
            model="finbehave/litellm/openai/fake-model",
            model_base_url=server.base_url,
            model_args={"api_key": "sk-test"},
            log_dir=str(tmp_path),
            display="none",
        )
    assert log.status == "success", log.error
    assert server.request_count == 2
    tool_message = server.requests[1]["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["content"].startswith("Error: ")
    assert log.samples and log.samples[0].output.completion == "1234"
    assert log.stats.model_usage["finbehave/litellm/openai/fake-model"].total_tokens == 30
