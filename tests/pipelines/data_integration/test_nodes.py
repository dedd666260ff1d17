"""data_integration nodes on small hand-made frames whose answers are worked out by hand."""

from __future__ import annotations

from datetime import datetime

import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from job_reco.columns import (
    APPLIED,
    CLICK_ID,
    JOB_ID,
    LABEL,
    LABELED_IMPRESSIONS_COLUMNS,
    POSITION,
    RAW_SCHEMAS,
    RAW_TABLES,
    REASON,
    RESUME_ID,
    SEARCH_ID,
    SEARCHED_AT,
    SPLIT,
    TEST,
    TEXT,
    TRAIN,
)
from job_reco.pipelines.data_integration import create_pipeline, schema
from job_reco.pipelines.data_integration.joins import (
    define_query_groups,
    join_clicks_to_applications,
    restore_impressions,
)
from job_reco.pipelines.data_integration.quality import summarise_data_quality
from job_reco.pipelines.data_integration.quarantine import (
    DUPLICATE_KEY,
    EXACT_DUPLICATE,
    FUTURE_TIMESTAMP,
    INVALID_POSITION,
    JOB_DIFFERS_FROM_CLICK,
    NO_MATCHING_IMPRESSION,
    NULL_KEY,
    NULL_SEARCHED_AT,
    UNKNOWN_CLICK,
    UNKNOWN_JOB,
    UNKNOWN_RESUME,
    UNKNOWN_SEARCH,
    UNPARSEABLE_TIMESTAMP,
    check_applications,
    check_clicks,
    check_impressions,
    check_jobs,
    check_resumes,
    check_searches,
    extract_quarantined_rows,
    select_valid_documents,
)
from job_reco.pipelines.data_integration.schema import ORIGINAL_PREFIX, RawSchemaError, validate_raw_tables
from job_reco.pipelines.data_integration.split import TooFewGroupsError, split_groups_by_time


def ddl(table: str, **overrides: str) -> str:
    """The contract schema of a raw table as Spark DDL, some column types overridden."""
    return ", ".join(f"{c} {overrides.get(c, t)}" for c, t in RAW_SCHEMAS[table].items())


def t(text: str) -> datetime:
    """A timestamp from 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text)


def utc_text(column: str):
    """A timestamp column as 'YYYY-MM-DD HH:MM' in the session's zone (UTC), whatever the local zone."""
    return F.date_format(F.col(column), "yyyy-MM-dd HH:mm")


def reasons(checked, key: str) -> dict:
    """{key value: reason} of a checked frame whose key is unique."""
    return {row[key]: row[REASON] for row in checked.collect()}


def reason_counts(checked) -> dict:
    """{reason: rows} of a checked frame (None = valid)."""
    return {row[REASON]: row["count"] for row in checked.groupBy(REASON).count().collect()}


