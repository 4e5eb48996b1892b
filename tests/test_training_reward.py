"""The training reward: ``collapse`` edge cases, TRL rollouts as Inspect messages, and identity
with the score a trace gets when its Inspect log is rescored (no torch needed)."""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalSample, read_eval_log
from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageTool

from finbehave.data.items import Item
from finbehave.data.store import load_dataset
from finbehave.rubrics.rescore import rescore_log
from finbehave.rubrics.spec import load_rubric
from finbehave.training.environment import prompt_messages, system_message
from finbehave.training.messages import to_inspect_messages, tool_error
from finbehave.training.reward import ADJUSTMENT, RubricReward, check_weights, collapse
from finbehave.vocab import BEHAVIOURS

WEIGHTS = {
    "tool_discovery": 0.3,
    "schema_inspection": 0.2,
    "self_correction": 0.2,
    "answer_correctness": 0.1,
    "grounding": 0.1,
    "efficiency": 0.1,
}
POLICIES = ("careful", "no_schema", "guesser", "reckless")
NAN = math.nan


def trl_conversation(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Inspect messages in the form TRL's tool loop builds (no call ids, errors as dicts)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, ChatMessageAssistant):
            entry: dict[str, Any] = {"role": "assistant", "content": message.text}
            if message.tool_calls:
                entry["tool_calls"] = [
                    {"type": "function", "function": {"name": c.function, "arguments": c.arguments}}
                    for c in message.tool_calls
                ]
            out.append(entry)
        elif isinstance(message, ChatMessageTool):
            content = str({"error": message.error.message}) if message.error else message.text
            out.append({"role": "tool", "name": message.function, "content": content})
        else:
            out.append({"role": message.role, "content": message.text})
    return out


# --- collapse ---------------------------------------------------------------------------------


def test_collapse_is_the_weighted_mean_of_behaviour_scores() -> None:
    scores = dict.fromkeys(BEHAVIOURS, 1.0) | {"grounding": 0.0, "efficiency": 0.5}
    expected = (0.3 + 0.2 + 0.2 + 0.1 + 0.0 + 0.05) / 1.0
    assert collapse(scores, WEIGHTS) == pytest.approx(expected)


def test_not_applicable_behaviours_drop_out_and_weights_renormalise() -> None:
    scores = {"tool_discovery": 1.0, "self_correction": NAN, "answer_correctness": 0.0}
    weights = {"tool_discovery": 1.0, "self_correction": 5.0, "answer_correctness": 1.0}
    assert collapse(scores, weights) == pytest.approx(0.5)
    # None (as read back from JSON) and a missing key both mean "not applicable"
    assert collapse({**scores, "self_correction": None}, weights) == pytest.approx(0.5)
    assert collapse({"tool_discovery": 1.0, "answer_correctness": 0.0}, weights) == 0.5


def test_all_not_applicable_is_zero_and_scale_does_not_matter() -> None:
    assert collapse({"self_correction": NAN}, {"self_correction": 1.0}) == 0.0
    assert collapse({}, WEIGHTS) == 0.0
    scores = {"tool_discovery": 1.0, "grounding": 0.25}
    half = {"tool_discovery": 0.5, "grounding": 0.5}
    assert collapse(scores, half) == collapse(scores, {"tool_discovery": 7, "grounding": 7})


def test_zero_and_missing_weights_ignore_a_behaviour() -> None:
    scores = {"tool_discovery": 0.0, "grounding": 1.0}
    assert collapse(scores, {"tool_discovery": 0.0, "grounding": 1.0}) == 1.0
    assert collapse(scores, {"grounding": 1.0}) == 1.0


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"grounding": -0.5}, "must be >= 0"),
        ({"grounding": NAN}, "must be >= 0"),
        ({"rubric_score": 1.0}, "unknown behaviour 'rubric_score'"),
        ({"groundng": 1.0}, "unknown behaviour 'groundng'"),
    ],
)
def test_bad_weights_are_one_line_errors(weights: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        collapse({"grounding": 1.0}, weights)
    assert "\n" not in str(caught.value)


def test_check_weights_needs_a_positive_weight() -> None:
    with pytest.raises(ValueError, match="every reward weight is 0"):
        check_weights({"grounding": 0.0})
    assert check_weights({"grounding": 2}) == {"grounding": 2.0}


# --- TRL rollouts as Inspect messages ------------------------------------------------------------


def _call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "arguments": arguments}}


