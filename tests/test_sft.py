"""``finbehave sft``: the --where language, trace selection from scripted Inspect logs, the
rendering (what finbehave/local sends, loss on assistant turns only), training on the tiny
random model, bad input, --resume, and the adapter as a GRPO warm start."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.model import ChatMessageAssistant
from tiny_dataset import tiny_items, write_tiny_dataset

from finbehave.training.filters import FilterError, parse_filter
from finbehave.training.items import ItemSelectionError
from finbehave.training.traces import TraceSelectionError, collect_traces
from finbehave.vocab import SCORE_KEYS

NAN = math.nan
TRAIN_ITEM = "finqa-acme-002"


# --- the filter language -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "scores", "selected"),
    [
        ("answer_correctness == 1", {"answer_correctness": 1.0}, True),
        ("answer_correctness == 1", {"answer_correctness": 0.0}, False),
        ("answer_correctness != 1", {"answer_correctness": 0.0}, True),
        ("schema_inspection >= 0.5 and grounding > 0", {"schema_inspection": 0.5, "grounding": 1}, True),
        ("schema_inspection < 0.5 or grounding <= 0", {"schema_inspection": 0.5, "grounding": 1}, False),
        ("not (efficiency < 1)", {"efficiency": 1.0}, True),
        ("rubric_score>=-1e-3", {"rubric_score": 0.0}, True),
        # not applicable (NaN): a comparison is unknown, and only a true filter selects
        ("self_correction >= 0.5", {"self_correction": NAN}, False),
        ("not self_correction >= 0.5", {"self_correction": NAN}, False),
        ("self_correction >= 0.5 or self_correction is na", {"self_correction": NAN}, True),
        ("self_correction is not nan", {"self_correction": NAN}, False),
        ("self_correction is not na", {"self_correction": 0.0}, True),
        ("self_correction >= 0.5 and answer_correctness == 0", {"self_correction": NAN, "answer_correctness": 1}, False),
        ("self_correction >= 0.5 or answer_correctness == 1", {"self_correction": NAN, "answer_correctness": 1}, True),
        ("answer_correctness == 1 or grounding == 1 and efficiency == 1", {"answer_correctness": 1, "grounding": 0}, True),
    ],
)  # fmt: skip
def test_filter_language(text: str, scores: dict[str, float], selected: bool) -> None:
    trace_filter = parse_filter(text)
    assert trace_filter is not None and trace_filter(scores) is selected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("answer_correctness = 1", r"expected a comparison operator or is at '=' \(character 20\)"),
        ("accuracy >= 1", r"unknown key 'accuracy'"),
        ("grounding >", "expected a number at the end"),
        ("(grounding > 1", "expected a closing parenthesis at the end"),
        ("grounding > 1 efficiency < 1", "expected and, or, or a closing parenthesis"),
        ("grounding is 1", "expected na"),
        ("__import__('os').system('x')", r"unknown key '__import__'"),
        ("and grounding > 1", "expected a behaviour key at 'and'"),
    ],
)
def test_bad_filters_are_one_line_errors_naming_the_keys(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message) as caught:
        parse_filter(text)
    assert "\n" not in str(caught.value) and ", ".join(SCORE_KEYS) in str(caught.value)


def test_blank_filter_selects_everything() -> None:
    assert parse_filter(None) is None and parse_filter("  ") is None


# --- scripted traces -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny_dataset plus an eval-only train item, finqa-acme-003."""
    root = write_tiny_dataset(tmp_path_factory.mktemp("data") / "tiny")
    eval_only = tiny_items()[1].model_copy(update={"id": "finqa-acme-003", "eval_only": True})
    with (root / "items.jsonl").open("a") as handle:
        handle.write(eval_only.model_dump_json() + "\n")
    return root


def scripted_logs(dataset: Path, log_dir: Path, policies: list[str], items: list[str]) -> Path:
    """Run scripted policies through Inspect on ``items``; returns the log folder."""
    for split in ("train", "test"):
        wanted = [i for i in items if (i == "finqa-acme-001") == (split == "test")]
        if wanted:
            inspect_eval(
                "finbehave/finqa",
                task_args={"dataset": str(dataset), "split": split},
                model=[f"finbehave/scripted/{p}" for p in policies],
                sample_id=wanted,
                log_dir=str(log_dir),
                display="none",
            )
    return log_dir


