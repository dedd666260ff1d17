"""A real Spark cluster: a standalone master and two workers on 127.0.0.1, started from the pyspark package.

data_integration, embeddings and clustering run on it through `kedro run --env cluster`, on the raw
tables of the tiny network. The executors' Python comes from the env's spark.yml
(`spark.pyspark.python`): the driver's own PYSPARK_PYTHON is set to a path that does not exist.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyspark
import pytest

from tests.conftest import copy_project, run_kedro
from tests.test_object_store import configure_cluster_env

WORKERS = 2
START_TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _master_state(ui_port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=5) as response:
        return json.load(response)


def _wait_for_workers(ui_port: int, processes: list[subprocess.Popen], logs: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            break
        try:
            if _master_state(ui_port).get("aliveworkers", 0) == WORKERS:
                return
        except OSError:
            pass
        time.sleep(1)
    text = "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in sorted(logs.glob("*.log")))
    raise RuntimeError(f"the standalone cluster did not start {WORKERS} workers in {START_TIMEOUT_S} s:\n{text}")


@pytest.fixture(scope="module")
def standalone_cluster(tmp_path_factory):
    """spark://127.0.0.1:<port> of two one-core workers, the master UI's port, the workers' work folders.

    Everything is stopped afterwards.
    """
    if shutil.which("java") is None:
        pytest.skip("no `java` on PATH: a Spark standalone cluster needs a JVM (make test installs OpenJDK 17)")
    spark_home = Path(pyspark.__file__).parent
    spark_class = str(spark_home / "bin" / "spark-class")
    root = tmp_path_factory.mktemp("spark_standalone")
    port, ui_port = _free_port(), _free_port()
    env = {"SPARK_HOME": str(spark_home), "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOG_DIR": str(root)}
    env = {**os.environ, **env}
    commands = [[spark_class, "org.apache.spark.deploy.master.Master",
                 "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui_port)]]
    commands += [[spark_class, "org.apache.spark.deploy.worker.Worker", f"spark://127.0.0.1:{port}",
                  "--host", "127.0.0.1", "--cores", "1", "--memory", "1g", "--webui-port", str(_free_port()),
                  "--work-dir", str(root / f"worker_{i}")] for i in range(WORKERS)]
    processes = []
    try:
        for i, command in enumerate(commands):
            log = open(root / f"{'master' if i == 0 else f'worker_{i - 1}'}.log", "w")  # noqa: SIM115
            processes.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
            if i == 0:
                time.sleep(2)
        _wait_for_workers(ui_port, processes, root)
        yield f"spark://127.0.0.1:{port}", ui_port, [root / f"worker_{i}" for i in range(WORKERS)]
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def cluster_run(tmp_path_factory, standalone_cluster, tiny_project_run):
    """data_integration, embeddings and clustering of the tiny network's raw tables on the cluster."""
    master, _, _ = standalone_cluster
    project = copy_project(tmp_path_factory.mktemp("cluster_project"))
    output = tmp_path_factory.mktemp("cluster_output")
    raw = f"file://{tiny_project_run / 'data' / '01_raw'}"
    configure_cluster_env(
        project,
        {"raw_root": raw, "spark_raw_root": raw, "data_root": f"file://{output}", "spark_data_root": f"file://{output}"},
        spark={
            "spark.master": master,
            # The workers' Python: here the one with the project's packages, named by configuration.
            "spark.pyspark.python": sys.executable,
            "spark.executor.memory": "1g",
            "spark.executor.cores": "1",
            "spark.cores.max": str(WORKERS),
        },
    )
    result = run_kedro(project, "run", "--env", "cluster", "--pipelines", "data_integration,embeddings,clustering",
                       extra_env={"PYSPARK_PYTHON": "/nonexistent/python-from-the-driver"})
    (project / "kedro_run.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        pytest.fail(f"kedro run --env cluster on {master} failed ({result.returncode}):\n"
                    f"{(result.stdout + result.stderr)[-6000:]}")
    return project, output


def test_the_pipelines_ran_as_one_application_on_both_workers(cluster_run, standalone_cluster):
    _, ui_port, work_dirs = standalone_cluster
    state = _master_state(ui_port)
    assert state["aliveworkers"] == WORKERS
    (app,) = state["completedapps"]
    assert (app["name"], app["state"], app["cores"]) == ("job_reco", "FINISHED", WORKERS)
    # Each worker started an executor for it (its work folder holds the application's folder).
    assert [sorted(p.name for p in work_dir.iterdir()) for work_dir in work_dirs] == [[app["id"]]] * WORKERS


def test_the_cluster_run_writes_embeddings_and_clusters_like_the_local_run(cluster_run, tiny_project_run):
    _, output = cluster_run
    local = json.loads((tiny_project_run / "data" / "08_reporting" / "cluster_report.json").read_text())
    remote = json.loads((output / "08_reporting" / "cluster_report.json").read_text())
    assert remote["k"] == local["k"]
    assert sum(remote["sizes"].values()) == sum(local["sizes"].values())
    assert any((output / "04_feature" / "resume_clusters.parquet").glob("*.parquet"))
    assert json.loads((output / "08_reporting" / "data_quality.json").read_text()) == json.loads(
        (tiny_project_run / "data" / "08_reporting" / "data_quality.json").read_text()
    )
