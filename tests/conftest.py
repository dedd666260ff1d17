"""Shared fixtures: one local SparkSession for the whole test session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_LAYERS = (
    "01_raw", "02_intermediate", "03_primary", "04_feature",
    "05_model_input", "06_models", "07_model_output", "08_reporting",
)

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
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.log.level": "WARN",
}


@pytest.fixture(scope="session")
def spark():
    """A local[2] SparkSession shared by every test; the project hook reuses it via getOrCreate.

    With SPARK_REMOTE set (tests/test_spark_connect.py reruns some tests so), a Spark Connect session.
    """
    from job_reco.spark_session import build_spark_session, is_spark_connect

    session = build_spark_session(TEST_SPARK_CONF, app_name="job_reco_tests")
    assert is_spark_connect(session) == bool(os.environ.get("SPARK_REMOTE")), type(session)
    yield session
    session.stop()


def run_kedro(project: Path, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the project's Kedro CLI in `project` (with `extra_env` added) and return the finished process."""
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "PYSPARK_PYTHON": sys.executable, **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "kedro", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )


def copy_project(project: Path) -> Path:
    """Copy what `kedro run` needs (pyproject, src, conf without local/, notebooks) into `project`."""
    shutil.copy(PROJECT_ROOT / "pyproject.toml", project)
    shutil.copy(PROJECT_ROOT / ".telemetry", project)
    # Kedro insists on the project's source folder being there, even with the package installed.
    shutil.copytree(PROJECT_ROOT / "src", project / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    shutil.copytree(PROJECT_ROOT / "conf", project / "conf", ignore=shutil.ignore_patterns("local"))
    (project / "conf" / "local").mkdir()
    shutil.copytree(PROJECT_ROOT / "notebooks", project / "notebooks")
    for layer in DATA_LAYERS:
        (project / "data" / layer).mkdir(parents=True)
    return project


@pytest.fixture(scope="session")
def tiny_project_run(tmp_path_factory) -> Path:
    """A copy of the project in which `kedro run --env test` (the tiny network) has finished."""
    project = copy_project(tmp_path_factory.mktemp("tiny_project"))
    result = run_kedro(project, "run", "--env", "test")
    (project / "kedro_run.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        pytest.fail(f"kedro run --env test failed ({result.returncode}):\n{(result.stdout + result.stderr)[-6000:]}")
    return project
