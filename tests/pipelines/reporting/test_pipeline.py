"""The reporting pipeline end to end on an in-memory catalog, and its catalog entries."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import AbstractDataset, DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from job_reco.columns import (
    CLUSTER,
    EXAMINATION,
    FACTOR_COLUMNS,
    JOB_ID,
    LABEL,
    MATCH_GRADE,
    POSITION,
    RANKERS,
    RELEVANCE,
    RESUME_ID,
    SEARCH_ID,
    SPLIT,
    score_column,
)
from job_reco.pipelines.reporting import create_pipeline
from job_reco.pipelines.reporting.report import CHART_FILES
from tests.conftest import PROJECT_ROOT

CONTRACT_RANKER_KEYS = {"mrr", "precision@1", "precision@5", "precision@10", "ndcg@10", "auc", "ips_mrr"}
CONTRACT_LIFT_KEYS = {"mrr", "precision@5", "ips_mrr", "mrr_ci95", "ips_mrr_ci95"}


class _KeptDataset(MemoryDataset):
    """A MemoryDataset the runner does not empty after its last reader, so the test can read it."""

    def _release(self) -> None:
        pass


class _WrittenSparkDataset(_KeptDataset):
    """Holds a Spark frame computed once, as the catalog's parquet folder does (not a plan re-run by each reader)."""

    def save(self, data) -> None:
        super().save(data.sparkSession.createDataFrame(data.toPandas(), data.schema))


def simulate_network(n_groups: int = 800, n_jobs: int = 20, eta: float = 0.7, seed: int = 0):
    """A test split whose clicks follow examination 1/position^eta x attractiveness of a true grade.

    Search ranks by the grade plus heavy noise; the ensemble by the grade plus light noise, so it
    truly ranks better, while the logged clicks still favour search's top positions.
    """
    rng = np.random.default_rng(seed)
    grade = rng.choice(4, p=[0.6, 0.2, 0.12, 0.08], size=(n_groups, n_jobs))
    grade = np.take_along_axis(grade, np.argsort(-(grade + rng.normal(0, 2.0, grade.shape)), axis=1), axis=1)
    position = np.arange(1, n_jobs + 1)
    click = rng.random(grade.shape) < (1 / position**eta) * np.array([0.02, 0.15, 0.35, 0.6])[grade]
    keep = click.any(axis=1)  # a group exists because one of its jobs was clicked and applied to
    grade, click = grade[keep], click[keep]
    groups = grade.shape[0]
    frame = pd.DataFrame(
        {
            SEARCH_ID: np.repeat([f"s{i:04d}" for i in range(groups)], n_jobs),
            RESUME_ID: np.repeat([f"r{i % 50:02d}" for i in range(groups)], n_jobs),
            JOB_ID: [f"j{i:05d}" for i in range(groups * n_jobs)],
            POSITION: np.tile(position, groups),
            LABEL: click.ravel().astype("int32"),
            SPLIT: "test",
            score_column("search"): -np.tile(position, groups).astype(float),
            score_column("ensemble"): (grade + rng.normal(0, 0.8, grade.shape)).ravel(),
            score_column("cosine"): (grade + rng.normal(0, 1.5, grade.shape)).ravel(),
            score_column("popularity"): rng.random(grade.size),
            score_column("random"): rng.random(grade.size),
        }
    )
    relevance = np.array([0.02, 0.15, 0.35, 0.6])[grade.ravel()]  # the click model's attractiveness
    # the factors of the relevance: the grade's occupation factor, a constant employer quality, the rest 1
    factors = {f: np.ones(grade.size) for f in FACTOR_COLUMNS} | {"occupation_factor": relevance / 0.6,
                                                                   "employer_quality": np.full(grade.size, 0.6)}
    truth = frame[[SEARCH_ID, JOB_ID, POSITION]].assign(**{MATCH_GRADE: grade.ravel().astype("int8"),
                                                            RELEVANCE: relevance}, **factors)
    examination = pd.DataFrame({POSITION: position, EXAMINATION: 0.9 / position**eta})
    propensity = {str(p): float(1 / p**eta) for p in position}
    return frame, truth, examination, propensity


