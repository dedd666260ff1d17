"""A raw log table as users really write it, read with Spark.

`RawSparkDataset` is kedro-datasets' `spark.SparkDataset` (one file or a folder of part files, any
`file_format` Spark reads, CSV included) plus one thing Spark refuses on its own: parquet timestamps
in nanoseconds, pandas' default (`DataFrame.to_parquet`). Spark stops on those with
`[PARQUET_TYPE_ILLEGAL] Illegal Parquet type: INT64 (TIMESTAMP(NANOS,false))`; this dataset reads
them as integers (`spark.sql.legacy.parquet.nanosAsLong`, for the read only) and turns every
column the file's own schema marks as TIMESTAMP(NANOS) back into a timestamp, truncated to
microseconds (Spark's precision). Milliseconds and microseconds Spark reads as they are. Timezone-naive
timestamps are read as UTC (the session's zone).
"""

from __future__ import annotations

import logging

from kedro_datasets.spark import SparkDataset
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from job_reco.datasets.paths import spark_path_to_fs

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
        """The table; parquet nanosecond timestamps come back as timestamps."""
        if self._file_format != "parquet":
            return super().load()
        from kedro_datasets._utils.spark_utils import get_spark

        conf = get_spark().conf
        previous = conf.get(NANOS_AS_LONG, "false")
        conf.set(NANOS_AS_LONG, "true")
        try:
            df = super().load()
        finally:
            conf.set(NANOS_AS_LONG, previous)
        files = df.inputFiles()
        columns = nanosecond_columns(files[0]) if files else []
        if columns:
            logger.info("%s: columns %s hold nanosecond timestamps; read as microseconds.", files[0], columns)
        return nanos_to_timestamp(df, [c for c in columns if c in df.columns])

    def _exists(self) -> bool:
        """Whether the path exists (the base class reads it, which fails on nanosecond timestamps)."""
        return bool(self._exists_function(str(self._get_load_path())))
