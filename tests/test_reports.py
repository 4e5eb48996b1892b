"""Reports and diagnosis: from real scripted-policy logs to index.html, diagnosis.json, parquet."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import duckdb
import jsonschema
import numpy as np
import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log, write_eval_log
from inspect_ai.model import ChatMessageAssistant
from statsmodels.stats.proportion import proportion_confint
from typer.testing import CliRunner

from finbehave.cli import app
from finbehave.diagnosis import (
    SCHEMA_FILE,
    DiagnosisError,
    derive_weights,
    json_schema,
    load_diagnosis,
)
from finbehave.reports.build import build_report
from finbehave.reports.logs import ReportInputError, Source
from finbehave.reports.stats import estimate, mcnemar_test, pass_at_k, pass_hat_k
from finbehave.tasks.finqa import finqa, finqa_reasoning

POLICIES = ("careful", "guesser", "no_schema")


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One folder of logs per scripted policy: both tasks, 4 test items each."""
    root = tmp_path_factory.mktemp("report-logs")
    for policy in POLICIES:
        for task_fn in (finqa, finqa_reasoning):
            inspect_eval(
                task_fn(split="test"),
                model=f"finbehave/scripted/{policy}",
                limit=4,
                log_dir=str(root / policy),
                display="none",
            )
    return {policy: root / policy for policy in POLICIES}


def _schema_valid(path: Path) -> dict:
    data = json.loads(path.read_text())
    jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text()))
    return data