def _run(spark, truth: bool) -> DataCatalog:
    frame, truth_impressions, truth_examination, propensity = simulate_network()
    parameters = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base")["parameters"]
    inputs = {
        "scored_impressions@spark": spark.createDataFrame(frame),
        "propensity": propensity,
        "truth_impressions@spark": spark.createDataFrame(truth_impressions) if truth else None,
        "truth_examination": truth_examination if truth else None,
        "resume_clusters": spark.createDataFrame(
            pd.DataFrame({RESUME_ID: [f"r{i:02d}" for i in range(50)], CLUSTER: np.arange(50) % 5})),
        "training_history": {"clusters": {"0": {"status": "trained", "rows_train": 900, "history": {
            "loss": [0.7, 0.6], "val_loss": [0.72, 0.65], "val_auc": [0.6, 0.66], "seconds": [0.1, 0.1]}}}},
        "ensemble_selection": {"selected": "routed", "reason": "highest IPS-weighted MRR on the validation slice"},
        "data_quality": {"impressions": {"rows": 8000, "quarantined": 0}},
        "cluster_report": {"k": 5, "silhouette": 0.2},
        "embedding_report": {"dimension": 50},
        "quality_by_scale": None,  # benchmarks/quality_scale.py has not run
        **{f"params:reporting.{key}": value for key, value in parameters["reporting"].items()},
        "params:ips_clip": parameters["ips_clip"],
    }
    pipeline = create_pipeline()
    # A None input (no truth) cannot sit in a MemoryDataset: give it a dataset that loads None.
    catalog = DataCatalog({name: _NoneDataset() if value is None else MemoryDataset(value, copy_mode="assign")
                           for name, value in inputs.items()})
    for name in pipeline.all_outputs():
        catalog[name] = (_WrittenSparkDataset if name == "group_metrics" else _KeptDataset)(copy_mode="assign")
    SequentialRunner().run(pipeline, catalog)
    return catalog


class _NoneDataset(AbstractDataset):
    """What OptionalDataset gives on real logs: None."""

    def load(self):
        return None

    def save(self, data) -> None:
        raise NotImplementedError

    def _describe(self) -> dict:
        return {}


@pytest.fixture(scope="module")
def generated_run(spark) -> DataCatalog:
    return _run(spark, truth=True)


def test_pipeline_writes_metrics_json_as_the_contract_says(generated_run):
    metrics = generated_run.load("metrics")
    json.dumps(metrics, allow_nan=False)  # strict JSON: no NaN
    assert list(metrics) == ["headline", "n_groups", "rankers", "lift_vs_search", "by_percentile", "propensity",
                             "ips_clip", "truth"]
    assert metrics["n_groups"] == generated_run.load("group_metrics").count()
    assert set(metrics["rankers"]) == set(RANKERS)
    assert all(set(values) == CONTRACT_RANKER_KEYS for values in metrics["rankers"].values())
    assert set(metrics["lift_vs_search"]) == set(RANKERS) - {"search"}
    assert all(set(values) == CONTRACT_LIFT_KEYS for values in metrics["lift_vs_search"].values())
    assert all(list(values) == [str(p) for p in range(10, 101, 10)] for values in metrics["by_percentile"].values())
    assert metrics["ips_clip"] == 10
    assert set(metrics["truth"]) == {"oracle", *RANKERS}
    assert metrics["truth"]["oracle"]["ndcg@10"] == pytest.approx(1.0)
    assert all("ips_mrr_true_curve" in values for values in metrics["truth"].values())


def test_naive_view_misleads_and_ips_and_truth_agree(generated_run):
    # The point on a simulated position-biased log: the ensemble truly ranks better (truth),
    # loses to search on naive MRR, and wins on IPS-weighted MRR.
    metrics = generated_run.load("metrics")
    lift = metrics["lift_vs_search"]["ensemble"]
    assert metrics["truth"]["ensemble"]["ndcg@10"] > metrics["truth"]["search"]["ndcg@10"]
    assert lift["mrr_ci95"][1] < 0
    assert lift["ips_mrr_ci95"][0] > 0
    assert lift["mrr_ci95"][0] <= lift["mrr"] <= lift["mrr_ci95"][1]


