"""Nodes of `recommend`: build the recommender from the catalog's artifacts, then recommend on Spark."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame

from job_reco.recommend.artifacts import ArtifactError, assemble_artifacts
from job_reco.recommend.recommender import JobRecommender, RecommendSettings
from job_reco.recommend.spark import recommend_on_spark

# The artifacts the recommender is built from, by catalog name.
ARTIFACTS = (
    "ranker_model@weights", "ranker_layout", "architecture_selection", "gbdt_booster", "cluster_models@weights", "ensemble_selection",
    "document_embedder", "cluster_centres", "recommend_job_appeal", "recommend_title_pair_appeal", "appeal_priors",
)


def collect_recommend_artifacts(*loaded: Any) -> dict[str, Any]:
    """The artifacts (in ARTIFACTS order) as one mapping by catalog name."""
    return dict(zip(ARTIFACTS, loaded, strict=True))


def build_recommender(
    models: Mapping[str, Any],
    recommend_jobs: pd.DataFrame,
    recommend_job_vectors: pd.DataFrame,
    recommend: Mapping[str, Any],
    modeling: Mapping[str, Any],
    max_sections: int,
) -> JobRecommender:
    """A JobRecommender from the run's artifacts (`models`: catalog name -> loaded dataset) and the catalog's jobs."""

    def require(name: str) -> Any:
        if name not in models:
            raise ArtifactError(f"build_recommender got no {name!r}")
        return models[name]

    params = {"recommend": dict(recommend), "modeling": dict(modeling), "embeddings": {"max_sections": int(max_sections)}}
    artifacts = assemble_artifacts(require, models.get, params, with_catalog_jobs=False)
    recommender = JobRecommender(artifacts, RecommendSettings.from_params(params))
    recommender.jobs = recommender.job_table(recommend_jobs, known_vectors=recommend_job_vectors)
    return recommender


def recommend_for_resumes(resumes_to_recommend: DataFrame, recommender: JobRecommender, top_k: int) -> DataFrame:
    """resume_id, rank (1..top_k), job_id, score per resume, in Spark tasks (mapInPandas)."""
    return recommend_on_spark(resumes_to_recommend, recommender, int(top_k))
