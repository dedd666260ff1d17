"""The `cluster` env on an object store: a moto S3 server on 127.0.0.1, the tiny network, the real catalog.

Every dataset that Python libraries read and write through fsspec (pandas, JSON, CSV, pickle, charts,
Keras models) goes to `s3a://` on the local server. Spark's own `s3a://` needs the hadoop-aws jars,
which neither PyPI nor Debian ship for the Hadoop 3.5 inside pyspark 4.3 (docs/deploy.md): the Spark
tables of the same env go through a `file://` root here, by changing only spark_raw_root/spark_data_root.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from kedro.config import OmegaConfigLoader

from tests.conftest import PROJECT_ROOT, copy_project, run_kedro

BUCKET = "job-reco-test"
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
def object_store_run(tmp_path_factory, s3_endpoint, s3, tiny_project_run):
    """`kedro run --env cluster --pipelines from_logs` of a project copy whose data is on the moto server.

    The network's logs are the tiny run's: its raw tables where Spark reads them, its hidden truth
    uploaded to the bucket (where the generator would have written it), so no second generation runs.
    """
    project = copy_project(tmp_path_factory.mktemp("object_store_project"))
    spark_root = tmp_path_factory.mktemp("spark_tables")
    s3.put(str(tiny_project_run / "data" / "01_raw" / "_truth"), f"{BUCKET}/logs/_truth", recursive=True)
    configure_cluster_env(project, {
        "raw_root": f"s3a://{BUCKET}/logs",
        "data_root": f"s3a://{BUCKET}/job_reco",
        "spark_raw_root": f"file://{tiny_project_run / 'data' / '01_raw'}",
        "spark_data_root": f"file://{spark_root}/job_reco",
    })
    result = run_kedro(project, "run", "--env", "cluster", "--pipelines", "from_logs",
                       extra_env={**S3_CREDENTIALS, "AWS_ENDPOINT_URL": s3_endpoint})
    (project / "kedro_run.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        pytest.fail(f"kedro run --env cluster failed ({result.returncode}):\n{(result.stdout + result.stderr)[-6000:]}")
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


def test_every_fsspec_dataset_the_run_wrote_is_on_s3(object_store_run, s3):
    from kedro.framework.project import configure_project, pipelines

    project, _ = object_store_run
    configure_project("job_reco")
    written = pipelines["from_logs"].all_outputs()
    catalog = OmegaConfigLoader(str(project / "conf"), base_env="base", default_run_env="cluster")["catalog"]
    on_s3 = {name: entry for name, entry in catalog.items() if name in written and _location(entry).startswith("s3a://")}
    assert FSSPEC_TYPES <= {entry["type"] for entry in on_s3.values()}
    missing = [f"{name} ({_location(entry)})" for name, entry in on_s3.items() if not s3.exists(_location(entry))]
    assert missing == []
    models = s3.ls(_location(catalog["cluster_models@keras"]))
    assert models and all(path.endswith(".keras") for path in models)


def test_nothing_is_written_to_local_data(object_store_run):
    project, _ = object_store_run
    assert [str(p) for p in (project / "data").rglob("*") if p.is_file()] == []


def test_spark_tables_go_to_the_spark_root(object_store_run):
    _, spark_root = object_store_run
    for table in ("03_primary/labeled_impressions.parquet", "04_feature/resume_embeddings.parquet",
                  "07_model_output/scored_impressions.parquet"):
        assert any((spark_root / "job_reco" / table).glob("*.parquet")), f"no parquet part under {spark_root / table}"


def test_object_store_run_gives_the_same_metrics_as_the_local_tiny_run(object_store_run, s3, tiny_project_run):
    # Its "truth" part comes from the truth tables read back from S3.
    local = json.loads((tiny_project_run / "data" / "08_reporting" / "metrics.json").read_text())
    remote = json.loads(s3.cat(f"{BUCKET}/job_reco/08_reporting/metrics.json"))
    assert remote == local


def test_mlflow_records_the_models_read_back_from_s3(object_store_run):
    from mlflow.tracking import MlflowClient

    project, _ = object_store_run
    client = MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    run = client.search_runs([client.get_experiment_by_name("job_reco").experiment_id])[0]
    models = [item.path for item in client.list_artifacts(run.info.run_id, "models/ncf")]
    assert models and all(path.endswith(".keras") for path in models)
    assert run.data.metrics["metrics.n_groups"] > 0