def test_tool_errors_calls_and_the_end_at_submit() -> None:
    error = str({"error": "Table 'x' does not exist. Call get_table_names()."})
    conversation = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "", "tool_calls": [_call("sql_query", query="SELECT 1")]},
        {"role": "tool", "name": "sql_query", "content": error},
        {
            "role": "assistant",
            "content": "two calls",
            "tool_calls": [_call("get_table_names"), _call("submit", answer="42")],
        },
        {"role": "tool", "name": "get_table_names", "content": "a\nb"},
        {"role": "tool", "name": "submit", "content": "42"},
        {"role": "assistant", "content": "", "tool_calls": [_call("submit", answer="43")]},
        {"role": "tool", "name": "submit", "content": "43"},
    ]
    messages = to_inspect_messages(conversation)
    roles = ["system", "user", "assistant", "tool", "assistant", "tool", "tool"]
    assert [m.role for m in messages] == roles
    failed = messages[3]
    assert isinstance(failed, ChatMessageTool) and failed.error is not None
    assert failed.error.message.startswith("Table 'x' does not exist")
    assert failed.text == "" and failed.tool_call_id == "call_1"
    calls = messages[4].tool_calls or []  # type: ignore[union-attr]
    assert [c.id for c in calls] == ["call_2", "call_3"]
    assert [m.tool_call_id for m in messages[5:]] == ["call_2", "call_3"]
    assert messages[6].text == "42" and messages[6].error is None  # type: ignore[union-attr]


def test_results_that_merely_look_like_errors_stay_results() -> None:
    assert tool_error("{'error': 'boom'}") == "boom"
    assert tool_error('{"error": "it\'s gone"}') == "it's gone"
    assert tool_error("error\n{'error': 'x'}") is None  # a query result table
    assert tool_error("{'error': 'x', 'other': 1}") is None
    assert tool_error("{'error': oops}") is None


def test_string_and_malformed_arguments() -> None:
    conversation = [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "type": "function",
                    "function": {"name": "calculator", "arguments": '{"expression": "1+1"}'},
                },
                {"type": "function", "function": {"name": "calculator", "arguments": "{oops"}},
            ],
        }
    ]
    calls = to_inspect_messages(conversation)[0].tool_calls or []  # type: ignore[union-attr]
    assert calls[0].arguments == {"expression": "1+1"} and calls[0].parse_error is None
    assert calls[1].arguments == {} and "not valid JSON" in (calls[1].parse_error or "")


# --- identity with rescoring an Inspect log ------------------------------------------------------


@dataclass
class _Env:
    item: Item
    failures: tuple = ()


@pytest.fixture(scope="module")
def scored_samples(tmp_path_factory: pytest.TempPathFactory) -> list[EvalSample]:
    """Samples of the scripted policies on two items, rescored from their logs (`rescore`)."""
    log_dir = tmp_path_factory.mktemp("reward-logs")
    logs = inspect_eval(
        "finbehave/finqa",
        model=[f"finbehave/scripted/{policy}" for policy in POLICIES],
        limit=2,
        log_dir=str(log_dir),
        display="none",
    )
    samples = []
    for log in logs:
        assert log.status == "success", log.error
        rescored, _, _, _ = rescore_log(Path(log.location), None, log_dir / "rescored")
        samples += read_eval_log(str(rescored)).samples or []
    assert len(samples) == 2 * len(POLICIES)
    return samples