def test_headline_leads_with_the_gap_closed_on_the_truth_views(generated_run):
    headline = generated_run.load("metrics")["headline"]
    assert headline["views"] == ["ndcg@10", "ips_mrr_true_curve", "ips_mrr", "mrr"]
    assert set(headline["gap_closed"]) == set(RANKERS)
    assert set(headline["chosen_minus_baseline"]) == set(RANKERS) - {"ensemble"}
    ensemble = headline["gap_closed"]["ensemble"]
    # The simulated ensemble sorts by the grade plus light noise: it closes part of the gap, not all of it.
    assert 0 < ensemble["ndcg@10_ci95"][0] <= ensemble["ndcg@10"] <= ensemble["ndcg@10_ci95"][1] < 1
    assert headline["chosen_minus_baseline"]["search"]["ndcg@10_ci95"][0] > 0
    assert headline["bootstrap"]["replicates"] == 1000


def test_pipeline_writes_a_report_and_both_kinds_of_chart(generated_run):
    text = generated_run.load("report")
    assert "## In short" in text and "| ensemble |" in text
    # the factor diagnostic of the generated network, summarised in the report; no scale table without its file
    diagnostic = generated_run.load("truth_diagnostic")
    assert diagnostic["truth"] and [row["factor"] for row in diagnostic["table"]][0] == "occupation_factor"
    assert "## Where the rest of the gap lies" in text and "## What more logs buy" not in text
    for name in CHART_FILES:
        assert generated_run.load(f"{name}_png").get_axes()
        assert generated_run.load(f"{name}_plotly").to_json()


# --- catalog ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog_config() -> dict:
    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base")
    return dict(loader["catalog"])


def test_every_saved_output_has_a_catalog_entry(catalog_config):
    saved = {"metrics", "report", "cluster_metrics", "examination_curves", "ensemble_comparisons", "group_metrics"}
    for name in CHART_FILES:
        saved |= {f"{name}_png", f"{name}_plotly"}
    assert saved <= set(create_pipeline().all_outputs())
    assert saved <= set(catalog_config)
    assert catalog_config["metrics"]["filepath"] == "data/08_reporting/metrics.json"
    assert catalog_config["report"]["filepath"] == "data/08_reporting/report.md"
    # Impressions-scale inputs are read by Spark, not pandas.
    assert {"scored_impressions@spark", "truth_impressions@spark"} <= create_pipeline().inputs()
    assert catalog_config["truth_impressions@spark"]["dataset"]["type"] == "spark.SparkDataset"


def test_report_links_point_at_the_chart_files(catalog_config):
    for name, relative in CHART_FILES.items():
        assert catalog_config[f"{name}_png"]["filepath"] == f"data/08_reporting/{relative}"
        assert catalog_config[f"{name}_png"]["type"] == "matplotlib.MatplotlibDataset"
        assert catalog_config[f"{name}_plotly"]["type"] == "plotly.JSONDataset"


def test_scored_impressions_pandas_reads_only_the_test_rows_of_a_spark_folder(catalog_config, tmp_path):
    # Spark writes a folder of part files and a _SUCCESS marker.
    folder = tmp_path / "scored_impressions.parquet"
    folder.mkdir()
    frame, *_ = simulate_network(n_groups=20)
    frame.iloc[:50].assign(**{SPLIT: "train"}).to_parquet(folder / "part-00000.parquet")
    frame.iloc[50:].to_parquet(folder / "part-00001.parquet")
    (folder / "_SUCCESS").write_text("")
    config = {**catalog_config["scored_impressions@pandas"], "filepath": str(folder)}
    loaded = AbstractDataset.from_config("scored_impressions@pandas", config).load()
    assert len(loaded) == len(frame) - 50
    assert set(loaded[SPLIT]) == {"test"}
