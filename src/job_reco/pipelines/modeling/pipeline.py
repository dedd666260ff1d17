"""modeling: labeled impressions + vectors + clusters -> cluster_models, propensity, scored_impressions."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from job_reco.models.ranker_layout import build_ranker_artifacts
from job_reco.pipelines.modeling.gbdt import export_gbdt_booster, score_gbdt, train_gbdt
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
from job_reco.pipelines.modeling.propensity_nodes import (
    count_swap_interventions,
    select_propensity,
)
from job_reco.pipelines.modeling.ranker_inputs import (
    assemble_ranker_inputs,
    attach_appeal,
    compute_job_appeal_counts,
    compute_recent_job_counts,
    compute_title_pair_appeal_counts,
    fit_appeal_priors,
    mark_training_subsets,
)
from job_reco.pipelines.modeling.ranker_scoring import (
    add_ranker_scores,
    score_validation_candidates,
    select_architecture,
)
from job_reco.pipelines.modeling.ranker_training import (
    fit_click_model,
    score_expected_clicks,
    train_ranker_model,
)
from job_reco.pipelines.modeling.side_tables import (
    build_job_side_table,
    build_resume_side_table,
    build_search_side_table,
)

M = "params:modeling."


def create_pipeline(**kwargs) -> Pipeline:
    """Train one NCF per resume cluster, choose the ensemble on validation, score the test split; then
    the ranker's inputs and examination curve, the shared ranker and its baselines, the architecture."""
    return Pipeline([*_cluster_nodes(), *_ranker_input_nodes(), *_ranker_nodes()],
                    namespace="modeling", prefix_datasets_with_namespace=False)


def _cluster_nodes() -> list:
    """The original design: model inputs, one NCF per cluster, the ensemble chosen on validation, the test split scored."""
    ncf = [M + "soft_temperature"]
    return [
        node(mark_validation_groups, ["labeled_impressions", M + "validation_fraction"], "modeling_impressions",
             name="mark_validation_groups"),
        node(assemble_model_inputs, ["modeling_impressions", "resume_embeddings", "job_embeddings", "resume_clusters"],
             "model_inputs", name="assemble_model_inputs"),
        node(train_cluster_models,
             ["model_inputs", M + "network", M + "training", M + "position_bias", M + "max_position",
              M + "max_rows_per_cluster", M + "min_rows_per_cluster", M + "tf_threads_per_task", M + "seed"],
             ["cluster_training_results", "training_data_summary"], name="train_cluster_models"),
        node(build_cluster_models, "cluster_training_results", "cluster_models@keras", name="build_cluster_models"),
        node(summarise_training, ["cluster_training_results", "training_data_summary"], "training_history",
             name="summarise_training"),
        node(estimate_propensity, ["cluster_training_results", M + "position_bias"], "per_cluster_propensity",
             name="estimate_propensity"),
        node(score_validation_ensembles, ["model_inputs", "cluster_models@keras", "cluster_centres", *ncf, M + "network"],
             "validation_ensemble_scores", name="score_validation_ensembles"),
        node(select_ensemble_mode, ["validation_ensemble_scores", "propensity", M + "ensemble_mode", "params:ips_clip"],
             "ensemble_selection", name="select_ensemble_mode"),
        node(compute_job_popularity, ["labeled_impressions", M + "popularity_smoothing"], "job_popularity",
             name="compute_job_popularity"),
        node(score_test_impressions,
             ["model_inputs", "cluster_models@keras", "cluster_centres", "ensemble_selection", "job_popularity", *ncf,
              M + "seed", M + "network"],
             "scored_original", name="score_test_impressions"),
    ]


