"""The OpenEnv export end to end: a packaged server on 127.0.0.1 stepped by its WebSocket client.

Scripted careful and reckless episodes get the rewards and behaviour scores finbehave's Inspect
evaluation gives the same behaviour; concurrent sessions never share state; hostile SQL sent
through the server is refused with the message the evaluation's tool shows, and changes nothing.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("openenv", reason="needs the [openenv] extra: pip install 'finbehave[openenv]'")

from export_reference import (
    assert_same_scores,
    inspect_scores,
    offered_tools,
    rescored,
    scripted_call,
)
from hostile_queries import HOSTILE_QUERIES

from finbehave.env.environment import EnvToolError, FinQAEnv
from finbehave.export.bundle import BUNDLE, Bundle, ExportRequest
from finbehave.export.package import export_package
from finbehave.export.tools import error_text
from finbehave.training.environment import ToolFailure
from finbehave.training.reward import collapse
from finbehave.vocab import tool_named, tool_role

pytestmark = pytest.mark.slow
SRC = Path(__file__).resolve().parents[1] / "src"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("openenv") / "pkg"
    export_package("openenv", ExportRequest(), out)
    sys.path.insert(0, str(out))  # the package's client, as an installed package would be
    return out


@pytest.fixture(scope="module")
def bundle(exported: Path) -> Bundle:
    return Bundle(exported / "finbehave_finqa_openenv" / BUNDLE)


@pytest.fixture(scope="module")
def server(exported: Path):
    """The package's own server entry point, in its own process."""
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(exported), str(SRC)]))
    process = subprocess.Popen(
        [sys.executable, "-m", "finbehave_finqa_openenv.server.app", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{url}/health", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(process.stderr.read().decode()[-2000:]) from None
            time.sleep(0.5)
    yield url
    process.terminate()
    process.wait(10)


def _client(url: str):
    from finbehave_finqa_openenv import FinQAEnvClient

    return FinQAEnvClient(base_url=url).sync()


def play(client, bundle: Bundle, item_id: str, policy: str):
    """One whole episode of a scripted policy: the last result, the conversation, and the
    failures the observations reported."""
    from finbehave_finqa_openenv import FinQAAction

    item = bundle.item(item_id)
    first = client.reset(item_id=item_id)
    assert first.observation.item_id == item_id and not first.done
    offered = offered_tools(first.observation.tools)
    conversation = list(first.observation.messages)
    failures: list[ToolFailure] = []
    while True:
        call = scripted_call(policy, item, conversation, offered)
        assert call is not None, "submitted, but the episode did not end"
        function, arguments = call
        result = client.step(FinQAAction(tool=function, arguments=arguments))
        seen = result.observation
        conversation += [
            {"role": "assistant", "content": "", "tool_calls": [
                {"type": "function", "function": {"name": function, "arguments": arguments}}
            ]},
            {"role": "tool", "content": seen.result},
        ]  # fmt: skip
        if seen.error is not None:
            failures.append(ToolFailure(seen.error, seen.error_kind))
        if result.done:
            return result, conversation, failures
        assert len(conversation) < 60, "the episode never ended"


def _items(bundle: Bundle) -> list[str]:
    """One single-table and one multi-table item."""
    by_task = {}
    for item in bundle.items.values():
        by_task.setdefault(item.task, item.id)
    return [by_task["finqa"], by_task["finqa_reasoning"]]


def test_reset_offers_the_evaluation_prompt_and_tools(server: str, bundle: Bundle) -> None:
    from finbehave.export.tools import TOOL_NAMES, tool_description

    item_id = _items(bundle)[0]
    with _client(server) as client:
        first = client.reset(item_id=item_id)
    assert first.observation.messages == bundle.prompt(bundle.item(item_id))
    names = [tool["function"]["name"] for tool in first.observation.tools]
    assert names == list(TOOL_NAMES)
    for tool in first.observation.tools:
        assert tool["function"]["description"] == tool_description(tool["function"]["name"])


@pytest.mark.parametrize("policy", ["careful", "reckless"])
def test_episode_rewards_equal_finbehave_scores(
    server: str, bundle: Bundle, policy: str, tmp_path: Path
) -> None:
    for item_id in _items(bundle):
        item = bundle.item(item_id)
        with _client(server) as client:
            result, conversation, failures = play(client, bundle, item_id, policy)
        scores, tags = inspect_scores(bundle, item, policy, tmp_path)
        assert_same_scores(result.observation.scores, scores)
        assert result.observation.tags == tags
        assert abs(result.reward - collapse(scores, bundle.reward.weights)) <= 1e-9
        reward, own = rescored(bundle, item, conversation, failures)
        assert abs(result.reward - reward) <= 1e-9 and own.tags == tags
        if policy == "careful":
            assert result.observation.scores["answer_correctness"] == 1.0
            assert not failures
        else:
            assert result.observation.scores["answer_correctness"] == 0.0
            assert [f.kind for f in failures] == ["missing_table", "missing_table"]
            assert "nonexistent_table" in tags


def test_concurrent_sessions_never_share_state(server: str, bundle: Bundle) -> None:
    """Interleaved and parallel sessions get exactly what each gets alone."""
    first, second = _items(bundle)
    with _client(server) as alone:
        solo = {
            (i, p): play(alone, bundle, i, p)[0].reward
            for i in (first, second)
            for p in ("careful", "reckless")
        }
    jobs = [(i, p) for i in (first, second) for p in ("careful", "reckless")] * 2

    def run(job: tuple[str, str]) -> float:
        with _client(server) as client:
            return play(client, bundle, *job)[0].reward

    with ThreadPoolExecutor(len(jobs)) as pool:
        rewards = list(pool.map(run, jobs))
    assert rewards == [solo[job] for job in jobs]
    from finbehave_finqa_openenv import FinQAAction

    with _client(server) as a, _client(server) as b:
        a.reset(item_id=first)
        b.reset(item_id=second)
        a.step(FinQAAction(tool="submit", arguments={"answer": "1"}))
        assert a.state().done and a.state().item_id == first
        assert not b.state().done and b.state().item_id == second
        assert b.state().step_count == 0


def _hostile_queries() -> list[str]:
    """The first query of each category of the hostile-SQL catalogue (most are refused; a huge
    read or a syntax slip may answer, within the sandbox's caps)."""
    first: dict[str, str] = {}
    for category, query in HOSTILE_QUERIES:
        first.setdefault(category, query)
    return list(first.values())


def test_hostile_queries_are_refused_as_under_inspect(server: str, bundle: Bundle) -> None:
    from finbehave_finqa_openenv import FinQAAction

    query_tool = tool_role(tool_named("default", "query"))
    assert query_tool is not None and query_tool.query_arg is not None

    def run_sql(client, query: str):
        action = FinQAAction(tool=query_tool.name, arguments={query_tool.query_arg: query})
        return client.step(action)

    item = bundle.item(_items(bundle)[0])
    core = FinQAEnv(bundle.store, item.company)
    table = item.required_tables[0]
    before = hashlib.sha256(core.db_path.read_bytes()).hexdigest()
    with _client(server) as client:
        client.reset(item_id=item.id)
        for template in _hostile_queries():
            query = template.replace("{table}", table)
            seen = run_sql(client, query).observation
            try:  # the Inspect tool returns this result, or raises a tool error of this kind
                want = (core.sql_query(query), None, None)
            except EnvToolError as exc:
                want = (error_text(str(exc)), str(exc), exc.kind)
            assert (seen.result, seen.error, seen.error_kind) == want, query
            assert not seen.done
        normal = run_sql(client, f'SELECT count(*) FROM "{table}"')
        assert normal.observation.error is None and normal.observation.error_kind is None
    assert hashlib.sha256(core.db_path.read_bytes()).hexdigest() == before
    assert not Path("/tmp/leak.csv").exists()
