"""The demo (``finbehave loop`` with commentary) on a small experiment without training: it
evaluates and reports afresh and says why training is skipped.

The whole ``make demo`` evaluates and trains SmolLM2-135M on the CPU for minutes; its stages are
the loop's, tested in tests/test_loop.py on the tiny model.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from finbehave import demo

EXPERIMENT = """
version: 1
report: reports/experiment
tasks:
  - name: finqa
    split: test
    limit: 2
models:
  careful: {model: finbehave/scripted/careful}
  guesser: {model: finbehave/scripted/guesser}
"""


def test_demo_reports_the_experiment_and_says_why_training_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text(EXPERIMENT)
    stale = tmp_path / "logs" / "experiment" / "stale.eval"
    stale.parent.mkdir(parents=True)
    stale.write_text("not a log")  # the demo always evaluates afresh
    argv = ["demo", "--tasks", str(tasks), "--log-dir", str(tmp_path / "logs")]
    monkeypatch.setattr(sys, "argv", argv)
    demo.main()
    out = " ".join(capsys.readouterr().out.split())
    assert "careful accuracy 100% on 2 samples" in out
    assert "guesser accuracy 0% on 2 samples" in out
    assert "skipped training: tasks.yaml has no training: entry" in out
    assert (tmp_path / "reports" / "experiment" / "index.html").is_file()
    assert not stale.exists()
    assert not (tmp_path / "reports" / "experiment-loop" / "index.html").exists()  # no comparison
