"""Reporting nodes on Spark: the test split, its true relevance, per-group metrics, their sums and bootstrap.

1. naive: the original design's metrics, logged clicks as relevance;
2. debiased: clicks weighted by the inverse of their position's examination propensity (IPS);
3. truth: on generated data only, against the true relevance of `data/01_raw/_truth/` (the expected
   attractiveness of each impression without position and noise), with the true examination curve.

Nothing the size of the impressions reaches the driver: the per-group metrics are computed in
Spark tasks, one hashed bucket of whole query groups at a time (`job_reco.metrics.spark`, the
numpy arithmetic of `job_reco.metrics`), and written as one row per group (`group_metrics`).
The driver receives only sums over groups: the totals, the bootstrap replicates' totals and the
per-cluster totals. `summaries.py` shapes those into metrics.json.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from job_reco.metrics import spark as spark_metrics
from job_reco.columns import (
    CLUSTER,
    EXAMINATION,
    JOB_ID,
    LABEL,
    POSITION,
    RELEVANCE,
    RESUME_ID,
    SCORED_IMPRESSIONS_COLUMNS,
    SEARCH_ID,
    SPLIT,
    TEST,
    V1_SCORED_IMPRESSIONS_COLUMNS,
    score_column,
)
from job_reco.pipelines.reporting.group_metrics import (
    COUNT_COLUMNS,
    IPS_RR,
    IPS_RR_TRUE,
    IPS_WEIGHT,
    IPS_WEIGHT_TRUE,
    MAX_RELEVANCE,
    N_CLICKS,
    N_JOBS,
    TRUTH_CONFLICTING,
    TRUTH_MISSING,
    group_column,
    group_metric_columns,
    group_metric_rows,
    true_ndcg,
)
from job_reco.spark_udf import bind
from job_reco.validation import require_columns

logger = logging.getLogger(__name__)

# metrics.json lists the rankers in this order (the data contract's example); search is the baseline.
BASELINE = "search"
REPORT_RANKERS = ("search", "ensemble", "cosine", "popularity", "random")
# Rankers of modeling v2, reported when scored_impressions has their columns (it does from v2 on).
OPTIONAL_RANKERS = ("ranker", "ncf_original", "gbdt")
SCORED_IMPRESSIONS = "scored_impressions (07_model_output/scored_impressions.parquet)"
TRUTH_IMPRESSIONS = "truth_impressions@spark (01_raw/_truth/impressions.parquet)"


def scored_rankers(columns) -> tuple[str, ...]:
    """The contract's rankers plus the optional ones whose score column is present."""
    return (*REPORT_RANKERS, *(r for r in OPTIONAL_RANKERS if score_column(r) in set(columns)))


def grouped_rankers(columns) -> tuple[str, ...]:
    """The rankers that a table of per-group metrics (or of their sums) has columns for."""
    return tuple(r for r in (*REPORT_RANKERS, *OPTIONAL_RANKERS) if group_column(r, "mrr") in set(columns))


def select_test_impressions(scored_impressions: DataFrame) -> DataFrame:
    """Keep the test split of the scored impressions (on Spark), checking the data contract's columns."""
    require_columns(scored_impressions, V1_SCORED_IMPRESSIONS_COLUMNS, "scored_impressions", SCORED_IMPRESSIONS)
    present = [c for c in SCORED_IMPRESSIONS_COLUMNS if c in scored_impressions.columns]
    test = scored_impressions.filter(F.col(SPLIT) == F.lit(TEST)).select(*present)
    if test.isEmpty():
        splits = sorted(r[SPLIT] for r in scored_impressions.select(SPLIT).distinct().dropna().collect())
        raise ValueError(
            f"scored_impressions has no row with {SPLIT} == {TEST!r} ({SCORED_IMPRESSIONS}); splits present: {splits}"
        )
    return test