@pytest.fixture(scope="module")
def train_logs(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """careful (correct, inspects the schema) and no_schema traces of the train item."""
    return scripted_logs(
        dataset, tmp_path_factory.mktemp("logs"), ["careful", "no_schema"], [TRAIN_ITEM]
    )


def test_traces_are_selected_by_run_and_filter(train_logs: Path) -> None:
    everything = collect_traces([train_logs])
    assert everything.samples == 2 and len(everything.traces) == 2
    assert set(everything.runs) == {"finbehave/scripted/careful", "finbehave/scripted/no_schema"}
    careful = collect_traces([train_logs], parse_filter("schema_inspection == 1"))
    assert [t.run for t in careful.traces] == ["finbehave/scripted/careful"]
    by_run = collect_traces([train_logs], runs=["finbehave/scripted/no_schema"])
    assert [t.run for t in by_run.traces] == ["finbehave/scripted/no_schema"]
    trace = careful.traces[0]
    assert trace.item.id == TRAIN_ITEM and trace.scores["schema_inspection"] == 1.0
    assert [t.name for t in trace.tools][-1] == "submit"
    assert all("attachment://" not in (t.description or "") for t in trace.tools)
    with pytest.raises(TraceSelectionError, match=r"--run nobody: no such run in the logs"):
        collect_traces([train_logs], runs=["nobody"])
    with pytest.raises(TraceSelectionError, match="no trace selected with --where"):
        collect_traces([train_logs], parse_filter("efficiency < 0"))


def test_test_split_and_eval_only_traces_are_refused(dataset: Path, tmp_path: Path) -> None:
    test_split = scripted_logs(dataset, tmp_path / "test", ["careful"], ["finqa-acme-001"])
    with pytest.raises(
        ItemSelectionError, match=r"finqa-acme-001 is in the test split.*split: train"
    ):
        collect_traces([test_split])
    eval_only = scripted_logs(dataset, tmp_path / "eval-only", ["careful"], ["finqa-acme-003"])
    with pytest.raises(ItemSelectionError, match=r"finqa-acme-003 is eval-only.*--allow-eval-only"):
        collect_traces([eval_only])
    assert len(collect_traces([eval_only], allow_eval_only=True).traces) == 1


# --- rendering and training on the tiny random model ---------------------------------------------


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random model, with room for a byte-level trace (~6k tokens with the tools)."""
    pytest.importorskip("trl")
    from tiny_lm import TOOL_CONTEXT, save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("tiny-model"), max_positions=TOOL_CONTEXT)


def write_recipe(path: Path, **fields: Any) -> Path:
    path.write_text(json.dumps(fields))  # JSON is YAML
    return path


def sft_recipe(path: Path, model: Path, **sft: Any) -> Path:
    settings = {"max_steps": 3, "save_steps": 1, "use_cpu": True, "max_length": 32768, **sft}
    return write_recipe(path, model=str(model), lora={"r": 4, "alpha": 8}, sft=settings)


@pytest.mark.train
def test_sft_text_is_what_local_sends_and_only_assistant_turns_carry_loss(
    train_logs: Path, tiny_model: Path
) -> None:
    from finbehave.models.chat_format import parse_completion, render_prompt
    from finbehave.training.sft import load_tokenizer
    from finbehave.training.sft_data import sft_example

    tokenizer = load_tokenizer(str(tiny_model))
    for trace in collect_traces([train_logs]).traces:
        example = sft_example(tokenizer, trace.messages, trace.tools)
        ids, mask = example["input_ids"], example["assistant_masks"]
        assert len(ids) == len(mask) and set(mask) == {0, 1}
        starts = [k for k, bit in enumerate(mask) if bit and (k == 0 or not mask[k - 1])]
        ends = [
            k + 1 for k, bit in enumerate(mask) if bit and (k + 1 == len(mask) or not mask[k + 1])
        ]
        turns = [i for i, m in enumerate(trace.messages) if isinstance(m, ChatMessageAssistant)]
        assert len(starts) == len(turns) > 2 and ends[-1] == len(ids)  # ends with the last turn
        for start, end, index in zip(starts, ends, turns, strict=True):
            prompt = render_prompt(tokenizer, trace.messages[:index], trace.tools)
            # the tokens before the turn are exactly the prompt finbehave/local tokenizes
            assert ids[:start] == tokenizer(prompt, add_special_tokens=False)["input_ids"]
            turn = tokenizer.decode(ids[start:end])
            assert turn.startswith("<tool_call>") and turn.endswith("</tool_call><|im_end|>")
            calls = parse_completion(turn.removesuffix("<|im_end|>")).tool_calls
            message = trace.messages[index]
            assert isinstance(message, ChatMessageAssistant) and message.tool_calls
            assert [(c.function, c.arguments) for c in calls] == [
                (c.function, c.arguments) for c in message.tool_calls
            ]
        trained = tokenizer.decode([t for t, bit in zip(ids, mask, strict=True) if bit])
        assert "<tool_response>" not in trained and "<|im_start|>" not in trained
        assert trace.item.question not in trained


@pytest.mark.train
def test_loss_falls_on_a_fixed_batch_with_labels_only_on_assistant_tokens(
    train_logs: Path, tiny_model: Path, tmp_path: Path
) -> None:
    from finbehave.training.sft import build_sft_trainer, plan_sft

    recipe = sft_recipe(tmp_path / "r.yaml", tiny_model, learning_rate=0.05, max_steps=4)
    plan = plan_sft(recipe, [train_logs], "schema_inspection == 1", output_dir=tmp_path / "out")
    assert len(plan.examples) == 1  # one trace, batch of one: every step sees the same batch
    trainer = build_sft_trainer(plan, save_strategy="no", disable_tqdm=True)
    example = plan.examples[0]
    labels = trainer.train_dataset[0]["labels"]
    assert trainer.train_dataset[0]["input_ids"] == example["input_ids"]
    assert labels == [
        token if bit else -100
        for token, bit in zip(example["input_ids"], example["assistant_masks"], strict=True)
    ]
    trainer.train()
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    assert len(losses) == 4 and losses[-1] < losses[0] - 0.05


def _cli(*args: str) -> Any:
    from typer.testing import CliRunner

    from finbehave.cli import app

    return CliRunner().invoke(app, ["sft", *args])


@pytest.mark.train
@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing log", "no such log file or folder"),
        ("empty folder", "no Inspect logs"),
        ("not a log", "not a readable Inspect log"),
        ("bad filter", "unknown key 'accuracy'"),
        ("no match", "no trace selected with --where"),
        ("unknown run", "--run nobody: no such run"),
        ("bad recipe", r"field sft\.epochs: .*remove it or fix its spelling"),
        ("missing recipe", "no such training recipe"),
        ("nothing to resume", "has no checkpoint to resume from"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2_and_writes_nothing(
    case: str, message: str, train_logs: Path, tiny_model: Path, tmp_path: Path
) -> None:
    recipe = sft_recipe(tmp_path / "r.yaml", tiny_model)
    (tmp_path / "empty").mkdir()
    (tmp_path / "junk.eval").write_bytes(b"not a zip")
    out = tmp_path / "out"
    args = {"--recipe": str(recipe), "--logs": str(train_logs), "--output": str(out)}
    extra: list[str] = []
    if case == "missing log":
        args["--logs"] = str(tmp_path / "nope")
    elif case == "empty folder":
        args["--logs"] = str(tmp_path / "empty")
    elif case == "not a log":
        extra = ["--logs", str(tmp_path / "junk.eval")]
    elif case == "bad filter":
        extra = ["--where", "accuracy == 1"]
    elif case == "no match":
        extra = ["--where", "efficiency < 0"]
    elif case == "unknown run":
        extra = ["--run", "nobody"]
    elif case == "bad recipe":
        args["--recipe"] = str(write_recipe(tmp_path / "bad.yaml", sft={"epochs": 2}))
    elif case == "missing recipe":
        args["--recipe"] = str(tmp_path / "nope.yaml")
    elif case == "nothing to resume":
        extra = ["--resume"]
    result = _cli(*[x for pair in args.items() for x in pair], *extra)
    assert result.exit_code == 2, result.output
    assert re.search(message, result.output)
    assert result.output.startswith("error:") and result.output.strip().count("\n") == 0
    assert not out.exists()


@pytest.mark.train
@pytest.mark.slow
def test_interrupted_sft_resumes_and_its_adapter_starts_grpo(
    dataset: Path, train_logs: Path, tiny_model: Path, tmp_path: Path
) -> None:
    from finbehave.training.runs import RunStateError
    from finbehave.training.sft import sft

    recipe = sft_recipe(tmp_path / "r.yaml", tiny_model, learning_rate=0.01)
    out = tmp_path / "out"

    class Interrupt(Exception):
        pass

    def interrupt_at_step_2(entry: dict[str, Any]) -> None:
        if entry["step"] == 2:  # logged before step 2 is saved: checkpoint-1 is the last one
            raise Interrupt

    with pytest.raises(Interrupt):
        sft(recipe, [train_logs], output_dir=out, progress=interrupt_at_step_2)
    assert [p.name for p in (out / "checkpoints").iterdir() if p.is_dir()] == ["checkpoint-1"]
    assert json.loads((out / "run_card.json").read_text())["status"] == "running"
    with pytest.raises(RunStateError, match="pass --resume"):
        sft(recipe, [train_logs], output_dir=out)
    with pytest.raises(RunStateError, match="different recipe or traces"):
        sft(recipe, [train_logs], where="schema_inspection == 1", output_dir=out, resume=True)

    seen: list[int] = []
    result = sft(
        recipe, [train_logs], output_dir=out, resume=True, progress=lambda e: seen.append(e["step"])
    )
    assert result.resumed_from == out / "checkpoints" / "checkpoint-1"
    assert result.global_step == 3 and seen[:2] == [2, 3] and result.traces == 2
    history = [json.loads(line) for line in (out / "log_history.jsonl").read_text().splitlines()]
    assert [e["step"] for e in history if "loss" in e] == [1, 2, 3]
    card = json.loads(result.run_card.read_text())
    assert card["status"] == "finished" and card["items"] == [TRAIN_ITEM]
    assert len(card["traces"]) == 2 and card["trained_tokens"] < card["tokens"]
    assert card["eval_model_args"] == {"adapter": str((out / "adapter").resolve())}

    # the adapter evaluates where finbehave/local loads adapters ...
    from finbehave.models.local import LocalModelAPI

    assert result.adapter_dir is not None
    api = LocalModelAPI(model_path=str(tiny_model), adapter=str(result.adapter_dir))
    assert type(api.model).__name__ == "PeftModelForCausalLM"

    # ... and a GRPO recipe continues it (init_adapter): the same LoRA weights, trainable
    import torch
    from safetensors.torch import load_file

    from finbehave.training.recipe import RecipeError
    from finbehave.training.trainer import build_trainer, plan_run, train

    grpo = write_recipe(
        tmp_path / "g.yaml",
        model=str(tiny_model),
        dataset=str(dataset),
        items={"source": "all", "tasks": ["finqa"], "max_items": 1},
        grpo={"num_generations": 2, "per_device_train_batch_size": 2, "max_completion_length": 16,
              "max_steps": 1, "save_steps": 1, "use_cpu": True},
    )  # fmt: skip
    plan = plan_run(grpo, init_adapter=result.adapter_dir, allow_eval_only=True)
    trainer = build_trainer(plan, output_dir=str(tmp_path / "grpo-check"))
    saved = load_file(str(result.adapter_dir / "adapter_model.safetensors"))
    params = dict(trainer.model.named_parameters())
    lora = {k: v for k, v in params.items() if "lora_" in k}
    assert lora and all(v.requires_grad for v in lora.values())
    for key, value in saved.items():
        live = key.replace(".weight", ".default.weight")
        assert torch.equal(params[live].detach(), value), key
    trained = train(grpo, output_dir=tmp_path / "grpo", init_adapter=result.adapter_dir,
                    allow_eval_only=True)  # fmt: skip
    card = json.loads(trained.run_card.read_text())
    assert card["recipe"]["init_adapter"] == str(result.adapter_dir)
    assert card["eval_model_args"] == {"adapter": str((tmp_path / "grpo" / "adapter").resolve())}

    moved = tmp_path / "other-base"
    moved.mkdir()
    for file in result.adapter_dir.iterdir():
        (moved / file.name).write_bytes(file.read_bytes())
    config = json.loads((moved / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = str(tmp_path)
    (moved / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(RecipeError, match=r"was trained on .* set model: to the adapter's base"):
        build_trainer(plan_run(grpo, init_adapter=moved, allow_eval_only=True))


def test_shipped_sft_recipe_is_valid_and_lora_layers_need_module_names(tmp_path: Path) -> None:
    from finbehave.training.recipe import RecipeError, load_recipe
    from finbehave.training.sft_recipe import SFTRecipe

    root = Path(__file__).resolve().parents[1]
    recipe = load_recipe(root / "training" / "sft_cpu.yaml", SFTRecipe)
    assert recipe.model == "smollm2" and recipe.sft.use_cpu and not recipe.full_finetune
    assert recipe.lora.layers_to_transform == list(range(20, 30))
    bad = write_recipe(tmp_path / "bad.yaml", lora={"layers_to_transform": [1]})
    with pytest.raises(RecipeError, match="layers_to_transform needs target_modules as a list"):
        load_recipe(bad, SFTRecipe)
    length = write_recipe(tmp_path / "len.yaml", sft={"too_long": "cut"})
    with pytest.raises(RecipeError, match=r"field sft\.too_long: Input should be 'drop' or"):
        load_recipe(length, SFTRecipe)


@pytest.mark.train
def test_cli_trains_and_prints_the_eval_command(
    train_logs: Path, tiny_model: Path, tmp_path: Path
) -> None:
    recipe = sft_recipe(tmp_path / "r.yaml", tiny_model, max_steps=1, max_length=64)
    out = tmp_path / "out"
    result = _cli("--recipe", str(recipe), "--logs", str(train_logs), "--output", str(out))
    assert result.exit_code == 2 and "raise sft.max_length" in result.output  # all too long
    recipe = sft_recipe(tmp_path / "r.yaml", tiny_model, max_steps=1)
    args = ["--recipe", str(recipe), "--logs", str(train_logs), "--output", str(out)]
    result = _cli(*args, "--run", "finbehave/scripted/careful")
    assert result.exit_code == 0, result.output
    assert "trained 1 steps on 1 traces" in result.output
    assert f"-M adapter={(out / 'adapter').resolve()}" in result.output
