"""The clustering pipeline: resume_embeddings, document_tokens -> resume_clusters, centres, report."""

from kedro.pipeline import Pipeline, node

from job_reco.pipelines.clustering.nodes import (
    cluster_resumes,
    find_characteristic_words,
    report_clusters,
    score_clustering,
    sweep_k,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Fit and assign, score, sweep the other k, describe, report."""
    kmeans_settings = [
        "params:clustering.seed",
        "params:clustering.max_iter",
        "params:clustering.tol",
        "params:clustering.normalise",
    ]
    return Pipeline(
        [
            node(cluster_resumes, ["resume_embeddings", "params:clustering.k", *kmeans_settings],
                 ["resume_clusters", "cluster_centres", "kmeans_summary"], name="cluster_resumes"),
            node(score_clustering, ["resume_embeddings", "resume_clusters", "params:clustering.normalise"],
                 "clustering_scores", name="score_clustering"),
            node(sweep_k, ["resume_embeddings", "params:clustering.k_sweep", "params:clustering.k", "kmeans_summary",
                           "clustering_scores", *kmeans_settings], "k_sweep", name="sweep_k"),
            node(
                find_characteristic_words,
                ["document_tokens", "resume_clusters", "params:clustering.min_word_documents",
                 "params:clustering.top_words"],
                "characteristic_words",
                name="find_characteristic_words",
            ),
            node(
                report_clusters,
                ["cluster_centres", "kmeans_summary", "clustering_scores", "characteristic_words", "k_sweep",
                 "params:clustering.seed", "params:clustering.max_iter"],
                "cluster_report",
                name="report_clusters",
            ),
        ],
        namespace="clustering", prefix_datasets_with_namespace=False,
    )
