"""The quarantine: each raw table's rows checked against its own rules and its parents, bad rows set aside.

A *checked* table is its typed raw table plus a `reason` column: null for a valid row, else the
first quarantine rule the row broke. Valid rows and quarantined rows are two filters of it, so
every raw row ends up in exactly one of them (rows in = rows out + rows quarantined).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from job_reco.columns import (
    APPLICATION_ID,
    APPLIED_AT,
    CLICK_ID,
    CLICKED_AT,
    JOB_ID,
    LATITUDE,
    LONGITUDE,
    OPTIONAL_SCHEMAS,
    POSITION,
    POSTED_AT,
    RAW_SCHEMAS,
    REASON,
    RESUME_ID,
    SEARCH_ID,
    SEARCHED_AT,
    SEEKER_ID,
    SHOWN_AT,
    UPDATED_AT,
)
from job_reco.pipelines.data_integration.schema import ORIGINAL_PREFIX

# Quarantine reasons, in the order they are tried: a row gets the first one it breaks.
NULL_KEY = "null_key"
UNPARSEABLE_TIMESTAMP = "unparseable_timestamp"
FUTURE_TIMESTAMP = "future_timestamp"
INVALID_POSITION = "invalid_position"
NULL_SEARCHED_AT = "null_searched_at"
EXACT_DUPLICATE = "exact_duplicate"
DUPLICATE_KEY = "duplicate_key"
UNKNOWN_SEARCH = "unknown_search"
UNKNOWN_JOB = "unknown_job"
NO_MATCHING_IMPRESSION = "no_matching_impression"
UNKNOWN_RESUME = "unknown_resume"
UNKNOWN_CLICK = "unknown_click"
JOB_DIFFERS_FROM_CLICK = "job_differs_from_click"
UNPARSEABLE_VALUE = "unparseable_value"
INVALID_COORDINATE = "invalid_coordinate"
# Data contract v2: the valid range of each optional coordinate column.
COORDINATE_RANGES = {LATITUDE: (-90.0, 90.0), LONGITUDE: (-180.0, 180.0)}


_FOUND = "__found__"
_PARENT_JOB_ID = "__parent_job_id__"
_RANK = "__rank__"
_IS_EXACT = "__is_exact__"
_FLAGGED = "__flagged__"


@dataclass(frozen=True)
class TableRules:
    """What makes a row of one raw table valid on its own (before the checks across tables)."""

    key: tuple[str, ...]
    required: tuple[str, ...]
    time: str
    keep_latest: bool
    reasons: tuple[str, ...]


_ROW_REASONS = (NULL_KEY, UNPARSEABLE_TIMESTAMP, FUTURE_TIMESTAMP)
# Tables with optional (v2) numeric or boolean columns: a value that does not cast, a coordinate out of range.
_V2_REASONS = (UNPARSEABLE_VALUE, INVALID_COORDINATE)
_DUPLICATE_REASONS = (EXACT_DUPLICATE, DUPLICATE_KEY)

# Reference tables (resumes, jobs) keep the latest version of a duplicated key; event tables keep
# the first event. `reasons` lists every rule a table is checked against, in order.
TABLE_RULES: dict[str, TableRules] = {
    "resumes": TableRules(
        (RESUME_ID,), (RESUME_ID, SEEKER_ID), UPDATED_AT, True, (*_ROW_REASONS, *_V2_REASONS, *_DUPLICATE_REASONS)
    ),
    "jobs": TableRules(
        (JOB_ID,), (JOB_ID,), POSTED_AT, True, (*_ROW_REASONS, *_V2_REASONS, *_DUPLICATE_REASONS)
    ),
    "searches": TableRules(
        (SEARCH_ID,),
        (SEARCH_ID,),
        SEARCHED_AT,
        False,
        (*_ROW_REASONS, NULL_SEARCHED_AT, *_DUPLICATE_REASONS),
    ),
    "impressions": TableRules(
        (SEARCH_ID, JOB_ID),
        (SEARCH_ID, JOB_ID),
        SHOWN_AT,
        False,
        (*_ROW_REASONS, INVALID_POSITION, *_DUPLICATE_REASONS, UNKNOWN_SEARCH, UNKNOWN_JOB),
    ),
    "clicks": TableRules(
        (CLICK_ID,),
        (CLICK_ID, SEARCH_ID, JOB_ID),
        CLICKED_AT,
        False,
        (*_ROW_REASONS, *_DUPLICATE_REASONS, NO_MATCHING_IMPRESSION),
    ),
    "applications": TableRules(
        (APPLICATION_ID,),
        (APPLICATION_ID, RESUME_ID, JOB_ID),
        APPLIED_AT,
        False,
        (*_ROW_REASONS, *_DUPLICATE_REASONS, UNKNOWN_RESUME, UNKNOWN_CLICK, JOB_DIFFERS_FROM_CLICK),
    ),
}


def _coordinate_out_of_range(df: DataFrame) -> list[Column]:
    """Conditions: a present latitude/longitude outside its range."""
    return [
        F.col(c).isNotNull() & ~F.col(c).between(low, high)
        for c, (low, high) in COORDINATE_RANGES.items()
        if c in df.columns
    ]


def _visible_columns(df: DataFrame) -> list[str]:
    """The columns of a typed table, without the kept originals and without `reason`."""
    return [c for c in df.columns if not c.startswith(ORIGINAL_PREFIX) and c != REASON]


def _first_reason(rules: list[tuple[Column, str]]) -> Column:
    """A `reason` column: the reason of the first rule whose condition holds, else null."""
    reason = F.lit(None).cast("string")
    for condition, name in reversed(rules):
        reason = F.when(condition, F.lit(name)).otherwise(reason)
    return reason


def _flag_row_rules(df: DataFrame, table: str) -> DataFrame:
    """Add `reason` for the rules a row breaks on its own: null or blank keys, unparseable or future times."""
    rules = TABLE_RULES[table]
    blank = (F.col(c).isNull() | (F.trim(F.col(c)) == "") for c in rules.required)
    conditions = [(reduce(lambda a, b: a | b, blank), NULL_KEY)]
    unparseable = [
        F.col(ORIGINAL_PREFIX + c).isNotNull() & F.col(c).isNull()
        for c, kind in RAW_SCHEMAS[table].items()
        if kind == "timestamp" and ORIGINAL_PREFIX + c in df.columns
    ]
    if unparseable:
        conditions.append((reduce(lambda a, b: a | b, unparseable), UNPARSEABLE_TIMESTAMP))
    # Later than the run itself: a clock or a time-zone error; it would also decide the split.
    future = [F.col(c) > F.current_timestamp() for c, kind in RAW_SCHEMAS[table].items() if kind == "timestamp"]
    conditions.append((reduce(lambda a, b: a | b, future), FUTURE_TIMESTAMP))
    not_cast = [
        F.col(ORIGINAL_PREFIX + c).isNotNull() & F.col(c).isNull()
        for c in OPTIONAL_SCHEMAS.get(table, {})
        if ORIGINAL_PREFIX + c in df.columns
    ]
    if UNPARSEABLE_VALUE in rules.reasons and not_cast:
        conditions.append((reduce(lambda a, b: a | b, not_cast), UNPARSEABLE_VALUE))
    out_of_range = _coordinate_out_of_range(df)
    if INVALID_COORDINATE in rules.reasons and out_of_range:
        conditions.append((reduce(lambda a, b: a | b, out_of_range), INVALID_COORDINATE))
    if INVALID_POSITION in rules.reasons:
        conditions.append((F.col(POSITION).isNull() | (F.col(POSITION) < 1), INVALID_POSITION))
    if NULL_SEARCHED_AT in rules.reasons:
        conditions.append((F.col(SEARCHED_AT).isNull(), NULL_SEARCHED_AT))
    return df.withColumn(REASON, _first_reason(conditions))


def _orderable(df: DataFrame, column: str) -> Column:
    """A column as something Spark can sort and compare (maps are not: use their JSON)."""
    if isinstance(df.schema[column].dataType, T.MapType):
        return F.to_json(F.col(column))
    return F.col(column)


def _flag_duplicates(df: DataFrame, table: str) -> DataFrame:
    """Flag exact duplicates and other rows of an already-kept key, keeping one row per key.

    Rows of one key are sorted by the table's time (latest first for resumes and jobs, first
    event first for the event tables; nulls last), then by every other column: the first row is
    kept, a row equal to the one before it in every column is an exact duplicate, any other a
    duplicate key. One window, so one shuffle by key.
    """
    rules = TABLE_RULES[table]
    visible = _visible_columns(df)
    time = F.col(rules.time).desc_nulls_last() if rules.keep_latest else F.col(rules.time).asc_nulls_last()
    others = [c for c in visible if c != rules.time and c not in rules.key]
    originals = [c for c in df.columns if c.startswith(ORIGINAL_PREFIX)]
    order = [time, *(_orderable(df, c).asc_nulls_first() for c in [*others, *originals])]
    window = Window.partitionBy(*rules.key, _FLAGGED).orderBy(*order)
    same_as_previous = reduce(
        lambda a, b: a & b,
        (_orderable(df, c).eqNullSafe(F.lag(_orderable(df, c)).over(window)) for c in visible),
    )
    flagged = (
        df.withColumn(_FLAGGED, F.col(REASON).isNotNull())
        .withColumn(_RANK, F.row_number().over(window))
        .withColumn(_IS_EXACT, (F.col(_RANK) > 1) & same_as_previous)
    )
    duplicate = F.when(F.col(_IS_EXACT), F.lit(EXACT_DUPLICATE)).when(F.col(_RANK) > 1, F.lit(DUPLICATE_KEY))
    return flagged.withColumn(REASON, F.coalesce(F.col(REASON), duplicate)).drop(_FLAGGED, _RANK, _IS_EXACT)


def valid_rows(checked: DataFrame) -> DataFrame:
    """The rows of a checked table that passed every rule, with the contract's typed columns."""
    return checked.filter(F.col(REASON).isNull()).select(*_visible_columns(checked))


