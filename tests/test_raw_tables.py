"""The raw-table hook (missing and unreadable tables) and the raw-table dataset (nanosecond parquet)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline, node

from job_reco.datasets.raw_table import RawSparkDataset, nanosecond_columns
from job_reco.pipelines.data_integration import create_pipeline
from job_reco.hooks.raw_tables import (
    MissingRawTableError,
    RawTablesHook,
    UnreadableRawTableError,
    missing_raw_tables,
)

RAW = ("resumes", "jobs", "searches", "impressions", "clicks", "applications")


def _catalog(tmp_path, spark, present: set[str]) -> DataCatalog:
    """raw_<table>@spark entries under tmp_path; only the tables in `present` are written."""
    config = {}
    for table in ("resumes", "jobs", "searches", "impressions", "clicks", "applications"):
        path = tmp_path / f"{table}.parquet"
        if table in present:
            spark.createDataFrame([("x",)], "id string").write.parquet(str(path))
        config[f"raw_{table}@spark"] = {
            "type": "job_reco.datasets.raw_table.RawSparkDataset",
            "file_format": "parquet",
            "filepath": str(path),
        }
    return DataCatalog.from_config(config)


def test_missing_raw_tables_are_all_named_with_their_path(spark, tmp_path):
    catalog = _catalog(tmp_path, spark, {"resumes", "jobs", "searches", "impressions"})
    with pytest.raises(MissingRawTableError) as error:
        RawTablesHook().before_pipeline_run({}, create_pipeline(), catalog)
    message = str(error.value)
    assert "clicks (raw_clicks@spark" in message and str(tmp_path / "clicks.parquet") in message
    assert "applications (raw_applications@spark" in message
    assert "resumes" not in message


def test_raw_tables_written_by_the_same_run_are_not_required(spark, tmp_path):
    catalog = _catalog(tmp_path, spark, set())
    writes_raw = Pipeline(
        [
            node(lambda: None, None, f"raw_{t}@pandas", name=f"write_{t}")
            for t in ("resumes", "jobs", "searches", "impressions", "clicks", "applications")
        ]
    )
    assert missing_raw_tables(writes_raw + create_pipeline(), catalog) == []


def test_unreadable_raw_tables_are_named_with_path_and_reason(spark, tmp_path):
    catalog = _catalog(tmp_path, spark, set(RAW))
    corrupt = tmp_path / "jobs.parquet"
    for part in corrupt.glob("part-*"):
        part.write_bytes(b"PAR1 this is not a parquet file")
    with pytest.raises(UnreadableRawTableError) as error:
        RawTablesHook().before_pipeline_run({}, create_pipeline(), catalog)
    message = str(error.value)
    assert f"jobs (raw_jobs@spark -> {corrupt}): " in message and "Could not read footer" in message
    assert "resumes" not in message and "JVM" not in message and "\tat " not in message


def test_an_unreadable_csv_table_is_named_with_path_and_reason(spark, tmp_path):
    catalog = _catalog(tmp_path, spark, set(RAW) - {"searches"})
    broken = tmp_path / "searches.csv.gz"
    broken.write_bytes(b"search_id,seeker_id\ns1,p1\n")  # named gzip, not gzip: Spark cannot read its header
    catalog["raw_searches@spark"] = RawSparkDataset(filepath=str(broken), file_format="csv", load_args={"header": True})
    with pytest.raises(UnreadableRawTableError) as error:
        RawTablesHook().before_pipeline_run({}, create_pipeline(), catalog)
    message = str(error.value)
    assert f"searches (raw_searches@spark -> {broken}): " in message and "FAILED_READ_FILE" in message
    assert "resumes" not in message and "\tat " not in message


def test_raw_spark_dataset_reads_nanosecond_and_millisecond_parquet(spark, tmp_path):
    times = pd.to_datetime(["2024-01-01 10:00:00.123456789", "2024-02-01 00:00:00.000000001"])
    frame = pd.DataFrame({"search_id": ["s1", "s2"], "searched_at": times})
    frame.to_parquet(tmp_path / "nanos.parquet")  # pandas' default: TIMESTAMP(NANOS)
    frame.to_parquet(tmp_path / "millis.parquet", coerce_timestamps="ms", allow_truncated_timestamps=True)
    assert nanosecond_columns(str(tmp_path / "nanos.parquet")) == ["searched_at"]
    nanos = RawSparkDataset(filepath=str(tmp_path / "nanos.parquet")).load()
    millis = RawSparkDataset(filepath=str(tmp_path / "millis.parquet")).load()
    assert dict(nanos.dtypes)["searched_at"] == "timestamp"
    assert [r.searched_at for r in nanos.orderBy("search_id").collect()] == [
        datetime(2024, 1, 1, 10, 0, 0, 123456), datetime(2024, 2, 1)
    ]
    assert [r.searched_at for r in millis.orderBy("search_id").collect()] == [
        datetime(2024, 1, 1, 10, 0, 0, 123000), datetime(2024, 2, 1)
    ]
    assert spark.conf.get("spark.sql.legacy.parquet.nanosAsLong") == "false"
    # Read again after the setting is gone: on Spark Connect every action analyses the plan anew.
    assert nanos.filter(nanos.searched_at > datetime(2024, 1, 15)).count() == 1
