"""Spark side of the v2 ranker's inputs: training subsets, the sampled row table with its side features, the appeal.

The side features themselves are defined once, in `job_reco.models.features` (pure pandas/numpy); the
tables they read per job, resume and search are built in `side_tables`, and the pandas functions
run inside `mapInArrow` here, so each rule has one home.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
from pyspark.sql import Column, DataFrame, Window, WindowSpec
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
from job_reco.models.appeal import appeal_prior, appeal_ratio
from job_reco.models.features import (
    APPEAL_FEATURES,
    available_features,
    feature_inputs,
    side_feature_matrix,
    title_pair_key,
)
from job_reco.metrics import propensity_of_positions
from job_reco.spark_udf import arrow_backed
from job_reco.spark_udf import bind as _bind

logger = logging.getLogger(__name__)

APPLIED = "applied"
TRAINING_SOURCE = "source"
TITLE_PAIR = "title_pair"
EXPECTED = "expected_clicks"
EXAMINATION = "examination"
# Nested and text columns that only side features read: replaced by the features once computed.
BULKY_FEATURE_INPUTS = ("resume_sections", "resume_titles", "job_title", "query_key", "query_history")


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
    batches: Iterator[pa.RecordBatch], *, names: list[str], inputs: list[str], kept: list[str], pair: bool
) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        # Only what the features read becomes pandas; the vectors stay in Arrow (`features.vector_matrix`)
        frame = batch.select(inputs).to_pandas(types_mapper=arrow_backed)
        features = side_feature_matrix(frame, names).astype(np.float64)
        columns = [batch.column(name) for name in kept] + [pa.array(features[:, i]) for i in range(len(names))]
        if pair:
            columns.append(pa.array(title_pair_key(frame["resume_titles"], frame["job_title"]), type=pa.string()))
        yield pa.RecordBatch.from_arrays(columns, names=[*kept, *names, *([TITLE_PAIR] if pair else [])])


def precompute_side_features(rows: DataFrame) -> DataFrame:
    """Every side feature the rows' columns allow, as a column of its own name; the bulky inputs only they read dropped.

    Computed where the rows are (`mapInArrow`), so the single training and scoring tasks read a few
    numbers per row instead of resume sections and titles; `job_reco.models.features` reads a precomputed
    column as it is. The other columns pass through in Arrow untouched. The appeal features need the
    click model: they are computed later, by `title_pair` (`features.title_pair_key`), which is kept
    for them when the rows have titles.
    """
    names = [n for n in available_features(rows.columns) if n not in APPEAL_FEATURES]
    pair = {"resume_titles", "job_title"} <= set(rows.columns)
    inputs = sorted({column for name in names for column in feature_inputs(name, rows.columns)}
                    | ({"resume_titles", "job_title"} if pair else set()))
    kept = [f for f in rows.schema.fields if f.name not in BULKY_FEATURE_INPUTS and f.name not in names]
    fields = kept + [T.StructField(n, T.DoubleType()) for n in names]  # remote, named_other_city: replaced as doubles
    fields += [T.StructField(TITLE_PAIR, T.StringType())] if pair else []
    body = _bind(_side_feature_batches, names=names, inputs=inputs, kept=[f.name for f in kept], pair=pair)
    return rows.mapInArrow(body, T.StructType(fields))


def examination_column(propensity: Mapping[str, float], max_position: int) -> Column:
    """propensity(position) as a Spark column, by the one lookup rule of `job_reco.metrics.propensity_of_positions`."""
    positions = np.arange(1, int(max_position) + 1)
    values = propensity_of_positions(positions, propensity)
    curve = F.create_map(*(F.lit(x) for p, v in zip(positions, values, strict=True) for x in (int(p), float(v))))
    return curve[F.least(F.greatest(F.col(POSITION), F.lit(1)), F.lit(int(max_position)))]


def _is_own_training_row() -> Column:
    return (F.col(TRAINING_SOURCE) == F.lit("training")) & (F.col(SUBSET) == F.lit(TRAIN))


# Sums in fixed point (units of 1e-9): a sum of doubles depends on the order Spark adds them in, which
# depends on the partitioning; the same logs must give the same features.
_FIXED_POINT = 1e9


def _fixed_sum(column: Column, where: Column | None = None) -> Column:
    value = F.round(column * F.lit(_FIXED_POINT)).cast("long")
    return F.sum(value if where is None else F.when(where, value).otherwise(F.lit(0))) / F.lit(_FIXED_POINT)


def _in_train() -> Column:
    return F.col(SUBSET) == F.lit(TRAIN)


def compute_job_appeal_counts(
    training_impressions: DataFrame, expected_clicks: DataFrame, propensity: Mapping[str, float], max_position: int
) -> DataFrame:
    """Per job: clicks and expected clicks over the training period's subset train (`_train`) and all of it (`_all`).

    Clicks and examinations (sum of propensity(position)) count every training impression, not only
    the rows sampled into `ranker_inputs`; the expected clicks are the examinations times the job's
    match rate, sum(expected) / sum(examination) over its sampled rows (the average's where it has
    none). With every row sampled (the default network) that is exactly the sum of expected clicks.
    """
    examined = examination_column(propensity, max_position)
    counts = training_impressions.groupBy(JOB_ID).agg(
        F.sum(F.when(_in_train(), F.col(LABEL)).otherwise(F.lit(0)).cast("long")).cast("double").alias("clicks_train"),
        F.sum(F.col(LABEL).cast("long")).cast("double").alias("clicks_all"),
        _fixed_sum(examined, _in_train()).alias("examinations_train"), _fixed_sum(examined).alias("examinations_all"),
    )
    sums = [_fixed_sum(F.col(EXPECTED), _in_train()).alias("e_train"), _fixed_sum(F.col(EXAMINATION), _in_train()).alias("x_train"),
            _fixed_sum(F.col(EXPECTED)).alias("e_all"), _fixed_sum(F.col(EXAMINATION)).alias("x_all")]
    totals = expected_clicks.agg(*sums).first()
    rates = expected_clicks.groupBy(JOB_ID).agg(*sums)
    out = counts.join(rates, on=JOB_ID, how="left")
    for part in ("train", "all"):
        average = float(totals[f"e_{part}"] or 0.0) / float(totals[f"x_{part}"]) if totals[f"x_{part}"] else 0.0
        rate = F.when(F.col(f"x_{part}") > 0, F.col(f"e_{part}") / F.col(f"x_{part}")).otherwise(F.lit(average))
        out = out.withColumn(f"expected_{part}", F.col(f"examinations_{part}") * rate)
    return out.select(JOB_ID, "clicks_train", "expected_train", "clicks_all", "expected_all")


def _earlier_searches(key: str) -> WindowSpec:
    """The rows of `key` whose search is strictly earlier than this row's: a range over the search time in
    microseconds, up to one before this one (rows of one search time never see each other)."""
    return Window.partitionBy(key).orderBy(F.unix_micros(F.col(SEARCHED_AT))).rangeBetween(Window.unboundedPreceding, -1)


def compute_recent_job_counts(
    search_impressions: DataFrame, expected_clicks: DataFrame, propensity: Mapping[str, float], max_position: int,
) -> DataFrame:
    """Per (search, job): the job's clicks and expected clicks in every search strictly earlier than that one.

    What a running network's counters knew when the search was made: a training row counts the
    training searches before its own, a later row (validation, test) those and the ones after the
    training period too (the counters go on counting after the model was trained). Never the row's
    own search or a later one, so a click never reaches a feature of its own row or of an earlier
    one: a model that recognises the ad cannot read a row's label off its appeal (as it could from
    a count that leaves out only the row's own click: within an ad, the clicked rows would carry the
    lower appeal). The expected clicks are the examinations times the job's match rate over the
    sampled training rows (`compute_job_appeal_counts`).
    """
    per_search = search_impressions.groupBy(JOB_ID, SEARCH_ID, SEARCHED_AT).agg(
        F.sum(F.col(LABEL).cast("long")).alias("_clicks"),
        F.sum(F.round(examination_column(propensity, max_position) * F.lit(_FIXED_POINT)).cast("long")).alias("_examined"),
    )
    earlier = _earlier_searches(JOB_ID)
    rates = expected_clicks.groupBy(JOB_ID).agg(_fixed_sum(F.col(EXPECTED)).alias("_e"), _fixed_sum(F.col(EXAMINATION)).alias("_x"))
    totals = expected_clicks.agg(_fixed_sum(F.col(EXPECTED)).alias("_e"), _fixed_sum(F.col(EXAMINATION)).alias("_x")).first()
    average = float(totals["_e"] or 0.0) / float(totals["_x"]) if totals["_x"] else 0.0
    rate = F.when(F.col("_x") > 0, F.col("_e") / F.col("_x")).otherwise(F.lit(average))
    return (
        per_search.select(JOB_ID, SEARCH_ID, F.coalesce(F.sum("_clicks").over(earlier), F.lit(0)).cast("double").alias("recent_clicks"),
                          (F.coalesce(F.sum("_examined").over(earlier), F.lit(0)) / F.lit(_FIXED_POINT)).alias("_recent_examinations"))
        .join(rates, on=JOB_ID, how="left")
        .select(SEARCH_ID, JOB_ID, "recent_clicks", (F.col("_recent_examinations") * F.coalesce(rate, F.lit(average))).alias("recent_expected"))
    )


def compute_title_pair_appeal_counts(expected_clicks: DataFrame) -> DataFrame:
    """Per title pair (resume's current title key | ad's title key): clicks and expected clicks, subset train and all.

    Over the rows sampled into `ranker_inputs` (they have the titles); rows without a pair are left out.
    """
    return (
        expected_clicks.filter(F.col(TITLE_PAIR).isNotNull())
        .groupBy(TITLE_PAIR)
        .agg(
            F.sum(F.when(_in_train(), F.col(LABEL)).otherwise(F.lit(0)).cast("long")).cast("double").alias("clicks_train"),
            _fixed_sum(F.col(EXPECTED), _in_train()).alias("expected_train"),
            F.sum(F.col(LABEL).cast("long")).cast("double").alias("clicks_all"),
            _fixed_sum(F.col(EXPECTED)).alias("expected_all"),
        )
    )


def fit_appeal_priors(job_appeal_counts: DataFrame, title_pair_appeal_counts: DataFrame) -> dict[str, Any]:
    """The gamma prior (alpha, mu) of each appeal, fitted on subset train's counts (`job_reco.models.appeal`).

    The keys are put in one order and the prior rounded to 9 significant digits: the likelihood's sum
    over the keys would otherwise take the order Spark delivers them in, and its last bits, which
    move alpha's, would move every appeal feature and the models trained on them from run to run.
    """
    priors = {}
    for name, counts, key in (("job", job_appeal_counts, JOB_ID), ("title_pair", title_pair_appeal_counts, TITLE_PAIR)):
        table = counts.select(key, "clicks_train", "expected_train").toPandas()  # one row per key: jobs or title pairs
        table = table.sort_values(key, kind="stable")
        prior = appeal_prior(table["clicks_train"].to_numpy(), table["expected_train"].to_numpy())
        priors[name] = {**prior, "alpha": float(f"{prior['alpha']:.9g}"), "mu": float(f"{prior['mu']:.9g}")}
    logger.info("Appeal priors (gamma, by marginal likelihood): %s.", priors)
    return priors


_ROW_KEYS = [SEARCH_ID, RESUME_ID, JOB_ID]  # one ranker row (a query group is search and resume)


def attach_appeal(
    ranker_inputs: DataFrame, expected_clicks: DataFrame, title_pair_appeal_counts: DataFrame,
    recent_job_counts: DataFrame, appeal_priors: Mapping[str, Any],
) -> DataFrame:
    """Add job_appeal and title_pair_appeal (`job_reco.models.appeal.appeal_ratio`) to every row.

    What each row may know: for the job, the counts of every search strictly before its own
    (`compute_recent_job_counts`). For the title pair: a training row of subset train, the pair's
    subset-train rows of earlier searches; a validation row, subset train's counts; a test row, the
    whole training period's. A row's label never reaches its own features nor those of an earlier row.
    """
    recent = recent_job_counts.select(SEARCH_ID, JOB_ID, F.col("recent_clicks").alias("_recent_clicks"),
                                      F.col("recent_expected").alias("_recent_expected"))
    rows = ranker_inputs.join(recent, on=[SEARCH_ID, JOB_ID], how="left")
    job_clicks = F.coalesce(F.col("_recent_clicks"), F.lit(0.0))
    job_expected = F.coalesce(F.col("_recent_expected"), F.lit(0.0))
    rows = rows.withColumn("job_appeal", _appeal(job_clicks, job_expected, appeal_priors["job"])).drop(
        "_recent_clicks", "_recent_expected")
    if TITLE_PAIR not in rows.columns:
        return rows
    is_own = _is_own_training_row()
    is_test = (F.col(TRAINING_SOURCE) == F.lit("evaluation")) & (F.col(SUBSET) == F.lit("test"))
    rows = rows.join(_earlier_title_pair_counts(ranker_inputs, expected_clicks), on=_ROW_KEYS, how="left").join(
        title_pair_appeal_counts.select(TITLE_PAIR, *(F.col(c).alias(f"_{c}") for c in
                                                      ("clicks_train", "expected_train", "clicks_all", "expected_all"))),
        on=TITLE_PAIR, how="left")
    clicks = (F.when(is_own, F.coalesce(F.col("_earlier_clicks"), F.lit(0.0)))
              .when(is_test, F.col("_clicks_all")).otherwise(F.col("_clicks_train")))
    expected = (F.when(is_own, F.coalesce(F.col("_earlier_expected"), F.lit(0.0)))
                .when(is_test, F.col("_expected_all")).otherwise(F.col("_expected_train")))
    # a row without a pair finds no counts: (0 + alpha) / (0 + alpha) = 1, the prior's mean
    pair = _appeal(F.coalesce(clicks, F.lit(0.0)), F.coalesce(expected, F.lit(0.0)), appeal_priors["title_pair"])
    return rows.withColumn("title_pair_appeal", pair).drop(
        "_clicks_train", "_expected_train", "_clicks_all", "_expected_all", "_earlier_clicks", "_earlier_expected")


def _earlier_title_pair_counts(ranker_inputs: DataFrame, expected_clicks: DataFrame) -> DataFrame:
    """Per training row of subset train: its title pair's clicks and expected clicks over the pair's earlier such rows.

    On the row keys and the few columns it needs, so the window sorts those and not the rows' vectors.
    """
    own = (ranker_inputs.filter(_is_own_training_row() & F.col(TITLE_PAIR).isNotNull())
           .select(*_ROW_KEYS, TITLE_PAIR, SEARCHED_AT, LABEL)
           .join(expected_clicks.select(*_ROW_KEYS, F.round(F.col(EXPECTED) * F.lit(_FIXED_POINT)).cast("long").alias("_expected")),
                 on=_ROW_KEYS, how="left"))
    earlier = _earlier_searches(TITLE_PAIR)
    return own.select(*_ROW_KEYS, F.coalesce(F.sum(F.col(LABEL).cast("long")).over(earlier), F.lit(0)).cast("double").alias("_earlier_clicks"),
                      (F.coalesce(F.sum(F.coalesce(F.col("_expected"), F.lit(0))).over(earlier), F.lit(0)) / F.lit(_FIXED_POINT))
                      .alias("_earlier_expected"))


def _appeal(clicks: Column, expected: Column, prior: Mapping[str, float]) -> Column:
    return appeal_ratio(F.greatest(clicks, F.lit(0.0)), F.greatest(expected, F.lit(0.0)), prior["alpha"], prior["mu"])
