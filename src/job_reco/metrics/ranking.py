"""Ranking metrics over query groups, pure pandas/numpy, vectorized (no Python loop per group).

A query group is one (search_id, resume_id) of the data contract. Within a group a ranker orders the
jobs by its score, highest first; ties in the score are broken by `position` ascending (the order
keyword search showed), so no ranker gains from ties. Ranks start at 1.

Every metric exists in two forms:

- a per-group function on a `RankedGroups` (`reciprocal_ranks`, `precision_at_k_per_group`, ...)
  that returns one value per group, so a bootstrap can resample groups;
- a frame-level function (`mrr`, `precision_at_k`, `ndcg_at_k`, `auc`, `ips_mrr`, ...) that takes
  a frame with the columns search_id, resume_id, position, label and a score column, and returns
  the mean over groups.

Conventions (the data contract defines the metrics; these are the edge cases it leaves open):

- A click is a row with `label > 0`.
- A group with no click scores 0 for reciprocal rank, precision and nDCG (the trec_eval and
  scikit-learn convention); its AUC is undefined (NaN) and `auc` averages over the groups that have
  both a click and a non-click. The reporting pipeline evaluates only groups with at least one click.
- `propensity` maps a displayed position (int or its string, as in propensity.json) to its
  examination probability relative to position 1. A position missing from the map takes the value
  of the nearest known position before it (so every position after the last known one takes the
  last known value); a position before the first known one takes the first known value.
  A propensity of 0 gives an infinite inverse, hence the clip.

References: Voorhees (1999), "The TREC-8 question answering track report" (MRR); Manning, Raghavan &
Schütze (2008), "Introduction to Information Retrieval", ch. 8 (precision@k, nDCG); Järvelin &
Kekäläinen (2002), "Cumulated gain-based evaluation of IR techniques" (nDCG); Mann & Whitney (1947)
(AUC as the fraction of correctly ordered pairs); Joachims, Swaminathan & Schnabel (2017),
"Unbiased learning-to-rank with biased feedback" (IPS weighting of clicks by examination propensity);
Efron & Tibshirani (1993), "An Introduction to the Bootstrap" (percentile intervals).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from job_reco.columns import LABEL, POSITION, RESUME_ID, SEARCH_ID

GROUP_COLUMNS = (SEARCH_ID, RESUME_ID)
PERCENTILES = tuple(range(10, 101, 10))


@dataclass(frozen=True)
class RankedGroups:
    """Rows of a frame in ranked order: sorted by group, then score descending, then position.

    Attributes:
        order: row numbers (0-based, `frame.iloc` order) of the frame in ranked order.
        group: group number (0..n_groups-1) of each ranked row; non-decreasing.
        rank: 1-based rank of each ranked row within its group.
        start: index (into the ranked rows) of each group's first row.
        size: list length n of each group.
        label: label of each ranked row (float).
        position: displayed position of each ranked row.
        keys: the group key columns (search_id, resume_id) of each group, one row per group.
    """

    order: np.ndarray
    group: np.ndarray
    rank: np.ndarray
    start: np.ndarray
    size: np.ndarray
    label: np.ndarray
    position: np.ndarray
    keys: pd.DataFrame

    @property
    def n_groups(self) -> int:
        """Number of query groups."""
        return int(self.size.shape[0])

    def ranked(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Values of a column of the ranked frame (aligned with its rows), in ranked order."""
        return np.asarray(values)[self.order]


def _check_columns(frame: pd.DataFrame, required: Sequence[str], what: str) -> None:
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} is missing columns {missing}; expected {list(required)}, got {list(frame.columns)}"
        )


def group_codes(frame: pd.DataFrame, group_cols: Sequence[str] = GROUP_COLUMNS) -> np.ndarray:
    """Group number (0..n_groups-1, in sorted key order) of each row of `frame`."""
    _check_columns(frame, list(group_cols), "the ranked frame")
    return frame.groupby(list(group_cols), sort=True, dropna=False).ngroup().to_numpy(dtype=np.int64)


