"""Traces to learn from: Inspect logs in, the conversations selected by run and ``--where`` out.

Logs (files or folders, searched recursively) are read by :mod:`finbehave.logs`, the reader
``finbehave report`` uses too, so a log without rubric scores is scored on the fly and every
trace has the same behaviour scores the report shows. Selection: ``runs`` (a run is the
``finbehave_run`` eval metadata key that ``finbehave run`` writes, else the model name; a name
matches either) and a ``--where`` filter (:mod:`finbehave.training.filters`). The tools of a trace
are the ones the model was offered (the sample's first model event), so a rendered trace is what
the model saw.

Bad input raises ``TraceSelectionError`` (one line): an unreadable log, an unknown run, nothing
selected, or a selected trace of a test-split, held-out or eval-only item (refused exactly as
``finbehave train`` refuses items: :func:`finbehave.training.items.check_trainable`). Samples
that errored are left out and listed in ``TraceSet.skipped``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_ai.log import EvalSample
from inspect_ai.model import ChatMessage
from inspect_ai.tool import ToolInfo

from finbehave.data.items import Item
from finbehave.data.store import load_dataset
from finbehave.logs import LogInputError, Source, log_files, read_logs
from finbehave.training.filters import TraceFilter
from finbehave.training.items import check_trainable
from finbehave.vocab import SCORE_KEYS

_ATTACHMENT = re.compile(r"attachment://([0-9a-f]{32})")


class TraceSelectionError(ValueError):
    """The logs or the selection cannot give traces to train on; one line naming the fix."""


@dataclass
class Trace:
    """One selected conversation and where it came from."""

    run: str
    model: str
    log: str
    sample_id: str
    epoch: int
    item: Item
    messages: list[ChatMessage]
    tools: list[ToolInfo]
    scores: dict[str, float]

    def ref(self) -> dict[str, Any]:
        """What the run card records about the trace."""
        return {
            "run": self.run,
            "log": self.log,
            "sample_id": self.sample_id,
            "epoch": self.epoch,
            "item": self.item.id,
        }


@dataclass
class TraceSet:
    """The selected traces, and what was read and left out."""

    traces: list[Trace] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    samples: int = 0
    runs: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    rescored: int = 0


def _resolve(text: str, attachments: dict[str, str]) -> str:
    """Replace attachment references in JSON text by their (JSON-escaped) content."""

    def content(match: re.Match[str]) -> str:
        found = attachments.get(match.group(1))
        return match.group(0) if found is None else json.dumps(found)[1:-1]

    return _ATTACHMENT.sub(content, text)


def offered_tools(sample: EvalSample) -> list[ToolInfo]:
    """The tools of the sample's first model call (attachment references resolved)."""
    for event in sample.events:
        if event.event == "model":
            attachments = sample.attachments or {}
            return [
                ToolInfo.model_validate_json(_resolve(tool.model_dump_json(), attachments))
                for tool in event.tools
            ]
    raise TraceSelectionError(
        f"sample {sample.id} has no model event, so the tools it was offered are unknown; "
        "use logs written with their events (Inspect's default)"
    )


class _Selector:
    """Keeps each scored sample that matches the runs and the filter."""

    def __init__(self, runs: Sequence[str], where: TraceFilter | None) -> None:
        self.runs = set(runs)
        self.where = where
        self.out = TraceSet()
        self.items_by_dataset: dict[str, list[Item]] = {}

    def __call__(
        self, row: dict[str, Any], sample: EvalSample, item: Item, _criteria: list[Any]
    ) -> None:
        self.out.samples += 1
        self.out.runs[row["run"]] = self.out.runs.get(row["run"], 0) + 1
        if self.runs and not self.runs & {row["run"], row["model"]}:
            return
        scores = {key: row[key] for key in SCORE_KEYS}
        if self.where is not None and not self.where(scores):
            return
        self.out.traces.append(
            Trace(
                run=row["run"],
                model=row["model"],
                log=row["log"],
                sample_id=row["sample_id"],
                epoch=row["epoch"],
                item=item,
                messages=list(sample.messages),
                tools=offered_tools(sample),
                scores=scores,
            )
        )
        self.items_by_dataset.setdefault(row["dataset"], []).append(item)


def collect_traces(
    logs: Sequence[Path],
    where: TraceFilter | None = None,
    runs: Sequence[str] = (),
    rubric: Path | None = None,
    allow_eval_only: bool = False,
) -> TraceSet:
    """The traces of ``logs`` selected by ``runs`` and ``where`` (see the module docstring)."""
    if not logs:
        raise TraceSelectionError("no logs given; pass LOG_OR_DIR arguments (files or folders)")
    try:
        files = log_files([Source(Path(p)) for p in logs])
    except LogInputError as exc:
        raise TraceSelectionError(str(exc)) from None
    selector = _Selector(runs, where)
    logset = read_logs(files, rubric=rubric, on_sample=selector)
    out = selector.out
    read = {entry["file"] for entry in logset.logs}
    unreadable = [str(f.path) for f in files if str(f.path) not in read]
    if unreadable:
        raise TraceSelectionError(
            next((e for e in logset.errors if e.startswith(unreadable[0])), unreadable[0])
        )
    out.logs = sorted(read)
    out.skipped = list(logset.errors)
    out.rescored = logset.rescored
    unknown = sorted(set(runs) - set(out.runs) - {e["model"] for e in logset.logs})
    if unknown:
        raise TraceSelectionError(
            f"--run {', '.join(unknown)}: no such run in the logs; runs: "
            f"{', '.join(sorted(out.runs)) or 'none'} (a run is a tasks.yaml model key or a model)"
        )
    if not out.samples:
        detail = f" ({logset.errors[0]})" if logset.errors else ""
        raise TraceSelectionError(
            f"no scored finbehave samples in the logs{detail}; pass logs of finbehave tasks"
        )
    if not out.traces:
        selection = f" with --where {where.text!r}" if where else ""
        selection += f" in runs {', '.join(runs)}" if runs else ""
        raise TraceSelectionError(
            f"no trace selected{selection} from {out.samples} scored samples in {len(read)} logs; "
            "loosen --where or --run"
        )
    for dataset, items in selector.items_by_dataset.items():
        eval_only = load_dataset(dataset).eval_only
        check_trainable(
            items,
            set(),
            eval_only,
            allow_eval_only,
            fix="pass logs of train-split runs only (tasks.yaml split: train)",
        )
    return out
