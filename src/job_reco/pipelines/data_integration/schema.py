"""The raw tables against the data contract: every schema problem at once, then the cast to the contract's types.

A contract column that had to be cast keeps its value as read under `ORIGINAL_PREFIX`, so the
quarantine (`quarantine.py`) can show what arrived rather than the null it became.
"""

from __future__ import annotations

import logging

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from job_reco.columns import OPTIONAL_SCHEMAS, RAW_SCHEMAS, REASON
from job_reco.validation import source_of

logger = logging.getLogger(__name__)

# A column of a raw table that had to be cast keeps its value as read under this prefix, so that a
# quarantined row shows what arrived (e.g. the unparseable timestamp text), not the null it became.
ORIGINAL_PREFIX = "__original__"


_INT_MAX = 2**31 - 1


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