def attach_relevance(test_impressions: DataFrame, truth_impressions: DataFrame | None) -> DataFrame:
    """The test impressions with the true relevance of each (search_id, job_id), joined on Spark; unchanged on real logs.

    Exact repeats of an impression share its relevance. A test impression without one, or whose key
    has two different ones, is an error: counted per group in the same Spark pass as the metrics
    and raised by `sum_group_metrics`, so the impressions are read once.
    """
    if truth_impressions is None:
        logger.info("No truth tables (real logs): the truth view is skipped.")
        return test_impressions
    require_columns(truth_impressions, [SEARCH_ID, JOB_ID, RELEVANCE], "truth_impressions", TRUTH_IMPRESSIONS)
    keys = [SEARCH_ID, JOB_ID]
    truth = (
        truth_impressions.select(*keys, F.col(RELEVANCE).cast("double").alias(RELEVANCE))
        .join(test_impressions.select(*keys), on=keys, how="left_semi")
        .groupBy(*keys).agg(F.min(RELEVANCE).alias(RELEVANCE), F.max(RELEVANCE).alias(MAX_RELEVANCE))
    )
    return test_impressions.join(truth, on=keys, how="left")


def check_truth_join(totals: pd.DataFrame) -> None:
    """Raise if some test impression had no true relevance, or two different ones (counted by the per-group pass)."""
    if TRUTH_MISSING not in totals.columns:
        return
    missing, conflicting = int(totals[TRUTH_MISSING].iloc[0]), int(totals[TRUTH_CONFLICTING].iloc[0])
    total = int(totals[N_JOBS].iloc[0])
    if conflicting:
        raise ValueError(f"truth_impressions gives {conflicting} of {total} test impressions more than one {RELEVANCE} "
                         f"for their ({SEARCH_ID}, {JOB_ID}) ({TRUTH_IMPRESSIONS})")
    if missing:
        raise ValueError(f"truth_impressions has no {RELEVANCE} for {missing} of {total} test impressions "
                         f"(joined on {SEARCH_ID}, {JOB_ID}; {TRUTH_IMPRESSIONS})")


def true_propensity(truth_examination: pd.DataFrame | None) -> dict[str, float] | None:
    """The generator's examination curve relative to position 1, as a propensity mapping; None if unknown."""
    if truth_examination is None:
        return None
    require_columns(truth_examination, [POSITION, EXAMINATION], "truth_examination", "01_raw/_truth/examination.parquet")
    curve = truth_examination.sort_values(POSITION)
    first = float(curve[EXAMINATION].iloc[0])
    return {str(int(p)): float(e) / first for p, e in zip(curve[POSITION], curve[EXAMINATION], strict=True)}


def compute_group_metrics(
    graded_impressions: DataFrame,
    truth_examination: pd.DataFrame | None,
    propensity: Mapping[str, float],
    ips_clip: float,
    ks: list[int],
    ndcg_k: int,
    lift_precision_k: int,
    percentiles: list[int],
) -> DataFrame:
    """One row per query group (on Spark): each ranker's reciprocal rank, precision@k, nDCG, AUC, IPS sums, percentiles, truth."""
    rankers = scored_rankers(graded_impressions.columns)
    has_truth = RELEVANCE in graded_impressions.columns
    curve = true_propensity(truth_examination) if has_truth else None
    ks, percentiles = tuple(int(k) for k in ks), tuple(int(p) for p in percentiles)
    ndcg_k, lift_k = int(ndcg_k), int(lift_precision_k)
    names = group_metric_columns(rankers, ks, ndcg_k, lift_k, percentiles, has_truth=has_truth, has_curve=curve is not None)
    schema = T.StructType(
        [graded_impressions.schema[SEARCH_ID], graded_impressions.schema[RESUME_ID]]
        + [T.StructField(c, T.LongType()) for c in COUNT_COLUMNS]
        + [T.StructField(c, T.DoubleType()) for c in names]
    )
    body = bind(group_metric_rows, rankers=rankers, propensity=dict(propensity), true_curve=curve, clip=float(ips_clip),
                ks=ks, ndcg_k=ndcg_k, lift_precision_k=lift_k, percentiles=percentiles)
    truth = [RELEVANCE, MAX_RELEVANCE] if has_truth else []
    needed = [SEARCH_ID, RESUME_ID, POSITION, LABEL, *(score_column(r) for r in rankers), *truth]
    rows = graded_impressions.select(*needed).withColumn(spark_metrics.GROUP_HASH, spark_metrics.group_hash())
    return spark_metrics.apply_per_bucket(rows, body, schema).drop(spark_metrics.BUCKET)


def _value_columns(group_metrics: DataFrame) -> list[str]:
    return [c for c in group_metrics.columns if c not in (SEARCH_ID, RESUME_ID, spark_metrics.GROUP_HASH)]


