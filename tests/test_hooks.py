"""The SparkSession hook: which Python the executors start."""

from __future__ import annotations

import sys

from job_reco.hooks import PYTHON_KEY, executor_python


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
