"""data_quality: rows in, quarantined per rule and out per table, and what labeled_impressions holds.

The counts are aggregates (a few numbers each): no row reaches the driver, none is logged.
"""

from __future__ import annotations

import logging
from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from job_reco.columns import (
    APPLIED,
    CLICK_ID,
    LABEL,
    RAW_SCHEMAS,
    REASON,
    RESUME_ID,
    SEARCH_ID,
    SEARCHED_AT,
    SPLIT,
    TEST,
)
from job_reco.pipelines.data_integration.quarantine import EXACT_DUPLICATE, TABLE_RULES

logger = logging.getLogger(__name__)

_TABLE = "table"
_NO_CLICK = "no_click"


def _reason_counts(checked: dict[str, DataFrame]) -> list:
    """Rows per (table, reason, application without click), for all tables in one Spark job."""
    parts = [
        df.select(
            F.lit(table).alias(_TABLE),
            F.col(REASON),
            (F.col(CLICK_ID).isNull() if table == "applications" else F.lit(False)).alias(_NO_CLICK),
        )
        for table, df in checked.items()
    ]
    return reduce(DataFrame.unionByName, parts).groupBy(_TABLE, REASON, _NO_CLICK).count().collect()


def _table_quality(counts: dict[str | None, int], table: str) -> dict[str, object]:
    """Rows in = rows used (valid; `rows_out` is the same number) + rows quarantined (per rule, zeros listed)."""
    quarantined = {reason: int(counts.get(reason, 0)) for reason in TABLE_RULES[table].reasons}
    rows_in = int(sum(counts.values()))
    rows_used = int(counts.get(None, 0))
    rows_quarantined = int(sum(quarantined.values()))
    if rows_in != rows_used + rows_quarantined:
        unknown = sorted(str(r) for r in counts if r is not None and r not in quarantined)
        raise ValueError(f"{table}: {rows_in} rows in but {rows_used} used + {rows_quarantined} quarantined "
                         f"(reasons outside TABLE_RULES: {unknown})")
    return {
        "rows_in": rows_in,
        "rows_used": rows_used,
        "rows_out": rows_used,
        "rows_quarantined": rows_quarantined,
        "quarantined": quarantined,
        "exact_duplicates_dropped": quarantined[EXACT_DUPLICATE],
    }


def _labeled_quality(labeled_impressions: DataFrame) -> dict[str, dict[str, object]]:
    """Groups, impressions, positives (clicks), applications and time range, per split and in all.

    One pass: no group or search straddles the splits, so the totals are sums over the splits.
    """
    iso = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"
    groups = labeled_impressions.groupBy(SPLIT, SEARCH_ID, RESUME_ID).agg(
        F.count(F.lit(1)).alias("_shown"),
        F.sum(LABEL).alias("_clicked"),
        F.sum(APPLIED).alias("_applied"),
        F.min(SEARCHED_AT).alias(SEARCHED_AT),
    )
    rows = (
        groups.groupBy(SPLIT)
        .agg(
            F.count(F.lit(1)).alias("groups"),
            F.countDistinct(SEARCH_ID).alias("searches"),
            F.sum("_shown").alias("impressions"),
            F.sum("_clicked").alias("positives"),
            F.sum("_applied").alias("applications"),
            F.sum((F.col("_shown") == 1).cast("long")).alias("groups_with_one_impression"),
            F.sum((F.col("_clicked") == F.col("_shown")).cast("long")).alias("groups_all_clicked"),
            F.sum((F.col("_clicked") == 0).cast("long")).alias("groups_none_clicked"),
            F.date_format(F.min(SEARCHED_AT), iso).alias("first_searched_at"),
            F.date_format(F.max(SEARCHED_AT), iso).alias("last_searched_at"),
        )
        .collect()
    )
    # Degenerate groups are kept (they are real searches) but counted: one impression, every shown
    # job clicked (both tell a ranker nothing), none clicked (cannot happen from valid logs).
    counts = (
        "groups", "searches", "impressions", "positives", "applications",
        "groups_with_one_impression", "groups_all_clicked", "groups_none_clicked",
    )
    summary: dict[str, dict[str, object]] = {
        "all": {key: sum(int(row[key] or 0) for row in rows) for key in counts}
    }
    # Same format, same zone (the session's, UTC): ISO strings order like the times they write.
    firsts = [row["first_searched_at"] for row in rows if row["first_searched_at"] is not None]
    lasts = [row["last_searched_at"] for row in rows if row["last_searched_at"] is not None]
    summary["all"]["first_searched_at"] = min(firsts, default=None)
    summary["all"]["last_searched_at"] = max(lasts, default=None)
    for row in sorted(rows, key=lambda r: r[SPLIT]):
        summary[row[SPLIT]] = {key: int(row[key] or 0) for key in counts}
        summary[row[SPLIT]]["first_searched_at"] = row["first_searched_at"]
        summary[row[SPLIT]]["last_searched_at"] = row["last_searched_at"]
    return summary


def summarise_data_quality(
    checked_resumes: DataFrame,
    checked_jobs: DataFrame,
    checked_searches: DataFrame,
    checked_impressions: DataFrame,
    checked_clicks: DataFrame,
    checked_applications: DataFrame,
    labeled_impressions: DataFrame,
    test_fraction: float,
) -> dict[str, object]:
    """Count rows in, quarantined per rule and out per table, and what labeled_impressions holds.

    Logs one line per (table, rule) with its row count; never a row's content.
    """
    checked = dict(zip(RAW_SCHEMAS, (checked_resumes, checked_jobs, checked_searches, checked_impressions,
                                     checked_clicks, checked_applications), strict=True))
    reason_rows = _reason_counts(checked)
    tables = _tables_quality(reason_rows, list(checked))
    without_click = sum(r["count"] for r in reason_rows if r[REASON] is None and r[_NO_CLICK])
    logger.info("applications without a click (valid, joined to no search): %d", without_click)
    labeled = _labeled_quality(labeled_impressions)
    for split, summary in labeled.items():
        logger.info("labeled_impressions %s: %s", split, summary)
    test_groups = labeled.get(TEST, {}).get("groups", 0)
    all_groups = labeled["all"]["groups"]
    return {
        "tables": tables,
        "applications_without_click": int(without_click),
        "labeled_impressions": labeled,
        "split": {
            "test_fraction": test_fraction,
            "test_share_of_groups": test_groups / all_groups if all_groups else 0.0,
            "rule": "groups searched after the cut-off are test; ties at the cut-off go to train",
        },
    }


def _tables_quality(reason_rows: list, tables: list[str]) -> dict[str, dict[str, object]]:
    """`_table_quality` of each table from the (table, reason) counts, logged one line per table and rule."""
    counts: dict[str, dict[str | None, int]] = {table: {} for table in tables}
    for row in reason_rows:
        by_reason = counts[row[_TABLE]]
        by_reason[row[REASON]] = by_reason.get(row[REASON], 0) + row["count"]
    quality = {table: _table_quality(counts[table], table) for table in tables}
    for table, summary in quality.items():
        logger.info("%s: %d rows in, %d out.", table, summary["rows_in"], summary["rows_out"])
        for rule, n_rows in summary["quarantined"].items():
            logger.info("quarantine table=%s rule=%s rows=%d", table, rule, n_rows)
    return quality
