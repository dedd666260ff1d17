"""Every logged search of a seeker who has a resume, with what it showed: the training logs of modeling v2.

The contract's `labeled_impressions` keeps the original design's query groups: searches that led
to an application. A ranker learns from far more: every search whose seeker has a resume (about
four times the impressions on the generated network). `restore_search_impressions` builds that
table from the checked logs with the same rules (valid rows only) and the same split in time as the
query groups, so no search after the cut-off ever reaches training.
"""

from __future__ import annotations

import logging

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from job_reco.columns import (
    APPLIED,
    EXPERIMENT,
    JOB_ID,
    LABEL,
    POSITION,
    RESUME_ID,
    SEARCH_ID,
    SEARCH_IMPRESSIONS_COLUMNS,
    SEARCHED_AT,
    SEEKER_ID,
    SPLIT,
    TEST,
    TRAIN,
    UPDATED_AT,
)
from job_reco.pipelines.data_integration.quarantine import valid_rows

logger = logging.getLogger(__name__)

_RESUME_RANK = "__resume_rank__"
_LABELS = "__labels__"


def resume_at_search(searches: DataFrame, resumes: DataFrame) -> DataFrame:
    """search_id -> resume_id: the seeker's latest resume updated at or before the search, else their earliest.

    A seeker without a valid resume gives no row: their searches say nothing about a resume.
    Ties in updated_at go to the smaller resume_id, so the choice is deterministic.
    """
    pairs = searches.select(SEARCH_ID, SEEKER_ID, SEARCHED_AT).join(
        resumes.select(RESUME_ID, SEEKER_ID, UPDATED_AT), on=SEEKER_ID, how="inner"
    )
    before = F.col(UPDATED_AT).isNotNull() & (F.col(UPDATED_AT) <= F.col(SEARCHED_AT))
    order = Window.partitionBy(SEARCH_ID).orderBy(
        before.desc(),
        F.when(before, F.col(UPDATED_AT)).desc_nulls_last(),
        F.col(UPDATED_AT).asc_nulls_last(),
        F.col(RESUME_ID).asc(),
    )
    ranked = pairs.withColumn(_RESUME_RANK, F.row_number().over(order))
    return ranked.filter(F.col(_RESUME_RANK) == 1).select(SEARCH_ID, RESUME_ID)


def training_cutoff(split_groups: DataFrame) -> DataFrame:
    """One row, `searched_at`: the latest search time of a train query group (the split's cut-off as used)."""
    return split_groups.filter(F.col(SPLIT) == F.lit(TRAIN)).agg(F.max(SEARCHED_AT).alias(SEARCHED_AT))


def _labels_by_search(checked_clicks: DataFrame, application_pairs: DataFrame) -> DataFrame:
    """search_id, `_labels`: a map {job_id clicked in that search: 1 if an application followed it, else 0}.

    An application reaches a search only through its click (`join_clicks_to_applications`, whose
    pairs also make the query groups), so every applied pair is a clicked pair.
    """
    clicks = valid_rows(checked_clicks).select(SEARCH_ID, JOB_ID).distinct()
    applied = application_pairs.select(SEARCH_ID, JOB_ID).distinct().withColumn(APPLIED, F.lit(1))
    clicked = clicks.join(applied, on=[SEARCH_ID, JOB_ID], how="left")
    entry = F.struct(JOB_ID, F.coalesce(F.col(APPLIED), F.lit(0)))
    return clicked.groupBy(SEARCH_ID).agg(F.map_from_entries(F.collect_list(entry)).alias(_LABELS))


def restore_search_impressions(
    split_groups: DataFrame,
    checked_searches: DataFrame,
    checked_resumes: DataFrame,
    checked_impressions: DataFrame,
    checked_clicks: DataFrame,
    application_pairs: DataFrame,
) -> DataFrame:
    """Every impression of every valid search whose seeker has a resume; label = clicked, applied = applied.

    split: "train" for searches at or before the latest train query group's time (the same cut-off
    as `split_groups_by_time`), else "test". `experiment` (the logging policy's randomisation, v2
    contract) is carried when the searches have it, null otherwise.
    """
    searches = valid_rows(checked_searches)
    experiment = F.col(EXPERIMENT) if EXPERIMENT in searches.columns else F.lit(None).cast("string")
    search_rows = searches.select(SEARCH_ID, SEEKER_ID, SEARCHED_AT, experiment.alias(EXPERIMENT))
    with_resume = search_rows.join(resume_at_search(search_rows, valid_rows(checked_resumes)), on=SEARCH_ID)
    cutoff = training_cutoff(split_groups).select(F.col(SEARCHED_AT).alias("_cutoff"))
    split = F.when(
        F.col("_cutoff").isNotNull() & (F.col(SEARCHED_AT) <= F.col("_cutoff")), F.lit(TRAIN)
    ).otherwise(F.lit(TEST))
    per_search = (
        with_resume.crossJoin(F.broadcast(cutoff))
        .withColumn(SPLIT, split)
        .join(_labels_by_search(checked_clicks, application_pairs), on=SEARCH_ID, how="left")
    )
    # The impressions, the one table of this size, are shuffled once: by search, which the join with
    # the per-search rows (labels as a map) reuses and the written table keeps (joining the
    # clicked and applied pairs on (search, job) shuffled them twice more).
    impressions = valid_rows(checked_impressions).select(SEARCH_ID, JOB_ID, POSITION).repartition(SEARCH_ID)
    found = F.element_at(F.col(_LABELS), F.col(JOB_ID))
    rows = (
        impressions.join(per_search, on=SEARCH_ID)
        .withColumn(LABEL, found.isNotNull().cast("int"))
        .withColumn(APPLIED, F.coalesce(found, F.lit(0)).cast("int"))
        .withColumn(POSITION, F.col(POSITION).cast("int"))
    )
    return rows.select(*SEARCH_IMPRESSIONS_COLUMNS).sortWithinPartitions(SEARCH_ID, POSITION)