def rank_groups(
    frame: pd.DataFrame,
    score_col: str,
    *,
    group_cols: Sequence[str] = GROUP_COLUMNS,
    label_col: str = LABEL,
    position_col: str = POSITION,
    codes: np.ndarray | None = None,
) -> RankedGroups:
    """Rank each group's rows by `score_col` descending, ties broken by `position_col` ascending.

    One `np.lexsort` over all rows (group, -score, position); ranks come from each row's offset to
    its group's first row, so the cost is O(N log N) for N rows whatever the number of groups.
    `codes` (from `group_codes(frame)`) saves recomputing the groups when one frame is ranked by
    several score columns.

    Raises:
        ValueError: a required column is missing, or the score column holds NaN.
    """
    _check_columns(frame, [*group_cols, position_col, label_col, score_col], "the ranked frame")
    score, codes = _scores_and_codes(frame, score_col, group_cols, codes)
    position = frame[position_col].to_numpy(dtype=np.int64)
    order = np.lexsort((position, -score, codes))
    group = codes[order]
    n_rows = group.shape[0]
    is_start = np.ones(n_rows, dtype=bool)
    is_start[1:] = group[1:] != group[:-1]
    start = np.flatnonzero(is_start)
    size = np.diff(np.append(start, n_rows))
    # Group numbers from ngroup are 0..G-1 with every number present, so group == index of start.
    rank = np.arange(n_rows, dtype=np.int64) - start[group] + 1
    keys = frame[list(group_cols)].iloc[order[start]].reset_index(drop=True)
    return RankedGroups(
        order=order,
        group=group,
        rank=rank,
        start=start,
        size=size,
        label=frame[label_col].to_numpy(dtype=float)[order],
        position=position[order],
        keys=keys,
    )


