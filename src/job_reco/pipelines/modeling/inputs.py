"""modeling inputs: the validation slice in time, impressions with their vectors and cluster, job popularity."""

from __future__ import annotations

import logging

import numpy as np
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from job_reco.columns import (
    CLUSTER,
    CTR_SMOOTHED,
    EMBEDDING,
    JOB_CLICKS,
    JOB_ID,
    JOB_IMPRESSIONS,
    JOB_VECTOR,
    JOB_VECTOR_MISSING,
    LABEL,
    POSITION,
    RESUME_ID,
    RESUME_VECTOR,
    RESUME_VECTOR_MISSING,
    SEARCH_ID,
    SEARCHED_AT,
    SPLIT,
    SUBSET,
    TEST,
    TRAIN,
    VALIDATION,
)
from job_reco.validation import require_columns

logger = logging.getLogger(__name__)

SPLIT_ACCURACY = 10_000
_UNIT = 1 << 53  # hash -> uniform in [0, 1) with 53 bits, a double's mantissa

def _unit_hash(*columns: str, seed: int) -> Column:
    """A uniform [0, 1) draw per row from a hash of `columns` and `seed`: same row, same draw, any partitioning."""
    hashed = F.xxhash64(*(F.col(c) for c in columns), F.lit(int(seed)))
    return F.pmod(hashed, F.lit(_UNIT)).cast("double") / float(_UNIT)


def mark_validation_groups(labeled_impressions: DataFrame, validation_fraction: float) -> DataFrame:
    """Add `subset`: "test" for the test split; "validation" for the latest training groups in time; else "train".

    The cut-off is the approximate (1 - validation_fraction) quantile of searched_at over the
    training rows; a group's rows share one searched_at, so no group is split. Test rows are never
    used for training, early stopping or choosing the ensemble.
    """
    require_columns(
        labeled_impressions,
        [SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, SEARCHED_AT, SPLIT],
        "labeled_impressions",
        "data/03_primary/labeled_impressions.parquet",
    )
    if not 0 <= validation_fraction < 1:
        raise ValueError(f"modeling.validation_fraction must lie in [0, 1), got {validation_fraction}")
    micros = F.unix_micros(F.col(SEARCHED_AT))
    is_train = F.col(SPLIT) == F.lit(TRAIN)
    cutoff = None
    if validation_fraction > 0:
        cutoff = (
            labeled_impressions.filter(is_train)
            .agg(F.percentile_approx(micros, 1 - validation_fraction, SPLIT_ACCURACY))
            .first()[0]
        )
    logger.info("Validation slice: training groups searched after %s us since the epoch.", cutoff)
    is_validation = (micros > F.lit(cutoff)) if cutoff is not None else F.lit(False)
    subset = (
        F.when(F.col(SPLIT) == F.lit(TEST), F.lit(TEST))
        .when(is_train & is_validation, F.lit(VALIDATION))
        .when(is_train, F.lit(TRAIN))
    )
    return labeled_impressions.withColumn(SUBSET, subset)


def _vector_dimension(embeddings: DataFrame, name: str, path: str) -> int:
    """The one dimension of an embeddings table's vectors (error if they differ or the table is empty)."""
    low, high = embeddings.agg(F.min(F.size(EMBEDDING)), F.max(F.size(EMBEDDING))).first()
    if low is None or low != high or low < 1:
        raise ValueError(f"{name}.{EMBEDDING} should hold vectors of one dimension; got sizes {low} to {high} ({path})")
    return int(low)


