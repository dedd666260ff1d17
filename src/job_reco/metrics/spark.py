"""Ranking metrics over query groups on Spark: whole groups in hashed buckets, `job_reco.metrics` inside.

Impressions stay on the executors. The query groups (search_id, resume_id) are spread over
`GROUP_BUCKETS` buckets by a hash of their key; each bucket (whole groups only) goes through the
vectorized numpy metrics in one `applyInPandas` call, and only bucket-sized sums come back to the
driver. The driver adds the buckets' sums up in bucket order, so the same data gives the same bits
run after run, whatever Spark's partitioning (a Spark `sum` adds partial sums in whatever order
the shuffle delivers them).

Used by modeling (IPS-MRR of candidate score columns on the validation slice) and reporting
(every per-group metric, their sums, and the Poisson bootstrap of those sums).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from job_reco import metrics
from job_reco.columns import LABEL, RESUME_ID, SEARCH_ID
from job_reco.spark_udf import bind

# Buckets of query groups: the parallelism of the metric tasks, not a setting of the results.
GROUP_BUCKETS = 64
BUCKET = "_bucket"
# xxhash64 of a group's key: the identity that seeds its bootstrap weights.
GROUP_HASH = "_group_hash"
# Suffix of the column counting the groups where a metric is defined (not NaN).
COUNT_SUFFIX = "#n"
REPLICATE = "replicate"
# Replicates drawn at once per bucket: bounds a task's memory to groups x this many weights.
REPLICATE_CHUNK = 100
IPS_SUM_FIELDS = ("ips_numerator", "ips_denominator", "reciprocal_rank_sum", "groups", "clicks", "rows")


def group_bucket(buckets: int = GROUP_BUCKETS) -> Column:
    """Bucket number in [0, buckets) of each row's query group (a hash of search_id, resume_id)."""
    return F.pmod(F.xxhash64(F.col(SEARCH_ID), F.col(RESUME_ID)), F.lit(int(buckets)))


def group_hash() -> Column:
    """A 64-bit hash of each row's query group key, the same on every run and partitioning."""
    return F.xxhash64(F.col(SEARCH_ID), F.col(RESUME_ID))