def _flag_unknown(df: DataFrame, parent: DataFrame, on: list[str], reason: str) -> DataFrame:
    """Flag rows (not flagged yet) whose `on` key is absent from `parent`, a table unique on it."""
    found = parent.select(*on).withColumn(_FOUND, F.lit(True))
    joined = df.join(found, on=on, how="left")
    unknown = F.col(REASON).isNull() & F.col(_FOUND).isNull()
    return joined.withColumn(REASON, F.when(unknown, F.lit(reason)).otherwise(F.col(REASON))).select(
        *df.columns
    )


def check_resumes(typed_resumes: DataFrame) -> DataFrame:
    """Flag resumes with a null key or seeker, an unparseable time, or a duplicated resume_id."""
    return _flag_duplicates(_flag_row_rules(typed_resumes, "resumes"), "resumes")


def check_jobs(typed_jobs: DataFrame) -> DataFrame:
    """Flag jobs with a null job_id, an unparseable time, or a duplicated job_id."""
    return _flag_duplicates(_flag_row_rules(typed_jobs, "jobs"), "jobs")


def check_searches(typed_searches: DataFrame) -> DataFrame:
    """Flag searches with a null key, no usable searched_at, or a duplicated search_id."""
    return _flag_duplicates(_flag_row_rules(typed_searches, "searches"), "searches")