def test_report_names_tags_and_diagnoses_the_guesser(logs: dict[str, Path], tmp_path: Path):
    out = tmp_path / "report"
    result = build_report(
        [Source(logs["careful"]), Source(logs["guesser"])],
        out,
        subject="finbehave/scripted/guesser",
    )
    html = (out / "index.html").read_text()
    assert "hallucinated_answer" in html and "Failure-mode taxonomy" in html
    assert "did not inspect" in html  # a guess is no escape from schema inspection
    # self-contained: nothing fetched from anywhere
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//|@import|<link|<script src", html)
    weakest = [w.behaviour for w in result.diagnosis.weakest]
    assert weakest[:3] == ["tool_discovery", "schema_inspection", "grounding"]
    data = _schema_valid(out / "diagnosis.json")
    assert data["subject"] == "finbehave/scripted/guesser"
    assert math.isclose(sum(data["reward_weights"].values()), 1.0)
    # the weakest behaviour carries the most weight
    assert max(data["reward_weights"], key=data["reward_weights"].get) in weakest[:3]
    train, held = data["target_items"]["train"], data["target_items"]["held_out"]
    assert train and held and not set(train) & set(held)
    assert all(i.startswith("finqa-") for i in train[: len(train) // 2])  # single-table first
    rows = (
        duckdb.connect().execute(f"SELECT count(*) FROM '{out / 'samples.parquet'}'").fetchone()[0]
    )
    assert rows == result.samples == 16
    assert load_diagnosis(out).subject == "finbehave/scripted/guesser"


def test_train_targets_come_from_the_train_split(logs: dict[str, Path], tmp_path: Path):
    from finbehave.data.store import load_dataset

    result = build_report([Source(logs["no_schema"])], tmp_path / "r")
    split = {i.id: i.split for i in load_dataset("embedded").items()}
    targets = result.diagnosis.target_items
    assert targets.train and all(split[i] == "train" for i in targets.train)
    assert all(split[i] == "test" for i in targets.held_out)
    assert result.diagnosis.weakest[0].behaviour == "schema_inspection"
    assert "no_schema_inspection" in result.diagnosis.weakest[0].top_tags


def test_comparison_pairs_items_with_mcnemar(logs: dict[str, Path], tmp_path: Path):
    result = build_report(
        [Source(logs["guesser"], "base"), Source(logs["careful"], "tuned")], tmp_path / "cmp"
    )
    html = (tmp_path / "cmp" / "index.html").read_text()
    assert result.runs == ["base", "tuned"]
    assert "tuned vs base (8 paired samples)" in html
    assert 'fixed <b class="good">8</b>, broken <b class="bad">0</b>' in html
    assert "McNemar" in html and "exact binomial" in html


def test_everything_from_a_model_is_escaped(logs: dict[str, Path], tmp_path: Path):
    source = next(logs["guesser"].glob("*.eval"))
    log = read_eval_log(str(source))
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    for sample in log.samples:
        sample.messages.append(ChatMessageAssistant(content=evil))
        sample.metadata["question"] = evil
    (tmp_path / "in").mkdir()
    write_eval_log(log, str(tmp_path / "in" / source.name))
    build_report([Source(tmp_path / "in", '<b id="run">')], tmp_path / "out")
    html = (tmp_path / "out" / "index.html").read_text()
    assert evil not in html and "<img src=x" not in html and '<b id="run">' not in html
    assert "&lt;script&gt;alert(" in html
    assert html.count("<script>") == 1  # only the report's own expand/collapse script


def test_bad_logs_are_named_and_the_rest_reported(logs: dict[str, Path], tmp_path: Path):
    folder = tmp_path / "mixed"
    shutil.copytree(logs["careful"], folder)
    good = next(folder.glob("*.eval"))
    (folder / "empty.eval").write_bytes(b"")
    (folder / "truncated.eval").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (folder / "garbage.json").write_text("{not json")
    result = build_report([Source(folder)], tmp_path / "out")
    assert result.samples == 8
    named = " ".join(result.errors)
    for name in ("empty.eval", "truncated.eval", "garbage.json"):
        assert name in named
    assert all("\n" not in e for e in result.errors)
    cli = CliRunner().invoke(app, ["report", str(folder), "-o", str(tmp_path / "cli")])
    assert cli.exit_code == 1, cli.output
    assert (tmp_path / "cli" / "index.html").exists()


def test_no_usable_log_is_a_one_line_error(tmp_path: Path):
    (tmp_path / "x.eval").write_bytes(b"")
    with pytest.raises(ReportInputError, match=r"x\.eval"):
        build_report([Source(tmp_path)], tmp_path / "out")
    cli = CliRunner().invoke(app, ["report", str(tmp_path / "missing"), "-o", str(tmp_path / "o")])
    assert cli.exit_code == 2 and "no such log" in cli.output
    cli = CliRunner().invoke(app, ["report", "--compare", "oops", "-o", str(tmp_path / "o")])
    assert cli.exit_code == 2 and "NAME=LOG_OR_DIR" in cli.output


def test_logs_without_rubric_scores_are_scored_on_the_fly(logs: dict[str, Path], tmp_path: Path):
    source = next(logs["no_schema"].glob("*finqa_*.eval"))
    log = read_eval_log(str(source))
    for sample in log.samples:
        del sample.scores["behaviour_rubric"]
    (tmp_path / "old").mkdir()
    write_eval_log(log, str(tmp_path / "old" / source.name))
    fresh = build_report([Source(tmp_path / "old")], tmp_path / "a")
    scored = build_report([Source(source)], tmp_path / "b")
    assert fresh.diagnosis.models == scored.diagnosis.models
    assert fresh.diagnosis.rubric_version == scored.diagnosis.rubric_version


def test_epochs_give_pass_at_k(tmp_path: Path):
    inspect_eval(
        finqa(split="test"),
        model="finbehave/scripted/careful",
        limit=2,
        epochs=2,
        log_dir=str(tmp_path / "logs"),
        display="none",
    )
    build_report([Source(tmp_path / "logs")], tmp_path / "out")
    html = (tmp_path / "out" / "index.html").read_text()
    assert "pass@k and pass^k" in html


def test_statistics_match_the_libraries():
    wilson = estimate(np.array([1, 1, 0, 1, 0, 1, 1, 1.0]))
    low, high = proportion_confint(6, 8, method="wilson")
    assert (wilson.value, wilson.low, wilson.high, wilson.method) == (0.75, low, high, "wilson")
    boot = estimate(np.array([0.2, 0.5, 0.9, 1.0, np.nan]))
    assert boot.method == "bootstrap" and boot.n == 4 and boot.low < 0.65 < boot.high
    assert estimate(np.array([np.nan])).n == 0
    test = mcnemar_test(np.array([1, 1, 0, 0, 0]), np.array([1, 0, 1, 1, 0]))
    assert (test.both, test.broken, test.fixed, test.neither) == (1, 1, 2, 1)
    assert pass_at_k(4, 1, 1) == 0.25 and pass_at_k(4, 1, 4) == 1.0
    assert pass_hat_k(4, 2, 2) == pytest.approx(1 / 6)


def test_diagnosis_schema_file_is_current_and_loader_rejects_bad_files(tmp_path: Path):
    assert json.loads(SCHEMA_FILE.read_text()) == json_schema()
    weights = derive_weights({"tool_discovery": 0.0, "grounding": 1.0, "efficiency": None})
    assert weights == pytest.approx({"tool_discovery": 1.1 / 1.2, "grounding": 0.1 / 1.2})
    bad = tmp_path / "diagnosis.json"
    for content, fragment in [
        ("[]", "expected a JSON object"),
        ("{", "not readable JSON"),
        ('{"schema_version": 9}', "schema_version 9"),
        ('{"schema_version": 1}', "rubric_version"),
    ]:
        bad.write_text(content)
        with pytest.raises(DiagnosisError, match=fragment) as info:
            load_diagnosis(bad)
        assert "\n" not in str(info.value) and "finbehave report" in str(info.value)
    with pytest.raises(DiagnosisError, match="no such diagnosis"):
        load_diagnosis(tmp_path / "nope.json")


def test_a_sample_in_two_logs_counts_once(logs: dict[str, Path], tmp_path: Path):
    folder = tmp_path / "twice"
    shutil.copytree(logs["careful"], folder)
    for log in list(folder.glob("*.eval")):
        shutil.copy(log, folder / f"retry-{log.name}")
    result = build_report([Source(folder)], tmp_path / "out")
    assert result.samples == 8
    assert "appeared in more than one log" in (tmp_path / "out" / "index.html").read_text()


def test_arms_summary_pairs_every_arm_and_reads_training_logs(
    logs: dict[str, Path], tmp_path: Path
) -> None:
    from finbehave.reports.arms import summarize_arms

    result = build_report(
        [
            Source(logs["no_schema"], "warm"),
            Source(logs["careful"], "targeted"),
            Source(logs["guesser"], "uniform"),
        ],
        tmp_path / "cmp",
    )
    trained = {"targeted": tmp_path / "t", "uniform": tmp_path / "u"}
    for arm, folder in trained.items():
        folder.mkdir()
        weights = {"schema_inspection": 0.6, "answer_correctness": 0.4}
        card = {"reward_weights": weights, "reward_weights_source": arm}
        (folder / "run_card.json").write_text(json.dumps(card))
        history = [
            {"step": 1, "reward": 0.2, "rewards/schema_inspection/mean": 0.1,
             "frac_reward_zero_std": 1.0},
            {"step": 2, "reward": 0.4, "rewards/schema_inspection/mean": 0.5,
             "frac_reward_zero_std": 0.5},
            {"train_runtime": 9.0},
        ]  # fmt: skip
        (folder / "log_history.jsonl").write_text("\n".join(map(json.dumps, history)) + "\n")
    summary = json.loads(summarize_arms(result.parquet, trained, tmp_path / "cmp").read_text())

    assert [(p["after"], p["before"]) for p in summary["pairs"]] == [
        ("targeted", "warm"), ("uniform", "warm"), ("targeted", "uniform"),
    ]  # fmt: skip
    by_pair = {(p["after"], p["before"]): p for p in summary["pairs"]}
    careful_vs_guesser = by_pair[("targeted", "uniform")]
    assert careful_vs_guesser["items"] == 8
    assert (
        careful_vs_guesser["mcnemar"]["fixed"] == 8 and careful_vs_guesser["mcnemar"]["broken"] == 0
    )
    assert careful_vs_guesser["differences"]["answer_correctness"]["value"] == 1.0
    assert summary["runs"]["targeted"]["schema_inspection"]["value"] == 1.0
    assert summary["runs"]["warm"]["schema_inspection"]["value"] == 0.0
    use = summary["tool_use"]
    assert (
        use["targeted"]["submitted"]["value"] == 1.0 and use["uniform"]["tool_calls"]["value"] == 1
    )
    assert use["targeted"]["tool_calls"]["value"] > 2
    training = summary["training"]["targeted"]
    assert training["steps"] == 2 and training["zero_spread_fraction"] == 0.75
    assert training["curves"]["schema_inspection"] == [[1, 0.1], [2, 0.5]]
    table = (tmp_path / "cmp" / "arms.md").read_text()
    assert "| targeted − uniform |" in table and "| targeted | schema_inspection 0.60" in table
    assert (tmp_path / "cmp" / "reward_curves.svg").read_text().startswith("<svg")
