"""Re-score existing Inspect logs with a new or edited rubric, without re-running models.

Each input log is read with ``read_eval_log``, re-scored through Inspect's own ``score()`` with the
``behaviour_rubric`` scorer (so metrics are recomputed the usual way) and written as a new log;
inputs are never modified. The report lists every criterion verdict that changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from inspect_ai import score as inspect_score
from inspect_ai.log import EvalLog, read_eval_log, write_eval_log

from finbehave.logs import foreign_task
from finbehave.rubrics.scorer import behaviour_rubric
from finbehave.vocab import DEFAULT_TOLERANCE, RUBRIC_SCORER


class ForeignLogError(ValueError):
    """A log of another Inspect task (one line naming it)."""


@dataclass(frozen=True)
class VerdictChange:
    """One criterion whose verdict changed for one sample."""

    log: str
    sample_id: str
    criterion: str
    old: str
    new: str


@dataclass
class RescoreReport:
    """What was written and what changed."""

    written: list[Path] = field(default_factory=list)
    changes: list[VerdictChange] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line per log of another task
    samples: int = 0
    rubric_version: str = ""


def _verdicts(log: EvalLog) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for sample in log.samples or []:
        score = (sample.scores or {}).get(RUBRIC_SCORER)
        for criterion in (score.metadata or {}).get("criteria", []) if score else []:
            found[(f"{sample.id}#{sample.epoch}", criterion["id"])] = criterion["verdict"]
    return found


RESCORED = "-rescored"  # the name of a rescored copy: <input stem>-rescored<suffix>


def output_path(source: Path, output_dir: Path | None) -> Path:
    """Where the rescored copy of ``source`` goes (never ``source`` itself)."""
    folder = output_dir or source.parent
    return folder / f"{source.stem}{RESCORED}{source.suffix}"


def inputs(paths: list[Path], found: list[Path]) -> list[Path]:
    """The logs to re-score: ``found`` (``paths`` expanded) less the rescored copies an earlier
    rescore wrote into a folder given (a rescored log named as a file is kept)."""
    named = set(paths)
    return [f for f in found if f in named or not f.stem.endswith(RESCORED)]


def rescore_log(
    path: Path,
    rubric: Path | None,
    output_dir: Path | None = None,
    action: Literal["overwrite", "append"] = "overwrite",
    tolerance: float = DEFAULT_TOLERANCE,
) -> tuple[Path, list[VerdictChange], int, str]:
    """Re-score one log; returns (new log path, changed verdicts, samples, rubric version)."""
    log = read_eval_log(str(path))
    foreign = foreign_task(log)
    if foreign is not None:
        raise ForeignLogError(f"{path}: {foreign}; rescore takes finbehave logs only")
    if not log.samples:
        raise ValueError(
            f"{path}: the log has no samples to re-score (was it written with samples?)"
        )
    before = _verdicts(log)
    scorer = behaviour_rubric(rubric=str(rubric) if rubric else None, tolerance=tolerance)
    rescored = inspect_score(log, [scorer], action=action, display="none")
    after = _verdicts(rescored)
    changes = [
        VerdictChange(path.name, key[0], key[1], before.get(key, "absent"), verdict)
        for key, verdict in after.items()
        if before.get(key) != verdict
    ]
    target = output_path(path, output_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_eval_log(rescored, str(target))
    version = ""
    for sample in rescored.samples or []:
        score = (sample.scores or {}).get(RUBRIC_SCORER)
        if score and score.metadata:
            version = score.metadata.get("rubric_version", "")
            break
    return target, changes, len(rescored.samples or []), version


def rescore_logs(
    paths: list[Path],
    rubric: Path | None,
    output_dir: Path | None = None,
    action: Literal["overwrite", "append"] = "overwrite",
) -> RescoreReport:
    """Re-score several logs (see ``rescore_log``); logs of other tasks are listed in
    ``skipped``, and are an error (``ForeignLogError``) when no log is left."""
    report = RescoreReport()
    for path in paths:
        try:
            target, changes, samples, version = rescore_log(path, rubric, output_dir, action)
        except ForeignLogError as exc:
            report.skipped.append(str(exc))
            continue
        report.written.append(target)
        report.changes.extend(changes)
        report.samples += samples
        report.rubric_version = version
    if not report.written and report.skipped:
        raise ForeignLogError(report.skipped[0])
    return report