# --- a hand-made network of two searches ------------------------------------------------------
# s1 (Jan 1) showed j1, j2, j3; s2 (Jan 2) showed j2, j4. Clicks: (s1, j2), (s1, j3), (s2, j4).
# Applications: r1 -> j2 via c1 (search s1), r2 -> j4 via c3 (search s2), r1 -> j1 from elsewhere.
# Groups: (s1, r1), (s2, r2). By hand, labeled_impressions is:
#   s1 r1 j1 pos 1 label 0 applied 0 | s1 r1 j2 pos 2 label 1 applied 1 | s1 r1 j3 pos 3 label 1 applied 0
#   s2 r2 j2 pos 1 label 0 applied 0 | s2 r2 j4 pos 2 label 1 applied 1
NETWORK = {
    "resumes": [
        ("r1", "p1", "resume one", t("2023-12-01 00:00")),
        ("r2", "p2", "resume two", t("2023-12-02 00:00")),
    ],
    "jobs": [(j, f"title {j}", f"about {j}", t("2023-11-01 00:00")) for j in ("j1", "j2", "j3", "j4")],
    "searches": [("s1", "p1", "nurse", t("2024-01-01 10:00")), ("s2", "p2", "driver", t("2024-01-02 10:00"))],
    "impressions": [
        ("s1", "j1", 1, t("2024-01-01 10:00")),
        ("s1", "j2", 2, t("2024-01-01 10:00")),
        ("s1", "j3", 3, t("2024-01-01 10:00")),
        ("s2", "j2", 1, t("2024-01-02 10:00")),
        ("s2", "j4", 2, t("2024-01-02 10:00")),
    ],
    "clicks": [
        ("c1", "s1", "j2", t("2024-01-01 10:01")),
        ("c2", "s1", "j3", t("2024-01-01 10:02")),
        ("c3", "s2", "j4", t("2024-01-02 10:01")),
    ],
    "applications": [
        ("a1", "r1", "j2", "c1", t("2024-01-01 10:05")),
        ("a2", "r2", "j4", "c3", t("2024-01-02 10:05")),
        ("a3", "r1", "j1", None, t("2024-01-03 09:00")),
    ],
}
EXPECTED_LABELS = {
    ("s1", "r1", "j1"): (1, 0, 0),
    ("s1", "r1", "j2"): (2, 1, 1),
    ("s1", "r1", "j3"): (3, 1, 0),
    ("s2", "r2", "j2"): (1, 0, 0),
    ("s2", "r2", "j4"): (2, 1, 1),
}


@pytest.fixture(scope="module")
def network(spark):
    """The typed tables of the hand-made network."""
    return {table: spark.createDataFrame(rows, ddl(table)) for table, rows in NETWORK.items()}


@pytest.fixture(scope="module")
def checked(network):
    """The hand-made network through the six check nodes, each materialised once.

    localCheckpoint cuts the lineage as the catalog's parquet files do in a real run, so later
    tests don't recompute every check.
    """
    resumes = check_resumes(network["resumes"]).localCheckpoint()
    jobs = check_jobs(network["jobs"]).localCheckpoint()
    searches = check_searches(network["searches"]).localCheckpoint()
    impressions = check_impressions(network["impressions"], searches, jobs).localCheckpoint()
    clicks = check_clicks(network["clicks"], impressions).localCheckpoint()
    applications = check_applications(network["applications"], clicks, resumes).localCheckpoint()
    return dict(zip(RAW_TABLES, (resumes, jobs, searches, impressions, clicks, applications), strict=True))


# --- validate_raw_tables ---------------------------------------------------------------------


def test_validate_missing_column_names_table_column_and_path(spark, network, tmp_path):
    path = tmp_path / "clicks.parquet"
    network["clicks"].drop(SEARCH_ID).write.parquet(str(path))
    clicks = spark.read.parquet(str(path))
    tables = {**network, "clicks": clicks}
    with pytest.raises(RawSchemaError) as error:
        validate_raw_tables(*(tables[name] for name in RAW_TABLES), None)
    message = str(error.value)
    assert "clicks is missing columns ['search_id']" in message
    assert "expected ['click_id', 'search_id', 'job_id', 'clicked_at']" in message
    assert str(path) in message


def test_validate_reports_every_table_at_once(network):
    tables = {
        **network,
        "jobs": network["jobs"].drop("title"),
        "searches": network["searches"].drop(SEARCHED_AT),
    }
    with pytest.raises(RawSchemaError) as error:
        validate_raw_tables(*(tables[name] for name in RAW_TABLES), None)
    assert "jobs is missing columns ['title']" in str(error.value)
    assert "searches is missing columns ['searched_at']" in str(error.value)


def test_validate_rejects_a_type_it_cannot_cast(spark, network):
    searches = spark.createDataFrame([("s1", "p1", "q", [1])], ddl("searches", searched_at="array<int>"))
    tables = {**network, "searches": searches}
    with pytest.raises(
        RawSchemaError, match=r"searches\.searched_at has type array<int>; expected timestamp"
    ):
        validate_raw_tables(*(tables[name] for name in RAW_TABLES), None)