def check_impressions(
    typed_impressions: DataFrame, checked_searches: DataFrame, checked_jobs: DataFrame
) -> DataFrame:
    """Flag bad impression rows, and impressions of a search or a job that is not valid."""
    # One shuffle by search_id serves both the duplicate window (search_id, job_id) and the join
    # with searches, which would otherwise shuffle the largest table twice.
    by_search = typed_impressions.repartition(SEARCH_ID)
    flagged = _flag_duplicates(_flag_row_rules(by_search, "impressions"), "impressions")
    flagged = _flag_unknown(flagged, valid_rows(checked_searches), [SEARCH_ID], UNKNOWN_SEARCH)
    return _flag_unknown(flagged, valid_rows(checked_jobs), [JOB_ID], UNKNOWN_JOB)


def check_clicks(typed_clicks: DataFrame, checked_impressions: DataFrame) -> DataFrame:
    """Flag bad click rows, and clicks on a (search_id, job_id) no valid impression showed."""
    flagged = _flag_duplicates(_flag_row_rules(typed_clicks, "clicks"), "clicks")
    return _flag_unknown(flagged, valid_rows(checked_impressions), [SEARCH_ID, JOB_ID], NO_MATCHING_IMPRESSION)


def check_applications(
    typed_applications: DataFrame, checked_clicks: DataFrame, checked_resumes: DataFrame
) -> DataFrame:
    """Flag bad applications: unknown resume, unknown click, or a job other than its click's.

    A null click_id is valid (the application came from elsewhere); it joins no search.
    """
    flagged = _flag_duplicates(_flag_row_rules(typed_applications, "applications"), "applications")
    flagged = _flag_unknown(flagged, valid_rows(checked_resumes), [RESUME_ID], UNKNOWN_RESUME)
    clicks = valid_rows(checked_clicks).select(
        CLICK_ID, F.col(JOB_ID).alias(_PARENT_JOB_ID), F.lit(True).alias(_FOUND)
    )
    joined = flagged.join(clicks, on=[CLICK_ID], how="left")
    reason = (
        F.when(F.col(REASON).isNotNull(), F.col(REASON))
        .when(F.col(CLICK_ID).isNotNull() & F.col(_FOUND).isNull(), F.lit(UNKNOWN_CLICK))
        .when(F.col(_FOUND) & (F.col(_PARENT_JOB_ID) != F.col(JOB_ID)), F.lit(JOB_DIFFERS_FROM_CLICK))
    )
    return joined.withColumn(REASON, reason).select(*flagged.columns)


