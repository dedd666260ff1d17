"""Project-level checks: the pipeline graph, the truth firewall, and one whole `kedro run` on a tiny network."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from kedro.framework.project import configure_project, pipelines
from kedro.pipeline import Pipeline

from job_reco import columns as C
from tests.conftest import PROJECT_ROOT

# Only these may read the generated network's hidden truth: the generator writes it and the
# reporting pipeline adds diagnostics that real networks cannot have.
TRUTH_READERS = {"data_generation", "reporting"}
PIPELINES = ("data_generation", "data_integration", "embeddings", "clustering", "modeling", "reporting")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(r"\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b")


@pytest.fixture(scope="module")
def registered_pipelines():
    """The project's registered pipelines."""
    configure_project("job_reco")
    return pipelines


@pytest.fixture(scope="module")
def catalog_config() -> dict:
    """The merged catalog configuration of the base env."""
    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base")
    return dict(loader["catalog"])


def _filepaths(entry: dict) -> list[str]:
    """Every filepath named by a catalog entry, also inside wrapped datasets."""
    found = [str(entry["filepath"])] if "filepath" in entry else []
    for value in entry.values():
        if isinstance(value, dict):
            found += _filepaths(value)
    return found


def test_every_pipeline_is_registered(registered_pipelines):
    assert set(PIPELINES) <= set(registered_pipelines)
    default_nodes = {n.name for n in registered_pipelines["__default__"].nodes}
    for name in PIPELINES:
        assert {n.name for n in registered_pipelines[name].nodes} <= default_nodes
    assert not {n.name for n in registered_pipelines["data_generation"].nodes} & {
        n.name for n in registered_pipelines["from_logs"].nodes
    }


def test_each_pipeline_is_one_namespace_that_keeps_the_catalog_names(registered_pipelines, catalog_config):
    """kedro viz groups a pipeline by its namespace; the namespace prefixes node names only."""
    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base")
    parameters = dict(loader["parameters"])
    for name in (*PIPELINES, "recommend"):
        pipeline = registered_pipelines[name]
        assert {node.namespace for node in pipeline.nodes} == {name}
        assert all(node.name == f"{name}.{node.short_name}" for node in pipeline.nodes)
        # Every dataset the pipeline reads from outside is a catalog entry under its own name.
        read = {dataset for dataset in pipeline.inputs() if not dataset.startswith("params:")}
        assert read - set(catalog_config) == set(), name
        for parameter in (p.removeprefix("params:") for p in pipeline.datasets() if p.startswith("params:")):
            value = parameters
            for key in parameter.split("."):
                assert isinstance(value, dict) and key in value, f"{name} reads params:{parameter}, not in conf"
                value = value[key]


def test_only_generation_and_reporting_read_truth(registered_pipelines, catalog_config):
    truth_datasets = {
        name for name, entry in catalog_config.items()
        if isinstance(entry, dict) and any("_truth" in path for path in _filepaths(entry))
    }
    assert truth_datasets, "the catalog names no _truth dataset"
    for name, pipeline in registered_pipelines.items():
        if name in TRUTH_READERS or name in ("__default__", "from_logs"):
            continue
        assert not pipeline.inputs() & truth_datasets, f"pipeline {name} reads {pipeline.inputs() & truth_datasets}"
    learners = sum((registered_pipelines[p] for p in PIPELINES if p not in TRUTH_READERS), Pipeline([]))
    assert not learners.inputs() & truth_datasets


