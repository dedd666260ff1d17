"""restore_search_impressions on a hand-made network whose answer is worked out below."""

from __future__ import annotations

from datetime import datetime

import pytest

from job_reco.columns import (
    APPLIED,
    EXPERIMENT,
    JOB_ID,
    LABEL,
    POSITION,
    RESUME_ID,
    SEARCH_ID,
    SEARCH_IMPRESSIONS_COLUMNS,
    SPLIT,
    TEST,
    TRAIN,
)
from job_reco.pipelines.data_integration.joins import join_clicks_to_applications
from job_reco.pipelines.data_integration.search_impressions import resume_at_search, restore_search_impressions


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


# Seeker p1 has two resumes: r1 (Dec) and r1b (updated 3 Jan, after s1, before s3). p2 has r2.
# p3 has no resume. s4 is quarantined (reason set) and must not appear.
CHECKED = {
    "resumes": (
        "resume_id string, seeker_id string, updated_at timestamp, reason string",
        [("r1", "p1", t("2023-12-01 00:00"), None), ("r1b", "p1", t("2024-01-03 00:00"), None),
         ("r2", "p2", t("2023-12-02 00:00"), None), ("rx", "p3", t("2023-12-02 00:00"), "null_key")],
    ),
    "searches": (
        "search_id string, seeker_id string, searched_at timestamp, experiment string, reason string",
        [("s1", "p1", t("2024-01-01 10:00"), None, None), ("s2", "p2", t("2024-01-02 10:00"), "swap_1_2", None),
         ("s3", "p1", t("2024-01-05 10:00"), None, None), ("s4", "p2", t("2024-01-01 11:00"), None, "duplicate_key"),
         ("s5", "p3", t("2024-01-01 12:00"), None, None)],
    ),
    "impressions": (
        "search_id string, job_id string, position int, reason string",
        [("s1", "j1", 1, None), ("s1", "j2", 2, None), ("s2", "j2", 1, None), ("s2", "j4", 2, None),
         ("s2", "j5", 3, "unknown_job"), ("s3", "j1", 1, None), ("s3", "j3", 2, None), ("s5", "j1", 1, None)],
    ),
    "clicks": (
        "click_id string, search_id string, job_id string, reason string",
        # c5: a second valid click on s1's j2 (one labelled row all the same)
        [("c1", "s1", "j2", None), ("c2", "s2", "j4", None), ("c3", "s3", "j3", None), ("c4", "s3", "j1", "exact_duplicate"),
         ("c5", "s1", "j2", None)],
    ),
    "applications": (
        "application_id string, resume_id string, job_id string, click_id string, reason string",
        [("a1", "r1", "j2", "c1", None), ("a2", "r2", "j4", "c2", "unknown_click"), ("a3", "r1", "j1", None, None)],
    ),
}
# Query groups: s1 and s2 are train (latest train group at 2 Jan 10:00), s3 lies after the cut-off.
SPLIT_GROUPS = [("s1", "r1", t("2024-01-01 10:00"), TRAIN), ("s2", "r2", t("2024-01-02 10:00"), TRAIN),
                ("s9", "r2", t("2024-01-04 10:00"), TEST)]
EXPECTED = {
    ("s1", "r1", "j1"): (1, 0, 0, TRAIN, None),
    ("s1", "r1", "j2"): (2, 1, 1, TRAIN, None),
    ("s2", "r2", "j2"): (1, 0, 0, TRAIN, "swap_1_2"),
    ("s2", "r2", "j4"): (2, 1, 0, TRAIN, "swap_1_2"),  # its application is quarantined
    ("s3", "r1b", "j1"): (1, 0, 0, TEST, None),  # the duplicate click is quarantined
    ("s3", "r1b", "j3"): (2, 1, 0, TEST, None),
}


def _pairs(checked):
    """The applied (search, resume, job) pairs, as the pipeline's `join_clicks_to_applications` gives them."""
    return join_clicks_to_applications(checked["applications"], checked["clicks"])


@pytest.fixture(scope="module")
def checked(spark):
    return {name: spark.createDataFrame(rows, schema) for name, (schema, rows) in CHECKED.items()}


def test_restore_search_impressions_by_hand(spark, checked):
    split_groups = spark.createDataFrame(SPLIT_GROUPS, "search_id string, resume_id string, searched_at timestamp, split string")
    rows = restore_search_impressions(
        split_groups, checked["searches"], checked["resumes"], checked["impressions"], checked["clicks"], _pairs(checked)
    )
    assert rows.columns == list(SEARCH_IMPRESSIONS_COLUMNS)
    found = {
        (r[SEARCH_ID], r[RESUME_ID], r[JOB_ID]): (r[POSITION], r[LABEL], r[APPLIED], r[SPLIT], r[EXPERIMENT])
        for r in rows.collect()
    }
    assert found == EXPECTED


def test_searches_without_experiment_column_get_null(spark, checked):
    searches = checked["searches"].drop(EXPERIMENT)
    split_groups = spark.createDataFrame(SPLIT_GROUPS, "search_id string, resume_id string, searched_at timestamp, split string")
    rows = restore_search_impressions(
        split_groups, searches, checked["resumes"], checked["impressions"], checked["clicks"], _pairs(checked)
    )
    assert {r[EXPERIMENT] for r in rows.collect()} == {None}


def test_resume_at_search_takes_latest_resume_before_the_search(spark):
    searches = spark.createDataFrame(
        [("s1", "p1", t("2024-01-01 10:00")), ("s2", "p1", t("2024-02-01 10:00")), ("s3", "p2", t("2024-01-01 10:00"))],
        "search_id string, seeker_id string, searched_at timestamp",
    )
    resumes = spark.createDataFrame(
        [("ra", "p1", t("2023-12-01 00:00")), ("rb", "p1", t("2024-01-15 00:00")), ("rc", "p2", t("2024-03-01 00:00")),
         ("rd", "p2", t("2024-02-01 00:00"))],
        "resume_id string, seeker_id string, updated_at timestamp",
    )
    chosen = {r[SEARCH_ID]: r[RESUME_ID] for r in resume_at_search(searches, resumes).collect()}
    # s3: both of p2's resumes are newer than the search, so the earliest of them.
    assert chosen == {"s1": "ra", "s2": "rb", "s3": "rd"}