@pytest.mark.parametrize(
    "weights", [WEIGHTS, {"answer_correctness": 1.0, "self_correction": 3.0, "efficiency": 0.5}]
)
def test_training_reward_equals_collapse_of_the_logged_score(
    scored_samples: list[EvalSample], weights: dict[str, float]
) -> None:
    reward = RubricReward(load_rubric(None), weights)
    functions = reward.functions()
    trl_weights = reward.trl_weights()
    assert [f.__name__ for f in functions] == [*BEHAVIOURS, ADJUSTMENT]
    rewards: dict[str, list[float]] = {policy: [] for policy in POLICIES}
    for index, sample in enumerate(scored_samples):
        item = Item.model_validate(sample.metadata)
        logged = sample.scores["behaviour_rubric"].value  # type: ignore[index]
        expected = collapse(logged, weights)  # type: ignore[arg-type]
        conversation = trl_conversation(sample.messages)
        assert reward.reward(conversation, item) == expected
        # TRL's path: per-behaviour functions summed with reward_weights (None = skipped)
        prompts, completions = [conversation[:2]], [conversation[2:]]
        outputs = [f(prompts, completions, environments=[_Env(item)]) for f in functions]
        total = sum(
            w * out[0] for w, out in zip(trl_weights, outputs, strict=True) if out[0] is not None
        )
        assert total == pytest.approx(expected, abs=1e-12)
        for behaviour, out in zip(BEHAVIOURS, outputs[:-1], strict=True):
            raw = logged[behaviour]  # type: ignore[index]
            assert (out[0] is None) if math.isnan(raw) else out[0] == raw
        rewards[POLICIES[index // 2]].append(expected)
    # the policies are told apart: careful earns the most, the degenerate ones less
    assert min(rewards["careful"]) > max(rewards["guesser"] + rewards["reckless"])


def test_training_prompt_is_the_evaluation_prompt(scored_samples: list[EvalSample]) -> None:
    sample = scored_samples[0]
    assert sample.messages[0].role == "system"
    assert sample.messages[0].text == system_message()
    item = Item.model_validate(sample.metadata)
    assert sample.messages[1].text == item.question


def test_grpo_renders_the_tools_as_the_evaluation_does(scored_samples: list[EvalSample]) -> None:
    """TRL hands the environment's methods to apply_chat_template; the rendered GRPO prompt is the
    prompt the evaluation (and finbehave sft) renders from the real eval's tools, text for text.
    Without render_tools_as_evaluated, transformers' own schemas differed (a `return` entry, no
    `required: []`/`additionalProperties`) in every tool of the system prompt, and TRL's
    alphabetical order put get_table_info first."""
    pytest.importorskip("transformers")
    pytest.importorskip("trl")
    from tiny_lm import qwen_template, tiny_tokenizer

    from finbehave.models.chat_format import render_prompt
    from finbehave.training.environment import FinQAToolEnv, render_tools_as_evaluated
    from finbehave.training.traces import offered_tools

    sample = scored_samples[0]
    item = Item.model_validate(sample.metadata)
    evaluation = render_prompt(
        tiny_tokenizer(qwen_template()), sample.messages[:2], offered_tools(sample)
    )
    env = FinQAToolEnv()
    methods = [  # as TRL lists an environment's tools: alphabetically, reset left out
        getattr(env, name)
        for name, _ in inspect.getmembers(FinQAToolEnv, predicate=inspect.isfunction)
        if not name.startswith("_") and name != "reset"
    ]
    conversation = prompt_messages(item)

    def grpo_prompt(tokenizer: Any) -> str:
        return tokenizer.apply_chat_template(
            conversation=conversation, tools=methods, tokenize=False, add_generation_prompt=True
        )

    assert grpo_prompt(render_tools_as_evaluated(tiny_tokenizer(qwen_template()))) == evaluation
    assert grpo_prompt(tiny_tokenizer(qwen_template())) != evaluation  # what TRL did before


def test_scoring_a_batch_runs_score_trace_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import finbehave.training.reward as module

    calls: list[int] = []
    real = module.score_trace

    def counting(*args: Any, **kwargs: Any):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "score_trace", counting)
    item = load_dataset("embedded").items()[0]
    reward = RubricReward(load_rubric(None), WEIGHTS)
    prompts = [[{"role": "user", "content": item.question}]] * 2
    completions = [[{"role": "assistant", "content": "no idea"}] for _ in range(2)]
    for function in reward.functions():
        assert len(function(prompts, completions, environments=[_Env(item)] * 2)) == 2
    assert len(calls) == 2