def test_validate_rejects_a_reserved_column_name(network):
    tables = {**network, "clicks": network["clicks"].withColumn(REASON, F.lit("mine"))}
    with pytest.raises(RawSchemaError, match=r"clicks has columns \['reason'\]"):
        validate_raw_tables(*(tables[name] for name in RAW_TABLES), None)


def test_validate_matches_column_names_case_insensitively(network):
    tables = {**network, "searches": network["searches"].withColumnRenamed(SEARCH_ID, "Search_ID")}
    typed = validate_raw_tables(*(tables[name] for name in RAW_TABLES), None)
    assert typed[2].columns == list(RAW_SCHEMAS["searches"])


def test_validate_casts_text_timestamps_and_positions_keeping_what_was_read(spark, network):
    impressions = spark.createDataFrame(
        [("s1", "j1", "2", "2024-01-01T10:00:00Z", "extra")],
        ddl("impressions", position="string", shown_at="string") + ", page string",
    )
    tables = {**network, "impressions": impressions}
    typed = validate_raw_tables(*(tables[name] for name in RAW_TABLES), None)[3]
    row = typed.withColumn("shown", utc_text("shown_at")).first()
    assert typed.schema[POSITION].dataType.simpleString() == "int"
    assert row[POSITION] == 2
    assert row["shown"] == "2024-01-01 10:00"
    assert row["page"] == "extra"
    assert row[ORIGINAL_PREFIX + POSITION] == "2"


def test_validate_uses_the_timestamp_format_parameter(spark, network):
    searches = spark.createDataFrame(
        [("s1", "p1", "q", "02/01/2024 10:30")], ddl("searches", searched_at="string")
    )
    tables = {**network, "searches": searches}
    typed = validate_raw_tables(*(tables[name] for name in RAW_TABLES), "dd/MM/yyyy HH:mm")[2]
    assert typed.select(utc_text(SEARCHED_AT)).first()[0] == "2024-01-02 10:30"


# --- the rules of one table --------------------------------------------------------------------


def test_null_and_blank_keys_are_quarantined(spark):
    resumes = spark.createDataFrame(
        [("r1", "p1", "a", None), (None, "p2", "b", None), ("r3", None, "c", None), (" ", "p4", "d", None)],
        ddl("resumes"),
    )
    checked = check_resumes(resumes)
    assert {row[TEXT]: row[REASON] for row in checked.collect()} == {
        "a": None,
        "b": NULL_KEY,
        "c": NULL_KEY,
        "d": NULL_KEY,
    }


def test_future_timestamps_are_quarantined(spark):
    searches = spark.createDataFrame(
        [("s1", "p1", "q", t("2024-01-01 10:00")), ("s2", "p1", "q", t("2999-01-01 10:00"))], ddl("searches")
    )
    assert reasons(check_searches(searches), SEARCH_ID) == {"s1": None, "s2": FUTURE_TIMESTAMP}


def test_unparseable_timestamp_is_quarantined_with_its_original_text(spark):
    searches = spark.createDataFrame(
        [("s1", "p1", "q", "2024-01-01 10:00"), ("s2", "p1", "q", "yesterday"), ("s3", "p1", "q", None)],
        ddl("searches", searched_at="string"),
    )
    typed = schema._cast_to_contract(searches, "searches", None)
    checked = check_searches(typed)
    assert reasons(checked, SEARCH_ID) == {"s1": None, "s2": UNPARSEABLE_TIMESTAMP, "s3": NULL_SEARCHED_AT}
    quarantine = extract_quarantined_rows(*[checked] * len(RAW_TABLES))[2]
    rows = {row[SEARCH_ID]: row for row in quarantine.collect()}
    assert rows["s2"][SEARCHED_AT] == "yesterday"
    assert quarantine.columns == [*RAW_SCHEMAS["searches"], REASON]


