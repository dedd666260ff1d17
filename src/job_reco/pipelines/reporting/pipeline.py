"""The reporting pipeline: test-split metrics of every ranker, lift over search, charts, report."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from job_reco.pipelines.reporting import charts, diagnostic, nodes, report, summaries

R = "params:reporting."


def create_pipeline(**kwargs) -> Pipeline:
    """Build the reporting pipeline."""
    return Pipeline([*_metric_nodes(), *_summary_nodes(), *_chart_nodes()], tags=["reporting"],
                    namespace="reporting", prefix_datasets_with_namespace=False)


def _metric_nodes() -> list:
    """Per-group metrics of every ranker on the test split (graded by the truth where there is one), summed and resampled."""
    return [
        node(nodes.select_test_impressions, "scored_impressions@spark", "test_impressions",
             name="select_test_impressions"),
        node(nodes.attach_relevance, ["test_impressions", "truth_impressions@spark"], "graded_impressions",
             name="attach_relevance"),
        node(nodes.compute_group_metrics,
             ["graded_impressions", "truth_examination", "propensity", "params:ips_clip", R + "ks", R + "ndcg_k",
              R + "lift_precision_k", R + "percentiles"],
             "group_metrics", name="compute_group_metrics"),
        node(nodes.sum_group_metrics, "group_metrics", "group_totals", name="sum_group_metrics"),
        node(nodes.bootstrap_group_metrics, ["group_metrics", R + "bootstrap_reps", R + "seed"], "bootstrap_sums",
             name="bootstrap_group_metrics"),
        node(diagnostic.diagnose_truth_factors, ["test_impressions", "truth_impressions@spark", R + "ndcg_k"],
             "truth_diagnostic", name="diagnose_truth_factors"),
    ]


def _summary_nodes() -> list:
    """The tables and JSON a reader reads: per ranker, lifts, percentiles, truth, headline, clusters, curves."""
    return [
        node(summaries.summarise_ranker_metrics, ["group_totals", R + "ks", R + "ndcg_k"], "ranker_metrics",
             name="summarise_ranker_metrics"),
        node(summaries.bootstrap_lifts, ["group_totals", "bootstrap_sums", R + "lift_precision_k"],
             ["lift_vs_search", "ensemble_comparisons"], name="bootstrap_lifts"),
        node(summaries.compute_percentile_metrics, ["group_totals", R + "percentiles"], "by_percentile",
             name="compute_percentile_metrics"),
        node(summaries.compute_truth_metrics, ["group_totals", R + "ndcg_k"], "truth_metrics",
             name="compute_truth_metrics"),
        node(summaries.compute_headline, ["group_totals", "bootstrap_sums", R + "ndcg_k"], "headline",
             name="compute_headline"),
        node(nodes.compare_examination_curves, ["propensity", "truth_examination"], "examination_curves",
             name="compare_examination_curves"),
        node(nodes.compute_cluster_metrics, ["group_metrics", "resume_clusters"], "cluster_metrics",
             name="compute_cluster_metrics"),
        node(summaries.assemble_metrics,
             ["headline", "group_totals", "ranker_metrics", "lift_vs_search", "by_percentile", "propensity",
              "params:ips_clip", "truth_metrics"],
             "metrics", name="assemble_metrics"),
        node(report.write_report,
             ["metrics", "ensemble_comparisons", "cluster_metrics", "examination_curves", "training_history",
              "ensemble_selection", "data_quality", "cluster_report", "embedding_report", "truth_diagnostic",
              "quality_by_scale"],
             "report", name="write_report"),
    ]


def _chart_nodes() -> list:
    """Each chart as a PNG and as Plotly JSON (kedro viz)."""
    return [
        node(charts.plot_precision_by_percentile, "by_percentile",
             ["precision_by_percentile_png", "precision_by_percentile_plotly"], name="plot_precision_by_percentile"),
        node(charts.plot_mrr_by_percentile, "by_percentile", ["mrr_by_percentile_png", "mrr_by_percentile_plotly"],
             name="plot_mrr_by_percentile"),
        node(charts.plot_metric_views, "metrics", ["metric_views_png", "metric_views_plotly"], name="plot_metric_views"),
        node(charts.plot_cluster_mrr, "cluster_metrics", ["cluster_mrr_png", "cluster_mrr_plotly"],
             name="plot_cluster_mrr"),
        node(charts.plot_training_curves, "training_history", ["training_curves_png", "training_curves_plotly"],
             name="plot_training_curves"),
        node(charts.plot_examination_curves, "examination_curves",
             ["examination_curves_png", "examination_curves_plotly"], name="plot_examination_curves"),
    ]
