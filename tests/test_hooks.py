"""The SparkSession hook: which Python the executors start."""

from __future__ import annotations

import sys

from job_reco.spark_session import PYTHON_KEY, executor_python


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
