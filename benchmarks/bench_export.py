"""Per-tool-call overhead of the exported environments vs finbehave's own tool core (``FinQAEnv``).

    python benchmarks/bench_export.py [--calls 200] [--rounds 3]
        [--openenv-python .venv-openenv/bin/python] [--install-times]

Run with the [verifiers] extra (``make bench-export`` uses ``.venv-verifiers``); the OpenEnv side
runs in its own venv (the extras cannot share one), as a server process and a client worker
process this script drives. Each round times, one after the other on the same machine:

- core: ``FinQAEnv`` method calls in-process (list tables, describe a table, the gold SQL, a sum);
- OpenEnv: the same calls as ``step``s of the exported server through its WebSocket client;
- verifiers: whole rollouts through the exported environment (null harness, subprocess runtime, a
  fake OpenAI-compatible host answering instantly): one with a single call before ``submit``
  (its time is a rollout's fixed cost: tool server and chat loop start-up), one with 17 calls,
  whose median gap between two model requests is the cost of one tool call plus one model turn
  through verifiers' interception and chat loop.

Ratios are medians over rounds against the core's per-call time. ``--install-times`` also times
``pip install`` of each extra on top of a fresh venv holding finbehave's base install.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
SHORT, LONG = 1, 17  # get_table_names calls before submit in the two verifiers rollouts


def call_mix(bundle: Any) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """An item and the calls every side makes: list, describe, gold SQL, arithmetic (each
    resolved by its role to the exported tool and its arguments)."""
    from finbehave.export.tools import TOOL_NAMES, tool_signature
    from finbehave.models.scripted import Action, tool_call

    item = next(i for i in bundle.items.values() if i.gold_sql)
    offered = {name: list(tool_signature(name).parameters) for name in TOOL_NAMES}
    actions = [
        Action("list_tables"),
        Action("inspect_table", table=item.required_tables[0]),
        Action("query", query=item.gold_sql),
        Action("compute", expression="(5829 - 5735) / 5735 * 100"),
    ]
    return item.id, [tool_call(action, offered, item.company) for action in actions]


def core_seconds(bundle: Any, calls: int) -> float:
    """Seconds per call through ``FinQAEnv`` directly."""
    from finbehave.env.environment import FinQAEnv

    item_id, mix = call_mix(bundle)
    env = FinQAEnv(bundle.store, bundle.item(item_id).company)
    start = time.perf_counter()
    for n in range(calls):
        name, arguments = mix[n % len(mix)]
        getattr(env, name)(**arguments)
    return (time.perf_counter() - start) / calls


# --- OpenEnv: a worker process in the openenv venv (``--worker URL``) -------------------------


def openenv_worker(url: str, package_dir: str) -> None:
    """Read ``N`` lines from stdin, answer seconds per step over N steps (resets not timed)."""
    sys.path.insert(0, package_dir)
    from finbehave_finqa_openenv import FinQAAction, FinQAEnvClient

    from finbehave.export.bundle import package_bundle

    item_id, mix = call_mix(package_bundle("finbehave_finqa_openenv"))
    with FinQAEnvClient(base_url=url).sync() as client:
        for line in sys.stdin:
            calls, spent, done = int(line), 0.0, 0
            client.reset(item_id=item_id)
            for n in range(calls):
                if done == 16:  # stay clear of the message limit
                    client.reset(item_id=item_id)
                    done = 0
                name, arguments = mix[n % len(mix)]
                start = time.perf_counter()
                client.step(FinQAAction(tool=name, arguments=arguments))
                spent += time.perf_counter() - start
                done += 1
            print(spent / calls, flush=True)


class OpenEnvSide:
    """The exported OpenEnv server and a client worker, both under ``python``."""

    def __init__(self, python: str, package: Path) -> None:
        import socket
        import urllib.request

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(package), str(ROOT / "src")]))
        module = "finbehave_finqa_openenv.server.app"
        self.server = subprocess.Popen([python, "-m", module, "--port", str(port)], env=env)
        url = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("the OpenEnv server did not start")
        self.worker = subprocess.Popen(
            [python, __file__, "--worker", url, str(package)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def seconds(self, calls: int) -> float:
        assert self.worker.stdin and self.worker.stdout
        self.worker.stdin.write(f"{calls}\n")
        self.worker.stdin.flush()
        return float(self.worker.stdout.readline())

    def close(self) -> None:
        for process in (self.worker, self.server):
            process.terminate()
            process.wait(10)


# --- verifiers: whole rollouts ------------------------------------------------------------------


class BenchAgent:
    """The model: list the tables N times (N from the model name ``n-N``), then submit; it notes
    when each request arrives."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        from export_reference import offered_tools
        from fake_openai_server import reply, tool_call

        from finbehave.models.scripted import Action
        from finbehave.models.scripted import tool_call as resolve

        self.arrivals.append(time.perf_counter())
        wanted = int(request["model"].split("-")[1])
        done = sum(1 for m in request["messages"] if m["role"] == "tool")
        action = Action("list_tables") if done < wanted else Action("submit", answer="1")
        name, arguments = resolve(action, offered_tools(request["tools"]), company="")
        return reply("", [tool_call(name, arguments, f"call_{done}")])


