"""Build ``diagnosis.json`` from the analysed rows (the schema lives in ``finbehave.diagnosis``).

- ``weakest``: the subject's behaviours by deficiency (1 - rate), most deficient first. At equal
  deficiency a process behaviour ranks before ``answer_correctness``: correctness is the outcome
  the other behaviours explain, and the process is what training can target.
- ``target_items.train``: train-split, non-eval-only items whose traces scored below ``MET_AT`` (0.5) on one of
  the two weakest behaviours. When the logs hold no train-split traces (the usual case: evaluation
  runs on the test split), the items come from the dataset's train split, taken from the
  (task, question kind) groups where the subject failed those behaviours. Single-table items come
  first (the public result found single-table training lifts multi-table questions too).
- ``target_items.held_out``: the test-split items the subject was evaluated on (never trained on).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from finbehave.data.items import Item
from finbehave.diagnosis import (
    BehaviourStat,
    Diagnosis,
    ModelDiagnosis,
    TargetItems,
    Weakness,
    deficient,
    derive_weights,
)
from finbehave.reports.analysis import Analysis, behaviour_rates
from finbehave.reports.stats import Estimate
from finbehave.rubrics.score import MET_AT

WEAKEST_TARGETED = 2

ItemSource = Callable[[str], list[Item]]


def _stat(est: Estimate) -> BehaviourStat:
    def clean(x: float) -> float | None:
        return None if math.isnan(x) else round(float(x), 6)

    return BehaviourStat(
        rate=clean(est.value), ci_low=clean(est.low), ci_high=clean(est.high), n=est.n
    )


def _weakest(analysis: Analysis, subject: str, rates: dict[str, Estimate]) -> list[Weakness]:
    observed = [(b, e) for b, e in rates.items() if e.n > 0]
    observed.sort(key=lambda be: (-(1 - be[1].value), be[0] == "answer_correctness"))
    out = []
    for behaviour, est in observed:
        failing, tags, examples = analysis.failing(subject, behaviour)
        out.append(
            Weakness(
                behaviour=behaviour,
                deficiency=round(1 - est.value, 6),
                rate=round(est.value, 6),
                ci_low=round(est.low, 6),
                ci_high=round(est.high, 6),
                n=est.n,
                failing_samples=failing,
                top_tags=tags,
                example_items=examples,
            )
        )
    return out


def _order(items: list[Item]) -> list[str]:
    return [i.id for i in sorted(items, key=lambda i: (i.multi_table, i.id))]


def _targets(
    analysis: Analysis,
    subject: str,
    weakest: list[Weakness],
    dataset_items: ItemSource | None,
    dataset: str,
) -> TargetItems:
    frame = analysis.frame[analysis.frame.run == subject]
    held_out = sorted(set(frame.loc[frame.split == "test", "sample_id"]))
    focus = [w.behaviour for w in deficient(weakest)][:WEAKEST_TARGETED]
    if not focus:
        return TargetItems(
            train=[], held_out=held_out, selection="no deficient behaviour: nothing to target"
        )
    failed = frame[pd.concat([frame[b] < MET_AT for b in focus], axis=1).any(axis=1)]
    names = " or ".join(focus)
    on_train = failed[(failed.split == "train") & ~failed.eval_only]
    if not on_train.empty:
        firsts = on_train.sort_values(["multi_table", "sample_id"])["sample_id"]
        return TargetItems(
            train=list(dict.fromkeys(firsts)),
            held_out=held_out,
            selection=f"train-split items whose traces scored < {MET_AT} on {names}",
        )
    groups = set(zip(failed.task, failed.kind, strict=True))
    if dataset_items is None or not groups:
        return TargetItems(
            train=[],
            held_out=held_out,
            selection=f"no train-split traces fail {names}; no dataset to draw from",
        )
    pool = [
        item
        for item in dataset_items(dataset)
        if item.split == "train"
        and not item.eval_only
        and (item.task, item.kind) in groups
        and item.id not in held_out
    ]
    return TargetItems(
        train=_order(pool),
        held_out=held_out,
        selection=(
            f"train-split items of dataset {dataset!r} in the (task, kind) groups where "
            f"{subject} scored < {MET_AT} on {names}; single-table first"
        ),
    )


def _recommendation(
    weakest: list[Weakness], targets: TargetItems, subject: str, frame: pd.DataFrame
) -> str:
    worst = deficient(weakest)
    if not worst:
        return f"{subject} shows no deficient behaviour on these items; evaluate on harder items."
    named = ", ".join(
        f"{w.behaviour} {w.rate:.0%} [{w.ci_low:.0%}, {w.ci_high:.0%}]" for w in worst[:3]
    )
    multi = frame.loc[frame.run == subject, "multi_table"]
    text = f"Weakest behaviours of {subject}: {named}. "
    if targets.train:
        text += (
            f"Train on the {len(targets.train)} target items with the derived reward weights, "
            "single-table items first; then evaluate on the held-out items"
        )
        text += " (multi-table questions included)." if multi.any() else "."
    else:
        text += "No train-split items target these behaviours; import or generate more items."
    return text


def build_diagnosis(
    analysis: Analysis,
    rates: pd.DataFrame,
    subject: str,
    rubric_version: str,
    dataset_items: ItemSource | None = None,
) -> Diagnosis:
    """The diagnosis for ``subject`` (one of the analysed runs)."""
    models = {}
    for run in analysis.runs:
        frame = analysis.frame[analysis.frame.run == run]
        models[run] = ModelDiagnosis(
            model=str(frame["model"].iloc[0]),
            samples=len(frame),
            behaviours={
                b: _stat(e) for b, e in behaviour_rates(rates, run, analysis.pooled).items()
            },
        )
    subject_rates = behaviour_rates(rates, subject, analysis.pooled)
    weakest = _weakest(analysis, subject, subject_rates)
    subject_frame = analysis.frame[analysis.frame.run == subject]
    dataset = str(subject_frame["dataset"].iloc[0])
    targets = _targets(analysis, subject, weakest, dataset_items, dataset)
    weights = derive_weights({b: (e.value if e.n else None) for b, e in subject_rates.items()})
    return Diagnosis(
        rubric_version=rubric_version,
        subject=subject,
        models=models,
        weakest=weakest,
        reward_weights=weights,
        target_items=targets,
        recommendation=_recommendation(weakest, targets, subject, analysis.frame),
    )
