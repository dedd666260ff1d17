"""The missing-raw-table check, on a catalog whose clicks file does not exist."""

from __future__ import annotations

import pytest
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline, node

from job_reco.pipelines.data_integration import create_pipeline
from job_reco.pipelines.data_integration.raw_tables import (
    MissingRawTableError,
    RawTablesHook,
    missing_raw_tables,
)


def _catalog(tmp_path, spark, present: set[str]) -> DataCatalog:
    """raw_<table>@spark entries under tmp_path; only the tables in `present` are written."""
    config = {}
    for table in ("resumes", "jobs", "searches", "impressions", "clicks", "applications"):
        path = tmp_path / f"{table}.parquet"
        if table in present:
            spark.createDataFrame([("x",)], "id string").write.parquet(str(path))
        config[f"raw_{table}@spark"] = {
            "type": "spark.SparkDataset",
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
