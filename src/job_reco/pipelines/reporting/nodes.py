"""Reporting nodes: ranking metrics of every ranker on the test split, in three views.

1. naive: the original design's metrics, logged clicks as relevance;
2. debiased: clicks weighted by the inverse of their position's examination propensity (IPS);
3. truth: on generated data only, against the true relevance of `data/01_raw/_truth/` (the expected
   attractiveness of each impression without position and noise), with the true examination curve.

The metric arithmetic lives in `job_reco.metrics` (pure numpy, vectorized over groups); these nodes
pick the test split, call it once per ranker and shape the results into `metrics.json` as the data
contract defines it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from job_reco.json_values import json_safe
from job_reco.validation import require_columns
from job_reco import metrics
from job_reco.columns import (
    CLUSTER,
    EXAMINATION,
    JOB_ID,
    LABEL,
    POSITION,
    RELEVANCE,
    RESUME_ID,
    SCORED_IMPRESSIONS_COLUMNS,
    V1_SCORED_IMPRESSIONS_COLUMNS,
    SEARCH_ID,
    SPLIT,
    TEST,
    score_column,
)

logger = logging.getLogger(__name__)

# metrics.json lists the rankers in this order (the data contract's example); search is the baseline.
BASELINE = "search"
REPORT_RANKERS = ("search", "ensemble", "cosine", "popularity", "random")
# Rankers of modeling v2, reported when scored_impressions has their columns (it does from v2 on).
OPTIONAL_RANKERS = ("ranker", "ncf_original", "gbdt")


def scored_rankers(columns) -> tuple[str, ...]:
    """The contract's rankers plus the optional ones whose score column is present."""
    return (*REPORT_RANKERS, *(r for r in OPTIONAL_RANKERS if score_column(r) in set(columns)))


def grouped_rankers(group_metrics: pd.DataFrame) -> tuple[str, ...]:
    """The rankers that `group_metrics` has columns for."""
    return tuple(r for r in (*REPORT_RANKERS, *OPTIONAL_RANKERS) if group_column(r, "mrr") in group_metrics.columns)
ORACLE = "oracle"
SCORED_IMPRESSIONS_PATH = "data/07_model_output/scored_impressions.parquet"
TRUTH_IMPRESSIONS_PATH = "data/01_raw/_truth/"
N_JOBS = "n_jobs"
N_CLICKS = "n_clicks"
IPS_WEIGHT = "ips_weight"
IPS_RR = "ips_rr"


def group_column(ranker: str, metric: str) -> str:
    """Column of `group_metrics` holding one ranker's per-group metric, e.g. `ensemble/mrr`."""
    return f"{ranker}/{metric}"


def select_test_impressions(scored_impressions: pd.DataFrame) -> pd.DataFrame:
    """Keep the test split of the scored impressions, checking the data contract's columns."""
    require_columns(scored_impressions, V1_SCORED_IMPRESSIONS_COLUMNS, "scored_impressions", SCORED_IMPRESSIONS_PATH)
    present = [c for c in SCORED_IMPRESSIONS_COLUMNS if c in scored_impressions.columns]
    test = scored_impressions.loc[scored_impressions[SPLIT] == TEST, present]
    if test.empty:
        raise ValueError(
            f"scored_impressions has no row with {SPLIT} == {TEST!r} ({SCORED_IMPRESSIONS_PATH}); "
            f"splits present: {sorted(scored_impressions[SPLIT].dropna().unique().tolist())}"
        )
    clicks = test.groupby([SEARCH_ID, RESUME_ID], sort=False)[LABEL].max()
    if (clicks <= 0).any():
        logger.warning(
            "%d of %d test query groups have no click: they score 0 for MRR, precision and nDCG.",
            int((clicks <= 0).sum()), len(clicks),
        )
    logger.info("Evaluating %d test impressions in %d query groups.", len(test), len(clicks))
    return test.reset_index(drop=True)


