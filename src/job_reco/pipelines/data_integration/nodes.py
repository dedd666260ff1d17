"""Nodes of data_integration: validate the six raw logs, quarantine bad rows, join, label, split.

Everything here is Spark DataFrame code: no Python UDFs, no rows collected to the driver (the
split's cut-off and the data-quality counts are aggregates, a few numbers each).

A *checked* table is its typed raw table plus a `reason` column: null for a valid row, else the
first quarantine rule the row broke. Valid rows and quarantined rows are two filters of it, so
every raw row ends up in exactly one of them (rows in = rows out + rows quarantined).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from job_reco.validation import source_of
from job_reco.columns import (
    APPLICATION_ID,
    APPLIED,
    APPLIED_AT,
    CLICK_ID,
    CLICKED_AT,
    EXPERIMENT,
    JOB_ID,
    LABEL,
    LABELED_IMPRESSIONS_COLUMNS,
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
    SPLIT,
    TEST,
    TRAIN,
    UPDATED_AT,
)

logger = logging.getLogger(__name__)

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

# A column of a raw table that had to be cast keeps its value as read under this prefix, so that a
# quarantined row shows what arrived (e.g. the unparseable timestamp text), not the null it became.
ORIGINAL_PREFIX = "__original__"
_FOUND = "__found__"
_PARENT_JOB_ID = "__parent_job_id__"
_RANK = "__rank__"
_IS_EXACT = "__is_exact__"
_FLAGGED = "__flagged__"

# percentile_approx accuracy of the split's cut-off: rank error at most 1/accuracy of the groups.
SPLIT_ACCURACY = 10_000
_INT_MAX = 2**31 - 1


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

_STRING_LIKE = (T.StringType, T.CharType, T.VarcharType)
_INTEGRAL = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)
_NUMERIC = (*_INTEGRAL, T.FloatType, T.DoubleType, T.DecimalType)
# Raw types each contract type accepts (anything else is a schema error).
_ACCEPTED_TYPES = {
    "string": (*_STRING_LIKE, *_INTEGRAL, T.DecimalType),
    "int": (*_NUMERIC, *_STRING_LIKE),
    "timestamp": (T.TimestampType, T.TimestampNTZType, T.DateType, *_STRING_LIKE),
    "double": (*_NUMERIC, *_STRING_LIKE),
    "boolean": (T.BooleanType, *_INTEGRAL, *_STRING_LIKE),
}
_TARGET_TYPES = {
    "string": T.StringType(), "int": T.IntegerType(), "timestamp": T.TimestampType(), "double": T.DoubleType(),
    "boolean": T.BooleanType(),
}


def _present_schema(df: DataFrame, table: str) -> dict[str, str]:
    """The contract's columns of a table plus the optional (v2) ones the table has: {column: type}."""
    lower = {name.lower() for name in df.columns}
    optional = {c: kind for c, kind in OPTIONAL_SCHEMAS.get(table, {}).items() if c.lower() in lower}
    return {**RAW_SCHEMAS[table], **optional}


class RawSchemaError(ValueError):
    """A raw table lacks a contract column, holds one of a type job_reco cannot cast, or is empty."""


class TooFewGroupsError(ValueError):
    """Too few query groups, or too few distinct search times, for a train and a test set."""


def _schema_problems(df: DataFrame, table: str) -> list[str]:
    """Every way a raw table's columns break the contract, as sentences naming table and column."""
    expected = RAW_SCHEMAS[table]
    by_lower = {name.lower(): field for name, field in ((f.name, f) for f in df.schema.fields)}
    missing = [column for column in expected if column.lower() not in by_lower]
    problems = []
    if missing:
        problems.append(f"{table} is missing columns {missing}; expected {list(expected)}, got {df.columns}")
    for column, contract_type in _present_schema(df, table).items():
        field = by_lower.get(column.lower())
        if field is not None and not isinstance(field.dataType, _ACCEPTED_TYPES[contract_type]):
            problems.append(
                f"{table}.{field.name} has type {field.dataType.simpleString()}; expected "
                f"{contract_type} (or a type job_reco casts to it: "
                f"{sorted(t.typeName() for t in _ACCEPTED_TYPES[contract_type])})"
            )
    reserved = [c for c in df.columns if c.lower() == REASON or c.startswith(ORIGINAL_PREFIX)]
    if reserved:
        problems.append(f"{table} has columns {reserved} whose names job_reco reserves; rename them")
    return [f"{problem} ({source_of(df, 'not read from files')})" for problem in problems]