def _quarantined(checked: DataFrame) -> DataFrame:
    """The quarantined rows of a checked table, with the columns as they were read, + `reason`."""
    columns = [
        F.col(ORIGINAL_PREFIX + c).alias(c) if ORIGINAL_PREFIX + c in checked.columns else F.col(c)
        for c in _visible_columns(checked)
    ]
    return checked.filter(F.col(REASON).isNotNull()).select(*columns, REASON)


def extract_quarantined_rows(
    checked_resumes: DataFrame,
    checked_jobs: DataFrame,
    checked_searches: DataFrame,
    checked_impressions: DataFrame,
    checked_clicks: DataFrame,
    checked_applications: DataFrame,
) -> tuple[DataFrame, DataFrame, DataFrame, DataFrame, DataFrame, DataFrame]:
    """The quarantine of every table: its rejected rows as read, each with its `reason`."""
    checked = (
        checked_resumes,
        checked_jobs,
        checked_searches,
        checked_impressions,
        checked_clicks,
        checked_applications,
    )
    return tuple(_quarantined(df) for df in checked)  # type: ignore[return-value]


def _contract_first(checked: DataFrame, table: str) -> DataFrame:
    """Valid rows with the contract's columns first and any extra columns after them."""
    valid = valid_rows(checked)
    contract = list(RAW_SCHEMAS[table])
    return valid.select(*contract, *(c for c in valid.columns if c not in contract))


def select_valid_documents(
    checked_resumes: DataFrame, checked_jobs: DataFrame
) -> tuple[DataFrame, DataFrame]:
    """The validated, deduplicated resumes and jobs the embeddings pipeline reads."""
    return _contract_first(checked_resumes, "resumes"), _contract_first(checked_jobs, "jobs")
