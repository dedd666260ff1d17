"""Spark side of the v2 ranker's inputs: training subsets, the sampled row table with its side features, the job CTR.

The side features themselves are defined once, in `job_reco.models.features` (pure pandas/numpy); the
tables they read per job, resume and search are built in `side_tables`, and the pandas functions
run inside `mapInArrow` here, so each rule has one home.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping

import numpy as np
import pyarrow as pa
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from job_reco.columns import (
    CLUSTER,
    EMBEDDING,
    EXPERIMENT,
    JOB_ID,
    LABEL,
    POSITION,
    RESUME_ID,
    SEARCH_ID,
    SEARCHED_AT,
    SPLIT,
    SUBSET,
    TRAIN,
    VALIDATION,
)
from job_reco.models.features import (
    available_features,
    feature_inputs,
    side_feature_matrix,
    smoothed_ctr_ratio,
)
from job_reco.metrics import propensity_of_positions
from job_reco.spark_udf import arrow_backed
from job_reco.spark_udf import bind as _bind

logger = logging.getLogger(__name__)

APPLIED = "applied"
TRAINING_SOURCE = "source"
# Nested and text columns that only side features read: replaced by the features once computed.
BULKY_FEATURE_INPUTS = ("resume_sections", "resume_titles", "job_title")


def mark_training_subsets(search_impressions: DataFrame, modeling_impressions: DataFrame) -> DataFrame:
    """Training-period search impressions with `subset`: "validation" from the first validation group's time on, else "train".

    The validation slice starts where `mark_validation_groups` put it for the evaluation groups
    (one cut-off for both tables); searches of the test period (split "test") are left out.
    """
    start = modeling_impressions.filter(F.col(SUBSET) == F.lit(VALIDATION)).agg(F.min(SEARCHED_AT)).first()[0]
    train = search_impressions.filter(F.col(SPLIT) == F.lit(TRAIN))
    is_validation = F.col(SEARCHED_AT) >= F.lit(start) if start is not None else F.lit(False)
    return train.withColumn(SUBSET, F.when(is_validation, F.lit(VALIDATION)).otherwise(F.lit(TRAIN)))


def sample_searches(rows: DataFrame, max_rows: int, seed: int) -> tuple[DataFrame, int]:
    """`rows` with whole searches sampled out (a seeded hash of search_id) when above `max_rows`; and their number before.

    The one sampling rule of the training rows: applied in Spark before the side features are
    computed (`max_training_rows`) and again before LambdaMART's task (`max_gbdt_rows`; the same
    hash, so a lower cap keeps a subset of a higher one's searches); a task's exact cap
    (`_sorted_subsets`) trims what the hash share leaves above.
    """
    total = rows.count()
    if total <= max_rows:
        return rows, total
    share = F.lit(int(max_rows / total * 10_000))
    return rows.filter(F.pmod(F.xxhash64(SEARCH_ID, F.lit(int(seed))), F.lit(10_000)) < share), total


def _ranker_rows(training_impressions: DataFrame, modeling_impressions: DataFrame, max_rows: int, seed: int) -> DataFrame:
    """Training rows sampled to `max_rows` by search, then the evaluation groups that selection and reporting score."""
    keep = [SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, APPLIED, SEARCHED_AT, SPLIT, SUBSET]

    def tagged(frame: DataFrame, source: str) -> DataFrame:
        experiment = F.col(EXPERIMENT) if EXPERIMENT in frame.columns else F.lit(None).cast("string")
        return frame.select(*keep, experiment.alias(EXPERIMENT)).withColumn(TRAINING_SOURCE, F.lit(source))

    training, total = sample_searches(training_impressions, max_rows, seed)
    if total > max_rows:
        logger.info("ranker_inputs: %d training rows, sampled by search to about %d (modeling.max_training_rows)",
                    total, max_rows)
    # Evaluation groups of subset train are scored by no model of v2: they would only cost features.
    evaluation = modeling_impressions.filter(F.col(SUBSET) != F.lit(TRAIN))
    return tagged(training, "training").unionByName(tagged(evaluation, "evaluation"))


def assemble_ranker_inputs(
    training_impressions: DataFrame,
    modeling_impressions: DataFrame,
    resume_embeddings: DataFrame,
    job_embeddings: DataFrame,
    resume_clusters: DataFrame,
    job_side_table: DataFrame,
    resume_side_table: DataFrame,
    resume_section_embeddings: DataFrame,
    search_side_table: DataFrame,
    max_training_rows: int,
    seed: int,
) -> DataFrame:
    """The rows the v2 models read (training rows sampled to `max_training_rows`, evaluation groups of validation and test), each with vectors, cluster and side columns.

    `source` is "training" for rows of `training_impressions` (subset train/validation), sampled by
    search above the cap that the training tasks apply anyway, and "evaluation" for the contract's
    query groups of subsets validation and test; the ranker trains on the first, selection and
    reporting use the second. Side features are computed here (`precompute_side_features`) for
    these rows only, all but the job CTR, which needs the examination curve; counts over every
    training row (the job CTR, the randomized slice) read `training_impressions` itself.
    """
    rows = _ranker_rows(training_impressions, modeling_impressions, int(max_training_rows), int(seed))
    resumes = resume_embeddings.select(RESUME_ID, F.col(EMBEDDING).cast("array<float>").alias("resume_vector"))
    jobs = job_embeddings.select(JOB_ID, F.col(EMBEDDING).cast("array<float>").alias("job_vector"))
    return (
        rows.join(resumes, on=RESUME_ID, how="inner")
        .join(jobs, on=JOB_ID, how="inner")
        .join(resume_clusters.select(RESUME_ID, F.col(CLUSTER).cast("int").alias(CLUSTER)), on=RESUME_ID, how="left")
        .join(job_side_table, on=JOB_ID, how="left")
        .join(resume_side_table, on=RESUME_ID, how="left")
        .join(resume_section_embeddings.select(RESUME_ID, "resume_sections"), on=RESUME_ID, how="left")
        .join(search_side_table, on=SEARCH_ID, how="left")
        .withColumn(POSITION, F.col(POSITION).cast("int"))
        .transform(precompute_side_features)
    )


def _side_feature_batches(
    batches: Iterator[pa.RecordBatch], *, names: list[str], inputs: list[str], kept: list[str]
) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        # Only what the features read becomes pandas; the vectors stay in Arrow (`features.vector_matrix`)
        frame = batch.select(inputs).to_pandas(types_mapper=arrow_backed)
        features = side_feature_matrix(frame, names).astype(np.float64)
        columns = [batch.column(name) for name in kept] + [pa.array(features[:, i]) for i in range(len(names))]
        yield pa.RecordBatch.from_arrays(columns, names=[*kept, *names])


def precompute_side_features(rows: DataFrame) -> DataFrame:
    """Every side feature the rows' columns allow, as a column of its own name; the bulky inputs only they read dropped.

    Computed where the rows are (`mapInArrow`), so the single training and scoring tasks read a few
    numbers per row instead of resume sections and titles; `job_reco.models.features` reads a precomputed
    column as it is. The other columns pass through in Arrow untouched. The job CTR feature needs
    the examination curve: it is computed later.
    """
    names = [n for n in available_features(rows.columns) if n != "log_job_ctr_ratio"]
    inputs = sorted({column for name in names for column in feature_inputs(name, rows.columns)})
    kept = [f for f in rows.schema.fields if f.name not in BULKY_FEATURE_INPUTS and f.name not in names]
    fields = kept + [T.StructField(n, T.DoubleType()) for n in names]  # remote, named_other_city: replaced as doubles
    body = _bind(_side_feature_batches, names=names, inputs=inputs, kept=[f.name for f in kept])
    return rows.mapInArrow(body, T.StructType(fields))


def examination_column(propensity: Mapping[str, float], max_position: int) -> Column:
    """propensity(position) as a Spark column, by the one lookup rule of `job_reco.metrics.propensity_of_positions`."""
    positions = np.arange(1, int(max_position) + 1)
    values = propensity_of_positions(positions, propensity)
    curve = F.create_map(*(F.lit(x) for p, v in zip(positions, values, strict=True) for x in (int(p), float(v))))
    return curve[F.least(F.greatest(F.col(POSITION), F.lit(1)), F.lit(int(max_position)))]


def _is_own_training_row() -> Column:
    return (F.col(TRAINING_SOURCE) == F.lit("training")) & (F.col(SUBSET) == F.lit(TRAIN))


# Examinations are summed in fixed point (units of 1e-9): a sum of doubles depends on the order
# Spark adds them in, which depends on the partitioning; the same logs must give the same features.
_FIXED_POINT = 1e9


def compute_job_examination_ctr(
    training_impressions: DataFrame, propensity: Mapping[str, float], max_position: int
) -> DataFrame:
    """Per job, over every training-period impression of subset train: clicks and examinations (sum of propensity(position)).

    All of them, not only the rows sampled into `ranker_inputs`: a few numbers per job.
    """
    examined = F.round(examination_column(propensity, max_position) * F.lit(_FIXED_POINT)).cast("long")
    return (
        training_impressions.filter(F.col(SUBSET) == F.lit(TRAIN))
        .groupBy(JOB_ID)
        .agg(
            F.sum(F.col(LABEL).cast("long")).cast("double").alias("job_clicks"),
            (F.sum(examined) / F.lit(_FIXED_POINT)).alias("job_examinations"),
        )
    )


def attach_job_ctr(
    ranker_inputs: DataFrame, job_ctr: DataFrame, propensity: Mapping[str, float], max_position: int, smoothing: float
) -> DataFrame:
    """Add job_ctr_ratio = ((clicks + m * prior) / (examinations + m)) / prior, prior = all clicks / all examinations.

    The job's click rate once examined, relative to the average: a debiased popularity, the one way
    the logs reveal an employer's appeal that no text shows. A training row of subset train leaves
    its own click and examination out of its job's counts, so the feature never sees the label.
    """
    # Totals in integers too (clicks, examinations in fixed point), so the prior has no order-dependent bits.
    fixed = F.round(F.col("job_examinations") * F.lit(_FIXED_POINT)).cast("long")
    clicks_total, exams_fixed = job_ctr.agg(F.sum(F.col("job_clicks").cast("long")), F.sum(fixed)).first()
    exams_total = float(exams_fixed or 0) / _FIXED_POINT
    prior = float(clicks_total or 0) / exams_total if exams_total else 0.0
    own = _is_own_training_row()
    own_exam = F.when(own, F.round(examination_column(propensity, max_position) * F.lit(_FIXED_POINT)) / F.lit(_FIXED_POINT))
    own_exam = own_exam.otherwise(F.lit(0.0))
    own_click = F.when(own, F.col(LABEL).cast("double")).otherwise(F.lit(0.0))
    clicks = F.coalesce(F.col("job_clicks"), F.lit(0.0)) - own_click
    exams = F.coalesce(F.col("job_examinations"), F.lit(0.0)) - own_exam
    ratio = smoothed_ctr_ratio(clicks, exams, prior, smoothing)
    return (
        ranker_inputs.join(job_ctr, on=JOB_ID, how="left")
        .withColumn("job_ctr_ratio", ratio)
        .drop("job_clicks", "job_examinations")
    )
