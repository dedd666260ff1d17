"""modeling: labeled impressions + vectors + clusters -> cluster_models, propensity, scored_impressions."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from job_reco.pipelines.modeling.nodes import (
    assemble_model_inputs,
    build_cluster_models,
    compute_job_popularity,
    estimate_propensity,
    mark_validation_groups,
    score_test_impressions,
    score_validation_ensembles,
    select_ensemble_mode,
    summarise_training,
    train_cluster_models,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Train one NCF per resume cluster, choose the ensemble on validation, score the test split."""
    return Pipeline(
        [
            node(
                mark_validation_groups,
                ["labeled_impressions", "params:modeling.validation_fraction"],
                "modeling_impressions",
                name="mark_validation_groups",
            ),
            node(
                assemble_model_inputs,
                ["modeling_impressions", "resume_embeddings", "job_embeddings", "resume_clusters"],
                "model_inputs",
                name="assemble_model_inputs",
            ),
            node(
                train_cluster_models,
                [
                    "model_inputs",
                    "params:modeling.network",
                    "params:modeling.training",
                    "params:modeling.position_bias",
                    "params:modeling.max_position",
                    "params:modeling.max_rows_per_cluster",
                    "params:modeling.min_rows_per_cluster",
                    "params:modeling.tf_threads_per_task",
                    "params:modeling.seed",
                ],
                ["cluster_training_results", "training_data_summary"],
                name="train_cluster_models",
            ),
            node(build_cluster_models, "cluster_training_results", "cluster_models", name="build_cluster_models"),
            node(
                summarise_training,
                ["cluster_training_results", "training_data_summary"],
                "training_history",
                name="summarise_training",
            ),
            node(
                estimate_propensity,
                ["cluster_training_results", "params:modeling.position_bias"],
                "propensity",
                name="estimate_propensity",
            ),
            node(
                score_validation_ensembles,
                [
                    "model_inputs",
                    "cluster_models",
                    "cluster_centres",
                    "params:modeling.soft_temperature",
                    "params:modeling.network",
                ],
                "validation_ensemble_scores",
                name="score_validation_ensembles",
            ),
            node(
                select_ensemble_mode,
                [
                    "validation_ensemble_scores",
                    "propensity",
                    "params:modeling.ensemble_mode",
                    "params:modeling.ips_clip",
                ],
                "ensemble_selection",
                name="select_ensemble_mode",
            ),
            node(
                compute_job_popularity,
                ["labeled_impressions", "params:modeling.popularity_smoothing"],
                "job_popularity",
                name="compute_job_popularity",
            ),
            node(
                score_test_impressions,
                [
                    "model_inputs",
                    "cluster_models",
                    "cluster_centres",
                    "ensemble_selection",
                    "job_popularity",
                    "params:modeling.soft_temperature",
                    "params:modeling.seed",
                    "params:modeling.network",
                ],
                "scored_impressions@spark",
                name="score_test_impressions",
            ),
        ]
    )
