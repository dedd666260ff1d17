"""The split in time: the latest query groups are the test set, and no search is split across the sets."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from job_reco.columns import SEARCHED_AT, SPLIT, TEST, TRAIN

logger = logging.getLogger(__name__)

# percentile_approx accuracy of the split's cut-off: rank error at most 1/accuracy of the groups.
SPLIT_ACCURACY = 10_000


class TooFewGroupsError(ValueError):
    """Too few query groups, or too few distinct search times, for a train and a test set."""


def split_groups_by_time(query_groups: DataFrame, test_fraction: float) -> DataFrame:
    """Put the latest `test_fraction` of groups (by searched_at) in test, the rest in train.

    The cut-off is the approximate (1 - test_fraction) quantile of the groups' searched_at;
    groups searched after it are test, groups at or before it train, so groups tied at the
    cut-off all go to train and no search (nor group) is ever split across the sets.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(
            f"data_integration.test_fraction must lie strictly between 0 and 1, got {test_fraction}"
        )
    micros = F.unix_micros(F.col(SEARCHED_AT))
    stats = query_groups.agg(
        F.percentile_approx(micros, 1 - test_fraction, SPLIT_ACCURACY).alias("cutoff"),
        F.max(micros).alias("last"),
        F.count(F.lit(1)).alias("groups"),
    ).first()
    cutoff = stats["cutoff"]
    if cutoff is not None and cutoff >= stats["last"]:
        cutoff = _cutoff_before_the_last_search(query_groups, stats["last"], stats["groups"], test_fraction)
    if cutoff is None:
        raise TooFewGroupsError(
            "query_groups is empty: no application joins a click and a valid search, so there is "
            "nothing to split (see data_quality.json and the quarantine files)"
        )
    logger.info(
        "Split in time: groups searched after %s are test (test_fraction %s).",
        datetime.fromtimestamp(cutoff / 1e6, tz=UTC).isoformat(),
        test_fraction,
    )
    is_test = micros > F.lit(cutoff)
    return query_groups.withColumn(SPLIT, F.when(is_test, F.lit(TEST)).otherwise(F.lit(TRAIN)))


def _cutoff_before_the_last_search(query_groups: DataFrame, last: int, groups: int, test_fraction: float) -> int:
    """The latest search time before `last`, so the groups searched last form a non-empty test set.

    Used when the quantile cut-off leaves no group after it (a few groups, or ties at the end).
    Raises TooFewGroupsError when every group was searched at the same time.
    """
    micros = F.unix_micros(F.col(SEARCHED_AT))
    before = query_groups.filter(micros < F.lit(last)).agg(F.max(micros)).first()[0]
    if before is None:
        raise TooFewGroupsError(
            f"query_groups: all {groups} query groups were searched at the same time "
            f"({datetime.fromtimestamp(last / 1e6, tz=UTC).isoformat()}); a split in time needs at "
            "least two distinct searched_at values (expected a train and a test set)"
        )
    logger.warning(
        "test_fraction %s of %d query groups leaves no group after the cut-off; the groups of the "
        "last search time form the test set instead.",
        test_fraction,
        groups,
    )
    return before
