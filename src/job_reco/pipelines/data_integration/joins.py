"""The three joins of the original design: applications to clicks, query groups, every impression labeled."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from job_reco.columns import (
    APPLIED,
    CLICK_ID,
    EXPERIMENT,
    JOB_ID,
    LABEL,
    LABELED_IMPRESSIONS_COLUMNS,
    POSITION,
    RESUME_ID,
    SEARCH_ID,
    SEARCHED_AT,
)
from job_reco.pipelines.data_integration.quarantine import valid_rows


def join_clicks_to_applications(checked_applications: DataFrame, checked_clicks: DataFrame) -> DataFrame:
    """Steps 1 and 2: (resume, applied job) pairs from applications, their search from the click."""
    applications = valid_rows(checked_applications).filter(F.col(CLICK_ID).isNotNull())
    clicks = valid_rows(checked_clicks).select(CLICK_ID, SEARCH_ID)
    return applications.join(clicks, on=CLICK_ID, how="inner").select(SEARCH_ID, RESUME_ID, JOB_ID).distinct()


def define_query_groups(application_pairs: DataFrame, checked_searches: DataFrame) -> DataFrame:
    """One row per query group (search_id, resume_id), with the search's time (and `experiment`, if logged)."""
    carried = [EXPERIMENT] if EXPERIMENT in checked_searches.columns else []
    searches = valid_rows(checked_searches).select(SEARCH_ID, SEARCHED_AT, *carried)
    groups = application_pairs.select(SEARCH_ID, RESUME_ID).distinct()
    return groups.join(searches, on=SEARCH_ID, how="inner")


def restore_impressions(
    split_groups: DataFrame,
    checked_impressions: DataFrame,
    checked_clicks: DataFrame,
    application_pairs: DataFrame,
    output_partitions: int | None,
) -> DataFrame:
    """Step 3: every job each group's search showed; label = clicked there, applied = applied; the
    search's `experiment` (logging policy, contract v2) follows when the searches log it.

    Rows are hash-partitioned by search_id (`output_partitions` files, or Spark's choice when
    null) and sorted by group and position inside each file.
    """
    impressions = valid_rows(checked_impressions).select(SEARCH_ID, JOB_ID, POSITION)
    clicked = valid_rows(checked_clicks).select(SEARCH_ID, JOB_ID).distinct().withColumn(LABEL, F.lit(1))
    applied = application_pairs.select(SEARCH_ID, RESUME_ID, JOB_ID).distinct().withColumn(APPLIED, F.lit(1))
    rows = (
        split_groups.join(impressions, on=SEARCH_ID, how="inner")
        .join(clicked, on=[SEARCH_ID, JOB_ID], how="left")
        .join(applied, on=[SEARCH_ID, RESUME_ID, JOB_ID], how="left")
        .withColumn(LABEL, F.coalesce(F.col(LABEL), F.lit(0)).cast("int"))
        .withColumn(APPLIED, F.coalesce(F.col(APPLIED), F.lit(0)).cast("int"))
        .withColumn(POSITION, F.col(POSITION).cast("int"))
        .select(*LABELED_IMPRESSIONS_COLUMNS, *(c for c in (EXPERIMENT,) if c in split_groups.columns))
    )
    rows = (
        rows.repartition(output_partitions, SEARCH_ID) if output_partitions else rows.repartition(SEARCH_ID)
    )
    return rows.sortWithinPartitions(SEARCH_ID, RESUME_ID, POSITION)
