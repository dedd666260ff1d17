"""The `cluster` env end to end: a standalone Spark cluster and an S3 object store, both on 127.0.0.1.

One `kedro run --env cluster --pipelines from_logs` of a project copy runs on the tiny network's logs
against both:

- **Spark**: a standalone master and two one-core workers, started from the pyspark package. The
  executors' Python comes from the env's spark.yml (`spark.pyspark.python`): the driver's own
  PYSPARK_PYTHON is set to a path that does not exist.
- **Object store**: a moto S3 server. Every dataset that Python libraries read and write through
  fsspec (pandas, JSON, CSV, pickle, charts, Keras models) goes to `s3a://` on it. Spark's own
  `s3a://` needs the hadoop-aws jars, which neither PyPI nor Debian ship for the Hadoop 3.5 inside
  pyspark 4.3 (docs/deploy.md): the Spark tables of the same env go through a `file://` root here, by
  changing only spark_raw_root/spark_data_root.
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
import yaml
from kedro.config import OmegaConfigLoader

from tests.conftest import PROJECT_ROOT, copy_project, run_kedro

BUCKET = "job-reco-test"

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



S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
# Types that must be among the datasets found on S3, so the test cannot pass on an empty catalog.
FSSPEC_TYPES = {
    "json.JSONDataset", "pickle.PickleDataset", "partitions.PartitionedDataset", "pandas.CSVDataset",
    "matplotlib.MatplotlibDataset", "plotly.JSONDataset", "text.TextDataset",
}


@pytest.fixture(scope="module")
def s3_endpoint():
    """A moto S3 server on 127.0.0.1 (a free port) with an empty bucket; stopped after the module."""
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server", reason="moto[s3] is not installed (pyproject test extra)")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, **_boto_credentials()).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": S3_CREDENTIALS["AWS_DEFAULT_REGION"],
    }


def configure_cluster_env(project: Path, globals_: dict[str, str], spark: dict[str, str] | None = None) -> None:
    """Point the copy's cluster env at `globals_`, with the test env's tiny parameters and Spark settings.

    The example's YARN master and sizes are replaced by the test env's local[2] settings, updated with `spark`.
    """
    cluster = project / "conf" / "cluster"
    (cluster / "globals.yml").write_text(yaml.safe_dump(globals_))
    for parameters in (PROJECT_ROOT / "conf" / "test").glob("parameters_*.yml"):
        shutil.copy(parameters, cluster / parameters.name)
    settings = yaml.safe_load((PROJECT_ROOT / "conf" / "test" / "spark.yml").read_text())
    (cluster / "spark.yml").write_text(yaml.safe_dump({**settings, **(spark or {})}))


@pytest.fixture(scope="module")
def cluster_run(tmp_path_factory, standalone_cluster, s3_endpoint, s3, tiny_project_run):
    """`kedro run --env cluster --pipelines from_logs` of a project copy on the cluster, its data on the moto server.

    The network's logs are the tiny run's: its raw tables where Spark reads them, its hidden truth
    uploaded to the bucket (where the generator would have written it), so no second generation runs.
    Returns (project, the Spark tables' root).
    """
    master, _, _ = standalone_cluster
    project = copy_project(tmp_path_factory.mktemp("cluster_project"))
    spark_root = tmp_path_factory.mktemp("spark_tables")
    raw = f"file://{tiny_project_run / 'data' / '01_raw'}"
    s3.put(str(tiny_project_run / "data" / "01_raw" / "_truth"), f"{BUCKET}/logs/_truth", recursive=True)
    configure_cluster_env(
        project,
        {"raw_root": f"s3a://{BUCKET}/logs", "data_root": f"s3a://{BUCKET}/job_reco",
         "spark_raw_root": raw, "spark_data_root": f"file://{spark_root}/job_reco"},
        spark={
            "spark.master": master,
            # The workers' Python: here the one with the project's packages, named by configuration.
            "spark.pyspark.python": sys.executable,
            "spark.executor.memory": "1g",
            "spark.executor.cores": "1",
            "spark.cores.max": str(WORKERS),
        },
    )
    result = run_kedro(project, "run", "--env", "cluster", "--pipelines", "from_logs",
                       extra_env={**S3_CREDENTIALS, "AWS_ENDPOINT_URL": s3_endpoint,
                                  "PYSPARK_PYTHON": "/nonexistent/python-from-the-driver"})
    (project / "kedro_run.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        pytest.fail(f"kedro run --env cluster on {master} failed ({result.returncode}):\n"
                    f"{(result.stdout + result.stderr)[-6000:]}")
    return project, spark_root


@pytest.fixture(scope="module")
def s3(s3_endpoint):
    """An s3fs filesystem on the moto server."""
    import s3fs

    credentials = _boto_credentials()
    return s3fs.S3FileSystem(
        key=credentials["aws_access_key_id"], secret=credentials["aws_secret_access_key"],
        client_kwargs={"endpoint_url": s3_endpoint, "region_name": credentials["region_name"]},
    )


def _location(entry: dict) -> str:
    return str(entry.get("filepath") or entry.get("path") or entry.get("dataset", {}).get("filepath") or "")


def test_every_fsspec_dataset_the_run_wrote_is_on_s3(cluster_run, s3):
    from kedro.framework.project import configure_project, pipelines

    project, _ = cluster_run
    configure_project("job_reco")
    written = pipelines["from_logs"].all_outputs()
    catalog = OmegaConfigLoader(str(project / "conf"), base_env="base", default_run_env="cluster")["catalog"]
    on_s3 = {name: entry for name, entry in catalog.items() if name in written and _location(entry).startswith("s3a://")}
    assert FSSPEC_TYPES <= {entry["type"] for entry in on_s3.values()}
    missing = [f"{name} ({_location(entry)})" for name, entry in on_s3.items() if not s3.exists(_location(entry))]
    assert missing == []
    models = s3.ls(_location(catalog["cluster_models@keras"]))
    assert models and all(path.endswith(".keras") for path in models)


def test_nothing_is_written_to_local_data(cluster_run):
    project, _ = cluster_run
    assert [str(p) for p in (project / "data").rglob("*") if p.is_file()] == []


def test_spark_tables_go_to_the_spark_root(cluster_run):
    _, spark_root = cluster_run
    for table in ("03_primary/labeled_impressions.parquet", "04_feature/resume_embeddings.parquet",
                  "07_model_output/scored_impressions.parquet"):
        assert any((spark_root / "job_reco" / table).glob("*.parquet")), f"no parquet part under {spark_root / table}"


def test_the_cluster_run_gives_the_same_metrics_as_the_local_tiny_run(cluster_run, s3, tiny_project_run):
    # Its "truth" part comes from the truth tables read back from S3.
    local = json.loads((tiny_project_run / "data" / "08_reporting" / "metrics.json").read_text())
    remote = json.loads(s3.cat(f"{BUCKET}/job_reco/08_reporting/metrics.json"))
    assert remote == local


def test_mlflow_records_the_models_read_back_from_s3(cluster_run):
    from mlflow.tracking import MlflowClient

    project, _ = cluster_run
    client = MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    run = client.search_runs([client.get_experiment_by_name("job_reco").experiment_id])[0]
    models = [item.path for item in client.list_artifacts(run.info.run_id, "models/ncf")]
    assert models and all(path.endswith(".keras") for path in models)
    assert run.data.metrics["metrics.n_groups"] > 0


def test_the_pipelines_ran_as_one_application_on_both_workers(cluster_run, standalone_cluster):
    _, ui_port, work_dirs = standalone_cluster
    state = _master_state(ui_port)
    assert state["aliveworkers"] == WORKERS
    (app,) = state["completedapps"]
    assert (app["name"], app["state"], app["cores"]) == ("job_reco", "FINISHED", WORKERS)
    # Each worker started an executor for it (its work folder holds the application's folder).
    assert [sorted(p.name for p in work_dir.iterdir()) for work_dir in work_dirs] == [[app["id"]]] * WORKERS


def test_the_cluster_run_writes_embeddings_and_clusters_like_the_local_run(cluster_run, s3, tiny_project_run):
    _, spark_root = cluster_run

    def report(name: str) -> tuple[dict, dict]:
        local = json.loads((tiny_project_run / "data" / "08_reporting" / name).read_text())
        return local, json.loads(s3.cat(f"{BUCKET}/job_reco/08_reporting/{name}"))

    local, remote = report("cluster_report.json")
    assert remote["k"] == local["k"]
    assert sum(remote["sizes"].values()) == sum(local["sizes"].values())
    assert any((spark_root / "job_reco" / "04_feature" / "resume_clusters.parquet").glob("*.parquet"))
    local, remote = report("data_quality.json")
    assert remote == local
