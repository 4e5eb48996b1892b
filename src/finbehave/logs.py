"""Inspect logs in: which files the user named, and per-sample rows (one per run x task x sample
x epoch). Reports and training both read logs through this module (neither imports the other).

Every command that takes logs takes files and folders alike through :func:`expand_logs`
(folders searched recursively, sorted). Logs are read with ``inspect_ai.log.read_eval_log``
only. A sample without ``behaviour_rubric`` scores (a log written before the rubric existed), or
every sample when a rubric file is given, is scored on the fly with ``score_trace``, the same
function the scorer uses. A log that cannot be read, or a log of another Inspect task, is
reported as one line naming the file and skipped; the other logs are still used.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_ai.log import EvalLog, EvalSample, read_eval_log
from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageTool
from pydantic import ValidationError

from finbehave.data.items import Item
from finbehave.rubrics.score import score_trace
from finbehave.rubrics.spec import Rubric, load_rubric
from finbehave.vocab import (
    ANSWER_SCORER,
    DEFAULT_TOLERANCE,
    EMBEDDED,
    RUBRIC_SCORER,
    RUN_KEY,
    SCORE_KEYS,
    TASK_NAMES,
)

LOG_SUFFIXES = (".eval", ".json")
FINBEHAVE_TASKS = " or ".join(f"finbehave/{name}" for name in TASK_NAMES)
NOT_LOGS = {"logs.json", "eval-set.json"}  # Inspect's own index files in a log folder
RUN_FIRST = "run `finbehave run tasks.yaml` or `inspect eval finbehave/finqa --model ...` first"


class LogInputError(ValueError):
    """No usable input at all (one line naming the fix)."""


@dataclass(frozen=True)
class Source:
    """A log file or directory and the run name it is reported under (None = the model name)."""

    path: Path
    name: str | None = None


@dataclass
class LogSet:
    """Everything read from the inputs."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    rescored: int = 0


def _is_log(path: Path) -> bool:
    return (
        path.suffix in LOG_SUFFIXES and not path.name.startswith(".") and path.name not in NOT_LOGS
    )


def find_logs(path: Path) -> list[Path]:
    """``path`` itself, or every ``.eval``/``.json`` log under it (recursive, sorted).

    Raises ``LogInputError`` for a missing path, a file that is not a log, or a folder without
    logs, naming the path and the fix.
    """
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if _is_log(p) and p.is_file())
        if not found:
            raise LogInputError(
                f"{path}: no Inspect logs (.eval/.json) in this folder; {RUN_FIRST}"
            )
        return found
    if not path.exists():
        raise LogInputError(
            f"{path}: no such log file or folder; check the path (pass .eval/.json Inspect logs "
            "or a folder of them)"
        )
    if path.suffix not in LOG_SUFFIXES:
        raise LogInputError(
            f"{path}: not an Inspect log (.eval/.json); pass a log or a folder of them"
        )
    return [path]


def expand_logs(paths: Iterable[Path]) -> list[Path]:
    """The log files that ``paths`` (files and folders alike) name, in order, without repeats."""
    return list(dict.fromkeys(log for path in paths for log in find_logs(Path(path))))


def log_files(sources: Iterable[Source]) -> list[Source]:
    """One source per log file (folders expanded once), keeping each source's run name."""
    return [Source(path, source.name) for source in sources for path in find_logs(source.path)]


def foreign_task(log: EvalLog) -> str | None:
    """One line naming the task when ``log`` is not a finbehave task's log (else None).

    A finbehave log's samples carry item metadata; the first sample decides.
    """
    if not log.samples:
        return None
    try:
        Item.model_validate(log.samples[0].metadata)
    except ValidationError:
        return f"a log of Inspect task {log.eval.task!r}, not of {FINBEHAVE_TASKS}"
    return None


def _tool_counts(messages: list[ChatMessage]) -> tuple[int, int]:
    calls = errors = 0
    for message in messages:
        if isinstance(message, ChatMessageAssistant):
            calls += len(message.tool_calls or [])
        elif isinstance(message, ChatMessageTool) and message.error is not None:
            errors += 1
    return calls, errors


def _number(value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, str):
        return {"C": 1.0, "I": 0.0}.get(value, math.nan)
    return float(value)


SampleHook = Callable[[dict[str, Any], EvalSample, Item, list[dict[str, Any]]], None]


