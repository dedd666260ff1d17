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

# Markers a test gets from the fixtures it uses, directly or through other fixtures (pyproject.toml
# lists every marker; `make test-fast` deselects spark, e2e and slow).
MARKERS_BY_FIXTURE = {"spark": "spark", "tiny_project_run": "e2e"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the users of the `spark` and `tiny_project_run` fixtures; every e2e test is a spark test too.

    Every Kedro run of this project starts a SparkSession (job_reco.hooks.SparkHooks), so a test marked
    e2e, here or in its module, needs Spark whether or not it asks for the `spark` fixture.
    """
    for item in items:
        for fixture in MARKERS_BY_FIXTURE.keys() & set(getattr(item, "fixturenames", ())):
            item.add_marker(MARKERS_BY_FIXTURE[fixture])
        if item.get_closest_marker("e2e") and not item.get_closest_marker("spark"):
            item.add_marker("spark")


def spark_settings() -> dict[str, object]:
    """The `test` env's Spark settings (conf/test/spark.yml over conf/base/spark.yml), as `kedro run --env test` reads them."""
    from kedro.config import OmegaConfigLoader

    from job_reco.settings import CONFIG_LOADER_ARGS

    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), env="test", **CONFIG_LOADER_ARGS)
    return dict(loader["spark"])


@pytest.fixture(scope="session")
def spark():
    """A SparkSession of the `test` env's settings shared by every test; the project hook reuses it via getOrCreate."""
    from job_reco.spark_session import build_spark_session

    session = build_spark_session(spark_settings())
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
