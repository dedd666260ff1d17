"""The embeddings pipeline end to end on an in-memory catalog, and its catalog entries."""

from __future__ import annotations

from typing import Any

from kedro.config import OmegaConfigLoader
from kedro.io import AbstractDataset, DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from job_reco import text
from job_reco.columns import IS_ZERO_VECTOR, JOB_ID, RESUME_ID
from job_reco.pipelines.embeddings import create_pipeline
from tests.conftest import PROJECT_ROOT
from tests.pipelines.embeddings.test_nodes import JOBS, RESUME_TEXTS, HandVectors  # noqa: F401 (fixtures below)

CONTRACT_PATHS = {
    "scrubbed_resumes": "data/02_intermediate/resumes_scrubbed.parquet",
    "document_tokens": "data/02_intermediate/document_tokens.parquet",
    "resume_embeddings": "data/04_feature/resume_embeddings.parquet",
    "job_embeddings": "data/04_feature/job_embeddings.parquet",
    "document_embedder": "data/06_models/document_embedder.pkl",
    "embedding_report": "data/08_reporting/embedding_report.json",
}


class Constant(AbstractDataset):
    """A parameter value, None included (MemoryDataset refuses None)."""

    def __init__(self, value: Any):
        self._value = value

    def load(self) -> Any:
        return self._value

    def save(self, data: Any) -> None:
        raise NotImplementedError

    def _describe(self) -> dict[str, Any]:
        return {}


class Kept(MemoryDataset):
    """A MemoryDataset the runner does not empty, so the test can read it afterwards."""

    def _release(self) -> None:
        pass


def parameters() -> dict[str, Any]:
    return OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base")["parameters"]


def test_catalog_names_and_paths():
    config = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base")["catalog"]
    for name, path in CONTRACT_PATHS.items():
        assert config[name]["filepath"] == path, name
    assert config["word_vectors"]["type"] == "job_reco.datasets.word_vectors.WordVectorsDataset"


def test_embeddings_pipeline_runs(spark):
    from tests.pipelines.embeddings.test_nodes import JOB_SCHEMA, RESUME_SCHEMA, T0

    resumes = spark.createDataFrame([(rid, "s", body, T0) for rid, body in RESUME_TEXTS.items()], RESUME_SCHEMA)
    jobs = spark.createDataFrame([(jid, title, body, T0) for jid, (title, body) in JOBS.items()], JOB_SCHEMA)
    params = parameters()["embeddings"]
    assert params["method"] == "sif" and params["vectors_path"] is None
    datasets = {f"params:embeddings.{key}": Constant(value) for key, value in params.items()}
    datasets.update(valid_resumes=MemoryDataset(resumes), valid_jobs=MemoryDataset(jobs),
                    word_vectors=MemoryDataset(HandVectors(), copy_mode="assign"))
    outputs = ("resume_embeddings", "job_embeddings", "document_embedder", "embedding_report")
    datasets.update({name: Kept(copy_mode="assign") for name in outputs})
    catalog = DataCatalog(datasets)
    SequentialRunner().run(create_pipeline(), catalog)

    resume_rows = {row[RESUME_ID]: row for row in catalog.load("resume_embeddings").collect()}
    assert set(resume_rows) == set(RESUME_TEXTS)
    assert [rid for rid, row in sorted(resume_rows.items()) if row[IS_ZERO_VECTOR]] == ["r3", "r4"]
    assert {row[JOB_ID] for row in catalog.load("job_embeddings").collect()} == set(JOBS)
    embedder = catalog.load("document_embedder")
    assert isinstance(embedder, text.DocumentEmbedder) and embedder.component is not None
    report = catalog.load("embedding_report")
    assert report["method"] == "sif" and report["dimension"] == 2
    assert report["doc_types"]["resume"]["zero_vector_documents"] == 2
