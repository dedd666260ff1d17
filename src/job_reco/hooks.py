"""The Spark hooks: one session per Kedro context (conf/<env>/spark.yml), progress of each node's Spark tasks, the driver's memory."""

from __future__ import annotations

import os
import sys

from kedro.framework.hooks import hook_impl
from pyspark import SparkConf
from pyspark.sql import SparkSession

from job_reco.progress import SparkTaskProgress
from job_reco.spark_udf import trim_heap

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
    if not _is_spark_connect(session):
        session.sparkContext.setLogLevel("WARN")
    return session


def _is_spark_connect(session: SparkSession) -> bool:
    """True for a Spark Connect session (Databricks shared clusters): it has no SparkContext."""
    return type(session).__module__.startswith("pyspark.sql.connect")


class SparkHooks:
    """Build the SparkSession before any dataset is loaded."""

    @hook_impl
    def after_context_created(self, context) -> None:
        """Initialise the SparkSession from the `spark` configuration of the active environment."""
        build_spark_session(dict(context.config_loader["spark"]), app_name=context.project_path.name)


class SparkProgressHook:
    """Log the Spark tasks of every node that runs longer than `progress.every_s` (parameters.yml).

    Kedro logs a node when it starts and when it ends; a Spark node (training, scoring, a join over
    the impressions) may run for minutes in between. A `SparkTaskProgress` watches each node's
    stages from the driver; nothing is watched on Spark Connect, which has no status tracker.
    """

    def __init__(self) -> None:
        self.every_s = 30.0
        self._watchers: dict[str, SparkTaskProgress] = {}

    @hook_impl
    def after_context_created(self, context) -> None:
        """Read how often to log (`progress.every_s`, seconds) from the run's parameters."""
        self.every_s = float((context.params.get("progress") or {}).get("every_s", self.every_s))

    @hook_impl
    def before_node_run(self, node) -> None:
        """Start watching the node's Spark tasks."""
        session = SparkSession.getActiveSession()
        if session is None or _is_spark_connect(session):
            return
        watcher = SparkTaskProgress(session.sparkContext.statusTracker(), node.name, every_s=self.every_s)
        self._watchers[node.name] = watcher.__enter__()

    @hook_impl
    def after_node_run(self, node) -> None:
        """Stop watching."""
        watcher = self._watchers.pop(node.name, None)
        if watcher is not None:
            watcher.__exit__(None, None, None)

    @hook_impl
    def on_node_error(self, node) -> None:
        """Stop watching a node that failed."""
        self.after_node_run(node)


class ReleaseMemoryHook:
    """After every node, hand the driver's freed heap back to the OS (`spark_udf.trim_heap`).

    Generation builds impressions-scale pandas frames on the driver; once a node is done with them
    glibc keeps the freed heap, and on `xlarge` the driver held 3.3 GB through the modeling nodes
    that followed while the Python workers needed every gigabyte (issue #12). No garbage collection
    here: with TensorFlow imported one takes about 0.2 s, 25 s over a run's nodes, and the frames a
    node drops are freed when their last reference goes, except a Series whose `.str` accessor was
    used (pandas caches the accessor on it, a reference cycle): generation keeps its large text
    columns out of `.str` for that reason (docs/data_generation.md).
    """

    @hook_impl
    def after_node_run(self) -> None:
        """Free what the node left."""
        trim_heap()
