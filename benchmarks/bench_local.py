"""``finbehave/local`` speed, side by side in one run (SmolLM2-135M-Instruct on the CPU).

    python benchmarks/bench_local.py [--tokens 48] [--turns 4]

Prints four ratios (issue 16's goals in brackets):

1. decode tokens/s of the engine vs a bare ``model.generate`` with its best thread setting (1 or
   2 threads, whichever was faster in this run) on the same finqa prompt [>= 0.9x], and vs the
   memory-bandwidth floor (weight bytes read per token / bandwidth of a large tensor copy
   measured here) — how close decoding is to the machine's limit;
2. seconds per finqa sample replaying one fixed conversation (system prompt, tools, question and
   fixed tool calls and results; every turn the model generates and its output is discarded, so
   both sides do the same model work): the old path (render everything, ``model.generate`` with
   torch's default threads and ``max_new_tokens=512``, no stop at ``</tool_call>``) vs
   ``LocalModelAPI`` [>= 8x];
3. tokens/s with 8 concurrent samples vs 1 [>= 3x].

Timings are best of ``--repeats``; the machine's load (``os.getloadavg``) is printed with them.
On the 2-core machine at load 4-6 (2026-12-01) the run took 17 min, 11 of them the old path
(run once: SmolLM2 fills 512 tokens a turn there).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageTool,
    ChatMessageUser,
    GenerateConfig,
)
from inspect_ai.tool import ToolCall, ToolDef, ToolInfo, ToolParam, ToolParams

from finbehave.env.tools import finqa_tools
from finbehave.models.chat_format import render_prompt
from finbehave.models.engine import GenRequest, PrefixCache
from finbehave.models.local import LocalModelAPI
from finbehave.models.threads import available_cores
from finbehave.tasks.prompts import SYSTEM_PROMPT

GREEDY = GenerateConfig(temperature=0)
TABLE_INFO = (
    "Table income_statement: consolidated statements of operations, in millions of USD.\n"
    "Columns: fiscal_year INTEGER, line_item VARCHAR, value DOUBLE\n"
    "Example rows:\n"
    + "\n".join(
        f"{year} | {item} | {value}"
        for year in (2017, 2018, 2019)
        for item, value in (("net_sales", 229234), ("cost_of_sales", 141048), ("net_income", 48351))
    )
)
STEPS = [  # (tool call, its result): a careful agent's sample
    ("get_table_names", {}, "income_statement\nbalance_sheet\ncash_flow_statement\nsegments"),
    ("get_table_info", {"table_name": "income_statement"}, TABLE_INFO),
    (
        "sql_query",
        {
            "query": "SELECT fiscal_year, value FROM income_statement "
            "WHERE line_item = 'net_sales' ORDER BY fiscal_year"
        },
        "fiscal_year | value\n2017 | 229234\n2018 | 265595\n2019 | 260174",
    ),
    ("calculator", {"expression": "(260174 - 265595) / 265595 * 100"}, "-2.0411"),
]


def tools() -> list[ToolInfo]:
    defs = [ToolDef(tool) for tool in finqa_tools()]
    submit = ToolInfo(
        name="submit",
        description="Submit an answer for evaluation.",
        parameters=ToolParams(
            properties={"answer": ToolParam(type="string", description="the answer")},
            required=["answer"],
        ),
    )
    return [
        ToolInfo(name=d.name, description=d.description, parameters=d.parameters) for d in defs
    ] + [submit]


def conversation(question: str, turns: int) -> list[list[ChatMessage]]:
    """The prompt of each of ``turns`` model turns (the fixed agent's history before it)."""
    messages: list[ChatMessage] = [
        ChatMessageSystem(content=SYSTEM_PROMPT),
        ChatMessageUser(content=question),
    ]
    prompts = []
    for index, (function, arguments, result) in enumerate(STEPS[:turns]):
        prompts.append(list(messages))
        call = ToolCall(id=f"call_{index}", function=function, arguments=arguments)
        messages.append(ChatMessageAssistant(content="", tool_calls=[call]))
        messages.append(ChatMessageTool(content=result, tool_call_id=call.id, function=function))
    return prompts


def best(repeats: int, run: Callable[[], float]) -> float:
    return min(run() for _ in range(repeats))


def timed(run: Callable[[], Any]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def bandwidth(mib: int = 512) -> float:
    """Bytes/s of a large tensor copy (read + write)."""
    source = torch.ones(mib << 18)  # float32: mib MiB
    target = torch.empty_like(source)
    seconds = min(timed(lambda: target.copy_(source)) for _ in range(5))
    return 2 * source.nbytes / seconds


def bare_decode(api: LocalModelAPI, ids: list[int], tokens: int, threads: int) -> float:
    """Decode tokens/s of ``model.generate`` on ``ids`` with ``threads`` (prefill subtracted)."""
    torch.set_num_threads(threads)
    prompt = torch.tensor([ids])

    def run(n: int) -> float:
        with torch.inference_mode():
            return timed(
                lambda: api.model.generate(
                    prompt, max_new_tokens=n, min_new_tokens=n, do_sample=False
                )
            )

    return (tokens - 1) / (run(tokens) - run(1))


def engine_decode(api: LocalModelAPI, ids: list[int], tokens: int) -> float:
    """Decode tokens/s of the engine on ``ids`` (its prefix cached; no stopping early)."""

    def run(n: int) -> float:
        return timed(lambda: api.engine.generate(GenRequest(ids, n)))

    run(1)  # caches the prompt
    return (tokens - 1) / (run(tokens) - run(1))


def old_sample(api: LocalModelAPI, prompts: list[list[ChatMessage]], info: list[ToolInfo]) -> float:
    """The path before issue 16: re-render, ``generate(max_new_tokens=512)``, default threads."""
    torch.set_num_threads(available_cores())
    pad = api.tokenizer.pad_token_id or api.tokenizer.eos_token_id
    start = time.perf_counter()
    for messages in prompts:
        text = render_prompt(api.tokenizer, messages, info)
        encoded = api.tokenizer(text, return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            api.model.generate(**encoded, max_new_tokens=512, do_sample=False, pad_token_id=pad)
    return time.perf_counter() - start


async def new_sample(
    api: LocalModelAPI, prompts: list[list[ChatMessage]], info: list[ToolInfo]
) -> float:
    api.engine.prefix = PrefixCache(api.engine.prefix.max_bytes)  # a cold start
    start = time.perf_counter()
    for messages in prompts:
        await api.generate(messages, info, "auto", GREEDY)
    return time.perf_counter() - start


def concurrent(api: LocalModelAPI, prompts: list[list[int]], tokens: int) -> float:
    """Tokens/s decoding ``prompts`` together (prefixes cached, no stopping early)."""
    for ids in prompts:
        api.engine.generate(GenRequest(ids, 1))
    seconds = timed(
        lambda: [
            future.result()
            for future in [api.engine.submit(GenRequest(ids, tokens)) for ids in prompts]
        ]
    )
    return len(prompts) * tokens / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=48, help="tokens per decode measurement")
    parser.add_argument("--turns", type=int, default=4, choices=range(1, len(STEPS) + 1))
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    api = LocalModelAPI()
    chosen = api.engine.threads
    info = tools()
    questions = [
        f"What was the percentage change in net sales from {y} to {y + 1}?"
        for y in range(2010, 2018)
    ]
    prompts = conversation(questions[0], args.turns)
    ids = api.tokenizer(render_prompt(api.tokenizer, prompts[-1], info), add_special_tokens=False)[
        "input_ids"
    ]
    print(
        f"bench_local {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {available_cores()} cores, "
        f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}; SmolLM2-135M fp32, "
        f"prompt {len(ids)} tokens, engine threads {chosen}"
    )

    weight_bytes = sum(p.numel() * p.element_size() for p in api.model.parameters())
    floor = bandwidth() / weight_bytes
    stops = api.engine.stop_ids, api.engine.stop_strings
    api.engine.stop_ids, api.engine.stop_strings = set(), ()
    rates: dict[str, list[float]] = {"bare 1": [], "bare 2": [], "engine": []}
    for _ in range(args.repeats):  # alternating, so the machine's noise hits all three
        for threads in (1, 2):
            rates[f"bare {threads}"].append(bare_decode(api, ids, args.tokens, threads))
        rates["engine"].append(engine_decode(api, ids, args.tokens))
    best_bare = max(("bare 1", "bare 2"), key=lambda name: max(rates[name]))
    bare_rate, engine_rate = max(rates[best_bare]), max(rates["engine"])
    print(
        f"decode: engine {engine_rate:.1f} tokens/s, bare generate {bare_rate:.1f} "
        f"({best_bare.split()[1]} threads; "
        f"{' / '.join(f'{max(rates[n]):.1f}' for n in ('bare 1', 'bare 2'))} with 1 / 2) -> "
        f"{engine_rate / bare_rate:.2f}x [goal >= 0.9x]; bandwidth floor {floor:.1f} tokens/s "
        f"({weight_bytes / 2**20:.0f} MiB of weights per token) -> "
        f"{engine_rate / floor:.2f} of the floor"
    )

    batch = [
        api.tokenizer(
            render_prompt(api.tokenizer, conversation(q, 1)[0], info), add_special_tokens=False
        )["input_ids"]
        for q in questions
    ]
    one = concurrent(api, batch[:1], args.tokens)
    eight = concurrent(api, batch, args.tokens)
    print(
        f"concurrency: 8 samples {eight:.1f} tokens/s, 1 sample {one:.1f} -> {eight / one:.2f}x [goal >= 3x]"
    )
    api.engine.stop_ids, api.engine.stop_strings = stops

    new = best(args.repeats, lambda: asyncio.run(new_sample(api, prompts, info)))
    old = old_sample(api, prompts, info)  # once: several minutes
    torch.set_num_threads(chosen)
    print(
        f"finqa sample ({args.turns} turns, cold cache): old path {old:.1f} s, "
        f"finbehave/local {new:.1f} s -> {old / new:.1f}x faster [goal >= 8x]"
    )
    api.close()


if __name__ == "__main__":
    main()