class _Reader:
    def __init__(
        self,
        rubric: Rubric | None,
        on_file: Callable[[Path], None] | None,
        on_sample: SampleHook | None = None,
    ) -> None:
        self.rubric = rubric
        self.default_rubric: Rubric | None = None
        self.on_file = on_file
        self.on_sample = on_sample
        self.out = LogSet()

    def _rubric(self) -> Rubric:
        if self.rubric is not None:
            return self.rubric
        if self.default_rubric is None:
            self.default_rubric = load_rubric(None)
        return self.default_rubric

    def read(self, source: Source) -> None:
        for path in find_logs(source.path):
            try:
                log = read_eval_log(str(path))
            except Exception as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.out.errors.append(
                    f"{path}: not a readable Inspect log ({reason[:200]}); "
                    "re-run it or remove it from the inputs"
                )
            else:
                self._log(path, log, source.name)
            if self.on_file:
                self.on_file(path)

    def _log(self, path: Path, log: EvalLog, name: str | None) -> None:
        foreign = foreign_task(log)
        if foreign is not None:
            self.out.errors.append(f"{path}: {foreign}")
            return
        model = log.eval.model
        run = name or (log.eval.metadata or {}).get(RUN_KEY) or model
        task = log.eval.task.split("/")[-1]
        samples = log.samples or []
        self.out.logs.append(
            {
                "file": str(path),
                "run": run,
                "model": model,
                "task": task,
                "status": log.status,
                "samples": len(samples),
                "created": log.eval.created,
            }
        )
        if not samples:
            self.out.errors.append(
                f"{path}: the log has no samples (status {log.status}); "
                "re-run the task or check it was written with samples"
            )
            return
        args = log.eval.task_args or {}
        tolerance = float(args.get("tolerance") or DEFAULT_TOLERANCE)
        context = {
            "run": run,
            "model": model,
            "task": task,
            "log": path.name,
            "created": log.eval.created,
            "dataset": str(args.get("dataset") or EMBEDDED),
        }
        for sample in samples:
            self._sample(path, context, sample, tolerance)

    def _scores(
        self, sample: EvalSample, item: Item, tolerance: float
    ) -> tuple[dict[str, Any], list[str], list[dict[str, Any]], str]:
        score = (sample.scores or {}).get(RUBRIC_SCORER)
        if score is not None and self.rubric is None and isinstance(score.value, dict):
            meta = score.metadata or {}
            return (
                score.value,
                list(meta.get("tags", [])),
                list(meta.get("criteria", [])),
                meta.get("rubric_version", ""),
            )
        self.out.rescored += 1
        result = score_trace(
            sample.messages,
            item,
            self._rubric(),
            limit_hit=sample.limit is not None,
            tolerance=tolerance,
        )
        meta = result.to_metadata()
        return result.scores, result.tags, meta["criteria"], result.rubric_version

    def _sample(
        self, path: Path, context: dict[str, str], sample: EvalSample, tolerance: float
    ) -> None:
        if sample.error is not None:
            self.out.errors.append(
                f"{path}: sample {sample.id} epoch {sample.epoch} errored "
                f"({sample.error.message.splitlines()[0][:160]}); it is left out of the rates"
            )
            return
        try:
            item = Item.model_validate(sample.metadata)
        except ValidationError:
            self.out.errors.append(
                f"{path}: sample {sample.id} has no finbehave item metadata; "
                "report logs of finbehave tasks only"
            )
            return
        values, tags, criteria, version = self._scores(sample, item, tolerance)
        answer = (sample.scores or {}).get(ANSWER_SCORER)
        correct = (
            _number(answer.value)
            if answer is not None
            else _number(values.get("answer_correctness"))
        )
        calls, errors = _tool_counts(sample.messages)
        row: dict[str, Any] = {
            **context,
            "sample_id": str(sample.id),
            "epoch": int(sample.epoch),
            "company": item.company,
            "kind": item.kind,
            "split": item.split,
            "unit": item.unit,
            "n_tables": len(item.required_tables),
            "multi_table": item.multi_table,
            "eval_only": item.eval_only,
            "correct": correct,
            "tool_calls": calls,
            "tool_errors": errors,
            "messages": len(sample.messages),
            "tags": tags,
            "rubric_version": version,
        }
        for key in SCORE_KEYS:
            row[key] = _number(values.get(key))
        self.out.rows.append(row)
        if self.on_sample is not None:
            self.on_sample(row, sample, item, criteria)


def read_logs(
    sources: Iterable[Source],
    rubric: Path | None = None,
    on_file: Callable[[Path], None] | None = None,
    on_sample: SampleHook | None = None,
) -> LogSet:
    """Read every log of ``sources`` into rows; unreadable and foreign logs become ``errors`` lines.

    ``on_sample(row, sample, item, criteria)`` sees each scored sample with its row and its
    per-criterion verdicts (e.g. to keep traces or exemplars).
    """
    reader = _Reader(load_rubric(str(rubric)) if rubric else None, on_file, on_sample)
    for source in sources:
        reader.read(source)
    return reader.out
