"""recommend: resumes_to_recommend + the last run's artifacts -> recommendations (not part of `kedro run`)."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from job_reco.pipelines.recommend.nodes import ARTIFACTS, build_recommender, collect_recommend_artifacts, recommend_for_resumes


def create_pipeline(**kwargs) -> Pipeline:
    """Build the recommender once, then recommend for every resume of resumes_to_recommend on Spark."""
    return Pipeline(
        [
            node(collect_recommend_artifacts, list(ARTIFACTS), "recommend_artifacts", name="collect_recommend_artifacts"),
            node(
                build_recommender,
                ["recommend_artifacts", "recommend_jobs", "recommend_job_vectors", "params:recommend",
                 "params:modeling", "params:embeddings.max_sections"],
                "recommender",
                name="build_recommender",
            ),
            node(recommend_for_resumes, ["resumes_to_recommend", "recommender", "params:recommend.top_k"],
                 "recommendations", name="recommend_for_resumes"),
        ],
        namespace="recommend", prefix_datasets_with_namespace=False,
    )
