"""Data contract v2 in data_integration: the optional columns are checked, cast, carried and
quarantined when out of range, and everything works (one log line) when they are absent."""

from __future__ import annotations

import logging

import pytest
from pyspark.sql import functions as F

from job_reco.columns import (
    EXPERIMENT,
    JOB_ID,
    LABELED_IMPRESSIONS_COLUMNS,
    LATITUDE,
    LEVEL,
    LONGITUDE,
    OPTIONAL_SCHEMAS,
    RAW_TABLES,
    REASON,
    REMOTE,
    RESUME_ID,
    SALARY_MAX,
    SALARY_MIN,
    SEARCH_ID,
    SPLIT,
    TRAIN,
)
from job_reco.pipelines.data_integration.joins import (
    define_query_groups,
    join_clicks_to_applications,
    restore_impressions,
)
from job_reco.pipelines.data_integration.quarantine import (
    INVALID_COORDINATE,
    TABLE_RULES,
    UNPARSEABLE_VALUE,
    check_applications,
    check_clicks,
    check_impressions,
    check_jobs,
    check_resumes,
    check_searches,
    extract_quarantined_rows,
    select_valid_documents,
)
from job_reco.pipelines.data_integration.schema import RawSchemaError, validate_raw_tables
from job_reco.pipelines.data_integration.split import split_groups_by_time
from tests.pipelines.data_integration.test_nodes import NETWORK, ddl

SWAP_3 = "swap_1_3"


def v2_network(spark) -> dict:
    """The hand-made network of test_nodes with v2 columns, as a network would log them (some as text).

    r2 lives at latitude 95 (impossible); j3's salary_min is "n/a"; s1 is a randomized search.
    """
    resumes = [(*row, city, lat, lon) for row, (city, lat, lon) in zip(
        NETWORK["resumes"], [("Houston, TX", 29.76, -95.36), ("Dallas, TX", 95.0, -96.8)], strict=True)]
    jobs = [(*row, "Austin, TX", "TX", "30.27", "-97.74", remote, salary, "60000", "mid") for row, remote, salary in zip(
        NETWORK["jobs"], ["true", "false", "0", "1"], ["50000", "52000", "n/a", "48000"], strict=True)]
    searches = [(*row, experiment) for row, experiment in zip(NETWORK["searches"], [SWAP_3, None],
                                                                strict=True)]
    tables = {
        **{table: spark.createDataFrame(rows, ddl(table)) for table, rows in NETWORK.items()},
        "resumes": spark.createDataFrame(resumes, ddl("resumes") + ", city string, latitude double, longitude double"),
        "jobs": spark.createDataFrame(jobs, ddl("jobs") + ", city string, state string, latitude string, "
                                      "longitude string, remote string, salary_min string, salary_max string, "
                                      "level string"),
        "searches": spark.createDataFrame(searches, ddl("searches") + ", experiment string"),
    }
    return tables


def run_checks(typed: tuple) -> dict:
    resumes, jobs, searches, impressions, clicks, applications = typed
    resumes, jobs, searches = check_resumes(resumes), check_jobs(jobs), check_searches(searches)
    impressions = check_impressions(impressions, searches, jobs)
    clicks = check_clicks(clicks, impressions)
    applications = check_applications(applications, clicks, resumes)
    return dict(zip(RAW_TABLES, (resumes, jobs, searches, impressions, clicks, applications), strict=True))


@pytest.fixture(scope="module")
def v2_checked(spark) -> dict:
    tables = v2_network(spark)
    return run_checks(validate_raw_tables(*(tables[name] for name in RAW_TABLES), None))


def test_optional_columns_are_cast_to_their_contract_types(v2_checked):
    types = dict(v2_checked["jobs"].dtypes)
    assert (types[LATITUDE], types[REMOTE], types[SALARY_MIN], types[LEVEL]) == ("double", "boolean", "double", "string")
    remote = {row[JOB_ID]: row[REMOTE] for row in v2_checked["jobs"].collect()}
    assert remote == {"j1": True, "j2": False, "j3": False, "j4": True}


