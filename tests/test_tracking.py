"""Experiment tracking: what job_reco.hooks.run_record records, and that a tiny `kedro run` lands in MLflow."""

from __future__ import annotations

import json
import math
import zipfile

import pytest

from job_reco.datasets.paths import copy_to_local, entry_location
from job_reco.hooks.run_record import numeric_leaves


def test_numeric_leaves_flattens_nested_numbers_and_skips_the_rest():
    report = {
        "rankers": {"ensemble": {"mrr": 0.5, "precision@1": 1, "name": "ncf"}},
        "curve": [0.1, 0.2],
        "ok": True,
        "missing": math.nan,
        "n_groups": 12,
    }
    assert dict(numeric_leaves(report, "metrics")) == {
        "metrics.rankers.ensemble.mrr": 0.5,
        "metrics.rankers.ensemble.precision_1": 1.0,
        "metrics.n_groups": 12.0,
    }


def test_entry_location_joins_relative_paths_to_the_project_and_keeps_urls(tmp_path):
    assert entry_location({"filepath": "data/08_reporting/m.json"}, tmp_path) == str(tmp_path / "data/08_reporting/m.json")
    assert entry_location({"path": "s3a://bucket/job_reco/06_models/ncf"}, tmp_path) == "s3a://bucket/job_reco/06_models/ncf"
    with pytest.raises(ValueError, match="no filepath or path"):
        entry_location({"type": "MemoryDataset"}, tmp_path)


def test_copy_to_local_copies_a_file_and_a_folder(tmp_path):
    source = tmp_path / "source"
    (source / "ncf").mkdir(parents=True)
    (source / "ncf" / "cluster_0.keras").write_bytes(b"model 0")
    (source / "metrics.json").write_text("{}")
    destination = tmp_path / "destination"
    destination.mkdir()
    assert copy_to_local(str(source / "metrics.json"), destination).read_text() == "{}"
    folder = copy_to_local(f"file://{source / 'ncf'}", destination)
    assert sorted(p.name for p in folder.iterdir()) == ["cluster_0.keras"]
    assert (folder / "cluster_0.keras").read_bytes() == b"model 0"


@pytest.fixture(scope="module")
def tiny_mlflow_run(tiny_project_run):
    """The MLflow client of the tiny project and its `__default__` run (the whole pipeline)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{tiny_project_run / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("job_reco")
    assert experiment is not None, "kedro run --env test recorded no MLflow experiment 'job_reco'"
    runs = client.search_runs([experiment.experiment_id], filter_string="tags.`mlflow.runName` = '__default__'")
    assert len(runs) == 1, f"expected one __default__ run, got {len(runs)}"
    return client, runs[0]


def _artifact_paths(client, run_id: str, folder: str | None = None) -> list[str]:
    paths = []
    for item in client.list_artifacts(run_id, folder):
        paths.extend(_artifact_paths(client, run_id, item.path) if item.is_dir else [item.path])
    return paths


def test_tiny_run_logs_its_metrics_data_quality_and_parameters(tiny_project_run, tiny_mlflow_run):
    _, run = tiny_mlflow_run
    reports = tiny_project_run / "data" / "08_reporting"
    metrics = json.loads((reports / "metrics.json").read_text())
    quality = json.loads((reports / "data_quality.json").read_text())
    assert run.info.status == "FINISHED"
    for ranker, values in metrics["rankers"].items():
        assert run.data.metrics[f"metrics.rankers.{ranker}.mrr"] == pytest.approx(values["mrr"])
        assert run.data.metrics[f"metrics.rankers.{ranker}.ips_mrr"] == pytest.approx(values["ips_mrr"])
    assert run.data.metrics["data_quality.tables.impressions.rows_in"] == quality["tables"]["impressions"]["rows_in"]
    assert run.data.params["data_generation.preset"] == "tiny"
    assert run.data.params["clustering.min_word_documents"] == "3"


def test_tiny_run_logs_its_models_charts_and_reports(tiny_project_run, tiny_mlflow_run):
    client, run = tiny_mlflow_run
    artifacts = set(_artifact_paths(client, run.info.run_id))
    models = sorted(p.name for p in (tiny_project_run / "data" / "06_models" / "ncf").glob("*.keras"))
    assert models, "the tiny run trained no cluster model"
    assert {f"models/ncf/{name}" for name in models} <= artifacts
    assert {"models/document_embedder.pkl", "models/cluster_centres.json", "models/propensity.json"} <= artifacts
    assert {"reports/metrics.json", "reports/data_quality.json", "reports/report.md"} <= artifacts
    assert {"charts/precision_by_percentile.png", "charts/metric_views.png"} <= artifacts
    # The model itself (a later test may retrain and rewrite the file, so not byte for byte: the
    # archive's save date changes): the same layers and shapes as the trained model's.
    logged = zipfile.ZipFile(client.download_artifacts(run.info.run_id, f"models/ncf/{models[0]}"))
    trained = zipfile.ZipFile(tiny_project_run / "data" / "06_models" / "ncf" / models[0])
    assert logged.namelist() == trained.namelist()
    assert _without_object_ids(json.loads(logged.read("config.json"))) == _without_object_ids(
        json.loads(trained.read("config.json"))
    )


def _without_object_ids(config):
    """A Keras config without `shared_object_id` (a memory address that differs from process to process)."""
    if isinstance(config, dict):
        return {k: _without_object_ids(v) for k, v in config.items() if k != "shared_object_id"}
    if isinstance(config, list):
        return [_without_object_ids(v) for v in config]
    return config


@pytest.mark.parametrize(
    ("env", "tracking_uri", "experiment"),
    [("local", "sqlite:///mlflow.db", "job_reco"), ("cluster", "sqlite:///mlflow.db", "job_reco"),
     ("databricks", "databricks", "/Shared/job_reco")],
)
def test_each_env_names_its_tracking_server_by_configuration_only(env, tracking_uri, experiment):
    from kedro.config import OmegaConfigLoader
    from kedro_mlflow.config.kedro_mlflow_config import KedroMlflowConfig

    from job_reco import settings
    from tests.conftest import PROJECT_ROOT

    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), env=env, **settings.CONFIG_LOADER_ARGS)
    config = KedroMlflowConfig.model_validate(loader["mlflow"])
    assert config.server.mlflow_tracking_uri == tracking_uri
    assert config.tracking.experiment.name == experiment
    assert set(loader["tracking"]) == {"metrics", "artifacts", "serving_model"}