def _tag_bucket(key, frame: pd.DataFrame, *, body: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    out = body(frame.drop(columns=BUCKET))
    out.insert(0, BUCKET, int(key[0]))
    return out


def apply_per_bucket(
    frame: DataFrame, body: Callable[[pd.DataFrame], pd.DataFrame], schema: T.StructType, *, buckets: int = GROUP_BUCKETS
) -> DataFrame:
    """`body` (a pandas frame of whole query groups -> a pandas frame of `schema`) once per bucket of groups.

    The output has the bucket number in a first column `_bucket`.
    """
    tagged = T.StructType([T.StructField(BUCKET, T.LongType()), *schema.fields])
    return (
        frame.withColumn(BUCKET, group_bucket(buckets))
        .groupBy(BUCKET)
        .applyInPandas(bind(_tag_bucket, with_key=True, body=body), tagged)
    )


def sum_in_bucket_order(per_bucket: DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Collect per-bucket rows (bucket-sized) and sum them over the buckets in bucket order, per `by`.

    Returns one row per value of `by` (indexed by it), or a single row when `by` is empty.
    """
    rows = per_bucket.toPandas().sort_values([BUCKET, *by], kind="stable").drop(columns=BUCKET)
    if by:
        return rows.groupby(list(by), sort=True).sum()
    return rows.sum().to_frame().T


def _ips_rows(frame: pd.DataFrame, *, columns: tuple[str, ...], propensity: Mapping[str, float], clip: float) -> pd.DataFrame:
    """Per score column: IPS-MRR numerator and denominator, reciprocal-rank sum, groups, clicks, rows of one bucket."""
    codes = metrics.group_codes(frame)
    clicks = int((frame[LABEL] > 0).sum())
    rows = []
    for column in columns:
        ranked = metrics.rank_groups(frame, column, codes=codes)
        numerator, denominator = metrics.ips_reciprocal_rank_sums(ranked, propensity, clip)
        rows.append((column, float(numerator.sum()), float(denominator.sum()),
                     float(metrics.reciprocal_ranks(ranked).sum()), int(ranked.n_groups), clicks, len(frame)))
    return pd.DataFrame(rows, columns=["column", *IPS_SUM_FIELDS])


def ips_mrr_sums(
    frame: DataFrame, score_columns: Sequence[str], propensity: Mapping[str, float], clip: float,
    *, buckets: int = GROUP_BUCKETS,
) -> dict[str, dict[str, float]]:
    """Per score column, over all query groups of `frame`: the sums behind its IPS-MRR and MRR.

    IPS-MRR = ips_numerator / ips_denominator (sum over clicks of w_c / rank_c over sum of w_c,
    w_c = min(1 / propensity, clip); `job_reco.metrics.ips_reciprocal_rank_sums`); MRR =
    reciprocal_rank_sum / groups. `frame` needs search_id, resume_id, position, label and the
    score columns. An empty frame gives {}.
    """
    schema = T.StructType(
        [T.StructField("column", T.StringType())]
        + [T.StructField(f, T.DoubleType()) for f in IPS_SUM_FIELDS[:3]]
        + [T.StructField(f, T.LongType()) for f in IPS_SUM_FIELDS[3:]]
    )
    body = bind(_ips_rows, columns=tuple(score_columns), propensity=dict(propensity), clip=float(clip))
    totals = sum_in_bucket_order(apply_per_bucket(frame, body, schema, buckets=buckets), by=["column"])
    return {column: {f: float(v) if f in IPS_SUM_FIELDS[:3] else int(v) for f, v in row.items()}
            for column, row in totals.iterrows()}


def _ordered_values(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The frame sorted by group key (one order whatever Spark delivered) and [values with NaN as 0, defined flags]."""
    ordered = frame.sort_values([SEARCH_ID, RESUME_ID], kind="stable")
    values = ordered[list(columns)].to_numpy(dtype=float)
    defined = ~np.isnan(values)
    return ordered, np.hstack([np.where(defined, values, 0.0), defined.astype(float)])


def _column_sums(frame: pd.DataFrame, *, columns: tuple[str, ...], by: tuple[str, ...]) -> pd.DataFrame:
    """applyInPandas body: per value of `by` (or overall), each column's sum (NaN skipped) and count of defined values."""
    ordered, stacked = _ordered_values(frame, columns)
    names = [*columns, *(c + COUNT_SUFFIX for c in columns)]
    sums = pd.DataFrame(stacked, columns=names, index=ordered.index)
    if by:
        return pd.concat([ordered[list(by)], sums], axis=1).groupby(list(by), sort=True).sum().reset_index()
    return sums.sum().to_frame().T


def _sums_schema(columns: Sequence[str], prefix: Sequence[T.StructField] = ()) -> T.StructType:
    return T.StructType([*prefix, *(T.StructField(c, T.DoubleType()) for c in columns),
                         *(T.StructField(c + COUNT_SUFFIX, T.DoubleType()) for c in columns)])


def sum_group_metrics(
    group_metrics: DataFrame, columns: Sequence[str], *, by: Sequence[str] = (), buckets: int = GROUP_BUCKETS
) -> pd.DataFrame:
    """Sums over the query groups of per-group metric columns, NaN skipped, with `<column>#n` counting the defined values.

    `group_metrics` has one row per group (search_id, resume_id). Per value of `by` when given.
    """
    prefix = [group_metrics.schema[c] for c in by]
    body = bind(_column_sums, columns=tuple(columns), by=tuple(by))
    needed = group_metrics.select(SEARCH_ID, RESUME_ID, *by, *columns)  # only these columns cross the shuffle
    per_bucket = apply_per_bucket(needed, body, _sums_schema(columns, prefix), buckets=buckets)
    return sum_in_bucket_order(per_bucket, by=by)


def _replicate_sums(frame: pd.DataFrame, *, columns: tuple[str, ...], reps: int, seed: int) -> pd.DataFrame:
    """applyInPandas body: the bucket's column sums and counts under each replicate's Poisson weights."""
    ordered, stacked = _ordered_values(frame, columns)
    ids = ordered[GROUP_HASH].to_numpy(dtype=np.int64)
    sums = np.empty((reps, stacked.shape[1]))
    for start in range(0, reps, REPLICATE_CHUNK):
        replicates = np.arange(start, min(reps, start + REPLICATE_CHUNK))
        weights = metrics.poisson_bootstrap_weights(ids, replicates, seed).astype(float)
        sums[replicates] = weights.T @ stacked
    out = pd.DataFrame(sums, columns=[*columns, *(c + COUNT_SUFFIX for c in columns)])
    out.insert(0, REPLICATE, np.arange(reps, dtype=np.int64))
    return out


def bootstrap_group_metrics(
    group_metrics: DataFrame, columns: Sequence[str], *, reps: int, seed: int, buckets: int = GROUP_BUCKETS
) -> pd.DataFrame:
    """Poisson bootstrap of `sum_group_metrics`: one row per replicate, the same columns.

    Each group weighs Poisson(1) in each replicate, a function of (seed, the group's hash in
    `_group_hash`, replicate) only (`metrics.poisson_bootstrap_weights`), so every column sees the
    same resample (paired) and no group list ever reaches the driver (Hanley & MacGibbon 2006;
    Chamandy et al. 2012, "Estimating uncertainty for massive data streams").
    """
    if reps < 1:
        raise ValueError(f"need bootstrap reps >= 1, got {reps}")
    schema = _sums_schema(columns, [T.StructField(REPLICATE, T.LongType())])
    body = bind(_replicate_sums, columns=tuple(columns), reps=int(reps), seed=int(seed))
    needed = group_metrics.select(SEARCH_ID, RESUME_ID, GROUP_HASH, *columns)
    return sum_in_bucket_order(apply_per_bucket(needed, body, schema, buckets=buckets), by=[REPLICATE])