def test_invalid_positions_are_quarantined(spark, checked):
    impressions = spark.createDataFrame(
        [
            ("s1", "j1", "1", None),
            ("s1", "j2", "0", None),
            ("s1", "j3", "abc", None),
            ("s2", "j2", "2.5", None),
            ("s2", "j4", None, None),
            ("s2", "j1", "3.0", None),
        ],
        ddl("impressions", position="string"),
    )
    typed = schema._cast_to_contract(impressions, "impressions", None)
    result = check_impressions(typed, checked["searches"], checked["jobs"])
    found = {(row[SEARCH_ID], row[JOB_ID]): row[REASON] for row in result.collect()}
    assert found == {
        ("s1", "j1"): None,
        ("s1", "j2"): INVALID_POSITION,
        ("s1", "j3"): INVALID_POSITION,
        ("s2", "j2"): INVALID_POSITION,
        ("s2", "j4"): INVALID_POSITION,
        ("s2", "j1"): None,
    }


def test_exact_duplicates_and_duplicate_keys_keep_the_latest_resume(spark):
    rows = [
        ("r1", "p1", "same", t("2024-01-01 00:00")),
        ("r1", "p1", "same", t("2024-01-01 00:00")),
        ("r2", "p2", "old", t("2024-01-01 00:00")),
        ("r2", "p2", "new", t("2024-02-01 00:00")),
        ("r3", "p3", "no time", None),
        ("r3", "p3", "dated", t("2024-01-05 00:00")),
        ("r4", "p4", "v1", t("2024-03-01 00:00")),
        ("r4", "p4", "v0", t("2024-01-01 00:00")),
        ("r4", "p4", "v0", t("2024-01-01 00:00")),
    ]
    checked = check_resumes(spark.createDataFrame(rows, ddl("resumes")))
    found = sorted((row[RESUME_ID], row[TEXT], row[REASON] or "") for row in checked.collect())
    assert found == [
        ("r1", "same", ""),
        ("r1", "same", EXACT_DUPLICATE),
        ("r2", "new", ""),
        ("r2", "old", DUPLICATE_KEY),
        ("r3", "dated", ""),
        ("r3", "no time", DUPLICATE_KEY),
        ("r4", "v0", DUPLICATE_KEY),
        ("r4", "v0", EXACT_DUPLICATE),
        ("r4", "v1", ""),
    ]


def test_duplicate_click_ids_keep_the_first_click(spark, checked):
    clicks = spark.createDataFrame(
        [("c1", "s1", "j3", t("2024-01-01 10:03")), ("c1", "s1", "j2", t("2024-01-01 10:01"))], ddl("clicks")
    )
    result = check_clicks(clicks, checked["impressions"])
    assert {row[JOB_ID]: row[REASON] for row in result.collect()} == {"j2": None, "j3": DUPLICATE_KEY}


def test_exact_duplicate_impressions_are_counted_once_as_valid(spark, checked):
    row = ("s1", "j1", 1, t("2024-01-01 10:00"))
    result = check_impressions(
        spark.createDataFrame([row, row, row], ddl("impressions")), checked["searches"], checked["jobs"]
    )
    assert reason_counts(result) == {None: 1, EXACT_DUPLICATE: 2}


# --- the rules across tables -------------------------------------------------------------------


def test_impressions_of_an_unknown_search_or_job_are_quarantined(spark, checked):
    impressions = spark.createDataFrame(
        [("s1", "j1", 1, None), ("s9", "j1", 1, None), ("s1", "j9", 2, None)], ddl("impressions")
    )
    result = check_impressions(impressions, checked["searches"], checked["jobs"])
    found = {(row[SEARCH_ID], row[JOB_ID]): row[REASON] for row in result.collect()}
    assert found == {("s1", "j1"): None, ("s9", "j1"): UNKNOWN_SEARCH, ("s1", "j9"): UNKNOWN_JOB}


