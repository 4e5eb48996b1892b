"""Failed calls carry their kind structurally, from the sandbox to the rubric, in evaluation and
in training alike: a refusal is a refusal whatever its wording, and the per-query time limit is
2 s by default with the kill path intact."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.model import ModelOutput, ModelUsage, get_model

from finbehave.data.store import load_dataset
from finbehave.env.environment import EnvToolError, FinQAEnv
from finbehave.env.sandbox import SandboxError, SandboxLimits, SqlSandbox
from finbehave.rubrics import load_rubric
from finbehave.tasks.finqa import finqa
from finbehave.training.environment import FinQAToolEnv
from finbehave.training.reward import RubricReward, uniform_weights
from finbehave.vocab import ERROR_TYPES, RUBRIC_SCORER

STORE = load_dataset()
ITEM = STORE.items(task="finqa", split="test")[0]
TABLE = ITEM.required_tables[0]
RUNAWAY = "SELECT count(*) FROM range(1000000000) a, range(1000000) b"
CALLS: list[tuple[str, dict[str, Any], str]] = [  # (tool, arguments, expected kind)
    ("sql_query", {"query": f"DROP TABLE {TABLE}"}, "refused"),
    ("sql_query", {"query": "SELECT 1; SELECT 2"}, "refused"),
    ("sql_query", {"query": "SELECT * FROM read_csv('/etc/passwd')"}, "refused"),
    ("sql_query", {"query": "SELECT 1 -- \x00"}, "refused"),
    ("sql_query", {"query": "SELECT revenue FROM financial_statements"}, "missing_table"),
    ("get_table_info", {"table_name": "financial_statements"}, "missing_table"),
    ("sql_query", {"query": f"SELECT no_such_column FROM {TABLE}"}, "error"),
    ("sql_query", {"query": "SELEC 1"}, "error"),
    ("calculator", {"expression": "2 +"}, "error"),
]


@pytest.fixture(scope="module")
def env() -> FinQAEnv:
    return FinQAEnv(STORE, ITEM.company)


@pytest.mark.parametrize(("tool", "arguments", "kind"), CALLS, ids=[c[2] for c in CALLS])
def test_the_tool_core_marks_each_failure_with_its_kind(
    env: FinQAEnv, tool: str, arguments: dict[str, Any], kind: str
) -> None:
    with pytest.raises(EnvToolError) as caught:
        getattr(env, tool)(**arguments)
    assert caught.value.kind == kind, str(caught.value)


def _usage(output: ModelOutput) -> ModelOutput:
    output.usage = ModelUsage(input_tokens=10, output_tokens=10, total_tokens=20)
    return output


def test_eval_and_training_tag_the_same_rollout_alike(tmp_path: Path) -> None:
    """Inspect shows each failure with its kind's error type; the TRL environment records the
    kinds beside TRL's {'error': ...} text; both give the same rubric tags."""
    calls = [(tool, arguments) for tool, arguments, _ in CALLS]
    calls.append(("submit", {"answer": "12.5"}))
    outputs = [_usage(ModelOutput.for_tool_call("mockllm/model", t, a)) for t, a in calls]
    log = inspect_eval(
        finqa(split="test"),
        model=get_model("mockllm/model", custom_outputs=outputs),
        sample_id=ITEM.id,
        log_dir=str(tmp_path),
        display="none",
    )[0]
    assert log.status == "success", log.error
    sample = log.samples[0]  # type: ignore[index]
    assert sample.error is None
    errors = [m.error for m in sample.messages if m.role == "tool" and m.error is not None]
    assert [e.type for e in errors] == [ERROR_TYPES[kind] for *_, kind in CALLS]
    logged = sample.scores[RUBRIC_SCORER].metadata["tags"]  # type: ignore[index]
    assert {"sql_rejected", "nonexistent_table"} <= set(logged)

    # the same calls through the training environment, as TRL's tool loop makes them
    trl_env = FinQAToolEnv()
    trl_env.reset(item_id=ITEM.id, dataset=str(STORE.path))
    conversation: list[dict[str, Any]] = [
        {"role": "system", "content": "system"},
        {"role": "user", "content": ITEM.question},
    ]
    for tool, arguments in calls:
        function = {"name": tool, "arguments": arguments}
        conversation.append(
            {"role": "assistant", "content": "", "tool_calls": [{"function": function}]}
        )
        try:
            result: Any = getattr(trl_env, tool)(**arguments)
        except Exception as exc:  # TRL: result = {"error": str(e)}
            result = {"error": str(exc)}
        conversation.append({"role": "tool", "name": tool, "content": str(result)})
    assert [f.kind for f in trl_env.failures] == [kind for *_, kind in CALLS]
    trained = RubricReward(load_rubric(), uniform_weights()).score(
        conversation, ITEM, trl_env.failures
    )
    assert trained.tags == logged
    assert trained.scores == pytest.approx(sample.scores[RUBRIC_SCORER].value, nan_ok=True)  # type: ignore[index]


def test_the_default_time_limit_is_two_seconds_and_kills_the_worker(env: FinQAEnv) -> None:
    assert SandboxLimits().timeout_s == 2.0
    sandbox = SqlSandbox(workers=1)
    try:
        start = time.perf_counter()
        with pytest.raises(SandboxError, match=r"timed out after 2 s") as caught:
            sandbox.run(env.db_path, RUNAWAY)
        assert time.perf_counter() - start < 4.0
        assert caught.value.kind == "refused"
        # the overrunning worker was killed and replaced: the next query is answered
        assert sandbox.run(env.db_path, "SELECT 42 AS x").rows == [(42,)]
        with pytest.raises(SandboxError, match=r"timed out after 0\.5 s"):  # still configurable
            sandbox.run(env.db_path, RUNAWAY, SandboxLimits(timeout_s=0.5))
    finally:
        sandbox.close()