def compute_group_metrics(
    test_impressions: pd.DataFrame,
    propensity: Mapping[str, float],
    ips_clip: float,
    ks: list[int],
    ndcg_k: int,
    lift_precision_k: int,
) -> pd.DataFrame:
    """One row per query group: each ranker's reciprocal rank, precision@k, nDCG, AUC and IPS sums."""
    columns: dict[str, np.ndarray] = {}
    keys = None
    codes = metrics.group_codes(test_impressions)
    for ranker in scored_rankers(test_impressions.columns):
        ranked = metrics.rank_groups(test_impressions, score_column(ranker), codes=codes)
        numerator, denominator = metrics.ips_reciprocal_rank_sums(ranked, propensity, ips_clip)
        if keys is None:
            keys = ranked.keys
            columns |= {N_JOBS: ranked.size, N_CLICKS: metrics.click_counts(ranked), IPS_WEIGHT: denominator}
        columns[group_column(ranker, "mrr")] = metrics.reciprocal_ranks(ranked)
        for k in sorted({*ks, lift_precision_k}):
            columns[group_column(ranker, f"precision@{k}")] = metrics.precision_at_k_per_group(ranked, k)
        columns[group_column(ranker, f"ndcg@{ndcg_k}")] = metrics.ndcg_at_k_per_group(ranked, ranked.label, ndcg_k)
        columns[group_column(ranker, "auc")] = metrics.auc_per_group(ranked)
        columns[group_column(ranker, IPS_RR)] = numerator
    return pd.concat([keys, pd.DataFrame(columns)], axis=1)


def _ips_mrr(group_metrics: pd.DataFrame, ranker: str) -> float:
    weight = group_metrics[IPS_WEIGHT].sum()
    return float(group_metrics[group_column(ranker, IPS_RR)].sum() / weight) if weight > 0 else math.nan


def summarise_ranker_metrics(group_metrics: pd.DataFrame, ks: list[int], ndcg_k: int) -> dict[str, dict[str, float]]:
    """Mean of each per-group metric over the groups, per ranker (AUC over groups with both classes)."""
    summary = {}
    for ranker in grouped_rankers(group_metrics):
        values = {"mrr": group_metrics[group_column(ranker, "mrr")].mean()}
        values |= {f"precision@{k}": group_metrics[group_column(ranker, f"precision@{k}")].mean() for k in ks}
        values[f"ndcg@{ndcg_k}"] = group_metrics[group_column(ranker, f"ndcg@{ndcg_k}")].mean()
        values["auc"] = group_metrics[group_column(ranker, "auc")].mean()  # pandas skips NaN: one-class groups
        values["ips_mrr"] = _ips_mrr(group_metrics, ranker)
        summary[ranker] = {name: float(value) for name, value in values.items()}
    return summary


