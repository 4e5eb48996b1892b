"""The shared chat format: rendering Inspect conversations and parsing ``<tool_call>`` blocks."""

from __future__ import annotations

import pytest
from inspect_ai.model import (
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageTool,
    ChatMessageUser,
)
from inspect_ai.tool import ToolCall, ToolCallError, ToolInfo, ToolParam, ToolParams

from finbehave.models.chat_format import (
    FALLBACK_CHAT_TEMPLATE,
    ensure_tool_template,
    message_dicts,
    parse_completion,
    render_prompt,
    supports_tools,
    to_inspect_tool_calls,
)

pytest.importorskip("transformers")
pytest.importorskip("trl")
from tiny_lm import qwen_template, tiny_tokenizer

SQL_TOOL = ToolInfo(
    name="sql_query",
    description="Run one SELECT.",
    parameters=ToolParams(
        properties={"query": ToolParam(type="string", description="SQL")}, required=["query"]
    ),
)
CALL = ToolCall(id="c1", function="sql_query", arguments={"query": "SELECT revenue FROM income"})
CONVERSATION = [
    ChatMessageSystem(content="You answer finance questions."),
    ChatMessageUser(content="Revenue in 2019?"),
    ChatMessageAssistant(content="Let me look.", tool_calls=[CALL]),
    ChatMessageTool(
        content="",
        tool_call_id="c1",
        function="sql_query",
        error=ToolCallError(type="unknown", message="no such table: income"),
    ),
]


def test_tool_error_is_rendered_for_the_model() -> None:
    tool_message = message_dicts(CONVERSATION)[-1]
    assert tool_message == {
        "role": "tool",
        "content": "Error: no such table: income",
        "name": "sql_query",
        "tool_call_id": "c1",
    }
    prompt = render_prompt(tiny_tokenizer(qwen_template()), CONVERSATION, [SQL_TOOL])
    assert "<tool_response>\nError: no such table: income\n</tool_response>" in prompt
    assert '<tools>\n{"type": "function", "function": {"name": "sql_query"' in prompt
    assert prompt.endswith("<|im_start|>assistant\n")


def test_rendered_assistant_turn_parses_back_to_the_same_calls() -> None:
    second = ToolCall(id="c2", function="calculator", arguments={"expression": "1 + 2"})
    turn = ChatMessageAssistant(content="Two calls.", tool_calls=[CALL, second])
    prompt = render_prompt(
        tiny_tokenizer(qwen_template()), [ChatMessageUser(content="q"), turn], []
    )
    assistant_text = prompt.split("<|im_start|>assistant\n")[1].split("<|im_end|>")[0]
    parsed = parse_completion(assistant_text)
    assert parsed.content == "Two calls."
    assert [(c.function, c.arguments) for c in parsed.tool_calls] == [
        ("sql_query", CALL.arguments),
        ("calculator", second.arguments),
    ]
    assert parsed.parse_errors == []


def test_fallback_template_renders_like_trl_qwen25() -> None:
    ours = render_prompt(tiny_tokenizer(FALLBACK_CHAT_TEMPLATE), CONVERSATION, [SQL_TOOL])
    trl = render_prompt(tiny_tokenizer(qwen_template()), CONVERSATION, [SQL_TOOL])
    assert ours == trl
    # without a system message Qwen's template adds "You are Qwen..."; ours does not
    plain = [ChatMessageSystem(content="Be brief."), ChatMessageUser(content="hi")]
    assert render_prompt(tiny_tokenizer(FALLBACK_CHAT_TEMPLATE), plain, []) == render_prompt(
        tiny_tokenizer(qwen_template()), plain, []
    )


def test_template_without_tools_gets_the_tool_template() -> None:
    no_tools = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
    assert not supports_tools(no_tools)
    tokenizer = ensure_tool_template(tiny_tokenizer(no_tools))
    assert supports_tools(tokenizer.chat_template)
    assert "<tools>" in render_prompt(tokenizer, CONVERSATION, [SQL_TOOL])


def test_parse_multiple_calls_and_think_block() -> None:
    text = (
        "<think>I should inspect the schema first.</think>\nChecking.\n"
        '<tool_call>\n{"name": "get_table_names", "arguments": {}}\n</tool_call>\n'
        '<tool_call>{"name": "get_table_info", "arguments": "{\\"table_name\\": \\"income\\"}"}'
        "</tool_call>"
    )
    parsed = parse_completion(text)
    assert parsed.reasoning == "I should inspect the schema first."
    assert parsed.content == "Checking."
    assert [(c.id, c.function, c.arguments) for c in parsed.tool_calls] == [
        ("call_0", "get_table_names", {}),
        ("call_1", "get_table_info", {"table_name": "income"}),
    ]


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "sql_query", "arguments": {"query": ',  # truncated JSON
        '{"arguments": {"query": "SELECT 1"}}',  # no name
        '{"name": "sql_query", "arguments": [1, 2]}',  # arguments not an object
        "not json at all",
    ],
)
def test_malformed_call_becomes_a_visible_parse_error(body: str) -> None:
    parsed = parse_completion(f"Answer.<tool_call>{body}</tool_call>")
    assert parsed.tool_calls == []
    assert len(parsed.parse_errors) == 1 and "Could not parse tool call" in parsed.parse_errors[0]
    (call,) = to_inspect_tool_calls(parsed)
    assert call.parse_error == parsed.parse_errors[0]
    assert parsed.content == f"Answer.<tool_call>{body}</tool_call>"  # as the model wrote it


def test_the_next_turn_shows_a_malformed_call_as_written() -> None:
    tokenizer = tiny_tokenizer(qwen_template())
    written = 'Listing.<tool_call>{"name": "get_table_names", "arguments": {}}}</tool_call>'
    parsed = parse_completion(written)
    calls = to_inspect_tool_calls(parsed)
    assistant = ChatMessageAssistant(content=parsed.content, tool_calls=calls)
    error = ToolCallError("parsing", calls[0].parse_error or "")
    tool = ChatMessageTool(
        content="", tool_call_id=calls[0].id, function=calls[0].function, error=error
    )
    prompt = render_prompt(tokenizer, [*CONVERSATION[:2], assistant, tool], [SQL_TOOL])
    assert written in prompt and "unparsable_tool_call" not in prompt
    assert "Error: Could not parse tool call" in prompt


def test_unclosed_tool_call_at_end_is_parsed() -> None:
    parsed = parse_completion('<tool_call>{"name": "submit", "arguments": {"answer": "42"}}')
    assert [(c.function, c.arguments) for c in parsed.tool_calls] == [("submit", {"answer": "42"})]


def test_plain_text_has_no_calls() -> None:
    parsed = parse_completion("  The answer is 42.  ")
    assert (parsed.content, parsed.tool_calls, parsed.parse_errors, parsed.reasoning) == (
        "The answer is 42.",
        [],
        [],
        None,
    )


def test_call_ids_name_their_turn() -> None:
    """Ids stay unique across a conversation's turns (Inspect pairs results with calls by id)."""
    text = '<tool_call>{"name": "get_table_names", "arguments": {}}</tool_call><tool_call>oops'
    first = to_inspect_tool_calls(parse_completion(text), turn=0)
    later = to_inspect_tool_calls(parse_completion(text), turn=3)
    assert [c.id for c in first] == ["turn0_call_0", "turn0_call_error_0"]
    assert [c.id for c in later] == ["turn3_call_0", "turn3_call_error_0"]
