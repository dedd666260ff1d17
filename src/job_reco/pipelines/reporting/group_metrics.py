"""Per-group metrics of every ranker, computed inside Spark tasks on whole query groups.

`group_metric_rows` is the applyInPandas body: for one bucket of groups (a pandas frame) it ranks
the rows once per ranker with `job_reco.metrics` and returns one row per group: reciprocal rank,
precision@k, nDCG, AUC, the IPS numerators, precision and MRR at each percentile, and, when the
true relevance is attached, nDCG against it and the IPS numerator under the true curve, for every
ranker and for the oracle that sorts by the true relevance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from job_reco import metrics
from job_reco.columns import RELEVANCE, RESUME_ID, SEARCH_ID, score_column
from job_reco.metrics.spark import GROUP_HASH

ORACLE = "oracle"
N_JOBS = "n_jobs"
N_CLICKS = "n_clicks"
IPS_WEIGHT = "ips_weight"
IPS_WEIGHT_TRUE = "ips_weight_true_curve"
IPS_RR = "ips_rr"
IPS_RR_TRUE = "ips_rr_true_curve"
COUNT_COLUMNS = (GROUP_HASH, N_JOBS, N_CLICKS)
# Set by the truth join (reporting.nodes.attach_relevance): the largest relevance given for the key.
MAX_RELEVANCE = "_max_relevance"
# Per group: impressions without a true relevance, and those whose key has more than one (errors, checked on the sums).
TRUTH_MISSING = "truth_missing"
TRUTH_CONFLICTING = "truth_conflicting"


def group_column(ranker: str, metric: str) -> str:
    """Column of `group_metrics` holding one ranker's per-group metric, e.g. `ensemble/mrr`."""
    return f"{ranker}/{metric}"


def true_ndcg(ndcg_k: int) -> str:
    """Name of the per-group nDCG against the true relevance (NaN for a group without a positive one)."""
    return f"true_ndcg@{ndcg_k}"


def naive_metrics(ks: Sequence[int], ndcg_k: int, lift_precision_k: int) -> list[str]:
    """The naive per-group metrics of a ranker, and its IPS numerator."""
    return ["mrr", *(f"precision@{k}" for k in sorted({*ks, lift_precision_k})), f"ndcg@{ndcg_k}", "auc", IPS_RR]


def percentile_metrics(percentiles: Sequence[int]) -> list[str]:
    """Precision and MRR over the top p% of each group, per p."""
    return [f"{name}@{p}%" for p in percentiles for name in ("precision", "mrr")]


def group_metric_columns(
    rankers: Sequence[str], ks: Sequence[int], ndcg_k: int, lift_precision_k: int, percentiles: Sequence[int],
    *, has_truth: bool, has_curve: bool,
) -> list[str]:
    """The value columns of `group_metrics`, in order (after search_id, resume_id and the counts)."""
    names = [IPS_WEIGHT, *([IPS_WEIGHT_TRUE] if has_truth and has_curve else [])]
    names += [TRUTH_MISSING, TRUTH_CONFLICTING] if has_truth else []
    for ranker in rankers:
        names += [group_column(ranker, m) for m in (*naive_metrics(ks, ndcg_k, lift_precision_k), *percentile_metrics(percentiles))]
    if has_truth:
        names += [group_column(ORACLE, m) for m in ("mrr", IPS_RR)]
        for ranker in (*rankers, ORACLE):
            names += [group_column(ranker, true_ndcg(ndcg_k)), *([group_column(ranker, IPS_RR_TRUE)] if has_curve else [])]
    return names


def _naive_values(ranked: metrics.RankedGroups, numerator: np.ndarray, ks, ndcg_k, lift_precision_k, percentiles) -> dict:
    values = {"mrr": metrics.reciprocal_ranks(ranked)}
    for k in sorted({*ks, lift_precision_k}):
        values[f"precision@{k}"] = metrics.precision_at_k_per_group(ranked, k)
    values[f"ndcg@{ndcg_k}"] = metrics.ndcg_at_k_per_group(ranked, ranked.label, ndcg_k)
    values["auc"] = metrics.auc_per_group(ranked)
    values[IPS_RR] = numerator
    for p in percentiles:
        values[f"precision@{p}%"] = metrics.precision_at_percentile_per_group(ranked, p)
        values[f"mrr@{p}%"] = metrics.reciprocal_rank_at_percentile_per_group(ranked, p)
    return values


