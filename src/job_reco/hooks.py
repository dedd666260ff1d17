"""The SparkSession hook: one session per Kedro context, configured from conf/<env>/spark.yml."""

from __future__ import annotations

import os
import sys

from kedro.framework.hooks import hook_impl
from pyspark import SparkConf
from pyspark.sql import SparkSession


def build_spark_session(spark_conf: dict[str, object], app_name: str = "job_reco") -> SparkSession:
    """Start (or reuse) the SparkSession described by a spark.yml mapping."""
    # Python workers (applyInPandas, mapInPandas) must run this interpreter, the one with our
    # packages; Spark otherwise starts whatever `python3` is first on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    # An env may unset a base key with `null` (e.g. the loopback driver host on a cluster).
    settings = [(str(key), str(value)) for key, value in spark_conf.items() if value is not None]
    conf = SparkConf().setAll(settings)
    builder = SparkSession.builder.appName(app_name).config(conf=conf)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session


class SparkHooks:
    """Build the SparkSession before any dataset is loaded."""

    @hook_impl
    def after_context_created(self, context) -> None:
        """Initialise the SparkSession from the `spark` configuration of the active environment."""
        build_spark_session(dict(context.config_loader["spark"]), app_name=context.project_path.name)