def test_a_quarantined_search_makes_its_impressions_unknown(spark, checked):
    searches = spark.createDataFrame([("s1", "p1", "q", None)], ddl("searches"))
    impressions = spark.createDataFrame([("s1", "j1", 1, None)], ddl("impressions"))
    result = check_impressions(impressions, check_searches(searches), checked["jobs"])
    assert reason_counts(result) == {UNKNOWN_SEARCH: 1}


def test_clicks_without_a_matching_impression_are_quarantined(spark, checked):
    clicks = spark.createDataFrame(
        [
            ("c1", "s1", "j2", None),
            ("c2", "s2", "j3", None),
            ("c3", "s9", "j1", None),
            ("c4", None, "j1", None),
        ],
        ddl("clicks"),
    )
    result = check_clicks(clicks, checked["impressions"])
    assert reasons(result, CLICK_ID) == {
        "c1": None,
        "c2": NO_MATCHING_IMPRESSION,
        "c3": NO_MATCHING_IMPRESSION,
        "c4": NULL_KEY,
    }


def test_application_rules(spark, checked):
    applications = spark.createDataFrame(
        [
            ("a1", "r1", "j2", "c1", None),  # valid
            ("a2", "r9", "j2", "c1", None),  # resume unknown
            ("a3", "r1", "j2", "c9", None),  # click unknown
            ("a4", "r1", "j4", "c1", None),  # c1 clicked j2, not j4
            ("a5", "r2", "j1", None, None),  # from elsewhere: valid, joins no search
            ("a6", "r2", None, None, None),  # null job
        ],
        ddl("applications"),
    )
    result = check_applications(applications, checked["clicks"], checked["resumes"])
    assert reasons(result, "application_id") == {
        "a1": None,
        "a2": UNKNOWN_RESUME,
        "a3": UNKNOWN_CLICK,
        "a4": JOB_DIFFERS_FROM_CLICK,
        "a5": None,
        "a6": NULL_KEY,
    }


def test_quarantine_keeps_the_rows_as_read_and_extra_columns(spark, checked):
    clicks = spark.createDataFrame(
        [("c1", "s1", "j2", "2024-01-01 10:01", "web"), ("c2", "s9", "j2", "2024-01-01 10:01", "app")],
        ddl("clicks", clicked_at="string") + ", device string",
    )
    result = check_clicks(schema._cast_to_contract(clicks, "clicks", None), checked["impressions"])
    quarantine = extract_quarantined_rows(*(result for _ in RAW_TABLES))[4]
    assert quarantine.columns == ["click_id", "search_id", "job_id", "clicked_at", "device", REASON]
    assert [tuple(row) for row in quarantine.collect()] == [
        ("c2", "s9", "j2", "2024-01-01 10:01", "app", NO_MATCHING_IMPRESSION)
    ]


def test_the_hand_made_network_is_all_valid(checked):
    for table, frame in checked.items():
        assert reason_counts(frame) == {None: len(NETWORK[table])}, table


# --- valid documents, joins, split, labels -----------------------------------------------------


def test_select_valid_documents_puts_contract_columns_first(spark, checked):
    resumes = spark.createDataFrame(
        [("x", "r1", "p1", "a", None), ("y", None, "p2", "b", None)], "city string, " + ddl("resumes")
    )
    valid_resumes, valid_jobs = select_valid_documents(check_resumes(resumes), checked["jobs"])
    assert valid_resumes.columns == [*RAW_SCHEMAS["resumes"], "city"]
    assert [row[RESUME_ID] for row in valid_resumes.collect()] == ["r1"]
    assert valid_jobs.columns == list(RAW_SCHEMAS["jobs"])
    assert valid_jobs.count() == 4


def test_join_clicks_to_applications_gives_search_resume_job(checked):
    pairs = join_clicks_to_applications(checked["applications"], checked["clicks"])
    assert sorted(tuple(row) for row in pairs.collect()) == [("s1", "r1", "j2"), ("s2", "r2", "j4")]


