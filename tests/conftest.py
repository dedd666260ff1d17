"""Shared fixtures: one local SparkSession for the whole test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "1")
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# Keras picks its backend at import; keep TensorFlow quiet and small in tests.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TEST_SPARK_CONF = {
    "spark.master": "local[2]",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.memory": "2g",
}


@pytest.fixture(scope="session")
def spark():
    """A local[2] SparkSession shared by every test; the project hook reuses it via getOrCreate."""
    from job_reco.hooks import build_spark_session

    session = build_spark_session(TEST_SPARK_CONF, app_name="job_reco_tests")
    yield session
    session.stop()
