"""Intervals over query groups: the paired bootstrap, Poisson bootstrap weights, lift intervals.

Groups are resampled, not rows, so every interval respects the query group as the unit of
evaluation. Reference: Efron & Tibshirani (1993), "An Introduction to the Bootstrap" (percentile
intervals).
"""

from __future__ import annotations

import math

import numpy as np

def bootstrap_sums(values: np.ndarray, *, reps: int, seed: int) -> np.ndarray:
    """Column sums of `values` (one row per group) over `reps` resamples of the groups with replacement.

    Every column sees the same resamples (paired), so lifts between columns can be read off the rows.
    Each replicate draws n group indices, counts them (`bincount`) and takes counts @ values: one pass
    over the groups per replicate for all columns at once. Same seed, same sums.

    Returns:
        array of shape (reps, n_columns).
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    if reps < 1:
        raise ValueError(f"need reps >= 1, got {reps}")
    n_groups = values.shape[0]
    sums = np.full((reps, values.shape[1]), np.nan)
    if n_groups == 0:
        return sums
    rng = np.random.default_rng(seed)
    for rep in range(reps):
        counts = np.bincount(rng.integers(0, n_groups, n_groups), minlength=n_groups).astype(float)
        sums[rep] = counts @ values
    return sums


# Cumulative distribution of Poisson(1) at 0, 1, ..., 19 (the rest has probability below 1e-18).
_POISSON_1_CDF = np.cumsum([math.exp(-1.0) / math.factorial(k) for k in range(20)])
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (Steele, Lea & Flood 2014): a well-mixed 64-bit hash of each uint64."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def poisson_bootstrap_weights(group_ids: np.ndarray, replicates: np.ndarray, seed: int) -> np.ndarray:
    """Poisson(1) weight of each group (rows) in each replicate (columns), an int array.

    The weight is a function of (seed, group id, replicate number) only: a counter-based draw
    (SplitMix64 hash -> uniform in [0, 1) -> inverse Poisson CDF), so a group weighs the same
    whichever task, bucket or order it is drawn in. Weighting each group by Poisson(1) instead of
    drawing n groups with replacement is the Poisson bootstrap (Hanley & MacGibbon 2006), which
    needs no global list of groups: the Spark-scale bootstrap.
    """
    with np.errstate(over="ignore"):
        ids = np.asarray(group_ids).astype(np.int64).view(np.uint64)
        streams = _splitmix64(np.asarray(replicates, dtype=np.uint64) * _GOLDEN ^ _splitmix64(np.uint64(seed) + np.zeros(1, np.uint64)))
        bits = _splitmix64(_splitmix64(ids)[:, None] ^ streams[None, :])
    uniform = (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return np.searchsorted(_POISSON_1_CDF, uniform, side="right")


def lift_interval(ranker_sums: np.ndarray, baseline_sums: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the replicated relative lifts ranker_sum / baseline_sum - 1.

    Replicates whose baseline sum is 0 are dropped; NaNs when none is left.
    """
    if not 0 < level < 1:
        raise ValueError(f"need 0 < level < 1, got {level}")
    ranker_sums = np.asarray(ranker_sums, dtype=float)
    baseline_sums = np.asarray(baseline_sums, dtype=float)
    defined = (baseline_sums != 0) & np.isfinite(baseline_sums) & np.isfinite(ranker_sums)
    if not defined.any():
        return float("nan"), float("nan")
    lifts = (ranker_sums[defined] - baseline_sums[defined]) / baseline_sums[defined]
    low, high = np.quantile(lifts, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def bootstrap_relative_lift(
    ranker: np.ndarray,
    baseline: np.ndarray,
    *,
    reps: int,
    seed: int,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the relative lift (sum ranker - sum baseline) / sum baseline.

    `ranker` and `baseline` hold one value per group (reciprocal ranks, or the per-group IPS
    numerators of `ips_reciprocal_rank_sums`: the IPS denominator is the same for both rankers and
    cancels). Each replicate resamples groups with replacement, the same groups for both (paired).
    Replicates whose baseline sum is 0 are dropped. Same seed, same interval (Efron & Tibshirani 1993).

    Returns:
        (low, high): the (1 - level) / 2 and (1 + level) / 2 quantiles of the replicated lifts; NaNs
        when no replicate is defined.
    """
    ranker = np.asarray(ranker, dtype=float)
    baseline = np.asarray(baseline, dtype=float)
    if ranker.shape != baseline.shape or ranker.ndim != 1:
        raise ValueError(f"ranker and baseline need one value per group each; got {ranker.shape} and {baseline.shape}")
    sums = bootstrap_sums(np.column_stack([ranker, baseline]), reps=reps, seed=seed)
    return lift_interval(sums[:, 0], sums[:, 1], level)


def relative_lift(ranker: float, baseline: float) -> float:
    """(ranker - baseline) / baseline; NaN when the baseline is 0."""
    return float((ranker - baseline) / baseline) if baseline != 0 else float("nan")
