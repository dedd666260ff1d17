"""The clustering pipeline end to end on an in-memory catalog, and its catalog entries."""

from __future__ import annotations

from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from job_reco.columns import CLUSTER, DOC_ID, DOC_TYPE, RESUME_ID, TOKENS
from job_reco.pipelines.clustering import create_pipeline
from tests.conftest import PROJECT_ROOT
from tests.pipelines.clustering.test_nodes import EMBEDDINGS_SCHEMA, toy_vectors
from tests.pipelines.embeddings.test_pipeline import Constant, Kept

CONTRACT_PATHS = {
    "resume_clusters": "data/04_feature/resume_clusters.parquet",
    "cluster_centres": "data/06_models/cluster_centres.json",
    "cluster_report": "data/08_reporting/cluster_report.json",
}


def test_catalog_names_and_paths():
    config = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base")["catalog"]
    for name, path in CONTRACT_PATHS.items():
        assert config[name]["filepath"] == path, name


def test_clustering_pipeline_runs(spark):
    rows = toy_vectors(per_blob=12)
    embeddings = spark.createDataFrame(rows, EMBEDDINGS_SCHEMA)
    words = {"a": ["nurse", "care"], "b": ["code", "python"], "c": ["truck", "driver"]}
    tokens = spark.createDataFrame([("resume", rid, words.get(rid[0], [])) for rid, _, _ in rows],
                                   f"{DOC_TYPE} string, {DOC_ID} string, {TOKENS} array<string>")
    params = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base")["parameters"]
    params = {**params["clustering"], "k": 3, "k_sweep": [2], "min_word_documents": 5, "top_words": 2}
    datasets = {f"params:clustering.{key}": Constant(value) for key, value in params.items()}
    datasets.update(resume_embeddings=MemoryDataset(embeddings), document_tokens=MemoryDataset(tokens))
    datasets.update({name: Kept(copy_mode="assign") for name in ("resume_clusters", "cluster_centres", "cluster_report")})
    catalog = DataCatalog(datasets)
    SequentialRunner().run(create_pipeline(), catalog)

    clusters = {row[RESUME_ID]: row[CLUSTER] for row in catalog.load("resume_clusters").collect()}
    assert len(clusters) == len(rows)
    report = catalog.load("cluster_report")
    assert report["k"] == 3 and sum(report["sizes"].values()) == len(rows)
    assert [entry["k"] for entry in report["k_sweep"]] == [2]
    # each cluster is one blob, so its two words are its characteristic words
    described = sorted(sorted(w["word"] for w in words_) for words_ in report["characteristic_words"].values())
    assert described == [["care", "nurse"], ["code", "python"], ["driver", "truck"]]
    assert catalog.load("cluster_centres")["k"] == 3
