"""Every hostile query is refused or contained, quickly, through the real tool path.

After the suite the company database is byte-identical, no file appeared where the queries
tried to write, the sandbox still answers normal queries, and an Inspect sample that sends the
queries as tool calls completes normally.
"""

from __future__ import annotations

import hashlib
import resource
import time
from pathlib import Path

import pytest
from hostile_queries import HOSTILE_QUERIES
from inspect_ai import Task, eval
from inspect_ai.agent import AgentSubmit, react
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import includes

from finbehave.data.store import load_dataset
from finbehave.env.environment import EnvToolError, FinQAEnv
from finbehave.env.sandbox import SandboxLimits
from finbehave.env.tools import finqa_tools, init_env

LIMITS = SandboxLimits(timeout_s=1.5)
BOUND_S = 2.0
WRITE_TARGETS = ["/tmp/leak.csv", "/tmp/leak.parquet", "/tmp/dump", "/tmp/evil.duckdb"]


@pytest.fixture(scope="module")
def env() -> FinQAEnv:
    store = load_dataset()
    return FinQAEnv(store, store.companies()[0], limits=LIMITS)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_catalogue_is_large() -> None:
    assert len(HOSTILE_QUERIES) >= 60
    assert len({category for category, _ in HOSTILE_QUERIES}) >= 12


def test_every_hostile_query_is_refused_or_contained(env: FinQAEnv) -> None:
    table = env.get_table_names().splitlines()[0]
    before = sha(env.db_path)
    slowest = 0.0
    for category, template in HOSTILE_QUERIES:
        query = template.replace("{table}", table)
        start = time.perf_counter()
        try:
            result = env.sql_query(query)
        except EnvToolError as exc:
            message = str(exc)
            assert message and len(message) < 1500, (category, query[:80], message)
        else:
            # Only reads of our own data may succeed, and then bounded by the caps.
            assert category in ("huge", "syntax"), (category, query[:80], result[:200])
            assert len(result) <= LIMITS.max_chars + 400
        elapsed = time.perf_counter() - start
        slowest = max(slowest, elapsed)
        assert elapsed <= BOUND_S, (category, query[:80], elapsed)
    assert sha(env.db_path) == before
    for target in WRITE_TARGETS:
        assert not Path(target).exists(), target
    assert "fiscal_year" in env.sql_query(f"SELECT fiscal_year FROM {table} LIMIT 1")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kib < LIMITS.address_space_bytes // 1024


def test_refusals_name_the_fix(env: FinQAEnv) -> None:
    table = env.get_table_names().splitlines()[0]
    cases = {
        f"DROP TABLE {table}": "SELECT",
        "SELECT 1; SELECT 2": "exactly one statement",
        "SELECT * FROM read_csv('/etc/passwd')": "not allowed",
        "SELECT count(*) FROM range(1000000000) a, range(1000000) b": "timed out",
        "SELECT * FROM nonexistent_table_xyz": "does not exist",
    }
    for query, expected in cases.items():
        with pytest.raises(EnvToolError, match=expected):
            env.sql_query(query)


def _usage() -> ModelUsage:
    return ModelUsage(input_tokens=10, output_tokens=10, total_tokens=20)


def test_hostile_tool_calls_do_not_fail_the_sample() -> None:
    store = load_dataset()
    item = store.items(task="finqa")[0]
    table = item.required_tables[0]
    fast = [
        q.replace("{table}", table)
        for category, q in HOSTILE_QUERIES
        if category not in ("runaway", "huge", "nesting")
    ][:40]
    outputs = [ModelOutput.for_tool_call("mockllm/model", "sql_query", {"query": q}) for q in fast]
    outputs.append(ModelOutput.for_tool_call("mockllm/model", "sql_query", {"query": 42}))
    outputs.append(ModelOutput.for_tool_call("mockllm/model", "submit", {"answer": "1"}))
    for output in outputs:
        output.usage = _usage()
    task = Task(
        dataset=[Sample(input=item.question, target="1", metadata=item.model_dump())],
        setup=init_env(),
        solver=react(tools=finqa_tools(), submit=AgentSubmit(answer_only=True)),
        scorer=includes(),
        message_limit=200,
    )
    model = get_model("mockllm/model", custom_outputs=outputs)
    (log,) = eval(task, model=model, display="none")
    assert log.status == "success"
    sample = log.samples[0]
    assert sample.error is None
    tool_messages = [m for m in sample.messages if m.role == "tool"]
    assert len(tool_messages) == len(fast) + 1
    assert all(m.error is not None for m in tool_messages), [
        m.text[:100] for m in tool_messages if m.error is None
    ]
    assert sample.output.completion == "1"
