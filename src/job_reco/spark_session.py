"""The SparkSession built from a spark.yml mapping (conf/<env>/spark.yml), and the Python its executors run."""

from __future__ import annotations

import os
import sys

from pyspark import SparkConf
from pyspark.sql import SparkSession

PYTHON_KEY = "spark.pyspark.python"


def executor_python(settings: dict[str, str]) -> str | None:
    """The interpreter executors start for Python UDFs (applyInPandas, mapInArrow), or None.

    `spark.pyspark.python` from the env's spark.yml wins, as with spark-submit: a cluster env names
    the Python installed on its workers. Only a `local` master, whose executors are this process's
    own children, falls back to PYSPARK_PYTHON or, failing that, to this interpreter.
    """
    if settings.get(PYTHON_KEY):
        return settings[PYTHON_KEY]
    if settings.get("spark.master", "").startswith("local"):
        return os.environ.get("PYSPARK_PYTHON", sys.executable)
    return None


def build_spark_session(spark_conf: dict[str, object], app_name: str = "job_reco") -> SparkSession:
    """Start (or reuse) the SparkSession described by a spark.yml mapping."""
    # An env may unset a base key with `null` (e.g. the loopback driver host on a cluster).
    settings = {str(key): str(value) for key, value in spark_conf.items() if value is not None}
    python = executor_python(settings)
    if python:
        settings[PYTHON_KEY] = python
        # PySpark's driver reads PYSPARK_PYTHON when the SparkContext starts and sends it with every
        # Python function; spark-submit sets it from spark.pyspark.python the same way.
        os.environ["PYSPARK_PYTHON"] = python
    conf = SparkConf().setAll(list(settings.items()))
    session = SparkSession.builder.appName(app_name).config(conf=conf).getOrCreate()
    if not is_spark_connect(session):
        session.sparkContext.setLogLevel("WARN")
    return session


def is_spark_connect(session: SparkSession) -> bool:
    """True for a Spark Connect session (Databricks shared clusters): it has no SparkContext."""
    return type(session).__module__.startswith("pyspark.sql.connect")