def assemble_model_inputs(
    modeling_impressions: DataFrame,
    resume_embeddings: DataFrame,
    job_embeddings: DataFrame,
    resume_clusters: DataFrame,
) -> DataFrame:
    """Each impression with its resume vector, job vector (float32) and resume cluster (null if none).

    A resume or job without a vector gets a zero vector and a `*_vector_missing` flag (counted by
    `train_cluster_models`), so no impression is dropped.
    """
    require_columns(resume_embeddings, [RESUME_ID, EMBEDDING], "resume_embeddings", "data/04_feature/resume_embeddings.parquet")
    require_columns(job_embeddings, [JOB_ID, EMBEDDING], "job_embeddings", "data/04_feature/job_embeddings.parquet")
    require_columns(resume_clusters, [RESUME_ID, CLUSTER], "resume_clusters", "data/04_feature/resume_clusters.parquet")
    resume_dim = _vector_dimension(resume_embeddings, "resume_embeddings", "data/04_feature/resume_embeddings.parquet")
    job_dim = _vector_dimension(job_embeddings, "job_embeddings", "data/04_feature/job_embeddings.parquet")
    if resume_dim != job_dim:
        raise ValueError(f"resume vectors have {resume_dim} dimensions and job vectors {job_dim}: they must match")
    zeros = F.array_repeat(F.lit(0.0).cast("float"), resume_dim)
    resumes = resume_embeddings.select(RESUME_ID, F.col(EMBEDDING).cast("array<float>").alias(RESUME_VECTOR))
    jobs = job_embeddings.select(JOB_ID, F.col(EMBEDDING).cast("array<float>").alias(JOB_VECTOR))
    clusters = resume_clusters.select(RESUME_ID, F.col(CLUSTER).cast("int").alias(CLUSTER))
    joined = (
        modeling_impressions.select(SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, SPLIT, SUBSET)
        .join(resumes, on=RESUME_ID, how="left")
        .join(jobs, on=JOB_ID, how="left")
        .join(clusters, on=RESUME_ID, how="left")
    )
    return (
        joined.withColumn(RESUME_VECTOR_MISSING, F.col(RESUME_VECTOR).isNull())
        .withColumn(JOB_VECTOR_MISSING, F.col(JOB_VECTOR).isNull())
        .withColumn(RESUME_VECTOR, F.coalesce(F.col(RESUME_VECTOR), zeros))
        .withColumn(JOB_VECTOR, F.coalesce(F.col(JOB_VECTOR), zeros))
        .withColumn(POSITION, F.col(POSITION).cast("int"))
        .withColumn(LABEL, F.col(LABEL).cast("int"))
    )


def smoothed_ctr(clicks: np.ndarray | float, impressions: np.ndarray | float, prior: float, smoothing: float):
    """(clicks + m * prior) / (impressions + m): the CTR shrunk toward the prior by m pseudo-impressions."""
    return (np.asarray(clicks, dtype=np.float64) + smoothing * prior) / (np.asarray(impressions, dtype=np.float64) + smoothing)


def compute_job_popularity(labeled_impressions: DataFrame, popularity_smoothing: float) -> DataFrame:
    """Per job in the train split: impressions, clicks, ctr_smoothed = (clicks + m * prior) / (impressions + m).

    prior = the global click-through rate of the train split; m = popularity_smoothing.
    """
    require_columns(labeled_impressions, [JOB_ID, LABEL, SPLIT], "labeled_impressions", "data/03_primary/labeled_impressions.parquet")
    if popularity_smoothing < 0:
        raise ValueError(f"modeling.popularity_smoothing must be >= 0, got {popularity_smoothing}")
    train = labeled_impressions.filter(F.col(SPLIT) == F.lit(TRAIN))
    prior = train.agg(F.avg(F.col(LABEL).cast("double"))).first()[0]
    if prior is None:
        raise ValueError("labeled_impressions has no train rows: cannot compute job popularity")
    counts = train.groupBy(JOB_ID).agg(
        F.count(F.lit(1)).alias(JOB_IMPRESSIONS), F.sum(F.col(LABEL).cast("long")).alias(JOB_CLICKS)
    )
    m = float(popularity_smoothing)
    ctr = (F.col(JOB_CLICKS) + F.lit(m * prior)) / (F.col(JOB_IMPRESSIONS) + F.lit(m))
    return counts.withColumn(CTR_SMOOTHED, ctr.cast("double"))