def _ranker_input_nodes() -> list:
    """modeling v2's inputs: training logs of every search, side features, the examination curve, the appeal."""
    return [
        node(mark_training_subsets, ["search_impressions", "modeling_impressions"], "training_impressions",
             name="mark_training_subsets"),
        node(build_job_side_table, ["valid_jobs", M + "min_ads_per_title"], "job_side_table",
             name="build_job_side_table"),
        node(build_resume_side_table, ["valid_resumes", "scrubbed_resumes"], "resume_side_table",
             name="build_resume_side_table"),
        node(build_search_side_table, ["search_impressions", "checked_searches", "valid_resumes", "valid_jobs"],
             "search_side_table", name="build_search_side_table"),
        node(assemble_ranker_inputs,
             ["training_impressions", "modeling_impressions", "resume_embeddings", "job_embeddings",
              "resume_clusters", "job_side_table", "resume_side_table", "resume_section_embeddings",
              "search_side_table", M + "max_training_rows", M + "seed"],
             "ranker_base_inputs", name="assemble_ranker_inputs"),
        node(fit_click_model,
             ["ranker_base_inputs", M + "network", M + "training", M + "max_position", M + "side_features",
              M + "vector_blocks", M + "max_training_rows", M + "tf_threads_per_task", M + "seed"],
             ["click_model", "click_model_state"], name="fit_click_model"),
        node(count_swap_interventions, ["training_impressions", M + "propensity_folds"], "swap_interventions",
             name="count_swap_interventions"),
        node(select_propensity, ["click_model", "swap_interventions", M + "max_position"],
             ["propensity", "propensity_selection"], name="select_propensity"),
        node(score_expected_clicks, ["ranker_base_inputs", "click_model_state", "propensity", M + "max_position"],
             "expected_clicks", name="score_expected_clicks"),
        node(compute_job_appeal_counts, ["training_impressions", "expected_clicks", "propensity", M + "max_position"],
             "job_appeal_counts", name="compute_job_appeal_counts"),
        node(compute_title_pair_appeal_counts, "expected_clicks", "title_pair_appeal_counts",
             name="compute_title_pair_appeal_counts"),
        node(compute_recent_job_counts,
             ["search_impressions", "expected_clicks", "propensity", M + "max_position"],
             "recent_job_counts", name="compute_recent_job_counts"),
        node(fit_appeal_priors, ["job_appeal_counts", "title_pair_appeal_counts"], "appeal_priors",
             name="fit_appeal_priors"),
        node(attach_appeal,
             ["ranker_base_inputs", "expected_clicks", "title_pair_appeal_counts", "recent_job_counts", "appeal_priors"],
             "ranker_inputs", name="attach_appeal"),
    ]


def _ranker_nodes() -> list:
    """modeling v2: the shared ranker, the LambdaMART baseline, the architecture chosen on validation, the test scores."""
    return [
        node(train_ranker_model,
             ["ranker_inputs", "propensity", "cluster_centres", M + "ranker", "params:ips_clip", M + "side_features",
              M + "vector_blocks", M + "max_position", M + "max_training_rows", M + "tf_threads_per_task", M + "seed"],
             ["ranker_state", "ranker_history"], name="train_ranker_model"),
        node(build_ranker_artifacts, "ranker_state", ["ranker_model@keras", "ranker_layout"], name="build_ranker_artifacts"),
        node(score_validation_candidates,
             ["ranker_inputs", "ranker_model@keras", "ranker_layout", "gbdt_model", "propensity", "params:ips_clip",
              M + "blend_weights"],
             "validation_candidates", name="score_validation_candidates"),
        node(select_architecture, ["ensemble_selection", "validation_candidates", M + "architecture"],
             "architecture_selection", name="select_architecture"),
        node(train_gbdt, ["ranker_inputs", "ranker_layout", M + "gbdt", M + "max_gbdt_rows", M + "seed"],
             ["gbdt_model", "gbdt_summary"], name="train_gbdt"),
        node(export_gbdt_booster, "gbdt_model", "gbdt_booster", name="export_gbdt_booster"),
        node(score_gbdt, ["scored_original", "ranker_inputs", "gbdt_model", "ranker_layout"], "scored_with_gbdt",
             name="score_gbdt"),
        node(add_ranker_scores,
             ["scored_with_gbdt", "ranker_inputs", "ranker_model@keras", "ranker_layout", "architecture_selection"],
             "scored_impressions@spark", name="add_ranker_scores"),
    ]
