"""The SparkSession built from a spark.yml mapping (conf/<env>/spark.yml): classic, or Spark Connect.

Which one is configuration alone: `spark.remote` in the env's spark.yml (or, failing that, the
`SPARK_REMOTE` variable) names a Spark Connect server (`sc://host:port`, Databricks Connect's
`sc://<workspace>:443/;token=...;x-databricks-cluster-id=...`), and the same pipelines run there.
Otherwise the session is a classic one started here with the env's `spark.master`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from pyspark import SparkConf
from pyspark.sql import SparkSession

logger = logging.getLogger(__name__)

PYTHON_KEY = "spark.pyspark.python"
REMOTE_KEY = "spark.remote"
REMOTE_VARIABLE = "SPARK_REMOTE"


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


def connect_url(settings: dict[str, str]) -> str | None:
    """The Spark Connect server to use: the env's `spark.remote`, else `SPARK_REMOTE`, else None (classic)."""
    return settings.get(REMOTE_KEY) or os.environ.get(REMOTE_VARIABLE) or None


def build_spark_session(spark_conf: dict[str, object], app_name: str = "job_reco") -> SparkSession:
    """Start (or reuse) the SparkSession described by a spark.yml mapping: Spark Connect where one is named."""
    # An env may unset a base key with `null` (e.g. the loopback driver host on a cluster).
    settings = {str(key): str(value) for key, value in spark_conf.items() if value is not None}
    remote = connect_url(settings)
    if remote:
        return _connect_session(remote, settings)
    python = executor_python(settings)
    if python:
        settings[PYTHON_KEY] = python
        # PySpark's driver reads PYSPARK_PYTHON when the SparkContext starts and sends it with every
        # Python function; spark-submit sets it from spark.pyspark.python the same way.
        os.environ["PYSPARK_PYTHON"] = python
    conf = SparkConf().setAll(list(settings.items()))
    return SparkSession.builder.appName(app_name).config(conf=conf).getOrCreate()


def _connect_session(remote: str, settings: dict[str, str]) -> SparkSession:
    """A Spark Connect session at `remote` with the runtime settings of `settings` applied.

    The server owns its master, memory, JVM options and executors' Python: those static settings
    are left out, named in one log line. `SPARK_REMOTE` is set to `remote` so that the datasets'
    own `SparkSession.builder.getOrCreate()` finds this session.
    """
    os.environ[REMOTE_VARIABLE] = remote
    session = SparkSession.builder.remote(remote).getOrCreate()
    runtime = {key: value for key, value in settings.items() if key != REMOTE_KEY}
    applied, left_out = apply_runtime_settings(runtime, session.conf.isModifiable, session.conf.set)
    logger.info(
        "Spark Connect session at %s: %d runtime settings applied; left to the server: %s.",
        server_name(remote), len(applied), ", ".join(left_out) or "none",
    )
    return session


def apply_runtime_settings(
    settings: dict[str, str], is_modifiable: Callable[[str], bool], set_value: Callable[[str, str], Any],
) -> tuple[list[str], list[str]]:
    """(keys set, keys left out): each setting the session may change at run time is set; the others, and
    any the server refuses (a managed service allows only some), are left out as 'key (reason)'."""
    applied, left_out = [], []
    for key, value in settings.items():
        try:
            if not is_modifiable(key):
                left_out.append(f"{key} (static)")
                continue
            set_value(key, value)
        except Exception as error:  # noqa: BLE001 - a refused setting is named in the log line, the run goes on
            left_out.append(f"{key} (refused: {str(error).splitlines()[0][:120]})")
        else:
            applied.append(key)
    return applied, left_out


def server_name(remote: str) -> str:
    """A Spark Connect URL without its parameters (a Databricks URL carries a token after ';')."""
    return remote.split(";", 1)[0].rstrip("/")


def is_spark_connect(session: SparkSession) -> bool:
    """True for a Spark Connect session (Databricks shared clusters, serverless, Databricks Connect)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def stage_tasks(session: SparkSession):
    """What tells the tasks of `session`'s stages while they run (`progress.SparkTaskProgress` reads it).

    PySpark has no one API for both kinds of session: `SparkSession.registerProgressHandler` exists
    only on Spark Connect (a classic session raises ONLY_SUPPORTED_WITH_SPARK_CONNECT), and a status
    tracker only on a classic session's SparkContext, which Spark Connect does not have. This is the
    one place in job_reco that reaches a SparkContext (tests/test_architecture.py checks it).
    """
    from job_reco.progress import ReportedStageTasks, SparkStageTasks  # noqa: PLC0415

    if is_spark_connect(session):
        return ReportedStageTasks(session)
    return SparkStageTasks(session.sparkContext.statusTracker())
