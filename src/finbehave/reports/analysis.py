"""The report's numbers: per-sample rows in DuckDB, aggregated with SQL, intervals from ``stats``.

Every table here is a pandas DataFrame built by a DuckDB query over the ``samples`` relation
(one row per run x task x sample x epoch), then given confidence intervals by
:func:`finbehave.reports.stats.estimate` and friends.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from finbehave.reports.stats import (
    Estimate,
    McNemar,
    estimate,
    mcnemar_test,
    paired_difference,
    pass_at_k,
    pass_hat_k,
)
from finbehave.rubrics.score import MET_AT
from finbehave.sql import quote_ident, sql_string
from finbehave.vocab import BEHAVIOURS, SCORE_KEYS

METRICS = ("correct", *SCORE_KEYS)
ALL_TASKS = "all tasks"


SAMPLE_KEY = ["run", "task", "sample_id", "epoch"]


def samples_frame(rows: list[dict[str, Any]]) -> tuple[pd.DataFrame, int]:
    """The rows as a typed DataFrame (NaN = not applicable) and how many duplicates were dropped.

    A sample found in several logs of the same run (a retried or resumed eval) counts once:
    the copy from the newest log is kept.
    """
    frame = pd.DataFrame(rows)
    for key in METRICS:
        frame[key] = frame[key].astype("float64")
    before = len(frame)
    frame = (
        frame.sort_values("created", kind="stable")
        .drop_duplicates(SAMPLE_KEY, keep="last")
        .sort_index()
        .reset_index(drop=True)
    )
    return frame, before - len(frame)


class Analysis:
    """DuckDB over the sample rows, with the report's queries as methods."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.db = duckdb.connect(":memory:")
        self.db.register("samples_df", frame)
        self.db.execute("CREATE TABLE samples AS SELECT * FROM samples_df")
        self.runs: list[str] = list(dict.fromkeys(frame["run"]))
        self.tasks: list[str] = sorted(set(frame["task"]))
        # the task label whose rates pool every task (the only task when there is one)
        self.pooled = ALL_TASKS if len(self.tasks) > 1 else self.tasks[0]

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        return self.db.execute(query, params or []).df()

    def write_parquet(self, path: Path) -> None:
        self.db.execute(f"COPY samples TO {sql_string(str(path))} (FORMAT parquet)")

    # -- rates ---------------------------------------------------------------------------

    def rates(self) -> pd.DataFrame:
        """Per run x task (and x all tasks): every metric's estimate, long format."""
        out = []
        groups = [(r, t) for r in self.runs for t in self.tasks]
        if len(self.tasks) > 1:
            groups += [(r, ALL_TASKS) for r in self.runs]
        for run, task in groups:
            where = "run = ?" + ("" if task == ALL_TASKS else " AND task = ?")
            params = [run] if task == ALL_TASKS else [run, task]
            cols = ", ".join(quote_ident(m) for m in METRICS)
            data = self.sql(f"SELECT {cols} FROM samples WHERE {where}", params)
            if data.empty:
                continue
            for metric in METRICS:
                est = estimate(data[metric].to_numpy())
                out.append(_row(run=run, task=task, metric=metric, samples=len(data), est=est))
        return pd.DataFrame(out)

    def pass_k(self) -> pd.DataFrame:
        """pass@k and pass^k per run x task, for k up to the smallest epoch count (> 1)."""
        counts = self.sql(
            """SELECT run, task, sample_id, count(*) AS n, sum(correct)::INT AS c
               FROM samples WHERE correct IS NOT NULL GROUP BY ALL"""
        )
        out = []
        for (run, task), group in counts.groupby(["run", "task"], sort=False):
            epochs = int(group["n"].min())
            for k in range(1, epochs + 1) if epochs > 1 else ():
                at = [pass_at_k(int(n), int(c), k) for n, c in zip(group.n, group.c, strict=True)]
                hat = [pass_hat_k(int(n), int(c), k) for n, c in zip(group.n, group.c, strict=True)]
                out.append(
                    {
                        "run": run,
                        "task": task,
                        "k": k,
                        "epochs": epochs,
                        "pass_at_k": float(np.mean(at)),
                        "pass_hat_k": float(np.mean(hat)),
                        "items": len(group),
                    }
                )
        return pd.DataFrame(out)

    # -- failure modes -------------------------------------------------------------------

    def taxonomy(self) -> pd.DataFrame:
        """Failure tags per run: count and share of the run's samples, most frequent first."""
        return self.sql(
            """WITH totals AS (SELECT run, count(*) AS total FROM samples GROUP BY run),
                    tagged AS (SELECT run, unnest(tags) AS tag FROM samples)
               SELECT tagged.run, tag, count(*) AS n, count(*) / any_value(total) AS share
               FROM tagged JOIN totals USING (run)
               GROUP BY tagged.run, tag
               ORDER BY n DESC, tag"""
        )

    def conditional(self) -> pd.DataFrame:
        """Accuracy given behaviours and item features, per run (Wilson intervals)."""
        views = {
            "tool_discovery": f"""CASE WHEN tool_discovery IS NULL THEN 'n/a'
                WHEN tool_discovery >= {MET_AT} THEN 'listed tables' ELSE 'did not list' END""",
            "schema_inspection": f"""CASE WHEN schema_inspection IS NULL THEN 'n/a'
                WHEN schema_inspection >= {MET_AT} THEN 'inspected' ELSE 'did not inspect' END""",
            "tool_error": """CASE WHEN tool_errors > 0 THEN 'a tool call failed'
                ELSE 'no tool error' END""",
            "tables": """CASE WHEN multi_table THEN 'multi-table' ELSE 'single-table' END""",
            "question kind": "kind",
        }
        parts = [
            f"""SELECT run, {sql_string(view)} AS view, ({expr})::VARCHAR AS level,
                       count(*) AS n, sum(correct)::INT AS correct
                FROM samples WHERE correct IS NOT NULL GROUP BY ALL"""
            for view, expr in views.items()
        ]
        counts = self.sql(" UNION ALL ".join(parts) + " ORDER BY view, level, run")
        out = []
        for row in counts.itertuples(index=False):
            est = estimate(np.r_[np.ones(row.correct), np.zeros(row.n - row.correct)])
            out.append(_row(run=row.run, view=row.view, level=row.level, est=est))
        return pd.DataFrame(out)

    def failing(self, run: str, behaviour: str, limit: int = 5) -> tuple[int, list[str], list[str]]:
        """(samples below ``MET_AT``, most frequent tags among them, example item ids)."""
        column = quote_ident(behaviour)
        failed = self.sql(
            f"SELECT sample_id, tags FROM samples WHERE run = ? AND {column} < {MET_AT} "
            "ORDER BY task, sample_id",
            [run],
        )
        tags = self.sql(
            f"""SELECT tag, count(*) AS n FROM
                  (SELECT unnest(tags) AS tag FROM samples WHERE run = ? AND {column} < {MET_AT})
                GROUP BY tag ORDER BY n DESC, tag LIMIT 3""",
            [run],
        )
        examples = list(dict.fromkeys(failed["sample_id"]))[:limit]
        return len(failed), list(tags["tag"]), examples

    # -- comparison ----------------------------------------------------------------------

    def comparisons(self, reference: str) -> list[Comparison]:
        """Each other run against ``reference`` on the samples both ran (same task, id, epoch)."""
        return [self.compare(reference, other) for other in self.runs if other != reference]

    def compare(self, reference: str, other: str) -> Comparison:
        """``other`` against ``reference``, paired per item (task, id, epoch)."""
        cols = ", ".join(
            f"{side}.{quote_ident(m)} AS {quote_ident(f'{side}_{m}')}"
            for m in METRICS
            for side in "ab"
        )
        pairs = self.sql(
            f"""SELECT a.task, a.sample_id, a.epoch, a.kind, a.multi_table, {cols}
                FROM samples a JOIN samples b USING (task, sample_id, epoch)
                WHERE a.run = ? AND b.run = ?
                ORDER BY a.task, a.sample_id, a.epoch""",
            [reference, other],
        )
        scored = pairs.dropna(subset=["a_correct", "b_correct"])
        a, b = scored["a_correct"] >= MET_AT, scored["b_correct"] >= MET_AT
        deltas = {
            m: paired_difference(pairs[f"a_{m}"].to_numpy(), pairs[f"b_{m}"].to_numpy())
            for m in SCORE_KEYS
        }
        label = scored["task"] + "/" + scored["sample_id"]
        return Comparison(
            reference=reference,
            other=other,
            pairs=pairs,
            mcnemar=mcnemar_test(a.to_numpy(), b.to_numpy()),
            deltas=deltas,
            fixed=list(dict.fromkeys(label[~a & b])),
            broken=list(dict.fromkeys(label[a & ~b])),
        )


@dataclass
class Comparison:
    """One run against the reference run, paired per item."""

    reference: str
    other: str
    pairs: pd.DataFrame
    mcnemar: McNemar
    deltas: dict[str, Estimate]
    fixed: list[str]
    broken: list[str]


def _row(est: Estimate, **keys: Any) -> dict[str, Any]:
    return {
        **keys,
        "value": est.value,
        "low": est.low,
        "high": est.high,
        "n": est.n,
        "method": est.method,
    }


def row_estimate(row: pd.Series) -> Estimate:
    """The ``Estimate`` stored in one row of ``rates()`` or ``conditional()``."""
    return Estimate(row["value"], row["low"], row["high"], int(row["n"]), row["method"])


def behaviour_rates(rates: pd.DataFrame, run: str, task: str) -> dict[str, Estimate]:
    """The run's estimate for each behaviour on ``task`` (``Analysis.pooled``: all tasks)."""
    rows = rates[(rates.run == run) & (rates.task == task)].set_index("metric")
    return {b: row_estimate(rows.loc[b]) for b in BEHAVIOURS if b in rows.index}