def bootstrap_lifts(
    group_metrics: pd.DataFrame, lift_precision_k: int, bootstrap_reps: int, seed: int
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Relative lifts with seeded 95% bootstrap intervals: every ranker over search, the ensemble over every ranker.

    MRR is a mean over groups and IPS-MRR a sum over groups divided by a denominator common to all
    rankers, so both lifts are ratios of per-group sums; one set of resamples serves every pair.
    """
    columns = {(ranker, name): group_metrics[group_column(ranker, column)].to_numpy(dtype=float)
               for ranker in grouped_rankers(group_metrics) for name, column in (("mrr", "mrr"), ("ips_mrr", IPS_RR))}
    keys = list(columns)
    sums = metrics.bootstrap_sums(np.column_stack([columns[key] for key in keys]), reps=bootstrap_reps, seed=seed)
    replicated = {key: sums[:, index] for index, key in enumerate(keys)}

    def lift(ranker: str, baseline: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name in ("mrr", "ips_mrr"):
            result[name] = metrics.relative_lift(columns[ranker, name].sum(), columns[baseline, name].sum())
            result[f"{name}_ci95"] = list(metrics.lift_interval(replicated[ranker, name], replicated[baseline, name]))
        return result

    precision = f"precision@{lift_precision_k}"
    vs_search = {}
    for ranker in grouped_rankers(group_metrics):
        if ranker == BASELINE:
            continue
        values = lift(ranker, BASELINE)
        vs_search[ranker] = {
            "mrr": values["mrr"],
            precision: metrics.relative_lift(
                group_metrics[group_column(ranker, precision)].mean(),
                group_metrics[group_column(BASELINE, precision)].mean(),
            ),
            "ips_mrr": values["ips_mrr"],
            "mrr_ci95": values["mrr_ci95"],
            "ips_mrr_ci95": values["ips_mrr_ci95"],
        }
    ensemble = {baseline: lift("ensemble", baseline) for baseline in grouped_rankers(group_metrics) if baseline != "ensemble"}
    return vs_search, ensemble


def compute_percentile_metrics(
    test_impressions: pd.DataFrame, percentiles: list[int]
) -> dict[str, dict[str, dict[str, float]]]:
    """Precision and MRR over the top p% of each group's jobs, p in `percentiles`, per ranker."""
    by_percentile = {}
    codes = metrics.group_codes(test_impressions)
    for ranker in scored_rankers(test_impressions.columns):
        ranked = metrics.rank_groups(test_impressions, score_column(ranker), codes=codes)
        by_percentile[ranker] = {
            str(p): {
                "precision": float(metrics.precision_at_percentile_per_group(ranked, p).mean()),
                "mrr": float(metrics.reciprocal_rank_at_percentile_per_group(ranked, p).mean()),
            }
            for p in percentiles
        }
    return by_percentile


def _attach_relevance(test_impressions: pd.DataFrame, truth_impressions: pd.DataFrame) -> pd.DataFrame:
    """The test impressions with the true relevance of each (search_id, job_id)."""
    require_columns(truth_impressions, [SEARCH_ID, JOB_ID, RELEVANCE], "truth_impressions", TRUTH_IMPRESSIONS_PATH)
    # Exact repeats of an impression share its relevance; a key with two different values is an error.
    truth = truth_impressions[[SEARCH_ID, JOB_ID, RELEVANCE]].drop_duplicates()
    conflicting = int(truth.duplicated([SEARCH_ID, JOB_ID]).sum())
    if conflicting:
        raise ValueError(
            f"truth_impressions gives {conflicting} ({SEARCH_ID}, {JOB_ID}) keys more than one "
            f"{RELEVANCE} ({TRUTH_IMPRESSIONS_PATH})"
        )
    graded = test_impressions.merge(truth, on=[SEARCH_ID, JOB_ID], how="left", validate="many_to_one")
    missing = int(graded[RELEVANCE].isna().sum())
    if missing:
        raise ValueError(
            f"truth_impressions has no {RELEVANCE} for {missing} of {len(graded)} test impressions "
            f"(joined on {SEARCH_ID}, {JOB_ID}; {TRUTH_IMPRESSIONS_PATH})"
        )
    return graded


def _true_propensity(truth_examination: pd.DataFrame | None) -> dict[str, float] | None:
    """The generator's examination curve relative to position 1, as a propensity mapping; None if unknown."""
    if truth_examination is None:
        return None
    require_columns(truth_examination, [POSITION, EXAMINATION], "truth_examination", TRUTH_IMPRESSIONS_PATH)
    curve = truth_examination.sort_values(POSITION)
    first = float(curve[EXAMINATION].iloc[0])
    return {str(int(p)): float(e) / first for p, e in zip(curve[POSITION], curve[EXAMINATION], strict=True)}


def _ips_mrr_value(ranked: metrics.RankedGroups, propensity: Mapping[str, float], ips_clip: float) -> float:
    numerator, denominator = metrics.ips_reciprocal_rank_sums(ranked, propensity, ips_clip)
    return float(numerator.sum() / denominator.sum()) if denominator.sum() > 0 else math.nan


def compute_truth_metrics(
    test_impressions: pd.DataFrame,
    truth_impressions: pd.DataFrame | None,
    propensity: Mapping[str, float],
    ips_clip: float,
    ndcg_k: int,
    truth_examination: pd.DataFrame | None = None,
) -> dict[str, dict[str, float]]:
    """nDCG against the true relevance per ranker, and the oracle that sorts by it; {} on real logs.

    Gain function: gain = `relevance`, linear (the expected attractiveness in [0, 1] of the ad for
    that seeker at that time, without position and noise); nDCG@k = DCG@k / IDCG@k with
    DCG@k = sum over the top k of gain / log2(rank + 1) and IDCG@k the DCG of the list sorted by
    relevance, so the oracle scores exactly 1. Averaged over the groups with a positive gain.
    With the true examination curve, each ranker also gets `ips_mrr_true_curve` (IPS-MRR with the
    generator's propensities instead of the learned ones).
    """
    if truth_impressions is None:
        logger.info("No truth tables (real logs): the truth view is skipped.")
        return {}
    graded = _attach_relevance(test_impressions, truth_impressions)
    true_curve = _true_propensity(truth_examination)
    truth: dict[str, dict[str, float]] = {}
    codes = metrics.group_codes(graded)
    for ranker in (ORACLE, *scored_rankers(test_impressions.columns)):
        ranked = metrics.rank_groups(graded, RELEVANCE if ranker == ORACLE else score_column(ranker), codes=codes)
        gain = ranked.ranked(graded[RELEVANCE])
        relevant = np.bincount(ranked.group, weights=gain, minlength=ranked.n_groups) > 0
        ndcg = metrics.ndcg_at_k_per_group(ranked, gain, ndcg_k)[relevant]
        truth[ranker] = {f"ndcg@{ndcg_k}": float(ndcg.mean()) if ndcg.size else math.nan}
        if ranker == ORACLE:
            truth[ranker]["mrr"] = float(metrics.reciprocal_ranks(ranked).mean())
            truth[ranker]["ips_mrr"] = _ips_mrr_value(ranked, propensity, ips_clip)
        if true_curve is not None:
            truth[ranker]["ips_mrr_true_curve"] = _ips_mrr_value(ranked, true_curve, ips_clip)
    logger.info("Truth view on %d groups with a positive true relevance.", int(relevant.sum()))
    return truth


def compare_examination_curves(
    propensity: Mapping[str, float], truth_examination: pd.DataFrame | None
) -> pd.DataFrame:
    """The learned examination curve per position beside the true one (relative to position 1) if known."""
    learned = pd.DataFrame(
        sorted((int(position), float(value)) for position, value in propensity.items()),
        columns=[POSITION, "learned"],
    )
    if truth_examination is None:
        return learned.assign(true=np.nan)
    require_columns(truth_examination, [POSITION, EXAMINATION], "truth_examination", TRUTH_IMPRESSIONS_PATH)
    true = truth_examination[[POSITION, EXAMINATION]].astype({POSITION: "int64"}).sort_values(POSITION)
    true = true.assign(true=true[EXAMINATION] / true[EXAMINATION].iloc[0]).drop(columns=EXAMINATION)
    return learned.merge(true, on=POSITION, how="outer").sort_values(POSITION).reset_index(drop=True)


def compute_cluster_metrics(group_metrics: pd.DataFrame, resume_clusters: Any) -> pd.DataFrame:
    """MRR and IPS-MRR of every ranker within each resume cluster (-1: resume without a cluster)."""
    clusters = resume_clusters if isinstance(resume_clusters, pd.DataFrame) else resume_clusters.select(
        RESUME_ID, CLUSTER
    ).toPandas()
    require_columns(clusters, [RESUME_ID, CLUSTER], "resume_clusters", "data/04_feature/resume_clusters.parquet")
    merged = group_metrics.merge(clusters[[RESUME_ID, CLUSTER]].drop_duplicates(RESUME_ID), on=RESUME_ID, how="left")
    unclustered = int(merged[CLUSTER].isna().sum())
    if unclustered:
        logger.warning("%d test groups have a resume without a cluster: reported as cluster -1.", unclustered)
    merged[CLUSTER] = merged[CLUSTER].fillna(-1).astype("int64")
    rankers = grouped_rankers(group_metrics)
    sums = merged.groupby(CLUSTER).agg(
        n_groups=(RESUME_ID, "size"),
        ips_weight=(IPS_WEIGHT, "sum"),
        **{f"{ranker}_mrr": (group_column(ranker, "mrr"), "mean") for ranker in rankers},
        **{f"{ranker}_ips": (group_column(ranker, IPS_RR), "sum") for ranker in rankers},
    )
    for ranker in rankers:
        sums[f"{ranker}_ips_mrr"] = sums.pop(f"{ranker}_ips") / sums[IPS_WEIGHT].where(sums[IPS_WEIGHT] > 0)
    return sums.drop(columns=IPS_WEIGHT).reset_index()


def assemble_metrics(
    group_metrics: pd.DataFrame,
    ranker_metrics: dict[str, dict[str, float]],
    lift_vs_search: dict[str, dict[str, Any]],
    by_percentile: dict[str, dict[str, dict[str, float]]],
    propensity: Mapping[str, float],
    ips_clip: float,
    truth_metrics: dict[str, dict[str, float]],
) -> dict[str, Any]:
    """metrics.json as the data contract defines it; no `truth` key on real logs."""
    result: dict[str, Any] = {
        "n_groups": len(group_metrics),
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
