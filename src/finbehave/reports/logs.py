"""Read Inspect logs into per-sample rows (one per run x task x sample x epoch).

Logs are read with ``inspect_ai.log.read_eval_log`` only. A sample without ``behaviour_rubric``
scores (a log written before the rubric existed), or every sample when a rubric file is given,
is scored on the fly with ``score_trace``, the same function the scorer uses. A log that cannot
be read is reported as one line naming the file and skipped; the other logs are still used.
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
)

LOG_SUFFIXES = (".eval", ".json")
EXEMPLARS_PER_TAG = 3
TEXT_LIMIT = 4000


class ReportInputError(ValueError):
    """No usable input at all (one line naming the fix)."""


@dataclass(frozen=True)
class Source:
    """A log file or directory and the run name it is reported under (None = the model name)."""

    path: Path
    name: str | None = None


@dataclass
class Turn:
    """One message of a transcript, flattened for display."""

    index: int
    role: str
    text: str
    calls: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    evidence: list[str] = field(default_factory=list)


@dataclass
class Transcript:
    """An exemplar transcript with the rubric criteria it failed."""

    run: str
    task: str
    sample_id: str
    epoch: int
    question: str
    gold: str
    submission: str | None
    tags: list[str]
    unmet: list[str]
    turns: list[Turn]


@dataclass
class LogSet:
    """Everything read from the inputs."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    exemplars: dict[tuple[str, str], list[Transcript]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    rescored: int = 0


def find_logs(path: Path) -> list[Path]:
    """``path`` itself, or every ``.eval``/``.json`` log under it (sorted)."""
    if path.is_dir():
        return sorted(
            p
            for p in path.rglob("*")
            if p.suffix in LOG_SUFFIXES
            and p.is_file()
            and not p.name.startswith(".")
            and p.name not in {"logs.json", "eval-set.json"}
        )
    if path.exists():
        return [path]
    raise ReportInputError(
        f"{path}: no such log file or directory; pass an Inspect log or a folder"
    )


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + f" … [{len(text):,} chars]"


def _turns(messages: list[ChatMessage], criteria: list[dict[str, Any]]) -> list[Turn]:
    marks: dict[int, list[str]] = {}
    for criterion in criteria:
        evidence = criterion.get("evidence") or {}
        index = evidence.get("message_index")
        if criterion.get("verdict") == "unmet" and isinstance(index, int):
            marks.setdefault(index, []).append(f"{criterion['id']}: {evidence.get('text', '')}")
    turns = []
    for index, message in enumerate(messages):
        calls = []
        if isinstance(message, ChatMessageAssistant):
            calls = [(c.function, _clip(str(c.arguments))) for c in message.tool_calls or []]
        error = None
        if isinstance(message, ChatMessageTool) and message.error is not None:
            error = _clip(message.error.message)
        turns.append(
            Turn(index, message.role, _clip(message.text), calls, error, marks.get(index, []))
        )
    return turns


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


SampleHook = Callable[[dict[str, Any], EvalSample, Item], None]


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
            self.on_sample(row, sample, item)
        self._keep_exemplar(context["run"], context["task"], sample, item, tags, criteria)

    def _keep_exemplar(
        self,
        run: str,
        task: str,
        sample: EvalSample,
        item: Item,
        tags: list[str],
        criteria: list[dict[str, Any]],
    ) -> None:
        wanted = [
            tag for tag in tags if len(self.out.exemplars.get((run, tag), [])) < EXEMPLARS_PER_TAG
        ]
        if not wanted:
            return
        score = (sample.scores or {}).get(RUBRIC_SCORER)
        transcript = Transcript(
            run=run,
            task=task,
            sample_id=str(sample.id),
            epoch=int(sample.epoch),
            question=item.question,
            gold=f"{item.answer} ({item.unit})",
            submission=score.answer if score is not None and score.answer else None,
            tags=tags,
            unmet=[
                f"{c['id']} ({c['behaviour']})"
                for c in criteria
                if c.get("verdict") == "unmet" and float(c.get("weight", 0)) > 0
            ],
            turns=_turns(sample.messages, criteria),
        )
        for tag in wanted:
            self.out.exemplars.setdefault((run, tag), []).append(transcript)


def read_logs(
    sources: Iterable[Source],
    rubric: Path | None = None,
    on_file: Callable[[Path], None] | None = None,
    on_sample: SampleHook | None = None,
) -> LogSet:
    """Read every log of ``sources`` into rows; unreadable logs become ``errors`` lines.

    ``on_sample(row, sample, item)`` sees each scored sample with its row (e.g. to keep traces).
    """
    reader = _Reader(load_rubric(str(rubric)) if rubric else None, on_file, on_sample)
    for source in sources:
        reader.read(source)
    return reader.out


def log_files(sources: Iterable[Source]) -> list[Source]:
    """One source per log file (folders expanded once), keeping each source's run name."""
    return [Source(path, source.name) for source in sources for path in find_logs(source.path)]