def _empty_tables(tables: dict[str, DataFrame]) -> list[str]:
    """A sentence for each table without a single row (one small Spark job per table)."""
    return [
        f"{table} has no rows; expected at least one ({source_of(df, 'not read from files')})"
        for table, df in tables.items()
        if df.isEmpty()
    ]


def _cast_to_contract(df: DataFrame, table: str, timestamp_format: str | None) -> DataFrame:
    """Rename contract columns to their contract spelling and cast them, keeping what was read."""
    by_lower = {name.lower(): name for name in df.columns}
    for column, contract_type in _present_schema(df, table).items():
        actual = by_lower[column.lower()]
        if actual != column:
            df = df.withColumnRenamed(actual, column)
        source_type = df.schema[column].dataType
        if source_type == _TARGET_TYPES[contract_type]:
            continue
        original = F.col(ORIGINAL_PREFIX + column)
        df = df.withColumn(ORIGINAL_PREFIX + column, F.col(column))
        if contract_type == "string":
            typed = original.cast("string")
        elif contract_type in ("double", "boolean"):
            typed = original.try_cast(contract_type)
        elif contract_type == "int":
            number = original.try_cast("double")
            whole = (number == F.floor(number)) & (F.abs(number) <= _INT_MAX)
            typed = F.when(whole, number.cast("int"))
        elif isinstance(source_type, _STRING_LIKE):
            typed = (
                F.try_to_timestamp(original, F.lit(timestamp_format))
                if timestamp_format
                else F.try_to_timestamp(original)
            )
        else:
            typed = original.cast("timestamp")
        df = df.withColumn(column, typed)
    return df


def validate_raw_tables(
    resumes: DataFrame,
    jobs: DataFrame,
    searches: DataFrame,
    impressions: DataFrame,
    clicks: DataFrame,
    applications: DataFrame,
    timestamp_format: str | None,
) -> tuple[DataFrame, DataFrame, DataFrame, DataFrame, DataFrame, DataFrame]:
    """Check all six raw schemas at once, then that none is empty; cast them to the contract's types."""
    tables = dict(zip(RAW_SCHEMAS, (resumes, jobs, searches, impressions, clicks, applications), strict=True))
    problems = [problem for table, df in tables.items() for problem in _schema_problems(df, table)]
    if not problems:
        problems = _empty_tables(tables)
    if problems:
        raise RawSchemaError(
            "The raw logs do not match the data contract (docs/data-contract.md):\n- " + "\n- ".join(problems)
        )
    _log_optional_columns(tables)
    typed = tuple(_cast_to_contract(df, table, timestamp_format) for table, df in tables.items())
    return typed  # type: ignore[return-value]


def _log_optional_columns(tables: dict[str, DataFrame]) -> None:
    """One log line: which optional (v2) columns are absent, so which features are off downstream."""
    absent = {
        table: [c for c in columns if c.lower() not in {name.lower() for name in tables[table].columns}]
        for table, columns in OPTIONAL_SCHEMAS.items()
    }
    absent = {table: columns for table, columns in absent.items() if columns}
    if absent:
        logger.info("Optional data-contract v2 columns absent (features that need them are off): %s", absent)
    else:
        logger.info("All optional data-contract v2 columns are present.")


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
    checked = dict(
        zip(
            RAW_SCHEMAS,
            (
                checked_resumes,
                checked_jobs,
                checked_searches,
                checked_impressions,
                checked_clicks,
                checked_applications,
            ),
            strict=True,
        )
    )
    reason_rows = _reason_counts(checked)
    counts: dict[str, dict[str | None, int]] = {table: {} for table in checked}
    for row in reason_rows:
        by_reason = counts[row[_TABLE]]
        by_reason[row[REASON]] = by_reason.get(row[REASON], 0) + row["count"]
    tables = {table: _table_quality(counts[table], table) for table in checked}
    for table, quality in tables.items():
        logger.info("%s: %d rows in, %d out.", table, quality["rows_in"], quality["rows_out"])
        for rule, n_rows in quality["quarantined"].items():
            logger.info("quarantine table=%s rule=%s rows=%d", table, rule, n_rows)
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
