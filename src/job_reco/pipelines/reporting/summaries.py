"""metrics.json from sums over query groups: means, IPS-MRR, lifts, percentiles, truth and the headline.

Every input here is groups-summed (`sum_group_metrics`: one row) or replicate-summed
(`bootstrap_group_metrics`: one row per Poisson-bootstrap replicate), with the same columns: each
per-group metric's sum over the groups and, in `<column>#n`, the number of groups where it is
defined. One function, `view_values`, turns such a table into a ranker's metric in each view, row by
row, so a point estimate and its replicates are computed by the same arithmetic.

Intervals are 95% percentile intervals over the replicates (Efron & Tibshirani 1993).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from job_reco import metrics
from job_reco.json_values import json_safe
from job_reco.pipelines.reporting.group_metrics import (
    IPS_RR,
    IPS_RR_TRUE,
    IPS_WEIGHT,
    IPS_WEIGHT_TRUE,
    N_JOBS,
    ORACLE,
    group_column,
    true_ndcg,
)
from job_reco.pipelines.reporting.nodes import BASELINE, grouped_rankers
from job_reco.metrics.spark import COUNT_SUFFIX

logger = logging.getLogger(__name__)

# The chosen model: score_ensemble is the score of the architecture modeling chose (docs/modeling.md).
CHOSEN = "ensemble"
TRUE_CURVE = "ips_mrr_true_curve"
LEVEL = 0.95


def _sums(table: pd.DataFrame, column: str) -> np.ndarray:
    return table[column].to_numpy(dtype=float)


def _counts(table: pd.DataFrame, column: str) -> np.ndarray:
    return table[column + COUNT_SUFFIX].to_numpy(dtype=float)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.full(numerator.shape, np.nan), where=denominator > 0)


def mean_values(table: pd.DataFrame, column: str) -> np.ndarray:
    """Per row: the mean over the groups where the per-group `column` is defined (NaN if none)."""
    return _ratio(_sums(table, column), _counts(table, column))


def view_values(table: pd.DataFrame, ranker: str, view: str) -> np.ndarray:
    """Per row: one ranker's metric in one view.

    Views: `mrr` (naive), `ips_mrr` (learned curve), `ndcg@k` (true relevance, over the groups with
    a positive one), `ips_mrr_true_curve` (IPS-MRR with the generator's examination curve).
    """
    if view == "mrr":
        return mean_values(table, group_column(ranker, "mrr"))
    if view == "ips_mrr":
        return _ratio(_sums(table, group_column(ranker, IPS_RR)), _sums(table, IPS_WEIGHT))
    if view == TRUE_CURVE:
        return _ratio(_sums(table, group_column(ranker, IPS_RR_TRUE)), _sums(table, IPS_WEIGHT_TRUE))
    if view.startswith("ndcg@"):
        return mean_values(table, group_column(ranker, true_ndcg(int(view.removeprefix("ndcg@")))))
    raise ValueError(f"unknown view {view!r}; expected mrr, ips_mrr, {TRUE_CURVE} or ndcg@<k>")


def interval(samples: np.ndarray, level: float = LEVEL) -> list[float]:
    """Percentile interval of the finite replicates; NaNs when none is finite."""
    finite = np.asarray(samples, dtype=float)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return [float("nan"), float("nan")]
    return [float(q) for q in np.quantile(finite, [(1 - level) / 2, (1 + level) / 2])]


def n_groups(totals: pd.DataFrame) -> int:
    """Number of query groups summed in `totals`."""
    return int(_counts(totals, N_JOBS)[0])


def summarise_ranker_metrics(group_totals: pd.DataFrame, ks: list[int], ndcg_k: int) -> dict[str, dict[str, float]]:
    """Mean of each per-group metric over the groups, per ranker (AUC over groups with both classes)."""
    summary = {}
    for ranker in grouped_rankers(group_totals.columns):
        names = ["mrr", *(f"precision@{k}" for k in ks), f"ndcg@{ndcg_k}", "auc"]
        values = {name: mean_values(group_totals, group_column(ranker, name))[0] for name in names}
        values["ips_mrr"] = view_values(group_totals, ranker, "ips_mrr")[0]
        summary[ranker] = {name: float(value) for name, value in values.items()}
    return summary


def bootstrap_lifts(
    group_totals: pd.DataFrame, bootstrap_sums: pd.DataFrame, lift_precision_k: int
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Relative lifts with 95% bootstrap intervals: every ranker over search, the ensemble over every ranker.

    MRR is a mean over groups and IPS-MRR a sum over groups divided by a denominator common to all
    rankers, so both lifts are ratios of per-group sums, replicated under the same group weights.
    """
    rankers = grouped_rankers(group_totals.columns)

    def lift(ranker: str, baseline: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, column in (("mrr", "mrr"), ("ips_mrr", IPS_RR)):
            ours, theirs = group_column(ranker, column), group_column(baseline, column)
            result[name] = metrics.relative_lift(_sums(group_totals, ours)[0], _sums(group_totals, theirs)[0])
            result[f"{name}_ci95"] = list(metrics.lift_interval(_sums(bootstrap_sums, ours), _sums(bootstrap_sums, theirs)))
        return result

    precision = f"precision@{lift_precision_k}"
    vs_search = {}
    for ranker in rankers:
        if ranker == BASELINE:
            continue
        values = lift(ranker, BASELINE)
        vs_search[ranker] = {
            "mrr": values["mrr"],
            precision: metrics.relative_lift(mean_values(group_totals, group_column(ranker, precision))[0],
                                             mean_values(group_totals, group_column(BASELINE, precision))[0]),
            "ips_mrr": values["ips_mrr"],
            "mrr_ci95": values["mrr_ci95"],
            "ips_mrr_ci95": values["ips_mrr_ci95"],
        }
    ensemble = {baseline: lift(CHOSEN, baseline) for baseline in rankers if baseline != CHOSEN}
    return vs_search, ensemble


def compute_percentile_metrics(group_totals: pd.DataFrame, percentiles: list[int]) -> dict[str, dict[str, dict[str, float]]]:
    """Precision and MRR over the top p% of each group's jobs, p in `percentiles`, per ranker."""
    return {
        ranker: {
            str(p): {name: float(mean_values(group_totals, group_column(ranker, f"{name}@{p}%"))[0])
                     for name in ("precision", "mrr")}
            for p in percentiles
        }
        for ranker in grouped_rankers(group_totals.columns)
    }


def has_truth(group_totals: pd.DataFrame, ndcg_k: int) -> bool:
    """Whether the sums include the truth view (generated data)."""
    return group_column(ORACLE, true_ndcg(ndcg_k)) in group_totals.columns


def compute_truth_metrics(group_totals: pd.DataFrame, ndcg_k: int) -> dict[str, dict[str, float]]:
    """nDCG against the true relevance per ranker, and the oracle that sorts by it; {} on real logs.

    Gain = `relevance`, linear; nDCG@k = DCG@k / IDCG@k, averaged over the groups with a positive
    gain, so the oracle scores exactly 1. With the true examination curve, each ranker also gets
    `ips_mrr_true_curve` (IPS-MRR with the generator's propensities instead of the learned ones).
    """
    if not has_truth(group_totals, ndcg_k):
        return {}
    curve = IPS_WEIGHT_TRUE in group_totals.columns
    truth: dict[str, dict[str, float]] = {}
    for ranker in (ORACLE, *grouped_rankers(group_totals.columns)):
        truth[ranker] = {f"ndcg@{ndcg_k}": float(view_values(group_totals, ranker, f"ndcg@{ndcg_k}")[0])}
        if ranker == ORACLE:
            truth[ranker]["mrr"] = float(view_values(group_totals, ranker, "mrr")[0])
            truth[ranker]["ips_mrr"] = float(view_values(group_totals, ranker, "ips_mrr")[0])
        if curve:
            truth[ranker][TRUE_CURVE] = float(view_values(group_totals, ranker, TRUE_CURVE)[0])
    logger.info("Truth view on %d groups with a positive true relevance.",
                int(_counts(group_totals, group_column(ORACLE, true_ndcg(ndcg_k)))[0]))
    return truth


def headline_views(group_totals: pd.DataFrame, ndcg_k: int) -> list[str]:
    """The views of the headline, truth first: true nDCG, true-curve IPS-MRR, learned-curve IPS-MRR, naive MRR."""
    truth = [f"ndcg@{ndcg_k}", *([TRUE_CURVE] if IPS_WEIGHT_TRUE in group_totals.columns else [])]
    return [*(truth if has_truth(group_totals, ndcg_k) else []), "ips_mrr", "mrr"]


def _with_interval(point: np.ndarray, replicated: np.ndarray, view: str) -> dict[str, Any]:
    return {view: float(point[0]), f"{view}_ci95": interval(replicated)}


def _gap_closed(totals: pd.DataFrame, replicates: pd.DataFrame, ranker: str, view: str) -> dict[str, Any]:
    """(ranker - search) / (oracle - search) in one view, undefined where the oracle does not beat search."""

    def share(table: pd.DataFrame) -> np.ndarray:
        baseline = view_values(table, BASELINE, view)
        return _ratio(view_values(table, ranker, view) - baseline, view_values(table, ORACLE, view) - baseline)

    return _with_interval(share(totals), share(replicates), view)


def compute_headline(group_totals: pd.DataFrame, bootstrap_sums: pd.DataFrame, ndcg_k: int) -> dict[str, Any]:
    """The honest headline: share of the search-to-oracle gap each ranker closes, values, and the chosen model's differences.

    Truth views lead (generated data only); learned-curve IPS-MRR and naive MRR follow. Every
    number comes with its 95% Poisson-bootstrap interval over query groups.
    """
    truth = has_truth(group_totals, ndcg_k)
    views = headline_views(group_totals, ndcg_k)
    rankers = grouped_rankers(group_totals.columns)
    values = {
        ranker: {k: v for view in views for k, v in _with_interval(
            view_values(group_totals, ranker, view), view_values(bootstrap_sums, ranker, view), view).items()}
        for ranker in (*rankers, *((ORACLE,) if truth else ()))
    }
    gap = {ranker: {k: v for view in views for k, v in _gap_closed(group_totals, bootstrap_sums, ranker, view).items()}
           for ranker in rankers} if truth else {}
    differences = {
        baseline: {k: v for view in views for k, v in _with_interval(
            view_values(group_totals, CHOSEN, view) - view_values(group_totals, baseline, view),
            view_values(bootstrap_sums, CHOSEN, view) - view_values(bootstrap_sums, baseline, view), view).items()}
        for baseline in rankers if baseline != CHOSEN
    }
    note = ("gap_closed = (ranker - search) / (oracle - search), the oracle sorting by the true relevance; "
            "null where the oracle does not beat search in that view." if truth else
            "No truth tables (real logs): the search-to-oracle gap cannot be measured; learned-curve IPS-MRR and naive MRR only.")
    return {
        "truth": truth, "chosen": CHOSEN, "baseline": BASELINE, "oracle": ORACLE if truth else None, "views": views,
        "note": note, "gap_closed": gap, "values": values, "chosen_minus_baseline": differences,
        "bootstrap": {"method": "poisson", "replicates": len(bootstrap_sums), "level": LEVEL},
    }


def assemble_metrics(
    headline: dict[str, Any],
    group_totals: pd.DataFrame,
    ranker_metrics: dict[str, dict[str, float]],
    lift_vs_search: dict[str, dict[str, Any]],
    by_percentile: dict[str, dict[str, dict[str, float]]],
    propensity: Mapping[str, float],
    ips_clip: float,
    truth_metrics: dict[str, dict[str, float]],
) -> dict[str, Any]:
    """metrics.json as the data contract defines it, led by the headline; no `truth` key on real logs."""
    result: dict[str, Any] = {
        "headline": headline,
        "n_groups": n_groups(group_totals),
        "rankers": ranker_metrics,
        "lift_vs_search": lift_vs_search,
        "by_percentile": by_percentile,
        "propensity": {str(int(position)): float(value) for position, value in sorted(
            propensity.items(), key=lambda item: int(item[0]))},
        "ips_clip": ips_clip,
    }
    if truth_metrics:
        result["truth"] = truth_metrics
    return json_safe(result)
