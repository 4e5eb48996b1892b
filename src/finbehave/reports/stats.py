"""Statistics for reports, all from statsmodels/scipy: no hand-rolled tests.

- rates (values all 0/1): Wilson score interval (``proportion_confint(method="wilson")``);
- means (fractional scores): percentile bootstrap (``scipy.stats.bootstrap``);
- paired correctness: McNemar's test (exact binomial when discordant pairs < 25);
- paired behaviour differences: bootstrap interval of the mean per-item difference;
- pass@k / pass^k: the unbiased estimators over epochs (Chen et al. 2021; tau-bench).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import comb
from scipy.stats import bootstrap
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

CONFIDENCE = 0.95
RESAMPLES = 2000
SEED = 20261125


@dataclass(frozen=True)
class Estimate:
    """A mean with its 95% interval; ``method`` says how the interval was computed."""

    value: float
    low: float
    high: float
    n: int
    method: str

    @classmethod
    def empty(cls) -> Estimate:
        return cls(math.nan, math.nan, math.nan, 0, "none")


def _bootstrap_ci(values: np.ndarray) -> tuple[float, float]:
    if values.size < 2 or values.min() == values.max():
        mean = float(values.mean())
        return mean, mean
    result = bootstrap(
        (values,),
        np.mean,
        confidence_level=CONFIDENCE,
        n_resamples=RESAMPLES,
        method="percentile",
        random_state=np.random.default_rng(SEED),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def estimate(values: np.ndarray) -> Estimate:
    """Mean of the non-NaN ``values`` with a Wilson (0/1 data) or bootstrap interval."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return Estimate.empty()
    mean = float(values.mean())
    if np.isin(values, (0.0, 1.0)).all():
        low, high = proportion_confint(
            int(values.sum()), values.size, alpha=1 - CONFIDENCE, method="wilson"
        )
        return Estimate(mean, float(low), float(high), int(values.size), "wilson")
    low, high = _bootstrap_ci(values)
    return Estimate(mean, low, high, int(values.size), "bootstrap")


@dataclass(frozen=True)
class McNemar:
    """Paired correctness: ``fixed`` = wrong before and right after; ``broken`` = the reverse."""

    both: int
    fixed: int
    broken: int
    neither: int
    statistic: float
    pvalue: float
    exact: bool


def mcnemar_test(before: np.ndarray, after: np.ndarray) -> McNemar:
    """McNemar's test on paired 0/1 outcomes."""
    before = np.asarray(before, dtype=bool)
    after = np.asarray(after, dtype=bool)
    both = int((before & after).sum())
    broken = int((before & ~after).sum())
    fixed = int((~before & after).sum())
    neither = int((~before & ~after).sum())
    exact = fixed + broken < 25
    if fixed + broken == 0:
        return McNemar(both, fixed, broken, neither, 0.0, 1.0, exact)
    result = mcnemar([[both, broken], [fixed, neither]], exact=exact, correction=True)
    return McNemar(
        both, fixed, broken, neither, float(result.statistic), float(result.pvalue), exact
    )


def paired_difference(before: np.ndarray, after: np.ndarray) -> Estimate:
    """Mean of ``after - before`` over pairs where both apply, with a bootstrap interval."""
    before = np.asarray(before, dtype=float)
    after = np.asarray(after, dtype=float)
    keep = ~(np.isnan(before) | np.isnan(after))
    diff = after[keep] - before[keep]
    if diff.size == 0:
        return Estimate.empty()
    low, high = _bootstrap_ci(diff)
    return Estimate(float(diff.mean()), low, high, int(diff.size), "paired bootstrap")


def pass_at_k(n: int, c: int, k: int) -> float:
    """P(at least one of k epochs correct) from n epochs with c correct (unbiased)."""
    if n - c < k:
        return 1.0
    return float(1.0 - comb(n - c, k, exact=True) / comb(n, k, exact=True))


def pass_hat_k(n: int, c: int, k: int) -> float:
    """P(all k epochs correct) from n epochs with c correct (pass^k)."""
    return float(comb(c, k, exact=True) / comb(n, k, exact=True))