def test_impossible_coordinates_and_unparseable_values_are_quarantined_with_a_reason(v2_checked):
    quarantine = dict(zip(RAW_TABLES, extract_quarantined_rows(*(v2_checked[t] for t in RAW_TABLES)), strict=True))
    resumes = {row[RESUME_ID]: (row[REASON], row[LATITUDE]) for row in quarantine["resumes"].collect()}
    assert resumes == {"r2": (INVALID_COORDINATE, 95.0)}
    jobs = {row[JOB_ID]: (row[REASON], row[SALARY_MIN]) for row in quarantine["jobs"].collect()}
    assert jobs == {"j3": (UNPARSEABLE_VALUE, "n/a")}  # the value as it was read
    assert INVALID_COORDINATE in TABLE_RULES["resumes"].reasons and INVALID_COORDINATE in TABLE_RULES["jobs"].reasons


def test_longitude_out_of_range_is_quarantined_too(spark):
    tables = v2_network(spark)
    tables["resumes"] = tables["resumes"].withColumn(LATITUDE, F.lit(10.0)).withColumn(
        LONGITUDE, F.when(F.col(RESUME_ID) == "r1", F.lit(-181.0)).otherwise(F.lit(180.0)))
    checked = check_resumes(validate_raw_tables(*(tables[name] for name in RAW_TABLES), None)[0])
    assert {row[RESUME_ID]: row[REASON] for row in checked.collect()} == {"r1": INVALID_COORDINATE, "r2": None}


def test_v2_columns_are_carried_to_the_documents_and_labeled_impressions(v2_checked):
    resumes, jobs = select_valid_documents(v2_checked["resumes"], v2_checked["jobs"])
    assert set(OPTIONAL_SCHEMAS["jobs"]) <= set(jobs.columns)
    assert {"city", LATITUDE, LONGITUDE} <= set(resumes.columns)
    pairs = join_clicks_to_applications(v2_checked["applications"], v2_checked["clicks"])
    # One group is left (see below): too few to split in time, so it is put in train by hand here.
    groups = define_query_groups(pairs, v2_checked["searches"]).withColumn(SPLIT, F.lit(TRAIN))
    labeled = restore_impressions(groups, v2_checked["impressions"], v2_checked["clicks"], pairs, None)
    assert labeled.columns == [*LABELED_IMPRESSIONS_COLUMNS, EXPERIMENT]
    experiment = {row[SEARCH_ID]: row[EXPERIMENT] for row in labeled.select(SEARCH_ID, EXPERIMENT).distinct().collect()}
    # r2's resume is quarantined (latitude 95), so its application and group s2 are gone
    assert experiment == {"s1": SWAP_3}


def test_without_v2_columns_everything_works_and_one_line_says_which_features_are_off(spark, caplog):
    tables = {table: spark.createDataFrame(rows, ddl(table)) for table, rows in NETWORK.items()}
    with caplog.at_level(logging.INFO, logger="job_reco.pipelines.data_integration.schema"):
        typed = validate_raw_tables(*(tables[name] for name in RAW_TABLES), None)
    lines = [r.getMessage() for r in caplog.records if "Optional data-contract v2 columns absent" in r.getMessage()]
    assert len(lines) == 1 and "salary_max" in lines[0] and "experiment" in lines[0]
    checked = run_checks(typed)
    pairs = join_clicks_to_applications(checked["applications"], checked["clicks"])
    groups = split_groups_by_time(define_query_groups(pairs, checked["searches"]), 0.5)
    labeled = restore_impressions(groups, checked["impressions"], checked["clicks"], pairs, None)
    assert labeled.columns == list(LABELED_IMPRESSIONS_COLUMNS) and labeled.count() == 5


def test_an_optional_column_of_a_type_that_cannot_cast_is_a_schema_error(spark):
    tables = v2_network(spark)
    tables["jobs"] = tables["jobs"].withColumn(SALARY_MAX, F.array(F.lit(1)))
    with pytest.raises(RawSchemaError, match=r"jobs\.salary_max has type array<int>; expected double"):
        validate_raw_tables(*(tables[name] for name in RAW_TABLES), None)
