"""The SparkSession hook: classic or Spark Connect, which settings reach the session, which Python the executors start."""

from __future__ import annotations

import sys

from job_reco.spark_session import PYTHON_KEY, apply_runtime_settings, connect_url, executor_python, server_name


def test_the_envs_spark_pyspark_python_wins_over_the_drivers_variable(monkeypatch):
    monkeypatch.setenv("PYSPARK_PYTHON", "/driver/python")
    settings = {"spark.master": "yarn", PYTHON_KEY: "./environment/bin/python"}
    assert executor_python(settings) == "./environment/bin/python"


def test_a_cluster_master_without_the_key_gets_no_python_copied_from_the_driver(monkeypatch):
    monkeypatch.setenv("PYSPARK_PYTHON", "/driver/python")
    assert executor_python({"spark.master": "spark://127.0.0.1:7077"}) is None
    assert executor_python({}) is None


def test_a_local_master_falls_back_to_pyspark_python_then_this_interpreter(monkeypatch):
    monkeypatch.setenv("PYSPARK_PYTHON", "/driver/python")
    assert executor_python({"spark.master": "local[2]"}) == "/driver/python"
    monkeypatch.delenv("PYSPARK_PYTHON")
    assert executor_python({"spark.master": "local[*]"}) == sys.executable


def test_the_envs_spark_remote_wins_over_spark_remote_and_neither_means_classic(monkeypatch):
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    assert connect_url({"spark.master": "local[2]"}) is None
    monkeypatch.setenv("SPARK_REMOTE", "sc://from-the-variable:15002")
    assert connect_url({"spark.master": "local[2]"}) == "sc://from-the-variable:15002"
    assert connect_url({"spark.remote": "sc://from-spark-yml:443"}) == "sc://from-spark-yml:443"


def test_a_remote_session_takes_the_runtime_settings_and_names_the_rest():
    static = {"spark.master", "spark.driver.memory"}
    refused = {"spark.sql.execution.arrow.maxRecordsPerBatch"}
    seen = {}

    def set_value(key, value):
        if key in refused:
            raise RuntimeError("[CONFIG_NOT_AVAILABLE] Configuration spark.sql.execution.arrow.maxRecordsPerBatch "
                               "is not available.\nJVM stacktrace: ...")
        seen[key] = value

    settings = {"spark.master": "local[2]", "spark.sql.shuffle.partitions": "2", "spark.driver.memory": "2g",
                "spark.sql.execution.arrow.maxRecordsPerBatch": "20000", "spark.sql.session.timeZone": "UTC"}
    applied, left_out = apply_runtime_settings(settings, lambda key: key not in static, set_value)
    assert applied == ["spark.sql.shuffle.partitions", "spark.sql.session.timeZone"]
    assert seen == {"spark.sql.shuffle.partitions": "2", "spark.sql.session.timeZone": "UTC"}
    assert left_out == [
        "spark.master (static)", "spark.driver.memory (static)",
        "spark.sql.execution.arrow.maxRecordsPerBatch (refused: [CONFIG_NOT_AVAILABLE] Configuration "
        "spark.sql.execution.arrow.maxRecordsPerBatch is not available.)",
    ]


def test_a_databricks_token_never_reaches_the_log():
    url = "sc://adb-123.4.azuredatabricks.net:443/;token=dapi-secret;x-databricks-cluster-id=0123-456"
    assert server_name(url) == "sc://adb-123.4.azuredatabricks.net:443"
    assert server_name("sc://127.0.0.1:15002") == "sc://127.0.0.1:15002"


def test_the_progress_hook_watches_a_node_while_it_runs(spark):
    from types import SimpleNamespace

    from job_reco.hooks.spark_progress import SparkProgressHook

    hook = SparkProgressHook()
    hook.after_context_created(SimpleNamespace(params={"progress": {"every_s": 5}}))
    node = SimpleNamespace(name="modeling.score_test_impressions")
    hook.before_node_run(node)
    watcher = hook._watchers["modeling.score_test_impressions"]
    assert watcher.progress.every_s == 5 and watcher._thread.is_alive()
    spark.range(1000).repartition(3).count()  # a job with stages for the watcher to see
    hook.after_node_run(node)
    assert not watcher._thread.is_alive() and "modeling.score_test_impressions" not in hook._watchers


def test_release_memory_hook_runs_after_every_node(monkeypatch):
    from job_reco import settings
    from job_reco.hooks import release_memory

    calls = []
    monkeypatch.setattr(release_memory, "trim_heap", lambda: calls.append(1))
    hook = next(h for h in settings.HOOKS if isinstance(h, release_memory.ReleaseMemoryHook))
    hook.after_node_run()
    hook.after_node_run()
    assert len(calls) == 2
