"""The verifiers export end to end, offline: a real ``verifiers.v1`` rollout of the exported
environment (null harness, subprocess runtime, a tool server per rollout) against a local fake
OpenAI-compatible host (server-sent events) that replays finbehave's scripted careful and reckless
policies. Each rollout's reward equals ``collapse(score_trace(...))`` of its own trace, and its
behaviour metrics equal the scores finbehave's Inspect evaluation gives the same policy.

verifiers' chat loop is a separate program bootstrapped with ``uv``; offline it installs its few
dependencies from a folder of wheels named by ``FINBEHAVE_UV_WHEELS`` (``make install-export``
writes one).
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "verifiers.v1", reason="needs the [verifiers] extra: pip install 'finbehave[verifiers]'"
)

from export_reference import assert_same_scores, inspect_scores, rescored
from fake_openai_server import FakeOpenAIServer, scripted_agent

from finbehave.export.bundle import BUNDLE, Bundle, ExportRequest
from finbehave.export.package import export_package
from finbehave.export.tools import TOOL_NAMES, tool_description
from finbehave.training.environment import system_message
from finbehave.training.reward import collapse

pytestmark = pytest.mark.slow
SRC = Path(__file__).resolve().parents[1] / "src"
WHEELS = os.environ.get("FINBEHAVE_UV_WHEELS", "")
ENV_ID = "finbehave-finqa"


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory):
    """uv and the wheels the chat loop needs, a private HOME, and no network for uv."""
    venv_bin = str(Path(sys.executable).parent)  # where the [verifiers] extra installs uv
    if shutil.which("uv") is None and shutil.which("uv", path=venv_bin) is None:
        pytest.skip("needs uv (it comes with the [verifiers] extra)")
    if not WHEELS or not Path(WHEELS).is_dir():
        pytest.skip(
            "needs FINBEHAVE_UV_WHEELS: a folder of wheels for the chat loop (make test-export)"
        )
    home = tmp_path_factory.mktemp("home")
    patch = pytest.MonkeyPatch()
    for key, value in {
        "HOME": str(home),
        "UV_NO_INDEX": "1",
        "UV_FIND_LINKS": WHEELS,
        "UV_PYTHON_DOWNLOADS": "never",
        "FAKE_API_KEY": "not-a-secret",
        "PATH": os.pathsep.join([venv_bin, os.environ["PATH"]]),
    }.items():
        patch.setenv(key, value)
    yield
    patch.undo()


@pytest.fixture(scope="module")
def exported(offline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("verifiers") / "pkg"
    export_package("verifiers", ExportRequest(), out)
    sys.path.insert(0, str(out))  # importable as if installed, here and in the tool servers
    patch = pytest.MonkeyPatch()
    patch.setenv(
        "PYTHONPATH", os.pathsep.join([str(out), str(SRC), os.environ.get("PYTHONPATH", "")])
    )
    yield out
    patch.undo()


@pytest.fixture(scope="module")
def bundle(exported: Path) -> Bundle:
    return Bundle(exported / "finbehave_finqa" / BUNDLE)


def _items(bundle: Bundle) -> list[str]:
    by_task: dict[str, str] = {}
    for item in bundle.items.values():
        by_task.setdefault(item.task, item.id)
    return [by_task["finqa"], by_task["finqa_reasoning"]]


def run_rollouts(bundle: Bundle, jobs: list[tuple[str, str]]):
    """Rollouts of (item id, policy) jobs through verifiers, concurrently; their traces and the
    requests the model host saw."""
    import verifiers.v1 as vf

    items = [bundle.item(item_id) for item_id, _ in jobs]
    with FakeOpenAIServer(default=scripted_agent(items), lifetime=600) as host:
        env = vf.load_environment(vf.resolve_env_config({"taskset": {"id": ENV_ID}}))
        tasks = {task.data.item_id: task for task in env.taskset}

        async def run() -> list:
            async with env.serving():
                episodes = await asyncio.gather(
                    *(
                        env.run_episode(
                            tasks[item_id],
                            vf.ModelContext(
                                model=policy,
                                client=vf.EvalClientConfig(
                                    base_url=host.base_url, api_key_var="FAKE_API_KEY"
                                ),
                            ),
                        )
                        for item_id, policy in jobs
                    )
                )
            return [episode.traces[0] for episode in episodes]

        traces = asyncio.run(run())
        return traces, list(host.requests)


@pytest.fixture(scope="module")
def rollouts(bundle: Bundle):
    jobs = [(item_id, policy) for item_id in _items(bundle) for policy in ("careful", "reckless")]
    traces, requests = run_rollouts(bundle, jobs)
    return dict(zip(jobs, traces, strict=True)), requests


def test_model_sees_the_evaluation_prompt_and_tools(rollouts) -> None:
    _, requests = rollouts
    first = requests[0]
    assert first["stream"] is True
    assert first["messages"][0] == {"role": "system", "content": system_message()}
    offered = {tool["function"]["name"]: tool["function"] for tool in first["tools"]}
    assert sorted(offered) == sorted(TOOL_NAMES)
    for name, function in offered.items():
        assert function["description"] == tool_description(name)


def test_rewards_and_metrics_equal_finbehave_scores(
    rollouts, bundle: Bundle, tmp_path: Path
) -> None:
    from finbehave.export.verifiers_env import REWARD, conversation

    traces, _ = rollouts
    for (item_id, policy), trace in traces.items():
        item = bundle.item(item_id)
        assert trace.ok, trace.errors
        assert trace.stop_condition is not None
        failures = trace.state.failures  # written by the rollout's tool server
        assert [f.kind for f in failures] == (
            [] if policy == "careful" else ["missing_table", "missing_table"]
        ), (item_id, policy)
        reward = trace.rewards[REWARD].score
        own, result = rescored(bundle, item, conversation(trace), failures)
        assert abs(reward - own) <= 1e-9
        assert abs(trace.reward - reward) <= 1e-9  # the only reward, weight 1
        scores, tags = inspect_scores(bundle, item, policy, tmp_path)
        assert_same_scores(trace.metrics, scores)
        assert_same_scores(trace.metrics, result.scores)
        assert result.tags == tags, (item_id, policy)
        assert abs(reward - collapse(scores, bundle.reward.weights)) <= 1e-9
        correct = trace.metrics["answer_correctness"]
        assert correct == (1.0 if policy == "careful" else 0.0), (item_id, policy)
        if policy == "reckless":
            assert "nonexistent_table" in tags
    careful = [t.reward for (_, p), t in traces.items() if p == "careful"]
    reckless = [t.reward for (_, p), t in traces.items() if p == "reckless"]
    assert min(careful) > max(reckless)
    assert all(not math.isnan(r) for r in careful + reckless)