def test_define_query_groups_adds_the_search_time(checked):
    pairs = join_clicks_to_applications(checked["applications"], checked["clicks"])
    groups = define_query_groups(pairs, checked["searches"])
    assert sorted(tuple(row) for row in groups.collect()) == [
        ("s1", "r1", t("2024-01-01 10:00")),
        ("s2", "r2", t("2024-01-02 10:00")),
    ]


def _groups(spark, times: list[int]):
    """Groups g0, g1, ... searched at hour times[i] of 2024-01-01 (search s<i>)."""
    rows = [(f"s{i}", f"r{i}", datetime(2024, 1, 1, hour)) for i, hour in enumerate(times)]
    return spark.createDataFrame(rows, "search_id string, resume_id string, searched_at timestamp")


def test_split_puts_the_latest_fifth_in_test(spark):
    split = split_groups_by_time(_groups(spark, [5, 1, 9, 3, 7, 2, 8, 4, 10, 6]), 0.2)
    test_hours = sorted(row[SEARCHED_AT].hour for row in split.filter(F.col(SPLIT) == TEST).collect())
    assert test_hours == [9, 10]
    assert split.filter(F.col(SPLIT) == TRAIN).count() == 8


def test_split_sends_ties_at_the_cutoff_to_train(spark):
    # Cut-off = 0.6 quantile of [1, 2, 3, 3, 4] = 3: the two groups at 3 both go to train.
    split = split_groups_by_time(_groups(spark, [1, 2, 3, 3, 4]), 0.4)
    assert {row[SEARCH_ID]: row[SPLIT] for row in split.collect()} == {
        "s0": TRAIN,
        "s1": TRAIN,
        "s2": TRAIN,
        "s3": TRAIN,
        "s4": TEST,
    }


def test_split_keeps_every_group_of_a_search_together(spark):
    # Cut-off = 0.5 quantile of [day 1, day 2, day 3, day 3] = day 2: search s3's groups are both test.
    rows = [("s1", "r1", 1), ("s2", "r1", 2), ("s3", "r1", 3), ("s3", "r2", 3)]
    groups = spark.createDataFrame(
        [(search, resume, datetime(2024, 1, day)) for search, resume, day in rows],
        "search_id string, resume_id string, searched_at timestamp",
    )
    split = split_groups_by_time(groups, 0.5)
    assert {(row[SEARCH_ID], row[RESUME_ID]): row[SPLIT] for row in split.collect()} == {
        ("s1", "r1"): TRAIN,
        ("s2", "r1"): TRAIN,
        ("s3", "r1"): TEST,
        ("s3", "r2"): TEST,
    }


def test_split_of_three_groups_keeps_the_latest_in_test(spark):
    # The 0.8 quantile of [1, 2, 3] is 3, the last time: no group after it, so the cut-off moves
    # back to 2 and the group searched last (hour 3) is the test set.
    split = split_groups_by_time(_groups(spark, [2, 3, 1]), 0.2)
    assert {row[SEARCH_ID]: row[SPLIT] for row in split.collect()} == {"s0": TRAIN, "s1": TEST, "s2": TRAIN}


def test_split_keeps_all_groups_tied_at_the_last_time_together_in_test(spark):
    split = split_groups_by_time(_groups(spark, [1, 4, 4, 4]), 0.2)
    assert {row[SEARCH_ID]: row[SPLIT] for row in split.collect()} == {
        "s0": TRAIN, "s1": TEST, "s2": TEST, "s3": TEST,
    }


def test_split_stops_when_all_groups_share_one_search_time(spark):
    with pytest.raises(TooFewGroupsError, match=r"all 2 query groups .* at least two distinct searched_at"):
        split_groups_by_time(_groups(spark, [5, 5]), 0.2)


def test_split_stops_on_no_groups(spark):
    with pytest.raises(TooFewGroupsError, match="query_groups is empty"):
        split_groups_by_time(_groups(spark, [5]).limit(0), 0.2)


