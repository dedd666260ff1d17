"""SparkCacheDataset: a Spark DataFrame persisted when saved, computed once for its readers, unpersisted on release."""

from __future__ import annotations

import pytest
from kedro.io import DataCatalog, DatasetError
from kedro.pipeline import node, pipeline
from kedro.runner import SequentialRunner
from pyspark import StorageLevel
from pyspark.sql import functions as F

from job_reco.datasets.spark_cache import SparkCacheDataset


def test_saving_persists_and_releasing_unpersists(spark):
    dataset = SparkCacheDataset()
    frame = spark.range(5).withColumn("twice", F.col("id") * 2)
    dataset.save(frame)
    loaded = dataset.load()
    assert loaded.storageLevel == StorageLevel.MEMORY_AND_DISK
    assert sorted(row.twice for row in loaded.collect()) == [0, 2, 4, 6, 8]
    dataset.release()
    assert loaded.storageLevel == StorageLevel(False, False, False, False, 1)  # Spark's NONE: not cached
    assert not dataset.exists()
    with pytest.raises(DatasetError, match="has not been saved"):
        dataset.load()


def test_the_storage_level_is_a_spark_one():
    assert SparkCacheDataset(storage_level="DISK_ONLY")._describe()["storage_level"] == "DISK_ONLY"
    with pytest.raises(DatasetError, match="'MEMORY_SOMETIMES' is not a pyspark.StorageLevel name"):
        SparkCacheDataset(storage_level="MEMORY_SOMETIMES")


def test_only_spark_frames_are_kept():
    with pytest.raises(DatasetError, match="holds a Spark DataFrame, not a list"):
        SparkCacheDataset().save([1, 2])


def test_a_run_computes_the_plan_once_for_two_readers_and_releases_it_after_the_last(spark):
    calls = spark.sparkContext.accumulator(0)

    def count_row(value):
        calls.add(1)
        return value

    counted = F.udf(count_row, "long")

    def make(n):
        return spark.range(n).select(counted(F.col("id")).alias("id"))

    def total(frame):
        return frame.agg(F.sum("id")).first()[0]

    def largest(frame):
        return frame.agg(F.max("id")).first()[0]

    shared = SparkCacheDataset()
    catalog = DataCatalog({"rows": shared})
    catalog["n"] = 4
    runner = SequentialRunner()
    flow = pipeline([node(make, "n", "rows", name="make"), node(total, "rows", "total", name="total"),
                     node(largest, "rows", "largest", name="largest")])
    outputs = runner.run(flow, catalog)
    assert (catalog.load("total"), catalog.load("largest")) == (6, 3)  # sum and max of 0..3
    assert calls.value == 4  # each of the 4 rows computed once, though two nodes read them
    assert not shared.exists()  # released after `largest`, its last reader
    assert set(outputs) == {"total", "largest"}


class _FrameSparkWillNotKeep:
    """A stand-in for a DataFrame on a Spark that refuses to persist (Databricks serverless without its cache preview)."""

    unpersisted = False

    def persist(self, level):
        raise RuntimeError("[NOT_SUPPORTED_WITH_SERVERLESS] PERSIST TABLE is not supported on serverless compute.")

    def unpersist(self):
        self.unpersisted = True


def test_a_spark_that_will_not_persist_gets_the_plan_and_a_warning(caplog):
    frame, dataset = _FrameSparkWillNotKeep(), SparkCacheDataset()
    with caplog.at_level("WARNING", logger="job_reco.datasets.spark_cache"):
        dataset.save(frame)
    assert dataset.load() is frame
    assert "did not persist the DataFrame (RuntimeError: [NOT_SUPPORTED_WITH_SERVERLESS]" in caplog.text
    dataset.release()
    assert not frame.unpersisted and not dataset.exists()