def _scores_and_codes(
    frame: pd.DataFrame, score_col: str, group_cols: Sequence[str], codes: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The score column as float (NaN refused) and the group codes (computed, or checked against the frame)."""
    score = frame[score_col].to_numpy(dtype=float)
    if np.isnan(score).any():
        raise ValueError(
            f"column {score_col!r} of the ranked frame has {int(np.isnan(score).sum())} NaN scores; "
            "every impression needs a score to be ranked"
        )
    if codes is None:
        codes = group_codes(frame, group_cols)
    elif len(codes) != len(frame):
        raise ValueError(f"codes has {len(codes)} entries for a frame of {len(frame)} rows")
    return score, codes


def _clicks_in_top(ranked: RankedGroups, m: np.ndarray) -> np.ndarray:
    """Number of clicks among the top m[g] rows of each group g (0 <= m[g] <= size[g])."""
    clicked = (ranked.label > 0).astype(np.int64)
    cumulative = np.cumsum(clicked)
    before = cumulative[ranked.start] - clicked[ranked.start]
    last = ranked.start + np.maximum(m, 1) - 1
    return np.where(m > 0, cumulative[last] - before, 0)


def first_click_ranks(ranked: RankedGroups) -> np.ndarray:
    """Rank of each group's first (best-ranked) click; 0 for a group without a click."""
    clicked_rows = np.flatnonzero(ranked.label > 0)
    first = np.zeros(ranked.n_groups, dtype=np.int64)
    groups, first_index = np.unique(ranked.group[clicked_rows], return_index=True)
    first[groups] = ranked.rank[clicked_rows[first_index]]
    return first


def click_counts(ranked: RankedGroups) -> np.ndarray:
    """Number of clicks of each group."""
    return np.bincount(ranked.group, weights=(ranked.label > 0), minlength=ranked.n_groups).astype(np.int64)


def reciprocal_ranks(ranked: RankedGroups) -> np.ndarray:
    """Per group: 1 / (rank of the first click), 0 without a click. Float in [0, 1].

    MRR = mean over groups of this (Voorhees 1999).
    """
    first = first_click_ranks(ranked)
    return np.where(first > 0, 1.0 / np.maximum(first, 1), 0.0)


def precision_at_k_per_group(ranked: RankedGroups, k: int) -> np.ndarray:
    """Per group: clicks among the top min(k, n) / min(k, n), n the group's length. Float in [0, 1]."""
    if k < 1:
        raise ValueError(f"k must be a positive integer, got {k}")
    m = np.minimum(k, ranked.size)
    return _clicks_in_top(ranked, m) / m


def top_count_at_percentile(size: np.ndarray, percentile: int) -> np.ndarray:
    """m = ceil(p * n / 100) in integer arithmetic: (p * n + 99) // 100 (0.3 * 10 is not 3.0 in floats)."""
    if not isinstance(percentile, (int, np.integer)) or not 1 <= percentile <= 100:
        raise ValueError(f"percentile must be an integer in [1, 100], got {percentile!r}")
    size = np.asarray(size, dtype=np.int64)
    return (int(percentile) * size + 99) // 100


def precision_at_percentile_per_group(ranked: RankedGroups, percentile: int) -> np.ndarray:
    """Per group: clicks among the top m / m, m = ceil(p * n / 100). Float in [0, 1]."""
    m = top_count_at_percentile(ranked.size, percentile)
    return _clicks_in_top(ranked, m) / m


def reciprocal_rank_at_percentile_per_group(ranked: RankedGroups, percentile: int) -> np.ndarray:
    """Per group: 1 / (rank of the first click) if it lies in the top m = ceil(p * n / 100), else 0."""
    m = top_count_at_percentile(ranked.size, percentile)
    first = first_click_ranks(ranked)
    return np.where((first > 0) & (first <= m), 1.0 / np.maximum(first, 1), 0.0)


def ndcg_at_k_per_group(ranked: RankedGroups, gain: np.ndarray, k: int) -> np.ndarray:
    """Per group: DCG@k / ideal DCG@k with linear gain. Float in [0, 1]; 0 where the ideal DCG is 0.

    DCG@k = sum over ranks r <= k of gain_r / log2(r + 1) (Järvelin & Kekäläinen 2002); the ideal
    DCG sorts the group's gains descending. Linear gain and this discount are scikit-learn's
    `ndcg_score`, which also scores a group with no relevant row 0.

    Args:
        ranked: the ranked groups.
        gain: gain of each row in ranked order (`ranked.ranked(frame[col])`), non-negative.
        k: cut-off, a positive integer.
    """
    if k < 1:
        raise ValueError(f"k must be a positive integer, got {k}")
    gain = np.asarray(gain, dtype=float)
    if (gain < 0).any() or np.isnan(gain).any():
        raise ValueError("nDCG gains must be non-negative numbers (labels or true match grades)")
    in_top = ranked.rank <= k
    discount = np.where(in_top, 1.0 / np.log2(ranked.rank + 1.0), 0.0)
    dcg = np.bincount(ranked.group, weights=gain * discount, minlength=ranked.n_groups)
    ideal_order = np.lexsort((-gain, ranked.group))
    # Rows stay grouped in the same blocks, so `discount` (a function of rank) still lines up.
    ideal = np.bincount(ranked.group, weights=gain[ideal_order] * discount, minlength=ranked.n_groups)
    return np.where(ideal > 0, dcg / np.where(ideal > 0, ideal, 1.0), 0.0)


def auc_per_group(ranked: RankedGroups) -> np.ndarray:
    """Per group: fraction of (click, non-click) pairs ranked click first. Float in [0, 1]; NaN if one class.

    The Mann-Whitney U statistic over P * N pairs (Mann & Whitney 1947), computed on the ranking with
    ties broken by position, so equals scikit-learn's `roc_auc_score` on tie-free scores.
    """
    clicked = ranked.label > 0
    not_clicked = (~clicked).astype(np.int64)
    cumulative = np.cumsum(not_clicked)
    before_group = cumulative[ranked.start] - not_clicked[ranked.start]
    negatives_above = cumulative - not_clicked - before_group[ranked.group]
    negatives = np.bincount(ranked.group, weights=not_clicked, minlength=ranked.n_groups)
    positives = np.bincount(ranked.group, weights=clicked, minlength=ranked.n_groups)
    below = np.where(clicked, negatives[ranked.group] - negatives_above, 0)
    ordered_pairs = np.bincount(ranked.group, weights=below, minlength=ranked.n_groups)
    pairs = positives * negatives
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, ordered_pairs / pairs, np.nan)


def propensity_of_positions(positions: np.ndarray, propensity: Mapping[int | str, float]) -> np.ndarray:
    """Look up each position's examination propensity; missing positions take the last known one before.

    A position before the first known one takes the first known value.

    Raises:
        ValueError: the map is empty or holds a negative or NaN value.
    """
    if not propensity:
        raise ValueError("propensity is empty; expected {position: examination probability, ...}")
    known = sorted((int(position), float(value)) for position, value in propensity.items())
    known_positions = np.array([position for position, _ in known], dtype=np.int64)
    values = np.array([value for _, value in known], dtype=float)
    if np.isnan(values).any() or (values < 0).any():
        raise ValueError(f"propensity values must be >= 0, got {dict(known)}")
    index = np.searchsorted(known_positions, np.asarray(positions, dtype=np.int64), side="right") - 1
    return values[np.clip(index, 0, len(values) - 1)]