def verifiers_seconds(env_id: str, item_id: str) -> tuple[float, float]:
    """(seconds for a rollout of one call and a submit, median seconds between two model
    requests of a rollout of LONG calls: one tool call and one model turn through verifiers)."""
    import verifiers.v1 as vf
    from fake_openai_server import FakeOpenAIServer

    agent = BenchAgent()
    with FakeOpenAIServer(default=agent, lifetime=3600) as host:
        env = vf.load_environment(vf.resolve_env_config({"taskset": {"id": env_id}}))
        task = next(t for t in env.taskset if t.data.item_id == item_id)
        client = vf.EvalClientConfig(base_url=host.base_url, api_key_var="FAKE_API_KEY")

        async def rollout(calls: int) -> float:
            start = time.perf_counter()
            episode = await env.run_episode(
                task, vf.ModelContext(model=f"n-{calls}", client=client)
            )
            assert episode.ok, episode.errors or episode.traces[0].errors
            return time.perf_counter() - start

        async def both() -> float:
            async with env.serving():
                await rollout(SHORT)  # warm: uv's environment for the chat loop, imports
                short = await rollout(SHORT)
                agent.arrivals.clear()
                await rollout(LONG)
                return short

        short = asyncio.run(both())
    gaps = [b - a for a, b in zip(agent.arrivals, agent.arrivals[1:], strict=False)]
    return short, statistics.median(gaps)


# --- install times -------------------------------------------------------------------------------


def install_times() -> dict[str, dict[str, float]]:
    """Seconds and MB that ``pip install -e .[extra]`` adds to a venv with finbehave's base."""
    out = {}
    for extra in ("verifiers", "openenv"):
        with tempfile.TemporaryDirectory() as scratch:
            venv = Path(scratch) / "venv"
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            pip = [str(venv / "bin" / "pip"), "install", "--quiet"]
            subprocess.run([*pip, "-e", str(ROOT)], check=True)
            before = _megabytes(venv)
            start = time.perf_counter()
            subprocess.run([*pip, "-e", f"{ROOT}[{extra}]"], check=True)
            out[extra] = {"seconds": time.perf_counter() - start, "mb": _megabytes(venv) - before}
    return out


def _megabytes(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--openenv-python", default=str(ROOT / ".venv-openenv/bin/python"))
    parser.add_argument("--install-times", action="store_true")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        openenv_worker(*args.worker)
        return

    scratch = Path(tempfile.mkdtemp(prefix="bench-export-"))
    os.environ.setdefault("FINBEHAVE_CACHE_DIR", str(scratch / "cache"))
    os.environ.update(HOME=str(scratch / "home"), FAKE_API_KEY="bench")
    os.environ.setdefault("UV_NO_INDEX", "1")
    os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")
    if os.environ.get("FINBEHAVE_UV_WHEELS"):
        os.environ.setdefault("UV_FIND_LINKS", os.environ["FINBEHAVE_UV_WHEELS"])
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"

    from finbehave.export.bundle import BUNDLE, Bundle, ExportRequest
    from finbehave.export.package import export_package

    packages = {t: scratch / t for t in ("verifiers", "openenv")}
    for target, folder in packages.items():
        export_package(target, ExportRequest(), folder)  # type: ignore[arg-type]
    sys.path.insert(0, str(packages["verifiers"]))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(packages["verifiers"]), str(ROOT / "src")])
    bundle = Bundle(packages["verifiers"] / "finbehave_finqa" / BUNDLE)
    item_id, _ = call_mix(bundle)

    openenv = None
    if Path(args.openenv_python).is_file():
        openenv = OpenEnvSide(args.openenv_python, packages["openenv"])
    else:
        print(f"OpenEnv side skipped: no {args.openenv_python} (make install-export)")
    try:
        import verifiers.v1  # noqa: F401

        has_verifiers = shutil.which("uv") is not None
    except ImportError:
        has_verifiers = False
        print("verifiers side skipped: needs the [verifiers] extra")
    rows: dict[str, list[float]] = {"core": [], "openenv": [], "vf_fixed": [], "vf_call": []}
    core_seconds(bundle, 20)  # warm the sandbox and the company database
    for round_no in range(args.rounds):
        rows["core"].append(core_seconds(bundle, args.calls))
        if openenv:
            rows["openenv"].append(openenv.seconds(args.calls))
        if has_verifiers:
            fixed, per_call = verifiers_seconds("finbehave-finqa", item_id)
            rows["vf_fixed"].append(fixed)
            rows["vf_call"].append(per_call)
        print(
            f"round {round_no + 1}: "
            + ", ".join(f"{k} {v[-1] * 1000:.2f} ms" for k, v in rows.items() if v)
        )
    if openenv:
        openenv.close()
    core = statistics.median(rows["core"])
    print(f"core (FinQAEnv, in-process): {core * 1000:.2f} ms per call")
    if rows["openenv"]:
        side = statistics.median(rows["openenv"])
        print(
            f"OpenEnv step (WebSocket client, server process): {side * 1000:.2f} ms per call, {side / core:.1f}x core"
        )
    if rows["vf_call"]:
        call = statistics.median(rows["vf_call"])
        fixed = statistics.median(rows["vf_fixed"])
        print(
            f"verifiers tool call + model turn (median gap): {call * 1000:.1f} ms per call, "
            f"{call / core:.0f}x core; a rollout's fixed cost: {fixed:.1f} s"
        )
    if args.install_times:
        for extra, figures in install_times().items():
            print(
                f"pip install finbehave[{extra}] on top of the base: {figures['seconds']:.0f} s, +{figures['mb']:.0f} MB"
            )
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