def test_tiny_run_writes_the_contract_outputs(tiny_project_run):
    data = tiny_project_run / "data"
    labeled = pd.read_parquet(data / "03_primary/labeled_impressions.parquet")
    # the generated searches log `experiment` (data contract v2), which data_integration carries
    assert list(labeled.columns) == [*C.LABELED_IMPRESSIONS_COLUMNS, C.EXPERIMENT]
    assert set(labeled[C.SPLIT]) == {C.TRAIN, C.TEST}
    groups = labeled.groupby([C.SEARCH_ID, C.RESUME_ID])[C.SPLIT].nunique()
    assert (groups == 1).all(), "a query group straddles train and test"

    for table, key in (("resume_embeddings", C.RESUME_ID), ("job_embeddings", C.JOB_ID)):
        frame = pd.read_parquet(data / f"04_feature/{table}.parquet")
        assert {key, C.EMBEDDING} <= set(frame.columns)
        assert frame[C.EMBEDDING].map(len).nunique() == 1
    clusters = pd.read_parquet(data / "04_feature/resume_clusters.parquet")
    assert list(clusters.columns[:2]) == [C.RESUME_ID, C.CLUSTER]

    scored = pd.read_parquet(data / "07_model_output/scored_impressions.parquet")
    assert set(C.SCORED_IMPRESSIONS_COLUMNS) <= set(scored.columns)
    assert scored[C.SPLIT].eq(C.TEST).all()

    metrics = json.loads((data / "08_reporting/metrics.json").read_text())
    assert metrics["n_groups"] == scored.groupby([C.SEARCH_ID, C.RESUME_ID]).ngroups
    assert set(metrics["rankers"]) == set(C.RANKERS) | set(C.V2_RANKERS)
    for values in metrics["rankers"].values():
        assert {"mrr", "precision@1", "precision@5", "precision@10", "ndcg@10", "auc", "ips_mrr"} <= set(values)
    assert "truth" in metrics and "oracle" in metrics["truth"]
    assert (data / "08_reporting/report.md").stat().st_size > 0


def test_tiny_run_keeps_personal_data_out_of_features_reports_and_logs(tiny_project_run):
    late_layers = ["03_primary", "04_feature", "05_model_input", "06_models", "07_model_output", "08_reporting"]
    texts = [(tiny_project_run / "kedro_run.log").read_text()]
    for layer in late_layers:
        for path in (tiny_project_run / "data" / layer).rglob("*"):
            if path.suffix in {".json", ".md", ".csv", ".txt"}:
                texts.append(path.read_text(errors="ignore"))
            elif path.suffix == ".parquet" and path.is_file():
                frame = pd.read_parquet(path)
                texts += [frame[c].astype(str).str.cat(sep=" ") for c in frame.columns if frame[c].dtype == object]
    for text in texts:
        assert not EMAIL.search(text), EMAIL.search(text).group(0)
        assert not PHONE.search(text), PHONE.search(text).group(0)


def test_tiny_run_tokens_hold_no_part_of_an_email_address(tiny_project_run):
    resumes = pd.read_parquet(tiny_project_run / "data/01_raw/resumes.parquet")
    domains = resumes[C.TEXT].str.extract(r"[\w.+-]+@([A-Za-z-]+)\.", expand=False).str.lower()
    assert domains.notna().mean() > 0.5, "the generator should put e-mail addresses in most resumes"
    tokens = pd.read_parquet(tiny_project_run / "data/02_intermediate/document_tokens.parquet")
    tokens = tokens[tokens[C.DOC_TYPE] == "resume"].set_index(C.DOC_ID)[C.TOKENS]
    leaked = [
        rid for rid, domain in zip(resumes[C.RESUME_ID], domains)
        if isinstance(domain, str) and rid in tokens.index and domain in set(tokens[rid])
    ]
    assert not leaked, f"{len(leaked)} resumes keep their e-mail domain as a token"


def test_composite_pipelines_load_when_the_cli_asks_for_them_by_name():
    """`kedro run --pipelines from_logs` (Kedro 1.7 loads only the pipelines the CLI names)."""
    configure_project("job_reco")
    try:
        pipelines.set_requested(["from_logs"])
        assert {node.name for node in pipelines["from_logs"].nodes} == {
            node.name for name in ("data_integration", "embeddings", "clustering", "modeling", "reporting")
            for node in pipelines[name].nodes
        }
    finally:
        pipelines.set_requested(None)
