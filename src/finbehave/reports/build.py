"""``finbehave report``: Inspect logs in, ``index.html`` + ``diagnosis.json`` + parquet out."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from finbehave import __version__
from finbehave.diagnosis import Diagnosis, write_diagnosis
from finbehave.files import staged_dir, write_text_atomic
from finbehave.logs import RUN_FIRST, LogInputError, LogSet, Source, read_logs
from finbehave.reports.analysis import (
    ALL_TASKS,
    METRICS,
    Analysis,
    Comparison,
    row_estimate,
    samples_frame,
)
from finbehave.reports.diagnose import ItemSource, build_diagnosis
from finbehave.reports.logs import Exemplars
from finbehave.reports.plots import LABELS, deltas_plot, heatmap, rates_plot, taxonomy_plot
from finbehave.rubrics.score import TAG_MEANINGS
from finbehave.vocab import BEHAVIOURS

PAIRED_ROWS_SHOWN = 500
# Shown columns: ``correct`` (the answer scorer) is labelled accuracy; the answer_correctness
# behaviour is the same rule, so it is not shown twice.
SHOWN = tuple(m for m in METRICS if m != "answer_correctness")


@dataclass
class ReportResult:
    """What ``build_report`` wrote and what it left out."""

    index: Path
    diagnosis_path: Path
    parquet: Path
    diagnosis: Diagnosis
    samples: int
    runs: list[str]
    errors: list[str] = field(default_factory=list)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("finbehave.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _dataset_items(name: str) -> list:
    from finbehave.data.store import load_dataset

    return list(load_dataset(name).items())


def _rate_tables(rates: pd.DataFrame, runs: list[str]) -> list[tuple[str, list]]:
    out = []
    for task in [*sorted(set(rates.task) - {ALL_TASKS}), ALL_TASKS]:
        sub = rates[rates.task == task]
        if sub.empty:
            continue
        table = []
        for run in runs:
            cells = sub[sub.run == run].set_index("metric")
            if cells.empty:
                continue
            table.append((run, [row_estimate(cells.loc[m]) for m in SHOWN]))
        out.append((task, table))
    return out


def _conditional(cond: pd.DataFrame, runs: list[str]) -> list[tuple[str, list]]:
    out = []
    for view, group in cond.groupby("view", sort=False):
        table = []
        for level, rows in group.groupby("level", sort=True):
            by_run = rows.set_index("run")
            table.append(
                (level, [row_estimate(by_run.loc[r]) if r in by_run.index else None for r in runs])
            )
        out.append((view, table))
    return out


def _taxonomy(kept: Exemplars, taxonomy: pd.DataFrame, runs: list[str]) -> list[dict[str, Any]]:
    out = []
    for tag in taxonomy.groupby("tag")["n"].sum().sort_values(ascending=False).index:
        rows = taxonomy[taxonomy.tag == tag].set_index("run")
        cells = [rows.loc[r].to_dict() if r in rows.index else None for r in runs]
        exemplars = [x for r in runs for x in kept.found.get((r, tag), [])][:3]
        out.append(
            {
                "tag": tag,
                "meaning": TAG_MEANINGS.get(tag, ""),
                "cells": cells,
                "exemplars": exemplars,
            }
        )
    return out


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def _comparison(c: Comparison) -> dict[str, Any]:
    rows = [
        {
            "task": r.task,
            "sample_id": r.sample_id,
            "epoch": r.epoch,
            "a": _fmt(r.a_correct),
            "b": _fmt(r.b_correct),
            "ra": _fmt(r.a_rubric_score),
            "rb": _fmt(r.b_rubric_score),
        }
        for r in c.pairs.head(PAIRED_ROWS_SHOWN).itertuples(index=False)
    ]
    return {
        "reference": c.reference,
        "other": c.other,
        "pairs": len(c.pairs),
        "mcnemar": c.mcnemar,
        "deltas": [(k, d) for k, d in c.deltas.items() if d.n],
        "svg": deltas_plot(c.deltas, f"{c.other} - {c.reference}"),
        "fixed": c.fixed,
        "broken": c.broken,
        "rows": rows,
        "truncated": len(c.pairs) > PAIRED_ROWS_SHOWN,
    }


def _header(logset: LogSet, frame: pd.DataFrame, runs: list[str]) -> list[dict[str, Any]]:
    logs = pd.DataFrame(logset.logs)
    out = []
    for run in runs:
        mine = logs[logs.run == run]
        dates = sorted(str(d)[:10] for d in mine["created"])
        out.append(
            {
                "run": run,
                "model": ", ".join(sorted(set(mine["model"]))),
                "tasks": ", ".join(sorted(set(mine["task"]))),
                "samples": int((frame.run == run).sum()),
                "logs": len(mine),
                "dates": dates[0] if dates[0] == dates[-1] else f"{dates[0]} – {dates[-1]}",
            }
        )
    return out


def _write(
    analysis: Analysis,
    logset: LogSet,
    exemplars: Exemplars,
    subject: str,
    folder: Path,
    dataset_items: ItemSource | None,
) -> Diagnosis:
    """Write ``diagnosis.json`` and ``index.html`` into ``folder``; returns the diagnosis."""
    frame, runs = analysis.frame, analysis.runs
    rates = analysis.rates()
    versions = sorted(set(frame["rubric_version"]) - {""})
    diagnosis = build_diagnosis(
        analysis, rates, subject, ",".join(versions) or "unknown", dataset_items
    )
    write_diagnosis(diagnosis, folder / "diagnosis.json")

    pooled = analysis.pooled
    comparisons = analysis.comparisons(runs[0]) if len(runs) > 1 else []
    taxonomy = analysis.taxonomy()
    matrix = (
        rates[(rates.task == pooled) & rates.metric.isin(BEHAVIOURS)]
        .pivot(index="run", columns="metric", values="value")
        .reindex(index=runs, columns=list(BEHAVIOURS))
    )
    html = (
        _environment()
        .get_template("report.html.jinja")
        .render(
            generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            version=__version__,
            rubric_versions=versions,
            runs=runs,
            header=_header(logset, frame, runs),
            rescored=logset.rescored,
            errors=logset.errors,
            notes=logset.notes,
            metrics=[LABELS.get(m, m) for m in SHOWN],
            rate_tables=_rate_tables(rates, runs),
            rates_svg=rates_plot(
                rates[rates.task == pooled], list(SHOWN), runs, f"Rates ({pooled})"
            ),
            pass_k=analysis.pass_k().to_dict("records"),
            taxonomy=_taxonomy(exemplars, taxonomy, runs),
            taxonomy_svg=taxonomy_plot(taxonomy, runs) if exemplars.found else "",
            conditional=_conditional(analysis.conditional(), runs),
            reference=runs[0],
            comparisons=[_comparison(c) for c in comparisons],
            heatmap_svg=heatmap(matrix, "behaviour rate by run") if comparisons else "",
            diagnosis=diagnosis,
        )
    )
    write_text_atomic(folder / "index.html", html)
    return diagnosis


def build_report(
    sources: list[Source],
    out_dir: Path,
    rubric: Path | None = None,
    subject: str | None = None,
    on_file: Callable[[Path], None] | None = None,
    dataset_items: ItemSource | None = _dataset_items,
) -> ReportResult:
    """Read ``sources``, write ``index.html``, ``diagnosis.json`` and ``samples.parquet``.

    Raises ``LogInputError`` (one line) when no input yields a single scored sample; logs
    that cannot be read are listed in ``ReportResult.errors`` and in the page.
    """
    exemplars = Exemplars()
    logset = read_logs(sources, rubric=rubric, on_file=on_file, on_sample=exemplars)
    if not logset.rows:
        inputs = ", ".join(str(source.path) for source in sources)
        why = logset.errors[0] if logset.errors else RUN_FIRST
        raise LogInputError(f"no scored finbehave samples in {inputs}: {why}")
    frame, duplicates = samples_frame(logset.rows)
    if duplicates:
        logset.notes.append(
            f"{duplicates} samples appeared in more than one log of the same run (retries or "
            "resumed evals); the copy from the newest log was kept"
        )
    analysis = Analysis(frame)
    runs = analysis.runs
    if subject is not None and subject not in runs:
        raise LogInputError(
            f"--subject {subject}: not a run in these logs; choose one of {', '.join(runs)}"
        )
    subject = subject or runs[0]
    with staged_dir(out_dir) as stage:
        analysis.write_parquet(stage / "samples.parquet")
        diagnosis = _write(analysis, logset, exemplars, subject, stage, dataset_items)
    return ReportResult(
        index=out_dir / "index.html",
        diagnosis_path=out_dir / "diagnosis.json",
        parquet=out_dir / "samples.parquet",
        diagnosis=diagnosis,
        samples=len(frame),
        runs=runs,
        errors=logset.errors,
    )