def ips_weights(positions: np.ndarray, propensity: Mapping[int | str, float], clip: float = 10.0) -> np.ndarray:
    """w = min(1 / propensity(position), clip) for each position (clip > 0; propensity 0 gives clip)."""
    if not clip > 0:
        raise ValueError(f"the IPS clip must be positive, got {clip}")
    with np.errstate(divide="ignore"):
        inverse = 1.0 / propensity_of_positions(positions, propensity)
    return np.minimum(inverse, float(clip))


def ips_reciprocal_rank_sums(
    ranked: RankedGroups, propensity: Mapping[int | str, float], clip: float = 10.0
) -> tuple[np.ndarray, np.ndarray]:
    """Per group: (sum over its clicks of w_c / rank_c, sum over its clicks of w_c).

    ips_mrr over any set of groups = sum of the first / sum of the second, so a bootstrap can
    resample groups. The weights depend on the displayed positions only, not on the ranker.
    """
    clicked = ranked.label > 0
    weight = np.where(clicked, ips_weights(ranked.position, propensity, clip), 0.0)
    numerator = np.bincount(ranked.group, weights=weight / ranked.rank, minlength=ranked.n_groups)
    denominator = np.bincount(ranked.group, weights=weight, minlength=ranked.n_groups)
    return numerator, denominator


def ips_mrr(
    frame: pd.DataFrame, score_col: str, propensity: Mapping[int | str, float], clip: float = 10.0
) -> float:
    """Propensity-weighted mean reciprocal rank of the clicked jobs. Float in [0, 1].

    Each click c weighs w_c = min(1 / propensity(position_c), clip); the result is
    sum_c w_c / rank_c / sum_c w_c, rank_c the click's rank in its group under `score_col`
    (ties broken by position). Clicks on rarely examined positions count more, which undoes the
    bias of logged clicks toward the positions search put first (Joachims et al. 2017).
    NaN if the frame has no click.
    """
    numerator, denominator = ips_reciprocal_rank_sums(rank_groups(frame, score_col), propensity, clip)
    total = denominator.sum()
    return float(numerator.sum() / total) if total > 0 else float("nan")


def mrr(frame: pd.DataFrame, score_col: str) -> float:
    """Mean over groups of 1 / (rank of the first click), 0 for a group without a click. Float in [0, 1]."""
    return float(reciprocal_ranks(rank_groups(frame, score_col)).mean())


def precision_at_k(frame: pd.DataFrame, score_col: str, k: int) -> float:
    """Mean over groups of clicks among the top min(k, n) / min(k, n). Float in [0, 1]."""
    return float(precision_at_k_per_group(rank_groups(frame, score_col), k).mean())


def ndcg_at_k(frame: pd.DataFrame, score_col: str, k: int, *, gain_col: str = LABEL) -> float:
    """Mean over groups of nDCG@k with linear gain `gain_col` (labels, or true match grades). Float in [0, 1]."""
    _check_columns(frame, [gain_col], "the ranked frame")
    ranked = rank_groups(frame, score_col)
    return float(ndcg_at_k_per_group(ranked, ranked.ranked(frame[gain_col]), k).mean())


def auc(frame: pd.DataFrame, score_col: str) -> float:
    """Mean over the groups with both a click and a non-click of the per-group AUC. Float in [0, 1].

    NaN if no group has both classes.
    """
    per_group = auc_per_group(rank_groups(frame, score_col))
    return float(np.nanmean(per_group)) if np.isfinite(per_group).any() else float("nan")


def precision_at_percentile(frame: pd.DataFrame, score_col: str, percentile: int) -> float:
    """Mean over groups of precision over each group's top ceil(p * n / 100) jobs. Float in [0, 1]."""
    return float(precision_at_percentile_per_group(rank_groups(frame, score_col), percentile).mean())


def mrr_at_percentile(frame: pd.DataFrame, score_col: str, percentile: int) -> float:
    """Mean over groups of 1 / first-click rank, 0 where it lies below the top ceil(p * n / 100). In [0, 1]."""
    return float(reciprocal_rank_at_percentile_per_group(rank_groups(frame, score_col), percentile).mean())