def _truth_values(ranked: metrics.RankedGroups, frame: pd.DataFrame, ndcg_k: int, true_curve, clip: float) -> dict:
    gain = ranked.ranked(frame[RELEVANCE])
    relevant = np.bincount(ranked.group, weights=gain, minlength=ranked.n_groups) > 0
    values = {true_ndcg(ndcg_k): np.where(relevant, metrics.ndcg_at_k_per_group(ranked, gain, ndcg_k), np.nan)}
    if true_curve is not None:
        values[IPS_RR_TRUE] = metrics.ips_reciprocal_rank_sums(ranked, true_curve, clip)[0]
    return values


def _checked_relevance(frame: pd.DataFrame, ranked: metrics.RankedGroups) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The frame with a missing relevance as 0, and per group the impressions without one and with two different ones."""
    relevance = frame[RELEVANCE].to_numpy(dtype=float)
    missing = np.isnan(relevance)
    conflicting = ~missing & (frame[MAX_RELEVANCE].to_numpy(dtype=float) != relevance)
    per_group = [np.bincount(ranked.group, weights=ranked.ranked(flags), minlength=ranked.n_groups) for flags in (missing, conflicting)]
    return frame.assign(**{RELEVANCE: np.where(missing, 0.0, relevance)}), per_group[0], per_group[1]


def group_metric_rows(
    frame: pd.DataFrame,
    *,
    rankers: tuple[str, ...],
    propensity: Mapping[str, float],
    true_curve: Mapping[str, float] | None,
    clip: float,
    ks: tuple[int, ...],
    ndcg_k: int,
    lift_precision_k: int,
    percentiles: tuple[int, ...],
) -> pd.DataFrame:
    """applyInPandas body: one row per query group of `frame` with every ranker's per-group metrics."""
    has_truth = RELEVANCE in frame.columns
    codes = metrics.group_codes(frame)
    columns: dict[str, np.ndarray] = {}
    first = metrics.rank_groups(frame, score_column(rankers[0]), codes=codes)
    if has_truth:
        frame, columns[TRUTH_MISSING], columns[TRUTH_CONFLICTING] = _checked_relevance(frame, first)
    columns[GROUP_HASH] = first.ranked(frame[GROUP_HASH])[first.start]
    columns |= {N_JOBS: first.size, N_CLICKS: metrics.click_counts(first)}
    columns[IPS_WEIGHT] = metrics.ips_reciprocal_rank_sums(first, propensity, clip)[1]
    if has_truth and true_curve is not None:
        columns[IPS_WEIGHT_TRUE] = metrics.ips_reciprocal_rank_sums(first, true_curve, clip)[1]
    for ranker in (*rankers, *((ORACLE,) if has_truth else ())):
        ranked = metrics.rank_groups(frame, RELEVANCE if ranker == ORACLE else score_column(ranker), codes=codes)
        numerator = metrics.ips_reciprocal_rank_sums(ranked, propensity, clip)[0]
        if ranker == ORACLE:
            values = {"mrr": metrics.reciprocal_ranks(ranked), IPS_RR: numerator}
        else:
            values = _naive_values(ranked, numerator, ks, ndcg_k, lift_precision_k, percentiles)
        if has_truth:
            values |= _truth_values(ranked, frame, ndcg_k, true_curve, clip)
        columns |= {group_column(ranker, name): value for name, value in values.items()}
    names = group_metric_columns(rankers, ks, ndcg_k, lift_precision_k, percentiles,
                                 has_truth=has_truth, has_curve=true_curve is not None)
    values = pd.DataFrame({name: columns[name] for name in (*COUNT_COLUMNS, *names)})
    return pd.concat([first.keys[[SEARCH_ID, RESUME_ID]], values], axis=1)