def test_validate_stops_on_an_empty_table_naming_it(spark, network):
    tables = {**network, "clicks": network["clicks"].limit(0)}
    with pytest.raises(RawSchemaError, match=r"clicks has no rows; expected at least one \(not read from files\)"):
        validate_raw_tables(*(tables[name] for name in RAW_TABLES), None)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_split_rejects_a_fraction_outside_0_1(spark, fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        split_groups_by_time(_groups(spark, [1, 2]), fraction)


def test_restore_impressions_labels_clicks_and_applications(checked):
    pairs = join_clicks_to_applications(checked["applications"], checked["clicks"])
    split = split_groups_by_time(define_query_groups(pairs, checked["searches"]), 0.5)
    labeled = restore_impressions(split, checked["impressions"], checked["clicks"], pairs, 3)
    assert labeled.columns == list(LABELED_IMPRESSIONS_COLUMNS)
    types = dict(labeled.dtypes)
    assert (types[POSITION], types[LABEL], types[APPLIED]) == ("int", "int", "int")
    found = {
        (r[SEARCH_ID], r[RESUME_ID], r[JOB_ID]): (r[POSITION], r[LABEL], r[APPLIED])
        for r in labeled.collect()
    }
    assert found == EXPECTED_LABELS
    assert {r[SEARCH_ID]: r[SPLIT] for r in labeled.collect()} == {"s1": TRAIN, "s2": TEST}
    assert labeled.rdd.getNumPartitions() == 3


def test_summarise_data_quality_counts_by_hand(spark, checked):
    searches = spark.createDataFrame(
        NETWORK["searches"] + [NETWORK["searches"][0], ("s3", "p1", "q", None)], ddl("searches")
    )
    tables = {**checked, "searches": check_searches(searches)}
    pairs = join_clicks_to_applications(tables["applications"], tables["clicks"])
    split = split_groups_by_time(define_query_groups(pairs, tables["searches"]), 0.5)
    labeled = restore_impressions(split, tables["impressions"], tables["clicks"], pairs, None)
    quality = summarise_data_quality(*(tables[name] for name in RAW_TABLES), labeled, 0.5)
    assert quality["tables"]["searches"] == {
        "rows_in": 4,
        "rows_used": 2,
        "rows_out": 2,
        "rows_quarantined": 2,
        "quarantined": {
            NULL_KEY: 0,
            UNPARSEABLE_TIMESTAMP: 0,
            FUTURE_TIMESTAMP: 0,
            NULL_SEARCHED_AT: 1,
            EXACT_DUPLICATE: 1,
            DUPLICATE_KEY: 0,
        },
        "exact_duplicates_dropped": 1,
    }
    assert quality["applications_without_click"] == 1
    expected = {
        "all": (2, 5, 3, 2),
        TRAIN: (1, 3, 2, 1),
        TEST: (1, 2, 1, 1),
    }
    found = {
        name: tuple(counts[k] for k in ("groups", "impressions", "positives", "applications"))
        for name, counts in quality["labeled_impressions"].items()
    }
    assert found == expected
    # s1 (3 shown, 2 clicked) and s2 (2 shown, 1 clicked): no degenerate group.
    degenerate = ("groups_with_one_impression", "groups_all_clicked", "groups_none_clicked")
    assert [quality["labeled_impressions"]["all"][k] for k in degenerate] == [0, 0, 0]
    summary = quality["labeled_impressions"]
    assert summary[TRAIN]["last_searched_at"] < summary[TEST]["first_searched_at"]
    assert summary[TEST]["last_searched_at"].endswith("Z")
    assert quality["split"]["test_share_of_groups"] == 0.5


# --- the whole pipeline --------------------------------------------------------------------------


def test_pipeline_inputs_and_outputs():
    pipeline = create_pipeline()
    assert pipeline.inputs() == {
        *(f"raw_{table}@spark" for table in RAW_TABLES),
        "params:data_integration.timestamp_format",
        "params:data_integration.test_fraction",
        "params:data_integration.output_partitions",
    }
    assert {
        *(f"quarantine_{table}" for table in RAW_TABLES),
        "valid_resumes",
        "valid_jobs",
        "labeled_impressions",
        "data_quality",
    } <= pipeline.all_outputs()


class KeptDataset(MemoryDataset):
    """A MemoryDataset the runner cannot release, so a test can read intermediate outputs.

    Spark frames are checkpointed on save, as the catalog's parquet files cut the lineage in a
    real run (otherwise each node would recompute every node before it).
    """

    def save(self, data) -> None:
        super().save(data.localCheckpoint() if isinstance(data, DataFrame) else data)

    def _release(self) -> None:
        pass


def test_pipeline_runs_on_a_messy_hand_made_network(spark):
    # The network above, its timestamps and positions as text, plus one row breaking each rule.
    def as_text(value):
        return None if value is None else str(value)

    raw = {
        table: [tuple(as_text(v) if isinstance(v, (datetime, int)) else v for v in row) for row in rows]
        for table, rows in NETWORK.items()
    }
    raw["resumes"] += [("r3", None, "no seeker", None)]
    raw["jobs"] += [raw["jobs"][0]]
    raw["searches"] += [("s3", "p1", "q", "not a time")]
    raw["impressions"] += [("s3", "j1", "1", None), ("s1", "j4", "-2", None)]
    raw["clicks"] += [("c4", "s2", "j3", None)]
    raw["applications"] += [("a4", "r1", "j3", "c4", None), ("a5", "r2", "j1", "c1", None)]
    text_types = {
        "position": "string",
        **{
            c: "string"
            for c in ("updated_at", "posted_at", "searched_at", "shown_at", "clicked_at", "applied_at")
        },
    }
    catalog = DataCatalog(
        datasets={
            **{
                f"raw_{table}@spark": MemoryDataset(spark.createDataFrame(rows, ddl(table, **text_types)))
                for table, rows in raw.items()
            },
            "params:data_integration.timestamp_format": MemoryDataset(None),
            "params:data_integration.test_fraction": MemoryDataset(0.5),
            "params:data_integration.output_partitions": MemoryDataset(None),
            **{
                name: KeptDataset()
                for name in create_pipeline().all_outputs()
                if not name.startswith("typed_")
            },
        }
    )
    SequentialRunner().run(create_pipeline(), catalog)
    labeled = catalog.load("labeled_impressions")
    found = {
        (r[SEARCH_ID], r[RESUME_ID], r[JOB_ID]): (r[POSITION], r[LABEL], r[APPLIED])
        for r in labeled.collect()
    }
    assert found == EXPECTED_LABELS
    quality = catalog.load("data_quality")
    quarantined = {
        table: {rule: rows for rule, rows in counts["quarantined"].items() if rows}
        for table, counts in quality["tables"].items()
    }
    assert quarantined == {
        "resumes": {NULL_KEY: 1},
        "jobs": {EXACT_DUPLICATE: 1},
        "searches": {UNPARSEABLE_TIMESTAMP: 1},
        "impressions": {INVALID_POSITION: 1, UNKNOWN_SEARCH: 1},
        "clicks": {NO_MATCHING_IMPRESSION: 1},
        "applications": {UNKNOWN_CLICK: 1, JOB_DIFFERS_FROM_CLICK: 1},
    }
    for table in RAW_TABLES:
        counts = quality["tables"][table]
        assert counts["rows_in"] == len(raw[table]) == counts["rows_used"] + counts["rows_quarantined"]
        assert catalog.load(f"quarantine_{table}").count() == counts["rows_quarantined"]
    assert catalog.load("quarantine_searches").first()[SEARCHED_AT] == "not a time"
    assert catalog.load("valid_resumes").count() == 2
