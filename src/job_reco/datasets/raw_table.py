"""A raw log table as users really write it, read with Spark.

`RawSparkDataset` is kedro-datasets' `spark.SparkDataset` (one file or a folder of part files, any
`file_format` Spark reads, CSV included) plus one thing Spark refuses on its own: parquet timestamps
in nanoseconds, pandas' default (`DataFrame.to_parquet`). Spark stops on those with
`[PARQUET_TYPE_ILLEGAL] Illegal Parquet type: INT64 (TIMESTAMP(NANOS,false))`; this dataset reads
them as integers and turns every column the file's own schema marks as TIMESTAMP(NANOS) back into a
timestamp, truncated to microseconds (Spark's precision). Milliseconds and microseconds Spark reads
as they are. Timezone-naive timestamps are read as UTC (the session's zone).

The integers come from `spark.sql.legacy.parquet.nanosAsLong`, set only while the table's schema is
read, and then from that schema given to the reader: Spark reads INT64 nanoseconds into a declared
long column whatever the setting. On Spark Connect a DataFrame is a plan that the server analyses
again at every action, with the session's settings of that moment, so the setting around a lazy
`load()` alone would be gone by then; the declared schema goes with the plan.

Every load reads the schema (footers, CSV headers) at once, on a classic session and on Spark
Connect alike, so a table that cannot be read fails here, naming its file, not at the first action.
"""

from __future__ import annotations

import logging

from kedro_datasets.spark import SparkDataset
from kedro_datasets._utils.databricks_utils import strip_dbfs_prefix
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from job_reco.datasets.paths import spark_dataset_path, spark_path_exists, spark_path_to_fs

logger = logging.getLogger(__name__)

NANOS_AS_LONG = "spark.sql.legacy.parquet.nanosAsLong"


def nanosecond_columns(parquet_file: str) -> list[str]:
    """Top-level columns a parquet file stores as TIMESTAMP(NANOS), read from its footer."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    filesystem, path = spark_path_to_fs(parquet_file)
    with filesystem.open(path, "rb") as handle:
        schema = pq.read_schema(handle)
    return [
        field.name for field in schema if pa.types.is_timestamp(field.type) and field.type.unit == "ns"
    ]


def nanos_to_timestamp(df: DataFrame, columns: list[str]) -> DataFrame:
    """Integer nanoseconds since the epoch -> Spark timestamps (microseconds, truncated)."""
    for column in columns:
        df = df.withColumn(column, F.timestamp_micros(F.expr(f"div(`{column}`, 1000)")))
    return df


class RawSparkDataset(SparkDataset):
    """`spark.SparkDataset` that also reads parquet timestamps written in nanoseconds.

    Example (catalog.yml)::

        raw_searches@spark:
          type: job_reco.datasets.raw_table.RawSparkDataset
          file_format: parquet
          filepath: data/01_raw/searches.parquet
    """

    def load(self) -> DataFrame:
        """The table, its schema read; parquet nanosecond timestamps come back as timestamps."""
        from kedro_datasets._utils.spark_utils import get_spark

        if self._file_format != "parquet":
            df = super().load()
            df.schema  # noqa: B018 - read now: Spark Connect would wait for the first action
            return df
        conf = get_spark().conf
        previous = conf.get(NANOS_AS_LONG, "false")
        conf.set(NANOS_AS_LONG, "true")
        try:
            df = super().load()
            schema, files = df.schema, df.inputFiles()
        finally:
            conf.set(NANOS_AS_LONG, previous)
        columns = [c for c in (nanosecond_columns(files[0]) if files else []) if c in schema.names]
        if not columns:
            return df
        logger.info("%s: columns %s hold nanosecond timestamps; read as microseconds.", files[0], columns)
        return nanos_to_timestamp(self._read_with_schema(get_spark(), schema), columns)

    def _read_with_schema(self, spark, schema) -> DataFrame:
        """The table read with `schema` declared (its nanosecond columns as longs)."""
        load_path = strip_dbfs_prefix(spark_dataset_path(self))
        return spark.read.schema(schema).load(load_path, self._file_format, **self._load_args)

    def _exists(self) -> bool:
        """Whether the path exists, asked of its file system (Spark would read it, which fails on
        nanosecond timestamps, and on Spark Connect answers yes for a missing path)."""
        return spark_path_exists(spark_dataset_path(self))