def sum_group_metrics(group_metrics: DataFrame) -> pd.DataFrame:
    """One row: every per-group column summed over the groups (NaN skipped), with `<column>#n` its defined count.

    Raises:
        ValueError: the truth join left a test impression without a relevance, or with two.
    """
    totals = spark_metrics.sum_group_metrics(group_metrics, _value_columns(group_metrics))
    check_truth_join(totals)
    groups = int(totals[N_JOBS + spark_metrics.COUNT_SUFFIX].iloc[0])
    logger.info("Evaluated %d test impressions in %d query groups.", int(totals[N_JOBS].iloc[0]), groups)
    unclicked = group_metrics.filter(F.col(N_CLICKS) <= 0).count()
    if unclicked:
        logger.warning("%d of %d test query groups have no click: they score 0 for MRR, precision and nDCG.",
                       unclicked, groups)
    return totals


def bootstrap_columns(columns) -> list[str]:
    """The per-group columns that intervals need: reciprocal ranks, IPS sums and true nDCG of every ranker and the oracle."""
    true_ndcg_prefix = true_ndcg(0).removesuffix("0")

    def needed(column: str) -> bool:
        metric = column.split("/", 1)[-1]
        return metric in (IPS_WEIGHT, IPS_WEIGHT_TRUE, "mrr", IPS_RR, IPS_RR_TRUE) or metric.startswith(true_ndcg_prefix)

    return [c for c in columns if needed(c)]


def bootstrap_group_metrics(group_metrics: DataFrame, bootstrap_reps: int, seed: int) -> pd.DataFrame:
    """One row per Poisson-bootstrap replicate: the sums of `bootstrap_columns` under that replicate's group weights."""
    columns = bootstrap_columns(group_metrics.columns)
    return spark_metrics.bootstrap_group_metrics(group_metrics, columns, reps=bootstrap_reps, seed=seed)


def compute_cluster_metrics(group_metrics: DataFrame, resume_clusters: DataFrame) -> pd.DataFrame:
    """MRR and IPS-MRR of every ranker within each resume cluster (-1: resume without a cluster), summed on Spark."""
    require_columns(resume_clusters, [RESUME_ID, CLUSTER], "resume_clusters", "04_feature/resume_clusters.parquet")
    clusters = resume_clusters.select(RESUME_ID, F.col(CLUSTER).cast("long").alias(CLUSTER)).dropDuplicates([RESUME_ID])
    merged = group_metrics.join(clusters, on=RESUME_ID, how="left")
    unclustered = merged.filter(F.col(CLUSTER).isNull()).count()
    if unclustered:
        logger.warning("%d test groups have a resume without a cluster: reported as cluster -1.", unclustered)
    rankers = grouped_rankers(group_metrics.columns)
    columns = [IPS_WEIGHT, *(group_column(r, m) for r in rankers for m in ("mrr", IPS_RR))]
    merged = merged.withColumn(CLUSTER, F.coalesce(F.col(CLUSTER), F.lit(-1).cast("long")))
    sums = spark_metrics.sum_group_metrics(merged, columns, by=[CLUSTER])
    table = pd.DataFrame({"n_groups": sums[IPS_WEIGHT + spark_metrics.COUNT_SUFFIX].astype("int64")}, index=sums.index)
    weight = sums[IPS_WEIGHT].where(sums[IPS_WEIGHT] > 0)
    for ranker in rankers:
        table[f"{ranker}_mrr"] = sums[group_column(ranker, "mrr")] / table["n_groups"]
    for ranker in rankers:
        table[f"{ranker}_ips_mrr"] = sums[group_column(ranker, IPS_RR)] / weight
    table.index = table.index.astype("int64")
    return table.reset_index()


def compare_examination_curves(
    propensity: Mapping[str, float], truth_examination: pd.DataFrame | None
) -> pd.DataFrame:
    """The learned examination curve per position beside the true one (relative to position 1) if known."""
    learned = pd.DataFrame(
        sorted((int(position), float(value)) for position, value in propensity.items()),
        columns=[POSITION, "learned"],
    )
    curve = true_propensity(truth_examination)
    if curve is None:
        return learned.assign(true=float("nan"))
    true = pd.DataFrame(sorted((int(p), v) for p, v in curve.items()), columns=[POSITION, "true"])
    return learned.merge(true, on=POSITION, how="outer").sort_values(POSITION).reset_index(drop=True)

